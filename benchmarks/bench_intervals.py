"""Prediction intervals: the coverage 90 % bands reach on the test part, series by series.

    python -m benchmarks.bench_intervals [--level 0.9] [--epochs N]

Trains rnnlab with its defaults on the shipped sample and on generated series of each kind
(seasonal, trending, random walk, AR, noisy level shift), and prints, per series, the band's test
coverage and mean width as rnnlab reports them (split conformal on the validation part), next to
ETS's own model-based one-step interval (forecast +- z * sigma, sigma from the training fit) as a
reference. Goal: mean coverage 85-95 % over the series, each series 80-98 %.
"""
from __future__ import annotations

import argparse
from statistics import NormalDist

import numpy as np

from rnnlab.classical import classical_predictions, fit_classical
from rnnlab.config import RunConfig
from rnnlab.data import SeriesData
from rnnlab.experiment import run_experiment

SAMPLE = "rnnlab/data/samples/airline-passengers.csv"


def level_shift(n: int = 1000, seed: int = 0) -> SeriesData:
    """Noise around a level that jumps twice (once in the training part, once near the test part)."""
    rng = np.random.default_rng(seed)
    level = np.where(np.arange(n) < 0.4 * n, 10.0, 16.0) + np.where(np.arange(n) >= 0.75 * n, -4.0, 0.0)
    return SeriesData(values=(level + rng.normal(0, 1.0, n))[:, None], names=["level-shift"])


def cases() -> list[tuple[str, RunConfig, SeriesData | None]]:
    out = []
    cfg = RunConfig()
    cfg.data.csv_path = SAMPLE
    out.append(("airline (sample CSV)", cfg, None))
    for name, gen, params in [("seasonal (multi-sine)", "multi-sine", {"noise": 0.2}),
                              ("trending (sales)", "sales", {}),
                              ("random walk", "sales", {"weekly": 0.0, "yearly": 0.0, "noise": 0.0, "trend": 0.0}),
                              ("AR(2)", "ar", {})]:
        cfg = RunConfig()
        cfg.data.generator, cfg.data.params = gen, params
        out.append((name, cfg, None))
    out.append(("noisy level shift", RunConfig(), level_shift()))
    return out


def ets_reference(s, level: float) -> tuple[float | None, float | None]:
    """Coverage and mean width of ETS's one-step model interval on the same test targets."""
    prep = s.prep
    if prep.panel:
        return None, None
    series = prep.test.windows.values[:, 0]
    fit = fit_classical(series[:prep.train_end], prep.period)
    if fit.ets is None:
        return None, None
    pred = classical_predictions(fit, series, prep.test.t0, 1)["ets"][:, 0]
    half = NormalDist().inv_cdf(0.5 + level / 2) * np.sqrt(fit.ets.sigma2)
    return float((np.abs(prep.test.y_raw[:, 0] - pred) <= half).mean()), float(2 * half)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--level", type=float, default=0.9)
    ap.add_argument("--epochs", type=int, default=None, help="override the default epochs (quicker, less honest)")
    args = ap.parse_args()
    rows = []
    print("| series | test windows | calibration windows | rnnlab coverage | rnnlab mean width | "
          "ETS coverage | ETS mean width |\n|---|---|---|---|---|---|---|")
    for name, cfg, data in cases():
        cfg.train.device, cfg.train.interval = "cpu", args.level
        if args.epochs:
            cfg.train.epochs = args.epochs
        result, s = run_experiment(cfg, data=data)
        band = result.interval or {}
        ets_cov, ets_width = ets_reference(s, args.level)
        rows.append(band.get("coverage"))
        fmt = lambda v, f: "n/a" if v is None else format(v, f)  # noqa: E731
        print(f"| {name} | {result.windows['test']} | {band.get('calibration_windows', 0)} | "
              f"{fmt(band.get('coverage'), '.1%')} | {fmt(band.get('mean_width'), '.4g')} | "
              f"{fmt(ets_cov, '.1%')} | {fmt(ets_width, '.4g')} |", flush=True)
    got = [r for r in rows if r is not None]
    print(f"\nmean coverage {np.mean(got):.1%} over {len(got)} series (goal 85-95 %); "
          f"lowest {min(got):.1%}, highest {max(got):.1%} (goal 80-98 % each)")


if __name__ == "__main__":
    main()
