/* BandPowerMLP (declared in src/nn/bandpower.h). */

EEGNN_API eegnn_tensor *eegnn_model_bandpower_mlp(eegnn_graph *g, eegnn_tensor *x, const eegnn_model_config *cfg) {
    eegnn_model_config c;
    eegnn_tensor *h;
    int hidden, n_feat;
    if (!g || !x || eegnn__model_shape("BandPowerMLP", x, cfg, &c)) return NULL;
    if (!(c.sfreq > 0.0f)) {
        eegnn_set_error(EEGNN_ERR_ARG, "model 'BandPowerMLP': sfreq is %g Hz; the band edges need the sampling "
                                       "frequency (set eegnn_model_config.sfreq)",
                        (double)c.sfreq);
        return NULL;
    }
    hidden = c.hidden > 0 ? c.hidden : 64;
    n_feat = c.n_chans * EEGNN_N_EEG_BANDS;
    h = eegnn_band_power(g, x, c.sfreq, NULL, 0, 0.0f);
    h = eegnn_flatten(g, h);
    h = eegnn_nn_batch_norm1d(g, h, n_feat, 0.1f, 1e-5f, "bnorm");
    h = eegnn_relu(g, eegnn_nn_linear(g, h, n_feat, hidden, 1, "fc1"));
    if (c.drop_prob > 0.0f) h = eegnn_dropout(g, h, c.drop_prob);
    return eegnn_nn_linear(g, h, hidden, c.n_outputs, 1, "final_layer");
}
