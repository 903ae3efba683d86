/* ---------------------------------------------------------------------------
 * Arena, tensors and the computation graph (reverse-mode autodiff).
 *
 * A graph owns one arena, sized by the caller, from which every tensor, its
 * gradient, the state each op saves for backward and the per-thread scratch
 * are carved when the graph is built. Building a node runs nothing; it only
 * fixes shapes and reserves memory. Then the graph is run many times:
 *
 *   eegnn_graph_config cfg = {0};            // zero-filled config is valid
 *   cfg.arena_bytes = 256u << 20;
 *   eegnn_graph *g = eegnn_graph_create(&cfg);
 *   int xs[3] = {64, 129, 200}, ys[2] = {64, 1};
 *   eegnn_tensor *x = eegnn_input(g, "x", 3, xs);     // (batch, channels, time)
 *   eegnn_tensor *y = eegnn_input(g, "y", 2, ys);
 *   eegnn_tensor *h = ... ops from ops.h / layers from nn.h ...;
 *   eegnn_tensor *loss = eegnn_mse_loss(g, h, y);
 *   if (!loss) fprintf(stderr, "%s\n", eegnn_last_error());
 *   for (...) { fill x->data, y->data; eegnn_graph_forward(g);
 *               eegnn_graph_zero_grad(g); eegnn_graph_backward(g, loss);
 *               eegnn_optimizer_step(opt); }
 *
 * Nodes run in the order they were created (which is a topological order,
 * since an op's inputs exist before it). Backward runs them in reverse.
 * Gradients flow only into nodes that depend on a parameter; inputs get none.
 * Parameter gradients accumulate across backward calls, as in PyTorch, until
 * eegnn_graph_zero_grad. Nothing is allocated by forward or backward once
 * the graph is prepared (eegnn_graph_prepare, or the first forward).
 *
 * Memory: every node keeps its output (backward needs it), but gradients of
 * intermediate nodes are not kept, as in PyTorch (non-leaf tensors have no
 * .grad unless retain_grad()). They live in one pool, planned from the
 * graph's structure: a node's gradient is live from the backward of its
 * last consumer down to its own backward, and nodes whose live ranges do not
 * overlap share memory. Ops that can compute their input's gradient in
 * place (batch norm, ...) share their buffer with it when they are its only
 * consumer. After backward, parameters (and tensors marked with
 * eegnn_tensor_retain_grad) hold their gradients; other intermediate
 * gradients are overwritten.
 *
 * Op constructors return NULL and set eegnn_last_error() on a shape error or
 * a full arena; they also return NULL when any input is NULL, so a chain of
 * calls can be checked once at the end.
 *
 * Thread safety: a graph is used by one thread at a time; ops use the
 * graph's own thread pool internally.
 * ------------------------------------------------------------------------- */
#define EEGNN_MAX_DIMS 4
#define EEGNN_MAX_SRC 12
#define EEGNN_NAME_MAX 96

typedef struct eegnn_graph eegnn_graph;
typedef struct eegnn_tensor eegnn_tensor;

/* Runs one node (forward or backward). */
typedef void (*eegnn_op_fn)(eegnn_graph *g, eegnn_tensor *node);

/* Tensor flags. */
enum {
    EEGNN_TENSOR_INPUT = 1,    /* data written by the caller before forward */
    EEGNN_TENSOR_PARAM = 2,    /* trainable parameter: optimizers update it */
    EEGNN_TENSOR_BUFFER = 4,   /* saved state that is not trained (batch norm running stats) */
    EEGNN_TENSOR_NO_DECAY = 8, /* excluded from weight decay by optimizers that honour it */
    EEGNN_TENSOR_FROZEN = 16,  /* parameter whose gradient is not applied */
    EEGNN_TENSOR_RETAIN_GRAD = 32, /* keeps its own gradient buffer (eegnn_tensor_retain_grad) */
    EEGNN_TENSOR_GRAD_IN_PLACE = 64 /* op flag: backward may write src[0]'s gradient over this node's */
};

