/* FP32 fused multiply-add peak of this machine: each thread runs chains of
 * independent vector FMAs (enough accumulators to cover the FMA latency on
 * every port), with the widest vectors the build targets (-march=native:
 * AVX-512, AVX2 or SSE). Prints the GFLOP/s of 1..THREADS threads, the
 * ceiling the other benchmarks' shares of peak are taken against.
 *   cc -O3 -march=native -ffp-contract=fast bench/bench_peak.c -o bench_peak -lpthread
 *   bench_peak [MAX_THREADS (default 2)] [SECONDS per measurement (default 0.5)]
 * Output lines: "peak_gflops THREADS VALUE". */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define VW 16
#elif defined(__AVX__)
#define VW 8
#else
#define VW 4
#endif
#define N_ACC 12 /* independent chains: latency 4 x 2 FMA ports, with room */

typedef float vf __attribute__((vector_size(VW * sizeof(float))));

typedef struct job {
    long iters;
    float sink;
} job;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *fma_chains(void *arg) {
    job *j = (job *)arg;
    vf acc[N_ACC], a, b, s;
    long it;
    int k;
    for (k = 0; k < VW; k++) {
        a[k] = 0.9999999f;
        b[k] = 1e-7f;
    }
    for (k = 0; k < N_ACC; k++) acc[k] = a * (float)(k + 1);
    for (it = 0; it < j->iters; it++) {
        for (k = 0; k < N_ACC; k++) acc[k] = acc[k] * a + b; /* one FMA per chain (-ffp-contract=fast) */
        __asm__ volatile("" : "+x"(a)); /* keep the multiplier opaque: no folding across iterations */
    }
    s = acc[0];
    for (k = 1; k < N_ACC; k++) s += acc[k];
    j->sink = s[0];
    return NULL;
}

/* GFLOP/s of n threads running iters iterations each. */
static double measure(int n, long iters) {
    pthread_t th[64];
    job jobs[64];
    double t0, t;
    int i;
    for (i = 0; i < n; i++) jobs[i].iters = iters;
    t0 = now();
    for (i = 0; i < n; i++) pthread_create(&th[i], NULL, fma_chains, &jobs[i]);
    for (i = 0; i < n; i++) pthread_join(th[i], NULL);
    t = now() - t0;
    return 2.0 * VW * N_ACC * (double)iters * n / t * 1e-9;
}

int main(int argc, char **argv) {
    int max_threads = argc > 1 ? atoi(argv[1]) : 2, n, r;
    double seconds = argc > 2 ? atof(argv[2]) : 0.5;
    long iters = 1000000;
    if (max_threads < 1 || max_threads > 64 || !(seconds > 0)) {
        fprintf(stderr, "usage: bench_peak [MAX_THREADS 1..64] [SECONDS]\n");
        return 2;
    }
    /* size the run to about `seconds` on one thread */
    while (2.0 * VW * N_ACC * (double)iters / (measure(1, iters) * 1e9) < seconds / 4) iters *= 2;
    iters = (long)((double)iters * seconds / (2.0 * VW * N_ACC * (double)iters / (measure(1, iters) * 1e9)));
    printf("vector_width %d floats, %d chains\n", VW, N_ACC);
    for (n = 1; n <= max_threads; n++) {
        double best = 0.0;
        for (r = 0; r < 3; r++) { /* best of 3: the ceiling, not the average */
            double g = measure(n, iters);
            if (g > best) best = g;
        }
        printf("peak_gflops %d %.1f\n", n, best);
    }
    return 0;
}
