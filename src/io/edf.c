/* EDF/EDF+/BDF/BDF+ reader and BDF writer (see edf.h for what matches MNE). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* One signal as described by the header. */
typedef struct eegnn__edf_sig {
    char *label;         /* UTF-8, whitespace stripped */
    char *unit;          /* UTF-8, whitespace stripped */
    double pmin, pmax, dmin, dmax;
    int64_t ns;          /* samples per record */
    int64_t offset;      /* first sample of this signal within a record */
    int is_tal;          /* "EDF Annotations" / "BDF Annotations" */
} eegnn__edf_sig;

#define EEGNN__EDF_MAX_NS ((int64_t)1 << 30)

static int eegnn__edf_isspace(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Copies a fixed-width field up to its first NUL, stripped of ASCII blanks
 * (Python's _edf_str(...).strip()). out must hold len + 1 bytes. */
static void eegnn__edf_field(const unsigned char *hdr, size_t off, size_t len, char *out) {
    size_t n = 0, a = 0, b;
    while (n < len && hdr[off + n] != 0) n++;
    while (a < n && eegnn__edf_isspace(hdr[off + a])) a++;
    b = n;
    while (b > a && eegnn__edf_isspace(hdr[off + b - 1])) b--;
    memcpy(out, hdr + off + a, b - a);
    out[b - a] = '\0';
}

/* Printable copy of a field for error messages. */
static const char *eegnn__edf_show(char *s) {
    char *p;
    for (p = s; *p; p++)
        if ((unsigned char)*p < 32 || (unsigned char)*p > 126) *p = '?';
    return s;
}

static eegnn_status eegnn__edf_int(const char *path, const unsigned char *hdr, size_t off, size_t len,
                                   const char *what, int64_t *out) {
    char buf[96], *end;
    long long v;
    eegnn__edf_field(hdr, off, len, buf);
    errno = 0;
    v = buf[0] ? strtoll(buf, &end, 10) : 0;
    if (!buf[0] || *end || errno == ERANGE)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: header byte %zu (%s): '%s' is not an integer", path, off,
                               what, eegnn__edf_show(buf));
    *out = (int64_t)v;
    return EEGNN_OK;
}

static eegnn_status eegnn__edf_num(const char *path, const unsigned char *hdr, size_t off, size_t len,
                                   const char *what, double *out) {
    char buf[96], *end, *p;
    double v;
    eegnn__edf_field(hdr, off, len, buf);
    for (p = buf; *p; p++)
        if (*p == ',') *p = '.';
    v = buf[0] && !strpbrk(buf, "xXpP") ? strtod(buf, &end) : 0.0;
    if (!buf[0] || strpbrk(buf, "xXpP") || *end || !(v == v) || v > 1e300 || v < -1e300)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: header byte %zu (%s): '%s' is not a finite number", path,
                               off, what, eegnn__edf_show(buf));
    *out = v;
    return EEGNN_OK;
}

/* Latin-1 bytes to a new UTF-8 string. */
static char *eegnn__edf_latin1(const char *s) {
    size_t n = strlen(s), i, j = 0;
    char *d = (char *)eegnn__calloc(2 * n + 1, 1);
    if (!d) return NULL;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            d[j++] = (char)c;
        } else {
            d[j++] = (char)(0xC0 | (c >> 6));
            d[j++] = (char)(0x80 | (c & 0x3F));
        }
    }
    return d;
}

/* A label or unit as MNE reads it: the raw bytes stripped of ASCII blanks
 * (bytes.strip()), decoded as Latin-1; returned as a new UTF-8 string. */
static char *eegnn__edf_strip_latin1(const unsigned char *p, size_t len) {
    char tmp[96];
    size_t a = 0, b = len;
    while (a < b && eegnn__edf_isspace(p[a])) a++;
    while (b > a && eegnn__edf_isspace(p[b - 1])) b--;
    memcpy(tmp, p + a, b - a);
    tmp[b - a] = '\0';
    return eegnn__edf_latin1(tmp);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t eegnn__days_from_civil(int64_t y, int64_t m, int64_t d) {
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int eegnn__edf_digits(const char *s, int n) {
    int i;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* Start date/time as MNE derives it: the EDF+ "Startdate dd-MMM-yyyy" of the
 * recording field when it has exactly 5 fields, else the dd.mm.yy field
 * (yy < 85: 20yy); NaN when invalid. */
static double eegnn__edf_meas_date(const unsigned char *hdr) {
    static const char *months[12] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char rec[81], date[9], tim[9];
    int nf = 1, i, year = -1, month = 0, day = 0, hh, mm, ss;
    size_t n = 80;
    memcpy(rec, hdr + 88, 80);
    rec[80] = '\0';
    while (n > 0 && eegnn__edf_isspace((unsigned char)rec[n - 1])) n--;
    rec[n] = '\0';
    for (i = 0; i < (int)n; i++) nf += rec[i] == ' ';
    if (nf == 5) {
        const char *f = (const char *)memchr(rec, ' ', n) + 1;
        const char *e = (const char *)memchr(f, ' ', n - (size_t)(f - rec));
        int len = (int)(e - f), dl = 0;
        if (len >= 10 && f[0] >= '0' && f[0] <= '9') {
            dl = (f[1] >= '0' && f[1] <= '9') ? 2 : 1;
            if (len == dl + 9 && f[dl] == '-' && f[dl + 4] == '-' && eegnn__edf_digits(f + dl + 5, 4)) {
                day = dl == 2 ? (f[0] - '0') * 10 + (f[1] - '0') : f[0] - '0';
                for (i = 0; i < 12; i++) {
                    int k, ok = 1;
                    for (k = 0; k < 3; k++) {
                        char c = f[dl + 1 + k];
                        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
                        if (c != months[i][k]) ok = 0;
                    }
                    if (ok) month = i + 1;
                }
                year = atoi(f + dl + 5);
                if (!month || day < 1 || day > mdays[month - 1] ||
                    (month == 2 && day == 29 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)))
                    year = -1;
            }
        }
    }
    if (year < 0) {
        memcpy(date, hdr + 168, 8);
        date[8] = '\0';
        if (date[2] != '.' || date[5] != '.' || !eegnn__edf_digits(date, 2) || !eegnn__edf_digits(date + 3, 2) ||
            !eegnn__edf_digits(date + 6, 2))
            return NAN;
        day = atoi(date);
        month = atoi(date + 3);
        year = atoi(date + 6);
        year += year < 85 ? 2000 : 1900;
    }
    memcpy(tim, hdr + 176, 8);
    tim[8] = '\0';
    if (tim[2] != '.' || tim[5] != '.' || !eegnn__edf_digits(tim, 2) || !eegnn__edf_digits(tim + 3, 2) ||
        !eegnn__edf_digits(tim + 6, 2))
        return NAN;
    hh = atoi(tim);
    mm = atoi(tim + 3);
    ss = atoi(tim + 6);
    if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1] || hh > 23 || mm > 59 || ss > 59) return NAN;
    if (month == 2 && day == 29 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return NAN;
    return (double)eegnn__days_from_civil(year, month, day) * 86400.0 + hh * 3600.0 + mm * 60.0 + ss;
}

/* ---- TAL parsing (EDF+ section 2.2), as MNE's regular expression
 * '([+-]\d+\.?\d*)(\x15(\d+\.?\d*))?(\x14.*?)\x14\x00' scans the bytes. ---- */
typedef struct eegnn__tal {
    size_t onset_at, onset_len;  /* the onset text */
    size_t dur_at, dur_len;      /* duration text (dur_len 0: none) */
    size_t text_at, text_len;    /* from the first \x14 up to the closing \x14 */
    size_t end;                  /* one past the closing \x00 */
} eegnn__tal;

static int eegnn__isdigit(unsigned char c) { return c >= '0' && c <= '9'; }

static size_t eegnn__tal_number(const unsigned char *s, size_t n, size_t i) {
    size_t j = i;
    if (j >= n || !eegnn__isdigit(s[j])) return 0;
    while (j < n && eegnn__isdigit(s[j])) j++;
    if (j < n && s[j] == '.') j++;
    while (j < n && eegnn__isdigit(s[j])) j++;
    return j - i;
}

static int eegnn__tal_match(const unsigned char *s, size_t n, size_t i, eegnn__tal *t) {
    size_t len, p, q;
    if (i >= n || (s[i] != '+' && s[i] != '-')) return 0;
    len = eegnn__tal_number(s, n, i + 1);
    if (!len) return 0;
    t->onset_at = i;
    t->onset_len = len + 1;
    p = i + 1 + len;
    t->dur_at = t->dur_len = 0;
    if (p < n && s[p] == 0x15) {
        len = eegnn__tal_number(s, n, p + 1);
        if (!len) return 0;
        t->dur_at = p + 1;
        t->dur_len = len;
        p += 1 + len;
    }
    if (p >= n || s[p] != 0x14) return 0;
    for (q = p + 1; q < n; q++) {
        if (s[q] == 0x14 && q + 1 < n && s[q + 1] == 0) break;
        if (s[q] == '\n') return 0;
    }
    if (q >= n) return 0;
    t->text_at = p;
    t->text_len = q - p;
    t->end = q + 2;
    return 1;
}

static double eegnn__tal_double(const unsigned char *s, size_t at, size_t len) {
    char buf[64];
    if (len >= sizeof buf) {
        /* a number this long is out of any sensible range; strtod still reads it */
        char *big = (char *)EEGNN_MALLOC(len + 1);
        double v;
        if (!big) return NAN;
        memcpy(big, s + at, len);
        big[len] = '\0';
        v = strtod(big, NULL);
        EEGNN_FREE(big);
        return v;
    }
    memcpy(buf, s + at, len);
    buf[len] = '\0';
    return strtod(buf, NULL);
}

/* Strict UTF-8 check (what Python's bytes.decode('utf-8') accepts).
 * Returns the offset of the first invalid byte, or n. */
static size_t eegnn__utf8_check(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k, len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + len > n) return i;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += len;
    }
    return n;
}

