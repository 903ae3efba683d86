/* Optimizers and learning-rate schedules (torch.optim, PyTorch 1.13). */

#define EEGNN__OPT_MAX_GROUPS 8

struct eegnn_optimizer {
    eegnn_graph *graph;
    eegnn_optimizer_config cfg; /* resolved: defaults filled in; cfg.lr is group 0's lr */
    int n_params;
    eegnn_tensor **params; /* (n_params) */
    float **state1;        /* (n_params) first state per parameter: exp_avg or momentum_buffer */
    float **state2;        /* (n_params) exp_avg_sq or exp_inf; NULL for SGD */
    float **state3;        /* (n_params) max_exp_avg_sq with amsgrad; NULL otherwise */
    float *state;          /* one block holding every state array */
    long *param_step;      /* (n_params) steps taken by each parameter (torch's state["step"]) */
    int *group;            /* (n_params) parameter group of each parameter */
    int n_groups;
    double group_lr[EEGNN__OPT_MAX_GROUPS];  /* current lr of each group */
    double group_lr0[EEGNN__OPT_MAX_GROUPS]; /* lr each group was created with */
    float group_wd[EEGNN__OPT_MAX_GROUPS];
    int n_states;
    long step;
};

EEGNN_API eegnn_optimizer_config eegnn_optimizer_config_default(eegnn_optimizer_type type) {
    eegnn_optimizer_config c;
    memset(&c, 0, sizeof c);
    c.type = type;
    c.weight_decay = EEGNN_UNSET;
    c.beta1 = EEGNN_UNSET;
    c.beta2 = EEGNN_UNSET;
    return c;
}

