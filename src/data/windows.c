/* Windowed datasets and group splits (see windows.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* A recording read on demand. A format gets streamed by adding a case to
 * eegnn__ds_open_stream that fills these. */
typedef struct eegnn__ds_stream {
    void *handle;
    /* samples [start, start + n) of every channel into out (n_channels, n) */
    eegnn_status (*read)(const void *handle, int64_t start, int64_t n, float *out);
    void (*close)(void *handle);
    uint64_t file_key;  /* hash of the path, size, modification time and inode (cache key) */
    int keeps_fd;       /* 1: holds a file descriptor open between reads */
} eegnn__ds_stream;

/* Streamed recordings that keep their file descriptor open: at most 256,
 * and at most a quarter of the process's RLIMIT_NOFILE; the others open
 * their file for each read (HBN-sized datasets have thousands of files). */
static int eegnn__ds_max_open_streams(void) {
    struct rlimit rl;
    int n = 256;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 < (rlim_t)n)
        n = (int)(rl.rlim_cur / 4);
    return n;
}

struct eegnn_dataset {
    int n_channels;
    char **ch_names; /* (n_channels) */
    double sfreq;    /* Hz */
    int n_times;     /* samples per window (per crop when crop_max > 0) */
    int crop_max;    /* crops: largest crop offset in a window (window length - n_times); 0: none */
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

    eegnn__ds_stream *rec_stream; /* (n_recordings) handle NULL: in memory */
    int n_streamed;
    int n_open_streams;           /* streamed recordings that keep a descriptor open */

    /* window cache (streamed datasets with cache_dir) */
    char *cache_path, *cache_tmp;
    int cache_fd;             /* -1: none */
    int cache_f16;            /* 1: binary16 elements, 0: float32 */
    int cache_ready;          /* 1: complete file, read from it */
    int cache_error;          /* 1: writing failed; the cache is abandoned */
    int cache_n_done;
    int cache_len;            /* samples per channel of a cached window (n_times, or the whole
                                 window n_times + crop_max in a preprocessed cache) */
    int prep_cache;           /* 1: every window is read from a cache written at build time by
                                 preprocessing one recording at a time (no file is open) */
    unsigned char *cache_done; /* (n_windows) written while filling */
    pthread_mutex_t cache_lock;
    int cache_lock_init;

    /* preprocessing */
    int std_window;            /* 1: z-score each window when read */
    double std_eps;
    eegnn__strbuf log;         /* what preprocessing changed */
    int n_resampled;
    int n_candidates;          /* windows before rejection */
    int n_dropped, cap_dropped;
    eegnn_dataset_dropped *dropped; /* (n_dropped); recording and channels owned */
};

#define EEGNN__CACHE_HEADER 64

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
    if (ds->cache_fd >= 0) close(ds->cache_fd);
    if (ds->cache_tmp && !ds->cache_ready) unlink(ds->cache_tmp);
    EEGNN_FREE(ds->cache_path);
    EEGNN_FREE(ds->cache_tmp);
    EEGNN_FREE(ds->cache_done);
    if (ds->cache_lock_init) pthread_mutex_destroy(&ds->cache_lock);
    for (i = 0; i < ds->n_recordings; i++) {
        EEGNN_FREE(ds->rec_data[i]);
        if (ds->rec_stream && ds->rec_stream[i].handle) ds->rec_stream[i].close(ds->rec_stream[i].handle);
    }
    EEGNN_FREE(ds->rec_stream);
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
    eegnn__sb_free(&ds->log);
    for (i = 0; i < ds->n_dropped; i++) {
        EEGNN_FREE((void *)ds->dropped[i].recording);
        EEGNN_FREE((void *)ds->dropped[i].channels);
    }
    EEGNN_FREE(ds->dropped);
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

/* Splits a comma-separated list into trimmed, non-empty strings. */
static char **eegnn__ds_split_list(const char *list, int *n) {
    int cap = 1, k = 0;
    const char *p, *b;
    size_t len;
    char **v;
    for (p = list; *p; p++)
        if (*p == ',') cap++;
    v = (char **)eegnn__calloc((size_t)cap, sizeof(char *));
    *n = 0;
    if (!v) return NULL;
    p = list;
    while (eegnn__list_next(&p, &b, &len))
        if (len > 0) {
            if (!(v[k] = eegnn__strndup(b, len))) {
                eegnn__ds_free_strings(v, k);
                return NULL;
            }
            k++;
        }
    *n = k;
    return v;
}

/* ---- events targets: classes ---- */

EEGNN_API void eegnn_event_classes_free(eegnn_event_classes *ec) {
    if (!ec) return;
    eegnn__ds_free_strings(ec->names, ec->n_classes);
    eegnn__ds_free_strings(ec->labels, ec->n_labels);
    EEGNN_FREE(ec->label_class);
    EEGNN_FREE(ec);
}

EEGNN_API int eegnn_event_classes_find(const eegnn_event_classes *ec, const char *label) {
    int i;
    for (i = 0; ec && label && i < ec->n_labels; i++)
        if (!strcmp(ec->labels[i], label)) return ec->label_class[i];
    return -1;
}

/* A trimmed copy of [b, e), or NULL (error set) when empty. */
static char *eegnn__ds_trimmed(const char *b, const char *e, const char *target, const char *what) {
    while (b < e && isspace((unsigned char)*b)) b++;
    while (e > b && isspace((unsigned char)e[-1])) e--;
    if (e == b) {
        eegnn_set_error(EEGNN_ERR_ARG, "target '%s': empty %s (expected events:CLASS[,CLASS...], each CLASS "
                        "LABEL or NAME=LABEL[+LABEL...])", target, what);
        return NULL;
    }
    return eegnn__strndup(b, (size_t)(e - b));
}

EEGNN_API eegnn_event_classes *eegnn_event_classes_parse(const char *target) {
    eegnn_event_classes *ec;
    const char *p;
    int cap = 1, i;
    if (!target || !eegnn__starts_with(target, "events:")) {
        eegnn_set_error(EEGNN_ERR_ARG, "target '%s' is not an events target (events:CLASS[,CLASS...])",
                        target ? target : "(null)");
        return NULL;
    }
    for (p = target; *p; p++)
        if (*p == ',' || *p == '+') cap++;
    ec = (eegnn_event_classes *)eegnn__calloc(1, sizeof *ec);
    if (!ec) return NULL;
    ec->names = (char **)eegnn__calloc((size_t)cap, sizeof(char *));
    ec->labels = (char **)eegnn__calloc((size_t)cap, sizeof(char *));
    ec->label_class = (int *)eegnn__calloc((size_t)cap, sizeof(int));
    if (!ec->names || !ec->labels || !ec->label_class) goto fail;
    p = target + 7;
    for (;;) {
        const char *e = p + strcspn(p, ","), *eq = (const char *)memchr(p, '=', (size_t)(e - p));
        char *name;
        if (eq && memchr(eq + 1, '=', (size_t)(e - eq - 1))) {
            eegnn_set_error(EEGNN_ERR_ARG, "target '%s': class '%.*s' has two '='", target, (int)(e - p), p);
            goto fail;
        }
        name = eegnn__ds_trimmed(p, eq ? eq : e, target, eq ? "class name before '='" : "class");
        if (!name) goto fail;
        for (i = 0; i < ec->n_classes; i++)
            if (!strcmp(ec->names[i], name)) {
                eegnn_set_error(EEGNN_ERR_ARG, "target '%s': two classes are named '%s'", target, name);
                EEGNN_FREE(name);
                goto fail;
            }
        ec->names[ec->n_classes++] = name;
        if (!eq) { /* LABEL: the class and its one label share the name */
            if (!(ec->labels[ec->n_labels] = eegnn__strdup(name))) goto fail;
            ec->label_class[ec->n_labels++] = ec->n_classes - 1;
        } else { /* NAME=LABEL[+LABEL...] */
            const char *q = eq + 1;
            for (;;) {
                const char *qe = q + strcspn(q, "+,");
                char *label = eegnn__ds_trimmed(q, qe, target, "label after '=' or '+'");
                if (!label) goto fail;
                ec->labels[ec->n_labels] = label;
                ec->label_class[ec->n_labels++] = ec->n_classes - 1;
                if (*qe != '+') break;
                q = qe + 1;
            }
        }
        if (!*e) break;
        p = e + 1;
    }
    for (i = 0; i < ec->n_labels; i++) {
        int j;
        for (j = 0; j < i; j++)
            if (!strcmp(ec->labels[i], ec->labels[j])) {
                eegnn_set_error(EEGNN_ERR_ARG, "target '%s': label '%s' is named twice (in class%s '%s'%s%s%s)", target,
                                ec->labels[i], ec->label_class[i] == ec->label_class[j] ? "" : "es",
                                ec->names[ec->label_class[j]], ec->label_class[i] == ec->label_class[j] ? "" : " and '",
                                ec->label_class[i] == ec->label_class[j] ? "" : ec->names[ec->label_class[i]],
                                ec->label_class[i] == ec->label_class[j] ? "" : "'");
                goto fail;
            }
    }
    return ec;
fail:
    eegnn_event_classes_free(ec);
    return NULL;
}

/* Samples of a window length in seconds (nearest integer, ties to even as numpy.round). */
static int64_t eegnn__ds_seconds_to_samples(double seconds, double sfreq) {
    return (int64_t)nearbyint(seconds * sfreq);
}

/* Adds one recording's samples to the dataset (copied, scaled); checks the
 * channels and rate against the first recording. Returns the index or -1. */
