/* Files for programs built on eegnn (see base.h): atomic writes, whole-file
 * reads and folder creation, on the same helpers the library uses. */

EEGNN_API eegnn_status eegnn_write_file(const char *path, const void *data, size_t n) {
    eegnn__outfile of;
    eegnn_status st;
    if (!path || (!data && n)) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_write_file: NULL path or data");
    if ((st = eegnn__outfile_open(&of, path))) return st;
    if ((st = eegnn__outfile_write(&of, data, n))) {
        eegnn__outfile_abort(&of);
        return st;
    }
    return eegnn__outfile_commit(&of);
}

EEGNN_API eegnn_status eegnn_read_file(const char *path, char **data, size_t *n) {
    if (!path || !data) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_read_file: NULL path or data");
    return eegnn__read_file(path, data, n);
}

EEGNN_API eegnn_status eegnn_mkdirs(const char *path) {
    if (!path || !*path) return eegnn_set_error(EEGNN_ERR_ARG, "eegnn_mkdirs: empty path");
    return eegnn__mkdirs(path);
}
