/* The trainer (see trainer.h). */

struct eegnn_trainer {
    eegnn_graph *g;
    eegnn_tensor *loss;
    eegnn_optimizer *opt;
    eegnn_trainer_config cfg;
    float base_lr;          /* the optimizer's learning rate at creation: the schedule's base */
    eegnn_ema *ema;
    float *best;            /* (best_len) parameters and buffers of the best epoch */
    size_t best_len;
    int best_epoch, bad_epochs, epoch, restored, in_eval;
    double best_loss;
    eegnn_plateau plateau;
};

/* ---- checkpoint metadata: keys and printf-built values ---- */

#define EEGNN__META_MAX 64

typedef struct eegnn__meta {
    const char *keys[EEGNN__META_MAX];
    char *vals[EEGNN__META_MAX];
    int n, failed;
} eegnn__meta;

static void eegnn__meta_add(eegnn__meta *m, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void eegnn__meta_add(eegnn__meta *m, const char *key, const char *fmt, ...) {
    va_list ap;
    int len;
    char *v, probe[1];
    if (m->n >= EEGNN__META_MAX) {
        m->failed = 1;
        return;
    }
    va_start(ap, fmt);
    len = vsnprintf(probe, sizeof probe, fmt, ap);
    va_end(ap);
    if (len < 0) {
        m->failed = 1;
        return;
    }
    v = (char *)EEGNN_MALLOC((size_t)len + 1);
    if (!v) {
        m->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(v, (size_t)len + 1, fmt, ap);
    va_end(ap);
    m->keys[m->n] = key;
    m->vals[m->n++] = v;
}

static void eegnn__meta_free(eegnn__meta *m) {
    int i;
    for (i = 0; i < m->n; i++) EEGNN_FREE(m->vals[i]);
    m->n = 0;
}

/* An RNG's state as 32 hex digits, and back (0 when malformed). */
static void eegnn__rng_str(const eegnn_rng *r, char *buf, size_t n) {
    snprintf(buf, n, "%08lx%08lx%08lx%08lx", (unsigned long)r->s[0], (unsigned long)r->s[1], (unsigned long)r->s[2],
             (unsigned long)r->s[3]);
}

static int eegnn__rng_parse(const char *s, eegnn_rng *r) {
    int k, j;
    if (!s || strlen(s) != 32) return 0;
    for (k = 0; k < 4; k++) {
        uint32_t v = 0;
        for (j = 0; j < 8; j++) {
            int c = s[8 * k + j], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) return 0;
            v = v * 16 + (uint32_t)d;
        }
        r->s[k] = v;
    }
    return 1;
}

/* ---- weights ---- */

static size_t eegnn__state_numel(eegnn_graph *g) {
    size_t n = 0;
    int i;
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        if (t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER)) n += t->numel;
    }
    return n;
}

/* Copies parameters and buffers into buf (restore 0) or back (restore 1). */
static void eegnn__state_copy(eegnn_graph *g, float *buf, int restore) {
    size_t off = 0;
    int i;
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        if (!(t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER))) continue;
        if (restore) {
            memcpy(t->data, buf + off, t->numel * sizeof(float));
            eegnn_graph_host_wrote(g, t->data, t->numel * sizeof(float));
        } else {
            eegnn_graph_to_host(g, t->data, t->numel * sizeof(float));
            memcpy(buf + off, t->data, t->numel * sizeof(float));
        }
        off += t->numel;
    }
}

/* Freezes (1) or unfreezes (0) every parameter outside the head. */
static void eegnn__freeze_backbone(eegnn_graph *g, const char *head, int freeze) {
    int i;
    size_t len = strlen(head);
    for (i = 0; i < eegnn_graph_n_params(g); i++) {
        eegnn_tensor *p = eegnn_graph_param(g, i);
        if (!strncmp(p->name, head, len)) continue;
        if (freeze) p->flags |= EEGNN_TENSOR_FROZEN;
        else p->flags &= ~EEGNN_TENSOR_FROZEN;
    }
}

/* ---- the trainer ---- */

