/* eegnn: the command-line program.
 *
 *   cc -O2 -o eegnn examples/eegnn.c -lm -lpthread
 *   ./eegnn demo                      synthetic BIDS dataset + age regression, end to end
 *   ./eegnn info PATH                 a recording or a BIDS root
 *   ./eegnn read FILE --npy OUT.npy   samples as float32 (n_channels, n_times), MNE's units
 *   ./eegnn train --bids DIR --target participants:age|events:A,B [options]
 *   ./eegnn predict MODEL.safetensors --bids DIR [--out preds.csv]
 *   ./eegnn COMMAND --help            the options of a command
 *
 * Exit status: 0 done; 1 a failure while running (a file that cannot be
 * read or written, training that diverges); 2 a command line that is
 * wrong, or options that do not fit the dataset (checked before any signal
 * file is read).
 *
 * Add -DEEGNN_USE_OPENBLAS ... -lopenblas to use OpenBLAS for matrix products.
 * GPU builds of the same source (eegnn train --gpu, see eegnn_hip.h):
 *   hipcc -x hip -O2 --offload-arch=gfx1010 --offload-arch=gfx1030 -o eegnn examples/eegnn.c -lpthread
 *   nvcc -x cu -O2 -arch=sm_90 -o eegnn examples/eegnn.c -lpthread
 */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "../eegnn_hip.h"
#include "app.h"
#include "challenge.c"
#include "cli.h"
#include "plot.c"
#include "search.c"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- commands and their options ---- */

enum {
    C_DEMO = 1 << 0,
    C_INFO = 1 << 1,
    C_MODELS = 1 << 2,
    C_SYNTH = 1 << 3,
    C_READ = 1 << 4,
    C_TRAIN = 1 << 5,
    C_PREDICT = 1 << 6,
    C_SEARCH = 1 << 7,
    C_PLOT = 1 << 8,
    C_SCORE = 1 << 9,
    C_EXPORT = 1 << 10,
    C_TS = C_TRAIN | C_SEARCH
};
/* command names by bit position */
static const char *const command_names[] = {"demo",    "info",   "models", "synth", "read",           "train",
                                            "predict", "search", "plot",   "score", "export-submission", NULL};

#define INF HUGE_VAL
#define TC(f) ((long)offsetof(eegnn_train_config, f))
#define S_DATA "data and target"
#define S_MODEL "model and optimizer"
#define S_SCHED "learning-rate schedule and training loop"
#define S_OUT "output and resources"
#define S_LOAD "data loading (datasets larger than memory)"
#define S_PREP "preprocessing of each recording (as it is loaded, in this order)"
#define S_AUG "augmentation of training batches (never validation or test; deterministic for --seed)"
#define S_GPU "GPU (builds with eegnn_hip.h)"
#define S_SEARCH "search space (lists are comma-separated)"
#define S_OPT "options"

