/* ---------------------------------------------------------------------------
 * braindecode's convolutional EEG models (src/nn/braindecode.c).
 *
 * Each constructor builds braindecode's model of the same class name on an
 * input x (batch, n_chans, n_times) and returns its output
 * (batch, n_outputs). The parameters and buffers carry braindecode's
 * state_dict keys and shapes (braindecode commit eb3ddee, the EEG
 * Foundation Challenge 2025 release line), so weights move both ways through
 * safetensors.h: max-norm layers store "<layer>.parametrizations.weight.original"
 * and renormalise it on every forward, with the gradient flowing through the
 * renormalisation (torch.renorm(p=2, dim=0, maxnorm)); weight-normalised
 * convolutions store "<layer>.parametrizations.weight.original0" (g) and
 * "original1" (v) (torch.nn.utils.parametrizations.weight_norm; older
 * checkpoints call them weight_g and weight_v); BatchNorm running statistics
 * are buffers ("running_mean", "running_var"; num_batches_tracked is not
 * kept). Initialisation follows braindecode's (Xavier-uniform weights and
 * zero biases where braindecode sets them, PyTorch's defaults elsewhere),
 * drawn from the graph's RNG.
 *
 * Configuration (eegnn_model_config): n_chans, n_times (0: from x),
 * n_outputs (0: 1) and drop_prob (EEGNN_UNSET, as eegnn_model_config_default
 * sets it: the model's braindecode default; 0: no dropout nodes at all). Every other hyperparameter is
 * braindecode's default. Dropout is active in train mode only
 * (eegnn_graph_set_training) and BatchNorm uses batch statistics there,
 * updating the running statistics, exactly where braindecode does.
 *
 * Difference from braindecode kept on purpose: braindecode's EEGNet runs one
 * forward pass in train mode inside its constructor (to size the
 * classifier), which moves its BatchNorm running statistics once before any
 * training; eegnn computes the size instead, so fresh eegnn models keep
 * running_mean 0 and running_var 1. Loaded weights are unaffected.
 *
 * Errors: NULL with eegnn_last_error() set when x is not (batch, n_chans,
 * n_times), when n_times is too short for the model, or when the arena is
 * full. Thread safety: as the graph.
 * ------------------------------------------------------------------------- */

/* EEGNeX (Chen et al. 2024; braindecode.models.EEGNeX), the EEG Foundation
 * Challenge 2025 baseline: conv2d (1, 64) 'same' 1->8, BatchNorm2d;
 * conv2d (1, 64) 'same' 8->32, BatchNorm2d; depthwise max-norm (1.0) conv2d
 * (n_chans, 1) 32->64, BatchNorm2d, ELU, avg_pool2d (1, 4) pad (0, 1),
 * dropout; conv2d (1, 16) dilation 2 'same' 64->32, BatchNorm2d; conv2d
 * (1, 16) dilation 4 'same' 32->8, BatchNorm2d, ELU, avg_pool2d (1, 8) pad
 * (0, 1), dropout, flatten; max-norm (0.25) linear 8 * (n_times / 32) ->
 * n_outputs "final_layer". BatchNorm momentum 0.1, eps 1e-5; dropout 0.5.
 * 62,353 parameters at 129 x 200 with one output. Keys: block_1.1.weight,
 * block_1.2.*, block_2.0.weight, block_2.1.*, block_3.0.parametrizations.
 * weight.original, block_3.1.*, block_4.0.weight, block_4.1.*,
 * block_5.0.weight, block_5.1.*, final_layer.parametrizations.weight.original,
 * final_layer.bias. EEGNN_ERR_ARG when n_times / 32 is 0 or the pools do
 * not give 8 * (n_times / 32) features.
 * Memory: when x carries no gradient (a model input), the first three blocks
 * up to the depthwise convolution run as one node ("eegnex_stem") that
 * processes the batch in chunks of samples and keeps no (B, 32, n_chans,
 * n_times) map: batch-64 training at 129 x 200 needs about 110 MB of arena
 * instead of about 800 MB, for about a third more time in conv2d (block 2's
 * convolution runs twice per step). Outputs, gradients and running
 * statistics are those of the layers above (see ops/eegnex_stem.c). */
