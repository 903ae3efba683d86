/* Windowed datasets: in-memory recordings with known samples, group splits,
 * and eegmmidb-s001 left/right fist windows against mne.Epochs
 * (tests/ref_bids.py writes the MNE epochs). */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define N_CH 3
#define SFREQ 100.0

/* A recording whose sample (c, t) is (1000 * c + t + offset) * 1e-6 volts,
 * so the window content is known exactly in microvolts. */
static eegnn_raw *make_raw(int64_t n_times, float offset, const char *first_ch) {
    static char *names[N_CH] = {(char *)"Cz", (char *)"Pz", (char *)"Oz"};
    eegnn_raw *r = (eegnn_raw *)calloc(1, sizeof *r);
    int64_t c, t;
    r->n_channels = N_CH;
    r->ch_names = (char **)calloc(N_CH, sizeof(char *));
    for (c = 0; c < N_CH; c++) r->ch_names[c] = names[c];
    if (first_ch) r->ch_names[0] = (char *)first_ch;
    r->sfreq = SFREQ;
    r->n_times = n_times;
    r->data = (float *)calloc((size_t)(N_CH * n_times), sizeof(float));
    for (c = 0; c < N_CH; c++)
        for (t = 0; t < n_times; t++) r->data[c * n_times + t] = (float)((1000.0 * c + t + offset) * 1e-6);
    return r;
}

static void free_raw(eegnn_raw *r) {
    free(r->ch_names);
    free(r->data);
    free(r->annotations);
    free(r);
}

static void add_annotation(eegnn_raw *r, double onset, const char *desc) {
    r->annotations = (eegnn_annotation *)realloc(r->annotations, (size_t)(r->n_annotations + 1) * sizeof(eegnn_annotation));
    r->annotations[r->n_annotations].onset = onset;
    r->annotations[r->n_annotations].duration = 0;
    r->annotations[r->n_annotations].description = (char *)desc;
    r->n_annotations++;
}

/* Window content check: x(c, t) == 1000c + start + t + offset (µV). */
static int window_ok(const float *x, int n_times, int64_t start, float offset) {
    int c, t;
    for (c = 0; c < N_CH; c++)
        for (t = 0; t < n_times; t++) {
            double want = 1000.0 * c + (double)start + t + offset;
            if (fabs(x[c * n_times + t] - want) > 1e-3 * (1 + fabs(want)) * 1e-3 + 1e-3) return 0;
        }
    return 1;
}

