/* Losses with reduction "mean", each a 0-D node (torch.nn.functional
 * mse_loss, l1_loss, binary_cross_entropy_with_logits, cross_entropy).
 * Sums are accumulated in double. Gradients flow to both prediction and
 * target where PyTorch defines one (not to class indices or class weights). */

static eegnn_tensor *eegnn__pair_loss(eegnn_graph *g, eegnn_op kind, eegnn_tensor *pred, eegnn_tensor *target,
                                      eegnn_op_fn fwd, eegnn_op_fn bwd) {
    const char *op = eegnn_op_name(kind);
    eegnn_tensor *src[2], *t;
    if (!g || !pred || !target) return NULL;
    if (!eegnn__same_shape(pred, target)) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: prediction %s and target %s must have the same shape", op,
                        eegnn__shp(pred), eegnn__shp(target));
        return NULL;
    }
    src[0] = pred;
    src[1] = target;
    t = eegnn_graph_new_op(g, kind, 0, NULL, src, 2);
    if (!t) return NULL;
    t->forward = fwd;
    t->backward = bwd;
    return t;
}

static void eegnn__mse_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const float *p = t->src[0]->data, *y = t->src[1]->data;
    size_t i, n = t->src[0]->numel;
    double s = 0.0;
    (void)g;
    for (i = 0; i < n; i++) {
        double d = (double)p[i] - (double)y[i];
        s += d * d;
    }
    t->data[0] = (float)(s / (double)n);
}

static void eegnn__mse_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *p = t->src[0], *y = t->src[1];
    size_t i, n = p->numel;
    float k = 2.0f * t->grad[0] / (float)n;
    (void)g;
    for (i = 0; i < n; i++) {
        float d = k * (p->data[i] - y->data[i]);
        if (p->grad) p->grad[i] += d;
        if (y->grad) y->grad[i] -= d;
    }
}

EEGNN_API eegnn_tensor *eegnn_mse_loss(eegnn_graph *g, eegnn_tensor *pred, eegnn_tensor *target) {
    return eegnn__pair_loss(g, EEGNN_OP_MSE_LOSS, pred, target, eegnn__mse_fwd, eegnn__mse_bwd);
}

static void eegnn__l1_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const float *p = t->src[0]->data, *y = t->src[1]->data;
    size_t i, n = t->src[0]->numel;
    double s = 0.0;
    (void)g;
    for (i = 0; i < n; i++) s += fabs((double)p[i] - (double)y[i]);
    t->data[0] = (float)(s / (double)n);
}

/* d|p - y|/dp = sign(p - y), with sign(0) = 0 as torch.sign. */
static void eegnn__l1_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *p = t->src[0], *y = t->src[1];
    size_t i, n = p->numel;
    float k = t->grad[0] / (float)n;
    (void)g;
    for (i = 0; i < n; i++) {
        float diff = p->data[i] - y->data[i];
        float d = diff > 0.0f ? k : (diff < 0.0f ? -k : (diff == 0.0f ? 0.0f : diff));
        if (p->grad) p->grad[i] += d;
        if (y->grad) y->grad[i] -= d;
    }
}

EEGNN_API eegnn_tensor *eegnn_l1_loss(eegnn_graph *g, eegnn_tensor *pred, eegnn_tensor *target) {
    return eegnn__pair_loss(g, EEGNN_OP_L1_LOSS, pred, target, eegnn__l1_fwd, eegnn__l1_bwd);
}

/* loss_i = max(x, 0) - x * y + log(1 + exp(-|x|)). */
static void eegnn__bce_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const float *x = t->src[0]->data, *y = t->src[1]->data;
    size_t i, n = t->src[0]->numel;
    double s = 0.0;
    (void)g;
    for (i = 0; i < n; i++) {
        double v = x[i];
        s += (v > 0.0 ? v : 0.0) - v * (double)y[i] + log1p(exp(-fabs(v)));
    }
    t->data[0] = (float)(s / (double)n);
}

/* dx = sigmoid(x) - y, dy = -x (each / n). */
static void eegnn__bce_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *x = t->src[0], *y = t->src[1];
    size_t i, n = x->numel;
    double k = (double)t->grad[0] / (double)n;
    (void)g;
    for (i = 0; i < n; i++) {
        double v = x->data[i], sig;
        if (v >= 0.0) {
            sig = 1.0 / (1.0 + exp(-v));
        } else {
            double e = exp(v);
            sig = e / (1.0 + e);
        }
        if (x->grad) x->grad[i] += (float)(k * (sig - (double)y->data[i]));
        if (y->grad) y->grad[i] -= (float)(k * v);
    }
}

EEGNN_API eegnn_tensor *eegnn_bce_with_logits_loss(eegnn_graph *g, eegnn_tensor *logits, eegnn_tensor *target) {
    return eegnn__pair_loss(g, EEGNN_OP_BCE_WITH_LOGITS_LOSS, logits, target, eegnn__bce_fwd, eegnn__bce_bwd);
}

