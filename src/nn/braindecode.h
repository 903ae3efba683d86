/* src/nn/braindecode.h: not written yet. */
