/* BrainVision reading against MNE-Python 1.3 (tests/ref_brainvision.py: every
 * real .vhdr plus VECTORIZED / INT_16 / INT_32 / Latin-1 variants written by
 * the script), bad input handling, and a BIDS dataset read through
 * eegnn_read_raw. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"
#include "ref_raw.h"


/* Reads one manifest entry and compares it with MNE. Returns the path read
 * (static) for the tiny_bids comparison. */
static void check_file(const char *key, const char *rel, double *worst_err) {
    ref_file r;
    eegnn_raw *raw;
    char path[1024], full[1024];
    snprintf(path, sizeof path, "brainvision/%s.txt", key);
    if (!ref_load(test_out_path(path), &r)) {
        CHECK(0, "%s: cannot read %s (run tests/ref_brainvision.py first)", rel, test_out_path(path));
        ref_free(&r);
        return;
    }
    if (strncmp(rel, "variants/", 9) == 0) {
        snprintf(path, sizeof path, "brainvision/%s", rel);
        snprintf(full, sizeof full, "%s", test_out_path(path));
    } else {
        snprintf(full, sizeof full, "%s", test_data_path(rel));
    }
    raw = eegnn_read_raw(full, NULL);
    CHECK(raw != NULL, "%s: %s", rel, eegnn_last_error());
    if (raw) {
        int c, names_ok = 1, types_ok = 1;
        CHECK(strcmp(raw->format, "BrainVision") == 0, "%s: format %s", rel, raw->format);
        CHECK(raw->n_channels == r.n_ch, "%s: %d channels, MNE %d", rel, raw->n_channels, r.n_ch);
        CHECK(fabs(raw->sfreq - r.sfreq) <= 1e-12 * r.sfreq, "%s: sfreq %.17g, MNE %.17g", rel, raw->sfreq,
              r.sfreq);
        CHECK(raw->n_times == r.n_times, "%s: n_times %lld, MNE %lld", rel, (long long)raw->n_times, r.n_times);
        CHECK((raw->meas_date != raw->meas_date && r.meas_date != r.meas_date) ||
                  fabs(raw->meas_date - r.meas_date) < 1e-6,
              "%s: meas_date %.17g, MNE %.17g", rel, raw->meas_date, r.meas_date);
        for (c = 0; c < raw->n_channels && c < r.n_ch; c++) {
            if (strcmp(raw->ch_names[c], r.names[c]) != 0) {
                names_ok = 0;
                printf("  %s channel %d: '%s', MNE '%s'\n", rel, c, raw->ch_names[c], r.names[c]);
            }
            if (strcmp(raw->ch_types[c], r.types[c]) != 0) {
                types_ok = 0;
                printf("  %s channel %s: type %s, MNE %s\n", rel, r.names[c], raw->ch_types[c], r.types[c]);
            }
        }
        CHECK(names_ok, "%s: channel names differ from MNE", rel);
        CHECK(types_ok, "%s: channel types differ from MNE", rel);
        check_annotations(rel, raw, &r, 1e-9);
        if (raw->n_channels == r.n_ch && raw->n_times == r.n_times) {
            int ndim = 0;
            int64_t shape[8];
            size_t numel = 0;
            float *want;
            snprintf(path, sizeof path, "brainvision/%s.npy", key);
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
                CHECK(worst <= 1e-6, "%s: samples differ from MNE: max relative error %.3g (channel %s)", rel,
                      worst, raw->ch_names[worst_c]);
                printf("  %-62s %3d ch %6lld samples %2d annotations  max rel err %.2g\n", rel, r.n_ch, r.n_times,
                       r.n_ann, worst);
                if (!(worst <= *worst_err)) *worst_err = worst;
            }
            eegnn_free(want);
        }
        {
            eegnn_read_options opt;
            eegnn_raw *h;
            memset(&opt, 0, sizeof opt);
            opt.header_only = 1;
            h = eegnn_read_brainvision(full, &opt);
            CHECK(h && !h->data && h->n_channels == raw->n_channels && h->n_times == raw->n_times &&
                      h->n_annotations == raw->n_annotations,
                  "%s: header_only read differs", rel);
            eegnn_raw_free(h);
        }
    }
    eegnn_raw_free(raw);
    ref_free(&r);
}

