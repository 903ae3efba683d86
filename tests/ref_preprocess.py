"""Reference values for tests/test_preprocess.c (MNE 1.3, pandas, numpy, torch).

Usage: /usr/bin/python3 tests/ref_preprocess.py OUTDIR

Uses two real recordings from the shared data folder ($EEGNN_DATA, else
<repository>/../shared/data):
  EDF  bids/eegmmidb-s001/sub-001/eeg/sub-001_task-fistexec_run-1_eeg.edf (64 EEG, 160 Hz)
  BDF  formats/mne-testing-data/BDF/test_bdf_stim_channel.bdf (3 EEG + Status stim)
and writes into OUTDIR:
  edf_avgref.npy, edf_ref_cz.npy, edf_ref_t9t10.npy   raw.set_eeg_reference(...) data (float32)
  bdf_avgref.npy                                      same on the BDF (stim channel untouched)
  edf_pick.npy, edf_pick.txt                          raw.pick_channels(names, ordered=True)
  bdf_pick_stim.txt, bdf_pick_eeg.txt                 raw.pick_types(stim=True) / (eeg=True) names
  x_uv.npy                                            EDF data in microvolts (float32), input below
  zscore.npy                                          per-channel z-score (numpy, ddof=0)
  ems.npy, ems_init.npy, emd.npy, emd_init.npy        braindecode's exponential_moving_* (ported)
  reject.txt                                          thresholds, window starts, MNE drop_log
  flat.txt                                            threshold and channels below it (numpy)
  aug_x.npy, aug_*.npy, aug_mask_start.txt            braindecode augmentation functionals
"""
import os
import sys

import numpy as np
import pandas as pd
import torch
import mne

mne.set_log_level("ERROR")

EDF = "bids/eegmmidb-s001/sub-001/eeg/sub-001_task-fistexec_run-1_eeg.edf"
BDF = "formats/mne-testing-data/BDF/test_bdf_stim_channel.bdf"


def data_root():
    env = os.environ.get("EEGNN_DATA")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared", "data"))


# ---- braindecode.preprocessing.exponential_moving_standardize / _demean ------
# Ported from braindecode/preprocessing/preprocess.py (BSD-3): pandas ewm with
# alpha=factor_new (pandas' default adjust=True), init block standardized with
# the block's own mean and std (ddof=0).
def exponential_moving_standardize(data, factor_new=0.001, init_block_size=None, eps=1e-4):
    data = data.T
    df = pd.DataFrame(data)
    meaned = df.ewm(alpha=factor_new).mean()
    demeaned = df - meaned
    squared = demeaned * demeaned
    square_ewmed = squared.ewm(alpha=factor_new).mean()
    standardized = demeaned / np.maximum(eps, np.sqrt(np.array(square_ewmed)))
    standardized = np.array(standardized)
    if init_block_size is not None:
        init_mean = np.mean(data[0:init_block_size], axis=0, keepdims=True)
        init_std = np.std(data[0:init_block_size], axis=0, keepdims=True)
        init_block_standardized = (data[0:init_block_size] - init_mean) / np.maximum(eps, init_std)
        standardized[0:init_block_size] = init_block_standardized
    return standardized.T


def exponential_moving_demean(data, factor_new=0.001, init_block_size=None):
    data = data.T
    df = pd.DataFrame(data)
    meaned = df.ewm(alpha=factor_new).mean()
    demeaned = np.array(df - meaned)
    if init_block_size is not None:
        init_mean = np.mean(data[0:init_block_size], axis=0, keepdims=True)
        demeaned[0:init_block_size] = data[0:init_block_size] - init_mean
    return demeaned.T


# ---- braindecode.augmentation.functional (ported, BSD-3) ----------------------
def smooth_time_mask(X, mask_start_per_sample, mask_len_samples):
    batch_size, n_channels, seq_len = X.shape
    t = torch.arange(seq_len, device=X.device).float()
    t = t.repeat(batch_size, n_channels, 1)
    mask_start_per_sample = mask_start_per_sample.view(-1, 1, 1)
    s = 1000 / seq_len
    mask = (torch.sigmoid(s * -(t - mask_start_per_sample)) +
            torch.sigmoid(s * (t - mask_start_per_sample - mask_len_samples))).float().to(X.device)
    return X * mask


def channels_dropout(X, unif_samples, p_drop):
    # _pick_channels_randomly with the uniforms given instead of drawn
    u = torch.as_tensor(unif_samples, dtype=torch.float)
    mask = torch.sigmoid(1000 * (u - p_drop))
    return X * mask.unsqueeze(-1)


