/* Training loop behind `eegnn train` (see train.h). */

typedef struct eegnn__trainer {
    const eegnn_train_config *cfg;
    eegnn_dataset *data;
    int n_ch, n_times, n_classes, batch;
    int *idx[3];   /* window indices of train / valid / test */
    int n_idx[3];
    float *ch_mean, *ch_std; /* (n_ch) input standardization from the training split */
    double y_mean, y_std;    /* regression target standardization */
    eegnn_graph *g;
    eegnn_tensor *x, *y, *out, *loss;
    eegnn_optimizer *opt;
    float *window;           /* (n_ch, n_times) */
    float *pred;             /* (n_windows, n_outputs) scratch for evaluation */
    float *truth;            /* (n_windows) */
    float *best;             /* copy of parameters and buffers at the best epoch */
    size_t best_len;
} eegnn__trainer;

static const char *const eegnn__split_names[3] = {"train", "valid", "test"};

static eegnn_status eegnn__fill_batch(eegnn__trainer *tr, const int *ids, int n) {
    int b, c, t;
    size_t per = (size_t)tr->n_ch * (size_t)tr->n_times;
    for (b = 0; b < tr->batch; b++) {
        float *dst = tr->x->data + (size_t)b * per;
        float target = 0.0f;
        if (b >= n) { /* padding rows of a last, partial evaluation batch */
            memset(dst, 0, per * sizeof(float));
            if (tr->n_classes) tr->y->data[b] = 0.0f;
            else tr->y->data[b] = 0.0f;
            continue;
        }
        if (eegnn_dataset_get(tr->data, ids[b], tr->window, &target)) return EEGNN_ERR_IO;
        for (c = 0; c < tr->n_ch; c++) {
            const float *src = tr->window + (size_t)c * (size_t)tr->n_times;
            float m = tr->ch_mean[c], inv = 1.0f / tr->ch_std[c];
            for (t = 0; t < tr->n_times; t++) dst[(size_t)c * (size_t)tr->n_times + (size_t)t] = (src[t] - m) * inv;
        }
        tr->y->data[b] = tr->n_classes ? target : (float)(((double)target - tr->y_mean) / tr->y_std);
    }
    return EEGNN_OK;
}

/* Input statistics per channel and target statistics from the training split. */
static eegnn_status eegnn__fit_standardization(eegnn__trainer *tr) {
    double *sum = (double *)eegnn__calloc((size_t)tr->n_ch * 2, sizeof(double));
    double ysum = 0.0, ysq = 0.0, n_samples;
    int i, c, t;
    if (!sum) return EEGNN_ERR_MEMORY;
    for (i = 0; i < tr->n_idx[0]; i++) {
        float target;
        if (eegnn_dataset_get(tr->data, tr->idx[0][i], tr->window, &target)) {
            EEGNN_FREE(sum);
            return EEGNN_ERR_IO;
        }
        ysum += target;
        ysq += (double)target * target;
        for (c = 0; c < tr->n_ch; c++) {
            const float *row = tr->window + (size_t)c * (size_t)tr->n_times;
            double s = 0.0, q = 0.0;
            for (t = 0; t < tr->n_times; t++) {
                s += row[t];
                q += (double)row[t] * row[t];
            }
            sum[2 * c] += s;
            sum[2 * c + 1] += q;
        }
    }
    n_samples = (double)tr->n_idx[0] * tr->n_times;
    for (c = 0; c < tr->n_ch; c++) {
        double m = sum[2 * c] / n_samples, v = sum[2 * c + 1] / n_samples - m * m;
        tr->ch_mean[c] = (float)m;
        tr->ch_std[c] = (float)(v > 1e-20 ? sqrt(v) : 1.0);
    }
    tr->y_mean = ysum / tr->n_idx[0];
    tr->y_std = sqrt(EEGNN__MAX(ysq / tr->n_idx[0] - tr->y_mean * tr->y_mean, 0.0));
    if (!(tr->y_std > 1e-12)) tr->y_std = 1.0;
    EEGNN_FREE(sum);
    return EEGNN_OK;
}

