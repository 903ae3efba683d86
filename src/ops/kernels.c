/* The vector micro-kernels of one CPU path (see src/ops/kernels.h). This
 * file is amalgamated once per path, after the prelude that defines:
 * EEGNN__K_ON (0: skip this copy), EEGNN__KFN(name) (the path's function
 * names), EEGNN__K_NAME, EEGNN__K_ATTR (target attribute), EEGNN__K_VW
 * (floats per vector), EEGNN__K_MR and EEGNN__K_NV (register tile of MR
 * rows by NV vectors) and EEGNN__K_FMA(acc, b, a) (acc += b * a, b a
 * vector, a a scalar). It defines the table EEGNN__KFN(kernels) and undefines
 * every macro it was given. The vectors are GCC/Clang vector extensions;
 * without them the kernels are plain C loops. */
#if EEGNN__K_ON

#if EEGNN__GEMM_VECTOR
typedef float EEGNN__KFN(vf) __attribute__((vector_size(EEGNN__K_VW * sizeof(float))));
typedef int32_t EEGNN__KFN(vi) __attribute__((vector_size(EEGNN__K_VW * sizeof(int32_t))));
typedef uint32_t EEGNN__KFN(vu) __attribute__((vector_size(EEGNN__K_VW * sizeof(uint32_t))));
typedef double EEGNN__KFN(vd) __attribute__((vector_size(EEGNN__K_VW * sizeof(double))));
#define EEGNN__KV EEGNN__KFN(vf)
#define EEGNN__KVI EEGNN__KFN(vi)
#define EEGNN__KVU EEGNN__KFN(vu)
#define EEGNN__KVD EEGNN__KFN(vd)
#define EEGNN__KNR (EEGNN__K_NV * EEGNN__K_VW)

#if EEGNN__K_MR == 8
#define EEGNN__KROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#else
#define EEGNN__KROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#endif

/* c[0..VW) = alpha * v + beta * c[0..VW), not reading c when beta == 0. */
#define EEGNN__KSTORE(cp, v)                                                                                 \
    do {                                                                                                     \
        EEGNN__KV o_ = (v)*alpha;                                                                            \
        if (beta != 0.0f) {                                                                                  \
            EEGNN__KV t_;                                                                                    \
            memcpy(&t_, (cp), sizeof t_);                                                                    \
            o_ += t_ * beta;                                                                                 \
        }                                                                                                    \
        memcpy((cp), &o_, sizeof o_);                                                                        \
    } while (0)

/* Register tiles of MR rows and 1, 2 or 3 vectors: declare the
 * accumulators, load one row of the B sliver, multiply-add one column of
 * the A sliver, store. */
#define EEGNN__KDECL1(i) EEGNN__KV c##i##_0 = zero;
#define EEGNN__KDECL2(i) EEGNN__KV c##i##_0 = zero, c##i##_1 = zero;
#define EEGNN__KDECL3(i) EEGNN__KV c##i##_0 = zero, c##i##_1 = zero, c##i##_2 = zero;
#define EEGNN__KLOAD1 memcpy(&b0, bp, sizeof b0);
#define EEGNN__KLOAD2 EEGNN__KLOAD1 memcpy(&b1, bp + EEGNN__K_VW, sizeof b1);
#define EEGNN__KLOAD3 EEGNN__KLOAD2 memcpy(&b2, bp + 2 * EEGNN__K_VW, sizeof b2);
#define EEGNN__KFMA1(i) EEGNN__K_FMA(c##i##_0, b0, ap[i]);
#define EEGNN__KFMA2(i) EEGNN__KFMA1(i) EEGNN__K_FMA(c##i##_1, b1, ap[i]);
#define EEGNN__KFMA3(i) EEGNN__KFMA2(i) EEGNN__K_FMA(c##i##_2, b2, ap[i]);
#define EEGNN__KSTORE1(i) EEGNN__KSTORE(c + (size_t)(i)*ldc, c##i##_0);
#define EEGNN__KSTORE2(i) EEGNN__KSTORE1(i) EEGNN__KSTORE(c + (size_t)(i)*ldc + EEGNN__K_VW, c##i##_1);
#define EEGNN__KSTORE3(i) EEGNN__KSTORE2(i) EEGNN__KSTORE(c + (size_t)(i)*ldc + 2 * EEGNN__K_VW, c##i##_2);

