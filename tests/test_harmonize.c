/* Dataset harmonization and preprocessing vs MNE 1.3 / SciPy / braindecode's
 * code (tests/ref_harmonize.py) on real recordings: stages of the pipeline,
 * mixed-rate / mixed-channel BIDS datasets with sessions, electrodes.tsv,
 * rejection vs mne.Epochs drop_log, augmentations in training, bad configs;
 * the pipeline, rejection and the mixed dataset also streamed through the
 * preprocessed window cache. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define MMI "bids/eegmmidb-s001"

/* build/tests/harmonize/<name> as floats; shape[0..1] filled. */
static float *load(const char *name, int64_t *shape) {
    char rel[256];
    int ndim;
    size_t n = 0;
    float *a;
    snprintf(rel, sizeof rel, "harmonize/%s", name);
    a = eegnn_npy_read(test_out_path(rel), &ndim, shape, &n);
    CHECK(a != NULL, "%s: %s (run tests/ref_harmonize.py first)", name, eegnn_last_error());
    return a;
}

static FILE *open_ref(const char *name) {
    char rel[256];
    FILE *fp;
    snprintf(rel, sizeof rel, "harmonize/%s", name);
    fp = fopen(test_out_path(rel), "r");
    CHECK(fp != NULL, "cannot open %s", rel);
    return fp;
}

static void base_config(eegnn_dataset_config *c) {
    memset(c, 0, sizeof *c);
    c->task = "fistexec";
    c->target = "events:left_fist,right_fist";
    c->split = "run";
}

/* Worst relative error (test_max_rel_err per window) of the windows of
 * recording `rec` against the reference array ref (n_ch, n_ref). */
static double windows_vs(const eegnn_dataset *ds, int rec, const float *ref, int64_t n_ref, int *n_checked) {
    int i, c, nc = eegnn_dataset_n_channels(ds), nt = eegnn_dataset_n_times(ds);
    float *x = (float *)malloc(sizeof(float) * (size_t)nc * (size_t)nt);
    float *want = (float *)malloc(sizeof(float) * (size_t)nc * (size_t)nt);
    double worst = 0.0;
    *n_checked = 0;
    for (i = 0; i < eegnn_dataset_n_windows(ds); i++) {
        int64_t s = eegnn_dataset_start(ds, i);
        double e;
        if (eegnn_dataset_recording(ds, i) != rec) continue;
        CHECK(eegnn_dataset_get(ds, i, x, NULL) == EEGNN_OK, "get %d: %s", i, eegnn_last_error());
        CHECK(s + nt <= n_ref, "window %d past the reference", i);
        if (s + nt > n_ref) break;
        for (c = 0; c < nc; c++) memcpy(want + (size_t)c * nt, ref + (size_t)c * n_ref + s, sizeof(float) * nt);
        e = test_max_rel_err(x, want, (size_t)nc * nt);
        if (e > worst) worst = e;
        (*n_checked)++;
    }
    free(x);
    free(want);
    return worst;
}

static int rec_index(const eegnn_dataset *ds, const char *needle) {
    int r;
    for (r = 0; r < eegnn_dataset_n_recordings(ds); r++)
        if (strstr(eegnn_dataset_recording_name(ds, r), needle)) return r;
    return -1;
}

