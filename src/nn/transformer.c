/* Transformer layers (layer norm, multi-head attention, encoder layer,
 * positional encodings) and the EEG transformer model. */

/* ---- positional encodings ---- */

/* x (B, T, E) + table (T, E): the table is src[1]'s first T rows (learned)
 * or the node's aux (fixed). */
static void eegnn__tr_addpos_fwd(eegnn_graph *g, eegnn_tensor *t) {
    const eegnn_tensor *x = t->src[0];
    const float *pe = t->src[1] ? t->src[1]->data : t->aux;
    size_t per = (size_t)x->shape[1] * x->shape[2], i;
    int b;
    (void)g;
    for (b = 0; b < x->shape[0]; b++) {
        const float *xb = x->data + (size_t)b * per;
        float *yb = t->data + (size_t)b * per;
        for (i = 0; i < per; i++) yb[i] = xb[i] + pe[i];
    }
}

static void eegnn__tr_addpos_bwd(eegnn_graph *g, eegnn_tensor *t) {
    eegnn_tensor *x = t->src[0], *w = t->src[1];
    size_t per = (size_t)x->shape[1] * x->shape[2], i;
    int b;
    (void)g;
    for (b = 0; b < x->shape[0]; b++) {
        const float *dy = t->grad + (size_t)b * per;
        if (x->grad)
            for (i = 0; i < per; i++) x->grad[(size_t)b * per + i] += dy[i];
        if (w && w->grad)
            for (i = 0; i < per; i++) w->grad[i] += dy[i];
    }
}

/* ---- layers ---- */

EEGNN_API eegnn_tensor *eegnn_nn_layer_norm(eegnn_graph *g, eegnn_tensor *x, int normalized_shape, float eps,
                                            const char *prefix) {
    eegnn_tensor *w, *b;
    int i;
    if (!g || !x) return NULL;
    if (x->ndim < 1 || x->shape[x->ndim - 1] != normalized_shape) {
        char s[64];
        eegnn_set_error(EEGNN_ERR_ARG, "layer_norm '%s': input %s does not end in normalized_shape=%d",
                        prefix ? prefix : "", eegnn_shape_str(x, s, sizeof s), normalized_shape);
        return NULL;
    }
    w = eegnn__nn_param(g, "layer_norm", prefix, "weight", 1, &normalized_shape);
    b = w ? eegnn__nn_param(g, "layer_norm", prefix, "bias", 1, &normalized_shape) : NULL;
    if (!b) return NULL;
    for (i = 0; i < normalized_shape; i++) w->data[i] = 1.0f;
    return eegnn_layer_norm(g, x, w, b, eps);
}

EEGNN_API eegnn_tensor *eegnn_nn_multihead_attention(eegnn_graph *g, eegnn_tensor *x, int embed_dim, int num_heads,
                                                     float dropout, eegnn_tensor *key_padding_mask,
                                                     const char *prefix) {
    eegnn_tensor *w_in, *b_in, *w_out, *b_out, *h;
    int ws[2], n3 = 3 * embed_dim;
    if (!g || !x) return NULL;
    if (x->ndim != 3 || x->shape[2] != embed_dim || num_heads <= 0 || embed_dim % num_heads) {
        char s[64];
        eegnn_set_error(EEGNN_ERR_ARG, "multihead_attention '%s': input %s, embed_dim=%d, num_heads=%d (expected "
                        "(batch, time, embed_dim) and num_heads dividing embed_dim)",
                        prefix ? prefix : "", eegnn_shape_str(x, s, sizeof s), embed_dim, num_heads);
        return NULL;
    }
    ws[0] = n3;
    ws[1] = embed_dim;
    w_in = eegnn__nn_param(g, "multihead_attention", prefix, "in_proj_weight", 2, ws);
    b_in = w_in ? eegnn__nn_param(g, "multihead_attention", prefix, "in_proj_bias", 1, &n3) : NULL;
    if (!b_in) return NULL;
    /* xavier_uniform_: U(+-sqrt(6 / (fan_in + fan_out))) */
    eegnn_nn_init_uniform(g, w_in, (float)sqrt(6.0 / (double)(embed_dim + n3)));
    ws[0] = embed_dim;
    w_out = eegnn__nn_param(g, "multihead_attention", prefix, "out_proj.weight", 2, ws);
    b_out = w_out ? eegnn__nn_param(g, "multihead_attention", prefix, "out_proj.bias", 1, &embed_dim) : NULL;
    if (!b_out) return NULL;
    eegnn_nn_init_uniform(g, w_out, (float)(1.0 / sqrt((double)embed_dim)));
    h = eegnn_linear(g, x, w_in, b_in); /* (B, T, 3E) = [q | k | v] */
    h = eegnn_scaled_dot_product_attention_qkv(g, h, num_heads, key_padding_mask, dropout);
    h = eegnn_linear(g, h, w_out, b_out);
    return h;
}

