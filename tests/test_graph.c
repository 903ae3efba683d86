/* Tests of the graph engine (src/graph) on a small CNN:
 *   conv1d 129->64 k7, relu, conv1d 64->64 k7 padding 'same', relu,
 *   batch_norm, global_avg_pool, linear 64->1, mse_loss.
 * 1. A training step (forward, zero_grad, backward, AdamW step) allocates
 *    nothing after the first one, in train and eval mode; the graph and
 *    optimizer give back every allocation when freed.
 * 2. Results do not depend on the thread count (1, 2, 3 threads agree to
 *    float rounding) and repeat bit for bit for a fixed thread count.
 * 3. Graph API behaviour: arena exhaustion, NULL chaining, shape errors,
 *    backward argument checks, gradient accumulation, forward_to, train/eval,
 *    lookup by name, parameter counts.
 * 4. End-to-end autodiff: analytic gradients of the whole CNN loss against
 *    central finite differences for randomly chosen weights of every
 *    parameter.
 * 5. Dropout in train mode: the mask follows its documented hash (checked
 *    against an implementation written here), drops a share p, scales the
 *    rest by 1/(1-p), and does not depend on the thread count. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdlib.h>

/* Counting allocator hooks: every allocation the library makes goes through them. */
static long test_n_malloc, test_n_realloc, test_n_free, test_n_live;

#if defined(__GNUC__)
#define TEST_COUNT(var, d) __sync_fetch_and_add(&(var), (d))
#else
#define TEST_COUNT(var, d) ((var) += (d))
#endif

static void *test_malloc(size_t n) {
    void *p = malloc(n);
    TEST_COUNT(test_n_malloc, 1);
    if (p) TEST_COUNT(test_n_live, 1);
    return p;
}

static void *test_realloc(void *old, size_t n) {
    void *p = realloc(old, n);
    TEST_COUNT(test_n_realloc, 1);
    if (!old && p) TEST_COUNT(test_n_live, 1);
    return p;
}

static void test_free(void *p) {
    TEST_COUNT(test_n_free, 1);
    if (p) TEST_COUNT(test_n_live, -1);
    free(p);
}

#define EEGNN_MALLOC(sz) test_malloc(sz)
#define EEGNN_REALLOC(p, sz) test_realloc(p, sz)
#define EEGNN_FREE(p) test_free(p)
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define C_IN 129
#define C_HID 64
#define KSIZE 7
#define N_PARAMS 8
#define FD_EPS 1e-3f
#define FD_TOL 5e-2
#define FD_PICK 4

typedef struct cnn {
    eegnn_graph *g;
    eegnn_tensor *x, *y;
    eegnn_tensor *w1, *b1, *w2, *b2, *bn_w, *bn_b, *running_mean, *running_var, *fc_w, *fc_b;
    eegnn_tensor *h1, *a1, *h2, *a2, *bn, *pool, *pred, *loss;
} cnn;

static void fill_uniform(eegnn_rng *rng, eegnn_tensor *t, float lo, float hi) {
    size_t i;
    for (i = 0; i < t->numel; i++) t->data[i] = lo + (hi - lo) * eegnn_rng_uniform(rng);
}

static void fill_normal(eegnn_rng *rng, eegnn_tensor *t, float mean, float sd) {
    size_t i;
    for (i = 0; i < t->numel; i++) t->data[i] = mean + sd * eegnn_rng_normal(rng);
}

static eegnn_tensor *param3(eegnn_graph *g, const char *name, int ndim, int d0, int d1, int d2) {
    int shape[3];
    shape[0] = d0;
    shape[1] = d1;
    shape[2] = d2;
    return eegnn_param(g, name, ndim, shape);
}

/* Builds the CNN for inputs (batch, 129, T) and fills weights and inputs
 * from `seed` (PyTorch-like uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) init;
 * batch norm affine parameters perturbed away from 1 / 0 so that their
 * gradients are not special). Returns 0 on success. */
static int cnn_build(cnn *m, int n_threads, int batch, int T, uint64_t seed, size_t arena_bytes) {
    eegnn_graph_config cfg;
    eegnn_conv1d_params same;
    eegnn_rng rng;
    int xs[3], ys[2], cs[1];
    size_t i;
    float bound;
    memset(m, 0, sizeof *m);
    memset(&cfg, 0, sizeof cfg);
    cfg.arena_bytes = arena_bytes;
    cfg.n_threads = n_threads;
    cfg.seed = seed;
    m->g = eegnn_graph_create(&cfg);
    if (!m->g) return 1;
    xs[0] = batch;
    xs[1] = C_IN;
    xs[2] = T;
    ys[0] = batch;
    ys[1] = 1;
    cs[0] = C_HID;
    m->x = eegnn_input(m->g, "x", 3, xs);
    m->y = eegnn_input(m->g, "y", 2, ys);
    m->w1 = param3(m->g, "conv1.weight", 3, C_HID, C_IN, KSIZE);
    m->b1 = param3(m->g, "conv1.bias", 1, C_HID, 0, 0);
    m->w2 = param3(m->g, "conv2.weight", 3, C_HID, C_HID, KSIZE);
    m->b2 = param3(m->g, "conv2.bias", 1, C_HID, 0, 0);
    m->bn_w = param3(m->g, "bn.weight", 1, C_HID, 0, 0);
    m->bn_b = param3(m->g, "bn.bias", 1, C_HID, 0, 0);
    m->running_mean = eegnn_buffer(m->g, "bn.running_mean", 1, cs);
    m->running_var = eegnn_buffer(m->g, "bn.running_var", 1, cs);
    m->fc_w = param3(m->g, "fc.weight", 2, 1, C_HID, 0);
    m->fc_b = param3(m->g, "fc.bias", 1, 1, 0, 0);
    memset(&same, 0, sizeof same);
    same.padding = EEGNN_PADDING_SAME;
    m->h1 = eegnn_conv1d(m->g, m->x, m->w1, m->b1, NULL);
    m->a1 = eegnn_relu(m->g, m->h1);
    m->h2 = eegnn_conv1d(m->g, m->a1, m->w2, m->b2, &same);
    m->a2 = eegnn_relu(m->g, m->h2);
    m->bn = eegnn_batch_norm(m->g, m->a2, m->bn_w, m->bn_b, m->running_mean, m->running_var, 0.1f, 1e-5f);
    m->pool = eegnn_global_avg_pool(m->g, m->bn);
    m->pred = eegnn_linear(m->g, m->pool, m->fc_w, m->fc_b);
    m->loss = eegnn_mse_loss(m->g, m->pred, m->y);
    if (!m->loss) return 1;

    eegnn_rng_seed(&rng, seed);
    bound = 1.0f / sqrtf((float)(C_IN * KSIZE));
    fill_uniform(&rng, m->w1, -bound, bound);
    fill_uniform(&rng, m->b1, -bound, bound);
    bound = 1.0f / sqrtf((float)(C_HID * KSIZE));
    fill_uniform(&rng, m->w2, -bound, bound);
    fill_uniform(&rng, m->b2, -bound, bound);
    fill_uniform(&rng, m->bn_w, 0.5f, 1.5f);
    fill_uniform(&rng, m->bn_b, -0.5f, 0.5f);
    bound = 1.0f / sqrtf((float)C_HID);
    fill_uniform(&rng, m->fc_w, -bound, bound);
    fill_uniform(&rng, m->fc_b, -bound, bound);
    for (i = 0; i < m->running_var->numel; i++) m->running_var->data[i] = 1.0f;
    fill_normal(&rng, m->x, 0.0f, 1.0f);
    fill_normal(&rng, m->y, 0.0f, 1.0f);
    return 0;
}

