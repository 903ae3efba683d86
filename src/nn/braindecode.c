/* braindecode's convolutional models: EEGNeX, EEGNetv4, ShallowFBCSPNet,
 * Deep4Net, BDTCN, written from braindecode's model code (see braindecode.h),
 * plus the few private ops they need: max-norm renormalisation, weight
 * normalisation, channel-wise dropout, square, safe log, transposition of
 * the last two dimensions and a slice over time. */

/* ---- private ops ------------------------------------------------------------ */

/* Rows of a tensor along dimension 0: (rows, numel / rows). */
static size_t eegnn__bd_row_len(const eegnn_tensor *t) { return t->numel / (size_t)t->shape[0]; }

/* torch._weight_norm(v, g, dim=0): w[i] = g[i] * v[i] / ||v[i]||.
 * src[0] = g (rows, 1, ...), src[1] = v; aux: (rows) norms of v. */
static void eegnn__bd_weight_norm_fwd(eegnn_graph *gr, eegnn_tensor *t) {
    const float *gv = t->src[0]->data, *v = t->src[1]->data;
    size_t rows = (size_t)t->shape[0], n = eegnn__bd_row_len(t), r, i;
    (void)gr;
    for (r = 0; r < rows; r++) {
        const float *vr = v + r * n;
        double s = 0.0;
        float norm, scale;
        for (i = 0; i < n; i++) s += (double)vr[i] * (double)vr[i];
        norm = (float)sqrt(s);
        t->aux[r] = norm;
        scale = gv[r] / norm;
        for (i = 0; i < n; i++) t->data[r * n + i] = vr[i] * scale;
    }
}

/* dg = sum(dw * v) / ||v||; dv = g / ||v|| * (dw - sum(dw * v) / ||v||^2 * v). */
static void eegnn__bd_weight_norm_bwd(eegnn_graph *gr, eegnn_tensor *t) {
    const float *gv = t->src[0]->data, *v = t->src[1]->data;
    float *dg = t->src[0]->grad, *dv = t->src[1]->grad;
    size_t rows = (size_t)t->shape[0], n = eegnn__bd_row_len(t), r, i;
    (void)gr;
    for (r = 0; r < rows; r++) {
        const float *vr = v + r * n, *dy = t->grad + r * n;
        float norm = t->aux[r];
        double dot = 0.0;
        for (i = 0; i < n; i++) dot += (double)dy[i] * (double)vr[i];
        if (dg) dg[r] += (float)(dot / (double)norm);
        if (dv) {
            float s = gv[r] / norm, c = (float)(dot / ((double)norm * (double)norm));
            for (i = 0; i < n; i++) dv[r * n + i] += s * (dy[i] - c * vr[i]);
        }
    }
}

static eegnn_tensor *eegnn__bd_weight_norm(eegnn_graph *g, eegnn_tensor *gain, eegnn_tensor *v) {
    eegnn_tensor *src[2], *t;
    if (!g || !gain || !v) return NULL;
    src[0] = gain;
    src[1] = v;
    t = eegnn_graph_new_op(g, EEGNN_OP_WEIGHT_NORM, v->ndim, v->shape, src, 2);
    if (!t) return NULL;
    t->aux = (float *)eegnn_graph_alloc(g, (size_t)v->shape[0] * sizeof(float));
    if (!t->aux) return NULL;
    t->aux_len = (size_t)v->shape[0];
    t->forward = eegnn__bd_weight_norm_fwd;
    t->backward = eegnn__bd_weight_norm_bwd;
    return t;
}

/* torch.nn.functional.dropout2d on (B, C, T) as PyTorch 1.13 treats a 3-D
 * input (channel-wise 1-D dropout): one keep/drop draw per (b, c), applied
 * to the whole time series, kept values scaled by 1 / (1 - p).
 * aux: (B * C) mask; ip[0]: whether the last forward dropped. */
typedef struct {
    eegnn_tensor *t;
    int backward;
} eegnn__bd_channel_dropout_job;

