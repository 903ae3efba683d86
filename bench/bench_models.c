/* Model-zoo benchmark: a training step (forward, backward, AdamW) or an
 * inference pass of any model in the zoo on the challenge's input shape
 * (batch x 129 channels x 200 samples, one output), as bench_models.py does
 * in PyTorch with the same model.
 *
 *   bench_models MODEL train|infer BATCH THREADS STEPS WARMUP [--profile]
 *
 * Prints one "step_ms <ms>" line per timed step, then a summary line;
 * --profile then runs one more step node by node and prints the forward and
 * backward milliseconds of each op kind ("op NAME forward MS backward MS").
 * Build: cc -O3 -march=native bench/bench_models.c -o bench_models -lm -lpthread */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include <stdio.h>

#define CHANS 129
#define TIMES 200

int main(int argc, char **argv) {
    const char *model, *mode;
    int batch, n_threads, n_steps, n_warm, step, train;
    eegnn_graph_config gc;
    eegnn_model_config mc;
    eegnn_optimizer_config oc;
    eegnn_graph *g;
    eegnn_optimizer *opt = NULL;
    eegnn_tensor *x, *y, *out, *loss = NULL;
    eegnn_rng rng;
    int xs[3], ys[1];
    size_t k;
    if (argc != 7 && !(argc == 8 && !strcmp(argv[7], "--profile"))) {
        fprintf(stderr, "usage: bench_models MODEL train|infer BATCH THREADS STEPS WARMUP [--profile]\n");
        return 2;
    }
    model = argv[1];
    mode = argv[2];
    batch = atoi(argv[3]);
    n_threads = atoi(argv[4]);
    n_steps = atoi(argv[5]);
    n_warm = atoi(argv[6]);
    train = !strcmp(mode, "train");
    if (batch < 1 || n_threads < 1 || n_steps < 1 || n_warm < 0 || (!train && strcmp(mode, "infer"))) {
        fprintf(stderr, "bench_models: bad arguments\n");
        return 2;
    }
    memset(&gc, 0, sizeof gc);
    gc.arena_bytes = (size_t)2 << 30;
    gc.n_threads = n_threads;
    gc.seed = 1;
    g = eegnn_graph_create(&gc);
    if (!g) {
        fprintf(stderr, "bench_models: %s\n", eegnn_last_error());
        return 1;
    }
    xs[0] = batch;
    xs[1] = CHANS;
    xs[2] = TIMES;
    ys[0] = batch;
    mc = eegnn_model_config_default();
    mc.n_chans = CHANS;
    mc.n_times = TIMES;
    mc.n_outputs = 1;
    mc.sfreq = 100;
    x = eegnn_input(g, "x", 3, xs);
    y = eegnn_input(g, "y", 1, ys);
    out = eegnn_model_build(g, model, x, &mc);
    if (train) loss = eegnn_mse_loss(g, eegnn_reshape(g, out, 1, ys), y);
    if (!out || (train && !loss)) {
        fprintf(stderr, "bench_models: %s: %s\n", model, eegnn_last_error());
        return 1;
    }
    eegnn_rng_seed(&rng, 7);
    for (k = 0; k < x->numel; k++) x->data[k] = eegnn_rng_normal(&rng);
    for (k = 0; k < y->numel; k++) y->data[k] = eegnn_rng_normal(&rng);
    if (train) {
        oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW);
        oc.type = EEGNN_OPTIM_ADAMW;
        opt = eegnn_optimizer_create(g, &oc);
        if (!opt) {
            fprintf(stderr, "bench_models: %s\n", eegnn_last_error());
            return 1;
        }
    } else {
        eegnn_graph_set_training(g, 0);
    }
    for (step = 0; step < n_warm + n_steps; step++) {
        double t0 = eegnn_time_seconds();
        if (train) {
            eegnn_graph_forward(g);
            eegnn_optimizer_zero_grad(opt);
            eegnn_graph_backward(g, loss);
            eegnn_optimizer_step(opt);
        } else {
            eegnn_graph_forward_to(g, out);
        }
        if (step >= n_warm) printf("step_ms %.4f\n", 1e3 * (eegnn_time_seconds() - t0));
    }
    printf("eegnn %s %s batch %d threads %d parameters %zu\n", model, mode, batch, n_threads,
           eegnn_graph_n_param_scalars(g));
    if (argc == 8) { /* one more step, node by node, summed per op name */
        int n_nodes = eegnn_graph_n_nodes(g), i, j, n_names = 0;
        const char *names[64];
        double fwd[64] = {0}, bwd[64] = {0};
        for (i = 0; i < n_nodes; i++) {
            eegnn_tensor *t = eegnn_graph_node(g, i);
            double t0 = eegnn_time_seconds();
            if (!t->forward) continue;
            t->forward(g, t);
            for (j = 0; j < n_names && strcmp(names[j], t->op); j++) {}
            if (j == n_names && n_names < 64) names[n_names++] = t->op;
            if (j < 64) fwd[j] += 1e3 * (eegnn_time_seconds() - t0);
        }
        if (train) {
            eegnn_optimizer_zero_grad(opt);
            eegnn_graph_backward(g, loss); /* seeds the loss gradient; then time the nodes again */
            eegnn_optimizer_zero_grad(opt);
            for (i = n_nodes - 1; i >= 0; i--) {
                eegnn_tensor *t = eegnn_graph_node(g, i);
                double t0 = eegnn_time_seconds();
                if (!t->grad || !t->backward) continue;
                t->backward(g, t);
                for (j = 0; j < n_names && strcmp(names[j], t->op); j++) {}
                if (j < n_names) bwd[j] += 1e3 * (eegnn_time_seconds() - t0);
            }
        }
        for (j = 0; j < n_names; j++) printf("op %-24s forward %9.3f ms  backward %9.3f ms\n", names[j], fwd[j], bwd[j]);
        if (getenv("BENCH_NODES"))
            for (i = n_nodes - 1; i >= 0; i--) {
                eegnn_tensor *t = eegnn_graph_node(g, i);
                char sh[64];
                double t0 = eegnn_time_seconds();
                if (!t->grad || !t->backward) continue;
                t->backward(g, t);
                printf("node %-20s %-24s backward %9.3f ms\n", t->op, eegnn_shape_str(t, sh, sizeof sh),
                       1e3 * (eegnn_time_seconds() - t0));
            }
    }
    eegnn_optimizer_free(opt);
    eegnn_graph_free(g);
    return 0;
}