EEGNN_API eegnn_optimizer *eegnn_optimizer_create(eegnn_graph *g, const eegnn_optimizer_config *cfg) {
    eegnn_optimizer_config c;
    eegnn_optimizer *opt;
    int i, n = 0, n_states;
    size_t total = 0, off = 0;
    if (!g) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_optimizer_create: graph is NULL");
        return NULL;
    }
    c = cfg ? *cfg : eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    if (c.type != EEGNN_OPTIM_ADAMW && c.type != EEGNN_OPTIM_ADAM && c.type != EEGNN_OPTIM_SGD &&
        c.type != EEGNN_OPTIM_ADAMAX) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_optimizer_create: unknown optimizer type %d", (int)c.type);
        return NULL;
    }
    if (c.lr < 0.0f || !(c.lr == c.lr) || c.eps < 0.0f || c.momentum < 0.0f || c.dampening < 0.0f) {
        eegnn_set_error(EEGNN_ERR_ARG,
                        "eegnn_optimizer_create: invalid lr %g, eps %g, momentum %g or dampening %g "
                        "(each must be >= 0)",
                        (double)c.lr, (double)c.eps, (double)c.momentum, (double)c.dampening);
        return NULL;
    }
    if (c.lr == 0.0f) c.lr = c.type == EEGNN_OPTIM_ADAMAX ? 2e-3f : 1e-3f;
    c.weight_decay = EEGNN__UNSET_OR(c.weight_decay, c.type == EEGNN_OPTIM_ADAMW ? 1e-2f : 0.0f);
    c.beta1 = EEGNN__UNSET_OR(c.beta1, 0.9f);
    c.beta2 = EEGNN__UNSET_OR(c.beta2, 0.999f);
    if (c.eps == 0.0f) c.eps = 1e-8f;
    if (!(c.weight_decay >= 0.0f)) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_optimizer_create: weight_decay %g must be >= 0 (0: none; "
                                       "EEGNN_UNSET: the type's default)",
                        (double)c.weight_decay);
        return NULL;
    }
    if (!(c.beta1 >= 0.0f && c.beta1 < 1.0f) || !(c.beta2 >= 0.0f && c.beta2 < 1.0f)) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_optimizer_create: betas (%g, %g) must lie in [0, 1)",
                        (double)c.beta1, (double)c.beta2);
        return NULL;
    }
    if (c.type == EEGNN_OPTIM_SGD && c.nesterov && (c.momentum <= 0.0f || c.dampening != 0.0f)) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_optimizer_create: Nesterov momentum requires a momentum and "
                                       "zero dampening");
        return NULL;
    }
    if (c.type != EEGNN_OPTIM_ADAM && c.type != EEGNN_OPTIM_ADAMW) c.amsgrad = 0;
    n = eegnn_graph_n_params(g);
    if (n == 0) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_optimizer_create: the graph has no parameters");
        return NULL;
    }
    n_states = c.type == EEGNN_OPTIM_SGD ? (c.momentum > 0.0f) : 2 + (c.amsgrad != 0);

    opt = (eegnn_optimizer *)eegnn__calloc(1, sizeof *opt);
    if (!opt) return NULL;
    opt->graph = g;
    opt->cfg = c;
    opt->n_params = n;
    opt->params = (eegnn_tensor **)eegnn__calloc((size_t)n, sizeof(eegnn_tensor *));
    opt->state1 = (float **)eegnn__calloc((size_t)n, sizeof(float *));
    opt->state2 = (float **)eegnn__calloc((size_t)n, sizeof(float *));
    opt->state3 = (float **)eegnn__calloc((size_t)n, sizeof(float *));
    opt->param_step = (long *)eegnn__calloc((size_t)n, sizeof(long));
    opt->group = (int *)eegnn__calloc((size_t)n, sizeof(int));
    opt->n_groups = 1;
    opt->group_lr[0] = opt->group_lr0[0] = c.lr;
    opt->group_wd[0] = c.weight_decay;
    opt->n_states = n_states;
    if (!opt->params || !opt->state1 || !opt->state2 || !opt->state3 || !opt->param_step || !opt->group) {
        eegnn_optimizer_free(opt);
        return NULL;
    }
    n = 0;
    for (i = 0; i < eegnn_graph_n_params(g); i++) {
        eegnn_tensor *p = eegnn_graph_param(g, i);
        opt->params[n++] = p;
        total += p->numel * (size_t)n_states;
    }
    if (total) {
        opt->state = (float *)eegnn__calloc(total, sizeof(float));
        if (!opt->state) {
            eegnn_optimizer_free(opt);
            return NULL;
        }
    }
    for (i = 0; i < n; i++) {
        size_t m = opt->params[i]->numel;
        if (n_states >= 1) opt->state1[i] = opt->state + off, off += m;
        if (n_states >= 2) opt->state2[i] = opt->state + off, off += m;
        if (n_states >= 3) opt->state3[i] = opt->state + off, off += m;
    }
    return opt;
}

EEGNN_API void eegnn_optimizer_free(eegnn_optimizer *opt) {
    if (!opt) return;
    EEGNN_FREE(opt->params);
    EEGNN_FREE(opt->state1);
    EEGNN_FREE(opt->state2);
    EEGNN_FREE(opt->state3);
    EEGNN_FREE(opt->state);
    EEGNN_FREE(opt->param_step);
    EEGNN_FREE(opt->group);
    EEGNN_FREE(opt);
}

EEGNN_API void eegnn_optimizer_reset(eegnn_optimizer *opt) {
    int i;
    size_t total = 0;
    if (!opt) return;
    for (i = 0; i < opt->n_params; i++) total += opt->params[i]->numel * (size_t)opt->n_states;
    if (total) memset(opt->state, 0, total * sizeof(float));
    memset(opt->param_step, 0, (size_t)opt->n_params * sizeof(long));
    opt->step = 0;
}

EEGNN_API void eegnn_optimizer_zero_grad(eegnn_optimizer *opt) {
    int i;
    if (!opt) return;
    for (i = 0; i < opt->n_params; i++)
        if (opt->params[i]->grad)
            eegnn_graph_zero(opt->graph, opt->params[i]->grad, opt->params[i]->numel * sizeof(float));
}

