"""The training forkserver's preload: it warms torch and the engine up by training on the CPU, and it
must never touch CUDA (children could not use the GPU), leave a thread running or an OpenMP pool
behind (a fork would inherit them)."""
import subprocess
import sys
import textwrap

import pytest

from rnnlab.worker import PRELOAD

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
