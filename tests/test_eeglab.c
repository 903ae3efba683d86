/* EEGLAB .set reading against MNE-Python 1.3 (tests/ref_eeglab.py), the MAT
 * v7.3 refusal, MAT v7 compressed elements (with and without zlib) and bad
 * input handling. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define MAX_LINES 4096

/* What MNE returned for one file (<key>.txt). */
typedef struct ref_file {
    char rel[512];
    int refused, n_ch, n_ann, n_epochs, n_ev, n_evid;
    double sfreq, tmin;
    long long n_times;
    char *names[512], *types[512];
    double onset[1024], duration[1024];
    char *desc[1024];
    long long ev[1024][3];
    int evid_code[64];
    char *evid_name[64];
} ref_file;

static char *dup_str(const char *s) {
    char *d = (char *)malloc(strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

static void ref_free(ref_file *r) {
    int i;
    for (i = 0; i < r->n_ch; i++) {
        free(r->names[i]);
        free(r->types[i]);
    }
    for (i = 0; i < r->n_ann; i++)
        free(r->desc[i]);
    for (i = 0; i < r->n_evid; i++)
        free(r->evid_name[i]);
}

static int ref_load(const char *path, ref_file *r) {
    FILE *fp = fopen(path, "rb");
    static char line[1 << 16];
    memset(r, 0, sizeof *r);
    if (!fp)
        return 0;
    while (fgets(line, sizeof line, fp)) {
        size_t n = strlen(line);
        char *rest, *sp;
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        rest = strchr(line, ' ');
        rest = rest ? rest + 1 : line + n;
        if (strncmp(line, "path ", 5) == 0) {
            snprintf(r->rel, sizeof r->rel, "%s", rest);
        } else if (strncmp(line, "status ", 7) == 0) {
            r->refused = strcmp(rest, "refused") == 0;
        } else if (strncmp(line, "sfreq ", 6) == 0) {
            r->sfreq = strtod(rest, NULL);
        } else if (strncmp(line, "tmin ", 5) == 0) {
            r->tmin = strtod(rest, NULL);
        } else if (strncmp(line, "epochs ", 7) == 0) {
            r->n_epochs = atoi(rest);
        } else if (strncmp(line, "n_times ", 8) == 0) {
            r->n_times = strtoll(rest, NULL, 10);
        } else if (strncmp(line, "ch ", 3) == 0 && r->n_ch < 512) {
            sp = strchr(rest, ' ');
            if (!sp)
                continue;
            *sp = '\0';
            r->types[r->n_ch] = dup_str(rest);
            r->names[r->n_ch++] = dup_str(sp + 1);
        } else if (strncmp(line, "ann ", 4) == 0 && r->n_ann < 1024) {
            char *e1, *e2;
            r->onset[r->n_ann] = strtod(rest, &e1);
            r->duration[r->n_ann] = strtod(e1, &e2);
            r->desc[r->n_ann++] = dup_str(*e2 == ' ' ? e2 + 1 : e2);
        } else if (strncmp(line, "event ", 6) == 0 && r->n_ev < 1024) {
            sscanf(rest, "%lld %lld %lld", &r->ev[r->n_ev][0], &r->ev[r->n_ev][1], &r->ev[r->n_ev][2]);
            r->n_ev++;
        } else if (strncmp(line, "event_id ", 9) == 0 && r->n_evid < 64) {
            r->evid_code[r->n_evid] = atoi(rest);
            sp = strchr(rest, ' ');
            r->evid_name[r->n_evid++] = dup_str(sp ? sp + 1 : "");
        }
    }
    fclose(fp);
    return 1;
}

static int same_double(double a, double b) {
    if (a != a || b != b)
        return a != a && b != b;
    return fabs(a - b) <= 1e-9 * (1.0 + fabs(b));
}

static void expect_error(const char *path, const char *needle, const char *what);

static void check_raw_meta(const ref_file *r, const eegnn_raw *raw) {
    int i, ok = 1;
    CHECK(raw->sfreq == r->sfreq, "%s: sfreq %g vs MNE %g", r->rel, raw->sfreq, r->sfreq);
    CHECK(raw->n_times == r->n_times, "%s: n_times %lld vs MNE %lld", r->rel, (long long)raw->n_times, r->n_times);
    CHECK(raw->n_channels == r->n_ch, "%s: %d channels vs MNE %d", r->rel, raw->n_channels, r->n_ch);
    for (i = 0; i < raw->n_channels && i < r->n_ch; i++)
        if (strcmp(raw->ch_names[i], r->names[i]) != 0 || strcmp(raw->ch_types[i], r->types[i]) != 0) {
            CHECK(0, "%s: channel %d '%s' (%s) vs MNE '%s' (%s)", r->rel, i, raw->ch_names[i], raw->ch_types[i],
                  r->names[i], r->types[i]);
            ok = 0;
        }
    CHECK(ok, "%s: channel names and types", r->rel);
    CHECK(raw->n_annotations == r->n_ann, "%s: %d annotations vs MNE %d", r->rel, raw->n_annotations, r->n_ann);
    ok = 1;
    for (i = 0; i < raw->n_annotations && i < r->n_ann; i++) {
        const eegnn_annotation *a = &raw->annotations[i];
        if (!same_double(a->onset, r->onset[i]) || !same_double(a->duration, r->duration[i]) ||
            strcmp(a->description, r->desc[i]) != 0) {
            if (ok)
                CHECK(0, "%s: annotation %d (%.9g, %.9g, '%s') vs MNE (%.9g, %.9g, '%s')", r->rel, i, a->onset,
                      a->duration, a->description, r->onset[i], r->duration[i], r->desc[i]);
            ok = 0;
        }
    }
    CHECK(ok, "%s: annotations match MNE", r->rel);
}

static void check_file(const char *key) {
    char txt[320], npy[320];
    ref_file *r = (ref_file *)calloc(1, sizeof *r);
    const char *path;
    eegnn_raw *raw;
    snprintf(txt, sizeof txt, "eeglab/%s.txt", key);
    snprintf(npy, sizeof npy, "eeglab/%s.npy", key);
    if (!r)
        return;
    if (!ref_load(test_out_path(txt), r)) {
        CHECK(0, "missing reference %s (run tests/ref_eeglab.py)", txt);
        free(r);
        return;
    }
    if (strncmp(r->rel, "out:", 4) == 0) { /* written into the reference folder */
        snprintf(npy, sizeof npy, "eeglab/%s", r->rel + 4);
        path = test_out_path(npy);
        snprintf(npy, sizeof npy, "eeglab/%s.npy", key);
    } else {
        path = test_data_path(r->rel);
    }
#ifndef EEGNN_USE_ZLIB
    if (strncmp(r->rel, "out:compressed_", 15) == 0) { /* MAT v7: needs zlib */
        expect_error(path, "-DEEGNN_USE_ZLIB", r->rel);
        CHECK(strstr(eegnn_last_error(), "-lz") != NULL, "%s: hint names -lz: %s", r->rel, eegnn_last_error());
        ref_free(r);
        free(r);
        return;
    }
#endif
    raw = eegnn_read_raw(path, NULL);
    if (r->refused) {
        CHECK(raw == NULL, "%s: refused by the reference, read by eegnn", r->rel);
        CHECK(strstr(eegnn_last_error(), "7.3") && strstr(eegnn_last_error(), "-v7") &&
                  strstr(eegnn_last_error(), r->rel),
              "%s: v7.3 error should name the file and how to convert: %s", r->rel, eegnn_last_error());
        eegnn_raw_free(raw);
        ref_free(r);
        free(r);
        return;
    }
    CHECK(raw != NULL, "%s: %s", r->rel, eegnn_last_error());
    if (raw) {
        int ndim;
        int64_t shape[EEGNN_NPY_MAX_DIMS];
        size_t numel;
        float *want = eegnn_npy_read(test_out_path(npy), &ndim, shape, &numel);
        check_raw_meta(r, raw);
        CHECK(want != NULL, "%s: reference data: %s", r->rel, eegnn_last_error());
        if (want && r->n_epochs == 0) {
            double err;
            CHECK(numel == (size_t)raw->n_channels * (size_t)raw->n_times, "%s: reference size", r->rel);
            if (numel == (size_t)raw->n_channels * (size_t)raw->n_times) {
                err = test_max_rel_err(raw->data, want, numel);
                CHECK(err <= 1e-6, "%s: samples rel. err %.3g", r->rel, err);
                printf("  %s: %d ch x %lld samples, %d annotations, max rel. err %.3g\n", r->rel, raw->n_channels,
                       (long long)raw->n_times, raw->n_annotations, err);
            }
        }
        if (want && r->n_epochs > 0) {
            eegnn_eeglab_epochs *ep = eegnn_read_eeglab_epochs(path, NULL);
            CHECK(ep != NULL, "%s: epochs: %s", r->rel, eegnn_last_error());
            if (ep) {
                int i, ok = 1;
                double err;
                size_t n = (size_t)ep->n_epochs * (size_t)ep->raw->n_channels * (size_t)ep->n_times;
                check_raw_meta(r, ep->raw);
                CHECK(ep->n_epochs == r->n_epochs, "%s: %d epochs vs MNE %d", r->rel, ep->n_epochs, r->n_epochs);
                CHECK(same_double(ep->tmin, r->tmin), "%s: tmin %g vs MNE %g", r->rel, ep->tmin, r->tmin);
                CHECK(numel == n, "%s: epochs reference size", r->rel);
                if (numel == n) {
                    err = test_max_rel_err(ep->data, want, n);
                    CHECK(err <= 1e-6, "%s: epoch samples rel. err %.3g", r->rel, err);
                    printf("  %s: %d epochs x %d ch x %lld samples, max rel. err %.3g\n", r->rel, ep->n_epochs,
                           ep->raw->n_channels, (long long)ep->n_times, err);
                }
                CHECK(r->n_ev == ep->n_epochs, "%s: events count", r->rel);
                for (i = 0; i < r->n_ev && i < ep->n_epochs; i++)
                    if (ep->events[3 * i] != r->ev[i][0] || ep->events[3 * i + 1] != r->ev[i][1] ||
                        ep->events[3 * i + 2] != r->ev[i][2]) {
                        if (ok)
                            CHECK(0, "%s: event %d (%lld %lld %lld) vs MNE (%lld %lld %lld)", r->rel, i,
                                  (long long)ep->events[3 * i], (long long)ep->events[3 * i + 1],
                                  (long long)ep->events[3 * i + 2], r->ev[i][0], r->ev[i][1], r->ev[i][2]);
                        ok = 0;
                    }
                CHECK(ok, "%s: events match MNE", r->rel);
                CHECK(ep->n_event_id == r->n_evid, "%s: %d event ids vs MNE %d", r->rel, ep->n_event_id, r->n_evid);
                ok = 1;
                for (i = 0; i < r->n_evid && i < ep->n_event_id; i++)
                    if (ep->event_codes[i] != r->evid_code[i] || strcmp(ep->event_names[i], r->evid_name[i]) != 0)
                        ok = 0;
                CHECK(ok, "%s: event_id matches MNE", r->rel);
                /* the continuous view holds the same samples */
                CHECK(memcmp(ep->raw->data, raw->data,
                             sizeof(float) * (size_t)raw->n_channels * (size_t)raw->n_times) == 0,
                      "%s: eegnn_read_raw and the epochs' continuous view agree", r->rel);
                eegnn_eeglab_epochs_free(ep);
            }
        }
        free(want);
    }
    eegnn_raw_free(raw);
    ref_free(r);
    free(r);
}

/* ---- bad input ---------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    unsigned char *b;
    long n;
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    b = (unsigned char *)malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(fp);
    *len = (size_t)n;
    return b;
}

static void spit(const char *path, const void *b, size_t n) {
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return;
    if (n)
        fwrite(b, 1, n, fp);
    fclose(fp);
}

/* Reading `path` must fail with an error naming it and containing `needle`. */
static void expect_error(const char *path, const char *needle, const char *what) {
    eegnn_raw *raw = eegnn_read_raw(path, NULL);
    CHECK(raw == NULL, "%s: read without error", what);
    CHECK(strstr(eegnn_last_error(), path) != NULL && (!needle || strstr(eegnn_last_error(), needle)),
          "%s: error should name the file and '%s': %s", what, needle ? needle : "", eegnn_last_error());
    eegnn_raw_free(raw);
}

/* Replaces the first small data element (tag word `tag`, 4 data bytes
 * starting with `val` of `vlen` bytes) by `ntag` / `nval`. MATLAB stores
 * whole doubles such as nbchan and pnts this way. */
static int patch_small(unsigned char *b, size_t n, uint32_t tag, uint32_t val, size_t vlen, uint32_t ntag,
                       uint32_t nval) {
    size_t i;
    for (i = 128; i + 8 <= n; i += 8) {
        uint32_t t, v = 0;
        memcpy(&t, b + i, 4);
        memcpy(&v, b + i + 4, vlen);
        if (t == tag && v == val) {
            memcpy(b + i, &ntag, 4);
            memcpy(b + i + 4, &nval, 4);
            return 1;
        }
    }
    return 0;
}

static void check_bad_input(void) {
    size_t n = 0, fn = 0, i;
    const char *src = test_data_path("formats/mne-testing-data/EEGLAB/test_raw_chanloc.set");
    const char *fdt = test_data_path("formats/mne-testing-data/EEGLAB/test_raw_chanloc.fdt");
    unsigned char *b = slurp(src, &n), *f = slurp(fdt, &fn);
    char p[512], q[512];
    CHECK(b != NULL && f != NULL, "read %s", src);
    if (!b || !f) {
        free(b);
        free(f);
        return;
    }
    eegnn__mkdirs(test_out_path("eeglab/bad"));
    /* zero-length and short files */
    snprintf(p, sizeof p, "%s", test_out_path("eeglab/bad/empty.set"));
    spit(p, b, 0);
    expect_error(p, "MAT-file", "zero-length .set");
    snprintf(p, sizeof p, "%s", test_out_path("eeglab/bad/short.set"));
    spit(p, b, 100);
    expect_error(p, "MAT-file", "100-byte .set");
    /* truncations at many points: never a crash, always an error */
    {
        int fails = 0, k;
        for (k = 1; k < 40; k++) {
            size_t cut = 128 + (n - 128) * (size_t)k / 40;
            eegnn_raw *raw;
            snprintf(p, sizeof p, "%s", test_out_path("eeglab/bad/trunc.set"));
            spit(p, b, cut);
            raw = eegnn_read_raw(p, NULL);
            if (raw || !strstr(eegnn_last_error(), p))
                fails++;
            eegnn_raw_free(raw);
        }
        CHECK(fails == 0, "truncated .set copies: %d of 39 did not fail with an error naming the file", fails);
    }
    /* corrupted tag sizes: every 8-byte aligned word set to huge / odd sizes */
    {
        int crashes_avoided = 0;
        unsigned char *c = (unsigned char *)malloc(n);
        for (i = 128; i + 8 <= n && i < 128 + 8 * 400; i += 8) {
            eegnn_raw *raw;
            uint32_t big = 0x7FFFFFF0u;
            memcpy(c, b, n);
            memcpy(c + i + 4, &big, 4);
            snprintf(p, sizeof p, "%s", test_out_path("eeglab/bad/tag.set"));
            spit(p, c, n);
            raw = eegnn_read_raw(p, NULL);
            eegnn_raw_free(raw);
            crashes_avoided++;
        }
        /* the first variable's size word */
        memcpy(c, b, n);
        {
            uint32_t big = 0xFFFFFF00u;
            memcpy(c + 132, &big, 4);
        }
        snprintf(p, sizeof p, "%s", test_out_path("eeglab/bad/tag0.set"));
        spit(p, c, n);
        expect_error(p, "bytes", "corrupted first tag size");
        free(c);
        CHECK(crashes_avoided > 0, "corrupted tag sizes read without crashing");
    }
    /* absurd nbchan / pnts: patch the stored values (32 channels, 385 points) */
    {
        unsigned char *c = (unsigned char *)malloc(n);
        /* nbchan = 61 (miUINT8), pnts = 385 (miUINT16) in this file */
        uint32_t tag[4], val[4], ntag[4], nval[4];
        size_t vlen[4];
        const char *field[4];
        int k;
        tag[0] = 0x00010002u;
        val[0] = 61;
        vlen[0] = 1;
        ntag[0] = 0x00040006u;
        nval[0] = 1000000000u;
        field[0] = "nbchan";
        tag[1] = 0x00020004u;
        val[1] = 385;
        vlen[1] = 2;
        ntag[1] = 0x00040006u;
        nval[1] = 4000000000u;
        field[1] = "pnts";
        tag[2] = 0x00020004u;
        val[2] = 385;
        vlen[2] = 2;
        ntag[2] = 0x00020004u;
        nval[2] = 386;
        field[2] = "truncated";
        tag[3] = 0x00010002u;
        val[3] = 61;
        vlen[3] = 1;
        ntag[3] = 0x00010001u;
        nval[3] = 0xFDu;
        field[3] = "nbchan";
        for (k = 0; k < 4; k++) {
            memcpy(c, b, n);
            if (!patch_small(c, n, tag[k], val[k], vlen[k], ntag[k], nval[k])) {
                CHECK(0, "could not patch %s", field[k]);
                continue;
            }
            snprintf(p, sizeof p, "%s/absurd%d.set", test_out_path("eeglab/bad"), k);
            snprintf(q, sizeof q, "%s/absurd%d.fdt", test_out_path("eeglab/bad"), k);
            spit(p, c, n);
            spit(q, f, fn);
            expect_error(p, field[k], field[k]);
        }
        free(c);
    }
    /* truncated and missing .fdt */
    snprintf(p, sizeof p, "%s", test_out_path("eeglab/bad/test_raw_chanloc.set"));
    snprintf(q, sizeof q, "%s", test_out_path("eeglab/bad/test_raw_chanloc.fdt"));
    spit(p, b, n);
    spit(q, f, fn - 100);
    expect_error(p, "truncated", "truncated .fdt");
    remove(q);
    expect_error(p, ".fdt", "missing .fdt");
    spit(q, f, fn); /* the copy reads back like the original */
    {
        eegnn_raw *a = eegnn_read_raw(p, NULL), *o = eegnn_read_raw(src, NULL);
        CHECK(a && o && a->n_times == o->n_times &&
                  memcmp(a->data, o->data, sizeof(float) * (size_t)a->n_channels * (size_t)a->n_times) == 0,
              "copied .set/.fdt read back identically");
        eegnn_raw_free(a);
        eegnn_raw_free(o);
    }
    /* garbage after a valid header */
    {
        unsigned char *c = (unsigned char *)malloc(n);
        memcpy(c, b, n);
        for (i = 128; i < n; i++)
            c[i] = (unsigned char)(i * 131u + 7u);
        snprintf(p, sizeof p, "%s", test_out_path("eeglab/bad/garbage.set"));
        spit(p, c, n);
        expect_error(p, NULL, "garbage body");
        free(c);
    }
    free(b);
    free(f);
}

/* A small MAT v7 file written with zlib: a compressed EEG struct. Built by
 * hand so the compressed path is tested without a MATLAB-written file. */
static void check_compressed(void) {
    const char *src = test_data_path("formats/mne-testing-data/EEGLAB/test_raw_event_duration.set");
    size_t n = 0;
    unsigned char *b = slurp(src, &n);
    char p[512];
    CHECK(b != NULL, "read %s", src);
    if (!b)
        return;
#ifdef EEGNN_USE_ZLIB
    {
        /* recompress each top-level element as an miCOMPRESSED element */
        size_t off = 128, o = 128;
        unsigned char *out = (unsigned char *)malloc(n * 2 + 1024);
        memcpy(out, b, 128);
        while (off + 8 <= n) {
            uint32_t type, nb;
            uLongf zl = compressBound((uLong)n);
            size_t el;
            memcpy(&type, b + off, 4);
            memcpy(&nb, b + off + 4, 4);
            el = type == 15 ? 8 + nb : 8 + ((nb + 7u) & ~7u);
            if (type == 15) {
                memcpy(out + o, b + off, el);
                o += el;
            } else {
                uint32_t t15 = 15, zl32;
                compress2(out + o + 8, &zl, b + off, (uLong)(8 + nb), 6);
                zl32 = (uint32_t)zl;
                memcpy(out + o, &t15, 4);
                memcpy(out + o + 4, &zl32, 4);
                o += 8 + zl;
            }
            off += el;
        }
        snprintf(p, sizeof p, "%s", test_out_path("eeglab/compressed.set"));
        spit(p, out, o);
        {
            eegnn_raw *a = eegnn_read_raw(p, NULL), *ref = eegnn_read_raw(src, NULL);
            CHECK(a != NULL, "compressed copy: %s", eegnn_last_error());
            CHECK(a && ref && a->n_times == ref->n_times && a->n_annotations == ref->n_annotations &&
                      memcmp(a->data, ref->data, sizeof(float) * (size_t)a->n_channels * (size_t)a->n_times) == 0,
                  "compressed copy reads like the original");
            eegnn_raw_free(a);
            eegnn_raw_free(ref);
        }
        /* corrupt compressed payload */
        out[128 + 8 + 5] ^= 0x5A;
        out[128 + 8 + 6] ^= 0xA5;
        spit(p, out, o);
        expect_error(p, NULL, "corrupt compressed element");
        /* truncated compressed payload */
        snprintf(p, sizeof p, "%s", test_out_path("eeglab/compressed_trunc.set"));
        spit(p, out, 128 + 8 + 40);
        expect_error(p, NULL, "truncated compressed element");
        free(out);
    }
#else
    {
        /* without zlib: a compressed element gives the rebuild hint */
        unsigned char *out = (unsigned char *)malloc(n);
        uint32_t t15 = 15;
        memcpy(out, b, n);
        memcpy(out + 128, &t15, 4);
        snprintf(p, sizeof p, "%s", test_out_path("eeglab/compressed.set"));
        spit(p, out, n);
        expect_error(p, "-DEEGNN_USE_ZLIB", "compressed element without zlib");
        CHECK(strstr(eegnn_last_error(), "-lz") != NULL, "hint names -lz: %s", eegnn_last_error());
        free(out);
    }
#endif
    /* header only: everything but the samples */
    {
        eegnn_read_options o;
        eegnn_raw *h, *full;
        eegnn_eeglab_epochs *ep;
        memset(&o, 0, sizeof o);
        o.header_only = 1;
        h = eegnn_read_raw(src, &o);
        full = eegnn_read_raw(src, NULL);
        CHECK(h && full && h->data == NULL && h->n_times == full->n_times && h->n_channels == full->n_channels &&
                  h->n_annotations == full->n_annotations,
              "header_only read: %s", eegnn_last_error());
        eegnn_raw_free(h);
        eegnn_raw_free(full);
        /* a continuous file is no epochs file (MNE raises too) */
        ep = eegnn_read_eeglab_epochs(src, NULL);
        CHECK(ep == NULL && strstr(eegnn_last_error(), "trials"), "epochs from a continuous file: %s",
              eegnn_last_error());
        eegnn_eeglab_epochs_free(ep);
    }
    free(b);
}

int main(void) {
    char line[256];
    int n_files = 0;
    FILE *fp = fopen(test_out_path("eeglab/files.txt"), "r");
    CHECK(fp != NULL, "missing %s (run tests/ref_eeglab.py)", test_out_path("eeglab/files.txt"));
    while (fp && fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        check_file(line);
        n_files++;
    }
    if (fp)
        fclose(fp);
    CHECK(n_files >= 12, "reference lists %d .set files", n_files);
    check_bad_input();
    check_compressed();
    return test_summary("test_eeglab");
}
