/* ---------------------------------------------------------------------------
 * Ops: graph node constructors with PyTorch semantics (forward and backward).
 *
 * Each returns the new node, or NULL with eegnn_last_error() set (shape
 * mismatch, bad parameter, arena full) or when an input is NULL. Shapes are
 * row-major; "batch" is always dimension 0. Unless said otherwise an op
 * reads its inputs and writes a fresh output (no aliasing).
 * Thread safety: as the graph (one thread at a time per graph).
 * ------------------------------------------------------------------------- */

/* ---- CPU paths (src/ops/cpu.c, src/ops/kernels.c) ---- */

/* The vector kernels (matrix products, convolution tiles, attention) exist
 * once per instruction set: "avx512" (AVX-512F), "avx2" (AVX2 + FMA) and
 * "generic" (the build's baseline: SSE2 on x86-64, NEON on arm64). The
 * best one the CPU supports is chosen on first use, once per process, from
 * cpuid; the environment variable EEGNN_CPU=avx512|avx2|generic forces one
 * (for tests and bug reports). Builds by nvcc or hipcc, for other CPUs, or
 * with EEGNN_NO_CPU_DISPATCH have the generic path only, built for the
 * compiler's flags. Thread safety: all three are safe from any thread. */

/* Name of the path in use: "avx512", "avx2" or "generic". */
EEGNN_API const char *eegnn_cpu_path(void);
/* The paths this CPU and build support, best first, space-separated
 * (e.g. "avx512 avx2 generic"). */
EEGNN_API const char *eegnn_cpu_paths(void);
/* NULL, or why EEGNN_CPU was not followed (an unknown name, or a path this
 * CPU lacks: the best supported path is used instead). */
EEGNN_API const char *eegnn_cpu_warning(void);

/* ---- Matrix products (src/ops/gemm.c, src/ops/linear.c) ---- */

/* C = alpha * op(A) @ op(B) + beta * C, row-major, op = transpose when
 * trans_* != 0: op(A) is (M, K), op(B) is (K, N), C is (M, N); lda/ldb/ldc
 * are row strides. Split over the pool's threads when pool != NULL.
 * Same contract as BLAS sgemm (row-major); uses cblas_sgemm under
 * EEGNN_USE_OPENBLAS. Thread safety: reentrant. */
