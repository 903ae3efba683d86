/* Streaming datasets: EDF/BDF window reads equal the full reader bit for bit
 * (real EDF files and a 129-channel BDF dataset), streamed datasets equal
 * in-memory ones, training gives identical losses streamed or in memory,
 * with or without the prefetch thread, the window cache (float32 exact,
 * float16 within its precision, IEEE binary16 rounding), truncated files give
 * clear errors, and a streamed training run stays under its memory limit. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

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
        memset(&tc, 0, sizeof tc);
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

static eegnn_status train_once(const char *root, int stream, int prefetch, const char *cache, const char *out,
                               eegnn_train_result *res) {
    eegnn_train_config tc;
    memset(&tc, 0, sizeof tc);
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
 * RSS (getrusage of the child) must stay under the limit. */
static void check_rss(void) {
    const char *root = test_out_path("stream/big");
    eegnn_synthetic_config sc;
    pid_t pid;
    int status = 0;
    struct rusage ru;
    double limit = 64.0 * 1048576.0, data_bytes;
    memset(&sc, 0, sizeof sc);
    sc.n_subjects = 7;
    sc.n_channels = 129;
    sc.sfreq = 100;
    sc.duration = 600;
    sc.seed = 3;
    CHECK(!eegnn_write_synthetic_bids(root, &sc), "synth: %s", eegnn_last_error());
    data_bytes = 7.0 * 129 * 100 * 600 * 4;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        eegnn_train_config tc;
        eegnn_train_result res;
        memset(&tc, 0, sizeof tc);
        tc.bids_root = root;
        tc.target = "participants:age";
        tc.model = "shallow";
        tc.epochs = 1;
        tc.batch_size = 32;
        tc.n_threads = 2;
        tc.stride_seconds = 8;
        tc.max_memory = (int64_t)limit;
        tc.quiet = 1;
        tc.out_dir = test_out_path("stream/big-out");
        _exit(eegnn_train(&tc, &res) == EEGNN_OK ? 0 : 1);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "streamed training child exits cleanly");
    getrusage(RUSAGE_CHILDREN, &ru);
    CHECK((double)ru.ru_maxrss * 1024.0 < limit, "peak RSS %.1f MB over the %.0f MB limit",
          (double)ru.ru_maxrss / 1024.0, limit / 1048576.0);
    printf("test_stream: training on %.0f MB of float32 data with --max-memory 64M: peak RSS %.1f MB\n",
           data_bytes / 1048576.0, (double)ru.ru_maxrss / 1024.0);
}

int main(void) {
    static char synth[1024];
    eegnn_synthetic_config sc;
    int n;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_out_path("stream"));
    if (system(cmd) != 0) return 1;
    snprintf(synth, sizeof synth, "%s", test_out_path("stream/synth"));
    if (!UNDER_ASAN) check_rss(); /* first, while this process is small (the child inherits its pages) */
    check_half();
    n = check_dataset_files(test_data_path("bids/eegmmidb-s001"));
    printf("test_stream: eegmmidb EDF: %d windows bit-identical to the full reader\n", n);
    memset(&sc, 0, sizeof sc);
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
    check_truncated(synth);
    return test_summary("test_stream");
}