EEGNN_API eegnn_trainer_config eegnn_trainer_config_default(void) {
    eegnn_trainer_config c;
    memset(&c, 0, sizeof c);
    c.accumulate = 1;
    c.schedule = EEGNN_SCHEDULE_COSINE;
    c.step_size = 1;
    c.gamma = 0.1f;
    c.plateau_factor = 0.1f;
    c.plateau_patience = 10;
    c.head_prefix = "final_layer";
    return c;
}

EEGNN_API eegnn_trainer *eegnn_trainer_create(eegnn_graph *g, eegnn_tensor *loss, eegnn_optimizer *opt,
                                              const eegnn_trainer_config *cfg) {
    eegnn_trainer *t;
    const char *fn = "eegnn_trainer_create";
    if (!g || !loss || !opt || !cfg) {
        eegnn_set_error(EEGNN_ERR_ARG, "%s: NULL graph, loss, optimizer or config", fn);
        return NULL;
    }
    if (loss->numel != 1 || cfg->epochs < 1 || cfg->steps_per_epoch < 1 || cfg->accumulate < 0 ||
        (int)cfg->schedule < 0 || cfg->schedule > EEGNN_SCHEDULE_NONE || cfg->warmup_epochs < 0 ||
        (cfg->schedule == EEGNN_SCHEDULE_STEP && cfg->step_size < 1) ||
        (cfg->schedule == EEGNN_SCHEDULE_PLATEAU && !(cfg->plateau_factor > 0 && cfg->plateau_factor < 1)) ||
        cfg->plateau_patience < 0 || !(cfg->clip_grad_norm >= 0) || !(cfg->ema_decay >= 0 && cfg->ema_decay < 1) ||
        cfg->patience < 0 || cfg->freeze_backbone_epochs < 0) {
        eegnn_set_error(EEGNN_ERR_ARG,
                        "%s: loss of %zu values (needs 1), epochs %d and steps_per_epoch %d (>= 1), accumulate %d, "
                        "schedule %d, warmup %d, step_size %d, plateau factor %g and patience %d, clip %g, EMA "
                        "decay %g (in [0, 1)), patience %d, freeze_backbone_epochs %d",
                        fn, loss->numel, cfg->epochs, cfg->steps_per_epoch, cfg->accumulate, (int)cfg->schedule,
                        cfg->warmup_epochs, cfg->step_size, (double)cfg->plateau_factor, cfg->plateau_patience,
                        (double)cfg->clip_grad_norm, (double)cfg->ema_decay, cfg->patience,
                        cfg->freeze_backbone_epochs);
        return NULL;
    }
    if (cfg->freeze_backbone_epochs > 0) {
        int i, n = 0;
        const char *head = cfg->head_prefix ? cfg->head_prefix : "";
        for (i = 0; i < eegnn_graph_n_params(g); i++)
            n += *head && !strncmp(eegnn_graph_param(g, i)->name, head, strlen(head));
        if (!n) {
            eegnn_set_error(EEGNN_ERR_ARG, "%s: freeze_backbone_epochs needs head parameters named '%s*'", fn, head);
            return NULL;
        }
    }
    t = (eegnn_trainer *)eegnn__calloc(1, sizeof *t);
    if (!t) return NULL;
    t->g = g;
    t->loss = loss;
    t->opt = opt;
    t->cfg = *cfg;
    if (t->cfg.accumulate < 1) t->cfg.accumulate = 1;
    t->base_lr = eegnn_optimizer_get_lr(opt);
    t->best_loss = INFINITY;
    t->best_len = eegnn__state_numel(g);
    t->best = (float *)eegnn__calloc(t->best_len ? t->best_len : 1, sizeof(float));
    if (!t->best) {
        eegnn_trainer_free(t);
        return NULL;
    }
    if (cfg->ema_decay > 0 && !(t->ema = eegnn_ema_create(g, cfg->ema_decay))) {
        eegnn_trainer_free(t);
        return NULL;
    }
    eegnn_plateau_init(&t->plateau, t->base_lr, 0, cfg->plateau_factor, cfg->plateau_patience, 1e-4f, 0, 0, 0.0f);
    return t;
}

EEGNN_API void eegnn_trainer_free(eegnn_trainer *t) {
    if (!t) return;
    eegnn_ema_free(t->ema);
    EEGNN_FREE(t->best);
    EEGNN_FREE(t);
}

