/* EEG Foundation Challenge 2025: Challenge 1 trials and windows against a
 * pandas/MNE implementation of the startkit's rules on a generated HBN-like
 * tree (with a real HBN participants.tsv), Challenge 2 windows and crops,
 * nRMSE and the combined score against numpy, a short training run that
 * must beat nRMSE 1 on Challenge 1, and the submission round trip through
 * PyTorch (tests/ref_challenge.py). */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "../examples/challenge.c"
#include "test.h"


static char tree[1024], small[1024], refdir[1024];

static float *load_npy(const char *name, int64_t *shape, size_t *n) {
    char path[2048];
    int nd;
    snprintf(path, sizeof path, "%s/%s", refdir, name);
    return eegnn_npy_read(path, &nd, shape, n);
}

static void check_metrics(void) {
    int64_t sh[EEGNN_NPY_MAX_DIMS];
    size_t n1, n2, k, i;
    float *y1 = load_npy("y1.npy", sh, &n1), *p1 = load_npy("p1.npy", sh, &k);
    float *y2 = load_npy("y2.npy", sh, &n2), *p2 = load_npy("p2.npy", sh, &k);
    double want[3] = {0, 0, 0}, *a, *b, c1, c2, s;
    char path[2048];
    FILE *fp;
    CHECK(y1 && p1 && y2 && p2, "metric references in %s (run tests/ref_challenge.py first)", refdir);
    snprintf(path, sizeof path, "%s/scores.txt", refdir);
    fp = fopen(path, "r");
    CHECK(fp && fscanf(fp, "%lf %lf %lf", &want[0], &want[1], &want[2]) == 3, "read %s", path);
    if (fp) fclose(fp);
    if (!y1 || !p1 || !y2 || !p2) goto done;
    a = (double *)malloc(sizeof(double) * (n1 > n2 ? n1 : n2));
    b = (double *)malloc(sizeof(double) * (n1 > n2 ? n1 : n2));
    for (i = 0; i < n1; i++) a[i] = y1[i], b[i] = p1[i];
    c1 = eegnn_nrmse(a, b, n1);
    for (i = 0; i < n2; i++) a[i] = y2[i], b[i] = p2[i];
    c2 = eegnn_nrmse(a, b, n2);
    s = eegnn_challenge_score(c1, c2);
    CHECK(fabs(c1 - want[0]) < 1e-12 * want[0] && fabs(c2 - want[1]) < 1e-12 * want[1] &&
              fabs(s - want[2]) < 1e-12 * want[2],
          "nrmse %.15g %.15g score %.15g vs numpy %.15g %.15g %.15g", c1, c2, s, want[0], want[1], want[2]);
    for (i = 0; i < n1; i++) a[i] = y1[i], b[i] = 0;
    {
        double m = 0;
        for (i = 0; i < n1; i++) m += a[i];
        for (i = 0; i < n1; i++) b[i] = m / (double)n1;
        CHECK(fabs(eegnn_nrmse(a, b, n1) - 1.0) < 1e-12, "predicting the mean scores 1");
    }
    free(a);
    free(b);
done:
    free(y1);
    free(p1);
    free(y2);
    free(p2);
}

