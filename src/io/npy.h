/* src/io/npy.h: not written yet. */
