/* Ops against PyTorch: tests/ref_ops.py draws inputs and weights, runs
 * torch.nn.functional forward and backward (in float64) and saves every
 * array as <case>__<name>.npy under $EEGNN_TEST_OUT/ops. This program loads
 * the same inputs and weights, builds the same op in eegnn, backpropagates
 * the same loss (mse_loss(out, target), or the loss itself for loss cases)
 * and asserts a relative error (max |error| / max |reference|) under 1e-4
 * for the output, every gradient and the batch norm running statistics. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define TOL 1e-4

enum { AS_INPUT, AS_PARAM, AS_BUFFER };

typedef struct {
    const char *name;
    eegnn_graph *g;
    int missing; /* a reference array could not be read */
} tcase;

static float *read_ref(tcase *c, const char *array, int *ndim, int64_t shape[EEGNN_NPY_MAX_DIMS], size_t *numel) {
    char rel[256];
    float *data;
    snprintf(rel, sizeof rel, "ops/%s__%s.npy", c->name, array);
    data = eegnn_npy_read(test_out_path(rel), ndim, shape, numel);
    if (!data) {
        c->missing = 1;
        CHECK(0, "%s: cannot read %s (run tests/ref_ops.py first): %s", c->name, rel, eegnn_last_error());
    }
    return data;
}

static void open_case(tcase *c, const char *name, int training) {
    eegnn_graph_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.arena_bytes = (size_t)16 << 20;
    cfg.n_threads = 2;
    c->name = name;
    c->missing = 0;
    c->g = eegnn_graph_create(&cfg);
    eegnn_graph_set_training(c->g, training);
}

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
    else if (kind == AS_BUFFER)
        t = eegnn_buffer(c->g, array, ndim, shape);
    else
        t = eegnn_input(c->g, array, ndim, shape);
    if (t) eegnn_tensor_set(t, data, numel);
    eegnn_free(data);
    return t;
}

/* Relative error of n floats against <case>__<array>.npy (shape checked
 * through the element count); 1e9 when the reference is missing. */
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

/* Runs forward and backward and compares output, gradients and buffers. */
static void finish(tcase *c, eegnn_tensor *out, int loss_case) {
    eegnn_tensor *loss = out;
    double out_err, grad_err = 0.0, buf_err = 0.0;
    int i, n_grad = 0, n_buf = 0;
    char array[EEGNN_NAME_MAX + 16];
    if (c->missing || !out) {
        CHECK(c->missing, "%s: building the op failed: %s", c->name, eegnn_last_error());
        eegnn_graph_free(c->g);
        return;
    }
    if (!loss_case) loss = eegnn_mse_loss(c->g, out, load(c, "target", AS_INPUT));
    if (!loss) {
        CHECK(c->missing, "%s: building the loss failed: %s", c->name, eegnn_last_error());
        eegnn_graph_free(c->g);
        return;
    }
    eegnn_graph_forward(c->g);
    eegnn_graph_zero_grad(c->g);
    CHECK(eegnn_graph_backward(c->g, loss) == EEGNN_OK, "%s: backward: %s", c->name, eegnn_last_error());
    out_err = compare(c, "out", out->data, out->numel);
    for (i = 0; i < eegnn_graph_n_nodes(c->g); i++) {
        eegnn_tensor *t = eegnn_graph_node(c->g, i);
        double e;
        if (t->flags & EEGNN_TENSOR_PARAM) {
            snprintf(array, sizeof array, "grad_%s", t->name);
            e = compare(c, array, t->grad, t->numel);
            n_grad++;
            if (!(e <= grad_err)) grad_err = e;
        } else if (t->flags & EEGNN_TENSOR_BUFFER) {
            snprintf(array, sizeof array, "%s_after", t->name);
            e = compare(c, array, t->data, t->numel);
            n_buf++;
            if (!(e <= buf_err)) buf_err = e;
        }
    }
    printf("ops vs torch %-38s out %.2e  %d grads %.2e", c->name, out_err, n_grad, grad_err);
    if (n_buf) printf("  %d running stats %.2e", n_buf, buf_err);
    printf("\n");
    eegnn_graph_free(c->g);
}

