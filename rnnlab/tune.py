"""Tune: a search over cell, size, learning rate, lookback, scaler, loss and highway, judged on the
validation part only, within a time budget (Optuna: TPE sampler, median pruning per epoch).

Every trial is a TrainingJob (the same machinery and server slots as any run). A trial's score is
the validation MSE of its trained model's predictions in the series' own units, so trials with
different scalers compare fairly (the pruner sees, per epoch, the scaled validation loss times the
scaler's y_scale squared: the same in those units for horizon 1). A short validation
part (under trials.FOLD_WINDOWS windows: a year of months) is noisy to choose by, so a trial is then also
trained and scored at earlier origins, the blocks of the same length just before it (rolling-origin
cross-validation, as in Hyndman's tsCV), and its score is the mean. A trial is scored as it would be
used: after the shrink toward persistence that every run with shrink `auto` gets (experiment.
shrink_to_persistence, fitted on the same validation block), so a network that loses to repeating
the last value scores about what persistence scores. Your settings are trial 0, and a later trial
replaces the best so far only when it wins window by window beyond luck (see beats).

The test part is never looked at while searching (the earlier origins' series end before it): the
best configuration is trained once more on the usual split and only that run is evaluated on the
test part, by the caller (CLI: `python -m rnnlab tune`; app: the Tune page).
"""
from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from rnnlab.config import RunConfig
from rnnlab.data import PanelData
from rnnlab.errors import ConfigError
from rnnlab.job import TrainingJob
from rnnlab.trials import TrialRow, lookback_choices, origins, pick_best

HIDDEN = (16, 32, 64, 128)
CELLS = ("rnn", "lstm", "gru")
SCALERS = ("auto", "minmax", "zscore", "diff")
LR_RANGE = (3e-4, 1e-2)
POLL_S = 0.05
MIN_BUDGET_S, MAX_BUDGET_S = 5.0, 3600.0
MIN_VAL_WINDOWS = 12  # fewer validation windows, over all origins: a search would chase their noise


@dataclass
class TuneSnapshot:
    state: str  # running | done | stopped
    elapsed: float
    budget: float
    trials: list[TrialRow] = field(default_factory=list)
    best: TrialRow | None = None
    persistence: float | None = None  # persistence's validation MSE on the same windows (mean over origins)

    @property
    def eta(self) -> float:
        return max(self.budget - self.elapsed, 0.0) if self.state == "running" else 0.0


def trial_config(base: RunConfig, params: dict) -> RunConfig:
    """The base configuration with a trial's choices."""
    cfg = base.copy()
    cfg.model.cell, cfg.model.hidden, cfg.model.highway = params["cell"], params["hidden"], params["highway"]
    cfg.train.lr = params["lr"]
    cfg.data.lookback = params["lookback"]
    cfg.data.scaler = params["scaler"]
    cfg.train.loss = "auto" if params["every_step"] else "last"  # auto: every step where it can work
    return cfg


