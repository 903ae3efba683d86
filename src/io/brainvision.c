/* BrainVision reader (.vhdr/.eeg/.vmrk), following MNE 1.3's
 * mne/io/brainvision/brainvision.py. Shares the annotation list, sorting,
 * cropping, UTF-8 check, civil-date and unique-name helpers of edf.c. */

/* Windows-1252 code points for bytes 0x80..0x9F; 0 marks bytes Python's
 * cp1252 codec cannot decode. */
static const unsigned short eegnn__bv_cp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

enum { EEGNN__BV_UTF8, EEGNN__BV_CP1252, EEGNN__BV_LATIN1, EEGNN__BV_ASCII };

static int eegnn__bv_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int eegnn__bv_ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x == '_' || x == ' ') x = '-';
        if (y == '_' || y == ' ') y = '-';
        if (x != y) return 0;
    }
    return *a == *b;
}

/* The "Codepage=" setting (case-sensitive, as MNE's search) of a file. */
static eegnn_status eegnn__bv_codepage(const char *path, const char *s, size_t n, int *cp) {
    const char *key = "Codepage=";
    size_t kl = strlen(key), i, b, e;
    char val[64];
    *cp = EEGNN__BV_UTF8;
    for (i = 0; i + kl <= n; i++) {
        if (memcmp(s + i, key, kl) != 0) continue;
        b = i + kl;
        e = b;
        while (e < n && s[e] != '\n') e++;
        if (e == b) continue; /* the pattern needs at least one character */
        while (b < e && eegnn__bv_space((unsigned char)s[b])) b++;
        while (e > b && eegnn__bv_space((unsigned char)s[e - 1])) e--;
        if (e - b >= sizeof val) e = b + sizeof val - 1;
        memcpy(val, s + b, e - b);
        val[e - b] = '\0';
        if (eegnn__bv_ieq(val, "utf-8") || eegnn__bv_ieq(val, "utf8") || eegnn__bv_ieq(val, "u8") ||
            eegnn__bv_ieq(val, "")) {
            *cp = EEGNN__BV_UTF8;
        } else if (eegnn__bv_ieq(val, "ansi") || eegnn__bv_ieq(val, "cp1252") ||
                   eegnn__bv_ieq(val, "windows-1252")) {
            *cp = EEGNN__BV_CP1252;
        } else if (eegnn__bv_ieq(val, "latin-1") || eegnn__bv_ieq(val, "latin1") ||
                   eegnn__bv_ieq(val, "iso-8859-1") || eegnn__bv_ieq(val, "iso8859-1") ||
                   eegnn__bv_ieq(val, "l1")) {
            *cp = EEGNN__BV_LATIN1;
        } else if (eegnn__bv_ieq(val, "ascii") || eegnn__bv_ieq(val, "us-ascii")) {
            *cp = EEGNN__BV_ASCII;
        } else {
            return eegnn_set_error(EEGNN_ERR_UNSUPPORTED,
                                   "%s: Codepage '%s' is not supported (UTF-8, ANSI, Latin-1, ASCII)", path, val);
        }
        return EEGNN_OK;
    }
    return EEGNN_OK;
}

