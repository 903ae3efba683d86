/* ---------------------------------------------------------------------------
 * The `eegnn` program's search driver (examples/, not part of eegnn.h; built
 * on its public API: eegnn_train, eegnn_predict, the plots of plot.c).
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

#ifndef EEGNN_APP_SEARCH_C
#define EEGNN_APP_SEARCH_C
#include <math.h>
#include <pthread.h>

#include "app.h"
#include "plot.c"

/* Zero-filled apart from base, which starts from eegnn_train_config_default()
 * with bids_root and target set. */
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
    const float *weight_decays;  /* (n_weight_decays) weight decays, >= 0 (0: none), as in eegnn_train */
    int n_weight_decays;
    const float *drop_probs;     /* (n_drop_probs) dropout probabilities in [0, 1) (model_config.drop_prob:
                                    0 is none, EEGNN_UNSET the model's default) */
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
    float drop_prob;             /* model_config.drop_prob of the runs (EEGNN_UNSET: the model's default) */
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
eegnn_status eegnn_search(const eegnn_search_config *cfg, eegnn_search_result *result);

/* Frees what eegnn_search allocated in *result and zeroes it. NULL is
 * allowed. */
void eegnn_search_result_free(eegnn_search_result *result);

/* The search driver (declared above). */

/* The validation metrics a search can rank by, as named in
 * eegnn_split_metrics, and which direction is better. */
static const char *const search_metrics[9] = {"loss", "pearson_r", "r2", "rmse", "nrmse", "mae",
                                                     "accuracy", "balanced_accuracy", "roc_auc"};
static const int search_higher[9] = {0, 1, 1, 0, 0, 0, 1, 1, 1};

static int search_metric_index(const char *name) {
    int k;
    for (k = 0; name && k < 9; k++)
        if (!strcmp(name, search_metrics[k])) return k;
    return -1;
}

static double search_metric_value(const eegnn_split_metrics *m, int k) {
    switch (k) {
    case 0: return m->loss;
    case 1: return m->pearson_r;
    case 2: return m->r2;
    case 3: return m->rmse;
    case 4: return m->nrmse;
    case 5: return m->mae;
    case 6: return m->accuracy;
    case 7: return m->balanced_accuracy;
    default: return m->roc_auc;
    }
}

/* State shared by the worker threads. Runs are numbered trial * n_folds +
 * fold; each worker takes the next one under the mutex. */
typedef struct search_pool {
    const eegnn_search_config *cfg;
    eegnn_search_result *res;
    const char *out_dir;
    int n_runs, next, done;
    int metric;  /* index of the metric named in progress lines; -1: by task */
    FILE *log;   /* NULL: quiet */
    double t_start;
    pthread_mutex_t mu;
} search_pool;

static void search_run(search_pool *pool, int run) {
    const eegnn_search_config *cfg = pool->cfg;
    int t = run / pool->res->n_folds, k = run % pool->res->n_folds;
    eegnn_search_trial *trial = pool->res->trials + t;
    eegnn_train_config tc = cfg->base;
    char dir[4096];
    double t0 = eegnn_time_seconds();
    eegnn_status st;
    snprintf(dir, sizeof dir, "%s/runs/trial%03d_fold%d", pool->out_dir, t, k);
    tc.model = trial->model;
    tc.lr = trial->lr;
    tc.batch_size = trial->batch_size;
    tc.weight_decay = trial->weight_decay;
    tc.model_config.drop_prob = trial->drop_prob;
    tc.n_folds = pool->res->n_folds;
    tc.fold = k;
    tc.n_threads = 1;
    tc.quiet = 1;
    tc.progress = 0;
    tc.log = NULL;
    tc.out_dir = dir;
    st = eegnn_train(&tc, trial->folds + k);
    trial->fold_status[k] = st;
    if (st) trial->fold_error[k] = app_strdup(eegnn_last_error());
    pthread_mutex_lock(&pool->mu);
    pool->done++;
    if (pool->log) {
        const eegnn_train_result *r = trial->folds + k;
        fprintf(pool->log, "[%*d/%d] trial %d fold %d: %s  ", pool->n_runs >= 100 ? 3 : 2, pool->done, pool->n_runs,
                t, k, trial->label);
        if (st) {
            fprintf(pool->log, "failed: %s\n", trial->fold_error[k] ? trial->fold_error[k] : eegnn_status_description(st));
        } else {
            int m = pool->metric >= 0 ? pool->metric : (r->n_classes ? 7 : 4);
            fprintf(pool->log, "valid %s %.4f  (%.1f s)\n", search_metrics[m],
                    search_metric_value(&r->valid, m), eegnn_time_seconds() - t0);
        }
        fflush(pool->log);
    }
    pthread_mutex_unlock(&pool->mu);
}

static void *search_worker(void *arg) {
    search_pool *pool = (search_pool *)arg;
    for (;;) {
        int run;
        pthread_mutex_lock(&pool->mu);
        run = pool->next++;
        pthread_mutex_unlock(&pool->mu);
        if (run >= pool->n_runs) break;
        search_run(pool, run);
    }
    return NULL;
}

