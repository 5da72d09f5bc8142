"""RunResult: what one run produced, trained or restored from a run file.

experiment.run_result builds it (the one builder); the CLI's JSON, run files, the pages, the race,
Tune and the benchmarks read its fields. `to_json()` gives the CLI's JSON shape (docs/cli.md) with
NaN and infinities turned into null, since JSON cannot carry them.

`test` and each entry of `baselines` are metric tables: metric name (mse, mae, rmse, smape, mase, n)
to value, None where a number would not be honest (a diverged model, MASE without a scale), and
`by_horizon`: the same metrics for each step ahead (a list, step 1 first).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from rnnlab.config import RunConfig


@dataclass(frozen=True)
class LossChoice:
    """The training loss in use and why: "last" (the window's last step) or "every" (every step)."""
    mode: str
    reason: str


@dataclass
class RunResult:
    config: RunConfig
    device: str  # where it trained: "cpu", "cuda", "cuda:1", ...
    history: list[dict]  # one row per epoch: epoch, train_loss, val_loss, seconds, ...
    stopped_reason: str  # Done.reason: finished, early_stopped, stopped, budget, diverged, loaded, ...
    message: str  # Done.message: one sentence for people
    scaler: str  # the scaler kind in use
    scaler_reason: str
    loss: LossChoice
    windows: dict[str, int]  # windows per part: train, val, test
    test: dict  # the model's test metrics, in the series' units
    baselines: dict[str, dict]  # baseline name -> its metrics on the same test windows
    seasonal_period: int | None
    notes: list[str] = field(default_factory=list)  # what the loader and restore decided, warnings first
    missing_baselines: dict[str, str] = field(default_factory=dict)  # baseline name -> why it has no row
    interval: dict | None = None  # the test band: level, coverage reached, half-widths (intervals.py)
    flat: bool = False  # the target does not change over the training part: nothing to learn
    shrink: dict | None = None  # the shrink toward persistence: alpha, reason, ...
    train_seconds: float = 0.0
    steps: int = 0  # optimizer steps taken
    cpu_threads: int | None = None  # torch threads the CLI trained with (None: the app's default)

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    @property
    def mae(self) -> float | None:
        """The model's test MAE, None when it has no finite predictions."""
        return self.test.get("mae")

    def best_baseline(self) -> tuple[str | None, float | None]:
        """(name, MAE) of the baseline with the lowest finite test MAE (persistence first on ties)."""
        base = {k: v["mae"] for k, v in self.baselines.items()
                if v.get("mae") is not None and math.isfinite(v["mae"])}
        if not base:
            return None, None
        name = min(base, key=base.get)
        return name, base[name]

    @property
    def shrunk(self) -> bool:
        """Whether the network was shrunk toward persistence (alpha below 1)."""
        return bool(self.shrink) and self.shrink.get("alpha", 1.0) < 1

    def to_json(self) -> dict:
        """The CLI's JSON shape (docs/cli.md); NaN and infinities become null."""
        return finite({"config": self.config.to_dict(), "device": self.device,
                       "train_seconds": self.train_seconds, "epochs_run": self.epochs_run, "steps": self.steps,
                       "stopped_reason": self.stopped_reason, "message": self.message, "history": self.history,
                       "scaler": self.scaler, "scaler_reason": self.scaler_reason,
                       "loss": {"mode": self.loss.mode, "reason": self.loss.reason}, "windows": self.windows,
                       "test": self.test, "baselines": self.baselines, "seasonal_period": self.seasonal_period,
                       "notes": self.notes, "shrink": self.shrink, "cpu_threads": self.cpu_threads,
                       "missing_baselines": self.missing_baselines, "interval": self.interval,
                       "flat": self.flat})


def finite(obj):
    """A JSON-ready copy of obj: NaN and infinities (anywhere in dicts and lists) become None."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj
