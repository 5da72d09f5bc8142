"""Tune: trials judged on the validation part only, through TrainingJobs; the CLI's contract."""
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from rnnlab.config import RunConfig
from rnnlab.experiment import load_data
from rnnlab.trials import TrialRow, beats, best_so_far, margin, paired_t, pick_best, table, verdicts, z_needed
from rnnlab.tune import Tuner, trial_config
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_trials_cover_the_space_and_the_best_beats_your_settings_on_validation():
    t = tune(load_data(base().data), trials=6)
    snap = t.snapshot()
    assert snap.state == "done" and len(snap.trials) == 6
    yours, best = snap.trials[0], snap.best  # the selection rule itself: the hand-made rows below
    assert best.state == "complete" and best.number in [r.number for r in snap.trials]
    assert best.number == 0 or yours.state != "complete" or best.value < yours.value
    for r in snap.trials:  # every complete trial carries its squared error on every validation window
        assert r.state != "complete" or (len(r.errors) == t.n_val_windows
                                          and np.mean(r.errors) == pytest.approx(r.value, rel=1e-3))
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
    assert verdicts(rows) == {0: "your settings", 1: "under 5% lower than trial 0", 4: "new best",
                              5: "under 5% lower than trial 4"}  # the table says why, trial by trial
    listed = table(rows)
    assert [r["trial"] for r in listed] == [5, 4, 3, 2, 1, 0]  # newest first
    assert listed[0]["judged"] == "under 5% lower than trial 4" and listed[1]["judged"] == "new best"
    assert listed[3]["judged"] == "pruned at epoch 0: behind the median trial" and listed[2]["judged"] == ""
    assert pick_best(rows, n_val_windows=16).number == 0  # 16 windows: the noise is ~25 %, 10 % is no win
    assert margin(16) == 0.25 and margin(10_000) == 0.05
    assert pick_best([TrialRow(0, {}, "failed"), TrialRow(1, {}, "complete", 2.0)]).number == 1  # yours failed
    assert pick_best([]) is None


def test_with_errors_per_window_a_trial_must_win_window_by_window_beyond_luck():
    """A lower MSE from a few large wins among many losses is luck; the same gain spread over every
    window is not. After many trials the bar rises: the luckiest of k scores ~sqrt(2 ln k) errors low."""
    rng = np.random.default_rng(0)
    yours = rng.uniform(0.5, 1.5, 45)
    steady = yours * 0.9  # 10 % lower on every window
    lucky = yours + rng.normal(0, 0.8, 45)
    lucky -= lucky.mean() - 0.8 * yours.mean()  # 20 % lower on average, by noise
    assert paired_t(steady, yours) < -20 and paired_t(yours, yours) == 0.0
    assert paired_t(yours - 1, yours) == -np.inf  # lower by the same amount everywhere
    assert -3 < paired_t(lucky, yours) < -1
    row = lambda n, e: TrialRow(n, {"n": n}, "complete", float(np.mean(e)), errors=e)  # noqa: E731
    assert pick_best([row(0, yours), row(1, lucky)], 45).number == 0
    assert pick_best([row(0, yours), row(1, steady)], 45).number == 1
    why = verdicts([row(0, yours), row(1, lucky), row(2, steady), row(3, yours * 1.1)], 45)
    assert why[0] == "your settings" and why[1].startswith("lower than trial 0, within luck (t -1.")
    assert why[2].startswith("new best (t -") and why[3] == "not lower than trial 2"
    assert pick_best([row(0, yours), row(1, yours * 0.97)], 45).number == 0  # under MARGIN: not worth it
    assert z_needed(1) == z_needed(7) == 2.0 and z_needed(75) == pytest.approx(np.sqrt(2 * np.log(75)))
    almost = yours - 0.1 * yours.mean() + rng.normal(0, 0.25, 45)  # t about -3.5
    t = paired_t(almost, yours)
    assert -3.6 < t < -2.94
    assert beats(row(5, almost), row(0, yours), 45) and not beats(row(10**6, almost), row(0, yours), 45)


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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_a_trial_is_scored_after_the_shrink_toward_persistence(monkeypatch):
    """On a random walk a network loses to repeating the last value; the run it would become is shrunk
    toward that, so its score is at most persistence's (with shrink off, the same trials score above it)."""
    import rnnlab.tune as tune_mod
    from rnnlab.data import SeriesData

    monkeypatch.setattr(tune_mod, "SCALERS", ("diff",))  # shrink applies at every origin
    walk = SeriesData(np.cumsum(np.random.default_rng(7).normal(0, 1, 160))[:, None], ["walk"])
    scores = {}
    for shrink in ("off", "auto"):
        cfg = base()
        cfg.data.generator, cfg.data.scaler, cfg.train.shrink, cfg.train.epochs = None, "diff", shrink, 3
        cfg.train.lr = 1e-2
        t = Tuner(cfg, walk, budget=120, seed=1, max_trials=3).start()
        assert t.join(120)
        rows = [r for r in t.snapshot().trials if r.state == "complete"]
        assert rows
        scores[shrink] = {r.number: (r.value, r.alpha) for r in rows}
        persistence = t.persistence
    assert any(v > persistence for v, _ in scores["off"].values())  # the trained networks lose to it
    assert all(a is None for _, a in scores["off"].values())
    for number, (value, alpha) in scores["auto"].items():
        assert 0.0 <= alpha <= 1.0 and value <= persistence * (1 + 1e-9)
        if number in scores["off"] and scores["off"][number][0] > persistence:
            assert alpha < 1.0 and value < scores["off"][number][0]


