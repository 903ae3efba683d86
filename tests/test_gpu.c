/* eegnn_hip.h against the CPU path, on a GPU or in the simulator build
 * (c++ -DEEGNN_HIP_SIM, at warp 32 or -DEEGNN_HIP_SIM_WARP=64):
 *   - every routed op forward and backward at sizes that are multiples of no
 *     tile: linear (both sgemm tilings), attention (self and cross, every
 *     kernel head width 16/32/64/128 with partial widths, key padding masks,
 *     dropout), layer norm at 32-, 64- and 128-thread blocks, add, GELU,
 *     ReLU, dropout, reshape, flatten (relative error < 1e-4);
 *   - the optimizer kernels (Adam, AdamW, AMSGrad, SGD with Nesterov
 *     momentum) on resident parameters (< 1e-5);
 *   - training steps of EEGTransformer, EEGConformer and MLP with nodes
 *     routed to the device: the same losses and weights with SGD (< 2e-4),
 *     the same losses with AdamW (< 2e-4; its weights are compared only to
 *     1e-2 of the model's largest weight: Adam divides each gradient by its
 *     own magnitude, so where a gradient is rounding noise (zero in exact
 *     arithmetic, as the attention key bias's, or a near-total
 *     cancellation) two correct sums of different order give steps of up to
 *     lr in different directions; SGD shows the kernels agree);
 *   - a 200-step AdamW loss curve at the smallest shapes (< 2e-4);
 *   - a kernel launch that fails (fault injection): the CPU goes on;
 *   - launch configuration errors as the runtime reports them, and (in the
 *     simulator) a __syncthreads() that some threads never reach.
 * Without a device (or in a CPU-only build) the comparisons are skipped and
 * what can run is checked: routing lists, eegnn_gpu_attach's status, and
 * that the profiling wrappers leave every number unchanged. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "../eegnn_hip.h"
#include "test.h"

typedef eegnn_tensor *(*build_fn)(eegnn_graph *g, eegnn_tensor *x, int variant);

/* A case: a network on x (shape xs) and a variant number. */
typedef struct gpu_case {
    const char *name;
    build_fn fn;
    int variant;
    int xs[3];
} gpu_case;

static eegnn_tensor *build_linear(eegnn_graph *g, eegnn_tensor *x, int out) {
    int ws[2], bs[1];
    eegnn_tensor *w, *b;
    ws[0] = bs[0] = out;
    ws[1] = x->shape[2];
    w = eegnn_param(g, "w", 2, ws);
    b = eegnn_param(g, "b", 1, bs);
    return eegnn_linear(g, x, w, b);
}

/* Self-attention on a packed projection, head width d = x width / heads
 * (variant: heads), a key padding mask and dropout 0.1. */
static eegnn_tensor *build_self_attention(eegnn_graph *g, eegnn_tensor *x, int heads) {
    int e = x->shape[2], ws[2] = {3 * e, e}, ms[2] = {x->shape[0], x->shape[1]};
    eegnn_tensor *w = eegnn_param(g, "in_proj", 2, ws), *mask = eegnn_input(g, "mask", 2, ms);
    mask->data[ms[1] - 1] = mask->data[ms[1] - 4] = mask->data[2 * ms[1] - 1] = 1.0f; /* padded keys */
    return eegnn_scaled_dot_product_attention_qkv(g, eegnn_linear(g, x, w, NULL), heads, mask, 0.1f);
}

/* Cross-attention: 33 queries from x, 50 keys and values from a second
 * input, a mask, heads of width x width / variant, no dropout. */
static eegnn_tensor *build_cross_attention(eegnn_graph *g, eegnn_tensor *x, int heads) {
    int e = x->shape[2], ws[2] = {e, e}, ks[3] = {x->shape[0], 50, e}, ms[2] = {x->shape[0], 50};
    eegnn_tensor *kv = eegnn_param(g, "kv", 3, ks), *mask = eegnn_input(g, "mask", 2, ms);
    eegnn_tensor *wq = eegnn_param(g, "wq", 2, ws), *wk = eegnn_param(g, "wk", 2, ws), *wv = eegnn_param(g, "wv", 2, ws);
    mask->data[49] = mask->data[50 + 7] = 1.0f;
    return eegnn_scaled_dot_product_attention(g, eegnn_linear(g, x, wq, NULL), eegnn_linear(g, kv, wk, NULL),
                                              eegnn_linear(g, kv, wv, NULL), heads, mask, 0.0f);
}