static eegnn_tensor *cnn_param(const cnn *m, int i) {
    eegnn_tensor *p[N_PARAMS];
    p[0] = m->w1;
    p[1] = m->b1;
    p[2] = m->w2;
    p[3] = m->b2;
    p[4] = m->bn_w;
    p[5] = m->bn_b;
    p[6] = m->fc_w;
    p[7] = m->fc_b;
    return p[i];
}

#define ADAMW_LR 1e-3f

static eegnn_optimizer *new_optimizer(eegnn_graph *g, eegnn_optimizer_type type) {
    eegnn_optimizer_config oc;
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    oc.type = type;
    if (type == EEGNN_OPTIM_SGD) {
        oc.lr = 1e-2f;
        oc.momentum = 0.9f;
    } else {
        oc.lr = ADAMW_LR;
        oc.weight_decay = 1e-2f;
    }
    return eegnn_optimizer_create(g, &oc);
}

/* One training step; returns the first non-OK status. */
static eegnn_status train_step(cnn *m, eegnn_optimizer *opt) {
    eegnn_status st = eegnn_graph_forward(m->g);
    if (st) return st;
    eegnn_optimizer_zero_grad(opt);
    st = eegnn_graph_backward(m->g, m->loss);
    if (st) return st;
    return eegnn_optimizer_step(opt);
}

/* ---- 1. no allocation inside a training step ---------------------------- */

static void test_no_alloc(void) {
    cnn m;
    eegnn_optimizer *opt;
    long live0 = test_n_live, n_malloc, n_realloc, n_free;
    int it, mode, ok = 1;
    if (cnn_build(&m, 2, 8, 200, 7, (size_t)64 << 20)) {
        CHECK(0, "no_alloc: building the CNN failed: %s", eegnn_last_error());
        eegnn_graph_free(m.g);
        return;
    }
    opt = new_optimizer(m.g, EEGNN_OPTIM_ADAMW);
    CHECK(opt != NULL, "no_alloc: optimizer: %s", eegnn_last_error());
    if (!opt) {
        eegnn_graph_free(m.g);
        return;
    }
    CHECK(test_n_live > live0, "no_alloc: graph creation went through the allocator hooks");
    CHECK(train_step(&m, opt) == EEGNN_OK, "no_alloc: warm-up step: %s", eegnn_last_error());
    for (mode = 1; mode >= 0; mode--) {
        eegnn_graph_set_training(m.g, mode);
        n_malloc = test_n_malloc;
        n_realloc = test_n_realloc;
        n_free = test_n_free;
        for (it = 0; it < 5; it++) {
            if (eegnn_graph_forward(m.g) != EEGNN_OK) ok = 0;
            if (it & 1)
                eegnn_graph_zero_grad(m.g);
            else
                eegnn_optimizer_zero_grad(opt);
            if (eegnn_graph_backward(m.g, m.loss) != EEGNN_OK) ok = 0;
            if (eegnn_optimizer_step(opt) != EEGNN_OK) ok = 0;
            if (!isfinite(m.loss->data[0])) ok = 0;
        }
        CHECK(ok, "no_alloc: steps in %s mode failed or gave a non-finite loss: %s", mode ? "train" : "eval",
              eegnn_last_error());
        CHECK(test_n_malloc == n_malloc && test_n_realloc == n_realloc && test_n_free == n_free,
              "no_alloc: %s mode: 5 steps made %ld malloc, %ld realloc, %ld free calls", mode ? "train" : "eval",
              test_n_malloc - n_malloc, test_n_realloc - n_realloc, test_n_free - n_free);
    }
    CHECK(eegnn_optimizer_step_count(opt) == 11, "no_alloc: step count %ld, expected 11",
          eegnn_optimizer_step_count(opt));
    eegnn_optimizer_free(opt);
    eegnn_graph_free(m.g);
    CHECK(test_n_live == live0, "no_alloc: %ld allocations still live after freeing graph and optimizer",
          test_n_live - live0);
}

/* ---- 2. thread-count independence and determinism ------------------------ */

typedef struct run_record {
    float loss;
    float *pred;      /* (batch) */
    float *grad;      /* all parameter gradients after the first backward */
    float *params;    /* all parameters after 5 optimizer steps */
    float *running;   /* running_mean, running_var after the 5 steps */
    size_t n_scalars; /* parameter scalars */
    size_t offset[N_PARAMS + 1];
} run_record;

#define RUN_BATCH 8
#define RUN_T 64

/* Initial parameters followed by x and y of the CNN built from seed 11
 * (what every run of test_threads starts from); NULL on failure. */
static float *initial_state(size_t *n_scalars) {
    cnn m;
    float *s = NULL;
    size_t off = 0;
    int i;
    if (cnn_build(&m, 1, RUN_BATCH, RUN_T, 11, (size_t)32 << 20) == 0) {
        *n_scalars = eegnn_graph_n_param_scalars(m.g);
        s = (float *)calloc(*n_scalars + m.x->numel + m.y->numel, sizeof(float));
        if (s) {
            for (i = 0; i < N_PARAMS; i++) {
                eegnn_tensor *p = cnn_param(&m, i);
                memcpy(s + off, p->data, p->numel * sizeof(float));
                off += p->numel;
            }
            memcpy(s + off, m.x->data, m.x->numel * sizeof(float));
            memcpy(s + off + m.x->numel, m.y->data, m.y->numel * sizeof(float));
        }
    }
    eegnn_graph_free(m.g);
    return s;
}

/* Builds the CNN with n_threads, copies the initial parameters and inputs
 * from `init`, and records the loss, output and gradients of the first
 * forward/backward and the parameters after 5 optimizer steps. */
