/* EDF/EDF+/BDF/BDF+ reading against MNE-Python 1.3 (tests/ref_edf.py), bad
 * input handling, and the BDF writer round trip. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"
#include "ref_raw.h"


static void check_file(const char *key, const char *rel, double *worst_err) {
    ref_file r;
    eegnn_raw *raw;
    char path[1024];
    snprintf(path, sizeof path, "edf/%s.txt", key);
    if (!ref_load(test_out_path(path), &r)) {
        CHECK(0, "%s: cannot read %s (run tests/ref_edf.py first)", rel, test_out_path(path));
        ref_free(&r);
        return;
    }
    raw = eegnn_read_raw(test_data_path(rel), NULL);
    if (r.refused) {
        /* MNE has no data channels to return here; eegnn returns the annotations */
        CHECK(raw != NULL, "%s: %s", rel, eegnn_last_error());
        if (raw) {
            CHECK(raw->n_channels == 0 && raw->data == NULL && raw->n_times == 0,
                  "%s: annotation-only file gave %d channels", rel, raw->n_channels);
            check_annotations(rel, raw, &r, 1e-6);
        }
        eegnn_raw_free(raw);
        ref_free(&r);
        return;
    }
    CHECK(raw != NULL, "%s: %s", rel, eegnn_last_error());
    if (raw) {
        int c, names_ok = 1, types_ok = 1;
        CHECK(raw->n_channels == r.n_ch, "%s: %d channels, MNE %d", rel, raw->n_channels, r.n_ch);
        CHECK(fabs(raw->sfreq - r.sfreq) <= 1e-9 * r.sfreq, "%s: sfreq %g, MNE %g", rel, raw->sfreq, r.sfreq);
        CHECK(raw->n_times == r.n_times, "%s: n_times %lld, MNE %lld", rel, (long long)raw->n_times, r.n_times);
        CHECK((raw->meas_date != raw->meas_date && r.meas_date != r.meas_date) || raw->meas_date == r.meas_date,
              "%s: meas_date %.17g, MNE %.17g", rel, raw->meas_date, r.meas_date);
        for (c = 0; c < raw->n_channels && c < r.n_ch; c++) {
            if (strcmp(raw->ch_names[c], r.names[c]) != 0) {
                names_ok = 0;
                printf("  %s channel %d: '%s', MNE '%s'\n", rel, c, raw->ch_names[c], r.names[c]);
            }
            if (strcmp(raw->ch_types[c], r.types[c]) != 0) types_ok = 0;
        }
        CHECK(names_ok, "%s: channel names differ from MNE", rel);
        CHECK(types_ok, "%s: channel types differ from MNE", rel);
        check_annotations(rel, raw, &r, 1e-6);
        if (raw->n_channels == r.n_ch && raw->n_times == r.n_times) {
            int ndim = 0;
            int64_t shape[8];
            size_t numel = 0;
            float *want;
            snprintf(path, sizeof path, "edf/%s.npy", key);
            want = eegnn_npy_read(test_out_path(path), &ndim, shape, &numel);
            CHECK(want != NULL && numel == (size_t)r.n_ch * (size_t)r.n_times, "%s: reference samples: %s", rel,
                  eegnn_last_error());
            if (want && numel == (size_t)r.n_ch * (size_t)r.n_times) {
                double worst = 0;
                int worst_c = 0;
                for (c = 0; c < r.n_ch; c++) {
                    double e = test_max_rel_err(raw->data + (size_t)c * (size_t)r.n_times,
                                                want + (size_t)c * (size_t)r.n_times, (size_t)r.n_times);
                    if (!(e <= worst)) {
                        worst = e;
                        worst_c = c;
                    }
                }
                CHECK(worst < 1e-6, "%s: samples differ from MNE: max relative error %.3g (channel %s)", rel, worst,
                      raw->ch_names[worst_c]);
                if (!(worst <= *worst_err)) *worst_err = worst;
            }
            eegnn_free(want);
        }
        /* header_only gives the same header and annotations without samples */
        {
            eegnn_read_options opt;
            eegnn_raw *h;
            memset(&opt, 0, sizeof opt);
            opt.header_only = 1;
            h = eegnn_read_raw(test_data_path(rel), &opt);
            CHECK(h && !h->data && h->n_channels == raw->n_channels && h->n_times == raw->n_times &&
                      h->n_annotations == raw->n_annotations,
                  "%s: header_only read differs", rel);
            eegnn_raw_free(h);
        }
    }
    eegnn_raw_free(raw);
    ref_free(&r);
}

/* ---- bad input ---- */
static unsigned char *slurp(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    unsigned char *b;
    long len;
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    b = (unsigned char *)malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, fp) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(fp);
    *n = (size_t)len;
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t n) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return;
    if (n) fwrite(b, 1, n, fp);
    fclose(fp);
}

