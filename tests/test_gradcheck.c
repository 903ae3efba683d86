/* Gradient check of every op in ops.h against central finite differences.
 *
 * Each case builds a small graph whose checked tensors are parameters, runs
 * forward and backward once to get the analytic gradients, then perturbs
 * every element of every parameter by +-eps and differentiates the scalar
 * objective numerically. For an op output `out` the objective is
 * sum((out - target)^2) / numel with a fixed random target, evaluated in
 * double from out's float values (the graph's loss is mse_loss(out, target),
 * so its gradient is the same function's); for a loss op it is the loss
 * value itself. Inputs are drawn away from kinks (relu at 0, l1 at 0, max
 * pool ties) so the function is smooth within +-eps. The graph RNG state is
 * restored before every forward, so dropout sees one fixed mask.
 * Error measure: max |analytic - numeric| / max |numeric| per tensor. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define GC_EPS 1e-2
#define GC_TOL 2e-3

static eegnn_rng test_rng;

static void fill_normal(eegnn_tensor *t, float scale) {
    size_t i;
    for (i = 0; i < t->numel; i++) t->data[i] = scale * eegnn_rng_normal(&test_rng);
}

static void fill_uniform(eegnn_tensor *t, float lo, float hi) {
    size_t i;
    for (i = 0; i < t->numel; i++) t->data[i] = lo + (hi - lo) * eegnn_rng_uniform(&test_rng);
}

/* Values at least 0.1 away from zero (relu, l1 kinks). */
static void fill_away_from_zero(eegnn_tensor *t) {
    size_t i;
    for (i = 0; i < t->numel; i++) {
        float v = 0.1f + 1.4f * eegnn_rng_uniform(&test_rng);
        t->data[i] = eegnn_rng_uniform(&test_rng) < 0.5f ? -v : v;
    }
}

/* A random permutation of values 0.1 apart (no ties within +-eps, for max pool). */
static void fill_distinct(eegnn_tensor *t) {
    int n = (int)t->numel, i;
    int *perm = (int *)malloc((size_t)n * sizeof(int));
    for (i = 0; i < n; i++) perm[i] = i;
    eegnn_rng_shuffle(&test_rng, perm, n);
    for (i = 0; i < n; i++) t->data[i] = 0.1f * (float)(perm[i] - n / 2);
    free(perm);
}

static eegnn_graph *new_graph(void) {
    eegnn_graph_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.arena_bytes = (size_t)8 << 20;
    cfg.n_threads = 2;
    cfg.seed = 1234;
    return eegnn_graph_create(&cfg);
}

static eegnn_tensor *param(eegnn_graph *g, const char *name, int ndim, int d0, int d1, int d2) {
    int shape[3];
    shape[0] = d0;
    shape[1] = d1;
    shape[2] = d2;
    return eegnn_param(g, name, ndim, shape);
}

static eegnn_tensor *input(eegnn_graph *g, const char *name, int ndim, int d0, int d1, int d2) {
    int shape[3];
    shape[0] = d0;
    shape[1] = d1;
    shape[2] = d2;
    return eegnn_input(g, name, ndim, shape);
}

/* mse_loss(out, target) with a random target. */
static eegnn_tensor *mse_head(eegnn_graph *g, eegnn_tensor *out) {
    eegnn_tensor *target;
    if (!out) return NULL;
    target = eegnn_input(g, "target", out->ndim, out->shape);
    if (!target) return NULL;
    fill_normal(target, 1.0f);
    return eegnn_mse_loss(g, out, target);
}

static double objective(eegnn_graph *g, eegnn_tensor *loss, const eegnn_rng *rng_state) {
    *eegnn_graph_rng(g) = *rng_state;
    eegnn_graph_forward(g);
    if (!strcmp(loss->op, "mse_loss") && loss->src[1]->flags == EEGNN_TENSOR_INPUT &&
        !strcmp(loss->src[1]->name, "target")) {
        const eegnn_tensor *out = loss->src[0], *target = loss->src[1];
        double s = 0.0;
        size_t i;
        for (i = 0; i < out->numel; i++) {
            double d = (double)out->data[i] - (double)target->data[i];
            s += d * d;
        }
        return s / (double)out->numel;
    }
    return (double)loss->data[0];
}

