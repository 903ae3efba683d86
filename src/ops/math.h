/* src/ops/math.h: not written yet. */
