/* ---------------------------------------------------------------------------
 * BIDS datasets (Brain Imaging Data Structure, EEG extension; spec 1.8).
 *
 * eegnn_bids_open walks `sub-<label>/[ses-<label>/]eeg/` for recordings named
 * `sub-<label>[_ses-<label>]_task-<label>[_acq-<label>][_run-<index>]..._eeg.<ext>`
 * with ext one of edf, bdf, vhdr (BrainVision; these three are read by
 * eegnn_read_raw) or set (EEGLAB) (listed, with `format` telling which
 * reader they need). For
 * each recording it finds the sidecars by the BIDS inheritance principle:
 * a metadata file applies when every entity in its name is one of the
 * recording's entities (same value) and it sits in the recording's folder
 * or a parent folder up to the dataset root. For `_events.tsv` and
 * `_channels.tsv` the closest applicable file is used; `_eeg.json` files
 * are merged from the root down, closer keys overriding.
 * ------------------------------------------------------------------------- */

/* The entities of a BIDS file name (spec: "Entities", "Filenames"):
 * "sub-01_ses-2_task-rest_run-1_eeg.edf" -> keys {sub, ses, task, run},
 * values {"01", "2", "rest", "1"} in file order, suffix "eeg", extension
 * ".edf" (mne_bids.get_entities_from_fname, plus suffix and extension). */
#define EEGNN_BIDS_MAX_ENTITIES 16
typedef struct eegnn_bids_entities {
    int n;                                      /* entities found */
    char key[EEGNN_BIDS_MAX_ENTITIES][32];      /* "sub", "ses", "task", ... */
    char value[EEGNN_BIDS_MAX_ENTITIES][128];   /* their labels or indices, as written */
    char suffix[64];    /* "eeg", "events", "channels", ... */
    char extension[32]; /* ".edf", ".json", ".nii.gz" (everything from the first '.'); "" when none */
} eegnn_bids_entities;

/* Parses a file name (no folder) into e. Returns 1, or 0 when it is not a
 * BIDS name: a part without key-value form before the suffix, an empty key
 * or value, a suffix with a '-', more than EEGNN_BIDS_MAX_ENTITIES entities
 * or fields longer than e holds. Pure; thread safe. */
EEGNN_API int eegnn_bids_parse_filename(const char *fname, eegnn_bids_entities *e);
/* The value of entity `key` ("sub", "task", ...), or NULL when absent. */
EEGNN_API const char *eegnn_bids_entity(const eegnn_bids_entities *e, const char *key);

typedef struct eegnn_bids_recording {
    char *path;        /* signal file, root-joined, e.g. "root/sub-01/eeg/sub-01_task-x_eeg.edf" */
    char *name;        /* file name without "_eeg.<ext>", e.g. "sub-01_task-x_run-1" */
    char *format;      /* "EDF", "BDF", "BrainVision" or "EEGLAB" */
    int readable;      /* 1 when eegnn_read_raw reads this format */
    char *sub;         /* entity values without the key ("01"); NULL when absent */
    char *ses;
    char *task;
    char *acq;
    char *run;
    char *events_path;   /* applicable *_events.tsv, or NULL */
    char *channels_path; /* applicable *_channels.tsv, or NULL */
    char *sidecar_path;  /* closest applicable *_eeg.json, or NULL */
    double sfreq;        /* Hz, SamplingFrequency from the merged sidecars; NaN when absent */
    double duration;     /* seconds, RecordingDuration from the sidecars; NaN when absent */
    int n_eeg_channels;  /* EEGChannelCount from the sidecars; -1 when absent */
    int participant_row; /* row of participants.tsv for this subject, -1 when none */
    char *electrodes_path; /* applicable *_electrodes.tsv (closest; a file with a space-<label>
                              entity applies only to recordings with that entity), or NULL */
    char *coordsystem_path; /* applicable *_coordsystem.json (same rule), or NULL */
} eegnn_bids_recording;

typedef struct eegnn_bids_dataset {
    char *root;                      /* dataset folder as given */
    char *name;                      /* dataset_description.json Name, or NULL */
    char *bids_version;              /* dataset_description.json BIDSVersion, or NULL */
    int n_recordings;
    eegnn_bids_recording *recordings; /* (n_recordings) sorted by sub, ses, task, acq, run, path */
    int n_subjects;
    char **subjects;                 /* (n_subjects) labels without "sub-", sorted */
    eegnn_table *participants;       /* participants.tsv, or NULL when the file is absent */
} eegnn_bids_dataset;