/* Fills res->trials from the search space (grid or random draws). */
static eegnn_status search_trials(const eegnn_search_config *cfg, eegnn_search_result *res) {
    const eegnn_train_config *b = &cfg->base;
    const char *default_model = b->model ? b->model : "cnn";
    float default_lr = b->lr > 0 ? b->lr : 1e-3f, default_wd = b->weight_decay != EEGNN_UNSET ? b->weight_decay : 0.01f;
    int default_bs = b->batch_size > 0 ? b->batch_size : 64;
    int random_lr = cfg->lr_min > 0 && cfg->lr_max > 0;
    int n_m = cfg->n_models > 0 ? cfg->n_models : 1, n_l = cfg->n_lrs > 0 && !random_lr ? cfg->n_lrs : 1;
    int n_b = cfg->n_batch_sizes > 0 ? cfg->n_batch_sizes : 1;
    int n_w = cfg->n_weight_decays > 0 ? cfg->n_weight_decays : 1;
    int n_d = cfg->n_drop_probs > 0 ? cfg->n_drop_probs : 1;
    long grid = (long)n_m * n_l * n_b * n_w * n_d;
    int n, i, *pick = NULL;
    eegnn_rng rng;

    if (random_lr && cfg->n_trials <= 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: a learning rate range (lr_min, lr_max) needs a random "
                                              "search (n_trials > 0)");
    if (random_lr && !(cfg->lr_min <= cfg->lr_max))
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: lr_min %g is above lr_max %g", (double)cfg->lr_min,
                               (double)cfg->lr_max);
    if (grid > 1000000) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: the grid has %ld points (at most 1e6)", grid);
    eegnn_rng_seed(&rng, b->seed * 0x9E3779B97F4A7C15ull + 0x5EA5C4ull);
    if (random_lr)
        n = cfg->n_trials;
    else if (cfg->n_trials > 0 && cfg->n_trials < grid)
        n = cfg->n_trials;
    else
        n = (int)grid;
    res->trials = (eegnn_search_trial *)app_calloc((size_t)n, sizeof(eegnn_search_trial));
    pick = (int *)app_calloc((size_t)grid, sizeof(int));
    if (!res->trials || !pick) {
        free(pick);
        return EEGNN_ERR_MEMORY;
    }
    res->n_trials = n;
    for (i = 0; i < grid; i++) pick[i] = i;
    if (!random_lr && n < grid) eegnn_rng_shuffle(&rng, pick, (int)grid); /* draw without repetition */
    for (i = 0; i < n; i++) {
        eegnn_search_trial *tr = res->trials + i;
        int g = random_lr ? (int)eegnn_rng_below(&rng, (uint32_t)grid) : pick[i], im, il, ib, iw, id;
        app_buf label = {0, 0, 0, 0};
        id = g % n_d;
        g /= n_d;
        iw = g % n_w;
        g /= n_w;
        ib = g % n_b;
        g /= n_b;
        il = g % n_l;
        im = g / n_l;
        tr->model = app_strdup(cfg->n_models > 0 ? cfg->models[im] : default_model);
        if (random_lr)
            tr->lr = (float)exp(log((double)cfg->lr_min) +
                                eegnn_rng_uniform(&rng) * (log((double)cfg->lr_max) - log((double)cfg->lr_min)));
        else
            tr->lr = cfg->n_lrs > 0 ? cfg->lrs[il] : default_lr;
        tr->batch_size = cfg->n_batch_sizes > 0 ? cfg->batch_sizes[ib] : default_bs;
        tr->weight_decay = cfg->n_weight_decays > 0 ? cfg->weight_decays[iw] : default_wd;
        tr->drop_prob = cfg->n_drop_probs > 0 ? cfg->drop_probs[id] : b->model_config.drop_prob;
        app_buf_printf(&label, "%s", tr->model ? tr->model : "");
        if (random_lr || n_l > 1) app_buf_printf(&label, " lr=%.3g", (double)tr->lr);
        if (n_b > 1) app_buf_printf(&label, " batch_size=%d", tr->batch_size);
        if (n_w > 1) app_buf_printf(&label, " weight_decay=%g", (double)tr->weight_decay);
        if (n_d > 1) app_buf_printf(&label, " drop_prob=%g", (double)tr->drop_prob);
        tr->label = label.p;
        tr->mean = tr->std = NAN;
        tr->fold_metric = (double *)app_calloc((size_t)res->n_folds, sizeof(double));
        tr->folds = (eegnn_train_result *)app_calloc((size_t)res->n_folds, sizeof(eegnn_train_result));
        tr->fold_status = (eegnn_status *)app_calloc((size_t)res->n_folds, sizeof(eegnn_status));
        tr->fold_error = (char **)app_calloc((size_t)res->n_folds, sizeof(char *));
        if (!tr->model || !tr->label || label.failed || !tr->fold_metric || !tr->folds || !tr->fold_status ||
            !tr->fold_error) {
            free(pick);
            return eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_search: out of memory");
        }
    }
    free(pick);
    return EEGNN_OK;
}

