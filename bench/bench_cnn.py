"""PyTorch side of the CNN training-step benchmark (see bench_cnn.c).

x (64, 129, 200) -> conv1d 129->64 k7 padding 3 -> ReLU -> conv1d 64->64 k7
padding 3 -> ReLU -> global average pool -> linear 64->1 -> MSE, Adam.

Usage: /usr/bin/python3 bench/bench_cnn.py [threads] [timed steps] [warm-up steps]
Prints one "step_ms <ms>" line per timed step and a summary line.
"""
import statistics
import sys
import time

import torch


def main():
    n_threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    n_steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    n_warm = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    torch.set_num_threads(n_threads)
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Conv1d(129, 64, 7, padding=3),
        torch.nn.ReLU(),
        torch.nn.Conv1d(64, 64, 7, padding=3),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool1d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 1),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(64, 129, 200)
    y = torch.randn(64, 1)
    times = []
    for step in range(-n_warm, n_steps):
        t0 = time.perf_counter()
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step >= 0:
            times.append(1e3 * (time.perf_counter() - t0))
            print("step_ms %.3f" % times[-1])
    print("pytorch threads %d steps %d median_ms %.3f loss %.6f"
          % (n_threads, n_steps, statistics.median(times), loss.item()))


if __name__ == "__main__":
    main()