static void test_stages(const eegnn_bids_dataset *bids) {
    eegnn_dataset_config c;
    eegnn_dataset *ds;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    float *ref;
    int n, run;
    double e;
    /* stage 1: average reference (160 Hz) */
    base_config(&c);
    c.reference = "average";
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds != NULL, "avg ref: %s", eegnn_last_error());
    ref = load("mmi_run1_ref.npy", shape);
    if (ds && ref) {
        e = windows_vs(ds, rec_index(ds, "run-1"), ref, shape[1], &n);
        printf("average reference: %d windows, max rel err %.3g\n", n, e);
        CHECK(n > 10 && e < 1e-5, "avg ref: %d windows, err %g", n, e);
    }
    eegnn_free(ref);
    eegnn_dataset_free(ds);
    /* stage 2: + band-pass 1-40 Hz, order 4 */
    c.l_freq = 1;
    c.h_freq = 40;
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds != NULL, "band-pass: %s", eegnn_last_error());
    ref = load("mmi_run1_bp.npy", shape);
    if (ds && ref) {
        e = windows_vs(ds, rec_index(ds, "run-1"), ref, shape[1], &n);
        printf("+ band-pass 1-40 Hz: %d windows, max rel err %.3g\n", n, e);
        CHECK(n > 10 && e < 1e-5, "band-pass: %d windows, err %g", n, e);
    }
    eegnn_free(ref);
    eegnn_dataset_free(ds);
    /* stage 3: + resample to 100 Hz (resample_poly 5/8), every run */
    c.sfreq = 100;
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds != NULL, "resample: %s", eegnn_last_error());
    if (ds) {
        FILE *fp = open_ref("mmi_starts.txt");
        CHECK(eegnn_dataset_sfreq(ds) == 100.0 && eegnn_dataset_n_times(ds) == 200, "sfreq %g n_times %d",
              eegnn_dataset_sfreq(ds), eegnn_dataset_n_times(ds));
        CHECK(eegnn_dataset_n_resampled(ds) == 3, "%d resampled", eegnn_dataset_n_resampled(ds));
        CHECK(strstr(eegnn_dataset_log(ds), "resampled 160 -> 100 Hz") != NULL, "log: %s", eegnn_dataset_log(ds));
        for (run = 1; run <= 3; run++) {
            char name[64], needle[16];
            int r, i, k = 0, got_run;
            long s;
            snprintf(name, sizeof name, "mmi_run%d_rs.npy", run);
            snprintf(needle, sizeof needle, "run-%d", run);
            r = rec_index(ds, needle);
            ref = load(name, shape);
            if (ref) {
                e = windows_vs(ds, r, ref, shape[1], &n);
                printf("+ resample 100 Hz, run %d: %d windows, max rel err %.3g\n", run, n, e);
                CHECK(n > 10 && e < 1e-5, "run %d: %d windows, err %g", run, n, e);
            }
            eegnn_free(ref);
            /* window starts as MNE/numpy compute them */
            if (fp && fscanf(fp, "%d", &got_run) == 1) {
                CHECK(got_run == run, "starts file order");
                for (i = 0; i < eegnn_dataset_n_windows(ds); i++) {
                    if (eegnn_dataset_recording(ds, i) != r) continue;
                    CHECK(fscanf(fp, "%ld", &s) == 1 && s == eegnn_dataset_start(ds, i), "run %d window %d start",
                          run, k);
                    k++;
                }
            }
        }
        if (fp) fclose(fp);
    }
    eegnn_dataset_free(ds);
    /* EMS of the continuous resampled recording (braindecode's pandas code) */
    c.standardize = "ems";
    c.ems_init_block_size = 1000;
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds != NULL, "ems: %s", eegnn_last_error());
    ref = load("mmi_run1_ems.npy", shape);
    if (ds && ref) {
        e = windows_vs(ds, rec_index(ds, "run-1"), ref, shape[1], &n);
        printf("+ exponential moving standardization: %d windows, max rel err %.3g\n", n, e);
        CHECK(n > 10 && e < 1e-5, "ems: %d windows, err %g", n, e);
    }
    eegnn_free(ref);
    eegnn_dataset_free(ds);
    /* per-window z-score */
    c.standardize = "window";
    c.ems_init_block_size = 0;
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds != NULL, "window: %s", eegnn_last_error());
    ref = load("mmi_zwin.npy", shape);
    if (ds && ref) {
        int nc = eegnn_dataset_n_channels(ds), nt = eegnn_dataset_n_times(ds), w;
        float *x = (float *)malloc(sizeof(float) * (size_t)nc * nt);
        double worst = 0;
        for (w = 0; w < 3; w++) {
            CHECK(eegnn_dataset_get(ds, w, x, NULL) == EEGNN_OK, "get");
            e = test_max_rel_err(x, ref + (size_t)w * nc * nt, (size_t)nc * nt);
            if (e > worst) worst = e;
        }
        printf("+ per-window standardization: 3 windows, max rel err %.3g\n", worst);
        CHECK(worst < 1e-5, "window z-score err %g", worst);
        free(x);
    }
    eegnn_free(ref);
    eegnn_dataset_free(ds);
}

/* reject / flat vs mne.Epochs drop_log; cache_dir: streamed through the
 * preprocessed window cache */