/* MNE's _read_annotations_edf on the concatenated annotation bytes. */
static eegnn_status eegnn__tal_parse(const char *path, const unsigned char *s, size_t n, eegnn__ann_list *out) {
    size_t i = 0, bad = eegnn__utf8_check(s, n);
    double offset = 0.0;
    long k = 0;
    if (bad < n)
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: annotation signal byte %zu: invalid UTF-8 in the annotations (TAL) text",
                               path, bad);
    while (i < n) {
        eegnn__tal t;
        size_t p, e;
        double onset, dur;
        if (!eegnn__tal_match(s, n, i, &t)) {
            i++;
            continue;
        }
        onset = eegnn__tal_double(s, t.onset_at, t.onset_len);
        dur = t.dur_len ? eegnn__tal_double(s, t.dur_at, t.dur_len) : 0.0;
        if (!(fabs(onset) < 1e12) || !(dur < 1e12))
            return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: annotation signal byte %zu: onset or duration out of range",
                                   path, t.onset_at);
        onset += offset;
        /* descriptions: the pieces between \x14 separators after the first */
        p = t.text_at + 1;
        e = t.text_at + t.text_len;
        for (;;) {
            size_t q = p;
            while (q < e && s[q] != 0x14) q++;
            if (q > p) {
                eegnn_status st = eegnn__ann_push(out, onset, dur, s + p, q - p);
                if (st) return st;
            } else if (k == 0) {
                offset = -onset;
            }
            if (q >= e) break;
            p = q + 1;
        }
        k++;
        i = t.end;
    }
    return EEGNN_OK;
}

/* ---- resampling of slower channels (MNE 1.3 _read_segment_file) ---- */
typedef struct eegnn__edf_resampler {
    int64_t n, L;         /* samples in, samples out per record */
    double *cn, *sn;      /* (n) cos/sin(2 pi m / n) */
    double *cl, *sl;      /* (L) cos/sin(2 pi m / L) */
    double *xr, *xi;      /* (n / 2 + 1) spectrum */
} eegnn__edf_resampler;

static void eegnn__resampler_free(eegnn__edf_resampler *r) {
    EEGNN_FREE(r->cn);
    EEGNN_FREE(r->sn);
    EEGNN_FREE(r->cl);
    EEGNN_FREE(r->sl);
    EEGNN_FREE(r->xr);
    EEGNN_FREE(r->xi);
    memset(r, 0, sizeof *r);
}

static eegnn_status eegnn__resampler_init(eegnn__edf_resampler *r, int64_t n, int64_t L) {
    int64_t m;
    const double two_pi = 6.283185307179586476925286766559;
    memset(r, 0, sizeof *r);
    r->n = n;
    r->L = L;
    r->cn = (double *)eegnn__calloc((size_t)n, sizeof(double));
    r->sn = (double *)eegnn__calloc((size_t)n, sizeof(double));
    r->cl = (double *)eegnn__calloc((size_t)L, sizeof(double));
    r->sl = (double *)eegnn__calloc((size_t)L, sizeof(double));
    r->xr = (double *)eegnn__calloc((size_t)(n / 2 + 1), sizeof(double));
    r->xi = (double *)eegnn__calloc((size_t)(n / 2 + 1), sizeof(double));
    if (!r->cn || !r->sn || !r->cl || !r->sl || !r->xr || !r->xi) {
        eegnn__resampler_free(r);
        return EEGNN_ERR_MEMORY;
    }
    for (m = 0; m < n; m++) {
        r->cn[m] = cos(two_pi * (double)m / (double)n);
        r->sn[m] = sin(two_pi * (double)m / (double)n);
    }
    for (m = 0; m < L; m++) {
        r->cl[m] = cos(two_pi * (double)m / (double)L);
        r->sl[m] = sin(two_pi * (double)m / (double)L);
    }
    return EEGNN_OK;
}

/* mne.filter.resample(x, L, n, npad=0, window='boxcar') for L > n:
 * y = irfft(rfft(x) * L / n, L), with the input's Nyquist bin halved when n
 * is even. x: (n), y: (L). */
static void eegnn__resample_record(eegnn__edf_resampler *r, const double *x, float *y) {
    int64_t n = r->n, L = r->L, K = n / 2, k, j, t;
    for (k = 0; k <= K; k++) {
        double re = 0.0, im = 0.0;
        int64_t idx = 0;
        for (j = 0; j < n; j++) {
            re += x[j] * r->cn[idx];
            im -= x[j] * r->sn[idx];
            idx += k;
            if (idx >= n) idx -= n;
        }
        if (n % 2 == 0 && k == K && k > 0) {
            re *= 0.5;
            im *= 0.5;
        }
        r->xr[k] = re;
        r->xi[k] = im;
    }
    for (t = 0; t < L; t++) {
        double acc = r->xr[0];
        int64_t idx = 0;
        for (k = 1; k <= K; k++) {
            idx += t;
            idx %= L;
            acc += 2.0 * (r->xr[k] * r->cl[idx] - r->xi[k] * r->sl[idx]);
        }
        y[t] = (float)(acc / (double)n);
    }
}

/* ---- the reader ---- */
typedef struct eegnn__edf_reader {
    const char *path;
    FILE *fp;
    int bps;                   /* bytes per sample: 2 (EDF) or 3 (BDF) */
    int nsig;
    eegnn__edf_sig *sig;
    int64_t rec_samples;       /* samples per record, all signals */
    int64_t rec_bytes;
    int64_t n_records;
    int64_t header_bytes;
    double rec_len;            /* seconds */
    /* filled by the steps of eegnn__edf_read */
    unsigned char fixed[256];  /* the fixed header */
    int64_t file_size;
    int n_data, n_tal;         /* data and annotation signals */
    int *data_idx, *tal_idx;   /* (n_data), (n_tal): their signal indices */
    int stim_status, stim_trigger; /* data channels named Status / Trigger, or -1 */
    double *cal, *off, *gain;  /* (n_data): physical = (digital * cal + off) * gain */
    int64_t buf_len;           /* samples per record at sfreq */
    unsigned char **tal_bytes; /* (n_tal): each annotation signal's bytes, record by record */
} eegnn__edf_reader;

static int32_t eegnn__edf_sample(const unsigned char *p, int bps) {
    if (bps == 2) return (int32_t)(int16_t)(uint16_t)(p[0] | (p[1] << 8));
    {
        int32_t v = (int32_t)(p[0] | (p[1] << 8) | ((uint32_t)p[2] << 16));
        if (v >= (1 << 23)) v -= (1 << 24);
        return v;
    }
}

