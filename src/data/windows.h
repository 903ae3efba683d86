/* ---------------------------------------------------------------------------
 * Windowed datasets: what the trainer draws batches from.
 *
 * A dataset holds the samples of every selected recording in memory as
 * float32 (n_channels, n_times) and a list of windows (recording, start
 * sample, target, group). Two kinds of targets, as in braindecode:
 *
 *   "participants:COLUMN"  subject-level target from participants.tsv; fixed
 *                          windows of window_seconds every stride_seconds
 *                          (braindecode create_fixed_length_windows with
 *                          drop_last_window=True). A numeric column gives a
 *                          regression target, any other a classification
 *                          with levels sorted by byte order. Subjects whose
 *                          value is n/a (or who have no row) are skipped.
 *   "events:CLASS,..."     trial-level classification: one window per event
 *                          of a listed class (label = position in the list;
 *                          each CLASS is LABEL, or NAME=LABEL[+LABEL...] to
 *                          name a class and merge labels into it, as MNE's
 *                          event_id and merge_events; see
 *                          eegnn_event_classes_parse), the labels being the
 *                          events' trial_type (or the column event_column)
 *                          from onset + tmin to onset + tmax seconds
 *                          (braindecode create_windows_from_events with
 *                          trial_start_offset = tmin, trial_stop_offset =
 *                          tmax: round((tmax - tmin) * sfreq) samples, end
 *                          exclusive; onset sample = round(onset * sfreq) as
 *                          mne.events_from_annotations). Events whose window
 *                          falls outside the recording are skipped.
 *   "challenge1"           EEG Foundation Challenge 2025, Challenge 1: the
 *                          response time of each contrast-change-detection
 *                          trial, in seconds, from the events' `value` column
 *                          (or the annotations' descriptions), by the rules of
 *                          the challenge's startkit (eeg2025/startkit
 *                          challenge_1.py, build_trial_table +
 *                          annotate_trials_with_target + add_aux_anchors):
 *                          events are sorted by onset (stable); each
 *                          contrastTrial_start opens a trial that ends at the
 *                          next one (the last trial, having no next start, is
 *                          dropped); the stimulus is the first left_target /
 *                          right_target with start <= onset < end, the
 *                          response the first left_buttonPress /
 *                          right_buttonPress with stimulus <= onset < end;
 *                          trials without a stimulus or without a response
 *                          are dropped (require_stimulus=True,
 *                          require_response=True). Target = response onset -
 *                          stimulus onset; the window starts tmin after the
 *                          stimulus and lasts tmax - tmin (defaults 0.5 s and
 *                          2.5 s: 200 samples at 100 Hz), sample positions as
 *                          for "events:" targets.
 *
 * Groups are the unit that train/valid/test splits keep apart: "subject"
 * (sub), "session" (sub + ses) or "run" (the recording itself: sub, ses,
 * task, acq, run). "session" and "run" need at least one selected recording
 * with that entity (else EEGNN_ERR_ARG listing the entities there are).
 *
 * Everything that can be checked from the dataset's tables (target, task
 * filter, participants column, event labels, split unit) is checked before
 * any signal file is read: eegnn_dataset_check, which
 * eegnn_dataset_from_bids runs first.
 * ------------------------------------------------------------------------- */

/* The classes of an "events:" target. */
typedef struct eegnn_event_classes {
    int n_classes;
    char **names;     /* (n_classes) class names in target order: NAME, or the LABEL itself */
    int n_labels;
    char **labels;    /* (n_labels) every label named by the target, in target order */
    int *label_class; /* (n_labels) the class of each label */
} eegnn_event_classes;

/* Parses an events target "events:CLASS[,CLASS...]", each CLASS being LABEL
 * (a class named LABEL of the events labelled LABEL) or
 * NAME=LABEL[+LABEL...] (a class named NAME of the events with any of
 * these labels: MNE's event_id with merge_events), e.g.
 * "events:left=T1,right=T2" or "events:fists=left_fist+right_fist,rest".
 * Blanks around names and labels are dropped. A LABEL written without a
 * name is taken whole, '+' included. Errors (NULL, EEGNN_ERR_ARG naming the
 * item): no "events:" prefix, an empty class, name or label, a label in two
 * classes, two classes of one name. At least one class; a classifier needs
 * two (eegnn_dataset_check). Free with eegnn_event_classes_free. Thread
 * safety: reentrant. */
