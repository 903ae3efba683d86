/* src/ops/gemm.c: not written yet. */