/* Decodes the n samples of one data channel in one record (sp: bps-byte
 * little-endian integers) into y (buf_len floats): physical value
 * (digital * cal + off) * gain; stim channels masked at the full rate or held
 * (zero order) when slower, other slower channels FFT-resampled. xbuf holds
 * buf_len doubles; rs is the channel's resampler (set up on first use). */
static eegnn_status eegnn__edf_decode(const unsigned char *sp, int bps, int64_t n, double cal, double off,
                                      double gain, int stim, int64_t buf_len, double *xbuf,
                                      eegnn__edf_resampler *rs, float *y) {
    int64_t j;
    eegnn_status st;
    if (n == buf_len && !stim) {
        /* the common case, in one pass: same operations as below */
        if (bps == 3) {
            for (j = 0; j < n; j++) {
                const unsigned char *p = sp + 3 * j;
                int32_t d = (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16));
                double v;
                d = (d ^ 0x800000) - 0x800000;
                v = (double)d * cal;
                v += off;
                y[j] = (float)(v * gain);
            }
        } else {
            for (j = 0; j < n; j++) {
                const unsigned char *p = sp + 2 * j;
                double v = (double)(int16_t)(uint16_t)(p[0] | (p[1] << 8)) * cal;
                v += off;
                y[j] = (float)(v * gain);
            }
        }
        return EEGNN_OK;
    }
    for (j = 0; j < n; j++) {
        double v = (double)eegnn__edf_sample(sp + j * bps, bps) * cal;
        v += off;
        xbuf[j] = v * gain;
    }
    if (n == buf_len) {
        for (j = 0; j < n; j++) {
            double v = xbuf[j];
            if (stim) {
                int64_t iv = (v == v && fabs(v) < 9.2e18) ? (int64_t)v : 0;
                v = (double)(iv & ((1 << 17) - 1));
            }
            y[j] = (float)v;
        }
    } else if (stim) {
        /* scipy interp1d(kind='zero') from linspace(0, 1, n + 1) to
         * linspace(0, 1, buf_len, endpoint=False) */
        double step_old = 1.0 / (double)n, step_new = 1.0 / (double)buf_len;
        for (j = 0; j < buf_len; j++) {
            double t = (double)j * step_new;
            int64_t q = j * n / buf_len;
            while (q + 1 < n && (double)(q + 1) * step_old <= t) q++;
            while (q > 0 && (double)q * step_old > t) q--;
            y[j] = (float)xbuf[q];
        }
    } else {
        if (!rs->n && (st = eegnn__resampler_init(rs, n, buf_len))) return st;
        eegnn__resample_record(rs, xbuf, y);
    }
    return EEGNN_OK;
}

static void eegnn__edf_free_sigs(eegnn__edf_sig *sig, int n) {
    int i;
    if (!sig) return;
    for (i = 0; i < n; i++) {
        EEGNN_FREE(sig[i].label);
        EEGNN_FREE(sig[i].unit);
    }
    EEGNN_FREE(sig);
}

/* An opened recording for window reads (see edf.h). Arrays over data channels. */
struct eegnn_edf_file {
    char *path;
    int fd;
    int bps;
    int n_channels;
    int64_t header_bytes, rec_bytes, n_records, file_size;
    int64_t buf_len;   /* samples per record at sfreq */
    int64_t n_times;
    int64_t *ns;       /* (n_channels) samples per record */
    int64_t *offset;   /* (n_channels) first sample within a record */
    double *cal, *off, *gain;
    int *stim;
};

/* The fixed header and the signal headers (EDF spec 1992, EDF+ 2003): every
 * field validated, the record count from the file size as MNE does. */
static eegnn_status eegnn__edf_read_header(eegnn__edf_reader *rd) {
    const char *path = rd->path;
    unsigned char *hdr = NULL;
    int64_t nsig64, hb, nrec_hdr, data_bytes, read_records;
    int i;
    eegnn_status st = EEGNN_OK;
    rd->file_size = eegnn__raw_file_size(rd->fp);
    if (rd->file_size < 0) return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot determine the file size", path);
    if (rd->file_size < 256)
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: file is %lld bytes, shorter than the 256-byte EDF/BDF fixed header (truncated "
                               "or empty file)",
                               path, (long long)rd->file_size);
    if (eegnn__raw_seek(rd->fp, 0) != 0 || fread(rd->fixed, 1, 256, rd->fp) != 256)
        return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot read the header", path);
    if (eegnn__has_extension(path, ".bdf"))
        rd->bps = 3;
    else if (eegnn__has_extension(path, ".edf"))
        rd->bps = 2;
    else
        rd->bps = rd->fixed[0] == 0xFF ? 3 : 2;

    if ((st = eegnn__edf_int(path, rd->fixed, 252, 4, "number of signals", &nsig64))) return st;
    if (nsig64 < 1 || nsig64 > 1000000)
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: header byte 252 (number of signals): %lld is not in 1..1000000",
                               path, (long long)nsig64);
    rd->nsig = (int)nsig64;
    if ((st = eegnn__edf_int(path, rd->fixed, 184, 8, "number of bytes in header", &hb))) return st;
    if (hb != 256 * (nsig64 + 1))
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: header byte 184 (number of bytes in header): %lld, expected 256 * (1 + %d "
                               "signals) = %lld",
                               path, (long long)hb, rd->nsig, (long long)(256 * (nsig64 + 1)));
    rd->header_bytes = hb;
    if (rd->file_size < hb)
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: file is %lld bytes but its header (%d signals) needs %lld bytes (truncated file)",
                               path, (long long)rd->file_size, rd->nsig, (long long)hb);
    if ((st = eegnn__edf_int(path, rd->fixed, 236, 8, "number of data records", &nrec_hdr))) return st;
    if (nrec_hdr < -1)
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: header byte 236 (number of data records): %lld, expected -1 or a count >= 0", path,
                               (long long)nrec_hdr);
    if ((st = eegnn__edf_num(path, rd->fixed, 244, 8, "duration of a data record", &rd->rec_len))) return st;
    if (rd->rec_len < 0)
        return eegnn_set_error(EEGNN_ERR_FORMAT,
                               "%s: header byte 244 (duration of a data record): %g s, expected >= 0", path,
                               rd->rec_len);
    if (rd->rec_len == 0) rd->rec_len = 1.0; /* MNE: annotation-only files use 0 */

    hdr = (unsigned char *)eegnn__calloc((size_t)hb, 1);
    rd->sig = (eegnn__edf_sig *)eegnn__calloc((size_t)rd->nsig, sizeof *rd->sig);
    if (!hdr || !rd->sig) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    memcpy(hdr, rd->fixed, 256);
    if (fread(hdr + 256, 1, (size_t)(hb - 256), rd->fp) != (size_t)(hb - 256)) {
        st = eegnn_set_error(EEGNN_ERR_IO, "%s: cannot read the signal headers", path);
        goto done;
    }
    {
        size_t ns = (size_t)rd->nsig;
        size_t o_label = 256, o_unit = 256 + 96 * ns, o_pmin = 256 + 104 * ns, o_pmax = 256 + 112 * ns;
        size_t o_dmin = 256 + 120 * ns, o_dmax = 256 + 128 * ns, o_ns = 256 + 216 * ns;
        for (i = 0; i < rd->nsig; i++) {
            eegnn__edf_sig *s = &rd->sig[i];
            s->label = eegnn__edf_strip_latin1(hdr + o_label + 16 * (size_t)i, 16);
            s->unit = eegnn__edf_strip_latin1(hdr + o_unit + 8 * (size_t)i, 8);
            if (!s->label || !s->unit) {
                st = EEGNN_ERR_MEMORY;
                goto done;
            }
            s->is_tal = strcmp(s->label, "EDF Annotations") == 0 || strcmp(s->label, "BDF Annotations") == 0;
            if ((st = eegnn__edf_num(path, hdr, o_pmin + 8 * (size_t)i, 8, "physical minimum", &s->pmin)) ||
                (st = eegnn__edf_num(path, hdr, o_pmax + 8 * (size_t)i, 8, "physical maximum", &s->pmax)) ||
                (st = eegnn__edf_num(path, hdr, o_dmin + 8 * (size_t)i, 8, "digital minimum", &s->dmin)) ||
                (st = eegnn__edf_num(path, hdr, o_dmax + 8 * (size_t)i, 8, "digital maximum", &s->dmax)) ||
                (st = eegnn__edf_int(path, hdr, o_ns + 8 * (size_t)i, 8, "number of samples per record", &s->ns)))
                goto done;
            if (s->ns < 1 || s->ns > EEGNN__EDF_MAX_NS) {
                st = eegnn_set_error(EEGNN_ERR_FORMAT,
                                     "%s: header byte %zu (number of samples per record of signal %d '%s'): %lld, "
                                     "expected 1..%lld",
                                     path, o_ns + 8 * (size_t)i, i + 1, s->label, (long long)s->ns,
                                     (long long)EEGNN__EDF_MAX_NS);
                goto done;
            }
            s->offset = rd->rec_samples;
            rd->rec_samples += s->ns;
            if (s->is_tal)
                rd->n_tal++;
            else
                rd->n_data++;
        }
    }
    rd->rec_bytes = rd->rec_samples * rd->bps;
    data_bytes = rd->file_size - hb;
    read_records = data_bytes / rd->bps / rd->rec_samples;
    if (nrec_hdr >= 0 && read_records < nrec_hdr) {
        st = eegnn_set_error(EEGNN_ERR_FORMAT,
                             "%s: header byte 236 (number of data records) says %lld records of %lld bytes, but the "
                             "file holds %lld data bytes (%lld whole records): truncated file",
                             path, (long long)nrec_hdr, (long long)rd->rec_bytes, (long long)data_bytes,
                             (long long)read_records);
        goto done;
    }
    rd->n_records = read_records; /* MNE trusts the file size */
