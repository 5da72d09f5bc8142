"""A run as one standalone PyTorch script (and notebook) that a learner can read and run.

`export_script(cfg, data)` writes the data, split, scaler, model, training loop and evaluation of
this run's recipe as plain torch / numpy / pandas code, specialised to the config: only the chosen
generator (its source inlined), scaler, loss and cell appear. Run with `python script.py` on CPU,
it prints one JSON object whose test MSE and MAE equal the CLI's `--json` values (tests/test_script.py
runs every preset and lesson configuration and a CSV run). The arithmetic mirrors the engine step by
step (rnnlab/windows.py, scalers.py, batches.py, models.py, train.py, experiment.py, evaluate.py):
a change there must change the text here, or that test fails.

Sections start with `# %% Title` lines: editors run them as cells, and `export_notebook` turns each
into a markdown cell (the title and the comment under it) and a code cell.
"""
from __future__ import annotations

import inspect
import json
import textwrap
from string import Template

from rnnlab.config import GATES, RunConfig
from rnnlab.data import PanelData, SeriesData
from rnnlab.data.generators import GENERATORS
from rnnlab.errors import ConfigError
from rnnlab.inputs import detect_period
from rnnlab.serve import auto_threads

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
# The CSV file as rnnlab read it: $how.
FORMATS = $formats  # column -> (decimal mark, thousands separators)


def number(cells, decimal, thousands):
    cells = cells.str.strip()
    if thousands:
        cells = cells.str.replace("[" + thousands + "]", "", regex=True)
    return pd.to_numeric(cells.str.replace(decimal, ".", regex=False), errors="coerce")


def read_series(path):
    frame = pd.read_csv(path, sep=$sep, encoding=$encoding, dtype=str, skiprows=$skip)
    values = pd.DataFrame({c: number(frame[c], *FORMATS[c]) for c in FORMATS})
    values = values.replace([np.inf, -np.inf], np.nan)
    if $date_column is not None:  # rows in date order; rows without a readable date dropped
        dates = pd.to_datetime(frame[$date_column].str.strip(), format=$date_format, dayfirst=$dayfirst,
                               errors="coerce")
        values, dates = values[dates.notna().to_numpy()], dates[dates.notna()]
        values.index = pd.DatetimeIndex(dates.to_numpy())
        values = values.sort_index(kind="stable")
    if values.isna().any(axis=None):  # missing values: $missing
        values = $fill
    return values.to_numpy(dtype=np.float64)


VALUES = read_series($path)
assert VALUES.shape == $shape and abs(VALUES.sum() - $total) <= 1e-9 * max(1.0, abs($total)), (
    "this file does not read as it did in rnnlab ($shape values summing to $total): rnnlab's loader "
    "handles more formats than plain pandas; check the file, or load it in rnnlab")
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
# Each sample is its own window: the first 70 % train, then validation, then test.
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
    """Mean and std of each column of points, each point weighted by how many training windows hold it."""
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

MODEL = '''
# %% Model
# $what, then a linear layer from the last hidden state to the HORIZON predictions.
class Forecaster(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.rnn = nn.$module(n_features, HIDDEN, num_layers=LAYERS, batch_first=True,
            dropout=DROPOUT if LAYERS > 1 else 0.0$extra)
        self.head = nn.Linear(HIDDEN, HORIZON)
        self.register_buffer("blend", None)  # a share of "repeat the last value", set by the shrink

    def forward(self, x, all_steps=False):
        out, _ = self.rnn(x)  # (batch, steps, HIDDEN): the hidden state after every step
        y = self.head(out) if all_steps else self.head(out[:, -1])
        if self.blend is not None:
            y = y + (x[:, :, :1] if all_steps else x[:, -1, :1]) * self.blend[0] + self.blend[1]
        return y


torch.manual_seed(SEED)
model = Forecaster(x_raw.shape[-1])
'''

INIT = '''with torch.no_grad():  # initialisation `$init` (gain $gain) of every recurrent matrix block
    for layer in range(LAYERS):
        w_hh = getattr(model.rnn, f"weight_hh_l{layer}")
        for b in range($blocks):
            $block
        nn.init.xavier_uniform_(getattr(model.rnn, f"weight_ih_l{layer}"))
        getattr(model.rnn, f"bias_ih_l{layer}").zero_()
        getattr(model.rnn, f"bias_hh_l{layer}").zero_()$forget
'''

