"""Reference values for tests/test_edf.c, computed with MNE-Python 1.3.

Usage: /usr/bin/python3 tests/ref_edf.py OUTDIR

For every .edf/.bdf under the shared data folder ($EEGNN_DATA, else
<repository>/../shared/data), reads the file with mne.io.read_raw_edf /
read_raw_bdf(preload=True) and writes into OUTDIR:
  manifest.txt       one line per file: "<key> <path relative to the data folder>"
  <key>.txt          what MNE returned (see write_summary below)
  <key>.npy          the samples, float32 (n_channels, n_times)
Files MNE refuses (an annotation-only hypnogram) are recorded as "status
refused" with the annotations of mne.read_annotations.
"""
import os
import sys

import numpy as np
import mne

mne.set_log_level("ERROR")


def data_root():
    env = os.environ.get("EEGNN_DATA")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "shared", "data"))


def write_summary(path, rel, status, ch_names, ch_types, sfreq, n_times, meas_date, onsets, durations,
                  descriptions, error=""):
    # Line-oriented so the C test can read it without a JSON parser; names and
    # descriptions are the rest of their line (they contain no newlines).
    with open(path, "w", encoding="utf-8") as f:
        f.write("path %s\n" % rel)
        f.write("status %s\n" % status)
        if error:
            f.write("error %s\n" % error.replace("\n", " "))
        f.write("sfreq %.17g\n" % sfreq)
        f.write("n_times %d\n" % n_times)
        f.write("meas_date %.17g\n" % meas_date)
        f.write("n_channels %d\n" % len(ch_names))
        for name, kind in zip(ch_names, ch_types):
            f.write("type %s\n" % kind)
            f.write("ch %s\n" % name)
        f.write("n_annotations %d\n" % len(onsets))
        for o, d, t in zip(onsets, durations, descriptions):
            assert "\n" not in t
            f.write("ann %.17g %.17g %s\n" % (o, d, t))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    root = data_root()
    files = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            if n.lower().endswith((".edf", ".bdf")):
                files.append(os.path.relpath(os.path.join(dirpath, n), root))
    files.sort()
    if not files:
        sys.exit("ref_edf.py: no .edf/.bdf files under %s" % root)
    with open(os.path.join(out, "manifest.txt"), "w", encoding="utf-8") as man:
        for i, rel in enumerate(files):
            key = "f%02d" % i
            man.write("%s %s\n" % (key, rel))
            full = os.path.join(root, rel)
            reader = mne.io.read_raw_bdf if rel.lower().endswith(".bdf") else mne.io.read_raw_edf
            try:
                raw = reader(full, preload=True)
                data = raw.get_data()  # raises when the file has no data channels
            except Exception as e:  # MNE refuses annotation-only files
                ann = mne.read_annotations(full)
                write_summary(os.path.join(out, key + ".txt"), rel, "refused", [], [], 0.0, 0, float("nan"),
                              list(ann.onset), list(ann.duration), list(ann.description),
                              error="%s: %s" % (type(e).__name__, e))
                print("%s %s: MNE refused (%s); %d annotations from read_annotations"
                      % (key, rel, type(e).__name__, len(ann)))
                continue
            md = raw.info["meas_date"]
            ann = raw.annotations
            write_summary(os.path.join(out, key + ".txt"), rel, "ok", raw.ch_names, raw.get_channel_types(),
                          raw.info["sfreq"], raw.n_times, md.timestamp() if md is not None else float("nan"),
                          list(ann.onset), list(ann.duration), list(ann.description))
            np.save(os.path.join(out, key + ".npy"), data.astype(np.float32))
            print("%s %s: %d ch, %g Hz, %d samples, %d annotations"
                  % (key, rel, len(raw.ch_names), raw.info["sfreq"], raw.n_times, len(ann)))


if __name__ == "__main__":
    main()
