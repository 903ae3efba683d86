/* eegnn_sgemm against a naive double-precision reference: many shapes
 * (register-tile and cache-block tails, tiny and empty sizes), all four
 * transpose combinations, padded row strides, alpha/beta (beta 0 must ignore
 * NaN in C, as BLAS does), and 1, 2 and 3 threads; the work sharing that
 * hands out their tiles (eegnn_work). */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

/* C = alpha * op(A) op(B) + beta * C in double precision. */
static void ref_gemm(int ta, int tb, int m, int n, int k, double alpha, const float *a, int lda, const float *b,
                     int ldb, double beta, const float *c0, double *c, int ldc) {
    int i, j, p;
    for (i = 0; i < m; i++) {
        for (j = 0; j < n; j++) {
            double s = 0.0;
            for (p = 0; p < k; p++) {
                double av = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                double bv = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += av * bv;
            }
            c[(size_t)i * ldc + j] = alpha * s + (beta != 0.0 ? beta * c0[(size_t)i * ldc + j] : 0.0);
        }
    }
}

static eegnn_rng rng;

static void fill(float *v, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) v[i] = eegnn_rng_uniform(&rng) * 2.0f - 1.0f;
}

/* Runs one case with every pool; returns the number of failures. */
static void run_case(eegnn_threadpool **pools, int n_pools, int ta, int tb, int m, int n, int k, int pad,
                     float alpha, float beta, int nan_c) {
    int rows_a = ta ? k : m, cols_a = ta ? m : k;
    int rows_b = tb ? n : k, cols_b = tb ? k : n;
    int lda = cols_a + pad, ldb = cols_b + pad, ldc = n + pad;
    size_t na = (size_t)rows_a * lda + 1, nb = (size_t)rows_b * ldb + 1, nc = (size_t)m * ldc + 1;
    float *a = (float *)malloc(na * sizeof(float));
    float *b = (float *)malloc(nb * sizeof(float));
    float *c0 = (float *)malloc(nc * sizeof(float));
    float *c = (float *)malloc(nc * sizeof(float));
    float *first = (float *)malloc(nc * sizeof(float));
    double *ref = (double *)malloc(nc * sizeof(double));
    int ip, i, j;
    fill(a, na);
    fill(b, nb);
    fill(c0, nc);
    if (nan_c)
        for (i = 0; i < (int)nc; i++) c0[i] = NAN;
    ref_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c0, ref, ldc);
    for (ip = 0; ip < n_pools; ip++) {
        double max_ref = 0.0, max_err = 0.0, tol;
        int pad_ok = 1, same = 1;
        memcpy(c, c0, nc * sizeof(float));
        eegnn_sgemm(pools[ip], ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        for (i = 0; i < m; i++) {
            for (j = 0; j < ldc && (size_t)i * ldc + j < nc; j++) {
                size_t o = (size_t)i * ldc + j;
                if (j >= n) {
                    /* padding between rows must be left untouched */
                    if (!(c[o] == c0[o] || (c[o] != c[o] && c0[o] != c0[o]))) pad_ok = 0;
                    continue;
                }
                if (fabs(ref[o]) > max_ref) max_ref = fabs(ref[o]);
                if (!(fabs((double)c[o] - ref[o]) <= max_err)) max_err = fabs((double)c[o] - ref[o]);
            }
        }
        /* float accumulation over k terms of magnitude <= |alpha| */
        tol = 1e-6 * (k + 4) * (fabs(alpha) + fabs(beta) + 1.0);
        CHECK(max_err <= tol * (max_ref > 1.0 ? max_ref : 1.0),
              "ta=%d tb=%d m=%d n=%d k=%d pad=%d alpha=%g beta=%g nan=%d threads=%d: max err %.3g (tol %.3g)", ta,
              tb, m, n, k, pad, alpha, beta, nan_c, eegnn_threadpool_size(pools[ip]), max_err, tol);
        CHECK(pad_ok, "ta=%d tb=%d m=%d n=%d k=%d: padding columns of C were written", ta, tb, m, n, k);
        if (ip == 0) {
            memcpy(first, c, nc * sizeof(float));
        } else {
            for (i = 0; i < m; i++)
                for (j = 0; j < n; j++)
                    if (fabsf(c[(size_t)i * ldc + j] - first[(size_t)i * ldc + j]) >
                        1e-5f * (1.0f + fabsf(first[(size_t)i * ldc + j])))
                        same = 0;
            CHECK(same, "m=%d n=%d k=%d: %d threads differ from 1 thread", m, n, k,
                  eegnn_threadpool_size(pools[ip]));
        }
    }
    free(a);
    free(b);
    free(c0);
    free(c);
    free(first);
    free(ref);
}

