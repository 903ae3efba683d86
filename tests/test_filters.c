/* Butterworth design, sosfiltfilt, notch and resample_poly against SciPy
 * (tests/ref_filters.py writes the references into $EEGNN_TEST_OUT/filters). */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

#define MAX_LINE 16384

static const char *ref_path(const char *name) {
    static char buf[4][512];
    static int slot;
    char *b = buf[slot++ & 3];
    snprintf(b, 512, "filters/%s", name);
    return test_out_path(b);
}

static eegnn_btype parse_btype(const char *s) {
    if (!strcmp(s, "highpass")) return EEGNN_HIGHPASS;
    if (!strcmp(s, "bandpass")) return EEGNN_BANDPASS;
    if (!strcmp(s, "bandstop")) return EEGNN_BANDSTOP;
    return EEGNN_LOWPASS;
}

/* Every design in designs.txt: same number of sections, and each section's
 * numerator and denominator within 1e-9 of SciPy's, relative to the largest
 * coefficient of that numerator or denominator. */
static void test_designs(void) {
    FILE *fp = fopen(ref_path("designs.txt"), "r");
    char *line = (char *)malloc(MAX_LINE);
    int n_designs = 0;
    double worst = 0.0;
    CHECK(fp != NULL, "cannot open %s (run tests/ref_filters.py first)", ref_path("designs.txt"));
    if (!fp || !line) {
        free(line);
        if (fp) fclose(fp);
        return;
    }
    while (fgets(line, MAX_LINE, fp)) {
        char btype[32];
        int order, ns_ref, ns = 0, pos = 0, adv = 0, i, s, h;
        double sfreq, f[2], want[6 * EEGNN_BUTTER_MAX_ORDER], got[6 * EEGNN_BUTTER_MAX_ORDER], err = 0.0;
        eegnn_status st;
        if (sscanf(line, "%31s %d %lf %lf %lf %d%n", btype, &order, &sfreq, &f[0], &f[1], &ns_ref, &pos) != 6) continue;
        for (i = 0; i < 6 * ns_ref; i++) {
            if (sscanf(line + pos, "%lf%n", &want[i], &adv) != 1) break;
            pos += adv;
        }
        CHECK(i == 6 * ns_ref, "designs.txt: short line");
        st = eegnn_butter_sos(order, f, parse_btype(btype), sfreq, got, &ns);
        CHECK(st == EEGNN_OK, "butter %s %d: %s", btype, order, eegnn_last_error());
        CHECK(ns == ns_ref, "butter %s %d: %d sections, scipy %d", btype, order, ns, ns_ref);
        if (st != EEGNN_OK || ns != ns_ref) continue;
        for (s = 0; s < ns; s++)
            for (h = 0; h < 2; h++) {
                double mx = 0.0;
                for (i = 0; i < 3; i++) mx = fmax(mx, fabs(want[6 * s + 3 * h + i]));
                for (i = 0; i < 3; i++) {
                    double e = fabs(got[6 * s + 3 * h + i] - want[6 * s + 3 * h + i]) / mx;
                    if (!(e <= err)) err = e;
                }
            }
        CHECK(err <= 1e-9, "butter(%d, [%g, %g], '%s', fs=%g): sos relative error %.3g", order, f[0], f[1], btype,
              sfreq, err);
        if (!(err <= worst)) worst = err;
        n_designs++;
    }
    fclose(fp);
    free(line);
    CHECK(n_designs >= 20, "only %d designs read", n_designs);
    printf("butter sos: %d designs, worst relative error vs scipy %.3g\n", n_designs, worst);
}

/* Largest error over channels, each relative to the largest |y| of its own
 * channel in the reference (recordings mix volts and trigger codes), but to
 * no less than 1e-6 of the channel's largest |x|: a constant channel
 * (a status channel) band-passes to rounding noise of order 1e-16. */
static double per_channel_err(const float *got, const float *want, const float *x, int64_t n_channels,
                              int64_t n_times, int64_t n_in) {
    double worst = 0.0;
    int64_t c, i;
    for (c = 0; c < n_channels; c++) {
        double ymax = 0.0, xmax = 0.0, emax = 0.0, e;
        for (i = 0; i < n_times; i++) {
            ymax = fmax(ymax, fabs((double)want[c * n_times + i]));
            e = fabs((double)got[c * n_times + i] - (double)want[c * n_times + i]);
            if (!(e <= emax)) emax = e;
        }
        for (i = 0; i < n_in; i++) xmax = fmax(xmax, fabs((double)x[c * n_in + i]));
        ymax = fmax(ymax, 1e-6 * xmax);
        e = ymax > 0.0 ? emax / ymax : emax;
        if (!(e <= worst)) worst = e;
    }
    return worst;
}

