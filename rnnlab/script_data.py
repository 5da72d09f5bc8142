"""The text of an exported script, part 1: header, data, split, scaler and tensors (rnnlab/script.py fills
the `$names` in and picks the blocks a run needs). The code mirrors rnnlab/windows.py, scalers.py and
batches.py operation by operation: tests/test_script.py checks the metrics agree to 1e-6."""

HEADER = '''"""$title

Exported by rnnlab: $summary.
Run it with `python $name` (needs torch, numpy and pandas). On CPU, with the same seed, it trains
the same network on the same windows as rnnlab did and prints the test metrics as JSON.$caveat"""
import json
import math

import numpy as np
import pandas as pd
import torch
from torch import nn

# %% Settings
# The run's settings, with rnnlab's names.
LOOKBACK, HORIZON = $lookback, $horizon  # input window length, steps predicted
VAL_FRACTION, TEST_FRACTION = $val, $test  # chronological split: train | validation | test
CELL, HIDDEN, LAYERS, DROPOUT = $cell, $hidden, $layers, $dropout
EPOCHS, BATCH_SIZE, LR, WEIGHT_DECAY = $epochs, $batch, $lr, $wd
CLIP, PATIENCE, SEED = $clip, $patience, $seed  # gradient-norm clip (0: none); early stop (0: off)
torch.set_num_threads($threads)  # as rnnlab chose for this model: the same order of sums
'''

GENERATED = '''
# %% Data
# rnnlab's `$gen` generator, copied as it is, run with seed $seed.
class ConfigError(ValueError):
    pass


$container

$source

data = $fn($args)
'''

CSV = '''
# %% Data
$how
FORMATS = $formats  # column -> (decimal mark, thousands separators)
DATE_COLUMN, DATE_FORMAT = $date_column, $date_format  # rows are put in date order (None: file order)


def number(cells, decimal, thousands):
    cells = cells.str.strip()
    if thousands:
        cells = cells.str.replace("[" + thousands + "]", "", regex=True)
    return pd.to_numeric(cells.str.replace(decimal, ".", regex=False), errors="coerce")


def read_series(path):
    frame = pd.read_csv(path, sep=$sep, encoding=$encoding, dtype=str, skiprows=$skip)
    values = pd.DataFrame({c: number(frame[c], *FORMATS[c]) for c in FORMATS})
    values = values.replace([np.inf, -np.inf], np.nan)
    if DATE_COLUMN is not None:  # rows in date order; rows without a readable date dropped
        dates = pd.to_datetime(frame[DATE_COLUMN].str.strip(), format=DATE_FORMAT, dayfirst=$dayfirst,
                               errors="coerce")
        values, dates = values[dates.notna().to_numpy()], dates[dates.notna()]
        values.index = pd.DatetimeIndex(dates.to_numpy())
        values = values.sort_index(kind="stable")
    if values.isna().any(axis=None):  # missing values: $missing
        values = $fill
    return values.to_numpy(dtype=np.float64)


VALUES = read_series($path)
SHAPE, TOTAL = $shape, $total  # the values' shape and sum when rnnlab read the file
assert VALUES.shape == SHAPE and abs(VALUES.sum() - TOTAL) <= 1e-9 * max(1.0, abs(TOTAL)), (
    f"this file does not read as it did in rnnlab ({SHAPE} values summing to {TOTAL}): "
    "rnnlab's loader handles more formats than plain pandas; check the file, or load it in rnnlab")
'''

SERIES_WINDOWS = '''
# %% Split and windows
# Window i holds rows i .. i+LOOKBACK-1; its targets are the next HORIZON values of column 0. A window
# belongs to the part where its targets lie, so no target of validation or test is trained on.
values = $values  # (T, F)
period = None
n = len(values) - LOOKBACK - HORIZON + 1
x_raw = np.lib.stride_tricks.sliding_window_view(values, LOOKBACK, axis=0)[:n].transpose(0, 2, 1)
y_raw = np.lib.stride_tricks.sliding_window_view(values[LOOKBACK:, 0], HORIZON)[:n]
last = values[np.arange(n) + LOOKBACK - 1]  # each window's last row
t0 = np.arange(n) + LOOKBACK  # index of each window's first target
val_end = len(values) - int(round(len(values) * TEST_FRACTION))
train_end = val_end - int(round(len(values) * VAL_FRACTION))
parts = {"train": t0 + HORIZON - 1 < train_end, "val": (t0 >= train_end) & (t0 + HORIZON - 1 < val_end),
         "test": t0 >= val_end}
'''

PANEL_WINDOWS = '''
# %% Split and windows
# Each sample is its own window: the first samples train, then validation, then test (the fractions above).
x_raw, y_raw = data.x.astype(np.float64), data.y.astype(np.float64)
last = x_raw[:, -1, :]
val_end = len(y_raw) - int(round(len(y_raw) * TEST_FRACTION))
train_end = val_end - int(round(len(y_raw) * VAL_FRACTION))
t0 = np.arange(len(y_raw))
parts = {"train": t0 < train_end, "val": (t0 >= train_end) & (t0 < val_end), "test": t0 >= val_end}
period = None
'''

COVERAGE = '''

def coverage_stats(points, width, n_windows):
    """Mean and std of each column, each point weighted by how many training windows hold it."""
    t = np.arange(len(points))
    w = np.minimum.reduce([t + 1, np.full(len(t), width), np.full(len(t), n_windows),
                           n_windows + width - 1 - t]).astype(np.float64)
    w = w / w.sum()
    mean = w @ points
    return mean, np.sqrt(np.maximum(w @ (points - mean) ** 2, 0.0))
'''

