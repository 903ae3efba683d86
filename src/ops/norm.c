/* Batch normalization (torch.nn.functional.batch_norm) over dimension 1 of
 * x (B, C) or (B, C, T).
 *
 * Two nodes: "batch_norm_stats" (2, C) holds the mean and 1/sqrt(var + eps)
 * that normalize the batch: the batch's statistics in train mode (or when
 * there are no running statistics), which also updates the running ones, and
 * the running statistics in eval mode. "batch_norm" then computes
 * y = (x - mean) * invstd * weight + bias and carries the whole backward. */

/* Row sums in 8 interleaved double partial sums, added pairwise at the end
 * (independent additions that vectorize; one running sum would wait for
 * every addition's latency): sum x, sum (x - m)^2, and sum dy with
 * sum dy * (x - m). */
#define EEGNN__BN_LANES 8

static double eegnn__bn_fold(double *acc) {
    int k, i;
    for (k = EEGNN__BN_LANES / 2; k > 0; k /= 2)
        for (i = 0; i < k; i++) acc[i] += acc[i + k];
    return acc[0];
}

static double eegnn__bn_sum(const float *x, size_t n) {
    double acc[EEGNN__BN_LANES] = {0.0};
    size_t i, k;
    for (i = 0; i + EEGNN__BN_LANES <= n; i += EEGNN__BN_LANES)
        for (k = 0; k < EEGNN__BN_LANES; k++) acc[k] += x[i + k];
    for (k = 0; i < n; i++, k++) acc[k] += x[i];
    return eegnn__bn_fold(acc);
}

static double eegnn__bn_sum_sq_dev(const float *x, size_t n, double m) {
    double acc[EEGNN__BN_LANES] = {0.0};
    size_t i, k;
    for (i = 0; i + EEGNN__BN_LANES <= n; i += EEGNN__BN_LANES)
        for (k = 0; k < EEGNN__BN_LANES; k++) {
            double d = (double)x[i + k] - m;
            acc[k] += d * d;
        }
    for (k = 0; i < n; i++, k++) {
        double d = (double)x[i] - m;
        acc[k] += d * d;
    }
    return eegnn__bn_fold(acc);
}

static void eegnn__bn_sum_dy(const float *dy, const float *x, size_t n, double m, double *s_dy, double *s_dy_xm) {
    double a[EEGNN__BN_LANES] = {0.0}, b[EEGNN__BN_LANES] = {0.0};
    size_t i, k;
    for (i = 0; i + EEGNN__BN_LANES <= n; i += EEGNN__BN_LANES)
        for (k = 0; k < EEGNN__BN_LANES; k++) {
            a[k] += dy[i + k];
            b[k] += (double)dy[i + k] * ((double)x[i + k] - m);
        }
    for (k = 0; i < n; i++, k++) {
        a[k] += dy[i];
        b[k] += (double)dy[i] * ((double)x[i] - m);
    }
    *s_dy += eegnn__bn_fold(a);
    *s_dy_xm += eegnn__bn_fold(b);
}

/* ip[0]: 1 when the last forward used batch statistics;
 * fp[0]: momentum, fp[1]: eps; src: x, running_mean, running_var. */
static void eegnn__bn_stats_channels(eegnn_tensor *t, int c0, int c1) {
    const eegnn_tensor *x = t->src[0];
    eegnn_tensor *rm = t->src[1], *rv = t->src[2];
    int B = x->shape[0], C = x->shape[1], n, c;
    size_t inner = eegnn__inner_size(x), count = (size_t)B * inner;
    float momentum = t->fp[0], eps = t->fp[1];
    float *mean = t->data, *invstd = t->data + C;
    for (c = c0; c < c1; c++) {
        double m = 0.0, v = 0.0;
        if (!t->ip[0]) {
            mean[c] = rm->data[c];
            invstd[c] = (float)(1.0 / sqrt((double)rv->data[c] + (double)eps));
            continue;
        }
        for (n = 0; n < B; n++) m += eegnn__bn_sum(x->data + ((size_t)n * C + c) * inner, inner);
        m /= (double)count;
        for (n = 0; n < B; n++) v += eegnn__bn_sum_sq_dev(x->data + ((size_t)n * C + c) * inner, inner, m);
        mean[c] = (float)m;
        invstd[c] = (float)(1.0 / sqrt(v / (double)count + (double)eps));
        if (rm) {
            double unbiased = count > 1 ? v / (double)(count - 1) : v;
            rm->data[c] = (float)((1.0 - momentum) * (double)rm->data[c] + momentum * m);
            rv->data[c] = (float)((1.0 - momentum) * (double)rv->data[c] + momentum * unbiased);
        }
    }
}

