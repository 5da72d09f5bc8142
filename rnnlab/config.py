"""Typed run configuration: data + model + training, validated, and round-tripped to dict/JSON/URL."""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from rnnlab.errors import ConfigError

# Every choice list is declared once here; config validation, the CLI, models and pages use these.
Cell = Literal["rnn", "rnn-relu", "lstm", "gru"]
ScalerKind = Literal["auto", "none", "zscore", "minmax", "last", "diff"]
Optimizer = Literal["adam", "sgd", "rmsprop"]
Device = Literal["auto", "cpu", "cuda", "mps"]
Init = Literal["default", "orthogonal", "identity"]
Loss = Literal["auto", "last", "every"]
Shrink = Literal["auto", "off"]
Missing = Literal["interpolate", "drop", "refuse"]
Decimal = Literal["auto", ".", ","]
Thousands = Literal["auto", "none", ",", ".", "space", "'"]
CELLS: tuple[str, ...] = get_args(Cell)
SCALERS: tuple[str, ...] = get_args(ScalerKind)
OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)
DEVICES: tuple[str, ...] = get_args(Device)
INITS: tuple[str, ...] = get_args(Init)
LOSSES: tuple[str, ...] = get_args(Loss)
SHRINKS: tuple[str, ...] = get_args(Shrink)
MISSING: tuple[str, ...] = get_args(Missing)
DECIMALS: tuple[str, ...] = get_args(Decimal)
THOUSANDS: tuple[str, ...] = get_args(Thousands)


def _choice(value, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise ConfigError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}.")


# Limits that keep one user from exhausting a shared server; each refusal names the limit.
LIMITS = {
    "length": (10, 2_000_000),  # points in a generated series
    "samples": (10, 200_000),  # independent windows of a panel generator
    "data_seed": (0, 2**32 - 1),
    "lookback": (1, 5_000),
    "horizon": (1, 500),
    "inputs": (0, 64),  # extra input columns
    "hidden": (1, 2_048),
    "layers": (1, 8),
    "epochs": (1, 100_000),
    "batch_size": (1, 65_536),
    "seed": (0, 2**32 - 1),
    "patience": (0, 100_000),
    "probe_every": (-1, 1_000_000),
}
FLOAT_LIMITS = {
    "val_fraction": (0.0, 0.8), "test_fraction": (0.0, 0.8), "dropout": (0.0, 0.99), "init_gain": (0.0, 100.0),
    "lr": (0.0, 1000.0), "momentum": (0.0, 1.0), "weight_decay": (0.0, 10.0), "clip": (0.0, 1e6),
    "max_seconds": (0.0, 7 * 24 * 3600.0),
}


_LABELS = {"lr": "learning rate", "hidden": "hidden size", "inputs": "number of input columns"}


def check_limits(obj) -> None:
    """Every integer and float field of a config part inside its documented limits (and finite)."""
    for f in fields(obj):
        value, label = getattr(obj, f.name), _LABELS.get(f.name, f.name.replace("_", " "))
        if f.name in LIMITS:
            lo, hi = LIMITS[f.name]
            n = len(value) if f.name == "inputs" else value
            if isinstance(n, bool) or not isinstance(n, int):
                raise ConfigError(f"{label} must be a whole number (got {value!r}).")
            if not lo <= n <= hi:
                raise ConfigError(f"{label} must be between {lo:,} and {hi:,} (got {n:,}).")
        elif f.name in FLOAT_LIMITS:
            lo, hi = FLOAT_LIMITS[f.name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"{label} must be a finite number (got {value!r}).")
            if not lo <= value <= hi:
                raise ConfigError(f"{label} must be between {lo:g} and {hi:g} (got {value:g}).")


@dataclass
class DataConfig:
    """Where the series comes from and how it is cut into windows."""

    generator: str = "sales"  # name of a synthetic generator (see rnnlab.data.generators.GENERATORS)
    csv_path: str | None = None  # a CSV file to load instead of a generator
    column: str | None = None  # CSV target column; None: the first numeric column
    date_column: str | None = None  # CSV date column; None: detected from names and values; "": none
    inputs: list[str] = field(default_factory=list)  # extra CSV columns fed to the model as inputs
    missing: Missing = "interpolate"  # CSV gaps: interpolate (linear), drop the rows, or refuse the file
    decimal: Decimal = "auto"  # CSV decimal mark; auto: decided per column from its own values
    thousands: Thousands = "auto"  # CSV thousands separator; auto: per column; none: digits only
    length: int = 1000  # points in a generated single series
    samples: int = 1000  # independent windows for panel generators (seed-sales, delay, adding)
    params: dict[str, float] = field(default_factory=dict)  # generator parameters overriding its defaults
    data_seed: int = 0  # seed of the generator, so the same series comes back
    lookback: int = 50  # L: past time steps the model sees
    horizon: int = 1  # H: future steps predicted at once (direct multi-output)
    scaler: ScalerKind = "auto"  # auto: chosen from the training part only (last for wandering series, else zscore)
    val_fraction: float = 0.1  # chronological share held out for validation / early stopping
    test_fraction: float = 0.2  # chronological share at the end held out for the final test

    def validate(self) -> None:
        """Raise ConfigError for settings that cannot work."""
        check_limits(self)
        for name, v in self.params.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError(f"generator parameter {name} must be a finite number (got {v!r}).")
        _choice(self.scaler, SCALERS, "scaler")
        _choice(self.missing, MISSING, "missing-value policy")
        _choice(self.decimal, DECIMALS, "decimal mark")
        _choice(self.thousands, THOUSANDS, "thousands separator")
        if self.decimal != "auto" and self.decimal == self.thousands:
            raise ConfigError(f"the decimal mark and the thousands separator cannot both be {self.decimal!r}.")
        if not 0 < self.test_fraction < 1:
            raise ConfigError(f"test fraction must be between 0 and 1 (got {self.test_fraction}).")
        if not 0 <= self.val_fraction < 1 or self.val_fraction + self.test_fraction >= 0.9:
            raise ConfigError("validation + test fractions must leave at least 10 % of the data "
                              f"for training (got {self.val_fraction} + {self.test_fraction}).")


