/* Matrix product and fully connected layer (forward and backward). */

/* ---- matmul ----
 * ip[0] = batch (1 for 2-D), ip[1] = M, ip[2] = K, ip[3] = N,
 * ip[4] = 1 when b is shared by every batch item (a (B, M, K) @ b (K, N)). */

typedef struct eegnn__bmm_job {
    eegnn_graph *g;
    eegnn_tensor *t;
    int backward;
} eegnn__bmm_job;

/* Batch items [task*B/n, (task+1)*B/n) with serial products (a (B, M, K),
 * b (B, K, N), c (B, M, N), each item independent). */
static void eegnn__bmm_task(void *ctx, int task, int n_tasks) {
    eegnn__bmm_job *j = (eegnn__bmm_job *)ctx;
    eegnn_tensor *t = j->t, *a = t->src[0], *b = t->src[1];
    int nb = t->ip[0], m = t->ip[1], k = t->ip[2], n = t->ip[3];
    int i0 = (int)((long long)nb * task / n_tasks), i1 = (int)((long long)nb * (task + 1) / n_tasks), i;
    float *work = eegnn_graph_scratch(j->g, task);
    for (i = i0; i < i1; i++) {
        const float *ai = a->data + (size_t)i * m * k, *bi = b->data + (size_t)i * k * n;
        if (!j->backward) {
            eegnn__sgemm_serial(0, 0, m, n, k, 1.0f, ai, k, bi, n, 0.0f, t->data + (size_t)i * m * n, n, work);
        } else {
            const float *dc = t->grad + (size_t)i * m * n;
            if (a->grad) /* da (M, K) += dc (M, N) @ b^T */
                eegnn__sgemm_serial(0, 1, m, k, n, 1.0f, dc, n, bi, n, 1.0f, a->grad + (size_t)i * m * k, k, work);
            if (b->grad) /* db (K, N) += a^T @ dc */
                eegnn__sgemm_serial(1, 0, k, n, m, 1.0f, ai, k, dc, n, 1.0f, b->grad + (size_t)i * k * n, n, work);
        }
    }
}

static int eegnn__bmm_use_batch_split(eegnn_graph *g, eegnn_tensor *t) {
    return !t->ip[4] && t->ip[0] >= eegnn_graph_n_threads(g);
}

static void eegnn__matmul_forward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *a = t->src[0], *b = t->src[1];
    int nb = t->ip[0], m = t->ip[1], k = t->ip[2], n = t->ip[3], i;
    if (t->ip[4]) { /* shared b: one (B*M, K) @ (K, N) product */
        eegnn__sgemm_graph(g, 0, 0, nb * m, n, k, 1.0f, a->data, k, b->data, n, 0.0f, t->data, n);
    } else if (eegnn__bmm_use_batch_split(g, t)) {
        eegnn__bmm_job job;
        job.g = g;
        job.t = t;
        job.backward = 0;
        eegnn_parallel_for(eegnn_graph_pool(g), eegnn_graph_n_threads(g), eegnn__bmm_task, &job);
    } else {
        for (i = 0; i < nb; i++)
            eegnn__sgemm_graph(g, 0, 0, m, n, k, 1.0f, a->data + (size_t)i * m * k, k, b->data + (size_t)i * k * n,
                               n, 0.0f, t->data + (size_t)i * m * n, n);
    }
}

static void eegnn__matmul_backward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *a = t->src[0], *b = t->src[1];
    int nb = t->ip[0], m = t->ip[1], k = t->ip[2], n = t->ip[3], i;
    if (t->ip[4]) {
        if (a->grad) eegnn__sgemm_graph(g, 0, 1, nb * m, k, n, 1.0f, t->grad, n, b->data, n, 1.0f, a->grad, k);
        if (b->grad) eegnn__sgemm_graph(g, 1, 0, k, n, nb * m, 1.0f, a->data, k, t->grad, n, 1.0f, b->grad, n);
    } else if (eegnn__bmm_use_batch_split(g, t)) {
        eegnn__bmm_job job;
        job.g = g;
        job.t = t;
        job.backward = 1;
        eegnn_parallel_for(eegnn_graph_pool(g), eegnn_graph_n_threads(g), eegnn__bmm_task, &job);
    } else {
        for (i = 0; i < nb; i++) {
            const float *dc = t->grad + (size_t)i * m * n;
            if (a->grad)
                eegnn__sgemm_graph(g, 0, 1, m, k, n, 1.0f, dc, n, b->data + (size_t)i * k * n, n, 1.0f,
                                   a->grad + (size_t)i * m * k, k);
            if (b->grad)
                eegnn__sgemm_graph(g, 1, 0, k, n, m, 1.0f, a->data + (size_t)i * m * k, k, dc, n, 1.0f,
                                   b->grad + (size_t)i * k * n, n);
        }
    }
}

EEGNN_API eegnn_tensor *eegnn_matmul(eegnn_graph *g, eegnn_tensor *a, eegnn_tensor *b) {
    eegnn_tensor *src[2];
    eegnn_tensor *t;
    int shape[3], nb, m, k, n, shared = 0;
    char sa[64], sb[64];
    if (!g || !a || !b) return NULL;
    if (a->ndim == 2 && b->ndim == 2) {
        nb = 1;
        m = a->shape[0];
        k = a->shape[1];
        n = b->shape[1];
        if (b->shape[0] != k) goto bad;
    } else if (a->ndim == 3 && b->ndim == 3) {
        nb = a->shape[0];
        m = a->shape[1];
        k = a->shape[2];
        n = b->shape[2];
        if (b->shape[0] != nb || b->shape[1] != k) goto bad;
    } else if (a->ndim == 3 && b->ndim == 2) {
        nb = a->shape[0];
        m = a->shape[1];
        k = a->shape[2];
        n = b->shape[1];
        shared = 1;
        if (b->shape[0] != k) goto bad;
    } else {
        goto bad;
    }
    src[0] = a;
    src[1] = b;
    if (a->ndim == 2) {
        shape[0] = m;
        shape[1] = n;
    } else {
        shape[0] = nb;
        shape[1] = m;
        shape[2] = n;
    }
    t = eegnn_graph_new_op(g, EEGNN_OP_MATMUL, a->ndim, shape, src, 2);
    if (!t) return NULL;
    t->ip[0] = nb;
    t->ip[1] = m;
    t->ip[2] = k;
    t->ip[3] = n;
    t->ip[4] = shared;
    t->forward = eegnn__matmul_forward;
    t->backward = eegnn__matmul_backward;
    eegnn_graph_reserve_scratch(g, eegnn__sgemm_work_floats());
    return t;
bad:
    eegnn_set_error(EEGNN_ERR_ARG, "matmul: shapes %s and %s do not multiply (expected (M, K) @ (K, N), "
                    "(B, M, K) @ (B, K, N) or (B, M, K) @ (K, N))",
                    eegnn_shape_str(a, sa, sizeof sa), eegnn_shape_str(b, sb, sizeof sb));
    return NULL;
}

/* ---- linear ----
 * ip[0] = rows R (product of the leading dimensions of x), ip[1] = in,
 * ip[2] = out. src: x, w, b (or NULL). */

static void eegnn__linear_forward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *x = t->src[0], *w = t->src[1], *b = t->src[2];
    int rows = t->ip[0], in = t->ip[1], out = t->ip[2], r, o;
    /* y (R, out) = x (R, in) @ w^T (in, out) */
    eegnn__sgemm_graph(g, 0, 1, rows, out, in, 1.0f, x->data, in, w->data, in, 0.0f, t->data, out);
    if (b)
        for (r = 0; r < rows; r++) {
            float *yr = t->data + (size_t)r * out;
            for (o = 0; o < out; o++) yr[o] += b->data[o];
        }
}

static void eegnn__linear_backward(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *x = t->src[0], *w = t->src[1], *b = t->src[2];
    int rows = t->ip[0], in = t->ip[1], out = t->ip[2], r, o;
    const float *dy = t->grad; /* (R, out) */
    if (x->grad) /* dx (R, in) += dy (R, out) @ w (out, in) */
        eegnn__sgemm_graph(g, 0, 0, rows, in, out, 1.0f, dy, out, w->data, in, 1.0f, x->grad, in);
    if (w->grad) /* dw (out, in) += dy^T (out, R) @ x (R, in) */
        eegnn__sgemm_graph(g, 1, 0, out, in, rows, 1.0f, dy, out, x->data, in, 1.0f, w->grad, in);
    if (b && b->grad)
        for (r = 0; r < rows; r++) {
            const float *dr = dy + (size_t)r * out;
            for (o = 0; o < out; o++) b->grad[o] += dr[o];
        }
}

EEGNN_API eegnn_tensor *eegnn_linear(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *w, eegnn_tensor *b) {
    eegnn_tensor *src[3];
    eegnn_tensor *t;
    int shape[EEGNN_MAX_DIMS], i, rows = 1, in, out;
    char sx[64], sw[64];
    if (!g || !x || !w) return NULL;
    in = x->ndim >= 1 ? x->shape[x->ndim - 1] : 0;
    if (x->ndim < 1 || w->ndim != 2 || w->shape[1] != in) {
        eegnn_set_error(EEGNN_ERR_ARG, "linear: input %s does not match weight %s (expected x (..., in), "
                        "w (out, in))",
                        eegnn_shape_str(x, sx, sizeof sx), eegnn_shape_str(w, sw, sizeof sw));
        return NULL;
    }
    out = w->shape[0];
    if (b && (b->ndim != 1 || b->shape[0] != out)) {
        eegnn_set_error(EEGNN_ERR_ARG, "linear: bias %s does not match weight %s (expected (%d))",
                        eegnn_shape_str(b, sx, sizeof sx), eegnn_shape_str(w, sw, sizeof sw), out);
        return NULL;
    }
    for (i = 0; i < x->ndim - 1; i++) {
        shape[i] = x->shape[i];
        rows *= x->shape[i];
    }
    shape[x->ndim - 1] = out;
    src[0] = x;
    src[1] = w;
    src[2] = b;
    t = eegnn_graph_new_op(g, EEGNN_OP_LINEAR, x->ndim, shape, src, b ? 3 : 2);
    if (!t) return NULL;
    t->ip[0] = rows;
    t->ip[1] = in;
    t->ip[2] = out;
    t->forward = eegnn__linear_forward;
    t->backward = eegnn__linear_backward;
    eegnn_graph_reserve_scratch(g, eegnn__sgemm_work_floats());
    return t;
}

EEGNN_API eegnn_status eegnn_linear_params_of(const eegnn_tensor *t, eegnn_linear_params *p) {
    if (!t || !p || t->kind != EEGNN_OP_LINEAR)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_linear_params_of: not a linear node (%s)", t ? t->op : "NULL");
    p->rows = t->ip[0];
    p->in_features = t->ip[1];
    p->out_features = t->ip[2];
    p->input = t->src[0];
    p->weight = t->src[1];
    p->bias = t->src[2];
    return EEGNN_OK;
}