def save(out, name, arr):
    np.save(os.path.join(out, name), np.ascontiguousarray(arr, dtype=np.float32))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    root = data_root()
    raw = mne.io.read_raw_edf(os.path.join(root, EDF), preload=True)
    bdf = mne.io.read_raw_bdf(os.path.join(root, BDF), preload=True)

    # re-referencing
    save(out, "edf_avgref.npy", raw.copy().set_eeg_reference("average", projection=False).get_data())
    save(out, "edf_ref_cz.npy", raw.copy().set_eeg_reference(["Cz.."], projection=False).get_data())
    save(out, "edf_ref_t9t10.npy", raw.copy().set_eeg_reference(["T9..", "T10."], projection=False).get_data())
    save(out, "bdf_avgref.npy", bdf.copy().set_eeg_reference("average", projection=False).get_data())

    # picks
    names = ["Cz..", "Fc5.", "O2..", "T9..", "Fpz.", "C3.."]
    picked = raw.copy().pick_channels(names, ordered=True)
    save(out, "edf_pick.npy", picked.get_data())
    with open(os.path.join(out, "edf_pick.txt"), "w") as f:
        f.write("\n".join(picked.ch_names) + "\n")
    with open(os.path.join(out, "bdf_pick_stim.txt"), "w") as f:
        f.write("\n".join(bdf.copy().pick_types(eeg=False, stim=True).ch_names) + "\n")
    with open(os.path.join(out, "bdf_pick_eeg.txt"), "w") as f:
        f.write("\n".join(bdf.copy().pick_types(eeg=True, stim=False).ch_names) + "\n")

    # standardization, on the data in microvolts (braindecode's usual input)
    x = (raw.get_data() * 1e6).astype(np.float32)
    save(out, "x_uv.npy", x)
    xd = x.astype(np.float64)
    mean = xd.mean(axis=1, keepdims=True)
    std = xd.std(axis=1, keepdims=True)
    save(out, "zscore.npy", (xd - mean) / np.maximum(std, 1e-4))
    save(out, "ems.npy", exponential_moving_standardize(xd, factor_new=0.001, init_block_size=None, eps=1e-4))
    save(out, "ems_init.npy", exponential_moving_standardize(xd, factor_new=0.001, init_block_size=1000, eps=1e-4))
    save(out, "emd.npy", exponential_moving_demean(xd, factor_new=0.001, init_block_size=None))
    save(out, "emd_init.npy", exponential_moving_demean(xd, factor_new=0.01, init_block_size=500))

    # rejection: 2 s windows every 0.5 s, thresholds from the data's own
    # peak-to-peak distribution so that both reasons occur
    win, step = 320, 80
    starts = np.arange(0, raw.n_times - win + 1, step)
    data = raw.get_data()
    ptp = np.stack([np.ptp(data[:, s:s + win], axis=1) for s in starts])  # (windows, channels)
    # nudged off the quantized sample values so float32 data decides the same way
    reject = float(np.percentile(ptp.max(axis=1), 70)) * (1 + 1e-4)
    flat = float(np.percentile(ptp.min(axis=1), 10)) * (1 + 1e-4)
    for thresh in (reject, flat):
        assert np.min(np.abs(ptp - thresh)) > 1e-6 * thresh
    events = np.stack([starts, np.zeros_like(starts), np.ones_like(starts)], axis=1).astype(int)
    epochs = mne.Epochs(raw, events, tmin=0, tmax=(win - 1) / raw.info["sfreq"], baseline=None,
                        reject=dict(eeg=reject), flat=dict(eeg=flat), preload=True,
                        reject_by_annotation=False, proj=False)
    assert len(epochs.drop_log) == len(starts)
    with open(os.path.join(out, "reject.txt"), "w") as f:
        f.write("reject %.17g\nflat %.17g\nwindow_len %d\nn_windows %d\n" % (reject, flat, win, len(starts)))
        for s, log in zip(starts, epochs.drop_log):
            f.write("%d %d%s\n" % (s, len(log), "".join(" " + n for n in log)))

    # flat channels over the whole recording: threshold = median peak-to-peak
    ch_ptp = np.ptp(data.astype(np.float32), axis=1).astype(np.float64)
    thr = float(np.median(ch_ptp)) * (1 + 1e-4)
    assert np.min(np.abs(ch_ptp - thr)) > 1e-6 * thr
    with open(os.path.join(out, "flat.txt"), "w") as f:
        f.write("threshold %.17g\n" % thr)
        for name, p in zip(raw.ch_names, ch_ptp):
            if p < thr:
                f.write("%s\n" % name)

    # augmentations: a batch of 8 real windows (8, 64, 480), microvolts
    rng = np.random.RandomState(7)
    b, c, t = 8, 64, 480
    xb = np.stack([x[:, s:s + t] for s in rng.randint(0, x.shape[1] - t, size=b)]).astype(np.float32)
    save(out, "aug_x.npy", xb)
    mask_len = 100
    starts_m = rng.uniform(0, 1, size=b) * (t - mask_len)
    with open(os.path.join(out, "aug_mask_start.txt"), "w") as f:
        f.write("".join("%.17g\n" % v for v in starts_m))
    save(out, "aug_smooth_mask.npy", smooth_time_mask(torch.from_numpy(xb), torch.as_tensor(starts_m), mask_len).numpy())
    u = rng.uniform(0, 1, size=(b, c))
    np.save(os.path.join(out, "aug_dropout_u.npy"), u.astype(np.float64))
    save(out, "aug_dropout.npy", channels_dropout(torch.from_numpy(xb), u, 0.3).numpy())
    shifts = rng.randint(-50, 51, size=b)
    np.save(os.path.join(out, "aug_shifts.npy"), shifts.astype(np.float64))
    rolled = np.stack([np.roll(xb[i], shifts[i], axis=-1) for i in range(b)])
    save(out, "aug_roll.npy", rolled)
    zf = np.zeros_like(xb)
    for i in range(b):
        s = shifts[i]
        if s >= 0:
            zf[i, :, s:] = xb[i, :, :t - s]
        else:
            zf[i, :, :t + s] = xb[i, :, -s:]
    save(out, "aug_zero_shift.npy", zf)


if __name__ == "__main__":
    main()
