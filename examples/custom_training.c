/* A model of our own trained on our own arrays with eegnn's trainer: the 2 s
 * after every left (T1) / right (T2) fist cue of EEGMMIDB EDF+ runs, and a
 * log-power network. The last file given is the validation set.
 *   cc -O2 -I. examples/custom_training.c -o custom_training -lm -lpthread
 *   ./custom_training S001R03.edf S001R07.edf S001R11.edf */
#define EEGNN_IMPLEMENTATION
#include "eegnn.h"
enum { MAX_TRIALS = 512, C = 64, T = 320, B = 16 }; /* trials, channels, samples (2 s at 160 Hz), batch */

static float xs[MAX_TRIALS][C * T], ys[MAX_TRIALS];
typedef struct data { eegnn_tensor *x, *y; int n_train, n_valid, order[MAX_TRIALS]; eegnn_rng rng; } data;

static int add_trials(const char *path, int n) { /* every T1/T2 cue's window, in units of 10 uV */
    eegnn_raw *raw = eegnn_read_raw(path, NULL);
    int a, c, t;
    if (!raw || raw->n_channels != C) return fprintf(stderr, "%s: %s\n", path, raw ? "not 64 channels" : eegnn_last_error()), -1;
    for (a = 0; a < raw->n_annotations && n < MAX_TRIALS; a++) {
        const char *d = raw->annotations[a].description;
        int64_t s0 = (int64_t)(raw->annotations[a].onset * raw->sfreq + 0.5);
        if ((strcmp(d, "T1") && strcmp(d, "T2")) || s0 + T > raw->n_times) continue;
        for (c = 0; c < C; c++)
            for (t = 0; t < T; t++) xs[n][c * T + t] = raw->data[c * raw->n_times + s0 + t] * 1e5f;
        ys[n++] = d[1] == '2';
    }
    eegnn_raw_free(raw);
    return n;
}
static eegnn_status fill(void *user, int epoch, int step, int micro) { /* eegnn_batch_fn; epoch 0: validation */
    data *d = (data *)user;
    int b, i;
    if (epoch && step == 0 && micro == 0) eegnn_rng_shuffle(&d->rng, d->order, d->n_train);
    for (b = 0; b < B; b++) { /* the last validation batch wraps around */
        i = epoch ? d->order[step * B + b] : d->n_train + (step * B + b) % d->n_valid;
        memcpy(d->x->data + (size_t)b * C * T, xs[i], sizeof xs[i]);
        d->y->data[b] = ys[i];
    }
    return EEGNN_OK;
}
static int report(void *user, const eegnn_epoch_info *e) { /* returning nonzero would stop the run */
    printf("epoch %2d  train_loss %.4f  valid_loss %.4f%s\n", e->epoch, e->train_loss, e->valid_loss,
           e->best_epoch == e->epoch ? "  *" : "");
    (void)user; return 0;
}
int main(int argc, char **argv) {
    static data d;
    int i, n = 0, xshape[3] = {B, C, T}, yshape[1] = {B};
    eegnn_optimizer_config oc = eegnn_optimizer_config_default(EEGNN_OPTIM_ADAMW); /* PyTorch's */
    eegnn_trainer_config tc = eegnn_trainer_config_default();
    eegnn_conv1d_params depthwise = {1, EEGNN_PADDING_SAME, 1, 8};
    eegnn_graph *g = eegnn_graph_create(NULL); /* 64 MiB arena, every CPU */
    eegnn_tensor *h;
    eegnn_optimizer *opt = NULL;
    eegnn_trainer *t = NULL;
    for (i = 1; i < argc && n >= 0; i++) n = add_trials(argv[i], i == argc - 1 ? (d.n_train = n) : n);
    if (argc < 3 || n < 0 || d.n_train < B || n == d.n_train)
        return fprintf(stderr, "usage: %s TRAIN.edf... VALID.edf (EEGMMIDB runs with T1/T2 cues)\n", argv[0]), 1;
    for (d.n_valid = n - d.n_train, i = 0; i < d.n_train; i++) d.order[i] = i;
    eegnn_rng_seed(&d.rng, 42);
    d.x = eegnn_input(g, "x", 3, xshape);
    d.y = eegnn_input(g, "y", 1, yshape);
    h = eegnn_nn_conv1d(g, d.x, C, 8, 1, 0, NULL, "spatial");                    /* (B, 8, T) */
    h = eegnn_nn_conv1d(g, h, 8, 8, 25, 1, &depthwise, "temporal");              /* a filter per signal */
    h = eegnn_safe_log(g, eegnn_mean_dim(g, eegnn_square(g, h), 2, 0), 1e-6f); /* (B, 8) log power */
    h = eegnn_nn_linear(g, h, 8, 2, 1, "final_layer");                           /* (B, 2) logits */
    h = eegnn_loss(g, EEGNN_LOSS_CROSS_ENTROPY, h, d.y, NULL);
    oc.lr = 3e-3f;
    tc.epochs = 30;
    tc.steps_per_epoch = d.n_train / B;
    tc.patience = 10; /* early stopping on the validation loss; the best epoch's weights are kept */
    tc.on_epoch = report;
    tc.user = &d;
    if (eegnn_graph_prepare(g) || !(opt = eegnn_optimizer_create(g, &oc)) || !(t = eegnn_trainer_create(g, h, opt, &tc)) ||
        eegnn_trainer_fit(t, fill, &d, (d.n_valid + B - 1) / B))
        return fprintf(stderr, "%s\n", eegnn_last_error()), 1;
    printf("best epoch %d: valid_loss %.4f\n", eegnn_trainer_best_epoch(t), eegnn_trainer_best_loss(t));
    eegnn_trainer_free(t), eegnn_optimizer_free(opt), eegnn_graph_free(g);
    return 0;
}
