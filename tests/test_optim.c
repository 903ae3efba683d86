/* Optimizers and the learning-rate schedule against torch.optim
 * (reference trajectories written by tests/ref_optim.py). */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define N_STEPS 20
#define N_PARAMS 3

typedef struct {
    const char *name; /* traj_<name>.npy */
    eegnn_optimizer_config cfg;
    int frozen; /* index of a frozen parameter, or -1 */
} optim_case;

static float *load(const char *rel, size_t want) {
    int ndim;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    size_t numel;
    float *a = eegnn_npy_read(test_out_path(rel), &ndim, shape, &numel);
    if (!a) {
        printf("cannot read %s: %s\n", rel, eegnn_last_error());
        return NULL;
    }
    if (want && numel != want) {
        printf("%s: %zu values, expected %zu\n", rel, numel, want);
        eegnn_free(a);
        return NULL;
    }
    return a;
}

static void set_cfg(optim_case *c, const char *name, eegnn_optimizer_type type, float lr, float wd) {
    memset(c, 0, sizeof *c);
    c->name = name;
    c->cfg = eegnn_optimizer_config_default(type);
    c->cfg.lr = lr;
    c->cfg.weight_decay = wd;
    c->frozen = -1;
}

/* The configurations of tests/ref_optim.py, in eegnn's terms (lr 0 and EEGNN_UNSET: the default). */
static int make_cases(optim_case *cs) {
    int n = 0;
    set_cfg(&cs[n++], "sgd_plain", EEGNN_OPTIM_SGD, 0.1f, 0.0f);
    set_cfg(&cs[n], "sgd_momentum", EEGNN_OPTIM_SGD, 0.05f, 0.0f);
    cs[n++].cfg.momentum = 0.9f;
    set_cfg(&cs[n], "sgd_damp_wd", EEGNN_OPTIM_SGD, 0.05f, 1e-2f);
    cs[n].cfg.momentum = 0.8f;
    cs[n++].cfg.dampening = 0.1f;
    set_cfg(&cs[n], "sgd_nesterov", EEGNN_OPTIM_SGD, 0.05f, 1e-3f);
    cs[n].cfg.momentum = 0.9f;
    cs[n++].cfg.nesterov = 1;
    set_cfg(&cs[n++], "adam_default", EEGNN_OPTIM_ADAM, 0.0f, EEGNN_UNSET);
    set_cfg(&cs[n], "adam_wd_amsgrad", EEGNN_OPTIM_ADAM, 1e-2f, 0.1f);
    cs[n].cfg.beta1 = 0.8f;
    cs[n].cfg.beta2 = 0.99f;
    cs[n++].cfg.amsgrad = 1;
    set_cfg(&cs[n++], "adamw_default", EEGNN_OPTIM_ADAMW, 0.0f, EEGNN_UNSET);
    set_cfg(&cs[n], "adamw_amsgrad", EEGNN_OPTIM_ADAMW, 1e-2f, 0.05f);
    cs[n].cfg.amsgrad = 1;
    cs[n++].cfg.eps = 1e-6f;
    set_cfg(&cs[n++], "adamw_no_decay", EEGNN_OPTIM_ADAMW, 3e-2f, 0.0f);
    set_cfg(&cs[n], "adamw_frozen", EEGNN_OPTIM_ADAMW, 1e-2f, 0.1f);
    cs[n++].frozen = 1;
    set_cfg(&cs[n++], "adamax_default", EEGNN_OPTIM_ADAMAX, 0.0f, EEGNN_UNSET);
    set_cfg(&cs[n], "adamax_wd", EEGNN_OPTIM_ADAMAX, 1e-2f, 0.01f);
    cs[n].cfg.beta1 = 0.5f;
    cs[n++].cfg.beta2 = 0.9f;
    set_cfg(&cs[n], "adam_beta1_zero", EEGNN_OPTIM_ADAM, 1e-2f, EEGNN_UNSET); /* a beta of 0 is 0 */
    cs[n++].cfg.beta1 = 0.0f;
    return n;
}

