/* src/train/train.c: not written yet. */
