/* ---------------------------------------------------------------------------
 * Optimizers (SGD, Adam, AdamW, Adamax) and learning-rate schedules.
 *
 * An optimizer holds every parameter of a graph (tensors with
 * EEGNN_TENSOR_PARAM) that exists when it is created and updates those not
 * flagged EEGNN_TENSOR_FROZEN at the time of each step, using the gradients
 * left by eegnn_graph_backward. A frozen parameter is skipped as PyTorch
 * skips one whose requires_grad is False (grad None): its state and its own
 * step count stay unchanged, so freezing can change between steps
 * (progressive unfreezing). Its state (momentum buffers, moment estimates) is
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

/* Start from eegnn_optimizer_config_default(type), which gives PyTorch's
 * defaults for the type. Fields marked "unset" take EEGNN_UNSET for their
 * default and mean exactly their value otherwise (0 is no weight decay, a
 * beta of 0 is no averaging); lr and eps, where 0 is no setting anyone
 * wants, take 0 for the default. A zero-filled struct is valid: PyTorch's
 * lr and eps, but weight decay and betas 0. */
typedef struct eegnn_optimizer_config {
    eegnn_optimizer_type type;
    float lr;           /* learning rate; 0: 1e-3 (Adam, AdamW, SGD), 2e-3 (Adamax) */
    float weight_decay; /* >= 0; unset: 1e-2 for AdamW (decoupled: p *= 1 - lr * wd), 0 otherwise
                           (L2: grad += wd * p) */
    /* Adam, AdamW, Adamax */
    float beta1; /* in [0, 1); unset: 0.9 */
    float beta2; /* in [0, 1); unset: 0.999 */
    float eps;   /* 0: 1e-8 */
    int amsgrad; /* Adam/AdamW: keep the maximum of the second moment (Reddi et al. 2018) */
    /* SGD */
    float momentum;  /* 0: plain SGD */
    float dampening; /* 0: none */
    int nesterov;    /* Nesterov momentum (needs momentum > 0 and dampening 0, as PyTorch) */
} eegnn_optimizer_config;

/* The optimizer configuration of torch.optim's defaults for `type`: lr and
 * eps 0 (their defaults), weight_decay, beta1 and beta2 EEGNN_UNSET, no
 * amsgrad, momentum, dampening or Nesterov. Pure; thread safe. */
EEGNN_API eegnn_optimizer_config eegnn_optimizer_config_default(eegnn_optimizer_type type);

typedef struct eegnn_optimizer eegnn_optimizer;

/* Creates an optimizer over the graph's current parameters with zeroed
 * state (step count 0), all in parameter group 0. cfg NULL: AdamW with
 * PyTorch's defaults for AdamW. Errors (NULL returned): EEGNN_ERR_ARG for
 * invalid hyperparameters (as PyTorch's checks: lr, eps, weight_decay,
 * momentum >= 0; betas in [0, 1); nesterov without momentum or with dampening) or a
 * graph without parameters; EEGNN_ERR_MEMORY. */
EEGNN_API eegnn_optimizer *eegnn_optimizer_create(eegnn_graph *g, const eegnn_optimizer_config *cfg);

/* One update of every parameter from its current gradient (torch's
 * optimizer.step()). Allocates nothing. Returns EEGNN_OK, or
 * EEGNN_ERR_NUMERIC (parameters untouched) when a gradient holds NaN/Inf
 * (the message names the parameter). */
EEGNN_API eegnn_status eegnn_optimizer_step(eegnn_optimizer *opt);

/* Sets the gradient of every parameter the optimizer updates to zero
 * (optimizer.zero_grad(set_to_none=False)). */
EEGNN_API void eegnn_optimizer_zero_grad(eegnn_optimizer *opt);

/* Sets / returns the learning rate of group 0 used by the next step (what a
 * PyTorch scheduler writes into param_group["lr"]). Setting it also sets
 * every other group's lr to its initial lr times lr / (group 0's initial
 * lr), as PyTorch's multiplicative schedulers (LambdaLR, StepLR, cosine,
 * warmup) move every group by the same factor. */
EEGNN_API void eegnn_optimizer_set_lr(eegnn_optimizer *opt, float lr);
EEGNN_API float eegnn_optimizer_get_lr(const eegnn_optimizer *opt);

/* Parameter groups (torch.optim param_groups). Moves every parameter whose
 * state_dict name starts with `prefix` (e.g. "final_layer" for the head)
 * into a new group with its own lr and weight decay (EEGNN_UNSET: inherit
 * group 0's value; weight decay follows the optimizer type's rule: decoupled
 * for AdamW, L2 otherwise; EEGNN_TENSOR_NO_DECAY still wins). Call before
 * the first step. Returns the group index (1, 2, ...; at most 8 groups) or
 * -1 with the error set (EEGNN_ERR_NOT_FOUND when no name matches,
 * EEGNN_ERR_ARG for a negative or NaN lr or weight decay). */
EEGNN_API int eegnn_optimizer_add_group(eegnn_optimizer *opt, const char *prefix, float lr, float weight_decay);
EEGNN_API int eegnn_optimizer_n_groups(const eegnn_optimizer *opt);
/* Sets / returns one group's current learning rate (no other group moves). */
EEGNN_API void eegnn_optimizer_set_group_lr(eegnn_optimizer *opt, int group, float lr);
EEGNN_API float eegnn_optimizer_get_group_lr(const eegnn_optimizer *opt, int group);