EEGNN_API void eegnn_sgemm(eegnn_threadpool *pool, int trans_a, int trans_b, int m, int n, int k, float alpha,
                           const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* torch.matmul for a (M, K) @ b (K, N) -> (M, N), and batched
 * a (B, M, K) @ b (B, K, N) -> (B, M, N). */
EEGNN_API eegnn_tensor *eegnn_matmul(eegnn_graph *g, eegnn_tensor *a, eegnn_tensor *b);

/* torch.nn.functional.linear: x (..., in) @ w^T + b -> (..., out);
 * w: (out, in), b: (out) or NULL. */
EEGNN_API eegnn_tensor *eegnn_linear(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *w, eegnn_tensor *b);

/* ---- Convolution (src/ops/conv.c) ---- */

/* Padding value meaning PyTorch's padding='same' (stride must be 1; the
 * extra sample of an odd total pad goes to the right, as PyTorch does). */
#define EEGNN_PADDING_SAME (-1)

typedef struct eegnn_conv1d_params {
    int stride;   /* 0: 1 */
    int padding;  /* zeros on both sides, or EEGNN_PADDING_SAME */
    int dilation; /* 0: 1 */
    int groups;   /* 0: 1; in_channels for depthwise */
} eegnn_conv1d_params;

/* torch.nn.functional.conv1d: x (B, C_in, T_in), w (C_out, C_in/groups, K),
 * b (C_out) or NULL -> (B, C_out, T_out) with
 * T_out = (T_in + 2*padding - dilation*(K-1) - 1) / stride + 1.
 * p NULL: stride 1, no padding, dilation 1, groups 1. */
EEGNN_API eegnn_tensor *eegnn_conv1d(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *w, eegnn_tensor *b,
                                     const eegnn_conv1d_params *p);

/* ---- Elementwise and shape ops (src/ops/elementwise.c) ---- */

/* Adds b (C) along dimension 1 of x (B, C, ...) -> same shape as x. */
EEGNN_API eegnn_tensor *eegnn_bias_add(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *b);
/* a + b, a * b: same shapes, or b with numel 1 (broadcast scalar). */
EEGNN_API eegnn_tensor *eegnn_add(eegnn_graph *g, eegnn_tensor *a, eegnn_tensor *b);
EEGNN_API eegnn_tensor *eegnn_mul(eegnn_graph *g, eegnn_tensor *a, eegnn_tensor *b);
/* a * s for a constant s. */
EEGNN_API eegnn_tensor *eegnn_scale(eegnn_graph *g, eegnn_tensor *a, float s);
/* torch.relu; torch.nn.functional.elu(alpha) (alpha 0: 1.0);
 * torch.nn.functional.gelu (exact, erf form). */
EEGNN_API eegnn_tensor *eegnn_relu(eegnn_graph *g, eegnn_tensor *x);
EEGNN_API eegnn_tensor *eegnn_elu(eegnn_graph *g, eegnn_tensor *x, float alpha);
EEGNN_API eegnn_tensor *eegnn_gelu(eegnn_graph *g, eegnn_tensor *x);
/* torch.reshape (copy): one entry of shape may be -1. */
EEGNN_API eegnn_tensor *eegnn_reshape(eegnn_graph *g, eegnn_tensor *x, int ndim, const int *shape);
/* torch.flatten(x, 1): (B, ...) -> (B, prod(...)). */
EEGNN_API eegnn_tensor *eegnn_flatten(eegnn_graph *g, eegnn_tensor *x);
/* torch.nn.functional.dropout(p, training): in train mode zeroes each
 * element with probability p and scales the rest by 1/(1-p), drawing from
 * the graph's RNG; identity in eval mode. */
EEGNN_API eegnn_tensor *eegnn_dropout(eegnn_graph *g, eegnn_tensor *x, float p);
/* torch.softmax / torch.log_softmax over the last dimension. */
EEGNN_API eegnn_tensor *eegnn_softmax(eegnn_graph *g, eegnn_tensor *x);
EEGNN_API eegnn_tensor *eegnn_log_softmax(eegnn_graph *g, eegnn_tensor *x);

/* ---- Pooling (src/ops/pool.c) ---- */

/* torch.nn.functional.avg_pool1d(kernel, stride, padding,
 * count_include_pad=True) and max_pool1d(kernel, stride, padding) on
 * x (B, C, T) -> (B, C, (T + 2*padding - kernel) / stride + 1);
 * stride 0 means stride = kernel. */
EEGNN_API eegnn_tensor *eegnn_avg_pool1d(eegnn_graph *g, eegnn_tensor *x, int kernel, int stride, int padding);
EEGNN_API eegnn_tensor *eegnn_max_pool1d(eegnn_graph *g, eegnn_tensor *x, int kernel, int stride, int padding);
/* Mean over the last dimension: x (B, C, T) -> (B, C)
 * (torch.nn.AdaptiveAvgPool1d(1) followed by flatten). */
EEGNN_API eegnn_tensor *eegnn_global_avg_pool(eegnn_graph *g, eegnn_tensor *x);

/* ---- Normalization (src/ops/norm.c) ---- */

/* torch.nn.functional.batch_norm over dimension 1 of x (B, C), (B, C, T)
 * or (B, C, H, W) (BatchNorm1d / BatchNorm2d): weight, bias (C) parameters or NULL (affine=False);
 * running_mean, running_var (C) buffers or NULL
 * (track_running_stats=False). Train mode normalizes with the batch's
 * biased variance and updates running stats with the unbiased one:
 * running = (1 - momentum) * running + momentum * batch (momentum 0.1 and
 * eps 1e-5 are PyTorch's defaults; both are used as given). Eval mode uses
 * the running stats, or batch statistics when there are none, as
 * BatchNorm1d(track_running_stats=False). Builds two nodes: the batch
 * statistics ("batch_norm_stats", (2, C)) and the normalization. */
EEGNN_API eegnn_tensor *eegnn_batch_norm(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *weight,
                                         eegnn_tensor *bias, eegnn_tensor *running_mean,
                                         eegnn_tensor *running_var, float momentum, float eps);

/* ---- Losses (src/ops/loss.c); each returns a 0-D scalar, reduction "mean" ---- */

/* torch.nn.functional.mse_loss / l1_loss: pred and target of one shape. */
EEGNN_API eegnn_tensor *eegnn_mse_loss(eegnn_graph *g, eegnn_tensor *pred, eegnn_tensor *target);
EEGNN_API eegnn_tensor *eegnn_l1_loss(eegnn_graph *g, eegnn_tensor *pred, eegnn_tensor *target);
/* torch.nn.functional.binary_cross_entropy_with_logits (numerically
 * stable form); target in [0, 1], same shape as logits. */
EEGNN_API eegnn_tensor *eegnn_bce_with_logits_loss(eegnn_graph *g, eegnn_tensor *logits, eegnn_tensor *target);
/* torch.nn.functional.cross_entropy: logits (B, K), target (B) holding class
 * indices 0..K-1 as floats, class_weight (K) input/buffer or NULL; with
 * weights the mean is sum(w[y_i] * nll_i) / sum(w[y_i]), as PyTorch.
 * A label that is not a whole number in [0, K) makes the loss and its
 * gradient NaN (forward cannot fail; check the loss). */
EEGNN_API eegnn_tensor *eegnn_cross_entropy_loss(eegnn_graph *g, eegnn_tensor *logits, eegnn_tensor *target,
                                                 eegnn_tensor *class_weight);

/* The training losses by kind (what a trainer or a config names). */
typedef enum eegnn_loss_type {
    EEGNN_LOSS_CROSS_ENTROPY = 0, /* eegnn_cross_entropy_loss: output (B, K) logits, target (B) class indices */
    EEGNN_LOSS_MSE,               /* eegnn_mse_loss: output (B, 1) or (B), target (B) */
    EEGNN_LOSS_L1                 /* eegnn_l1_loss: output (B, 1) or (B), target (B) */
} eegnn_loss_type;
/* The loss of `type` between a model's output and target (B); class_weight
 * (K) or NULL applies to cross-entropy only. A regression output (B, 1) is
 * compared as (B). NULL (error set, EEGNN_ERR_ARG) for an unknown type, a
 * class weight with a regression loss, or shapes that do not match. */
EEGNN_API eegnn_tensor *eegnn_loss(eegnn_graph *g, eegnn_loss_type type, eegnn_tensor *output, eegnn_tensor *target,
                                   eegnn_tensor *class_weight);

/* ---- Typed parameters of nodes (src/ops/linear.c, elementwise.c) --------
 * What ggml keeps in op_params, as structures: backends, profilers and
 * tools read an op's parameters through these accessors, never through the
 * op's private slots (ip, fp, iaux). Each *_params_of fills p from node t
 * and returns EEGNN_OK, or EEGNN_ERR_ARG (error set) when t is NULL or of
 * another kind (t->kind). The tensors are the node's inputs; the float
 * pointers point into the node's state. Thread safe. */

/* EEGNN_OP_LINEAR: y (rows, out_features) = input (rows, in_features) @
 * weight^T + bias, the input viewed as rows of its last dimension. */
typedef struct eegnn_linear_params {
    int rows, in_features, out_features;
    eegnn_tensor *input;
    eegnn_tensor *weight; /* (out_features, in_features) */
    eegnn_tensor *bias;   /* (out_features), or NULL */
} eegnn_linear_params;
EEGNN_API eegnn_status eegnn_linear_params_of(const eegnn_tensor *t, eegnn_linear_params *p);

/* EEGNN_OP_DROPOUT: y = input * mask, mask 0 or 1 / (1 - p) per element
 * in train mode; y = input otherwise. */
typedef struct eegnn_dropout_params {
    float p;
    int active;   /* 1: the last forward drew a mask (train mode, p > 0); backward applies it */
    eegnn_tensor *input;
    float *mask;  /* (numel) the mask of the last active forward */
} eegnn_dropout_params;
EEGNN_API eegnn_status eegnn_dropout_params_of(const eegnn_tensor *t, eegnn_dropout_params *p);

/* Starts a forward of dropout node t: decides from the graph's mode
 * whether dropout is active and, if so, draws the mask, storing both in the
 * node. The mask is a counter-based hash of the element index and a 64-bit
 * seed, the seed two eegnn_rng_u32 from the graph's RNG; it is the same on
 * every CPU path and for every thread count.
 * The CPU forward calls it; a backend that computes the node elsewhere calls
 * it instead, so that both consume the same random numbers. Returns 1 when
 * active, 0 when not (or t is not a dropout node). */
EEGNN_API int eegnn_dropout_draw(eegnn_graph *g, eegnn_tensor *t);
