/* Metrics against scikit-learn / SciPy / NumPy (tests/ref_metrics.py). */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "test.h"

/* Loads OUT/metrics/<case>_<what>.npy as doubles; *n gets the length. */
static double *load_d(const char *cas, const char *what, size_t *n) {
    char rel[256];
    int ndim;
    int64_t shape[EEGNN_NPY_MAX_DIMS];
    float *f;
    double *d;
    size_t i;
    snprintf(rel, sizeof rel, "metrics/%s_%s.npy", cas, what);
    f = eegnn_npy_read(test_out_path(rel), &ndim, shape, n);
    if (!f) return NULL;
    d = (double *)malloc((*n + 1) * sizeof(double));
    for (i = 0; i < *n; i++) d[i] = f[i];
    eegnn_free(f);
    return d;
}

static int *to_int(const double *v, size_t n) {
    int *r = (int *)malloc((n + 1) * sizeof(int));
    size_t i;
    for (i = 0; i < n; i++) r[i] = (int)v[i];
    return r;
}

static void check_close(const char *cas, const char *name, double got, double want) {
    double tol = 1e-6 * (fabs(want) > 1.0 ? fabs(want) : 1.0);
    CHECK(fabs(got - want) <= tol, "%s %s: got %.12g, sklearn %.12g", cas, name, got, want);
}

int main(void) {
    FILE *fp = fopen(test_out_path("metrics/results.txt"), "r");
    char cas[64], name[64];
    double want;
    int n_checked = 0;
    (void)test_data_path; /* unused helpers of test.h */
    (void)test_max_rel_err;
    CHECK(fp != NULL, "cannot open %s (run tests/ref_metrics.py first)", test_out_path("metrics/results.txt"));
    if (!fp) return test_summary("test_metrics");
    while (fscanf(fp, "%63s %63s %lf", cas, name, &want) == 3) {
        size_t n = 0, n2 = 0;
        double *a, *b;
        double got = NAN;
        int is_auc = strncmp(cas, "auc_", 4) == 0;
        a = load_d(cas, "true", &n);
        b = load_d(cas, is_auc ? "score" : "pred", &n2);
        CHECK(a && b && n == n2, "%s: inputs missing: %s", cas, eegnn_last_error());
        if (!a || !b || n != n2) {
            free(a);
            free(b);
            continue;
        }
        if (strcmp(name, "pearson_r") == 0) got = eegnn_pearson_r(a, b, n);
        else if (strcmp(name, "r2") == 0) got = eegnn_r2_score(a, b, n);
        else if (strcmp(name, "rmse") == 0) got = eegnn_rmse(a, b, n);
        else if (strcmp(name, "nrmse") == 0) got = eegnn_nrmse(a, b, n);
        else if (strcmp(name, "mae") == 0) got = eegnn_mae(a, b, n);
        else if (strcmp(name, "roc_auc") == 0) {
            int *yi = to_int(a, n);
            got = eegnn_roc_auc(yi, b, n);
            free(yi);
        } else {
            int *yi = to_int(a, n), *pi = to_int(b, n);
            static int n_classes = 0;
            if (strcmp(name, "n_classes") == 0) {
                n_classes = (int)want;
                got = want;
            } else if (strcmp(name, "accuracy") == 0) {
                got = eegnn_accuracy(yi, pi, n);
            } else if (strcmp(name, "balanced_accuracy") == 0) {
                got = eegnn_balanced_accuracy(yi, pi, n, n_classes);
            } else if (strncmp(name, "cm_", 3) == 0) {
                int64_t cm[64];
                int r = 0, c = 0;
                sscanf(name, "cm_%d_%d", &r, &c);
                CHECK(eegnn_confusion_matrix(yi, pi, n, n_classes, cm) == EEGNN_OK, "confusion_matrix failed");
                got = (double)cm[r * n_classes + c];
            }
            free(yi);
            free(pi);
        }
        check_close(cas, name, got, want);
        n_checked++;
        free(a);
        free(b);
    }
    fclose(fp);
    CHECK(n_checked >= 60, "only %d reference values checked", n_checked);

    /* undefined cases: NaN with a reason, never a crash */
    {
        double c[4] = {1, 1, 1, 1}, p[4] = {0, 1, 2, 3};
        int y1[3] = {1, 1, 1}, bad[3] = {0, 2, 1};
        double s[3] = {0.1, 0.2, 0.3};
        int64_t cm[4];
        CHECK(isnan(eegnn_pearson_r(c, p, 4)), "pearson_r of a constant input must be NaN");
        CHECK(isnan(eegnn_nrmse(c, p, 4)), "nrmse with std(y_true) = 0 must be NaN");
        CHECK(isnan(eegnn_roc_auc(y1, s, 3)) && strstr(eegnn_last_error(), "one class"),
              "roc_auc with one class: %s", eegnn_last_error());
        CHECK(isnan(eegnn_roc_auc(bad, s, 3)), "roc_auc with label 2 must be NaN");
        CHECK(eegnn_confusion_matrix(bad, y1, 3, 2, cm) == EEGNN_ERR_ARG, "label 2 with 2 classes");
        CHECK(isnan(eegnn_balanced_accuracy(bad, y1, 3, 2)), "balanced_accuracy with label 2 of 2 classes");
        CHECK(isnan(eegnn_rmse(c, p, 0)), "rmse of nothing must be NaN");
    }
    printf("test_metrics: %d reference values from scikit-learn/scipy/numpy\n", n_checked);
    return test_summary("test_metrics");
}
