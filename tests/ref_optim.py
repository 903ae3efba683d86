"""Reference trajectories for tests/test_optim.c from torch.optim.

Usage: /usr/bin/python3 tests/ref_optim.py OUTDIR

Writes into OUTDIR:
  init.npy            (total,) initial values of three parameters, concatenated
  grads.npy           (N_STEPS, total) the gradient fed at each step
  traj_<name>.npy     (N_STEPS, total) parameters after each step of optimizer <name>
  lr_<k>.npy          (steps,) learning rates of schedule k (LinearLR + CosineAnnealingLR via SequentialLR)
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
}

# (base_lr, warmup_steps, total_steps, min_lr)
SCHEDULES = [(1e-3, 10, 100, 0.0), (0.1, 5, 60, 1e-3), (2e-3, 0, 50, 1e-5), (0.5, 1, 30, 0.0)]


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


if __name__ == "__main__":
    main()