static eegnn_status search_check(const eegnn_search_config *cfg) {
    int i;
    if (!cfg->base.bids_root || !cfg->base.target)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: base.bids_root and base.target are required");
    if (cfg->base.n_folds == 1 || cfg->base.n_folds < 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: n_folds %d: cross-validation needs at least 2 folds",
                               cfg->base.n_folds);
    if ((cfg->n_models > 0 && !cfg->models) || (cfg->n_lrs > 0 && !cfg->lrs) ||
        (cfg->n_batch_sizes > 0 && !cfg->batch_sizes) || (cfg->n_weight_decays > 0 && !cfg->weight_decays) ||
        (cfg->n_drop_probs > 0 && !cfg->drop_probs))
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: a search space list is NULL but its count is not 0");
    for (i = 0; i < cfg->n_models; i++)
        if (!cfg->models[i] || !cfg->models[i][0])
            return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: model name %d is empty", i);
    for (i = 0; i < cfg->n_lrs; i++)
        if (!(cfg->lrs[i] > 0))
            return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: learning rate %g must be > 0", (double)cfg->lrs[i]);
    if (cfg->lr_min < 0 || cfg->lr_max < 0 || ((cfg->lr_min > 0) != (cfg->lr_max > 0)))
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: lr_min and lr_max must both be > 0 (or both 0)");
    for (i = 0; i < cfg->n_batch_sizes; i++)
        if (cfg->batch_sizes[i] <= 0)
            return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: batch size %d must be > 0", cfg->batch_sizes[i]);
    for (i = 0; i < cfg->n_weight_decays; i++)
        if (!(cfg->weight_decays[i] >= 0))
            return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: weight decay %g must be >= 0 (0: none)",
                                   (double)cfg->weight_decays[i]);
    for (i = 0; i < cfg->n_drop_probs; i++)
        if (!(cfg->drop_probs[i] >= 0.0f && cfg->drop_probs[i] < 1.0f))
            return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: dropout probability %g must be in [0, 1)",
                                   (double)cfg->drop_probs[i]);
    if (cfg->n_trials < 0) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: n_trials %d < 0", cfg->n_trials);
    if (cfg->metric && search_metric_index(cfg->metric) < 0)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "eegnn_search: unknown metric '%s' (balanced_accuracy, accuracy, roc_auc, pearson_r, "
                               "r2, nrmse, rmse, mae or loss)",
                               cfg->metric);
    return EEGNN_OK;
}

/* Mean and std (ddof = 0) over folds; ranking best first, failed last. */
static void search_rank(eegnn_search_result *res, int metric) {
    int t, k, i;
    for (t = 0; t < res->n_trials; t++) {
        eegnn_search_trial *tr = res->trials + t;
        double s = 0.0, q = 0.0;
        int ok = 1;
        for (k = 0; k < res->n_folds; k++) {
            double v = tr->fold_status[k] ? NAN : search_metric_value(&tr->folds[k].valid, metric);
            tr->fold_metric[k] = v;
            if (!(v == v)) ok = 0;
            s += v;
        }
        tr->mean = ok ? s / res->n_folds : NAN;
        for (k = 0; ok && k < res->n_folds; k++) q += (tr->fold_metric[k] - tr->mean) * (tr->fold_metric[k] - tr->mean);
        tr->std = ok ? sqrt(q / res->n_folds) : NAN;
    }
    for (t = 0; t < res->n_trials; t++) res->ranking[t] = t;
    for (i = 1; i < res->n_trials; i++) { /* insertion sort: stable, so ties keep the trial order */
        int cur = res->ranking[i], j = i;
        double m = res->trials[cur].mean;
        while (j > 0) {
            double p = res->trials[res->ranking[j - 1]].mean;
            int better = m == m && (!(p == p) || (res->higher_is_better ? m > p : m < p));
            if (!better) break;
            res->ranking[j] = res->ranking[j - 1];
            j--;
        }
        res->ranking[j] = cur;
    }
    for (i = 0; i < res->n_trials; i++) res->trials[res->ranking[i]].rank = i + 1;
    res->best = res->ranking[0];
}

/* A CSV number: %.9g, empty for NaN (pandas reads it back as NaN). */
static void search_csv_num(app_buf *sb, double v) {
    if (v == v && fabs(v) <= 1e300) app_buf_printf(sb, ",%.9g", v);
    else app_buf_printf(sb, ",");
}

/* A CSV text field (RFC 4180 quoting when needed). */
static void search_csv_text(app_buf *sb, const char *s) {
    const char *c;
    if (!s) s = "";
    if (!strpbrk(s, ",\"\n\r")) {
        app_buf_printf(sb, "%s", s);
        return;
    }
    app_buf_append(sb, "\"", 1);
    for (c = s; *c; c++) {
        if (*c == '"') app_buf_append(sb, "\"", 1);
        app_buf_append(sb, c, 1);
    }
    app_buf_append(sb, "\"", 1);
}