/* linear -> GELU, + second linear -> ReLU -> dropout -> flatten -> reshape
 * -> layer norm over the width (variant: 1 with weight and bias, 0 without). */
static eegnn_tensor *build_block(eegnn_graph *g, eegnn_tensor *x, int affine) {
    int n = x->shape[2], ws[2] = {n, n}, ns[1] = {n}, rs[2] = {x->shape[0] * x->shape[1], n};
    eegnn_tensor *w = eegnn_param(g, "w", 2, ws), *lw = affine ? eegnn_param(g, "ln.weight", 1, ns) : NULL;
    eegnn_tensor *lb = affine ? eegnn_param(g, "ln.bias", 1, ns) : NULL, *h;
    h = eegnn_gelu(g, eegnn_linear(g, x, w, NULL));
    h = eegnn_dropout(g, eegnn_relu(g, eegnn_add(g, h, eegnn_linear(g, x, w, NULL))), 0.2f);
    return eegnn_layer_norm(g, eegnn_reshape(g, eegnn_flatten(g, h), 2, rs), lw, lb, 1e-5f);
}

static eegnn_tensor *build_case(eegnn_graph *g, eegnn_tensor *x, const gpu_case *c) { return c->fn(g, x, c->variant); }

/* Builds x (a parameter, so that it gets a gradient) -> the case -> mse
 * against a fixed target; parameters from a fixed seed. */
