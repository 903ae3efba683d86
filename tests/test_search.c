/* Hyperparameter search (examples/search.c, the program's search driver): a grid of 2 models x 2
 * learning rates with 3-fold group cross-validation on a synthetic BIDS
 * dataset. Checks the result tables against the runs (results.csv rows, the
 * mean / std / ranking recomputed here from the CSV text), that the folds
 * partition the subjects (through the window split functions of
 * src/data/windows.h), that 1 and 2 workers give the same numbers, a random
 * search with a log-uniform learning rate, and that the SVG files are
 * well-formed XML. */
#define EEGNN_IMPLEMENTATION
#include "../eegnn.h"
#include "../examples/search.c"
#include "test.h"
#include "xml_check.h"

#define N_SUBJECTS 12
#define N_FOLDS 3

static char *slurp(const char *path) {
    char *text = NULL;
    size_t len = 0;
    if (eegnn__read_file(path, &text, &len)) return NULL;
    return text;
}

static int count_lines(const char *text) {
    int n = 0;
    for (; *text; text++) n += *text == '\n';
    return n;
}

/* Splits a CSV line (no quoted fields) in place; returns the field count. */
static int split_csv(char *line, char **fields, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        p = strchr(p, ',');
        if (!p) break;
        *p++ = '\0';
    }
    return n;
}

static int column(char **header, int n, const char *name) {
    int i;
    for (i = 0; i < n; i++)
        if (!strcmp(header[i], name)) return i;
    return -1;
}

