"""PyTorch side of bench_models.c: the same model (the PyTorch ports of
braindecode's models in tests/ref_braindecode.py and the transformers in
tests/ref_transformer.py), the same input shape and step.

    /usr/bin/python3 bench/bench_models.py MODEL train|infer BATCH THREADS STEPS WARMUP

Prints one "step_ms <ms>" line per timed step. Training: forward, MSE,
backward, AdamW step; inference: eval mode under torch.no_grad().
"""
import os
import sys
import time
import warnings

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
warnings.filterwarnings("ignore")

CHANS, TIMES = 129, 200


def build(name):
    import ref_braindecode as bd
    table = {"EEGNeX": bd.EEGNeX, "EEGNetv4": bd.EEGNetv4, "ShallowFBCSPNet": bd.ShallowFBCSPNet,
             "Deep4Net": bd.Deep4Net, "BDTCN": bd.BDTCN}
    if name in table:
        return table[name](n_chans=CHANS, n_outputs=1, n_times=TIMES)
    import ref_transformer as tr
    return tr.build_model(name, n_chans=CHANS, n_outputs=1, n_times=TIMES)


def main():
    name, mode = sys.argv[1], sys.argv[2]
    batch, threads, steps, warm = (int(v) for v in sys.argv[3:7])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = build(name)
    x = torch.randn(batch, CHANS, TIMES)
    y = torch.randn(batch)
    if mode == "train":
        model.train()
        opt = torch.optim.AdamW(model.parameters())
    else:
        model.eval()
    for step in range(warm + steps):
        t0 = time.perf_counter()
        if mode == "train":
            out = model(x).reshape(batch)
            loss = torch.nn.functional.mse_loss(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        else:
            with torch.no_grad():
                model(x)
        if step >= warm:
            print("step_ms %.4f" % (1e3 * (time.perf_counter() - t0)), flush=True)


if __name__ == "__main__":
    main()
