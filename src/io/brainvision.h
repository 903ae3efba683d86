/* ---------------------------------------------------------------------------
 * BrainVision recordings (.vhdr header + binary data file + .vmrk markers).
 *
 * Follows the Brain Products "BrainVision Core Data Format 1.0" and
 * reproduces what MNE-Python 1.3 (mne.io.read_raw_brainvision with default
 * arguments) returns, so values can be compared with MNE sample by sample.
 * ------------------------------------------------------------------------- */

/* Reads a BrainVision recording from its header file (.vhdr).
 *
 * The data file ([Common Infos] DataFile) and marker file (MarkerFile) are
 * resolved relative to the directory of vhdr_path (absolute names are used
 * as they are). opts may be NULL; opts->header_only skips the samples (the
 * data file is still opened to count them; markers are still read).
 *
 * What it returns, matching MNE 1.3:
 *   - format "BrainVision"; sfreq = 1e6 / SamplingInterval (microseconds).
 *   - data: (n_channels, n_times) float32, value = sample * resolution * unit,
 *     computed in double; unit is 1 for "V", 1e-3 "mV", 1e-6 "µV"/"uV"/"µS"/
 *     "uS", 1e-9 "nV" and 1 for anything else. An absent unit means "µV"; an
 *     empty resolution means 1. Samples are little-endian INT_16, INT_32 or
 *     IEEE_FLOAT_32, MULTIPLEXED (ch1 pt1, ch2 pt1, ...) or VECTORIZED (ch1
 *     pt1, ch1 pt2, ...). n_times = data file size / (n_channels * bytes per
 *     sample) for both orientations (MNE 1.3 ignores DataPoints).
 *   - ch_names: "\1" in a name is a comma; duplicates are renamed "name-0",
 *     "name-1", ... as MNE's Info does (MNE 1.3's BrainVision reader itself
 *     then refuses the file). ch_units: the unit as written, "µV" if absent.
 *   - ch_types: "eog" for HEOGL, HEOGR, VEOGb; "misc" for units other than
 *     V/mV/µV/uV/nV and for channels whose [Coordinates] radius is 0; "stim"
 *     for "STI 014"; "eeg" otherwise.
 *   - DataFormat=ASCII (MULTIPLEXED only, as MNE): [ASCII Infos] SkipLines
 *     lines are skipped, then each line is one sample of n_channels numbers
 *     separated by blanks (or by commas when a line has no blank); with
 *     DecimalSymbol other than "." commas are decimal points.
 *   - Text is decoded by the file's Codepage (UTF-8 default; "ANSI" is
 *     Windows-1252; Latin-1); text that does not decode falls back to Latin-1.
 *     Everything after "[Comment]" in the header is ignored.
 *   - annotations: one per Mk<n>=<Type>,<Description>,<Position>,<Points>,...
 *     line after [Marker Infos]: description "<Type>/<Description>" ("\1" is a
 *     comma), onset (Position - 1) / sfreq, duration Points / sfreq (0 when
 *     Points is not a plain number); sorted by (onset, duration), cropped to
 *     [0, n_times / sfreq] and onsets rounded to microseconds as
 *     Raw.set_annotations does.
 *   - meas_date: the first marker line "Mk<n>=New Segment,...,<pos>,<points>,
 *     <channel>,<YYYYMMDDhhmmssuuuuuu>" (UTC); NaN when absent, all zeros or
 *     not a valid date.
 *
 * Not supported (clear error instead): ASCII data in VECTORIZED order,
 * UseBigEndianOrder=YES (MNE 1.3 ignores the flag and reads little-endian).
 * Stricter than MNE: a data file that does not hold a whole number of
 * samples for every channel is reported as truncated (MNE drops the
 * remainder).
 *
 * Errors (NULL; eegnn_last_error() names the file and the field):
 * EEGNN_ERR_IO (a file cannot be opened or read), EEGNN_ERR_FORMAT (empty
 * header, missing section or key, NumberOfChannels or SamplingInterval not a
 * number or out of range, unknown DataOrientation or BinaryFormat, a missing,
 * duplicated or malformed Ch<n> entry, a truncated or empty data file, a
 * malformed Mk<n> entry, an ASCII line with a wrong count of numbers or a
 * value that is not a number), EEGNN_ERR_UNSUPPORTED, EEGNN_ERR_MEMORY.
 * Allocation sizes are bounded by the file sizes. Thread safety: reentrant. */
EEGNN_API eegnn_raw *eegnn_read_brainvision(const char *vhdr_path, const eegnn_read_options *opts);
