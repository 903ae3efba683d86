/* Preprocessing and augmentation vs MNE 1.3, braindecode's definitions
 * (ported in tests/ref_preprocess.py) and numpy, on real recordings. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define EDF "bids/eegmmidb-s001/sub-001/eeg/sub-001_task-fistexec_run-1_eeg.edf"
#define BDF "formats/mne-testing-data/BDF/test_bdf_stim_channel.bdf"

/* Reads build/tests/preprocess/<name>; checks the element count. */
static float *load(const char *name, size_t want) {
    char rel[256];
    int ndim;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    size_t n = 0;
    float *a;
    snprintf(rel, sizeof rel, "preprocess/%s", name);
    a = eegnn_npy_read(test_out_path(rel), &ndim, shape, &n);
    CHECK(a != NULL, "%s: %s (run tests/ref_preprocess.py first)", name, eegnn_last_error());
    if (a && n != want) {
        CHECK(0, "%s: %zu elements, want %zu", name, n, want);
        eegnn_free(a);
        return NULL;
    }
    return a;
}

static FILE *open_ref(const char *name) {
    char rel[256];
    FILE *fp;
    snprintf(rel, sizeof rel, "preprocess/%s", name);
    fp = fopen(test_out_path(rel), "rb");
    CHECK(fp != NULL, "cannot open %s", rel);
    return fp;
}

static void chomp(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
}

static void check_vs(const char *what, const float *got, const char *npy, size_t n, double tol) {
    float *want = load(npy, n);
    double err;
    if (!want) return;
    err = test_max_rel_err(got, want, n);
    printf("  %-34s max rel err %.3g\n", what, err);
    CHECK(err <= tol, "%s: max rel err %g > %g", what, err, tol);
    eegnn_free(want);
}

static size_t raw_numel(const eegnn_raw *r) { return (size_t)r->n_channels * (size_t)r->n_times; }

static void test_reference(const eegnn_raw *edf, const eegnn_raw *bdf) {
    eegnn_raw *r;
    const char *cz[1] = {"Cz.."};
    const char *t9t10[2] = {"T9..", "T10."};
    const char *bad[1] = {"Nope"};
    const char *dup[2] = {"Cz..", "Cz.."};
    int c;
    int64_t t;

    r = eegnn_raw_copy(edf);
    CHECK(r && eegnn_raw_set_average_reference(r) == EEGNN_OK, "average reference: %s", eegnn_last_error());
    if (r) check_vs("EDF average reference", r->data, "edf_avgref.npy", raw_numel(r), 1e-6);
    eegnn_raw_free(r);

    r = eegnn_raw_copy(edf);
    CHECK(r && eegnn_raw_set_reference(r, cz, 1) == EEGNN_OK, "Cz reference: %s", eegnn_last_error());
    if (r) {
        int k = eegnn_raw_channel_index(r, "Cz..");
        int zero = 1;
        check_vs("EDF reference Cz", r->data, "edf_ref_cz.npy", raw_numel(r), 1e-6);
        for (t = 0; t < r->n_times; t++) zero &= r->data[(size_t)k * r->n_times + t] == 0.0f;
        CHECK(zero, "the reference channel must become zero");
    }
    eegnn_raw_free(r);

    r = eegnn_raw_copy(edf);
    CHECK(r && eegnn_raw_set_reference(r, t9t10, 2) == EEGNN_OK, "T9/T10 reference: %s", eegnn_last_error());
    if (r) check_vs("EDF reference mean(T9, T10)", r->data, "edf_ref_t9t10.npy", raw_numel(r), 1e-6);
    eegnn_raw_free(r);

    r = eegnn_raw_copy(bdf);
    CHECK(r && eegnn_raw_set_average_reference(r) == EEGNN_OK, "BDF average reference: %s", eegnn_last_error());
    if (r) {
        int k = eegnn_raw_channel_index(r, "Status");
        check_vs("BDF average reference (+stim)", r->data, "bdf_avgref.npy", raw_numel(r), 1e-6);
        CHECK(k >= 0 && memcmp(r->data + (size_t)k * r->n_times, bdf->data + (size_t)k * bdf->n_times,
                               (size_t)r->n_times * sizeof(float)) == 0,
              "the stim channel must be untouched");
    }
    eegnn_raw_free(r);

    /* bad names: clear errors, data unchanged */
    r = eegnn_raw_copy(edf);
    if (r) {
        CHECK(eegnn_raw_set_reference(r, bad, 1) == EEGNN_ERR_NOT_FOUND && strstr(eegnn_last_error(), "'Nope'") &&
                  strstr(eegnn_last_error(), "Fc5."),
              "unknown reference channel: %s", eegnn_last_error());
        CHECK(eegnn_raw_set_reference(r, dup, 2) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "twice"),
              "duplicate reference: %s", eegnn_last_error());
        CHECK(eegnn_raw_set_reference(r, cz, 0) == EEGNN_ERR_ARG, "n_ref 0");
        CHECK(memcmp(r->data, edf->data, raw_numel(r) * sizeof(float)) == 0, "failed calls must not change data");
        for (c = 0; c < r->n_channels; c++) {
            EEGNN_FREE(r->ch_types[c]);
            r->ch_types[c] = eegnn__strdup("misc");
        }
        CHECK(eegnn_raw_set_average_reference(r) == EEGNN_ERR_NOT_FOUND && strstr(eegnn_last_error(), "'eeg'"),
              "no EEG channel: %s", eegnn_last_error());
    }
    eegnn_raw_free(r);
    CHECK(eegnn_raw_set_average_reference(NULL) == EEGNN_ERR_ARG, "NULL raw");
}

