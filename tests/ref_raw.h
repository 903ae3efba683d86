/* The reference summary of one recording that a tests/ref_*.py script wrote
 * with MNE-Python ("<key>.txt": path, status, sfreq, n_times, meas_date,
 * n_channels, ch/type lines, n_annotations, ann lines), its loader, and the
 * comparison of annotations. Shared by the reader tests; include after
 * test.h. */
#ifndef EEGNN_REF_RAW_H
#define EEGNN_REF_RAW_H

typedef struct ref_file {
    char rel[512];
    int refused;
    double sfreq, meas_date;
    long long n_times;
    int n_ch, n_ann;
    char **names, **types;
    double *onset, *duration;
    char **desc;
} ref_file;

static TEST_UNUSED char *dup_str(const char *s) {
    char *d = (char *)malloc(strlen(s) + 1);
    if (d) strcpy(d, s);
    return d;
}

static TEST_UNUSED void ref_free(ref_file *r) {
    int i;
    for (i = 0; i < r->n_ch; i++) {
        if (r->names) free(r->names[i]);
        if (r->types) free(r->types[i]);
    }
    for (i = 0; i < r->n_ann; i++)
        if (r->desc) free(r->desc[i]);
    free(r->names);
    free(r->types);
    free(r->onset);
    free(r->duration);
    free(r->desc);
}

/* Returns 1 when every announced channel, type and annotation was read. */
static TEST_UNUSED int ref_load(const char *path, ref_file *r) {
    FILE *fp = fopen(path, "rb");
    static char line[1 << 16];
    int ci = 0, ti = 0, ai = 0;
    memset(r, 0, sizeof *r);
    if (!fp) return 0;
    while (fgets(line, sizeof line, fp)) {
        size_t n = strlen(line);
        char *rest;
        if (n && line[n - 1] == '\n') line[--n] = '\0';
        rest = strchr(line, ' ');
        rest = rest ? rest + 1 : line + n;
        if (strncmp(line, "path ", 5) == 0) {
            snprintf(r->rel, sizeof r->rel, "%s", rest);
        } else if (strncmp(line, "status ", 7) == 0) {
            r->refused = strcmp(rest, "refused") == 0;
        } else if (strncmp(line, "sfreq ", 6) == 0) {
            r->sfreq = strtod(rest, NULL);
        } else if (strncmp(line, "n_times ", 8) == 0) {
            r->n_times = strtoll(rest, NULL, 10);
        } else if (strncmp(line, "meas_date ", 10) == 0) {
            r->meas_date = strtod(rest, NULL);
        } else if (strncmp(line, "n_channels ", 11) == 0 && !r->names) {
            r->n_ch = atoi(rest);
            r->names = (char **)calloc((size_t)r->n_ch + 1, sizeof(char *));
            r->types = (char **)calloc((size_t)r->n_ch + 1, sizeof(char *));
        } else if (strncmp(line, "type ", 5) == 0 && ti < r->n_ch) {
            r->types[ti++] = dup_str(rest);
        } else if (strncmp(line, "ch ", 3) == 0 && ci < r->n_ch) {
            r->names[ci++] = dup_str(rest);
        } else if (strncmp(line, "n_annotations ", 14) == 0 && !r->desc) {
            r->n_ann = atoi(rest);
            r->onset = (double *)calloc((size_t)r->n_ann + 1, sizeof(double));
            r->duration = (double *)calloc((size_t)r->n_ann + 1, sizeof(double));
            r->desc = (char **)calloc((size_t)r->n_ann + 1, sizeof(char *));
        } else if (strncmp(line, "ann ", 4) == 0 && ai < r->n_ann) {
            char *end, *end2;
            r->onset[ai] = strtod(rest, &end);
            r->duration[ai] = strtod(end, &end2);
            r->desc[ai] = dup_str(*end2 == ' ' ? end2 + 1 : end2);
            ai++;
        }
    }
    fclose(fp);
    return ci == r->n_ch && ti == r->n_ch && ai == r->n_ann;
}

/* Annotations equal MNE's: descriptions exactly, onsets and durations
 * within tol seconds. */
static TEST_UNUSED void check_annotations(const char *rel, const eegnn_raw *raw, const ref_file *r, double tol) {
    int i, bad = 0;
    CHECK(raw->n_annotations == r->n_ann, "%s: %d annotations, MNE %d", rel, raw->n_annotations, r->n_ann);
    if (raw->n_annotations != r->n_ann) return;
    for (i = 0; i < r->n_ann; i++) {
        const eegnn_annotation *a = &raw->annotations[i];
        if (fabs(a->onset - r->onset[i]) > tol || fabs(a->duration - r->duration[i]) > tol ||
            strcmp(a->description, r->desc[i]) != 0) {
            if (bad++ < 3)
                printf("  %s annotation %d: got (%.9f, %.9f, '%s'), MNE (%.9f, %.9f, '%s')\n", rel, i, a->onset,
                       a->duration, a->description, r->onset[i], r->duration[i], r->desc[i]);
        }
    }
    CHECK(bad == 0, "%s: %d of %d annotations differ from MNE", rel, bad, r->n_ann);
}

#endif
