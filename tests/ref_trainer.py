"""Reference runs for tests/test_trainer.c: the trainer's loop written out
in PyTorch (torch.optim, clip_grad_norm_, StepLR, a timm ModelEmaV2-style
average, early stopping on the validation loss).

Usage: /usr/bin/python3 tests/ref_trainer.py OUTDIR

Writes into OUTDIR:
  x.npy, y.npy            (40, 3), (40,) data: rows 0..31 train, 32..39 validation
  init.npy                initial hidden.weight (4, 3), hidden.bias (4), final_layer.weight (1, 4),
                          final_layer.bias (1), concatenated
  <run>_train_loss.npy    (epochs run,) mean training loss of each epoch
  <run>_valid_loss.npy    (epochs run,) validation loss (the EMA weights when the run has EMA)
  <run>_lr.npy            (epochs run,) learning rate of each epoch's last step
  <run>_best.npy          the best epoch's weights, concatenated as init.npy
  <run>_best_epoch.npy    (1,) the best epoch (1-based)
The runs' settings are repeated in test_trainer.c.
"""
import math
import os
import sys

import numpy as np
import torch

N_TRAIN, N_VALID = 32, 8

# run -> settings (test_trainer.c repeats them)
RUNS = {
    # AdamW, cosine with one warmup epoch, 2 micro-batches of 4 per step, clipping, EMA
    "cosine": dict(opt="adamw", lr=0.05, wd=0.01, epochs=4, steps=4, batch=4, acc=2, schedule="cosine", warmup=1,
                   clip=0.5, ema=0.9, patience=0, freeze=0),
    # SGD with momentum, StepLR, the backbone frozen for the first epoch, early stopping
    "step": dict(opt="sgd", lr=0.01, wd=0.0, epochs=10, steps=4, batch=8, acc=1, schedule="step", step_size=2,
                 gamma=0.5, clip=0.0, ema=0.0, patience=1, freeze=1),
}


def build(init):
    model = torch.nn.Sequential()
    model.add_module("hidden", torch.nn.Linear(3, 4))
    model.add_module("relu", torch.nn.ReLU())
    model.add_module("final_layer", torch.nn.Linear(4, 1))
    off = 0
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(init[off:off + p.numel()].reshape(p.shape)))
            off += p.numel()
    return model


def cosine_warmup(base, step, warmup, total):
    if step < warmup:
        return base * (step + 1) / warmup
    if step >= total:
        return 0.0
    return base * (1 + math.cos(math.pi * (step - warmup) / (total - warmup))) / 2


def run(c, x, y, init):
    model = build(init)
    named = list(model.named_parameters())
    params = [p for _, p in named]
    if c["opt"] == "adamw":
        opt = torch.optim.AdamW(params, lr=c["lr"], weight_decay=c["wd"])
    else:
        opt = torch.optim.SGD(params, lr=c["lr"], momentum=0.9)
    ema = [p.detach().clone() for p in params] if c["ema"] else None
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    b, acc, steps, epochs = c["batch"], c["acc"], c["steps"], c["epochs"]
    best, best_loss, best_epoch, bad = None, math.inf, 0, 0
    out = {"train_loss": [], "valid_loss": [], "lr": []}
    for epoch in range(1, epochs + 1):
        for name, p in named:
            p.requires_grad_(name.startswith("final_layer") or epoch > c["freeze"])
        if c["schedule"] == "step":
            for g in opt.param_groups:
                g["lr"] = c["lr"] * c["gamma"] ** ((epoch - 1) // c["step_size"])
        total = 0.0
        for step in range(steps):
            if c["schedule"] == "cosine":
                lr = cosine_warmup(c["lr"], (epoch - 1) * steps + step, c["warmup"] * steps, epochs * steps)
                for g in opt.param_groups:
                    g["lr"] = lr
            opt.zero_grad()
            for a in range(acc):
                r = (step * acc + a) * b
                loss = torch.nn.functional.mse_loss(model(xt[r:r + b]).reshape(-1), yt[r:r + b])
                total += loss.item()
                loss.backward()
            live = [p for p in params if p.grad is not None and p.requires_grad]
            if acc > 1:
                for p in live:
                    p.grad /= acc
            if c["clip"] > 0:
                torch.nn.utils.clip_grad_norm_(live, c["clip"])
            opt.step()
            if ema is not None:
                with torch.no_grad():
                    for s, p in zip(ema, params):
                        s.mul_(c["ema"]).add_(p.detach(), alpha=1 - c["ema"])
        weights = [p.detach().clone() for p in params]
        evalw = ema if ema is not None else weights
        with torch.no_grad():
            for p, w in zip(params, evalw):
                p.copy_(w)
            vl = [torch.nn.functional.mse_loss(model(xt[r:r + 4]).reshape(-1), yt[r:r + 4]).item()
                  for r in (N_TRAIN, N_TRAIN + 4)]
            for p, w in zip(params, weights):
                p.copy_(w)
        valid = sum(vl) / len(vl)
        out["train_loss"].append(total / (steps * acc))
        out["valid_loss"].append(valid)
        out["lr"].append(opt.param_groups[0]["lr"])
        if valid < best_loss:
            best_loss, best_epoch, bad = valid, epoch, 0
            best = torch.cat([w.reshape(-1) for w in evalw]).numpy().copy()
        else:
            bad += 1
        if c["patience"] and bad >= c["patience"]:
            break
    out["best"] = best
    out["best_epoch"] = [best_epoch]
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    rs = np.random.RandomState(7)
    x = rs.randn(N_TRAIN + N_VALID, 3).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rs.randn(N_TRAIN + N_VALID)).astype(np.float32)
    init = (rs.rand(4 * 3 + 4 + 4 + 1) - 0.5).astype(np.float32)
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "y.npy"), y)
    np.save(os.path.join(out, "init.npy"), init)
    for name, c in RUNS.items():
        r = run(c, x, y, init)
        for k, v in r.items():
            np.save(os.path.join(out, "%s_%s.npy" % (name, k)), np.asarray(v, dtype=np.float64))
        print("%s: %d epochs, best epoch %d, valid losses %s" % (name, len(r["valid_loss"]), r["best_epoch"][0],
                                                               np.round(r["valid_loss"], 4)))


if __name__ == "__main__":
    main()