TRAIN = '''
# %% Training
$about
optimizer = $make_optimizer
order = torch.Generator().manual_seed(SEED)
params = [p for p in model.parameters() if p.requires_grad]
best, best_state, bad_epochs, stopped = math.inf, None, 0, "completed"


def validation_loss():
    model.eval()
    with torch.no_grad():
        total = 0.0
        for i in range(0, len(x["val"]), 4096):
            total += float(((model(x["val"][i:i + 4096]) - y["val"][i:i + 4096]) ** 2).sum())
    model.train()
    return total / y["val"].numel() if len(x["val"]) else None


model.train()
for epoch in range(1, EPOCHS + 1):
    perm, losses = torch.randperm(len(y_fit), generator=order), []
    for i in range(0, len(y_fit), BATCH_SIZE):
        xb, yb = x_fit[perm[i:i + BATCH_SIZE]], y_fit[perm[i:i + BATCH_SIZE]]
        optimizer.zero_grad(set_to_none=True)
        loss = $loss
        loss.backward()
        norm = nn.utils.clip_grad_norm_(params, CLIP if CLIP > 0 else math.inf)
        loss_v, norm_v = torch.stack([loss.detach(), norm]).tolist()
        if not (math.isfinite(loss_v) and math.isfinite(norm_v)):
            stopped = "diverged"
            break
        optimizer.step()
        losses.append(loss_v)
    if stopped == "diverged":
        break
    val = validation_loss()
    print(f"epoch {epoch}: train loss {np.mean(losses):.5f}, validation loss {val}")
    if PATIENCE and val is not None:  # early stopping keeps the best epoch's weights
        if val < best - 1e-12:
            best, best_state, bad_epochs = val, {k: v.clone() for k, v in model.state_dict().items()}, 0
        else:
            bad_epochs += 1
            if bad_epochs >= PATIENCE:
                stopped = "early-stop"
                break
if best_state is not None:
    model.load_state_dict(best_state)
model.eval()


def predict(xs, last_rows):
    """Predictions in the series' units, (n, HORIZON)."""
    with torch.no_grad():
        out = [model(xs[i:i + 4096]).float().numpy() for i in range(0, len(xs), 4096)]
    return unscale_targets(np.concatenate(out) if out else np.zeros((0, HORIZON)), last_rows)
'''

SHRINK = '''
# %% Shrink toward persistence
# A network that did worse than repeating the last value on validation is shrunk toward it:
# prediction = alpha * (network) + (1 - alpha) * (last value), alpha fitted on validation only.
last_val = last[parts["val"], :1]
change = predict(x["val"], last[parts["val"]]) - last_val
truth = y_raw[parts["val"]] - last_val
if np.isfinite(change).all() and np.mean((truth - change) ** 2) >= np.mean(truth ** 2):
    alpha = float(np.clip((truth * change).sum() / max((change * change).sum(), 1e-300), 0.0, 1.0))
    with torch.no_grad():
        for p in (model.head.weight, model.head.bias):
            p.mul_(alpha)
        share = torch.tensor($persistence, dtype=torch.float32)
        share = (1 - alpha) * share[:, None].expand(2, HORIZON)
        model.blend = share.clone() if bool(share.any()) else None
    print(f"shrunk toward persistence: alpha = {alpha:.3f}")
'''

EVALUATE = '''
# %% Evaluation
# Test metrics in the series' units, next to baselines on the same test windows: persistence (repeat
# the last value), seasonal naive (the value one season back) and a linear autoregression.
test = parts["test"]
truth, last_test = y_raw[test], last[test]
pred = predict(x["test"], last_test)
past = x_raw[test][:, :, 0]  # each test window's own past of the target
baselines = {"persistence": np.repeat(last_test[:, :1], HORIZON, axis=1)}
if period and period <= LOOKBACK:
    cols = [LOOKBACK - period * int(np.ceil(k / period)) + (k - 1) for k in range(1, HORIZON + 1)]
    baselines["seasonal_naive"] = past[:, cols]
$linear

def scores(p):
    err = np.asarray(p, float) - truth
    if not np.isfinite(err).all():
        return {"mse": None, "mae": None}
    return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err)))}


print(json.dumps({"test": scores(pred), "baselines": {k: scores(v) for k, v in baselines.items()},
                  "stopped": stopped, "epochs": epoch, "windows": {k: int(m.sum()) for k, m in parts.items()}}))
'''


