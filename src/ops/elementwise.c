/* Elementwise and shape ops: bias_add, add, mul, scale, relu, elu, gelu,
 * reshape, flatten, dropout, softmax, log_softmax.
 * Forward and backward follow PyTorch's CPU kernels; every backward adds
 * (+=) into the gradient of each input that carries one. */

/* Writes "(d0, d1, ...)" of t into one of a few rotating static buffers, for
 * error messages that name two or three shapes in one call. */
EEGNN__PRIVATE const char *eegnn__shp(const eegnn_tensor *t) {
    static EEGNN__THREAD_LOCAL char buf[4][64]; /* thread-local: graphs may be built in parallel */
    static EEGNN__THREAD_LOCAL int slot;
    char *b = buf[slot++ & 3];
    if (!t) return "(null)";
    return eegnn_shape_str(t, b, sizeof buf[0]);
}

EEGNN__PRIVATE int eegnn__same_shape(const eegnn_tensor *a, const eegnn_tensor *b) {
    int i;
    if (a->ndim != b->ndim) return 0;
    for (i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

/* Inner size of a (B, C, ...) tensor: product of the dims after dim 1. */
EEGNN__PRIVATE size_t eegnn__inner_size(const eegnn_tensor *t) {
    size_t n = 1;
    int i;
    for (i = 2; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

/* Sum of x[0..n) in 16 interleaved partial sums, added pairwise at the
 * end: independent additions that the compiler can vectorize (a single
 * running sum waits for every addition's latency). */
EEGNN__PRIVATE float eegnn__sum_floats(const float *x, size_t n) {
    float acc[16] = {0.0f};
    size_t i, k;
    for (i = 0; i + 16 <= n; i += 16)
        for (k = 0; k < 16; k++) acc[k] += x[i + k];
    for (k = 0; i < n; i++, k++) acc[k] += x[i];
    for (k = 8; k > 0; k /= 2)
        for (i = 0; i < k; i++) acc[i] += acc[i + k];
    return acc[0];
}

/* Sum of (x[i] - m)^2 over x[0..n), the same way. */
EEGNN__PRIVATE float eegnn__sum_sq_dev_floats(const float *x, size_t n, float m) {
    float acc[16] = {0.0f};
    size_t i, k;
    for (i = 0; i + 16 <= n; i += 16)
        for (k = 0; k < 16; k++) {
            float d = x[i + k] - m;
            acc[k] += d * d;
        }
    for (k = 0; i < n; i++, k++) {
        float d = x[i] - m;
        acc[k] += d * d;
    }
    for (k = 8; k > 0; k /= 2)
        for (i = 0; i < k; i++) acc[i] += acc[i + k];
    return acc[0];
}

/* ---- splitting an op over the graph's threads --------------------------------
 * An op's work is n units (elements, rows or channels) handed out to the
 * graph's threads in contiguous grains (eegnn_work_next). Each unit is
 * computed by one task in the same way whichever thread runs it, so results
 * do not depend on the thread count. Nodes under 16384 elements run on the
 * calling thread. */
typedef void (*eegnn__range_fn)(eegnn_tensor *t, size_t lo, size_t hi);

typedef struct {
    eegnn_tensor *t;
    eegnn__range_fn fn;
    eegnn_work work;
} eegnn__range_ctx;

static void eegnn__range_task(void *ctx, int task, int n_tasks) {
    eegnn__range_ctx *c = (eegnn__range_ctx *)ctx;
    size_t lo, hi;
    (void)task;
    (void)n_tasks;
    while (eegnn_work_next(&c->work, &lo, &hi)) c->fn(c->t, lo, hi);
}

/* fn(t, lo, hi) over [0, n) units of node t. */
EEGNN__PRIVATE void eegnn__run_split(eegnn_graph *g, eegnn_tensor *t, size_t n, eegnn__range_fn fn) {
    eegnn__range_ctx c;
    int n_tasks = eegnn_graph_n_threads(g);
    if (n_tasks > 1 && (size_t)n_tasks > n) n_tasks = (int)n;
    if (t->numel < 16384 || n_tasks <= 1 || !eegnn_graph_pool(g)) {
        if (n) fn(t, 0, n);
        return;
    }
    c.t = t;
    c.fn = fn;
    eegnn_work_init(&c.work, n, eegnn_work_grain(n, n_tasks));
    eegnn_parallel_for(eegnn_graph_pool(g), n_tasks, eegnn__range_task, &c);
}

/* fn(t, lo, hi) over the elements of node t. */
EEGNN__PRIVATE void eegnn__run_range(eegnn_graph *g, eegnn_tensor *t, eegnn__range_fn fn) {
    eegnn__run_split(g, t, t->numel, fn);
}

/* ---- bias_add ---------------------------------------------------------- */

/* Rows [lo, hi) of the (B * C, inner) view. */
static void eegnn__bias_add_fwd_rows(eegnn_tensor *t, size_t lo, size_t hi) {
    const eegnn_tensor *x = t->src[0], *b = t->src[1];
    size_t inner = eegnn__inner_size(x), r, i, C = (size_t)x->shape[1];
    for (r = lo; r < hi; r++) {
        const float *xp = x->data + r * inner;
        float *yp = t->data + r * inner, bv = b->data[r % C];
        for (i = 0; i < inner; i++) yp[i] = xp[i] + bv;
    }
}

static void eegnn__bias_add_fwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__run_split(g, t, (size_t)t->shape[0] * (size_t)t->shape[1], eegnn__bias_add_fwd_rows);
}

static void eegnn__bias_add_dx_range(eegnn_tensor *t, size_t lo, size_t hi) {
    float *dx = t->src[0]->grad;
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += t->grad[i];
}

/* db[c] for channels [lo, hi): the sum of dy over samples and positions. */
static void eegnn__bias_add_db_range(eegnn_tensor *t, size_t lo, size_t hi) {
    eegnn_tensor *x = t->src[0], *b = t->src[1];
    size_t inner = eegnn__inner_size(x), i, c;
    int n, B = x->shape[0], C = x->shape[1];
    for (c = lo; c < hi; c++) {
        double s = 0.0;
        for (n = 0; n < B; n++) {
            const float *gp = t->grad + ((size_t)n * C + c) * inner;
            for (i = 0; i < inner; i++) s += gp[i];
        }
        b->grad[c] += (float)s;
    }
}

static void eegnn__bias_add_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_range(g, t, eegnn__bias_add_dx_range);
    if (t->src[1]->grad) eegnn__run_split(g, t, (size_t)t->shape[1], eegnn__bias_add_db_range);
}

EEGNN_API eegnn_tensor *eegnn_bias_add(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *b) {
    eegnn_tensor *src[2], *t;
    if (!g || !x || !b) return NULL;
    if (x->ndim < 2 || b->ndim != 1 || b->shape[0] != x->shape[1]) {
        eegnn_set_error(EEGNN_ERR_ARG, "bias_add: x %s needs (B, C, ...) and b %s needs (C)", eegnn__shp(x),
                        eegnn__shp(b));
        return NULL;
    }
    src[0] = x;
    src[1] = b;
    t = eegnn_graph_new_op(g, EEGNN_OP_BIAS_ADD, x->ndim, x->shape, src, 2);
    if (!t) return NULL;
    t->forward = eegnn__bias_add_fwd;
    t->backward = eegnn__bias_add_bwd;
    return t;
}

/* ---- add, mul, scale ------------------------------------------------------ */

/* b has a's shape or one element (a scalar). */
static void eegnn__add_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *a = t->src[0]->data, *b = t->src[1]->data;
    float *y = t->data;
    size_t i;
    if (t->src[1]->numel == 1) {
        float s = b[0];
        for (i = lo; i < hi; i++) y[i] = a[i] + s;
    } else {
        for (i = lo; i < hi; i++) y[i] = a[i] + b[i];
    }
}

/* The elementwise part of the gradient; a scalar b's is summed serially. */
static void eegnn__add_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    eegnn_tensor *a = t->src[0], *b = t->src[1];
    const float *dy = t->grad;
    size_t i;
    if (a->grad)
        for (i = lo; i < hi; i++) a->grad[i] += dy[i];
    if (b->grad && b->numel == t->numel)
        for (i = lo; i < hi; i++) b->grad[i] += dy[i];
}