typedef struct recording {
    char name[64];
    char rel[512];
    double sfreq;
    float *x;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
} recording;

#define MAX_RECS 8

static int load_recordings(recording *recs) {
    FILE *fp = fopen(ref_path("recordings.txt"), "r");
    char line[1024];
    int n = 0;
    CHECK(fp != NULL, "cannot open recordings.txt");
    if (!fp) return 0;
    while (n < MAX_RECS && fgets(line, sizeof line, fp)) {
        recording *r = &recs[n];
        char npy[128];
        int ndim = 0;
        if (sscanf(line, "%63s %511s %lf", r->name, r->rel, &r->sfreq) != 3) continue;
        snprintf(npy, sizeof npy, "%s.npy", r->name);
        r->x = eegnn_npy_read(ref_path(npy), &ndim, r->shape, NULL);
        CHECK(r->x && ndim == 2, "%s: %s", npy, eegnn_last_error());
        if (r->x && ndim == 2) n++;
    }
    fclose(fp);
    return n;
}

static recording *find_rec(recording *recs, int n, const char *name) {
    int i;
    for (i = 0; i < n; i++)
        if (!strcmp(recs[i].name, name)) return &recs[i];
    return NULL;
}

/* Every case of cases.txt on the float32 input the script used. Filters
 * run on a 2-thread pool; one case per recording is repeated without a pool
 * and must give the same bits. */
static void test_cases(recording *recs, int n_recs, eegnn_threadpool *pool) {
    FILE *fp = fopen(ref_path("cases.txt"), "r");
    char line[1024];
    int n_cases = 0;
    double worst_filter = 0.0, worst_resample = 0.0;
    CHECK(fp != NULL, "cannot open cases.txt");
    if (!fp) return;
    while (fgets(line, sizeof line, fp)) {
        char what[16], rec_name[64], name[64], kind[32], npy[256];
        recording *r;
        float *want, *got = NULL;
        int64_t wshape[EEGNN_NPY_MAX_DIMS], nc, nt, n_out = 0;
        int ndim = 0, order = 0, up = 0, down = 0;
        double f1 = 0, f2 = 0, err;
        eegnn_status st = EEGNN_OK;
        if (sscanf(line, "%15s %63s %63s", what, rec_name, name) != 3) continue;
        r = find_rec(recs, n_recs, rec_name);
        if (!r) continue;
        nc = r->shape[0];
        nt = r->shape[1];
        snprintf(npy, sizeof npy, "%s_%s.npy", rec_name, name);
        want = eegnn_npy_read(ref_path(npy), &ndim, wshape, NULL);
        CHECK(want != NULL, "%s: %s", npy, eegnn_last_error());
        if (!want) continue;
        if (!strcmp(what, "filter")) {
            sscanf(line, "%*s %*s %*s %31s %d %lf %lf", kind, &order, &f1, &f2);
            got = (float *)malloc((size_t)(nc * nt) * sizeof(float));
            memcpy(got, r->x, (size_t)(nc * nt) * sizeof(float));
            if (!strcmp(kind, "bandpass"))
                st = eegnn_filter_bandpass(got, (int)nc, nt, r->sfreq, f1, f2, order, pool);
            else if (!strcmp(kind, "highpass"))
                st = eegnn_filter_highpass(got, (int)nc, nt, r->sfreq, f1, order, pool);
            else if (!strcmp(kind, "lowpass"))
                st = eegnn_filter_lowpass(got, (int)nc, nt, r->sfreq, f1, order, pool);
            else
                st = eegnn_filter_notch(got, (int)nc, nt, r->sfreq, f1, f2, order, pool);
            n_out = nt;
            if (!strcmp(name, "bp")) {
                /* thread count does not change the bits */
                float *one = (float *)malloc((size_t)(nc * nt) * sizeof(float));
                memcpy(one, r->x, (size_t)(nc * nt) * sizeof(float));
                CHECK(eegnn_filter_bandpass(one, (int)nc, nt, r->sfreq, f1, f2, order, NULL) == EEGNN_OK, "%s",
                      eegnn_last_error());
                CHECK(memcmp(one, got, (size_t)(nc * nt) * sizeof(float)) == 0, "%s: pool and no pool differ",
                      npy);
                free(one);
            }
        } else {
            sscanf(line, "%*s %*s %*s %d %d", &up, &down);
            n_out = eegnn_resample_poly_length(nt, up, down);
            got = (float *)malloc((size_t)(nc * (n_out > 0 ? n_out : 1)) * sizeof(float));
            st = eegnn_resample_poly(r->x, (int)nc, nt, up, down, got, pool);
        }
        CHECK(st == EEGNN_OK, "%s: %s", npy, eegnn_last_error());
        CHECK(ndim == 2 && wshape[0] == nc && wshape[1] == n_out, "%s: shape (%lld, %lld), scipy (%lld, %lld)", npy,
              (long long)nc, (long long)n_out, (long long)wshape[0], (long long)wshape[1]);
        if (st == EEGNN_OK && ndim == 2 && wshape[0] == nc && wshape[1] == n_out) {
            err = per_channel_err(got, want, r->x, nc, n_out, nt);
            CHECK(err <= 1e-5, "%s: relative error vs scipy %.3g", npy, err);
            printf("  %-28s (%lld, %lld) -> %lld samples: max relative error %.3g\n", npy, (long long)nc,
                   (long long)nt, (long long)n_out, err);
            if (!strcmp(what, "filter")) {
                if (!(err <= worst_filter)) worst_filter = err;
            } else if (!(err <= worst_resample)) {
                worst_resample = err;
            }
            n_cases++;
        }
        free(got);
        eegnn_free(want);
    }
    fclose(fp);
    CHECK(n_cases >= 30, "only %d cases ran", n_cases);
    printf("filters/resampling: %d cases, worst relative error vs scipy: sosfiltfilt %.3g, resample_poly %.3g\n",
           n_cases, worst_filter, worst_resample);
}

