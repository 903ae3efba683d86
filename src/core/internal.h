/* Private helpers shared by the implementation files (not part of the API). */
#include <string.h>
#include <stdlib.h>
#include <math.h>

#define EEGNN__MIN(a, b) ((a) < (b) ? (a) : (b))
#define EEGNN__MAX(a, b) ((a) > (b) ? (a) : (b))
/* A config field's value, or dflt when it is EEGNN_UNSET (base.h). */
#define EEGNN__UNSET_OR(v, dflt) ((v) == EEGNN_UNSET ? (dflt) : (v))

/* Private functions: static, and not warned about when a build uses only
 * part of the library. */
#if defined(__GNUC__)
#define EEGNN__PRIVATE static __attribute__((unused))
#else
#define EEGNN__PRIVATE static
#endif

/* Allocation that records an error message on failure (n * size overflow
 * checked). Memory is zero-filled. Free with EEGNN_FREE. */
EEGNN__PRIVATE void *eegnn__calloc(size_t n, size_t size);
EEGNN__PRIVATE char *eegnn__strdup(const char *s);
EEGNN__PRIVATE char *eegnn__strndup(const char *s, size_t n);
EEGNN__PRIVATE int eegnn__ends_with(const char *s, const char *suffix);
EEGNN__PRIVATE int eegnn__starts_with(const char *s, const char *prefix);
/* Joins two path parts with '/'; returns NULL (error set) on allocation failure. */
EEGNN__PRIVATE char *eegnn__path_join(const char *a, const char *b);
/* Reads a whole file, NUL-terminated; *len excludes the NUL. */
EEGNN__PRIVATE eegnn_status eegnn__read_file(const char *path, char **out, size_t *len);
/* Parses a whole string as a double (leading/trailing blanks allowed). */
EEGNN__PRIVATE int eegnn__parse_double(const char *s, double *out);
/* Parses a whole string as a decimal number (eegnn__parse_double without
 * hexadecimal forms, which pandas does not read): table cells. */
EEGNN__PRIVATE int eegnn__parse_decimal(const char *s, double *out);
/* qsort comparator of C strings in an array of char * (strcmp order). */
EEGNN__PRIVATE int eegnn__cmp_strings(const void *a, const void *b);
/* 1 when path ends with ext, compared case-insensitively (".edf", ".vhdr"). */
EEGNN__PRIVATE int eegnn__has_extension(const char *path, const char *ext);
/* Elements of a shape: the product of shape[0..ndim). */
EEGNN__PRIVATE size_t eegnn__shape_numel(int ndim, const int *shape);
/* Parses a whole string as a long (leading/trailing blanks allowed). */
EEGNN__PRIVATE int eegnn__parse_long(const char *s, long *out);
/* Comma-separated lists: the next entry of *p (which starts at the list)
 * without the blanks around it, in *item and *len, and *p moved past it;
 * 0 once the list is done (empty entries are returned, with *len 0). */
EEGNN__PRIVATE int eegnn__list_next(const char **p, const char **item, size_t *len);
/* 1 when `item` is one of the comma-separated entries of `list` (blanks
 * around entries ignored). */
EEGNN__PRIVATE int eegnn__list_contains(const char *list, const char *item);

/* Growable string. */
typedef struct eegnn__strbuf {
    char *p;
    size_t len, cap;
    int failed;
} eegnn__strbuf;
EEGNN__PRIVATE void eegnn__sb_append(eegnn__strbuf *sb, const char *s, size_t n);
EEGNN__PRIVATE void eegnn__sb_printf(eegnn__strbuf *sb, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
EEGNN__PRIVATE void eegnn__sb_free(eegnn__strbuf *sb);
/* UTC calendar date and time of t seconds since 1970-01-01 (proleptic
 * Gregorian; Howard Hinnant's days-to-civil algorithm). */
EEGNN__PRIVATE void eegnn__utc_from_unix(double t, long long *year, int *month, int *day, int *hour, int *minute,
                                         int *second);
/* Appends s as a JSON string literal (quoted, escaped). */
EEGNN__PRIVATE void eegnn__sb_json_string(eegnn__strbuf *sb, const char *s);

/* Atomic output: data goes to "<path>.tmp.<pid>" and is renamed over `path`
 * only when complete, so no half-written file is ever left behind. */
typedef struct eegnn__outfile {
    FILE *fp;
    char *path;
    char *tmp_path;
} eegnn__outfile;
EEGNN__PRIVATE eegnn_status eegnn__outfile_open(eegnn__outfile *of, const char *path);
EEGNN__PRIVATE eegnn_status eegnn__outfile_write(eegnn__outfile *of, const void *data, size_t n);
EEGNN__PRIVATE eegnn_status eegnn__outfile_commit(eegnn__outfile *of);
EEGNN__PRIVATE void eegnn__outfile_abort(eegnn__outfile *of);
/* Writes a whole text file atomically. */
EEGNN__PRIVATE eegnn_status eegnn__write_text(const char *path, const char *text);
/* Creates a directory and its parents (mkdir -p); existing ones are fine. */
EEGNN__PRIVATE eegnn_status eegnn__mkdirs(const char *path);
