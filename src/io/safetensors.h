/* ---------------------------------------------------------------------------
 * safetensors model files (huggingface/safetensors format).
 *
 * Layout: an 8-byte little-endian unsigned header length N, then N bytes of
 * UTF-8 JSON
 *   {"__metadata__": {"key": "value", ...},
 *    "conv1.weight": {"dtype": "F32", "shape": [64, 129, 7], "data_offsets": [0, 231168]}, ...}
 * (padded with spaces so the data starts 8-byte aligned), then the tensors'
 * raw little-endian bytes; data_offsets are [begin, end) within that byte
 * buffer. The files are what safetensors.torch.save_file / load_file
 * exchange with PyTorch, keyed by state_dict names.
 *
 * Reading validates everything before using anything: the header length
 * against the file size, the JSON syntax, every dtype and shape, that each
 * tensor's byte range matches dtype x shape, lies inside the data and that
 * the ranges neither overlap nor leave holes (as the reference
 * implementation requires). A broken file gives EEGNN_ERR_FORMAT with a
 * message naming the file, the byte offset or key, and what was expected.
 * ------------------------------------------------------------------------- */

/* Writes every named parameter and buffer of the graph (tensors flagged
 * EEGNN_TENSOR_PARAM or EEGNN_TENSOR_BUFFER) as F32, in creation order,
 * with n_metadata string pairs in "__metadata__" (keys must be unique and
 * not "__metadata__"). Written atomically: a temporary file renamed when
 * complete. Errors: EEGNN_ERR_ARG (a duplicate or empty tensor name, a
 * duplicate metadata key), EEGNN_ERR_IO, EEGNN_ERR_MEMORY. Thread safety:
 * reads the graph; do not run it concurrently. */
EEGNN_API eegnn_status eegnn_save_safetensors(eegnn_graph *g, const char *path, const char *const *metadata_keys,
                                              const char *const *metadata_values, int n_metadata);

/* One extra tensor for eegnn_save_safetensors_ex: float32 data of the
 * given shape (ndim 0: a scalar), stored under `name`. */
typedef struct eegnn_safetensors_entry {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[8];
} eegnn_safetensors_entry;

/* As eegnn_save_safetensors (g may be NULL: extras only), followed by
 * n_extra more tensors (training state such as "optimizer.<param>.exp_avg").
 * Every name must be unique across the graph's tensors and the extras
 * (EEGNN_ERR_ARG). Written atomically. */
EEGNN_API eegnn_status eegnn_save_safetensors_ex(eegnn_graph *g, const char *path,
                                                 const char *const *metadata_keys,
                                                 const char *const *metadata_values, int n_metadata,
                                                 const eegnn_safetensors_entry *extra, int n_extra);

/* Flag for eegnn_load_safetensors: load the tensors whose names match and
 * ignore the rest (PyTorch's load_state_dict(strict=False)). */
#define EEGNN_LOAD_NONSTRICT 1

/* Loads a file's tensors into the graph's parameters and buffers by name,
 * converting F16, BF16 and F64 to float32. Strict mode (flags 0, as
 * PyTorch's default) fails with EEGNN_ERR_NOT_FOUND when a graph tensor has
 * no entry in the file and EEGNN_ERR_FORMAT when the file has a tensor the
 * graph lacks; keys ending in ".num_batches_tracked" (batch norm counters
 * that eegnn does not keep) are ignored. A shape mismatch or a non-float
 * dtype for a matching name is an error in both modes (EEGNN_ERR_FORMAT).
 * Training state that eegnn_train keeps in last.safetensors (keys starting
 * with "optimizer.", "best." or "ema.") is ignored as well.
 * Each message names the key. The graph is changed only when the whole load
 * succeeds. Thread safety: writes the graph's tensors. */
EEGNN_API eegnn_status eegnn_load_safetensors(eegnn_graph *g, const char *path, int flags);

/* ---- Lower-level reader ---- */
#define EEGNN_SAFETENSORS_MAX_DIMS 8

typedef struct eegnn_safetensors eegnn_safetensors;

typedef struct eegnn_safetensors_info {
    const char *name;  /* state_dict key (valid until close) */
    const char *dtype; /* "F32", "F16", "BF16", "F64", "I64", ... */
    int ndim;
    int64_t shape[EEGNN_SAFETENSORS_MAX_DIMS];
    size_t numel;
} eegnn_safetensors_info;

/* Reads and validates a whole file (see above). NULL with the error set
 * (EEGNN_ERR_IO, EEGNN_ERR_FORMAT, EEGNN_ERR_MEMORY). */
EEGNN_API eegnn_safetensors *eegnn_safetensors_open(const char *path);
/* Same from memory (copied); `name` is used in error messages. */
EEGNN_API eegnn_safetensors *eegnn_safetensors_open_memory(const void *data, size_t size, const char *name);
EEGNN_API void eegnn_safetensors_close(eegnn_safetensors *st);
/* Tensors, in the order the header lists them. */
EEGNN_API int eegnn_safetensors_n_tensors(const eegnn_safetensors *st);
EEGNN_API eegnn_status eegnn_safetensors_tensor(const eegnn_safetensors *st, int i, eegnn_safetensors_info *info);
/* Index of the tensor called `name`, or -1. */
EEGNN_API int eegnn_safetensors_find(const eegnn_safetensors *st, const char *name);
/* Copies tensor i into dst (n == numel), converted to float32 from F32, F64,
 * F16, BF16 or an integer dtype. EEGNN_ERR_ARG when n differs; EEGNN_ERR_UNSUPPORTED
 * for BOOL and 8-bit float dtypes. */
EEGNN_API eegnn_status eegnn_safetensors_read_f32(const eegnn_safetensors *st, int i, float *dst, size_t n);
/* The "__metadata__" value for key, or NULL when absent. */
EEGNN_API const char *eegnn_safetensors_metadata(const eegnn_safetensors *st, const char *key);
