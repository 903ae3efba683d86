/* Single-precision matrix product (row-major sgemm).
 *
 * Built-in version: the Goto/BLIS scheme. op(B) is packed in blocks of
 * (KC, NC) as NR-wide column slivers, op(A) in blocks of (MC, KC) as MR-tall
 * row slivers; a register-blocked micro-kernel multiplies one A sliver by
 * one B sliver into an (MR, NR) tile of C held in vector registers. The
 * micro-kernel and its tile come from the CPU path chosen at run time
 * (src/ops/kernels.h: AVX-512, AVX2 or the baseline).
 * Threads: the larger of M and N is split into one contiguous range per
 * thread, aligned to the register tile; every element of C is computed by
 * one thread with the same summation order whatever the split.
 * With EEGNN_USE_OPENBLAS every entry point calls cblas_sgemm. */

#ifdef EEGNN_USE_OPENBLAS
#include <cblas.h>
#endif

/* Cache blocks of the largest tile, which size the workspace: MC rows of A
 * by KC, KC by NC columns of B (each path blocks by 24 of its tile rows
 * and 16 of its tile columns). */
#define EEGNN__MC (EEGNN__MR_MAX * 24)
#define EEGNN__NC (EEGNN__NR_MAX * 16)

/* Fills rows p0..p0+kc-1, columns j0..j0+nc-1 of a B operand into packed
 * slivers of NR columns (the path's tile): bp[(s / NR * kc + p) * NR + s % NR] holds
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
    const int MR = eegnn__cpu()->mr;
    int is, r, p;
    for (is = 0; is < mc; is += MR) {
        int mr = EEGNN__MIN(MR, mc - is);
        float *dst = ap + (size_t)is * kc;
        if (!trans_a) {
            for (r = 0; r < mr; r++) {
                const float *src = a + (size_t)(i0 + is + r) * lda + p0;
                for (p = 0; p < kc; p++) dst[(size_t)p * MR + r] = src[p];
            }
            for (r = mr; r < MR; r++)
                for (p = 0; p < kc; p++) dst[(size_t)p * MR + r] = 0.0f;
        } else {
            for (p = 0; p < kc; p++) {
                const float *src = a + (size_t)(p0 + p) * lda + i0 + is;
                float *d = dst + (size_t)p * MR;
                for (r = 0; r < mr; r++) d[r] = src[r];
                for (r = mr; r < MR; r++) d[r] = 0.0f;
            }
        }
    }
}

/* Packs rows p0..p0+kc-1, columns j0..j0+nc-1 of op(B) into NR-column
 * slivers: bp[(sliver * kc + p) * NR + s], zero columns past the end. */
static void eegnn__gemm_pack_b(int trans_b, const float *b, int ldb, int p0, int kc, int j0, int nc, float *bp) {
    const int NR = eegnn__cpu()->nr;
    int js, s, p;
    for (js = 0; js < nc; js += NR) {
        int nr = EEGNN__MIN(NR, nc - js);
        float *dst = bp + (size_t)js * kc;
        if (!trans_b) {
            for (p = 0; p < kc; p++) {
                const float *src = b + (size_t)(p0 + p) * ldb + j0 + js;
                float *d = dst + (size_t)p * NR;
                if (nr == NR) {
                    memcpy(d, src, (size_t)NR * sizeof(float));
                } else {
                    for (s = 0; s < nr; s++) d[s] = src[s];
                    for (s = nr; s < NR; s++) d[s] = 0.0f;
                }
            }
        } else {
            for (s = 0; s < nr; s++) {
                const float *src = b + (size_t)(j0 + js + s) * ldb + p0;
                for (p = 0; p < kc; p++) dst[(size_t)p * NR + s] = src[p];
            }
            for (s = nr; s < NR; s++)
                for (p = 0; p < kc; p++) dst[(size_t)p * NR + s] = 0.0f;
        }
    }
}

/* One tile of mr <= MR rows and nr <= NR columns. Tiles that fill whole
 * vectors are written in place; others go through a local tile. */
