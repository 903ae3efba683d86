"""PyTorch 1.13 references for tests/test_transformer.c.

Usage: /usr/bin/python3 tests/ref_transformer.py OUTDIR

Every case writes into OUTDIR (.npy, float32):
  <case>_sd__<key>.npy     parameters (the state_dict, perturbed from the default init by
                           N(0, 0.1^2) noise so no weight is trivially 1 or 0)
  <case>_x.npy, <case>_y.npy, <case>_mask.npy   input, mse_loss target, key padding mask (1 = padded)
  <case>_out.npy           output
  <case>_grad__<key>.npy   d mse_loss(out, y) / d parameter (and "x" where x is a leaf)
Cases:
  ln            torch.nn.functional.layer_norm on (4, 6, 32), weight and bias
  sdpa          attention on separate q (2, 130, 16), k, v (2, 70, 16), 2 heads, padding mask:
                explicit torch ops (softmax(q k^T / sqrt(d)) v per head); grads of q, k, v
  mha           torch.nn.MultiheadAttention(32, 4, batch_first=True) self-attention, padding mask
  enc_<nf>_<act>_<mode>   torch.nn.TransformerEncoderLayer(32, 4, 64, batch_first=True,
                norm_first=nf, activation=act) with a padding mask; mode "train": dropout=0.0 in
                train mode, "eval": dropout=0.1 in eval mode
  eegt_<mode>   the EEG transformer of src/nn/transformer.h at (4, 12, 50), d_model 32, 4 heads,
                2 layers, ff 64 (train: drop_prob 0 in train mode; eval: 0.1 in eval mode)
  conformer_<mode>  braindecode's EEGConformer (port of eb3ddee) at (4, 8, 120), n_outputs 2, 2 layers;
                also <case>_keys.txt (state_dict keys) and <case>_state_dict.safetensors (the whole
                state_dict as PyTorch holds it, num_batches_tracked included, for a strict load) and
                <case>_f32err__<key>.npy (PyTorch's own float32 error on each gradient)
  eegt_count.npy  parameter count of the default EEG transformer at 129 x 200, n_outputs 1
"""
import copy
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else "build/tests/transformer"
if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)


def save(name, a):
    a = a.detach().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(a, dtype=np.float32))


def perturb(module):
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn_like(p))


def run_module(case, module, x, mask=None, train=True, x_grad=False):
    """Forward, mse_loss against a random target, backward; saves everything."""
    module.train(train)
    for k, v in module.state_dict().items():
        save(f"{case}_sd__{k}", v)
    x = x.clone().requires_grad_(x_grad)
    save(f"{case}_x", x)
    out = module(x) if mask is None else module(x, mask)
    y = torch.randn_like(out)
    save(f"{case}_y", y)
    loss = F.mse_loss(out, y)
    module.zero_grad()
    loss.backward()
    save(f"{case}_out", out)
    for k, p in module.named_parameters():
        save(f"{case}_grad__{k}", p.grad)
    if x_grad:
        save(f"{case}_grad__x", x.grad)


def save_state_dict(case, module):
    """<case>_keys.txt (state_dict keys but num_batches_tracked, which eegnn does not keep) and
    <case>_state_dict.safetensors: every state_dict entry in its own dtype (float32, int64), written
    by hand after the safetensors format (8-byte little-endian header size, JSON header, data)."""
    import json
    sd = module.state_dict()
    with open(os.path.join(OUT, case + "_keys.txt"), "w") as f:
        for k in sd:
            if not k.endswith(".num_batches_tracked"):
                f.write(k + "\n")
    header, blobs, offset = {}, [], 0
    for k, v in sd.items():
        a = v.detach().cpu().numpy()
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[a.dtype]
        blob = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
        header[k] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(OUT, case + "_state_dict.safetensors"), "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for blob in blobs:
            f.write(blob)


