/* BIDS dataset walking, sidecar inheritance, participants and events (see bids.h). */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

EEGNN_API int eegnn_bids_parse_filename(const char *fname, eegnn_bids_entities *e) {
    const char *dot, *p, *stem_end;
    if (!fname || !e) return 0;
    dot = strchr(fname, '.');
    p = fname;
    stem_end = dot ? dot : fname + strlen(fname);
    memset(e, 0, sizeof *e);
    if (dot) {
        if (strlen(dot) >= sizeof e->extension) return 0;
        strcpy(e->extension, dot);
    }
    for (;;) {
        const char *us = p, *dash;
        while (us < stem_end && *us != '_') us++;
        if (us == stem_end) {
            /* last part: the suffix */
            size_t n = (size_t)(us - p);
            if (n == 0 || n >= sizeof e->suffix || memchr(p, '-', n)) return 0;
            memcpy(e->suffix, p, n);
            return 1;
        }
        dash = (const char *)memchr(p, '-', (size_t)(us - p));
        if (!dash || dash == p || e->n == EEGNN_BIDS_MAX_ENTITIES) return 0;
        if ((size_t)(dash - p) >= sizeof e->key[0] || (size_t)(us - dash - 1) >= sizeof e->value[0] ||
            us == dash + 1)
            return 0;
        memcpy(e->key[e->n], p, (size_t)(dash - p));
        memcpy(e->value[e->n], dash + 1, (size_t)(us - dash - 1));
        e->n++;
        p = us + 1;
    }
}

EEGNN_API const char *eegnn_bids_entity(const eegnn_bids_entities *e, const char *key) {
    int i;
    for (i = 0; e && key && i < e->n; i++)
        if (strcmp(e->key[i], key) == 0) return e->value[i];
    return NULL;
}

/* 1 when every entity of `meta` is an entity of `rec` with the same value. */
static int eegnn__bids_applies(const eegnn_bids_entities *meta, const eegnn_bids_entities *rec) {
    int i;
    for (i = 0; i < meta->n; i++) {
        const char *v = eegnn_bids_entity(rec, meta->key[i]);
        if (!v || strcmp(v, meta->value[i]) != 0) return 0;
    }
    return 1;
}

static int eegnn__bids_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int eegnn__bids_is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void eegnn__bids_free_strings(char **v, int n) {
    int i;
    if (!v) return;
    for (i = 0; i < n; i++) EEGNN_FREE(v[i]);
    EEGNN_FREE(v);
}

