/* EEGLAB .set reader (see eeglab.h), following mne/io/eeglab/eeglab.py of
 * MNE-Python 1.3. */

/* Where the EEG struct's fields live: a 1x1 struct or the top-level variables. */
typedef struct eegnn__eeglab {
    const char *path;
    eegnn_mat_file *mf;
    const eegnn_mat_value *eeg; /* NULL: fields are top-level variables */
    int nbchan, trials;
    int64_t pnts;
    double srate;
} eegnn__eeglab;

static const eegnn_mat_value *eegnn__eeglab_get(const eegnn__eeglab *x, const char *name) {
    return x->eeg ? eegnn_mat_field(x->eeg, 0, name) : eegnn_mat_var(x->mf, name);
}

static int eegnn__mat_is_numeric(const eegnn_mat_value *v) {
    return v && v->mx_class >= EEGNN_MAT_DOUBLE && v->mx_class <= EEGNN_MAT_UINT64 && v->re;
}

static int eegnn__mat_has_field(const eegnn_mat_value *v, const char *name) {
    int k;
    if (!v || !v->fields)
        return 0;
    for (k = 0; k < v->n_fields; k++)
        if (strcmp(v->fields[k], name) == 0)
            return 1;
    return 0;
}

/* Python's repr of a float (numpy's str for float32): the shortest digits that
 * read back to the same value, positional for 1e-4 <= |x| < 1e16. */
static void eegnn__py_float_str(double x, int single, char *out, size_t cap) {
    char tmp[64], digits[32];
    int p, exp10, nd = 0, i;
    const char *s;
    char *e;
    if (x != x) {
        snprintf(out, cap, "nan");
        return;
    }
    if (x == HUGE_VAL || x == -HUGE_VAL) {
        snprintf(out, cap, x < 0 ? "-inf" : "inf");
        return;
    }
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, x);
        if (single ? (strtof(tmp, NULL) == (float)x) : (strtod(tmp, NULL) == x))
            break;
    }
    s = tmp;
    if (*s == '-')
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            digits[nd++] = *s;
    exp10 = (int)strtol(s + 1, &e, 10);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    {
        eegnn__strbuf sb;
        memset(&sb, 0, sizeof sb);
        if (x < 0 || (x == 0 && 1.0 / x < 0))
            eegnn__sb_append(&sb, "-", 1);
        if (exp10 >= 16 || exp10 < -4) {
            eegnn__sb_append(&sb, digits, 1);
            if (nd > 1) {
                eegnn__sb_append(&sb, ".", 1);
                eegnn__sb_append(&sb, digits + 1, (size_t)(nd - 1));
            }
            eegnn__sb_printf(&sb, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
        } else if (exp10 < 0) {
            eegnn__sb_append(&sb, "0.", 2);
            for (i = 0; i < -exp10 - 1; i++)
                eegnn__sb_append(&sb, "0", 1);
            eegnn__sb_append(&sb, digits, (size_t)nd);
        } else {
            for (i = 0; i <= exp10; i++)
                eegnn__sb_append(&sb, i < nd ? digits + i : "0", 1);
            eegnn__sb_append(&sb, ".", 1);
            if (nd > exp10 + 1)
                eegnn__sb_append(&sb, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
            else
                eegnn__sb_append(&sb, "0", 1);
        }
        snprintf(out, cap, "%s", sb.p && !sb.failed ? sb.p : "");
        eegnn__sb_free(&sb);
    }
}

/* str() of a value as MNE sees it after scipy.io.loadmat(squeeze_me=True,
 * mat_dtype=False) and .item(): numbers stored as integers print as integers,
 * stored doubles and singles as Python floats ("1.0"). */
static char *eegnn__eeglab_str(const eegnn_mat_value *v) {
    char b[64];
    if (!v)
        return eegnn__strdup("None");
    if (v->mx_class == EEGNN_MAT_CHAR)
        return eegnn__strdup(v->str ? v->str : "");
    if (eegnn__mat_is_numeric(v) && v->n >= 1) {
        double d = v->re[0];
        if (v->is_logical)
            return eegnn__strdup(d != 0 ? "True" : "False");
        if (v->data_type == EEGNN__MI_DOUBLE || v->data_type == EEGNN__MI_SINGLE)
            eegnn__py_float_str(d, 0, b, sizeof b); /* .item() gives a Python float */
        else
            snprintf(b, sizeof b, "%.0f", d);
        return eegnn__strdup(b);
    }
    if (v->mx_class == EEGNN_MAT_CELL && v->n == 1 && v->items)
        return eegnn__eeglab_str(v->items[0]);
    return eegnn__strdup("[]");
}

static eegnn_status eegnn__eeglab_scalar(const eegnn__eeglab *x, const char *name, double *out) {
    const eegnn_mat_value *v = eegnn__eeglab_get(x, name);
    if (!v)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.%s is missing", x->path, name);
    if (!eegnn__mat_is_numeric(v) || v->n < 1)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.%s is not a number", x->path, name);
    *out = v->re[0];
    return EEGNN_OK;
}

static eegnn_status eegnn__eeglab_count(const eegnn__eeglab *x, const char *name, double max, double *out) {
    eegnn_status st = eegnn__eeglab_scalar(x, name, out);
    if (st != EEGNN_OK)
        return st;
    if (!(*out >= 1 && *out <= max) || *out != floor(*out))
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.%s = %g is not a whole number in [1, %.0f]", x->path, name,
                               *out, max);
    return EEGNN_OK;
}

