/* src/train/train.h: not written yet. */
