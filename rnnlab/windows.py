"""Chronological split, windowing, and scalers fitted on the training part only.

Shapes: x (n, L, F) inputs, y (n, H) targets, `last` (n, F) the last observed input row of each
window in original units (the anchor of the `last` / `diff` scalers and of persistence).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnlab.data import PanelData, SeriesData
from rnnlab.errors import ConfigError, DataError

ADF_MAX_POINTS = 20_000  # the unit-root test looks at the last this-many training points (cost)
MAX_WINDOW_VALUES = 30_000_000  # n·L·F values in the window arrays of one run (a shared-server budget)
BYTES_PER_WINDOW_VALUE = 24  # float64 windows, their per-part copies and the float32 model inputs
MIN_TRAIN_WINDOWS = 20  # fewer training windows are refused: nothing can be learned from them
MAX_ABS_VALUE = 1e100  # larger values overflow squared errors and least squares in float64
DF_CRITICAL_5PC = -2.86  # (augmented) Dickey-Fuller critical value (constant, no trend), 5 % level


def check_window_budget(n_windows: int, lookback: int, n_features: int) -> None:
    """Refuse, before anything is allocated, runs whose window arrays would not fit the budget."""
    values = max(n_windows, 0) * lookback * n_features
    if values > MAX_WINDOW_VALUES:
        raise DataError(
            f"{n_windows:,} windows × lookback {lookback:,} × {n_features} column(s) = {values / 1e6:,.0f} million "
            f"window values, over the limit of {MAX_WINDOW_VALUES / 1e6:.0f} million (about "
            f"{MAX_WINDOW_VALUES * BYTES_PER_WINDOW_VALUE / 2**30:.1f} GB of memory); shorten the lookback or "
            "the series.")


def split_points(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """Indices (train_end, val_end): train = [0, train_end), val = [train_end, val_end), test after."""
    val_end = n - int(round(n * test_fraction))
    train_end = val_end - int(round(n * val_fraction))
    return train_end, val_end


def make_windows(values: np.ndarray, lookback: int, horizon: int) -> tuple[np.ndarray, ...]:
    """All windows of a (T, F) series: x (n, L, F), y (n, H) from column 0, t0 (n,) first target index."""
    t_len = len(values)
    n = t_len - lookback - horizon + 1
    if n < 1:
        raise DataError(f"the series has {t_len} points but lookback {lookback} + horizon {horizon} "
                        "needs more; shorten the lookback or use a longer series.")
    x = np.lib.stride_tricks.sliding_window_view(values, lookback, axis=0)[:n]  # (n, F, L)
    x = np.ascontiguousarray(x.transpose(0, 2, 1))
    y = np.lib.stride_tricks.sliding_window_view(values[lookback:, 0], horizon)[:n].copy()
    return x, y, np.arange(lookback, lookback + n)


def dickey_fuller_t(y: np.ndarray, lags: int | None = None) -> float:
    """Augmented Dickey-Fuller t-statistic of beta in dy_t = a + beta y_{t-1} + sum_i c_i dy_{t-i} + e.

    Near 0 means a unit root (random walk); lagged differences (Schwert's rule 12 (n/100)^0.25 by
    default) absorb seasonality, which would otherwise look like mean reversion.
    """
    y = np.asarray(y, dtype=np.float64)
    if lags is None:
        lags = min(int(12 * (len(y) / 100) ** 0.25), max(len(y) // 10, 0))
    dy = np.diff(y)
    n = len(dy) - lags
    if n < lags + 5:
        lags, n = 0, len(dy)
    cols = [np.ones(n), y[lags:-1]] + [dy[lags - i:len(dy) - i] for i in range(1, lags + 1)]
    a, target = np.column_stack(cols), dy[lags:]
    coef, *_ = np.linalg.lstsq(a, target, rcond=None)
    resid = target - a @ coef
    dof = max(n - a.shape[1], 1)
    cov = (resid @ resid / dof) * np.linalg.pinv(a.T @ a)
    se = np.sqrt(max(cov[1, 1], 0.0))
    return float(coef[1] / se) if se > 0 else 0.0


def choose_scaler(x_train: np.ndarray, panel: bool, series_train: np.ndarray | None) -> tuple[str, str]:
    """The `auto` rule, from training data only. Returns (scaler, reason in words).

    - Panels of independent windows: `last` when window levels differ far more between windows
      than within one (3x), so the level carries no information (the seed-sales case); else zscore.
    - One series: `last` when an augmented Dickey-Fuller test on the training part cannot reject a unit root
      (t > -2.86): the level wanders, so future values leave the training range and a model must
      predict changes; else `zscore`.
    """
    if panel:
        between = float(np.std(x_train[:, :, 0].mean(axis=1)))
        within = float(np.mean(np.std(x_train[:, :, 0], axis=1)))
        if between > 3 * within:
            return "last", (f"window levels vary {between / max(within, 1e-12):.0f}x more between "
                            "samples than within one, so inputs are made relative to the last value")
        return "zscore", "window levels are comparable, so values are standardised"
    assert series_train is not None
    if np.std(series_train) == 0:
        return "zscore", "the training part is constant"
    recent = series_train[-ADF_MAX_POINTS:]  # the latest part decides: same answer, bounded cost
    t = dickey_fuller_t(recent)
    on = f", on its last {ADF_MAX_POINTS:,} points" if len(series_train) > ADF_MAX_POINTS else ""
    if t > DF_CRITICAL_5PC:
        return "last", (f"the training part wanders like a random walk (Dickey-Fuller t = {t:.2f} "
                        f"> {DF_CRITICAL_5PC}{on}), so the model predicts changes from the last value")
    return "zscore", f"the training part is mean-reverting (Dickey-Fuller t = {t:.2f}{on}), so values are standardised"


@dataclass
class Scaler:
    """Invertible transform of windows; every statistic comes from training windows only."""

    kind: str  # none | zscore | minmax | last | diff
    x_shift: np.ndarray = field(default_factory=lambda: np.zeros(1))  # (F,)
    x_scale: np.ndarray = field(default_factory=lambda: np.ones(1))  # (F,)
    y_shift: float = 0.0
    y_scale: float = 1.0

    @classmethod
    def fit(cls, kind: str, x: np.ndarray, y: np.ndarray, last: np.ndarray) -> "Scaler":
        """Fit on training windows x (n, L, F), y (n, H), last (n, F)."""
        flat = x.reshape(-1, x.shape[-1])
        if kind == "none":
            return cls(kind, np.zeros(flat.shape[1]), np.ones(flat.shape[1]))
        if kind == "zscore":
            return cls(kind, flat.mean(0), _safe(flat.std(0)), float(y.mean()), float(_safe(y.std())))
        if kind == "minmax":
            lo, hi = flat.min(0), flat.max(0)
            return cls(kind, lo, _safe(hi - lo), float(y.min()), float(_safe(y.max() - y.min())))
        if kind in ("last", "diff"):
            step = _safe(np.diff(x, axis=1).reshape(-1, x.shape[-1]).std(0)) if x.shape[1] > 1 \
                else _safe(flat.std(0))
            jumps = np.diff(np.concatenate([last[:, :1], y], axis=1), axis=1)
            return cls(kind, np.zeros(flat.shape[1]), step, 0.0, float(_safe(jumps.std())))
        raise ConfigError(f"unknown scaler {kind!r}.")

    def transform(self, x: np.ndarray, y: np.ndarray, last: np.ndarray,
                  dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
        """Scaled copies of x (n, L, F) and y (n, H); float32 for the model by default."""
        if self.kind == "last":
            xs = (x - last[:, None, :]) / self.x_scale
            ys = (y - last[:, :1]) / self.y_scale
        elif self.kind == "diff":
            xs = np.diff(x, axis=1, prepend=x[:, :1]) / self.x_scale
            ys = np.diff(np.concatenate([last[:, :1], y], axis=1), axis=1) / self.y_scale
        else:
            xs = (x - self.x_shift) / self.x_scale
            ys = (y - self.y_shift) / self.y_scale
        return xs.astype(dtype), ys.astype(dtype)

    def inverse_y(self, ys: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Targets (n, H) back in original units; `last` (n, F) anchors `last` and `diff`."""
        ys = np.asarray(ys, dtype=np.float64)
        if self.kind == "last":
            return ys * self.y_scale + last[:, :1]
        if self.kind == "diff":
            return np.cumsum(ys * self.y_scale, axis=1) + last[:, :1]
        return ys * self.y_scale + self.y_shift

    def to_dict(self) -> dict:
        return {"kind": self.kind, "x_shift": self.x_shift.tolist(), "x_scale": self.x_scale.tolist(),
                "y_shift": self.y_shift, "y_scale": self.y_scale}

    @classmethod
    def from_dict(cls, d: dict) -> "Scaler":
        return cls(d["kind"], np.asarray(d["x_shift"]), np.asarray(d["x_scale"]),
                   float(d["y_shift"]), float(d["y_scale"]))


