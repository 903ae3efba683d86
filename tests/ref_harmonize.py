"""Reference values for tests/test_harmonize.c (MNE 1.3, SciPy, pandas, numpy).

Usage: /usr/bin/python3 tests/ref_harmonize.py OUTDIR

Real data from the shared folder ($EEGNN_DATA, else <repository>/../shared/data):
  bids/eegmmidb-s001 (EDF, 64 EEG, 160 Hz), task fistexec runs 1-3
  bids/tiny_bids (electrodes.tsv, coordsystem.json)
Writes into OUTDIR:
  mmi_run<k>_ref.npy, _bp.npy, _rs.npy   (run 1: the three stages; runs 1-3: _rs)
      MNE read_raw_edf, set_eeg_reference('average'), then
      scipy sosfiltfilt(butter(4, [1, 40], 'bandpass', fs=160, output='sos')),
      then scipy resample_poly(x, 5, 8) (160 -> 100 Hz); microvolts, float32
  mmi_run1_ems.npy       braindecode exponential_moving_standardize (its pandas
                         code) of mmi_run1_rs (factor_new 1e-3, init_block_size 1000)
  mmi_starts.txt         per run the event-locked window starts (left_fist,
                         right_fist; tmin 0.5, tmax 2.5 at 100 Hz)
  mmi_drop.txt           mne.Epochs(reject=300 uV, flat=1 uV) drop_log per window
  mmi_zwin.npy           first 3 windows of run 1, z-scored per channel (numpy, eps 1e-4)
  mixed_bids/            generated BIDS tree: sub-01 ses-1 (160 Hz, 64 ch) and
                         ses-2 (200 Hz, 61 ch in reverse order), BrainVision float32
  mixed_ses<k>.npy       MNE read_raw_brainvision, pick_channels(common, ordered=True),
                         resample_poly to 100 Hz, microvolts
  mixed_common.txt       the common channels
  electrodes.txt         tiny_bids electrodes.tsv read with csv (name x y z)
"""
import csv
import json
import os
import sys

import numpy as np
import pandas as pd
import scipy.signal as ss
import mne

mne.set_log_level("ERROR")
MMI = "bids/eegmmidb-s001/sub-001/eeg/sub-001_task-fistexec_run-%d_%s"


def data_root():
    env = os.environ.get("EEGNN_DATA")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared", "data"))


def ems(data, factor_new, init_block_size, eps):
    """braindecode.preprocessing.exponential_moving_standardize (0.8)."""
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
        standardized[0:init_block_size] = (data[0:init_block_size] - init_mean) / np.maximum(eps, init_std)
    return standardized.T