EEGNN_API eegnn_event_classes *eegnn_event_classes_parse(const char *target);
/* Frees parsed classes. NULL is allowed. */
EEGNN_API void eegnn_event_classes_free(eegnn_event_classes *ec);
/* The class of an event label, or -1 when the target does not name it. */
EEGNN_API int eegnn_event_classes_find(const eegnn_event_classes *ec, const char *label);

/* Valid when zero-filled. */
typedef struct eegnn_dataset_config {
    const char *task;       /* comma-separated task labels to keep; NULL: every task */
    const char *target;     /* "participants:COLUMN", "events:CLASS,..." or "challenge1" (required) */
    const char *event_column; /* events targets: the *_events.tsv column that holds the labels (e.g.
                                 "value"); NULL: "trial_type". Recordings without an events file take
                                 their labels from the file's annotations, for trial_type only */
    double window_seconds;  /* fixed windows (participants targets); 0: 2 s */
    double stride_seconds;  /* 0: window_seconds */
    double tmin, tmax;      /* event-locked window in s from onset; both 0: 0.5 and 2.5 */
    const char *split;      /* group unit: "subject" (NULL default), "session" or "run" */
    double scale;           /* samples are multiplied by this; 0: 1e6 (volts -> microvolts) */
    /* Streaming (datasets larger than memory). When `stream` is set, or when
     * the selected recordings would take more than max_memory bytes as
     * float32 (estimated from the file sizes), only the headers and the
     * window index stay in memory and eegnn_dataset_get reads each window
     * from its file on demand. Formats with a window reader (EDF, BDF) are
     * streamed; others are loaded in memory. At most 256 streamed files
     * (and a quarter of RLIMIT_NOFILE) stay open between reads; the others
     * are opened for each read. With a whole-recording
     * preprocessing step (1-6, 8 or "ems" below), every format is streamed
     * through a cache of preprocessed windows instead (cache_dir required,
     * see below). */
    int64_t max_memory;     /* bytes; 0: unlimited */
    int stream;             /* 1: stream whatever the size */
    /* On-disk cache of preprocessed windows, used by streamed datasets: one
     * file per dataset in cache_dir, written under a temporary name and
     * renamed into place when complete (a failed build removes it); later
     * runs and epochs read it. Stale files are never deleted.
     *  - Without whole-recording preprocessing: "eegnn-windows-<hash>.f32|f16",
     *    named by a hash of the windows and the files (path, size,
     *    modification time, inode), filled while windows are drawn (completed
     *    by eegnn_dataset_cache_complete).
     *  - With it (steps 1-6, 8, "ems"): "eegnn-prep-<hash>.f32|f16", written
     *    when the dataset is built, one recording at a time (read with
     *    eegnn_read_raw, preprocessed, windowed, rejected and standardized as
     *    in memory, its windows written, the recording freed: peak memory is
     *    about one recording, twice while it is copied). The file also holds
     *    the window list, targets, groups, classes, drop log and log. Its
     *    hash covers the target, task, window, split, scale, dtype and
     *    preprocessing settings and, per selected recording, its name,
     *    participants value and files (the recording, its events file and
     *    the files named after it beside it: path, size, modification time
     *    to the nanosecond where available, inode); a build with the same
     *    hash reuses the file without reading any recording. Windows (all
     *    crop offsets) are read from it; the in-memory values are returned
     *    bit for bit (float32) or rounded to binary16 (float16). */
    const char *cache_dir;  /* NULL: no cache */
    const char *cache_dtype; /* "float32" (NULL default) or "float16" (IEEE binary16, round to
                                nearest even; windows are then returned at float16 precision
                                from the first read on, so every epoch sees the same values) */
    /* Preprocessing, applied to each recording as it is loaded, in this
     * order (MNE / braindecode semantics; every step is optional):
     *   1. pick_types      keep channels of these MNE types (eegnn_raw_pick_types)
     *   2. channels        keep these channels, in this order (eegnn_raw_pick_channels)
     *   3. reference       eegnn_raw_set_average_reference / eegnn_raw_set_reference
     *   4. l_freq, h_freq  Butterworth zero-phase band-pass (both), high-pass (l_freq
     *                      only) or low-pass (h_freq only), eegnn_raw_filter_*
     *   5. notch_freq      eegnn_raw_filter_notch (harmonics included)
     *   6. sfreq           eegnn_raw_resample (scipy.signal.resample_poly)
     *   7. scale           samples times `scale` (above)
     *   8. windows are cut; reject / flat drop windows (eegnn_raw_reject_windows
     *      on the type-"eeg" channels, in scaled units), listed by eegnn_dataset_dropped
     *   9. standardize "ems": eegnn_exponential_moving_standardize of the whole
     *      (scaled) recording, as braindecode's Preprocessor on a continuous raw;
     *      "window": eegnn_standardize of each window when it is read.
     * Recordings with different channel sets or rates: `channels` = "common"
     * keeps the channels every selected recording has (after pick_types), in
     * the first recording's order; `sfreq` resamples every recording whose rate
     * differs. What was dropped or resampled is listed by eegnn_dataset_log.
     * Streamed datasets (stream, max_memory) with steps 1-6, 8 or "ems" go
     * through the preprocessed cache (cache_dir; see above), with results
     * equal to the in-memory path's; without cache_dir they are refused with
     * EEGNN_ERR_ARG. "window" standardization works on both without a cache. */
    const char *pick_types;  /* comma-separated MNE types, e.g. "eeg" or "eeg,eog"; NULL: all */
    const char *channels;    /* NULL: every recording must have the first one's channels;
                                "common": the intersection; or "C3,Cz,C4": exactly these */
    const char *reference;   /* NULL: none; "average"; or channel names "A1,A2" */
    double l_freq, h_freq;   /* Hz; 0: no such edge */
    int filter_order;        /* Butterworth order; 0: 4 */
    double notch_freq;       /* Hz (e.g. 50 or 60); 0: none */
    double notch_width;      /* half width of each stop band, Hz; 0: 1 */
    int notch_order;         /* 0: 4 */
    double sfreq;            /* Hz; > 0: resample every recording to this rate; 0: rates must agree */
    double reject;           /* drop windows whose peak-to-peak exceeds this on an "eeg" channel
                                (scaled units: uV by default); 0: off */
    double flat;             /* drop windows whose peak-to-peak is below this on an "eeg" channel; 0: off */
    const char *standardize; /* NULL or "none", "window" or "ems" */
    double ems_factor_new;   /* EMS smoothing factor; 0: 1e-3 (braindecode's default) */
    int64_t ems_init_block_size; /* EMS initial block in samples; 0: None */
    double standardize_eps;  /* floor of the std (EMS and per window); 0: 1e-4 */
    /* EEG Foundation Challenge 2025 (target "challenge1", crops of fixed windows). */
    double crop_seconds;    /* > 0 (participants targets): each window of window_seconds yields a crop
                               of crop_seconds; eegnn_dataset_get returns the centred crop,
                               eegnn_dataset_get_crop any other (random crops during training) */
    /* Progress while the recordings are read: called from the building
     * thread before the first recording (n_read 0) and after each one, with
     * the recordings read, the recordings selected and the windows so far.
     * NULL: none. */
    void (*progress)(void *user, int n_read, int n_total, int n_windows);
    void *progress_user;
} eegnn_dataset_config;