/* The CPU path: the one EEGNN_CPU names when this CPU has it, else the
 * best; the list of paths agrees with cpuid as the compiler reports it. */
static void check_cpu_path(void) {
    const char *want = getenv("EEGNN_CPU"), *path = eegnn_cpu_path(), *list = eegnn_cpu_paths();
    const char *warn = eegnn_cpu_warning();
    char expect[64] = "", best[16];
    size_t nb = strcspn(list, " ");
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__clang__) || __GNUC__ >= 9) &&                     \
    !defined(EEGNN_NO_CPU_DISPATCH) && !defined(EEGNN_NO_VECTOR_EXTENSIONS)
    if (__builtin_cpu_supports("avx512f")) strcat(expect, "avx512 ");
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) strcat(expect, "avx2 ");
#endif
    strcat(expect, "generic");
    printf("cpu path: %s (supported: %s)\n", path, list);
    CHECK(!strcmp(list, expect), "eegnn_cpu_paths() is '%s', cpuid says '%s'", list, expect);
    snprintf(best, sizeof best, "%.*s", (int)nb, list);
    if (!want || !*want) {
        CHECK(!strcmp(path, best) && !warn, "no EEGNN_CPU: path %s (best %s), warning %s", path, best,
              warn ? warn : "none");
    } else if (strstr(expect, want) && strlen(want) > 3) {
        CHECK(!strcmp(path, want) && !warn, "EEGNN_CPU=%s: path %s, warning %s", want, path, warn ? warn : "none");
    } else {
        CHECK(!strcmp(path, best) && warn && strstr(warn, want), "EEGNN_CPU=%s (not supported): path %s, warning %s",
              want, path, warn ? warn : "none");
    }
}

/* eegnn_work: every unit goes to exactly one task, in grains of the asked
 * size (shorter only at the end), each task's grains in increasing order. */
typedef struct {
    eegnn_work work;
    int *count;   /* (n) times each unit was handed out */
    int bad[3];   /* per task: a grain of the wrong size or out of order */
} work_job;

static void work_task(void *ctx, int task, int n_tasks) {
    work_job *j = (work_job *)ctx;
    size_t lo, hi, last = 0, u;
    int first = 1;
    (void)n_tasks;
    while (eegnn_work_next(&j->work, &lo, &hi)) {
        if (hi <= lo || (hi - lo != j->work.grain && hi != j->work.n) || (!first && lo < last)) j->bad[task]++;
        for (u = lo; u < hi; u++) __atomic_fetch_add(&j->count[u], 1, __ATOMIC_RELAXED);
        last = hi;
        first = 0;
    }
}

static void test_work_sharing(eegnn_threadpool *pool) {
    size_t n = 100003, u, wrong = 0;
    work_job j;
    memset(&j, 0, sizeof j);
    j.count = (int *)calloc(n, sizeof(int));
    if (!j.count) return;
    eegnn_work_init(&j.work, n, 7);
    eegnn_parallel_for(pool, 3, work_task, &j);
    for (u = 0; u < n; u++) wrong += j.count[u] != 1;
    CHECK(wrong == 0 && j.bad[0] + j.bad[1] + j.bad[2] == 0,
          "eegnn_work: %zu of %zu units not handed out exactly once, %d bad grains", wrong, n,
          j.bad[0] + j.bad[1] + j.bad[2]);
    CHECK(eegnn_work_grain(1000, 2) == 62 && eegnn_work_grain(5, 4) == 1 && eegnn_work_grain(0, 1) == 1,
          "eegnn_work_grain: about 8 grains per task, at least 1 unit (%zu %zu %zu)", eegnn_work_grain(1000, 2),
          eegnn_work_grain(5, 4), eegnn_work_grain(0, 1));
    free(j.count);
}

