/* Layers with PyTorch's default initialisation, and the built-in models. */

/* "<prefix>.<leaf>" into buf (prefix NULL or "": just the leaf). */
static const char *eegnn__param_name(char *buf, const char *prefix, const char *leaf) {
    if (prefix && *prefix) snprintf(buf, EEGNN_NAME_MAX, "%s.%s", prefix, leaf);
    else snprintf(buf, EEGNN_NAME_MAX, "%s", leaf);
    return buf;
}

EEGNN_API void eegnn_nn_init_uniform(eegnn_graph *g, eegnn_tensor *t, float bound) {
    eegnn_rng *rng;
    size_t i;
    if (!g || !t) return;
    rng = eegnn_graph_rng(g);
    for (i = 0; i < t->numel; i++) t->data[i] = bound * (2.0f * eegnn_rng_uniform(rng) - 1.0f);
}

/* New parameter "<prefix>.<leaf>" of the given shape, unless the name is taken. */
static eegnn_tensor *eegnn__nn_param(eegnn_graph *g, const char *layer, const char *prefix, const char *leaf,
                                     int ndim, const int *shape) {
    char name[EEGNN_NAME_MAX];
    eegnn__param_name(name, prefix, leaf);
    if (eegnn_graph_find(g, name)) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: a tensor named '%s' already exists (give each layer its own prefix)",
                        layer, name);
        return NULL;
    }
    return eegnn_param(g, name, ndim, shape);
}

EEGNN_API eegnn_tensor *eegnn_nn_linear(eegnn_graph *g, eegnn_tensor *x, int in_features, int out_features,
                                        int bias, const char *prefix) {
    eegnn_tensor *w, *b = NULL;
    int ws[2];
    float bound;
    if (!g || !x) return NULL;
    if (x->ndim < 1 || x->shape[x->ndim - 1] != in_features || out_features <= 0) {
        char s[64];
        eegnn_set_error(EEGNN_ERR_ARG, "linear '%s': input %s does not end in in_features=%d (out_features=%d)",
                        prefix ? prefix : "", eegnn_shape_str(x, s, sizeof s), in_features, out_features);
        return NULL;
    }
    ws[0] = out_features;
    ws[1] = in_features;
    w = eegnn__nn_param(g, "linear", prefix, "weight", 2, ws);
    if (!w) return NULL;
    bound = (float)(1.0 / sqrt((double)in_features));
    eegnn_nn_init_uniform(g, w, bound);
    if (bias) {
        b = eegnn__nn_param(g, "linear", prefix, "bias", 1, &out_features);
        if (!b) return NULL;
        eegnn_nn_init_uniform(g, b, bound);
    }
    return eegnn_linear(g, x, w, b);
}

EEGNN_API eegnn_tensor *eegnn_nn_conv1d(eegnn_graph *g, eegnn_tensor *x, int in_channels, int out_channels,
                                        int kernel_size, int bias, const eegnn_conv1d_params *p,
                                        const char *prefix) {
    eegnn_tensor *w, *b = NULL;
    int ws[3], groups = p && p->groups > 0 ? p->groups : 1;
    float bound;
    if (!g || !x) return NULL;
    if (x->ndim != 3 || x->shape[1] != in_channels || out_channels <= 0 || kernel_size <= 0 ||
        in_channels % groups || out_channels % groups) {
        char s[64];
        eegnn_set_error(EEGNN_ERR_ARG,
                        "conv1d '%s': input %s, in_channels=%d, out_channels=%d, kernel_size=%d, groups=%d "
                        "(expected (batch, in_channels, time) and channels divisible by groups)",
                        prefix ? prefix : "", eegnn_shape_str(x, s, sizeof s), in_channels, out_channels,
                        kernel_size, groups);
        return NULL;
    }
    ws[0] = out_channels;
    ws[1] = in_channels / groups;
    ws[2] = kernel_size;
    w = eegnn__nn_param(g, "conv1d", prefix, "weight", 3, ws);
    if (!w) return NULL;
    bound = (float)(1.0 / sqrt((double)ws[1] * (double)kernel_size));
    eegnn_nn_init_uniform(g, w, bound);
    if (bias) {
        b = eegnn__nn_param(g, "conv1d", prefix, "bias", 1, &out_channels);
        if (!b) return NULL;
        eegnn_nn_init_uniform(g, b, bound);
    }
    return eegnn_conv1d(g, x, w, b, p);
}