@pytest.mark.slow
def test_a_trial_whose_scoring_fails_is_a_failed_row_and_the_search_goes_on(monkeypatch):
    import rnnlab.evaluate as evaluate
    calls = {"n": 0}
    real = evaluate.predict

    def flaky(*args, **kwargs):  # the tuner's own scoring of the first trial fails (its job's calls do not)
        import threading
        if threading.current_thread().name == "rnnlab-tune":
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("CUDA out of memory")
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluate, "predict", flaky)
    t = tune(load_data(base().data), trials=3)
    rows = t.snapshot().trials
    assert rows[0].state == "failed" and "RuntimeError: CUDA out of memory" in rows[0].message
    assert all(r.state != "running" for r in rows) and any(r.state == "complete" for r in rows[1:])


def test_the_tune_pages_sentences_come_from_the_engine():
    """The best trial's line (shared by a search and a watched study), the note once a search is over,
    and how trials are judged."""
    from rnnlab.trials import MARGIN, best_line, judging_line, outcome_note, z_needed
    best = TrialRow(3, {"cell": "gru", "lr": 0.003}, "complete", 0.5)
    assert best_line(best, 0.8) == "**Best so far:** trial 3, validation MSE 0.5 (persistence: 0.8) — cell gru, lr 0.003"
    assert best_line(best) == "**Best so far:** trial 3, validation MSE 0.5 — cell gru, lr 0.003"
    assert outcome_note(best, 0.8) is None  # it beat persistence: nothing to warn about
    level, text = outcome_note(best, 0.4)
    assert level == "warning" and "No trial beat repeating the last value" in text
    best.alpha = 0.3  # lost, then shrunk toward persistence: scored as such, said differently
    level, text = outcome_note(best, 0.4)
    assert level == "info" and "α 0.30" in text
    one, three = judging_line(1, 24, 5), judging_line(3, 24, 5)
    assert one.startswith("24 validation windows") and f"{MARGIN:.0%} lower" in one and f"{z_needed(5):.1f}" in one
    assert three.startswith("The validation part is short") and "2 earlier origin(s)" in three


def test_a_shared_studys_trial_counts_once_when_read_before_its_worker_labelled_it(monkeypatch):
    """A worker's trial exists in the storage a moment before the worker labels it as its own: a read
    of the other workers' trials in that moment returned it too, and the worker counted it twice
    (CI: a worker reported 8 trials of a study that had 7)."""
    cfg = base()
    t = Tuner(cfg, load_data(cfg.data), budget=10)
    t.study = object()  # shared: other workers' rows come from the storage
    t._rows = [TrialRow(0, {"cell": "gru"}, "complete", 1.0), TrialRow(2, {"cell": "lstm"})]
    monkeypatch.setattr(t, "_foreign_rows", lambda: [TrialRow(1, {"cell": "rnn"}, "complete", 2.0),
                                                     TrialRow(2, {})])  # 2: ours, read unlabelled
    rows = t.snapshot().trials
    assert [r.number for r in rows] == [0, 1, 2] and rows[2].params == {"cell": "lstm"}