/* Channels are handed out to the graph's threads in grains (each channel is
 * handled by one task, so results do not depend on the thread count). */
typedef void (*eegnn__channel_fn)(eegnn_tensor *t, int c0, int c1);

typedef struct {
    eegnn_tensor *t;
    eegnn__channel_fn fn;
    int C;
    eegnn_work channels; /* handed out to the tasks in grains */
} eegnn__channel_ctx;

static void eegnn__channel_task(void *ctx, int task, int n_tasks) {
    eegnn__channel_ctx *c = (eegnn__channel_ctx *)ctx;
    size_t c0, c1;
    (void)task;
    (void)n_tasks;
    while (eegnn_work_next(&c->channels, &c0, &c1)) c->fn(c->t, (int)c0, (int)c1);
}

static void eegnn__run_channels(eegnn_graph *g, eegnn_tensor *t, int C, size_t work, eegnn__channel_fn fn) {
    eegnn__channel_ctx c;
    int n_tasks = EEGNN__MIN(eegnn_graph_n_threads(g), C);
    if (work < 16384 || n_tasks <= 1 || !eegnn_graph_pool(g)) {
        fn(t, 0, C);
        return;
    }
    c.t = t;
    c.fn = fn;
    c.C = C;
    eegnn_work_init(&c.channels, (size_t)C, eegnn_work_grain((size_t)C, n_tasks));
    eegnn_parallel_for(eegnn_graph_pool(g), n_tasks, eegnn__channel_task, &c);
}

static void eegnn__bn_stats_fwd(eegnn_graph *g, eegnn_tensor *t) {
    t->ip[0] = eegnn_graph_training(g) || !t->src[1];
    eegnn__run_channels(g, t, t->src[0]->shape[1], t->src[0]->numel, eegnn__bn_stats_channels);
}

/* src: x, stats, then weight and bias when present at src[ip[1]], src[ip[2]]
 * (index -1 when absent). */
static void eegnn__bn_fwd_channels(eegnn_tensor *t, int c0, int c1) {
    const eegnn_tensor *x = t->src[0], *st = t->src[1];
    const float *w = t->ip[1] >= 0 ? t->src[t->ip[1]]->data : NULL;
    const float *b = t->ip[2] >= 0 ? t->src[t->ip[2]]->data : NULL;
    int B = x->shape[0], C = x->shape[1], n, c;
    size_t inner = eegnn__inner_size(x), i;
    for (n = 0; n < B; n++)
        for (c = c0; c < c1; c++) {
            size_t off = ((size_t)n * C + c) * inner;
            float scale = st->data[C + c] * (w ? w[c] : 1.0f);
            float shift = (b ? b[c] : 0.0f) - st->data[c] * scale;
            for (i = 0; i < inner; i++) t->data[off + i] = x->data[off + i] * scale + shift;
        }
}

static void eegnn__bn_fwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__run_channels(g, t, t->shape[1], t->numel, eegnn__bn_fwd_channels);
}

static void eegnn__bn_bwd_channels(eegnn_tensor *t, int c0, int c1) {
    eegnn_tensor *x = t->src[0], *st = t->src[1];
    eegnn_tensor *wt = t->ip[1] >= 0 ? t->src[t->ip[1]] : NULL;
    eegnn_tensor *bt = t->ip[2] >= 0 ? t->src[t->ip[2]] : NULL;
    int B = x->shape[0], C = x->shape[1], n, c, batch_stats = st->ip[0];
    int in_place = x->grad == t->grad; /* the graph gave x's gradient this node's buffer */
    size_t inner = eegnn__inner_size(x), i, count = (size_t)B * inner;
    for (c = c0; c < c1; c++) {
        float mean = st->data[c], invstd = st->data[C + c], w = wt ? wt->data[c] : 1.0f;
        double sum_dy = 0.0, sum_dy_xhat = 0.0;
        for (n = 0; n < B; n++) {
            size_t off = ((size_t)n * C + c) * inner;
            eegnn__bn_sum_dy(t->grad + off, x->data + off, inner, mean, &sum_dy, &sum_dy_xhat);
        }
        sum_dy_xhat *= invstd;
        if (wt && wt->grad) wt->grad[c] += (float)sum_dy_xhat;
        if (bt && bt->grad) bt->grad[c] += (float)sum_dy;
        if (!x->grad) continue;
        if (batch_stats) {
            /* dx = w * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), written as
             * a * dy + b * (x - mean) + c */
            double k = (double)w * invstd, mdy = sum_dy / (double)count, mdx = sum_dy_xhat / (double)count;
            float a = (float)k, bx = (float)(-k * mdx * invstd), c0 = (float)(-k * mdy);
            for (n = 0; n < B; n++) {
                size_t off = ((size_t)n * C + c) * inner;
                const float *xp = x->data + off, *dy = t->grad + off;
                float *dx = x->grad + off;
                if (in_place)
                    for (i = 0; i < inner; i++) dx[i] = a * dy[i] + bx * (xp[i] - mean) + c0;
                else
                    for (i = 0; i < inner; i++) dx[i] += a * dy[i] + bx * (xp[i] - mean) + c0;
            }
        } else {
            float k = w * invstd;
            for (n = 0; n < B; n++) {
                size_t off = ((size_t)n * C + c) * inner;
                if (in_place)
                    for (i = 0; i < inner; i++) x->grad[off + i] = t->grad[off + i] * k;
                else
                    for (i = 0; i < inner; i++) x->grad[off + i] += t->grad[off + i] * k;
            }
        }
    }
}

