/* Windowed datasets and group splits (see windows.h). */

struct eegnn_dataset {
    int n_channels;
    char **ch_names; /* (n_channels) */
    double sfreq;    /* Hz */
    int n_times;     /* samples per window */
    double scale;

    int n_recordings, cap_recordings;
    float **rec_data;    /* (n_recordings) each (n_channels, rec_len[r]) */
    int64_t *rec_len;    /* (n_recordings) samples */
    char **rec_name;     /* (n_recordings) */
    char **rec_subject;  /* (n_recordings) */

    int n_windows, cap_windows;
    int *win_rec;        /* (n_windows) */
    int64_t *win_start;  /* (n_windows) first sample */
    float *win_y;        /* (n_windows) target */
    int *win_group;      /* (n_windows) */

    int n_groups, cap_groups;
    char **group_names;

    int n_classes;
    char **class_names;

    int skipped_subjects, skipped_events;
};

/* One candidate recording: either in memory (raw) or a BIDS file (rec). */
typedef struct eegnn__ds_source {
    const char *name;
    const char *path; /* for messages */
    eegnn__bids_entities ent;
    const eegnn_raw *raw;
    const eegnn_bids_recording *rec;
    int selected;    /* passes the task filter and has a usable target */
    const char *label; /* participants target as text (NULL when missing) */
} eegnn__ds_source;

static void eegnn__ds_free_strings(char **v, int n) {
    int i;
    if (!v) return;
    for (i = 0; i < n; i++) EEGNN_FREE(v[i]);
    EEGNN_FREE(v);
}

EEGNN_API void eegnn_dataset_free(eegnn_dataset *ds) {
    int i;
    if (!ds) return;
    eegnn__ds_free_strings(ds->ch_names, ds->n_channels);
    for (i = 0; i < ds->n_recordings; i++) EEGNN_FREE(ds->rec_data[i]);
    EEGNN_FREE(ds->rec_data);
    EEGNN_FREE(ds->rec_len);
    eegnn__ds_free_strings(ds->rec_name, ds->n_recordings);
    eegnn__ds_free_strings(ds->rec_subject, ds->n_recordings);
    EEGNN_FREE(ds->win_rec);
    EEGNN_FREE(ds->win_start);
    EEGNN_FREE(ds->win_y);
    EEGNN_FREE(ds->win_group);
    eegnn__ds_free_strings(ds->group_names, ds->n_groups);
    eegnn__ds_free_strings(ds->class_names, ds->n_classes);
    EEGNN_FREE(ds);
}

/* Resizes an array to `cap` items of `elem` bytes; 0 on failure (the old
 * array is kept). */
static int eegnn__ds_resize(void **p, int cap, size_t elem) {
    void *np = EEGNN_REALLOC(*p, (size_t)cap * elem);
    if (!np) return 0;
    *p = np;
    return 1;
}

static int eegnn__ds_add_window(eegnn_dataset *ds, int rec, int64_t start, float y, int group) {
    if (ds->n_windows == ds->cap_windows) {
        int cap = ds->cap_windows ? ds->cap_windows * 2 : 256;
        if (!eegnn__ds_resize((void **)&ds->win_rec, cap, sizeof(int)) ||
            !eegnn__ds_resize((void **)&ds->win_start, cap, sizeof(int64_t)) ||
            !eegnn__ds_resize((void **)&ds->win_y, cap, sizeof(float)) ||
            !eegnn__ds_resize((void **)&ds->win_group, cap, sizeof(int)))
            return 0;
        ds->cap_windows = cap;
    }
    ds->win_rec[ds->n_windows] = rec;
    ds->win_start[ds->n_windows] = start;
    ds->win_y[ds->n_windows] = y;
    ds->win_group[ds->n_windows] = group;
    ds->n_windows++;
    return 1;
}

