/* Pooling: avg_pool1d (count_include_pad=True), max_pool1d, global average
 * pooling over time (torch.nn.functional, ceil_mode=False); avg_pool2d and
 * max_pool2d (padding, ceil_mode, count_include_pad), adaptive_avg_pool1d
 * and adaptive_avg_pool2d (declared in src/ops/conv2d.h). */

/* ip: [0] kernel, [1] stride, [2] padding. */
static eegnn_tensor *eegnn__pool1d(eegnn_graph *g, eegnn_op kind, eegnn_tensor *x, int kernel, int stride,
                                   int padding) {
    const char *op = eegnn_op_name(kind);
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
    t = eegnn_graph_new_op(g, kind, 3, shape, &x, 1);
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
    eegnn_tensor *t = eegnn__pool1d(g, EEGNN_OP_AVG_POOL1D, x, kernel, stride, padding);
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
    eegnn_tensor *t = eegnn__pool1d(g, EEGNN_OP_MAX_POOL1D, x, kernel, stride, padding);
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
    size_t n = (size_t)x->shape[2], r;
    (void)g;
    for (r = 0; r < t->numel; r++) t->data[r] = eegnn__sum_floats(x->data + r * n, n) / (float)n;
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
    t = eegnn_graph_new_op(g, EEGNN_OP_GLOBAL_AVG_POOL, 2, x->shape, &x, 1);
    if (!t) return NULL;
    t->forward = eegnn__global_avg_pool_fwd;
    t->backward = eegnn__global_avg_pool_bwd;
    return t;
}

/* ---- 2-D pools and adaptive average pools ------------------------------------
 * Planes (one per sample and channel) are independent; large nodes split
 * them over the graph's threads (each plane handled by one task, so the
 * results do not depend on the thread count).
 * pool2d ip: [0] kH, [1] kW, [2] sH, [3] sW, [4] padH, [5] padW,
 * [6] exclude_padding. adaptive ip: [0] out_h, [1] out_w (1-D: H = 1). */

typedef void (*eegnn__plane_fn)(eegnn_tensor *t, size_t plane);

typedef struct {
    eegnn_tensor *t;
    eegnn__plane_fn fn;
    size_t n_planes;
    eegnn_work planes; /* handed out to the tasks in grains */
} eegnn__plane_ctx;

static void eegnn__plane_task(void *ctx, int task, int n_tasks) {
    eegnn__plane_ctx *c = (eegnn__plane_ctx *)ctx;
    size_t p, p0, p1;
    (void)task;
    (void)n_tasks;
    while (eegnn_work_next(&c->planes, &p0, &p1))
        for (p = p0; p < p1; p++) c->fn(c->t, p);
}

static void eegnn__run_planes(eegnn_graph *g, eegnn_tensor *t, eegnn__plane_fn fn) {
    eegnn__plane_ctx c;
    int n_tasks = eegnn_graph_n_threads(g);
    const eegnn_tensor *x = t->src[0];
    c.t = t;
    c.fn = fn;
    c.n_planes = (size_t)x->shape[0] * (size_t)x->shape[1];
    if (x->numel < 16384 || n_tasks <= 1 || !eegnn_graph_pool(g)) n_tasks = 1;
    if ((size_t)n_tasks > c.n_planes) n_tasks = (int)c.n_planes;
    eegnn_work_init(&c.planes, c.n_planes, eegnn_work_grain(c.n_planes, n_tasks));
    if (n_tasks <= 1) {
        eegnn__plane_task(&c, 0, 1);
        return;
    }
    eegnn_parallel_for(eegnn_graph_pool(g), n_tasks, eegnn__plane_task, &c);
}

/* Height and width of input and output of a 4-D (or 3-D, H = 1) pool node. */
static void eegnn__plane_dims(const eegnn_tensor *t, int *hin, int *win, int *hout, int *wout) {
    const eegnn_tensor *x = t->src[0];
    int four = x->ndim == 4;
    *hin = four ? x->shape[2] : 1;
    *win = x->shape[x->ndim - 1];
    *hout = four ? t->shape[2] : 1;
    *wout = t->shape[t->ndim - 1];
}