static void check_challenge1(const eegnn_bids_dataset *b) {
    eegnn_dataset_config c;
    eegnn_dataset *ds;
    char path[2048], name[512];
    FILE *fp;
    int n = 0, bad = 0, i, start;
    double rt;
    int64_t sh[EEGNN_NPY_MAX_DIMS];
    size_t nx = 0;
    float *want, *got;
    memset(&c, 0, sizeof c);
    c.target = "challenge1";
    c.task = "contrastChangeDetection";
    ds = eegnn_dataset_from_bids(b, &c);
    CHECK(ds != NULL, "challenge1 dataset: %s", eegnn_last_error());
    if (!ds) return;
    CHECK(eegnn_dataset_n_times(ds) == 200 && eegnn_dataset_n_channels(ds) == 129 && eegnn_dataset_sfreq(ds) == 100,
          "C1 windows %d x %d at %g Hz", eegnn_dataset_n_channels(ds), eegnn_dataset_n_times(ds),
          eegnn_dataset_sfreq(ds));
    snprintf(path, sizeof path, "%s/c1_trials.txt", refdir);
    fp = fopen(path, "r");
    CHECK(fp != NULL, "open %s", path);
    while (fp && fscanf(fp, "%511s %d %lf", name, &start, &rt) == 3) {
        if (n < eegnn_dataset_n_windows(ds)) {
            const char *rn = eegnn_dataset_recording_name(ds, eegnn_dataset_recording(ds, n));
            if (strcmp(rn, name) != 0 || eegnn_dataset_start(ds, n) != start ||
                fabs(eegnn_dataset_target(ds, n) - rt) > 1e-6) {
                if (bad++ < 3)
                    printf("C1 window %d: %s %lld %.6f, startkit rules: %s %d %.6f\n", n, rn,
                           (long long)eegnn_dataset_start(ds, n), eegnn_dataset_target(ds, n), name, start, rt);
            }
        }
        n++;
    }
    if (fp) fclose(fp);
    CHECK(n > 50 && n == eegnn_dataset_n_windows(ds), "C1 windows: %d, startkit rules: %d", eegnn_dataset_n_windows(ds),
          n);
    CHECK(bad == 0, "%d C1 windows differ in recording, start sample or response time", bad);
    want = load_npy("c1_first_x.npy", sh, &nx);
    CHECK(want != NULL, "c1_first_x.npy");
    if (want) {
        size_t per = 129 * 200;
        int nw = (int)(nx / per);
        double worst = 0;
        got = (float *)malloc(per * sizeof(float));
        for (i = 0; i < nw; i++) {
            double e;
            eegnn_dataset_get(ds, i, got, NULL);
            e = test_max_rel_err(got, want + (size_t)i * per, per);
            if (e > worst) worst = e;
        }
        printf("test_challenge: C1 %d windows, first recording's %d windows vs MNE max rel err %.2e\n", n, nw, worst);
        CHECK(nw > 0 && worst < 1e-5, "C1 window samples vs MNE: %.3g", worst);
        free(got);
        free(want);
    }
    eegnn_dataset_free(ds);
    c.task = "RestingState"; /* no contrast-change trials there */
    ds = eegnn_dataset_from_bids(b, &c);
    CHECK(ds == NULL && strstr(eegnn_last_error(), "no window"), "challenge1 without trials: %s", eegnn_last_error());
    c.target = "challenge3";
    ds = eegnn_dataset_from_bids(b, &c);
    CHECK(ds == NULL && strstr(eegnn_last_error(), "challenge1"), "unknown target: %s", eegnn_last_error());
}

static void check_crop_offsets(eegnn_dataset *ds) {
    eegnn_train_config cfg;
    eegnn__run tr;
    int i, lo = 1000, hi = -1, same = 1, differ = 0;
    double mean = 0;
    cfg = eegnn_train_config_default();
    memset(&tr, 0, sizeof tr);
    cfg.seed = 5;
    tr.cfg = &cfg;
    tr.data = ds;
    for (i = 0; i < 4000; i++) {
        int o = eegnn__crop_offset(&tr, i % 97, 1 + i / 97);
        if (o < lo) lo = o;
        if (o > hi) hi = o;
        mean += o;
        if (o != eegnn__crop_offset(&tr, i % 97, 1 + i / 97)) same = 0;
        if (o != eegnn__crop_offset(&tr, i % 97, 2 + i / 97)) differ++;
    }
    mean /= 4000;
    CHECK(lo == 0 && hi == 200 && fabs(mean - 100) < 5 && same && differ > 3900,
          "training crop offsets: range %d..%d mean %.1f, deterministic %d, differ across epochs %d", lo, hi, mean, same,
          differ);
}

