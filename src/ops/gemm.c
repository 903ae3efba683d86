/* Single-precision matrix product (row-major sgemm).
 *
 * Built-in version: the Goto/BLIS scheme. op(B) is packed in blocks of
 * (KC, NC) as NR-wide column slivers, op(A) in blocks of (MC, KC) as MR-tall
 * row slivers; a register-blocked micro-kernel multiplies one A sliver by
 * one B sliver into an (MR, NR) tile of C held in vector registers (GCC
 * vector extensions, so it compiles to SSE, AVX or AVX-512 depending on the
 * target flags; plain C loops for compilers without them).
 * Threads: the larger of M and N is split into one contiguous range per
 * thread, aligned to the register tile; every element of C is computed by
 * one thread with the same summation order whatever the split.
 * With EEGNN_USE_OPENBLAS every entry point calls cblas_sgemm. */

#ifdef EEGNN_USE_OPENBLAS
#include <cblas.h>
#endif

#if (defined(__GNUC__) || defined(__clang__)) && !defined(EEGNN_NO_VECTOR_EXTENSIONS)
#define EEGNN__GEMM_VECTOR 1
#if defined(__AVX512F__)
#define EEGNN__VW 16 /* floats per vector */
#define EEGNN__MR 8
#define EEGNN__NV 3 /* vectors per tile row: NR = NV * VW */
#elif defined(__AVX__)
#define EEGNN__VW 8
#define EEGNN__MR 6
#define EEGNN__NV 2
#else
#define EEGNN__VW 4
#define EEGNN__MR 6
#define EEGNN__NV 2
#endif
typedef float eegnn__vf __attribute__((vector_size(EEGNN__VW * sizeof(float))));
/* acc += b * a (a scalar). Fused multiply-add spelled out with intrinsics,
 * since ISO C modes (-std=c99) turn off GCC's contraction of a*b+c. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define EEGNN__VFMA(acc, b, a) ((acc) = (eegnn__vf)_mm512_fmadd_ps((__m512)(b), _mm512_set1_ps(a), (__m512)(acc)))
#elif defined(__AVX__) && defined(__FMA__)
#include <immintrin.h>
#define EEGNN__VFMA(acc, b, a) ((acc) = (eegnn__vf)_mm256_fmadd_ps((__m256)(b), _mm256_set1_ps(a), (__m256)(acc)))
#else
#define EEGNN__VFMA(acc, b, a) ((acc) += (b) * (a))
#endif
#else
#define EEGNN__GEMM_VECTOR 0
#define EEGNN__VW 4
#define EEGNN__MR 4
#define EEGNN__NV 2
#endif

#define EEGNN__NR (EEGNN__NV * EEGNN__VW)
#define EEGNN__KC 256
#define EEGNN__MC (EEGNN__MR * 24)
#define EEGNN__NC (EEGNN__NR * 16)

/* Fills rows p0..p0+kc-1, columns j0..j0+nc-1 of a B operand into packed
 * slivers of EEGNN__NR columns: bp[(s / NR * kc + p) * NR + s % NR] holds
 * B(p0 + p, j0 + s), zero in the columns past nc of the last sliver. */
typedef void (*eegnn__pack_b_fn)(const void *ctx, int p0, int kc, int j0, int nc, float *bp);

/* Floats of workspace one serial call needs: packed A (MC, KC) and packed
 * B (KC, NC) blocks. */
EEGNN__PRIVATE size_t eegnn__sgemm_work_floats(void) {
    return (size_t)EEGNN__MC * EEGNN__KC + (size_t)EEGNN__KC * EEGNN__NC + 16u;
}

/* C (m, n) = beta * C, where beta == 0 writes zeros (ignores NaN in C). */
static void eegnn__gemm_scale_c(int m, int n, float beta, float *c, int ldc) {
    int i, j;
    if (beta == 1.0f) return;
    for (i = 0; i < m; i++) {
        float *cr = c + (size_t)i * ldc;
        if (beta == 0.0f)
            for (j = 0; j < n; j++) cr[j] = 0.0f;
        else
            for (j = 0; j < n; j++) cr[j] *= beta;
    }
}