static void check_svg(const char *path) {
    char *text = slurp(path), err[256];
    CHECK(text != NULL, "%s: not written", path);
    if (!text) return;
    CHECK(xml_check(text, err, sizeof err), "%s: not well-formed XML: %s", path, err);
    CHECK(strstr(text, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL, "%s: no svg root", path);
    free(text);
}

/* Runs the grid search into out_dir with n_workers workers. */
static eegnn_status run_grid(const char *bids, const char *out_dir, int n_workers, eegnn_search_result *res) {
    static const char *const models[2] = {"mlp", "shallow"};
    static const float lrs[2] = {1e-3f, 3e-3f};
    eegnn_search_config sc;
    memset(&sc, 0, sizeof sc);
    sc.base = eegnn_train_config_default();
    sc.base.bids_root = bids;
    sc.base.target = "participants:sex";
    sc.base.epochs = 2;
    sc.base.batch_size = 16;
    sc.base.seed = 7;
    sc.base.n_folds = N_FOLDS;
    sc.base.out_dir = out_dir;
    sc.base.quiet = n_workers == 1; /* one run prints its progress and the table */
    sc.models = models;
    sc.n_models = 2;
    sc.lrs = lrs;
    sc.n_lrs = 2;
    sc.n_workers = n_workers;
    return eegnn_search(&sc, res);
}

static void test_grid(const char *bids) {
    eegnn_search_result r2, r1;
    eegnn_status st;
    char path[1024], *text, *line, *save = NULL, *header[64], *fields[64];
    int n_cols = 0, rows = 0, seen[4][N_FOLDS], t, k, i;
    int c_trial, c_fold, c_model, c_lr, c_status, c_bacc, c_ntrain, c_nvalid;
    double csv_metric[4][N_FOLDS];
    double t0 = eegnn_time_seconds();

    st = run_grid(bids, test_out_path("search/grid2"), 2, &r2);
    CHECK(st == EEGNN_OK, "grid search (2 workers): %s", eegnn_last_error());
    if (st) return;
    printf("grid search, 2 workers: %d runs in %.1f s\n", r2.n_trials * r2.n_folds, eegnn_time_seconds() - t0);
    CHECK(r2.n_trials == 4 && r2.n_folds == N_FOLDS, "%d trials, %d folds", r2.n_trials, r2.n_folds);
    CHECK(r2.n_failed == 0, "%d runs failed", r2.n_failed);
    CHECK(!strcmp(r2.metric, "balanced_accuracy") && r2.higher_is_better && r2.n_classes == 2,
          "metric %s, n_classes %d", r2.metric, r2.n_classes);
    /* the grid: every (model, lr) pair once */
    memset(seen, 0, sizeof seen);
    for (t = 0; t < r2.n_trials; t++) {
        int m = !strcmp(r2.trials[t].model, "mlp") ? 0 : !strcmp(r2.trials[t].model, "shallow") ? 1 : -1;
        int l = r2.trials[t].lr == 1e-3f ? 0 : r2.trials[t].lr == 3e-3f ? 1 : -1;
        CHECK(m >= 0 && l >= 0, "trial %d: %s lr %g", t, r2.trials[t].model, (double)r2.trials[t].lr);
        if (m >= 0 && l >= 0) seen[m * 2 + l][0]++;
    }
    for (i = 0; i < 4; i++) CHECK(seen[i][0] == 1, "grid point %d seen %d times", i, seen[i][0]);

    /* results.csv: a header and one row per trial x fold, matching the runs */
    snprintf(path, sizeof path, "%s", test_out_path("search/grid2/results.csv"));
    text = slurp(path);
    CHECK(text != NULL, "no %s", path);
    if (!text) goto done;
    memset(seen, 0, sizeof seen);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!n_cols) {
            n_cols = split_csv(line, header, 64);
            continue;
        }
        CHECK(split_csv(line, fields, 64) == n_cols, "results.csv row %d has a different column count", rows + 1);
        rows++;
        c_trial = column(header, n_cols, "trial");
        c_fold = column(header, n_cols, "fold");
        c_model = column(header, n_cols, "model");
        c_lr = column(header, n_cols, "lr");
        c_status = column(header, n_cols, "status");
        c_bacc = column(header, n_cols, "valid_balanced_accuracy");
        c_ntrain = column(header, n_cols, "n_train_windows");
        c_nvalid = column(header, n_cols, "n_valid_windows");
        if (c_trial < 0 || c_fold < 0 || c_model < 0 || c_lr < 0 || c_status < 0 || c_bacc < 0 || c_ntrain < 0 ||
            c_nvalid < 0) {
            CHECK(0, "results.csv lacks a column");
            break;
        }
        t = atoi(fields[c_trial]);
        k = atoi(fields[c_fold]);
        if (t < 0 || t >= 4 || k < 0 || k >= N_FOLDS) {
            CHECK(0, "results.csv: trial %d fold %d out of range", t, k);
            continue;
        }
        seen[t][k]++;
        CHECK(!strcmp(fields[c_model], r2.trials[t].model), "row %d model %s", rows, fields[c_model]);
        CHECK(fabs(atof(fields[c_lr]) - r2.trials[t].lr) < 1e-9, "row %d lr %s", rows, fields[c_lr]);
        CHECK(!strcmp(fields[c_status], "ok"), "row %d status %s", rows, fields[c_status]);
        csv_metric[t][k] = atof(fields[c_bacc]);
        CHECK(atoi(fields[c_nvalid]) == r2.trials[t].folds[k].valid.n_windows &&
                  atoi(fields[c_ntrain]) == r2.trials[t].folds[k].train.n_windows,
              "row %d window counts", rows);
    }
    free(text);
    CHECK(rows == 4 * N_FOLDS, "results.csv has %d rows, want %d", rows, 4 * N_FOLDS);
    for (t = 0; t < 4; t++)
        for (k = 0; k < N_FOLDS; k++) CHECK(seen[t][k] == 1, "trial %d fold %d in %d rows", t, k, seen[t][k]);

    /* mean and std (ddof 0) per configuration and the ranking, from the CSV numbers */
    {
        double mean[4], sd[4];
        int order[4];
        for (t = 0; t < 4; t++) {
            double s = 0, q = 0;
            for (k = 0; k < N_FOLDS; k++) s += csv_metric[t][k];
            mean[t] = s / N_FOLDS;
            for (k = 0; k < N_FOLDS; k++) q += (csv_metric[t][k] - mean[t]) * (csv_metric[t][k] - mean[t]);
            sd[t] = sqrt(q / N_FOLDS);
            CHECK(fabs(mean[t] - r2.trials[t].mean) < 1e-7, "trial %d mean %.9g vs CSV %.9g", t, r2.trials[t].mean,
                  mean[t]);
            CHECK(fabs(sd[t] - r2.trials[t].std) < 1e-7, "trial %d std %.9g vs CSV %.9g", t, r2.trials[t].std, sd[t]);
            order[t] = t;
        }
        for (i = 0; i < 4; i++) { /* selection sort: highest mean first, ties by trial index */
            int j, b = i;
            for (j = i + 1; j < 4; j++)
                if (mean[order[j]] > mean[order[b]] + 1e-12 ||
                    (fabs(mean[order[j]] - mean[order[b]]) <= 1e-12 && order[j] < order[b]))
                    b = j;
            j = order[i];
            order[i] = order[b];
            order[b] = j;
        }
        for (i = 0; i < 4; i++) {
            CHECK(r2.ranking[i] == order[i], "rank %d: trial %d, CSV says %d", i + 1, r2.ranking[i], order[i]);
            CHECK(r2.trials[r2.ranking[i]].rank == i + 1, "trial %d rank %d", r2.ranking[i], r2.trials[r2.ranking[i]].rank);
        }
        CHECK(r2.best == order[0], "best %d", r2.best);
    }

    /* summary.csv ranked like the result; best_config.json names the best */
    text = slurp(test_out_path("search/grid2/summary.csv"));
    CHECK(text != NULL, "no summary.csv");
    if (text) {
        save = NULL;
        line = strtok_r(text, "\n", &save);
        n_cols = line ? split_csv(line, header, 64) : 0;
        CHECK(n_cols == 9 + N_FOLDS && column(header, n_cols, "mean_valid_balanced_accuracy") == 7 &&
                  column(header, n_cols, "split2_valid_balanced_accuracy") == 11,
              "summary.csv header (%d columns)", n_cols);
        for (i = 0; i < 4; i++) {
            line = strtok_r(NULL, "\n", &save);
            if (!line) break;
            split_csv(line, fields, 64);
            CHECK(atoi(fields[0]) == i + 1 && atoi(fields[1]) == r2.ranking[i], "summary.csv row %d", i + 1);
            CHECK(fabs(atof(fields[7]) - r2.trials[r2.ranking[i]].mean) < 1e-7, "summary.csv row %d mean", i + 1);
        }
        CHECK(i == 4 && strtok_r(NULL, "\n", &save) == NULL, "summary.csv has %d rows", i);
        free(text);
    }
    {
        eegnn_json *doc = eegnn_json_read(test_out_path("search/grid2/best_config.json"));
        double lr = 0, nf = 0;
        const char *model = doc ? eegnn_json_get_string(doc, "model") : NULL;
        CHECK(doc != NULL, "best_config.json: %s", eegnn_last_error());
        CHECK(model && !strcmp(model, r2.trials[r2.best].model), "best_config.json model %s", model ? model : "-");
        CHECK(doc && !eegnn_json_get_number(doc, "lr", &lr) && fabs(lr - r2.trials[r2.best].lr) < 1e-9,
              "best_config.json lr %g", lr);
        CHECK(doc && !eegnn_json_get_number(doc, "n_folds", &nf) && nf == N_FOLDS, "best_config.json n_folds");
        eegnn_json_free(doc);
    }

    /* the folds of the runs partition the subjects: rebuild the dataset and
     * the fold assignment, compare window counts with the runs, and check
     * that no subject is on both sides of a fold */
    {
        eegnn_bids_dataset *b = eegnn_bids_open(bids);
        eegnn_dataset_config dc;
        eegnn_dataset *ds;
        int n_groups, n_windows, *assign, *idx[2], valid_times[N_SUBJECTS + 1], class_count[(N_SUBJECTS + 1) * 4], n_classes;
        memset(&dc, 0, sizeof dc);
        dc.target = "participants:sex";
        ds = b ? eegnn_dataset_from_bids(b, &dc) : NULL;
        CHECK(ds != NULL, "dataset: %s", eegnn_last_error());
        if (!ds) {
            eegnn_bids_close(b);
            goto done;
        }
        n_groups = eegnn_dataset_n_groups(ds);
        n_windows = eegnn_dataset_n_windows(ds);
        CHECK(n_groups == N_SUBJECTS, "%d groups", n_groups);
        assign = (int *)calloc((size_t)n_groups, sizeof(int));
        idx[0] = (int *)calloc((size_t)n_windows, sizeof(int));
        idx[1] = (int *)calloc((size_t)n_windows, sizeof(int));
        memset(valid_times, 0, sizeof valid_times);
        /* a classification: the folds are stratified by the class counts of the groups */
        n_classes = eegnn_dataset_n_classes(ds);
        CHECK(n_classes == 2, "%d classes", n_classes);
        memset(class_count, 0, sizeof class_count);
        for (i = 0; i < n_windows && n_classes <= 4; i++)
            class_count[eegnn_dataset_group(ds, i) * n_classes + (int)eegnn_dataset_target(ds, i)]++;
        for (k = 0; k < N_FOLDS; k++) {
            int n0, n1, a, c, shared = 0;
            CHECK(eegnn_kfold_groups(n_groups, n_classes, class_count, N_FOLDS, k, 7, assign) == EEGNN_OK,
                  "fold split %d", k);
            for (i = 0; i < n_groups && n_groups <= N_SUBJECTS; i++) valid_times[i] += assign[i] == 1;
            n0 = eegnn_dataset_split_indices(ds, assign, 0, idx[0]);
            n1 = eegnn_dataset_split_indices(ds, assign, 1, idx[1]);
            CHECK(n0 + n1 == n_windows && n1 > 0, "fold %d: %d + %d windows of %d", k, n0, n1, n_windows);
            for (t = 0; t < 4; t++)
                CHECK(r2.trials[t].folds[k].train.n_windows == n0 && r2.trials[t].folds[k].valid.n_windows == n1,
                      "trial %d fold %d: run had %d/%d windows, split gives %d/%d", t, k,
                      r2.trials[t].folds[k].train.n_windows, r2.trials[t].folds[k].valid.n_windows, n0, n1);
            for (a = 0; a < n0; a++)
                for (c = 0; c < n1; c++)
                    shared += !strcmp(eegnn_dataset_subject(ds, idx[0][a]), eegnn_dataset_subject(ds, idx[1][c]));
            CHECK(shared == 0, "fold %d: %d train/valid window pairs share a subject", k, shared);
        }
        for (i = 0; i < n_groups && i < N_SUBJECTS; i++)
            CHECK(valid_times[i] == 1, "group %d is validation in %d folds", i, valid_times[i]);
        free(assign);
        free(idx[0]);
        free(idx[1]);
        eegnn_dataset_free(ds);
        eegnn_bids_close(b);
    }

    /* 1 worker: the same numbers, bit for bit */
    st = run_grid(bids, test_out_path("search/grid1"), 1, &r1);
    CHECK(st == EEGNN_OK, "grid search (1 worker): %s", eegnn_last_error());
    if (!st) {
        int same = 1;
        for (t = 0; t < 4; t++) {
            same &= !strcmp(r1.trials[t].model, r2.trials[t].model) && r1.trials[t].lr == r2.trials[t].lr;
            for (k = 0; k < N_FOLDS; k++) {
                same &= r1.trials[t].fold_metric[k] == r2.trials[t].fold_metric[k];
                same &= r1.trials[t].folds[k].valid.loss == r2.trials[t].folds[k].valid.loss;
                same &= r1.trials[t].folds[k].best_epoch == r2.trials[t].folds[k].best_epoch;
            }
            same &= r1.ranking[t] == r2.ranking[t];
        }
        CHECK(same, "1 and 2 workers give different results");
    }
    eegnn_search_result_free(&r1);

    check_svg(test_out_path("search/grid2/search_results.svg"));
    check_svg(test_out_path("search/grid2/learning_curves.svg"));
    check_svg(test_out_path("search/grid2/confusion_matrix.svg"));
    /* out-of-fold predictions: every window is predicted once, by the run
     * that held its subject out (120 windows: 12 subjects x 10 windows) */
    text = slurp(test_out_path("search/grid2/confusion_matrix.svg"));
    CHECK(text && strstr(text, "n = 120, accuracy"), "confusion matrix does not count 120 windows");
    free(text);
