/* Windowed datasets (see windows.h): the dataset structure, windows and
 * groups, event classes, recordings kept in memory or streamed from disk.
 * The module's other files follow in this order: window_cache.c, prep.c,
 * prep_cache.c, check.c, windows.c, splits.c. */
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
    eegnn_bids_entities ent;
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
    const char *sub = eegnn_bids_entity(&s->ent, "sub");
    const char *ses = eegnn_bids_entity(&s->ent, "ses");
    if (unit == 0 || (unit == 1 && !ses)) snprintf(buf, cap, "sub-%s", sub);
    else if (unit == 1) snprintf(buf, cap, "sub-%s_ses-%s", sub, ses);
    else snprintf(buf, cap, "%s", s->name);
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
    if (eegnn__has_extension(path, ".edf") || eegnn__has_extension(path, ".bdf")) {
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
        else eegnn_edf_release_fd(f);
        out->handle = f;
        out->read = eegnn__ds_edf_read;
        out->close = eegnn__ds_edf_close;
        return 1;
    }
    return 0;
}