static void eegnn__bv_put_utf8(char *o, size_t *k, unsigned cp) {
    if (cp < 0x80) {
        o[(*k)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*k)++] = (char)(0xE0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* Decodes bytes as MNE does (the codepage, else Latin-1) into a new UTF-8
 * string; *out_len gets its length. */
static char *eegnn__bv_decode(const char *s, size_t n, int cp, size_t *out_len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i, k = 0;
    char *o;
    if (cp == EEGNN__BV_UTF8 && eegnn__utf8_check(u, n) == n) {
        o = eegnn__strndup(s, n);
        if (o) *out_len = n;
        return o;
    }
    if (cp == EEGNN__BV_CP1252) {
        for (i = 0; i < n; i++)
            if (u[i] >= 0x80 && u[i] < 0xA0 && !eegnn__bv_cp1252[u[i] - 0x80]) break;
        if (i < n) cp = EEGNN__BV_LATIN1;
    }
    o = (char *)EEGNN_MALLOC(3 * n + 1);
    if (!o) return NULL;
    for (i = 0; i < n; i++) {
        unsigned c = u[i];
        if (cp == EEGNN__BV_CP1252 && c >= 0x80 && c < 0xA0) c = eegnn__bv_cp1252[c - 0x80];
        eegnn__bv_put_utf8(o, &k, c);
    }
    o[k] = '\0';
    *out_len = k;
    return o;
}

/* ---- configparser-like view of the header ---- */
typedef struct eegnn__bv_entry {
    const char *section; /* as written (case-sensitive) */
    char *key;           /* lower-cased, as configparser's optionxform */
    char *value;         /* stripped */
    int line;            /* 1-based line in the header file */
} eegnn__bv_entry;

typedef struct eegnn__bv_ini {
    eegnn__bv_entry *e;
    int n;
} eegnn__bv_ini;

static char *eegnn__bv_strip(char *s) {
    char *e;
    while (*s && eegnn__bv_space((unsigned char)*s)) s++;
    e = s + strlen(s);
    while (e > s && eegnn__bv_space((unsigned char)e[-1])) e--;
    *e = '\0';
    return s;
}

/* Parses text in place (lines end at '\n'; first_line is the line number of
 * text's first line). Comment lines (';' or '#'), indented continuation
 * lines and lines that are neither a section nor key=value are skipped. */
static eegnn_status eegnn__bv_ini_parse(char *text, int first_line, eegnn__bv_ini *ini) {
    size_t n_lines = 1;
    char *p;
    const char *section = NULL;
    int line = first_line, have_key = 0;
    for (p = text; *p; p++) n_lines += *p == '\n';
    ini->n = 0;
    ini->e = (eegnn__bv_entry *)eegnn__calloc(n_lines, sizeof *ini->e);
    if (!ini->e) return eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory parsing a BrainVision header");
    p = text;
    while (p) {
        char *nl = strchr(p, '\n'), *s, *d;
        int indented = *p == ' ' || *p == '\t';
        if (nl) *nl = '\0';
        s = eegnn__bv_strip(p);
        if (!*s || *s == ';' || *s == '#') {
            if (!*s) have_key = 0;
        } else if (*s == '[' && strrchr(s, ']') > s + 1) {
            *strrchr(s, ']') = '\0';
            section = s + 1;
            have_key = 0;
        } else if (indented && have_key) {
            /* continuation of the previous value: not used by the reader */
        } else if (section && (d = strpbrk(s, "=:")) != NULL && d > s) {
            eegnn__bv_entry *en = &ini->e[ini->n++];
            char *k;
            *d = '\0';
            en->section = section;
            en->key = eegnn__bv_strip(s);
            for (k = en->key; *k; k++)
                if (*k >= 'A' && *k <= 'Z') *k = (char)(*k - 'A' + 'a');
            en->value = eegnn__bv_strip(d + 1);
            en->line = line;
            have_key = 1;
        }
        p = nl ? nl + 1 : NULL;
        line++;
    }
    return EEGNN_OK;
}

static const eegnn__bv_entry *eegnn__bv_get(const eegnn__bv_ini *ini, const char *section, const char *key) {
    int i;
    for (i = 0; i < ini->n; i++)
        if (strcmp(ini->e[i].section, section) == 0 && strcmp(ini->e[i].key, key) == 0) return &ini->e[i];
    return NULL;
}

static int eegnn__bv_has_section(const eegnn__bv_ini *ini, const char *section) {
    int i;
    for (i = 0; i < ini->n; i++)
        if (strcmp(ini->e[i].section, section) == 0) return 1;
    return 0;
}

/* A key "ch<digits>"; returns the number or -1. */
static long eegnn__bv_ch_number(const char *key) {
    long v = 0;
    if (key[0] != 'c' || key[1] != 'h' || !key[2]) return -1;
    for (key += 2; *key; key++) {
        if (*key < '0' || *key > '9') return -1;
        if (v > 100000000L) return -1;
        v = v * 10 + (*key - '0');
    }
    return v;
}

/* Replaces every "\1" by ',' in place. */
static void eegnn__bv_unescape(char *s) {
    char *o = s;
    while (*s) {
        if (s[0] == '\\' && s[1] == '1') {
            *o++ = ',';
            s += 2;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
}

/* Removes U+00C2 (MNE's unit.replace('\xc2', '')) in place. */
static void eegnn__bv_drop_c2(char *s) {
    char *o = s;
    while (*s) {
        if ((unsigned char)s[0] == 0xC3 && (unsigned char)s[1] == 0x82)
            s += 2;
        else
            *o++ = *s++;
    }
    *o = '\0';
}

/* MNE's _unit_dict (unknown units: 1). */
static double eegnn__bv_unit_scale(const char *u) {
    if (!strcmp(u, "V")) return 1.0;
    if (!strcmp(u, "\xc2\xb5V") || !strcmp(u, "uV")) return 1e-6;
    if (!strcmp(u, "mV")) return 1e-3;
    if (!strcmp(u, "nV")) return 1e-9;
    if (!strcmp(u, "\xc2\xb5S") || !strcmp(u, "uS")) return 1e-6;
    return 1.0;
}

static int eegnn__bv_is_voltage(const char *u) {
    return !strcmp(u, "V") || !strcmp(u, "mV") || !strcmp(u, "\xc2\xb5V") || !strcmp(u, "uV") || !strcmp(u, "nV");
}

/* YYYYMMDDhhmmssuuuuuu (UTC) as MNE's _str_to_meas_date, in seconds since
 * 1970; NaN for all zeros or an invalid date. */
static double eegnn__bv_date(const char *s, size_t n) {
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int v[7], w[7] = {4, 2, 2, 2, 2, 2, 6}, i, j, at = 0, leap;
    while (n && eegnn__bv_space((unsigned char)*s)) s++, n--;
    while (n && eegnn__bv_space((unsigned char)s[n - 1])) n--;
    if (n != 20) return NAN;
    for (i = 0; i < 20; i++)
        if (s[i] < '0' || s[i] > '9') return NAN;
    for (i = 0; i < 7; i++) {
        v[i] = 0;
        for (j = 0; j < w[i]; j++) v[i] = v[i] * 10 + (s[at++] - '0');
    }
    leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[0] < 1 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
        v[2] > mdays[v[1] - 1] + (v[1] == 2 && leap) || v[3] > 23 || v[4] > 59 || v[5] > 59)
        return NAN;
    return (double)eegnn__days_from_civil(v[0], v[1], v[2]) * 86400.0 + v[3] * 3600.0 + v[4] * 60.0 + v[5] +
           v[6] * 1e-6;
}

/* MNE's meas_date search: the first (stripped) line matching
 * ^Mk\d+=New Segment,.*,\d+,\d+,-?\d+,(\d{20})$. Returns 1 on a match. */
static int eegnn__bv_new_segment_date(const char *s, size_t n, double *date) {
    static const char *tag = "=New Segment,";
    size_t i = 2, start, end = n, f, k = 0;
    if (n < 3 || s[0] != 'M' || s[1] != 'k' || s[2] < '0' || s[2] > '9') return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (n - i < strlen(tag) || memcmp(s + i, tag, strlen(tag)) != 0) return 0;
    start = i + strlen(tag);
    /* the four comma-separated fields at the end, right to left */
    for (f = 0; f < 4; f++) {
        size_t b = end;
        while (b > start && s[b - 1] >= '0' && s[b - 1] <= '9') b--;
        if (b == end) return 0;
        if (f == 0 && end - b != 20) return 0;
        if (f == 1 && b > start && s[b - 1] == '-') b--;
        if (b == start || s[b - 1] != ',') return 0;
        if (f == 0) k = b;
        end = b - 1;
    }
    *date = eegnn__bv_date(s + k, 20);
    return 1;
}

/* Python int() of a marker field: blanks, optional sign, digits (single
 * underscores between digits allowed), blanks. */
static int eegnn__bv_int(const char *s, size_t n, long long *out) {
    size_t i = 0;
    int neg = 0, nd = 0;
    long long v = 0;
    while (i < n && eegnn__bv_space((unsigned char)s[i])) i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (v > 1000000000000000LL) return 0;
            v = v * 10 + (s[i] - '0');
            nd++;
        } else if (s[i] == '_' && nd && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') {
            continue;
        } else {
            break;
        }
    }
    while (i < n && eegnn__bv_space((unsigned char)s[i])) i++;
    if (!nd || i != n) return 0;
    *out = neg ? -v : v;
    return 1;
}

/* Reads and decodes a whole text file (header or marker file). */
static eegnn_status eegnn__bv_read_text(const char *path, const char *what, char **out, size_t *len) {
    char *raw = NULL;
    size_t n = 0;
    int cp;
    eegnn_status st = eegnn__read_file(path, &raw, &n);
    *out = NULL;
    if (st) return st;
    if (n == 0) {
        EEGNN_FREE(raw);
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: empty %s file", path, what);
    }
    if ((st = eegnn__bv_codepage(path, raw, n, &cp))) {
        EEGNN_FREE(raw);
        return st;
    }
    if (cp == EEGNN__BV_ASCII) {
        size_t i;
        for (i = 0; i < n && !((unsigned char)raw[i] & 0x80); i++) {
        }
        cp = i < n ? EEGNN__BV_LATIN1 : EEGNN__BV_UTF8;
    }
    *out = eegnn__bv_decode(raw, n, cp, len);
    EEGNN_FREE(raw);
    if (!*out) return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", path);
    return EEGNN_OK;
}

/* Reads the marker file: annotations (MNE's _read_mrk and
 * _read_annotations_brainvision) and meas_date (the New Segment date). */
static eegnn_status eegnn__bv_markers(const char *path, double sfreq, eegnn__ann_list *anns, double *meas_date,
                                      double *orig_time) {
    char *txt = NULL, *p, *mk;
    size_t n = 0, i;
    int have_date = 0;
    eegnn_status st = eegnn__bv_read_text(path, "marker", &txt, &n);
    *meas_date = NAN;
    *orig_time = NAN;
    if (st) return st;
    /* meas_date: first line (any line break) matching the New Segment pattern */
    for (i = 0; i < n && !have_date;) {
        size_t e = i, b, t;
        while (e < n && txt[e] != '\n' && txt[e] != '\r') e++;
        b = i;
        t = e;
        while (b < t && eegnn__bv_space((unsigned char)txt[b])) b++;
        while (t > b && eegnn__bv_space((unsigned char)txt[t - 1])) t--;
        if (eegnn__bv_new_segment_date(txt + b, t - b, meas_date)) have_date = 1;
        i = e + 1;
    }
    /* [Marker Infos] (any case), then every line starting Mk<digits>= */
    mk = NULL;
    for (p = txt; *p; p++) {
        static const char *sec = "[marker infos]";
        size_t k = 0;
        while (sec[k]) {
            char c = p[k];
            if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
            if (c != sec[k]) break;
            k++;
        }
        if (!sec[k]) {
            mk = p + k;
            break;
        }
    }
    if (mk) {
        char date_str[64] = "";
        int have_date_str = 0;
        for (p = mk; *p;) {
            char *e = strchr(p, '\n'), *q;
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (p[0] == 'M' && p[1] == 'k' && p[2] >= '0' && p[2] <= '9') {
                q = p + 2;
                while (*q >= '0' && *q <= '9') q++;
                if (*q == '=') {
                    /* fields of the rest of the line ('\r' included, as MNE's regex) */
                    char *f[8];
                    size_t fl[8];
                    int nf = 0, extra = 0;
                    char *r = q + 1, *end = p + len, *c;
                    long long pos, pts = 0;
                    eegnn__strbuf sb;
                    double onset;
                    for (c = r;; c++) {
                        if (c == end || *c == ',') {
                            if (nf < 8) {
                                f[nf] = r;
                                fl[nf] = (size_t)(c - r);
                                nf++;
                            } else {
                                extra++;
                            }
                            r = c + 1;
                            if (c == end) break;
                        }
                    }
                    nf += extra;
                    if (nf < 4) {
                        st = eegnn_set_error(EEGNN_ERR_FORMAT,
                                             "%s: marker '%.*s' has %d fields, expected "
                                             "<Type>,<Description>,<Position>,<Points>[,<Channel>[,<Date>]]",
                                             path, (int)(q - p), p, nf);
                        goto done;
                    }
                    if (!eegnn__bv_int(f[2], fl[2], &pos)) {
                        st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: marker '%.*s': Position '%.*s' is not an integer",
                                             path, (int)(q - p), p, (int)fl[2], f[2]);
                        goto done;
                    }
                    if (fl[3]) {
                        size_t k2;
                        for (k2 = 0; k2 < fl[3] && f[3][k2] >= '0' && f[3][k2] <= '9'; k2++) {
                        }
                        if (k2 == fl[3] && !eegnn__bv_int(f[3], fl[3], &pts)) pts = 0;
                        if (k2 != fl[3]) pts = 0;
                    }
                    memset(&sb, 0, sizeof sb);
                    eegnn__sb_append(&sb, f[0], fl[0]);
                    eegnn__sb_append(&sb, "/", 1);
                    eegnn__sb_append(&sb, f[1], fl[1]);
                    if (sb.failed || !sb.p) {
                        st = eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", path);
                        goto done;
                    }
                    eegnn__bv_unescape(sb.p);
                    if (!have_date_str && nf == 5 && fl[0] == 11 && memcmp(f[0], "New Segment", 11) == 0) {
                        size_t dl = fl[4] < sizeof date_str - 1 ? fl[4] : sizeof date_str - 1;
                        memcpy(date_str, f[4], dl);
                        date_str[dl] = '\0';
                        have_date_str = dl > 0;
                    }
                    onset = (double)(pos - 1) / sfreq;
                    st = eegnn__ann_push(anns, onset, (double)pts / sfreq, (const unsigned char *)sb.p,
                                         strlen(sb.p));
                    eegnn__sb_free(&sb);
                    if (st) goto done;
                }
            }
            if (!e) break;
            p = e + 1;
        }
        if (have_date_str) *orig_time = eegnn__bv_date(date_str, strlen(date_str));
    }
done:
    EEGNN_FREE(txt);
    return st;
}