/* One dimension of a pool window: [*a, *b) inside the input, and the
 * window size PyTorch's avg_pool2d divides by with count_include_pad
 * (clipped to the padded input). */
static void eegnn__pool_window(int o, int k, int s, int pad, int in, int *a, int *b, int *padded) {
    int start = o * s - pad, end = EEGNN__MIN(start + k, in + pad);
    *padded = end - start;
    *a = EEGNN__MAX(start, 0);
    *b = EEGNN__MIN(end, in);
}

static void eegnn__avg_pool2d_plane(eegnn_tensor *t, size_t plane) {
    int hin, win, hout, wout, oh, ow, i, j;
    const float *x;
    float *y;
    eegnn__plane_dims(t, &hin, &win, &hout, &wout);
    x = t->src[0]->data + plane * (size_t)hin * win;
    y = t->data + plane * (size_t)hout * wout;
    for (oh = 0; oh < hout; oh++) {
        int h0, h1, hp;
        eegnn__pool_window(oh, t->ip[0], t->ip[2], t->ip[4], hin, &h0, &h1, &hp);
        for (ow = 0; ow < wout; ow++) {
            int w0, w1, wp, count;
            float acc = 0.0f;
            eegnn__pool_window(ow, t->ip[1], t->ip[3], t->ip[5], win, &w0, &w1, &wp);
            for (i = h0; i < h1; i++)
                for (j = w0; j < w1; j++) acc += x[(size_t)i * win + j];
            count = t->ip[6] ? (h1 - h0) * (w1 - w0) : hp * wp;
            y[(size_t)oh * wout + ow] = count > 0 ? acc / (float)count : 0.0f;
        }
    }
}

static void eegnn__avg_pool2d_plane_bwd(eegnn_tensor *t, size_t plane) {
    int hin, win, hout, wout, oh, ow, i, j;
    float *dx;
    const float *dy;
    eegnn__plane_dims(t, &hin, &win, &hout, &wout);
    dx = t->src[0]->grad + plane * (size_t)hin * win;
    dy = t->grad + plane * (size_t)hout * wout;
    for (oh = 0; oh < hout; oh++) {
        int h0, h1, hp;
        eegnn__pool_window(oh, t->ip[0], t->ip[2], t->ip[4], hin, &h0, &h1, &hp);
        for (ow = 0; ow < wout; ow++) {
            int w0, w1, wp, count;
            float d;
            eegnn__pool_window(ow, t->ip[1], t->ip[3], t->ip[5], win, &w0, &w1, &wp);
            count = t->ip[6] ? (h1 - h0) * (w1 - w0) : hp * wp;
            if (count <= 0) continue;
            d = dy[(size_t)oh * wout + ow] / (float)count;
            for (i = h0; i < h1; i++)
                for (j = w0; j < w1; j++) dx[(size_t)i * win + j] += d;
        }
    }
}

/* iaux: (B, C, H_out, W_out) flat index into the input plane of each
 * window's maximum; -1 for a window that holds no input. */
static void eegnn__max_pool2d_plane(eegnn_tensor *t, size_t plane) {
    int hin, win, hout, wout, oh, ow, i, j;
    const float *x;
    float *y;
    int32_t *ix;
    eegnn__plane_dims(t, &hin, &win, &hout, &wout);
    x = t->src[0]->data + plane * (size_t)hin * win;
    y = t->data + plane * (size_t)hout * wout;
    ix = t->iaux + plane * (size_t)hout * wout;
    for (oh = 0; oh < hout; oh++) {
        int h0, h1, hp;
        eegnn__pool_window(oh, t->ip[0], t->ip[2], t->ip[4], hin, &h0, &h1, &hp);
        for (ow = 0; ow < wout; ow++) {
            int w0, w1, wp, best = -1;
            float mx = -INFINITY;
            eegnn__pool_window(ow, t->ip[1], t->ip[3], t->ip[5], win, &w0, &w1, &wp);
            for (i = h0; i < h1; i++)
                for (j = w0; j < w1; j++) {
                    float v = x[(size_t)i * win + j];
                    if (best < 0 || v > mx || (v != v && mx == mx)) {
                        mx = v;
                        best = i * win + j;
                    }
                }
            y[(size_t)oh * wout + ow] = mx;
            ix[(size_t)oh * wout + ow] = best;
        }
    }
}