/* Checks d(loss)/d(p) for every parameter p of the graph; prints one line. */
static void gradcheck(const char *name, eegnn_graph *g, eegnn_tensor *loss) {
    eegnn_rng rng_state;
    int ip, np;
    double worst = 0.0;
    if (!loss) {
        CHECK(0, "%s: graph construction failed: %s", name, eegnn_last_error());
        eegnn_graph_free(g);
        return;
    }
    np = eegnn_graph_n_params(g);
    rng_state = *eegnn_graph_rng(g);
    *eegnn_graph_rng(g) = rng_state;
    eegnn_graph_forward(g);
    eegnn_graph_zero_grad(g);
    CHECK(eegnn_graph_backward(g, loss) == EEGNN_OK, "%s: backward: %s", name, eegnn_last_error());
    for (ip = 0; ip < np; ip++) {
        eegnn_tensor *p = eegnn_graph_param(g, ip);
        float *numeric = (float *)malloc(p->numel * sizeof(float));
        float *analytic = (float *)malloc(p->numel * sizeof(float));
        double err;
        size_t i;
        memcpy(analytic, p->grad, p->numel * sizeof(float));
        for (i = 0; i < p->numel; i++) {
            float v = p->data[i];
            double lp, lm;
            p->data[i] = (float)(v + GC_EPS);
            lp = objective(g, loss, &rng_state);
            p->data[i] = (float)(v - GC_EPS);
            lm = objective(g, loss, &rng_state);
            p->data[i] = v;
            numeric[i] = (float)((lp - lm) / (2.0 * GC_EPS));
        }
        err = test_max_rel_err(analytic, numeric, p->numel);
        CHECK(err < GC_TOL, "%s: d/d%s relative error %.3g", name, p->name, err);
        if (!(err <= worst)) worst = err;
        free(numeric);
        free(analytic);
    }
    printf("gradcheck %-40s %d tensors, max rel err %.2e\n", name, np, worst);
    eegnn_graph_free(g);
}

/* ---- elementwise ----------------------------------------------------------- */

static void test_elementwise(void) {
    eegnn_graph *g;
    eegnn_tensor *x, *b, *y;
    int shape[3];

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 4);
    b = param(g, "b", 1, 3, 0, 0);
    fill_normal(x, 1.0f);
    fill_normal(b, 1.0f);
    gradcheck("bias_add (2,3,4)+(3)", g, mse_head(g, eegnn_bias_add(g, x, b)));

    g = new_graph();
    x = param(g, "x", 2, 4, 3, 0);
    b = param(g, "b", 1, 3, 0, 0);
    fill_normal(x, 1.0f);
    fill_normal(b, 1.0f);
    gradcheck("bias_add (4,3)+(3)", g, mse_head(g, eegnn_bias_add(g, x, b)));

    g = new_graph();
    x = param(g, "a", 3, 2, 3, 4);
    b = param(g, "b", 3, 2, 3, 4);
    fill_normal(x, 1.0f);
    fill_normal(b, 1.0f);
    gradcheck("add", g, mse_head(g, eegnn_add(g, x, b)));

    g = new_graph();
    x = param(g, "a", 3, 2, 3, 4);
    b = param(g, "s", 1, 1, 0, 0);
    fill_normal(x, 1.0f);
    fill_normal(b, 1.0f);
    gradcheck("add scalar", g, mse_head(g, eegnn_add(g, x, b)));

    g = new_graph();
    x = param(g, "a", 3, 2, 3, 4);
    b = param(g, "b", 3, 2, 3, 4);
    fill_normal(x, 1.0f);
    fill_normal(b, 1.0f);
    gradcheck("mul", g, mse_head(g, eegnn_mul(g, x, b)));

    g = new_graph();
    x = param(g, "a", 2, 5, 3, 0);
    b = param(g, "s", 0, 0, 0, 0);
    fill_normal(x, 1.0f);
    b->data[0] = 0.7f;
    gradcheck("mul scalar (0-D)", g, mse_head(g, eegnn_mul(g, x, b)));

    g = new_graph();
    x = param(g, "a", 2, 5, 3, 0);
    fill_normal(x, 1.0f);
    gradcheck("scale", g, mse_head(g, eegnn_scale(g, x, -1.7f)));

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 5);
    fill_away_from_zero(x);
    gradcheck("relu", g, mse_head(g, eegnn_relu(g, x)));

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 5);
    fill_away_from_zero(x);
    gradcheck("elu alpha=1 (0 -> 1)", g, mse_head(g, eegnn_elu(g, x, 0.0f)));

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 5);
    fill_away_from_zero(x);
    gradcheck("elu alpha=0.5", g, mse_head(g, eegnn_elu(g, x, 0.5f)));

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 5);
    fill_normal(x, 2.0f);
    gradcheck("gelu", g, mse_head(g, eegnn_gelu(g, x)));

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 4);
    fill_normal(x, 1.0f);
    shape[0] = 4;
    shape[1] = -1;
    y = eegnn_reshape(g, x, 2, shape);
    CHECK(y && y->ndim == 2 && y->shape[0] == 4 && y->shape[1] == 6, "reshape (4, -1) of (2,3,4)");
    gradcheck("reshape (4,-1) then scale", g, mse_head(g, eegnn_scale(g, y, 2.0f)));

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 4);
    fill_normal(x, 1.0f);
    y = eegnn_flatten(g, x);
    CHECK(y && y->ndim == 2 && y->shape[0] == 2 && y->shape[1] == 12, "flatten (2,3,4) -> (2,12)");
    gradcheck("flatten then mul", g, mse_head(g, eegnn_mul(g, y, y)));

    g = new_graph();
    x = param(g, "x", 2, 3, 5, 0);
    fill_normal(x, 2.0f);
    gradcheck("softmax (3,5)", g, mse_head(g, eegnn_softmax(g, x)));

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 4);
    fill_normal(x, 2.0f);
    gradcheck("softmax (2,3,4)", g, mse_head(g, eegnn_softmax(g, x)));

    g = new_graph();
    x = param(g, "x", 2, 3, 5, 0);
    fill_normal(x, 2.0f);
    gradcheck("log_softmax (3,5)", g, mse_head(g, eegnn_log_softmax(g, x)));
}

