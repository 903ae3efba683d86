/* One torch.nn.TransformerEncoderLayer(d_model=128, nhead=8,
 * dim_feedforward=256, batch_first=True) (ReLU, post-norm, dropout 0.1,
 * train mode): forward, mse_loss against zeros and backward on x (B, T, 128),
 * as bench_transformer_layer.py does in PyTorch.
 *
 *   bench_transformer_layer B T THREADS STEPS WARMUP [profile]
 *
 * Prints one "step_ms <ms>" line per timed step and the median; with
 * "profile", the forward and backward time of every node summed over the
 * timed steps, slowest first.
 * Build: cc -O3 -march=native bench/bench_transformer_layer.c -o build/bench_transformer_layer -lm -lpthread */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include <stdio.h>

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int batch, t_len, n_threads, n_steps, n_warm, step, profile, i, n_nodes, xs[3];
    eegnn_graph_config gc;
    eegnn_encoder_layer_config lc;
    eegnn_graph *g;
    eegnn_tensor *x, *y, *out, *loss;
    eegnn_rng rng;
    double *times, *node_f, *node_b;
    size_t k;
    if (argc < 6) {
        fprintf(stderr, "usage: bench_transformer_layer B T THREADS STEPS WARMUP [profile]\n");
        return 2;
    }
    batch = atoi(argv[1]);
    t_len = atoi(argv[2]);
    n_threads = atoi(argv[3]);
    n_steps = atoi(argv[4]);
    n_warm = atoi(argv[5]);
    profile = argc > 6 && !strcmp(argv[6], "profile");
    if (batch < 1 || t_len < 1 || n_threads < 1 || n_steps < 1 || n_warm < 0) return 2;
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = (size_t)1 << 30;
    gc.n_threads = n_threads;
    gc.seed = 1;
    g = eegnn_graph_create(&gc);
    if (!g) return 1;
    xs[0] = batch;
    xs[1] = t_len;
    xs[2] = 128;
    lc = eegnn_encoder_layer_config_default(128, 8); /* dropout 0.1, as PyTorch's */
    lc.dim_feedforward = 256;
    x = eegnn_input(g, "x", 3, xs);
    y = eegnn_input(g, "y", 3, xs);
    out = eegnn_nn_transformer_encoder_layer(g, x, &lc, NULL, "layer");
    loss = eegnn_mse_loss(g, out, y);
    if (!loss) {
        fprintf(stderr, "bench_transformer_layer: %s\n", eegnn_last_error());
        return 1;
    }
    eegnn_rng_seed(&rng, 7);
    for (k = 0; k < x->numel; k++) x->data[k] = eegnn_rng_normal(&rng);
    n_nodes = eegnn_graph_n_nodes(g);
    times = (double *)calloc((size_t)n_steps, sizeof(double));
    node_f = (double *)calloc((size_t)n_nodes, sizeof(double));
    node_b = (double *)calloc((size_t)n_nodes, sizeof(double));
    if (!times || !node_f || !node_b) return 1;
    eegnn_graph_forward(g); /* carves scratch */
    for (step = 0; step < n_warm + n_steps; step++) {
        double t0 = eegnn_time_seconds();
        if (!profile || step < n_warm) {
            eegnn_graph_forward(g);
            eegnn_graph_zero_grad(g);
            eegnn_graph_backward(g, loss);
        } else {
            for (i = 0; i < n_nodes; i++) {
                eegnn_tensor *t = eegnn_graph_node(g, i);
                double s = eegnn_time_seconds();
                if (t->forward) t->forward(g, t);
                node_f[i] += eegnn_time_seconds() - s;
            }
            eegnn_graph_zero_grad(g);
            for (i = 0; i < n_nodes; i++) {
                eegnn_tensor *t = eegnn_graph_node(g, i);
                if (t->grad && !(t->flags & EEGNN_TENSOR_PARAM)) memset(t->grad, 0, t->numel * sizeof(float));
            }
            loss->grad[0] = 1.0f;
            for (i = n_nodes - 1; i >= 0; i--) {
                eegnn_tensor *t = eegnn_graph_node(g, i);
                double s = eegnn_time_seconds();
                if (t->grad && t->backward) t->backward(g, t);
                node_b[i] += eegnn_time_seconds() - s;
            }
        }
        if (step >= n_warm) {
            times[step - n_warm] = 1e3 * (eegnn_time_seconds() - t0);
            printf("step_ms %.4f\n", times[step - n_warm]);
        }
    }
    qsort(times, (size_t)n_steps, sizeof(double), cmp_double);
    printf("eegnn encoder layer B %d T %d threads %d median_ms %.3f\n", batch, t_len, n_threads, times[n_steps / 2]);
    if (profile) {
        for (;;) { /* slowest remaining node first */
            int best = -1;
            for (i = 0; i < n_nodes; i++)
                if (node_f[i] + node_b[i] > 0.0 && (best < 0 || node_f[i] + node_b[i] > node_f[best] + node_b[best]))
                    best = i;
            if (best < 0 || node_f[best] + node_b[best] < 1e-5 * n_steps) break;
            printf("  %3d %-32s fwd %7.3f ms  bwd %7.3f ms\n", best, eegnn_graph_node(g, best)->op,
                   1e3 * node_f[best] / n_steps, 1e3 * node_b[best] / n_steps);
            node_f[best] = node_b[best] = 0.0;
        }
    }
    free(times);
    free(node_f);
    free(node_b);
    eegnn_graph_free(g);
    return 0;
}