def save_f32_error(case, module32, module64, x):
    """<case>_f32err__<key>.npy: PyTorch's own float32 error on each gradient, max |g32 - g64| /
    max |g64|, against the float64 run that run_module just made (same target, same mode). Where
    attention is peaked, cancellation puts it above 1e-4; the C test then allows a few times it."""
    module32.train(module64.training)
    y = torch.from_numpy(np.load(os.path.join(OUT, case + "_y.npy")))
    module32.zero_grad()
    F.mse_loss(module32(x), y).backward()
    g64 = dict(module64.named_parameters())
    for k, p in module32.named_parameters():
        ref = g64[k].grad
        save(f"{case}_f32err__{k}", np.array([((p.grad.double() - ref).abs().max() / ref.abs().max()).item()]))


def padding_mask(b, t, n_padded):
    m = torch.zeros(b, t, dtype=torch.bool)
    for i, n in enumerate(n_padded):
        if n:
            m[i, t - n:] = True
    return m


# ---- layer norm ----
class LN(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(1 + 0.3 * torch.randn(d))
        self.bias = nn.Parameter(0.3 * torch.randn(d))

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, 1e-5)


if __name__ == "__main__":
    run_module("ln", LN(32), 2.0 * torch.randn(4, 6, 32) + 0.5, x_grad=True)

# ---- scaled dot-product attention on separate q, k, v ----
if __name__ == "__main__":
    B, TQ, TK, E, H = 2, 130, 70, 16, 2
    q = torch.randn(B, TQ, E, requires_grad=True)
    k = torch.randn(B, TK, E, requires_grad=True)
    v = torch.randn(B, TK, E, requires_grad=True)
    m = padding_mask(B, TK, [0, 9])
    d = E // H
    qh = q.view(B, TQ, H, d).transpose(1, 2)
    kh = k.view(B, TK, H, d).transpose(1, 2)
    vh = v.view(B, TK, H, d).transpose(1, 2)
    s = qh @ kh.transpose(-1, -2) / math.sqrt(d)
    s = s.masked_fill(m[:, None, None, :], float("-inf"))
    o = (torch.softmax(s, -1) @ vh).transpose(1, 2).reshape(B, TQ, E)
    y = torch.randn_like(o)
    F.mse_loss(o, y).backward()
    for name, t in (("q", q), ("k", k), ("v", v), ("y", y), ("out", o)):
        save(f"sdpa_{name}", t)
    for name, t in (("q", q), ("k", k), ("v", v)):
        save(f"sdpa_grad__{name}", t.grad)
    save("sdpa_mask", m.float())


# ---- multi-head attention ----
class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)

    def forward(self, x, mask):
        return self.attn(x, x, x, key_padding_mask=mask, need_weights=False)[0]


if __name__ == "__main__":
    mha = SelfAttention()
    perturb(mha)
    m = padding_mask(3, 10, [0, 3, 7])
    save("mha_mask", m.float())
    run_module("mha", mha, torch.randn(3, 10, 32), m, x_grad=True)


# ---- transformer encoder layers ----
class Enc(nn.Module):
    def __init__(self, norm_first, act, dropout):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(32, 4, 64, dropout, act, batch_first=True, norm_first=norm_first)

    def forward(self, x, mask):
        return self.layer(x, src_key_padding_mask=mask)


if __name__ == "__main__":
    for nf in (0, 1):
        for act in ("relu", "gelu"):
            for mode in ("train", "eval"):
                case = f"enc_{nf}_{act}_{mode}"
                mod = Enc(bool(nf), act, 0.0 if mode == "train" else 0.1)
                perturb(mod)
                m = padding_mask(3, 9, [2, 0, 5])
                save(f"{case}_mask", m.float())
                mod.layer.train(mode == "train")
                for key, val in mod.layer.state_dict().items():
                    save(f"{case}_sd__{key}", val)
                x = torch.randn(3, 9, 32, requires_grad=True)
                save(f"{case}_x", x)
                out = mod.layer(x, src_key_padding_mask=m)
                yy = torch.randn_like(out)
                save(f"{case}_y", yy)
                F.mse_loss(out, yy).backward()
                save(f"{case}_out", out)
                for key, p in mod.layer.named_parameters():
                    save(f"{case}_grad__{key}", p.grad)
                save(f"{case}_grad__x", x.grad)