static int run_model(int n_threads, eegnn_optimizer_type type, run_record *rec, const float *init) {
    cnn m;
    eegnn_optimizer *opt = NULL;
    int i, it, rc = 1;
    memset(rec, 0, sizeof *rec);
    if (cnn_build(&m, n_threads, RUN_BATCH, RUN_T, 999, (size_t)32 << 20)) goto done;
    CHECK(eegnn_graph_n_threads(m.g) == n_threads, "threads: graph has %d threads, asked for %d",
          eegnn_graph_n_threads(m.g), n_threads);
    rec->n_scalars = eegnn_graph_n_param_scalars(m.g);
    for (i = 0; i < N_PARAMS; i++) rec->offset[i + 1] = rec->offset[i] + cnn_param(&m, i)->numel;
    rec->pred = (float *)calloc(RUN_BATCH, sizeof(float));
    rec->grad = (float *)calloc(rec->n_scalars, sizeof(float));
    rec->params = (float *)calloc(rec->n_scalars, sizeof(float));
    rec->running = (float *)calloc(2 * C_HID, sizeof(float));
    if (!rec->pred || !rec->grad || !rec->params || !rec->running) goto done;
    for (i = 0; i < N_PARAMS; i++) {
        eegnn_tensor *p = cnn_param(&m, i);
        if (eegnn_tensor_set(p, init + rec->offset[i], p->numel)) goto done;
    }
    if (eegnn_tensor_set(m.x, init + rec->n_scalars, m.x->numel) ||
        eegnn_tensor_set(m.y, init + rec->n_scalars + m.x->numel, m.y->numel))
        goto done;
    opt = new_optimizer(m.g, type);
    if (!opt) goto done;
    if (eegnn_graph_forward(m.g) || eegnn_graph_backward(m.g, m.loss)) goto done;
    rec->loss = m.loss->data[0];
    memcpy(rec->pred, m.pred->data, RUN_BATCH * sizeof(float));
    for (i = 0; i < N_PARAMS; i++) {
        eegnn_tensor *p = cnn_param(&m, i);
        memcpy(rec->grad + rec->offset[i], p->grad, p->numel * sizeof(float));
    }
    if (eegnn_optimizer_step(opt)) goto done;
    for (it = 1; it < 5; it++)
        if (train_step(&m, opt)) goto done;
    for (i = 0; i < N_PARAMS; i++) {
        eegnn_tensor *p = cnn_param(&m, i);
        if (eegnn_tensor_get(p, rec->params + rec->offset[i], p->numel)) goto done;
    }
    memcpy(rec->running, m.running_mean->data, C_HID * sizeof(float));
    memcpy(rec->running + C_HID, m.running_var->data, C_HID * sizeof(float));
    rc = 0;
done:
    if (rc) CHECK(0, "threads: run with %d threads failed: %s", n_threads, eegnn_last_error());
    eegnn_optimizer_free(opt);
    eegnn_graph_free(m.g);
    return rc;
}

static void run_record_free(run_record *r) {
    free(r->pred);
    free(r->grad);
    free(r->params);
    free(r->running);
}

/* Loss, output and gradients must agree to relative `tol`; parameters after
 * the steps to relative `tol` (SGD), or for AdamW to an absolute error of
 * 1% of the largest possible movement, 5 * lr: Adam's normalized update
 * g / (sqrt(v) + eps) turns rounding-level differences of near-zero
 * gradients into visible ones, so relative agreement is not expected. */
static void compare_runs(const run_record *a, const run_record *ref, const char *what, double tol, int adamw) {
    int i;
    double e = fabs((double)a->loss - (double)ref->loss) / fabs((double)ref->loss);
    CHECK(e <= tol, "%s: loss %.9g vs %.9g (rel err %.3g)", what, (double)a->loss, (double)ref->loss, e);
    e = test_max_rel_err(a->pred, ref->pred, RUN_BATCH);
    CHECK(e <= tol, "%s: output rel err %.3g", what, e);
    for (i = 0; i < N_PARAMS; i++) {
        size_t o = ref->offset[i], n = ref->offset[i + 1] - o, j;
        e = test_max_rel_err(a->grad + o, ref->grad + o, n);
        CHECK(e <= tol, "%s: gradient of parameter %d rel err %.3g", what, i, e);
        if (adamw) {
            e = 0.0;
            for (j = o; j < o + n; j++)
                if (!(fabs((double)a->params[j] - (double)ref->params[j]) <= e))
                    e = fabs((double)a->params[j] - (double)ref->params[j]);
            CHECK(e <= 0.01 * 5 * ADAMW_LR, "%s: parameter %d after 5 steps abs err %.3g", what, i, e);
        } else {
            e = test_max_rel_err(a->params + o, ref->params + o, n);
            CHECK(e <= tol, "%s: parameter %d after 5 steps rel err %.3g", what, i, e);
        }
    }
    e = test_max_rel_err(a->running, ref->running, 2 * C_HID);
    CHECK(e <= tol, "%s: running statistics rel err %.3g", what, e);
}

static int runs_identical(const run_record *a, const run_record *b) {
    return !memcmp(&a->loss, &b->loss, sizeof(float)) && !memcmp(a->pred, b->pred, RUN_BATCH * sizeof(float)) &&
           !memcmp(a->grad, b->grad, a->n_scalars * sizeof(float)) &&
           !memcmp(a->params, b->params, a->n_scalars * sizeof(float)) &&
           !memcmp(a->running, b->running, 2 * C_HID * sizeof(float));
}

static void test_threads(eegnn_optimizer_type type) {
    const char *name = type == EEGNN_OPTIM_SGD ? "SGD" : "AdamW";
    int adamw = type == EEGNN_OPTIM_ADAMW, failed;
    run_record r1, r2, r3, r2b, r3b;
    char what[64];
    size_t n_scalars = 0;
    float *init = initial_state(&n_scalars);
    CHECK(init != NULL, "threads: initial state: %s", eegnn_last_error());
    if (!init) return;
    failed = run_model(1, type, &r1, init);
    failed |= run_model(2, type, &r2, init);
    failed |= run_model(3, type, &r3, init);
    failed |= run_model(2, type, &r2b, init);
    failed |= run_model(3, type, &r3b, init);
    if (!failed) {
        CHECK(r1.loss > 0.0f && isfinite(r1.loss), "threads: loss %g", (double)r1.loss);
        snprintf(what, sizeof what, "%s, 2 vs 1 threads", name);
        compare_runs(&r2, &r1, what, 1e-5, adamw);
        snprintf(what, sizeof what, "%s, 3 vs 1 threads", name);
        compare_runs(&r3, &r1, what, 1e-5, adamw);
        CHECK(runs_identical(&r2, &r2b), "threads: %s: two runs with 2 threads differ", name);
        CHECK(runs_identical(&r3, &r3b), "threads: %s: two runs with 3 threads differ", name);
        /* the optimizer moved the parameters, so the comparison above covers the updates */
        CHECK(memcmp(r1.params, init, n_scalars * sizeof(float)) != 0, "threads: %s: parameters unchanged", name);
    }
    free(init);
    run_record_free(&r1);
    run_record_free(&r2);
    run_record_free(&r3);
    run_record_free(&r2b);
    run_record_free(&r3b);
}