EEGNN_API eegnn_tensor *eegnn_model_eegnex(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);

/* EEGNet v4 (Lawhern et al. 2018; braindecode.models.EEGNetv4 / EEGNet with
 * its convolutional classifier): conv2d (1, 64) pad (0, 32) 1->F1
 * "conv_temporal", BatchNorm2d "bnorm_temporal"; depthwise max-norm (1.0)
 * conv2d (n_chans, 1) F1->F1*D "conv_spatial", BatchNorm2d "bnorm_1", ELU,
 * avg_pool2d (1, 4), dropout; depthwise conv2d (1, 16) pad (0, 8)
 * "conv_separable_depth", pointwise conv2d F1*D->F2 "conv_separable_point",
 * BatchNorm2d "bnorm_2", ELU, avg_pool2d (1, 8), dropout; conv2d over the
 * remaining time "final_layer.conv_classifier" (with bias). BatchNorm
 * momentum 0.01, eps 1e-3; dropout 0.25; cfg F1, D, F2 (0: 8, 2, F1*D).
 * 3,265 parameters at 129 x 200 with one output. */
EEGNN_API eegnn_tensor *eegnn_model_eegnet(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);

/* ShallowFBCSPNet (Schirrmeister et al. 2017; braindecode.models.
 * ShallowFBCSPNet): temporal conv (25 samples, 40 filters, with bias)
 * "conv_time_spat.conv_time" and spatial conv over all channels (40
 * filters, no bias) "conv_time_spat.conv_spat", merged into one filter bank
 * at every forward as braindecode's CombinedConv; BatchNorm2d "bnorm"
 * (momentum 0.1, eps 1e-5), square, avg_pool (75, stride 15), safe log
 * (log(max(x, 1e-6))), dropout 0.5, conv over the remaining time
 * "final_layer.conv_classifier". cfg n_filters (0: 40, time and spatial
 * filters), kernel_size (0: 25), pool_size (0: 75), pool_stride (0: 15).
 * 207,801 parameters at 129 x 200 with one output. */
EEGNN_API eegnn_tensor *eegnn_model_shallow_fbcsp(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);

/* Deep4Net (Schirrmeister et al. 2017; braindecode.models.Deep4Net):
 * CombinedConv (temporal 10 samples, 25 filters; spatial 25 filters)
 * "conv_time_spat", BatchNorm2d "bnorm", ELU, max pool; then three blocks
 * of dropout, conv "conv_2".."conv_4" (50, 100, 200 filters, no bias),
 * BatchNorm2d "bnorm_2".."bnorm_4", ELU, max pool; conv over the remaining
 * time "final_layer.conv_classifier". BatchNorm momentum 0.1, eps 1e-5;
 * dropout 0.5; pools of 3 with stride 3. As braindecode, when n_times is
 * below the minimum the model needs (441 samples) the later kernel lengths
 * and the pool length and stride are scaled by n_times / 441 (at least 1)
 * while the first temporal kernel keeps 10 samples: at 200 samples the
 * kernels are 4 and the pools 1 (identity). 223,051 parameters at 129 x 200
 * with one output. */
EEGNN_API eegnn_tensor *eegnn_model_deep4(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);

/* BDTCN (Gemein et al. 2020; braindecode.models.BDTCN): a temporal
 * convolutional network of 3 blocks "base_tcn.temporal_blocks.temporal_block_<i>",
 * each two weight-normalised causal conv1d (30 filters, kernel 5, dilation
 * 2^i) with ReLU and channel-wise dropout (Dropout2d on (batch, channels,
 * time): one draw per channel and sample), plus a residual (a 1x1 conv
 * "downsample" when the widths differ) and ReLU; then the linear
 * "base_tcn.final_layer.fc" on the last n_times - 56 time steps (the
 * receptive field is 57 samples) averaged over time. Dropout 0.5.
 * 46,141 parameters at 129 x 200 with one output. EEGNN_ERR_ARG when
 * n_times is below 57. */
EEGNN_API eegnn_tensor *eegnn_model_bdtcn(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);
