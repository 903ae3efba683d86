/* The public trainer (src/train/trainer.h) against the same loop written
 * out in PyTorch (tests/ref_trainer.py): schedules, gradient accumulation,
 * clipping, EMA, backbone freezing, early stopping, the best weights; a
 * checkpoint resumed continues a run bit for bit; the gradient hook; bad settings, a NaN loss
 * and a file without training state are reported. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define N_TRAIN 32
#define N_PARAMS 21

typedef struct run_case {
    const char *name;
    eegnn_optimizer_type opt;
    float lr, wd;
    int epochs, steps, batch, acc;
    eegnn_schedule schedule;
    int warmup, step_size;
    float gamma, clip, ema;
    int patience, freeze;
} run_case;

/* the runs of ref_trainer.py */
static const run_case cases[2] = {
    {"cosine", EEGNN_OPTIM_ADAMW, 0.05f, 0.01f, 4, 4, 4, 2, EEGNN_SCHEDULE_COSINE, 1, 1, 0.1f, 0.5f, 0.9f, 0, 0},
    {"step", EEGNN_OPTIM_SGD, 0.01f, 0.0f, 10, 4, 8, 1, EEGNN_SCHEDULE_STEP, 0, 2, 0.5f, 0.0f, 0.0f, 1, 1},
};

typedef struct model {
    eegnn_graph *g;
    eegnn_tensor *x, *y, *loss;
    eegnn_optimizer *opt;
    const float *data_x, *data_y;
    int batch, acc, nan_at; /* nan_at > 0: the batch of that global micro-batch index holds a NaN */
} model;

static float *load(const char *rel, size_t *n) {
    int ndim;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    char path[256];
    float *a;
    snprintf(path, sizeof path, "trainer/%s", rel);
    a = eegnn_npy_read(test_out_path(path), &ndim, shape, n);
    if (!a) printf("cannot read %s: %s\n", path, eegnn_last_error());
    return a;
}

/* hidden = Linear(3, 4), ReLU, final_layer = Linear(4, 1); weights from init */
static int model_build(model *m, const run_case *c, const float *init, const float *x, const float *y) {
    eegnn_graph_config gc;
    eegnn_optimizer_config oc;
    int xs[2], ys[1], i;
    size_t off = 0;
    memset(m, 0, sizeof *m);
    memset(&gc, 0, sizeof gc);
    gc.n_threads = 1;
    m->g = eegnn_graph_create(&gc);
    m->batch = c->batch;
    m->acc = c->acc;
    m->data_x = x;
    m->data_y = y;
    xs[0] = ys[0] = c->batch;
    xs[1] = 3;
    m->x = eegnn_input(m->g, "x", 2, xs);
    m->y = eegnn_input(m->g, "y", 1, ys);
    m->loss = eegnn_loss(m->g, EEGNN_LOSS_MSE,
                         eegnn_nn_linear(m->g, eegnn_relu(m->g, eegnn_nn_linear(m->g, m->x, 3, 4, 1, "hidden")), 4, 1,
                                         1, "final_layer"),
                         m->y, NULL);
    if (!m->loss || eegnn_graph_prepare(m->g)) return 0;
    for (i = 0; i < eegnn_graph_n_params(m->g); i++) {
        eegnn_tensor *p = eegnn_graph_param(m->g, i);
        memcpy(p->data, init + off, p->numel * sizeof(float));
        off += p->numel;
    }
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    oc.type = c->opt;
    oc.lr = c->lr;
    oc.weight_decay = c->wd;
    if (c->opt == EEGNN_OPTIM_SGD) oc.momentum = 0.9f;
    m->opt = eegnn_optimizer_create(m->g, &oc);
    CHECK(off == N_PARAMS && m->opt != NULL, "%s: model and optimizer: %s", c->name, eegnn_last_error());
    return off == N_PARAMS && m->opt != NULL;
}

static void model_free(model *m) {
    eegnn_optimizer_free(m->opt);
    eegnn_graph_free(m->g);
}

/* training micro-batches in order; validation: rows 32.. in batches of 4 (the
 * graph's batch of 8 holds two of them: the second half repeats the first) */
static eegnn_status fill(void *user, int epoch, int step, int micro) {
    model *m = (model *)user;
    int b, r0 = epoch ? (step * m->acc + micro) * m->batch : N_TRAIN + 4 * step;
    for (b = 0; b < m->batch; b++) {
        int r = epoch ? r0 + b : r0 + b % 4;
        memcpy(m->x->data + 3 * b, m->data_x + 3 * r, 3 * sizeof(float));
        m->y->data[b] = m->data_y[r];
    }
    if (m->nan_at && epoch && (epoch - 1) * 100 + step * m->acc + micro == m->nan_at) m->y->data[0] = NAN;
    return EEGNN_OK;
}

