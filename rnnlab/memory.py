"""Memory-horizon experiment: the longest lag of a memory task each cell learns in a CPU budget.

    python -m rnnlab memory --task delay --cells rnn,lstm,gru --lags 5,10,20,40,80 --budget 60

For each cell, lags are tried in increasing order, each with a fresh model trained for at most
`budget` seconds; a lag counts as learned when the test MSE is below 10 % of the target's
variance (R^2 >= 0.9). The first failure ends that cell's climb.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from rnnlab.config import CELLS, INITS, RunConfig
from rnnlab.errors import ConfigError

R2_LEARNED = 0.9


def run_one(task: str, cell: str, lag: int, args: argparse.Namespace) -> dict:
    """Train one (cell, lag) pair within the budget; report test R^2 and time used."""
    from rnnlab.experiment import run_experiment

    cfg = RunConfig()
    cfg.data.generator, cfg.data.samples = task, args.samples
    cfg.data.lookback = lag + args.margin if task == "delay" else lag
    cfg.data.params = {"lag": float(lag)} if task == "delay" else {}
    cfg.data.scaler = "none"  # inputs are already unit-scale noise
    cfg.model.cell, cfg.model.hidden, cfg.model.init = cell, args.hidden, args.init
    cfg.train.epochs, cfg.train.lr, cfg.train.batch_size = 100_000, args.lr, args.batch_size
    cfg.train.max_seconds, cfg.train.device, cfg.train.seed, cfg.train.clip = args.budget, "cpu", args.seed, 1.0
    result, s = run_experiment(cfg)
    var = float(np.var(s.prep.test.y_raw))
    mse = result.test["mse"]
    r2 = 1 - mse / var if mse is not None and var > 0 else float("-inf")
    return {"task": task, "cell": cell, "lag": lag, "window": cfg.data.lookback, "r2": round(r2, 4),
            "learned": bool(r2 >= R2_LEARNED), "seconds": result.train_seconds,
            "epochs": result.epochs_run, "stopped": result.stopped_reason}


def memory_horizon(task: str, cells: list[str], lags: list[int], args, log=print) -> dict[str, int]:
    """Longest learned lag per cell (0 when even the shortest fails)."""
    best, rows = {}, []
    for cell in cells:
        best[cell] = 0
        for lag in sorted(lags):
            row = run_one(task, cell, lag, args)
            rows.append(row)
            log(json.dumps(row))
            if not row["learned"]:
                break
            best[cell] = lag
    return best, rows


def add_parser(sub) -> None:
    m = sub.add_parser("memory", help="longest lag of a memory task each cell learns within a time budget")
    m.add_argument("--task", choices=["delay", "adding"], default="delay", help="memory task")
    m.add_argument("--cells", default=",".join(CELLS), help="comma-separated cells to test")
    m.add_argument("--lags", default="5,10,20,40,80", help="comma-separated lags, tried in order")
    m.add_argument("--budget", type=float, default=60.0, help="seconds of training per (cell, lag)")
    m.add_argument("--samples", type=int, default=2000, help="independent samples per task")
    m.add_argument("--margin", type=int, default=10, help="window = lag + margin (delay task)")
    m.add_argument("--hidden", type=int, default=64, help="hidden units")
    m.add_argument("--lr", type=float, default=1e-3, help="learning rate")
    m.add_argument("--batch-size", type=int, default=64, help="windows per optimizer step")
    m.add_argument("--init", choices=INITS, default="default", help="W_hh initialisation")
    m.add_argument("--seed", type=int, default=0, help="seed of data and weights")
    m.add_argument("--json", action="store_true", help="print one JSON object on stdout and nothing else")


def cmd_memory(args: argparse.Namespace) -> int:
    try:
        cells = [c.strip() for c in args.cells.split(",") if c.strip()]
        lags = [int(v) for v in args.lags.split(",") if v.strip()]
    except ValueError:
        raise ConfigError("--lags expects comma-separated integers, e.g. 5,10,20.") from None
    best, rows = memory_horizon(args.task, cells, lags, args,
                                log=(lambda _: None) if args.json else (lambda line: print(line, file=sys.stderr)))
    if args.json:
        print(json.dumps({"best": best, "runs": rows, "settings": vars(args)}, default=str))
        return 0
    print(f"| cell | longest {args.task} lag learned (R² ≥ {R2_LEARNED}) in {args.budget:g} s |")
    print("|---|---|")
    for cell, lag in best.items():
        print(f"| {cell} | {lag if lag else 'none of ' + args.lags} |")
    return 0
