"""RecurrentRegressor: one model class over torch's fused nn.RNN / nn.LSTM / nn.GRU, and its unrolled twin."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from rnnlab.config import CELLS, GATES, ModelConfig  # noqa: F401 (GATES re-exported)
from rnnlab.errors import ConfigError

# cell name -> (torch module name, extra kwargs)
CELL_TYPES = {
    "rnn": ("RNN", {"nonlinearity": "tanh"}),
    "rnn-relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
}
assert set(CELL_TYPES) == set(GATES) == set(CELLS), "every cell in config.CELLS needs a torch module"


class RecurrentRegressor(nn.Module):
    """Recurrent layers over (batch, L, F) inputs; a linear head on the last hidden state -> (batch, H).

    highway > 0 adds a linear autoregression over the last `highway` values of the target column,
    trained jointly (LSTNet's highway, Lai et al. 2018): the network then learns what a linear
    model misses. all_steps=True gives the prediction after every step, (batch, L, H), for the
    every-step loss; the highway then sees the last `highway` values up to each step (zeros before
    the window starts).

    `blend` (a buffer, absent until `shrink` needs it) adds w * (the last value of the target
    column) + b to the output: a share of persistence for scalers that keep the level, where a zero
    output is not "repeat the last value"."""

    def __init__(self, cell: str, n_features: int, hidden: int, layers: int = 1,
                 dropout: float = 0.0, horizon: int = 1, highway: int = 0):
        super().__init__()
        if cell not in CELL_TYPES:
            raise ConfigError(f"unknown cell {cell!r}; choose one of {', '.join(CELL_TYPES)}.")
        name, kwargs = CELL_TYPES[cell]
        self.cell, self.hidden_size, self.num_layers = cell, hidden, layers
        self.rnn = getattr(nn, name)(n_features, hidden, num_layers=layers, batch_first=True,
                                     dropout=dropout if layers > 1 else 0.0, **kwargs)
        self.head = nn.Linear(hidden, horizon)
        self.highway_size = highway
        self.highway = nn.Linear(highway, horizon) if highway > 0 else None
        self.register_buffer("blend", None)  # (2, H): weight on the last target value, bias

    def forward(self, x: torch.Tensor, all_steps: bool = False) -> torch.Tensor:
        out, _ = self.rnn(x)  # (batch, L, hidden): top layer's hidden state at every step
        if all_steps:
            return self.head(out) + self.linear_part(x, all_steps=True) + self.blend_part(x, all_steps=True)
        return self.head(out[:, -1]) + self.linear_part(x) + self.blend_part(x)  # (batch, H)

    def blend_part(self, x: torch.Tensor, all_steps: bool = False):
        """The persistence share: (batch, H), or (batch, L, H) after every step; 0 without a blend."""
        if self.blend is None:
            return 0.0
        last = x[:, :, :1] if all_steps else x[:, -1, :1]  # the target's latest value at each step
        return last * self.blend[0] + self.blend[1]

    @torch.no_grad()
    def shrink(self, alpha: float, persistence: tuple[float, float] = (0.0, 0.0)) -> None:
        """Make the output alpha * (the output) + (1 - alpha) * persistence, where persistence, in the
        output's units, is persistence[0] * (the last target input) + persistence[1] ((0, 0) when a
        zero output already means "repeat the last value"): head, highway and blend are scaled by
        alpha and the blend takes the rest."""
        for layer in (self.head, self.highway):
            if layer is not None:
                layer.weight.mul_(alpha)
                layer.bias.mul_(alpha)
        share = torch.tensor(persistence, dtype=self.head.weight.dtype, device=self.head.weight.device)
        share = (1 - alpha) * share[:, None].expand(2, self.head.out_features)
        if self.blend is not None:
            self.blend = alpha * self.blend + share
        elif bool(share.any()):
            self.blend = share.clone()

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """As nn.Module's, also for the state of a shrunk model (with a blend) into a fresh one."""
        if "blend" in state_dict and self.blend is None:
            self.blend = torch.zeros(tuple(state_dict["blend"].shape), dtype=self.head.weight.dtype,
                                     device=self.head.weight.device)
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def linear_part(self, x: torch.Tensor, all_steps: bool = False):
        """The highway's term: (batch, H), or (batch, L, H) after every step; 0 without a highway."""
        if self.highway is None:
            return 0.0
        k = self.highway_size
        target = nn.functional.pad(x[:, :, 0], (k - 1, 0))  # (batch, k - 1 + L): zeros before the window
        if all_steps:
            return self.highway(target.unfold(1, k, 1))  # (batch, L, k) -> (batch, L, H)
        return self.highway(target[:, -k:])

    def recurrent_weights(self, layer: int = 0) -> torch.Tensor:
        """W_hh of one layer, shape (gates * hidden, hidden)."""
        return getattr(self.rnn, f"weight_hh_l{layer}")