/* What a node computes (as ggml's enum ggml_op). Backends and profilers
 * select nodes by it and read an op's parameters through its typed
 * accessor (eegnn_linear_params_of, ... in ops.h), never by name or by the
 * op's private slots. EEGNN_OP_NONE: inputs, parameters and buffers;
 * EEGNN_OP_CUSTOM: a node an extension made with eegnn_graph_new_node. */
typedef enum eegnn_op {
    EEGNN_OP_NONE,
    EEGNN_OP_CUSTOM,
    EEGNN_OP_LINEAR,
    EEGNN_OP_MATMUL,
    EEGNN_OP_CONV1D,
    EEGNN_OP_CONV2D,
    EEGNN_OP_BIAS_ADD,
    EEGNN_OP_ADD,
    EEGNN_OP_ADD_BROADCAST,
    EEGNN_OP_MUL_BROADCAST,
    EEGNN_OP_MUL,
    EEGNN_OP_SCALE,
    EEGNN_OP_RELU,
    EEGNN_OP_ELU,
    EEGNN_OP_GELU,
    EEGNN_OP_TANH,
    EEGNN_OP_SIGMOID,
    EEGNN_OP_SILU,
    EEGNN_OP_EXP,
    EEGNN_OP_SQUARE,
    EEGNN_OP_CLAMP,
    EEGNN_OP_SAFE_LOG,
    EEGNN_OP_SOFTMAX,
    EEGNN_OP_LOG_SOFTMAX,
    EEGNN_OP_RESHAPE,
    EEGNN_OP_FLATTEN,
    EEGNN_OP_PERMUTE,
    EEGNN_OP_CONCAT,
    EEGNN_OP_SLICE,
    EEGNN_OP_MEAN_DIM,
    EEGNN_OP_RENORM,
    EEGNN_OP_EMBEDDING,
    EEGNN_OP_DROPOUT,
    EEGNN_OP_DROPOUT2D,
    EEGNN_OP_LAYER_NORM,
    EEGNN_OP_BATCH_NORM_STATS,
    EEGNN_OP_BATCH_NORM,
    EEGNN_OP_AVG_POOL1D,
    EEGNN_OP_MAX_POOL1D,
    EEGNN_OP_AVG_POOL2D,
    EEGNN_OP_MAX_POOL2D,
    EEGNN_OP_GLOBAL_AVG_POOL,
    EEGNN_OP_ADAPTIVE_AVG_POOL1D,
    EEGNN_OP_ADAPTIVE_AVG_POOL2D,
    EEGNN_OP_MSE_LOSS,
    EEGNN_OP_L1_LOSS,
    EEGNN_OP_CROSS_ENTROPY_LOSS,
    EEGNN_OP_BCE_WITH_LOGITS_LOSS,
    EEGNN_OP_RFFT_POWER,
    EEGNN_OP_BAND_POWER,
    EEGNN_OP_SCALED_DOT_PRODUCT_ATTENTION,
    EEGNN_OP_WEIGHT_NORM,
    EEGNN_OP_POSITIONAL_ENCODING,
    EEGNN_OP_POSITIONAL_EMBEDDING,
    EEGNN_OP_EEGNEX_STEM,
    EEGNN_OP_COUNT
} eegnn_op;

/* The name of an op kind ("linear", "scaled_dot_product_attention", ...;
 * PyTorch's names where it has the op), or "unknown". Thread safe. */
EEGNN_API const char *eegnn_op_name(eegnn_op op);

/* A float32, row-major, contiguous tensor of 0..4 dimensions (a 0-D tensor
 * has numel 1). `data` and `grad` point into the graph's arena; `grad` is
 * NULL when no gradient flows to this node. */
