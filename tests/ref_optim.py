"""Reference trajectories for tests/test_optim.c from torch.optim.

Usage: /usr/bin/python3 tests/ref_optim.py OUTDIR

Writes into OUTDIR:
  init.npy            (total,) initial values of three parameters, concatenated
  grads.npy           (N_STEPS, total) the gradient fed at each step
  traj_<name>.npy     (N_STEPS, total) parameters after each step of optimizer <name>
  lr_<k>.npy          (steps,) learning rates of schedule k (LinearLR + CosineAnnealingLR via SequentialLR)
  traj_groups.npy     AdamW with two param groups (backbone "a.", head "b.") under a LambdaLR schedule
  traj_unfreeze.npy   AdamW where "a." is frozen (requires_grad False) for the first UNFREEZE_AT steps
  steplr.npy          (STEP_EPOCHS,) StepLR(step_size=3, gamma=0.5) learning rates from 0.1
  plateau_<k>.npy     (len(PLATEAU_METRICS),) lr after each ReduceLROnPlateau.step(metric) of config k
  plateau_metrics.npy the metric sequence fed to every plateau config
  ema.npy             (N_STEPS, total) timm ModelEmaV2 average (decay EMA_DECAY) of traj_adamw_default
The configurations below are repeated by name in test_optim.c.
"""
import os
import sys
import warnings

import numpy as np
import torch

SHAPES = [(5, 4), (4,), (3, 2, 2)]
N_STEPS = 20

# name -> (torch class, kwargs, indices of frozen parameters)
CONFIGS = {
    "sgd_plain": (torch.optim.SGD, dict(lr=0.1), []),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9), []),
    "sgd_damp_wd": (torch.optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.1, weight_decay=1e-2), []),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3), []),
    "adam_default": (torch.optim.Adam, dict(), []),
    "adam_wd_amsgrad": (torch.optim.Adam, dict(lr=1e-2, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True), []),
    "adamw_default": (torch.optim.AdamW, dict(), []),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.05, amsgrad=True, eps=1e-6), []),
    "adamw_no_decay": (torch.optim.AdamW, dict(lr=3e-2, weight_decay=0.0), []),
    "adamw_frozen": (torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.1), [1]),
    "adamax_default": (torch.optim.Adamax, dict(), []),
    "adamax_wd": (torch.optim.Adamax, dict(lr=1e-2, betas=(0.5, 0.9), weight_decay=0.01), []),
    "adam_beta1_zero": (torch.optim.Adam, dict(lr=1e-2, betas=(0.0, 0.999)), []),
}

# (base_lr, warmup_steps, total_steps, min_lr)
SCHEDULES = [(1e-3, 10, 100, 0.0), (0.1, 5, 60, 1e-3), (2e-3, 0, 50, 1e-5), (0.5, 1, 30, 0.0)]


GROUP_LRS = (1e-2, 3e-3)
GROUP_WDS = (0.05, 0.5)
UNFREEZE_AT = 8
STEP_EPOCHS = 25
# mode, factor, patience, threshold, threshold_mode, cooldown, min_lr
PLATEAU = [("min", 0.1, 2, 1e-4, "rel", 0, 0.0), ("max", 0.5, 1, 0.01, "abs", 2, 0.0),
           ("min", 0.3, 0, 1e-3, "rel", 1, 2e-3)]
EMA_DECAY = 0.9


def lam(t):
    return 0.5 ** (t / 10.0)