/* What eegnn_dataset_check learns from a dataset's tables. */
typedef struct eegnn_dataset_plan {
    int n_recordings;       /* recordings selected (task filter; participants targets: with a value) */
    int n_subjects;         /* their subjects */
    int n_groups;           /* groups of the split unit among them */
    int classification;     /* 1: classification (events targets, a non-numeric participants column);
                               0: regression (a numeric column, "challenge1") */
    int n_classes;          /* classification: the target's classes (events) or the column's levels among
                               the selected subjects (participants); 0 for regression */
    int n_skipped_subjects; /* participants targets: selected subjects without a value (n/a or no row) */
} eegnn_dataset_plan;

/* Checks a dataset configuration against a BIDS dataset's tables, reading
 * no signal file: the target's syntax; every task of the task filter
 * exists; some recording is selected; the participants column exists and
 * has values (and, if not numeric, at least two levels); every label of an
 * events target occurs in the selected recordings' events files (in
 * trial_type or event_column; checked when every selected recording has an
 * events file, else when the dataset is built, from the annotations), and
 * there are at least two classes; the split unit's entity exists; window
 * and crop lengths make sense. plan (may be NULL) receives what was found.
 * Errors (eegnn_last_error names the dataset, file or column and lists
 * what exists: the tasks, the columns, the labels with their counts, the
 * entities): EEGNN_ERR_ARG for a bad target, split unit, window or
 * class list; EEGNN_ERR_NOT_FOUND for a task, column, label or value that
 * is absent; an events or participants file that cannot be read (its
 * error). Thread safety: reentrant. */
