/* The training loop end to end on a small synthetic BIDS dataset:
 * bit-identical reruns, resume == straight run, gradient accumulation ==
 * one step on the concatenated batch, group k-fold, runs in parallel
 * threads, early stopping, and balanced class weights against
 * scikit-learn (tests/ref_train.py). */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#include <pthread.h>

static char g_bids[1024];

static void base_config(eegnn_train_config *c, const char *out) {
    *c = eegnn_train_config_default();
    c->bids_root = g_bids;
    c->target = "participants:age";
    c->model = "cnn";
    c->epochs = 2;
    c->batch_size = 8;
    c->n_threads = 2;
    c->quiet = 1;
    c->out_dir = out;
    c->seed = 5;
}

/* Every tensor of two safetensors files: same names, bit-identical (exact
 * 1) or max relative error (exact 0). Returns the worst error, -1 on mismatch. */
static double compare_files(const char *a, const char *b, const char *prefix) {
    eegnn_safetensors *fa = eegnn_safetensors_open(a), *fb = eegnn_safetensors_open(b);
    double worst = 0.0;
    int i, n = 0;
    if (!fa || !fb) {
        printf("cannot open %s or %s: %s\n", a, b, eegnn_last_error());
        worst = -1.0;
        goto done;
    }
    for (i = 0; i < eegnn_safetensors_n_tensors(fa); i++) {
        eegnn_safetensors_info ia;
        int j;
        float *x, *y;
        double e;
        eegnn_safetensors_tensor(fa, i, &ia);
        if (prefix && strncmp(ia.name, prefix, strlen(prefix))) continue;
        j = eegnn_safetensors_find(fb, ia.name);
        if (j < 0) {
            printf("%s missing in %s\n", ia.name, b);
            worst = -1.0;
            goto done;
        }
        x = (float *)malloc((ia.numel ? ia.numel : 1) * sizeof(float));
        y = (float *)malloc((ia.numel ? ia.numel : 1) * sizeof(float));
        eegnn_safetensors_read_f32(fa, i, x, ia.numel);
        eegnn_safetensors_read_f32(fb, j, y, ia.numel);
        if (!memcmp(x, y, ia.numel * sizeof(float))) e = 0.0;
        else e = test_max_rel_err(x, y, ia.numel) + 1e-30;
        if (e > worst) worst = e;
        free(x);
        free(y);
        n++;
    }
    if (!n) worst = -1.0;
done:
    eegnn_safetensors_close(fa);
    eegnn_safetensors_close(fb);
    return worst;
}

/* metrics.json without the timing fields. */
static char *metrics_text(const char *dir) {
    char path[1024], *text = NULL, *out, *p, *q;
    size_t len;
    snprintf(path, sizeof path, "%s/metrics.json", dir);
    if (eegnn__read_file(path, &text, &len)) return NULL;
    out = (char *)calloc(len + 1, 1);
    for (p = text, q = out; *p;) { /* drop every "seconds": NUMBER */
        if (!strncmp(p, "\"seconds\": ", 11)) {
            p += 11;
            while (*p && *p != ',' && *p != '}' && *p != '\n') p++;
            continue;
        }
        *q++ = *p++;
    }
    EEGNN_FREE(text);
    return out;
}

static double metric(const char *text, const char *key) {
    const char *p = text ? strstr(text, key) : NULL;
    return p ? strtod(p + strlen(key), NULL) : NAN;
}