/* Sorted entry names of a folder (no "." or ".."). *n = -1 on failure. */
static char **eegnn__bids_list_dir(const char *dir, int *n) {
    DIR *d = opendir(dir);
    struct dirent *de;
    char **v = NULL;
    int cap = 0;
    *n = 0;
    if (!d) {
        *n = -1;
        eegnn_set_error(EEGNN_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
        return NULL;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (*n == cap) {
            int ncap = cap ? cap * 2 : 32;
            char **nv = (char **)EEGNN_REALLOC(v, (size_t)ncap * sizeof(char *));
            if (!nv) goto oom;
            v = nv;
            cap = ncap;
        }
        v[*n] = eegnn__strdup(de->d_name);
        if (!v[*n]) goto oom;
        (*n)++;
    }
    closedir(d);
    if (*n) qsort(v, (size_t)*n, sizeof(char *), eegnn__cmp_strings);
    return v;
oom:
    closedir(d);
    eegnn__bids_free_strings(v, *n);
    *n = -1;
    eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory listing folder", dir);
    return NULL;
}

static void eegnn__bids_recording_clear(eegnn_bids_recording *r) {
    EEGNN_FREE(r->path);
    EEGNN_FREE(r->name);
    EEGNN_FREE(r->format);
    EEGNN_FREE(r->sub);
    EEGNN_FREE(r->ses);
    EEGNN_FREE(r->task);
    EEGNN_FREE(r->acq);
    EEGNN_FREE(r->run);
    EEGNN_FREE(r->events_path);
    EEGNN_FREE(r->channels_path);
    EEGNN_FREE(r->sidecar_path);
    EEGNN_FREE(r->electrodes_path);
    EEGNN_FREE(r->coordsystem_path);
}

EEGNN_API void eegnn_bids_close(eegnn_bids_dataset *ds) {
    int i;
    if (!ds) return;
    for (i = 0; i < ds->n_recordings; i++) eegnn__bids_recording_clear(&ds->recordings[i]);
    EEGNN_FREE(ds->recordings);
    eegnn__bids_free_strings(ds->subjects, ds->n_subjects);
    eegnn_table_free(ds->participants);
    EEGNN_FREE(ds->root);
    EEGNN_FREE(ds->name);
    EEGNN_FREE(ds->bids_version);
    EEGNN_FREE(ds);
}

static int eegnn__bids_ext_eq(const char *ext, const char *want) {
    size_t i;
    if (strlen(ext) != strlen(want)) return 0;
    for (i = 0; ext[i]; i++)
        if (tolower((unsigned char)ext[i]) != want[i]) return 0;
    return 1;
}

/* Working state while walking the dataset. */
typedef struct eegnn__bids_walk {
    eegnn_bids_dataset *ds;
    int cap;
} eegnn__bids_walk;

/* Closest applicable metadata file with this suffix/extension for a
 * recording; levels[0] is the closest folder. Returns a new path or NULL. */
static char *eegnn__bids_find_meta(char *const *levels, int n_levels, const eegnn_bids_entities *rec,
                                   const char *suffix, const char *extension, int *failed) {
    int L;
    for (L = 0; L < n_levels; L++) {
        int n, i, best = -1, best_n = -1;
        char **names = eegnn__bids_list_dir(levels[L], &n);
        char *found = NULL;
        if (n < 0) {
            *failed = 1;
            return NULL;
        }
        for (i = 0; i < n; i++) {
            eegnn_bids_entities m;
            if (!eegnn_bids_parse_filename(names[i], &m)) continue;
            if (strcmp(m.suffix, suffix) != 0 || strcmp(m.extension, extension) != 0) continue;
            if (!eegnn__bids_applies(&m, rec)) continue;
            if (m.n > best_n) {
                best = i;
                best_n = m.n;
            }
        }
        if (best >= 0) {
            found = eegnn__path_join(levels[L], names[best]);
            if (!found) *failed = 1;
        }
        eegnn__bids_free_strings(names, n);
        if (best >= 0) return found;
    }
    return NULL;
}

/* Applies the *_eeg.json sidecars from the root down to the recording's folder. */
static eegnn_status eegnn__bids_sidecars(char *const *levels, int n_levels, const eegnn_bids_entities *rec,
                                         eegnn_bids_recording *r) {
    int L;
    for (L = n_levels - 1; L >= 0; L--) {
        int n, i, k;
        char **names = eegnn__bids_list_dir(levels[L], &n);
        if (n < 0) return EEGNN_ERR_IO;
        /* less specific files first, so more specific keys override */
        for (k = 0; k <= EEGNN_BIDS_MAX_ENTITIES; k++) {
            for (i = 0; i < n; i++) {
                eegnn_bids_entities m;
                char *path;
                eegnn_json *doc;
                double v = 0.0;
                if (!eegnn_bids_parse_filename(names[i], &m) || m.n != k) continue;
                if (strcmp(m.suffix, "eeg") != 0 || strcmp(m.extension, ".json") != 0) continue;
                if (!eegnn__bids_applies(&m, rec)) continue;
                path = eegnn__path_join(levels[L], names[i]);
                doc = path ? eegnn_json_read(path) : NULL;
                if (!doc) {
                    EEGNN_FREE(path);
                    eegnn__bids_free_strings(names, n);
                    return EEGNN_ERR_FORMAT;
                }
                if (eegnn_json_get_number(doc, "SamplingFrequency", &v) == EEGNN_OK) r->sfreq = v;
                if (eegnn_json_get_number(doc, "RecordingDuration", &v) == EEGNN_OK) r->duration = v;
                if (eegnn_json_get_number(doc, "EEGChannelCount", &v) == EEGNN_OK) r->n_eeg_channels = (int)v;
                eegnn_json_free(doc);
                EEGNN_FREE(r->sidecar_path);
                r->sidecar_path = path;
            }
        }
        eegnn__bids_free_strings(names, n);
    }
    eegnn_clear_error();
    return EEGNN_OK;
}

static char *eegnn__bids_dup(const char *s) { return s ? eegnn__strdup(s) : NULL; }

/* Adds the recordings of one `eeg` folder. levels: [eeg dir, (ses dir), sub dir, root]. */
static eegnn_status eegnn__bids_scan_eeg(eegnn__bids_walk *w, char *const *levels, int n_levels) {
    int n, i;
    char **names = eegnn__bids_list_dir(levels[0], &n);
    if (n < 0) return EEGNN_ERR_IO;
    for (i = 0; i < n; i++) {
        eegnn_bids_entities e;
        eegnn_bids_recording *r;
        const char *format = NULL;
        int readable = 0, failed = 0;
        eegnn_status st;
        if (!eegnn_bids_parse_filename(names[i], &e) || strcmp(e.suffix, "eeg") != 0) continue;
        if (eegnn__bids_ext_eq(e.extension, ".edf")) {
            format = "EDF";
            readable = 1;
        } else if (eegnn__bids_ext_eq(e.extension, ".bdf")) {
            format = "BDF";
            readable = 1;
        } else if (eegnn__bids_ext_eq(e.extension, ".vhdr")) {
            format = "BrainVision";
            readable = 1;
        } else if (eegnn__bids_ext_eq(e.extension, ".set")) {
            format = "EEGLAB";
            readable = 1;
        } else {
            continue;
        }
        if (!eegnn_bids_entity(&e, "sub")) continue;
        if (w->ds->n_recordings == w->cap) {
            int ncap = w->cap ? w->cap * 2 : 16;
            eegnn_bids_recording *nr = (eegnn_bids_recording *)EEGNN_REALLOC(
                w->ds->recordings, (size_t)ncap * sizeof(eegnn_bids_recording));
            if (!nr) goto oom;
            w->ds->recordings = nr;
            w->cap = ncap;
        }
        r = &w->ds->recordings[w->ds->n_recordings++];
        memset(r, 0, sizeof *r);
        r->sfreq = NAN;
        r->duration = NAN;
        r->n_eeg_channels = -1;
        r->participant_row = -1;
        r->readable = readable;
        r->path = eegnn__path_join(levels[0], names[i]);
        r->name = eegnn__strndup(names[i], strlen(names[i]) - strlen(e.extension) - 4 /* "_eeg" */);
        r->format = eegnn__strdup(format);
        r->sub = eegnn__bids_dup(eegnn_bids_entity(&e, "sub"));
        r->ses = eegnn__bids_dup(eegnn_bids_entity(&e, "ses"));
        r->task = eegnn__bids_dup(eegnn_bids_entity(&e, "task"));
        r->acq = eegnn__bids_dup(eegnn_bids_entity(&e, "acq"));
        r->run = eegnn__bids_dup(eegnn_bids_entity(&e, "run"));
        if (!r->path || !r->name || !r->format || !r->sub || (eegnn_bids_entity(&e, "ses") && !r->ses) ||
            (eegnn_bids_entity(&e, "task") && !r->task) || (eegnn_bids_entity(&e, "acq") && !r->acq) ||
            (eegnn_bids_entity(&e, "run") && !r->run))
            goto oom;
        r->events_path = eegnn__bids_find_meta(levels, n_levels, &e, "events", ".tsv", &failed);
        r->channels_path = eegnn__bids_find_meta(levels, n_levels, &e, "channels", ".tsv", &failed);
        r->electrodes_path = eegnn__bids_find_meta(levels, n_levels, &e, "electrodes", ".tsv", &failed);
        r->coordsystem_path = eegnn__bids_find_meta(levels, n_levels, &e, "coordsystem", ".json", &failed);
        if (failed) {
            eegnn__bids_free_strings(names, n);
            return EEGNN_ERR_IO;
        }
        st = eegnn__bids_sidecars(levels, n_levels, &e, r);
        if (st != EEGNN_OK) {
            eegnn__bids_free_strings(names, n);
            return st;
        }
    }
    eegnn__bids_free_strings(names, n);
    return EEGNN_OK;
oom:
    eegnn__bids_free_strings(names, n);
    return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory listing recordings", levels[0]);
}

static int eegnn__bids_cmp_opt(const char *a, const char *b) {
    if (!a || !b) return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* Run labels compare as numbers when both are integers ("2" < "10"). */
static int eegnn__bids_cmp_run(const char *a, const char *b) {
    long x, y;
    if (a && b && eegnn__parse_long(a, &x) && eegnn__parse_long(b, &y) && x != y) return x < y ? -1 : 1;
    return eegnn__bids_cmp_opt(a, b);
}

static int eegnn__cmp_recording(const void *pa, const void *pb) {
    const eegnn_bids_recording *a = (const eegnn_bids_recording *)pa, *b = (const eegnn_bids_recording *)pb;
    int c;
    if ((c = eegnn__bids_cmp_opt(a->sub, b->sub)) != 0) return c;
    if ((c = eegnn__bids_cmp_opt(a->ses, b->ses)) != 0) return c;
    if ((c = eegnn__bids_cmp_opt(a->task, b->task)) != 0) return c;
    if ((c = eegnn__bids_cmp_opt(a->acq, b->acq)) != 0) return c;
    if ((c = eegnn__bids_cmp_run(a->run, b->run)) != 0) return c;
    return strcmp(a->path, b->path);
}

EEGNN_API int eegnn_bids_participant_row(const eegnn_bids_dataset *ds, const char *subject) {
    int col, r;
    const char *label;
    if (!ds || !ds->participants || !subject) return -1;
    col = eegnn_table_column(ds->participants, "participant_id");
    if (col < 0) return -1;
    label = eegnn__starts_with(subject, "sub-") ? subject + 4 : subject;
    for (r = 0; r < ds->participants->n_rows; r++) {
        const char *id = eegnn_table_cell(ds->participants, r, col);
        if (!id) continue;
        if (eegnn__starts_with(id, "sub-")) id += 4;
        if (strcmp(id, label) == 0) return r;
    }
    return -1;
}

EEGNN_API const char *eegnn_bids_participant_string(const eegnn_bids_dataset *ds, const char *subject,
                                                    const char *column) {
    int row = eegnn_bids_participant_row(ds, subject);
    if (row < 0) return NULL;
    return eegnn_table_cell(ds->participants, row, eegnn_table_column(ds->participants, column));
}

EEGNN_API eegnn_status eegnn_bids_participant_number(const eegnn_bids_dataset *ds, const char *subject,
                                                     const char *column, double *out) {
    int row, col;
    const char *cell;
    *out = NAN;
    if (!ds || !ds->participants)
        return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: the dataset has no participants.tsv",
                               ds && ds->root ? ds->root : "(null)");
    col = eegnn_table_column(ds->participants, column);
    if (col < 0)
        return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no column '%s'", ds->participants->path, column);
    row = eegnn_bids_participant_row(ds, subject);
    if (row < 0)
        return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no row for participant '%s'", ds->participants->path,
                               subject);
    cell = eegnn_table_cell(ds->participants, row, col);
    if (!cell) return EEGNN_OK;
    if (!eegnn__parse_decimal(cell, out)) {
        *out = NAN;
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d, column '%s': '%s' is not a number",
                               ds->participants->path, row + 2, column, cell);
    }
    return EEGNN_OK;
}

