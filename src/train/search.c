/* Hyperparameter search with group k-fold cross-validation (see search.h). */

/* The validation metrics a search can rank by, as named in
 * eegnn_split_metrics, and which direction is better. */
static const char *const eegnn__search_metrics[9] = {"loss", "pearson_r", "r2", "rmse", "nrmse", "mae",
                                                     "accuracy", "balanced_accuracy", "roc_auc"};
static const int eegnn__search_higher[9] = {0, 1, 1, 0, 0, 0, 1, 1, 1};

static int eegnn__search_metric_index(const char *name) {
    int k;
    for (k = 0; name && k < 9; k++)
        if (!strcmp(name, eegnn__search_metrics[k])) return k;
    return -1;
}

static double eegnn__search_metric_value(const eegnn_split_metrics *m, int k) {
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
typedef struct eegnn__search_pool {
    const eegnn_search_config *cfg;
    eegnn_search_result *res;
    const char *out_dir;
    int n_runs, next, done;
    int metric;  /* index of the metric named in progress lines; -1: by task */
    FILE *log;   /* NULL: quiet */
    double t_start;
    pthread_mutex_t mu;
} eegnn__search_pool;

static void eegnn__search_run(eegnn__search_pool *pool, int run) {
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
    if (st) trial->fold_error[k] = eegnn__strdup(eegnn_last_error());
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
            fprintf(pool->log, "valid %s %.4f  (%.1f s)\n", eegnn__search_metrics[m],
                    eegnn__search_metric_value(&r->valid, m), eegnn_time_seconds() - t0);
        }
        fflush(pool->log);
    }
    pthread_mutex_unlock(&pool->mu);
}

static void *eegnn__search_worker(void *arg) {
    eegnn__search_pool *pool = (eegnn__search_pool *)arg;
    for (;;) {
        int run;
        pthread_mutex_lock(&pool->mu);
        run = pool->next++;
        pthread_mutex_unlock(&pool->mu);
        if (run >= pool->n_runs) break;
        eegnn__search_run(pool, run);
    }
    return NULL;
}

/* Fills res->trials from the search space (grid or random draws). */
static eegnn_status eegnn__search_trials(const eegnn_search_config *cfg, eegnn_search_result *res) {
    const eegnn_train_config *b = &cfg->base;
    const char *default_model = b->model ? b->model : "cnn";
    float default_lr = b->lr > 0 ? b->lr : 1e-3f, default_wd = b->weight_decay != 0 ? b->weight_decay : 0.01f;
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
    res->trials = (eegnn_search_trial *)eegnn__calloc((size_t)n, sizeof(eegnn_search_trial));
    pick = (int *)eegnn__calloc((size_t)grid, sizeof(int));
    if (!res->trials || !pick) {
        EEGNN_FREE(pick);
        return EEGNN_ERR_MEMORY;
    }
    res->n_trials = n;
    for (i = 0; i < grid; i++) pick[i] = i;
    if (!random_lr && n < grid) eegnn_rng_shuffle(&rng, pick, (int)grid); /* draw without repetition */
    for (i = 0; i < n; i++) {
        eegnn_search_trial *tr = res->trials + i;
        int g = random_lr ? (int)eegnn_rng_below(&rng, (uint32_t)grid) : pick[i], im, il, ib, iw, id;
        eegnn__strbuf label = {0, 0, 0, 0};
        id = g % n_d;
        g /= n_d;
        iw = g % n_w;
        g /= n_w;
        ib = g % n_b;
        g /= n_b;
        il = g % n_l;
        im = g / n_l;
        tr->model = eegnn__strdup(cfg->n_models > 0 ? cfg->models[im] : default_model);
        if (random_lr)
            tr->lr = (float)exp(log((double)cfg->lr_min) +
                                eegnn_rng_uniform(&rng) * (log((double)cfg->lr_max) - log((double)cfg->lr_min)));
        else
            tr->lr = cfg->n_lrs > 0 ? cfg->lrs[il] : default_lr;
        tr->batch_size = cfg->n_batch_sizes > 0 ? cfg->batch_sizes[ib] : default_bs;
        tr->weight_decay = cfg->n_weight_decays > 0 ? cfg->weight_decays[iw] : default_wd;
        tr->drop_prob = cfg->n_drop_probs > 0 ? cfg->drop_probs[id] : b->model_config.drop_prob;
        eegnn__sb_printf(&label, "%s", tr->model ? tr->model : "");
        if (random_lr || n_l > 1) eegnn__sb_printf(&label, " lr=%.3g", (double)tr->lr);
        if (n_b > 1) eegnn__sb_printf(&label, " batch_size=%d", tr->batch_size);
        if (n_w > 1) eegnn__sb_printf(&label, " weight_decay=%g", (double)tr->weight_decay);
        if (n_d > 1) eegnn__sb_printf(&label, " drop_prob=%g", (double)tr->drop_prob);
        tr->label = label.p;
        tr->mean = tr->std = NAN;
        tr->fold_metric = (double *)eegnn__calloc((size_t)res->n_folds, sizeof(double));
        tr->folds = (eegnn_train_result *)eegnn__calloc((size_t)res->n_folds, sizeof(eegnn_train_result));
        tr->fold_status = (eegnn_status *)eegnn__calloc((size_t)res->n_folds, sizeof(eegnn_status));
        tr->fold_error = (char **)eegnn__calloc((size_t)res->n_folds, sizeof(char *));
        if (!tr->model || !tr->label || label.failed || !tr->fold_metric || !tr->folds || !tr->fold_status ||
            !tr->fold_error) {
            EEGNN_FREE(pick);
            return eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_search: out of memory");
        }
    }
    EEGNN_FREE(pick);
    return EEGNN_OK;
}