/* Index of a group by name, adding it when new; -1 on allocation failure. */
static int eegnn__ds_group(eegnn_dataset *ds, const char *name) {
    int g;
    for (g = ds->n_groups - 1; g >= 0; g--)
        if (strcmp(ds->group_names[g], name) == 0) return g;
    if (ds->n_groups == ds->cap_groups) {
        int cap = ds->cap_groups ? ds->cap_groups * 2 : 16;
        char **nv = (char **)EEGNN_REALLOC(ds->group_names, (size_t)cap * sizeof(char *));
        if (!nv) return -1;
        ds->group_names = nv;
        ds->cap_groups = cap;
    }
    ds->group_names[ds->n_groups] = eegnn__strdup(name);
    if (!ds->group_names[ds->n_groups]) return -1;
    return ds->n_groups++;
}

/* 1 when `item` is one of the comma-separated entries of `list` (blanks
 * around entries ignored). */
static int eegnn__ds_in_list(const char *list, const char *item) {
    const char *p = list;
    size_t n = strlen(item);
    while (*p) {
        const char *e = strchr(p, ',');
        const char *b = p, *t;
        if (!e) e = p + strlen(p);
        t = e;
        while (b < t && isspace((unsigned char)*b)) b++;
        while (t > b && isspace((unsigned char)t[-1])) t--;
        if ((size_t)(t - b) == n && memcmp(b, item, n) == 0) return 1;
        p = *e ? e + 1 : e;
    }
    return 0;
}

/* Splits a comma-separated list into trimmed, non-empty strings. */
static char **eegnn__ds_split_list(const char *list, int *n) {
    int cap = 1, k = 0;
    const char *p;
    char **v;
    for (p = list; *p; p++)
        if (*p == ',') cap++;
    v = (char **)eegnn__calloc((size_t)cap, sizeof(char *));
    *n = 0;
    if (!v) return NULL;
    p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        const char *b = p, *t;
        if (!e) e = p + strlen(p);
        t = e;
        while (b < t && isspace((unsigned char)*b)) b++;
        while (t > b && isspace((unsigned char)t[-1])) t--;
        if (t > b) {
            v[k] = eegnn__strndup(b, (size_t)(t - b));
            if (!v[k]) {
                eegnn__ds_free_strings(v, k);
                return NULL;
            }
            k++;
        }
        if (!*e) break;
        p = e + 1;
    }
    *n = k;
    return v;
}

/* Samples of a window length in seconds (nearest integer, ties to even as numpy.round). */
static int64_t eegnn__ds_seconds_to_samples(double seconds, double sfreq) {
    return (int64_t)nearbyint(seconds * sfreq);
}

/* Adds one recording's samples to the dataset (copied, scaled); checks the
 * channels and rate against the first recording. Returns the index or -1. */
static int eegnn__ds_add_recording(eegnn_dataset *ds, const eegnn_raw *raw, const char *name, const char *subject,
                                   const char *first_path) {
    int c, r;
    size_t i, total;
    float *data;
    if (!raw->data || raw->n_channels <= 0 || raw->n_times <= 0) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: recording has no samples", raw->path ? raw->path : name);
        return -1;
    }
    if (ds->n_channels == 0) {
        ds->n_channels = raw->n_channels;
        ds->sfreq = raw->sfreq;
        ds->ch_names = (char **)eegnn__calloc((size_t)raw->n_channels, sizeof(char *));
        if (!ds->ch_names) return -1;
        for (c = 0; c < raw->n_channels; c++)
            if (!(ds->ch_names[c] = eegnn__strdup(raw->ch_names[c]))) return -1;
    } else {
        if (raw->n_channels != ds->n_channels) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: %d channels, but %s has %d", raw->path ? raw->path : name,
                            raw->n_channels, first_path, ds->n_channels);
            return -1;
        }
        for (c = 0; c < raw->n_channels; c++)
            if (strcmp(raw->ch_names[c], ds->ch_names[c]) != 0) {
                eegnn_set_error(EEGNN_ERR_FORMAT, "%s: channel %d is '%s', but in %s it is '%s'",
                                raw->path ? raw->path : name, c + 1, raw->ch_names[c], first_path, ds->ch_names[c]);
                return -1;
            }
        if (raw->sfreq != ds->sfreq) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: sampling rate %g Hz, but %s has %g Hz",
                            raw->path ? raw->path : name, raw->sfreq, first_path, ds->sfreq);
            return -1;
        }
    }
    if (ds->n_recordings == ds->cap_recordings) {
        int cap = ds->cap_recordings ? ds->cap_recordings * 2 : 16;
        if (!eegnn__ds_resize((void **)&ds->rec_data, cap, sizeof(float *)) ||
            !eegnn__ds_resize((void **)&ds->rec_len, cap, sizeof(int64_t)) ||
            !eegnn__ds_resize((void **)&ds->rec_name, cap, sizeof(char *)) ||
            !eegnn__ds_resize((void **)&ds->rec_subject, cap, sizeof(char *))) {
            eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory adding recording %s", name);
            return -1;
        }
        ds->cap_recordings = cap;
    }
    total = (size_t)raw->n_channels * (size_t)raw->n_times;
    data = (float *)eegnn__calloc(total, sizeof(float));
    if (!data) return -1;
    for (i = 0; i < total; i++) data[i] = (float)((double)raw->data[i] * ds->scale);
    r = ds->n_recordings;
    ds->rec_data[r] = data;
    ds->rec_len[r] = raw->n_times;
    ds->rec_name[r] = eegnn__strdup(name);
    ds->rec_subject[r] = eegnn__strdup(subject);
    ds->n_recordings++;
    if (!ds->rec_name[r] || !ds->rec_subject[r]) return -1;
    return r;
}

