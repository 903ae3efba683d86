/* Preprocessing (re-referencing, picks, standardization, rejection) and
 * batch augmentations. */

/* ---- Copy ---------------------------------------------------------------- */

EEGNN_API eegnn_raw *eegnn_raw_copy(const eegnn_raw *raw) {
    eegnn_raw *c;
    int i, nc;
    size_t n_samples;
    if (!raw) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_raw_copy: raw is NULL");
        return NULL;
    }
    nc = raw->n_channels;
    c = (eegnn_raw *)eegnn__calloc(1, sizeof(eegnn_raw));
    if (!c) return NULL;
    *c = *raw;
    c->path = NULL;
    c->format = NULL;
    c->ch_names = NULL;
    c->ch_units = NULL;
    c->ch_types = NULL;
    c->ch_sfreq = NULL;
    c->data = NULL;
    c->annotations = NULL;
    c->n_channels = 0;
    c->n_annotations = 0;
    if (raw->path && !(c->path = eegnn__strdup(raw->path))) goto fail;
    if (raw->format && !(c->format = eegnn__strdup(raw->format))) goto fail;
    if (nc > 0) {
        c->ch_names = (char **)eegnn__calloc((size_t)nc, sizeof(char *));
        c->ch_units = (char **)eegnn__calloc((size_t)nc, sizeof(char *));
        c->ch_types = (char **)eegnn__calloc((size_t)nc, sizeof(char *));
        c->ch_sfreq = (double *)eegnn__calloc((size_t)nc, sizeof(double));
        if (!c->ch_names || !c->ch_units || !c->ch_types || !c->ch_sfreq) goto fail;
        c->n_channels = nc;
        for (i = 0; i < nc; i++) {
            if (raw->ch_names && raw->ch_names[i] && !(c->ch_names[i] = eegnn__strdup(raw->ch_names[i]))) goto fail;
            if (raw->ch_units && raw->ch_units[i] && !(c->ch_units[i] = eegnn__strdup(raw->ch_units[i]))) goto fail;
            if (raw->ch_types && raw->ch_types[i] && !(c->ch_types[i] = eegnn__strdup(raw->ch_types[i]))) goto fail;
            if (raw->ch_sfreq) c->ch_sfreq[i] = raw->ch_sfreq[i];
        }
    }
    if (raw->data && nc > 0 && raw->n_times > 0) {
        n_samples = (size_t)nc * (size_t)raw->n_times;
        c->data = (float *)eegnn__calloc(n_samples, sizeof(float));
        if (!c->data) goto fail;
        memcpy(c->data, raw->data, n_samples * sizeof(float));
    }
    if (raw->n_annotations > 0 && raw->annotations) {
        c->annotations = (eegnn_annotation *)eegnn__calloc((size_t)raw->n_annotations, sizeof(eegnn_annotation));
        if (!c->annotations) goto fail;
        c->n_annotations = raw->n_annotations;
        for (i = 0; i < raw->n_annotations; i++) {
            c->annotations[i] = raw->annotations[i];
            c->annotations[i].description = NULL;
            if (raw->annotations[i].description &&
                !(c->annotations[i].description = eegnn__strdup(raw->annotations[i].description)))
                goto fail;
        }
    }
    return c;
fail:
    eegnn_raw_free(c);
    eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_raw_copy: out of memory");
    return NULL;
}

/* ---- Shared checks --------------------------------------------------------- */

static eegnn_status eegnn__check_raw_data(const eegnn_raw *raw, const char *fn) {
    if (!raw) return eegnn_set_error(EEGNN_ERR_ARG, "%s: raw is NULL", fn);
    if (!raw->data || raw->n_channels < 1 || raw->n_times < 1 || !raw->ch_names || !raw->ch_types)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: %s: recording has no data (header only or empty)", fn,
                               raw->path ? raw->path : "(memory)");
    return EEGNN_OK;
}

static int eegnn__type_is(const eegnn_raw *raw, int c, const char *type) {
    return raw->ch_types[c] && strcmp(raw->ch_types[c], type) == 0;
}

/* Message listing up to 16 channel names, for "not found" errors. */
static void eegnn__names_hint(const eegnn_raw *raw, char *buf, size_t cap) {
    size_t len = 0;
    int i, shown = raw->n_channels < 16 ? raw->n_channels : 16;
    buf[0] = '\0';
    for (i = 0; i < shown && len + 1 < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", raw->ch_names[i] ? raw->ch_names[i] : "?");
        if (w < 0) break;
        len += (size_t)w;
        if (len >= cap) {
            len = cap - 1;
            break;
        }
    }
    if (raw->n_channels > shown && len + 6 < cap) snprintf(buf + len, cap - len, ", ...");
}