EEGNN_API eegnn_encoder_layer_config eegnn_encoder_layer_config_default(int d_model, int nhead) {
    eegnn_encoder_layer_config c;
    memset(&c, 0, sizeof c);
    c.d_model = d_model;
    c.nhead = nhead;
    c.dropout = EEGNN_UNSET;
    return c;
}

EEGNN_API eegnn_tensor *eegnn_nn_transformer_encoder_layer(eegnn_graph *g, eegnn_tensor *x,
                                                           const eegnn_encoder_layer_config *cfg,
                                                           eegnn_tensor *key_padding_mask, const char *prefix) {
    char name[EEGNN_NAME_MAX];
    eegnn_tensor *h, *sa, *ff;
    int e, ff_dim;
    float p, eps;
    if (!g || !x) return NULL;
    if (!cfg || cfg->d_model <= 0 || cfg->nhead <= 0 || cfg->d_model % cfg->nhead || cfg->dim_feedforward < 0 ||
        x->ndim != 3 || x->shape[2] != cfg->d_model) {
        char s[64];
        eegnn_set_error(EEGNN_ERR_ARG, "transformer_encoder_layer '%s': input %s, d_model=%d, nhead=%d, "
                        "dim_feedforward=%d (expected (batch, time, d_model), nhead dividing d_model)",
                        prefix ? prefix : "", eegnn_shape_str(x, s, sizeof s), cfg ? cfg->d_model : 0,
                        cfg ? cfg->nhead : 0, cfg ? cfg->dim_feedforward : 0);
        return NULL;
    }
    e = cfg->d_model;
    ff_dim = cfg->dim_feedforward > 0 ? cfg->dim_feedforward : 2048;
    p = EEGNN__UNSET_OR(cfg->dropout, 0.1f);
    eps = cfg->layer_norm_eps > 0.0f ? cfg->layer_norm_eps : 1e-5f;
    if (!(p >= 0.0f && p < 1.0f)) {
        eegnn_set_error(EEGNN_ERR_ARG, "transformer_encoder_layer '%s': dropout %g must be in [0, 1)",
                        prefix ? prefix : "", (double)p);
        return NULL;
    }
    if (cfg->norm_first) {
        eegnn_tensor *n1 = eegnn_nn_layer_norm(g, x, e, eps, eegnn__param_name(name, prefix, "norm1"));
        sa = eegnn_nn_multihead_attention(g, n1, e, cfg->nhead, p, key_padding_mask,
                                          eegnn__param_name(name, prefix, "self_attn"));
    } else {
        sa = eegnn_nn_multihead_attention(g, x, e, cfg->nhead, p, key_padding_mask,
                                          eegnn__param_name(name, prefix, "self_attn"));
    }
    if (p > 0.0f) sa = eegnn_dropout(g, sa, p); /* dropout1 */
    h = eegnn_add(g, x, sa);
    if (!cfg->norm_first) h = eegnn_nn_layer_norm(g, h, e, eps, eegnn__param_name(name, prefix, "norm1"));
    ff = cfg->norm_first ? eegnn_nn_layer_norm(g, h, e, eps, eegnn__param_name(name, prefix, "norm2")) : h;
    ff = eegnn_nn_linear(g, ff, e, ff_dim, 1, eegnn__param_name(name, prefix, "linear1"));
    ff = cfg->gelu ? eegnn_gelu(g, ff) : eegnn_relu(g, ff);
    if (p > 0.0f) ff = eegnn_dropout(g, ff, p); /* dropout */
    ff = eegnn_nn_linear(g, ff, ff_dim, e, 1, eegnn__param_name(name, prefix, "linear2"));
    if (p > 0.0f) ff = eegnn_dropout(g, ff, p); /* dropout2 */
    h = eegnn_add(g, h, ff);
    if (!cfg->norm_first) h = eegnn_nn_layer_norm(g, h, e, eps, eegnn__param_name(name, prefix, "norm2"));
    return h;
}