/* Rows (b, c) of this task: y = x * m, or dx += dy * m. */
static void eegnn__bd_channel_dropout_task(void *ctx, int task, int n_tasks) {
    const eegnn__bd_channel_dropout_job *j = (const eegnn__bd_channel_dropout_job *)ctx;
    eegnn_tensor *t = j->t;
    const float *x = t->src[0]->data;
    float *dx = t->src[0]->grad;
    size_t rows = (size_t)t->shape[0] * (size_t)t->shape[1], n = (size_t)t->shape[2], r, i;
    size_t r0 = rows * (size_t)task / (size_t)n_tasks, r1 = rows * (size_t)(task + 1) / (size_t)n_tasks;
    for (r = r0; r < r1; r++) {
        float m = t->ip[0] ? t->aux[r] : 1.0f;
        if (j->backward)
            for (i = 0; i < n; i++) dx[r * n + i] += t->grad[r * n + i] * m;
        else
            for (i = 0; i < n; i++) t->data[r * n + i] = x[r * n + i] * m;
    }
}

static void eegnn__bd_channel_dropout_run(eegnn_graph *g, eegnn_tensor *t, int backward) {
    eegnn__bd_channel_dropout_job job;
    int n_tasks = eegnn_graph_n_threads(g);
    job.t = t;
    job.backward = backward;
    if (t->numel < 16384 || !eegnn_graph_pool(g) || n_tasks > t->shape[0] * t->shape[1]) n_tasks = 1;
    if (n_tasks > 1)
        eegnn_parallel_for(eegnn_graph_pool(g), n_tasks, eegnn__bd_channel_dropout_task, &job);
    else
        eegnn__bd_channel_dropout_task(&job, 0, 1);
}

static void eegnn__bd_channel_dropout_fwd(eegnn_graph *g, eegnn_tensor *t) {
    size_t rows = (size_t)t->shape[0] * (size_t)t->shape[1], r;
    float p = t->fp[0];
    t->ip[0] = eegnn_graph_training(g) && p > 0.0f;
    if (t->ip[0]) {
        eegnn_rng *rng = eegnn_graph_rng(g);
        float keep = p >= 1.0f ? 0.0f : 1.0f / (1.0f - p);
        for (r = 0; r < rows; r++) t->aux[r] = eegnn_rng_uniform(rng) < p ? 0.0f : keep;
    }
    eegnn__bd_channel_dropout_run(g, t, 0);
}

static void eegnn__bd_channel_dropout_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__bd_channel_dropout_run(g, t, 1);
}

static eegnn_tensor *eegnn__bd_channel_dropout(eegnn_graph *g, eegnn_tensor *x, float p) {
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    t = eegnn_graph_new_op(g, EEGNN_OP_DROPOUT2D, x->ndim, x->shape, &x, 1);
    if (!t) return NULL;
    t->fp[0] = p;
    t->aux_len = (size_t)x->shape[0] * (size_t)x->shape[1];
    t->aux = (float *)eegnn_graph_alloc(g, t->aux_len * sizeof(float));
    if (!t->aux) return NULL;
    t->forward = eegnn__bd_channel_dropout_fwd;
    t->backward = eegnn__bd_channel_dropout_bwd;
    return t;
}

/* ---- layer helpers ------------------------------------------------------------- */

/* (A, M, N) -> (A, N, M) for eegnn_permute. */
static const int eegnn__bd_perm021[3] = {0, 2, 1};

enum { EEGNN__BD_INIT_TORCH, EEGNN__BD_INIT_XAVIER, EEGNN__BD_INIT_ZERO };

/* New parameter "<prefix>.<leaf>". init: PyTorch's default for a weight of
 * this shape (U(+-1/sqrt(fan_in))), Xavier uniform (gain 1), or zeros.
 * fan_in for a bias is passed in `bias_fan_in` (> 0 selects the bias rule). */
static eegnn_tensor *eegnn__bd_param(eegnn_graph *g, const char *prefix, const char *leaf, int ndim,
                                     const int *shape, int init, int bias_fan_in) {
    eegnn_tensor *t = eegnn__nn_param(g, "braindecode", prefix, leaf, ndim, shape);
    size_t rf = 1;
    int i;
    if (!t) return NULL;
    for (i = 2; i < ndim; i++) rf *= (size_t)shape[i];
    if (init == EEGNN__BD_INIT_TORCH) {
        double fan_in = bias_fan_in > 0 ? (double)bias_fan_in : (double)(ndim > 1 ? shape[1] : 1) * (double)rf;
        eegnn_nn_init_uniform(g, t, (float)(1.0 / sqrt(fan_in)));
    } else if (init == EEGNN__BD_INIT_XAVIER) {
        double fan_in = (double)(ndim > 1 ? shape[1] : 1) * (double)rf, fan_out = (double)shape[0] * (double)rf;
        eegnn_nn_init_uniform(g, t, (float)sqrt(6.0 / (fan_in + fan_out)));
    }
    return t;
}

