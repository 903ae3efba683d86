/* Training loop behind `eegnn train`, checkpoints and `eegnn predict` (see train.h). */
#include <pthread.h>

typedef struct eegnn__run {
    const eegnn_train_config *cfg;
    eegnn_dataset *data;
    int n_ch, n_times, n_classes, batch;
    int *idx[3];   /* window indices of train / valid / test */
    int n_idx[3];
    float *ch_mean, *ch_std; /* (n_ch) input standardization from the training split */
    double y_mean, y_std;    /* regression target standardization */
    int l1;                  /* regression loss: 1 L1, 0 MSE */
    eegnn_model_config mc;   /* resolved model configuration */
    eegnn_graph *g;
    eegnn_tensor *x, *y, *out, *loss, *class_w;
    eegnn_optimizer *opt;
    eegnn_trainer *t;        /* the training loop (trainer.h) */
    float *window;           /* (n_ch, n_times) */
    float *pred;             /* (n_windows, n_outputs) scratch for evaluation */
    float *truth;            /* (n_windows) */
} eegnn__run;

static const char *const eegnn__split_names[3] = {"train", "valid", "test"};

/* Crop offset of window id in training epoch `epoch` (datasets with
 * crops): uniform in 0..max from a hash of (seed, epoch, window), so it does
 * not depend on the loading order or thread. */
static int eegnn__crop_offset(const eegnn__run *tr, int id, int epoch) {
    uint64_t h = (tr->cfg->seed + 0x9E3779B97F4A7C15ull) ^ ((uint64_t)(uint32_t)epoch << 32) ^ (uint64_t)(uint32_t)id;
    int max = eegnn_dataset_crop_max_offset(tr->data);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (int)(h % (uint64_t)(max + 1));
}

/* Reads and standardizes the windows ids[0..n) into x (batch, n_ch, n_times)
 * and y (batch); rows past n are zero. window: (n_ch, n_times) scratch.
 * epoch > 0: a training batch (random crops when the dataset has crops);
 * 0: the dataset's fixed crop. */
static eegnn_status eegnn__load_batch(const eegnn__run *tr, const int *ids, int n, float *x, float *y,
                                      float *window, int epoch) {
    int b, c, t;
    size_t per = (size_t)tr->n_ch * (size_t)tr->n_times;
    for (b = 0; b < tr->batch; b++) {
        float *dst = x + (size_t)b * per;
        float target = 0.0f;
        if (b >= n) { /* padding rows of a last, partial evaluation batch */
            memset(dst, 0, per * sizeof(float));
            y[b] = 0.0f;
            continue;
        }
        if (epoch > 0 && eegnn_dataset_crop_max_offset(tr->data) > 0) {
            if (eegnn_dataset_get_crop(tr->data, ids[b], eegnn__crop_offset(tr, ids[b], epoch), window, &target))
                return EEGNN_ERR_IO;
        } else if (eegnn_dataset_get(tr->data, ids[b], window, &target)) {
            return EEGNN_ERR_IO;
        }
        for (c = 0; c < tr->n_ch; c++) {
            const float *src = window + (size_t)c * (size_t)tr->n_times;
            float m = tr->ch_mean[c], inv = 1.0f / tr->ch_std[c];
            for (t = 0; t < tr->n_times; t++) dst[(size_t)c * (size_t)tr->n_times + (size_t)t] = (src[t] - m) * inv;
        }
        y[b] = tr->n_classes ? target : (float)(((double)target - tr->y_mean) / tr->y_std);
    }
    return EEGNN_OK;
}

static eegnn_status eegnn__fill_batch(eegnn__run *tr, const int *ids, int n, int epoch) {
    return eegnn__load_batch(tr, ids, n, tr->x->data, tr->y->data, tr->window, epoch);
}

/* Background loading of training batches: a loader thread reads batch k + 1
 * and k + 2 (EEGNN__PREFETCH slots) while the model trains on batch k, in the
 * order the trainer consumes them, so results equal synchronous loading. */
#define EEGNN__PREFETCH 3
typedef struct eegnn__prefetch {
    const eegnn__run *tr;
    const int *order;        /* (n_batches * batch) window indices */
    int n_batches;
    int epoch;               /* training epoch (crop offsets) */
    float *x[EEGNN__PREFETCH], *y[EEGNN__PREFETCH], *window;
    int produced, consumed, stop;
    eegnn_status st;         /* the loader's error, with its message in msg */
    char msg[1024];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int running;
} eegnn__prefetch;

static void *eegnn__prefetch_main(void *arg) {
    eegnn__prefetch *p = (eegnn__prefetch *)arg;
    int k;
    for (k = 0; k < p->n_batches; k++) {
        int slot = k % EEGNN__PREFETCH;
        eegnn_status st;
        pthread_mutex_lock(&p->mu);
        while (!p->stop && k - p->consumed >= EEGNN__PREFETCH) pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        pthread_mutex_unlock(&p->mu);
        st = eegnn__load_batch(p->tr, p->order + (size_t)k * (size_t)p->tr->batch, p->tr->batch, p->x[slot],
                               p->y[slot], p->window, p->epoch);
        pthread_mutex_lock(&p->mu);
        if (st) {
            p->st = st;
            snprintf(p->msg, sizeof p->msg, "%s", eegnn_last_error());
            pthread_cond_broadcast(&p->cv);
            pthread_mutex_unlock(&p->mu);
            break;
        }
        p->produced = k + 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* Stops the loader (if running) and frees its buffers. */
static void eegnn__prefetch_end(eegnn__prefetch *p) {
    int i;
    if (p->running) {
        pthread_mutex_lock(&p->mu);
        p->stop = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        p->running = 0;
    }
    for (i = 0; i < EEGNN__PREFETCH; i++) {
        EEGNN_FREE(p->x[i]);
        EEGNN_FREE(p->y[i]);
        p->x[i] = p->y[i] = NULL;
    }
    EEGNN_FREE(p->window);
    p->window = NULL;
}

/* Starts loading n_batches batches of order[] in the background. */
static eegnn_status eegnn__prefetch_start(eegnn__prefetch *p, const eegnn__run *tr, const int *order,
                                          int n_batches, int epoch) {
    size_t per = (size_t)tr->batch * (size_t)tr->n_ch * (size_t)tr->n_times;
    int i;
    memset(p, 0, sizeof *p);
    p->tr = tr;
    p->order = order;
    p->n_batches = n_batches;
    p->epoch = epoch;
    for (i = 0; i < EEGNN__PREFETCH; i++) {
        p->x[i] = (float *)eegnn__calloc(per, sizeof(float));
        p->y[i] = (float *)eegnn__calloc((size_t)tr->batch, sizeof(float));
        if (!p->x[i] || !p->y[i]) break;
    }
    p->window = (float *)eegnn__calloc((size_t)tr->n_ch * (size_t)tr->n_times, sizeof(float));
    if (i < EEGNN__PREFETCH || !p->window) {
        eegnn__prefetch_end(p);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory for the batch prefetch buffers");
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        eegnn__prefetch_end(p);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "cannot create the prefetch lock");
    }
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        eegnn__prefetch_end(p);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "cannot create the prefetch condition");
    }
    if (pthread_create(&p->thread, NULL, eegnn__prefetch_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        eegnn__prefetch_end(p);
        return eegnn_set_error(EEGNN_ERR_MEMORY, "cannot start the prefetch thread");
    }
    p->running = 1;
    return EEGNN_OK;
}

/* Copies batch k (the next one) into the graph's x and y, waiting for the loader. */
static eegnn_status eegnn__prefetch_next(eegnn__prefetch *p, eegnn__run *tr, int k) {
    int slot = k % EEGNN__PREFETCH;
    size_t per = (size_t)tr->batch * (size_t)tr->n_ch * (size_t)tr->n_times;
    pthread_mutex_lock(&p->mu);
    while (p->produced <= k && !p->st) pthread_cond_wait(&p->cv, &p->mu);
    if (p->produced <= k) {
        eegnn_status st = p->st;
        pthread_mutex_unlock(&p->mu);
        return eegnn_set_error(st, "%s", p->msg);
    }
    pthread_mutex_unlock(&p->mu);
    memcpy(tr->x->data, p->x[slot], per * sizeof(float));
    memcpy(tr->y->data, p->y[slot], (size_t)tr->batch * sizeof(float));
    pthread_mutex_lock(&p->mu);
    p->consumed = k + 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return EEGNN_OK;
}