static eegnn_status eegnn__bids_read_description(eegnn_bids_dataset *ds) {
    char *path = eegnn__path_join(ds->root, "dataset_description.json");
    eegnn_json *doc;
    const char *s;
    if (!path) return EEGNN_ERR_MEMORY;
    if (!eegnn__bids_is_file(path)) {
        EEGNN_FREE(path);
        return EEGNN_OK;
    }
    doc = eegnn_json_read(path);
    EEGNN_FREE(path);
    if (!doc) return EEGNN_ERR_FORMAT;
    if ((s = eegnn_json_get_string(doc, "Name")) != NULL) ds->name = eegnn__strdup(s);
    if ((s = eegnn_json_get_string(doc, "BIDSVersion")) != NULL) ds->bids_version = eegnn__strdup(s);
    eegnn_json_free(doc);
    return EEGNN_OK;
}

EEGNN_API eegnn_bids_dataset *eegnn_bids_open(const char *root) {
    eegnn_bids_dataset *ds;
    eegnn__bids_walk w;
    char **subs = NULL;
    int n_subs = 0, i, j;
    char *path = NULL;
    if (!root) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_bids_open: root is NULL");
        return NULL;
    }
    if (!eegnn__bids_is_dir(root)) {
        struct stat st;
        if (stat(root, &st) != 0)
            eegnn_set_error(errno == ENOENT ? EEGNN_ERR_NOT_FOUND : EEGNN_ERR_IO, "%s: BIDS root %s", root,
                            errno == ENOENT ? "not found (no such folder)" : strerror(errno));
        else
            eegnn_set_error(EEGNN_ERR_IO, "%s: BIDS root is not a folder", root);
        return NULL;
    }
    ds = (eegnn_bids_dataset *)eegnn__calloc(1, sizeof *ds);
    if (!ds) return NULL;
    w.ds = ds;
    w.cap = 0;
    ds->root = eegnn__strdup(root);
    if (!ds->root) goto fail;
    if (eegnn__bids_read_description(ds) != EEGNN_OK) goto fail;

    subs = eegnn__bids_list_dir(root, &n_subs);
    if (n_subs < 0) goto fail;
    for (i = 0; i < n_subs; i++) {
        char *levels[4];
        char *sub_dir, *eeg_dir;
        int n_ses;
        char **ses;
        if (!eegnn__starts_with(subs[i], "sub-")) continue;
        sub_dir = eegnn__path_join(root, subs[i]);
        if (!sub_dir) goto fail;
        if (!eegnn__bids_is_dir(sub_dir)) {
            EEGNN_FREE(sub_dir);
            continue;
        }
        eeg_dir = eegnn__path_join(sub_dir, "eeg");
        if (!eeg_dir) {
            EEGNN_FREE(sub_dir);
            goto fail;
        }
        if (eegnn__bids_is_dir(eeg_dir)) {
            levels[0] = eeg_dir;
            levels[1] = sub_dir;
            levels[2] = ds->root;
            if (eegnn__bids_scan_eeg(&w, levels, 3) != EEGNN_OK) {
                EEGNN_FREE(eeg_dir);
                EEGNN_FREE(sub_dir);
                goto fail;
            }
        }
        EEGNN_FREE(eeg_dir);
        ses = eegnn__bids_list_dir(sub_dir, &n_ses);
        if (n_ses < 0) {
            EEGNN_FREE(sub_dir);
            goto fail;
        }
        for (j = 0; j < n_ses; j++) {
            char *ses_dir, *ses_eeg;
            eegnn_status st = EEGNN_OK;
            if (!eegnn__starts_with(ses[j], "ses-")) continue;
            ses_dir = eegnn__path_join(sub_dir, ses[j]);
            ses_eeg = ses_dir ? eegnn__path_join(ses_dir, "eeg") : NULL;
            if (!ses_eeg) {
                st = EEGNN_ERR_MEMORY;
            } else if (eegnn__bids_is_dir(ses_eeg)) {
                levels[0] = ses_eeg;
                levels[1] = ses_dir;
                levels[2] = sub_dir;
                levels[3] = ds->root;
                st = eegnn__bids_scan_eeg(&w, levels, 4);
            }
            EEGNN_FREE(ses_dir);
            EEGNN_FREE(ses_eeg);
            if (st != EEGNN_OK) {
                eegnn__bids_free_strings(ses, n_ses);
                EEGNN_FREE(sub_dir);
                goto fail;
            }
        }
        eegnn__bids_free_strings(ses, n_ses);
        EEGNN_FREE(sub_dir);
    }
    eegnn__bids_free_strings(subs, n_subs);
    subs = NULL;
    if (ds->n_recordings == 0) {
        eegnn_set_error(EEGNN_ERR_NOT_FOUND,
                        "%s: no EEG recordings found (expected sub-*/[ses-*/]eeg/*_eeg.{edf,bdf,vhdr,set})", root);
        goto fail;
    }
    qsort(ds->recordings, (size_t)ds->n_recordings, sizeof(eegnn_bids_recording), eegnn__cmp_recording);

    /* subjects: recordings are sorted by subject */
    ds->subjects = (char **)eegnn__calloc((size_t)ds->n_recordings, sizeof(char *));
    if (!ds->subjects) goto fail;
    for (i = 0; i < ds->n_recordings; i++) {
        const char *s = ds->recordings[i].sub;
        if (ds->n_subjects == 0 || strcmp(ds->subjects[ds->n_subjects - 1], s) != 0) {
            ds->subjects[ds->n_subjects] = eegnn__strdup(s);
            if (!ds->subjects[ds->n_subjects]) goto fail;
            ds->n_subjects++;
        }
    }

    path = eegnn__path_join(root, "participants.tsv");
    if (!path) goto fail;
    if (eegnn__bids_is_file(path)) {
        ds->participants = eegnn_table_read_tsv(path);
        if (!ds->participants) goto fail;
        if (eegnn_table_column(ds->participants, "participant_id") < 0) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line 1: no 'participant_id' column", path);
            goto fail;
        }
    }
    EEGNN_FREE(path);
    path = NULL;
    for (i = 0; i < ds->n_recordings; i++)
        ds->recordings[i].participant_row = eegnn_bids_participant_row(ds, ds->recordings[i].sub);
    return ds;
