/* Layer normalization and scaled dot-product attention (forward and backward). */

/* ---- layer_norm ---------------------------------------------------------
 * src: x, weight (or absent), bias (or absent); ip[0] = rows, ip[1] = D,
 * ip[2] = src index of weight (-1 none), ip[3] = src index of bias (-1 none);
 * fp[0] = eps; aux (rows, 2): mean and 1/std of each row. */

typedef struct eegnn__ln_job {
    eegnn_graph *g;
    eegnn_tensor *t;
    int n_tasks;
    eegnn_work rows; /* forward: rows handed out in grains */
} eegnn__ln_job;

/* Row r: its mean and 1/std into aux, the normalized row into t. */
static void eegnn__ln_fwd_row(eegnn_tensor *t, size_t r) {
    const eegnn_tensor *x = t->src[0];
    int n = t->ip[1], i;
    const float *w = t->ip[2] >= 0 ? t->src[t->ip[2]]->data : NULL;
    const float *b = t->ip[3] >= 0 ? t->src[t->ip[3]]->data : NULL;
    const float *xr = x->data + r * (size_t)n;
    float *yr = t->data + r * (size_t)n;
    float mean = eegnn__sum_floats(xr, (size_t)n) / (float)n;
    float rstd = 1.0f / sqrtf(eegnn__sum_sq_dev_floats(xr, (size_t)n, mean) / (float)n + t->fp[0]);
    t->aux[2 * r] = mean;
    t->aux[2 * r + 1] = rstd;
    if (w && b)
        for (i = 0; i < n; i++) yr[i] = (xr[i] - mean) * rstd * w[i] + b[i];
    else if (w)
        for (i = 0; i < n; i++) yr[i] = (xr[i] - mean) * rstd * w[i];
    else if (b)
        for (i = 0; i < n; i++) yr[i] = (xr[i] - mean) * rstd + b[i];
    else
        for (i = 0; i < n; i++) yr[i] = (xr[i] - mean) * rstd;
}

static void eegnn__ln_fwd_task(void *ctx, int task, int n_tasks) {
    eegnn__ln_job *j = (eegnn__ln_job *)ctx;
    size_t r, r0, r1;
    (void)task;
    (void)n_tasks;
    while (eegnn_work_next(&j->rows, &r0, &r1))
        for (r = r0; r < r1; r++) eegnn__ln_fwd_row(j->t, r);
}

/* *s1 = sum gw, *s2 = sum gw * xhat over one row (gw = dy * w, or dy
 * without weight; xhat = (x - mean) * rstd), in 8 interleaved partial sums
 * (one running sum would wait for every addition's latency). */
static void eegnn__ln_row_sums(const float *dy, const float *w, const float *xr, float mean, float rstd, int n,
                               float *s1, float *s2) {
    float a[8] = {0.0f}, b[8] = {0.0f};
    int i, k;
    for (i = 0; i + 8 <= n; i += 8)
        for (k = 0; k < 8; k++) {
            float gw = w ? dy[i + k] * w[i + k] : dy[i + k];
            a[k] += gw;
            b[k] += gw * (xr[i + k] - mean) * rstd;
        }
    for (k = 0; i < n; i++, k++) {
        float gw = w ? dy[i] * w[i] : dy[i];
        a[k] += gw;
        b[k] += gw * (xr[i] - mean) * rstd;
    }
    for (k = 4; k > 0; k /= 2)
        for (i = 0; i < k; i++) {
            a[i] += a[i + k];
            b[i] += b[i + k];
        }
    *s1 = a[0];
    *s2 = b[0];
}

/* dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), gw = dy * weight;
 * dweight += sum over rows dy * xhat, dbias += sum over rows dy (per task
 * partial sums in scratch, reduced in task order afterwards). */
static void eegnn__ln_bwd_task(void *ctx, int task, int n_tasks) {
    eegnn__ln_job *j = (eegnn__ln_job *)ctx;
    eegnn_tensor *t = j->t, *x = t->src[0];
    eegnn_tensor *wt = t->ip[2] >= 0 ? t->src[t->ip[2]] : NULL, *bt = t->ip[3] >= 0 ? t->src[t->ip[3]] : NULL;
    int rows = t->ip[0], n = t->ip[1], r, i;
    int r0 = (int)((long long)rows * task / n_tasks), r1 = (int)((long long)rows * (task + 1) / n_tasks);
    float *part = eegnn_graph_scratch(j->g, task); /* (2, D): dweight, dbias partial sums */
    float *dw = part, *db = part + n;
    int want_w = wt && wt->grad, want_b = bt && bt->grad;
    for (i = 0; i < 2 * n; i++) part[i] = 0.0f;
    for (r = r0; r < r1; r++) {
        const float *xr = x->data + (size_t)r * n, *dy = t->grad + (size_t)r * n;
        float mean = t->aux[2 * (size_t)r], rstd = t->aux[2 * (size_t)r + 1];
        if (want_w)
            for (i = 0; i < n; i++) dw[i] += dy[i] * (xr[i] - mean) * rstd;
        if (want_b)
            for (i = 0; i < n; i++) db[i] += dy[i];
        if (x->grad) {
            float *dx = x->grad + (size_t)r * n, s1, s2, inv_n = 1.0f / (float)n;
            const float *w = wt ? wt->data : NULL;
            eegnn__ln_row_sums(dy, w, xr, mean, rstd, n, &s1, &s2);
            s1 *= inv_n;
            s2 *= inv_n;
            for (i = 0; i < n; i++) {
                float gw = w ? dy[i] * w[i] : dy[i];
                dx[i] += rstd * (gw - s1 - (xr[i] - mean) * rstd * s2);
            }
        }
    }
}