static int eegnn__ds_add_recording(eegnn_dataset *ds, const eegnn_raw *raw, const eegnn__ds_stream *stream,
                                   const char *name, const char *subject, const char *first_path) {
    int c, r;
    size_t i, total;
    float *data = NULL;
    if ((!raw->data && !stream) || raw->n_channels <= 0 || raw->n_times <= 0) {
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
            eegnn_set_error(EEGNN_ERR_FORMAT,
                            "%s: %d channels, but %s has %d (channels=\"common\" keeps the shared ones)",
                            raw->path ? raw->path : name, raw->n_channels, first_path, ds->n_channels);
            return -1;
        }
        for (c = 0; c < raw->n_channels; c++)
            if (strcmp(raw->ch_names[c], ds->ch_names[c]) != 0) {
                eegnn_set_error(EEGNN_ERR_FORMAT,
                                "%s: channel %d is '%s', but in %s it is '%s' (channels=\"common\" or a list "
                                "picks the same channels in every recording)",
                                raw->path ? raw->path : name, c + 1, raw->ch_names[c], first_path, ds->ch_names[c]);
                return -1;
            }
        if (raw->sfreq != ds->sfreq) {
            eegnn_set_error(EEGNN_ERR_FORMAT,
                            "%s: sampling rate %g Hz, but %s has %g Hz (sfreq resamples every recording to one rate)",
                            raw->path ? raw->path : name, raw->sfreq, first_path, ds->sfreq);
            return -1;
        }
    }
    if (ds->n_recordings == ds->cap_recordings) {
        int cap = ds->cap_recordings ? ds->cap_recordings * 2 : 16;
        if (!eegnn__ds_resize((void **)&ds->rec_data, cap, sizeof(float *)) ||
            !eegnn__ds_resize((void **)&ds->rec_len, cap, sizeof(int64_t)) ||
            !eegnn__ds_resize((void **)&ds->rec_name, cap, sizeof(char *)) ||
            !eegnn__ds_resize((void **)&ds->rec_subject, cap, sizeof(char *)) ||
            !eegnn__ds_resize((void **)&ds->rec_stream, cap, sizeof(eegnn__ds_stream))) {
            eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory adding recording %s", name);
            return -1;
        }
        ds->cap_recordings = cap;
    }
    if (!stream) {
        total = (size_t)raw->n_channels * (size_t)raw->n_times;
        data = (float *)eegnn__calloc(total, sizeof(float));
        if (!data) return -1;
        for (i = 0; i < total; i++) data[i] = (float)((double)raw->data[i] * ds->scale);
    }
    r = ds->n_recordings;
    ds->rec_data[r] = data;
    if (stream) {
        ds->rec_stream[r] = *stream;
        ds->n_streamed++;
        ds->n_open_streams += stream->keeps_fd;
    } else {
        memset(&ds->rec_stream[r], 0, sizeof ds->rec_stream[r]);
    }
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

/* 64-bit FNV-1a over bytes. */
static uint64_t eegnn__fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

static eegnn_status eegnn__ds_edf_read(const void *h, int64_t start, int64_t n, float *out) {
    return eegnn_edf_read_samples((const eegnn_edf_file *)h, start, n, out);
}
static void eegnn__ds_edf_close(void *h) { eegnn_edf_close((eegnn_edf_file *)h); }

/* Opens a recording for reading windows on demand: fills *out and *header
 * (channels, sfreq, n_times, annotations; no samples). keep_fd: 0 closes the
 * file between reads. Returns 1 when opened, 0 when the format has no window
 * reader (load it in memory), -1 on error. */
static int eegnn__ds_open_stream(const char *path, int keep_fd, eegnn_raw **header, eegnn__ds_stream *out) {
    memset(out, 0, sizeof *out);
    if (eegnn__ext_is(path, ".edf") || eegnn__ext_is(path, ".bdf")) {
        eegnn_edf_file *f = eegnn_edf_open(path, header);
        if (!f) return -1;
        struct stat st;
        int64_t meta[3] = {0, 0, 0};
        if (stat(path, &st) == 0) {
            meta[0] = (int64_t)st.st_size;
            meta[1] = (int64_t)st.st_mtime;
            meta[2] = (int64_t)st.st_ino;
        }
        out->file_key = eegnn__fnv(eegnn__fnv(1469598103934665603ull, path, strlen(path)), meta, sizeof meta);
        if (keep_fd) out->keeps_fd = 1;
        else eegnn__edf_release_fd(f);
        out->handle = f;
        out->read = eegnn__ds_edf_read;
        out->close = eegnn__ds_edf_close;
        return 1;
    }
    return 0;
}

/* ---- window cache ---- */

EEGNN_API uint16_t eegnn_float_to_half(float f) {
    uint32_t x, ax, sign;
    memcpy(&x, &f, 4);
    sign = (x >> 16) & 0x8000u;
    ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* Inf or NaN (quiet, payload's top bits kept) */
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u | ((ax >> 13) & 0x3ffu) : 0u));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 rounds to Inf */
    if (ax < 0x38800000u) {
        /* below 2^-14: a subnormal half. Adding 0.5 (whose float ulp is 2^-24,
         * the half subnormal step) lets the FPU round to nearest even. */
        float a, b = 0.5f;
        uint32_t ab, bb;
        memcpy(&a, &ax, 4);
        a += b;
        memcpy(&ab, &a, 4);
        memcpy(&bb, &b, 4);
        return (uint16_t)(sign | (ab - bb));
    }
    /* normal: rebias the exponent, round the 13 dropped bits to nearest even */
    ax += ((uint32_t)(15 - 127) << 23) + 0xfffu + ((ax >> 13) & 1u);
    return (uint16_t)(sign | (ax >> 13));
}

EEGNN_API float eegnn_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    float f;
    if (e == 0x1f) x = sign | 0x7f800000u | (m << 13);
    else if (e != 0) x = sign | ((e + 112u) << 23) | (m << 13);
    else if (m == 0) x = sign;
    else {
        f = (float)m * 5.9604644775390625e-08f; /* m * 2^-24, exact */
        memcpy(&x, &f, 4);
        x |= sign;
    }
    memcpy(&f, &x, 4);
    return f;
}

static size_t eegnn__ds_window_bytes(const eegnn_dataset *ds) {
    return (size_t)ds->n_channels * (size_t)ds->cache_len * (ds->cache_f16 ? 2u : 4u);
}

static eegnn_status eegnn__ds_cache_dtype(eegnn_dataset *ds, const eegnn_dataset_config *cfg) {
    if (!cfg->cache_dtype || strcmp(cfg->cache_dtype, "float32") == 0) ds->cache_f16 = 0;
    else if (strcmp(cfg->cache_dtype, "float16") == 0) ds->cache_f16 = 1;
    else return eegnn_set_error(EEGNN_ERR_ARG, "dataset: cache dtype '%s' is not float32 or float16", cfg->cache_dtype);
    return EEGNN_OK;
}

/* Writes n bytes at offset off of fd (partial writes and EINTR retried).
 * Returns 0, or -1 with errno set (ENOSPC when nothing could be written). */
