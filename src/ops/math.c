/* Math and shape ops: tanh, sigmoid, silu, exp, square, clamp, safe_log,
 * broadcasting add/mul, permute, concat, slice, mean over a dimension,
 * renorm, embedding. Forward and backward follow PyTorch's CPU kernels and
 * autograd formulas (torch/csrc/autograd/FunctionsManual.cpp). */

/* ---- unary elementwise -------------------------------------------------------
 * Large nodes are split over the graph's threads by eegnn__run_range; every
 * element is computed by one task, so results do not depend on the thread
 * count. fp[0], fp[1]: bounds (clamp) or eps (safe_log). */

static void eegnn__tanh_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    size_t i;
    for (i = lo; i < hi; i++) t->data[i] = tanhf(x[i]);
}

static void eegnn__tanh_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    float *dx = t->src[0]->grad;
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += t->grad[i] * (1.0f - t->data[i] * t->data[i]);
}

static void eegnn__sigmoid_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    size_t i;
    for (i = lo; i < hi; i++) t->data[i] = 1.0f / (1.0f + expf(-x[i]));
}

static void eegnn__sigmoid_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    float *dx = t->src[0]->grad;
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += t->grad[i] * t->data[i] * (1.0f - t->data[i]);
}

static void eegnn__silu_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    size_t i;
    for (i = lo; i < hi; i++) t->data[i] = x[i] / (1.0f + expf(-x[i]));
}

static void eegnn__silu_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    float *dx = t->src[0]->grad;
    size_t i;
    for (i = lo; i < hi; i++) {
        float s = 1.0f / (1.0f + expf(-x[i]));
        dx[i] += t->grad[i] * s * (1.0f + x[i] * (1.0f - s));
    }
}

static void eegnn__exp_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    size_t i;
    for (i = lo; i < hi; i++) t->data[i] = expf(x[i]);
}

static void eegnn__exp_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    float *dx = t->src[0]->grad;
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += t->grad[i] * t->data[i];
}

static void eegnn__square_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    size_t i;
    for (i = lo; i < hi; i++) t->data[i] = x[i] * x[i];
}

static void eegnn__square_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    float *dx = t->src[0]->grad;
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += 2.0f * x[i] * t->grad[i];
}

/* NaN passes through, as torch.clamp. */
static void eegnn__clamp_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    float a = t->fp[0], b = t->fp[1];
    size_t i;
    for (i = lo; i < hi; i++) t->data[i] = x[i] < a ? a : (x[i] > b ? b : x[i]);
}

static void eegnn__clamp_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    float *dx = t->src[0]->grad, a = t->fp[0], b = t->fp[1];
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += (x[i] >= a && x[i] <= b) ? t->grad[i] : 0.0f;
}

static void eegnn__safe_log_fwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    float eps = t->fp[0];
    size_t i;
    for (i = lo; i < hi; i++) t->data[i] = logf(x[i] < eps ? eps : x[i]);
}

static void eegnn__safe_log_bwd_range(eegnn_tensor *t, size_t lo, size_t hi) {
    const float *x = t->src[0]->data;
    float *dx = t->src[0]->grad, eps = t->fp[0];
    size_t i;
    for (i = lo; i < hi; i++) dx[i] += x[i] >= eps ? t->grad[i] / x[i] : 0.0f;
}

#define EEGNN__UNARY_OP(name)                                                                                      \
    static void eegnn__##name##_fwd(eegnn_graph *g, eegnn_tensor *t) {                                             \
        eegnn__run_range(g, t, eegnn__##name##_fwd_range);                                                         \
    }                                                                                                              \
    static void eegnn__##name##_bwd(eegnn_graph *g, eegnn_tensor *t) {                                             \
        if (t->src[0]->grad) eegnn__run_range(g, t, eegnn__##name##_bwd_range);                                    \
    }
EEGNN__UNARY_OP(tanh)
EEGNN__UNARY_OP(sigmoid)
EEGNN__UNARY_OP(silu)
EEGNN__UNARY_OP(exp)
EEGNN__UNARY_OP(square)
EEGNN__UNARY_OP(clamp)
EEGNN__UNARY_OP(safe_log)

