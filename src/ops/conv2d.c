/* 2-D convolution (torch.nn.functional.conv2d), forward and backward.
 *
 * Output positions of one (sample, group) are handled in blocks of whole
 * output rows. For a block of P positions, the unfolded input is
 * col (cpg*kH*kW, P) with col[(c, i, j), (oh, ow)] =
 * x[c, oh*sH + i*dH - padT, ow*sW + j*dW - padL] (zero outside), and
 *   y_g[:, block]  = w_g (opg, ckk) @ col               (forward)
 *   dw_g          += dy_g[:, block] @ col^T             (weight gradient)
 *   dcol           = w_g^T @ dy_g[:, block], folded into dx (col2im).
 * With the built-in sgemm, col is never written: packing callbacks read x
 * straight into the gemm's packed panels. Groups of one input channel
 * (depthwise), few outputs per group, stride 1 and rows of 16 or more
 * outputs along W use direct loops instead. A (1, k) kernel thus is a 1-D
 * convolution per row, a (C, 1) kernel over C rows a single matrix product.
 * Threads: forward splits (sample, group, row block) units, backward
 * (sample, group) units, into one contiguous range per task; weight and
 * bias gradients are summed per task and reduced in task order.
 *
 * ip: [0] stride H, [1] stride W, [2] pad top, [3] pad left, [4] dilation H,
 * [5] dilation W, [6] groups, [7] output rows per block.
 * src: x (B, C_in, H, W), w (C_out, C_in/groups, kH, kW), b (C_out) or NULL. */

typedef struct eegnn__c2_geom {
    int batch, cin, hin, win, cout, kh, kw, hout, wout;
    int sh, sw, pt, pl, dh, dw, groups, cpg, opg, ckk;
    int rows;           /* output rows per block */
    int direct;         /* depthwise-style groups computed by direct loops */
    int row_conv;       /* forward by the row-convolution kernel (kH = 1, stride 1 along W) */
    int n_sl;           /* row_conv: slivers of MR output channels per group */
    int wp;             /* row_conv: padded input row length */
    int n_blocks;       /* blocks per (sample, group) */
    int mr, nr;         /* register tile of the CPU path: rows, columns */
    int ld_o, ckk_pad;  /* row_conv weight gradient: dy^T and dw^T row length, dw^T rows */
    int dw_taps;        /* ... or tiled by taps, straight into dw (eegnn__row_conv_dw_by_taps) */
    int ld_dx;          /* row_conv input gradient: padded dy row length */
    size_t pk_dx;       /* floats of its packed (transposed, reversed) weights per group */
    size_t dxr_floats;  /* its per-task scratch: padded dy rows and a tile */
    size_t dwr_floats;  /* its per-task scratch: a padded input row per channel, dy^T, dw^T per group */
    size_t work_floats; /* sgemm workspace at the start of each scratch slot */
    size_t col_floats;  /* ckk * rows * wout */
} eegnn__c2_geom;

static void eegnn__c2_geom_of(const eegnn_tensor *t, eegnn__c2_geom *q) {
    const eegnn_tensor *x = t->src[0], *w = t->src[1];
    q->batch = x->shape[0];
    q->cin = x->shape[1];
    q->hin = x->shape[2];
    q->win = x->shape[3];
    q->cout = w->shape[0];
    q->kh = w->shape[2];
    q->kw = w->shape[3];
    q->hout = t->shape[2];
    q->wout = t->shape[3];
    q->sh = t->ip[0];
    q->sw = t->ip[1];
    q->pt = t->ip[2];
    q->pl = t->ip[3];
    q->dh = t->ip[4];
    q->dw = t->ip[5];
    q->groups = t->ip[6];
    q->rows = t->ip[7];
    q->cpg = q->cin / q->groups;
    q->opg = q->cout / q->groups;
    q->ckk = q->cpg * q->kh * q->kw;
    q->n_blocks = (q->hout + q->rows - 1) / q->rows;
    /* one input channel per group, few outputs per group and long rows:
     * the matrix product would spend its time packing */
    q->direct = q->cpg == 1 && q->sw == 1 && q->opg <= 16 && q->wout >= 16;
    /* a (1, k) kernel at stride 1 along W reads shifted copies of one padded
     * input row: no unfolding, unless the groups are too thin for a tile */
    q->mr = eegnn__cpu()->mr;
    q->nr = eegnn__cpu()->nr;
#ifndef EEGNN_USE_OPENBLAS
    q->row_conv = q->kh == 1 && q->sw == 1 && (q->cpg > 1 || q->opg >= q->mr);
#else
    q->row_conv = 0;
#endif
    q->n_sl = (q->opg + q->mr - 1) / q->mr;
    q->wp = eegnn__row_conv_ld(q->wout, q->kw, q->dw);
    q->ld_o = eegnn__row_conv_dw_ld(q->opg);
    q->ckk_pad = eegnn__row_conv_dw_rows(q->ckk);
    q->dw_taps = eegnn__row_conv_dw_by_taps(q->opg, q->kw, q->dw);
    q->ld_dx = eegnn__row_conv_ld(q->win, q->kw, q->dw);
    q->pk_dx = q->row_conv && q->cpg > 1 ? eegnn__row_conv_packed_floats(q->cpg, q->opg, q->kw) : 0;
    q->dxr_floats = q->pk_dx ? (size_t)q->opg * q->ld_dx + (size_t)EEGNN__MR_MAX * EEGNN__NR_MAX : 0;
    q->dwr_floats = q->row_conv ? (size_t)q->cpg * q->wp + (size_t)q->wout * q->ld_o +
                                      (size_t)q->groups * q->ckk_pad * q->ld_o
                                : 0;
    q->work_floats = (eegnn__sgemm_work_floats() + 15u) & ~(size_t)15u;
    q->col_floats = ((size_t)q->ckk * q->rows * q->wout + 15u) & ~(size_t)15u;
}

