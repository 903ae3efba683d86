/* TSV, JSON and BIDS walking against pandas, Python's json and a glob/regex
 * listing (tests/ref_bids.py), plus malformed inputs. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"
#include <sys/stat.h>

/* Writes a whole file (test fixtures); returns 0 on failure. */
static int write_file(const char *path, const char *text) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fputs(text, fp);
    return fclose(fp) == 0;
}

static eegnn_table *cached_table(const char *rel) {
    static char cached_rel[512];
    static eegnn_table *t;
    if (!rel) {
        eegnn_table_free(t);
        t = NULL;
        return NULL;
    }
    if (t && strcmp(cached_rel, rel) == 0) return t;
    eegnn_table_free(t);
    snprintf(cached_rel, sizeof cached_rel, "%s", rel);
    t = eegnn_table_read_tsv(test_data_path(rel));
    CHECK(t != NULL, "%s: %s", rel, eegnn_last_error());
    return t;
}

static void check_reference(void) {
    FILE *fp = fopen(test_out_path("bids/bids.txt"), "r");
    char line[4096];
    int n_facts = 0;
    eegnn_bids_dataset *ds = NULL;
    char ds_name[256] = "";
    eegnn_bids_events *ev = NULL;
    char ev_rel[512] = "";
    CHECK(fp != NULL, "cannot open %s (run tests/ref_bids.py first)", test_out_path("bids/bids.txt"));
    if (!fp) return;
    while (fgets(line, sizeof line, fp)) {
        char kind[32], rel[512], a[256], b[256], c[256], d[256], e[256];
        int i1, i2, i3, i4;
        double v, v2;
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "%31s", kind) != 1) continue;
        n_facts++;
        if (strcmp(kind, "table") == 0 && sscanf(line, "table %511s %d %d", rel, &i1, &i2) == 3) {
            eegnn_table *t = cached_table(rel);
            if (t) CHECK(t->n_rows == i1 && t->n_cols == i2, "%s: %d x %d, pandas %d x %d", rel, t->n_rows,
                         t->n_cols, i1, i2);
        } else if (strcmp(kind, "column") == 0 &&
                   sscanf(line, "column %511s %d %255s %d %d %d", rel, &i1, a, &i2, &i3, &i4) == 6) {
            eegnn_table *t = cached_table(rel);
            const char **levels = NULL;
            int col, nl;
            if (!t) continue;
            col = eegnn_table_column(t, a);
            CHECK(col == i1, "%s: column %s at %d, pandas %d", rel, a, col, i1);
            CHECK(eegnn_table_column_is_numeric(t, col) == i2, "%s: %s numeric %d, pandas %d", rel, a,
                  eegnn_table_column_is_numeric(t, col), i2);
            CHECK(eegnn_table_missing_count(t, col) == i3, "%s: %s missing %d, pandas %d", rel, a,
                  eegnn_table_missing_count(t, col), i3);
            if (!i2) {
                nl = eegnn_table_column_levels(t, col, &levels);
                CHECK(nl == i4, "%s: %s has %d levels, pandas %d", rel, a, nl, i4);
                eegnn_free((void *)levels);
            }
        } else if (strcmp(kind, "value") == 0 && sscanf(line, "value %511s %255s %d %lf", rel, a, &i1, &v) == 4) {
            eegnn_table *t = cached_table(rel);
            double *col_v;
            if (!t) continue;
            col_v = (double *)malloc(((size_t)t->n_rows + 1) * sizeof(double));
            CHECK(eegnn_table_column_numeric(t, eegnn_table_column(t, a), col_v) == EEGNN_OK, "%s: %s: %s", rel, a,
                  eegnn_last_error());
            if (isnan(v)) CHECK(isnan(col_v[i1]), "%s: %s row %d should be NaN", rel, a, i1);
            else CHECK(col_v[i1] == v, "%s: %s row %d: %.17g, pandas %.17g", rel, a, i1, col_v[i1], v);
            free(col_v);
        } else if (strcmp(kind, "text") == 0 && sscanf(line, "text %511s %255s %d %255s", rel, a, &i1, b) == 4) {
            eegnn_table *t = cached_table(rel);
            const char *cell;
            if (!t) continue;
            cell = eegnn_table_cell(t, i1, eegnn_table_column(t, a));
            CHECK(strcmp(cell ? cell : "n/a", b) == 0, "%s: %s row %d '%s', pandas '%s'", rel, a, i1,
                  cell ? cell : "n/a", b);
        } else if (strcmp(kind, "recordings") == 0 && sscanf(line, "recordings %63s %d", a, &i1) == 2) {
            char root[512];
            eegnn_bids_close(ds);
            snprintf(ds_name, sizeof ds_name, "%s", a);
            snprintf(root, sizeof root, "bids/%s", a);
            ds = eegnn_bids_open(test_data_path(root));
            CHECK(ds != NULL, "%s: %s", a, eegnn_last_error());
            if (ds) CHECK(ds->n_recordings == i1, "%s: %d recordings, glob finds %d", a, ds->n_recordings, i1);
        } else if (strcmp(kind, "recording") == 0 &&
                   sscanf(line, "recording %63s %d %255s %255s %255s %255s %255s", a, &i1, b, c, d, e, rel) == 7) {
            const eegnn_bids_recording *r;
            if (!ds || i1 >= ds->n_recordings) continue;
            r = &ds->recordings[i1];
            CHECK(strcmp(r->name, b) == 0, "%s[%d]: name %s, expected %s", a, i1, r->name, b);
            CHECK(strcmp(r->sub, c) == 0, "%s[%d]: sub", a, i1);
            CHECK(strcmp(r->ses ? r->ses : "-", d) == 0, "%s[%d]: ses %s vs %s", a, i1, r->ses ? r->ses : "-", d);
            CHECK(strcmp(r->task ? r->task : "-", e) == 0, "%s[%d]: task", a, i1);
            CHECK(strcmp(r->run ? r->run : "-", rel) == 0, "%s[%d]: run", a, i1);
            CHECK(r->events_path && r->channels_path && r->sidecar_path, "%s[%d]: sidecars not found", a, i1);
            CHECK(r->participant_row == 0, "%s[%d]: participant row %d", a, i1, r->participant_row);
        } else if (strcmp(kind, "bidsversion") == 0 && sscanf(line, "bidsversion %63s %255s", a, b) == 2) {
            CHECK(ds && ds->bids_version && strcmp(ds->bids_version, b) == 0, "%s: BIDSVersion", a);
        } else if (strcmp(kind, "events") == 0 && sscanf(line, "events %511s %d", rel, &i1) == 2) {
            eegnn_bids_recording fake;
            memset(&fake, 0, sizeof fake);
            fake.path = (char *)"events";
            snprintf(ev_rel, sizeof ev_rel, "%s", test_data_path(rel));
            fake.events_path = ev_rel;
            eegnn_bids_events_free(ev);
            ev = eegnn_bids_load_events(&fake);
            CHECK(ev && ev->n == i1, "%s: %d events, pandas %d (%s)", rel, ev ? ev->n : -1, i1, eegnn_last_error());
        } else if (strcmp(kind, "event") == 0 &&
                   sscanf(line, "event %511s %d %lf %lf %255s %255s %d", rel, &i1, &v, &v2, a, b, &i2) == 7) {
            const eegnn_bids_event *x;
            if (!ev || i1 >= ev->n) continue;
            x = &ev->events[i1];
            CHECK(x->onset == v && x->duration == v2 && x->sample == i2, "%s row %d: %g %g %lld", rel, i1, x->onset,
                  x->duration, (long long)x->sample);
            CHECK(x->trial_type && strcmp(x->trial_type, a) == 0, "%s row %d: trial_type", rel, i1);
            CHECK(x->value && strcmp(x->value, b) == 0, "%s row %d: value %s vs %s", rel, i1, x->value, b);
        } else if (strcmp(kind, "jsonname") == 0 && sscanf(line, "jsonname %255s", a) == 1) {
            eegnn_json *doc = eegnn_json_read(test_out_path("bids/json_case.json"));
            char hex[512] = "";
            const char *s;
            const eegnn_json *fl, *nested;
            double num = 0;
            size_t k;
            CHECK(doc != NULL, "json_case.json: %s", eegnn_last_error());
            if (!doc) continue;
            s = eegnn_json_get_string(doc, "Name");
            for (k = 0; s && s[k] && k < 200; k++) sprintf(hex + 2 * k, "%02x", (unsigned char)s[k]);
            CHECK(strcmp(hex, a) == 0, "JSON string bytes %s, Python %s", hex, a);
            CHECK(eegnn_json_get_number(doc, "SamplingFrequency", &num) == EEGNN_OK && num == 500.0, "SamplingFrequency");
            CHECK(eegnn_json_get_number(doc, "Count", &num) == EEGNN_OK && num == -12.0, "Count");
            CHECK(eegnn_json_get_number(doc, "Exp", &num) == EEGNN_OK && num == 1.5e-7, "Exp");
            CHECK(eegnn_json_get_number(doc, "Name", &num) == EEGNN_ERR_FORMAT, "Name is not a number");
            CHECK(eegnn_json_get_number(doc, "Missing", &num) == EEGNN_ERR_NOT_FOUND, "absent key");
            fl = eegnn_json_get(doc, "Flags");
            CHECK(fl && fl->type == EEGNN_JSON_ARRAY && fl->n == 3 && fl->items[0].type == EEGNN_JSON_BOOL &&
                      fl->items[0].number == 1 && fl->items[1].number == 0 && fl->items[2].type == EEGNN_JSON_NULL,
                  "Flags array");
            nested = eegnn_json_get(eegnn_json_get(doc, "Nested"), "a");
            CHECK(nested && nested->n == 2 && nested->items[1].n == 2 &&
                      strcmp(eegnn_json_get_string(&nested->items[1].items[1], "b"), "c") == 0,
                  "nested lookup");
            eegnn_json_free(doc);
        }
    }
    fclose(fp);
    CHECK(n_facts > 1000, "only %d reference facts", n_facts);
    printf("test_bids: %d facts from pandas / json / glob checked (last dataset %s)\n", n_facts, ds_name);
    eegnn_bids_events_free(ev);
    eegnn_bids_close(ds);
    cached_table(NULL);
}

