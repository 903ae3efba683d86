/* src/metrics/metrics.c: not written yet. */