static void test_against_mne(void) {
    FILE *man = fopen(test_out_path("brainvision/manifest.txt"), "rb");
    char line[1024];
    int n = 0, n_real = 0, n_var = 0;
    double worst = 0;
    CHECK(man != NULL, "no %s (run tests/ref_brainvision.py first)", test_out_path("brainvision/manifest.txt"));
    if (!man) return;
    while (fgets(line, sizeof line, man)) {
        char key[64], rel[900];
        if (sscanf(line, "%63s %899[^\n]", key, rel) != 2) continue;
        check_file(key, rel, &worst);
        n++;
        if (strncmp(rel, "variants/", 9) == 0)
            n_var++;
        else
            n_real++;
    }
    fclose(man);
    CHECK(n_real >= 4, "only %d real .vhdr files in the manifest", n_real);
    CHECK(n_var >= 5, "only %d written variants in the manifest", n_var);
    printf("  %d files vs MNE (%d real, %d written variants): worst max relative error %.3g\n", n, n_real, n_var,
           worst);
}

/* ---- bad input ---- */
static char *slurp(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    char *b;
    long len;
    *n = 0;
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    b = (char *)malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, fp) != (size_t)len) {
        free(b);
        b = NULL;
    }
    if (b) {
        b[len] = '\0';
        *n = (size_t)len;
    }
    fclose(fp);
    return b;
}

static void spit(const char *path, const char *b, size_t n) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return;
    if (n) fwrite(b, 1, n, fp);
    fclose(fp);
}

/* A copy of `s` with the first `from` replaced by `to` (caller frees). */
static char *replace(const char *s, const char *from, const char *to) {
    const char *at = strstr(s, from);
    size_t ls = strlen(s), lf = strlen(from), lt = strlen(to);
    char *o;
    if (!at) return NULL;
    o = (char *)malloc(ls - lf + lt + 1);
    if (!o) return NULL;
    memcpy(o, s, (size_t)(at - s));
    memcpy(o + (at - s), to, lt);
    memcpy(o + (at - s) + lt, at + lf, ls - (size_t)(at - s) - lf + 1);
    return o;
}

typedef struct bad_src {
    char *vhdr, *vmrk, *dat;
    size_t n_vhdr, n_vmrk, n_dat;
} bad_src;

/* Writes <name>.vhdr (testbva's header with the edit from -> to, DataFile and
 * MarkerFile pointing at <name>.dat/.vmrk), <name>.dat (first dat_len bytes of
 * the data; none when dat_len < 0) and <name>.vmrk (marker text; none when
 * NULL) into build/tests/brainvision_bad. Returns the header path or NULL. */
static const char *write_case(const bad_src *s, const char *name, const char *from, const char *to,
                              long dat_len, const char *vmrk) {
    static char out[700];
    char ref_data[700], ref_mrk[700], p[700], *h1, *h2, *h3;
    const char *dir = test_out_path("brainvision_bad/");
    snprintf(ref_data, sizeof ref_data, "DataFile=%s.dat", name);
    snprintf(ref_mrk, sizeof ref_mrk, "MarkerFile=%s.vmrk", name);
    h1 = replace(s->vhdr, "DataFile=testbva.dat", ref_data);
    h2 = h1 ? replace(h1, "MarkerFile=testbva.vmrk", ref_mrk) : NULL;
    h3 = h2 && from ? replace(h2, from, to) : (h2 ? dup_str(h2) : NULL);
    if (h3) {
        snprintf(p, sizeof p, "%s%s.dat", dir, name);
        if (dat_len >= 0) spit(p, s->dat, (size_t)dat_len < s->n_dat ? (size_t)dat_len : s->n_dat);
        snprintf(p, sizeof p, "%s%s.vmrk", dir, name);
        if (vmrk) spit(p, vmrk, strlen(vmrk));
        snprintf(out, sizeof out, "%s%s.vhdr", dir, name);
        spit(out, h3, strcmp(name, "empty_vhdr") == 0 ? 0 : strlen(h3));
    }
    free(h1);
    free(h2);
    free(h3);
    return h3 ? out : NULL;
}

