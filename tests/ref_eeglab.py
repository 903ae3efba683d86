"""Reference values for tests/test_eeglab.c: every EEGLAB .set file under the
data directory read with MNE-Python 1.3 (mne.io.read_raw_eeglab for
continuous files, mne.read_epochs_eeglab for epoched ones).

Usage: ref_eeglab.py OUTDIR. Writes OUTDIR/files.txt (one key per line) and
for each key <key>.txt (header, channels, annotations, epochs events) and
<key>.npy (float32 (n_channels, n_times) volts; epoched files: (n_epochs,
n_channels, n_times))."""
import os
import sys
import warnings

import numpy as np
import scipy.io

warnings.simplefilter("ignore")
import mne  # noqa: E402

mne.set_log_level("ERROR")

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
root = os.environ.get("EEGNN_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
root = os.path.abspath(root)
paths = []
for d, _, fs in os.walk(root):
    for f in fs:
        if f.lower().endswith(".set"):
            paths.append(os.path.join(d, f))
paths.sort()

def describe(p, rel, key):
    """Writes <key>.txt and <key>.npy for the .set file p (rel: its name in
    the .txt: relative to the data root, or "out:NAME" for files in OUTDIR)."""
    lines = ["path " + rel]
    try:
        head = open(p, "rb").read(128)
        if b"MATLAB 7.3" in head:
            raise ValueError("MAT v7.3 (HDF5)")
        try:
            raw = mne.io.read_raw_eeglab(p, preload=True)
            epochs = None
        except TypeError:
            raw = None
            epochs = mne.read_epochs_eeglab(p)
    except Exception as e:  # noqa: BLE001
        lines.append("status refused")
        lines.append("error " + str(e).replace("\n", " "))
        with open(os.path.join(out, key + ".txt"), "w") as fp:
            fp.write("\n".join(lines) + "\n")
        return
    lines.append("status ok")
    if epochs is not None:
        info = epochs.info
        data = epochs.get_data()  # (n_epochs, n_channels, n_times)
        # the continuous view: epochs side by side, annotations from the file
        cont = np.concatenate(list(data), axis=1)
        raw = mne.io.RawArray(cont, info.copy())
        raw.set_annotations(mne.read_annotations(p))
        lines.append("epochs %d" % data.shape[0])
        lines.append("tmin %.17g" % epochs.tmin)
        for ev in epochs.events:
            lines.append("event %d %d %d" % tuple(ev))
        for name, code in epochs.event_id.items():
            lines.append("event_id %d %s" % (code, name))
        np.save(os.path.join(out, key + ".npy"), data.astype(np.float32))
    else:
        np.save(os.path.join(out, key + ".npy"), raw.get_data().astype(np.float32))
    lines.append("sfreq %.17g" % raw.info["sfreq"])
    lines.append("n_times %d" % raw.n_times)
    types = raw.get_channel_types()
    for n, t in zip(raw.ch_names, types):
        lines.append("ch %s %s" % (t, n))
    a = raw.annotations
    for on, du, de in zip(a.onset, a.duration, a.description):
        lines.append("ann %.17g %.17g %s" % (on, du, de))
    with open(os.path.join(out, key + ".txt"), "w") as fp:
        fp.write("\n".join(lines) + "\n")


keys = []
for i, p in enumerate(paths):
    key = "f%02d" % i
    describe(p, os.path.relpath(p, root), key)
    keys.append(key)

# MAT v7 (zlib-compressed) copies written by scipy.io.savemat: the .set files
# above are all uncompressed.
for i, rel in enumerate(["formats/mne-testing-data/EEGLAB/test_raw_event_duration.set",
                         "formats/mne-testing-data/EEGLAB/test_epochs_onefile.set",
                         "formats/eeglab/sample_data_2009_embedded/eeglab_data_embedded.set"]):
    src = os.path.join(root, rel)
    if not os.path.exists(src):
        continue
    m = {k: v for k, v in scipy.io.loadmat(src).items() if not k.startswith("__")}
    name = "compressed_" + os.path.basename(rel)
    scipy.io.savemat(os.path.join(out, name), m, do_compression=True)
    key = "c%02d" % i
    describe(os.path.join(out, name), "out:" + name, key)
    keys.append(key)

with open(os.path.join(out, "files.txt"), "w") as fp:
    fp.write("\n".join(keys) + "\n")