static int names_match_file(const eegnn_raw *r, const char *file) {
    FILE *fp = open_ref(file);
    char line[256];
    int i = 0, ok = 1;
    if (!fp) return 0;
    while (fgets(line, sizeof line, fp)) {
        chomp(line);
        if (!line[0]) continue;
        if (i >= r->n_channels || strcmp(r->ch_names[i], line) != 0) ok = 0;
        i++;
    }
    fclose(fp);
    return ok && i == r->n_channels;
}

static void test_picks(const eegnn_raw *edf, const eegnn_raw *bdf) {
    const char *names[6] = {"Cz..", "Fc5.", "O2..", "T9..", "Fpz.", "C3.."};
    const char *missing[2] = {"Cz..", "Xx"};
    const char *stim[1] = {"stim"};
    const char *eeg[1] = {"eeg"};
    const char *ecg[1] = {"ecg"};
    eegnn_raw *r = eegnn_raw_copy(edf);
    CHECK(r && eegnn_raw_pick_channels(r, names, 6) == EEGNN_OK, "pick_channels: %s", eegnn_last_error());
    if (r) {
        CHECK(r->n_channels == 6 && names_match_file(r, "edf_pick.txt"), "pick_channels order vs MNE");
        check_vs("EDF pick_channels(ordered=True)", r->data, "edf_pick.npy", raw_numel(r), 1e-6);
        CHECK(r->n_annotations == edf->n_annotations, "annotations kept");
    }
    eegnn_raw_free(r);

    r = eegnn_raw_copy(edf);
    if (r) {
        CHECK(eegnn_raw_pick_channels(r, missing, 2) == EEGNN_ERR_NOT_FOUND && strstr(eegnn_last_error(), "'Xx'"),
              "missing pick: %s", eegnn_last_error());
        CHECK(r->n_channels == edf->n_channels, "failed pick leaves the recording unchanged");
        CHECK(eegnn_raw_pick_types(r, ecg, 1) == EEGNN_ERR_NOT_FOUND && strstr(eegnn_last_error(), "ecg"),
              "no ecg channel: %s", eegnn_last_error());
        CHECK(eegnn_raw_pick_channels(r, names, 0) == EEGNN_ERR_ARG, "n = 0");
    }
    eegnn_raw_free(r);

    r = eegnn_raw_copy(bdf);
    CHECK(r && eegnn_raw_pick_types(r, stim, 1) == EEGNN_OK, "pick_types stim: %s", eegnn_last_error());
    if (r) CHECK(names_match_file(r, "bdf_pick_stim.txt"), "pick_types(stim=True) vs MNE");
    eegnn_raw_free(r);
    r = eegnn_raw_copy(bdf);
    CHECK(r && eegnn_raw_pick_types(r, eeg, 1) == EEGNN_OK, "pick_types eeg: %s", eegnn_last_error());
    if (r) {
        CHECK(names_match_file(r, "bdf_pick_eeg.txt"), "pick_types(eeg=True) vs MNE");
        CHECK(memcmp(r->data, bdf->data, raw_numel(r) * sizeof(float)) == 0, "picked data rows");
    }
    eegnn_raw_free(r);
}

