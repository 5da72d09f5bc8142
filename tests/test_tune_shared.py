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
def test_two_workers_share_one_study_and_agree_on_the_best(tmp_path, kind):
    url = f"sqlite:///{tmp_path}/tune.db" if kind == "sqlite" else f"journal:{tmp_path}/tune.log"
    procs = [tune(url) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-500:] for o in outs]
    results = [json.loads(o[0]) for o in outs]
    workers = {t.user_attrs["worker"] for t in trials(url)}
    assert len(workers) == 2 and all(r["tune"]["workers"] == 2 and r["tune"]["study"] == "shared" for r in results)
    assert results[0]["tune"]["best_trial"] == results[1]["tune"]["best_trial"]  # one study, one rule, one best
    assert len(trials(url)) == results[0]["tune"]["trials"] >= 3


@pytest.mark.slow
def test_a_killed_workers_study_is_resumed_by_another_process(tmp_path):
    from optuna.trial import TrialState
    url = f"sqlite:///{tmp_path}/tune.db"
    first = tune(url, 15)  # the second worker resumes within the same deadline
    def one_complete() -> bool:
        try:
            return any(t.state == TrialState.COMPLETE for t in trials(url))
        except Exception:  # noqa: BLE001 - the worker is still creating the study
            return False
    wait_until(one_complete, timeout=60, what="a first complete trial", every=0.2)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    before = trials(url)
    assert any(t.state == TrialState.RUNNING for t in before)  # the dead worker's trial, left running
    second = tune(url, 8)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err[-500:]
    after = trials(url)
    assert len(after) > len(before) and not any(t.state == TrialState.RUNNING for t in after)
    assert json.loads(out)["tune"]["workers"] == 2
    assert all(a.number == b.number for a, b in zip(before, after))  # the old trials kept their places
