/* src/ops/attention.h: not written yet. */