EEGNN_API eegnn_tensor *eegnn_tanh(eegnn_graph *g, eegnn_tensor *x) {
    return eegnn__unary(g, EEGNN_OP_TANH, x, eegnn__tanh_fwd, eegnn__tanh_bwd);
}

EEGNN_API eegnn_tensor *eegnn_sigmoid(eegnn_graph *g, eegnn_tensor *x) {
    return eegnn__unary(g, EEGNN_OP_SIGMOID, x, eegnn__sigmoid_fwd, eegnn__sigmoid_bwd);
}

EEGNN_API eegnn_tensor *eegnn_silu(eegnn_graph *g, eegnn_tensor *x) {
    return eegnn__unary(g, EEGNN_OP_SILU, x, eegnn__silu_fwd, eegnn__silu_bwd);
}

EEGNN_API eegnn_tensor *eegnn_exp(eegnn_graph *g, eegnn_tensor *x) {
    return eegnn__unary(g, EEGNN_OP_EXP, x, eegnn__exp_fwd, eegnn__exp_bwd);
}

EEGNN_API eegnn_tensor *eegnn_square(eegnn_graph *g, eegnn_tensor *x) {
    return eegnn__unary(g, EEGNN_OP_SQUARE, x, eegnn__square_fwd, eegnn__square_bwd);
}

EEGNN_API eegnn_tensor *eegnn_clamp(eegnn_graph *g, eegnn_tensor *x, float lo, float hi) {
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (!(lo <= hi)) {
        eegnn_set_error(EEGNN_ERR_ARG, "clamp: x %s: min %g must not exceed max %g (and neither may be NaN)",
                        eegnn__shp(x), (double)lo, (double)hi);
        return NULL;
    }
    t = eegnn__unary(g, EEGNN_OP_CLAMP, x, eegnn__clamp_fwd, eegnn__clamp_bwd);
    if (!t) return NULL;
    t->fp[0] = lo;
    t->fp[1] = hi;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_safe_log(eegnn_graph *g, eegnn_tensor *x, float eps) {
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (!(eps >= 0.0f)) {
        eegnn_set_error(EEGNN_ERR_ARG, "safe_log: x %s: eps %g must be >= 0", eegnn__shp(x), (double)eps);
        return NULL;
    }
    t = eegnn__unary(g, EEGNN_OP_SAFE_LOG, x, eegnn__safe_log_fwd, eegnn__safe_log_bwd);
    if (!t) return NULL;
    t->fp[0] = eps == 0.0f ? 1e-6f : eps;
    return t;
}

/* ---- broadcasting add / mul ----------------------------------------------------
 * Shapes are padded on the left to 4 dimensions; each input gets element
 * strides along the output's dimensions, 0 where it is broadcast.
 * ip[0]: 0 add, 1 mul. */

typedef struct eegnn__bcast {
    int shape[4];           /* output, padded */
    size_t sa[4], sb[4];    /* strides of a and b in elements, 0 where broadcast */
} eegnn__bcast;

static void eegnn__bcast_strides(const eegnn_tensor *x, const int *out, size_t *s) {
    int d, off = 4 - x->ndim;
    size_t st = 1;
    for (d = 3; d >= 0; d--) {
        int n = d >= off ? x->shape[d - off] : 1;
        s[d] = (n == 1 && out[d] != 1) ? 0 : st;
        st *= (size_t)n;
    }
}

static void eegnn__bcast_of(const eegnn_tensor *t, eegnn__bcast *q) {
    int d, off = 4 - t->ndim;
    for (d = 0; d < 4; d++) q->shape[d] = d >= off ? t->shape[d - off] : 1;
    eegnn__bcast_strides(t->src[0], q->shape, q->sa);
    eegnn__bcast_strides(t->src[1], q->shape, q->sb);
}

static void eegnn__bcast_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const float *a = t->src[0]->data, *b = t->src[1]->data;
    float *y = t->data;
    eegnn__bcast q;
    int i0, i1, i2, i3, mul = t->ip[0];
    (void)g;
    eegnn__bcast_of(t, &q);
    for (i0 = 0; i0 < q.shape[0]; i0++)
        for (i1 = 0; i1 < q.shape[1]; i1++)
            for (i2 = 0; i2 < q.shape[2]; i2++) {
                const float *ar = a + i0 * q.sa[0] + i1 * q.sa[1] + i2 * q.sa[2];
                const float *br = b + i0 * q.sb[0] + i1 * q.sb[1] + i2 * q.sb[2];
                size_t s3a = q.sa[3], s3b = q.sb[3];
                if (mul)
                    for (i3 = 0; i3 < q.shape[3]; i3++) y[i3] = ar[i3 * s3a] * br[i3 * s3b];
                else
                    for (i3 = 0; i3 < q.shape[3]; i3++) y[i3] = ar[i3 * s3a] + br[i3 * s3b];
                y += q.shape[3];
            }
}

