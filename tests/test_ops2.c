/* 2-D convolution, 2-D and adaptive pools, math and shape ops against
 * PyTorch and finite differences. tests/ref_ops2.py draws inputs and
 * weights, runs the torch op in float64 and backpropagates
 * mse_loss(out, target); it saves every array as <case>__<name>.npy under
 * $EEGNN_TEST_OUT/ops2. This program builds the same op in eegnn on the
 * same arrays and asserts a relative error (max |error| / max |reference|)
 * under 1e-4 for the output and every gradient. A second part checks
 * gradients against central finite differences in double precision of the
 * float32 forward pass. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define TOL 1e-4

enum { AS_INPUT, AS_PARAM };

typedef struct {
    const char *name;
    eegnn_graph *g;
    int missing; /* a reference array could not be read */
} tcase;

static float *read_ref(tcase *c, const char *array, int *ndim, int64_t shape[EEGNN_NPY_MAX_DIMS], size_t *numel) {
    char rel[256];
    float *data;
    snprintf(rel, sizeof rel, "ops2/%s__%s.npy", c->name, array);
    data = eegnn_npy_read(test_out_path(rel), ndim, shape, numel);
    if (!data) {
        c->missing = 1;
        CHECK(0, "%s: cannot read %s (run tests/ref_ops2.py first): %s", c->name, rel, eegnn_last_error());
    }
    return data;
}

static void open_case_threads(tcase *c, const char *name, int n_threads) {
    eegnn_graph_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.arena_bytes = (size_t)32 << 20;
    cfg.n_threads = n_threads;
    c->name = name;
    c->missing = 0;
    c->g = eegnn_graph_create(&cfg);
}

static void open_case(tcase *c, const char *name) { open_case_threads(c, name, 2); }

/* A tensor of the graph holding <case>__<array>.npy, named `array`. */
static eegnn_tensor *load(tcase *c, const char *array, int kind) {
    int ndim, shape[EEGNN_MAX_DIMS], i;
    int64_t shape64[EEGNN_NPY_MAX_DIMS];
    size_t numel;
    eegnn_tensor *t = NULL;
    float *data = read_ref(c, array, &ndim, shape64, &numel);
    if (!data) return NULL;
    if (ndim > EEGNN_MAX_DIMS) {
        CHECK(0, "%s: %s has %d dimensions", c->name, array, ndim);
        eegnn_free(data);
        return NULL;
    }
    for (i = 0; i < ndim; i++) shape[i] = (int)shape64[i];
    if (kind == AS_PARAM)
        t = eegnn_param(c->g, array, ndim, shape);
    else
        t = eegnn_input(c->g, array, ndim, shape);
    if (t) eegnn_tensor_set(t, data, numel);
    eegnn_free(data);
    return t;
}

/* Relative error of n floats against <case>__<array>.npy; 1e9 when missing. */
static double compare(tcase *c, const char *array, const float *got, size_t n) {
    int ndim;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    size_t numel;
    double err;
    float *want = read_ref(c, array, &ndim, shape, &numel);
    if (!want) return 1e9;
    if (numel != n) {
        CHECK(0, "%s: %s has %zu elements, eegnn produced %zu", c->name, array, numel, n);
        eegnn_free(want);
        return 1e9;
    }
    err = test_max_rel_err(got, want, n);
    CHECK(err < TOL, "%s: %s relative error %.3g", c->name, array, err);
    eegnn_free(want);
    return err;
}

/* Runs forward and backward (twice, to catch state kept between runs) and
 * compares the output and every parameter gradient. */
