/* eegnn: the command-line program.
 *
 *   cc -O2 -o eegnn examples/eegnn.c -lm -lpthread
 *   ./eegnn demo                      synthetic BIDS dataset + age regression, end to end
 *   ./eegnn info PATH                 a recording or a BIDS root
 *   ./eegnn read FILE --npy OUT.npy   samples as float32 (n_channels, n_times), MNE's units
 *   ./eegnn train --bids DIR --target participants:age|events:A,B [options]
 *   ./eegnn predict MODEL.safetensors --bids DIR [--out preds.csv]
 *
 * Add -DEEGNN_USE_OPENBLAS ... -lopenblas to use OpenBLAS for matrix products.
 * GPU builds of the same source (eegnn train --gpu, see eegnn_hip.h):
 *   hipcc -x hip -O2 --offload-arch=gfx1010 --offload-arch=gfx1030 -o eegnn examples/eegnn.c -lpthread
 *   nvcc -x cu -O2 -arch=sm_90 -o eegnn examples/eegnn.c -lpthread
 */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "../eegnn_hip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *fp) {
    fprintf(fp,
            "eegnn %s: neural networks for EEG\n"
            "\n"
            "usage:\n"
            "  eegnn demo [DIR]                 write a synthetic BIDS dataset to DIR (default eegnn-demo)\n"
            "                                   and train an age regressor on it\n"
            "  eegnn info PATH                  describe a recording (.edf/.bdf/.vhdr/.set) or a BIDS dataset\n"
            "  eegnn models                     list the model zoo with parameter counts\n"
            "  eegnn synth DIR [--subjects N] [--channels C] [--sfreq HZ] [--duration S] [--seed N]\n"
            "                                   write only the demo's synthetic BIDS dataset\n"
            "  eegnn read FILE --npy OUT.npy    write the samples as float32 (n_channels, n_times)\n"
            "  eegnn train --bids DIR --target participants:COLUMN | events:A,B[,...] [options]\n"
            "  eegnn predict MODEL --bids DIR [--out preds.csv] [--threads N]\n"
            "                                   apply a trained checkpoint (best.safetensors) to every\n"
            "                                   window: participant, recording, window, start_sample,\n"
            "                                   target, prediction (+ class probabilities), split\n"
            "  eegnn search --bids DIR --target T [train options] [search options]\n"
            "                                   random or grid search with group k-fold cross-validation\n"
            "  eegnn plot METRICS.json OUT.svg  learning curves of a training run\n"
            "  eegnn synth DIR --hbn PARTICIPANTS_TSV [--subjects N] [--runs R] [--trials T] [--rest S] [--seed N]\n"
            "                                   HBN-like BIDS tree (EEG Foundation Challenge 2025 layout: 129 channels,\n"
            "                                   100 Hz BDF, contrastChangeDetection + RestingState) joined with a real\n"
            "                                   HBN participants.tsv\n"
            "  eegnn train --challenge 1|2 --bids DIR [options]\n"
            "                                   EEG Foundation Challenge 2025: 1 = response time (target challenge1,\n"
            "                                   task contrastChangeDetection, 0.5-2.5 s after the target, AdamW, MSE);\n"
            "                                   2 = participants:externalizing (4 s windows, 2 s stride, random 2 s\n"
            "                                   crops, Adamax lr 2e-3, L1); model EEGNeX unless --model\n"
            "  eegnn score C1_METRICS.json C2_METRICS.json\n"
            "                                   challenge score 0.3 x nRMSE(C1) + 0.7 x nRMSE(C2) on the test splits\n"
            "  eegnn export-submission CHECKPOINT_C1 CHECKPOINT_C2 --out DIR\n"
            "                                   weights_challenge_{1,2}.safetensors + submission.py (PyTorch)\n"
            "\n"
            "search options (lists are comma-separated; train options set everything else):\n"
            "  --models M,M        models to compare       --lr X,X       learning rates\n"
            "  --lr-range A:B      log-uniform learning rate (random search)\n"
            "  --batch-size N,N    --weight-decay X,X      --dropout P,P\n"
            "  --trials N          random search with N configurations (default: the full grid)\n"
            "  --folds K           cross-validation folds over the --split groups (default 5)\n"
            "  --workers N         runs in parallel (default: --threads, one thread each)\n"
            "  --metric NAME       ranking metric (default balanced_accuracy, or nrmse for regression)\n"
            "  --out DIR           results.csv, summary.csv, best_config.json, SVG plots (default eegnn-search)\n"
            "\n"
            "train options:\n"
            "  --task T[,T...]     only these BIDS tasks\n"
            "  --split U           held-out unit: subject (default), session or run\n"
            "  --model M           cnn (default), EEGNeX, EEGNetv4, ShallowFBCSPNet, Deep4Net, BDTCN,\n"
            "                      EEGConformer, EEGTransformer, BandPowerMLP, MLP (braindecode's names,\n"
            "                      case-insensitive; `eegnn models` lists them)\n"
            "  --epochs N          default 20\n"
            "  --batch-size N      default 64\n"
            "  --lr X              learning rate, default 1e-3\n"
            "  --weight-decay X    default 0.01\n"
            "  --optimizer O       adamw (default), adam, sgd (momentum 0.9) or adamax\n"
            "  --loss L            regression loss: mse (default) or l1\n"
            "  --scheduler S       cosine (default, per step, 1 warmup epoch), step, plateau or none\n"
            "  --warmup N          warmup epochs of the cosine schedule\n"
            "  --step-size N       StepLR: epochs between decays (default epochs/3)\n"
            "  --gamma X           StepLR factor (default 0.1)\n"
            "  --plateau-factor X  ReduceLROnPlateau factor (default 0.1)\n"
            "  --plateau-patience N  ReduceLROnPlateau patience in epochs (default 10)\n"
            "  --patience N        early stopping after N epochs without a lower validation loss\n"
            "                      (the best weights are kept); default: off\n"
            "  --clip X            clip the gradient norm to X\n"
            "  --accumulate K      K micro-batches per optimizer step (gradient accumulation)\n"
            "  --ema D             exponential moving average of the weights with decay D (e.g. 0.999),\n"
            "                      used for validation and the saved weights\n"
            "  --class-weights W   balanced: weighted cross-entropy, n / (n_classes * count)\n"
            "  --head-prefix P     head parameter names (default final_layer)\n"
            "  --head-lr X         learning rate of the head (default: --lr)\n"
            "  --head-weight-decay X  weight decay of the head (default: --weight-decay)\n"
            "  --freeze-backbone-epochs N  train only the head for the first N epochs\n"
            "  --folds K --fold I  group K-fold cross-validation, fold I (0-based) validates, no test set\n"
            "  --resume FILE       continue from DIR/last.safetensors of an earlier run (same options)\n"
            "  --seed N            default 0\n"
            "  --threads N         default: all CPUs\n"
            "  --window S          window length in seconds for participants targets (default 2)\n"
            "  --stride S          window stride in seconds (default: the window length)\n"
            "  --tmin S --tmax S   event-locked window around each event (default 0.5, 2.5)\n"
            "  --crop S            participants targets: crop each window to S seconds (random in training,\n"
            "                      centred for evaluation)\n"
            "  --valid F --test F  share of groups held out (default 0.2 each)\n"
            "  --out DIR           best.safetensors, last.safetensors and metrics.json (default eegnn-out)\n"
            "  --quiet             no per-epoch lines\n"
            "  --gpu               linear layers and attention on the GPU (GPU builds; else the CPU)\n"
            "  --gpu-ops LIST      with --gpu: linear,attention,norm,elementwise,optimizer|all|none\n"
            "                      (default: env EEGNN_GPU_OPS, else all of these)\n"
            "  --profile           per-op calls, time and bytes moved, printed at the end\n"
            "  --max-memory SIZE   memory the recordings may take (e.g. 512M, 1G; K/M/G suffixes, powers of\n"
            "                      1024); larger datasets are streamed: windows are read from the EDF/BDF\n"
            "                      files on demand (default: unlimited, everything in memory)\n"
            "  --steps-per-epoch N at most N training steps per epoch, batches drawn at random from the whole\n"
            "                      training split (default: all of it once)\n"
            "  --eval-windows N    validation, test and final metrics on at most N windows of each split,\n"
            "                      evenly spaced over it (default: all)\n"
            "  --stream            always stream the recordings, whatever their size\n"
            "  --cache DIR         cache the preprocessed windows of streamed data in DIR (one file per\n"
            "                      dataset, written during the first epoch, read afterwards and by later runs);\n"
            "                      required to stream with whole-recording preprocessing (below): the\n"
            "                      recordings are then preprocessed one at a time into the cache at startup\n"
            "  --cache-dtype T     float32 (default, exact) or float16 (half the disk, ~1e-3 relative error)\n"
            "  --no-prefetch       load each training batch in the training thread (no loader thread)\n"
            " preprocessing of each recording (as it is loaded; in this order; see eegnn_dataset_config;\n"
            " streamed data (--stream, --max-memory) need --cache DIR for all but --scale, --standardize):\n"
            "  --picks LIST        channel types (eeg,eog,...) or channel names (C3,Cz,C4) to keep\n"
            "  --channels common   keep the channels every recording has (first recording's order);\n"
            "                      or a list of names: exactly these, in this order\n"
            "  --reference R       average, or channel name(s) A1,A2 (MNE set_eeg_reference)\n"
            "  --l-freq HZ         high-pass edge; with --h-freq a band-pass (Butterworth, zero phase)\n"
            "  --h-freq HZ         low-pass edge\n"
            "  --filter-order N    Butterworth order (default 4)\n"
            "  --notch HZ          line-noise notch at HZ and its harmonics (--notch-width HZ: half width, 1)\n"
            "  --resample HZ       resample every recording to HZ (scipy resample_poly); mixes rates\n"
            "  --scale X           samples times X (default 1e6: volts to microvolts)\n"
            "  --reject UV         drop windows with an eeg peak-to-peak above UV (scaled units); the\n"
            "                      dropped windows are listed in DIR/drop_log.tsv\n"
            "  --flat UV           drop windows with an eeg peak-to-peak below UV\n"
            "  --standardize       z-score each window per channel\n"
            "  --ems               exponential moving standardization of each recording (braindecode;\n"
            "                      --ems-factor F, default 0.001; --ems-init-block N samples)\n"
            " augmentation of training batches (never validation/test; deterministic for --seed):\n"
            "  --augment LIST      e.g. time_shift:0.5,sign_flip:0.5; items name:p[:params]:\n"
            "                      time_shift:p[:max_s] amplitude_scale:p[:low:high] gaussian_noise:p[:std]\n"
            "                      channels_dropout:p[:p_drop] smooth_time_mask:p[:s] sign_flip:p\n",
            EEGNN_VERSION_STRING);
}