/* C tile (MR, NV' * VW) = alpha * A sliver (MR, kc) @ B sliver (kc, NR) + beta * C. */
#define EEGNN__KGEMM(nvs, DECL, LOAD, FMA, STORE)                                                            \
    EEGNN__K_ATTR static void EEGNN__KFN(gemm##nvs)(int kc, const float *ap, const float *bp, float alpha,     \
                                                   float beta, float *c, int ldc) {                          \
        EEGNN__KV zero = {0};                                                                                \
        EEGNN__KV b0, b1, b2;                                                                                \
        int p;                                                                                               \
        EEGNN__KROWS(DECL)                                                                                   \
        (void)b1;                                                                                            \
        (void)b2;                                                                                            \
        for (p = 0; p < kc; p++) {                                                                           \
            LOAD EEGNN__KROWS(FMA) ap += EEGNN__K_MR;                                                        \
            bp += EEGNN__KNR;                                                                                \
        }                                                                                                    \
        EEGNN__KROWS(STORE)                                                                                  \
    }
/* Row-convolution tile: C (MR, NV' * VW) = A sliver (MR, cpg * kw) @ B,
 * row (ci, j) of B being the vector at b + ci * ldb + j * dil. */
#define EEGNN__KROWCONV(nvs, DECL, LOAD, FMA, STORE)                                                         \
    EEGNN__K_ATTR static void EEGNN__KFN(row_conv##nvs)(int cpg, int kw, int dil, const float *ap, const float *b, \
                                                       int ldb, float *c, int ldc) {                         \
        EEGNN__KV zero = {0};                                                                                \
        EEGNN__KV b0, b1, b2;                                                                                \
        const float *bp;                                                                                     \
        const float alpha = 1.0f, beta = 0.0f;                                                               \
        int ci, j;                                                                                           \
        EEGNN__KROWS(DECL)                                                                                   \
        (void)b1;                                                                                            \
        (void)b2;                                                                                            \
        for (ci = 0; ci < cpg; ci++) {                                                                       \
            bp = b + (size_t)ci * ldb;                                                                       \
            for (j = 0; j < kw; j++) {                                                                       \
                LOAD EEGNN__KROWS(FMA) ap += EEGNN__K_MR;                                                    \
                bp += dil;                                                                                   \
            }                                                                                                \
        }                                                                                                    \
        EEGNN__KROWS(STORE)                                                                                  \
    }
/* Rows-times-matrix tile: C (MR, NV' * VW) += sum_{p < len} A_r[p] * B[p, :],
 * A_r the MR rows at ar[r] (any addresses: shifted rows of a padded input),
 * B rows ldb apart. */
#define EEGNN__KFMAR1(i) EEGNN__K_FMA(c##i##_0, b0, a##i[p]);
#define EEGNN__KFMAR2(i) EEGNN__KFMAR1(i) EEGNN__K_FMA(c##i##_1, b1, a##i[p]);
#define EEGNN__KFMAR3(i) EEGNN__KFMAR2(i) EEGNN__K_FMA(c##i##_2, b2, a##i[p]);
#define EEGNN__KAROW(i) const float *a##i = ar[i];
#define EEGNN__KROWSMM(nvs, DECL, LOAD, FMA, STORE)                                                          \
    EEGNN__K_ATTR static void EEGNN__KFN(rows_mm##nvs)(int len, const float *const *ar, const float *bp,     \
                                                        int ldb, float *c, int ldc) {                        \
        EEGNN__KV zero = {0};                                                                                \
        EEGNN__KV b0, b1, b2;                                                                                \
        const float alpha = 1.0f, beta = 1.0f;                                                               \
        int p;                                                                                               \
        EEGNN__KROWS(EEGNN__KAROW)                                                                           \
        EEGNN__KROWS(DECL)                                                                                   \
        (void)b1;                                                                                            \
        (void)b2;                                                                                            \
        for (p = 0; p < len; p++) {                                                                          \
            LOAD EEGNN__KROWS(FMA) bp += ldb;                                                                \
        }                                                                                                    \
        EEGNN__KROWS(STORE)                                                                                  \
    }
