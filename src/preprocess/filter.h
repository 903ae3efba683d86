/* ---------------------------------------------------------------------------
 * Preprocessing: Butterworth filters (zero phase) and polyphase resampling,
 * giving SciPy's numbers (src/preprocess/filter.c).
 *
 * Filter design follows scipy.signal.butter(N, Wn, btype, fs=sfreq,
 * output='sos') step by step: analog prototype (buttap), prewarping
 * (2 * fs * tan(pi * Wn / fs) with fs = 2 on Wn normalised to Nyquist),
 * lp2lp_zpk / lp2hp_zpk / lp2bp_zpk / lp2bs_zpk, bilinear_zpk and zpk2sos
 * with pairing='nearest'. Coefficients are computed in double and match
 * SciPy to about 1e-12 relative.
 *
 * Filtering follows scipy.signal.sosfiltfilt(sos, x, axis=-1, padtype='odd',
 * padlen=None): odd extension of padlen = 3 * (2 * n_sections + 1 -
 * min(#sections with b2 == 0, #sections with a2 == 0)) samples at each end,
 * a forward sosfilt started from sosfilt_zi(sos) * (first extended sample),
 * a backward sosfilt started from sosfilt_zi(sos) * (last forward output),
 * then the extension removed. Samples are float32 in and out, double
 * inside. Channels run in parallel on `pool` (NULL: the caller's thread).
 *
 * Arrays are row-major (n_channels, n_times) float32 and are filtered in
 * place. Cutoffs are in Hz and must lie strictly between 0 and sfreq / 2.
 * Errors (EEGNN_ERR_ARG, message names the argument): NULL data, n_channels
 * < 0, order < 1 or > EEGNN_BUTTER_MAX_ORDER, sfreq not > 0, a cutoff not
 * in (0, sfreq / 2), l_freq >= h_freq, n_times not greater than padlen (as
 * SciPy: "The length of the input vector x must be greater than padlen").
 * EEGNN_ERR_MEMORY when scratch memory cannot be allocated; the data is
 * unchanged on any error. Thread safety: reentrant (one call per pool at a
 * time).
 * ------------------------------------------------------------------------- */
#define EEGNN_BUTTER_MAX_ORDER 64

/* Filter band types, as scipy.signal.butter's btype. */
typedef enum eegnn_btype {
    EEGNN_LOWPASS = 0,  /* 'lowpass':  one cutoff, freqs[0] */
    EEGNN_HIGHPASS = 1, /* 'highpass': one cutoff, freqs[0] */
    EEGNN_BANDPASS = 2, /* 'bandpass': freqs[0] < freqs[1] */
    EEGNN_BANDSTOP = 3  /* 'bandstop': freqs[0] < freqs[1] */
} eegnn_btype;

/* Butterworth design in second-order sections, as
 * scipy.signal.butter(order, freqs, btype, fs=sfreq, output='sos').
 * freqs: 1 cutoff (lowpass/highpass) or 2 band edges (bandpass/bandstop), Hz.
 * sos: output, room for 6 * order doubles; row s is
 * [b0, b1, b2, a0 = 1, a1, a2]. *n_sections receives the number of rows:
 * (order + 1) / 2 for lowpass/highpass, order for bandpass/bandstop.
 * Errors: EEGNN_ERR_ARG (see above). Thread safety: reentrant. */
EEGNN_API eegnn_status eegnn_butter_sos(int order, const double *freqs, eegnn_btype btype, double sfreq, double *sos,
                                        int *n_sections);

/* Default padlen of scipy.signal.sosfiltfilt for these sections:
 * 3 * (2 * n_sections + 1 - min(count(b2 == 0), count(a2 == 0))). A signal
 * must have more than this many samples to be filtered. */
EEGNN_API int64_t eegnn_sosfiltfilt_padlen(const double *sos, int n_sections);

/* Zero-phase filtering in place, as scipy.signal.sosfiltfilt(sos, x,
 * axis=-1) with the default odd padding. sos: (n_sections, 6) with a0 = 1
 * (error otherwise). data: (n_channels, n_times). */
EEGNN_API eegnn_status eegnn_sosfiltfilt(const double *sos, int n_sections, float *data, int n_channels,
                                         int64_t n_times, eegnn_threadpool *pool);

/* Band-pass l_freq..h_freq Hz: sosfiltfilt(butter(order, [l_freq, h_freq],
 * 'bandpass', fs=sfreq, output='sos'), data). A Butterworth band-pass of
 * order N has 2N poles (N sections); order 4 is a common choice (e.g.
 * 0.5-40 Hz). */
EEGNN_API eegnn_status eegnn_filter_bandpass(float *data, int n_channels, int64_t n_times, double sfreq,
                                             double l_freq, double h_freq, int order, eegnn_threadpool *pool);
/* High-pass above l_freq Hz: sosfiltfilt(butter(order, l_freq, 'highpass',
 * fs=sfreq, output='sos'), data). */