static void eegnn__add_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__run_range(g, t, eegnn__add_fwd_range); }

static void eegnn__add_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *b = t->src[1];
    size_t i, n = t->numel;
    eegnn__run_range(g, t, eegnn__add_bwd_range);
    if (b->grad && b->numel != n) {
        double s = 0.0;
        for (i = 0; i < n; i++) s += t->grad[i];
        b->grad[0] += (float)s;
    }
}

static void eegnn__mul_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *a = t->src[0]->data, *b = t->src[1]->data;
    float *y = t->data;
    size_t i;
    if (t->src[1]->numel == 1) {
        float s = b[0];
        for (i = lo; i < hi; i++) y[i] = a[i] * s;
    } else {
        for (i = lo; i < hi; i++) y[i] = a[i] * b[i];
    }
}

static void eegnn__mul_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    eegnn_tensor *a = t->src[0], *b = t->src[1];
    const float *dy = t->grad;
    size_t i;
    if (a->grad) {
        if (b->numel == 1) {
            float s = b->data[0];
            for (i = lo; i < hi; i++) a->grad[i] += dy[i] * s;
        } else {
            for (i = lo; i < hi; i++) a->grad[i] += dy[i] * b->data[i];
        }
    }
    if (b->grad && b->numel == t->numel)
        for (i = lo; i < hi; i++) b->grad[i] += dy[i] * a->data[i];
}