/* ---- 3. graph API behaviour --------------------------------------------- */

/* Constructors given a NULL input return NULL and keep the earlier error. */
static void test_null_chaining(eegnn_graph *g, eegnn_tensor *x3, eegnn_tensor *w, eegnn_tensor *x2) {
    char first[1024];
    int shape[2], ok = 1, k;
    eegnn_tensor *r[20];
    snprintf(first, sizeof first, "%s", eegnn_last_error());
    shape[0] = -1;
    shape[1] = 4;
    k = 0;
    r[k++] = eegnn_conv1d(g, NULL, w, NULL, NULL);
    r[k++] = eegnn_conv1d(g, x3, NULL, NULL, NULL);
    r[k++] = eegnn_relu(g, NULL);
    r[k++] = eegnn_elu(g, NULL, 1.0f);
    r[k++] = eegnn_gelu(g, NULL);
    r[k++] = eegnn_add(g, NULL, x2);
    r[k++] = eegnn_mul(g, x2, NULL);
    r[k++] = eegnn_scale(g, NULL, 2.0f);
    r[k++] = eegnn_bias_add(g, NULL, NULL);
    r[k++] = eegnn_reshape(g, NULL, 2, shape);
    r[k++] = eegnn_flatten(g, NULL);
    r[k++] = eegnn_dropout(g, NULL, 0.5f);
    r[k++] = eegnn_log_softmax(g, NULL);
    r[k++] = eegnn_max_pool1d(g, NULL, 2, 2, 0);
    r[k++] = eegnn_global_avg_pool(g, NULL);
    r[k++] = eegnn_batch_norm(g, NULL, NULL, NULL, NULL, NULL, 0.1f, 1e-5f);
    r[k++] = eegnn_linear(g, NULL, w, NULL);
    r[k++] = eegnn_matmul(g, x2, NULL);
    r[k++] = eegnn_mse_loss(g, NULL, x2);
    r[k++] = eegnn_cross_entropy_loss(g, x2, NULL, NULL);
    while (k-- > 0) {
        if (r[k]) ok = 0;
        if (strcmp(eegnn_last_error(), first) != 0) {
            ok = 0;
            printf("constructor %d replaced the error with: %s\n", k, eegnn_last_error());
            eegnn_set_error(EEGNN_ERR_MEMORY, "%s", first);
        }
    }
    CHECK(ok, "NULL inputs: a constructor returned non-NULL or replaced the first error");
}

static void test_arena_and_errors(void) {
    eegnn_graph_config cfg;
    eegnn_graph *g;
    eegnn_tensor *x, *w, *b, *h, *x2, *w_bad, *t;
    int xs[3], ws[3], bs[1], s2[2];
    size_t used;
    memset(&cfg, 0, sizeof cfg);
    cfg.arena_bytes = 48 << 10;
    cfg.n_threads = 1;
    g = eegnn_graph_create(&cfg);
    CHECK(g != NULL, "arena: graph: %s", eegnn_last_error());
    if (!g) return;
    CHECK(eegnn_graph_arena_size(g) == (size_t)48 << 10, "arena: size %zu", eegnn_graph_arena_size(g));
    xs[0] = 2;
    xs[1] = 4;
    xs[2] = 1000; /* 32000 bytes */
    ws[0] = 8;
    ws[1] = 4;
    ws[2] = 3;
    bs[0] = 8;
    x = eegnn_input(g, "x", 3, xs);
    w = eegnn_param(g, "w", 3, ws);
    b = eegnn_param(g, "b", 1, bs);
    CHECK(x && w && b, "arena: leaves: %s", eegnn_last_error());
    if (!x || !w || !b) {
        eegnn_graph_free(g);
        return;
    }
    used = eegnn_graph_arena_used(g);
    CHECK(used >= x->numel * sizeof(float) + 2 * (w->numel + b->numel) * sizeof(float) && used <= (size_t)48 << 10,
          "arena: %zu bytes used for the leaves", used);
    eegnn_clear_error();
    h = eegnn_conv1d(g, x, w, b, NULL); /* output (2, 8, 998): 64 KB, more than the arena */
    CHECK(h == NULL, "arena: conv1d in a full arena returned a node");
    CHECK(strstr(eegnn_last_error(), "arena") != NULL, "arena: error does not mention the arena: '%s'",
          eegnn_last_error());
    CHECK(eegnn_graph_arena_used(g) <= eegnn_graph_arena_size(g), "arena: used %zu > size %zu",
          eegnn_graph_arena_used(g), eegnn_graph_arena_size(g));
    /* the rest of a chain built on the failed node keeps the arena error */
    s2[0] = 2;
    s2[1] = 3;
    x2 = eegnn_input(g, "x2", 2, s2);
    CHECK(x2 != NULL, "arena: small input after the failure: %s", eegnn_last_error());
    eegnn_set_error(EEGNN_ERR_MEMORY, "graph arena full (first error)");
    test_null_chaining(g, x, w, x2);
    t = eegnn_relu(g, eegnn_relu(g, h));
    CHECK(t == NULL && strcmp(eegnn_last_error(), "graph arena full (first error)") == 0,
          "arena: chain on a failed node changed the error to '%s'", eegnn_last_error());
    eegnn_graph_free(g);

    /* shape errors name the op */
    memset(&cfg, 0, sizeof cfg);
    cfg.arena_bytes = 1 << 20;
    cfg.n_threads = 1;
    g = eegnn_graph_create(&cfg);
    if (!g) return;
    xs[2] = 50;
    x = eegnn_input(g, "x", 3, xs);
    ws[1] = 5; /* 5 input channels for a 4-channel x */
    w_bad = eegnn_param(g, "w_bad", 3, ws);
    s2[0] = 2;
    s2[1] = 3;
    x2 = eegnn_input(g, "x2", 2, s2);
    s2[1] = 4;
    t = eegnn_input(g, "x4", 2, s2);
    CHECK(x && w_bad && x2 && t, "shape errors: leaves: %s", eegnn_last_error());
    if (x && w_bad && x2 && t) {
        eegnn_tensor *pool = eegnn_global_avg_pool(g, x); /* (2, 4) */
        eegnn_tensor *lw, *r;
        s2[0] = 1;
        s2[1] = 3;
        lw = eegnn_param(g, "lw", 2, s2); /* (1, 3) for 4 features */
        r = eegnn_conv1d(g, x, w_bad, NULL, NULL);
        CHECK(r == NULL && strstr(eegnn_last_error(), "conv1d"), "shape errors: conv1d: '%s'", eegnn_last_error());
        r = eegnn_linear(g, pool, lw, NULL);
        CHECK(r == NULL && strstr(eegnn_last_error(), "linear"), "shape errors: linear: '%s'", eegnn_last_error());
        r = eegnn_mse_loss(g, x2, t);
        CHECK(r == NULL && strstr(eegnn_last_error(), "mse_loss"), "shape errors: mse_loss: '%s'",
              eegnn_last_error());
        r = eegnn_add(g, x2, t);
        CHECK(r == NULL && strstr(eegnn_last_error(), "add"), "shape errors: add: '%s'", eegnn_last_error());
        r = eegnn_batch_norm(g, x, lw, NULL, NULL, NULL, 0.1f, 1e-5f);
        CHECK(r == NULL && strstr(eegnn_last_error(), "batch_norm"), "shape errors: batch_norm: '%s'",
              eegnn_last_error());
        r = eegnn_global_avg_pool(g, x2);
        CHECK(r == NULL && strstr(eegnn_last_error(), "global_avg_pool"), "shape errors: global_avg_pool: '%s'",
              eegnn_last_error());
        s2[0] = 5;
        s2[1] = -1;
        r = eegnn_reshape(g, x2, 2, s2);
        CHECK(r == NULL && strstr(eegnn_last_error(), "reshape"), "shape errors: reshape: '%s'",
              eegnn_last_error());
        CHECK(eegnn_tensor_set(x2, x->data, 5) == EEGNN_ERR_ARG, "tensor_set with a wrong count accepted");
        CHECK(eegnn_tensor_get(x2, x->data, 7) == EEGNN_ERR_ARG, "tensor_get with a wrong count accepted");
    }
    eegnn_graph_free(g);
}

