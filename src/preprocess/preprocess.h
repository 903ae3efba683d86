/* ---------------------------------------------------------------------------
 * Preprocessing and augmentation: re-referencing, channel picks,
 * standardization, artifact rejection (MNE, braindecode.preprocessing) and
 * on-the-fly batch augmentations (braindecode.augmentation).
 *
 * Arrays are row-major float32: a recording or window is (n_channels,
 * n_times), a batch is (batch, n_channels, n_times). Functions that take an
 * eegnn_raw modify it in place (as MNE's Raw methods do); use
 * eegnn_raw_copy first to keep the original. Every function is reentrant:
 * it touches only its arguments (give each thread its own eegnn_rng).
 * ------------------------------------------------------------------------- */

/* ---- Copy ---------------------------------------------------------------- */

/* Deep copy of a recording (channels, data, annotations): MNE's raw.copy().
 * Returns NULL with eegnn_last_error() set on bad arguments or no memory. */
EEGNN_API eegnn_raw *eegnn_raw_copy(const eegnn_raw *raw);

/* ---- Re-referencing (MNE raw.set_eeg_reference) ---------------------------- */

/* Average reference, MNE's raw.set_eeg_reference('average'): the mean over
 * all channels of type "eeg" at each sample is subtracted from every "eeg"
 * channel; channels of other types (stim, misc, eog, ...) are untouched.
 * Sums are taken in double precision. In place.
 * Errors: EEGNN_ERR_ARG (NULL raw or no data), EEGNN_ERR_NOT_FOUND (no "eeg"
 * channel). */
EEGNN_API eegnn_status eegnn_raw_set_average_reference(eegnn_raw *raw);

/* Reference to named channel(s), MNE's raw.set_eeg_reference(ref_channels=
 * [...]): the mean of the named channels at each sample is subtracted from
 * every "eeg" channel (a single reference channel, if of type "eeg",
 * becomes zero, as in MNE). The reference channels stay in the recording.
 * Other channel types are untouched. In place.
 * Errors: EEGNN_ERR_ARG (NULL, n_ref < 1, a name given twice),
 * EEGNN_ERR_NOT_FOUND (a name that is not a channel: the message lists it
 * and the available names), EEGNN_ERR_NOT_FOUND (no "eeg" channel). */
EEGNN_API eegnn_status eegnn_raw_set_reference(eegnn_raw *raw, const char *const *ref_channels, int n_ref);

/* ---- Channel picks (MNE raw.pick_channels / raw.pick_types) ---------------- */

/* Keeps the named channels in the order given, MNE's raw.pick_channels(
 * names, ordered=True). In place: ch_names, ch_units, ch_types, ch_sfreq
 * and data are rearranged; annotations are kept.
 * Errors: EEGNN_ERR_ARG (NULL, n < 1, a name given twice),
 * EEGNN_ERR_NOT_FOUND (a missing name; the recording is left unchanged). */
EEGNN_API eegnn_status eegnn_raw_pick_channels(eegnn_raw *raw, const char *const *names, int n);

/* Keeps the channels whose MNE type ("eeg", "stim", "eog", "misc", ...) is
 * one of `types`, in their original order: MNE's raw.pick_types(eeg=True,
 * stim=True, ...) with types = {"eeg", "stim"}. In place.
 * Errors: EEGNN_ERR_ARG (NULL, n_types < 1), EEGNN_ERR_NOT_FOUND (no channel
 * of those types; the recording is left unchanged). */
EEGNN_API eegnn_status eegnn_raw_pick_types(eegnn_raw *raw, const char *const *types, int n_types);

/* ---- Standardization ----------------------------------------------------- */

/* Per-channel z-score over time: x = (x - mean) / max(std, eps), with the
 * population std (ddof=0), sums in double. x: (n_channels, n_times), in
 * place. eps > 0 guards flat channels (sklearn.preprocessing.scale along
 * time with a floor on the std). Errors: EEGNN_ERR_ARG (NULL x, sizes < 1,
 * eps <= 0). */
EEGNN_API eegnn_status eegnn_standardize(float *x, int n_channels, int64_t n_times, double eps);

/* Exponential moving standardization, braindecode.preprocessing.
 * exponential_moving_standardize(data, factor_new, init_block_size, eps):
 *   m_t = pandas ewm(alpha=factor_new).mean() of x  (pandas default
 *         adjust=True: m_t = sum_i (1-a)^(t-i) x_i / sum_i (1-a)^(t-i)),
 *   d_t = x_t - m_t,  v_t = the same ewm mean of d_t^2,
 *   y_t = d_t / max(sqrt(v_t), eps);
 * then, if init_block_size > 0, the first init_block_size samples are
 * replaced by (x - mean) / max(std, eps) over that block (ddof=0).
 * init_block_size = 0 means None. Computed in double per channel.
 * x: (n_channels, n_times), in place. Typical: factor_new = 0.001, eps = 1e-4.
 * Errors: EEGNN_ERR_ARG (NULL x, sizes < 1, factor_new outside (0, 1],
 * init_block_size < 0 or > n_times, eps <= 0). */
