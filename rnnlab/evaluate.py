"""Predictions in original units, metrics, honest baselines and recursive forecasts."""
from __future__ import annotations

import numpy as np
import torch

from rnnlab.classical import classical_predictions, fit_classical
from rnnlab.errors import DataError
from rnnlab.inputs import detect_period  # noqa: F401 (re-exported)
from rnnlab.intervals import (
    calibrate,
    floor_scale,
    interval_report,
    min_calibration,
    no_band,
    recursive_paths,
    window_scale,
)
from rnnlab.scalers import Scaler
from rnnlab.windows import Part, Prepared


def predict(model: torch.nn.Module, part: Part, scaler: Scaler, device: torch.device | str = "cpu",
            batch: int = 4096) -> np.ndarray:
    """Model predictions for a part's windows, in original units, shape (n, H)."""
    if len(part) == 0:
        return np.zeros((0, part.y.shape[1]))
    model.eval()
    out = []
    with torch.no_grad():
        for a, b in part.chunks(batch):  # windows are built a chunk at a time
            xb = torch.as_tensor(part.scaled(a, b), device=device)
            out.append(model(xb).float().cpu().numpy())
    return scaler.inverse_y(np.concatenate(out), part.last)


def metrics(y_true: np.ndarray, y_pred: np.ndarray, mase_scale: float | None = None) -> dict:
    """MSE, MAE, RMSE, sMAPE (%) and MASE over every window and horizon step."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    err = y_pred - y_true
    if not np.isfinite(err).all():  # a diverged model: no number would be honest
        nan = float("nan")
        return {"mse": nan, "mae": nan, "rmse": nan, "smape": nan, "mase": nan, "n": int(y_true.shape[0])}
    mse, mae = float(np.mean(err ** 2)), float(np.mean(np.abs(err)))
    denom = np.abs(y_true) + np.abs(y_pred)
    smape = float(np.mean(np.where(denom > 0, 2 * np.abs(err) / np.where(denom > 0, denom, 1), 0)) * 100)
    mase = mae / mase_scale if mase_scale and mase_scale > 0 else None
    return {"mse": mse, "mae": mae, "rmse": float(np.sqrt(mse)), "smape": smape, "mase": mase,
            "n": int(y_true.shape[0])}


def baseline_predictions(prep: Prepared, part: Part, linear_coef: np.ndarray | None) -> dict:
    """Each baseline's predictions (n, H) in original units for one part's windows."""
    chunks = [_baselines_chunk(prep, part, a, b, linear_coef) for a, b in part.chunks()]
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]} if chunks else {}


def _baselines_chunk(prep: Prepared, part: Part, a: int, b: int, linear_coef: np.ndarray | None) -> dict:
    h = prep.horizon
    target_in = part.raw(a, b)[:, :, 0]  # (n, L) the target's own past (or input 0 for panels)
    last = part.last[a:b, :1]
    out = {"persistence": np.repeat(last, h, axis=1),
           "mean": np.repeat(target_in.mean(axis=1, keepdims=True), h, axis=1)}
    m = prep.period
    if m and m <= target_in.shape[1]:
        # y_{t+k} ~ y_{t+k-m*ceil(k/m)}: the value one (or more) seasons back, inside the window
        cols = [target_in.shape[1] - m * int(np.ceil(k / m)) + (k - 1) for k in range(1, h + 1)]
        out["seasonal_naive"] = target_in[:, cols]
    else:
        out["seasonal_naive"] = out["persistence"]
    if linear_coef is not None:
        feats = np.column_stack([target_in - last, np.ones(len(target_in))])
        out["linear"] = feats @ linear_coef + last
    return out


def fit_linear(prep: Prepared, ridge: float = 1e-6) -> np.ndarray:
    """Least-squares autoregression on the same lookback (relative to the last value), train only.

    The normal equations are summed a chunk of windows at a time."""
    tr = prep.train
    gram, rhs = 0.0, 0.0
    for a, b in tr.chunks():
        last = tr.last[a:b, :1]
        feats = np.column_stack([tr.raw(a, b)[:, :, 0] - last, np.ones(b - a)])
        gram, rhs = gram + feats.T @ feats, rhs + feats.T @ (tr.y_raw[a:b] - last)
    return np.linalg.solve(gram + ridge * np.eye(gram.shape[0]), rhs)


def evaluate(model: torch.nn.Module, prep: Prepared, device="cpu", part_name: str = "test",
             level: float = 0.9) -> dict:
    """Model and baseline metrics on the same windows of one part, all in original units, each with
    its metrics per horizon step; the classical baselines (ETS, Theta) where the data are one
    series; the model's split-conformal band at `level` (0: none) with the coverage it reached."""
    part = getattr(prep, part_name)
    scale = mase_scale(prep)
    pred = predict(model, part, prep.scaler, device)
    base, missing = all_baselines(prep, part)
    out = {"model": horizon_metrics(part.y_raw, pred, scale),
           "baselines": {k: horizon_metrics(part.y_raw, v, scale) for k, v in base.items()},
           "missing": missing, "period": prep.period, "predictions": pred, "baseline_predictions": base,
           "interval": None, "halfwidth": None}
    if level > 0:
        out["interval"], out["halfwidth"] = _interval(model, prep, part, pred, level, device)
    return out