static int eegnn__file_exists(const char *p) {
    FILE *fp = fopen(p, "rb");
    if (!fp)
        return 0;
    fclose(fp);
    return 1;
}

static int eegnn__ann_order(const void *pa, const void *pb) {
    const eegnn_annotation *a = (const eegnn_annotation *)pa, *b = (const eegnn_annotation *)pb;
    if (a->onset != b->onset)
        return a->onset < b->onset ? -1 : 1;
    if (a->duration != b->duration)
        return a->duration < b->duration ? -1 : 1;
    return 0;
}

/* Events to annotations, sorted (stable) and cropped as Raw.set_annotations. */
static eegnn_status eegnn__eeglab_events(const eegnn__eeglab *x, eegnn_raw *raw) {
    const eegnn_mat_value *ev = eegnn__eeglab_get(x, "event");
    eegnn_annotation *a;
    int64_t i, n, o = 0;
    int has_dur;
    double tmax;
    if (!ev || (ev->mx_class != EEGNN_MAT_STRUCT && ev->mx_class != EEGNN_MAT_OBJECT) || ev->n == 0)
        return EEGNN_OK;
    n = ev->n;
    has_dur = eegnn__mat_has_field(ev, "duration");
    a = (eegnn_annotation *)eegnn__calloc((size_t)n, sizeof *a);
    if (!a)
        return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", x->path);
    for (i = 0; i < n; i++) {
        const eegnn_mat_value *lat = eegnn_mat_field(ev, i, "latency");
        const eegnn_mat_value *dur = has_dur ? eegnn_mat_field(ev, i, "duration") : NULL;
        if (!eegnn__mat_is_numeric(lat) || lat->n < 1) {
            int64_t k;
            for (k = 0; k < i; k++)
                EEGNN_FREE(a[k].description);
            EEGNN_FREE(a);
            return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.event(%lld).latency is missing or not a number", x->path,
                                   (long long)(i + 1));
        }
        a[i].onset = (lat->re[0] - 1.0) / x->srate;
        a[i].duration = 0.0;
        if (has_dur)
            a[i].duration = (eegnn__mat_is_numeric(dur) && dur->n >= 1) ? dur->re[0] / x->srate : NAN;
        a[i].description = eegnn__eeglab_str(eegnn_mat_field(ev, i, "type"));
        if (!a[i].description) {
            int64_t k;
            for (k = 0; k < i; k++)
                EEGNN_FREE(a[k].description);
            EEGNN_FREE(a);
            return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", x->path);
        }
    }
    /* stable insertion sort by (onset, duration) */
    for (i = 1; i < n; i++) {
        eegnn_annotation t = a[i];
        int64_t j = i;
        while (j > 0 && eegnn__ann_order(&a[j - 1], &t) > 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = t;
    }
    /* crop to [0, n_times / sfreq] in microseconds (datetime arithmetic) */
    tmax = nearbyint(((double)(raw->n_times - 1) / raw->sfreq + 1.0 / raw->sfreq) * 1e6);
    for (i = 0; i < n; i++) {
        eegnn_annotation t = a[i];
        double on = nearbyint(t.onset * 1e6), off;
        if (t.duration != t.duration)
            t.duration = 0.0; /* MNE: a NaN duration behaves like zero */
        off = on + nearbyint(t.duration * 1e6);
        int left, right;
        if (on > tmax || off < 0) {
            EEGNN_FREE(t.description);
            continue;
        }
        left = on < 0;
        right = off > tmax;
        if (left)
            on = 0;
        if (right)
            off = tmax;
        if (left || right)
            t.duration = (off - on) / 1e6;
        t.onset = on / 1e6;
        a[o++] = t;
    }
    raw->annotations = a;
    raw->n_annotations = (int)o;
    return EEGNN_OK;
}