static void finish(tcase *c, eegnn_tensor *out) {
    eegnn_tensor *loss;
    double out_err, grad_err = 0.0;
    int i, n_grad = 0, rep;
    char array[EEGNN_NAME_MAX + 16];
    if (c->missing || !out) {
        CHECK(c->missing, "%s: building the op failed: %s", c->name, eegnn_last_error());
        eegnn_graph_free(c->g);
        return;
    }
    loss = eegnn_mse_loss(c->g, out, load(c, "target", AS_INPUT));
    if (!loss) {
        CHECK(c->missing, "%s: building the loss failed: %s", c->name, eegnn_last_error());
        eegnn_graph_free(c->g);
        return;
    }
    for (rep = 0; rep < 2; rep++) {
        eegnn_graph_forward(c->g);
        eegnn_graph_zero_grad(c->g);
        CHECK(eegnn_graph_backward(c->g, loss) == EEGNN_OK, "%s: backward: %s", c->name, eegnn_last_error());
    }
    out_err = compare(c, "out", out->data, out->numel);
    for (i = 0; i < eegnn_graph_n_nodes(c->g); i++) {
        eegnn_tensor *t = eegnn_graph_node(c->g, i);
        if (t->flags & EEGNN_TENSOR_PARAM) {
            double e;
            snprintf(array, sizeof array, "grad_%s", t->name);
            e = compare(c, array, t->grad, t->numel);
            n_grad++;
            if (!(e <= grad_err)) grad_err = e;
        }
    }
    printf("ops2 vs torch %-34s out %.2e  %d grads %.2e\n", c->name, out_err, n_grad, grad_err);
    eegnn_graph_free(c->g);
}

/* ---- conv2d --------------------------------------------------------------- */

#define SAME EEGNN_PADDING_SAME

static void test_conv2d(void) {
    /* as CONV2D in ref_ops2.py: name, stride, padding, dilation, groups, bias */
    static const struct {
        const char *name;
        int stride[2], padding[2], dilation[2], groups, bias;
    } cases[] = {
        {"conv2d_plain", {1, 1}, {0, 0}, {1, 1}, 1, 1},
        {"conv2d_stride_pad", {2, 3}, {1, 2}, {1, 1}, 1, 1},
        {"conv2d_dilation_groups", {1, 1}, {2, 1}, {2, 3}, 2, 0},
        {"conv2d_same_even", {1, 1}, {SAME, SAME}, {1, 1}, 1, 1},
        {"conv2d_temporal_same", {1, 1}, {0, SAME}, {1, 2}, 1, 1},
        {"conv2d_spatial", {1, 1}, {0, 0}, {1, 1}, 1, 1},
        {"conv2d_depthwise_spatial", {1, 1}, {0, 0}, {1, 1}, 8, 0},
        {"conv2d_depthwise_temporal", {1, 1}, {0, 8}, {1, 1}, 6, 0},
        {"conv2d_eegnet_first", {1, 1}, {0, 8}, {1, 1}, 1, 0},
        {"conv2d_shallow_spat", {1, 1}, {0, 0}, {1, 1}, 1, 0},
        {"conv2d_pointwise", {1, 1}, {0, 0}, {1, 1}, 1, 1},
        {"conv2d_large_k", {3, 1}, {4, 0}, {1, 1}, 1, 1},
        {"conv2d_row_blocks", {1, 1}, {1, 1}, {2, 1}, 1, 1},        /* several blocks of output rows */
        {"conv2d_row_blocks_stride", {2, 2}, {2, 1}, {1, 1}, 2, 1}, /* blocks with stride and groups */
        /* (1, k) kernels by the row convolution: groups of 10 outputs (a partial
         * tile), rows of padding only, 131 columns (a partial vector); and the
         * EEGNeX / EEGNet first layer (one input channel, 8 outputs) */
        {"conv2d_row_conv_groups", {2, 1}, {1, 3}, {1, 3}, 2, 1},
        {"conv2d_row_conv_eegnex", {1, 1}, {0, SAME}, {1, 1}, 1, 0},
    };
    int i, d, threads;
    for (threads = 1; threads <= 3; threads += 2)
        for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
            tcase c;
            eegnn_conv2d_params p;
            eegnn_tensor *x, *w, *b = NULL;
            memset(&p, 0, sizeof p);
            for (d = 0; d < 2; d++) {
                p.stride[d] = cases[i].stride[d];
                p.padding[d] = cases[i].padding[d];
                p.dilation[d] = cases[i].dilation[d];
            }
            p.groups = cases[i].groups;
            open_case_threads(&c, cases[i].name, threads);
            x = load(&c, "x", AS_PARAM);
            w = load(&c, "weight", AS_PARAM);
            if (cases[i].bias) b = load(&c, "bias", AS_PARAM);
            finish(&c, eegnn_conv2d(c.g, x, w, b, &p));
        }
}

