/* eegnn_dataset_check (see windows.h): the checks that need only the
 * dataset's tables, before any recording is read. */

/* Target kind: 0 participants, 1 events, 2 challenge1; -1 (error set) when bad. */
static int eegnn__ds_target_kind(const char *target) {
    if (!target || !*target) {
        eegnn_set_error(EEGNN_ERR_ARG, "dataset: a target is required (\"participants:COLUMN\", "
                                       "\"events:CLASS,...\" or \"challenge1\")");
        return -1;
    }
    if (eegnn__starts_with(target, "events:")) return 1;
    if (eegnn__starts_with(target, "participants:") && target[13]) return 0;
    if (strcmp(target, "challenge1") == 0) return 2;
    eegnn_set_error(EEGNN_ERR_ARG,
                    "dataset: target '%s' must be \"participants:COLUMN\", \"events:CLASS,...\" or \"challenge1\"",
                    target);
    return -1;
}

/* Split unit: 0 subject, 1 session, 2 run; -1 (error set) when bad. */
static int eegnn__ds_split_unit(const char *split) {
    if (!split || strcmp(split, "subject") == 0) return 0;
    if (strcmp(split, "session") == 0) return 1;
    if (strcmp(split, "run") == 0) return 2;
    eegnn_set_error(EEGNN_ERR_ARG, "dataset: split unit '%s' is not one of subject, session, run", split);
    return -1;
}

/* Window settings (seconds) shared by the check and the build. */
static eegnn_status eegnn__ds_check_windows(const eegnn_dataset_config *cfg, int kind) {
    double win = cfg->window_seconds > 0 ? cfg->window_seconds : 2.0, tmin = cfg->tmin, tmax = cfg->tmax;
    if (tmin == 0 && tmax == 0) {
        tmin = 0.5;
        tmax = 2.5;
    }
    if (!(cfg->window_seconds >= 0) || !(cfg->stride_seconds >= 0) || !isfinite(cfg->window_seconds) ||
        !isfinite(cfg->stride_seconds))
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: window %g s and stride %g s must be > 0 (0: default)",
                               cfg->window_seconds, cfg->stride_seconds);
    if (kind && !(tmax > tmin && isfinite(tmin) && isfinite(tmax)))
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: tmax (%g s) must be greater than tmin (%g s)", tmax, tmin);
    if (cfg->crop_seconds < 0 || !isfinite(cfg->crop_seconds) ||
        (cfg->crop_seconds > 0 && (kind || cfg->crop_seconds > win)))
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: crops of %g s need a participants target and windows of at "
                               "least that length (window %g s)", cfg->crop_seconds, win);
    return EEGNN_OK;
}

/* The split unit's entity ("ses" or "run") must occur in some selected
 * recording; has[k] for k = 0..4 tells whether sub, ses, task, acq, run do. */
static eegnn_status eegnn__ds_check_unit(int unit, const int *has, int n_selected, const char *where) {
    static const char *const keys[5] = {"sub", "ses", "task", "acq", "run"};
    char list[64];
    size_t len = 0;
    int k;
    if (unit == 0 || has[unit == 1 ? 1 : 4]) return EEGNN_OK;
    list[0] = '\0';
    for (k = 0; k < 5; k++)
        if (has[k]) len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", keys[k]);
    return eegnn_set_error(EEGNN_ERR_ARG,
                           "%s: split unit '%s' needs recordings with a %s entity (_%s-<label>), and none of the %d "
                           "selected recordings has one (their entities: %s); split by subject%s",
                           where, unit == 1 ? "session" : "run", unit == 1 ? "ses" : "run", unit == 1 ? "ses" : "run",
                           n_selected, list, has[1] && unit == 2 ? " or session" : "");
}

