/* ---------------------------------------------------------------------------
 * Transformer layers and models (src/nn/transformer.c).
 *
 * Layers with PyTorch's parameter names (state_dict keys under a prefix) and
 * default initialisation, built on eegnn_layer_norm and
 * eegnn_scaled_dot_product_attention (attention.h). Like the layers of nn.h
 * they return NULL (error set) on shape errors, a full arena or a NULL
 * input. Sequences are batch first: x (B, T, E). Thread safety: as the graph.
 * ------------------------------------------------------------------------- */

/* torch.nn.LayerNorm(normalized_shape, eps) over the last dimension of
 * x (..., normalized_shape): parameters "<prefix>.weight" = 1 and
 * "<prefix>.bias" = 0 (normalized_shape). eps <= 0: 1e-5. */
EEGNN_API eegnn_tensor *eegnn_nn_layer_norm(eegnn_graph *g, eegnn_tensor *x, int normalized_shape, float eps,
                                            const char *prefix);

/* torch.nn.MultiheadAttention(embed_dim, num_heads, dropout,
 * batch_first=True) used as self-attention, attn(x, x, x,
 * key_padding_mask=key_padding_mask, need_weights=False)[0]:
 * x (B, T, embed_dim) -> (B, T, embed_dim). Parameters
 *   "<prefix>.in_proj_weight" (3*embed_dim, embed_dim): xavier_uniform_,
 *   "<prefix>.in_proj_bias" (3*embed_dim): zeros,
 *   "<prefix>.out_proj.weight" (embed_dim, embed_dim): U(+-1/sqrt(embed_dim))
 *   (Linear's default), "<prefix>.out_proj.bias" (embed_dim): zeros,
 * as MultiheadAttention._reset_parameters. dropout: probability on the
 * attention weights (train mode only), 0 for none. key_padding_mask: (B, T)
 * input, nonzero = padded key, or NULL. EEGNN_ERR_ARG when num_heads does
 * not divide embed_dim or x is not (B, T, embed_dim). */
EEGNN_API eegnn_tensor *eegnn_nn_multihead_attention(eegnn_graph *g, eegnn_tensor *x, int embed_dim, int num_heads,
                                                     float dropout, eegnn_tensor *key_padding_mask,
                                                     const char *prefix);

/* Settings of a transformer encoder layer; eegnn_encoder_layer_config_default
 * (d_model, nhead) gives PyTorch's defaults. */
typedef struct eegnn_encoder_layer_config {
    int d_model;          /* embedding width E (required) */
    int nhead;            /* attention heads (required, divides d_model) */
    int dim_feedforward;  /* 0: 2048 */
    float dropout;        /* in [0, 1); 0: no dropout; unset: 0.1 (PyTorch's default) */
    int gelu;             /* 0: ReLU, nonzero: GELU (exact erf form) */
    int norm_first;       /* 0: post-norm (PyTorch's default), nonzero: pre-norm */
    float layer_norm_eps; /* 0: 1e-5 */
} eegnn_encoder_layer_config;

/* torch.nn.TransformerEncoderLayer(d_model, nhead)'s defaults: the other
 * fields 0 (dim_feedforward 2048, ReLU, post-norm, eps 1e-5) and dropout
 * EEGNN_UNSET (0.1). Pure; thread safe. */
EEGNN_API eegnn_encoder_layer_config eegnn_encoder_layer_config_default(int d_model, int nhead);

/* torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
 * activation, layer_norm_eps, batch_first=True, norm_first) as PyTorch 1.13
 * computes it (its Python path):
 *   norm_first: x = x + dropout1(sa(norm1(x)));  x = x + dropout2(ff(norm2(x)))
 *   otherwise:  x = norm1(x + dropout1(sa(x)));  x = norm2(x + dropout2(ff(x)))
 *   sa(x) = self_attn(x, x, x, key_padding_mask) (attention-weight dropout
 *   inside), ff(x) = linear2(dropout(activation(linear1(x)))).
 * x (B, T, d_model) -> (B, T, d_model). Parameters under prefix:
 * self_attn.{in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias}
 * (see eegnn_nn_multihead_attention), linear1.{weight, bias}
 * (dim_feedforward, d_model), linear2.{weight, bias} (d_model,
 * dim_feedforward) with Linear's default init, norm1/norm2.{weight, bias}
 * (d_model). key_padding_mask: (B, T) input (nonzero = padded) or NULL.
 * EEGNN_ERR_ARG on a NULL config, bad sizes or an x that is not
 * (B, T, d_model). */
EEGNN_API eegnn_tensor *eegnn_nn_transformer_encoder_layer(eegnn_graph *g, eegnn_tensor *x,
                                                           const eegnn_encoder_layer_config *cfg,
                                                           eegnn_tensor *key_padding_mask, const char *prefix);