static const cli_option options[] = {
    /* data and target */
    {"--bids", "DIR", CLI_STRING, C_TS | C_PREDICT, 0, 0, 0, NULL, TC(bids_root), S_DATA, "BIDS dataset root (required)"},
    {"--target", "TARGET", CLI_STRING, C_TS, 0, 0, 0, NULL, TC(target), S_DATA,
     "participants:COLUMN (a participants.tsv column: numeric -> regression,\n"
     "other -> classification), events:CLASS[,CLASS...] (one window per event;\n"
     "CLASS is LABEL, or NAME=LABEL[+LABEL...] to name a class and merge\n"
     "labels, e.g. events:left=T1,right=T2) or challenge1 (required)"},
    {"--event-column", "COLUMN", CLI_STRING, C_TS, 0, 0, 0, NULL, TC(event_column), S_DATA,
     "events targets: the *_events.tsv column of the labels (default trial_type;\n"
     "e.g. value)"},
    {"--task", "T[,T...]", CLI_STRING, C_TS, 0, 0, 0, NULL, TC(task), S_DATA, "only the recordings of these BIDS tasks"},
    {"--split", "UNIT", CLI_STRING, C_TS, 0, 0, 0, "subject,session,run", TC(split), S_DATA,
     "held-out unit: subject (default), session or run; no group is in two splits;\n"
     "classification splits are stratified by class"},
    {"--valid", "F", CLI_DOUBLE, C_TRAIN, 0, 1, CLI_LO_OPEN | CLI_HI_OPEN, NULL, TC(valid_fraction), S_DATA,
     "share of groups held out for validation (default 0.2)"},
    {"--test", "F", CLI_DOUBLE, C_TRAIN, 0, 1, CLI_HI_OPEN, NULL, TC(test_fraction), S_DATA,
     "share of groups held out for testing (default 0.2; 0: no test set)"},
    {"--folds", "K", CLI_INT, C_TRAIN, 2, 1000, CLI_ZERO_UNSET, NULL, TC(n_folds), S_DATA,
     "group K-fold cross-validation: with --fold I, fold I validates, no test set"},
    {"--folds", "K", CLI_INT, C_SEARCH, 2, 1000, 0, NULL, TC(n_folds), S_DATA,
     "cross-validation folds over the --split groups (default 5)"},
    {"--fold", "I", CLI_INT, C_TRAIN, 0, 999, 0, NULL, TC(fold), S_DATA, "the validation fold of --folds K (0-based)"},
    {"--window", "S", CLI_DOUBLE, C_TS, 0, INF, CLI_LO_OPEN, NULL, TC(window_seconds), S_DATA,
     "participants targets: window length in seconds (default 2)"},
    {"--stride", "S", CLI_DOUBLE, C_TS, 0, INF, CLI_LO_OPEN, NULL, TC(stride_seconds), S_DATA,
     "participants targets: window stride in seconds (default: the window length)"},
    {"--tmin", "S", CLI_DOUBLE, C_TS, -INF, INF, 0, NULL, TC(tmin), S_DATA,
     "events targets: window start in seconds from each event's onset (default 0.5,\n"
     "also when only --tmax is given)"},
    {"--tmax", "S", CLI_DOUBLE, C_TS, -INF, INF, 0, NULL, TC(tmax), S_DATA,
     "events targets: window end in seconds from the onset (default 2.5, also when\n"
     "only --tmin is given)"},
    {"--crop", "S", CLI_DOUBLE, C_TS, 0, INF, CLI_LO_OPEN | CLI_ZERO_UNSET, NULL, TC(crop_seconds), S_DATA,
     "participants targets: crop each window to S seconds (random in training,\n"
     "centred for evaluation)"},
    {"--challenge", "N", CLI_INT, C_TRAIN, 1, 2, 0, NULL, -1, S_DATA,
     "EEG Foundation Challenge 2025 presets for what is not set: 1 = response\n"
     "time (target challenge1, task contrastChangeDetection, AdamW, MSE);\n"
     "2 = participants:externalizing (4 s windows, 2 s stride, random 2 s crops,\n"
     "Adamax lr 2e-3, L1); model EEGNeX unless --model"},
    /* model and optimizer */
    {"--model", "M", CLI_STRING, C_TS, 0, 0, 0, NULL, TC(model), S_MODEL,
     "cnn (default), EEGNeX, EEGNetv4 (or EEGNet), ShallowFBCSPNet, Deep4Net,\n"
     "BDTCN, EEGConformer, EEGTransformer, BandPowerMLP, MLP (case-insensitive;\n"
     "`eegnn models` lists them)"},
    {"--models", "M[,M...]", CLI_STRING, C_SEARCH, 0, 0, CLI_LIST, NULL, -1, S_SEARCH, "models to compare"},
    {"--dropout", "P", CLI_FLOAT, C_TRAIN, 0, 1, CLI_HI_OPEN, NULL, TC(model_config.drop_prob),
     S_MODEL, "dropout probability (default: the model's; 0: none)"},
    {"--dropout", "P[,P...]", CLI_FLOAT, C_SEARCH, 0, 1, CLI_HI_OPEN | CLI_LIST, NULL, -1, S_SEARCH,
     "dropout probabilities (0: none)"},
    {"--epochs", "N", CLI_INT, C_TS, 1, INF, 0, NULL, TC(epochs), S_MODEL, "default 20"},
    {"--batch-size", "N", CLI_INT, C_TRAIN, 1, INF, 0, NULL, TC(batch_size), S_MODEL, "default 64"},
    {"--batch-size", "N[,N...]", CLI_INT, C_SEARCH, 1, INF, CLI_LIST, NULL, -1, S_SEARCH, "batch sizes (default 64)"},
    {"--lr", "X", CLI_FLOAT, C_TRAIN, 0, INF, CLI_LO_OPEN, NULL, TC(lr), S_MODEL, "learning rate (default 1e-3)"},
    {"--lr", "X[,X...]", CLI_FLOAT, C_SEARCH, 0, INF, CLI_LO_OPEN | CLI_LIST, NULL, -1, S_SEARCH,
     "learning rates (default 1e-3)"},
    {"--lr-range", "A:B", CLI_STRING, C_SEARCH, 0, 0, 0, NULL, -1, S_SEARCH,
     "learning rate drawn log-uniformly in [A, B] (random search: needs --trials)"},
    {"--weight-decay", "X", CLI_FLOAT, C_TRAIN, 0, INF, 0, NULL, TC(weight_decay), S_MODEL,
     "default 0.01 (0: none)"},
    {"--weight-decay", "X[,X...]", CLI_FLOAT, C_SEARCH, 0, INF, CLI_LIST, NULL, -1, S_SEARCH,
     "weight decays (default 0.01; 0: none)"},
    {"--trials", "N", CLI_INT, C_SEARCH, 1, INF, 0, NULL, -1, S_SEARCH,
     "random search with N configurations (default: the full grid)"},
    {"--workers", "N", CLI_INT, C_SEARCH, 1, 4096, 0, NULL, -1, S_SEARCH,
     "runs in parallel (default: --threads, one thread each)"},
    {"--metric", "NAME", CLI_STRING, C_SEARCH, 0, 0, 0,
     "balanced_accuracy,accuracy,roc_auc,pearson_r,r2,nrmse,rmse,mae,loss", -1, S_SEARCH,
     "ranking metric (default balanced_accuracy, or nrmse for regression)"},
    {"--optimizer", "O", CLI_STRING, C_TS, 0, 0, 0, "adamw,adam,sgd,adamax", TC(optimizer), S_MODEL,
     "adamw (default), adam, sgd (momentum 0.9) or adamax"},
    {"--loss", "L", CLI_STRING, C_TS, 0, 0, 0, "mse,l1", TC(loss), S_MODEL,
     "regression targets: mse (default) or l1 (classification: cross-entropy)"},
    {"--class-weights", "W", CLI_STRING, C_TS, 0, 0, 0, "balanced,none", TC(class_weights), S_MODEL,
     "classification: balanced (weighted cross-entropy, n / (n_classes * count))\n"
     "or none (default)"},
    {"--head-prefix", "P", CLI_STRING, C_TS, 0, 0, 0, NULL, TC(head_prefix), S_MODEL,
     "head parameter names (default final_layer)"},
    {"--head-lr", "X", CLI_FLOAT, C_TS, 0, INF, CLI_LO_OPEN | CLI_ZERO_UNSET, NULL, TC(head_lr), S_MODEL,
     "learning rate of the head (default: --lr)"},
    {"--head-weight-decay", "X", CLI_FLOAT, C_TS, 0, INF, 0, NULL, TC(head_weight_decay), S_MODEL,
     "weight decay of the head (default: --weight-decay; 0: none)"},
    {"--freeze-backbone-epochs", "N", CLI_INT, C_TS, 0, INF, 0, NULL, TC(freeze_backbone_epochs), S_MODEL,
     "train only the head for the first N epochs"},
    /* schedule and loop */
    {"--scheduler", "S", CLI_STRING, C_TS, 0, 0, 0, "cosine,step,plateau,none", TC(scheduler), S_SCHED,
     "cosine (default: per step, 1 warmup epoch when there are more than 4),\n"
     "step (StepLR), plateau (ReduceLROnPlateau) or none"},
    {"--warmup", "N", CLI_INT, C_TS, 0, INF, 0, NULL, TC(warmup_epochs), S_SCHED,
     "--scheduler cosine: linear warmup epochs (0: none)"},
    {"--step-size", "N", CLI_INT, C_TS, 1, INF, 0, NULL, TC(step_size), S_SCHED,
     "--scheduler step: epochs between decays (default epochs/3)"},
    {"--gamma", "X", CLI_FLOAT, C_TS, 0, INF, CLI_LO_OPEN, NULL, TC(gamma), S_SCHED,
     "--scheduler step: decay factor (default 0.1)"},
    {"--plateau-factor", "X", CLI_FLOAT, C_TS, 0, 1, CLI_LO_OPEN | CLI_HI_OPEN, NULL, TC(plateau_factor), S_SCHED,
     "--scheduler plateau: factor (default 0.1)"},
    {"--plateau-patience", "N", CLI_INT, C_TS, 0, INF, 0, NULL, TC(plateau_patience), S_SCHED,
     "--scheduler plateau: patience in epochs (default 10)"},
    {"--patience", "N", CLI_INT, C_TS, 1, INF, CLI_ZERO_UNSET, NULL, TC(patience), S_SCHED,
     "early stopping after N epochs without a lower validation loss (the best\n"
     "weights are kept); default: off"},
    {"--clip", "X", CLI_FLOAT, C_TS, 0, INF, CLI_LO_OPEN | CLI_ZERO_UNSET, NULL, TC(clip_grad_norm), S_SCHED,
     "clip the gradient norm to X"},
    {"--accumulate", "K", CLI_INT, C_TS, 1, INF, 0, NULL, TC(accumulate), S_SCHED,
     "K micro-batches per optimizer step (gradient accumulation)"},
    {"--ema", "D", CLI_FLOAT, C_TS, 0, 1, CLI_LO_OPEN | CLI_HI_OPEN | CLI_ZERO_UNSET, NULL, TC(ema_decay), S_SCHED,
     "exponential moving average of the weights with decay D (e.g. 0.999), used\n"
     "for validation and the saved weights"},
    {"--steps-per-epoch", "N", CLI_INT, C_TS, 1, INF, CLI_ZERO_UNSET, NULL, TC(steps_per_epoch), S_SCHED,
     "at most N training steps per epoch, batches drawn at random from the whole\n"
     "training split (default: all of it once)"},
    {"--eval-windows", "N", CLI_INT, C_TS, 1, INF, CLI_ZERO_UNSET, NULL, TC(eval_windows), S_SCHED,
     "validation, test and final metrics on at most N windows of each split,\n"
     "evenly spaced over it (default: all)"},
    {"--resume", "FILE", CLI_STRING, C_TRAIN, 0, 0, 0, NULL, TC(resume), S_SCHED,
     "continue from DIR/last.safetensors of an earlier run (same options)"},
    {"--seed", "N", CLI_U64, C_TS, 0, INF, 0, NULL, TC(seed), S_SCHED,
     "seeds the initial weights, the split, shuffling and dropout (default 0)"},
    /* output and resources */
    {"--out", "DIR", CLI_STRING, C_TRAIN, 0, 0, 0, NULL, TC(out_dir), S_OUT,
     "best.safetensors, last.safetensors, metrics.json, config.json and\n"
     "learning_curves.svg (default eegnn-out)"},
    {"--out", "DIR", CLI_STRING, C_SEARCH, 0, 0, 0, NULL, TC(out_dir), S_OUT,
     "results.csv, summary.csv, best_config.json, SVG plots (default eegnn-search)"},
    {"--threads", "N", CLI_INT, C_TS | C_PREDICT, 1, 4096, 0, NULL, TC(n_threads), S_OUT,
     "default: $OMP_NUM_THREADS when set, else all CPUs"},
    {"--quiet", NULL, CLI_FLAG, C_TS, 0, 0, 0, NULL, -1, S_OUT,
     "only the start line, warnings and the results: no progress or per-epoch lines"},
    /* data loading */
    {"--max-memory", "SIZE", CLI_SIZE, C_TS, 0, 0, CLI_ZERO_UNSET, NULL, TC(max_memory), S_LOAD,
     "memory the recordings may take (e.g. 512M, 1G; K/M/G are powers of 1024);\n"
     "larger datasets are streamed from their files (default: unlimited)"},
    {"--stream", NULL, CLI_FLAG, C_TS, 0, 0, 0, NULL, TC(stream), S_LOAD,
     "always stream the recordings, whatever their size"},
    {"--cache", "DIR", CLI_STRING, C_TS, 0, 0, 0, NULL, TC(cache_dir), S_LOAD,
     "cache the preprocessed windows of streamed data in DIR (needed to stream\n"
     "with whole-recording preprocessing)"},
    {"--cache-dtype", "T", CLI_STRING, C_TS, 0, 0, 0, "float32,float16", TC(cache_dtype), S_LOAD,
     "float32 (default, exact) or float16 (half the disk, ~1e-3 relative error)"},
    {"--no-prefetch", NULL, CLI_FLAG, C_TS, 0, 0, 0, NULL, -1, S_LOAD,
     "load each training batch in the training thread (no loader thread)"},
    /* preprocessing */
    {"--picks", "LIST", CLI_STRING, C_TS, 0, 0, 0, NULL, -1, S_PREP,
     "channel types (eeg,eog,...) or channel names (C3,Cz,C4) to keep"},
    {"--channels", "LIST", CLI_STRING, C_TS, 0, 0, 0, NULL, TC(preprocess.channels), S_PREP,
     "common: the channels every recording has (first recording's order); or\n"
     "names: exactly these, in this order"},
    {"--reference", "R", CLI_STRING, C_TS, 0, 0, 0, NULL, TC(preprocess.reference), S_PREP,
     "average, or channel name(s) A1,A2 (MNE set_eeg_reference)"},
    {"--l-freq", "HZ", CLI_DOUBLE, C_TS, 0, INF, CLI_LO_OPEN | CLI_ZERO_UNSET, NULL, TC(preprocess.l_freq), S_PREP,
     "high-pass edge; with --h-freq a band-pass (Butterworth, zero phase)"},
    {"--h-freq", "HZ", CLI_DOUBLE, C_TS, 0, INF, CLI_LO_OPEN | CLI_ZERO_UNSET, NULL, TC(preprocess.h_freq), S_PREP, "low-pass edge"},
    {"--filter-order", "N", CLI_INT, C_TS, 1, EEGNN_BUTTER_MAX_ORDER, 0, NULL, TC(preprocess.filter_order), S_PREP,
     "Butterworth order of --l-freq/--h-freq (default 4)"},
    {"--notch", "HZ", CLI_DOUBLE, C_TS, 0, INF, CLI_LO_OPEN | CLI_ZERO_UNSET, NULL, TC(preprocess.notch_freq), S_PREP,
     "line-noise notch at HZ and its harmonics"},
    {"--notch-width", "HZ", CLI_DOUBLE, C_TS, 0, INF, CLI_LO_OPEN, NULL, TC(preprocess.notch_width), S_PREP,
     "half width of each notch (default 1)"},
    {"--resample", "HZ", CLI_DOUBLE, C_TS, 0, INF, CLI_LO_OPEN | CLI_ZERO_UNSET, NULL, TC(preprocess.sfreq), S_PREP,
     "resample every recording to HZ (scipy resample_poly); mixes rates"},
    {"--scale", "X", CLI_DOUBLE, C_TS, -INF, INF, CLI_NONZERO, NULL, TC(preprocess.scale), S_PREP,
     "samples times X (default 1e6: volts to microvolts)"},
    {"--reject", "UV", CLI_DOUBLE, C_TS, 0, INF, CLI_LO_OPEN | CLI_ZERO_UNSET, NULL, TC(preprocess.reject), S_PREP,
     "drop windows with an eeg peak-to-peak above UV (scaled units); listed in\n"
     "DIR/drop_log.tsv"},
    {"--flat", "UV", CLI_DOUBLE, C_TS, 0, INF, CLI_LO_OPEN | CLI_ZERO_UNSET, NULL, TC(preprocess.flat), S_PREP,
     "drop windows with an eeg peak-to-peak below UV"},
    {"--standardize", NULL, CLI_FLAG, C_TS, 0, 0, 0, NULL, -1, S_PREP, "z-score each window per channel"},
    {"--ems", NULL, CLI_FLAG, C_TS, 0, 0, 0, NULL, -1, S_PREP,
     "exponential moving standardization of each recording (braindecode)"},
    {"--ems-factor", "F", CLI_DOUBLE, C_TS, 0, 1, CLI_LO_OPEN, NULL, TC(preprocess.ems_factor_new), S_PREP,
     "--ems: factor_new (default 0.001)"},
    {"--ems-init-block", "N", CLI_INT, C_TS, 1, INF, 0, NULL, -1, S_PREP,
     "--ems: init_block_size in samples (default: none)"},
    {"--augment", "LIST", CLI_STRING, C_TS, 0, 0, 0, NULL, TC(augment), S_AUG,
     "e.g. time_shift:0.5,sign_flip:0.5; items name:p[:params]:\n"
     "time_shift:p[:max_s] amplitude_scale:p[:low:high] gaussian_noise:p[:std]\n"
     "channels_dropout:p[:p_drop] smooth_time_mask:p[:s] sign_flip:p"},
    /* GPU */
    {"--gpu", NULL, CLI_FLAG, C_TRAIN, 0, 0, 0, NULL, -1, S_GPU,
     "linear layers and attention on the GPU (GPU builds; else the CPU)"},
    {"--gpu-ops", "LIST", CLI_STRING, C_TRAIN, 0, 0, 0, NULL, -1, S_GPU,
     "implies --gpu: linear,attention,norm,elementwise,optimizer|all|none\n"
     "(default: env EEGNN_GPU_OPS, else all of these)"},
    {"--profile", NULL, CLI_FLAG, C_TRAIN, 0, 0, 0, NULL, -1, S_GPU, "per-op calls, time and bytes moved, at the end"},
    /* predict */
    {"--out", "CSV", CLI_STRING, C_PREDICT, 0, 0, 0, NULL, -1, S_OPT, "the predictions (default preds.csv)"},
    /* read */
    {"--npy", "OUT.npy", CLI_STRING, C_READ, 0, 0, 0, NULL, -1, S_OPT,
     "write the samples as float32 (n_channels, n_times), volts for voltage\n"
     "channels (required)"},
    /* synth */
    {"--subjects", "N", CLI_INT, C_SYNTH, 1, 100000, 0, NULL, -1, S_OPT, "subjects (default 40; --hbn: 20)"},
    {"--channels", "C", CLI_INT, C_SYNTH, 1, 1024, 0, NULL, -1, S_OPT, "channels (default 20)"},
    {"--sfreq", "HZ", CLI_DOUBLE, C_SYNTH, 0, 1e5, CLI_LO_OPEN, NULL, -1, S_OPT, "sampling rate (default 128)"},
    {"--duration", "S", CLI_DOUBLE, C_SYNTH, 0, INF, CLI_LO_OPEN, NULL, -1, S_OPT,
     "seconds per recording (default 60)"},
    {"--seed", "N", CLI_U64, C_SYNTH, 0, INF, 0, NULL, -1, S_OPT, "default 0"},
    {"--hbn", "PARTICIPANTS_TSV", CLI_STRING, C_SYNTH, 0, 0, 0, NULL, -1, S_OPT,
     "an HBN-like tree (EEG Foundation Challenge 2025 layout: 129 channels,\n"
     "100 Hz BDF, contrastChangeDetection + RestingState) joined with a real HBN\n"
     "participants.tsv"},
    {"--runs", "R", CLI_INT, C_SYNTH, 1, 100, 0, NULL, -1, S_OPT, "--hbn: contrastChangeDetection runs per subject"},
    {"--trials", "T", CLI_INT, C_SYNTH, 1, 100000, 0, NULL, -1, S_OPT, "--hbn: trials per run"},
    {"--rest", "S", CLI_DOUBLE, C_SYNTH, 0, 1e5, CLI_LO_OPEN, NULL, -1, S_OPT, "--hbn: seconds of RestingState"},
    /* export-submission */
    {"--out", "DIR", CLI_STRING, C_EXPORT, 0, 0, 0, NULL, -1, S_OPT,
     "where weights_challenge_{1,2}.safetensors and submission.py go (required)"},
};
#define N_OPTIONS ((int)(sizeof options / sizeof options[0]))

