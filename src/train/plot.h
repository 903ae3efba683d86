/* src/train/plot.h: not written yet. */