#ifndef EEGNN_USE_OPENBLAS

/* Packs rows i0..i0+mc-1, columns p0..p0+kc-1 of op(A) into MR-row slivers:
 * ap[(sliver * kc + p) * MR + r], zero rows past the end. */
static void eegnn__gemm_pack_a(int trans_a, const float *a, int lda, int i0, int mc, int p0, int kc, float *ap) {
    int is, r, p;
    for (is = 0; is < mc; is += EEGNN__MR) {
        int mr = EEGNN__MIN(EEGNN__MR, mc - is);
        float *dst = ap + (size_t)is * kc;
        if (!trans_a) {
            for (r = 0; r < mr; r++) {
                const float *src = a + (size_t)(i0 + is + r) * lda + p0;
                for (p = 0; p < kc; p++) dst[(size_t)p * EEGNN__MR + r] = src[p];
            }
            for (r = mr; r < EEGNN__MR; r++)
                for (p = 0; p < kc; p++) dst[(size_t)p * EEGNN__MR + r] = 0.0f;
        } else {
            for (p = 0; p < kc; p++) {
                const float *src = a + (size_t)(p0 + p) * lda + i0 + is;
                float *d = dst + (size_t)p * EEGNN__MR;
                for (r = 0; r < mr; r++) d[r] = src[r];
                for (r = mr; r < EEGNN__MR; r++) d[r] = 0.0f;
            }
        }
    }
}

/* Packs rows p0..p0+kc-1, columns j0..j0+nc-1 of op(B) into NR-column
 * slivers: bp[(sliver * kc + p) * NR + s], zero columns past the end. */
static void eegnn__gemm_pack_b(int trans_b, const float *b, int ldb, int p0, int kc, int j0, int nc, float *bp) {
    int js, s, p;
    for (js = 0; js < nc; js += EEGNN__NR) {
        int nr = EEGNN__MIN(EEGNN__NR, nc - js);
        float *dst = bp + (size_t)js * kc;
        if (!trans_b) {
            for (p = 0; p < kc; p++) {
                const float *src = b + (size_t)(p0 + p) * ldb + j0 + js;
                float *d = dst + (size_t)p * EEGNN__NR;
                if (nr == EEGNN__NR) {
                    memcpy(d, src, EEGNN__NR * sizeof(float));
                } else {
                    for (s = 0; s < nr; s++) d[s] = src[s];
                    for (s = nr; s < EEGNN__NR; s++) d[s] = 0.0f;
                }
            }
        } else {
            for (s = 0; s < nr; s++) {
                const float *src = b + (size_t)(j0 + js + s) * ldb + p0;
                for (p = 0; p < kc; p++) dst[(size_t)p * EEGNN__NR + s] = src[p];
            }
            for (s = nr; s < EEGNN__NR; s++)
                for (p = 0; p < kc; p++) dst[(size_t)p * EEGNN__NR + s] = 0.0f;
        }
    }
}

#if EEGNN__GEMM_VECTOR

#if EEGNN__MR == 8
#define EEGNN__ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#elif EEGNN__MR == 6
#define EEGNN__ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#endif

/* c[0..VW) = alpha * v + beta * c[0..VW), not reading c when beta == 0. */
#define EEGNN__STORE_VEC(cp, v)                                                                              \
    do {                                                                                                     \
        eegnn__vf o_ = (v)*alpha;                                                                            \
        if (beta != 0.0f) {                                                                                  \
            eegnn__vf t_;                                                                                    \
            memcpy(&t_, (cp), sizeof t_);                                                                    \
            o_ += t_ * beta;                                                                                 \
        }                                                                                                    \
        memcpy((cp), &o_, sizeof o_);                                                                        \
    } while (0)