static void test_optimizers(void) {
    static const int ndims[N_PARAMS] = {2, 1, 3};
    static const int shapes[N_PARAMS][3] = {{5, 4, 0}, {4, 0, 0}, {3, 2, 2}};
    static const char *names[N_PARAMS] = {"a.weight", "a.bias", "b.weight"};
    optim_case cases[16];
    int n_cases = make_cases(cases), k, i, t;
    size_t total = 5 * 4 + 4 + 12;
    float *init = load("optim/init.npy", total);
    float *grads = load("optim/grads.npy", N_STEPS * total);
    float *got = (float *)malloc(total * sizeof(float));
    float *delta_got = (float *)malloc(total * sizeof(float));
    float *delta_want = (float *)malloc(total * sizeof(float));
    CHECK(init && grads && got && delta_got && delta_want, "reference data (run tests/ref_optim.py first)");
    if (!init || !grads || !got || !delta_got || !delta_want) goto done;
    for (k = 0; k < n_cases; k++) {
        char rel[256];
        float *traj;
        eegnn_graph_config gc;
        eegnn_graph *g;
        eegnn_tensor *p[N_PARAMS];
        eegnn_optimizer *opt;
        double worst = 0.0, worst_delta = 0.0;
        size_t off;
        snprintf(rel, sizeof rel, "optim/traj_%s.npy", cases[k].name);
        traj = load(rel, N_STEPS * total);
        CHECK(traj != NULL, "%s", rel);
        if (!traj) continue;
        memset(&gc, 0, sizeof gc);
        gc.arena_bytes = 1 << 20;
        gc.n_threads = 1;
        g = eegnn_graph_create(&gc);
        for (i = 0, off = 0; i < N_PARAMS; i++) {
            p[i] = eegnn_param(g, names[i], ndims[i], shapes[i]);
            eegnn_tensor_set(p[i], init + off, p[i]->numel);
            if (i == cases[k].frozen) p[i]->flags |= EEGNN_TENSOR_FROZEN;
            off += p[i]->numel;
        }
        opt = eegnn_optimizer_create(g, &cases[k].cfg);
        CHECK(opt != NULL, "%s: create: %s", cases[k].name, eegnn_last_error());
        if (!opt) {
            eegnn_graph_free(g);
            eegnn_free(traj);
            continue;
        }
        CHECK(eegnn_optimizer_n_params(opt) == N_PARAMS, "%s: %d parameters",
              cases[k].name, eegnn_optimizer_n_params(opt));
        for (t = 0; t < N_STEPS; t++) {
            double e, ed;
            eegnn_optimizer_zero_grad(opt);
            for (i = 0, off = 0; i < N_PARAMS; i++) {
                memcpy(p[i]->grad, grads + (size_t)t * total + off, p[i]->numel * sizeof(float));
                off += p[i]->numel;
            }
            CHECK(eegnn_optimizer_step(opt) == EEGNN_OK, "%s: step %d", cases[k].name, t);
            for (i = 0, off = 0; i < N_PARAMS; i++) {
                memcpy(got + off, p[i]->data, p[i]->numel * sizeof(float));
                off += p[i]->numel;
            }
            for (off = 0; off < total; off++) {
                delta_got[off] = got[off] - init[off];
                delta_want[off] = traj[(size_t)t * total + off] - init[off];
            }
            e = test_max_rel_err(got, traj + (size_t)t * total, total);
            ed = test_max_rel_err(delta_got, delta_want, total);
            if (!(e <= worst)) worst = e;
            if (!(ed <= worst_delta)) worst_delta = ed;
        }
        CHECK(worst < 1e-4, "%s: parameters differ from torch.optim by %.3g (relative)", cases[k].name, worst);
        CHECK(worst_delta < 1e-4, "%s: parameter updates differ from torch.optim by %.3g (relative)",
              cases[k].name, worst_delta);
        CHECK(eegnn_optimizer_step_count(opt) == N_STEPS, "%s: step count", cases[k].name);
        printf("%-16s max rel err %.2e (params), %.2e (updates)\n", cases[k].name, worst, worst_delta);
        eegnn_optimizer_free(opt);
        eegnn_graph_free(g);
        eegnn_free(traj);
    }
done:
    eegnn_free(init);
    eegnn_free(grads);
    free(got);
    free(delta_got);
    free(delta_want);
}