static void check_bad_inputs(void) {
    char dir[512], sub[600], eeg[700], path[800];
    eegnn_bids_dataset *ds;
    eegnn_table *t;
    eegnn_json *doc;
    const char *bad_json[] = {"{\"a\": 1,}", "{\"a\" 1}", "[1, 2", "\"abc", "{\"a\": tru}", "01", "[1] x",
                              "{\"a\": \"\\q\"}", "{\"a\": -}"};
    size_t k;

    /* missing root */
    ds = eegnn_bids_open(test_out_path("bids/no_such_dataset"));
    CHECK(!ds && strstr(eegnn_last_error(), "no_such_dataset") && strstr(eegnn_last_error(), "not found") &&
              eegnn_last_status() == EEGNN_ERR_NOT_FOUND,
          "missing root: %s", eegnn_last_error());
    eegnn_clear_error();
    CHECK(eegnn_last_status() == EEGNN_OK && !*eegnn_last_error(), "cleared");
    /* empty folder */
    snprintf(dir, sizeof dir, "%s", test_out_path("bids/empty_dataset"));
    mkdir(dir, 0755);
    ds = eegnn_bids_open(dir);
    CHECK(!ds && strstr(eegnn_last_error(), "no EEG recordings"), "empty folder: %s", eegnn_last_error());

    /* a participants.tsv with a short row, inside a dataset */
    snprintf(dir, sizeof dir, "%s", test_out_path("bids/bad_dataset"));
    snprintf(sub, sizeof sub, "%s/sub-01", dir);
    snprintf(eeg, sizeof eeg, "%s/eeg", sub);
    mkdir(dir, 0755);
    mkdir(sub, 0755);
    mkdir(eeg, 0755);
    snprintf(path, sizeof path, "%s/sub-01_task-x_eeg.edf", eeg);
    CHECK(write_file(path, ""), "cannot write %s", path);
    snprintf(path, sizeof path, "%s/participants.tsv", dir);
    CHECK(write_file(path, "participant_id\tage\tsex\r\nsub-01\t10\tF\r\nsub-02\t11\r\nsub-03\t12\tM\r\n"),
          "cannot write %s", path);
    ds = eegnn_bids_open(dir);
    CHECK(!ds && strstr(eegnn_last_error(), "participants.tsv: line 3 has 2 cells, the header has 3"),
          "short row: %s", eegnn_last_error());
    /* the same file, copied from a real one with a row cut short */
    {
        char *text = NULL;
        size_t len = 0;
        if (eegnn__read_file(test_data_path("hbn-metadata/ds005509-bdf-mini/participants.tsv"), &text, &len) ==
            EEGNN_OK) {
            char *line5 = text;
            int l;
            for (l = 0; l < 4 && line5; l++) line5 = strchr(line5, '\n') ? strchr(line5, '\n') + 1 : NULL;
            if (line5 && strchr(line5, '\t') && strchr(line5, '\n')) {
                char *tab = strchr(line5, '\t');
                char *nl = strchr(line5, '\n');
                memmove(tab, nl, strlen(nl) + 1); /* line 5 keeps only its first cell */
            }
            t = eegnn_table_parse_tsv(text, strlen(text), "copy/participants.tsv");
            CHECK(!t && strstr(eegnn_last_error(), "copy/participants.tsv: line 5 has 1 cells, the header has 24"),
                  "cut row: %s", eegnn_last_error());
            eegnn_table_free(t);
        }
        EEGNN_FREE(text);
    }
    /* a well-formed file: CRLF, missing final newline, n/a and empty cells, a BOM */
    {
        static const char text[] = "\xEF\xBB\xBF" "id\tx\r\na\t1.5\r\nb\tn/a\r\nc\t\r\nd\t-2e3";
        t = eegnn_table_parse_tsv(text, sizeof text - 1, "mem.tsv");
    }
    CHECK(t && t->n_rows == 4 && t->n_cols == 2 && strcmp(t->columns[0], "id") == 0, "BOM/CRLF table: %s",
          eegnn_last_error());
    if (t) {
        double x[4];
        CHECK(eegnn_table_column_numeric(t, 1, x) == EEGNN_OK && x[0] == 1.5 && isnan(x[1]) && isnan(x[2]) &&
                  x[3] == -2000.0,
              "numeric column with n/a");
        CHECK(eegnn_table_missing_count(t, 1) == 2, "missing count");
        CHECK(eegnn_table_column_numeric(t, 0, x) == EEGNN_ERR_FORMAT &&
                  strstr(eegnn_last_error(), "mem.tsv: line 2, column 'id': 'a' is not a number"),
              "non-numeric: %s", eegnn_last_error());
    }
    eegnn_table_free(t);
    t = eegnn_table_read_tsv(test_out_path("bids/none.tsv"));
    CHECK(!t && strstr(eegnn_last_error(), "none.tsv"), "missing tsv: %s", eegnn_last_error());

    /* malformed JSON: errors name the source and byte offset */
    for (k = 0; k < sizeof bad_json / sizeof bad_json[0]; k++) {
        doc = eegnn_json_parse(bad_json[k], strlen(bad_json[k]), "bad.json");
        CHECK(!doc && strstr(eegnn_last_error(), "bad.json: byte "), "bad JSON %s accepted or unclear: %s",
              bad_json[k], eegnn_last_error());
        eegnn_json_free(doc);
    }
    doc = eegnn_json_parse("{\"a\": 1,}", 9, "bad.json");
    CHECK(!doc && strstr(eegnn_last_error(), "byte 8:"), "offset of the trailing comma: %s", eegnn_last_error());
    eegnn_json_free(doc);
    doc = eegnn_json_parse("{\"a\": 1, \"a\": 2}", 16, "dup.json");
    {
        double v = 0;
        CHECK(doc && eegnn_json_get_number(doc, "a", &v) == EEGNN_OK && v == 2.0, "last duplicate key wins");
    }
    eegnn_json_free(doc);
}