EEGNN_API eegnn_status eegnn_dataset_check(const eegnn_bids_dataset *bids, const eegnn_dataset_config *cfg,
                                           eegnn_dataset_plan *plan);

typedef struct eegnn_dataset eegnn_dataset;

/* Builds the windows of a BIDS dataset: runs eegnn_dataset_check, then
 * reads every recording that passes the task filter with eegnn_read_raw
 * once; events come from its *_events.tsv (trial_type or event_column), or
 * from the file's annotations when there is no events file. Recordings in
 * formats eegnn cannot read are an error when selected. Errors (NULL,
 * eegnn_last_error set): those of eegnn_dataset_check, an event label that
 * no selected recording has (EEGNN_ERR_NOT_FOUND listing the labels there
 * are, with counts), a class without any window (its events all fall
 * outside their recordings), a recording whose channel names or sampling rate differ
 * from the first one when `channels` / `sfreq` do not harmonize them
 * (EEGNN_ERR_FORMAT naming both files), a preprocessing step that fails
 * (its error, prefixed by the file), whole-recording preprocessing of
 * streamed recordings without cache_dir (EEGNN_ERR_ARG), unreadable or
 * truncated files (the reader's error naming the file; a preprocessed cache
 * being written is removed), cache write failures (EEGNN_ERR_IO), no window
 * at all. Thread safety: reentrant; concurrent builds of the same cache
 * write separate temporary files, and the last rename wins. */
EEGNN_API eegnn_dataset *eegnn_dataset_from_bids(const eegnn_bids_dataset *ds, const eegnn_dataset_config *cfg);

/* Builds a dataset from recordings already in memory (tests, custom
 * loaders). names[i] is a BIDS-style name giving the entities of raws[i]
 * ("sub-01_ses-1_task-rest_run-1"); events are raws[i]'s annotations
 * (description = trial_type); participants (may be NULL for events targets)
 * supplies subject-level targets with a participant_id column. The samples
 * are copied; the raws stay the caller's. Errors as eegnn_dataset_from_bids. */
EEGNN_API eegnn_dataset *eegnn_dataset_from_raws(const eegnn_raw *const *raws, const char *const *names, int n,
                                                 const eegnn_table *participants, const eegnn_dataset_config *cfg);

/* Frees a dataset. NULL is allowed. */
EEGNN_API void eegnn_dataset_free(eegnn_dataset *ds);

EEGNN_API int eegnn_dataset_n_windows(const eegnn_dataset *ds);
EEGNN_API int eegnn_dataset_n_channels(const eegnn_dataset *ds);
/* Samples per window. */
EEGNN_API int eegnn_dataset_n_times(const eegnn_dataset *ds);
/* Hz, common to every recording. */
EEGNN_API double eegnn_dataset_sfreq(const eegnn_dataset *ds);
/* (n_channels) channel names. */
EEGNN_API const char *const *eegnn_dataset_ch_names(const eegnn_dataset *ds);
/* Number of classes; 0 for a regression target. */
EEGNN_API int eegnn_dataset_n_classes(const eegnn_dataset *ds);
/* Name of class k (the participants level or the trial_type), or NULL. */
EEGNN_API const char *eegnn_dataset_class_name(const eegnn_dataset *ds, int k);
/* Recordings loaded. */
EEGNN_API int eegnn_dataset_n_recordings(const eegnn_dataset *ds);
/* Subjects skipped because their participants value is n/a or absent. */
EEGNN_API int eegnn_dataset_n_skipped_subjects(const eegnn_dataset *ds);
/* Events of the wanted trial types skipped because their window falls
 * outside the recording. */
EEGNN_API int eegnn_dataset_n_skipped_events(const eegnn_dataset *ds);

