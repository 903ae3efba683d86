/* Building a windowed dataset from BIDS recordings or from recordings in
 * memory, and reading its windows (see windows.h). */

/* ---- event labels met while building ---- */

typedef struct eegnn__ds_labels {
    int n, cap;
    char **value; /* (n) */
    int *count;   /* (n) */
} eegnn__ds_labels;

static void eegnn__ds_labels_free(eegnn__ds_labels *l) {
    eegnn__ds_free_strings(l->value, l->n);
    EEGNN_FREE(l->count);
    memset(l, 0, sizeof *l);
}

/* Counts one more event labelled v; EEGNN_ERR_MEMORY when out of memory. */
static eegnn_status eegnn__ds_labels_count(eegnn__ds_labels *l, const char *v) {
    int i;
    for (i = l->n - 1; i >= 0; i--)
        if (!strcmp(l->value[i], v)) {
            l->count[i]++;
            return EEGNN_OK;
        }
    if (l->n == l->cap) {
        int nc = l->cap ? 2 * l->cap : 16;
        char **nv = (char **)EEGNN_REALLOC(l->value, (size_t)nc * sizeof *nv);
        int *ncount = nv ? (int *)EEGNN_REALLOC(l->count, (size_t)nc * sizeof *ncount) : NULL;
        if (nv) l->value = nv;
        if (!ncount) return EEGNN_ERR_MEMORY;
        l->count = ncount;
        l->cap = nc;
    }
    if (!(l->value[l->n] = eegnn__strdup(v))) return EEGNN_ERR_MEMORY;
    l->count[l->n++] = 1;
    return EEGNN_OK;
}

/* After the windows of an events target are cut: every label of the target
 * was met, and every class has windows. */
static eegnn_status eegnn__ds_check_classes(const eegnn_dataset *ds, const eegnn_event_classes *ec,
                                            const eegnn__ds_labels *seen, const char *target, const char *column) {
    int i, k, *n_win;
    for (k = 0; k < ec->n_labels; k++) {
        eegnn__strbuf list = {0, 0, 0, 0};
        int *idx, j;
        eegnn_status st;
        for (i = 0; i < seen->n; i++)
            if (!strcmp(seen->value[i], ec->labels[k])) break;
        if (i < seen->n) continue;
        /* the labels met, sorted by value */
        idx = (int *)eegnn__calloc((size_t)seen->n + 1, sizeof(int));
        if (!idx) return EEGNN_ERR_MEMORY;
        for (i = 0; i < seen->n; i++) {
            for (j = i; j > 0 && strcmp(seen->value[idx[j - 1]], seen->value[i]) > 0; j--) idx[j] = idx[j - 1];
            idx[j] = i;
        }
        for (i = 0; i < seen->n; i++)
            eegnn__sb_printf(&list, "%s%s (%d)", i ? ", " : "", seen->value[idx[i]], seen->count[idx[i]]);
        st = eegnn__ds_missing_label("dataset", ec->labels[k], target, column, list.p ? list.p : "");
        EEGNN_FREE(idx);
        eegnn__sb_free(&list);
        return st;
    }
    n_win = (int *)eegnn__calloc((size_t)ec->n_classes, sizeof(int));
    if (!n_win) return EEGNN_ERR_MEMORY;
    for (i = 0; i < ds->n_windows; i++) n_win[(int)ds->win_y[i]]++;
    for (k = 0; k < ec->n_classes; k++)
        if (n_win[k] == 0) {
            EEGNN_FREE(n_win);
            return eegnn_set_error(EEGNN_ERR_NOT_FOUND,
                                   "dataset: class '%s' of target '%s' has no window: each of its events lies too "
                                   "close to the end or the start of its recording for the window from tmin to tmax "
                                   "(%d events skipped in all)", ec->names[k], target, ds->skipped_events);
        }
    EEGNN_FREE(n_win);
    return EEGNN_OK;
}

/* The status of a failure reported by a NULL or a negative count: the
 * error the callee set (EEGNN_ERR_MEMORY when none was). */
static eegnn_status eegnn__ds_failed(void) {
    eegnn_status st = eegnn_last_status();
    return st ? st : eegnn_set_error(EEGNN_ERR_MEMORY, "dataset: out of memory");
}