/* BatchNorm over dimension 1 of a (B, C, ...) map (BatchNorm1d/2d), parameters
 * "<prefix>.weight" = 1, ".bias" = 0, buffers ".running_mean" = 0,
 * ".running_var" = 1. */
static eegnn_tensor *eegnn__bd_batch_norm(eegnn_graph *g, eegnn_tensor *x, float momentum, float eps,
                                          const char *prefix) {
    if (!x) return NULL;
    return eegnn_nn_batch_norm1d(g, x, x->shape[1], momentum, eps, prefix);
}

/* A reshaped copy of t (for parameters stored with braindecode's 4-D shapes
 * and used by 1-D or matrix ops). */
static eegnn_tensor *eegnn__bd_view(eegnn_graph *g, eegnn_tensor *t, int d0, int d1, int d2) {
    int shape[3];
    shape[0] = d0;
    shape[1] = d1;
    shape[2] = d2;
    return eegnn_reshape(g, t, d2 > 0 ? 3 : 2, shape);
}

/* Dropout probability: cfg NULL or drop_prob EEGNN_UNSET -> the model's default. */
static float eegnn__bd_drop(const eegnn_model_config *cfg, float dflt) {
    return cfg ? EEGNN__UNSET_OR(cfg->drop_prob, dflt) : dflt;
}

static eegnn_tensor *eegnn__bd_dropout(eegnn_graph *g, eegnn_tensor *x, float p) {
    return p > 0.0f ? eegnn_dropout(g, x, p) : x;
}

/* braindecode's CombinedConv on x (B, C, T): the temporal conv
 * "<prefix>.conv_time" (Ft, 1, K, 1) + bias (Ft) and the spatial conv
 * "<prefix>.conv_spat" (Fs, Ft, 1, C) (no bias) merged into
 * W[f, c, k] = sum_g spat[f, g, c] * time[g, k] and
 * bias[f] = sum_g (sum_c spat[f, g, c]) * time_bias[g], then one conv1d
 * -> (B, Fs, T - K + 1). */
static eegnn_tensor *eegnn__bd_combined_conv(eegnn_graph *g, eegnn_tensor *x, int n_chans, int ft, int fs, int k,
                                             const char *prefix) {
    char name[EEGNN_NAME_MAX];
    eegnn_tensor *wt, *bt, *ws, *wst, *w, *b;
    int shape[4];
    shape[0] = ft;
    shape[1] = 1;
    shape[2] = k;
    shape[3] = 1;
    if (snprintf(name, sizeof name, "%s.conv_time", prefix) >= (int)sizeof name) name[sizeof name - 1] = '\0';
    wt = eegnn__bd_param(g, name, "weight", 4, shape, EEGNN__BD_INIT_XAVIER, 0);
    bt = wt ? eegnn__bd_param(g, name, "bias", 1, &ft, EEGNN__BD_INIT_ZERO, 0) : NULL;
    shape[0] = fs;
    shape[1] = ft;
    shape[2] = 1;
    shape[3] = n_chans;
    if (snprintf(name, sizeof name, "%s.conv_spat", prefix) >= (int)sizeof name) name[sizeof name - 1] = '\0';
    ws = bt ? eegnn__bd_param(g, name, "weight", 4, shape, EEGNN__BD_INIT_XAVIER, 0) : NULL;
    if (!ws) return NULL;
    wst = eegnn_permute(g, eegnn__bd_view(g, ws, fs, ft, n_chans), eegnn__bd_perm021);    /* (Fs, C, Ft) */
    wst = eegnn__bd_view(g, wst, fs * n_chans, ft, 0);                         /* (Fs*C, Ft) */
    w = eegnn_matmul(g, wst, eegnn__bd_view(g, wt, ft, k, 0));                 /* (Fs*C, K) */
    w = eegnn__bd_view(g, w, fs, n_chans, k);                                  /* (Fs, C, K) */
    b = eegnn_matmul(g, wst, eegnn__bd_view(g, bt, ft, 1, 0));                 /* (Fs*C, 1) */
    b = eegnn_global_avg_pool(g, eegnn__bd_view(g, b, 1, fs, n_chans));        /* (1, Fs) mean over C */
    b = eegnn_scale(g, b, (float)n_chans);
    shape[0] = fs;
    b = b ? eegnn_reshape(g, b, 1, shape) : NULL;
    return eegnn_conv1d(g, x, w, b, NULL);
}

