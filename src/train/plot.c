/* src/train/plot.c: not written yet. */
