/* src/io/safetensors.c: not written yet. */