/* Little-endian sample decoders (expanded inline in the loops below). */
#define EEGNN__BV_U32(p) ((uint32_t)(p)[0] | ((uint32_t)(p)[1] << 8) | ((uint32_t)(p)[2] << 16) | ((uint32_t)(p)[3] << 24))
#define EEGNN__BV_I16(p, x) (x) = (double)(int16_t)(uint16_t)((p)[0] | ((p)[1] << 8))
#define EEGNN__BV_I32(p, x) (x) = (double)(int32_t)EEGNN__BV_U32(p)
#define EEGNN__BV_F32(p, x)                                                                                      \
    do {                                                                                                         \
        uint32_t u_ = EEGNN__BV_U32(p);                                                                          \
        float f_;                                                                                                \
        memcpy(&f_, &u_, 4);                                                                                     \
        (x) = (double)f_;                                                                                        \
    } while (0)

/* One block of the file: `count` values starting at value index k0 (whole
 * frames of n_channels values when multiplexed), scaled in double as MNE's
 * _mult_cal_one, stored as float32 in data (n_channels, n_times). */
#define EEGNN__BV_BLOCK(DECODE, bps)                                                                             \
    do {                                                                                                         \
        if (vectorized) {                                                                                        \
            int64_t k = 0;                                                                                       \
            while (k < count) {                                                                                  \
                int64_t c = (k0 + k) / n_times, t = (k0 + k) % n_times, j;                                       \
                int64_t run = EEGNN__MIN(count - k, n_times - t);                                                \
                const unsigned char *p = buf + k * (bps);                                                        \
                float *o = data + c * n_times + t;                                                               \
                double sc = scale[c], x;                                                                         \
                for (j = 0; j < run; j++, p += (bps)) {                                                          \
                    DECODE(p, x);                                                                                \
                    o[j] = (float)(x * sc);                                                                      \
                }                                                                                                \
                k += run;                                                                                        \
            }                                                                                                    \
        } else {                                                                                                 \
            int64_t f, n_frames = count / nch, t0 = k0 / nch;                                                    \
            const unsigned char *p = buf;                                                                        \
            for (f = 0; f < n_frames; f++) {                                                                     \
                float *o = data + t0 + f;                                                                        \
                int c;                                                                                           \
                for (c = 0; c < nch; c++, p += (bps)) {                                                          \
                    double x;                                                                                    \
                    DECODE(p, x);                                                                                \
                    o[(int64_t)c * n_times] = (float)(x * scale[c]);                                             \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
    } while (0)

static void eegnn__bv_convert(const unsigned char *buf, int64_t count, int64_t k0, int fmt, int vectorized,
                              int nch, int64_t n_times, const double *scale, float *data) {
    if (fmt == 0)
        EEGNN__BV_BLOCK(EEGNN__BV_I16, 2);
    else if (fmt == 1)
        EEGNN__BV_BLOCK(EEGNN__BV_I32, 4);
    else
        EEGNN__BV_BLOCK(EEGNN__BV_F32, 4);
}
#undef EEGNN__BV_BLOCK
#undef EEGNN__BV_F32
#undef EEGNN__BV_I32
#undef EEGNN__BV_I16
#undef EEGNN__BV_U32

/* DataFormat=ASCII, MULTIPLEXED (MNE's text branch of _read_segment_file):
 * after SkipLines lines, one line per sample with n_channels numbers
 * separated by blanks or, when a line has no blank, by commas; with
 * DecimalSymbol "," commas are decimal points. Sets n_times and (unless
 * header_only) data. */
static eegnn_status eegnn__bv_ascii(const char *vhdr_path, const char *data_path, long skip, int comma_decimal,
                                    int nch, const double *scale, int header_only, eegnn_raw *raw) {
    char *txt = NULL, *p, *end, *line = NULL;
    size_t n = 0, cap = 0;
    int64_t n_lines = 0, t;
    long k;
    eegnn_status st = eegnn__read_file(data_path, &txt, &n);
    if (st) return st; /* the message names data_path */
    end = txt + n;
    p = txt;
    for (k = 0; k < skip && p < end; k++) {
        char *nl = (char *)memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    {
        char *q = p;
        while (q < end) {
            char *nl = (char *)memchr(q, '\n', (size_t)(end - q));
            n_lines++;
            q = nl ? nl + 1 : end;
        }
    }
    if (n_lines == 0) {
        EEGNN_FREE(txt);
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: ASCII DataFile %s has no sample lines after SkipLines=%ld",
                               vhdr_path, data_path, skip);
    }
    raw->n_times = n_lines;
    if (header_only) {
        EEGNN_FREE(txt);
        return EEGNN_OK;
    }
    raw->data = (float *)EEGNN_MALLOC((size_t)nch * (size_t)n_lines * sizeof(float));
    if (!raw->data) {
        EEGNN_FREE(txt);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", vhdr_path);
    }
    for (t = 0; t < n_lines; t++) {
        char *nl = (char *)memchr(p, '\n', (size_t)(end - p)), *q, *s2;
        size_t len = (size_t)((nl ? nl : end) - p), i;
        int c = 0, blank = 0, sep;
        if (len + 1 > cap) {
            char *nb = (char *)EEGNN_REALLOC(line, len + 1);
            if (!nb) {
                st = eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", vhdr_path);
                goto done;
            }
            line = nb;
            cap = len + 1;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        for (i = 0; i < len; i++) {
            if (comma_decimal && line[i] == ',') line[i] = '.';
            if (line[i] == ' ' || line[i] == '\t') blank = 1;
        }
        s2 = eegnn__bv_strip(line);
        sep = blank ? ' ' : ',';
        q = s2;
        while (*q) {
            char *f;
            double v;
            if (sep == ' ')
                while (*q == ' ' || *q == '\t') q++;
            if (!*q) break;
            f = q;
            while (*q && (sep == ' ' ? (*q != ' ' && *q != '\t') : *q != ',')) q++;
            if (*q) *q++ = '\0';
            if (c >= nch) {
                c++;
                continue;
            }
            if (!eegnn__parse_double(f, &v)) {
                st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: ASCII DataFile %s line %lld: '%.32s' is not a number",
                                     vhdr_path, data_path, (long long)(t + 1 + skip), f);
                goto done;
            }
            raw->data[(int64_t)c * n_lines + t] = (float)(v * scale[c]);
            c++;
        }
        if (c != nch) {
            st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: ASCII DataFile %s line %lld has %d values, expected %d (NumberOfChannels)",
                                 vhdr_path, data_path, (long long)(t + 1 + skip), c, nch);
            goto done;
        }
        p = nl ? nl + 1 : end;
    }
done:
    EEGNN_FREE(line);
    EEGNN_FREE(txt);
    return st;
}

/* The settings of a .vhdr's [Common Infos], [Binary Infos] and [ASCII Infos]. */
typedef struct eegnn__bv_header {
    int ascii, vectorized, comma_decimal;
    int fmt;          /* 0 INT_16, 1 INT_32, 2 IEEE_FLOAT_32 (and ASCII) */
    long skip_lines;  /* ASCII */
    double si;        /* sampling interval, microseconds */
    long nch;
    char *data_path, *mrk_path; /* resolved against the header's directory */
} eegnn__bv_header;

static const char *const eegnn__bv_fmt_names[3] = {"INT_16", "INT_32", "IEEE_FLOAT_32"};

/* Reads the data format, orientation, sampling interval, channel count and
 * file names of the header (ini parsed) into h. */
static eegnn_status eegnn__bv_header_read(const char *vhdr_path, const eegnn__bv_ini *ini, eegnn__bv_header *h) {
    const eegnn__bv_entry *en;
    const char *cinfo = "Common Infos";
    char *dir;
    int i, n_ch_entries = 0;
    memset(h, 0, sizeof *h);
    h->fmt = -1;
    if (!eegnn__bv_has_section(ini, cinfo)) cinfo = "Common infos";
    if (!eegnn__bv_has_section(ini, cinfo))
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no [Common Infos] section", vhdr_path);
#define EEGNN__BV_NEED(sec, key, label)                                                                          \
    if (!(en = eegnn__bv_get(ini, sec, key)))                                                                    \
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: [%s] has no %s entry", vhdr_path, sec, label);
    EEGNN__BV_NEED(cinfo, "dataformat", "DataFormat");
    if (strcmp(en->value, "ASCII") == 0)
        h->ascii = 1;
    else if (strcmp(en->value, "BINARY") != 0)
        return eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: line %d: DataFormat=%s is not supported (BINARY or ASCII)",
                               vhdr_path, en->line, en->value);
    EEGNN__BV_NEED(cinfo, "dataorientation", "DataOrientation");
    if (strcmp(en->value, "MULTIPLEXED") == 0)
        h->vectorized = 0;
    else if (strcmp(en->value, "VECTORIZED") == 0)
        h->vectorized = 1;
    else
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d: DataOrientation '%s' is not MULTIPLEXED or VECTORIZED",
                               vhdr_path, en->line, en->value);
    if (h->ascii) {
        if (h->vectorized)
            return eegnn_set_error(EEGNN_ERR_UNSUPPORTED,
                                   "%s: DataFormat=ASCII with DataOrientation=VECTORIZED is not supported", vhdr_path);
        if ((en = eegnn__bv_get(ini, "ASCII Infos", "skiplines")) &&
            (!eegnn__parse_long(en->value, &h->skip_lines) || h->skip_lines < 0))
            return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d: SkipLines '%s' is not a line count", vhdr_path,
                                   en->line, en->value);
        en = eegnn__bv_get(ini, "ASCII Infos", "decimalsymbol");
        h->comma_decimal = en && strcmp(en->value, ".") != 0;
        h->fmt = 2;
    } else {
        EEGNN__BV_NEED("Binary Infos", "binaryformat", "BinaryFormat");
        for (i = 0; i < 3; i++)
            if (strcmp(en->value, eegnn__bv_fmt_names[i]) == 0) h->fmt = i;
        if (h->fmt < 0)
            return eegnn_set_error(EEGNN_ERR_FORMAT,
                                   "%s: line %d: BinaryFormat '%s' is not INT_16, INT_32 or IEEE_FLOAT_32", vhdr_path,
                                   en->line, en->value);
    }
    if ((en = eegnn__bv_get(ini, "Binary Infos", "usebigendianorder")) && eegnn__bv_ieq(en->value, "yes"))
        return eegnn_set_error(EEGNN_ERR_UNSUPPORTED, "%s: line %d: UseBigEndianOrder=YES is not supported",
                               vhdr_path, en->line);
    EEGNN__BV_NEED(cinfo, "samplinginterval", "SamplingInterval");
    if (!eegnn__parse_double(en->value, &h->si) || !(h->si > 0) || !(1e6 / h->si <= 1e9) || !(1e6 / h->si >= 1e-6))
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: line %d: SamplingInterval '%s' is not a sampling interval in microseconds "
                               "(a number giving 1e-6..1e9 Hz)",
                               vhdr_path, en->line, en->value);
    for (i = 0; i < ini->n; i++) n_ch_entries += strcmp(ini->e[i].section, "Channel Infos") == 0;
    EEGNN__BV_NEED(cinfo, "numberofchannels", "NumberOfChannels");
    if (!eegnn__parse_long(en->value, &h->nch) || h->nch < 1 || h->nch > 1000000)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d: NumberOfChannels '%s' is not a channel count (1..1000000)",
                               vhdr_path, en->line, en->value);
    if (h->nch > n_ch_entries) {
        /* some Ch<k>, k <= n_ch_entries + 1, is missing: name the first */
        int k, missing = n_ch_entries + 1;
        int *seen = (int *)eegnn__calloc((size_t)n_ch_entries + 2, sizeof(int));
        if (!seen) return EEGNN_ERR_MEMORY;
        for (i = 0; i < ini->n; i++) {
            long c = eegnn__bv_ch_number(ini->e[i].key);
            if (strcmp(ini->e[i].section, "Channel Infos") == 0 && c >= 1 && c <= n_ch_entries + 1) seen[c] = 1;
        }
        for (k = n_ch_entries + 1; k >= 1; k--)
            if (!seen[k]) missing = k;
        EEGNN_FREE(seen);
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: [Channel Infos] has no entry Ch%d (NumberOfChannels=%ld, %d Ch<n> entries)",
                               vhdr_path, missing, h->nch, n_ch_entries);
    }
    EEGNN__BV_NEED(cinfo, "datafile", "DataFile");
    {
        const char *slash = strrchr(vhdr_path, '/');
        dir = slash ? eegnn__strndup(vhdr_path, (size_t)(slash - vhdr_path) + 1) : eegnn__strdup("");
        if (!dir) return EEGNN_ERR_MEMORY;
    }
    h->data_path = en->value[0] == '/' || !dir[0] ? eegnn__strdup(en->value) : eegnn__path_join(dir, en->value);
    if (!(en = eegnn__bv_get(ini, cinfo, "markerfile"))) {
        EEGNN_FREE(dir);
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: [%s] has no MarkerFile entry", vhdr_path, cinfo);
    }
