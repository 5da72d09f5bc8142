"""The runs a session keeps: the last few trained jobs, each with its config, history, probes,
metrics and trained weights, bounded in number and in memory.

A new run is added, never replacing one; when the book is over its count or memory budget the
oldest finished runs are dropped first (a running job is never dropped).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the first page keeps a RunBook; the job machinery loads with the first run
    from rnnlab.job import TrainingJob

MAX_RUNS = 8  # runs kept per session
MAX_RUN_BYTES = 512 * 2**20  # memory kept per session across its runs (weights, data, history, probes)


@dataclass
class Run:
    """One kept run: the job (config, snapshot, trained model) and a name people can change."""

    job: TrainingJob
    name: str

    @property
    def id(self) -> int:
        return self.job.id

    def label(self) -> str:
        """Name, cell, test MAE against the best baseline, and state, for pickers."""
        state, result = self.job.progress.brief()  # not snapshot(): a long run's trace is big
        cfg = self.job.config
        text = f"{self.name} · {cfg.model.cell}"
        if result is not None and result.mae is not None:
            name, best = result.best_baseline()
            text += f" · MAE {result.mae:.4g}"
            if best is not None:
                text += f" vs {best:.4g} ({name.replace('_', ' ')})"
        return f"{text} · {state}"


def run_bytes(job: TrainingJob) -> int:
    """Memory a finished run keeps: weights, data, prepared targets, the loss trace and probes."""
    total = 0
    s = job.setup
    if s is not None:
        total += sum(p.numel() * p.element_size() for p in s.model.parameters())
        data = s.data
        total += sum(a.nbytes for a in (getattr(data, "values", None), getattr(data, "x", None),
                                        getattr(data, "y", None)) if isinstance(a, np.ndarray))
        for part in (s.prep.train, s.prep.val, s.prep.test):
            total += part.y_raw.nbytes + part.last.nbytes + part.y.nbytes + part.t0.nbytes + part.pos.nbytes
    snap = job.snapshot()
    total += 24 * (len(snap.steps) + len(snap.losses) + len(snap.grad_norms))  # Python floats in lists
    for p in snap.probes:
        total += sum(np.asarray(a).nbytes for a in (p.grad_norm_per_t, p.hidden) if a is not None)
        total += sum(np.asarray(g).nbytes for g in (p.gates or {}).values())
    return total


class RunBook:
    """A session's kept runs, oldest first."""

    def __init__(self, max_runs: int = MAX_RUNS, max_bytes: int = MAX_RUN_BYTES):
        self.max_runs, self.max_bytes = max_runs, max_bytes
        self.runs: list[Run] = []
        self._names = 0

    def add(self, job: TrainingJob, name: str | None = None) -> list[Run]:
        """Keep a new run; return the runs dropped to stay within the budgets (oldest finished first)."""
        self._names += 1
        self.runs.append(Run(job, name or f"run {self._names}"))
        return self.trim()

    def trim(self) -> list[Run]:
        dropped = []
        while len(self.runs) > self.max_runs or (len(self.runs) > 1 and self.bytes() > self.max_bytes):
            old = next((r for r in self.runs[:-1] if not r.job.alive), None)
            if old is None:
                break  # everything older is still training: keep it
            self.runs.remove(old)
            dropped.append(old)
        return dropped

    def bytes(self) -> int:
        return sum(run_bytes(r.job) for r in self.runs)

    def training(self) -> bool:
        """Whether any kept run is still queued, training or paused (shown or not)."""
        return any(r.job.alive for r in self.runs)

    def get(self, run_id: int | None) -> Run | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def remove(self, run_id: int) -> Run | None:
        """Forget a run (a running one is stopped first)."""
        run = self.get(run_id)
        if run is not None:
            if run.job.alive:
                run.job.stop()
            self.runs.remove(run)
        return run

    def rename(self, run_id: int, name: str) -> None:
        run = self.get(run_id)
        if run is not None and name.strip():
            run.name = name.strip()[:60]