/* dst (strides sd) += dy * (other, strides so) over the output, or dy alone
 * when other is NULL (the add case). */
static void eegnn__bcast_acc(const eegnn__bcast *q, const float *dy, float *dst, const size_t *sd,
                             const float *other, const size_t *so) {
    int i0, i1, i2, i3;
    for (i0 = 0; i0 < q->shape[0]; i0++)
        for (i1 = 0; i1 < q->shape[1]; i1++)
            for (i2 = 0; i2 < q->shape[2]; i2++) {
                float *dr = dst + i0 * sd[0] + i1 * sd[1] + i2 * sd[2];
                size_t s3 = sd[3];
                if (other) {
                    const float *orow = other + i0 * so[0] + i1 * so[1] + i2 * so[2];
                    for (i3 = 0; i3 < q->shape[3]; i3++) dr[i3 * s3] += dy[i3] * orow[i3 * so[3]];
                } else {
                    for (i3 = 0; i3 < q->shape[3]; i3++) dr[i3 * s3] += dy[i3];
                }
                dy += q->shape[3];
            }
}

static void eegnn__bcast_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *a = t->src[0], *b = t->src[1];
    eegnn__bcast q;
    int mul = t->ip[0];
    (void)g;
    eegnn__bcast_of(t, &q);
    if (a->grad) eegnn__bcast_acc(&q, t->grad, a->grad, q.sa, mul ? b->data : NULL, q.sb);
    if (b->grad) eegnn__bcast_acc(&q, t->grad, b->grad, q.sb, mul ? a->data : NULL, q.sa);
}

