"""In-app training throughput: a TrainingJob polled like the Train page versus the headless CLI path.

    python -m benchmarks.bench_job [--preset sales-lstm] [--refresh 0.5] [--epochs 120]

The job runs in its background thread while this thread does what the page fragment does every
`refresh` seconds (snapshot + build the loss and gradient figures + serialise them to JSON).
Prints samples/s of both and the ratio (goal: >= 0.8).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from rnnlab import plots
from rnnlab.config import RunConfig
from rnnlab.job import TrainingJob
from rnnlab.presets import PRESETS


def config(preset: str) -> RunConfig:
    d = RunConfig().to_dict()
    for part, values in PRESETS[preset].items():
        d[part].update(values)
    d["train"]["device"] = "cpu"
    return RunConfig.from_dict(d)


def headless(preset: str, epochs: int) -> float:
    """samples/s of the real CLI in its own process (torch's default thread count)."""
    out = subprocess.run([sys.executable, "-m", "rnnlab", "train", "--preset", preset, "--epochs", str(epochs),
                          "--device", "cpu", "--json"], capture_output=True, text=True, check=True).stdout
    r = json.loads(out)
    return r["windows"]["train"] * r["epochs_run"] / r["train_seconds"]


def in_app(cfg: RunConfig, refresh: float) -> float:
    job = TrainingJob(cfg).start()
    redraws = 0
    while job.alive:
        time.sleep(refresh)
        snap = job.snapshot()
        per_epoch = snap.total_steps / max(snap.epochs, 1)
        plots.loss_figure(snap.history, snap.steps, snap.losses, per_epoch).to_json()
        plots.grad_norm_figure(snap.steps, snap.grad_norms).to_json()
        redraws += 1
    r = job.result
    print(f"  in-app run: {redraws} redraws, {r['train_seconds']:.2f} s")
    return r["windows"]["train"] * r["epochs_run"] / r["train_seconds"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="sales-lstm")
    ap.add_argument("--refresh", type=float, default=0.5)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=120, help="long enough for many redraws")
    args = ap.parse_args()
    cfg = config(args.preset)
    cfg.train.epochs = args.epochs
    ratios = []
    for _ in range(args.repeats):
        a = headless(args.preset, args.epochs)
        b = in_app(cfg, args.refresh)
        ratios.append(b / a)
        print(f"headless {a:,.0f} samples/s, in-app {b:,.0f} samples/s, ratio {ratios[-1]:.3f}")
    print(f"min ratio in-app / headless: {min(ratios):.3f} (preset {args.preset}, refresh {args.refresh} s)")


if __name__ == "__main__":
    main()