done:
    EEGNN_FREE(hdr);
    return st;
}

/* The recording's format and channels from the headers: names (made unique
 * as MNE), units, types (Status / Trigger channels are stim), rates, and
 * each channel's calibration (MNE's cal, offset and unit gain). */
static eegnn_status eegnn__edf_channels(eegnn__edf_reader *rd, eegnn_raw *raw) {
    const char *path = rd->path;
    int64_t max_all = 0;
    int i, c, n_data = rd->n_data, n_tal = 0;
    char reserved[45], fmt[8];
    eegnn_status st;
    memcpy(reserved, rd->fixed + 192, 44);
    reserved[44] = '\0';
    raw->meas_date = eegnn__edf_meas_date(rd->fixed);
    raw->path = eegnn__strdup(path);
    strcpy(fmt, rd->bps == 3 ? "BDF" : "EDF");
    if ((memcmp(reserved, "EDF+", 4) == 0 || memcmp(reserved, "BDF+", 4) == 0) &&
        (reserved[4] == 'C' || reserved[4] == 'D')) {
        fmt[3] = '+';
        fmt[4] = reserved[4];
        fmt[5] = '\0';
    }
    raw->format = eegnn__strdup(fmt);
    rd->data_idx = (int *)eegnn__calloc((size_t)(n_data + 1), sizeof(int));
    rd->tal_idx = (int *)eegnn__calloc((size_t)(rd->n_tal + 1), sizeof(int));
    if (!raw->path || !raw->format || !rd->data_idx || !rd->tal_idx) return EEGNN_ERR_MEMORY;
    for (i = 0, c = 0; i < rd->nsig; i++) {
        if (rd->sig[i].is_tal)
            rd->tal_idx[n_tal++] = i;
        else
            rd->data_idx[c++] = i;
    }

    raw->n_channels = n_data;
    raw->ch_names = (char **)eegnn__calloc((size_t)n_data + 1, sizeof(char *));
    raw->ch_units = (char **)eegnn__calloc((size_t)n_data + 1, sizeof(char *));
    raw->ch_types = (char **)eegnn__calloc((size_t)n_data + 1, sizeof(char *));
    raw->ch_sfreq = (double *)eegnn__calloc((size_t)n_data + 1, sizeof(double));
    rd->cal = (double *)eegnn__calloc((size_t)n_data + 1, sizeof(double));
    rd->off = (double *)eegnn__calloc((size_t)n_data + 1, sizeof(double));
    rd->gain = (double *)eegnn__calloc((size_t)n_data + 1, sizeof(double));
    if (!raw->ch_names || !raw->ch_units || !raw->ch_types || !raw->ch_sfreq || !rd->cal || !rd->off || !rd->gain)
        return EEGNN_ERR_MEMORY;
    for (c = 0; c < n_data; c++) {
        raw->ch_names[c] = eegnn__strdup(rd->sig[rd->data_idx[c]].label);
        raw->ch_units[c] = eegnn__strdup(rd->sig[rd->data_idx[c]].unit);
        if (!raw->ch_names[c] || !raw->ch_units[c]) return EEGNN_ERR_MEMORY;
    }
    if ((st = eegnn__raw_unique_names(path, raw->ch_names, n_data))) return st;
    for (c = 0; c < n_data; c++) {
        char low[16];
        const char *nm = raw->ch_names[c];
        size_t k, len = strlen(nm);
        if (len == 6 || len == 7) {
            for (k = 0; k <= len; k++) low[k] = (char)((nm[k] >= 'A' && nm[k] <= 'Z') ? nm[k] - 'A' + 'a' : nm[k]);
            if (rd->stim_status < 0 && strcmp(low, "status") == 0) rd->stim_status = c;
            if (rd->stim_trigger < 0 && strcmp(low, "trigger") == 0) rd->stim_trigger = c;
        }
    }
    for (c = 0; c < n_data; c++) {
        const eegnn__edf_sig *s = &rd->sig[rd->data_idx[c]];
        const char *u = s->unit;
        int stim = c == rd->stim_status || c == rd->stim_trigger;
        double pr = s->pmax - s->pmin, dr = s->dmax - s->dmin;
        raw->ch_types[c] = eegnn__strdup(stim ? "stim" : "eeg");
        if (!raw->ch_types[c]) return EEGNN_ERR_MEMORY;
        raw->ch_sfreq[c] = (double)s->ns / rd->rec_len;
        if (!(dr == dr) || dr == 0) dr = 1;
        if (pr == 0) pr = 1;
        rd->cal[c] = pr / dr;
        rd->off[c] = s->pmin - s->dmin * rd->cal[c];
        if (strcmp(u, "uV") == 0 || strcmp(u, "\xc2\xb5V") == 0 || strcmp(u, "\xc2\x83\xc3\x8aV") == 0)
            rd->gain[c] = 1e-6;
        else if (strcmp(u, "mV") == 0)
            rd->gain[c] = 1e-3;
        else
            rd->gain[c] = 1.0;
        if (stim) {
            rd->gain[c] = 1.0;
            if (rd->bps == 3) {
                rd->cal[c] = 1.0;
                rd->off[c] = 0.0;
            }
        }
        if (s->ns > max_all) max_all = s->ns;
        if (!stim && s->ns > rd->buf_len) rd->buf_len = s->ns;
    }
    if (rd->buf_len == 0) rd->buf_len = max_all; /* only stim channels */
    raw->sfreq = n_data ? (double)rd->buf_len / rd->rec_len : 0.0;
    raw->n_times = n_data ? rd->n_records * rd->buf_len : 0;
    return EEGNN_OK;
}

/* The data records: samples decoded into raw->data (unless header_only),
 * and the bytes of each annotation signal into rd->tal_bytes. */
