/* Preprocessing of the recordings a dataset loads (see windows.h):
 * channel picks and the common channel set, filters, resampling, reference,
 * rejection, exponential moving standardization, and the trial table of the
 * EEG 2025 Challenge 1. */

/* Parsed preprocessing settings of a dataset config. */
typedef struct eegnn__ds_prep {
    char **types;
    int n_types;
    char **chans; /* explicit list, or the common channels once known */
    int n_chans;
    int common;
    int ref_average;
    char **ref;
    int n_ref;
    double l_freq, h_freq, notch, notch_width, sfreq, reject, flat, ems_factor, eps;
    int order, notch_order, ems, std_window;
    int64_t ems_block;
    int recording_level; /* 1: a step that needs the whole recording in memory */
} eegnn__ds_prep;

static void eegnn__ds_prep_free(eegnn__ds_prep *p) {
    eegnn__ds_free_strings(p->types, p->n_types);
    eegnn__ds_free_strings(p->chans, p->n_chans);
    eegnn__ds_free_strings(p->ref, p->n_ref);
    memset(p, 0, sizeof *p);
}

/* A comma-separated config list with at least one entry; NULL (error set) otherwise. */
static char **eegnn__ds_config_list(const char *what, const char *list, int *n) {
    char **v = eegnn__ds_split_list(list, n);
    if (v && *n == 0) {
        EEGNN_FREE(v);
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: %s '%s' names nothing", what, list);
        return NULL;
    }
    return v;
}

static eegnn_status eegnn__ds_prep_parse(const eegnn_dataset_config *cfg, eegnn__ds_prep *p) {
    memset(p, 0, sizeof *p);
    p->l_freq = cfg->l_freq;
    p->h_freq = cfg->h_freq;
    p->order = cfg->filter_order ? cfg->filter_order : 4;
    p->notch = cfg->notch_freq;
    p->notch_width = cfg->notch_width ? cfg->notch_width : 1.0;
    p->notch_order = cfg->notch_order ? cfg->notch_order : 4;
    p->sfreq = cfg->sfreq;
    p->reject = cfg->reject;
    p->flat = cfg->flat;
    p->ems_factor = cfg->ems_factor_new ? cfg->ems_factor_new : 1e-3;
    p->ems_block = cfg->ems_init_block_size;
    p->eps = cfg->standardize_eps ? cfg->standardize_eps : 1e-4;
    if (!(p->l_freq >= 0) || !(p->h_freq >= 0) || !isfinite(p->l_freq) || !isfinite(p->h_freq))
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: filter edges l_freq %g and h_freq %g Hz must be >= 0",
                               p->l_freq, p->h_freq);
    if (p->l_freq > 0 && p->h_freq > 0 && p->l_freq >= p->h_freq)
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: l_freq %g Hz must be below h_freq %g Hz", p->l_freq,
                               p->h_freq);
    if (p->order < 1 || p->order > EEGNN_BUTTER_MAX_ORDER || p->notch_order < 1 ||
        p->notch_order > EEGNN_BUTTER_MAX_ORDER)
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: filter orders %d and %d must be in 1..%d", p->order,
                               p->notch_order, EEGNN_BUTTER_MAX_ORDER);
    if (!(p->notch >= 0) || !isfinite(p->notch) || !(p->notch_width > 0) || !isfinite(p->notch_width))
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: notch %g Hz and half width %g Hz must be >= 0 and > 0",
                               p->notch, p->notch_width);
    if (!(p->sfreq >= 0) || !isfinite(p->sfreq))
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: resampling rate %g Hz must be > 0 (0: none)", p->sfreq);
    if (!(p->reject >= 0) || !isfinite(p->reject) || !(p->flat >= 0) || !isfinite(p->flat))
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: reject %g and flat %g must be finite and >= 0", p->reject,
                               p->flat);
    if (!cfg->standardize || !strcmp(cfg->standardize, "none")) {
    } else if (!strcmp(cfg->standardize, "window")) {
        p->std_window = 1;
    } else if (!strcmp(cfg->standardize, "ems")) {
        p->ems = 1;
    } else {
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: standardize '%s' is not none, window or ems",
                               cfg->standardize);
    }
    if (!(p->ems_factor > 0 && p->ems_factor <= 1) || p->ems_block < 0 || !(p->eps > 0) || !isfinite(p->eps))
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "dataset: EMS factor_new %g must be in (0, 1], init_block_size %lld >= 0, eps %g > 0",
                               p->ems_factor, (long long)p->ems_block, p->eps);
    if (cfg->pick_types && !(p->types = eegnn__ds_config_list("pick_types", cfg->pick_types, &p->n_types)))
        goto fail;
    if (cfg->channels && !strcmp(cfg->channels, "common")) p->common = 1;
    else if (cfg->channels && !(p->chans = eegnn__ds_config_list("channels", cfg->channels, &p->n_chans)))
        goto fail;
    if (cfg->reference && !strcmp(cfg->reference, "average")) p->ref_average = 1;
    else if (cfg->reference && !(p->ref = eegnn__ds_config_list("reference", cfg->reference, &p->n_ref)))
        goto fail;
    p->recording_level = p->n_types || p->n_chans || p->common || p->ref_average || p->n_ref || p->l_freq > 0 ||
                         p->h_freq > 0 || p->notch > 0 || p->sfreq > 0 || p->reject > 0 || p->flat > 0 || p->ems;
    return EEGNN_OK;