static void test_reject(const eegnn_bids_dataset *bids, const char *cache_dir) {
    eegnn_dataset_config c;
    eegnn_dataset *ds;
    const eegnn_dataset_dropped *d;
    FILE *fp;
    char line[8192], path[1024];
    int n_drop = 0, k = 0, i = 0, n_lines = 0, mismatch = 0, n_mne_drop = 0;
    base_config(&c);
    c.reference = "average";
    c.l_freq = 1;
    c.h_freq = 40;
    c.sfreq = 100;
    c.reject = 300;
    c.flat = 1;
    c.stream = cache_dir != NULL;
    c.cache_dir = cache_dir;
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds != NULL, "reject: %s", eegnn_last_error());
    CHECK(!ds || eegnn_dataset_n_streamed(ds) == (cache_dir ? eegnn_dataset_n_recordings(ds) : 0), "streamed: %d",
          eegnn_dataset_n_streamed(ds));
    fp = open_ref("mmi_drop.txt");
    if (!ds || !fp) {
        if (fp) fclose(fp);
        eegnn_dataset_free(ds);
        return;
    }
    d = eegnn_dataset_dropped_windows(ds, &n_drop);
    while (fgets(line, sizeof line, fp)) {
        int run;
        long s;
        char chans[8000];
        char needle[16];
        if (sscanf(line, "%d %ld %7999s", &run, &s, chans) != 3) continue;
        snprintf(needle, sizeof needle, "run-%d", run);
        n_lines++;
        if (!strcmp(chans, "-")) { /* kept: the next kept window of the dataset */
            if (i >= eegnn_dataset_n_windows(ds) ||
                !strstr(eegnn_dataset_recording_name(ds, eegnn_dataset_recording(ds, i)), needle) ||
                eegnn_dataset_start(ds, i) != s)
                mismatch++;
            i++;
        } else {
            n_mne_drop++;
            if (k >= n_drop || !strstr(d[k].recording, needle) || d[k].start != s || strcmp(d[k].channels, chans))
                mismatch++;
            k++;
        }
    }
    fclose(fp);
    printf("rejection%s: %d windows, MNE drops %d, eegnn drops %d, %d mismatches\n",
           cache_dir ? " (streamed, preprocessed cache)" : "", n_lines, n_mne_drop, n_drop, mismatch);
    CHECK(mismatch == 0 && n_drop == n_mne_drop && i == eegnn_dataset_n_windows(ds) && n_mne_drop > 0 &&
              n_mne_drop < n_lines,
          "drop log differs from MNE: %d mismatches, %d vs %d drops", mismatch, n_drop, n_mne_drop);
    CHECK(eegnn_dataset_n_candidate_windows(ds) == n_lines, "candidates %d", eegnn_dataset_n_candidate_windows(ds));
    snprintf(path, sizeof path, "%s", test_out_path("harmonize/drop_log.tsv"));
    CHECK(eegnn_dataset_write_drop_log(ds, path) == EEGNN_OK, "write: %s", eegnn_last_error());
    fp = fopen(path, "r");
    if (fp) {
        int rows = 0;
        CHECK(fgets(line, sizeof line, fp) && !strcmp(line, "recording\tstart\tonset\ttarget\treason\tchannels\n"),
              "drop_log header");
        while (fgets(line, sizeof line, fp)) rows++;
        CHECK(rows == n_drop, "drop_log.tsv has %d rows, want %d", rows, n_drop);
        fclose(fp);
    }
    eegnn_dataset_free(ds);
}

/* Each session's windows of the mixed dataset against MNE pick + SciPy
 * resample_poly (mixed_ses<N>.npy). */
static void check_mixed_sessions(const eegnn_dataset *ds, const char *what) {
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    int ses, n;
    for (ses = 1; ses <= 2; ses++) {
        char name[64], needle[16];
        float *ref;
        double e;
        snprintf(name, sizeof name, "mixed_ses%d.npy", ses);
        snprintf(needle, sizeof needle, "ses-%d", ses);
        ref = load(name, shape);
        if (!ref) continue;
        e = windows_vs(ds, rec_index(ds, needle), ref, shape[1], &n);
        printf("mixed ses-%d (%s): %d windows, max rel err %.3g\n", ses, what, n, e);
        CHECK(n > 10 && e < 1e-5, "mixed ses-%d (%s): %d windows, err %g", ses, what, n, e);
        eegnn_free(ref);
    }
}

