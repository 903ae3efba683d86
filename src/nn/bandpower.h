/* src/nn/bandpower.h: not written yet. */