struct eegnn_tensor {
    int ndim;
    int shape[EEGNN_MAX_DIMS];
    size_t numel;
    float *data; /* (numel) */
    float *grad; /* (numel) or NULL; intermediate nodes: a share of the gradient
                  * pool, meaningful only during backward (see Memory above) */
    int flags;
    char name[EEGNN_NAME_MAX]; /* parameters: braindecode/PyTorch state_dict key */
    /* --- graph internals, read-only for users --- */
    const char *op;        /* op name, e.g. "conv1d"; "input", "param", "buffer" */
    eegnn_op kind;         /* op kind (EEGNN_OP_NONE for inputs, parameters and buffers) */
    int index;             /* position in the graph */
    eegnn_op_fn forward;   /* NULL for inputs and parameters */
    eegnn_op_fn backward;  /* NULL when the op has no gradient */
    eegnn_tensor *src[EEGNN_MAX_SRC];
    int ip[8];             /* integer op parameters (kernel, stride, ...) */
    float fp[4];           /* float op parameters (alpha, eps, ...) */
    float *aux;            /* (aux_len) state saved by forward for backward */
    size_t aux_len;
    int32_t *iaux;         /* (iaux_len) integer state, e.g. argmax indices */
    size_t iaux_len;
    void *state;           /* structured state of a fused op (in the arena), or NULL */
    eegnn_graph *owner;    /* the graph the tensor belongs to */
};

typedef struct eegnn_graph_config {
    size_t arena_bytes; /* arena size; 0: 64 MiB */
    void *arena_buffer; /* caller memory of arena_bytes (64-byte aligned); NULL: allocated */
    int max_nodes;      /* 0: 4096 */
    int n_threads;      /* threads for matmul/conv; 0: all online CPUs */
    uint64_t seed;      /* seeds parameter init and dropout; 0 is a valid seed */
} eegnn_graph_config;

/* Creates an empty graph (cfg NULL: the zero-filled config's defaults).
 * Returns NULL (error set) when memory is short. */
EEGNN_API eegnn_graph *eegnn_graph_create(const eegnn_graph_config *cfg);
/* Frees the graph, its arena (unless caller-provided) and thread pool. */
EEGNN_API void eegnn_graph_free(eegnn_graph *g);

/* New input tensor of `ndim` dims, zero-filled. name: used in errors. */
EEGNN_API eegnn_tensor *eegnn_input(eegnn_graph *g, const char *name, int ndim, const int *shape);
/* New trainable parameter (zero-filled; nn.h layers initialise them). */
EEGNN_API eegnn_tensor *eegnn_param(eegnn_graph *g, const char *name, int ndim, const int *shape);
/* New non-trainable state tensor saved with the model (e.g. running_mean). */
EEGNN_API eegnn_tensor *eegnn_buffer(eegnn_graph *g, const char *name, int ndim, const int *shape);

/* Runs every node in creation order. Returns EEGNN_OK. */
EEGNN_API eegnn_status eegnn_graph_forward(eegnn_graph *g);
/* Runs nodes up to and including `last` (e.g. the prediction, skipping the
 * loss when no target is known). */
EEGNN_API eegnn_status eegnn_graph_forward_to(eegnn_graph *g, eegnn_tensor *last);
/* Zeroes intermediate gradients, seeds d(loss)/d(loss) = 1 and runs the
 * backward functions in reverse creation order, accumulating into
 * parameter gradients. `loss` must have numel 1 and depend on a parameter
 * (EEGNN_ERR_ARG otherwise). */
EEGNN_API eegnn_status eegnn_graph_backward(eegnn_graph *g, eegnn_tensor *loss);
/* Sets every parameter gradient to zero. */
EEGNN_API void eegnn_graph_zero_grad(eegnn_graph *g);
/* Plans and carves the gradient pool and the per-thread scratch from the
 * arena (forward and backward do it on first use, and again after nodes are
 * added). Returns EEGNN_ERR_MEMORY (arena full, error set) or EEGNN_OK; call
 * it after building to learn whether the arena is large enough. */
EEGNN_API eegnn_status eegnn_graph_prepare(eegnn_graph *g);
/* Keeps the gradient of a non-parameter node readable after backward (as
 * torch.Tensor.retain_grad): it gets its own buffer instead of a share of
 * the pool. Call before the graph is prepared (before the first forward).
 * No effect on nodes without a gradient. */