/* Builds the group name of a recording by split unit. */
static void eegnn__ds_group_name(const eegnn__ds_source *s, int unit, char *buf, size_t cap) {
    const char *sub = eegnn__bids_entity(&s->ent, "sub");
    const char *ses = eegnn__bids_entity(&s->ent, "ses");
    if (unit == 0 || (unit == 1 && !ses)) snprintf(buf, cap, "sub-%s", sub);
    else if (unit == 1) snprintf(buf, cap, "sub-%s_ses-%s", sub, ses);
    else snprintf(buf, cap, "%s", s->name);
}

static int eegnn__ds_cmp_cstr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static eegnn_dataset *eegnn__dataset_build(eegnn__ds_source *src, int n_src, const eegnn_table *participants,
                                           const eegnn_dataset_config *cfg) {
    eegnn_dataset *ds = NULL;
    const char *target;
    int is_events, unit = 0, i, k, p_col = -1, regression = 0;
    double win_s, stride_s, tmin, tmax;
    const char *first_path = NULL;
    const char **labels = NULL, **rec_label = NULL;
    char **skipped = NULL;
    int n_skipped = 0;
    if (!cfg || !cfg->target) {
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: a target is required (\"participants:COLUMN\" or \"events:A,B\")");
        return NULL;
    }
    target = cfg->target;
    if (eegnn__starts_with(target, "events:")) is_events = 1;
    else if (eegnn__starts_with(target, "participants:")) is_events = 0;
    else {
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: target '%s' must start with \"participants:\" or \"events:\"",
                        target);
        return NULL;
    }
    if (!cfg->split || strcmp(cfg->split, "subject") == 0) unit = 0;
    else if (strcmp(cfg->split, "session") == 0) unit = 1;
    else if (strcmp(cfg->split, "run") == 0) unit = 2;
    else {
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: split unit '%s' is not one of subject, session, run", cfg->split);
        return NULL;
    }
    win_s = cfg->window_seconds > 0 ? cfg->window_seconds : 2.0;
    stride_s = cfg->stride_seconds > 0 ? cfg->stride_seconds : win_s;
    tmin = cfg->tmin;
    tmax = cfg->tmax;
    if (tmin == 0 && tmax == 0) {
        tmin = 0.5;
        tmax = 2.5;
    }
    if (is_events && !(tmax > tmin)) {
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: tmax (%g s) must be greater than tmin (%g s)", tmax, tmin);
        return NULL;
    }
    ds = (eegnn_dataset *)eegnn__calloc(1, sizeof *ds);
    if (!ds) return NULL;
    ds->scale = cfg->scale != 0 ? cfg->scale : 1e6;

    /* task filter */
    for (i = 0; i < n_src; i++) {
        const char *task = eegnn__bids_entity(&src[i].ent, "task");
        src[i].selected = !cfg->task || (task && eegnn__ds_in_list(cfg->task, task));
    }

    /* target: classes */
    if (is_events) {
        ds->class_names = eegnn__ds_split_list(target + 7, &ds->n_classes);
        if (!ds->class_names) goto fail;
        if (ds->n_classes == 0) {
            eegnn_set_error(EEGNN_ERR_ARG, "dataset: target '%s' names no trial_type", target);
            goto fail;
        }
    } else {
        const char *col_name = target + 13;
        if (!participants) {
            eegnn_set_error(EEGNN_ERR_NOT_FOUND, "dataset: target '%s' needs a participants.tsv", target);
            goto fail;
        }
        p_col = eegnn_table_column(participants, col_name);
        if (p_col < 0) {
            eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no column '%s' for target '%s'", participants->path, col_name,
                            target);
            goto fail;
        }
        regression = eegnn_table_column_is_numeric(participants, p_col);
        skipped = (char **)eegnn__calloc((size_t)n_src + 1, sizeof(char *));
        if (!skipped) goto fail;
        for (i = 0; i < n_src; i++) {
            const char *sub = eegnn__bids_entity(&src[i].ent, "sub");
            int row = -1, r, id_col = eegnn_table_column(participants, "participant_id");
            if (!src[i].selected) continue;
            for (r = 0; r < participants->n_rows && row < 0; r++) {
                const char *id = eegnn_table_cell(participants, r, id_col);
                if (id && eegnn__starts_with(id, "sub-")) id += 4;
                if (id && strcmp(id, sub) == 0) row = r;
            }
            src[i].label = row >= 0 ? eegnn_table_cell(participants, row, p_col) : NULL;
            if (!src[i].label) {
                int seen = 0;
                for (k = 0; k < n_skipped; k++)
                    if (strcmp(skipped[k], sub) == 0) seen = 1;
                if (!seen && !(skipped[n_skipped++] = eegnn__strdup(sub))) goto fail;
                src[i].selected = 0;
                continue;
            }
        }
        ds->skipped_subjects = n_skipped;
    }
    rec_label = (const char **)eegnn__calloc((size_t)n_src + 1, sizeof(char *));
    if (!rec_label) goto fail;

    /* recordings and windows */
    for (i = 0; i < n_src; i++) {
        eegnn_raw *loaded = NULL;
        const eegnn_raw *raw = src[i].raw;
        eegnn_bids_events *ev = NULL;
        char gname[512];
        int r, g, e, n_groups_before, n_windows_before;
        int64_t n_times, len;
        float y = 0.0f;
        if (!src[i].selected) continue;
        if (!raw) {
            if (!src[i].rec->readable) {
                eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: %s recordings cannot be read yet", src[i].path,
                                src[i].rec->format);
                goto fail;
            }
            loaded = eegnn_read_raw(src[i].path, NULL);
            if (!loaded) goto fail;
            raw = loaded;
            if (src[i].rec->events_path && is_events) {
                ev = eegnn_bids_load_events(src[i].rec);
                if (!ev) {
                    eegnn_raw_free(loaded);
                    goto fail;
                }
            }
        }
        r = eegnn__ds_add_recording(ds, raw, src[i].name, eegnn__bids_entity(&src[i].ent, "sub"),
                                    first_path ? first_path : src[i].path);
        if (r < 0) {
            eegnn_raw_free(loaded);
            eegnn_bids_events_free(ev);
            goto fail;
        }
        if (!first_path) first_path = src[i].path;
        len = ds->rec_len[r];
        eegnn__ds_group_name(&src[i], unit, gname, sizeof gname);
        n_groups_before = ds->n_groups;
        n_windows_before = ds->n_windows;
        g = eegnn__ds_group(ds, gname);
        if (g < 0) {
            eegnn_raw_free(loaded);
            eegnn_bids_events_free(ev);
            eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory");
            goto fail;
        }
        n_times = eegnn__ds_seconds_to_samples(is_events ? tmax - tmin : win_s, ds->sfreq);
        if (n_times < 1 || n_times > INT32_MAX) {
            eegnn_raw_free(loaded);
            eegnn_bids_events_free(ev);
            eegnn_set_error(EEGNN_ERR_ARG, "dataset: the window length is %lld samples at %g Hz",
                            (long long)n_times, ds->sfreq);
            goto fail;
        }
        ds->n_times = (int)n_times;
        if (is_events) {
            int64_t off = eegnn__ds_seconds_to_samples(tmin, ds->sfreq);
            int n_ev = ev ? ev->n : raw->n_annotations;
            for (e = 0; e < n_ev; e++) {
                const char *tt = ev ? ev->events[e].trial_type : raw->annotations[e].description;
                double onset = ev ? ev->events[e].onset : raw->annotations[e].onset;
                int64_t start;
                if (!tt) continue;
                for (k = 0; k < ds->n_classes; k++)
                    if (strcmp(tt, ds->class_names[k]) == 0) break;
                if (k == ds->n_classes) continue;
                start = eegnn__ds_seconds_to_samples(onset, ds->sfreq) + off;
                if (start < 0 || start + n_times > len) {
                    ds->skipped_events++;
                    continue;
                }
                if (!eegnn__ds_add_window(ds, r, start, (float)k, g)) goto oom_rec;
            }
        } else {
            int64_t stride = eegnn__ds_seconds_to_samples(stride_s, ds->sfreq), start;
            if (stride < 1) stride = 1;
            if (regression) {
                double v = 0.0;
                eegnn__table_parse_number(src[i].label, &v);
                y = (float)v;
            }
            for (start = 0; start + n_times <= len; start += stride)
                if (!eegnn__ds_add_window(ds, r, start, y, g)) goto oom_rec;
        }
        eegnn_raw_free(loaded);
        eegnn_bids_events_free(ev);
        if (ds->n_windows == n_windows_before) {
            /* nothing to train on: drop the recording (and its group if new) */
            ds->n_recordings--;
            EEGNN_FREE(ds->rec_data[r]);
            EEGNN_FREE(ds->rec_name[r]);
            EEGNN_FREE(ds->rec_subject[r]);
            if (ds->n_groups > n_groups_before) EEGNN_FREE(ds->group_names[--ds->n_groups]);
        } else {
            rec_label[r] = src[i].label;
        }
        continue;
    oom_rec:
        eegnn_raw_free(loaded);
        eegnn_bids_events_free(ev);
        eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory adding windows");
        goto fail;
    }
    if (!is_events && !regression && ds->n_windows > 0) {
        /* classes: the sorted distinct values of the subjects that have windows */
        int n_labels = 0;
        labels = (const char **)eegnn__calloc((size_t)ds->n_recordings + 1, sizeof(char *));
        ds->class_names = (char **)eegnn__calloc((size_t)ds->n_recordings + 1, sizeof(char *));
        if (!labels || !ds->class_names) goto fail;
        for (i = 0; i < ds->n_recordings; i++) labels[n_labels++] = rec_label[i];
        qsort(labels, (size_t)n_labels, sizeof(char *), eegnn__ds_cmp_cstr);
        for (i = 0; i < n_labels; i++) {
            if (ds->n_classes && strcmp(ds->class_names[ds->n_classes - 1], labels[i]) == 0) continue;
            if (!(ds->class_names[ds->n_classes] = eegnn__strdup(labels[i]))) goto fail;
            ds->n_classes++;
        }
        for (i = 0; i < ds->n_windows; i++) {
            const char *lab = rec_label[ds->win_rec[i]];
            for (k = 0; k < ds->n_classes; k++)
                if (strcmp(lab, ds->class_names[k]) == 0) break;
            ds->win_y[i] = (float)k;
        }
    }
    if (ds->n_windows == 0) {
        eegnn_set_error(EEGNN_ERR_NOT_FOUND,
                        "dataset: no window for target '%s' (%d recordings loaded, %d subjects skipped, "
                        "%d events outside their recording)",
                        target, ds->n_recordings, ds->skipped_subjects, ds->skipped_events);
        goto fail;
    }
    EEGNN_FREE((void *)labels);
    EEGNN_FREE((void *)rec_label);
    eegnn__ds_free_strings(skipped, n_skipped);
    return ds;