/* Writes a case and expects NULL with an error naming `file_word` and `field`. */
static void expect_error(const bad_src *s, const char *name, const char *from, const char *to, long dat_len,
                         const char *vmrk, const char *file_word, const char *field) {
    const char *path = write_case(s, name, from, to, dat_len, vmrk);
    eegnn_raw *raw;
    const char *err;
    CHECK(path != NULL, "%s: cannot build the test header", name);
    if (!path) return;
    raw = eegnn_read_raw(path, NULL);
    err = eegnn_last_error();
    CHECK(raw == NULL, "%s: read succeeded", name);
    CHECK(raw == NULL && strstr(err, file_word) && strstr(err, field), "%s: error '%s' should name '%s' and '%s'",
          name, err, file_word, field);
    if (raw == NULL) printf("  %-18s -> %s\n", name, err);
    eegnn_raw_free(raw);
}

static void test_bad_input(void) {
    bad_src s;
    char p[700], *mk_bad;
    s.vhdr = slurp(test_data_path("formats/eeglab/sample_data/test_data/testbva.vhdr"), &s.n_vhdr);
    s.vmrk = slurp(test_data_path("formats/eeglab/sample_data/test_data/testbva.vmrk"), &s.n_vmrk);
    s.dat = slurp(test_data_path("formats/eeglab/sample_data/test_data/testbva.dat"), &s.n_dat);
    CHECK(s.vhdr && s.vmrk && s.dat, "cannot read testbva files");
    snprintf(p, sizeof p, "%s", test_out_path("brainvision_bad"));
    eegnn__mkdirs(p);
    if (s.vhdr && s.vmrk && s.dat) {
        long full = (long)s.n_dat;
        /* the unchanged copy reads, so each failure below comes from its edit */
        {
            const char *path = write_case(&s, "control", NULL, NULL, full, s.vmrk);
            eegnn_raw *raw = path ? eegnn_read_raw(path, NULL) : NULL;
            CHECK(raw && raw->n_times == 2112 && raw->n_channels == 32 && raw->n_annotations == 17,
                  "control copy reads: %s", eegnn_last_error());
            eegnn_raw_free(raw);
        }
        expect_error(&s, "truncated_eeg", NULL, NULL, full - 3, s.vmrk, "truncated_eeg.dat", "truncated");
        expect_error(&s, "empty_eeg", NULL, NULL, 0, s.vmrk, "empty_eeg.dat", "empty");
        expect_error(&s, "empty_vhdr", NULL, NULL, full, s.vmrk, "empty_vhdr.vhdr", "empty header");
        expect_error(&s, "missing_data", "DataFile=missing_data.dat", "DataFile=nowhere.dat", full, s.vmrk,
                     "nowhere.dat", "DataFile");
        expect_error(&s, "missing_marker", NULL, NULL, full, NULL, "missing_marker.vmrk", "cannot open");
        expect_error(&s, "huge_nchan", "NumberOfChannels=32", "NumberOfChannels=2000000000", full, s.vmrk,
                     "huge_nchan.vhdr", "NumberOfChannels");
        expect_error(&s, "more_nchan", "NumberOfChannels=32", "NumberOfChannels=33", full, s.vmrk,
                     "more_nchan.vhdr", "no entry Ch33 (NumberOfChannels=33");
        expect_error(&s, "text_nchan", "NumberOfChannels=32", "NumberOfChannels=thirty", full, s.vmrk,
                     "text_nchan.vhdr", "NumberOfChannels");
        expect_error(&s, "zero_interval", "SamplingInterval=5000", "SamplingInterval=0", full, s.vmrk,
                     "zero_interval.vhdr", "SamplingInterval");
        expect_error(&s, "tiny_interval", "SamplingInterval=5000", "SamplingInterval=1e-300", full, s.vmrk,
                     "tiny_interval.vhdr", "SamplingInterval");
        expect_error(&s, "nan_interval", "SamplingInterval=5000", "SamplingInterval=nan", full, s.vmrk,
                     "nan_interval.vhdr", "SamplingInterval");
        expect_error(&s, "no_interval", "SamplingInterval=5000", "Sampling=5000", full, s.vmrk,
                     "no_interval.vhdr", "SamplingInterval");
        expect_error(&s, "bad_format", "BinaryFormat=IEEE_FLOAT_32", "BinaryFormat=IEEE_FLOAT_64", full, s.vmrk,
                     "bad_format.vhdr", "BinaryFormat");
        expect_error(&s, "bad_orientation", "DataOrientation=MULTIPLEXED", "DataOrientation=DIAGONAL", full,
                     s.vmrk, "bad_orientation.vhdr", "DataOrientation");
        expect_error(&s, "excel_data", "DataFormat=BINARY", "DataFormat=EXCEL", full, s.vmrk, "excel_data.vhdr",
                     "DataFormat");
        expect_error(&s, "ascii_binary", "DataFormat=BINARY", "DataFormat=ASCII", full, s.vmrk,
                     "ascii_binary.dat line 1", "is not a number");
        expect_error(&s, "missing_ch5", "Ch5=C3,,\n", "", full, s.vmrk, "missing_ch5.vhdr", "no entry Ch5");
        expect_error(&s, "dup_ch5", "Ch5=C3,,", "Ch4=C3,,", full, s.vmrk, "dup_ch5.vhdr", "Ch4");
        expect_error(&s, "short_ch5", "Ch5=C3,,", "Ch5=C3", full, s.vmrk, "short_ch5.vhdr", "Ch5");
        expect_error(&s, "ch99", "Ch5=C3,,", "Ch99=C3,,", full, s.vmrk, "ch99.vhdr", "ch99");
        expect_error(&s, "bad_resolution", "Ch5=C3,,", "Ch5=C3,,big", full, s.vmrk, "bad_resolution.vhdr",
                     "resolution");
        expect_error(&s, "no_channel_infos", "[Channel Infos]", "[Channel Stuff]", full, s.vmrk,
                     "no_channel_infos.vhdr", "Channel Infos");
        expect_error(&s, "no_common_infos", "[Common Infos]", "[Common]", full, s.vmrk, "no_common_infos.vhdr",
                     "Common Infos");
        expect_error(&s, "no_marker_key", "MarkerFile=no_marker_key.vmrk", "Marker=x", full, s.vmrk,
                     "no_marker_key.vhdr", "MarkerFile");
        expect_error(&s, "big_endian", "BinaryFormat=IEEE_FLOAT_32", "BinaryFormat=IEEE_FLOAT_32\nUseBigEndianOrder=YES",
                     full, s.vmrk, "big_endian.vhdr", "UseBigEndianOrder");
        expect_error(&s, "codepage", "[Common Infos]", "[Common Infos]\nCodepage=KOI8-R", full, s.vmrk,
                     "codepage.vhdr", "Codepage");
        mk_bad = replace(s.vmrk, "Mk3=Stimulus,S  1,265,1,0", "Mk3=Stimulus,S  1,x265,1,0");
        if (mk_bad) expect_error(&s, "bad_marker_pos", NULL, NULL, full, mk_bad, "bad_marker_pos.vmrk", "Position");
        free(mk_bad);
        mk_bad = replace(s.vmrk, "Mk3=Stimulus,S  1,265,1,0", "Mk3=Stimulus,S  1");
        if (mk_bad) expect_error(&s, "short_marker", NULL, NULL, full, mk_bad, "short_marker.vmrk", "Mk3");
        free(mk_bad);
    }
    free(s.vhdr);
    free(s.vmrk);
    free(s.dat);
    {
        eegnn_raw *raw = eegnn_read_brainvision(NULL, NULL);
        CHECK(raw == NULL, "NULL path");
        raw = eegnn_read_raw(test_out_path("brainvision_bad/does_not_exist.vhdr"), NULL);
        CHECK(raw == NULL && strstr(eegnn_last_error(), "does_not_exist.vhdr"), "missing header: %s",
              eegnn_last_error());
    }
}

