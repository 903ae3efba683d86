/* EEGNeX's first three blocks as one node that never holds a whole
 * (batch, filters, channels, time) map.
 *
 * braindecode's EEGNeX starts with
 *   z1 = conv1(x)   (1, K) temporal kernels, 1 -> F1 maps, 'same' padding
 *   y1 = BN1(z1)
 *   z2 = conv2(y1)  (1, K) temporal kernels, F1 -> F2 maps, 'same' padding
 *   y2 = BN2(z2)
 *   out = conv3(y2) (C, 1) depthwise spatial kernels, F2 -> F3 maps (groups F2)
 * on x (B, 1, C, T). At the challenge's shape and batch 64 the (B, F2, C, T)
 * maps are 211 MB each, and a plain graph keeps z2, y2 and their gradients.
 * This node processes the batch in chunks of a few samples instead, and
 * keeps only the (B, F3, 1, T) output, conv3(z2) and BN1's input gradient:
 *
 * Forward. Train-mode batch norm needs the whole batch's statistics before
 * it can normalize, so a first pass over the chunks computes z1 and merges
 * its per-channel mean and variance (Chan et al.'s pairwise update, in
 * double). A second pass computes z1, y1, z2, merges z2's statistics and
 * keeps u = conv3(z2). Since BN2 is affine per channel and conv3 is linear
 * with a full-height kernel (no padding),
 *   conv3(BN2(z2))[m] = scale_c * u[m] + shift_c * S[m],  S[m] = sum_h w3[m, h],
 * where c = m / (F3 / F2), scale = gamma * invstd, shift = beta - mean * scale.
 *
 * Backward, from g = dL/dout (B, F3, 1, T). BN2's two batch sums come from
 * (B, F3, T) tensors alone: sum(dy2) per channel is sum_m S[m] sum(g[m]) and
 * sum(dy2 * xhat2) is sum_m sum(g[m] * v[m]) with v = conv3(xhat2) =
 * invstd * (u - mean * S). One pass over the chunks then recomputes z1, y1,
 * z2, y2, runs conv3's backward (weight gradient, dy2), BN2's backward and
 * conv2's backward (weight gradient, dy1 into a (B, F1, C, T) buffer) and
 * sums BN1's dy1 and dy1 * xhat1. A last pass recomputes z1 and runs BN1's
 * and conv1's backward. The gradients are those of the plain graph (the
 * same formulas as batch_norm's backward), up to float rounding.
 *
 * Running statistics are updated as torch.nn.BatchNorm2d (momentum,
 * unbiased variance); eval mode uses them and needs no statistics pass.
 * The input gets no gradient (the model builds this node only on an input).
 * Cost: conv2 runs twice forward per training step instead of once. */

typedef struct eegnn__stem {
    eegnn_tensor conv1, conv2, conv3; /* detached convolutions, run on chunks */
    eegnn_tensor in1, in2, in3;       /* their inputs: views of x or of a chunk buffer */
    eegnn_tensor w1v, w2v, w3v;       /* the weights, their gradients redirected as needed */
    int B, C, T, F1, F2, F3, chunk;
    float momentum, eps;
    float *stats1, *stats2;      /* (2, F): mean, invstd used by the last forward */
    float *u;                    /* (B, F3, T) conv3(z2) */
    float *s3;                   /* (F3) sum over the kernel of each conv3 row */
    float *z1, *y1;              /* (chunk, F1, C, T) */
    float *z2, *y2, *d2;         /* (chunk, F2, C, T) */
    float *d1;                   /* (B, F1, C, T) dL/dy1 */
    double *cnt, *mean, *m2;     /* (F2) running merge of chunk statistics */
    double *sum_dy, *sum_dy_xhat; /* (F1) BN1's batch sums in backward */
    int batch_stats;             /* the last forward normalized with batch statistics */
} eegnn__stem;