static void test_linear(void) {
    tcase c;
    eegnn_tensor *x, *w, *b;
    open_case(&c, "linear", 1);
    x = load(&c, "x", AS_PARAM);
    w = load(&c, "weight", AS_PARAM);
    b = load(&c, "bias", AS_PARAM);
    finish(&c, eegnn_linear(c.g, x, w, b), 0);

    open_case(&c, "linear3d_nobias", 1);
    x = load(&c, "x", AS_PARAM);
    w = load(&c, "weight", AS_PARAM);
    finish(&c, eegnn_linear(c.g, x, w, NULL), 0);
}

static void test_conv(void) {
    /* name, stride, padding, dilation, groups, bias: as in ref_ops.py */
    static const struct {
        const char *name;
        int stride, padding, dilation, groups, bias;
    } cases[] = {
        {"conv1d_plain", 1, 0, 1, 1, 1},
        {"conv1d_stride2_pad3", 2, 3, 1, 1, 1},
        {"conv1d_same_k8", 1, EEGNN_PADDING_SAME, 1, 1, 1},
        {"conv1d_same_k7_dil2", 1, EEGNN_PADDING_SAME, 2, 1, 1},
        {"conv1d_dil3_nobias", 1, 2, 3, 1, 0},
        {"conv1d_groups2", 1, 1, 1, 2, 1},
        {"conv1d_depthwise", 1, EEGNN_PADDING_SAME, 1, 8, 0},
        {"conv1d_eeg_spatial", 1, 0, 1, 1, 1},
        {"conv1d_pad_beyond_kernel", 1, 5, 1, 1, 1},
        {"conv1d_long_dil2", 1, 3, 2, 1, 1},
        {"conv1d_groups3_long", 1, EEGNN_PADDING_SAME, 1, 3, 0},
        {"conv1d_long_kernel", 1, EEGNN_PADDING_SAME, 1, 1, 1},
        {"conv1d_long_kernel_tails", 1, 3, 1, 1, 1},
    };
    int i;
    for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        tcase c;
        eegnn_conv1d_params p;
        eegnn_tensor *x, *w, *b = NULL;
        memset(&p, 0, sizeof p);
        p.stride = cases[i].stride;
        p.padding = cases[i].padding;
        p.dilation = cases[i].dilation;
        p.groups = cases[i].groups;
        open_case(&c, cases[i].name, 1);
        x = load(&c, "x", AS_PARAM);
        w = load(&c, "weight", AS_PARAM);
        if (cases[i].bias) b = load(&c, "bias", AS_PARAM);
        finish(&c, eegnn_conv1d(c.g, x, w, b, &p), 0);
    }
}

static void test_elementwise(void) {
    tcase c;
    eegnn_tensor *x, *b;

    open_case(&c, "bias_add", 1);
    x = load(&c, "x", AS_PARAM);
    b = load(&c, "b", AS_PARAM);
    finish(&c, eegnn_bias_add(c.g, x, b), 0);

    open_case(&c, "relu", 1);
    finish(&c, eegnn_relu(c.g, load(&c, "x", AS_PARAM)), 0);
    open_case(&c, "elu", 1);
    finish(&c, eegnn_elu(c.g, load(&c, "x", AS_PARAM), 1.0f), 0);
    open_case(&c, "elu_alpha0.5", 1);
    finish(&c, eegnn_elu(c.g, load(&c, "x", AS_PARAM), 0.5f), 0);
    open_case(&c, "gelu", 1);
    finish(&c, eegnn_gelu(c.g, load(&c, "x", AS_PARAM)), 0);
    open_case(&c, "elu_large", 1);
    finish(&c, eegnn_elu(c.g, load(&c, "x", AS_PARAM), 1.0f), 0);
    open_case(&c, "gelu_large", 1);
    finish(&c, eegnn_gelu(c.g, load(&c, "x", AS_PARAM)), 0);
    open_case(&c, "relu_large", 1);
    finish(&c, eegnn_relu(c.g, load(&c, "x", AS_PARAM)), 0);
    open_case(&c, "dropout_eval", 0);
    finish(&c, eegnn_dropout(c.g, load(&c, "x", AS_PARAM), 0.5f), 0);
    open_case(&c, "softmax", 1);
    finish(&c, eegnn_softmax(c.g, load(&c, "x", AS_PARAM)), 0);
    open_case(&c, "log_softmax", 1);
    finish(&c, eegnn_log_softmax(c.g, load(&c, "x", AS_PARAM)), 0);
}