/* A conv over the whole remaining time, "<prefix>.weight" (n_out, F, t, 1)
 * and bias, applied to h (B, F, t) as a linear layer on flatten(h). */
static eegnn_tensor *eegnn__bd_conv_classifier(eegnn_graph *g, eegnn_tensor *h, int n_out, const char *prefix) {
    eegnn_tensor *w, *b;
    int shape[4];
    if (!h) return NULL;
    shape[0] = n_out;
    shape[1] = h->shape[1];
    shape[2] = h->shape[2];
    shape[3] = 1;
    w = eegnn__bd_param(g, prefix, "weight", 4, shape, EEGNN__BD_INIT_XAVIER, 0);
    b = w ? eegnn__bd_param(g, prefix, "bias", 1, &n_out, EEGNN__BD_INIT_ZERO, 0) : NULL;
    if (!b) return NULL;
    return eegnn_linear(g, eegnn_flatten(g, h), eegnn__bd_view(g, w, n_out, shape[1] * shape[2], 0), b);
}

/* ---- models ---------------------------------------------------------------------- */

EEGNN_API eegnn_tensor *eegnn_model_eegnex(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    eegnn_model_config c;
    eegnn_conv2d_params cp;
    eegnn_pool2d_params pp;
    eegnn_tensor *h, *w, *b;
    int shape[4], f1 = 8, f2 = 32, f3 = 64, t4, t5, in_features;
    float drop;
    if (!g || !x || eegnn__model_shape("EEGNeX", x, cfg, &c)) return NULL;
    drop = eegnn__bd_drop(cfg, 0.5f);
    t4 = (c.n_times + 2 - 4) / 4 + 1;
    t5 = (t4 + 2 - 8) / 8 + 1;
    in_features = f1 * (c.n_times / f2);
    if (c.n_times + 2 < 4 || t4 + 2 < 8 || in_features < 1 || t5 * f1 != in_features) {
        eegnn_set_error(EEGNN_ERR_ARG,
                        "model 'EEGNeX': n_times=%d gives %d features after pooling but braindecode sizes the "
                        "final layer for 8 * (n_times / 32) = %d",
                        c.n_times, t4 + 2 < 8 ? 0 : t5 * f1, in_features);
        return NULL;
    }
    shape[0] = x->shape[0];
    shape[1] = 1;
    shape[2] = c.n_chans;
    shape[3] = c.n_times;
    h = eegnn_reshape(g, x, 4, shape); /* (B, 1, C, T) */

    memset(&cp, 0, sizeof cp);
    cp.padding[1] = EEGNN_PADDING_SAME;
    shape[0] = f1;
    shape[1] = 1;
    shape[2] = 1;
    shape[3] = 64;
    w = eegnn__bd_param(g, "block_1.1", "weight", 4, shape, EEGNN__BD_INIT_TORCH, 0);
    if (h && !h->grad) {
        /* blocks 1 to 3's convolution as one node that keeps no (B, 32, C, T)
         * map (ops/eegnex_stem.c); same parameters, created in the same order */
        eegnn_tensor *bn1[4], *bn2[4], *w2;
        if (!w || !eegnn__nn_batch_norm_params(g, f1, "block_1.2", &bn1[0], &bn1[1], &bn1[2], &bn1[3])) return NULL;
        shape[0] = f2;
        shape[1] = f1;
        w2 = eegnn__bd_param(g, "block_2.0", "weight", 4, shape, EEGNN__BD_INIT_TORCH, 0);
        if (!w2 || !eegnn__nn_batch_norm_params(g, f2, "block_2.1", &bn2[0], &bn2[1], &bn2[2], &bn2[3])) return NULL;
        shape[0] = f3;
        shape[1] = 1;
        shape[2] = c.n_chans;
        shape[3] = 1;
        b = eegnn__bd_param(g, "block_3.0.parametrizations.weight", "original", 4, shape, EEGNN__BD_INIT_XAVIER, 0);
        h = eegnn_eegnex_stem(g, h, w, bn1, w2, bn2, eegnn_renorm(g, b, 2.0f, 0, 1.0f), &cp, 0.1f, 1e-5f);
    } else {
        h = eegnn__bd_batch_norm(g, eegnn_conv2d(g, h, w, NULL, &cp), 0.1f, 1e-5f, "block_1.2"); /* (B, 8, C, T) */

        shape[0] = f2;
        shape[1] = f1;
        w = eegnn__bd_param(g, "block_2.0", "weight", 4, shape, EEGNN__BD_INIT_TORCH, 0);
        h = eegnn__bd_batch_norm(g, eegnn_conv2d(g, h, w, NULL, &cp), 0.1f, 1e-5f, "block_2.1"); /* (B, 32, C, T) */

        memset(&cp, 0, sizeof cp);
        cp.groups = f2;
        shape[0] = f3;
        shape[1] = 1;
        shape[2] = c.n_chans;
        shape[3] = 1;
        w = eegnn__bd_param(g, "block_3.0.parametrizations.weight", "original", 4, shape, EEGNN__BD_INIT_XAVIER, 0);
        h = eegnn_conv2d(g, h, eegnn_renorm(g, w, 2.0f, 0, 1.0f), NULL, &cp); /* (B, 64, 1, T) */
    }
    h = eegnn_elu(g, eegnn__bd_batch_norm(g, h, 0.1f, 1e-5f, "block_3.1"), 1.0f);
    memset(&pp, 0, sizeof pp);
    pp.kernel[0] = 1;
    pp.kernel[1] = 4;
    pp.padding[1] = 1;
    h = eegnn__bd_dropout(g, eegnn_avg_pool2d(g, h, &pp), drop); /* (B, 64, 1, t4) */

    memset(&cp, 0, sizeof cp);
    cp.padding[1] = EEGNN_PADDING_SAME;
    cp.dilation[1] = 2;
    shape[0] = f2;
    shape[1] = f3;
    shape[2] = 1;
    shape[3] = 16;
    w = eegnn__bd_param(g, "block_4.0", "weight", 4, shape, EEGNN__BD_INIT_TORCH, 0);
    h = eegnn__bd_batch_norm(g, eegnn_conv2d(g, h, w, NULL, &cp), 0.1f, 1e-5f, "block_4.1"); /* (B, 32, 1, t4) */

    cp.dilation[1] = 4;
    shape[0] = f1;
    shape[1] = f2;
    w = eegnn__bd_param(g, "block_5.0", "weight", 4, shape, EEGNN__BD_INIT_TORCH, 0);
    h = eegnn__bd_batch_norm(g, eegnn_conv2d(g, h, w, NULL, &cp), 0.1f, 1e-5f, "block_5.1"); /* (B, 8, 1, t4) */
    h = eegnn_elu(g, h, 1.0f);
    pp.kernel[1] = 8;
    h = eegnn__bd_dropout(g, eegnn_avg_pool2d(g, h, &pp), drop); /* (B, 8, 1, t5) */
    h = eegnn_flatten(g, h);

    shape[0] = c.n_outputs;
    shape[1] = in_features;
    w = eegnn__bd_param(g, "final_layer.parametrizations.weight", "original", 2, shape, EEGNN__BD_INIT_TORCH, 0);
    b = w ? eegnn__bd_param(g, "final_layer", "bias", 1, &c.n_outputs, EEGNN__BD_INIT_TORCH, in_features) : NULL;
    if (!b) return NULL;
    return eegnn_linear(g, h, eegnn_renorm(g, w, 2.0f, 0, 0.25f), b);
}