EEGNN__KROWSMM(1, EEGNN__KDECL1, EEGNN__KLOAD1, EEGNN__KFMAR1, EEGNN__KSTORE1)
EEGNN__KROWSMM(2, EEGNN__KDECL2, EEGNN__KLOAD2, EEGNN__KFMAR2, EEGNN__KSTORE2)
#if EEGNN__K_NV == 3
EEGNN__KROWSMM(3, EEGNN__KDECL3, EEGNN__KLOAD3, EEGNN__KFMAR3, EEGNN__KSTORE3)
#endif

EEGNN__K_ATTR static void EEGNN__KFN(rows_mm)(int nv, int len, const float *const *ar, const float *b, int ldb,
                                              float *c, int ldc) {
#if EEGNN__K_NV == 3
    if (nv == 3) {
        EEGNN__KFN(rows_mm3)(len, ar, b, ldb, c, ldc);
        return;
    }
#endif
    if (nv == 2)
        EEGNN__KFN(rows_mm2)(len, ar, b, ldb, c, ldc);
    else
        EEGNN__KFN(rows_mm1)(len, ar, b, ldb, c, ldc);
}

EEGNN__KGEMM(1, EEGNN__KDECL1, EEGNN__KLOAD1, EEGNN__KFMA1, EEGNN__KSTORE1)
EEGNN__KGEMM(2, EEGNN__KDECL2, EEGNN__KLOAD2, EEGNN__KFMA2, EEGNN__KSTORE2)
EEGNN__KROWCONV(1, EEGNN__KDECL1, EEGNN__KLOAD1, EEGNN__KFMA1, EEGNN__KSTORE1)
EEGNN__KROWCONV(2, EEGNN__KDECL2, EEGNN__KLOAD2, EEGNN__KFMA2, EEGNN__KSTORE2)
#if EEGNN__K_NV == 3
EEGNN__KGEMM(3, EEGNN__KDECL3, EEGNN__KLOAD3, EEGNN__KFMA3, EEGNN__KSTORE3)
EEGNN__KROWCONV(3, EEGNN__KDECL3, EEGNN__KLOAD3, EEGNN__KFMA3, EEGNN__KSTORE3)
#endif

EEGNN__K_ATTR static void EEGNN__KFN(gemm)(int nv, int kc, const float *ap, const float *bp, float alpha, float beta,
                                         float *c, int ldc) {
#if EEGNN__K_NV == 3
    if (nv == 3) {
        EEGNN__KFN(gemm3)(kc, ap, bp, alpha, beta, c, ldc);
        return;
    }
#endif
    if (nv == 2)
        EEGNN__KFN(gemm2)(kc, ap, bp, alpha, beta, c, ldc);
    else
        EEGNN__KFN(gemm1)(kc, ap, bp, alpha, beta, c, ldc);
}

EEGNN__K_ATTR static void EEGNN__KFN(row_conv)(int nv, int cpg, int kw, int dil, const float *ap, const float *b,
                                             int ldb, float *c) {
#if EEGNN__K_NV == 3
    if (nv == 3) {
        EEGNN__KFN(row_conv3)(cpg, kw, dil, ap, b, ldb, c, EEGNN__KNR);
        return;
    }
#endif
    if (nv == 2)
        EEGNN__KFN(row_conv2)(cpg, kw, dil, ap, b, ldb, c, EEGNN__KNR);
    else
        EEGNN__KFN(row_conv1)(cpg, kw, dil, ap, b, ldb, c, EEGNN__KNR);
}

/* Stores alpha * v (+ what is there when accumulate) at o. */
#define EEGNN__KSTORE_ACC(o, v)                                                                              \
    do {                                                                                                     \
        EEGNN__KV v_ = (v)*alpha;                                                                            \
        if (accumulate) {                                                                                    \
            EEGNN__KV t_;                                                                                    \
            memcpy(&t_, (o), sizeof t_);                                                                     \
            v_ += t_;                                                                                        \
        }                                                                                                    \
        memcpy((o), &v_, sizeof v_);                                                                         \
    } while (0)