static void eegnn__mul_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__run_range(g, t, eegnn__mul_fwd_range); }

static void eegnn__mul_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *a = t->src[0], *b = t->src[1];
    size_t i, n = t->numel;
    eegnn__run_range(g, t, eegnn__mul_bwd_range);
    if (b->grad && b->numel != n) {
        double s = 0.0;
        for (i = 0; i < n; i++) s += (double)t->grad[i] * a->data[i];
        b->grad[0] += (float)s;
    }
}

static eegnn_tensor *eegnn__binary(eegnn_graph *g, eegnn_op kind, eegnn_tensor *a, eegnn_tensor *b,
                                   eegnn_op_fn fwd, eegnn_op_fn bwd) {
    const char *op = eegnn_op_name(kind);
    eegnn_tensor *src[2], *t;
    if (!g || !a || !b) return NULL;
    if (!eegnn__same_shape(a, b) && b->numel != 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: shapes %s and %s differ (b must match a or have one element)", op,
                        eegnn__shp(a), eegnn__shp(b));
        return NULL;
    }
    src[0] = a;
    src[1] = b;
    t = eegnn_graph_new_op(g, kind, a->ndim, a->shape, src, 2);
    if (!t) return NULL;
    t->forward = fwd;
    t->backward = bwd;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_add(eegnn_graph *g, eegnn_tensor *a, eegnn_tensor *b) {
    return eegnn__binary(g, EEGNN_OP_ADD, a, b, eegnn__add_fwd, eegnn__add_bwd);
}

EEGNN_API eegnn_tensor *eegnn_mul(eegnn_graph *g, eegnn_tensor *a, eegnn_tensor *b) {
    return eegnn__binary(g, EEGNN_OP_MUL, a, b, eegnn__mul_fwd, eegnn__mul_bwd);
}

static void eegnn__scale_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    float s = t->fp[0];
    size_t i;
    for (i = lo; i < hi; i++) t->data[i] = x[i] * s;
}

static void eegnn__scale_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    float *dx = t->src[0]->grad, s = t->fp[0];
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += t->grad[i] * s;
}

static void eegnn__scale_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__run_range(g, t, eegnn__scale_fwd_range); }

static void eegnn__scale_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_range(g, t, eegnn__scale_bwd_range);
}

EEGNN_API eegnn_tensor *eegnn_scale(eegnn_graph *g, eegnn_tensor *a, float s) {
    eegnn_tensor *t;
    if (!g || !a) return NULL;
    t = eegnn_graph_new_op(g, EEGNN_OP_SCALE, a->ndim, a->shape, &a, 1);
    if (!t) return NULL;
    t->fp[0] = s;
    t->forward = eegnn__scale_fwd;
    t->backward = eegnn__scale_bwd;
    return t;
}

/* ---- activations ------------------------------------------------------------ */