static eegnn_graph *make(const gpu_case *c, eegnn_tensor **loss, eegnn_tensor **out) {
    eegnn_graph_config gc;
    eegnn_graph *g;
    eegnn_tensor *x, *y;
    eegnn_rng rng;
    int i;
    size_t j;
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = (size_t)32 << 20;
    gc.n_threads = 1;
    gc.seed = 7;
    g = eegnn_graph_create(&gc);
    x = eegnn_param(g, "x", 3, c->xs);
    *out = build_case(g, x, c);
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

/* Forward and backward on a CPU graph and on an attached one (twice, so
 * that state carried between runs is covered); the worst relative error
 * over the output, the loss and every gradient. *routed: nodes on the GPU. */
static double compare(const gpu_case *c, const eegnn_gpu_config *cfg, eegnn_status *attach_status, int *routed) {
    eegnn_tensor *l1 = NULL, *o1 = NULL, *l2 = NULL, *o2 = NULL;
    eegnn_graph *g1 = make(c, &l1, &o1), *g2 = make(c, &l2, &o2);
    double worst = 0.0, e;
    int i, run;
    if (!l1 || !l2) {
        printf("%s: build failed: %s\n", c->name, eegnn_last_error());
        eegnn_graph_free(g1);
        eegnn_graph_free(g2);
        return 1e30;
    }
    *attach_status = eegnn_gpu_attach(g2, cfg);
    *routed = eegnn_gpu_n_routed(g2);
    for (run = 0; run < 2; run++) {
        eegnn_graph_forward(g1);
        eegnn_graph_zero_grad(g1);
        eegnn_graph_backward(g1, l1);
        eegnn_graph_forward(g2);
        eegnn_graph_zero_grad(g2);
        eegnn_graph_backward(g2, l2);
        eegnn_graph_sync(g2);
        e = test_max_rel_err(o2->data, o1->data, o1->numel);
        if (!(e <= worst)) worst = e;
        e = test_max_rel_err(l2->data, l1->data, 1);
        if (!(e <= worst)) worst = e;
        for (i = 0; i < eegnn_graph_n_nodes(g1); i++) {
            eegnn_tensor *a = eegnn_graph_node(g1, i), *b = eegnn_graph_node(g2, i);
            if (!(a->flags & EEGNN_TENSOR_PARAM)) continue;
            e = test_max_rel_err(b->grad, a->grad, a->numel);
            if (!(e <= worst)) worst = e;
        }
    }
    eegnn_gpu_detach(g2);
    eegnn_graph_free(g1);
    eegnn_graph_free(g2);
    return worst;
}

/* Training of a zoo model on a CPU graph and an attached one: `steps`
 * steps with optimizer oc on random batches. *loss_err gets the worst
 * relative difference of the losses, *weight_err that of the weights after
 * the last step (per tensor, relative to its largest weight; or relative to
 * the model's largest weight when `global`). */
typedef struct train_setup {
    const char *model;
    int batch, chans, times, d_model, heads, layers;
} train_setup;

static int train_pair(const train_setup *ts, const eegnn_optimizer_config *oc, int steps, int global,
                      const eegnn_gpu_config *cfg, double *loss_err, double *weight_err, int *routed) {
    eegnn_graph *g[2];
    eegnn_optimizer *opt[2];
    eegnn_tensor *x[2], *y[2], *loss[2];
    eegnn_model_config mc;
    eegnn_rng rng;
    double max_w = 0.0, max_d = 0.0, e;
    int k, s, i, xs[3], ys[2];
    size_t j;
    xs[0] = ys[0] = ts->batch;
    xs[1] = ts->chans;
    xs[2] = ts->times;
    ys[1] = 1;
    mc = eegnn_model_config_default();
    mc.n_chans = ts->chans;
    mc.n_times = ts->times;
    mc.n_outputs = 1;
    mc.sfreq = 100.0;
    mc.d_model = ts->d_model;
    mc.n_heads = ts->heads;
    mc.n_layers = ts->layers;
    *loss_err = *weight_err = 0.0;
    for (k = 0; k < 2; k++) {
        eegnn_graph_config gc;
        memset(&gc, 0, sizeof gc);
        gc.arena_bytes = (size_t)64 << 20;
        gc.n_threads = 1;
        gc.seed = 3;
        g[k] = eegnn_graph_create(&gc);
        x[k] = eegnn_input(g[k], "x", 3, xs);
        y[k] = eegnn_input(g[k], "y", 2, ys);
        loss[k] = eegnn_mse_loss(g[k], eegnn_model_build(g[k], ts->model, x[k], &mc), y[k]);
        opt[k] = loss[k] ? eegnn_optimizer_create(g[k], oc) : NULL;
        if (!opt[k]) {
            printf("%s: %s\n", ts->model, eegnn_last_error());
            return 0;
        }
    }
    eegnn_gpu_attach(g[1], cfg);
    *routed = eegnn_gpu_active(g[1]) ? eegnn_gpu_n_routed(g[1]) : 0;
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
        if (!(e <= *loss_err)) *loss_err = e;
    }
    eegnn_graph_sync(g[1]);
    for (i = 0; i < eegnn_graph_n_nodes(g[0]); i++) {
        eegnn_tensor *a = eegnn_graph_node(g[0], i), *b = eegnn_graph_node(g[1], i);
        if (!(a->flags & EEGNN_TENSOR_PARAM)) continue;
        if (!global) {
            e = test_max_rel_err(b->data, a->data, a->numel);
            if (!(e <= *weight_err)) *weight_err = e;
            continue;
        }
        for (j = 0; j < a->numel; j++) {
            double d = fabs((double)a->data[j] - b->data[j]);
            if (fabs((double)a->data[j]) > max_w) max_w = fabs((double)a->data[j]);
            if (!(d <= max_d)) max_d = d;
        }
    }
    if (global) *weight_err = max_w > 0.0 ? max_d / max_w : max_d;
    for (k = 0; k < 2; k++) {
        if (k) eegnn_gpu_detach(g[k]);
        eegnn_optimizer_free(opt[k]);
        eegnn_graph_free(g[k]);
    }
    return 1;
}

#if EEGNN__GPU
/* For the launch checks: y[i] = i for i < n. */
__global__ void test_k_iota(float *y, int n) {
    int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);
    if (i < n) y[i] = (float)i;
}

/* Warp shuffles: y[i] = the value of lane i ^ 1, z[i] = that of lane i ^ 32
 * (a lane of the same warp only when the warp has 64 lanes). */
