/* 1-D convolution (torch.nn.functional.conv1d), forward and backward.
 *
 * Per batch sample and group, the input is unfolded (im2col) into
 * col (C_in/groups * K, T_out) with col[(c, k), t] = x[c, t*stride + k*dilation
 * - pad_left] (zero outside the signal), and the output is the product
 * w_g (C_out/groups, C_in/groups * K) @ col. Backward: dw_g += dy_g @ col^T,
 * dcol = w_g^T @ dy_g folded back into dx (col2im). Channels with one input
 * channel per group (depthwise) use direct loops instead. At stride 1 the
 * forward pass and the input gradient skip the unfolding: both are row
 * convolutions (src/ops/gemm.c) of a zero-padded copy of the input rows,
 * the input gradient with the weights transposed and their taps reversed:
 *   dx[c, s] = sum_o sum_j w[o, c, K-1-j] * dy[o, s + left - span + j*dilation],
 * span = dilation * (K - 1). The weight gradient at stride 1 multiplies
 * shifted rows of the padded input straight into dy^T (the rows_mm kernel):
 *   dw^T[(c, j), o] += sum_t xpad[c, t + j*dilation] * dy^T[t, o],
 * accumulated over the task's samples and transposed once at the end, or,
 * for long kernels with few outputs, tiles rows of dy by vectors of taps
 * straight into dw (eegnn__row_conv_dw_by_taps in src/ops/gemm.c).
 * Threads: samples are split into one contiguous range per thread; weight
 * and bias gradients are summed per thread and reduced in thread order, so
 * results are deterministic for a given thread count. All buffers are graph
 * scratch reserved when the node is built.
 *
 * ip[0] = stride, ip[1] = pad_left, ip[2] = dilation, ip[3] = groups.
 * src: x (B, C_in, T_in), w (C_out, C_in/groups, K), b (C_out) or NULL. */

typedef struct eegnn__conv_geom {
    int batch, cin, tin, cout, k, tout;
    int stride, left, dilation, groups, cpg, opg; /* cpg, opg: input / output channels per group */
    size_t work_floats;                           /* sgemm workspace at the start of each scratch slot */
    int row_fwd, row_dx; /* forward, input gradient by the row convolution */
    int ld_fwd, ld_dx;   /* their padded row lengths (input rows, output-gradient rows) */
    size_t pk_fwd, pk_dx; /* floats of packed weights per group for each */
    size_t row_floats;    /* per-task scratch of the row convolutions: a padded copy and a tile */
    int ld_o, ckk_pad;    /* weight gradient by rows: dy^T and dw^T row length, dw^T rows */
    size_t dw_floats;     /* per-task scratch of it: padded input, dy^T, dw^T of every group */
    int dw_taps;          /* ... or tiled by taps, straight into dw (eegnn__row_conv_dw_by_taps) */
} eegnn__conv_geom;

static void eegnn__conv_geom_of(const eegnn_tensor *t, eegnn__conv_geom *q) {
    const eegnn_tensor *x = t->src[0], *w = t->src[1];
    q->batch = x->shape[0];
    q->cin = x->shape[1];
    q->tin = x->shape[2];
    q->cout = w->shape[0];
    q->k = w->shape[2];
    q->tout = t->shape[2];
    q->stride = t->ip[0];
    q->left = t->ip[1];
    q->dilation = t->ip[2];
    q->groups = t->ip[3];
    q->cpg = q->cin / q->groups;
    q->opg = q->cout / q->groups;
    q->work_floats = q->cpg > 1 ? (eegnn__sgemm_work_floats() + 15u) & ~(size_t)15u : 0;
#ifndef EEGNN_USE_OPENBLAS
    q->row_fwd = q->row_dx = q->stride == 1 && q->cpg > 1;
#else
    q->row_fwd = q->row_dx = 0;
#endif
    q->ld_fwd = eegnn__row_conv_ld(q->tout, q->k, q->dilation);
    q->ld_dx = eegnn__row_conv_ld(q->tin, q->k, q->dilation);
    q->pk_fwd = q->row_fwd ? eegnn__row_conv_packed_floats(q->opg, q->cpg, q->k) : 0;
    q->pk_dx = q->row_dx ? eegnn__row_conv_packed_floats(q->cpg, q->opg, q->k) : 0;
    q->ld_o = eegnn__row_conv_dw_ld(q->opg);
    q->ckk_pad = eegnn__row_conv_dw_rows(q->cpg * q->k);
    q->dw_taps = eegnn__row_conv_dw_by_taps(q->opg, q->k, q->dilation);
    q->dw_floats = q->row_fwd ? (size_t)q->cpg * q->ld_fwd + (size_t)q->tout * q->ld_o +
                                    (size_t)q->groups * q->ckk_pad * q->ld_o
                              : 0;
    q->row_floats = q->row_fwd ? (size_t)EEGNN__MAX((size_t)q->cpg * q->ld_fwd, (size_t)q->opg * q->ld_dx) +
                                     (size_t)EEGNN__MR_MAX * EEGNN__NR_MAX
                               : 0;
}