done:
    eegnn_search_result_free(&r2);
}

/* Random search over a log-uniform learning rate, ranked by nRMSE on a
 * regression target. */
static void test_random(const char *bids) {
    eegnn_search_config sc;
    eegnn_search_result r;
    eegnn_status st;
    int t;
    memset(&sc, 0, sizeof sc);
    sc.base = eegnn_train_config_default();
    sc.base.bids_root = bids;
    sc.base.target = "participants:age";
    sc.base.model = "mlp";
    sc.base.epochs = 2;
    sc.base.batch_size = 16;
    sc.base.seed = 3;
    sc.base.n_folds = N_FOLDS;
    sc.base.out_dir = test_out_path("search/random");
    sc.base.quiet = 1;
    sc.n_trials = 2;
    sc.lr_min = 1e-4f;
    sc.lr_max = 1e-2f;
    st = eegnn_search(&sc, &r);
    CHECK(st == EEGNN_OK, "random search: %s", eegnn_last_error());
    if (st) return;
    CHECK(r.n_trials == 2 && !strcmp(r.metric, "nrmse") && !r.higher_is_better && r.n_classes == 0,
          "%d trials, metric %s", r.n_trials, r.metric);
    for (t = 0; t < r.n_trials; t++)
        CHECK(r.trials[t].lr >= 1e-4f && r.trials[t].lr <= 1e-2f && !strcmp(r.trials[t].model, "mlp"),
              "trial %d: %s lr %g", t, r.trials[t].model, (double)r.trials[t].lr);
    CHECK(r.trials[0].lr != r.trials[1].lr, "both trials drew lr %g", (double)r.trials[0].lr);
    CHECK(r.trials[r.ranking[0]].mean <= r.trials[r.ranking[1]].mean, "nRMSE ranking: %g before %g",
          r.trials[r.ranking[0]].mean, r.trials[r.ranking[1]].mean);
    check_svg(test_out_path("search/random/pred_vs_true.svg"));
    {
        char *text = slurp(test_out_path("search/random/pred_vs_true.svg"));
        CHECK(text && strstr(text, "n = 120;"), "pred_vs_true does not show 120 windows");
        free(text);
    }
    eegnn_search_result_free(&r);

    /* a configuration whose runs fail is recorded and ranked last */
    {
        static const char *const models[2] = {"no-such-model", "mlp"};
        char *text;
        sc.models = models;
        sc.n_models = 2;
        sc.n_trials = 0;
        sc.lr_min = sc.lr_max = 0;
        sc.base.epochs = 1;
        sc.base.out_dir = test_out_path("search/failing");
        st = eegnn_search(&sc, &r);
        CHECK(st == EEGNN_OK, "search with a failing model: %s", eegnn_last_error());
        if (!st) {
            CHECK(r.n_failed == N_FOLDS && r.best == 1 && r.trials[0].rank == 2 && !(r.trials[0].mean == r.trials[0].mean),
                  "failed runs: %d, best %d", r.n_failed, r.best);
            CHECK(r.trials[0].fold_error[0] && strstr(r.trials[0].fold_error[0], "no-such-model"), "error message");
            text = slurp(test_out_path("search/failing/results.csv"));
            CHECK(text && count_lines(text) == 1 + 2 * N_FOLDS && strstr(text, ",error,") &&
                      strstr(text, "unknown model 'no-such-model'"),
                  "results.csv of a failing search");
            free(text);
        }
        eegnn_search_result_free(&r);
        sc.models = NULL;
        sc.n_models = 0;
        sc.n_trials = 2;
        sc.base.out_dir = test_out_path("search/random");
    }

    /* bad configurations are refused before any run */
    sc.lr_min = 1e-2f;
    sc.lr_max = 1e-4f;
    CHECK(eegnn_search(&sc, &r) == EEGNN_ERR_ARG, "lr_min > lr_max accepted");
    sc.lr_min = sc.lr_max = 0;
    sc.metric = "f1";
    CHECK(eegnn_search(&sc, &r) == EEGNN_ERR_ARG, "unknown metric accepted");
    sc.metric = NULL;
    sc.base.n_folds = 1;
    CHECK(eegnn_search(&sc, &r) == EEGNN_ERR_ARG, "1 fold accepted");
    sc.base.n_folds = N_FOLDS;
    sc.base.bids_root = test_out_path("search/no-such-dataset");
    CHECK(eegnn_search(&sc, &r) != EEGNN_OK, "missing dataset accepted");
}

int main(void) {
    eegnn_synthetic_config syn;
    char bids[1024];
    snprintf(bids, sizeof bids, "%s", test_out_path("search/bids")); /* test_out_path reuses its buffers */
    syn = eegnn_synthetic_config_default();
    syn.n_subjects = N_SUBJECTS;
    syn.n_channels = 8;
    syn.duration = 20;
    syn.seed = 11;
    if (eegnn_write_synthetic_bids(bids, &syn)) {
        CHECK(0, "synthetic dataset: %s", eegnn_last_error());
        return test_summary("test_search");
    }
    test_grid(bids);
    test_random(bids);
    return test_summary("test_search");
}