EEGNN_API void eegnn_optimizer_set_lr(eegnn_optimizer *opt, float lr) {
    int k;
    if (!opt) return;
    opt->cfg.lr = lr;
    opt->group_lr[0] = lr;
    for (k = 1; k < opt->n_groups; k++)
        opt->group_lr[k] = opt->group_lr0[0] > 0.0 ? opt->group_lr0[k] * ((double)lr / opt->group_lr0[0]) : lr;
}
EEGNN_API float eegnn_optimizer_get_lr(const eegnn_optimizer *opt) { return opt ? opt->cfg.lr : 0.0f; }

EEGNN_API void eegnn_optimizer_set_group_lr(eegnn_optimizer *opt, int group, float lr) {
    if (!opt || group < 0 || group >= opt->n_groups) return;
    opt->group_lr[group] = lr;
    if (group == 0) opt->cfg.lr = lr;
}
EEGNN_API float eegnn_optimizer_get_group_lr(const eegnn_optimizer *opt, int group) {
    return opt && group >= 0 && group < opt->n_groups ? (float)opt->group_lr[group] : 0.0f;
}
EEGNN_API int eegnn_optimizer_n_groups(const eegnn_optimizer *opt) { return opt ? opt->n_groups : 0; }

EEGNN_API int eegnn_optimizer_add_group(eegnn_optimizer *opt, const char *prefix, float lr, float weight_decay) {
    int i, k, n = 0;
    size_t len;
    if (!opt || !prefix || !*prefix) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_optimizer_add_group: optimizer or prefix is NULL or empty");
        return -1;
    }
    if (opt->n_groups >= EEGNN__OPT_MAX_GROUPS) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_optimizer_add_group: '%s': at most %d groups", prefix,
                        EEGNN__OPT_MAX_GROUPS);
        return -1;
    }
    if ((lr != EEGNN_UNSET && !(lr >= 0.0f)) || (weight_decay != EEGNN_UNSET && !(weight_decay >= 0.0f))) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_optimizer_add_group: '%s': lr %g and weight_decay %g must be >= 0 "
                                       "(EEGNN_UNSET: group 0's)",
                        prefix, (double)lr, (double)weight_decay);
        return -1;
    }
    len = strlen(prefix);
    for (i = 0; i < opt->n_params; i++)
        if (!strncmp(opt->params[i]->name, prefix, len)) n++;
    if (!n) {
        eegnn_set_error(EEGNN_ERR_NOT_FOUND, "eegnn_optimizer_add_group: no parameter name starts with '%s'", prefix);
        return -1;
    }
    k = opt->n_groups++;
    for (i = 0; i < opt->n_params; i++)
        if (!strncmp(opt->params[i]->name, prefix, len)) opt->group[i] = k;
    opt->group_lr[k] = opt->group_lr0[k] = lr == EEGNN_UNSET ? opt->group_lr[0] : (double)lr;
    opt->group_wd[k] = EEGNN__UNSET_OR(weight_decay, opt->group_wd[0]);
    return k;
}

EEGNN_API eegnn_tensor *eegnn_optimizer_param(const eegnn_optimizer *opt, int i) {
    return opt && i >= 0 && i < opt->n_params ? opt->params[i] : NULL;
}

EEGNN_API float *eegnn_optimizer_state(const eegnn_optimizer *opt, int i, int k, const char **name) {
    static const char *const adam[3] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    static const char *const adamax[2] = {"exp_avg", "exp_inf"};
    if (!opt || i < 0 || i >= opt->n_params || k < 0 || k >= opt->n_states) return NULL;
    if (name)
        *name = opt->cfg.type == EEGNN_OPTIM_SGD ? "momentum_buffer"
                : opt->cfg.type == EEGNN_OPTIM_ADAMAX ? adamax[k] : adam[k];
    return k == 0 ? opt->state1[i] : k == 1 ? opt->state2[i] : opt->state3[i];
}

