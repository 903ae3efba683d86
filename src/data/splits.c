/* Group-wise splits: train / valid / test and k folds by subject, session
 * or run, stratified by class (see windows.h). */

/* The numbers of valid and test groups of a split, as eegnn_split_groups
 * takes them; EEGNN_ERR_ARG for bad fractions or too few groups. */
static eegnn_status eegnn__split_counts(const char *fn, int n_groups, double valid_frac, double test_frac,
                                        int *n_valid, int *n_test) {
    int need;
    if (n_groups <= 0) return eegnn_set_error(EEGNN_ERR_ARG, "%s: %d groups", fn, n_groups);
    if (!(valid_frac >= 0) || !(test_frac >= 0) || !(valid_frac + test_frac < 1))
        return eegnn_set_error(EEGNN_ERR_ARG, "%s: fractions valid %g and test %g must be >= 0 and sum to < 1", fn,
                               valid_frac, test_frac);
    need = 1 + (valid_frac > 0) + (test_frac > 0);
    if (n_groups < need)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "%s: %d groups cannot fill %d non-empty splits (train%s%s); "
                               "use a finer split unit (session or run) or more subjects",
                               fn, n_groups, need, valid_frac > 0 ? ", valid" : "", test_frac > 0 ? ", test" : "");
    *n_valid = valid_frac > 0 ? EEGNN__MAX(1, (int)floor(valid_frac * n_groups + 0.5)) : 0;
    *n_test = test_frac > 0 ? EEGNN__MAX(1, (int)floor(test_frac * n_groups + 0.5)) : 0;
    while (*n_valid + *n_test > n_groups - 1) {
        if (*n_test >= *n_valid && *n_test > 1) (*n_test)--;
        else (*n_valid)--;
    }
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_split_groups(int n_groups, double valid_frac, double test_frac, uint64_t seed,
                                          int *assign) {
    int n_valid, n_test, i, *perm;
    eegnn_rng rng;
    eegnn_status st;
    if (!assign) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_split_groups: assign is NULL");
    if ((st = eegnn__split_counts("eegnn_split_groups", n_groups, valid_frac, test_frac, &n_valid, &n_test)))
        return st;
    perm = (int *)eegnn__calloc((size_t)n_groups, sizeof(int));
    if (!perm) return EEGNN_ERR_MEMORY;
    for (i = 0; i < n_groups; i++) perm[i] = i;
    eegnn_rng_seed(&rng, seed);
    eegnn_rng_shuffle(&rng, perm, n_groups);
    for (i = 0; i < n_groups; i++) assign[perm[i]] = i < n_test ? 2 : (i < n_test + n_valid ? 1 : 0);
    EEGNN_FREE(perm);
    return EEGNN_OK;
}

/* Stratified assignment of groups to splits of given sizes (in groups),
 * as scikit-learn's StratifiedGroupKFold does it: the groups, shuffled with
 * the seed, are taken in order of decreasing standard deviation of their
 * class distribution (stable), and each goes to the split with room left
 * where it brings the class shares closest to the split's share of the
 * groups: the least sum over classes of ((count in split + count in
 * group) / class total - share)^2 - (count in split / class total - share)^2
 * (ties: the split with more room left, then the lower index). counts:
 * (n_groups, n_classes) windows of each class in each group. */