static eegnn_tensor *eegnn__unary(eegnn_graph *g, eegnn_op kind, eegnn_tensor *x, eegnn_op_fn fwd,
                                  eegnn_op_fn bwd) {
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    t = eegnn_graph_new_op(g, kind, x->ndim, x->shape, &x, 1);
    if (!t) return NULL;
    t->forward = fwd;
    t->backward = bwd;
    return t;
}

/* v where c > 0, else +0, without a branch: at -O2 GCC neither vectorizes
 * these loops nor turns the ternary into a select, and random signs make
 * the branch mispredict (ten times slower). */
static float eegnn__keep_if_positive(float c, float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    bits &= 0u - (uint32_t)(c > 0.0f);
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void eegnn__relu_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    size_t i;
    for (i = lo; i < hi; i++) t->data[i] = eegnn__keep_if_positive(x[i], x[i]);
}

/* torch: threshold_backward(grad, result, 0): gradient where the output > 0. */
static void eegnn__relu_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    float *dx = t->src[0]->grad;
    const float *y = t->data, *dy = t->grad;
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += eegnn__keep_if_positive(y[i], dy[i]);
}

static void eegnn__elu_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    float alpha = t->fp[0];
    size_t i;
    for (i = lo; i < hi; i++) t->data[i] = x[i] > 0.0f ? x[i] : alpha * expm1f(x[i]);
}

/* torch elu_backward (is_result=false): x <= 0 ? alpha * exp(x) : 1. */
static void eegnn__elu_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    float *dx = t->src[0]->grad, alpha = t->fp[0];
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += x[i] > 0.0f ? t->grad[i] : t->grad[i] * alpha * expf(x[i]);
}

static void eegnn__gelu_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    size_t i;
    for (i = lo; i < hi; i++) {
        float v = x[i];
        t->data[i] = 0.5f * v * (1.0f + erff(v * 0.70710678f));
    }
}

/* d/dx [x * Phi(x)] = Phi(x) + x * phi(x). */
static void eegnn__gelu_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    float *dx = t->src[0]->grad;
    size_t i;
    for (i = lo; i < hi; i++) {
        float v = x[i];
        float cdf = 0.5f * (1.0f + erff(v * 0.70710678f));
        float pdf = 0.39894228f * expf(-0.5f * v * v);
        dx[i] += t->grad[i] * (cdf + v * pdf);
    }
}

static void eegnn__relu_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__run_range(g, t, eegnn__relu_fwd_range); }
static void eegnn__elu_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__run_range(g, t, eegnn__elu_fwd_range); }
static void eegnn__gelu_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__run_range(g, t, eegnn__gelu_fwd_range); }

static void eegnn__relu_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_range(g, t, eegnn__relu_bwd_range);
}

static void eegnn__elu_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_range(g, t, eegnn__elu_bwd_range);
}

static void eegnn__gelu_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_range(g, t, eegnn__gelu_bwd_range);
}

EEGNN_API eegnn_tensor *eegnn_relu(eegnn_graph *g, eegnn_tensor *x) {
    return eegnn__unary(g, EEGNN_OP_RELU, x, eegnn__relu_fwd, eegnn__relu_bwd);
}

EEGNN_API eegnn_tensor *eegnn_elu(eegnn_graph *g, eegnn_tensor *x, float alpha) {
    eegnn_tensor *t = eegnn__unary(g, EEGNN_OP_ELU, x, eegnn__elu_fwd, eegnn__elu_bwd);
    if (t) t->fp[0] = alpha == 0.0f ? 1.0f : alpha;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_gelu(eegnn_graph *g, eegnn_tensor *x) {
    return eegnn__unary(g, EEGNN_OP_GELU, x, eegnn__gelu_fwd, eegnn__gelu_bwd);
}

/* ---- reshape, flatten ------------------------------------------------------ */

static void eegnn__copy_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    memcpy(t->data + lo, t->src[0]->data + lo, (hi - lo) * sizeof(float));
}

static void eegnn__copy_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    float *dx = t->src[0]->grad;
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += t->grad[i];
}

static void eegnn__copy_fwd(eegnn_graph *g, eegnn_tensor *t) { eegnn__run_range(g, t, eegnn__copy_fwd_range); }

