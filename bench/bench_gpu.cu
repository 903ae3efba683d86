/* GPU benchmark of eegnn_hip.h (needs a device; CI only compiles it).
 *   NVIDIA: nvcc -x cu -O2 -arch=sm_90 -DEEGNN_BENCH_CUBLAS -o bench_gpu bench/bench_gpu.cu -lcublas -lpthread
 *   AMD:    hipcc -x hip -O2 --offload-arch=gfx1010 --offload-arch=gfx1030 -o bench_gpu bench/bench_gpu.cu -lpthread
 * 1. SGEMM GFLOP/s of eegnn's kernel (and cuBLAS, only here, with EEGNN_BENCH_CUBLAS) at 1024, 2048
 *    and 4096 square and on the linear layers of the EEG transformer (forward, grad of input, grad
 *    of weight), with the ratio eegnn / cuBLAS.
 * 2. Training steps (forward, backward, AdamW) at batch 64, CPU only against GPU-hybrid (routed
 *    nodes on the GPU), ms per step: one transformer encoder layer (d_model 128, 8 heads, GELU),
 *    EEGTransformer and EEGConformer on 129 channels x 200 samples.
 * bench/gpu_check.sh builds and runs it with test_gpu. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "../eegnn_hip.h"
#ifdef EEGNN_BENCH_CUBLAS
#include <cublas_v2.h>
#endif

static double sgemm_gflops(int ta, int tb, int m, int n, int k, int use_cublas) {
    float *a, *b, *c;
    size_t na = (size_t)m * k, nb = (size_t)k * n, nc = (size_t)m * n;
    int it, reps = 10;
    double t0 = 0.0, sec;
    hipMalloc((void **)&a, na * sizeof(float));
    hipMalloc((void **)&b, nb * sizeof(float));
    hipMalloc((void **)&c, nc * sizeof(float));
    hipMemsetAsync(a, 0, na * sizeof(float), 0);
    hipMemsetAsync(b, 0, nb * sizeof(float), 0);
#ifdef EEGNN_BENCH_CUBLAS
    cublasHandle_t h;
    float one = 1.0f, zero = 0.0f;
    cublasCreate(&h);
#endif
    for (it = -2; it < reps; it++) {
        if (it == 0) {
            hipStreamSynchronize(0);
            t0 = eegnn_time_seconds();
        }
        if (!use_cublas) {
            eegnn__gpu_sgemm(0, ta, tb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n, NULL, 0);
        } else {
#ifdef EEGNN_BENCH_CUBLAS
            /* row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T */
            cublasSgemm(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &one, b,
                        tb ? k : n, a, ta ? m : k, &zero, c, n);
#endif
        }
    }
    hipStreamSynchronize(0);
    sec = (eegnn_time_seconds() - t0) / reps;
#ifdef EEGNN_BENCH_CUBLAS
    cublasDestroy(h);
#endif
    hipFree(a);
    hipFree(b);
    hipFree(c);
    return 2.0 * m * n * k / sec * 1e-9;
}

/* One training workload: an input (batch, a, b) and the network on it. */
typedef struct bench_case {
    const char *name;
    const char *model;  /* zoo name, or NULL: one transformer encoder layer */
    int xs[3];
} bench_case;

/* ms per training step (forward, backward, AdamW) on the CPU (gpu 0) or
 * with eegnn_hip.h attached (gpu 1); *routed: nodes on the GPU. */