/* BIDS inheritance: root-level task sidecars apply unless a closer one exists. */
static void check_inheritance(void) {
    char dir[512], path[900];
    const char *subs[2] = {"01", "02"};
    int s;
    eegnn_bids_dataset *ds;
    snprintf(dir, sizeof dir, "%s", test_out_path("bids/inherit_dataset"));
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/task-rest_eeg.json", dir);
    write_file(path, "{\"SamplingFrequency\": 100, \"RecordingDuration\": 60, \"EEGChannelCount\": 129}");
    snprintf(path, sizeof path, "%s/task-rest_events.tsv", dir);
    write_file(path, "onset\tduration\ttrial_type\n1.0\t0.5\tgo\n");
    snprintf(path, sizeof path, "%s/task-other_events.tsv", dir);
    write_file(path, "onset\tduration\n");
    snprintf(path, sizeof path, "%s/dataset_description.json", dir);
    write_file(path, "{\"Name\": \"inherit\", \"BIDSVersion\": \"1.8.0\"}");
    for (s = 0; s < 2; s++) {
        snprintf(path, sizeof path, "%s/sub-%s", dir, subs[s]);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/sub-%s/ses-1", dir, subs[s]);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/sub-%s/ses-1/eeg", dir, subs[s]);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/sub-%s/ses-1/eeg/sub-%s_ses-1_task-rest_run-10_eeg.bdf", dir, subs[s], subs[s]);
        write_file(path, "");
        snprintf(path, sizeof path, "%s/sub-%s/ses-1/eeg/sub-%s_ses-1_task-rest_run-2_eeg.bdf", dir, subs[s], subs[s]);
        write_file(path, "");
    }
    /* sub-02 overrides the sampling rate at the session level and has its own events */
    snprintf(path, sizeof path, "%s/sub-02/ses-1/sub-02_ses-1_task-rest_eeg.json", dir);
    write_file(path, "{\"SamplingFrequency\": 250}");
    snprintf(path, sizeof path, "%s/sub-02/ses-1/eeg/sub-02_ses-1_task-rest_run-2_events.tsv", dir);
    write_file(path, "onset\ttrial_type\n2.0\tstop\n3.0\tn/a\n");
    ds = eegnn_bids_open(dir);
    CHECK(ds != NULL, "inherit dataset: %s", eegnn_last_error());
    if (!ds) return;
    CHECK(ds->n_recordings == 4 && ds->n_subjects == 2 && !ds->participants, "4 recordings, 2 subjects");
    if (ds->n_recordings == 4) {
        eegnn_bids_events *ev;
        /* run-2 sorts before run-10 (run index is a number) */
        CHECK(strcmp(ds->recordings[0].run, "2") == 0 && strcmp(ds->recordings[1].run, "10") == 0, "run order");
        CHECK(ds->recordings[0].sfreq == 100 && ds->recordings[0].duration == 60 &&
                  ds->recordings[0].n_eeg_channels == 129,
              "root sidecar applies to sub-01");
        CHECK(ds->recordings[2].sfreq == 250 && ds->recordings[2].duration == 60, "session sidecar overrides");
        CHECK(ds->recordings[0].events_path && strstr(ds->recordings[0].events_path, "/task-rest_events.tsv"),
              "root events.tsv applies");
        CHECK(ds->recordings[2].events_path && strstr(ds->recordings[2].events_path, "run-2_events.tsv"),
              "closest events.tsv wins");
        CHECK(!ds->recordings[0].channels_path, "no channels.tsv");
        ev = eegnn_bids_load_events(&ds->recordings[2]);
        CHECK(ev && ev->n == 2 && isnan(ev->events[0].duration) && ev->events[0].sample == -1 &&
                  strcmp(ev->events[0].trial_type, "stop") == 0 && ev->events[1].trial_type == NULL &&
                  ev->events[0].value == NULL,
              "events with absent columns and n/a");
        eegnn_bids_events_free(ev);
        CHECK(strcmp(ds->recordings[0].format, "BDF") == 0 && ds->recordings[0].readable, "BDF format");
    }
    {
        /* the summary survives unreadable (empty) signal files */
        FILE *fp = fopen(test_out_path("bids/summary.txt"), "w");
        CHECK(fp && eegnn_bids_print_summary(ds, fp) == EEGNN_OK, "summary");
        if (fp) fclose(fp);
    }
    eegnn_bids_close(ds);
}