fail:
    EEGNN_FREE(path);
    eegnn__bids_free_strings(subs, n_subs);
    eegnn_bids_close(ds);
    return NULL;
}

EEGNN_API void eegnn_bids_events_free(eegnn_bids_events *ev) {
    int i;
    if (!ev) return;
    for (i = 0; i < ev->n; i++) {
        EEGNN_FREE(ev->events[i].trial_type);
        EEGNN_FREE(ev->events[i].value);
        EEGNN_FREE(ev->events[i].label);
    }
    EEGNN_FREE(ev->events);
    EEGNN_FREE(ev->path);
    EEGNN_FREE(ev);
}

/* The column names of a table, comma-separated, into buf. */
static void eegnn__bids_column_list(const eegnn_table *t, char *buf, size_t size) {
    size_t len = 0;
    int c;
    buf[0] = '\0';
    for (c = 0; c < t->n_cols && len + 1 < size; c++) {
        int k = snprintf(buf + len, size - len, "%s%s", c ? ", " : "", t->columns[c]);
        if (k < 0) break;
        len += (size_t)k;
    }
}

EEGNN_API eegnn_bids_events *eegnn_bids_load_events(const eegnn_bids_recording *rec) {
    return eegnn_bids_load_events_column(rec, NULL);
}

EEGNN_API eegnn_bids_events *eegnn_bids_load_events_column(const eegnn_bids_recording *rec, const char *column) {
    eegnn_table *t;
    eegnn_bids_events *ev;
    int c_onset, c_dur, c_tt, c_val, c_samp, c_label, r;
    if (!rec || !rec->events_path) {
        eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no events.tsv applies to this recording",
                        rec && rec->path ? rec->path : "(null)");
        return NULL;
    }
    t = eegnn_table_read_tsv(rec->events_path);
    if (!t) return NULL;
    c_onset = eegnn_table_column(t, "onset");
    c_dur = eegnn_table_column(t, "duration");
    c_tt = eegnn_table_column(t, "trial_type");
    c_val = eegnn_table_column(t, "value");
    c_samp = eegnn_table_column(t, "sample");
    c_label = column ? eegnn_table_column(t, column) : -1;
    if (c_onset < 0) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line 1: no 'onset' column", t->path);
        eegnn_table_free(t);
        return NULL;
    }
    if (column && c_label < 0) {
        char cols[512];
        eegnn__bids_column_list(t, cols, sizeof cols);
        eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no column '%s' (columns: %s)", t->path, column, cols);
        eegnn_table_free(t);
        return NULL;
    }
    ev = (eegnn_bids_events *)eegnn__calloc(1, sizeof *ev);
    if (!ev) goto fail;
    ev->path = eegnn__strdup(t->path);
    ev->events = (eegnn_bids_event *)eegnn__calloc((size_t)t->n_rows + 1, sizeof(eegnn_bids_event));
    if (!ev->path || !ev->events) goto fail;
    for (r = 0; r < t->n_rows; r++) {
        eegnn_bids_event *e = &ev->events[r];
        const char *c;
        double v = 0.0;
        ev->n = r + 1;
        e->duration = NAN;
        e->sample = -1;
        c = eegnn_table_cell(t, r, c_onset);
        if (!c || !eegnn__parse_decimal(c, &e->onset)) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d, column 'onset': '%s' is not a number", t->path, r + 2,
                            c ? c : "n/a");
            goto fail;
        }
        if ((c = eegnn_table_cell(t, r, c_dur)) != NULL) {
            if (!eegnn__parse_decimal(c, &e->duration)) {
                eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d, column 'duration': '%s' is not a number", t->path,
                                r + 2, c);
                goto fail;
            }
        }
        if ((c = eegnn_table_cell(t, r, c_samp)) != NULL) {
            if (!eegnn__parse_decimal(c, &v) || v != floor(v)) {
                eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d, column 'sample': '%s' is not an integer", t->path,
                                r + 2, c);
                goto fail;
            }
            e->sample = (int64_t)v;
        }
        if ((c = eegnn_table_cell(t, r, c_tt)) != NULL && !(e->trial_type = eegnn__strdup(c))) goto fail;
        if ((c = eegnn_table_cell(t, r, c_val)) != NULL && !(e->value = eegnn__strdup(c))) goto fail;
        if (c_label >= 0 && (c = eegnn_table_cell(t, r, c_label)) != NULL && !(e->label = eegnn__strdup(c)))
            goto fail;
    }
    eegnn_table_free(t);
    return ev;