static const char *const eegnn__mne_types[] = {
    "bio", "chpi", "csd", "dbs", "dipole", "ecg",     "ecog", "eeg",  "emg",  "eog",  "exci",       "fnirs",
    "gof", "gsr",  "ias", "meg", "misc",   "ref_meg", "resp", "seeg", "stim", "syst", "temperature"};

static eegnn_status eegnn__eeglab_channels(const eegnn__eeglab *x, eegnn_raw *raw) {
    const eegnn_mat_value *cl = eegnn__eeglab_get(x, "chanlocs");
    int i, n = x->nbchan;
    int named = cl && (cl->mx_class == EEGNN_MAT_STRUCT || cl->mx_class == EEGNN_MAT_OBJECT) && cl->n > 0;
    if (named && cl->n != n)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.chanlocs has %lld entries but EEG.nbchan is %d", x->path,
                               (long long)cl->n, n);
    if (named && !eegnn__mat_has_field(cl, "labels"))
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.chanlocs has no labels field", x->path);
    raw->n_channels = n;
    raw->ch_names = (char **)eegnn__calloc((size_t)n, sizeof(char *));
    raw->ch_units = (char **)eegnn__calloc((size_t)n, sizeof(char *));
    raw->ch_types = (char **)eegnn__calloc((size_t)n, sizeof(char *));
    raw->ch_sfreq = (double *)eegnn__calloc((size_t)n, sizeof(double));
    if (!raw->ch_names || !raw->ch_units || !raw->ch_types || !raw->ch_sfreq)
        goto oom;
    for (i = 0; i < n; i++) {
        char def[32];
        const char *type = "eeg";
        char lowered[32];
        if (named) {
            const eegnn_mat_value *t = eegnn_mat_field(cl, i, "type");
            raw->ch_names[i] = eegnn__eeglab_str(eegnn_mat_field(cl, i, "labels"));
            if (t && t->mx_class == EEGNN_MAT_CHAR && t->str) {
                const char *s = t->str;
                size_t len, k;
                while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
                    s++;
                len = strlen(s);
                while (len && (s[len - 1] == ' ' || (s[len - 1] >= '\t' && s[len - 1] <= '\r')))
                    len--;
                if (len < sizeof lowered) {
                    for (k = 0; k < len; k++)
                        lowered[k] = (char)((s[k] >= 'A' && s[k] <= 'Z') ? s[k] - 'A' + 'a' : s[k]);
                    lowered[len] = '\0';
                    for (k = 0; k < sizeof eegnn__mne_types / sizeof eegnn__mne_types[0]; k++)
                        if (strcmp(lowered, eegnn__mne_types[k]) == 0)
                            type = eegnn__mne_types[k];
                }
            }
        } else {
            snprintf(def, sizeof def, "EEG %03d", i);
            raw->ch_names[i] = eegnn__strdup(def);
        }
        raw->ch_types[i] = eegnn__strdup(type);
        raw->ch_units[i] = eegnn__strdup("uV");
        raw->ch_sfreq[i] = x->srate;
        if (!raw->ch_names[i] || !raw->ch_types[i] || !raw->ch_units[i])
            goto oom;
    }
    return EEGNN_OK;
