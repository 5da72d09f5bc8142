"""Chronological split and windows: each part is a list of window positions over one shared series.

Shapes: x (n, L, F) inputs, y (n, H) targets, `last` (n, F) the last observed input row of each
window in original units (the anchor of the `last` / `diff` scalers and of persistence).

A single series is never copied into windows: a part keeps the window start positions and builds
windows on demand, a chunk at a time (numpy here, `rnnlab.batches` on the training device), so
memory grows with the series (T x F), not with T x L x F. Panels of independent samples already
are windows and are kept as they are.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnlab.data import PanelData, SeriesData
from rnnlab.errors import ConfigError, DataError
from rnnlab.scalers import Scaler, choose_scaler

MAX_SERIES_WINDOW_VALUES = 1_000_000_000  # n·L·F per epoch of a single series: a compute budget
MAX_PANEL_VALUES = 30_000_000  # n·L·F of a panel, held in memory as it is (about 0.7 GB with copies)
MIN_TRAIN_WINDOWS = 20  # fewer training windows are refused: nothing can be learned from them
MAX_ABS_VALUE = 1e100  # larger values overflow squared errors and least squares in float64
CHUNK = 8192  # windows built at a time when a whole part is scanned


def check_window_budget(n_windows: int, lookback: int, n_features: int, panel: bool = False) -> None:
    """Refuse, before anything is allocated, runs past the server's budget (the limit is named)."""
    values = max(n_windows, 0) * lookback * n_features
    limit = MAX_PANEL_VALUES if panel else MAX_SERIES_WINDOW_VALUES
    if values > limit:
        what = ("held in memory" if panel else "read per epoch")
        raise DataError(
            f"{n_windows:,} windows × lookback {lookback:,} × {n_features} column(s) = {values / 1e6:,.0f} million "
            f"window values {what}, over the limit of {limit / 1e6:,.0f} million; shorten the lookback or the "
            + ("number of samples." if panel else "series."))


