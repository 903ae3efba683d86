/* Windowed datasets: in-memory recordings with known samples, group splits
 * (plain and stratified), eegmmidb-s001 left/right fist windows and merged
 * classes of the events' value column against mne.Epochs (tests/ref_bids.py
 * writes the MNE epochs), the events target grammar, and the checks that
 * read only the dataset's tables (eegnn_dataset_check). */
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
    /* labels from the annotations: a label no recording has lists those there are, with counts */
    cfg.tmin = cfg.tmax = 0;
    cfg.target = "events:left,typo";
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 2, NULL, &cfg);
    CHECK(!ds && strstr(eegnn_last_error(), "'typo'") && strstr(eegnn_last_error(), "left (2), rest (1), right (3)"),
          "unknown label: %s", eegnn_last_error());
    cfg.target = "events:left";
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 2, NULL, &cfg);
    CHECK(!ds && strstr(eegnn_last_error(), "one class"), "one class: %s", eegnn_last_error());
    /* merged labels, and a class whose only event lies outside the windows' reach */
    cfg.target = "events:move=left+right,rest";
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 2, NULL, &cfg);
    CHECK(ds && eegnn_dataset_n_windows(ds) == 4 && eegnn_dataset_target(ds, 1) == 1.0f &&
              eegnn_dataset_target(ds, 3) == 0.0f,
          "move = left + right, rest: %s", eegnn_last_error());
    eegnn_dataset_free(ds);
    cfg.tmin = 7.9;
    cfg.tmax = 8.2;
    ds = eegnn_dataset_from_raws((const eegnn_raw *const *)raws, names, 2, NULL, &cfg);
    CHECK(!ds && strstr(eegnn_last_error(), "class 'rest'") && strstr(eegnn_last_error(), "no window"),
          "a class without windows: %s", eegnn_last_error());
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

/* A dataset's windows and labels against MNE's epochs (shape: n, C, T) and
 * labels: the worst relative error; *n_ok gets the labels that match. */
static double compare_epochs(const eegnn_dataset *ds, const float *want, const float *labels, const int64_t *shape,
                             int *n_ok) {
    size_t per = (size_t)shape[1] * (size_t)shape[2];
    float *x = (float *)malloc(per * sizeof(float));
    double worst = 0.0;
    int i, n = eegnn_dataset_n_windows(ds);
    *n_ok = 0;
    for (i = 0; i < n && i < (int)shape[0]; i++) {
        float y;
        double e;
        eegnn_dataset_get(ds, i, x, &y);
        e = test_max_rel_err(x, want + (size_t)i * per, per);
        if (e > worst) worst = e;
        *n_ok += y == labels[i];
    }
    free(x);
    return worst;
}

/* eegmmidb-s001 left/right fist (tasks fistexec, fistimag) against mne.Epochs. */
static void check_eegmmidb(void) {
    eegnn_bids_dataset *bids = eegnn_bids_open(test_data_path("bids/eegmmidb-s001"));
    eegnn_dataset_config cfg;
    eegnn_dataset *ds;
    int ndim, n_ok = 0, assign[16], g;
    int64_t shape[EEGNN_NPY_MAX_DIMS], lshape[EEGNN_NPY_MAX_DIMS];
    size_t numel = 0, nl = 0;
    float *want = eegnn_npy_read(test_out_path("bids/eegmmidb_epochs.npy"), &ndim, shape, &numel);
    float *labels = eegnn_npy_read(test_out_path("bids/eegmmidb_labels.npy"), &ndim, lshape, &nl);
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
        max_err = compare_epochs(ds, want, labels, shape, &n_ok);
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
        eegnn_dataset_free(ds);
    }
    eegnn_bids_close(bids);
    eegnn_free(want);
    eegnn_free(labels);
}