EEGNN_API eegnn_tensor *eegnn_sinusoidal_positional_encoding(eegnn_graph *g, eegnn_tensor *x) {
    eegnn_tensor *src[1], *t;
    int n, e, pos, i;
    if (!g || !x) return NULL;
    if (x->ndim != 3 || x->shape[2] % 2) {
        char s[64];
        eegnn_set_error(EEGNN_ERR_ARG, "sinusoidal_positional_encoding: x %s, expected (batch, time, even width)",
                        eegnn_shape_str(x, s, sizeof s));
        return NULL;
    }
    n = x->shape[1];
    e = x->shape[2];
    src[0] = x;
    t = eegnn_graph_new_op(g, EEGNN_OP_POSITIONAL_ENCODING, 3, x->shape, src, 1);
    if (!t) return NULL;
    t->aux_len = (size_t)n * e;
    t->aux = (float *)eegnn_graph_alloc(g, t->aux_len * sizeof(float));
    if (!t->aux) return NULL;
    /* div_term = exp(2i * (-ln(10000) / E)), as the PyTorch tutorial computes it */
    for (i = 0; i < e; i += 2) {
        double div = exp((double)i * (-log(10000.0) / (double)e));
        for (pos = 0; pos < n; pos++) {
            t->aux[(size_t)pos * e + i] = (float)sin(pos * div);
            t->aux[(size_t)pos * e + i + 1] = (float)cos(pos * div);
        }
    }
    t->forward = eegnn__tr_addpos_fwd;
    t->backward = eegnn__tr_addpos_bwd;
    return t;
}

EEGNN_API eegnn_tensor *eegnn_nn_positional_embedding(eegnn_graph *g, eegnn_tensor *x, int max_len,
                                                      const char *prefix) {
    eegnn_tensor *src[2], *w, *t;
    eegnn_rng *rng;
    int ws[2];
    size_t i;
    if (!g || !x) return NULL;
    if (x->ndim != 3 || x->shape[1] > max_len) {
        char s[64];
        eegnn_set_error(EEGNN_ERR_ARG, "positional_embedding '%s': x %s, expected (batch, time <= max_len=%d, "
                        "width)",
                        prefix ? prefix : "", eegnn_shape_str(x, s, sizeof s), max_len);
        return NULL;
    }
    ws[0] = max_len;
    ws[1] = x->shape[2];
    w = eegnn__nn_param(g, "positional_embedding", prefix, "weight", 2, ws);
    if (!w) return NULL;
    rng = eegnn_graph_rng(g);
    for (i = 0; i < w->numel; i++) w->data[i] = eegnn_rng_normal(rng);
    src[0] = x;
    src[1] = w;
    t = eegnn_graph_new_op(g, EEGNN_OP_POSITIONAL_EMBEDDING, 3, x->shape, src, 2);
    if (!t) return NULL;
    t->forward = eegnn__tr_addpos_fwd;
    t->backward = eegnn__tr_addpos_bwd;
    return t;
}

/* ---- models ---- */