fail:
    eegnn_table_free(t);
    eegnn_bids_events_free(ev);
    return NULL;
}

static int eegnn__bids_level_cmp(const void *a, const void *b) {
    return strcmp(((const eegnn_bids_level *)a)->value, ((const eegnn_bids_level *)b)->value);
}

EEGNN_API void eegnn_bids_levels_free(eegnn_bids_levels *lv) {
    int i;
    if (!lv) return;
    for (i = 0; i < lv->n_levels; i++) EEGNN_FREE(lv->levels[i].value);
    EEGNN_FREE(lv->levels);
    EEGNN_FREE(lv->column);
    EEGNN_FREE(lv->without_column_path);
    EEGNN_FREE(lv);
}

EEGNN_API eegnn_bids_levels *eegnn_bids_event_levels(const eegnn_bids_dataset *ds, const char *task,
                                                     const char *column) {
    eegnn_bids_levels *lv;
    int i, cap = 0, *last = NULL; /* (cap) the last recording each level was counted in */
    if (!ds || !column || !*column) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_bids_event_levels: NULL dataset or column");
        return NULL;
    }
    lv = (eegnn_bids_levels *)eegnn__calloc(1, sizeof *lv);
    if (!lv || !(lv->column = eegnn__strdup(column))) goto fail;
    for (i = 0; i < ds->n_recordings; i++) {
        const eegnn_bids_recording *rec = &ds->recordings[i];
        eegnn_table *t;
        int col, r, k;
        if (task && !(rec->task && eegnn__list_contains(task, rec->task))) continue;
        if (!rec->events_path) {
            lv->n_without_events++;
            continue;
        }
        if (!(t = eegnn_table_read_tsv(rec->events_path))) goto fail;
        col = eegnn_table_column(t, column);
        if (col < 0) {
            if (!lv->n_without_column++ && !(lv->without_column_path = eegnn__strdup(rec->events_path))) {
                eegnn_table_free(t);
                goto fail;
            }
            eegnn_table_free(t);
            continue;
        }
        lv->n_recordings++;
        for (r = 0; r < t->n_rows; r++) {
            const char *v = eegnn_table_cell(t, r, col);
            if (!v) {
                lv->n_missing++;
                continue;
            }
            for (k = 0; k < lv->n_levels; k++)
                if (!strcmp(lv->levels[k].value, v)) break;
            if (k == lv->n_levels) {
                if (k == cap) {
                    int nc = cap ? 2 * cap : 16;
                    eegnn_bids_level *nl = (eegnn_bids_level *)EEGNN_REALLOC(lv->levels, (size_t)nc * sizeof *nl);
                    int *nlast = nl ? (int *)EEGNN_REALLOC(last, (size_t)nc * sizeof *nlast) : NULL;
                    if (nl) lv->levels = nl;
                    if (!nlast) {
                        eegnn_table_free(t);
                        eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory counting %s", rec->events_path);
                        goto fail;
                    }
                    last = nlast;
                    cap = nc;
                }
                memset(&lv->levels[k], 0, sizeof lv->levels[k]);
                if (!(lv->levels[k].value = eegnn__strdup(v))) {
                    eegnn_table_free(t);
                    goto fail;
                }
                last[k] = -1;
                lv->n_levels++;
            }
            if (last[k] != i) lv->levels[k].n_recordings++;
            last[k] = i;
            lv->levels[k].count++;
        }
        eegnn_table_free(t);
    }
    EEGNN_FREE(last);
    if (lv->n_levels > 1) qsort(lv->levels, (size_t)lv->n_levels, sizeof *lv->levels, eegnn__bids_level_cmp);
    return lv;