/* events:CLASS[,CLASS...] with CLASS = LABEL | NAME=LABEL[+LABEL...] */
static void check_event_classes(void) {
    static const char *const bad[] = {"events:", "events:a,,b", "events:=x,b", "events:a=,b", "events:a=x+,b",
                                      "events:a=x=y,b", "events:a,a", "events:a=x,b=x", "events:a=x+x,b", "left,right",
                                      "events:a, =b"};
    eegnn_event_classes *ec = eegnn_event_classes_parse("events:left=T1, right = T2+T3,rest,left_fist+right_fist");
    size_t k;
    CHECK(ec != NULL, "parse: %s", eegnn_last_error());
    if (ec) {
        CHECK(ec->n_classes == 4 && ec->n_labels == 5, "%d classes, %d labels", ec->n_classes, ec->n_labels);
        CHECK(!strcmp(ec->names[0], "left") && !strcmp(ec->names[1], "right") && !strcmp(ec->names[2], "rest") &&
                  !strcmp(ec->names[3], "left_fist+right_fist"),
              "class names");
        CHECK(eegnn_event_classes_find(ec, "T1") == 0 && eegnn_event_classes_find(ec, "T2") == 1 &&
                  eegnn_event_classes_find(ec, "T3") == 1 && eegnn_event_classes_find(ec, "rest") == 2 &&
                  eegnn_event_classes_find(ec, "left_fist+right_fist") == 3,
              "label -> class");
        CHECK(eegnn_event_classes_find(ec, "left") == -1 && eegnn_event_classes_find(ec, "left_fist") == -1 &&
                  eegnn_event_classes_find(ec, NULL) == -1,
              "names and parts of an unnamed label are not labels");
        eegnn_event_classes_free(ec);
    }
    for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ec = eegnn_event_classes_parse(bad[k]);
        CHECK(ec == NULL && strlen(eegnn_last_error()) > 10, "'%s' is refused: %s", bad[k], eegnn_last_error());
        eegnn_event_classes_free(ec);
    }
}

/* Stratified splits: groups of known class counts, the numbers of groups
 * of each class in each split worked out by hand. */
