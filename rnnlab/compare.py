"""Comparing runs: the race of cells (same data, seed, order and budget) and its scoreboard."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from rnnlab.config import RACE_CELLS, RunConfig
from rnnlab.plots import _layout, log_axis, loss_units
from rnnlab.report import BASELINE_NAMES
from rnnlab.result import RunResult

RACE_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]


def race_configs(cfg: RunConfig, cells=RACE_CELLS) -> list[RunConfig]:
    """One config per cell, identical otherwise: same data, seed (weights and batch order), budget."""
    out = []
    for cell in cells:
        c = cfg.copy()
        c.model.cell = cell
        out.append(c)
    return out


def scoreboard(results: dict[str, RunResult | None]) -> tuple[list[dict], str]:
    """Rows (run, test MAE, RMSE, best baseline) and one line naming the winner on test MAE."""
    rows, _, line = scoreboard_alert(results)
    return rows, line


def scoreboard_alert(results: dict[str, RunResult | None]) -> tuple[list[dict], str, str]:
    """(rows, level, line): the scoreboard with its alert level, "good" when every run has finished
    and the winner beats its best baseline, else "info".

    A run without a result yet (training) or without finite predictions takes no place."""
    rows, scored = [], {}
    for name, r in results.items():
        mae = None if r is None else r.mae
        base_name, base = r.best_baseline() if r is not None else (None, None)
        rows.append({"run": name, "test MAE": mae, "test RMSE": None if r is None else r.test.get("rmse"),
                     "best baseline": BASELINE_NAMES.get(base_name, base_name) if base_name else None,
                     "baseline MAE": base})
        if mae is not None and np.isfinite(mae):
            scored[name] = (mae, base_name, base)
    if not scored:
        return rows, "info", "No run has finished yet."
    ranked = sorted(scored, key=lambda n: scored[n][0])
    win = ranked[0]
    mae, base_name, base = scored[win]
    others = ", ".join(f"{n} {scored[n][0]:.4g}" for n in ranked[1:])
    verb = "wins" if len(scored) == len(results) else "leads so far"  # runs still training: no winner yet
    line = f"{win} {verb} on test MAE: {mae:.4g}" + (f" (then {others})." if others else ".")
    level = "good" if verb == "wins" else "info"
    if base is not None and base <= mae:
        line += f" The {BASELINE_NAMES.get(base_name, base_name)} baseline is better still ({base:.4g})."
        level = "info"
    for row in rows:
        row["winner"] = row["run"] == win
    return rows, level, line


def compare_loss_figure(histories: dict[str, list[dict]], scalers: list[str | None] | None = None) -> go.Figure:
    """Validation loss (solid) and training loss (dotted) per epoch of every run, log scale; the title
    names the runs' scalers (a scaled and an unscaled run's losses differ in units, not only in fit)."""
    fig = go.Figure()
    for (name, hist), color in zip(histories.items(), RACE_COLORS * 2):
        ep = [h["epoch"] for h in hist]
        fig.add_trace(go.Scatter(x=ep, y=[h["train_loss"] for h in hist], mode="lines", name=f"{name} train",
                                 line=dict(color=color, width=1.5, dash="dot")))
        if any(h["val_loss"] is not None for h in hist):
            fig.add_trace(go.Scatter(x=ep, y=[h["val_loss"] for h in hist], mode="lines+markers",
                                     name=f"{name} validation", line=dict(color=color, width=3)))
    log_axis(fig, [y for t in fig.data for y in t.y])
    units = loss_units(scalers or [])
    return _layout(fig, f"Loss per epoch ({units})" if units else "Loss per epoch", "epoch", "loss (log scale)",
                   height=420)


def compare_grad_figure(curves: dict[str, np.ndarray]) -> go.Figure:
    """The latest ‖∂L/∂h_t‖ of each run (top layer) on one log axis."""
    fig = go.Figure()
    for (name, g), color in zip(curves.items(), RACE_COLORS * 2):
        row = np.atleast_2d(np.asarray(g, float))[-1]
        fig.add_trace(go.Scatter(x=np.arange(1, len(row) + 1), y=np.where(row > 0, row, np.nan),
                                 mode="lines", name=name, line=dict(color=color, width=2.5)))
    log_axis(fig, [y for t in fig.data for y in t.y])
    return _layout(fig, "‖∂L/∂h_t‖, latest probe", "time step t (window end →)",
                   "‖∂L/∂h_t‖ (log)", height=420)