fail:
    EEGNN_FREE(last);
    eegnn_bids_levels_free(lv);
    return NULL;
}

EEGNN_API int eegnn_bids_levels_find(const eegnn_bids_levels *lv, const char *value) {
    int i;
    for (i = 0; lv && value && i < lv->n_levels; i++)
        if (!strcmp(lv->levels[i].value, value)) return i;
    return -1;
}

EEGNN_API void eegnn_bids_levels_format(const eegnn_bids_levels *lv, char *buf, size_t size) {
    size_t len = 0;
    int i;
    if (!buf || !size) return;
    buf[0] = '\0';
    for (i = 0; lv && i < lv->n_levels && len + 1 < size; i++) {
        int k = snprintf(buf + len, size - len, "%s%s (%d)", i ? ", " : "", lv->levels[i].value, lv->levels[i].count);
        if (k < 0) break;
        len += (size_t)k;
    }
    if (len + 1 >= size && size > 4) strcpy(buf + size - 4, "...");
}

EEGNN_API eegnn_table *eegnn_bids_load_channels(const eegnn_bids_recording *rec) {
    if (!rec || !rec->channels_path) {
        eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no channels.tsv applies to this recording",
                        rec && rec->path ? rec->path : "(null)");
        return NULL;
    }
    return eegnn_table_read_tsv(rec->channels_path);
}

EEGNN_API void eegnn_bids_electrodes_free(eegnn_bids_electrodes *el) {
    int i;
    if (!el) return;
    for (i = 0; i < el->n; i++) {
        EEGNN_FREE(el->name[i]);
        if (el->type) EEGNN_FREE(el->type[i]);
    }
    EEGNN_FREE(el->name);
    EEGNN_FREE(el->type);
    EEGNN_FREE(el->x);
    EEGNN_FREE(el->y);
    EEGNN_FREE(el->z);
    EEGNN_FREE(el->impedance);
    EEGNN_FREE(el->units);
    EEGNN_FREE(el->coordinate_system);
    EEGNN_FREE(el->path);
    EEGNN_FREE(el);
}

EEGNN_API int eegnn_bids_electrode_index(const eegnn_bids_electrodes *el, const char *name) {
    int i;
    if (!el || !name) return -1;
    for (i = 0; i < el->n; i++)
        if (!strcmp(el->name[i], name)) return i;
    return -1;
}

/* A numeric cell: NaN for n/a or an absent column; 0 when it is text. */
static int eegnn__bids_number_cell(const eegnn_table *t, int r, int col, const char *col_name, double *out) {
    const char *c = col >= 0 ? eegnn_table_cell(t, r, col) : NULL;
    *out = NAN;
    if (!c) return 1;
    if (!eegnn__parse_decimal(c, out)) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d, column '%s': '%s' is not a number", t->path, r + 2, col_name,
                        c);
        return 0;
    }
    return 1;
}