typedef struct history {
    double train[16], valid[16], lr[16];
    int n;
} history;

static int on_epoch(void *user, const eegnn_epoch_info *info) {
    history *h = (history *)user;
    h->train[h->n] = info->train_loss;
    h->valid[h->n] = info->valid_loss;
    h->lr[h->n++] = info->lr;
    return 0;
}

static eegnn_trainer_config trainer_config(const run_case *c) {
    eegnn_trainer_config tc = eegnn_trainer_config_default();
    tc.epochs = c->epochs;
    tc.steps_per_epoch = c->steps;
    tc.accumulate = c->acc;
    tc.schedule = c->schedule;
    tc.warmup_epochs = c->warmup;
    tc.step_size = c->step_size;
    tc.gamma = c->gamma;
    tc.clip_grad_norm = c->clip;
    tc.ema_decay = c->ema;
    tc.patience = c->patience;
    tc.freeze_backbone_epochs = c->freeze;
    return tc;
}

static double max_diff(const double *a, const float *b, int n) {
    double d = 0.0;
    int i;
    for (i = 0; i < n; i++) d = fmax(d, fabs(a[i] - (double)b[i]) / fmax(1.0, fabs((double)b[i])));
    return d;
}

static void test_against_pytorch(const float *x, const float *y, const float *init) {
    int k, i;
    for (k = 0; k < 2; k++) {
        const run_case *c = &cases[k];
        char rel[64];
        size_t n_tl, n_vl, n_lr, n_best, n_be;
        float *tl, *vl, *lr, *best, *be, got[N_PARAMS];
        model m;
        history h;
        eegnn_trainer_config tc = trainer_config(c);
        eegnn_trainer *t;
        eegnn_status st;
        memset(&h, 0, sizeof h);
        snprintf(rel, sizeof rel, "%s_train_loss.npy", c->name);
        tl = load(rel, &n_tl);
        snprintf(rel, sizeof rel, "%s_valid_loss.npy", c->name);
        vl = load(rel, &n_vl);
        snprintf(rel, sizeof rel, "%s_lr.npy", c->name);
        lr = load(rel, &n_lr);
        snprintf(rel, sizeof rel, "%s_best.npy", c->name);
        best = load(rel, &n_best);
        snprintf(rel, sizeof rel, "%s_best_epoch.npy", c->name);
        be = load(rel, &n_be);
        CHECK(tl && vl && lr && best && be && n_best == N_PARAMS, "%s: reference files", c->name);
        if (!tl || !vl || !lr || !best || !be || !model_build(&m, c, init, x, y)) continue;
        tc.on_epoch = on_epoch;
        tc.user = &h;
        t = eegnn_trainer_create(m.g, m.loss, m.opt, &tc);
        CHECK(t != NULL, "%s: create: %s", c->name, eegnn_last_error());
        st = t ? eegnn_trainer_fit(t, fill, &m, 2) : EEGNN_ERR_ARG;
        CHECK(st == EEGNN_OK, "%s: fit: %s", c->name, eegnn_last_error());
        CHECK(h.n == (int)n_vl, "%s: %d epochs run, PyTorch %zu", c->name, h.n, n_vl);
        if (h.n == (int)n_vl) {
            CHECK(max_diff(h.train, tl, h.n) < 2e-5, "%s: training losses differ by %g", c->name,
                  max_diff(h.train, tl, h.n));
            CHECK(max_diff(h.valid, vl, h.n) < 2e-5, "%s: validation losses differ by %g", c->name,
                  max_diff(h.valid, vl, h.n));
            CHECK(max_diff(h.lr, lr, h.n) < 1e-6, "%s: learning rates differ by %g", c->name, max_diff(h.lr, lr, h.n));
        }
        CHECK(t && eegnn_trainer_best_epoch(t) == (int)be[0], "%s: best epoch %d, PyTorch %d", c->name,
              eegnn_trainer_best_epoch(t), (int)be[0]);
        for (i = 0, n_tl = 0; i < eegnn_graph_n_params(m.g); i++) {
            const eegnn_tensor *p = eegnn_graph_param(m.g, i);
            memcpy(got + n_tl, p->data, p->numel * sizeof(float));
            n_tl += p->numel;
        }
        CHECK(test_max_rel_err(got, best, N_PARAMS) < 2e-5, "%s: restored best weights differ by %g", c->name,
              test_max_rel_err(got, best, N_PARAMS));
        eegnn_trainer_free(t);
        model_free(&m);
        eegnn_free(tl);
        eegnn_free(vl);
        eegnn_free(lr);
        eegnn_free(best);
        eegnn_free(be);
    }
}

