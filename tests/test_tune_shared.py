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
    for _ in range(50):  # frozen, then checked: killed inside a trial it has labelled as its own
        wait_until(one_complete, timeout=60, what="a complete trial and a running one", every=0.2)
        first.send_signal(signal.SIGSTOP)
        try:
            labelled = any(t.state == TrialState.RUNNING and "worker" in t.user_attrs for t in trials(url))
        except Exception:  # noqa: BLE001 - frozen while it held SQLite's write lock: "database is locked"
            labelled = False
        if labelled:
            break
        first.send_signal(signal.SIGCONT)
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


def test_reap_fails_a_dead_workers_trials_and_unlabelled_old_ones_only(tmp_path):
    """A trial labelled with a gone process of this machine is failed at once; one with no label only
    once it is older than GRACE_S (its worker died before labelling it); the others stay running."""
    import optuna
    from optuna.trial import TrialState
    from rnnlab import study as shared
    s = optuna.create_study(study_name="shared", storage=shared.storage(f"journal:{tmp_path}/t.log"))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    labels = {"dead": f"{shared.socket.gethostname()}:{gone.pid}", "me": shared.WORKER,
              "elsewhere": f"another-host:{gone.pid}", "unlabelled": None}
    ids = {}
    for name, worker in labels.items():
        t = s.ask()
        if worker is not None:
            t.set_user_attr("worker", worker)
        ids[name] = t._trial_id
    started = max(t.datetime_start.timestamp() for t in s.get_trials())
    assert shared.reap(s, now=started + 1) == 1  # the dead worker's; the unlabelled one is young
    assert shared.reap(s, now=started + shared.GRACE_S + 1) == 1  # now the unlabelled one is old
    states = {name: s._storage.get_trial(i).state for name, i in ids.items()}
    assert states == {"dead": TrialState.FAIL, "me": TrialState.RUNNING, "elsewhere": TrialState.RUNNING,
                      "unlabelled": TrialState.FAIL}


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