typedef struct command {
    const char *name;
    unsigned bit;
    int max_positional;
    const char *usage;
    const char *summary; /* one line for the top-level usage */
    const char *description;
} command;

static const command commands[] = {
    {"demo", C_DEMO, 1, "eegnn demo [DIR]", "synthetic BIDS dataset + age regressor, end to end",
     "Writes a synthetic BIDS dataset (40 subjects whose alpha rhythm speeds up with age)\n"
     "to DIR/bids (default eegnn-demo) and trains an age regressor on it (DIR/run)."},
    {"info", C_INFO, 1, "eegnn info [PATH]", "describe a recording, a BIDS dataset, or this build and CPU",
     "Describes a recording (.edf, .bdf, .vhdr, .set) or a BIDS dataset: recordings,\n"
     "event levels with counts, participants.tsv columns, and warnings where a sidecar\n"
     "disagrees with its file. Without PATH: the version, the CPU path of the vector\n"
     "kernels (avx512, avx2 or generic; EEGNN_CPU=PATH forces one), the paths this CPU\n"
     "supports, the CPU count and the optional libraries built in."},
    {"models", C_MODELS, 0, "eegnn models", "list the model zoo with parameter counts",
     "Lists the model zoo with trainable-parameter counts at 129 channels x 200 samples."},
    {"synth", C_SYNTH, 1, "eegnn synth DIR [options]", "write a synthetic (or HBN-like) BIDS dataset",
     "Writes the demo's synthetic BIDS dataset, or with --hbn an HBN-like one, to DIR."},
    {"read", C_READ, 1, "eegnn read FILE --npy OUT.npy", "write a recording's samples as .npy",
     "Writes the samples of a recording as float32 (n_channels, n_times), in MNE's units,\n"
     "and prints its sampling rate and channel names."},
    {"train", C_TRAIN, 0, "eegnn train --bids DIR --target TARGET [options]  (or --challenge 1|2)",
     "train a model on a BIDS dataset",
     "Trains a model on the windows of a BIDS dataset with a group-wise train/valid/test\n"
     "split (or one fold of group k-fold), keeps the weights of the best validation\n"
     "epoch and writes them, the metrics and the resolved options to --out. Options,\n"
     "target, event labels, tasks and split unit are checked before any recording is read."},
    {"predict", C_PREDICT, 1, "eegnn predict MODEL --bids DIR [--out preds.csv] [--threads N]",
     "apply a trained checkpoint to a dataset",
     "Applies a checkpoint written by `eegnn train` (best.safetensors) to every window of\n"
     "a dataset: participant, recording, window, start_sample, target, prediction (and the\n"
     "class probabilities), split."},
    {"search", C_SEARCH, 0, "eegnn search --bids DIR --target TARGET [options]",
     "grid or random search with group k-fold cross-validation",
     "Trains every configuration of a grid (or --trials random ones) once per fold of\n"
     "group k-fold cross-validation and ranks them by the mean validation metric."},
    {"plot", C_PLOT, 2, "eegnn plot METRICS.json OUT.svg", "learning curves of a training run",
     "Draws the learning curves of a metrics.json written by `eegnn train` as SVG."},
    {"score", C_SCORE, 2, "eegnn score C1_METRICS.json C2_METRICS.json", "EEG 2025 challenge score",
     "Challenge score 0.3 x nRMSE(C1) + 0.7 x nRMSE(C2) from the test splits of two\n"
     "metrics.json files."},
    {"export-submission", C_EXPORT, 2, "eegnn export-submission CHECKPOINT_C1 CHECKPOINT_C2 --out DIR",
     "EEG 2025 challenge submission",
     "Writes weights_challenge_{1,2}.safetensors and a submission.py (PyTorch) to DIR."},
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *fp) {
    int i;
    fprintf(fp, "eegnn %s: neural networks for EEG\n\nusage: eegnn COMMAND [options]\n\ncommands:\n",
            EEGNN_VERSION_STRING);
    for (i = 0; i < N_COMMANDS; i++) fprintf(fp, "  %-18s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\n`eegnn COMMAND --help` lists the options of a command; `eegnn --version` prints the version.\n");
}

