"""PyTorch reference for tests/test_ops_torch.c.

usage: /usr/bin/python3 tests/ref_ops.py OUTDIR

For every case it draws float32 inputs and weights with a fixed seed, runs
the op in float64 with torch.nn.functional (so the reference carries no
float32 rounding of its own), and backpropagates
mse_loss(out, target) for a random target (or the loss itself for the loss
cases). It writes OUTDIR/<case>__<array>.npy (float32, class indices int64):
each input and weight, `target`, `out`, `grad_<name>` for every tensor the
C test makes a parameter, and `<buffer>_after` for batch norm running
statistics after the forward pass.
"""
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore", message="Using padding='same'")
torch.manual_seed(0)
RNG = np.random.default_rng(20250101)
OUT = sys.argv[1] if len(sys.argv) > 1 else "build/tests/ops"
os.makedirs(OUT, exist_ok=True)


def save(case, name, arr):
    arr = np.ascontiguousarray(arr)
    if arr.dtype != np.int64:
        arr = arr.astype(np.float32)
    np.save(os.path.join(OUT, f"{case}__{name}.npy"), arr)


def randn(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def run(case, params, fn, inputs=None, buffers=None, loss_case=False):
    """params/inputs/buffers: dicts name -> float32 numpy array.
    fn(**tensors) -> output tensor. Gradients are saved for params."""
    inputs = inputs or {}
    buffers = buffers or {}
    tensors = {}
    for name, a in params.items():
        save(case, name, a)
        tensors[name] = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    for name, a in inputs.items():
        save(case, name, a)
        tensors[name] = torch.tensor(a) if a.dtype == np.int64 else torch.tensor(a, dtype=torch.float64)
    for name, a in buffers.items():
        save(case, name, a)
        tensors[name] = torch.tensor(a, dtype=torch.float64)
    out = fn(**tensors)
    save(case, "out", out.detach().numpy())
    if loss_case:
        loss = out
    else:
        target = randn(*out.shape)
        save(case, "target", target)
        loss = F.mse_loss(out, torch.tensor(target, dtype=torch.float64))
    loss.backward()
    for name in params:
        save(case, "grad_" + name, tensors[name].grad.numpy())
    for name in buffers:
        save(case, name + "_after", tensors[name].numpy())
    print(f"ref_ops: {case}: out {tuple(out.shape)}")


# ---- linear --------------------------------------------------------------
run("linear", {"x": randn(8, 20), "weight": randn(5, 20, scale=0.3), "bias": randn(5)},
    lambda x, weight, bias: F.linear(x, weight, bias))
run("linear3d_nobias", {"x": randn(4, 6, 20), "weight": randn(7, 20, scale=0.3)},
    lambda x, weight: F.linear(x, weight))

# ---- conv1d: name, c_in, c_out, t, k, stride, padding, dilation, groups, bias
CONV = [
    ("conv1d_plain", 6, 8, 50, 7, 1, 0, 1, 1, True),
    ("conv1d_stride2_pad3", 6, 8, 50, 7, 2, 3, 1, 1, True),
    ("conv1d_same_k8", 5, 4, 40, 8, 1, "same", 1, 1, True),
    ("conv1d_same_k7_dil2", 5, 4, 40, 7, 1, "same", 2, 1, True),
    ("conv1d_dil3_nobias", 4, 6, 45, 5, 1, 2, 3, 1, False),
    ("conv1d_groups2", 6, 4, 30, 3, 1, 1, 1, 2, True),
    ("conv1d_depthwise", 8, 16, 64, 16, 1, "same", 1, 8, False),
    ("conv1d_eeg_spatial", 129, 8, 20, 1, 1, 0, 1, 1, True),
    ("conv1d_pad_beyond_kernel", 5, 7, 30, 3, 1, 5, 1, 1, True),
    ("conv1d_long_dil2", 20, 19, 130, 7, 1, 3, 2, 1, True),
    ("conv1d_groups3_long", 12, 9, 100, 5, 1, "same", 1, 3, False),
    ("conv1d_long_kernel", 3, 8, 70, 32, 1, "same", 1, 1, True),
    ("conv1d_long_kernel_tails", 4, 5, 61, 20, 1, 3, 1, 1, True),
]
for name, c_in, c_out, t, k, stride, padding, dilation, groups, bias in CONV:
    params = {"x": randn(3, c_in, t), "weight": randn(c_out, c_in // groups, k, scale=0.3)}
    if bias:
        params["bias"] = randn(c_out)

    def conv(x, weight, bias=None, stride=stride, padding=padding, dilation=dilation, groups=groups):
        return F.conv1d(x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)

    run(name, params, conv)

# ---- elementwise ---------------------------------------------------------
run("bias_add", {"x": randn(4, 6, 10), "b": randn(6)}, lambda x, b: x + b.view(1, -1, 1))
run("relu", {"x": randn(4, 6, 10)}, lambda x: F.relu(x))
run("elu", {"x": randn(4, 6, 10)}, lambda x: F.elu(x, 1.0))
run("elu_alpha0.5", {"x": randn(4, 6, 10)}, lambda x: F.elu(x, 0.5))
run("gelu", {"x": randn(4, 6, 10, scale=2.0)}, lambda x: F.gelu(x))
run("elu_large", {"x": randn(8, 16, 200)}, lambda x: F.elu(x, 1.0))
run("gelu_large", {"x": randn(8, 16, 200)}, lambda x: F.gelu(x))
run("relu_large", {"x": randn(8, 16, 200)}, lambda x: F.relu(x))
run("dropout_eval", {"x": randn(4, 6, 10)}, lambda x: F.dropout(x, 0.5, training=False))
run("softmax", {"x": randn(8, 5, scale=3.0)}, lambda x: torch.softmax(x, -1))
run("log_softmax", {"x": randn(8, 5, scale=3.0)}, lambda x: torch.log_softmax(x, -1))

# ---- pooling: name, kind, kernel, stride, padding -------------------------
POOL = [
    ("avg_pool1d_k4", "avg", 4, 4, 0),
    ("avg_pool1d_k3_s2_p1", "avg", 3, 2, 1),
    ("avg_pool1d_k8_s8", "avg", 8, 8, 0),
    ("max_pool1d_k3_s2_p1", "max", 3, 2, 1),
    ("max_pool1d_k4", "max", 4, 4, 0),
]
for name, kind, k, s, p in POOL:
    f = F.avg_pool1d if kind == "avg" else F.max_pool1d
    run(name, {"x": randn(3, 5, 33)}, lambda x, f=f, k=k, s=s, p=p: f(x, k, s, p))
run("global_avg_pool", {"x": randn(3, 5, 33)}, lambda x: F.adaptive_avg_pool1d(x, 1).flatten(1))

# ---- batch norm -----------------------------------------------------------
for shape, tag in (((6, 5, 12), "3d"), ((10, 5), "2d"), ((16, 5, 240), "3d_large")):
    for mode in ("train", "eval"):
        training = mode == "train"
        params = {"x": randn(*shape, scale=2.0) + 1.0, "weight": 1.0 + randn(5, scale=0.3), "bias": randn(5)}
        buffers = {"running_mean": randn(5, scale=0.5),
                   "running_var": (0.5 + RNG.random(5)).astype(np.float32)}

        def bn(x, weight, bias, running_mean, running_var, training=training):
            return F.batch_norm(x, running_mean, running_var, weight, bias, training, 0.1, 1e-5)

        run(f"batch_norm_{tag}_{mode}", params, bn, buffers=buffers)
run("batch_norm_3d_train_noaffine_nostats", {"x": randn(6, 5, 12)},
    lambda x: F.batch_norm(x, None, None, None, None, True, 0.1, 1e-5))

# ---- losses -----------------------------------------------------------------
run("mse_loss", {"pred": randn(16, 3), "target": randn(16, 3)}, lambda pred, target: F.mse_loss(pred, target),
    loss_case=True)
run("l1_loss", {"pred": randn(16, 3), "target": randn(16, 3)}, lambda pred, target: F.l1_loss(pred, target),
    loss_case=True)
run("bce_with_logits_loss", {"pred": randn(16, 3, scale=4.0), "target": RNG.random((16, 3)).astype(np.float32)},
    lambda pred, target: F.binary_cross_entropy_with_logits(pred, target), loss_case=True)
labels = RNG.integers(0, 4, 16).astype(np.int64)
run("cross_entropy_loss", {"pred": randn(16, 4, scale=2.0)},
    lambda pred, labels: F.cross_entropy(pred, labels), inputs={"labels": labels}, loss_case=True)
run("cross_entropy_loss_weighted", {"pred": randn(16, 4, scale=2.0)},
    lambda pred, labels, class_weight: F.cross_entropy(pred, labels, weight=class_weight),
    inputs={"labels": labels, "class_weight": (0.2 + 2.0 * RNG.random(4)).astype(np.float32)}, loss_case=True)
