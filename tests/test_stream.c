/* Streaming datasets: EDF/BDF window reads equal the full reader bit for bit
 * (real EDF files and a 129-channel BDF dataset), streamed datasets equal
 * in-memory ones, training gives identical losses streamed or in memory,
 * with or without the prefetch thread, the window cache (float32 exact,
 * float16 within its precision, IEEE binary16 rounding), truncated files give
 * clear errors, and a streamed training run stays under its memory limit.
 * Streamed datasets with whole-recording preprocessing (reference, filters,
 * notch, resampling, rejection, EMS; crops) equal the in-memory ones in
 * windows, targets, drop log and samples; their cache is reused without
 * reading the recordings and rebuilt when a parameter or a file changes.
 * More streamed recordings than RLIMIT_NOFILE allows open files stream too. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Compares window [start, start + n) read on demand with the full read. */
static int window_equal(const eegnn_edf_file *f, const eegnn_raw *raw, int64_t start, int64_t n, float *buf) {
    int c;
    if (eegnn_edf_read_samples(f, start, n, buf)) return 0;
    for (c = 0; c < raw->n_channels; c++)
        if (memcmp(buf + (size_t)c * (size_t)n, raw->data + (size_t)c * (size_t)raw->n_times + start,
                   (size_t)n * sizeof(float)))
            return 0;
    return 1;
}

/* Every kind of window of one file: sweeps across record boundaries, single
 * samples, the last record, the whole recording. Returns windows checked. */
static int check_file(const char *path) {
    eegnn_raw *raw = eegnn_read_edf(path, NULL), *hdr = NULL;
    eegnn_edf_file *f = eegnn_edf_open(path, &hdr);
    float *buf;
    int64_t s, n_times;
    int n = 0, bad = 0;
    CHECK(raw && f && hdr, "%s opens: %s", path, eegnn_last_error());
    if (!raw || !f || !hdr) {
        eegnn_raw_free(raw);
        eegnn_raw_free(hdr);
        eegnn_edf_close(f);
        return 0;
    }
    n_times = raw->n_times;
    CHECK(eegnn_edf_n_times(f) == n_times && eegnn_edf_n_channels(f) == raw->n_channels && !hdr->data &&
              hdr->n_times == n_times && hdr->n_annotations == raw->n_annotations,
          "%s: header matches the full read", path);
    buf = (float *)malloc((size_t)raw->n_channels * (size_t)n_times * sizeof(float));
    for (s = 0; s + 337 <= n_times && s < 1200; s += 13, n++) bad += !window_equal(f, raw, s, 337, buf);
    for (s = 0; s < 400 && s < n_times; s += 1, n++) bad += !window_equal(f, raw, s, 1, buf);
    bad += !window_equal(f, raw, n_times - 1, 1, buf);
    bad += !window_equal(f, raw, n_times - 7, 7, buf);
    if (n_times > 500) bad += !window_equal(f, raw, n_times - 500, 500, buf);
    bad += !window_equal(f, raw, 0, n_times, buf);
    n += 4;
    CHECK(bad == 0, "%s: %d of %d windows differ from the full read", path, bad, n);
    CHECK(eegnn_edf_read_samples(f, n_times - 3, 4, buf) == EEGNN_ERR_ARG, "%s: range past the end refused", path);
    CHECK(eegnn_edf_read_samples(f, -1, 4, buf) == EEGNN_ERR_ARG, "%s: negative start refused", path);
    free(buf);
    eegnn_raw_free(raw);
    eegnn_raw_free(hdr);
    eegnn_edf_close(f);
    return n;
}

static int check_dataset_files(const char *root) {
    eegnn_bids_dataset *b = eegnn_bids_open(root);
    int i, n = 0;
    CHECK(b != NULL, "%s opens: %s", root, eegnn_last_error());
    if (!b) return 0;
    for (i = 0; i < b->n_recordings; i++) n += check_file(b->recordings[i].path);
    eegnn_bids_close(b);
    return n;
}