static eegnn_tensor *eegnn__broadcast_op(eegnn_graph *g, eegnn_op kind, eegnn_tensor *a, eegnn_tensor *b,
                                         int mul) {
    const char *op = eegnn_op_name(kind);
    eegnn_tensor *src[2], *t;
    int nd, d, shape[EEGNN_MAX_DIMS];
    if (!g || !a || !b) return NULL;
    nd = EEGNN__MAX(a->ndim, b->ndim);
    for (d = 0; d < nd; d++) {
        int ia = d - (nd - a->ndim), ib = d - (nd - b->ndim);
        int na = ia >= 0 ? a->shape[ia] : 1, nb = ib >= 0 ? b->shape[ib] : 1;
        if (na != nb && na != 1 && nb != 1) {
            eegnn_set_error(EEGNN_ERR_ARG, "%s: shapes %s and %s do not broadcast (dimension %d: %d vs %d)", op,
                            eegnn__shp(a), eegnn__shp(b), d, na, nb);
            return NULL;
        }
        shape[d] = na == 1 ? nb : na;
    }
    src[0] = a;
    src[1] = b;
    t = eegnn_graph_new_op(g, kind, nd, shape, src, 2);
    if (!t) return NULL;
    t->ip[0] = mul;
    t->forward = eegnn__bcast_fwd;
    t->backward = eegnn__bcast_bwd;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_add_broadcast(eegnn_graph *g, eegnn_tensor *a, eegnn_tensor *b) {
    return eegnn__broadcast_op(g, EEGNN_OP_ADD_BROADCAST, a, b, 0);
}

EEGNN_API eegnn_tensor *eegnn_mul_broadcast(eegnn_graph *g, eegnn_tensor *a, eegnn_tensor *b) {
    return eegnn__broadcast_op(g, EEGNN_OP_MUL_BROADCAST, a, b, 1);
}

/* ---- permute --------------------------------------------------------------------
 * ip[0..3]: perm, padded to 4 dimensions. The output is walked in order;
 * the input is read through the permuted strides. */

static void eegnn__permute_geom(const eegnn_tensor *t, int *shape, size_t *stride) {
    const eegnn_tensor *x = t->src[0];
    size_t xs[4];
    int d, off = 4 - t->ndim;
    xs[3] = 1;
    for (d = x->ndim - 1; d >= 0; d--) xs[d] = d == x->ndim - 1 ? 1 : xs[d + 1] * (size_t)x->shape[d + 1];
    for (d = 0; d < 4; d++) {
        shape[d] = d >= off ? t->shape[d - off] : 1;
        stride[d] = d >= off ? xs[t->ip[d - off]] : 0;
    }
}

static void eegnn__permute_run(eegnn_tensor *t, int backward) {
    int shape[4], i0, i1, i2, i3;
    size_t st[4];
    float *x = backward ? t->src[0]->grad : t->src[0]->data;
    const float *y = backward ? t->grad : t->data;
    float *yw = t->data;
    eegnn__permute_geom(t, shape, st);
    for (i0 = 0; i0 < shape[0]; i0++)
        for (i1 = 0; i1 < shape[1]; i1++)
            for (i2 = 0; i2 < shape[2]; i2++) {
                float *xr = x + i0 * st[0] + i1 * st[1] + i2 * st[2];
                if (backward)
                    for (i3 = 0; i3 < shape[3]; i3++) xr[i3 * st[3]] += y[i3];
                else
                    for (i3 = 0; i3 < shape[3]; i3++) yw[i3] = xr[i3 * st[3]];
                y += shape[3];
                yw += shape[3];
            }
}

static void eegnn__permute_fwd(eegnn_graph *g, eegnn_tensor *t) {
    (void)g;
    eegnn__permute_run(t, 0);
}

static void eegnn__permute_bwd(eegnn_graph *g, eegnn_tensor *t) {
    (void)g;
    if (t->src[0]->grad) eegnn__permute_run(t, 1);
}

EEGNN_API eegnn_tensor *eegnn_permute(eegnn_graph *g, eegnn_tensor *x, const int *perm) {
    int shape[EEGNN_MAX_DIMS], p[EEGNN_MAX_DIMS], seen = 0, d;
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    if (!perm) {
        eegnn_set_error(EEGNN_ERR_ARG, "permute: x %s: perm is NULL", eegnn__shp(x));
        return NULL;
    }
    for (d = 0; d < x->ndim; d++) {
        p[d] = perm[d] < 0 ? perm[d] + x->ndim : perm[d];
        if (p[d] < 0 || p[d] >= x->ndim || (seen & (1 << p[d]))) {
            eegnn_set_error(EEGNN_ERR_ARG, "permute: x %s: entry %d of perm (%d) is out of range or repeated",
                            eegnn__shp(x), d, perm[d]);
            return NULL;
        }
        seen |= 1 << p[d];
        shape[d] = x->shape[p[d]];
    }
    t = eegnn_graph_new_op(g, EEGNN_OP_PERMUTE, x->ndim, shape, &x, 1);
    if (!t) return NULL;
    for (d = 0; d < x->ndim; d++) t->ip[d] = p[d];
    t->forward = eegnn__permute_fwd;
    t->backward = eegnn__permute_bwd;
    return t;
}

/* ---- concat, slice -----------------------------------------------------------------
 * Both see a tensor as (outer, n along dim, inner). concat: ip[0] = dim;
 * slice: ip[0] = dim, ip[1] = start. */

static void eegnn__outer_inner(const eegnn_tensor *t, int dim, size_t *outer, size_t *inner) {
    int d;
    *outer = *inner = 1;
    for (d = 0; d < dim; d++) *outer *= (size_t)t->shape[d];
    for (d = dim + 1; d < t->ndim; d++) *inner *= (size_t)t->shape[d];
}

static void eegnn__concat_run(eegnn_tensor *t, int backward) {
    size_t outer, inner, o, off = 0, i;
    int k, dim = t->ip[0], n_src = 0;
    while (n_src < EEGNN_MAX_SRC && t->src[n_src]) n_src++;
    eegnn__outer_inner(t, dim, &outer, &inner);
    for (k = 0; k < n_src; k++) {
        eegnn_tensor *s = t->src[k];
        size_t chunk = (size_t)s->shape[dim] * inner, row = (size_t)t->shape[dim] * inner;
        if (backward && !s->grad) {
            off += chunk;
            continue;
        }
        for (o = 0; o < outer; o++) {
            if (backward) {
                const float *dy = t->grad + o * row + off;
                float *dx = s->grad + o * chunk;
                for (i = 0; i < chunk; i++) dx[i] += dy[i];
            } else {
                memcpy(t->data + o * row + off, s->data + o * chunk, chunk * sizeof(float));
            }
        }
        off += chunk;
    }
}

static void eegnn__concat_fwd(eegnn_graph *g, eegnn_tensor *t) {
    (void)g;
    eegnn__concat_run(t, 0);
}

static void eegnn__concat_bwd(eegnn_graph *g, eegnn_tensor *t) {
    (void)g;
    eegnn__concat_run(t, 1);
}

static int eegnn__norm_dim(int dim, int ndim) { return dim < 0 ? dim + ndim : dim; }

EEGNN_API eegnn_tensor *eegnn_concat(eegnn_graph *g, eegnn_tensor *const *tensors, int n, int dim) {
    eegnn_tensor *src[EEGNN_MAX_SRC], *t = NULL;
    int k, d, shape[EEGNN_MAX_DIMS], used = 0;
    if (!g) return NULL;
    if (!tensors || n < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "concat: %d tensors (need at least 1)", n);
        return NULL;
    }
    for (k = 0; k < n; k++)
        if (!tensors[k]) return NULL;
    dim = eegnn__norm_dim(dim, tensors[0]->ndim);
    if (dim < 0 || dim >= tensors[0]->ndim) {
        eegnn_set_error(EEGNN_ERR_ARG, "concat: dim out of range for %s", eegnn__shp(tensors[0]));
        return NULL;
    }
    for (k = 1; k < n; k++) {
        int ok = tensors[k]->ndim == tensors[0]->ndim;
        for (d = 0; ok && d < tensors[0]->ndim; d++)
            if (d != dim && tensors[k]->shape[d] != tensors[0]->shape[d]) ok = 0;
        if (!ok) {
            eegnn_set_error(EEGNN_ERR_ARG, "concat: tensor %d %s does not match tensor 0 %s outside dimension %d", k,
                            eegnn__shp(tensors[k]), eegnn__shp(tensors[0]), dim);
            return NULL;
        }
    }
    /* nodes of up to EEGNN_MAX_SRC inputs; each later node starts with the previous one */
    while (used < n) {
        int m = 0;
        if (t) src[m++] = t;
        while (m < EEGNN_MAX_SRC && used < n) src[m++] = tensors[used++];
        if (m == 1) return eegnn_reshape(g, src[0], src[0]->ndim, src[0]->shape); /* n == 1: a copy */
        for (d = 0; d < src[0]->ndim; d++) shape[d] = src[0]->shape[d];
        for (k = 1; k < m; k++) shape[dim] += src[k]->shape[dim];
        t = eegnn_graph_new_op(g, EEGNN_OP_CONCAT, src[0]->ndim, shape, src, m);
        if (!t) return NULL;
        t->ip[0] = dim;
        t->forward = eegnn__concat_fwd;
        t->backward = eegnn__concat_bwd;
    }
    return t;
}

