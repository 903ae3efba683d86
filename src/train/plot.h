/* ---------------------------------------------------------------------------
 * Plots as standalone SVG files (SVG 1.1, no scripts, no external fonts or
 * styles), for looking at a training or a search in a browser: learning
 * curves, predicted vs true values, a confusion matrix and search results.
 *
 * Every writer builds the whole document in memory and writes it atomically
 * (a temporary file renamed over `path`), so a failed call never leaves a
 * half-written file. Text is XML-escaped. Non-finite values (NaN, inf) are
 * left out of the drawing (a line is broken at them). Axis ticks are "nice"
 * numbers (1, 2 or 5 times a power of ten, Heckbert's Graphics Gems
 * labelling). All writers: Errors: EEGNN_ERR_ARG for NULL or inconsistent
 * arguments, EEGNN_ERR_MEMORY, EEGNN_ERR_IO when the file cannot be written.
 * Thread safety: reentrant.
 * ------------------------------------------------------------------------- */

/* Learning curves of one run: a loss panel (train_loss and valid_loss per
 * epoch, either may be NULL) and, when metric is not NULL, a second panel
 * with the validation metric per epoch named metric_name (e.g.
 * "balanced_accuracy"). Arrays hold n_epochs values for epochs 1..n_epochs.
 * best_epoch (1-based; 0: none) is marked with a vertical line. title may
 * be NULL. */
EEGNN_API eegnn_status eegnn_plot_learning_curves(const char *path, const char *title, int n_epochs,
                                                  const double *train_loss, const double *valid_loss,
                                                  const double *metric, const char *metric_name, int best_epoch);

/* Learning curves read from a metrics.json written by eegnn_train: its
 * "history" (train_loss, valid.loss and valid.<metric> per epoch) and
 * "best_epoch". metric NULL: "balanced_accuracy" for a classification run
 * ("n_classes" > 0), "pearson_r" for a regression. Errors as above, plus
 * those of eegnn_json_read and EEGNN_ERR_FORMAT for a file without history. */
EEGNN_API eegnn_status eegnn_plot_metrics_json(const char *metrics_json, const char *path, const char *metric);

/* Predicted vs true values of a regression: a square scatter plot of
 * (y_true[i], y_pred[i]), i < n, the identity line y = x, and Pearson's r,
 * the RMSE and n in the legend. label names the quantity with its unit
 * ("age (years)"); NULL: "value". */
EEGNN_API eegnn_status eegnn_plot_pred_vs_true(const char *path, const char *title, const double *y_true,
                                               const double *y_pred, int n, const char *label);

/* Confusion matrix heatmap as scikit-learn's ConfusionMatrixDisplay draws
 * it: rows are true labels, columns predicted labels; counts is
 * (n_classes, n_classes) row-major (counts[i * n_classes + j] windows of
 * class i predicted as j). Each cell shows its count and its share of the
 * row (the recall on the diagonal); the colour follows the row share, so
 * rare classes read as clearly as common ones. class_names may be NULL
 * (0, 1, ...). */
EEGNN_API eegnn_status eegnn_plot_confusion_matrix(const char *path, const char *title, const int *counts,
                                                   int n_classes, const char *const *class_names);

/* Search results: one row per configuration in the order given (pass them
 * ranked, best first), labelled labels[i], with a dot at mean[i], an error
 * bar of +- std[i] (std may be NULL) and, when fold_values is not NULL, the
 * n_folds single values fold_values[i * n_folds + k] as small open circles.
 * metric_name labels the axis; higher_is_better is written next to it. */
EEGNN_API eegnn_status eegnn_plot_search_results(const char *path, const char *title, int n,
                                                 const char *const *labels, const double *mean, const double *std,
                                                 const double *fold_values, int n_folds, const char *metric_name,
                                                 int higher_is_better);
