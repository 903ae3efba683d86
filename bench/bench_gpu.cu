/* GPU benchmark of eegnn_hip.h (needs a device; CI only compiles it).
 *   NVIDIA: nvcc -x cu -O2 -arch=sm_90 -DEEGNN_BENCH_CUBLAS -o bench_gpu bench/bench_gpu.cu -lcublas -lpthread
 *   AMD:    hipcc -x hip -O2 --offload-arch=gfx1010 --offload-arch=gfx1030 -o bench_gpu bench/bench_gpu.cu -lpthread
 * 1. SGEMM GFLOP/s of eegnn's kernel (and cuBLAS, only here, with EEGNN_BENCH_CUBLAS) on the linear
 *    layers of the EEG transformer (forward, grad of input, grad of weight) and square 1024..8192.
 * 2. One training step (forward, backward, AdamW) of the EEG transformer (129 channels, 200 samples,
 *    d_model 128, 8 heads, 6 layers) at batch 64: GPU-hybrid vs CPU-only, ms per step. */
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
    double t0, sec;
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

static double step_ms(int gpu, int steps) {
    eegnn_graph_config gc;
    eegnn_optimizer_config oc;
    eegnn_model_config mc;
    eegnn_gpu_config cfg;
    eegnn_graph *g;
    eegnn_optimizer *opt;
    eegnn_tensor *x, *y, *loss;
    int xs[3] = {64, 129, 200}, ys[2] = {64, 1}, s;
    double t0 = 0.0, ms;
    memset(&gc, 0, sizeof gc);
    memset(&oc, 0, sizeof oc);
    memset(&mc, 0, sizeof mc);
    memset(&cfg, 0, sizeof cfg);
    gc.arena_bytes = (size_t)4 << 30;
    mc.n_chans = 129;
    mc.n_times = 200;
    mc.n_outputs = 1;
    mc.sfreq = 100.0;
    mc.d_model = 128;
    mc.n_heads = 8;
    mc.n_layers = 6;
    g = eegnn_graph_create(&gc);
    x = eegnn_input(g, "x", 3, xs);
    y = eegnn_input(g, "y", 2, ys);
    loss = eegnn_mse_loss(g, eegnn_model_build(g, "transformer", x, &mc), y);
    opt = loss ? eegnn_optimizer_create(g, &oc) : NULL;
    if (!opt) {
        fprintf(stderr, "bench_gpu: %s\n", eegnn_last_error());
        return -1.0;
    }
    if (gpu && eegnn_gpu_attach(g, &cfg)) fprintf(stderr, "bench_gpu: %s\n", eegnn_last_error());
    for (s = -1; s < steps; s++) {
        if (s == 0) t0 = eegnn_time_seconds();
        eegnn_graph_forward(g);
        eegnn_optimizer_zero_grad(opt);
        eegnn_graph_backward(g, loss);
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
    /* (M, N, K, ta, tb): linear layers of the transformer at batch 64 x 200 tokens */
    static const int shapes[][5] = {{12800, 384, 128, 0, 1}, {12800, 128, 384, 0, 0}, {384, 128, 12800, 1, 0},
                                    {12800, 256, 128, 0, 1}, {12800, 128, 256, 0, 1}, {1024, 1024, 1024, 0, 0},
                                    {2048, 2048, 2048, 0, 0}, {4096, 4096, 4096, 0, 0}, {8192, 8192, 8192, 0, 0}};
    int i;
    eegnn_gpu_device_info info;
    eegnn_gpu_report(0, stdout);
    if (eegnn_gpu_query(0, &info)) return 0;
    printf("%-24s %12s %12s\n", "sgemm M x N x K (ta tb)", "eegnn GF/s", "cuBLAS GF/s");
    for (i = 0; i < (int)(sizeof shapes / sizeof shapes[0]); i++) {
        const int *s = shapes[i];
        char name[64];
        double ours = sgemm_gflops(s[3], s[4], s[0], s[1], s[2], 0), ref = -1.0;
#ifdef EEGNN_BENCH_CUBLAS
        ref = sgemm_gflops(s[3], s[4], s[0], s[1], s[2], 1);
#endif
        snprintf(name, sizeof name, "%dx%dx%d (%d %d)", s[0], s[1], s[2], s[3], s[4]);
        printf("%-24s %12.0f %12.0f\n", name, ours, ref);
    }
    printf("EEG transformer step, batch 64: CPU %.1f ms, GPU-hybrid %.1f ms\n", step_ms(0, 3), step_ms(1, 10));
    return 0;
}