static void test_errors(void) {
    eegnn_graph_config gc;
    eegnn_optimizer_config oc;
    eegnn_graph *g;
    eegnn_tensor *p;
    eegnn_optimizer *opt;
    int shape[1] = {3};
    float before[3];
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = 1 << 16;
    gc.n_threads = 1;
    g = eegnn_graph_create(&gc);
    CHECK(eegnn_optimizer_create(g, NULL) == NULL, "a graph without parameters is refused");
    p = eegnn_param(g, "w", 1, shape);
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    oc.type = EEGNN_OPTIM_SGD;
    oc.nesterov = 1;
    CHECK(eegnn_optimizer_create(g, &oc) == NULL, "nesterov without momentum is refused");
    oc.type = EEGNN_OPTIM_ADAM;
    oc.nesterov = 0;
    oc.beta2 = 1.0f;
    CHECK(eegnn_optimizer_create(g, &oc) == NULL && strstr(eegnn_last_error(), "betas"), "beta2 = 1 refused");
    oc.beta2 = 0.0f;
    oc.lr = -1.0f;
    CHECK(eegnn_optimizer_create(g, &oc) == NULL, "negative lr refused");
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    oc.weight_decay = -1.0f;
    CHECK(eegnn_optimizer_create(g, &oc) == NULL && strstr(eegnn_last_error(), "weight_decay -1"),
          "negative weight decay refused (no longer a code for none): %s", eegnn_last_error());
    oc.weight_decay = EEGNN_UNSET;
    oc.beta1 = -0.5f;
    CHECK(eegnn_optimizer_create(g, &oc) == NULL && strstr(eegnn_last_error(), "betas"),
          "negative beta1 refused: %s", eegnn_last_error());
    opt = eegnn_optimizer_create(g, NULL);
    CHECK(opt && eegnn_optimizer_get_lr(opt) == 1e-3f, "default AdamW lr 1e-3");
    if (opt) {
        p->data[0] = 1.0f;
        p->grad[1] = NAN;
        memcpy(before, p->data, sizeof before);
        CHECK(eegnn_optimizer_step(opt) == EEGNN_ERR_NUMERIC && strstr(eegnn_last_error(), "'w'"),
              "NaN gradient reported: %s", eegnn_last_error());
        CHECK(!memcmp(before, p->data, sizeof before) && eegnn_optimizer_step_count(opt) == 0,
              "NaN gradient leaves parameters untouched");
        eegnn_optimizer_zero_grad(opt);
        CHECK(p->grad[1] == 0.0f, "zero_grad");
        eegnn_optimizer_set_lr(opt, 0.25f);
        CHECK(eegnn_optimizer_get_lr(opt) == 0.25f, "set_lr");
    }
    eegnn_optimizer_free(opt);
    eegnn_graph_free(g);
}

/* clip_grad_norm against its definition: after clipping the norm is max_norm. */
static void test_clip(void) {
    eegnn_graph *g = eegnn_graph_create(NULL);
    int shape[1] = {4};
    eegnn_tensor *a = eegnn_param(g, "a", 1, shape), *b = eegnn_param(g, "b", 1, shape);
    eegnn_optimizer *opt = eegnn_optimizer_create(g, NULL);
    float norm, after = 0.0f;
    int i;
    for (i = 0; i < 4; i++) a->grad[i] = 3.0f, b->grad[i] = 4.0f; /* norm sqrt(4*9 + 4*16) = 10 */
    norm = eegnn_optimizer_clip_grad_norm(opt, 2.0f);
    for (i = 0; i < 4; i++) after += a->grad[i] * a->grad[i] + b->grad[i] * b->grad[i];
    CHECK(fabsf(norm - 10.0f) < 1e-5f && fabsf(sqrtf(after) - 2.0f) < 1e-5f, "clip: norm %g -> %g", norm,
          sqrtf(after));
    norm = eegnn_optimizer_clip_grad_norm(opt, 5.0f);
    CHECK(fabsf(a->grad[0] - 0.6f) < 1e-6f, "no clipping below max_norm");
    eegnn_optimizer_free(opt);
    eegnn_graph_free(g);
}