/* Streamed (and cached) dataset windows equal the in-memory ones. */
static void check_datasets(const char *root, const char *target, const char *cache_dir, const char *dtype,
                           int expect_cached) {
    eegnn_bids_dataset *b = eegnn_bids_open(root);
    eegnn_dataset_config c0, c1;
    eegnn_dataset *mem, *str;
    float *xa, *xb, ya, yb;
    int i, k, bad = 0, n;
    size_t per;
    double worst = 0.0;
    memset(&c0, 0, sizeof c0);
    c0.target = target;
    c1 = c0;
    c1.stream = 1;
    c1.cache_dir = cache_dir;
    c1.cache_dtype = dtype;
    mem = b ? eegnn_dataset_from_bids(b, &c0) : NULL;
    str = b ? eegnn_dataset_from_bids(b, &c1) : NULL;
    CHECK(mem && str, "%s: datasets build: %s", root, eegnn_last_error());
    if (!mem || !str) goto out;
    CHECK(eegnn_dataset_n_streamed(mem) == 0 && eegnn_dataset_n_streamed(str) == eegnn_dataset_n_recordings(str),
          "%s: in memory vs streamed (%d of %d)", root, eegnn_dataset_n_streamed(str),
          eegnn_dataset_n_recordings(str));
    n = eegnn_dataset_n_windows(mem);
    CHECK(n == eegnn_dataset_n_windows(str), "same windows");
    per = (size_t)eegnn_dataset_n_channels(mem) * (size_t)eegnn_dataset_n_times(mem);
    xa = (float *)malloc(per * sizeof(float));
    xb = (float *)malloc(per * sizeof(float));
    if (cache_dir) {
        struct stat st;
        int exists = stat(eegnn_dataset_cache_path(str), &st) == 0;
        CHECK(exists == expect_cached, "%s: cache file %s %s", root, eegnn_dataset_cache_path(str),
              expect_cached ? "reused" : "not there yet");
    }
    for (i = n - 1; i >= 0; i--) { /* reverse order: the cache fills out of order */
        CHECK(!eegnn_dataset_get(mem, i, xa, &ya) && !eegnn_dataset_get(str, i, xb, &yb), "get %d", i);
        if (ya != yb) bad++;
        if (!dtype || strcmp(dtype, "float16")) {
            if (memcmp(xa, xb, per * sizeof(float))) bad++;
        } else {
            for (k = 0; k < (int)per; k++) {
                double e = fabs((double)xa[k] - xb[k]), lim = 1e-3 * fabs((double)xa[k]) + 6e-8;
                if (e > lim) bad++;
                if (fabs(xa[k]) > 1e-3 && e / fabs(xa[k]) > worst) worst = e / fabs(xa[k]);
            }
        }
    }
    CHECK(bad == 0, "%s: %d windows differ streamed%s%s", root, bad, cache_dir ? " with cache " : "",
          dtype ? dtype : "");
    if (cache_dir) {
        struct stat st;
        CHECK(!eegnn_dataset_cache_complete(str) && stat(eegnn_dataset_cache_path(str), &st) == 0,
              "cache complete at %s", eegnn_dataset_cache_path(str));
    }
    if (dtype && !strcmp(dtype, "float16"))
        printf("test_stream: float16 cache: %d windows, worst relative error %.3g\n", n, worst);
    else
        printf("test_stream: %s: %d windows of %d x %d bit-identical streamed%s%s\n", root, n,
               eegnn_dataset_n_channels(mem), eegnn_dataset_n_times(mem), cache_dir ? " from cache " : "",
               cache_dir ? (dtype ? dtype : "float32") : "");
    free(xa);
    free(xb);
out:
    eegnn_dataset_free(mem);
    eegnn_dataset_free(str);
    eegnn_bids_close(b);
}

/* IEEE 754 binary16 round-to-nearest-even at the interesting points. */
static void check_half(void) {
    CHECK(eegnn_float_to_half(1.0f) == 0x3c00, "1.0");
    CHECK(eegnn_float_to_half(-2.0f) == 0xc000, "-2.0");
    CHECK(eegnn_float_to_half(65504.0f) == 0x7bff, "max half");
    CHECK(eegnn_float_to_half(65519.0f) == 0x7bff, "65519 rounds down");
    CHECK(eegnn_float_to_half(65520.0f) == 0x7c00, "65520 rounds to inf");
    CHECK(eegnn_float_to_half(ldexpf(1.0f, -24)) == 0x0001, "smallest subnormal");
    CHECK(eegnn_float_to_half(ldexpf(1.0f, -25)) == 0x0000, "half the smallest subnormal ties to even (0)");
    CHECK(eegnn_float_to_half(ldexpf(3.0f, -25)) == 0x0002, "1.5 subnormal steps tie to even (2)");
    CHECK(eegnn_float_to_half(ldexpf(1.0f, -14)) == 0x0400, "smallest normal");
    CHECK(eegnn_float_to_half(1.0f + ldexpf(1.0f, -11)) == 0x3c00, "1 + half ulp ties to even (down)");
    CHECK(eegnn_float_to_half(1.0f + ldexpf(3.0f, -11)) == 0x3c02, "1 + 1.5 ulp ties to even (up)");
    CHECK(eegnn_float_to_half(1.0f + ldexpf(1.0f, -11) + ldexpf(1.0f, -20)) == 0x3c01, "above the tie rounds up");
    CHECK(eegnn_float_to_half(INFINITY) == 0x7c00 && eegnn_float_to_half(-INFINITY) == 0xfc00, "inf");
    CHECK((eegnn_float_to_half(NAN) & 0x7c00) == 0x7c00 && (eegnn_float_to_half(NAN) & 0x3ff), "nan");
    {
        unsigned h, bad = 0;
        for (h = 0; h < 0x10000; h++) { /* every finite half converts back to itself */
            float f = eegnn_half_to_float((uint16_t)h);
            if ((h & 0x7c00) == 0x7c00) continue;
            if (eegnn_float_to_half(f) != h) bad++;
        }
        CHECK(bad == 0, "%u halves do not round-trip", bad);
        CHECK(eegnn_half_to_float(0x0001) == ldexpf(1.0f, -24) && eegnn_half_to_float(0x3555) == 0.333251953125f,
              "half to float");
    }
}

static int copy_file(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[65536];
    size_t n;
    int ok = a && b;
    while (ok && (n = fread(buf, 1, sizeof buf, a)) > 0) ok = fwrite(buf, 1, n, b) == n;
    if (a) fclose(a);
    if (b && fclose(b)) ok = 0;
    return ok;
}