/* Random byte edits of a header and a marker file: every read either
 * succeeds or fails with a message; none may crash (ASan/UBSan builds). */
static void test_corrupted(void) {
    bad_src s;
    unsigned long long state = 12345;
    int it, n_ok = 0, n_err = 0, n_skip = 0;
    s.vhdr = slurp(test_data_path("formats/eeglab/sample_data/test_data/testbva.vhdr"), &s.n_vhdr);
    s.vmrk = slurp(test_data_path("formats/eeglab/sample_data/test_data/testbva.vmrk"), &s.n_vmrk);
    s.dat = slurp(test_data_path("formats/eeglab/sample_data/test_data/testbva.dat"), &s.n_dat);
    if (s.vhdr && s.vmrk && s.dat && s.n_vhdr > 0 && s.n_vmrk > 0) {
        static const char alphabet[] = ",=\\1[]\r\n;09-.xMk\xc2\xb5\xff ";
        char *vhdr0 = s.vhdr, *vmrk0 = dup_str(s.vmrk);
        for (it = 0; it < 300; it++) {
            char *h = dup_str(vhdr0), *m = dup_str(vmrk0);
            int k, edits = 1 + it % 4;
            const char *path;
            eegnn_raw *raw;
            for (k = 0; k < edits; k++) {
                size_t at;
                char c;
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                c = alphabet[(state >> 20) % (sizeof alphabet - 1)];
                at = (size_t)((state >> 33) % (it % 2 ? s.n_vmrk : s.n_vhdr));
                if (it % 2)
                    m[at] = c ? c : ' ';
                else
                    h[at] = c ? c : ' ';
            }
            s.vhdr = h;
            path = write_case(&s, "corrupted", NULL, NULL, (long)s.n_dat, m);
            raw = path ? eegnn_read_raw(path, NULL) : NULL;
            if (!path)
                n_skip++; /* the edit hit the DataFile/MarkerFile lines the case rewrites */
            else if (raw)
                n_ok++;
            else
                n_err += eegnn_last_error()[0] != '\0';
            eegnn_raw_free(raw);
            free(h);
            free(m);
        }
        s.vhdr = vhdr0;
        free(vmrk0);
        CHECK(n_ok + n_err + n_skip == 300 && n_skip < 30, "corrupted files: %d read, %d errors with a message, of 300",
              n_ok, n_err);
        printf("  corrupted copies: %d read, %d rejected with a message\n", n_ok, n_err);
    }
    free(s.vhdr);
    free(s.vmrk);
    free(s.dat);
}