static void test_determinism_resume(void) {
    eegnn_train_config c;
    eegnn_train_result r1, r2;
    char a[1024], b[1024], pa[1100], pb[1100], resume[1100];
    char *ta, *tb;
    double e;
    snprintf(a, sizeof a, "%s", test_out_path("train/run_a"));
    snprintf(b, sizeof b, "%s", test_out_path("train/run_b"));
    base_config(&c, a);
    c.ema_decay = 0.9f;
    c.clip_grad_norm = 1.0f;
    c.head_lr = 3e-3f;
    c.freeze_backbone_epochs = 1;
    c.scheduler = "step";
    c.step_size = 1;
    c.gamma = 0.5f;
    c.epochs = 4;
    CHECK(eegnn_train(&c, &r1) == EEGNN_OK, "run a: %s", eegnn_last_error());
    c.out_dir = b;
    CHECK(eegnn_train(&c, &r2) == EEGNN_OK, "run b: %s", eegnn_last_error());
    ta = metrics_text(a);
    tb = metrics_text(b);
    CHECK(ta && tb && !strcmp(ta, tb), "two runs with one seed write identical metrics.json numbers");
    snprintf(pa, sizeof pa, "%s/best.safetensors", a);
    snprintf(pb, sizeof pb, "%s/best.safetensors", b);
    e = compare_files(pa, pb, NULL);
    CHECK(e == 0.0, "two runs give bit-identical weights (%.3g)", e);
    free(tb);

    /* 2 epochs, then resume for 2 more == 4 epochs straight */
    snprintf(b, sizeof b, "%s", test_out_path("train/run_resume"));
    c.out_dir = b;
    c.epochs = 2;
    CHECK(eegnn_train(&c, &r2) == EEGNN_OK, "2 epochs: %s", eegnn_last_error());
    snprintf(resume, sizeof resume, "%s/last.safetensors", b);
    c.epochs = 4;
    c.resume = resume;
    CHECK(eegnn_train(&c, &r2) == EEGNN_OK, "resume: %s", eegnn_last_error());
    snprintf(pa, sizeof pa, "%s/last.safetensors", a);
    snprintf(pb, sizeof pb, "%s/last.safetensors", b);
    e = compare_files(pa, pb, NULL);
    CHECK(e == 0.0, "4 epochs == 2 + resume 2: weights, optimizer state, EMA bit-identical (%.3g)", e);
    snprintf(pa, sizeof pa, "%s/best.safetensors", a);
    snprintf(pb, sizeof pb, "%s/best.safetensors", b);
    e = compare_files(pa, pb, NULL);
    tb = metrics_text(b);
    CHECK(e == 0.0 && tb && ta && !strcmp(ta, tb), "resumed run: same best weights and metrics.json (%.3g)", e);
    CHECK(r1.best_epoch == r2.best_epoch && r1.test.rmse == r2.test.rmse, "resumed result matches");
    {
        eegnn_safetensors *f = eegnn_safetensors_open(pa);
        CHECK(f && eegnn_safetensors_find(f, "final_layer.weight") >= 0 && eegnn_safetensors_metadata(f, "model_config"),
              "best.safetensors holds weights and the model configuration");
        eegnn_safetensors_close(f);
        snprintf(pa, sizeof pa, "%s/last.safetensors", a);
        f = eegnn_safetensors_open(pa);
        CHECK(f && eegnn_safetensors_find(f, "optimizer.final_layer.weight.exp_avg") >= 0 &&
                  eegnn_safetensors_find(f, "optimizer.conv1.weight.exp_avg_sq") >= 0 &&
                  eegnn_safetensors_metadata(f, "shuffle_rng"),
              "last.safetensors holds optimizer state and RNG state");
        eegnn_safetensors_close(f);
    }
    free(ta);
    free(tb);
}

/* k micro-batches of 8 per step == one step on the batch of 16 (cnn: no
 * batch norm, no dropout; MSE mean per micro-batch, gradients averaged). */
