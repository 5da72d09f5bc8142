"""The data a run trains on: loaded or generated, split, windowed and scaled, its season detected.

Torch-free, so the app's pages can show the data (and a fresh server its first page) without
importing torch."""
from __future__ import annotations

import numpy as np

from rnnlab.config import DataConfig
from rnnlab.data import PanelData, SeriesData
from rnnlab.data.generators import checked_params, generate
from rnnlab.windows import Prepared, check_window_budget, prepare

PERIOD_Z = 2.58  # an autocorrelation peak must clear z / sqrt(n): the 99 % band of white noise
PERIOD_FUNDAMENTAL = 0.8  # the shortest peak this close to the highest is the period, not a multiple of it


def detect_period(series: np.ndarray, max_period: int) -> int | None:
    """Seasonal period from the autocorrelation of the (detrended) training part, or None.

    A period is a local peak of the autocorrelation above both 0.2 and PERIOD_Z / sqrt(n), the 99 %
    band of white noise (on a short series chance peaks are large; about 1 % of white-noise series
    report a period). Of the peaks, the shortest one within PERIOD_FUNDAMENTAL of the highest wins,
    so a noisy monthly series reports 12 rather than 24 or 36 (docs/recipe.md has the figures)."""
    y = np.asarray(series, float)
    scale = np.abs(y).max() if len(y) >= 8 and np.isfinite(y).all() else 0.0
    if scale == 0:
        return None
    y = y / scale  # correlations do not depend on the scale; values near 1e300 would overflow
    if np.std(y) == 0:
        return None
    y = np.diff(y) if abs(np.corrcoef(y[:-1], y[1:])[0, 1]) > 0.95 else y - y.mean()
    y = y - y.mean()
    max_period = min(max_period, len(y) // 3)
    if max_period < 2 or np.std(y) < 1e-12:  # constant (steps of a straight line): only rounding noise left
        return None
    spectrum = np.fft.rfft(y, n=2 * len(y))  # autocorrelation by FFT: O(n log n) for any max_period
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[1:max_period + 1] / np.dot(y, y)
    bound = max(0.2, PERIOD_Z / np.sqrt(len(y)))
    peaks = [k for k in range(2, max_period) if acf[k - 1] > acf[k - 2] and acf[k - 1] >= acf[k]
             and acf[k - 1] > bound]
    if not peaks:
        return None
    top = max(acf[k - 1] for k in peaks)
    return min(k for k in peaks if acf[k - 1] >= PERIOD_FUNDAMENTAL * top)



def load_data(cfg: DataConfig, csv_bytes: bytes | None = None) -> SeriesData | PanelData:
    """The data a DataConfig names: raw CSV bytes (uploads), a CSV path, or a generator."""
    if csv_bytes is not None or cfg.csv_path is not None:
        from rnnlab.data.csv import load_csv  # pandas: loaded when a CSV is read, not on the first page

        return load_csv(csv_bytes if csv_bytes is not None else cfg.csv_path, column=cfg.column,
                        date_column=cfg.date_column, inputs=cfg.inputs, missing=cfg.missing,
                        decimal=cfg.decimal, thousands=cfg.thousands)
    planned_size(cfg)  # refuse oversized runs and wrong parameters before generating anything
    return generate(cfg.generator, length=cfg.length, samples=cfg.samples, lookback=cfg.lookback,
                    params=cfg.params, seed=cfg.data_seed)


def planned_size(cfg: DataConfig) -> tuple[str, int]:
    """What load_data makes of a generator's config, without making it: ("series", points) or
    ("panel", samples; each window cfg.lookback long). Raises where load_data would (ConfigError for
    a wrong generator or parameter, DataError for a run too big). The sidebar names the data with it
    on every page, so a fresh server's first page needs neither the series nor pandas (its dates)."""
    spec, _ = checked_params(cfg.generator, cfg.params, cfg.lookback)
    if spec.kind == "panel":
        check_window_budget(cfg.samples, cfg.lookback, 2, panel=True)
        return "panel", cfg.samples
    check_window_budget(cfg.length - cfg.lookback - cfg.horizon + 1, cfg.lookback, 1, panel=False)
    return "series", cfg.length


def prepare_data(cfg: DataConfig, data: SeriesData | PanelData) -> Prepared:
    """Split, window and scale; fill in the seasonal period from training data when unknown."""
    prep = prepare(data, cfg.lookback, cfg.horizon, cfg.scaler, cfg.val_fraction, cfg.test_fraction)
    if prep.period is None and not prep.panel:
        prep.period = detect_period(data.values[:prep.train_end, 0], max_period=cfg.lookback)
    return prep
