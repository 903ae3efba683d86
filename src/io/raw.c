/* eegnn_read_raw: the reader of a recording chosen by its file extension
 * (see raw.h). After the readers; they use recording.c, never this file. */

EEGNN_API eegnn_raw *eegnn_read_raw(const char *path, const eegnn_read_options *opts) {
    if (!path) {
        eegnn_set_error(EEGNN_ERR_ARG, "eegnn_read_raw: path is NULL");
        return NULL;
    }
    if (eegnn__has_extension(path, ".edf") || eegnn__has_extension(path, ".bdf")) return eegnn_read_edf(path, opts);
    if (eegnn__has_extension(path, ".vhdr")) return eegnn_read_brainvision(path, opts);
    if (eegnn__has_extension(path, ".set")) return eegnn_read_eeglab(path, opts);
    eegnn_set_error(EEGNN_ERR_UNSUPPORTED,
                    "%s: unsupported recording format (extension); supported: .edf, .bdf, .vhdr (BrainVision), "
                    ".set (EEGLAB)",
                    path);
    return NULL;
}
