"""NumPy / PyTorch references for tests/test_spectral.c (real FFT, rfft power, band power, BandPowerMLP).

Usage: /usr/bin/python3 tests/ref_spectral.py OUTDIR

Writes into OUTDIR:
  fft_lengths.npy             (L,) transform lengths: 1..64, primes, 2/3/5-smooth and mixed lengths
  fft_x.npy                   concatenated float32 inputs, one block of n samples per length
  fft_numpy.npy               (sum(n//2+1), 2) numpy.fft.rfft of each block in float64 (real, imag)
  fft_torch.npy               the same from torch.fft.rfft in float32 (norm="backward")
  power_x.npy, power_w.npy    x (3, 4, T) with T = 77 and a weight (3, 4, T//2+1)
  power_y.npy, power_grad.npy torch.fft.rfft(x).abs()**2 / T and d sum(w * y) / dx (float64 autograd)
  band{A,B}_*.npy             band power: x, w, y = log(mean band power + eps), dx of sum(w * y),
                              and the settings (sfreq, eps, bands) as band{A,B}_cfg.npy
  bpm_*.npy                   BandPowerMLP twin: x, y, state_dict tensors (bpm_sd__<key>.npy), train-mode
                              output, gradients of mse_loss (bpm_grad__<key>.npy), running statistics
                              after the step (bpm_after__<key>.npy), eval-mode output
The band definition is the one in src/ops/spectral.h: bin k has frequency k * sfreq / T (float64) and
band [lo, hi) averages P[k] = |rfft(x)[k]|^2 / T over the bins with lo <= f < hi.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EEG_BANDS = [(1.0, 4.0), (4.0, 8.0), (8.0, 13.0), (13.0, 30.0), (30.0, 45.0)]


def save(outdir, name, a):
    np.save(os.path.join(outdir, name), np.ascontiguousarray(np.asarray(a, dtype=np.float32)))


def band_masks(T, sfreq, bands):
    f = np.arange(T // 2 + 1, dtype=np.float64) * np.float64(np.float32(sfreq)) / T
    masks = []
    for lo, hi in bands:
        m = (f >= np.float64(np.float32(lo))) & (f < np.float64(np.float32(hi)))
        assert m.any(), (lo, hi)
        masks.append(torch.from_numpy(m.astype(np.float64)))
    return torch.stack(masks)  # (n_bands, K)


def log_band_power(x, sfreq, bands, eps):
    """x (..., T) -> (..., n_bands): log(mean over each band's bins of |rfft|^2 / T + eps)."""
    T = x.shape[-1]
    p = torch.fft.rfft(x, dim=-1).abs() ** 2 / T
    m = band_masks(T, sfreq, bands).to(x.dtype)
    return torch.log(p @ m.T / m.sum(dim=1) + eps)


class BandPowerMLP(nn.Module):
    def __init__(self, n_chans, n_outputs, sfreq, hidden=64, drop_prob=0.5, eps=1e-20):
        super().__init__()
        self.sfreq, self.eps = sfreq, eps
        self.bnorm = nn.BatchNorm1d(n_chans * len(EEG_BANDS))
        self.fc1 = nn.Linear(n_chans * len(EEG_BANDS), hidden)
        self.drop = nn.Dropout(drop_prob)
        self.final_layer = nn.Linear(hidden, n_outputs)

    def forward(self, x):
        h = torch.flatten(log_band_power(x, self.sfreq, EEG_BANDS, self.eps), 1)
        return self.final_layer(self.drop(F.relu(self.fc1(self.bnorm(h)))))


def fft_refs(outdir, rng):
    lengths = list(range(1, 65))
    lengths += [67, 97, 101, 127, 131, 257, 509, 1009, 4093, 10007]  # primes (Bluestein above 13)
    lengths += [200, 256, 1000, 1024, 4096, 125, 243, 1001, 2310, 30030]  # smooth and 7/11/13 mixes
    lengths += [129 * k for k in (1, 2, 3, 4, 8)]  # 129 = 3 * 43: Bluestein on composite lengths
    lengths += [134, 303, 4036]  # 2 * 67, 3 * 101, 4 * 1009
    xs, ns, ts = [], [], []
    for n in lengths:
        x = rng.standard_normal(n).astype(np.float32) * np.float32(3.0)
        xs.append(x)
        X = np.fft.rfft(x.astype(np.float64))
        ns.append(np.stack([X.real, X.imag], axis=1))
        Xt = torch.fft.rfft(torch.from_numpy(x), norm="backward")
        ts.append(np.stack([Xt.real.numpy(), Xt.imag.numpy()], axis=1))
    save(outdir, "fft_lengths.npy", np.array(lengths))
    save(outdir, "fft_x.npy", np.concatenate(xs))
    save(outdir, "fft_numpy.npy", np.concatenate(ns))
    save(outdir, "fft_torch.npy", np.concatenate(ts))


def power_refs(outdir, rng):
    T = 77
    x = rng.standard_normal((3, 4, T)).astype(np.float32)
    w = rng.standard_normal((3, 4, T // 2 + 1)).astype(np.float32)
    xt = torch.from_numpy(x).double().requires_grad_(True)
    y = torch.fft.rfft(xt).abs() ** 2 / T
    (y * torch.from_numpy(w).double()).sum().backward()
    for name, a in (("x", x), ("w", w), ("y", y.detach().numpy()), ("grad", xt.grad.numpy())):
        save(outdir, "power_%s.npy" % name, a)


def band_refs(outdir, rng, tag, shape, sfreq, bands, eps, scale):
    T = shape[-1]
    t = np.arange(T) / sfreq
    x = rng.standard_normal(shape) * scale
    x += scale * 2.0 * np.sin(2 * np.pi * 10.0 * t)  # an alpha rhythm
    x = x.astype(np.float32)
    w = rng.standard_normal(shape[:-1] + (len(bands),)).astype(np.float32)
    xt = torch.from_numpy(x).double().requires_grad_(True)
    y = log_band_power(xt, sfreq, bands, eps)
    (y * torch.from_numpy(w).double()).sum().backward()
    cfg = [sfreq, eps] + [e for b in bands for e in b]
    for name, a in (("x", x), ("w", w), ("y", y.detach().numpy()), ("grad", xt.grad.numpy()), ("cfg", cfg)):
        save(outdir, "band%s_%s.npy" % (tag, name), a)


def model_refs(outdir, rng):
    B, C, T, n_out, sfreq, hidden = 8, 12, 200, 3, 100.0, 32
    torch.manual_seed(5)
    model = BandPowerMLP(C, n_out, sfreq, hidden=hidden, drop_prob=0.0).double()
    with torch.no_grad():  # non-trivial batch norm affine parameters
        model.bnorm.weight.uniform_(0.5, 1.5)
        model.bnorm.bias.uniform_(-0.5, 0.5)
    # float32 values, used in float64 by the twin
    for p in list(model.parameters()) + list(model.buffers()):
        if p.dtype.is_floating_point:
            p.data = p.data.float().double()
    sd = {k: v.detach().clone() for k, v in model.state_dict().items() if v.dtype.is_floating_point}
    for k, v in sd.items():
        save(outdir, "bpm_sd__%s.npy" % k, v.numpy())
    x = (rng.standard_normal((B, C, T)) * 1e-5).astype(np.float32)  # volts
    t = np.arange(T) / sfreq
    x += (1e-5 * rng.uniform(0.5, 3.0, (B, C, 1)) * np.sin(2 * np.pi * rng.uniform(2, 40, (B, C, 1)) * t)).astype(
        np.float32)
    y = rng.standard_normal((B, n_out)).astype(np.float32)
    save(outdir, "bpm_x.npy", x)
    save(outdir, "bpm_y.npy", y)
    model.train()
    out = model(torch.from_numpy(x).double())
    F.mse_loss(out, torch.from_numpy(y).double()).backward()
    save(outdir, "bpm_out_train.npy", out.detach().numpy())
    for k, p in model.named_parameters():
        save(outdir, "bpm_grad__%s.npy" % k, p.grad.numpy())
    for k, v in model.state_dict().items():
        if k.endswith("running_mean") or k.endswith("running_var"):
            save(outdir, "bpm_after__%s.npy" % k, v.numpy())
    model.eval()
    with torch.no_grad():
        save(outdir, "bpm_out_eval.npy", model(torch.from_numpy(x).double()).numpy())
    n129 = sum(p.numel() for p in BandPowerMLP(129, 1, 100.0).parameters())
    save(outdir, "bpm_param_count_129.npy", [n129])


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "build/tests/spectral"
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(20250)
    torch.set_num_threads(1)
    fft_refs(outdir, rng)
    power_refs(outdir, rng)
    band_refs(outdir, rng, "A", (4, 5, 200), 100.0, EEG_BANDS, 1e-20, 1e-5)
    band_refs(outdir, rng, "B", (3, 2, 129), 128.0, [(0.0, 2.0), (1.5, 10.0), (8.0, 64.1), (63.0, 70.0)], 1e-3,
              1.0)
    model_refs(outdir, rng)
    print("ref_spectral: wrote", outdir)


if __name__ == "__main__":
    main()