/* A file truncated after the dataset was built: clear errors, no crash. */
static void check_truncated(const char *synth_root) {
    char dir[1024], cmd[3200];
    eegnn_bids_dataset *b;
    eegnn_dataset_config c;
    eegnn_dataset *ds = NULL;
    float *x;
    int i, n_err = 0, n_ok = 0, n;
    snprintf(dir, sizeof dir, "%s", test_out_path("stream/trunc"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", dir, synth_root, dir);
    CHECK(system(cmd) == 0, "copy %s", synth_root);
    b = eegnn_bids_open(dir);
    memset(&c, 0, sizeof c);
    c.target = "participants:age";
    c.stream = 1;
    ds = b ? eegnn_dataset_from_bids(b, &c) : NULL;
    CHECK(ds != NULL, "streamed dataset: %s", eegnn_last_error());
    if (!ds) {
        eegnn_bids_close(b);
        return;
    }
    CHECK(truncate(b->recordings[0].path, 256 * 130 + 5000) == 0, "truncate %s", b->recordings[0].path);
    n = eegnn_dataset_n_windows(ds);
    x = (float *)malloc((size_t)eegnn_dataset_n_channels(ds) * (size_t)eegnn_dataset_n_times(ds) * sizeof(float));
    for (i = 0; i < n; i++) {
        eegnn_status st = eegnn_dataset_get(ds, i, x, NULL);
        if (eegnn_dataset_recording(ds, i) == 0) {
            if (st == EEGNN_ERR_FORMAT && strstr(eegnn_last_error(), "truncated") &&
                strstr(eegnn_last_error(), b->recordings[0].path))
                n_err++;
        } else if (!st) {
            n_ok++;
        }
    }
    CHECK(n_err > 0 && n_ok > 0, "truncated recording: %d clear errors, %d good windows elsewhere", n_err, n_ok);
    printf("test_stream: truncated file while streaming: %s\n", eegnn_last_error());
    free(x);
    eegnn_dataset_free(ds);
    eegnn_bids_close(b);
    {
        /* a trainer on the damaged copy stops with the reader's error */
        eegnn_train_config tc;
        eegnn_train_result res;
        eegnn_status st;
        FILE *devnull = fopen("/dev/null", "w");
        tc = eegnn_train_config_default();
        tc.bids_root = dir;
        tc.target = "participants:age";
        tc.model = "shallow";
        tc.epochs = 1;
        tc.batch_size = 8;
        tc.n_threads = 1;
        tc.stream = 1;
        tc.quiet = 1;
        tc.log = devnull;
        tc.out_dir = test_out_path("stream/trunc-out");
        st = eegnn_train(&tc, &res);
        CHECK(st != EEGNN_OK && strstr(eegnn_last_error(), "sub-"), "trainer stops: %s", eegnn_last_error());
        if (devnull) fclose(devnull);
    }
    (void)copy_file;
}

/* ---- streamed datasets with whole-recording preprocessing ---- */

/* Filters, average reference, notch, resampling, rejection and EMS. */
static void prep_config(eegnn_dataset_config *c, const char *target) {
    memset(c, 0, sizeof *c);
    c->target = target;
    c->reference = "average";
    c->l_freq = 1;
    c->h_freq = 30;
    c->notch_freq = 20; /* and 40 Hz (synthetic data at 100 Hz) */
    c->sfreq = 80;
    c->reject = 300;
    c->flat = 1;
    c->standardize = "ems";
    c->ems_init_block_size = 400;
}

/* Files in dir whose name contains `part`. */
static int count_files(const char *dir, const char *part) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL) n += strstr(e->d_name, part) != NULL;
    if (d) closedir(d);
    return n;
}

/* Everything but the samples: windows, targets, groups, classes, drop log,
 * preprocessing log. Returns the number of differences. */
static int compare_meta(const eegnn_dataset *a, const eegnn_dataset *b) {
    int bad = 0, i, na, nb;
    const eegnn_dataset_dropped *da = eegnn_dataset_dropped_windows(a, &na), *db = eegnn_dataset_dropped_windows(b, &nb);
    bad += eegnn_dataset_n_windows(a) != eegnn_dataset_n_windows(b);
    bad += eegnn_dataset_n_channels(a) != eegnn_dataset_n_channels(b);
    bad += eegnn_dataset_n_times(a) != eegnn_dataset_n_times(b);
    bad += eegnn_dataset_sfreq(a) != eegnn_dataset_sfreq(b);
    bad += eegnn_dataset_crop_max_offset(a) != eegnn_dataset_crop_max_offset(b);
    bad += eegnn_dataset_n_recordings(a) != eegnn_dataset_n_recordings(b);
    bad += eegnn_dataset_n_groups(a) != eegnn_dataset_n_groups(b);
    bad += eegnn_dataset_n_classes(a) != eegnn_dataset_n_classes(b);
    bad += eegnn_dataset_n_candidate_windows(a) != eegnn_dataset_n_candidate_windows(b);
    bad += eegnn_dataset_n_resampled(a) != eegnn_dataset_n_resampled(b);
    bad += eegnn_dataset_n_skipped_events(a) != eegnn_dataset_n_skipped_events(b);
    bad += strcmp(eegnn_dataset_log(a), eegnn_dataset_log(b)) != 0;
    bad += na != nb;
    if (bad) return bad;
    for (i = 0; i < eegnn_dataset_n_channels(a); i++)
        bad += strcmp(eegnn_dataset_ch_names(a)[i], eegnn_dataset_ch_names(b)[i]) != 0;
    for (i = 0; i < eegnn_dataset_n_classes(a); i++)
        bad += strcmp(eegnn_dataset_class_name(a, i), eegnn_dataset_class_name(b, i)) != 0;
    for (i = 0; i < eegnn_dataset_n_groups(a); i++)
        bad += strcmp(eegnn_dataset_group_name(a, i), eegnn_dataset_group_name(b, i)) != 0;
    for (i = 0; i < eegnn_dataset_n_recordings(a); i++)
        bad += strcmp(eegnn_dataset_recording_name(a, i), eegnn_dataset_recording_name(b, i)) != 0;
    for (i = 0; i < eegnn_dataset_n_windows(a); i++)
        bad += eegnn_dataset_target(a, i) != eegnn_dataset_target(b, i) ||
               eegnn_dataset_start(a, i) != eegnn_dataset_start(b, i) ||
               eegnn_dataset_recording(a, i) != eegnn_dataset_recording(b, i) ||
               eegnn_dataset_group(a, i) != eegnn_dataset_group(b, i) ||
               strcmp(eegnn_dataset_subject(a, i), eegnn_dataset_subject(b, i)) != 0;
    for (i = 0; i < na; i++)
        bad += strcmp(da[i].recording, db[i].recording) || da[i].start != db[i].start ||
               da[i].target != db[i].target || da[i].reasons != db[i].reasons || strcmp(da[i].channels, db[i].channels);
    return bad;
}