/* Builds the graph, doubling the arena until the model fits. */
static eegnn_status eegnn__build_graph(eegnn__trainer *tr) {
    size_t arena = (size_t)64 << 20;
    const eegnn_train_config *cfg = tr->cfg;
    for (;;) {
        eegnn_graph_config gc;
        eegnn_model_config mc;
        int xs[3], ys[1];
        memset(&gc, 0, sizeof gc);
        gc.arena_bytes = arena;
        gc.n_threads = cfg->n_threads;
        gc.seed = cfg->seed;
        tr->g = eegnn_graph_create(&gc);
        if (!tr->g) return EEGNN_ERR_MEMORY;
        xs[0] = tr->batch;
        xs[1] = tr->n_ch;
        xs[2] = tr->n_times;
        ys[0] = tr->batch;
        memset(&mc, 0, sizeof mc);
        mc.n_chans = tr->n_ch;
        mc.n_times = tr->n_times;
        mc.n_outputs = tr->n_classes ? tr->n_classes : 1;
        mc.sfreq = eegnn_dataset_sfreq(tr->data);
        tr->x = eegnn_input(tr->g, "x", 3, xs);
        tr->y = eegnn_input(tr->g, "y", 1, ys);
        tr->out = eegnn_model_build(tr->g, cfg->model ? cfg->model : "cnn", tr->x, &mc);
        if (tr->n_classes) {
            tr->loss = eegnn_cross_entropy_loss(tr->g, tr->out, tr->y, NULL);
        } else {
            eegnn_tensor *flat = tr->out ? eegnn_reshape(tr->g, tr->out, 1, ys) : NULL;
            tr->loss = eegnn_mse_loss(tr->g, flat, tr->y);
        }
        if (tr->loss) return EEGNN_OK;
        eegnn_graph_free(tr->g);
        tr->g = NULL;
        if (!strstr(eegnn_last_error(), "arena full") || arena >= ((size_t)16 << 30)) return EEGNN_ERR_ARG;
        arena *= 2;
    }
}

/* Saves (dir != NULL) or snapshots parameters and buffers. */
static size_t eegnn__state_numel(eegnn_graph *g) {
    size_t n = 0;
    int i;
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        if (t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER)) n += t->numel;
    }
    return n;
}

static void eegnn__state_copy(eegnn_graph *g, float *buf, int restore) {
    size_t off = 0;
    int i;
    for (i = 0; i < eegnn_graph_n_nodes(g); i++) {
        eegnn_tensor *t = eegnn_graph_node(g, i);
        if (!(t->flags & (EEGNN_TENSOR_PARAM | EEGNN_TENSOR_BUFFER))) continue;
        if (restore)
            memcpy(t->data, buf + off, t->numel * sizeof(float));
        else
            memcpy(buf + off, t->data, t->numel * sizeof(float));
        off += t->numel;
    }
}