EEGNN_API eegnn_tensor *eegnn_model_eegnet(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    eegnn_model_config c;
    eegnn_conv2d_params cp;
    eegnn_pool2d_params pp;
    eegnn_tensor *h, *w, *b;
    int shape[4], F1, D, F2, t;
    float drop;
    if (!g || !x || eegnn__model_shape("EEGNetv4", x, cfg, &c)) return NULL;
    drop = eegnn__bd_drop(cfg, 0.25f);
    F1 = c.F1 > 0 ? c.F1 : 8;
    D = c.D > 0 ? c.D : 2;
    F2 = c.F2 > 0 ? c.F2 : F1 * D;
    t = (c.n_times + 1) / 4;
    t = (t + 1) / 8;
    if (t < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "model 'EEGNetv4': n_times=%d is too short (the pools need at least 127)",
                        c.n_times);
        return NULL;
    }
    shape[0] = x->shape[0];
    shape[1] = 1;
    shape[2] = c.n_chans;
    shape[3] = c.n_times;
    h = eegnn_reshape(g, x, 4, shape); /* (B, 1, C, T) */

    memset(&cp, 0, sizeof cp);
    cp.padding[1] = 32;
    shape[0] = F1;
    shape[1] = 1;
    shape[2] = 1;
    shape[3] = 64;
    w = eegnn__bd_param(g, "conv_temporal", "weight", 4, shape, EEGNN__BD_INIT_XAVIER, 0);
    h = eegnn__bd_batch_norm(g, eegnn_conv2d(g, h, w, NULL, &cp), 0.01f, 1e-3f, "bnorm_temporal");

    memset(&cp, 0, sizeof cp);
    cp.groups = F1;
    shape[0] = F1 * D;
    shape[1] = 1;
    shape[2] = c.n_chans;
    shape[3] = 1;
    w = eegnn__bd_param(g, "conv_spatial.parametrizations.weight", "original", 4, shape, EEGNN__BD_INIT_XAVIER, 0);
    h = eegnn_conv2d(g, h, eegnn_renorm(g, w, 2.0f, 0, 1.0f), NULL, &cp); /* (B, F1*D, 1, T+1) */
    h = eegnn_elu(g, eegnn__bd_batch_norm(g, h, 0.01f, 1e-3f, "bnorm_1"), 1.0f);
    memset(&pp, 0, sizeof pp);
    pp.kernel[0] = 1;
    pp.kernel[1] = 4;
    h = eegnn__bd_dropout(g, eegnn_avg_pool2d(g, h, &pp), drop);

    memset(&cp, 0, sizeof cp);
    cp.padding[1] = 8;
    cp.groups = F1 * D;
    shape[0] = F1 * D;
    shape[1] = 1;
    shape[2] = 1;
    shape[3] = 16;
    w = eegnn__bd_param(g, "conv_separable_depth", "weight", 4, shape, EEGNN__BD_INIT_XAVIER, 0);
    h = eegnn_conv2d(g, h, w, NULL, &cp);
    shape[0] = F2;
    shape[1] = F1 * D;
    shape[3] = 1;
    w = eegnn__bd_param(g, "conv_separable_point", "weight", 4, shape, EEGNN__BD_INIT_XAVIER, 0);
    h = eegnn_conv2d(g, h, w, NULL, NULL);
    h = eegnn_elu(g, eegnn__bd_batch_norm(g, h, 0.01f, 1e-3f, "bnorm_2"), 1.0f);
    pp.kernel[1] = 8;
    h = eegnn__bd_dropout(g, eegnn_avg_pool2d(g, h, &pp), drop); /* (B, F2, 1, t) */

    shape[0] = c.n_outputs;
    shape[1] = F2;
    shape[2] = 1;
    shape[3] = t;
    w = eegnn__bd_param(g, "final_layer.conv_classifier", "weight", 4, shape, EEGNN__BD_INIT_XAVIER, 0);
    b = w ? eegnn__bd_param(g, "final_layer.conv_classifier", "bias", 1, &c.n_outputs, EEGNN__BD_INIT_ZERO, 0)
          : NULL;
    if (!b || !h) return NULL;
    return eegnn_linear(g, eegnn_flatten(g, h), eegnn__bd_view(g, w, c.n_outputs, F2 * t, 0), b);
}

