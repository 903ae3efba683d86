/* ---------------------------------------------------------------------------
 * Layers and models: ops with named, initialised parameters.
 *
 * A layer creates its parameters in the graph, named as PyTorch's
 * state_dict keys under a prefix ("final_layer" -> "final_layer.weight",
 * "final_layer.bias"), initialises them from the graph's RNG
 * (eegnn_graph_rng) with PyTorch's default initialisation, and returns the
 * output node. Parameter files (safetensors.h) are exchanged with PyTorch by
 * these names. Layers return NULL (error set) on shape errors, a full arena,
 * or a NULL input, like the ops. Thread safety: as the graph.
 * ------------------------------------------------------------------------- */

/* torch.nn.Linear(in_features, out_features, bias): x (..., in_features)
 * -> (..., out_features). Parameters "<prefix>.weight" (out, in) and
 * "<prefix>.bias" (out) when bias != 0, both drawn from
 * U(-1/sqrt(in_features), 1/sqrt(in_features)) (PyTorch's
 * kaiming_uniform_(a=sqrt(5)) default). EEGNN_ERR_ARG when the last
 * dimension of x is not in_features. */
EEGNN_API eegnn_tensor *eegnn_nn_linear(eegnn_graph *g, eegnn_tensor *x, int in_features, int out_features,
                                        int bias, const char *prefix);

/* torch.nn.Conv1d(in_channels, out_channels, kernel_size, stride, padding,
 * dilation, groups, bias): x (B, in_channels, T) -> (B, out_channels, T_out)
 * (see eegnn_conv1d; p NULL: stride 1, no padding). Parameters
 * "<prefix>.weight" (out, in/groups, kernel_size) and "<prefix>.bias" (out)
 * from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in/groups * kernel_size. */
EEGNN_API eegnn_tensor *eegnn_nn_conv1d(eegnn_graph *g, eegnn_tensor *x, int in_channels, int out_channels,
                                        int kernel_size, int bias, const eegnn_conv1d_params *p,
                                        const char *prefix);

/* torch.nn.BatchNorm1d(num_features, eps, momentum) on x (B, C) or
 * (B, C, T), and BatchNorm2d on x (B, C, H, W): parameters "<prefix>.weight" = 1 and "<prefix>.bias" = 0 (C),
 * buffers "<prefix>.running_mean" = 0 and "<prefix>.running_var" = 1 (C).
 * momentum 0: 0.1; eps 0: 1e-5 (PyTorch's defaults). num_batches_tracked is
 * not kept (it only matters for momentum=None). */
EEGNN_API eegnn_tensor *eegnn_nn_batch_norm1d(eegnn_graph *g, eegnn_tensor *x, int num_features, float momentum,
                                              float eps, const char *prefix);

/* Fills t with U(-bound, bound) from the graph's RNG. */
EEGNN_API void eegnn_nn_init_uniform(eegnn_graph *g, eegnn_tensor *t, float bound);

/* ---- Models -----------------------------------------------------------------
 * A model constructor builds a network on an input node x (B, n_chans,
 * n_times) (an input created with eegnn_input) and returns its output
 * (B, n_outputs). Argument names are braindecode's. Start from
 * eegnn_model_config_default(): size fields left 0 take the defaults listed,
 * and the "unset" fields (drop_prob, norm_first, gelu) are EEGNN_UNSET, the
 * model's default, where 0 means 0 (no dropout, post-norm, ReLU). cfg NULL
 * is the default config. n_chans and n_times default to x's shape and must
 * match it when given. */
