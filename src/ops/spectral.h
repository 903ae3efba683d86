/* ---------------------------------------------------------------------------
 * Spectral ops: real FFT of any length and band-power features.
 *
 * The FFT follows numpy.fft.rfft and torch.fft.rfft with norm="backward"
 * (no scaling on the forward transform):
 *   X[k] = sum_{t=0}^{n-1} x[t] * exp(-2*pi*i*k*t/n),  k = 0 .. n/2.
 * The built-in transform is a self-sorting (Stockham) mixed-radix FFT with
 * radix 4, 2, 3 and 5 butterflies and a direct butterfly for the prime
 * factors 7 to 13; lengths with a larger prime factor go through
 * Bluestein's chirp-z algorithm (a convolution computed with a 2/3/5-smooth
 * FFT of at least 2n-1 points). An even length n uses one complex FFT of
 * n/2 points. All twiddle factors are computed in double precision when the
 * plan is made; executing a plan allocates nothing.
 *
 * Built with EEGNN_USE_FFTW (and -lfftw3f), plans wrap FFTW's single
 * precision r2c plans (fftwf_plan_dft_r2c_1d, FFTW_ESTIMATE |
 * FFTW_UNALIGNED) instead. eegnn_fft_backend() says which one is built in.
 * ------------------------------------------------------------------------- */

/* A precomputed real-FFT plan for one length n. */
typedef struct eegnn_rfft_plan eegnn_rfft_plan;

/* Makes a plan for real transforms of n >= 1 points (any n: mixed radix
 * 2/3/4/5, direct butterflies for 7..13, Bluestein otherwise). Returns
 * NULL with EEGNN_ERR_ARG for n < 1 or n > 2^28, EEGNN_ERR_MEMORY when
 * allocation fails, EEGNN_ERR_UNSUPPORTED when FFTW refuses the plan.
 * Thread safety: reentrant for the built-in FFT; under EEGNN_USE_FFTW
 * plans are made under a process-wide lock (FFTW's planner is not thread
 * safe). Free with eegnn_rfft_plan_free. */
EEGNN_API eegnn_rfft_plan *eegnn_rfft_plan_create(int n);
/* Frees a plan. NULL is allowed. */
EEGNN_API void eegnn_rfft_plan_free(eegnn_rfft_plan *plan);
/* The transform length n of a plan. */
EEGNN_API int eegnn_rfft_plan_length(const eegnn_rfft_plan *plan);
/* Floats of scratch one concurrent eegnn_rfft_execute call needs (0 under
 * EEGNN_USE_FFTW). */
EEGNN_API size_t eegnn_rfft_work_size(const eegnn_rfft_plan *plan);

/* Real FFT: x (n) real samples -> out (n/2 + 1, 2) complex bins stored as
 * interleaved (real, imaginary) pairs, as numpy.fft.rfft(x) /
 * torch.fft.rfft(x, norm="backward"): bin k has frequency k * sfreq / n Hz
 * and the unit of x. `work` is caller scratch of eegnn_rfft_work_size()
 * floats; with work NULL the plan's own scratch is used, and then calls on
 * one plan must not overlap. x and out must not overlap. Allocates
 * nothing. Thread safety: concurrent calls on one plan are safe when each
 * has its own work buffer. */
EEGNN_API void eegnn_rfft_execute(const eegnn_rfft_plan *plan, const float *x, float *out, float *work);

/* One-shot real FFT of n points (makes, runs and frees a plan): x (n) ->
 * out (n/2 + 1, 2) interleaved complex, as eegnn_rfft_execute. Errors as
 * eegnn_rfft_plan_create. Thread safety: reentrant. */
EEGNN_API eegnn_status eegnn_rfft(int n, const float *x, float *out);

/* "builtin" or "fftw3": the FFT this build uses. Thread safe. */
EEGNN_API const char *eegnn_fft_backend(void);

/* Releases the FFTW plans that graph ops keep in a process-wide cache (one
 * per transform length) and calls fftwf_cleanup(). Call it only when no
 * graph that uses a spectral op is alive. Does nothing for the built-in
 * FFT, whose plans live in each graph's arena. Not thread safe. */
EEGNN_API void eegnn_fft_cleanup(void);

/* ---- Graph ops (forward and backward) ---- */

/* Periodogram power of each row: x (..., T) -> (..., T/2 + 1) with
 *   P[k] = |rfft(x)[k]|^2 / T
 * (torch.fft.rfft(x).abs().pow(2) / T: one-sided, no window, no doubling,
 * no division by sfreq; unit of x squared). The gradient with respect to x
 * is exact: dP[k]/dx[t] = (2/T) * Re(X[k] * exp(2*pi*i*k*t/T)), evaluated
 * with two real FFTs per row. x needs 1 to 4 dimensions; rows run in
 * parallel on the graph's thread pool. */
EEGNN_API eegnn_tensor *eegnn_rfft_power(eegnn_graph *g, eegnn_tensor *x);

/* Number of bands in EEGNN_EEG_BANDS. */
#define EEGNN_N_EEG_BANDS 5
/* The classical EEG bands as {lo, hi} pairs in Hz, each the half-open
 * interval [lo, hi): delta 1-4, theta 4-8, alpha 8-13, beta 13-30,
 * gamma 30-45 (bins above Nyquist do not exist, so at sfreq < 90 Hz gamma
 * ends at Nyquist, inclusive). Used when eegnn_band_power gets bands NULL. */
#define EEGNN_EEG_BANDS {1.0f, 4.0f, 4.0f, 8.0f, 8.0f, 13.0f, 13.0f, 30.0f, 30.0f, 45.0f}

/* Log band power: x (B, C, T) (or any (..., T)) sampled at sfreq Hz ->
 * (B, C, n_bands) with, for band j = [lo_j, hi_j),
 *   y[j] = log(mean_{k in K_j} P[k] + eps),
 *   K_j = { k in 0..T/2 : lo_j <= k * sfreq / T < hi_j }  (computed in double),
 * P[k] = |rfft(x)[k]|^2 / T as in eegnn_rfft_power (natural log; unit of x
 * squared inside the log). bands: (n_bands, 2) {lo, hi} pairs in Hz, copied;
 * NULL: EEGNN_EEG_BANDS with n_bands 5 (n_bands must then be 0 or 5).
 * eps > 0 keeps the log finite; 0 picks 1e-20 (EEG in volts has band powers
 * of about 1e-14 to 1e-9 V^2; in microvolts use e.g. 1e-6). Bands may
 * overlap. Backward: exact gradient with respect to x (through the
 * rfft-power gradient above). Errors (EEGNN_ERR_ARG): sfreq <= 0, eps < 0,
 * n_bands out of 1..64, lo >= hi, or a band that holds no frequency bin at
 * this sfreq and T (the message names the band and the bin spacing). */
EEGNN_API eegnn_tensor *eegnn_band_power(eegnn_graph *g, eegnn_tensor *x, float sfreq, const float *bands,
                                         int n_bands, float eps);