static void test_accumulate(void) {
    eegnn_train_config c;
    eegnn_train_result r;
    char a[1024], b[1024], pa[1100], pb[1100];
    double e;
    snprintf(a, sizeof a, "%s", test_out_path("train/acc_1x16"));
    snprintf(b, sizeof b, "%s", test_out_path("train/acc_2x8"));
    base_config(&c, a);
    c.epochs = 1;
    c.batch_size = 16;
    c.scheduler = "none";
    c.optimizer = "sgd";
    c.lr = 0.01f;
    CHECK(eegnn_train(&c, &r) == EEGNN_OK, "batch 16: %s", eegnn_last_error());
    c.out_dir = b;
    c.batch_size = 8;
    c.accumulate = 2;
    CHECK(eegnn_train(&c, &r) == EEGNN_OK, "2 x 8: %s", eegnn_last_error());
    snprintf(pa, sizeof pa, "%s/last.safetensors", a);
    snprintf(pb, sizeof pb, "%s/last.safetensors", b);
    e = compare_files(pa, pb, "final_layer");
    CHECK(e >= 0 && e < 1e-4, "accumulated gradients == concatenated batch (head, rel err %.3g)", e);
    e = compare_files(pa, pb, "conv");
    CHECK(e >= 0 && e < 1e-4, "accumulated gradients == concatenated batch (convs, rel err %.3g)", e);
    printf("accumulation 2x8 vs 16: max rel err %.2e\n", e);
}

static long step_count(const char *dir) {
    char path[1100];
    eegnn_safetensors *f;
    const char *v;
    long n = -1;
    snprintf(path, sizeof path, "%s/last.safetensors", dir);
    f = eegnn_safetensors_open(path);
    v = f ? eegnn_safetensors_metadata(f, "step_count") : NULL;
    if (v) n = strtol(v, NULL, 10);
    eegnn_safetensors_close(f);
    return n;
}

/* steps_per_epoch caps the optimizer steps of an epoch (a cap at or above
 * the full count changes nothing); eval_windows caps the windows evaluated. */
static void test_steps_per_epoch(void) {
    eegnn_train_config c;
    eegnn_train_result full, capped, same;
    char a[1024], b[1024], d[1024], pa[1100], pd[1100];
    long full_steps, n_steps;
    double e;
    snprintf(a, sizeof a, "%s", test_out_path("train/steps_full"));
    snprintf(b, sizeof b, "%s", test_out_path("train/steps_2"));
    snprintf(d, sizeof d, "%s", test_out_path("train/steps_cap_all"));
    base_config(&c, a);
    c.prefetch = -1;
    CHECK(eegnn_train(&c, &full) == EEGNN_OK, "full epochs: %s", eegnn_last_error());
    full_steps = step_count(a);
    n_steps = (long)(full.train.n_windows / 8);
    CHECK(full_steps == 2 * n_steps, "full epochs: %ld steps, expected 2 x %d / 8", full_steps, full.train.n_windows);
    c.out_dir = b;
    c.steps_per_epoch = 2;
    c.eval_windows = 5;
    CHECK(eegnn_train(&c, &capped) == EEGNN_OK, "2 steps per epoch: %s", eegnn_last_error());
    CHECK(step_count(b) == 4, "2 steps per epoch x 2 epochs: %ld steps", step_count(b));
    CHECK(capped.train.n_windows == 5 && capped.valid.n_windows == EEGNN__MIN(5, full.valid.n_windows),
          "eval_windows 5: %d train and %d valid windows evaluated", capped.train.n_windows, capped.valid.n_windows);
    c.out_dir = d;
    c.steps_per_epoch = (int)n_steps;
    c.eval_windows = full.train.n_windows;
    CHECK(eegnn_train(&c, &same) == EEGNN_OK, "cap at the full count: %s", eegnn_last_error());
    snprintf(pa, sizeof pa, "%s/best.safetensors", a);
    snprintf(pd, sizeof pd, "%s/best.safetensors", d);
    e = compare_files(pa, pd, "");
    CHECK(e == 0.0, "a cap at the full step and window counts gives the same weights (rel err %.3g)", e);
    CHECK(same.train.loss == full.train.loss && same.train.n_windows == full.train.n_windows,
          "same final train loss (%.9g vs %.9g)", same.train.loss, full.train.loss);
}

typedef struct {
    eegnn_train_config cfg;
    eegnn_train_result res;
    eegnn_status st;
    char out[1024];
} job;

static void *run_job(void *arg) {
    job *j = (job *)arg;
    j->st = eegnn_train(&j->cfg, &j->res);
    return NULL;
}