/* Input statistics per channel and target statistics from the training split. */
static eegnn_status eegnn__fit_standardization(eegnn__run *tr) {
    double *sum = (double *)eegnn__calloc((size_t)tr->n_ch * 2, sizeof(double));
    double ysum = 0.0, ysq = 0.0, n_samples;
    int i, c, t;
    if (!sum) return EEGNN_ERR_MEMORY;
    for (i = 0; i < tr->n_idx[0]; i++) {
        float target = 0.0f;
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

/* Builds the graph, doubling the arena until the model, its gradient pool
 * and scratch fit. */
static eegnn_status eegnn__build_graph(eegnn__run *tr) {
    size_t arena = (size_t)64 << 20;
    const eegnn_train_config *cfg = tr->cfg;
    for (;;) {
        eegnn_graph_config gc;
        int xs[3], ys[1], ks[1];
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
        tr->mc.n_chans = tr->n_ch;
        tr->mc.n_times = tr->n_times;
        tr->mc.n_outputs = tr->n_classes ? tr->n_classes : 1;
        tr->x = eegnn_input(tr->g, "x", 3, xs);
        tr->y = eegnn_input(tr->g, "y", 1, ys);
        tr->out = eegnn_model_build(tr->g, cfg->model ? cfg->model : "cnn", tr->x, &tr->mc);
        tr->class_w = NULL;
        if (tr->n_classes && cfg->class_weights && strcmp(cfg->class_weights, "none")) {
            ks[0] = tr->n_classes;
            tr->class_w = eegnn_input(tr->g, "class_weight", 1, ks);
        }
        tr->loss = eegnn_loss(tr->g, tr->n_classes ? EEGNN_LOSS_CROSS_ENTROPY : tr->l1 ? EEGNN_LOSS_L1 : EEGNN_LOSS_MSE,
                              tr->out, tr->y, tr->class_w);
        if (tr->loss && eegnn_graph_prepare(tr->g) == EEGNN_OK) return EEGNN_OK;
        eegnn_graph_free(tr->g);
        tr->g = NULL;
        if (!strstr(eegnn_last_error(), "arena full") || arena >= ((size_t)16 << 30)) return EEGNN_ERR_ARG;
        arena *= 2;
    }
}

/* Per-window loss of a row of outputs o against target y (z-scored for regression). */
static double eegnn__window_loss(const eegnn__run *tr, const float *o, float y) {
    int k, n_out = tr->n_classes;
    if (tr->n_classes) { /* cross-entropy from logits */
        float mx = o[0];
        double s = 0.0;
        for (k = 1; k < n_out; k++) mx = EEGNN__MAX(mx, o[k]);
        for (k = 0; k < n_out; k++) s += exp((double)(o[k] - mx));
        return log(s) + mx - o[(int)y];
    } else {
        double d = (double)o[0] - y;
        return tr->l1 ? fabs(d) : d * d;
    }
}

/* Runs the model over one split in eval mode; fills m and tr->pred/truth. */
static eegnn_status eegnn__evaluate(eegnn__run *tr, int split, eegnn_split_metrics *m) {
    int n = tr->n_idx[split], n_out = tr->n_classes ? tr->n_classes : 1, i, b, k;
    double loss = 0.0, wsum = 0.0;
    const int *idx = tr->idx[split];
    int *yi = NULL, *pi = NULL, *sub = NULL;
    double *yt = NULL, *yp = NULL, *score = NULL;
    eegnn_status st = EEGNN_OK;
    memset(m, 0, sizeof *m);
    m->pearson_r = m->r2 = m->rmse = m->nrmse = m->mae = NAN;
    m->accuracy = m->balanced_accuracy = m->roc_auc = NAN;
    m->loss = NAN;
    if (tr->cfg->eval_windows > 0 && n > tr->cfg->eval_windows) {
        int n_sub = tr->cfg->eval_windows;
        sub = (int *)eegnn__calloc((size_t)n_sub, sizeof(int));
        if (!sub) return EEGNN_ERR_MEMORY;
        for (i = 0; i < n_sub; i++) sub[i] = idx[(int)((int64_t)i * n / n_sub)];
        idx = sub;
        n = n_sub;
    }
    m->n_windows = n;
    if (!n) return EEGNN_OK;
    eegnn_trainer_eval_begin(tr->t);
    for (i = 0; i < n; i += tr->batch) {
        int nb = EEGNN__MIN(tr->batch, n - i);
        st = eegnn__fill_batch(tr, idx + i, nb, 0);
        if (st) goto done;
        eegnn_graph_forward_to(tr->g, tr->out);
        for (b = 0; b < nb; b++) {
            const float *o = tr->out->data + (size_t)b * n_out;
            float y = tr->y->data[b];
            double w = tr->class_w ? tr->class_w->data[(int)y] : 1.0;
            memcpy(tr->pred + (size_t)(i + b) * n_out, o, (size_t)n_out * sizeof(float));
            tr->truth[i + b] = y;
            loss += w * eegnn__window_loss(tr, o, y);
            wsum += w;
        }
    }
    m->loss = loss / wsum;
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
    eegnn_trainer_eval_end(tr->t);
    EEGNN_FREE(yi);
    EEGNN_FREE(pi);
    EEGNN_FREE(score);
    EEGNN_FREE(yt);
    EEGNN_FREE(yp);
    EEGNN_FREE(sub);
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

/* The group -> split assignment of a run (k-fold or train/valid/test):
 * stratified by the class counts of each group's windows for
 * classification targets, plain for regression. */
static eegnn_status eegnn__assign_groups(const eegnn_train_config *cfg, const eegnn_dataset *data, int *assign) {
    int n_groups = eegnn_dataset_n_groups(data), n_classes = eegnn_dataset_n_classes(data);
    int n = eegnn_dataset_n_windows(data), *count = NULL, i;
    double valid = cfg->valid_fraction > 0 ? cfg->valid_fraction : 0.2;
    /* unset: 0.2; negative: none, as model files written before EEGNN_UNSET say it */
    double test = cfg->test_fraction < 0 && cfg->test_fraction != EEGNN_UNSET ? 0.0
                                                                            : EEGNN__UNSET_OR(cfg->test_fraction, 0.2);
    eegnn_status st;
    if (n_classes > 0) {
        count = (int *)eegnn__calloc((size_t)n_groups * (size_t)n_classes, sizeof(int));
        if (!count) return EEGNN_ERR_MEMORY;
        for (i = 0; i < n; i++) count[(size_t)eegnn_dataset_group(data, i) * n_classes + (int)eegnn_dataset_target(data, i)]++;
    }
    if (cfg->n_folds > 1)
        st = eegnn_kfold_groups(n_groups, n_classes, count, cfg->n_folds, cfg->fold, cfg->seed, assign);
    else if (count)
        st = eegnn_split_groups_stratified(n_groups, n_classes, count, valid, test, cfg->seed, assign);
    else
        st = eegnn_split_groups(n_groups, valid, test, cfg->seed, assign);
    EEGNN_FREE(count);
    return st;
}

static void eegnn__dataset_config(const eegnn_train_config *cfg, eegnn_dataset_config *dc) {
    memset(dc, 0, sizeof *dc);
    dc->task = cfg->task;
    dc->target = cfg->target;
    dc->event_column = cfg->event_column;
    dc->window_seconds = cfg->window_seconds;
    dc->stride_seconds = cfg->stride_seconds;
    dc->tmin = cfg->tmin;
    dc->tmax = cfg->tmax;
    if (cfg->tmin == 0 && cfg->tmax == 0) {
        dc->tmin = 0.5;
        dc->tmax = 2.5;
    }
    dc->split = cfg->split ? cfg->split : "subject";
    dc->max_memory = cfg->max_memory;
    dc->stream = cfg->stream;
    dc->cache_dir = cfg->cache_dir;
    dc->cache_dtype = cfg->cache_dtype;
    dc->scale = cfg->preprocess.scale;
    dc->pick_types = cfg->preprocess.pick_types;
    dc->channels = cfg->preprocess.channels;
    dc->reference = cfg->preprocess.reference;
    dc->l_freq = cfg->preprocess.l_freq;
    dc->h_freq = cfg->preprocess.h_freq;
    dc->filter_order = cfg->preprocess.filter_order;
    dc->notch_freq = cfg->preprocess.notch_freq;
    dc->notch_width = cfg->preprocess.notch_width;
    dc->notch_order = cfg->preprocess.notch_order;
    dc->sfreq = cfg->preprocess.sfreq;
    dc->reject = cfg->preprocess.reject;
    dc->flat = cfg->preprocess.flat;
    dc->standardize = cfg->preprocess.standardize;
    dc->ems_factor_new = cfg->preprocess.ems_factor_new;
    dc->ems_init_block_size = cfg->preprocess.ems_init_block_size;
    dc->standardize_eps = cfg->preprocess.standardize_eps;
    dc->crop_seconds = cfg->crop_seconds;
}

/* One augmentation item: "name:p[:a[:b]]". */
static eegnn_status eegnn__augment_item(const char *item, int n_times, double sfreq, eegnn_augment *a) {
    char name[32];
    double v[4];
    int n = 0;
    const char *p = strchr(item, ':'), *q;
    size_t len = p ? (size_t)(p - item) : strlen(item);
    memset(a, 0, sizeof *a);
    if (len == 0 || len >= sizeof name)
        return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': expected name:probability", item);
    memcpy(name, item, len);
    name[len] = 0;
    while (p && *p == ':') {
        char num[64];
        q = strchr(p + 1, ':');
        len = q ? (size_t)(q - p - 1) : strlen(p + 1);
        if (n == 4 || len == 0 || len >= sizeof num)
            return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': bad parameter list", item);
        memcpy(num, p + 1, len);
        num[len] = 0;
        if (!eegnn__parse_double(num, &v[n]) || !isfinite(v[n]))
            return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': '%s' is not a number", item, num);
        n++;
        p = q;
    }
    if (n < 1) return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': the probability is missing (name:p)", item);
    if (!(v[0] >= 0 && v[0] <= 1))
        return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': probability %g is not in [0, 1]", item, v[0]);
    a->probability = v[0];
    if (!strcmp(name, "time_shift") && n <= 2) {
        a->kind = EEGNN_AUG_TIME_SHIFT;
        a->max_shift = n > 1 ? (int)floor(v[1] * sfreq + 0.5) : n_times / 10;
        if (a->max_shift < 0 || a->max_shift > n_times)
            return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': the shift must be 0 .. %g s", item, n_times / sfreq);
    } else if (!strcmp(name, "amplitude_scale") && (n == 1 || n == 3)) {
        a->kind = EEGNN_AUG_AMPLITUDE_SCALE;
        a->scale_low = n > 1 ? v[1] : 0.5;
        a->scale_high = n > 1 ? v[2] : 2.0;
        if (!(a->scale_low <= a->scale_high))
            return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': low %g > high %g", item, a->scale_low, a->scale_high);
    } else if (!strcmp(name, "gaussian_noise") && n <= 2) {
        a->kind = EEGNN_AUG_GAUSSIAN_NOISE;
        a->std = n > 1 ? v[1] : 0.1;
        if (!(a->std >= 0)) return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': std must be >= 0", item);
    } else if (!strcmp(name, "channels_dropout") && n <= 2) {
        a->kind = EEGNN_AUG_CHANNELS_DROPOUT;
        a->p_drop = n > 1 ? v[1] : 0.2;
        if (!(a->p_drop >= 0 && a->p_drop <= 1))
            return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': p_drop must be in [0, 1]", item);
    } else if (!strcmp(name, "smooth_time_mask") && n <= 2) {
        a->kind = EEGNN_AUG_SMOOTH_TIME_MASK;
        a->mask_len_samples = n > 1 ? (int)floor(v[1] * sfreq + 0.5) : EEGNN__MAX(1, n_times / 10);
        if (a->mask_len_samples < 1 || a->mask_len_samples > n_times)
            return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': the mask must be 1 .. %d samples", item, n_times);
    } else if (!strcmp(name, "sign_flip") && n == 1) {
        a->kind = EEGNN_AUG_SIGN_FLIP;
    } else {
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "augment '%s': unknown transform or wrong parameter count (time_shift:p[:s], "
                               "amplitude_scale:p[:low:high], gaussian_noise:p[:std], channels_dropout:p[:p_drop], "
                               "smooth_time_mask:p[:s], sign_flip:p)", item);
    }
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_augment_parse(const char *spec, int n_times, double sfreq, eegnn_augment *augs,
                                           int max_augs, int *n_augs) {
    const char *p = spec;
    char item[128];
    eegnn_status st;
    if (!spec || !augs || !n_augs || n_times < 1 || !(sfreq > 0))
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_augment_parse: bad arguments");
    *n_augs = 0;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len >= sizeof item || (e && !e[1]))
            return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': empty or overlong item", spec);
        if (*n_augs == max_augs)
            return eegnn_set_error(EEGNN_ERR_ARG, "augment '%s': more than %d transforms", spec, max_augs);
        memcpy(item, p, len);
        item[len] = 0;
        if ((st = eegnn__augment_item(item, n_times, sfreq, &augs[*n_augs]))) return st;
        (*n_augs)++;
        p = e ? e + 1 : p + len;
    }
    if (*n_augs == 0) return eegnn_set_error(EEGNN_ERR_ARG, "augment: empty list");
    return EEGNN_OK;
}

/* "m:ss" or "h:mm:ss" */
static void eegnn__clock(char *buf, size_t size, double seconds) {
    long s = seconds > 0 && seconds < 1e9 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600) snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

/* The progress bar of a training epoch (terminals): steps done, the running
 * loss, the time since training started and the estimated time left for the
 * whole run (epochs since start_epoch, from the pace so far). */
static void eegnn__progress(const eegnn__run *tr, int epoch, int start_epoch, int epochs, int done, int total,
                            double loss, double t_train) {
    int width = 30, filled = total ? done * width / total : width, k;
    char bar[40], el[32], eta[32];
    double elapsed = eegnn_time_seconds() - t_train;
    double frac = ((epoch - 1 - start_epoch) + (total ? (double)done / total : 1.0)) / (epochs - start_epoch);
    FILE *log = tr->cfg->log ? tr->cfg->log : stdout;
    for (k = 0; k < width; k++) bar[k] = k < filled ? '#' : '.';
    bar[width] = '\0';
    eegnn__clock(el, sizeof el, elapsed);
    eegnn__clock(eta, sizeof eta, frac > 0 ? elapsed * (1.0 / frac - 1.0) : 0.0);
    fprintf(log, "\repoch %3d/%d [%s] %d/%d  loss %.4f  %s elapsed, ETA %s ", epoch, epochs, bar, done, total, loss, el,
            eta);
    fflush(log);
}

EEGNN_API eegnn_status eegnn_class_weights_balanced(const int *y, int n, int n_classes, float *weights) {
    int i, *count;
    if (!y || !weights || n <= 0 || n_classes <= 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_class_weights_balanced: %d labels of %d classes", n, n_classes);
    count = (int *)eegnn__calloc((size_t)n_classes, sizeof(int));
    if (!count) return EEGNN_ERR_MEMORY;
    for (i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= n_classes) {
            EEGNN_FREE(count);
            return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_class_weights_balanced: label %d at %d is not in 0..%d",
                                   y[i], i, n_classes - 1);
        }
        count[y[i]]++;
    }
    for (i = 0; i < n_classes; i++)
        weights[i] = count[i] ? (float)((double)n / ((double)n_classes * (double)count[i])) : 0.0f;
    EEGNN_FREE(count);
    return EEGNN_OK;
}