/* Output positions t in [*t0, *t1) whose tap k reads inside the signal:
 * 0 <= t*stride + k*dilation - left < tin. */
static void eegnn__conv_valid(const eegnn__conv_geom *q, int k, int *t0, int *t1) {
    int off = k * q->dilation - q->left; /* input index of t = 0 */
    int lo = 0, hi;
    if (off < 0) lo = (-off + q->stride - 1) / q->stride;
    if (q->tin - 1 - off < 0)
        hi = 0;
    else
        hi = (q->tin - 1 - off) / q->stride + 1;
    if (hi > q->tout) hi = q->tout;
    if (lo > hi) lo = hi;
    *t0 = lo;
    *t1 = hi;
}

/* col (cpg * K, tout) from x (cpg, tin) of one sample and group. */
EEGNN__PRIVATE void eegnn__im2col(const eegnn__conv_geom *q, const float *x, float *col) {
    int c, k, t;
    for (k = 0; k < q->k; k++) {
        int t0, t1, off = k * q->dilation - q->left;
        eegnn__conv_valid(q, k, &t0, &t1);
        for (c = 0; c < q->cpg; c++) {
            float *row = col + ((size_t)c * q->k + k) * q->tout;
            const float *xr = x + (size_t)c * q->tin + off;
            for (t = 0; t < t0; t++) row[t] = 0.0f;
            if (q->stride == 1)
                memcpy(row + t0, xr + t0, (size_t)(t1 - t0) * sizeof(float));
            else
                for (t = t0; t < t1; t++) row[t] = xr[(size_t)t * q->stride];
            for (t = t1; t < q->tout; t++) row[t] = 0.0f;
        }
    }
}

/* dx (cpg, tin) += fold of dcol (cpg * K, tout). */
static void eegnn__col2im(const eegnn__conv_geom *q, const float *dcol, float *dx) {
    int c, k, t;
    for (c = 0; c < q->cpg; c++) {
        for (k = 0; k < q->k; k++) {
            int t0, t1, off = k * q->dilation - q->left;
            const float *row = dcol + ((size_t)c * q->k + k) * q->tout;
            float *xr = dx + (size_t)c * q->tin + off;
            eegnn__conv_valid(q, k, &t0, &t1);
            if (q->stride == 1)
                for (t = t0; t < t1; t++) xr[t] += row[t];
            else
                for (t = t0; t < t1; t++) xr[(size_t)t * q->stride] += row[t];
        }
    }
}

#ifndef EEGNN_USE_OPENBLAS
/* The built-in sgemm takes its B operand straight from x through these
 * packing callbacks, so the unfolded matrix is never written out. */
typedef struct eegnn__conv_pack_ctx {
    const eegnn__conv_geom *q;
    const float *x; /* (cpg, tin) of one sample and group */
} eegnn__conv_pack_ctx;

