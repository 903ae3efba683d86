/* ---------------------------------------------------------------------------
 * Training loop: BIDS dataset -> windows -> group split -> model -> epochs,
 * with validation metrics, the best checkpoint and a metrics JSON. This is
 * what `eegnn train` runs; it is also callable from C.
 * ------------------------------------------------------------------------- */

/* Start from eegnn_train_config_default(): fields left 0 or NULL take the
 * defaults their comments give, and the "unset" fields (weight_decay,
 * warmup_epochs, test_fraction, plateau_patience, head_weight_decay and
 * model_config's drop_prob, norm_first, gelu) are EEGNN_UNSET, their
 * default, where 0 means 0 (no weight decay, no warmup, no test set). */

typedef struct eegnn_train_config {
    const char *bids_root;   /* BIDS dataset root (required) */
    const char *target;      /* "participants:COLUMN", "events:CLASS,..." (see eegnn_event_classes_parse)
                                or "challenge1" (required) */
    const char *event_column; /* events targets: the events.tsv column holding the labels; NULL:
                                 "trial_type" (eegnn_dataset_config.event_column) */
    const char *task;        /* comma-separated task filter; NULL: all tasks */
    const char *split;       /* "subject" (default), "session" or "run": the held-out group unit */
    const char *model;       /* "cnn" (default), "shallow" or "mlp" (see nn.h) */
    int epochs;              /* 0: 20 */
    int batch_size;          /* 0: 64 */
    float lr;                /* AdamW learning rate; 0: 1e-3 */
    float weight_decay;      /* weight decay (decoupled for AdamW), >= 0; unset: 0.01 (AdamW's default) */
    int warmup_epochs;       /* linear warmup before the cosine schedule, >= 0; unset: 1 when epochs > 4 */
    uint64_t seed;           /* seeds init, shuffling, dropout and the split */
    int n_threads;           /* 0: all online CPUs */
    double window_seconds;   /* fixed windows for participants targets; 0: 2 */
    double stride_seconds;   /* 0: window_seconds */
    double tmin, tmax;       /* event-locked window, seconds from onset; both 0: 0.5 and 2.5 */
    double valid_fraction;   /* share of groups held out for validation; 0: 0.2 */
    double test_fraction;    /* share of groups held out for testing, >= 0; 0: no test set; unset: 0.2 */
    int n_folds;             /* > 1: group k-fold cross-validation (scikit-learn GroupKFold with
                                shuffled groups): the groups are shuffled with the seed and dealt
                                round-robin into n_folds folds; fold `fold` is the validation set,
                                the rest trains, there is no test set. 0: the train/valid/test split */
    int fold;                /* 0-based validation fold when n_folds > 1 (0 .. n_folds-1) */
    const char *out_dir;     /* where best.safetensors and metrics.json go; NULL: "eegnn-out" */
    int quiet;               /* 1: print nothing (for running several jobs in parallel threads) */
    int brief;               /* 1 (without quiet): print only the start line (windows, split, model),
                                warnings and early stopping: no loading progress, dataset log or
                                per-epoch lines */
    int progress;            /* 1: draw a progress bar (for terminals) */
    FILE *log;               /* per-epoch lines; NULL: stdout */
    /* model hyperparameters (nn.h); n_chans, n_times, n_outputs and sfreq are set from the data */
    eegnn_model_config model_config;
    /* optimisation */
    const char *optimizer;   /* "adamw" (default), "adam", "sgd" (momentum 0.9) or "adamax" (torch.optim) */
    const char *loss;        /* regression: "mse" (default) or "l1"; classification is always cross-entropy */
    const char *scheduler;   /* "cosine" (default: per-step cosine with linear warmup), "step" (StepLR,
                                per epoch), "plateau" (ReduceLROnPlateau on the validation loss) or "none" */
    int step_size;           /* StepLR epochs between decays; 0: max(1, epochs / 3) */
    float gamma;             /* StepLR factor; 0: 0.1 */
    float plateau_factor;    /* ReduceLROnPlateau factor; 0: 0.1 */
    int plateau_patience;    /* ReduceLROnPlateau patience in epochs, >= 0; unset: 10 (PyTorch's) */
    int patience;            /* early stopping: stop after this many epochs without a lower validation
                                loss (the best weights are restored); 0: never */
    float clip_grad_norm;    /* > 0: clip the gradients' joint L2 norm to this (clip_grad_norm_) */
    int accumulate;          /* micro-batches of batch_size per optimizer step; 0: 1 */
    float ema_decay;         /* > 0: exponential moving average of the weights with this decay,
                                used for validation, best-epoch selection and the saved weights */
    const char *class_weights; /* classification: NULL/"none", or "balanced": weighted cross-entropy
                                  with n_samples / (n_classes * count) from the training windows
                                  (scikit-learn's compute_class_weight) */
    const char *head_prefix; /* parameter names of the head; NULL: "final_layer" (braindecode) */
    float head_lr;           /* learning rate of the head's parameter group; 0: lr */
    float head_weight_decay; /* weight decay of the head's group, >= 0; unset: weight_decay */
    int freeze_backbone_epochs; /* train only the head for this many epochs, then everything */
    const char *resume;      /* a last.safetensors written by a previous run with the same
                                settings: continue after its epoch (exactly, for a fixed thread count) */
    /* data loading (eegnn_dataset_config): datasets larger than memory */
    int64_t max_memory;      /* bytes the recordings may take in memory; more: stream them. 0: unlimited */
    int stream;              /* 1: always read windows from the files on demand */
    const char *cache_dir;   /* on-disk cache of preprocessed windows for streamed data; NULL: none
                                (required when streamed data get whole-recording preprocessing) */
    const char *cache_dtype; /* "float32" (default) or "float16" */
    int steps_per_epoch;     /* > 0: at most this many optimizer steps per epoch, their batches the first
                                ones of the epoch's shuffle of the whole training split (so drawn at
                                random from all of it; the schedule counts these steps). 0: all,
                                n_train / (batch_size * accumulate) */
    int eval_windows;        /* > 0: validation, test and the final metrics use at most this many
                                windows of each split, evenly spaced over it (window indices
                                i * n / eval_windows); n_windows in the metrics says how many. 0: all */
    int prefetch;            /* 0: a loader thread reads the next training batches (up to 3 ahead) while
                                the model trains; < 0: load synchronously. Results are identical */
    /* preprocessing of every recording: the fields pick_types .. standardize_eps
     * and scale of eegnn_dataset_config (see windows.h; its other fields are
     * ignored). Saved in the checkpoints, so eegnn_predict applies the same. */
    eegnn_dataset_config preprocess;
    /* augmentation of each training batch (never validation or test), after the
     * input standardization: "name:probability[:params],...", see
     * eegnn_augment_parse. Draws depend only on the seed, the epoch and the step. */
    const char *augment;
    /* accelerator (e.g. eegnn_gpu_train_hooks of eegnn_hip.h): on_graph runs once the model, the
     * optimizer and any resumed state are ready, on_graph_free before the optimizer and the graph
     * are freed; both may be NULL. The loop reads weights through eegnn_graph_sync, so either path trains the same. */
    void (*on_graph)(eegnn_graph *g, void *user);
    void (*on_graph_free)(eegnn_graph *g, void *user);
    void *on_graph_user;
    /* EEG Foundation Challenge 2025 */
    double crop_seconds;     /* > 0 (participants targets): windows of window_seconds are cropped to
                                this length: a random crop per window and epoch in training (uniform
                                offset from the seed, epoch and window), the centred crop for
                                evaluation and prediction (see eegnn_dataset_get_crop) */
} eegnn_train_config;