/* Register-blocked on 4 rows of out by 1 or 2 vectors. */
EEGNN__K_ATTR static void EEGNN__KFN(small_mm)(int n, int len, int ncols, const float *w, size_t wi, size_t wl,
                                             const float *x, int ldx, float alpha, int accumulate, float *out,
                                             int ldo) {
    int i, j, l, r;
    EEGNN__KV zero = {0};
    for (i = 0; i < n; i += 4) {
        int nr = n - i < 4 ? n - i : 4;
        const float *w0 = w + (size_t)i * wi, *w1 = nr > 1 ? w0 + wi : w0, *w2 = nr > 2 ? w0 + 2 * wi : w0;
        const float *w3 = nr > 3 ? w0 + 3 * wi : w0;
        for (j = 0; j < ncols; j += EEGNN__K_VW) {
            EEGNN__KV acc[8];
            int nv = j + 2 * EEGNN__K_VW <= ncols ? 2 : 1;
            if (nv == 2) {
                EEGNN__KV a0 = zero, a1 = zero, a2 = zero, a3 = zero, b0 = zero, b1 = zero, b2 = zero, b3 = zero;
                EEGNN__KV x0, x1;
                for (l = 0; l < len; l++) {
                    size_t o = (size_t)l * wl;
                    memcpy(&x0, x + (size_t)l * ldx + j, sizeof x0);
                    memcpy(&x1, x + (size_t)l * ldx + j + EEGNN__K_VW, sizeof x1);
                    EEGNN__K_FMA(a0, x0, w0[o]);
                    EEGNN__K_FMA(b0, x1, w0[o]);
                    EEGNN__K_FMA(a1, x0, w1[o]);
                    EEGNN__K_FMA(b1, x1, w1[o]);
                    EEGNN__K_FMA(a2, x0, w2[o]);
                    EEGNN__K_FMA(b2, x1, w2[o]);
                    EEGNN__K_FMA(a3, x0, w3[o]);
                    EEGNN__K_FMA(b3, x1, w3[o]);
                }
                acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
                acc[4] = b0, acc[5] = b1, acc[6] = b2, acc[7] = b3;
            } else {
                EEGNN__KV a0 = zero, a1 = zero, a2 = zero, a3 = zero, x0;
                for (l = 0; l < len; l++) {
                    size_t o = (size_t)l * wl;
                    memcpy(&x0, x + (size_t)l * ldx + j, sizeof x0);
                    EEGNN__K_FMA(a0, x0, w0[o]);
                    EEGNN__K_FMA(a1, x0, w1[o]);
                    EEGNN__K_FMA(a2, x0, w2[o]);
                    EEGNN__K_FMA(a3, x0, w3[o]);
                }
                acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
            }
            for (r = 0; r < nr; r++) {
                float *o = out + (size_t)(i + r) * ldo + j;
                EEGNN__KSTORE_ACC(o, acc[r]);
                if (nv == 2) EEGNN__KSTORE_ACC(o + EEGNN__K_VW, acc[4 + r]);
            }
            j += (nv - 1) * EEGNN__K_VW;
        }
    }
}

/* Range reduction to |r| <= ln2/2 and a double-precision polynomial (within
 * about 0.5 ulp once rounded); arguments below -87.3 give 0. */
