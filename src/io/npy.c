/* src/io/npy.c: not written yet. */
