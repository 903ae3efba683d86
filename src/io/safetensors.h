/* src/io/safetensors.h: not written yet. */