/* The error for an event label that the selected recordings do not have. */
static eegnn_status eegnn__ds_missing_label(const char *where, const char *label, const char *target,
                                            const char *column, const char *levels) {
    return eegnn_set_error(EEGNN_ERR_NOT_FOUND,
                           "%s: no event is labelled '%s' (target '%s') in the %s column of the selected recordings' "
                           "events; the labels there are: %s%s%s",
                           where, label, target, column, *levels ? levels : "(none)",
                           strchr(label, '+') ? ". To merge labels into one class, name it: NAME=A+B" : "",
                           strcmp(column, "trial_type") ? "" : ". Labels of another column: event_column "
                                                               "(eegnn train --event-column COLUMN)");
}

/* Every task of the comma-separated filter has a recording. */
static eegnn_status eegnn__ds_check_tasks(const eegnn_bids_dataset *bids, const char *task_list) {
    char **tasks;
    int i, k, n_tasks = 0;
    eegnn_status st = EEGNN_OK;
    if (!(tasks = eegnn__ds_split_list(task_list, &n_tasks))) return EEGNN_ERR_MEMORY;
    for (k = 0; k < n_tasks && !st; k++) {
        for (i = 0; i < bids->n_recordings; i++)
            if (bids->recordings[i].task && !strcmp(bids->recordings[i].task, tasks[k])) break;
        if (i == bids->n_recordings) {
            eegnn__strbuf known = {0, 0, 0, 0};
            int j;
            for (i = 0; i < bids->n_recordings; i++) {
                const char *t = bids->recordings[i].task;
                for (j = 0; j < i && t; j++)
                    if (bids->recordings[j].task && !strcmp(bids->recordings[j].task, t)) t = NULL;
                if (t) eegnn__sb_printf(&known, "%s%s", known.len ? ", " : "", t);
            }
            st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no recording of task '%s' (tasks: %s)", bids->root,
                                 tasks[k], known.p ? known.p : "none");
            eegnn__sb_free(&known);
        }
    }
    eegnn__ds_free_strings(tasks, n_tasks);
    return st;
}

/* participants targets: the column exists; recordings whose subject has
 * no value are deselected (pl->n_skipped_subjects counts the subjects); a
 * classification target (non-numeric column) has two levels or more. */
static eegnn_status eegnn__ds_check_participants(const eegnn_bids_dataset *bids, const eegnn_dataset_config *cfg,
                                                 char *selected, eegnn_dataset_plan *pl) {
    const eegnn_table *pt = bids->participants;
    const char *column = cfg->target + 13;
    const char **levels;
    eegnn_status st = EEGNN_OK;
    int i, k, col;
    if (!pt)
        return eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no participants.tsv, which target '%s' needs", bids->root,
                               cfg->target);
    if ((col = eegnn_table_column(pt, column)) < 0) {
        eegnn__strbuf cols = {0, 0, 0, 0};
        for (k = 0; k < pt->n_cols; k++) eegnn__sb_printf(&cols, "%s%s", k ? ", " : "", pt->columns[k]);
        st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no column '%s' for target '%s' (columns: %s)", pt->path,
                             column, cfg->target, cols.p ? cols.p : "");
        eegnn__sb_free(&cols);
        return st;
    }
    pl->classification = !eegnn_table_column_is_numeric(pt, col);
    levels = (const char **)eegnn__calloc((size_t)bids->n_recordings + 1, sizeof(char *));
    if (!levels) return EEGNN_ERR_MEMORY;
    for (i = 0; i < bids->n_recordings; i++) {
        const eegnn_bids_recording *r = &bids->recordings[i];
        const char *v;
        int j, counted = 0;
        if (!selected[i]) continue;
        v = r->participant_row >= 0 ? eegnn_table_cell(pt, r->participant_row, col) : NULL;
        if (!v) { /* skipped: count each subject once */
            for (j = 0; j < i && !counted; j++)
                counted = bids->recordings[j].sub && r->sub && !strcmp(bids->recordings[j].sub, r->sub) &&
                          (!cfg->task || (bids->recordings[j].task &&
                                          eegnn__list_contains(cfg->task, bids->recordings[j].task)));
            if (!counted) pl->n_skipped_subjects++;
            selected[i] = 0;
            continue;
        }
        for (j = 0; j < pl->n_classes; j++)
            if (!strcmp(levels[j], v)) break;
        if (pl->classification && j == pl->n_classes) levels[pl->n_classes++] = v;
    }
    if (pl->n_classes == 1)
        st = eegnn_set_error(EEGNN_ERR_ARG, "%s: column '%s' has the single value '%s' among the selected "
                             "subjects: a classifier needs at least two classes", pt->path, column, levels[0]);
    EEGNN_FREE((void *)levels);
    return st;
}

