"""The numbers the lessons quote, measured with their exact settings on CPU.

    python -m benchmarks.bench_lessons [--seeds 0,1,2,3] [--lessons keras-mistake,vanishing,...]

For each lesson and seed: every run of the lesson (one run, or each raced run), its test MSE and
MAE, its test R² (1 - MSE / variance of the test targets), the best baseline, and for probed runs the
gradient reaching 40 steps back relative to the last step. One torch thread, as in the app.
Copy the figures into rnnlab/lessons.py MEASURED when the settings change.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from rnnlab.compare import scoreboard
from rnnlab.diagnostics import probe_for_setup
from rnnlab.experiment import setup, train
from rnnlab.lessons import LESSONS, lesson_config, lesson_runs
from rnnlab.train import Probe


def run(cfg) -> dict:
    probes: list[Probe] = []
    t = time.perf_counter()
    s = setup(cfg)
    _, result = train(s, [lambda e: probes.append(e) if isinstance(e, Probe) else None],
                      probe_factory=probe_for_setup if cfg.train.probe_every else None)
    var = float(np.var(s.prep.test.y_raw))
    mse = result.test["mse"]
    out = {"result": result, "seconds": time.perf_counter() - t,
           "r2": None if mse is None or var == 0 else 1 - mse / var}
    if probes:
        g = np.atleast_2d(probes[-1].grad_norm_per_t)[-1]
        out["grad_40_back"] = float(g[-41] / g[-1]) if len(g) > 40 else None
    return out


def fmt(v, spec: str = ".4g") -> str:
    return "—" if v is None else format(v, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2,3")
    ap.add_argument("--lessons", default=",".join(s for s, l in LESSONS.items() if l.settings is not None))
    args = ap.parse_args()
    torch.set_num_threads(1)
    for slug in args.lessons.split(","):
        print(f"\n## {slug}")
        print("| seed | run | test MSE | test MAE | R² | best baseline (MSE) | grad 40 steps back | seconds |")
        print("|---|---|---|---|---|---|---|---|")
        for seed in [int(v) for v in args.seeds.split(",")]:
            base = lesson_config(slug)
            base.train.device, base.train.seed = "cpu", seed
            results = {}
            for name, cfg in lesson_runs(slug, base):
                r = run(cfg)
                res = results[name] = r["result"]
                best = min((v["mse"], k) for k, v in res.baselines.items() if v and v.get("mse") is not None)
                cells = [seed, name, fmt(res.test["mse"]), fmt(res.test["mae"]), fmt(r["r2"], ".3f"),
                         f"{best[1]} ({best[0]:.4g})", fmt(r.get("grad_40_back"), ".1e"), f"{r['seconds']:.1f}"]
                print("| " + " | ".join(map(str, cells)) + " |", flush=True)
            if len(results) > 1:
                print(f"| {seed} | **{scoreboard(results)[1]}** | | | | | | |")


if __name__ == "__main__":
    main()