static void eegnn__copy_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_range(g, t, eegnn__copy_bwd_range);
}

EEGNN_API eegnn_tensor *eegnn_reshape(eegnn_graph *g, eegnn_tensor *x, int ndim, const int *shape) {
    int dims[EEGNN_MAX_DIMS], i, infer = -1;
    size_t known = 1;
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (ndim < 0 || ndim > EEGNN_MAX_DIMS || (ndim > 0 && !shape)) {
        eegnn_set_error(EEGNN_ERR_ARG, "reshape: x %s to %d dimensions (0..%d, shape not NULL)", eegnn__shp(x),
                        ndim, EEGNN_MAX_DIMS);
        return NULL;
    }
    for (i = 0; i < ndim; i++) {
        dims[i] = shape[i];
        if (shape[i] == -1 && infer < 0) {
            infer = i;
        } else if (shape[i] <= 0) {
            eegnn_set_error(EEGNN_ERR_ARG, "reshape: x %s: entry %d of the new shape is %d", eegnn__shp(x), i,
                            shape[i]);
            return NULL;
        } else {
            known *= (size_t)shape[i];
        }
    }
    if (infer >= 0) {
        if (x->numel % known) {
            eegnn_set_error(EEGNN_ERR_ARG, "reshape: x %s of %zu elements is not divisible by %zu", eegnn__shp(x),
                            x->numel, known);
            return NULL;
        }
        dims[infer] = (int)(x->numel / known);
        known *= (size_t)dims[infer];
    }
    if (known != x->numel) {
        eegnn_set_error(EEGNN_ERR_ARG, "reshape: x %s has %zu elements, the new shape holds %zu", eegnn__shp(x),
                        x->numel, known);
        return NULL;
    }
    t = eegnn_graph_new_op(g, EEGNN_OP_RESHAPE, ndim, dims, &x, 1);
    if (!t) return NULL;
    t->forward = eegnn__copy_fwd;
    t->backward = eegnn__copy_bwd;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_flatten(eegnn_graph *g, eegnn_tensor *x) {
    int shape[2];
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (x->ndim < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "flatten: x %s needs at least 1 dimension", eegnn__shp(x));
        return NULL;
    }
    shape[0] = x->shape[0];
    shape[1] = (int)(x->numel / (size_t)x->shape[0]);
    t = eegnn_reshape(g, x, 2, shape);
    if (t) {
        t->kind = EEGNN_OP_FLATTEN;
        t->op = eegnn_op_name(EEGNN_OP_FLATTEN);
    }
    return t;
}

/* ---- dropout ------------------------------------------------------------------
 * Masks come from a counter-based hash, so that any range of one can be
 * drawn on its own (by any thread) and the result depends only on the seed:
 * the element at index c of row r is kept, with factor scale = 1 / (1 - p),
 * where lowbias32(c * 0x9E3779B9 + key) >= threshold = p * 2^32, key being
 * the low half of splitmix64(seed + (r + 1) * 0x9E3779B97F4A7C15). The same
 * on every CPU path; attention's dropout uses it too (rows of keys).
 *
 * aux: (numel) mask of 0 or 1/(1-p) drawn in train mode; ip[0]: whether the
 * last forward ran in train mode (backward then applies the mask); ip[1],
 * ip[2]: the low and high halves of the last forward's seed. */

/* lowbias32 integer hash (C. Wellons). */
EEGNN__PRIVATE uint32_t eegnn__dropout_hash32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    h *= 0x846CA68Bu;
    h ^= h >> 16;
    return h;
}

/* The hash threshold of drop probability p in [0, 1). */
EEGNN__PRIVATE uint32_t eegnn__dropout_threshold(float p) {
    double th = (double)p * 4294967296.0;
    return th >= 4294967295.0 ? 0xFFFFFFFFu : (uint32_t)th;
}

/* keep (n) = the keep factors of row `row` under seed: 0 or scale. */
EEGNN__PRIVATE void eegnn__dropout_keep_row(uint64_t seed, uint64_t row, uint32_t threshold, float scale, int n,
                                            float *keep) {
    uint64_t z = seed + (row + 1u) * 0x9E3779B97F4A7C15ull;
    uint32_t key;
    int c;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    key = (uint32_t)z;
    c = eegnn__cpu()->keep_mask(key, threshold, scale, n, keep);
    for (; c < n; c++) keep[c] = eegnn__dropout_hash32((uint32_t)c * 0x9E3779B9u + key) >= threshold ? scale : 0.0f;
}