/* ---- unary, broadcasting, shape ops ------------------------------------------ */

static void test_unary(void) {
    tcase c;
    open_case(&c, "tanh");
    finish(&c, eegnn_tanh(c.g, load(&c, "x", AS_PARAM)));
    open_case(&c, "sigmoid");
    finish(&c, eegnn_sigmoid(c.g, load(&c, "x", AS_PARAM)));
    open_case(&c, "silu");
    finish(&c, eegnn_silu(c.g, load(&c, "x", AS_PARAM)));
    open_case(&c, "exp");
    finish(&c, eegnn_exp(c.g, load(&c, "x", AS_PARAM)));
    open_case(&c, "square");
    finish(&c, eegnn_square(c.g, load(&c, "x", AS_PARAM)));
    open_case(&c, "clamp");
    finish(&c, eegnn_clamp(c.g, load(&c, "x", AS_PARAM), -0.5f, 0.7f));
    open_case(&c, "safe_log");
    finish(&c, eegnn_safe_log(c.g, load(&c, "x", AS_PARAM), 0.0f));
    open_case(&c, "safe_log_eps");
    finish(&c, eegnn_safe_log(c.g, load(&c, "x", AS_PARAM), 0.02f));
}

static void test_broadcast(void) {
    static const char *add_cases[] = {"add_broadcast_pos", "add_broadcast_both", "add_broadcast_lead"};
    static const char *mul_cases[] = {"mul_broadcast", "mul_broadcast_same"};
    int i;
    for (i = 0; i < 3; i++) {
        tcase c;
        eegnn_tensor *a, *b;
        open_case(&c, add_cases[i]);
        a = load(&c, "a", AS_PARAM);
        b = load(&c, "b", AS_PARAM);
        finish(&c, eegnn_add_broadcast(c.g, a, b));
    }
    for (i = 0; i < 2; i++) {
        tcase c;
        eegnn_tensor *a, *b;
        open_case(&c, mul_cases[i]);
        a = load(&c, "a", AS_PARAM);
        b = load(&c, "b", AS_PARAM);
        finish(&c, eegnn_mul_broadcast(c.g, a, b));
    }
}

static void test_shape_ops(void) {
    static const int p0231[4] = {0, 2, 3, 1}, p3102[4] = {3, 1, 0, 2}, p201[3] = {2, 0, 1}, p10[2] = {-1, 0};
    static const char *names6[6] = {"a", "b", "c", "d", "e", "f"};
    tcase c;
    eegnn_tensor *ts[6];
    int i;
    open_case(&c, "permute_0231");
    finish(&c, eegnn_permute(c.g, load(&c, "x", AS_PARAM), p0231));
    open_case(&c, "permute_3102");
    finish(&c, eegnn_permute(c.g, load(&c, "x", AS_PARAM), p3102));
    open_case(&c, "permute_201");
    finish(&c, eegnn_permute(c.g, load(&c, "x", AS_PARAM), p201));
    open_case(&c, "permute_10");
    finish(&c, eegnn_permute(c.g, load(&c, "x", AS_PARAM), p10));

    open_case(&c, "concat3_dim1");
    for (i = 0; i < 3; i++) ts[i] = load(&c, names6[i], AS_PARAM);
    finish(&c, eegnn_concat(c.g, ts, 3, 1));
    open_case(&c, "concat6_last");
    for (i = 0; i < 6; i++) ts[i] = load(&c, names6[i], AS_PARAM);
    finish(&c, eegnn_concat(c.g, ts, 6, -1));
    open_case(&c, "concat2_dim0");
    for (i = 0; i < 2; i++) ts[i] = load(&c, names6[i], AS_PARAM);
    finish(&c, eegnn_concat(c.g, ts, 2, 0));

    open_case(&c, "slice_chomp");
    finish(&c, eegnn_slice(c.g, load(&c, "x", AS_PARAM), 2, 0, 17));
    open_case(&c, "slice_mid");
    finish(&c, eegnn_slice(c.g, load(&c, "x", AS_PARAM), 1, 2, 2));
    open_case(&c, "mean_dim1");
    finish(&c, eegnn_mean_dim(c.g, load(&c, "x", AS_PARAM), 1, 0));
    open_case(&c, "mean_last_keep");
    finish(&c, eegnn_mean_dim(c.g, load(&c, "x", AS_PARAM), -1, 1));
    open_case(&c, "mean_dim0");
    finish(&c, eegnn_mean_dim(c.g, load(&c, "x", AS_PARAM), 0, 0));
}

