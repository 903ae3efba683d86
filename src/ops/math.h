/* ---------------------------------------------------------------------------
 * Math and shape ops (src/ops/math.c), PyTorch semantics, forward and
 * backward: activations (tanh, sigmoid, SiLU), exp, square, clamp and
 * braindecode's safe_log, broadcasting add/mul, permute, concat, slice
 * (narrow), mean over a dimension, torch.renorm (braindecode's max-norm
 * constraint) and embedding lookup.
 *
 * Each returns the new node, or NULL with eegnn_last_error() set
 * (EEGNN_ERR_ARG for shapes and arguments, EEGNN_ERR_MEMORY for a full
 * arena) or when an input is NULL. Dimensions are 0-based; where a `dim`
 * argument is taken, a negative value counts from the end (-1: last), as
 * in PyTorch. Backward adds into the gradient of each input that has one.
 * Thread safety: as the graph (one thread at a time per graph).
 * ------------------------------------------------------------------------- */

/* ---- Unary elementwise (any shape; output has x's shape) ---- */

/* torch.tanh: y = tanh(x); dy/dx = 1 - y^2. */
EEGNN_API eegnn_tensor *eegnn_tanh(eegnn_graph *g, eegnn_tensor *x);
/* torch.sigmoid: y = 1 / (1 + exp(-x)); dy/dx = y (1 - y). */
EEGNN_API eegnn_tensor *eegnn_sigmoid(eegnn_graph *g, eegnn_tensor *x);
/* torch.nn.functional.silu (swish): y = x * sigmoid(x);
 * dy/dx = s (1 + x (1 - s)) with s = sigmoid(x). */
EEGNN_API eegnn_tensor *eegnn_silu(eegnn_graph *g, eegnn_tensor *x);
/* torch.exp. */
EEGNN_API eegnn_tensor *eegnn_exp(eegnn_graph *g, eegnn_tensor *x);
/* torch.square: y = x * x (braindecode's square nonlinearity). */
EEGNN_API eegnn_tensor *eegnn_square(eegnn_graph *g, eegnn_tensor *x);
/* torch.clamp(x, min=lo, max=hi); pass -INFINITY / INFINITY for no bound.
 * The gradient passes where lo <= x <= hi (both ends included), as
 * PyTorch's clamp_backward. Errors: lo > hi, a NaN bound. */
EEGNN_API eegnn_tensor *eegnn_clamp(eegnn_graph *g, eegnn_tensor *x, float lo, float hi);
/* braindecode.functional.safe_log: torch.log(torch.clamp(x, min=eps));
 * eps 0 means braindecode's default 1e-6. The gradient is dy / x where
 * x >= eps and 0 below. Errors: eps < 0. */
EEGNN_API eegnn_tensor *eegnn_safe_log(eegnn_graph *g, eegnn_tensor *x, float eps);

/* ---- Broadcasting binary ops ---- */

/* a + b and a * b with NumPy/PyTorch broadcasting: shapes are aligned on
 * their last dimension, and each dimension pair must be equal or contain a
 * 1 (a missing leading dimension counts as 1). Output: the broadcast shape
 * (at most 4 dimensions), e.g. (B, T, D) + (T, D) -> (B, T, D) for
 * positional encodings, (B, C, 1, W) * (B, C, H, 1) -> (B, C, H, W).
 * Gradients are summed over the broadcast dimensions. Errors: shapes that
 * do not broadcast. */
EEGNN_API eegnn_tensor *eegnn_add_broadcast(eegnn_graph *g, eegnn_tensor *a, eegnn_tensor *b);
EEGNN_API eegnn_tensor *eegnn_mul_broadcast(eegnn_graph *g, eegnn_tensor *a, eegnn_tensor *b);

/* ---- Shape ops (copies; the output is contiguous) ---- */

/* torch.permute(x, perm): output dimension i is input dimension perm[i];
 * perm holds each of 0..ndim-1 once (negative entries count from the end).
 * Up to 4 dimensions. Errors: perm NULL or not a permutation. */
EEGNN_API eegnn_tensor *eegnn_permute(eegnn_graph *g, eegnn_tensor *x, const int *perm);
/* torch.cat(tensors[0..n-1], dim): all of the same rank, equal sizes except
 * along dim. Any n >= 1 (more than 4 inputs are joined through a chain of
 * concat nodes). Errors: n < 1, a NULL entry, mismatching shapes. */
EEGNN_API eegnn_tensor *eegnn_concat(eegnn_graph *g, eegnn_tensor *const *tensors, int n, int dim);
/* torch.narrow(x, dim, start, length), i.e. x[..., start:start+length, ...]
 * along dim (braindecode's Chomp1d is slice(x, 2, 0, T - chomp)).
 * Errors: start < 0, length < 1, start + length past the end. */
EEGNN_API eegnn_tensor *eegnn_slice(eegnn_graph *g, eegnn_tensor *x, int dim, int start, int length);
/* torch.mean(x, dim, keepdim): mean over one dimension; keepdim != 0 keeps
 * it with size 1, otherwise it is removed (a 1-D input gives a 0-D result).
 * Sums in double. Errors: dim out of range. */
EEGNN_API eegnn_tensor *eegnn_mean_dim(eegnn_graph *g, eegnn_tensor *x, int dim, int keepdim);

/* ---- Parameter transforms and lookups ---- */

/* torch.renorm(w, p, dim, maxnorm): each sub-tensor w.select(dim, i) whose
 * p-norm exceeds maxnorm is scaled by maxnorm / (norm + 1e-7); the others
 * pass unchanged. Backward is PyTorch's renorm_backward (the exact
 * derivative of that scaling, the norm included; identity for the slices
 * left unchanged). braindecode's max-norm layers (EEGNet, Deep4Net,
 * EEGConformer, ...) compute weight = original.renorm(2, 0, max_norm) on
 * every forward: build eegnn_renorm(g, original, 2, 0, max_norm) once and
 * pass its output to the layer; the gradient reaches `original`.
 * Norms are accumulated in double. Errors: p < 1, maxnorm <= 0, dim out of
 * range. */
EEGNN_API eegnn_tensor *eegnn_renorm(eegnn_graph *g, eegnn_tensor *w, float p, int dim, float maxnorm);
/* torch.nn.functional.embedding(indices, weight): indices of any shape up
 * to 3 dimensions, holding whole numbers in [0, num) as floats, weight
 * (num, dim) -> indices.shape + (dim). The gradient goes to weight (rows
 * summed over repeated indices); indices get none. An index that is not a
 * whole number in [0, num) gives a row of NaN (forward cannot fail; check
 * the output). Errors: weight not 2-D, indices of 4 dimensions. */
EEGNN_API eegnn_tensor *eegnn_embedding(eegnn_graph *g, eegnn_tensor *indices, eegnn_tensor *weight);
