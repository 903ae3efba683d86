/* Prelude of the AVX2 + FMA copy of src/ops/kernels.c: 8-float vectors, a
 * (6, 16) register tile (12 accumulators of the 16 ymm registers). */
#if EEGNN__CPU_DISPATCH
#define EEGNN__K_ON 1
#define EEGNN__KFN(name) eegnn__##name##_avx2
#define EEGNN__K_NAME "avx2"
#define EEGNN__K_ATTR __attribute__((target("avx2,fma")))
#define EEGNN__K_VW 8
#define EEGNN__K_MR 6
#define EEGNN__K_NV 2
#define EEGNN__K_FMA(acc, b, a) ((acc) = (EEGNN__KV)_mm256_fmadd_ps((__m256)(b), _mm256_set1_ps(a), (__m256)(acc)))
#else
#define EEGNN__K_ON 0
#endif