/* Runs the model over one split in eval mode; fills m and tr->pred/truth. */
static eegnn_status eegnn__evaluate(eegnn__trainer *tr, int split, eegnn_split_metrics *m) {
    int n = tr->n_idx[split], n_out = tr->n_classes ? tr->n_classes : 1, i, b, k;
    double loss = 0.0;
    int *yi = NULL, *pi = NULL;
    double *yt = NULL, *yp = NULL, *score = NULL;
    eegnn_status st = EEGNN_OK;
    memset(m, 0, sizeof *m);
    m->pearson_r = m->r2 = m->rmse = m->nrmse = m->mae = NAN;
    m->accuracy = m->balanced_accuracy = m->roc_auc = NAN;
    m->loss = NAN;
    m->n_windows = n;
    if (!n) return EEGNN_OK;
    eegnn_graph_set_training(tr->g, 0);
    for (i = 0; i < n; i += tr->batch) {
        int nb = EEGNN__MIN(tr->batch, n - i);
        st = eegnn__fill_batch(tr, tr->idx[split] + i, nb);
        if (st) goto done;
        eegnn_graph_forward_to(tr->g, tr->out);
        for (b = 0; b < nb; b++) {
            const float *o = tr->out->data + (size_t)b * n_out;
            memcpy(tr->pred + (size_t)(i + b) * n_out, o, (size_t)n_out * sizeof(float));
            tr->truth[i + b] = tr->y->data[b];
            if (tr->n_classes) { /* cross-entropy from logits */
                float mx = o[0];
                double s = 0.0;
                for (k = 1; k < n_out; k++) mx = EEGNN__MAX(mx, o[k]);
                for (k = 0; k < n_out; k++) s += exp((double)(o[k] - mx));
                loss += log(s) + mx - o[(int)tr->y->data[b]];
            } else {
                double d = (double)o[0] - tr->y->data[b];
                loss += d * d;
            }
        }
    }
    eegnn_graph_set_training(tr->g, 1);
    m->loss = loss / n;
    if (tr->n_classes) {
        yi = (int *)eegnn__calloc((size_t)n, sizeof(int));
        pi = (int *)eegnn__calloc((size_t)n, sizeof(int));
        score = (double *)eegnn__calloc((size_t)n, sizeof(double));
        if (!yi || !pi || !score) {
            st = EEGNN_ERR_MEMORY;
            goto done;
        }
        for (i = 0; i < n; i++) {
            const float *o = tr->pred + (size_t)i * n_out;
            int best = 0;
            for (k = 1; k < n_out; k++)
                if (o[k] > o[best]) best = k;
            yi[i] = (int)tr->truth[i];
            pi[i] = best;
            if (n_out == 2) score[i] = (double)o[1] - (double)o[0]; /* monotone in P(class 1) */
        }
        m->accuracy = eegnn_accuracy(yi, pi, n);
        m->balanced_accuracy = eegnn_balanced_accuracy(yi, pi, n, tr->n_classes);
        if (n_out == 2) m->roc_auc = eegnn_roc_auc(yi, score, n);
    } else {
        yt = (double *)eegnn__calloc((size_t)n, sizeof(double));
        yp = (double *)eegnn__calloc((size_t)n, sizeof(double));
        if (!yt || !yp) {
            st = EEGNN_ERR_MEMORY;
            goto done;
        }
        for (i = 0; i < n; i++) { /* back to the target's units */
            yt[i] = tr->truth[i] * tr->y_std + tr->y_mean;
            yp[i] = tr->pred[i] * tr->y_std + tr->y_mean;
        }
        m->pearson_r = eegnn_pearson_r(yt, yp, n);
        m->r2 = eegnn_r2_score(yt, yp, n);
        m->rmse = eegnn_rmse(yt, yp, n);
        m->nrmse = eegnn_nrmse(yt, yp, n);
        m->mae = eegnn_mae(yt, yp, n);
    }
done:
    eegnn_graph_set_training(tr->g, 1);
    EEGNN_FREE(yi);
    EEGNN_FREE(pi);
    EEGNN_FREE(score);
    EEGNN_FREE(yt);
    EEGNN_FREE(yp);
    return st;
}

static void eegnn__json_metrics(eegnn__strbuf *sb, const eegnn_split_metrics *m) {
    const char *names[9] = {"loss", "pearson_r", "r2", "rmse", "nrmse", "mae", "accuracy", "balanced_accuracy",
                            "roc_auc"};
    double vals[9];
    int k;
    vals[0] = m->loss;
    vals[1] = m->pearson_r;
    vals[2] = m->r2;
    vals[3] = m->rmse;
    vals[4] = m->nrmse;
    vals[5] = m->mae;
    vals[6] = m->accuracy;
    vals[7] = m->balanced_accuracy;
    vals[8] = m->roc_auc;
    eegnn__sb_printf(sb, "{\"n_windows\": %d", m->n_windows);
    for (k = 0; k < 9; k++) {
        if (vals[k] == vals[k] && fabs(vals[k]) <= 1e300)
            eegnn__sb_printf(sb, ", \"%s\": %.9g", names[k], vals[k]);
        else
            eegnn__sb_printf(sb, ", \"%s\": null", names[k]);
    }
    eegnn__sb_printf(sb, "}");
}

static void eegnn__progress(const eegnn__trainer *tr, int epoch, int epochs, int done, int total, double loss) {
    int width = 30, filled = total ? done * width / total : width, k;
    char bar[40];
    for (k = 0; k < width; k++) bar[k] = k < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(tr->cfg->log ? tr->cfg->log : stdout, "\repoch %3d/%d [%s] %d/%d  loss %.4f", epoch, epochs, bar, done,
            total, loss);
    fflush(tr->cfg->log ? tr->cfg->log : stdout);
}