#undef EEGNN__BV_NEED
    h->mrk_path = en->value[0] == '/' || !dir[0] ? eegnn__strdup(en->value) : eegnn__path_join(dir, en->value);
    EEGNN_FREE(dir);
    if (!h->data_path || !h->mrk_path) return EEGNN_ERR_MEMORY;
    return EEGNN_OK;
}

/* [Channel Infos] Ch<n>=<Name>,<Reference>,<Resolution>,<Unit>,... into
 * raw's names, units and per-channel rates and scale (nch) (the factor
 * from stored values to volts); [Coordinates] and the names give the
 * channel types as MNE does. */
static eegnn_status eegnn__bv_channels(const char *vhdr_path, eegnn__bv_ini *ini, long nch, eegnn_raw *raw,
                                       double *scale) {
    double *radius = (double *)eegnn__calloc((size_t)nch, sizeof(double));
    int *seen = (int *)eegnn__calloc((size_t)nch, sizeof(int));
    eegnn_status st = EEGNN_OK;
    int i;
    if (!radius || !seen) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    for (i = 0; i < ini->n; i++) {
        eegnn__bv_entry *e = &ini->e[i];
        char *props[4] = {NULL, NULL, NULL, NULL}, *q;
        int np = 0;
        long c;
        double res;
        if (strcmp(e->section, "Channel Infos") != 0) continue;
        c = eegnn__bv_ch_number(e->key);
        if (c < 1 || c > nch) {
            st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d: [Channel Infos] key '%s' is not Ch<n> with n in 1..%ld",
                                 vhdr_path, e->line, e->key, nch);
            goto done;
        }
        if (seen[c - 1]) {
            st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d: duplicate [Channel Infos] entry Ch%ld", vhdr_path,
                                 e->line, c);
            goto done;
        }
        seen[c - 1] = 1;
        q = e->value;
        for (;;) {
            char *comma = strchr(q, ',');
            if (np < 4) props[np] = q;
            np++;
            if (!comma) break;
            *comma = '\0';
            q = comma + 1;
        }
        if (np < 3) {
            st = eegnn_set_error(EEGNN_ERR_FORMAT,
                                 "%s: line %d: Ch%ld has %d fields, expected <Name>,<Reference>,<Resolution>[,<Unit>]",
                                 vhdr_path, e->line, c, np);
            goto done;
        }
        if (np < 4 || props[3][0] == '\0') props[3] = (char *)"\xc2\xb5V";
        res = 1.0;
        if (props[2][0] && (!eegnn__parse_double(props[2], &res) || !(fabs(res) < 1e300))) {
            st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: line %d: Ch%ld resolution '%s' is not a number", vhdr_path,
                                 e->line, c, props[2]);
            goto done;
        }
        eegnn__bv_unescape(props[0]);
        raw->ch_names[c - 1] = eegnn__strdup(props[0]);
        raw->ch_units[c - 1] = eegnn__strdup(props[3]);
        if (!raw->ch_names[c - 1] || !raw->ch_units[c - 1]) {
            st = EEGNN_ERR_MEMORY;
            goto done;
        }
        eegnn__bv_drop_c2(raw->ch_units[c - 1]);
        scale[c - 1] = res * eegnn__bv_unit_scale(raw->ch_units[c - 1]);
        raw->ch_sfreq[c - 1] = raw->sfreq;
    }
    for (i = 0; i < nch; i++) {
        if (!seen[i]) {
            st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: [Channel Infos] has no entry Ch%d (NumberOfChannels=%ld)",
                                 vhdr_path, i + 1, nch);
            goto done;
        }
        radius[i] = NAN;
    }
    /* [Coordinates] Ch<n>=<Radius>,<Theta>,<Phi>: radius 0 means no position */
    for (i = 0; i < ini->n; i++) {
        long c;
        double r;
        char tmp[64];
        size_t k = 0;
        if (strcmp(ini->e[i].section, "Coordinates") != 0) continue;
        c = eegnn__bv_ch_number(ini->e[i].key);
        if (c < 1 || c > nch) continue;
        while (ini->e[i].value[k] && ini->e[i].value[k] != ',' && k < sizeof tmp - 1) {
            tmp[k] = ini->e[i].value[k];
            k++;
        }
        tmp[k] = '\0';
        if (eegnn__parse_double(tmp, &r)) radius[c - 1] = r;
    }
    for (i = 0; i < nch && st == EEGNN_OK; i++) {
        const char *nm = raw->ch_names[i], *type = "eeg";
        if (!strcmp(nm, "HEOGL") || !strcmp(nm, "HEOGR") || !strcmp(nm, "VEOGb"))
            type = "eog";
        else if (!eegnn__bv_is_voltage(raw->ch_units[i]) || radius[i] == 0.0)
            type = "misc";
        else if (!strcmp(nm, "STI 014"))
            type = "stim";
        if (!(raw->ch_types[i] = eegnn__strdup(type))) st = EEGNN_ERR_MEMORY;
    }
    /* misc by name applies to every channel of that name, as MNE's name lists */
    for (i = 0; i < nch && st == EEGNN_OK; i++) {
        int j;
        if (strcmp(raw->ch_types[i], "misc") != 0) continue;
        for (j = 0; j < nch; j++) {
            if (j == i || strcmp(raw->ch_names[j], raw->ch_names[i]) != 0) continue;
            if (!strcmp(raw->ch_types[j], "eeg") || !strcmp(raw->ch_types[j], "stim")) {
                EEGNN_FREE(raw->ch_types[j]);
                if (!(raw->ch_types[j] = eegnn__strdup("misc"))) st = EEGNN_ERR_MEMORY;
            }
        }
    }