static void eegnn__bn_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__run_channels(g, t, t->shape[1], t->numel, eegnn__bn_bwd_channels);
}

static int eegnn__is_channel_vec(const eegnn_tensor *v, int C) {
    return !v || (v->ndim == 1 && v->shape[0] == C);
}

EEGNN_API eegnn_tensor *eegnn_batch_norm(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *weight,
                                         eegnn_tensor *bias, eegnn_tensor *running_mean,
                                         eegnn_tensor *running_var, float momentum, float eps) {
    eegnn_tensor *src[4], *stats, *t;
    int shape[2], C, n_src = 0;
    if (!g || !x) return NULL;
    if (x->ndim < 2) {
        eegnn_set_error(EEGNN_ERR_ARG, "batch_norm: x %s must be (B, C), (B, C, T) or (B, C, H, W)", eegnn__shp(x));
        return NULL;
    }
    C = x->shape[1];
    if (!eegnn__is_channel_vec(weight, C) || !eegnn__is_channel_vec(bias, C) ||
        !eegnn__is_channel_vec(running_mean, C) || !eegnn__is_channel_vec(running_var, C)) {
        eegnn_set_error(EEGNN_ERR_ARG,
                        "batch_norm: x %s needs weight, bias, running_mean, running_var of (%d) or NULL; got %s, "
                        "%s, %s, %s",
                        eegnn__shp(x), C, weight ? eegnn__shp(weight) : "NULL", bias ? eegnn__shp(bias) : "NULL",
                        running_mean ? eegnn__shp(running_mean) : "NULL",
                        running_var ? eegnn__shp(running_var) : "NULL");
        return NULL;
    }
    if (!running_mean != !running_var) {
        eegnn_set_error(EEGNN_ERR_ARG, "batch_norm: x %s: running_mean and running_var must both be given or "
                        "both be NULL", eegnn__shp(x));
        return NULL;
    }
    if (!(eps >= 0.0f) || !(momentum >= 0.0f && momentum <= 1.0f)) {
        eegnn_set_error(EEGNN_ERR_ARG, "batch_norm: x %s: eps %g must be >= 0 and momentum %g in [0, 1]",
                        eegnn__shp(x), (double)eps, (double)momentum);
        return NULL;
    }
    src[n_src++] = x;
    if (running_mean) {
        src[n_src++] = running_mean;
        src[n_src++] = running_var;
    }
    shape[0] = 2;
    shape[1] = C;
    stats = eegnn_graph_new_op(g, EEGNN_OP_BATCH_NORM_STATS, 2, shape, src, n_src);
    if (!stats) return NULL;
    stats->grad = NULL; /* constant for autodiff: batch_norm differentiates through it */
    if (!running_mean) stats->src[1] = stats->src[2] = NULL;
    stats->fp[0] = momentum;
    stats->fp[1] = eps;
    stats->forward = eegnn__bn_stats_fwd;

    n_src = 0;
    src[n_src++] = x;
    src[n_src++] = stats;
    if (weight) src[n_src++] = weight;
    if (bias) src[n_src++] = bias;
    t = eegnn_graph_new_op(g, EEGNN_OP_BATCH_NORM, x->ndim, x->shape, src, n_src);
    if (!t) return NULL;
    t->ip[1] = weight ? 2 : -1;
    t->ip[2] = bias ? (weight ? 3 : 2) : -1;
    t->fp[0] = momentum;
    t->fp[1] = eps;
    t->forward = eegnn__bn_fwd;
    t->backward = eegnn__bn_bwd;
    t->flags |= EEGNN_TENSOR_GRAD_IN_PLACE;
    return t;
}