/* Outer rows [lo, hi) of the slice: each copies shape[dim] * inner values. */
static void eegnn__slice_run(eegnn_tensor *t, size_t lo, size_t hi, int backward) {
    eegnn_tensor *x = t->src[0];
    size_t outer, inner, o, i;
    int dim = t->ip[0];
    size_t start = (size_t)t->ip[1];
    eegnn__outer_inner(t, dim, &outer, &inner);
    for (o = lo; o < hi; o++) {
        size_t len = (size_t)t->shape[dim] * inner;
        size_t xoff = (o * (size_t)x->shape[dim] + start) * inner;
        if (backward) {
            const float *dy = t->grad + o * len;
            float *dx = x->grad + xoff;
            for (i = 0; i < len; i++) dx[i] += dy[i];
        } else {
            memcpy(t->data + o * len, x->data + xoff, len * sizeof(float));
        }
    }
}

static void eegnn__slice_fwd_rows(eegnn_tensor *t, size_t lo, size_t hi) { eegnn__slice_run(t, lo, hi, 0); }
static void eegnn__slice_bwd_rows(eegnn_tensor *t, size_t lo, size_t hi) { eegnn__slice_run(t, lo, hi, 1); }

static size_t eegnn__slice_outer(const eegnn_tensor *t) {
    size_t outer, inner;
    eegnn__outer_inner(t, t->ip[0], &outer, &inner);
    return outer;
}

