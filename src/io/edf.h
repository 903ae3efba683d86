/* src/io/edf.h: not written yet. */
