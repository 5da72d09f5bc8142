"""Figures of the network's inside: hidden-state and gate heatmaps, gradients over time, spectra.

Matrices larger than MAX_T time steps or MAX_UNITS units are mean-pooled for drawing, and the
chart title says so.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnnlab.plots import FONT, _layout, log_axis

MAX_T, MAX_UNITS = 500, 256


def pool(z: np.ndarray, max_rows: int, max_cols: int) -> tuple[np.ndarray, int, int]:
    """Mean-pool a 2-D array to at most max_rows x max_cols; returns (pooled, row factor, col factor)."""
    z = np.asarray(z, dtype=float)
    fr, fc = max(1, -(-z.shape[0] // max_rows)), max(1, -(-z.shape[1] // max_cols))
    if fr == 1 and fc == 1:
        return z, 1, 1
    rows, cols = -(-z.shape[0] // fr), -(-z.shape[1] // fc)
    padded = np.full((rows * fr, cols * fc), np.nan)
    padded[:z.shape[0], :z.shape[1]] = z
    return np.nanmean(padded.reshape(rows, fr, cols, fc), axis=(1, 3)), fr, fc


def _note(fr: int, fc: int) -> str:
    parts = [f"{fr} steps" if fr > 1 else "", f"{fc} units" if fc > 1 else ""]
    parts = [p for p in parts if p]
    return f" (drawn as means of {' and '.join(parts)})" if parts else ""


def hidden_heatmap(inputs: np.ndarray, hidden: np.ndarray, order: np.ndarray | None = None,
                   title: str = "Hidden state h_t") -> go.Figure:
    """Input series (top) over the hidden-state heatmap units x time (bottom), aligned in time."""
    h = np.asarray(hidden)[:, order] if order is not None else np.asarray(hidden)
    z, fr, fc = pool(h, MAX_T, MAX_UNITS)  # (time, units)
    t = np.arange(z.shape[0]) * fr
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.25, 0.75], vertical_spacing=0.04)
    x_in = np.arange(len(inputs))
    fig.add_trace(go.Scatter(x=x_in, y=inputs, mode="lines", name="input", line=dict(color="#444", width=2)),
                  row=1, col=1)
    fig.add_trace(go.Heatmap(x=t, z=z.T, colorscale="RdBu", zmid=0, colorbar=dict(title="h", len=0.7, y=0.37),
                             name="h"), row=2, col=1)
    fig.update_yaxes(title_text="input", row=1, col=1)
    fig.update_yaxes(title_text="unit" + (" (sorted)" if order is not None else ""), row=2, col=1)
    fig.update_xaxes(title_text="time step in window", row=2, col=1)
    return _layout(fig, title + _note(fr, fc), "", "", height=560)


def gate_heatmaps(gates: dict[str, np.ndarray], cell_state: np.ndarray | None = None,
                  order: np.ndarray | None = None) -> go.Figure:
    """One heatmap per gate (and the LSTM cell state), units x time, gates on a 0..1 scale."""
    names = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
             "r": "reset gate r", "z": "update gate z", "n": "candidate n"}
    panels = list(gates.items()) + ([("c", cell_state)] if cell_state is not None else [])
    titles = [names.get(k, "cell state c") for k, _ in panels]
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.05)
    note = ""
    for row, (k, m) in enumerate(panels, start=1):
        m = np.asarray(m)[:, order] if order is not None else np.asarray(m)
        z, fr, fc = pool(m, MAX_T, MAX_UNITS)
        note = _note(fr, fc)
        sigmoid = k in ("i", "f", "o", "r", "z")
        fig.add_trace(go.Heatmap(z=z.T, x=np.arange(z.shape[0]) * fr, zmin=0 if sigmoid else None,
                                 zmax=1 if sigmoid else None, zmid=None if sigmoid else 0,
                                 colorscale="Viridis" if sigmoid else "RdBu", showscale=row == 1,
                                 colorbar=dict(title="gate", len=0.3, y=0.9)), row=row, col=1)
        fig.update_yaxes(title_text="unit", row=row, col=1)
    fig.update_annotations(font=dict(size=16))
    fig.update_xaxes(title_text="time step in window", row=len(panels), col=1)
    return _layout(fig, "Gates" + note, "", "", height=230 * len(panels) + 80)


def grad_over_time(grad_norms: np.ndarray, title: str = "‖∂L/∂h_t‖ over the window") -> go.Figure:
    """Gradient norm reaching each time step, one line per layer, log scale."""
    g = np.atleast_2d(np.asarray(grad_norms, dtype=float))
    fig = go.Figure()
    for layer, row in enumerate(g):
        fig.add_trace(go.Scatter(x=np.arange(1, len(row) + 1), y=np.where(row > 0, row, np.nan),
                                 mode="lines+markers", name=f"layer {layer + 1}", marker=dict(size=4)))
    log_axis(fig, g)
    return _layout(fig, title, "time step t (window end →)", "‖∂L/∂h_t‖ (log)", height=380)


def grad_history_heatmap(steps: list[int], grads: list[np.ndarray]) -> go.Figure:
    """log10 ||dL/dh_t|| of the top layer: time step (x) by training step (y), growing while training."""
    z = np.log10(np.maximum(np.stack([np.atleast_2d(g)[-1] for g in grads]), 1e-30))
    z, fr, fc = pool(z, 300, MAX_T)
    fig = go.Figure(go.Heatmap(z=z, x=np.arange(1, z.shape[1] + 1) * fc, y=np.asarray(steps)[::fr],
                               colorscale="Magma", colorbar=dict(title="log10")))
    return _layout(fig, "Gradient over time, across training" + _note(fr, fc),
                   "time step t", "training step", height=380)


def connectivity_figure(conn: np.ndarray) -> go.Figure:
    fig = go.Figure(go.Bar(x=np.arange(1, len(conn) + 1), y=conn, marker_color="#2ca02c", name="‖∂ŷ/∂x_t‖"))
    log_axis(fig, conn)
    return _layout(fig, "Input connectivity ‖∂ŷ/∂x_t‖",
                   "time step t", "‖∂ŷ/∂x_t‖ (log)", height=340)


def spectrum_figure(steps: list[int], radii: list[dict]) -> go.Figure:
    """Spectral radius of each W_hh block over training; 1 is the edge between fading and exploding."""
    fig = go.Figure()
    for name in radii[0] if radii else []:
        fig.add_trace(go.Scatter(x=steps, y=[r[name] for r in radii], mode="lines+markers", name=name))
    if steps:
        fig.add_trace(go.Scatter(x=[steps[0], steps[-1]], y=[1, 1], mode="lines", name="radius 1",
                                 line=dict(color="#7f7f7f", dash="dash")))
    fig.update_layout(font=FONT)
    return _layout(fig, "Spectral radius of W_hh over training", "training step", "spectral radius", height=340)
