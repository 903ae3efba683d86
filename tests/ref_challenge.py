"""Reference values for tests/test_challenge.c (EEG Foundation Challenge 2025).

  ref_challenge.py OUTDIR
      nRMSE (RMSE / numpy.std) and the combined score 0.3 x C1 + 0.7 x C2 on
      random predictions, with numpy.
  ref_challenge.py OUTDIR --tree BIDS_ROOT
      Challenge 1 trials of every contrastChangeDetection recording of the
      tree, by the startkit's rules (eeg2025/startkit challenge_1.py:
      build_trial_table, annotate_trials_with_target(require_stimulus=True,
      require_response=True), add_aux_anchors), re-implemented with pandas;
      window sample positions from mne.events_from_annotations on the BDF read
      by MNE (window = stimulus sample + 50 .. + 250 at 100 Hz); the windows of
      the first recording in microvolts. Challenge 2: fixed 4 s windows with a
      2 s stride (braindecode create_fixed_length_windows, drop_last_window)
      per recording of a subject whose externalizing is not n/a, and the first
      600 samples of the first such recording.
  ref_challenge.py OUTDIR --submission DIR [DIR ...]
      imports each DIR/submission.py, builds Submission(100, 'cpu') and
      applies get_model_challenge_1/2 to OUTDIR/sub_x1.npy / sub_x2.npy
      (volts), writing DIR/y1.npy / DIR/y2.npy.
"""
import glob
import importlib.util
import os
import sys

import numpy as np


def metrics(outdir):
    rng = np.random.RandomState(2025)
    y1 = rng.uniform(0.3, 2.3, 300)
    p1 = y1 + rng.normal(0, 0.4, 300)
    y2 = rng.normal(0, 1, 200)
    p2 = 0.3 * y2 + rng.normal(0, 0.8, 200)
    n1 = np.sqrt(np.mean((y1 - p1) ** 2)) / np.std(y1)
    n2 = np.sqrt(np.mean((y2 - p2) ** 2)) / np.std(y2)
    for name, a in (("y1", y1), ("p1", p1), ("y2", y2), ("p2", p2)):
        np.save(os.path.join(outdir, name + ".npy"), a.astype(np.float32))
    # the C side reads float32, so the reference uses the same float32 values
    y1, p1, y2, p2 = (a.astype(np.float32).astype(np.float64) for a in (y1, p1, y2, p2))
    n1 = np.sqrt(np.mean((y1 - p1) ** 2)) / np.std(y1)
    n2 = np.sqrt(np.mean((y2 - p2) ** 2)) / np.std(y2)
    np.savetxt(os.path.join(outdir, "scores.txt"), [n1, n2, 0.3 * n1 + 0.7 * n2], fmt="%.17g")
    print("nrmse C1 %.6f C2 %.6f score %.6f" % (n1, n2, 0.3 * n1 + 0.7 * n2))


def trials_startkit(events_path):
    """One row per kept trial: (stimulus onset, response time), startkit rules."""
    import pandas as pd
    ev = pd.read_csv(events_path, sep="\t")
    ev["onset"] = pd.to_numeric(ev["onset"], errors="raise")
    ev = ev.sort_values("onset", kind="mergesort").reset_index(drop=True)
    starts = ev[ev["value"].eq("contrastTrial_start")].reset_index(drop=True)
    stims = ev[ev["value"].isin(["left_target", "right_target"])]
    resps = ev[ev["value"].isin(["left_buttonPress", "right_buttonPress"])]
    starts["next_onset"] = starts["onset"].shift(-1)
    starts = starts.dropna(subset=["next_onset"])
    out = []
    for _, tr in starts.iterrows():
        a, b = float(tr["onset"]), float(tr["next_onset"])
        s = stims[(stims["onset"] >= a) & (stims["onset"] < b)]
        if s.empty:
            continue  # require_stimulus
        s_on = float(s.iloc[0]["onset"])
        r = resps[(resps["onset"] >= s_on) & (resps["onset"] < b)]
        if r.empty:
            continue  # require_response
        out.append((s_on, float(r.iloc[0]["onset"]) - s_on))
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def tree(outdir, root):
    import mne
    import pandas as pd
    mne.set_log_level("ERROR")
    lines = []
    first = True
    for bdf in sorted(glob.glob(os.path.join(root, "sub-*", "eeg", "*_task-contrastChangeDetection_*_eeg.bdf"))):
        name = os.path.basename(bdf)[: -len("_eeg.bdf")]
        tr = trials_startkit(bdf[: -len("_eeg.bdf")] + "_events.tsv")
        raw = mne.io.read_raw_bdf(bdf, preload=first)
        raw.set_annotations(mne.Annotations(onset=tr[:, 0], duration=np.zeros(len(tr)),
                                            description=["stimulus_anchor"] * len(tr)))
        events, _ = mne.events_from_annotations(raw)
        starts = events[:, 0] - raw.first_samp + int(0.5 * 100)
        keep = starts + 200 <= raw.n_times
        for s, rt in zip(starts[keep], tr[keep, 1]):
            lines.append("%s %d %.9g" % (name, s, rt))
        if first:
            data = raw.get_data() * 1e6
            x = np.stack([data[:, s:s + 200] for s in starts[keep]]).astype(np.float32)
            np.save(os.path.join(outdir, "c1_first_x.npy"), x)
            first = False
    with open(os.path.join(outdir, "c1_trials.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    part = pd.read_csv(os.path.join(root, "participants.tsv"), sep="\t", na_values=["n/a"])
    ext = dict(zip(part["participant_id"], part["externalizing"]))
    lines = []
    first = True
    for bdf in sorted(glob.glob(os.path.join(root, "sub-*", "eeg", "*_eeg.bdf"))):
        sub = os.path.basename(bdf).split("_")[0]
        if sub not in ext or np.isnan(ext[sub]):
            continue
        raw = mne.io.read_raw_bdf(bdf, preload=first)
        n = (raw.n_times - 400) // 200 + 1 if raw.n_times >= 400 else 0
        lines.append("%s %d %.9g" % (os.path.basename(bdf)[: -len("_eeg.bdf")], n, ext[sub]))
        if first:
            np.save(os.path.join(outdir, "c2_first.npy"), (raw.get_data()[:, :600] * 1e6).astype(np.float32))
            first = False
    with open(os.path.join(outdir, "c2_windows.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("%d C1 trials, %d C2 recordings" % (sum(1 for _ in open(os.path.join(outdir, "c1_trials.txt"))),
                                               len(lines)))


def submission(outdir, subdirs):
    import torch
    torch.set_num_threads(1)
    for i, subdir in enumerate(subdirs):
        spec = importlib.util.spec_from_file_location("submission%d" % i, os.path.join(subdir, "submission.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sub = mod.Submission(100, "cpu")
        for k, get in ((1, sub.get_model_challenge_1), (2, sub.get_model_challenge_2)):
            model = get()
            assert isinstance(model, torch.nn.Module)
            x = torch.from_numpy(np.load(os.path.join(outdir, "sub_x%d.npy" % k)))
            with torch.no_grad():
                y = model(x)
            np.save(os.path.join(subdir, "y%d.npy" % k), y.numpy().astype(np.float32))
    print("submission: ran both models of %d submissions" % len(subdirs))


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "build/tests/challenge"
    os.makedirs(outdir, exist_ok=True)
    if len(sys.argv) > 3 and sys.argv[2] == "--tree":
        tree(outdir, sys.argv[3])
    elif len(sys.argv) > 3 and sys.argv[2] == "--submission":
        submission(outdir, sys.argv[3:])
    else:
        metrics(outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