EEGNN_API void eegnn_tensor_retain_grad(eegnn_tensor *t);
/* Train mode (1: dropout active, batch norm uses batch statistics and
 * updates running statistics) or eval mode (0). New graphs are in train mode. */
EEGNN_API void eegnn_graph_set_training(eegnn_graph *g, int training);
EEGNN_API int eegnn_graph_training(const eegnn_graph *g);

/* Number of nodes / node i in creation order. */
EEGNN_API int eegnn_graph_n_nodes(const eegnn_graph *g);
EEGNN_API eegnn_tensor *eegnn_graph_node(const eegnn_graph *g, int i);
/* Parameters (EEGNN_TENSOR_PARAM), in creation order. */
EEGNN_API int eegnn_graph_n_params(const eegnn_graph *g);
EEGNN_API eegnn_tensor *eegnn_graph_param(const eegnn_graph *g, int i);
/* Total number of trainable scalars (as sum(p.numel() for p in parameters())). */
EEGNN_API size_t eegnn_graph_n_param_scalars(const eegnn_graph *g);
/* Finds a node by name (parameters, buffers, inputs, named nodes); NULL if absent. */
EEGNN_API eegnn_tensor *eegnn_graph_find(const eegnn_graph *g, const char *name);
/* Arena bytes in use / in total. */
EEGNN_API size_t eegnn_graph_arena_used(const eegnn_graph *g);
EEGNN_API size_t eegnn_graph_arena_size(const eegnn_graph *g);
/* The graph's thread pool (NULL when single-threaded) and RNG. */
EEGNN_API eegnn_threadpool *eegnn_graph_pool(eegnn_graph *g);
EEGNN_API eegnn_rng *eegnn_graph_rng(eegnn_graph *g);

/* Sets a node's name (e.g. to find it later); truncated to EEGNN_NAME_MAX-1. */
EEGNN_API void eegnn_tensor_set_name(eegnn_tensor *t, const char *name);
/* Copies n floats in / out of a tensor (n must equal numel: EEGNN_ERR_ARG). */
EEGNN_API eegnn_status eegnn_tensor_set(eegnn_tensor *t, const float *src, size_t n);
EEGNN_API eegnn_status eegnn_tensor_get(const eegnn_tensor *t, float *dst, size_t n);
/* Shape as text, e.g. "(64, 129, 200)", into buf; returns buf. */
EEGNN_API char *eegnn_shape_str(const eegnn_tensor *t, char *buf, size_t buf_size);

/* ---- For op implementations (used by src/ops, available to extensions) ----
 * eegnn_graph_new_op makes a node of kind `op` (named eegnn_op_name(op))
 * with the given shape and inputs; it allocates `grad` when any input
 * carries one. Op constructors then set forward/backward, ip/fp, and
 * reserve aux memory and scratch. eegnn_graph_new_node does the same for
 * an extension's own op: kind EEGNN_OP_CUSTOM, named `name`. Errors (NULL,
 * error set): a NULL input (an earlier constructor failed), too many
 * dimensions or inputs, a dimension < 1, a full arena or node table. */
EEGNN_API eegnn_tensor *eegnn_graph_new_op(eegnn_graph *g, eegnn_op op, int ndim, const int *shape,
                                           eegnn_tensor *const *src, int n_src);
EEGNN_API eegnn_tensor *eegnn_graph_new_node(eegnn_graph *g, const char *name, int ndim, const int *shape,
                                             eegnn_tensor *const *src, int n_src);
/* Arena allocation of n bytes, 64-byte aligned; NULL (error set) when full. */
EEGNN_API void *eegnn_graph_alloc(eegnn_graph *g, size_t n_bytes);
/* Declares that the op needs `n_floats` scratch floats per task slot (one slot
 * per thread); the scratch is carved from the arena before the first run. */
EEGNN_API void eegnn_graph_reserve_scratch(eegnn_graph *g, size_t n_floats);
/* Scratch of slot `task` (0 <= task < eegnn_graph_n_threads(g)), at least the
 * largest reservation. Valid during forward/backward. */