done:
    EEGNN_FREE(radius);
    EEGNN_FREE(seen);
    return st;
}

/* The binary DataFile: its size gives n_times; unless header_only, one pass
 * with a block buffer converts it into raw->data. */
static eegnn_status eegnn__bv_binary(const char *vhdr_path, const eegnn__bv_header *h, const double *scale,
                                     int header_only, eegnn_raw *raw) {
    int bps = h->fmt == 0 ? 2 : 4;
    int64_t fsize, frame = (int64_t)h->nch * bps;
    unsigned char *buf = NULL;
    eegnn_status st = EEGNN_OK;
    FILE *fp = fopen(h->data_path, "rb");
    if (!fp)
        return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot open DataFile %s: %s", vhdr_path, h->data_path,
                               strerror(errno));
    fsize = eegnn__raw_file_size(fp);
    if (fsize < 0 || eegnn__raw_seek(fp, 0) != 0) {
        st = eegnn_set_error(EEGNN_ERR_IO, "%s: cannot read DataFile %s", vhdr_path, h->data_path);
    } else if (fsize == 0 || fsize % frame != 0) {
        st = eegnn_set_error(EEGNN_ERR_FORMAT,
                             "%s: DataFile %s is truncated or empty: %lld bytes is not a whole number of samples of "
                             "%ld channels x %d bytes (BinaryFormat=%s)",
                             vhdr_path, h->data_path, (long long)fsize, h->nch, bps, eegnn__bv_fmt_names[h->fmt]);
    } else {
        raw->n_times = fsize / frame;
    }
    if (st == EEGNN_OK && !header_only) {
        int64_t total = fsize / bps, k0 = 0;
        int64_t block = ((int64_t)1 << 20) / bps;
        if (!h->vectorized) block = EEGNN__MAX(1, block / h->nch) * h->nch;
        raw->data = (float *)EEGNN_MALLOC((size_t)h->nch * (size_t)raw->n_times * sizeof(float));
        buf = (unsigned char *)EEGNN_MALLOC((size_t)block * (size_t)bps);
        if (!raw->data || !buf) st = EEGNN_ERR_MEMORY;
        while (st == EEGNN_OK && k0 < total) {
            int64_t cnt = EEGNN__MIN(block, total - k0);
            if (fread(buf, (size_t)bps, (size_t)cnt, fp) != (size_t)cnt) {
                st = eegnn_set_error(EEGNN_ERR_IO, "%s: DataFile %s: read failed at byte %lld", vhdr_path,
                                     h->data_path, (long long)(k0 * bps));
                break;
            }
            eegnn__bv_convert(buf, cnt, k0, h->fmt, h->vectorized, (int)h->nch, raw->n_times, scale, raw->data);
            k0 += cnt;
        }
    }
    EEGNN_FREE(buf);
    fclose(fp);
    return st;
}

