"""Tune: trials judged on the validation part only, through TrainingJobs; the CLI's contract."""
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from rnnlab.config import RunConfig
from rnnlab.experiment import load_data
from rnnlab.tune import TrialRow, Tuner, best_so_far, margin, pick_best, trial_config
from rnnlab.windows import split_points

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
    best, need = None, margin(t.n_val_windows)
    for r in snap.trials:  # in order: each replacement beats the best so far by the margin
        if r.state == "complete" and (best is None or r.value < (1 - need) * best.value):
            best = r
    assert snap.best == best
    cfg = t.best_config()
    assert cfg.model.cell in ("rnn", "lstm", "gru") and cfg.data.lookback in t.lookbacks
    assert cfg == trial_config(base(), snap.best.params)


def test_a_trial_must_beat_the_best_so_far_by_the_margin_to_replace_it():
    rows = [TrialRow(0, {"n": 0}, "complete", 1.00), TrialRow(1, {"n": 1}, "complete", 0.97),
            TrialRow(2, {"n": 2}, "pruned", 0.10), TrialRow(3, {"n": 3}, "running", 0.20)]
    assert pick_best(rows).number == 0  # 3 % lower is noise; pruned and running trials never count
    rows += [TrialRow(4, {"n": 4}, "complete", 0.90), TrialRow(5, {"n": 5}, "complete", 0.88)]
    assert pick_best(rows).number == 4  # 10 % below yours; trial 5 is only 2 % below trial 4
    assert best_so_far(rows) == [(0, 1.0), (1, 1.0), (4, 0.9), (5, 0.9)]
    assert pick_best(rows, n_val_windows=16).number == 0  # 16 windows: the noise is ~25 %, 10 % is no win
    assert margin(16) == 0.25 and margin(10_000) == 0.05
    assert pick_best([TrialRow(0, {}, "failed"), TrialRow(1, {}, "complete", 2.0)]).number == 1  # yours failed
    assert pick_best([]) is None


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
    assert snap.trials[-1].state in ("complete", "pruned", "stopped")  # a trial cut by Stop has not failed


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
    assert d["tune"]["persistence_validation_mse"] > 0
    assert d["tune"]["validation_blocks"] == 2 and d["tune"]["validation_windows"] == 48  # 24 + the 24 before
    bad = subprocess.run([sys.executable, "-m", "rnnlab", "tune", "--data", "sine", "--budget", "1"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "budget" in bad.stderr


def test_too_few_validation_windows_are_refused_and_the_first_trials_are_your_settings():
    cfg = base()
    cfg.data.length, cfg.data.lookback = 40, 6  # 4 validation windows, and no room for earlier origins
    with pytest.raises(Exception, match="validation windows"):
        Tuner(cfg, load_data(cfg.data), budget=10)
    t = tune(load_data(base().data), trials=2)
    first, second = (r.params for r in t.snapshot().trials)
    assert first["cell"] == base().model.cell and first["hidden"] == base().model.hidden
    assert second == {**first, "highway": not first["highway"]}  # then the switch the verdict suggests


def test_a_short_validation_part_is_scored_at_earlier_origins_that_end_before_the_test_part():
    cfg = base()
    cfg.data.length = 100  # 10 validation windows: three blocks of 10 are scored
    data = load_data(cfg.data)
    t = Tuner(cfg, data, budget=60, seed=0, max_trials=1)
    train_end, val_end = split_points(100, cfg.data.val_fraction, cfg.data.test_fraction)
    assert len(t.origins) == 3 and t.n_val_windows == 30
    blocks = []
    for o in t.origins:
        n = len(o.data.values)
        a, b = split_points(n, o.val_fraction, o.test_fraction)
        blocks.append((a, b))
        assert np.array_equal(o.data.values, data.values[:n])  # the same series, cut
        assert o is t.origins[0] or n <= val_end  # an earlier origin never sees the test part
    assert blocks == [(train_end, val_end), (train_end - 10, train_end), (train_end - 20, train_end - 10)]
    y = data.values[:, 0]
    per_block = [np.mean((y[a:b] - y[a - 1:b - 1]) ** 2) for a, b in blocks]  # repeat the last value
    assert t.persistence == pytest.approx(np.mean(per_block), rel=1e-12)
    t.start()
    assert t.join(60)
    row = t.snapshot().trials[0]
    assert row.state == "complete" and row.origins == 3


def test_a_long_validation_part_or_a_panel_has_one_origin():
    cfg = base()
    cfg.data.length = 400  # 40 validation windows
    assert len(Tuner(cfg, load_data(cfg.data), budget=10).origins) == 1
    panel = RunConfig()
    panel.data.generator = "seed-sales"
    assert len(Tuner(panel, load_data(panel.data), budget=10).origins) == 1
