/* src/nn/nn.c: not written yet. */