static void test_pool(void) {
    tcase c;
    open_case(&c, "avg_pool1d_k4", 1);
    finish(&c, eegnn_avg_pool1d(c.g, load(&c, "x", AS_PARAM), 4, 4, 0), 0);
    open_case(&c, "avg_pool1d_k3_s2_p1", 1);
    finish(&c, eegnn_avg_pool1d(c.g, load(&c, "x", AS_PARAM), 3, 2, 1), 0);
    open_case(&c, "avg_pool1d_k8_s8", 1);
    finish(&c, eegnn_avg_pool1d(c.g, load(&c, "x", AS_PARAM), 8, 0, 0), 0);
    open_case(&c, "max_pool1d_k3_s2_p1", 1);
    finish(&c, eegnn_max_pool1d(c.g, load(&c, "x", AS_PARAM), 3, 2, 1), 0);
    open_case(&c, "max_pool1d_k4", 1);
    finish(&c, eegnn_max_pool1d(c.g, load(&c, "x", AS_PARAM), 4, 0, 0), 0);
    open_case(&c, "global_avg_pool", 1);
    finish(&c, eegnn_global_avg_pool(c.g, load(&c, "x", AS_PARAM)), 0);
}

static void test_batch_norm(void) {
    static const char *const names[] = {"batch_norm_3d_train",      "batch_norm_3d_eval",
                                        "batch_norm_2d_train",      "batch_norm_2d_eval",
                                        "batch_norm_3d_large_train", "batch_norm_3d_large_eval"};
    int i;
    tcase c;
    for (i = 0; i < (int)(sizeof names / sizeof names[0]); i++) {
        eegnn_tensor *x, *w, *b, *rm, *rv;
        open_case(&c, names[i], strstr(names[i], "train") != NULL);
        x = load(&c, "x", AS_PARAM);
        w = load(&c, "weight", AS_PARAM);
        b = load(&c, "bias", AS_PARAM);
        rm = load(&c, "running_mean", AS_BUFFER);
        rv = load(&c, "running_var", AS_BUFFER);
        finish(&c, eegnn_batch_norm(c.g, x, w, b, rm, rv, 0.1f, 1e-5f), 0);
    }
    open_case(&c, "batch_norm_3d_train_noaffine_nostats", 1);
    finish(&c, eegnn_batch_norm(c.g, load(&c, "x", AS_PARAM), NULL, NULL, NULL, NULL, 0.1f, 1e-5f), 0);
}

static void test_losses(void) {
    tcase c;
    eegnn_tensor *p, *t;

    open_case(&c, "mse_loss", 1);
    p = load(&c, "pred", AS_PARAM);
    t = load(&c, "target", AS_PARAM);
    finish(&c, eegnn_mse_loss(c.g, p, t), 1);

    open_case(&c, "l1_loss", 1);
    p = load(&c, "pred", AS_PARAM);
    t = load(&c, "target", AS_PARAM);
    finish(&c, eegnn_l1_loss(c.g, p, t), 1);

    open_case(&c, "bce_with_logits_loss", 1);
    p = load(&c, "pred", AS_PARAM);
    t = load(&c, "target", AS_PARAM);
    finish(&c, eegnn_bce_with_logits_loss(c.g, p, t), 1);

    open_case(&c, "cross_entropy_loss", 1);
    p = load(&c, "pred", AS_PARAM);
    t = load(&c, "labels", AS_INPUT);
    finish(&c, eegnn_cross_entropy_loss(c.g, p, t, NULL), 1);

    open_case(&c, "cross_entropy_loss_weighted", 1);
    p = load(&c, "pred", AS_PARAM);
    t = load(&c, "labels", AS_INPUT);
    finish(&c, eegnn_cross_entropy_loss(c.g, p, t, load(&c, "class_weight", AS_INPUT)), 1);
}

int main(void) {
    (void)test_data_path;
    test_linear();
    test_conv();
    test_elementwise();
    test_pool();
    test_batch_norm();
    test_losses();
    return test_summary("test_ops_torch");
}