EEGNN_API eegnn_status eegnn_trainer_fit_epoch(eegnn_trainer *t, eegnn_batch_fn batch, void *user,
                                               double *train_loss) {
    const eegnn_trainer_config *c;
    int epoch, steps, acc, step, a;
    double sum = 0.0;
    eegnn_status st;
    if (!t || !batch) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_trainer_fit_epoch: NULL trainer or batch function");
    c = &t->cfg;
    epoch = t->epoch + 1;
    steps = c->steps_per_epoch;
    acc = c->accumulate;
    if (epoch > c->epochs)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_trainer_fit_epoch: the run's %d epochs are done", c->epochs);
    if (c->freeze_backbone_epochs > 0) eegnn__freeze_backbone(t->g, c->head_prefix, epoch <= c->freeze_backbone_epochs);
    if (c->schedule == EEGNN_SCHEDULE_STEP)
        eegnn_optimizer_set_lr(t->opt, eegnn_lr_step(t->base_lr, epoch - 1, c->step_size, c->gamma));
    if (c->schedule == EEGNN_SCHEDULE_PLATEAU) eegnn_optimizer_set_lr(t->opt, (float)t->plateau.lr);
    eegnn_graph_set_training(t->g, 1);
    for (step = 0; step < steps; step++) {
        double step_sum = 0.0;
        if (c->schedule == EEGNN_SCHEDULE_COSINE) {
            long global = (long)(epoch - 1) * steps + step;
            eegnn_optimizer_set_lr(t->opt, eegnn_lr_cosine_warmup(t->base_lr, global, (long)c->warmup_epochs * steps,
                                                                  (long)c->epochs * steps, 0.0f));
        }
        eegnn_optimizer_zero_grad(t->opt);
        for (a = 0; a < acc; a++) {
            if ((st = batch(user, epoch, step, a))) return st;
            eegnn_graph_forward(t->g);
            if (!(t->loss->data[0] == t->loss->data[0]))
                return eegnn_set_error(EEGNN_ERR_NUMERIC, "training diverged: loss is NaN at epoch %d step %d "
                                                          "(lower the learning rate)", epoch, step + 1);
            step_sum += t->loss->data[0];
            sum += t->loss->data[0];
            eegnn_graph_backward(t->g, t->loss);
        }
        if (acc > 1) eegnn_optimizer_scale_grad(t->opt, 1.0f / (float)acc);
        if (c->on_gradients && (st = c->on_gradients(c->user, t->opt))) return st;
        if (c->clip_grad_norm > 0) eegnn_optimizer_clip_grad_norm(t->opt, c->clip_grad_norm);
        if ((st = eegnn_optimizer_step(t->opt))) return st;
        if (t->ema) eegnn_ema_update(t->ema);
        if (c->on_step) {
            eegnn_step_info info;
            info.epoch = epoch;
            info.epochs = c->epochs;
            info.step = step + 1;
            info.steps = steps;
            info.loss = step_sum / acc;
            info.epoch_loss = sum / ((double)(step + 1) * acc);
            info.lr = eegnn_optimizer_get_lr(t->opt);
            c->on_step(c->user, &info);
        }
    }
    if (train_loss) *train_loss = sum / ((double)steps * acc);
    return EEGNN_OK;
}

EEGNN_API void eegnn_trainer_eval_begin(eegnn_trainer *t) {
    if (!t || t->in_eval) return;
    t->in_eval = 1;
    if (t->ema && !t->restored) eegnn_ema_swap(t->ema);
    eegnn_graph_set_training(t->g, 0);
}

EEGNN_API void eegnn_trainer_eval_end(eegnn_trainer *t) {
    if (!t || !t->in_eval) return;
    t->in_eval = 0;
    eegnn_graph_set_training(t->g, 1);
    if (t->ema && !t->restored) eegnn_ema_swap(t->ema);
}

