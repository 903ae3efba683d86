"""PyTorch side of bench_transformer_layer.c: one
torch.nn.TransformerEncoderLayer(128, 8, 256, batch_first=True) in train mode,
forward, mse_loss against zeros, backward.

    /usr/bin/python3 bench/bench_transformer_layer.py B T THREADS STEPS WARMUP
"""
import sys
import time

import torch


def main():
    batch, t_len, threads, steps, warm = (int(v) for v in sys.argv[1:6])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    layer = torch.nn.TransformerEncoderLayer(128, 8, 256, batch_first=True)
    layer.train()
    x = torch.randn(batch, t_len, 128)
    y = torch.zeros(batch, t_len, 128)
    times = []
    for step in range(warm + steps):
        t0 = time.perf_counter()
        layer.zero_grad()
        loss = torch.nn.functional.mse_loss(layer(x), y)
        loss.backward()
        if step >= warm:
            times.append(1e3 * (time.perf_counter() - t0))
            print("step_ms %.4f" % times[-1], flush=True)
    times.sort()
    print("torch encoder layer B %d T %d threads %d median_ms %.3f" % (batch, t_len, threads, times[len(times) // 2]))


if __name__ == "__main__":
    main()