static void test_dropout(void) {
    eegnn_graph *g;
    eegnn_tensor *x, *y;
    size_t i, n_zero = 0, n_bad = 0;

    /* train mode: every output is 0 or x / (1 - p), about p of them zero */
    g = new_graph();
    x = param(g, "x", 2, 50, 40, 0);
    fill_away_from_zero(x);
    y = eegnn_dropout(g, x, 0.3f);
    eegnn_graph_forward(g);
    for (i = 0; i < y->numel; i++) {
        if (y->data[i] == 0.0f)
            n_zero++;
        else if (fabsf(y->data[i] - x->data[i] / 0.7f) > 1e-6f * fabsf(x->data[i]))
            n_bad++;
    }
    CHECK(n_bad == 0, "dropout: %zu kept values differ from x / (1 - p)", n_bad);
    CHECK(fabs((double)n_zero / (double)y->numel - 0.3) < 0.03, "dropout: zero fraction %.3f, expected 0.3",
          (double)n_zero / (double)y->numel);
    eegnn_graph_forward(g);
    for (i = 0, n_bad = 0; i < y->numel; i++) n_bad += (y->data[i] == 0.0f);
    CHECK(n_bad != n_zero, "dropout: two forward passes drew the same mask");
    eegnn_graph_free(g);

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 5);
    fill_normal(x, 1.0f);
    gradcheck("dropout p=0.4 train (fixed mask)", g, mse_head(g, eegnn_dropout(g, x, 0.4f)));

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 5);
    fill_normal(x, 1.0f);
    y = eegnn_dropout(g, x, 0.4f);
    eegnn_graph_set_training(g, 0);
    eegnn_graph_forward(g);
    CHECK(y && !memcmp(y->data, x->data, x->numel * sizeof(float)), "dropout eval: output differs from input");
    gradcheck("dropout p=0.4 eval", g, mse_head(g, y));
}

/* ---- pooling ------------------------------------------------------------------- */

