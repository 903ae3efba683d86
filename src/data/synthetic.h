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
    double line_freq;   /* power-line noise frequency, Hz (< sfreq / 2); 0: 50 when below
                           Nyquist, else none; negative: none */
    uint64_t seed;      /* 0 is a valid seed */
} eegnn_synthetic_config;

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