static void test_standardize(void) {
    const int nc = 64;
    const int64_t nt = 20000;
    size_t n = (size_t)nc * (size_t)nt;
    float *x = load("x_uv.npy", n);
    float *y = (float *)malloc(n * sizeof(float));
    if (!x || !y) {
        free(y);
        eegnn_free(x);
        return;
    }
    memcpy(y, x, n * sizeof(float));
    CHECK(eegnn_standardize(y, nc, nt, 1e-4) == EEGNN_OK, "standardize");
    check_vs("z-score (ddof=0)", y, "zscore.npy", n, 1e-5);
    memcpy(y, x, n * sizeof(float));
    CHECK(eegnn_exponential_moving_standardize(y, nc, nt, 0.001, 0, 1e-4) == EEGNN_OK, "ems");
    check_vs("exp. moving standardize", y, "ems.npy", n, 1e-5);
    memcpy(y, x, n * sizeof(float));
    CHECK(eegnn_exponential_moving_standardize(y, nc, nt, 0.001, 1000, 1e-4) == EEGNN_OK, "ems init");
    check_vs("exp. moving standardize, init 1000", y, "ems_init.npy", n, 1e-5);
    memcpy(y, x, n * sizeof(float));
    CHECK(eegnn_exponential_moving_demean(y, nc, nt, 0.001, 0) == EEGNN_OK, "emd");
    check_vs("exp. moving demean", y, "emd.npy", n, 1e-5);
    memcpy(y, x, n * sizeof(float));
    CHECK(eegnn_exponential_moving_demean(y, nc, nt, 0.01, 500) == EEGNN_OK, "emd init");
    check_vs("exp. moving demean, 0.01, init 500", y, "emd_init.npy", n, 1e-5);

    CHECK(eegnn_exponential_moving_standardize(y, nc, nt, 0.0, 0, 1e-4) == EEGNN_ERR_ARG &&
              strstr(eegnn_last_error(), "factor_new"),
          "factor_new 0: %s", eegnn_last_error());
    CHECK(eegnn_exponential_moving_standardize(y, nc, nt, 0.001, nt + 1, 1e-4) == EEGNN_ERR_ARG &&
              strstr(eegnn_last_error(), "init_block_size"),
          "init block too long: %s", eegnn_last_error());
    CHECK(eegnn_exponential_moving_standardize(y, nc, nt, 0.001, 0, 0.0) == EEGNN_ERR_ARG, "eps 0");
    CHECK(eegnn_standardize(NULL, nc, nt, 1e-4) == EEGNN_ERR_ARG, "NULL x");
    CHECK(eegnn_standardize(y, 0, nt, 1e-4) == EEGNN_ERR_ARG, "0 channels");
    free(y);
    eegnn_free(x);
}

