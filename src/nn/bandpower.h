/* BandPowerMLP: log band power features of each channel followed by a small
 * multilayer perceptron (src/nn/bandpower.c). Not a braindecode model; a
 * spectral baseline in the spirit of classical EEG band-power pipelines
 * (log power in delta, theta, alpha, beta and gamma per channel, then a
 * classifier or regressor). Its layer names follow braindecode's habits so
 * state_dict files read naturally in PyTorch:
 *
 *   x (B, n_chans, n_times)
 *   -> eegnn_band_power(sfreq, EEGNN_EEG_BANDS, eps 0 = 1e-20)  (B, n_chans, 5)
 *   -> flatten                                                 (B, n_chans * 5)
 *   -> BatchNorm1d(n_chans * 5) "bnorm" (standardises the log powers, whose
 *      offset depends on the unit of x)
 *   -> Linear(n_chans * 5, hidden) "fc1" -> ReLU -> Dropout(drop_prob)
 *   -> Linear(hidden, n_outputs) "final_layer"                 (B, n_outputs)
 *
 * Defaults: hidden 64 (eegnn_model_config.hidden), drop_prob 0.5 (unset;
 * 0: no dropout). The PyTorch twin is BandPowerMLP in tests/ref_spectral.py:
 * torch.log(mean over each band's bins of torch.fft.rfft(x).abs()**2 / n_times
 * + eps), flatten, nn.BatchNorm1d, nn.Linear, ReLU, nn.Dropout, nn.Linear.
 * Errors (EEGNN_ERR_ARG): cfg->sfreq <= 0, input not (B, n_chans, n_times),
 * a band without frequency bins at this sfreq and n_times (e.g. n_times too
 * short to resolve 1-4 Hz). Parameters: n_chans*5*(2 + hidden) + hidden +
 * hidden*n_outputs + n_outputs (42,699 at 129 channels, hidden 64, 1 output).
 * Thread safety: as the graph. */
EEGNN_API eegnn_tensor *eegnn_model_bandpower_mlp(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg);
