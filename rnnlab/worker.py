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
import os
import threading
import time
import traceback
from dataclasses import dataclass

from rnnlab.errors import RnnlabError
from rnnlab.train import Control, Done, EpochEnd, Probe

@dataclass
class Events:
    """A batch of Trainer events (StepEnd, EpochEnd, Probe, Done)."""
    events: list


@dataclass
class Started:
    """The Trainer exists; training begins."""
    total_steps: int


@dataclass
class Weights:
    """The model's weights at an epoch end, so pages can show the current fit while training goes on."""
    epoch: int
    state: dict  # name -> numpy array


@dataclass
class Finished:
    """Training ended: how, the result (the CLI's JSON shape) and the trained weights."""
    done: Done
    result: dict
    state: dict  # name -> numpy array


@dataclass
class Failed:
    """Setup or training raised: one line for people."""
    message: str


Message = Events | Started | Weights | Finished | Failed
FLUSH_S = 0.05
PARENT_CHECK_S = 1.0  # how often a child checks that its server is still there
LIVE_WEIGHTS_EVERY_S = 1.0  # epoch-end weights go to the server at most this often ...
LIVE_WEIGHTS_MAX = 2_000_000  # ... and only for models up to this many parameters (8 MB)
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
    """Start a child. It re-imports the server's main module (app.py) as __mp_main__, which does
    nothing there: app.py keeps all its work under `if __name__ == "__main__"`."""
    process.start()


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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def exit_with_parent(server_pid: int, interval: float = PARENT_CHECK_S) -> None:
    """End this child when the server that asked for it is gone, or the forkserver died (orphaned:
    our parent process changed), whatever the loop is doing, paused or inside a long step."""
    ppid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != ppid or not _alive(server_pid):
                os._exit(0)

    threading.Thread(target=watch, name="rnnlab-parent-watch", daemon=True).start()


def child_main(config_dict: dict, data, conn, control: ProcessControl, probe_factory, cpu_threads,
               server_pid: int, start_from: dict | None = None) -> None:
    """Runs in the child: the same recipe as everywhere (experiment.setup and experiment.train)."""
    import torch

    from rnnlab.config import RunConfig
    from rnnlab.experiment import setup, train

    exit_with_parent(server_pid)
    if cpu_threads:
        torch.set_num_threads(cpu_threads)
    buf: list = []
    last = time.monotonic()

    shared = 0.0
    s = None

    def on_event(e) -> None:
        nonlocal buf, last, shared
        buf.append(e)
        now = time.monotonic()
        if isinstance(e, (EpochEnd, Probe, Done)) or now - last > FLUSH_S:
            conn.send(Events(buf))
            buf, last = [], now
        if isinstance(e, EpochEnd) and s is not None and now - shared >= LIVE_WEIGHTS_EVERY_S \
                and sum(p.numel() for p in s.model.parameters()) <= LIVE_WEIGHTS_MAX:
            # the weights so far, so pages can show the current fit while training goes on
            conn.send(Weights(e.epoch, {k: v.detach().cpu().numpy().copy()
                                        for k, v in s.model.state_dict().items()}))
            shared = now

    try:
        s = setup(RunConfig.from_dict(config_dict), data, start_from=start_from)
        done, result = train(s, [on_event], control, probe_factory,
                             on_start=lambda total: conn.send(Started(total)))
        state = {k: v.detach().cpu().numpy() for k, v in s.model.state_dict().items()}
        conn.send(Finished(done, result, state))
    except RnnlabError as e:
        conn.send(Failed(str(e)))
    except Exception as e:  # a bug: report it in one line, the server keeps running
        traceback.print_exc()
        conn.send(Failed(f"unexpected {type(e).__name__}: {e}"))
    finally:
        conn.close()