static void eegnn__max_pool2d_plane_bwd(eegnn_tensor *t, size_t plane) {
    int hin, win, hout, wout;
    size_t o, n;
    float *dx;
    const float *dy;
    const int32_t *ix;
    eegnn__plane_dims(t, &hin, &win, &hout, &wout);
    n = (size_t)hout * wout;
    dx = t->src[0]->grad + plane * (size_t)hin * win;
    dy = t->grad + plane * n;
    ix = t->iaux + plane * n;
    for (o = 0; o < n; o++)
        if (ix[o] >= 0) dx[ix[o]] += dy[o];
}

static void eegnn__avg_pool2d_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__run_planes(g, t, eegnn__avg_pool2d_plane); }
static void eegnn__max_pool2d_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__run_planes(g, t, eegnn__max_pool2d_plane); }

static void eegnn__avg_pool2d_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_planes(g, t, eegnn__avg_pool2d_plane_bwd);
}

static void eegnn__max_pool2d_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_planes(g, t, eegnn__max_pool2d_plane_bwd);
}

/* Output size of one pooled dimension, as PyTorch's pooling_output_shape
 * (dilation 1); 0 when the kernel does not fit. */
static int eegnn__pool_out(int in, int k, int s, int pad, int ceil_mode) {
    int out;
    if (in + 2 * pad < k) return 0;
    out = (in + 2 * pad - k + (ceil_mode ? s - 1 : 0)) / s + 1;
    if (ceil_mode && (out - 1) * s >= in + pad) out--;
    return out;
}

static eegnn_tensor *eegnn__pool2d(eegnn_graph *g, eegnn_op kind, eegnn_tensor *x, const eegnn_pool2d_params *p) {
    const char *op = eegnn_op_name(kind);
    int shape[4], d, k[2], s[2], pad[2];
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (!p) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: x %s: params are NULL (the kernel size is needed)", op, eegnn__shp(x));
        return NULL;
    }
    if (x->ndim != 4) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: x %s must be (B, C, H, W)", op, eegnn__shp(x));
        return NULL;
    }
    for (d = 0; d < 2; d++) {
        k[d] = p->kernel[d];
        s[d] = p->stride[d] ? p->stride[d] : k[d];
        pad[d] = p->padding[d];
        if (k[d] < 1 || s[d] < 1 || pad[d] < 0 || pad[d] > k[d] / 2) {
            eegnn_set_error(EEGNN_ERR_ARG,
                            "%s: x %s: kernel %d, stride %d, padding %d in dimension %d (need kernel >= 1, "
                            "stride >= 1, 0 <= padding <= kernel / 2)",
                            op, eegnn__shp(x), k[d], s[d], pad[d], d + 2);
            return NULL;
        }
        shape[2 + d] = eegnn__pool_out(x->shape[2 + d], k[d], s[d], pad[d], p->ceil_mode);
        if (shape[2 + d] < 1) {
            eegnn_set_error(EEGNN_ERR_ARG, "%s: x %s: kernel %d is larger than the padded input (%d) in dimension %d",
                            op, eegnn__shp(x), k[d], x->shape[2 + d] + 2 * pad[d], d + 2);
            return NULL;
        }
    }
    shape[0] = x->shape[0];
    shape[1] = x->shape[1];
    t = eegnn_graph_new_op(g, kind, 4, shape, &x, 1);
    if (!t) return NULL;
    for (d = 0; d < 2; d++) {
        t->ip[d] = k[d];
        t->ip[2 + d] = s[d];
        t->ip[4 + d] = pad[d];
    }
    t->ip[6] = p->exclude_padding != 0;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_avg_pool2d(eegnn_graph *g, eegnn_tensor *x, const eegnn_pool2d_params *p) {
    eegnn_tensor *t = eegnn__pool2d(g, EEGNN_OP_AVG_POOL2D, x, p);
    if (!t) return NULL;
    t->forward = eegnn__avg_pool2d_fwd;
    t->backward = eegnn__avg_pool2d_bwd;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_max_pool2d(eegnn_graph *g, eegnn_tensor *x, const eegnn_pool2d_params *p) {
    eegnn_tensor *t = eegnn__pool2d(g, EEGNN_OP_MAX_POOL2D, x, p);
    if (!t) return NULL;
    t->iaux = (int32_t *)eegnn_graph_alloc(g, t->numel * sizeof(int32_t));
    if (!t->iaux) return NULL;
    t->iaux_len = t->numel;
    t->forward = eegnn__max_pool2d_fwd;
    t->backward = eegnn__max_pool2d_bwd;
    return t;
}

/* PyTorch's adaptive pooling window of output o: [floor(o*in/out), ceil((o+1)*in/out)). */
static void eegnn__adaptive_window(int o, int in, int out, int *a, int *b) {
    *a = (int)(((long long)o * in) / out);
    *b = (int)(((long long)(o + 1) * in + out - 1) / out);
}

static void eegnn__adaptive_plane(eegnn_tensor *t, size_t plane, int backward) {
    int hin, win, hout, wout, oh, ow, i, j;
    eegnn__plane_dims(t, &hin, &win, &hout, &wout);
    for (oh = 0; oh < hout; oh++) {
        int h0, h1;
        eegnn__adaptive_window(oh, hin, hout, &h0, &h1);
        for (ow = 0; ow < wout; ow++) {
            int w0, w1;
            float inv;
            size_t o = plane * (size_t)hout * wout + (size_t)oh * wout + ow;
            eegnn__adaptive_window(ow, win, wout, &w0, &w1);
            inv = 1.0f / (float)((h1 - h0) * (w1 - w0));
            if (backward) {
                float *dx = t->src[0]->grad + plane * (size_t)hin * win;
                float d = t->grad[o] * inv;
                for (i = h0; i < h1; i++)
                    for (j = w0; j < w1; j++) dx[(size_t)i * win + j] += d;
            } else {
                const float *x = t->src[0]->data + plane * (size_t)hin * win;
                float acc = 0.0f;
                for (i = h0; i < h1; i++)
                    for (j = w0; j < w1; j++) acc += x[(size_t)i * win + j];
                t->data[o] = acc * inv;
            }
        }
    }
}

static void eegnn__adaptive_plane_fwd(eegnn_tensor *t, size_t plane) { eegnn__adaptive_plane(t, plane, 0); }
static void eegnn__adaptive_plane_bwd(eegnn_tensor *t, size_t plane) { eegnn__adaptive_plane(t, plane, 1); }
static void eegnn__adaptive_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__run_planes(g, t, eegnn__adaptive_plane_fwd); }

