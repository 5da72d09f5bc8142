"""What the training loop tells its listeners (events), and the flags it obeys (Control).

Torch-free on purpose: the app's server reads these from a training child without importing torch,
so a fresh server draws its first page before torch has loaded (rnnlab/train.py raises them)."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepEnd:
    step: int
    epoch: int
    loss: float
    grad_norm: float  # global gradient norm before clipping
    lr: float
    samples_per_s: float


@dataclass
class EpochEnd:
    epoch: int
    train_loss: float  # mean over the epoch's batches (scaled units)
    val_loss: float | None  # None when there is no validation part
    seconds: float  # wall time of the training loop so far, pauses excluded


@dataclass
class Probe:
    step: int
    grad_norm_per_t: Any  # (layers, L) numpy array of ||dL/dh_t||
    hidden: Any  # (L, hidden) hidden states of the probe window, top layer
    gates: Any  # dict gate name -> (L, hidden), empty for plain RNNs
    spectral_radius: float  # of W_hh (layer 0)
    extra: dict = field(default_factory=dict)  # connectivity, singular values and radius per layer, seconds


@dataclass
class Done:
    reason: str  # completed | stopped | early-stop | diverged | error
    message: str = ""


Event = StepEnd | EpochEnd | Probe | Done


class Control:
    """Thread-safe stop / pause flags, set by any thread and checked by the loop every step."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused loop so it can see the stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused; return the seconds spent waiting."""
        if self._running.is_set():
            return 0.0
        t = time.perf_counter()
        self._running.wait()
        return time.perf_counter() - t
