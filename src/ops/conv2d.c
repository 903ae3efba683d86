/* src/ops/conv2d.c: not written yet. */