/* A training config with every field 0 or NULL (their defaults) except the
 * unset fields, EEGNN_UNSET: weight_decay, warmup_epochs, test_fraction,
 * plateau_patience, head_weight_decay and model_config (from
 * eegnn_model_config_default). bids_root and target still need setting.
 * Pure; thread safe. */
EEGNN_API eegnn_train_config eegnn_train_config_default(void);

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

/* The settings eegnn_train runs with: a copy of cfg with every field left
 * at its default (0, NULL or EEGNN_UNSET where documented so) replaced by
 * its value, e.g. epochs 20, batch_size 64, lr 1e-3, weight_decay 0.01,
 * optimizer "adamw", scheduler "cosine", warmup_epochs 1 (or 0: none),
 * split "subject", model "cnn", window_seconds 2, tmin/tmax 0.5/2.5,
 * out_dir "eegnn-out". Settings that depend on the data (batch size capped
 * by the training windows, steps per epoch), head_lr and head_weight_decay
 * (0 / unset: the head has no parameter group of its own unless
 * freeze_backbone_epochs) and model_config (each model's own defaults) are
 * left as they are. Resolving twice gives the same
 * config. Thread safe. */
EEGNN_API void eegnn_train_config_resolve(const eegnn_train_config *cfg, eegnn_train_config *out);