def write_bv(folder, name, data_uv, ch_names, sfreq):
    with open(os.path.join(folder, name + ".vhdr"), "w", encoding="utf-8") as f:
        f.write("Brain Vision Data Exchange Header File Version 1.0\n[Common Infos]\nCodepage=UTF-8\n")
        f.write("DataFile=%s.eeg\nMarkerFile=%s.vmrk\nDataFormat=BINARY\nDataOrientation=MULTIPLEXED\n" % (name, name))
        f.write("NumberOfChannels=%d\nSamplingInterval=%d\n" % (len(ch_names), round(1e6 / sfreq)))
        f.write("[Binary Infos]\nBinaryFormat=IEEE_FLOAT_32\n[Channel Infos]\n")
        for i, ch in enumerate(ch_names):
            f.write("Ch%d=%s,,1,\u00b5V\n" % (i + 1, ch))
    with open(os.path.join(folder, name + ".vmrk"), "w", encoding="utf-8") as f:
        f.write("Brain Vision Data Exchange Marker File, Version 1.0\n[Common Infos]\nCodepage=UTF-8\n")
        f.write("DataFile=%s.eeg\n[Marker Infos]\nMk1=New Segment,,1,1,0\n" % name)
    data_uv.T.astype("<f4").tofile(os.path.join(folder, name + ".eeg"))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    root = data_root()
    sos = ss.butter(4, [1.0, 40.0], "bandpass", fs=160.0, output="sos")
    starts_lines, drop_lines = [], []
    for run in (1, 2, 3):
        raw = mne.io.read_raw_edf(os.path.join(root, MMI % (run, "eeg.edf")), preload=True)
        raw.set_eeg_reference("average", projection=False)
        ref = raw.get_data()
        bp = ss.sosfiltfilt(sos, ref, axis=-1)
        rs = ss.resample_poly(bp, 5, 8, axis=-1)
        if run == 1:
            np.save(os.path.join(out, "mmi_run1_ref.npy"), (ref * 1e6).astype(np.float32))
            np.save(os.path.join(out, "mmi_run1_bp.npy"), (bp * 1e6).astype(np.float32))
            np.save(os.path.join(out, "mmi_run1_ems.npy"), ems(rs * 1e6, 1e-3, 1000, 1e-4).astype(np.float32))
        np.save(os.path.join(out, "mmi_run%d_rs.npy" % run), (rs * 1e6).astype(np.float32))
        ev = pd.read_csv(os.path.join(root, MMI % (run, "events.tsv")), sep="\t")
        n = 200
        starts = []
        for onset, tt in zip(ev["onset"], ev["trial_type"]):
            if tt not in ("left_fist", "right_fist"):
                continue
            s = int(np.round(onset * 100.0)) + int(np.round(0.5 * 100.0))
            if s >= 0 and s + n <= rs.shape[1]:
                starts.append(s)
        starts_lines.append("%d %s" % (run, " ".join(str(s) for s in starts)))
        if run == 1:
            z = []
            for s in starts[:3]:
                w = rs[:, s:s + n] * 1e6
                z.append((w - w.mean(1, keepdims=True)) / np.maximum(w.std(1, keepdims=True), 1e-4))
            np.save(os.path.join(out, "mmi_zwin.npy"), np.array(z, dtype=np.float32))
        info = mne.create_info(raw.ch_names, 100.0, "eeg")
        rraw = mne.io.RawArray(rs, info)
        events = np.array([[s, 0, 1] for s in starts])
        ep = mne.Epochs(rraw, events, tmin=0, tmax=(n - 1) / 100.0, baseline=None, reject=dict(eeg=300e-6),
                        flat=dict(eeg=1e-6), preload=True, event_repeated="drop", reject_by_annotation=False)
        for s, log in zip(starts, ep.drop_log):
            drop_lines.append("%d %d %s" % (run, s, ",".join(log) if log else "-"))
    with open(os.path.join(out, "mmi_starts.txt"), "w") as f:
        f.write("\n".join(starts_lines) + "\n")
    with open(os.path.join(out, "mmi_drop.txt"), "w") as f:
        f.write("\n".join(drop_lines) + "\n")

    # mixed-rate, mixed-channel BIDS tree with two sessions
    mb = os.path.join(out, "mixed_bids")
    for ses, run, sfreq, in (("1", 1, 160.0), ("2", 2, 200.0)):
        folder = os.path.join(mb, "sub-01", "ses-" + ses, "eeg")
        os.makedirs(folder, exist_ok=True)
        raw = mne.io.read_raw_edf(os.path.join(root, MMI % (run, "eeg.edf")), preload=True)
        x = raw.get_data() * 1e6
        names = list(raw.ch_names)
        if ses == "2":
            x = ss.resample_poly(x, 5, 4, axis=-1)[3:][::-1]
            names = names[3:][::-1]
        name = "sub-01_ses-%s_task-fistexec" % ses
        write_bv(folder, name + "_eeg", np.ascontiguousarray(x), names, sfreq)
        with open(os.path.join(folder, name + "_events.tsv"), "w") as f:
            f.write(open(os.path.join(root, MMI % (run, "events.tsv"))).read())
    with open(os.path.join(mb, "participants.tsv"), "w") as f:
        f.write("participant_id\tage\nsub-01\t30\n")
    with open(os.path.join(mb, "dataset_description.json"), "w") as f:
        json.dump({"Name": "mixed", "BIDSVersion": "1.8.0"}, f)
    raws = [mne.io.read_raw_brainvision(os.path.join(mb, "sub-01", "ses-%s" % s, "eeg",
                                                     "sub-01_ses-%s_task-fistexec_eeg.vhdr" % s), preload=True)
            for s in ("1", "2")]
    common = [c for c in raws[0].ch_names if c in raws[1].ch_names]
    for k, r in enumerate(raws):
        r.pick_channels(common, ordered=True)
        up, down = (5, 8) if k == 0 else (1, 2)
        np.save(os.path.join(out, "mixed_ses%d.npy" % (k + 1)),
                (ss.resample_poly(r.get_data(), up, down, axis=-1) * 1e6).astype(np.float32))
    with open(os.path.join(out, "mixed_common.txt"), "w") as f:
        f.write("\n".join(common) + "\n")

    el = os.path.join(root, "bids/tiny_bids/sub-01/ses-eeg/eeg/sub-01_ses-eeg_electrodes.tsv")
    with open(el, encoding="utf-8-sig") as f, open(os.path.join(out, "electrodes.txt"), "w") as g:
        for row in csv.DictReader(f, delimiter="\t"):
            g.write("%s %s %s %s\n" % (row["name"], row["x"], row["y"], row["z"]))


if __name__ == "__main__":
    main()