/* The state of one eegnn__dataset_build call. */
typedef struct eegnn__ds_build {
    eegnn_dataset *ds;
    eegnn__ds_source *src;
    int n_src;
    const eegnn_dataset_config *cfg;
    const char *target, *ev_column;
    int is_events;                 /* target kind: 0 participants, 1 events, 2 challenge1 */
    int unit, regression;          /* split unit; 1: numeric target */
    double win_s, stride_s, tmin, tmax;
    eegnn__ds_prep prep;
    eegnn_event_classes *ec;       /* events targets: the classes */
    eegnn__ds_labels seen_labels;  /* events targets: every label met, with counts */
    char **skipped;                /* participants targets: subjects without a value */
    int n_skipped;
    const char **rec_label;        /* (recordings) participants targets: each recording's value */
    int want_stream, prep_stream, max_open, n_selected, n_read;
    uint64_t prep_key;
    const char *first_path;
} eegnn__ds_build;

/* The task filter and the target: event classes, or each selected
 * recording's participants.tsv value (subjects without one skipped). */
static eegnn_status eegnn__ds_build_target(eegnn__ds_build *b, const eegnn_table *participants) {
    eegnn_dataset *ds = b->ds;
    eegnn__ds_source *src = b->src;
    const char *target = b->target, *col_name = target + 13;
    int i, k, p_col, id_col;
    for (i = 0; i < b->n_src; i++) {
        const char *task = eegnn_bids_entity(&src[i].ent, "task");
        src[i].selected = !b->cfg->task || (task && eegnn__list_contains(b->cfg->task, task));
    }
    if (b->is_events == 2) {
        b->regression = 1;
        return EEGNN_OK;
    }
    if (b->is_events) {
        if (!(b->ec = eegnn_event_classes_parse(target))) return eegnn__ds_failed();
        if (b->ec->n_classes < 2)
            return eegnn_set_error(EEGNN_ERR_ARG, "target '%s' names one class: a classifier needs at least two "
                                   "(events:A,B or events:NAME=A+B,C)", target);
        ds->class_names = (char **)eegnn__calloc((size_t)b->ec->n_classes, sizeof(char *));
        if (!ds->class_names) return EEGNN_ERR_MEMORY;
        for (k = 0; k < b->ec->n_classes; k++) {
            if (!(ds->class_names[k] = eegnn__strdup(b->ec->names[k]))) return EEGNN_ERR_MEMORY;
            ds->n_classes = k + 1;
        }
        return EEGNN_OK;
    }
    if (!participants)
        return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "dataset: target '%s' needs a participants.tsv", target);
    if ((p_col = eegnn_table_column(participants, col_name)) < 0)
        return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no column '%s' for target '%s'", participants->path,
                               col_name, target);
    b->regression = eegnn_table_column_is_numeric(participants, p_col);
    if (!(b->skipped = (char **)eegnn__calloc((size_t)b->n_src + 1, sizeof(char *)))) return EEGNN_ERR_MEMORY;
    id_col = eegnn_table_column(participants, "participant_id");
    for (i = 0; i < b->n_src; i++) {
        const char *sub = eegnn_bids_entity(&src[i].ent, "sub");
        int row = -1, r, seen = 0;
        if (!src[i].selected) continue;
        for (r = 0; r < participants->n_rows && row < 0; r++) {
            const char *id = eegnn_table_cell(participants, r, id_col);
            if (id && eegnn__starts_with(id, "sub-")) id += 4;
            if (id && strcmp(id, sub) == 0) row = r;
        }
        src[i].label = row >= 0 ? eegnn_table_cell(participants, row, p_col) : NULL;
        if (src[i].label) continue;
        for (k = 0; k < b->n_skipped; k++)
            if (strcmp(b->skipped[k], sub) == 0) seen = 1;
        if (!seen && !(b->skipped[b->n_skipped++] = eegnn__strdup(sub))) return EEGNN_ERR_MEMORY;
        src[i].selected = 0;
    }
    ds->skipped_subjects = b->n_skipped;
    return EEGNN_OK;
}

/* Streaming: when asked to, or when the recordings would not fit in
 * max_memory; with recording-level preprocessing, one recording at a time
 * into the preprocessed window cache, which may already hold the dataset
 * (*cached, and nothing more to read). */