def all_baselines(prep: Prepared, part: Part) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Every baseline's (n, H) predictions for a part, and why any classical one is missing."""
    base = baseline_predictions(prep, part, fit_linear(prep))
    if prep.panel:
        return base, {k: "the data are independent windows (a panel), not one series to fit"
                      for k in ("ets", "theta")}
    series = part.windows.values[:, 0]
    fit = fit_classical(series[:prep.train_end], prep.period)
    return base | classical_predictions(fit, series, part.t0, prep.horizon), dict(fit.missing)


def _interval(model, prep: Prepared, part: Part, pred: np.ndarray, level: float, device) -> tuple:
    """(record, (n, H) half-widths) of the conformal band calibrated on the validation part."""
    need = min_calibration(level)
    if len(prep.val) < need:
        return no_band(level, f"a {level:.0%} band needs at least {need} validation windows to calibrate on, "
                       f"and there are {len(prep.val)}.", len(prep.val)), None
    val_err = np.abs(prep.val.y_raw - predict(model, prep.val, prep.scaler, device))
    if not np.isfinite(val_err).all() or not np.isfinite(pred).all():
        return no_band(level, "the model has no finite predictions.", len(prep.val)), None
    val_scale = window_scale(prep.val)
    q = calibrate(val_err, val_scale, level)
    width = q[None, :] * floor_scale(window_scale(part), val_scale)[:, None]
    return interval_report(level, q, width, part.y_raw, pred, len(prep.val)), width


def horizon_metrics(y_true: np.ndarray, y_pred: np.ndarray, scale: float | None = None) -> dict:
    """metrics() over every step, plus `by_horizon`: the same metrics for each step ahead (1..H)."""
    y_true, y_pred = np.atleast_2d(np.asarray(y_true, float)), np.atleast_2d(np.asarray(y_pred, float))
    out = metrics(y_true, y_pred, scale)
    out["by_horizon"] = [{"step": h + 1, **{k: v for k, v in metrics(y_true[:, h], y_pred[:, h], scale).items()
                                            if k != "n"}} for h in range(y_true.shape[1])]
    return out


def mase_scale(prep: Prepared) -> float:
    """Mean absolute one-step change of the target inside the training windows (MASE denominator)."""
    tr = prep.train
    total, count = 0.0, 0
    for a, b in tr.chunks():
        steps = np.abs(np.diff(tr.raw(a, b)[:, :, 0], axis=1))
        total, count = total + float(steps.sum()), count + steps.size
    return total / count if count else 0.0


def recursive_forecast(model: torch.nn.Module, scaler: Scaler, history: np.ndarray, lookback: int,
                       steps: int, device="cpu") -> np.ndarray:
    """Forecast `steps` values beyond the end of a univariate series by feeding predictions back."""
    hist = np.asarray(history, float)
    if hist.ndim == 2:
        if hist.shape[1] != 1:
            raise DataError("a recursive forecast needs future values of the extra input columns, "
                            "which are unknown; train on the target alone to forecast beyond the end.")
        hist = hist[:, 0]
    if len(hist) < lookback:
        raise DataError(f"need at least {lookback} past values to forecast (got {len(hist)}).")
    return recursive_paths(model, scaler, hist[None, -lookback:], steps, device)[0]


def persistence_val_loss(prep: Prepared) -> float | None:
    """Validation MSE of persistence in the model's scaled units: the line the loss chart must beat."""
    part = prep.val if len(prep.val) else None
    if part is None:
        return None
    pers = np.repeat(part.last[:, :1], prep.horizon, axis=1)
    ys = prep.scaler.transform_y(pers, part.last, dtype=np.float64)
    return float(np.mean((ys - part.y.astype(np.float64)) ** 2))