static void test_renorm_embedding(void) {
    tcase c;
    eegnn_tensor *idx, *w;
    open_case(&c, "renorm_dim0");
    finish(&c, eegnn_renorm(c.g, load(&c, "weight", AS_PARAM), 2.0f, 0, 1.0f));
    open_case(&c, "renorm_dim1");
    finish(&c, eegnn_renorm(c.g, load(&c, "weight", AS_PARAM), 2.0f, 1, 1.2f));
    open_case(&c, "renorm_p1");
    finish(&c, eegnn_renorm(c.g, load(&c, "weight", AS_PARAM), 1.0f, 0, 2.0f));
    open_case(&c, "renorm_p3");
    finish(&c, eegnn_renorm(c.g, load(&c, "weight", AS_PARAM), 3.0f, 0, 1.0f));
    open_case(&c, "embedding");
    w = load(&c, "weight", AS_PARAM);
    idx = load(&c, "indices", AS_INPUT);
    finish(&c, eegnn_embedding(c.g, idx, w));
}

/* ---- pools ------------------------------------------------------------------------ */

static void test_pools(void) {
    /* as POOL2D in ref_ops2.py: name, kernel, stride, padding, ceil_mode, count_include_pad */
    static const struct {
        const char *name;
        int k[2], s[2], p[2], ceil_mode, include_pad;
    } cases[] = {
        {"avg_pool2d_temporal", {1, 4}, {1, 4}, {0, 0}, 0, 1},
        {"avg_pool2d_pad", {3, 3}, {2, 2}, {1, 1}, 0, 1},
        {"avg_pool2d_pad_exclude", {3, 3}, {2, 2}, {1, 1}, 0, 0},
        {"avg_pool2d_ceil", {3, 2}, {2, 3}, {1, 0}, 1, 1},
        {"avg_pool2d_eegnex", {1, 4}, {1, 4}, {0, 1}, 0, 1},
        {"max_pool2d_deep4", {3, 1}, {3, 1}, {0, 0}, 0, 1},
        {"max_pool2d_pad_ceil", {3, 3}, {2, 2}, {1, 1}, 1, 1},
    };
    tcase c;
    int i, d;
    for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        eegnn_pool2d_params p;
        eegnn_tensor *x;
        memset(&p, 0, sizeof p);
        for (d = 0; d < 2; d++) {
            p.kernel[d] = cases[i].k[d];
            p.stride[d] = cases[i].s[d];
            p.padding[d] = cases[i].p[d];
        }
        p.ceil_mode = cases[i].ceil_mode;
        p.exclude_padding = !cases[i].include_pad;
        open_case(&c, cases[i].name);
        x = load(&c, "x", AS_PARAM);
        finish(&c, cases[i].name[0] == 'a' ? eegnn_avg_pool2d(c.g, x, &p) : eegnn_max_pool2d(c.g, x, &p));
    }
    open_case(&c, "adaptive_avg_pool1d_4");
    finish(&c, eegnn_adaptive_avg_pool1d(c.g, load(&c, "x", AS_PARAM), 4));
    open_case(&c, "adaptive_avg_pool1d_3");
    finish(&c, eegnn_adaptive_avg_pool1d(c.g, load(&c, "x", AS_PARAM), 3));
    open_case(&c, "adaptive_avg_pool1d_up");
    finish(&c, eegnn_adaptive_avg_pool1d(c.g, load(&c, "x", AS_PARAM), 8));
    open_case(&c, "adaptive_avg_pool2d");
    finish(&c, eegnn_adaptive_avg_pool2d(c.g, load(&c, "x", AS_PARAM), 2, 5));
}

