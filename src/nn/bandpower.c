/* src/nn/bandpower.c: not written yet. */