EEGNN_API eegnn_status eegnn_trainer_evaluate(eegnn_trainer *t, eegnn_batch_fn batch, void *user, int n_batches,
                                              double *loss) {
    double sum = 0.0;
    int b;
    eegnn_status st = EEGNN_OK;
    if (!t || !batch || n_batches < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_trainer_evaluate: NULL trainer or batch function, or %d "
                                              "batches", n_batches);
    eegnn_trainer_eval_begin(t);
    for (b = 0; b < n_batches && !st; b++) {
        if ((st = batch(user, 0, b, 0))) break;
        eegnn_graph_forward_to(t->g, t->loss);
        sum += t->loss->data[0];
    }
    eegnn_trainer_eval_end(t);
    if (!st && loss) *loss = sum / n_batches;
    return st;
}

EEGNN_API eegnn_status eegnn_trainer_fit(eegnn_trainer *t, eegnn_batch_fn batch, void *user, int n_valid_batches) {
    eegnn_status st;
    int stop = 0;
    if (!t || !batch || n_valid_batches < 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_trainer_fit: NULL trainer or batch function, or %d validation "
                                              "batches", n_valid_batches);
    while (!stop && t->epoch < t->cfg.epochs) {
        double t0 = eegnn_time_seconds(), train_loss = 0.0, valid_loss;
        if ((st = eegnn_trainer_fit_epoch(t, batch, user, &train_loss))) return st;
        valid_loss = train_loss;
        if (n_valid_batches && (st = eegnn_trainer_evaluate(t, batch, user, n_valid_batches, &valid_loss)))
            return st;
        stop = eegnn_trainer_end_epoch(t, valid_loss);
        if (t->cfg.on_epoch) {
            eegnn_epoch_info info;
            info.epoch = t->epoch;
            info.epochs = t->cfg.epochs;
            info.train_loss = train_loss;
            info.valid_loss = valid_loss;
            info.best_epoch = t->best_epoch;
            info.lr = eegnn_optimizer_get_lr(t->opt);
            info.seconds = eegnn_time_seconds() - t0;
            stop |= t->cfg.on_epoch(t->cfg.user, &info) != 0;
        }
    }
    eegnn_trainer_restore_best(t);
    return EEGNN_OK;
}

EEGNN_API int eegnn_trainer_end_epoch(eegnn_trainer *t, double valid_loss) {
    if (!t) return 0;
    t->epoch++;
    if (valid_loss < t->best_loss) {
        t->best_loss = valid_loss;
        t->best_epoch = t->epoch;
        t->bad_epochs = 0;
        if (t->ema) eegnn_ema_swap(t->ema);
        eegnn__state_copy(t->g, t->best, 0);
        if (t->ema) eegnn_ema_swap(t->ema);
    } else {
        t->bad_epochs++;
    }
    if (t->cfg.schedule == EEGNN_SCHEDULE_PLATEAU) eegnn_plateau_step(&t->plateau, valid_loss);
    return t->cfg.patience > 0 && t->bad_epochs >= t->cfg.patience;
}

EEGNN_API void eegnn_trainer_restore_best(eegnn_trainer *t) {
    if (!t || !t->best_epoch) return;
    eegnn__state_copy(t->g, t->best, 1);
    t->restored = 1;
}

EEGNN_API int eegnn_trainer_epoch(const eegnn_trainer *t) { return t ? t->epoch : 0; }
EEGNN_API int eegnn_trainer_best_epoch(const eegnn_trainer *t) { return t ? t->best_epoch : 0; }
EEGNN_API double eegnn_trainer_best_loss(const eegnn_trainer *t) { return t ? t->best_loss : INFINITY; }
EEGNN_API float eegnn_trainer_lr(const eegnn_trainer *t) { return t ? eegnn_optimizer_get_lr(t->opt) : 0.0f; }

/* ---- checkpoints ---- */

/* One extra tensor of a checkpoint: its name (owned) and data. */
static int eegnn__ckpt_entry(eegnn_safetensors_entry *ex, char **names, int n, const char *prefix, const char *name,
                             float *data, const eegnn_tensor *like, int scalar) {
    eegnn__strbuf nb = {0, 0, 0, 0};
    int d;
    eegnn__sb_printf(&nb, "%s%s", prefix, name);
    names[n] = nb.p;
    ex[n].name = nb.p;
    ex[n].data = data;
    ex[n].ndim = scalar ? 0 : like->ndim;
    for (d = 0; !scalar && d < like->ndim; d++) ex[n].shape[d] = like->shape[d];
    return n + 1;
}