static eegnn_status eegnn__ds_build_plan(eegnn__ds_build *b, eegnn_dataset **cached) {
    const eegnn_dataset_config *cfg = b->cfg;
    eegnn__ds_source *src = b->src;
    eegnn_status st;
    int i;
    b->want_stream = cfg->stream;
    if (!b->want_stream && cfg->max_memory > 0) {
        double total = 0.0;
        for (i = 0; i < b->n_src; i++)
            if (src[i].selected && !src[i].raw) total += eegnn__ds_estimate_bytes(src[i].path);
        b->want_stream = total > (double)cfg->max_memory;
    }
    if (!b->want_stream || !b->prep.recording_level) return EEGNN_OK;
    for (i = 0; i < b->n_src; i++) {
        double win[5];
        if (!src[i].selected || src[i].raw) continue;
        if (!cfg->cache_dir)
            return eegnn_set_error(EEGNN_ERR_ARG,
                                   "dataset: %s would be streamed (%s), and channel picks, re-referencing, "
                                   "filters, resampling, rejection and EMS need each whole recording: its "
                                   "preprocessed windows go to an on-disk cache, so set cache_dir (eegnn train "
                                   "--cache DIR), or raise max_memory to keep the recordings in memory",
                                   src[i].path, cfg->stream ? "stream is set" : "the data exceed max_memory");
        if ((st = eegnn__ds_cache_dtype(b->ds, cfg))) return st;
        b->prep_stream = 1;
        win[0] = b->win_s;
        win[1] = b->stride_s;
        win[2] = b->tmin;
        win[3] = b->tmax;
        win[4] = cfg->crop_seconds;
        b->prep_key = eegnn__ds_prep_key(b->ds, src, b->n_src, cfg, &b->prep, b->unit, win);
        if ((*cached = eegnn__ds_pcache_load(b->ds, cfg->cache_dir, b->prep_key)) != NULL) return EEGNN_OK;
        return eegnn__ds_pcache_start(b->ds, cfg->cache_dir, b->prep_key);
    }
    return EEGNN_OK;
}

/* The windows of recording r (n_times samples each, len in all) of source
 * i, in group g: Challenge 1 trials, event windows or fixed windows.
 * Returns 0, -1 out of memory, -2 another error (set). */
static int eegnn__ds_cut_windows(eegnn__ds_build *b, int i, int r, const eegnn_raw *raw, const eegnn_bids_events *ev,
                                 int g, int64_t n_times, int64_t len) {
    eegnn_dataset *ds = b->ds;
    int e, k, n_ev = ev ? ev->n : raw->n_annotations;
    int64_t off = eegnn__ds_seconds_to_samples(b->tmin, ds->sfreq), start;
    if (b->is_events == 2) {
        const char **values = (const char **)eegnn__calloc((size_t)n_ev + 1, sizeof(char *));
        double *onsets = (double *)eegnn__calloc((size_t)n_ev + 1, sizeof(double));
        double *stim = (double *)eegnn__calloc((size_t)n_ev + 1, sizeof(double));
        double *rt = (double *)eegnn__calloc((size_t)n_ev + 1, sizeof(double));
        int n_tr = -1;
        if (values && onsets && stim && rt) {
            for (e = 0; e < n_ev; e++) {
                values[e] = ev ? ev->events[e].value : raw->annotations[e].description;
                onsets[e] = ev ? ev->events[e].onset : raw->annotations[e].onset;
            }
            n_tr = eegnn__ds_challenge1_trials(values, onsets, n_ev, stim, rt);
        }
        for (e = 0; e < n_tr; e++) {
            start = eegnn__ds_seconds_to_samples(stim[e], ds->sfreq) + off;
            if (start < 0 || start + n_times > len) {
                ds->skipped_events++;
                continue;
            }
            if (!eegnn__ds_add_window(ds, r, start, (float)rt[e], g)) {
                n_tr = -1;
                break;
            }
        }
        EEGNN_FREE((void *)values);
        EEGNN_FREE(onsets);
        EEGNN_FREE(stim);
        EEGNN_FREE(rt);
        return n_tr < 0 ? -1 : 0;
    }
    if (b->is_events) {
        if (!ev && b->cfg->event_column && strcmp(b->cfg->event_column, "trial_type")) {
            eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no events file, and the annotations of a signal file stand "
                            "for trial_type only, not '%s'", b->src[i].path, b->cfg->event_column);
            return -2;
        }
        for (e = 0; e < n_ev; e++) {
            const char *tt = ev ? ev->events[e].label : raw->annotations[e].description;
            double onset = ev ? ev->events[e].onset : raw->annotations[e].onset;
            if (!tt) continue;
            if (eegnn__ds_labels_count(&b->seen_labels, tt)) return -1;
            if ((k = eegnn_event_classes_find(b->ec, tt)) < 0) continue;
            start = eegnn__ds_seconds_to_samples(onset, ds->sfreq) + off;
            if (start < 0 || start + n_times > len) {
                ds->skipped_events++;
                continue;
            }
            if (!eegnn__ds_add_window(ds, r, start, (float)k, g)) return -1;
        }
        return 0;
    }
    {
        int64_t stride = EEGNN__MAX(eegnn__ds_seconds_to_samples(b->stride_s, ds->sfreq), 1);
        float y = 0.0f;
        if (b->regression) {
            double v = 0.0;
            eegnn__parse_decimal(b->src[i].label, &v);
            y = (float)v;
        }
        for (start = 0; start + n_times <= len; start += stride)
            if (!eegnn__ds_add_window(ds, r, start, y, g)) return -1;
    }
    return 0;
}