/* Samples of every window (every crop offset step `crop_step` when cropping):
 * bit-identical for float32, within binary16 rounding for float16 (relative
 * 2^-11 plus the subnormal step). Returns differing windows; *worst gets the
 * worst relative error. */
static int compare_samples(const eegnn_dataset *a, const eegnn_dataset *b, int f16, int crop_step, double *worst) {
    size_t per = (size_t)eegnn_dataset_n_channels(a) * (size_t)eegnn_dataset_n_times(a), k;
    float *xa = (float *)malloc(per * sizeof(float)), *xb = (float *)malloc(per * sizeof(float));
    int i, off, bad = 0, max = eegnn_dataset_crop_max_offset(a);
    *worst = 0.0;
    for (i = eegnn_dataset_n_windows(a) - 1; i >= 0; i--)
        for (off = 0; off <= max; off += crop_step > 0 ? crop_step : max + 1) {
            int diff = 0;
            if (eegnn_dataset_get_crop(a, i, off, xa, NULL) || eegnn_dataset_get_crop(b, i, off, xb, NULL)) {
                bad++;
                continue;
            }
            if (!f16) {
                diff = memcmp(xa, xb, per * sizeof(float)) != 0;
            } else {
                for (k = 0; k < per; k++) {
                    double e = fabs((double)xa[k] - xb[k]), lim = ldexp(fabs((double)xa[k]), -11) + ldexp(1.0, -24);
                    if (!(e <= lim)) diff = 1;
                    if (fabs(xa[k]) > 1e-3 && e / fabs(xa[k]) > *worst) *worst = e / fabs(xa[k]);
                }
            }
            bad += diff;
        }
    free(xa);
    free(xb);
    return bad;
}

/* Builds cfg in memory and streamed into cache_dir; checks they agree and
 * that the cache is complete on disk with no temporary file left. Returns
 * the streamed dataset (NULL on failure); *mem_out gets the in-memory one. */
static eegnn_dataset *check_prep(const char *root, const eegnn_dataset_config *cfg, const char *cache_dir,
                                 const char *dtype, const char *what, eegnn_dataset **mem_out) {
    eegnn_bids_dataset *b = eegnn_bids_open(root);
    eegnn_dataset_config cs = *cfg;
    eegnn_dataset *mem, *str;
    int f16 = dtype && !strcmp(dtype, "float16"), n_drop = 0, bad_meta, bad;
    double worst = 0.0;
    struct stat st;
    cs.stream = 1;
    cs.cache_dir = cache_dir;
    cs.cache_dtype = dtype;
    mem = b ? eegnn_dataset_from_bids(b, cfg) : NULL;
    CHECK(mem != NULL, "%s: in memory: %s", what, eegnn_last_error());
    str = b ? eegnn_dataset_from_bids(b, &cs) : NULL;
    CHECK(str != NULL, "%s: streamed: %s", what, eegnn_last_error());
    eegnn_bids_close(b);
    if (mem_out) *mem_out = mem;
    if (!mem || !str) {
        if (!mem_out) eegnn_dataset_free(mem);
        return str;
    }
    CHECK(eegnn_dataset_n_streamed(mem) == 0 && eegnn_dataset_n_streamed(str) == eegnn_dataset_n_recordings(str),
          "%s: %d of %d recordings streamed", what, eegnn_dataset_n_streamed(str), eegnn_dataset_n_recordings(str));
    CHECK(eegnn_dataset_cache_path(str) && stat(eegnn_dataset_cache_path(str), &st) == 0 &&
              count_files(cache_dir, ".tmp") == 0,
          "%s: cache complete on disk after the build, no temporary file", what);
    bad_meta = compare_meta(mem, str);
    CHECK(bad_meta == 0, "%s: %d differences in windows, targets, drop log or log", what, bad_meta);
    bad = bad_meta ? -1 : compare_samples(mem, str, f16, 7, &worst);
    CHECK(bad == 0, "%s: %d windows differ", what, bad);
    eegnn_dataset_dropped_windows(str, &n_drop);
    printf("test_stream: %s: %d windows of %d x %d (%d of %d dropped), %s from the %s cache%s\n", what,
           eegnn_dataset_n_windows(str), eegnn_dataset_n_channels(str), eegnn_dataset_n_times(str), n_drop,
           eegnn_dataset_n_candidate_windows(str), f16 ? "within binary16 rounding" : "bit-identical to in memory",
           dtype ? dtype : "float32", f16 ? "" : "");
    if (f16) printf("test_stream: %s: float16 worst relative error %.3g\n", what, worst);
    if (!mem_out) eegnn_dataset_free(mem);
    return str;
}

