/* ---------------------------------------------------------------------------
 * Continuous recordings (MNE's Raw): channels x samples plus annotations.
 * Every file reader returns an eegnn_raw; samples are float32 in the units
 * MNE's readers return (volts for uV/mV/nV/V channels, the file's physical
 * units otherwise).
 * ------------------------------------------------------------------------- */

/* One annotation (MNE's Annotations entry / EDF+ TAL / BIDS event). */
typedef struct eegnn_annotation {
    double onset;      /* seconds from the first sample */
    double duration;   /* seconds; 0 when the file gives none */
    char *description; /* UTF-8 text */
} eegnn_annotation;

typedef struct eegnn_raw {
    char *path;          /* file the recording was read from */
    char *format;        /* "EDF", "EDF+C", "EDF+D", "BDF", "BDF+C", "BDF+D", ... */
    int n_channels;      /* data channels (annotation signals excluded) */
    char **ch_names;     /* (n_channels) labels, trailing blanks removed */
    char **ch_units;     /* (n_channels) physical dimension as written in the file, e.g. "uV" */
    char **ch_types;     /* (n_channels) MNE channel type: "eeg", "stim", "misc", ... */
    double *ch_sfreq;    /* (n_channels) native sampling rate of each channel, Hz */
    double sfreq;        /* Hz: the highest channel rate; data is at this rate */
    int64_t n_times;     /* samples per channel in `data` */
    float *data;         /* (n_channels, n_times) row-major; NULL if header only */
    int n_annotations;
    eegnn_annotation *annotations; /* (n_annotations), sorted by onset */
    double meas_date;    /* start, seconds since 1970-01-01 UTC (NaN if unknown) */
    int discontinuous;   /* 1 for EDF+D/BDF+D files whose records have gaps */
} eegnn_raw;

typedef struct eegnn_read_options {
    int header_only; /* 1: fill everything but `data` (fast; for `eegnn info`) */
} eegnn_read_options;

/* Reads a recording, choosing the reader from the file extension (.edf,
 * .bdf: eegnn_read_edf; .vhdr: eegnn_read_brainvision; .set:
 * eegnn_read_eeglab, epoched files as their epochs side by side). opts may
 * be NULL. Returns NULL with
 * eegnn_last_error() naming the file and the problem on any failure; never
 * exits. Thread safety: reentrant (no shared state). */
EEGNN_API eegnn_raw *eegnn_read_raw(const char *path, const eegnn_read_options *opts);
/* Frees a recording and everything it owns. NULL is allowed. */
EEGNN_API void eegnn_raw_free(eegnn_raw *raw);
/* Index of a channel by name, or -1. */
EEGNN_API int eegnn_raw_channel_index(const eegnn_raw *raw, const char *name);
/* Duration in seconds (n_times / sfreq). */
EEGNN_API double eegnn_raw_duration(const eegnn_raw *raw);