/* 4 epochs straight == 2 epochs, save, a fresh trainer resumed for 2 more */
static void test_resume(const float *x, const float *y, const float *init) {
    const run_case *c = &cases[0];
    eegnn_trainer_config tc = trainer_config(c);
    model a, b;
    eegnn_trainer *ta, *tb;
    const char *path = test_out_path("trainer/resume.safetensors");
    int i, e, same = 1;
    if (!model_build(&a, c, init, x, y) || !model_build(&b, c, init, x, y)) return;
    ta = eegnn_trainer_create(a.g, a.loss, a.opt, &tc);
    tb = eegnn_trainer_create(b.g, b.loss, b.opt, &tc);
    for (e = 0; e < 2; e++) {
        double vl;
        eegnn_trainer_fit_epoch(tb, fill, &b, NULL);
        eegnn_trainer_evaluate(tb, fill, &b, 2, &vl);
        eegnn_trainer_end_epoch(tb, vl);
    }
    CHECK(eegnn_trainer_save(tb, path, NULL, NULL, 0) == EEGNN_OK, "save: %s", eegnn_last_error());
    eegnn_trainer_free(tb);
    model_free(&b);
    model_build(&b, c, init, x, y);
    tb = eegnn_trainer_create(b.g, b.loss, b.opt, &tc);
    CHECK(eegnn_trainer_resume(tb, path) == EEGNN_OK, "resume: %s", eegnn_last_error());
    CHECK(eegnn_trainer_epoch(tb) == 2, "resumed after epoch %d", eegnn_trainer_epoch(tb));
    CHECK(eegnn_trainer_fit(ta, fill, &a, 2) == EEGNN_OK && eegnn_trainer_fit(tb, fill, &b, 2) == EEGNN_OK,
          "fit: %s", eegnn_last_error());
    for (i = 0; i < eegnn_graph_n_params(a.g); i++) {
        const eegnn_tensor *p = eegnn_graph_param(a.g, i), *q = eegnn_graph_param(b.g, i);
        same &= !memcmp(p->data, q->data, p->numel * sizeof(float));
    }
    CHECK(same && eegnn_trainer_best_epoch(ta) == eegnn_trainer_best_epoch(tb) &&
              eegnn_trainer_best_loss(ta) == eegnn_trainer_best_loss(tb),
          "a resumed run is not bit-identical to the straight one");
    eegnn_trainer_free(ta);
    eegnn_trainer_free(tb);
    model_free(&a);
    model_free(&b);
}

static void test_errors(const float *x, const float *y, const float *init) {
    const run_case *c = &cases[0];
    eegnn_trainer_config tc = trainer_config(c);
    model m;
    eegnn_trainer *t;
    eegnn_status st;
    if (!model_build(&m, c, init, x, y)) return;
    tc.ema_decay = 1.5f;
    CHECK(!eegnn_trainer_create(m.g, m.loss, m.opt, &tc) && eegnn_last_status() == EEGNN_ERR_ARG &&
              strstr(eegnn_last_error(), "EMA"),
          "EMA decay 1.5 accepted: %s", eegnn_last_error());
    tc = trainer_config(c);
    tc.freeze_backbone_epochs = 1;
    tc.head_prefix = "classifier";
    CHECK(!eegnn_trainer_create(m.g, m.loss, m.opt, &tc) && strstr(eegnn_last_error(), "classifier"),
          "freezing without head parameters accepted: %s", eegnn_last_error());
    tc = trainer_config(c);
    CHECK(!eegnn_trainer_create(m.g, m.x, m.opt, &tc), "a loss of 24 values accepted");
    t = eegnn_trainer_create(m.g, m.loss, m.opt, &tc);
    m.nan_at = 3; /* epoch 1, step 2, micro-batch 2 */
    st = eegnn_trainer_fit_epoch(t, fill, &m, NULL);
    CHECK(st == EEGNN_ERR_NUMERIC && strstr(eegnn_last_error(), "epoch 1 step 2"), "NaN loss: %d %s", (int)st,
          eegnn_last_error());
    CHECK(eegnn_trainer_epoch(t) == 0, "a failed epoch counted");
    /* weights only, as best.safetensors */
    CHECK(eegnn_save_safetensors(m.g, test_out_path("trainer/weights.safetensors"), NULL, NULL, 0) == EEGNN_OK,
          "save: %s", eegnn_last_error());
    st = eegnn_trainer_resume(t, test_out_path("trainer/weights.safetensors"));
    CHECK(st == EEGNN_ERR_FORMAT && strstr(eegnn_last_error(), "weights.safetensors") &&
              strstr(eegnn_last_error(), "no training state"),
          "resume from weights only: %s", eegnn_last_error());
    eegnn_trainer_free(t);
    model_free(&m);
}

