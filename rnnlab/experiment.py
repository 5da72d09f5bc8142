"""The one recipe: RunConfig -> data, split, scaler, windows, model, Trainer, evaluation.

The CLI, TrainingJob, benchmarks and tests all call this; none re-implements it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from rnnlab.batches import StepTargets, WindowTensor, model_inputs
from rnnlab.classical import prefetch
from rnnlab.config import RunConfig
from rnnlab.data import PanelData, SeriesData
from rnnlab.errors import ConfigError
from rnnlab.evaluate import evaluate, predict
from rnnlab.inputs import load_data, prepare_data  # noqa: F401 (re-exported)
from rnnlab.models import RecurrentRegressor, build_model
from rnnlab.result import LossChoice, RunResult
from rnnlab.serve import auto_threads  # noqa: F401 (re-exported)
from rnnlab.train import Control, Done, EpochEnd, Event, Trainer, resolve_device
from rnnlab.windows import MIN_TRAIN_WINDOWS, Prepared


@dataclass
class Setup:
    """Everything built before the first step, so callers can inspect it (pages, benchmarks)."""

    config: RunConfig
    data: SeriesData | PanelData
    prep: Prepared
    model: RecurrentRegressor
    device: torch.device
    tensors: dict = field(default_factory=dict)  # x_train, y_train, x_val, y_val on the device (x: WindowTensor)
    loss: str = "last"  # the loss in use: last (window's last step) or every (every step of a sequence)
    loss_reason: str = ""
    seq_len: int = 0  # training sequence length S of the every-step loss


MIN_SEQ_LEN = 24  # every-step training sequences: max(24, lookback + 1) steps (Darts' RNNModel recipe)
EVERY_STEP_SCALERS = ("none", "zscore", "minmax", "diff")  # scalers that do not look at a window's last value


def resolve_loss(cfg: RunConfig, prep: Prepared) -> tuple[str, str, int]:
    """(loss, reason in words, training sequence length S) from the config and the prepared data.

    `auto` uses every-step loss for one series without extra inputs and a scaler that does not depend
    on the window's last value: the network then learns from every step of each training sequence,
    not only the last. A panel's windows are independent samples, and `last` scaling would show each
    step the sequence's future, so those keep the last-step loss; so do presets (they pin `last`)."""
    want = cfg.train.loss
    if want == "last":
        return "last", "loss on each window's last step (chosen by you)", 0
    why_not = None
    if prep.panel:
        why_not = "the samples are independent windows, not one series"
    elif prep.scaler.kind not in EVERY_STEP_SCALERS:
        why_not = f"the {prep.scaler.kind!r} scaler makes each step relative to the window's last value"
    elif want == "auto" and prep.n_features > 1:
        why_not = "extra input columns keep the last-step loss"
    # with the highway, steps before a whole lookback of context are not scored (its input is padded
    # there), so sequences are twice the lookback: half of each sequence still counts
    seq = max(MIN_SEQ_LEN, (2 if cfg.model.highway else 1) * cfg.data.lookback + 1)
    n_seq = prep.train_end - seq - prep.horizon + 1
    if why_not is None and n_seq < MIN_TRAIN_WINDOWS:
        seq = cfg.data.lookback + 1
        n_seq = prep.train_end - seq - prep.horizon + 1
        if n_seq < MIN_TRAIN_WINDOWS:
            why_not = f"the training part is too short for {MIN_TRAIN_WINDOWS} training sequences"
    if why_not is not None:
        if want == "every":
            raise ConfigError(f"the every-step loss cannot be used here: {why_not}; choose loss last.")
        return "last", f"loss on each window's last step: {why_not}", 0
    how = "chosen by you" if want == "every" else "auto: one series"
    scored = f", scored from step {cfg.data.lookback} (the highway's whole lookback)" if cfg.model.highway else ""
    return "every", (f"loss after every step of {n_seq:,} training sequences of {seq} steps{scored} ({how}): "
                     "the network learns from every step, not only each window's last"), seq


def fit_highway(model: RecurrentRegressor, part, ridge: float = 1e-6) -> None:
    """Start the highway at the least-squares linear autoregression of the scaled training windows
    (normal equations accumulated a chunk at a time) and the network's head at zero: the model begins
    as the linear baseline does, and training teaches the network what that misses."""
    k = model.highway_size
    xtx, xty = np.zeros((k + 1, k + 1)), np.zeros((k + 1, part.y.shape[1]))
    for a, b in part.chunks():
        xs = part.scaled(a, b)[:, -k:, 0].astype(np.float64)
        xs = np.concatenate([np.zeros((len(xs), k - xs.shape[1])), xs], axis=1)  # windows shorter than k
        design = np.concatenate([xs, np.ones((len(xs), 1))], axis=1)  # (n, k + 1)
        xtx += design.T @ design
        xty += design.T @ part.y[a:b].astype(np.float64)
    coef = np.linalg.solve(xtx + ridge * np.trace(xtx) / (k + 1) * np.eye(k + 1), xty)  # (k + 1, H)
    with torch.no_grad():
        model.highway.weight.copy_(torch.as_tensor(coef[:k].T, dtype=torch.float32))
        model.highway.bias.copy_(torch.as_tensor(coef[k], dtype=torch.float32))
        model.head.weight.zero_()
        model.head.bias.zero_()