static double step_ms(const bench_case *bc, int gpu, int steps, int *routed) {
    eegnn_graph_config gc;
    eegnn_optimizer_config oc;
    eegnn_model_config mc;
    eegnn_gpu_config cfg;
    eegnn_graph *g;
    eegnn_optimizer *opt;
    eegnn_tensor *x, *y, *out;
    int ys[2], s;
    double t0 = 0.0, ms;
    memset(&gc, 0, sizeof gc);
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    mc = eegnn_model_config_default();
    memset(&cfg, 0, sizeof cfg);
    gc.arena_bytes = (size_t)6 << 30;
    g = eegnn_graph_create(&gc);
    x = eegnn_input(g, "x", 3, bc->xs);
    if (bc->model) {
        mc.n_chans = bc->xs[1];
        mc.n_times = bc->xs[2];
        mc.n_outputs = 1;
        mc.sfreq = 100.0;
        mc.d_model = 128;
        mc.n_heads = 8;
        mc.n_layers = 6;
        out = eegnn_model_build(g, bc->model, x, &mc);
    } else {
        eegnn_encoder_layer_config lc;
        int flat[2];
        memset(&lc, 0, sizeof lc);
        lc.d_model = bc->xs[2];
        lc.nhead = 8;
        lc.dim_feedforward = 4 * bc->xs[2];
        lc.dropout = 0.1f;
        lc.gelu = 1;
        out = eegnn_nn_transformer_encoder_layer(g, x, &lc, NULL, "layer");
        flat[0] = bc->xs[0];
        flat[1] = bc->xs[1] * bc->xs[2];
        out = eegnn_mean_dim(g, eegnn_reshape(g, out, 2, flat), 1, 1);
    }
    ys[0] = bc->xs[0];
    ys[1] = 1;
    y = eegnn_input(g, "y", 2, ys);
    out = eegnn_mse_loss(g, out, y);
    opt = out ? eegnn_optimizer_create(g, &oc) : NULL;
    if (!opt) {
        fprintf(stderr, "bench_gpu: %s: %s\n", bc->name, eegnn_last_error());
        eegnn_graph_free(g);
        return -1.0;
    }
    *routed = 0;
    if (gpu) {
        if (eegnn_gpu_attach(g, &cfg)) fprintf(stderr, "bench_gpu: %s\n", eegnn_last_error());
        *routed = eegnn_gpu_n_routed(g);
    }
    for (s = -1; s < steps; s++) {
        if (s == 0) t0 = eegnn_time_seconds();
        eegnn_graph_forward(g);
        eegnn_optimizer_zero_grad(opt);
        eegnn_graph_backward(g, out);
        eegnn_optimizer_step(opt);
    }
    eegnn_graph_sync(g);
    ms = (eegnn_time_seconds() - t0) / steps * 1e3;
    if (gpu) eegnn_gpu_detach(g);
    eegnn_optimizer_free(opt);
    eegnn_graph_free(g);
    return ms;
}

int main(void) {
    /* (M, N, K, ta, tb): square sizes, then the linear layers of the EEG transformer at batch 64 x 200 tokens */
    static const int shapes[][5] = {{1024, 1024, 1024, 0, 0}, {2048, 2048, 2048, 0, 0}, {4096, 4096, 4096, 0, 0},
                                    {12800, 384, 128, 0, 1},  {12800, 128, 384, 0, 0},  {384, 128, 12800, 1, 0},
                                    {12800, 256, 128, 0, 1},  {12800, 128, 256, 0, 1}};
    static const bench_case cases[] = {{"transformer encoder layer (64, 200, 128)", NULL, {64, 200, 128}},
                                       {"EEGTransformer (64, 129, 200)", "EEGTransformer", {64, 129, 200}},
                                       {"EEGConformer (64, 129, 200)", "EEGConformer", {64, 129, 200}}};
    int i;
    eegnn_gpu_device_info info;
    eegnn_gpu_report(0, stdout);
    if (eegnn_gpu_query(0, &info)) return 0;
    printf("%-28s %12s %12s %8s\n", "sgemm M x N x K (ta tb)", "eegnn GF/s", "cuBLAS GF/s", "ratio");
    for (i = 0; i < (int)(sizeof shapes / sizeof shapes[0]); i++) {
        const int *s = shapes[i];
        char name[64];
        double ours = sgemm_gflops(s[3], s[4], s[0], s[1], s[2], 0), ref = -1.0;
#ifdef EEGNN_BENCH_CUBLAS
        ref = sgemm_gflops(s[3], s[4], s[0], s[1], s[2], 1);
#endif
        snprintf(name, sizeof name, "%dx%dx%d (%d %d)", s[0], s[1], s[2], s[3], s[4]);
        if (ref > 0) printf("%-28s %12.0f %12.0f %8.2f\n", name, ours, ref, ours / ref);
        else printf("%-28s %12.0f %12s %8s\n", name, ours, "-", "-");
    }
    printf("\n%-42s %10s %10s %8s %7s\n", "training step, AdamW", "CPU ms", "GPU ms", "speedup", "on GPU");
    for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        int routed = 0, none = 0;
        double cpu = step_ms(&cases[i], 0, 2, &none), gpu = step_ms(&cases[i], 1, 10, &routed);
        printf("%-42s %10.1f %10.1f %8.2f %7d\n", cases[i].name, cpu, gpu, cpu / gpu, routed);
    }
    return 0;
}