static int copy_tree(const char *from, const char *to) {
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", to, from, to);
    return system(cmd) == 0;
}

static void check_prep_streaming(const char *synth) {
    eegnn_dataset_config c;
    eegnn_dataset *str, *again, *mem = NULL, *other;
    const char *cache = test_out_path("stream/prep-cache");
    char copy[1024], path0[1200], first_cache[1200];
    struct stat st;
    int n_drop = 0;
    double worst;
    /* real EDF recordings, event-locked windows, rejection on */
    prep_config(&c, "events:left_fist,right_fist");
    c.notch_freq = 50;
    c.h_freq = 40;
    c.sfreq = 100;
    c.ems_init_block_size = 1000;
    str = check_prep(test_data_path("bids/eegmmidb-s001"), &c, cache, NULL, "eegmmidb, ref+filter+notch+resample+reject+EMS", NULL);
    eegnn_dataset_dropped_windows(str, &n_drop);
    CHECK(str && n_drop > 0 && n_drop < eegnn_dataset_n_candidate_windows(str), "rejection dropped %d windows", n_drop);
    eegnn_dataset_free(str);
    str = check_prep(test_data_path("bids/eegmmidb-s001"), &c, cache, "float16", "eegmmidb, float16 cache", NULL);
    eegnn_dataset_free(str);

    /* synthetic BDF, participants target, crops: every crop offset matches */
    prep_config(&c, "participants:age");
    c.window_seconds = 4;
    c.stride_seconds = 3;
    c.crop_seconds = 2;
    c.reject = 0;
    c.flat = 0;
    snprintf(copy, sizeof copy, "%s", test_out_path("stream/prep-synth"));
    CHECK(copy_tree(synth, copy), "copy %s", synth);
    str = check_prep(copy, &c, cache, NULL, "synthetic BDF, crops", &mem);
    if (!str || !mem) {
        eegnn_dataset_free(str);
        eegnn_dataset_free(mem);
        return;
    }
    CHECK(eegnn_dataset_crop_max_offset(str) == 160, "crop offsets 0..%d", eegnn_dataset_crop_max_offset(str));
    snprintf(first_cache, sizeof first_cache, "%s", eegnn_dataset_cache_path(str));

    /* a second build reuses the complete cache without reading a recording:
     * the samples of a recording are overwritten in place (same size, inode
     * and modification time, so the same key), yet the windows still equal
     * the original ones, while an in-memory build of the damaged file differs */
    {
        eegnn_bids_dataset *b = eegnn_bids_open(copy);
        eegnn_dataset_config cs = c;
        FILE *fp;
        char zeros[65536];
        struct timespec ts[2];
        int bad;
        cs.stream = 1;
        cs.cache_dir = cache;
        snprintf(path0, sizeof path0, "%s", b ? b->recordings[0].path : "");
        CHECK(stat(path0, &st) == 0, "stat %s", path0);
        ts[0] = st.st_atim;
        ts[1] = st.st_mtim;
        memset(zeros, 0x5a, sizeof zeros);
        fp = fopen(path0, "r+b");
        CHECK(fp && fseek(fp, 200000, SEEK_SET) == 0 && fwrite(zeros, 1, sizeof zeros, fp) == sizeof zeros,
              "overwrite %s", path0);
        if (fp) fclose(fp);
        CHECK(utimensat(AT_FDCWD, path0, ts, 0) == 0, "restore the modification time of %s", path0);
        again = b ? eegnn_dataset_from_bids(b, &cs) : NULL;
        CHECK(again && !strcmp(eegnn_dataset_cache_path(again), first_cache), "cache reused: %s",
              again ? eegnn_dataset_cache_path(again) : eegnn_last_error());
        bad = again ? compare_meta(mem, again) + compare_samples(mem, again, 0, 40, &worst) : -1;
        CHECK(bad == 0, "reused cache: %d differences", bad);
        eegnn_dataset_free(again);
        other = b ? eegnn_dataset_from_bids(b, &c) : NULL;
        bad = other ? compare_samples(mem, other, 0, 0, &worst) : -1;
        CHECK(bad > 0, "the damaged file changes the in-memory windows (%d)", bad);
        printf("test_stream: preprocessed cache reused without reading the recordings (%d windows differ when "
               "read from the overwritten file)\n", bad);
        eegnn_dataset_free(other);
        /* a new modification time is a new key: rebuilt from the (damaged) file */
        CHECK(utimensat(AT_FDCWD, path0, NULL, 0) == 0 && stat(path0, &st) == 0, "touch %s", path0);
        ts[1].tv_sec -= 10;
        utimensat(AT_FDCWD, path0, ts, 0);
        again = eegnn_dataset_from_bids(b, &cs);
        CHECK(again && strcmp(eegnn_dataset_cache_path(again), first_cache) != 0, "changed file: new cache");
        eegnn_dataset_free(again);
        eegnn_bids_close(b);
        CHECK(copy_tree(synth, copy), "restore %s", copy);
    }

    /* changing a preprocessing parameter builds a new cache with other values */
    {
        eegnn_dataset *mem2 = NULL;
        int n_before = count_files(cache, "eegnn-prep-"), bad;
        c.h_freq = 25;
        other = check_prep(copy, &c, cache, NULL, "synthetic BDF, h_freq 25", &mem2);
        CHECK(other && strcmp(eegnn_dataset_cache_path(other), first_cache) != 0 &&
                  count_files(cache, "eegnn-prep-") == n_before + 1,
              "h_freq 30 -> 25: a new cache file (%d before)", n_before);
        bad = other ? compare_samples(str, other, 0, 0, &worst) : 0;
        CHECK(bad == eegnn_dataset_n_windows(str), "h_freq 25 changes every window (%d of %d)", bad,
              eegnn_dataset_n_windows(str));
        eegnn_dataset_free(other);
        eegnn_dataset_free(mem2);
        c.h_freq = 30;
    }
    eegnn_dataset_free(str);
    eegnn_dataset_free(mem);

    /* a truncated recording: the build stops naming the file, no cache left behind */
    {
        const char *bad_cache = test_out_path("stream/prep-cache-bad");
        eegnn_bids_dataset *b;
        eegnn_dataset_config cs = c;
        cs.stream = 1;
        cs.cache_dir = bad_cache;
        b = eegnn_bids_open(copy);
        snprintf(path0, sizeof path0, "%s", b ? b->recordings[2].path : "");
        CHECK(truncate(path0, 256 * 130 + 5000) == 0, "truncate %s", path0);
        str = b ? eegnn_dataset_from_bids(b, &cs) : NULL;
        CHECK(!str && strstr(eegnn_last_error(), path0) != NULL, "truncated recording: %s", eegnn_last_error());
        printf("test_stream: truncated recording while building the preprocessed cache: %s\n", eegnn_last_error());
        CHECK(count_files(bad_cache, "eegnn-prep-") == 0, "no cache file (complete or temporary) left in %s",
              bad_cache);
        eegnn_dataset_free(str);
        /* no cache directory: a clear error */
        cs.cache_dir = NULL;
        str = b ? eegnn_dataset_from_bids(b, &cs) : NULL;
        CHECK(!str && eegnn_last_error()[0] && strstr(eegnn_last_error(), "cache_dir") &&
                  strstr(eegnn_last_error(), "--cache"),
              "no cache_dir: %s", eegnn_last_error());
        eegnn_dataset_free(str);
        eegnn_bids_close(b);
        CHECK(copy_tree(synth, copy), "restore %s", copy);
    }
}