static void test_graph_api(void) {
    cnn m;
    eegnn_tensor *nograd_loss;
    float *g1 = NULL, *g2 = NULL, *mean_before = NULL;
    size_t n, off, expected;
    int i, ok;
    double e;
    char buf[64];
    if (cnn_build(&m, 2, 4, 40, 5, (size_t)32 << 20)) {
        CHECK(0, "api: building the CNN failed: %s", eegnn_last_error());
        eegnn_graph_free(m.g);
        return;
    }
    /* parameter counts against the hand count */
    expected = (size_t)129 * 64 * 7 + 64 + 64 * 64 * 7 + 64 + 64 + 64 + 64 + 1;
    CHECK(eegnn_graph_n_param_scalars(m.g) == expected, "api: %zu parameter scalars, expected %zu",
          eegnn_graph_n_param_scalars(m.g), expected);
    CHECK(eegnn_graph_n_params(m.g) == N_PARAMS, "api: %d parameters", eegnn_graph_n_params(m.g));
    ok = 1;
    for (i = 0; i < N_PARAMS; i++) ok &= eegnn_graph_param(m.g, i) == cnn_param(&m, i);
    CHECK(ok, "api: eegnn_graph_param does not list the parameters in creation order");
    CHECK(eegnn_graph_param(m.g, N_PARAMS) == NULL && eegnn_graph_param(m.g, -1) == NULL,
          "api: parameter index out of range returned a tensor");
    CHECK(eegnn_graph_node(m.g, 0) == m.x && eegnn_graph_node(m.g, eegnn_graph_n_nodes(m.g) - 1) == m.loss &&
              eegnn_graph_node(m.g, eegnn_graph_n_nodes(m.g)) == NULL,
          "api: eegnn_graph_node order");
    CHECK(m.x->grad == NULL && m.y->grad == NULL && m.running_mean->grad == NULL,
          "api: inputs or buffers carry a gradient");
    CHECK(m.loss->ndim == 0 && m.loss->numel == 1, "api: loss is not a 0-D scalar");
    CHECK(!strcmp(eegnn_shape_str(m.h1, buf, sizeof buf), "(4, 64, 34)"), "api: conv1 output shape %s", buf);
    CHECK(!strcmp(eegnn_shape_str(m.h2, buf, sizeof buf), "(4, 64, 34)"), "api: 'same' conv output shape %s", buf);

    /* lookup by name */
    CHECK(eegnn_graph_find(m.g, "conv2.weight") == m.w2, "api: find conv2.weight");
    CHECK(eegnn_graph_find(m.g, "bn.running_var") == m.running_var, "api: find bn.running_var");
    CHECK(eegnn_graph_find(m.g, "x") == m.x, "api: find input x");
    CHECK(eegnn_graph_find(m.g, "conv3.weight") == NULL, "api: find of an absent name");
    CHECK(eegnn_graph_find(m.g, "") == NULL, "api: find of an empty name");
    CHECK(eegnn_graph_find(m.g, "embedding") == NULL, "api: find of an unset name");
    eegnn_tensor_set_name(m.pool, "embedding");
    CHECK(eegnn_graph_find(m.g, "embedding") == m.pool, "api: find of a named intermediate node");

    /* backward argument checks */
    CHECK(eegnn_graph_forward(m.g) == EEGNN_OK, "api: forward: %s", eegnn_last_error());
    CHECK(eegnn_graph_backward(m.g, m.pred) == EEGNN_ERR_ARG, "api: backward on a (4, 1) output accepted");
    CHECK(eegnn_graph_backward(m.g, NULL) == EEGNN_ERR_ARG, "api: backward on NULL accepted");
    /* a loss that depends on no parameter */
    {
        eegnn_graph_config cfg;
        eegnn_graph *free_g;
        int s2[2];
        memset(&cfg, 0, sizeof cfg);
        cfg.arena_bytes = 1 << 20;
        cfg.n_threads = 1;
        free_g = eegnn_graph_create(&cfg);
        s2[0] = 3;
        s2[1] = 2;
        nograd_loss = free_g ? eegnn_mse_loss(free_g, eegnn_relu(free_g, eegnn_input(free_g, "a", 2, s2)),
                                           eegnn_input(free_g, "b", 2, s2))
                          : NULL;
        CHECK(nograd_loss != NULL, "api: parameter-free loss: %s", eegnn_last_error());
        if (nograd_loss) {
            CHECK(eegnn_graph_forward(free_g) == EEGNN_OK, "api: forward of a parameter-free graph");
            CHECK(eegnn_graph_backward(free_g, nograd_loss) == EEGNN_ERR_ARG,
                  "api: backward on a loss without parameters accepted");
        }
        eegnn_graph_free(free_g);
    }

    /* gradients accumulate over backward calls until zero_grad */
    n = eegnn_graph_n_param_scalars(m.g);
    g1 = (float *)malloc(n * sizeof(float));
    g2 = (float *)malloc(n * sizeof(float));
    mean_before = (float *)malloc(C_HID * sizeof(float));
    if (!g1 || !g2 || !mean_before) goto done;
    eegnn_graph_zero_grad(m.g);
    CHECK(eegnn_graph_backward(m.g, m.loss) == EEGNN_OK, "api: backward: %s", eegnn_last_error());
    for (i = 0, off = 0; i < N_PARAMS; off += cnn_param(&m, i)->numel, i++)
        memcpy(g1 + off, cnn_param(&m, i)->grad, cnn_param(&m, i)->numel * sizeof(float));
    ok = 1;
    for (i = 0, off = 0; i < N_PARAMS; off += cnn_param(&m, i)->numel, i++) {
        size_t j;
        double amax = 0.0;
        for (j = 0; j < cnn_param(&m, i)->numel; j++)
            if (fabs(g1[off + j]) > amax) amax = fabs(g1[off + j]);
        if (!(amax > 0.0)) ok = 0;
    }
    CHECK(ok, "api: some parameter got an all-zero gradient");
    CHECK(eegnn_graph_backward(m.g, m.loss) == EEGNN_OK, "api: second backward: %s", eegnn_last_error());
    for (i = 0, off = 0; i < N_PARAMS; off += cnn_param(&m, i)->numel, i++) {
        size_t j, np = cnn_param(&m, i)->numel;
        for (j = 0; j < np; j++) g2[off + j] = 2.0f * g1[off + j];
        e = test_max_rel_err(cnn_param(&m, i)->grad, g2 + off, np);
        CHECK(e <= 1e-6, "api: parameter %d gradient after two backward calls is not twice the first (rel err %.3g)",
              i, e);
    }
    eegnn_graph_zero_grad(m.g);
    ok = 1;
    for (i = 0; i < N_PARAMS; i++) {
        size_t j;
        for (j = 0; j < cnn_param(&m, i)->numel; j++) ok &= cnn_param(&m, i)->grad[j] == 0.0f;
    }
    CHECK(ok, "api: zero_grad left a non-zero gradient");
    CHECK(eegnn_graph_backward(m.g, m.loss) == EEGNN_OK, "api: backward after zero_grad");
    ok = 1;
    for (i = 0, off = 0; i < N_PARAMS; off += cnn_param(&m, i)->numel, i++)
        ok &= !memcmp(cnn_param(&m, i)->grad, g1 + off, cnn_param(&m, i)->numel * sizeof(float));
    CHECK(ok, "api: backward after zero_grad differs from the first backward");

    /* forward_to stops at the given node */
    for (i = 0; i < C_HID; i++) m.running_mean->data[i] = 0.0f;
    for (i = 0; i < 4; i++) m.pred->data[i] = 12345.0f;
    m.loss->data[0] = -7.0f;
    m.pool->data[0] = 12345.0f;
    CHECK(eegnn_graph_forward_to(m.g, m.pool) == EEGNN_OK, "api: forward_to");
    CHECK(m.pool->data[0] != 12345.0f, "api: forward_to did not compute the target node");
    ok = 1;
    for (i = 0; i < 4; i++) ok &= m.pred->data[i] == 12345.0f;
    CHECK(ok && m.loss->data[0] == -7.0f, "api: forward_to ran nodes after the target");
    CHECK(eegnn_graph_forward_to(m.g, m.pred) == EEGNN_OK && m.pred->data[0] != 12345.0f &&
              m.loss->data[0] == -7.0f,
          "api: forward_to(pred) ran the loss or not the prediction");

    /* train / eval switch */
    CHECK(eegnn_graph_training(m.g) == 1, "api: a new graph is not in train mode");
    memcpy(mean_before, m.running_mean->data, C_HID * sizeof(float));
    CHECK(eegnn_graph_forward(m.g) == EEGNN_OK, "api: forward (train)");
    CHECK(memcmp(mean_before, m.running_mean->data, C_HID * sizeof(float)) != 0,
          "api: train-mode forward did not update the running mean");
    memcpy(g2, m.pred->data, 4 * sizeof(float));
    eegnn_graph_set_training(m.g, 0);
    CHECK(eegnn_graph_training(m.g) == 0, "api: set_training(0)");
    memcpy(mean_before, m.running_mean->data, C_HID * sizeof(float));
    CHECK(eegnn_graph_forward(m.g) == EEGNN_OK, "api: forward (eval)");
    CHECK(memcmp(mean_before, m.running_mean->data, C_HID * sizeof(float)) == 0,
          "api: eval-mode forward changed the running mean");
    CHECK(memcmp(g2, m.pred->data, 4 * sizeof(float)) != 0,
          "api: eval mode (running statistics) gives the same output as train mode (batch statistics)");
    eegnn_graph_set_training(m.g, 5);
    CHECK(eegnn_graph_training(m.g) == 1, "api: set_training(5) is not train mode");
    CHECK(eegnn_graph_forward(m.g) == EEGNN_OK, "api: forward (train again)");
    CHECK(!memcmp(g2, m.pred->data, 4 * sizeof(float)),
          "api: back in train mode the output differs from the first train-mode output");

done:
    free(g1);
    free(g2);
    free(mean_before);
    eegnn_graph_free(m.g);
}

