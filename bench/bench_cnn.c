/* Training-step benchmark: a small CNN on the challenge's input shape.
 *
 *   x (64, 129, 200) -> conv1d 129->64, k7, padding 3 -> ReLU
 *                    -> conv1d 64->64, k7, padding 3 -> ReLU
 *                    -> global average pool -> linear 64->1 -> MSE, Adam
 *
 * Same model as bench_cnn.py (PyTorch). Usage:
 *   bench_cnn [threads] [timed steps] [warm-up steps] [--profile]
 * Prints one line per timed step ("step_ms <ms>"), a summary line and the
 * convolutions' FLOPs per step ("flop_per_step") and the CPU paths
 * ("cpu_path" in use, "cpu_paths" supported; EEGNN_CPU forces one);
 * --profile also prints the median time of every node's forward and
 * backward. Build: cc -O3 -march=native bench/bench_cnn.c -o bench_cnn -lm -lpthread
 * (add -DEEGNN_USE_OPENBLAS ... -lopenblas for the OpenBLAS build). */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include <stdio.h>

#define BATCH 64
#define CHANS 129
#define TIMES 200
#define FILTERS 64
#define KERNEL 7

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* PyTorch's default init: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
static void init_uniform(eegnn_tensor *t, int fan_in, eegnn_rng *rng) {
    float bound = 1.0f / sqrtf((float)fan_in);
    size_t i;
    for (i = 0; i < t->numel; i++) t->data[i] = (2.0f * eegnn_rng_uniform(rng) - 1.0f) * bound;
}