static void check_stratified(void) {
    int cnt[30 * 3], assign[30], i, s, k, count[3][3], fold_count[5][3], valid_times[30];
    /* 20 single-class groups of class 0 and 10 of class 1, 5 windows each */
    memset(cnt, 0, sizeof cnt);
    for (i = 0; i < 30; i++) cnt[i * 2 + ((i * 7) % 3 == 0)] = 5;
    CHECK(eegnn_split_groups_stratified(30, 2, cnt, 0.2, 0.2, 5, assign) == EEGNN_OK, "split: %s", eegnn_last_error());
    memset(count, 0, sizeof count);
    for (i = 0; i < 30; i++) count[assign[i]][cnt[i * 2] ? 0 : 1]++;
    /* 6 test and 6 valid groups as eegnn_split_groups, each 4 of class 0 and 2 of class 1 */
    CHECK(count[2][0] == 4 && count[2][1] == 2 && count[1][0] == 4 && count[1][1] == 2,
          "test %d+%d, valid %d+%d groups (want 4+2 each)", count[2][0], count[2][1], count[1][0], count[1][1]);
    /* runs as in eegmmidb: 3 with 15 + 8 windows of two classes, 3 with 15 of the first only; the one valid
       and the one test group are mixed ones, whatever the seed */
    for (k = 0; k < 8; k++) {
        int mixed_eval = 0;
        memset(cnt, 0, sizeof cnt);
        for (i = 0; i < 6; i++) {
            cnt[i * 2] = 15;
            cnt[i * 2 + 1] = i % 2 ? 8 : 0;
        }
        CHECK(eegnn_split_groups_stratified(6, 2, cnt, 0.2, 0.2, (uint64_t)k, assign) == EEGNN_OK, "runs");
        for (i = 0; i < 6; i++) mixed_eval += assign[i] != 0 && i % 2;
        CHECK(mixed_eval == 2, "seed %d: %d of the 2 held-out runs have both classes", k, mixed_eval);
    }
    /* plain split sizes are kept: 10 groups, 2 valid + 2 test */
    memset(cnt, 0, sizeof cnt);
    for (i = 0; i < 10; i++) cnt[i * 2 + (i == 3)] = 4;
    CHECK(eegnn_split_groups_stratified(10, 2, cnt, 0.2, 0.2, 1, assign) == EEGNN_OK, "small stratum");
    memset(count, 0, sizeof count);
    for (i = 0; i < 10; i++) count[assign[i]][0]++;
    CHECK(count[0][0] == 6 && count[1][0] == 2 && count[2][0] == 2, "6/2/2 groups");
    cnt[5] = -1;
    CHECK(eegnn_split_groups_stratified(10, 2, cnt, 0.2, 0.2, 1, assign) == EEGNN_ERR_ARG, "negative count");
    CHECK(eegnn_split_groups_stratified(2, 2, cnt, 0.2, 0.2, 1, assign) == EEGNN_ERR_ARG, "too few groups");
    CHECK(eegnn_split_groups_stratified(10, 2, NULL, 0.2, 0.2, 1, assign) == EEGNN_ERR_ARG, "no counts");
    /* deterministic for a seed, and the seed matters */
    memset(cnt, 0, sizeof cnt);
    for (i = 0; i < 30; i++) cnt[i * 3 + i % 3] = 1 + i % 4;
    {
        int a2[30], a3[30], same = 1, differ = 0;
        eegnn_split_groups_stratified(30, 3, cnt, 0.2, 0.2, 9, assign);
        eegnn_split_groups_stratified(30, 3, cnt, 0.2, 0.2, 9, a2);
        eegnn_split_groups_stratified(30, 3, cnt, 0.2, 0.2, 10, a3);
        for (i = 0; i < 30; i++) {
            same &= assign[i] == a2[i];
            differ |= assign[i] != a3[i];
        }
        CHECK(same && differ, "deterministic per seed");
    }
    /* stratified 5-fold of 10 + 10 + 10 single-class groups: each group validates once, each fold holds 2 of
       each class */
    for (i = 0; i < 30; i++) cnt[i * 3 + i % 3] = 3;
    memset(fold_count, 0, sizeof fold_count);
    memset(valid_times, 0, sizeof valid_times);
    for (k = 0; k < 5; k++) {
        CHECK(eegnn_kfold_groups(30, 3, cnt, 5, k, 3, assign) == EEGNN_OK, "fold %d", k);
        for (i = 0; i < 30; i++)
            if (assign[i] == 1) {
                fold_count[k][i % 3]++;
                valid_times[i]++;
            }
    }
    for (k = 0; k < 5; k++)
        for (s = 0; s < 3; s++) CHECK(fold_count[k][s] == 2, "fold %d class %d: %d groups", k, s, fold_count[k][s]);
    for (i = 0; i < 30; i++) CHECK(valid_times[i] == 1, "group %d validates %d times", i, valid_times[i]);
    /* without classes: GroupKFold with shuffled groups, 6 per fold */
    for (k = 0; k < 5; k++) {
        int n = 0;
        eegnn_kfold_groups(30, 0, NULL, 5, k, 3, assign);
        for (i = 0; i < 30; i++) n += assign[i];
        CHECK(n == 6, "plain fold %d has %d groups", k, n);
    }
    CHECK(eegnn_kfold_groups(3, 0, NULL, 5, 0, 3, assign) == EEGNN_ERR_ARG, "3 groups, 5 folds");
    CHECK(eegnn_kfold_groups(30, 0, NULL, 5, 5, 3, assign) == EEGNN_ERR_ARG, "fold 5 of 5");
}

typedef struct progress_log {
    int calls, last_read, last_total, last_windows, monotonic;
} progress_log;

static void on_progress(void *user, int n_read, int n_total, int n_windows) {
    progress_log *p = (progress_log *)user;
    if (p->calls && (n_read != p->last_read + 1 || n_windows < p->last_windows)) p->monotonic = 0;
    p->calls++;
    p->last_read = n_read;
    p->last_total = n_total;
    p->last_windows = n_windows;
}

/* events:move=T1+T2,rest=T0 on the value column against mne.merge_events +
 * mne.Epochs; the loading progress callback. */