static eegnn_status eegnn__edf_read_records(eegnn__edf_reader *rd, eegnn_raw *raw, int header_only) {
    const char *path = rd->path;
    int64_t buf_len = rd->buf_len, hb = rd->header_bytes, per_chunk, r0, r;
    int i, c, n_data = rd->n_data, n_tal = rd->n_tal, whole;
    unsigned char *chunk = NULL;
    double *xbuf = NULL;
    eegnn__edf_resampler *rs = NULL;
    eegnn_status st = EEGNN_OK;
    if (n_data && !header_only) {
        /* output (n_data, n_records * buf_len) floats; bounded by the file size */
        double out_bytes = (double)n_data * (double)raw->n_times * 4.0, data_bytes = (double)(rd->file_size - hb);
        if (out_bytes > 64.0 * data_bytes + 268435456.0)
            return eegnn_set_error(EEGNN_ERR_FORMAT,
                                   "%s: %d channels x %lld samples (%.0f MB) is out of proportion to the %lld data "
                                   "bytes in the file (corrupted samples-per-record fields?)",
                                   path, n_data, (long long)raw->n_times, out_bytes / 1e6, (long long)data_bytes);
        raw->data = (float *)eegnn__calloc((size_t)n_data * (size_t)raw->n_times + 1, sizeof(float));
        xbuf = (double *)eegnn__calloc((size_t)buf_len + 1, sizeof(double));
        rs = (eegnn__edf_resampler *)eegnn__calloc((size_t)n_data, sizeof *rs);
        if (!raw->data || !xbuf || !rs) {
            st = EEGNN_ERR_MEMORY;
            goto done;
        }
    }
    /* annotation signal bytes, one buffer per signal: (n_records, ns * bps) */
    if (n_tal) {
        rd->tal_bytes = (unsigned char **)eegnn__calloc((size_t)n_tal, sizeof *rd->tal_bytes);
        if (!rd->tal_bytes) {
            st = EEGNN_ERR_MEMORY;
            goto done;
        }
        for (i = 0; i < n_tal; i++) {
            rd->tal_bytes[i] = (unsigned char *)eegnn__calloc(
                (size_t)(rd->n_records * rd->sig[rd->tal_idx[i]].ns * rd->bps) + 1, 1);
            if (!rd->tal_bytes[i]) {
                st = EEGNN_ERR_MEMORY;
                goto done;
            }
        }
    }
    if (!raw->data && !n_tal) goto done;
    per_chunk = EEGNN__MAX((1 << 20) / rd->rec_bytes, 1);
    whole = raw->data != NULL;
    chunk = (unsigned char *)eegnn__calloc((size_t)(whole ? per_chunk * rd->rec_bytes : rd->rec_bytes), 1);
    if (!chunk) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    for (r0 = 0; r0 < rd->n_records; r0 += per_chunk) {
        int64_t nr = EEGNN__MIN(per_chunk, rd->n_records - r0);
        if (whole && (eegnn__raw_seek(rd->fp, hb + r0 * rd->rec_bytes) != 0 ||
                      fread(chunk, 1, (size_t)(nr * rd->rec_bytes), rd->fp) != (size_t)(nr * rd->rec_bytes))) {
            st = eegnn_set_error(EEGNN_ERR_IO, "%s: read error in data record %lld", path, (long long)r0);
            goto done;
        }
        for (r = 0; r < nr; r++) {
            int64_t rec = r0 + r;
            const unsigned char *rp = whole ? chunk + r * rd->rec_bytes : chunk;
            for (i = 0; i < n_tal; i++) {
                const eegnn__edf_sig *s = &rd->sig[rd->tal_idx[i]];
                size_t nb = (size_t)(s->ns * rd->bps);
                if (whole) {
                    memcpy(rd->tal_bytes[i] + rec * nb, rp + s->offset * rd->bps, nb);
                } else if (eegnn__raw_seek(rd->fp, hb + rec * rd->rec_bytes + s->offset * rd->bps) != 0 ||
                           fread(rd->tal_bytes[i] + rec * nb, 1, nb, rd->fp) != nb) {
                    st = eegnn_set_error(EEGNN_ERR_IO, "%s: read error in data record %lld", path, (long long)rec);
                    goto done;
                }
            }
            if (!whole) continue;
            for (c = 0; c < n_data; c++) {
                const eegnn__edf_sig *s = &rd->sig[rd->data_idx[c]];
                float *y = raw->data + (size_t)c * (size_t)raw->n_times + (size_t)(rec * buf_len);
                if ((st = eegnn__edf_decode(rp + s->offset * rd->bps, rd->bps, s->ns, rd->cal[c], rd->off[c],
                                            rd->gain[c], c == rd->stim_status || c == rd->stim_trigger, buf_len,
                                            xbuf, &rs[c], y)))
                    goto done;
            }
        }
    }
done:
    if (rs) {
        for (c = 0; c < n_data; c++) eegnn__resampler_free(&rs[c]);
        EEGNN_FREE(rs);
    }
    EEGNN_FREE(chunk);
    EEGNN_FREE(xbuf);
    return st;
}

/* Annotations: the annotation signals' bytes in MNE's reading order (10 MB
 * chunks of records, signal by signal inside a chunk), MNE's TAL scan,
 * sorted and cropped to the data; EDF+D record starts mark gaps. */
static eegnn_status eegnn__edf_read_annotations(eegnn__edf_reader *rd, eegnn_raw *raw) {
    int64_t total = 0, pos = 0, n_per, r0, r;
    int i;
    eegnn__ann_list anns;
    unsigned char *tal_stream = NULL;
    eegnn_status st = EEGNN_OK;
    memset(&anns, 0, sizeof anns);
    if (!rd->n_tal) return EEGNN_OK;
    for (i = 0; i < rd->n_tal; i++) total += rd->n_records * rd->sig[rd->tal_idx[i]].ns * rd->bps;
    if (!(tal_stream = (unsigned char *)eegnn__calloc((size_t)total + 1, 1))) return EEGNN_ERR_MEMORY;
    n_per = EEGNN__MAX((10 * 1024 * 1024) / rd->rec_bytes, 1);
    for (r0 = 0; r0 < rd->n_records; r0 += n_per) {
        int64_t nr = EEGNN__MIN(n_per, rd->n_records - r0);
        for (i = 0; i < rd->n_tal; i++) {
            size_t nb = (size_t)(rd->sig[rd->tal_idx[i]].ns * rd->bps);
            memcpy(tal_stream + pos, rd->tal_bytes[i] + r0 * nb, nb * (size_t)nr);
            pos += (int64_t)nb * nr;
        }
    }
    if ((st = eegnn__tal_parse(rd->path, tal_stream, (size_t)total, &anns)) || (st = eegnn__ann_sort(&anns))) goto done;
    if (rd->n_data) eegnn__ann_crop(&anns, raw->n_times, raw->sfreq);
    /* EDF+D: record start times from each record's time-keeping TAL */
    if (strlen(raw->format) == 5 && raw->format[4] == 'D' && rd->n_records > 1) {
        size_t nb = (size_t)(rd->sig[rd->tal_idx[0]].ns * rd->bps);
        double first = 0.0;
        for (r = 0; r < rd->n_records; r++) {
            eegnn__tal t;
            double start;
            if (!eegnn__tal_match(rd->tal_bytes[0] + r * nb, nb, 0, &t)) continue;
            start = eegnn__tal_double(rd->tal_bytes[0] + r * nb, t.onset_at, t.onset_len);
            if (r == 0) first = start;
            if (fabs(start - (first + (double)r * rd->rec_len)) > 1e-6) raw->discontinuous = 1;
        }
    }
    raw->n_annotations = anns.n;
    raw->annotations = anns.a;
    anns.a = NULL;
    anns.n = 0;
done:
    for (i = 0; i < anns.n; i++) EEGNN_FREE(anns.a[i].description);
    EEGNN_FREE(anns.a);
    EEGNN_FREE(tal_stream);
    return st;
}

/* The eegnn_edf_file of eegnn_edf_open: what window reads need, and the
 * file kept open. */
static eegnn_status eegnn__edf_keep_open(const eegnn__edf_reader *rd, const eegnn_raw *raw, eegnn_edf_file **file_out) {
    eegnn_edf_file *f = (eegnn_edf_file *)eegnn__calloc(1, sizeof *f);
    size_t nc = (size_t)rd->n_data + 1;
    int c;
    if (!f) return EEGNN_ERR_MEMORY;
    *file_out = f;
    f->fd = -1;
    f->path = eegnn__strdup(rd->path);
    f->ns = (int64_t *)eegnn__calloc(nc, sizeof(int64_t));
    f->offset = (int64_t *)eegnn__calloc(nc, sizeof(int64_t));
    f->cal = (double *)eegnn__calloc(nc, sizeof(double));
    f->off = (double *)eegnn__calloc(nc, sizeof(double));
    f->gain = (double *)eegnn__calloc(nc, sizeof(double));
    f->stim = (int *)eegnn__calloc(nc, sizeof(int));
    if (!f->path || !f->ns || !f->offset || !f->cal || !f->off || !f->gain || !f->stim) return EEGNN_ERR_MEMORY;
    f->bps = rd->bps;
    f->n_channels = rd->n_data;
    f->header_bytes = rd->header_bytes;
    f->rec_bytes = rd->rec_bytes;
    f->n_records = rd->n_records;
    f->file_size = rd->file_size;
    f->buf_len = rd->buf_len;
    f->n_times = raw->n_times;
    for (c = 0; c < rd->n_data; c++) {
        f->ns[c] = rd->sig[rd->data_idx[c]].ns;
        f->offset[c] = rd->sig[rd->data_idx[c]].offset;
        f->cal[c] = rd->cal[c];
        f->off[c] = rd->off[c];
        f->gain[c] = rd->gain[c];
        f->stim[c] = c == rd->stim_status || c == rd->stim_trigger;
    }
    f->fd = open(rd->path, O_RDONLY);
    if (f->fd < 0) return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot open: %s", rd->path, strerror(errno));
    return EEGNN_OK;
}