/* Adds the sinusoidal positional encoding of Vaswani et al. (2017, sec. 3.5)
 * to x (B, T, E) (E even): PE(t, 2i) = sin(t / 10000^(2i/E)),
 * PE(t, 2i+1) = cos(t / 10000^(2i/E)), t = 0..T-1, as PyTorch's
 * "PositionalEncoding" tutorial module. No parameters; the table is computed
 * once when the node is built. EEGNN_ERR_ARG for an odd E or x not 3-D. */
EEGNN_API eegnn_tensor *eegnn_sinusoidal_positional_encoding(eegnn_graph *g, eegnn_tensor *x);

/* Learned positional embedding: x (B, T, E) + weight[0:T], with parameter
 * "<prefix>.weight" (max_len, E) drawn from N(0, 1), i.e.
 * x + torch.nn.Embedding(max_len, E)(torch.arange(T)). EEGNN_ERR_ARG when
 * T > max_len. */
EEGNN_API eegnn_tensor *eegnn_nn_positional_embedding(eegnn_graph *g, eegnn_tensor *x, int max_len,
                                                      const char *prefix);

/* EEG transformer ("EEGTransformer"): x (B, n_chans, n_times), transposed to
 * (B, n_times, n_chans) -> linear "channel_projection" (n_chans -> d_model)
 * -> + sinusoidal positional encoding -> n_layers encoder layers
 * "encoder.layers.<i>" (eegnn_nn_transformer_encoder_layer, batch first, no
 * padding mask) -> mean over time -> layer norm "norm" (d_model) -> linear
 * "final_layer" (d_model -> n_outputs) -> (B, n_outputs).
 * The layer names are those of torch.nn.TransformerEncoder, so the reference
 * module in tests/ref_transformer.py has the same state_dict keys.
 * Defaults (eegnn_model_config_default()): d_model 128, n_heads 8,
 * n_layers 6, dim_feedforward 256 (2 * d_model), drop_prob 0.1, GELU and
 * pre-norm; gelu 0 selects ReLU, norm_first 0 post-norm, drop_prob 0 no
 * dropout. At 129 x 200 with n_outputs 1 it has 811,905 parameters.
 * EEGNN_ERR_ARG when n_heads does not divide d_model, d_model is odd, or x
 * does not match n_chans / n_times. */
EEGNN_API eegnn_tensor *eegnn_model_eeg_transformer(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);

/* braindecode's EEGConformer (Song et al. 2022; braindecode/models/
 * eegconformer.py at commit eb3ddee, final_fc_length="auto"): x (B,
 * n_chans, n_times) -> (B, n_outputs). Same state_dict keys, so
 * braindecode's state_dict loads strictly.
 *   patch_embedding.shallownet.0: Conv2d(1, F, (1, K)); .1: Conv2d(F, F,
 *   (n_chans, 1)); .2: BatchNorm2d(F); ELU; AvgPool2d((1, P), (1, S));
 *   Dropout(drop_prob); patch_embedding.projection.0: Conv2d(F, F, (1, 1));
 *   -> (B, n_patches, F), n_patches = (n_times - K + 1 - P) / S + 1;
 *   transformer.<i> for i < att_depth: x + Dropout(MHA(LayerNorm(x))) with
 *   keys/queries/values/projection Linear(F, F), F.scaled_dot_product_attention
 *   per head (softmax(q k^T / sqrt(F / att_heads)), dropout on the weights)
 *   ("transformer.<i>.0.fn.0", ".0.fn.1");
 *   then x + Dropout(Linear(4F, F)(Dropout(GELU(Linear(F, 4F)(LayerNorm(x))))))
 *   ("transformer.<i>.1.fn.0", ".1.fn.1.0", ".1.fn.1.3");
 *   fc.fc.0: Linear(n_patches * F, 256), ELU, Dropout(0.5); fc.fc.3:
 *   Linear(256, 32), ELU, Dropout(0.3); final_layer: Linear(32, n_outputs).
 * eegnn 0.2 and earlier scaled attention by 1/sqrt(F), as braindecode before
 * its switch to F.scaled_dot_product_attention, and named the last layer
 * final_layer.final_layer.0; their checkpoints do not load (an error says
 * so).
 * Defaults (eegnn_model_config_default()): n_filters (F, n_filters_time) 40,
 * kernel_size (K, filter_time_length) 25, pool_size (P) 75, pool_stride (S)
 * 15, n_layers (att_depth) 6, n_heads (att_heads) 10, drop_prob 0.5 (also
 * att_drop_prob; 0: no dropout). At n_chans 129, n_times 200,
 * n_outputs 1 it has 407,713 parameters, as braindecode's. The BatchNorm
 * statistics start at 0 / 1 (braindecode's constructor runs one forward pass
 * that moves them; load a state_dict to match it). EEGNN_ERR_ARG when
 * n_times < K - 1 + P or n_heads does not divide F. */
EEGNN_API eegnn_tensor *eegnn_model_eeg_conformer(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);