static void test_schedule(void) {
    /* base_lr, warmup_steps, total_steps, min_lr: as tests/ref_optim.py */
    static const double sched[4][4] = {
        {1e-3, 10, 100, 0.0}, {0.1, 5, 60, 1e-3}, {2e-3, 0, 50, 1e-5}, {0.5, 1, 30, 0.0}};
    int k;
    for (k = 0; k < 4; k++) {
        char rel[64];
        long total = (long)sched[k][2], s;
        float *want;
        double worst = 0.0;
        snprintf(rel, sizeof rel, "optim/lr_%d.npy", k);
        want = load(rel, (size_t)total + 1);
        CHECK(want != NULL, "%s", rel);
        if (!want) continue;
        for (s = 0; s <= total; s++) {
            float lr = eegnn_lr_cosine_warmup((float)sched[k][0], s, (long)sched[k][1], total, (float)sched[k][3]);
            double e = fabs((double)lr - (double)want[s]) / sched[k][0];
            if (e > worst) worst = e;
        }
        CHECK(worst < 1e-6, "schedule %d differs from SequentialLR(LinearLR, CosineAnnealingLR) by %.3g", k,
              worst);
        printf("schedule %d: max error %.2e of base_lr over %ld steps\n", k, worst, total + 1);
        CHECK(eegnn_lr_cosine_warmup((float)sched[k][0], total + 5, (long)sched[k][1], total,
                                     (float)sched[k][3]) == (float)sched[k][3],
              "held at min_lr after the end");
        eegnn_free(want);
    }
}

/* Builds the three parameters of tests/ref_optim.py in a new graph. */
static eegnn_graph *make_params(const float *init, eegnn_tensor **p) {
    static const int ndims[N_PARAMS] = {2, 1, 3};
    static const int shapes[N_PARAMS][3] = {{5, 4, 0}, {4, 0, 0}, {3, 2, 2}};
    static const char *names[N_PARAMS] = {"a.weight", "a.bias", "b.weight"};
    eegnn_graph_config gc;
    eegnn_graph *g;
    int i;
    size_t off = 0;
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = 1 << 20;
    gc.n_threads = 1;
    g = eegnn_graph_create(&gc);
    for (i = 0; i < N_PARAMS; i++) {
        p[i] = eegnn_param(g, names[i], ndims[i], shapes[i]);
        eegnn_tensor_set(p[i], init + off, p[i]->numel);
        off += p[i]->numel;
    }
    return g;
}

static double traj_err(eegnn_tensor **p, const float *want, size_t total, float *got) {
    size_t off = 0;
    int i;
    for (i = 0; i < N_PARAMS; i++) {
        memcpy(got + off, p[i]->data, p[i]->numel * sizeof(float));
        off += p[i]->numel;
    }
    return test_max_rel_err(got, want, total);
}

static void feed_grads(eegnn_tensor **p, const float *grads, int t, size_t total) {
    size_t off = 0;
    int i;
    for (i = 0; i < N_PARAMS; i++) {
        memcpy(p[i]->grad, grads + (size_t)t * total + off, p[i]->numel * sizeof(float));
        off += p[i]->numel;
    }
}

/* Parameter groups under a LambdaLR schedule, progressive unfreezing, EMA:
 * each against the PyTorch trajectory of the same 20 gradients. */