int main(int argc, char **argv) {
    int n_threads = argc > 1 ? atoi(argv[1]) : 1;
    int n_steps = argc > 2 ? atoi(argv[2]) : 20;
    int n_warm = argc > 3 ? atoi(argv[3]) : 3;
    int profile = argc > 4 && !strcmp(argv[4], "--profile");
    eegnn_graph_config cfg;
    eegnn_optimizer_config oc;
    eegnn_graph *g;
    eegnn_optimizer *opt;
    eegnn_conv1d_params cp;
    eegnn_tensor *x, *y, *w1, *b1, *w2, *b2, *w3, *b3, *h, *loss;
    eegnn_rng rng;
    int xs[3] = {BATCH, CHANS, TIMES}, ys[2] = {BATCH, 1};
    int w1s[3] = {FILTERS, CHANS, KERNEL}, w2s[3] = {FILTERS, FILTERS, KERNEL}, bs[1] = {FILTERS};
    int w3s[2] = {1, FILTERS}, b3s[1] = {1};
    double *times, *node_f = NULL, *node_b = NULL;
    int step, i, n_nodes;
    size_t k;
    if (n_threads < 1 || n_steps < 1 || n_warm < 0) {
        fprintf(stderr, "usage: bench_cnn [threads >= 1] [steps >= 1] [warm-up >= 0] [--profile]\n");
        return 2;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.arena_bytes = (size_t)256 << 20;
    cfg.n_threads = n_threads;
    g = eegnn_graph_create(&cfg);
    if (!g) {
        fprintf(stderr, "%s\n", eegnn_last_error());
        return 1;
    }
    memset(&cp, 0, sizeof cp);
    cp.padding = KERNEL / 2;
    x = eegnn_input(g, "x", 3, xs);
    y = eegnn_input(g, "y", 2, ys);
    w1 = eegnn_param(g, "conv1.weight", 3, w1s);
    b1 = eegnn_param(g, "conv1.bias", 1, bs);
    w2 = eegnn_param(g, "conv2.weight", 3, w2s);
    b2 = eegnn_param(g, "conv2.bias", 1, bs);
    w3 = eegnn_param(g, "fc.weight", 2, w3s);
    b3 = eegnn_param(g, "fc.bias", 1, b3s);
    h = eegnn_relu(g, eegnn_conv1d(g, x, w1, b1, &cp));
    h = eegnn_relu(g, eegnn_conv1d(g, h, w2, b2, &cp));
    h = eegnn_linear(g, eegnn_global_avg_pool(g, h), w3, b3);
    loss = eegnn_mse_loss(g, h, y);
    if (!loss) {
        fprintf(stderr, "building the model: %s\n", eegnn_last_error());
        return 1;
    }
    oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
    oc.type = EEGNN_OPTIM_ADAM;
    oc.lr = 1e-3f;
    opt = eegnn_optimizer_create(g, &oc);
    if (!opt) {
        fprintf(stderr, "optimizer: %s\n", eegnn_last_error());
        return 1;
    }
    eegnn_rng_seed(&rng, 1);
    init_uniform(w1, CHANS * KERNEL, &rng);
    init_uniform(b1, CHANS * KERNEL, &rng);
    init_uniform(w2, FILTERS * KERNEL, &rng);
    init_uniform(b2, FILTERS * KERNEL, &rng);
    init_uniform(w3, FILTERS, &rng);
    init_uniform(b3, FILTERS, &rng);
    for (k = 0; k < x->numel; k++) x->data[k] = eegnn_rng_normal(&rng);
    for (k = 0; k < y->numel; k++) y->data[k] = eegnn_rng_normal(&rng);

    n_nodes = eegnn_graph_n_nodes(g);
    times = (double *)malloc((size_t)n_steps * sizeof(double));
    if (profile) {
        node_f = (double *)calloc((size_t)n_nodes * n_steps, sizeof(double));
        node_b = (double *)calloc((size_t)n_nodes * n_steps, sizeof(double));
    }
    if (!times || (profile && (!node_f || !node_b))) return 1;
    for (step = -n_warm; step < n_steps; step++) {
        double t0 = eegnn_time_seconds();
        if (eegnn_graph_forward(g) || (eegnn_optimizer_zero_grad(opt), eegnn_graph_backward(g, loss)) ||
            eegnn_optimizer_step(opt)) {
            fprintf(stderr, "training step: %s\n", eegnn_last_error());
            return 1;
        }
        if (step >= 0) {
            times[step] = 1e3 * (eegnn_time_seconds() - t0);
            printf("step_ms %.3f\n", times[step]);
        }
        if (profile && step >= 0) {
            /* the same step again, node by node (only for the breakdown) */
            for (i = 0; i < n_nodes; i++) {
                eegnn_tensor *t = eegnn_graph_node(g, i);
                double s = eegnn_time_seconds();
                if (t->forward) t->forward(g, t);
                node_f[(size_t)i * n_steps + step] = 1e3 * (eegnn_time_seconds() - s);
            }
            for (i = n_nodes - 1; i >= 0; i--) {
                eegnn_tensor *t = eegnn_graph_node(g, i);
                double s = eegnn_time_seconds();
                if (t->grad && t->backward) t->backward(g, t);
                node_b[(size_t)i * n_steps + step] = 1e3 * (eegnn_time_seconds() - s);
            }
        }
    }
    if (profile) {
        for (i = 0; i < n_nodes; i++) {
            eegnn_tensor *t = eegnn_graph_node(g, i);
            char sh[64];
            if (!t->forward) continue;
            printf("node %-16s %-18s forward %8.3f ms  backward %8.3f ms\n", t->op, eegnn_shape_str(t, sh, sizeof sh),
                   median(node_f + (size_t)i * n_steps, n_steps), median(node_b + (size_t)i * n_steps, n_steps));
        }
    }
    printf("eegnn threads %d steps %d median_ms %.3f loss %.6f\n", n_threads, n_steps, median(times, n_steps),
           loss->data[0]);
    /* multiply-adds of the convolutions (x2 FLOPs): forward both, backward both weight gradients and the
       second layer's input gradient (the first layer's input needs none); the rest is under 0.1 % */
    printf("flop_per_step %.0f\n", 2.0 * BATCH * TIMES * FILTERS * KERNEL * (2.0 * CHANS + 3.0 * FILTERS));
    printf("cpu_path %s\ncpu_paths %s\n", eegnn_cpu_path(), eegnn_cpu_paths());
    free(times);
    free(node_f);
    free(node_b);
    eegnn_optimizer_free(opt);
    eegnn_graph_free(g);
    return 0;
}
