/* src/nn/nn.h: not written yet. */
