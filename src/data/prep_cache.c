/* The preprocessed window cache of streamed datasets with recording-level
 * preprocessing (see windows.h).
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