/* Model configuration as a JSON object (every field, resolved from the
 * data). "format": 2 says that drop_prob, norm_first and gelu follow the
 * EEGNN_UNSET convention (written as -2147483648); files without it predate
 * it (0: the model's default, negative: none / off). */
static void eegnn__model_config_json(eegnn__strbuf *sb, const eegnn_model_config *c) {
    eegnn__sb_printf(sb,
                     "{\"format\": 2, \"n_chans\": %d, \"n_outputs\": %d, \"n_times\": %d, \"sfreq\": %.9g, \"n_filters\": %d, "
                     "\"kernel_size\": %d, \"hidden\": %d, \"pool_size\": %d, \"pool_stride\": %d, "
                     "\"drop_prob\": %.9g, \"d_model\": %d, \"n_heads\": %d, \"n_layers\": %d, "
                     "\"dim_feedforward\": %d, \"norm_first\": %d, \"gelu\": %d, \"F1\": %d, \"D\": %d, \"F2\": %d}",
                     c->n_chans, c->n_outputs, c->n_times, (double)c->sfreq, c->n_filters, c->kernel_size, c->hidden,
                     c->pool_size, c->pool_stride, c->drop_prob == EEGNN_UNSET ? -2147483648.0 : (double)c->drop_prob, c->d_model, c->n_heads, c->n_layers,
                     c->dim_feedforward, c->norm_first, c->gelu, c->F1, c->D, c->F2);
}

/* Value of "key": NUMBER in a flat JSON object; dflt when absent. */
static double eegnn__tr_json_number(const char *json, const char *key, double dflt) {
    char pat[64];
    const char *p;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    p = json ? strstr(json, pat) : NULL;
    if (!p) return dflt;
    return strtod(p + strlen(pat), NULL);
}

static void eegnn__model_config_parse(const char *json, eegnn_model_config *c) {
    memset(c, 0, sizeof *c);
    c->n_chans = (int)eegnn__tr_json_number(json, "n_chans", 0);
    c->n_outputs = (int)eegnn__tr_json_number(json, "n_outputs", 0);
    c->n_times = (int)eegnn__tr_json_number(json, "n_times", 0);
    c->sfreq = (float)eegnn__tr_json_number(json, "sfreq", 0);
    c->n_filters = (int)eegnn__tr_json_number(json, "n_filters", 0);
    c->kernel_size = (int)eegnn__tr_json_number(json, "kernel_size", 0);
    c->hidden = (int)eegnn__tr_json_number(json, "hidden", 0);
    c->pool_size = (int)eegnn__tr_json_number(json, "pool_size", 0);
    c->pool_stride = (int)eegnn__tr_json_number(json, "pool_stride", 0);
    c->drop_prob = (float)eegnn__tr_json_number(json, "drop_prob", 0);
    c->d_model = (int)eegnn__tr_json_number(json, "d_model", 0);
    c->n_heads = (int)eegnn__tr_json_number(json, "n_heads", 0);
    c->n_layers = (int)eegnn__tr_json_number(json, "n_layers", 0);
    c->dim_feedforward = (int)eegnn__tr_json_number(json, "dim_feedforward", 0);
    c->norm_first = (int)eegnn__tr_json_number(json, "norm_first", 0);
    c->gelu = (int)eegnn__tr_json_number(json, "gelu", 0);
    c->F1 = (int)eegnn__tr_json_number(json, "F1", 0);
    c->D = (int)eegnn__tr_json_number(json, "D", 0);
    c->F2 = (int)eegnn__tr_json_number(json, "F2", 0);
    if (eegnn__tr_json_number(json, "format", 1) < 2) { /* written before EEGNN_UNSET */
        c->drop_prob = c->drop_prob == 0.0f ? (float)EEGNN_UNSET : c->drop_prob < 0.0f ? 0.0f : c->drop_prob;
        c->norm_first = c->norm_first == 0 ? EEGNN_UNSET : c->norm_first > 0;
        c->gelu = c->gelu == 0 ? EEGNN_UNSET : c->gelu > 0;
    } else if (c->drop_prob < -1e9f) {
        c->drop_prob = EEGNN_UNSET;
    }
}

/* Parses "[a,b,...]" into n floats; returns the count read. */
static int eegnn__parse_floats(const char *s, float *out, int n) {
    int k = 0;
    char *end;
    if (!s) return 0;
    while (*s && *s != '[') s++;
    if (*s) s++;
    while (k < n) {
        double v = strtod(s, &end);
        if (end == s) break;
        out[k++] = (float)v;
        s = end;
        while (*s == ' ' || *s == ',') s++;
    }
    return k;
}

/* Metadata shared by best.safetensors and last.safetensors: what predict
 * and resume need to rebuild the data pipeline and the model. */
static void eegnn__meta_common(eegnn__meta *m, const eegnn__run *tr, const eegnn_dataset_config *dc,
                               int best_epoch) {
    const eegnn_train_config *cfg = tr->cfg;
    eegnn__strbuf mean = {0, 0, 0, 0}, sd = {0, 0, 0, 0}, mcj = {0, 0, 0, 0}, cls = {0, 0, 0, 0};
    int c;
    for (c = 0; c < tr->n_ch; c++) {
        eegnn__sb_printf(&mean, "%s%.9g", c ? "," : "", tr->ch_mean[c]);
        eegnn__sb_printf(&sd, "%s%.9g", c ? "," : "", tr->ch_std[c]);
    }
    eegnn__sb_printf(&cls, "[");
    for (c = 0; c < tr->n_classes; c++) {
        if (c) eegnn__sb_printf(&cls, ", ");
        eegnn__sb_json_string(&cls, eegnn_dataset_class_name(tr->data, c));
    }
    eegnn__sb_printf(&cls, "]");
    eegnn__model_config_json(&mcj, &tr->mc);
    eegnn__meta_add(m, "model", "%s", cfg->model ? cfg->model : "cnn");
    eegnn__meta_add(m, "model_config", "%s", mcj.p ? mcj.p : "{}");
    eegnn__meta_add(m, "target", "%s", cfg->target);
    eegnn__meta_add(m, "task", "%s", cfg->task ? cfg->task : "");
    if (cfg->event_column) eegnn__meta_add(m, "event_column", "%s", cfg->event_column);
    eegnn__meta_add(m, "split", "%s", dc->split);
    eegnn__meta_add(m, "window_seconds", "%.17g", dc->window_seconds);
    eegnn__meta_add(m, "stride_seconds", "%.17g", dc->stride_seconds);
    eegnn__meta_add(m, "tmin", "%.17g", dc->tmin);
    eegnn__meta_add(m, "tmax", "%.17g", dc->tmax);
    eegnn__meta_add(m, "crop_seconds", "%.17g", dc->crop_seconds);
    eegnn__meta_add(m, "n_classes", "%d", tr->n_classes);
    eegnn__meta_add(m, "class_names", "%s", cls.p ? cls.p : "[]");
    eegnn__meta_add(m, "input_mean", "[%s]", mean.p ? mean.p : "");
    eegnn__meta_add(m, "input_std", "[%s]", sd.p ? sd.p : "");
    eegnn__meta_add(m, "target_mean", "%.17g", tr->y_mean);
    eegnn__meta_add(m, "target_std", "%.17g", tr->y_std);
    eegnn__meta_add(m, "loss", "%s", tr->n_classes ? (tr->class_w ? "weighted_cross_entropy" : "cross_entropy")
                                                    : (tr->l1 ? "l1" : "mse"));
    eegnn__meta_add(m, "batch_size", "%d", tr->batch);
    eegnn__meta_add(m, "bids_root", "%s", cfg->bids_root);
    eegnn__meta_add(m, "seed", "%llu", (unsigned long long)cfg->seed);
    eegnn__meta_add(m, "n_folds", "%d", cfg->n_folds > 1 ? cfg->n_folds : 0);
    eegnn__meta_add(m, "fold", "%d", cfg->n_folds > 1 ? cfg->fold : 0);
    eegnn__meta_add(m, "valid_fraction", "%.17g", cfg->valid_fraction);
    eegnn__meta_add(m, "test_fraction", "%.17g", cfg->test_fraction);
    if (best_epoch >= 0) eegnn__meta_add(m, "best_epoch", "%d", best_epoch);
    eegnn__meta_add(m, "pre_scale", "%.17g", dc->scale);
    eegnn__meta_add(m, "pre_pick_types", "%s", dc->pick_types ? dc->pick_types : "");
    eegnn__meta_add(m, "pre_channels", "%s", dc->channels ? dc->channels : "");
    eegnn__meta_add(m, "pre_reference", "%s", dc->reference ? dc->reference : "");
    eegnn__meta_add(m, "pre_filter", "%.17g,%.17g,%d", dc->l_freq, dc->h_freq, dc->filter_order);
    eegnn__meta_add(m, "pre_notch", "%.17g,%.17g,%d", dc->notch_freq, dc->notch_width, dc->notch_order);
    eegnn__meta_add(m, "pre_sfreq", "%.17g", dc->sfreq);
    eegnn__meta_add(m, "pre_reject", "%.17g,%.17g", dc->reject, dc->flat);
    eegnn__meta_add(m, "pre_standardize", "%s,%.17g,%lld,%.17g", dc->standardize ? dc->standardize : "none",
                    dc->ems_factor_new, (long long)dc->ems_init_block_size, dc->standardize_eps);
    eegnn__meta_add(m, "eegnn_version", "%s", EEGNN_VERSION_STRING);
    if (mean.failed || sd.failed || mcj.failed || cls.failed) m->failed = 1;
    eegnn__sb_free(&mean);
    eegnn__sb_free(&sd);
    eegnn__sb_free(&mcj);
    eegnn__sb_free(&cls);
}

