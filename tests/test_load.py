"""Load: five sessions press Train at once. Two train (the server's slots), three wait with their
place in the queue shown; all finish; afterwards no training thread or process is left and the
server's memory is back within 100 MB of where it started."""
import pytest
import threading
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_kit import process_gone, wait_until

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no /proc/self/status")


def session(epochs: int) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/data.py").run()
    at.number_input(key="w_data_length").set_value(300).run()
    at.switch_page("views/train.py").run()
    at.number_input(key="w_train_epochs").set_value(epochs)
    at.number_input(key="w_model_hidden").set_value(8)
    at.selectbox(key="w_train_probe_every").set_value(0)
    return at


def job_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("rnnlab-job-")]


@pytest.mark.slow
def test_five_sessions_train_at_once_and_leave_nothing_behind():
    warm = session(1)  # pay imports and the forkserver's start before measuring
    warm.button(key="train_button").click().run()
    assert warm.session_state["job"].join(60)
    wait_until(lambda: not job_threads(), timeout=5, what="the warm-up job's thread ending")
    start = rss_mb()

    apps = [session(60) for _ in range(5)]
    for at in apps:
        at.button(key="train_button").click().run()
        assert not at.exception, at.exception
    jobs = [at.session_state["job"] for at in apps]
    states = [j.snapshot().state for j in jobs]
    assert states.count("running") + states.count("paused") <= 2 and "queued" in states, states
    waiting = next(at for at, j in zip(apps, jobs) if j.snapshot().state == "queued")
    waiting.run()
    assert any("in the queue" in i.value for i in waiting.info), [i.value for i in waiting.info]

    assert all(j.join(180) for j in jobs)
    assert [j.snapshot().state for j in jobs] == ["completed"] * 5
    wait_until(lambda: not job_threads(), timeout=5, what="every job thread ending")
    assert all(process_gone(j.child_pid) for j in jobs)
    del apps, jobs, waiting
    import gc
    gc.collect()
    assert rss_mb() < start + 100, f"RSS grew from {start:.0f} MB to {rss_mb():.0f} MB"
