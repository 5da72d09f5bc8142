"""Training in a child process, so the web server's Python work cannot take the GIL from it.

A thread in the server process shares one GIL with Streamlit: measured in headless Chromium on 2
cores, a thread-based job trained at 0.64x the CLI's speed; a child process (here) is not slowed
by the server at all. Children come from a `forkserver` that has imported torch once, so a new
job starts in tens of milliseconds and never inherits the server's threads or CUDA state.

Events travel back through a pipe in small batches (at most every 50 ms, and at each epoch end,
probe and the final Done); the trained weights come back as numpy arrays with the result.
"""
from __future__ import annotations

import multiprocessing as mp
import threading
import time
import traceback

from rnnlab.errors import RnnlabError
from rnnlab.train import Control, Done, EpochEnd, Probe

FLUSH_S = 0.05
PRELOAD = ["torch", "rnnlab._preload", "rnnlab.experiment", "rnnlab.diagnostics"]  # imports only, no CUDA
_ctx = None
_ctx_lock = threading.Lock()


def context():
    """The forkserver context, preloading torch and the engine (started on first use)."""
    global _ctx
    with _ctx_lock:
        if _ctx is None:
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            _ctx = ctx
        return _ctx


def start(process) -> None:
    """Start a child without re-running the parent's __main__ in it.

    multiprocessing normally re-imports the parent's main script in the child; under Streamlit that
    script is app.py, which must never run outside the server. Our target lives in this module, so
    the child needs nothing from __main__: drop that step while this start() runs.
    """
    from multiprocessing import spawn

    original = spawn.get_preparation_data

    def without_main(name):
        data = original(name)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
        return data

    with _ctx_lock:
        spawn.get_preparation_data = without_main
        try:
            process.start()
        finally:
            spawn.get_preparation_data = original


def _noop() -> None:
    """Nothing: starting one child is what starts the forkserver (and its preload)."""


def warm_up() -> None:
    """Start the forkserver now (a couple of seconds: it imports torch) rather than on the first click."""
    p = context().Process(target=_noop, daemon=True)
    start(p)
    p.join()


class ProcessControl(Control):
    """Control whose stop / pause flags are shared with a child process."""

    def __init__(self) -> None:
        ctx = context()
        self._stop = ctx.Event()
        self._running = ctx.Event()
        self._running.set()


def child_main(config_dict: dict, data, conn, control: ProcessControl, probe_factory, cpu_threads) -> None:
    """Runs in the child: the same recipe as everywhere (experiment.setup and experiment.train)."""
    import torch

    from rnnlab.config import RunConfig
    from rnnlab.experiment import setup, train

    if cpu_threads:
        torch.set_num_threads(cpu_threads)
    buf: list = []
    last = time.monotonic()

    def on_event(e) -> None:
        nonlocal buf, last
        buf.append(e)
        now = time.monotonic()
        if isinstance(e, (EpochEnd, Probe, Done)) or now - last > FLUSH_S:
            conn.send(("events", buf))
            buf, last = [], now

    try:
        s = setup(RunConfig.from_dict(config_dict), data)
        done, result = train(s, [on_event], control, probe_factory,
                             on_start=lambda total: conn.send(("started", total)))
        state = {k: v.detach().cpu().numpy() for k, v in s.model.state_dict().items()}
        conn.send(("done", done, result, state))
    except RnnlabError as e:
        conn.send(("error", str(e)))
    except Exception as e:  # a bug: report it in one line, the server keeps running
        traceback.print_exc()
        conn.send(("error", f"unexpected {type(e).__name__}: {e}"))
    finally:
        conn.close()