static void check_challenge2(const eegnn_bids_dataset *b) {
    eegnn_dataset_config c;
    eegnn_dataset *ds;
    char path[2048], name[512];
    FILE *fp;
    int n_rec = 0, bad = 0, nwin, total = 0, r, i, w;
    double ext;
    int64_t sh[EEGNN_NPY_MAX_DIMS];
    size_t nx;
    float *first, *x;
    memset(&c, 0, sizeof c);
    c.target = "participants:externalizing";
    c.window_seconds = 4;
    c.stride_seconds = 2;
    c.crop_seconds = 2;
    ds = eegnn_dataset_from_bids(b, &c);
    CHECK(ds != NULL, "challenge 2 dataset: %s", eegnn_last_error());
    if (!ds) return;
    CHECK(eegnn_dataset_n_times(ds) == 200 && eegnn_dataset_crop_max_offset(ds) == 200, "C2 crop %d, max offset %d",
          eegnn_dataset_n_times(ds), eegnn_dataset_crop_max_offset(ds));
    CHECK(eegnn_dataset_n_skipped_subjects(ds) == 1, "subjects with n/a externalizing skipped: %d",
          eegnn_dataset_n_skipped_subjects(ds));
    snprintf(path, sizeof path, "%s/c2_windows.txt", refdir);
    fp = fopen(path, "r");
    CHECK(fp != NULL, "open %s", path);
    while (fp && fscanf(fp, "%511s %d %lf", name, &nwin, &ext) == 3) {
        int count = 0, first_w = -1;
        for (w = 0; w < eegnn_dataset_n_windows(ds); w++) {
            r = eegnn_dataset_recording(ds, w);
            if (strcmp(eegnn_dataset_recording_name(ds, r), name) != 0) continue;
            if (first_w < 0) first_w = w;
            if (eegnn_dataset_start(ds, w) != (int64_t)(count * 200) || fabs(eegnn_dataset_target(ds, w) - ext) > 1e-6)
                bad++;
            count++;
        }
        if (count != nwin && bad++ < 3) printf("C2 %s: %d windows, braindecode rule %d\n", name, count, nwin);
        total += nwin;
        n_rec++;
    }
    if (fp) fclose(fp);
    CHECK(n_rec > 10 && total == eegnn_dataset_n_windows(ds) && bad == 0, "C2: %d windows in %d recordings (want %d), %d bad",
          eegnn_dataset_n_windows(ds), n_rec, total, bad);
    first = load_npy("c2_first.npy", sh, &nx);
    CHECK(first && sh[1] == 600, "c2_first.npy");
    if (first) {
        int offs[4] = {0, 73, 200, 100};
        double worst = 0;
        x = (float *)malloc(129 * 200 * sizeof(float));
        for (w = 0; w < 2; w++)
            for (i = 0; i < 4; i++) {
                int c2, t;
                float *want = (float *)malloc(129 * 200 * sizeof(float));
                eegnn_status st = i < 3 ? eegnn_dataset_get_crop(ds, w, offs[i], x, NULL) : eegnn_dataset_get(ds, w, x, NULL);
                CHECK(st == EEGNN_OK, "crop %d of window %d", offs[i], w);
                for (c2 = 0; c2 < 129; c2++)
                    for (t = 0; t < 200; t++) want[c2 * 200 + t] = first[(size_t)c2 * 600 + (size_t)(w * 200 + offs[i] + t)];
                {
                    double e = test_max_rel_err(x, want, 129 * 200);
                    if (e > worst) worst = e;
                }
                free(want);
            }
        printf("test_challenge: C2 %d windows; crops (offsets 0, 73, 200, centred 100) vs MNE max rel err %.2e\n",
               eegnn_dataset_n_windows(ds), worst);
        CHECK(worst < 1e-5, "C2 crops vs MNE: %.3g", worst);
        CHECK(eegnn_dataset_get_crop(ds, 0, 201, x, NULL) == EEGNN_ERR_ARG &&
                  eegnn_dataset_get_crop(ds, 0, -1, x, NULL) == EEGNN_ERR_ARG,
              "crop offsets out of range are refused");
        free(x);
        free(first);
    }
    check_crop_offsets(ds);
    eegnn_dataset_free(ds);
    c.crop_seconds = 5;
    ds = eegnn_dataset_from_bids(b, &c);
    CHECK(ds == NULL && strstr(eegnn_last_error(), "crop"), "a crop longer than the window: %s", eegnn_last_error());
    eegnn_dataset_free(ds);
}