def setup(cfg: RunConfig, data: SeriesData | PanelData | None = None, place_tensors: bool = True,
          start_from: dict | None = None) -> Setup:
    """Validate, load, prepare, seed and build the model; place training tensors on the device once.

    start_from: a state dict (tensors or arrays) of a model with this config, to continue training it.

    place_tensors=False skips the device copies (a process that only evaluates the trained model)."""
    cfg.validate()
    device = resolve_device(cfg.train.device)
    data = load_data(cfg.data) if data is None else data
    prep = prepare_data(cfg.data, data)
    torch.manual_seed(cfg.train.seed)
    model = build_model(cfg.model, prep.n_features, prep.horizon, cfg.data.lookback)
    if start_from is not None:
        try:
            model.load_state_dict({k: torch.as_tensor(v) for k, v in start_from.items()})
        except (RuntimeError, KeyError) as e:
            raise ConfigError("the weights to continue from do not fit this model (cell, size or "
                              f"inputs differ): {str(e).splitlines()[0]}") from None
    if start_from is None and model.highway is not None:
        fit_highway(model, prep.train)
    model = model.to(device)
    loss, loss_reason, seq = resolve_loss(cfg, prep)
    tensors = {}
    if place_tensors:  # inputs are gathered per batch from one copy of the series (rnnlab.batches)
        tensors = {"x_train": model_inputs(prep.train, device),
                   "y_train": torch.as_tensor(prep.train.y, device=device),
                   "x_val": model_inputs(prep.val, device),
                   "y_val": torch.as_tensor(prep.val.y, device=device)}
        if loss == "every":  # training sequences starting at every row whose targets stay in training
            starts = np.arange(prep.train_end - seq - prep.horizon + 1)
            tensors["x_train"] = WindowTensor(prep.train, device, lookback=seq, starts=starts)
            tensors["y_train"] = StepTargets(prep.train, device, seq, prep.horizon, starts)
    return Setup(cfg, data, prep, model, device, tensors, loss, loss_reason, seq)


def make_trainer(s: Setup, callbacks: list[Callable[[Event], None]] | None = None,
                 control: Control | None = None, probe=None) -> Trainer:
    t = s.tensors
    warm = s.config.data.lookback - 1 if s.config.model.highway else 0  # steps with a padded highway input
    return Trainer(s.config.train, s.model, t["x_train"], t["y_train"], t["x_val"], t["y_val"],
                   callbacks=callbacks, control=control, probe=probe, every_step=s.loss == "every",
                   score_from=warm)


def shrink_to_persistence(s: Setup) -> dict | None:
    """After training: a network that did worse than persistence on the validation windows is shrunk
    toward it: its prediction becomes alpha * (its prediction) + (1 - alpha) * (the last value), alpha
    in [0, 1] fitted by least squares on those windows (0: exactly repeat the last value). For one
    series with one input and shrink `auto`, whatever the scaler: it also guards against a wrong guess
    of the `auto` scaler (`minmax` on a short series that in fact wanders cannot leave its training
    range). A network that beat persistence is kept as it is. The test part is never looked at.

    Returns {"alpha", "val_mse", "persistence_val_mse", "reason"} (MSE in the series' units), or None
    where the rule does not apply. The blend is folded into the model (`RecurrentRegressor.shrink`),
    so every later use of it (Predict, Inspect, forecasts, run files) sees the shrunk network."""
    prep, model = s.prep, s.model
    if s.config.train.shrink != "auto" or prep.panel or prep.n_features > 1 or len(prep.val) == 0:
        return None
    last = prep.val.last[:, :1]
    change = predict(model, prep.val, prep.scaler, s.device) - last  # predicted changes from the last value
    truth = prep.val.y_raw - last
    if not np.isfinite(change).all():
        return None
    net, pers = float(np.mean((truth - change) ** 2)), float(np.mean(truth ** 2))
    if net < pers:
        return {"alpha": 1.0, "val_mse": net, "persistence_val_mse": pers,
                "reason": "kept as trained: it beat repeating the last value on validation"}
    alpha = float(np.clip((truth * change).sum() / max((change * change).sum(), 1e-300), 0.0, 1.0))
    model.shrink(alpha, prep.scaler.persistence())
    what = "it now repeats the last value" if alpha == 0 else f"its predicted changes are scaled by {alpha:.2f}"
    after = float(np.mean((truth - alpha * change) ** 2))
    worse = f"MSE {net / pers:.2f}x persistence" if pers > 0 else "repeating the last value is exact there"
    return {"alpha": alpha, "val_mse": after, "persistence_val_mse": pers,
            "reason": (f"shrunk toward repeating the last value: the trained network did worse than that on "
                       f"validation ({worse}), so {what}")}