/* ---- finite differences --------------------------------------------------------
 * d loss / d p for a sample of entries of every parameter, by central
 * differences of the float32 forward pass, against the analytic gradient:
 * |fd - analytic| <= 2e-2 * max|analytic| + 1e-4. */

static unsigned long long fd_state = 0x9E3779B97F4A7C15ULL;

static float fd_uniform(void) { /* in [-1, 1) */
    fd_state = fd_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((fd_state >> 40) / 8388608.0) - 1.0f;
}

static eegnn_graph *fd_graph(void) {
    eegnn_graph_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.arena_bytes = (size_t)16 << 20;
    cfg.n_threads = 2;
    return eegnn_graph_create(&cfg);
}

static eegnn_tensor *fd_param(eegnn_graph *g, const char *name, int ndim, int d0, int d1, int d2, int d3,
                              float scale, float offset) {
    int shape[4];
    size_t i;
    eegnn_tensor *t;
    shape[0] = d0;
    shape[1] = d1;
    shape[2] = d2;
    shape[3] = d3;
    t = eegnn_param(g, name, ndim, shape);
    if (t)
        for (i = 0; i < t->numel; i++) t->data[i] = offset + scale * fd_uniform();
    return t;
}

/* Builds loss = mse_loss(out, random target), checks every parameter. */
static void fd_check(const char *name, eegnn_graph *g, eegnn_tensor *out) {
    eegnn_tensor *target, *loss;
    double worst = 0.0;
    int i, n_checked = 0;
    size_t k;
    if (!out) {
        CHECK(0, "fd %s: building failed: %s", name, eegnn_last_error());
        eegnn_graph_free(g);
        return;
    }
    target = eegnn_input(g, "target", out->ndim, out->shape);
    loss = eegnn_mse_loss(g, out, target);
    if (!loss) {
        CHECK(0, "fd %s: loss failed: %s", name, eegnn_last_error());
        eegnn_graph_free(g);
        return;
    }
    for (k = 0; k < target->numel; k++) target->data[k] = fd_uniform();
    eegnn_graph_forward(g);
    eegnn_graph_zero_grad(g);
    eegnn_graph_backward(g, loss);
    for (i = 0; i < eegnn_graph_n_params(g); i++) {
        eegnn_tensor *p = eegnn_graph_param(g, i);
        double gmax = 0.0;
        size_t step = p->numel / 24 + 1;
        for (k = 0; k < p->numel; k++)
            if (fabs(p->grad[k]) > gmax) gmax = fabs(p->grad[k]);
        for (k = (size_t)i % step; k < p->numel; k += step) {
            float keep = p->data[k], h = 1e-2f * (fabsf(keep) > 1.0f ? fabsf(keep) : 1.0f);
            double lp, lm, fd, err;
            p->data[k] = keep + h;
            eegnn_graph_forward(g);
            lp = loss->data[0];
            p->data[k] = keep - h;
            eegnn_graph_forward(g);
            lm = loss->data[0];
            p->data[k] = keep;
            fd = (lp - lm) / (2.0 * h);
            err = fabs(fd - p->grad[k]) / (gmax + 1e-12);
            if (err > worst) worst = err;
            CHECK(fabs(fd - p->grad[k]) <= 2e-2 * gmax + 1e-4, "fd %s: %s[%zu]: finite difference %.6g, analytic %.6g",
                  name, p->name, k, fd, (double)p->grad[k]);
            n_checked++;
        }
    }
    printf("ops2 finite differences %-24s %d entries, worst %.2e of max |grad|\n", name, n_checked, worst);
    eegnn_graph_free(g);
}