/* The gradient hook: halving every gradient (SGD with momentum, no weight
 * decay) trains exactly as half the learning rate; it runs once per
 * optimizer step; an error from it stops fit. */
typedef struct hook_state {
    int calls, fail_at;
} hook_state;

static eegnn_status halve_gradients(void *user, eegnn_optimizer *opt) {
    hook_state *h = (hook_state *)user;
    int i;
    size_t j;
    if (++h->calls == h->fail_at) return eegnn_set_error(EEGNN_ERR_IO, "all-reduce failed at step %d", h->calls);
    for (i = 0; i < eegnn_optimizer_n_params(opt); i++) {
        eegnn_tensor *p = eegnn_optimizer_param(opt, i);
        for (j = 0; p->grad && j < p->numel; j++) p->grad[j] *= 0.5f;
    }
    return EEGNN_OK;
}

static void test_gradient_hook(const float *x, const float *y, const float *init) {
    run_case half = cases[1];
    eegnn_trainer_config tc = trainer_config(&cases[1]), th = tc;
    hook_state hs = {0, 0};
    model a, b;
    eegnn_trainer *ta = NULL, *tb = NULL;
    int i, same = 1;
    half.lr = cases[1].lr * 0.5f;
    if (!model_build(&a, &cases[1], init, x, y) || !model_build(&b, &half, init, x, y)) return;
    th.on_gradients = halve_gradients;
    th.user = &hs;
    ta = eegnn_trainer_create(a.g, a.loss, a.opt, &th);
    tb = eegnn_trainer_create(b.g, b.loss, b.opt, &tc);
    CHECK(ta && tb && eegnn_trainer_fit(ta, fill, &a, 2) == EEGNN_OK && eegnn_trainer_fit(tb, fill, &b, 2) == EEGNN_OK,
          "fit with a gradient hook: %s", eegnn_last_error());
    for (i = 0; i < eegnn_graph_n_params(a.g); i++) {
        const eegnn_tensor *p = eegnn_graph_param(a.g, i), *q = eegnn_graph_param(b.g, i);
        same &= !memcmp(p->data, q->data, p->numel * sizeof(float));
    }
    CHECK(same && eegnn_trainer_epoch(ta) == eegnn_trainer_epoch(tb),
          "halved gradients do not train as half the learning rate");
    CHECK(hs.calls == eegnn_trainer_epoch(ta) * tc.steps_per_epoch, "the hook ran %d times for %d epochs of %d steps",
          hs.calls, eegnn_trainer_epoch(ta), tc.steps_per_epoch);
    eegnn_trainer_free(ta);
    model_free(&a);
    if (!model_build(&a, &cases[1], init, x, y)) return;
    hs.calls = 0;
    hs.fail_at = 3;
    ta = eegnn_trainer_create(a.g, a.loss, a.opt, &th);
    CHECK(ta && eegnn_trainer_fit(ta, fill, &a, 2) == EEGNN_ERR_IO && strstr(eegnn_last_error(), "step 3") &&
              hs.calls == 3,
          "an error from the hook stops fit: %s (%d calls)", eegnn_last_error(), hs.calls);
    eegnn_trainer_free(ta);
    eegnn_trainer_free(tb);
    model_free(&a);
    model_free(&b);
}

int main(void) {
    size_t nx, ny, ni;
    float *x = load("x.npy", &nx), *y = load("y.npy", &ny), *init = load("init.npy", &ni);
    CHECK(x && y && init && nx == 120 && ny == 40 && ni == N_PARAMS, "reference data (run tests/ref_trainer.py)");
    if (x && y && init && ni == N_PARAMS) {
        test_against_pytorch(x, y, init);
        test_resume(x, y, init);
        test_gradient_hook(x, y, init);
        test_errors(x, y, init);
    }
    eegnn_free(x);
    eegnn_free(y);
    eegnn_free(init);
    return test_summary("test_trainer");
}