static void eegnn__slice_fwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__run_split(g, t, eegnn__slice_outer(t), eegnn__slice_fwd_rows);
}

static void eegnn__slice_bwd(eegnn_graph *g, eegnn_tensor *t) {
    if (t->src[0]->grad) eegnn__run_split(g, t, eegnn__slice_outer(t), eegnn__slice_bwd_rows);
}

EEGNN_API eegnn_tensor *eegnn_slice(eegnn_graph *g, eegnn_tensor *x, int dim, int start, int length) {
    int shape[EEGNN_MAX_DIMS], d;
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    dim = eegnn__norm_dim(dim, x->ndim);
    if (dim < 0 || dim >= x->ndim || start < 0 || length < 1 || start > x->shape[dim] - length) {
        eegnn_set_error(EEGNN_ERR_ARG, "slice: x %s: dim %d, start %d, length %d out of range", eegnn__shp(x), dim,
                        start, length);
        return NULL;
    }
    for (d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
    shape[dim] = length;
    t = eegnn_graph_new_op(g, EEGNN_OP_SLICE, x->ndim, shape, &x, 1);
    if (!t) return NULL;
    t->ip[0] = dim;
    t->ip[1] = start;
    t->forward = eegnn__slice_fwd;
    t->backward = eegnn__slice_bwd;
    return t;
}

/* ---- mean over one dimension ---------------------------------------------------
 * ip[0] = dim of the input. */

static void eegnn__mean_dim_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const eegnn_tensor *x = t->src[0];
    size_t outer, inner, o, i, j, n;
    (void)g;
    eegnn__outer_inner(x, t->ip[0], &outer, &inner);
    n = (size_t)x->shape[t->ip[0]];
    for (o = 0; o < outer; o++)
        for (i = 0; i < inner; i++) {
            const float *xp = x->data + o * n * inner + i;
            double s = 0.0;
            for (j = 0; j < n; j++) s += xp[j * inner];
            t->data[o * inner + i] = (float)(s / (double)n);
        }
}

static void eegnn__mean_dim_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *x = t->src[0];
    size_t outer, inner, o, i, j, n;
    (void)g;
    if (!x->grad) return;
    eegnn__outer_inner(x, t->ip[0], &outer, &inner);
    n = (size_t)x->shape[t->ip[0]];
    for (o = 0; o < outer; o++)
        for (j = 0; j < n; j++) {
            float *dx = x->grad + (o * n + j) * inner;
            const float *dy = t->grad + o * inner;
            float inv = 1.0f / (float)n;
            for (i = 0; i < inner; i++) dx[i] += dy[i] * inv;
        }
}