/* Parses a command's arguments; returns 0 to go on, else the exit status
 * (0 after --help, 2 after an error). */
static int parse(unsigned bit, int argc, char **argv, cli_args *args) {
    const command *c = NULL;
    int i, r;
    for (i = 0; i < N_COMMANDS; i++)
        if (commands[i].bit == bit) c = &commands[i];
    r = cli_parse(options, N_OPTIONS, bit, c->name, c->max_positional, c->usage, c->description, command_names, argc,
                  argv, args);
    return r == 0 ? -1 : r == 1 ? 0 : 2;
}

/* The given text of option `name` of a command, or NULL. */
static const char *opt(const cli_args *args, unsigned bit, const char *name) {
    int row = cli_find(options, N_OPTIONS, bit, name, strlen(name));
    return row >= 0 ? args->value[row] : NULL;
}

/* Its number (for an option that was given). */
static double num(const cli_args *args, unsigned bit, const char *name) {
    int row = cli_find(options, N_OPTIONS, bit, name, strlen(name));
    return row >= 0 ? args->number[row] : 0.0;
}

static int fail(const char *what) {
    fprintf(stderr, "eegnn: %s%s%s\n", what, *eegnn_last_error() ? ": " : "", eegnn_last_error());
    return 1;
}

/* A command-line error: "eegnn CMD: <message> (eegnn CMD --help)"; returns 2. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "eegnn %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (eegnn %s --help)\n", cmd);
    return 2;
}

/* 1 when the path exists (a file or a folder). */
static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Input files must exist: "not found" is reported as such (exit status 2). */
static int need_file(const char *cmd, const char *path) {
    if (exists(path)) return 0;
    fprintf(stderr, "eegnn %s: %s: not found (no such file or folder)\n", cmd, path);
    return 2;
}

/* mkdir -p */
static int make_dirs(const char *path) {
    char buf[4096];
    size_t i, n = strlen(path);
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, path, n + 1);
    for (i = 1; i <= n; i++)
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            buf[i] = c;
        }
    return is_dir(path) ? 0 : -1;
}

/* ---- commands ---- */

/* Lists the model zoo with trainable-parameter counts at the EEG 2025
 * challenge's input shape (129 channels x 200 samples at 100 Hz, 1 output). */
static int cmd_models(int argc, char **argv) {
    cli_args args;
    int i, r = parse(C_MODELS, argc, argv, &args);
    if (r >= 0) return r;
    printf("%-18s %12s   (n_chans=129, n_times=200, n_outputs=1)\n", "model", "parameters");
    for (i = 0; i < eegnn_model_count(); i++) {
        eegnn_graph_config gc;
        eegnn_model_config mc;
        eegnn_graph *g;
        int xs[3] = {1, 129, 200};
        memset(&gc, 0, sizeof gc);
        gc.arena_bytes = (size_t)256 << 20;
        gc.n_threads = 1;
        mc = eegnn_model_config_default();
        mc.n_chans = 129;
        mc.n_times = 200;
        mc.n_outputs = 1;
        mc.sfreq = 100;
        g = eegnn_graph_create(&gc);
        if (!g) return fail("models");
        if (eegnn_model_build(g, eegnn_model_name(i), eegnn_input(g, "x", 3, xs), &mc))
            printf("%-18s %12zu\n", eegnn_model_name(i), eegnn_graph_n_param_scalars(g));
        else
            printf("%-18s %12s   %s\n", eegnn_model_name(i), "-", eegnn_last_error());
        eegnn_graph_free(g);
    }
    return 0;
}

/* `eegnn info` without PATH: what a bug report needs about this build. */
static int print_build_info(void) {
    const char *warn = eegnn_cpu_warning();
    printf("eegnn %s\n", EEGNN_VERSION_STRING);
    printf("cpu_path\t%s\n", eegnn_cpu_path());
    printf("cpu_paths_supported\t%s\n", eegnn_cpu_paths());
    printf("cpu_count\t%d\n", eegnn_cpu_count());
    printf("blas\t%s\n",
#ifdef EEGNN_USE_OPENBLAS
           "openblas"
#else
           "built-in"
#endif
    );
    printf("fft\t%s\n",
#ifdef EEGNN_USE_FFTW
           "fftw3"
#else
           "built-in"
#endif
    );
    printf("zlib\t%s\n",
#ifdef EEGNN_USE_ZLIB
           "yes"
#else
           "no"
#endif
    );
    if (warn) fprintf(stderr, "eegnn info: warning: %s\n", warn);
    return 0;
}

static int cmd_info(int argc, char **argv) {
    cli_args args;
    int r = parse(C_INFO, argc, argv, &args);
    if (r >= 0) return r;
    if (args.n_pos == 0) return print_build_info();
    if (args.n_pos != 1) return usage_error("info", "expects one PATH (or none, for this build and CPU)");
    if (need_file("info", args.pos[0])) return 2;
    if (is_dir(args.pos[0])) {
        eegnn_bids_dataset *ds = eegnn_bids_open(args.pos[0]);
        if (!ds) return fail("info");
        eegnn_bids_print_summary(ds, stdout);
        eegnn_bids_close(ds);
    } else {
        eegnn_raw *raw = eegnn_read_raw(args.pos[0], NULL);
        if (!raw) return fail("info");
        eegnn_raw_print_info(raw, stdout);
        eegnn_raw_free(raw);
    }
    return 0;
}

static int cmd_read(int argc, char **argv) {
    cli_args args;
    const char *in, *out;
    eegnn_raw *raw;
    int64_t shape[2];
    int i, r = parse(C_READ, argc, argv, &args);
    if (r >= 0) return r;
    out = opt(&args, C_READ, "--npy");
    if (args.n_pos != 1 || !out) return usage_error("read", "expects FILE and --npy OUT.npy");
    in = args.pos[0];
    if (need_file("read", in)) return 2;
    raw = eegnn_read_raw(in, NULL);
    if (!raw) return fail("read");
    shape[0] = raw->n_channels;
    shape[1] = raw->n_times;
    if (eegnn_npy_write(out, raw->data, 2, shape)) {
        eegnn_raw_free(raw);
        return fail("read");
    }
    printf("%s: %d channels x %lld samples at %g Hz -> %s (float32, %s)\n", in, raw->n_channels,
           (long long)raw->n_times, raw->sfreq, out, "volts for voltage channels");
    printf("sfreq\t%.17g\n", raw->sfreq);
    printf("ch_names");
    for (i = 0; i < raw->n_channels; i++) printf("\t%s", raw->ch_names[i]);
    printf("\n");
    eegnn_raw_free(raw);
    return 0;
}