enum { EEGNN__STEM_X, EEGNN__STEM_W1, EEGNN__STEM_BN1, EEGNN__STEM_W2 = 6, EEGNN__STEM_BN2, EEGNN__STEM_W3 = 11 };

/* ---- per-channel work on a chunk (channels split over the graph's threads) ---- */

typedef struct eegnn__stem_job {
    eegnn__stem *s;
    int kind, nb, F;
    float *a, *b, *c;         /* buffers of the chunk */
    const float *p0, *p1, *p2; /* per-channel constants */
} eegnn__stem_job;

enum { EEGNN__STEM_STATS, EEGNN__STEM_AFFINE, EEGNN__STEM_BN_BWD, EEGNN__STEM_SUMS };

static void eegnn__stem_channels(eegnn__stem_job *j, int f0, int f1) {
    eegnn__stem *s = j->s;
    size_t plane = (size_t)s->C * s->T, i;
    int f, n;
    for (f = f0; f < f1; f++) {
        if (j->kind == EEGNN__STEM_STATS) { /* merge the chunk's mean and M2 of a into channel f */
            double m = 0.0, m2 = 0.0, nc = (double)j->nb * (double)plane, delta, tot;
            for (n = 0; n < j->nb; n++) {
                const float *a = j->a + ((size_t)n * j->F + f) * plane;
                for (i = 0; i < plane; i++) m += a[i];
            }
            m /= nc;
            for (n = 0; n < j->nb; n++) {
                const float *a = j->a + ((size_t)n * j->F + f) * plane;
                for (i = 0; i < plane; i++) {
                    double d = (double)a[i] - m;
                    m2 += d * d;
                }
            }
            tot = s->cnt[f] + nc;
            delta = m - s->mean[f];
            s->mean[f] += delta * nc / tot;
            s->m2[f] += m2 + delta * delta * s->cnt[f] * nc / tot;
            s->cnt[f] = tot;
            continue;
        }
        for (n = 0; n < j->nb; n++) {
            size_t off = ((size_t)n * j->F + f) * plane;
            float *a = j->a + off;
            if (j->kind == EEGNN__STEM_AFFINE) { /* b = a * scale + shift */
                float *b = j->b + off, scale = j->p0[f], shift = j->p1[f];
                for (i = 0; i < plane; i++) b[i] = a[i] * scale + shift;
            } else if (j->kind == EEGNN__STEM_BN_BWD) { /* a = k * a + bx * (b - mean) + c0 (batch_norm's dx) */
                const float *b = j->b + off;
                float k = j->p0[f], bx = j->p1[f], c0 = j->p2[f], mean = j->c[f];
                for (i = 0; i < plane; i++) a[i] = k * a[i] + bx * (b[i] - mean) + c0;
            } else { /* BN1's sums of dy (a) and dy * xhat, xhat = (b - mean) * invstd */
                const float *b = j->b + off;
                double mean = j->p0[f], invstd = j->p1[f], sdy = 0.0, sdx = 0.0;
                for (i = 0; i < plane; i++) {
                    double dy = a[i];
                    sdy += dy;
                    sdx += dy * ((double)b[i] - mean) * invstd;
                }
                s->sum_dy[f] += sdy;
                s->sum_dy_xhat[f] += sdx;
            }
        }
    }
}

static void eegnn__stem_task(void *ctx, int task, int n_tasks) {
    eegnn__stem_job *j = (eegnn__stem_job *)ctx;
    eegnn__stem_channels(j, (int)((int64_t)j->F * task / n_tasks), (int)((int64_t)j->F * (task + 1) / n_tasks));
}

static void eegnn__stem_run(eegnn_graph *g, eegnn__stem_job *j) {
    eegnn_parallel_for(eegnn_graph_pool(g), EEGNN__MIN(eegnn_graph_n_threads(g), j->F), eegnn__stem_task, j);
}