LINEAR = '''tr = parts["train"]  # linear: least squares on the training windows, relative to the last value
feats = np.column_stack([x_raw[tr][:, :, 0] - last[tr, :1], np.ones(tr.sum())])
coef = np.linalg.solve(feats.T @ feats + 1e-6 * np.eye(feats.shape[1]), feats.T @ (y_raw[tr] - last[tr, :1]))
baselines["linear"] = np.column_stack([past - last_test[:, :1], np.ones(len(past))]) @ coef + last_test[:, :1]
'''
CONTAINERS = {
    "series": '''class SeriesData:  # what the generator returns: values (T, 1), dates, its seasonal period
    def __init__(self, values, names, dates=None, period=None, notes=()):
        self.values, self.dates, self.period = values, dates, period''',
    "panel": '''class PanelData:  # what the generator returns: independent samples x (N, L, F), targets y (N, H)
    def __init__(self, x, y, names, target_name="target", notes=()):
        self.x, self.y = x, y''',
}


def _lit(v) -> str:
    return repr(v)


def _comment(text: str) -> str:
    """Text as comment lines of at most 100 characters."""
    return "\n".join("# " + line for line in textwrap.wrap(text, 98))


def export_script(cfg: RunConfig, data: SeriesData | PanelData, name: str = "rnnlab_run.py",
                  scaler: str | None = None, scaler_reason: str = "", loss: str | None = None, seq: int = 0,
                  epochs: int | None = None, note: str = "") -> str:
    """The run as one standalone script. `scaler`, `loss` and `seq` are the recipe's resolved choices
    (a Setup has them; None: the config's own, which must then not be `auto`); `epochs` the epochs to
    train (a run cut short by a time budget trained fewer); `note` a caveat for the header."""
    m, t, d = cfg.model, cfg.train, cfg.data
    if m.highway:
        raise ConfigError("export to a script does not cover the highway yet; turn it off to export.")
    if t.optimizer not in ("adam", "sgd", "rmsprop"):
        raise ConfigError(f"unknown optimizer {t.optimizer!r}.")
    kind = scaler or d.scaler
    loss = loss or t.loss
    if kind == "auto" or loss == "auto":
        raise ConfigError("export needs the scaler and loss the recipe chose (pass a Setup's choices).")
    panel = isinstance(data, PanelData)
    summary = (f"a {m.cell} of {m.hidden} units on " + (f"the {d.generator} generator" if d.csv_path is None
               else f"the CSV file {d.csv_path}") + f", lookback {d.lookback}, horizon {d.horizon}")
    caveat = f"\n\nNote: {note}" if note else ""
    out = Template(HEADER).substitute(
        title=f"rnnlab run: {m.cell} on {d.csv_path or d.generator}", summary=summary, name=name, caveat=caveat,
        lookback=d.lookback, horizon=d.horizon, val=d.val_fraction, test=d.test_fraction, cell=_lit(m.cell),
        hidden=m.hidden, layers=m.layers, dropout=m.dropout, epochs=t.epochs if epochs is None else epochs,
        batch=t.batch_size, lr=t.lr, wd=t.weight_decay, clip=t.clip, patience=t.patience, seed=t.seed,
        threads=auto_threads(cfg, load=0.0))
    out += _data_section(cfg, data)
    out += PANEL_WINDOWS if panel else _series_windows(cfg, data)
    out += _scaler_section(kind, scaler_reason, panel, d.lookback)
    out += Template(TENSORS_EVERY).substitute(seq=seq, steps=_step_targets(kind)) if loss == "every" \
        else TENSORS_LAST
    out += _model_section(cfg)
    out += _train_section(cfg, loss)
    if t.shrink == "auto" and not panel and data.values.shape[1] == 1 and d.val_fraction > 0:
        out += Template(SHRINK).substitute(persistence=_persistence_expr(kind))
    out += Template(EVALUATE).substitute(linear="" if panel else LINEAR)
    return out


def _data_section(cfg: RunConfig, data) -> str:
    d = cfg.data
    if d.csv_path is not None:
        return _csv_section(cfg, data)
    spec = GENERATORS[d.generator]
    kwargs = {k: float(d.params.get(k, p.default)) for k, p in spec.params.items()}
    size = f"samples={d.samples}, lookback={d.lookback}" if spec.kind == "panel" else f"length={d.length}"
    args = ", ".join([size, f"rng=np.random.default_rng({d.data_seed})"] + [f"{k}={v!r}" for k, v in kwargs.items()])
    return Template(GENERATED).substitute(gen=d.generator, seed=d.data_seed, fn=spec.fn.__name__, args=args,
                                          source=inspect.getsource(spec.fn).rstrip(), container=CONTAINERS[spec.kind])