/* B = col (cpg * K, tout): B[(c, k), t] = x[c, t*stride + k*dilation - left]. */
static void eegnn__conv_pack_col(const void *ctx, int p0, int kc, int j0, int nc, float *bp) {
    const eegnn__conv_pack_ctx *pc = (const eegnn__conv_pack_ctx *)ctx;
    const eegnn__conv_geom *q = pc->q;
    const int NR = eegnn__cpu()->nr;
    int js, p, s;
    for (js = 0; js < nc; js += NR) {
        int nr = EEGNN__MIN(NR, nc - js), tb = j0 + js;
        float *dst = bp + (size_t)js * kc;
        for (p = 0; p < kc; p++) {
            int row = p0 + p, c = row / q->k, k = row % q->k, t0, t1, lo, hi;
            const float *xr = pc->x + (size_t)c * q->tin + (k * q->dilation - q->left);
            float *d = dst + (size_t)p * NR;
            eegnn__conv_valid(q, k, &t0, &t1);
            lo = EEGNN__MAX(t0, tb) - tb;
            hi = EEGNN__MIN(t1, tb + nr) - tb;
            if (hi < lo) hi = lo;
            for (s = 0; s < lo; s++) d[s] = 0.0f;
            if (q->stride == 1)
                for (s = lo; s < hi; s++) d[s] = xr[tb + s];
            else
                for (s = lo; s < hi; s++) d[s] = xr[(size_t)(tb + s) * q->stride];
            for (s = hi; s < NR; s++) d[s] = 0.0f;
        }
    }
}

/* B = col^T (tout, cpg * K): per sliver, each column's source row and valid
 * range are found once, then rows are written contiguously. */
static void eegnn__conv_pack_col_t(const void *ctx, int p0, int kc, int j0, int nc, float *bp) {
    const eegnn__conv_pack_ctx *pc = (const eegnn__conv_pack_ctx *)ctx;
    const eegnn__conv_geom *q = pc->q;
    const float *src[EEGNN__NR_MAX];
    int lo[EEGNN__NR_MAX], hi[EEGNN__NR_MAX];
    const int NR = eegnn__cpu()->nr;
    int js, p, s;
    for (js = 0; js < nc; js += NR) {
        int nr = EEGNN__MIN(NR, nc - js);
        float *dst = bp + (size_t)js * kc;
        for (s = 0; s < NR; s++) {
            int colx = j0 + js + s, c = colx / q->k, k = colx % q->k;
            lo[s] = hi[s] = 0;
            src[s] = pc->x;
            if (s < nr) {
                eegnn__conv_valid(q, k, &lo[s], &hi[s]);
                src[s] = pc->x + (size_t)c * q->tin + (k * q->dilation - q->left);
            }
        }
        /* column by column: contiguous reads from x, branch-free inner loops */
        for (s = 0; s < NR; s++) {
            float *d = dst + s;
            const float *xs = src[s];
            int a = EEGNN__MAX(lo[s], p0), b = EEGNN__MIN(hi[s], p0 + kc), t;
            if (s >= nr || b < a) a = b = p0;
            for (t = p0; t < a; t++) d[(size_t)(t - p0) * NR] = 0.0f;
            if (q->stride == 1)
                for (t = a; t < b; t++) d[(size_t)(t - p0) * NR] = xs[t];
            else
                for (t = a; t < b; t++) d[(size_t)(t - p0) * NR] = xs[(size_t)t * q->stride];
            for (t = b; t < p0 + kc; t++) d[(size_t)(t - p0) * NR] = 0.0f;
        }
        (void)p;
    }
}
#endif

typedef struct eegnn__conv_job {
    eegnn_graph *g;
    eegnn_tensor *t;
    eegnn__conv_geom q;
    eegnn_work samples; /* forward: samples handed out to the tasks one by one */
} eegnn__conv_job;