/* Checks a training configuration without reading any signal file: its
 * settings (names of the optimizer, scheduler, loss, class weights and
 * cache dtype; ranges of the numbers; folds; the augmentation syntax), then
 * the dataset: opens bids_root and runs eegnn_dataset_check with the
 * dataset settings this config gives (target, task filter, event labels,
 * participants column, split unit, windows), then the settings that depend
 * on the target's kind (a loss set for a classification, class weights for
 * a regression). eegnn_train runs it first. plan (may be NULL) receives
 * what eegnn_dataset_check found. Errors: EEGNN_ERR_ARG naming the setting;
 * the errors of eegnn_bids_open and eegnn_dataset_check (which name the
 * file or column and list what exists). Thread safety: reentrant. */
EEGNN_API eegnn_status eegnn_train_check(const eegnn_train_config *cfg, eegnn_dataset_plan *plan);

/* Runs a training job. Writes <out_dir>/best.safetensors (weights of the
 * epoch with the lowest validation loss, with the configuration,
 * normalisation statistics and class names as metadata), after every epoch
 * <out_dir>/last.safetensors (the current weights plus the training state:
 * "optimizer.<param>.<state>" as torch's optimizer state (exp_avg, ...,
 * step), "best.<name>" and "ema.<name>" copies, epoch, RNG states and
 * history as metadata; see `resume`), and <out_dir>/metrics.json
 * (per-epoch history, the final train/valid/test metrics and "warnings": a
 * list of sentences about the split, also printed unless quiet: a valid or
 * test split with a single class, a class missing from training, test
 * targets beyond the training range). eegnn_dataset_check's errors come
 * before any signal file is read. Classification splits are stratified by
 * class (eegnn_split_groups_stratified, eegnn_kfold_groups). Regression
 * targets are z-scored with the training split's mean and std for the loss
 * and mapped back for metrics; inputs are standardized per channel with
 * training-split statistics. When the dataset drops windows (reject /
 * flat) the list goes to out_dir/drop_log.tsv (eegnn_dataset_write_drop_log).
 * The training windows are reshuffled every
 * epoch; a run is bit-for-bit reproducible for a fixed seed and thread
 * count. Errors: any reading, shape or arena error, with eegnn_last_error()
 * set. Thread safety: reentrant (no global state): several runs may go in
 * parallel threads (use n_threads = 1, quiet = 1 and distinct out_dirs). */
EEGNN_API eegnn_status eegnn_train(const eegnn_train_config *cfg, eegnn_train_result *result);

/* Parses an augmentation list "name:p[:a[:b]],..." (p: probability in
 * [0, 1]) into augs (room for max_augs) for windows of n_times samples at
 * sfreq Hz (braindecode.augmentation names and defaults):
 *   time_shift:p[:max_seconds]        TIME_SHIFT, circular; default 10% of the window
 *   amplitude_scale:p[:low:high]      AMPLITUDE_SCALE, one factor per example; 0.5 2
 *   gaussian_noise:p[:std]            GAUSSIAN_NOISE; 0.1
 *   channels_dropout:p[:p_drop]       CHANNELS_DROPOUT; 0.2
 *   smooth_time_mask:p[:seconds]      SMOOTH_TIME_MASK; 10% of the window
 *   sign_flip:p                       SIGN_FLIP
 * Errors (EEGNN_ERR_ARG naming the item): unknown name, a number that does
 * not parse or is out of range, more than max_augs items. Thread safe. */
EEGNN_API eegnn_status eegnn_augment_parse(const char *spec, int n_times, double sfreq, eegnn_augment *augs,
                                           int max_augs, int *n_augs);

/* Class weights "balanced" (scikit-learn's compute_class_weight):
 * w[k] = n / (n_classes * count[k]) over labels y (n values in 0..n_classes-1);
 * a class without samples gets weight 0. EEGNN_ERR_ARG for a label out of
 * range. Thread safe. */
EEGNN_API eegnn_status eegnn_class_weights_balanced(const int *y, int n, int n_classes, float *weights);

/* Applies a checkpoint written by eegnn_train (best.safetensors or
 * last.safetensors) to a BIDS dataset and writes a CSV with one row per
 * window (or event-locked trial):
 *   participant,recording,window,start_sample,target,prediction[,prob_<class>...],split
 * prediction is the class name (classification, with the softmax
 * probability of each class) or the value in the target's units
 * (regression); target is the known label or value; split is "train",
 * "valid" or "test" from the training run's split when bids_root is the
 * dataset the model was trained on (the same path), empty otherwise. The
 * windows, input standardisation and model come from the checkpoint's
 * metadata. batch_size 0: the training batch size. Errors: reading, format
 * (a checkpoint without eegnn_train's metadata), shape mismatches, with
 * eegnn_last_error() set; no half-written CSV. Thread safety: reentrant. */
EEGNN_API eegnn_status eegnn_predict(const char *checkpoint, const char *bids_root, const char *out_csv,
                                     int n_threads, int *n_windows);