/* Writes `n` bytes of `orig` with `field` (if any) replaced at `at`, reads it
 * and checks for NULL and a message naming the file and containing `want`. */
static void expect_error(const char *name, const unsigned char *orig, size_t n, size_t at, const char *field,
                         const char *want) {
    char path[1024];
    unsigned char *b = (unsigned char *)malloc(n + 1);
    eegnn_raw *raw;
    snprintf(path, sizeof path, "%s", test_out_path(name));
    if (n) memcpy(b, orig, n);
    if (field) memcpy(b + at, field, strlen(field));
    spit(path, b, n);
    free(b);
    eegnn_clear_error();
    raw = eegnn_read_raw(path, NULL);
    CHECK(raw == NULL, "%s: corrupted file was accepted", name);
    CHECK(strstr(eegnn_last_error(), path) != NULL, "%s: error does not name the file: '%s'", name,
          eegnn_last_error());
    CHECK(strstr(eegnn_last_error(), want) != NULL, "%s: error '%s' does not mention '%s'", name,
          eegnn_last_error(), want);
    eegnn_raw_free(raw);
    remove(path);
}

static void test_bad_input(void) {
    size_t n = 0, n2 = 0;
    unsigned char *edf = slurp(test_data_path("formats/eeglab/sample_data/test_data/test.edf"), &n);
    unsigned char *bdf = slurp(test_data_path("formats/mne-testing-data/BDF/multiple_annotation_chans.bdf"), &n2);
    eegnn_raw *raw;
    CHECK(edf && bdf, "cannot read the source files for the bad-input tests");
    if (!edf || !bdf) {
        free(edf);
        free(bdf);
        return;
    }
    expect_error("edf_empty.edf", edf, 0, 0, NULL, "shorter than the 256-byte");
    expect_error("edf_short.edf", edf, 100, 0, NULL, "shorter than the 256-byte");
    expect_error("edf_cut_header.edf", edf, 1000, 0, NULL, "truncated file");
    expect_error("edf_cut_data.edf", edf, n - 5000, 0, NULL, "truncated file");
    expect_error("bdf_cut_data.bdf", bdf, n2 / 2, 0, NULL, "truncated file");
    expect_error("edf_nsig_text.edf", edf, n, 252, "ab  ", "header byte 252 (number of signals)");
    expect_error("edf_nsig_huge.edf", edf, n, 252, "9999", "header byte 184 (number of bytes in header)");
    expect_error("edf_nsig_neg.edf", edf, n, 252, "-3  ", "header byte 252");
    expect_error("edf_hdrbytes.edf", edf, n, 184, "4353    ", "header byte 184");
    expect_error("edf_nrec.edf", edf, n, 236, "1e3     ", "header byte 236 (number of data records)");
    expect_error("edf_nrec_big.edf", edf, n, 236, "99999999", "header byte 236");
    expect_error("edf_nrec_neg.edf", edf, n, 236, "-5      ", "header byte 236");
    expect_error("edf_duration.edf", edf, n, 244, "one     ", "header byte 244 (duration of a data record)");
    /* 16 signals: digital minimum of signal 1 at 256 + 120 * 16 */
    expect_error("edf_dmin.edf", edf, n, 256 + 120 * 16, "--5     ", "digital minimum");
    expect_error("edf_pmax_nan.edf", edf, n, 256 + 112 * 16, "nan     ", "physical maximum");
    /* samples per record of signal 3 at 256 + 216 * 16 + 16 */
    expect_error("edf_ns_zero.edf", edf, n, 256 + 216 * 16 + 16, "0       ", "number of samples per record");
    expect_error("edf_ns_huge.edf", edf, n, 256 + 216 * 16 + 16, "99999999", "truncated file");
    /* a huge rate on one signal with the record count from the file size:
     * either too few bytes for one record or refused, never a huge allocation */
    {
        unsigned char *b = (unsigned char *)malloc(n);
        char path[1024];
        memcpy(b, edf, n);
        memcpy(b + 236, "-1      ", 8);
        memcpy(b + 256 + 216 * 16, "1000000 ", 8);
        snprintf(path, sizeof path, "%s", test_out_path("edf_ns_big_minus1.edf"));
        spit(path, b, n);
        free(b);
        raw = eegnn_read_raw(path, NULL);
        CHECK(raw == NULL || (raw->n_times == 0), "edf_ns_big_minus1: %lld samples from a 0-record file",
              raw ? (long long)raw->n_times : 0LL);
        eegnn_raw_free(raw);
        remove(path);
    }
    /* invalid UTF-8 in an annotation signal: first TAL byte of record 0 */
    {
        size_t hb = 256 * 35;
        unsigned char *b = (unsigned char *)malloc(n2);
        memcpy(b, bdf, n2);
        /* the first annotation signal is signal 20 (after 19 data signals) */
        {
            char path[1024];
            size_t off = hb, i;
            /* find the first annotation signal's offset in record 0 */
            long ns_total = 0;
            for (i = 0; i < 19; i++) {
                char f[9];
                memcpy(f, bdf + 256 + 216 * 34 + 8 * i, 8);
                f[8] = 0;
                ns_total += atol(f);
            }
            off += (size_t)ns_total * 3;
            for (i = 0; i < 12; i++) b[off + i + 4] = 0xFF;
            snprintf(path, sizeof path, "%s", test_out_path("bdf_bad_utf8.bdf"));
            spit(path, b, n2);
            raw = eegnn_read_raw(path, NULL);
            CHECK(raw == NULL && strstr(eegnn_last_error(), "UTF-8") && strstr(eegnn_last_error(), path),
                  "bdf_bad_utf8: %s", raw ? "accepted" : eegnn_last_error());
            eegnn_raw_free(raw);
            remove(path);
        }
        free(b);
    }
    raw = eegnn_read_raw(test_out_path("no_such_file.edf"), NULL);
    CHECK(raw == NULL && strstr(eegnn_last_error(), "no_such_file.edf"), "missing file: %s", eegnn_last_error());
    raw = eegnn_read_raw("recording.xyz", NULL);
    CHECK(raw == NULL && strstr(eegnn_last_error(), "recording.xyz") && strstr(eegnn_last_error(), "unsupported"),
          "unknown extension: %s", eegnn_last_error());
    free(edf);
    free(bdf);
}

