/* src/bids/bids.c: not written yet. */