/* Register tiles of MR rows and 1, 2 or 3 vectors (NV1..NV3): declare the
 * accumulators, load one row of the B sliver, multiply-add one column of
 * the A sliver, store. */
#define EEGNN__K_DECL1(i) eegnn__vf c##i##_0 = zero;
#define EEGNN__K_DECL2(i) eegnn__vf c##i##_0 = zero, c##i##_1 = zero;
#define EEGNN__K_DECL3(i) eegnn__vf c##i##_0 = zero, c##i##_1 = zero, c##i##_2 = zero;
#define EEGNN__K_LOAD1 memcpy(&b0, bp, sizeof b0);
#define EEGNN__K_LOAD2 EEGNN__K_LOAD1 memcpy(&b1, bp + EEGNN__VW, sizeof b1);
#define EEGNN__K_LOAD3 EEGNN__K_LOAD2 memcpy(&b2, bp + 2 * EEGNN__VW, sizeof b2);
#define EEGNN__K_FMA1(i) EEGNN__VFMA(c##i##_0, b0, ap[i]);
#define EEGNN__K_FMA2(i) EEGNN__K_FMA1(i) EEGNN__VFMA(c##i##_1, b1, ap[i]);
#define EEGNN__K_FMA3(i) EEGNN__K_FMA2(i) EEGNN__VFMA(c##i##_2, b2, ap[i]);
#define EEGNN__K_STORE1(i) EEGNN__STORE_VEC(c + (size_t)(i)*ldc, c##i##_0);
#define EEGNN__K_STORE2(i) EEGNN__K_STORE1(i) EEGNN__STORE_VEC(c + (size_t)(i)*ldc + EEGNN__VW, c##i##_1);
#define EEGNN__K_STORE3(i) EEGNN__K_STORE2(i) EEGNN__STORE_VEC(c + (size_t)(i)*ldc + 2 * EEGNN__VW, c##i##_2);

/* C tile (MR, nv * VW) = alpha * Asliver (MR, kc) @ Bsliver (kc, NR)[:, :nv*VW] + beta * C. */
#define EEGNN__DEFINE_KERNEL(name, DECL, LOAD, FMA, STORE)                                                   \
    static void name(int kc, const float *ap, const float *bp, float alpha, float beta, float *c, int ldc) { \
        eegnn__vf zero = {0};                                                                                \
        eegnn__vf b0, b1, b2;                                                                                \
        int p;                                                                                               \
        EEGNN__ROWS(DECL)                                                                                    \
        (void)b1;                                                                                            \
        (void)b2;                                                                                            \
        for (p = 0; p < kc; p++) {                                                                           \
            LOAD EEGNN__ROWS(FMA) ap += EEGNN__MR;                                                           \
            bp += EEGNN__NR;                                                                                 \
        }                                                                                                    \
        EEGNN__ROWS(STORE)                                                                                   \
    }
EEGNN__DEFINE_KERNEL(eegnn__gemm_kernel1, EEGNN__K_DECL1, EEGNN__K_LOAD1, EEGNN__K_FMA1, EEGNN__K_STORE1)
EEGNN__DEFINE_KERNEL(eegnn__gemm_kernel2, EEGNN__K_DECL2, EEGNN__K_LOAD2, EEGNN__K_FMA2, EEGNN__K_STORE2)
#if EEGNN__NV == 3
EEGNN__DEFINE_KERNEL(eegnn__gemm_kernel3, EEGNN__K_DECL3, EEGNN__K_LOAD3, EEGNN__K_FMA3, EEGNN__K_STORE3)
#endif

/* Row-convolution tile (implicit unfolding, no packed B): C (MR, nv * VW)
 * = A sliver (MR, cpg * kw) @ B, where row (ci, j) of B is the vector at
 * b + ci * ldb + j * dil, i.e. tap j of input row ci of a zero-padded row
 * convolution. C is written (ldc), not accumulated. */
