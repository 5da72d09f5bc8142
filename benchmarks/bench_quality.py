"""Forecast quality on five series of different kinds: old defaults, new defaults, Tune, baselines.

    python -m benchmarks.bench_quality [--seeds 0,1,2] [--budget 60] [--series airline,...]

Series: monthly airline passengers (real, shipped in rnnlab/data/samples), and generated stand-ins:
trend + yearly season + noise (monthly), a noisy cycle of irregular length (annual, sunspot-like),
two short annual series near a random walk (a plain walk with a small drift; a walk whose steps
carry momentum, AR(0.5) increments), and two series with a level shift (a smooth curve; AR(0.9)
noise around a level). The plain walk and the noisy level shift leave almost nothing to learn
beyond the last value: there only a tie with persistence is honest. For each: test MAE, mean over
the seeds, of
- old defaults: hidden 32, 30 epochs, last-step loss, lookback 50, no shrink, the old scaler rule
  (Dickey-Fuller with the maximum lag count; zscore when mean-reverting); "refused" where 50 is too long;
- new defaults: the app's defaults with the lookback it suggests for an upload;
- Tune: `rnnlab.tune.Tuner` with the budget, then the best settings trained once (as `rnnlab tune`);
- the linear autoregression, seasonal naive and persistence baselines (same test windows as the
  new defaults).
Goals (issue 10): new defaults never lose to persistence; Tune beats persistence and seasonal
naive everywhere and is within 5 % of the linear baseline or better.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from rnnlab.config import RunConfig
from rnnlab.data import SeriesData
from rnnlab.data.csv import load_csv
from rnnlab.errors import RnnlabError
from rnnlab.experiment import run_experiment
from rnnlab.scalers import _df_fit
from rnnlab.suggest import suggest_lookback
from rnnlab.tune import Tuner

SAMPLES = Path(__file__).resolve().parent.parent / "rnnlab" / "data" / "samples"


def series() -> dict[str, SeriesData]:
    rng = np.random.default_rng(2024)
    out = {"airline (real, monthly)": load_csv(SAMPLES / "airline-passengers.csv", column="passengers")}
    t = np.arange(180)
    out["trend + season (monthly)"] = SeriesData(
        (50 + 0.3 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, 180))[:, None], ["trend_season"])
    phase, values = 0.0, []
    for _ in range(280):
        phase += 2 * np.pi / rng.uniform(9, 13)
        values.append(50 + 80 * max(np.sin(phase), 0) ** 1.5 + rng.normal(0, 6))
    out["irregular cycle (annual)"] = SeriesData(np.array(values)[:, None], ["cycle"])
    out["short walk (annual, 60)"] = SeriesData((100 + np.cumsum(rng.normal(0.2, 2, 60)))[:, None], ["walk"])
    level, ar = np.zeros(300), 0.0
    for i in range(300):
        ar = 0.9 * ar + rng.normal(0, 0.5)
        level[i] = 20 + (10 if i >= 180 else 0) + ar
    out["level shift (noisy)"] = SeriesData(level[:, None], ["shifted"])
    # Added later (issue 10's "near a random walk" and "smooth", taken literally); a fresh generator,
    # so the series above keep their values.
    rng = np.random.default_rng(2026)
    steps = np.zeros(60)
    for i in range(1, 60):
        steps[i] = 0.3 + 0.5 * (steps[i - 1] - 0.3) + rng.normal(0, 2)
    out["short momentum walk (annual, 60)"] = SeriesData((100 + np.cumsum(steps))[:, None], ["momentum"])
    t, ar, smooth = np.arange(300), 0.0, np.zeros(300)
    for i in range(300):
        ar = 0.95 * ar + rng.normal(0, 0.15)
        smooth[i] = ar
    smooth += 20 + 2 * np.sin(2 * np.pi * t / 37) + 1.5 * np.sin(2 * np.pi * t / 83 + 1) + 10 * (t >= 180)
    out["level shift (smooth)"] = SeriesData(smooth[:, None], ["smooth_shift"])
    return out


def old_scaler(train: np.ndarray) -> str:
    """The scaler the old auto rule chose: Dickey-Fuller with the maximum lag count, zscore if mean-reverting."""
    lags = min(int(12 * (len(train) / 100) ** 0.25), max(len(train) // 10, 0))
    dy = np.diff(train)
    if len(dy) - lags < lags + 5:
        lags = 0
    t, _, _ = _df_fit(train, dy, lags, len(dy) - lags)
    return "last" if t > -2.86 else "zscore"


def base(seed: int) -> RunConfig:
    cfg = RunConfig()
    cfg.data.csv_path = "bench"  # a real series: no generator
    cfg.train.device, cfg.train.seed = "cpu", seed
    return cfg


def old_defaults(data: SeriesData, seed: int) -> float | None:
    cfg = base(seed)
    cfg.model.hidden, cfg.train.epochs, cfg.train.loss, cfg.data.lookback = 32, 30, "last", 50
    cfg.train.shrink = "off"  # the old recipe had no shrink toward persistence
    n_train = int(len(data.values) * 0.7)
    cfg.data.scaler = old_scaler(data.values[:n_train, 0])
    try:
        return run_experiment(cfg, data=data)[0].mae
    except RnnlabError:
        return None  # lookback 50 leaves too few windows


def new_defaults(data: SeriesData, seed: int) -> dict:
    cfg = base(seed)
    cfg.data.lookback, _ = suggest_lookback(data.values, cfg.data.val_fraction, cfg.data.test_fraction)
    return run_experiment(cfg, data=data)[0]


def tuned(data: SeriesData, seed: int, budget: float) -> tuple[float | None, dict | str]:
    cfg = base(seed)
    cfg.data.lookback, _ = suggest_lookback(data.values, cfg.data.val_fraction, cfg.data.test_fraction)
    try:
        tuner = Tuner(cfg, data, budget, seed=seed).start()
    except RnnlabError as e:  # too few validation windows to tune on
        return None, str(e)
    tuner.join()
    best = tuner.best_config()
    best.train.max_seconds = 0.0
    return run_experiment(best, data=data)[0].mae, tuner.snapshot().best.params


def fmt(v) -> str:
    return "refused" if v is None else f"{v:.4g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--series", default="", help="comma-separated name prefixes (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"test MAE, mean of seeds {seeds}; Tune budget {args.budget:g} s; 1 torch thread\n")
    print("| series | points | old defaults | new defaults | Tune | linear | seasonal naive | persistence | "
          "new ≤ persistence | Tune < persistence, seasonal naive | Tune ≤ 1.05 × linear |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, data in series().items():
        if args.series and not any(name.startswith(p) for p in args.series.split(",")):
            continue
        clock = time.perf_counter()
        old = [old_defaults(data, s) for s in seeds]
        new = [new_defaults(data, s) for s in seeds]
        tune = [tuned(data, s, args.budget) for s in seeds]
        old_m = None if any(v is None for v in old) else float(np.mean(old))
        new_m = float(np.mean([r.mae for r in new]))
        tune_m = None if any(v is None for v, _ in tune) else float(np.mean([v for v, _ in tune]))
        b = new[0].baselines
        lin, snaive, pers = b["linear"]["mae"], b["seasonal_naive"]["mae"], b["persistence"]["mae"]
        ok = lambda c: "yes" if c else "**no**"  # noqa: E731
        t_ok = (lambda c: "refused" if tune_m is None else ok(c(tune_m)))
        print(f"| {name} | {len(data.values)} | {fmt(old_m)} | {new_m:.4g} | {fmt(tune_m)} | {lin:.4g} | {snaive:.4g} | "
              f"{pers:.4g} | {ok(new_m <= pers)} | {t_ok(lambda v: v < pers and v < snaive)} | "
              f"{t_ok(lambda v: v <= 1.05 * lin)} |", flush=True)
        print(f"<!-- {name}: {time.perf_counter() - clock:.0f} s; new-default loss {new[0]['loss']['mode']}, "
              f"scaler {new[0]['scaler']}, lookback {new[0]['config']['data']['lookback']}; tuned (test MAE, settings) "
              f"per seed {[(fmt(v), p) for v, p in tune]} -->",
              flush=True)


if __name__ == "__main__":
    main()
