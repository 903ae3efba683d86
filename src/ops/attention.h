/* ---------------------------------------------------------------------------
 * Layer normalization and scaled dot-product attention (src/ops/attention.c).
 *
 * Ops in the sense of ops.h: they create graph nodes, run nothing, return
 * NULL with eegnn_last_error() set on a shape error, a bad parameter, a full
 * arena or a NULL input. Thread safety: as the graph.
 * ------------------------------------------------------------------------- */

/* torch.nn.functional.layer_norm(x, (D,), weight, bias, eps) over the last
 * dimension: x (..., D) -> (..., D),
 *   y = (x - mean) / sqrt(var + eps) * weight + bias,
 * with the biased variance of each row of D values. weight, bias: (D) or
 * NULL (elementwise_affine=False). eps <= 0: 1e-5 (PyTorch's default).
 * Saves the mean and 1/std of every row for backward. Rows are split over
 * the graph's threads; weight/bias gradients are reduced in task order, so
 * results do not depend on timing. EEGNN_ERR_ARG when weight or bias is not
 * (D). */
EEGNN_API eegnn_tensor *eegnn_layer_norm(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *weight, eegnn_tensor *bias,
                                         float eps);

/* Multi-head scaled dot-product attention with heads packed in the last
 * dimension, as in torch.nn.MultiheadAttention (batch_first=True) after its
 * input projection and before its output projection:
 *   q (B, Tq, H*d), k (B, Tk, H*d), v (B, Tk, H*d) -> (B, Tq, H*d), where
 *   head h uses columns [h*d, (h+1)*d) of each, and
 *   out_h = dropout(softmax(q_h k_h^T / sqrt(d) + mask)) v_h.
 * n_heads: H, dividing the last dimension. key_padding_mask: (B, Tk) input
 * or NULL; a nonzero entry marks a padded key that no query attends to
 * (PyTorch's bool key_padding_mask, True = ignore). A query whose keys are
 * all padded gets NaN, as PyTorch's softmax over -inf does. dropout_p in
 * [0, 1): dropout on the attention weights in train mode (identity in eval
 * mode, as torch.nn.functional.dropout); the keep/drop decisions come from a
 * counter-based hash of a seed drawn from the graph's RNG at each forward,
 * so backward regenerates them instead of storing them. The same tensor may
 * be passed as q, k and v (self-attention).
 * Memory: the (Tq, Tk) weights are never stored whole; forward keeps one
 * logsumexp per (batch, head, query) and backward recomputes the weights one
 * block of 64 queries at a time (the FlashAttention scheme, Dao et al. 2022).
 * Parallel over (batch, head) pairs on the graph's pool. EEGNN_ERR_ARG on
 * mismatched shapes, n_heads not dividing the width, or dropout_p outside
 * [0, 1). */
EEGNN_API eegnn_tensor *eegnn_scaled_dot_product_attention(eegnn_graph *g, eegnn_tensor *q, eegnn_tensor *k,
                                                           eegnn_tensor *v, int n_heads,
                                                           eegnn_tensor *key_padding_mask, float dropout_p);

/* Self-attention on a packed projection qkv (B, T, 3*E) -> (B, T, E), where
 * q, k and v are qkv[..., 0:E], qkv[..., E:2E] and qkv[..., 2E:3E] (the
 * layout of torch.nn.MultiheadAttention's in_proj output, which it splits
 * with chunk(3, -1)); otherwise as eegnn_scaled_dot_product_attention. */
EEGNN_API eegnn_tensor *eegnn_scaled_dot_product_attention_qkv(eegnn_graph *g, eegnn_tensor *qkv, int n_heads,
                                                               eegnn_tensor *key_padding_mask, float dropout_p);

/* Typed parameters (see ops.h): EEGNN_OP_LAYER_NORM. */
typedef struct eegnn_layer_norm_params {
    int rows, n;   /* rows of n values, each normalized over its n values */
    float eps;
    eegnn_tensor *input;
    eegnn_tensor *weight, *bias; /* (n), or NULL */
    float *stats;  /* (rows, 2): each row's mean and 1/sqrt(var + eps), written by forward for backward */
} eegnn_layer_norm_params;
EEGNN_API eegnn_status eegnn_layer_norm_params_of(const eegnn_tensor *t, eegnn_layer_norm_params *p);

/* Typed parameters (see ops.h): EEGNN_OP_SCALED_DOT_PRODUCT_ATTENTION.
 * Head h of batch b, query i reads q[(b * tq + i) * q_ld + q_offset + h *
 * head_dim + c] (c < head_dim), likewise k and v with tk keys; the output
 * is (batch, tq, n_heads * head_dim). */
typedef struct eegnn_sdpa_params {
    int batch, n_heads, tq, tk, head_dim;
    int q_ld, k_ld, v_ld;             /* row strides of q, k, v (floats) */
    int q_offset, k_offset, v_offset; /* column of head 0 in q, k, v */
    eegnn_tensor *q, *k, *v;          /* may be one tensor (packed qkv) */
    eegnn_tensor *key_padding_mask;   /* (batch, tk), nonzero = padded key; or NULL */
    float dropout_p;
    int dropout_active;               /* 1: the last forward applied dropout */
    uint64_t dropout_seed;            /* its seed: query row r = (b * n_heads + h) * tq + i keeps key j when
                                         hash32(j * 0x9E3779B9 + rowkey(seed, r)) >= dropout_p * 2^32, with
                                         attention.c's hash32 (lowbias32) and rowkey (splitmix64 of
                                         seed + (r + 1) * 0x9E3779B97F4A7C15) */
    float *lse;                       /* (batch, n_heads, tq): logsumexp of each query's scaled scores */
} eegnn_sdpa_params;
EEGNN_API eegnn_status eegnn_sdpa_params_of(const eegnn_tensor *t, eegnn_sdpa_params *p);

/* Starts a forward of attention node t: decides from the graph's mode
 * whether dropout is active and, if so, draws its seed from the graph's RNG
 * (two eegnn_rng_u32), storing both in the node. The CPU forward calls it; a
 * backend computing the node elsewhere calls it instead, so that both
 * consume the same random numbers. Returns 1 when active, 0 when not (or t
 * is not an attention node). */
EEGNN_API int eegnn_sdpa_draw_dropout(eegnn_graph *g, eegnn_tensor *t);
