/* eegnn_hip.h against the CPU path. On a GPU (a build by hipcc -x hip or nvcc -x cu, run where a
 * device is present): every offloaded op (linear, attention with a key padding mask and dropout,
 * layer norm, the elementwise ops) forward and backward, a full EEG transformer and MLP training
 * step (relative error < 1e-4), a 200-step loss curve, and the fallback when a kernel launch fails.
 * Without a device (or in a CPU-only build) those checks are skipped with a message, and what can
 * run here is checked: routing lists, the status of eegnn_gpu_attach, and that the profiling
 * wrappers leave every number unchanged. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "../eegnn_hip.h"
#include "test.h"

typedef eegnn_tensor *(*build_fn)(eegnn_graph *g, eegnn_tensor *x);

static eegnn_tensor *build_linear(eegnn_graph *g, eegnn_tensor *x) {
    int ws[2] = {48, 24}, bs[1] = {48};
    eegnn_tensor *w = eegnn_param(g, "w", 2, ws), *b = eegnn_param(g, "b", 1, bs);
    return eegnn_linear(g, x, w, b);
}

static eegnn_tensor *build_attention(eegnn_graph *g, eegnn_tensor *x) {
    int ws[2] = {72, 24}, ms[2] = {3, 37};
    eegnn_tensor *w = eegnn_param(g, "in_proj", 2, ws), *mask = eegnn_input(g, "mask", 2, ms);
    mask->data[30] = mask->data[36] = mask->data[37 + 5] = 1.0f; /* padded keys */
    return eegnn_scaled_dot_product_attention_qkv(g, eegnn_linear(g, x, w, NULL), 4, mask, 0.1f);
}

static eegnn_tensor *build_block(eegnn_graph *g, eegnn_tensor *x) {
    int ws[2] = {24, 24}, ns[1] = {24}, rs[2] = {111, 24};
    eegnn_tensor *w = eegnn_param(g, "w", 2, ws), *lw = eegnn_param(g, "ln.weight", 1, ns);
    eegnn_tensor *lb = eegnn_param(g, "ln.bias", 1, ns), *h;
    h = eegnn_gelu(g, eegnn_linear(g, x, w, NULL));
    h = eegnn_dropout(g, eegnn_relu(g, eegnn_add(g, h, eegnn_linear(g, x, w, NULL))), 0.2f);
    return eegnn_layer_norm(g, eegnn_reshape(g, h, 2, rs), lw, lb, 1e-5f);
}

/* Builds x (3, 37, 24) -> fn -> mse against a fixed target; parameters
 * (and x, a parameter so that it gets a gradient) from a fixed seed. */
static eegnn_graph *make(build_fn fn, eegnn_tensor **loss, eegnn_tensor **out) {
    eegnn_graph_config gc;
    eegnn_graph *g;
    eegnn_tensor *x, *y;
    eegnn_rng rng;
    int xs[3] = {3, 37, 24}, i;
    size_t j;
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = (size_t)16 << 20;
    gc.n_threads = 1;
    gc.seed = 7;
    g = eegnn_graph_create(&gc);
    x = eegnn_param(g, "x", 3, xs);
    *out = fn(g, x);
    if (!*out) return g;
    y = eegnn_input(g, "y", (*out)->ndim, (*out)->shape);
    *loss = eegnn_mse_loss(g, *out, y);
    eegnn_rng_seed(&rng, 11);
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        if (!(t->flags & EEGNN_TENSOR_PARAM) && t != y) continue;
        for (j = 0; j < t->numel; j++) t->data[j] = 0.5f * eegnn_rng_normal(&rng);
    }
    return g;
}

/* Runs forward and backward on a CPU graph and on an attached one; returns
 * the worst relative error over the output, the loss and every gradient. */
