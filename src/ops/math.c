/* src/ops/math.c: not written yet. */