EEGNN_API eegnn_tensor *eegnn_model_eeg_transformer(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    eegnn_model_config c;
    eegnn_encoder_layer_config lc;
    eegnn_tensor *h;
    char name[EEGNN_NAME_MAX];
    float drop;
    int i, n_layers, perm[3] = {0, 2, 1};
    if (!g || !x) return NULL;
    drop = cfg ? EEGNN__UNSET_OR(cfg->drop_prob, 0.1f) : 0.1f;
    if (eegnn__model_shape("EEGTransformer", x, cfg, &c)) return NULL;
    lc = eegnn_encoder_layer_config_default(c.d_model > 0 ? c.d_model : 128, c.n_heads > 0 ? c.n_heads : 8);
    lc.dim_feedforward = c.dim_feedforward > 0 ? c.dim_feedforward : 2 * lc.d_model;
    lc.dropout = drop;
    lc.gelu = EEGNN__UNSET_OR(c.gelu, 1);
    lc.norm_first = EEGNN__UNSET_OR(c.norm_first, 1);
    n_layers = c.n_layers > 0 ? c.n_layers : 6;
    if (lc.d_model % lc.nhead || lc.d_model % 2 || drop >= 1.0f) {
        eegnn_set_error(EEGNN_ERR_ARG, "model 'EEGTransformer': d_model=%d must be even and divisible by "
                        "n_heads=%d; drop_prob=%g must be below 1",
                        lc.d_model, lc.nhead, (double)drop);
        return NULL;
    }
    h = eegnn_permute(g, x, perm); /* (B, n_times, n_chans) */
    h = eegnn_nn_linear(g, h, c.n_chans, lc.d_model, 1, "channel_projection");
    h = eegnn_sinusoidal_positional_encoding(g, h);
    for (i = 0; i < n_layers; i++) {
        snprintf(name, sizeof name, "encoder.layers.%d", i);
        h = eegnn_nn_transformer_encoder_layer(g, h, &lc, NULL, name);
    }
    h = eegnn_mean_dim(g, h, 1, 0); /* (B, d_model) */
    h = eegnn_nn_layer_norm(g, h, lc.d_model, 1e-5f, "norm");
    return eegnn_nn_linear(g, h, lc.d_model, c.n_outputs, 1, "final_layer");
}

/* torch.nn.Conv2d(in, out, (kh, kw)) with bias and default init:
 * "<prefix>.weight" (out, in, kh, kw), "<prefix>.bias" (out), both from
 * U(+-1/sqrt(in * kh * kw)). */
static eegnn_tensor *eegnn__tr_conv2d(eegnn_graph *g, eegnn_tensor *x, int in, int out, int kh, int kw,
                                      const char *prefix) {
    eegnn_tensor *w, *b;
    int ws[4];
    float bound = (float)(1.0 / sqrt((double)in * kh * kw));
    if (!g || !x) return NULL;
    ws[0] = out;
    ws[1] = in;
    ws[2] = kh;
    ws[3] = kw;
    w = eegnn__nn_param(g, "conv2d", prefix, "weight", 4, ws);
    b = w ? eegnn__nn_param(g, "conv2d", prefix, "bias", 1, &out) : NULL;
    if (!b) return NULL;
    eegnn_nn_init_uniform(g, w, bound);
    eegnn_nn_init_uniform(g, b, bound);
    return eegnn_conv2d(g, x, w, b, NULL);
}

/* braindecode's MultiHeadAttention (braindecode/modules/attention.py at
 * eb3ddee): separate "keys", "queries", "values" linears, heads of
 * emb_size / heads columns, F.scaled_dot_product_attention (softmax(q k^T /
 * sqrt(head_dim)) with dropout p on the weights), "projection" linear. */
static eegnn_tensor *eegnn__conformer_attention(eegnn_graph *g, eegnn_tensor *x, int e, int heads, float p,
                                                const char *prefix) {
    char name[EEGNN_NAME_MAX];
    eegnn_tensor *k, *q, *v, *h;
    k = eegnn_nn_linear(g, x, e, e, 1, eegnn__param_name(name, prefix, "keys"));
    q = eegnn_nn_linear(g, x, e, e, 1, eegnn__param_name(name, prefix, "queries"));
    v = eegnn_nn_linear(g, x, e, e, 1, eegnn__param_name(name, prefix, "values"));
    h = eegnn_scaled_dot_product_attention(g, q, k, v, heads, NULL, p);
    return eegnn_nn_linear(g, h, e, e, 1, eegnn__param_name(name, prefix, "projection"));
}