static int eegnn__optimizer_type(const char *s, eegnn_optimizer_type *t) {
    if (!s || !strcmp(s, "adamw")) *t = EEGNN_OPTIM_ADAMW;
    else if (!strcmp(s, "adam")) *t = EEGNN_OPTIM_ADAM;
    else if (!strcmp(s, "sgd")) *t = EEGNN_OPTIM_SGD;
    else if (!strcmp(s, "adamax")) *t = EEGNN_OPTIM_ADAMAX;
    else return 0;
    return 1;
}

EEGNN_API eegnn_train_config eegnn_train_config_default(void) {
    eegnn_train_config c;
    memset(&c, 0, sizeof c);
    c.weight_decay = EEGNN_UNSET;
    c.warmup_epochs = EEGNN_UNSET;
    c.test_fraction = EEGNN_UNSET;
    c.plateau_patience = EEGNN_UNSET;
    c.head_weight_decay = EEGNN_UNSET;
    c.model_config = eegnn_model_config_default();
    return c;
}

EEGNN_API void eegnn_train_config_resolve(const eegnn_train_config *cfg, eegnn_train_config *out) {
    if (!cfg || !out) return;
    *out = *cfg;
    if (!out->split) out->split = "subject";
    if (!out->model) out->model = "cnn";
    if (out->epochs <= 0) out->epochs = 20;
    if (out->batch_size <= 0) out->batch_size = 64;
    if (!(out->lr > 0)) out->lr = 1e-3f;
    out->weight_decay = EEGNN__UNSET_OR(out->weight_decay, 0.01f);
    if (!out->optimizer) out->optimizer = "adamw";
    if (!out->loss) out->loss = "mse";
    if (!out->scheduler) out->scheduler = "cosine";
    if (out->warmup_epochs == EEGNN_UNSET) out->warmup_epochs = out->epochs > 4 && !strcmp(out->scheduler, "cosine");
    if (out->step_size <= 0) out->step_size = EEGNN__MAX(1, out->epochs / 3);
    if (!(out->gamma > 0)) out->gamma = 0.1f;
    if (!(out->plateau_factor > 0)) out->plateau_factor = 0.1f;
    out->plateau_patience = EEGNN__UNSET_OR(out->plateau_patience, 10);
    if (out->accumulate <= 0) out->accumulate = 1;
    if (!out->class_weights) out->class_weights = "none";
    if (!out->head_prefix || !*out->head_prefix) out->head_prefix = "final_layer";
    if (!out->out_dir) out->out_dir = "eegnn-out";
    if (out->valid_fraction == 0) out->valid_fraction = 0.2;
    out->test_fraction = EEGNN__UNSET_OR(out->test_fraction, 0.2);
    if (out->window_seconds == 0) out->window_seconds = 2.0;
    if (out->stride_seconds == 0) out->stride_seconds = out->window_seconds;
    if (out->tmin == 0 && out->tmax == 0) {
        out->tmin = 0.5;
        out->tmax = 2.5;
    }
    if (!out->cache_dtype) out->cache_dtype = "float32";
    if (out->preprocess.scale == 0) out->preprocess.scale = 1e6;
    if (out->preprocess.filter_order == 0) out->preprocess.filter_order = 4;
    if (out->preprocess.notch_width == 0) out->preprocess.notch_width = 1.0;
    if (out->preprocess.ems_factor_new == 0) out->preprocess.ems_factor_new = 1e-3;
}

/* Loading progress (eegnn_dataset_config.progress): a line redrawn on a
 * terminal, else the first and last lines only. */
typedef struct eegnn__load_progress {
    FILE *log;
    int tty;
    double t0;
} eegnn__load_progress;

static void eegnn__on_load(void *user, int n_read, int n_total, int n_windows) {
    eegnn__load_progress *lp = (eegnn__load_progress *)user;
    char el[32];
    eegnn__clock(el, sizeof el, eegnn_time_seconds() - lp->t0);
    if (lp->tty) {
        fprintf(lp->log, "\rloading recordings %d/%d, %d windows  %s", n_read, n_total, n_windows, el);
        if (n_read == n_total) fprintf(lp->log, "\n");
    } else if (n_read == 0) {
        fprintf(lp->log, "loading %d recordings\n", n_total);
    } else if (n_read == n_total) {
        fprintf(lp->log, "loaded %d recordings, %d windows in %s\n", n_read, n_windows, el);
    }
    fflush(lp->log);
}

/* Warnings about the split (printed and listed in metrics.json): a split
 * with a single class or a missing training class (classification); test
 * targets beyond the training range (regression). */
static void eegnn__split_warnings(const eegnn__run *tr, eegnn__strbuf *w) {
    int s, i, k;
    if (tr->n_classes) {
        int *count = (int *)eegnn__calloc((size_t)tr->n_classes * 3, sizeof(int));
        if (!count) return;
        for (s = 0; s < 3; s++)
            for (i = 0; i < tr->n_idx[s]; i++) count[s * tr->n_classes + (int)eegnn_dataset_target(tr->data, tr->idx[s][i])]++;
        for (s = 1; s < 3; s++) {
            int present = 0, only = 0;
            if (!tr->n_idx[s]) continue;
            for (k = 0; k < tr->n_classes; k++)
                if (count[s * tr->n_classes + k]) {
                    present++;
                    only = k;
                }
            if (present == 1)
                eegnn__sb_printf(w, "%s%s split has a single class ('%s', %d windows): its balanced accuracy and "
                                    "ROC AUC say nothing about the model; use more groups or another split unit",
                                 w->len ? "\n" : "", eegnn__split_names[s], eegnn_dataset_class_name(tr->data, only),
                                 tr->n_idx[s]);
        }
        for (k = 0; k < tr->n_classes; k++)
            if (!count[k])
                eegnn__sb_printf(w, "%sthe train split has no window of class '%s'", w->len ? "\n" : "",
                                 eegnn_dataset_class_name(tr->data, k));
        EEGNN_FREE(count);
    } else if (tr->n_idx[2] > 0) {
        double lo = INFINITY, hi = -INFINITY, tlo = INFINITY, thi = -INFINITY;
        int outside = 0;
        for (i = 0; i < tr->n_idx[0]; i++) {
            double y = eegnn_dataset_target(tr->data, tr->idx[0][i]);
            lo = y < lo ? y : lo;
            hi = y > hi ? y : hi;
        }
        for (i = 0; i < tr->n_idx[2]; i++) {
            double y = eegnn_dataset_target(tr->data, tr->idx[2][i]);
            tlo = y < tlo ? y : tlo;
            thi = y > thi ? y : thi;
            outside += y < lo || y > hi;
        }
        if (outside)
            eegnn__sb_printf(w, "%stest targets span [%g, %g], beyond the training range [%g, %g]: %d of %d test "
                                "windows ask the model to extrapolate",
                             w->len ? "\n" : "", tlo, thi, lo, hi, outside, tr->n_idx[2]);
    }
}

/* 0 cosine (NULL), 1 step, 2 plateau, 3 none; -1 unknown. */
static int eegnn__scheduler_index(const char *name) {
    if (!name || !strcmp(name, "cosine")) return 0;
    if (!strcmp(name, "step")) return 1;
    if (!strcmp(name, "plateau")) return 2;
    if (!strcmp(name, "none")) return 3;
    return -1;
}

