"""Prediction intervals by split conformal prediction, calibrated on the validation part.

The network never trains on the validation windows (early stopping and the shrink only read their
loss), so their errors are honest calibration data. Each error is divided by its window's typical
one-step change (`window_scale`), so a band is wide where the series is busy and narrow where it is
calm: a series whose swings grow with its level (airline passengers) keeps its coverage on a test
part busier than its validation part (normalised conformal prediction; benchmarks/bench_intervals.py
has the figures). For horizon step h the scaled half-width q_h is the ceil((n + 1) * level)-th
smallest of the n scaled validation errors at that step; a target's band is its prediction +-
q_h x its window's scale. With exchangeable errors the band covers at least `level` of new targets;
time series drift, so the coverage reached on the test part is measured and reported next to the
nominal level, never assumed.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from rnnlab.scalers import Scaler

LOW_COVERAGE = 0.10  # a band whose test coverage falls this far below its level is said to be off
METHOD = "split conformal on the validation part, errors scaled by each window's mean one-step change"


def min_calibration(level: float) -> int:
    """Fewest calibration errors for which the conformal quantile at `level` is finite."""
    return math.ceil(level / (1 - level) - 1e-9)


def conformal_halfwidth(abs_errors: np.ndarray, level: float) -> np.ndarray:
    """(H,) the conformal quantile of (n, H) absolute calibration errors; inf where n is too small."""
    e = np.sort(np.asarray(abs_errors, float), axis=0)
    n = e.shape[0]
    k = math.ceil((n + 1) * level)
    if k > n or n == 0:
        return np.full(e.shape[1] if e.ndim == 2 else 1, np.inf)
    return e[k - 1]


def window_scale(part) -> np.ndarray:
    """(n,) each window's typical one-step change of the target: mean |x_t - x_(t-1)| over its lookback."""
    out = []
    for a, b in part.chunks():
        x = part.raw(a, b)[:, :, 0]
        out.append(np.abs(np.diff(x, axis=1)).mean(axis=1) if x.shape[1] > 1 else np.ones(len(x)))
    return np.concatenate(out) if out else np.zeros(0)


def floor_scale(scale: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Scales kept above a floor (a thousandth of the calibration windows' median), so a window
    that happens to be flat still gets a band."""
    ref = float(np.median(reference)) if len(reference) else 0.0
    return np.maximum(np.asarray(scale, float), 1e-3 * ref + 1e-12)


def calibrate(val_abs_errors: np.ndarray, val_scale: np.ndarray, level: float) -> np.ndarray:
    """(H,) scaled conformal half-widths q_h from the validation errors and their windows' scales."""
    return conformal_halfwidth(val_abs_errors / floor_scale(val_scale, val_scale)[:, None], level)


def no_band(level: float, why: str, n_calibration: int = 0) -> dict:
    """The band's record where there is none: the same keys, no numbers, and why."""
    return {"level": level, "method": METHOD, "calibration_windows": n_calibration, "scaled_halfwidth": [],
            "mean_width": None, "coverage": None, "coverage_by_horizon": [], "warning": f"no band: {why}"}


def interval_report(level: float, q: np.ndarray, halfwidth: np.ndarray, y_true: np.ndarray,
                    y_pred: np.ndarray, n_calibration: int) -> dict:
    """The band's record for the JSON and pages: level, scaled half-width per step, the coverage
    reached on the given targets (overall and per step), mean width, and a sentence when it is off."""
    inside = np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float)) <= halfwidth
    coverage = float(inside.mean()) if inside.size else None
    report = {"level": level, "method": METHOD, "calibration_windows": n_calibration,
              "scaled_halfwidth": [float(w) for w in q], "mean_width": float(2 * np.mean(halfwidth)),
              "coverage": coverage, "coverage_by_horizon": [float(c) for c in inside.mean(axis=0)] if inside.size else [],
              "warning": None}
    if coverage is not None and coverage < level - LOW_COVERAGE:
        report["warning"] = (f"the {level:.0%} band covered only {coverage:.0%} of the test targets: the test "
                             "part behaves differently from the validation part it was calibrated on (drift, "
                             "a level shift or a change in noise); treat the band as too narrow.")
    elif coverage is not None and coverage > level + 0.8 * (1 - level) and np.mean(halfwidth) > 0:
        report["warning"] = (f"the {level:.0%} band covered {coverage:.0%} of the test targets: wider than it "
                             "needed to be (the test part was calmer than the validation part).")
    return report


def recursive_paths(model: torch.nn.Module, scaler: Scaler, windows: np.ndarray, steps: int,
                    device="cpu") -> np.ndarray:
    """(n, steps): the recursive forecast from each of n univariate windows (n, L), predictions fed
    back as inputs; the batched twin of evaluate.recursive_forecast."""
    buf = np.asarray(windows, float)
    lookback, out = buf.shape[1], []
    model.eval()
    with torch.no_grad():
        while sum(o.shape[1] for o in out) < steps:
            window = buf[:, -lookback:, None]
            last = window[:, -1, :]
            xs, _ = scaler.transform(window, np.zeros((len(window), 1)), last)
            pred = scaler.inverse_y(model(torch.as_tensor(xs, device=device)).float().cpu().numpy(), last)
            out.append(pred)
            buf = np.concatenate([buf, pred], axis=1)
    return np.concatenate(out, axis=1)[:, :steps]


def forecast_halfwidth(model: torch.nn.Module, prep, history: np.ndarray, steps: int, level: float,
                       device="cpu") -> np.ndarray:
    """(steps,) half-widths of the band around a recursive forecast from the end of `history`,
    calibrated per step ahead on recursive forecasts started at every validation window and scored
    on validation targets only (scaled like the test band, by the window's mean one-step change).
    A step with too few such targets gets inf (no band); half-widths never shrink with the step."""
    val, end = prep.val, prep.val_end
    if len(val) == 0 or prep.panel or prep.n_features != 1:
        return np.full(steps, np.inf)
    series = val.windows.values[:, 0]
    paths = recursive_paths(model, prep.scaler, val.raw()[:, :, 0], steps, device)
    scale = floor_scale(window_scale(val), window_scale(val))
    q = np.full(steps, np.inf)
    for k in range(steps):
        target = val.t0 + k
        ok = target < end
        if ok.sum() >= min_calibration(level):
            q[k] = conformal_halfwidth((np.abs(series[target[ok]] - paths[ok, k]) / scale[ok])[:, None], level)[0]
    last = np.asarray(history, float)[-prep.val.windows.lookback:]
    now = floor_scale(np.abs(np.diff(last)).mean(keepdims=True) if len(last) > 1 else np.ones(1), window_scale(val))
    return np.maximum.accumulate(q) * now[0]