static int eegnn__ds_pwrite_all(int fd, const void *buf, size_t n, int64_t off) {
    const unsigned char *p = (const unsigned char *)buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(fd, p + done, n - done, (off_t)(off + (int64_t)done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = ENOSPC;
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

/* Stores window i of the cache file (x: n_channels * cache_len floats,
 * converted to binary16 for a float16 cache). */
static eegnn_status eegnn__ds_cache_write(eegnn_dataset *ds, int i, const float *x) {
    size_t n = (size_t)ds->n_channels * (size_t)ds->cache_len, k, wb = eegnn__ds_window_bytes(ds);
    int64_t off = EEGNN__CACHE_HEADER + (int64_t)i * (int64_t)wb;
    const void *src = x;
    uint16_t *h = NULL;
    int rc;
    if (ds->cache_f16) {
        h = (uint16_t *)eegnn__calloc(n, sizeof(uint16_t));
        if (!h) return EEGNN_ERR_MEMORY;
        for (k = 0; k < n; k++) h[k] = eegnn_float_to_half(x[k]);
        src = h;
    }
    rc = eegnn__ds_pwrite_all(ds->cache_fd, src, wb, off) ? errno : 0;
    EEGNN_FREE(h);
    if (rc) {
        ds->cache_error = 1;
        return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot write window %d: %s", ds->cache_tmp, i, strerror(rc));
    }
    return EEGNN_OK;
}

/* Reads window i of the cache file into x (n_channels * cache_len floats;
 * float16 caches are widened). */
static eegnn_status eegnn__ds_cache_read(const eegnn_dataset *ds, int i, float *x) {
    size_t n = (size_t)ds->n_channels * (size_t)ds->cache_len, k, wb = eegnn__ds_window_bytes(ds), got = 0;
    int64_t off = EEGNN__CACHE_HEADER + (int64_t)i * (int64_t)wb;
    unsigned char *dst = ds->cache_f16 ? (unsigned char *)x + n * 2 : (unsigned char *)x;
    while (got < wb) {
        ssize_t r = pread(ds->cache_fd, dst + got, wb - got, (off_t)(off + (int64_t)got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
            return eegnn_set_error(r < 0 ? EEGNN_ERR_IO : EEGNN_ERR_FORMAT, "%s: cannot read window %d (byte %lld): %s",
                                   ds->cache_path, i, (long long)(off + (int64_t)got),
                                   r < 0 ? strerror(errno) : "truncated cache");
        got += (size_t)r;
    }
    if (ds->cache_f16) {
        /* halves were read into the upper half of x; widen front to back */
        const unsigned char *h = (const unsigned char *)x + n * 2;
        for (k = 0; k < n; k++) {
            uint16_t v;
            memcpy(&v, h + 2 * k, 2);
            x[k] = eegnn_half_to_float(v);
        }
    }
    return EEGNN_OK;
}

/* The cache file's header: magic, version, dtype, shape and the key. */
static void eegnn__ds_cache_header(const eegnn_dataset *ds, uint64_t key, unsigned char *h) {
    uint64_t v[5];
    memset(h, 0, EEGNN__CACHE_HEADER);
    memcpy(h, "EEGNNWIN", 8);
    v[0] = 1;
    v[1] = (uint64_t)ds->cache_f16;
    v[2] = (uint64_t)ds->n_windows;
    v[3] = ((uint64_t)ds->n_channels << 32) | (uint64_t)ds->n_times;
    v[4] = key;
    memcpy(h + 8, v, sizeof v);
}

/* Names the cache by a hash of everything that decides its bytes, opens it
 * when a complete one exists, else starts a temporary file to fill. */
static eegnn_status eegnn__ds_cache_open(eegnn_dataset *ds, const eegnn_dataset_config *cfg) {
    uint64_t key = 1469598103934665603ull;
    unsigned char want[EEGNN__CACHE_HEADER], have[EEGNN__CACHE_HEADER];
    char name[64];
    int i, fd;
    struct stat st;
    int64_t total;
    static const char magic[] = "eegnn window cache v1";
    if (eegnn__ds_cache_dtype(ds, cfg)) return EEGNN_ERR_ARG;
    ds->cache_len = ds->n_times;
    key = eegnn__fnv(key, magic, sizeof magic);
    key = eegnn__fnv(key, &ds->scale, sizeof ds->scale);
    key = eegnn__fnv(key, &ds->cache_f16, sizeof ds->cache_f16);
    key = eegnn__fnv(key, &ds->n_channels, sizeof ds->n_channels);
    key = eegnn__fnv(key, &ds->n_times, sizeof ds->n_times);
    for (i = 0; i < ds->n_recordings; i++) {
        key = eegnn__fnv(key, ds->rec_name[i], strlen(ds->rec_name[i]) + 1);
        key = eegnn__fnv(key, &ds->rec_stream[i].file_key, sizeof(uint64_t));
    }
    key = eegnn__fnv(key, ds->win_rec, (size_t)ds->n_windows * sizeof(int));
    key = eegnn__fnv(key, ds->win_start, (size_t)ds->n_windows * sizeof(int64_t));
    snprintf(name, sizeof name, "eegnn-windows-%016llx.%s", (unsigned long long)key, ds->cache_f16 ? "f16" : "f32");
    ds->cache_path = eegnn__path_join(cfg->cache_dir, name);
    if (!ds->cache_path) return EEGNN_ERR_MEMORY;
    eegnn__ds_cache_header(ds, key, want);
    total = EEGNN__CACHE_HEADER + (int64_t)ds->n_windows * (int64_t)eegnn__ds_window_bytes(ds);
    if (pthread_mutex_init(&ds->cache_lock, NULL) != 0)
        return eegnn_set_error(EEGNN_ERR_MEMORY, "dataset: cannot create the cache lock");
    ds->cache_lock_init = 1;
    fd = open(ds->cache_path, O_RDONLY);
    if (fd >= 0) {
        if (fstat(fd, &st) == 0 && (int64_t)st.st_size == total &&
            pread(fd, have, EEGNN__CACHE_HEADER, 0) == EEGNN__CACHE_HEADER &&
            memcmp(have, want, EEGNN__CACHE_HEADER) == 0) {
            ds->cache_fd = fd;
            ds->cache_ready = 1;
            return EEGNN_OK;
        }
        close(fd); /* stale or damaged: rebuilt and replaced */
    }
    if (eegnn__mkdirs(cfg->cache_dir)) return EEGNN_ERR_IO;
    {
        size_t n = strlen(ds->cache_path) + 48;
        ds->cache_tmp = (char *)eegnn__calloc(n, 1);
        if (!ds->cache_tmp) return EEGNN_ERR_MEMORY;
        snprintf(ds->cache_tmp, n, "%s.tmp.%ld.%p", ds->cache_path, (long)getpid(), (void *)ds);
    }
    ds->cache_done = (unsigned char *)eegnn__calloc((size_t)ds->n_windows + 1, 1);
    if (!ds->cache_done) return EEGNN_ERR_MEMORY;
    for (i = 0; i < ds->n_windows; i++) /* windows of in-memory recordings are never read from the cache */
        if (!ds->rec_stream[ds->win_rec[i]].handle) {
            ds->cache_done[i] = 1;
            ds->cache_n_done++;
        }
    fd = open(ds->cache_tmp, O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot create: %s", ds->cache_tmp, strerror(errno));
    ds->cache_fd = fd;
    if (pwrite(fd, want, EEGNN__CACHE_HEADER, 0) != EEGNN__CACHE_HEADER || ftruncate(fd, (off_t)total) != 0)
        return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot write: %s", ds->cache_tmp, strerror(errno));
    return EEGNN_OK;
}

/* Stores window i (x, already at the cache's precision) in the cache being
 * filled; renames the file into place when it is complete. Called with
 * cache_lock held. */
static eegnn_status eegnn__ds_cache_put(eegnn_dataset *ds, int i, const float *x) {
    eegnn_status st = eegnn__ds_cache_write(ds, i, x);
    if (st) return st;
    ds->cache_done[i] = 1;
    if (++ds->cache_n_done == ds->n_windows) {
        if (fsync(ds->cache_fd) != 0 || rename(ds->cache_tmp, ds->cache_path) != 0) {
            ds->cache_error = 1;
            return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot complete the cache: %s", ds->cache_path,
                                   strerror(errno));
        }
        ds->cache_ready = 1;
    }
    return EEGNN_OK;
}

/* Window i of a streamed recording: from the complete cache, else from the
 * file (rounded to the cache's precision and stored when a cache is being
 * filled). */
static eegnn_status eegnn__ds_get_streamed(eegnn_dataset *ds, int i, int offset, float *x) {
    size_t n = (size_t)ds->n_channels * (size_t)ds->n_times, k;
    const eegnn__ds_stream *s = &ds->rec_stream[ds->win_rec[i]];
    int ready = 0, filling = 0;
    eegnn_status st;
    if (offset != ds->crop_max / 2) { /* a crop other than the cached one: from the file */
        st = s->read(s->handle, ds->win_start[i] + offset, ds->n_times, x);
        if (st) return st;
        for (k = 0; k < n; k++) x[k] = (float)((double)x[k] * ds->scale);
        if (ds->cache_path && ds->cache_f16)
            for (k = 0; k < n; k++) x[k] = eegnn_half_to_float(eegnn_float_to_half(x[k]));
        return EEGNN_OK;
    }
    if (ds->cache_path) {
        pthread_mutex_lock(&ds->cache_lock);
        ready = ds->cache_ready;
        filling = !ready && !ds->cache_error && !ds->cache_done[i];
        pthread_mutex_unlock(&ds->cache_lock);
    }
    if (ready) return eegnn__ds_cache_read(ds, i, x);
    st = s->read(s->handle, ds->win_start[i] + offset, ds->n_times, x);
    if (st) return st;
    for (k = 0; k < n; k++) x[k] = (float)((double)x[k] * ds->scale);
    if (ds->cache_path && ds->cache_f16)
        for (k = 0; k < n; k++) x[k] = eegnn_half_to_float(eegnn_float_to_half(x[k]));
    if (filling) {
        pthread_mutex_lock(&ds->cache_lock);
        st = !ds->cache_ready && !ds->cache_error && !ds->cache_done[i] ? eegnn__ds_cache_put(ds, i, x) : EEGNN_OK;
        pthread_mutex_unlock(&ds->cache_lock);
    }
    return st;
}

/* Bytes a recording takes in memory as float32, estimated from its file:
 * EDF stores 2 bytes per sample, BDF 3; other formats count 2. */
static double eegnn__ds_estimate_bytes(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return 0.0;
    return (double)st.st_size * 4.0 / (eegnn__ext_is(path, ".bdf") ? 3.0 : 2.0);
}

/* ---- preprocessing of loaded recordings ---- */

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

/* ---- preprocessed window cache (streamed datasets with recording-level preprocessing) ----
 *
 * Filters, re-referencing, resampling, rejection and EMS need a whole
 * recording, so a streamed dataset that asks for them is built one
 * recording at a time: read, preprocess, cut windows, write them to the
 * cache file, free the recording. The file holds the 64-byte header
 * ("EEGNNPRE", version, dtype, window count, shape, key, metadata length and
 * hash), the windows (n_channels x cache_len each, in window order) and the
 * metadata that building the dataset produced (channels, recordings, window
 * list, targets, groups, classes, drop log, preprocessing log), so a later
 * build with the same key reuses it without reading any recording. */

#define EEGNN__PREP_MAGIC "EEGNNPRE"

/* Hash of a file's identity: path, size, modification time, inode. */
static uint64_t eegnn__ds_file_identity(uint64_t h, const char *path) {
    struct stat st;
    int64_t meta[4] = {-1, -1, -1, 0};
    if (stat(path, &st) == 0) {
        meta[0] = (int64_t)st.st_size;
        meta[1] = (int64_t)st.st_mtime;
        meta[2] = (int64_t)st.st_ino;
#if defined(__linux__) && ((defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200809L) || defined(_DEFAULT_SOURCE))
        meta[3] = (int64_t)st.st_mtim.tv_nsec; /* a rewrite within the same second */
#elif defined(__APPLE__)
        meta[3] = (int64_t)st.st_mtimespec.tv_nsec;
#endif
    }
    h = eegnn__fnv(h, path, strlen(path) + 1);
    return eegnn__fnv(h, meta, sizeof meta);
}

/* Identity of everything a BIDS recording is read from: its file, its
 * events file, and the files beside it named after it (a BrainVision .eeg
 * and .vmrk, an EEGLAB .fdt, sidecars), in any directory order. */
static uint64_t eegnn__ds_recording_identity(const eegnn__ds_source *s) {
    uint64_t h = eegnn__ds_file_identity(1469598103934665603ull, s->path), sum = 0;
    const char *slash = strrchr(s->path, '/');
    char *dir = slash ? eegnn__strndup(s->path, (size_t)(slash - s->path)) : eegnn__strdup(".");
    size_t nl = strlen(s->name);
    DIR *d;
    struct dirent *e;
    if (s->rec && s->rec->events_path) h = eegnn__ds_file_identity(h, s->rec->events_path);
    d = dir ? opendir(dir) : NULL;
    while (d && (e = readdir(d)) != NULL) {
        char *full;
        if (strncmp(e->d_name, s->name, nl) != 0 || e->d_name[nl] != '_') continue;
        full = eegnn__path_join(dir, e->d_name);
        if (full) sum += eegnn__ds_file_identity(1469598103934665603ull, full);
        EEGNN_FREE(full);
    }
    if (d) closedir(d);
    EEGNN_FREE(dir);
    return eegnn__fnv(h, &sum, sizeof sum);
}

static uint64_t eegnn__ds_hash_str(uint64_t h, const char *s) {
    static const char none[] = "\x01(none)";
    return s ? eegnn__fnv(h, s, strlen(s) + 1) : eegnn__fnv(h, none, sizeof none);
}

static uint64_t eegnn__ds_hash_f64(uint64_t h, double v) { return eegnn__fnv(h, &v, sizeof v); }

/* Key of a preprocessed cache: every setting that decides the windows, their
 * values and the metadata, and the identity of every selected recording. */
static uint64_t eegnn__ds_prep_key(const eegnn_dataset *ds, const eegnn__ds_source *src, int n_src,
                                   const eegnn_dataset_config *cfg, const eegnn__ds_prep *p, int unit,
                                   const double *win) {
    static const char magic[] = "eegnn preprocessed window cache v1";
    uint64_t h = eegnn__fnv(1469598103934665603ull, magic, sizeof magic);
    int64_t iv[10];
    int i, k;
    h = eegnn__ds_hash_str(h, cfg->target);
    if (cfg->event_column && strcmp(cfg->event_column, "trial_type")) h = eegnn__ds_hash_str(h, cfg->event_column);
    h = eegnn__ds_hash_str(h, cfg->task);
    for (k = 0; k < 5; k++) h = eegnn__ds_hash_f64(h, win[k]); /* window, stride, tmin, tmax, crop (s) */
    h = eegnn__ds_hash_f64(h, ds->scale);
    iv[0] = unit;
    iv[1] = ds->cache_f16;
    iv[2] = p->order;
    iv[3] = p->notch_order;
    iv[4] = p->ems;
    iv[5] = p->ems_block;
    iv[6] = p->common;
    iv[7] = p->ref_average;
    iv[8] = p->n_types;
    iv[9] = p->n_ref;
    h = eegnn__fnv(h, iv, sizeof iv);
    for (k = 0; k < p->n_types; k++) h = eegnn__ds_hash_str(h, p->types[k]);
    for (k = 0; k < p->n_ref; k++) h = eegnn__ds_hash_str(h, p->ref[k]);
    h = eegnn__ds_hash_str(h, p->common ? "\x01(common)" : cfg->channels);
    h = eegnn__ds_hash_f64(h, p->l_freq);
    h = eegnn__ds_hash_f64(h, p->h_freq);
    h = eegnn__ds_hash_f64(h, p->notch);
    h = eegnn__ds_hash_f64(h, p->notch_width);
    h = eegnn__ds_hash_f64(h, p->sfreq);
    h = eegnn__ds_hash_f64(h, p->reject);
    h = eegnn__ds_hash_f64(h, p->flat);
    h = eegnn__ds_hash_f64(h, p->ems ? p->ems_factor : 0.0);
    h = eegnn__ds_hash_f64(h, p->ems ? p->eps : 0.0);
    h = eegnn__ds_hash_f64(h, (double)ds->skipped_subjects);
    for (i = 0; i < n_src; i++) {
        uint64_t id;
        if (!src[i].selected) continue;
        h = eegnn__ds_hash_str(h, src[i].name);
        h = eegnn__ds_hash_str(h, src[i].label); /* participants target */
        id = eegnn__ds_recording_identity(&src[i]);
        h = eegnn__fnv(h, &id, sizeof id);
    }
    return h;
}

static void eegnn__ds_put_i64(eegnn__strbuf *sb, int64_t v) { eegnn__sb_append(sb, (const char *)&v, sizeof v); }
static void eegnn__ds_put_f64(eegnn__strbuf *sb, double v) { eegnn__sb_append(sb, (const char *)&v, sizeof v); }
static void eegnn__ds_put_str(eegnn__strbuf *sb, const char *s) {
    size_t n = s ? strlen(s) : 0;
    eegnn__ds_put_i64(sb, (int64_t)n);
    eegnn__sb_append(sb, s ? s : "", n);
}

/* Reads back what eegnn__ds_put_* wrote; bad is set on a short or
 * inconsistent blob. */
typedef struct eegnn__ds_blob {
    const unsigned char *p;
    size_t n, pos;
    int bad;
} eegnn__ds_blob;

static int eegnn__ds_get_bytes(eegnn__ds_blob *b, void *out, size_t n) {
    if (b->bad || n > b->n - b->pos) {
        b->bad = 1;
        memset(out, 0, n);
        return 0;
    }
    memcpy(out, b->p + b->pos, n);
    b->pos += n;
    return 1;
}
static int64_t eegnn__ds_get_i64(eegnn__ds_blob *b) {
    int64_t v;
    eegnn__ds_get_bytes(b, &v, sizeof v);
    return v;
}
static double eegnn__ds_get_f64(eegnn__ds_blob *b) {
    double v;
    eegnn__ds_get_bytes(b, &v, sizeof v);
    return v;
}
/* A count of items of at least `elem` bytes each that fit in the rest of the blob. */
static int eegnn__ds_get_count(eegnn__ds_blob *b, size_t elem) {
    int64_t v = eegnn__ds_get_i64(b);
    if (b->bad || v < 0 || v > INT32_MAX - 1 || (size_t)v > (b->n - b->pos) / elem) {
        b->bad = 1;
        return 0;
    }
    return (int)v;
}
static char *eegnn__ds_get_str(eegnn__ds_blob *b) {
    int64_t n = eegnn__ds_get_i64(b);
    char *s;
    if (b->bad || n < 0 || (uint64_t)n > b->n - b->pos) {
        b->bad = 1;
        return NULL;
    }
    s = eegnn__strndup((const char *)b->p + b->pos, (size_t)n);
    if (!s) b->bad = 1;
    b->pos += (size_t)n;
    return s;
}
static char **eegnn__ds_get_strs(eegnn__ds_blob *b, int n) {
    char **v = (char **)eegnn__calloc((size_t)n + 1, sizeof(char *));
    int i;
    if (!v) {
        b->bad = 1;
        return NULL;
    }
    for (i = 0; i < n && !b->bad; i++) v[i] = eegnn__ds_get_str(b);
    return v;
}

/* The metadata of a built dataset (everything eegnn__ds_pcache_parse needs). */
static void eegnn__ds_pcache_meta(const eegnn_dataset *ds, eegnn__strbuf *sb) {
    int i;
    size_t nw = (size_t)ds->n_windows;
    eegnn__ds_put_i64(sb, ds->n_channels);
    for (i = 0; i < ds->n_channels; i++) eegnn__ds_put_str(sb, ds->ch_names[i]);
    eegnn__ds_put_f64(sb, ds->sfreq);
    eegnn__ds_put_i64(sb, ds->n_times);
    eegnn__ds_put_i64(sb, ds->crop_max);
    eegnn__ds_put_i64(sb, ds->n_recordings);
    for (i = 0; i < ds->n_recordings; i++) {
        eegnn__ds_put_i64(sb, ds->rec_len[i]);
        eegnn__ds_put_str(sb, ds->rec_name[i]);
        eegnn__ds_put_str(sb, ds->rec_subject[i]);
    }
    eegnn__ds_put_i64(sb, ds->n_windows);
    eegnn__sb_append(sb, (const char *)ds->win_rec, nw * sizeof(int));
    eegnn__sb_append(sb, (const char *)ds->win_start, nw * sizeof(int64_t));
    eegnn__sb_append(sb, (const char *)ds->win_y, nw * sizeof(float));
    eegnn__sb_append(sb, (const char *)ds->win_group, nw * sizeof(int));
    eegnn__ds_put_i64(sb, ds->n_groups);
    for (i = 0; i < ds->n_groups; i++) eegnn__ds_put_str(sb, ds->group_names[i]);
    eegnn__ds_put_i64(sb, ds->n_classes);
    for (i = 0; i < ds->n_classes; i++) eegnn__ds_put_str(sb, ds->class_names[i]);
    eegnn__ds_put_i64(sb, ds->skipped_subjects);
    eegnn__ds_put_i64(sb, ds->skipped_events);
    eegnn__ds_put_i64(sb, ds->n_resampled);
    eegnn__ds_put_i64(sb, ds->n_candidates);
    eegnn__ds_put_str(sb, ds->log.p);
    eegnn__ds_put_i64(sb, ds->n_dropped);
    for (i = 0; i < ds->n_dropped; i++) {
        eegnn__ds_put_str(sb, ds->dropped[i].recording);
        eegnn__ds_put_i64(sb, ds->dropped[i].start);
        eegnn__ds_put_f64(sb, ds->dropped[i].target);
        eegnn__ds_put_i64(sb, ds->dropped[i].reasons);
        eegnn__ds_put_str(sb, ds->dropped[i].channels);
    }
}

/* Fills a fresh dataset t from metadata; 0 when the blob is damaged or
 * inconsistent with the header (n_windows, n_channels, cache_len). */
static int eegnn__ds_pcache_parse(eegnn_dataset *t, eegnn__ds_blob *b, int64_t n_windows, int64_t n_channels,
                                  int64_t cache_len) {
    int i;
    char *log;
    t->n_channels = eegnn__ds_get_count(b, 8);
    t->ch_names = eegnn__ds_get_strs(b, t->n_channels);
    t->sfreq = eegnn__ds_get_f64(b);
    t->n_times = (int)eegnn__ds_get_i64(b);
    t->crop_max = (int)eegnn__ds_get_i64(b);
    t->n_recordings = eegnn__ds_get_count(b, 24);
    if (b->bad) return 0;
    t->cap_recordings = t->n_recordings + 1;
    t->rec_data = (float **)eegnn__calloc((size_t)t->cap_recordings, sizeof(float *));
    t->rec_len = (int64_t *)eegnn__calloc((size_t)t->cap_recordings, sizeof(int64_t));
    t->rec_name = (char **)eegnn__calloc((size_t)t->cap_recordings, sizeof(char *));
    t->rec_subject = (char **)eegnn__calloc((size_t)t->cap_recordings, sizeof(char *));
    if (!t->rec_data || !t->rec_len || !t->rec_name || !t->rec_subject) return 0;
    for (i = 0; i < t->n_recordings && !b->bad; i++) {
        t->rec_len[i] = eegnn__ds_get_i64(b);
        t->rec_name[i] = eegnn__ds_get_str(b);
        t->rec_subject[i] = eegnn__ds_get_str(b);
    }
    t->n_windows = eegnn__ds_get_count(b, 20);
    if (b->bad) return 0;
    t->cap_windows = t->n_windows + 1;
    t->win_rec = (int *)eegnn__calloc((size_t)t->cap_windows, sizeof(int));
    t->win_start = (int64_t *)eegnn__calloc((size_t)t->cap_windows, sizeof(int64_t));
    t->win_y = (float *)eegnn__calloc((size_t)t->cap_windows, sizeof(float));
    t->win_group = (int *)eegnn__calloc((size_t)t->cap_windows, sizeof(int));
    if (!t->win_rec || !t->win_start || !t->win_y || !t->win_group) return 0;
    eegnn__ds_get_bytes(b, t->win_rec, (size_t)t->n_windows * sizeof(int));
    eegnn__ds_get_bytes(b, t->win_start, (size_t)t->n_windows * sizeof(int64_t));
    eegnn__ds_get_bytes(b, t->win_y, (size_t)t->n_windows * sizeof(float));
    eegnn__ds_get_bytes(b, t->win_group, (size_t)t->n_windows * sizeof(int));
    t->n_groups = eegnn__ds_get_count(b, 8);
    t->cap_groups = t->n_groups;
    t->group_names = eegnn__ds_get_strs(b, t->n_groups);
    t->n_classes = eegnn__ds_get_count(b, 8);
    t->class_names = eegnn__ds_get_strs(b, t->n_classes);
    t->skipped_subjects = (int)eegnn__ds_get_i64(b);
    t->skipped_events = (int)eegnn__ds_get_i64(b);
    t->n_resampled = (int)eegnn__ds_get_i64(b);
    t->n_candidates = (int)eegnn__ds_get_i64(b);
    log = eegnn__ds_get_str(b);
    if (log && *log) eegnn__sb_append(&t->log, log, strlen(log));
    EEGNN_FREE(log);
    t->n_dropped = eegnn__ds_get_count(b, 40);
    if (b->bad) return 0;
    t->cap_dropped = t->n_dropped;
    if (t->n_dropped) {
        t->dropped = (eegnn_dataset_dropped *)eegnn__calloc((size_t)t->n_dropped, sizeof *t->dropped);
        if (!t->dropped) {
            t->n_dropped = 0;
            return 0;
        }
    }
    for (i = 0; i < t->n_dropped && !b->bad; i++) {
        t->dropped[i].recording = eegnn__ds_get_str(b);
        t->dropped[i].start = eegnn__ds_get_i64(b);
        t->dropped[i].target = (float)eegnn__ds_get_f64(b);
        t->dropped[i].reasons = (int)eegnn__ds_get_i64(b);
        t->dropped[i].channels = eegnn__ds_get_str(b);
    }
    if (b->bad || b->pos != b->n || t->log.failed) return 0;
    /* consistency with the header and within itself */
    if (t->n_windows != n_windows || t->n_channels != n_channels || t->n_times < 1 || t->crop_max < 0 ||
        (int64_t)t->n_times + t->crop_max != cache_len || t->n_windows < 1 || !(t->sfreq > 0))
        return 0;
    for (i = 0; i < t->n_windows; i++) {
        int r = t->win_rec[i];
        if (r < 0 || r >= t->n_recordings || t->win_group[i] < 0 || t->win_group[i] >= t->n_groups ||
            t->win_start[i] < 0 || t->win_start[i] + cache_len > t->rec_len[r])
            return 0;
    }
    return 1;
}

static void eegnn__ds_pcache_header(const eegnn_dataset *ds, uint64_t key, uint64_t meta_len, uint64_t meta_hash,
                                    unsigned char *h) {
    uint64_t v[7];
    memset(h, 0, EEGNN__CACHE_HEADER);
    memcpy(h, EEGNN__PREP_MAGIC, 8);
    v[0] = 1;
    v[1] = (uint64_t)ds->cache_f16;
    v[2] = (uint64_t)ds->n_windows;
    v[3] = ((uint64_t)ds->n_channels << 32) | (uint64_t)ds->cache_len;
    v[4] = key;
    v[5] = meta_len;
    v[6] = meta_hash;
    memcpy(h + 8, v, sizeof v);
}

static char *eegnn__ds_pcache_name(const char *dir, uint64_t key, int f16) {
    char name[64];
    snprintf(name, sizeof name, "eegnn-prep-%016llx.%s", (unsigned long long)key, f16 ? "f16" : "f32");
    return eegnn__path_join(dir, name);
}

/* A complete preprocessed cache for `key` as a dataset (no recording is
 * read); NULL when there is none or it is damaged (rebuilt then). */
static eegnn_dataset *eegnn__ds_pcache_load(const eegnn_dataset *ds, const char *dir, uint64_t key) {
    unsigned char h[EEGNN__CACHE_HEADER];
    uint64_t v[7];
    char *path = eegnn__ds_pcache_name(dir, key, ds->cache_f16);
    eegnn_dataset *t = NULL;
    unsigned char *meta = NULL;
    eegnn__ds_blob b;
    struct stat st;
    int fd = path ? open(path, O_RDONLY) : -1;
    int64_t n_ch, len, wb, data_end;
    if (fd < 0) goto none;
    if (fstat(fd, &st) != 0 || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h, EEGNN__PREP_MAGIC, 8))
        goto none;
    memcpy(v, h + 8, sizeof v);
    n_ch = (int64_t)(v[3] >> 32);
    len = (int64_t)(v[3] & 0xffffffffu);
    if (v[0] != 1 || v[1] != (uint64_t)ds->cache_f16 || v[4] != key || v[2] < 1 || v[2] > INT32_MAX || n_ch < 1 ||
        n_ch > (1 << 20) || len < 1 || len > (1 << 30) || v[5] > (uint64_t)1 << 40)
        goto none;
    wb = n_ch * len * (ds->cache_f16 ? 2 : 4);
    if ((int64_t)v[2] > (INT64_MAX / 2) / wb) goto none;
    data_end = EEGNN__CACHE_HEADER + (int64_t)v[2] * wb;
    if ((int64_t)st.st_size != data_end + (int64_t)v[5]) goto none;
    meta = (unsigned char *)eegnn__calloc((size_t)v[5] + 1, 1);
    if (!meta || pread(fd, meta, (size_t)v[5], (off_t)data_end) != (ssize_t)v[5] ||
        eegnn__fnv(1469598103934665603ull, meta, (size_t)v[5]) != v[6])
        goto none;
    t = (eegnn_dataset *)eegnn__calloc(1, sizeof *t);
    if (!t) goto none;
    t->cache_fd = -1;
    b.p = meta;
    b.n = (size_t)v[5];
    b.pos = 0;
    b.bad = 0;
    if (!eegnn__ds_pcache_parse(t, &b, (int64_t)v[2], n_ch, len) ||
        pthread_mutex_init(&t->cache_lock, NULL) != 0)
        goto none;
    t->cache_lock_init = 1;
    EEGNN_FREE(meta);
    t->cache_fd = fd;
    t->cache_path = path;
    t->cache_ready = 1;
    t->cache_len = (int)len;
    t->cache_f16 = ds->cache_f16;
    t->prep_cache = 1;
    t->n_streamed = t->n_recordings;
    t->scale = ds->scale;
    t->std_window = ds->std_window;
    t->std_eps = ds->std_eps;
    return t;
none: /* absent, stale or damaged: rebuilt and replaced */
    if (fd >= 0) close(fd);
    EEGNN_FREE(path);
    EEGNN_FREE(meta);
    eegnn_dataset_free(t);
    return NULL;
}

/* Starts the temporary file a preprocessed cache is written to (the header
 * is written last, when the file is complete). */
static eegnn_status eegnn__ds_pcache_start(eegnn_dataset *ds, const char *dir, uint64_t key) {
    size_t n;
    unsigned char zero[EEGNN__CACHE_HEADER];
    ds->cache_path = eegnn__ds_pcache_name(dir, key, ds->cache_f16);
    if (!ds->cache_path) return EEGNN_ERR_MEMORY;
    if (eegnn__mkdirs(dir)) return EEGNN_ERR_IO;
    n = strlen(ds->cache_path) + 48;
    ds->cache_tmp = (char *)eegnn__calloc(n, 1);
    if (!ds->cache_tmp) return EEGNN_ERR_MEMORY;
    snprintf(ds->cache_tmp, n, "%s.tmp.%ld.%p", ds->cache_path, (long)getpid(), (void *)ds);
    if (pthread_mutex_init(&ds->cache_lock, NULL) != 0)
        return eegnn_set_error(EEGNN_ERR_MEMORY, "dataset: cannot create the cache lock");
    ds->cache_lock_init = 1;
    ds->cache_fd = open(ds->cache_tmp, O_RDWR | O_CREAT | O_EXCL, 0644);
    if (ds->cache_fd < 0)
        return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot create: %s", ds->cache_tmp, strerror(errno));
    memset(zero, 0, sizeof zero);
    if (eegnn__ds_pwrite_all(ds->cache_fd, zero, sizeof zero, 0))
        return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot write: %s", ds->cache_tmp, strerror(errno));
    ds->prep_cache = 1;
    return EEGNN_OK;
}

/* Writes the windows n_before .. n_windows - 1 of recording r (in memory,
 * preprocessed) to the cache being built. */
static eegnn_status eegnn__ds_pcache_put_recording(eegnn_dataset *ds, int r, int n_before) {
    size_t len = (size_t)ds->n_times + (size_t)ds->crop_max;
    float *x = (float *)eegnn__calloc((size_t)ds->n_channels * len, sizeof(float));
    eegnn_status st = EEGNN_OK;
    int i, c;
    if (!x) return EEGNN_ERR_MEMORY;
    ds->cache_len = (int)len;
    for (i = n_before; i < ds->n_windows && !st; i++) {
        const float *src = ds->rec_data[r] + ds->win_start[i];
        for (c = 0; c < ds->n_channels; c++)
            memcpy(x + (size_t)c * len, src + (size_t)c * (size_t)ds->rec_len[r], len * sizeof(float));
        st = eegnn__ds_cache_write(ds, i, x);
    }
    EEGNN_FREE(x);
    return st;
}

/* Completes the cache being built: metadata, header, fsync, rename into place. */
static eegnn_status eegnn__ds_pcache_finish(eegnn_dataset *ds, uint64_t key) {
    eegnn__strbuf sb = {0, 0, 0, 0};
    unsigned char h[EEGNN__CACHE_HEADER];
    int64_t off = EEGNN__CACHE_HEADER + (int64_t)ds->n_windows * (int64_t)eegnn__ds_window_bytes(ds);
    eegnn__ds_pcache_meta(ds, &sb);
    if (sb.failed) {
        eegnn__sb_free(&sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory writing %s", ds->cache_tmp);
    }
    eegnn__ds_pcache_header(ds, key, (uint64_t)sb.len, eegnn__fnv(1469598103934665603ull, sb.p, sb.len), h);
    if (eegnn__ds_pwrite_all(ds->cache_fd, sb.p, sb.len, off) || ftruncate(ds->cache_fd, (off_t)(off + (int64_t)sb.len)) ||
        eegnn__ds_pwrite_all(ds->cache_fd, h, sizeof h, 0) || fsync(ds->cache_fd) != 0 ||
        rename(ds->cache_tmp, ds->cache_path) != 0) {
        eegnn__sb_free(&sb);
        return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot complete the cache: %s", ds->cache_tmp, strerror(errno));
    }
    eegnn__sb_free(&sb);
    ds->cache_ready = 1;
    return EEGNN_OK;
}

/* ---- checks that need only the dataset's tables ---- */

/* Target kind: 0 participants, 1 events, 2 challenge1; -1 (error set) when bad. */
static int eegnn__ds_target_kind(const char *target) {
    if (!target || !*target) {
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: a target is required (\"participants:COLUMN\", "
                                       "\"events:CLASS,...\" or \"challenge1\")");
        return -1;
    }
    if (eegnn__starts_with(target, "events:")) return 1;
    if (eegnn__starts_with(target, "participants:") && target[13]) return 0;
    if (strcmp(target, "challenge1") == 0) return 2;
    eegnn_set_error(EEGNN_ERR_ARG,
                    "dataset: target '%s' must be \"participants:COLUMN\", \"events:CLASS,...\" or \"challenge1\"",
                    target);
    return -1;
}

/* Split unit: 0 subject, 1 session, 2 run; -1 (error set) when bad. */
static int eegnn__ds_split_unit(const char *split) {
    if (!split || strcmp(split, "subject") == 0) return 0;
    if (strcmp(split, "session") == 0) return 1;
    if (strcmp(split, "run") == 0) return 2;
    eegnn_set_error(EEGNN_ERR_ARG, "dataset: split unit '%s' is not one of subject, session, run", split);
    return -1;
}

/* Window settings (seconds) shared by the check and the build. */
static eegnn_status eegnn__ds_check_windows(const eegnn_dataset_config *cfg, int kind) {
    double win = cfg->window_seconds > 0 ? cfg->window_seconds : 2.0, tmin = cfg->tmin, tmax = cfg->tmax;
    if (tmin == 0 && tmax == 0) {
        tmin = 0.5;
        tmax = 2.5;
    }
    if (!(cfg->window_seconds >= 0) || !(cfg->stride_seconds >= 0) || !isfinite(cfg->window_seconds) ||
        !isfinite(cfg->stride_seconds))
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: window %g s and stride %g s must be > 0 (0: default)",
                               cfg->window_seconds, cfg->stride_seconds);
    if (kind && !(tmax > tmin && isfinite(tmin) && isfinite(tmax)))
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: tmax (%g s) must be greater than tmin (%g s)", tmax, tmin);
    if (cfg->crop_seconds < 0 || !isfinite(cfg->crop_seconds) ||
        (cfg->crop_seconds > 0 && (kind || cfg->crop_seconds > win)))
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: crops of %g s need a participants target and windows of at "
                               "least that length (window %g s)", cfg->crop_seconds, win);
    return EEGNN_OK;
}

/* The split unit's entity ("ses" or "run") must occur in some selected
 * recording; has[k] for k = 0..4 tells whether sub, ses, task, acq, run do. */
static eegnn_status eegnn__ds_check_unit(int unit, const int *has, int n_selected, const char *where) {
    static const char *const keys[5] = {"sub", "ses", "task", "acq", "run"};
    char list[64];
    size_t len = 0;
    int k;
    if (unit == 0 || has[unit == 1 ? 1 : 4]) return EEGNN_OK;
    list[0] = '\0';
    for (k = 0; k < 5; k++)
        if (has[k]) len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", keys[k]);
    return eegnn_set_error(EEGNN_ERR_ARG,
                           "%s: split unit '%s' needs recordings with a %s entity (_%s-<label>), and none of the %d "
                           "selected recordings has one (their entities: %s); split by subject%s",
                           where, unit == 1 ? "session" : "run", unit == 1 ? "ses" : "run", unit == 1 ? "ses" : "run",
                           n_selected, list, has[1] && unit == 2 ? " or session" : "");
}

/* The error for an event label that the selected recordings do not have. */
static eegnn_status eegnn__ds_missing_label(const char *where, const char *label, const char *target,
                                            const char *column, const char *levels) {
    return eegnn_set_error(EEGNN_ERR_NOT_FOUND,
                           "%s: no event is labelled '%s' (target '%s') in the %s column of the selected recordings' "
                           "events; the labels there are: %s%s%s",
                           where, label, target, column, *levels ? levels : "(none)",
                           strchr(label, '+') ? ". To merge labels into one class, name it: NAME=A+B" : "",
                           strcmp(column, "trial_type") ? "" : ". Labels of another column: event_column "
                                                               "(eegnn train --event-column COLUMN)");
}

EEGNN_API eegnn_status eegnn_dataset_check(const eegnn_bids_dataset *bids, const eegnn_dataset_config *cfg,
                                           eegnn_dataset_plan *plan) {
    eegnn_dataset_plan pl;
    const eegnn_table *pt;
    char *selected = NULL, **tasks = NULL, **seen = NULL;
    int i, k, kind, unit, n_tasks = 0, n_seen = 0, col = -1, has[5] = {0, 0, 0, 0, 0};
    eegnn_status st = EEGNN_OK;
    eegnn__ds_prep prep;
    if (plan) memset(plan, 0, sizeof *plan);
    memset(&pl, 0, sizeof pl);
    if (!bids || !cfg) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dataset_check: NULL argument");
    if ((kind = eegnn__ds_target_kind(cfg->target)) < 0 || (unit = eegnn__ds_split_unit(cfg->split)) < 0)
        return EEGNN_ERR_ARG;
    if ((st = eegnn__ds_check_windows(cfg, kind))) return st;
    if (cfg->event_column && kind != 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: event_column '%s' applies to events targets, not '%s'",
                               cfg->event_column, cfg->target);
    if ((st = eegnn__ds_prep_parse(cfg, &prep))) return st;
    eegnn__ds_prep_free(&prep);
    pt = bids->participants;
    selected = (char *)eegnn__calloc((size_t)bids->n_recordings + 1, 1);
    seen = (char **)eegnn__calloc((size_t)bids->n_recordings + 1, sizeof(char *)); /* subject or group names */
    if (!selected || !seen) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    /* task filter: every task named must exist */
    if (cfg->task) {
        if (!(tasks = eegnn__ds_split_list(cfg->task, &n_tasks))) {
            st = EEGNN_ERR_MEMORY;
            goto done;
        }
        for (k = 0; k < n_tasks; k++) {
            for (i = 0; i < bids->n_recordings; i++)
                if (bids->recordings[i].task && !strcmp(bids->recordings[i].task, tasks[k])) break;
            if (i == bids->n_recordings) {
                eegnn__strbuf known = {0, 0, 0, 0};
                int j;
                for (i = 0; i < bids->n_recordings; i++) {
                    const char *t = bids->recordings[i].task;
                    for (j = 0; j < i && t; j++)
                        if (bids->recordings[j].task && !strcmp(bids->recordings[j].task, t)) t = NULL;
                    if (t) eegnn__sb_printf(&known, "%s%s", known.len ? ", " : "", t);
                }
                st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no recording of task '%s' (tasks: %s)", bids->root,
                                     tasks[k], known.p ? known.p : "none");
                eegnn__sb_free(&known);
                goto done;
            }
        }
    }
    for (i = 0; i < bids->n_recordings; i++) {
        const eegnn_bids_recording *r = &bids->recordings[i];
        selected[i] = !cfg->task || (r->task && eegnn__list_contains(cfg->task, r->task));
    }
    /* participants targets: the column, its values and levels */
    if (kind == 0) {
        const char *column = cfg->target + 13;
        const char **levels = NULL;
        if (!pt) {
            st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no participants.tsv, which target '%s' needs", bids->root,
                                 cfg->target);
            goto done;
        }
        if ((col = eegnn_table_column(pt, column)) < 0) {
            eegnn__strbuf cols = {0, 0, 0, 0};
            for (k = 0; k < pt->n_cols; k++) eegnn__sb_printf(&cols, "%s%s", k ? ", " : "", pt->columns[k]);
            st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no column '%s' for target '%s' (columns: %s)", pt->path,
                                 column, cfg->target, cols.p ? cols.p : "");
            eegnn__sb_free(&cols);
            goto done;
        }
        pl.classification = !eegnn_table_column_is_numeric(pt, col);
        levels = (const char **)eegnn__calloc((size_t)bids->n_recordings + 1, sizeof(char *));
        if (!levels) {
            st = EEGNN_ERR_MEMORY;
            goto done;
        }
        for (i = 0; i < bids->n_recordings; i++) {
            const eegnn_bids_recording *r = &bids->recordings[i];
            const char *v;
            int j, counted = 0;
            if (!selected[i]) continue;
            v = r->participant_row >= 0 ? eegnn_table_cell(pt, r->participant_row, col) : NULL;
            if (!v) { /* skipped: count each subject once */
                for (j = 0; j < i && !counted; j++)
                    counted = bids->recordings[j].sub && r->sub && !strcmp(bids->recordings[j].sub, r->sub) &&
                              (!cfg->task || (bids->recordings[j].task &&
                                              eegnn__list_contains(cfg->task, bids->recordings[j].task)));
                if (!counted) pl.n_skipped_subjects++;
                selected[i] = 0;
                continue;
            }
            for (j = 0; j < pl.n_classes; j++)
                if (!strcmp(levels[j], v)) break;
            if (pl.classification && j == pl.n_classes) levels[pl.n_classes++] = v;
        }
        if (pl.n_classes == 1)
            st = eegnn_set_error(EEGNN_ERR_ARG, "%s: column '%s' has the single value '%s' among the selected "
                                 "subjects: a classifier needs at least two classes", pt->path, column, levels[0]);
        EEGNN_FREE((void *)levels);
        if (st) goto done;
    }
    for (i = 0; i < bids->n_recordings; i++) {
        const eegnn_bids_recording *r = &bids->recordings[i];
        if (!selected[i]) continue;
        pl.n_recordings++;
        has[0] |= r->sub != NULL;
        has[1] |= r->ses != NULL;
        has[2] |= r->task != NULL;
        has[3] |= r->acq != NULL;
        has[4] |= r->run != NULL;
    }
    if (pl.n_recordings == 0) {
        st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no recording %s%s%s", bids->root,
                             kind == 0 ? "of a subject with a value for target " : "of the tasks ",
                             kind == 0 ? cfg->target : (cfg->task ? cfg->task : "(any)"),
                             kind == 0 && pl.n_skipped_subjects ? " (every selected subject's value is n/a)" : "");
        goto done;
    }
    if ((st = eegnn__ds_check_unit(unit, has, pl.n_recordings, bids->root))) goto done;
    /* subjects and groups */
    for (k = 0; k < 2; k++) {
        int n = 0;
        for (i = 0; i < bids->n_recordings; i++) {
            const eegnn_bids_recording *r = &bids->recordings[i];
            char name[512];
            if (!selected[i]) continue;
            if (k == 0 || unit == 0 || (unit == 1 && !r->ses)) snprintf(name, sizeof name, "sub-%s", r->sub ? r->sub : "");
            else if (unit == 1) snprintf(name, sizeof name, "sub-%s_ses-%s", r->sub ? r->sub : "", r->ses);
            else snprintf(name, sizeof name, "%s", r->name);
            if (!(seen[n_seen++] = eegnn__strdup(name))) {
                st = EEGNN_ERR_MEMORY;
                goto done;
            }
        }
        qsort(seen, (size_t)n_seen, sizeof *seen, eegnn__ds_cmp_cstr);
        for (i = 0; i < n_seen; i++) n += i == 0 || strcmp(seen[i], seen[i - 1]) != 0;
        if (k == 0) pl.n_subjects = n;
        else pl.n_groups = n;
        for (i = 0; i < n_seen; i++) EEGNN_FREE(seen[i]);
        n_seen = 0;
    }
    if (kind == 2) pl.classification = 0;
    if (kind == 1) {
        const char *column = cfg->event_column ? cfg->event_column : "trial_type";
        eegnn_event_classes *ec = eegnn_event_classes_parse(cfg->target);
        eegnn_bids_levels *lv;
        pl.classification = 1;
        if (!ec) {
            st = EEGNN_ERR_ARG;
            goto done;
        }
        pl.n_classes = ec->n_classes;
        if (ec->n_classes < 2) {
            st = eegnn_set_error(EEGNN_ERR_ARG, "target '%s' names one class: a classifier needs at least two "
                                 "(events:A,B or events:NAME=A+B,C)", cfg->target);
            eegnn_event_classes_free(ec);
            goto done;
        }
        lv = eegnn_bids_event_levels(bids, cfg->task, column);
        if (!lv) {
            eegnn_event_classes_free(ec);
            st = EEGNN_ERR_FORMAT;
            goto done;
        }
        if (lv->n_without_column) {
            eegnn_table *t = eegnn_table_read_tsv(lv->without_column_path);
            eegnn__strbuf cols = {0, 0, 0, 0};
            for (k = 0; t && k < t->n_cols; k++) eegnn__sb_printf(&cols, "%s%s", k ? ", " : "", t->columns[k]);
            st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no column '%s' for target '%s' (columns: %s)",
                                 lv->without_column_path, column, cfg->target, cols.p ? cols.p : "?");
            eegnn__sb_free(&cols);
            eegnn_table_free(t);
        } else if (lv->n_without_events && strcmp(column, "trial_type")) {
            st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: %d selected recording%s no events file, and the "
                                 "annotations of a signal file stand for trial_type only, not '%s'", bids->root,
                                 lv->n_without_events, lv->n_without_events == 1 ? " has" : "s have", column);
        } else if (!lv->n_without_events) {
            for (k = 0; k < ec->n_labels && !st; k++)
                if (eegnn_bids_levels_find(lv, ec->labels[k]) < 0) {
                    char levels[1024];
                    eegnn_bids_levels_format(lv, levels, sizeof levels);
                    st = eegnn__ds_missing_label(bids->root, ec->labels[k], cfg->target, column, levels);
                }
        }
        eegnn_bids_levels_free(lv);
        eegnn_event_classes_free(ec);
        if (st) goto done;
    }
    if (plan) *plan = pl;