static int eegnn__ln_tasks(eegnn_graph *g, const eegnn_tensor *t) {
    int n = eegnn_graph_n_threads(g);
    if (!eegnn_graph_pool(g) || t->numel < 8192) n = 1;
    if (n > t->ip[0]) n = t->ip[0];
    return n < 1 ? 1 : n;
}

static void eegnn__ln_forward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__ln_job j;
    j.g = g;
    j.t = t;
    j.n_tasks = eegnn__ln_tasks(g, t);
    eegnn_work_init(&j.rows, (size_t)t->ip[0], eegnn_work_grain((size_t)t->ip[0], j.n_tasks));
    eegnn_parallel_for(eegnn_graph_pool(g), j.n_tasks, eegnn__ln_fwd_task, &j);
}

static void eegnn__ln_backward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__ln_job j;
    eegnn_tensor *wt = t->ip[2] >= 0 ? t->src[t->ip[2]] : NULL, *bt = t->ip[3] >= 0 ? t->src[t->ip[3]] : NULL;
    int n = t->ip[1], task, i;
    j.g = g;
    j.t = t;
    j.n_tasks = eegnn__ln_tasks(g, t);
    eegnn_parallel_for(eegnn_graph_pool(g), j.n_tasks, eegnn__ln_bwd_task, &j);
    for (task = 0; task < j.n_tasks; task++) {
        const float *part = eegnn_graph_scratch(g, task);
        if (wt && wt->grad)
            for (i = 0; i < n; i++) wt->grad[i] += part[i];
        if (bt && bt->grad)
            for (i = 0; i < n; i++) bt->grad[i] += part[n + i];
    }
}

EEGNN_API eegnn_tensor *eegnn_layer_norm(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *weight, eegnn_tensor *bias,
                                         float eps) {
    eegnn_tensor *src[3], *t;
    int n_src = 1, n;
    char sx[64], sp[64];
    if (!g || !x) return NULL;
    if (x->ndim < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "layer_norm: x %s needs at least one dimension",
                        eegnn_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    n = x->shape[x->ndim - 1];
    if ((weight && (weight->ndim != 1 || weight->shape[0] != n)) || (bias && (bias->ndim != 1 || bias->shape[0] != n))) {
        eegnn_set_error(EEGNN_ERR_ARG, "layer_norm: x %s needs weight and bias of shape (%d), got %s", 
                        eegnn_shape_str(x, sx, sizeof sx), n,
                        eegnn_shape_str(weight && (weight->ndim != 1 || weight->shape[0] != n) ? weight : bias, sp,
                                        sizeof sp));
        return NULL;
    }
    src[0] = x;
    if (weight) src[n_src++] = weight;
    if (bias) src[n_src++] = bias;
    t = eegnn_graph_new_op(g, EEGNN_OP_LAYER_NORM, x->ndim, x->shape, src, n_src);
    if (!t) return NULL;
    t->ip[0] = (int)(x->numel / (size_t)n);
    t->ip[1] = n;
    t->ip[2] = weight ? 1 : -1;
    t->ip[3] = bias ? (weight ? 2 : 1) : -1;
    t->fp[0] = eps > 0.0f ? eps : 1e-5f;
    t->aux_len = 2 * (size_t)t->ip[0];
    t->aux = (float *)eegnn_graph_alloc(g, t->aux_len * sizeof(float));
    if (!t->aux) return NULL;
    t->forward = eegnn__ln_forward;
    t->backward = eegnn__ln_backward;
    eegnn_graph_reserve_scratch(g, 2 * (size_t)n);
    return t;
}

EEGNN_API eegnn_status eegnn_layer_norm_params_of(const eegnn_tensor *t, eegnn_layer_norm_params *p) {
    if (!t || !p || t->kind != EEGNN_OP_LAYER_NORM)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_layer_norm_params_of: not a layer_norm node (%s)",
                               t ? t->op : "NULL");
    p->rows = t->ip[0];
    p->n = t->ip[1];
    p->eps = t->fp[0];
    p->input = t->src[0];
    p->weight = t->ip[2] >= 0 ? t->src[t->ip[2]] : NULL;
    p->bias = t->ip[3] >= 0 ? t->src[t->ip[3]] : NULL;
    p->stats = t->aux;
    return EEGNN_OK;
}

