/* eegnn: the command-line program.
 *
 *   cc -O2 -o eegnn examples/eegnn.c -lm -lpthread
 *   ./eegnn demo                      synthetic BIDS dataset + age regression, end to end
 *   ./eegnn info PATH                 a recording or a BIDS root
 *   ./eegnn read FILE --npy OUT.npy   samples as float32 (n_channels, n_times), MNE's units
 *   ./eegnn train --bids DIR --target participants:age|events:A,B [options]
 *
 * Add -DEEGNN_USE_OPENBLAS ... -lopenblas to use OpenBLAS for matrix products.
 */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"

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
            "  eegnn info PATH                  describe a recording (.edf/.bdf) or a BIDS dataset\n"
            "  eegnn read FILE --npy OUT.npy    write the samples as float32 (n_channels, n_times)\n"
            "  eegnn train --bids DIR --target participants:COLUMN | events:A,B[,...] [options]\n"
            "\n"
            "train options:\n"
            "  --task T[,T...]     only these BIDS tasks\n"
            "  --split U           held-out unit: subject (default), session or run\n"
            "  --model M           cnn (default), shallow or mlp\n"
            "  --epochs N          default 20\n"
            "  --batch-size N      default 64\n"
            "  --lr X              AdamW learning rate, default 1e-3\n"
            "  --weight-decay X    default 0.01\n"
            "  --seed N            default 0\n"
            "  --threads N         default: all CPUs\n"
            "  --window S          window length in seconds for participants targets (default 2)\n"
            "  --stride S          window stride in seconds (default: the window length)\n"
            "  --tmin S --tmax S   event-locked window around each event (default 0.5, 2.5)\n"
            "  --valid F --test F  share of groups held out (default 0.2 each)\n"
            "  --out DIR           checkpoint and metrics.json (default eegnn-out)\n"
            "  --quiet             no per-epoch lines\n",
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

static int run_train(eegnn_train_config *cfg) {
    eegnn_train_result res;
    if (eegnn_train(cfg, &res)) return fail("train");
    printf("best epoch %d of %d (%.1f s)\n", res.best_epoch, cfg->epochs ? cfg->epochs : 20, res.seconds);
    print_metrics("train", &res.train, res.n_classes);
    print_metrics("valid", &res.valid, res.n_classes);
    print_metrics("test", &res.test, res.n_classes);
    printf("wrote %s/best.safetensors and %s/metrics.json\n", cfg->out_dir ? cfg->out_dir : "eegnn-out",
           cfg->out_dir ? cfg->out_dir : "eegnn-out");
    return 0;
}

static int cmd_train(int argc, char **argv) {
    eegnn_train_config cfg;
    int i;
    memset(&cfg, 0, sizeof cfg);
    cfg.progress = isatty(1);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x;
        if (!strcmp(a, "--quiet")) {
            cfg.quiet = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "eegnn: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--bids")) cfg.bids_root = v;
        else if (!strcmp(a, "--target")) cfg.target = v;
        else if (!strcmp(a, "--task")) cfg.task = v;
        else if (!strcmp(a, "--split")) cfg.split = v;
        else if (!strcmp(a, "--model")) cfg.model = v;
        else if (!strcmp(a, "--out")) cfg.out_dir = v;
        else if (!parse_num(a, v, &x)) return 2;
        else if (!strcmp(a, "--epochs")) cfg.epochs = (int)x;
        else if (!strcmp(a, "--batch-size")) cfg.batch_size = (int)x;
        else if (!strcmp(a, "--lr")) cfg.lr = (float)x;
        else if (!strcmp(a, "--weight-decay")) cfg.weight_decay = x == 0 ? -1.0f : (float)x;
        else if (!strcmp(a, "--seed")) cfg.seed = (uint64_t)x;
        else if (!strcmp(a, "--threads")) cfg.n_threads = (int)x;
        else if (!strcmp(a, "--window")) cfg.window_seconds = x;
        else if (!strcmp(a, "--stride")) cfg.stride_seconds = x;
        else if (!strcmp(a, "--tmin")) cfg.tmin = x;
        else if (!strcmp(a, "--tmax")) cfg.tmax = x;
        else if (!strcmp(a, "--valid")) cfg.valid_fraction = x;
        else if (!strcmp(a, "--test")) cfg.test_fraction = x == 0 ? -1.0 : x;
        else {
            fprintf(stderr, "eegnn: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!cfg.bids_root || !cfg.target) {
        fprintf(stderr, "eegnn train: --bids and --target are required\n");
        usage(stderr);
        return 2;
    }
    return run_train(&cfg);
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
    return run_train(&cfg);
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
    if (!strcmp(argv[1], "read")) return cmd_read(argc - 2, argv + 2);
    if (!strcmp(argv[1], "train")) return cmd_train(argc - 2, argv + 2);
    if (!strcmp(argv[1], "demo")) return cmd_demo(argc - 2, argv + 2);
    fprintf(stderr, "eegnn: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
