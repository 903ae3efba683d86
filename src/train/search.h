/* src/train/search.h: not written yet. */
