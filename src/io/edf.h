/* ---------------------------------------------------------------------------
 * EDF, EDF+, BDF and BDF+ recordings.
 *
 * Follows the EDF specification (Kemp et al. 1992), EDF+ (Kemp & Olivan
 * 2003, edfplus.info) and the BioSemi 24-bit BDF variant, and reproduces what
 * MNE-Python 1.3 (mne.io.read_raw_edf / read_raw_bdf with default arguments)
 * returns, so values can be compared with MNE sample by sample.
 * ------------------------------------------------------------------------- */

/* Reads an EDF/EDF+ (16-bit) or BDF/BDF+ (24-bit) file.
 *
 * The sample width comes from the extension (.edf: 2 bytes, .bdf: 3 bytes,
 * as MNE decides); for other extensions from the version field (0xFF
 * "BIOSEMI" = BDF). opts may be NULL; opts->header_only skips the samples
 * (annotations are still read).
 *
 * What it returns, matching MNE 1.3:
 *   - data: (n_channels, n_times) float32, physical value
 *     (digital * cal + offset) * unit, cal = (pmax - pmin) / (dmax - dmin),
 *     offset = pmin - dmin * cal (computed in double). unit is 1e-6 for
 *     "uV"/"µV", 1e-3 for "mV" and 1 otherwise (MNE 1.3 leaves "nV" and other
 *     dimensions unscaled). A zero digital or physical range counts as 1.
 *   - ch_names: labels with ASCII whitespace stripped (Latin-1 converted to
 *     UTF-8); duplicates renamed "name-0", "name-1", ... as MNE does.
 *   - "EDF Annotations"/"BDF Annotations" signals are not data channels; their
 *     TALs become annotations, onsets relative to the first record's
 *     time-keeping TAL, sorted by (onset, duration), cropped to the data range
 *     and rounded to microseconds as MNE's Raw.set_annotations does. Invalid
 *     UTF-8 in an annotation signal is an error (MNE raises too).
 *   - Channels named "Status" or "Trigger" (any case; the first of each) are
 *     type "stim"; in BDF files their raw digital values are kept, and at the
 *     full rate values are masked with 0x1FFFF. All other channels are "eeg".
 *   - sfreq is the highest rate among non-stim channels; slower channels are
 *     brought to it record by record: FFT resampling (MNE's
 *     filter.resample(npad=0), boxcar window) for data channels, zero-order
 *     hold for stim channels.
 *   - The number of records comes from the file size when the header says -1
 *     or when the file holds more whole records than the header says.
 *   - EDF+D/BDF+D: records are concatenated (as MNE does); `discontinuous` is
 *     1 when the record start times of the time-keeping TALs have gaps.
 *   - A file with only annotation signals (e.g. a PhysioNet hypnogram, which
 *     MNE refuses) gives n_channels 0, sfreq 0, n_times 0, data NULL and its
 *     annotations (not cropped), like mne.read_annotations.
 *
 * Errors (NULL, eegnn_last_error() names the file, the header field and byte
 * offset and what was expected): EEGNN_ERR_IO (cannot open/read),
 * EEGNN_ERR_FORMAT (truncated or zero-length file, a fixed-width field that
 * is not a number, a header size that does not match the channel count, fewer
 * records than the header states, invalid annotation text), EEGNN_ERR_MEMORY.
 * Allocation sizes are bounded by the file size, so a corrupted count cannot
 * cause a huge allocation. Thread safety: reentrant. */
EEGNN_API eegnn_raw *eegnn_read_edf(const char *path, const eegnn_read_options *opts);

/* An EDF/BDF recording opened for reading windows on demand: its parsed
 * header (scaling of every data channel, record layout) and an open file
 * descriptor. Memory: a few dozen bytes per channel. */
typedef struct eegnn_edf_file eegnn_edf_file;

/* Opens an EDF/EDF+/BDF/BDF+ file for window reads: parses the header as
 * eegnn_read_edf does (same validation, same errors) and keeps the file
 * open. header (may be NULL) receives what eegnn_read_edf with
 * opts->header_only returns (channels, sfreq, n_times, annotations; data
 * NULL), to be freed with eegnn_raw_free. Errors (NULL): those of
 * eegnn_read_edf, EEGNN_ERR_FORMAT for a file with no data channels.
 * Thread safety: reentrant. */
EEGNN_API eegnn_edf_file *eegnn_edf_open(const char *path, eegnn_raw **header);

/* Reads samples [start, start + n) of every data channel into out
 * (n_channels, n) float32, bit-identical to the same slice of
 * eegnn_read_edf(path)->data: same decoding, scaling, stim masking and
 * per-record resampling of slower channels. Only the data records that
 * overlap the window are read, with pread, so several threads may read from
 * one eegnn_edf_file at once. Errors: EEGNN_ERR_ARG (range outside
 * [0, n_times)), EEGNN_ERR_FORMAT (the file has been truncated since it was
 * opened: names the record and byte offsets), EEGNN_ERR_IO, EEGNN_ERR_MEMORY.
 * Thread safety: thread safe. */
EEGNN_API eegnn_status eegnn_edf_read_samples(const eegnn_edf_file *f, int64_t start, int64_t n, float *out);

/* Data channels and samples per channel (at sfreq) of an opened file. */
EEGNN_API int eegnn_edf_n_channels(const eegnn_edf_file *f);
EEGNN_API int64_t eegnn_edf_n_times(const eegnn_edf_file *f);

/* Closes the file descriptor f keeps open; later reads open the file for
 * each call instead (slower; for many streamed recordings under the
 * process's open-file limit, RLIMIT_NOFILE). NULL is allowed. Thread
 * safety: not while another thread reads f. */
EEGNN_API void eegnn_edf_release_fd(eegnn_edf_file *f);

/* Closes the file and frees f. NULL is allowed. */
EEGNN_API void eegnn_edf_close(eegnn_edf_file *f);

/* Writes `raw` as a BDF file (BioSemi 24-bit; BDF+C with a "BDF Annotations"
 * signal when raw has annotations), atomically: the file appears complete or
 * not at all.
 *
 * Each channel gets its own physical range, the data's min and max rounded
 * outward to 8 characters; digital range -8388608..8388607, so the
 * quantisation error is at most (pmax - pmin) / (2 * 16777215). Channels whose
 * ch_units is "uV"/"µV" (or NULL units with type eeg/eog/ecg/emg) are written
 * in "uV" (data in volts times 1e6), "mV" channels in "mV", others in their
 * own unit unscaled. Stim channels are written as raw digital integers
 * ("Boolean", pmin = dmin, pmax = dmax), as BioSemi does for "Status".
 * Records last 1 s (or the shortest whole number of seconds holding a whole
 * number of samples); a last partial record is padded by repeating each
 * channel's last sample, so a reader sees n_times rounded up to whole records.
 * Annotations go into the record holding their onset; '\x14' and '\0' in a
 * description are written as spaces.
 *
 * Errors: EEGNN_ERR_ARG (NULL, no channels, no samples, no data,
 * non-positive sfreq, a rate with no whole number of samples in 1..60 s),
 * EEGNN_ERR_NUMERIC (NaN/Inf samples), EEGNN_ERR_IO, EEGNN_ERR_MEMORY.
 * Thread safety: reentrant. */
EEGNN_API eegnn_status eegnn_write_bdf(const char *path, const eegnn_raw *raw);

/* Prints a short summary of a recording to `fp`: path, format, channel count
 * and the first channel names, sfreq, n_times and duration, annotation count,
 * measurement date. Thread safety: reentrant. */
EEGNN_API void eegnn_raw_print_info(const eegnn_raw *raw, FILE *fp);
