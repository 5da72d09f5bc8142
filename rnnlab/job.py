"""TrainingJob: one experiment trained in the background, read through a locked snapshot.

A job is three parts: its Progress (rnnlab/progress.py: events, state, Setup, result, under a lock),
a runner that trains and writes into it (ThreadRunner here, in this process; worker.ProcessRunner,
in a forkserver child, which owns the pipe protocol, the stop grace and the signals), and this
class, which queues for a slot and answers stop, pause, snapshot and live_model. Nothing here
touches a UI. The server-wide slots and the session watchdog live in rnnlab/serve.py.
"""
from __future__ import annotations

import itertools
import threading
import time
import traceback
from typing import Callable

from rnnlab.config import RunConfig
from rnnlab.errors import RnnlabError
from rnnlab.progress import FINISHED, MAX_PROBES, Progress, Snapshot  # noqa: F401 (re-exported)
from rnnlab.result import RunResult
from rnnlab.serve import JobRegistry, JobSlots  # noqa: F401 (re-exported: scripts and tests import them here)
from rnnlab.events import Control
from rnnlab.worker import KILL_GRACE_S, PAUSE_LIMIT_S, STOP_GRACE_S, ProcessRunner  # noqa: F401

_ids = itertools.count(1)


class ThreadRunner:
    """Trains in the job's own thread, in this process (scripts, tests, Tune's trials)."""

    def __init__(self, cpu_threads: int | None) -> None:
        # Torch's CPU thread pool is per calling thread: a second pool beside the caller's makes the
        # two spin against each other on few cores, 2-3x slower than one thread for these small
        # models, so a thread runner defaults to 1.
        self.cpu_threads = 1 if cpu_threads is None else cpu_threads
        self.control = Control()
        self.child_pid = None

    def run(self, job: "TrainingJob") -> None:
        import torch

        from rnnlab.experiment import setup, train

        if self.cpu_threads:
            torch.set_num_threads(self.cpu_threads)
        s = setup(job.config, job.data, start_from=job.start_from)
        p = job.progress
        done, result = train(s, [p.on_event], self.control, job.probe_factory,
                             on_start=lambda total: p.begin(s, total, self.control.paused))
        p.finish(done.reason, done.message, result)

    def discard(self) -> None:
        """Nothing to release: the job will not run."""

    def live_model(self, progress: Progress):
        """The model being trained itself (read while it changes)."""
        return progress.history[-1]["epoch"], progress.setup.model


class TrainingJob:
    """Runs `experiment.setup` + `experiment.train` in a daemon thread, or in a child process that
    this thread watches; stop / pause / resume from any thread."""

    def __init__(self, config: RunConfig, data=None, slots: JobSlots | None = None,
                 owner: str | None = None, probe_factory: Callable | None = None,
                 mode: str = "thread", cpu_threads: int | None = None,
                 stop_grace: float = STOP_GRACE_S, pause_limit: float = PAUSE_LIMIT_S,
                 start_from: dict | None = None):
        self.id = next(_ids)
        self.config, self.data, self.slots, self.owner = config, data, slots, owner
        self.start_from = start_from  # weights (name -> array) to continue training from, else fresh
        self.probe_factory = probe_factory  # (Setup) -> probe callable, for live diagnostics
        # mode "process": train in a forkserver child with its own GIL (what the app uses; see
        # rnnlab/worker.py); "thread": train in this process (scripts, tests).
        if mode == "process":
            self.runner = ProcessRunner(cpu_threads, stop_grace, pause_limit)
        elif mode == "thread":
            self.runner = ThreadRunner(cpu_threads)
        else:
            raise ValueError(f"unknown job mode {mode!r}; use 'thread' or 'process'.")
        self.mode, self.control = mode, self.runner.control
        self.progress = Progress()
        self._thread = threading.Thread(target=self._run, name=f"rnnlab-job-{self.id}", daemon=True)

    @classmethod
    def loaded(cls, setup, result: RunResult, history: list[dict]) -> "TrainingJob":
        """A finished job for a run read back from a file (experiment.restore): nothing trains."""
        job = cls(setup.config)
        p = job.progress
        p.setup, p.result, p.history, p.epoch = setup, result, list(history), len(history)
        p.state, p.message = "loaded", "loaded from a run file"
        return job

    @property
    def setup(self):
        """experiment.Setup once built (model, prep) for Predict / Inspect; None before."""
        return self.progress.setup

    @property
    def result(self) -> RunResult | None:
        return self.progress.result

    @property
    def child_pid(self) -> int | None:
        return self.runner.child_pid

    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    def stop(self, note: str | None = None) -> None:
        """Ask the loop to stop; in process mode the child is ended if it does not within the grace."""
        self.progress.ask_stop(note)
        self.control.stop()

    def pause(self) -> None:
        if self.progress.set_paused(True):
            self.control.pause()

    def resume(self) -> None:
        if self.progress.set_paused(False):
            self.control.resume()

    def wait_ended(self, timeout: float | None = None) -> bool:
        """Wait until the training loop has ended (its Done event: stopped, completed, diverged) or
        the job finished; the run may still be scoring on the test part. True if it has."""
        return self.progress.ended.wait(timeout)

    def first_step(self, timeout: float) -> Snapshot:
        """The snapshot once the run has its first step, has finished or waits in the queue, or after
        `timeout` seconds: the page drawn right after Train then already shows a loss point."""
        deadline = time.monotonic() + timeout
        snap = self.snapshot()
        while not snap.steps and not snap.finished and snap.queue_position is None and time.monotonic() < deadline:
            time.sleep(0.01)
            snap = self.snapshot()
        return snap

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def live_model(self):
        """(epoch, model) with the latest weights while training, or None before the first epoch
        (thread: the model being trained; process: a copy holding the weights the child last sent)."""
        if self.setup is None or not self.progress.history:
            return None
        return self.runner.live_model(self.progress)

    def _run(self) -> None:
        if self.slots is not None and not self.slots.acquire(self.control, ticket=self):
            self.runner.discard()
            self.progress.finish("stopped", "stopped before a training slot was free")
            return
        self.progress.starting("starting the run")
        try:
            self.runner.run(self)
        except RnnlabError as e:
            self.progress.finish("error", str(e))
        except Exception as e:  # a bug: keep the app alive and say what happened
            traceback.print_exc()
            self.progress.finish("error", f"unexpected {type(e).__name__}: {e}")
        finally:
            if self.slots is not None:
                self.slots.release()

    def snapshot(self) -> Snapshot:
        """Copy the progress under the lock; never blocks the training thread for long."""
        position = (lambda: self.slots.position(self)) if self.slots is not None else None
        return self.progress.snapshot(self.id, self.config.train.epochs, position)
