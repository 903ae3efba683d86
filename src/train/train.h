/* ---------------------------------------------------------------------------
 * Training loop: BIDS dataset -> windows -> group split -> model -> epochs,
 * with validation metrics, the best checkpoint and a metrics JSON. This is
 * what `eegnn train` runs; it is also callable from C.
 * ------------------------------------------------------------------------- */

typedef struct eegnn_train_config {
    const char *bids_root;   /* BIDS dataset root (required) */
    const char *target;      /* "participants:COLUMN" or "events:A,B,..." (required) */
    const char *task;        /* comma-separated task filter; NULL: all tasks */
    const char *split;       /* "subject" (default), "session" or "run": the held-out group unit */
    const char *model;       /* "cnn" (default), "shallow" or "mlp" (see nn.h) */
    int epochs;              /* 0: 20 */
    int batch_size;          /* 0: 64 */
    float lr;                /* AdamW learning rate; 0: 1e-3 */
    float weight_decay;      /* AdamW weight decay; 0: 0.01 (PyTorch's default); < 0: none */
    int warmup_epochs;       /* linear warmup before the cosine schedule; 0: 1 when epochs > 4 */
    uint64_t seed;           /* seeds init, shuffling, dropout and the split */
    int n_threads;           /* 0: all online CPUs */
    double window_seconds;   /* fixed windows for participants targets; 0: 2 */
    double stride_seconds;   /* 0: window_seconds */
    double tmin, tmax;       /* event-locked window, seconds from onset; both 0: 0.5 and 2.5 */
    double valid_fraction;   /* share of groups held out for validation; 0: 0.2 */
    double test_fraction;    /* share of groups held out for testing; 0: 0.2; < 0: none */
    const char *out_dir;     /* where best.safetensors and metrics.json go; NULL: "eegnn-out" */
    int quiet;               /* 1: no per-epoch lines */
    int progress;            /* 1: draw a progress bar (for terminals) */
    FILE *log;               /* per-epoch lines; NULL: stdout */
} eegnn_train_config;

/* Metrics of one split, computed on window predictions. Regression fills
 * the regression fields, classification the others; the rest are NaN. */
typedef struct eegnn_split_metrics {
    int n_windows;
    double loss;
    double pearson_r, r2, rmse, nrmse, mae;      /* regression */
    double accuracy, balanced_accuracy, roc_auc; /* classification (roc_auc: 2 classes only) */
} eegnn_split_metrics;

typedef struct eegnn_train_result {
    int best_epoch;               /* 1-based epoch with the best validation loss */
    int n_classes;                /* 0 for regression */
    eegnn_split_metrics train, valid, test; /* at the best epoch (weights restored) */
    double seconds;               /* wall time of the whole run */
} eegnn_train_result;

/* Runs a training job. Writes <out_dir>/best.safetensors (weights of the
 * epoch with the lowest validation loss, with the configuration as
 * metadata) and <out_dir>/metrics.json (per-epoch history and the final
 * train/valid/test metrics). Regression targets are z-scored with the
 * training split's mean and std for the loss and mapped back for metrics;
 * inputs are standardized per channel with training-split statistics.
 * Classification uses cross-entropy with logits, regression MSE; AdamW with
 * a cosine schedule and linear warmup. Errors: any reading, shape or
 * arena error, with eegnn_last_error() set. Thread safety: reentrant. */
EEGNN_API eegnn_status eegnn_train(const eegnn_train_config *cfg, eegnn_train_result *result);