EEGNN_API long eegnn_optimizer_param_step(const eegnn_optimizer *opt, int i) {
    return opt && i >= 0 && i < opt->n_params ? opt->param_step[i] : 0;
}

EEGNN_API void eegnn_optimizer_set_param_step(eegnn_optimizer *opt, int i, long step) {
    if (opt && i >= 0 && i < opt->n_params) opt->param_step[i] = step;
}

EEGNN_API void eegnn_optimizer_set_step_count(eegnn_optimizer *opt, long step) {
    if (opt) opt->step = step;
}
EEGNN_API long eegnn_optimizer_step_count(const eegnn_optimizer *opt) { return opt ? opt->step : 0; }
EEGNN_API int eegnn_optimizer_n_params(const eegnn_optimizer *opt) { return opt ? opt->n_params : 0; }

/* torch.optim.SGD: d = g + wd * p; with momentum, buf = d on the first step,
 * else buf = momentum * buf + (1 - dampening) * d; d = nesterov ? d + momentum * buf : buf;
 * p -= lr * d. */
static void eegnn__sgd_update(const eegnn_optimizer_config *c, float lr, float wd, int first, float *p,
                              const float *g, float *buf, size_t n) {
    size_t j;
    float mom = c->momentum, damp = 1.0f - c->dampening;
    for (j = 0; j < n; j++) {
        float d = g[j];
        if (wd != 0.0f) d += wd * p[j];
        if (buf) {
            if (first) buf[j] = d;
            else buf[j] = buf[j] * mom + damp * d;
            d = c->nesterov ? d + mom * buf[j] : buf[j];
        }
        p[j] += -lr * d;
    }
}

/* torch.optim.Adam / AdamW: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). */
static void eegnn__adam_update(const eegnn_optimizer_config *c, float lr, float wd, long t, float *p,
                               const float *g, float *m, float *v, float *vmax, size_t n) {
    size_t j;
    double bc1 = 1.0 - pow((double)c->beta1, (double)t);
    double bc2 = 1.0 - pow((double)c->beta2, (double)t);
    float step_size = (float)((double)lr / bc1);
    float bc2_sqrt = (float)sqrt(bc2);
    float b1 = c->beta1, b2 = c->beta2, one_b1 = (float)(1.0 - (double)b1), one_b2 = (float)(1.0 - (double)b2);
    float eps = c->eps;
    int decoupled = c->type == EEGNN_OPTIM_ADAMW;
    float decay = decoupled ? (float)(1.0 - (double)lr * (double)wd) : 1.0f;
    for (j = 0; j < n; j++) {
        float gj = g[j], denom, s;
        if (decoupled) p[j] *= decay;
        else if (wd != 0.0f) gj += wd * p[j];
        m[j] = m[j] * b1 + one_b1 * gj;
        v[j] = v[j] * b2 + one_b2 * gj * gj;
        s = v[j];
        if (vmax) {
            if (vmax[j] < s) vmax[j] = s;
            s = vmax[j];
        }
        denom = sqrtf(s) / bc2_sqrt + eps;
        p[j] += -step_size * (m[j] / denom);
    }
}

/* torch.optim.Adamax: m = b1 m + (1 - b1) g; u = max(b2 u, |g| + eps);
 * p -= lr / (1 - b1^t) * m / u. */
static void eegnn__adamax_update(const eegnn_optimizer_config *c, float lr, float wd, long t, float *p,
                                 const float *g, float *m, float *u, size_t n) {
    size_t j;
    float clr = (float)((double)lr / (1.0 - pow((double)c->beta1, (double)t)));
    float b1 = c->beta1, b2 = c->beta2, one_b1 = (float)(1.0 - (double)b1), eps = c->eps;
    for (j = 0; j < n; j++) {
        float gj = g[j], a;
        if (wd != 0.0f) gj += wd * p[j];
        m[j] = m[j] * b1 + one_b1 * gj;
        a = fabsf(gj) + eps;
        u[j] = u[j] * b2;
        if (a > u[j]) u[j] = a;
        p[j] += -clr * (m[j] / u[j]);
    }
}

