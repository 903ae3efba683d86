/* src/io/raw.c: not written yet. */