static void check_fixed_windows(void) {
    eegnn_raw *raws[4];
    const char *names[4] = {"sub-01_task-rest_run-1", "sub-01_task-rest_run-2", "sub-02_ses-a_task-rest",
                            "sub-03_task-rest"};
    const char *tsv = "participant_id\tage\tgroup\nsub-01\t10.5\tpatient\nsub-02\t8\tcontrol\nsub-03\tn/a\tn/a\n";
    eegnn_table *p = eegnn_table_parse_tsv(tsv, strlen(tsv), "participants.tsv");
    eegnn_dataset_config cfg;
    eegnn_dataset *ds;
    float x[N_CH * 400], y;
    int i;
    raws[0] = make_raw(1000, 0, NULL);
    raws[1] = make_raw(450, 0.25f, NULL);
    raws[2] = make_raw(199, 0, NULL); /* shorter than one window */
    raws[3] = make_raw(1000, 0, NULL);
    memset(&cfg, 0, sizeof cfg);
    cfg.target = "participants:age";
    cfg.stride_seconds = 1.0;
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 4, p, &cfg);
    CHECK(ds != NULL, "fixed windows: %s", eegnn_last_error());
    if (ds) {
        /* 2 s windows every 1 s: (1000 - 200) / 100 + 1 = 9 and (450 - 200) / 100 + 1 = 3; sub-02: none;
         * sub-03: n/a age -> skipped */
        CHECK(eegnn_dataset_n_windows(ds) == 12, "windows %d, expected 12", eegnn_dataset_n_windows(ds));
        CHECK(eegnn_dataset_n_times(ds) == 200 && eegnn_dataset_n_channels(ds) == N_CH &&
                  eegnn_dataset_sfreq(ds) == SFREQ,
              "shape");
        CHECK(eegnn_dataset_n_classes(ds) == 0, "age is a regression target");
        CHECK(eegnn_dataset_n_skipped_subjects(ds) == 1, "skipped subjects %d", eegnn_dataset_n_skipped_subjects(ds));
        /* sub-02 has no full window: neither its recording nor its group is kept */
        CHECK(eegnn_dataset_n_groups(ds) == 1 && strcmp(eegnn_dataset_group_name(ds, 0), "sub-01") == 0 &&
                  eegnn_dataset_n_recordings(ds) == 2,
              "groups by subject: %d", eegnn_dataset_n_groups(ds));
        for (i = 0; i < eegnn_dataset_n_windows(ds); i++) {
            int r = eegnn_dataset_recording(ds, i);
            int64_t start = eegnn_dataset_start(ds, i);
            int64_t want_start = r == 0 ? 100 * i : 100 * (i - 9);
            CHECK(eegnn_dataset_get(ds, i, x, &y) == EEGNN_OK, "get %d", i);
            CHECK(start == want_start && y == 10.5f, "window %d: start %lld y %g", i, (long long)start, y);
            CHECK(window_ok(x, 200, start, r == 0 ? 0.0f : 0.25f), "window %d samples", i);
            CHECK(strcmp(eegnn_dataset_subject(ds, i), "01") == 0, "subject of window %d", i);
        }
        CHECK(eegnn_dataset_get(ds, 12, x, &y) == EEGNN_ERR_ARG, "index out of range");
        eegnn_dataset_free(ds);
    }
    /* categorical target, split by run, scale 1 (volts) */
    cfg.target = "participants:group";
    cfg.split = "run";
    cfg.scale = 1.0;
    raws[2]->n_times = 199;
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 4, p, &cfg);
    CHECK(ds != NULL, "categorical: %s", eegnn_last_error());
    if (ds) {
        CHECK(eegnn_dataset_n_classes(ds) == 1 && strcmp(eegnn_dataset_class_name(ds, 0), "patient") == 0,
              "levels of the subjects that have windows: %d", eegnn_dataset_n_classes(ds));
        CHECK(eegnn_dataset_n_groups(ds) == 2 && strcmp(eegnn_dataset_group_name(ds, 1), "sub-01_task-rest_run-2") == 0,
              "groups by run");
        eegnn_dataset_get(ds, 0, x, &y);
        CHECK(fabs(x[1 * 200 + 5] - 1005e-6) < 1e-9, "scale 1 keeps volts: %g", x[205]);
        eegnn_dataset_free(ds);
    }
    /* sub-02 long enough now: two classes sorted (control < patient) */
    free_raw(raws[2]);
    raws[2] = make_raw(400, 0, NULL);
    cfg.split = "session";
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 4, p, &cfg);
    CHECK(ds && eegnn_dataset_n_classes(ds) == 2 && strcmp(eegnn_dataset_class_name(ds, 0), "control") == 0 &&
              strcmp(eegnn_dataset_group_name(ds, 1), "sub-02_ses-a") == 0,
          "two sorted levels, session groups");
    if (ds) {
        int last = eegnn_dataset_n_windows(ds) - 1;
        CHECK(eegnn_dataset_target(ds, last) == 0.0f && eegnn_dataset_target(ds, 0) == 1.0f, "labels");
    }
    eegnn_dataset_free(ds);
    /* task filter that matches nothing, unknown column, bad target, mismatched channels */
    cfg.task = "other";
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 4, p, &cfg);
    CHECK(!ds && strstr(eegnn_last_error(), "no window"), "no window: %s", eegnn_last_error());
    cfg.task = "rest, other";
    cfg.target = "participants:iq";
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 4, p, &cfg);
    CHECK(!ds && strstr(eegnn_last_error(), "participants.tsv: no column 'iq'"), "no column: %s", eegnn_last_error());
    cfg.target = "age";
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 4, p, &cfg);
    CHECK(!ds && eegnn_last_error()[0], "bad target accepted");
    cfg.target = "participants:age";
    raws[1]->ch_names[0] = (char *)"Fz";
    raws[1]->path = (char *)"sub-01_task-rest_run-2_eeg.edf";
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 4, p, &cfg);
    CHECK(!ds && strstr(eegnn_last_error(), "sub-01_task-rest_run-2_eeg.edf: channel 1 is 'Fz'"),
          "channel mismatch: %s", eegnn_last_error());
    raws[1]->ch_names[0] = (char *)"Cz";
    raws[1]->sfreq = 128;
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 4, p, &cfg);
    CHECK(!ds && strstr(eegnn_last_error(), "sampling rate 128 Hz"), "rate mismatch: %s", eegnn_last_error());
    for (i = 0; i < 4; i++) free_raw(raws[i]);
    eegnn_table_free(p);
}