def extras(out, init, grads, offs, total):
    def make_params():
        return [torch.nn.Parameter(torch.from_numpy(init[offs[i]:offs[i + 1]].reshape(SHAPES[i]).copy()))
                for i in range(len(SHAPES))]

    # parameter groups: a.weight, a.bias backbone; b.weight head; LambdaLR scales both
    params = make_params()
    opt = torch.optim.AdamW([{"params": params[:2]},
                             {"params": params[2:], "lr": GROUP_LRS[1], "weight_decay": GROUP_WDS[1]}],
                            lr=GROUP_LRS[0], weight_decay=GROUP_WDS[0])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lam)
    traj = np.zeros((N_STEPS, total), np.float32)
    for t in range(N_STEPS):
        opt.zero_grad()
        for i, p in enumerate(params):
            p.grad = torch.from_numpy(grads[t, offs[i]:offs[i + 1]].reshape(SHAPES[i]).copy())
        opt.step()
        sched.step()
        traj[t] = np.concatenate([p.detach().numpy().ravel() for p in params])
    np.save(os.path.join(out, "traj_groups.npy"), traj)

    # progressive unfreezing: the backbone a.* has requires_grad False for the first steps
    params = make_params()
    opt = torch.optim.AdamW(params, lr=1e-2, weight_decay=0.1)
    for p in params[:2]:
        p.requires_grad_(False)
    for t in range(N_STEPS):
        if t == UNFREEZE_AT:
            for p in params[:2]:
                p.requires_grad_(True)
        opt.zero_grad(set_to_none=True)
        for i, p in enumerate(params):
            if p.requires_grad:
                p.grad = torch.from_numpy(grads[t, offs[i]:offs[i + 1]].reshape(SHAPES[i]).copy())
        opt.step()
        traj[t] = np.concatenate([p.detach().numpy().ravel() for p in params])
    np.save(os.path.join(out, "traj_unfreeze.npy"), traj)

    # StepLR
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    lrs = []
    for epoch in range(STEP_EPOCHS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.save(os.path.join(out, "steplr.npy"), np.array(lrs, np.float64))

    # ReduceLROnPlateau on a noisy, flattening curve
    rng = np.random.default_rng(7)
    metrics = 1.0 / (1.0 + 0.3 * np.arange(30)) + rng.uniform(0, 0.03, 30)
    metrics[12:18] = metrics[11]  # a flat stretch: exactly equal values are not improvements
    np.save(os.path.join(out, "plateau_metrics.npy"), metrics)
    for k, (mode, factor, patience, threshold, tmode, cooldown, min_lr) in enumerate(PLATEAU):
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=0.1)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=mode, factor=factor, patience=patience,
                                                           threshold=threshold, threshold_mode=tmode,
                                                           cooldown=cooldown, min_lr=min_lr)
        lrs = []
        for m in metrics:
            sched.step(float(m))
            lrs.append(opt.param_groups[0]["lr"])
        np.save(os.path.join(out, "plateau_%d.npy" % k), np.array(lrs, np.float64))

    # EMA of the AdamW trajectory, timm ModelEmaV2's update
    traj = np.load(os.path.join(out, "traj_adamw_default.npy"))
    ema = torch.from_numpy(init.copy())
    out_ema = np.zeros((N_STEPS, total), np.float32)
    for t in range(N_STEPS):
        model_v = torch.from_numpy(traj[t].copy())
        ema.copy_(ema * EMA_DECAY + (1.0 - EMA_DECAY) * model_v)
        out_ema[t] = ema.numpy()
    np.save(os.path.join(out, "ema.npy"), out_ema)


def main():
    warnings.simplefilter("ignore")  # SequentialLR calls step(0), which PyTorch 1.13 warns about
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1234)
    sizes = [int(np.prod(s)) for s in SHAPES]
    total = sum(sizes)
    init = rng.standard_normal(total).astype(np.float32)
    # gradients of varied scale, some exactly zero entries
    grads = (rng.standard_normal((N_STEPS, total)) * np.exp(rng.uniform(-3, 1, (N_STEPS, 1)))).astype(np.float32)
    grads[:, 3] = 0.0
    np.save(os.path.join(out, "init.npy"), init)
    np.save(os.path.join(out, "grads.npy"), grads)

    offs = np.cumsum([0] + sizes)
    for name, (cls, kw, frozen) in CONFIGS.items():
        params = [torch.nn.Parameter(torch.from_numpy(init[offs[i]:offs[i + 1]].reshape(SHAPES[i]).copy()))
                  for i in range(len(SHAPES))]
        opt = cls([p for i, p in enumerate(params) if i not in frozen], **kw)
        traj = np.zeros((N_STEPS, total), np.float32)
        for t in range(N_STEPS):
            opt.zero_grad()
            for i, p in enumerate(params):
                if i not in frozen:
                    p.grad = torch.from_numpy(grads[t, offs[i]:offs[i + 1]].reshape(SHAPES[i]).copy())
            opt.step()
            traj[t] = np.concatenate([p.detach().numpy().ravel() for p in params])
        np.save(os.path.join(out, "traj_%s.npy" % name), traj)

    for k, (base, warm, total_steps, min_lr) in enumerate(SCHEDULES):
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=base)
        cos = lambda: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps - warm, eta_min=min_lr)
        if warm > 0:
            lin = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0 / warm, end_factor=1.0,
                                                    total_iters=warm - 1)
            sched = torch.optim.lr_scheduler.SequentialLR(opt, [lin, cos()], milestones=[warm])
        else:
            sched = cos()
        lrs = []
        for step in range(total_steps + 1):  # lr used by optimizer step `step`
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        np.save(os.path.join(out, "lr_%d.npy" % k), np.array(lrs, np.float64))

    extras(out, init, grads, offs, total)


if __name__ == "__main__":
    main()