typedef struct eegnn_model_config {
    int n_chans;     /* EEG channels (0: from x) */
    int n_outputs;   /* outputs: classes or regression targets (0: 1) */
    int n_times;     /* samples per window (0: from x) */
    float sfreq;     /* sampling frequency in Hz (informational; kernel sizes are in samples) */
    int n_filters;   /* cnn: 0 -> 64; shallow: 0 -> 40 (braindecode's n_filters_time) */
    int kernel_size; /* cnn: 0 -> 7; shallow: 0 -> 25 (filter_time_length) */
    int hidden;      /* mlp: hidden units, 0 -> 256 */
    int pool_size;   /* shallow: 0 -> 75 (pool_time_length) */
    int pool_stride; /* shallow: 0 -> 15 (pool_time_stride) */
    float drop_prob; /* dropout probability in [0, 1); 0: no dropout nodes; unset: the model's default
                        (0.5 for cnn/mlp/shallow) */
    /* transformers (EEG transformer, EEGConformer); 0 -> the model's default */
    int d_model;         /* embedding size */
    int n_heads;         /* attention heads */
    int n_layers;        /* encoder layers */
    int dim_feedforward; /* feed-forward width */
    int norm_first;      /* 1: pre-norm encoder layers (norm_first=True), 0: post-norm; unset: the model's */
    int gelu;            /* 1: GELU in the feed-forward block, 0: ReLU; unset: the model's */
    /* EEGNet: temporal filters, depth multiplier, pointwise filters; 0 -> 8, 2, F1*D */
    int F1, D, F2;
} eegnn_model_config;

/* A model configuration with every size 0 (the model's or the input's) and
 * drop_prob, norm_first and gelu EEGNN_UNSET (the model's defaults). Pure;
 * thread safe. */
EEGNN_API eegnn_model_config eegnn_model_config_default(void);

/* Checks the fields every model reads: drop_prob EEGNN_UNSET or in [0, 1),
 * norm_first and gelu EEGNN_UNSET, 0 or 1, sizes and sfreq >= 0. NULL is
 * valid (the defaults). EEGNN_ERR_ARG naming the field, else EEGNN_OK.
 * Every model constructor runs it. Thread safe. */
EEGNN_API eegnn_status eegnn_model_config_check(const eegnn_model_config *cfg);

/* The benchmark CNN: conv1d(n_chans -> 64, k 7) "conv1", ReLU,
 * conv1d(64 -> 64, k 7) "conv2", ReLU, mean over time,
 * linear(64 -> n_outputs) "final_layer". No padding (T shrinks by 12). */
EEGNN_API eegnn_tensor *eegnn_model_cnn(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);

/* Multilayer perceptron: flatten (B, n_chans * n_times), linear -> hidden
 * "fc1", ReLU, dropout(drop_prob), linear -> n_outputs "final_layer". */
EEGNN_API eegnn_tensor *eegnn_model_mlp(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);

/* A one-dimensional network in the spirit of braindecode's ShallowFBCSPNet
 * (Schirrmeister et al. 2017): conv1d(n_chans -> n_filters, k
 * kernel_size, no bias) "conv_time_spat" (the temporal and spatial
 * convolutions merged into one full-rank filter bank), batch_norm1d
 * "bnorm", ELU, avg_pool1d(pool_size, pool_stride), dropout(drop_prob),
 * flatten, linear -> n_outputs "final_layer". It is NOT braindecode's
 * ShallowFBCSPNet (which uses conv2d, a rank-constrained spatial filter,
 * square and log nonlinearities and a convolutional classifier, 207,801
 * parameters at 129 channels x 200 samples); weights do not transfer
 * between the two. EEGNN_ERR_ARG when n_times is shorter than
 * kernel_size - 1 + pool_size. */
EEGNN_API eegnn_tensor *eegnn_model_shallow(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);

/* Builds a model by name from the zoo (src/nn/zoo.c): braindecode class
 * names, case-insensitive ("EEGNeX", "ShallowFBCSPNet", ...), or short
 * aliases ("cnn", "mlp", ...). x: (batch, n_chans, n_times); returns the
 * output (batch, n_outputs). EEGNN_ERR_NOT_FOUND for an unknown name, with
 * the known ones listed in the message. */
EEGNN_API eegnn_tensor *eegnn_model_build(eegnn_graph *g, const char *name, eegnn_tensor *x,
                                          const eegnn_model_config *cfg);
/* Number of models in the zoo, and the name of model i (NULL out of range). */
EEGNN_API int eegnn_model_count(void);
EEGNN_API const char *eegnn_model_name(int i);
/* Index of a model by name or alias (case-insensitive, as eegnn_model_build
 * takes them, e.g. "eegnet" for EEGNetv4), or -1 when the zoo has none. */
EEGNN_API int eegnn_model_find(const char *name);
/* The short alias of model i ("shallow" for ShallowFBCSPNet), or NULL. */
EEGNN_API const char *eegnn_model_alias(int i);