static void check_summary_and_participants(void) {
    eegnn_bids_dataset *ds = eegnn_bids_open(test_data_path("bids/tiny_bids"));
    double v = 0;
    FILE *fp;
    CHECK(ds != NULL, "tiny_bids: %s", eegnn_last_error());
    if (!ds) return;
    CHECK(ds->n_recordings == 1 && strcmp(ds->recordings[0].format, "BrainVision") == 0 &&
              ds->recordings[0].readable && ds->recordings[0].sfreq == 5000.0,
          "tiny_bids BrainVision recording");
    CHECK(eegnn_bids_participant_number(ds, "sub-01", "age", &v) == EEGNN_OK && v == 29.0, "age of sub-01");
    CHECK(eegnn_bids_participant_number(ds, "01", "weight", &v) == EEGNN_OK && isnan(v), "n/a weight");
    CHECK(eegnn_bids_participant_number(ds, "01", "sex", &v) == EEGNN_ERR_FORMAT, "sex is not a number");
    CHECK(eegnn_bids_participant_number(ds, "01", "iq", &v) == EEGNN_ERR_NOT_FOUND, "no iq column");
    CHECK(eegnn_bids_participant_number(ds, "99", "age", &v) == EEGNN_ERR_NOT_FOUND, "no sub-99");
    CHECK(strcmp(eegnn_bids_participant_string(ds, "01", "hand"), "A") == 0, "hand of sub-01");
    fp = fopen(test_out_path("bids/summary_tiny.txt"), "w+");
    CHECK(fp && eegnn_bids_print_summary(ds, fp) == EEGNN_OK, "summary");
    if (fp) {
        char buf[4096];
        size_t n;
        rewind(fp);
        n = fread(buf, 1, sizeof buf - 1, fp);
        buf[n] = '\0';
        CHECK(strstr(buf, "BIDS 1.7.0") && strstr(buf, "Recordings: 1") && strstr(buf, "5000 Hz") &&
                  strstr(buf, "weight") && strstr(buf, "missing 1/1"),
              "summary text:\n%s", buf);
        fclose(fp);
    }
    eegnn_bids_close(ds);
}