#define EEGNN__DEFINE_ROW_CONV(name, DECL, LOAD, FMA, STORE)                                                  \
    static void name(int cpg, int kw, int dil, const float *ap, const float *b, int ldb, float *c, int ldc) { \
        eegnn__vf zero = {0};                                                                                \
        eegnn__vf b0, b1, b2;                                                                                \
        const float *bp;                                                                                     \
        const float alpha = 1.0f, beta = 0.0f;                                                               \
        int ci, j;                                                                                           \
        EEGNN__ROWS(DECL)                                                                                    \
        (void)b1;                                                                                            \
        (void)b2;                                                                                            \
        for (ci = 0; ci < cpg; ci++) {                                                                       \
            bp = b + (size_t)ci * ldb;                                                                       \
            for (j = 0; j < kw; j++) {                                                                       \
                LOAD EEGNN__ROWS(FMA) ap += EEGNN__MR;                                                       \
                bp += dil;                                                                                   \
            }                                                                                                \
        }                                                                                                    \
        EEGNN__ROWS(STORE)                                                                                   \
    }
EEGNN__DEFINE_ROW_CONV(eegnn__row_conv_kernel1, EEGNN__K_DECL1, EEGNN__K_LOAD1, EEGNN__K_FMA1, EEGNN__K_STORE1)
EEGNN__DEFINE_ROW_CONV(eegnn__row_conv_kernel2, EEGNN__K_DECL2, EEGNN__K_LOAD2, EEGNN__K_FMA2, EEGNN__K_STORE2)
#if EEGNN__NV == 3
EEGNN__DEFINE_ROW_CONV(eegnn__row_conv_kernel3, EEGNN__K_DECL3, EEGNN__K_LOAD3, EEGNN__K_FMA3, EEGNN__K_STORE3)
#endif

/* Row-convolution tile of the first nv vectors (see above); C has NR columns. */
EEGNN__PRIVATE void eegnn__row_conv_tile(int nv, int cpg, int kw, int dil, const float *ap, const float *b, int ldb,
                                         float *c) {
#if EEGNN__NV == 3
    if (nv == 3) {
        eegnn__row_conv_kernel3(cpg, kw, dil, ap, b, ldb, c, EEGNN__NR);
        return;
    }
#endif
    if (nv == 2)
        eegnn__row_conv_kernel2(cpg, kw, dil, ap, b, ldb, c, EEGNN__NR);
    else
        eegnn__row_conv_kernel1(cpg, kw, dil, ap, b, ldb, c, EEGNN__NR);
}

/* Runs the kernel for the first nv vectors of the tile. */
static void eegnn__gemm_kernel(int nv, int kc, const float *ap, const float *bp, float alpha, float beta, float *c,
                               int ldc) {
#if EEGNN__NV == 3
    if (nv == 3) {
        eegnn__gemm_kernel3(kc, ap, bp, alpha, beta, c, ldc);
        return;
    }
#endif
    if (nv == 2)
        eegnn__gemm_kernel2(kc, ap, bp, alpha, beta, c, ldc);
    else
        eegnn__gemm_kernel1(kc, ap, bp, alpha, beta, c, ldc);
}

#else /* portable C kernel */

static void eegnn__gemm_kernel(int nv, int kc, const float *ap, const float *bp, float alpha, float beta, float *c,
                               int ldc) {
    float acc[EEGNN__MR][EEGNN__NR];
    int p, i, j, nr = nv * EEGNN__VW;
    memset(acc, 0, sizeof acc);
    for (p = 0; p < kc; p++) {
        for (i = 0; i < EEGNN__MR; i++) {
            float a_ = ap[i];
            for (j = 0; j < nr; j++) acc[i][j] += a_ * bp[j];
        }
        ap += EEGNN__MR;
        bp += EEGNN__NR;
    }
    for (i = 0; i < EEGNN__MR; i++) {
        float *cr = c + (size_t)i * ldc;
        for (j = 0; j < nr; j++) cr[j] = alpha * acc[i][j] + (beta != 0.0f ? beta * cr[j] : 0.0f);
    }
}