oom:
    return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", x->path);
}

/* Reads the .fdt named by EEG.data: float32 LE, (nbchan, pnts*trials) column-major. */
static eegnn_status eegnn__eeglab_fdt(const eegnn__eeglab *x, const char *dataname, eegnn_raw *raw, int header_only) {
    const char *slash = strrchr(x->path, '/'), *dot;
    char *dir = NULL, *p1 = NULL, *p2 = NULL, *use;
    FILE *fp = NULL;
    eegnn_status st = EEGNN_OK;
    int64_t N = raw->n_times, need, size;
    const char *ext = strrchr(dataname, '.');
    if (!ext || strcmp(ext, ".fdt") != 0) {
        if (ext && strcmp(ext, ".dat") == 0)
            return eegnn_set_error(EEGNN_ERR_UNSUPPORTED,
                                   "%s: EEG.data names an old .dat data file (%s); resave the dataset with a current "
                                   "EEGLAB (.fdt)",
                                   x->path, dataname);
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.data names '%s'; expected a .fdt data file", x->path,
                               dataname);
    }
    dir = slash ? eegnn__strndup(x->path, (size_t)(slash - x->path)) : eegnn__strdup(".");
    if (!dir)
        return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", x->path);
    p1 = eegnn__path_join(dir, dataname);
    dot = strrchr(x->path, '.');
    if (dot && (!slash || dot > slash)) {
        p2 = (char *)eegnn__calloc((size_t)(dot - x->path) + 5, 1);
        if (p2) {
            memcpy(p2, x->path, (size_t)(dot - x->path));
            strcat(p2, ".fdt");
        }
    }
    if (!p1) {
        st = eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", x->path);
        goto done;
    }
    use = p1;
    if (!eegnn__file_exists(p1)) {
        if (p2 && eegnn__file_exists(p2)) {
            use = p2;
        } else {
            st = eegnn_set_error(EEGNN_ERR_IO, "%s: could not find the .fdt data file named by EEG.data, tried %s%s%s",
                                 x->path, p1, p2 ? " and " : "", p2 ? p2 : "");
            goto done;
        }
    }
    fp = fopen(use, "rb");
    if (!fp || fseek(fp, 0, SEEK_END) != 0 || (size = (int64_t)ftell(fp)) < 0) {
        st = eegnn_set_error(EEGNN_ERR_IO, "%s: cannot read the data file %s", x->path, use);
        goto done;
    }
    need = (int64_t)x->nbchan * N * 4;
    if (size < need) {
        st =
            eegnn_set_error(EEGNN_ERR_FORMAT,
                            "%s: data file %s is truncated: %lld bytes, EEG.nbchan x EEG.pnts x EEG.trials = %d x %lld "
                            "x %d float32 need %lld",
                            x->path, use, (long long)size, x->nbchan, (long long)x->pnts, x->trials, (long long)need);
        goto done;
    }
    if (!header_only) {
        size_t cols = 65536, c0, k, nb = (size_t)x->nbchan;
        float *buf;
        raw->data = (float *)EEGNN_MALLOC((size_t)need);
        buf = (float *)EEGNN_MALLOC(cols * nb * sizeof(float));
        if (!raw->data || !buf) {
            EEGNN_FREE(buf);
            st = eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory for %lld samples", x->path, (long long)need / 4);
            goto done;
        }
        rewind(fp);
        for (c0 = 0; c0 < (size_t)N; c0 += cols) {
            size_t nc = (size_t)N - c0 < cols ? (size_t)N - c0 : cols;
            if (fread(buf, sizeof(float), nc * nb, fp) != nc * nb) {
                EEGNN_FREE(buf);
                st = eegnn_set_error(EEGNN_ERR_IO, "%s: read error in data file %s", x->path, use);
                goto done;
            }
            if (!eegnn__host_le())
                for (k = 0; k < nc * nb; k++)
                    eegnn__mat_swap((unsigned char *)&buf[k], 4);
            for (k = 0; k < nc; k++) {
                size_t c;
                for (c = 0; c < nb; c++)
                    raw->data[c * (size_t)N + c0 + k] = (float)((double)buf[k * nb + c] * 1e-6);
            }
        }
        EEGNN_FREE(buf);
    }