__global__ void test_k_shfl(float *y, float *z) {
    float v = (float)threadIdx.x;
    y[threadIdx.x] = EEGNN__SHFL_XOR(v, 1);
    z[threadIdx.x] = EEGNN__SHFL_XOR(v, 32);
}
#endif
#if defined(EEGNN__SIM)
/* Thread 0 returns before the barrier the others wait at. */
__global__ void test_k_diverge(float *y) {
    __shared__ float s[64];
    if (threadIdx.x == 0) return;
    s[threadIdx.x] = 1.0f;
    __syncthreads();
    y[threadIdx.x] = s[63 - threadIdx.x];
}
#endif

/* Launch configurations the runtime refuses, with its error codes. */
static void check_launch_errors(void) {
#if EEGNN__GPU
    float *y = NULL;
    hipError_t e;
    CHECK(hipMalloc((void **)&y, 64 * sizeof(float)) == hipSuccess, "hipMalloc");
    (void)hipGetLastError();
    EEGNN__LAUNCH(test_k_iota, 1, 2048, 0, 0, y, 64);
    e = hipGetLastError();
    CHECK(e == hipErrorInvalidConfiguration && strstr(hipGetErrorString(e), "invalid configuration"),
          "a block of 2048 threads: %d %s", (int)e, hipGetErrorString(e));
    EEGNN__LAUNCH(test_k_iota, 0, 64, 0, 0, y, 64);
    e = hipGetLastError();
    CHECK(e == hipErrorInvalidConfiguration, "an empty grid: %d %s", (int)e, hipGetErrorString(e));
    EEGNN__LAUNCH(test_k_iota, 1, 64, 0, 0, y, 64);
    e = hipGetLastError();
    CHECK(e == hipSuccess, "a valid launch after the failed ones: %s", hipGetErrorString(e));
    {
        /* shuffles within a warp: lane 32 of a 64-lane warp is a partner, of a 32-lane warp not */
        float *d = NULL, h[128];
        int i, ok1 = 1, ok32 = 1, warp = 32;
        hipDeviceProp_t prop;
        if (hipGetDeviceProperties(&prop, 0) == hipSuccess) warp = prop.warpSize;
        CHECK(hipMalloc((void **)&d, 128 * sizeof(float)) == hipSuccess, "hipMalloc");
        EEGNN__LAUNCH(test_k_shfl, 1, 64, 0, 0, d, d + 64);
        CHECK(hipGetLastError() == hipSuccess && hipMemcpy(h, d, sizeof h, hipMemcpyDeviceToHost) == hipSuccess,
              "shuffle kernel");
        for (i = 0; i < 64; i++) {
            ok1 &= h[i] == (float)(i ^ 1);
            ok32 &= h[64 + i] == (float)(warp == 64 ? i ^ 32 : i);
        }
        CHECK(ok1 && ok32, "warp shuffles at warp %d: xor 1 %d, xor 32 %d", warp, ok1, ok32);
        hipFree(d);
    }
#if defined(EEGNN__SIM)
    EEGNN__LAUNCH(test_k_iota, 1, 64, (size_t)1 << 20, 0, y, 64);
    e = hipGetLastError();
    CHECK(e == hipErrorLaunchOutOfResources && strstr(hipGetErrorString(e), "too many resources"),
          "1 MiB of dynamic shared memory: %d %s", (int)e, hipGetErrorString(e));
    printf("(the simulator reports a divergent barrier below, as expected)\n");
    EEGNN__LAUNCH(test_k_diverge, 1, 64, 0, 0, y);
    e = hipGetLastError();
    CHECK(e == hipErrorLaunchFailure, "a __syncthreads() that thread 0 never reaches: %d %s", (int)e,
          hipGetErrorString(e));
#endif
    hipFree(y);
#endif
}