static void test_groups_unfreeze_ema(void) {
    size_t total = 5 * 4 + 4 + 12;
    float *init = load("optim/init.npy", total), *grads = load("optim/grads.npy", N_STEPS * total);
    float *want_g = load("optim/traj_groups.npy", N_STEPS * total);
    float *want_u = load("optim/traj_unfreeze.npy", N_STEPS * total);
    float *want_adamw = load("optim/traj_adamw_default.npy", N_STEPS * total);
    float *want_ema = load("optim/ema.npy", N_STEPS * total);
    float *got = (float *)malloc(total * sizeof(float));
    eegnn_tensor *p[N_PARAMS];
    eegnn_graph *g;
    eegnn_optimizer *opt;
    eegnn_optimizer_config oc;
    eegnn_ema *ema;
    double worst = 0.0, e;
    int t, i, k;
    CHECK(init && grads && want_g && want_u && want_adamw && want_ema && got, "reference data for groups/EMA");
    if (!init || !grads || !want_g || !want_u || !want_adamw || !want_ema || !got) goto done;

    /* groups: backbone lr 1e-2 wd 0.05, head "b." lr 3e-3 wd 0.5; lr(t) = lr0 * 0.5^(t/10) */
    g = make_params(init, p);
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    oc.lr = 1e-2f;
    oc.weight_decay = 0.05f;
    opt = eegnn_optimizer_create(g, &oc);
    k = eegnn_optimizer_add_group(opt, "b.", 3e-3f, 0.5f);
    CHECK(k == 1 && eegnn_optimizer_n_groups(opt) == 2, "add_group returns group 1");
    CHECK(eegnn_optimizer_add_group(opt, "nope.", 1e-3f, 0.0f) == -1, "a prefix matching nothing is refused");
    for (t = 0; t < N_STEPS; t++) {
        eegnn_optimizer_set_lr(opt, (float)(1e-2 * pow(0.5, t / 10.0)));
        feed_grads(p, grads, t, total);
        eegnn_optimizer_step(opt);
        e = traj_err(p, want_g + (size_t)t * total, total, got);
        if (!(e <= worst)) worst = e;
    }
    CHECK(worst < 1e-5, "param groups + LambdaLR differ from torch.optim.AdamW by %.3g", worst);
    CHECK(fabsf(eegnn_optimizer_get_group_lr(opt, 1) - (float)(3e-3 * pow(0.5, 1.9))) < 1e-9f,
          "head lr follows the schedule: %g", (double)eegnn_optimizer_get_group_lr(opt, 1));
    printf("param groups: max rel err %.2e over %d steps\n", worst, N_STEPS);
    eegnn_optimizer_free(opt);
    eegnn_graph_free(g);

    /* progressive unfreezing: a.* frozen for 8 steps, then trained with its own step count from 1 */
    g = make_params(init, p);
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    oc.lr = 1e-2f;
    oc.weight_decay = 0.1f;
    opt = eegnn_optimizer_create(g, &oc);
    worst = 0.0;
    for (t = 0; t < N_STEPS; t++) {
        for (i = 0; i < 2; i++) {
            if (t < 8) p[i]->flags |= EEGNN_TENSOR_FROZEN;
            else p[i]->flags &= ~EEGNN_TENSOR_FROZEN;
        }
        feed_grads(p, grads, t, total);
        eegnn_optimizer_step(opt);
        e = traj_err(p, want_u + (size_t)t * total, total, got);
        if (!(e <= worst)) worst = e;
    }
    CHECK(worst < 1e-5, "progressive unfreezing differs from torch (requires_grad toggled) by %.3g", worst);
    CHECK(eegnn_optimizer_param_step(opt, 0) == N_STEPS - 8 && eegnn_optimizer_param_step(opt, 2) == N_STEPS,
          "per-parameter step counts %ld, %ld", eegnn_optimizer_param_step(opt, 0),
          eegnn_optimizer_param_step(opt, 2));
    printf("progressive unfreezing: max rel err %.2e\n", worst);
    eegnn_optimizer_free(opt);
    eegnn_graph_free(g);

    /* EMA (decay 0.9) of the default AdamW trajectory */
    g = make_params(init, p);
    opt = eegnn_optimizer_create(g, NULL);
    ema = eegnn_ema_create(g, 0.9f);
    CHECK(ema && eegnn_ema_n_tensors(ema) == N_PARAMS, "ema tracks the 3 parameters");
    worst = 0.0;
    for (t = 0; t < N_STEPS && ema; t++) {
        feed_grads(p, grads, t, total);
        eegnn_optimizer_step(opt);
        eegnn_ema_update(ema);
        eegnn_ema_swap(ema);
        e = traj_err(p, want_ema + (size_t)t * total, total, got);
        if (!(e <= worst)) worst = e;
        eegnn_ema_swap(ema);
        e = traj_err(p, want_adamw + (size_t)t * total, total, got);
        CHECK(e < 1e-4, "swapping back restores the live weights (step %d: %.3g)", t, e);
    }
    CHECK(worst < 1e-6, "EMA differs from the torch reference by %.3g", worst);
    printf("EMA: max rel err %.2e\n", worst);
    eegnn_ema_free(ema);
    eegnn_optimizer_free(opt);
    eegnn_graph_free(g);
done:
    eegnn_free(init);
    eegnn_free(grads);
    eegnn_free(want_g);
    eegnn_free(want_u);
    eegnn_free(want_adamw);
    eegnn_free(want_ema);
    free(got);
}