/* Copies window i: x gets (n_channels, n_times) floats in the recording's
 * units times cfg->scale (µV by default), y the target (class index as a
 * float for classification, the value for regression). y may be NULL.
 * Streamed recordings are read from their file (bit-identical to the
 * in-memory values) or from the cache. Returns EEGNN_OK, EEGNN_ERR_ARG for an
 * index out of range, or the reader's error (a file truncated or unreadable
 * since the dataset was built, a cache write failure). Thread safe. */
EEGNN_API eegnn_status eegnn_dataset_get(const eegnn_dataset *ds, int i, float *x, float *y);

/* What preprocessing did, one line per event ("sub-02_task-x: resampled
 * 200 -> 160 Hz", "sub-02_task-x: dropped channels not in every recording:
 * T7, T8", ...); "" when nothing was changed. Owned by the dataset. */
EEGNN_API const char *eegnn_dataset_log(const eegnn_dataset *ds);
/* Recordings that were resampled to cfg->sfreq. */
EEGNN_API int eegnn_dataset_n_resampled(const eegnn_dataset *ds);

/* A window removed by the reject / flat thresholds. */
typedef struct eegnn_dataset_dropped {
    const char *recording; /* recording name */
    int64_t start;         /* first sample of the window (after resampling) */
    float target;          /* its target */
    int reasons;           /* bit set of eegnn_drop_reason (REJECT = 1, FLAT = 2) */
    const char *channels;  /* offending channels, comma-separated, in MNE's drop_log order */
} eegnn_dataset_dropped;
/* Dropped windows in recording order (*n receives their count; NULL when
 * none). Owned by the dataset. */
EEGNN_API const eegnn_dataset_dropped *eegnn_dataset_dropped_windows(const eegnn_dataset *ds, int *n);
/* Windows before rejection (kept + dropped). */
EEGNN_API int eegnn_dataset_n_candidate_windows(const eegnn_dataset *ds);
/* Writes the dropped windows as a TSV file with columns recording, start
 * (sample), onset (s), target, reason (REJECT, FLAT or REJECT,FLAT),
 * channels; a header line only when nothing was dropped. Written atomically.
 * Errors: EEGNN_ERR_ARG, EEGNN_ERR_IO naming the path. */
EEGNN_API eegnn_status eegnn_dataset_write_drop_log(const eegnn_dataset *ds, const char *path);
/* Crops (crop_seconds > 0): the offsets a crop may start at within its
 * window are 0 .. eegnn_dataset_crop_max_offset(ds) (0 without crops;
 * eegnn_dataset_n_times is then the crop length). eegnn_dataset_get returns
 * the crop at offset max / 2 (a fixed, centred crop: the startkit of
 * Challenge 2 crops every window at random and defines no evaluation crop).
 * eegnn_dataset_get_crop copies window i's crop starting `offset` samples
 * into the window, as the startkit's DatasetWrapper
 * (X[:, offset : offset + crop]). Errors: EEGNN_ERR_ARG for an index or
 * offset out of range, else as eegnn_dataset_get (streamed crops are read
 * from the file, not the window cache; a preprocessed cache holds whole
 * windows and serves every crop). Thread safe. */
EEGNN_API int eegnn_dataset_crop_max_offset(const eegnn_dataset *ds);
EEGNN_API eegnn_status eegnn_dataset_get_crop(const eegnn_dataset *ds, int i, int offset, float *x, float *y);

/* Recordings read on demand, from their files or from a preprocessed cache
 * (0 when everything is in memory). */
EEGNN_API int eegnn_dataset_n_streamed(const eegnn_dataset *ds);

/* Writes every window not yet in the cache and renames the cache file into
 * place (no-op without a cache, when it is complete, or for a preprocessed
 * cache, which is complete once the dataset is built). The trainer calls it
 * after its first epoch. Errors: reading a window, EEGNN_ERR_IO writing the
 * cache. Thread safety: may run while other threads call eegnn_dataset_get. */
EEGNN_API eegnn_status eegnn_dataset_cache_complete(eegnn_dataset *ds);

/* Path of the cache file (final name), or NULL without a cache. */
EEGNN_API const char *eegnn_dataset_cache_path(const eegnn_dataset *ds);

