"""Scalers fitted on the training part only, and the `auto` rule that picks one.

Every statistic comes from training windows. For a single series they are computed from the
series itself, each point weighted by how many training windows contain it, which equals the
statistic over all training windows without building them (n windows x L steps).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnlab.errors import ConfigError

ADF_MAX_POINTS = 20_000  # the unit-root test looks at the last this-many training points (cost)
DF_CRITICAL_5PC = -2.86  # (augmented) Dickey-Fuller critical value (constant, no trend), 5 % level
ADF_SHORT = 60  # below this many points the test (lags by AIC) rejects a true random walk about twice as often


def adf(y: np.ndarray, maxlag: int | None = None) -> tuple[float, int]:
    """Augmented Dickey-Fuller test with a constant, lag count chosen by AIC: (t-statistic, lags).

    dy_t = a + beta y_{t-1} + sum_{i<=p} c_i dy_{t-i} + e; t is beta's t-statistic (near 0: a unit
    root, a random walk). Follows statsmodels' `adfuller(y, regression="c", autolag="AIC")`: at most
    ceil(12 (n/100)^(1/4)) lags (Schwert), capped at n/2 - 2; every p from 0 to that maximum is
    fitted on the same observations and the smallest AIC wins; the chosen p is refitted on all the
    observations it allows (always using the maximum lag costs a short series its test power).
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    if maxlag is None:
        maxlag = min(n // 2 - 2, int(np.ceil(12.0 * (n / 100.0) ** 0.25)))
    maxlag = max(int(maxlag), 0)
    dy = np.diff(y)
    if len(dy) - maxlag < maxlag + 4:  # too short for any lag: the plain Dickey-Fuller test
        maxlag = 0
    m = len(dy) - maxlag  # the common sample: the last m differences
    a, target = _df_design(y, dy, maxlag, m)
    # The models for p = 0..maxlag are the design's leading 2 + p columns, so one QR gives every SSR:
    # SSR(k columns) = SSR(all) + the squared parts of Q'y beyond k (one factorisation, not 22 fits).
    q, _ = np.linalg.qr(a)
    qty = q.T @ target
    resid = target - q @ qty
    beyond = np.append(np.cumsum(qty[::-1] ** 2)[::-1], 0.0)  # beyond[k]: sum of qty[j]^2 for j >= k
    full = float(resid @ resid)
    best = None
    for p in range(maxlag + 1):
        k = 2 + p
        ssr = full + float(beyond[k])
        aic = m * np.log(ssr / m) + 2 * k if ssr > 0 else -np.inf
        if best is None or aic < best[0]:
            best = (aic, p)
    p = best[1]
    t, _, _ = _df_fit(y, dy, p, len(dy) - p)
    return t, p


def _df_design(y: np.ndarray, dy: np.ndarray, p: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """[1, level, p lagged differences] and the target for the last m differences."""
    end = len(dy)
    cols = [np.ones(m), y[end - m:end]] + [dy[end - m - i:end - i] for i in range(1, p + 1)]
    return np.column_stack(cols), dy[end - m:]


def _df_fit(y: np.ndarray, dy: np.ndarray, p: int, m: int) -> tuple[float, float, int]:
    """OLS of the last m differences on [1, level, p lagged differences]: (t of level, SSR, columns)."""
    a, target = _df_design(y, dy, p, m)
    coef, *_ = np.linalg.lstsq(a, target, rcond=None)
    resid = target - a @ coef
    ssr = float(resid @ resid)
    dof = max(m - a.shape[1], 1)
    cov = (ssr / dof) * np.linalg.pinv(a.T @ a)
    se = np.sqrt(max(cov[1, 1], 0.0))
    return (float(coef[1] / se) if se > 0 else 0.0), ssr, a.shape[1]


def choose_scaler(x_train: np.ndarray, panel: bool, series_train: np.ndarray | None) -> tuple[str, str]:
    """The `auto` rule, from training data only. Returns (scaler, reason in words).

    - Panels of independent windows: `last` when window levels differ far more between windows
      than within one (3x), so the level carries no information (the seed-sales case); else zscore.
    - One series: `last` when an augmented Dickey-Fuller test (lags by AIC) on the training part
      cannot reject a unit root (t > -2.86): the level wanders, so future values leave the training
      range and a model must predict changes; else `minmax` (mean-reverting: the level is kept; on
      short real series minmax did better than zscore, which overfit as training grew).
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
    t, lags = adf(recent)
    on = f", on its last {ADF_MAX_POINTS:,} points" if len(series_train) > ADF_MAX_POINTS else ""
    test = f"Dickey-Fuller t = {t:.2f} with {lags} lag{'s' * (lags != 1)} chosen by AIC"
    if t > DF_CRITICAL_5PC:
        return "last", (f"the training part wanders like a random walk ({test} > {DF_CRITICAL_5PC}{on}), "
                        "so the model predicts changes from the last value")
    caution = "" if len(recent) >= ADF_SHORT else (
        f"; on {len(recent)} points this test calls up to one random walk in ten mean-reverting: if later "
        "values leave the training range, choose `last` (the shrink toward persistence also guards this)")
    return "minmax", (f"the training part is mean-reverting ({test}{on}), so values are scaled to "
                      f"[0, 1] over the training range{caution}")


@dataclass
class Scaler:
    """Invertible transform of windows; every statistic comes from training windows only."""

    kind: str  # none | zscore | minmax | last | diff
    x_shift: np.ndarray = field(default_factory=lambda: np.zeros(1))  # (F,)
    x_scale: np.ndarray = field(default_factory=lambda: np.ones(1))  # (F,)
    y_shift: float = 0.0
    y_scale: float = 1.0

    @classmethod
    def fit_series(cls, kind: str, values: np.ndarray, n_train: int, lookback: int, y: np.ndarray,
                   last: np.ndarray) -> "Scaler":
        """Fit on the first n_train windows of a (T, F) series without building them: the same
        numbers as `fit` on those windows (up to summation order)."""
        span = values[:n_train + lookback - 1]  # every point some training window covers
        if kind == "none":
            return cls(kind, np.zeros(values.shape[1]), np.ones(values.shape[1]))
        if kind == "zscore":
            mean, std = _weighted_stats(span, _coverage(len(span), lookback, n_train))
            return cls(kind, mean, _safe(std), float(y.mean()), float(_safe(y.std())))
        if kind == "minmax":
            lo, hi = span.min(0), span.max(0)
            return cls(kind, lo, _safe(hi - lo), float(y.min()), float(_safe(y.max() - y.min())))
        if kind in ("last", "diff"):
            if lookback > 1:  # steps inside windows: pair (t, t+1) counted once per window holding both
                _, step = _weighted_stats(np.diff(span, axis=0), _coverage(len(span) - 1, lookback - 1, n_train))
            else:
                _, step = _weighted_stats(span, _coverage(len(span), lookback, n_train))
            jumps = np.diff(np.concatenate([last[:, :1], y], axis=1), axis=1)
            return cls(kind, np.zeros(values.shape[1]), _safe(step), 0.0, float(_safe(jumps.std())))
        raise ConfigError(f"unknown scaler {kind!r}.")

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

    def persistence(self) -> tuple[float, float]:
        """(w, b): repeating the last value is, in scaled target units, w * (the target's last scaled
        input) + b; (0, 0) for `last` and `diff`, whose zero output already is persistence."""
        if self.kind in ("last", "diff"):
            return 0.0, 0.0
        return float(self.x_scale[0] / self.y_scale), float((self.x_shift[0] - self.y_shift) / self.y_scale)

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

    def transform_y(self, y: np.ndarray, last: np.ndarray, dtype=np.float32) -> np.ndarray:
        """Scaled targets (n, H) alone (no windows needed)."""
        if self.kind == "last":
            ys = (y - last[:, :1]) / self.y_scale
        elif self.kind == "diff":
            ys = np.diff(np.concatenate([last[:, :1], y], axis=1), axis=1) / self.y_scale
        else:
            ys = (y - self.y_shift) / self.y_scale
        return ys.astype(dtype)

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


def _coverage(n_points: int, width: int, n_windows: int) -> np.ndarray:
    """How many of n_windows windows of `width` consecutive points (starting at 0, 1, ...) hold each point."""
    t = np.arange(n_points)
    return np.minimum.reduce([t + 1, np.full(n_points, width), np.full(n_points, n_windows),
                              n_windows + width - 1 - t]).astype(np.float64)


def _weighted_stats(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and (population) standard deviation of values (T, F) with weights (T,)."""
    w = weights / weights.sum()
    mean = w @ values
    return mean, np.sqrt(np.maximum(w @ (values - mean) ** 2, 0.0))