EEGNN_API eegnn_tensor *eegnn_model_shallow_fbcsp(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    eegnn_model_config c;
    eegnn_tensor *h;
    int f, k, pool, stride;
    float drop;
    if (!g || !x || eegnn__model_shape("ShallowFBCSPNet", x, cfg, &c)) return NULL;
    drop = eegnn__bd_drop(cfg, 0.5f);
    f = c.n_filters > 0 ? c.n_filters : 40;
    k = c.kernel_size > 0 ? c.kernel_size : 25;
    pool = c.pool_size > 0 ? c.pool_size : 75;
    stride = c.pool_stride > 0 ? c.pool_stride : 15;
    if (c.n_times - k + 1 < pool) {
        eegnn_set_error(EEGNN_ERR_ARG,
                        "model 'ShallowFBCSPNet': n_times=%d is shorter than filter_time_length - 1 + "
                        "pool_time_length = %d samples",
                        c.n_times, k - 1 + pool);
        return NULL;
    }
    h = eegnn__bd_combined_conv(g, x, c.n_chans, f, f, k, "conv_time_spat"); /* (B, F, T-K+1) */
    h = eegnn__bd_batch_norm(g, h, 0.1f, 1e-5f, "bnorm");
    h = eegnn_square(g, h);
    h = eegnn_avg_pool1d(g, h, pool, stride, 0);
    h = eegnn_safe_log(g, h, 1e-6f);
    h = eegnn__bd_dropout(g, h, drop);
    return eegnn__bd_conv_classifier(g, h, c.n_outputs, "final_layer.conv_classifier");
}

