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
