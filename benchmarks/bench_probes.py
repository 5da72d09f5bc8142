"""Cost of live diagnostics, and the fused module versus its unrolled twin.

    python -m benchmarks.bench_probes [--preset keras-classic] [--repeats 3]

Prints the training-time overhead of auto-spaced probes (goal <= 20 % on the seed workload) and
the forward+backward time of one batch through the fused module and through `models.unroll`.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from rnnlab.config import RunConfig
from rnnlab.diagnostics import probe_for_setup
from rnnlab.experiment import make_trainer, setup
from rnnlab.models import unroll
from rnnlab.presets import preset_config
from rnnlab.train import Probe


def config(preset: str, probe_every: int) -> RunConfig:
    return preset_config(preset, device="cpu", probe_every=probe_every)


def train_seconds(preset: str, probe_every: int) -> tuple[float, int]:
    s = setup(config(preset, probe_every))
    probes = []
    trainer = make_trainer(s, [lambda e: probes.append(e) if isinstance(e, Probe) else None],
                           probe=probe_for_setup(s))
    trainer.run()
    return trainer.train_seconds, len(probes)


def step_time(model, x, y, fn, repeats: int = 20) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        loss = ((fn(model, x) - y) ** 2).mean()
        loss.backward()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="keras-classic")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    ratios = []
    for r in range(args.repeats):
        base, _ = train_seconds(args.preset, 0)
        probed, n = train_seconds(args.preset, -1)
        ratios.append(probed / base - 1)
        print(f"run {r}: no probes {base:.3f} s, auto probes {probed:.3f} s ({n} probes), "
              f"overhead {ratios[-1]:+.1%}")
    print(f"median probe overhead: {statistics.median(ratios):+.1%} (preset {args.preset}, goal <= 20 %)")
    for cell in ("rnn", "lstm", "gru"):
        cfg = config(args.preset, 0)
        cfg.model.cell = cell
        s = setup(cfg)
        x, y = s.tensors["x_train"][:32], s.tensors["y_train"][:32]
        fused = step_time(s.model, x, y, lambda m, xb: m(xb))
        twin = step_time(s.model, x, y, lambda m, xb: unroll(m, xb).y)
        print(f"{cell:5s} batch 32 x {x.shape[1]} steps, forward+backward: fused {fused * 1e3:.2f} ms, "
              f"unrolled {twin * 1e3:.2f} ms ({twin / fused:.1f}x)")


if __name__ == "__main__":
    torch.set_num_threads(torch.get_num_threads())
    main()