/* ---- 4. finite differences through the whole CNN ------------------------- */

/* The CNN's loss recomputed in double from the float prediction (the same
 * function as mse_loss, without the loss's final rounding to float, which
 * would otherwise dominate the finite-difference noise). */
static double objective(cnn *m) {
    double s = 0.0;
    size_t i;
    eegnn_graph_forward(m->g);
    for (i = 0; i < m->pred->numel; i++) {
        double d = (double)m->pred->data[i] - (double)m->y->data[i];
        s += d * d;
    }
    return s / (double)m->pred->numel;
}

/* Number of ReLU inputs (h1, h2) whose sign differs from `signs`. */
static size_t relu_flips(const cnn *m, const unsigned char *signs) {
    size_t i, n = 0;
    for (i = 0; i < m->h1->numel; i++) n += (m->h1->data[i] > 0.0f) != signs[i];
    for (i = 0; i < m->h2->numel; i++) n += (m->h2->data[i] > 0.0f) != signs[m->h1->numel + i];
    return n;
}

/* For FD_PICK random elements of every parameter, compares the analytic
 * gradient with the central difference (f(w + h) - f(w - h)) / 2h.
 * ReLU makes the loss only piecewise smooth, so a step that flips the sign
 * of any ReLU input is retried with a smaller h (FD_EPS, /3, /10), and an
 * element for which all flip is replaced by another (the check uses only
 * forward values, so it cannot hide a wrong backward). Error:
 * |analytic - numeric| / (|numeric| + 5% of the parameter's largest
 * gradient), at most FD_TOL. Float32 rounding through two convolutions and
 * batch norm leaves about 1e-7 of noise in the objective, i.e. up to ~2%
 * error for the small first-layer gradients at these steps; a wrong
 * backward gives errors of order one. */
