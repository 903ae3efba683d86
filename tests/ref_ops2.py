"""PyTorch reference for tests/test_ops2.c (2-D convolution, 2-D and adaptive
pools, math and shape ops).

usage: /usr/bin/python3 tests/ref_ops2.py OUTDIR

For every case it draws float32 inputs and weights with a fixed seed, runs
the op in float64 with torch (so the reference carries no float32 rounding
of its own) and backpropagates mse_loss(out, target) for a random target.
It writes OUTDIR/<case>__<array>.npy (float32): each input and weight,
`target`, `out`, and `grad_<name>` for every tensor the C test makes a
parameter (all tensors given in `params`).
"""
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore", message="Using padding='same'")
torch.manual_seed(0)
RNG = np.random.default_rng(20250302)
OUT = sys.argv[1] if len(sys.argv) > 1 else "build/tests/ops2"
os.makedirs(OUT, exist_ok=True)


def save(case, name, arr):
    arr = np.ascontiguousarray(arr).astype(np.float32)
    np.save(os.path.join(OUT, f"{case}__{name}.npy"), arr)


def randn(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def run(case, params, fn, inputs=None):
    """params/inputs: dicts name -> float32 numpy array; fn(**tensors) -> output.
    Gradients are saved for params."""
    inputs = inputs or {}
    tensors = {}
    for name, a in params.items():
        save(case, name, a)
        tensors[name] = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    for name, a in inputs.items():
        save(case, name, a)
        tensors[name] = torch.tensor(a, dtype=torch.float64)
    out = fn(**tensors)
    save(case, "out", out.detach().numpy())
    target = randn(*out.shape)
    save(case, "target", target)
    loss = F.mse_loss(out, torch.tensor(target, dtype=torch.float64))
    loss.backward()
    for name in params:
        save(case, "grad_" + name, tensors[name].grad.numpy())
    print(f"ref_ops2: {case}: out {tuple(out.shape)}")


# ---- conv2d: name, x shape, (c_out, kh, kw), stride, padding, dilation, groups, bias
# (kept in step with the table in tests/test_ops2.c)
CONV2D = [
    ("conv2d_plain", (2, 3, 9, 11), (4, 3, 3), (1, 1), (0, 0), (1, 1), 1, True),
    ("conv2d_stride_pad", (2, 4, 10, 13), (6, 3, 5), (2, 3), (1, 2), (1, 1), 1, True),
    ("conv2d_dilation_groups", (2, 6, 12, 14), (4, 3, 3), (1, 1), (2, 1), (2, 3), 2, False),
    ("conv2d_same_even", (2, 3, 7, 30), (5, 2, 8), (1, 1), ("same", "same"), (1, 1), 1, True),
    ("conv2d_temporal_same", (2, 4, 6, 40), (8, 1, 16), (1, 1), (0, "same"), (1, 2), 1, True),
    ("conv2d_spatial", (2, 8, 17, 20), (16, 17, 1), (1, 1), (0, 0), (1, 1), 1, True),
    ("conv2d_depthwise_spatial", (2, 8, 17, 20), (16, 17, 1), (1, 1), (0, 0), (1, 1), 8, False),
    ("conv2d_depthwise_temporal", (2, 6, 3, 25), (6, 1, 16), (1, 1), (0, 8), (1, 1), 6, False),
    ("conv2d_eegnet_first", (2, 1, 5, 40), (4, 1, 16), (1, 1), (0, 8), (1, 1), 1, False),
    ("conv2d_shallow_spat", (2, 5, 30, 9), (6, 1, 9), (1, 1), (0, 0), (1, 1), 1, False),
    ("conv2d_pointwise", (3, 8, 4, 21), (5, 1, 1), (1, 1), (0, 0), (1, 1), 1, True),
    ("conv2d_large_k", (2, 2, 40, 7), (3, 25, 1), (3, 1), (4, 0), (1, 1), 1, True),
    ("conv2d_row_blocks", (2, 64, 32, 42), (4, 3, 3), (1, 1), (1, 1), (2, 1), 1, True),
    ("conv2d_row_blocks_stride", (1, 32, 90, 45), (6, 5, 3), (2, 2), (2, 1), (1, 1), 2, True),
    ("conv2d_row_conv_groups", (2, 6, 5, 131), (20, 1, 7), (2, 1), (1, 3), (1, 3), 2, True),
    ("conv2d_row_conv_eegnex", (1, 1, 3, 200), (8, 1, 64), (1, 1), (0, "same"), (1, 1), 1, False),
]
for name, xs, (co, kh, kw), stride, padding, dilation, groups, bias in CONV2D:
    params = {"x": randn(*xs), "weight": randn(co, xs[1] // groups, kh, kw, scale=0.3)}
    if bias:
        params["bias"] = randn(co)

    def conv(x, weight, bias=None, stride=stride, padding=padding, dilation=dilation, groups=groups):
        pads = [0, 0, 0, 0]  # left, right, top, bottom
        for d, p in enumerate(padding):
            k = weight.shape[2 + d]
            if p == "same":
                total = dilation[d] * (k - 1)
                before, after = total // 2, total - total // 2
            else:
                before = after = p
            pads[2 - 2 * d], pads[3 - 2 * d] = before, after
        if padding == ("same", "same"):
            return F.conv2d(x, weight, bias, stride=stride, padding="same", dilation=dilation, groups=groups)
        return F.conv2d(F.pad(x, pads), weight, bias, stride=stride, dilation=dilation, groups=groups)
    run(name, params, conv)


# ---- unary ops -----------------------------------------------------------------
def safe_log(x, eps=1e-6):
    """braindecode.functional.safe_log"""
    return torch.log(torch.clamp(x, min=eps))


run("tanh", {"x": randn(3, 4, 10, scale=1.5)}, lambda x: torch.tanh(x))
run("sigmoid", {"x": randn(3, 4, 10, scale=3.0)}, lambda x: torch.sigmoid(x))
run("silu", {"x": randn(3, 4, 10, scale=3.0)}, lambda x: F.silu(x))
run("exp", {"x": randn(3, 4, 10)}, lambda x: torch.exp(x))
run("square", {"x": randn(3, 4, 10)}, lambda x: torch.square(x))
run("clamp", {"x": randn(3, 4, 10)}, lambda x: torch.clamp(x, min=-0.5, max=0.7))
_x = np.abs(randn(3, 4, 10)) + 0.05
_x[0, 0, :5] = [-1.0, 0.0, 1e-8, 5e-7, -3.0]  # clamped to eps: zero gradient
run("safe_log", {"x": _x.astype(np.float32)}, safe_log)
run("safe_log_eps", {"x": np.abs(randn(3, 4, 10)) * 0.1}, lambda x: safe_log(x, 0.02))

# ---- broadcasting ----------------------------------------------------------------
run("add_broadcast_pos", {"a": randn(4, 6, 8), "b": randn(6, 8)}, lambda a, b: a + b)
run("add_broadcast_both", {"a": randn(2, 3, 1, 5), "b": randn(2, 3, 4, 1)}, lambda a, b: a + b)
run("add_broadcast_lead", {"a": randn(2, 1, 5), "b": randn(3, 1)}, lambda a, b: a + b)
run("mul_broadcast", {"a": randn(2, 3, 4, 5), "b": randn(3, 1, 5)}, lambda a, b: a * b)
run("mul_broadcast_same", {"a": randn(3, 7), "b": randn(3, 7)}, lambda a, b: a * b)

# ---- shape ops ----------------------------------------------------------------------
run("permute_0231", {"x": randn(2, 3, 4, 5)}, lambda x: x.permute(0, 2, 3, 1))
run("permute_3102", {"x": randn(2, 3, 4, 5)}, lambda x: x.permute(3, 1, 0, 2))
run("permute_201", {"x": randn(3, 4, 5)}, lambda x: x.permute(2, 0, 1))
run("permute_10", {"x": randn(4, 6)}, lambda x: x.permute(1, 0))
run("concat3_dim1", {"a": randn(2, 3, 5), "b": randn(2, 1, 5), "c": randn(2, 4, 5)},
    lambda a, b, c: torch.cat([a, b, c], 1))
run("concat6_last", {k: randn(2, 3, i + 1) for i, k in enumerate("abcdef")},
    lambda **t: torch.cat([t[k] for k in "abcdef"], -1))
run("concat2_dim0", {"a": randn(2, 3), "b": randn(4, 3)}, lambda a, b: torch.cat([a, b], 0))
run("slice_chomp", {"x": randn(2, 5, 20)}, lambda x: x[:, :, :17])
run("slice_mid", {"x": randn(2, 5, 4, 6)}, lambda x: torch.narrow(x, 1, 2, 2))
run("mean_dim1", {"x": randn(3, 4, 5)}, lambda x: x.mean(1))
run("mean_last_keep", {"x": randn(3, 4, 5)}, lambda x: x.mean(-1, keepdim=True))
run("mean_dim0", {"x": randn(6, 4)}, lambda x: x.mean(0))

# ---- renorm, embedding -------------------------------------------------------------
_w = randn(8, 3, 1, 5, scale=0.3)
_w[2] *= 0.1  # rows under the max norm pass unchanged
_w[5] *= 3.0
run("renorm_dim0", {"weight": _w}, lambda weight: torch.renorm(weight, 2, 0, 1.0))
run("renorm_dim1", {"weight": randn(4, 6, 3, scale=0.5)}, lambda weight: torch.renorm(weight, 2, 1, 1.2))
run("renorm_p1", {"weight": randn(5, 7, scale=0.5)}, lambda weight: torch.renorm(weight, 1, 0, 2.0))
run("renorm_p3", {"weight": randn(5, 7, scale=0.8)}, lambda weight: torch.renorm(weight, 3, 0, 1.0))
_idx = RNG.integers(0, 10, size=(3, 7)).astype(np.float32)
_idx[0, :3] = 4.0  # repeated rows sum their gradients
run("embedding", {"weight": randn(10, 4)}, lambda weight, indices: F.embedding(indices.long(), weight),
    inputs={"indices": _idx})

# ---- 2-D and adaptive pools: name, x shape, kernel, stride, padding, ceil_mode, count_include_pad
POOL2D = [
    ("avg_pool2d_temporal", (2, 3, 5, 20), (1, 4), (1, 4), (0, 0), False, True),
    ("avg_pool2d_pad", (2, 3, 9, 10), (3, 3), (2, 2), (1, 1), False, True),
    ("avg_pool2d_pad_exclude", (2, 3, 9, 10), (3, 3), (2, 2), (1, 1), False, False),
    ("avg_pool2d_ceil", (2, 2, 10, 11), (3, 2), (2, 3), (1, 0), True, True),
    ("avg_pool2d_eegnex", (2, 4, 1, 50), (1, 4), (1, 4), (0, 1), False, True),
    ("max_pool2d_deep4", (2, 3, 30, 1), (3, 1), (3, 1), (0, 0), False, True),
    ("max_pool2d_pad_ceil", (2, 3, 9, 10), (3, 3), (2, 2), (1, 1), True, True),
]
for name, xs, k, s, p, ceil, incl in POOL2D:
    if name.startswith("avg"):
        fn = (lambda x, k=k, s=s, p=p, ceil=ceil, incl=incl:
              F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=incl))
    else:
        fn = lambda x, k=k, s=s, p=p, ceil=ceil: F.max_pool2d(x, k, s, p, ceil_mode=ceil)
    run(name, {"x": randn(*xs)}, fn)
run("adaptive_avg_pool1d_4", {"x": randn(2, 3, 10)}, lambda x: F.adaptive_avg_pool1d(x, 4))
run("adaptive_avg_pool1d_3", {"x": randn(2, 3, 7)}, lambda x: F.adaptive_avg_pool1d(x, 3))
run("adaptive_avg_pool1d_up", {"x": randn(2, 3, 5)}, lambda x: F.adaptive_avg_pool1d(x, 8))
run("adaptive_avg_pool2d", {"x": randn(2, 3, 9, 11)}, lambda x: F.adaptive_avg_pool2d(x, (2, 5)))