def initialise(model: RecurrentRegressor, init: str, gain: float = 1.0) -> None:
    """Apply an initialisation scheme to W_hh (every gate block, every layer)."""
    if init == "default":
        return
    n_blocks, h = GATES[model.cell], model.hidden_size
    with torch.no_grad():
        for layer in range(model.num_layers):
            w_hh = model.recurrent_weights(layer)
            for b in range(n_blocks):
                block = w_hh[b * h:(b + 1) * h]
                if init == "orthogonal":
                    nn.init.orthogonal_(block, gain=gain)
                elif init == "identity":
                    block.copy_(gain * torch.eye(h))
                else:
                    raise ConfigError(f"unknown init {init!r}.")
            nn.init.xavier_uniform_(getattr(model.rnn, f"weight_ih_l{layer}"))
            for name in (f"bias_ih_l{layer}", f"bias_hh_l{layer}"):
                getattr(model.rnn, name).zero_()
            if model.cell == "lstm":  # forget-gate bias 1: remember by default (Jozefowicz et al. 2015)
                getattr(model.rnn, f"bias_ih_l{layer}")[h:2 * h] = 1.0


def build_model(cfg: ModelConfig, n_features: int, horizon: int, lookback: int = 1) -> RecurrentRegressor:
    """Build and initialise the model of a ModelConfig (seed the RNG before calling); the highway,
    when on, spans the lookback."""
    model = RecurrentRegressor(cfg.cell, n_features, cfg.hidden, cfg.layers, cfg.dropout, horizon,
                               highway=lookback if cfg.highway else 0)
    initialise(model, cfg.init, cfg.init_gain)
    return model


@dataclass
class Unrolled:
    """Step-by-step forward of a RecurrentRegressor: everything the fused module hides."""

    y: torch.Tensor  # (B, H_out) prediction, equal to model(x)
    hidden: list[list[torch.Tensor]]  # [layer][t] -> (B, hidden) hidden state h_t
    cells: list[list[torch.Tensor]]  # [layer][t] -> (B, hidden) LSTM cell state c_t (empty otherwise)
    gates: list[dict[str, torch.Tensor]]  # [layer] gate name -> (B, L, hidden): i f g o (LSTM), r z n (GRU)

    def hidden_matrix(self, layer: int = -1) -> torch.Tensor:
        """(B, L, hidden) hidden states of one layer."""
        return torch.stack(self.hidden[layer], dim=1)


def unroll(model: RecurrentRegressor, x: torch.Tensor,
           step_hook: Callable[[int, int, torch.Tensor], torch.Tensor] | None = None) -> Unrolled:
    """Forward x (B, L, F) one time step at a time with the fused module's own weights.

    `step_hook(layer, t, h_t)` may replace each new hidden state (diagnostics add a zero leaf there
    to read dL/dh_t). Dropout between layers is not applied: this is the eval-mode forward.
    """
    rnn, h_size = model.rnn, model.hidden_size
    inp = x
    hidden, cells, gates = [], [], []
    for layer in range(model.num_layers):
        w_ih, w_hh = getattr(rnn, f"weight_ih_l{layer}"), getattr(rnn, f"weight_hh_l{layer}")
        b_ih, b_hh = getattr(rnn, f"bias_ih_l{layer}"), getattr(rnn, f"bias_hh_l{layer}")
        bsz, length = inp.shape[0], inp.shape[1]
        h = inp.new_zeros(bsz, h_size)
        c = inp.new_zeros(bsz, h_size)
        xw = inp @ w_ih.T + b_ih  # (B, L, gates * hidden): the input part of every step at once
        hs, cs, gate_steps = [], [], {}
        for t in range(length):
            hw = h @ w_hh.T + b_hh
            if model.cell in ("rnn", "rnn-relu"):
                pre = xw[:, t] + hw
                h = torch.tanh(pre) if model.cell == "rnn" else torch.relu(pre)
            elif model.cell == "lstm":
                i, f, g, o = (xw[:, t] + hw).chunk(4, dim=1)
                i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
                c = f * c + i * g
                h = o * torch.tanh(c)
                cs.append(c)
                for name, v in zip("ifgo", (i, f, g, o)):
                    gate_steps.setdefault(name, []).append(v)
            else:  # gru
                xr, xz, xn = xw[:, t].chunk(3, dim=1)
                hr, hz, hn = hw.chunk(3, dim=1)
                r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                n = torch.tanh(xn + r * hn)
                h = (1 - z) * n + z * h
                for name, v in zip("rzn", (r, z, n)):
                    gate_steps.setdefault(name, []).append(v)
            if step_hook is not None:
                h = step_hook(layer, t, h)
            hs.append(h)
        hidden.append(hs)
        cells.append(cs)
        gates.append({k: torch.stack(v, dim=1) for k, v in gate_steps.items()})
        inp = torch.stack(hs, dim=1)  # (B, L, hidden) feeds the next layer
    y = model.head(hidden[-1][-1]) + model.linear_part(x) + model.blend_part(x)
    return Unrolled(y, hidden, cells, gates)
