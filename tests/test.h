/* Minimal test harness shared by tests/test_*.c.
 * Each test program includes eegnn.h with EEGNN_IMPLEMENTATION, then this
 * file, and ends with `return test_summary("name");`, which prints
 * "name: N passed, N failed" and returns non-zero on any failure. */
#ifndef EEGNN_TEST_H
#define EEGNN_TEST_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define TEST_UNUSED __attribute__((unused))
#else
#define TEST_UNUSED
#endif

static int test_passed, test_failed;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) {                                                             \
            test_passed++;                                                      \
        } else {                                                                \
            test_failed++;                                                      \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                         \
            printf(__VA_ARGS__);                                                \
            printf("\n");                                                       \
        }                                                                       \
    } while (0)

/* Maximum relative error between two float arrays, relative to the largest
 * magnitude of the reference (so tiny entries do not dominate). */
static TEST_UNUSED double test_max_rel_err(const float *got, const float *want, size_t n) {
    double max_abs = 0.0, max_err = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double a = fabs((double)want[i]);
        if (a > max_abs) max_abs = a;
    }
    for (i = 0; i < n; i++) {
        double e = fabs((double)got[i] - (double)want[i]);
        if (!(e <= max_err)) max_err = e; /* NaN propagates */
    }
    if (max_abs == 0.0) return max_err;
    return max_err / max_abs;
}

/* Path of a file under the shared data folder ($EEGNN_DATA or ../shared/data). */
static TEST_UNUSED const char *test_data_path(const char *rel) {
    static char buf[8][1024];
    static int slot;
    const char *root = getenv("EEGNN_DATA");
    char *b = buf[slot++ & 7];
    if (snprintf(b, 1024, "%s/%s", root && *root ? root : "../shared/data", rel) >= 1024) b[0] = '\0';
    return b;
}

/* Path under the test output folder ($EEGNN_TEST_OUT or build/tests). */
static TEST_UNUSED const char *test_out_path(const char *rel) {
    static char buf[8][1024];
    static int slot;
    const char *root = getenv("EEGNN_TEST_OUT");
    char *b = buf[slot++ & 7];
    if (snprintf(b, 1024, "%s/%s", root && *root ? root : "build/tests", rel) >= 1024) b[0] = '\0';
    return b;
}

static TEST_UNUSED int test_summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, test_passed, test_failed);
    return test_failed ? 1 : 0;
}
#endif
