/* ---------------------------------------------------------------------------
 * Synthetic EEG: a BIDS dataset of resting-state recordings whose alpha peak
 * frequency rises with age, for demos, tests and benchmarks that need data of
 * a chosen size without downloads.
 * ------------------------------------------------------------------------- */

typedef struct eegnn_synthetic_config {
    int n_subjects;     /* 0: 40 */
    int n_channels;     /* 1..256; 0: 20 (10-20 montage names, then E21, E22, ...) */
    double sfreq;       /* Hz; 0: 128 */
    double duration;    /* seconds per recording; 0: 60 */
    double line_freq;   /* power-line noise frequency, Hz, in [0, sfreq / 2); 0: none; unset: 50 when
                           below Nyquist, else none */
    uint64_t seed;      /* 0 is a valid seed */
} eegnn_synthetic_config;

/* The demo dataset's defaults: every field 0 (40 subjects, 20 channels,
 * 128 Hz, 60 s, seed 0) and line_freq EEGNN_UNSET (50 Hz). cfg NULL in
 * eegnn_write_synthetic_bids means the same. Pure; thread safe. */
EEGNN_API eegnn_synthetic_config eegnn_synthetic_config_default(void);

/* Writes a BIDS dataset under `dir` (created if absent; existing files with
 * the same names are replaced atomically): dataset_description.json,
 * participants.tsv/.json (participant_id, age in years, sex), and per subject
 * sub-XXX/eeg/sub-XXX_task-rest_eeg.bdf (written by eegnn_write_bdf) with
 * _eeg.json and _channels.tsv sidecars.
 *
 * Signals (volts, stored in uV): 1/f ("pink") background per channel from
 * Kellet's filter on white noise plus a shared component, an occipito-
 * parietal alpha rhythm whose peak frequency is 6 + 0.3 * age Hz (age drawn
 * uniformly in 5..21 years, as in the Healthy Brain Network cohort) with
 * waxing and waning amplitude, power-line noise, eye blinks on frontal
 * channels and bursts of muscle activity on temporal channels.
 * Errors: EEGNN_ERR_ARG for bad config values, EEGNN_ERR_IO when a file
 * cannot be written. Thread safety: reentrant. */
EEGNN_API eegnn_status eegnn_write_synthetic_bids(const char *dir, const eegnn_synthetic_config *cfg);

/* ---------------------------------------------------------------------------
 * HBN-like BIDS tree for the EEG Foundation Challenge 2025: recordings laid
 * out as the HBN-EEG releases (129 channels E1..E128 + Cz, 100 Hz, BDF)
 * joined with a real participants.tsv.
 * ------------------------------------------------------------------------- */

typedef struct eegnn_synthetic_hbn_config {
    const char *participants_tsv; /* a real HBN participants.tsv (required); copied verbatim */
    int n_subjects;          /* the first N rows; 0: every row */
    int ccd_runs;            /* contrastChangeDetection runs per subject (0..3); 0: none; unset: 3 */
    int trials_per_run;      /* contrast-change targets per run; 0: 24 (the real task) */
    double rest_seconds;     /* RestingState length, s (0..3600); 0: no RestingState; unset: 60 */
    double miss_rate;        /* share of targets without a button press, in [0, 1); unset: 0.05 */
    uint64_t seed;
} eegnn_synthetic_hbn_config;

/* Every field 0 or NULL except ccd_runs, rest_seconds and miss_rate,
 * EEGNN_UNSET (3 runs, 60 s, 0.05); participants_tsv still needs setting.
 * Pure; thread safe. */
EEGNN_API eegnn_synthetic_hbn_config eegnn_synthetic_hbn_config_default(void);

/* Writes an HBN-like BIDS dataset under `dir`: participants.tsv copied from
 * cfg->participants_tsv, dataset_description.json, the task sidecars
 * (task-<T>_eeg.json, task-<T>_events.json) copied from the participants
 * file's directory when present there, and per subject (one per row,
 * participant_id as in the file):
 *   sub-X/eeg/sub-X_task-contrastChangeDetection_run-K_eeg.bdf + _events.tsv
 *     for runs K = 1..ccd_runs whose contrastChangeDetection_K column (when
 *     present) is not "unavailable";
 *   sub-X/eeg/sub-X_task-RestingState_eeg.bdf + _events.tsv.
 * contrastChangeDetection events.tsv: columns onset, duration, sample,
 * value, event_code, feedback as task-contrastChangeDetection_events.json
 * describes them: contrastChangeB<K>_start (event_code 94/95/96) at 0.5 s,
 * then per trial contrastTrial_start (5), after 2.8, 4.4 or 6.0 s a
 * left_target (8) or right_target (9), a left_buttonPress (12) or
 * right_buttonPress (13) 0.3..2.3 s later with feedback smiley_face (the
 * side of the target) or sad_face (the other side, 10% of presses), no press
 * for missed targets, and the next contrastTrial_start 2.4 s after the
 * target (1.6 s ramp + 0.8 s return); 5% of trials get an extra press
 * before the target and 5% a second press 100 ms after the response (both
 * with sad_face), cases the challenge's trial rules must ignore. Onsets have 1 ms resolution; duration
 * is n/a; sample = round(onset * 100).
 *
 * Signals (volts, 100 Hz): pink background per channel and a shared pink
 * component; an alpha rhythm whose amplitude grows with the participant's
 * externalizing score (12 uV x (1 + 0.5 x externalizing), clipped to
 * [0.2, 3] times; n/a scores give 1) over posterior channels; during
 * contrastChangeDetection the 20 and 25 Hz flicker (SSVEP) and, per trial, a
 * centro-parietal positivity that ramps linearly from the target onset to
 * 40 uV at the button press and decays over 300 ms (missed trials: a ramp to
 * 8 uV that decays at the target's end), so a window 0.5-2.5 s after the
 * target carries its response time. Deterministic for a seed.
 * Errors: EEGNN_ERR_ARG (bad config), reading the participants file
 * (EEGNN_ERR_NOT_FOUND / EEGNN_ERR_FORMAT, no participant_id column),
 * EEGNN_ERR_IO writing. Thread safety: reentrant. */
EEGNN_API eegnn_status eegnn_write_synthetic_hbn(const char *dir, const eegnn_synthetic_hbn_config *cfg);