/* ---- scaled dot-product attention ------------------------------------------
 * src: q, k, v (possibly the same tensor), key_padding_mask (optional).
 * iaux: the layout below; aux (B, H, Tq): logsumexp of each query's scores. */

enum {
    EEGNN__SDPA_B, EEGNN__SDPA_TQ, EEGNN__SDPA_TK, EEGNN__SDPA_H, EEGNN__SDPA_D, /* head width d */
    EEGNN__SDPA_QOFF, EEGNN__SDPA_KOFF, EEGNN__SDPA_VOFF,                        /* column offsets */
    EEGNN__SDPA_QLD, EEGNN__SDPA_KLD, EEGNN__SDPA_VLD,                           /* row strides */
    EEGNN__SDPA_MASK,                                                            /* 1: src[3] is the mask */
    EEGNN__SDPA_DROP,                                                            /* 1: dropout in last forward */
    EEGNN__SDPA_SEED_LO, EEGNN__SDPA_SEED_HI,
    EEGNN__SDPA_N
};

typedef struct eegnn__sdpa_job {
    eegnn_graph *g;
    eegnn_tensor *t;
    int n_tasks;
    eegnn_work pairs; /* forward: (batch, head) pairs handed out one by one */
} eegnn__sdpa_job;

static uint64_t eegnn__sdpa_seed(const eegnn_tensor *t) {
    return (uint64_t)(uint32_t)t->iaux[EEGNN__SDPA_SEED_LO] | ((uint64_t)(uint32_t)t->iaux[EEGNN__SDPA_SEED_HI] << 32);
}

#define EEGNN__SDPA_QB 64 /* queries per block */

/* The per-head products are small (T x T x d with d of 4 to 64), so the op
 * uses the CPU path's register-blocked kernels (src/ops/kernels.c) on
 * padded copies instead of the packed sgemm: keys and head columns are
 * padded to a multiple of the path's vector width (zero rows and columns;
 * pad keys score -inf). */
static int eegnn__sdpa_pad(int n) {
    int vw = eegnn__cpu()->vw;
    return (n + vw - 1) / vw * vw;
}

/* out (n, ncols) = alpha * W (n, len) X (len, ncols) (+ out when
 * accumulate), W(i, l) = w[i * wi + l * wl]; X rows ldx apart, out rows
 * ldo apart; ncols a multiple of the vector width. */
static void eegnn__sdpa_mm(int n, int len, int ncols, const float *w, size_t wi, size_t wl, const float *x, int ldx,
                           float alpha, int accumulate, float *out, int ldo) {
    eegnn__cpu()->small_mm(n, len, ncols, w, wi, wl, x, ldx, alpha, accumulate, out, ldo);
}

/* s[c] = exp(s[c] - m) for c < n (n padded); returns the sum. -inf scores
 * give 0. Vector form: range reduction to |r| <= ln2/2 and a
 * double-precision polynomial (within about 0.5 ulp once rounded),
 * arguments below -87.3 flushed to 0. */
static float eegnn__sdpa_exp_row(float *s, int n, float m) { return eegnn__cpu()->exp_row(s, n, m); }

/* Sum of a[c] * b[c] for c < n (n padded), in one partial sum per vector lane. */
static float eegnn__sdpa_dot(const float *a, const float *b, int n) { return eegnn__cpu()->dot(a, b, n); }

/* Per-task workspace: kt, vt (d, tkp) transposed K and V of the pair; kp,
 * vp (tk, dp) padded K and V; bias (tkp) the key mask; s, x, keep (QB, tkp)
 * weights, their gradient, dropout keep factors; qp, dop, o (QB, dp) padded
 * Q and dO blocks and a block result; dk, dv (tk, dp) the pair's K and V
 * gradients. */
typedef struct eegnn__sdpa_ws {
    float *kt, *vt, *kp, *vp, *bias, *s, *x, *keep, *qp, *dop, *o, *dk, *dv;
} eegnn__sdpa_ws;

