/* Read benchmark: reads a BDF recording and cuts it into non-overlapping
 * float32 windows of WINDOW samples, as bench_read.py does with MNE, in two
 * ways:
 *   whole   eegnn_read_raw, then a copy of every window into one contiguous
 *           (n_windows, n_channels, WINDOW) float32 array;
 *   stream  eegnn_edf_open, then eegnn_edf_read_samples straight into each
 *           window of the same array (what the streaming trainer does).
 *
 *   bench_read FILE.bdf WINDOW REPEATS [OUT.npy]
 *
 * Prints one "whole_ms <ms>" and one "stream_ms <ms>" line per repeat (the
 * two alternate), then checks that both give the same array and, with
 * OUT.npy, writes it for bench_read.py to compare with MNE's.
 * Build: cc -O3 -march=native bench/bench_read.c -o bench_read -lm -lpthread */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include <stdio.h>

/* eegnn_read_raw + windowing; returns the (n_windows, n_channels, window)
 * array or NULL. */
static float *read_whole(const char *path, int64_t window, int64_t *n_windows, int *n_channels) {
    eegnn_raw *raw = eegnn_read_raw(path, NULL);
    float *x;
    int64_t w, nw;
    int c;
    if (!raw) return NULL;
    nw = raw->n_times / window;
    x = (float *)malloc((size_t)(nw * raw->n_channels * window) * sizeof(float) + 1);
    if (x) {
        for (w = 0; w < nw; w++)
            for (c = 0; c < raw->n_channels; c++)
                memcpy(x + ((size_t)w * (size_t)raw->n_channels + (size_t)c) * (size_t)window,
                       raw->data + (size_t)c * (size_t)raw->n_times + (size_t)(w * window),
                       (size_t)window * sizeof(float));
    }
    *n_windows = nw;
    *n_channels = raw->n_channels;
    eegnn_raw_free(raw);
    return x;
}

/* eegnn_edf_open + one eegnn_edf_read_samples per window. */
static float *read_stream(const char *path, int64_t window, int64_t *n_windows, int *n_channels) {
    eegnn_edf_file *f = eegnn_edf_open(path, NULL);
    float *x;
    int64_t w, nw;
    int nc;
    if (!f) return NULL;
    nc = eegnn_edf_n_channels(f);
    nw = eegnn_edf_n_times(f) / window;
    x = (float *)malloc((size_t)(nw * nc * window) * sizeof(float) + 1);
    for (w = 0; x && w < nw; w++) {
        if (eegnn_edf_read_samples(f, w * window, window, x + (size_t)(w * nc * window))) {
            free(x);
            x = NULL;
        }
    }
    eegnn_edf_close(f);
    *n_windows = nw;
    *n_channels = nc;
    return x;
}

int main(int argc, char **argv) {
    const char *path, *out;
    int64_t window, nw1 = 0, nw2 = 0, shape[3];
    int repeats, k, nc1 = 0, nc2 = 0;
    float *a = NULL, *b = NULL;
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: bench_read FILE.bdf WINDOW REPEATS [OUT.npy]\n");
        return 2;
    }
    path = argv[1];
    window = atoi(argv[2]);
    repeats = atoi(argv[3]);
    out = argc > 4 ? argv[4] : NULL;
    if (window < 1 || repeats < 1) {
        fprintf(stderr, "bench_read: WINDOW and REPEATS must be positive\n");
        return 2;
    }
    for (k = 0; k < repeats; k++) {
        double t0;
        free(a);
        free(b);
        t0 = eegnn_time_seconds();
        a = read_whole(path, window, &nw1, &nc1);
        if (!a) break;
        printf("whole_ms %.3f\n", 1e3 * (eegnn_time_seconds() - t0));
        t0 = eegnn_time_seconds();
        b = read_stream(path, window, &nw2, &nc2);
        if (!b) break;
        printf("stream_ms %.3f\n", 1e3 * (eegnn_time_seconds() - t0));
    }
    if (!a || !b) {
        fprintf(stderr, "bench_read: %s\n", eegnn_last_error());
        free(a);
        free(b);
        return 1;
    }
    if (nw1 != nw2 || nc1 != nc2 || memcmp(a, b, (size_t)(nw1 * nc1 * window) * sizeof(float)) != 0) {
        fprintf(stderr, "bench_read: eegnn_read_raw and eegnn_edf_read_samples differ\n");
        free(a);
        free(b);
        return 1;
    }
    printf("windows %lld x %d x %lld (whole and stream identical)\n", (long long)nw1, nc1, (long long)window);
    shape[0] = nw1;
    shape[1] = nc1;
    shape[2] = window;
    if (out && eegnn_npy_write(out, a, 3, shape)) {
        fprintf(stderr, "bench_read: %s\n", eegnn_last_error());
        free(a);
        free(b);
        return 1;
    }
    free(a);
    free(b);
    return 0;
}
