/* src/optim/optim.c: not written yet. */