int main(void) {
    static const int dims[] = {1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 33, 48, 49, 65, 97};
    static const int big[][3] = {{64, 200, 903}, {300, 70, 260}, {129, 515, 40}, {40, 129, 600}, {520, 9, 77}};
    eegnn_threadpool *pools[3];
    int n_dims = (int)(sizeof dims / sizeof dims[0]);
    int ta, tb, i, x;
    (void)test_max_rel_err; /* helpers of test.h this program does not need */
    (void)test_data_path;
    (void)test_out_path;
    check_cpu_path();
    eegnn_rng_seed(&rng, 12345);
    pools[0] = NULL;
    pools[1] = eegnn_threadpool_create(2);
    pools[2] = eegnn_threadpool_create(3);
    CHECK(pools[1] && pools[2], "thread pools: %s", eegnn_last_error());
    if (!pools[1] || !pools[2]) return test_summary("test_gemm");

    /* pseudo-random small shapes, every transpose combination */
    for (ta = 0; ta < 2; ta++) {
        for (tb = 0; tb < 2; tb++) {
            for (i = 0; i < 40; i++) {
                int m = dims[eegnn_rng_below(&rng, (uint32_t)n_dims)];
                int n = dims[eegnn_rng_below(&rng, (uint32_t)n_dims)];
                int k = dims[eegnn_rng_below(&rng, (uint32_t)n_dims)];
                int pad = (int)eegnn_rng_below(&rng, 3);
                float alpha = (i % 3 == 0) ? 1.0f : (i % 3 == 1 ? -0.5f : 2.0f);
                float beta = (i % 4 == 0) ? 0.0f : (i % 4 == 1 ? 1.0f : (i % 4 == 2 ? 0.25f : -1.5f));
                run_case(pools, 3, ta, tb, m, n, k, pad, alpha, beta, 0);
            }
            /* larger shapes crossing the cache blocks (KC, MC, NC) */
            for (x = 0; x < (int)(sizeof big / sizeof big[0]); x++)
                run_case(pools, 3, ta, tb, big[x][0], big[x][1], big[x][2], x % 2 ? 3 : 0, 1.0f, x % 2 ? 0.5f : 0.0f,
                         0);
            /* beta == 0 overwrites NaN in C */
            run_case(pools, 3, ta, tb, 37, 41, 19, 1, 1.0f, 0.0f, 1);
            run_case(pools, 3, ta, tb, 64, 100, 300, 0, -1.0f, 0.0f, 1);
        }
    }
    test_work_sharing(pools[2]);
    /* k == 0: C = beta * C, and beta == 0 clears NaN */
    run_case(pools, 3, 0, 0, 9, 11, 0, 2, 1.0f, 0.5f, 0);
    run_case(pools, 3, 1, 1, 9, 11, 0, 0, 1.0f, 0.0f, 1);
    /* alpha == 0 */
    run_case(pools, 3, 0, 1, 20, 30, 40, 1, 0.0f, 2.0f, 0);
    /* empty C: nothing is touched */
    {
        float c = 7.0f, a = 1.0f, b = 1.0f;
        eegnn_sgemm(pools[1], 0, 0, 0, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
        eegnn_sgemm(pools[1], 0, 0, 1, 0, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
        CHECK(c == 7.0f, "m or n == 0 wrote to C (%g)", c);
    }
    eegnn_threadpool_free(pools[1]);
    eegnn_threadpool_free(pools[2]);
    return test_summary("test_gemm");
}
