/* src/ops/attention.c: not written yet. */
