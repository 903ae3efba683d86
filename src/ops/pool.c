/* src/ops/pool.c: not written yet. */
