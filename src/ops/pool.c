/* Pooling: avg_pool1d (count_include_pad=True), max_pool1d, global average
 * pooling over time. Follows torch.nn.functional (ceil_mode=False). */

/* ip: [0] kernel, [1] stride, [2] padding. */
static eegnn_tensor *eegnn__pool1d(eegnn_graph *g, const char *op, eegnn_tensor *x, int kernel, int stride,
                                   int padding) {
    int shape[3], t_out;
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (stride == 0) stride = kernel;
    if (x->ndim != 3) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: x %s must be (B, C, T)", op, eegnn__shp(x));
        return NULL;
    }
    if (kernel < 1 || stride < 1 || padding < 0 || padding > kernel / 2) {
        eegnn_set_error(EEGNN_ERR_ARG,
                        "%s: x %s: kernel %d, stride %d, padding %d (need kernel >= 1, stride >= 1, "
                        "0 <= padding <= kernel / 2)",
                        op, eegnn__shp(x), kernel, stride, padding);
        return NULL;
    }
    if (x->shape[2] + 2 * padding < kernel) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: x %s: kernel %d is longer than the padded input (%d samples)", op,
                        eegnn__shp(x), kernel, x->shape[2] + 2 * padding);
        return NULL;
    }
    t_out = (x->shape[2] + 2 * padding - kernel) / stride + 1;
    shape[0] = x->shape[0];
    shape[1] = x->shape[1];
    shape[2] = t_out;
    t = eegnn_graph_new_node(g, op, 3, shape, &x, 1);
    if (!t) return NULL;
    t->ip[0] = kernel;
    t->ip[1] = stride;
    t->ip[2] = padding;
    return t;
}

static void eegnn__avg_pool1d_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const eegnn_tensor *x = t->src[0];
    int k = t->ip[0], s = t->ip[1], p = t->ip[2];
    int t_in = x->shape[2], t_out = t->shape[2], o, j;
    size_t rows = (size_t)x->shape[0] * (size_t)x->shape[1], r;
    float inv = 1.0f / (float)k;
    (void)g;
    for (r = 0; r < rows; r++) {
        const float *xr = x->data + r * (size_t)t_in;
        float *yr = t->data + r * (size_t)t_out;
        for (o = 0; o < t_out; o++) {
            int start = o * s - p, lo = EEGNN__MAX(start, 0), hi = EEGNN__MIN(start + k, t_in);
            float acc = 0.0f;
            for (j = lo; j < hi; j++) acc += xr[j];
            yr[o] = acc * inv;
        }
    }
}

static void eegnn__avg_pool1d_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *x = t->src[0];
    int k = t->ip[0], s = t->ip[1], p = t->ip[2];
    int t_in = x->shape[2], t_out = t->shape[2], o, j;
    size_t rows = (size_t)x->shape[0] * (size_t)x->shape[1], r;
    float inv = 1.0f / (float)k;
    (void)g;
    if (!x->grad) return;
    for (r = 0; r < rows; r++) {
        float *dx = x->grad + r * (size_t)t_in;
        const float *dy = t->grad + r * (size_t)t_out;
        for (o = 0; o < t_out; o++) {
            int start = o * s - p, lo = EEGNN__MAX(start, 0), hi = EEGNN__MIN(start + k, t_in);
            float d = dy[o] * inv;
            for (j = lo; j < hi; j++) dx[j] += d;
        }
    }
}

EEGNN_API eegnn_tensor *eegnn_avg_pool1d(eegnn_graph *g, eegnn_tensor *x, int kernel, int stride, int padding) {
    eegnn_tensor *t = eegnn__pool1d(g, "avg_pool1d", x, kernel, stride, padding);
    if (!t) return NULL;
    t->forward = eegnn__avg_pool1d_fwd;
    t->backward = eegnn__avg_pool1d_bwd;
    return t;
}

/* iaux: (B, C, T_out) index into the input row of each window's maximum
 * (the first one on ties, a NaN wins, as PyTorch's CPU kernel). */
static void eegnn__max_pool1d_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const eegnn_tensor *x = t->src[0];
    int k = t->ip[0], s = t->ip[1], p = t->ip[2];
    int t_in = x->shape[2], t_out = t->shape[2], o, j;
    size_t rows = (size_t)x->shape[0] * (size_t)x->shape[1], r;
    (void)g;
    for (r = 0; r < rows; r++) {
        const float *xr = x->data + r * (size_t)t_in;
        float *yr = t->data + r * (size_t)t_out;
        int32_t *ir = t->iaux + r * (size_t)t_out;
        for (o = 0; o < t_out; o++) {
            int start = o * s - p, lo = EEGNN__MAX(start, 0), hi = EEGNN__MIN(start + k, t_in);
            int best = lo;
            float mx = xr[lo];
            for (j = lo + 1; j < hi; j++) {
                float v = xr[j];
                if (v > mx || (v != v && mx == mx)) {
                    mx = v;
                    best = j;
                }
            }
            yr[o] = mx;
            ir[o] = best;
        }
    }
}

static void eegnn__max_pool1d_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *x = t->src[0];
    int t_in = x->shape[2], t_out = t->shape[2], o;
    size_t rows = (size_t)x->shape[0] * (size_t)x->shape[1], r;
    (void)g;
    if (!x->grad) return;
    for (r = 0; r < rows; r++) {
        float *dx = x->grad + r * (size_t)t_in;
        const float *dy = t->grad + r * (size_t)t_out;
        const int32_t *ir = t->iaux + r * (size_t)t_out;
        for (o = 0; o < t_out; o++) dx[ir[o]] += dy[o];
    }
}

EEGNN_API eegnn_tensor *eegnn_max_pool1d(eegnn_graph *g, eegnn_tensor *x, int kernel, int stride, int padding) {
    eegnn_tensor *t = eegnn__pool1d(g, "max_pool1d", x, kernel, stride, padding);
    if (!t) return NULL;
    t->iaux = (int32_t *)eegnn_graph_alloc(g, t->numel * sizeof(int32_t));
    if (!t->iaux) return NULL;
    t->iaux_len = t->numel;
    t->forward = eegnn__max_pool1d_fwd;
    t->backward = eegnn__max_pool1d_bwd;
    return t;
}

static void eegnn__global_avg_pool_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const eegnn_tensor *x = t->src[0];
    size_t n = (size_t)x->shape[2], r, i;
    (void)g;
    for (r = 0; r < t->numel; r++) {
        const float *xr = x->data + r * n;
        float acc = 0.0f;
        for (i = 0; i < n; i++) acc += xr[i];
        t->data[r] = acc / (float)n;
    }
}

static void eegnn__global_avg_pool_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *x = t->src[0];
    size_t n = (size_t)x->shape[2], r, i;
    (void)g;
    if (!x->grad) return;
    for (r = 0; r < t->numel; r++) {
        float d = t->grad[r] / (float)n, *dx = x->grad + r * n;
        for (i = 0; i < n; i++) dx[i] += d;
    }
}

EEGNN_API eegnn_tensor *eegnn_global_avg_pool(eegnn_graph *g, eegnn_tensor *x) {
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (x->ndim != 3) {
        eegnn_set_error(EEGNN_ERR_ARG, "global_avg_pool: x %s must be (B, C, T)", eegnn__shp(x));
        return NULL;
    }
    t = eegnn_graph_new_node(g, "global_avg_pool", 2, x->shape, &x, 1);
    if (!t) return NULL;
    t->forward = eegnn__global_avg_pool_fwd;
    t->backward = eegnn__global_avg_pool_bwd;
    return t;
}
