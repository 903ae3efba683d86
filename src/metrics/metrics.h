/* src/metrics/metrics.h: not written yet. */
