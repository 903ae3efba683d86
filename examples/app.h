/* Helpers of the `eegnn` program's parts (examples/): a growable string for
 * the CSV, JSON and SVG they write, and a copy of a string. Built only on
 * eegnn.h's public API (files through eegnn_write_file, eegnn_read_file,
 * eegnn_mkdirs); plain C99. */
#ifndef EEGNN_APP_H
#define EEGNN_APP_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define APP_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Helpers not every part uses: no warning when one goes unused. */
#if defined(__GNUC__)
#define APP_FN static __attribute__((unused))
#else
#define APP_FN static
#endif

/* A growable string. Appending after a failed allocation does nothing and
 * sets `failed` (check it once at the end). */
typedef struct app_buf {
    char *p;     /* NUL-terminated text, or NULL while empty */
    size_t len, cap;
    int failed;
} app_buf;

APP_FN void app_buf_append(app_buf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (cap < b->len + n + 1) cap *= 2;
        if (!(p = (char *)realloc(b->p, cap))) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
APP_FN void app_buf_printf(app_buf *b, const char *fmt, ...) {
    va_list ap;
    int n;
    char small[512], *big;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        app_buf_append(b, small, (size_t)n);
        return;
    }
    if (!(big = (char *)malloc((size_t)n + 1))) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    app_buf_append(b, big, (size_t)n);
    free(big);
}

/* s as a JSON string literal. */
APP_FN void app_buf_json_string(app_buf *b, const char *s) {
    app_buf_append(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2];
            e[0] = '\\';
            e[1] = (char)c;
            app_buf_append(b, e, 2);
        } else if (c < 0x20) {
            app_buf_printf(b, "\\u%04x", c);
        } else {
            app_buf_append(b, (const char *)&c, 1);
        }
    }
    app_buf_append(b, "\"", 1);
}

APP_FN void app_buf_free(app_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Writes the text atomically (eegnn_write_file); EEGNN_ERR_MEMORY when the
 * text could not be built. */
APP_FN eegnn_status app_buf_write(const app_buf *b, const char *path) {
    if (b->failed) return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory building the file", path);
    return eegnn_write_file(path, b->p ? b->p : "", b->len);
}

/* A copy of s (NULL, error set, when memory is short). */
APP_FN char *app_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = (char *)malloc(n);
    if (!p) eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory");
    else memcpy(p, s, n);
    return p;
}

/* Zeroed memory for n elements of `size` (NULL, error set, when short). */
APP_FN void *app_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory (%zu x %zu bytes)", n, size);
    return p;
}
#endif