/* The levels of the events files' columns against pandas' value_counts
 * (tests/ref_bids.py writes bids/event_levels.txt). */
static void check_event_levels(void) {
    static const char *const sets[2][2] = {{"eegmmidb", "bids/eegmmidb-s001"}, {"eegmat", "bids/eegmat"}};
    FILE *fp = fopen(test_out_path("bids/event_levels.txt"), "r");
    char line[512];
    int n_lines = 0, n_ok = 0, k;
    eegnn_bids_dataset *ds[2];
    eegnn_bids_levels *lv;
    CHECK(fp != NULL, "run tests/ref_bids.py first (bids/event_levels.txt)");
    if (!fp) return;
    for (k = 0; k < 2; k++) ds[k] = eegnn_bids_open(test_data_path(sets[k][1]));
    while (fgets(line, sizeof line, fp)) {
        char name[64], column[64], value[128];
        int count, n_rec, i;
        if (sscanf(line, "level %63s %63s %127s %d %d", name, column, value, &count, &n_rec) != 5) continue;
        n_lines++;
        for (k = 0; k < 2 && strcmp(sets[k][0], name); k++) {
        }
        if (k == 2 || !ds[k]) continue;
        lv = eegnn_bids_event_levels(ds[k], NULL, column);
        i = eegnn_bids_levels_find(lv, value);
        if (lv && i >= 0 && lv->levels[i].count == count && lv->levels[i].n_recordings == n_rec) n_ok++;
        else CHECK(0, "%s %s '%s': pandas %d events in %d recordings, eegnn %d in %d", name, column, value, count,
                   n_rec, i >= 0 ? lv->levels[i].count : -1, i >= 0 ? lv->levels[i].n_recordings : -1);
        eegnn_bids_levels_free(lv);
    }
    fclose(fp);
    CHECK(n_lines == 10 && n_ok == n_lines, "%d of %d levels match pandas", n_ok, n_lines);
    if (ds[0] && ds[1]) {
        char buf[256];
        /* the task filter, a column that only some files have, formatting */
        lv = eegnn_bids_event_levels(ds[0], "fistexec", "trial_type");
        eegnn_bids_levels_format(lv, buf, sizeof buf);
        CHECK(lv && lv->n_recordings == 3 && lv->n_levels == 3 && !strcmp(buf, "left_fist (23), rest (45), right_fist (22)"),
              "fistexec levels: %s", buf);
        eegnn_bids_levels_free(lv);
        lv = eegnn_bids_event_levels(ds[1], NULL, "value");
        CHECK(lv && lv->n_levels == 0 && lv->n_without_column == 48 && lv->without_column_path &&
                  strstr(lv->without_column_path, "_events.tsv"),
              "eegmat has no value column");
        eegnn_bids_levels_free(lv);
        eegnn_bids_levels_format(NULL, buf, 4);
        CHECK(buf[0] == '\0', "no levels, empty text");
    }
    for (k = 0; k < 2; k++) eegnn_bids_close(ds[k]);
}