int main(void) {
    static const gpu_case cases[] = {
        {"linear 64-tile (165 x 24 -> 40)", build_linear, 40, {5, 33, 24}},
        {"linear 128-tile (600 x 16 -> 448)", build_linear, 448, {5, 120, 16}},
        {"self-attention d=8 (kernel 16)", build_self_attention, 3, {5, 33, 24}},
        {"self-attention d=16", build_self_attention, 4, {3, 33, 64}},
        {"self-attention d=24 (kernel 32)", build_self_attention, 2, {2, 50, 48}},
        {"self-attention d=40 (kernel 64)", build_self_attention, 1, {2, 33, 40}},
        {"self-attention d=64", build_self_attention, 1, {2, 33, 64}},
        {"self-attention d=100 (kernel 128)", build_self_attention, 1, {2, 33, 100}},
        {"self-attention d=128", build_self_attention, 1, {1, 33, 128}},
        {"cross-attention 33 x 50, d=16", build_cross_attention, 4, {4, 33, 64}},
        {"block, layer norm 24 (32 threads)", build_block, 1, {5, 33, 24}},
        {"block, layer norm 40 (64 threads), no affine", build_block, 0, {3, 50, 40}},
        {"block, layer norm 100 (128 threads)", build_block, 1, {2, 33, 100}},
    };
    static const train_setup models[] = {
        {"EEGTransformer", 4, 8, 50, 32, 4, 2},
        {"EEGConformer", 4, 8, 100, 0, 0, 0},
        {"MLP", 4, 8, 50, 0, 0, 0},
    };
    static const train_setup smallest = {"EEGTransformer", 2, 4, 33, 16, 2, 1};
    const int n_cases = (int)(sizeof cases / sizeof cases[0]);
    eegnn_gpu_config cfg;
    eegnn_gpu_device_info info;
    eegnn_optimizer_config oc;
    eegnn_status st;
    int mask = 0, i, routed = 0, have_gpu;
    double e, le, we;

    /* routing lists */
    CHECK(!eegnn_gpu_parse_ops("linear,attention", &mask) && mask == (EEGNN_GPU_OP_LINEAR | EEGNN_GPU_OP_ATTENTION),
          "parse linear,attention: %d", mask);
    CHECK(!eegnn_gpu_parse_ops("none", &mask) && mask == 0, "parse none");
    CHECK(!eegnn_gpu_parse_ops("default", &mask) && mask == EEGNN_GPU_OP_DEFAULT, "parse default");
    CHECK(eegnn_gpu_parse_ops("linear,gemm", &mask) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "gemm"),
          "unknown op named: %s", eegnn_last_error());

    have_gpu = eegnn_gpu_query(0, &info) == EEGNN_OK;
    CHECK(!have_gpu || eegnn_gpu_compiled(), "a device without GPU support compiled in");
#if defined(EEGNN__SIM)
    CHECK(have_gpu && eegnn_gpu_compiled() && !strcmp(info.platform, "SIM") && strstr(info.arch, "warp"),
          "the simulator reports platform SIM: %s %s", info.platform, info.arch);
