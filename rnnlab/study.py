"""A Tune search shared by several processes, on one machine or many, through Optuna's own storage.

`rnnlab tune --storage URL --study NAME` on each worker: every process opens (or creates) the same
study and runs trials until the shared deadline or trial count; Optuna's storage hands out trial
numbers and the TPE sampler and median pruner see every worker's trials. Storage URLs:
- `sqlite:///tune.db`, `postgresql://user:pass@host/db`, `mysql+pymysql://...`: Optuna's RDBStorage,
  with heartbeats, so a trial whose worker died is marked failed by the others after GRACE_S;
- `journal:PATH` (or a path ending in .log / .journal): Optuna's journal file, for one machine or
  a shared file system.
No scheduler of our own: start the same command where you want workers (docs/cli.md).

Each trial records its worker (host:pid) and its row (seconds, epochs, errors per validation window,
...) as user attributes, so any worker, and the Tune page attached to the study, can show every
trial and pick the best by the same rule (rnnlab/trials.py).
"""
from __future__ import annotations

import os
import socket
import time
import warnings
from dataclasses import dataclass

import numpy as np

from rnnlab.errors import ConfigError
from rnnlab.trials import TrialRow, pick_best
from rnnlab.forkserver import alive

OPEN_TRIES = 8  # attempts to open the study while other workers create it
HEARTBEAT_S, GRACE_S = 5, 20  # RDB storages: a running trial without a heartbeat this long is failed
WORKER = f"{socket.gethostname()}:{os.getpid()}"
ROW_ATTRS = ("seconds", "epochs", "loss", "message", "origins", "alpha", "state")


def storage(url: str):
    """The Optuna storage for a URL (see the module docstring); ConfigError for anything else."""
    import optuna
    from optuna.storages.journal import JournalFileBackend
    if url.startswith("journal:") or ("://" not in url and url.endswith((".log", ".journal"))):
        path = url.removeprefix("journal:").removeprefix("//")
        return optuna.storages.JournalStorage(JournalFileBackend(path))
    if "://" in url:
        with warnings.catch_warnings():  # heartbeats are marked experimental; they are what fails dead trials
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(url, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S)
    raise ConfigError(f"--storage {url!r}: give a database URL (sqlite:///tune.db, postgresql://...) or "
                      "journal:PATH for a journal file.")


def open_study(url: str, name: str, seed: int, pruner):
    """Create the study, or join it when it exists (another worker, or a resumed search)."""
    import optuna
    # each worker samples with its own seed: the same seed everywhere would propose the same trials
    sampler = optuna.samplers.TPESampler(seed=(seed * 1_000_003 + os.getpid()) % 2**32)
    for attempt in range(OPEN_TRIES):  # workers started together race to create the tables and the study
        try:
            study = optuna.create_study(study_name=name, storage=storage(url), direction="minimize",
                                        sampler=sampler, pruner=pruner, load_if_exists=True)
            break
        except Exception:  # noqa: BLE001 - the loser of the race sees one of several errors: try again
            if attempt == OPEN_TRIES - 1:
                raise
            time.sleep(0.2 + 0.3 * attempt)
    reap(study)
    return study


def shared_deadline(study, budget: float) -> float:
    """Wall-clock end of the search: set by the first worker; a search resumed after its deadline
    passed gets a new one (budget seconds from now)."""
    deadline = study.user_attrs.get("deadline")
    if deadline is None or deadline < time.time():
        deadline = time.time() + budget
        study.set_user_attr("deadline", deadline)
    return float(deadline)


def reap(study, now: float | None = None) -> int:
    """Trials left running by a dead worker are marked failed. Returns how many.

    - labelled with a worker of this machine whose process is gone: at once;
    - with no worker label and started over GRACE_S ago: a live worker labels its trial first thing
      (rnnlab/tune.py), so such a trial's worker died between creating and labelling it.
    A journal file has no heartbeats, so this is all that ends its dead trials; RDB storages also fail
    any trial whose heartbeat stops for GRACE_S (other machines' workers included)."""
    from optuna.trial import TrialState
    host, now = socket.gethostname(), time.time() if now is None else now
    n = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = t.user_attrs.get("worker")
        w_host, _, pid = str(worker or "").rpartition(":")
        if worker is None:
            dead = t.datetime_start is not None and now - t.datetime_start.timestamp() > GRACE_S
        else:
            dead = w_host == host and pid.isdigit() and int(pid) != os.getpid() and not alive(int(pid))
        if dead:
            study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
            n += 1
    return n


def record(trial, row: TrialRow) -> None:
    """A finished row into its trial's user attributes, for the other workers and pages."""
    for k in ROW_ATTRS:
        trial.set_user_attr(k, getattr(row, k))
    if row.errors is not None:
        trial.set_user_attr("errors", [float(e) for e in row.errors])
    if row.value is not None:
        trial.set_user_attr("value", float(row.value))


def rows_of(study, exclude: str | None = WORKER) -> list[TrialRow]:
    """Every trial of the study as a row (those of `exclude`, this process, left out: it has them live)."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        a = t.user_attrs
        if exclude is not None and a.get("worker") == exclude:
            continue
        state = a.get("state") or {"RUNNING": "running", "COMPLETE": "complete", "PRUNED": "pruned"}.get(
            t.state.name, "failed")
        if t.state.name == "FAIL":
            state = "failed"
        row = TrialRow(t.number, dict(t.params), state, a.get("value"),
                       **{k: a[k] for k in ROW_ATTRS if k in a and k != "state"})
        row.errors = np.asarray(a["errors"]) if "errors" in a else None
        rows.append(row)
    return rows


def workers_seen(study) -> int:
    return len({t.user_attrs.get("worker") for t in study.get_trials(deepcopy=False)} - {None})


def describe(study, n_val_windows: int, persistence: float, budget: float) -> None:
    """What a page watching the study needs and cannot compute without the data."""
    study.set_user_attr("validation_windows", n_val_windows)
    study.set_user_attr("persistence", persistence)
    study.set_user_attr("budget", budget)


@dataclass
class StudyView:
    """A shared study as a page shows it, from its storage alone (no data, no training)."""

    name: str
    state: str  # running | done
    elapsed: float  # seconds since its current deadline's start
    budget: float
    trials: list[TrialRow]
    best: TrialRow | None
    persistence: float | None
    n_val_windows: int
    workers: int


def watch(url: str, name: str) -> StudyView:
    """Read a study another process runs (`rnnlab tune --storage URL --study NAME`); ConfigError when
    there is no such study."""
    import optuna
    try:
        study = optuna.load_study(study_name=name, storage=storage(url))
    except KeyError:
        raise ConfigError(f"no study named {name!r} in {url}: start one with `rnnlab tune --storage {url} "
                          f"--study {name} ...`.") from None
    rows = rows_of(study, exclude=None)
    a = study.user_attrs
    budget, deadline = float(a.get("budget", 0.0)), a.get("deadline")
    running = any(r.state == "running" for r in rows) or (deadline is not None and time.time() < deadline)
    elapsed = time.time() - (deadline - budget) if deadline is not None else 0.0
    n_val = int(a.get("validation_windows", 1))
    return StudyView(name, "running" if running else "done", elapsed, budget, rows, pick_best(rows, n_val),
                     a.get("persistence"), n_val, workers_seen(study))
