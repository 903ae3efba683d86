/* ---------------------------------------------------------------------------
 * The trainer: the training loop around a graph, a loss and an optimizer,
 * for any data (Keras's fit / evaluate with callbacks, PyTorch Lightning's
 * Trainer, kann's kann_train_fnn1 over a small core). eegnn_train (train.h)
 * is the BIDS application built on it; a program with its own model and
 * arrays uses it directly (examples/custom_training.c).
 *
 *   eegnn_trainer_config tc = eegnn_trainer_config_default();
 *   tc.epochs = 20;
 *   tc.steps_per_epoch = n_train / batch;
 *   eegnn_trainer *t = eegnn_trainer_create(g, loss, opt, &tc);
 *   eegnn_trainer_fit(t, fill_batch, &data, n_valid / batch);        // fill_batch writes the inputs
 *
 * or, epoch by epoch, with the caller's own evaluation and checkpoints:
 *
 *   while (eegnn_trainer_epoch(t) < tc.epochs) {
 *       eegnn_trainer_fit_epoch(t, fill_batch, &data, &train_loss);  // fill_batch writes the inputs
 *       eegnn_trainer_eval_begin(t);   ... forward the validation batches, compute valid_loss ...
 *       eegnn_trainer_eval_end(t);
 *       if (eegnn_trainer_end_epoch(t, valid_loss)) break;           // early stopping
 *       eegnn_trainer_save(t, "last.safetensors", NULL, NULL, 0);     // resumable checkpoint
 *   }
 *   eegnn_trainer_restore_best(t);
 *
 * One optimizer step of fit_epoch: every micro-batch (accumulate of them)
 * is filled by the batch function, run forward (a NaN loss stops the epoch
 * with EEGNN_ERR_NUMERIC) and backward; then the gradients are averaged
 * over the micro-batches, passed to the on_gradients hook, clipped,
 * applied, and the EMA of the weights updated. The learning rate follows the schedule; the backbone (every
 * parameter outside head_prefix) can stay frozen for the first epochs.
 * A run is bit-for-bit reproducible for a seed and thread count, and a
 * checkpoint resumed continues it exactly.
 * Thread safety: one trainer is used by one thread at a time (as its graph).
 * ------------------------------------------------------------------------- */

/* Learning-rate schedules (torch.optim.lr_scheduler). */
typedef enum eegnn_schedule {
    EEGNN_SCHEDULE_COSINE = 0, /* per step: linear warmup over warmup_epochs, then cosine to 0 at the end
                                  of the run (eegnn_lr_cosine_warmup) */
    EEGNN_SCHEDULE_STEP,       /* per epoch: StepLR(step_size, gamma) */
    EEGNN_SCHEDULE_PLATEAU,    /* per epoch: ReduceLROnPlateau on the validation loss (factor, patience) */
    EEGNN_SCHEDULE_NONE        /* the optimizer's learning rate throughout */
} eegnn_schedule;

/* What the step callback sees. */
typedef struct eegnn_step_info {
    int epoch, epochs;  /* 1-based epoch of the run's epochs */
    int step, steps;    /* 1-based optimizer step of the epoch's steps */
    double loss;        /* mean loss of this step's micro-batches */
    double epoch_loss;  /* mean loss of the epoch so far */
    float lr;           /* learning rate of the step (parameter group 0) */
} eegnn_step_info;

/* What the epoch callback sees (eegnn_trainer_fit). */
typedef struct eegnn_epoch_info {
    int epoch, epochs;  /* 1-based epoch just ended, of the run's epochs */
    double train_loss;  /* mean training loss of the epoch */
    double valid_loss;  /* its validation loss */
    int best_epoch;     /* the best epoch so far (this one when it improved) */
    float lr;           /* learning rate of the epoch's last step */
    double seconds;     /* wall time of the epoch */
} eegnn_epoch_info;

/* Fills the graph's inputs (the tensors created with eegnn_input) for
 * micro-batch `micro` (0-based, < accumulate) of optimizer step `step`
 * (0-based) of training epoch `epoch` (1-based); for evaluation
 * (eegnn_trainer_evaluate) epoch is 0, step the 0-based validation batch
 * and micro 0. Returns EEGNN_OK, or an error that stops the trainer's call
 * with it. */
typedef eegnn_status (*eegnn_batch_fn)(void *user, int epoch, int step, int micro);

