/* src/data/windows.c: not written yet. */
