"""TrainingJob in both modes, the server-wide slots and the session watchdog."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app_kit import process_gone, wait_until
from rnnlab.events import Done, StepEnd
from rnnlab.experiment import run_experiment
from rnnlab.job import KILL_GRACE_S, JobRegistry, JobSlots, TrainingJob


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_job_matches_headless_run(tiny_config, mode):
    """Same seed, same history and metrics as run_experiment; the trained weights come back."""
    expected, _ = run_experiment(tiny_config)
    job = TrainingJob(tiny_config, mode=mode).start()
    assert job.join(timeout=60)
    snap = job.snapshot()
    assert snap.state == "completed" and snap.finished
    assert snap.history == expected.history
    assert snap.steps == list(range(1, snap.total_steps + 1)) and len(snap.losses) == snap.total_steps
    # the job trains with one torch thread, run_experiment with torch's default: the last bits may differ
    assert job.result.test == pytest.approx(expected.test, rel=1e-7)
    from rnnlab.evaluate import evaluate
    assert evaluate(job.setup.model, job.setup.prep)["model"]["mse"] == pytest.approx(expected.test["mse"], rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["thread", "process"])
def test_job_pause_resume_stop(tiny_config, mode):
    tiny_config.train.epochs = 2000
    job = TrainingJob(tiny_config, mode=mode).start()
    wait_until(lambda: job.snapshot().step >= 3, what="step 3")
    job.pause()
    time.sleep(0.3)  # a step under way when Pause came may still land
    paused_at = job.snapshot().step
    time.sleep(0.4)  # no step may land now: there is no event to wait for, only time to let pass
    assert job.snapshot().state == "paused" and job.snapshot().step == paused_at
    job.resume()
    wait_until(lambda: job.snapshot().step > paused_at, timeout=10, what="a step after Resume")
    job.stop()
    assert job.join(timeout=5)
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
    wait_until(lambda: first.snapshot().state == "running", what="the first job running")
    second = TrainingJob(tiny_config, slots=slots).start()
    time.sleep(0.3)  # time for the second job to (wrongly) take a slot: it must stay queued
    assert second.snapshot().state == "queued" and slots.in_use == 1
    first.stop()
    wait_until(lambda: second.snapshot().state != "queued", what="the queued job starting")
    second.stop()
    assert first.join(5) and second.join(5) and slots.in_use == 0


def test_first_step_waits_for_a_step_or_a_place_in_the_queue(tiny_config):
    slots = JobSlots(1)
    tiny_config.train.epochs = 2000
    first = TrainingJob(tiny_config, slots=slots).start()
    assert first.first_step(60).steps  # training has begun
    second = TrainingJob(tiny_config, slots=slots).start()
    wait_until(lambda: second.snapshot().state == "queued", what="the second job queued")
    began = time.monotonic()
    assert second.first_step(60).queue_position == 1 and time.monotonic() - began < 5  # no wait in the queue
    first.stop()
    second.stop()
    assert first.join(5) and second.join(5)


@pytest.mark.timeout(120)
def test_a_job_with_its_slot_says_it_is_starting_and_why_the_first_one_is_slow(tiny_config, monkeypatch):
    """Between taking a slot and its first step a job is "starting", not "queued" (the page said
    other sessions held the slots); before any child was started the forkserver is still loading
    PyTorch, and the job says so."""
    import threading
    from rnnlab import forkserver
    from rnnlab.progress import Progress
    p = Progress()
    p.starting("x")
    assert p.snapshot(1, 1).state == "starting" and p.set_paused(True) and p.snapshot(1, 1).state == "paused"
    p.finish("stopped", "done")
    p.starting("y")
    assert p.snapshot(1, 1).state == "stopped"  # a finished job stays finished
    monkeypatch.setattr(forkserver, "_started", threading.Event())  # as if no child had been started yet
    monkeypatch.setattr(forkserver, "_keep_standby", False)  # and no standby child (other tests' app keeps one)
    monkeypatch.setattr(forkserver, "_standby", None)
    said = []
    for _ in range(2):
        job = TrainingJob(tiny_config, mode="process")
        real = job.progress.starting
        job.progress.starting = lambda m, real=real: said.append(m) or real(m)
        assert job.start().join(60) and job.snapshot().state == "completed"
    assert said[0] == said[2] == "starting the run" and "loading PyTorch" in said[1] and len(said) == 3


@pytest.mark.slow
def test_registry_stops_jobs_of_sessions_without_heartbeat(tiny_config):
    reg = JobRegistry(grace=0.3, interval=0.05)
    tiny_config.train.epochs = 2000
    jobs = {o: TrainingJob(tiny_config, owner=o).start() for o in "ab"}
    for o, j in jobs.items():
        reg.put(o, j)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:  # only "b" keeps sending heartbeats
        reg.touch("b")
        time.sleep(0.05)
    assert jobs["a"].join(timeout=5)
    snap = jobs["a"].snapshot()
    assert snap.state == "stopped" and "session went away" in snap.message and jobs["b"].alive
    second = TrainingJob(tiny_config, owner="b").start()
    reg.put("b", second)  # a session may keep several runs: the first one goes on
    time.sleep(0.2)  # time for the registry to (wrongly) stop one of them
    assert jobs["b"].alive and second.alive and reg.running() == 2
    for j in (jobs["b"], second):
        j.stop()
        assert j.join(5)
    assert reg.running() == 0


def test_slots_report_queue_positions(tiny_config):
    from rnnlab.train import Control
    slots = JobSlots(1)
    holder, waiters = Control(), [Control() for _ in range(2)]
    assert slots.acquire(holder, ticket="first")
    threads = [threading.Thread(target=slots.acquire, args=(c, f"w{i}")) for i, c in enumerate(waiters)]
    for i, t in enumerate(threads):  # one after the other, so the queue order is known
        t.start()
        wait_until(lambda: slots.position(f"w{i}") is not None, timeout=2, what=f"w{i} in the queue")
    assert (slots.position("w0"), slots.position("w1"), slots.position("first")) == (1, 2, None)
    slots.release()
    threads[0].join(2)
    assert slots.in_use == 1 and slots.position("w1") == 1
    waiters[1].stop()
    threads[1].join(2)
    slots.release()
    assert slots.in_use == 0


def stuck_probe(setup):
    """A probe that never returns: the child is busy where no stop flag is checked."""
    return lambda model, step: time.sleep(3600)


@pytest.mark.slow
def test_stop_ends_a_child_stuck_in_a_probe_within_the_grace(tiny_config):
    tiny_config.train.probe_every = 1
    job = TrainingJob(tiny_config, mode="process", probe_factory=stuck_probe, stop_grace=0.5).start()
    # step 1's events wait behind the stuck probe, but Started comes first
    wait_until(lambda: job.snapshot().state == "running", timeout=20, what="the child running")
    time.sleep(0.5)  # let the child reach the probe after step 1
    job.stop()
    assert job.join(timeout=0.5 + KILL_GRACE_S + 3)  # the grace, SIGTERM, then SIGKILL
    snap = job.snapshot()
    assert snap.state == "stopped" and "did not stop within 0.5 s" in snap.message, snap.message
    assert process_gone(job.child_pid)


@pytest.mark.slow
def test_a_paused_job_past_the_limit_stops_frees_its_slot_and_keeps_results(tiny_config):
    tiny_config.train.epochs = 2000
    slots = JobSlots(1)
    job = TrainingJob(tiny_config, mode="process", slots=slots, pause_limit=0.5).start()
    wait_until(lambda: job.snapshot().step >= 3, what="step 3")
    job.pause()
    assert job.join(timeout=10)
    snap = job.snapshot()
    assert snap.state == "stopped" and "paused for more than 0.5 s" in snap.message
    assert snap.result is not None and snap.result.test["mae"] is not None
    assert slots.in_use == 0


SERVER = """
import sys, time
sys.path.insert(0, {root!r})
from rnnlab.config import RunConfig
from rnnlab.job import TrainingJob
cfg = RunConfig()
cfg.data.generator, cfg.data.length, cfg.data.lookback = "sine", 300, 20
cfg.model.hidden, cfg.train.epochs, cfg.train.device = 8, 100000, "cpu"
job = TrainingJob(cfg, mode="process").start()
deadline, snap = time.monotonic() + 120, job.snapshot()
while snap.step < 2 and not snap.finished and time.monotonic() < deadline:
    time.sleep(0.05)
    snap = job.snapshot()