EEGNN_API eegnn_tensor *eegnn_model_deep4(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    static const int n_filters[3] = {50, 100, 200};
    eegnn_model_config c;
    eegnn_tensor *h;
    int len[3] = {10, 10, 10}, pool = 3, stride = 3, first = 10, min_len = 1, i, t, f_before = 25;
    float drop;
    if (!g || !x || eegnn__model_shape("Deep4Net", x, cfg, &c)) return NULL;
    drop = eegnn__bd_drop(cfg, 0.5f);
    for (i = 0; i < 4; i++) min_len = stride * (min_len - 1) + pool + (i < 3 ? len[2 - i] : first) - 1;
    if (c.n_times < min_len) {
        double s = (double)c.n_times / (double)min_len;
        pool = (int)(pool * s) > 1 ? (int)(pool * s) : 1;
        stride = (int)(stride * s) > 1 ? (int)(stride * s) : 1;
        for (i = 0; i < 3; i++) len[i] = (int)(len[i] * s) > 1 ? (int)(len[i] * s) : 1;
    }
    t = (c.n_times - first + 1 - pool) / stride + 1;
    for (i = 0; i < 3 && c.n_times - first + 1 >= pool; i++) {
        if (t - len[i] + 1 < pool) break;
        t = (t - len[i] + 1 - pool) / stride + 1;
    }
    if (c.n_times - first + 1 < pool || i < 3) {
        eegnn_set_error(EEGNN_ERR_ARG, "model 'Deep4Net': n_times=%d is too short for its kernels and pools",
                        c.n_times);
        return NULL;
    }
    h = eegnn__bd_combined_conv(g, x, c.n_chans, 25, 25, first, "conv_time_spat");
    h = eegnn_elu(g, eegnn__bd_batch_norm(g, h, 0.1f, 1e-5f, "bnorm"), 1.0f);
    if (pool > 1 || stride > 1) h = eegnn_max_pool1d(g, h, pool, stride, 0);
    for (i = 0; i < 3; i++) {
        char conv[32], bn[32];
        eegnn_tensor *w;
        int shape[4];
        snprintf(conv, sizeof conv, "conv_%d", i + 2);
        snprintf(bn, sizeof bn, "bnorm_%d", i + 2);
        h = eegnn__bd_dropout(g, h, drop);
        shape[0] = n_filters[i];
        shape[1] = f_before;
        shape[2] = len[i];
        shape[3] = 1;
        w = eegnn__bd_param(g, conv, "weight", 4, shape, EEGNN__BD_INIT_XAVIER, 0);
        h = eegnn_conv1d(g, h, eegnn__bd_view(g, w, n_filters[i], f_before, len[i]), NULL, NULL);
        h = eegnn_elu(g, eegnn__bd_batch_norm(g, h, 0.1f, 1e-5f, bn), 1.0f);
        if (pool > 1 || stride > 1) h = eegnn_max_pool1d(g, h, pool, stride, 0);
        f_before = n_filters[i];
    }
    return eegnn__bd_conv_classifier(g, h, c.n_outputs, "final_layer.conv_classifier");
}

/* One weight-normalised causal conv1d "<prefix>" (kernel k, dilation d):
 * conv with (k-1)*d zeros on both sides, then the last (k-1)*d outputs
 * dropped (braindecode's Chomp1d). */
