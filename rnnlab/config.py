"""Typed run configuration: data + model + training, validated, and round-tripped to dict/JSON/URL."""
from __future__ import annotations

import copy
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
GATES = {"rnn": 1, "rnn-relu": 1, "lstm": 4, "gru": 3}  # blocks stacked in each torch weight_hh
RACE_CELLS = ("rnn", "lstm", "gru")  # the race of cells (rnnlab/compare.py, the gated-memory lesson)
SCALERS: tuple[str, ...] = get_args(ScalerKind)
OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)
DEVICES: tuple[str, ...] = get_args(Device)
INITS: tuple[str, ...] = get_args(Init)
LOSSES: tuple[str, ...] = get_args(Loss)
SHRINKS: tuple[str, ...] = get_args(Shrink)
MISSING: tuple[str, ...] = get_args(Missing)
DECIMALS: tuple[str, ...] = get_args(Decimal)
THOUSANDS: tuple[str, ...] = get_args(Thousands)


def setting(default=None, help: str = "", *, factory=None, choices: tuple[str, ...] | None = None,
            limits: tuple[float, float] | None = None, flag: str | None = None, label: str | None = None,
            metavar: str | None = None, cli: bool = True, group: str | None = None):
    """A config field with its contract in one place: `help` (CLI help and docs), `choices`, `limits`
    (inclusive; a list field's limits bound its length), the CLI `flag` (default: the field's name
    with dashes) and its `metavar`, the `label` used in messages, and `cli=False` for a field the
    CLI does not set; `group`: "csv" for the settings of a CSV file (a link without the file drops
    them), "user" for the person's own choices (device, diagnostics) that presets and lessons keep.
    The CLI's flags, the limit checks and the pages' widget bounds are all generated from it."""
    meta = {"help": help, "choices": choices, "limits": limits, "flag": flag, "label": label,
            "metavar": metavar, "cli": cli, "group": group}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def cli_fields() -> list[tuple[str, dataclasses.Field]]:
    """(part, field) for every field the CLI sets, in declaration order."""
    return [(part, f) for part, cls in PARTS.items() for f in fields(cls) if f.metadata.get("cli", True)]


def label(f: dataclasses.Field) -> str:
    return f.metadata.get("label") or f.name.replace("_", " ")


def flag(f: dataclasses.Field) -> str:
    """The CLI flag that sets a field, without the leading dashes."""
    return f.metadata.get("flag") or f.name.replace("_", "-")


def check_limits(obj) -> None:
    """Every field of a config part inside its declared choices and limits (numbers finite)."""
    for f in fields(obj):
        value, lim, choices = getattr(obj, f.name), f.metadata.get("limits"), f.metadata.get("choices")
        if choices is not None and value not in choices:
            raise ConfigError(f"unknown {label(f)} {value!r}; choose one of {', '.join(choices)}.")
        if lim is None:
            continue
        lo, hi = lim
        if isinstance(f.default, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"{label(f)} must be a finite number (got {value!r}).")
            if not lo <= value <= hi:
                raise ConfigError(f"{label(f)} must be between {lo:g} and {hi:g} (got {value:g}).")
            continue
        n = len(value) if isinstance(value, list) else value
        if isinstance(n, bool) or not isinstance(n, int):
            raise ConfigError(f"{label(f)} must be a whole number (got {value!r}).")
        if not lo <= n <= hi:
            raise ConfigError(f"{label(f)} must be between {lo:,} and {hi:,} (got {n:,}).")


def group(name: str) -> tuple[tuple[str, str], ...]:
    """(part, field) of every field declared in `group` (see `setting`)."""
    return tuple((part, f.name) for part, cls in PARTS.items() for f in fields(cls)
                 if f.metadata.get("group") == name)


def field_of(part: str, name: str) -> dataclasses.Field:
    """The dataclass field `name` of config part `part` ("data", "model" or "train")."""
    return next(f for f in fields(PARTS[part]) if f.name == name)


def bounds(part: str, name: str) -> tuple[float, float]:
    """(low, high) of a numeric field in the field's own type, for widgets: the limits the check enforces."""
    f = field_of(part, name)
    cast = float if isinstance(f.default, float) else int
    lo, hi = f.metadata["limits"]
    return cast(lo), cast(hi)


def field_help(part: str, name: str) -> str:
    """The help text declared with a field."""
    return field_of(part, name).metadata["help"]


SEED_MAX = 2**32 - 1