/* Source i's recording: read (or opened for streaming, or copied when in
 * memory and preprocessed per recording), preprocessed, and its events.
 * *loaded is what the caller frees, *raw what to window. */
static eegnn_status eegnn__ds_open_source(eegnn__ds_build *b, int i, eegnn_raw **loaded, const eegnn_raw **raw,
                                          eegnn__ds_stream *stream, int *streamed, eegnn_bids_events **ev) {
    eegnn__ds_source *s = &b->src[i];
    eegnn_status st;
    *raw = s->raw;
    if (!s->raw) {
        if (!s->rec->readable)
            return eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: %s recordings cannot be read yet", s->path,
                                   s->rec->format);
        if (b->want_stream && !b->prep_stream) {
            int opened = eegnn__ds_open_stream(s->path, b->ds->n_open_streams < b->max_open, loaded, stream);
            if (opened < 0) return eegnn__ds_failed();
            *streamed = opened;
        }
        if (!*streamed) *loaded = eegnn_read_raw(s->path, NULL);
        if (!*loaded) return eegnn__ds_failed();
        *raw = *loaded;
    } else if (b->prep.recording_level) {
        if (!(*loaded = eegnn_raw_copy(s->raw))) return eegnn__ds_failed();
        *raw = *loaded;
    }
    if (b->prep.recording_level && !*streamed && (st = eegnn__ds_preprocess(b->ds, *loaded, &b->prep, s->name)))
        return st;
    if (!s->raw && s->rec->events_path && b->is_events) {
        *ev = b->is_events == 1 ? eegnn_bids_load_events_column(s->rec, b->ev_column) : eegnn_bids_load_events(s->rec);
        if (!*ev) return eegnn__ds_failed();
    }
    return EEGNN_OK;
}

/* Drops recording r, which gave no window (and its group when it made it). */
static void eegnn__ds_drop_recording(eegnn_dataset *ds, int r, int n_groups_before) {
    ds->n_recordings--;
    EEGNN_FREE(ds->rec_data[r]);
    if (ds->rec_stream[r].handle) {
        ds->rec_stream[r].close(ds->rec_stream[r].handle);
        ds->rec_stream[r].handle = NULL;
        ds->n_streamed--;
        ds->n_open_streams -= ds->rec_stream[r].keeps_fd;
    }
    EEGNN_FREE(ds->rec_name[r]);
    EEGNN_FREE(ds->rec_subject[r]);
    if (ds->n_groups > n_groups_before) EEGNN_FREE(ds->group_names[--ds->n_groups]);
}