/* Floats of workspace (with alignment slack); fills ws from base if given. */
static size_t eegnn__sdpa_ws_floats(int tk, int d, eegnn__sdpa_ws *ws, float *base) {
    size_t tkp = (size_t)eegnn__sdpa_pad(tk), dp = (size_t)eegnn__sdpa_pad(d), off = 0, sizes[13];
    float **parts[13];
    int i;
    sizes[0] = sizes[1] = (size_t)d * tkp;
    sizes[2] = sizes[3] = (size_t)tk * dp;
    sizes[4] = tkp;
    sizes[5] = sizes[6] = sizes[7] = EEGNN__SDPA_QB * tkp;
    sizes[8] = sizes[9] = sizes[10] = EEGNN__SDPA_QB * dp;
    sizes[11] = sizes[12] = (size_t)tk * dp;
    if (ws) {
        parts[0] = &ws->kt, parts[1] = &ws->vt, parts[2] = &ws->kp, parts[3] = &ws->vp, parts[4] = &ws->bias;
        parts[5] = &ws->s, parts[6] = &ws->x, parts[7] = &ws->keep, parts[8] = &ws->qp, parts[9] = &ws->dop;
        parts[10] = &ws->o, parts[11] = &ws->dk, parts[12] = &ws->dv;
    }
    for (i = 0; i < 13; i++) {
        if (ws) *parts[i] = base + off;
        off += (sizes[i] + 15u) / 16u * 16u;
    }
    return off + 16u;
}

/* Carves the workspace of a task from its scratch, 64-byte aligned. */
static void eegnn__sdpa_ws_init(eegnn_graph *g, int task, int tk, int d, eegnn__sdpa_ws *ws) {
    float *base = eegnn_graph_scratch(g, task);
    base += (16u - (size_t)((uintptr_t)base / sizeof(float)) % 16u) % 16u;
    eegnn__sdpa_ws_floats(tk, d, ws, base);
}

/* Copies a (rows, d) strided view into p (rows, dp) zero-padded and/or its
 * transpose into pt (d, rowsp) zero-padded. */
static void eegnn__sdpa_pack(const float *a, int lda, int rows, int d, float *p, float *pt) {
    int dp = eegnn__sdpa_pad(d), rowsp = eegnn__sdpa_pad(rows), r, c;
    if (p)
        for (r = 0; r < rows; r++) {
            memcpy(p + (size_t)r * dp, a + (size_t)r * lda, (size_t)d * sizeof(float));
            for (c = d; c < dp; c++) p[(size_t)r * dp + c] = 0.0f;
        }
    if (pt)
        for (c = 0; c < d; c++) {
            float *row = pt + (size_t)c * rowsp;
            for (r = 0; r < rows; r++) row[r] = a[(size_t)r * lda + c];
            for (r = rows; r < rowsp; r++) row[r] = 0.0f;
        }
}

/* Adds the first d columns of p (rows, dp) into the strided view a. */
static void eegnn__sdpa_unpack_add(const float *p, int rows, int d, float *a, int lda) {
    int dp = eegnn__sdpa_pad(d), r, c;
    for (r = 0; r < rows; r++)
        for (c = 0; c < d; c++) a[(size_t)r * lda + c] += p[(size_t)r * dp + c];
}

/* Additive key bias of batch b: 0, or -inf for masked and pad keys. */
static void eegnn__sdpa_bias(const eegnn_tensor *t, int b, float *bias) {
    int tk = t->iaux[EEGNN__SDPA_TK], tkp = eegnn__sdpa_pad(tk), c;
    const float *mask = t->iaux[EEGNN__SDPA_MASK] ? t->src[3]->data + (size_t)b * tk : NULL;
    for (c = 0; c < tkp; c++) bias[c] = c >= tk || (mask && mask[c] != 0.0f) ? -INFINITY : 0.0f;
}

/* Scores of queries i0..i0+n-1 of pair bh into ws->s (n, tkp), then in
 * place the softmax weights (0 for masked keys, NaN rows where every key is
 * masked). With store_lse the row logsumexp is computed and saved;
 * otherwise the weights are exp(score - saved logsumexp). Needs ws->kt and
 * ws->bias of the pair. */
static void eegnn__sdpa_weights(eegnn_tensor *t, int bh, int i0, int n, const eegnn__sdpa_ws *ws, int store_lse) {
    const int *ia = t->iaux;
    int tk = ia[EEGNN__SDPA_TK], tq = ia[EEGNN__SDPA_TQ], h_n = ia[EEGNN__SDPA_H], d = ia[EEGNN__SDPA_D];
    int tkp = eegnn__sdpa_pad(tk), b = bh / h_n, h = bh % h_n, r, c;
    const float *q = t->src[0]->data + ((size_t)b * tq + i0) * ia[EEGNN__SDPA_QLD] + ia[EEGNN__SDPA_QOFF] + (size_t)h * d;
    float *lse = t->aux + (size_t)bh * tq + i0;
    float scale = (float)(1.0 / sqrt((double)d));
    /* s (n, tkp) = scale * q (n, d) @ k^T (d, tkp) */
    eegnn__sdpa_mm(n, d, tkp, q, (size_t)ia[EEGNN__SDPA_QLD], 1, ws->kt, tkp, scale, 0, ws->s, tkp);
    for (r = 0; r < n; r++) {
        float *sr = ws->s + (size_t)r * tkp, m = -INFINITY;
        for (c = 0; c < tkp; c++) sr[c] += ws->bias[c];
        if (store_lse) {
            for (c = 0; c < tkp; c++) m = sr[c] > m ? sr[c] : m;
            if (m == -INFINITY) {
                lse[r] = NAN;
            } else {
                float sum = eegnn__sdpa_exp_row(sr, tkp, m), inv = 1.0f / sum;
                lse[r] = m + logf(sum);
                for (c = 0; c < tkp; c++) sr[c] *= inv;
                continue;
            }
        }
        if (lse[r] != lse[r]) /* every key masked: NaN, as softmax over -inf */
            for (c = 0; c < tkp; c++) sr[c] = NAN;
        else
            eegnn__sdpa_exp_row(sr, tkp, lse[r]);
    }
}