static int is_stim(const eegnn_raw *raw, int c) { return raw->ch_types && !strcmp(raw->ch_types[c], "stim"); }

/* eegnn_raw-level calls on recordings read by eegnn_read_raw: the data the
 * reader gives equals the script's float32 input (per non-stim channel),
 * the filters change only non-stim channels, resampling updates the shape
 * and keeps the annotations. */
static void test_raw_level(recording *recs, int n_recs, eegnn_threadpool *pool) {
    const char *names[2] = {"eegmmidb", "bdf_stim"};
    int k;
    for (k = 0; k < 2; k++) {
        recording *r = find_rec(recs, n_recs, names[k]);
        eegnn_raw *raw;
        float *want, *orig;
        int64_t wshape[EEGNN_NPY_MAX_DIMS], nt;
        int ndim = 0, c, n_ann;
        char npy[128];
        double err = 0.0, onset0;
        if (!r) continue;
        raw = eegnn_read_raw(test_data_path(r->rel), NULL);
        CHECK(raw != NULL, "%s: %s", r->rel, eegnn_last_error());
        if (!raw) continue;
        nt = raw->n_times;
        CHECK(raw->n_channels == r->shape[0] && nt == r->shape[1], "%s: shape differs from MNE", r->rel);
        if (raw->n_channels != r->shape[0] || nt != r->shape[1]) {
            eegnn_raw_free(raw);
            continue;
        }
        for (c = 0; c < raw->n_channels; c++) {
            double e;
            if (is_stim(raw, c)) continue;
            e = test_max_rel_err(raw->data + c * nt, r->x + c * nt, (size_t)nt);
            if (!(e <= err)) err = e;
        }
        CHECK(err <= 1e-6, "%s: eegnn_read_raw data differs from MNE by %.3g", r->rel, err);

        /* high-pass 1 Hz order 4 on the recording */
        orig = (float *)malloc((size_t)(raw->n_channels * nt) * sizeof(float));
        memcpy(orig, raw->data, (size_t)(raw->n_channels * nt) * sizeof(float));
        snprintf(npy, sizeof npy, "%s_hp.npy", r->name);
        want = eegnn_npy_read(ref_path(npy), &ndim, wshape, NULL);
        CHECK(want != NULL, "%s", eegnn_last_error());
        CHECK(eegnn_raw_filter_highpass(raw, 1.0, 4, pool) == EEGNN_OK, "%s", eegnn_last_error());
        err = 0.0;
        for (c = 0; c < raw->n_channels && want; c++) {
            if (is_stim(raw, c)) {
                CHECK(memcmp(raw->data + c * nt, orig + c * nt, (size_t)nt * sizeof(float)) == 0,
                      "%s: stim channel %s changed by the filter", r->rel, raw->ch_names[c]);
            } else {
                double e = test_max_rel_err(raw->data + c * nt, want + c * nt, (size_t)nt);
                if (!(e <= err)) err = e;
            }
        }
        CHECK(err <= 1e-5, "%s: eegnn_raw_filter_highpass vs scipy %.3g", r->rel, err);
        printf("  raw high-pass %s: max relative error %.3g\n", r->name, err);
        eegnn_free(want);

        /* resample the original data to 100 Hz */
        memcpy(raw->data, orig, (size_t)(raw->n_channels * nt) * sizeof(float));
        n_ann = raw->n_annotations;
        onset0 = n_ann ? raw->annotations[n_ann - 1].onset : 0.0;
        CHECK(eegnn_raw_resample(raw, 100.0, pool) == EEGNN_OK, "%s", eegnn_last_error());
        CHECK(raw->sfreq == 100.0 && raw->ch_sfreq[0] == 100.0, "sfreq not updated");
        CHECK(raw->n_annotations == n_ann && (!n_ann || raw->annotations[n_ann - 1].onset == onset0),
              "annotations changed");
        if (!strcmp(r->name, "eegmmidb")) {
            want = eegnn_npy_read(ref_path("eegmmidb_rs_5_8.npy"), &ndim, wshape, NULL);
            CHECK(want && raw->n_times == wshape[1], "%s: n_times %lld, scipy %lld", r->rel, (long long)raw->n_times,
                  (long long)(want ? wshape[1] : -1));
            if (want && raw->n_times == wshape[1]) {
                err = per_channel_err(raw->data, want, orig, raw->n_channels, raw->n_times, nt);
                CHECK(err <= 1e-5, "%s: eegnn_raw_resample vs scipy %.3g", r->rel, err);
                printf("  raw resample %s 160 -> 100 Hz: max relative error %.3g\n", r->name, err);
            }
            eegnn_free(want);
        } else {
            /* 500 -> 100 Hz: stim channels take input sample 5 * i */
            int64_t i;
            CHECK(raw->n_times == nt / 5, "n_times %lld", (long long)raw->n_times);
            for (c = 0; c < raw->n_channels; c++) {
                int bad = 0;
                if (!is_stim(raw, c)) continue;
                for (i = 0; i < raw->n_times; i++) bad += raw->data[c * raw->n_times + i] != orig[c * nt + 5 * i];
                CHECK(bad == 0, "stim channel %s: %d samples differ", raw->ch_names[c], bad);
            }
        }
        free(orig);
        eegnn_raw_free(raw);
    }
}

