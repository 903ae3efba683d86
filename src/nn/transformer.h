/* src/nn/transformer.h: not written yet. */