/* `eegnn info` text: event levels, and warnings where sidecars disagree
 * with their files (BIDS_test's sidecar says 32 Hz and 758 s of a 256 Hz,
 * 60 s EDF, its channels.tsv lists 15 of the file's channels). */
static void check_summary_levels_and_warnings(void) {
    eegnn_bids_dataset *ds = eegnn_bids_open(test_data_path("formats/eeglab/sample_data/test_data/BIDS_test"));
    eegnn_raw *raw = eegnn_read_raw(test_data_path("formats/eeglab/sample_data/test_data/BIDS_test/sub-S1/ses-01/eeg/"
                                                   "sub-S1_ses-01_task-Experiment_run-01_eeg.edf"), NULL);
    char buf[8192], want[128];
    FILE *fp;
    size_t n;
    CHECK(ds && raw, "BIDS_test: %s", eegnn_last_error());
    if (ds && raw && (fp = tmpfile()) != NULL) {
        CHECK(eegnn_bids_print_summary(ds, fp) == EEGNN_OK, "summary");
        rewind(fp);
        n = fread(buf, 1, sizeof buf - 1, fp);
        buf[n] = '\0';
        fclose(fp);
        snprintf(want, sizeof want, "channels.tsv lists 15 channels, the file has %d", raw->n_channels);
        CHECK(strstr(buf, "Warnings") && strstr(buf, "SamplingFrequency 32 Hz, the file 256 Hz") &&
                  strstr(buf, "RecordingDuration 758 s, the file 60 s") && strstr(buf, want),
              "warnings:\n%s", buf);
    }
    eegnn_raw_free(raw);
    eegnn_bids_close(ds);
    ds = eegnn_bids_open(test_data_path("bids/eegmmidb-s001"));
    if (ds && (fp = tmpfile()) != NULL) {
        eegnn_bids_print_summary(ds, fp);
        rewind(fp);
        n = fread(buf, 1, sizeof buf - 1, fp);
        buf[n] = '\0';
        fclose(fp);
        CHECK(strstr(buf, "trial_type: 5 levels in 12 recordings") && strstr(buf, "value: 3 levels") &&
                  strstr(buf, "180 events in 12 recordings") && !strstr(buf, "Warnings"),
              "eegmmidb summary:\n%s", buf);
    }
    eegnn_bids_close(ds);
}

