/* src/ops/linear.c: not written yet. */