/* Every field means what it says: 0 is a real value (no warmup, no
 * clipping, ...). eegnn_trainer_config_default gives PyTorch's defaults;
 * a zero-filled config is valid once epochs and steps_per_epoch are set. */
typedef struct eegnn_trainer_config {
    int epochs;             /* epochs of the whole run (the cosine schedule spans them); >= 1 */
    int steps_per_epoch;    /* optimizer steps per fit_epoch; >= 1 */
    int accumulate;         /* micro-batches per optimizer step (gradient accumulation); >= 1 (0 taken as 1) */
    eegnn_schedule schedule;
    int warmup_epochs;      /* COSINE: epochs of linear warmup; 0: none */
    int step_size;          /* STEP: epochs between decays; >= 1 */
    float gamma;            /* STEP: decay factor */
    float plateau_factor;   /* PLATEAU: factor, in (0, 1) */
    int plateau_patience;   /* PLATEAU: epochs without improvement before a reduction; 0: at the first */
    float clip_grad_norm;   /* > 0: clip the gradients' joint L2 norm to this; 0: no clipping */
    float ema_decay;        /* > 0: keep an exponential moving average of the weights with this decay,
                               used for evaluation and kept as the best weights; 0: none */
    int patience;           /* > 0: eegnn_trainer_end_epoch says stop after this many epochs without a
                               lower validation loss; 0: never */
    const char *head_prefix;   /* parameter names of the head (for freeze_backbone_epochs) */
    int freeze_backbone_epochs; /* the first N epochs train only the head_prefix parameters */
    /* gradient hook: called once per optimizer step with the gradients averaged over the
       micro-batches, before clipping and the update; it may change them (e.g. average them
       over processes for data parallelism: every parameter's grad through
       eegnn_optimizer_param; with an accelerator attached, eegnn_graph_sync before reading
       and eegnn_graph_host_wrote after writing). An error it returns stops fit_epoch with it.
       May be NULL. */
    eegnn_status (*on_gradients)(void *user, eegnn_optimizer *opt);
    /* called after every optimizer step (progress bars, logging); may be NULL */
    void (*on_step)(void *user, const eegnn_step_info *info);
    /* eegnn_trainer_fit: called after every epoch; nonzero stops the run
       (as early stopping). May be NULL. */
    int (*on_epoch)(void *user, const eegnn_epoch_info *info);
    void *user;         /* passed to on_gradients, on_step and on_epoch */
} eegnn_trainer_config;

typedef struct eegnn_trainer eegnn_trainer;

/* PyTorch's and braindecode's defaults: cosine schedule with no warmup,
 * step_size 1, gamma 0.1, plateau factor 0.1 and patience 10, accumulate
 * 1, no clipping, EMA or early stopping, head_prefix "final_layer";
 * epochs and steps_per_epoch 0 (to set). Thread safe. */
EEGNN_API eegnn_trainer_config eegnn_trainer_config_default(void);

/* A trainer of graph g on `loss` (a scalar node) with optimizer opt (its
 * learning rate, or its group 0's, is the schedule's base). It keeps a copy
 * of the weights (parameters and buffers) of the best epoch and, with
 * ema_decay, an EMA of the weights. The graph, loss and optimizer stay the
 * caller's and must outlive the trainer. Errors (NULL, error set):
 * EEGNN_ERR_ARG for NULL arguments, a loss that is not a scalar, epochs or
 * steps_per_epoch < 1, a schedule out of range, STEP with step_size < 1,
 * PLATEAU with a factor outside (0, 1), ema_decay outside [0, 1), negative
 * counts, freeze_backbone_epochs with no parameter under head_prefix;
 * EEGNN_ERR_MEMORY. */
EEGNN_API eegnn_trainer *eegnn_trainer_create(eegnn_graph *g, eegnn_tensor *loss, eegnn_optimizer *opt,
                                              const eegnn_trainer_config *cfg);
/* Frees the trainer (not the graph or optimizer). NULL is allowed. */
EEGNN_API void eegnn_trainer_free(eegnn_trainer *t);

/* Trains the next epoch: steps_per_epoch optimizer steps as described at
 * the top, in train mode. *train_loss (may be NULL) gets the mean loss of
 * its micro-batches. Errors: EEGNN_ERR_NUMERIC when a loss is NaN (naming
 * the epoch and step; lower the learning rate), the batch function's or
 * the optimizer's error (a gradient that is not finite); the epoch does not
 * count then. EEGNN_ERR_ARG when the run's epochs are done. */