done:
    if (fp)
        fclose(fp);
    EEGNN_FREE(dir);
    EEGNN_FREE(p1);
    EEGNN_FREE(p2);
    return st;
}

/* Loads the MAT-file and the continuous view; x keeps the MAT-file open. */
static eegnn_raw *eegnn__eeglab_load(const char *path, const eegnn_read_options *opts, eegnn__eeglab *x) {
    eegnn_raw *raw = NULL;
    const eegnn_mat_value *v, *data;
    double d;
    int header_only = opts && opts->header_only;
    memset(x, 0, sizeof *x);
    x->path = path;
    if (!path) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_read_eeglab: path is NULL");
        return NULL;
    }
    if (!(x->mf = eegnn_mat_read(path)))
        return NULL;
    if (eegnn_mat_var(x->mf, "ALLEEG")) {
        eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: the file holds an ALLEEG array; save a single dataset (EEG)", path);
        goto fail;
    }
    v = eegnn_mat_var(x->mf, "EEG");
    if (v) {
        const eegnn_mat_value *inner;
        if (v->mx_class != EEGNN_MAT_STRUCT || v->n < 1) {
            eegnn_set_error(EEGNN_ERR_FORMAT, "%s: variable EEG is not a struct", path);
            goto fail;
        }
        x->eeg = v;
        inner = eegnn_mat_field(v, 0, "EEG");
        if (inner && inner->mx_class == EEGNN_MAT_STRUCT && inner->n >= 1)
            x->eeg = inner;
    }
    if (eegnn__eeglab_count(x, "nbchan", 1 << 20, &d) != EEGNN_OK)
        goto fail;
    x->nbchan = (int)d;
    if (eegnn__eeglab_count(x, "pnts", 1e12, &d) != EEGNN_OK)
        goto fail;
    x->pnts = (int64_t)d;
    if (eegnn__eeglab_count(x, "trials", 1 << 30, &d) != EEGNN_OK)
        goto fail;
    x->trials = (int)d;
    if ((double)x->nbchan * (double)x->pnts * (double)x->trials > 1e12) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.nbchan x EEG.pnts x EEG.trials = %d x %lld x %d is too large", path,
                        x->nbchan, (long long)x->pnts, x->trials);
        goto fail;
    }
    if (eegnn__eeglab_scalar(x, "srate", &x->srate) != EEGNN_OK)
        goto fail;
    if (!(x->srate > 0) || x->srate > 1e9) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.srate = %g is not a sampling rate", path, x->srate);
        goto fail;
    }
    raw = (eegnn_raw *)eegnn__calloc(1, sizeof *raw);
    if (!raw || !(raw->path = eegnn__strdup(path)) || !(raw->format = eegnn__strdup("EEGLAB"))) {
        eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", path);
        goto fail;
    }
    raw->sfreq = x->srate;
    raw->n_times = x->pnts * x->trials;
    raw->meas_date = NAN;
    if (eegnn__eeglab_channels(x, raw) != EEGNN_OK)
        goto fail;
    data = eegnn__eeglab_get(x, "data");
    if (!data) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.data is missing", path);
        goto fail;
    }
    if (data->mx_class == EEGNN_MAT_CHAR) {
        if (eegnn__eeglab_fdt(x, data->str ? data->str : "", raw, header_only) != EEGNN_OK)
            goto fail;
    } else {
        int64_t total = (int64_t)x->nbchan * raw->n_times, N = raw->n_times, k;
        if (!eegnn__mat_is_numeric(data) || data->n != total) {
            eegnn_set_error(EEGNN_ERR_FORMAT,
                            "%s: EEG.data holds %lld numbers, expected EEG.nbchan x EEG.pnts x EEG.trials = %lld", path,
                            (long long)(data->re ? data->n : 0), (long long)total);
            goto fail;
        }
        if (!header_only) {
            int c;
            raw->data = (float *)EEGNN_MALLOC((size_t)total * sizeof(float));
            if (!raw->data) {
                eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", path);
                goto fail;
            }
            for (k = 0; k < N; k++)
                for (c = 0; c < x->nbchan; c++)
                    raw->data[(size_t)c * (size_t)N + (size_t)k] = (float)(data->re[k * x->nbchan + c] * 1e-6);
        }
    }
    if (eegnn__eeglab_events(x, raw) != EEGNN_OK)
        goto fail;
    return raw;