/* Output indices o in [*lo, *hi) (of n_out) whose input index o*stride + off
 * lies in [0, n_in). */
static void eegnn__c2_valid(int n_out, int n_in, int stride, int off, int *lo, int *hi) {
    int a = 0, b;
    if (off < 0) a = (-off + stride - 1) / stride;
    b = n_in - 1 - off < 0 ? 0 : (n_in - 1 - off) / stride + 1;
    if (b > n_out) b = n_out;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

/* dst[i * ds] = col[j, pos0 + i] for i < len, where positions count
 * (oh, ow) over the whole output plane; x is the group's (cpg, H, W). */
static void eegnn__c2_gather(const eegnn__c2_geom *q, const float *x, int j, int pos0, int len, float *dst,
                             int ds) {
    int kk = q->kh * q->kw, c = j / kk, r = j % kk, ki = r / q->kw, kj = r % q->kw;
    int hoff = ki * q->dh - q->pt, woff = kj * q->dw - q->pl;
    int oh = pos0 / q->wout, ow = pos0 % q->wout, i = 0, lo, hi, s;
    const float *xc = x + (size_t)c * q->hin * q->win;
    if (q->wout == 1) { /* one position per output row: a strided column of x */
        int a, b;
        size_t step = (size_t)q->sh * q->win;
        const float *xp;
        eegnn__c2_valid(q->hout, q->hin, q->sh, hoff, &a, &b);
        a = EEGNN__MIN(EEGNN__MAX(a - pos0, 0), len);
        b = EEGNN__MAX(EEGNN__MIN(b - pos0, len), a);
        if (woff < 0 || woff >= q->win) a = b = 0;
        for (s = 0; s < a; s++) dst[(size_t)s * ds] = 0.0f;
        if (b > a) {
            xp = xc + woff + (size_t)((pos0 + a) * q->sh + hoff) * q->win; /* input of position pos0 + a */
            for (s = a; s < b; s++) dst[(size_t)s * ds] = xp[(size_t)(s - a) * step];
        }
        for (s = b; s < len; s++) dst[(size_t)s * ds] = 0.0f;
        return;
    }
    eegnn__c2_valid(q->wout, q->win, q->sw, woff, &lo, &hi);
    while (i < len) {
        int n = EEGNN__MIN(len - i, q->wout - ow), ih = oh * q->sh + hoff;
        float *d = dst + (size_t)i * ds;
        if (ih < 0 || ih >= q->hin) {
            for (s = 0; s < n; s++) d[(size_t)s * ds] = 0.0f;
        } else {
            const float *xr = xc + (size_t)ih * q->win + woff;
            int a = EEGNN__MIN(EEGNN__MAX(lo - ow, 0), n), b = EEGNN__MAX(EEGNN__MIN(hi - ow, n), a);
            for (s = 0; s < a; s++) d[(size_t)s * ds] = 0.0f;
            if (q->sw == 1) {
                if (ds == 1)
                    memcpy(d + a, xr + ow + a, (size_t)(b - a) * sizeof(float));
                else
                    for (s = a; s < b; s++) d[(size_t)s * ds] = xr[ow + s];
            } else {
                for (s = a; s < b; s++) d[(size_t)s * ds] = xr[(size_t)(ow + s) * q->sw];
            }
            for (s = b; s < n; s++) d[(size_t)s * ds] = 0.0f;
        }
        i += n;
        oh++;
        ow = 0;
    }
}

/* dx (cpg, H, W) of one group += fold of dcol (ckk, len) holding positions
 * [pos0, pos0 + len). */
static void eegnn__c2_col2im(const eegnn__c2_geom *q, const float *dcol, int pos0, int len, float *dx) {
    int kk = q->kh * q->kw, j;
    for (j = 0; j < q->ckk; j++) {
        int c = j / kk, r = j % kk, ki = r / q->kw, kj = r % q->kw;
        int hoff = ki * q->dh - q->pt, woff = kj * q->dw - q->pl;
        int oh = pos0 / q->wout, ow = pos0 % q->wout, i = 0, lo, hi, s;
        const float *src = dcol + (size_t)j * len;
        float *xc = dx + (size_t)c * q->hin * q->win;
        eegnn__c2_valid(q->wout, q->win, q->sw, woff, &lo, &hi);
        while (i < len) {
            int n = EEGNN__MIN(len - i, q->wout - ow), ih = oh * q->sh + hoff;
            if (ih >= 0 && ih < q->hin) {
                float *xr = xc + (size_t)ih * q->win + woff;
                const float *sr = src + i - ow;
                int a = EEGNN__MAX(lo, ow), b = EEGNN__MIN(hi, ow + n);
                if (q->sw == 1)
                    for (s = a; s < b; s++) xr[s] += sr[s];
                else
                    for (s = a; s < b; s++) xr[(size_t)s * q->sw] += sr[s];
            }
            i += n;
            oh++;
            ow = 0;
        }
    }
}

#ifndef EEGNN_USE_OPENBLAS
typedef struct eegnn__c2_pack_ctx {
    const eegnn__c2_geom *q;
    const float *x; /* (cpg, H, W) of one sample and group */
    int pos0;       /* first output position of the block */
} eegnn__c2_pack_ctx;

/* B = col (ckk, P) of the block. A sliver inside one output row of a
 * stride-1 row kernel (kH = 1) is a shifted copy of one input row per
 * kernel tap: copied directly, zeros where the tap falls in the padding. */
static void eegnn__c2_pack_col(const void *ctx, int p0, int kc, int j0, int nc, float *bp) {
    const eegnn__c2_pack_ctx *pc = (const eegnn__c2_pack_ctx *)ctx;
    const eegnn__c2_geom *q = pc->q;
    const int NR = q->nr;
    int js, p, s;
    for (js = 0; js < nc; js += NR) {
        int nr = EEGNN__MIN(NR, nc - js), pos = pc->pos0 + j0 + js;
        int oh = pos / q->wout, ow = pos % q->wout;
        float *dst = bp + (size_t)js * kc;
        if (q->kh == 1 && q->sw == 1 && ow + nr <= q->wout) {
            int ih = oh * q->sh - q->pt, c = p0 / q->kw, kj = p0 % q->kw;
            for (p = 0; p < kc; p++) {
                float *d = dst + (size_t)p * NR;
                int start = ow + kj * q->dw - q->pl; /* input column of the sliver's first position */
                int a = EEGNN__MIN(EEGNN__MAX(-start, 0), nr), b = EEGNN__MAX(EEGNN__MIN(q->win - start, nr), a);
                if (ih < 0 || ih >= q->hin) a = b = nr;
                for (s = 0; s < a; s++) d[s] = 0.0f;
                if (b > a) memcpy(d + a, pc->x + ((size_t)c * q->hin + ih) * q->win + start + a,
                                  (size_t)(b - a) * sizeof(float));
                for (s = b; s < NR; s++) d[s] = 0.0f;
                if (++kj == q->kw) {
                    kj = 0;
                    c++;
                }
            }
            continue;
        }
        for (p = 0; p < kc; p++) {
            float *d = dst + (size_t)p * NR;
            eegnn__c2_gather(pc->q, pc->x, p0 + p, pc->pos0 + j0 + js, nr, d, 1);
            for (s = nr; s < NR; s++) d[s] = 0.0f;
        }
    }
}

/* B = col^T (P, ckk) of the block. */
static void eegnn__c2_pack_col_t(const void *ctx, int p0, int kc, int j0, int nc, float *bp) {
    const eegnn__c2_pack_ctx *pc = (const eegnn__c2_pack_ctx *)ctx;
    const int NR = pc->q->nr;
    int js, p, s;
    for (js = 0; js < nc; js += NR) {
        int nr = EEGNN__MIN(NR, nc - js);
        float *dst = bp + (size_t)js * kc;
        for (s = 0; s < nr; s++) eegnn__c2_gather(pc->q, pc->x, j0 + js + s, pc->pos0 + p0, kc, dst + s, NR);
        for (s = nr; s < NR; s++)
            for (p = 0; p < kc; p++) dst[(size_t)p * NR + s] = 0.0f;
    }
}
#else
/* col (ckk, len) of positions [pos0, pos0 + len), written out for cblas. */
static void eegnn__c2_im2col(const eegnn__c2_geom *q, const float *x, int pos0, int len, float *col) {
    int j;
    for (j = 0; j < q->ckk; j++) eegnn__c2_gather(q, x, j, pos0, len, col + (size_t)j * len, 1);
}
#endif

/* Depthwise-style groups (one input channel per group, stride 1 along W)
 * skip the matrix product: each kernel tap is an axpy / dot product over a
 * contiguous output row. xg: the group's input plane (H, W); wg: its
 * (opg, kH, kW) weights; y rows [r0, r1) of the group's opg planes. */
static void eegnn__c2_direct_fwd(const eegnn__c2_geom *q, const float *xg, const float *wg, float *yg, int r0,
                                 int r1) {
    size_t plane_out = (size_t)q->hout * q->wout;
    int o, oh, i, j, s;
    for (o = 0; o < q->opg; o++)
        for (oh = r0; oh < r1; oh++) {
            float *yr = yg + (size_t)o * plane_out + (size_t)oh * q->wout;
            for (i = 0; i < q->kh; i++) {
                int ih = oh * q->sh + i * q->dh - q->pt;
                if (ih < 0 || ih >= q->hin) continue;
                for (j = 0; j < q->kw; j++) {
                    int woff = j * q->dw - q->pl, lo, hi;
                    float wv = wg[((size_t)o * q->kh + i) * q->kw + j];
                    const float *xr = xg + (size_t)ih * q->win + woff;
                    eegnn__c2_valid(q->wout, q->win, 1, woff, &lo, &hi);
                    for (s = lo; s < hi; s++) yr[s] += wv * xr[s];
                }
            }
        }
}

/* Dot product in 8 interleaved partial sums (vectorizes without
 * reassociating a single accumulator). */
static float eegnn__c2_dot(const float *a, const float *b, int n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s;
    int i = 0, l;
    for (; i + 8 <= n; i += 8)
        for (l = 0; l < 8; l++) acc[l] += a[i + l] * b[i + l];
    s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

/* dw (opg, kH, kW) += taps . dy; dx (H, W) += w * dy when dx != NULL. */
static void eegnn__c2_direct_bwd(const eegnn__c2_geom *q, const float *xg, const float *wg, const float *dyg,
                                 float *dwg, float *dxg) {
    size_t plane_out = (size_t)q->hout * q->wout;
    int o, oh, i, j, s;
    for (o = 0; o < q->opg; o++)
        for (oh = 0; oh < q->hout; oh++) {
            const float *dr = dyg + (size_t)o * plane_out + (size_t)oh * q->wout;
            for (i = 0; i < q->kh; i++) {
                int ih = oh * q->sh + i * q->dh - q->pt;
                if (ih < 0 || ih >= q->hin) continue;
                for (j = 0; j < q->kw; j++) {
                    int woff = j * q->dw - q->pl, lo, hi;
                    size_t wi = ((size_t)o * q->kh + i) * q->kw + j;
                    const float *xr = xg + (size_t)ih * q->win + woff;
                    eegnn__c2_valid(q->wout, q->win, 1, woff, &lo, &hi);
                    if (dwg) dwg[wi] += eegnn__c2_dot(dr + lo, xr + lo, hi - lo);
                    if (dxg) {
                        float wv = wg[wi], *dxr = dxg + (size_t)ih * q->win + woff;
                        for (s = lo; s < hi; s++) dxr[s] += wv * dr[s];
                    }
                }
            }
        }
}

typedef struct eegnn__c2_job {
    eegnn_graph *g;
    eegnn_tensor *t;
    eegnn__c2_geom q;
    eegnn_work units; /* forward: (sample, group, row block) units handed out one by one */
} eegnn__c2_job;

#ifndef EEGNN_USE_OPENBLAS
/* Packs the weights of every group for the row convolution (kH = 1):
 * group g's slivers start at ap + g * n_sl * ckk * MR. */
static void eegnn__c2_pack_weights(const eegnn__c2_geom *q, const float *w, float *ap) {
    int gi;
    for (gi = 0; gi < q->groups; gi++)
        eegnn__row_conv_pack(q->opg, q->cpg, q->kw, w + (size_t)gi * q->opg * q->ckk, (size_t)q->ckk, (size_t)q->kw, 0,
                             ap + (size_t)gi * q->n_sl * q->ckk * q->mr);
}

/* Output rows [r0, r1) of one (sample, group) by the row convolution: each
 * input row is copied once into a zero-padded buffer (cpg, wp), whose
 * shifted vectors are the unfolded columns. yg holds the bias already. */
static void eegnn__c2_row_conv_fwd(const eegnn__c2_geom *q, const float *xg, const float *apg, float *yg, int r0,
                                   int r1, float *work) {
    size_t plane_out = (size_t)q->hout * q->wout;
    float *xpad = work, *tile = work + (size_t)q->cpg * q->wp;
    int oh, c;
    for (oh = r0; oh < r1; oh++) {
        int ih = oh * q->sh - q->pt;
        if (ih < 0 || ih >= q->hin) continue; /* the row sees only padding: bias */
        for (c = 0; c < q->cpg; c++) {
            float *d = xpad + (size_t)c * q->wp;
            int tail = q->wp - q->pl - q->win;
            memset(d, 0, (size_t)q->pl * sizeof(float));
            memcpy(d + q->pl, xg + ((size_t)c * q->hin + ih) * q->win, (size_t)q->win * sizeof(float));
            if (tail > 0) memset(d + q->pl + q->win, 0, (size_t)tail * sizeof(float));
        }
        eegnn__row_conv(q->opg, q->cpg, q->kw, q->dw, apg, xpad, q->wp, yg + (size_t)oh * q->wout, plane_out, q->wout,
                        tile);
    }
}
#endif

static void eegnn__c2_forward_task(void *ctx, int task, int n_tasks) {
    eegnn__c2_job *jb = (eegnn__c2_job *)ctx;
    const eegnn__c2_geom *q = &jb->q;
    eegnn_tensor *t = jb->t, *x = t->src[0], *w = t->src[1], *b = t->src[2];
    long long u;
    size_t plane_in = (size_t)q->hin * q->win, plane_out = (size_t)q->hout * q->wout, u0, u1;
    float *work = eegnn_graph_scratch(jb->g, task);
    float *col = work + q->work_floats;
    int o, i;
    (void)col;
    (void)n_tasks;
    while (eegnn_work_next(&jb->units, &u0, &u1)) { /* one unit at a time */
        u = (long long)u0;
        int blk = (int)(u % q->n_blocks), gi = (int)(u / q->n_blocks % q->groups), n = (int)(u / q->n_blocks / q->groups);
        int r0 = blk * q->rows, r1 = EEGNN__MIN(q->hout, r0 + q->rows);
        int pos0 = r0 * q->wout, len = (r1 - r0) * q->wout;
        const float *xg = x->data + ((size_t)n * q->cin + (size_t)gi * q->cpg) * plane_in;
        const float *wg = w->data + (size_t)gi * q->opg * q->ckk;
        float *yg = t->data + ((size_t)n * q->cout + (size_t)gi * q->opg) * plane_out + pos0;
        for (o = 0; o < q->opg; o++) {
            float bv = b ? b->data[gi * q->opg + o] : 0.0f, *yr = yg + (size_t)o * plane_out;
            for (i = 0; i < len; i++) yr[i] = bv;
        }
#ifndef EEGNN_USE_OPENBLAS
        if (q->row_conv) {
            eegnn__c2_row_conv_fwd(q, xg, t->aux + (size_t)gi * q->n_sl * q->ckk * q->mr, yg - pos0, r0, r1, work);
            continue;
        }
#endif
        if (q->direct) {
            eegnn__c2_direct_fwd(q, xg, wg, yg - pos0, r0, r1);
            continue;
        }
#ifdef EEGNN_USE_OPENBLAS
        eegnn__c2_im2col(q, xg, pos0, len, col);
        eegnn__sgemm_serial(0, 0, q->opg, len, q->ckk, 1.0f, wg, q->ckk, col, len, 1.0f, yg, (int)plane_out, work);
#else
        {
            eegnn__c2_pack_ctx pc;
            pc.q = q;
            pc.x = xg;
            pc.pos0 = pos0;
            eegnn__sgemm_serial_packed_b(0, q->opg, len, q->ckk, 1.0f, wg, q->ckk, eegnn__c2_pack_col, &pc, 1.0f, yg,
                                         (int)plane_out, work);
        }
#endif
    }
}

static void eegnn__c2_forward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__c2_job job;
    long long units;
    int n_tasks = eegnn_graph_n_threads(g);
    job.g = g;
    job.t = t;
    eegnn__c2_geom_of(t, &job.q);
    units = (long long)job.q.batch * job.q.groups * job.q.n_blocks;
    if (units < n_tasks) n_tasks = (int)units;
#ifndef EEGNN_USE_OPENBLAS
    if (job.q.row_conv) eegnn__c2_pack_weights(&job.q, t->src[1]->data, t->aux);
#endif
    eegnn_work_init(&job.units, (size_t)units, 1);
    eegnn_parallel_for(eegnn_graph_pool(g), n_tasks, eegnn__c2_forward_task, &job);
}

#ifndef EEGNN_USE_OPENBLAS
/* dwt (ckk_pad, ld_o) += the weight gradient of one (sample, group) of a
 * row convolution (kH = 1, stride 1 along W), row by row without
 * unfolding, or dwg (opg, ckk) += it when tiled by taps; buf: cpg * wp
 * floats of padded input rows, then dy^T. */
static void eegnn__c2_dw_rows(const eegnn__c2_geom *q, const float *xg, const float *dyg, float *buf, float *dwt,
                              float *dwg) {
    size_t plane_out = (size_t)q->hout * q->wout;
    float *xpad = buf, *dyt = buf + (size_t)q->cpg * q->wp;
    int oh, c;
    for (oh = 0; oh < q->hout; oh++) {
        int ih = oh * q->sh - q->pt;
        if (ih < 0 || ih >= q->hin) continue; /* the row saw only padding */
        for (c = 0; c < q->cpg; c++)
            eegnn__row_conv_pad(xg + ((size_t)c * q->hin + ih) * q->win, q->win, q->pl, q->wp, xpad + (size_t)c * q->wp);
        if (q->dw_taps) {
            eegnn__row_conv_dw_taps(q->opg, q->cpg, q->kw, xpad, q->wp, dyg + (size_t)oh * q->wout, plane_out, q->wout,
                                    dwg, (size_t)q->ckk);
            continue;
        }
        eegnn__row_conv_transpose(q->opg, q->wout, dyg + (size_t)oh * q->wout, plane_out, q->ld_o, dyt);
        eegnn__row_conv_dw(q->opg, q->cpg, q->kw, q->dw, xpad, q->wp, dyt, q->ld_o, q->wout, dwt);
    }
}
#endif

#ifndef EEGNN_USE_OPENBLAS
/* dx of one (sample, group) of a row convolution with cpg > 1, row by row:
 * input row ih = oh * sh - pt gets the row convolution of output row oh's
 * dy (padded by span - pl on the left) with the transposed, reversed
 * weights wpt; buf: opg * ld_dx floats of padded dy rows, then a tile. */
static void eegnn__c2_dx_rows(const eegnn__c2_geom *q, const float *dyg, const float *wpt, float *buf, float *dxg) {
    size_t plane_in = (size_t)q->hin * q->win, plane_out = (size_t)q->hout * q->wout;
    float *tile = buf + (size_t)q->opg * q->ld_dx;
    int oh, o, shift = q->dw * (q->kw - 1) - q->pl;
    for (oh = 0; oh < q->hout; oh++) {
        int ih = oh * q->sh - q->pt;
        if (ih < 0 || ih >= q->hin) continue;
        for (o = 0; o < q->opg; o++)
            eegnn__row_conv_pad(dyg + (size_t)o * plane_out + (size_t)oh * q->wout, q->wout, shift, q->ld_dx,
                                buf + (size_t)o * q->ld_dx);
        eegnn__row_conv(q->cpg, q->opg, q->kw, q->dw, wpt, buf, q->ld_dx, dxg + (size_t)ih * q->win, plane_in, q->win,
                        tile);
    }
}
#endif

/* Per-task scratch of the backward pass after the sgemm workspace:
 * col or dcol (col_floats), dw partial (cout * ckk), db partial (cout). */
static void eegnn__c2_backward_task(void *ctx, int task, int n_tasks) {
    eegnn__c2_job *jb = (eegnn__c2_job *)ctx;
    const eegnn__c2_geom *q = &jb->q;
    eegnn_tensor *t = jb->t, *x = t->src[0], *w = t->src[1], *b = t->src[2];
    long long units = (long long)q->batch * q->groups, u;
    long long u0 = units * task / n_tasks, u1 = units * (task + 1) / n_tasks;
    size_t plane_in = (size_t)q->hin * q->win, plane_out = (size_t)q->hout * q->wout;
    float *work = eegnn_graph_scratch(jb->g, task);
    float *col = work + q->work_floats;
    float *dw = col + q->col_floats;         /* (cout, ckk) */
    float *db = dw + (size_t)q->cout * q->ckk; /* (cout) */
    float *dwr_buf = db + q->cout;              /* row_conv weight gradient: buffers, then dw^T per group */
    float *dwt = dwr_buf + (size_t)q->cpg * q->wp + (size_t)q->wout * q->ld_o;
    float *dxr_buf = dwr_buf + q->dwr_floats; /* row_conv input gradient */
    (void)dxr_buf;
    int need_dw = w->grad != NULL, need_db = b && b->grad, need_dx = x->grad != NULL;
    int dw_rows = need_dw && q->row_conv, dx_rows = need_dx && q->pk_dx;
    int o, blk;
    if (need_dw) memset(dw, 0, (size_t)q->cout * q->ckk * sizeof(float));
    if (dw_rows && !q->dw_taps) memset(dwt, 0, (size_t)q->groups * q->ckk_pad * q->ld_o * sizeof(float));
    if (need_db) memset(db, 0, (size_t)q->cout * sizeof(float));
    for (u = u0; u < u1; u++) {
        int gi = (int)(u % q->groups), n = (int)(u / q->groups);
        size_t xoff = ((size_t)n * q->cin + (size_t)gi * q->cpg) * plane_in;
        const float *xg = x->data + xoff;
        const float *wg = w->data + (size_t)gi * q->opg * q->ckk;
        const float *dyg = t->grad + ((size_t)n * q->cout + (size_t)gi * q->opg) * plane_out;
        float *dwg = dw + (size_t)gi * q->opg * q->ckk;
        if (need_db)
            for (o = 0; o < q->opg; o++) {
                db[gi * q->opg + o] += eegnn__sum_floats(dyg + (size_t)o * plane_out, plane_out);
            }
#ifndef EEGNN_USE_OPENBLAS
        if (dw_rows) eegnn__c2_dw_rows(q, xg, dyg, dwr_buf, dwt + (size_t)gi * q->ckk_pad * q->ld_o, dwg);
        if (dx_rows)
            eegnn__c2_dx_rows(q, dyg, t->aux + (size_t)q->groups * q->n_sl * q->ckk * q->mr + (size_t)gi * q->pk_dx,
                              dxr_buf, x->grad + xoff);
#endif
        if (q->direct) {
            if ((need_dw && !dw_rows) || (need_dx && !dx_rows))
                eegnn__c2_direct_bwd(q, xg, wg, dyg, need_dw && !dw_rows ? dwg : NULL,
                                     need_dx && !dx_rows ? x->grad + xoff : NULL);
            continue;
        }
        if ((!need_dw || dw_rows) && (!need_dx || dx_rows)) continue;
        for (blk = 0; blk < q->n_blocks; blk++) {
            int r0 = blk * q->rows, r1 = EEGNN__MIN(q->hout, r0 + q->rows);
            int pos0 = r0 * q->wout, len = (r1 - r0) * q->wout;
            if (need_dw && !dw_rows) { /* dw_g (opg, ckk) += dy_g (opg, len) @ col^T (len, ckk) */
#ifdef EEGNN_USE_OPENBLAS
                eegnn__c2_im2col(q, xg, pos0, len, col);
                eegnn__sgemm_serial(0, 1, q->opg, q->ckk, len, 1.0f, dyg + pos0, (int)plane_out, col, len, 1.0f, dwg,
                                    q->ckk, work);
#else
                eegnn__c2_pack_ctx pc;
                pc.q = q;
                pc.x = xg;
                pc.pos0 = pos0;
                eegnn__sgemm_serial_packed_b(0, q->opg, q->ckk, len, 1.0f, dyg + pos0, (int)plane_out,
                                             eegnn__c2_pack_col_t, &pc, 1.0f, dwg, q->ckk, work);
#endif
            }
            if (need_dx && !dx_rows) { /* dcol (ckk, len) = w_g^T (ckk, opg) @ dy_g (opg, len) */
                eegnn__sgemm_serial(1, 0, q->ckk, len, q->opg, 1.0f, wg, q->ckk, dyg + pos0, (int)plane_out, 0.0f, col,
                                    len, work);
                eegnn__c2_col2im(q, col, pos0, len, x->grad + xoff);
            }
        }
    }
    if (dw_rows && !q->dw_taps) { /* dw (cout, ckk) += the transposed dw^T of every group */
        int gi, p;
        for (gi = 0; gi < q->groups; gi++)
            for (o = 0; o < q->opg; o++) {
                float *d = dw + ((size_t)gi * q->opg + o) * q->ckk;
                const float *sT = dwt + (size_t)gi * q->ckk_pad * q->ld_o + o;
                for (p = 0; p < q->ckk; p++) d[p] += sT[(size_t)p * q->ld_o];
            }
    }
}

static void eegnn__c2_backward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__c2_job job;
    eegnn_tensor *w = t->src[1], *b = t->src[2];
    const eegnn__c2_geom *q = &job.q;
    int n_tasks = eegnn_graph_n_threads(g), task;
    long long units;
    size_t i, n_w;
    job.g = g;
    job.t = t;
    eegnn__c2_geom_of(t, &job.q);
    units = (long long)q->batch * q->groups;
    if (units < n_tasks) n_tasks = (int)units;
#ifndef EEGNN_USE_OPENBLAS
    if (q->pk_dx && t->src[0]->grad) { /* W'_g[c, o, j] = W_g[o, c, kW-1-j] (cpg, opg, kW) */
        int gi;
        for (gi = 0; gi < q->groups; gi++)
            eegnn__row_conv_pack(q->cpg, q->opg, q->kw, w->data + (size_t)gi * q->opg * q->ckk, (size_t)q->kw,
                                 (size_t)q->ckk, 1, t->aux + (size_t)q->groups * q->n_sl * q->ckk * q->mr + (size_t)gi * q->pk_dx);
    }
#endif
    eegnn_parallel_for(eegnn_graph_pool(g), n_tasks, eegnn__c2_backward_task, &job);
    n_w = (size_t)q->cout * q->ckk;
    for (task = 0; task < n_tasks; task++) { /* reduce the partial sums in task order */
        const float *dw = eegnn_graph_scratch(g, task) + q->work_floats + q->col_floats;
        const float *db = dw + n_w;
        if (w->grad)
            for (i = 0; i < n_w; i++) w->grad[i] += dw[i];
        if (b && b->grad)
            for (i = 0; i < (size_t)q->cout; i++) b->grad[i] += db[i];
    }
}

