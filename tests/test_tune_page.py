"""The Tune page: a short search shows its trials, then the best settings become a normal run."""
import pytest
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_tune_page_searches_then_trains_the_best_as_a_run():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/data.py").run()
    at.number_input(key="w_data_length").set_value(300).run()
    at.switch_page("views/train.py").run()
    at.number_input(key="w_train_epochs").set_value(3).run()
    at.switch_page("views/tune.py").run()
    at.number_input(key="tune_budget").set_value(6).run()
    at.button(key="tune_button").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    tuner = at.session_state["tune"]
    assert tuner.join(30)
    # the trials belong to this session (its heartbeats keep them): not to a stand-in owner that the
    # registry would stop after disconnectedSessionTTL, ending the search early
    assert tuner._job is not None and tuner._job.owner == at.session_state["owner_id"]
    deadline = time.monotonic() + 60
    at.run()  # the search is over: the best settings start as a run
    run_id = at.session_state["tune_best_run"]
    book = at.session_state["runs"]
    run = book.get(run_id)
    assert run is not None and run.name.startswith("tuned: trial")
    while not run.job.snapshot().finished and time.monotonic() < deadline:
        time.sleep(0.1)
    at.run()
    assert not at.exception
    assert run.job.result.test["mae"] is not None
    assert run.job.config == tuner.best_config().__class__.from_dict(
        {**tuner.best_config().to_dict(), "train": {**tuner.best_config().to_dict()["train"], "max_seconds": 0.0}})
    assert any("trial" in str(df.value.columns.tolist()) for df in at.dataframe)
    assert any("trained once" in s.value for s in at.subheader)
    snap = tuner.snapshot()
    assert any(f"(persistence: {snap.persistence:.5g})" in m.value for m in at.markdown)
    table = next(df.value for df in at.dataframe if "judged" in df.value.columns)  # why each is (not) best
    best_why = table.loc[table.trial == snap.best.number, "judged"].iloc[0]
    assert best_why in ("your settings", "first to finish") or best_why.startswith("new best")
    beaten = any("No trial beat repeating the last value" in w.value for w in at.warning)
    shrunk = snap.best.alpha is not None and snap.best.alpha < 1
    assert beaten == (snap.best.value >= snap.persistence and not shrunk)  # said exactly when none beat it
    assert any("scored after its shrink" in i.value for i in at.info) == shrunk


@pytest.mark.slow
def test_tune_page_says_what_the_best_trial_is_against_persistence():
    """A finished search whose best trial was shrunk toward persistence says so (it ties persistence, it
    does not lose to it); one whose best trial simply lost says to expect a loss."""
    import numpy as np

    from rnnlab.trials import TrialRow
    from rnnlab.tune import TuneSnapshot

    params = {"cell": "lstm", "hidden": 64, "lr": 1e-3, "lookback": 12, "scaler": "auto", "every_step": True,
              "highway": False}

    class Finished:  # a search that is over, as the page reads it
        budget, origins, n_val_windows = 10.0, [None], 20

        def __init__(self, alpha, value):
            self.row = TrialRow(0, params, "complete", value, epochs=3, origins=1, alpha=alpha,
                                errors=np.full(20, value))

        def snapshot(self):
            return TuneSnapshot("done", 5.0, 10.0, [self.row], self.row, 1.0)

    cases = ((0.0, 1.0, True, False), (None, 1.2, False, True), (1.0, 0.8, False, False))
    for alpha, value, shrunk, lost in cases:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        at.switch_page("views/tune.py")
        at.session_state["tune"], at.session_state["tune_best_run"] = Finished(alpha, value), -1
        at.run()
        assert not at.exception
        assert any("scored after its shrink" in i.value for i in at.info) == shrunk, alpha
        assert any("No trial beat repeating the last value" in w.value for w in at.warning) == lost, alpha
