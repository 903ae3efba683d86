/* Private helpers: allocation, strings, paths, whole-file reads, atomic writes. */
#include <errno.h>
#include <ctype.h>
#include <stdarg.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>

static void *eegnn__calloc(size_t n, size_t size) {
    void *p;
    if (size && n > (size_t)-1 / size) {
        eegnn_set_error(EEGNN_ERR_MEMORY, "allocation of %zu x %zu bytes overflows", n, size);
        return NULL;
    }
    p = EEGNN_MALLOC(n * size > 0 ? n * size : 1);
    if (!p) {
        eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory allocating %zu bytes", n * size);
        return NULL;
    }
    memset(p, 0, n * size);
    return p;
}

static char *eegnn__strndup(const char *s, size_t n) {
    char *d = (char *)eegnn__calloc(n + 1, 1);
    if (d) memcpy(d, s, n);
    return d;
}

static char *eegnn__strdup(const char *s) { return eegnn__strndup(s, strlen(s)); }

static int eegnn__ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static int eegnn__starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *eegnn__path_join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    int slash = la > 0 && a[la - 1] != '/';
    char *p = (char *)eegnn__calloc(la + lb + 2, 1);
    if (!p) return NULL;
    memcpy(p, a, la);
    if (slash) p[la] = '/';
    memcpy(p + la + slash, b, lb);
    return p;
}

static eegnn_status eegnn__read_file(const char *path, char **out, size_t *len) {
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    *out = NULL;
    if (len) *len = 0;
    if (!fp) return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    for (;;) {
        size_t got;
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = (char *)EEGNN_REALLOC(buf, ncap);
            if (!nb) {
                EEGNN_FREE(buf);
                fclose(fp);
                return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory reading file", path);
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0) break;
    }
    if (ferror(fp)) {
        EEGNN_FREE(buf);
        fclose(fp);
        return eegnn_set_error(EEGNN_ERR_IO, "%s: read error", path);
    }
    fclose(fp);
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return EEGNN_OK;
}

static int eegnn__parse_double(const char *s, double *out) {
    char *end;
    double v;
    while (*s && isspace((unsigned char)*s)) s++;
    if (!*s) return 0;
    errno = 0;
    v = strtod(s, &end);
    if (end == s) return 0;
    while (*end && isspace((unsigned char)*end)) end++;
    if (*end) return 0;
    *out = v;
    return 1;
}

static int eegnn__parse_decimal(const char *s, double *out) {
    const char *q;
    for (q = s; *q; q++)
        if (*q == 'x' || *q == 'X') return 0;
    return eegnn__parse_double(s, out);
}

static int eegnn__cmp_strings(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int eegnn__has_extension(const char *path, const char *ext) {
    size_t lp = strlen(path), le = strlen(ext), i;
    if (lp < le) return 0;
    for (i = 0; i < le; i++) {
        char c = path[lp - le + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != ext[i]) return 0;
    }
    return 1;
}

static size_t eegnn__shape_numel(int ndim, const int *shape) {
    size_t n = 1;
    int i;
    for (i = 0; i < ndim; i++) n *= (size_t)shape[i];
    return n;
}

static int eegnn__parse_long(const char *s, long *out) {
    char *end;
    long v;
    while (*s && isspace((unsigned char)*s)) s++;
    if (!*s) return 0;
    errno = 0;
    v = strtol(s, &end, 10);
    if (end == s || errno == ERANGE) return 0;
    while (*end && isspace((unsigned char)*end)) end++;
    if (*end) return 0;
    *out = v;
    return 1;
}

static int eegnn__list_next(const char **p, const char **item, size_t *len) {
    const char *s = *p, *e, *t;
    if (!s) return 0;
    e = strchr(s, ',');
    if (!e) e = s + strlen(s);
    while (s < e && isspace((unsigned char)*s)) s++;
    t = e;
    while (t > s && isspace((unsigned char)t[-1])) t--;
    *item = s;
    *len = (size_t)(t - s);
    *p = *e ? e + 1 : NULL;
    return 1;
}

static int eegnn__list_contains(const char *list, const char *item) {
    const char *b;
    size_t len, n = strlen(item);
    while (eegnn__list_next(&list, &b, &len))
        if (len == n && memcmp(b, item, n) == 0) return 1;
    return 0;
}

static void eegnn__sb_append(eegnn__strbuf *sb, const char *s, size_t n) {
    if (sb->failed) return;
    if (n >= (size_t)-1 / 2 - sb->len) { /* a length no buffer can hold */
        sb->failed = 1;
        return;
    }
    if (sb->len + n + 1 > sb->cap) {
        size_t ncap = sb->cap ? sb->cap : 256;
        char *np;
        while (ncap < sb->len + n + 1) ncap *= 2;
        np = (char *)EEGNN_REALLOC(sb->p, ncap);
        if (!np) {
            sb->failed = 1;
            return;
        }
        sb->p = np;
        sb->cap = ncap;
    }
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

static void eegnn__sb_printf(eegnn__strbuf *sb, const char *fmt, ...) {
    char tmp[512];
    int n;
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        eegnn__sb_append(sb, tmp, (size_t)n);
    } else {
        char *big = (char *)EEGNN_MALLOC((size_t)n + 1);
        if (!big) {
            sb->failed = 1;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        eegnn__sb_append(sb, big, (size_t)n);
        EEGNN_FREE(big);
    }
}

static void eegnn__sb_json_string(eegnn__strbuf *sb, const char *s) {
    eegnn__sb_append(sb, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2];
            e[0] = '\\';
            e[1] = (char)c;
            eegnn__sb_append(sb, e, 2);
        } else if (c < 0x20) {
            eegnn__sb_printf(sb, "\\u%04x", c);
        } else {
            eegnn__sb_append(sb, (const char *)&c, 1);
        }
    }
    eegnn__sb_append(sb, "\"", 1);
}