fail:
    eegnn__ds_prep_free(p);
    return EEGNN_ERR_ARG;
}

static int eegnn__ds_type_ok(const eegnn__ds_prep *p, const char *type) {
    int k;
    if (!p->n_types) return 1;
    for (k = 0; k < p->n_types; k++)
        if (type && !strcmp(type, p->types[k])) return 1;
    return 0;
}

/* channels = "common": the channels (of the picked types) every selected
 * recording has, in the first one's order, from the file headers. */
static eegnn_status eegnn__ds_common_channels(const eegnn__ds_source *src, int n_src, eegnn__ds_prep *p) {
    int i, c, k, n = 0, first = 1;
    char **names = NULL;
    eegnn_read_options ro;
    memset(&ro, 0, sizeof ro);
    ro.header_only = 1;
    for (i = 0; i < n_src; i++) {
        eegnn_raw *hdr = NULL;
        const eegnn_raw *h = src[i].raw;
        if (!src[i].selected) continue;
        if (!h) {
            if (!src[i].rec->readable) continue; /* refused later with its own error */
            hdr = eegnn_read_raw(src[i].path, &ro);
            if (!hdr) goto fail;
            h = hdr;
        }
        if (first) {
            names = (char **)eegnn__calloc((size_t)h->n_channels + 1, sizeof(char *));
            if (!names) {
                eegnn_raw_free(hdr);
                goto fail;
            }
            for (c = 0; c < h->n_channels; c++)
                if (eegnn__ds_type_ok(p, h->ch_types[c])) {
                    for (k = 0; k < n && strcmp(names[k], h->ch_names[c]); k++) {}
                    if (k < n) continue; /* duplicate name: keep the first */
                    if (!(names[n] = eegnn__strdup(h->ch_names[c]))) {
                        eegnn_raw_free(hdr);
                        goto fail;
                    }
                    n++;
                }
            first = 0;
        } else {
            int w = 0;
            for (k = 0; k < n; k++) {
                int found = 0;
                for (c = 0; c < h->n_channels && !found; c++)
                    found = !strcmp(names[k], h->ch_names[c]) && eegnn__ds_type_ok(p, h->ch_types[c]);
                if (found) names[w++] = names[k];
                else EEGNN_FREE(names[k]);
            }
            n = w;
        }
        eegnn_raw_free(hdr);
    }
    if (n == 0) {
        eegnn__ds_free_strings(names, n);
        return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "dataset: no channel%s is common to every selected recording",
                               p->n_types ? " of the picked types" : "");
    }
    p->chans = names;
    p->n_chans = n;
    return EEGNN_OK;
fail:
    eegnn__ds_free_strings(names, n);
    return EEGNN_ERR_IO;
}