static void check_event_windows(void) {
    eegnn_raw *raws[2];
    const char *names[2] = {"sub-01_task-motor_run-1", "sub-02_task-motor_run-1"};
    eegnn_dataset_config cfg;
    eegnn_dataset *ds;
    float x[N_CH * 200], y;
    raws[0] = make_raw(1000, 0, NULL);
    raws[1] = make_raw(1000, 0.5f, NULL);
    add_annotation(raws[0], 1.0, "left");
    add_annotation(raws[0], 2.004, "rest");    /* not a wanted class */
    add_annotation(raws[0], 3.126, "right");   /* onset sample round(312.6) = 313 */
    add_annotation(raws[0], 8.0, "left");      /* 8.0 + 2.5 s > 10 s: outside */
    add_annotation(raws[0], -0.6, "right");    /* starts before the recording */
    add_annotation(raws[1], 7.5, "right");     /* ends exactly at sample 1000: kept */
    memset(&cfg, 0, sizeof cfg);
    cfg.target = "events:left,right";
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 2, NULL, &cfg);
    CHECK(ds != NULL, "event windows: %s", eegnn_last_error());
    if (ds) {
        CHECK(eegnn_dataset_n_windows(ds) == 3 && eegnn_dataset_n_skipped_events(ds) == 2,
              "3 windows, 2 skipped: %d %d", eegnn_dataset_n_windows(ds), eegnn_dataset_n_skipped_events(ds));
        CHECK(eegnn_dataset_n_times(ds) == 200 && eegnn_dataset_n_classes(ds) == 2, "2 s, 2 classes");
        CHECK(eegnn_dataset_start(ds, 0) == 150 && eegnn_dataset_target(ds, 0) == 0.0f, "left at 1 s + 0.5 s");
        CHECK(eegnn_dataset_start(ds, 1) == 363 && eegnn_dataset_target(ds, 1) == 1.0f, "right at 313 + 50: %lld",
              (long long)eegnn_dataset_start(ds, 1));
        CHECK(eegnn_dataset_start(ds, 2) == 800 && eegnn_dataset_group(ds, 2) == 1, "kept at the end");
        eegnn_dataset_get(ds, 1, x, &y);
        CHECK(window_ok(x, 200, 363, 0.0f) && y == 1.0f, "event window samples");
        eegnn_dataset_get(ds, 2, x, &y);
        CHECK(window_ok(x, 200, 800, 0.5f), "last window samples");
        eegnn_dataset_free(ds);
    }
    /* tmin -0.2, tmax 0.3: 50 samples; the -0.6 s event still starts before the recording, the 8 s one fits */
    cfg.tmin = -0.2;
    cfg.tmax = 0.3;
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 2, NULL, &cfg);
    CHECK(ds && eegnn_dataset_n_times(ds) == 50 && eegnn_dataset_n_windows(ds) == 4 &&
              eegnn_dataset_n_skipped_events(ds) == 1 && eegnn_dataset_start(ds, 0) == 80,
          "negative tmin");
    eegnn_dataset_free(ds);
    cfg.tmin = 1.0;
    cfg.tmax = 1.0;
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 2, NULL, &cfg);
    CHECK(!ds && strstr(eegnn_last_error(), "tmax"), "tmax == tmin: %s", eegnn_last_error());
    free_raw(raws[0]);
    free_raw(raws[1]);
}

static void check_splits(void) {
    int n, seed, assign[64], count[3];
    int again[64];
    for (n = 3; n <= 40; n++)
        for (seed = 0; seed < 20; seed++) {
            int i;
            CHECK(eegnn_split_groups(n, 0.2, 0.2, (uint64_t)seed, assign) == EEGNN_OK, "split %d", n);
            count[0] = count[1] = count[2] = 0;
            for (i = 0; i < n; i++) {
                CHECK(assign[i] >= 0 && assign[i] <= 2, "assign value");
                count[assign[i]]++;
            }
            CHECK(count[0] >= 1 && count[1] >= 1 && count[2] >= 1, "empty split n=%d seed=%d", n, seed);
            if (n >= 10) {
                int want = (int)floor(0.2 * n + 0.5);
                CHECK(count[1] == want && count[2] == want, "n=%d: valid %d test %d, want %d", n, count[1], count[2],
                      want);
            }
            eegnn_split_groups(n, 0.2, 0.2, (uint64_t)seed, again);
            CHECK(memcmp(assign, again, (size_t)n * sizeof(int)) == 0, "split is deterministic");
        }
    /* different seeds give different splits */
    eegnn_split_groups(40, 0.2, 0.2, 1, assign);
    eegnn_split_groups(40, 0.2, 0.2, 2, again);
    CHECK(memcmp(assign, again, 40 * sizeof(int)) != 0, "seeds 1 and 2 give the same split");
    CHECK(eegnn_split_groups(2, 0.2, 0.2, 0, assign) == EEGNN_ERR_ARG && strstr(eegnn_last_error(), "2 groups"),
          "2 groups: %s", eegnn_last_error());
    CHECK(eegnn_split_groups(2, 0.3, 0.0, 0, assign) == EEGNN_OK && assign[0] + assign[1] == 1, "no test split");
    CHECK(eegnn_split_groups(10, 0.6, 0.5, 0, assign) == EEGNN_ERR_ARG, "fractions over 1");
    CHECK(eegnn_split_groups(10, -0.1, 0.5, 0, assign) == EEGNN_ERR_ARG, "negative fraction");
}