EEGNN_API eegnn_status eegnn_exponential_moving_standardize(float *x, int n_channels, int64_t n_times,
                                                            double factor_new, int64_t init_block_size, double eps);

/* Exponential moving demeaning, braindecode.preprocessing.
 * exponential_moving_demean(data, factor_new, init_block_size): y_t = x_t -
 * m_t with m_t as above; the first init_block_size samples (0 = None) are
 * demeaned by their block mean instead. x: (n_channels, n_times), in place.
 * Errors: as eegnn_exponential_moving_standardize. */
EEGNN_API eegnn_status eegnn_exponential_moving_demean(float *x, int n_channels, int64_t n_times,
                                                       double factor_new, int64_t init_block_size);

/* ---- Rejection (MNE Epochs reject= / flat=) --------------------------------- */

/* Peak-to-peak thresholds for one channel type, as MNE's
 * Epochs(reject=dict(eeg=reject), flat=dict(eeg=flat)). Zero-filled = no
 * rejection. Units are the data's (volts for EEG read from EDF/BDF). */
typedef struct eegnn_reject_config {
    const char *ch_type; /* channel type checked; NULL means "eeg" */
    double reject;       /* drop when max - min > reject on any such channel; 0 = off */
    double flat;         /* drop when max - min < flat on any such channel; 0 = off */
} eegnn_reject_config;

typedef enum eegnn_drop_reason {
    EEGNN_DROP_REJECT = 1, /* peak-to-peak above cfg.reject */
    EEGNN_DROP_FLAT = 2    /* peak-to-peak below cfg.flat */
} eegnn_drop_reason;

/* One (window, channel) that caused a drop: an entry of MNE's drop_log. */
typedef struct eegnn_drop_entry {
    int window;  /* index of the window */
    int channel; /* index of the offending channel */
    int reason;  /* eegnn_drop_reason */
    double ptp;  /* its peak-to-peak amplitude */
} eegnn_drop_entry;

/* What a rejection pass did. Free with eegnn_reject_report_free. */
typedef struct eegnn_reject_report {
    int n_windows;
    int n_kept;
    int n_dropped;
    int n_dropped_reject;     /* dropped windows with at least one REJECT entry */
    int n_dropped_flat;       /* dropped windows with at least one FLAT entry */
    unsigned char *keep;      /* (n_windows) 1 = kept, 0 = dropped */
    int n_entries;
    eegnn_drop_entry *entries; /* by window, then REJECT entries before FLAT
                                  ones, channels in order: MNE's drop_log order */
} eegnn_reject_report;

/* Checks every window of a batch x: (n_windows, n_channels, n_times), whose
 * channels have types ch_types (n_channels), like MNE's Epochs reject/flat
 * (strict comparisons, all offending channels listed as with full_report).
 * Fills *report (previous contents are overwritten, not freed).
 * Errors: EEGNN_ERR_ARG (NULL, sizes < 1, negative or non-finite
 * thresholds), EEGNN_ERR_MEMORY. */
EEGNN_API eegnn_status eegnn_reject_windows(const float *x, int n_windows, int n_channels, int64_t n_times,
                                            const char *const *ch_types, const eegnn_reject_config *cfg,
                                            eegnn_reject_report *report);

/* The same check on windows of a recording: window w is samples
 * [starts[w], starts[w] + window_len) of every channel, as the epochs that
 * mne.Epochs(raw, events, tmin=0, tmax=(window_len - 1) / sfreq,
 * baseline=None, reject=..., flat=...) cuts at those samples.
 * Errors: as above, plus EEGNN_ERR_ARG for a window outside the data. */
EEGNN_API eegnn_status eegnn_raw_reject_windows(const eegnn_raw *raw, const int64_t *starts, int n_windows,
                                                int64_t window_len, const eegnn_reject_config *cfg,
                                                eegnn_reject_report *report);

/* Frees what a report owns and zeroes it. NULL is allowed. */
EEGNN_API void eegnn_reject_report_free(eegnn_reject_report *report);

/* Flat channels of a recording: channels of type ch_type (NULL = any type)
 * whose peak-to-peak over the whole recording is below threshold (> 0).
 * On success *n_flat is their count, *indices (may be NULL if not wanted)
 * their channel indices and *names (may be NULL) their names, both
 * allocated (NULL when none) and freed with eegnn_free (names is a single
 * block: freeing the array frees the strings).
 * Errors: EEGNN_ERR_ARG (NULL raw or data, threshold <= 0), EEGNN_ERR_MEMORY. */