def _safe(s):
    """Replace zero spreads by 1, so constant series scale to zeros instead of NaN."""
    s = np.asarray(s, dtype=np.float64)
    return np.where(s > 1e-12, s, 1.0) if s.ndim else (float(s) if s > 1e-12 else 1.0)


@dataclass
class Part:
    """One of train / val / test: raw and scaled windows plus where they sit in time."""

    x_raw: np.ndarray  # (n, L, F) original units
    y_raw: np.ndarray  # (n, H) original units
    last: np.ndarray  # (n, F) last input row
    x: np.ndarray  # (n, L, F) scaled float32
    y: np.ndarray  # (n, H) scaled float32
    t0: np.ndarray  # (n,) index of the first target (series) or of the sample (panel)

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class Prepared:
    """Everything the model, trainer and evaluation need, produced by `prepare`."""

    train: Part
    val: Part
    test: Part
    scaler: Scaler
    scaler_reason: str
    n_features: int
    horizon: int
    panel: bool
    train_end: int  # series index (or sample index for panels) where val starts
    val_end: int  # where test starts
    period: int | None = None  # seasonal period used by the seasonal-naive baseline


def prepare(data: SeriesData | PanelData, lookback: int, horizon: int, scaler: str,
            val_fraction: float, test_fraction: float) -> Prepared:
    """Split chronologically, window, fit the scaler on training windows, scale every part."""
    if isinstance(data, PanelData):
        x, y = data.x.astype(np.float64), data.y.astype(np.float64)
        if horizon != y.shape[1]:
            raise ConfigError(f"this data set has a fixed horizon of {y.shape[1]}; set horizon to {y.shape[1]}.")
        train_end, val_end = split_points(len(y), val_fraction, test_fraction)
        t0 = np.arange(len(y))
        masks = [t0 < train_end, (t0 >= train_end) & (t0 < val_end), t0 >= val_end]
        series_train = None
    else:
        if not np.isfinite(data.values).all():
            raise DataError("the series contains missing or infinite values; fill or drop them first.")
        biggest = float(np.abs(data.values).max()) if data.values.size else 0.0
        if biggest > MAX_ABS_VALUE:
            raise DataError(f"values up to {biggest:.3g} are too large to compute with (squared errors "
                            f"overflow); rescale the column so values stay below {MAX_ABS_VALUE:g}.")
        check_window_budget(len(data.values) - lookback - horizon + 1, lookback, data.values.shape[1])
        train_end, val_end = split_points(len(data.values), val_fraction, test_fraction)
        x, y, t0 = make_windows(data.values, lookback, horizon)
        last_target = t0 + horizon - 1
        masks = [last_target < train_end, (t0 >= train_end) & (last_target < val_end), t0 >= val_end]
        series_train = data.values[:train_end, 0]
    n_parts = [int(m.sum()) for m in masks]
    if n_parts[0] < MIN_TRAIN_WINDOWS or n_parts[2] < 1:
        what = "samples" if isinstance(data, PanelData) else "windows"
        fix = ("use more samples or a smaller validation / test share" if isinstance(data, PanelData) else
               f"use a shorter lookback (now {lookback}), a longer series ({len(data.values)} points now) "
               "or a smaller validation / test share")
        raise DataError(f"too few {what} to train on: {n_parts[0]} for training, {n_parts[1]} for "
                        f"validation, {n_parts[2]} for testing (at least {MIN_TRAIN_WINDOWS} training "
                        f"{what} and 1 test {what[:-1]} are needed); {fix}.")
    last = x[:, -1, :]
    kind, reason = scaler, "chosen by you"
    if scaler == "auto":
        kind, reason = choose_scaler(x[masks[0]], isinstance(data, PanelData), series_train)
    fitted = Scaler.fit(kind, x[masks[0]], y[masks[0]], last[masks[0]])
    parts = []
    for m in masks:
        xs, ys = fitted.transform(x[m], y[m], last[m])
        parts.append(Part(x[m], y[m], last[m], xs, ys, t0[m]))
    return Prepared(*parts, scaler=fitted, scaler_reason=reason, n_features=x.shape[-1],
                    horizon=horizon, panel=isinstance(data, PanelData), train_end=train_end,
                    val_end=val_end, period=getattr(data, "period", None))