EEGNN__K_ATTR static float EEGNN__KFN(exp_row)(float *s, int n, float m) {
    int c, i;
    EEGNN__KV acc = {0}, mv, lo, hi;
    float sum = 0.0f;
    for (i = 0; i < EEGNN__K_VW; i++) {
        mv[i] = m;
        lo[i] = -87.3f;
        hi[i] = 88.0f;
    }
    for (c = 0; c < n; c += EEGNN__K_VW) {
        EEGNN__KV x, fx, nf, y;
        EEGNN__KVI ni, under, over;
        memcpy(&x, s + c, sizeof x);
        x -= mv;
        under = x < lo;
        over = x > hi;
        x = (EEGNN__KV)(((EEGNN__KVI)x & ~over) | ((EEGNN__KVI)hi & over));
        x = (EEGNN__KV)(((EEGNN__KVI)x & ~under) | ((EEGNN__KVI)lo & under));
        /* x = n ln2 + r, |r| <= ln2 / 2; exp(r) by its degree-7 Taylor
         * polynomial in double (truncation error below 1e-8 relative) */
        fx = x * 1.44269504088896341f + 0.5f;
        ni = __builtin_convertvector(fx, EEGNN__KVI);
        nf = __builtin_convertvector(ni, EEGNN__KV);
        ni += (EEGNN__KVI)(nf > fx); /* floor: -1 where truncation rounded up */
        {
            EEGNN__KVD rd = __builtin_convertvector(x, EEGNN__KVD) -
                            __builtin_convertvector(ni, EEGNN__KVD) * 0.6931471805599453;
            EEGNN__KVD pd = rd * (1.0 / 5040) + 1.0 / 720;
            pd = pd * rd + 1.0 / 120;
            pd = pd * rd + 1.0 / 24;
            pd = pd * rd + 1.0 / 6;
            pd = pd * rd + 0.5;
            pd = pd * rd + 1.0;
            pd = pd * rd + 1.0;
            y = __builtin_convertvector(pd, EEGNN__KV);
        }
        y *= (EEGNN__KV)((ni + 127) << 23);
        y = (EEGNN__KV)((EEGNN__KVI)y & ~under);
        memcpy(s + c, &y, sizeof y);
        acc += y;
    }
    for (i = 0; i < EEGNN__K_VW; i++) sum += acc[i];
    return sum;
}

EEGNN__K_ATTR static float EEGNN__KFN(dot)(const float *a, const float *b, int n) {
    float sum = 0.0f;
    int c;
    EEGNN__KV acc = {0}, x, y;
    for (c = 0; c < n; c += EEGNN__K_VW) {
        memcpy(&x, a + c, sizeof x);
        memcpy(&y, b + c, sizeof y);
        acc += x * y;
    }
    for (c = 0; c < EEGNN__K_VW; c++) sum += acc[c];
    return sum;
}

EEGNN__K_ATTR static int EEGNN__KFN(keep_mask)(uint32_t key, uint32_t threshold, float scale, int n, float *keep) {
    EEGNN__KVU idx, hv;
    EEGNN__KV sv;
    int c;
    for (c = 0; c < EEGNN__K_VW; c++) {
        idx[c] = (uint32_t)c;
        sv[c] = scale;
    }
    for (c = 0; c + EEGNN__K_VW <= n; c += EEGNN__K_VW) {
        EEGNN__KV f;
        hv = (idx + (uint32_t)c) * 0x9E3779B9u + key;
        hv ^= hv >> 16;
        hv *= 0x7FEB352Du;
        hv ^= hv >> 15;
        hv *= 0x846CA68Bu;
        hv ^= hv >> 16;
        f = (EEGNN__KV)((EEGNN__KVI)sv & (EEGNN__KVI)(hv >= threshold));
        memcpy(keep + c, &f, sizeof f);
    }
    return c;
}

#undef EEGNN__KV
#undef EEGNN__KVI
#undef EEGNN__KVU
#undef EEGNN__KVD
#undef EEGNN__KNR
#undef EEGNN__KROWS
#undef EEGNN__KSTORE
#undef EEGNN__KDECL1
#undef EEGNN__KDECL2
#undef EEGNN__KDECL3
#undef EEGNN__KLOAD1
#undef EEGNN__KLOAD2
#undef EEGNN__KLOAD3
#undef EEGNN__KFMA1
#undef EEGNN__KFMA2
#undef EEGNN__KFMA3
#undef EEGNN__KSTORE1
#undef EEGNN__KSTORE2
#undef EEGNN__KSTORE3
#undef EEGNN__KGEMM
#undef EEGNN__KFMAR1
#undef EEGNN__KFMAR2
#undef EEGNN__KFMAR3
#undef EEGNN__KAROW
#undef EEGNN__KROWSMM
#undef EEGNN__KROWCONV
#undef EEGNN__KSTORE_ACC

#else /* plain C */

