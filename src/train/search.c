/* src/train/search.c: not written yet. */