fail:
    eegnn_raw_free(raw);
    eegnn_mat_free(x->mf);
    x->mf = NULL;
    return NULL;
}

EEGNN_API eegnn_raw *eegnn_read_eeglab(const char *set_path, const eegnn_read_options *opts) {
    eegnn__eeglab x;
    eegnn_raw *raw = eegnn__eeglab_load(set_path, opts, &x);
    eegnn_mat_free(x.mf);
    return raw;
}

EEGNN_API void eegnn_eeglab_epochs_free(eegnn_eeglab_epochs *ep) {
    int i;
    if (!ep)
        return;
    eegnn_raw_free(ep->raw);
    for (i = 0; i < ep->n_event_id; i++)
        EEGNN_FREE(ep->event_names[i]);
    EEGNN_FREE(ep->event_names);
    EEGNN_FREE(ep->event_codes);
    EEGNN_FREE(ep->events);
    EEGNN_FREE(ep->data);
    EEGNN_FREE(ep);
}

EEGNN_API eegnn_eeglab_epochs *eegnn_read_eeglab_epochs(const char *set_path, const eegnn_read_options *opts) {
    eegnn__eeglab x;
    eegnn_eeglab_epochs *ep = NULL;
    const eegnn_mat_value *epoch, *event;
    char **names = NULL;
    int64_t ev_idx = 0, prev_stim = 0;
    int i;
    eegnn_raw *raw = eegnn__eeglab_load(set_path, opts, &x);
    if (!raw)
        return NULL;
    if (x.trials < 2) {
        eegnn_set_error(EEGNN_ERR_FORMAT,
                        "%s: EEG.trials = %d: the file holds no epochs (trials less than 2); read it "
                        "with eegnn_read_eeglab",
                        set_path, x.trials);
        eegnn_raw_free(raw);
        eegnn_mat_free(x.mf);
        return NULL;
    }
    ep = (eegnn_eeglab_epochs *)eegnn__calloc(1, sizeof *ep);
    names = (char **)eegnn__calloc((size_t)x.trials, sizeof(char *));
    if (!ep || !names)
        goto oom;
    ep->raw = raw;
    ep->n_epochs = x.trials;
    ep->n_times = x.pnts;
    if (eegnn__eeglab_scalar(&x, "xmin", &ep->tmin) != EEGNN_OK)
        goto fail;
    epoch = eegnn__eeglab_get(&x, "epoch");
    event = eegnn__eeglab_get(&x, "event");
    if (!epoch || epoch->mx_class != EEGNN_MAT_STRUCT || epoch->n != x.trials ||
        !eegnn__mat_has_field(epoch, "eventtype")) {
        eegnn_set_error(EEGNN_ERR_FORMAT,
                        "%s: EEG.epoch must be a struct array with an eventtype field and EEG.trials = %d entries",
                        set_path, x.trials);
        goto fail;
    }
    if (!event || event->mx_class != EEGNN_MAT_STRUCT) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: EEG.event is missing; epochs need their events", set_path);
        goto fail;
    }
    ep->events = (int64_t *)eegnn__calloc((size_t)x.trials * 3, sizeof(int64_t));
    ep->event_names = (char **)eegnn__calloc((size_t)x.trials, sizeof(char *));
    ep->event_codes = (int *)eegnn__calloc((size_t)x.trials, sizeof(int));
    if (!ep->events || !ep->event_names || !ep->event_codes)
        goto oom;
    for (i = 0; i < x.trials; i++) {
        const eegnn_mat_value *et = eegnn_mat_field(epoch, i, "eventtype"), *lat;
        int64_t used = 1;
        int k, code = 0;
        if (et && et->mx_class == EEGNN_MAT_CELL && et->n > 1) {
            eegnn__strbuf sb;
            int64_t j;
            memset(&sb, 0, sizeof sb);
            for (j = 0; j < et->n; j++) {
                char *s = eegnn__eeglab_str(et->items[j]);
                if (!s) {
                    eegnn__sb_free(&sb);
                    goto oom;
                }
                if (j)
                    eegnn__sb_append(&sb, "/", 1);
                eegnn__sb_append(&sb, s, strlen(s));
                EEGNN_FREE(s);
            }
            names[i] = eegnn__strdup(sb.p && !sb.failed ? sb.p : "");
            eegnn__sb_free(&sb);
            used = et->n;
        } else {
            names[i] = eegnn__eeglab_str(et);
        }
        if (!names[i])
            goto oom;
        lat = ev_idx < event->n ? eegnn_mat_field(event, ev_idx, "latency") : NULL;
        if (!eegnn__mat_is_numeric(lat) || lat->n < 1 || !(fabs(lat->re[0]) < 9e18)) {
            eegnn_set_error(EEGNN_ERR_FORMAT,
                            "%s: EEG.event(%lld).latency (first event of epoch %d) is missing or invalid", set_path,
                            (long long)(ev_idx + 1), i + 1);
            goto fail;
        }
        ep->events[3 * i] = (int64_t)lat->re[0];
        ev_idx += used;
        for (k = 0; k < ep->n_event_id; k++)
            if (strcmp(ep->event_names[k], names[i]) == 0)
                code = ep->event_codes[k];
        if (!code) {
            if (!(ep->event_names[ep->n_event_id] = eegnn__strdup(names[i])))
                goto oom;
            code = ep->n_event_id + 1;
            ep->event_codes[ep->n_event_id++] = code;
        }
        ep->events[3 * i + 2] = code;
        /* MNE sets prev_stim only when the latencies differ by 1 and keeps it otherwise */
        if (i > 0 && ep->events[3 * i] - ep->events[3 * (i - 1)] == 1)
            prev_stim = ep->events[3 * (i - 1) + 2];
        ep->events[3 * i + 1] = prev_stim;
    }
    if (raw->data) {
        size_t n_ch = (size_t)raw->n_channels, T = (size_t)x.pnts, e, c, N = (size_t)raw->n_times;
        ep->data = (float *)EEGNN_MALLOC((size_t)x.trials * n_ch * T * sizeof(float));
        if (!ep->data)
            goto oom;
        for (e = 0; e < (size_t)x.trials; e++)
            for (c = 0; c < n_ch; c++)
                memcpy(ep->data + (e * n_ch + c) * T, raw->data + c * N + e * T, T * sizeof(float));
    }
    for (i = 0; i < x.trials; i++)
        EEGNN_FREE(names[i]);
    EEGNN_FREE(names);
    eegnn_mat_free(x.mf);
    return ep;
oom:
    eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", set_path);
fail:
    if (names)
        for (i = 0; i < x.trials; i++)
            EEGNN_FREE(names[i]);
    EEGNN_FREE(names);
    if (ep)
        eegnn_eeglab_epochs_free(ep);
    else
        eegnn_raw_free(raw);
    eegnn_mat_free(x.mf);
    return NULL;
}