/* Resolves n names to channel indices: rejects NULL/duplicate/missing names. */
static eegnn_status eegnn__resolve_names(const eegnn_raw *raw, const char *const *names, int n, int *idx,
                                         const char *fn) {
    int i, j;
    char hint[512];
    for (i = 0; i < n; i++) {
        if (!names[i]) return eegnn_set_error(EEGNN_ERR_ARG, "%s: channel name %d is NULL", fn, i);
        for (j = 0; j < i; j++)
            if (strcmp(names[j], names[i]) == 0)
                return eegnn_set_error(EEGNN_ERR_ARG, "%s: channel '%s' is given twice", fn, names[i]);
        idx[i] = eegnn_raw_channel_index(raw, names[i]);
        if (idx[i] < 0) {
            eegnn__names_hint(raw, hint, sizeof hint);
            return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: %s: no channel named '%s' (channels: %s)", fn,
                                   raw->path ? raw->path : "(memory)", names[i], hint);
        }
    }
    return EEGNN_OK;
}

/* ---- Re-referencing -------------------------------------------------------- */

/* Subtracts the mean of channels ref (n_ref) from every "eeg" channel. */
static eegnn_status eegnn__apply_reference(eegnn_raw *raw, const int *ref, int n_ref, const char *fn) {
    int c, k, n_eeg = 0;
    int64_t t, nt = raw->n_times;
    double *mean;
    for (c = 0; c < raw->n_channels; c++) n_eeg += eegnn__type_is(raw, c, "eeg");
    if (n_eeg == 0)
        return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: %s: no channel of type 'eeg' to re-reference", fn,
                               raw->path ? raw->path : "(memory)");
    mean = (double *)eegnn__calloc((size_t)nt, sizeof(double)); /* (n_times) */
    if (!mean) return EEGNN_ERR_MEMORY;
    for (k = 0; k < n_ref; k++) {
        const float *row = raw->data + (size_t)ref[k] * (size_t)nt;
        for (t = 0; t < nt; t++) mean[t] += row[t];
    }
    for (t = 0; t < nt; t++) mean[t] /= n_ref;
    for (c = 0; c < raw->n_channels; c++) {
        float *row = raw->data + (size_t)c * (size_t)nt;
        if (!eegnn__type_is(raw, c, "eeg")) continue;
        for (t = 0; t < nt; t++) row[t] = (float)((double)row[t] - mean[t]);
    }
    EEGNN_FREE(mean);
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_raw_set_average_reference(eegnn_raw *raw) {
    const char *fn = "eegnn_raw_set_average_reference";
    eegnn_status st = eegnn__check_raw_data(raw, fn);
    int c, n = 0, *ref;
    if (st) return st;
    ref = (int *)eegnn__calloc((size_t)raw->n_channels, sizeof(int));
    if (!ref) return EEGNN_ERR_MEMORY;
    for (c = 0; c < raw->n_channels; c++)
        if (eegnn__type_is(raw, c, "eeg")) ref[n++] = c;
    st = eegnn__apply_reference(raw, ref, n, fn);
    EEGNN_FREE(ref);
    return st;
}

