/* src/ops/conv2d.h: not written yet. */