static eegnn_status eegnn__search_check(const eegnn_search_config *cfg) {
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
        if (!(cfg->weight_decays[i] == cfg->weight_decays[i]))
            return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: weight decay %d is NaN", i);
    for (i = 0; i < cfg->n_drop_probs; i++)
        if (!(cfg->drop_probs[i] < 1.0f))
            return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: dropout probability %g must be below 1",
                                   (double)cfg->drop_probs[i]);
    if (cfg->n_trials < 0) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: n_trials %d < 0", cfg->n_trials);
    if (cfg->metric && eegnn__search_metric_index(cfg->metric) < 0)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "eegnn_search: unknown metric '%s' (balanced_accuracy, accuracy, roc_auc, pearson_r, "
                               "r2, nrmse, rmse, mae or loss)",
                               cfg->metric);
    return EEGNN_OK;
}

/* Mean and std (ddof = 0) over folds; ranking best first, failed last. */
static void eegnn__search_rank(eegnn_search_result *res, int metric) {
    int t, k, i;
    for (t = 0; t < res->n_trials; t++) {
        eegnn_search_trial *tr = res->trials + t;
        double s = 0.0, q = 0.0;
        int ok = 1;
        for (k = 0; k < res->n_folds; k++) {
            double v = tr->fold_status[k] ? NAN : eegnn__search_metric_value(&tr->folds[k].valid, metric);
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
static void eegnn__search_csv_num(eegnn__strbuf *sb, double v) {
    if (v == v && fabs(v) <= 1e300) eegnn__sb_printf(sb, ",%.9g", v);
    else eegnn__sb_printf(sb, ",");
}

/* A CSV text field (RFC 4180 quoting when needed). */
static void eegnn__search_csv_text(eegnn__strbuf *sb, const char *s) {
    const char *c;
    if (!s) s = "";
    if (!strpbrk(s, ",\"\n\r")) {
        eegnn__sb_printf(sb, "%s", s);
        return;
    }
    eegnn__sb_append(sb, "\"", 1);
    for (c = s; *c; c++) {
        if (*c == '"') eegnn__sb_append(sb, "\"", 1);
        eegnn__sb_append(sb, c, 1);
    }
    eegnn__sb_append(sb, "\"", 1);
}

static eegnn_status eegnn__search_write_csv(const eegnn_search_result *res, const char *out_dir) {
    eegnn__strbuf sb = {0, 0, 0, 0};
    char path[4096];
    const char *m = res->metric;
    int t, k, i;
    eegnn_status st;
    eegnn__sb_printf(&sb, "trial,fold,model,lr,batch_size,weight_decay,drop_prob,status,best_epoch,n_train_windows,"
                          "n_valid_windows,train_loss,valid_loss,valid_accuracy,valid_balanced_accuracy,valid_roc_auc,"
                          "valid_pearson_r,valid_r2,valid_rmse,valid_nrmse,valid_mae,seconds,error\n");
    for (t = 0; t < res->n_trials; t++) {
        const eegnn_search_trial *tr = res->trials + t;
        for (k = 0; k < res->n_folds; k++) {
            const eegnn_train_result *r = tr->folds + k;
            const eegnn_split_metrics *v = &r->valid;
            int ok = tr->fold_status[k] == EEGNN_OK;
            eegnn__sb_printf(&sb, "%d,%d,", t, k);
            eegnn__search_csv_text(&sb, tr->model);
            eegnn__sb_printf(&sb, ",%.7g,%d,%.7g,%.7g,%s", (double)tr->lr, tr->batch_size, (double)tr->weight_decay,
                             (double)tr->drop_prob, ok ? "ok" : "error");
            if (ok) {
                eegnn__sb_printf(&sb, ",%d,%d,%d", r->best_epoch, r->train.n_windows, v->n_windows);
                eegnn__search_csv_num(&sb, r->train.loss);
                eegnn__search_csv_num(&sb, v->loss);
                eegnn__search_csv_num(&sb, v->accuracy);
                eegnn__search_csv_num(&sb, v->balanced_accuracy);
                eegnn__search_csv_num(&sb, v->roc_auc);
                eegnn__search_csv_num(&sb, v->pearson_r);
                eegnn__search_csv_num(&sb, v->r2);
                eegnn__search_csv_num(&sb, v->rmse);
                eegnn__search_csv_num(&sb, v->nrmse);
                eegnn__search_csv_num(&sb, v->mae);
                eegnn__sb_printf(&sb, ",%.3f,\n", r->seconds);
            } else {
                eegnn__sb_printf(&sb, ",,,,,,,,,,,,,,,");
                eegnn__search_csv_text(&sb, tr->fold_error[k] ? tr->fold_error[k] : eegnn_status_description(tr->fold_status[k]));
                eegnn__sb_printf(&sb, "\n");
            }
        }
    }
    if (sb.failed) {
        eegnn__sb_free(&sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_search: out of memory writing results.csv");
    }
    snprintf(path, sizeof path, "%s/results.csv", out_dir);
    st = eegnn__write_text(path, sb.p);
    eegnn__sb_free(&sb);
    if (st) return st;

    eegnn__sb_printf(&sb, "rank,trial,model,lr,batch_size,weight_decay,drop_prob,mean_valid_%s,std_valid_%s", m, m);
    for (k = 0; k < res->n_folds; k++) eegnn__sb_printf(&sb, ",split%d_valid_%s", k, m);
    eegnn__sb_printf(&sb, "\n");
    for (i = 0; i < res->n_trials; i++) {
        const eegnn_search_trial *tr = res->trials + res->ranking[i];
        eegnn__sb_printf(&sb, "%d,%d,", tr->rank, res->ranking[i]);
        eegnn__search_csv_text(&sb, tr->model);
        eegnn__sb_printf(&sb, ",%.7g,%d,%.7g,%.7g", (double)tr->lr, tr->batch_size, (double)tr->weight_decay,
                         (double)tr->drop_prob);
        eegnn__search_csv_num(&sb, tr->mean);
        eegnn__search_csv_num(&sb, tr->std);
        for (k = 0; k < res->n_folds; k++) eegnn__search_csv_num(&sb, tr->fold_metric[k]);
        eegnn__sb_printf(&sb, "\n");
    }
    if (sb.failed) {
        eegnn__sb_free(&sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_search: out of memory writing summary.csv");
    }
    snprintf(path, sizeof path, "%s/summary.csv", out_dir);
    st = eegnn__write_text(path, sb.p);
    eegnn__sb_free(&sb);
    return st;
}

static void eegnn__search_json_str(eegnn__strbuf *sb, const char *key, const char *v) {
    eegnn__sb_printf(sb, ",\n  \"%s\": ", key);
    if (v) eegnn__sb_json_string(sb, v);
    else eegnn__sb_printf(sb, "null");
}

static void eegnn__search_json_num(eegnn__strbuf *sb, const char *key, double v) {
    if (v == v && fabs(v) <= 1e300) eegnn__sb_printf(sb, ",\n  \"%s\": %.9g", key, v);
    else eegnn__sb_printf(sb, ",\n  \"%s\": null", key);
}

static eegnn_status eegnn__search_write_best(const eegnn_search_config *cfg, const eegnn_search_result *res,
                                             const char *out_dir) {
    const eegnn_train_config *b = &cfg->base;
    const eegnn_search_trial *tr = res->trials + res->best;
    eegnn__strbuf sb = {0, 0, 0, 0};
    char path[4096], key[64];
    int k;
    eegnn_status st;
    eegnn__sb_printf(&sb, "{\n  \"model\": ");
    eegnn__sb_json_string(&sb, tr->model);
    eegnn__sb_printf(&sb, ",\n  \"lr\": %.7g,\n  \"batch_size\": %d,\n  \"weight_decay\": %.7g,\n  \"drop_prob\": %.7g",
                     (double)tr->lr, tr->batch_size, (double)tr->weight_decay, (double)tr->drop_prob);
    eegnn__sb_printf(&sb, ",\n  \"metric\": ");
    eegnn__sb_json_string(&sb, res->metric);
    eegnn__sb_printf(&sb, ",\n  \"higher_is_better\": %s", res->higher_is_better ? "true" : "false");
    snprintf(key, sizeof key, "mean_valid_%s", res->metric);
    eegnn__search_json_num(&sb, key, tr->mean);
    snprintf(key, sizeof key, "std_valid_%s", res->metric);
    eegnn__search_json_num(&sb, key, tr->std);
    eegnn__sb_printf(&sb, ",\n  \"split_valid_%s\": [", res->metric);
    for (k = 0; k < res->n_folds; k++) {
        double v = tr->fold_metric[k];
        if (v == v) eegnn__sb_printf(&sb, "%s%.9g", k ? ", " : "", v);
        else eegnn__sb_printf(&sb, "%snull", k ? ", " : "");
    }
    eegnn__sb_printf(&sb, "],\n  \"trial\": %d,\n  \"n_trials\": %d,\n  \"n_folds\": %d", res->best, res->n_trials,
                     res->n_folds);
    eegnn__search_json_str(&sb, "bids_root", b->bids_root);
    eegnn__search_json_str(&sb, "target", b->target);
    eegnn__search_json_str(&sb, "task", b->task);
    eegnn__search_json_str(&sb, "split", b->split ? b->split : "subject");
    eegnn__sb_printf(&sb, ",\n  \"epochs\": %d", b->epochs > 0 ? b->epochs : 20);
    eegnn__sb_printf(&sb, ",\n  \"warmup_epochs\": %d", b->warmup_epochs);
    eegnn__search_json_num(&sb, "window_seconds", b->window_seconds > 0 ? b->window_seconds : 2.0);
    eegnn__search_json_num(&sb, "stride_seconds",
                    b->stride_seconds > 0 ? b->stride_seconds : (b->window_seconds > 0 ? b->window_seconds : 2.0));
    eegnn__search_json_num(&sb, "tmin", b->tmin == 0 && b->tmax == 0 ? 0.5 : b->tmin);
    eegnn__search_json_num(&sb, "tmax", b->tmin == 0 && b->tmax == 0 ? 2.5 : b->tmax);
    eegnn__sb_printf(&sb, ",\n  \"seed\": %llu\n}\n", (unsigned long long)b->seed);
    if (sb.failed) {
        eegnn__sb_free(&sb);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "eegnn_search: out of memory writing best_config.json");
    }
    snprintf(path, sizeof path, "%s/best_config.json", out_dir);
    st = eegnn__write_text(path, sb.p);
    eegnn__sb_free(&sb);
    return st;
}

/* Search-results plot and the best configuration's learning curves (mean
 * over folds of the histories in each run's metrics.json). */
static eegnn_status eegnn__search_write_plots(const eegnn_search_result *res, const char *out_dir, int metric) {
    const char **labels = (const char **)eegnn__calloc((size_t)res->n_trials, sizeof(char *));
    double *mean = (double *)eegnn__calloc((size_t)res->n_trials * (2 + (size_t)res->n_folds), sizeof(double));
    const eegnn_search_trial *best = res->trials + res->best;
    double *curves = NULL, *std, *folds;
    char path[4096], title[600];
    int i, k, n_epochs = -1;
    eegnn_status st;
    if (!labels || !mean) {
        EEGNN_FREE(labels);
        EEGNN_FREE(mean);
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
    EEGNN_FREE(labels);
    EEGNN_FREE(mean);
    if (st) return st;

    for (k = 0; k < res->n_folds; k++) { /* mean learning curves over the folds of the best configuration */
        eegnn_json *doc;
        const eegnn_json *hist;
        int e;
        if (!(best->mean == best->mean)) break; /* every configuration has a failed run: no curves */
        snprintf(path, sizeof path, "%s/runs/trial%03d_fold%d/metrics.json", out_dir, res->best, k);
        doc = eegnn_json_read(path);
        if (!doc) {
            EEGNN_FREE(curves);
            return EEGNN_ERR_FORMAT;
        }
        hist = eegnn_json_get(doc, "history");
        if (!hist || hist->type != EEGNN_JSON_ARRAY || hist->n < 1) {
            eegnn_json_free(doc);
            EEGNN_FREE(curves);
            return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no \"history\" array", path);
        }
        if (!curves) {
            n_epochs = hist->n;
            curves = (double *)eegnn__calloc((size_t)n_epochs * 3, sizeof(double));
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
                eegnn_json_get_number(valid, eegnn__search_metrics[metric], v + 2);
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
                                    eegnn__search_metrics[metric], 0);
    EEGNN_FREE(curves);
    return st;
}

/* Parses one CSV record (RFC 4180) at *cursor in place: fields[] point
 * into the buffer, unquoted. Returns the field count (0 at the end). */
static int eegnn__search_csv_record(char **cursor, char **fields, int max) {
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
static eegnn_status eegnn__search_write_predictions(const eegnn_search_config *cfg, const eegnn_search_result *res,
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
        counts = (int *)eegnn__calloc((size_t)n_classes * n_classes, sizeof(int));
        class_names = (char **)eegnn__calloc((size_t)n_classes, sizeof(char *));
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
        if (!st) st = eegnn__read_file(csv, &text, &len);
        if (st) goto done;
        cur = text;
        nf = eegnn__search_csv_record(&cur, fields, 300);
        for (j = 0; j < nf; j++) {
            if (!strcmp(fields[j], "target")) c_target = j;
            if (!strcmp(fields[j], "prediction")) c_pred = j;
            if (!strcmp(fields[j], "split")) c_split = j;
            if (n_classes && k == 0 && eegnn__starts_with(fields[j], "prob_") && j - c_pred - 1 >= 0 &&
                j - c_pred - 1 < n_classes && c_pred >= 0)
                class_names[j - c_pred - 1] = eegnn__strdup(fields[j] + 5);
        }
        if (c_target < 0 || c_pred < 0 || c_split < 0) {
            EEGNN_FREE(text);
            st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no target, prediction or split column", csv);
            goto done;
        }
        while ((nf = eegnn__search_csv_record(&cur, fields, 300)) > 0) {
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
                    double *nt = (double *)EEGNN_REALLOC(yt, (size_t)nc * sizeof(double));
                    double *np = nt ? (double *)EEGNN_REALLOC(yp, (size_t)nc * sizeof(double)) : NULL;
                    if (nt) yt = nt;
                    if (np) yp = np;
                    if (!nt || !np) {
                        EEGNN_FREE(text);
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
        EEGNN_FREE(text);
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
    for (i = 0; class_names && i < n_classes; i++) EEGNN_FREE(class_names[i]);
    EEGNN_FREE(class_names);
    EEGNN_FREE(counts);
    EEGNN_FREE(yt);
    EEGNN_FREE(yp);
    return st;
}

static void eegnn__search_print(const eegnn_search_result *res, FILE *log, int n_workers) {
    int i, k, shown = EEGNN__MIN(res->n_trials, 20);
    size_t w = 5;
    for (i = 0; i < res->n_trials; i++) w = EEGNN__MAX(w, strlen(res->trials[i].label));
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

EEGNN_API void eegnn_search_result_free(eegnn_search_result *result) {
    int t, k;
    if (!result) return;
    for (t = 0; result->trials && t < result->n_trials; t++) {
        eegnn_search_trial *tr = result->trials + t;
        EEGNN_FREE(tr->model);
        EEGNN_FREE(tr->label);
        EEGNN_FREE(tr->fold_metric);
        EEGNN_FREE(tr->folds);
        EEGNN_FREE(tr->fold_status);
        for (k = 0; tr->fold_error && k < result->n_folds; k++) EEGNN_FREE(tr->fold_error[k]);
        EEGNN_FREE(tr->fold_error);
    }
    EEGNN_FREE(result->trials);
    EEGNN_FREE(result->ranking);
    memset(result, 0, sizeof *result);
}

EEGNN_API eegnn_status eegnn_search(const eegnn_search_config *cfg, eegnn_search_result *result) {
    eegnn__search_pool pool;
    eegnn_bids_dataset *bids;
    pthread_t *threads = NULL;
    int n_workers, n_started = 0, i, t, k, metric, first_fail = -1;
    char runs_dir[4096];
    eegnn_status st;
    double t_start = eegnn_time_seconds();

    if (!cfg || !result) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_search: config or result is NULL");
    memset(result, 0, sizeof *result);
    st = eegnn__search_check(cfg);
    if (st) return st;
    result->n_folds = cfg->base.n_folds > 1 ? cfg->base.n_folds : 5;
    st = eegnn__search_trials(cfg, result);
    if (!st) {
        result->ranking = (int *)eegnn__calloc((size_t)result->n_trials, sizeof(int));
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
    pool.metric = eegnn__search_metric_index(cfg->metric);
    pool.log = cfg->base.quiet ? NULL : (cfg->base.log ? cfg->base.log : stdout);
    pool.t_start = t_start;
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", pool.out_dir);
    st = eegnn__mkdirs(runs_dir);
    if (st) {
        eegnn_search_result_free(result);
        return st;
    }
    n_workers = cfg->n_workers > 0 ? cfg->n_workers : (cfg->base.n_threads > 0 ? cfg->base.n_threads : eegnn_cpu_count());
    n_workers = EEGNN__MAX(1, EEGNN__MIN(n_workers, pool.n_runs));
    if (pool.log)
        fprintf(pool.log, "search: %d configurations x %d folds = %d runs, %d in parallel, one thread each\n",
                result->n_trials, result->n_folds, pool.n_runs, n_workers);
    pthread_mutex_init(&pool.mu, NULL);
    if (n_workers > 1) threads = (pthread_t *)eegnn__calloc((size_t)n_workers - 1, sizeof(pthread_t));
    for (i = 0; threads && i < n_workers - 1; i++) {
        if (pthread_create(threads + i, NULL, eegnn__search_worker, &pool) != 0) break;
        n_started++;
    }
    eegnn__search_worker(&pool); /* the caller works too */
    for (i = 0; i < n_started; i++) pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&pool.mu);
    EEGNN_FREE(threads);

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
    snprintf(result->metric, sizeof result->metric, "%s", eegnn__search_metrics[metric]);
    result->higher_is_better = eegnn__search_higher[metric];
    eegnn__search_rank(result, metric);
    result->seconds = eegnn_time_seconds() - t_start;

    st = eegnn__search_write_csv(result, pool.out_dir);
    if (!st) st = eegnn__search_write_best(cfg, result, pool.out_dir);
    if (!st) st = eegnn__search_write_plots(result, pool.out_dir, metric);
    if (!st) st = eegnn__search_write_predictions(cfg, result, pool.out_dir, n_workers);
    if (st) {
        eegnn_search_result_free(result);
        return st;
    }
    if (pool.log) {
        eegnn__search_print(result, pool.log, n_workers);
        fprintf(pool.log, "best: %s; wrote %s/results.csv, summary.csv, best_config.json, search_results.svg, "
                          "learning_curves.svg, %s\n",
                result->trials[result->best].label, pool.out_dir,
                result->n_classes ? "confusion_matrix.svg" : "pred_vs_true.svg");
    }
    return EEGNN_OK;
}