static void eegnn__gemm_tile(const eegnn__cpu_kernels *kp, int kc, const float *ap, const float *bp, float alpha,
                             float beta, float *c, int ldc, int mr, int nr) {
    float tile[EEGNN__MR_MAX * EEGNN__NR_MAX];
    int i, j, nv = (nr + kp->vw - 1) / kp->vw;
    if (mr == kp->mr && nr == nv * kp->vw) {
        kp->gemm(nv, kc, ap, bp, alpha, beta, c, ldc);
        return;
    }
    kp->gemm(nv, kc, ap, bp, 1.0f, 0.0f, tile, kp->nr);
    for (i = 0; i < mr; i++) {
        float *cr = c + (size_t)i * ldc;
        const float *tr = tile + i * kp->nr;
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
    const eegnn__cpu_kernels *kp = eegnn__cpu();
    const int MC = kp->mr * 24, NC = kp->nr * 16; /* at most EEGNN__MC, EEGNN__NC */
    int jc, pc, ic, jr, ir;
    for (jc = 0; jc < n; jc += NC) {
        int nc = EEGNN__MIN(NC, n - jc);
        for (pc = 0; pc < k; pc += EEGNN__KC) {
            int kc = EEGNN__MIN(EEGNN__KC, k - pc);
            float beta_k = pc == 0 ? beta : 1.0f;
            pack_b(b_ctx, pc, kc, jc, nc, bpk);
            for (ic = 0; ic < m; ic += MC) {
                int mc = EEGNN__MIN(MC, m - ic);
                eegnn__gemm_pack_a(trans_a, a, lda, ic, mc, pc, kc, ap);
                for (jr = 0; jr < nc; jr += kp->nr) {
                    int nr = EEGNN__MIN(kp->nr, nc - jr);
                    const float *bs = bpk + (size_t)jr * kc;
                    for (ir = 0; ir < mc; ir += kp->mr) {
                        int mr = EEGNN__MIN(kp->mr, mc - ir);
                        eegnn__gemm_tile(kp, kc, ap + (size_t)ir * kc, bs, alpha, beta_k,
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

/* ---- Row convolution: a stride-1 convolution along rows read straight
 * from a zero-padded input, with no unfolded copy. Output row o is
 *   y[o, t] += sum_{c < cin, j < kw} W[o, c, j] * xpad[c * ldx + t + j * dil]
 * for t < tout. The weights are packed once into MR-row slivers; each
 * register tile reads its B operand as shifted vectors of xpad (oneDNN's
 * and LIBXSMM's direct convolutions do the same). */

/* Floats of packed weights for cout rows of cin * kw taps. */
EEGNN__PRIVATE size_t eegnn__row_conv_packed_floats(int cout, int cin, int kw) {
    int mr = eegnn__cpu()->mr;
    return (size_t)((cout + mr - 1) / mr) * mr * cin * kw;
}

/* Packs W (cout, cin, kw) into MR-row slivers: wp[(sl * cin * kw + p) * MR + r]
 * = W[sl * MR + r, p], zero past cout. W[o, c, j] is w[o * so + c * sc + j]
 * (flip == 0) or w[o * so + c * sc + kw - 1 - j] (flip: the taps reversed,
 * for the input gradient). */
EEGNN__PRIVATE void eegnn__row_conv_pack(int cout, int cin, int kw, const float *w, size_t so, size_t sc, int flip,
                                         float *wp) {
    const int MR = eegnn__cpu()->mr;
    int n_sl = (cout + MR - 1) / MR, sl, c, j, r;
    for (sl = 0; sl < n_sl; sl++) {
        float *d = wp + (size_t)sl * cin * kw * MR;
        for (c = 0; c < cin; c++)
            for (j = 0; j < kw; j++, d += MR)
                for (r = 0; r < MR; r++) {
                    int o = sl * MR + r;
                    d[r] = o < cout ? w[(size_t)o * so + (size_t)c * sc + (size_t)(flip ? kw - 1 - j : j)] : 0.0f;
                }
    }
}

/* Row length of a padded input: tout + (kw - 1) * dil valid columns and
 * room for the last register tile's whole vectors. */
EEGNN__PRIVATE int eegnn__row_conv_ld(int tout, int kw, int dil) {
    return (tout + dil * (kw - 1) + eegnn__cpu()->nr + 15) & ~15;
}

/* dst[c] = src[c - shift] for 0 <= c < ld where 0 <= c - shift < n, else 0:
 * one zero-padded row of a row convolution's input. */
EEGNN__PRIVATE void eegnn__row_conv_pad(const float *src, int n, int shift, int ld, float *dst) {
    int lo = EEGNN__MAX(shift, 0), hi = EEGNN__MIN(ld, n + shift);
    if (hi <= lo) {
        memset(dst, 0, (size_t)ld * sizeof(float));
        return;
    }
    memset(dst, 0, (size_t)lo * sizeof(float));
    memcpy(dst + lo, src + (lo - shift), (size_t)(hi - lo) * sizeof(float));
    memset(dst + hi, 0, (size_t)(ld - hi) * sizeof(float));
}

/* The weight gradient of a row convolution, without unfolding: for every
 * tap (c, j) of W (cout, cin, kw),
 *   dw^T[c * kw + j, o] += sum_{t < tout} xpad[c * ldx + t + j * dil] * dy^T[t, o],
 * shifted rows of the padded input multiplied straight into dy^T by the
 * rows_mm kernel. dw^T has eegnn__row_conv_dw_rows(cin * kw) rows of
 * eegnn__row_conv_dw_ld(cout) floats (the rows and columns past the taps
 * and outputs are scratch); dy^T is (tout, the same row length), zero past
 * cout (eegnn__row_conv_transpose). */
EEGNN__PRIVATE int eegnn__row_conv_dw_ld(int cout) {
    int vw = eegnn__cpu()->vw;
    return (cout + vw - 1) / vw * vw;
}

EEGNN__PRIVATE int eegnn__row_conv_dw_rows(int ckk) {
    int mr = eegnn__cpu()->mr;
    return (ckk + mr - 1) / mr * mr;
}

/* dyt[t * ld + o] = dy[o * ldy + t] for o < cout, 0 for cout <= o < ld. */
EEGNN__PRIVATE void eegnn__row_conv_transpose(int cout, int tout, const float *dy, size_t ldy, int ld, float *dyt) {
    int t, o;
    for (t = 0; t < tout; t++) {
        float *d = dyt + (size_t)t * ld;
        for (o = 0; o < cout; o++) d[o] = dy[(size_t)o * ldy + t];
        for (; o < ld; o++) d[o] = 0.0f;
    }
}

EEGNN__PRIVATE void eegnn__row_conv_dw(int cout, int cin, int kw, int dil, const float *xpad, int ldx, const float *dyt,
                                       int ld, int tout, float *dwt) {
    const eegnn__cpu_kernels *kp = eegnn__cpu();
    const float *ar[EEGNN__MR_MAX];
    int ckk = cin * kw, o0, p0, r;
    for (o0 = 0; o0 < cout; o0 += kp->nr) {
        int nv = (EEGNN__MIN(kp->nr, cout - o0) + kp->vw - 1) / kp->vw;
        for (p0 = 0; p0 < ckk; p0 += kp->mr) {
            for (r = 0; r < kp->mr; r++) { /* rows past ckk read row 0 into scratch rows of dw^T */
                int pr = p0 + r < ckk ? p0 + r : 0;
                ar[r] = xpad + (size_t)(pr / kw) * ldx + (size_t)(pr % kw) * dil;
            }
            kp->rows_mm(nv, tout, ar, dyt + o0, ld, dwt + (size_t)p0 * ld + o0, ld);
        }
    }
}

/* The other weight-gradient layout, for long kernels and few outputs
 * (EEGNet's and ShallowFBCSPNet's temporal filters): with dilation 1, row t
 * of the matrix of taps is xpad[c * ldx + t + j0 ...], contiguous, so
 *   dw[o, c * kw + j] += sum_t dy[o * ldy + t] * xpad[c * ldx + t + j]
 * tiles rows of dy (o) by vectors of taps (j), written straight into dw
 * (rows ldw apart). 1 when this layout fills the register tiles better
 * than dw^T's (outputs as vector lanes). */
EEGNN__PRIVATE int eegnn__row_conv_dw_by_taps(int cout, int kw, int dil) {
    const eegnn__cpu_kernels *kp = eegnn__cpu();
    double lanes_o = (double)cout / eegnn__row_conv_dw_ld(cout);
    double taps = (double)kw / ((kw + kp->vw - 1) / kp->vw * kp->vw);
    double rows_o = (double)cout / ((cout + kp->mr - 1) / kp->mr * kp->mr);
    return dil == 1 && taps * rows_o > lanes_o;
}

EEGNN__PRIVATE void eegnn__row_conv_dw_taps(int cout, int cin, int kw, const float *xpad, int ldx, const float *dy,
                                            size_t ldy, int tout, float *dw, size_t ldw) {
    const eegnn__cpu_kernels *kp = eegnn__cpu();
    const float *ar[EEGNN__MR_MAX];
    float tile[EEGNN__MR_MAX * EEGNN__NR_MAX];
    int o0, c, j0, r, s;
    for (o0 = 0; o0 < cout; o0 += kp->mr) {
        int mr = EEGNN__MIN(kp->mr, cout - o0);
        for (r = 0; r < kp->mr; r++) ar[r] = dy + (size_t)(o0 + (r < mr ? r : 0)) * ldy;
        for (c = 0; c < cin; c++)
            for (j0 = 0; j0 < kw; j0 += kp->nr) {
                int nr = EEGNN__MIN(kp->nr, kw - j0), nv = (nr + kp->vw - 1) / kp->vw;
                float *d = dw + (size_t)o0 * ldw + (size_t)c * kw + j0;
                if (mr == kp->mr && nr == nv * kp->vw) {
                    kp->rows_mm(nv, tout, ar, xpad + (size_t)c * ldx + j0, 1, d, (int)ldw);
                    continue;
                }
                memset(tile, 0, sizeof tile);
                kp->rows_mm(nv, tout, ar, xpad + (size_t)c * ldx + j0, 1, tile, kp->nr);
                for (r = 0; r < mr; r++)
                    for (s = 0; s < nr; s++) d[(size_t)r * ldw + s] += tile[r * kp->nr + s];
            }
    }
}

/* y (cout, tout; rows ldy apart) += the row convolution of xpad (cin rows
 * ldx >= eegnn__row_conv_ld apart, zero where the signal is padded) with
 * the packed weights wp; tile: MR_MAX * NR_MAX floats of scratch. */
EEGNN__PRIVATE void eegnn__row_conv(int cout, int cin, int kw, int dil, const float *wp, const float *xpad, int ldx,
                                    float *y, size_t ldy, int tout, float *tile) {
    const eegnn__cpu_kernels *kp = eegnn__cpu();
    int n_sl = (cout + kp->mr - 1) / kp->mr, sl, t0, r, s;
    for (sl = 0; sl < n_sl; sl++) {
        int mr = EEGNN__MIN(kp->mr, cout - sl * kp->mr);
        const float *ap = wp + (size_t)sl * cin * kw * kp->mr;
        for (t0 = 0; t0 < tout; t0 += kp->nr) {
            int nr = EEGNN__MIN(kp->nr, tout - t0), nv = (nr + kp->vw - 1) / kp->vw;
            kp->row_conv(nv, cin, kw, dil, ap, xpad + t0, ldx, tile);
            for (r = 0; r < mr; r++) {
                float *yr = y + (size_t)(sl * kp->mr + r) * ldy + t0;
                const float *tr = tile + r * kp->nr;
                for (s = 0; s < nr; s++) yr[s] += tr[s];
            }
        }
    }
}

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
    eegnn_work units; /* register-tile rows or columns handed out to tasks */
    float *work; /* (n_tasks, work_stride) */
    size_t work_stride;
    eegnn_graph *g; /* when set, task t uses the graph's scratch slot t */
} eegnn__gemm_job;

/* Task `task` takes grains of register-tile rows or columns until none is
 * left (eegnn_work_next); every tile of C is computed by one task in the
 * same way, so C does not depend on the thread count. */
static void eegnn__gemm_task(void *ctx, int task, int n_tasks) {
    eegnn__gemm_job *j = (eegnn__gemm_job *)ctx;
    int total = j->split_n ? j->n : j->m;
    size_t u0, u1;
    float *work = j->g ? eegnn_graph_scratch(j->g, task) : j->work + (size_t)task * j->work_stride;
    (void)n_tasks;
    while (eegnn_work_next(&j->units, &u0, &u1)) {
        int lo = (int)u0 * j->unit, hi = EEGNN__MIN(total, (int)u1 * j->unit);
        if (j->split_n) {
            const float *b = j->trans_b ? j->b + (size_t)lo * j->ldb : j->b + lo;
            eegnn__sgemm_serial(j->trans_a, j->trans_b, j->m, hi - lo, j->k, j->alpha, j->a, j->lda, b, j->ldb,
                                j->beta, j->c + lo, j->ldc, work);
        } else {
            const float *a = j->trans_a ? j->a + lo : j->a + (size_t)lo * j->lda;
            eegnn__sgemm_serial(j->trans_a, j->trans_b, hi - lo, j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb,
                                j->beta, j->c + (size_t)lo * j->ldc, j->ldc, work);
        }
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
    {
        const eegnn__cpu_kernels *kp = eegnn__cpu();
        job.split_n = (n + kp->nr - 1) / kp->nr >= (m + kp->mr - 1) / kp->mr;
        job.unit = job.split_n ? kp->nr : kp->mr;
    }
    n_tasks = n_threads;
    if (flops < 2.0e5) n_tasks = 1;
    {
        int units = ((job.split_n ? n : m) + job.unit - 1) / job.unit;
        if (n_tasks > units) n_tasks = units;
        /* grains of at least 4 tiles, about 4 per task */
        eegnn_work_init(&job.units, (size_t)units,
                        n_tasks > 1 ? EEGNN__MAX((size_t)4, (size_t)units / (size_t)(4 * n_tasks)) : (size_t)units);
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
