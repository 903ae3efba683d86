/* Continuous recordings: reader dispatch, freeing, lookups, summary. */

static int eegnn__ext_is(const char *path, const char *ext) {
    size_t lp = strlen(path), le = strlen(ext), i;
    if (lp < le) return 0;
    for (i = 0; i < le; i++) {
        char c = path[lp - le + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != ext[i]) return 0;
    }
    return 1;
}

EEGNN_API eegnn_raw *eegnn_read_raw(const char *path, const eegnn_read_options *opts) {
    if (!path) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_read_raw: path is NULL");
        return NULL;
    }
    if (eegnn__ext_is(path, ".edf") || eegnn__ext_is(path, ".bdf")) return eegnn_read_edf(path, opts);
    if (eegnn__ext_is(path, ".vhdr")) return eegnn_read_brainvision(path, opts);
    if (eegnn__ext_is(path, ".set")) return eegnn_read_eeglab(path, opts);
    eegnn_set_error(EEGNN_ERR_UNSUPPORTED,
                    "%s: unsupported recording format (extension); supported: .edf, .bdf, .vhdr (BrainVision), "
                    ".set (EEGLAB)",
                    path);
    return NULL;
}

EEGNN_API void eegnn_raw_free(eegnn_raw *raw) {
    int i;
    if (!raw) return;
    for (i = 0; i < raw->n_channels; i++) {
        if (raw->ch_names) EEGNN_FREE(raw->ch_names[i]);
        if (raw->ch_units) EEGNN_FREE(raw->ch_units[i]);
        if (raw->ch_types) EEGNN_FREE(raw->ch_types[i]);
    }
    for (i = 0; i < raw->n_annotations; i++)
        if (raw->annotations) EEGNN_FREE(raw->annotations[i].description);
    EEGNN_FREE(raw->ch_names);
    EEGNN_FREE(raw->ch_units);
    EEGNN_FREE(raw->ch_types);
    EEGNN_FREE(raw->ch_sfreq);
    EEGNN_FREE(raw->annotations);
    EEGNN_FREE(raw->data);
    EEGNN_FREE(raw->path);
    EEGNN_FREE(raw->format);
    EEGNN_FREE(raw);
}

EEGNN_API int eegnn_raw_channel_index(const eegnn_raw *raw, const char *name) {
    int i;
    if (!raw || !name || !raw->ch_names) return -1;
    for (i = 0; i < raw->n_channels; i++)
        if (raw->ch_names[i] && strcmp(raw->ch_names[i], name) == 0) return i;
    return -1;
}

EEGNN_API double eegnn_raw_duration(const eegnn_raw *raw) {
    if (!raw || !(raw->sfreq > 0)) return 0.0;
    return (double)raw->n_times / raw->sfreq;
}

EEGNN_API void eegnn_raw_print_info(const eegnn_raw *raw, FILE *fp) {
    int i, shown;
    if (!raw || !fp) return;
    fprintf(fp, "file:        %s\n", raw->path ? raw->path : "(memory)");
    fprintf(fp, "format:      %s\n", raw->format ? raw->format : "?");
    fprintf(fp, "channels:    %d", raw->n_channels);
    shown = raw->n_channels < 8 ? raw->n_channels : 8;
    for (i = 0; i < shown; i++) fprintf(fp, "%s%s", i ? ", " : " (", raw->ch_names[i]);
    if (shown) fprintf(fp, "%s)", raw->n_channels > shown ? ", ..." : "");
    fprintf(fp, "\n");
    fprintf(fp, "sfreq:       %g Hz\n", raw->sfreq);
    fprintf(fp, "n_times:     %lld (%.3f s)\n", (long long)raw->n_times, eegnn_raw_duration(raw));
    fprintf(fp, "annotations: %d\n", raw->n_annotations);
    if (raw->meas_date == raw->meas_date) {
        long long y;
        int m, d, hh, mm, ss;
        eegnn__utc_from_unix(raw->meas_date, &y, &m, &d, &hh, &mm, &ss);
        fprintf(fp, "meas_date:   %04lld-%02d-%02d %02d:%02d:%02d UTC\n", y, m, d, hh, mm, ss);
    } else {
        fprintf(fp, "meas_date:   unknown\n");
    }
    if (raw->discontinuous) fprintf(fp, "note:        discontinuous records (EDF+D/BDF+D)\n");
}
