/* src/ops/elementwise.c: not written yet. */