static void eegnn__stem_job_init(eegnn__stem_job *j, eegnn__stem *s, int kind, int nb, int F) {
    memset(j, 0, sizeof *j);
    j->s = s;
    j->kind = kind;
    j->nb = nb;
    j->F = F;
}

/* Points the detached convolutions at samples [n0, n0 + nb). */
static void eegnn__stem_chunk(eegnn__stem *s, const eegnn_tensor *x, int n0, int nb) {
    eegnn_tensor *conv[3], *in[3];
    int k;
    conv[0] = &s->conv1;
    conv[1] = &s->conv2;
    conv[2] = &s->conv3;
    in[0] = &s->in1;
    in[1] = &s->in2;
    in[2] = &s->in3;
    for (k = 0; k < 3; k++) {
        in[k]->shape[0] = conv[k]->shape[0] = nb;
        in[k]->numel = (size_t)nb * in[k]->shape[1] * in[k]->shape[2] * in[k]->shape[3];
        conv[k]->numel = (size_t)nb * conv[k]->shape[1] * conv[k]->shape[2] * conv[k]->shape[3];
    }
    s->in1.data = x->data + (size_t)n0 * s->C * s->T;
    s->conv1.data = s->z1;
    s->in2.data = s->y1;
    s->conv2.data = s->z2;
    s->conv3.data = s->u + (size_t)n0 * s->F3 * s->T;
}

/* mean and invstd of the merged statistics (or of the running ones), and
 * the running statistics' update, as batch_norm_stats in ops/norm.c. */
static void eegnn__stem_stats(eegnn__stem *s, float *stats, int F, eegnn_tensor *rm, eegnn_tensor *rv, int batch) {
    int f;
    for (f = 0; f < F; f++) {
        if (!batch) {
            stats[f] = rm->data[f];
            stats[F + f] = (float)(1.0 / sqrt((double)rv->data[f] + (double)s->eps));
            continue;
        }
        stats[f] = (float)s->mean[f];
        stats[F + f] = (float)(1.0 / sqrt(s->m2[f] / s->cnt[f] + (double)s->eps));
        {
            double unbiased = s->cnt[f] > 1.0 ? s->m2[f] / (s->cnt[f] - 1.0) : s->m2[f];
            rm->data[f] = (float)((1.0 - s->momentum) * (double)rm->data[f] + s->momentum * s->mean[f]);
            rv->data[f] = (float)((1.0 - s->momentum) * (double)rv->data[f] + s->momentum * unbiased);
        }
    }
}

static void eegnn__stem_reset_merge(eegnn__stem *s) {
    memset(s->cnt, 0, (size_t)s->F2 * sizeof(double));
    memset(s->mean, 0, (size_t)s->F2 * sizeof(double));
    memset(s->m2, 0, (size_t)s->F2 * sizeof(double));
}

/* scale = gamma * invstd, shift = beta - mean * scale (per channel). */
static void eegnn__stem_affine(const float *stats, const eegnn_tensor *gamma, const eegnn_tensor *beta, int F,
                               float *scale, float *shift) {
    int f;
    for (f = 0; f < F; f++) {
        scale[f] = stats[F + f] * gamma->data[f];
        shift[f] = beta->data[f] - stats[f] * scale[f];
    }
}

/* z1 = conv1(x) and y1 = BN1(z1) of the current chunk. */
static void eegnn__stem_y1(eegnn_graph *g, eegnn__stem *s, int nb, const float *scale1, const float *shift1) {
    eegnn__stem_job j;
    s->conv1.forward(g, &s->conv1);
    eegnn__stem_job_init(&j, s, EEGNN__STEM_AFFINE, nb, s->F1);
    j.a = s->z1;
    j.b = s->y1;
    j.p0 = scale1;
    j.p1 = shift1;
    eegnn__stem_run(g, &j);
}