/* Multiplies every gradient the optimizer holds by factor (gradient
 * accumulation: 1 / k after k micro-batches). */
EEGNN_API void eegnn_optimizer_scale_grad(eegnn_optimizer *opt, float factor);

/* Number of steps taken so far (calls of eegnn_optimizer_step that
 * succeeded), and setting it (restoring a checkpoint). */
EEGNN_API long eegnn_optimizer_step_count(const eegnn_optimizer *opt);
EEGNN_API void eegnn_optimizer_set_step_count(eegnn_optimizer *opt, long step);

/* Number of parameter tensors the optimizer holds (frozen ones included). */
EEGNN_API int eegnn_optimizer_n_params(const eegnn_optimizer *opt);
/* Parameter i (0 .. n_params-1, graph creation order), or NULL. */
EEGNN_API eegnn_tensor *eegnn_optimizer_param(const eegnn_optimizer *opt, int i);
/* State array k of parameter i ((numel) floats, writable, for saving and
 * restoring), or NULL past the last one; *name gets torch's state key:
 * Adam/AdamW "exp_avg", "exp_avg_sq", ("max_exp_avg_sq" with amsgrad);
 * Adamax "exp_avg", "exp_inf"; SGD with momentum "momentum_buffer". */
EEGNN_API float *eegnn_optimizer_state(const eegnn_optimizer *opt, int i, int k, const char **name);
/* Steps parameter i has taken (torch's state["step"]); setting it restores
 * a checkpoint. */
EEGNN_API long eegnn_optimizer_param_step(const eegnn_optimizer *opt, int i);
EEGNN_API void eegnn_optimizer_set_param_step(eegnn_optimizer *opt, int i, long step);

/* Clears the state (moments, momentum buffers, step count) as if newly created. */
EEGNN_API void eegnn_optimizer_reset(eegnn_optimizer *opt);

/* Frees the optimizer (not the graph). NULL is allowed. */
EEGNN_API void eegnn_optimizer_free(eegnn_optimizer *opt);

/* Scales all gradients of the optimizer's unfrozen parameters so that their joint
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

/* torch.optim.lr_scheduler.StepLR in closed form: the learning rate of
 * 0-based epoch `epoch` is base_lr * gamma^floor(epoch / step_size).
 * step_size <= 0: base_lr. Pure function; thread safe. */
EEGNN_API float eegnn_lr_step(float base_lr, long epoch, long step_size, float gamma);

/* torch.optim.lr_scheduler.ReduceLROnPlateau for one learning rate: after
 * each epoch, eegnn_plateau_step(&p, metric) counts epochs without an
 * improvement (mode min: metric < best * (1 - threshold), or best -
 * threshold with threshold_abs; mode max mirrored), and when more than
 * `patience` epochs in a row did not improve, sets lr = max(lr * factor,
 * min_lr) (skipped when the change is below eps = 1e-8) and waits
 * `cooldown` epochs before counting again. PyTorch's defaults: factor 0.1,
 * patience 10, threshold 1e-4 (relative), cooldown 0, min_lr 0. The state
 * is plain data (copy it to checkpoint). */
typedef struct eegnn_plateau {
    int mode_max;      /* 0: "min" (a loss), 1: "max" (an accuracy) */
    float factor, threshold, min_lr;
    int patience, threshold_abs, cooldown;
    double eps, best, lr;
    int num_bad_epochs, cooldown_counter, last_epoch;
} eegnn_plateau;

EEGNN_API void eegnn_plateau_init(eegnn_plateau *p, float lr, int mode_max, float factor, int patience,
                                  float threshold, int threshold_abs, int cooldown, float min_lr);
/* Feeds one epoch's metric; returns the learning rate for the next epoch. */
EEGNN_API float eegnn_plateau_step(eegnn_plateau *p, double metric);

/* Exponential moving average of the weights (timm's ModelEmaV2, as used
 * with braindecode models): a shadow copy of every parameter and buffer,
 * updated after each optimizer step as
 *   shadow = shadow * decay + (1 - decay) * value
 * and swapped into the graph for evaluation. */
typedef struct eegnn_ema eegnn_ema;

/* Starts the average at the graph's current values. decay in [0, 1].
 * NULL with the error set (EEGNN_ERR_ARG, EEGNN_ERR_MEMORY). */
EEGNN_API eegnn_ema *eegnn_ema_create(eegnn_graph *g, float decay);
EEGNN_API void eegnn_ema_update(eegnn_ema *e);
/* Exchanges the graph's values with the averaged ones (call twice to undo). */
EEGNN_API void eegnn_ema_swap(eegnn_ema *e);
/* Number of tracked tensors; the shadow values of tensor i (its numel floats,
 * writable) and, in *of, the graph tensor it averages. */
EEGNN_API int eegnn_ema_n_tensors(const eegnn_ema *e);
EEGNN_API float *eegnn_ema_shadow(const eegnn_ema *e, int i, eegnn_tensor **of);
EEGNN_API void eegnn_ema_free(eegnn_ema *e);
