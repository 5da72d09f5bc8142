"""RecurrentRegressor: one model class over torch's fused nn.RNN / nn.LSTM / nn.GRU."""
from __future__ import annotations

import torch
from torch import nn

from rnnlab.config import ModelConfig
from rnnlab.errors import ConfigError

# cell name -> (torch module name, extra kwargs)
CELL_TYPES = {
    "rnn": ("RNN", {"nonlinearity": "tanh"}),
    "rnn-relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
}
GATES = {"rnn": 1, "rnn-relu": 1, "lstm": 4, "gru": 3}  # blocks stacked in weight_hh


class RecurrentRegressor(nn.Module):
    """Recurrent layers over (batch, L, F) inputs; a linear head on the last hidden state -> (batch, H)."""

    def __init__(self, cell: str, n_features: int, hidden: int, layers: int = 1,
                 dropout: float = 0.0, horizon: int = 1):
        super().__init__()
        if cell not in CELL_TYPES:
            raise ConfigError(f"unknown cell {cell!r}; choose one of {', '.join(CELL_TYPES)}.")
        name, kwargs = CELL_TYPES[cell]
        self.cell, self.hidden_size, self.num_layers = cell, hidden, layers
        self.rnn = getattr(nn, name)(n_features, hidden, num_layers=layers, batch_first=True,
                                     dropout=dropout if layers > 1 else 0.0, **kwargs)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (batch, L, hidden): top layer's hidden state at every step
        return self.head(out[:, -1])  # (batch, H)

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


def build_model(cfg: ModelConfig, n_features: int, horizon: int) -> RecurrentRegressor:
    """Build and initialise the model of a ModelConfig (seed the RNG before calling)."""
    model = RecurrentRegressor(cfg.cell, n_features, cfg.hidden, cfg.layers, cfg.dropout, horizon)
    initialise(model, cfg.init, cfg.init_gain)
    return model