done:
    EEGNN_FREE(selected);
    eegnn__ds_free_strings(tasks, n_tasks);
    eegnn__ds_free_strings(seen, n_seen);
    return st;
}

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

static eegnn_dataset *eegnn__dataset_build(eegnn__ds_source *src, int n_src, const eegnn_table *participants,
                                           const eegnn_dataset_config *cfg) {
    eegnn_dataset *ds = NULL;
    const char *target;
    int is_events, unit = 0, i, k, p_col = -1, regression = 0;
    double win_s, stride_s, tmin, tmax;
    const char *first_path = NULL;
    const char **labels = NULL, **rec_label = NULL;
    char **skipped = NULL;
    int want_stream = 0, prep_stream = 0, max_open = eegnn__ds_max_open_streams();
    uint64_t prep_key = 0;
    int n_skipped = 0, n_selected = 0, n_read = 0, has[5] = {0, 0, 0, 0, 0};
    eegnn__ds_prep prep;
    eegnn_event_classes *ec = NULL;
    const char *ev_column = cfg && cfg->event_column ? cfg->event_column : "trial_type";
    eegnn__ds_labels seen_labels; /* events targets: every label met, with counts */
    memset(&prep, 0, sizeof prep);
    memset(&seen_labels, 0, sizeof seen_labels);
    if (!cfg) {
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: config is NULL");
        return NULL;
    }
    target = cfg->target;
    if ((is_events = eegnn__ds_target_kind(target)) < 0 || (unit = eegnn__ds_split_unit(cfg->split)) < 0 ||
        eegnn__ds_check_windows(cfg, is_events))
        return NULL;
    if (cfg->event_column && is_events != 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: event_column '%s' applies to events targets, not '%s'",
                        cfg->event_column, target);
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
    ds = (eegnn_dataset *)eegnn__calloc(1, sizeof *ds);
    if (!ds) return NULL;
    ds->cache_fd = -1;
    ds->scale = cfg->scale != 0 ? cfg->scale : 1e6;
    if (eegnn__ds_prep_parse(cfg, &prep)) goto fail;
    ds->std_window = prep.std_window;
    ds->std_eps = prep.eps;

    /* task filter */
    for (i = 0; i < n_src; i++) {
        const char *task = eegnn__bids_entity(&src[i].ent, "task");
        src[i].selected = !cfg->task || (task && eegnn__list_contains(cfg->task, task));
    }

    /* target: classes */
    if (is_events == 2) {
        regression = 1;
    } else if (is_events) {
        if (!(ec = eegnn_event_classes_parse(target))) goto fail;
        if (ec->n_classes < 2) {
            eegnn_set_error(EEGNN_ERR_ARG, "target '%s' names one class: a classifier needs at least two "
                            "(events:A,B or events:NAME=A+B,C)", target);
            goto fail;
        }
        ds->class_names = (char **)eegnn__calloc((size_t)ec->n_classes, sizeof(char *));
        if (!ds->class_names) goto fail;
        for (k = 0; k < ec->n_classes; k++) {
            if (!(ds->class_names[k] = eegnn__strdup(ec->names[k]))) goto fail;
            ds->n_classes = k + 1;
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
    for (i = 0; i < n_src; i++) {
        static const char *const keys[5] = {"sub", "ses", "task", "acq", "run"};
        if (!src[i].selected) continue;
        n_selected++;
        for (k = 0; k < 5; k++) has[k] |= eegnn__bids_entity(&src[i].ent, keys[k]) != NULL;
    }
    if (n_selected && eegnn__ds_check_unit(unit, has, n_selected, "dataset")) goto fail;

    /* stream when asked to, or when the recordings would not fit in max_memory */
    want_stream = cfg->stream;
    if (!want_stream && cfg->max_memory > 0) {
        double total = 0.0;
        for (i = 0; i < n_src; i++)
            if (src[i].selected && !src[i].raw) total += eegnn__ds_estimate_bytes(src[i].path);
        want_stream = total > (double)cfg->max_memory;
    }
    /* streamed with recording-level preprocessing: one recording at a time
     * into a cache of preprocessed windows (see "preprocessed window cache") */
    if (want_stream && prep.recording_level)
        for (i = 0; i < n_src && !prep_stream; i++)
            if (src[i].selected && !src[i].raw) {
                double win[5];
                eegnn_dataset *cached;
                if (!cfg->cache_dir) {
                    eegnn_set_error(EEGNN_ERR_ARG,
                                    "dataset: %s would be streamed (%s), and channel picks, re-referencing, "
                                    "filters, resampling, rejection and EMS need each whole recording: its "
                                    "preprocessed windows go to an on-disk cache, so set cache_dir (eegnn train "
                                    "--cache DIR), or raise max_memory to keep the recordings in memory",
                                    src[i].path, cfg->stream ? "stream is set" : "the data exceed max_memory");
                    goto fail;
                }
                if (eegnn__ds_cache_dtype(ds, cfg)) goto fail;
                prep_stream = 1;
                win[0] = win_s;
                win[1] = stride_s;
                win[2] = tmin;
                win[3] = tmax;
                win[4] = cfg->crop_seconds;
                prep_key = eegnn__ds_prep_key(ds, src, n_src, cfg, &prep, unit, win);
                cached = eegnn__ds_pcache_load(ds, cfg->cache_dir, prep_key);
                if (cached) { /* complete and current: no recording is read */
                    eegnn_dataset_free(ds);
                    ds = cached;
                    goto done;
                }
                if (eegnn__ds_pcache_start(ds, cfg->cache_dir, prep_key)) goto fail;
            }
    if (prep.common && eegnn__ds_common_channels(src, n_src, &prep)) goto fail;

    /* recordings and windows */
    if (cfg->progress) cfg->progress(cfg->progress_user, 0, n_selected, 0);
    for (i = 0; i < n_src; i++) {
        eegnn_raw *loaded = NULL;
        const eegnn_raw *raw = src[i].raw;
        eegnn__ds_stream stream;
        int streamed = 0;
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
            if (want_stream && !prep_stream) {
                streamed = eegnn__ds_open_stream(src[i].path, ds->n_open_streams < max_open, &loaded, &stream);
                if (streamed < 0) goto fail;
            }
            if (!streamed) loaded = eegnn_read_raw(src[i].path, NULL);
            if (!loaded) goto fail;
            raw = loaded;
        } else if (prep.recording_level) {
            loaded = eegnn_raw_copy(raw);
            if (!loaded) goto fail;
            raw = loaded;
        }
        if (prep.recording_level && !streamed && eegnn__ds_preprocess(ds, loaded, &prep, src[i].name)) {
            eegnn_raw_free(loaded);
            goto fail;
        }
        if (!src[i].raw) {
            if (src[i].rec->events_path && is_events) {
                ev = is_events == 1 ? eegnn_bids_load_events_column(src[i].rec, ev_column)
                                    : eegnn_bids_load_events(src[i].rec);
                if (!ev) {
                    eegnn_raw_free(loaded);
                    if (streamed) stream.close(stream.handle);
                    goto fail;
                }
            }
        }
        r = eegnn__ds_add_recording(ds, raw, streamed ? &stream : NULL, src[i].name,
                                    eegnn__bids_entity(&src[i].ent, "sub"), first_path ? first_path : src[i].path);
        if (r < 0) {
            if (streamed && (ds->n_recordings == 0 || ds->rec_stream[ds->n_recordings - 1].handle != stream.handle))
                stream.close(stream.handle);
            eegnn_raw_free(loaded);
            eegnn_bids_events_free(ev);
            goto fail;
        }
        if (!first_path) first_path = src[i].path;
        if (prep_stream) { /* the scaled copy is all windowing needs */
            EEGNN_FREE(loaded->data);
            loaded->data = NULL;
        }
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
        if (!is_events && cfg->crop_seconds > 0) {
            int64_t crop = eegnn__ds_seconds_to_samples(cfg->crop_seconds, ds->sfreq);
            if (crop < 1 || crop > n_times) {
                eegnn_raw_free(loaded);
                eegnn_set_error(EEGNN_ERR_ARG, "dataset: a crop of %lld samples in windows of %lld", (long long)crop,
                                (long long)n_times);
                goto fail;
            }
            ds->n_times = (int)crop;
            ds->crop_max = (int)(n_times - crop);
        }
        if (is_events == 2) {
            int64_t off = eegnn__ds_seconds_to_samples(tmin, ds->sfreq);
            int n_ev = ev ? ev->n : raw->n_annotations, n_tr;
            const char **values = (const char **)eegnn__calloc((size_t)n_ev + 1, sizeof(char *));
            double *onsets = (double *)eegnn__calloc((size_t)n_ev + 1, sizeof(double));
            double *stim = (double *)eegnn__calloc((size_t)n_ev + 1, sizeof(double));
            double *rt = (double *)eegnn__calloc((size_t)n_ev + 1, sizeof(double));
            n_tr = -1;
            if (values && onsets && stim && rt) {
                for (e = 0; e < n_ev; e++) {
                    values[e] = ev ? ev->events[e].value : raw->annotations[e].description;
                    onsets[e] = ev ? ev->events[e].onset : raw->annotations[e].onset;
                }
                n_tr = eegnn__ds_challenge1_trials(values, onsets, n_ev, stim, rt);
            }
            for (e = 0; e < n_tr; e++) {
                int64_t start = eegnn__ds_seconds_to_samples(stim[e], ds->sfreq) + off;
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
            if (n_tr < 0) goto oom_rec;
        } else if (is_events) {
            int64_t off = eegnn__ds_seconds_to_samples(tmin, ds->sfreq);
            int n_ev = ev ? ev->n : raw->n_annotations;
            if (!ev && cfg->event_column && strcmp(cfg->event_column, "trial_type")) {
                eegnn_raw_free(loaded);
                eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no events file, and the annotations of a signal file stand "
                                "for trial_type only, not '%s'", src[i].path, cfg->event_column);
                goto fail;
            }
            for (e = 0; e < n_ev; e++) {
                const char *tt = ev ? ev->events[e].label : raw->annotations[e].description;
                double onset = ev ? ev->events[e].onset : raw->annotations[e].onset;
                int64_t start;
                if (!tt) continue;
                if (eegnn__ds_labels_count(&seen_labels, tt)) goto oom_rec;
                if ((k = eegnn_event_classes_find(ec, tt)) < 0) continue;
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
        if (eegnn__ds_reject_and_ems(ds, r, n_windows_before, raw->ch_types, &prep)) {
            eegnn_raw_free(loaded);
            eegnn_bids_events_free(ev);
            goto fail;
        }
        eegnn_raw_free(loaded);
        eegnn_bids_events_free(ev);
        n_read++;
        if (ds->n_windows == n_windows_before) {
            /* nothing to train on: drop the recording (and its group if new) */
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
        } else {
            rec_label[r] = src[i].label;
            if (prep_stream) { /* windows to the cache, the recording out of memory */
                if (eegnn__ds_pcache_put_recording(ds, r, n_windows_before)) goto fail;
                EEGNN_FREE(ds->rec_data[r]);
                ds->rec_data[r] = NULL;
                ds->n_streamed++;
            }
        }
        if (cfg->progress) cfg->progress(cfg->progress_user, n_read, n_selected, ds->n_windows);
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
    if (is_events == 1 && eegnn__ds_check_classes(ds, ec, &seen_labels, target, ev_column)) goto fail;
    if (ds->n_windows == 0) {
        eegnn_set_error(EEGNN_ERR_NOT_FOUND,
                        "dataset: no window for target '%s' (%d recordings loaded, %d subjects skipped, "
                        "%d events outside their recording)",
                        target, ds->n_recordings, ds->skipped_subjects, ds->skipped_events);
        goto fail;
    }
    if (prep_stream) {
        if (eegnn__ds_pcache_finish(ds, prep_key)) goto fail;
    } else if (ds->n_streamed > 0 && cfg->cache_dir && eegnn__ds_cache_open(ds, cfg)) {
        goto fail;
    }
done:
    EEGNN_FREE((void *)labels);
    EEGNN_FREE((void *)rec_label);
    eegnn__ds_free_strings(skipped, n_skipped);
    eegnn__ds_prep_free(&prep);
    eegnn_event_classes_free(ec);
    eegnn__ds_labels_free(&seen_labels);
    return ds;
fail:
    EEGNN_FREE((void *)labels);
    EEGNN_FREE((void *)rec_label);
    eegnn__ds_free_strings(skipped, n_skipped);
    eegnn__ds_prep_free(&prep);
    eegnn_event_classes_free(ec);
    eegnn__ds_labels_free(&seen_labels);
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
    if (eegnn_dataset_check(bids, cfg, NULL)) return NULL;
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

/* The numbers of valid and test groups of a split, as eegnn_split_groups
 * takes them; EEGNN_ERR_ARG for bad fractions or too few groups. */
static eegnn_status eegnn__split_counts(const char *fn, int n_groups, double valid_frac, double test_frac,
                                        int *n_valid, int *n_test) {
    int need;
    if (n_groups <= 0) return eegnn_set_error(EEGNN_ERR_ARG, "%s: %d groups", fn, n_groups);
    if (!(valid_frac >= 0) || !(test_frac >= 0) || !(valid_frac + test_frac < 1))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: fractions valid %g and test %g must be >= 0 and sum to < 1", fn,
                               valid_frac, test_frac);
    need = 1 + (valid_frac > 0) + (test_frac > 0);
    if (n_groups < need)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "%s: %d groups cannot fill %d non-empty splits (train%s%s); "
                               "use a finer split unit (session or run) or more subjects",
                               fn, n_groups, need, valid_frac > 0 ? ", valid" : "", test_frac > 0 ? ", test" : "");
    *n_valid = valid_frac > 0 ? EEGNN__MAX(1, (int)floor(valid_frac * n_groups + 0.5)) : 0;
    *n_test = test_frac > 0 ? EEGNN__MAX(1, (int)floor(test_frac * n_groups + 0.5)) : 0;
    while (*n_valid + *n_test > n_groups - 1) {
        if (*n_test >= *n_valid && *n_test > 1) (*n_test)--;
        else (*n_valid)--;
    }
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_split_groups(int n_groups, double valid_frac, double test_frac, uint64_t seed,
                                          int *assign) {
    int n_valid, n_test, i, *perm;
    eegnn_rng rng;
    eegnn_status st;
    if (!assign) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_split_groups: assign is NULL");
    if ((st = eegnn__split_counts("eegnn_split_groups", n_groups, valid_frac, test_frac, &n_valid, &n_test)))
        return st;
    perm = (int *)eegnn__calloc((size_t)n_groups, sizeof(int));
    if (!perm) return EEGNN_ERR_MEMORY;
    for (i = 0; i < n_groups; i++) perm[i] = i;
    eegnn_rng_seed(&rng, seed);
    eegnn_rng_shuffle(&rng, perm, n_groups);
    for (i = 0; i < n_groups; i++) assign[perm[i]] = i < n_test ? 2 : (i < n_test + n_valid ? 1 : 0);
    EEGNN_FREE(perm);
    return EEGNN_OK;
}

/* Stratified assignment of groups to splits of given sizes (in groups),
 * as scikit-learn's StratifiedGroupKFold does it: the groups, shuffled with
 * the seed, are taken in order of decreasing standard deviation of their
 * class distribution (stable), and each goes to the split with room left
 * where it brings the class shares closest to the split's share of the
 * groups: the least sum over classes of ((count in split + count in
 * group) / class total - share)^2 - (count in split / class total - share)^2
 * (ties: the split with more room left, then the lower index). counts:
 * (n_groups, n_classes) windows of each class in each group. */
static eegnn_status eegnn__stratified_assign(int n_groups, int n_classes, const int *counts, int n_splits,
                                             const int *size, uint64_t seed, int *assign) {
    int *order = NULL, *room = NULL, i, k, s, c;
    double *total = NULL, *in = NULL, *sd = NULL;
    eegnn_rng rng;
    eegnn_status st = EEGNN_OK;
    for (i = 0; i < n_groups * n_classes; i++)
        if (counts[i] < 0) return eegnn_set_error(EEGNN_ERR_ARG, "class count %d < 0", counts[i]);
    order = (int *)eegnn__calloc((size_t)n_groups + (size_t)n_splits, sizeof(int));
    total = (double *)eegnn__calloc((size_t)n_classes * (1 + (size_t)n_splits) + (size_t)n_groups, sizeof(double));
    if (!order || !total) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    room = order + n_groups;
    in = total + n_classes;               /* (n_splits, n_classes) */
    sd = in + (size_t)n_splits * n_classes; /* (n_groups) */
    for (i = 0; i < n_groups; i++) {
        double n = 0, m, v = 0;
        for (c = 0; c < n_classes; c++) {
            total[c] += counts[(size_t)i * n_classes + c];
            n += counts[(size_t)i * n_classes + c];
        }
        m = 1.0 / n_classes;
        for (c = 0; c < n_classes && n > 0; c++) {
            double p = counts[(size_t)i * n_classes + c] / n - m;
            v += p * p;
        }
        sd[i] = sqrt(v / n_classes);
        order[i] = i;
    }
    eegnn_rng_seed(&rng, seed);
    eegnn_rng_shuffle(&rng, order, n_groups);
    for (i = 1; i < n_groups; i++) { /* stable insertion sort, std descending */
        int g = order[i];
        for (k = i; k > 0 && sd[order[k - 1]] < sd[g]; k--) order[k] = order[k - 1];
        order[k] = g;
    }
    for (s = 0; s < n_splits; s++) room[s] = size[s];
    for (i = 0; i < n_groups; i++) {
        int g = order[i], best = -1;
        double best_d = 0;
        for (s = 0; s < n_splits; s++) {
            double share = (double)size[s] / n_groups, d = 0;
            if (!room[s]) continue;
            for (c = 0; c < n_classes; c++) {
                double t = total[c] > 0 ? total[c] : 1, a = in[s * n_classes + c] / t - share,
                       b = (in[s * n_classes + c] + counts[(size_t)g * n_classes + c]) / t - share;
                d += b * b - a * a;
            }
            if (best < 0 || d < best_d - 1e-12 || (fabs(d - best_d) <= 1e-12 && room[s] > room[best])) {
                best = s;
                best_d = d;
            }
        }
        assign[g] = best;
        room[best]--;
        for (c = 0; c < n_classes; c++) in[best * n_classes + c] += counts[(size_t)g * n_classes + c];
    }
done:
    EEGNN_FREE(order);
    EEGNN_FREE(total);
    return st;
}

EEGNN_API eegnn_status eegnn_split_groups_stratified(int n_groups, int n_classes, const int *counts,
                                                     double valid_frac, double test_frac, uint64_t seed,
                                                     int *assign) {
    const char *fn = "eegnn_split_groups_stratified";
    int size[3]; /* groups of train, valid, test: assign's values are these indices */
    eegnn_status st;
    if (!assign || !counts || n_classes < 1) return eegnn_set_error(EEGNN_ERR_ARG, "%s: bad arguments", fn);
    if ((st = eegnn__split_counts(fn, n_groups, valid_frac, test_frac, &size[1], &size[2]))) return st;
    size[0] = n_groups - size[1] - size[2];
    if ((st = eegnn__stratified_assign(n_groups, n_classes, counts, 3, size, seed, assign)))
        return eegnn_set_error(st, "%s: %s", fn, eegnn_last_error());
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_kfold_groups(int n_groups, int n_classes, const int *counts, int n_folds, int fold,
                                          uint64_t seed, int *assign) {
    int i, *perm, *size;
    eegnn_status st = EEGNN_OK;
    if (!assign) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_kfold_groups: assign is NULL");
    if (n_folds < 2 || fold < 0 || fold >= n_folds)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_kfold_groups: fold %d of %d folds is not in 0..%d", fold,
                               n_folds, n_folds - 1);
    if (n_groups < n_folds)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "%d groups cannot fill %d folds; use a finer split unit (session or run) or fewer folds",
                               n_groups, n_folds);
    perm = (int *)eegnn__calloc((size_t)n_groups + (size_t)n_folds, sizeof(int));
    if (!perm) return EEGNN_ERR_MEMORY;
    size = perm + n_groups;
    if (counts && n_classes > 0) {
        for (i = 0; i < n_folds; i++) size[i] = n_groups / n_folds + (i < n_groups % n_folds);
        st = eegnn__stratified_assign(n_groups, n_classes, counts, n_folds, size, seed, perm);
        for (i = 0; !st && i < n_groups; i++) assign[i] = perm[i] == fold ? 1 : 0;
    } else {
        eegnn_rng rng;
        for (i = 0; i < n_groups; i++) perm[i] = i;
        eegnn_rng_seed(&rng, seed);
        eegnn_rng_shuffle(&rng, perm, n_groups);
        for (i = 0; i < n_groups; i++) assign[perm[i]] = (i % n_folds) == fold ? 1 : 0;
    }
    EEGNN_FREE(perm);
    return st;
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