/* A trial's dropout probability, or `unset` (the model's default). */
static void search_drop_prob(app_buf *sb, float p, const char *unset) {
    if (p == EEGNN_UNSET) app_buf_printf(sb, "%s", unset);
    else app_buf_printf(sb, "%.7g", (double)p);
}

static eegnn_status search_write_csv(const eegnn_search_result *res, const char *out_dir) {
    app_buf sb = {0, 0, 0, 0};
    char path[4096];
    const char *m = res->metric;
    int t, k, i;
    eegnn_status st;
    app_buf_printf(&sb, "trial,fold,model,lr,batch_size,weight_decay,drop_prob,status,best_epoch,n_train_windows,"
                          "n_valid_windows,train_loss,valid_loss,valid_accuracy,valid_balanced_accuracy,valid_roc_auc,"
                          "valid_pearson_r,valid_r2,valid_rmse,valid_nrmse,valid_mae,seconds,error\n");
    for (t = 0; t < res->n_trials; t++) {
        const eegnn_search_trial *tr = res->trials + t;
        for (k = 0; k < res->n_folds; k++) {
            const eegnn_train_result *r = tr->folds + k;
            const eegnn_split_metrics *v = &r->valid;
            int ok = tr->fold_status[k] == EEGNN_OK;
            app_buf_printf(&sb, "%d,%d,", t, k);
            search_csv_text(&sb, tr->model);
            app_buf_printf(&sb, ",%.7g,%d,%.7g,", (double)tr->lr, tr->batch_size, (double)tr->weight_decay);
            search_drop_prob(&sb, tr->drop_prob, "");
            app_buf_printf(&sb, ",%s", ok ? "ok" : "error");
            if (ok) {
                app_buf_printf(&sb, ",%d,%d,%d", r->best_epoch, r->train.n_windows, v->n_windows);
                search_csv_num(&sb, r->train.loss);
                search_csv_num(&sb, v->loss);
                search_csv_num(&sb, v->accuracy);
                search_csv_num(&sb, v->balanced_accuracy);
                search_csv_num(&sb, v->roc_auc);
                search_csv_num(&sb, v->pearson_r);
                search_csv_num(&sb, v->r2);
                search_csv_num(&sb, v->rmse);
                search_csv_num(&sb, v->nrmse);
                search_csv_num(&sb, v->mae);
                app_buf_printf(&sb, ",%.3f,\n", r->seconds);
            } else {
                app_buf_printf(&sb, ",,,,,,,,,,,,,,,");
                search_csv_text(&sb, tr->fold_error[k] ? tr->fold_error[k] : eegnn_status_description(tr->fold_status[k]));
                app_buf_printf(&sb, "\n");
            }
        }
    }
    if (sb.failed) {
        app_buf_free(&sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_search: out of memory writing results.csv");
    }
    snprintf(path, sizeof path, "%s/results.csv", out_dir);
    st = app_buf_write(&sb, path);
    app_buf_free(&sb);
    if (st) return st;

    app_buf_printf(&sb, "rank,trial,model,lr,batch_size,weight_decay,drop_prob,mean_valid_%s,std_valid_%s", m, m);
    for (k = 0; k < res->n_folds; k++) app_buf_printf(&sb, ",split%d_valid_%s", k, m);
    app_buf_printf(&sb, "\n");
    for (i = 0; i < res->n_trials; i++) {
        const eegnn_search_trial *tr = res->trials + res->ranking[i];
        app_buf_printf(&sb, "%d,%d,", tr->rank, res->ranking[i]);
        search_csv_text(&sb, tr->model);
        app_buf_printf(&sb, ",%.7g,%d,%.7g,", (double)tr->lr, tr->batch_size, (double)tr->weight_decay);
        search_drop_prob(&sb, tr->drop_prob, "");
        search_csv_num(&sb, tr->mean);
        search_csv_num(&sb, tr->std);
        for (k = 0; k < res->n_folds; k++) search_csv_num(&sb, tr->fold_metric[k]);
        app_buf_printf(&sb, "\n");
    }
    if (sb.failed) {
        app_buf_free(&sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_search: out of memory writing summary.csv");
    }
    snprintf(path, sizeof path, "%s/summary.csv", out_dir);
    st = app_buf_write(&sb, path);
    app_buf_free(&sb);
    return st;
}

static void search_json_str(app_buf *sb, const char *key, const char *v) {
    app_buf_printf(sb, ",\n  \"%s\": ", key);
    if (v) app_buf_json_string(sb, v);
    else app_buf_printf(sb, "null");
}

static void search_json_num(app_buf *sb, const char *key, double v) {
    if (v == v && fabs(v) <= 1e300) app_buf_printf(sb, ",\n  \"%s\": %.9g", key, v);
    else app_buf_printf(sb, ",\n  \"%s\": null", key);
}

static eegnn_status search_write_best(const eegnn_search_config *cfg, const eegnn_search_result *res,
                                             const char *out_dir) {
    const eegnn_train_config *b = &cfg->base;
    const eegnn_search_trial *tr = res->trials + res->best;
    app_buf sb = {0, 0, 0, 0};
    char path[4096], key[64];
    int k;
    eegnn_status st;
    app_buf_printf(&sb, "{\n  \"model\": ");
    app_buf_json_string(&sb, tr->model);
    app_buf_printf(&sb, ",\n  \"lr\": %.7g,\n  \"batch_size\": %d,\n  \"weight_decay\": %.7g,\n  \"drop_prob\": ",
                     (double)tr->lr, tr->batch_size, (double)tr->weight_decay);
    search_drop_prob(&sb, tr->drop_prob, "null");
    app_buf_printf(&sb, ",\n  \"metric\": ");
    app_buf_json_string(&sb, res->metric);
    app_buf_printf(&sb, ",\n  \"higher_is_better\": %s", res->higher_is_better ? "true" : "false");
    snprintf(key, sizeof key, "mean_valid_%s", res->metric);
    search_json_num(&sb, key, tr->mean);
    snprintf(key, sizeof key, "std_valid_%s", res->metric);
    search_json_num(&sb, key, tr->std);
    app_buf_printf(&sb, ",\n  \"split_valid_%s\": [", res->metric);
    for (k = 0; k < res->n_folds; k++) {
        double v = tr->fold_metric[k];
        if (v == v) app_buf_printf(&sb, "%s%.9g", k ? ", " : "", v);
        else app_buf_printf(&sb, "%snull", k ? ", " : "");
    }
    app_buf_printf(&sb, "],\n  \"trial\": %d,\n  \"n_trials\": %d,\n  \"n_folds\": %d", res->best, res->n_trials,
                     res->n_folds);
    search_json_str(&sb, "bids_root", b->bids_root);
    search_json_str(&sb, "target", b->target);
    search_json_str(&sb, "task", b->task);
    search_json_str(&sb, "split", b->split ? b->split : "subject");
    app_buf_printf(&sb, ",\n  \"epochs\": %d", b->epochs > 0 ? b->epochs : 20);
    app_buf_printf(&sb, ",\n  \"warmup_epochs\": %d", b->warmup_epochs);
    search_json_num(&sb, "window_seconds", b->window_seconds > 0 ? b->window_seconds : 2.0);
    search_json_num(&sb, "stride_seconds",
                    b->stride_seconds > 0 ? b->stride_seconds : (b->window_seconds > 0 ? b->window_seconds : 2.0));
    search_json_num(&sb, "tmin", b->tmin == 0 && b->tmax == 0 ? 0.5 : b->tmin);
    search_json_num(&sb, "tmax", b->tmin == 0 && b->tmax == 0 ? 2.5 : b->tmax);
    app_buf_printf(&sb, ",\n  \"seed\": %llu\n}\n", (unsigned long long)b->seed);
    if (sb.failed) {
        app_buf_free(&sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_search: out of memory writing best_config.json");
    }
    snprintf(path, sizeof path, "%s/best_config.json", out_dir);
    st = app_buf_write(&sb, path);
    app_buf_free(&sb);
    return st;
}

/* Search-results plot and the best configuration's learning curves (mean
 * over folds of the histories in each run's metrics.json). */
static eegnn_status search_write_plots(const eegnn_search_result *res, const char *out_dir, int metric) {
    const char **labels = (const char **)app_calloc((size_t)res->n_trials, sizeof(char *));
    double *mean = (double *)app_calloc((size_t)res->n_trials * (2 + (size_t)res->n_folds), sizeof(double));
    const eegnn_search_trial *best = res->trials + res->best;
    double *curves = NULL, *std, *folds;
    char path[4096], title[600];
    int i, k, n_epochs = -1;
    eegnn_status st;
    if (!labels || !mean) {
        free(labels);
        free(mean);
        return EEGNN_ERR_MEMORY;
    }
    std = mean + res->n_trials;
    folds = std + res->n_trials;
    for (i = 0; i < res->n_trials; i++) {
        const eegnn_search_trial *tr = res->trials + res->ranking[i];
        labels[i] = tr->label;
        mean[i] = tr->mean;
        std[i] = tr->std;
        for (k = 0; k < res->n_folds; k++) folds[(size_t)i * res->n_folds + k] = tr->fold_metric[k];
    }
    snprintf(path, sizeof path, "%s/search_results.svg", out_dir);
    snprintf(title, sizeof title, "Search results: %d configurations x %d folds", res->n_trials, res->n_folds);
    st = eegnn_plot_search_results(path, title, res->n_trials, labels, mean, std, folds, res->n_folds, res->metric,
                                   res->higher_is_better);
    free(labels);
    free(mean);
    if (st) return st;

    for (k = 0; k < res->n_folds; k++) { /* mean learning curves over the folds of the best configuration */
        eegnn_json *doc;
        const eegnn_json *hist;
        int e;
        if (!(best->mean == best->mean)) break; /* every configuration has a failed run: no curves */
        snprintf(path, sizeof path, "%s/runs/trial%03d_fold%d/metrics.json", out_dir, res->best, k);
        doc = eegnn_json_read(path);
        if (!doc) {
            free(curves);
            return EEGNN_ERR_FORMAT;
        }
        hist = eegnn_json_get(doc, "history");
        if (!hist || hist->type != EEGNN_JSON_ARRAY || hist->n < 1) {
            eegnn_json_free(doc);
            free(curves);
            return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no \"history\" array", path);
        }
        if (!curves) {
            n_epochs = hist->n;
            curves = (double *)app_calloc((size_t)n_epochs * 3, sizeof(double));
            if (!curves) {
                eegnn_json_free(doc);
                return EEGNN_ERR_MEMORY;
            }
        }
        for (e = 0; e < n_epochs; e++) {
            double v[3];
            const eegnn_json *valid = e < hist->n ? eegnn_json_get(hist->items + e, "valid") : NULL;
            v[0] = v[1] = v[2] = NAN;
            if (e < hist->n) eegnn_json_get_number(hist->items + e, "train_loss", v);
            if (valid) {
                eegnn_json_get_number(valid, "loss", v + 1);
                eegnn_json_get_number(valid, search_metrics[metric], v + 2);
            }
            curves[e] += v[0] / res->n_folds;
            curves[n_epochs + e] += v[1] / res->n_folds;
            curves[2 * n_epochs + e] += v[2] / res->n_folds;
        }
        eegnn_json_free(doc);
    }
    if (!curves) return EEGNN_OK;
    snprintf(path, sizeof path, "%s/learning_curves.svg", out_dir);
    snprintf(title, sizeof title, "Best configuration, mean over %d folds: %s", res->n_folds, best->label);
    st = eegnn_plot_learning_curves(path, title, n_epochs, curves, curves + n_epochs, curves + 2 * n_epochs,
                                    search_metrics[metric], 0);
    free(curves);
    return st;
}

/* Parses one CSV record (RFC 4180) at *cursor in place: fields[] point
 * into the buffer, unquoted. Returns the field count (0 at the end). */
static int search_csv_record(char **cursor, char **fields, int max) {
    char *p = *cursor, *w;
    int n = 0;
    if (!*p) return 0;
    for (;;) {
        int quoted = *p == '"';
        if (quoted) p++;
        w = p;
        if (n < max) fields[n] = w;
        n++;
        for (;;) {
            if (quoted && *p == '"' && p[1] == '"') {
                *w++ = '"';
                p += 2;
            } else if (quoted && *p == '"') {
                quoted = 0;
                p++;
            } else if (!*p || (!quoted && (*p == ',' || *p == '\n' || *p == '\r'))) {
                break;
            } else {
                *w++ = *p++;
            }
        }
        if (*p == ',') {
            *w = '\0';
            p++;
            continue;
        }
        if (*p == '\r') *p++ = '\0';
        if (*p == '\n') *p++ = '\0';
        *w = '\0';
        break;
    }
    *cursor = p;
    return n < max ? n : max;
}

/* The best configuration's out-of-fold predictions: every fold's
 * checkpoint applied with eegnn_predict, the rows of its validation split
 * gathered, drawn as a confusion matrix or predicted vs true values. */
static eegnn_status search_write_predictions(const eegnn_search_config *cfg, const eegnn_search_result *res,
                                                    const char *out_dir, int n_threads) {
    const eegnn_search_trial *best = res->trials + res->best;
    int n_classes = res->n_classes, k, n = 0, cap = 0, i;
    int *counts = NULL;
    char **class_names = NULL;
    double *yt = NULL, *yp = NULL;
    char path[4096], csv[4096], title[600];
    eegnn_status st = EEGNN_OK;
    if (!(best->mean == best->mean)) return EEGNN_OK; /* every configuration has a failed run */
    if (n_classes) {
        counts = (int *)app_calloc((size_t)n_classes * n_classes, sizeof(int));
        class_names = (char **)app_calloc((size_t)n_classes, sizeof(char *));
        if (!counts || !class_names) {
            st = EEGNN_ERR_MEMORY;
            goto done;
        }
    }
    for (k = 0; k < res->n_folds; k++) {
        char *text = NULL, *cur, *fields[300];
        size_t len;
        int nf, c_target = -1, c_pred = -1, c_split = -1, j;
        snprintf(path, sizeof path, "%s/runs/trial%03d_fold%d/best.safetensors", out_dir, res->best, k);
        snprintf(csv, sizeof csv, "%s/runs/trial%03d_fold%d/predictions.csv", out_dir, res->best, k);
        st = eegnn_predict(path, cfg->base.bids_root, csv, n_threads, NULL);
        if (!st) st = eegnn_read_file(csv, &text, &len);
        if (st) goto done;
        cur = text;
        nf = search_csv_record(&cur, fields, 300);
        for (j = 0; j < nf; j++) {
            if (!strcmp(fields[j], "target")) c_target = j;
            if (!strcmp(fields[j], "prediction")) c_pred = j;
            if (!strcmp(fields[j], "split")) c_split = j;
            if (n_classes && k == 0 && !strncmp(fields[j], "prob_", 5) && j - c_pred - 1 >= 0 &&
                j - c_pred - 1 < n_classes && c_pred >= 0)
                class_names[j - c_pred - 1] = app_strdup(fields[j] + 5);
        }
        if (c_target < 0 || c_pred < 0 || c_split < 0) {
            eegnn_free(text);
            st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no target, prediction or split column", csv);
            goto done;
        }
        while ((nf = search_csv_record(&cur, fields, 300)) > 0) {
            if (nf <= c_split || strcmp(fields[c_split], "valid")) continue;
            if (n_classes) {
                int a = -1, b = -1;
                for (j = 0; j < n_classes; j++) {
                    if (class_names[j] && !strcmp(class_names[j], fields[c_target])) a = j;
                    if (class_names[j] && !strcmp(class_names[j], fields[c_pred])) b = j;
                }
                if (a >= 0 && b >= 0) counts[a * n_classes + b]++;
            } else {
                if (n == cap) {
                    int nc = cap ? 2 * cap : 1024;
                    double *nt = (double *)realloc(yt, (size_t)nc * sizeof(double));
                    double *np = nt ? (double *)realloc(yp, (size_t)nc * sizeof(double)) : NULL;
                    if (nt) yt = nt;
                    if (np) yp = np;
                    if (!nt || !np) {
                        eegnn_free(text);
                        st = eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_search: out of memory reading %s", csv);
                        goto done;
                    }
                    cap = nc;
                }
                yt[n] = strtod(fields[c_target], NULL);
                yp[n] = strtod(fields[c_pred], NULL);
                n++;
            }
        }
        eegnn_free(text);
    }
    snprintf(title, sizeof title, "Out-of-fold validation predictions: %s", best->label);
    if (n_classes) {
        snprintf(path, sizeof path, "%s/confusion_matrix.svg", out_dir);
        st = eegnn_plot_confusion_matrix(path, title, counts, n_classes, (const char *const *)class_names);
    } else if (n > 0) {
        const char *target = cfg->base.target, *colon = strchr(target, ':');
        snprintf(path, sizeof path, "%s/pred_vs_true.svg", out_dir);
        st = eegnn_plot_pred_vs_true(path, title, yt, yp, n, colon ? colon + 1 : target);
    }
done:
    for (i = 0; class_names && i < n_classes; i++) free(class_names[i]);
    free(class_names);
    free(counts);
    free(yt);
    free(yp);
    return st;
}

static void search_print(const eegnn_search_result *res, FILE *log, int n_workers) {
    int i, k, shown = APP_MIN(res->n_trials, 20);
    size_t w = 5;
    for (i = 0; i < res->n_trials; i++) w = APP_MAX(w, strlen(res->trials[i].label));
    fprintf(log, "\n%d configurations x %d folds = %d runs on %d worker%s in %.1f s; ranked by valid %s (%s is "
                 "better)%s\n",
            res->n_trials, res->n_folds, res->n_trials * res->n_folds, n_workers, n_workers == 1 ? "" : "s",
            res->seconds, res->metric, res->higher_is_better ? "higher" : "lower",
            res->n_failed ? " -- some runs failed, see results.csv" : "");
    fprintf(log, "rank  trial  %-*s  %-20s  folds\n", (int)w, "configuration", "mean +- std");
    for (i = 0; i < shown; i++) {
        const eegnn_search_trial *tr = res->trials + res->ranking[i];
        char ms[64];
        if (tr->mean == tr->mean)
            snprintf(ms, sizeof ms, "%.4f +- %.4f", tr->mean, tr->std);
        else
            snprintf(ms, sizeof ms, "failed");
        fprintf(log, "%4d  %5d  %-*s  %-20s ", tr->rank, res->ranking[i], (int)w, tr->label, ms);
        for (k = 0; k < res->n_folds; k++) {
            if (tr->fold_metric[k] == tr->fold_metric[k]) fprintf(log, " %.3f", tr->fold_metric[k]);
            else fprintf(log, " -");
        }
        fprintf(log, "\n");
    }
    if (shown < res->n_trials) fprintf(log, "... %d more in summary.csv\n", res->n_trials - shown);
}

void eegnn_search_result_free(eegnn_search_result *result) {
    int t, k;
    if (!result) return;
    for (t = 0; result->trials && t < result->n_trials; t++) {
        eegnn_search_trial *tr = result->trials + t;
        free(tr->model);
        free(tr->label);
        free(tr->fold_metric);
        free(tr->folds);
        free(tr->fold_status);
        for (k = 0; tr->fold_error && k < result->n_folds; k++) free(tr->fold_error[k]);
        free(tr->fold_error);
    }
    free(result->trials);
    free(result->ranking);
    memset(result, 0, sizeof *result);
}

eegnn_status eegnn_search(const eegnn_search_config *cfg, eegnn_search_result *result) {
    search_pool pool;
    eegnn_bids_dataset *bids;
    pthread_t *threads = NULL;
    int n_workers, n_started = 0, i, t, k, metric, first_fail = -1;
    char runs_dir[4096];
    eegnn_status st;
    double t_start = eegnn_time_seconds();

    if (!cfg || !result) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: config or result is NULL");
    memset(result, 0, sizeof *result);
    st = search_check(cfg);
    if (st) return st;
    result->n_folds = cfg->base.n_folds > 1 ? cfg->base.n_folds : 5;
    st = search_trials(cfg, result);
    if (!st) {
        result->ranking = (int *)app_calloc((size_t)result->n_trials, sizeof(int));
        if (!result->ranking) st = EEGNN_ERR_MEMORY;
    }
    if (st) {
        eegnn_search_result_free(result);
        return st;
    }
    bids = eegnn_bids_open(cfg->base.bids_root); /* fail early, not once per run */
    if (!bids) {
        eegnn_search_result_free(result);
        return EEGNN_ERR_IO;
    }
    eegnn_bids_close(bids);

    memset(&pool, 0, sizeof pool);
    pool.cfg = cfg;
    pool.res = result;
    pool.out_dir = cfg->base.out_dir ? cfg->base.out_dir : "eegnn-search";
    pool.n_runs = result->n_trials * result->n_folds;
    pool.metric = search_metric_index(cfg->metric);
    pool.log = cfg->base.quiet ? NULL : (cfg->base.log ? cfg->base.log : stdout);
    pool.t_start = t_start;
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", pool.out_dir);
    st = eegnn_mkdirs(runs_dir);
    if (st) {
        eegnn_search_result_free(result);
        return st;
    }
    n_workers = cfg->n_workers > 0 ? cfg->n_workers : (cfg->base.n_threads > 0 ? cfg->base.n_threads : eegnn_cpu_count());
    n_workers = APP_MAX(1, APP_MIN(n_workers, pool.n_runs));
    if (pool.log)
        fprintf(pool.log, "search: %d configurations x %d folds = %d runs, %d in parallel, one thread each\n",
                result->n_trials, result->n_folds, pool.n_runs, n_workers);
    pthread_mutex_init(&pool.mu, NULL);
    if (n_workers > 1) threads = (pthread_t *)app_calloc((size_t)n_workers - 1, sizeof(pthread_t));
    for (i = 0; threads && i < n_workers - 1; i++) {
        if (pthread_create(threads + i, NULL, search_worker, &pool) != 0) break;
        n_started++;
    }
    search_worker(&pool); /* the caller works too */
    for (i = 0; i < n_started; i++) pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&pool.mu);
    free(threads);

    for (t = 0; t < result->n_trials; t++)
        for (k = 0; k < result->n_folds; k++) {
            if (result->trials[t].fold_status[k]) {
                result->n_failed++;
                if (first_fail < 0) first_fail = t * result->n_folds + k;
            } else if (!result->n_classes) {
                result->n_classes = result->trials[t].folds[k].n_classes;
            }
        }
    if (result->n_failed == pool.n_runs) {
        eegnn_search_trial *tr = result->trials + first_fail / result->n_folds;
        k = first_fail % result->n_folds;
        st = eegnn_set_error(tr->fold_status[k], "eegnn_search: every run failed; the first (trial %d fold %d): %s",
                             first_fail / result->n_folds, k, tr->fold_error[k] ? tr->fold_error[k] : "");
        eegnn_search_result_free(result);
        return st;
    }
    metric = pool.metric >= 0 ? pool.metric : (result->n_classes ? 7 : 4);
    snprintf(result->metric, sizeof result->metric, "%s", search_metrics[metric]);
    result->higher_is_better = search_higher[metric];
    search_rank(result, metric);
    result->seconds = eegnn_time_seconds() - t_start;

    st = search_write_csv(result, pool.out_dir);
    if (!st) st = search_write_best(cfg, result, pool.out_dir);
    if (!st) st = search_write_plots(result, pool.out_dir, metric);
    if (!st) st = search_write_predictions(cfg, result, pool.out_dir, n_workers);
    if (st) {
        eegnn_search_result_free(result);
        return st;
    }
    if (pool.log) {
        search_print(result, pool.log, n_workers);
        fprintf(pool.log, "best: %s; wrote %s/results.csv, summary.csv, best_config.json, search_results.svg, "
                          "learning_curves.svg, %s\n",
                result->trials[result->best].label, pool.out_dir,
                result->n_classes ? "confusion_matrix.svg" : "pred_vs_true.svg");
    }
    return EEGNN_OK;
}
#endif /* EEGNN_APP_SEARCH_C */