/* The settings of a training config that need no data. */
static eegnn_status eegnn__train_check_settings(const eegnn_train_config *cfg) {
    eegnn_optimizer_type ot;
    const char *fn = "eegnn_train";
    if (!cfg->bids_root || !cfg->target)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: bids_root and target are required", fn);
    if (!eegnn__optimizer_type(cfg->optimizer, &ot))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: unknown optimizer '%s' (adamw, adam, sgd, adamax)", fn,
                               cfg->optimizer);
    if (eegnn__scheduler_index(cfg->scheduler) < 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: unknown scheduler '%s' (cosine, step, plateau, none)", fn,
                               cfg->scheduler);
    if (cfg->loss && strcmp(cfg->loss, "mse") && strcmp(cfg->loss, "l1"))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: unknown loss '%s' (mse, l1)", fn, cfg->loss);
    if (cfg->class_weights && strcmp(cfg->class_weights, "none") && strcmp(cfg->class_weights, "balanced"))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: class weights '%s' (balanced or none)", fn, cfg->class_weights);
    if (cfg->ema_decay < 0 || cfg->ema_decay >= 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: EMA decay %g is not in (0, 1)", fn, (double)cfg->ema_decay);
    if (cfg->epochs < 0 || cfg->batch_size < 0 || cfg->accumulate < 0 || cfg->steps_per_epoch < 0 ||
        cfg->eval_windows < 0 || cfg->patience < 0 || cfg->freeze_backbone_epochs < 0 || cfg->step_size < 0 ||
        cfg->n_threads < 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: epochs, batch_size, accumulate, steps_per_epoch, eval_windows, "
                               "patience, freeze_backbone_epochs, step_size and n_threads must be >= 0 (0: default)", fn);
    if (!(cfg->lr >= 0) || !(cfg->gamma >= 0) || !(cfg->plateau_factor >= 0 && cfg->plateau_factor < 1) ||
        !(cfg->clip_grad_norm >= 0) || !(cfg->head_lr >= 0) || !isfinite(cfg->lr))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: lr %g, gamma %g, clip_grad_norm %g and head_lr %g must be >= 0, "
                               "plateau_factor %g in [0, 1)", fn, (double)cfg->lr, (double)cfg->gamma,
                               (double)cfg->clip_grad_norm, (double)cfg->head_lr, (double)cfg->plateau_factor);
    if ((cfg->weight_decay != EEGNN_UNSET && !(cfg->weight_decay >= 0 && isfinite(cfg->weight_decay))) ||
        (cfg->head_weight_decay != EEGNN_UNSET && !(cfg->head_weight_decay >= 0 && isfinite(cfg->head_weight_decay))) ||
        (cfg->warmup_epochs != EEGNN_UNSET && cfg->warmup_epochs < 0) ||
        (cfg->plateau_patience != EEGNN_UNSET && cfg->plateau_patience < 0) ||
        (cfg->test_fraction != EEGNN_UNSET && !(cfg->test_fraction >= 0)))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: weight_decay %g, head_weight_decay %g, warmup_epochs %d, "
                               "plateau_patience %d and test_fraction %g must be >= 0 (0: none; EEGNN_UNSET: the "
                               "default)", fn, (double)cfg->weight_decay, (double)cfg->head_weight_decay,
                               cfg->warmup_epochs, cfg->plateau_patience, cfg->test_fraction);
    if (!(cfg->valid_fraction >= 0) || !(cfg->valid_fraction < 1) || !(EEGNN__UNSET_OR(cfg->test_fraction, 0.2) < 1) ||
        (cfg->n_folds <= 1 &&
         !((cfg->valid_fraction > 0 ? cfg->valid_fraction : 0.2) + EEGNN__UNSET_OR(cfg->test_fraction, 0.2) < 1)))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: valid_fraction %g and test_fraction %g must be in [0, 1) and sum "
                               "to less than 1", fn, cfg->valid_fraction, EEGNN__UNSET_OR(cfg->test_fraction, 0.2));
    if (eegnn_model_config_check(&cfg->model_config))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: %s", fn, eegnn_last_error());
    if (cfg->n_folds < 0 || cfg->n_folds == 1 || (cfg->n_folds > 1 && (cfg->fold < 0 || cfg->fold >= cfg->n_folds)))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: fold %d of n_folds %d (n_folds 0 or >= 2, fold in 0..n_folds-1)",
                               fn, cfg->fold, cfg->n_folds);
    if (cfg->max_memory < 0)
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: max_memory %lld must be >= 0 (0: unlimited)", fn,
                               (long long)cfg->max_memory);
    if (cfg->cache_dtype && strcmp(cfg->cache_dtype, "float32") && strcmp(cfg->cache_dtype, "float16"))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: cache_dtype '%s' is not float32 or float16", fn, cfg->cache_dtype);
    if (cfg->augment && *cfg->augment) { /* the syntax; lengths are checked against the windows later */
        eegnn_augment augs[16];
        int n_augs;
        if (eegnn_augment_parse(cfg->augment, 1 << 30, 1e-3, augs, 16, &n_augs)) return EEGNN_ERR_ARG;
    }
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_train_check(const eegnn_train_config *cfg, eegnn_dataset_plan *plan) {
    eegnn_bids_dataset *bids;
    eegnn_dataset_config dc;
    eegnn_dataset_plan pl;
    eegnn_status st;
    if (plan) memset(plan, 0, sizeof *plan);
    if (!cfg) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_train_check: config is NULL");
    if ((st = eegnn__train_check_settings(cfg))) return st;
    if (!(bids = eegnn_bids_open(cfg->bids_root))) return eegnn_last_status() ? eegnn_last_status() : EEGNN_ERR_IO;
    eegnn__dataset_config(cfg, &dc);
    st = eegnn_dataset_check(bids, &dc, &pl);
    eegnn_bids_close(bids);
    if (st) return st;
    if (pl.classification && cfg->loss)
        return eegnn_set_error(EEGNN_ERR_ARG, "loss '%s' applies to regression targets; '%s' is a classification "
                               "(cross-entropy)", cfg->loss, cfg->target);
    if (!pl.classification && cfg->class_weights && strcmp(cfg->class_weights, "none"))
        return eegnn_set_error(EEGNN_ERR_ARG, "class weights '%s' apply to classification targets; '%s' is a "
                               "regression", cfg->class_weights, cfg->target);
    if (plan) *plan = pl;
    return EEGNN_OK;
}

/* ---- eegnn train: the trainer (trainer.h) on a BIDS dataset ---- */

/* last.safetensors: the trainer's checkpoint with what predict needs, the
 * shuffling RNG and the history so far as metadata. */
static eegnn_status eegnn__save_last(eegnn__run *tr, const eegnn_dataset_config *dc, const eegnn_rng *shuffle,
                                     const char *history, const char *path) {
    eegnn__meta m;
    char rng[40];
    eegnn_status st;
    memset(&m, 0, sizeof m);
    eegnn__meta_common(&m, tr, dc, -1); /* the trainer saves best_epoch */
    eegnn__rng_str(shuffle, rng, sizeof rng);
    eegnn__meta_add(&m, "shuffle_rng", "%s", rng);
    eegnn__meta_add(&m, "history", "%s", history ? history : "");
    st = m.failed ? eegnn_set_error(EEGNN_ERR_MEMORY, "%s: out of memory building the checkpoint", path)
                  : eegnn_trainer_save(tr->t, path, m.keys, (const char *const *)m.vals, m.n);
    eegnn__meta_free(&m);
    return st;
}

/* Continues from last.safetensors: the trainer's state, the shuffling RNG
 * and the history. */
static eegnn_status eegnn__resume(eegnn__run *tr, const char *path, eegnn_rng *shuffle, eegnn__strbuf *hist) {
    eegnn_safetensors *f;
    const char *v;
    eegnn_status st = eegnn_trainer_resume(tr->t, path);
    if (st) return st;
    if (!(f = eegnn_safetensors_open(path))) return EEGNN_ERR_IO;
    if (!eegnn__rng_parse(eegnn_safetensors_metadata(f, "shuffle_rng"), shuffle)) {
        eegnn_safetensors_close(f);
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no shuffle_rng in the metadata (resume needs the "
                                                 "last.safetensors of eegnn train)", path);
    }
    v = eegnn_safetensors_metadata(f, "history");
    if (v && *v) eegnn__sb_printf(hist, "%s", v);
    eegnn_safetensors_close(f);
    return hist->failed ? eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory reading the history") : EEGNN_OK;
}

/* One eegnn_train call: the run, the data pipeline and the log. */
typedef struct eegnn__train_job {
    eegnn__run tr;
    eegnn_train_config cfg;     /* resolved */
    eegnn_bids_dataset *bids;
    eegnn_dataset_config dc;
    FILE *log;
    int talk, brief;            /* everything / start line, warnings and early stopping */
    int steps, accumulate;      /* optimizer steps per epoch, micro-batches per step */
    int *order;                 /* (n_idx[0]) this epoch's shuffled training windows */
    int *assign;                /* (n_groups) split of each group */
    eegnn_rng shuffle;
    eegnn__prefetch pf;
    int use_prefetch;
    eegnn_augment augs[16];
    int n_augs;
    int start_epoch;            /* epochs done before this call (resume) */
    double t_train;             /* when training started */
    eegnn__strbuf hist, warnings;
} eegnn__train_job;

/* eegnn_batch_fn: the next training micro-batch, from the loader thread or
 * read here, then augmented (the draws depend on seed, epoch and step alone). */
static eegnn_status eegnn__train_batch(void *user, int epoch, int step, int micro) {
    eegnn__train_job *j = (eegnn__train_job *)user;
    eegnn__run *tr = &j->tr;
    long k = (long)step * j->accumulate + micro;
    eegnn_status st = j->use_prefetch ? eegnn__prefetch_next(&j->pf, tr, (int)k)
                                      : eegnn__fill_batch(tr, j->order + (size_t)k * tr->batch, tr->batch, epoch);
    if (!st && j->n_augs) {
        eegnn_rng ar;
        uint64_t key = ((uint64_t)(epoch - 1) * (uint64_t)j->steps + (uint64_t)step) * (uint64_t)j->accumulate +
                       (uint64_t)micro;
        eegnn_rng_seed(&ar, (j->cfg.seed + 1) * 0x9E3779B97F4A7C15ull ^ (key + 1) * 0xD1B54A32D192ED03ull);
        st = eegnn_augment_compose(j->augs, j->n_augs, tr->x->data, tr->batch, tr->n_ch, tr->n_times, &ar);
    }
    return st;
}

static void eegnn__train_on_step(void *user, const eegnn_step_info *info) {
    const eegnn__train_job *j = (const eegnn__train_job *)user;
    eegnn__progress(&j->tr, info->epoch, j->start_epoch, info->epochs, info->step, info->steps, info->epoch_loss,
                    j->t_train);
}

/* Opens the dataset, splits it by group, fits the standardization and
 * builds the graph with its loss. */