static void test_mixed(void) {
    char root[1024];
    eegnn_bids_dataset *bids;
    eegnn_dataset_config c;
    eegnn_dataset *ds;
    char common[128][16];
    int n_common = 0, k;
    FILE *fp = open_ref("mixed_common.txt");
    snprintf(root, sizeof root, "%s", test_out_path("harmonize/mixed_bids"));
    while (fp && n_common < 128 && fscanf(fp, "%15s", common[n_common]) == 1) n_common++;
    if (fp) fclose(fp);
    bids = eegnn_bids_open(root);
    CHECK(bids != NULL, "mixed: %s", eegnn_last_error());
    if (!bids) return;
    CHECK(bids->n_recordings == 2 && bids->recordings[0].ses && !strcmp(bids->recordings[0].ses, "1") &&
              bids->recordings[1].ses && !strcmp(bids->recordings[1].ses, "2"),
          "two sessions listed");
    memset(&c, 0, sizeof c);
    c.target = "events:left_fist,right_fist";
    c.split = "session";
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds == NULL && strstr(eegnn_last_error(), "common"), "mixed channels must fail: %s", eegnn_last_error());
    eegnn_dataset_free(ds);
    c.channels = "common";
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds == NULL && strstr(eegnn_last_error(), "sampling rate"), "mixed rates must fail: %s", eegnn_last_error());
    eegnn_dataset_free(ds);
    c.sfreq = 100;
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds != NULL, "mixed common+resample: %s", eegnn_last_error());
    if (ds) {
        const char *const *names = eegnn_dataset_ch_names(ds);
        int same = eegnn_dataset_n_channels(ds) == n_common;
        for (k = 0; same && k < n_common; k++) same = !strcmp(names[k], common[k]);
        CHECK(same && n_common == 61, "common channels (%d) differ from MNE's (%d)", eegnn_dataset_n_channels(ds),
              n_common);
        CHECK(eegnn_dataset_n_groups(ds) == 2 && eegnn_dataset_n_resampled(ds) == 2, "groups %d resampled %d",
              eegnn_dataset_n_groups(ds), eegnn_dataset_n_resampled(ds));
        CHECK(strstr(eegnn_dataset_log(ds), "sub-01_ses-1_task-fistexec: dropped channels not in every recording: "
                                            "Fc5., Fc3., Fc1.") &&
                  strstr(eegnn_dataset_log(ds), "sub-01_ses-2_task-fistexec: resampled 200 -> 100 Hz"),
              "log: %s", eegnn_dataset_log(ds));
        printf("mixed dataset log:\n%s", eegnn_dataset_log(ds));
        check_mixed_sessions(ds, "common channels, resampled to 100 Hz");
    }
    /* the same streamed (BrainVision recordings through the preprocessed cache) */
    {
        eegnn_dataset_config cs = c;
        eegnn_dataset *st;
        cs.stream = 1;
        cs.cache_dir = test_out_path("harmonize/cache");
        st = eegnn_dataset_from_bids(bids, &cs);
        CHECK(st && ds && eegnn_dataset_n_streamed(st) == 2 && !strcmp(eegnn_dataset_log(st), eegnn_dataset_log(ds)) &&
                  eegnn_dataset_n_channels(st) == eegnn_dataset_n_channels(ds),
              "mixed streamed: %s", st ? "log or channels differ" : eegnn_last_error());
        if (st) check_mixed_sessions(st, "streamed, preprocessed cache");
        eegnn_dataset_free(st);
    }
    eegnn_dataset_free(ds);
    /* an explicit list, in its order */
    c.channels = "Cz..,C3..,C4..";
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds != NULL && eegnn_dataset_n_channels(ds) == 3 && !strcmp(eegnn_dataset_ch_names(ds)[0], "Cz..") &&
              !strcmp(eegnn_dataset_ch_names(ds)[2], "C4.."),
          "explicit channels: %s", ds ? "wrong order" : eegnn_last_error());
    eegnn_dataset_free(ds);
    c.channels = "Cz..,Fc5.";
    ds = eegnn_dataset_from_bids(bids, &c);
    CHECK(ds == NULL && strstr(eegnn_last_error(), "Fc5.") && strstr(eegnn_last_error(), "ses-2"),
          "a channel missing in ses-2: %s", eegnn_last_error());
    /* electrodes: inheritance by session, bad files */
    {
        char path[1200];
        eegnn_bids_electrodes *el;
        eegnn_bids_close(bids);
        snprintf(path, sizeof path, "%s/sub-01/ses-1/eeg/sub-01_ses-1_electrodes.tsv", root);
        fp = fopen(path, "w");
        if (fp) {
            fputs("name\tx\ty\n" "Cz..\t0\t0\n", fp);
            fclose(fp);
        }
        bids = eegnn_bids_open(root);
        CHECK(bids && bids->recordings[0].electrodes_path && !bids->recordings[1].electrodes_path,
              "electrodes.tsv of ses-1 applies to ses-1 only");
        el = bids ? eegnn_bids_load_electrodes(&bids->recordings[0]) : NULL;
        CHECK(!el && strstr(eegnn_last_error(), "no 'z' column"), "missing z: %s", eegnn_last_error());
        eegnn_bids_electrodes_free(el);
        fp = fopen(path, "w");
        if (fp) {
            fputs("name\tx\ty\tz\n" "Cz..\t0\tabc\t1\n", fp);
            fclose(fp);
        }
        el = bids ? eegnn_bids_load_electrodes(&bids->recordings[0]) : NULL;
        CHECK(!el && strstr(eegnn_last_error(), "line 2, column 'y'"), "text in y: %s", eegnn_last_error());
        eegnn_bids_electrodes_free(el);
        el = bids ? eegnn_bids_load_electrodes(&bids->recordings[1]) : NULL;
        CHECK(!el && strstr(eegnn_last_error(), "no electrodes.tsv"), "none for ses-2: %s", eegnn_last_error());
        remove(path);
    }
    eegnn_bids_close(bids);
}

