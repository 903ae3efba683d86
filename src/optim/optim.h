/* ---------------------------------------------------------------------------
 * Optimizers (SGD, Adam, AdamW, Adamax) and learning-rate schedules.
 *
 * An optimizer updates every trainable parameter of a graph (tensors with
 * EEGNN_TENSOR_PARAM, except those also flagged EEGNN_TENSOR_FROZEN) that
 * exists when it is created, using the gradients left by
 * eegnn_graph_backward. Its state (momentum buffers, moment estimates) is
 * allocated once by eegnn_optimizer_create; a step allocates nothing.
 *
 *   eegnn_optimizer_config oc = {0};       // zero-filled: AdamW, PyTorch defaults
 *   oc.lr = 1e-3f;
 *   eegnn_optimizer *opt = eegnn_optimizer_create(g, &oc);
 *   for (step = 0; step < n_steps; step++) {
 *       eegnn_optimizer_set_lr(opt, eegnn_lr_cosine_warmup(1e-3f, step, 100, n_steps, 0.0f));
 *       ... eegnn_graph_forward(g); eegnn_optimizer_zero_grad(opt);
 *       eegnn_graph_backward(g, loss); eegnn_optimizer_step(opt);
 *   }
 *   eegnn_optimizer_free(opt);
 *
 * The updates follow torch.optim (PyTorch 1.13, single-tensor code path)
 * operation by operation, so a parameter trajectory matches PyTorch's to
 * float32 rounding. Parameters flagged EEGNN_TENSOR_NO_DECAY get no weight
 * decay (PyTorch's equivalent is a parameter group with weight_decay=0).
 *
 * Thread safety: an optimizer is used by one thread at a time, together
 * with its graph.
 * ------------------------------------------------------------------------- */

typedef enum eegnn_optimizer_type {
    EEGNN_OPTIM_ADAMW = 0, /* torch.optim.AdamW (the zero-filled default) */
    EEGNN_OPTIM_ADAM = 1,  /* torch.optim.Adam */
    EEGNN_OPTIM_SGD = 2,   /* torch.optim.SGD */
    EEGNN_OPTIM_ADAMAX = 3 /* torch.optim.Adamax */
} eegnn_optimizer_type;

/* Zero-filled means PyTorch's defaults for the chosen type. Fields that
 * PyTorch lets be exactly 0 but whose default is not 0 (beta1, beta2,
 * weight_decay of AdamW) take a negative value to mean 0. */
typedef struct eegnn_optimizer_config {
    eegnn_optimizer_type type;
    float lr;           /* learning rate; 0: 1e-3 (Adam, AdamW, SGD), 2e-3 (Adamax) */
    float weight_decay; /* 0: 1e-2 for AdamW (decoupled: p *= 1 - lr * wd), 0 otherwise
                           (L2: grad += wd * p); negative: none */
    /* Adam, AdamW, Adamax */
    float beta1; /* 0: 0.9; negative: 0 */
    float beta2; /* 0: 0.999; negative: 0 */
    float eps;   /* 0: 1e-8 */
    int amsgrad; /* Adam/AdamW: keep the maximum of the second moment (Reddi et al. 2018) */
    /* SGD */
    float momentum;  /* 0: plain SGD */
    float dampening; /* 0: none */
    int nesterov;    /* Nesterov momentum (needs momentum > 0 and dampening 0, as PyTorch) */
} eegnn_optimizer_config;

typedef struct eegnn_optimizer eegnn_optimizer;

/* Creates an optimizer over the graph's current trainable parameters with
 * zeroed state (step count 0). cfg NULL: AdamW with PyTorch's defaults.
 * Errors (NULL returned): EEGNN_ERR_ARG for invalid hyperparameters (as
 * PyTorch's checks: lr, eps, weight_decay, momentum >= 0; betas in [0, 1);
 * nesterov without momentum or with dampening) or a graph without
 * parameters; EEGNN_ERR_MEMORY. */
EEGNN_API eegnn_optimizer *eegnn_optimizer_create(eegnn_graph *g, const eegnn_optimizer_config *cfg);

/* One update of every parameter from its current gradient (torch's
 * optimizer.step()). Allocates nothing. Returns EEGNN_OK, or
 * EEGNN_ERR_NUMERIC (parameters untouched) when a gradient holds NaN/Inf
 * (the message names the parameter). */
EEGNN_API eegnn_status eegnn_optimizer_step(eegnn_optimizer *opt);

/* Sets the gradient of every parameter the optimizer updates to zero
 * (optimizer.zero_grad(set_to_none=False)). */
EEGNN_API void eegnn_optimizer_zero_grad(eegnn_optimizer *opt);

/* Sets / returns the learning rate used by the next step (what a PyTorch
 * scheduler writes into param_group["lr"]). */
EEGNN_API void eegnn_optimizer_set_lr(eegnn_optimizer *opt, float lr);
EEGNN_API float eegnn_optimizer_get_lr(const eegnn_optimizer *opt);

/* Number of steps taken so far. */
EEGNN_API long eegnn_optimizer_step_count(const eegnn_optimizer *opt);

/* Number of parameter tensors the optimizer updates. */
EEGNN_API int eegnn_optimizer_n_params(const eegnn_optimizer *opt);

/* Clears the state (moments, momentum buffers, step count) as if newly created. */
EEGNN_API void eegnn_optimizer_reset(eegnn_optimizer *opt);

/* Frees the optimizer (not the graph). NULL is allowed. */
EEGNN_API void eegnn_optimizer_free(eegnn_optimizer *opt);

/* Scales all gradients of the optimizer's parameters so that their joint
 * L2 norm is at most max_norm (torch.nn.utils.clip_grad_norm_ with
 * norm_type 2: coefficient max_norm / (total_norm + 1e-6), applied only
 * when below 1). Returns the total norm before clipping. */
EEGNN_API float eegnn_optimizer_clip_grad_norm(eegnn_optimizer *opt, float max_norm);

/* Learning rate for the optimizer step with 0-based index `step`: linear
 * warmup followed by cosine annealing.
 *
 *   step < warmup_steps:          base_lr * (step + 1) / warmup_steps
 *   warmup_steps <= step < total: min_lr + (base_lr - min_lr)
 *                                 * (1 + cos(pi * (step - warmup_steps) / (total_steps - warmup_steps))) / 2
 *   step >= total_steps:          min_lr
 *
 * The warmup starts at base_lr / warmup_steps (not 0) and reaches base_lr at
 * step warmup_steps - 1; the cosine part is the closed form of
 * torch.optim.lr_scheduler.CosineAnnealingLR(T_max = total_steps -
 * warmup_steps, eta_min = min_lr), held at min_lr after its end (where
 * PyTorch's would rise again). In PyTorch terms this is
 *   SequentialLR(opt, [LinearLR(opt, start_factor=1/warmup_steps,
 *                               total_iters=warmup_steps - 1),
 *                      CosineAnnealingLR(opt, T_max=total_steps - warmup_steps,
 *                                        eta_min=min_lr)],
 *                milestones=[warmup_steps])
 * with scheduler.step() called after every optimizer step.
 * warmup_steps <= 0: no warmup; total_steps <= warmup_steps: no cosine
 * part (min_lr after the warmup). Pure function; thread safe. */
EEGNN_API float eegnn_lr_cosine_warmup(float base_lr, long step, long warmup_steps, long total_steps, float min_lr);