static eegnn_tensor *eegnn__bd_wn_causal_conv(eegnn_graph *g, eegnn_tensor *x, int in_ch, int out_ch, int k, int d,
                                              const char *prefix) {
    char name[EEGNN_NAME_MAX];
    eegnn_conv1d_params cp;
    eegnn_tensor *v, *gain, *b, *y;
    int shape[3], r;
    shape[0] = out_ch;
    shape[1] = in_ch;
    shape[2] = k;
    if (snprintf(name, sizeof name, "%s.parametrizations.weight", prefix) >= (int)sizeof name) name[sizeof name - 1] = '\0';
    v = eegnn__bd_param(g, name, "original1", 3, shape, EEGNN__BD_INIT_TORCH, 0);
    shape[1] = 1;
    shape[2] = 1;
    gain = v ? eegnn__nn_param(g, "braindecode", name, "original0", 3, shape) : NULL;
    b = gain ? eegnn__bd_param(g, prefix, "bias", 1, &out_ch, EEGNN__BD_INIT_TORCH, in_ch * k) : NULL;
    if (!b || !x) return NULL;
    for (r = 0; r < out_ch; r++) { /* g = ||v|| per row, as weight_norm's right_inverse */
        double s = 0.0;
        int i, n = in_ch * k;
        for (i = 0; i < n; i++) s += (double)v->data[r * n + i] * (double)v->data[r * n + i];
        gain->data[r] = (float)sqrt(s);
    }
    memset(&cp, 0, sizeof cp);
    cp.padding = (k - 1) * d;
    cp.dilation = d;
    y = eegnn_conv1d(g, x, eegnn__bd_weight_norm(g, gain, v), b, &cp);
    return eegnn_slice(g, y, 2, 0, x->shape[2]);
}

EEGNN_API eegnn_tensor *eegnn_model_bdtcn(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    eegnn_model_config c;
    eegnn_tensor *h;
    int n_blocks = 3, n_filters = 30, k = 5, min_len = 1, i;
    float drop;
    if (!g || !x || eegnn__model_shape("BDTCN", x, cfg, &c)) return NULL;
    drop = eegnn__bd_drop(cfg, 0.5f);
    for (i = 0; i < n_blocks; i++) min_len += 2 * (k - 1) * (1 << i);
    if (c.n_times < min_len) {
        eegnn_set_error(EEGNN_ERR_ARG, "model 'BDTCN': n_times=%d is shorter than its receptive field of %d samples",
                        c.n_times, min_len);
        return NULL;
    }
    h = x;
    for (i = 0; i < n_blocks; i++) {
        char prefix[64], name[EEGNN_NAME_MAX];
        int in_ch = i == 0 ? c.n_chans : n_filters, d = 1 << i;
        eegnn_tensor *o, *res = h;
        snprintf(prefix, sizeof prefix, "base_tcn.temporal_blocks.temporal_block_%d", i);
        if (snprintf(name, sizeof name, "%s.conv1", prefix) >= (int)sizeof name) name[sizeof name - 1] = '\0';
        o = eegnn_relu(g, eegnn__bd_wn_causal_conv(g, h, in_ch, n_filters, k, d, name));
        if (drop > 0.0f) o = eegnn__bd_channel_dropout(g, o, drop);
        if (snprintf(name, sizeof name, "%s.conv2", prefix) >= (int)sizeof name) name[sizeof name - 1] = '\0';
        o = eegnn_relu(g, eegnn__bd_wn_causal_conv(g, o, n_filters, n_filters, k, d, name));
        if (drop > 0.0f) o = eegnn__bd_channel_dropout(g, o, drop);
        if (in_ch != n_filters) {
            eegnn_tensor *w, *b;
            int shape[3];
            shape[0] = n_filters;
            shape[1] = in_ch;
            shape[2] = 1;
            if (snprintf(name, sizeof name, "%s.downsample", prefix) >= (int)sizeof name) name[sizeof name - 1] = '\0';
            w = eegnn__bd_param(g, name, "weight", 3, shape, EEGNN__BD_INIT_ZERO, 0);
            if (w) { /* init.normal_(weight, 0, 0.01) */
                size_t j;
                for (j = 0; j < w->numel; j++) w->data[j] = 0.01f * eegnn_rng_normal(eegnn_graph_rng(g));
            }
            b = w ? eegnn__bd_param(g, name, "bias", 1, &n_filters, EEGNN__BD_INIT_TORCH, in_ch) : NULL;
            res = b ? eegnn_conv1d(g, h, w, b, NULL) : NULL;
        }
        h = eegnn_relu(g, eegnn_add(g, o, res));
    }
    /* fc on each kept time step, then the mean over them == fc of the mean. */
    h = eegnn_slice(g, h, 2, min_len - 1, c.n_times - min_len + 1);
    h = eegnn_global_avg_pool(g, h);
    return eegnn_nn_linear(g, h, n_filters, c.n_outputs, 1, "base_tcn.final_layer.fc");
}