EEGNN_API eegnn_status eegnn_optimizer_step(eegnn_optimizer *opt) {
    int i, bad = -1;
    size_t bad_index = 0;
    const eegnn_optimizer_config *c;
    const eegnn_graph_hooks *hooks;
    if (!opt) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_optimizer_step: optimizer is NULL");
    c = &opt->cfg;
    hooks = eegnn_graph_get_hooks(opt->graph);
    if (hooks && hooks->check_finite &&
        hooks->check_finite(opt->graph, hooks->ctx, opt->params, opt->n_params, &bad, &bad_index)) {
        if (bad >= 0)
            return eegnn_set_error(EEGNN_ERR_NUMERIC,
                                   "eegnn_optimizer_step: gradient of '%s' holds a non-finite value at "
                                   "index %zu; no parameter was updated",
                                   opt->params[bad]->name, bad_index);
    } else {
        for (i = 0; i < opt->n_params; i++) {
            const eegnn_tensor *p = opt->params[i];
            size_t j;
            if (!p->grad || (p->flags & EEGNN_TENSOR_FROZEN)) continue;
            eegnn_graph_to_host(opt->graph, p->grad, p->numel * sizeof(float));
            for (j = 0; j < p->numel; j++)
                if (!isfinite(p->grad[j]))
                    return eegnn_set_error(EEGNN_ERR_NUMERIC,
                                           "eegnn_optimizer_step: gradient of '%s' holds a non-finite value at "
                                           "index %zu; no parameter was updated",
                                           p->name, j);
        }
    }
    opt->step++;
    for (i = 0; i < opt->n_params; i++) {
        eegnn_tensor *p = opt->params[i];
        int k = opt->group[i];
        float wd = (p->flags & EEGNN_TENSOR_NO_DECAY) ? 0.0f : opt->group_wd[k];
        float lr = (float)opt->group_lr[k];
        long t;
        if (!p->grad || (p->flags & EEGNN_TENSOR_FROZEN)) continue;
        t = ++opt->param_step[i];
        if (hooks && hooks->param_update) {
            eegnn_param_update u;
            u.type = (int)c->type;
            u.lr = lr;
            u.weight_decay = wd;
            u.beta1 = c->beta1;
            u.beta2 = c->beta2;
            u.eps = c->eps;
            u.momentum = c->momentum;
            u.dampening = c->dampening;
            u.nesterov = c->nesterov;
            u.amsgrad = c->amsgrad;
            u.step = t;
            u.state1 = opt->state1[i];
            u.state2 = opt->state2[i];
            u.state3 = opt->state3[i];
            if (hooks->param_update(opt->graph, hooks->ctx, p, &u)) continue;
        }
        eegnn_graph_to_host(opt->graph, p->data, p->numel * sizeof(float));
        eegnn_graph_to_host(opt->graph, p->grad, p->numel * sizeof(float));
        switch (c->type) {
        case EEGNN_OPTIM_SGD:
            eegnn__sgd_update(c, lr, wd, t == 1, p->data, p->grad, opt->state1[i], p->numel);
            break;
        case EEGNN_OPTIM_ADAMAX:
            eegnn__adamax_update(c, lr, wd, t, p->data, p->grad, opt->state1[i], opt->state2[i], p->numel);
            break;
        default:
            eegnn__adam_update(c, lr, wd, t, p->data, p->grad, opt->state1[i], opt->state2[i], opt->state3[i],
                               p->numel);
            break;
        }
        eegnn_graph_host_wrote(opt->graph, p->data, p->numel * sizeof(float));
    }
    return EEGNN_OK;
}