if snap.step < 2:  # say why, rather than leave the test waiting on a line that never comes
    print("no step 2:", snap.state, snap.message, flush=True)
    sys.exit(1)
if {pause}:
    job.pause()
print(job.child_pid, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
@pytest.mark.parametrize("pause", [False, True], ids=["training", "paused"])
def test_child_exits_when_its_server_is_killed(pause):
    root = str(Path(__file__).resolve().parent.parent)
    server = subprocess.Popen([sys.executable, "-c", SERVER.format(root=root, pause=pause)],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.strip().isdigit(), f"the server's job did not train: {line!r}"
        child = int(line)
        assert not process_gone(child)
        server.send_signal(signal.SIGKILL)
        server.wait(5)
        wait_until(lambda: process_gone(child), timeout=10, what="the training child exiting with its server")
    finally:
        server.kill()


@pytest.mark.slow
def test_child_exits_when_the_forkserver_is_killed():
    """Killing the forkserver orphaned a running child (parent PID 1) that kept training."""
    root = str(Path(__file__).resolve().parent.parent)
    server = subprocess.Popen([sys.executable, "-c", SERVER.format(root=root, pause=False)],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.strip().isdigit(), f"the server's job did not train: {line!r}"
        child = int(line)
        forkserver = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert forkserver != server.pid
        os.kill(forkserver, signal.SIGKILL)
        wait_until(lambda: process_gone(child), timeout=10, what="the orphaned training child exiting")
    finally:
        server.kill()


def test_a_training_child_shares_its_weights_for_live_charts(tiny_config):
    """While training, live_model() carries the child's epoch-end weights in a copy of its own:
    the parent's real model only ever receives the final weights."""
    import torch
    tiny_config.train.epochs = 2000
    job = TrainingJob(tiny_config, mode="process").start()
    wait_until(lambda: job.live_model() is not None, what="live weights from the child")
    epoch, live = job.live_model()
    initial = {k: v.clone() for k, v in job.setup.model.state_dict().items()}
    assert epoch >= 1 and live is not job.setup.model
    assert any(not torch.equal(live.state_dict()[k], initial[k]) for k in initial)  # trained weights
    assert all(torch.equal(job.setup.model.state_dict()[k], initial[k]) for k in initial)
    job.stop()
    assert job.join(10)


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_stop_says_stopped_once_the_loop_ends_and_the_verdict_follows(tiny_config, mode):
    """wait_ended returns when the loop has ended (Done), before the run has been scored on the test
    part; meanwhile the progress line says how it ended and that scoring is under way."""
    from rnnlab.progress import Progress
    tiny_config.train.epochs = 10_000
    job = TrainingJob(tiny_config, mode=mode).start()
    deadline = time.monotonic() + 30
    while not job.snapshot().steps and time.monotonic() < deadline:
        time.sleep(0.01)
    job.stop()
    assert job.wait_ended(10)
    snap = job.snapshot()
    assert snap.ending == "stopped"
    assert snap.finished or (snap.scoring and snap.progress_line().startswith("stopped · epoch")
                             and snap.progress_line().endswith("scoring on the test part") and snap.eta is None)
    assert job.join(30) and job.snapshot().state == "stopped" and not job.snapshot().scoring
    p = Progress()  # the line while scoring, without timing luck
    p.begin(None, 10, False)
    p.on_event(StepEnd(3, 1, 0.5, 1.0, 1e-3, 100.0))
    p.on_event(Done("stopped", "stopped by the user after 3 steps"))
    s = p.snapshot(1, 5)
    assert s.state == "running" and s.scoring and not s.finished and p.ended.is_set()
    assert s.progress_line() == "stopped · epoch 1/5 · step 3/10 · 100 samples/s · scoring on the test part"
