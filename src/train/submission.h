/* ---------------------------------------------------------------------------
 * EEG Foundation Challenge 2025 submission export.
 * ------------------------------------------------------------------------- */

/* Writes a submission folder for the EEG Foundation Challenge 2025 into
 * out_dir (created if absent): weights_challenge_1.safetensors and
 * weights_challenge_2.safetensors (copies of the two checkpoints written by
 * eegnn_train, best.safetensors: braindecode state_dict names plus eegnn's
 * metadata) and submission.py, which defines class Submission(SFREQ,
 * DEVICE) with get_model_challenge_1() / get_model_challenge_2() returning a
 * torch.nn.Module in eval mode (the challenge's interface,
 * eeg2025.github.io). Each module takes (batch, n_chans, n_times) in volts,
 * as the challenge's loaders give it, multiplies by 1e6 (eegnn's dataset
 * scale, to microvolts), standardises each channel with the training split's
 * mean and std, runs the network and maps the output back to the target's
 * units: eegnn_predict's value for the same window. The file carries its own
 * PyTorch code (no braindecode needed; tested with torch 1.13) for the
 * models EEGNeX, EEGNetv4, ShallowFBCSPNet, Deep4Net and BDTCN (braindecode's
 * architectures and state_dict names, with the hyperparameters eegnn's
 * model_config sets) and eegnn's "cnn".
 * Errors: EEGNN_ERR_ARG (NULL arguments), reading a checkpoint, a
 * checkpoint without eegnn_train's metadata or with a classification target
 * or another model (EEGNN_ERR_UNSUPPORTED, naming it), EEGNN_ERR_IO writing;
 * files are written atomically. Thread safety: reentrant. */
EEGNN_API eegnn_status eegnn_export_submission(const char *checkpoint_c1, const char *checkpoint_c2,
                                               const char *out_dir);
