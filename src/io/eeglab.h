/* ---------------------------------------------------------------------------
 * EEGLAB datasets (.set, with the samples embedded or in a .fdt file).
 *
 * Reproduces MNE-Python 1.3: mne.io.read_raw_eeglab for continuous files and
 * mne.read_epochs_eeglab for epoched files (default arguments). The .set file
 * is a MAT-file level 5 (see matfile.h; MAT v7 compressed files need
 * EEGNN_USE_ZLIB; MAT v7.3 is refused with a conversion hint).
 * ------------------------------------------------------------------------- */

/* Reads an EEGLAB .set file as a continuous recording (format "EEGLAB").
 *
 * The EEG struct is the top-level variable EEG or, in newer files, the
 * fields stored as top-level variables. What it returns, matching MNE 1.3:
 *   - data: (nbchan, pnts * trials) float32 volts: EEGLAB's microvolts
 *     times 1e-6 (in double, then rounded to float). EEG.data is an embedded
 *     array or the name of a .fdt file (float32 little-endian, nbchan x
 *     (pnts * trials) column-major) next to the .set file; when that name
 *     does not exist, <set stem>.fdt is tried as MNE does. Epoched files
 *     (trials > 1) give the epochs side by side; eegnn_read_eeglab_epochs
 *     keeps their structure.
 *   - ch_names: chanlocs.labels, or "EEG 000", "EEG 001", ... when chanlocs is
 *     empty. ch_types: chanlocs.type stripped and lower-cased when it is an
 *     MNE channel type ("eog", "ecg", "misc", ...), else "eeg". ch_units "uV"
 *     (the unit in the file; data is in volts).
 *   - annotations: one per EEG.event: description = type (a number is
 *     written as Python's str() writes it, e.g. "1.0"), onset =
 *     (latency - 1) / srate, duration = duration / srate (0 without a
 *     duration field, NaN when empty); sorted by (onset, duration) and cropped
 *     to the recording as Raw.set_annotations does.
 *   - meas_date: NaN (EEGLAB stores none that MNE reads).
 * opts may be NULL; opts->header_only skips the samples (the .fdt size is
 * still checked). Errors (NULL, eegnn_last_error() naming the file and the
 * field): not a MAT-file, MAT v7.3, no EEG struct, ALLEEG files, missing or
 * invalid nbchan/pnts/trials/srate, chanlocs count differing from nbchan,
 * data of the wrong size, missing/truncated .fdt, old .dat data files, events
 * without a latency. Thread safety: reentrant. */
EEGNN_API eegnn_raw *eegnn_read_eeglab(const char *set_path, const eegnn_read_options *opts);

/* An epoched EEGLAB dataset (MNE's EpochsEEGLAB). */
typedef struct eegnn_eeglab_epochs {
    eegnn_raw *raw;  /* channels, sfreq, annotations; raw->data holds the epochs side by side */
    int n_epochs;    /* EEG.trials */
    int64_t n_times; /* samples per epoch (EEG.pnts) */
    double tmin;     /* seconds of the first sample relative to the event (EEG.xmin) */
    float *data;     /* (n_epochs, n_channels, n_times) volts; NULL if header only */
    int64_t *events; /* (n_epochs, 3) MNE events: latency sample, previous id, id */
    int n_event_id;
    char **event_names; /* (n_event_id) epoch event types; several per epoch joined with "/" */
    int *event_codes;   /* (n_event_id) ids 1, 2, ... in order of first appearance */
} eegnn_eeglab_epochs;

/* Reads an epoched EEGLAB .set file (EEG.trials >= 2) as mne.read_epochs_eeglab
 * does with events=None, event_id=None: one event per epoch from
 * EEG.epoch(i).eventtype (cells joined with "/") and the latency
 * (truncated to an integer) of the epoch's first event in EEG.event; the
 * middle column is the id of the previous epoch's event when the latencies
 * differ by exactly 1 (MNE keeps the last such id otherwise; 0 at first).
 * Same errors as eegnn_read_eeglab, plus a file with fewer than 2 trials and
 * a missing or inconsistent EEG.epoch. Free with eegnn_eeglab_epochs_free.
 * Thread safety: reentrant. */
EEGNN_API eegnn_eeglab_epochs *eegnn_read_eeglab_epochs(const char *set_path, const eegnn_read_options *opts);
/* Frees epochs and everything they own. NULL is allowed. */
EEGNN_API void eegnn_eeglab_epochs_free(eegnn_eeglab_epochs *ep);
