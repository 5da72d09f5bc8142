"""TrainingJob: one experiment in a background thread, read through a locked snapshot.

The thread never touches any UI; it appends events to plain lists under a lock. Readers call
`snapshot()` (cheap copies) and build figures outside the lock. The server-wide slots and the
session watchdog live in rnnlab/serve.py.
"""
from __future__ import annotations

import copy
import itertools
import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from rnnlab.config import RunConfig
from rnnlab.errors import RnnlabError
from rnnlab.serve import JobRegistry, JobSlots  # noqa: F401 (re-exported: scripts and tests import them here)
from rnnlab.train import Control, EpochEnd, Probe, StepEnd

MAX_PROBES = 300  # probe history kept per job (older ones thinned out)
STOP_GRACE_S = 5.0  # after Stop, a child has this long to finish its step and report, then SIGTERM
KILL_GRACE_S = 2.0  # after SIGTERM, this long before SIGKILL
PAUSE_LIMIT_S = 600.0  # a job paused this long is stopped (results kept), freeing its slot
FINISHED = ("completed", "stopped", "early-stop", "diverged", "error", "loaded")
_ids = itertools.count(1)


@dataclass
class Snapshot:
    """A consistent copy of a job's progress, safe to read from any thread."""

    job_id: int
    state: str  # queued | running | paused | completed | stopped | early-stop | diverged | error | loaded
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
    result: dict | None = None
    queue_position: int | None = None  # place in the server's queue while waiting for a slot

    @property
    def progress(self) -> float:
        return min(self.step / self.total_steps, 1.0) if self.total_steps else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, from the pace so far."""
        if self.step == 0 or self.state not in ("running", "paused"):
            return None
        return self.elapsed / self.step * (self.total_steps - self.step)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def progress_line(self) -> str:
        """One line for a progress bar: state, epoch, step, ETA, throughput."""
        eta = f" · ETA {self.eta:.0f} s" if self.eta is not None else ""
        return (f"{self.state} · epoch {self.epoch}/{self.epochs} · step {self.step:,}/{self.total_steps:,}"
                f"{eta} · {self.samples_per_s:,.0f} samples/s")


class TrainingJob:
    """Runs `experiment.run_experiment` in a daemon thread; stop / pause / resume from any thread."""

    def __init__(self, config: RunConfig, data=None, slots: JobSlots | None = None,
                 owner: str | None = None, probe_factory: Callable | None = None,
                 mode: str = "thread", cpu_threads: int | None = None,
                 stop_grace: float = STOP_GRACE_S, pause_limit: float = PAUSE_LIMIT_S,
                 start_from: dict | None = None):
        self.id = next(_ids)
        self.start_from = start_from  # weights (name -> array) to continue training from, else fresh
        self.stop_grace, self.pause_limit = stop_grace, pause_limit
        self._stop_at: float | None = None  # monotonic time of the first stop request
        self._paused_at: float | None = None
        self._stop_note: str | None = None  # why the job was stopped, when it was not the user
        self.child_pid: int | None = None
        self._ended_by_us = False  # the child was terminated or killed after the stop grace
        self._live: tuple[int, dict] | None = None  # (epoch, weights) sent by a training child
        self._live_model = None  # a copy of the model that shows those weights
        # mode "process": train in a forkserver child with its own GIL (what the app uses; see
        # rnnlab/worker.py); "thread": train in this process (scripts, tests).
        self.mode = mode
        # Torch's CPU thread pool is per calling thread: a second pool beside the caller's makes the
        # two spin against each other on few cores, 2-3x slower than one thread for these small
        # models, so thread mode defaults to 1; a child process keeps torch's own choice.
        self.cpu_threads = cpu_threads if cpu_threads is not None else (1 if mode == "thread" else None)
        self.config, self.data, self.slots, self.owner = config, data, slots, owner
        self.probe_factory = probe_factory  # (Setup) -> probe callable, for live diagnostics
        if mode == "process":
            from rnnlab.worker import ProcessControl
            self.control = ProcessControl()
        elif mode == "thread":
            self.control = Control()
        else:
            raise ValueError(f"unknown job mode {mode!r}; use 'thread' or 'process'.")
        self._lock = threading.Lock()
        self._state, self._message = "queued", "waiting for a free training slot"
        self._steps: list[int] = []
        self._losses: list[float] = []
        self._grads: list[float] = []
        self._history: list[dict] = []
        self._probes: list[Probe] = []
        self._rate, self._epoch, self._started = 0.0, 0, None
        self._total_steps = 0
        self.result: dict | None = None
        self.setup = None  # experiment.Setup once built (model, prep) for Predict / Inspect
        self._thread = threading.Thread(target=self._run, name=f"rnnlab-job-{self.id}", daemon=True)

    @classmethod
    def loaded(cls, setup, result: dict, history: list[dict]) -> "TrainingJob":
        """A finished job for a run read back from a file (experiment.restore): nothing trains."""
        job = cls(setup.config)
        job.setup, job.result = setup, result
        job._history, job._epoch = list(history), len(history)
        job._state, job._message = "loaded", "loaded from a run file"
        return job

    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    def stop(self, note: str | None = None) -> None:
        """Ask the loop to stop; in process mode the child is ended if it does not within the grace."""
        with self._lock:
            if self._stop_at is None:
                self._stop_at, self._stop_note = time.monotonic(), note
        self.control.stop()

    def pause(self) -> None:
        with self._lock:
            if self._state == "running":
                self.control.pause()
                self._state, self._paused_at = "paused", time.monotonic()

    def resume(self) -> None:
        with self._lock:
            if self._state == "paused":
                self.control.resume()
                self._state, self._paused_at = "running", None

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def live_model(self):
        """(epoch, model) with the latest weights while training, or None before the first epoch.

        Process mode: a copy of the parent's model gets the weights the child sent at its last
        epoch end. Thread mode: the model being trained itself (read while it changes)."""
        s = self.setup
        if s is None or not self._history:
            return None
        if self.mode == "thread":
            return self._history[-1]["epoch"], s.model
        import torch
        with self._lock:  # a copy of its own: the real model only ever receives the final weights
            if self._live is None:
                return None
            if self._live_model is None:
                self._live_model = copy.deepcopy(s.model)
            self._live_model.load_state_dict({k: torch.as_tensor(v) for k, v in self._live[1].items()})
            self._live_model.eval()
            return self._live[0], self._live_model

    def _on_event(self, e) -> None:
        # Called on the training thread every step: keep it small (the GIL is shared with the UI).
        with self._lock:
            if isinstance(e, StepEnd):
                self._steps.append(e.step)
                self._losses.append(e.loss)
                self._grads.append(e.grad_norm)
                self._rate, self._epoch = e.samples_per_s, e.epoch
            elif isinstance(e, EpochEnd):
                self._history.append({"epoch": e.epoch, "train_loss": e.train_loss, "val_loss": e.val_loss})
            elif isinstance(e, Probe):
                self._probes.append(e)
                if len(self._probes) > MAX_PROBES:  # thin out old probes, keep the newest
                    self._probes = self._probes[:-1:2] + self._probes[-1:]

    def _run(self) -> None:
        if self.slots is not None and not self.slots.acquire(self.control, ticket=self):
            self._finish("stopped", "stopped before a training slot was free")
            return
        try:
            (self._run_process if self.mode == "process" else self._run_thread)()
        except RnnlabError as e:
            self._finish("error", str(e))
        except Exception as e:  # a bug: keep the app alive and say what happened
            traceback.print_exc()
            self._finish("error", f"unexpected {type(e).__name__}: {e}")
        finally:
            if self.slots is not None:
                self.slots.release()

    def _started_training(self, s, total_steps: int) -> None:
        with self._lock:
            self.setup, self._total_steps = s, total_steps
            self._started = time.perf_counter()
            self._state = "paused" if self.control.paused else "running"
            self._message = ""

    def _run_thread(self) -> None:
        import torch

        from rnnlab.experiment import setup, train

        if self.cpu_threads:
            torch.set_num_threads(self.cpu_threads)
        s = setup(self.config, self.data, start_from=self.start_from)
        done, self.result = train(s, [self._on_event], self.control, self.probe_factory,
                                  on_start=lambda total: self._started_training(s, total))
        self._finish(done.reason, done.message)

    def _run_process(self) -> None:
        from rnnlab.experiment import setup
        from rnnlab.worker import child_main, context, start

        # the parent's copy: data parts for charts, the model that receives the trained weights
        s = setup(self.config, self.data, place_tensors=False, start_from=self.start_from)  # checks the weights fit
        ctx = context()
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=child_main, name=f"rnnlab-job-{self.id}", daemon=True,
                           args=(self.config.to_dict(), s.data, send, self.control, self.probe_factory,
                                 self.cpu_threads, os.getpid(), self.start_from))
        start(proc)
        self.child_pid = proc.pid
        send.close()
        try:
            while True:
                if not receive.poll(0.2):
                    if self._enforce(proc):
                        return
                    if not proc.is_alive() and not receive.poll(0):
                        self._finish("error", f"the training process ended unexpectedly (exit code {proc.exitcode})")
                        return
                    continue
                if self._receive(receive.recv(), s):
                    return
        except EOFError:
            if self._ended_by_us:
                self._finish_ended()
            else:
                self._finish("error", "the training process closed its pipe before finishing")
        finally:
            receive.close()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()

    def _receive(self, msg, s) -> bool:
        """One message from the training child (rnnlab.worker's dataclasses); True once it ended."""
        from rnnlab import worker

        if isinstance(msg, worker.Events):
            for e in msg.events:
                self._on_event(e)
        elif isinstance(msg, worker.Started):
            self._started_training(s, msg.total_steps)
        elif isinstance(msg, worker.Weights):
            with self._lock:
                self._live = (msg.epoch, msg.state)
        elif isinstance(msg, worker.Finished):
            import torch
            s.model.load_state_dict({k: torch.as_tensor(v) for k, v in msg.state.items()})
            s.model.eval()
            self.result = msg.result
            self._finish(msg.done.reason, msg.done.message)
            return True
        elif isinstance(msg, worker.Failed):
            self._finish("error", msg.message)
            return True
        return False

    def _enforce(self, proc) -> bool:
        """Lifecycle rules, checked while waiting for the child; True once the child was ended.

        A job paused longer than `pause_limit` is stopped (its results are kept) to free its slot.
        A child that has not finished `stop_grace` seconds after Stop (stuck in a long step or
        probe) gets SIGTERM, and SIGKILL KILL_GRACE_S later."""
        now = time.monotonic()
        if self._paused_at is not None and now - self._paused_at > self.pause_limit:
            self._paused_at = None
            self.stop(f"paused for more than {self.pause_limit:g} s: stopped to free the training slot; "
                      "the results so far are kept")
        if self._stop_at is None or now - self._stop_at < self.stop_grace:
            return False
        if proc.is_alive():
            self._ended_by_us = True
            if now - self._stop_at < self.stop_grace + KILL_GRACE_S:
                proc.terminate()
            else:
                proc.kill()
            return False
        self._finish_ended()
        return True

    def _finish_ended(self) -> None:
        self._finish("stopped", f"the training process did not stop within {self.stop_grace:g} s "
                     "(busy in a long step or probe), so it was ended; no results were kept")

    def _finish(self, state: str, message: str) -> None:
        with self._lock:
            if state == "stopped" and self._stop_note:
                message = self._stop_note
            self._state, self._message = state, message

    def snapshot(self) -> Snapshot:
        """Copy the progress under the lock; never blocks the training thread for long."""
        with self._lock:
            elapsed = time.perf_counter() - self._started if self._started else 0.0
            position = self.slots.position(self) if self.slots is not None and self._state == "queued" else None
            return Snapshot(self.id, self._state, self._message, self._steps[-1] if self._steps else 0,
                            self._total_steps, self._epoch, self.config.train.epochs, elapsed, self._rate,
                            list(self._steps), list(self._losses), list(self._grads),
                            list(self._history), list(self._probes), self.result, position)
