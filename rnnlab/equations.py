"""A cell's update equations (LaTeX, torch's conventions) and their numbers at one time step of a probe.

A probe (rnnlab/diagnostics.make_probe) holds the top layer's hidden states and gates over one
window. From them `step_table` rebuilds every quantity of the equations at step t (for the LSTM the
cell state, by running c_t = f_t c_{t-1} + i_t g_t from c = 0), and `unit_lines` writes the
equations of one unit with those numbers, so a reader sees the formula hold.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rnnlab.config import GATES

if TYPE_CHECKING:  # the tables import pandas when built; the lessons read the formulas without it
    import pandas as pd

_GATE = r"\sigma\left(W_{i%s}\,x_t + b_{i%s} + W_{h%s}\,h_{t-1} + b_{h%s}\right)"
EQUATIONS: dict[str, list[tuple[str, str]]] = {  # cell -> (equation, what it is)
    "rnn": [(r"h_t = \tanh\left(W_{ih}\,x_t + b_{ih} + W_{hh}\,h_{t-1} + b_{hh}\right)", "the new state")],
    "rnn-relu": [(r"h_t = \max\left(0,\; W_{ih}\,x_t + b_{ih} + W_{hh}\,h_{t-1} + b_{hh}\right)", "the new state")],
    "lstm": [(r"i_t = " + _GATE % ("i", "i", "i", "i"), "input gate: how much of the candidate enters"),
             (r"f_t = " + _GATE % ("f", "f", "f", "f"), "forget gate: how much of the old cell state stays"),
             (r"g_t = \tanh\left(W_{ig}\,x_t + b_{ig} + W_{hg}\,h_{t-1} + b_{hg}\right)", "candidate values"),
             (r"o_t = " + _GATE % ("o", "o", "o", "o"), "output gate: how much of the cell state shows"),
             (r"c_t = f_t \odot c_{t-1} + i_t \odot g_t", "cell state: the memory"),
             (r"h_t = o_t \odot \tanh(c_t)", "hidden state: what the next step and the head see")],
    "gru": [(r"r_t = " + _GATE % ("r", "r", "r", "r"), "reset gate: how much of the old state the candidate sees"),
            (r"z_t = " + _GATE % ("z", "z", "z", "z"), "update gate: how much of the old state stays"),
            (r"n_t = \tanh\left(W_{in}\,x_t + b_{in} + r_t \odot (W_{hn}\,h_{t-1} + b_{hn})\right)",
             "candidate state"),
            (r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}", "hidden state")],
}
HEAD = (r"\hat{y} = W_{\mathrm{head}}\, h_L + b_{\mathrm{head}}", "the prediction, from the window's last state")
# the gradient at every time step, as the vanishing-gradient lesson reads it
JACOBIANS = (r"\frac{\partial L}{\partial h_t} = \frac{\partial L}{\partial h_L}"
             r"\prod_{k=t+1}^{L} \frac{\partial h_k}{\partial h_{k-1}}, \qquad "
             r"\frac{\partial h_k}{\partial h_{k-1}} = \mathrm{diag}\left(1 - h_k^2\right) W_{hh}\ \text{(tanh RNN)}")
JACOBIANS_WORDS = ("Each step back multiplies the gradient by one more Jacobian. When their norms stay below 1 "
                   "(tanh saturated, W_hh's spectral radius under 1) the product shrinks geometrically: that is "
                   "the fall of ‖∂L/∂h_t‖ towards the window's start in the gradient chart; above 1 it explodes.")


def shapes(cell: str, n_inputs: int, hidden: int, horizon: int, layers: int = 1) -> pd.DataFrame:
    """Every matrix and bias of the equations with its shape (the top layer's input is the layer
    below's state when layers > 1), and torch's stacked tensor it is a block of."""
    names = {"rnn": ["h"], "rnn-relu": ["h"], "lstm": list("ifgo"), "gru": list("rzn")}[cell]
    f_in = hidden if layers > 1 else n_inputs
    top = layers - 1
    rows = []
    for g in names:
        rows += [(f"W_i{g}", f"{hidden} × {f_in}", f"weight_ih_l{top}"),
                 (f"W_h{g}", f"{hidden} × {hidden}", f"weight_hh_l{top}"),
                 (f"b_i{g}, b_h{g}", f"{hidden}", f"bias_ih_l{top}, bias_hh_l{top}")]
    rows.append(("W_head", f"{horizon} × {hidden}", "head.weight"))
    k = GATES[cell]
    if k > 1:  # torch stacks the gates' blocks in one tensor
        rows.append((f"all {k} W_i· / W_h·", f"{k * hidden} × {f_in} / {k * hidden} × {hidden}",
                     f"weight_ih_l{top} / weight_hh_l{top}"))
    import pandas as pd

    return pd.DataFrame(rows, columns=["matrix", "shape", "torch tensor"])


def step_table(cell: str, hidden: np.ndarray, gates: dict[str, np.ndarray], t: int) -> pd.DataFrame:
    """One row per unit: every quantity of the equations at step t of the probe's window (top layer).
    hidden (L, units) and gates name -> (L, units) are the probe's own arrays."""
    h_prev = hidden[t - 1] if t > 0 else np.zeros(hidden.shape[1], dtype=hidden.dtype)
    cols = {"h_{t-1}": h_prev}
    if cell == "lstm":
        c = np.zeros(hidden.shape[1], dtype=np.float64)
        for s in range(t + 1):  # the memory, from c = 0 at the window's start
            c_prev, c = c, gates["f"][s] * c + gates["i"][s] * gates["g"][s]
        cols.update({k: gates[k][t] for k in "ifgo"})
        cols.update({"c_{t-1}": c_prev, "c_t": c})
    elif cell == "gru":
        cols.update({k: gates[k][t] for k in "rzn"})
    cols["h_t"] = hidden[t]
    import pandas as pd

    table = pd.DataFrame(cols)
    table.index.name = "unit"
    return table


def unit_lines(cell: str, row: pd.Series) -> list[str]:
    """The equations of one unit at step t with its numbers (LaTeX), from a row of step_table."""
    v = {k: f"{x:.3f}" for k, x in row.items()}
    if cell == "lstm":
        c = row["f"] * row["c_{t-1}"] + row["i"] * row["g"]
        return [rf"c_t = f_t\,c_{{t-1}} + i_t\,g_t = {v['f']} \times {v['c_{t-1}']} + {v['i']} \times {v['g']}"
                rf" = {c:.3f}",
                rf"h_t = o_t \tanh(c_t) = {v['o']} \times \tanh({c:.3f}) = {row['o'] * np.tanh(c):.3f}"]
    if cell == "gru":
        h = (1 - row["z"]) * row["n"] + row["z"] * row["h_{t-1}"]
        return [rf"h_t = (1 - z_t)\,n_t + z_t\,h_{{t-1}} = (1 - {v['z']}) \times {v['n']} + {v['z']} \times "
                rf"{v['h_{t-1}']} = {h:.3f}"]
    h = row["h_t"]
    if cell == "rnn":
        a = np.arctanh(np.clip(h, -1 + 1e-7, 1 - 1e-7))
        return [rf"h_t = \tanh(a_t) = \tanh({a:.3f}) = {h:.3f}", r"a_t = W_{ih}\,x_t + b_{ih} + W_{hh}\,h_{t-1} + b_{hh}"]
    return [rf"h_t = \max(0, a_t) = {h:.3f}" + (r"\quad (a_t \le 0)" if h == 0 else rf"\quad (a_t = {h:.3f})")]