static void test_pool(void) {
    static const int cfg[][3] = {{3, 1, 1}, {4, 2, 0}, {3, 0, 1}, {2, 0, 0}, {5, 3, 2}};
    int i;
    char name[96];
    for (i = 0; i < (int)(sizeof cfg / sizeof cfg[0]); i++) {
        eegnn_graph *g = new_graph();
        eegnn_tensor *x = param(g, "x", 3, 2, 3, 11);
        fill_normal(x, 1.0f);
        snprintf(name, sizeof name, "avg_pool1d k%d s%d p%d", cfg[i][0], cfg[i][1], cfg[i][2]);
        gradcheck(name, g, mse_head(g, eegnn_avg_pool1d(g, x, cfg[i][0], cfg[i][1], cfg[i][2])));

        g = new_graph();
        x = param(g, "x", 3, 2, 3, 11);
        fill_distinct(x);
        snprintf(name, sizeof name, "max_pool1d k%d s%d p%d", cfg[i][0], cfg[i][1], cfg[i][2]);
        gradcheck(name, g, mse_head(g, eegnn_max_pool1d(g, x, cfg[i][0], cfg[i][1], cfg[i][2])));
    }
    {
        eegnn_graph *g = new_graph();
        eegnn_tensor *x = param(g, "x", 3, 2, 3, 7);
        fill_normal(x, 1.0f);
        gradcheck("global_avg_pool", g, mse_head(g, eegnn_global_avg_pool(g, x)));
    }
}

/* ---- batch norm ---------------------------------------------------------------- */

static void bn_case(int ndim, int affine, int running, int training) {
    char name[96];
    eegnn_graph *g = new_graph();
    eegnn_tensor *x = ndim == 3 ? param(g, "x", 3, 4, 3, 5) : param(g, "x", 2, 6, 3, 0);
    eegnn_tensor *w = affine ? param(g, "weight", 1, 3, 0, 0) : NULL;
    eegnn_tensor *b = affine ? param(g, "bias", 1, 3, 0, 0) : NULL;
    eegnn_tensor *rm = NULL, *rv = NULL;
    int shape[1];
    shape[0] = 3;
    fill_normal(x, 2.0f);
    if (affine) {
        fill_uniform(w, 0.5f, 1.5f);
        fill_normal(b, 1.0f);
    }
    if (running) {
        rm = eegnn_buffer(g, "running_mean", 1, shape);
        rv = eegnn_buffer(g, "running_var", 1, shape);
        fill_normal(rm, 0.5f);
        fill_uniform(rv, 0.5f, 2.0f);
    }
    eegnn_graph_set_training(g, training);
    snprintf(name, sizeof name, "batch_norm %dD affine=%d running=%d %s", ndim, affine, running,
             training ? "train" : "eval");
    gradcheck(name, g, mse_head(g, eegnn_batch_norm(g, x, w, b, rm, rv, 0.1f, 1e-5f)));
}

static void test_batch_norm(void) {
    int ndim, affine, running, training;
    for (ndim = 2; ndim <= 3; ndim++)
        for (affine = 0; affine <= 1; affine++)
            for (running = 0; running <= 1; running++)
                for (training = 0; training <= 1; training++) bn_case(ndim, affine, running, training);
}

/* ---- losses ---------------------------------------------------------------------- */

static void test_losses(void) {
    eegnn_graph *g;
    eegnn_tensor *p, *t, *w;
    size_t i;

    g = new_graph();
    p = param(g, "pred", 2, 4, 3, 0);
    t = param(g, "target", 2, 4, 3, 0);
    fill_normal(p, 1.0f);
    fill_normal(t, 1.0f);
    gradcheck("mse_loss", g, eegnn_mse_loss(g, p, t));

    g = new_graph();
    p = param(g, "pred", 2, 4, 3, 0);
    t = param(g, "target", 2, 4, 3, 0);
    fill_away_from_zero(p);
    for (i = 0; i < t->numel; i++) t->data[i] = 0.0f;
    gradcheck("l1_loss", g, eegnn_l1_loss(g, p, t));

    g = new_graph();
    p = param(g, "logits", 2, 4, 3, 0);
    t = param(g, "target", 2, 4, 3, 0);
    fill_normal(p, 3.0f);
    fill_uniform(t, 0.0f, 1.0f);
    gradcheck("bce_with_logits_loss", g, eegnn_bce_with_logits_loss(g, p, t));

    g = new_graph();
    p = param(g, "logits", 2, 6, 4, 0);
    t = input(g, "labels", 1, 6, 0, 0);
    fill_normal(p, 2.0f);
    for (i = 0; i < t->numel; i++) t->data[i] = (float)(i * 3 % 4);
    gradcheck("cross_entropy_loss", g, eegnn_cross_entropy_loss(g, p, t, NULL));

    g = new_graph();
    p = param(g, "logits", 2, 6, 4, 0);
    t = input(g, "labels", 1, 6, 0, 0);
    w = input(g, "class_weight", 1, 4, 0, 0);
    fill_normal(p, 2.0f);
    fill_uniform(w, 0.2f, 3.0f);
    for (i = 0; i < t->numel; i++) t->data[i] = (float)(i * 3 % 4);
    gradcheck("cross_entropy_loss weighted", g, eegnn_cross_entropy_loss(g, p, t, w));
}