static void eegnn__conv_forward_task(void *ctx, int task, int n_tasks) {
    eegnn__conv_job *j = (eegnn__conv_job *)ctx;
    const eegnn__conv_geom *q = &j->q;
    eegnn_tensor *t = j->t, *x = t->src[0], *w = t->src[1], *b = t->src[2];
    float *work = eegnn_graph_scratch(j->g, task);
    float *col = work + q->work_floats; /* (cpg * K, tout) */
    int ckk = q->cpg * q->k, n, gi, co, k, i;
    size_t s0, s1;
    (void)n_tasks;
    while (eegnn_work_next(&j->samples, &s0, &s1)) { /* one sample at a time */
        n = (int)s0;
        const float *xn = x->data + (size_t)n * q->cin * q->tin;
        float *yn = t->data + (size_t)n * q->cout * q->tout;
        for (co = 0; co < q->cout; co++) {
            float bv = b ? b->data[co] : 0.0f;
            float *yr = yn + (size_t)co * q->tout;
            for (i = 0; i < q->tout; i++) yr[i] = bv;
        }
        if (q->cpg == 1) { /* depthwise: direct loops */
            for (co = 0; co < q->cout; co++) {
                const float *xr = xn + (size_t)(co / q->opg) * q->tin;
                float *yr = yn + (size_t)co * q->tout;
                for (k = 0; k < q->k; k++) {
                    int t0, t1, off = k * q->dilation - q->left;
                    float wv = w->data[(size_t)co * q->k + k];
                    eegnn__conv_valid(q, k, &t0, &t1);
                    for (i = t0; i < t1; i++) yr[i] += wv * xr[(size_t)i * q->stride + off];
                }
            }
            continue;
        }
        for (gi = 0; gi < q->groups; gi++) {
            const float *xg = xn + (size_t)gi * q->cpg * q->tin;
            const float *wg = w->data + (size_t)gi * q->opg * ckk;
            float *yg = yn + (size_t)gi * q->opg * q->tout;
            if (q->row_fwd) {
                float *xpad = work + q->work_floats, *tile = xpad + (size_t)q->cpg * q->ld_fwd;
                int c;
                for (c = 0; c < q->cpg; c++)
                    eegnn__row_conv_pad(xg + (size_t)c * q->tin, q->tin, q->left, q->ld_fwd, xpad + (size_t)c * q->ld_fwd);
                eegnn__row_conv(q->opg, q->cpg, q->k, q->dilation, t->aux + (size_t)gi * q->pk_fwd, xpad, q->ld_fwd, yg,
                                (size_t)q->tout, q->tout, tile);
                continue;
            }
#ifdef EEGNN_USE_OPENBLAS
            eegnn__im2col(q, xg, col);
            eegnn__sgemm_serial(0, 0, q->opg, q->tout, ckk, 1.0f, wg, ckk, col, q->tout, 1.0f, yg, q->tout, work);
#else
            eegnn__conv_pack_ctx pc;
            pc.q = q;
            pc.x = xg;
            (void)col;
            eegnn__sgemm_serial_packed_b(0, q->opg, q->tout, ckk, 1.0f, wg, ckk, eegnn__conv_pack_col, &pc, 1.0f, yg,
                                         q->tout, work);
#endif
        }
    }
}

static void eegnn__conv_forward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__conv_job job;
    const eegnn__conv_geom *q = &job.q;
    int gi;
    job.g = g;
    job.t = t;
    eegnn__conv_geom_of(t, &job.q);
    if (q->row_fwd) /* W_g (opg, cpg, K) */
        for (gi = 0; gi < q->groups; gi++)
            eegnn__row_conv_pack(q->opg, q->cpg, q->k, t->src[1]->data + (size_t)gi * q->opg * q->cpg * q->k,
                                 (size_t)q->cpg * q->k, (size_t)q->k, 0, t->aux + (size_t)gi * q->pk_fwd);
    eegnn_work_init(&job.samples, (size_t)q->batch, 1);
    eegnn_parallel_for(eegnn_graph_pool(g), eegnn_graph_n_threads(g), eegnn__conv_forward_task, &job);
}

#ifndef EEGNN_USE_OPENBLAS
/* dwt (ckk_pad, ld_o) += the weight gradient of one sample and group, by
 * rows, or dwg (opg, ckk) += it when tiled by taps: buf holds the padded
 * input (cpg, ld_fwd) then dy^T (tout, ld_o). */
static void eegnn__conv_dw_rows(const eegnn__conv_geom *q, const float *xg, const float *dyg, float *buf, float *dwt,
                                float *dwg) {
    float *xpad = buf, *dyt = buf + (size_t)q->cpg * q->ld_fwd;
    int c;
    for (c = 0; c < q->cpg; c++)
        eegnn__row_conv_pad(xg + (size_t)c * q->tin, q->tin, q->left, q->ld_fwd, xpad + (size_t)c * q->ld_fwd);
    if (q->dw_taps) {
        eegnn__row_conv_dw_taps(q->opg, q->cpg, q->k, xpad, q->ld_fwd, dyg, (size_t)q->tout, q->tout, dwg,
                                (size_t)q->cpg * q->k);
        return;
    }
    eegnn__row_conv_transpose(q->opg, q->tout, dyg, (size_t)q->tout, q->ld_o, dyt);
    eegnn__row_conv_dw(q->opg, q->cpg, q->k, q->dilation, xpad, q->ld_fwd, dyt, q->ld_o, q->tout, dwt);
}
#endif