/* Steps 1-6 of the pipeline on one recording, in place; logs what changed. */
static eegnn_status eegnn__ds_preprocess(eegnn_dataset *ds, eegnn_raw *raw, const eegnn__ds_prep *p,
                                         const char *name) {
    eegnn_status st = EEGNN_OK;
    char msg[1024];
    int c, k;
    if (p->n_types && (st = eegnn_raw_pick_types(raw, (const char *const *)p->types, p->n_types))) goto fail;
    if (p->n_chans) {
        eegnn__strbuf dropped = {0, 0, 0, 0};
        for (c = 0; c < raw->n_channels; c++) {
            for (k = 0; k < p->n_chans && strcmp(raw->ch_names[c], p->chans[k]); k++) {}
            if (k == p->n_chans) eegnn__sb_printf(&dropped, "%s%s", dropped.len ? ", " : "", raw->ch_names[c]);
        }
        if (dropped.len)
            eegnn__sb_printf(&ds->log, "%s: dropped channels %s: %s\n", name,
                             p->common ? "not in every recording" : "not listed", dropped.p);
        eegnn__sb_free(&dropped);
        if ((st = eegnn_raw_pick_channels(raw, (const char *const *)p->chans, p->n_chans))) goto fail;
    }
    if (p->ref_average) st = eegnn_raw_set_average_reference(raw);
    else if (p->n_ref) st = eegnn_raw_set_reference(raw, (const char *const *)p->ref, p->n_ref);
    if (st) goto fail;
    if (p->l_freq > 0 && p->h_freq > 0) st = eegnn_raw_filter_bandpass(raw, p->l_freq, p->h_freq, p->order, NULL);
    else if (p->l_freq > 0) st = eegnn_raw_filter_highpass(raw, p->l_freq, p->order, NULL);
    else if (p->h_freq > 0) st = eegnn_raw_filter_lowpass(raw, p->h_freq, p->order, NULL);
    if (st) goto fail;
    if (p->notch > 0 && (st = eegnn_raw_filter_notch(raw, p->notch, p->notch_width, p->notch_order, NULL))) goto fail;
    if (p->sfreq > 0 && raw->sfreq != p->sfreq) {
        double from = raw->sfreq;
        if ((st = eegnn_raw_resample(raw, p->sfreq, NULL))) goto fail;
        eegnn__sb_printf(&ds->log, "%s: resampled %g -> %g Hz\n", name, from, p->sfreq);
        ds->n_resampled++;
    }
    if (ds->log.failed) return eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory");
    return EEGNN_OK;
fail:
    snprintf(msg, sizeof msg, "%s", eegnn_last_error());
    return eegnn_set_error(st, "%s: %s", raw->path ? raw->path : name, msg);
}

/* Steps 8-9 for recording r, whose windows are n_before .. n_windows - 1:
 * drops the windows over the thresholds (recorded in ds->dropped), then
 * applies EMS to the recording. ch_types: the recording's channel types. */
static eegnn_status eegnn__ds_reject_and_ems(eegnn_dataset *ds, int r, int n_before, char **ch_types,
                                             const eegnn__ds_prep *p) {
    int nw = ds->n_windows - n_before, w, e, out;
    ds->n_candidates += nw;
    if (nw > 0 && (p->reject > 0 || p->flat > 0)) {
        eegnn_raw view;
        eegnn_reject_config rc;
        eegnn_reject_report rep;
        eegnn_status st;
        memset(&view, 0, sizeof view);
        memset(&rc, 0, sizeof rc);
        memset(&rep, 0, sizeof rep);
        view.path = ds->rec_name[r];
        view.n_channels = ds->n_channels;
        view.ch_names = ds->ch_names;
        view.ch_types = ch_types;
        view.sfreq = ds->sfreq;
        view.n_times = ds->rec_len[r];
        view.data = ds->rec_data[r];
        rc.ch_type = "eeg";
        rc.reject = p->reject;
        rc.flat = p->flat;
        st = eegnn_raw_reject_windows(&view, ds->win_start + n_before, nw, ds->n_times, &rc, &rep);
        if (st) return st;
        e = 0;
        out = n_before;
        for (w = 0; w < nw; w++) {
            int i = n_before + w;
            if (rep.keep[w]) {
                ds->win_rec[out] = ds->win_rec[i];
                ds->win_start[out] = ds->win_start[i];
                ds->win_y[out] = ds->win_y[i];
                ds->win_group[out] = ds->win_group[i];
                out++;
            } else {
                eegnn__strbuf chans = {0, 0, 0, 0};
                eegnn_dataset_dropped *d;
                if (ds->n_dropped == ds->cap_dropped) {
                    int cap = ds->cap_dropped ? ds->cap_dropped * 2 : 64;
                    if (!eegnn__ds_resize((void **)&ds->dropped, cap, sizeof *ds->dropped)) {
                        eegnn_reject_report_free(&rep);
                        return eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory listing dropped windows");
                    }
                    ds->cap_dropped = cap;
                }
                d = &ds->dropped[ds->n_dropped];
                memset(d, 0, sizeof *d);
                d->start = ds->win_start[i];
                d->target = ds->win_y[i];
                for (; e < rep.n_entries && rep.entries[e].window < w; e++) {}
                for (; e < rep.n_entries && rep.entries[e].window == w; e++) {
                    d->reasons |= rep.entries[e].reason;
                    eegnn__sb_printf(&chans, "%s%s", chans.len ? "," : "", ds->ch_names[rep.entries[e].channel]);
                }
                d->recording = eegnn__strdup(ds->rec_name[r]);
                d->channels = chans.p ? chans.p : eegnn__strdup("");
                if (!d->recording || !d->channels || chans.failed) {
                    EEGNN_FREE((void *)d->recording);
                    EEGNN_FREE((void *)d->channels);
                    eegnn_reject_report_free(&rep);
                    return eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory listing dropped windows");
                }
                ds->n_dropped++;
            }
        }
        ds->n_windows = out;
        eegnn_reject_report_free(&rep);
    }
    if (p->ems && ds->n_windows > n_before) {
        eegnn_status st = eegnn_exponential_moving_standardize(ds->rec_data[r], ds->n_channels, ds->rec_len[r],
                                                               p->ems_factor, p->ems_block, p->eps);
        if (st) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", eegnn_last_error());
            return eegnn_set_error(st, "%s: %s", ds->rec_name[r], msg);
        }
    }
    return EEGNN_OK;
}

