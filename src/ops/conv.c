/* src/ops/conv.c: not written yet. */