EEGNN__PRIVATE void eegnn__row_conv_tile(int nv, int cpg, int kw, int dil, const float *ap, const float *b, int ldb,
                                         float *c) {
    int ci, j, i, s, nr = nv * EEGNN__VW;
    for (i = 0; i < EEGNN__MR; i++)
        for (s = 0; s < nr; s++) c[i * EEGNN__NR + s] = 0.0f;
    for (ci = 0; ci < cpg; ci++)
        for (j = 0; j < kw; j++) {
            const float *bp = b + (size_t)ci * ldb + (size_t)j * dil;
            for (i = 0; i < EEGNN__MR; i++) {
                float a_ = ap[i];
                for (s = 0; s < nr; s++) c[i * EEGNN__NR + s] += a_ * bp[s];
            }
            ap += EEGNN__MR;
        }
}

#endif

/* One tile of mr <= MR rows and nr <= NR columns. Tiles that fill whole
 * vectors are written in place; others go through a local tile. */
static void eegnn__gemm_tile(int kc, const float *ap, const float *bp, float alpha, float beta, float *c, int ldc,
                             int mr, int nr) {
    float tile[EEGNN__MR * EEGNN__NR];
    int i, j, nv = (nr + EEGNN__VW - 1) / EEGNN__VW;
    if (mr == EEGNN__MR && nr == nv * EEGNN__VW) {
        eegnn__gemm_kernel(nv, kc, ap, bp, alpha, beta, c, ldc);
        return;
    }
    eegnn__gemm_kernel(nv, kc, ap, bp, 1.0f, 0.0f, tile, EEGNN__NR);
    for (i = 0; i < mr; i++) {
        float *cr = c + (size_t)i * ldc;
        const float *tr = tile + i * EEGNN__NR;
        if (beta == 0.0f)
            for (j = 0; j < nr; j++) cr[j] = alpha * tr[j];
        else
            for (j = 0; j < nr; j++) cr[j] = alpha * tr[j] + beta * cr[j];
    }
}

/* Serial blocked product on the whole problem (m, n, k > 0, alpha != 0);
 * pack_b fills the packed B blocks (see eegnn__gemm_pack_b). */
static void eegnn__sgemm_blocked(int trans_a, int m, int n, int k, float alpha, const float *a, int lda,
                                 eegnn__pack_b_fn pack_b, const void *b_ctx, float beta, float *c, int ldc,
                                 float *work) {
    float *ap = work;
    float *bpk = work + (size_t)EEGNN__MC * EEGNN__KC;
    int jc, pc, ic, jr, ir;
    for (jc = 0; jc < n; jc += EEGNN__NC) {
        int nc = EEGNN__MIN(EEGNN__NC, n - jc);
        for (pc = 0; pc < k; pc += EEGNN__KC) {
            int kc = EEGNN__MIN(EEGNN__KC, k - pc);
            float beta_k = pc == 0 ? beta : 1.0f;
            pack_b(b_ctx, pc, kc, jc, nc, bpk);
            for (ic = 0; ic < m; ic += EEGNN__MC) {
                int mc = EEGNN__MIN(EEGNN__MC, m - ic);
                eegnn__gemm_pack_a(trans_a, a, lda, ic, mc, pc, kc, ap);
                for (jr = 0; jr < nc; jr += EEGNN__NR) {
                    int nr = EEGNN__MIN(EEGNN__NR, nc - jr);
                    const float *bs = bpk + (size_t)jr * kc;
                    for (ir = 0; ir < mc; ir += EEGNN__MR) {
                        int mr = EEGNN__MIN(EEGNN__MR, mc - ir);
                        eegnn__gemm_tile(kc, ap + (size_t)ir * kc, bs, alpha, beta_k,
                                         c + (size_t)(ic + ir) * ldc + jc + jr, ldc, mr, nr);
                    }
                }
            }
        }
    }
}