/* pl->n_subjects and pl->n_groups (distinct held-out units) of the selected
 * recordings. */
static eegnn_status eegnn__ds_count_groups(const eegnn_bids_dataset *bids, const char *selected, int unit,
                                           eegnn_dataset_plan *pl) {
    char **seen = (char **)eegnn__calloc((size_t)bids->n_recordings + 1, sizeof(char *));
    int i, k, n_seen = 0;
    eegnn_status st = EEGNN_OK;
    if (!seen) return EEGNN_ERR_MEMORY;
    for (k = 0; k < 2 && !st; k++) {
        int n = 0;
        for (i = 0; i < bids->n_recordings; i++) {
            const eegnn_bids_recording *r = &bids->recordings[i];
            char name[512];
            if (!selected[i]) continue;
            if (k == 0 || unit == 0 || (unit == 1 && !r->ses)) snprintf(name, sizeof name, "sub-%s", r->sub ? r->sub : "");
            else if (unit == 1) snprintf(name, sizeof name, "sub-%s_ses-%s", r->sub ? r->sub : "", r->ses);
            else snprintf(name, sizeof name, "%s", r->name);
            if (!(seen[n_seen++] = eegnn__strdup(name))) {
                st = EEGNN_ERR_MEMORY;
                break;
            }
        }
        if (st) break;
        qsort(seen, (size_t)n_seen, sizeof *seen, eegnn__cmp_strings);
        for (i = 0; i < n_seen; i++) n += i == 0 || strcmp(seen[i], seen[i - 1]) != 0;
        if (k == 0) pl->n_subjects = n;
        else pl->n_groups = n;
        for (i = 0; i < n_seen; i++) EEGNN_FREE(seen[i]);
        n_seen = 0;
    }
    eegnn__ds_free_strings(seen, n_seen);
    return st;
}

/* events targets: at least two classes, and every label of them among the
 * levels of the events column (or the annotations) of the selected tasks. */
static eegnn_status eegnn__ds_check_event_classes(const eegnn_bids_dataset *bids, const eegnn_dataset_config *cfg,
                                                  eegnn_dataset_plan *pl) {
    const char *column = cfg->event_column ? cfg->event_column : "trial_type";
    eegnn_event_classes *ec = eegnn_event_classes_parse(cfg->target);
    eegnn_bids_levels *lv;
    eegnn_status st = EEGNN_OK;
    int k;
    pl->classification = 1;
    if (!ec) return EEGNN_ERR_ARG;
    pl->n_classes = ec->n_classes;
    if (ec->n_classes < 2) {
        eegnn_event_classes_free(ec);
        return eegnn_set_error(EEGNN_ERR_ARG, "target '%s' names one class: a classifier needs at least two "
                               "(events:A,B or events:NAME=A+B,C)", cfg->target);
    }
    if (!(lv = eegnn_bids_event_levels(bids, cfg->task, column))) {
        eegnn_event_classes_free(ec);
        return EEGNN_ERR_FORMAT;
    }
    if (lv->n_without_column) {
        eegnn_table *t = eegnn_table_read_tsv(lv->without_column_path);
        eegnn__strbuf cols = {0, 0, 0, 0};
        for (k = 0; t && k < t->n_cols; k++) eegnn__sb_printf(&cols, "%s%s", k ? ", " : "", t->columns[k]);
        st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no column '%s' for target '%s' (columns: %s)",
                             lv->without_column_path, column, cfg->target, cols.p ? cols.p : "?");
        eegnn__sb_free(&cols);
        eegnn_table_free(t);
    } else if (lv->n_without_events && strcmp(column, "trial_type")) {
        st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: %d selected recording%s no events file, and the "
                             "annotations of a signal file stand for trial_type only, not '%s'", bids->root,
                             lv->n_without_events, lv->n_without_events == 1 ? " has" : "s have", column);
    } else if (!lv->n_without_events) {
        for (k = 0; k < ec->n_labels && !st; k++)
            if (eegnn_bids_levels_find(lv, ec->labels[k]) < 0) {
                char levels[1024];
                eegnn_bids_levels_format(lv, levels, sizeof levels);
                st = eegnn__ds_missing_label(bids->root, ec->labels[k], cfg->target, column, levels);
            }
    }
    eegnn_bids_levels_free(lv);
    eegnn_event_classes_free(ec);
    return st;
}