EEGNN_API eegnn_tensor *eegnn_mean_dim(eegnn_graph *g, eegnn_tensor *x, int dim, int keepdim) {
    int shape[EEGNN_MAX_DIMS], d, nd = 0;
    eegnn_tensor *t;
    if (!g || !x) return NULL;
    dim = eegnn__norm_dim(dim, x->ndim);
    if (dim < 0 || dim >= x->ndim) {
        eegnn_set_error(EEGNN_ERR_ARG, "mean_dim: x %s: dim out of range", eegnn__shp(x));
        return NULL;
    }
    for (d = 0; d < x->ndim; d++) {
        if (d != dim)
            shape[nd++] = x->shape[d];
        else if (keepdim)
            shape[nd++] = 1;
    }
    t = eegnn_graph_new_op(g, EEGNN_OP_MEAN_DIM, nd, shape, &x, 1);
    if (!t) return NULL;
    t->ip[0] = dim;
    t->forward = eegnn__mean_dim_fwd;
    t->backward = eegnn__mean_dim_bwd;
    return t;
}

/* ---- renorm ------------------------------------------------------------------------
 * ip[0] = dim; fp[0] = p, fp[1] = maxnorm. Slice i holds w[o, i, r] for
 * every outer o and inner r. */

static double eegnn__renorm_norm(const eegnn_tensor *w, int dim, size_t i, double p) {
    size_t outer, inner, o, r, n = (size_t)w->shape[dim];
    double s = 0.0;
    eegnn__outer_inner(w, dim, &outer, &inner);
    for (o = 0; o < outer; o++) {
        const float *wp = w->data + (o * n + i) * inner;
        if (p == 2.0)
            for (r = 0; r < inner; r++) s += (double)wp[r] * wp[r];
        else if (p == 1.0)
            for (r = 0; r < inner; r++) s += fabs((double)wp[r]);
        else
            for (r = 0; r < inner; r++) s += pow(fabs((double)wp[r]), p);
    }
    return p == 2.0 ? sqrt(s) : p == 1.0 ? s : pow(s, 1.0 / p);
}

static void eegnn__renorm_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const eegnn_tensor *w = t->src[0];
    int dim = t->ip[0];
    size_t outer, inner, o, r, i, n = (size_t)w->shape[dim];
    double p = t->fp[0], maxnorm = t->fp[1];
    (void)g;
    eegnn__outer_inner(w, dim, &outer, &inner);
    for (i = 0; i < n; i++) {
        double norm = eegnn__renorm_norm(w, dim, i, p);
        float f = norm > maxnorm ? (float)(maxnorm / (norm + 1e-7)) : 1.0f;
        for (o = 0; o < outer; o++) {
            size_t off = (o * n + i) * inner;
            for (r = 0; r < inner; r++) t->data[off + r] = w->data[off + r] * f;
        }
    }
}

/* For a slice with norm > maxnorm, f = maxnorm / (norm + 1e-7) and
 * s = sum(w * dy): dw = f * dy - f / (norm + 1e-7) * s * dnorm/dw, with
 * dnorm/dw = sign(w) |w|^(p-1) / norm^(p-1); other slices: dw = dy. */
static void eegnn__renorm_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *w = t->src[0];
    int dim = t->ip[0];
    size_t outer, inner, o, r, i, n = (size_t)w->shape[dim];
    double p = t->fp[0], maxnorm = t->fp[1];
    (void)g;
    if (!w->grad) return;
    eegnn__outer_inner(w, dim, &outer, &inner);
    for (i = 0; i < n; i++) {
        double norm = eegnn__renorm_norm(w, dim, i, p), s = 0.0, f, c, np1;
        if (!(norm > maxnorm)) {
            for (o = 0; o < outer; o++) {
                size_t off = (o * n + i) * inner;
                for (r = 0; r < inner; r++) w->grad[off + r] += t->grad[off + r];
            }
            continue;
        }
        for (o = 0; o < outer; o++) {
            size_t off = (o * n + i) * inner;
            for (r = 0; r < inner; r++) s += (double)w->data[off + r] * t->grad[off + r];
        }
        f = maxnorm / (norm + 1e-7);
        np1 = p == 2.0 ? norm : pow(norm, p - 1.0);
        c = f / (norm + 1e-7) * s / np1;
        for (o = 0; o < outer; o++) {
            size_t off = (o * n + i) * inner;
            for (r = 0; r < inner; r++) {
                double wv = w->data[off + r], dn;
                if (p == 2.0)
                    dn = wv;
                else if (p == 1.0)
                    dn = (wv > 0.0) - (wv < 0.0);
                else
                    dn = (wv > 0.0 ? 1.0 : wv < 0.0 ? -1.0 : 0.0) * pow(fabs(wv), p - 1.0);
                w->grad[off + r] += (float)(f * t->grad[off + r] - c * dn);
            }
        }
    }
}

