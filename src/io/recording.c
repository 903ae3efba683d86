/* Continuous recordings (eegnn_raw, raw.h): helpers shared by the readers
 * (annotation lists sorted and cropped as MNE, file size and seek, MNE's
 * unique channel names), freeing, lookups, summary. The readers (edf.c,
 * brainvision.c, eeglab.c) come after this file; raw.c, which chooses one
 * by extension, after them. */

/* ---- helpers shared by the readers (EDF/BDF, BrainVision) ---- */

/* MNE's _unique_channel_names: every member of a duplicated group becomes
 * "name-<k>" (k its rank in the group, else the first free "-a".."-z"). */
static eegnn_status eegnn__raw_unique_names(const char *path, char **names, int n) {
    int i, j;
    for (i = 0; i < n; i++) {
        int dup = 0, first = 1;
        char *stem;
        for (j = 0; j < n && !dup; j++)
            if (j != i && strcmp(names[j], names[i]) == 0) dup = 1;
        if (!dup) continue;
        for (j = 0; j < i; j++)
            if (strcmp(names[j], names[i]) == 0) first = 0;
        if (!first) continue;
        stem = eegnn__strdup(names[i]);
        if (!stem) return EEGNN_ERR_MEMORY;
        {
            int rank = 0;
            for (j = 0; j < n; j++) {
                char cand[256 + 32];
                int s, k, found = 0;
                if (strcmp(names[j], stem) != 0) continue;
                for (s = -1; s < 26 && !found; s++) {
                    int taken = 0;
                    if (s < 0)
                        snprintf(cand, sizeof cand, "%s-%d", stem, rank);
                    else
                        snprintf(cand, sizeof cand, "%s-%c", stem, 'a' + s);
                    for (k = 0; k < n; k++)
                        if (strcmp(names[k], cand) == 0) taken = 1;
                    if (!taken) found = 1;
                }
                rank++;
                if (!found) {
                    EEGNN_FREE(stem);
                    return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: cannot make channel name '%s' unique", path,
                                           names[j]);
                } else {
                    char *nn = eegnn__strdup(cand);
                    if (!nn) {
                        EEGNN_FREE(stem);
                        return EEGNN_ERR_MEMORY;
                    }
                    EEGNN_FREE(names[j]);
                    names[j] = nn;
                }
            }
        }
        EEGNN_FREE(stem);
    }
    return EEGNN_OK;
}

typedef struct eegnn__ann_list {
    eegnn_annotation *a;
    size_t *order;
    int n, cap;
} eegnn__ann_list;

static eegnn_status eegnn__ann_push(eegnn__ann_list *l, double onset, double dur, const unsigned char *d,
                                    size_t len) {
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 64;
        eegnn_annotation *na;
        if (ncap > (1 << 28)) return eegnn_set_error(EEGNN_ERR_MEMORY, "too many annotations");
        na = (eegnn_annotation *)EEGNN_REALLOC(l->a, (size_t)ncap * sizeof *na);
        if (!na) return eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory for annotations");
        l->a = na;
        l->cap = ncap;
    }
    l->a[l->n].onset = onset;
    l->a[l->n].duration = dur;
    l->a[l->n].description = eegnn__strndup((const char *)d, len);
    if (!l->a[l->n].description) return EEGNN_ERR_MEMORY;
    l->n++;
    return EEGNN_OK;
}

static int eegnn__ann_cmp(const void *pa, const void *pb) {
    const eegnn_annotation *a = (const eegnn_annotation *)pa, *b = (const eegnn_annotation *)pb;
    if (a->onset != b->onset) return a->onset < b->onset ? -1 : 1;
    if (a->duration != b->duration) return a->duration < b->duration ? -1 : 1;
    return 0;
}

/* Stable sort by (onset, duration): insertion into a merge sort on indices. */
static eegnn_status eegnn__ann_sort(eegnn__ann_list *l) {
    eegnn_annotation *tmp;
    int width, i;
    if (l->n < 2) return EEGNN_OK;
    tmp = (eegnn_annotation *)eegnn__calloc((size_t)l->n, sizeof *tmp);
    if (!tmp) return EEGNN_ERR_MEMORY;
    for (width = 1; width < l->n; width *= 2) {
        for (i = 0; i < l->n; i += 2 * width) {
            int a = i, am = EEGNN__MIN(i + width, l->n), b = am, bm = EEGNN__MIN(i + 2 * width, l->n), o = i;
            while (a < am && b < bm) tmp[o++] = eegnn__ann_cmp(&l->a[b], &l->a[a]) < 0 ? l->a[b++] : l->a[a++];
            while (a < am) tmp[o++] = l->a[a++];
            while (b < bm) tmp[o++] = l->a[b++];
        }
        memcpy(l->a, tmp, (size_t)l->n * sizeof *tmp);
    }
    EEGNN_FREE(tmp);
    return EEGNN_OK;
}