static void print_metrics(const char *name, const eegnn_split_metrics *m, int n_classes) {
    if (!m->n_windows) return;
    if (n_classes)
        printf("%-6s windows %5d  loss %.4f  accuracy %.3f  balanced_accuracy %.3f%s", name, m->n_windows, m->loss,
               m->accuracy, m->balanced_accuracy, n_classes == 2 ? "  roc_auc " : "");
    else
        printf("%-6s windows %5d  loss %.4f  r %.3f  R2 %.3f  RMSE %.3f  nRMSE %.3f  MAE %.3f", name, m->n_windows,
               m->loss, m->pearson_r, m->r2, m->rmse, m->nrmse, m->mae);
    if (n_classes == 2) printf("%.3f", m->roc_auc);
    printf("\n");
}

/* The thread count when --threads is absent: $OMP_NUM_THREADS (as PyTorch
 * reads it), else every CPU. */
static int default_threads(const char *cmd) {
    const char *v = getenv("OMP_NUM_THREADS");
    char *end;
    long n;
    if (!v || !*v) return eegnn_cpu_count();
    n = strtol(v, &end, 10);
    if (*end || n < 1 || n > 4096) {
        fprintf(stderr, "eegnn %s: warning: OMP_NUM_THREADS='%s' is not a thread count; using all %d CPUs\n", cmd,
                v, eegnn_cpu_count());
        return eegnn_cpu_count();
    }
    return (int)n;
}

/* Runs a training job and prints its results. */
static int run_train(eegnn_train_config *cfg, int challenge) {
    eegnn_train_result res;
    const char *out = cfg->out_dir ? cfg->out_dir : "eegnn-out";
    char metrics[4096], svg[4096];
    if (eegnn_train(cfg, &res)) return fail("train");
    if (challenge)
        printf("challenge %d: nRMSE valid %.4f  test %.4f\n", challenge, res.valid.nrmse, res.test.nrmse);
    printf("best epoch %d of %d (%.1f s)\n", res.best_epoch, cfg->epochs ? cfg->epochs : 20, res.seconds);
    print_metrics("train", &res.train, res.n_classes);
    print_metrics("valid", &res.valid, res.n_classes);
    print_metrics("test", &res.test, res.n_classes);
    snprintf(metrics, sizeof metrics, "%s/metrics.json", out);
    snprintf(svg, sizeof svg, "%s/learning_curves.svg", out);
    if (eegnn_plot_metrics_json(metrics, svg, NULL))
        fprintf(stderr, "eegnn train: warning: no learning curves: %s\n", eegnn_last_error());
    printf("wrote %s/best.safetensors, last.safetensors, metrics.json, config.json and learning_curves.svg\n", out);
    return 0;
}

/* The EEG Foundation Challenge 2025 settings (eeg2025/startkit), for what
 * the command line left unset. */
static void challenge_defaults(eegnn_train_config *cfg, int challenge) {
    if (!cfg->model) cfg->model = "EEGNeX";
    if (challenge == 1) {
        if (!cfg->target) cfg->target = "challenge1";
        if (!cfg->task) cfg->task = "contrastChangeDetection";
        if (!cfg->optimizer) cfg->optimizer = "adamw";
        if (!cfg->loss) cfg->loss = "mse";
    } else {
        if (!cfg->target) cfg->target = "participants:externalizing";
        if (cfg->window_seconds == 0) cfg->window_seconds = 4.0;
        if (cfg->stride_seconds == 0) cfg->stride_seconds = 2.0;
        if (cfg->crop_seconds == 0) cfg->crop_seconds = 2.0;
        if (!cfg->optimizer) cfg->optimizer = "adamax";
        if (cfg->lr == 0) cfg->lr = 2e-3f;
        if (!cfg->loss) cfg->loss = "l1";
    }
}

/* A model name of the zoo; else the error, with the closest name. */
static int check_model(const char *cmd, const char *name) {
    const char *names[64], *hit;
    int i, n = 0;
    if (eegnn_model_find(name) >= 0) return 0;
    for (i = 0; i < eegnn_model_count() && n < 62; i++) {
        names[n++] = eegnn_model_name(i);
        if (eegnn_model_alias(i)) names[n++] = eegnn_model_alias(i);
    }
    hit = cli_closest(name, names, n);
    fprintf(stderr, "eegnn %s: unknown model '%s'", cmd, name);
    if (hit) fprintf(stderr, " (did you mean '%s'?)", hit);
    fprintf(stderr, "; `eegnn models` lists them\n");
    return 2;
}

/* 1 when every item of a comma-separated list is an MNE channel type. */
static int all_channel_types(const char *list) {
    static const char *const types[] = {"eeg", "eog", "ecg", "emg", "stim", "misc", "resp", "bio", "gsr",
                                        "temperature", "seeg", "ecog", "dbs", "syst", "chpi", "exci", "ias"};
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p), k, found = 0;
        for (k = 0; k < sizeof types / sizeof types[0]; k++)
            if (strlen(types[k]) == n && !strncmp(types[k], p, n)) found = 1;
        if (!found) return 0;
        p = e ? e + 1 : p + n;
    }
    return 1;
}

/* Applies the options shared by train and search that need more than a
 * field: channel picks, standardization, prefetch, --quiet, the EMS block. */
static int apply_special(const cli_args *args, unsigned bit, eegnn_train_config *cfg) {
    const char *v;
    const char *cmd = bit == C_TRAIN ? "train" : "search";
    if ((v = opt(args, bit, "--picks"))) {
        if (all_channel_types(v)) cfg->preprocess.pick_types = v;
        else if (cfg->preprocess.channels) {
            fprintf(stderr, "eegnn %s: --picks with channel names and --channels both choose channels; use one\n", cmd);
            return 2;
        } else cfg->preprocess.channels = v;
    }
    if (opt(args, bit, "--standardize") && opt(args, bit, "--ems")) {
        fprintf(stderr, "eegnn %s: --standardize and --ems exclude each other\n", cmd);
        return 2;
    }
    if (opt(args, bit, "--standardize")) cfg->preprocess.standardize = "window";
    if (opt(args, bit, "--ems")) cfg->preprocess.standardize = "ems";
    if (opt(args, bit, "--ems-init-block")) cfg->preprocess.ems_init_block_size = (int64_t)num(args, bit, "--ems-init-block");
    /* one end of the event window given: the other keeps its default (0 is a real tmin, so the
     * library's "both 0: defaults" cannot stand for an unset one) */
    if (opt(args, bit, "--tmin") && !opt(args, bit, "--tmax")) cfg->tmax = 2.5;
    if (opt(args, bit, "--tmax") && !opt(args, bit, "--tmin")) cfg->tmin = 0.5;
    if (opt(args, bit, "--no-prefetch")) cfg->prefetch = -1;
    if (opt(args, bit, "--quiet")) cfg->brief = 1;
    return 0;
}

/* What kind of target a config names, from its text: 'e' events, 'p'
 * participants, 'c' challenge1, 0 unknown (the library says why). */
static int target_kind(const char *t) {
    if (!strncmp(t, "events:", 7)) return 'e';
    if (!strncmp(t, "participants:", 13)) return 'p';
    if (!strcmp(t, "challenge1")) return 'c';
    return 0;
}

/* The checks of train and search options that need no data: options that
 * do not apply to the target or to the other options given are errors, or
 * warnings where harmless. Returns 0 or 2 (message printed). */
