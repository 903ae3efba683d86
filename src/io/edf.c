/* src/io/edf.c: not written yet. */