EEGNN_API eegnn_tensor *eegnn_renorm(eegnn_graph *g, eegnn_tensor *w, float p, int dim, float maxnorm) {
    eegnn_tensor *t;
    if (!g || !w) return NULL;
    dim = eegnn__norm_dim(dim, w->ndim);
    if (!(p >= 1.0f) || !(maxnorm > 0.0f) || dim < 0 || dim >= w->ndim) {
        eegnn_set_error(EEGNN_ERR_ARG, "renorm: w %s: p %g (>= 1), dim %d, maxnorm %g (> 0)", eegnn__shp(w),
                        (double)p, dim, (double)maxnorm);
        return NULL;
    }
    t = eegnn_graph_new_op(g, EEGNN_OP_RENORM, w->ndim, w->shape, &w, 1);
    if (!t) return NULL;
    t->ip[0] = dim;
    t->fp[0] = p;
    t->fp[1] = maxnorm;
    t->forward = eegnn__renorm_fwd;
    t->backward = eegnn__renorm_bwd;
    return t;
}

/* ---- embedding -----------------------------------------------------------------------
 * src: indices, weight (num, dim). */

static int eegnn__embedding_row(float v, int num) {
    if (!(v >= 0.0f) || v >= (float)num || v != floorf(v)) return -1;
    return (int)v;
}

static void eegnn__embedding_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const eegnn_tensor *idx = t->src[0], *w = t->src[1];
    int num = w->shape[0], d = w->shape[1], j;
    size_t i;
    (void)g;
    for (i = 0; i < idx->numel; i++) {
        int row = eegnn__embedding_row(idx->data[i], num);
        float *y = t->data + i * (size_t)d;
        if (row < 0)
            for (j = 0; j < d; j++) y[j] = NAN;
        else
            memcpy(y, w->data + (size_t)row * d, (size_t)d * sizeof(float));
    }
}

static void eegnn__embedding_bwd(eegnn_graph *g, eegnn_tensor *t) {
    const eegnn_tensor *idx = t->src[0];
    eegnn_tensor *w = t->src[1];
    int num = w->shape[0], d = w->shape[1], j;
    size_t i;
    (void)g;
    if (!w->grad) return;
    for (i = 0; i < idx->numel; i++) {
        int row = eegnn__embedding_row(idx->data[i], num);
        const float *dy = t->grad + i * (size_t)d;
        float *dw;
        if (row < 0) continue;
        dw = w->grad + (size_t)row * d;
        for (j = 0; j < d; j++) dw[j] += dy[j];
    }
}

EEGNN_API eegnn_tensor *eegnn_embedding(eegnn_graph *g, eegnn_tensor *indices, eegnn_tensor *weight) {
    eegnn_tensor *src[2], *t;
    int shape[EEGNN_MAX_DIMS], d;
    if (!g || !indices || !weight) return NULL;
    if (weight->ndim != 2 || indices->ndim >= EEGNN_MAX_DIMS) {
        eegnn_set_error(EEGNN_ERR_ARG, "embedding: indices %s (at most 3 dimensions) and weight %s (num, dim)",
                        eegnn__shp(indices), eegnn__shp(weight));
        return NULL;
    }
    for (d = 0; d < indices->ndim; d++) shape[d] = indices->shape[d];
    shape[indices->ndim] = weight->shape[1];
    src[0] = indices;
    src[1] = weight;
    t = eegnn_graph_new_op(g, EEGNN_OP_EMBEDDING, indices->ndim + 1, shape, src, 2);
    if (!t) return NULL;
    t->forward = eegnn__embedding_fwd;
    t->backward = eegnn__embedding_bwd;
    return t;
}
