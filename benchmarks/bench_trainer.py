"""Trainer overhead: rnnlab's train_seconds versus a bare PyTorch loop, same process, same batches.

    python -m benchmarks.bench_trainer [--repeats 5] [--preset keras-classic] [--device cpu]

Prints each pair of timings and the median ratio (goal: <= 1.25 on the seed workload).
"""
from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
from torch import nn

from rnnlab.experiment import make_trainer, setup
from rnnlab.presets import preset_config


def bare_loop(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int, bs: int, lr: float,
              seed: int) -> float:
    """The loop a person would write by hand: Adam, shuffled mini-batches, nothing else."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    if x.is_cuda:
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=gen).to(x.device)
        for i in range(0, len(y), bs):
            idx = perm[i:i + bs]
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    if x.is_cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="keras-classic")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    cfg = preset_config(args.preset, device=args.device)
    ratios = []
    for r in range(args.repeats):
        s = setup(cfg)
        twin = copy.deepcopy(s.model)
        t = s.tensors
        # the bare loop gets every window built in memory up front, as a hand-written script would;
        # rnnlab gathers windows per batch from one copy of the series (rnnlab/batches.py)
        x_built = torch.as_tensor(s.prep.train.x, device=s.device)
        run_bare = lambda: bare_loop(twin, x_built, t["y_train"], cfg.train.epochs,  # noqa: E731
                                     cfg.train.batch_size, cfg.train.lr, cfg.train.seed)
        trainer = make_trainer(s)
        if r % 2 == 0:  # alternate the order so warm-up and clock drift favour neither side
            bare = run_bare()
            trainer.run()
        else:
            trainer.run()
            bare = run_bare()
        ratios.append(trainer.train_seconds / bare)
        print(f"run {r}: rnnlab {trainer.train_seconds:.3f} s, bare {bare:.3f} s, "
              f"ratio {ratios[-1]:.3f}")
    print(f"median ratio rnnlab / bare PyTorch: {statistics.median(ratios):.3f} "
          f"(preset {args.preset}, device {args.device}, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