/* The first n predictions of an eegnn_predict CSV (column 6). */
static int read_predictions(const char *csv, float *out, int n) {
    char line[4096];
    int k = 0;
    FILE *fp = fopen(csv, "r");
    if (!fp) return 0;
    if (!fgets(line, sizeof line, fp)) k = -1;
    while (k >= 0 && k < n && fgets(line, sizeof line, fp)) {
        char *p = line;
        int col;
        for (col = 0; col < 5 && p; col++) {
            p = strchr(p, ',');
            if (p) p++;
        }
        if (!p) break;
        out[k++] = strtof(p, NULL);
    }
    fclose(fp);
    return k;
}

/* Windows 0..n-1 of a dataset in volts into (n, 129, 200). */
static int write_inputs(const eegnn_bids_dataset *b, const eegnn_dataset_config *c, int n, const char *npy) {
    eegnn_dataset *ds = eegnn_dataset_from_bids(b, c);
    float *x;
    size_t per = 129 * 200, i;
    int64_t shape[3];
    int k, ok;
    if (!ds) return 0;
    x = (float *)malloc((size_t)n * per * sizeof(float));
    for (k = 0; k < n; k++) eegnn_dataset_get(ds, k, x + (size_t)k * per, NULL);
    for (i = 0; i < (size_t)n * per; i++) x[i] = (float)((double)x[i] / 1e6);
    shape[0] = n;
    shape[1] = 129;
    shape[2] = 200;
    ok = eegnn_npy_write(npy, x, 3, shape) == EEGNN_OK;
    free(x);
    eegnn_dataset_free(ds);
    return ok;
}

/* Trains `model` for one epoch on the small tree's Challenge 2 windows
 * (RestingState, 4 s windows, 2 s stride, 2 s crops, Adamax, L1). */
static int train_small(const char *model, const char *out) {
    eegnn_train_config t;
    eegnn_train_result r;
    t = eegnn_train_config_default();
    t.bids_root = small;
    t.target = "participants:externalizing";
    t.task = "RestingState";
    t.model = model;
    t.window_seconds = 4;
    t.stride_seconds = 2;
    t.crop_seconds = 2;
    t.optimizer = "adamax";
    t.lr = 2e-3f;
    t.loss = "l1";
    t.epochs = 1;
    t.n_threads = 2;
    t.quiet = 1;
    t.out_dir = out;
    if (eegnn_train(&t, &r)) return 0;
    printf("test_challenge: C2 training (%s, 1 epoch on the 4-subject tree, %.1f s)\n", model, r.seconds);
    return 1;
}

/* eegnn's predictions of a checkpoint for the first 8 windows of a tree. */
static int predict8(const char *ck, const char *root, const char *csv, float *pred) {
    return eegnn_predict(ck, root, csv, 2, NULL) == EEGNN_OK && read_predictions(csv, pred, 8) == 8;
}

