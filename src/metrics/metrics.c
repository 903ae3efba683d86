/* Evaluation metrics (see metrics.h). */

static double eegnn__metric_mean(const double *v, size_t n) {
    double s = 0.0;
    size_t i;
    for (i = 0; i < n; i++) s += v[i];
    return s / (double)n;
}

EEGNN_API double eegnn_pearson_r(const double *y_true, const double *y_pred, size_t n) {
    double mx, my, sxy = 0.0, sxx = 0.0, syy = 0.0, r;
    size_t i;
    if (n < 2) {
        eegnn_set_error(EEGNN_ERR_ARG, "pearson_r: needs at least 2 values, got %zu", n);
        return NAN;
    }
    mx = eegnn__metric_mean(y_true, n);
    my = eegnn__metric_mean(y_pred, n);
    for (i = 0; i < n; i++) {
        double dx = y_true[i] - mx, dy = y_pred[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx == 0.0 || syy == 0.0) {
        eegnn_set_error(EEGNN_ERR_NUMERIC, "pearson_r: an input is constant");
        return NAN;
    }
    r = sxy / (sqrt(sxx) * sqrt(syy));
    return r > 1.0 ? 1.0 : (r < -1.0 ? -1.0 : r);
}

EEGNN_API double eegnn_r2_score(const double *y_true, const double *y_pred, size_t n) {
    double m, ss_res = 0.0, ss_tot = 0.0;
    size_t i;
    if (n < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "r2_score: no values");
        return NAN;
    }
    m = eegnn__metric_mean(y_true, n);
    for (i = 0; i < n; i++) {
        double e = y_true[i] - y_pred[i], d = y_true[i] - m;
        ss_res += e * e;
        ss_tot += d * d;
    }
    if (ss_tot == 0.0) return ss_res == 0.0 ? 1.0 : 0.0;
    return 1.0 - ss_res / ss_tot;
}

EEGNN_API double eegnn_rmse(const double *y_true, const double *y_pred, size_t n) {
    double s = 0.0;
    size_t i;
    if (n < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "rmse: no values");
        return NAN;
    }
    for (i = 0; i < n; i++) {
        double e = y_true[i] - y_pred[i];
        s += e * e;
    }
    return sqrt(s / (double)n);
}

EEGNN_API double eegnn_nrmse(const double *y_true, const double *y_pred, size_t n) {
    double m, v = 0.0;
    size_t i;
    if (n < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "nrmse: no values");
        return NAN;
    }
    m = eegnn__metric_mean(y_true, n);
    for (i = 0; i < n; i++) v += (y_true[i] - m) * (y_true[i] - m);
    if (v == 0.0) {
        eegnn_set_error(EEGNN_ERR_NUMERIC, "nrmse: y_true is constant (std 0)");
        return NAN;
    }
    return eegnn_rmse(y_true, y_pred, n) / sqrt(v / (double)n);
}

EEGNN_API double eegnn_mae(const double *y_true, const double *y_pred, size_t n) {
    double s = 0.0;
    size_t i;
    if (n < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "mae: no values");
        return NAN;
    }
    for (i = 0; i < n; i++) s += fabs(y_true[i] - y_pred[i]);
    return s / (double)n;
}

EEGNN_API double eegnn_accuracy(const int *y_true, const int *y_pred, size_t n) {
    size_t i, hit = 0;
    if (n < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "accuracy: no values");
        return NAN;
    }
    for (i = 0; i < n; i++) hit += y_true[i] == y_pred[i];
    return (double)hit / (double)n;
}

EEGNN_API eegnn_status eegnn_confusion_matrix(const int *y_true, const int *y_pred, size_t n, int n_classes,
                                              int64_t *cm) {
    size_t i;
    if (n_classes < 1 || !cm) return eegnn_set_error(EEGNN_ERR_ARG, "confusion_matrix: %d classes", n_classes);
    memset(cm, 0, (size_t)n_classes * (size_t)n_classes * sizeof(int64_t));
    for (i = 0; i < n; i++) {
        int t = y_true[i], p = y_pred[i];
        if (t < 0 || t >= n_classes || p < 0 || p >= n_classes)
            return eegnn_set_error(EEGNN_ERR_ARG, "confusion_matrix: entry %zu has labels %d, %d outside [0, %d)", i,
                                   t, p, n_classes);
        cm[(size_t)t * (size_t)n_classes + (size_t)p]++;
    }
    return EEGNN_OK;
}

EEGNN_API double eegnn_balanced_accuracy(const int *y_true, const int *y_pred, size_t n, int n_classes) {
    int64_t *cm;
    double sum = 0.0;
    int k, c, present = 0;
    if (n < 1 || n_classes < 1) {
        eegnn_set_error(EEGNN_ERR_ARG, "balanced_accuracy: %zu values, %d classes", n, n_classes);
        return NAN;
    }
    cm = (int64_t *)eegnn__calloc((size_t)n_classes * (size_t)n_classes, sizeof(int64_t));
    if (!cm) return NAN;
    if (eegnn_confusion_matrix(y_true, y_pred, n, n_classes, cm) != EEGNN_OK) {
        EEGNN_FREE(cm);
        return NAN;
    }
    for (k = 0; k < n_classes; k++) {
        int64_t row = 0;
        for (c = 0; c < n_classes; c++) row += cm[(size_t)k * (size_t)n_classes + (size_t)c];
        if (row == 0) continue;
        sum += (double)cm[(size_t)k * (size_t)n_classes + (size_t)k] / (double)row;
        present++;
    }
    EEGNN_FREE(cm);
    return sum / present;
}

typedef struct eegnn__scored {
    double score;
    int label;
} eegnn__scored;

static int eegnn__cmp_score_desc(const void *a, const void *b) {
    double x = ((const eegnn__scored *)a)->score, y = ((const eegnn__scored *)b)->score;
    return x > y ? -1 : (x < y ? 1 : 0);
}

EEGNN_API double eegnn_roc_auc(const int *y_true, const double *score, size_t n) {
    eegnn__scored *v;
    size_t i, n_pos = 0, n_neg = 0;
    double tp = 0.0, fp = 0.0, area = 0.0;
    for (i = 0; i < n; i++) {
        if (y_true[i] == 1) n_pos++;
        else if (y_true[i] == 0) n_neg++;
        else {
            eegnn_set_error(EEGNN_ERR_ARG, "roc_auc: label %d at %zu is not 0 or 1", y_true[i], i);
            return NAN;
        }
        if (score[i] != score[i]) {
            eegnn_set_error(EEGNN_ERR_NUMERIC, "roc_auc: score %zu is NaN", i);
            return NAN;
        }
    }
    if (!n_pos || !n_neg) {
        eegnn_set_error(EEGNN_ERR_ARG, "roc_auc: only one class present in y_true");
        return NAN;
    }
    v = (eegnn__scored *)eegnn__calloc(n, sizeof *v);
    if (!v) return NAN;
    for (i = 0; i < n; i++) {
        v[i].score = score[i];
        v[i].label = y_true[i];
    }
    qsort(v, n, sizeof *v, eegnn__cmp_score_desc);
    /* one ROC point per distinct threshold; trapezoid between points */
    for (i = 0; i < n;) {
        double tp0 = tp, fp0 = fp;
        size_t j = i;
        while (j < n && v[j].score == v[i].score) {
            if (v[j].label) tp += 1.0;
            else fp += 1.0;
            j++;
        }
        area += (fp - fp0) * (tp + tp0) * 0.5;
        i = j;
    }
    EEGNN_FREE(v);
    return area / ((double)n_pos * (double)n_neg);
}