EEGNN_API float eegnn_optimizer_clip_grad_norm(eegnn_optimizer *opt, float max_norm) {
    double sq = 0.0;
    float total, coef;
    int i;
    size_t j;
    if (!opt) return 0.0f;
    for (i = 0; i < opt->n_params; i++) {
        const eegnn_tensor *p = opt->params[i];
        if (!p->grad || (p->flags & EEGNN_TENSOR_FROZEN)) continue;
        eegnn_graph_to_host(opt->graph, p->grad, p->numel * sizeof(float));
        for (j = 0; j < p->numel; j++) sq += (double)p->grad[j] * (double)p->grad[j];
    }
    total = (float)sqrt(sq);
    coef = (float)((double)max_norm / ((double)total + 1e-6));
    if (coef < 1.0f) {
        for (i = 0; i < opt->n_params; i++) {
            eegnn_tensor *p = opt->params[i];
            if (!p->grad || (p->flags & EEGNN_TENSOR_FROZEN)) continue;
            for (j = 0; j < p->numel; j++) p->grad[j] *= coef;
            eegnn_graph_host_wrote(opt->graph, p->grad, p->numel * sizeof(float));
        }
    }
    return total;
}

EEGNN_API float eegnn_lr_cosine_warmup(float base_lr, long step, long warmup_steps, long total_steps, float min_lr) {
    const double pi = 3.14159265358979323846;
    if (step < 0) step = 0;
    if (warmup_steps < 0) warmup_steps = 0;
    if (step < warmup_steps) return (float)((double)base_lr * (double)(step + 1) / (double)warmup_steps);
    if (step >= total_steps) return min_lr;
    return (float)((double)min_lr + ((double)base_lr - (double)min_lr) *
                                        (1.0 + cos(pi * (double)(step - warmup_steps) /
                                                   (double)(total_steps - warmup_steps))) /
                                        2.0);
}

EEGNN_API void eegnn_optimizer_scale_grad(eegnn_optimizer *opt, float factor) {
    int i;
    size_t j;
    if (!opt) return;
    for (i = 0; i < opt->n_params; i++) {
        eegnn_tensor *p = opt->params[i];
        if (!p->grad) continue;
        for (j = 0; j < p->numel; j++) p->grad[j] *= factor;
    }
}

EEGNN_API float eegnn_lr_step(float base_lr, long epoch, long step_size, float gamma) {
    if (epoch < 0) epoch = 0;
    if (step_size <= 0) return base_lr;
    return (float)((double)base_lr * pow((double)gamma, (double)(epoch / step_size)));
}

EEGNN_API void eegnn_plateau_init(eegnn_plateau *p, float lr, int mode_max, float factor, int patience,
                                  float threshold, int threshold_abs, int cooldown, float min_lr) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->lr = lr;
    p->mode_max = mode_max;
    p->factor = factor;
    p->patience = patience;
    p->threshold = threshold;
    p->threshold_abs = threshold_abs;
    p->cooldown = cooldown;
    p->min_lr = min_lr;
    p->eps = 1e-8;
    p->best = mode_max ? -INFINITY : INFINITY;
}

/* torch.optim.lr_scheduler.ReduceLROnPlateau.is_better */
static int eegnn__plateau_better(const eegnn_plateau *p, double a) {
    if (!p->mode_max)
        return p->threshold_abs ? a < p->best - p->threshold : a < p->best * (1.0 - p->threshold);
    return p->threshold_abs ? a > p->best + p->threshold : a > p->best * (p->threshold + 1.0);
}

EEGNN_API float eegnn_plateau_step(eegnn_plateau *p, double metric) {
    if (!p) return 0.0f;
    p->last_epoch++;
    if (eegnn__plateau_better(p, metric)) {
        p->best = metric;
        p->num_bad_epochs = 0;
    } else {
        p->num_bad_epochs++;
    }
    if (p->cooldown_counter > 0) {
        p->cooldown_counter--;
        p->num_bad_epochs = 0;
    }
    if (p->num_bad_epochs > p->patience) {
        double old_lr = p->lr, new_lr = EEGNN__MAX(old_lr * p->factor, (double)p->min_lr);
        if (old_lr - new_lr > p->eps) p->lr = new_lr;
        p->cooldown_counter = p->cooldown;
        p->num_bad_epochs = 0;
    }
    return (float)p->lr;
}

