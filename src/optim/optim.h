/* src/optim/optim.h: not written yet. */