typedef struct eegnn__gemm_b_matrix {
    int trans_b, ldb;
    const float *b;
} eegnn__gemm_b_matrix;

static void eegnn__gemm_pack_b_matrix(const void *ctx, int p0, int kc, int j0, int nc, float *bp) {
    const eegnn__gemm_b_matrix *bm = (const eegnn__gemm_b_matrix *)ctx;
    eegnn__gemm_pack_b(bm->trans_b, bm->b, bm->ldb, p0, kc, j0, nc, bp);
}

/* Serial product whose B operand (k, n) is produced by a packing callback
 * (e.g. convolution unfolding the input directly into packed panels). */
EEGNN__PRIVATE void eegnn__sgemm_serial_packed_b(int trans_a, int m, int n, int k, float alpha, const float *a,
                                                 int lda, eegnn__pack_b_fn pack_b, const void *b_ctx, float beta,
                                                 float *c, int ldc, float *work) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0.0f) {
        eegnn__gemm_scale_c(m, n, beta, c, ldc);
        return;
    }
    eegnn__sgemm_blocked(trans_a, m, n, k, alpha, a, lda, pack_b, b_ctx, beta, c, ldc, work);
}

#endif /* !EEGNN_USE_OPENBLAS */

/* Serial sgemm for use inside already-parallel loops: same contract as
 * eegnn_sgemm; `work` holds eegnn__sgemm_work_floats() floats (unused under
 * EEGNN_USE_OPENBLAS). */
EEGNN__PRIVATE void eegnn__sgemm_serial(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                                        int lda, const float *b, int ldb, float beta, float *c, int ldc,
                                        float *work) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0.0f) {
        eegnn__gemm_scale_c(m, n, beta, c, ldc);
        return;
    }
#ifdef EEGNN_USE_OPENBLAS
    (void)work;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
                alpha, a, lda, b, ldb, beta, c, ldc);
#else
    eegnn__gemm_b_matrix bm;
    bm.trans_b = trans_b;
    bm.ldb = ldb;
    bm.b = b;
    eegnn__sgemm_blocked(trans_a, m, n, k, alpha, a, lda, eegnn__gemm_pack_b_matrix, &bm, beta, c, ldc, work);
#endif
}

#ifndef EEGNN_USE_OPENBLAS
/* Naive product, used only when no workspace can be allocated. */
static void eegnn__sgemm_naive(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                               const float *b, int ldb, float beta, float *c, int ldc) {
    int i, j, p;
    for (i = 0; i < m; i++) {
        for (j = 0; j < n; j++) {
            float s = 0.0f;
            float *cp = c + (size_t)i * ldc + j;
            for (p = 0; p < k; p++) {
                float av = trans_a ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                float bv = trans_b ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += av * bv;
            }
            *cp = alpha * s + (beta != 0.0f ? beta * *cp : 0.0f);
        }
    }
}

typedef struct eegnn__gemm_job {
    int trans_a, trans_b, m, n, k;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int lda, ldb, ldc;
    int split_n; /* 1: tasks split the columns of C, 0: the rows */
    int unit;    /* MR or NR: split points are multiples of it */
    float *work; /* (n_tasks, work_stride) */
    size_t work_stride;
    eegnn_graph *g; /* when set, task t uses the graph's scratch slot t */
} eegnn__gemm_job;