/* Adds source i: its recording, group and windows, with rejection and EMS. */
static eegnn_status eegnn__ds_build_source(eegnn__ds_build *b, int i) {
    eegnn_dataset *ds = b->ds;
    const eegnn_dataset_config *cfg = b->cfg;
    eegnn_raw *loaded = NULL;
    const eegnn_raw *raw = NULL;
    eegnn__ds_stream stream;
    eegnn_bids_events *ev = NULL;
    int streamed = 0, r, g, cut, n_groups_before, n_windows_before;
    int64_t n_times, len;
    char gname[512];
    eegnn_status st = eegnn__ds_open_source(b, i, &loaded, &raw, &stream, &streamed, &ev);
    if (st) {
        if (streamed) stream.close(stream.handle);
        goto done;
    }
    r = eegnn__ds_add_recording(ds, raw, streamed ? &stream : NULL, b->src[i].name,
                                eegnn_bids_entity(&b->src[i].ent, "sub"), b->first_path ? b->first_path : b->src[i].path);
    if (r < 0) {
        if (streamed && (ds->n_recordings == 0 || ds->rec_stream[ds->n_recordings - 1].handle != stream.handle))
            stream.close(stream.handle);
        st = eegnn__ds_failed();
        goto done;
    }
    if (!b->first_path) b->first_path = b->src[i].path;
    if (b->prep_stream) { /* the scaled copy is all windowing needs */
        EEGNN_FREE(loaded->data);
        loaded->data = NULL;
    }
    len = ds->rec_len[r];
    eegnn__ds_group_name(&b->src[i], b->unit, gname, sizeof gname);
    n_groups_before = ds->n_groups;
    n_windows_before = ds->n_windows;
    if ((g = eegnn__ds_group(ds, gname)) < 0) {
        st = eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory");
        goto done;
    }
    n_times = eegnn__ds_seconds_to_samples(b->is_events ? b->tmax - b->tmin : b->win_s, ds->sfreq);
    if (n_times < 1 || n_times > INT32_MAX) {
        st = eegnn_set_error(EEGNN_ERR_ARG, "dataset: the window length is %lld samples at %g Hz", (long long)n_times,
                             ds->sfreq);
        goto done;
    }
    ds->n_times = (int)n_times;
    if (!b->is_events && cfg->crop_seconds > 0) {
        int64_t crop = eegnn__ds_seconds_to_samples(cfg->crop_seconds, ds->sfreq);
        if (crop < 1 || crop > n_times) {
            st = eegnn_set_error(EEGNN_ERR_ARG, "dataset: a crop of %lld samples in windows of %lld", (long long)crop,
                                 (long long)n_times);
            goto done;
        }
        ds->n_times = (int)crop;
        ds->crop_max = (int)(n_times - crop);
    }
    if ((cut = eegnn__ds_cut_windows(b, i, r, raw, ev, g, n_times, len)) < 0) {
        st = cut == -1 ? eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory adding windows") : eegnn__ds_failed();
        goto done;
    }
    if ((st = eegnn__ds_reject_and_ems(ds, r, n_windows_before, raw->ch_types, &b->prep))) goto done;
    eegnn_raw_free(loaded); /* before the recording goes to the cache: the lower peak */
    loaded = NULL;
    eegnn_bids_events_free(ev);
    ev = NULL;
    b->n_read++;
    if (ds->n_windows == n_windows_before) {
        eegnn__ds_drop_recording(ds, r, n_groups_before);
    } else {
        b->rec_label[r] = b->src[i].label;
        if (b->prep_stream) { /* windows to the cache, the recording out of memory */
            if ((st = eegnn__ds_pcache_put_recording(ds, r, n_windows_before))) goto done;
            EEGNN_FREE(ds->rec_data[r]);
            ds->rec_data[r] = NULL;
            ds->n_streamed++;
        }
    }
done:
    eegnn_raw_free(loaded);
    eegnn_bids_events_free(ev);
    return st;
}

/* Participants targets that are not numeric: the classes are the sorted
 * distinct values of the subjects that have windows. */
