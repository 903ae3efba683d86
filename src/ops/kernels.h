/* The CPU paths: one set of vector micro-kernels per instruction set, chosen
 * once per process at run time (src/ops/cpu.c).
 *
 * src/ops/kernels.c is written once and amalgamated once per path, after a
 * prelude that names the path and sets its vector width, register tile and
 * target attribute: src/ops/kernels_avx512.h (AVX-512F), kernels_avx2.h
 * (AVX2 + FMA) and kernels_generic.h (the compiler's baseline: SSE2 on
 * x86-64, NEON on arm64, plain C without GCC vector extensions). So a plain
 * `cc -O2` build runs the AVX-512 kernels on a CPU that has them, and a
 * binary built on one machine runs on an older one, as zstd, simdjson and
 * xxHash do. GPU compilers (nvcc, hipcc) and non-x86 targets get the
 * generic path only, built for their compile-time flags.
 *
 * Everything that depends on the register tile (packing, tiles, padding)
 * reads its geometry from the chosen table; buffers are sized for the
 * largest tile of any path (EEGNN__MR_MAX x EEGNN__NR_MAX). */

#if (defined(__GNUC__) || defined(__clang__)) && !defined(EEGNN_NO_VECTOR_EXTENSIONS)
#define EEGNN__GEMM_VECTOR 1
#else
#define EEGNN__GEMM_VECTOR 0
#endif

/* Runtime dispatch between x86-64 paths: GCC or Clang compiling C or C++
 * for the host, outside GPU compilers (whose device passes reject x86
 * target attributes). */
#if EEGNN__GEMM_VECTOR && (defined(__x86_64__) || defined(__i386__)) && !defined(__CUDACC__) &&                    \
    !defined(__HIP__) && !defined(__HIPCC__) && !defined(EEGNN_NO_CPU_DISPATCH) &&                                  \
    (defined(__clang__) || __GNUC__ >= 9)
#define EEGNN__CPU_DISPATCH 1
#include <immintrin.h>
#else
#define EEGNN__CPU_DISPATCH 0
#endif

#define EEGNN__MR_MAX 8  /* register tile rows of any path */
#define EEGNN__NR_MAX 48 /* register tile columns of any path */
#define EEGNN__VW_MAX 16 /* floats per vector of any path */
#define EEGNN__KC 256    /* depth of a packed block */

/* One path's micro-kernels and register tile. Tiles are (mr, nv * vw):
 * mr rows of C by nv <= nv_max vectors of vw floats; nr = nv_max * vw. */
typedef struct eegnn__cpu_kernels {
    const char *name; /* "avx512", "avx2", "generic" */
    int vw, mr, nv_max, nr;
    /* C tile (mr, nv * vw) = alpha * A sliver (mr, kc) @ B sliver (kc, nr)[:, :nv*vw] + beta * C
     * (C not read when beta == 0); slivers as packed by src/ops/gemm.c. */
    void (*gemm)(int nv, int kc, const float *ap, const float *bp, float alpha, float beta, float *c, int ldc);
    /* Row-convolution tile (implicit unfolding): C (mr, nv * vw) = A sliver
     * (mr, cpg * kw) @ B, row (ci, j) of B being the vector at b + ci * ldb
     * + j * dil; C has nr columns and is written, not accumulated. */
    void (*row_conv)(int nv, int cpg, int kw, int dil, const float *ap, const float *b, int ldb, float *c);
    /* C (mr, nv * vw; rows ldc apart) += sum_{p < len} ar[r][p] * B[p, :], B
     * rows ldb apart: rows of A at any addresses (no packing). */
    void (*rows_mm)(int nv, int len, const float *const *ar, const float *b, int ldb, float *c, int ldc);
    /* out (n, ncols) = alpha * W (n, len) X (len, ncols) (+ out when
     * accumulate), W(i, l) = w[i * wi + l * wl]; ncols a multiple of vw. */
    void (*small_mm)(int n, int len, int ncols, const float *w, size_t wi, size_t wl, const float *x, int ldx,
                     float alpha, int accumulate, float *out, int ldo);
    /* s[c] = exp(s[c] - m) for c < n (a multiple of vw); returns the sum. */
    float (*exp_row)(float *s, int n, float m);
    /* Sum of a[c] * b[c] for c < n (a multiple of vw), in vw partial sums. */
    float (*dot)(const float *a, const float *b, int n);
    /* keep[c] = scale where lowbias32(c * 0x9E3779B9 + key) >= threshold,
     * else 0, for c below the largest multiple of vw <= n; returns that count. */
    int (*keep_mask)(uint32_t key, uint32_t threshold, float scale, int n, float *keep);
} eegnn__cpu_kernels;