static void eegnn__adaptive_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_planes(g, t, eegnn__adaptive_plane_bwd);
}

EEGNN_API eegnn_tensor *eegnn_adaptive_avg_pool1d(eegnn_graph *g, eegnn_tensor *x, int out_size) {
    int shape[3];
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (x->ndim != 3 || out_size < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "adaptive_avg_pool1d: x %s must be (B, C, T) and out_size %d >= 1",
                        eegnn__shp(x), out_size);
        return NULL;
    }
    shape[0] = x->shape[0];
    shape[1] = x->shape[1];
    shape[2] = out_size;
    t = eegnn_graph_new_op(g, EEGNN_OP_ADAPTIVE_AVG_POOL1D, 3, shape, &x, 1);
    if (!t) return NULL;
    t->forward = eegnn__adaptive_fwd;
    t->backward = eegnn__adaptive_bwd;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_adaptive_avg_pool2d(eegnn_graph *g, eegnn_tensor *x, int out_h, int out_w) {
    int shape[4];
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (x->ndim != 4 || out_h < 1 || out_w < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "adaptive_avg_pool2d: x %s must be (B, C, H, W) and sizes (%d, %d) >= 1",
                        eegnn__shp(x), out_h, out_w);
        return NULL;
    }
    shape[0] = x->shape[0];
    shape[1] = x->shape[1];
    shape[2] = out_h;
    shape[3] = out_w;
    t = eegnn_graph_new_op(g, EEGNN_OP_ADAPTIVE_AVG_POOL2D, 4, shape, &x, 1);
    if (!t) return NULL;
    t->forward = eegnn__adaptive_fwd;
    t->backward = eegnn__adaptive_bwd;
    return t;
}