/* Opens a BIDS dataset: lists its EEG recordings, their sidecars,
 * participants.tsv and dataset_description.json. Reads no signal data.
 * Errors (NULL returned, eegnn_last_error set): root missing or not a folder
 * (EEGNN_ERR_IO), no EEG recording found (EEGNN_ERR_NOT_FOUND), a malformed
 * participants.tsv / dataset_description.json / sidecar (EEGNN_ERR_FORMAT,
 * naming the file and line or byte). Thread safety: reentrant. */
EEGNN_API eegnn_bids_dataset *eegnn_bids_open(const char *root);

/* Frees a dataset. NULL is allowed. */
EEGNN_API void eegnn_bids_close(eegnn_bids_dataset *ds);

/* Row of participants.tsv whose participant_id is `subject` ("sub-01" or
 * "01"), or -1 (also when there is no participants.tsv). */
EEGNN_API int eegnn_bids_participant_row(const eegnn_bids_dataset *ds, const char *subject);

/* A participant's value as text; NULL when the subject, the column or the
 * value (n/a) is missing. */
EEGNN_API const char *eegnn_bids_participant_string(const eegnn_bids_dataset *ds, const char *subject,
                                                    const char *column);

/* A participant's value as a number: *out = the value, or NaN when it is
 * n/a. Errors: EEGNN_ERR_NOT_FOUND (no participants.tsv, no such column or
 * subject), EEGNN_ERR_FORMAT (the cell is not a number), naming the file. */
EEGNN_API eegnn_status eegnn_bids_participant_number(const eegnn_bids_dataset *ds, const char *subject,
                                                     const char *column, double *out);

/* One row of a BIDS *_events.tsv. */
typedef struct eegnn_bids_event {
    double onset;     /* seconds from the first sample (required column) */
    double duration;  /* seconds; NaN when n/a or the column is absent */
    char *trial_type; /* NULL when n/a or absent */
    char *value;      /* NULL when n/a or absent */
    int64_t sample;   /* sample index; -1 when n/a or absent */
    char *label;      /* the cell of the column named in eegnn_bids_load_events_column; NULL when n/a,
                         or when loaded by eegnn_bids_load_events */
} eegnn_bids_event;

typedef struct eegnn_bids_events {
    char *path;
    int n;
    eegnn_bids_event *events; /* (n) in file order */
} eegnn_bids_events;

/* Loads a recording's events.tsv. Returns NULL with EEGNN_ERR_NOT_FOUND when
 * the recording has no events file, EEGNN_ERR_FORMAT when `onset` is absent
 * or a numeric column holds text (naming file, line and column). */
EEGNN_API eegnn_bids_events *eegnn_bids_load_events(const eegnn_bids_recording *rec);
/* As eegnn_bids_load_events, and each event's `label` is its cell in the
 * column `column` (e.g. "trial_type", "value" or any other column of the
 * file; NULL: no label). Errors as eegnn_bids_load_events, and
 * EEGNN_ERR_NOT_FOUND when the file has no such column (the message names
 * the file and lists its columns). Thread safety: reentrant. */
EEGNN_API eegnn_bids_events *eegnn_bids_load_events_column(const eegnn_bids_recording *rec, const char *column);
/* Frees loaded events. NULL is allowed. */
EEGNN_API void eegnn_bids_events_free(eegnn_bids_events *ev);

/* The distinct values of one *_events.tsv column over a dataset's
 * recordings, with their counts (pandas' value_counts of the column over
 * every recording's events file). A file that applies to several
 * recordings by inheritance is counted once per recording. */
typedef struct eegnn_bids_level {
    char *value;      /* the cell as written */
    int count;        /* events with this value */
    int n_recordings; /* recordings where it occurs */
} eegnn_bids_level;

typedef struct eegnn_bids_levels {
    char *column;
    int n_levels;
    eegnn_bids_level *levels;  /* (n_levels) sorted by value (byte order) */
    int n_recordings;          /* recordings whose events file has the column */
    int n_without_events;      /* recordings with no events file (labels only in the signal file's annotations) */
    int n_without_column;      /* recordings whose events file lacks the column */
    char *without_column_path; /* the first such events file, or NULL */
    int n_missing;             /* events whose cell is n/a or empty */
} eegnn_bids_levels;

