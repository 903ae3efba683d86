/* src/data/windows.h: not written yet. */