/* Keep factors of queries i0..i0+n-1 of pair bh into ws->keep (n, tkp):
 * the dropout hash of src/ops/elementwise.c, one row per (pair, query). */
static void eegnn__sdpa_keep_block(const eegnn_tensor *t, int bh, int i0, int n, const eegnn__sdpa_ws *ws) {
    int tq = t->iaux[EEGNN__SDPA_TQ], tkp = eegnn__sdpa_pad(t->iaux[EEGNN__SDPA_TK]), r;
    float p = t->fp[0];
    uint32_t threshold = eegnn__dropout_threshold(p);
    uint64_t seed = eegnn__sdpa_seed(t);
    for (r = 0; r < n; r++)
        eegnn__dropout_keep_row(seed, (uint64_t)bh * (uint64_t)tq + (uint64_t)(i0 + r), threshold, 1.0f / (1.0f - p),
                                tkp, ws->keep + (size_t)r * tkp);
}

static void eegnn__sdpa_fwd_task(void *ctx, int task, int n_tasks) {
    eegnn__sdpa_job *j = (eegnn__sdpa_job *)ctx;
    eegnn_tensor *t = j->t;
    const int *ia = t->iaux;
    int nbh = ia[EEGNN__SDPA_B] * ia[EEGNN__SDPA_H], tq = ia[EEGNN__SDPA_TQ], tk = ia[EEGNN__SDPA_TK];
    int h_n = ia[EEGNN__SDPA_H], d = ia[EEGNN__SDPA_D], width = h_n * d, drop = ia[EEGNN__SDPA_DROP];
    int kld = ia[EEGNN__SDPA_KLD], vld = ia[EEGNN__SDPA_VLD], tkp = eegnn__sdpa_pad(tk), dp = eegnn__sdpa_pad(d);
    int bh, i0, r, bias_b = -1;
    size_t c, p0, p1;
    eegnn__sdpa_ws ws;
    eegnn__sdpa_ws_init(j->g, task, tk, d, &ws);
    (void)n_tasks;
    (void)nbh;
    while (eegnn_work_next(&j->pairs, &p0, &p1)) { /* one (batch, head) pair at a time */
        int b, h;
        bh = (int)p0;
        b = bh / h_n;
        h = bh % h_n;
        eegnn__sdpa_pack(t->src[1]->data + (size_t)b * tk * kld + ia[EEGNN__SDPA_KOFF] + (size_t)h * d, kld, tk, d,
                         NULL, ws.kt);
        eegnn__sdpa_pack(t->src[2]->data + (size_t)b * tk * vld + ia[EEGNN__SDPA_VOFF] + (size_t)h * d, vld, tk, d,
                         ws.vp, NULL);
        if (b != bias_b) eegnn__sdpa_bias(t, b, ws.bias);
        bias_b = b;
        for (i0 = 0; i0 < tq; i0 += EEGNN__SDPA_QB) {
            int n = EEGNN__MIN(EEGNN__SDPA_QB, tq - i0);
            eegnn__sdpa_weights(t, bh, i0, n, &ws, 1);
            if (drop) {
                eegnn__sdpa_keep_block(t, bh, i0, n, &ws);
                for (c = 0; c < (size_t)n * tkp; c++) ws.s[c] *= ws.keep[c];
            }
            /* out (n, d) = weights (n, tk) @ v (tk, d) */
            eegnn__sdpa_mm(n, tk, dp, ws.s, (size_t)tkp, 1, ws.vp, dp, 1.0f, 0, ws.o, dp);
            for (r = 0; r < n; r++)
                memcpy(t->data + ((size_t)b * tq + i0 + r) * width + (size_t)h * d, ws.o + (size_t)r * dp,
                       (size_t)d * sizeof(float));
        }
    }
}

/* With P the softmax weights, m the keep factors (1 without dropout) and dO
 * the output gradient of a block:
 *   dV += (P*m)^T dO;  dP = (dO V^T) * m;  dS = P * (dP - rowsum(P * dP));
 *   dQ += scale * dS K;  dK += scale * dS^T Q. */