EEGNN_API eegnn_tensor *eegnn_model_eeg_conformer(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    eegnn_model_config c;
    eegnn_tensor *h, *r;
    char name[EEGNN_NAME_MAX];
    int f, k, pool, stride, depth, heads, t_conv, n_patches, i, s4[4], s3[3], perm[3] = {0, 2, 1};
    float drop, att_drop;
    if (!g || !x) return NULL;
    drop = cfg ? EEGNN__UNSET_OR(cfg->drop_prob, 0.5f) : 0.5f;
    att_drop = drop;
    if (eegnn__model_shape("EEGConformer", x, cfg, &c)) return NULL;
    f = c.n_filters > 0 ? c.n_filters : 40;
    k = c.kernel_size > 0 ? c.kernel_size : 25;
    pool = c.pool_size > 0 ? c.pool_size : 75;
    stride = c.pool_stride > 0 ? c.pool_stride : 15;
    depth = c.n_layers > 0 ? c.n_layers : 6;
    heads = c.n_heads > 0 ? c.n_heads : 10;
    t_conv = c.n_times - k + 1;
    if (t_conv < pool || f % heads) {
        eegnn_set_error(EEGNN_ERR_ARG, "model 'EEGConformer': n_times=%d is shorter than filter_time_length - 1 + "
                        "pool_time_length = %d, or att_heads=%d does not divide n_filters_time=%d",
                        c.n_times, k - 1 + pool, heads, f);
        return NULL;
    }
    n_patches = (t_conv - pool) / stride + 1;
    /* patch embedding: x.unsqueeze(1) (B, 1, C, T) */
    s4[0] = x->shape[0];
    s4[1] = 1;
    s4[2] = c.n_chans;
    s4[3] = c.n_times;
    h = eegnn_reshape(g, x, 4, s4);
    h = eegnn__tr_conv2d(g, h, 1, f, 1, k, "patch_embedding.shallownet.0");          /* (B, f, C, t_conv) */
    h = eegnn__tr_conv2d(g, h, f, f, c.n_chans, 1, "patch_embedding.shallownet.1");  /* (B, f, 1, t_conv) */
    s3[0] = x->shape[0];
    s3[1] = f;
    s3[2] = t_conv;
    h = eegnn_reshape(g, h, 3, s3);
    h = eegnn_nn_batch_norm1d(g, h, f, 0.1f, 1e-5f, "patch_embedding.shallownet.2"); /* BatchNorm2d over f */
    h = eegnn_elu(g, h, 1.0f);
    h = eegnn_avg_pool1d(g, h, pool, stride, 0); /* AvgPool2d((1, pool), (1, stride)) */
    if (drop > 0.0f) h = eegnn_dropout(g, h, drop);
    s4[1] = f;
    s4[2] = 1;
    s4[3] = n_patches;
    h = eegnn_reshape(g, h, 4, s4);
    h = eegnn__tr_conv2d(g, h, f, f, 1, 1, "patch_embedding.projection.0");
    s3[2] = n_patches;
    h = eegnn_reshape(g, h, 3, s3);
    h = eegnn_permute(g, h, perm); /* "b d_model 1 seq -> b seq d_model": (B, n_patches, f) */
    /* transformer: pre-norm residual blocks as in ViT */
    for (i = 0; i < depth; i++) {
        char pre[48];
        snprintf(pre, sizeof pre, "transformer.%d.0.fn.1", i);
        snprintf(name, sizeof name, "transformer.%d.0.fn.0", i);
        r = eegnn_nn_layer_norm(g, h, f, 1e-5f, name);
        r = eegnn__conformer_attention(g, r, f, heads, att_drop, pre);
        if (att_drop > 0.0f) r = eegnn_dropout(g, r, att_drop);
        h = eegnn_add(g, h, r);
        snprintf(pre, sizeof pre, "transformer.%d.1.fn", i);
        r = eegnn_nn_layer_norm(g, h, f, 1e-5f, eegnn__param_name(name, pre, "0"));
        r = eegnn_gelu(g, eegnn_nn_linear(g, r, f, 4 * f, 1, eegnn__param_name(name, pre, "1.0")));
        if (att_drop > 0.0f) r = eegnn_dropout(g, r, att_drop);
        r = eegnn_nn_linear(g, r, 4 * f, f, 1, eegnn__param_name(name, pre, "1.3"));
        if (att_drop > 0.0f) r = eegnn_dropout(g, r, att_drop);
        h = eegnn_add(g, h, r);
    }
    /* fully connected head */
    h = eegnn_flatten(g, h); /* (B, n_patches * f) */
    h = eegnn_elu(g, eegnn_nn_linear(g, h, n_patches * f, 256, 1, "fc.fc.0"), 1.0f);
    if (drop > 0.0f) h = eegnn_dropout(g, h, 0.5f);
    h = eegnn_elu(g, eegnn_nn_linear(g, h, 256, 32, 1, "fc.fc.3"), 1.0f);
    if (drop > 0.0f) h = eegnn_dropout(g, h, 0.3f);
    return eegnn_nn_linear(g, h, 32, c.n_outputs, 1, "final_layer");
}
