"""Looking inside a recurrent model: per-time-step gradients, hidden states, gates, spectra.

Pure functions on a model and a probe batch x (B, L, F), y (B, H). The central quantity is
||dL/dh_t||, the total derivative of the loss with respect to the hidden state at step t through
the whole recurrence (Pascanu et al. 2013): it shrinks geometrically going back in time when
gradients vanish, and grows when they explode.
"""
from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch

from rnnlab.models import GATES, RecurrentRegressor, unroll
from rnnlab.train import Probe

SATURATED = 0.95  # |tanh| above this, or sigmoid below 1 - this / above this, counts as saturated


def grad_norm_per_step(model: RecurrentRegressor, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """||dL/dh_t|| for every layer and step, averaged over the batch: array (layers, L), float64.

    L is each window's own squared error (summed over the horizon), so every sample's gradient is
    that of its own loss. A zero leaf added to every h_t carries exactly dL/dh_t. The whole pass
    runs on a float64 copy of the model: through a long tanh recurrence the true gradient falls
    far below float32's range (1e-45), where float32 would report exactly 0.
    """
    twin, x, y = _float64(model, x, y)
    leaves: dict[tuple[int, int], torch.Tensor] = {}

    def hook(layer: int, t: int, h: torch.Tensor) -> torch.Tensor:
        leaf = torch.zeros_like(h, requires_grad=True)
        leaves[(layer, t)] = leaf
        return h + leaf

    with torch.enable_grad():
        out = unroll(twin, x, hook)
        loss = ((out.y - y) ** 2).sum()
        keys = sorted(leaves)
        grads = torch.autograd.grad(loss, [leaves[k] for k in keys])
    per_step = torch.stack([g.norm(dim=1).mean() for g in grads]).cpu().numpy()  # per sample, then batch mean
    norms = np.zeros((model.num_layers, x.shape[1]))
    for (layer, t), v in zip(keys, per_step):
        norms[layer, t] = v
    return norms


def _float64(model: RecurrentRegressor, x: torch.Tensor, y: torch.Tensor):
    """A float64 copy of the model and batch (on the CPU where the device has no float64, e.g. MPS)."""
    device = torch.device("cpu") if x.device.type == "mps" else x.device
    twin = copy.deepcopy(model).to(device=device, dtype=torch.float64).eval()
    return twin, x.to(device, torch.float64), y.to(device, torch.float64)


def input_connectivity(model: RecurrentRegressor, x: torch.Tensor) -> np.ndarray:
    """||d yhat / d x_t|| per step (L,), batch mean: how much each past input moves the prediction."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad(), torch.backends.cudnn.flags(enabled=False):
        out = model(x)
        (g,) = torch.autograd.grad(out.sum(), [x])
    return g.norm(dim=2).mean(dim=0).detach().cpu().numpy()


def window_states(model: RecurrentRegressor, x_window: torch.Tensor) -> dict:
    """Hidden states (L, hidden) of every layer, LSTM cell states and gates for ONE window (1, L, F)."""
    with torch.no_grad():
        u = unroll(model, x_window)
    return {"hidden": [torch.stack(h, 1)[0].cpu().numpy() for h in u.hidden],
            "cells": [torch.stack(c, 1)[0].cpu().numpy() for c in u.cells if c],
            "gates": [{k: v[0].cpu().numpy() for k, v in g.items()} for g in u.gates]}


def saturation(model: RecurrentRegressor, x: torch.Tensor) -> dict[str, float]:
    """Fraction of saturated units over a batch: tanh outputs near +-1, sigmoid gates near 0 or 1."""
    with torch.no_grad():
        u = unroll(model, x)
    out = {}
    if model.cell == "rnn":
        out["h (tanh)"] = float((u.hidden_matrix(0).abs() > SATURATED).float().mean())
    for name, g in u.gates[0].items():
        if name in ("g", "n"):
            out[f"{name} (tanh)"] = float((g.abs() > SATURATED).float().mean())
        else:
            out[f"{name} (sigmoid)"] = float(((g < 1 - SATURATED) | (g > SATURATED)).float().mean())
    return out


def recurrent_spectrum(model: RecurrentRegressor, layer: int = 0, k: int = 5) -> dict:
    """Spectral radius and top singular values of W_hh (per gate block for LSTM / GRU).

    The headline block is the one on the recurrence's main path: W_hh itself for plain RNNs, the
    candidate block (g for LSTM, n for GRU) for gated cells.
    """
    w = model.recurrent_weights(layer).detach().double().cpu()
    h = model.hidden_size
    names = {"rnn": ["W_hh"], "rnn-relu": ["W_hh"], "lstm": list("ifgo"), "gru": list("rzn")}[model.cell]
    blocks = {n: w[i * h:(i + 1) * h] for i, n in enumerate(names)}
    radius = {n: float(torch.linalg.eigvals(b).abs().max()) for n, b in blocks.items()}
    singular = {n: torch.linalg.svdvals(b)[:k].tolist() for n, b in blocks.items()}
    main = {"lstm": "g", "gru": "n"}.get(model.cell, "W_hh")
    return {"radius": radius, "singular": singular, "main": main, "main_radius": radius[main]}


def make_probe(x_probe: torch.Tensor, y_probe: torch.Tensor, window: int = 0):
    """A Probe callable for the Trainer: diagnostics of a fixed batch at the current weights."""

    def probe(model: RecurrentRegressor, step: int) -> Probe:
        model.eval()
        t = time.perf_counter()
        grads = grad_norm_per_step(model, x_probe, y_probe)
        states = window_states(model, x_probe[window:window + 1])
        spectrum = recurrent_spectrum(model)
        extra = {"connectivity": input_connectivity(model, x_probe),
                 "singular": spectrum["singular"], "radius": spectrum["radius"],
                 "seconds": time.perf_counter() - t}
        return Probe(step, grads, states["hidden"][-1], states["gates"][-1] if states["gates"] else {},
                     spectrum["main_radius"], extra)

    return probe


PROBE_BATCH = 32  # windows per probe, when the model is small enough
PROBE_MAX_FLOP = 4e9  # one probe's estimated cost cap (~0.1-1 s on a CPU core in float64)


def probe_flop(batch: int, lookback: int, hidden: int, layers: int, cell: str, n_features: int) -> float:
    """Estimated floating-point operations of one probe: the unrolled forward and backward passes
    (about 3x a forward) of every gate's matrix products, at every step and layer."""
    gates = GATES[cell]
    per_step = sum(2 * gates * hidden * (hidden + (n_features if layer == 0 else hidden))
                   for layer in range(layers))
    return 3.0 * batch * lookback * per_step


def probe_plan(lookback: int, hidden: int, layers: int, cell: str, n_features: int) -> tuple[int, str | None]:
    """(probe batch, note): the largest batch up to PROBE_BATCH under the cost cap; 0 and the reason
    when not even one window fits (probes are then skipped, and Inspect says why)."""
    one = probe_flop(1, lookback, hidden, layers, cell, n_features)
    batch = int(min(PROBE_BATCH, PROBE_MAX_FLOP // one))
    if batch >= 1:
        note = None if batch == PROBE_BATCH else (f"probes use {batch} window(s) instead of {PROBE_BATCH}: "
                                                  "the model is large, so each probe is kept small")
        return batch, note
    return 0, (f"diagnostics are skipped for this run: one probe would cost about {one / 1e9:,.0f} GFLOP "
               f"(lookback {lookback} × {hidden} units × {layers} layer(s)), over the cap of "
               f"{PROBE_MAX_FLOP / 1e9:g}; use a shorter lookback or a smaller model to look inside.")


def probe_for_setup(s):
    """Probe over the first validation windows (training windows if there is no validation), as
    many as the cost cap allows (see probe_plan); None when not even one fits."""
    m = s.config.model
    batch, _ = probe_plan(s.config.data.lookback, m.hidden, m.layers, m.cell, s.prep.n_features)
    if batch == 0:
        return None
    t = s.tensors
    x, y = (t["x_val"], t["y_val"]) if len(t["y_val"]) else (t["x_train"], t["y_train"])
    if not isinstance(y, torch.Tensor):  # every-step training sequences (StepTargets): probe windows instead
        from rnnlab.batches import model_inputs
        x, y = model_inputs(s.prep.train, s.device), torch.as_tensor(s.prep.train.y, device=s.device)
    return make_probe(x[:batch], y[:batch])


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(x: float) -> str:
    """A positive number for people: 0.052, 3.1 × 10⁻⁷, 2 × 10¹²."""
    if not np.isfinite(x) or x <= 0:
        return f"{x:g}"
    if 1e-3 <= x < 1e4:
        return f"{x:.2g}"
    exp = int(math.floor(math.log10(x)))
    mant = x / 10 ** exp
    head = "" if round(mant, 1) == 1 else f"{mant:.2g} × "
    return f"{head}10{str(exp).translate(_SUPERSCRIPT)}"


def reading(grad_norms: np.ndarray, cell: str, lag: int | None = None) -> str:
    """One plain-language sentence about the gradient-over-time curve of the top layer."""
    return reading_alert(grad_norms, cell, lag)[1]


def reading_alert(grad_norms: np.ndarray, cell: str, lag: int | None = None) -> tuple[str, str]:
    """(level, sentence) about the gradient-over-time curve of the top layer: level "warn" when
    the gradient vanishes, explodes or is not finite, else "info".

    Compares the gradient at the window's first step with the last one, or `lag` steps back when
    the task has a known lag (the delay task)."""
    g = np.asarray(grad_norms, dtype=float)
    g = g[-1] if g.ndim == 2 else g
    last = g[-1]
    if not np.isfinite(g).all():
        return "warn", "The gradient is not finite: training has diverged."
    if last <= 0:
        return "info", ("The gradient is zero: the loss has nothing left to learn from (a constant series, "
                        "or predictions that no longer change with the weights).")
    if len(g) < 2:
        return "info", "The window is a single step: there is no recurrence to look through."
    back = lag if lag is not None and 1 <= lag < len(g) else len(g) - 1
    ratio = g[-1 - back] / last
    step, end = len(g) - back, len(g)
    where = f"the task's lag ({back} steps back)" if back == lag else "the window's first step"
    if ratio < 1e-3:
        return "warn", (f"The gradient reaching step {step} ({where}) is {sci(ratio)} of the one at step {end}: "
                f"it vanishes going back in time, so this {cell} cannot learn dependencies {back} steps long.")
    if ratio > 10:
        return "warn", (f"The gradient reaching step {step} ({where}) is {sci(ratio)} times the one at step {end}: "
                "it explodes going back in time; clip gradients or lower the W_hh gain.")
    if ratio < 0.1:
        return "info", (f"The gradient {back} steps back ({where}) is {sci(ratio)} of the one at the last step: "
                "it fades, so dependencies that long are learned slowly if at all.")
    return "info", (f"The gradient {back} steps back ({where}) is {sci(ratio)} times the one at the last step: "
                    "it survives the recurrence, so dependencies that long can be learned.")


def order_units(hidden: np.ndarray, how: str = "mean") -> np.ndarray:
    """Column order for a (L, units) matrix: by mean activation, or 'cluster' (units with similar
    time courses next to each other: sorted by angle in the plane of the top two principal axes)."""
    h = np.asarray(hidden, dtype=float)
    if how == "mean":
        return np.argsort(h.mean(axis=0))
    if how == "cluster":
        centred = h - h.mean(axis=0)
        if h.shape[1] < 3 or not np.any(centred):
            return np.arange(h.shape[1])
        _, sv, vt = np.linalg.svd(centred, full_matrices=False)  # rows of vt: unit loadings
        coords = vt[:2].T * sv[:2]  # (units, 2) each unit's place in the top-two-component plane
        return np.argsort(np.arctan2(coords[:, 1], coords[:, 0]))
    return np.arange(h.shape[1])