static void test_electrodes(void) {
    eegnn_bids_dataset *bids = eegnn_bids_open(test_data_path("bids/tiny_bids"));
    eegnn_bids_electrodes *el;
    FILE *fp;
    char name[64];
    double x, y, z;
    int n = 0, bad = 0, i;
    CHECK(bids != NULL, "tiny_bids: %s", eegnn_last_error());
    if (!bids) return;
    CHECK(bids->recordings[0].electrodes_path &&
              strstr(bids->recordings[0].electrodes_path, "/sub-01_ses-eeg_electrodes.tsv"),
          "electrodes path %s (the space-CapTrak file does not apply)",
          bids->recordings[0].electrodes_path ? bids->recordings[0].electrodes_path : "NULL");
    el = eegnn_bids_load_electrodes(&bids->recordings[0]);
    CHECK(el != NULL, "electrodes: %s", eegnn_last_error());
    fp = open_ref("electrodes.txt");
    if (el && fp) {
        while (fscanf(fp, "%63s %lf %lf %lf", name, &x, &y, &z) == 4) {
            i = eegnn_bids_electrode_index(el, name);
            if (i != n || el->x[i] != x || el->y[i] != y || el->z[i] != z) bad++;
            n++;
        }
        printf("electrodes.tsv: %d electrodes, %d differ from Python's csv; units %s, system %s\n", n, bad,
               el->units ? el->units : "-", el->coordinate_system ? el->coordinate_system : "-");
        CHECK(n == el->n && n > 60 && bad == 0, "%d electrodes, %d differ", n, bad);
        CHECK(el->units && !strcmp(el->units, "m") && el->coordinate_system &&
                  !strcmp(el->coordinate_system, "CapTrak"),
              "coordsystem");
        CHECK(el->type[0] == NULL && el->impedance[0] == 5.0, "type absent, impedance 5");
    }
    if (fp) fclose(fp);
    eegnn_bids_electrodes_free(el);
    eegnn_bids_close(bids);
}

