"""PyTorch twins of eegnn's built-in models, for tests/test_nn.c.

Usage: /usr/bin/python3 tests/ref_nn.py OUTDIR

For each model (cnn, mlp, shallow1d) at a small shape, writes into OUTDIR:
  <m>.safetensors           the freshly initialised state_dict (written by a small numpy
                            safetensors writer, including BatchNorm's I64 num_batches_tracked)
  <m>_sd__<key>.npy         the same tensors, one .npy per state_dict key
  x.npy, <m>_y.npy          input (B, C, T) and regression target (B, n_outputs)
  <m>_out_train.npy         output in train mode (batch statistics; dropout disabled)
  <m>_grad__<key>.npy       d mse_loss(out_train, y) / d parameter
  <m>_after__<key>.npy      buffers after that train-mode forward (running statistics)
  <m>_out_eval.npy          output in eval mode afterwards
  param_counts.npy          (3, 2): parameters at the small shape and at 129 x 200 (n_outputs 1)
The architecture constants are the defaults documented in src/nn/nn.h.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

B, C, T, N_OUT = 8, 12, 200, 3
MLP_HIDDEN = 32


class CNN(nn.Module):
    def __init__(self, n_chans, n_outputs, n_times):
        super().__init__()
        self.conv1 = nn.Conv1d(n_chans, 64, 7)
        self.conv2 = nn.Conv1d(64, 64, 7)
        self.final_layer = nn.Linear(64, n_outputs)

    def forward(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        return self.final_layer(h.mean(dim=-1))


class MLP(nn.Module):
    def __init__(self, n_chans, n_outputs, n_times, hidden=256, drop_prob=0.5):
        super().__init__()
        self.fc1 = nn.Linear(n_chans * n_times, hidden)
        self.drop = nn.Dropout(drop_prob)
        self.final_layer = nn.Linear(hidden, n_outputs)

    def forward(self, x):
        return self.final_layer(self.drop(F.relu(self.fc1(torch.flatten(x, 1)))))


class Shallow(nn.Module):
    def __init__(self, n_chans, n_outputs, n_times, drop_prob=0.5):
        super().__init__()
        self.conv_time_spat = nn.Conv1d(n_chans, 40, 25, bias=False)
        self.bnorm = nn.BatchNorm1d(40)
        self.drop = nn.Dropout(drop_prob)
        t_pool = (n_times - 25 + 1 - 75) // 15 + 1
        self.final_layer = nn.Linear(40 * t_pool, n_outputs)

    def forward(self, x):
        h = F.elu(self.bnorm(self.conv_time_spat(x)))
        h = self.drop(F.avg_pool1d(h, 75, 15))
        return self.final_layer(torch.flatten(h, 1))


def make(name, n_chans, n_outputs, n_times, drop_prob):
    if name == "cnn":
        return CNN(n_chans, n_outputs, n_times)
    if name == "mlp":
        return MLP(n_chans, n_outputs, n_times, hidden=MLP_HIDDEN, drop_prob=drop_prob)
    return Shallow(n_chans, n_outputs, n_times, drop_prob=drop_prob)


def save_safetensors(path, tensors, metadata):
    """Minimal safetensors writer (format of huggingface/safetensors)."""
    dtypes = {np.dtype("float32"): "F32", np.dtype("int64"): "I64"}
    header = {"__metadata__": metadata}
    blobs, off = [], 0
    for key, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[key] = {"dtype": dtypes[arr.dtype], "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    x = torch.randn(B, C, T)
    np.save(os.path.join(out, "x.npy"), x.numpy())
    counts = []
    for k, name in enumerate(["cnn", "mlp", "shallow1d"]):
        torch.manual_seed(100 + k)
        model = make(name, C, N_OUT, T, drop_prob=0.0)
        sd = {key: v.detach().numpy().copy() for key, v in model.state_dict().items()}
        for key, v in sd.items():
            if v.dtype == np.float32:
                np.save(os.path.join(out, "%s_sd__%s.npy" % (name, key)), v)
        save_safetensors(os.path.join(out, "%s.safetensors" % name), sd,
                         {"format": "pt", "model": name, "note": "written by tests/ref_nn.py \"quoted\" \u00e9"})
        y = torch.randn(B, N_OUT)
        np.save(os.path.join(out, "%s_y.npy" % name), y.numpy())
        model.train()
        pred = model(x)
        loss = F.mse_loss(pred, y)
        loss.backward()
        np.save(os.path.join(out, "%s_out_train.npy" % name), pred.detach().numpy())
        for key, p in model.named_parameters():
            np.save(os.path.join(out, "%s_grad__%s.npy" % (name, key)), p.grad.numpy())
        for key, b in model.named_buffers():
            if b.dtype == torch.float32:
                np.save(os.path.join(out, "%s_after__%s.npy" % (name, key)), b.numpy())
        model.eval()
        with torch.no_grad():
            np.save(os.path.join(out, "%s_out_eval.npy" % name), model(x).numpy())
        big = make(name, 129, 1, 200, drop_prob=0.5)
        counts.append([sum(p.numel() for p in model.parameters()), sum(p.numel() for p in big.parameters())])
    np.save(os.path.join(out, "param_counts.npy"), np.array(counts, np.int64))


if __name__ == "__main__":
    main()