static void eegnn__sb_free(eegnn__strbuf *sb) {
    EEGNN_FREE(sb->p);
    sb->p = NULL;
    sb->len = sb->cap = 0;
    sb->failed = 0;
}

static eegnn_status eegnn__outfile_open(eegnn__outfile *of, const char *path) {
    char suffix[64];
    memset(of, 0, sizeof *of);
    snprintf(suffix, sizeof suffix, ".tmp.%ld", (long)getpid());
    of->path = eegnn__strdup(path);
    of->tmp_path = of->path ? (char *)eegnn__calloc(strlen(path) + strlen(suffix) + 1, 1) : NULL;
    if (!of->tmp_path) {
        EEGNN_FREE(of->path);
        of->path = NULL;
        return EEGNN_ERR_MEMORY;
    }
    strcpy(of->tmp_path, path);
    strcat(of->tmp_path, suffix);
    of->fp = fopen(of->tmp_path, "wb");
    if (!of->fp) {
        eegnn_status st = eegnn_set_error(EEGNN_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        EEGNN_FREE(of->path);
        EEGNN_FREE(of->tmp_path);
        of->path = of->tmp_path = NULL;
        return st;
    }
    return EEGNN_OK;
}

static eegnn_status eegnn__outfile_write(eegnn__outfile *of, const void *data, size_t n) {
    if (n && fwrite(data, 1, n, of->fp) != n)
        return eegnn_set_error(EEGNN_ERR_IO, "%s: write failed: %s", of->path, strerror(errno));
    return EEGNN_OK;
}

static void eegnn__outfile_abort(eegnn__outfile *of) {
    if (of->fp) fclose(of->fp);
    if (of->tmp_path) remove(of->tmp_path);
    EEGNN_FREE(of->path);
    EEGNN_FREE(of->tmp_path);
    memset(of, 0, sizeof *of);
}

static eegnn_status eegnn__outfile_commit(eegnn__outfile *of) {
    int bad = fflush(of->fp) != 0 || ferror(of->fp);
    bad |= fclose(of->fp) != 0;
    of->fp = NULL;
    if (bad) {
        eegnn_status st = eegnn_set_error(EEGNN_ERR_IO, "%s: write failed: %s", of->path, strerror(errno));
        eegnn__outfile_abort(of);
        return st;
    }
    if (rename(of->tmp_path, of->path) != 0) {
        eegnn_status st = eegnn_set_error(EEGNN_ERR_IO, "%s: cannot rename temporary file: %s", of->path, strerror(errno));
        eegnn__outfile_abort(of);
        return st;
    }
    EEGNN_FREE(of->path);
    EEGNN_FREE(of->tmp_path);
    memset(of, 0, sizeof *of);
    return EEGNN_OK;
}

static eegnn_status eegnn__write_text(const char *path, const char *text) {
    eegnn__outfile of;
    eegnn_status st = eegnn__outfile_open(&of, path);
    if (st) return st;
    st = eegnn__outfile_write(&of, text, strlen(text));
    if (st) {
        eegnn__outfile_abort(&of);
        return st;
    }
    return eegnn__outfile_commit(&of);
}

static eegnn_status eegnn__mkdirs(const char *path) {
    char *p = eegnn__strdup(path), *q;
    struct stat sb;
    if (!p) return EEGNN_ERR_MEMORY;
    for (q = p + 1;; q++) {
        if (*q == '/' || *q == '\0') {
            char c = *q;
            *q = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                eegnn_status st = eegnn_set_error(EEGNN_ERR_IO, "%s: cannot create directory: %s", p, strerror(errno));
                EEGNN_FREE(p);
                return st;
            }
            *q = c;
            if (!c) break;
        }
    }
    if (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        eegnn_status st = eegnn_set_error(EEGNN_ERR_IO, "%s: not a directory", p);
        EEGNN_FREE(p);
        return st;
    }
    EEGNN_FREE(p);
    return EEGNN_OK;
}

static void eegnn__utc_from_unix(double t, long long *year, int *month, int *day, int *hour, int *minute,
                                 int *second) {
    long long s = (long long)floor(t);
    long long days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
    long long sod = s - days * 86400, z = days + 719468, era, doe, yoe, y, doy, mp, m;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    m = mp < 10 ? mp + 3 : mp - 9;
    *year = m <= 2 ? y + 1 : y;
    *month = (int)m;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *hour = (int)(sod / 3600);
    *minute = (int)(sod / 60 % 60);
    *second = (int)(sod % 60);
}
