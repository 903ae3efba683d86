/* ---------------------------------------------------------------------------
 * Hyperparameter search with group-wise k-fold cross-validation: what
 * `eegnn search` runs. Follows scikit-learn's GridSearchCV /
 * RandomizedSearchCV with GroupKFold: every configuration is trained once
 * per fold (eegnn_train with n_folds and fold set, so no group is in both
 * the training and the validation set of a run), and configurations are
 * ranked by the mean over folds of a validation metric.
 *
 * Many small runs go in parallel: a pool of n_workers threads, each taking
 * the next (configuration, fold) run and training it with n_threads = 1, so
 * the results do not depend on the number of workers. Every run uses
 * base.seed: the folds, the initial weights and the batch order are the same
 * for all configurations, and a search is deterministic for a seed.
 *
 * Files written under base.out_dir (NULL: "eegnn-search"):
 *   results.csv          one row per configuration x fold: the
 *                        hyperparameters, status, best epoch, window counts,
 *                        train loss and every validation metric
 *   summary.csv          one row per configuration, ranked (best first), as
 *                        scikit-learn's cv_results_: rank, hyperparameters,
 *                        mean_valid_<metric>, std_valid_<metric>,
 *                        split<k>_valid_<metric>
 *   best_config.json     the best configuration with the training settings
 *                        it was found with (usable as `eegnn train` flags)
 *   search_results.svg   the metric per configuration, ranked, mean +- std
 *                        and single folds (eegnn_plot_search_results)
 *   learning_curves.svg  train and validation loss and the metric per epoch
 *                        of the best configuration, mean over folds
 *   confusion_matrix.svg (classification) or pred_vs_true.svg (regression):
 *                        the best configuration's out-of-fold validation
 *                        predictions (each window predicted by the run that
 *                        did not train on its group; eegnn_predict writes
 *                        them to the run folders as predictions.csv)
 *   runs/trial<T>_fold<K>/  each run's best.safetensors and metrics.json
 * and the ranked table is printed to base.log (NULL: stdout) unless
 * base.quiet.
 * ------------------------------------------------------------------------- */

/* Valid when zero-filled apart from base.bids_root and base.target. */
typedef struct eegnn_search_config {
    /* Training settings shared by every run (data, target, split unit,
     * epochs, window lengths, seed, ...). base.model, lr, batch_size and
     * weight_decay are the values used when the matching list below is
     * empty; base.model_config.drop_prob likewise. base.n_folds is the number of folds (0: 5; at least 2);
     * base.n_threads is the thread budget (0: all online CPUs); base.out_dir,
     * base.quiet and base.log are the search's own; base.fold is ignored. */
    eegnn_train_config base;
    const char *const *models;   /* (n_models) model names (eegnn_model_build) */
    int n_models;
    const float *lrs;            /* (n_lrs) learning rates */
    int n_lrs;
    float lr_min, lr_max;        /* random search: learning rate drawn log-uniformly in [lr_min, lr_max]
                                    (scipy.stats.loguniform) when both are > 0; replaces lrs */
    const int *batch_sizes;      /* (n_batch_sizes) */
    int n_batch_sizes;
    const float *weight_decays;  /* (n_weight_decays) AdamW weight decays; < 0 means none, as in eegnn_train */
    int n_weight_decays;
    const float *drop_probs;     /* (n_drop_probs) dropout probabilities (model_config.drop_prob: 0 is the
                                    model's default, < 0 none) */
    int n_drop_probs;
    int n_trials;                /* 0: full grid (every combination); > 0: random search with n_trials
                                    configurations, drawn without repetition from the grid as scikit-learn's
                                    ParameterSampler when every dimension is a list (the full grid when it
                                    has no more than n_trials points), independently otherwise */
    int n_workers;               /* runs in parallel; 0: the thread budget; capped by the number of runs */
    const char *metric;          /* ranking metric, an eegnn_split_metrics field name: "balanced_accuracy",
                                    "accuracy", "roc_auc", "pearson_r", "r2" (higher is better) or "nrmse",
                                    "rmse", "mae", "loss" (lower is better). NULL: "balanced_accuracy" for
                                    classification, "nrmse" (RMSE / std of the true values) for regression */
} eegnn_search_config;

/* One configuration and its cross-validation outcome. */
typedef struct eegnn_search_trial {
    char *model;                 /* model name (a copy) */
    float lr;
    int batch_size;
    float weight_decay;
    float drop_prob;             /* model_config.drop_prob of the runs */
    char *label;                 /* e.g. "shallow lr=0.001 batch_size=32": the model and the varied values */
    double mean, std;            /* metric over the folds that ran (std with ddof = 0, as scikit-learn's
                                    std_test_score); NaN when a fold failed */
    double *fold_metric;         /* (n_folds) validation metric per fold; NaN for a failed run */
    eegnn_train_result *folds;   /* (n_folds) eegnn_train results */
    eegnn_status *fold_status;   /* (n_folds) EEGNN_OK or the run's error */
    char **fold_error;           /* (n_folds) the error message of a failed run, else NULL */
    int rank;                    /* 1 = best; ties keep the trial order; failed configurations last */
} eegnn_search_trial;

typedef struct eegnn_search_result {
    int n_trials, n_folds;
    eegnn_search_trial *trials;  /* (n_trials) in the order they were generated */
    int *ranking;                /* (n_trials) trial indices, best first */
    int best;                    /* ranking[0] */
    char metric[32];             /* the ranking metric's name */
    int higher_is_better;
    int n_classes;               /* 0: regression */
    int n_failed;                /* runs that ended with an error */
    double seconds;              /* wall time of the search */
} eegnn_search_result;

/* Runs a search and writes the files listed above. A run that fails (e.g.
 * diverges) is recorded in results.csv with its error and its configuration
 * ranks last; the search fails only when every run fails (with the first
 * run's error). Errors: EEGNN_ERR_ARG for a bad config (no bids_root or
 * target, fewer than 2 folds, an empty search space value, a learning rate
 * or batch size <= 0, an unknown metric), EEGNN_ERR_IO when the BIDS root
 * cannot be opened or an output cannot be written, any eegnn_train error
 * when every run fails. On success *result holds the outcome: free it with
 * eegnn_search_result_free (also after a failure; it is then empty).
 * Thread safety: reentrant; spawns up to n_workers threads. */
EEGNN_API eegnn_status eegnn_search(const eegnn_search_config *cfg, eegnn_search_result *result);

/* Frees what eegnn_search allocated in *result and zeroes it. NULL is
 * allowed. */
EEGNN_API void eegnn_search_result_free(eegnn_search_result *result);