static void eegnn__conv_backward_task(void *ctx, int task, int n_tasks) {
    eegnn__conv_job *j = (eegnn__conv_job *)ctx;
    const eegnn__conv_geom *q = &j->q;
    eegnn_tensor *t = j->t, *x = t->src[0], *w = t->src[1], *b = t->src[2];
    int n0 = (int)((long long)q->batch * task / n_tasks), n1 = (int)((long long)q->batch * (task + 1) / n_tasks);
    int ckk = q->cpg * q->k, n, gi, co, k, i;
    size_t col_len = (size_t)ckk * q->tout;
    float *work = eegnn_graph_scratch(j->g, task);
    float *col = work + q->work_floats;    /* (cpg * K, tout) */
    float *dcol = col + col_len;           /* (cpg * K, tout) */
    float *dw = dcol + col_len;            /* (cout, cpg, K) partial for this task */
    float *db = dw + (size_t)q->cout * ckk; /* (cout) partial */
    int need_dw = w->grad != NULL, need_db = b && b->grad, need_dx = x->grad != NULL;
    float *dw_buf = db + q->cout + q->row_floats; /* weight gradient by rows: buffers, then dw^T per group */
    float *dwt = dw_buf + (size_t)q->cpg * q->ld_fwd + (size_t)q->tout * q->ld_o;
    if (need_dw) memset(dw, 0, (size_t)q->cout * ckk * sizeof(float));
    if (need_dw && q->row_fwd && !q->dw_taps) memset(dwt, 0, (size_t)q->groups * q->ckk_pad * q->ld_o * sizeof(float));
    if (need_db) memset(db, 0, (size_t)q->cout * sizeof(float));
    for (n = n0; n < n1; n++) {
        const float *xn = x->data + (size_t)n * q->cin * q->tin;
        const float *dyn = t->grad + (size_t)n * q->cout * q->tout;
        float *dxn = need_dx ? x->grad + (size_t)n * q->cin * q->tin : NULL;
        if (need_db)
            for (co = 0; co < q->cout; co++) {
                const float *dr = dyn + (size_t)co * q->tout;
                db[co] += eegnn__sum_floats(dr, (size_t)q->tout);
            }
        if (q->cpg == 1) { /* depthwise: direct loops */
            for (co = 0; co < q->cout; co++) {
                size_t ci = (size_t)(co / q->opg);
                const float *xr = xn + ci * q->tin, *dr = dyn + (size_t)co * q->tout;
                for (k = 0; k < q->k; k++) {
                    int t0, t1, off = k * q->dilation - q->left;
                    float wv = w->data[(size_t)co * q->k + k], s = 0.0f;
                    eegnn__conv_valid(q, k, &t0, &t1);
                    if (need_dw) {
                        for (i = t0; i < t1; i++) s += dr[i] * xr[(size_t)i * q->stride + off];
                        dw[(size_t)co * q->k + k] += s;
                    }
                    if (need_dx) {
                        float *dxr = dxn + ci * q->tin + off;
                        for (i = t0; i < t1; i++) dxr[(size_t)i * q->stride] += wv * dr[i];
                    }
                }
            }
            continue;
        }
        for (gi = 0; gi < q->groups; gi++) {
            const float *dyg = dyn + (size_t)gi * q->opg * q->tout;
            const float *wg = w->data + (size_t)gi * q->opg * ckk;
            if (need_dw) { /* dw_g (opg, ckk) += dy_g (opg, tout) @ col^T (tout, ckk) */
#ifdef EEGNN_USE_OPENBLAS
                eegnn__im2col(q, xn + (size_t)gi * q->cpg * q->tin, col);
                eegnn__sgemm_serial(0, 1, q->opg, ckk, q->tout, 1.0f, dyg, q->tout, col, q->tout, 1.0f,
                                    dw + (size_t)gi * q->opg * ckk, ckk, work);
#else
                eegnn__conv_pack_ctx pc;
                pc.q = q;
                pc.x = xn + (size_t)gi * q->cpg * q->tin;
                if (q->row_fwd)
                    eegnn__conv_dw_rows(q, pc.x, dyg, dw_buf, dwt + (size_t)gi * q->ckk_pad * q->ld_o,
                                        dw + (size_t)gi * q->opg * ckk);
                else
                    eegnn__sgemm_serial_packed_b(0, q->opg, ckk, q->tout, 1.0f, dyg, q->tout, eegnn__conv_pack_col_t,
                                                 &pc, 1.0f, dw + (size_t)gi * q->opg * ckk, ckk, work);
#endif
            }
            if (need_dx && q->row_dx) { /* dx_g += row convolution of dy_g, padded, with flipped w_g^T */
                float *dypad = db + q->cout, *tile = dypad + (size_t)q->opg * q->ld_dx;
                int o;
                for (o = 0; o < q->opg; o++)
                    eegnn__row_conv_pad(dyg + (size_t)o * q->tout, q->tout, q->dilation * (q->k - 1) - q->left, q->ld_dx,
                                        dypad + (size_t)o * q->ld_dx);
                eegnn__row_conv(q->cpg, q->opg, q->k, q->dilation, t->aux + (size_t)q->groups * q->pk_fwd +
                                (size_t)gi * q->pk_dx, dypad, q->ld_dx, dxn + (size_t)gi * q->cpg * q->tin,
                                (size_t)q->tin, q->tin, tile);
            } else if (need_dx) { /* dcol (ckk, tout) = w_g^T (ckk, opg) @ dy_g (opg, tout) */
                eegnn__sgemm_serial(1, 0, ckk, q->tout, q->opg, 1.0f, wg, ckk, dyg, q->tout, 0.0f, dcol, q->tout,
                                    work);
                eegnn__col2im(q, dcol, dxn + (size_t)gi * q->cpg * q->tin);
            }
        }
    }
    if (need_dw && q->row_fwd && !q->dw_taps) { /* dw (cout, ckk) += the transposed dw^T of every group */
        int o, p;
        for (gi = 0; gi < q->groups; gi++)
            for (o = 0; o < q->opg; o++) {
                float *d = dw + ((size_t)gi * q->opg + o) * ckk;
                const float *sT = dwt + (size_t)gi * q->ckk_pad * q->ld_o + o;
                for (p = 0; p < ckk; p++) d[p] += sT[(size_t)p * q->ld_o];
            }
    }
}