fail:
    EEGNN_FREE((void *)labels);
    EEGNN_FREE((void *)rec_label);
    eegnn__ds_free_strings(skipped, n_skipped);
    eegnn_dataset_free(ds);
    return NULL;
}

EEGNN_API eegnn_dataset *eegnn_dataset_from_bids(const eegnn_bids_dataset *bids, const eegnn_dataset_config *cfg) {
    eegnn__ds_source *src;
    eegnn_dataset *ds;
    int i;
    if (!bids) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dataset_from_bids: dataset is NULL");
        return NULL;
    }
    src = (eegnn__ds_source *)eegnn__calloc((size_t)bids->n_recordings + 1, sizeof *src);
    if (!src) return NULL;
    for (i = 0; i < bids->n_recordings; i++) {
        const eegnn_bids_recording *r = &bids->recordings[i];
        const char *base = strrchr(r->path, '/');
        src[i].name = r->name;
        src[i].path = r->path;
        src[i].rec = r;
        if (!eegnn__bids_parse_name(base ? base + 1 : r->path, &src[i].ent)) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: not a BIDS file name", r->path);
            EEGNN_FREE(src);
            return NULL;
        }
    }
    ds = eegnn__dataset_build(src, bids->n_recordings, bids->participants, cfg);
    EEGNN_FREE(src);
    return ds;
}