EEGNN_API eegnn_status eegnn_dataset_check(const eegnn_bids_dataset *bids, const eegnn_dataset_config *cfg,
                                           eegnn_dataset_plan *plan) {
    eegnn_dataset_plan pl;
    char *selected = NULL;
    int i, kind, unit, has[5] = {0, 0, 0, 0, 0};
    eegnn_status st = EEGNN_OK;
    eegnn__ds_prep prep;
    if (plan) memset(plan, 0, sizeof *plan);
    memset(&pl, 0, sizeof pl);
    if (!bids || !cfg) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_dataset_check: NULL argument");
    if ((kind = eegnn__ds_target_kind(cfg->target)) < 0 || (unit = eegnn__ds_split_unit(cfg->split)) < 0)
        return EEGNN_ERR_ARG;
    if ((st = eegnn__ds_check_windows(cfg, kind))) return st;
    if (cfg->event_column && kind != 1)
        return eegnn_set_error(EEGNN_ERR_ARG, "dataset: event_column '%s' applies to events targets, not '%s'",
                               cfg->event_column, cfg->target);
    if ((st = eegnn__ds_prep_parse(cfg, &prep))) return st;
    eegnn__ds_prep_free(&prep);
    if (cfg->task && (st = eegnn__ds_check_tasks(bids, cfg->task))) return st;
    if (!(selected = (char *)eegnn__calloc((size_t)bids->n_recordings + 1, 1))) return EEGNN_ERR_MEMORY;
    for (i = 0; i < bids->n_recordings; i++) {
        const eegnn_bids_recording *r = &bids->recordings[i];
        selected[i] = !cfg->task || (r->task && eegnn__list_contains(cfg->task, r->task));
    }
    if (kind == 0 && (st = eegnn__ds_check_participants(bids, cfg, selected, &pl))) goto done;
    for (i = 0; i < bids->n_recordings; i++) {
        const eegnn_bids_recording *r = &bids->recordings[i];
        if (!selected[i]) continue;
        pl.n_recordings++;
        has[0] |= r->sub != NULL;
        has[1] |= r->ses != NULL;
        has[2] |= r->task != NULL;
        has[3] |= r->acq != NULL;
        has[4] |= r->run != NULL;
    }
    if (pl.n_recordings == 0) {
        st = eegnn_set_error(EEGNN_ERR_NOT_FOUND, "%s: no recording %s%s%s", bids->root,
                             kind == 0 ? "of a subject with a value for target " : "of the tasks ",
                             kind == 0 ? cfg->target : (cfg->task ? cfg->task : "(any)"),
                             kind == 0 && pl.n_skipped_subjects ? " (every selected subject's value is n/a)" : "");
        goto done;
    }
    if ((st = eegnn__ds_check_unit(unit, has, pl.n_recordings, bids->root))) goto done;
    if ((st = eegnn__ds_count_groups(bids, selected, unit, &pl))) goto done;
    if (kind == 2) pl.classification = 0;
    if (kind == 1 && (st = eegnn__ds_check_event_classes(bids, cfg, &pl))) goto done;
    if (plan) *plan = pl;
done:
    EEGNN_FREE(selected);
    return st;
}