/* submission.py's outputs in DIR/y<k>.npy against eegnn's predictions. */
static void compare_submission(const char *dir, int k, const char *what, const char *ck, const float *pred) {
    char path[2048];
    int nd, j;
    int64_t sh[EEGNN_NPY_MAX_DIMS];
    size_t ny = 0;
    float *y;
    snprintf(path, sizeof path, "%s/y%d.npy", dir, k);
    y = eegnn_npy_read(path, &nd, sh, &ny);
    CHECK(y && ny == 8, "%s from submission.py", path);
    if (y && ny == 8) {
        double e = test_max_rel_err(y, pred, 8), dmax = 0, spread = 0, tm = 0;
        eegnn_safetensors *f = eegnn_safetensors_open(ck);
        const char *v = f ? eegnn_safetensors_metadata(f, "target_mean") : NULL;
        if (v) tm = strtod(v, NULL);
        eegnn_safetensors_close(f);
        for (j = 0; j < 8; j++) {
            if (fabs(y[j] - pred[j]) > dmax) dmax = fabs(y[j] - pred[j]);
            if (fabs(pred[j] - tm) > spread) spread = fabs(pred[j] - tm);
        }
        printf("test_challenge: submission.py challenge %d (%s) vs eegnn predictions: max rel err %.2e, "
               "max abs err %.2e / spread %.2e\n", k, what, e, dmax, spread);
        CHECK(e < 1e-4, "submission.py challenge %d (%s) vs eegnn: %.3g", k, what, e);
        CHECK(v && spread > 0 && dmax <= 1e-4 * spread,
              "challenge %d (%s): max |submission - eegnn| %.3g vs max |eegnn - target mean| %.3g", k, what, dmax,
              spread);
    }
    free(y);
}

static void check_training_and_submission(const eegnn_bids_dataset *b) {
    static const char *const others[4] = {"EEGNetv4", "ShallowFBCSPNet", "Deep4Net", "BDTCN"};
    eegnn_train_config t1;
    eegnn_train_result r1;
    eegnn_dataset_config d1, d2;
    char out1[1024], out2[1200], sub[5][1200], ck1[1400], ck2[5][1400], csv[1400], npy[1400], cmd[8192];
    float pred1[8], pred2[5][8];
    int k, n_sub = 5;
    snprintf(out1, sizeof out1, "%s", test_out_path("challenge/c1"));
    t1 = eegnn_train_config_default();
    t1.bids_root = tree;
    t1.target = "challenge1";
    t1.task = "contrastChangeDetection";
    t1.model = "cnn";
    t1.epochs = 5;
    t1.n_threads = 2;
    t1.quiet = 1;
    t1.out_dir = out1;
    CHECK(eegnn_train(&t1, &r1) == EEGNN_OK, "C1 training: %s", eegnn_last_error());
    printf("test_challenge: C1 training (cnn, 5 epochs, %.1f s): nRMSE valid %.3f, test %.3f\n", r1.seconds,
           r1.valid.nrmse, r1.test.nrmse);
    CHECK(r1.valid.nrmse < 1.0 && r1.test.nrmse < 1.0, "C1 nRMSE valid %.3f test %.3f must beat 1", r1.valid.nrmse,
          r1.test.nrmse);
    snprintf(ck1, sizeof ck1, "%s/best.safetensors", out1);
    snprintf(csv, sizeof csv, "%s/pred.csv", out1);
    CHECK(predict8(ck1, tree, csv, pred1), "predict C1: %s", eegnn_last_error());

    /* C2: one submission per braindecode port (C1 is the cnn above in each) */
    for (k = 0; k < n_sub; k++) {
        const char *model = k == 0 ? "EEGNeX" : others[k - 1];
        snprintf(out2, sizeof out2, "%s/c2_%s", refdir, model);
        snprintf(ck2[k], sizeof ck2[k], "%s/best.safetensors", out2);
        snprintf(sub[k], sizeof sub[k], "%s/submission_%s", refdir, model);
        CHECK(train_small(model, out2), "C2 training %s: %s", model, eegnn_last_error());
        snprintf(csv, sizeof csv, "%s/pred.csv", out2);
        CHECK(predict8(ck2[k], small, csv, pred2[k]), "predict C2 %s: %s", model, eegnn_last_error());
        CHECK(eegnn_export_submission(ck1, ck2[k], sub[k]) == EEGNN_OK, "export: %s", eegnn_last_error());
    }
    CHECK(eegnn_export_submission(ck1, "/nonexistent.safetensors", sub[0]) != EEGNN_OK,
          "export of a missing checkpoint fails");

    memset(&d1, 0, sizeof d1);
    d1.target = "challenge1";
    d1.task = "contrastChangeDetection";
    memset(&d2, 0, sizeof d2);
    d2.target = "participants:externalizing";
    d2.task = "RestingState";
    d2.window_seconds = 4;
    d2.stride_seconds = 2;
    d2.crop_seconds = 2;
    snprintf(npy, sizeof npy, "%s/sub_x1.npy", refdir);
    CHECK(write_inputs(b, &d1, 8, npy), "write %s", npy);
    snprintf(npy, sizeof npy, "%s/sub_x2.npy", refdir);
    {
        eegnn_bids_dataset *bs = eegnn_bids_open(small);
        CHECK(bs && write_inputs(bs, &d2, 8, npy), "write %s: %s", npy, eegnn_last_error());
        eegnn_bids_close(bs);
    }
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ref_challenge.py '%s' --submission", refdir);
    for (k = 0; k < n_sub; k++) {
        size_t len = strlen(cmd);
        snprintf(cmd + len, sizeof cmd - len, " '%s'", sub[k]);
    }
    {
        double t0 = eegnn_time_seconds();
        CHECK(system(cmd) == 0, "%s", cmd);
        printf("test_challenge: %d submission.py files run in %.1f s\n", n_sub, eegnn_time_seconds() - t0);
    }
    compare_submission(sub[0], 1, "cnn", ck1, pred1);
    for (k = 0; k < n_sub; k++) compare_submission(sub[k], 2, k == 0 ? "EEGNeX" : others[k - 1], ck2[k], pred2[k]);
}