EEGNN_API eegnn_dataset *eegnn_dataset_from_raws(const eegnn_raw *const *raws, const char *const *names, int n,
                                                 const eegnn_table *participants, const eegnn_dataset_config *cfg) {
    eegnn__ds_source *src;
    eegnn_dataset *ds;
    int i;
    if (!raws || !names || n <= 0) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dataset_from_raws: no recordings");
        return NULL;
    }
    src = (eegnn__ds_source *)eegnn__calloc((size_t)n, sizeof *src);
    if (!src) return NULL;
    for (i = 0; i < n; i++) {
        char fname[512];
        snprintf(fname, sizeof fname, "%s_eeg.edf", names[i]);
        src[i].name = names[i];
        src[i].path = raws[i] && raws[i]->path ? raws[i]->path : names[i];
        src[i].raw = raws[i];
        if (!raws[i] || !eegnn__bids_parse_name(fname, &src[i].ent) || !eegnn__bids_entity(&src[i].ent, "sub")) {
            eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dataset_from_raws: recording %d: '%s' is not a BIDS name with sub-",
                            i, names[i]);
            EEGNN_FREE(src);
            return NULL;
        }
    }
    ds = eegnn__dataset_build(src, n, participants, cfg);
    EEGNN_FREE(src);
    return ds;
}