EEGNN_API eegnn_bids_electrodes *eegnn_bids_load_electrodes(const eegnn_bids_recording *rec) {
    static const char *const xyz[3] = {"x", "y", "z"};
    eegnn_table *t;
    eegnn_bids_electrodes *el = NULL;
    int col[6], r, k;
    if (!rec || !rec->electrodes_path) {
        eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no electrodes.tsv applies to this recording",
                        rec && rec->path ? rec->path : "(null)");
        return NULL;
    }
    t = eegnn_table_read_tsv(rec->electrodes_path);
    if (!t) return NULL;
    col[0] = eegnn_table_column(t, "name");
    for (k = 0; k < 3; k++) col[1 + k] = eegnn_table_column(t, xyz[k]);
    col[4] = eegnn_table_column(t, "type");
    col[5] = eegnn_table_column(t, "impedance");
    for (k = 0; k < 4; k++)
        if (col[k] < 0) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line 1: no '%s' column (name, x, y, z are required)", t->path,
                            k ? xyz[k - 1] : "name");
            eegnn_table_free(t);
            return NULL;
        }
    el = (eegnn_bids_electrodes *)eegnn__calloc(1, sizeof *el);
    if (!el) goto fail;
    el->path = eegnn__strdup(t->path);
    el->name = (char **)eegnn__calloc((size_t)t->n_rows + 1, sizeof(char *));
    el->type = (char **)eegnn__calloc((size_t)t->n_rows + 1, sizeof(char *));
    el->x = (double *)eegnn__calloc((size_t)t->n_rows + 1, sizeof(double));
    el->y = (double *)eegnn__calloc((size_t)t->n_rows + 1, sizeof(double));
    el->z = (double *)eegnn__calloc((size_t)t->n_rows + 1, sizeof(double));
    el->impedance = (double *)eegnn__calloc((size_t)t->n_rows + 1, sizeof(double));
    if (!el->path || !el->name || !el->type || !el->x || !el->y || !el->z || !el->impedance) goto fail;
    for (r = 0; r < t->n_rows; r++) {
        const char *c = eegnn_table_cell(t, r, col[0]);
        el->n = r + 1;
        if (!c) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d: electrode name is n/a", t->path, r + 2);
            goto fail;
        }
        if (!(el->name[r] = eegnn__strdup(c))) goto fail;
        if (!eegnn__bids_number_cell(t, r, col[1], "x", &el->x[r]) ||
            !eegnn__bids_number_cell(t, r, col[2], "y", &el->y[r]) ||
            !eegnn__bids_number_cell(t, r, col[3], "z", &el->z[r]) ||
            !eegnn__bids_number_cell(t, r, col[5], "impedance", &el->impedance[r]))
            goto fail;
        if (col[4] >= 0 && (c = eegnn_table_cell(t, r, col[4])) != NULL && !(el->type[r] = eegnn__strdup(c)))
            goto fail;
    }
    if (rec->coordsystem_path) {
        eegnn_json *js = eegnn_json_read(rec->coordsystem_path);
        const char *u, *cs;
        if (!js) goto fail;
        u = eegnn_json_get_string(js, "EEGCoordinateUnits");
        cs = eegnn_json_get_string(js, "EEGCoordinateSystem");
        if ((u && !(el->units = eegnn__strdup(u))) || (cs && !(el->coordinate_system = eegnn__strdup(cs)))) {
            eegnn_json_free(js);
            goto fail;
        }
        eegnn_json_free(js);
    }
    eegnn_table_free(t);
    return el;
fail:
    eegnn_table_free(t);
    eegnn_bids_electrodes_free(el);
    return NULL;
}

/* Number of distinct non-NULL values of a recording field. */
static int eegnn__bids_count_distinct(const eegnn_bids_dataset *ds, size_t offset, eegnn__strbuf *list) {
    int i, j, n = 0;
    for (i = 0; i < ds->n_recordings; i++) {
        const char *v = *(char *const *)((const char *)&ds->recordings[i] + offset);
        int seen = 0;
        if (!v) continue;
        for (j = 0; j < i && !seen; j++) {
            const char *u = *(char *const *)((const char *)&ds->recordings[j] + offset);
            if (u && strcmp(u, v) == 0) seen = 1;
        }
        if (!seen) {
            if (list) eegnn__sb_printf(list, "%s%s", n ? ", " : "", v);
            n++;
        }
    }
    return n;
}

/* Prints the levels of one events column (nothing when no events file has
 * it); *printed is set when something was. */
static eegnn_status eegnn__bids_print_levels(const eegnn_bids_dataset *ds, const char *column, FILE *out,
                                             int *printed) {
    eegnn_bids_levels *lv = eegnn_bids_event_levels(ds, NULL, column);
    int i, shown = 40;
    if (!lv) return EEGNN_ERR_FORMAT;
    if (lv->n_recordings > 0) {
        *printed = 1;
        fprintf(out, "  %s: %d level%s in %d recording%s\n", column, lv->n_levels, lv->n_levels == 1 ? "" : "s",
                lv->n_recordings, lv->n_recordings == 1 ? "" : "s");
        for (i = 0; i < lv->n_levels && i < shown; i++)
            fprintf(out, "    %-28s %7d events in %d recording%s\n", lv->levels[i].value, lv->levels[i].count,
                    lv->levels[i].n_recordings, lv->levels[i].n_recordings == 1 ? "" : "s");
        if (lv->n_levels > shown) fprintf(out, "    ... and %d more levels\n", lv->n_levels - shown);
        if (lv->n_missing) fprintf(out, "    %-28s %7d events\n", "n/a", lv->n_missing);
    }
    eegnn_bids_levels_free(lv);
    return EEGNN_OK;
}

/* 1 when a sidecar value and the file's disagree (beyond rounding: 0.1% or
 * one sample for durations). */
static int eegnn__bids_disagree(double sidecar, double file, double tol) {
    return !isnan(sidecar) && !isnan(file) && fabs(sidecar - file) > tol;
}

