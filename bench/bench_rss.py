"""Peak memory (RSS) of a 3-epoch training run: `eegnn train` against the same
job in PyTorch + MNE (read every BDF with mne.io.read_raw_bdf, 2 s windows
stacked into one float32 tensor, the model, AdamW, batch 64, 3 epochs,
validation each epoch), on a synthetic 129-channel 100 Hz BIDS dataset
written by `eegnn synth`. Each run is a child process; its peak RSS is read
with getrusage(RUSAGE_CHILDREN) after it exits.

    /usr/bin/python3 bench/bench_rss.py EEGNN_BINARY [SUBJECTS] [THREADS] [MODEL] [SECONDS] [MAX_MEMORY]

MODEL: EEGNeX (tests/ref_braindecode.py; default) or cnn (bench_cnn.py's
network); SECONDS: recording length per subject (default 60); MAX_MEMORY:
eegnn's --max-memory (e.g. 256M: larger datasets are streamed from disk;
default: everything in memory, as PyTorch).
"""
import glob
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def torch_model(name, n_chans):
    import torch
    if name == "cnn":
        return torch.nn.Sequential(
            torch.nn.Conv1d(n_chans, 64, 7, padding=3), torch.nn.ReLU(),
            torch.nn.Conv1d(64, 64, 7, padding=3), torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool1d(1), torch.nn.Flatten(), torch.nn.Linear(64, 1))
    from ref_braindecode import EEGNeX
    return EEGNeX(n_chans=n_chans, n_outputs=1, n_times=200)


def torch_job(bids, threads, model_name):
    import numpy as np
    import mne
    import torch
    import warnings
    warnings.filterwarnings("ignore")
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    files = sorted(glob.glob(os.path.join(bids, "sub-*", "eeg", "*_eeg.bdf")))
    ages = {}
    for line in open(os.path.join(bids, "participants.tsv")).read().splitlines()[1:]:
        cells = line.split("\t")
        ages[cells[0]] = float(cells[1])
    xs, ys, subj = [], [], []
    for k, f in enumerate(files):
        raw = mne.io.read_raw_bdf(f, preload=True, verbose="error")
        data = raw.get_data().astype(np.float32) * 1e6
        n = data.shape[1] // 200
        for i in range(n):
            xs.append(data[:, i * 200:(i + 1) * 200])
            ys.append(ages[os.path.basename(f).split("_")[0]])
            subj.append(k)
    x = torch.from_numpy(np.stack(xs))
    y = torch.tensor(ys, dtype=torch.float32)
    subj = np.array(subj)
    n_train_subj = int(round(0.6 * len(files)))
    tr = torch.from_numpy(np.where(subj < n_train_subj)[0])
    va = torch.from_numpy(np.where(subj >= n_train_subj)[0])
    model = torch_model(model_name, x.shape[1])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for epoch in range(3):
        model.train()
        perm = tr[torch.randperm(len(tr))]
        for b in range(len(perm) // 64):
            idx = perm[b * 64:(b + 1) * 64]
            loss = torch.nn.functional.mse_loss(model(x[idx]).reshape(-1), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            for b in range(0, len(va), 64):
                model(x[va[b:b + 64]])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--torch-child":
        torch_job(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    eegnn = os.path.abspath(sys.argv[1])
    subjects = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    model = sys.argv[4] if len(sys.argv) > 4 else "EEGNeX"
    seconds = int(sys.argv[5]) if len(sys.argv) > 5 else 60
    max_memory = sys.argv[6] if len(sys.argv) > 6 else None
    work = os.path.join(ROOT, "build", "bench", "rss")
    bids = os.path.join(work, "bids-%d-%d" % (subjects, seconds))
    os.makedirs(work, exist_ok=True)
    if not os.path.exists(os.path.join(bids, "participants.tsv")):
        subprocess.run([eegnn, "synth", bids, "--subjects", str(subjects), "--channels", "129", "--sfreq", "100",
                        "--duration", str(seconds)], check=True, stdout=subprocess.DEVNULL)
    data_mb = 129 * 100 * 4 * subjects * seconds / 2.0 ** 20
    print("%s, batch 64, 3 epochs; %d subjects x %d s of 129 channels at 100 Hz (%.0f MB as float32)%s"
          % (model, subjects, seconds, data_mb, "; eegnn --max-memory " + max_memory if max_memory else ""))
    # each measurement from its own fresh interpreter, so RUSAGE_CHILDREN sees one child
    for name in ("eegnn", "pytorch"):
        if name == "eegnn":
            cmd = [eegnn, "train", "--bids", bids, "--target", "participants:age", "--model", model, "--epochs",
                   "3", "--batch-size", "64", "--threads", str(threads), "--quiet", "--test", "0",
                   "--valid", "0.4", "--out", os.path.join(work, "run")]
            if max_memory:
                cmd += ["--max-memory", max_memory]
        else:
            cmd = [sys.executable, os.path.abspath(__file__), "--torch-child", bids, str(threads), model]
        out = subprocess.run([sys.executable, "-c", "import resource, subprocess, sys, time; t = time.perf_counter(); "
                              "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
                              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - t)"]
                             + cmd, check=True, capture_output=True, text=True).stdout.split()
        peak_mb, seconds = float(out[0]) / 1024.0, float(out[1])
        print("%-8s peak RSS %8.1f MB  %7.1f s" % (name, peak_mb, seconds), flush=True)
        if name == "eegnn":
            eegnn_mb = peak_mb
    print("eegnn/pytorch peak RSS ratio %.3f" % (eegnn_mb / peak_mb))


if __name__ == "__main__":
    main()