static void test_reject(const eegnn_raw *edf) {
    FILE *fp = open_ref("reject.txt");
    char line[4096];
    double reject = 0, flat = 0;
    int win = 0, nw = 0, w = 0, e = 0, agree = 0, n_flat_entries = 0, n_reject_entries = 0;
    int64_t *starts = NULL;
    char **logs = NULL;
    eegnn_reject_config cfg;
    eegnn_reject_report rep, rep2;
    memset(&cfg, 0, sizeof cfg);
    memset(&rep, 0, sizeof rep);
    memset(&rep2, 0, sizeof rep2);
    if (!fp) return;
    if (fscanf(fp, "reject %lf\nflat %lf\nwindow_len %d\nn_windows %d\n", &reject, &flat, &win, &nw) != 4 || nw < 1) {
        CHECK(0, "reject.txt header");
        fclose(fp);
        return;
    }
    starts = (int64_t *)calloc((size_t)nw, sizeof(int64_t));
    logs = (char **)calloc((size_t)nw, sizeof(char *));
    for (w = 0; w < nw && fgets(line, sizeof line, fp); w++) {
        long long s;
        int k, off = 0;
        chomp(line);
        if (sscanf(line, "%lld %d %n", &s, &k, &off) < 2) break;
        starts[w] = s;
        logs[w] = eegnn__strdup(line + off);
    }
    fclose(fp);
    CHECK(w == nw, "reject.txt: %d of %d windows", w, nw);
    cfg.reject = reject;
    cfg.flat = flat;
    CHECK(eegnn_raw_reject_windows(edf, starts, nw, win, &cfg, &rep) == EEGNN_OK, "reject: %s", eegnn_last_error());
    for (w = 0; w < rep.n_windows; w++) {
        char got[4096];
        size_t len = 0;
        got[0] = '\0';
        while (e < rep.n_entries && rep.entries[e].window == w) {
            const eegnn_drop_entry *d = &rep.entries[e];
            len += (size_t)snprintf(got + len, sizeof got - len, "%s%s", len ? " " : "", edf->ch_names[d->channel]);
            if (d->reason == EEGNN_DROP_REJECT) {
                n_reject_entries++;
                CHECK(d->ptp > reject, "REJECT entry below threshold");
            } else {
                n_flat_entries++;
                CHECK(d->ptp < flat, "FLAT entry above threshold");
            }
            e++;
        }
        if (strcmp(got, logs[w]) == 0 && rep.keep[w] == (logs[w][0] == '\0')) agree++;
        else printf("  window %d: got '%s', MNE drop_log '%s'\n", w, got, logs[w]);
    }
    printf("  rejection: %d/%d windows agree with MNE drop_log (%d dropped: %d reject, %d flat)\n", agree, nw,
           rep.n_dropped, rep.n_dropped_reject, rep.n_dropped_flat);
    CHECK(agree == nw, "drop decisions vs MNE: %d of %d agree", agree, nw);
    CHECK(n_reject_entries > 0 && n_flat_entries > 0, "both reasons must occur in this test");
    CHECK(rep.n_kept + rep.n_dropped == nw, "counts");

    /* the batch form on the same windows gives the same report */
    {
        size_t ex = (size_t)edf->n_channels * (size_t)win;
        float *xb = (float *)malloc((size_t)nw * ex * sizeof(float));
        int c, same = 1;
        if (xb) {
            for (w = 0; w < nw; w++)
                for (c = 0; c < edf->n_channels; c++)
                    memcpy(xb + (size_t)w * ex + (size_t)c * win, edf->data + (size_t)c * edf->n_times + starts[w],
                           (size_t)win * sizeof(float));
            CHECK(eegnn_reject_windows(xb, nw, edf->n_channels, win, (const char *const *)edf->ch_types, &cfg, &rep2) ==
                      EEGNN_OK,
                  "reject batch");
            same = rep2.n_entries == rep.n_entries && rep2.n_dropped == rep.n_dropped;
            for (e = 0; same && e < rep.n_entries; e++)
                same = rep.entries[e].window == rep2.entries[e].window && rep.entries[e].channel == rep2.entries[e].channel;
            CHECK(same, "batch and raw forms agree");
            free(xb);
        }
    }
    starts[0] = edf->n_times - win + 1;
    CHECK(eegnn_raw_reject_windows(edf, starts, nw, win, &cfg, &rep2) == EEGNN_ERR_ARG &&
              strstr(eegnn_last_error(), "outside"),
          "window outside the data: %s", eegnn_last_error());
    cfg.reject = -1;
    CHECK(eegnn_raw_reject_windows(edf, starts, nw, win, &cfg, &rep2) == EEGNN_ERR_ARG, "negative threshold");
    eegnn_reject_report_free(&rep);
    eegnn_reject_report_free(&rep2);
    for (w = 0; w < nw; w++) free(logs[w]);
    free(logs);
    free(starts);
}