static int contains(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

static void test_errors(void) {
    double sos[6 * EEGNN_BUTTER_MAX_ORDER], f[2];
    int ns = 0, i;
    int64_t padlen;
    float x[200], y[200], keep[200];
    for (i = 0; i < 200; i++) x[i] = keep[i] = (float)sin(0.1 * i) + 0.01f * (float)i;
    f[0] = 80.0;
    CHECK(eegnn_butter_sos(4, f, EEGNN_LOWPASS, 160.0, sos, &ns) == EEGNN_ERR_ARG &&
              contains(eegnn_last_error(), "sfreq/2=80"),
          "cutoff at Nyquist: %s", eegnn_last_error());
    f[0] = 100.0;
    CHECK(eegnn_butter_sos(4, f, EEGNN_HIGHPASS, 160.0, sos, &ns) == EEGNN_ERR_ARG, "cutoff above Nyquist");
    f[0] = 0.0;
    CHECK(eegnn_butter_sos(4, f, EEGNN_HIGHPASS, 160.0, sos, &ns) == EEGNN_ERR_ARG, "cutoff 0");
    f[0] = 10.0;
    CHECK(eegnn_butter_sos(0, f, EEGNN_LOWPASS, 160.0, sos, &ns) == EEGNN_ERR_ARG &&
              contains(eegnn_last_error(), "order"),
          "order 0: %s", eegnn_last_error());
    CHECK(eegnn_butter_sos(EEGNN_BUTTER_MAX_ORDER + 1, f, EEGNN_LOWPASS, 160.0, sos, &ns) == EEGNN_ERR_ARG,
          "order too large");
    CHECK(eegnn_butter_sos(4, f, EEGNN_LOWPASS, 0.0, sos, &ns) == EEGNN_ERR_ARG, "sfreq 0");
    f[0] = 30.0;
    f[1] = 10.0;
    CHECK(eegnn_butter_sos(4, f, EEGNN_BANDPASS, 160.0, sos, &ns) == EEGNN_ERR_ARG &&
              contains(eegnn_last_error(), "below"),
          "band edges reversed: %s", eegnn_last_error());
    CHECK(eegnn_filter_bandpass(x, 1, 200, 160.0, 1.0, 90.0, 4, NULL) == EEGNN_ERR_ARG, "band above Nyquist");
    CHECK(eegnn_filter_lowpass(x, 1, 200, 160.0, 30.0, -1, NULL) == EEGNN_ERR_ARG, "negative order");
    /* padlen: 4th-order low-pass, 2 sections, no zero coefficients: 3 * 5 = 15;
     * 5th order: 3 sections, one first-order: 3 * (7 - 1) = 18 */
    f[0] = 30.0;
    eegnn_butter_sos(4, f, EEGNN_LOWPASS, 160.0, sos, &ns);
    padlen = eegnn_sosfiltfilt_padlen(sos, ns);
    CHECK(padlen == 15, "padlen %lld", (long long)padlen);
    CHECK(eegnn_filter_lowpass(x, 1, 15, 160.0, 30.0, 4, NULL) == EEGNN_ERR_ARG &&
              contains(eegnn_last_error(), "padlen, which is 15"),
          "short signal: %s", eegnn_last_error());
    CHECK(memcmp(x, keep, sizeof x) == 0, "data changed on error");
    CHECK(eegnn_filter_lowpass(x, 1, 16, 160.0, 30.0, 4, NULL) == EEGNN_OK, "16 samples: %s", eegnn_last_error());
    eegnn_butter_sos(5, f, EEGNN_LOWPASS, 160.0, sos, &ns);
    CHECK(eegnn_sosfiltfilt_padlen(sos, ns) == 18, "padlen order 5: %lld", (long long)eegnn_sosfiltfilt_padlen(sos, ns));
    sos[3] = 2.0;
    CHECK(eegnn_sosfiltfilt(sos, ns, x, 1, 200, NULL) == EEGNN_ERR_ARG && contains(eegnn_last_error(), "a0"),
          "a0 != 1: %s", eegnn_last_error());
    CHECK(eegnn_filter_notch(x, 1, 200, 100.0, 50.0, 1.0, 4, NULL) == EEGNN_ERR_ARG, "notch at Nyquist");
    CHECK(eegnn_filter_notch(x, 1, 200, 160.0, 50.0, 0.0, 4, NULL) == EEGNN_ERR_ARG, "notch width 0");
    CHECK(eegnn_resample_poly(x, 1, 200, 0, 2, y, NULL) == EEGNN_ERR_ARG &&
              contains(eegnn_last_error(), "up and down must be >= 1"),
          "up 0: %s", eegnn_last_error());
    CHECK(eegnn_resample_poly(x, 1, 200, 3, -1, y, NULL) == EEGNN_ERR_ARG, "down -1");
    CHECK(eegnn_resample_poly(x, 1, 0, 3, 2, y, NULL) == EEGNN_ERR_ARG, "empty signal");
    CHECK(eegnn_resample_poly_length(200, 0, 1) == -1, "length with up 0");
    CHECK(eegnn_resample_poly_length(200, 6, 4) == 300 && eegnn_resample_poly_length(7, 5, 8) == 5,
          "resample lengths");
    /* up == down: a copy, as scipy */
    CHECK(eegnn_resample_poly(x, 1, 200, 3, 3, y, NULL) == EEGNN_OK && memcmp(x, y, sizeof x) == 0, "up == down");
    CHECK(eegnn_raw_resample(NULL, 100.0, NULL) == EEGNN_ERR_ARG, "NULL raw");
    CHECK(eegnn_raw_filter_lowpass(NULL, 30.0, 4, NULL) == EEGNN_ERR_ARG, "NULL raw filter");
}

int main(void) {
    recording recs[MAX_RECS];
    int n_recs, i;
    eegnn_threadpool *pool = eegnn_threadpool_create(2);
    memset(recs, 0, sizeof recs);
    test_designs();
    n_recs = load_recordings(recs);
    CHECK(n_recs == 4, "%d recordings", n_recs);
    test_cases(recs, n_recs, pool);
    test_raw_level(recs, n_recs, pool);
    test_errors();
    for (i = 0; i < n_recs; i++) eegnn_free(recs[i].x);
    eegnn_threadpool_free(pool);
    return test_summary("test_filters");
}