static eegnn_status eegnn__stratified_assign(int n_groups, int n_classes, const int *counts, int n_splits,
                                             const int *size, uint64_t seed, int *assign) {
    int *order = NULL, *room = NULL, i, k, s, c;
    double *total = NULL, *in = NULL, *sd = NULL;
    eegnn_rng rng;
    eegnn_status st = EEGNN_OK;
    for (i = 0; i < n_groups * n_classes; i++)
        if (counts[i] < 0) return eegnn_set_error(EEGNN_ERR_ARG, "class count %d < 0", counts[i]);
    order = (int *)eegnn__calloc((size_t)n_groups + (size_t)n_splits, sizeof(int));
    total = (double *)eegnn__calloc((size_t)n_classes * (1 + (size_t)n_splits) + (size_t)n_groups, sizeof(double));
    if (!order || !total) {
        st = EEGNN_ERR_MEMORY;
        goto done;
    }
    room = order + n_groups;
    in = total + n_classes;               /* (n_splits, n_classes) */
    sd = in + (size_t)n_splits * n_classes; /* (n_groups) */
    for (i = 0; i < n_groups; i++) {
        double n = 0, m, v = 0;
        for (c = 0; c < n_classes; c++) {
            total[c] += counts[(size_t)i * n_classes + c];
            n += counts[(size_t)i * n_classes + c];
        }
        m = 1.0 / n_classes;
        for (c = 0; c < n_classes && n > 0; c++) {
            double p = counts[(size_t)i * n_classes + c] / n - m;
            v += p * p;
        }
        sd[i] = sqrt(v / n_classes);
        order[i] = i;
    }
    eegnn_rng_seed(&rng, seed);
    eegnn_rng_shuffle(&rng, order, n_groups);
    for (i = 1; i < n_groups; i++) { /* stable insertion sort, std descending */
        int g = order[i];
        for (k = i; k > 0 && sd[order[k - 1]] < sd[g]; k--) order[k] = order[k - 1];
        order[k] = g;
    }
    for (s = 0; s < n_splits; s++) room[s] = size[s];
    for (i = 0; i < n_groups; i++) {
        int g = order[i], best = -1;
        double best_d = 0;
        for (s = 0; s < n_splits; s++) {
            double share = (double)size[s] / n_groups, d = 0;
            if (!room[s]) continue;
            for (c = 0; c < n_classes; c++) {
                double t = total[c] > 0 ? total[c] : 1, a = in[s * n_classes + c] / t - share,
                       b = (in[s * n_classes + c] + counts[(size_t)g * n_classes + c]) / t - share;
                d += b * b - a * a;
            }
            if (best < 0 || d < best_d - 1e-12 || (fabs(d - best_d) <= 1e-12 && room[s] > room[best])) {
                best = s;
                best_d = d;
            }
        }
        assign[g] = best;
        room[best]--;
        for (c = 0; c < n_classes; c++) in[best * n_classes + c] += counts[(size_t)g * n_classes + c];
    }
done:
    EEGNN_FREE(order);
    EEGNN_FREE(total);
    return st;
}

EEGNN_API eegnn_status eegnn_split_groups_stratified(int n_groups, int n_classes, const int *counts,
                                                     double valid_frac, double test_frac, uint64_t seed,
                                                     int *assign) {
    const char *fn = "eegnn_split_groups_stratified";
    int size[3]; /* groups of train, valid, test: assign's values are these indices */
    eegnn_status st;
    if (!assign || !counts || n_classes < 1) return eegnn_set_error(EEGNN_ERR_ARG, "%s: bad arguments", fn);
    if ((st = eegnn__split_counts(fn, n_groups, valid_frac, test_frac, &size[1], &size[2]))) return st;
    size[0] = n_groups - size[1] - size[2];
    if ((st = eegnn__stratified_assign(n_groups, n_classes, counts, 3, size, seed, assign)))
        return eegnn_set_error(st, "%s: %s", fn, eegnn_last_error());
    return EEGNN_OK;
}

EEGNN_API eegnn_status eegnn_kfold_groups(int n_groups, int n_classes, const int *counts, int n_folds, int fold,
                                          uint64_t seed, int *assign) {
    int i, *perm, *size;
    eegnn_status st = EEGNN_OK;
    if (!assign) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_kfold_groups: assign is NULL");
    if (n_folds < 2 || fold < 0 || fold >= n_folds)
        return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_kfold_groups: fold %d of %d folds is not in 0..%d", fold,
                               n_folds, n_folds - 1);
    if (n_groups < n_folds)
        return eegnn_set_error(EEGNN_ERR_ARG,
                               "%d groups cannot fill %d folds; use a finer split unit (session or run) or fewer folds",
                               n_groups, n_folds);
    perm = (int *)eegnn__calloc((size_t)n_groups + (size_t)n_folds, sizeof(int));
    if (!perm) return EEGNN_ERR_MEMORY;
    size = perm + n_groups;
    if (counts && n_classes > 0) {
        for (i = 0; i < n_folds; i++) size[i] = n_groups / n_folds + (i < n_groups % n_folds);
        st = eegnn__stratified_assign(n_groups, n_classes, counts, n_folds, size, seed, perm);
        for (i = 0; !st && i < n_groups; i++) assign[i] = perm[i] == fold ? 1 : 0;
    } else {
        eegnn_rng rng;
        for (i = 0; i < n_groups; i++) perm[i] = i;
        eegnn_rng_seed(&rng, seed);
        eegnn_rng_shuffle(&rng, perm, n_groups);
        for (i = 0; i < n_groups; i++) assign[perm[i]] = (i % n_folds) == fold ? 1 : 0;
    }
    EEGNN_FREE(perm);
    return st;
}

EEGNN_API int eegnn_dataset_split_indices(const eegnn_dataset *ds, const int *assign, int which, int *out) {
    int i, n = 0;
    if (!ds || !assign) return 0;
    for (i = 0; i < ds->n_windows; i++)
        if (assign[ds->win_group[i]] == which) {
            if (out) out[n] = i;
            n++;
        }
    return n;
}