/* Padding before / after one dimension and its output size; returns 0 when
 * the output would be empty. */
static int eegnn__c2_dim(int in, int k, int stride, int padding, int dilation, int *before, int *out) {
    int span = dilation * (k - 1), after;
    if (padding == EEGNN_PADDING_SAME) {
        *before = span / 2;
        after = span - *before;
    } else {
        *before = after = padding;
    }
    if (in + *before + after - span - 1 < 0) return 0;
    *out = (in + *before + after - span - 1) / stride + 1;
    return 1;
}

/* Checks conv2d's arguments; fills the output shape and the node's ip[]
 * (see the top of this file). Returns 0 (error set) when they do not fit. */
static int eegnn__c2_check(const eegnn_tensor *x, const eegnn_tensor *w, const eegnn_tensor *b,
                           const eegnn_conv2d_params *p, int shape[4], int ip[8]) {
    int stride[2] = {1, 1}, padding[2] = {0, 0}, dilation[2] = {1, 1}, groups = 1, before[2], d;
    int target, rows;
    if (p) {
        for (d = 0; d < 2; d++) {
            stride[d] = p->stride[d] ? p->stride[d] : 1;
            padding[d] = p->padding[d];
            dilation[d] = p->dilation[d] ? p->dilation[d] : 1;
        }
        groups = p->groups ? p->groups : 1;
    }
    for (d = 0; d < 2; d++) {
        if (stride[d] < 1 || dilation[d] < 1 || (padding[d] < 0 && padding[d] != EEGNN_PADDING_SAME)) {
            eegnn_set_error(EEGNN_ERR_ARG, "conv2d: stride (%d, %d), padding (%d, %d), dilation (%d, %d): stride and "
                            "dilation must be >= 1, padding >= 0 or EEGNN_PADDING_SAME",
                            stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]);
            return 0;
        }
        if (padding[d] == EEGNN_PADDING_SAME && stride[d] != 1) {
            eegnn_set_error(EEGNN_ERR_ARG, "conv2d: padding 'same' needs stride 1 (got %d in dimension %d), as in "
                            "PyTorch", stride[d], d + 2);
            return 0;
        }
    }
    if (groups < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "conv2d: groups %d must be >= 1", groups);
        return 0;
    }
    if (x->ndim != 4 || w->ndim != 4) {
        eegnn_set_error(EEGNN_ERR_ARG, "conv2d: input %s and weight %s must be (B, C_in, H, W) and "
                        "(C_out, C_in/groups, kH, kW)", eegnn__shp(x), eegnn__shp(w));
        return 0;
    }
    if (x->shape[1] % groups || w->shape[0] % groups || w->shape[1] != x->shape[1] / groups) {
        eegnn_set_error(EEGNN_ERR_ARG, "conv2d: input %s, weight %s and groups %d do not match (expected weight "
                        "(C_out, %d, kH, kW) with C_in and C_out divisible by groups)",
                        eegnn__shp(x), eegnn__shp(w), groups, x->shape[1] / groups);
        return 0;
    }
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) {
        eegnn_set_error(EEGNN_ERR_ARG, "conv2d: bias %s does not match weight %s (expected (%d))", eegnn__shp(b),
                        eegnn__shp(w), w->shape[0]);
        return 0;
    }
    for (d = 0; d < 2; d++)
        if (!eegnn__c2_dim(x->shape[2 + d], w->shape[2 + d], stride[d], padding[d], dilation[d], &before[d],
                           &shape[2 + d])) {
            eegnn_set_error(EEGNN_ERR_ARG, "conv2d: input %s is smaller than the kernel %s in dimension %d "
                            "(dilation %d, padding %d)", eegnn__shp(x), eegnn__shp(w), d + 2, dilation[d],
                            padding[d]);
            return 0;
        }
    shape[0] = x->shape[0];
    shape[1] = w->shape[0];
    /* rows per block: about 512 output positions (more when the unfolded
     * block stays under 256 Ki floats), whole rows, at least one */
    {
        long long ckk = (long long)(x->shape[1] / groups) * w->shape[2] * w->shape[3];
        long long cap = 262144 / (ckk > 0 ? ckk : 1);
        target = (int)EEGNN__MAX(512LL, cap);
        rows = target / shape[3];
        if (rows < 1) rows = 1;
        if (rows > shape[2]) rows = shape[2];
    }
    ip[0] = stride[0];
    ip[1] = stride[1];
    ip[2] = before[0];
    ip[3] = before[1];
    ip[4] = dilation[0];
    ip[5] = dilation[1];
    ip[6] = groups;
    ip[7] = rows;
    return 1;
}