/* group 3-fold: each fold validates a third of the groups; folds in parallel
 * threads give the numbers of sequential runs. */
static void test_folds_threads(void) {
    job jobs[3];
    pthread_t th[3];
    int k, total = 0, n_windows = 0;
    double seq_loss[3];
    for (k = 0; k < 3; k++) {
        snprintf(jobs[k].out, sizeof jobs[k].out, "%s%d", test_out_path("train/fold"), k);
        base_config(&jobs[k].cfg, jobs[k].out);
        jobs[k].cfg.epochs = 1;
        jobs[k].cfg.n_threads = 1;
        jobs[k].cfg.n_folds = 3;
        jobs[k].cfg.fold = k;
        run_job(&jobs[k]);
        CHECK(jobs[k].st == EEGNN_OK, "fold %d: %s", k, eegnn_last_error());
        seq_loss[k] = jobs[k].res.valid.loss;
        total += jobs[k].res.valid.n_windows;
        n_windows = jobs[k].res.train.n_windows + jobs[k].res.valid.n_windows;
        CHECK(jobs[k].res.test.n_windows == 0, "fold %d has no test set", k);
    }
    CHECK(total == n_windows && n_windows > 0, "the 3 validation folds cover the %d windows once (%d)", n_windows,
          total);
    for (k = 0; k < 3; k++) pthread_create(&th[k], NULL, run_job, &jobs[k]);
    for (k = 0; k < 3; k++) pthread_join(th[k], NULL);
    for (k = 0; k < 3; k++)
        CHECK(jobs[k].st == EEGNN_OK && jobs[k].res.valid.loss == seq_loss[k],
              "fold %d in a thread: valid loss %.9g, sequential %.9g", k, jobs[k].res.valid.loss, seq_loss[k]);
    base_config(&jobs[0].cfg, jobs[0].out);
    jobs[0].cfg.n_folds = 3;
    jobs[0].cfg.fold = 3;
    CHECK(eegnn_train(&jobs[0].cfg, &jobs[0].res) == EEGNN_ERR_ARG, "fold out of range refused");
}

static void test_early_stopping(void) {
    eegnn_train_config c;
    eegnn_train_result r;
    char *t;
    double run, best;
    base_config(&c, test_out_path("train/early"));
    c.epochs = 8;
    c.patience = 1;
    c.lr = 0.05f; /* too high: the validation loss stops improving early */
    c.scheduler = "none";
    CHECK(eegnn_train(&c, &r) == EEGNN_OK, "early stopping run: %s", eegnn_last_error());
    t = metrics_text(c.out_dir);
    run = metric(t, "\"epochs_run\": ");
    best = metric(t, "\"best_epoch\": ");
    CHECK(run < 8 && run - best == 1, "stopped after %g epochs, best %g, patience 1", run, best);
    free(t);
}

static void test_class_weights(void) {
    int ndim;
    int64_t shape[8];
    size_t n, nw, i;
    float *labels = eegnn_npy_read(test_out_path("train/labels.npy"), &ndim, shape, &n);
    float *want = eegnn_npy_read(test_out_path("train/class_weight.npy"), &ndim, shape, &nw);
    int *y;
    float got[4];
    CHECK(labels && want && nw == 4, "reference data (run tests/ref_train.py first)");
    if (!labels || !want || nw != 4) goto done;
    y = (int *)malloc(n * sizeof(int));
    for (i = 0; i < n; i++) y[i] = (int)labels[i];
    CHECK(eegnn_class_weights_balanced(y, (int)n, 4, got) == EEGNN_OK, "class weights");
    CHECK(test_max_rel_err(got, want, 4) < 1e-6, "balanced class weights match scikit-learn (%g %g %g %g)",
          (double)got[0], (double)got[1], (double)got[2], (double)got[3]);
    y[0] = 7;
    CHECK(eegnn_class_weights_balanced(y, (int)n, 4, got) == EEGNN_ERR_ARG, "label out of range refused");
    free(y);
done:
    eegnn_free(labels);
    eegnn_free(want);
}