EEGNN_API eegnn_status eegnn_trainer_save(eegnn_trainer *t, const char *path, const char *const *keys,
                                          const char *const *vals, int n) {
    eegnn__meta m;
    eegnn_safetensors_entry *ex = NULL;
    char **names = NULL, grng[40];
    float *steps = NULL;
    int n_opt, n_ex = 0, cap, i, k, n_nodes;
    size_t off = 0;
    eegnn_status st = EEGNN_OK;
    if (!t || !path || n < 0 || (n && (!keys || !vals)))
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_trainer_save: bad arguments");
    n_opt = eegnn_optimizer_n_params(t->opt);
    n_nodes = eegnn_graph_n_nodes(t->g);
    eegnn_graph_sync(t->g); /* weights and optimizer state held by an accelerator */
    memset(&m, 0, sizeof m);
    for (i = 0; i < n; i++) eegnn__meta_add(&m, keys[i], "%s", vals[i] ? vals[i] : "");
    eegnn__rng_str(eegnn_graph_rng(t->g), grng, sizeof grng);
    eegnn__meta_add(&m, "epoch", "%d", t->epoch);
    eegnn__meta_add(&m, "graph_rng", "%s", grng);
    eegnn__meta_add(&m, "step_count", "%ld", eegnn_optimizer_step_count(t->opt));
    eegnn__meta_add(&m, "best_epoch", "%d", t->best_epoch);
    eegnn__meta_add(&m, "best_loss", "%.17g", t->best_loss);
    eegnn__meta_add(&m, "bad_epochs", "%d", t->bad_epochs);
    eegnn__meta_add(&m, "plateau", "%.17g %.17g %d %d %d", t->plateau.best, t->plateau.lr, t->plateau.num_bad_epochs,
                    t->plateau.cooldown_counter, t->plateau.last_epoch);
    cap = n_opt * 4 + 2 * n_nodes + 1;
    ex = (eegnn_safetensors_entry *)eegnn__calloc((size_t)cap, sizeof *ex);
    names = (char **)eegnn__calloc((size_t)cap, sizeof(char *));
    steps = (float *)eegnn__calloc((size_t)(n_opt ? n_opt : 1), sizeof(float));
    if (!ex || !names || !steps || m.failed) {
        st = eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory building the checkpoint", path);
        goto done;
    }
    for (i = 0; i < n_opt; i++) { /* the optimizer's state as torch names it */
        const eegnn_tensor *p = eegnn_optimizer_param(t->opt, i);
        const char *sname;
        char prefix[EEGNN_NAME_MAX + 16];
        float *a;
        snprintf(prefix, sizeof prefix, "optimizer.%s.", p->name);
        for (k = 0; (a = eegnn_optimizer_state(t->opt, i, k, &sname)) != NULL; k++)
            n_ex = eegnn__ckpt_entry(ex, names, n_ex, prefix, sname, a, p, 0);
        steps[i] = (float)eegnn_optimizer_param_step(t->opt, i);
        n_ex = eegnn__ckpt_entry(ex, names, n_ex, prefix, "step", steps + i, p, 1);
    }
    for (i = 0; i < n_nodes; i++) { /* the best epoch's weights */
        const eegnn_tensor *w = eegnn_graph_node(t->g, i);
        if (!(w->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER))) continue;
        n_ex = eegnn__ckpt_entry(ex, names, n_ex, "best.", w->name, t->best + off, w, 0);
        off += w->numel;
    }
    for (i = 0; t->ema && i < eegnn_ema_n_tensors(t->ema); i++) { /* the EMA shadow */
        eegnn_tensor *w;
        float *sh = eegnn_ema_shadow(t->ema, i, &w);
        n_ex = eegnn__ckpt_entry(ex, names, n_ex, "ema.", w->name, sh, w, 0);
    }
    for (i = 0; i < n_ex; i++)
        if (!names[i]) st = eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory building the checkpoint", path);
    if (!st) st = eegnn_save_safetensors_ex(t->g, path, m.keys, (const char *const *)m.vals, m.n, ex, n_ex);