/* StepLR and ReduceLROnPlateau against torch.optim.lr_scheduler. */
static void test_step_plateau(void) {
    /* mode_max, factor, patience, threshold, threshold_abs, cooldown, min_lr: as PLATEAU in ref_optim.py */
    static const double cfgs[3][7] = {{0, 0.1, 2, 1e-4, 0, 0, 0.0}, {1, 0.5, 1, 0.01, 1, 2, 0.0},
                                      {0, 0.3, 0, 1e-3, 0, 1, 2e-3}};
    float *steplr = load("optim/steplr.npy", 25), *metrics = load("optim/plateau_metrics.npy", 30);
    int k, t, n_changes;
    double worst = 0.0;
    CHECK(steplr && metrics, "reference data for StepLR / plateau");
    if (!steplr || !metrics) goto done;
    for (t = 0; t < 25; t++) {
        double e = fabs((double)eegnn_lr_step(0.1f, t, 3, 0.5f) - steplr[t]) / 0.1;
        if (e > worst) worst = e;
    }
    CHECK(worst < 1e-6, "StepLR differs by %.3g of base lr", worst);
    for (k = 0; k < 3; k++) {
        float *want;
        char rel[64];
        eegnn_plateau pl;
        snprintf(rel, sizeof rel, "optim/plateau_%d.npy", k);
        want = load(rel, 30);
        CHECK(want != NULL, "%s", rel);
        if (!want) continue;
        eegnn_plateau_init(&pl, 0.1f, (int)cfgs[k][0], (float)cfgs[k][1], (int)cfgs[k][2], (float)cfgs[k][3],
                           (int)cfgs[k][4], (int)cfgs[k][5], (float)cfgs[k][6]);
        worst = 0.0;
        n_changes = 0;
        for (t = 0; t < 30; t++) {
            float lr = eegnn_plateau_step(&pl, metrics[t]);
            double e = fabs((double)lr - want[t]) / want[t];
            if (e > worst) worst = e;
            if (t && want[t] != want[t - 1]) n_changes++;
        }
        CHECK(worst < 1e-6 && n_changes > 0, "ReduceLROnPlateau config %d: max rel err %.3g (%d reductions)", k,
              worst, n_changes);
        printf("plateau %d: %d reductions, max rel err %.2e\n", k, n_changes, worst);
        eegnn_free(want);
    }
done:
    eegnn_free(steplr);
    eegnn_free(metrics);
}

int main(void) {
    (void)test_data_path;
    test_optimizers();
    test_errors();
    test_clip();
    test_schedule();
    test_groups_unfreeze_ema();
    test_step_plateau();
    return test_summary("test_optim");
}
