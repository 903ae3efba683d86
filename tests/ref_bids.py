"""Reference values for tests/test_bids.c and tests/test_windows.c.

Usage: /usr/bin/python3 tests/ref_bids.py OUTDIR

Independent readers: pandas (python3-pandas) for the TSV files, Python's
json module for JSON, glob + regular expressions for the BIDS layout, and
MNE-Python (mne.io.read_raw_edf + mne.Epochs) for the event-locked windows
of eegmmidb-s001. Data comes from $EEGNN_DATA or ../shared/data.
Writes OUTDIR/bids.txt (one fact per line, see below), OUTDIR/json_case.json,
OUTDIR/eegmmidb_epochs.npy (n_epochs, 64, 320) float32 in microvolts and
OUTDIR/eegmmidb_labels.npy (n_epochs,); OUTDIR/eegmmidb_merged_{epochs,labels}.npy
for the classes move = T1 + T2 and rest = T0 of the events' value column
(mne.merge_events); OUTDIR/event_levels.txt: the levels of events.tsv columns
with their event and recording counts (pandas value_counts), one
"level DATASET COLUMN VALUE COUNT N_RECORDINGS" per line.
"""
import glob
import json
import os
import re
import sys

import numpy as np
import pandas as pd

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
data = os.environ.get("EEGNN_DATA") or "../shared/data"
lines = []


def tsv(rel):
    # float_precision="round_trip": correctly rounded decimal parsing (pandas'
    # default fast parser can be off by one unit in the last place)
    return pd.read_csv(os.path.join(data, rel), sep="\t", na_values=["n/a", ""], keep_default_na=False,
                       encoding="utf-8-sig", float_precision="round_trip")


# ---- participants.tsv files: shape, columns, types, missing counts, numbers
tables = ["hbn-metadata/ds005505-bdf/participants.tsv", "hbn-metadata/ds005506-bdf/participants.tsv",
          "hbn-metadata/ds005507-bdf/participants.tsv", "hbn-metadata/ds005509-bdf-mini/participants.tsv",
          "bids/tiny_bids/participants.tsv", "bids/eegmmidb-s001/participants.tsv"]
for rel in tables:
    df = tsv(rel)
    lines.append("table %s %d %d" % (rel, df.shape[0], df.shape[1]))
    for j, col in enumerate(df.columns):
        s = df[col]
        numeric = int(pd.api.types.is_numeric_dtype(s.dtype))
        levels = 0 if numeric else len(s.dropna().unique())
        lines.append("column %s %d %s %d %d %d" % (rel, j, col, numeric, int(s.isna().sum()), levels))
        if numeric and col in ("age", "p_factor", "externalizing", "attention", "ehq_total"):
            for i, v in enumerate(s.to_numpy(dtype=np.float64)):
                lines.append("value %s %s %d %.17g" % (rel, col, i, v))
    if "sex" in df.columns:
        for i, v in enumerate(df["sex"]):
            lines.append("text %s sex %d %s" % (rel, i, "n/a" if pd.isna(v) else v))

# ---- BIDS layout: recordings and their entities, by glob and regular expressions
ent_re = re.compile(r"([a-zA-Z0-9]+)-([a-zA-Z0-9]+)_")
for ds in ["eegmmidb-s001", "tiny_bids"]:
    root = os.path.join(data, "bids", ds)
    files = []
    for ext in ("edf", "bdf", "vhdr", "set"):
        files += glob.glob(os.path.join(root, "sub-*", "eeg", "*_eeg." + ext))
        files += glob.glob(os.path.join(root, "sub-*", "ses-*", "eeg", "*_eeg." + ext))
    recs = []
    for f in files:
        base = os.path.basename(f)
        ents = dict(ent_re.findall(base))
        recs.append((ents.get("sub", ""), ents.get("ses", ""), ents.get("task", ""), ents.get("acq", ""),
                     int(ents["run"]) if "run" in ents else -1, base, ents))
    recs.sort(key=lambda r: r[:5])
    lines.append("recordings %s %d" % (ds, len(recs)))
    for i, r in enumerate(recs):
        e = r[6]
        lines.append("recording %s %d %s %s %s %s %s" % (ds, i, r[5].rsplit("_eeg.", 1)[0], e.get("sub", "-"),
                                                        e.get("ses", "-"), e.get("task", "-"), e.get("run", "-")))
    desc = json.load(open(os.path.join(root, "dataset_description.json"), encoding="utf-8"))
    lines.append("bidsversion %s %s" % (ds, desc["BIDSVersion"]))

# ---- events.tsv contents
for rel in sorted(glob.glob(os.path.join(data, "bids/eegmmidb-s001/sub-001/eeg/*_events.tsv")))[:3] + \
        [os.path.join(data, "bids/tiny_bids/sub-01/ses-eeg/eeg/sub-01_ses-eeg_task-rest_events.tsv")]:
    rel = os.path.relpath(rel, data)
    df = tsv(rel)
    lines.append("events %s %d" % (rel, len(df)))
    for i, row in df.iterrows():
        lines.append("event %s %d %.17g %.17g %s %s %d" % (rel, i, row["onset"], row["duration"], row["trial_type"],
                                                           row["value"], row["sample"]))

# ---- a JSON document with escapes, unicode and nesting, and what Python reads
doc = {"Name": "t\u00e9st \"q\" \\ /\n\t\u20ac \U0001F600", "SamplingFrequency": 500.0, "Count": -12,
       "Exp": 1.5e-7, "Flags": [True, False, None], "Nested": {"a": [1, [2, {"b": "c"}]], "empty": {}}}