/* IEEE 754 binary16 conversions: float to half with round-to-nearest-even
 * (overflow to infinity, NaN kept), half to float (exact). */
EEGNN_API uint16_t eegnn_float_to_half(float f);
EEGNN_API float eegnn_half_to_float(uint16_t h);

/* Target of window i (no copy of the samples). */
EEGNN_API float eegnn_dataset_target(const eegnn_dataset *ds, int i);
/* Recording index of window i and its first sample in that recording. */
EEGNN_API int eegnn_dataset_recording(const eegnn_dataset *ds, int i);
EEGNN_API int64_t eegnn_dataset_start(const eegnn_dataset *ds, int i);
/* Name of recording r ("sub-01_task-x_run-1"). */
EEGNN_API const char *eegnn_dataset_recording_name(const eegnn_dataset *ds, int r);

/* Groups: indices 0..n_groups-1 in order of first appearance (recordings
 * are taken in the BIDS dataset's sorted order). */
EEGNN_API int eegnn_dataset_n_groups(const eegnn_dataset *ds);
EEGNN_API int eegnn_dataset_group(const eegnn_dataset *ds, int i);
/* "sub-01", "sub-01_ses-2" or the recording name, by split unit. */
EEGNN_API const char *eegnn_dataset_group_name(const eegnn_dataset *ds, int g);
/* Subject label (without "sub-") of window i. */
EEGNN_API const char *eegnn_dataset_subject(const eegnn_dataset *ds, int i);

/* Random group-wise split (as sklearn GroupShuffleSplit, no group in two
 * splits): assign (n_groups) gets 0 train, 1 valid, 2 test. The groups are
 * shuffled with eegnn_rng seeded by `seed`; round(test_frac * n_groups) go to
 * test and round(valid_frac * n_groups) to valid, each at least 1 when its
 * fraction is > 0; train always keeps at least one. Errors (EEGNN_ERR_ARG):
 * fractions < 0 or summing to >= 1, or fewer groups than non-empty splits
 * requested (3 when both fractions are > 0). Deterministic for a seed. */
EEGNN_API eegnn_status eegnn_split_groups(int n_groups, double valid_frac, double test_frac, uint64_t seed,
                                          int *assign);

/* Stratified group-wise split: as eegnn_split_groups (the same numbers of
 * valid and test groups), with the groups placed so that each split has
 * the class mix of the whole as far as the groups allow, by the greedy rule
 * of scikit-learn's StratifiedGroupKFold: the groups, shuffled with the
 * seed, are taken in order of decreasing standard deviation of their class
 * distribution, and each goes to the split with room left where it brings
 * every class's share of windows closest to the split's share of the
 * groups (least sum of squared differences; ties: the split with more room
 * left). counts (n_groups, n_classes): the windows of each class in each
 * group. assign (n_groups) gets 0 train, 1 valid, 2 test. Errors as
 * eegnn_split_groups, and EEGNN_ERR_ARG for NULL counts, n_classes < 1 or a
 * negative count. Deterministic for a seed. Thread safe. */
EEGNN_API eegnn_status eegnn_split_groups_stratified(int n_groups, int n_classes, const int *counts,
                                                     double valid_frac, double test_frac, uint64_t seed,
                                                     int *assign);

/* Group k-fold: assign (n_groups) gets 1 for the groups of fold `fold`
 * (0-based), 0 for the others; folds hold n_groups / n_folds groups (the
 * first n_groups % n_folds one more). Without counts (NULL): scikit-learn's
 * GroupKFold with shuffled groups (shuffled with the seed, dealt
 * round-robin). With counts (n_groups, n_classes): stratified as
 * eegnn_split_groups_stratified places groups. Errors (EEGNN_ERR_ARG):
 * n_folds < 2, fold out of range, fewer groups than folds, a negative
 * count. Deterministic for a seed. Thread safe. */
EEGNN_API eegnn_status eegnn_kfold_groups(int n_groups, int n_classes, const int *counts, int n_folds, int fold,
                                          uint64_t seed, int *assign);

/* Window indices of one split: writes into out (may be NULL to count) the
 * windows whose group has assign[group] == which, in window order. Returns
 * the count. */
EEGNN_API int eegnn_dataset_split_indices(const eegnn_dataset *ds, const int *assign, int which, int *out);