static eegnn_status eegnn__train_load(eegnn__train_job *j) {
    eegnn__run *tr = &j->tr;
    const eegnn_train_config *cfg = &j->cfg;
    eegnn__load_progress lp;
    int i, s, n_windows, *labels;
    eegnn_status st;
    if (!(j->bids = eegnn_bids_open(cfg->bids_root))) return EEGNN_ERR_IO;
    eegnn__dataset_config(cfg, &j->dc);
    lp.log = j->log;
    lp.tty = cfg->progress;
    lp.t0 = eegnn_time_seconds();
    if (j->talk) {
        j->dc.progress = eegnn__on_load;
        j->dc.progress_user = &lp;
    }
    tr->data = eegnn_dataset_from_bids(j->bids, &j->dc);
    j->dc.progress = NULL;
    if (!tr->data) return EEGNN_ERR_FORMAT;
    n_windows = eegnn_dataset_n_windows(tr->data);
    tr->n_ch = eegnn_dataset_n_channels(tr->data);
    tr->n_times = eegnn_dataset_n_times(tr->data);
    tr->n_classes = eegnn_dataset_n_classes(tr->data);
    tr->mc.sfreq = (float)eegnn_dataset_sfreq(tr->data);
    if (j->talk) {
        int n_drop = 0;
        eegnn_dataset_dropped_windows(tr->data, &n_drop);
        fprintf(j->log, "%s", eegnn_dataset_log(tr->data));
        if (j->dc.reject > 0 || j->dc.flat > 0)
            fprintf(j->log, "rejection dropped %d of %d windows\n", n_drop, eegnn_dataset_n_candidate_windows(tr->data));
    }
    if (cfg->augment && *cfg->augment &&
        (st = eegnn_augment_parse(cfg->augment, tr->n_times, eegnn_dataset_sfreq(tr->data), j->augs, 16, &j->n_augs)))
        return st;

    /* group-wise split: no window of a held-out group is seen in training */
    j->assign = (int *)eegnn__calloc((size_t)eegnn_dataset_n_groups(tr->data), sizeof(int));
    for (s = 0; s < 3; s++) tr->idx[s] = (int *)eegnn__calloc((size_t)n_windows + 1, sizeof(int));
    if (!j->assign || !tr->idx[0] || !tr->idx[1] || !tr->idx[2]) return EEGNN_ERR_MEMORY;
    if ((st = eegnn__assign_groups(cfg, tr->data, j->assign))) return st;
    for (i = 0; i < n_windows; i++) {
        int a = j->assign[eegnn_dataset_group(tr->data, i)];
        tr->idx[a][tr->n_idx[a]++] = i;
    }
    eegnn__split_warnings(tr, &j->warnings);
    if (!tr->n_idx[0] || !tr->n_idx[1])
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: the split leaves %d training and %d validation windows",
                               cfg->bids_root, tr->n_idx[0], tr->n_idx[1]);
    tr->batch = EEGNN__MIN(cfg->batch_size, tr->n_idx[0]);
    if ((long)tr->batch * j->accumulate > tr->n_idx[0])
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: %d training windows cannot fill %d micro-batches of %d",
                               cfg->bids_root, tr->n_idx[0], j->accumulate, tr->batch);
    tr->window = (float *)eegnn__calloc((size_t)tr->n_ch * (size_t)tr->n_times, sizeof(float));
    tr->ch_mean = (float *)eegnn__calloc((size_t)tr->n_ch, sizeof(float));
    tr->ch_std = (float *)eegnn__calloc((size_t)tr->n_ch, sizeof(float));
    tr->pred = (float *)eegnn__calloc((size_t)n_windows * (size_t)(tr->n_classes ? tr->n_classes : 1), sizeof(float));
    tr->truth = (float *)eegnn__calloc((size_t)n_windows, sizeof(float));
    j->order = (int *)eegnn__calloc((size_t)tr->n_idx[0], sizeof(int));
    if (!tr->window || !tr->ch_mean || !tr->ch_std || !tr->pred || !tr->truth || !j->order) return EEGNN_ERR_MEMORY;
    if ((st = eegnn__fit_standardization(tr)) || (st = eegnn__build_graph(tr))) return st;
    if (!tr->class_w) return EEGNN_OK;
    if (!(labels = (int *)eegnn__calloc((size_t)tr->n_idx[0], sizeof(int)))) return EEGNN_ERR_MEMORY;
    for (i = 0; i < tr->n_idx[0]; i++) labels[i] = (int)eegnn_dataset_target(tr->data, tr->idx[0][i]);
    st = eegnn_class_weights_balanced(labels, tr->n_idx[0], tr->n_classes, tr->class_w->data);
    EEGNN_FREE(labels);
    return st;
}

/* The optimizer (with the head's parameter group) and the trainer. */
static eegnn_status eegnn__train_setup(eegnn__train_job *j) {
    eegnn__run *tr = &j->tr;
    const eegnn_train_config *cfg = &j->cfg;
    eegnn_optimizer_config oc;
    eegnn_trainer_config tc;
    eegnn_optimizer_type type = EEGNN_OPTIM_ADAMW;
    eegnn__optimizer_type(cfg->optimizer, &type);
    oc = eegnn_optimizer_config_default(type);
    oc.lr = cfg->lr;
    oc.weight_decay = cfg->weight_decay; /* resolved */
    if (oc.type == EEGNN_OPTIM_SGD) oc.momentum = 0.9f;
    if (!(tr->opt = eegnn_optimizer_create(tr->g, &oc))) return EEGNN_ERR_ARG;
    if (cfg->head_lr > 0 || cfg->head_weight_decay != EEGNN_UNSET || cfg->freeze_backbone_epochs > 0) {
        if (eegnn_optimizer_add_group(tr->opt, cfg->head_prefix, cfg->head_lr > 0 ? cfg->head_lr : EEGNN_UNSET,
                                      cfg->head_weight_decay) < 0)
            return eegnn_set_error(EEGNN_ERR_ARG, "model '%s' has no head parameters named '%s*' (set head_prefix)",
                                   cfg->model, cfg->head_prefix);
    }
    j->steps = tr->n_idx[0] / (tr->batch * j->accumulate);
    if (cfg->steps_per_epoch > 0 && cfg->steps_per_epoch < j->steps) j->steps = cfg->steps_per_epoch;
    tc = eegnn_trainer_config_default();
    tc.epochs = cfg->epochs;
    tc.steps_per_epoch = j->steps;
    tc.accumulate = j->accumulate;
    tc.schedule = (eegnn_schedule)eegnn__scheduler_index(cfg->scheduler);
    tc.warmup_epochs = cfg->warmup_epochs;
    tc.step_size = cfg->step_size;
    tc.gamma = cfg->gamma;
    tc.plateau_factor = cfg->plateau_factor;
    tc.plateau_patience = cfg->plateau_patience;
    tc.clip_grad_norm = cfg->clip_grad_norm > 0 ? cfg->clip_grad_norm : 0.0f;
    tc.ema_decay = cfg->ema_decay > 0 ? cfg->ema_decay : 0.0f;
    tc.patience = cfg->patience > 0 ? cfg->patience : 0;
    tc.head_prefix = cfg->head_prefix;
    tc.freeze_backbone_epochs = cfg->freeze_backbone_epochs > 0 ? cfg->freeze_backbone_epochs : 0;
    if (cfg->progress && j->talk) {
        tc.on_step = eegnn__train_on_step;
        tc.user = j;
    }
    if (!(tr->t = eegnn_trainer_create(tr->g, tr->loss, tr->opt, &tc))) return eegnn_last_status();
    return cfg->resume ? eegnn__resume(tr, cfg->resume, &j->shuffle, &j->hist) : EEGNN_OK;
}

/* The start line and the split's warnings. */
static void eegnn__train_announce(eegnn__train_job *j) {
    const eegnn__run *tr = &j->tr;
    const char *p = j->warnings.p;
    fprintf(j->log, "%d windows of %d channels x %d samples (%g Hz); %d %s groups: %d/%d/%d windows in "
                    "train/valid/test; %s, %zu parameters; %s\n",
            eegnn_dataset_n_windows(tr->data), tr->n_ch, tr->n_times, eegnn_dataset_sfreq(tr->data),
            eegnn_dataset_n_groups(tr->data), j->dc.split, tr->n_idx[0], tr->n_idx[1], tr->n_idx[2], j->cfg.model,
            eegnn_graph_n_param_scalars(tr->g),
            tr->n_classes ? (tr->class_w ? "classification (class-weighted cross-entropy)"
                                         : "classification (cross-entropy)")
                          : (tr->l1 ? "regression (L1 on z-scored target)" : "regression (MSE on z-scored target)"));
    fprintf(j->log, "cpu: %s kernels (this CPU has: %s; EEGNN_CPU forces one), %d threads\n", eegnn_cpu_path(),
            eegnn_cpu_paths(), eegnn_graph_n_threads(tr->g));
    if (eegnn_cpu_warning()) fprintf(j->log, "warning: %s\n", eegnn_cpu_warning());
    if (j->cfg.resume) fprintf(j->log, "resuming after epoch %d from %s\n", j->start_epoch, j->cfg.resume);
    while (p && *p) {
        size_t len = strcspn(p, "\n");
        fprintf(j->log, "warning: %.*s\n", (int)len, p);
        p += len + (p[len] == '\n');
    }
    fflush(j->log);
}

/* The epoch line of the log. */
static void eegnn__train_log_epoch(eegnn__train_job *j, double train_loss, const eegnn_split_metrics *vm,
                                   double t0) {
    int epoch = eegnn_trainer_epoch(j->tr.t), epochs = j->cfg.epochs;
    double done_frac = (double)(epoch - j->start_epoch) / (epochs - j->start_epoch);
    char eta[32];
    eegnn__clock(eta, sizeof eta, (eegnn_time_seconds() - j->t_train) * (1.0 / done_frac - 1.0));
    if (j->cfg.progress) fprintf(j->log, "\r\033[K");
    fprintf(j->log, "epoch %3d/%d  train_loss %.4f  valid_loss %.4f  ", epoch, epochs, train_loss, vm->loss);
    if (j->tr.n_classes)
        fprintf(j->log, "valid_accuracy %.3f  valid_balanced_accuracy %.3f", vm->accuracy, vm->balanced_accuracy);
    else
        fprintf(j->log, "valid_r %.3f  valid_nrmse %.3f", vm->pearson_r, vm->nrmse);
    fprintf(j->log, "  %.2f s  ETA %s%s\n", eegnn_time_seconds() - t0, epoch < epochs ? eta : "0:00",
            eegnn_trainer_best_epoch(j->tr.t) == epoch ? "  *" : "");
    fflush(j->log);
}

/* Trains the remaining epochs: each one shuffled, fit by the trainer,
 * evaluated on the validation split, logged, and saved to last.safetensors. */
static eegnn_status eegnn__train_epochs(eegnn__train_job *j, const char *last_path) {
    eegnn__run *tr = &j->tr;
    eegnn_status st;
    int i, stop = 0;
    while (!stop && eegnn_trainer_epoch(tr->t) < j->cfg.epochs) {
        double t0 = eegnn_time_seconds(), train_loss = 0.0;
        int epoch = eegnn_trainer_epoch(tr->t) + 1;
        eegnn_split_metrics vm;
        for (i = 0; i < tr->n_idx[0]; i++) j->order[i] = tr->idx[0][i];
        eegnn_rng_shuffle(&j->shuffle, j->order, tr->n_idx[0]);
        if (j->use_prefetch && (st = eegnn__prefetch_start(&j->pf, tr, j->order, j->steps * j->accumulate, epoch)))
            return st;
        st = eegnn_trainer_fit_epoch(tr->t, eegnn__train_batch, j, &train_loss);
        eegnn__prefetch_end(&j->pf);
        if (st) return st;
        if (epoch == j->start_epoch + 1 && (st = eegnn_dataset_cache_complete(tr->data))) return st;
        if ((st = eegnn__evaluate(tr, 1, &vm))) return st;
        stop = eegnn_trainer_end_epoch(tr->t, vm.loss);
        if (j->talk) eegnn__train_log_epoch(j, train_loss, &vm, t0);
        eegnn__sb_printf(&j->hist, "%s\n    {\"epoch\": %d, \"train_loss\": %.9g, \"valid\": ", epoch > 1 ? "," : "",
                         epoch, train_loss);
        eegnn__json_metrics(&j->hist, &vm);
        eegnn__sb_printf(&j->hist, ", \"lr\": %.9g, \"seconds\": %.4f}", eegnn_optimizer_get_lr(tr->opt),
                         eegnn_time_seconds() - t0);
        if (j->hist.failed) return eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory writing the history");
        if ((st = eegnn__save_last(tr, &j->dc, &j->shuffle, j->hist.p, last_path))) return st;
        if (stop && (j->talk || j->brief))
            fprintf(j->log, "early stopping: no lower validation loss for %d epochs (best epoch %d)\n",
                    epoch - eegnn_trainer_best_epoch(tr->t), eegnn_trainer_best_epoch(tr->t));
    }
    return EEGNN_OK;
}