/* The parameters "<prefix>.weight" (ones), "<prefix>.bias" (zeros) and
 * buffers "<prefix>.running_mean" (zeros), "<prefix>.running_var" (ones)
 * of a batch norm over num_features channels, created in that order (as
 * torch.nn.BatchNorm*d). Returns 0 (error set) on a name clash or a full
 * arena. */
static int eegnn__nn_batch_norm_params(eegnn_graph *g, int num_features, const char *prefix, eegnn_tensor **w,
                                       eegnn_tensor **b, eegnn_tensor **rm, eegnn_tensor **rv) {
    char name[EEGNN_NAME_MAX];
    int c;
    *w = eegnn__nn_param(g, "batch_norm1d", prefix, "weight", 1, &num_features);
    *b = *w ? eegnn__nn_param(g, "batch_norm1d", prefix, "bias", 1, &num_features) : NULL;
    if (!*b) return 0;
    *rm = eegnn_buffer(g, eegnn__param_name(name, prefix, "running_mean"), 1, &num_features);
    *rv = *rm ? eegnn_buffer(g, eegnn__param_name(name, prefix, "running_var"), 1, &num_features) : NULL;
    if (!*rv) return 0;
    for (c = 0; c < num_features; c++) {
        (*w)->data[c] = 1.0f;
        (*rv)->data[c] = 1.0f;
    }
    return 1;
}

EEGNN_API eegnn_tensor *eegnn_nn_batch_norm1d(eegnn_graph *g, eegnn_tensor *x, int num_features, float momentum,
                                              float eps, const char *prefix) {
    eegnn_tensor *w, *b, *rm, *rv;
    if (!g || !x) return NULL;
    if (x->ndim < 2 || x->shape[1] != num_features) {
        char s[64];
        eegnn_set_error(EEGNN_ERR_ARG, "batch_norm '%s': input %s, expected (batch, %d, ...)", prefix ? prefix : "",
                        eegnn_shape_str(x, s, sizeof s), num_features);
        return NULL;
    }
    if (momentum == 0.0f) momentum = 0.1f;
    if (eps == 0.0f) eps = 1e-5f;
    if (!eegnn__nn_batch_norm_params(g, num_features, prefix, &w, &b, &rm, &rv)) return NULL;
    return eegnn_batch_norm(g, x, w, b, rm, rv, momentum, eps);
}

EEGNN_API eegnn_model_config eegnn_model_config_default(void) {
    eegnn_model_config c;
    memset(&c, 0, sizeof c);
    c.drop_prob = EEGNN_UNSET;
    c.norm_first = EEGNN_UNSET;
    c.gelu = EEGNN_UNSET;
    return c;
}

EEGNN_API eegnn_status eegnn_model_config_check(const eegnn_model_config *c) {
    if (!c) return EEGNN_OK;
    if (c->drop_prob != EEGNN_UNSET && !(c->drop_prob >= 0.0f && c->drop_prob < 1.0f))
        return eegnn_set_error(EEGNN_ERR_ARG, "model_config.drop_prob %g is not in [0, 1) (0: no dropout; "
                               "EEGNN_UNSET: the model's default)", (double)c->drop_prob);
    if ((c->norm_first != EEGNN_UNSET && c->norm_first != 0 && c->norm_first != 1) ||
        (c->gelu != EEGNN_UNSET && c->gelu != 0 && c->gelu != 1))
        return eegnn_set_error(EEGNN_ERR_ARG, "model_config.norm_first %d and gelu %d must be 0, 1 or EEGNN_UNSET "
                               "(the model's default)", c->norm_first, c->gelu);
    if (c->n_chans < 0 || c->n_outputs < 0 || c->n_times < 0 || c->n_filters < 0 || c->kernel_size < 0 ||
        c->hidden < 0 || c->pool_size < 0 || c->pool_stride < 0 || c->d_model < 0 || c->n_heads < 0 ||
        c->n_layers < 0 || c->dim_feedforward < 0 || c->F1 < 0 || c->D < 0 || c->F2 < 0 || !(c->sfreq >= 0.0f))
        return eegnn_set_error(EEGNN_ERR_ARG, "model_config: sizes and sfreq must be >= 0 (0: the default)");
    return EEGNN_OK;
}