static void eegnn__stem_fwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__stem *s = (eegnn__stem *)t->state;
    eegnn_tensor *x = t->src[EEGNN__STEM_X], *const *bn1 = t->src + EEGNN__STEM_BN1,
                 *const *bn2 = t->src + EEGNN__STEM_BN2, *w3 = t->src[EEGNN__STEM_W3];
    float scale1[64], shift1[64], scale2[256], shift2[256];
    eegnn__stem_job j;
    int n0, nb, m, f, tt, per = s->F3 / s->F2;
    size_t n;
    s->batch_stats = eegnn_graph_training(g);
    if (s->batch_stats) { /* pass 1: BN1's batch statistics */
        eegnn__stem_reset_merge(s);
        for (n0 = 0; n0 < s->B; n0 += s->chunk) {
            nb = EEGNN__MIN(s->chunk, s->B - n0);
            eegnn__stem_chunk(s, x, n0, nb);
            s->conv1.forward(g, &s->conv1);
            eegnn__stem_job_init(&j, s, EEGNN__STEM_STATS, nb, s->F1);
            j.a = s->z1;
            eegnn__stem_run(g, &j);
        }
    }
    eegnn__stem_stats(s, s->stats1, s->F1, bn1[2], bn1[3], s->batch_stats);
    eegnn__stem_affine(s->stats1, bn1[0], bn1[1], s->F1, scale1, shift1);
    /* pass 2: z2's statistics and u = conv3(z2) */
    eegnn__stem_reset_merge(s);
    for (n0 = 0; n0 < s->B; n0 += s->chunk) {
        nb = EEGNN__MIN(s->chunk, s->B - n0);
        eegnn__stem_chunk(s, x, n0, nb);
        eegnn__stem_y1(g, s, nb, scale1, shift1);
        s->conv2.forward(g, &s->conv2);
        if (s->batch_stats) {
            eegnn__stem_job_init(&j, s, EEGNN__STEM_STATS, nb, s->F2);
            j.a = s->z2;
            eegnn__stem_run(g, &j);
        }
        s->in3.data = s->z2;
        s->conv3.forward(g, &s->conv3);
    }
    eegnn__stem_stats(s, s->stats2, s->F2, bn2[2], bn2[3], s->batch_stats);
    eegnn__stem_affine(s->stats2, bn2[0], bn2[1], s->F2, scale2, shift2);
    for (m = 0; m < s->F3; m++) {
        double acc = 0.0;
        for (n = 0; n < (size_t)s->C; n++) acc += w3->data[(size_t)m * s->C + n];
        s->s3[m] = (float)acc;
    }
    for (n = 0; n < (size_t)s->B; n++)
        for (m = 0; m < s->F3; m++) {
            const float *u = s->u + (n * s->F3 + m) * s->T;
            float *y = t->data + (n * s->F3 + m) * s->T, a, b;
            f = m / per;
            a = scale2[f];
            b = shift2[f] * s->s3[m];
            for (tt = 0; tt < s->T; tt++) y[tt] = u[tt] * a + b;
        }
}