EEGNN_API eegnn_status eegnn_raw_find_flat_channels(const eegnn_raw *raw, double threshold, const char *ch_type,
                                                    int *n_flat, int **indices, char ***names);

/* ---- Augmentation (braindecode.augmentation) -------------------------------
 * Each transform is applied to each example of a batch independently with
 * probability `probability`, as braindecode's Transform: first one uniform
 * u per example is drawn and the example is transformed when probability >
 * u, then the transform's parameters are drawn for the chosen examples in
 * batch order. Same rng state, same result. */

typedef enum eegnn_augment_kind {
    EEGNN_AUG_NONE = 0,
    EEGNN_AUG_TIME_SHIFT = 1,       /* shift by an integer s uniform in [-max_shift, max_shift] */
    EEGNN_AUG_AMPLITUDE_SCALE = 2,  /* multiply by a factor uniform in [scale_low, scale_high) */
    EEGNN_AUG_GAUSSIAN_NOISE = 3,   /* add std * N(0, 1) to every sample (GaussianNoise) */
    EEGNN_AUG_CHANNELS_DROPOUT = 4, /* zero each channel with probability p_drop (ChannelsDropout) */
    EEGNN_AUG_SMOOTH_TIME_MASK = 5, /* smooth zero mask of mask_len_samples (SmoothTimeMask) */
    EEGNN_AUG_SIGN_FLIP = 6         /* x = -x (SignFlip) */
} eegnn_augment_kind;

/* One transform. Only the fields of its kind are read. */
typedef struct eegnn_augment {
    int kind;             /* eegnn_augment_kind */
    double probability;   /* [0, 1]: chance that an example is transformed */
    int max_shift;        /* TIME_SHIFT: samples, 0 .. n_times */
    int zero_fill;        /* TIME_SHIFT: 0 = circular (np.roll), 1 = vacated samples set to 0 */
    double scale_low;     /* AMPLITUDE_SCALE: factor range, low <= high */
    double scale_high;
    int per_channel;      /* AMPLITUDE_SCALE: 1 = one factor per channel, 0 = one per example */
    double std;           /* GAUSSIAN_NOISE: >= 0, in data units */
    double p_drop;        /* CHANNELS_DROPOUT: [0, 1] */
    int mask_len_samples; /* SMOOTH_TIME_MASK: 1 .. n_times */
} eegnn_augment;

/* Applies one transform to x: (batch, n_channels, n_times), in place.
 * applied (batch, may be NULL) receives 1 for the transformed examples.
 * Errors: EEGNN_ERR_ARG (NULL, sizes < 1, unknown kind, out-of-range field:
 * the message names the field). Nothing is changed on error. */
EEGNN_API eegnn_status eegnn_augment_apply(const eegnn_augment *aug, float *x, int batch, int n_channels,
                                           int n_times, eegnn_rng *rng, unsigned char *applied);

/* Applies augs[0], augs[1], ... in order (braindecode Compose). All are
 * checked before any is applied. */
EEGNN_API eegnn_status eegnn_augment_compose(const eegnn_augment *augs, int n_augs, float *x, int batch,
                                             int n_channels, int n_times, eegnn_rng *rng);

/* Deterministic forms of the transforms (the given draws, every example). */

/* Shifts example b by shifts[b] samples along time: np.roll(x[b], s, -1)
 * when zero_fill is 0, else the samples shifted in are 0. */
EEGNN_API eegnn_status eegnn_time_shift(float *x, int batch, int n_channels, int n_times, const int *shifts,
                                        int zero_fill);

/* braindecode.augmentation.functional.smooth_time_mask: with s = 1000 /
 * n_times and t = 0 .. n_times-1, x[b, c, t] *= sigmoid(-s (t - start_b)) +
 * sigmoid(s (t - start_b - mask_len)); mask_start: (batch), samples (not
 * necessarily integer). */
EEGNN_API eegnn_status eegnn_smooth_time_mask(float *x, int batch, int n_channels, int n_times,
                                              const double *mask_start, double mask_len_samples);

/* braindecode.augmentation.functional.channels_dropout: x[b, c, :] *=
 * sigmoid(1000 (u[b, c] - p_drop)) with u: (batch, n_channels) uniforms in
 * [0, 1) (so a channel is zeroed, up to the sigmoid, when u < p_drop). */
EEGNN_API eegnn_status eegnn_channels_dropout(float *x, int batch, int n_channels, int n_times, const double *u,
                                              double p_drop);