/* eegnn_train_config_resolve: the defaults, idempotence, and a resolved
 * config trains bit for bit as the one it came from; eegnn_train_check's
 * refusals. */
static void test_resolve_and_check(void) {
    eegnn_train_config c, r, r2;
    eegnn_train_result ra, rb;
    char pa[1100], pb[1100];
    double e;
    base_config(&c, test_out_path("train/unresolved"));
    c.epochs = 6; /* > 4: one warmup epoch by default */
    eegnn_train_config_resolve(&c, &r);
    CHECK(r.batch_size == 8 && r.lr == 1e-3f && r.weight_decay == 0.01f && !strcmp(r.optimizer, "adamw") &&
              !strcmp(r.scheduler, "cosine") && r.warmup_epochs == 1 && r.step_size == 2 && !strcmp(r.split, "subject") &&
              r.window_seconds == 2.0 && r.stride_seconds == 2.0 && r.valid_fraction == 0.2 && r.test_fraction == 0.2 &&
              r.preprocess.scale == 1e6 && r.head_lr == 0 && r.head_weight_decay == EEGNN_UNSET &&
              r.plateau_patience == 10 && r.model_config.drop_prob == EEGNN_UNSET,
          "resolved defaults");
    eegnn_train_config_resolve(&r, &r2);
    CHECK(memcmp(&r, &r2, sizeof r) == 0, "resolving twice changes nothing");
    c.epochs = 3;
    eegnn_train_config_resolve(&c, &r);
    CHECK(r.warmup_epochs == 0, "no warmup for 3 epochs: %d", r.warmup_epochs);
    c.weight_decay = 0;
    c.test_fraction = 0;
    c.warmup_epochs = 0;
    c.plateau_patience = 0;
    eegnn_train_config_resolve(&c, &r2);
    CHECK(r2.weight_decay == 0 && r2.test_fraction == 0 && r2.warmup_epochs == 0 && r2.plateau_patience == 0,
          "0 stays 0 where it is a setting: weight_decay %g, test_fraction %g, warmup %d, plateau_patience %d",
          (double)r2.weight_decay, r2.test_fraction, r2.warmup_epochs, r2.plateau_patience);
    c.weight_decay = EEGNN_UNSET;
    c.test_fraction = EEGNN_UNSET;
    c.warmup_epochs = EEGNN_UNSET;
    c.plateau_patience = EEGNN_UNSET;
    r.out_dir = test_out_path("train/resolved");
    CHECK(eegnn_train(&c, &ra) == EEGNN_OK && eegnn_train(&r, &rb) == EEGNN_OK, "train: %s", eegnn_last_error());
    snprintf(pa, sizeof pa, "%s/best.safetensors", c.out_dir);
    snprintf(pb, sizeof pb, "%s/best.safetensors", r.out_dir);
    e = compare_files(pa, pb, NULL);
    CHECK(e == 0.0 && ra.test.loss == rb.test.loss, "the resolved config trains identically (%g)", e);
    /* refusals before any recording is read */
    base_config(&c, test_out_path("train/refused"));
    c.loss = "l1";
    c.target = "participants:sex";
    CHECK(eegnn_train_check(&c, NULL) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "regression"),
          "a loss for a classification: %s", eegnn_last_error());
    c.loss = NULL;
    c.target = "participants:age";
    c.class_weights = "balanced";
    CHECK(eegnn_train(&c, &ra) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "classification"),
          "class weights for a regression: %s", eegnn_last_error());
    c.class_weights = NULL;
    c.epochs = -1;
    CHECK(eegnn_train_check(&c, NULL) == EEGNN_ERR_ARG, "negative epochs");
    c.epochs = 2;
    c.valid_fraction = 0.6;
    c.test_fraction = 0.5;
    CHECK(eegnn_train_check(&c, NULL) == EEGNN_ERR_ARG, "fractions over 1");
    c.valid_fraction = 0.85;
    c.test_fraction = EEGNN_UNSET;
    CHECK(eegnn_train_check(&c, NULL) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "test_fraction 0.2"),
          "valid_fraction 0.85 with the default test share: %s", eegnn_last_error());
    c.valid_fraction = 0;
    c.weight_decay = -1;
    CHECK(eegnn_train_check(&c, NULL) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "weight_decay -1"),
          "negative weight decay (once the code for none): %s", eegnn_last_error());
    c.weight_decay = EEGNN_UNSET;
    c.test_fraction = -1;
    CHECK(eegnn_train_check(&c, NULL) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "test_fraction -1"),
          "negative test share: %s", eegnn_last_error());
    c.test_fraction = EEGNN_UNSET;
    c.model_config.drop_prob = -1;
    CHECK(eegnn_train_check(&c, NULL) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "drop_prob -1"),
          "negative dropout: %s", eegnn_last_error());
    c.model_config.drop_prob = EEGNN_UNSET;
    c.model_config.norm_first = -1;
    CHECK(eegnn_train_check(&c, NULL) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "norm_first -1"),
          "norm_first -1 (once post-norm): %s", eegnn_last_error());
}