/* eegnn_read_edf, and eegnn_edf_open with file_out: headers, channels, data
 * records and annotations, as MNE's read_raw_edf / read_raw_bdf. */
static eegnn_raw *eegnn__edf_read(const char *path, const eegnn_read_options *opts, eegnn_edf_file **file_out) {
    eegnn__edf_reader rd;
    eegnn_raw *raw = NULL;
    eegnn_status st;
    int i;
    memset(&rd, 0, sizeof rd);
    rd.stim_status = rd.stim_trigger = -1;
    if (file_out) *file_out = NULL;
    if (!path) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_read_edf: path is NULL");
        return NULL;
    }
    rd.path = path;
    if (!(rd.fp = fopen(path, "rb"))) {
        eegnn_set_error(EEGNN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (!(st = eegnn__edf_read_header(&rd)))
        st = (raw = (eegnn_raw *)eegnn__calloc(1, sizeof *raw)) != NULL ? eegnn__edf_channels(&rd, raw) : EEGNN_ERR_MEMORY;
    if (!st) st = eegnn__edf_read_records(&rd, raw, opts && opts->header_only);
    if (!st) st = eegnn__edf_read_annotations(&rd, raw);
    if (!st && file_out) st = eegnn__edf_keep_open(&rd, raw, file_out);
    if (st) {
        eegnn_raw_free(raw);
        raw = NULL;
        if (file_out) {
            eegnn_edf_close(*file_out);
            *file_out = NULL;
        }
        if (st == EEGNN_ERR_MEMORY && !strstr(eegnn_last_error(), path))
            eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", path);
    }
    fclose(rd.fp);
    for (i = 0; rd.tal_bytes && i < rd.n_tal; i++) EEGNN_FREE(rd.tal_bytes[i]);
    EEGNN_FREE(rd.tal_bytes);
    EEGNN_FREE(rd.cal);
    EEGNN_FREE(rd.off);
    EEGNN_FREE(rd.gain);
    EEGNN_FREE(rd.data_idx);
    EEGNN_FREE(rd.tal_idx);
    eegnn__edf_free_sigs(rd.sig, rd.nsig);
    return raw;
}

EEGNN_API eegnn_raw *eegnn_read_edf(const char *path, const eegnn_read_options *opts) {
    return eegnn__edf_read(path, opts, NULL);
}

EEGNN_API eegnn_edf_file *eegnn_edf_open(const char *path, eegnn_raw **header) {
    eegnn_read_options o;
    eegnn_edf_file *f = NULL;
    eegnn_raw *raw;
    memset(&o, 0, sizeof o);
    o.header_only = 1;
    if (header) *header = NULL;
    raw = eegnn__edf_read(path, &o, &f);
    if (!raw) return NULL;
    if (f->n_channels == 0) {
        eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no data channels (annotations only)", path);
        eegnn_raw_free(raw);
        eegnn_edf_close(f);
        return NULL;
    }
    if (header) *header = raw;
    else eegnn_raw_free(raw);
    return f;
}

EEGNN_API void eegnn_edf_release_fd(eegnn_edf_file *f) {
    if (f && f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
}

EEGNN_API void eegnn_edf_close(eegnn_edf_file *f) {
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    EEGNN_FREE(f->path);
    EEGNN_FREE(f->ns);
    EEGNN_FREE(f->offset);
    EEGNN_FREE(f->cal);
    EEGNN_FREE(f->off);
    EEGNN_FREE(f->gain);
    EEGNN_FREE(f->stim);
    EEGNN_FREE(f);
}

EEGNN_API int eegnn_edf_n_channels(const eegnn_edf_file *f) { return f ? f->n_channels : 0; }
EEGNN_API int64_t eegnn_edf_n_times(const eegnn_edf_file *f) { return f ? f->n_times : 0; }

/* Reads len bytes at offset off into buf with pread (restarted on EINTR and
 * short counts); returns the bytes read (< len only at end of file) or -1. */
static int64_t eegnn__pread_full(int fd, void *buf, int64_t len, int64_t off) {
    int64_t got = 0;
    while (got < len) {
        ssize_t k = pread(fd, (char *)buf + got, (size_t)(len - got), (off_t)(off + got));
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (k == 0) break;
        got += (int64_t)k;
    }
    return got;
}

EEGNN_API eegnn_status eegnn_edf_read_samples(const eegnn_edf_file *f, int64_t start, int64_t n, float *out) {
    int64_t r0, r1, nrec, r, j;
    int64_t got, want, pos;
    unsigned char *buf = NULL;
    double *xbuf = NULL;
    float *rec_out = NULL;
    eegnn__edf_resampler *rs = NULL;
    eegnn_status st = EEGNN_OK;
    int c, fd;
    if (!f || !out || n < 1 || start < 0 || start + n > f->n_times)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_edf_read_samples: samples [%lld, %lld) outside [0, %lld) of %s",
                               (long long)start, (long long)(start + n), (long long)(f ? f->n_times : 0),
                               f && f->path ? f->path : "(null)");
    r0 = start / f->buf_len;
    r1 = (start + n - 1) / f->buf_len;
    nrec = r1 - r0 + 1;
    fd = f->fd >= 0 ? f->fd : open(f->path, O_RDONLY);
    if (fd < 0) return eegnn_set_error(EEGNN_ERR_IO, "%s: cannot open: %s", f->path, strerror(errno));
    buf = (unsigned char *)eegnn__calloc((size_t)(nrec * f->rec_bytes), 1);
    xbuf = (double *)eegnn__calloc((size_t)f->buf_len + 1, sizeof(double));
    rec_out = (float *)eegnn__calloc((size_t)f->buf_len, sizeof(float));
    rs = (eegnn__edf_resampler *)eegnn__calloc((size_t)f->n_channels, sizeof *rs);
    if (!buf || !xbuf || !rec_out || !rs) {
        st = eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory reading samples", f->path);
        goto done;
    }
    pos = f->header_bytes + r0 * f->rec_bytes;
    want = nrec * f->rec_bytes;
    got = eegnn__pread_full(fd, buf, want, pos);
    if (got < 0) {
        st = eegnn_set_error(EEGNN_ERR_IO, "%s: read error at byte %lld (data record %lld): %s", f->path,
                             (long long)pos, (long long)r0, strerror(errno));
        goto done;
    }
    if (got < want) {
        struct stat sb;
        long long now = fstat(fd, &sb) == 0 ? (long long)sb.st_size : -1;
        st = eegnn_set_error(EEGNN_ERR_FORMAT,
                             "%s: truncated: data records %lld..%lld (bytes %lld..%lld) are needed but the file now "
                             "holds %lld bytes (%lld when opened)",
                             f->path, (long long)r0, (long long)r1, (long long)pos, (long long)(pos + want), now,
                             (long long)f->file_size);
        goto done;
    }
    for (r = 0; r < nrec; r++) {
        int64_t rec_first = (r0 + r) * f->buf_len;
        int64_t a = EEGNN__MAX(start, rec_first), b = EEGNN__MIN(start + n, rec_first + f->buf_len);
        const unsigned char *rp = buf + r * f->rec_bytes;
        for (c = 0; c < f->n_channels; c++) {
            float *dst = out + (size_t)c * (size_t)n;
            if ((st = eegnn__edf_decode(rp + f->offset[c] * f->bps, f->bps, f->ns[c], f->cal[c], f->off[c],
                                        f->gain[c], f->stim[c], f->buf_len, xbuf, &rs[c], rec_out))) {
                eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory resampling", f->path);
                goto done;
            }
            for (j = a; j < b; j++) dst[j - start] = rec_out[j - rec_first];
        }
    }
done:
    if (f->fd < 0) close(fd);
    if (rs) {
        for (c = 0; c < f->n_channels; c++) eegnn__resampler_free(&rs[c]);
        EEGNN_FREE(rs);
    }
    EEGNN_FREE(buf);
    EEGNN_FREE(xbuf);
    EEGNN_FREE(rec_out);
    return st;
}

/* ---- BDF writer ---- */

/* Formats x in at most 8 characters, rounded down (dir < 0) or up (dir > 0),
 * so the written bound still contains x. */
static void eegnn__edf_bound(double x, int dir, char out[9]) {
    int p;
    for (p = 8; p >= 1; p--) {
        double q, v, back;
        char buf[64];
        int e;
        if (x == 0) {
            strcpy(out, "0");
            return;
        }
        e = (int)floor(log10(fabs(x)));
        q = pow(10.0, e - p + 1);
        v = dir < 0 ? floor(x / q) * q : ceil(x / q) * q;
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if (strlen(buf) > 8) continue;
        back = strtod(buf, NULL);
        if ((dir < 0 && back > x) || (dir > 0 && back < x)) {
            v += dir < 0 ? -q : q;
            snprintf(buf, sizeof buf, "%.*g", p, v);
            if (strlen(buf) > 8) continue;
            back = strtod(buf, NULL);
            if ((dir < 0 && back > x) || (dir > 0 && back < x)) continue;
        }
        strcpy(out, buf);
        return;
    }
    strcpy(out, dir < 0 ? "-9999999" : "99999999");
}

static void eegnn__edf_put(unsigned char *hdr, size_t off, size_t len, const char *s) {
    size_t n = strlen(s), i;
    for (i = 0; i < len; i++) hdr[off + i] = (unsigned char)(i < n ? s[i] : ' ');
}

/* "+12.5" style TAL number (sign only when `sign`); trailing zeros dropped. */
static void eegnn__tal_num(double x, int sign, char *out, size_t cap) {
    char *p;
    if (sign)
        snprintf(out, cap, "%+.7f", x);
    else
        snprintf(out, cap, "%.7f", x < 0 ? 0.0 : x);
    p = out + strlen(out) - 1;
    while (*p == '0') *p-- = '\0';
    if (*p == '.') *p = '\0';
}

/* The TAL text of every record (n_records, zero-filled on entry) of raw's
 * annotations, each onset in the record that holds it; *ann_ns gets the
 * annotation signal's samples per record (3 bytes each). */
static eegnn_status eegnn__bdf_tal(const char *path, const eegnn_raw *raw, int64_t n_records, int64_t rec_secs,
                                   eegnn__strbuf *tal, int64_t *ann_ns) {
    int64_t r;
    int a;
    *ann_ns = 0;
    for (r = 0; r < n_records; r++) {
        char num[64];
        eegnn__tal_num((double)(r * rec_secs), 1, num, sizeof num);
        eegnn__sb_printf(&tal[r], "%s\x14\x14", num);
        eegnn__sb_append(&tal[r], "", 1);
    }
    for (a = 0; a < raw->n_annotations; a++) {
        const eegnn_annotation *an = &raw->annotations[a];
        const char *d = an->description ? an->description : "";
        char num[64], *desc;
        size_t j, dl = strlen(d);
        int64_t target = (an->onset == an->onset) ? (int64_t)floor(an->onset / (double)rec_secs) : 0;
        if (target < 0) target = 0;
        if (target >= n_records) target = n_records - 1;
        if (!(desc = eegnn__strdup(d))) return EEGNN_ERR_MEMORY;
        for (j = 0; j < dl; j++)
            if (desc[j] == 0x14) desc[j] = ' ';
        eegnn__tal_num(an->onset, 1, num, sizeof num);
        eegnn__sb_append(&tal[target], num, strlen(num));
        if (an->duration > 0) {
            eegnn__tal_num(an->duration, 0, num, sizeof num);
            eegnn__sb_printf(&tal[target], "\x15%s", num);
        }
        eegnn__sb_printf(&tal[target], "\x14%s\x14", desc);
        eegnn__sb_append(&tal[target], "", 1);
        EEGNN_FREE(desc);
    }
    for (r = 0; r < n_records; r++) {
        if (tal[r].failed) return eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory for annotations", path);
        if ((int64_t)(tal[r].len + 2) / 3 > *ann_ns) *ann_ns = (int64_t)(tal[r].len + 2) / 3;
    }
    *ann_ns += 1;
    return EEGNN_OK;
}

/* The first 256 bytes of a BDF(+) header (hb bytes in all). */
static eegnn_status eegnn__bdf_main_header(const char *path, const eegnn_raw *raw, unsigned char *hdr, size_t hb,
                                           int has_ann, int64_t n_records, int64_t rec_secs, int nsig) {
    char buf[96];
    hdr[0] = 0xFF;
    eegnn__edf_put(hdr, 1, 7, "BIOSEMI");
    eegnn__edf_put(hdr, 8, 80, "X X X X");
    if (raw->meas_date == raw->meas_date) {
        static const char *mon[12] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
        long long y;
        int m, d, hh, mm, ss;
        eegnn__utc_from_unix(raw->meas_date, &y, &m, &d, &hh, &mm, &ss);
        if (y < 1985 || y > 2084) y = y < 1985 ? 1985 : 2084;
        snprintf(buf, sizeof buf, "Startdate %02d-%s-%04lld X X eegnn", d, mon[m - 1], y);
        eegnn__edf_put(hdr, 88, 80, buf);
        snprintf(buf, sizeof buf, "%02d.%02d.%02lld", d, m, y % 100);
        eegnn__edf_put(hdr, 168, 8, buf);
        snprintf(buf, sizeof buf, "%02d.%02d.%02d", hh, mm, ss);
        eegnn__edf_put(hdr, 176, 8, buf);
    } else {
        eegnn__edf_put(hdr, 88, 80, "Startdate X X X X");
        eegnn__edf_put(hdr, 168, 8, "01.01.85");
        eegnn__edf_put(hdr, 176, 8, "00.00.00");
    }
    snprintf(buf, sizeof buf, "%zu", hb);
    eegnn__edf_put(hdr, 184, 8, buf);
    eegnn__edf_put(hdr, 192, 44, has_ann ? "BDF+C" : "24BIT");
    snprintf(buf, sizeof buf, "%lld", (long long)n_records);
    if (strlen(buf) > 8) return eegnn_set_error(EEGNN_ERR_ARG, "%s: too many records (%s) for the header", path, buf);
    eegnn__edf_put(hdr, 236, 8, buf);
    snprintf(buf, sizeof buf, "%lld", (long long)rec_secs);
    eegnn__edf_put(hdr, 244, 8, buf);
    snprintf(buf, sizeof buf, "%d", nsig);
    if (strlen(buf) > 4) return eegnn_set_error(EEGNN_ERR_ARG, "%s: too many channels (%d) for the header", path, nsig);
    eegnn__edf_put(hdr, 252, 4, buf);
    return EEGNN_OK;
}

/* Signal k's header fields (of nsig; k == n_channels is the annotation
 * signal) and, for a channel, its scale to the physical unit and physical
 * range: stim channels store the values as they are, voltages in uV or mV,
 * others in their unit; the range is the channel's minimum and maximum. */
static void eegnn__bdf_signal_header(const eegnn_raw *raw, int k, int nsig, int64_t ns, int64_t ann_ns,
                                     unsigned char *hdr, double *scale, double *pmin, double *pmax) {
    size_t n = (size_t)nsig;
    char lab[64], unit[16], smin[9], smax[9], nsb[32];
    const char *dmin = "-8388608", *dmax = "8388607";
    if (k < raw->n_channels) {
        const char *u = raw->ch_units && raw->ch_units[k] ? raw->ch_units[k] : NULL;
        const char *ty = raw->ch_types && raw->ch_types[k] ? raw->ch_types[k] : "eeg";
        const float *x = raw->data + (size_t)k * (size_t)raw->n_times;
        double lo = x[0], hi = x[0];
        int64_t j;
        snprintf(lab, sizeof lab, "%s", raw->ch_names[k] ? raw->ch_names[k] : "");
        if (strcmp(ty, "stim") == 0) {
            strcpy(unit, "Boolean");
            scale[k] = 1.0;
            strcpy(smin, dmin);
            strcpy(smax, dmax);
            pmin[k] = -8388608.0;
            pmax[k] = 8388607.0;
        } else {
            if (u ? (strcmp(u, "uV") == 0 || strcmp(u, "\xc2\xb5V") == 0)
                  : (strcmp(ty, "eeg") == 0 || strcmp(ty, "eog") == 0 || strcmp(ty, "ecg") == 0 ||
                     strcmp(ty, "emg") == 0)) {
                strcpy(unit, "uV");
                scale[k] = 1e6;
            } else if (u && strcmp(u, "mV") == 0) {
                strcpy(unit, "mV");
                scale[k] = 1e3;
            } else {
                snprintf(unit, sizeof unit, "%.8s", u ? u : "");
                scale[k] = 1.0;
            }
            for (j = 1; j < raw->n_times; j++) {
                if (x[j] < lo) lo = x[j];
                if (x[j] > hi) hi = x[j];
            }
            lo *= scale[k];
            hi *= scale[k];
            if (hi == lo) {
                lo -= 1.0;
                hi += 1.0;
            }
            eegnn__edf_bound(lo, -1, smin);
            eegnn__edf_bound(hi, +1, smax);
            pmin[k] = strtod(smin, NULL);
            pmax[k] = strtod(smax, NULL);
        }
        snprintf(nsb, sizeof nsb, "%lld", (long long)ns);
    } else {
        strcpy(lab, "BDF Annotations");
        unit[0] = '\0';
        strcpy(smin, "-1");
        strcpy(smax, "1");
        snprintf(nsb, sizeof nsb, "%lld", (long long)ann_ns);
    }
    eegnn__edf_put(hdr, 256 + 16 * (size_t)k, 16, lab);
    eegnn__edf_put(hdr, 256 + 16 * n + 80 * (size_t)k, 80, "");
    eegnn__edf_put(hdr, 256 + 96 * n + 8 * (size_t)k, 8, unit);
    eegnn__edf_put(hdr, 256 + 104 * n + 8 * (size_t)k, 8, smin);
    eegnn__edf_put(hdr, 256 + 112 * n + 8 * (size_t)k, 8, smax);
    eegnn__edf_put(hdr, 256 + 120 * n + 8 * (size_t)k, 8, dmin);
    eegnn__edf_put(hdr, 256 + 128 * n + 8 * (size_t)k, 8, dmax);
    eegnn__edf_put(hdr, 256 + 136 * n + 80 * (size_t)k, 80, "");
    eegnn__edf_put(hdr, 256 + 216 * n + 8 * (size_t)k, 8, nsb);
    eegnn__edf_put(hdr, 256 + 224 * n + 32 * (size_t)k, 32, "");
}

/* Record r of raw as 24-bit little-endian samples into rec (ns per
 * channel; the last record repeats the last sample), digitized over each
 * channel's physical range. */
static void eegnn__bdf_record(const eegnn_raw *raw, int64_t r, int64_t ns, const double *scale, const double *pmin,
                              const double *pmax, unsigned char *rec) {
    unsigned char *p = rec;
    int c;
    for (c = 0; c < raw->n_channels; c++) {
        const float *x = raw->data + (size_t)c * (size_t)raw->n_times;
        double lo = pmin[c], range = pmax[c] - pmin[c];
        int64_t j;
        for (j = 0; j < ns; j++) {
            int64_t t = r * ns + j;
            double v = (double)x[t < raw->n_times ? t : raw->n_times - 1] * scale[c], dq;
            long dv;
            if (scale[c] == 1.0 && range == 16777215.0 && lo == -8388608.0)
                dq = nearbyint(v);
            else
                dq = nearbyint((v - lo) / range * 16777215.0 - 8388608.0);
            if (dq < -8388608.0) dq = -8388608.0;
            if (dq > 8388607.0) dq = 8388607.0;
            dv = (long)dq;
            p[0] = (unsigned char)(dv & 0xFF);
            p[1] = (unsigned char)((dv >> 8) & 0xFF);
            p[2] = (unsigned char)((dv >> 16) & 0xFF);
            p += 3;
        }
    }
}

EEGNN_API eegnn_status eegnn_write_bdf(const char *path, const eegnn_raw *raw) {
    eegnn__outfile of;
    int nch, nsig, k;
    int64_t ns = 0, n_records, rec_secs = 0, r, total_samples, ann_ns = 0;
    double *scale = NULL, *pminv = NULL, *pmaxv = NULL;
    unsigned char *hdr = NULL, *rec = NULL;
    eegnn__strbuf *tal = NULL;
    int has_ann;
    eegnn_status st;
    size_t hb, rec_bytes;

    if (!path || !raw) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_write_bdf: path or raw is NULL");
    nch = raw->n_channels;
    if (nch < 1 || raw->n_times < 1 || !raw->data || !raw->ch_names)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: nothing to write (need channels, samples and data)", path);
    if (!(raw->sfreq > 0) || raw->sfreq > 1e7)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: sfreq %g Hz is not valid", path, raw->sfreq);
    for (k = 1; k <= 60; k++) { /* the shortest record of a whole number of samples */
        double v = raw->sfreq * k;
        if (fabs(v - nearbyint(v)) < 1e-9 * v) {
            rec_secs = k;
            ns = (int64_t)nearbyint(v);
            break;
        }
    }
    if (!rec_secs)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: sfreq %.10g Hz gives no whole number of samples in 1..60 s", path,
                               raw->sfreq);
    total_samples = (int64_t)nch * raw->n_times;
    for (r = 0; r < total_samples; r++)
        if (!isfinite(raw->data[r]))
            return eegnn_set_error(EEGNN_ERR_NUMERIC, "%s: channel '%s' has a non-finite sample", path,
                                   raw->ch_names[r / raw->n_times]);
    n_records = (raw->n_times + ns - 1) / ns;
    has_ann = raw->n_annotations > 0;
    nsig = nch + (has_ann ? 1 : 0);

    scale = (double *)eegnn__calloc((size_t)nch, sizeof(double));
    pminv = (double *)eegnn__calloc((size_t)nch, sizeof(double));
    pmaxv = (double *)eegnn__calloc((size_t)nch, sizeof(double));
    hb = 256 * ((size_t)nsig + 1);
    hdr = (unsigned char *)eegnn__calloc(hb, 1);
    tal = (eegnn__strbuf *)eegnn__calloc((size_t)n_records, sizeof *tal);
    if (!scale || !pminv || !pmaxv || !hdr || !tal) {
        st = EEGNN_ERR_MEMORY;
        goto out;
    }
    if (has_ann && (st = eegnn__bdf_tal(path, raw, n_records, rec_secs, tal, &ann_ns))) goto out;
    if ((st = eegnn__bdf_main_header(path, raw, hdr, hb, has_ann, n_records, rec_secs, nsig))) goto out;
    for (k = 0; k < nsig; k++) eegnn__bdf_signal_header(raw, k, nsig, ns, ann_ns, hdr, scale, pminv, pmaxv);

    rec_bytes = (size_t)(((int64_t)nch * ns + ann_ns) * 3);
    if (!(rec = (unsigned char *)eegnn__calloc(rec_bytes, 1))) {
        st = EEGNN_ERR_MEMORY;
        goto out;
    }
    if ((st = eegnn__outfile_open(&of, path))) goto out;
    st = eegnn__outfile_write(&of, hdr, hb);
    for (r = 0; r < n_records && st == EEGNN_OK; r++) {
        eegnn__bdf_record(raw, r, ns, scale, pminv, pmaxv, rec);
        if (has_ann) {
            unsigned char *p = rec + (size_t)nch * (size_t)ns * 3;
            memset(p, 0, (size_t)ann_ns * 3);
            memcpy(p, tal[r].p, tal[r].len);
        }
        st = eegnn__outfile_write(&of, rec, rec_bytes);
    }
    if (st)
        eegnn__outfile_abort(&of);
    else
        st = eegnn__outfile_commit(&of);
out:
    if (st == EEGNN_ERR_MEMORY && !strstr(eegnn_last_error(), path))
        eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory", path);
    if (tal) {
        for (r = 0; r < n_records; r++) eegnn__sb_free(&tal[r]);
        EEGNN_FREE(tal);
    }
    EEGNN_FREE(rec);
    EEGNN_FREE(hdr);
    EEGNN_FREE(scale);
    EEGNN_FREE(pminv);
    EEGNN_FREE(pmaxv);
    return st;
}