static void test_finite_differences(void) {
    cnn m;
    eegnn_rng rng;
    unsigned char *signs = NULL;
    int i, k, s;
    double base, e;
    size_t j;
    if (cnn_build(&m, 2, 4, 40, 21, (size_t)32 << 20)) {
        CHECK(0, "fd: building the CNN failed: %s", eegnn_last_error());
        eegnn_graph_free(m.g);
        return;
    }
    /* target away from the output so that the loss has a clear slope */
    for (i = 0; i < 4; i++) m.y->data[i] += (i & 1) ? 2.0f : -2.0f;
    eegnn_rng_seed(&rng, 99);
    base = objective(&m);
    e = fabs(base - (double)m.loss->data[0]) / base;
    CHECK(e <= 1e-6, "fd: mse_loss %.9g vs recomputed %.9g", (double)m.loss->data[0], base);
    signs = (unsigned char *)malloc(m.h1->numel + m.h2->numel);
    if (!signs) goto done;
    for (j = 0; j < m.h1->numel; j++) signs[j] = m.h1->data[j] > 0.0f;
    for (j = 0; j < m.h2->numel; j++) signs[m.h1->numel + j] = m.h2->data[j] > 0.0f;
    eegnn_graph_zero_grad(m.g);
    CHECK(eegnn_graph_backward(m.g, m.loss) == EEGNN_OK, "fd: backward: %s", eegnn_last_error());
    for (i = 0; i < N_PARAMS; i++) {
        eegnn_tensor *p = cnn_param(&m, i);
        double gmax = 0.0, worst = 0.0;
        int n_ok = 0, n_want = p->numel < FD_PICK ? (int)p->numel : FD_PICK;
        for (j = 0; j < p->numel; j++)
            if (fabs(p->grad[j]) > gmax) gmax = fabs(p->grad[j]);
        for (k = 0; k < 4 * FD_PICK && n_ok < n_want; k++) {
            size_t idx = p->numel <= FD_PICK ? (size_t)k % p->numel : eegnn_rng_below(&rng, (uint32_t)p->numel);
            const float steps[3] = {FD_EPS, FD_EPS / 3.0f, FD_EPS / 10.0f};
            float w0 = p->data[idx];
            double lp = 0.0, lm = 0.0, h_plus = 0.0, h_minus = 0.0, num, ana = p->grad[idx], err;
            for (s = 0; s < 3; s++) {
                size_t flips;
                p->data[idx] = w0 + steps[s];
                h_plus = (double)p->data[idx] - w0;
                lp = objective(&m);
                flips = relu_flips(&m, signs);
                p->data[idx] = w0 - steps[s];
                h_minus = (double)w0 - p->data[idx];
                lm = objective(&m);
                flips += relu_flips(&m, signs);
                p->data[idx] = w0;
                if (!flips) break;
            }
            if (s == 3) continue; /* a ReLU kink within the smallest step */
            num = (lp - lm) / (h_plus + h_minus);
            err = fabs(ana - num) / (fabs(num) + 0.05 * gmax);
            if (err > worst) worst = err;
            n_ok++;
        }
        CHECK(n_ok == n_want, "fd: %s: only %d of %d elements are smooth around w", p->name, n_ok, n_want);
        CHECK(worst <= FD_TOL, "fd: %s: analytic vs numeric gradient, worst error %.3g", p->name, worst);
    }
done:
    free(signs);
    eegnn_graph_free(m.g);
}

/* ---- gradient memory plan ------------------------------------------------- */

/* Intermediate gradients share one pool: it is smaller than their sum, batch
 * norm's input shares its buffer, and retained gradients equal the analytic
 * ones: for loss = mean((pred - y)^2), dpred = 2 (pred - y) / n, and through
 * the global average pool and the linear layer, dbn[b, c, t] = dpred[b] *
 * fc_w[c] / T. */
static void test_grad_memory(void) {
    cnn m;
    size_t sum = 0, j;
    float *lo = NULL, *hi = NULL;
    double e_pred = 0.0, e_bn = 0.0;
    int i, b, c, t, T = 40, B = 4;
    if (cnn_build(&m, 2, B, T, 5, (size_t)32 << 20)) {
        CHECK(0, "grad memory: building the CNN failed: %s", eegnn_last_error());
        eegnn_graph_free(m.g);
        return;
    }
    eegnn_tensor_retain_grad(m.pred);
    eegnn_tensor_retain_grad(m.bn);
    for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) {
        eegnn_tensor *n = eegnn_graph_node(m.g, i);
        if (n->grad && !(n->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_RETAIN_GRAD))) sum += n->numel * sizeof(float);
    }
    CHECK(eegnn_graph_prepare(m.g) == EEGNN_OK, "grad memory: prepare: %s", eegnn_last_error());
    for (i = 0; i < eegnn_graph_n_nodes(m.g); i++) { /* the span of the shared pool */
        eegnn_tensor *n = eegnn_graph_node(m.g, i);
        if (!n->grad || (n->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_RETAIN_GRAD))) continue;
        if (!lo || n->grad < lo) lo = n->grad;
        if (!hi || n->grad + n->numel > hi) hi = n->grad + n->numel;
    }
    CHECK(lo && (size_t)(hi - lo) * sizeof(float) < sum / 2,
          "grad memory: pool of %zu bytes, not below half the %zu of separate buffers",
          lo ? (size_t)(hi - lo) * sizeof(float) : (size_t)0, sum);
    CHECK(m.a2->grad != m.bn->grad, "grad memory: a retained gradient shares its buffer");
    CHECK(eegnn_graph_forward(m.g) == EEGNN_OK && eegnn_graph_backward(m.g, m.loss) == EEGNN_OK,
          "grad memory: step: %s", eegnn_last_error());
    for (b = 0; b < B; b++) {
        double want = 2.0 * ((double)m.pred->data[b] - m.y->data[b]) / B;
        double e = fabs(m.pred->grad[b] - want) / (fabs(want) + 1e-12);
        if (e > e_pred) e_pred = e;
        for (c = 0; c < C_HID; c++)
            for (t = 0; t < T - KSIZE + 1; t++) {
                int t_out = T - KSIZE + 1;
                double w = want * m.fc_w->data[c] / t_out;
                j = ((size_t)b * C_HID + c) * t_out + t;
                if (j < m.bn->numel) e = fabs(m.bn->grad[j] - w) / (fabs(w) + 1e-9);
                if (e > e_bn) e_bn = e;
            }
    }
    CHECK(e_pred <= 1e-5, "grad memory: retained d loss / d pred, worst rel. error %.3g", e_pred);
    CHECK(e_bn <= 1e-4, "grad memory: retained d loss / d bn, worst rel. error %.3g", e_bn);
    eegnn_graph_free(m.g);
    /* without retain_grad, batch norm computes its input's gradient in place */
    if (cnn_build(&m, 1, B, T, 5, (size_t)32 << 20) == 0 && eegnn_graph_prepare(m.g) == EEGNN_OK)
        CHECK(m.a2->grad == m.bn->grad && m.h2->grad != m.bn->grad,
              "grad memory: batch norm's input does not share its gradient buffer");
    else
        CHECK(0, "grad memory: second build: %s", eegnn_last_error());
    eegnn_graph_free(m.g);
}


