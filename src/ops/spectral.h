/* src/ops/spectral.h: not written yet. */
