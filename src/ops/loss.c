/* src/ops/loss.c: not written yet. */