/* Gives a conv2d node (shape, ip and src set) its functions, its packed
 * weights buffer and its share of the per-thread scratch. */
static eegnn_status eegnn__c2_finish(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__c2_geom q;
    size_t scratch;
    t->forward = eegnn__c2_forward;
    t->backward = eegnn__c2_backward;
    eegnn__c2_geom_of(t, &q);
    scratch = q.work_floats + q.col_floats + (size_t)q.cout * q.ckk + (size_t)q.cout + q.dwr_floats + q.dxr_floats;
    if (q.row_conv) {
        size_t row_scratch = (size_t)q.cpg * q.wp + (size_t)q.mr * q.nr;
        if (row_scratch > scratch) scratch = row_scratch;
        t->aux_len = (size_t)q.groups * (q.n_sl * q.ckk * q.mr + q.pk_dx); /* forward's packed weights, dx's */
        t->aux = (float *)eegnn_graph_alloc(g, t->aux_len * sizeof(float));
        if (!t->aux) return EEGNN_ERR_MEMORY;
    }
    eegnn_graph_reserve_scratch(g, scratch);
    return EEGNN_OK;
}

/* A conv2d outside the graph's schedule, for fused ops that run it on
 * slices of their own buffers: t (the caller's memory) becomes a conv2d of
 * x and w (no bias) whose data, grad and inputs the caller points at a
 * slice before calling t->forward(g, t) or t->backward(g, t); x gives only
 * the shape (its batch is the slice's). Forward and backward read
 * t->src[0]->data and t->src[1]->data, write t->data, and add into
 * t->src[0]->grad and t->src[1]->grad when those are not NULL. */
