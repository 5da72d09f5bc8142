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
from rnnlab.script_data import (CONTAINERS, COVERAGE, CSV, GENERATED, HEADER, PANEL_WINDOWS, SCALE_FIT_PANEL,
                                SCALE_FIT_SERIES, SCALER, SCALERS, SERIES_WINDOWS, TENSORS_EVERY, TENSORS_LAST,
                                TRANSFORM)
from rnnlab.script_loop import EVALUATE, INIT, LINEAR, MODEL, SHRINK, TRAIN
from rnnlab.serve import auto_threads


CELL_WORDS = {"rnn": "a vanilla RNN (tanh)", "rnn-relu": "a vanilla RNN with ReLU", "lstm": "an LSTM",
              "gru": "a GRU"}


def _lit(v) -> str:
    return repr(v)


def _comment(text: str) -> str:
    """Text as comment lines of at most 100 characters."""
    return "\n".join("# " + line for line in textwrap.wrap(text, 98))


def check_exportable(cfg: RunConfig) -> None:
    """Refuse, before any training, a run the script cannot replay."""
    if cfg.model.highway:
        raise ConfigError("export to a script does not cover the highway yet; turn it off to export.")


def export_script(cfg: RunConfig, data: SeriesData | PanelData, name: str = "rnnlab_run.py",
                  scaler: str | None = None, scaler_reason: str = "", loss: str | None = None, seq: int = 0,
                  epochs: int | None = None, note: str = "") -> str:
    """The run as one standalone script. `scaler`, `loss` and `seq` are the recipe's resolved choices
    (a Setup has them; None: the config's own, which must then not be `auto`); `epochs` the epochs to
    train (a run cut short by a time budget trained fewer); `note` a caveat for the header."""
    m, t, d = cfg.model, cfg.train, cfg.data
    check_exportable(cfg)
    kind = scaler or d.scaler
    loss = loss or t.loss
    if kind == "auto" or loss == "auto":
        raise ConfigError("export needs the scaler and loss the recipe chose (pass a Setup's choices).")
    panel = isinstance(data, PanelData)
    summary = (f"{CELL_WORDS[m.cell]} of {m.hidden} units on " + (f"the {d.generator} generator" if d.csv_path is None
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
    args = "\n    " + "\n    ".join(textwrap.wrap(args, 92)) + ",\n" if len(args) > 80 else args
    return Template(GENERATED).substitute(gen=d.generator, seed=d.data_seed, fn=spec.fn.__name__, args=args,
                                          source=inspect.getsource(spec.fn).rstrip(), container=CONTAINERS[spec.kind])


def _csv_section(cfg: RunConfig, data: SeriesData) -> str:
    d, opts = cfg.data, data.read_as
    if not opts:
        raise ConfigError("this data set does not say how its CSV file was read; load the file again to export.")
    fill = ('values.dropna()' if d.missing == "drop" else
            'values.reset_index(drop=True).interpolate(method="linear", limit_direction="both")')
    target = next(iter(opts["formats"]))
    how = _comment(f"The CSV file as rnnlab read it: delimiter {opts['sep']!r}, encoding {opts['encoding']}, "
                   f"target column {target!r}" + (f", dates from {opts['date_column']!r}." if opts["date_column"] else "."))
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
    words = CELL_WORDS[m.cell]
    what = words[0].upper() + words[1:] + f" of {m.hidden} units" + (f" in {m.layers} layers" if m.layers > 1 else "")
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