/* Counts the levels of `column` ("trial_type", "value", ...) in the events
 * files of the recordings whose task is in `task` (comma-separated; NULL:
 * every recording). Reads only the events files, no signal. Errors (NULL,
 * eegnn_last_error set): NULL arguments (EEGNN_ERR_ARG), an unreadable or
 * malformed events file (its error, naming the file and line), out of
 * memory. Free with eegnn_bids_levels_free. Thread safety: reentrant. */
EEGNN_API eegnn_bids_levels *eegnn_bids_event_levels(const eegnn_bids_dataset *ds, const char *task,
                                                     const char *column);
/* Frees levels. NULL is allowed. */
EEGNN_API void eegnn_bids_levels_free(eegnn_bids_levels *lv);
/* Index of a level by value, or -1. */
EEGNN_API int eegnn_bids_levels_find(const eegnn_bids_levels *lv, const char *value);
/* Writes "a (12), b (30)" (value and count of every level, in order) into
 * buf, truncated with "..." when it does not fit. */
EEGNN_API void eegnn_bids_levels_format(const eegnn_bids_levels *lv, char *buf, size_t size);

/* Loads a recording's channels.tsv (columns name, type, units, ... as in the
 * file). NULL with EEGNN_ERR_NOT_FOUND when the recording has none. */
EEGNN_API eegnn_table *eegnn_bids_load_channels(const eegnn_bids_recording *rec);

/* Electrode positions of a recording, from its *_electrodes.tsv (BIDS EEG
 * spec: required columns name, x, y, z; optional type, material,
 * impedance). Coordinates are in the units and coordinate system named by
 * the applicable *_coordsystem.json (EEGCoordinateUnits, EEGCoordinateSystem). */
typedef struct eegnn_bids_electrodes {
    char *path;
    int n;
    char **name;      /* (n) electrode names as written */
    double *x, *y, *z; /* (n) coordinates; NaN when n/a */
    char **type;      /* (n) "type" column value, NULL when n/a or absent */
    double *impedance; /* (n) kOhm; NaN when n/a or absent */
    char *units;      /* EEGCoordinateUnits ("m", "mm", "cm", "n/a"), or NULL without coordsystem.json */
    char *coordinate_system; /* EEGCoordinateSystem ("CapTrak", ...), or NULL */
} eegnn_bids_electrodes;

/* Loads a recording's electrodes.tsv (and the units from its
 * coordsystem.json when there is one). Errors (NULL): EEGNN_ERR_NOT_FOUND
 * when no electrodes.tsv applies, EEGNN_ERR_FORMAT when a required column is
 * missing or x/y/z/impedance hold text (naming file, line and column), a
 * malformed coordsystem.json. Thread safety: reentrant. */
EEGNN_API eegnn_bids_electrodes *eegnn_bids_load_electrodes(const eegnn_bids_recording *rec);
/* Frees loaded electrodes. NULL is allowed. */
EEGNN_API void eegnn_bids_electrodes_free(eegnn_bids_electrodes *el);
/* Index of an electrode by name, or -1. */
EEGNN_API int eegnn_bids_electrode_index(const eegnn_bids_electrodes *el, const char *name);

/* Prints a readable summary: dataset name and version; counts of subjects,
 * sessions, tasks, runs and recordings; per recording the format, channels,
 * sampling rate and duration (from the file header, read with
 * eegnn_read_raw header_only; from the sidecars for formats eegnn does not
 * read); the levels of the events files' trial_type and value columns with
 * their event and recording counts (eegnn_bids_event_levels);
 * participants.tsv columns with their type (numeric / categorical with the
 * number of levels) and missing counts; and a warning per recording whose
 * sidecars disagree with its file (SamplingFrequency, RecordingDuration
 * beyond 0.1% or one sample, the channels.tsv row count). Returns EEGNN_OK,
 * or EEGNN_ERR_IO when writing fails. Headers that cannot be read are
 * reported inline and do not fail the summary. */
EEGNN_API eegnn_status eegnn_bids_print_summary(const eegnn_bids_dataset *ds, FILE *out);