/* One event of a contrast-change-detection recording, for sorting. */
typedef struct eegnn__ds_ccd_event {
    double onset;
    int kind;  /* 0 contrastTrial_start, 1 target, 2 button press, -1 other */
    int order; /* position in the file (stable sort) */
} eegnn__ds_ccd_event;

static int eegnn__ds_cmp_ccd(const void *a, const void *b) {
    const eegnn__ds_ccd_event *x = (const eegnn__ds_ccd_event *)a, *y = (const eegnn__ds_ccd_event *)b;
    if (x->onset < y->onset) return -1;
    if (x->onset > y->onset) return 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Challenge 1 trials (see "challenge1" in windows.h): from n events (value,
 * onset s) writes each kept trial's stimulus onset and response time (s)
 * into stim and rt (capacity n) and returns their count; -1 when out of
 * memory. */
static int eegnn__ds_challenge1_trials(const char *const *values, const double *onsets, int n, double *stim,
                                       double *rt) {
    eegnn__ds_ccd_event *ev;
    int i, j, n_trials = 0;
    if (n <= 0) return 0;
    ev = (eegnn__ds_ccd_event *)eegnn__calloc((size_t)n, sizeof *ev);
    if (!ev) return -1;
    for (i = 0; i < n; i++) {
        const char *v = values[i];
        ev[i].onset = onsets[i];
        ev[i].order = i;
        ev[i].kind = -1;
        if (!v) continue;
        if (strcmp(v, "contrastTrial_start") == 0) ev[i].kind = 0;
        else if (strcmp(v, "left_target") == 0 || strcmp(v, "right_target") == 0) ev[i].kind = 1;
        else if (strcmp(v, "left_buttonPress") == 0 || strcmp(v, "right_buttonPress") == 0) ev[i].kind = 2;
    }
    qsort(ev, (size_t)n, sizeof *ev, eegnn__ds_cmp_ccd);
    for (i = 0; i < n; i++) {
        double start, end, s_on = NAN, r_on = NAN;
        int next = -1;
        if (ev[i].kind != 0) continue;
        for (j = i + 1; j < n && next < 0; j++)
            if (ev[j].kind == 0) next = j;
        if (next < 0) break; /* the last trial has no end */
        start = ev[i].onset;
        end = ev[next].onset;
        for (j = 0; j < n; j++)
            if (ev[j].kind == 1 && ev[j].onset >= start && ev[j].onset < end) {
                s_on = ev[j].onset;
                break;
            }
        if (s_on != s_on) continue; /* no stimulus */
        for (j = 0; j < n; j++)
            if (ev[j].kind == 2 && ev[j].onset >= s_on && ev[j].onset < end) {
                r_on = ev[j].onset;
                break;
            }
        if (r_on != r_on) continue; /* no response */
        stim[n_trials] = s_on;
        rt[n_trials] = r_on - s_on;
        n_trials++;
    }
    EEGNN_FREE(ev);
    return n_trials;
}
