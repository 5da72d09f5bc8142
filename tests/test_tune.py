"""Tune: trials judged on the validation part only, through TrainingJobs; the CLI's contract."""
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from rnnlab.config import RunConfig
from rnnlab.experiment import load_data
from rnnlab.tune import Tuner, trial_config

pytest.importorskip("optuna")


def base() -> RunConfig:
    cfg = RunConfig()
    cfg.data.generator, cfg.data.length = "sine", 240
    cfg.train.epochs, cfg.train.device = 4, "cpu"
    return cfg


def tune(data, trials=5) -> Tuner:
    t = Tuner(base(), data, budget=120, seed=3, max_trials=trials).start()
    assert t.join(120)
    return t


def test_the_test_part_never_influences_a_choice():
    """Same search on data whose test part is wildly different: the same trials, the same scores."""
    cfg = base()
    data = load_data(cfg.data)
    values = data.values.copy()
    n_test = int(round(len(values) * cfg.data.test_fraction))
    values[-n_test:] = values[-n_test:] * 50 + 1000  # only the test part changes
    other = replace(data, values=values)
    a, b = tune(data).snapshot(), tune(other).snapshot()
    assert [(r.params, r.state, r.value) for r in a.trials] == [(r.params, r.state, r.value) for r in b.trials]
    assert a.best is not None and a.best.value == b.best.value


def test_trials_cover_the_space_and_the_best_is_the_lowest_validation_mse():
    t = tune(load_data(base().data), trials=6)
    snap = t.snapshot()
    assert snap.state == "done" and len(snap.trials) == 6
    done = [r for r in snap.trials if r.state == "complete"]
    assert snap.best.value == min(r.value for r in done)
    cfg = t.best_config()
    assert cfg.model.cell in ("rnn", "lstm", "gru") and cfg.data.lookback in t.lookbacks
    assert cfg == trial_config(base(), snap.best.params)


def test_stop_keeps_the_best_so_far():
    import time
    t = Tuner(base(), load_data(base().data), budget=60, seed=0).start()
    deadline = time.monotonic() + 30
    while not any(r.state == "complete" for r in t.snapshot().trials) and time.monotonic() < deadline:
        time.sleep(0.05)
    t.stop()
    assert t.join(15)
    snap = t.snapshot()
    assert snap.state == "stopped" and snap.best is not None and snap.elapsed < 30


def test_cli_tune_prints_train_keys_plus_trials():
    out = subprocess.run([sys.executable, "-m", "rnnlab", "tune", "--data", "sine", "--length", "240",
                          "--epochs", "3", "--budget", "6", "--trials", "4", "--device", "cpu", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    for k in ("config", "device", "train_seconds", "epochs_run", "stopped_reason", "history", "test", "baselines",
              "trials", "tune"):
        assert k in d
    assert 1 <= len(d["trials"]) <= 4 and {"params", "validation_mse", "state"} <= set(d["trials"][0])
    assert d["tune"]["budget_seconds"] == 6 and np.isfinite(d["test"]["mae"])
    bad = subprocess.run([sys.executable, "-m", "rnnlab", "tune", "--data", "sine", "--budget", "1"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "budget" in bad.stderr


def test_too_few_validation_windows_are_refused_and_the_first_trial_is_your_settings():
    cfg = base()
    cfg.data.length = 100  # 10 validation windows (12 needed)
    with pytest.raises(Exception, match="validation windows"):
        Tuner(cfg, load_data(cfg.data), budget=10)
    t = tune(load_data(base().data), trials=2)
    first = t.snapshot().trials[0].params
    assert first["cell"] == base().model.cell and first["hidden"] == base().model.hidden


def test_a_trial_stopped_from_outside_ends_the_search():
    """The registry stops a gone session's jobs; the tuner must not go on starting trials for nobody."""
    import time
    started = []

    def factory(cfg):
        from rnnlab.job import TrainingJob
        job = TrainingJob(cfg, load_data(base().data))
        started.append(job)
        return job

    cfg = base()
    cfg.train.epochs = 3000  # long trials: the stop lands while one runs
    t = Tuner(cfg, load_data(cfg.data), budget=60, seed=0, job_factory=factory).start()
    deadline = time.monotonic() + 20
    while not (started and started[-1].snapshot().state == "running") and time.monotonic() < deadline:
        time.sleep(0.01)
    started[-1].stop("the browser session went away")
    assert t.join(15) and t.snapshot().elapsed < 30
