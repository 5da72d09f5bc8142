"""TrainingJob in both modes, the server-wide slots and the session watchdog."""
import time

import pytest

from rnnlab.experiment import run_experiment
from rnnlab.job import JobRegistry, JobSlots, TrainingJob


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_job_matches_headless_run(tiny_config, mode):
    """Same seed, same history and metrics as run_experiment; the trained weights come back."""
    expected, _ = run_experiment(tiny_config)
    job = TrainingJob(tiny_config, mode=mode).start()
    assert job.join(timeout=60)
    snap = job.snapshot()
    assert snap.state == "completed" and snap.finished
    assert snap.history == expected["history"]
    assert snap.steps == list(range(1, snap.total_steps + 1)) and len(snap.losses) == snap.total_steps
    assert job.result["test"] == expected["test"]
    from rnnlab.evaluate import evaluate
    assert evaluate(job.setup.model, job.setup.prep)["model"]["mse"] == pytest.approx(expected["test"]["mse"], rel=1e-6)


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_job_pause_resume_stop(tiny_config, mode):
    tiny_config.train.epochs = 2000
    job = TrainingJob(tiny_config, mode=mode).start()
    while job.snapshot().step < 3:
        time.sleep(0.01)
    job.pause()
    time.sleep(0.3)
    paused_at = job.snapshot().step
    time.sleep(0.4)
    assert job.snapshot().state == "paused" and job.snapshot().step == paused_at
    job.resume()
    time.sleep(0.4)
    assert job.snapshot().step > paused_at
    t = time.perf_counter()
    job.stop()
    assert job.join(timeout=5) and time.perf_counter() - t < 1.0
    assert job.snapshot().state == "stopped"


def test_bad_config_becomes_error_state(tiny_config):
    tiny_config.data.lookback = 5000
    job = TrainingJob(tiny_config, mode="process").start()
    assert job.join(timeout=30)
    snap = job.snapshot()
    assert snap.state == "error" and "lookback" in snap.message


def test_slots_queue_and_release(tiny_config):
    slots = JobSlots(1)
    tiny_config.train.epochs = 2000
    first = TrainingJob(tiny_config, slots=slots).start()
    while first.snapshot().state != "running":
        time.sleep(0.01)
    second = TrainingJob(tiny_config, slots=slots).start()
    time.sleep(0.3)
    assert second.snapshot().state == "queued" and slots.in_use == 1
    first.stop()
    while second.snapshot().state == "queued":
        time.sleep(0.01)
    second.stop()
    assert first.join(5) and second.join(5) and slots.in_use == 0


def test_registry_stops_jobs_of_gone_sessions(tiny_config):
    alive = {"a": True, "b": True}
    reg = JobRegistry(lambda owner: alive[owner], grace=0.2, interval=0.05)
    tiny_config.train.epochs = 2000
    jobs = {o: TrainingJob(tiny_config, owner=o).start() for o in alive}
    for o, j in jobs.items():
        reg.put(o, j)
    alive["a"] = False
    assert jobs["a"].join(timeout=5)
    assert jobs["a"].snapshot().state == "stopped" and jobs["b"].alive
    replacement = TrainingJob(tiny_config, owner="b").start()
    reg.put("b", replacement)  # one job per session: the old one is stopped
    assert jobs["b"].join(timeout=5) and replacement.alive
    replacement.stop()
    assert replacement.join(5) and reg.running() == 0