EEGNN_API eegnn_status eegnn_raw_set_reference(eegnn_raw *raw, const char *const *ref_channels, int n_ref) {
    const char *fn = "eegnn_raw_set_reference";
    eegnn_status st = eegnn__check_raw_data(raw, fn);
    int *ref;
    if (st) return st;
    if (!ref_channels || n_ref < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: need at least one reference channel (got %d)", fn, n_ref);
    ref = (int *)eegnn__calloc((size_t)n_ref, sizeof(int));
    if (!ref) return EEGNN_ERR_MEMORY;
    st = eegnn__resolve_names(raw, ref_channels, n_ref, ref, fn);
    if (!st) st = eegnn__apply_reference(raw, ref, n_ref, fn);
    EEGNN_FREE(ref);
    return st;
}

/* ---- Picks ----------------------------------------------------------------- */

/* Keeps channels idx (n, distinct) in that order; frees the others. */
static eegnn_status eegnn__keep_channels(eegnn_raw *raw, const int *idx, int n) {
    int nc = raw->n_channels, i, c;
    int64_t nt = raw->n_times;
    char **names = (char **)eegnn__calloc((size_t)n, sizeof(char *));
    char **units = (char **)eegnn__calloc((size_t)n, sizeof(char *));
    char **types = (char **)eegnn__calloc((size_t)n, sizeof(char *));
    double *sfreq = (double *)eegnn__calloc((size_t)n, sizeof(double));
    unsigned char *kept = (unsigned char *)eegnn__calloc((size_t)nc, 1);
    float *data = NULL;
    if (raw->data && nt > 0) data = (float *)eegnn__calloc((size_t)n * (size_t)nt, sizeof(float));
    if (!names || !units || !types || !sfreq || !kept || (raw->data && nt > 0 && !data)) {
        EEGNN_FREE(names);
        EEGNN_FREE(units);
        EEGNN_FREE(types);
        EEGNN_FREE(sfreq);
        EEGNN_FREE(kept);
        EEGNN_FREE(data);
        return EEGNN_ERR_MEMORY;
    }
    for (i = 0; i < n; i++) {
        c = idx[i];
        kept[c] = 1;
        names[i] = raw->ch_names[c];
        units[i] = raw->ch_units ? raw->ch_units[c] : NULL;
        types[i] = raw->ch_types[c];
        sfreq[i] = raw->ch_sfreq ? raw->ch_sfreq[c] : raw->sfreq;
        if (data) memcpy(data + (size_t)i * (size_t)nt, raw->data + (size_t)c * (size_t)nt, (size_t)nt * sizeof(float));
    }
    for (c = 0; c < nc; c++) {
        if (kept[c]) continue;
        EEGNN_FREE(raw->ch_names[c]);
        if (raw->ch_units) EEGNN_FREE(raw->ch_units[c]);
        EEGNN_FREE(raw->ch_types[c]);
    }
    EEGNN_FREE(raw->ch_names);
    EEGNN_FREE(raw->ch_units);
    EEGNN_FREE(raw->ch_types);
    EEGNN_FREE(raw->ch_sfreq);
    EEGNN_FREE(raw->data);
    EEGNN_FREE(kept);
    raw->ch_names = names;
    raw->ch_units = units;
    raw->ch_types = types;
    raw->ch_sfreq = sfreq;
    raw->data = data;
    raw->n_channels = n;
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_raw_pick_channels(eegnn_raw *raw, const char *const *names, int n) {
    const char *fn = "eegnn_raw_pick_channels";
    int *idx;
    eegnn_status st;
    if (!raw || !raw->ch_names || !raw->ch_types || raw->n_channels < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: raw is NULL or has no channels", fn);
    if (!names || n < 1) return eegnn_set_error(EEGNN_ERR_ARG, "%s: need at least one channel name (got %d)", fn, n);
    idx = (int *)eegnn__calloc((size_t)n, sizeof(int));
    if (!idx) return EEGNN_ERR_MEMORY;
    st = eegnn__resolve_names(raw, names, n, idx, fn);
    if (!st) st = eegnn__keep_channels(raw, idx, n);
    EEGNN_FREE(idx);
    return st;
}

EEGNN_API eegnn_status eegnn_raw_pick_types(eegnn_raw *raw, const char *const *types, int n_types) {
    const char *fn = "eegnn_raw_pick_types";
    int *idx, n = 0, c, k;
    eegnn_status st;
    if (!raw || !raw->ch_names || !raw->ch_types || raw->n_channels < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: raw is NULL or has no channels", fn);
    if (!types || n_types < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: need at least one channel type (got %d)", fn, n_types);
    for (k = 0; k < n_types; k++)
        if (!types[k]) return eegnn_set_error(EEGNN_ERR_ARG, "%s: channel type %d is NULL", fn, k);
    idx = (int *)eegnn__calloc((size_t)raw->n_channels, sizeof(int));
    if (!idx) return EEGNN_ERR_MEMORY;
    for (c = 0; c < raw->n_channels; c++)
        for (k = 0; k < n_types; k++)
            if (eegnn__type_is(raw, c, types[k])) {
                idx[n++] = c;
                break;
            }
    if (n == 0) {
        EEGNN_FREE(idx);
        return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: %s: no channel of type %s%s", fn,
                               raw->path ? raw->path : "(memory)", types[0], n_types > 1 ? " (or the other types given)" : "");
    }
    st = eegnn__keep_channels(raw, idx, n);
    EEGNN_FREE(idx);
    return st;
}

/* ---- Standardization ------------------------------------------------------- */

static eegnn_status eegnn__check_array(const float *x, int n_channels, int64_t n_times, const char *fn) {
    if (!x) return eegnn_set_error(EEGNN_ERR_ARG, "%s: x is NULL", fn);
    if (n_channels < 1 || n_times < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: shape (%d, %lld) must have n_channels >= 1 and n_times >= 1", fn,
                               n_channels, (long long)n_times);
    return EEGNN_OK;
}

/* Mean and population std of row[0 .. n), in double. */
static void eegnn__mean_std(const float *row, int64_t n, double *mean, double *std) {
    double s = 0.0, ss = 0.0;
    int64_t t;
    for (t = 0; t < n; t++) s += row[t];
    s /= (double)n;
    for (t = 0; t < n; t++) {
        double d = row[t] - s;
        ss += d * d;
    }
    *mean = s;
    *std = sqrt(ss / (double)n);
}

EEGNN_API eegnn_status eegnn_standardize(float *x, int n_channels, int64_t n_times, double eps) {
    const char *fn = "eegnn_standardize";
    eegnn_status st = eegnn__check_array(x, n_channels, n_times, fn);
    int c;
    int64_t t;
    if (st) return st;
    if (!(eps > 0)) return eegnn_set_error(EEGNN_ERR_ARG, "%s: eps must be > 0 (got %g)", fn, eps);
    for (c = 0; c < n_channels; c++) {
        float *row = x + (size_t)c * (size_t)n_times;
        double mean, std;
        eegnn__mean_std(row, n_times, &mean, &std);
        if (std < eps) std = eps;
        for (t = 0; t < n_times; t++) row[t] = (float)((row[t] - mean) / std);
    }
    return EEGNN_OK;
}

/* pandas' exponentially weighted mean (ewm(alpha).mean(), adjust=True,
 * no missing values), in double, as pandas' ewma loop computes it. */
static void eegnn__ewm_mean(const double *x, double *out, int64_t n, double alpha) {
    double old_wt_factor = 1.0 - alpha, new_wt = 1.0, old_wt = 1.0, weighted = x[0];
    int64_t t;
    out[0] = weighted;
    for (t = 1; t < n; t++) {
        double cur = x[t];
        old_wt *= old_wt_factor;
        if (weighted != cur) {
            weighted = old_wt * weighted + new_wt * cur;
            weighted /= old_wt + new_wt;
        }
        old_wt += new_wt;
        out[t] = weighted;
    }
}

static eegnn_status eegnn__check_ems(const float *x, int n_channels, int64_t n_times, double factor_new,
                                     int64_t init_block_size, const char *fn) {
    eegnn_status st = eegnn__check_array(x, n_channels, n_times, fn);
    if (st) return st;
    if (!(factor_new > 0 && factor_new <= 1))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: factor_new must be in (0, 1] (got %g)", fn, factor_new);
    if (init_block_size < 0 || init_block_size > n_times)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: init_block_size %lld must be in [0, n_times = %lld] (0 = None)", fn,
                               (long long)init_block_size, (long long)n_times);
    return EEGNN_OK;
}

static eegnn_status eegnn__exponential_moving(float *x, int n_channels, int64_t n_times, double factor_new,
                                              int64_t init_block_size, double eps, int standardize) {
    int c;
    int64_t t;
    double *buf = (double *)eegnn__calloc((size_t)n_times * 3, sizeof(double));
    double *xd, *mean, *var;
    if (!buf) return EEGNN_ERR_MEMORY;
    xd = buf;                        /* (n_times) the channel in double */
    mean = buf + n_times;            /* (n_times) ewm mean, then the demeaned signal */
    var = buf + 2 * (size_t)n_times; /* (n_times) ewm mean of the squared demeaned signal */
    for (c = 0; c < n_channels; c++) {
        float *row = x + (size_t)c * (size_t)n_times;
        for (t = 0; t < n_times; t++) xd[t] = row[t];
        eegnn__ewm_mean(xd, mean, n_times, factor_new);
        for (t = 0; t < n_times; t++) mean[t] = xd[t] - mean[t];
        if (standardize) {
            for (t = 0; t < n_times; t++) var[t] = mean[t] * mean[t];
            eegnn__ewm_mean(var, var, n_times, factor_new);
            for (t = 0; t < n_times; t++) {
                double sd = sqrt(var[t]);
                row[t] = (float)(mean[t] / (sd > eps ? sd : eps));
            }
        } else {
            for (t = 0; t < n_times; t++) row[t] = (float)mean[t];
        }
        if (init_block_size > 0) {
            double m = 0.0, ss = 0.0, sd;
            for (t = 0; t < init_block_size; t++) m += xd[t];
            m /= (double)init_block_size;
            for (t = 0; t < init_block_size; t++) ss += (xd[t] - m) * (xd[t] - m);
            sd = sqrt(ss / (double)init_block_size);
            if (!standardize) sd = 1.0;
            else if (!(sd > eps)) sd = eps;
            for (t = 0; t < init_block_size; t++) row[t] = (float)((xd[t] - m) / sd);
        }
    }
    EEGNN_FREE(buf);
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_exponential_moving_standardize(float *x, int n_channels, int64_t n_times,
                                                            double factor_new, int64_t init_block_size, double eps) {
    const char *fn = "eegnn_exponential_moving_standardize";
    eegnn_status st = eegnn__check_ems(x, n_channels, n_times, factor_new, init_block_size, fn);
    if (st) return st;
    if (!(eps > 0)) return eegnn_set_error(EEGNN_ERR_ARG, "%s: eps must be > 0 (got %g)", fn, eps);
    return eegnn__exponential_moving(x, n_channels, n_times, factor_new, init_block_size, eps, 1);
}

EEGNN_API eegnn_status eegnn_exponential_moving_demean(float *x, int n_channels, int64_t n_times,
                                                       double factor_new, int64_t init_block_size) {
    const char *fn = "eegnn_exponential_moving_demean";
    eegnn_status st = eegnn__check_ems(x, n_channels, n_times, factor_new, init_block_size, fn);
    if (st) return st;
    return eegnn__exponential_moving(x, n_channels, n_times, factor_new, init_block_size, 1.0, 0);
}

/* ---- Rejection ------------------------------------------------------------- */

EEGNN_API void eegnn_reject_report_free(eegnn_reject_report *report) {
    if (!report) return;
    EEGNN_FREE(report->keep);
    EEGNN_FREE(report->entries);
    memset(report, 0, sizeof *report);
}

static double eegnn__ptp(const float *row, int64_t n) {
    float lo = row[0], hi = row[0];
    int64_t t;
    for (t = 1; t < n; t++) {
        if (row[t] < lo) lo = row[t];
        if (row[t] > hi) hi = row[t];
    }
    return (double)hi - (double)lo;
}

static eegnn_status eegnn__check_reject_cfg(const eegnn_reject_config *cfg, eegnn_reject_report *report,
                                            const char *fn) {
    if (!cfg || !report) return eegnn_set_error(EEGNN_ERR_ARG, "%s: cfg and report must not be NULL", fn);
    if (!(cfg->reject >= 0) || !(cfg->flat >= 0) || cfg->reject == HUGE_VAL || cfg->flat == HUGE_VAL)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: thresholds must be finite and >= 0 (reject %g, flat %g)", fn,
                               cfg->reject, cfg->flat);
    return EEGNN_OK;
}

/* window_row(w, c) gives the samples of channel c in window w. */
typedef const float *(*eegnn__window_row_fn)(const void *ctx, int w, int c);

static eegnn_status eegnn__reject(eegnn__window_row_fn row_of, const void *ctx, int n_windows, int n_channels,
                                  int64_t n_times, const char *const *ch_types, const eegnn_reject_config *cfg,
                                  eegnn_reject_report *report) {
    const char *type = cfg->ch_type ? cfg->ch_type : "eeg";
    int w, c, pass, cap = 0;
    double *ptp = (double *)eegnn__calloc((size_t)n_channels, sizeof(double)); /* (n_channels) */
    memset(report, 0, sizeof *report);
    report->keep = (unsigned char *)eegnn__calloc((size_t)n_windows, 1);
    if (!ptp || !report->keep) {
        EEGNN_FREE(ptp);
        eegnn_reject_report_free(report);
        return EEGNN_ERR_MEMORY;
    }
    report->n_windows = n_windows;
    for (w = 0; w < n_windows; w++) {
        int bad_reject = 0, bad_flat = 0;
        for (c = 0; c < n_channels; c++)
            ptp[c] = (ch_types[c] && strcmp(ch_types[c], type) == 0) ? eegnn__ptp(row_of(ctx, w, c), n_times) : -1.0;
        for (pass = 0; pass < 2; pass++) {
            double thresh = pass == 0 ? cfg->reject : cfg->flat;
            if (thresh <= 0) continue;
            for (c = 0; c < n_channels; c++) {
                int bad;
                if (ptp[c] < 0) continue;
                bad = pass == 0 ? ptp[c] > thresh : ptp[c] < thresh;
                if (!bad) continue;
                if (report->n_entries == cap) {
                    int ncap = cap ? 2 * cap : 64;
                    eegnn_drop_entry *e =
                        (eegnn_drop_entry *)EEGNN_REALLOC(report->entries, (size_t)ncap * sizeof(eegnn_drop_entry));
                    if (!e) {
                        EEGNN_FREE(ptp);
                        eegnn_reject_report_free(report);
                        return eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_reject_windows: out of memory");
                    }
                    report->entries = e;
                    cap = ncap;
                }
                report->entries[report->n_entries].window = w;
                report->entries[report->n_entries].channel = c;
                report->entries[report->n_entries].reason = pass == 0 ? EEGNN_DROP_REJECT : EEGNN_DROP_FLAT;
                report->entries[report->n_entries].ptp = ptp[c];
                report->n_entries++;
                if (pass == 0) bad_reject = 1;
                else bad_flat = 1;
            }
        }
        report->keep[w] = (unsigned char)!(bad_reject || bad_flat);
        if (report->keep[w]) report->n_kept++;
        else report->n_dropped++;
        report->n_dropped_reject += bad_reject;
        report->n_dropped_flat += bad_flat;
    }
    EEGNN_FREE(ptp);
    return EEGNN_OK;
}

typedef struct eegnn__batch_ctx {
    const float *x;
    int n_channels;
    int64_t n_times;
} eegnn__batch_ctx;

static const float *eegnn__batch_row(const void *ctx, int w, int c) {
    const eegnn__batch_ctx *b = (const eegnn__batch_ctx *)ctx;
    return b->x + ((size_t)w * (size_t)b->n_channels + (size_t)c) * (size_t)b->n_times;
}

EEGNN_API eegnn_status eegnn_reject_windows(const float *x, int n_windows, int n_channels, int64_t n_times,
                                            const char *const *ch_types, const eegnn_reject_config *cfg,
                                            eegnn_reject_report *report) {
    const char *fn = "eegnn_reject_windows";
    eegnn__batch_ctx ctx;
    eegnn_status st = eegnn__check_reject_cfg(cfg, report, fn);
    if (st) return st;
    if (!x || !ch_types) return eegnn_set_error(EEGNN_ERR_ARG, "%s: x and ch_types must not be NULL", fn);
    if (n_windows < 1 || n_channels < 1 || n_times < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: shape (%d, %d, %lld) must be >= 1 in every dimension", fn, n_windows,
                               n_channels, (long long)n_times);
    ctx.x = x;
    ctx.n_channels = n_channels;
    ctx.n_times = n_times;
    return eegnn__reject(eegnn__batch_row, &ctx, n_windows, n_channels, n_times, ch_types, cfg, report);
}

typedef struct eegnn__raw_ctx {
    const eegnn_raw *raw;
    const int64_t *starts;
} eegnn__raw_ctx;

static const float *eegnn__raw_row(const void *ctx, int w, int c) {
    const eegnn__raw_ctx *r = (const eegnn__raw_ctx *)ctx;
    return r->raw->data + (size_t)c * (size_t)r->raw->n_times + (size_t)r->starts[w];
}

EEGNN_API eegnn_status eegnn_raw_reject_windows(const eegnn_raw *raw, const int64_t *starts, int n_windows,
                                                int64_t window_len, const eegnn_reject_config *cfg,
                                                eegnn_reject_report *report) {
    const char *fn = "eegnn_raw_reject_windows";
    eegnn__raw_ctx ctx;
    int w;
    eegnn_status st = eegnn__check_reject_cfg(cfg, report, fn);
    if (st) return st;
    if ((st = eegnn__check_raw_data(raw, fn))) return st;
    if (!starts || n_windows < 1 || window_len < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: need starts, n_windows >= 1 and window_len >= 1 (got %d, %lld)", fn,
                               n_windows, (long long)window_len);
    for (w = 0; w < n_windows; w++)
        if (starts[w] < 0 || starts[w] > raw->n_times - window_len)
            return eegnn_set_error(EEGNN_ERR_ARG, "%s: window %d [%lld, %lld) is outside the %lld samples of %s", fn, w,
                                   (long long)starts[w], (long long)(starts[w] + window_len), (long long)raw->n_times,
                                   raw->path ? raw->path : "(memory)");
    ctx.raw = raw;
    ctx.starts = starts;
    return eegnn__reject(eegnn__raw_row, &ctx, n_windows, raw->n_channels, window_len,
                         (const char *const *)raw->ch_types, cfg, report);
}

EEGNN_API eegnn_status eegnn_raw_find_flat_channels(const eegnn_raw *raw, double threshold, const char *ch_type,
                                                    int *n_flat, int **indices, char ***names) {
    const char *fn = "eegnn_raw_find_flat_channels";
    int c, n = 0, *idx;
    size_t text = 0;
    char **list, *p;
    eegnn_status st = eegnn__check_raw_data(raw, fn);
    if (st) return st;
    if (!n_flat) return eegnn_set_error(EEGNN_ERR_ARG, "%s: n_flat is NULL", fn);
    if (!(threshold > 0)) return eegnn_set_error(EEGNN_ERR_ARG, "%s: threshold must be > 0 (got %g)", fn, threshold);
    *n_flat = 0;
    if (indices) *indices = NULL;
    if (names) *names = NULL;
    idx = (int *)eegnn__calloc((size_t)raw->n_channels, sizeof(int));
    if (!idx) return EEGNN_ERR_MEMORY;
    for (c = 0; c < raw->n_channels; c++) {
        if (ch_type && !eegnn__type_is(raw, c, ch_type)) continue;
        if (eegnn__ptp(raw->data + (size_t)c * (size_t)raw->n_times, raw->n_times) < threshold) {
            idx[n++] = c;
            text += strlen(raw->ch_names[c] ? raw->ch_names[c] : "") + 1;
        }
    }
    *n_flat = n;
    if (n == 0) {
        EEGNN_FREE(idx);
        return EEGNN_OK;
    }
    if (names) {
        /* one block: the pointer table, then the strings */
        list = (char **)eegnn__calloc(1, (size_t)n * sizeof(char *) + text);
        if (!list) {
            EEGNN_FREE(idx);
            *n_flat = 0;
            return EEGNN_ERR_MEMORY;
        }
        p = (char *)(list + n);
        for (c = 0; c < n; c++) {
            const char *s = raw->ch_names[idx[c]] ? raw->ch_names[idx[c]] : "";
            size_t len = strlen(s) + 1;
            memcpy(p, s, len);
            list[c] = p;
            p += len;
        }
        *names = list;
    }
    if (indices) *indices = idx;
    else EEGNN_FREE(idx);
    return EEGNN_OK;
}

/* ---- Augmentation ------------------------------------------------------------ */

static eegnn_status eegnn__check_batch(const float *x, int batch, int n_channels, int n_times, const char *fn) {
    if (!x) return eegnn_set_error(EEGNN_ERR_ARG, "%s: x is NULL", fn);
    if (batch < 1 || n_channels < 1 || n_times < 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: shape (%d, %d, %d) must be >= 1 in every dimension", fn, batch,
                               n_channels, n_times);
    return EEGNN_OK;
}

static double eegnn__sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* Shifts one example (n_channels, n_times) by s samples. tmp: (n_times). */
static void eegnn__shift_example(float *xb, int n_channels, int n_times, int s, int zero_fill, float *tmp) {
    int c, t;
    for (c = 0; c < n_channels; c++) {
        float *row = xb + (size_t)c * (size_t)n_times;
        for (t = 0; t < n_times; t++) {
            long src = (long)t - s;
            if (zero_fill) {
                tmp[t] = (src >= 0 && src < n_times) ? row[src] : 0.0f;
            } else {
                src %= n_times;
                if (src < 0) src += n_times;
                tmp[t] = row[src];
            }
        }
        memcpy(row, tmp, (size_t)n_times * sizeof(float));
    }
}

EEGNN_API eegnn_status eegnn_time_shift(float *x, int batch, int n_channels, int n_times, const int *shifts,
                                        int zero_fill) {
    const char *fn = "eegnn_time_shift";
    float *tmp;
    int b;
    eegnn_status st = eegnn__check_batch(x, batch, n_channels, n_times, fn);
    if (st) return st;
    if (!shifts) return eegnn_set_error(EEGNN_ERR_ARG, "%s: shifts is NULL", fn);
    tmp = (float *)eegnn__calloc((size_t)n_times, sizeof(float));
    if (!tmp) return EEGNN_ERR_MEMORY;
    for (b = 0; b < batch; b++)
        eegnn__shift_example(x + (size_t)b * (size_t)n_channels * (size_t)n_times, n_channels, n_times, shifts[b],
                             zero_fill, tmp);
    EEGNN_FREE(tmp);
    return EEGNN_OK;
}

static void eegnn__smooth_mask_example(float *xb, int n_channels, int n_times, double start, double len) {
    double s = 1000.0 / n_times;
    int c, t;
    for (t = 0; t < n_times; t++) {
        float m = (float)(eegnn__sigmoid(s * -((double)t - start)) + eegnn__sigmoid(s * ((double)t - start - len)));
        for (c = 0; c < n_channels; c++) xb[(size_t)c * (size_t)n_times + (size_t)t] *= m;
    }
}

EEGNN_API eegnn_status eegnn_smooth_time_mask(float *x, int batch, int n_channels, int n_times,
                                              const double *mask_start, double mask_len_samples) {
    const char *fn = "eegnn_smooth_time_mask";
    int b;
    eegnn_status st = eegnn__check_batch(x, batch, n_channels, n_times, fn);
    if (st) return st;
    if (!mask_start) return eegnn_set_error(EEGNN_ERR_ARG, "%s: mask_start is NULL", fn);
    if (!(mask_len_samples >= 0)) return eegnn_set_error(EEGNN_ERR_ARG, "%s: mask_len_samples must be >= 0", fn);
    for (b = 0; b < batch; b++)
        eegnn__smooth_mask_example(x + (size_t)b * (size_t)n_channels * (size_t)n_times, n_channels, n_times,
                                   mask_start[b], mask_len_samples);
    return EEGNN_OK;
}

/* braindecode's channel mask sigmoid(1000 (u - p)), in float32 as torch
 * computes it. */
static float eegnn__dropout_mask(float u, double p_drop) {
    float z = 1000.0f * (u - (float)p_drop);
    return (float)eegnn__sigmoid((double)z);
}

static void eegnn__scale_row(float *row, int n_times, float f) {
    int t;
    for (t = 0; t < n_times; t++) row[t] *= f;
}

EEGNN_API eegnn_status eegnn_channels_dropout(float *x, int batch, int n_channels, int n_times, const double *u,
                                              double p_drop) {
    const char *fn = "eegnn_channels_dropout";
    int b, c;
    eegnn_status st = eegnn__check_batch(x, batch, n_channels, n_times, fn);
    if (st) return st;
    if (!u) return eegnn_set_error(EEGNN_ERR_ARG, "%s: u is NULL", fn);
    if (!(p_drop >= 0 && p_drop <= 1)) return eegnn_set_error(EEGNN_ERR_ARG, "%s: p_drop must be in [0, 1]", fn);
    for (b = 0; b < batch; b++)
        for (c = 0; c < n_channels; c++) {
            float m = eegnn__dropout_mask((float)u[(size_t)b * n_channels + c], p_drop);
            eegnn__scale_row(x + ((size_t)b * n_channels + c) * (size_t)n_times, n_times, m);
        }
    return EEGNN_OK;
}

static eegnn_status eegnn__check_augment(const eegnn_augment *a, int index, int n_times) {
    const char *fn = "eegnn_augment_apply";
    if (!a) return eegnn_set_error(EEGNN_ERR_ARG, "%s: transform %d is NULL", fn, index);
    if (!(a->probability >= 0 && a->probability <= 1))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: transform %d: probability %g is not in [0, 1]", fn, index,
                               a->probability);
    switch (a->kind) {
    case EEGNN_AUG_NONE:
    case EEGNN_AUG_SIGN_FLIP:
        return EEGNN_OK;
    case EEGNN_AUG_TIME_SHIFT:
        if (a->max_shift < 0 || a->max_shift > n_times)
            return eegnn_set_error(EEGNN_ERR_ARG, "%s: transform %d (time shift): max_shift %d must be in [0, n_times = %d]",
                                   fn, index, a->max_shift, n_times);
        return EEGNN_OK;
    case EEGNN_AUG_AMPLITUDE_SCALE:
        if (!(a->scale_low <= a->scale_high) || a->scale_low != a->scale_low || a->scale_high == HUGE_VAL ||
            a->scale_low == -HUGE_VAL)
            return eegnn_set_error(EEGNN_ERR_ARG,
                                   "%s: transform %d (amplitude scale): scale_low %g and scale_high %g must be finite "
                                   "with scale_low <= scale_high",
                                   fn, index, a->scale_low, a->scale_high);
        return EEGNN_OK;
    case EEGNN_AUG_GAUSSIAN_NOISE:
        if (!(a->std >= 0) || a->std == HUGE_VAL)
            return eegnn_set_error(EEGNN_ERR_ARG, "%s: transform %d (gaussian noise): std %g must be finite and >= 0", fn,
                                   index, a->std);
        return EEGNN_OK;
    case EEGNN_AUG_CHANNELS_DROPOUT:
        if (!(a->p_drop >= 0 && a->p_drop <= 1))
            return eegnn_set_error(EEGNN_ERR_ARG, "%s: transform %d (channels dropout): p_drop %g is not in [0, 1]", fn,
                                   index, a->p_drop);
        return EEGNN_OK;
    case EEGNN_AUG_SMOOTH_TIME_MASK:
        if (a->mask_len_samples < 1 || a->mask_len_samples > n_times)
            return eegnn_set_error(EEGNN_ERR_ARG,
                                   "%s: transform %d (smooth time mask): mask_len_samples %d must be in [1, n_times = %d]",
                                   fn, index, a->mask_len_samples, n_times);
        return EEGNN_OK;
    default:
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: transform %d: unknown kind %d", fn, index, a->kind);
    }
}

static eegnn_status eegnn__augment_one(const eegnn_augment *a, float *x, int batch, int n_channels, int n_times,
                                       eegnn_rng *rng, unsigned char *applied) {
    size_t ex = (size_t)n_channels * (size_t)n_times, i;
    unsigned char *mask = (unsigned char *)eegnn__calloc((size_t)batch, 1);
    float *tmp = NULL;
    int b, c;
    if (!mask) return EEGNN_ERR_MEMORY;
    for (b = 0; b < batch; b++) mask[b] = (unsigned char)(a->probability > (double)eegnn_rng_uniform(rng));
    if (a->kind == EEGNN_AUG_TIME_SHIFT) {
        tmp = (float *)eegnn__calloc((size_t)n_times, sizeof(float));
        if (!tmp) {
            EEGNN_FREE(mask);
            return EEGNN_ERR_MEMORY;
        }
    }
    for (b = 0; b < batch; b++) {
        float *xb = x + (size_t)b * ex;
        if (!mask[b]) continue;
        switch (a->kind) {
        case EEGNN_AUG_TIME_SHIFT: {
            int s = (int)eegnn_rng_below(rng, (uint32_t)(2 * a->max_shift + 1)) - a->max_shift;
            eegnn__shift_example(xb, n_channels, n_times, s, a->zero_fill, tmp);
            break;
        }
        case EEGNN_AUG_AMPLITUDE_SCALE:
            if (!a->per_channel) {
                float f = (float)(a->scale_low + (a->scale_high - a->scale_low) * (double)eegnn_rng_uniform(rng));
                for (i = 0; i < ex; i++) xb[i] *= f;
            } else {
                for (c = 0; c < n_channels; c++) {
                    float f = (float)(a->scale_low + (a->scale_high - a->scale_low) * (double)eegnn_rng_uniform(rng));
                    eegnn__scale_row(xb + (size_t)c * (size_t)n_times, n_times, f);
                }
            }
            break;
        case EEGNN_AUG_GAUSSIAN_NOISE:
            for (i = 0; i < ex; i++) xb[i] += (float)(a->std * (double)eegnn_rng_normal(rng));
            break;
        case EEGNN_AUG_CHANNELS_DROPOUT:
            for (c = 0; c < n_channels; c++) {
                float u = eegnn_rng_uniform(rng);
                eegnn__scale_row(xb + (size_t)c * (size_t)n_times, n_times, eegnn__dropout_mask(u, a->p_drop));
            }
            break;
        case EEGNN_AUG_SMOOTH_TIME_MASK: {
            double start = (double)eegnn_rng_uniform(rng) * (double)(n_times - a->mask_len_samples);
            eegnn__smooth_mask_example(xb, n_channels, n_times, start, a->mask_len_samples);
            break;
        }
        case EEGNN_AUG_SIGN_FLIP:
            for (i = 0; i < ex; i++) xb[i] = -xb[i];
            break;
        default:
            break;
        }
    }
    if (applied) memcpy(applied, mask, (size_t)batch);
    EEGNN_FREE(tmp);
    EEGNN_FREE(mask);
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_augment_apply(const eegnn_augment *aug, float *x, int batch, int n_channels,
                                           int n_times, eegnn_rng *rng, unsigned char *applied) {
    const char *fn = "eegnn_augment_apply";
    eegnn_status st = eegnn__check_batch(x, batch, n_channels, n_times, fn);
    if (st) return st;
    if (!rng) return eegnn_set_error(EEGNN_ERR_ARG, "%s: rng is NULL", fn);
    if ((st = eegnn__check_augment(aug, 0, n_times))) return st;
    return eegnn__augment_one(aug, x, batch, n_channels, n_times, rng, applied);
}

EEGNN_API eegnn_status eegnn_augment_compose(const eegnn_augment *augs, int n_augs, float *x, int batch,
                                             int n_channels, int n_times, eegnn_rng *rng) {
    const char *fn = "eegnn_augment_compose";
    eegnn_status st = eegnn__check_batch(x, batch, n_channels, n_times, fn);
    int k;
    if (st) return st;
    if (!rng) return eegnn_set_error(EEGNN_ERR_ARG, "%s: rng is NULL", fn);
    if (n_augs < 0 || (n_augs > 0 && !augs))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: need augs for n_augs = %d", fn, n_augs);
    for (k = 0; k < n_augs; k++)
        if ((st = eegnn__check_augment(&augs[k], k, n_times))) return st;
    for (k = 0; k < n_augs; k++)
        if ((st = eegnn__augment_one(&augs[k], x, batch, n_channels, n_times, rng, NULL))) return st;
    return EEGNN_OK;
}