static void test_stream(const eegnn_bids_dataset *bids) {
    eegnn_dataset_config c;
    eegnn_dataset *mem, *st;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    float *ref;
    base_config(&c);
    c.stream = 1;
    c.l_freq = 1;
    st = eegnn_dataset_from_bids(bids, &c);
    CHECK(st == NULL && strstr(eegnn_last_error(), "cache_dir") && strstr(eegnn_last_error(), "--cache"),
          "stream + filter without a cache directory must be refused: %s", eegnn_last_error());
    eegnn_dataset_free(st);
    /* streamed through the preprocessed cache: the last stage of test_stages */
    c.reference = "average";
    c.h_freq = 40;
    c.sfreq = 100;
    c.standardize = "ems";
    c.ems_init_block_size = 1000;
    c.cache_dir = test_out_path("harmonize/cache");
    st = eegnn_dataset_from_bids(bids, &c);
    CHECK(st != NULL && eegnn_dataset_n_streamed(st) == 3, "streamed ems: %s", eegnn_last_error());
    ref = load("mmi_run1_ems.npy", shape);
    if (st && ref) {
        int n;
        double e = windows_vs(st, rec_index(st, "run-1"), ref, shape[1], &n);
        printf("streamed (preprocessed cache): reference + band-pass + resample + EMS: %d windows, max rel err %.3g\n",
               n, e);
        CHECK(n > 10 && e < 1e-5, "streamed ems: %d windows, err %g", n, e);
    }
    eegnn_free(ref);
    eegnn_dataset_free(st);
    base_config(&c);
    c.stream = 1;
    c.standardize = "window";
    st = eegnn_dataset_from_bids(bids, &c);
    c.stream = 0;
    mem = eegnn_dataset_from_bids(bids, &c);
    CHECK(st && mem && eegnn_dataset_n_streamed(st) == 3 && eegnn_dataset_n_windows(st) == eegnn_dataset_n_windows(mem),
          "streamed per-window standardization: %s", eegnn_last_error());
    if (st && mem) {
        size_t n = (size_t)eegnn_dataset_n_channels(mem) * eegnn_dataset_n_times(mem);
        float *a = (float *)malloc(n * 4), *b = (float *)malloc(n * 4);
        int i, same = 1;
        for (i = 0; i < eegnn_dataset_n_windows(mem); i += 7) {
            eegnn_dataset_get(st, i, a, NULL);
            eegnn_dataset_get(mem, i, b, NULL);
            same &= !memcmp(a, b, n * 4);
        }
        CHECK(same, "streamed and in-memory standardized windows differ");
        free(a);
        free(b);
    }
    eegnn_dataset_free(st);
    eegnn_dataset_free(mem);
}

static void test_bad_configs(const eegnn_bids_dataset *bids) {
    struct {
        const char *what, *expect;
    } cases[] = {{"standardize foo", "standardize 'foo'"}, {"l >= h", "must be below"},
                 {"reject < 0", "reject"},              {"filter order", "orders"},
                 {"ems factor", "factor_new"},          {"sfreq < 0", "resampling rate"},
                 {"reference", "Xx"},                   {"pick_types", "pick_types"},
                 {"ems block", "init_block_size"}};
    int k;
    for (k = 0; k < (int)(sizeof cases / sizeof cases[0]); k++) {
        eegnn_dataset_config c;
        eegnn_dataset *ds;
        base_config(&c);
        switch (k) {
        case 0: c.standardize = "foo"; break;
        case 1: c.l_freq = 40; c.h_freq = 1; break;
        case 2: c.reject = -1; break;
        case 3: c.filter_order = 100; break;
        case 4: c.standardize = "ems"; c.ems_factor_new = 2; break;
        case 5: c.sfreq = -100; break;
        case 6: c.reference = "Xx"; break;
        case 7: c.pick_types = " , "; break;
        case 8: c.standardize = "ems"; c.ems_init_block_size = 100000000; break;
        }
        ds = eegnn_dataset_from_bids(bids, &c);
        CHECK(ds == NULL && strstr(eegnn_last_error(), cases[k].expect), "%s: got '%s'", cases[k].what,
              ds ? "a dataset" : eegnn_last_error());
        eegnn_dataset_free(ds);
    }
}

static void test_augment_parse(void) {
    eegnn_augment a[8];
    int n = 0;
    const char *bad[] = {"foo:0.5", "time_shift:2", "sign_flip", "time_shift:0.5:100", "gaussian_noise:0.5:-1",
                         "amplitude_scale:0.5:2:1", "sign_flip:0.5,", "channels_dropout:0.5:abc"};
    int k;
    CHECK(eegnn_augment_parse("time_shift:0.5:0.2,sign_flip:1,gaussian_noise:0.3:0.05,smooth_time_mask:0.5",
                              200, 100.0, a, 8, &n) == EEGNN_OK && n == 4,
          "parse: %s", eegnn_last_error());
    CHECK(a[0].kind == EEGNN_AUG_TIME_SHIFT && a[0].max_shift == 20 && a[0].probability == 0.5 &&
              a[1].kind == EEGNN_AUG_SIGN_FLIP && a[2].std == 0.05 && a[3].mask_len_samples == 20,
          "parsed values");
    for (k = 0; k < (int)(sizeof bad / sizeof bad[0]); k++)
        CHECK(eegnn_augment_parse(bad[k], 200, 100.0, a, 8, &n) == EEGNN_ERR_ARG, "'%s' must fail", bad[k]);
}