static double compare(build_fn fn, const eegnn_gpu_config *cfg, eegnn_status *attach_status) {
    eegnn_tensor *l1 = NULL, *o1 = NULL, *l2 = NULL, *o2 = NULL;
    eegnn_graph *g1 = make(fn, &l1, &o1), *g2 = make(fn, &l2, &o2);
    double worst = 0.0, e;
    int i;
    if (!l1 || !l2) {
        printf("build failed: %s\n", eegnn_last_error());
        eegnn_graph_free(g1);
        eegnn_graph_free(g2);
        return 1e30;
    }
    *attach_status = eegnn_gpu_attach(g2, cfg);
    eegnn_graph_forward(g1);
    eegnn_graph_backward(g1, l1);
    eegnn_graph_forward(g2);
    eegnn_graph_backward(g2, l2);
    eegnn_graph_sync(g2);
    worst = test_max_rel_err(o2->data, o1->data, o1->numel);
    e = test_max_rel_err(l2->data, l1->data, 1);
    worst = e > worst ? e : worst;
    for (i = 0; i < eegnn_graph_n_nodes(g1); i++) {
        eegnn_tensor *a = eegnn_graph_node(g1, i), *b = eegnn_graph_node(g2, i);
        if (!(a->flags & EEGNN_TENSOR_PARAM)) continue;
        e = test_max_rel_err(b->grad, a->grad, a->numel);
        if (!(e <= worst)) worst = e;
    }
    eegnn_gpu_detach(g2);
    eegnn_graph_free(g1);
    eegnn_graph_free(g2);
    return worst;
}

/* Trains a zoo model `steps` steps with AdamW on a CPU graph and an attached
 * one; returns the worst relative difference of the losses and (after the
 * last step) of the weights. */
static double train_pair(const char *model, int steps, const eegnn_gpu_config *cfg, int *gpu_used) {
    eegnn_graph *g[2];
    eegnn_optimizer *opt[2];
    eegnn_tensor *x[2], *y[2], *loss[2];
    eegnn_model_config mc;
    eegnn_rng rng;
    double worst = 0.0, e;
    int k, s, i, xs[3] = {8, 16, 40}, ys[2] = {8, 1};
    size_t j;
    memset(&mc, 0, sizeof mc);
    mc.n_chans = 16;
    mc.n_times = 40;
    mc.n_outputs = 1;
    mc.sfreq = 100.0;
    mc.d_model = 32;
    mc.n_heads = 4;
    mc.n_layers = 2;
    for (k = 0; k < 2; k++) {
        eegnn_graph_config gc;
        eegnn_optimizer_config oc;
        memset(&gc, 0, sizeof gc);
        gc.arena_bytes = (size_t)64 << 20;
        gc.n_threads = 1;
        gc.seed = 3;
        g[k] = eegnn_graph_create(&gc);
        x[k] = eegnn_input(g[k], "x", 3, xs);
        y[k] = eegnn_input(g[k], "y", 2, ys);
        loss[k] = eegnn_mse_loss(g[k], eegnn_model_build(g[k], model, x[k], &mc), y[k]);
        memset(&oc, 0, sizeof oc);
        oc.lr = 1e-3f;
        opt[k] = loss[k] ? eegnn_optimizer_create(g[k], &oc) : NULL;
        if (!opt[k]) {
            printf("%s: %s\n", model, eegnn_last_error());
            return 1e30;
        }
    }
    eegnn_gpu_attach(g[1], cfg);
    *gpu_used = eegnn_gpu_active(g[1]);
    eegnn_rng_seed(&rng, 5);
    for (s = 0; s < steps; s++) {
        for (j = 0; j < x[0]->numel; j++) x[0]->data[j] = x[1]->data[j] = eegnn_rng_normal(&rng);
        for (j = 0; j < y[0]->numel; j++) y[0]->data[j] = y[1]->data[j] = eegnn_rng_normal(&rng);
        for (k = 0; k < 2; k++) {
            eegnn_graph_forward(g[k]);
            eegnn_optimizer_zero_grad(opt[k]);
            eegnn_graph_backward(g[k], loss[k]);
            eegnn_optimizer_step(opt[k]);
        }
        e = fabs((double)loss[1]->data[0] - loss[0]->data[0]) / (fabs((double)loss[0]->data[0]) + 1e-12);
        if (!(e <= worst)) worst = e;
    }
    eegnn_graph_sync(g[1]);
    for (i = 0; i < eegnn_graph_n_nodes(g[0]); i++) {
        eegnn_tensor *a = eegnn_graph_node(g[0], i), *b = eegnn_graph_node(g[1], i);
        if (!(a->flags & EEGNN_TENSOR_PARAM)) continue;
        e = test_max_rel_err(b->data, a->data, a->numel);
        if (!(e <= worst)) worst = e;
    }
    for (k = 0; k < 2; k++) {
        if (k) eegnn_gpu_detach(g[k]);
        eegnn_optimizer_free(opt[k]);
        eegnn_graph_free(g[k]);
    }
    return worst;
}