/* eegnn_bids_parse_filename on every file of the datasets against the
 * spec's rule in ref_bids.py, and names that are not BIDS names */
static void check_entities(void) {
    FILE *fp = fopen(test_out_path("bids/entities.txt"), "r");
    char line[1024];
    int n = 0, k;
    eegnn_bids_entities e;
    static const char *const bad[] = {"sub-01_task_eeg.edf", "sub-01_-x_eeg.edf", "sub-_eeg.edf", "sub-01_eeg-x.edf",
                                      "sub-01__eeg.edf", ""};
    CHECK(fp != NULL, "cannot open %s (run tests/ref_bids.py first)", test_out_path("bids/entities.txt"));
    while (fp && fgets(line, sizeof line, fp)) {
        char *tok = strtok(line, " \n"), *name = tok, *suffix = strtok(NULL, " \n"), *ext = strtok(NULL, " \n");
        int ok;
        if (!name || !suffix || !ext) continue;
        ok = eegnn_bids_parse_filename(name, &e);
        CHECK(ok && !strcmp(e.suffix, suffix) && !strcmp(e.extension, ext), "%s: parsed %d, suffix '%s', extension '%s'",
              name, ok, e.suffix, e.extension);
        for (k = 0; (tok = strtok(NULL, " \n")) != NULL; k++) {
            char *eq = strchr(tok, '=');
            *eq = 0;
            CHECK(k < e.n && !strcmp(e.key[k], tok) && !strcmp(e.value[k], eq + 1) &&
                      !strcmp(eegnn_bids_entity(&e, tok), eq + 1),
                  "%s: entity %d is %s-%s, want %s-%s", name, k, k < e.n ? e.key[k] : "-", k < e.n ? e.value[k] : "-",
                  tok, eq + 1);
        }
        CHECK(k == e.n, "%s: %d entities, want %d", name, e.n, k);
        n++;
    }
    if (fp) fclose(fp);
    CHECK(n > 200, "only %d file names checked", n);
    CHECK(eegnn_bids_parse_filename("sub-01_ses-2_task-rest_run-1_eeg.edf", &e) &&
              !strcmp(eegnn_bids_entity(&e, "run"), "1") && !eegnn_bids_entity(&e, "acq"),
          "run and a missing acq");
    for (k = 0; k < (int)(sizeof bad / sizeof *bad); k++)
        CHECK(!eegnn_bids_parse_filename(bad[k], &e), "'%s' taken for a BIDS name", bad[k]);
    CHECK(!eegnn_bids_parse_filename(NULL, &e) && !eegnn_bids_entity(NULL, "sub"), "NULL arguments");
}

int main(void) {
    (void)test_max_rel_err;
    mkdir(test_out_path(""), 0755);
    mkdir(test_out_path("bids"), 0755);
    check_reference();
    check_bad_inputs();
    check_inheritance();
    check_summary_and_participants();
    check_event_levels();
    check_summary_levels_and_warnings();
    check_entities();
    return test_summary("test_bids");
}
