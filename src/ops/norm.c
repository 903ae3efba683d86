/* src/ops/norm.c: not written yet. */
