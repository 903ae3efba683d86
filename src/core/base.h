/* ---------------------------------------------------------------------------
 * Base: version, linkage, allocator hooks, status codes and the error model.
 *
 * Every function that can fail returns an eegnn_status (EEGNN_OK == 0) or
 * NULL, and leaves a message in a thread-local buffer that eegnn_last_error()
 * returns. Messages name the file, the field or byte offset, and what was
 * expected, e.g.
 *   "data/x.edf: header byte 236: number of data records '-7' is not valid"
 * The library never calls exit() or abort() on bad data; EEGNN_ASSERT (which
 * you may override before including) only guards programmer errors.
 * ------------------------------------------------------------------------- */
#if defined(EEGNN_IMPLEMENTATION) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE) && \
    !defined(_XOPEN_SOURCE) && !defined(_DEFAULT_SOURCE)
/* POSIX declarations (clock_gettime, pread, fseeko) for strict -std=c99
 * builds; takes effect when eegnn.h is the first header of the file that
 * defines EEGNN_IMPLEMENTATION. */
#define _POSIX_C_SOURCE 200809L
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EEGNN_VERSION_MAJOR 0
#define EEGNN_VERSION_MINOR 2
#define EEGNN_VERSION_PATCH 0
#define EEGNN_VERSION_STRING "0.2.0"

#ifdef __cplusplus
#define EEGNN__EXTERN_C extern "C"
#else
#define EEGNN__EXTERN_C extern
#endif

#ifndef EEGNN_API
#if defined(EEGNN_STATIC) && defined(__GNUC__)
#define EEGNN_API static __attribute__((unused))
#elif defined(EEGNN_STATIC)
#define EEGNN_API static
#else
#define EEGNN_API EEGNN__EXTERN_C
#endif
#endif

/* Allocator hooks: define all three or none. */
#if defined(EEGNN_MALLOC) && defined(EEGNN_REALLOC) && defined(EEGNN_FREE)
/* user-provided */
#elif !defined(EEGNN_MALLOC) && !defined(EEGNN_REALLOC) && !defined(EEGNN_FREE)
#include <stdlib.h>
#define EEGNN_MALLOC(sz) malloc(sz)
#define EEGNN_REALLOC(p, newsz) realloc(p, newsz)
#define EEGNN_FREE(p) free(p)
#else
#error "eegnn: define all of EEGNN_MALLOC, EEGNN_REALLOC and EEGNN_FREE, or none of them"
#endif

#ifndef EEGNN_ASSERT
#include <assert.h>
#define EEGNN_ASSERT(x) assert(x)
#endif

/* EEGNN_UNSET: the value that asks a config field for its default where 0 is
 * a real setting of that field (a weight decay of 0, a dropout probability of
 * 0, no warmup, no test set). Such fields say "unset" in their comment and are
 * set to EEGNN_UNSET by the struct's *_config_default() function; there 0
 * means 0. It is -2^31, exact as an int, a float and a double, so one name
 * serves every field type: `cfg.weight_decay = EEGNN_UNSET;` and
 * `cfg.weight_decay == EEGNN_UNSET` both work. */
#define EEGNN_UNSET (-2147483647 - 1)

/* Result of every fallible call. eegnn_last_error() holds the details. */
typedef enum eegnn_status {
    EEGNN_OK = 0,
    EEGNN_ERR_ARG = 1,         /* invalid argument (caller error: shapes, NULL, ranges) */
    EEGNN_ERR_MEMORY = 2,      /* allocation failed or an arena is full */
    EEGNN_ERR_IO = 3,          /* a file could not be opened, read or written */
    EEGNN_ERR_FORMAT = 4,      /* a file's content does not follow its format */
    EEGNN_ERR_UNSUPPORTED = 5, /* valid input that this build does not handle */
    EEGNN_ERR_NOT_FOUND = 6,   /* a named file, column, channel or key is absent */
    EEGNN_ERR_NUMERIC = 7      /* NaN/Inf where a finite number is required */
} eegnn_status;

/* Short English description of a status code. Thread safe. */
EEGNN_API const char *eegnn_status_description(eegnn_status status);

/* Message of the last failure on the calling thread ("" if none). The
 * pointer stays valid until the next failing call on the same thread.
 * Thread safe (the buffer is thread-local). */
EEGNN_API const char *eegnn_last_error(void);

/* Status of the last failure on the calling thread, the one its message
 * (eegnn_last_error) goes with, for calls that return NULL on failure
 * (EEGNN_OK if none since eegnn_clear_error). Thread safe (thread-local). */
EEGNN_API eegnn_status eegnn_last_status(void);

/* Clears the calling thread's error message and status. */
EEGNN_API void eegnn_clear_error(void);

/* Sets the calling thread's error message (printf-style) and returns
 * `status`, so callers can write `return eegnn_set_error(EEGNN_ERR_FORMAT,
 * "%s: ...", path)`. Exposed so user code built on eegnn reports errors the
 * same way. */
EEGNN_API eegnn_status eegnn_set_error(eegnn_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Frees memory that an eegnn function returned for the caller to own
 * (e.g. eegnn_npy_read's array). NULL is allowed. */
EEGNN_API void eegnn_free(void *ptr);

/* Files (the library's own writers use the same code; available to tools
 * built on eegnn):
 * eegnn_write_file writes n bytes to `path` atomically: into
 * "<path>.tmp.<pid>", then renamed over `path`, so no reader ever sees a
 * half-written file. Errors: EEGNN_ERR_IO naming the path (the temporary
 * file is removed), EEGNN_ERR_MEMORY. Thread safe for distinct paths. */
EEGNN_API eegnn_status eegnn_write_file(const char *path, const void *data, size_t n);
/* Reads a whole file into *data (NUL-terminated, free with eegnn_free); *n
 * (may be NULL) gets its length. Errors: EEGNN_ERR_IO naming the path,
 * EEGNN_ERR_MEMORY. Thread safe. */
EEGNN_API eegnn_status eegnn_read_file(const char *path, char **data, size_t *n);
/* Creates a directory and its parents (mkdir -p); existing ones are fine.
 * Errors: EEGNN_ERR_IO naming the directory that cannot be made. Thread safe. */
EEGNN_API eegnn_status eegnn_mkdirs(const char *path);

/* Number of online CPUs (>= 1). Thread safe. */
EEGNN_API int eegnn_cpu_count(void);

/* Monotonic wall clock in seconds. Thread safe. */
EEGNN_API double eegnn_time_seconds(void);

/* ---- Random numbers ------------------------------------------------------
 * xoshiro128+ style generator (Blackman & Vigna). One state per user
 * (graph, data loader, split); not shared between threads. */
typedef struct eegnn_rng {
    uint32_t s[4];
} eegnn_rng;

/* Seeds the generator from a 64-bit seed (splitmix64 expansion). */
EEGNN_API void eegnn_rng_seed(eegnn_rng *rng, uint64_t seed);
/* Uniform 32-bit integer. */
EEGNN_API uint32_t eegnn_rng_u32(eegnn_rng *rng);
/* Uniform float in [0, 1). */
EEGNN_API float eegnn_rng_uniform(eegnn_rng *rng);
/* Standard normal float (Box-Muller). */
EEGNN_API float eegnn_rng_normal(eegnn_rng *rng);
/* Uniform integer in [0, n), n >= 1. */
EEGNN_API uint32_t eegnn_rng_below(eegnn_rng *rng, uint32_t n);
/* Fisher-Yates shuffle of an int array. */
EEGNN_API void eegnn_rng_shuffle(eegnn_rng *rng, int *v, int n);