/* Raw.set_annotations(orig_time=None): crop to [0, times[-1] + 1/sfreq] with
 * datetime.timedelta arithmetic (microseconds). */
static void eegnn__ann_crop(eegnn__ann_list *l, int64_t n_times, double sfreq) {
    double tmax_s = (double)(n_times - 1) / sfreq + 1.0 / sfreq;
    double tmax = nearbyint(tmax_s * 1e6);
    int i, o = 0;
    for (i = 0; i < l->n; i++) {
        eegnn_annotation a = l->a[i];
        double on = nearbyint(a.onset * 1e6), off = on + nearbyint(a.duration * 1e6);
        int left, right;
        if (on > tmax || off < 0) {
            EEGNN_FREE(a.description);
            continue;
        }
        left = on < 0;
        right = off > tmax;
        if (left) on = 0;
        if (right) off = tmax;
        if (left || right) a.duration = (off - on) / 1e6;
        a.onset = on / 1e6;
        l->a[o++] = a;
    }
    l->n = o;
}

static int eegnn__raw_seek(FILE *fp, int64_t off) {
#if defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200112L
    return fseeko(fp, (off_t)off, SEEK_SET);
#else
    if (off > 2147483647) return -1;
    return fseek(fp, (long)off, SEEK_SET);
#endif
}

static int64_t eegnn__raw_file_size(FILE *fp) {
#if defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200112L
    if (fseeko(fp, 0, SEEK_END) != 0) return -1;
    return (int64_t)ftello(fp);
#else
    if (fseek(fp, 0, SEEK_END) != 0) return -1;
    return (int64_t)ftell(fp);
#endif
}

EEGNN_API void eegnn_raw_free(eegnn_raw *raw) {
    int i;
    if (!raw) return;
    for (i = 0; i < raw->n_channels; i++) {
        if (raw->ch_names) EEGNN_FREE(raw->ch_names[i]);
        if (raw->ch_units) EEGNN_FREE(raw->ch_units[i]);
        if (raw->ch_types) EEGNN_FREE(raw->ch_types[i]);
    }
    for (i = 0; i < raw->n_annotations; i++)
        if (raw->annotations) EEGNN_FREE(raw->annotations[i].description);
    EEGNN_FREE(raw->ch_names);
    EEGNN_FREE(raw->ch_units);
    EEGNN_FREE(raw->ch_types);
    EEGNN_FREE(raw->ch_sfreq);
    EEGNN_FREE(raw->annotations);
    EEGNN_FREE(raw->data);
    EEGNN_FREE(raw->path);
    EEGNN_FREE(raw->format);
    EEGNN_FREE(raw);
}

EEGNN_API int eegnn_raw_channel_index(const eegnn_raw *raw, const char *name) {
    int i;
    if (!raw || !name || !raw->ch_names) return -1;
    for (i = 0; i < raw->n_channels; i++)
        if (raw->ch_names[i] && strcmp(raw->ch_names[i], name) == 0) return i;
    return -1;
}

EEGNN_API double eegnn_raw_duration(const eegnn_raw *raw) {
    if (!raw || !(raw->sfreq > 0)) return 0.0;
    return (double)raw->n_times / raw->sfreq;
}

EEGNN_API void eegnn_raw_print_info(const eegnn_raw *raw, FILE *fp) {
    int i, shown;
    if (!raw || !fp) return;
    fprintf(fp, "file:        %s\n", raw->path ? raw->path : "(memory)");
    fprintf(fp, "format:      %s\n", raw->format ? raw->format : "?");
    fprintf(fp, "channels:    %d", raw->n_channels);
    shown = raw->n_channels < 8 ? raw->n_channels : 8;
    for (i = 0; i < shown; i++) fprintf(fp, "%s%s", i ? ", " : " (", raw->ch_names[i]);
    if (shown) fprintf(fp, "%s)", raw->n_channels > shown ? ", ..." : "");
    fprintf(fp, "\n");
    fprintf(fp, "sfreq:       %g Hz\n", raw->sfreq);
    fprintf(fp, "n_times:     %lld (%.3f s)\n", (long long)raw->n_times, eegnn_raw_duration(raw));
    fprintf(fp, "annotations: %d\n", raw->n_annotations);
    if (raw->meas_date == raw->meas_date) {
        long long y;
        int m, d, hh, mm, ss;
        eegnn__utc_from_unix(raw->meas_date, &y, &m, &d, &hh, &mm, &ss);
        fprintf(fp, "meas_date:   %04lld-%02d-%02d %02d:%02d:%02d UTC\n", y, m, d, hh, mm, ss);
    } else {
        fprintf(fp, "meas_date:   unknown\n");
    }
    if (raw->discontinuous) fprintf(fp, "note:        discontinuous records (EDF+D/BDF+D)\n");
}