static void test_flat(const eegnn_raw *edf) {
    FILE *fp = open_ref("flat.txt");
    char line[256];
    double thr = 0;
    int n_flat = -1, i = 0, ok = 1, *idx = NULL;
    char **names = NULL;
    if (!fp) return;
    if (!fgets(line, sizeof line, fp) || sscanf(line, "threshold %lf", &thr) != 1) ok = 0;
    CHECK(eegnn_raw_find_flat_channels(edf, thr, "eeg", &n_flat, &idx, &names) == EEGNN_OK, "find flat: %s",
          eegnn_last_error());
    while (ok && fgets(line, sizeof line, fp)) {
        chomp(line);
        if (i >= n_flat || strcmp(names[i], line) != 0 || strcmp(edf->ch_names[idx[i]], line) != 0) ok = 0;
        i++;
    }
    fclose(fp);
    printf("  flat channels: %d below %.3g V, numpy lists %d\n", n_flat, thr, i);
    CHECK(ok && i == n_flat && n_flat > 0, "flat channels vs numpy");
    eegnn_free(idx);
    eegnn_free(names);
    CHECK(eegnn_raw_find_flat_channels(edf, 0.0, NULL, &n_flat, NULL, NULL) == EEGNN_ERR_ARG, "threshold 0");
}

static void test_augment_functionals(void) {
    const int b = 8, c = 64, t = 480;
    size_t n = (size_t)b * c * t;
    float *x = load("aug_x.npy", n), *y = (float *)malloc(n * sizeof(float));
    float *u = load("aug_dropout_u.npy", (size_t)b * c), *sh = load("aug_shifts.npy", (size_t)b);
    double starts[8], ud[8 * 64];
    int shifts[8], i;
    FILE *fp = open_ref("aug_mask_start.txt");
    if (!x || !y || !u || !sh || !fp) goto done;
    for (i = 0; i < b; i++) CHECK(fscanf(fp, "%lf", &starts[i]) == 1, "mask start %d", i);
    for (i = 0; i < b * c; i++) ud[i] = u[i];
    for (i = 0; i < b; i++) shifts[i] = (int)sh[i];

    memcpy(y, x, n * sizeof(float));
    CHECK(eegnn_smooth_time_mask(y, b, c, t, starts, 100) == EEGNN_OK, "smooth mask");
    check_vs("smooth_time_mask (braindecode)", y, "aug_smooth_mask.npy", n, 1e-6);
    memcpy(y, x, n * sizeof(float));
    CHECK(eegnn_channels_dropout(y, b, c, t, ud, 0.3) == EEGNN_OK, "dropout");
    check_vs("channels_dropout (braindecode)", y, "aug_dropout.npy", n, 1e-6);
    memcpy(y, x, n * sizeof(float));
    CHECK(eegnn_time_shift(y, b, c, t, shifts, 0) == EEGNN_OK, "roll");
    check_vs("time shift == np.roll", y, "aug_roll.npy", n, 0.0);
    memcpy(y, x, n * sizeof(float));
    CHECK(eegnn_time_shift(y, b, c, t, shifts, 1) == EEGNN_OK, "zero shift");
    check_vs("time shift, zero fill", y, "aug_zero_shift.npy", n, 0.0);
done:
    if (fp) fclose(fp);
    free(y);
    eegnn_free(x);
    eegnn_free(u);
    eegnn_free(sh);
}

/* Least-squares factor f with y ~ f x over n samples spaced by stride. */
static double ratio(const float *y, const float *x, int n, size_t stride) {
    double num = 0, den = 0;
    int i;
    for (i = 0; i < n; i++) {
        num += (double)y[i * stride] * x[i * stride];
        den += (double)x[i * stride] * x[i * stride];
    }
    return den > 0 ? num / den : 1.0;
}