/* ---- matmul, linear, conv1d ------------------------------------------------------- */

static void test_linear(void) {
    eegnn_graph *g;
    eegnn_tensor *x, *w, *b;

    g = new_graph();
    x = param(g, "a", 2, 3, 4, 0);
    w = param(g, "b", 2, 4, 5, 0);
    fill_normal(x, 1.0f);
    fill_normal(w, 1.0f);
    gradcheck("matmul (3,4)@(4,5)", g, mse_head(g, eegnn_matmul(g, x, w)));

    g = new_graph();
    x = param(g, "a", 3, 2, 3, 4);
    w = param(g, "b", 3, 2, 4, 5);
    fill_normal(x, 1.0f);
    fill_normal(w, 1.0f);
    gradcheck("matmul (2,3,4)@(2,4,5)", g, mse_head(g, eegnn_matmul(g, x, w)));

    g = new_graph();
    x = param(g, "x", 2, 3, 4, 0);
    w = param(g, "weight", 2, 5, 4, 0);
    b = param(g, "bias", 1, 5, 0, 0);
    fill_normal(x, 1.0f);
    fill_normal(w, 1.0f);
    fill_normal(b, 1.0f);
    gradcheck("linear (3,4) -> 5", g, mse_head(g, eegnn_linear(g, x, w, b)));

    g = new_graph();
    x = param(g, "x", 3, 2, 3, 4);
    w = param(g, "weight", 2, 5, 4, 0);
    fill_normal(x, 1.0f);
    fill_normal(w, 1.0f);
    gradcheck("linear (2,3,4) -> 5 no bias", g, mse_head(g, eegnn_linear(g, x, w, NULL)));
}

static void conv_case(const char *name, int c_in, int c_out, int t_in, int k, int stride, int padding,
                      int dilation, int groups, int bias) {
    eegnn_graph *g = new_graph();
    eegnn_conv1d_params p;
    eegnn_tensor *x = param(g, "x", 3, 2, c_in, t_in);
    eegnn_tensor *w = param(g, "weight", 3, c_out, c_in / groups, k);
    eegnn_tensor *b = bias ? param(g, "bias", 1, c_out, 0, 0) : NULL;
    memset(&p, 0, sizeof p);
    p.stride = stride;
    p.padding = padding;
    p.dilation = dilation;
    p.groups = groups;
    fill_normal(x, 1.0f);
    fill_normal(w, 0.5f);
    if (b) fill_normal(b, 1.0f);
    gradcheck(name, g, mse_head(g, eegnn_conv1d(g, x, w, b, &p)));
}

static void test_conv(void) {
    conv_case("conv1d plain", 3, 4, 9, 3, 1, 0, 1, 1, 1);
    conv_case("conv1d stride 2 padding 2", 3, 4, 10, 3, 2, 2, 1, 1, 1);
    conv_case("conv1d same k4 (odd pad)", 3, 2, 8, 4, 1, EEGNN_PADDING_SAME, 1, 1, 1);
    conv_case("conv1d same k5 dilation 2", 2, 3, 11, 5, 1, EEGNN_PADDING_SAME, 2, 1, 1);
    conv_case("conv1d dilation 3 no bias", 3, 2, 12, 3, 1, 1, 3, 1, 0);
    conv_case("conv1d groups 2", 4, 6, 9, 3, 1, 1, 1, 2, 1);
    conv_case("conv1d depthwise x2", 3, 6, 9, 5, 1, 2, 1, 3, 0);
    conv_case("conv1d stride 3 dilation 2 groups 2", 4, 4, 17, 3, 3, 1, 2, 2, 1);
    conv_case("conv1d padding beyond the kernel", 3, 4, 6, 3, 1, 4, 1, 1, 1);
}