def summarize(s: Setup, trainer: Trainer, done: Done, shrink: dict | None = None) -> RunResult:
    """A trained run's result, test metrics in original units. On a GPU its notes say how the steps
    ran (a CUDA graph, or eager and why)."""
    notes = list(getattr(s.data, "notes", []))
    if s.device.type == "cuda":
        notes.append(f"training steps on the GPU: {trainer.step_path}")
    return run_result(s, trainer.history, done.reason, done.message, train_seconds=round(trainer.train_seconds, 4),
                      steps=trainer.steps, shrink=shrink, notes=notes)


def run_result(s: Setup, history: list[dict], reason: str, message: str, *, train_seconds: float = 0.0,
               steps: int = 0, notes: list[str] | None = None, shrink: dict | None = None) -> RunResult:
    """The one builder of a run's result, for a trained run (summarize) and a restored one (restore):
    the test metrics and baselines evaluated on the Setup's test windows; non-finite test metrics
    become None (no number would be honest)."""
    ev = evaluate(s.model, s.prep, s.device, level=s.config.train.interval)
    test = ev["model"]
    if not np.isfinite(test["mse"]):
        test = {k: None if isinstance(v, float) else v for k, v in test.items()}
    return RunResult(config=s.config.copy(), device=str(s.device), history=history, stopped_reason=reason,
                     message=message, scaler=s.prep.scaler.kind, scaler_reason=s.prep.scaler_reason,
                     loss=LossChoice(s.loss, s.loss_reason),
                     windows={"train": len(s.prep.train), "val": len(s.prep.val), "test": len(s.prep.test)},
                     test=test, baselines=ev["baselines"], seasonal_period=ev["period"],
                     notes=list(getattr(s.data, "notes", [])) if notes is None else notes, shrink=shrink,
                     missing_baselines=ev["missing"], interval=ev["interval"],
                     flat=bool(np.ptp(s.prep.train.y_raw) == 0),
                     train_seconds=train_seconds, steps=steps)


def train(s: Setup, callbacks=None, control: Control | None = None, probe_factory=None,
          on_start: Callable[[int], None] | None = None) -> tuple[Done, RunResult]:
    """Train a built Setup (probe, Trainer, run, summary): the one loop the CLI, jobs and workers share.

    on_start(total_steps) is called once the Trainer exists, before the first step."""
    probe = probe_factory(s) if probe_factory else None
    if not s.prep.panel and s.config.train.epochs > 1:  # the classical baselines, fitted after epoch 1
        callbacks = [*(callbacks or []), _prefetch_classical(s)]
    trainer = make_trainer(s, callbacks, control, probe)
    if on_start is not None:
        on_start(trainer.total_steps)
    done = trainer.run()
    shrink = shrink_to_persistence(s) if done.reason not in ("diverged", "error") else None
    return done, summarize(s, trainer, done, shrink)


def _prefetch_classical(s: Setup) -> Callable[[Event], None]:
    """A listener that starts fitting ETS and Theta in the background once the first epoch ends
    (not before: the first loss points come first), so the run's result does not wait for them."""
    started = False

    def on_event(e: Event) -> None:
        nonlocal started
        if not started and isinstance(e, EpochEnd):
            started = True
            prefetch(s.prep.train.windows.values[:s.prep.train_end, 0], s.prep.period)
    return on_event


def run_experiment(cfg: RunConfig, callbacks=None, control: Control | None = None,
                   data: SeriesData | PanelData | None = None) -> tuple[RunResult, Setup]:
    """Train one configuration end to end; return (JSON-ready result, Setup with the trained model)."""
    s = setup(cfg, data)
    _, result = train(s, callbacks, control)
    return result, s


def restore(cfg: RunConfig, model: RecurrentRegressor, scaler, history: list[dict],
            data: SeriesData | PanelData | None = None, shrink: dict | None = None) -> tuple[RunResult, Setup]:
    """A saved run brought back on its data (export.load_run's parts): the Setup with the saved
    weights, and the result as training reported it, its test metrics and baselines recomputed on
    the same windows, with the shrink it was given (already in the weights). Data that do not give
    the saved scaler back are said to differ."""
    s = setup(cfg, data, place_tensors=False)
    s.model.load_state_dict(model.state_dict())
    s.model.eval()
    notes = list(getattr(s.data, "notes", []))
    saved, now = scaler.to_dict(), s.prep.scaler.to_dict()
    same = saved["kind"] == now["kind"] and all(
        np.allclose(saved[k], now[k], rtol=1e-9, atol=1e-12) for k in ("x_shift", "x_scale", "y_shift", "y_scale"))
    if not same:
        notes.append("⚠ these data do not give back the run's scaler: they differ from the data it was "
                     "trained on, and the metrics below are for these data")
    return run_result(s, history, "loaded", "loaded from a run file", notes=notes, shrink=shrink), s