EEGNN_API eegnn_status eegnn_trainer_fit_epoch(eegnn_trainer *t, eegnn_batch_fn batch, void *user,
                                               double *train_loss);

/* The mean of the loss over n_batches validation batches (the batch
 * function called with epoch 0), in eval mode with the weights to evaluate
 * (see eval_begin). Errors: the batch function's; EEGNN_ERR_ARG for
 * n_batches < 1. */
EEGNN_API eegnn_status eegnn_trainer_evaluate(eegnn_trainer *t, eegnn_batch_fn batch, void *user, int n_batches,
                                              double *loss);

/* Keras's fit: trains every remaining epoch (fit_epoch), evaluates it on
 * n_valid_batches validation batches (the training loss stands in when
 * n_valid_batches is 0), ends it (end_epoch) and calls on_epoch; stops early
 * when end_epoch or on_epoch says so; then restores the best epoch's
 * weights. The same batch function fills training (epoch >= 1) and
 * validation (epoch 0) batches. Errors: those of fit_epoch and evaluate. */
EEGNN_API eegnn_status eegnn_trainer_fit(eegnn_trainer *t, eegnn_batch_fn batch, void *user, int n_valid_batches);

/* Evaluation between eval_begin and eval_end (for evaluations that need
 * more than the loss, e.g. the outputs for metrics): eval mode (dropout off,
 * batch norm on running statistics) with the weights to evaluate (the EMA
 * ones when ema_decay > 0, unless the best weights were restored). Run the
 * graph forward on the validation data in between. */
EEGNN_API void eegnn_trainer_eval_begin(eegnn_trainer *t);
EEGNN_API void eegnn_trainer_eval_end(eegnn_trainer *t);

/* Ends the epoch fit_epoch trained with its validation loss: a lower loss
 * than every earlier epoch's makes it the best epoch (its weights are
 * copied: the EMA ones with ema_decay); the plateau schedule and the
 * early-stopping count advance. Returns 1 when early stopping says stop,
 * else 0. */
EEGNN_API int eegnn_trainer_end_epoch(eegnn_trainer *t, double valid_loss);

/* Puts the best epoch's weights (parameters and buffers) back in the graph;
 * evaluation then uses them as they are. No effect before an epoch ended. */
EEGNN_API void eegnn_trainer_restore_best(eegnn_trainer *t);

/* Epochs done (fit and ended), the best epoch (1-based; 0: none yet) and
 * its validation loss (inf: none), and the current learning rate. */
EEGNN_API int eegnn_trainer_epoch(const eegnn_trainer *t);
EEGNN_API int eegnn_trainer_best_epoch(const eegnn_trainer *t);
EEGNN_API double eegnn_trainer_best_loss(const eegnn_trainer *t);
EEGNN_API float eegnn_trainer_lr(const eegnn_trainer *t);

/* A resumable checkpoint (safetensors, written atomically): the weights,
 * the optimizer's state ("optimizer.<param>.<state>" as torch's optimizer
 * state_dict: exp_avg, exp_avg_sq, ..., step), the best weights
 * ("best.<name>"), the EMA shadow ("ema.<name>"), and as metadata the
 * trainer's state (epoch, step_count, best_epoch, best_loss, bad_epochs,
 * plateau, graph_rng) plus the caller's n keys and values (e.g. the model's
 * settings, a data RNG, a history). Errors: those of the safetensors writer,
 * EEGNN_ERR_MEMORY. */
EEGNN_API eegnn_status eegnn_trainer_save(eegnn_trainer *t, const char *path, const char *const *keys,
                                          const char *const *vals, int n);
/* Continues from a checkpoint of eegnn_trainer_save written by a trainer
 * of the same graph and settings: weights, optimizer state, best weights,
 * EMA, epoch and schedule state; the next fit_epoch trains the epoch after
 * the saved one, exactly as an uninterrupted run. The caller reads its own
 * metadata with eegnn_safetensors_open. Errors: reading (naming the path and
 * the missing tensor or key), a file without the trainer's state. */
EEGNN_API eegnn_status eegnn_trainer_resume(eegnn_trainer *t, const char *path);