static eegnn_status eegnn__ds_build_classes(eegnn__ds_build *b) {
    eegnn_dataset *ds = b->ds;
    const char **labels;
    int i, k, n_labels = 0;
    eegnn_status st = EEGNN_OK;
    labels = (const char **)eegnn__calloc((size_t)ds->n_recordings + 1, sizeof(char *));
    ds->class_names = (char **)eegnn__calloc((size_t)ds->n_recordings + 1, sizeof(char *));
    if (!labels || !ds->class_names) st = EEGNN_ERR_MEMORY;
    for (i = 0; !st && i < ds->n_recordings; i++) labels[n_labels++] = b->rec_label[i];
    if (!st) qsort(labels, (size_t)n_labels, sizeof(char *), eegnn__cmp_strings);
    for (i = 0; !st && i < n_labels; i++) {
        if (ds->n_classes && strcmp(ds->class_names[ds->n_classes - 1], labels[i]) == 0) continue;
        if (!(ds->class_names[ds->n_classes] = eegnn__strdup(labels[i]))) st = EEGNN_ERR_MEMORY;
        else ds->n_classes++;
    }
    for (i = 0; !st && i < ds->n_windows; i++) {
        const char *lab = b->rec_label[ds->win_rec[i]];
        for (k = 0; k < ds->n_classes; k++)
            if (strcmp(lab, ds->class_names[k]) == 0) break;
        ds->win_y[i] = (float)k;
    }
    EEGNN_FREE((void *)labels);
    return st;
}

/* A dataset from the sources (recordings of a BIDS dataset, or in memory):
 * the target and task filter, the streaming plan, every selected
 * recording's windows, the classes, and the caches. NULL (error set) on
 * failure. */
static eegnn_dataset *eegnn__dataset_build(eegnn__ds_source *src, int n_src, const eegnn_table *participants,
                                           const eegnn_dataset_config *cfg) {
    eegnn__ds_build b;
    eegnn_dataset *cached = NULL;
    int i, k, has[5] = {0, 0, 0, 0, 0}, failed = 1;
    memset(&b, 0, sizeof b);
    if (!cfg) {
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: config is NULL");
        return NULL;
    }
    b.src = src;
    b.n_src = n_src;
    b.cfg = cfg;
    b.target = cfg->target;
    b.ev_column = cfg->event_column ? cfg->event_column : "trial_type";
    b.max_open = eegnn__ds_max_open_streams();
    if ((b.is_events = eegnn__ds_target_kind(b.target)) < 0 || (b.unit = eegnn__ds_split_unit(cfg->split)) < 0 ||
        eegnn__ds_check_windows(cfg, b.is_events))
        return NULL;
    if (cfg->event_column && b.is_events != 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: event_column '%s' applies to events targets, not '%s'",
                        cfg->event_column, b.target);
        return NULL;
    }
    b.win_s = cfg->window_seconds > 0 ? cfg->window_seconds : 2.0;
    b.stride_s = cfg->stride_seconds > 0 ? cfg->stride_seconds : b.win_s;
    b.tmin = cfg->tmin;
    b.tmax = cfg->tmax;
    if (b.tmin == 0 && b.tmax == 0) {
        b.tmin = 0.5;
        b.tmax = 2.5;
    }
    if (!(b.ds = (eegnn_dataset *)eegnn__calloc(1, sizeof *b.ds))) return NULL;
    b.ds->cache_fd = -1;
    b.ds->scale = cfg->scale != 0 ? cfg->scale : 1e6;
    if (eegnn__ds_prep_parse(cfg, &b.prep)) goto done;
    b.ds->std_window = b.prep.std_window;
    b.ds->std_eps = b.prep.eps;
    if (eegnn__ds_build_target(&b, participants)) goto done;
    if (!(b.rec_label = (const char **)eegnn__calloc((size_t)n_src + 1, sizeof(char *)))) goto done;
    for (i = 0; i < n_src; i++) {
        static const char *const keys[5] = {"sub", "ses", "task", "acq", "run"};
        if (!src[i].selected) continue;
        b.n_selected++;
        for (k = 0; k < 5; k++) has[k] |= eegnn_bids_entity(&src[i].ent, keys[k]) != NULL;
    }
    if (b.n_selected && eegnn__ds_check_unit(b.unit, has, b.n_selected, "dataset")) goto done;
    if (eegnn__ds_build_plan(&b, &cached)) goto done;
    if (cached) { /* complete and current: no recording is read */
        eegnn_dataset_free(b.ds);
        b.ds = cached;
        failed = 0;
        goto done;
    }
    if (b.prep.common && eegnn__ds_common_channels(src, n_src, &b.prep)) goto done;

    if (cfg->progress) cfg->progress(cfg->progress_user, 0, b.n_selected, 0);
    for (i = 0; i < n_src; i++) {
        if (!src[i].selected) continue;
        if (eegnn__ds_build_source(&b, i)) goto done;
        if (cfg->progress) cfg->progress(cfg->progress_user, b.n_read, b.n_selected, b.ds->n_windows);
    }
    if (!b.is_events && !b.regression && b.ds->n_windows > 0 && eegnn__ds_build_classes(&b)) goto done;
    if (b.is_events == 1 && eegnn__ds_check_classes(b.ds, b.ec, &b.seen_labels, b.target, b.ev_column)) goto done;
    if (b.ds->n_windows == 0) {
        eegnn_set_error(EEGNN_ERR_NOT_FOUND,
                        "dataset: no window for target '%s' (%d recordings loaded, %d subjects skipped, "
                        "%d events outside their recording)",
                        b.target, b.ds->n_recordings, b.ds->skipped_subjects, b.ds->skipped_events);
        goto done;
    }
    if (b.prep_stream) {
        if (eegnn__ds_pcache_finish(b.ds, b.prep_key)) goto done;
    } else if (b.ds->n_streamed > 0 && cfg->cache_dir && eegnn__ds_cache_open(b.ds, cfg)) {
        goto done;
    }
    failed = 0;