SCALERS = {
    "none": ("inputs and targets are used as they are",
             "x_shift, x_scale, y_shift, y_scale = 0.0, 1.0, 0.0, 1.0"),
    "zscore": ("standardised with the training windows' mean and spread", None),
    "minmax": ("scaled to [0, 1] over the training range", None),
    "last": ("each window is made relative to its last value, in units of a typical step", None),
    "diff": ("each value becomes its change from the one before, in units of a typical step", None),
}

SCALE_FIT_SERIES = {
    "zscore": '''span = values[:n_train + LOOKBACK - 1]  # every point a training window covers
x_shift, x_scale = coverage_stats(span, LOOKBACK, n_train)
x_scale = safe(x_scale)
y_shift, y_scale = float(y_train.mean()), safe(y_train.std())''',
    "minmax": '''span = values[:n_train + LOOKBACK - 1]  # every point a training window covers
x_shift, x_scale = span.min(0), safe(span.max(0) - span.min(0))
y_shift, y_scale = float(y_train.min()), safe(y_train.max() - y_train.min())''',
    "steps": '''span = values[:n_train + LOOKBACK - 1]  # every point a training window covers
_, x_scale = coverage_stats(np.diff(span, axis=0), LOOKBACK - 1, n_train)  # a typical one-step change
x_scale, x_shift = safe(x_scale), 0.0
jumps = np.diff(np.concatenate([last[parts["train"], :1], y_train], axis=1), axis=1)
y_shift, y_scale = 0.0, safe(jumps.std())''',
}

SCALE_FIT_PANEL = {
    "zscore": '''flat = x_raw[parts["train"]].reshape(-1, x_raw.shape[-1])
x_shift, x_scale = flat.mean(0), safe(flat.std(0))
y_shift, y_scale = float(y_train.mean()), safe(y_train.std())''',
    "minmax": '''flat = x_raw[parts["train"]].reshape(-1, x_raw.shape[-1])
x_shift, x_scale = flat.min(0), safe(flat.max(0) - flat.min(0))
y_shift, y_scale = float(y_train.min()), safe(y_train.max() - y_train.min())''',
    "steps": '''x_scale, x_shift = safe(np.diff(x_raw[parts["train"]], axis=1).reshape(-1, x_raw.shape[-1]).std(0)), 0.0
jumps = np.diff(np.concatenate([last[parts["train"], :1], y_train], axis=1), axis=1)
y_shift, y_scale = 0.0, safe(jumps.std())''',
}

TRANSFORM = {
    "last": ('''(x - last[:, None, :]) / x_scale''', '''(y - last[:, :1]) / y_scale''',
             '''ys * y_scale + last[:, :1]'''),
    "diff": ('''np.diff(x, axis=1, prepend=x[:, :1]) / x_scale''',
             '''np.diff(np.concatenate([last[:, :1], y], axis=1), axis=1) / y_scale''',
             '''np.cumsum(ys * y_scale, axis=1) + last[:, :1]'''),
    "level": ('''(x - x_shift) / x_scale''', '''(y - y_shift) / y_scale''', '''ys * y_scale + y_shift'''),
}

SCALER = '''
# %% Scaler
$about
def safe(s):
    """Zero spreads become 1, so a constant column scales to zeros instead of NaN."""
    s = np.asarray(s, dtype=np.float64)
    return np.where(s > 1e-12, s, 1.0) if s.ndim else (float(s) if s > 1e-12 else 1.0)
$coverage

n_train, y_train = int(parts["train"].sum()), y_raw[parts["train"]]
$fit


def scale_inputs(x, last):
    return ($tx).astype(np.float32)


def scale_targets(y, last):
    return ($ty).astype(np.float32)


def unscale_targets(ys, last):
    return $inv
'''

TENSORS_LAST = '''
# %% Tensors
# The model sees scaled windows (n, LOOKBACK, F) and learns each window's scaled targets (n, HORIZON).
x = {k: torch.as_tensor(scale_inputs(x_raw[m], last[m])) for k, m in parts.items()}
y = {k: torch.as_tensor(scale_targets(y_raw[m], last[m])) for k, m in parts.items()}
x_fit, y_fit = x["train"], y["train"]
'''

TENSORS_EVERY = '''
# %% Tensors
# Loss after every step: training sequences of $seq steps start at every row whose targets stay in the
# training part; after step t the model predicts the next HORIZON values. Validation and test keep
# their windows and are scored on each window's last step.
x = {k: torch.as_tensor(scale_inputs(x_raw[m], last[m])) for k, m in parts.items()}
y = {k: torch.as_tensor(scale_targets(y_raw[m], last[m])) for k, m in parts.items()}
SEQ = $seq
starts = np.arange(train_end - SEQ - HORIZON + 1)
seqs = np.lib.stride_tricks.sliding_window_view(values, SEQ, axis=0)[starts].transpose(0, 2, 1)
x_fit = torch.as_tensor(scale_inputs(seqs, values[starts + SEQ - 1]))
v = values[:, 0]
v = $steps  # the target column, scaled as targets are
steps_ahead = np.lib.stride_tricks.sliding_window_view(v.astype(np.float32), HORIZON)  # (T - H + 1, H)
y_fit = torch.as_tensor(steps_ahead[starts[:, None] + np.arange(1, SEQ + 1)].copy())  # (n, SEQ, H)
'''

CONTAINERS = {
    "series": '''class SeriesData:  # what the generator returns: values (T, 1), dates, its seasonal period
    def __init__(self, values, names, dates=None, period=None, notes=()):
        self.values, self.dates, self.period = values, dates, period''',
    "panel": '''class PanelData:  # what the generator returns: independent samples x (N, L, F), targets y (N, H)
    def __init__(self, x, y, names, target_name="target", notes=()):
        self.x, self.y = x, y''',
}