static eegnn_status train_once_prep(const char *root, int stream, int prefetch, const char *cache, const char *out,
                                    int prep, eegnn_train_result *res) {
    eegnn_train_config tc;
    tc = eegnn_train_config_default();
    if (prep) {
        tc.preprocess.reference = "average";
        tc.preprocess.l_freq = 1;
        tc.preprocess.h_freq = 30;
        tc.preprocess.sfreq = 80;
        tc.preprocess.standardize = "ems";
    }
    tc.bids_root = root;
    tc.target = "participants:age";
    tc.model = "shallow";
    tc.epochs = 2;
    tc.batch_size = 8;
    tc.n_threads = 1;
    tc.seed = 7;
    tc.quiet = 1;
    tc.stream = stream;
    tc.prefetch = prefetch;
    tc.cache_dir = cache;
    tc.out_dir = out;
    return eegnn_train(&tc, res);
}

static eegnn_status train_once(const char *root, int stream, int prefetch, const char *cache, const char *out,
                               eegnn_train_result *res) {
    return train_once_prep(root, stream, prefetch, cache, out, 0, res);
}

/* With whole-recording preprocessing: in memory, streamed through the
 * preprocessed cache (built, then reused), synchronous and prefetching. */
static void check_training_prep(const char *root) {
    eegnn_train_result r[4];
    const char *names[4] = {"in memory", "streamed, cache built", "streamed, cache reused, prefetch",
                            "streamed, float32 cache reused, synchronous"};
    const char *cache = test_out_path("stream/tprep-cache");
    int k;
    CHECK(!train_once_prep(root, 0, 0, NULL, test_out_path("stream/tp0"), 1, &r[0]), "train: %s", eegnn_last_error());
    CHECK(!train_once_prep(root, 1, 0, cache, test_out_path("stream/tp1"), 1, &r[1]), "train: %s", eegnn_last_error());
    CHECK(count_files(cache, "eegnn-prep-") == 1, "one preprocessed cache in %s", cache);
    CHECK(!train_once_prep(root, 1, 0, cache, test_out_path("stream/tp2"), 1, &r[2]), "train: %s", eegnn_last_error());
    CHECK(!train_once_prep(root, 1, -1, cache, test_out_path("stream/tp3"), 1, &r[3]), "train: %s", eegnn_last_error());
    CHECK(count_files(cache, "eegnn-prep-") == 1, "the cache was reused");
    for (k = 1; k < 4; k++)
        CHECK(r[k].train.loss == r[0].train.loss && r[k].valid.loss == r[0].valid.loss &&
                  r[k].test.loss == r[0].test.loss && r[k].best_epoch == r[0].best_epoch,
              "%s: losses %.9g %.9g %.9g differ from in-memory %.9g %.9g %.9g", names[k], r[k].train.loss,
              r[k].valid.loss, r[k].test.loss, r[0].train.loss, r[0].valid.loss, r[0].test.loss);
    printf("test_stream: training with filter+reference+resample+EMS: losses identical in memory and streamed "
           "(train %.6f valid %.6f test %.6f)\n", r[0].train.loss, r[0].valid.loss, r[0].test.loss);
}

