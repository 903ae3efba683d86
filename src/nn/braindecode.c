/* src/nn/braindecode.c: not written yet. */
