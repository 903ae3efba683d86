"""Read benchmark, MNE side: mne.io.read_raw_bdf(preload=True), get_data()
and the same non-overlapping windowing into a contiguous float32 array
(n_windows, n_channels, WINDOW) as bench_read.c. Values in volts, as
eegnn_read_raw gives them.

    /usr/bin/python3 bench/bench_read.py FILE.bdf WINDOW REPEATS [EEGNN.npy]

Prints one "mne_ms <ms>" line per repeat; with EEGNN.npy (written by
bench_read), also the largest relative difference between the two arrays.
"""
import sys
import time
import warnings

import mne
import numpy as np


def read(path, window):
    raw = mne.io.read_raw_bdf(path, preload=True, verbose="error")
    data = raw.get_data()
    n_ch, n_times = data.shape
    nw = n_times // window
    x = data[:, :nw * window].reshape(n_ch, nw, window).transpose(1, 0, 2).astype(np.float32)
    return np.ascontiguousarray(x)


def main():
    warnings.filterwarnings("ignore")
    path, window, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for _ in range(repeats):
        t = time.perf_counter()
        x = read(path, window)
        print("mne_ms %.3f" % (1e3 * (time.perf_counter() - t)), flush=True)
    if len(sys.argv) > 4:
        e = np.load(sys.argv[4])
        if e.shape != x.shape:
            print("shape mismatch: eegnn %s, MNE %s" % (e.shape, x.shape))
            sys.exit(1)
        diff = np.abs(e.astype(np.float64) - x.astype(np.float64))
        scale = np.maximum(np.abs(x.astype(np.float64)), 1e-30)
        nz = np.abs(x) > 0
        rel = float((diff[nz] / scale[nz]).max()) if nz.any() else 0.0
        print("max_rel_diff %.3g max_abs_diff %.3g V (%d values, %d bit-identical)"
              % (rel, float(diff.max()), x.size, int((e == x).sum())))


if __name__ == "__main__":
    main()