# ---- EEG transformer ----
class EEGTransformer(nn.Module):
    """Twin of eegnn_model_eeg_transformer (src/nn/transformer.h)."""

    def __init__(self, n_chans, n_outputs, n_times, d_model=128, n_heads=8, n_layers=6, dim_feedforward=256,
                 drop_prob=0.1, activation="gelu", norm_first=True):
        super().__init__()
        self.channel_projection = nn.Linear(n_chans, d_model)
        layer = nn.TransformerEncoderLayer(d_model, n_heads, dim_feedforward, drop_prob, activation,
                                           batch_first=True, norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.final_layer = nn.Linear(d_model, n_outputs)
        position = torch.arange(n_times).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(n_times, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x):
        h = self.channel_projection(x.permute(0, 2, 1)) + self.pe[: x.shape[2]]
        h = self.encoder(h)
        return self.final_layer(self.norm(h.mean(dim=1)))


if __name__ == "__main__":
    for mode in ("train", "eval"):
        model = EEGTransformer(12, 3, 50, d_model=32, n_heads=4, n_layers=2, dim_feedforward=64,
                               drop_prob=0.0 if mode == "train" else 0.1)
        perturb(model)
        run_module(f"eegt_{mode}", model, torch.randn(4, 12, 50), train=mode == "train")

    full = EEGTransformer(129, 1, 200)
    save("eegt_count", np.array([sum(p.numel() for p in full.parameters())], dtype=np.float32))


# ---- EEGConformer (port of braindecode/models/eegconformer.py; final_fc_length="auto",
# no LogSoftmax) ----
class _ToSequence(nn.Module):
    def forward(self, x):  # einops "b d_model 1 seq -> b seq d_model"
        return x.squeeze(2).permute(0, 2, 1)


class _PatchEmbedding(nn.Module):
    def __init__(self, n_filters_time, filter_time_length, n_channels, pool_time_length, stride_avg_pool,
                 drop_prob):
        super().__init__()
        self.shallownet = nn.Sequential(
            nn.Conv2d(1, n_filters_time, (1, filter_time_length), (1, 1)),
            nn.Conv2d(n_filters_time, n_filters_time, (n_channels, 1), (1, 1)),
            nn.BatchNorm2d(num_features=n_filters_time),
            nn.ELU(),
            nn.AvgPool2d(kernel_size=(1, pool_time_length), stride=(1, stride_avg_pool)),
            nn.Dropout(p=drop_prob),
        )
        self.projection = nn.Sequential(nn.Conv2d(n_filters_time, n_filters_time, (1, 1), stride=(1, 1)),
                                        _ToSequence())

    def forward(self, x):
        return self.projection(self.shallownet(x))


class _MultiHeadAttention(nn.Module):
    """braindecode.modules.MultiHeadAttention at eb3ddee. It calls F.scaled_dot_product_attention
    (PyTorch >= 2.0), written out here with its default scale 1 / sqrt(head_dim) and dropout_p on
    the attention weights in train mode."""

    def __init__(self, emb_size, num_heads, dropout=0.0):
        super().__init__()
        self.emb_size = emb_size
        self.num_heads = num_heads
        self.head_dim = emb_size // num_heads
        self.keys = nn.Linear(emb_size, emb_size)
        self.queries = nn.Linear(emb_size, emb_size)
        self.values = nn.Linear(emb_size, emb_size)
        self.att_drop = dropout
        self.projection = nn.Linear(emb_size, emb_size)

    def forward(self, x):
        b, n, e = x.shape
        h = self.num_heads

        def heads(t):  # "batch seq (heads head_dim) -> batch heads seq head_dim"
            return t.view(b, n, h, self.head_dim).permute(0, 2, 1, 3)

        queries, keys, values = heads(self.queries(x)), heads(self.keys(x)), heads(self.values(x))
        att = F.softmax(queries @ keys.transpose(-2, -1) / math.sqrt(self.head_dim), dim=-1)
        att = F.dropout(att, self.att_drop if self.training else 0.0)
        out = att @ values
        return self.projection(out.permute(0, 2, 1, 3).reshape(b, n, e))


class _ResidualAdd(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return x + self.fn(x)


class _FeedForwardBlock(nn.Sequential):
    def __init__(self, emb_size, expansion, drop_p):
        super().__init__(nn.Linear(emb_size, expansion * emb_size), nn.GELU(), nn.Dropout(drop_p),
                         nn.Linear(expansion * emb_size, emb_size))


class _TransformerEncoderBlock(nn.Sequential):
    def __init__(self, emb_size, att_heads, att_drop, forward_expansion=4):
        super().__init__(
            _ResidualAdd(nn.Sequential(nn.LayerNorm(emb_size), _MultiHeadAttention(emb_size, att_heads, att_drop),
                                       nn.Dropout(att_drop))),
            _ResidualAdd(nn.Sequential(nn.LayerNorm(emb_size),
                                       _FeedForwardBlock(emb_size, expansion=forward_expansion, drop_p=att_drop),
                                       nn.Dropout(att_drop))))


class _FullyConnected(nn.Module):
    def __init__(self, final_fc_length, drop_prob_1=0.5, drop_prob_2=0.3, out_channels=256, hidden_channels=32):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(final_fc_length, out_channels), nn.ELU(), nn.Dropout(drop_prob_1),
                                nn.Linear(out_channels, hidden_channels), nn.ELU(), nn.Dropout(drop_prob_2))

    def forward(self, x):
        return self.fc(x.contiguous().view(x.size(0), -1))


class EEGConformer(nn.Module):
    def __init__(self, n_outputs, n_chans, n_times, n_filters_time=40, filter_time_length=25, pool_time_length=75,
                 pool_time_stride=15, drop_prob=0.5, att_depth=6, att_heads=10, att_drop_prob=0.5):
        super().__init__()
        self.patch_embedding = _PatchEmbedding(n_filters_time, filter_time_length, n_chans, pool_time_length,
                                               pool_time_stride, drop_prob)
        with torch.no_grad():
            out = self.patch_embedding(torch.ones((1, 1, n_chans, n_times)))
        final_fc_length = out.shape[1] * out.shape[2]
        self.transformer = nn.Sequential(*[_TransformerEncoderBlock(n_filters_time, att_heads, att_drop_prob)
                                           for _ in range(att_depth)])
        self.fc = _FullyConnected(final_fc_length)
        self.final_layer = nn.Linear(32, n_outputs)  # fc.hidden_channels

    def forward(self, x):
        x = self.patch_embedding(torch.unsqueeze(x, dim=1))
        return self.final_layer(self.fc(self.transformer(x)))


if __name__ == "__main__":
    for mode in ("train", "eval"):
        model = EEGConformer(2, 8, 120, att_depth=2, drop_prob=0.0 if mode == "train" else 0.5,
                             att_drop_prob=0.0 if mode == "train" else 0.5)
        perturb(model)
        if mode == "train":  # the head's fixed Dropout(0.5) and Dropout(0.3) off too
            model.fc.fc[2].p = model.fc.fc[5].p = 0.0
        bn = model.patch_embedding.shallownet[2]
        bn.running_mean.copy_(0.3 * torch.randn(40))
        bn.running_var.copy_(0.5 + torch.rand(40))
        # float64 reference (from float32 weights and input): its own rounding error is negligible
        save_state_dict(f"conformer_{mode}", model)
        x = torch.randn(4, 8, 120)
        f32 = copy.deepcopy(model)
        run_module(f"conformer_{mode}", model.double(), x.double(), train=mode == "train")
        save_f32_error(f"conformer_{mode}", f32, model, x)
        if mode == "train":
            save("conformer_train_running_mean", bn.running_mean)
            save("conformer_train_running_var", bn.running_var)

    full = EEGConformer(1, 129, 200)
    save("conformer_count", np.array([sum(p.numel() for p in full.parameters())], dtype=np.float32))


def build_model(name, n_chans, n_outputs, n_times):
    """PyTorch twin of the zoo's model `name` ("EEGTransformer" or "EEGConformer") with the zoo's defaults
    (eegnn_model_build with a config holding only n_chans, n_outputs, n_times)."""
    if name == "EEGTransformer":
        return EEGTransformer(n_chans, n_outputs, n_times)
    if name == "EEGConformer":
        return EEGConformer(n_outputs, n_chans, n_times)
    raise ValueError(f"build_model: no PyTorch twin for model {name!r}")