static eegnn_status eegnn__conv2d_detached(eegnn_graph *g, eegnn_tensor *t, eegnn_tensor *x, eegnn_tensor *w,
                                           const eegnn_conv2d_params *p) {
    memset(t, 0, sizeof *t);
    if (!eegnn__c2_check(x, w, NULL, p, t->shape, t->ip)) return EEGNN_ERR_ARG;
    t->ndim = 4;
    t->numel = eegnn__shape_numel(4, t->shape);
    t->op = eegnn_op_name(EEGNN_OP_CONV2D);
    t->kind = EEGNN_OP_CONV2D;
    t->index = -1;
    t->owner = g;
    t->src[0] = x;
    t->src[1] = w;
    return eegnn__c2_finish(g, t);
}

EEGNN_API eegnn_tensor *eegnn_conv2d(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *w, eegnn_tensor *b,
                                     const eegnn_conv2d_params *p) {
    eegnn_tensor *src[3], *t;
    int shape[4], ip[8];
    if (!g || !x || !w) return NULL;
    if (!eegnn__c2_check(x, w, b, p, shape, ip)) return NULL;
    src[0] = x;
    src[1] = w;
    src[2] = b;
    t = eegnn_graph_new_op(g, EEGNN_OP_CONV2D, 4, shape, src, b ? 3 : 2);
    if (!t) return NULL;
    memcpy(t->ip, ip, sizeof ip);
    if (eegnn__c2_finish(g, t)) return NULL;
    return t;
}