static void eegnn__sdpa_bwd_task(void *ctx, int task, int n_tasks) {
    eegnn__sdpa_job *j = (eegnn__sdpa_job *)ctx;
    eegnn_tensor *t = j->t, *qt = t->src[0], *kt = t->src[1], *vt = t->src[2];
    const int *ia = t->iaux;
    int nbh = ia[EEGNN__SDPA_B] * ia[EEGNN__SDPA_H], tq = ia[EEGNN__SDPA_TQ], tk = ia[EEGNN__SDPA_TK];
    int h_n = ia[EEGNN__SDPA_H], d = ia[EEGNN__SDPA_D], width = h_n * d, drop = ia[EEGNN__SDPA_DROP];
    int qld = ia[EEGNN__SDPA_QLD], kld = ia[EEGNN__SDPA_KLD], vld = ia[EEGNN__SDPA_VLD];
    int tkp = eegnn__sdpa_pad(tk), dp = eegnn__sdpa_pad(d);
    int bh0 = (int)((long long)nbh * task / n_tasks), bh1 = (int)((long long)nbh * (task + 1) / n_tasks), bh, i0, r;
    int want_qk = qt->grad || kt->grad;
    size_t c;
    float scale = (float)(1.0 / sqrt((double)d));
    eegnn__sdpa_ws ws;
    eegnn__sdpa_ws_init(j->g, task, tk, d, &ws);
    for (bh = bh0; bh < bh1; bh++) {
        int b = bh / h_n, h = bh % h_n;
        size_t qo = (size_t)b * tq * qld + ia[EEGNN__SDPA_QOFF] + (size_t)h * d;
        size_t ko = (size_t)b * tk * kld + ia[EEGNN__SDPA_KOFF] + (size_t)h * d;
        size_t vo = (size_t)b * tk * vld + ia[EEGNN__SDPA_VOFF] + (size_t)h * d;
        eegnn__sdpa_pack(kt->data + ko, kld, tk, d, ws.kp, ws.kt);
        eegnn__sdpa_pack(vt->data + vo, vld, tk, d, NULL, ws.vt);
        if (bh == bh0 || h == 0) eegnn__sdpa_bias(t, b, ws.bias);
        memset(ws.dk, 0, (size_t)tk * dp * sizeof(float));
        memset(ws.dv, 0, (size_t)tk * dp * sizeof(float));
        for (i0 = 0; i0 < tq; i0 += EEGNN__SDPA_QB) {
            int n = EEGNN__MIN(EEGNN__SDPA_QB, tq - i0);
            const float *dout = t->grad + ((size_t)b * tq + i0) * width + (size_t)h * d;
            const float *pm = ws.s;
            eegnn__sdpa_weights(t, bh, i0, n, &ws, 0);
            if (drop) {
                eegnn__sdpa_keep_block(t, bh, i0, n, &ws);
                for (c = 0; c < (size_t)n * tkp; c++) ws.x[c] = ws.s[c] * ws.keep[c];
                pm = ws.x;
            }
            if (vt->grad) { /* dV (tk, d) += pm^T (tk, n) @ dO (n, d) */
                eegnn__sdpa_pack(dout, width, n, d, ws.dop, NULL);
                eegnn__sdpa_mm(tk, n, dp, pm, 1, (size_t)tkp, ws.dop, dp, 1.0f, 1, ws.dv, dp);
            }
            if (!want_qk) continue;
            /* x (n, tkp) = dO (n, d) @ V^T (d, tkp) */
            eegnn__sdpa_mm(n, d, tkp, dout, (size_t)width, 1, ws.vt, tkp, 1.0f, 0, ws.x, tkp);
            if (drop)
                for (c = 0; c < (size_t)n * tkp; c++) ws.x[c] *= ws.keep[c];
            for (r = 0; r < n; r++) {
                const float *pr = ws.s + (size_t)r * tkp;
                float *xr = ws.x + (size_t)r * tkp, dot = eegnn__sdpa_dot(pr, xr, tkp);
                int cc;
                for (cc = 0; cc < tkp; cc++) xr[cc] = pr[cc] * (xr[cc] - dot);
            }
            if (qt->grad) { /* dQ (n, d) += scale * dS (n, tk) @ K (tk, d) */
                eegnn__sdpa_mm(n, tk, dp, ws.x, (size_t)tkp, 1, ws.kp, dp, scale, 0, ws.o, dp);
                eegnn__sdpa_unpack_add(ws.o, n, d, qt->grad + qo + (size_t)i0 * qld, qld);
            }
            if (kt->grad) { /* dK (tk, d) += scale * dS^T (tk, n) @ Q (n, d) */
                eegnn__sdpa_pack(qt->data + qo + (size_t)i0 * qld, qld, n, d, ws.qp, NULL);
                eegnn__sdpa_mm(tk, n, dp, ws.x, 1, (size_t)tkp, ws.qp, dp, scale, 1, ws.dk, dp);
            }
        }
        if (kt->grad) eegnn__sdpa_unpack_add(ws.dk, tk, d, kt->grad + ko, kld);
        if (vt->grad) eegnn__sdpa_unpack_add(ws.dv, tk, d, vt->grad + vo, vld);
    }
}

