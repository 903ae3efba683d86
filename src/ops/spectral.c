/* src/ops/spectral.c: not written yet. */