/* The MarkerFile's annotations (onsets relative to the first sample) and
 * the recording's date into raw. */
static eegnn_status eegnn__bv_annotations(const char *vhdr_path, const char *mrk_path, eegnn_raw *raw) {
    eegnn__ann_list anns;
    double orig_time = NAN, meas_date = NAN;
    eegnn_status st;
    int i;
    memset(&anns, 0, sizeof anns);
    if ((st = eegnn__bv_markers(mrk_path, raw->sfreq, &anns, &meas_date, &orig_time))) goto fail;
    raw->meas_date = meas_date;
    if (orig_time == orig_time) {
        if (meas_date != meas_date) {
            st = eegnn_set_error(EEGNN_ERR_FORMAT,
                            "%s: MarkerFile %s: the annotations have a date but the recording has no New Segment "
                            "date",
                            vhdr_path, mrk_path);
            goto fail;
        }
        for (i = 0; i < anns.n; i++) anns.a[i].onset += orig_time - meas_date;
    }
    if (eegnn__ann_sort(&anns)) {
        st = eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", vhdr_path);
        goto fail;
    }
    eegnn__ann_crop(&anns, raw->n_times, raw->sfreq);
    raw->annotations = anns.a;
    raw->n_annotations = anns.n;
    return EEGNN_OK;
fail:
    for (i = 0; i < anns.n; i++) EEGNN_FREE(anns.a[i].description);
    EEGNN_FREE(anns.a);
    EEGNN_FREE(anns.order);
    return st;
}