static int eegnn__sdpa_tasks(eegnn_graph *g, const eegnn_tensor *t) {
    int n = eegnn_graph_n_threads(g), nbh = t->iaux[EEGNN__SDPA_B] * t->iaux[EEGNN__SDPA_H];
    if (!eegnn_graph_pool(g)) n = 1;
    if (n > nbh) n = nbh;
    return n < 1 ? 1 : n;
}

EEGNN_API int eegnn_sdpa_draw_dropout(eegnn_graph *g, eegnn_tensor *t) {
    if (!g || !t || t->kind != EEGNN_OP_SCALED_DOT_PRODUCT_ATTENTION) return 0;
    t->iaux[EEGNN__SDPA_DROP] = eegnn_graph_training(g) && t->fp[0] > 0.0f;
    if (t->iaux[EEGNN__SDPA_DROP]) {
        eegnn_rng *rng = eegnn_graph_rng(g);
        t->iaux[EEGNN__SDPA_SEED_LO] = (int32_t)eegnn_rng_u32(rng);
        t->iaux[EEGNN__SDPA_SEED_HI] = (int32_t)eegnn_rng_u32(rng);
    }
    return t->iaux[EEGNN__SDPA_DROP];
}

EEGNN_API eegnn_status eegnn_sdpa_params_of(const eegnn_tensor *t, eegnn_sdpa_params *p) {
    const int32_t *ia;
    if (!t || !p || t->kind != EEGNN_OP_SCALED_DOT_PRODUCT_ATTENTION)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_sdpa_params_of: not an attention node (%s)", t ? t->op : "NULL");
    ia = t->iaux;
    p->batch = ia[EEGNN__SDPA_B];
    p->n_heads = ia[EEGNN__SDPA_H];
    p->tq = ia[EEGNN__SDPA_TQ];
    p->tk = ia[EEGNN__SDPA_TK];
    p->head_dim = ia[EEGNN__SDPA_D];
    p->q_ld = ia[EEGNN__SDPA_QLD];
    p->k_ld = ia[EEGNN__SDPA_KLD];
    p->v_ld = ia[EEGNN__SDPA_VLD];
    p->q_offset = ia[EEGNN__SDPA_QOFF];
    p->k_offset = ia[EEGNN__SDPA_KOFF];
    p->v_offset = ia[EEGNN__SDPA_VOFF];
    p->q = t->src[0];
    p->k = t->src[1];
    p->v = t->src[2];
    p->key_padding_mask = ia[EEGNN__SDPA_MASK] ? t->src[3] : NULL;
    p->dropout_p = t->fp[0];
    p->dropout_active = ia[EEGNN__SDPA_DROP];
    p->dropout_seed = eegnn__sdpa_seed(t);
    p->lse = t->aux;
    return EEGNN_OK;
}

static void eegnn__sdpa_forward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__sdpa_job j;
    eegnn_sdpa_draw_dropout(g, t);
    j.g = g;
    j.t = t;
    j.n_tasks = eegnn__sdpa_tasks(g, t);
    eegnn_work_init(&j.pairs, (size_t)t->iaux[EEGNN__SDPA_B] * (size_t)t->iaux[EEGNN__SDPA_H], 1);
    eegnn_parallel_for(eegnn_graph_pool(g), j.n_tasks, eegnn__sdpa_fwd_task, &j);
}

static void eegnn__sdpa_backward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__sdpa_job j;
    if (!t->src[0]->grad && !t->src[1]->grad && !t->src[2]->grad) return;
    j.g = g;
    j.t = t;
    j.n_tasks = eegnn__sdpa_tasks(g, t);
    eegnn_parallel_for(eegnn_graph_pool(g), j.n_tasks, eegnn__sdpa_bwd_task, &j);
}

/* Common constructor: q, k, v views given by tensor, column offset and row
 * stride; the output is (B, tq, width). */
