/* ---------------------------------------------------------------------------
 * Evaluation metrics, with scikit-learn / SciPy / NumPy definitions.
 * All sums are accumulated in double. Inputs are not modified. Thread safe
 * (no shared state). A metric that is undefined for its input returns NaN
 * and sets eegnn_last_error() to say why.
 * ------------------------------------------------------------------------- */

/* Pearson correlation coefficient of (n) pairs, as scipy.stats.pearsonr
 * (clipped to [-1, 1]). NaN when n < 2 or either input is constant. */
EEGNN_API double eegnn_pearson_r(const double *y_true, const double *y_pred, size_t n);

/* Coefficient of determination, as sklearn.metrics.r2_score:
 * 1 - sum((y - p)^2) / sum((y - mean(y))^2). When y_true is constant it
 * returns 1.0 for a perfect prediction and 0.0 otherwise (sklearn's
 * force_finite=True). NaN when n < 1. */
EEGNN_API double eegnn_r2_score(const double *y_true, const double *y_pred, size_t n);

/* Root mean squared error, sqrt(mean((y - p)^2)). NaN when n < 1. */
EEGNN_API double eegnn_rmse(const double *y_true, const double *y_pred, size_t n);

/* Normalized RMSE of the EEG Foundation Challenge 2025: RMSE / std(y_true),
 * with the population standard deviation (numpy.std, ddof=0), so predicting
 * the mean of y_true scores exactly 1.0. NaN when y_true is constant. */
EEGNN_API double eegnn_nrmse(const double *y_true, const double *y_pred, size_t n);

/* Mean absolute error, sklearn.metrics.mean_absolute_error. NaN when n < 1. */
EEGNN_API double eegnn_mae(const double *y_true, const double *y_pred, size_t n);

/* Fraction of exact label matches, sklearn.metrics.accuracy_score. */
EEGNN_API double eegnn_accuracy(const int *y_true, const int *y_pred, size_t n);

/* Balanced accuracy, sklearn.metrics.balanced_accuracy_score (adjusted=False):
 * the mean over classes present in y_true of the recall of that class.
 * Labels must lie in [0, n_classes); NaN otherwise or when n < 1. */
EEGNN_API double eegnn_balanced_accuracy(const int *y_true, const int *y_pred, size_t n, int n_classes);

/* Area under the ROC curve for a binary problem, sklearn.metrics.roc_auc_score:
 * y_true in {0, 1}, score higher for class 1; the trapezoidal area over the
 * distinct score thresholds, so tied scores count one half. NaN when only
 * one class is present or a label is not 0/1. */
EEGNN_API double eegnn_roc_auc(const int *y_true, const double *score, size_t n);

/* Confusion matrix, sklearn.metrics.confusion_matrix(labels=range(n_classes)):
 * cm (n_classes, n_classes) row-major, rows the true class, columns the
 * predicted class. Errors: EEGNN_ERR_ARG for a label outside [0, n_classes). */
EEGNN_API eegnn_status eegnn_confusion_matrix(const int *y_true, const int *y_pred, size_t n, int n_classes,
                                              int64_t *cm);