/* The dropout mask's definition (src/ops/elementwise.c), written out here. */
static uint32_t ref_lowbias32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x7FEB352Du;
    h ^= h >> 15;
    h *= 0x846CA68Bu;
    h ^= h >> 16;
    return h;
}

static float ref_keep(uint64_t seed, size_t i, float p) {
    uint64_t z = seed + (uint64_t)(i / 4096 + 1) * 0x9E3779B97F4A7C15ull;
    uint32_t key, th = (uint32_t)((double)p * 4294967296.0);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    key = (uint32_t)z;
    return ref_lowbias32((uint32_t)(i % 4096) * 0x9E3779B9u + key) >= th ? 1.0f / (1.0f - p) : 0.0f;
}

/* Forward and backward of dropout(p) on a (3, 7, 5003) input (4 rows of the
 * hash and a partial one) with n_threads; mask, y and dx (numel) out. */
static int dropout_run(int n_threads, float p, float *mask, float *y, float *dx, uint64_t *seed) {
    eegnn_graph_config cfg;
    eegnn_graph *g;
    eegnn_tensor *x, *t;
    eegnn_dropout_params dp;
    eegnn_rng probe;
    int shape[3] = {3, 7, 5003};
    size_t i;
    memset(&cfg, 0, sizeof cfg);
    cfg.arena_bytes = (size_t)8 << 20;
    cfg.n_threads = n_threads;
    cfg.seed = 77;
    g = eegnn_graph_create(&cfg);
    if (!g) return 1;
    x = eegnn_param(g, "x", 3, shape);
    t = eegnn_dropout(g, x, p);
    if (!t || eegnn_graph_prepare(g) != EEGNN_OK) {
        eegnn_graph_free(g);
        return 1;
    }
    for (i = 0; i < x->numel; i++) x->data[i] = 1.0f + (float)(i % 13);
    eegnn_graph_set_training(g, 1);
    probe = *eegnn_graph_rng(g); /* the seed the forward will draw */
    *seed = (uint64_t)eegnn_rng_u32(&probe);
    *seed |= (uint64_t)eegnn_rng_u32(&probe) << 32;
    eegnn_graph_forward(g);
    eegnn_graph_zero_grad(g);
    for (i = 0; i < t->numel; i++) t->grad[i] = 0.5f + (float)(i % 7);
    t->backward(g, t); /* the op's own backward, dy given */
    CHECK(eegnn_dropout_params_of(t, &dp) == EEGNN_OK && dp.active, "dropout: active in train mode");
    memcpy(mask, dp.mask, t->numel * sizeof(float));
    memcpy(y, t->data, t->numel * sizeof(float));
    memcpy(dx, x->grad, t->numel * sizeof(float));
    eegnn_graph_free(g);
    return 0;
}

static void test_dropout_train(void) {
    size_t n = (size_t)3 * 7 * 5003, i, dropped = 0, bad_ref = 0, bad_y = 0, bad_dx = 0, same = 0, agree = 0;
    float p = 0.3f;
    float *m1 = (float *)malloc(n * sizeof(float) * 6), *y1 = m1 + n, *d1 = y1 + n, *m2 = d1 + n, *y2 = m2 + n,
          *d2 = y2 + n;
    uint64_t s1, s2;
    if (!m1) return;
    if (dropout_run(1, p, m1, y1, d1, &s1) || dropout_run(2, p, m2, y2, d2, &s2)) {
        CHECK(0, "dropout: graph: %s", eegnn_last_error());
        free(m1);
        return;
    }
    for (i = 0; i < n; i++) {
        float x = 1.0f + (float)(i % 13), dy = 0.5f + (float)(i % 7);
        dropped += m1[i] == 0.0f;
        bad_ref += m1[i] != ref_keep(s1, i, p);
        bad_y += y1[i] != x * m1[i];
        bad_dx += d1[i] != dy * m1[i];
        same += m1[i] == m2[i] && y1[i] == y2[i] && d1[i] == d2[i];
        if (i >= 4096) agree += (m1[i] == 0.0f) == (m1[i - 4096] == 0.0f);
    }
    CHECK(bad_ref == 0, "dropout: %zu of %zu mask values differ from the documented hash", bad_ref, n);
    CHECK(bad_y == 0 && bad_dx == 0, "dropout: y = x * mask (%zu wrong), dx = dy * mask (%zu wrong)", bad_y, bad_dx);
    CHECK(fabs((double)dropped / (double)n - p) < 0.01, "dropout: dropped share %.4f, p %.2f", (double)dropped / (double)n,
          (double)p);
    /* independent rows: two positions agree with probability p^2 + (1-p)^2 = 0.58 */
    CHECK(fabs((double)agree / (double)(n - 4096) - 0.58) < 0.015, "dropout: rows 4096 apart agree at %.4f",
          (double)agree / (double)(n - 4096));
    CHECK(s1 == s2 && same == n, "dropout: 1 and 2 threads give the same mask, output and gradient (%zu of %zu)", same,
          n);
    free(m1);
}

int main(void) {
    test_no_alloc();
    test_threads(EEGNN_OPTIM_SGD);
    test_threads(EEGNN_OPTIM_ADAMW);
    test_arena_and_errors();
    test_graph_api();
    test_finite_differences();
    test_grad_memory();
    test_dropout_train();
    return test_summary("graph");
}