/* ---- construction errors and accumulation ----------------------------------------- */

static void test_errors(void) {
    eegnn_graph *g = new_graph();
    eegnn_tensor *x = param(g, "x", 3, 2, 3, 5), *v4 = param(g, "v4", 1, 4, 0, 0), *y2 = param(g, "y", 2, 2, 3, 0);
    int bad[2];
    CHECK(!eegnn_bias_add(g, x, v4) && strstr(eegnn_last_error(), "bias_add") &&
              strstr(eegnn_last_error(), "(2, 3, 5)"),
          "bias_add error: %s", eegnn_last_error());
    CHECK(!eegnn_add(g, x, v4) && strstr(eegnn_last_error(), "add"), "add error: %s", eegnn_last_error());
    CHECK(!eegnn_mul(g, x, y2) && strstr(eegnn_last_error(), "mul"), "mul error: %s", eegnn_last_error());
    bad[0] = 4;
    bad[1] = -1;
    CHECK(!eegnn_reshape(g, x, 2, bad) && strstr(eegnn_last_error(), "reshape"), "reshape error: %s",
          eegnn_last_error());
    bad[0] = 7;
    bad[1] = 2;
    CHECK(!eegnn_reshape(g, x, 2, bad), "reshape 30 -> 14 accepted");
    CHECK(!eegnn_dropout(g, x, 1.5f) && strstr(eegnn_last_error(), "dropout"), "dropout error: %s",
          eegnn_last_error());
    CHECK(!eegnn_max_pool1d(g, x, 3, 1, 2) && strstr(eegnn_last_error(), "max_pool1d"), "pool error: %s",
          eegnn_last_error());
    CHECK(!eegnn_avg_pool1d(g, x, 7, 1, 0), "avg_pool1d kernel 7 on T=5 accepted");
    CHECK(!eegnn_global_avg_pool(g, y2), "global_avg_pool on 2-D accepted");
    CHECK(!eegnn_batch_norm(g, x, v4, NULL, NULL, NULL, 0.1f, 1e-5f) && strstr(eegnn_last_error(), "batch_norm"),
          "batch_norm error: %s", eegnn_last_error());
    CHECK(!eegnn_mse_loss(g, x, y2) && strstr(eegnn_last_error(), "mse_loss"), "mse error: %s",
          eegnn_last_error());
    CHECK(!eegnn_cross_entropy_loss(g, y2, v4, NULL) && strstr(eegnn_last_error(), "cross_entropy"),
          "cross_entropy error: %s", eegnn_last_error());
    CHECK(!eegnn_relu(g, NULL), "relu(NULL) returned a node");
    eegnn_graph_free(g);
}

/* Parameter gradients accumulate across backward calls (PyTorch semantics). */
static void test_accumulate(void) {
    eegnn_graph *g = new_graph();
    eegnn_tensor *x = param(g, "x", 2, 3, 4, 0);
    eegnn_tensor *loss = mse_head(g, eegnn_gelu(g, x));
    float first[12];
    size_t i;
    int ok = 1;
    fill_normal(x, 1.0f);
    eegnn_graph_forward(g);
    eegnn_graph_zero_grad(g);
    eegnn_graph_backward(g, loss);
    memcpy(first, x->grad, sizeof first);
    eegnn_graph_backward(g, loss);
    for (i = 0; i < 12; i++) ok &= fabsf(x->grad[i] - 2.0f * first[i]) <= 1e-6f * fabsf(first[i]) + 1e-12f;
    CHECK(ok, "second backward does not double the gradient");
    CHECK(loss->ndim == 0 && loss->numel == 1, "loss is not 0-D");
    eegnn_graph_free(g);
}

int main(void) {
    (void)test_data_path;
    (void)test_out_path;
    eegnn_rng_seed(&test_rng, 42);
    test_elementwise();
    test_dropout();
    test_pool();
    test_batch_norm();
    test_losses();
    test_linear();
    test_conv();
    test_errors();
    test_accumulate();
    return test_summary("test_gradcheck");
}