def _csv_section(cfg: RunConfig, data: SeriesData) -> str:
    d, opts = cfg.data, data.read_as
    if not opts:
        raise ConfigError("this data set does not say how its CSV file was read; load the file again to export.")
    fill = ('values.dropna()' if d.missing == "drop" else
            'values.reset_index(drop=True).interpolate(method="linear", limit_direction="both")'
            '.set_axis(values.index)')
    target = next(iter(opts["formats"]))
    how = (f"delimiter {opts['sep']!r}, encoding {opts['encoding']}, target column {target!r}"
           + (f", dates from {opts['date_column']!r}" if opts["date_column"] else ""))
    return Template(CSV).substitute(
        how=how, formats=_lit(opts["formats"]), sep=_lit(opts["sep"]), encoding=_lit(opts["encoding"]),
        skip=int(opts["skip"]), date_column=_lit(opts["date_column"]), date_format=_lit(opts["date_format"]),
        dayfirst=opts["dayfirst"], missing=d.missing, fill=fill, path=_lit(str(d.csv_path)),
        shape=tuple(data.values.shape), total=repr(float(data.values.sum())))


def _series_windows(cfg: RunConfig, data: SeriesData) -> str:
    csv = cfg.data.csv_path is not None
    out = Template(SERIES_WINDOWS).substitute(values="VALUES" if csv else "data.values")
    if data.period is not None and not csv:
        return out.replace("period = None\n", "period = data.period  # the generator's season\n")
    src = textwrap.dedent(inspect.getsource(detect_period)).replace('"""Seasonal', '"""The seasonal', 1)
    return out.replace("period = None\n", "") + (
        "\n\n# The seasonal period, from the training part's autocorrelation (rnnlab's rule).\n"
        "PERIOD_Z, PERIOD_FUNDAMENTAL = 2.58, 0.8\n\n\n" + src
        + "\n\nperiod = detect_period(values[:train_end, 0], max_period=LOOKBACK)\n")


def _scaler_section(kind: str, reason: str, panel: bool, lookback: int) -> str:
    why, fixed = SCALERS[kind]
    group = "steps" if kind in ("last", "diff") else kind
    fit = fixed or (SCALE_FIT_PANEL if panel else SCALE_FIT_SERIES)[group]
    if group == "steps" and not panel and lookback == 1:  # no steps inside a window: the values' spread
        fit = fit.replace("coverage_stats(np.diff(span, axis=0), LOOKBACK - 1, n_train)",
                          "coverage_stats(span, LOOKBACK, n_train)")
    tx, ty, inv = TRANSFORM[kind if kind in ("last", "diff") else "level"]
    coverage = COVERAGE if not panel and kind in ("zscore", "last", "diff") else ""
    about = _comment(f"Scaler `{kind}`: {why} ({reason or 'chosen in the settings'}). Every statistic comes "
                     "from the training part only.")
    return Template(SCALER).substitute(about=about, fit=fit, coverage=coverage, tx=tx, ty=ty, inv=inv)


def _step_targets(kind: str) -> str:
    if kind == "diff":
        return "np.diff(v, prepend=v[:1]) / y_scale"
    if kind in ("none", "zscore", "minmax"):
        return "(v - y_shift) / y_scale"
    raise ConfigError(f"the every-step loss cannot use the {kind!r} scaler")


def _persistence_expr(kind: str) -> str:
    if kind in ("last", "diff"):
        return "(0.0, 0.0)"  # a zero output already repeats the last value
    return "(float(np.atleast_1d(x_scale)[0] / y_scale), float((np.atleast_1d(x_shift)[0] - y_shift) / y_scale))"