EEGNN_API eegnn_status eegnn_train(const eegnn_train_config *cfg, eegnn_train_result *result) {
    eegnn__trainer tr;
    eegnn_bids_dataset *bids = NULL;
    eegnn_dataset_config dc;
    eegnn_optimizer_config oc;
    eegnn__strbuf hist = {0, 0, 0, 0}, js = {0, 0, 0, 0};
    int *assign = NULL, *order = NULL;
    int epochs, i, s, epoch, n_windows, n_groups, steps_per_epoch, warmup;
    double best_loss = INFINITY, t_start = eegnn_time_seconds();
    const char *out_dir;
    char path[4096];
    FILE *log;
    eegnn_rng rng;
    eegnn_status st = EEGNN_OK;

    memset(&tr, 0, sizeof tr);
    if (!cfg || !result) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_train: config or result is NULL");
    memset(result, 0, sizeof *result);
    if (!cfg->bids_root || !cfg->target)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_train: bids_root and target are required");
    tr.cfg = cfg;
    log = cfg->log ? cfg->log : stdout;
    epochs = cfg->epochs > 0 ? cfg->epochs : 20;
    out_dir = cfg->out_dir ? cfg->out_dir : "eegnn-out";
    eegnn_rng_seed(&rng, cfg->seed * 2654435761ull + 17);

    bids = eegnn_bids_open(cfg->bids_root);
    if (!bids) return EEGNN_ERR_IO;
    memset(&dc, 0, sizeof dc);
    dc.task = cfg->task;
    dc.target = cfg->target;
    dc.window_seconds = cfg->window_seconds;
    dc.stride_seconds = cfg->stride_seconds;
    dc.tmin = cfg->tmin;
    dc.tmax = cfg->tmax;
    if (cfg->tmin == 0 && cfg->tmax == 0) {
        dc.tmin = 0.5;
        dc.tmax = 2.5;
    }
    dc.split = cfg->split ? cfg->split : "subject";
    tr.data = eegnn_dataset_from_bids(bids, &dc);
    if (!tr.data) {
        st = EEGNN_ERR_FORMAT;
        goto done;
    }
    n_windows = eegnn_dataset_n_windows(tr.data);
    n_groups = eegnn_dataset_n_groups(tr.data);
    tr.n_ch = eegnn_dataset_n_channels(tr.data);
    tr.n_times = eegnn_dataset_n_times(tr.data);
    tr.n_classes = eegnn_dataset_n_classes(tr.data);

    /* group-wise split: no window of a held-out group is seen in training */
    assign = (int *)eegnn__calloc((size_t)n_groups, sizeof(int));
    for (s = 0; s < 3; s++) tr.idx[s] = (int *)eegnn__calloc((size_t)n_windows + 1, sizeof(int));
    if (!assign || !tr.idx[0] || !tr.idx[1] || !tr.idx[2]) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    st = eegnn_split_groups(n_groups, cfg->valid_fraction > 0 ? cfg->valid_fraction : 0.2,
                            cfg->test_fraction < 0 ? 0.0 : (cfg->test_fraction > 0 ? cfg->test_fraction : 0.2),
                            cfg->seed, assign);
    if (st) goto done;
    for (i = 0; i < n_windows; i++) {
        int a = assign[eegnn_dataset_group(tr.data, i)];
        tr.idx[a][tr.n_idx[a]++] = i;
    }
    if (!tr.n_idx[0] || !tr.n_idx[1]) {
        st = eegnn_set_error(EEGNN_ERR_ARG, "%s: the split leaves %d training and %d validation windows",
                             cfg->bids_root, tr.n_idx[0], tr.n_idx[1]);
        goto done;
    }
    tr.batch = cfg->batch_size > 0 ? cfg->batch_size : 64;
    if (tr.batch > tr.n_idx[0]) tr.batch = tr.n_idx[0];

    tr.window = (float *)eegnn__calloc((size_t)tr.n_ch * (size_t)tr.n_times, sizeof(float));
    tr.ch_mean = (float *)eegnn__calloc((size_t)tr.n_ch, sizeof(float));
    tr.ch_std = (float *)eegnn__calloc((size_t)tr.n_ch, sizeof(float));
    tr.pred = (float *)eegnn__calloc((size_t)n_windows * (size_t)(tr.n_classes ? tr.n_classes : 1), sizeof(float));
    tr.truth = (float *)eegnn__calloc((size_t)n_windows, sizeof(float));
    order = (int *)eegnn__calloc((size_t)tr.n_idx[0], sizeof(int));
    if (!tr.window || !tr.ch_mean || !tr.ch_std || !tr.pred || !tr.truth || !order) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    st = eegnn__fit_standardization(&tr);
    if (st) goto done;
    st = eegnn__build_graph(&tr);
    if (st) goto done;
    tr.best_len = eegnn__state_numel(tr.g);
    tr.best = (float *)eegnn__calloc(tr.best_len ? tr.best_len : 1, sizeof(float));
    if (!tr.best) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    memset(&oc, 0, sizeof oc);
    oc.type = EEGNN_OPTIM_ADAMW;
    oc.lr = cfg->lr > 0 ? cfg->lr : 1e-3f;
    oc.weight_decay = cfg->weight_decay < 0 ? 0.0f : (cfg->weight_decay > 0 ? cfg->weight_decay : 0.01f);
    if (cfg->weight_decay < 0) oc.weight_decay = -1.0f;
    tr.opt = eegnn_optimizer_create(tr.g, &oc);
    if (!tr.opt) {
        st = EEGNN_ERR_ARG;
        goto done;
    }
    result->n_classes = tr.n_classes;
    steps_per_epoch = tr.n_idx[0] / tr.batch;
    warmup = cfg->warmup_epochs > 0 ? cfg->warmup_epochs : (epochs > 4 ? 1 : 0);

    if (!cfg->quiet) {
        fprintf(log, "%d windows of %d channels x %d samples (%g Hz); %d %s groups: %d/%d/%d windows in "
                     "train/valid/test; %s, %zu parameters; %s\n",
                n_windows, tr.n_ch, tr.n_times, eegnn_dataset_sfreq(tr.data), n_groups, dc.split, tr.n_idx[0],
                tr.n_idx[1], tr.n_idx[2], cfg->model ? cfg->model : "cnn", eegnn_graph_n_param_scalars(tr.g),
                tr.n_classes ? "classification (cross-entropy)" : "regression (MSE on z-scored target)");
    }
    eegnn__sb_printf(&hist, "[");
    for (i = 0; i < tr.n_idx[0]; i++) order[i] = tr.idx[0][i];
    for (epoch = 1; epoch <= epochs; epoch++) {
        double t0 = eegnn_time_seconds(), train_loss = 0.0;
        eegnn_split_metrics vm;
        int step;
        eegnn_rng_shuffle(&rng, order, tr.n_idx[0]);
        for (step = 0; step < steps_per_epoch; step++) {
            long global = (long)(epoch - 1) * steps_per_epoch + step;
            eegnn_optimizer_set_lr(tr.opt, eegnn_lr_cosine_warmup(oc.lr, global, (long)warmup * steps_per_epoch,
                                                                  (long)epochs * steps_per_epoch, 0.0f));
            st = eegnn__fill_batch(&tr, order + (size_t)step * tr.batch, tr.batch);
            if (st) goto done;
            eegnn_graph_forward(tr.g);
            if (!(tr.loss->data[0] == tr.loss->data[0])) {
                st = eegnn_set_error(EEGNN_ERR_NUMERIC, "training diverged: loss is NaN at epoch %d step %d "
                                                        "(lower --lr)", epoch, step + 1);
                goto done;
            }
            train_loss += tr.loss->data[0];
            eegnn_optimizer_zero_grad(tr.opt);
            eegnn_graph_backward(tr.g, tr.loss);
            eegnn_optimizer_step(tr.opt);
            if (cfg->progress && !cfg->quiet)
                eegnn__progress(&tr, epoch, epochs, step + 1, steps_per_epoch, train_loss / (step + 1));
        }
        train_loss /= steps_per_epoch ? steps_per_epoch : 1;
        st = eegnn__evaluate(&tr, 1, &vm);
        if (st) goto done;
        if (vm.loss < best_loss) {
            best_loss = vm.loss;
            result->best_epoch = epoch;
            eegnn__state_copy(tr.g, tr.best, 0);
        }
        if (!cfg->quiet) {
            if (cfg->progress) fprintf(log, "\r");
            fprintf(log, "epoch %3d/%d  train_loss %.4f  valid_loss %.4f  ", epoch, epochs, train_loss, vm.loss);
            if (tr.n_classes)
                fprintf(log, "valid_accuracy %.3f  valid_balanced_accuracy %.3f", vm.accuracy, vm.balanced_accuracy);
            else
                fprintf(log, "valid_r %.3f  valid_nrmse %.3f", vm.pearson_r, vm.nrmse);
            fprintf(log, "  %.2f s%s\n", eegnn_time_seconds() - t0, result->best_epoch == epoch ? "  *" : "");
        }
        eegnn__sb_printf(&hist, "%s\n    {\"epoch\": %d, \"train_loss\": %.9g, \"valid\": ", epoch > 1 ? "," : "",
                         epoch, train_loss);
        eegnn__json_metrics(&hist, &vm);
        eegnn__sb_printf(&hist, ", \"lr\": %.9g, \"seconds\": %.4f}", eegnn_optimizer_get_lr(tr.opt),
                         eegnn_time_seconds() - t0);
    }
    eegnn__sb_printf(&hist, "\n  ]");

    /* restore the best epoch's weights, evaluate every split, save */
    eegnn__state_copy(tr.g, tr.best, 1);
    st = eegnn__evaluate(&tr, 0, &result->train);
    if (!st) st = eegnn__evaluate(&tr, 1, &result->valid);
    if (!st) st = eegnn__evaluate(&tr, 2, &result->test);
    if (st) goto done;
    result->seconds = eegnn_time_seconds() - t_start;

    st = eegnn__mkdirs(out_dir);
    if (st) goto done;
    {
        eegnn__strbuf mean = {0, 0, 0, 0}, sd = {0, 0, 0, 0};
        char ymean[64], ystd[64], ncls[16], bs[16];
        const char *keys[9], *vals[9];
        int c;
        for (c = 0; c < tr.n_ch; c++) {
            eegnn__sb_printf(&mean, "%s%.9g", c ? "," : "[", tr.ch_mean[c]);
            eegnn__sb_printf(&sd, "%s%.9g", c ? "," : "[", tr.ch_std[c]);
        }
        eegnn__sb_printf(&mean, "]");
        eegnn__sb_printf(&sd, "]");
        snprintf(ymean, sizeof ymean, "%.17g", tr.y_mean);
        snprintf(ystd, sizeof ystd, "%.17g", tr.y_std);
        snprintf(ncls, sizeof ncls, "%d", tr.n_classes);
        snprintf(bs, sizeof bs, "%d", result->best_epoch);
        keys[0] = "model"; vals[0] = cfg->model ? cfg->model : "cnn";
        keys[1] = "target"; vals[1] = cfg->target;
        keys[2] = "n_classes"; vals[2] = ncls;
        keys[3] = "input_mean"; vals[3] = mean.p ? mean.p : "[]";
        keys[4] = "input_std"; vals[4] = sd.p ? sd.p : "[]";
        keys[5] = "target_mean"; vals[5] = ymean;
        keys[6] = "target_std"; vals[6] = ystd;
        keys[7] = "best_epoch"; vals[7] = bs;
        keys[8] = "eegnn_version"; vals[8] = EEGNN_VERSION_STRING;
        snprintf(path, sizeof path, "%s/best.safetensors", out_dir);
        st = eegnn_save_safetensors(tr.g, path, keys, vals, 9);
        eegnn__sb_free(&mean);
        eegnn__sb_free(&sd);
        if (st) goto done;
    }
    eegnn__sb_printf(&js, "{\n  \"bids_root\": ");
    eegnn__sb_json_string(&js, cfg->bids_root);
    eegnn__sb_printf(&js, ",\n  \"target\": ");
    eegnn__sb_json_string(&js, cfg->target);
    eegnn__sb_printf(&js, ",\n  \"split\": ");
    eegnn__sb_json_string(&js, dc.split);
    eegnn__sb_printf(&js, ",\n  \"model\": ");
    eegnn__sb_json_string(&js, cfg->model ? cfg->model : "cnn");
    eegnn__sb_printf(&js, ",\n  \"n_classes\": %d,\n  \"best_epoch\": %d,\n  \"seconds\": %.3f,\n", tr.n_classes,
                     result->best_epoch, result->seconds);
    for (s = 0; s < 3; s++) {
        const eegnn_split_metrics *m = s == 0 ? &result->train : s == 1 ? &result->valid : &result->test;
        eegnn__sb_printf(&js, "  \"%s\": ", eegnn__split_names[s]);
        eegnn__json_metrics(&js, m);
        eegnn__sb_printf(&js, ",\n");
    }
    eegnn__sb_printf(&js, "  \"history\": %s\n}\n", hist.p ? hist.p : "[]");
    if (js.failed || hist.failed) {
        st = eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory writing metrics");
        goto done;
    }
    snprintf(path, sizeof path, "%s/metrics.json", out_dir);
    st = eegnn__write_text(path, js.p);

done:
    eegnn__sb_free(&hist);
    eegnn__sb_free(&js);
    eegnn_optimizer_free(tr.opt);
    eegnn_graph_free(tr.g);
    eegnn_dataset_free(tr.data);
    eegnn_bids_close(bids);
    for (s = 0; s < 3; s++) EEGNN_FREE(tr.idx[s]);
    EEGNN_FREE(assign);
    EEGNN_FREE(order);
    EEGNN_FREE(tr.window);
    EEGNN_FREE(tr.ch_mean);
    EEGNN_FREE(tr.ch_std);
    EEGNN_FREE(tr.pred);
    EEGNN_FREE(tr.truth);
    EEGNN_FREE(tr.best);
    return st;
}