EEGNN_API eegnn_status eegnn_bids_print_summary(const eegnn_bids_dataset *ds, FILE *out) {
    eegnn__strbuf tasks, warn;
    int i, n_ses, n_runs, n_tasks, printed = 0;
    double total = 0.0;
    int total_known = 1;
    if (!ds || !out) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_bids_print_summary: NULL argument");
    memset(&tasks, 0, sizeof tasks);
    memset(&warn, 0, sizeof warn);
    n_tasks = eegnn__bids_count_distinct(ds, offsetof(eegnn_bids_recording, task), &tasks);
    n_ses = eegnn__bids_count_distinct(ds, offsetof(eegnn_bids_recording, ses), NULL);
    n_runs = eegnn__bids_count_distinct(ds, offsetof(eegnn_bids_recording, run), NULL);
    fprintf(out, "Dataset: %s (BIDS %s)\n", ds->name ? ds->name : "(no name)",
            ds->bids_version ? ds->bids_version : "version unknown");
    fprintf(out, "Root: %s\n", ds->root);
    fprintf(out, "Subjects: %d  Sessions: %d  Tasks: %d (%s)  Runs: %d  Recordings: %d\n", ds->n_subjects,
            n_ses, n_tasks, tasks.p ? tasks.p : "", n_runs, ds->n_recordings);
    eegnn__sb_free(&tasks);
    fprintf(out, "Recordings:\n");
    for (i = 0; i < ds->n_recordings; i++) {
        const eegnn_bids_recording *r = &ds->recordings[i];
        double sfreq = r->sfreq, duration = r->duration;
        int n_ch = -1, n_events = -1, tsv_ch = -1;
        eegnn_table *ch = r->channels_path ? eegnn_table_read_tsv(r->channels_path) : NULL;
        eegnn_bids_events *ev = r->events_path ? eegnn_bids_load_events(r) : NULL;
        const char *note = "";
        if (ch) n_ch = tsv_ch = ch->n_rows;
        if (ev) n_events = ev->n;
        eegnn_table_free(ch);
        eegnn_bids_events_free(ev);
        if (r->readable) {
            /* the file's own header, to fill what the sidecars lack and to check what they say */
            eegnn_read_options opts;
            eegnn_raw *raw;
            memset(&opts, 0, sizeof opts);
            opts.header_only = 1;
            raw = eegnn_read_raw(r->path, &opts);
            if (raw) {
                double file_dur = eegnn_raw_duration(raw);
                if (eegnn__bids_disagree(sfreq, raw->sfreq, 1e-3 * raw->sfreq))
                    eegnn__sb_printf(&warn, "  %s: the sidecar says SamplingFrequency %g Hz, the file %g Hz\n",
                                     r->name, sfreq, raw->sfreq);
                if (eegnn__bids_disagree(duration, file_dur, EEGNN__MAX(1e-3 * file_dur, 1.0 / raw->sfreq)))
                    eegnn__sb_printf(&warn, "  %s: the sidecar says RecordingDuration %g s, the file %g s\n",
                                     r->name, duration, file_dur);
                if (tsv_ch >= 0 && tsv_ch != raw->n_channels)
                    eegnn__sb_printf(&warn, "  %s: channels.tsv lists %d channels, the file has %d\n", r->name,
                                     tsv_ch, raw->n_channels);
                n_ch = raw->n_channels;
                sfreq = raw->sfreq;
                duration = file_dur;
                eegnn_raw_free(raw);
            } else {
                note = "  (header unreadable)";
            }
        } else {
            note = "  (format not read by eegnn)";
        }
        fprintf(out, "  %-44s %-11s", r->name, r->format);
        if (n_ch >= 0) fprintf(out, " %4d ch", n_ch); else fprintf(out, "    ? ch");
        if (!isnan(sfreq)) fprintf(out, " %8g Hz", sfreq); else fprintf(out, "        ? Hz");
        if (!isnan(duration)) fprintf(out, " %9.1f s", duration); else fprintf(out, "         ? s");
        if (n_events >= 0) fprintf(out, " %5d events", n_events); else fprintf(out, "   no events");
        fprintf(out, "%s\n", note);
        if (isnan(duration)) total_known = 0;
        else total += duration;
    }
    if (total_known) fprintf(out, "Total duration: %.1f s (%.2f h)\n", total, total / 3600.0);
    else fprintf(out, "Total duration: %.1f s (some recordings unknown)\n", total);
    fprintf(out, "Event levels (*_events.tsv):\n");
    if (eegnn__bids_print_levels(ds, "trial_type", out, &printed) || eegnn__bids_print_levels(ds, "value", out, &printed))
        fprintf(out, "  (unreadable: %s)\n", eegnn_last_error());
    else if (!printed)
        fprintf(out, "  none (no events file has a trial_type or value column)\n");
    if (!ds->participants) {
        fprintf(out, "participants.tsv: absent\n");
    } else {
        const eegnn_table *p = ds->participants;
        int c;
        fprintf(out, "participants.tsv: %d rows, %d columns\n", p->n_rows, p->n_cols);
        for (c = 0; c < p->n_cols; c++) {
            int missing = eegnn_table_missing_count(p, c);
            fprintf(out, "  %-28s ", p->columns[c]);
            if (missing == p->n_rows) {
                fprintf(out, "empty      ");
            } else if (eegnn_table_column_is_numeric(p, c)) {
                fprintf(out, "numeric    ");
            } else {
                const char **levels;
                int n_levels = eegnn_table_column_levels(p, c, &levels);
                fprintf(out, "categorical (%d levels)", n_levels);
                eegnn_free((void *)levels);
            }
            fprintf(out, "  missing %d/%d\n", missing, p->n_rows);
        }
    }
    if (warn.len) fprintf(out, "Warnings: the sidecars and the files disagree (the files are what eegnn reads):\n%s", warn.p);
    eegnn__sb_free(&warn);
    if (ferror(out)) return eegnn_set_error(EEGNN_ERR_IO, "eegnn_bids_print_summary: write error");
    return EEGNN_OK;
}