/* Resolves n_chans / n_times / n_outputs against x (B, C, T). */
static eegnn_status eegnn__model_shape(const char *model, eegnn_tensor *x, const eegnn_model_config *cfg,
                                       eegnn_model_config *c) {
    char s[64];
    *c = cfg ? *cfg : eegnn_model_config_default();
    if (eegnn_model_config_check(c))
        return eegnn_set_error(EEGNN_ERR_ARG, "model '%s': %s", model, eegnn_last_error());
    if (x->ndim != 3)
        return eegnn_set_error(EEGNN_ERR_ARG, "model '%s': input %s, expected (batch, n_chans, n_times)", model,
                               eegnn_shape_str(x, s, sizeof s));
    if (!c->n_chans) c->n_chans = x->shape[1];
    if (!c->n_times) c->n_times = x->shape[2];
    if (!c->n_outputs) c->n_outputs = 1;
    if (c->n_chans != x->shape[1] || c->n_times != x->shape[2] || c->n_outputs < 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "model '%s': input %s does not match n_chans=%d, n_times=%d "
                                              "(n_outputs=%d)",
                               model, eegnn_shape_str(x, s, sizeof s), c->n_chans, c->n_times, c->n_outputs);
    c->drop_prob = EEGNN__UNSET_OR(c->drop_prob, 0.5f); /* the cnn, mlp, shallow and BandPowerMLP default */
    return EEGNN_OK;
}

EEGNN_API eegnn_tensor *eegnn_model_cnn(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    eegnn_model_config c;
    eegnn_tensor *h;
    int f, k;
    if (!g || !x || eegnn__model_shape("cnn", x, cfg, &c)) return NULL;
    f = c.n_filters > 0 ? c.n_filters : 64;
    k = c.kernel_size > 0 ? c.kernel_size : 7;
    if (c.n_times < 2 * (k - 1) + 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "model 'cnn': n_times=%d is shorter than two kernels of %d samples",
                        c.n_times, k);
        return NULL;
    }
    h = eegnn_relu(g, eegnn_nn_conv1d(g, x, c.n_chans, f, k, 1, NULL, "conv1"));
    h = eegnn_relu(g, eegnn_nn_conv1d(g, h, f, f, k, 1, NULL, "conv2"));
    h = eegnn_global_avg_pool(g, h);
    return eegnn_nn_linear(g, h, f, c.n_outputs, 1, "final_layer");
}

EEGNN_API eegnn_tensor *eegnn_model_mlp(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    eegnn_model_config c;
    eegnn_tensor *h;
    int hidden;
    if (!g || !x || eegnn__model_shape("mlp", x, cfg, &c)) return NULL;
    hidden = c.hidden > 0 ? c.hidden : 256;
    h = eegnn_flatten(g, x);
    h = eegnn_relu(g, eegnn_nn_linear(g, h, c.n_chans * c.n_times, hidden, 1, "fc1"));
    if (c.drop_prob > 0.0f) h = eegnn_dropout(g, h, c.drop_prob);
    return eegnn_nn_linear(g, h, hidden, c.n_outputs, 1, "final_layer");
}

EEGNN_API eegnn_tensor *eegnn_model_shallow(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    eegnn_model_config c;
    eegnn_tensor *h;
    int f, k, pool, stride, t_conv, t_pool;
    if (!g || !x || eegnn__model_shape("shallow", x, cfg, &c)) return NULL;
    f = c.n_filters > 0 ? c.n_filters : 40;
    k = c.kernel_size > 0 ? c.kernel_size : 25;
    pool = c.pool_size > 0 ? c.pool_size : 75;
    stride = c.pool_stride > 0 ? c.pool_stride : 15;
    t_conv = c.n_times - k + 1;
    if (t_conv < pool) {
        eegnn_set_error(EEGNN_ERR_ARG,
                        "model 'shallow': n_times=%d is shorter than kernel_size - 1 + pool_size = %d samples",
                        c.n_times, k - 1 + pool);
        return NULL;
    }
    t_pool = (t_conv - pool) / stride + 1;
    h = eegnn_nn_conv1d(g, x, c.n_chans, f, k, 0, NULL, "conv_time_spat");
    h = eegnn_elu(g, eegnn_nn_batch_norm1d(g, h, f, 0.1f, 1e-5f, "bnorm"), 1.0f);
    h = eegnn_avg_pool1d(g, h, pool, stride, 0);
    if (c.drop_prob > 0.0f) h = eegnn_dropout(g, h, c.drop_prob);
    h = eegnn_flatten(g, h);
    return eegnn_nn_linear(g, h, f * t_pool, c.n_outputs, 1, "final_layer");
}