EEGNN_API int eegnn_dataset_n_windows(const eegnn_dataset *ds) { return ds ? ds->n_windows : 0; }
EEGNN_API int eegnn_dataset_n_channels(const eegnn_dataset *ds) { return ds ? ds->n_channels : 0; }
EEGNN_API int eegnn_dataset_n_times(const eegnn_dataset *ds) { return ds ? ds->n_times : 0; }
EEGNN_API double eegnn_dataset_sfreq(const eegnn_dataset *ds) { return ds ? ds->sfreq : 0.0; }
EEGNN_API const char *const *eegnn_dataset_ch_names(const eegnn_dataset *ds) {
    return ds ? (const char *const *)ds->ch_names : NULL;
}
EEGNN_API int eegnn_dataset_n_classes(const eegnn_dataset *ds) { return ds ? ds->n_classes : 0; }
EEGNN_API const char *eegnn_dataset_class_name(const eegnn_dataset *ds, int k) {
    return ds && k >= 0 && k < ds->n_classes ? ds->class_names[k] : NULL;
}
EEGNN_API int eegnn_dataset_n_recordings(const eegnn_dataset *ds) { return ds ? ds->n_recordings : 0; }
EEGNN_API int eegnn_dataset_n_skipped_subjects(const eegnn_dataset *ds) { return ds ? ds->skipped_subjects : 0; }
EEGNN_API int eegnn_dataset_n_skipped_events(const eegnn_dataset *ds) { return ds ? ds->skipped_events : 0; }

EEGNN_API eegnn_status eegnn_dataset_get(const eegnn_dataset *ds, int i, float *x, float *y) {
    int c, r;
    const float *src;
    if (!ds || i < 0 || i >= ds->n_windows || !x)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dataset_get: window %d out of range [0, %d)", i,
                               ds ? ds->n_windows : 0);
    r = ds->win_rec[i];
    src = ds->rec_data[r] + ds->win_start[i];
    for (c = 0; c < ds->n_channels; c++)
        memcpy(x + (size_t)c * (size_t)ds->n_times, src + (size_t)c * (size_t)ds->rec_len[r],
               (size_t)ds->n_times * sizeof(float));
    if (y) *y = ds->win_y[i];
    return EEGNN_OK;
}