static int fail(const char *what) {
    fprintf(stderr, "eegnn: %s%s%s\n", what, *eegnn_last_error() ? ": " : "", eegnn_last_error());
    return 1;
}

static int is_dir(const char *path) {
    FILE *fp = fopen(path, "rb");
    int dir = 0;
    if (fp) {
        /* reading a directory stream fails with EISDIR */
        char c;
        dir = fread(&c, 1, 1, fp) == 0 && ferror(fp);
        fclose(fp);
    }
    return dir;
}

/* Lists the model zoo with trainable-parameter counts at the EEG 2025
 * challenge's input shape (129 channels x 200 samples at 100 Hz, 1 output). */
static int cmd_models(void) {
    int i;
    printf("%-18s %12s   (n_chans=129, n_times=200, n_outputs=1)\n", "model", "parameters");
    for (i = 0; i < eegnn_model_count(); i++) {
        eegnn_graph_config gc;
        eegnn_model_config mc;
        eegnn_graph *g;
        int xs[3] = {1, 129, 200};
        memset(&gc, 0, sizeof gc);
        gc.arena_bytes = (size_t)256 << 20;
        gc.n_threads = 1;
        memset(&mc, 0, sizeof mc);
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

static int cmd_info(int argc, char **argv) {
    if (argc != 1) {
        usage(stderr);
        return 2;
    }
    if (is_dir(argv[0])) {
        eegnn_bids_dataset *ds = eegnn_bids_open(argv[0]);
        if (!ds) return fail("info");
        eegnn_bids_print_summary(ds, stdout);
        eegnn_bids_close(ds);
    } else {
        eegnn_raw *raw = eegnn_read_raw(argv[0], NULL);
        if (!raw) return fail("info");
        eegnn_raw_print_info(raw, stdout);
        eegnn_raw_free(raw);
    }
    return 0;
}

static int cmd_read(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    eegnn_raw *raw;
    int64_t shape[2];
    int i;
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--npy") && i + 1 < argc)
            out = argv[++i];
        else if (!in)
            in = argv[i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!in || !out) {
        usage(stderr);
        return 2;
    }
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

static int parse_num(const char *flag, const char *s, double *out) {
    char *end;
    *out = strtod(s, &end);
    if (end == s || *end) {
        fprintf(stderr, "eegnn: %s expects a number, got '%s'\n", flag, s);
        return 0;
    }
    return 1;
}

static int run_train(eegnn_train_config *cfg, int challenge) {
    eegnn_train_result res;
    if (eegnn_train(cfg, &res)) return fail("train");
    if (challenge)
        printf("challenge %d: nRMSE valid %.4f  test %.4f\n", challenge, res.valid.nrmse, res.test.nrmse);
    printf("best epoch %d of %d (%.1f s)\n", res.best_epoch, cfg->epochs ? cfg->epochs : 20, res.seconds);
    print_metrics("train", &res.train, res.n_classes);
    print_metrics("valid", &res.valid, res.n_classes);
    print_metrics("test", &res.test, res.n_classes);
    printf("wrote %s/best.safetensors, last.safetensors and metrics.json\n", cfg->out_dir ? cfg->out_dir : "eegnn-out");
    return 0;
}

/* A byte count with an optional K, M or G suffix (powers of 1024), e.g.
 * "64M"; 0 and the message printed when bad. */
static int parse_size(const char *a, const char *v, int64_t *out) {
    char *end;
    double x = strtod(v, &end), mul = 1.0;
    if (end != v && *end) {
        char c = (char)(*end >= 'a' && *end <= 'z' ? *end - 'a' + 'A' : *end);
        if (c == 'K') mul = 1024.0;
        else if (c == 'M') mul = 1048576.0;
        else if (c == 'G') mul = 1073741824.0;
        else end = (char *)v;
        if (end != v) {
            end++;
            if (*end == 'B' || *end == 'b') end++;
        }
    }
    if (end == v || *end || !(x > 0) || x * mul > 9.0e18) {
        fprintf(stderr, "eegnn: %s: '%s' is not a size in bytes (e.g. 1G, 512M, 65536)\n", a, v);
        return 0;
    }
    *out = (int64_t)(x * mul);
    return 1;
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

/* One `eegnn train` option with its value: 1 when taken, 0 when unknown,
 * -1 when the value is bad (message printed). */
static int parse_train_option(eegnn_train_config *cfg, const char *a, const char *v) {
    double x;
    if (!strcmp(a, "--bids")) cfg->bids_root = v;
    else if (!strcmp(a, "--target")) cfg->target = v;
    else if (!strcmp(a, "--task")) cfg->task = v;
    else if (!strcmp(a, "--split")) cfg->split = v;
    else if (!strcmp(a, "--model")) cfg->model = v;
    else if (!strcmp(a, "--out")) cfg->out_dir = v;
    else if (!strcmp(a, "--optimizer")) cfg->optimizer = v;
    else if (!strcmp(a, "--loss")) cfg->loss = v;
    else if (!strcmp(a, "--scheduler")) cfg->scheduler = v;
    else if (!strcmp(a, "--class-weights")) cfg->class_weights = v;
    else if (!strcmp(a, "--head-prefix")) cfg->head_prefix = v;
    else if (!strcmp(a, "--resume")) cfg->resume = v;
    else if (!strcmp(a, "--cache")) cfg->cache_dir = v;
    else if (!strcmp(a, "--picks")) {
        if (all_channel_types(v)) cfg->preprocess.pick_types = v;
        else cfg->preprocess.channels = v;
    } else if (!strcmp(a, "--channels")) cfg->preprocess.channels = v;
    else if (!strcmp(a, "--reference")) cfg->preprocess.reference = v;
    else if (!strcmp(a, "--augment")) cfg->augment = v;
    else if (!strcmp(a, "--cache-dtype")) {
        if (strcmp(v, "float32") && strcmp(v, "float16")) {
            fprintf(stderr, "eegnn: --cache-dtype: '%s' is not float32 or float16\n", v);
            return -1;
        }
        cfg->cache_dtype = v;
    } else if (!strcmp(a, "--max-memory")) {
        if (!parse_size(a, v, &cfg->max_memory)) return -1;
    } else if (!parse_num(a, v, &x)) return -1;
    else if (!strcmp(a, "--l-freq")) cfg->preprocess.l_freq = x;
    else if (!strcmp(a, "--h-freq")) cfg->preprocess.h_freq = x;
    else if (!strcmp(a, "--filter-order")) cfg->preprocess.filter_order = (int)x;
    else if (!strcmp(a, "--notch")) cfg->preprocess.notch_freq = x;
    else if (!strcmp(a, "--notch-width")) cfg->preprocess.notch_width = x;
    else if (!strcmp(a, "--resample")) cfg->preprocess.sfreq = x;
    else if (!strcmp(a, "--scale")) cfg->preprocess.scale = x;
    else if (!strcmp(a, "--reject")) cfg->preprocess.reject = x;
    else if (!strcmp(a, "--flat")) cfg->preprocess.flat = x;
    else if (!strcmp(a, "--ems-factor")) cfg->preprocess.ems_factor_new = x;
    else if (!strcmp(a, "--ems-init-block")) cfg->preprocess.ems_init_block_size = (int64_t)x;
    else if (!strcmp(a, "--warmup")) cfg->warmup_epochs = (int)x;
    else if (!strcmp(a, "--step-size")) cfg->step_size = (int)x;
    else if (!strcmp(a, "--gamma")) cfg->gamma = (float)x;
    else if (!strcmp(a, "--plateau-factor")) cfg->plateau_factor = (float)x;
    else if (!strcmp(a, "--plateau-patience")) cfg->plateau_patience = x == 0 ? -1 : (int)x;
    else if (!strcmp(a, "--patience")) cfg->patience = (int)x;
    else if (!strcmp(a, "--clip")) cfg->clip_grad_norm = (float)x;
    else if (!strcmp(a, "--accumulate")) cfg->accumulate = (int)x;
    else if (!strcmp(a, "--ema")) cfg->ema_decay = (float)x;
    else if (!strcmp(a, "--head-lr")) cfg->head_lr = (float)x;
    else if (!strcmp(a, "--head-weight-decay")) cfg->head_weight_decay = x == 0 ? -1.0f : (float)x;
    else if (!strcmp(a, "--freeze-backbone-epochs")) cfg->freeze_backbone_epochs = (int)x;
    else if (!strcmp(a, "--folds")) cfg->n_folds = (int)x;
    else if (!strcmp(a, "--fold")) cfg->fold = (int)x;
    else if (!strcmp(a, "--epochs")) cfg->epochs = (int)x;
    else if (!strcmp(a, "--steps-per-epoch")) cfg->steps_per_epoch = (int)x;
    else if (!strcmp(a, "--eval-windows")) cfg->eval_windows = (int)x;
    else if (!strcmp(a, "--batch-size")) cfg->batch_size = (int)x;
    else if (!strcmp(a, "--lr")) cfg->lr = (float)x;
    else if (!strcmp(a, "--weight-decay")) cfg->weight_decay = x == 0 ? -1.0f : (float)x;
    else if (!strcmp(a, "--seed")) cfg->seed = (uint64_t)x;
    else if (!strcmp(a, "--threads")) cfg->n_threads = (int)x;
    else if (!strcmp(a, "--window")) cfg->window_seconds = x;
    else if (!strcmp(a, "--stride")) cfg->stride_seconds = x;
    else if (!strcmp(a, "--tmin")) cfg->tmin = x;
    else if (!strcmp(a, "--tmax")) cfg->tmax = x;
    else if (!strcmp(a, "--crop")) cfg->crop_seconds = x;
    else if (!strcmp(a, "--valid")) cfg->valid_fraction = x;
    else if (!strcmp(a, "--test")) cfg->test_fraction = x == 0 ? -1.0 : x;
    else return 0;
    return 1;
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

static int cmd_train(int argc, char **argv) {
    eegnn_train_config cfg;
    eegnn_gpu_config gpu;
    int i, use_gpu = 0, challenge = 0;

    memset(&cfg, 0, sizeof cfg);
    memset(&gpu, 0, sizeof gpu);
    cfg.progress = isatty(1);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r;
        if (!strcmp(a, "--quiet")) {
            cfg.quiet = 1;
            continue;
        }
        if (!strcmp(a, "--gpu") || !strcmp(a, "--profile")) {
            if (a[2] == 'g') use_gpu = 1;
            else gpu.profile = 1;
            continue;
        }
        if (!strcmp(a, "--gpu-ops") && v) {
            if (eegnn_gpu_parse_ops(v, &gpu.ops)) {
                fprintf(stderr, "eegnn: %s\n", eegnn_last_error());
                return 2;
            }
            if (!gpu.ops) gpu.ops = -1;
            use_gpu = 1;
            i++;
            continue;
        }
        if (!strcmp(a, "--stream")) {
            cfg.stream = 1;
            continue;
        }
        if (!strcmp(a, "--no-prefetch")) {
            cfg.prefetch = -1;
            continue;
        }
        if (!strcmp(a, "--standardize") || !strcmp(a, "--ems")) {
            if (cfg.preprocess.standardize) {
                fprintf(stderr, "eegnn: --standardize and --ems exclude each other\n");
                return 2;
            }
            cfg.preprocess.standardize = a[2] == 's' ? "window" : "ems";
            continue;
        }
        if (!v) {
            fprintf(stderr, "eegnn: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--challenge")) {
            if (strcmp(v, "1") && strcmp(v, "2")) {
                fprintf(stderr, "eegnn: --challenge expects 1 or 2, got '%s'\n", v);
                return 2;
            }
            challenge = atoi(v);
            continue;
        }
        r = parse_train_option(&cfg, a, v);
        if (r < 0) return 2;
        if (r == 0) {
            fprintf(stderr, "eegnn: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (challenge) challenge_defaults(&cfg, challenge);
    if (!cfg.bids_root || !cfg.target) {
        fprintf(stderr, "eegnn train: --bids and --target (or --challenge) are required\n");
        usage(stderr);
        return 2;
    }
    if (use_gpu || gpu.profile) {
        if (!use_gpu) gpu.ops = -1; /* --profile alone: time the CPU path */
        cfg.on_graph = eegnn_gpu_train_on_graph;
        cfg.on_graph_free = eegnn_gpu_train_on_graph_free;
        cfg.on_graph_user = &gpu;
    }
    return run_train(&cfg, challenge);
}

#define MAX_LIST 32

/* Splits "a,b,c" into numbers; returns the count or -1 (message printed). */
static int parse_list(const char *flag, const char *v, float *out) {
    int n = 0;
    char buf[64];
    while (*v) {
        size_t len = strcspn(v, ",");
        double x;
        if (n == MAX_LIST || len >= sizeof buf) {
            fprintf(stderr, "eegnn: %s: too many or too long values\n", flag);
            return -1;
        }
        memcpy(buf, v, len);
        buf[len] = '\0';
        if (!parse_num(flag, buf, &x)) return -1;
        out[n++] = (float)x;
        v += len;
        if (*v == ',') v++;
    }
    return n;
}

static int cmd_search(int argc, char **argv) {
    eegnn_search_config sc;
    eegnn_search_result res;
    static char model_buf[1024];
    static const char *models[MAX_LIST];
    static float lrs[MAX_LIST], wds[MAX_LIST], drops[MAX_LIST], bsf[MAX_LIST];
    static int bss[MAX_LIST];
    int i, k;
    memset(&sc, 0, sizeof sc);
    memset(&res, 0, sizeof res);
    sc.base.out_dir = "eegnn-search";
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = 1;
        double x;
        if (!strcmp(a, "--quiet")) {
            sc.base.quiet = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "eegnn: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--models")) {
            char *p;
            snprintf(model_buf, sizeof model_buf, "%s", v);
            sc.n_models = 0;
            for (p = strtok(model_buf, ","); p && sc.n_models < MAX_LIST; p = strtok(NULL, ",")) models[sc.n_models++] = p;
            sc.models = models;
        } else if (!strcmp(a, "--lr")) {
            r = sc.n_lrs = parse_list(a, v, lrs);
            sc.lrs = lrs;
        } else if (!strcmp(a, "--lr-range")) {
            if (sscanf(v, "%f:%f", &sc.lr_min, &sc.lr_max) != 2) r = -1;
        } else if (!strcmp(a, "--batch-size")) {
            r = sc.n_batch_sizes = parse_list(a, v, bsf);
            for (k = 0; k < sc.n_batch_sizes; k++) bss[k] = (int)bsf[k];
            sc.batch_sizes = bss;
        } else if (!strcmp(a, "--weight-decay")) {
            r = sc.n_weight_decays = parse_list(a, v, wds);
            for (k = 0; k < sc.n_weight_decays; k++)
                if (wds[k] == 0) wds[k] = -1.0f; /* 0 on the command line means none */
            sc.weight_decays = wds;
        } else if (!strcmp(a, "--dropout")) {
            r = sc.n_drop_probs = parse_list(a, v, drops);
            sc.drop_probs = drops;
        } else if (!strcmp(a, "--metric")) {
            sc.metric = v;
        } else if (!strcmp(a, "--trials") || !strcmp(a, "--workers")) {
            if (!parse_num(a, v, &x)) return 2;
            if (!strcmp(a, "--trials")) sc.n_trials = (int)x;
            else sc.n_workers = (int)x;
        } else {
            r = parse_train_option(&sc.base, a, v);
            if (r == 0) {
                fprintf(stderr, "eegnn: unknown option %s\n", a);
                usage(stderr);
                return 2;
            }
        }
        if (r < 0) {
            if (r == -1 && !strcmp(a, "--lr-range")) fprintf(stderr, "eegnn: --lr-range expects MIN:MAX\n");
            return 2;
        }
    }
    if (!sc.base.bids_root || !sc.base.target) {
        fprintf(stderr, "eegnn search: --bids and --target are required\n");
        usage(stderr);
        return 2;
    }
    if (eegnn_search(&sc, &res)) return fail("search");
    eegnn_search_result_free(&res);
    printf("results in %s (results.csv, summary.csv, best_config.json, search_results.svg)\n", sc.base.out_dir);
    return 0;
}

static int cmd_plot(int argc, char **argv) {
    if (argc != 2) {
        usage(stderr);
        return 2;
    }
    if (eegnn_plot_metrics_json(argv[0], argv[1], NULL)) return fail("plot");
    printf("wrote %s\n", argv[1]);
    return 0;
}

static int cmd_predict(int argc, char **argv) {
    const char *model = NULL, *bids = NULL, *out = "preds.csv";
    int i, n_threads = 0, n = 0;
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--bids") && i + 1 < argc) bids = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) n_threads = atoi(argv[++i]);
        else if (!model && argv[i][0] != '-') model = argv[i];
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!model || !bids) {
        fprintf(stderr, "eegnn predict: MODEL and --bids are required\n");
        usage(stderr);
        return 2;
    }
    if (eegnn_predict(model, bids, out, n_threads, &n)) return fail("predict");
    printf("%d predictions -> %s\n", n, out);
    return 0;
}

static int cmd_demo(int argc, char **argv) {
    const char *dir = argc > 0 ? argv[0] : "eegnn-demo";
    char data_dir[4096], out_dir[4096];
    eegnn_synthetic_config syn;
    eegnn_train_config cfg;
    double t0 = eegnn_time_seconds();
    memset(&syn, 0, sizeof syn);
    snprintf(data_dir, sizeof data_dir, "%s/bids", dir);
    snprintf(out_dir, sizeof out_dir, "%s/run", dir);
    printf("writing a synthetic BIDS dataset (40 subjects, 20 channels, 128 Hz, 60 s each) to %s\n", data_dir);
    if (eegnn_write_synthetic_bids(data_dir, &syn)) return fail("demo");
    printf("written in %.1f s; training an age regressor (target participants:age, held-out subjects)\n",
           eegnn_time_seconds() - t0);
    memset(&cfg, 0, sizeof cfg);
    cfg.bids_root = data_dir;
    cfg.target = "participants:age";
    cfg.split = "subject";
    cfg.model = "cnn";
    cfg.epochs = 15;
    cfg.lr = 3e-3f;
    cfg.out_dir = out_dir;
    cfg.progress = isatty(1);
    return run_train(&cfg, 0);
}

/* eegnn synth DIR [--subjects N] [--channels C] [--sfreq HZ] [--duration S] [--seed N]:
 * only writes the synthetic BIDS dataset (for benchmarks and experiments). */
static int cmd_synth(int argc, char **argv) {
    eegnn_synthetic_config syn;
    eegnn_synthetic_hbn_config hbn;
    const char *dir = NULL;
    int i;
    memset(&syn, 0, sizeof syn);
    memset(&hbn, 0, sizeof hbn);
    for (i = 0; i < argc; i++) {
        double x;
        if (argv[i][0] != '-') {
            if (dir) break;
            dir = argv[i];
            continue;
        }
        if (!strcmp(argv[i], "--hbn") && i + 1 < argc) {
            hbn.participants_tsv = argv[++i];
            continue;
        }
        if (i + 1 >= argc || !parse_num(argv[i], argv[i + 1], &x)) break;
        if (!strcmp(argv[i], "--runs")) hbn.ccd_runs = (int)x;
        else if (!strcmp(argv[i], "--trials")) hbn.trials_per_run = (int)x;
        else if (!strcmp(argv[i], "--rest")) hbn.rest_seconds = x;
        else if (!strcmp(argv[i], "--subjects")) syn.n_subjects = hbn.n_subjects = (int)x;
        else if (!strcmp(argv[i], "--seed")) syn.seed = hbn.seed = (uint64_t)x;
        else if (!strcmp(argv[i], "--channels")) syn.n_channels = (int)x;
        else if (!strcmp(argv[i], "--sfreq")) syn.sfreq = x;
        else if (!strcmp(argv[i], "--duration")) syn.duration = x;
        else break;
        i++;
    }
    if (i < argc || !dir) {
        usage(stderr);
        return 2;
    }
    if (hbn.participants_tsv) {
        if (eegnn_write_synthetic_hbn(dir, &hbn)) return fail("synth");
        printf("wrote an HBN-like BIDS dataset to %s\n", dir);
        return 0;
    }
    if (eegnn_write_synthetic_bids(dir, &syn)) return fail("synth");
    printf("wrote a synthetic BIDS dataset to %s\n", dir);
    return 0;
}

/* Test-split nRMSE of a metrics.json written by `eegnn train`; NaN when absent. */
static double metrics_test_nrmse(const char *path) {
    eegnn_json *doc = eegnn_json_read(path);
    double v = NAN;
    if (!doc) return NAN;
    if (eegnn_json_get_number(eegnn_json_get(doc, "test"), "nrmse", &v)) v = NAN;
    eegnn_json_free(doc);
    return v;
}

/* eegnn export-submission CHECKPOINT_C1 CHECKPOINT_C2 --out DIR */
static int cmd_export_submission(int argc, char **argv) {
    const char *c1 = NULL, *c2 = NULL, *out = NULL;
    int i;
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (argv[i][0] != '-' && !c1) c1 = argv[i];
        else if (argv[i][0] != '-' && !c2) c2 = argv[i];
        else break;
    }
    if (i < argc || !c1 || !c2 || !out) {
        usage(stderr);
        return 2;
    }
    if (eegnn_export_submission(c1, c2, out)) return fail("export-submission");
    printf("wrote %s/submission.py, weights_challenge_1.safetensors and weights_challenge_2.safetensors\n", out);
    return 0;
}

/* eegnn score C1_METRICS.json C2_METRICS.json */
static int cmd_score(int argc, char **argv) {
    double c1, c2;
    if (argc != 2) {
        usage(stderr);
        return 2;
    }
    c1 = metrics_test_nrmse(argv[0]);
    c2 = metrics_test_nrmse(argv[1]);
    if (c1 != c1 || c2 != c2) {
        fprintf(stderr, "eegnn score: no test nRMSE in %s\n", c1 != c1 ? argv[0] : argv[1]);
        return 1;
    }
    printf("challenge 1 nRMSE %.4f\nchallenge 2 nRMSE %.4f\nscore (0.3 x C1 + 0.7 x C2) %.4f\n", c1, c2,
           eegnn_challenge_score(c1, c2));
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("eegnn %s\n", EEGNN_VERSION_STRING);
        return 0;
    }
    if (!strcmp(argv[1], "info")) return cmd_info(argc - 2, argv + 2);
    if (!strcmp(argv[1], "models")) return cmd_models();
    if (!strcmp(argv[1], "read")) return cmd_read(argc - 2, argv + 2);
    if (!strcmp(argv[1], "train")) return cmd_train(argc - 2, argv + 2);
    if (!strcmp(argv[1], "predict")) return cmd_predict(argc - 2, argv + 2);
    if (!strcmp(argv[1], "demo")) return cmd_demo(argc - 2, argv + 2);
    if (!strcmp(argv[1], "synth")) return cmd_synth(argc - 2, argv + 2);
    if (!strcmp(argv[1], "search")) return cmd_search(argc - 2, argv + 2);
    if (!strcmp(argv[1], "plot")) return cmd_plot(argc - 2, argv + 2);
    if (!strcmp(argv[1], "score")) return cmd_score(argc - 2, argv + 2);
    if (!strcmp(argv[1], "export-submission")) return cmd_export_submission(argc - 2, argv + 2);
    fprintf(stderr, "eegnn: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