/* A batch (B, 64, T) of real windows, microvolts. */
static float *real_batch(const float *x_uv, int B, int T) {
    float *xb = (float *)malloc((size_t)B * 64 * T * sizeof(float));
    int b, c;
    if (!xb) return NULL;
    for (b = 0; b < B; b++)
        for (c = 0; c < 64; c++)
            memcpy(xb + ((size_t)b * 64 + c) * T, x_uv + (size_t)c * 20000 + (size_t)b * 197, (size_t)T * sizeof(float));
    return xb;
}

static void test_augment_random(void) {
    const int B = 64, C = 64, T = 256;
    size_t ex = (size_t)C * T, n = (size_t)B * ex, i;
    float *x_uv = load("x_uv.npy", (size_t)64 * 20000);
    float *x = NULL, *y = NULL, *z = NULL;
    unsigned char applied[64];
    eegnn_augment a, list[2];
    eegnn_rng rng;
    int b, c, k, n_applied, ok;
    if (!x_uv) return;
    x = real_batch(x_uv, B, T);
    y = (float *)malloc(n * sizeof(float));
    z = (float *)malloc(n * sizeof(float));
    if (!x || !y || !z) goto done;

    /* sign flip: the chosen examples exactly negated, the others untouched */
    memset(&a, 0, sizeof a);
    a.kind = EEGNN_AUG_SIGN_FLIP;
    a.probability = 0.5;
    memcpy(y, x, n * sizeof(float));
    eegnn_rng_seed(&rng, 1);
    CHECK(eegnn_augment_apply(&a, y, B, C, T, &rng, applied) == EEGNN_OK, "sign flip");
    ok = 1;
    n_applied = 0;
    for (b = 0; b < B; b++) {
        n_applied += applied[b];
        for (i = 0; i < ex; i++) ok &= y[b * ex + i] == (applied[b] ? -x[b * ex + i] : x[b * ex + i]);
    }
    CHECK(ok, "sign flip negates exactly the chosen examples");
    CHECK(n_applied > 16 && n_applied < 48, "sign flip p=0.5 applied to %d of 64", n_applied);
    /* same seed, same result; another seed, another choice */
    memcpy(z, x, n * sizeof(float));
    eegnn_rng_seed(&rng, 1);
    eegnn_augment_apply(&a, z, B, C, T, &rng, NULL);
    CHECK(memcmp(y, z, n * sizeof(float)) == 0, "deterministic for a seed");
    memcpy(z, x, n * sizeof(float));
    eegnn_rng_seed(&rng, 2);
    eegnn_augment_apply(&a, z, B, C, T, &rng, NULL);
    CHECK(memcmp(y, z, n * sizeof(float)) != 0, "another seed differs");

    /* time shift: every applied example is np.roll by some s in [-max, max] */
    memset(&a, 0, sizeof a);
    a.kind = EEGNN_AUG_TIME_SHIFT;
    a.probability = 0.7;
    a.max_shift = 20;
    memcpy(y, x, n * sizeof(float));
    eegnn_rng_seed(&rng, 3);
    CHECK(eegnn_augment_apply(&a, y, B, C, T, &rng, applied) == EEGNN_OK, "time shift");
    ok = 1;
    for (b = 0; b < B && ok; b++) {
        int found = 0, s;
        for (s = -20; s <= 20 && !found; s++) {
            int match = 1;
            for (c = 0; c < C && match; c++)
                for (k = 0; k < T && match; k++)
                    match = y[b * ex + (size_t)c * T + k] == x[b * ex + (size_t)c * T + (size_t)(((k - s) % T + T) % T)];
            if (match) found = 1 + (s != 0);
        }
        ok = applied[b] ? found > 0 : memcmp(y + b * ex, x + b * ex, ex * sizeof(float)) == 0;
    }
    CHECK(ok, "time shift equals np.roll by a shift within max_shift");

    /* amplitude scale: one factor per example in [lo, hi), or per channel */
    memset(&a, 0, sizeof a);
    a.kind = EEGNN_AUG_AMPLITUDE_SCALE;
    a.probability = 1.0;
    a.scale_low = 0.5;
    a.scale_high = 2.0;
    for (k = 0; k < 2; k++) {
        double lo = 1e9, hi = -1e9;
        a.per_channel = k;
        memcpy(y, x, n * sizeof(float));
        eegnn_rng_seed(&rng, 4);
        CHECK(eegnn_augment_apply(&a, y, B, C, T, &rng, NULL) == EEGNN_OK, "amplitude scale");
        ok = 1;
        for (b = 0; b < B; b++) {
            double f0 = ratio(y + b * ex, x + b * ex, (int)ex, 1);
            for (c = 0; c < C; c++) {
                double f = ratio(y + b * ex + (size_t)c * T, x + b * ex + (size_t)c * T, T, 1);
                if (!k) ok &= fabs(f - f0) < 1e-6 * f0;
                for (i = 0; i < (size_t)T; i++) {
                    size_t j = b * ex + (size_t)c * T + i;
                    ok &= y[j] == (float)(x[j] * (float)f) || fabs(y[j] - x[j] * f) <= 1e-6 * fabs(y[j]);
                }
                if (f < lo) lo = f;
                if (f > hi) hi = f;
            }
        }
        CHECK(ok && lo >= 0.5 - 1e-6 && hi < 2.0 + 1e-6 && hi - lo > 0.5, "amplitude scale per_channel=%d: [%g, %g]", k,
              lo, hi);
    }

    /* Gaussian noise: differences have mean 0 and the requested std */
    memset(&a, 0, sizeof a);
    a.kind = EEGNN_AUG_GAUSSIAN_NOISE;
    a.probability = 1.0;
    a.std = 3.0;
    memcpy(y, x, n * sizeof(float));
    eegnn_rng_seed(&rng, 5);
    CHECK(eegnn_augment_apply(&a, y, B, C, T, &rng, NULL) == EEGNN_OK, "noise");
    {
        double s = 0, ss = 0, m, sd;
        for (i = 0; i < n; i++) {
            double d = (double)y[i] - x[i];
            s += d;
            ss += d * d;
        }
        m = s / n;
        sd = sqrt(ss / n - m * m);
        printf("  gaussian noise std 3: mean %.4f, std %.4f over %zu samples\n", m, sd, n);
        CHECK(fabs(m) < 5 * 3.0 / sqrt((double)n) && fabs(sd - 3.0) < 0.02 * 3.0, "noise statistics");
    }

    /* channels dropout: each channel kept or zeroed (braindecode's sigmoid mask) with p_drop */
    memset(&a, 0, sizeof a);
    a.kind = EEGNN_AUG_CHANNELS_DROPOUT;
    a.probability = 1.0;
    a.p_drop = 0.3;
    memcpy(y, x, n * sizeof(float));
    eegnn_rng_seed(&rng, 6);
    CHECK(eegnn_augment_apply(&a, y, B, C, T, &rng, NULL) == EEGNN_OK, "dropout");
    {
        int dropped = 0;
        ok = 1;
        for (b = 0; b < B; b++)
            for (c = 0; c < C; c++) {
                const float *xr = x + b * ex + (size_t)c * T, *yr = y + b * ex + (size_t)c * T;
                double m = ratio(yr, xr, T, 1);
                for (k = 0; k < T; k++) ok &= fabs(yr[k] - m * xr[k]) <= 1e-6 * fabs(xr[k]) + 1e-30;
                ok &= m >= 0 && m <= 1 + 1e-6;
                dropped += m < 0.5;
            }
        printf("  channels dropout p_drop 0.3: %d of %d channels dropped\n", dropped, B * C);
        CHECK(ok && fabs((double)dropped / (B * C) - 0.3) < 0.03, "dropout fraction %d / %d", dropped, B * C);
    }

    /* smooth time mask: a masked run of about mask_len samples inside the window */
    memset(&a, 0, sizeof a);
    a.kind = EEGNN_AUG_SMOOTH_TIME_MASK;
    a.probability = 1.0;
    a.mask_len_samples = 50;
    memcpy(y, x, n * sizeof(float));
    eegnn_rng_seed(&rng, 7);
    CHECK(eegnn_augment_apply(&a, y, B, C, T, &rng, NULL) == EEGNN_OK, "smooth mask");
    ok = 1;
    for (b = 0; b < B; b++) {
        int first = -1, last = -1;
        for (k = 0; k < T; k++) {
            double m = ratio(y + b * ex + k, x + b * ex + k, C, (size_t)T);
            if (m < 0.5) {
                if (first < 0) first = k;
                last = k;
            }
            for (c = 0; c < C; c++) {
                size_t j = b * ex + (size_t)c * T + k;
                ok &= fabs(y[j] - m * x[j]) <= 1e-6 * fabs(x[j]) + 1e-30;
            }
        }
        ok &= first >= 0 && last - first + 1 >= 49 && last - first + 1 <= 51;
    }
    CHECK(ok, "smooth time mask: one run of ~mask_len samples, same on every channel");

    /* compose: sign flip then scale by exactly 2 */
    memset(list, 0, sizeof list);
    list[0].kind = EEGNN_AUG_SIGN_FLIP;
    list[0].probability = 1.0;
    list[1].kind = EEGNN_AUG_AMPLITUDE_SCALE;
    list[1].probability = 1.0;
    list[1].scale_low = list[1].scale_high = 2.0;
    memcpy(y, x, n * sizeof(float));
    CHECK(eegnn_augment_compose(list, 2, y, B, C, T, &rng) == EEGNN_OK, "compose");
    ok = 1;
    for (i = 0; i < n; i++) ok &= y[i] == -2.0f * x[i];
    CHECK(ok, "compose applies the list in order");

    /* bad arguments: clear errors, nothing changed */
    memcpy(y, x, n * sizeof(float));
    list[1].probability = 1.5;
    CHECK(eegnn_augment_compose(list, 2, y, B, C, T, &rng) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "probability"),
          "probability 1.5: %s", eegnn_last_error());
    CHECK(memcmp(y, x, n * sizeof(float)) == 0, "a rejected list changes nothing");
    memset(&a, 0, sizeof a);
    a.probability = 1.0;
    a.kind = EEGNN_AUG_SMOOTH_TIME_MASK;
    CHECK(eegnn_augment_apply(&a, y, B, C, T, &rng, NULL) == EEGNN_ERR_ARG &&
              strstr(eegnn_last_error(), "mask_len_samples"),
          "mask_len 0: %s", eegnn_last_error());
    a.kind = EEGNN_AUG_CHANNELS_DROPOUT;
    a.p_drop = 2;
    CHECK(eegnn_augment_apply(&a, y, B, C, T, &rng, NULL) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "p_drop"),
          "p_drop 2: %s", eegnn_last_error());
    a.kind = EEGNN_AUG_TIME_SHIFT;
    a.max_shift = -1;
    CHECK(eegnn_augment_apply(&a, y, B, C, T, &rng, NULL) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "max_shift"),
          "max_shift -1: %s", eegnn_last_error());
    a.kind = 99;
    CHECK(eegnn_augment_apply(&a, y, B, C, T, &rng, NULL) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "kind"),
          "kind 99: %s", eegnn_last_error());
    a.kind = EEGNN_AUG_SIGN_FLIP;
    CHECK(eegnn_augment_apply(&a, y, B, C, T, NULL, NULL) == EEGNN_ERR_ARG, "NULL rng");
    CHECK(eegnn_augment_apply(&a, y, 0, C, T, &rng, NULL) == EEGNN_ERR_ARG, "batch 0");
done:
    free(x);
    free(y);
    free(z);
    eegnn_free(x_uv);
}

int main(void) {
    eegnn_raw *edf = eegnn_read_raw(test_data_path(EDF), NULL);
    eegnn_raw *bdf = eegnn_read_raw(test_data_path(BDF), NULL);
    CHECK(edf && bdf, "read: %s", eegnn_last_error());
    if (edf && bdf) {
        test_reference(edf, bdf);
        test_picks(edf, bdf);
        test_reject(edf);
        test_flat(edf);
    }
    test_standardize();
    test_augment_functionals();
    test_augment_random();
    eegnn_raw_free(edf);
    eegnn_raw_free(bdf);
    return test_summary("test_preprocess");
}