static int check_options(const cli_args *args, unsigned bit, const eegnn_train_config *cfg) {
    const char *cmd = bit == C_TRAIN ? "train" : "search", *sched = cfg->scheduler ? cfg->scheduler : "cosine";
    int kind = target_kind(cfg->target);
    static const char *const need[][2] = {
        {"--step-size", "step"}, {"--gamma", "step"}, {"--plateau-factor", "plateau"},
        {"--plateau-patience", "plateau"}, {"--warmup", "cosine"}};
    size_t k;
    if (cfg->model && check_model(cmd, cfg->model)) return 2;
    if (kind == 'p') {
        if (opt(args, bit, "--tmin") || opt(args, bit, "--tmax"))
            return usage_error(cmd, "--tmin/--tmax set the window around each event of events targets; '%s' is a "
                                    "participants target, cut in fixed windows (--window, --stride)",
                               cfg->target);
        if (opt(args, bit, "--event-column"))
            return usage_error(cmd, "--event-column applies to events targets, not '%s'", cfg->target);
    } else if (kind == 'e' || kind == 'c') {
        if (cfg->crop_seconds > 0)
            return usage_error(cmd, "--crop applies to participants targets (fixed windows), not '%s'", cfg->target);
        if (opt(args, bit, "--window") || opt(args, bit, "--stride"))
            fprintf(stderr, "eegnn %s: warning: --window/--stride are ignored for '%s': its windows span --tmin to "
                            "--tmax around each event\n", cmd, cfg->target);
        if (kind == 'e' && opt(args, bit, "--loss"))
            return usage_error(cmd, "--loss applies to regression targets; '%s' is a classification (cross-entropy)",
                               cfg->target);
        if (kind == 'c' && opt(args, bit, "--event-column"))
            return usage_error(cmd, "--event-column applies to events targets, not '%s'", cfg->target);
        if (kind == 'c' && opt(args, bit, "--class-weights"))
            return usage_error(cmd, "--class-weights applies to classification targets; '%s' is a regression",
                               cfg->target);
    }
    if (kind != 'p' && (opt(args, bit, "--tmin") || opt(args, bit, "--tmax")) && !(cfg->tmax > cfg->tmin)) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%g", cfg->tmin);
        snprintf(b, sizeof b, "%g", cfg->tmax);
        if (!opt(args, bit, "--tmin")) snprintf(a, sizeof a, "0.5 (default)");
        if (!opt(args, bit, "--tmax")) snprintf(b, sizeof b, "2.5 (default)");
        return usage_error(cmd, "--tmax must be greater than --tmin (tmin %s, tmax %s)", a, b);
    }
    if (cfg->crop_seconds > 0 && cfg->crop_seconds > (cfg->window_seconds > 0 ? cfg->window_seconds : 2.0))
        return usage_error(cmd, "--crop %g s is longer than the windows (%g s)", cfg->crop_seconds,
                           cfg->window_seconds > 0 ? cfg->window_seconds : 2.0);
    for (k = 0; k < sizeof need / sizeof need[0]; k++)
        if (opt(args, bit, need[k][0]) && strcmp(sched, need[k][1]))
            return usage_error(cmd, "%s applies to --scheduler %s", need[k][0], need[k][1]);
    if (opt(args, bit, "--fold") && !opt(args, bit, "--folds"))
        return usage_error(cmd, "--fold needs --folds K");
    if (cfg->n_folds > 1 && bit == C_TRAIN && cfg->fold >= cfg->n_folds)
        return usage_error(cmd, "--fold %d is not in 0..%d", cfg->fold, cfg->n_folds - 1);
    if (opt(args, bit, "--folds") && bit == C_TRAIN && (opt(args, bit, "--valid") || opt(args, bit, "--test")))
        return usage_error(cmd, "--valid/--test set the train/valid/test split; with --folds the fold --fold "
                                "validates and there is no test set");
    {
        double vf = cfg->valid_fraction > 0 ? cfg->valid_fraction : 0.2;
        double tf = cfg->test_fraction == EEGNN_UNSET ? 0.2 : cfg->test_fraction;
        if (cfg->n_folds <= 1 && !(vf + tf < 1))
            return usage_error(cmd, "--valid %g and --test %g leave nothing to train on", vf, tf);
    }
    if (opt(args, bit, "--ems-factor") && !opt(args, bit, "--ems"))
        return usage_error(cmd, "--ems-factor applies to --ems");
    if (opt(args, bit, "--ems-init-block") && !opt(args, bit, "--ems"))
        return usage_error(cmd, "--ems-init-block applies to --ems");
    if (opt(args, bit, "--notch-width") && !opt(args, bit, "--notch"))
        return usage_error(cmd, "--notch-width applies to --notch");
    if (opt(args, bit, "--filter-order") && !opt(args, bit, "--l-freq") && !opt(args, bit, "--h-freq"))
        return usage_error(cmd, "--filter-order applies to --l-freq/--h-freq");
    if (cfg->preprocess.l_freq > 0 && cfg->preprocess.h_freq > 0 && cfg->preprocess.l_freq >= cfg->preprocess.h_freq)
        return usage_error(cmd, "--l-freq %s must be below --h-freq %s", opt(args, bit, "--l-freq"),
                           opt(args, bit, "--h-freq"));
    if (opt(args, bit, "--cache-dtype") && !cfg->cache_dir)
        return usage_error(cmd, "--cache-dtype applies to --cache DIR");
    if (cfg->cache_dir && !cfg->stream && !cfg->max_memory)
        fprintf(stderr, "eegnn %s: warning: --cache is used only by streamed data (--stream or --max-memory); "
                        "the recordings are kept in memory\n", cmd);
    if (cfg->freeze_backbone_epochs > 0 && cfg->freeze_backbone_epochs >= (cfg->epochs > 0 ? cfg->epochs : 20))
        fprintf(stderr, "eegnn %s: warning: --freeze-backbone-epochs %d is not below the %d epochs: only the head "
                        "trains\n", cmd, cfg->freeze_backbone_epochs, cfg->epochs > 0 ? cfg->epochs : 20);
    if (cfg->resume && need_file(cmd, cfg->resume)) return 2;
    if (cfg->augment) { /* the syntax; lengths are checked against the windows later */
        eegnn_augment augs[16];
        int n_augs;
        if (eegnn_augment_parse(cfg->augment, 1 << 30, 1e-3, augs, 16, &n_augs)) {
            fprintf(stderr, "eegnn %s: --augment: %s\n", cmd, eegnn_last_error());
            return 2;
        }
    }
    return 0;
}

/* The library's checks of the options against the dataset's tables (no
 * signal file is read): target, tasks, labels, split unit, loss. 2 for
 * options that do not fit the dataset, 1 for a table that cannot be read. */
static int check_dataset(const char *cmd, const eegnn_train_config *cfg, eegnn_dataset_plan *plan) {
    eegnn_status st = eegnn_train_check(cfg, plan);
    if (!st) return 0;
    fprintf(stderr, "eegnn %s: %s\n", cmd, eegnn_last_error());
    return st == EEGNN_ERR_ARG || st == EEGNN_ERR_NOT_FOUND ? 2 : 1;
}

/* Writes DIR/config.json: the eegnn version, the command line, the seed and
 * every option of `eegnn train` with the value the run uses. Atomic. */