static void eegnn__gemm_task(void *ctx, int task, int n_tasks) {
    eegnn__gemm_job *j = (eegnn__gemm_job *)ctx;
    int total = j->split_n ? j->n : j->m;
    int units = (total + j->unit - 1) / j->unit;
    int u0 = (int)((long long)units * task / n_tasks), u1 = (int)((long long)units * (task + 1) / n_tasks);
    int lo = u0 * j->unit, hi = EEGNN__MIN(total, u1 * j->unit);
    float *work = j->g ? eegnn_graph_scratch(j->g, task) : j->work + (size_t)task * j->work_stride;
    if (hi <= lo) return;
    if (j->split_n) {
        const float *b = j->trans_b ? j->b + (size_t)lo * j->ldb : j->b + lo;
        eegnn__sgemm_serial(j->trans_a, j->trans_b, j->m, hi - lo, j->k, j->alpha, j->a, j->lda, b, j->ldb, j->beta,
                            j->c + lo, j->ldc, work);
    } else {
        const float *a = j->trans_a ? j->a + lo : j->a + (size_t)lo * j->lda;
        eegnn__sgemm_serial(j->trans_a, j->trans_b, hi - lo, j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb,
                            j->beta, j->c + (size_t)lo * j->ldc, j->ldc, work);
    }
}

#endif

/* Shared driver: splits over the pool when the problem is large enough.
 * Workspace comes from the graph's scratch (g != NULL; the op reserved
 * eegnn__sgemm_work_floats() per slot) or is allocated for this call. */
static void eegnn__sgemm_run(eegnn_threadpool *pool, eegnn_graph *g, int trans_a, int trans_b, int m, int n, int k,
                             float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c,
                             int ldc) {
#ifdef EEGNN_USE_OPENBLAS
    (void)pool;
    (void)g;
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0.0f) {
        eegnn__gemm_scale_c(m, n, beta, c, ldc);
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
                alpha, a, lda, b, ldb, beta, c, ldc);
#else
    eegnn__gemm_job job;
    int n_threads = eegnn_threadpool_size(pool), n_tasks;
    double flops = 2.0 * m * n * k;
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0.0f) {
        eegnn__gemm_scale_c(m, n, beta, c, ldc);
        return;
    }
    memset(&job, 0, sizeof job);
    job.trans_a = trans_a;
    job.trans_b = trans_b;
    job.m = m;
    job.n = n;
    job.k = k;
    job.alpha = alpha;
    job.beta = beta;
    job.a = a;
    job.b = b;
    job.c = c;
    job.lda = lda;
    job.ldb = ldb;
    job.ldc = ldc;
    job.g = g;
    /* split the dimension with more register tiles */
    job.split_n = (n + EEGNN__NR - 1) / EEGNN__NR >= (m + EEGNN__MR - 1) / EEGNN__MR;
    job.unit = job.split_n ? EEGNN__NR : EEGNN__MR;
    n_tasks = n_threads;
    if (flops < 2.0e5) n_tasks = 1;
    {
        int units = ((job.split_n ? n : m) + job.unit - 1) / job.unit;
        if (n_tasks > units) n_tasks = units;
    }
    if (!g) {
        job.work_stride = eegnn__sgemm_work_floats();
        job.work = (float *)EEGNN_MALLOC((size_t)n_tasks * job.work_stride * sizeof(float));
        if (!job.work) {
            eegnn__sgemm_naive(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
    }
    if (n_tasks == 1)
        eegnn__gemm_task(&job, 0, 1);
    else
        eegnn_parallel_for(pool, n_tasks, eegnn__gemm_task, &job);
    if (!g) EEGNN_FREE(job.work);
#endif
}

EEGNN_API void eegnn_sgemm(eegnn_threadpool *pool, int trans_a, int trans_b, int m, int n, int k, float alpha,
                           const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    eegnn__sgemm_run(pool, NULL, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* sgemm on the graph's pool with its scratch as workspace (the op must have
 * called eegnn_graph_reserve_scratch(g, eegnn__sgemm_work_floats())). */
EEGNN__PRIVATE void eegnn__sgemm_graph(eegnn_graph *g, int trans_a, int trans_b, int m, int n, int k, float alpha,
                                       const float *a, int lda, const float *b, int ldb, float beta, float *c,
                                       int ldc) {
    eegnn__sgemm_run(eegnn_graph_pool(g), g, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
