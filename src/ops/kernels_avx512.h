/* Prelude of the AVX-512F copy of src/ops/kernels.c: 16-float vectors, an
 * (8, 48) register tile (24 accumulators of the 32 zmm registers). */
#if EEGNN__CPU_DISPATCH
#define EEGNN__K_ON 1
#define EEGNN__KFN(name) eegnn__##name##_avx512
#define EEGNN__K_NAME "avx512"
#define EEGNN__K_ATTR __attribute__((target("avx512f")))
#define EEGNN__K_VW 16
#define EEGNN__K_MR 8
#define EEGNN__K_NV 3
#define EEGNN__K_FMA(acc, b, a) ((acc) = (EEGNN__KV)_mm512_fmadd_ps((__m512)(b), _mm512_set1_ps(a), (__m512)(acc)))
#else
#define EEGNN__K_ON 0
#endif