static int write_config_json(const eegnn_train_config *cfg, int argc, char **argv, const char *gpu_ops, int challenge,
                             const eegnn_dataset_plan *plan) {
    eegnn_train_config rc;
    char path[4096], tmp[4200];
    FILE *fp;
    int i, ok;
    eegnn_train_config_resolve(cfg, &rc);
    if (plan->classification) rc.loss = "cross_entropy";
    snprintf(path, sizeof path, "%s/config.json", rc.out_dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (make_dirs(rc.out_dir) || !(fp = fopen(tmp, "w"))) {
        fprintf(stderr, "eegnn train: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(fp, "{\n  \"eegnn_version\": \"%s\",\n  \"command_line\": [", EEGNN_VERSION_STRING);
    for (i = 0; i < argc; i++) {
        if (i) fprintf(fp, ", ");
        cli_json_string(fp, argv[i]);
    }
    fprintf(fp, "],\n  \"seed\": %llu,\n  \"task_kind\": \"%s\",\n  \"n_classes\": %d,\n  \"options\": {",
            (unsigned long long)rc.seed, plan->classification ? "classification" : "regression", plan->n_classes);
    cli_write_json_options(fp, options, N_OPTIONS, C_TRAIN, &rc, "    ");
    fprintf(fp, ",\n    \"picks\": ");
    if (rc.preprocess.pick_types) cli_json_string(fp, rc.preprocess.pick_types);
    else fprintf(fp, "null");
    fprintf(fp, ",\n    \"standardize\": \"%s\"", rc.preprocess.standardize ? rc.preprocess.standardize : "none");
    fprintf(fp, ",\n    \"ems_init_block\": %lld", (long long)rc.preprocess.ems_init_block_size);
    fprintf(fp, ",\n    \"no_prefetch\": %s,\n    \"quiet\": %s", rc.prefetch < 0 ? "true" : "false",
            rc.brief ? "true" : "false");
    fprintf(fp, ",\n    \"challenge\": %d,\n    \"gpu\": %s,\n    \"gpu_ops\": ", challenge,
            rc.on_graph ? "true" : "false");
    if (gpu_ops) cli_json_string(fp, gpu_ops);
    else fprintf(fp, "null");
    fprintf(fp, "\n  }\n}\n");
    ok = !ferror(fp);
    ok = fclose(fp) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "eegnn train: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
        return 1;
    }
    return 0;
}

static int cmd_train(int argc, char **argv) {
    eegnn_train_config cfg;
    eegnn_gpu_config gpu;
    eegnn_dataset_plan plan;
    cli_args args;
    const char *gpu_ops;
    int challenge = 0, r = parse(C_TRAIN, argc, argv, &args);
    if (r >= 0) return r;
    cfg = eegnn_train_config_default();
    memset(&gpu, 0, sizeof gpu);
    cfg.progress = isatty(1);
    cli_apply(options, N_OPTIONS, C_TRAIN, &args, &cfg);
    if ((r = apply_special(&args, C_TRAIN, &cfg))) return r;
    if (args.n_pos) return usage_error("train", "unexpected argument '%s'", args.pos[0]);
    if (!opt(&args, C_TRAIN, "--threads")) cfg.n_threads = default_threads("train");
    if (opt(&args, C_TRAIN, "--challenge")) {
        challenge = (int)num(&args, C_TRAIN, "--challenge");
        challenge_defaults(&cfg, challenge);
    }
    if (!cfg.bids_root || !cfg.target)
        return usage_error("train", "--bids and --target (or --challenge 1|2) are required");
    gpu_ops = opt(&args, C_TRAIN, "--gpu-ops");
    if (gpu_ops) {
        if (eegnn_gpu_parse_ops(gpu_ops, &gpu.ops)) {
            fprintf(stderr, "eegnn train: --gpu-ops: %s\n", eegnn_last_error());
            return 2;
        }
        if (!gpu.ops) gpu.ops = -1;
    }
    gpu.profile = opt(&args, C_TRAIN, "--profile") != NULL;
    if ((r = check_options(&args, C_TRAIN, &cfg)) || (r = check_dataset("train", &cfg, &plan))) return r;
    if (opt(&args, C_TRAIN, "--gpu") || gpu_ops || gpu.profile) {
        if (!opt(&args, C_TRAIN, "--gpu") && !gpu_ops) gpu.ops = -1; /* --profile alone: time the CPU path */
        cfg.on_graph = eegnn_gpu_train_on_graph;
        cfg.on_graph_free = eegnn_gpu_train_on_graph_free;
        cfg.on_graph_user = &gpu;
    }
    if (write_config_json(&cfg, argc + 2, argv - 2, gpu_ops, challenge, &plan)) return 1;
    return run_train(&cfg, challenge);
}

#define MAX_LIST 32

/* The items of a checked list option as numbers; returns the count. */
static int list_numbers(const char *v, float *out) {
    int n = 0;
    while (*v && n < MAX_LIST) {
        out[n++] = (float)strtod(v, NULL);
        v += strcspn(v, ",");
        if (*v == ',') v++;
    }
    return n;
}

static int cmd_search(int argc, char **argv) {
    eegnn_search_config sc;
    eegnn_search_result res;
    eegnn_dataset_plan plan;
    cli_args args;
    static char model_buf[1024];
    static const char *models[MAX_LIST];
    static float lrs[MAX_LIST], wds[MAX_LIST], drops[MAX_LIST], bsf[MAX_LIST];
    static int bss[MAX_LIST];
    const char *v, *metric;
    int k, r = parse(C_SEARCH, argc, argv, &args);
    if (r >= 0) return r;
    memset(&sc, 0, sizeof sc);
    memset(&res, 0, sizeof res);
    sc.base = eegnn_train_config_default();
    sc.base.out_dir = "eegnn-search";
    cli_apply(options, N_OPTIONS, C_SEARCH, &args, &sc.base);
    if ((r = apply_special(&args, C_SEARCH, &sc.base))) return r;
    if (opt(&args, C_SEARCH, "--quiet")) sc.base.quiet = 1;
    if (args.n_pos) return usage_error("search", "unexpected argument '%s'", args.pos[0]);
    if (!opt(&args, C_SEARCH, "--threads")) sc.base.n_threads = default_threads("search");
    if (!sc.base.bids_root || !sc.base.target)
        return usage_error("search", "--bids and --target are required");
    if ((v = opt(&args, C_SEARCH, "--models"))) {
        char *p;
        if (sc.base.model) return usage_error("search", "--model and --models both name models; use --models");
        snprintf(model_buf, sizeof model_buf, "%s", v);
        for (p = model_buf; p && sc.n_models < MAX_LIST;) {
            char *e = strchr(p, ',');
            if (e) *e = '\0';
            if (check_model("search", p)) return 2;
            models[sc.n_models++] = p;
            p = e ? e + 1 : NULL;
        }
        sc.models = models;
    }
    if ((v = opt(&args, C_SEARCH, "--lr"))) {
        sc.n_lrs = list_numbers(v, lrs);
        sc.lrs = lrs;
    }
    if ((v = opt(&args, C_SEARCH, "--batch-size"))) {
        sc.n_batch_sizes = list_numbers(v, bsf);
        for (k = 0; k < sc.n_batch_sizes; k++) bss[k] = (int)bsf[k];
        sc.batch_sizes = bss;
    }
    if ((v = opt(&args, C_SEARCH, "--weight-decay"))) {
        sc.n_weight_decays = list_numbers(v, wds);
        sc.weight_decays = wds;
    }
    if ((v = opt(&args, C_SEARCH, "--dropout"))) {
        sc.n_drop_probs = list_numbers(v, drops);
        sc.drop_probs = drops;
    }
    if ((v = opt(&args, C_SEARCH, "--lr-range"))) {
        char *end;
        double a = strtod(v, &end), b = *end == ':' ? strtod(end + 1, &end) : -1;
        if (*end || !(a > 0) || !(b >= a) || !isfinite(b))
            return usage_error("search", "--lr-range expects MIN:MAX with 0 < MIN <= MAX, got '%s'", v);
        if (opt(&args, C_SEARCH, "--lr")) return usage_error("search", "--lr and --lr-range both set the learning rates");
        if (!opt(&args, C_SEARCH, "--trials"))
            return usage_error("search", "--lr-range draws learning rates for a random search: add --trials N");
        sc.lr_min = (float)a;
        sc.lr_max = (float)b;
    }
    if (opt(&args, C_SEARCH, "--trials")) sc.n_trials = (int)num(&args, C_SEARCH, "--trials");
    if (opt(&args, C_SEARCH, "--workers")) sc.n_workers = (int)num(&args, C_SEARCH, "--workers");
    metric = sc.metric = opt(&args, C_SEARCH, "--metric");
    if ((r = check_options(&args, C_SEARCH, &sc.base)) || (r = check_dataset("search", &sc.base, &plan))) return r;
    if (metric) {
        int cls = !strcmp(metric, "balanced_accuracy") || !strcmp(metric, "accuracy") || !strcmp(metric, "roc_auc");
        int reg = !strcmp(metric, "pearson_r") || !strcmp(metric, "r2") || !strcmp(metric, "nrmse") ||
                  !strcmp(metric, "rmse") || !strcmp(metric, "mae");
        if ((cls && !plan.classification) || (reg && plan.classification))
            return usage_error("search", "--metric %s does not apply to '%s', a %s", metric, sc.base.target,
                               plan.classification ? "classification" : "regression");
        if (!strcmp(metric, "roc_auc") && plan.n_classes > 2)
            return usage_error("search", "--metric roc_auc needs two classes; '%s' has more", sc.base.target);
    }
    if (eegnn_search(&sc, &res)) return fail("search");
    eegnn_search_result_free(&res);
    printf("results in %s (results.csv, summary.csv, best_config.json, search_results.svg)\n", sc.base.out_dir);
    return 0;
}

static int cmd_plot(int argc, char **argv) {
    cli_args args;
    int r = parse(C_PLOT, argc, argv, &args);
    if (r >= 0) return r;
    if (args.n_pos != 2) return usage_error("plot", "expects METRICS.json and OUT.svg");
    if (need_file("plot", args.pos[0])) return 2;
    if (eegnn_plot_metrics_json(args.pos[0], args.pos[1], NULL)) return fail("plot");
    printf("wrote %s\n", args.pos[1]);
    return 0;
}

static int cmd_predict(int argc, char **argv) {
    cli_args args;
    const char *bids, *out;
    int n = 0, n_threads, r = parse(C_PREDICT, argc, argv, &args);
    if (r >= 0) return r;
    bids = opt(&args, C_PREDICT, "--bids");
    out = opt(&args, C_PREDICT, "--out");
    n_threads = opt(&args, C_PREDICT, "--threads") ? (int)num(&args, C_PREDICT, "--threads") : default_threads("predict");
    if (args.n_pos != 1 || !bids) return usage_error("predict", "MODEL and --bids DIR are required");
    if (need_file("predict", args.pos[0]) || need_file("predict", bids)) return 2;
    if (!out) out = "preds.csv";
    if (eegnn_predict(args.pos[0], bids, out, n_threads, &n)) return fail("predict");
    printf("%d predictions -> %s\n", n, out);
    return 0;
}

static int cmd_demo(int argc, char **argv) {
    cli_args args;
    const char *dir;
    char data_dir[4096], out_dir[4096];
    eegnn_synthetic_config syn;
    eegnn_train_config cfg;
    double t0 = eegnn_time_seconds();
    int r = parse(C_DEMO, argc, argv, &args);
    if (r >= 0) return r;
    dir = args.n_pos ? args.pos[0] : "eegnn-demo";
    syn = eegnn_synthetic_config_default();
    snprintf(data_dir, sizeof data_dir, "%s/bids", dir);
    snprintf(out_dir, sizeof out_dir, "%s/run", dir);
    printf("writing a synthetic BIDS dataset (40 subjects, 20 channels, 128 Hz, 60 s each) to %s\n", data_dir);
    if (eegnn_write_synthetic_bids(data_dir, &syn)) return fail("demo");
    printf("written in %.1f s; training an age regressor (target participants:age, held-out subjects)\n",
           eegnn_time_seconds() - t0);
    cfg = eegnn_train_config_default();
    cfg.bids_root = data_dir;
    cfg.target = "participants:age";
    cfg.split = "subject";
    cfg.model = "cnn";
    cfg.epochs = 15;
    cfg.lr = 3e-3f;
    cfg.out_dir = out_dir;
    cfg.n_threads = default_threads("demo");
    cfg.progress = isatty(1);
    {
        eegnn_dataset_plan plan;
        if ((r = check_dataset("demo", &cfg, &plan)) || (r = write_config_json(&cfg, argc + 2, argv - 2, NULL, 0, &plan)))
            return r;
    }
    return run_train(&cfg, 0);
}

/* eegnn synth DIR [options]: only writes the synthetic BIDS dataset (for
 * benchmarks and experiments). */
static int cmd_synth(int argc, char **argv) {
    eegnn_synthetic_config syn;
    eegnn_synthetic_hbn_config hbn;
    cli_args args;
    const char *dir;
    int r = parse(C_SYNTH, argc, argv, &args), is_hbn;
    if (r >= 0) return r;
    syn = eegnn_synthetic_config_default();
    hbn = eegnn_synthetic_hbn_config_default();
    if (args.n_pos != 1) return usage_error("synth", "expects one DIR");
    dir = args.pos[0];
    hbn.participants_tsv = opt(&args, C_SYNTH, "--hbn");
    is_hbn = hbn.participants_tsv != NULL;
    if (is_hbn) {
        if (opt(&args, C_SYNTH, "--channels") || opt(&args, C_SYNTH, "--sfreq") || opt(&args, C_SYNTH, "--duration"))
            return usage_error("synth", "--channels, --sfreq and --duration apply to the demo dataset, not --hbn "
                                        "(129 channels at 100 Hz)");
        if (need_file("synth", hbn.participants_tsv)) return 2;
    } else if (opt(&args, C_SYNTH, "--runs") || opt(&args, C_SYNTH, "--trials") || opt(&args, C_SYNTH, "--rest")) {
        return usage_error("synth", "--runs, --trials and --rest apply to --hbn datasets");
    }
    if (opt(&args, C_SYNTH, "--runs")) hbn.ccd_runs = (int)num(&args, C_SYNTH, "--runs");
    if (opt(&args, C_SYNTH, "--trials")) hbn.trials_per_run = (int)num(&args, C_SYNTH, "--trials");
    if (opt(&args, C_SYNTH, "--rest")) hbn.rest_seconds = num(&args, C_SYNTH, "--rest");
    if (opt(&args, C_SYNTH, "--subjects")) syn.n_subjects = hbn.n_subjects = (int)num(&args, C_SYNTH, "--subjects");
    if (opt(&args, C_SYNTH, "--seed")) syn.seed = hbn.seed = strtoull(opt(&args, C_SYNTH, "--seed"), NULL, 10);
    if (opt(&args, C_SYNTH, "--channels")) syn.n_channels = (int)num(&args, C_SYNTH, "--channels");
    if (opt(&args, C_SYNTH, "--sfreq")) syn.sfreq = num(&args, C_SYNTH, "--sfreq");
    if (opt(&args, C_SYNTH, "--duration")) syn.duration = num(&args, C_SYNTH, "--duration");
    if (is_hbn) {
        if (eegnn_write_synthetic_hbn(dir, &hbn)) return fail("synth");
        printf("wrote an HBN-like BIDS dataset to %s\n", dir);
        return 0;
    }
    if (eegnn_write_synthetic_bids(dir, &syn)) return fail("synth");
    printf("wrote a synthetic BIDS dataset to %s\n", dir);
    return 0;
}

/* eegnn export-submission CHECKPOINT_C1 CHECKPOINT_C2 --out DIR */
static int cmd_export_submission(int argc, char **argv) {
    cli_args args;
    const char *out;
    int r = parse(C_EXPORT, argc, argv, &args);
    if (r >= 0) return r;
    out = opt(&args, C_EXPORT, "--out");
    if (args.n_pos != 2 || !out)
        return usage_error("export-submission", "expects CHECKPOINT_C1 CHECKPOINT_C2 and --out DIR");
    if (need_file("export-submission", args.pos[0]) || need_file("export-submission", args.pos[1])) return 2;
    if (eegnn_export_submission(args.pos[0], args.pos[1], out)) return fail("export-submission");
    printf("wrote %s/submission.py, weights_challenge_1.safetensors and weights_challenge_2.safetensors\n", out);
    return 0;
}

/* Test-split nRMSE of a metrics.json written by `eegnn train`: 0, or 1 with
 * the reason printed. */
static int metrics_test_nrmse(const char *path, double *v) {
    eegnn_json *doc;
    if (need_file("score", path)) return 2;
    if (!(doc = eegnn_json_read(path))) {
        fprintf(stderr, "eegnn score: %s\n", eegnn_last_error());
        return 1;
    }
    if (eegnn_json_get_number(eegnn_json_get(doc, "test"), "nrmse", v) || *v != *v) {
        fprintf(stderr, "eegnn score: %s: no test nRMSE (a metrics.json of a regression run with a test split)\n",
                path);
        eegnn_json_free(doc);
        return 1;
    }
    eegnn_json_free(doc);
    return 0;
}

/* eegnn score C1_METRICS.json C2_METRICS.json */
static int cmd_score(int argc, char **argv) {
    cli_args args;
    double c1, c2;
    int r = parse(C_SCORE, argc, argv, &args);
    if (r >= 0) return r;
    if (args.n_pos != 2) return usage_error("score", "expects C1_METRICS.json and C2_METRICS.json");
    if ((r = metrics_test_nrmse(args.pos[0], &c1)) || (r = metrics_test_nrmse(args.pos[1], &c2))) return r;
    printf("challenge 1 nRMSE %.4f\nchallenge 2 nRMSE %.4f\nscore (0.3 x C1 + 0.7 x C2) %.4f\n", c1, c2,
           eegnn_challenge_score(c1, c2));
    return 0;
}

int main(int argc, char **argv) {
    static int (*const run[])(int, char **) = {cmd_demo,    cmd_info,   cmd_models, cmd_synth, cmd_read,
                                               cmd_train,   cmd_predict, cmd_search, cmd_plot,  cmd_score,
                                               cmd_export_submission};
    const char *names[N_COMMANDS], *hit;
    int i;
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        char help_flag[] = "--help", *help_argv[1];
        help_argv[0] = help_flag;
        for (i = 0; argc > 2 && i < N_COMMANDS; i++) /* eegnn help COMMAND */
            if (!strcmp(argv[2], commands[i].name)) return run[i](1, help_argv);
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("eegnn %s\n", EEGNN_VERSION_STRING);
        return 0;
    }
    for (i = 0; i < N_COMMANDS; i++) {
        names[i] = commands[i].name;
        if (!strcmp(argv[1], commands[i].name)) return run[i](argc - 2, argv + 2);
    }
    hit = cli_closest(argv[1], names, N_COMMANDS);
    fprintf(stderr, "eegnn: unknown command '%s'", argv[1]);
    if (hit) fprintf(stderr, " (did you mean '%s'?)", hit);
    fprintf(stderr, "; `eegnn --help` lists the commands\n");
    return 2;
}
