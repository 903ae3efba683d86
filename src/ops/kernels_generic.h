/* Prelude of the generic copy of src/ops/kernels.c, built for the compiler's
 * flags. With runtime dispatch it is the baseline: 4-float vectors (SSE2 on
 * x86-64) and a (6, 8) tile, multiply then add. Without dispatch (GPU
 * compilers, other CPUs) it is the only path and uses the widest vectors
 * the flags allow: AVX-512F, AVX (with FMA when enabled), else 4 floats
 * (NEON on arm64). Without GCC vector extensions: plain C loops. */
#define EEGNN__K_ON 1
#define EEGNN__KFN(name) eegnn__##name##_generic
#define EEGNN__K_NAME "generic"
#define EEGNN__K_ATTR
#if !EEGNN__GEMM_VECTOR
#define EEGNN__K_VW 4
#define EEGNN__K_MR 4
#define EEGNN__K_NV 2
#elif !EEGNN__CPU_DISPATCH && defined(__AVX512F__)
#include <immintrin.h>
#define EEGNN__K_VW 16
#define EEGNN__K_MR 8
#define EEGNN__K_NV 3
#define EEGNN__K_FMA(acc, b, a) ((acc) = (EEGNN__KV)_mm512_fmadd_ps((__m512)(b), _mm512_set1_ps(a), (__m512)(acc)))
#elif !EEGNN__CPU_DISPATCH && defined(__AVX__)
#define EEGNN__K_VW 8
#define EEGNN__K_MR 6
#define EEGNN__K_NV 2
#if defined(__FMA__)
#include <immintrin.h>
#define EEGNN__K_FMA(acc, b, a) ((acc) = (EEGNN__KV)_mm256_fmadd_ps((__m256)(b), _mm256_set1_ps(a), (__m256)(acc)))
#endif
#else
#define EEGNN__K_VW 4
#define EEGNN__K_MR 6
#define EEGNN__K_NV 2
#endif
#if EEGNN__GEMM_VECTOR && !defined(EEGNN__K_FMA)
/* ISO C modes (-std=c99) turn off contraction: a multiply and an add */
#define EEGNN__K_FMA(acc, b, a) ((acc) += (b) * (a))
#endif