static void check_training(const char *root) {
    eegnn_train_result r[5];
    const char *names[5] = {"in memory, synchronous", "in memory, prefetch", "streamed, synchronous",
                            "streamed, prefetch", "streamed, prefetch, float32 cache"};
    int k;
    CHECK(!train_once(root, 0, -1, NULL, test_out_path("stream/t0"), &r[0]), "train: %s", eegnn_last_error());
    CHECK(!train_once(root, 0, 0, NULL, test_out_path("stream/t1"), &r[1]), "train: %s", eegnn_last_error());
    CHECK(!train_once(root, 1, -1, NULL, test_out_path("stream/t2"), &r[2]), "train: %s", eegnn_last_error());
    CHECK(!train_once(root, 1, 0, NULL, test_out_path("stream/t3"), &r[3]), "train: %s", eegnn_last_error());
    CHECK(!train_once(root, 1, 0, test_out_path("stream/tcache"), test_out_path("stream/t4"), &r[4]), "train: %s",
          eegnn_last_error());
    for (k = 1; k < 5; k++)
        CHECK(r[k].train.loss == r[0].train.loss && r[k].valid.loss == r[0].valid.loss &&
                  r[k].test.loss == r[0].test.loss && r[k].best_epoch == r[0].best_epoch,
              "%s: losses %.9g %.9g %.9g differ from in-memory %.9g %.9g %.9g", names[k], r[k].train.loss,
              r[k].valid.loss, r[k].test.loss, r[0].train.loss, r[0].valid.loss, r[0].test.loss);
    printf("test_stream: training losses identical in 5 modes (train %.6f valid %.6f test %.6f)\n", r[0].train.loss,
           r[0].valid.loss, r[0].test.loss);
}

/* Trains in a child process on a dataset larger than max_memory; its peak
 * RSS (getrusage in the child, sent back through a pipe) must stay under the
 * limit. prep: with filters, average reference and EMS, streamed through the
 * preprocessed cache (one recording in memory at a time). */
static void check_rss(int prep) {
    const char *root = test_out_path(prep ? "stream/big-prep" : "stream/big");
    eegnn_synthetic_config sc;
    pid_t pid;
    int status = 0, fds[2] = {-1, -1};
    long maxrss_kb = -1;
    double limit = 64.0 * 1048576.0, data_bytes;
    sc = eegnn_synthetic_config_default();
    sc.n_subjects = prep ? 14 : 7;
    sc.n_channels = 129;
    sc.sfreq = 100;
    sc.duration = prep ? 150 : 600;
    sc.seed = 3;
    CHECK(!eegnn_write_synthetic_bids(root, &sc), "synth: %s", eegnn_last_error());
    data_bytes = sc.n_subjects * 129.0 * 100 * sc.duration * 4;
    CHECK(pipe(fds) == 0, "pipe");
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        eegnn_train_config tc;
        eegnn_train_result res;
        struct rusage self;
        long kb;
        int ok;
        close(fds[0]);
        tc = eegnn_train_config_default();
        tc.bids_root = root;
        tc.target = "participants:age";
        tc.model = "shallow";
        tc.epochs = 1;
        tc.batch_size = 32;
        tc.n_threads = 2;
        tc.stride_seconds = 8;
        tc.max_memory = (int64_t)limit;
        tc.quiet = 1;
        tc.out_dir = test_out_path(prep ? "stream/big-prep-out" : "stream/big-out");
        if (prep) {
            tc.cache_dir = test_out_path("stream/big-prep-cache");
            tc.preprocess.reference = "average";
            tc.preprocess.l_freq = 1;
            tc.preprocess.h_freq = 40;
            tc.preprocess.standardize = "ems";
        }
        ok = eegnn_train(&tc, &res) == EEGNN_OK;
        getrusage(RUSAGE_SELF, &self);
        kb = self.ru_maxrss;
        if (write(fds[1], &kb, sizeof kb) != (ssize_t)sizeof kb) ok = 0;
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    if (pid > 0 && read(fds[0], &maxrss_kb, sizeof maxrss_kb) != (ssize_t)sizeof maxrss_kb) maxrss_kb = -1;
    close(fds[0]);
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "streamed training child exits cleanly");
    CHECK(maxrss_kb > 0 && (double)maxrss_kb * 1024.0 < limit, "peak RSS %.1f MB over the %.0f MB limit",
          (double)maxrss_kb / 1024.0, limit / 1048576.0);
    printf("test_stream: training on %.0f MB of float32 data%s with --max-memory 64M: peak RSS %.1f MB\n",
           data_bytes / 1048576.0, prep ? " (band-pass, average reference, EMS; preprocessed cache)" : "",
           (double)maxrss_kb / 1024.0);
}