#define EEGNN__DROPOUT_ROW 4096 /* mask elements per hash row */

/* The mask of rows [lo, hi) of EEGNN__DROPOUT_ROW elements. */
static void eegnn__dropout_mask_rows(eegnn_tensor *t, size_t lo, size_t hi) {
    float p = t->fp[0];
    uint64_t seed = (uint64_t)(uint32_t)t->ip[1] | ((uint64_t)(uint32_t)t->ip[2] << 32);
    size_t r;
    for (r = lo; r < hi; r++) {
        size_t i0 = r * EEGNN__DROPOUT_ROW, n = t->numel - i0 < EEGNN__DROPOUT_ROW ? t->numel - i0 : EEGNN__DROPOUT_ROW;
        if (p >= 1.0f)
            memset(t->aux + i0, 0, n * sizeof(float));
        else
            eegnn__dropout_keep_row(seed, r, eegnn__dropout_threshold(p), 1.0f / (1.0f - p), (int)n, t->aux + i0);
    }
}

/* ... and the output of those rows. */
static void eegnn__dropout_fwd_rows(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    size_t i, i1 = hi * EEGNN__DROPOUT_ROW < t->numel ? hi * EEGNN__DROPOUT_ROW : t->numel;
    eegnn__dropout_mask_rows(t, lo, hi);
    for (i = lo * EEGNN__DROPOUT_ROW; i < i1; i++) t->data[i] = x[i] * t->aux[i];
}

static size_t eegnn__dropout_rows(const eegnn_tensor *t) {
    return (t->numel + EEGNN__DROPOUT_ROW - 1) / EEGNN__DROPOUT_ROW;
}

/* Sets ip[0] (active) and, when active, draws the seed. */
static int eegnn__dropout_begin(eegnn_graph *g, eegnn_tensor *t) {
    t->ip[0] = eegnn_graph_training(g) && t->fp[0] > 0.0f;
    if (t->ip[0]) {
        eegnn_rng *rng = eegnn_graph_rng(g);
        t->ip[1] = (int32_t)eegnn_rng_u32(rng);
        t->ip[2] = (int32_t)eegnn_rng_u32(rng);
    }
    return t->ip[0];
}

EEGNN_API int eegnn_dropout_draw(eegnn_graph *g, eegnn_tensor *t) {
    if (!g || !t || t->kind != EEGNN_OP_DROPOUT) return 0;
    if (!eegnn__dropout_begin(g, t)) return 0;
    eegnn__run_split(g, t, eegnn__dropout_rows(t), eegnn__dropout_mask_rows);
    return 1;
}

EEGNN_API eegnn_status eegnn_dropout_params_of(const eegnn_tensor *t, eegnn_dropout_params *p) {
    if (!t || !p || t->kind != EEGNN_OP_DROPOUT)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dropout_params_of: not a dropout node (%s)", t ? t->op : "NULL");
    p->p = t->fp[0];
    p->active = t->ip[0];
    p->input = t->src[0];
    p->mask = t->aux;
    return EEGNN_OK;
}

static void eegnn__dropout_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    float *dx = t->src[0]->grad;
    size_t i;
    if (t->ip[0]) {
        for (i = lo; i < hi; i++) dx[i] += t->grad[i] * t->aux[i];
    } else {
        for (i = lo; i < hi; i++) dx[i] += t->grad[i];
    }
}

static void eegnn__dropout_fwd(eegnn_graph *g, eegnn_tensor *t) {
    if (eegnn__dropout_begin(g, t))
        eegnn__run_split(g, t, eegnn__dropout_rows(t), eegnn__dropout_fwd_rows);
    else
        eegnn__run_range(g, t, eegnn__copy_fwd_range);
}

static void eegnn__dropout_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_range(g, t, eegnn__dropout_bwd_range);
}