/* metrics.json: the run's settings, every split's metrics, the warnings and
 * the history. */
static eegnn_status eegnn__train_write_metrics(eegnn__train_job *j, const eegnn_train_result *result,
                                               const char *path) {
    const eegnn_train_config *cfg = &j->cfg;
    eegnn__strbuf js = {0, 0, 0, 0};
    const char *p = j->warnings.p ? j->warnings.p : "";
    eegnn_status st;
    int s, first = 1;
    eegnn__sb_printf(&js, "{\n  \"bids_root\": ");
    eegnn__sb_json_string(&js, cfg->bids_root);
    eegnn__sb_printf(&js, ",\n  \"target\": ");
    eegnn__sb_json_string(&js, cfg->target);
    eegnn__sb_printf(&js, ",\n  \"split\": ");
    eegnn__sb_json_string(&js, j->dc.split);
    eegnn__sb_printf(&js, ",\n  \"n_folds\": %d,\n  \"fold\": %d", cfg->n_folds > 1 ? cfg->n_folds : 0,
                     cfg->n_folds > 1 ? cfg->fold : 0);
    eegnn__sb_printf(&js, ",\n  \"model\": ");
    eegnn__sb_json_string(&js, cfg->model);
    eegnn__sb_printf(&js, ",\n  \"n_classes\": %d,\n  \"best_epoch\": %d,\n  \"epochs_run\": %d,\n  \"seconds\": %.3f,\n",
                     j->tr.n_classes, result->best_epoch, eegnn_trainer_epoch(j->tr.t), result->seconds);
    for (s = 0; s < 3; s++) {
        eegnn__sb_printf(&js, "  \"%s\": ", eegnn__split_names[s]);
        eegnn__json_metrics(&js, s == 0 ? &result->train : s == 1 ? &result->valid : &result->test);
        eegnn__sb_printf(&js, ",\n");
    }
    eegnn__sb_printf(&js, "  \"warnings\": [");
    while (*p) {
        size_t len = strcspn(p, "\n");
        char *line = eegnn__strndup(p, len);
        if (!line) {
            js.failed = 1;
            break;
        }
        eegnn__sb_printf(&js, "%s", first ? "" : ", ");
        eegnn__sb_json_string(&js, line);
        EEGNN_FREE(line);
        first = 0;
        p += len + (p[len] == '\n');
    }
    eegnn__sb_printf(&js, "],\n  \"history\": %s\n}\n", j->hist.p ? j->hist.p : "[]");
    st = js.failed || j->hist.failed ? eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory writing metrics")
                                     : eegnn__write_text(path, js.p);
    eegnn__sb_free(&js);
    return st;
}

/* The best epoch's weights (the averaged ones with EMA) back, every split
 * evaluated, best.safetensors and metrics.json written. */
static eegnn_status eegnn__train_finish(eegnn__train_job *j, eegnn_train_result *result, double t_start) {
    eegnn__run *tr = &j->tr;
    eegnn__meta m;
    char path[4096];
    eegnn_status st;
    eegnn_trainer_restore_best(tr->t);
    result->best_epoch = eegnn_trainer_best_epoch(tr->t);
    if ((st = eegnn__evaluate(tr, 0, &result->train)) || (st = eegnn__evaluate(tr, 1, &result->valid)) ||
        (st = eegnn__evaluate(tr, 2, &result->test)))
        return st;
    result->seconds = eegnn_time_seconds() - t_start;
    memset(&m, 0, sizeof m);
    eegnn__meta_common(&m, tr, &j->dc, result->best_epoch);
    snprintf(path, sizeof path, "%s/best.safetensors", j->cfg.out_dir);
    st = m.failed ? eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory building metadata")
                  : eegnn_save_safetensors(tr->g, path, m.keys, (const char *const *)m.vals, m.n);
    eegnn__meta_free(&m);
    if (st) return st;
    snprintf(path, sizeof path, "%s/metrics.json", j->cfg.out_dir);
    return eegnn__train_write_metrics(j, result, path);
}

EEGNN_API eegnn_status eegnn_train(const eegnn_train_config *cfg, eegnn_train_result *result) {
    eegnn__train_job *j;
    eegnn__run *tr;
    double t_start = eegnn_time_seconds();
    char path[4096], last_path[4096];
    eegnn_status st;
    int s;
    if (!cfg || !result) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_train: config or result is NULL");
    memset(result, 0, sizeof *result);
    if ((st = eegnn_train_check(cfg, NULL))) return st;
    if (!(j = (eegnn__train_job *)eegnn__calloc(1, sizeof *j))) return EEGNN_ERR_MEMORY;
    tr = &j->tr;
    eegnn_train_config_resolve(cfg, &j->cfg);
    cfg = &j->cfg;
    j->brief = !cfg->quiet && cfg->brief;
    j->talk = !cfg->quiet && !cfg->brief;
    j->log = cfg->log ? cfg->log : stdout;
    j->use_prefetch = cfg->prefetch >= 0;
    j->accumulate = cfg->accumulate;
    tr->cfg = cfg;
    tr->mc = cfg->model_config;
    tr->l1 = !strcmp(cfg->loss, "l1");
    eegnn_rng_seed(&j->shuffle, cfg->seed * 2654435761ull + 17);

    if ((st = eegnn__train_load(j)) || (st = eegnn__train_setup(j))) goto done;
    result->n_classes = tr->n_classes;
    result->best_epoch = eegnn_trainer_best_epoch(tr->t);
    j->start_epoch = eegnn_trainer_epoch(tr->t);
    if (cfg->on_graph) cfg->on_graph(tr->g, cfg->on_graph_user);
    if (j->talk || j->brief) eegnn__train_announce(j);
    j->t_train = eegnn_time_seconds();
    if (!j->hist.len) eegnn__sb_printf(&j->hist, "[");
    snprintf(last_path, sizeof last_path, "%s/last.safetensors", cfg->out_dir);
    if ((st = eegnn__mkdirs(cfg->out_dir))) goto done;
    if (j->dc.reject > 0 || j->dc.flat > 0) {
        snprintf(path, sizeof path, "%s/drop_log.tsv", cfg->out_dir);
        if ((st = eegnn_dataset_write_drop_log(tr->data, path))) goto done;
    }
    if ((st = eegnn__train_epochs(j, last_path))) goto done;
    eegnn__sb_printf(&j->hist, "\n  ]");
    st = eegnn__train_finish(j, result, t_start);

done:
    eegnn__prefetch_end(&j->pf);
    /* the accelerator first: detaching writes device-held optimizer state back into the optimizer */
    if (tr->g && cfg->on_graph_free) cfg->on_graph_free(tr->g, cfg->on_graph_user);
    eegnn_trainer_free(tr->t);
    eegnn_optimizer_free(tr->opt);
    eegnn_graph_free(tr->g);
    eegnn_dataset_free(tr->data);
    eegnn_bids_close(j->bids);
    for (s = 0; s < 3; s++) EEGNN_FREE(tr->idx[s]);
    EEGNN_FREE(j->assign);
    EEGNN_FREE(j->order);
    EEGNN_FREE(tr->window);
    EEGNN_FREE(tr->ch_mean);
    EEGNN_FREE(tr->ch_std);
    EEGNN_FREE(tr->pred);
    EEGNN_FREE(tr->truth);
    eegnn__sb_free(&j->hist);
    eegnn__sb_free(&j->warnings);
    EEGNN_FREE(j);
    return st;
}

/* ---- predict ---- */

static void eegnn__csv_field(eegnn__strbuf *sb, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        eegnn__sb_printf(sb, "%s", s);
        return;
    }
    eegnn__sb_append(sb, "\"", 1);
    for (; *s; s++) {
        if (*s == '"') eegnn__sb_append(sb, "\"", 1);
        eegnn__sb_append(sb, s, 1);
    }
    eegnn__sb_append(sb, "\"", 1);
}

/* The preprocessing saved by eegnn__meta_common (absent keys: none). String
 * fields point into the checkpoint's metadata; std_name (16 bytes) holds the
 * standardize mode. */
static void eegnn__preprocess_from_meta(const eegnn_safetensors *f, eegnn_dataset_config *pp, char *std_name) {
    const char *v;
    long long block = 0;
    memset(pp, 0, sizeof *pp);
    strcpy(std_name, "none");
    if ((v = eegnn_safetensors_metadata(f, "pre_scale"))) pp->scale = strtod(v, NULL);
    if ((v = eegnn_safetensors_metadata(f, "pre_pick_types")) && *v) pp->pick_types = v;
    if ((v = eegnn_safetensors_metadata(f, "pre_channels")) && *v) pp->channels = v;
    if ((v = eegnn_safetensors_metadata(f, "pre_reference")) && *v) pp->reference = v;
    if ((v = eegnn_safetensors_metadata(f, "pre_filter")))
        sscanf(v, "%lf,%lf,%d", &pp->l_freq, &pp->h_freq, &pp->filter_order);
    if ((v = eegnn_safetensors_metadata(f, "pre_notch")))
        sscanf(v, "%lf,%lf,%d", &pp->notch_freq, &pp->notch_width, &pp->notch_order);
    if ((v = eegnn_safetensors_metadata(f, "pre_sfreq"))) pp->sfreq = strtod(v, NULL);
    if ((v = eegnn_safetensors_metadata(f, "pre_reject"))) sscanf(v, "%lf,%lf", &pp->reject, &pp->flat);
    if ((v = eegnn_safetensors_metadata(f, "pre_standardize")) &&
        sscanf(v, "%15[^,],%lf,%lld,%lf", std_name, &pp->ems_factor_new, &block, &pp->standardize_eps) == 4)
        pp->ems_init_block_size = block;
    pp->standardize = std_name;
}

/* Metadata string `key` of a checkpoint, or dflt when absent. */
static const char *eegnn__meta_or(eegnn_safetensors *f, const char *key, const char *dflt) {
    const char *v = eegnn_safetensors_metadata(f, key);
    return v ? v : dflt;
}

/* The run's settings from a checkpoint's metadata: the data (target,
 * tasks, windows, split and its seed, preprocessing) into cfg, the model
 * and the loss into tr. */