def _model_section(cfg: RunConfig) -> str:
    m = cfg.model
    module = {"rnn": "RNN", "rnn-relu": "RNN", "lstm": "LSTM", "gru": "GRU"}[m.cell]
    extra = {"rnn": ', nonlinearity="tanh"', "rnn-relu": ', nonlinearity="relu"'}.get(m.cell, "")
    what = {"rnn": "A vanilla RNN (tanh)", "rnn-relu": "A vanilla RNN with ReLU", "lstm": "An LSTM",
            "gru": "A GRU"}[m.cell] + f" of {m.hidden} units" + (f" in {m.layers} layers" if m.layers > 1 else "")
    out = Template(MODEL).substitute(what=what, module=module, extra=extra)
    if m.init != "default":
        block = ("nn.init.orthogonal_(w_hh[b * HIDDEN:(b + 1) * HIDDEN], gain=$g)" if m.init == "orthogonal"
                 else "w_hh[b * HIDDEN:(b + 1) * HIDDEN].copy_($g * torch.eye(HIDDEN))").replace("$g", repr(m.init_gain))
        forget = ("\n        getattr(model.rnn, f\"bias_ih_l{layer}\")[HIDDEN:2 * HIDDEN] = 1.0  # forget gate open"
                  if m.cell == "lstm" else "")
        out += Template(INIT).substitute(init=m.init, gain=m.init_gain, blocks=GATES[m.cell], block=block,
                                         forget=forget)
    return out


def _train_section(cfg: RunConfig, loss: str) -> str:
    t = cfg.train
    opt = {"adam": "torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)",
           "sgd": f"torch.optim.SGD(model.parameters(), lr=LR, momentum={t.momentum!r}, weight_decay=WEIGHT_DECAY)",
           "rmsprop": "torch.optim.RMSprop(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)"}[t.optimizer]
    if loss == "every":
        words, expr = "the loss is the MSE after every step", "nn.functional.mse_loss(model(xb, all_steps=True), yb)"
    else:
        words, expr = "the loss is the MSE of each window's prediction", "nn.functional.mse_loss(model(xb), yb)"
    name = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}[t.optimizer]
    about = _comment(f"Mini-batches in a fresh random order each epoch; {words}. The gradient norm is clipped "
                     f"before each {name} step; a step with an infinite loss or gradient ends training (diverged).")
    return Template(TRAIN).substitute(about=about, make_optimizer=opt, loss=expr)


def export_notebook(script: str) -> str:
    """The script as a Jupyter notebook (nbformat 4): each `# %% Title` section becomes a markdown
    cell (the title, and the comment lines under it) and a code cell; the docstring leads."""
    import nbformat

    head, *sections = script.split("\n# %% ")
    doc, _, imports = head.partition('"""\n')
    title, _, rest = doc.strip('"\n').partition("\n")
    cells = [nbformat.v4.new_markdown_cell(f"# {title}\n{rest}"), nbformat.v4.new_code_cell(imports.strip())]
    for sec in sections:
        name, _, body = sec.partition("\n")
        lines = body.strip("\n").splitlines()
        words = []
        while lines and lines[0].startswith("# "):
            words.append(lines.pop(0)[2:])
        cells.append(nbformat.v4.new_markdown_cell(f"## {name}\n" + " ".join(words)))
        cells.append(nbformat.v4.new_code_cell("\n".join(lines).strip("\n")))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return json.dumps(nb, indent=1)


def export_setup(s, name: str = "rnnlab_run.py", epochs: int | None = None, note: str = "") -> str:
    """The script of an experiment Setup (its data and the recipe's resolved choices)."""
    return export_script(s.config, s.data, name, scaler=s.prep.scaler.kind, scaler_reason=s.prep.scaler_reason,
                         loss=s.loss, seq=s.seq_len, epochs=epochs, note=note)


def export_result(s, result, name: str = "rnnlab_run.py", notebook: bool = False) -> str:
    """The script (or notebook) of a finished run: a run cut short by its time budget or by Stop
    trains the epochs it completed, said in the header (a stop inside an epoch cannot be replayed)."""
    note, epochs = "", None
    ran, planned = result.epochs_run, s.config.train.epochs
    if result.stopped_reason == "stopped":
        note = (f"this run was stopped by hand during epoch {ran + 1}; the script trains its {ran} whole "
                "epochs, so its numbers differ from the stopped run's.")
        epochs = max(ran, 1)
    elif result.stopped_reason == "completed" and ran < planned:
        note = f"rnnlab stopped this run after {ran} of {planned} epochs (its time budget); the script trains {ran}."
        epochs = ran
    code = export_setup(s, name.removesuffix(".ipynb").removesuffix(".py") + ".py", epochs=epochs, note=note)
    return export_notebook(code) if notebook else code