EEGNN_API eegnn_status eegnn_filter_highpass(float *data, int n_channels, int64_t n_times, double sfreq,
                                             double l_freq, int order, eegnn_threadpool *pool);
/* Low-pass below h_freq Hz: sosfiltfilt(butter(order, h_freq, 'lowpass',
 * fs=sfreq, output='sos'), data). */
EEGNN_API eegnn_status eegnn_filter_lowpass(float *data, int n_channels, int64_t n_times, double sfreq,
                                            double h_freq, int order, eegnn_threadpool *pool);

/* Notch (line noise) filter: removes freq (e.g. 50 or 60 Hz) and its
 * harmonics k * freq, k = 1, 2, ..., for every k with
 * k * freq + half_width < sfreq / 2. Each one gets a Butterworth band-stop
 * of the given order (e.g. 4) over [k * freq - half_width,
 * k * freq + half_width] Hz (e.g. half_width 1: 49-51 Hz), and all the
 * sections are applied in one zero-phase pass; exactly
 *   sos = np.vstack([butter(order, [k*freq - half_width, k*freq + half_width],
 *                           'bandstop', fs=sfreq, output='sos') for k in ks])
 *   sosfiltfilt(sos, data)
 * Errors: EEGNN_ERR_ARG also when half_width <= 0 or freq - half_width <= 0,
 * or when freq + half_width >= sfreq / 2 (no band to remove). */
EEGNN_API eegnn_status eegnn_filter_notch(float *data, int n_channels, int64_t n_times, double sfreq, double freq,
                                          double half_width, int order, eegnn_threadpool *pool);

/* The same filters on a recording, in place on raw->data, applied to every
 * channel except those of type "stim" (trigger codes are left intact).
 * Errors as above; EEGNN_ERR_ARG when raw has no data. */
EEGNN_API eegnn_status eegnn_raw_filter_bandpass(eegnn_raw *raw, double l_freq, double h_freq, int order,
                                                 eegnn_threadpool *pool);
EEGNN_API eegnn_status eegnn_raw_filter_highpass(eegnn_raw *raw, double l_freq, int order, eegnn_threadpool *pool);
EEGNN_API eegnn_status eegnn_raw_filter_lowpass(eegnn_raw *raw, double h_freq, int order, eegnn_threadpool *pool);
EEGNN_API eegnn_status eegnn_raw_filter_notch(eegnn_raw *raw, double freq, double half_width, int order,
                                              eegnn_threadpool *pool);

/* Polyphase resampling by up / down, as scipy.signal.resample_poly(x, up,
 * down, axis=-1) with its defaults (window=('kaiser', 5.0),
 * padtype='constant'): up and down are divided by their gcd; the filter is
 * firwin(2 * half_len + 1, 1 / max(up, down), window=('kaiser', 5.0)) * up
 * with half_len = 10 * max(up, down); the signal is upsampled by zero
 * insertion, convolved (zeros outside the signal), downsampled, and the
 * n_out = ceil(n_times * up / down) samples centred on the input are kept.
 * Computed in double (SciPy computes in float32 for float32 input).
 * x: (n_channels, n_times); y: (n_channels, eegnn_resample_poly_length(...)),
 * not overlapping x. Errors (EEGNN_ERR_ARG): NULL arrays, up or down < 1 or
 * max(up, down) / gcd > EEGNN_RESAMPLE_MAX_FACTOR, n_times < 1.
 * EEGNN_ERR_MEMORY. Thread safety: reentrant. */
#define EEGNN_RESAMPLE_MAX_FACTOR 100000
EEGNN_API eegnn_status eegnn_resample_poly(const float *x, int n_channels, int64_t n_times, int up, int down,
                                           float *y, eegnn_threadpool *pool);
/* Output length of eegnn_resample_poly: ceil(n_times * up' / down') with
 * up', down' reduced by their gcd; -1 for invalid arguments. */
EEGNN_API int64_t eegnn_resample_poly_length(int64_t n_times, int up, int down);

/* Resamples a recording to `sfreq` Hz in place (raw->data replaced,
 * raw->n_times, raw->sfreq and raw->ch_sfreq updated; annotation onsets and
 * durations, in seconds, unchanged). The ratio sfreq / raw->sfreq is taken
 * as the exact fraction up / down of the two rates written with up to 6
 * decimals (160 -> 100 Hz: up 5, down 8; 256 -> 100: 25 / 64), and every
 * channel is resampled as eegnn_resample_poly, except "stim" channels,
 * which keep the value of input sample floor(i * down / up) so trigger codes
 * survive. Errors (EEGNN_ERR_ARG): no data, sfreq not > 0, rates that are no
 * exact decimal fraction or give factors above EEGNN_RESAMPLE_MAX_FACTOR;
 * EEGNN_ERR_MEMORY. raw is unchanged on error. */
EEGNN_API eegnn_status eegnn_raw_resample(eegnn_raw *raw, double sfreq, eegnn_threadpool *pool);