static eegnn_tensor *eegnn__sdpa_node(eegnn_graph *g, eegnn_tensor *const *qkv, const int *off, const int *ld,
                                      int batch, int tq, int tk, int width, int n_heads, eegnn_tensor *mask,
                                      float dropout_p, const char *op) {
    eegnn_tensor *src[4], *t;
    int shape[3], i;
    char s[64];
    if (n_heads <= 0 || width % n_heads) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: n_heads=%d does not divide the embedding width %d", op, n_heads, width);
        return NULL;
    }
    if (!(dropout_p >= 0.0f && dropout_p < 1.0f)) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: dropout_p %g is outside [0, 1)", op, (double)dropout_p);
        return NULL;
    }
    if (mask && (mask->ndim != 2 || mask->shape[0] != batch || mask->shape[1] != tk)) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: key_padding_mask %s, expected (%d, %d) (batch, keys)", op,
                        eegnn_shape_str(mask, s, sizeof s), batch, tk);
        return NULL;
    }
    for (i = 0; i < 3; i++) src[i] = qkv[i];
    src[3] = mask;
    shape[0] = batch;
    shape[1] = tq;
    shape[2] = width;
    t = eegnn_graph_new_op(g, EEGNN_OP_SCALED_DOT_PRODUCT_ATTENTION, 3, shape, src, mask ? 4 : 3);
    if (!t) return NULL;
    t->iaux_len = EEGNN__SDPA_N;
    t->iaux = (int32_t *)eegnn_graph_alloc(g, EEGNN__SDPA_N * sizeof(int32_t));
    t->aux_len = (size_t)batch * n_heads * tq;
    t->aux = (float *)eegnn_graph_alloc(g, t->aux_len * sizeof(float));
    if (!t->iaux || !t->aux) return NULL;
    memset(t->iaux, 0, EEGNN__SDPA_N * sizeof(int32_t));
    t->iaux[EEGNN__SDPA_B] = batch;
    t->iaux[EEGNN__SDPA_TQ] = tq;
    t->iaux[EEGNN__SDPA_TK] = tk;
    t->iaux[EEGNN__SDPA_H] = n_heads;
    t->iaux[EEGNN__SDPA_D] = width / n_heads;
    for (i = 0; i < 3; i++) {
        t->iaux[EEGNN__SDPA_QOFF + i] = off[i];
        t->iaux[EEGNN__SDPA_QLD + i] = ld[i];
    }
    t->iaux[EEGNN__SDPA_MASK] = mask != NULL;
    t->fp[0] = dropout_p;
    t->forward = eegnn__sdpa_forward;
    t->backward = eegnn__sdpa_backward;
    eegnn_graph_reserve_scratch(g, eegnn__sdpa_ws_floats(tk, width / n_heads, NULL, NULL));
    return t;
}

EEGNN_API eegnn_tensor *eegnn_scaled_dot_product_attention(eegnn_graph *g, eegnn_tensor *q, eegnn_tensor *k,
                                                           eegnn_tensor *v, int n_heads,
                                                           eegnn_tensor *key_padding_mask, float dropout_p) {
    eegnn_tensor *qkv[3];
    int off[3] = {0, 0, 0}, ld[3], width;
    char s1[64], s2[64], s3[64];
    if (!g || !q || !k || !v) return NULL;
    if (q->ndim != 3 || k->ndim != 3 || v->ndim != 3 || k->shape[0] != q->shape[0] || v->shape[0] != q->shape[0] ||
        v->shape[1] != k->shape[1] || k->shape[2] != q->shape[2] || v->shape[2] != q->shape[2]) {
        eegnn_set_error(EEGNN_ERR_ARG, "scaled_dot_product_attention: q %s, k %s, v %s; expected (B, Tq, E), "
                        "(B, Tk, E), (B, Tk, E)",
                        eegnn_shape_str(q, s1, sizeof s1), eegnn_shape_str(k, s2, sizeof s2),
                        eegnn_shape_str(v, s3, sizeof s3));
        return NULL;
    }
    width = q->shape[2];
    qkv[0] = q;
    qkv[1] = k;
    qkv[2] = v;
    ld[0] = ld[1] = ld[2] = width;
    return eegnn__sdpa_node(g, qkv, off, ld, q->shape[0], q->shape[1], k->shape[1], width, n_heads,
                            key_padding_mask, dropout_p, "scaled_dot_product_attention");
}

EEGNN_API eegnn_tensor *eegnn_scaled_dot_product_attention_qkv(eegnn_graph *g, eegnn_tensor *qkv, int n_heads,
                                                               eegnn_tensor *key_padding_mask, float dropout_p) {
    eegnn_tensor *src[3];
    int off[3], ld[3], width;
    char s[64];
    if (!g || !qkv) return NULL;
    if (qkv->ndim != 3 || qkv->shape[2] % 3) {
        eegnn_set_error(EEGNN_ERR_ARG, "scaled_dot_product_attention_qkv: qkv %s, expected (B, T, 3*E)",
                        eegnn_shape_str(qkv, s, sizeof s));
        return NULL;
    }
    width = qkv->shape[2] / 3;
    src[0] = src[1] = src[2] = qkv;
    off[0] = 0;
    off[1] = width;
    off[2] = 2 * width;
    ld[0] = ld[1] = ld[2] = 3 * width;
    return eegnn__sdpa_node(g, src, off, ld, qkv->shape[0], qkv->shape[1], qkv->shape[1], width, n_heads,
                            key_padding_mask, dropout_p, "scaled_dot_product_attention");
}