/* More streamed recordings than RLIMIT_NOFILE allows open descriptors: in
 * a child whose limit is lowered to 64, a 150-recording dataset streams
 * (most recordings reopen their file per read) with windows bit-identical
 * to the in-memory ones, and training with the prefetch thread gives the
 * in-memory losses. */
static void check_many_files(void) {
    const char *root = test_out_path("stream/many");
    eegnn_synthetic_config sc;
    pid_t pid;
    int status = 0;
    sc = eegnn_synthetic_config_default();
    sc.n_subjects = 150;
    sc.n_channels = 4;
    sc.sfreq = 100;
    sc.duration = 10;
    sc.seed = 5;
    CHECK(!eegnn_write_synthetic_bids(root, &sc), "synth: %s", eegnn_last_error());
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        struct rlimit rl;
        eegnn_bids_dataset *b;
        eegnn_dataset_config c0, c1;
        eegnn_dataset *mem, *str;
        eegnn_train_result r0, r1;
        float xa[4 * 200], xb[4 * 200], ya, yb;
        int i, bad = 0, n = 0, fails = 0;
        rl.rlim_cur = rl.rlim_max = 64;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(90);
        b = eegnn_bids_open(root);
        memset(&c0, 0, sizeof c0);
        c0.target = "participants:age";
        c1 = c0;
        c1.stream = 1;
        mem = b ? eegnn_dataset_from_bids(b, &c0) : NULL;
        str = b ? eegnn_dataset_from_bids(b, &c1) : NULL;
        if (!mem || !str) {
            printf("FAIL many files: %s\n", eegnn_last_error());
            fflush(stdout);
            _exit(91);
        }
        n = eegnn_dataset_n_windows(mem);
        if (eegnn_dataset_n_streamed(str) != 150 || eegnn_dataset_n_windows(str) != n) {
            printf("FAIL many files: %d streamed, %d vs %d windows\n", eegnn_dataset_n_streamed(str),
                   eegnn_dataset_n_windows(str), n);
            fflush(stdout);
            _exit(92);
        }
        for (i = 0; i < n; i++) {
            if (eegnn_dataset_get(mem, i, xa, &ya) || eegnn_dataset_get(str, i, xb, &yb)) {
                printf("FAIL many files: window %d: %s\n", i, eegnn_last_error());
                fails++;
                continue;
            }
            bad += ya != yb || memcmp(xa, xb, sizeof xa) != 0;
        }
        if (bad || fails) {
            printf("FAIL many files: %d windows differ, %d unreadable\n", bad, fails);
            fflush(stdout);
            _exit(93);
        }
        eegnn_dataset_free(mem);
        eegnn_dataset_free(str);
        eegnn_bids_close(b);
        if (train_once(root, 0, -1, NULL, test_out_path("stream/many-t0"), &r0) ||
            train_once(root, 1, 0, NULL, test_out_path("stream/many-t1"), &r1)) {
            printf("FAIL many files: training: %s\n", eegnn_last_error());
            fflush(stdout);
            _exit(94);
        }
        if (r0.train.loss != r1.train.loss || r0.valid.loss != r1.valid.loss || r0.test.loss != r1.test.loss) {
            printf("FAIL many files: losses %.9g %.9g vs %.9g %.9g\n", r0.train.loss, r0.valid.loss, r1.train.loss,
                   r1.valid.loss);
            fflush(stdout);
            _exit(95);
        }
        printf("test_stream: RLIMIT_NOFILE 64: 150 streamed recordings, %d windows bit-identical, training losses "
               "identical with the prefetch thread (train %.6f valid %.6f)\n", n, r0.train.loss, r0.valid.loss);
        fflush(stdout);
        _exit(0);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "streaming 150 recordings under RLIMIT_NOFILE 64: child status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void) {
    static char synth[1024];
    eegnn_synthetic_config sc;
    int n;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_out_path("stream"));
    if (system(cmd) != 0) return 1;
    snprintf(synth, sizeof synth, "%s", test_out_path("stream/synth"));
    if (!UNDER_ASAN) { /* first, while this process is small (the child inherits its pages) */
        check_rss(0);
        check_rss(1);
    }
    check_half();
    n = check_dataset_files(test_data_path("bids/eegmmidb-s001"));
    printf("test_stream: eegmmidb EDF: %d windows bit-identical to the full reader\n", n);
    sc = eegnn_synthetic_config_default();
    sc.n_subjects = 6;
    sc.n_channels = 129;
    sc.sfreq = 100;
    sc.duration = 30;
    sc.seed = 11;
    CHECK(!eegnn_write_synthetic_bids(synth, &sc), "synth: %s", eegnn_last_error());
    n = check_dataset_files(synth);
    printf("test_stream: 129-channel BDF: %d windows bit-identical to the full reader\n", n);
    check_datasets(test_data_path("bids/eegmmidb-s001"), "events:left_fist,right_fist", NULL, NULL, 0);
    check_datasets(synth, "participants:age", NULL, NULL, 0);
    check_datasets(synth, "participants:age", test_out_path("stream/cache"), "float32", 0);
    check_datasets(synth, "participants:age", test_out_path("stream/cache"), "float32", 1);
    check_datasets(synth, "participants:age", test_out_path("stream/cache"), "float16", 0);
    check_datasets(synth, "participants:age", test_out_path("stream/cache"), "float16", 1);
    check_training(synth);
    check_prep_streaming(synth);
    check_training_prep(synth);
    check_truncated(synth);
    check_many_files();
    return test_summary("test_stream");
}