EEGNN_API eegnn_tensor *eegnn_dropout(eegnn_graph *g, eegnn_tensor *x, float p) {
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (!(p >= 0.0f && p <= 1.0f)) {
        eegnn_set_error(EEGNN_ERR_ARG, "dropout: x %s: probability %g is outside [0, 1]", eegnn__shp(x),
                        (double)p);
        return NULL;
    }
    t = eegnn_graph_new_op(g, EEGNN_OP_DROPOUT, x->ndim, x->shape, &x, 1);
    if (!t) return NULL;
    t->fp[0] = p;
    t->aux = (float *)eegnn_graph_alloc(g, t->numel * sizeof(float));
    if (!t->aux) return NULL;
    t->aux_len = t->numel;
    t->forward = eegnn__dropout_fwd;
    t->backward = eegnn__dropout_bwd;
    return t;
}

/* ---- softmax, log_softmax (last dimension) ----------------------------------- */

static void eegnn__softmax_rows(const float *x, float *y, size_t rows, size_t n, int log_form) {
    size_t r, i;
    for (r = 0; r < rows; r++) {
        const float *xr = x + r * n;
        float *yr = y + r * n;
        float mx = xr[0];
        double s = 0.0;
        for (i = 1; i < n; i++)
            if (xr[i] > mx || xr[i] != xr[i]) mx = xr[i];
        for (i = 0; i < n; i++) s += exp((double)xr[i] - (double)mx);
        if (log_form) {
            double lse = (double)mx + log(s);
            for (i = 0; i < n; i++) yr[i] = (float)((double)xr[i] - lse);
        } else {
            double inv = 1.0 / s;
            for (i = 0; i < n; i++) yr[i] = (float)(exp((double)xr[i] - (double)mx) * inv);
        }
    }
}

static size_t eegnn__last_dim(const eegnn_tensor *t) { return t->ndim ? (size_t)t->shape[t->ndim - 1] : 1; }

static void eegnn__softmax_fwd(eegnn_graph *g, eegnn_tensor *t) {
    size_t n = eegnn__last_dim(t);
    (void)g;
    eegnn__softmax_rows(t->src[0]->data, t->data, t->numel / n, n, 0);
}

/* dx = y * (dy - sum(dy * y)) per row. */
static void eegnn__softmax_bwd(eegnn_graph *g, eegnn_tensor *t) {
    float *dx = t->src[0]->grad;
    size_t n = eegnn__last_dim(t), rows = t->numel / n, r, i;
    (void)g;
    if (!dx) return;
    for (r = 0; r < rows; r++) {
        const float *y = t->data + r * n, *dy = t->grad + r * n;
        double dot = 0.0;
        for (i = 0; i < n; i++) dot += (double)dy[i] * y[i];
        for (i = 0; i < n; i++) dx[r * n + i] += (float)(y[i] * ((double)dy[i] - dot));
    }
}

static void eegnn__log_softmax_fwd(eegnn_graph *g, eegnn_tensor *t) {
    size_t n = eegnn__last_dim(t);
    (void)g;
    eegnn__softmax_rows(t->src[0]->data, t->data, t->numel / n, n, 1);
}

/* dx = dy - exp(y) * sum(dy) per row. */
static void eegnn__log_softmax_bwd(eegnn_graph *g, eegnn_tensor *t) {
    float *dx = t->src[0]->grad;
    size_t n = eegnn__last_dim(t), rows = t->numel / n, r, i;
    (void)g;
    if (!dx) return;
    for (r = 0; r < rows; r++) {
        const float *y = t->data + r * n, *dy = t->grad + r * n;
        double s = 0.0;
        for (i = 0; i < n; i++) s += dy[i];
        for (i = 0; i < n; i++) dx[r * n + i] += (float)((double)dy[i] - exp((double)y[i]) * s);
    }
}

EEGNN_API eegnn_tensor *eegnn_softmax(eegnn_graph *g, eegnn_tensor *x) {
    return eegnn__unary(g, EEGNN_OP_SOFTMAX, x, eegnn__softmax_fwd, eegnn__softmax_bwd);
}

EEGNN_API eegnn_tensor *eegnn_log_softmax(eegnn_graph *g, eegnn_tensor *x) {
    return eegnn__unary(g, EEGNN_OP_LOG_SOFTMAX, x, eegnn__log_softmax_fwd, eegnn__log_softmax_bwd);
}