static void eegnn__stem_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn__stem *s = (eegnn__stem *)t->state;
    eegnn_tensor *x = t->src[EEGNN__STEM_X], *const *bn1 = t->src + EEGNN__STEM_BN1,
                 *const *bn2 = t->src + EEGNN__STEM_BN2, *w1 = t->src[EEGNN__STEM_W1],
                 *w2 = t->src[EEGNN__STEM_W2], *w3 = t->src[EEGNN__STEM_W3];
    float scale1[64], shift1[64], scale2[256], shift2[256], k2[256], bx2[256], c2[256], k1[64], bx1[64], c1[64];
    double sum_dy2[256], sum_dy2_xhat[256];
    const float *mean2 = s->stats2, *invstd2 = s->stats2 + s->F2;
    eegnn__stem_job j;
    int n0, nb, m, f, tt, per = s->F3 / s->F2;
    size_t n, cnt2 = (size_t)s->B * s->C * s->T, plane1 = (size_t)s->F1 * s->C * s->T;

    /* BN2's sums from the (B, F3, T) tensors */
    for (f = 0; f < s->F2; f++) sum_dy2[f] = sum_dy2_xhat[f] = 0.0;
    for (n = 0; n < (size_t)s->B; n++)
        for (m = 0; m < s->F3; m++) {
            const float *gy = t->grad + (n * s->F3 + m) * s->T, *u = s->u + (n * s->F3 + m) * s->T;
            double sg = 0.0, sv = 0.0, ms = (double)mean2[m / per] * s->s3[m];
            for (tt = 0; tt < s->T; tt++) {
                sg += gy[tt];
                sv += (double)gy[tt] * ((double)u[tt] - ms);
            }
            f = m / per;
            sum_dy2[f] += sg * s->s3[m];
            sum_dy2_xhat[f] += sv * invstd2[f];
        }
    for (f = 0; f < s->F2; f++) {
        double k = (double)bn2[0]->data[f] * invstd2[f];
        if (bn2[0]->grad) bn2[0]->grad[f] += (float)sum_dy2_xhat[f];
        if (bn2[1]->grad) bn2[1]->grad[f] += (float)sum_dy2[f];
        k2[f] = (float)k;
        bx2[f] = s->batch_stats ? (float)(-k * (sum_dy2_xhat[f] / (double)cnt2) * invstd2[f]) : 0.0f;
        c2[f] = s->batch_stats ? (float)(-k * (sum_dy2[f] / (double)cnt2)) : 0.0f;
    }
    eegnn__stem_affine(s->stats1, bn1[0], bn1[1], s->F1, scale1, shift1);
    eegnn__stem_affine(s->stats2, bn2[0], bn2[1], s->F2, scale2, shift2);
    memset(s->sum_dy, 0, (size_t)s->F1 * sizeof(double));
    memset(s->sum_dy_xhat, 0, (size_t)s->F1 * sizeof(double));
    s->w3v.data = w3->data;
    s->w3v.grad = w3->grad;
    s->w2v.data = w2->data;
    s->w2v.grad = w2->grad;
    s->w1v.data = w1->data;
    s->w1v.grad = w1->grad;

    /* pass 1: conv3, BN2 and conv2 backward; dL/dy1 kept whole */
    for (n0 = 0; n0 < s->B; n0 += s->chunk) {
        nb = EEGNN__MIN(s->chunk, s->B - n0);
        eegnn__stem_chunk(s, x, n0, nb);
        eegnn__stem_y1(g, s, nb, scale1, shift1);
        s->conv2.forward(g, &s->conv2);
        eegnn__stem_job_init(&j, s, EEGNN__STEM_AFFINE, nb, s->F2); /* y2 */
        j.a = s->z2;
        j.b = s->y2;
        j.p0 = scale2;
        j.p1 = shift2;
        eegnn__stem_run(g, &j);
        /* conv3: dW3 += g . y2, dy2 = w3^T g */
        s->in3.data = s->y2;
        s->in3.grad = s->d2;
        s->conv3.grad = t->grad + (size_t)n0 * s->F3 * s->T;
        memset(s->d2, 0, s->in3.numel * sizeof(float));
        s->conv3.backward(g, &s->conv3);
        /* BN2: dz2 in place of dy2 */
        eegnn__stem_job_init(&j, s, EEGNN__STEM_BN_BWD, nb, s->F2);
        j.a = s->d2;
        j.b = s->z2;
        j.c = (float *)mean2;
        j.p0 = k2;
        j.p1 = bx2;
        j.p2 = c2;
        eegnn__stem_run(g, &j);
        /* conv2: dW2 += dz2 . y1, dy1 = w2^T dz2 */
        s->in2.grad = s->d1 + (size_t)n0 * plane1;
        s->conv2.grad = s->d2;
        memset(s->in2.grad, 0, s->in2.numel * sizeof(float));
        s->conv2.backward(g, &s->conv2);
        /* BN1's sums over dy1 and xhat1 */
        eegnn__stem_job_init(&j, s, EEGNN__STEM_SUMS, nb, s->F1);
        j.a = s->in2.grad;
        j.b = s->z1;
        j.p0 = s->stats1;
        j.p1 = s->stats1 + s->F1;
        eegnn__stem_run(g, &j);
    }
    s->in2.grad = NULL;
    for (f = 0; f < s->F1; f++) {
        double k = (double)bn1[0]->data[f] * s->stats1[s->F1 + f];
        if (bn1[0]->grad) bn1[0]->grad[f] += (float)s->sum_dy_xhat[f];
        if (bn1[1]->grad) bn1[1]->grad[f] += (float)s->sum_dy[f];
        k1[f] = (float)k;
        bx1[f] = s->batch_stats ? (float)(-k * (s->sum_dy_xhat[f] / (double)cnt2) * s->stats1[s->F1 + f]) : 0.0f;
        c1[f] = s->batch_stats ? (float)(-k * (s->sum_dy[f] / (double)cnt2)) : 0.0f;
    }
    /* pass 2: BN1 and conv1 backward (weight gradient only) */
    if (!w1->grad) return;
    for (n0 = 0; n0 < s->B; n0 += s->chunk) {
        nb = EEGNN__MIN(s->chunk, s->B - n0);
        eegnn__stem_chunk(s, x, n0, nb);
        s->conv1.forward(g, &s->conv1);
        eegnn__stem_job_init(&j, s, EEGNN__STEM_BN_BWD, nb, s->F1);
        j.a = s->d1 + (size_t)n0 * plane1;
        j.b = s->z1;
        j.c = s->stats1;
        j.p0 = k1;
        j.p1 = bx1;
        j.p2 = c1;
        eegnn__stem_run(g, &j);
        s->conv1.grad = j.a;
        s->conv1.backward(g, &s->conv1);
    }
}

