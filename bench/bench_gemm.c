/* Matrix-product benchmark: eegnn_sgemm on square (N, N) @ (N, N) products
 * at one thread, on the CPU path in use (EEGNN_CPU forces one), and the
 * register-tile micro-kernel alone on packed operands that stay in cache.
 *
 *   bench_gemm [N] [REPEATS]
 *
 * Prints "sgemm_gflops N VALUE" (best of REPEATS) and "kernel_gflops VALUE";
 * bench/run.sh divides them by bench_peak's single-thread peak.
 * Build: cc -O3 -march=native bench/bench_gemm.c -o bench_gemm -lm -lpthread */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include <stdio.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1024, reps = argc > 2 ? atoi(argv[2]) : 5, r, i;
    size_t nn = (size_t)n * n;
    float *a = (float *)malloc(nn * sizeof(float)), *b = (float *)malloc(nn * sizeof(float));
    float *c = (float *)malloc(nn * sizeof(float));
    double best = 0.0;
    eegnn_rng rng;
    if (n < 16 || reps < 1 || !a || !b || !c) {
        fprintf(stderr, "usage: bench_gemm [N >= 16] [REPEATS >= 1]\n");
        return 2;
    }
    eegnn_rng_seed(&rng, 1);
    for (i = 0; i < (int)nn; i++) {
        a[i] = eegnn_rng_normal(&rng);
        b[i] = eegnn_rng_normal(&rng);
    }
    for (r = 0; r < reps; r++) {
        double t0 = eegnn_time_seconds(), gf;
        eegnn_sgemm(NULL, 0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        gf = 2.0 * n * n * (double)n / (eegnn_time_seconds() - t0) / 1e9;
        if (gf > best) best = gf;
    }
    printf("cpu_path %s\nsgemm_gflops %d %.2f\n", eegnn_cpu_path(), n, best);
#ifndef EEGNN_USE_OPENBLAS
    { /* the micro-kernel alone: one packed (MR, KC) A sliver times NR-wide B slivers, all in L1/L2 */
        const eegnn__cpu_kernels *kp = eegnn__cpu();
        int kc = EEGNN__KC, n_sl = 8, it, s;
        float *ap = (float *)calloc((size_t)kp->mr * kc, sizeof(float));
        float *bp = (float *)calloc((size_t)kp->nr * kc * n_sl, sizeof(float));
        float *ct = (float *)calloc((size_t)kp->mr * kp->nr * n_sl, sizeof(float));
        long iters = 20000;
        for (i = 0; i < kp->mr * kc; i++) ap[i] = 1e-3f * (float)(i % 7);
        for (i = 0; i < kp->nr * kc * n_sl; i++) bp[i] = 1e-3f * (float)(i % 5);
        best = 0.0;
        for (r = 0; r < reps; r++) {
            double t0 = eegnn_time_seconds(), gf;
            for (it = 0; it < iters / n_sl; it++)
                for (s = 0; s < n_sl; s++)
                    kp->gemm(kp->nv_max, kc, ap, bp + (size_t)s * kp->nr * kc, 1.0f, 1.0f, ct + (size_t)s * kp->mr * kp->nr,
                             kp->nr);
            gf = 2.0 * kp->mr * kp->nr * (double)kc * (double)(iters / n_sl * n_sl) / (eegnn_time_seconds() - t0) / 1e9;
            if (gf > best) best = gf;
        }
        printf("kernel_gflops %.2f (tile %d x %d, kc %d, checksum %g)\n", best, kp->mr, kp->nr, kc, (double)ct[0]);
        free(ap);
        free(bp);
        free(ct);
    }
#endif
    free(a);
    free(b);
    free(c);
    return 0;
}
