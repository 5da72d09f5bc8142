"""Named starting points (CLI --preset, the home page's demo button, the lessons).

Each preset pins everything its published numbers depend on (hidden size, epochs, loss, shrink,
and the scaler where the auto rule's choice changed), so a change of defaults never changes them."""
from __future__ import annotations

PRESETS: dict[str, dict] = {
    # The classic Keras SimpleRNN(50) tutorial, done right: same data and model, scaled inputs.
    "keras-classic": {"data": {"generator": "seed-sales", "samples": 1000, "lookback": 50},
                      "model": {"cell": "rnn", "hidden": 50},
                      "train": {"epochs": 20, "batch_size": 32, "lr": 1e-3, "loss": "last", "shrink": "off"}},
    # A daily sales series with weekly seasonality and an LSTM.
    "sales-lstm": {"data": {"generator": "sales", "length": 1000, "lookback": 28},
                   "model": {"cell": "lstm", "hidden": 32},
                   "train": {"epochs": 30, "loss": "last", "shrink": "off"}},
    # Vanishing gradients: a tanh RNN that must remember an input 40 steps back.
    "vanishing": {"data": {"generator": "delay", "samples": 2000, "lookback": 60, "params": {"lag": 40}},
                  "model": {"cell": "rnn", "hidden": 32},
                  "train": {"epochs": 10, "loss": "last", "shrink": "off"}},
    # Exploding gradients: ReLU RNN with identity W_hh scaled above 1 (1.2^60 ~ 56,000); clipping tames it.
    "exploding": {"data": {"generator": "sine", "length": 1000, "lookback": 60, "scaler": "zscore"},
                  "model": {"cell": "rnn-relu", "hidden": 32, "init": "identity", "init_gain": 1.2},
                  "train": {"epochs": 20, "lr": 1e-2, "clip": 1.0, "loss": "last", "shrink": "off"}},
}


def preset_dict(name: str) -> dict:
    """Default RunConfig dict with the preset applied (unknown names raise ConfigError)."""
    from rnnlab.config import RunConfig
    from rnnlab.errors import ConfigError

    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}.")
    d = RunConfig().to_dict()
    for part, values in PRESETS[name].items():
        d[part].update(values)
    return d


def preset_config(name: str, **train_overrides):
    """The RunConfig of a preset, with optional training overrides (device="cpu", epochs=...)."""
    from rnnlab.config import RunConfig

    d = preset_dict(name)
    d["train"].update(train_overrides)
    return RunConfig.from_dict(d)