/* ---- writer round trip ---- */
static void test_writer(void) {
    eegnn_raw raw;
    eegnn_raw *back;
    const int nch = 4;
    const int64_t nt = 3 * 250 + 17; /* not a whole number of 1 s records */
    char *names[4], *units[4], *types[4];
    double fs[4];
    eegnn_annotation ann[3];
    float *x = (float *)malloc(sizeof(float) * (size_t)(nch * nt));
    int64_t t;
    int c;
    char path[1024];
    snprintf(path, sizeof path, "%s", test_out_path("edf_roundtrip.bdf"));
    names[0] = (char *)"Fz";
    names[1] = (char *)"Cz";
    names[2] = (char *)"ECG";
    names[3] = (char *)"Status";
    units[0] = (char *)"uV";
    units[1] = (char *)"uV";
    units[2] = (char *)"mV";
    units[3] = (char *)"Boolean";
    types[0] = types[1] = types[2] = (char *)"eeg";
    types[3] = (char *)"stim";
    for (c = 0; c < nch; c++) fs[c] = 250;
    for (t = 0; t < nt; t++) {
        double s = (double)t / 250.0;
        x[t] = (float)(50e-6 * sin(2 * 3.14159265358979 * 10 * s) + 3e-6 * cos(7.0 * s));
        x[nt + t] = (float)(-120e-6 + 80e-6 * sin(2 * 3.14159265358979 * 1.5 * s));
        x[2 * nt + t] = (float)(1.2e-3 * sin(2 * 3.14159265358979 * 1.1 * s) * sin(2 * 3.14159265358979 * 17 * s));
        x[3 * nt + t] = (float)((t / 50) % 3 == 1 ? (t / 50) % 7 + 1 : 0);
    }
    ann[0].onset = 0.5;
    ann[0].duration = 0.25;
    ann[0].description = (char *)"left_hand";
    ann[1].onset = 1.75;
    ann[1].duration = 0;
    ann[1].description = (char *)"stim \xc3\xa9v\xc3\xa9nement";
    ann[2].onset = 3.02;
    ann[2].duration = 0.01;
    ann[2].description = (char *)"end";
    memset(&raw, 0, sizeof raw);
    raw.n_channels = nch;
    raw.ch_names = names;
    raw.ch_units = units;
    raw.ch_types = types;
    raw.ch_sfreq = fs;
    raw.sfreq = 250;
    raw.n_times = nt;
    raw.data = x;
    raw.n_annotations = 3;
    raw.annotations = ann;
    raw.meas_date = 1600000000.0; /* 2020-09-13 12:26:40 UTC */
    CHECK(eegnn_write_bdf(path, &raw) == EEGNN_OK, "write_bdf: %s", eegnn_last_error());
    back = eegnn_read_raw(path, NULL);
    CHECK(back != NULL, "read back: %s", eegnn_last_error());
    if (back) {
        int ok = 1;
        CHECK(back->n_channels == nch && back->sfreq == 250 && back->n_times == 4 * 250,
              "round trip: %d ch, %g Hz, %lld samples (want 4, 250, 1000 after padding)", back->n_channels,
              back->sfreq, (long long)back->n_times);
        CHECK(strcmp(back->format, "BDF+C") == 0, "round trip format %s", back->format);
        CHECK(back->meas_date == raw.meas_date, "round trip meas_date %.17g", back->meas_date);
        for (c = 0; c < nch && c < back->n_channels; c++) ok &= strcmp(back->ch_names[c], names[c]) == 0;
        CHECK(ok, "round trip channel names");
        CHECK(back->n_channels == nch && strcmp(back->ch_types[3], "stim") == 0, "round trip Status is stim");
        CHECK(back->n_annotations == 3, "round trip: %d annotations", back->n_annotations);
        for (c = 0; c < 3 && c < back->n_annotations; c++) {
            CHECK(fabs(back->annotations[c].onset - ann[c].onset) < 1e-6 &&
                      fabs(back->annotations[c].duration - ann[c].duration) < 1e-6 &&
                      strcmp(back->annotations[c].description, ann[c].description) == 0,
                  "round trip annotation %d: (%g, %g, '%s')", c, back->annotations[c].onset,
                  back->annotations[c].duration, back->annotations[c].description);
        }
        if (back->n_channels == nch && back->n_times >= nt) {
            for (c = 0; c < nch; c++) {
                const float *y = back->data + (size_t)c * (size_t)back->n_times;
                const float *w = x + (size_t)c * (size_t)nt;
                double lo = w[0], hi = w[0], max_err = 0, bound, amax;
                for (t = 0; t < nt; t++) {
                    if (w[t] < lo) lo = w[t];
                    if (w[t] > hi) hi = w[t];
                    if (fabs(y[t] - w[t]) > max_err) max_err = fabs(y[t] - w[t]);
                }
                amax = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
                /* 24-bit quantisation: half a step of a range at most 0.1% wider
                 * than the data's (8-character bounds), plus float32 rounding */
                bound = 0.5 * (hi - lo) * 1.001 / 16777215.0 + 2.0 * 6e-8 * amax;
                if (c == 3) bound = 0; /* stim: integers kept exactly */
                CHECK(max_err <= bound, "round trip channel %s: max error %.3g > bound %.3g", names[c], max_err,
                      bound);
                CHECK(y[back->n_times - 1] == y[nt - 1], "channel %s: padding repeats the last sample", names[c]);
            }
        }
    }
    eegnn_raw_free(back);
    /* EDF+D: the same file marked discontinuous, with and without a gap in the
     * record start times of the time-keeping TALs (record 2 moved to +7 s) */
    {
        size_t n = 0, i;
        unsigned char *b = slurp(path, &n);
        char dpath[1024];
        int gap;
        snprintf(dpath, sizeof dpath, "%s", test_out_path("edf_discontinuous.bdf"));
        CHECK(b != NULL && n > 256, "cannot reread %s", path);
        for (gap = 0; b && gap < 2; gap++) {
            memcpy(b + 192, "BDF+D", 5);
            if (gap)
                for (i = 256; i + 5 <= n; i++)
                    if (memcmp(b + i, "+2\x14\x14", 5) == 0) b[i + 1] = '7';
            spit(dpath, b, n);
            back = eegnn_read_raw(dpath, NULL);
            CHECK(back && strcmp(back->format, "BDF+D") == 0 && back->discontinuous == gap,
                  "EDF+D with gap=%d: %s, discontinuous %d", gap, back ? back->format : eegnn_last_error(),
                  back ? back->discontinuous : -1);
            CHECK(back && back->n_annotations == 3, "EDF+D annotations");
            eegnn_raw_free(back);
        }
        remove(dpath);
        free(b);
    }
    /* the writer refuses bad input without leaving a file */
    x[5] = (float)NAN;
    remove(path);
    CHECK(eegnn_write_bdf(path, &raw) == EEGNN_ERR_NUMERIC, "NaN sample accepted");
    {
        FILE *fp = fopen(path, "rb");
        CHECK(fp == NULL, "a failed write left %s behind", path);
        if (fp) fclose(fp);
    }
    free(x);
}

int main(void) {
    FILE *man = fopen(test_out_path("edf/manifest.txt"), "rb");
    char line[1024];
    int n_files = 0;
    double worst = 0;
    CHECK(man != NULL, "missing %s: run tests/ref_edf.py first", test_out_path("edf/manifest.txt"));
    while (man && fgets(line, sizeof line, man)) {
        char key[64], rel[900];
        if (sscanf(line, "%63s %899[^\n]", key, rel) != 2) continue;
        check_file(key, rel, &worst);
        n_files++;
    }
    if (man) fclose(man);
    CHECK(n_files >= 20, "only %d EDF/BDF files checked", n_files);
    printf("edf: %d files compared with MNE, worst sample relative error %.3g\n", n_files, worst);
    test_bad_input();
    test_writer();
    return test_summary("edf");
}