/* eegmmidb-s001 left/right fist (tasks fistexec, fistimag) against mne.Epochs. */
static void check_eegmmidb(void) {
    eegnn_bids_dataset *bids = eegnn_bids_open(test_data_path("bids/eegmmidb-s001"));
    eegnn_dataset_config cfg;
    eegnn_dataset *ds;
    int ndim, i, n_ok = 0, assign[16], g;
    int64_t shape[EEGNN_NPY_MAX_DIMS], lshape[EEGNN_NPY_MAX_DIMS];
    size_t numel = 0, nl = 0;
    float *want = eegnn_npy_read(test_out_path("bids/eegmmidb_epochs.npy"), &ndim, shape, &numel);
    float *labels = eegnn_npy_read(test_out_path("bids/eegmmidb_labels.npy"), &ndim, lshape, &nl);
    float *x;
    double max_err = 0.0;
    CHECK(bids != NULL, "eegmmidb: %s", eegnn_last_error());
    CHECK(want && labels, "MNE epochs missing (run tests/ref_bids.py): %s", eegnn_last_error());
    if (!bids || !want || !labels) {
        eegnn_bids_close(bids);
        eegnn_free(want);
        eegnn_free(labels);
        return;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.task = "fistexec,fistimag";
    cfg.target = "events:left_fist,right_fist";
    cfg.split = "run";
    ds = eegnn_dataset_from_bids(bids, &cfg);
    CHECK(ds != NULL, "eegmmidb windows: %s", eegnn_last_error());
    if (ds) {
        int n = eegnn_dataset_n_windows(ds);
        CHECK(n == (int)shape[0] && n == 90, "%d windows, mne.Epochs keeps %lld", n, (long long)shape[0]);
        CHECK(eegnn_dataset_n_channels(ds) == (int)shape[1] && eegnn_dataset_n_times(ds) == (int)shape[2],
              "window shape %d x %d, MNE %lld x %lld", eegnn_dataset_n_channels(ds), eegnn_dataset_n_times(ds),
              (long long)shape[1], (long long)shape[2]);
        CHECK(eegnn_dataset_n_recordings(ds) == 6 && eegnn_dataset_n_groups(ds) == 6, "6 runs");
        x = (float *)malloc((size_t)shape[1] * (size_t)shape[2] * sizeof(float));
        for (i = 0; i < n && i < (int)shape[0]; i++) {
            float y;
            size_t per = (size_t)shape[1] * (size_t)shape[2];
            double e;
            eegnn_dataset_get(ds, i, x, &y);
            e = test_max_rel_err(x, want + (size_t)i * per, per);
            if (e > max_err) max_err = e;
            if (y == labels[i]) n_ok++;
        }
        CHECK(max_err < 1e-5, "max relative error against mne.Epochs %g", max_err);
        CHECK(n_ok == n, "%d of %d labels match MNE", n_ok, n);
        /* leave-runs-out split: runs never shared */
        g = eegnn_dataset_n_groups(ds);
        CHECK(eegnn_split_groups(g, 0.2, 0.2, 7, assign) == EEGNN_OK, "split 6 runs");
        CHECK(eegnn_dataset_split_indices(ds, assign, 0, NULL) + eegnn_dataset_split_indices(ds, assign, 1, NULL) +
                      eegnn_dataset_split_indices(ds, assign, 2, NULL) ==
                  n,
              "split covers every window");
        printf("test_windows: eegmmidb %d windows of %d x %d, max rel err vs MNE %.3g\n", n,
               eegnn_dataset_n_channels(ds), eegnn_dataset_n_times(ds), max_err);
        free(x);
        eegnn_dataset_free(ds);
    }
    eegnn_bids_close(bids);
    eegnn_free(want);
    eegnn_free(labels);
}

int main(void) {
    check_fixed_windows();
    check_event_windows();
    check_splits();
    check_eegmmidb();
    return test_summary("test_windows");
}