/* ---- cross_entropy ----------------------------------------------------------
 * src: logits (B, K), target (B), class_weight (K) or absent;
 * aux: (B) log-sum-exp of each row; fp[0]: sum of the weights of the
 * targets (the mean's denominator). A target that is not an integer in
 * [0, K) makes the loss and its gradient NaN. */

static int eegnn__ce_class(float v, int K) {
    if (!(v >= 0.0f && v < (float)K) || v != floorf(v)) return -1;
    return (int)v;
}

static void eegnn__ce_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const eegnn_tensor *x = t->src[0], *y = t->src[1], *w = t->src[2];
    int B = x->shape[0], K = x->shape[1], n, k;
    double num = 0.0, den = 0.0;
    (void)g;
    for (n = 0; n < B; n++) {
        const float *xr = x->data + (size_t)n * K;
        int cls = eegnn__ce_class(y->data[n], K);
        double mx = xr[0], s = 0.0, lse, wn;
        for (k = 1; k < K; k++)
            if (xr[k] > mx) mx = xr[k];
        for (k = 0; k < K; k++) s += exp((double)xr[k] - mx);
        lse = mx + log(s);
        t->aux[n] = (float)lse;
        if (cls < 0) {
            num = NAN;
            continue;
        }
        wn = w ? (double)w->data[cls] : 1.0;
        num += wn * (lse - (double)xr[cls]);
        den += wn;
    }
    t->fp[0] = (float)den;
    t->data[0] = (float)(num / den);
}

/* dx[n, k] = w[y_n] / den * (softmax(x_n)[k] - [k == y_n]). */
static void eegnn__ce_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *x = t->src[0], *y = t->src[1], *w = t->src[2];
    int B = x->shape[0], K = x->shape[1], n, k;
    double scale = (double)t->grad[0] / (double)t->fp[0];
    (void)g;
    if (!x->grad) return;
    for (n = 0; n < B; n++) {
        const float *xr = x->data + (size_t)n * K;
        float *dr = x->grad + (size_t)n * K;
        int cls = eegnn__ce_class(y->data[n], K);
        double c;
        if (cls < 0) {
            for (k = 0; k < K; k++) dr[k] = NAN;
            continue;
        }
        c = scale * (w ? (double)w->data[cls] : 1.0);
        for (k = 0; k < K; k++) {
            double p = exp((double)xr[k] - (double)t->aux[n]);
            dr[k] += (float)(c * (p - (k == cls ? 1.0 : 0.0)));
        }
    }
}

EEGNN_API eegnn_tensor *eegnn_cross_entropy_loss(eegnn_graph *g, eegnn_tensor *logits, eegnn_tensor *target,
                                                 eegnn_tensor *class_weight) {
    eegnn_tensor *src[3], *t;
    int n_src = 2;
    if (!g || !logits || !target) return NULL;
    if (logits->ndim != 2 || target->ndim != 1 || target->shape[0] != logits->shape[0]) {
        eegnn_set_error(EEGNN_ERR_ARG, "cross_entropy_loss: logits %s must be (B, K) and target %s (B)",
                        eegnn__shp(logits), eegnn__shp(target));
        return NULL;
    }
    if (class_weight && (class_weight->ndim != 1 || class_weight->shape[0] != logits->shape[1])) {
        eegnn_set_error(EEGNN_ERR_ARG, "cross_entropy_loss: logits %s: class_weight %s must be (%d)",
                        eegnn__shp(logits), eegnn__shp(class_weight), logits->shape[1]);
        return NULL;
    }
    src[0] = logits;
    src[1] = target;
    if (class_weight) src[n_src++] = class_weight;
    t = eegnn_graph_new_op(g, EEGNN_OP_CROSS_ENTROPY_LOSS, 0, NULL, src, n_src);
    if (!t) return NULL;
    t->aux = (float *)eegnn_graph_alloc(g, (size_t)logits->shape[0] * sizeof(float));
    if (!t->aux) return NULL;
    t->aux_len = (size_t)logits->shape[0];
    t->forward = eegnn__ce_fwd;
    t->backward = eegnn__ce_bwd;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_loss(eegnn_graph *g, eegnn_loss_type type, eegnn_tensor *output, eegnn_tensor *target,
                                   eegnn_tensor *class_weight) {
    int shape[1];
    if (!g || !output || !target) return NULL; /* an earlier op failed: its error stands */
    if (type == EEGNN_LOSS_CROSS_ENTROPY) return eegnn_cross_entropy_loss(g, output, target, class_weight);
    if ((type != EEGNN_LOSS_MSE && type != EEGNN_LOSS_L1) || class_weight) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_loss: %s", class_weight ? "class weights apply to cross-entropy only"
                                                                      : "unknown loss type");
        return NULL;
    }
    shape[0] = output->shape[0];
    if (output->ndim == 2 && output->shape[1] == 1) output = eegnn_reshape(g, output, 1, shape);
    return type == EEGNN_LOSS_L1 ? eegnn_l1_loss(g, output, target) : eegnn_mse_loss(g, output, target);
}