class Tuner:
    """Runs the search in a background thread; snapshot() from any thread; stop() keeps the best."""

    def __init__(self, base: RunConfig, data, budget: float, seed: int = 0, max_trials: int | None = None,
                 job_factory: Callable[[RunConfig, object], TrainingJob] | None = None,
                 storage: str | None = None, study_name: str | None = None):
        if not MIN_BUDGET_S <= budget <= MAX_BUDGET_S:
            raise ConfigError(f"the tune budget must be between {MIN_BUDGET_S:g} and {MAX_BUDGET_S:g} s "
                              f"(got {budget:g}).")
        base.validate()
        from rnnlab.experiment import prepare_data
        self.lookbacks = lookback_choices(base, data)
        self.origins = origins(base, data, self.lookbacks)
        longest = base.copy()
        longest.data.lookback = max(self.lookbacks)  # the windows every trial has (shorter lookbacks: as many)
        vals = [prepare_data(o.config(longest).data, o.data).val for o in self.origins]
        n_val = sum(len(v) for v in vals)
        if n_val < MIN_VAL_WINDOWS:
            raise ConfigError(f"only {n_val} validation windows: too few to choose settings by (at least "
                              f"{MIN_VAL_WINDOWS}; a search would fit their noise). Raise the validation share, "
                              "use a longer series, or keep the defaults.")
        self.n_val_windows = n_val
        # the bar a trial must clear, on the very windows that score it (any lookback: the same targets)
        self.persistence = sum(float(((v.y_raw - v.last[:, :1]) ** 2).mean()) for v in vals) / len(vals)
        self.base, self.data, self.budget, self.seed, self.max_trials = base, data, budget, seed, max_trials
        self.job_factory = job_factory or (lambda cfg, d: TrainingJob(cfg, d))
        self.panel = isinstance(data, PanelData)
        self._lock = threading.Lock()
        self._rows: list[TrialRow] = []
        self._state, self._started = "running", None
        self._stop = threading.Event()
        self._job: TrainingJob | None = None
        self.best_params: dict | None = None
        # a study shared through Optuna's storage (rnnlab/study.py): other workers' trials join the rows
        self.storage, self.study_name, self.study = storage, study_name or "rnnlab", None
        self._foreign: tuple[float, list[TrialRow]] = (0.0, [])
        self._thread = threading.Thread(target=self._run, name="rnnlab-tune", daemon=True)

    def start(self) -> "Tuner":
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def stop(self) -> None:
        """End the search now: the running trial stops, the best so far stays."""
        self._stop.set()
        job = self._job
        if job is not None:
            job.stop()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def snapshot(self) -> TuneSnapshot:
        with self._lock:
            rows = [TrialRow(**vars(r)) for r in self._rows]
            state = self._state
        if self.study is not None:  # a trial of ours read before we labelled it is ours, not another's
            mine = {r.number for r in rows}
            rows = sorted(rows + [r for r in self._foreign_rows() if r.number not in mine], key=lambda r: r.number)
        elapsed = time.perf_counter() - self._started if self._started else 0.0
        best = pick_best(rows, self.n_val_windows)
        return TuneSnapshot(state, min(elapsed, self.budget) if state == "running" else elapsed, self.budget,
                            rows, best, self.persistence)

    def _foreign_rows(self) -> list[TrialRow]:
        """Other workers' trials, read from the storage at most once a second."""
        from rnnlab.study import rows_of
        at, rows = self._foreign
        if time.monotonic() - at > 1.0:
            rows = rows_of(self.study)
            self._foreign = (time.monotonic(), rows)
        return [TrialRow(**vars(r)) for r in rows]

    def workers(self) -> int:
        """Processes that ran trials of this search (1 without a shared storage)."""
        from rnnlab.study import workers_seen
        return workers_seen(self.study) if self.study is not None else 1

    def best_config(self) -> RunConfig | None:
        best = self.snapshot().best
        return trial_config(self.base, best.params) if best is not None else None

    # the search itself -------------------------------------------------------------------------

    def _params(self, trial) -> dict:
        return {"cell": trial.suggest_categorical("cell", CELLS),
                "hidden": trial.suggest_categorical("hidden", HIDDEN),
                "lr": trial.suggest_float("lr", *LR_RANGE, log=True),
                "lookback": trial.suggest_categorical("lookback", self.lookbacks),
                "scaler": trial.suggest_categorical("scaler", ("auto", "minmax", "zscore") if self.panel else SCALERS),
                "every_step": trial.suggest_categorical("every_step", (False,) if self.panel else (True, False)),
                "highway": trial.suggest_categorical("highway", (True, False))}

    def _current(self) -> dict:
        """The base configuration as a trial's parameters (the nearest lookback choice)."""
        b = self.base
        scaler = b.data.scaler if b.data.scaler in SCALERS else "auto"
        return {"cell": b.model.cell if b.model.cell in CELLS else "lstm",
                "hidden": min(HIDDEN, key=lambda h: abs(h - b.model.hidden)),
                "lr": min(max(b.train.lr, LR_RANGE[0]), LR_RANGE[1]),
                "lookback": min(self.lookbacks, key=lambda v: abs(v - b.data.lookback)),
                "scaler": "auto" if self.panel and scaler == "diff" else scaler,
                "every_step": False if self.panel else b.train.loss != "last", "highway": b.model.highway}

    def _objective(self, trial) -> float:
        from rnnlab import study

        shared = self.study is not None
        if shared:  # labelled first: a trial without a worker is taken for a dead one's (study.reap)
            trial.set_user_attr("worker", study.WORKER)
        row = TrialRow(trial.number, self._params(trial))
        with self._lock:
            self._rows.append(row)
        try:
            return self._search(trial, row)
        finally:
            if shared:
                study.record(trial, row)

    def _search(self, trial, row: TrialRow) -> float:
        """One trial: trained and scored at every origin; its validation MSE."""
        import optuna

        clock, values, errors = time.perf_counter(), [], []
        try:
            params = row.params
            cfg = trial_config(self.base, params)
            cfg.train.probe_every, cfg.train.patience = 0, 0
            for i, origin in enumerate(self.origins):
                fitted = self._fit(trial, row, origin.config(cfg), origin.data, clock, report=i == 0)
                if fitted is None:  # pruned or failed: the row says which
                    raise optuna.TrialPruned()
                values.append(fitted[0])
                errors.append(fitted[1])
                with self._lock:
                    row.origins = len(values)
        except optuna.TrialPruned:
            raise
        except Exception as e:  # a bug: Optuna records the trial as failed; the row must say so too
            message = f"unexpected {type(e).__name__}: {e}"
            self._finish_row(row, "failed", time.perf_counter() - clock, message)
            raise
        with self._lock:
            row.value, row.errors = sum(values) / len(values), np.concatenate(errors)
        self._finish_row(row, "complete", time.perf_counter() - clock)
        return row.value

    def _fit(self, trial, row: TrialRow, cfg: RunConfig, data, clock: float,
             report: bool) -> tuple[float, np.ndarray] | None:
        """Train one trial at one origin: (the trained model's validation MSE in the series' units, after
        any shrink; its squared error on each validation window), or None once the row is finished as
        pruned (only the usual origin reports to the pruner, so all trials compare on the same block,
        before any shrink) or failed."""
        left = self.budget - (time.perf_counter() - self._started)
        cfg.train.max_seconds = max(left, 1.0)  # a trial never runs past the budget
        try:
            job = self._job = self.job_factory(cfg, data).start()
        except Exception as e:  # noqa: BLE001 - a bad combination is one failed trial, not a crash
            self._finish_row(row, "failed", message=str(e))
            return None
        seen, y_scale, value = 0, None, None
        while True:
            snap = job.snapshot()
            if y_scale is None and job.setup is not None:
                y_scale = job.setup.prep.scaler.y_scale
                row.loss = job.setup.loss
            for h in snap.history[seen:]:
                seen += 1
                if h["val_loss"] is None or y_scale is None:
                    continue
                value = h["val_loss"] * y_scale ** 2
                if report and self._pruned(trial, row, job, value, h["epoch"], clock):
                    return None
            if snap.finished:
                if snap.state == "stopped" and not self._stop.is_set():
                    self._stop.set()  # stopped from outside (its session went away): the search ends too
                break
            if self._stop.is_set():
                job.stop()
            time.sleep(POLL_S)
        if snap.state == "stopped" and self._stop.is_set():  # the search was stopped while it ran
            self._finish_row(row, "stopped", time.perf_counter() - clock, snap.message)
            return None
        if snap.state in ("error", "diverged") or value is None or not math.isfinite(value):
            self._finish_row(row, "failed", time.perf_counter() - clock, snap.message)
            return None
        shrink = snap.result.shrink if snap.result is not None else None
        if shrink is not None and report:
            with self._lock:
                row.alpha = shrink["alpha"]
        return self._score(job, row, clock)

    def _pruned(self, trial, row: TrialRow, job, value: float, epoch: int, clock: float) -> bool:
        """Report an epoch's validation MSE to the pruner; True once the trial was stopped as pruned."""
        row.value, row.epochs = value, epoch
        trial.report(value, epoch)
        if not trial.should_prune():
            return False
        job.stop()
        job.join(10)
        self._finish_row(row, "pruned", time.perf_counter() - clock)
        return True

    def _score(self, job, row: TrialRow, clock: float) -> tuple[float, np.ndarray] | None:
        """A finished trial's validation MSE in the series' units and its squared error per window,
        from the trained (and any shrunk) model; None once the row is finished as failed."""
        from rnnlab.evaluate import predict
        s = job.setup
        pred = predict(s.model, s.prep.val, s.prep.scaler, s.device)  # raising (out of memory): a failed row
        errors = ((pred - s.prep.val.y_raw) ** 2).mean(axis=1)
        if not np.isfinite(errors).all():  # finite loss, overflowing predictions: no honest score
            self._finish_row(row, "failed", time.perf_counter() - clock, "non-finite validation predictions")
            return None
        return float(errors.mean()), errors  # the weights hold any shrink: the score is the run's as used

    def _finish_row(self, row: TrialRow, state: str, seconds: float = 0.0, message: str = "") -> None:
        with self._lock:
            row.state, row.seconds, row.message = state, seconds, message

    def _run(self) -> None:
        import optuna

        optuna.logging.set_verbosity(logging.WARNING)
        pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=3)
        if self.storage:
            from rnnlab.study import describe, open_study, shared_deadline
            study = self.study = open_study(self.storage, self.study_name, self.seed, pruner)
            describe(study, self.n_val_windows, self.persistence, self.budget)
            # the budget ends at the study's deadline, whichever worker set it
            self._started = time.perf_counter() - (time.time() - (shared_deadline(study, self.budget) - self.budget))
        else:
            study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=self.seed),
                                        pruner=pruner)

        def enough(study_, _trial) -> None:
            if self.study is not None:
                from rnnlab.study import reap
                reap(study_)  # a worker that died meanwhile: its trial is failed, not left running
            total = len(study_.get_trials(deepcopy=False)) if self.study is not None else 0
            if self._stop.is_set() or time.perf_counter() - self._started >= self.budget or (
                    self.max_trials is not None and total >= self.max_trials):
                study_.stop()

        current = self._current()  # the settings you had: the search never picks worse on validation
        study.enqueue_trial(current, skip_if_exists=True)
        study.enqueue_trial({**current, "highway": not current["highway"]}, skip_if_exists=True)  # the verdict's switch
        left = self.budget - (time.perf_counter() - self._started)
        try:
            study.optimize(self._objective, n_trials=None if self.study is not None else self.max_trials,
                           timeout=max(left, 0.0), callbacks=[enough], catch=(Exception,))
        finally:
            best = self.snapshot().best
            self.best_params = best.params if best is not None else None
            with self._lock:
                self._state = "stopped" if self._stop.is_set() else "done"
