/* ---------------------------------------------------------------------------
 * NumPy .npy files (format version 1.0/2.0/3.0, numpy.lib.format), the
 * simplest way to hand arrays to and from Python, MNE and PyTorch.
 * ------------------------------------------------------------------------- */
#define EEGNN_NPY_MAX_DIMS 8

/* Writes a float32 little-endian ('<f4') C-order array of `ndim` dims
 * (0..8) to `path`, atomically (a temporary file renamed when complete).
 * Errors: EEGNN_ERR_ARG (bad ndim/shape), EEGNN_ERR_IO. Thread safety:
 * reentrant. */
EEGNN_API eegnn_status eegnn_npy_write(const char *path, const float *data, int ndim, const int64_t *shape);

/* Reads a C-order .npy array of dtype '<f4', '<f8', '<i4', '<i8', '|u1' or
 * '|b1', converted to float32. Fills *ndim, shape[0..ndim-1] and *numel
 * (numel may be NULL). Returns memory to free with eegnn_free(), or NULL
 * with eegnn_last_error() naming the file and the problem (bad magic,
 * unsupported dtype, Fortran order, truncated data). Thread safety:
 * reentrant. */
EEGNN_API float *eegnn_npy_read(const char *path, int *ndim, int64_t shape[EEGNN_NPY_MAX_DIMS], size_t *numel);
