"""Server-wide bookkeeping of training jobs: the slots that cap how many train at once, and the
registry that stops the jobs of browser sessions that have gone away."""
from __future__ import annotations

import math
import os
import threading
import time
from typing import Protocol

from rnnlab.config import GATES, RunConfig
from rnnlab.events import Control

WORK_PER_THREAD = 4e6  # multiply-adds of one step's recurrent matrix product that pay for a thread


def auto_threads(cfg: RunConfig, cores: int | None = None, load: float | None = None) -> int:
    """CPU threads for training: one per WORK_PER_THREAD of a step's recurrent product (batch x hidden
    x gates x hidden), at most the cores not already busy (the 1-minute load average). Measured on 2
    cores: an LSTM of 64 units, batch 32, gains nothing from a second thread when idle and runs 4x
    slower with it when another process holds a core (torch's default takes every core); LSTM 512 x
    batch 256 runs 1.9x faster on two idle cores."""
    m, b = cfg.model, cfg.train.batch_size
    work = b * m.hidden * GATES[m.cell] * m.hidden * m.layers
    cores = cores or os.cpu_count() or 1
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    free = max(1, cores - math.ceil(load - 0.5))  # a process finishing its turn is not a busy core
    return int(max(1, min(free, work // WORK_PER_THREAD)))


class TrainingJob(Protocol):
    """What the registry needs of a job (rnnlab.job.TrainingJob): whether it runs, and a way to stop it."""

    alive: bool

    def stop(self, note: str | None = None) -> None: ...


class JobSlots:
    """A server-wide cap on simultaneously training jobs, served first come, first served."""

    def __init__(self, max_jobs: int = 2):
        self.max_jobs = max_jobs
        self._cond = threading.Condition()
        self._queue: list[object] = []  # tickets of waiting jobs, oldest first
        self.in_use = 0

    def acquire(self, control: Control, ticket: object | None = None, poll: float = 0.1) -> bool:
        """Wait for a free slot in queue order; give up (False) if the job is stopped while waiting."""
        ticket = ticket if ticket is not None else object()
        with self._cond:
            self._queue.append(ticket)
            try:
                while not control.stopped:
                    if self._queue[0] is ticket and self.in_use < self.max_jobs:
                        self.in_use += 1
                        return True
                    self._cond.wait(poll)
                return False
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()

    def position(self, ticket: object) -> int | None:
        """1 for the next job to get a slot; None when not waiting."""
        with self._cond:
            return self._queue.index(ticket) + 1 if ticket in self._queue else None

    def release(self) -> None:
        with self._cond:
            self.in_use -= 1
            self._cond.notify_all()


class JobRegistry:
    """Jobs by owner (a browser session), kept alive by the owner's heartbeats.

    Every rerun and every polling fragment of a session calls `touch(owner)`; the jobs of an owner
    not seen for `grace` seconds are stopped (the app uses Streamlit's server.disconnectedSessionTTL,
    so a network blip shorter than that keeps the runs). An owner may have several jobs (its kept
    runs, a race of cells); the server's slots bound how many train at once."""

    def __init__(self, grace: float = 120.0, interval: float = 1.0):
        self.grace, self.interval = grace, interval
        self._jobs: dict[str, list[TrainingJob]] = {}
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._watch, name="rnnlab-watchdog", daemon=True).start()

    def touch(self, owner: str) -> None:
        with self._lock:
            self._seen[owner] = time.monotonic()

    def put(self, owner: str, job: TrainingJob) -> None:
        with self._lock:
            self._jobs.setdefault(owner, []).append(job)
            self._seen.setdefault(owner, time.monotonic())  # not a heartbeat: a tuner adds jobs on its own

    def running(self) -> int:
        with self._lock:
            return sum(1 for jobs in self._jobs.values() for j in jobs if j.alive)

    def _watch(self) -> None:
        while True:
            time.sleep(self.interval)
            self.sweep()

    def sweep(self) -> None:
        now = time.monotonic()
        with self._lock:
            for owner, jobs in list(self._jobs.items()):
                if now - self._seen.get(owner, now) >= self.grace:
                    for job in jobs:
                        job.stop(f"the browser session went away ({self.grace:g} s without a sign of it)")
                    del self._jobs[owner]
                    self._seen.pop(owner, None)
                    continue
                jobs[:] = [j for j in jobs if j.alive]  # finished: nothing to watch
                if not jobs:
                    del self._jobs[owner]
            for owner, seen in list(self._seen.items()):  # sessions without a job: forget them
                if owner not in self._jobs and now - seen >= self.grace:
                    del self._seen[owner]
