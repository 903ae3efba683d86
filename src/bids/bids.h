/* src/bids/bids.h: not written yet. */