static void eegnn__conv_backward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__conv_job job;
    eegnn_tensor *w = t->src[1], *b = t->src[2];
    const eegnn__conv_geom *q = &job.q;
    int n_tasks = eegnn_graph_n_threads(g), task;
    size_t i, col_len, n_w;
    job.g = g;
    job.t = t;
    eegnn__conv_geom_of(t, &job.q);
    if (q->row_dx && t->src[0]->grad) /* W'_g[c, o, j] = W_g[o, c, K-1-j] (cpg, opg, K) */
        for (task = 0; task < q->groups; task++)
            eegnn__row_conv_pack(q->cpg, q->opg, q->k, w->data + (size_t)task * q->opg * q->cpg * q->k, (size_t)q->k,
                                 (size_t)q->cpg * q->k, 1, t->aux + (size_t)q->groups * q->pk_fwd + (size_t)task * q->pk_dx);
    eegnn_parallel_for(eegnn_graph_pool(g), n_tasks, eegnn__conv_backward_task, &job);
    /* reduce the per-task partial sums in task order */
    col_len = (size_t)q->cpg * q->k * q->tout;
    n_w = (size_t)q->cout * q->cpg * q->k;
    for (task = 0; task < n_tasks; task++) {
        const float *dw = eegnn_graph_scratch(g, task) + q->work_floats + 2 * col_len;
        const float *db = dw + n_w;
        if (w->grad)
            for (i = 0; i < n_w; i++) w->grad[i] += dw[i];
        if (b && b->grad)
            for (i = 0; i < (size_t)q->cout; i++) b->grad[i] += db[i];
    }
}