def split_points(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """Indices (train_end, val_end): train = [0, train_end), val = [train_end, val_end), test after."""
    val_end = n - int(round(n * test_fraction))
    train_end = val_end - int(round(n * val_fraction))
    return train_end, val_end


def make_windows(values: np.ndarray, lookback: int, horizon: int) -> tuple[np.ndarray, ...]:
    """All windows of a (T, F) series built at once: x (n, L, F), y (n, H) from column 0, t0 (n,) first
    target index. The reference the lazy parts are tested against; prepare never calls it."""
    n = _count_windows(len(values), lookback, horizon)
    x = np.lib.stride_tricks.sliding_window_view(values, lookback, axis=0)[:n]  # (n, F, L)
    y = np.lib.stride_tricks.sliding_window_view(values[lookback:, 0], horizon)[:n].copy()
    return np.ascontiguousarray(x.transpose(0, 2, 1)), y, np.arange(lookback, lookback + n)


def _count_windows(t_len: int, lookback: int, horizon: int) -> int:
    n = t_len - lookback - horizon + 1
    if n < 1:
        raise DataError(f"the series has {t_len} points but lookback {lookback} + horizon {horizon} "
                        "needs more; shorten the lookback or use a longer series.")
    return n


@dataclass
class Windows:
    """Where windows come from: a (T, F) series (window i = rows i .. i+L-1) or a panel (N, L, F)."""

    values: np.ndarray  # (T, F) series, or (N, L, F) panel samples, float64
    lookback: int
    panel: bool
    scaler: Scaler | None = None  # set once fitted on the training part

    def raw(self, pos: np.ndarray) -> np.ndarray:
        """Windows at positions pos, original units: (len(pos), L, F) float64 (a new array)."""
        if self.panel:
            return self.values[pos]
        view = np.lib.stride_tricks.sliding_window_view(self.values, self.lookback, axis=0)  # (n, F, L)
        return view[pos].transpose(0, 2, 1).copy()


@dataclass
class Part:
    """One of train / val / test: window positions, targets and where they sit in time."""

    windows: Windows  # shared by the three parts
    pos: np.ndarray  # (n,) window positions (series: start row; panel: sample index)
    y_raw: np.ndarray  # (n, H) original units
    last: np.ndarray  # (n, F) last input row
    y: np.ndarray  # (n, H) scaled float32
    t0: np.ndarray  # (n,) index of the first target (series) or of the sample (panel)

    def __len__(self) -> int:
        return len(self.y)

    def raw(self, a: int = 0, b: int | None = None) -> np.ndarray:
        """Windows a..b in original units, (b - a, L, F) float64."""
        return self.windows.raw(self.pos[a:b])

    def scaled(self, a: int = 0, b: int | None = None) -> np.ndarray:
        """Model inputs for windows a..b, (b - a, L, F) float32."""
        xs, _ = self.windows.scaler.transform(self.raw(a, b), self.y_raw[a:b], self.last[a:b])
        return xs

    def chunks(self, size: int | None = None):
        """Ranges (a, b) covering the part, for scans that must not build every window at once."""
        size = size or CHUNK
        return [(a, min(a + size, len(self))) for a in range(0, len(self), size)]

    @property
    def x_raw(self) -> np.ndarray:
        """Every window in original units (builds them all: small parts, tests and pages only)."""
        return self.raw()

    @property
    def x(self) -> np.ndarray:
        """Every window scaled (builds them all: small parts, tests and pages only)."""
        return self.scaled()


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
    """Split chronologically, place windows, fit the scaler on training windows, scale the targets."""
    panel = isinstance(data, PanelData)
    if panel:
        windows, y, t0, masks, series_train = _panel(data, horizon, val_fraction, test_fraction)
    else:
        windows, y, t0, masks, series_train = _series(data, lookback, horizon, val_fraction, test_fraction)
    n_parts = [int(m.sum()) for m in masks]
    if n_parts[0] < MIN_TRAIN_WINDOWS or n_parts[2] < 1:
        what = "samples" if panel else "windows"
        fix = ("use more samples or a smaller validation / test share" if panel else
               f"use a shorter lookback (now {lookback}), a longer series ({len(data.values)} points now) "
               "or a smaller validation / test share")
        raise DataError(f"too few {what} to train on: {n_parts[0]} for training, {n_parts[1]} for "
                        f"validation, {n_parts[2]} for testing (at least {MIN_TRAIN_WINDOWS} training "
                        f"{what} and 1 test {what[:-1]} are needed); {fix}.")
    pos_all = np.arange(len(y))
    last = (windows.values[:, -1, :] if panel else windows.values[pos_all + lookback - 1])  # (n, F)
    train = masks[0]
    kind, reason = scaler, "chosen by you"
    if scaler == "auto":
        kind, reason = choose_scaler(windows.values[train] if panel else None, panel, series_train)
    if panel:
        windows.scaler = Scaler.fit(kind, windows.values[train], y[train], last[train])
    else:  # the training windows are the first n_parts[0]: fit from the series itself
        windows.scaler = Scaler.fit_series(kind, windows.values, n_parts[0], lookback, y[train], last[train])
    parts = [Part(windows, pos_all[m], y[m], last[m], windows.scaler.transform_y(y[m], last[m]), t0[m])
             for m in masks]
    train_end, val_end = split_points(len(y) if panel else len(data.values), val_fraction, test_fraction)
    return Prepared(*parts, scaler=windows.scaler, scaler_reason=reason, n_features=windows.values.shape[-1],
                    horizon=horizon, panel=panel, train_end=train_end, val_end=val_end,
                    period=getattr(data, "period", None))


def _panel(data: PanelData, horizon: int, val_fraction: float, test_fraction: float):
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    if horizon != y.shape[1]:
        raise ConfigError(f"this data set has a fixed horizon of {y.shape[1]}; set horizon to {y.shape[1]}.")
    train_end, val_end = split_points(len(y), val_fraction, test_fraction)
    t0 = np.arange(len(y))
    masks = [t0 < train_end, (t0 >= train_end) & (t0 < val_end), t0 >= val_end]
    return Windows(x, x.shape[1], panel=True), y, t0, masks, None


def _series(data: SeriesData, lookback: int, horizon: int, val_fraction: float, test_fraction: float):
    values = np.ascontiguousarray(data.values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise DataError("the series contains missing or infinite values; fill or drop them first.")
    biggest = float(np.abs(values).max()) if values.size else 0.0
    if biggest > MAX_ABS_VALUE:
        raise DataError(f"values up to {biggest:.3g} are too large to compute with (squared errors "
                        f"overflow); rescale the column so values stay below {MAX_ABS_VALUE:g}.")
    n = _count_windows(len(values), lookback, horizon)
    check_window_budget(n, lookback, values.shape[1])
    train_end, val_end = split_points(len(values), val_fraction, test_fraction)
    y = np.lib.stride_tricks.sliding_window_view(values[lookback:, 0], horizon)[:n].copy()  # (n, H)
    t0 = np.arange(lookback, lookback + n)
    last_target = t0 + horizon - 1
    masks = [last_target < train_end, (t0 >= train_end) & (last_target < val_end), t0 >= val_end]
    return Windows(values, lookback, panel=False), y, t0, masks, values[:train_end, 0]