/* Model files keep the model's settings as JSON: what is written reads
 * back, and a file written before EEGNN_UNSET (no "format"; drop_prob 0
 * the default and negative none, norm_first / gelu 0 the default and -1
 * off) reads with the meaning it had. */
static void test_model_config_files(void) {
    eegnn_model_config c = eegnn_model_config_default(), back;
    eegnn__strbuf sb;
    memset(&sb, 0, sizeof sb);
    c.n_chans = 5;
    c.n_outputs = 2;
    c.gelu = 0;
    eegnn__model_config_json(&sb, &c);
    eegnn__model_config_parse(sb.p, &back);
    CHECK(sb.p && back.n_chans == 5 && back.n_outputs == 2 && back.drop_prob == EEGNN_UNSET &&
              back.norm_first == EEGNN_UNSET && back.gelu == 0,
          "model config round trip: %s", sb.p ? sb.p : "(null)");
    c.drop_prob = 0;
    sb.len = 0;
    eegnn__model_config_json(&sb, &c);
    eegnn__model_config_parse(sb.p, &back);
    CHECK(back.drop_prob == 0.0f, "drop_prob 0 round trip: %g", (double)back.drop_prob);
    eegnn__sb_free(&sb);
    eegnn__model_config_parse("{\"n_chans\": 3, \"drop_prob\": 0, \"norm_first\": 0, \"gelu\": -1}", &back);
    CHECK(back.n_chans == 3 && back.drop_prob == EEGNN_UNSET && back.norm_first == EEGNN_UNSET && back.gelu == 0,
          "a file from before 0.2: drop_prob %g norm_first %d gelu %d", (double)back.drop_prob, back.norm_first,
          back.gelu);
    eegnn__model_config_parse("{\"drop_prob\": -1, \"norm_first\": 1, \"gelu\": 0}", &back);
    CHECK(back.drop_prob == 0.0f && back.norm_first == 1 && back.gelu == EEGNN_UNSET,
          "a file from before 0.2, negative dropout is none: %g", (double)back.drop_prob);
}

int main(void) {
    eegnn_synthetic_config syn;
    (void)test_data_path;
    snprintf(g_bids, sizeof g_bids, "%s", test_out_path("train/bids"));
    syn = eegnn_synthetic_config_default();
    syn.n_subjects = 9;
    syn.n_channels = 6;
    syn.sfreq = 128;
    syn.duration = 16;
    syn.seed = 11;
    CHECK(eegnn_write_synthetic_bids(g_bids, &syn) == EEGNN_OK, "synthetic dataset: %s", eegnn_last_error());
    test_class_weights();
    test_determinism_resume();
    test_accumulate();
    test_steps_per_epoch();
    test_folds_threads();
    test_early_stopping();
    test_resolve_and_check();
    test_model_config_files();
    return test_summary("test_train");
}