int main(void) {
    eegnn_synthetic_hbn_config h;
    eegnn_bids_dataset *b;
    char cmd[4096];
    double t0 = eegnn_time_seconds();
    snprintf(refdir, sizeof refdir, "%s", test_out_path("challenge"));
    snprintf(tree, sizeof tree, "%s", test_out_path("challenge/hbn"));
    check_metrics();

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tree);
    CHECK(system(cmd) == 0, "%s", cmd);
    h = eegnn_synthetic_hbn_config_default();
    h.participants_tsv = test_data_path("hbn-metadata/ds005509-bdf-mini/participants.tsv");
    h.ccd_runs = 1;
    h.trials_per_run = 10;
    h.rest_seconds = 8;
    h.seed = 3;
    CHECK(eegnn_write_synthetic_hbn(tree, &h) == EEGNN_OK, "synthetic HBN tree: %s", eegnn_last_error());
    h.participants_tsv = "/nonexistent/participants.tsv";
    CHECK(eegnn_write_synthetic_hbn(test_out_path("challenge/bad"), &h) != EEGNN_OK && strstr(eegnn_last_error(), "nonexistent"),
          "a missing participants.tsv is an error: %s", eegnn_last_error());
    /* a tree small enough to train EEGNeX for one epoch quickly: 4 subjects, 2 windows each */
    snprintf(small, sizeof small, "%s", test_out_path("challenge/hbn_small"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", small);
    CHECK(system(cmd) == 0, "%s", cmd);
    h.participants_tsv = test_data_path("hbn-metadata/ds005509-bdf-mini/participants.tsv");
    h.n_subjects = 4;
    h.ccd_runs = 0;
    h.rest_seconds = 6;
    CHECK(eegnn_write_synthetic_hbn(small, &h) == EEGNN_OK, "small HBN tree: %s", eegnn_last_error());
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/ref_challenge.py '%s' --tree '%s'", refdir, tree);
    CHECK(system(cmd) == 0, "%s", cmd);

    printf("test_challenge: tree and references ready (%.1f s)\n", eegnn_time_seconds() - t0);
    b = eegnn_bids_open(tree);
    CHECK(b != NULL, "open %s: %s", tree, eegnn_last_error());
    if (b) {
        check_challenge1(b);
        check_challenge2(b);
        printf("test_challenge: windows checked (%.1f s)\n", eegnn_time_seconds() - t0);
        check_training_and_submission(b);
        printf("test_challenge: training and submission (%.1f s)\n", eegnn_time_seconds() - t0);
        eegnn_bids_close(b);
    }
    return test_summary("test_challenge");
}
