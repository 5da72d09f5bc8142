"""The training forkserver's preload: it warms torch and the engine up by training on the CPU, and it
must never touch CUDA (children could not use the GPU), leave a thread running or an OpenMP pool
behind (a fork would inherit them)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rnnlab.forkserver import PRELOAD

# Pretend a GPU exists, and make every call that would create a CUDA context raise.
TRAPS = textwrap.dedent("""
    import sys
    import torch
    def trap(name):
        def f(*a, **k):
            raise SystemExit(f"CUDA touched: {name}")
        return f
    torch.cuda.is_available = lambda: True
    torch.backends.cuda.is_built = lambda: True
    torch.accelerator.is_available = lambda: True
    torch.accelerator.current_accelerator = lambda check_available=False: torch.device("cuda")
    for name in ("is_current_stream_capturing", "init", "_lazy_init", "device_count", "current_device",
                 "current_stream", "synchronize", "get_device_name", "get_device_properties"):
        setattr(torch.cuda, name, trap("torch.cuda." + name))
    for name in ("current_stream", "device_count", "synchronize", "set_device_index", "current_device_index"):
        setattr(torch.accelerator, name, trap("torch.accelerator." + name))
""")


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", TRAPS + code], capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_preload_warms_up_without_any_cuda_call_thread_or_thread_pool():
    proc = run("import threading\nthreads = torch.get_num_threads()\n"
               f"for m in {PRELOAD!r}: __import__(m)\n"
               "assert 'torch._dynamo' in sys.modules  # the first optimizer step's lazy import is paid\n"
               "import rnnlab.train\nassert rnnlab.train._warmed  # and the trainings ran (their steps did)\n"
               "assert not torch.cuda.is_initialized()\n"
               "assert torch.cuda.is_available() and torch.accelerator.current_accelerator().type == 'cuda'  # restored\n"
               "assert threading.active_count() == 1, threading.enumerate()  # nothing a fork would inherit\n"
               "assert torch.get_num_threads() == threads\nprint('clean')")
    assert proc.returncode == 0 and "clean" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.slow
def test_the_traps_catch_an_optimizer_step():
    """The check above can fail: the old preload (an optimizer step) trips the traps."""
    proc = run("from rnnlab.train import warm_up\nwarm_up()\nprint('clean')")
    assert proc.returncode != 0 and "CUDA touched" in proc.stderr + proc.stdout


@pytest.mark.timeout(60)
@pytest.mark.parametrize("threads", [1, 2])
def test_process_job_trains_after_the_warm_up(tiny_config, threads):
    """Two threads in a child forked after the single-threaded warm-up: no OpenMP hang."""
    from rnnlab.job import TrainingJob
    job = TrainingJob(tiny_config, mode="process", cpu_threads=threads).start()
    assert job.join(60) and job.snapshot().state == "completed"


@pytest.mark.timeout(120)
def test_a_child_gets_the_servers_ets_fit_and_sends_back_the_one_it_made(tiny_config, monkeypatch):
    """The first run on a series fits ETS and Theta in its child and hands the fit to the server; the
    next run on that series receives it and fits nothing: it sends no fit back, same baseline rows."""
    from rnnlab import classical
    from rnnlab.job import TrainingJob
    tiny_config.data.generator, tiny_config.data.length, tiny_config.train.epochs = "sales", 500, 3
    received = []
    real = classical.remember
    monkeypatch.setattr(classical, "remember", lambda fits: received.append(dict(fits)) or real(fits))
    first = TrainingJob(tiny_config, mode="process").start()
    assert first.join(60) and first.snapshot().state == "completed"
    assert len(received) == 1 and len(received[0]) == 1  # the child's fit of this training part came back
    (key, fit), = received[0].items()
    assert key in classical.known_fits() and fit.ets is not None and fit.theta is not None
    second = TrainingJob(tiny_config, mode="process").start()
    assert second.join(60) and second.snapshot().state == "completed"
    assert received[1] == {}  # it had the fit: nothing made, nothing sent
    a, b = first.result.baselines, second.result.baselines
    assert a["ets"] == b["ets"] and a["theta"] == b["theta"]


def _blas_threads(conn) -> None:
    import numpy as np
    np.linalg.lstsq(np.random.default_rng(0).normal(size=(400, 20)), np.ones(400), rcond=None)
    conn.send((len(os.listdir("/proc/self/task")), os.environ.get("OPENBLAS_NUM_THREADS")))


@pytest.mark.timeout(120)
@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through Linux's /proc")
def test_training_children_run_numpy_on_one_blas_thread():
    """A child forked by the training forkserver has one thread after a BLAS call: no OpenBLAS pool
    competing with its torch threads (rnnlab/_forkserver_env.py)."""
    from rnnlab import forkserver
    ctx = forkserver.context()
    receive, send = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_blas_threads, args=(send,))
    p.start()
    threads, env = receive.recv()
    p.join(30)
    if "OPENBLAS_NUM_THREADS" in os.environ:  # set by whoever runs the tests: theirs is kept
        assert env == os.environ["OPENBLAS_NUM_THREADS"]
    else:
        assert env == "1" and threads == 1


@pytest.fixture
def standby(monkeypatch):
    """The app's standby child kept ready (forkserver.warm_up(standby=True)); the module's state restored."""
    from rnnlab import forkserver
    monkeypatch.setattr(forkserver, "STANDBY_REFILL_S", 0.0)
    forkserver.warm_up(standby=True)
    yield forkserver
    forkserver._keep_standby = False
    sb = forkserver.take_standby()
    if sb is not None:
        sb.close()


def _wait_for_standby(forkserver, not_pid=None):
    import time
    for _ in range(300):
        sb = forkserver._standby
        if sb is not None and sb.alive() and sb.proc.pid != not_pid:
            return sb
        time.sleep(0.05)
    raise AssertionError("no standby child was forked")


@pytest.mark.timeout(180)
def test_a_job_trains_in_the_standby_child_stops_there_and_the_next_standby_follows(tiny_config, standby):
    """The job takes the child forked ahead (its pid, its stop flag), trains the same numbers as a
    freshly forked child, and another standby is forked after it."""
    import time
    from rnnlab.job import TrainingJob
    ready = _wait_for_standby(standby)
    job = TrainingJob(tiny_config, mode="process", cpu_threads=1).start()
    assert job.join(60) and job.snapshot().state == "completed"
    assert job.child_pid == ready.proc.pid
    nxt = _wait_for_standby(standby, not_pid=ready.proc.pid)
    standby._keep_standby, standby._standby = False, None  # the same run in a freshly forked child
    fresh = TrainingJob(tiny_config, mode="process", cpu_threads=1).start()
    assert fresh.join(60) and fresh.child_pid not in (ready.proc.pid, nxt.proc.pid)
    assert fresh.result.test == job.result.test and fresh.result.history[-1]["train_loss"] == job.result.history[-1]["train_loss"]
    standby._keep_standby, standby._standby = True, nxt
    tiny_config.train.epochs = 10_000
    long = TrainingJob(tiny_config, mode="process", cpu_threads=1).start()
    assert long.child_pid is None or long.child_pid == nxt.proc.pid
    while not long.snapshot().steps:
        time.sleep(0.02)
    long.stop()
    assert long.join(60) and long.snapshot().state == "stopped" and long.child_pid == nxt.proc.pid
    assert long.result is not None and long.snapshot().epoch < 10_000


@pytest.mark.timeout(180)
def test_a_dead_or_unused_standby_costs_nothing_but_the_speed_up(tiny_config, standby):
    """A standby that died before its job came: the job forks its own child and trains. One whose job
    never runs (stopped while queued): the child exits."""
    from rnnlab.job import TrainingJob
    ready = _wait_for_standby(standby)
    job = TrainingJob(tiny_config, mode="process", cpu_threads=1)
    assert job.runner._standby is ready
    ready.proc.kill()
    ready.proc.join(10)
    job.start()
    assert job.join(60) and job.snapshot().state == "completed" and job.child_pid != ready.proc.pid
    unused = _wait_for_standby(standby, not_pid=ready.proc.pid)
    queued = TrainingJob(tiny_config, mode="process")
    assert queued.runner._standby is unused
    queued.runner.discard()
    assert not unused.alive()


HOG = "import time\nend = time.monotonic() + 90\nwhile time.monotonic() < end: pass"

STARTS_A_CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from rnnlab.forkserver import context, start
    t = time.monotonic()
    p = context().Process(target=print, args=('child ran',))
    start(p)
    p.join()
    print(round(time.monotonic() - t, 1), flush=True)
""")


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_the_preload_is_not_starved_by_busy_processes():
    """A first child waits for the forkserver's preload (~6 s of CPU). Loaded in a thread at nice 19,
    it got ~1.5% of a core while other processes of the session kept every core busy: 40-90 s, as
    long as they ran (a first Train click, or CI, hung). At the default priority it shares fairly."""
    root = str(Path(__file__).resolve().parent.parent)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    # every core busy; at most 4 (a container may see the host's cores, yet have a quota of two)
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(min(cores, 4))]
    try:
        proc = subprocess.run([sys.executable, "-c", STARTS_A_CHILD.format(root=root)],
                              capture_output=True, text=True, timeout=120)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    assert proc.returncode == 0 and "child ran" in proc.stdout, proc.stdout + proc.stderr
    seconds = float(proc.stdout.split()[-1])
    assert seconds < 45, f"the first child started {seconds} s after its server asked (busy cores)"


@pytest.mark.timeout(120)
def test_weights_that_do_not_fit_fail_the_process_job_in_words(tiny_config):
    from rnnlab.config import RunConfig
    from rnnlab.job import TrainingJob
    from rnnlab.models import build_model
    other = RunConfig.from_dict(tiny_config.to_dict())
    other.model.hidden = 9
    weights = {k: v.detach().numpy() for k, v in build_model(other.model, 1, 1).state_dict().items()}
    job = TrainingJob(tiny_config, mode="process", start_from=weights).start()
    assert job.join(60)
    snap = job.snapshot()
    assert snap.state == "error" and "do not fit" in snap.message