done:
    for (i = 0; names && i < n_ex; i++) EEGNN_FREE(names[i]);
    EEGNN_FREE(names);
    EEGNN_FREE(ex);
    EEGNN_FREE(steps);
    eegnn__meta_free(&m);
    return st;
}

/* Reads one tensor of a checkpoint by name into dst (n floats). */
static eegnn_status eegnn__read_named(const eegnn_safetensors *f, const char *path, const char *name, float *dst,
                                      size_t n) {
    int k = eegnn_safetensors_find(f, name);
    if (k < 0) return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: missing '%s' (not a checkpoint of a run with the same "
                                                        "settings?)", path, name);
    return eegnn_safetensors_read_f32(f, k, dst, n);
}

EEGNN_API eegnn_status eegnn_trainer_resume(eegnn_trainer *t, const char *path) {
    eegnn_safetensors *f;
    eegnn_status st;
    const char *v;
    int i, k;
    size_t off = 0;
    char name[2 * EEGNN_NAME_MAX + 32];
    if (!t || !path) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_trainer_resume: NULL trainer or path");
    if ((st = eegnn_load_safetensors(t->g, path, 0))) return st;
    if (!(f = eegnn_safetensors_open(path))) return EEGNN_ERR_IO;
    v = eegnn_safetensors_metadata(f, "epoch");
    if (!v || !eegnn__rng_parse(eegnn_safetensors_metadata(f, "graph_rng"), eegnn_graph_rng(t->g)) ||
        !eegnn_safetensors_metadata(f, "step_count") || !eegnn_safetensors_metadata(f, "plateau")) {
        eegnn_safetensors_close(f);
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no training state in the metadata (resume needs the "
                                                 "last.safetensors of a run, not best.safetensors)", path);
    }
    t->epoch = atoi(v);
    eegnn_optimizer_set_step_count(t->opt, atol(eegnn_safetensors_metadata(f, "step_count")));
    v = eegnn_safetensors_metadata(f, "best_loss");
    t->best_loss = strtod(v ? v : "inf", NULL);
    v = eegnn_safetensors_metadata(f, "best_epoch");
    t->best_epoch = atoi(v ? v : "0");
    v = eegnn_safetensors_metadata(f, "bad_epochs");
    t->bad_epochs = atoi(v ? v : "0");
    sscanf(eegnn_safetensors_metadata(f, "plateau"), "%lf %lf %d %d %d", &t->plateau.best, &t->plateau.lr,
           &t->plateau.num_bad_epochs, &t->plateau.cooldown_counter, &t->plateau.last_epoch);
    for (i = 0; i < eegnn_optimizer_n_params(t->opt) && !st; i++) {
        const eegnn_tensor *p = eegnn_optimizer_param(t->opt, i);
        const char *sname;
        float *a, step = 0.0f;
        for (k = 0; (a = eegnn_optimizer_state(t->opt, i, k, &sname)) != NULL && !st; k++) {
            snprintf(name, sizeof name, "optimizer.%s.%s", p->name, sname);
            st = eegnn__read_named(f, path, name, a, p->numel);
        }
        snprintf(name, sizeof name, "optimizer.%s.step", p->name);
        if (!st) st = eegnn__read_named(f, path, name, &step, 1);
        eegnn_optimizer_set_param_step(t->opt, i, (long)step);
    }
    for (i = 0; i < eegnn_graph_n_nodes(t->g) && !st; i++) {
        const eegnn_tensor *w = eegnn_graph_node(t->g, i);
        if (!(w->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER))) continue;
        snprintf(name, sizeof name, "best.%s", w->name);
        st = eegnn__read_named(f, path, name, t->best + off, w->numel);
        off += w->numel;
    }
    for (i = 0; t->ema && i < eegnn_ema_n_tensors(t->ema) && !st; i++) {
        eegnn_tensor *w;
        float *sh = eegnn_ema_shadow(t->ema, i, &w);
        snprintf(name, sizeof name, "ema.%s", w->name);
        st = eegnn__read_named(f, path, name, sh, w->numel);
    }
    eegnn_safetensors_close(f);
    return st;
}
