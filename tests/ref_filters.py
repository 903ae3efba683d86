"""Reference values for tests/test_filters.c, computed with SciPy 1.10 and MNE 1.3.

Usage: /usr/bin/python3 tests/ref_filters.py OUTDIR

Writes into OUTDIR:
  designs.txt   one line per Butterworth design:
                "<btype> <order> <sfreq> <f1> <f2> <n_sections> <6 * n_sections coefficients>"
                from scipy.signal.butter(order, Wn, btype, fs=sfreq, output='sos')
                (f2 is 0 for lowpass/highpass), coefficients with 17 digits.
  cases.txt     one line per filtering/resampling case:
                "filter <rec> <name> <kind> <order> <f1> <f2>"   (kind: bandpass, highpass,
                 lowpass, notch; for notch f1 = freq, f2 = half_width)
                "resample <rec> <name> <up> <down>"
  recordings.txt  "<rec> <path relative to the data folder> <sfreq>"
  <rec>.npy     the recording as float32 (n_channels, n_times), the samples MNE reads
                (mne.io.read_raw_edf/bdf(preload=True).get_data()) cast to float32, as
                eegnn_read_raw returns them; the input of every case.
  <rec>_<name>.npy  SciPy's output on that float32 input (computed in float64 from it),
                stored as float32: scipy.signal.sosfiltfilt(sos, x, axis=-1) or
                scipy.signal.resample_poly(x, up, down, axis=-1).
The notch reference is
  sosfiltfilt(np.vstack([butter(order, [k*freq - hw, k*freq + hw], 'bandstop', fs=sfreq,
                                output='sos') for k = 1, 2, ... while k*freq + hw < sfreq/2]), x)
as documented for eegnn_filter_notch.
"""
import os
import sys

import numpy as np
import mne
from scipy import signal

mne.set_log_level("ERROR")


def data_root():
    env = os.environ.get("EEGNN_DATA")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared", "data"))


DESIGNS = [
    # btype, order, sfreq, f1, f2
    ("bandpass", 4, 160.0, 0.5, 40.0),
    ("bandpass", 1, 160.0, 8.0, 30.0),
    ("bandpass", 3, 250.0, 1.0, 45.0),
    ("bandpass", 5, 512.0, 0.1, 100.0),
    ("bandpass", 8, 1000.0, 13.0, 30.0),
    ("highpass", 4, 160.0, 1.0, 0.0),
    ("highpass", 1, 256.0, 0.5, 0.0),
    ("highpass", 2, 500.0, 0.1, 0.0),
    ("highpass", 5, 128.0, 2.0, 0.0),
    ("highpass", 9, 1000.0, 40.0, 0.0),
    ("lowpass", 4, 160.0, 30.0, 0.0),
    ("lowpass", 1, 100.0, 10.0, 0.0),
    ("lowpass", 2, 256.0, 100.0, 0.0),
    ("lowpass", 3, 500.0, 40.0, 0.0),
    ("lowpass", 7, 2048.0, 70.0, 0.0),
    ("lowpass", 12, 1000.0, 100.0, 0.0),
    ("bandstop", 4, 160.0, 49.0, 51.0),
    ("bandstop", 4, 500.0, 59.0, 61.0),
    ("bandstop", 1, 250.0, 48.0, 52.0),
    ("bandstop", 3, 1000.0, 99.0, 101.0),
    ("bandstop", 6, 256.0, 45.0, 55.0),
]

RECORDINGS = [
    ("eegmmidb", "bids/eegmmidb-s001/sub-001/eeg/sub-001_task-fistexec_run-1_eeg.edf"),
    ("bdf_stim", "formats/mne-testing-data/BDF/test_bdf_stim_channel.bdf"),
    ("bdf_annot", "formats/mne-testing-data/BDF/multiple_annotation_chans.bdf"),
    ("edf_128", "formats/mne-testing-data/EDF/test_edf_overlapping_annotations.edf"),
]

FILTERS = [
    ("bp", "bandpass", 4, 0.5, 40.0),
    ("hp", "highpass", 4, 1.0, 0.0),
    ("lp", "lowpass", 4, 30.0, 0.0),
    ("lp5", "lowpass", 5, 30.0, 0.0),
    ("notch50", "notch", 4, 50.0, 1.0),
    ("notch60", "notch", 4, 60.0, 1.0),
]

RESAMPLES = {
    "eegmmidb": [("rs_5_8", 5, 8), ("rs_5_2", 5, 2)],  # 160 -> 100 Hz, 100 -> 250 ratio
    "bdf_stim": [("rs_1_5", 1, 5)],  # 500 -> 100 Hz
    "bdf_annot": [("rs_2_1", 2, 1), ("rs_4_5", 4, 5)],  # 125 -> 250 Hz, 125 -> 100 Hz
    "edf_128": [("rs_25_64", 25, 64), ("rs_100_256", 100, 256)],  # 256 -> 100 ratio, gcd reduced
}


def sos_for(kind, order, f1, f2, sfreq):
    if kind == "notch":
        parts = []
        k = 1
        while k * f1 + f2 < sfreq / 2:
            parts.append(signal.butter(order, [k * f1 - f2, k * f1 + f2], "bandstop", fs=sfreq, output="sos"))
            k += 1
        return np.vstack(parts)
    wn = [f1, f2] if kind in ("bandpass", "bandstop") else f1
    return signal.butter(order, wn, kind, fs=sfreq, output="sos")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    root = data_root()
    with open(os.path.join(out, "designs.txt"), "w") as f:
        for btype, order, sfreq, f1, f2 in DESIGNS:
            wn = [f1, f2] if btype in ("bandpass", "bandstop") else f1
            sos = signal.butter(order, wn, btype, fs=sfreq, output="sos")
            f.write("%s %d %.17g %.17g %.17g %d %s\n" % (btype, order, sfreq, f1, f2, sos.shape[0],
                                                         " ".join("%.17g" % v for v in sos.ravel())))
    cases = []
    recs = []
    for rec, rel in RECORDINGS:
        raw = mne.io.read_raw(os.path.join(root, rel), preload=True)
        sfreq = raw.info["sfreq"]
        x32 = raw.get_data().astype(np.float32)
        np.save(os.path.join(out, rec + ".npy"), x32)
        recs.append("%s %s %.17g" % (rec, rel, sfreq))
        x = x32.astype(np.float64)
        for name, kind, order, f1, f2 in FILTERS:
            sos = sos_for(kind, order, f1, f2, sfreq)
            y = signal.sosfiltfilt(sos, x, axis=-1)
            np.save(os.path.join(out, "%s_%s.npy" % (rec, name)), y.astype(np.float32))
            cases.append("filter %s %s %s %d %.17g %.17g" % (rec, name, kind, order, f1, f2))
        for name, up, down in RESAMPLES.get(rec, []):
            y = signal.resample_poly(x, up, down, axis=-1)
            np.save(os.path.join(out, "%s_%s.npy" % (rec, name)), y.astype(np.float32))
            cases.append("resample %s %s %d %d" % (rec, name, up, down))
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("\n".join(cases) + "\n")
    with open(os.path.join(out, "recordings.txt"), "w") as f:
        f.write("\n".join(recs) + "\n")


if __name__ == "__main__":
    main()