struct eegnn_ema {
    eegnn_graph *graph;
    float decay;
    int n;
    eegnn_tensor **tensors; /* (n) parameters and buffers */
    float *shadow;          /* the averaged values, all tensors concatenated */
    size_t len;
};

static int eegnn__ema_tracked(const eegnn_tensor *t) {
    return (t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER)) != 0;
}

EEGNN_API eegnn_ema *eegnn_ema_create(eegnn_graph *g, float decay) {
    eegnn_ema *e;
    int i;
    size_t off = 0;
    if (!g || !(decay >= 0.0f && decay <= 1.0f)) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_ema_create: graph is NULL or decay %g is not in [0, 1]",
                        (double)decay);
        return NULL;
    }
    e = (eegnn_ema *)eegnn__calloc(1, sizeof *e);
    if (!e) return NULL;
    e->graph = g;
    e->decay = decay;
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        const eegnn_tensor *t = eegnn_graph_node(g, i);
        if (eegnn__ema_tracked(t)) e->n++, e->len += t->numel;
    }
    e->tensors = (eegnn_tensor **)eegnn__calloc((size_t)(e->n ? e->n : 1), sizeof(eegnn_tensor *));
    e->shadow = (float *)eegnn__calloc(e->len ? e->len : 1, sizeof(float));
    if (!e->tensors || !e->shadow) {
        eegnn_ema_free(e);
        return NULL;
    }
    e->n = 0;
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        if (!eegnn__ema_tracked(t)) continue;
        e->tensors[e->n++] = t;
        eegnn_graph_to_host(g, t->data, t->numel * sizeof(float));
        memcpy(e->shadow + off, t->data, t->numel * sizeof(float));
        off += t->numel;
    }
    return e;
}

EEGNN_API void eegnn_ema_update(eegnn_ema *e) {
    int i;
    size_t off = 0, j;
    float d, one_d;
    if (!e) return;
    d = e->decay;
    one_d = (float)(1.0 - (double)d);
    for (i = 0; i < e->n; i++) {
        const eegnn_tensor *t = e->tensors[i];
        float *s = e->shadow + off;
        eegnn_graph_to_host(e->graph, t->data, t->numel * sizeof(float));
        for (j = 0; j < t->numel; j++) s[j] = s[j] * d + one_d * t->data[j];
        off += t->numel;
    }
}

EEGNN_API void eegnn_ema_swap(eegnn_ema *e) {
    int i;
    size_t off = 0, j;
    if (!e) return;
    for (i = 0; i < e->n; i++) {
        eegnn_tensor *t = e->tensors[i];
        float *s = e->shadow + off;
        eegnn_graph_to_host(e->graph, t->data, t->numel * sizeof(float));
        for (j = 0; j < t->numel; j++) {
            float v = s[j];
            s[j] = t->data[j];
            t->data[j] = v;
        }
        eegnn_graph_host_wrote(e->graph, t->data, t->numel * sizeof(float));
        off += t->numel;
    }
}

EEGNN_API int eegnn_ema_n_tensors(const eegnn_ema *e) { return e ? e->n : 0; }

EEGNN_API float *eegnn_ema_shadow(const eegnn_ema *e, int i, eegnn_tensor **of) {
    int k;
    size_t off = 0;
    if (!e || i < 0 || i >= e->n) return NULL;
    for (k = 0; k < i; k++) off += e->tensors[k]->numel;
    if (of) *of = e->tensors[i];
    return e->shadow + off;
}

EEGNN_API void eegnn_ema_free(eegnn_ema *e) {
    if (!e) return;
    EEGNN_FREE(e->tensors);
    EEGNN_FREE(e->shadow);
    EEGNN_FREE(e);
}