#endif
    if (have_gpu)
        printf("GPU: %s %s (%s), %d compute units\n", info.platform, info.name, info.arch, info.compute_units);
    else
        printf("skip: GPU comparisons (%s)\n", eegnn_last_error());
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    oc.type = EEGNN_OPTIM_ADAMW;

    /* without a device: attach reports it and leaves the graph on the CPU;
     * with profiling the CPU path is timed and gives the same numbers */
    memset(&cfg, 0, sizeof cfg);
    cfg.quiet = 1;
    cfg.profile = 1;
    if (!have_gpu) {
        for (i = 0; i < n_cases; i += 5) {
            e = compare(&cases[i], &cfg, &st, &routed);
            CHECK(st == EEGNN_ERR_UNSUPPORTED, "%s: attach without a device returned %d", cases[i].name, (int)st);
            CHECK(e == 0.0, "%s: profiling wrappers changed the numbers (rel err %.3g)", cases[i].name, e);
        }
        CHECK(train_pair(&smallest, &oc, 3, 0, &cfg, &le, &we, &routed) && !routed && le == 0.0 && we == 0.0,
              "transformer steps on the fallback path differ (%.3g, %.3g)", le, we);
        return test_summary("gpu");
    }

    /* on a GPU: every op, forward and backward */
    cfg.profile = 0;
    for (i = 0; i < n_cases; i++) {
        e = compare(&cases[i], &cfg, &st, &routed);
        CHECK(st == EEGNN_OK && routed > 0, "%s: attach: %s (%d nodes routed)", cases[i].name, eegnn_last_error(),
              routed);
        CHECK(e < 1e-4, "%s forward/backward: GPU vs CPU rel err %.3g", cases[i].name, e);
        printf("%-46s %2d nodes on the GPU, max rel err %.3g\n", cases[i].name, routed, e);
    }

    /* the optimizer kernels on a resident linear layer */
    {
        static const char *const names[5] = {"Adam (L2)", "AdamW", "AdamW AMSGrad", "SGD Nesterov", "SGD"};
        static const train_setup mlp = {"MLP", 3, 4, 33, 0, 0, 0};
        for (i = 0; i < 5; i++) {
            oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
            oc.type = i == 0 ? EEGNN_OPTIM_ADAM : i < 3 ? EEGNN_OPTIM_ADAMW : EEGNN_OPTIM_SGD;
            oc.lr = i < 3 ? 1e-3f : 1e-2f;
            oc.weight_decay = i == 0 ? 1e-2f : i < 3 ? (float)EEGNN_UNSET : 0.0f; /* AdamW: 0.01 */
            oc.amsgrad = i == 2;
            oc.momentum = i == 3 ? 0.9f : 0.0f;
            oc.nesterov = i == 3;
            CHECK(train_pair(&mlp, &oc, 3, 1, &cfg, &le, &we, &routed) && routed > 0 && le < 2e-4 && we < 1e-5,
                  "%s: losses %.3g, weights %.3g (%d routed)", names[i], le, we, routed);
            printf("optimizer %-14s 3 steps: loss rel err %.3g, weights %.3g of the largest\n", names[i], le, we);
        }
    }

    /* training steps with nodes on the device */
    for (i = 0; i < (int)(sizeof models / sizeof models[0]); i++) {
        oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
        oc.type = EEGNN_OPTIM_SGD;
        oc.lr = 1e-2f;
        oc.momentum = 0.9f;
        CHECK(train_pair(&models[i], &oc, 2, 0, &cfg, &le, &we, &routed) && routed > 0 && le < 2e-4 && we < 2e-4,
              "%s, SGD: losses %.3g, weights %.3g (%d routed)", models[i].model, le, we, routed);
        printf("%-15s 2 SGD steps,   %2d nodes on the GPU: loss rel err %.3g, weights %.3g\n", models[i].model,
               routed, le, we);
        oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
        oc.type = EEGNN_OPTIM_ADAMW;
        CHECK(train_pair(&models[i], &oc, 2, 1, &cfg, &le, &we, &routed) && routed > 0 && le < 2e-4 && we < 1e-2,
              "%s, AdamW: losses %.3g, weights %.3g of the largest (%d routed)", models[i].model, le, we, routed);
        printf("%-15s 2 AdamW steps, %2d nodes on the GPU: loss rel err %.3g, weights %.3g of the largest\n",
               models[i].model, routed, le, we);
    }

    /* the 200-step loss curve at the smallest shapes */
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    oc.type = EEGNN_OPTIM_ADAMW;
    CHECK(train_pair(&smallest, &oc, 200, 1, &cfg, &le, &we, &routed) && routed > 0 && le < 2e-4 && we < 1e-2,
          "200-step loss curve: losses %.3g, weights %.3g", le, we);
    printf("EEGTransformer 200 AdamW steps: loss rel err %.3g, weights %.3g of the largest\n", le, we);

    /* a kernel launch that fails: message, the CPU goes on with the same numbers */
    cfg.fail_after = 25;
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    oc.type = EEGNN_OPTIM_SGD;
    oc.lr = 1e-2f;
    oc.momentum = 0.9f;
    CHECK(train_pair(&models[0], &oc, 3, 0, &cfg, &le, &we, &routed) && le < 2e-4 && we < 2e-4,
          "after a failed launch the CPU path goes on: losses %.3g, weights %.3g", le, we);
    cfg.fail_after = 0;
    check_launch_errors();
    return test_summary("gpu");
}