EEGNN_API float *eegnn_graph_scratch(eegnn_graph *g, int task);
EEGNN_API int eegnn_graph_n_threads(const eegnn_graph *g);

/* ---- Accelerator hooks (used by eegnn_hip.h, available to extensions) ----
 * An accelerator that runs some nodes elsewhere (eegnn_gpu_attach) keeps
 * its own copy of arena memory and tells the graph through these hooks
 * where the current bytes live. All pointers are arena memory; p NULL with
 * n_bytes 0 means the whole arena. Any hook may be NULL. */
typedef struct eegnn_param_update {
    int type;              /* eegnn_optimizer_type (optim.h) */
    float lr, weight_decay; /* effective values for this parameter */
    float beta1, beta2, eps, momentum, dampening;
    int nesterov, amsgrad;
    long step;             /* the parameter's step count t, 1 on its first update */
    float *state1, *state2, *state3; /* host optimizer state (numel floats each) or NULL */
} eegnn_param_update;

typedef struct eegnn_graph_hooks {
    void *ctx;
    void (*forward_begin)(eegnn_graph *g, void *ctx);                  /* inputs were written by the host */
    void (*forward_end)(eegnn_graph *g, void *ctx, eegnn_tensor *last); /* last's data must be on the host */
    void (*backward_end)(eegnn_graph *g, void *ctx);
    void (*zeroed)(eegnn_graph *g, void *ctx, void *p, size_t n_bytes); /* host set the bytes to 0 */
    void (*to_host)(eegnn_graph *g, void *ctx, const void *p, size_t n_bytes); /* host is about to read */
    void (*host_wrote)(eegnn_graph *g, void *ctx, const void *p, size_t n_bytes);
    /* optimizer step on the accelerator: 1 when it updated p (and its state
     * there), 0 when the host must do it */
    int (*param_update)(eegnn_graph *g, void *ctx, eegnn_tensor *p, const eegnn_param_update *u);
    /* 1: checked every gradient, *bad = position in params of the first
     * non-finite one (-1 none), *bad_index its element; 0: not handled */
    int (*check_finite)(eegnn_graph *g, void *ctx, eegnn_tensor *const *params, int n_params, int *bad,
                        size_t *bad_index);
} eegnn_graph_hooks;

/* Installs hooks (copied; NULL removes them). Returns the previous ones in
 * *old when old is not NULL. */
EEGNN_API void eegnn_graph_set_hooks(eegnn_graph *g, const eegnn_graph_hooks *h, eegnn_graph_hooks *old);
/* The installed hooks, or NULL. */
EEGNN_API const eegnn_graph_hooks *eegnn_graph_get_hooks(const eegnn_graph *g);
/* Start of the arena (every tensor's data, grad and aux lie in
 * [base, base + eegnn_graph_arena_size)). */
EEGNN_API void *eegnn_graph_arena_base(const eegnn_graph *g);
/* Makes every tensor's host copy current (data, gradients, saved state).
 * Call before reading tensors the graph did not hand back (parameters,
 * gradients) while an accelerator is attached; no-op otherwise. */
EEGNN_API void eegnn_graph_sync(eegnn_graph *g);
/* Tells an attached accelerator that the host changed tensors (e.g. loaded
 * weights); its copies are refreshed on next use. No-op otherwise. */
EEGNN_API void eegnn_graph_host_modified(eegnn_graph *g);
/* For ops and optimizers: make n_bytes at p current on the host / report
 * that the host wrote them (no-ops without hooks). */
EEGNN_API void eegnn_graph_to_host(eegnn_graph *g, const void *p, size_t n_bytes);
EEGNN_API void eegnn_graph_host_wrote(eegnn_graph *g, const void *p, size_t n_bytes);
/* Zeroes n_bytes at p (split over the graph's threads from 1 MiB on) and
 * tells an attached accelerator. Call it from the thread that drives the
 * graph, never from inside an op's parallel task. */
EEGNN_API void eegnn_graph_zero(eegnn_graph *g, void *p, size_t n_bytes);