with open(os.path.join(out, "json_case.json"), "w", encoding="ascii") as f:
    json.dump(doc, f, ensure_ascii=True, indent=1)
lines.append("jsonname %s" % doc["Name"].encode("utf-8").hex())

# ---- MNE epochs for events:left_fist,right_fist on tasks fistexec, fistimag
import mne  # noqa: E402

mne.set_log_level("ERROR")
classes = ["left_fist", "right_fist"]
xs, ys = [], []
root = os.path.join(data, "bids/eegmmidb-s001/sub-001/eeg")
ch_names = None
for task in ("fistexec", "fistimag"):
    for run in (1, 2, 3):
        stem = os.path.join(root, "sub-001_task-%s_run-%d" % (task, run))
        raw = mne.io.read_raw_edf(stem + "_eeg.edf", preload=True)
        ch_names = raw.ch_names
        ev = tsv(os.path.relpath(stem + "_events.tsv", data))
        keep = ev["trial_type"].isin(classes).to_numpy()
        events = np.stack([ev["sample"].to_numpy()[keep], np.zeros(keep.sum(), int),
                           ev["trial_type"][keep].map({c: k for k, c in enumerate(classes)}).to_numpy()], 1)
        sf = raw.info["sfreq"]
        ep = mne.Epochs(raw, events.astype(int), {c: k for k, c in enumerate(classes)}, tmin=0.5,
                        tmax=2.5 - 1.0 / sf, baseline=None, preload=True)
        xs.append(ep.get_data() * 1e6)
        ys.append(ep.events[:, 2])
x = np.concatenate(xs).astype(np.float32)
y = np.concatenate(ys).astype(np.float32)
np.save(os.path.join(out, "eegmmidb_epochs.npy"), x)
np.save(os.path.join(out, "eegmmidb_labels.npy"), y)
lines.append("epochs %d %d %d" % x.shape)
for i, c in enumerate(ch_names):
    lines.append("ch_name %d %s" % (i, c))

# ---- events:move=T1+T2,rest=T0 on the value column (event_column), merged as mne.merge_events does
xs, ys = [], []
for task in ("fistexec", "fistimag"):
    for run in (1, 2, 3):
        stem = os.path.join(root, "sub-001_task-%s_run-%d" % (task, run))
        raw = mne.io.read_raw_edf(stem + "_eeg.edf", preload=True)
        ev = tsv(os.path.relpath(stem + "_events.tsv", data))
        codes = ev["value"].map({"T0": 3, "T1": 1, "T2": 2}).to_numpy()
        events = np.stack([ev["sample"].to_numpy(), np.zeros(len(ev), int), codes], 1).astype(int)
        events = mne.merge_events(events, [1, 2], 10)  # move = T1 + T2
        sf = raw.info["sfreq"]
        ep = mne.Epochs(raw, events, {"move": 10, "rest": 3}, tmin=0.5, tmax=2.5 - 1.0 / sf, baseline=None,
                        preload=True)
        xs.append(ep.get_data() * 1e6)
        ys.append(np.where(ep.events[:, 2] == 10, 0, 1))
np.save(os.path.join(out, "eegmmidb_merged_epochs.npy"), np.concatenate(xs).astype(np.float32))
np.save(os.path.join(out, "eegmmidb_merged_labels.npy"), np.concatenate(ys).astype(np.float32))

# ---- levels of the events files' columns (what `eegnn info` and the label checks list)
level_lines = []
for name, rel in (("eegmmidb", "bids/eegmmidb-s001"), ("eegmat", "bids/eegmat")):
    files = sorted(glob.glob(os.path.join(data, rel, "sub-*", "eeg", "*_events.tsv")))
    frames = [tsv(os.path.relpath(f, data)).assign(_file=f) for f in files]
    allev = pd.concat(frames)
    for column in ("trial_type", "value"):
        if column not in allev.columns:
            continue
        counts = allev[column].value_counts()
        recs = allev.groupby(column)["_file"].nunique()
        for value in sorted(counts.index):
            level_lines.append("level %s %s %s %d %d" % (name, column, value, counts[value], recs[value]))
with open(os.path.join(out, "event_levels.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(level_lines) + "\n")

# file-name entities of every file in the datasets' subject folders, by the
# spec's rule (BIDS "Filenames": key-label pairs joined by '_', then the
# suffix, then the extension from the first '.'), for eegnn_bids_parse_filename
entity_lines = []
for name in sorted(os.listdir(os.path.join(data, "bids"))):
    for f in sorted(glob.glob(os.path.join(data, "bids", name, "sub-*", "**", "*"), recursive=True)):
        if not os.path.isfile(f):
            continue
        base = os.path.basename(f)
        stem, dot, ext = base.partition(".")
        parts = stem.split("_")
        pairs = [re.fullmatch(r"([^-]+)-(.+)", p) for p in parts[:-1]]
        if not all(pairs) or "-" in parts[-1]:
            continue
        entity_lines.append(" ".join([base, parts[-1], dot + ext] + ["%s=%s" % m.groups() for m in pairs]))
with open(os.path.join(out, "entities.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(entity_lines) + "\n")

with open(os.path.join(out, "bids.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print("ref_bids: %d facts, %d epochs in %s" % (len(lines), x.shape[0], out))