/* Samples per chunk: the widest chunk map (chunk, F2, C, T) stays under
 * 8 MiB (at least one sample). */
static int eegnn__stem_chunk_size(int B, int F2, int C, int T) {
    size_t per = (size_t)F2 * C * T * sizeof(float), budget = (size_t)8 << 20;
    int chunk = (int)(budget / per);
    if (chunk < 1) chunk = 1;
    return chunk < B ? chunk : B;
}

EEGNN_API eegnn_tensor *eegnn_eegnex_stem(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *w1, eegnn_tensor *const *bn1,
                                         eegnn_tensor *w2, eegnn_tensor *const *bn2, eegnn_tensor *w3,
                                         const eegnn_conv2d_params *p12, float momentum, float eps) {
    eegnn_tensor *src[12], *t;
    eegnn__stem *s;
    eegnn_conv2d_params p3;
    int shape[4], i, B, C, T, F1, F2, F3;
    size_t map1, map2;
    if (!g || !x || !w1 || !w2 || !w3 || !bn1[0] || !bn1[1] || !bn1[2] || !bn1[3] || !bn2[0] || !bn2[1] || !bn2[2] ||
        !bn2[3])
        return NULL;
    B = x->shape[0];
    C = x->shape[2];
    T = x->shape[3];
    F1 = w1->shape[0];
    F2 = w2->shape[0];
    F3 = w3->shape[0];
    if (x->ndim != 4 || x->shape[1] != 1 || x->grad || F1 > 64 || F2 > 256 || F1 > F2 || F3 % F2 || w3->shape[2] != C) {
        eegnn_set_error(EEGNN_ERR_ARG, "EEGNeX stem: input %s, filters %d, %d, %d do not fit the fused blocks",
                        eegnn__shp(x), F1, F2, F3);
        return NULL;
    }
    src[EEGNN__STEM_X] = x;
    src[EEGNN__STEM_W1] = w1;
    src[EEGNN__STEM_W2] = w2;
    src[EEGNN__STEM_W3] = w3;
    for (i = 0; i < 4; i++) {
        src[EEGNN__STEM_BN1 + i] = bn1[i];
        src[EEGNN__STEM_BN2 + i] = bn2[i];
    }
    shape[0] = B;
    shape[1] = F3;
    shape[2] = 1;
    shape[3] = T;
    t = eegnn_graph_new_op(g, EEGNN_OP_EEGNEX_STEM, 4, shape, src, 12);
    if (!t) return NULL;
    s = (eegnn__stem *)eegnn_graph_alloc(g, sizeof *s);
    if (!s) return NULL;
    s->B = B;
    s->C = C;
    s->T = T;
    s->F1 = F1;
    s->F2 = F2;
    s->F3 = F3;
    s->momentum = momentum;
    s->eps = eps;
    s->chunk = eegnn__stem_chunk_size(B, F2, C, T);
    /* the detached convolutions, shaped for a full chunk */
    s->in1 = *x;
    s->in1.shape[0] = s->chunk;
    s->in1.grad = NULL;
    s->w1v = *w1;
    s->w2v = *w2;
    s->w3v = *w3;
    if (eegnn__conv2d_detached(g, &s->conv1, &s->in1, &s->w1v, p12)) return NULL;
    s->in2 = s->conv1;
    s->in2.grad = NULL;
    if (eegnn__conv2d_detached(g, &s->conv2, &s->in2, &s->w2v, p12)) return NULL;
    memset(&p3, 0, sizeof p3);
    p3.groups = F2;
    s->in3 = s->conv2;
    if (eegnn__conv2d_detached(g, &s->conv3, &s->in3, &s->w3v, &p3)) return NULL;
    if (s->conv1.shape[1] != F1 || s->conv1.shape[2] != C || s->conv1.shape[3] != T || s->conv2.shape[3] != T ||
        s->conv3.shape[2] != 1 || s->conv3.shape[3] != T) {
        eegnn_set_error(EEGNN_ERR_ARG, "EEGNeX stem: the temporal convolutions must keep (C, T) = (%d, %d)", C, T);
        return NULL;
    }
    map1 = (size_t)s->chunk * F1 * C * T;
    map2 = (size_t)s->chunk * F2 * C * T;
    s->stats1 = (float *)eegnn_graph_alloc(g, 2 * (size_t)F1 * sizeof(float));
    s->stats2 = (float *)eegnn_graph_alloc(g, 2 * (size_t)F2 * sizeof(float));
    s->u = (float *)eegnn_graph_alloc(g, (size_t)B * F3 * T * sizeof(float));
    s->s3 = (float *)eegnn_graph_alloc(g, (size_t)F3 * sizeof(float));
    s->z1 = (float *)eegnn_graph_alloc(g, map1 * sizeof(float));
    s->y1 = (float *)eegnn_graph_alloc(g, map1 * sizeof(float));
    s->z2 = (float *)eegnn_graph_alloc(g, map2 * sizeof(float));
    s->y2 = (float *)eegnn_graph_alloc(g, map2 * sizeof(float));
    s->d2 = (float *)eegnn_graph_alloc(g, map2 * sizeof(float));
    s->d1 = (float *)eegnn_graph_alloc(g, (size_t)B * F1 * C * T * sizeof(float));
    s->cnt = (double *)eegnn_graph_alloc(g, 5 * (size_t)F2 * sizeof(double));
    if (!s->stats1 || !s->stats2 || !s->u || !s->s3 || !s->z1 || !s->y1 || !s->z2 || !s->y2 || !s->d2 || !s->d1 ||
        !s->cnt)
        return NULL;
    s->mean = s->cnt + F2;
    s->m2 = s->mean + F2;
    s->sum_dy = s->m2 + F2;
    s->sum_dy_xhat = s->sum_dy + F2;
    t->state = s;
    t->forward = eegnn__stem_fwd;
    t->backward = eegnn__stem_bwd;
    return t;
}