int main(void) {
    static const char *names[3] = {"linear", "attention", "block"};
    build_fn fns[3];
    eegnn_gpu_config cfg;
    eegnn_gpu_device_info info;
    eegnn_status st;
    int mask = 0, i, used = 0, have_gpu;
    double e;
    fns[0] = build_linear;
    fns[1] = build_attention;
    fns[2] = build_block;

    /* routing lists */
    CHECK(!eegnn_gpu_parse_ops("linear,attention", &mask) && mask == (EEGNN_GPU_OP_LINEAR | EEGNN_GPU_OP_ATTENTION),
          "parse linear,attention: %d", mask);
    CHECK(!eegnn_gpu_parse_ops("none", &mask) && mask == 0, "parse none");
    CHECK(!eegnn_gpu_parse_ops("default", &mask) && mask == EEGNN_GPU_OP_DEFAULT, "parse default");
    CHECK(eegnn_gpu_parse_ops("linear,gemm", &mask) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "gemm"),
          "unknown op named: %s", eegnn_last_error());

    have_gpu = eegnn_gpu_query(0, &info) == EEGNN_OK;
    if (have_gpu)
        printf("GPU: %s %s (%s), %d compute units\n", info.platform, info.name, info.arch, info.compute_units);
    else
        printf("skip: GPU comparisons (%s)\n", eegnn_last_error());

    /* without a device: attach reports it and leaves the graph on the CPU;
     * with profiling the CPU path is timed and gives the same numbers */
    memset(&cfg, 0, sizeof cfg);
    cfg.quiet = 1;
    cfg.profile = 1;
    if (!have_gpu) {
        for (i = 0; i < 3; i++) {
            e = compare(fns[i], &cfg, &st);
            CHECK(st == EEGNN_ERR_UNSUPPORTED, "%s: attach without a device returned %d", names[i], (int)st);
            CHECK(e == 0.0, "%s: profiling wrappers changed the numbers (rel err %.3g)", names[i], e);
        }
        e = train_pair("transformer", 3, &cfg, &used);
        CHECK(!used && e == 0.0, "transformer steps on the fallback path differ (%.3g)", e);
        return test_summary("gpu");
    }

    /* on a GPU: every op, then whole training steps */
    cfg.profile = 0;
    for (i = 0; i < 3; i++) {
        e = compare(fns[i], &cfg, &st);
        CHECK(st == EEGNN_OK, "%s: attach: %s", names[i], eegnn_last_error());
        CHECK(e < 1e-4, "%s forward/backward: GPU vs CPU rel err %.3g", names[i], e);
        printf("%-10s GPU vs CPU max rel err %.3g\n", names[i], e);
    }
    e = train_pair("transformer", 1, &cfg, &used);
    CHECK(used && e < 1e-4, "EEG transformer training step: rel err %.3g (gpu %d)", e, used);
    printf("transformer step: %.3g\n", e);
    e = train_pair("mlp", 1, &cfg, &used);
    CHECK(used && e < 1e-4, "MLP training step: rel err %.3g", e);
    printf("mlp step: %.3g\n", e);
    e = train_pair("transformer", 200, &cfg, &used);
    CHECK(e < 1e-3, "200-step loss curve and weights: rel err %.3g", e);
    printf("transformer 200 steps: %.3g\n", e);
    /* a kernel launch that fails: message, the CPU goes on with the same numbers */
    cfg.fail_after = 25;
    e = train_pair("transformer", 5, &cfg, &used);
    CHECK(e < 1e-4, "after a failed launch the CPU path goes on: rel err %.3g", e);
    return test_summary("gpu");
}
