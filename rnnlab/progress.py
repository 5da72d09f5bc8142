"""A job's progress: what training produced so far, written by a runner, read through snapshots.

The runner (job.ThreadRunner, worker.ProcessRunner) writes events, the Setup, the state and the
result under one lock; readers (pages, Tune, the CLI's callers) call `snapshot()`, which copies
under the lock and never holds it long. Nothing here touches a UI or knows how training runs.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from rnnlab.result import RunResult
from rnnlab.events import Done, EpochEnd, Probe, StepEnd

MAX_PROBES = 300  # probe history kept per job (older ones thinned out)
FINISHED = ("completed", "stopped", "early-stop", "diverged", "error", "loaded")


@dataclass
class Snapshot:
    """A consistent copy of a job's progress, safe to read from any thread."""

    job_id: int
    state: str  # queued | starting | running | paused | completed | stopped | early-stop | diverged | error | loaded
    message: str
    step: int
    total_steps: int
    epoch: int
    epochs: int
    elapsed: float  # seconds since training began (pauses included)
    samples_per_s: float
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    result: RunResult | None = None
    queue_position: int | None = None  # place in the server's queue while waiting for a slot
    ending: str | None = None  # how the loop ended (Done.reason) while the run is scored, before it finishes

    @property
    def scoring(self) -> bool:
        """The loop has ended; the test metrics and baselines are being computed."""
        return self.ending is not None and not self.finished

    @property
    def progress(self) -> float:
        return min(self.step / self.total_steps, 1.0) if self.total_steps else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, from the pace so far."""
        if self.step == 0 or self.state not in ("running", "paused") or self.scoring:
            return None
        return self.elapsed / self.step * (self.total_steps - self.step)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def progress_line(self) -> str:
        """One line for a progress bar: state, epoch, step, ETA, throughput."""
        eta = f" · ETA {self.eta:.0f} s" if self.eta is not None else ""
        tail = " · scoring on the test part" if self.scoring else ""
        return (f"{self.ending if self.scoring else self.state} · epoch {self.epoch}/{self.epochs} · "
                f"step {self.step:,}/{self.total_steps:,}{eta} · {self.samples_per_s:,.0f} samples/s{tail}")


class Progress:
    """One job's progress under a lock: the event lists, state and message, Setup and result, and
    the lifecycle times (stop asked, paused since) the process runner's rules read."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state, self.message = "queued", "waiting for a free training slot"
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.grads: list[float] = []
        self.history: list[dict] = []
        self.probes: list[Probe] = []
        self.rate, self.epoch, self.total_steps = 0.0, 0, 0
        self.started: float | None = None  # perf_counter when training began
        self.setup = None  # experiment.Setup once built (model, prep) for Predict / Inspect
        self.result: RunResult | None = None
        self.stop_at: float | None = None  # monotonic time of the first stop request
        self.stop_note: str | None = None  # why the job was stopped, when it was not the user
        self.paused_at: float | None = None
        self.ending: str | None = None  # Done.reason once the loop has ended (scoring follows)
        self.ended = threading.Event()  # set when the loop has ended or the job finished

    def on_event(self, e) -> None:
        """A Trainer event. Called on the training thread every step: kept small (the GIL is shared)."""
        with self.lock:
            if isinstance(e, StepEnd):
                self.steps.append(e.step)
                self.losses.append(e.loss)
                self.grads.append(e.grad_norm)
                self.rate, self.epoch = e.samples_per_s, e.epoch
            elif isinstance(e, EpochEnd):
                self.history.append({"epoch": e.epoch, "train_loss": e.train_loss, "val_loss": e.val_loss})
            elif isinstance(e, Probe):
                self.probes.append(e)
                if len(self.probes) > MAX_PROBES:  # thin out old probes, keep the newest
                    self.probes = self.probes[:-1:2] + self.probes[-1:]
            elif isinstance(e, Done):
                self.ending = e.reason
                self.ended.set()

    def starting(self, message: str) -> None:
        """A training slot is held: the runner builds the run (in the app, in a child process)."""
        with self.lock:
            if self.state in ("queued", "starting"):
                self.state, self.message = "starting", message

    def begin(self, setup, total_steps: int, paused: bool) -> None:
        """The Trainer exists: training begins (paused if Pause came first)."""
        with self.lock:
            self.setup, self.total_steps = setup, total_steps
            self.started = time.perf_counter()
            self.state, self.message = ("paused" if paused else "running"), ""

    def finish(self, state: str, message: str, result: RunResult | None = None) -> None:
        """The end: a finished state and its sentence (the stop note, when something else stopped it)."""
        with self.lock:
            if result is not None:
                self.result = result
            if state == "stopped" and self.stop_note:
                message = self.stop_note
            self.state, self.message = state, message
            self.ended.set()

    def ask_stop(self, note: str | None) -> None:
        with self.lock:
            if self.stop_at is None:
                self.stop_at, self.stop_note = time.monotonic(), note

    def set_paused(self, paused: bool) -> bool:
        """Running (or starting) -> paused or back; False when the job is in neither state (nothing
        changes). Paused while starting, the run begins paused (begin reads the control's flag)."""
        with self.lock:
            if self.state not in (("running", "starting") if paused else ("paused",)):
                return False
            self.state, self.paused_at = ("paused", time.monotonic()) if paused else ("running", None)
            return True

    def brief(self) -> tuple[str, RunResult | None]:
        """(state, result) without copying the loss trace: for labels, redrawn on every rerun."""
        with self.lock:
            return self.state, self.result

    def snapshot(self, job_id: int, epochs: int, position=None) -> Snapshot:
        """Copy the progress under the lock; position() gives the queue place while queued."""
        with self.lock:
            elapsed = time.perf_counter() - self.started if self.started else 0.0
            place = position() if position is not None and self.state == "queued" else None
            return Snapshot(job_id, self.state, self.message, self.steps[-1] if self.steps else 0,
                            self.total_steps, self.epoch, epochs, elapsed, self.rate,
                            list(self.steps), list(self.losses), list(self.grads),
                            list(self.history), list(self.probes), self.result, place, self.ending)