EEGNN_API float eegnn_dataset_target(const eegnn_dataset *ds, int i) {
    return ds && i >= 0 && i < ds->n_windows ? ds->win_y[i] : NAN;
}
EEGNN_API int eegnn_dataset_recording(const eegnn_dataset *ds, int i) {
    return ds && i >= 0 && i < ds->n_windows ? ds->win_rec[i] : -1;
}
EEGNN_API int64_t eegnn_dataset_start(const eegnn_dataset *ds, int i) {
    return ds && i >= 0 && i < ds->n_windows ? ds->win_start[i] : -1;
}
EEGNN_API const char *eegnn_dataset_recording_name(const eegnn_dataset *ds, int r) {
    return ds && r >= 0 && r < ds->n_recordings ? ds->rec_name[r] : NULL;
}
EEGNN_API int eegnn_dataset_n_groups(const eegnn_dataset *ds) { return ds ? ds->n_groups : 0; }
EEGNN_API int eegnn_dataset_group(const eegnn_dataset *ds, int i) {
    return ds && i >= 0 && i < ds->n_windows ? ds->win_group[i] : -1;
}
EEGNN_API const char *eegnn_dataset_group_name(const eegnn_dataset *ds, int g) {
    return ds && g >= 0 && g < ds->n_groups ? ds->group_names[g] : NULL;
}
EEGNN_API const char *eegnn_dataset_subject(const eegnn_dataset *ds, int i) {
    return ds && i >= 0 && i < ds->n_windows ? ds->rec_subject[ds->win_rec[i]] : NULL;
}

EEGNN_API eegnn_status eegnn_split_groups(int n_groups, double valid_frac, double test_frac, uint64_t seed,
                                          int *assign) {
    int n_valid, n_test, need, i, *perm;
    eegnn_rng rng;
    if (!assign || n_groups <= 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_split_groups: %d groups", n_groups);
    if (!(valid_frac >= 0) || !(test_frac >= 0) || !(valid_frac + test_frac < 1))
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "eegnn_split_groups: fractions valid %g and test %g must be >= 0 and sum to < 1",
                               valid_frac, test_frac);
    need = 1 + (valid_frac > 0) + (test_frac > 0);
    if (n_groups < need)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "eegnn_split_groups: %d groups cannot fill %d non-empty splits (train%s%s); "
                               "use a finer split unit (session or run) or more subjects",
                               n_groups, need, valid_frac > 0 ? ", valid" : "", test_frac > 0 ? ", test" : "");
    n_valid = valid_frac > 0 ? EEGNN__MAX(1, (int)floor(valid_frac * n_groups + 0.5)) : 0;
    n_test = test_frac > 0 ? EEGNN__MAX(1, (int)floor(test_frac * n_groups + 0.5)) : 0;
    while (n_valid + n_test > n_groups - 1) {
        if (n_test >= n_valid && n_test > 1) n_test--;
        else n_valid--;
    }
    perm = (int *)eegnn__calloc((size_t)n_groups, sizeof(int));
    if (!perm) return EEGNN_ERR_MEMORY;
    for (i = 0; i < n_groups; i++) perm[i] = i;
    eegnn_rng_seed(&rng, seed);
    eegnn_rng_shuffle(&rng, perm, n_groups);
    for (i = 0; i < n_groups; i++) assign[perm[i]] = i < n_test ? 2 : (i < n_test + n_valid ? 1 : 0);
    EEGNN_FREE(perm);
    return EEGNN_OK;
}

EEGNN_API int eegnn_dataset_split_indices(const eegnn_dataset *ds, const int *assign, int which, int *out) {
    int i, n = 0;
    if (!ds || !assign) return 0;
    for (i = 0; i < ds->n_windows; i++)
        if (assign[ds->win_group[i]] == which) {
            if (out) out[n] = i;
            n++;
        }
    return n;
}