@dataclass
class DataConfig:
    """Where the series comes from and how it is cut into windows."""

    generator: str = setting("sales", "synthetic generator",
                             flag="data", metavar="GENERATOR")
    csv_path: str | None = setting(None, "CSV file to load instead of a generator", flag="csv",
                                   metavar="PATH", group="csv")
    column: str | None = setting(None, "CSV target column (default: the first numeric column that is not "
                                       "a date or a row counter)", metavar="NAME", group="csv")
    date_column: str | None = setting(None, "CSV date column (default: detected from names and values; "
                                            "an empty string means none)", metavar="NAME", group="csv")
    inputs: list[str] = setting(help="extra CSV input columns fed to the model, comma separated",
                                factory=list, limits=(0, 64), label="number of input columns", metavar="A,B",
                                group="csv")
    missing: Missing = setting("interpolate", "CSV gaps: interpolate (linear), drop the rows, or refuse "
                                              "the file", choices=MISSING, label="missing-value policy",
                               group="csv")
    decimal: Decimal = setting("auto", "CSV decimal mark; auto: decided per column from its own values",
                               choices=DECIMALS, label="decimal mark", group="csv")
    thousands: Thousands = setting("auto", "CSV thousands separator; auto: per column; none: digits only",
                                   choices=THOUSANDS, label="thousands separator", group="csv")
    length: int = setting(1000, "points in a generated single series", limits=(10, 2_000_000))
    samples: int = setting(1000, "independent windows for panel generators (seed-sales, delay, adding)",
                           limits=(10, 200_000))
    params: dict[str, float] = setting(help="generator parameters overriding its defaults (--param "
                                            "NAME=VALUE, repeatable)", factory=dict, flag="param",
                                       metavar="NAME=VALUE")
    data_seed: int = setting(0, "seed of the generator, so the same series comes back", limits=(0, SEED_MAX))
    lookback: int = setting(50, "L: past time steps the model sees", limits=(1, 5_000))
    horizon: int = setting(1, "H: future steps predicted at once (direct multi-output)", limits=(1, 500))
    scaler: ScalerKind = setting("auto", "auto: chosen from the training part only (last for wandering "
                                         "series, else minmax; see docs/recipe.md)", choices=SCALERS)
    val_fraction: float = setting(0.1, "chronological share held out for validation / early stopping",
                                  limits=(0.0, 0.8))
    test_fraction: float = setting(0.2, "chronological share at the end held out for the final test",
                                   limits=(0.0, 0.8))

    def validate(self) -> None:
        """Raise ConfigError for settings that cannot work."""
        check_limits(self)
        for name, v in self.params.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError(f"generator parameter {name} must be a finite number (got {v!r}).")
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

    cell: Cell = setting("lstm", "rnn (tanh), rnn-relu, lstm or gru", choices=CELLS)
    hidden: int = setting(64, "units per recurrent layer", limits=(1, 2_048), label="hidden size")
    layers: int = setting(1, "stacked recurrent layers", limits=(1, 8))
    dropout: float = setting(0.0, "dropout between stacked layers (torch ignores it for one layer)",
                             limits=(0.0, 0.99))
    init: Init = setting("default", "default (torch's uniform), orthogonal W_hh, or identity W_hh (IRNN)",
                         choices=INITS)
    init_gain: float = setting(1.0, "scale of W_hh for orthogonal / identity init; >1 makes gradients "
                                    "explode", limits=(0.0, 100.0))
    highway: bool = setting(False, "add a linear autoregression over the lookback, trained jointly (LSTNet)")

    def validate(self) -> None:
        """Raise ConfigError for settings that cannot work."""
        check_limits(self)
        if self.init_gain <= 0:
            raise ConfigError(f"init gain must be positive (got {self.init_gain}).")


@dataclass
class TrainConfig:
    """The optimisation loop."""

    epochs: int = setting(100, "passes over the training data (small real series need many optimizer "
                               "steps)", limits=(1, 100_000))
    batch_size: int = setting(32, "windows per optimizer step", limits=(1, 65_536))
    lr: float = setting(1e-3, "learning rate", limits=(0.0, 1000.0), label="learning rate")
    optimizer: Optimizer = setting("adam", "adam, sgd (with momentum) or rmsprop", choices=OPTIMIZERS)
    momentum: float = setting(0.9, "SGD momentum (ignored by the others)", limits=(0.0, 1.0), cli=False)
    weight_decay: float = setting(0.0, "L2 penalty applied by the optimizer", limits=(0.0, 10.0))
    clip: float = setting(1.0, "max global gradient norm; 0 turns clipping off", limits=(0.0, 1e6))
    patience: int = setting(0, "early stopping: epochs without val improvement; 0 = off",
                            limits=(0, 100_000))
    seed: int = setting(0, "seed of weights and batch order: same seed, same history on CPU",
                        limits=(0, SEED_MAX))
    device: Device = setting("auto", "auto (cuda > mps > cpu), cpu, cuda or mps", choices=DEVICES,
                             group="user")
    max_seconds: float = setting(0.0, "stop once training has taken this long (a CPU budget); 0 = no limit",
                                 limits=(0.0, 7 * 24 * 3600.0))
    probe_every: int = setting(0, "diagnostics Probe every K steps; 0 = never; -1 = auto (probes cost "
                                  "<= 5 % of time)", limits=(-1, 1_000_000), cli=False, group="user")
    loss: Loss = setting("auto", "last: loss on the window's last step; every: after every step of longer "
                                 "training sequences; auto: every for one series (see docs/recipe.md)",
                         choices=LOSSES)
    shrink: Shrink = setting("auto", "auto: a one-series network that lost to repeating the last value on "
                                     "validation is blended toward it (see docs/recipe.md); off: never",
                             choices=SHRINKS)
    interval: float = setting(0.9, "prediction interval level, split conformal on the validation part "
                                   "(docs/recipe.md); 0 = no interval", limits=(0.0, 0.99), metavar="LEVEL")

    def validate(self) -> None:
        """Raise ConfigError for settings that cannot work."""
        check_limits(self)
        if 0 < self.interval < 0.5:
            raise ConfigError(f"an interval level is between 0.5 and 0.99, or 0 for none (got {self.interval}).")
        if self.lr <= 0:
            raise ConfigError(f"learning rate must be positive (got {self.lr}).")


PARTS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}


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

    def copy(self) -> "RunConfig":
        """An independent copy (lists and dicts included)."""
        return copy.deepcopy(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        """Inverse of to_dict; unknown keys raise ConfigError instead of being silently dropped."""
        parts = {}
        for f in fields(cls):
            sub_cls = PARTS[f.name]
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