static void test_finite_differences(void) {
    eegnn_graph *g;
    eegnn_conv2d_params cp;
    eegnn_pool2d_params pp;
    eegnn_tensor *x, *w, *b, *ts[5];
    static const int perm[4] = {0, 3, 1, 2};
    size_t k;

    memset(&cp, 0, sizeof cp);
    cp.stride[0] = 2;
    cp.padding[0] = 1;
    cp.padding[1] = EEGNN_PADDING_SAME;
    cp.dilation[1] = 2;
    cp.groups = 2;
    g = fd_graph();
    x = fd_param(g, "x", 4, 2, 4, 9, 12, 1.0f, 0.0f);
    w = fd_param(g, "w", 4, 6, 2, 3, 4, 0.5f, 0.0f);
    b = fd_param(g, "b", 1, 6, 0, 0, 0, 0.5f, 0.0f);
    fd_check("conv2d", g, eegnn_conv2d(g, x, w, b, &cp));

    memset(&cp, 0, sizeof cp);
    g = fd_graph();
    x = fd_param(g, "x", 4, 2, 64, 30, 44, 1.0f, 0.0f); /* several row blocks */
    w = fd_param(g, "w", 4, 3, 64, 3, 3, 0.1f, 0.0f);
    fd_check("conv2d_row_blocks", g, eegnn_conv2d(g, x, w, NULL, &cp));

    g = fd_graph();
    x = fd_param(g, "x", 3, 3, 4, 5, 0, 1.0f, 0.0f);
    w = fd_param(g, "w", 2, 4, 5, 0, 0, 1.0f, 0.0f);
    x = eegnn_silu(g, eegnn_add_broadcast(g, x, eegnn_mean_dim(g, w, 0, 1)));
    fd_check("silu_add_broadcast_mean", g, eegnn_mul_broadcast(g, eegnn_tanh(g, x), eegnn_sigmoid(g, x)));

    g = fd_graph();
    w = fd_param(g, "w", 4, 6, 2, 1, 5, 0.6f, 0.0f);
    for (k = 0; k < 10; k++) w->data[10 + k] *= 0.2f; /* rows 0, 2..5 (norm ~1.1) renormed, row 1 (~0.2) not */
    fd_check("renorm", g, eegnn_renorm(g, w, 2.0f, 0, 0.5f));

    g = fd_graph();
    x = fd_param(g, "x", 3, 2, 3, 8, 0, 1.0f, 2.0f);
    fd_check("safe_log_square_exp", g, eegnn_exp(g, eegnn_scale(g, eegnn_safe_log(g, eegnn_square(g, x), 0.0f), 0.5f)));

    g = fd_graph();
    x = fd_param(g, "x", 4, 2, 3, 5, 4, 1.0f, 0.0f);
    ts[0] = eegnn_permute(g, x, perm);
    ts[1] = eegnn_slice(g, ts[0], 3, 1, 3);
    fd_check("permute_slice_concat", g, eegnn_concat(g, ts + 1, 1, 0) ? eegnn_concat(g, ts, 2, 3) : NULL);

    memset(&pp, 0, sizeof pp);
    pp.kernel[0] = 3;
    pp.kernel[1] = 2;
    pp.stride[0] = 2;
    pp.padding[0] = 1;
    pp.ceil_mode = 1;
    g = fd_graph();
    x = fd_param(g, "x", 4, 2, 2, 8, 7, 1.0f, 0.0f);
    for (k = 0; k < x->numel; k++) /* distinct values 0.05 apart: no ties within a step of the maximum */
        x->data[k] = 0.05f * (float)((k * 37) % x->numel) - 5.0f;
    ts[0] = eegnn_avg_pool2d(g, x, &pp);
    ts[1] = eegnn_max_pool2d(g, x, &pp);
    ts[2] = eegnn_adaptive_avg_pool2d(g, x, 3, 2);
    fd_check("pools", g,
             eegnn_add(g, eegnn_add(g, ts[0], ts[1]), eegnn_adaptive_avg_pool2d(g, ts[2], ts[0]->shape[2], ts[0]->shape[3])));
}

int main(void) {
    (void)test_data_path;
    test_conv2d();
    test_unary();
    test_broadcast();
    test_shape_ops();
    test_renorm_embedding();
    test_pools();
    test_finite_differences();
    return test_summary("test_ops2");
}
