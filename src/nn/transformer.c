/* src/nn/transformer.c: not written yet. */