static eegnn_status eegnn__predict_settings(eegnn_safetensors *f, const char *checkpoint, eegnn_train_config *cfg,
                                            eegnn__run *tr, char *std_name) {
    const char *v, *mcj = eegnn_safetensors_metadata(f, "model_config");
    cfg->model = eegnn_safetensors_metadata(f, "model");
    cfg->target = eegnn_safetensors_metadata(f, "target");
    if (!cfg->model || !cfg->target || !mcj || !eegnn_safetensors_metadata(f, "input_mean") ||
        !eegnn_safetensors_metadata(f, "batch_size"))
        return eegnn_set_error(EEGNN_ERR_FORMAT, "%s: no eegnn train metadata (model, target, model_config, "
                                                 "input_mean, batch_size)", checkpoint);
    v = eegnn_safetensors_metadata(f, "task");
    cfg->task = v && *v ? v : NULL;
    cfg->event_column = eegnn_safetensors_metadata(f, "event_column");
    cfg->split = eegnn_safetensors_metadata(f, "split");
    cfg->window_seconds = strtod(eegnn__meta_or(f, "window_seconds", "0"), NULL);
    cfg->stride_seconds = strtod(eegnn__meta_or(f, "stride_seconds", "0"), NULL);
    cfg->tmin = strtod(eegnn__meta_or(f, "tmin", "0"), NULL);
    cfg->tmax = strtod(eegnn__meta_or(f, "tmax", "0"), NULL);
    cfg->crop_seconds = strtod(eegnn__meta_or(f, "crop_seconds", "0"), NULL);
    cfg->seed = strtoull(eegnn__meta_or(f, "seed", "0"), NULL, 10);
    cfg->n_folds = atoi(eegnn__meta_or(f, "n_folds", "0"));
    cfg->fold = atoi(eegnn__meta_or(f, "fold", "0"));
    cfg->valid_fraction = strtod(eegnn__meta_or(f, "valid_fraction", "0"), NULL);
    if ((v = eegnn_safetensors_metadata(f, "test_fraction"))) cfg->test_fraction = strtod(v, NULL);
    eegnn__preprocess_from_meta(f, &cfg->preprocess, std_name);
    v = eegnn_safetensors_metadata(f, "loss");
    tr->l1 = v && !strcmp(v, "l1");
    tr->cfg = cfg;
    eegnn__model_config_parse(mcj, &tr->mc);
    tr->batch = atoi(eegnn_safetensors_metadata(f, "batch_size"));
    if (tr->batch <= 0) tr->batch = 64;
    tr->y_mean = strtod(eegnn__meta_or(f, "target_mean", "0"), NULL);
    tr->y_std = strtod(eegnn__meta_or(f, "target_std", "1"), NULL);
    return EEGNN_OK;
}

/* Runs the model over every window of tr->data and writes the predictions
 * CSV (a row per window; split: the window's split when the data are the
 * training data, from assign, else empty). */
static eegnn_status eegnn__predict_csv(eegnn__run *tr, const int *assign, int same_data, const char *out_csv) {
    int n_windows = eegnn_dataset_n_windows(tr->data), n_out = tr->n_classes ? tr->n_classes : 1, i, b, k;
    int *all = (int *)eegnn__calloc((size_t)n_windows + 1, sizeof(int));
    int *rec_count = (int *)eegnn__calloc((size_t)eegnn_dataset_n_recordings(tr->data) + 1, sizeof(int));
    double *prob = (double *)eegnn__calloc((size_t)n_out, sizeof(double));
    eegnn__strbuf csv = {0, 0, 0, 0};
    eegnn_status st = EEGNN_OK;
    if (!all || !rec_count || !prob) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    eegnn__sb_printf(&csv, "participant,recording,window,start_sample,target,prediction");
    for (k = 0; k < tr->n_classes; k++) {
        eegnn__strbuf col = {0, 0, 0, 0};
        eegnn__sb_printf(&csv, ",");
        eegnn__sb_printf(&col, "prob_%s", eegnn_dataset_class_name(tr->data, k));
        eegnn__csv_field(&csv, col.p ? col.p : "prob");
        eegnn__sb_free(&col);
    }
    eegnn__sb_printf(&csv, ",split\n");
    for (i = 0; i < n_windows; i++) all[i] = i;
    eegnn_graph_set_training(tr->g, 0);
    for (i = 0; i < n_windows; i += tr->batch) {
        int nb = EEGNN__MIN(tr->batch, n_windows - i);
        if ((st = eegnn__fill_batch(tr, all + i, nb, 0))) goto done;
        eegnn_graph_forward_to(tr->g, tr->out);
        for (b = 0; b < nb; b++) {
            int w = i + b, rec = eegnn_dataset_recording(tr->data, w);
            const float *o = tr->out->data + (size_t)b * n_out;
            float y = eegnn_dataset_target(tr->data, w);
            eegnn__csv_field(&csv, eegnn_dataset_subject(tr->data, w));
            eegnn__sb_printf(&csv, ",");
            eegnn__csv_field(&csv, eegnn_dataset_recording_name(tr->data, rec));
            eegnn__sb_printf(&csv, ",%d,%lld,", rec_count[rec]++, (long long)eegnn_dataset_start(tr->data, w));
            if (tr->n_classes) {
                int best = 0;
                double mx = o[0], sum = 0.0;
                for (k = 1; k < n_out; k++) {
                    if (o[k] > o[best]) best = k;
                    if (o[k] > mx) mx = o[k];
                }
                for (k = 0; k < n_out; k++) sum += prob[k] = exp((double)o[k] - mx);
                eegnn__csv_field(&csv, eegnn_dataset_class_name(tr->data, (int)y));
                eegnn__sb_printf(&csv, ",");
                eegnn__csv_field(&csv, eegnn_dataset_class_name(tr->data, best));
                for (k = 0; k < n_out; k++) eegnn__sb_printf(&csv, ",%.9g", prob[k] / sum);
            } else {
                eegnn__sb_printf(&csv, "%.9g,%.9g", (double)y, (double)o[0] * tr->y_std + tr->y_mean);
            }
            eegnn__sb_printf(&csv, ",%s\n",
                             same_data ? eegnn__split_names[assign[eegnn_dataset_group(tr->data, w)]] : "");
        }
    }
    if (csv.failed)
        st = eegnn_set_error(EEGNN_ERR_MEMORY, "out of memory writing %s", out_csv);
    else
        st = eegnn__write_text(out_csv, csv.p);
done:
    eegnn__sb_free(&csv);
    EEGNN_FREE(all);
    EEGNN_FREE(rec_count);
    EEGNN_FREE(prob);
    return st;
}

EEGNN_API eegnn_status eegnn_predict(const char *checkpoint, const char *bids_root, const char *out_csv,
                                     int n_threads, int *n_windows_out) {
    eegnn_safetensors *f = NULL;
    eegnn_bids_dataset *bids = NULL;
    eegnn_train_config cfg = eegnn_train_config_default();
    eegnn_dataset_config dc;
    eegnn__run tr;
    const char *v;
    int *assign = NULL, same_data;
    eegnn_status st = EEGNN_OK;
    char std_name[16];
    memset(&tr, 0, sizeof tr);
    if (n_windows_out) *n_windows_out = 0;
    if (!checkpoint || !bids_root || !out_csv)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_predict: checkpoint, bids_root and out_csv are required");
    f = eegnn_safetensors_open(checkpoint);
    if (!f) return EEGNN_ERR_IO;
    cfg.bids_root = bids_root;
    cfg.n_threads = n_threads;
    if ((st = eegnn__predict_settings(f, checkpoint, &cfg, &tr, std_name))) goto done;
    if (!(bids = eegnn_bids_open(bids_root))) {
        st = EEGNN_ERR_IO;
        goto done;
    }
    eegnn__dataset_config(&cfg, &dc);
    dc.tmin = cfg.tmin;
    dc.tmax = cfg.tmax;
    if (!(tr.data = eegnn_dataset_from_bids(bids, &dc))) {
        st = EEGNN_ERR_FORMAT;
        goto done;
    }
    tr.n_ch = eegnn_dataset_n_channels(tr.data);
    tr.n_times = eegnn_dataset_n_times(tr.data);
    tr.n_classes = eegnn_dataset_n_classes(tr.data);
    if (tr.n_ch != tr.mc.n_chans || tr.n_times != tr.mc.n_times ||
        tr.n_classes != atoi(eegnn__meta_or(f, "n_classes", "0"))) {
        st = eegnn_set_error(EEGNN_ERR_FORMAT,
                             "%s: windows of %d channels x %d samples (%d classes) do not fit the model of %s "
                             "(%d x %d)", bids_root, tr.n_ch, tr.n_times, tr.n_classes, checkpoint, tr.mc.n_chans,
                             tr.mc.n_times);
        goto done;
    }
    tr.window = (float *)eegnn__calloc((size_t)tr.n_ch * (size_t)tr.n_times, sizeof(float));
    tr.ch_mean = (float *)eegnn__calloc((size_t)tr.n_ch, sizeof(float));
    tr.ch_std = (float *)eegnn__calloc((size_t)tr.n_ch, sizeof(float));
    assign = (int *)eegnn__calloc((size_t)eegnn_dataset_n_groups(tr.data) + 1, sizeof(int));
    if (!tr.window || !tr.ch_mean || !tr.ch_std || !assign) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    if (eegnn__parse_floats(eegnn_safetensors_metadata(f, "input_mean"), tr.ch_mean, tr.n_ch) != tr.n_ch ||
        eegnn__parse_floats(eegnn_safetensors_metadata(f, "input_std"), tr.ch_std, tr.n_ch) != tr.n_ch) {
        st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: input_mean/input_std do not hold %d values", checkpoint, tr.n_ch);
        goto done;
    }
    if ((st = eegnn__build_graph(&tr))) goto done;
    if ((st = eegnn_load_safetensors(tr.g, checkpoint, 0))) {
        if (eegnn_safetensors_find(f, "final_layer.final_layer.0.weight") >= 0)
            st = eegnn_set_error(EEGNN_ERR_FORMAT, "%s: an EEGConformer written by eegnn 0.2 or earlier, whose "
                                 "attention scale and last layer's name differed from braindecode's; this eegnn "
                                 "builds braindecode's EEGConformer, so retrain the model", checkpoint);
        goto done;
    }
    v = eegnn_safetensors_metadata(f, "bids_root");
    same_data = v && !strcmp(v, bids_root) && !eegnn__assign_groups(&cfg, tr.data, assign);
    if ((st = eegnn__predict_csv(&tr, assign, same_data, out_csv))) goto done;
    if (n_windows_out) *n_windows_out = eegnn_dataset_n_windows(tr.data);
done:
    eegnn_graph_free(tr.g);
    eegnn_dataset_free(tr.data);
    eegnn_bids_close(bids);
    eegnn_safetensors_close(f);
    EEGNN_FREE(tr.window);
    EEGNN_FREE(tr.ch_mean);
    EEGNN_FREE(tr.ch_std);
    EEGNN_FREE(assign);
    return st;
}