/* A BIDS dataset whose recording is BrainVision: listed as readable and read
 * through eegnn_read_raw, with MNE's numbers (tiny_bids in the manifest). */
static void test_bids(void) {
    eegnn_bids_dataset *ds = eegnn_bids_open(test_data_path("bids/tiny_bids"));
    FILE *man;
    char line[1024], key[64] = "", rel[900];
    CHECK(ds != NULL, "tiny_bids: %s", eegnn_last_error());
    if (!ds) return;
    man = fopen(test_out_path("brainvision/manifest.txt"), "rb");
    while (man && fgets(line, sizeof line, man))
        if (sscanf(line, "%63s %899[^\n]", key, rel) == 2 && strstr(rel, "bids/tiny_bids/")) break;
    if (man) fclose(man);
    CHECK(ds->n_recordings == 1 && ds->recordings[0].readable &&
              strcmp(ds->recordings[0].format, "BrainVision") == 0,
          "tiny_bids: one readable BrainVision recording");
    if (ds->n_recordings == 1) {
        eegnn_raw *raw = eegnn_read_raw(ds->recordings[0].path, NULL);
        ref_file r;
        char path[256];
        snprintf(path, sizeof path, "brainvision/%s.txt", key);
        CHECK(raw != NULL, "tiny_bids read: %s", eegnn_last_error());
        if (raw && ref_load(test_out_path(path), &r)) {
            CHECK(raw->n_channels == r.n_ch && raw->n_times == r.n_times && raw->sfreq == r.sfreq &&
                      raw->sfreq == ds->recordings[0].sfreq,
                  "tiny_bids: %d ch %lld samples %g Hz, MNE %d ch %lld samples %g Hz", raw->n_channels,
                  (long long)raw->n_times, raw->sfreq, r.n_ch, r.n_times, r.sfreq);
            check_annotations("tiny_bids via BIDS", raw, &r, 1e-9);
        } else {
            CHECK(0, "tiny_bids: no MNE reference %s", test_out_path(path));
        }
        ref_free(&r);
        eegnn_raw_free(raw);
    }
    eegnn_bids_close(ds);
}

int main(void) {
    test_against_mne();
    test_bad_input();
    test_corrupted();
    test_bids();
    return test_summary("test_brainvision");
}
