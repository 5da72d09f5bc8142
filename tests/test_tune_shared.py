"""Tune across processes through Optuna's storage: workers share one study, a dead worker's study
is resumed by another."""
import json
import signal
import subprocess
import sys

import pytest

from app_kit import ROOT, wait_until

FLAGS = ["--data", "sine", "--length", "400", "--epochs", "4", "--hidden", "8", "--threads", "1", "--json"]


def tune(storage: str, budget: int = 8, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rnnlab", "tune", *FLAGS, "--budget", str(budget),
                             "--storage", storage, "--study", "shared", *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def trials(storage: str):
    import optuna
    from rnnlab.study import storage as open_storage
    return optuna.load_study(study_name="shared", storage=open_storage(storage)).get_trials(deepcopy=False)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_two_workers_share_one_study_and_pick_from_all_its_trials(tmp_path, kind):
    url = f"sqlite:///{tmp_path}/tune.db" if kind == "sqlite" else f"journal:{tmp_path}/tune.log"
    procs = [tune(url) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    results = [json.loads(o[0]) for o in outs]
    workers = {t.user_attrs["worker"] for t in trials(url)}
    assert len(workers) == 2 and all(r["tune"]["workers"] == 2 and r["tune"]["study"] == "shared" for r in results)
    done = {t.number for t in trials(url) if t.state.name == "COMPLETE"}
    # each picks from the whole study (a trial the other finishes after it has picked may be missing)
    assert {r["tune"]["best_trial"] for r in results} <= done
    assert len(trials(url)) >= max(r["tune"]["trials"] for r in results) >= 3


@pytest.mark.slow
def test_a_killed_workers_study_is_resumed_by_another_process(tmp_path):
    from optuna.trial import TrialState
    url = f"sqlite:///{tmp_path}/tune.db"
    first = tune(url, 60)
    def one_complete() -> bool:
        try:
            states = {t.state for t in trials(url)}
            return TrialState.COMPLETE in states and TrialState.RUNNING in states  # killed inside a trial
        except Exception:  # noqa: BLE001 - the worker is still creating the study
            return False
    wait_until(one_complete, timeout=60, what="a complete trial and a running one", every=0.2)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before = trials(url)
    assert any(t.state == TrialState.RUNNING for t in before)  # the dead worker's trial, left running
    second = tune(url, 60, "--trials", str(len(before) + 2))  # the same deadline: two more trials end it
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err[-500:]
    after = trials(url)
    assert len(after) > len(before) and not any(t.state == TrialState.RUNNING for t in after)
    assert json.loads(out)["tune"]["workers"] == 2
    assert all(a.number == b.number for a, b in zip(before, after))  # the old trials kept their places


@pytest.mark.slow
def test_the_tune_page_watches_a_shared_study_live(tmp_path):
    from streamlit.testing.v1 import AppTest
    from app_kit import open_page
    url = f"sqlite:///{tmp_path}/tune.db"
    worker = tune(url, 8)
    assert worker.communicate(timeout=120)[0] and worker.returncode == 0
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    open_page(at, "tune")
    at.text_input(key="watch_url").set_value(url)
    at.text_input(key="watch_study").set_value("shared").run()
    at.button(key="watch_button").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    n = len(trials(url))
    assert any(f"{n} trials from 1 worker(s)" in (p.proto.text or "") for p in at.get("progress"))
    assert "watch_chart" in {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}
    at.text_input(key="watch_study").set_value("nothing-here")
    at.button(key="watch_button").click().run()
    assert any("no study named 'nothing-here'" in e.value for e in at.error)