/* The first epoch's train_loss from metrics.json. */
static double first_train_loss(const char *dir) {
    char path[1200];
    size_t len;
    char *text, *p;
    double v = NAN;
    snprintf(path, sizeof path, "%s/metrics.json", dir);
    text = NULL;
    if (eegnn__read_file(path, &text, &len) == EEGNN_OK && (p = strstr(text, "\"train_loss\": ")))
        v = strtod(p + 14, NULL);
    EEGNN_FREE(text);
    return v;
}

static void test_train_augment(void) {
    eegnn_train_config cfg;
    eegnn_train_result r[3];
    const char *dirs[3];
    double tl[3];
    int k;
    char d0[1024], d1[1024], d2[1024];
    snprintf(d0, sizeof d0, "%s", test_out_path("harmonize/train_aug_a"));
    snprintf(d1, sizeof d1, "%s", test_out_path("harmonize/train_aug_b"));
    snprintf(d2, sizeof d2, "%s", test_out_path("harmonize/train_plain"));
    dirs[0] = d0;
    dirs[1] = d1;
    dirs[2] = d2;
    for (k = 0; k < 3; k++) {
        cfg = eegnn_train_config_default();
        cfg.bids_root = test_data_path(MMI);
        cfg.target = "events:left_fist,right_fist";
        cfg.task = "fistexec";
        cfg.split = "run";
        cfg.model = "mlp";
        cfg.model_config.drop_prob = 0;
        cfg.epochs = 1;
        cfg.batch_size = 8;
        cfg.lr = 1e-30f; /* the weights do not move: validation sees the same model */
        cfg.weight_decay = 0;
        cfg.seed = 3;
        cfg.n_threads = 1;
        cfg.quiet = 1;
        cfg.out_dir = dirs[k];
        cfg.preprocess.sfreq = 80;
        cfg.preprocess.reject = 800;
        cfg.augment = k < 2 ? "sign_flip:0.5,gaussian_noise:1:0.5,time_shift:0.5" : NULL;
        CHECK(eegnn_train(&cfg, &r[k]) == EEGNN_OK, "train %d: %s", k, eegnn_last_error());
        tl[k] = first_train_loss(dirs[k]);
    }
    printf("augmented training: train_loss %.9g, again %.9g, without augmentation %.9g; valid loss %.9g / %.9g\n",
           tl[0], tl[1], tl[2], r[0].valid.loss, r[2].valid.loss);
    CHECK(tl[0] == tl[1] && r[0].valid.loss == r[1].valid.loss, "augmentation is not deterministic for a seed");
    CHECK(tl[0] != tl[2], "augmentation changed nothing in training");
    CHECK(r[0].valid.loss == r[2].valid.loss && r[0].test.loss == r[2].test.loss,
          "augmentation reached validation/test: %.9g vs %.9g", r[0].valid.loss, r[2].valid.loss);
    {
        char path[1200];
        FILE *fp;
        snprintf(path, sizeof path, "%s/drop_log.tsv", d0);
        fp = fopen(path, "r");
        CHECK(fp != NULL, "the trainer writes drop_log.tsv");
        if (fp) fclose(fp);
    }
    cfg = eegnn_train_config_default();
    cfg.bids_root = test_data_path(MMI);
    cfg.target = "events:left_fist,right_fist";
    cfg.task = "fistexec";
    cfg.split = "run";
    cfg.quiet = 1;
    cfg.out_dir = d2;
    cfg.augment = "time_shift";
    CHECK(eegnn_train(&cfg, &r[2]) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "probability"),
          "bad augment: %s", eegnn_last_error());
}

int main(void) {
    eegnn_bids_dataset *bids = eegnn_bids_open(test_data_path(MMI));
    CHECK(bids != NULL, "%s: %s", MMI, eegnn_last_error());
    if (bids) {
        test_stages(bids);
        test_reject(bids, NULL);
        test_reject(bids, test_out_path("harmonize/cache"));
        test_stream(bids);
        test_bad_configs(bids);
    }
    eegnn_bids_close(bids);
    test_mixed();
    test_electrodes();
    test_augment_parse();
    test_train_augment();
    return test_summary("test_harmonize");
}