EEGNN_API eegnn_raw *eegnn_read_brainvision(const char *vhdr_path, const eegnn_read_options *opts) {
    eegnn_raw *raw = NULL;
    char *txt = NULL, *params, *nl, *cm;
    size_t n = 0;
    eegnn__bv_ini ini;
    eegnn__bv_header h;
    double *scale = NULL;
    int header_only = opts && opts->header_only;
    eegnn_status st;

    memset(&ini, 0, sizeof ini);
    memset(&h, 0, sizeof h);
    if (!vhdr_path) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_read_brainvision: path is NULL");
        return NULL;
    }
    if ((st = eegnn__bv_read_text(vhdr_path, "header", &txt, &n))) return NULL;
    /* the first line is the format identification; [Comment] ends the settings */
    nl = strchr(txt, '\n');
    params = nl ? nl + 1 : txt + n;
    if ((cm = strstr(params, "[Comment]")) != NULL) *cm = '\0';
    if ((st = eegnn__bv_ini_parse(params, 2, &ini)) || (st = eegnn__bv_header_read(vhdr_path, &ini, &h))) goto fail;

    raw = (eegnn_raw *)eegnn__calloc(1, sizeof *raw);
    if (!raw) goto oom;
    raw->meas_date = NAN;
    raw->path = eegnn__strdup(vhdr_path);
    raw->format = eegnn__strdup("BrainVision");
    raw->n_channels = (int)h.nch;
    raw->ch_names = (char **)eegnn__calloc((size_t)h.nch, sizeof(char *));
    raw->ch_units = (char **)eegnn__calloc((size_t)h.nch, sizeof(char *));
    raw->ch_types = (char **)eegnn__calloc((size_t)h.nch, sizeof(char *));
    raw->ch_sfreq = (double *)eegnn__calloc((size_t)h.nch, sizeof(double));
    scale = (double *)eegnn__calloc((size_t)h.nch, sizeof(double));
    if (!raw->path || !raw->format || !raw->ch_names || !raw->ch_units || !raw->ch_types || !raw->ch_sfreq || !scale)
        goto oom;
    raw->sfreq = 1e6 / h.si;
    if ((st = eegnn__bv_channels(vhdr_path, &ini, h.nch, raw, scale))) goto fail;
    if ((st = eegnn__raw_unique_names(vhdr_path, raw->ch_names, (int)h.nch))) goto fail;
    if (h.ascii)
        st = eegnn__bv_ascii(vhdr_path, h.data_path, h.skip_lines, h.comma_decimal, (int)h.nch, scale, header_only,
                             raw);
    else
        st = eegnn__bv_binary(vhdr_path, &h, scale, header_only, raw);
    if (st || (st = eegnn__bv_annotations(vhdr_path, h.mrk_path, raw))) goto fail;
    goto done;

oom:
    st = EEGNN_ERR_MEMORY;
fail:
    if (st == EEGNN_ERR_MEMORY) eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", vhdr_path);
    eegnn_raw_free(raw);
    raw = NULL;
done:
    EEGNN_FREE(txt);
    EEGNN_FREE(ini.e);
    EEGNN_FREE(h.data_path);
    EEGNN_FREE(h.mrk_path);
    EEGNN_FREE(scale);
    return raw;
}