EEGNN_API eegnn_tensor *eegnn_conv1d(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *w, eegnn_tensor *b,
                                     const eegnn_conv1d_params *p) {
    eegnn_tensor *src[3];
    eegnn_tensor *t;
    eegnn__conv_geom q;
    int stride = 1, padding = 0, dilation = 1, groups = 1, left, right, span, shape[3];
    char sx[64], sw[64];
    size_t scratch;
    if (!g || !x || !w) return NULL;
    if (p) {
        stride = p->stride ? p->stride : 1;
        padding = p->padding;
        dilation = p->dilation ? p->dilation : 1;
        groups = p->groups ? p->groups : 1;
    }
    eegnn_shape_str(x, sx, sizeof sx);
    eegnn_shape_str(w, sw, sizeof sw);
    if (stride < 1 || dilation < 1 || groups < 1 || (padding < 0 && padding != EEGNN_PADDING_SAME)) {
        eegnn_set_error(EEGNN_ERR_ARG, "conv1d: stride %d, padding %d, dilation %d, groups %d (stride, dilation "
                        "and groups must be >= 1, padding >= 0 or EEGNN_PADDING_SAME)",
                        stride, padding, dilation, groups);
        return NULL;
    }
    if (padding == EEGNN_PADDING_SAME && stride != 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "conv1d: padding 'same' needs stride 1 (got %d), as in PyTorch", stride);
        return NULL;
    }
    if (x->ndim != 3 || w->ndim != 3) {
        eegnn_set_error(EEGNN_ERR_ARG, "conv1d: input %s and weight %s must be (B, C_in, T) and "
                        "(C_out, C_in/groups, K)", sx, sw);
        return NULL;
    }
    if (x->shape[1] % groups || w->shape[0] % groups || w->shape[1] != x->shape[1] / groups) {
        eegnn_set_error(EEGNN_ERR_ARG, "conv1d: input %s, weight %s and groups %d do not match (expected weight "
                        "(C_out, %d, K) with C_in and C_out divisible by groups)",
                        sx, sw, groups, x->shape[1] / groups);
        return NULL;
    }
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) {
        eegnn_set_error(EEGNN_ERR_ARG, "conv1d: bias %s does not match weight %s (expected (%d))",
                        eegnn_shape_str(b, sx, sizeof sx), sw, w->shape[0]);
        return NULL;
    }
    span = dilation * (w->shape[2] - 1); /* input samples spanned by the kernel, minus one */
    if (padding == EEGNN_PADDING_SAME) {
        left = span / 2;
        right = span - left;
    } else {
        left = right = padding;
    }
    if (x->shape[2] + left + right - span - 1 < 0) {
        eegnn_set_error(EEGNN_ERR_ARG, "conv1d: input %s is shorter than the kernel %s (dilation %d, padding %d+%d)",
                        sx, sw, dilation, left, right);
        return NULL;
    }
    shape[0] = x->shape[0];
    shape[1] = w->shape[0];
    shape[2] = (x->shape[2] + left + right - span - 1) / stride + 1;
    src[0] = x;
    src[1] = w;
    src[2] = b;
    t = eegnn_graph_new_op(g, EEGNN_OP_CONV1D, 3, shape, src, b ? 3 : 2);
    if (!t) return NULL;
    t->ip[0] = stride;
    t->ip[1] = left;
    t->ip[2] = dilation;
    t->ip[3] = groups;
    t->forward = eegnn__conv_forward;
    t->backward = eegnn__conv_backward;
    eegnn__conv_geom_of(t, &q);
    /* per thread: sgemm workspace, col and dcol, partial dw and db, the row convolutions' padded rows,
       the weight gradient by rows */
    scratch = q.work_floats + 2 * (size_t)q.cpg * q.k * q.tout + (size_t)q.cout * q.cpg * q.k + (size_t)q.cout +
              q.row_floats + q.dw_floats;
    if (q.row_fwd) { /* packed weights: the forward's, then the input gradient's */
        t->aux_len = (size_t)q.groups * (q.pk_fwd + q.pk_dx);
        t->aux = (float *)eegnn_graph_alloc(g, t->aux_len * sizeof(float));
        if (!t->aux) return NULL;
    }
    eegnn_graph_reserve_scratch(g, scratch);
    return t;
}
