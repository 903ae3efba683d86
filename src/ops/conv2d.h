/* ---------------------------------------------------------------------------
 * 2-D convolution and 2-D / adaptive pooling (src/ops/conv2d.c,
 * src/ops/pool.c), with PyTorch semantics, forward and backward.
 *
 * EEG models in braindecode run 2-D convolutions over (batch, filters,
 * channels, time) or (batch, filters, time, channels) maps: temporal kernels
 * (1, k), spatial kernels (n_chans, 1), depthwise and separable blocks.
 * Thread safety: as the graph (one thread at a time per graph).
 * ------------------------------------------------------------------------- */

/* Parameters of eegnn_conv2d; index 0 is the height (dimension 2 of the
 * input), index 1 the width (dimension 3). A zero-filled struct means
 * stride 1, no padding, dilation 1, groups 1. */
typedef struct eegnn_conv2d_params {
    int stride[2];   /* 0: 1 */
    int padding[2];  /* zeros on both sides of that dimension, or EEGNN_PADDING_SAME (per dimension) */
    int dilation[2]; /* 0: 1 */
    int groups;      /* 0: 1; in_channels for depthwise */
} eegnn_conv2d_params;

/* torch.nn.functional.conv2d: x (B, C_in, H, W), w (C_out, C_in/groups, kH, kW),
 * b (C_out) or NULL -> (B, C_out, H_out, W_out) with, per dimension,
 *   out = (in + pad_before + pad_after - dilation*(k-1) - 1) / stride + 1.
 * EEGNN_PADDING_SAME in a dimension pads dilation*(k-1) in total there, the
 * extra sample of an odd total going after (right/bottom), as PyTorch's
 * padding='same' (stride must be 1 in that dimension).
 * p NULL: stride 1, no padding, dilation 1, groups 1.
 * Computed per group as w_g (C_out/groups, C_in/groups*kH*kW) @ col, where
 * col is the unfolded input of a block of output rows; temporal (1, k)
 * kernels therefore run as one 1-D convolution per input row and spatial
 * (C, 1) kernels as a matrix product. Samples are split over the graph's
 * threads; weight and bias gradients are summed per task and reduced in
 * task order (deterministic for a given thread count). Scratch is reserved
 * when the node is built; forward and backward allocate nothing.
 * Errors (NULL, EEGNN_ERR_ARG): ranks other than 4, channels not divisible
 * by groups, weight/bias shapes that do not match, an output size below 1,
 * 'same' padding with stride > 1. */
EEGNN_API eegnn_tensor *eegnn_conv2d(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *w, eegnn_tensor *b,
                                     const eegnn_conv2d_params *p);

/* Parameters of the 2-D pools; index 0 is the height, 1 the width.
 * A zero stride means stride = kernel (PyTorch's stride=None). */
typedef struct eegnn_pool2d_params {
    int kernel[2];
    int stride[2];       /* 0: kernel */
    int padding[2];      /* implicit padding on both sides, at most kernel / 2 */
    int ceil_mode;       /* 1: output size rounds up (a window must start inside the input or left pad) */
    int exclude_padding; /* avg_pool2d only: 1 is count_include_pad=False (default 0: padding counted) */
} eegnn_pool2d_params;

/* torch.nn.functional.avg_pool2d(kernel, stride, padding, ceil_mode,
 * count_include_pad = !exclude_padding) on x (B, C, H, W) ->
 * (B, C, H_out, W_out), out = floor_or_ceil((in + 2*pad - kernel) / stride) + 1
 * (with ceil_mode the last window is dropped when it would start in the
 * right padding). As PyTorch, with count_include_pad the divisor counts
 * padding but not the part of a ceil_mode window past the padded input.
 * Errors (NULL, EEGNN_ERR_ARG): x not 4-D, kernel/stride < 1, padding
 * outside [0, kernel/2], kernel larger than the padded input. */
EEGNN_API eegnn_tensor *eegnn_avg_pool2d(eegnn_graph *g, eegnn_tensor *x, const eegnn_pool2d_params *p);
/* torch.nn.functional.max_pool2d(kernel, stride, padding, ceil_mode)
 * (dilation 1) on x (B, C, H, W): same output size rule as avg_pool2d;
 * padding never wins; gradient goes to the first maximum of each window
 * (a NaN wins), as PyTorch's CPU kernel. Errors as eegnn_avg_pool2d. */
EEGNN_API eegnn_tensor *eegnn_max_pool2d(eegnn_graph *g, eegnn_tensor *x, const eegnn_pool2d_params *p);

/* torch.nn.functional.adaptive_avg_pool1d(x, out_size): x (B, C, T) ->
 * (B, C, out_size); output i averages input [floor(i*T/out), ceil((i+1)*T/out)),
 * PyTorch's start/end index rule. Errors: x not 3-D, out_size < 1. */
EEGNN_API eegnn_tensor *eegnn_adaptive_avg_pool1d(eegnn_graph *g, eegnn_tensor *x, int out_size);
/* torch.nn.functional.adaptive_avg_pool2d(x, (out_h, out_w)): x (B, C, H, W)
 * -> (B, C, out_h, out_w), the same rule per dimension. Errors: x not 4-D,
 * sizes < 1. */
EEGNN_API eegnn_tensor *eegnn_adaptive_avg_pool2d(eegnn_graph *g, eegnn_tensor *x, int out_h, int out_w);

/* ---- Fused EEGNeX stem (src/ops/eegnex_stem.c) ---- */

/* braindecode EEGNeX's first three blocks as one node:
 *   conv2d(x, w1, p12) -> batch_norm(bn1) -> conv2d(w2, p12) -> batch_norm(bn2)
 *   -> conv2d(w3, groups F2)
 * computed over chunks of the batch so the (B, F2, C, T) maps are never held
 * whole (the outputs and gradients equal the unfused ops'; the batch-norm
 * running statistics update as theirs, with momentum and eps).
 * x (B, 1, C, T), a graph input (no gradient); w1 (F1, 1, 1, K1) and
 * w2 (F2, F1, 1, K2) with p12 keeping (C, T) ('same' padding along time);
 * bn1 / bn2: {weight, bias, running_mean, running_var} of F1 / F2 channels;
 * w3 (F3, 1, C, 1), groups F2 (F3 a multiple of F2). -> (B, F3, 1, T).
 * Errors (NULL, EEGNN_ERR_ARG): other shapes, F1 > 64, F2 > 256, F1 > F2. */
EEGNN_API eegnn_tensor *eegnn_eegnex_stem(eegnn_graph *g, eegnn_tensor *x, eegnn_tensor *w1, eegnn_tensor *const *bn1,
                                         eegnn_tensor *w2, eegnn_tensor *const *bn2, eegnn_tensor *w3,
                                         const eegnn_conv2d_params *p12, float momentum, float eps);