static void check_merged_value_column(void) {
    eegnn_bids_dataset *bids = eegnn_bids_open(test_data_path("bids/eegmmidb-s001"));
    eegnn_dataset_config cfg;
    eegnn_dataset *ds;
    int ndim, n_ok = 0;
    int64_t shape[EEGNN_NPY_MAX_DIMS], lshape[EEGNN_NPY_MAX_DIMS];
    size_t numel = 0, nl = 0;
    float *want = eegnn_npy_read(test_out_path("bids/eegmmidb_merged_epochs.npy"), &ndim, shape, &numel);
    float *labels = eegnn_npy_read(test_out_path("bids/eegmmidb_merged_labels.npy"), &ndim, lshape, &nl);
    double max_err = 0.0;
    progress_log pl = {0, 0, 0, 0, 1};
    CHECK(bids && want && labels, "merged epochs (run tests/ref_bids.py): %s", eegnn_last_error());
    if (!bids || !want || !labels) {
        eegnn_bids_close(bids);
        eegnn_free(want);
        eegnn_free(labels);
        return;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.task = "fistexec,fistimag";
    cfg.target = "events:move=T1+T2,rest=T0";
    cfg.event_column = "value";
    cfg.split = "run";
    cfg.progress = on_progress;
    cfg.progress_user = &pl;
    ds = eegnn_dataset_from_bids(bids, &cfg);
    CHECK(ds != NULL, "merged classes: %s", eegnn_last_error());
    if (ds) {
        int n = eegnn_dataset_n_windows(ds);
        CHECK(n == (int)shape[0], "%d windows, mne.Epochs keeps %lld", n, (long long)shape[0]);
        CHECK(eegnn_dataset_n_classes(ds) == 2 && !strcmp(eegnn_dataset_class_name(ds, 0), "move") &&
                  !strcmp(eegnn_dataset_class_name(ds, 1), "rest"),
              "classes move, rest");
        max_err = compare_epochs(ds, want, labels, shape, &n_ok);
        CHECK(max_err < 1e-5, "max relative error against mne.Epochs %g", max_err);
        CHECK(n_ok == n, "%d of %d labels match mne.merge_events", n_ok, n);
        CHECK(pl.calls == 7 && pl.last_read == 6 && pl.last_total == 6 && pl.last_windows == n && pl.monotonic,
              "progress: %d calls, last %d/%d, %d windows", pl.calls, pl.last_read, pl.last_total, pl.last_windows);
        printf("test_windows: events:move=T1+T2,rest=T0 (value column) %d windows, max rel err vs MNE %.3g\n", n,
               max_err);
        eegnn_dataset_free(ds);
    }
    eegnn_bids_close(bids);
    eegnn_free(want);
    eegnn_free(labels);
}

/* One eegnn_dataset_check failure: status and the words the message must hold. */
static void expect_check(const eegnn_bids_dataset *bids, const eegnn_dataset_config *cfg, eegnn_status want,
                         const char *const *words) {
    eegnn_status st = eegnn_dataset_check(bids, cfg, NULL);
    int ok = st == want;
    for (; ok && *words; words++) ok = strstr(eegnn_last_error(), *words) != NULL;
    CHECK(ok, "check of %s%s%s: status %d (want %d): %s", cfg->target, cfg->split ? " split " : "",
          cfg->split ? cfg->split : "", st, want, eegnn_last_error());
}

/* The checks that read only the tables, on the real datasets. */
static void check_dataset_checks(void) {
    eegnn_bids_dataset *mmi = eegnn_bids_open(test_data_path("bids/eegmmidb-s001"));
    eegnn_bids_dataset *mat = eegnn_bids_open(test_data_path("bids/eegmat"));
    eegnn_dataset_config c;
    eegnn_dataset_plan plan;
    CHECK(mmi && mat, "datasets: %s", eegnn_last_error());
    if (!mmi || !mat) goto done;
    memset(&c, 0, sizeof c);
    c.target = "events:rest,typo";
    {
        const char *w[] = {"'typo'", "trial_type", "both_feet (46)", "rest (180)", "right_fist (44)", NULL};
        expect_check(mmi, &c, EEGNN_ERR_NOT_FOUND, w);
    }
    c.target = "events:left_fist+right_fist,rest";
    {
        const char *w[] = {"'left_fist+right_fist'", "NAME=A+B", NULL};
        expect_check(mmi, &c, EEGNN_ERR_NOT_FOUND, w);
    }
    c.target = "events:T1,T2";
    {
        const char *w[] = {"'T1'", "--event-column", NULL};
        expect_check(mmi, &c, EEGNN_ERR_NOT_FOUND, w);
    }
    c.event_column = "value";
    c.task = "fistexec";
    CHECK(eegnn_dataset_check(mmi, &c, &plan) == EEGNN_OK && plan.classification && plan.n_classes == 2 &&
              plan.n_recordings == 3 && plan.n_subjects == 1 && plan.n_groups == 1,
          "events:T1,T2 on value: %s (%d recordings, %d groups)", eegnn_last_error(), plan.n_recordings, plan.n_groups);
    c.split = "run";
    CHECK(eegnn_dataset_check(mmi, &c, &plan) == EEGNN_OK && plan.n_groups == 3, "3 run groups");
    c.event_column = "nope";
    {
        const char *w[] = {"no column 'nope'", "_events.tsv", "onset, duration, trial_type, value, sample", NULL};
        expect_check(mmi, &c, EEGNN_ERR_NOT_FOUND, w);
    }
    c.event_column = NULL;
    c.task = "fistexe";
    c.target = "events:rest,left_fist";
    {
        const char *w[] = {"task 'fistexe'", "fistexec", "fistfeetimag", NULL};
        expect_check(mmi, &c, EEGNN_ERR_NOT_FOUND, w);
    }
    c.task = NULL;
    c.target = "events:rest";
    {
        const char *w[] = {"one class", NULL};
        expect_check(mmi, &c, EEGNN_ERR_ARG, w);
    }
    c.target = "participants:age";
    c.split = NULL;
    {
        const char *w[] = {"every selected subject's value is n/a", NULL};
        expect_check(mmi, &c, EEGNN_ERR_NOT_FOUND, w);
    }
    c.tmin = 1;
    c.tmax = 0.5;
    CHECK(eegnn_dataset_check(mat, &c, NULL) == EEGNN_OK, "tmin/tmax do not matter to participants targets: %s",
          eegnn_last_error());
    c.target = "events:rest,left_fist";
    {
        const char *w[] = {"tmax", NULL};
        expect_check(mmi, &c, EEGNN_ERR_ARG, w);
    }
    c.tmin = c.tmax = 0;
    c.crop_seconds = 1;
    {
        const char *w[] = {"crops", "participants target", NULL};
        expect_check(mmi, &c, EEGNN_ERR_ARG, w);
    }
    c.crop_seconds = 0;
    /* eegmat: no runs, no sessions, no value column */
    c.target = "events:rest,arithmetic";
    c.split = "run";
    {
        const char *w[] = {"split unit 'run'", "none of the 48 selected recordings", "sub, task", NULL};
        expect_check(mat, &c, EEGNN_ERR_ARG, w);
    }
    c.split = "session";
    {
        const char *w[] = {"split unit 'session'", "ses", NULL};
        expect_check(mat, &c, EEGNN_ERR_ARG, w);
    }
    c.split = NULL;
    CHECK(eegnn_dataset_check(mat, &c, &plan) == EEGNN_OK && plan.n_groups == 24 && plan.n_recordings == 48,
          "eegmat events: %s", eegnn_last_error());
    c.target = "participants:agee";
    {
        const char *w[] = {"no column 'agee'", "participant_id, age, sex", NULL};
        expect_check(mat, &c, EEGNN_ERR_NOT_FOUND, w);
    }
    c.target = "participants:sex";
    CHECK(eegnn_dataset_check(mat, &c, &plan) == EEGNN_OK && plan.classification && plan.n_classes == 2 &&
              plan.n_subjects == 24,
          "participants:sex: %s", eegnn_last_error());
    c.target = "participants:age";
    CHECK(eegnn_dataset_check(mat, &c, &plan) == EEGNN_OK && !plan.classification && plan.n_classes == 0,
          "participants:age is a regression");
    c.target = "whatever";
    {
        const char *w[] = {"'whatever'", "participants:COLUMN", NULL};
        expect_check(mat, &c, EEGNN_ERR_ARG, w);
    }
done:
    eegnn_bids_close(mmi);
    eegnn_bids_close(mat);
}

int main(void) {
    check_fixed_windows();
    check_event_windows();
    check_splits();
    check_eegmmidb();
    check_event_classes();
    check_stratified();
    check_merged_value_column();
    check_dataset_checks();
    return test_summary("test_windows");
}