@dataclass
class ModelConfig:
    """The recurrent network: one class for every cell."""

    cell: Cell = "lstm"  # rnn (tanh), rnn-relu, lstm or gru
    hidden: int = 64  # units per recurrent layer
    layers: int = 1  # stacked recurrent layers
    dropout: float = 0.0  # dropout between stacked layers (torch ignores it for one layer)
    init: Init = "default"  # default (torch's uniform), orthogonal W_hh, or identity W_hh (IRNN)
    init_gain: float = 1.0  # scale of W_hh for orthogonal / identity init; >1 makes gradients explode
    highway: bool = False  # add a linear autoregression over the lookback, trained jointly (LSTNet)

    def validate(self) -> None:
        """Raise ConfigError for settings that cannot work."""
        _choice(self.cell, CELLS, "cell")
        _choice(self.init, INITS, "init")
        check_limits(self)
        if self.init_gain <= 0:
            raise ConfigError(f"init gain must be positive (got {self.init_gain}).")


@dataclass
class TrainConfig:
    """The optimisation loop."""

    epochs: int = 100  # passes over the training data (small real series need many optimizer steps)
    batch_size: int = 32  # windows per optimizer step
    lr: float = 1e-3  # learning rate
    optimizer: Optimizer = "adam"  # adam, sgd (with momentum) or rmsprop
    momentum: float = 0.9  # SGD momentum (ignored by the others)
    weight_decay: float = 0.0  # L2 penalty applied by the optimizer
    clip: float = 1.0  # max global gradient norm; 0 turns clipping off
    patience: int = 0  # early stopping: epochs without val improvement; 0 = off
    seed: int = 0  # seed of weights and batch order: same seed, same history on CPU
    device: Device = "auto"  # auto (cuda > mps > cpu), cpu, cuda or mps
    max_seconds: float = 0.0  # stop once training has taken this long (a CPU budget); 0 = no limit
    probe_every: int = 0  # diagnostics Probe every K steps; 0 = never; -1 = auto (probes cost <= ~10 % of time)
    loss: Loss = "auto"  # last: loss on the window's last step; every: after every step of longer training sequences; auto: every for one series (see README)
    shrink: Shrink = "auto"  # auto: a one-series network that lost to repeating the last value on validation is blended toward it (see README); off: never

    def validate(self) -> None:
        """Raise ConfigError for settings that cannot work."""
        check_limits(self)
        if self.lr <= 0:
            raise ConfigError(f"learning rate must be positive (got {self.lr}).")
        _choice(self.optimizer, OPTIMIZERS, "optimizer")
        _choice(self.loss, LOSSES, "loss")
        _choice(self.shrink, SHRINKS, "shrink")
        _choice(self.device, DEVICES, "device")


@dataclass
class RunConfig:
    """One experiment: the sum of the three configs above."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self) -> "RunConfig":
        """Validate every part; return self so calls chain."""
        self.data.validate()
        self.model.validate()
        self.train.validate()
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (JSON-safe)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        """Inverse of to_dict; unknown keys raise ConfigError instead of being silently dropped."""
        parts = {}
        for f in fields(cls):
            sub_cls = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}[f.name]
            sub = dict(d.get(f.name, {}))
            known = {g.name for g in fields(sub_cls)}
            unknown = set(sub) - known
            if unknown:
                raise ConfigError(f"unknown {f.name} setting(s): {', '.join(sorted(unknown))}.")
            parts[f.name] = sub_cls(**sub)
        return cls(**parts)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as e:
            raise ConfigError(f"the run configuration is not valid JSON: {e}") from None

    def to_query(self) -> dict[str, str]:
        """Flat URL query parameters ('model.hidden' -> '32') for values that differ from defaults."""
        flat, default = _flatten(self.to_dict()), _flatten(RunConfig().to_dict())
        return {k: json.dumps(v) for k, v in flat.items() if default.get(k) != v}

    @classmethod
    def from_query(cls, query: dict[str, str]) -> "RunConfig":
        """Inverse of to_query; ignores parameters that are not part of a config."""
        d = RunConfig().to_dict()
        for key, raw in query.items():
            part, _, name = key.partition(".")
            if part in d and name in d[part]:
                try:
                    value = json.loads(raw)
                except json.JSONDecodeError:
                    value = raw
                d[part][name] = _coerce(key, value, d[part][name])
        return cls.from_dict(d)


def _coerce(key: str, value, default):
    """A value from a URL in the type of the field's default; anything else raises ConfigError
    (a link is typed by hand sometimes: a widget must never receive a string for a number)."""
    bad = ConfigError(f"the link's {key} = {value!r} is not a valid value for it.")
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
            raise bad
        return int(value)
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return float(value)
    elif isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad
    elif isinstance(default, dict):
        if not isinstance(value, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                  for v in value.values()):
            raise bad
    elif value is not None and not isinstance(value, str):  # str fields, some optional (None)
        return str(value)
    return value


def _flatten(d: dict[str, Any]) -> dict[str, Any]:
    return {f"{part}.{k}": v for part, sub in d.items() for k, v in sub.items()}