static void EEGNN__KFN(gemm)(int nv, int kc, const float *ap, const float *bp, float alpha, float beta, float *c,
                           int ldc) {
    float acc[EEGNN__K_MR][EEGNN__K_NV * EEGNN__K_VW];
    int p, i, j, nr = nv * EEGNN__K_VW;
    memset(acc, 0, sizeof acc);
    for (p = 0; p < kc; p++) {
        for (i = 0; i < EEGNN__K_MR; i++) {
            float a_ = ap[i];
            for (j = 0; j < nr; j++) acc[i][j] += a_ * bp[j];
        }
        ap += EEGNN__K_MR;
        bp += EEGNN__K_NV * EEGNN__K_VW;
    }
    for (i = 0; i < EEGNN__K_MR; i++) {
        float *cr = c + (size_t)i * ldc;
        for (j = 0; j < nr; j++) cr[j] = alpha * acc[i][j] + (beta != 0.0f ? beta * cr[j] : 0.0f);
    }
}

static void EEGNN__KFN(row_conv)(int nv, int cpg, int kw, int dil, const float *ap, const float *b, int ldb, float *c) {
    int ci, j, i, s, nr = nv * EEGNN__K_VW, ldc = EEGNN__K_NV * EEGNN__K_VW;
    for (i = 0; i < EEGNN__K_MR; i++)
        for (s = 0; s < nr; s++) c[i * ldc + s] = 0.0f;
    for (ci = 0; ci < cpg; ci++)
        for (j = 0; j < kw; j++) {
            const float *bp = b + (size_t)ci * ldb + (size_t)j * dil;
            for (i = 0; i < EEGNN__K_MR; i++) {
                float a_ = ap[i];
                for (s = 0; s < nr; s++) c[i * ldc + s] += a_ * bp[s];
            }
            ap += EEGNN__K_MR;
        }
}

static void EEGNN__KFN(rows_mm)(int nv, int len, const float *const *ar, const float *b, int ldb, float *c,
                                int ldc) {
    int p, i, j, nr = nv * EEGNN__K_VW;
    for (i = 0; i < EEGNN__K_MR; i++)
        for (p = 0; p < len; p++) {
            float a_ = ar[i][p];
            for (j = 0; j < nr; j++) c[(size_t)i * ldc + j] += a_ * b[(size_t)p * ldb + j];
        }
}

static void EEGNN__KFN(small_mm)(int n, int len, int ncols, const float *w, size_t wi, size_t wl, const float *x,
                               int ldx, float alpha, int accumulate, float *out, int ldo) {
    int i, j, l;
    for (i = 0; i < n; i++) {
        float *o = out + (size_t)i * ldo;
        if (!accumulate)
            for (j = 0; j < ncols; j++) o[j] = 0.0f;
        for (l = 0; l < len; l++) {
            float a = alpha * w[(size_t)i * wi + (size_t)l * wl];
            const float *xr = x + (size_t)l * ldx;
            for (j = 0; j < ncols; j++) o[j] += a * xr[j];
        }
    }
}

static float EEGNN__KFN(exp_row)(float *s, int n, float m) {
    int c;
    float sum = 0.0f;
    for (c = 0; c < n; c++) {
        s[c] = expf(s[c] - m);
        sum += s[c];
    }
    return sum;
}

static float EEGNN__KFN(dot)(const float *a, const float *b, int n) {
    float sum = 0.0f;
    int c;
    for (c = 0; c < n; c++) sum += a[c] * b[c];
    return sum;
}

static int EEGNN__KFN(keep_mask)(uint32_t key, uint32_t threshold, float scale, int n, float *keep) {
    (void)key;
    (void)threshold;
    (void)scale;
    (void)n;
    (void)keep;
    return 0;
}

#endif /* EEGNN__GEMM_VECTOR */

static const eegnn__cpu_kernels EEGNN__KFN(kernels) = {
    EEGNN__K_NAME,      EEGNN__K_VW,        EEGNN__K_MR,    EEGNN__K_NV, EEGNN__K_NV * EEGNN__K_VW,
    EEGNN__KFN(gemm),     EEGNN__KFN(row_conv), EEGNN__KFN(rows_mm), EEGNN__KFN(small_mm), EEGNN__KFN(exp_row), EEGNN__KFN(dot),
    EEGNN__KFN(keep_mask)};

#undef EEGNN__KFN
#undef EEGNN__K_NAME
#undef EEGNN__K_ATTR
#undef EEGNN__K_VW
#undef EEGNN__K_MR
#undef EEGNN__K_NV
#undef EEGNN__K_FMA
#endif /* EEGNN__K_ON */
#undef EEGNN__K_ON