done:
    EEGNN_FREE((void *)b.rec_label);
    eegnn__ds_free_strings(b.skipped, b.n_skipped);
    eegnn__ds_prep_free(&b.prep);
    eegnn_event_classes_free(b.ec);
    eegnn__ds_labels_free(&b.seen_labels);
    if (failed) {
        eegnn__ds_failed(); /* an error is set */
        eegnn_dataset_free(b.ds);
        return NULL;
    }
    return b.ds;
}

EEGNN_API eegnn_dataset *eegnn_dataset_from_bids(const eegnn_bids_dataset *bids, const eegnn_dataset_config *cfg) {
    eegnn__ds_source *src;
    eegnn_dataset *ds;
    int i;
    if (!bids) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dataset_from_bids: dataset is NULL");
        return NULL;
    }
    if (eegnn_dataset_check(bids, cfg, NULL)) return NULL;
    src = (eegnn__ds_source *)eegnn__calloc((size_t)bids->n_recordings + 1, sizeof *src);
    if (!src) return NULL;
    for (i = 0; i < bids->n_recordings; i++) {
        const eegnn_bids_recording *r = &bids->recordings[i];
        const char *base = strrchr(r->path, '/');
        src[i].name = r->name;
        src[i].path = r->path;
        src[i].rec = r;
        if (!eegnn_bids_parse_filename(base ? base + 1 : r->path, &src[i].ent)) {
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
        if (!raws[i] || !eegnn_bids_parse_filename(fname, &src[i].ent) || !eegnn_bids_entity(&src[i].ent, "sub")) {
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

/* Window i of a dataset built into a preprocessed cache, crop `offset`. */
static eegnn_status eegnn__ds_get_prepped(const eegnn_dataset *ds, int i, int offset, float *x) {
    size_t len = (size_t)ds->cache_len;
    float *w;
    eegnn_status st;
    int c;
    if (len == (size_t)ds->n_times) return eegnn__ds_cache_read(ds, i, x);
    w = (float *)eegnn__calloc((size_t)ds->n_channels * len, sizeof(float));
    if (!w) return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory reading window %d", ds->cache_path, i);
    st = eegnn__ds_cache_read(ds, i, w);
    if (!st)
        for (c = 0; c < ds->n_channels; c++)
            memcpy(x + (size_t)c * (size_t)ds->n_times, w + (size_t)c * len + offset, (size_t)ds->n_times * sizeof(float));
    EEGNN_FREE(w);
    return st;
}

EEGNN_API eegnn_status eegnn_dataset_get_crop(const eegnn_dataset *ds, int i, int offset, float *x, float *y) {
    int c, r;
    const float *src;
    eegnn_status st;
    if (!ds || i < 0 || i >= ds->n_windows || !x)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dataset_get: window %d out of range [0, %d)", i,
                               ds ? ds->n_windows : 0);
    if (offset < 0 || offset > ds->crop_max)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dataset_get_crop: offset %d out of range [0, %d]", offset,
                               ds->crop_max);
    r = ds->win_rec[i];
    if (y) *y = ds->win_y[i];
    if (ds->prep_cache) {
        st = eegnn__ds_get_prepped(ds, i, offset, x);
    } else if (ds->rec_stream && ds->rec_stream[r].handle) {
        st = eegnn__ds_get_streamed((eegnn_dataset *)ds, i, offset, x);
    } else {
        src = ds->rec_data[r] + ds->win_start[i] + offset;
        for (c = 0; c < ds->n_channels; c++)
            memcpy(x + (size_t)c * (size_t)ds->n_times, src + (size_t)c * (size_t)ds->rec_len[r],
                   (size_t)ds->n_times * sizeof(float));
        st = EEGNN_OK;
    }
    if (!st && ds->std_window) st = eegnn_standardize(x, ds->n_channels, ds->n_times, ds->std_eps);
    return st;
}

EEGNN_API eegnn_status eegnn_dataset_get(const eegnn_dataset *ds, int i, float *x, float *y) {
    return eegnn_dataset_get_crop(ds, i, ds ? ds->crop_max / 2 : 0, x, y);
}

EEGNN_API int eegnn_dataset_crop_max_offset(const eegnn_dataset *ds) { return ds ? ds->crop_max : 0; }

EEGNN_API int eegnn_dataset_n_streamed(const eegnn_dataset *ds) { return ds ? ds->n_streamed : 0; }

EEGNN_API const char *eegnn_dataset_log(const eegnn_dataset *ds) { return ds && ds->log.p ? ds->log.p : ""; }
EEGNN_API int eegnn_dataset_n_resampled(const eegnn_dataset *ds) { return ds ? ds->n_resampled : 0; }
EEGNN_API int eegnn_dataset_n_candidate_windows(const eegnn_dataset *ds) { return ds ? ds->n_candidates : 0; }
EEGNN_API const eegnn_dataset_dropped *eegnn_dataset_dropped_windows(const eegnn_dataset *ds, int *n) {
    if (n) *n = ds ? ds->n_dropped : 0;
    return ds && ds->n_dropped ? ds->dropped : NULL;
}

EEGNN_API eegnn_status eegnn_dataset_write_drop_log(const eegnn_dataset *ds, const char *path) {
    eegnn__strbuf sb = {0, 0, 0, 0};
    eegnn__outfile of;
    eegnn_status st;
    int i;
    if (!ds || !path) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dataset_write_drop_log: dataset or path is NULL");
    eegnn__sb_printf(&sb, "recording\tstart\tonset\ttarget\treason\tchannels\n");
    for (i = 0; i < ds->n_dropped; i++) {
        const eegnn_dataset_dropped *d = &ds->dropped[i];
        eegnn__sb_printf(&sb, "%s\t%lld\t%.9g\t%.9g\t%s\t%s\n", d->recording, (long long)d->start,
                         (double)d->start / ds->sfreq, (double)d->target,
                         d->reasons == 3 ? "REJECT,FLAT" : (d->reasons == 2 ? "FLAT" : "REJECT"), d->channels);
    }
    if (sb.failed) {
        eegnn__sb_free(&sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory writing %s", path);
    }
    st = eegnn__outfile_open(&of, path);
    if (!st) {
        st = eegnn__outfile_write(&of, sb.p, sb.len);
        if (!st) st = eegnn__outfile_commit(&of);
        else eegnn__outfile_abort(&of);
    }
    eegnn__sb_free(&sb);
    return st;
}
EEGNN_API const char *eegnn_dataset_cache_path(const eegnn_dataset *ds) { return ds ? ds->cache_path : NULL; }

EEGNN_API eegnn_status eegnn_dataset_cache_complete(eegnn_dataset *ds) {
    float *x;
    int i, need;
    eegnn_status st = EEGNN_OK;
    if (!ds || !ds->cache_path || ds->prep_cache) return EEGNN_OK; /* a preprocessed cache is complete when built */
    x = (float *)eegnn__calloc((size_t)ds->n_channels * (size_t)ds->n_times, sizeof(float));
    if (!x) return EEGNN_ERR_MEMORY;
    for (i = 0; i < ds->n_windows && !st; i++) {
        pthread_mutex_lock(&ds->cache_lock);
        need = !ds->cache_ready && !ds->cache_error && !ds->cache_done[i];
        pthread_mutex_unlock(&ds->cache_lock);
        if (need) st = eegnn_dataset_get(ds, i, x, NULL);
    }
    EEGNN_FREE(x);
    return st;
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
