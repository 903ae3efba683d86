/* The window cache of streamed datasets (see windows.h): windows read once
 * from the recordings, kept in a file (float32 or float16) and read back. */

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
    return (double)st.st_size * 4.0 / (eegnn__has_extension(path, ".bdf") ? 3.0 : 2.0);
}
