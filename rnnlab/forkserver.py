"""Where training children come from: the forkserver (started once, preloaded and warmed up), the
standby child forked ahead of the next job, the stop / pause flags a child shares with the server,
and the watch that ends a child whose server is gone. What a child does, and the server's side of
it, is rnnlab/worker.py.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
import traceback

from rnnlab.events import Control

PARENT_CHECK_S = 1.0  # how often a child checks that its server is still there
# What the forkserver imports before it forks any child (~6 s of CPU on 2 cores), at the priority it
# was started with: a Train click can wait for it. A thread at nice 19 left a fresh server's first
# page ~0.15 s faster, but was starved outright while other processes kept the cores busy (40-90 s
# with two busy processes on 2 cores, as long as they ran: a first click, or a test, hung).
# docs/architecture.md has the figures.
PRELOAD = ["rnnlab._forkserver_env",  # first, before numpy: one BLAS thread per child
           "statsmodels.tsa.exponential_smoothing.ets", "statsmodels.tsa.forecasting.theta",  # ETS, Theta
           "rnnlab._warm"]  # torch and the engine, run once on the CPU (never CUDA)
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


_started = threading.Event()  # a child has been started: the forkserver's preload is done


def start(process) -> None:
    """Start a child (it waits for the forkserver's preload, the first time). It re-imports the
    server's main module (app.py) as __mp_main__, which does nothing there: app.py keeps all its
    work under `if __name__ == "__main__"`."""
    process.start()
    _started.set()


def forkserver_started() -> bool:
    """Whether the forkserver is up and preloaded (else a new child waits for it: seconds)."""
    return _started.is_set()


def _noop() -> None:
    """Nothing: starting one child is what starts the forkserver (and its preload)."""


def warm_up(standby: bool = False) -> None:
    """Start the forkserver now (a couple of seconds: it imports torch) rather than on the first click.
    standby: from then on keep one child forked ahead of the next job (the app does; see Standby)."""
    global _keep_standby
    if not forkserver_started():  # `python app.py` may have started it already (ui/launch.py)
        p = context().Process(target=_noop, daemon=True)
        start(p)
        p.join()
    if standby:
        _keep_standby = True
        _refill()


class Standby:
    """A child forked ahead of the next job, waiting on a pipe for its work: a Train click then skips
    the fork and the child's start (~70 ms on a busy 2-core server, the biggest part left between the
    click and the first point). Its stop / pause flags are made with it (multiprocessing Events reach
    a child only when it is started), so the job that takes it uses its ProcessControl.

    The app keeps one ready once the forkserver is warm (`warm_up(standby=True)`); `take_standby`
    hands it to a new job and forks the next one a little later. A standby nobody takes ends when the
    server does (its parent watch) or when this object is collected (its pipe closes)."""

    def __init__(self) -> None:
        ctx = context()
        self.control = ProcessControl()
        self.receive, send = ctx.Pipe(duplex=False)  # child -> server: the job's messages
        work, self._work = ctx.Pipe(duplex=False)  # server -> child: the job itself
        self.proc = ctx.Process(target=standby_main, name="rnnlab-standby", daemon=True,
                                args=(work, send, self.control, os.getpid()))
        start(self.proc)
        send.close()
        work.close()

    def alive(self) -> bool:
        return self.proc.is_alive()

    def give(self, target, *args) -> bool:
        """The child runs target(conn, control, *args), conn being its pipe to this process and
        control its flags; False if the child is gone. `target` is pickled by name: it must be a
        module-level function of a module the forkserver preloads (rnnlab.worker.child_main)."""
        try:
            self._work.send((target, args))
            return True
        except (OSError, ValueError):  # a dead child: broken pipe
            return False
        finally:
            self._work.close()

    def close(self) -> None:
        """Not used after all: the child reads end-of-file and exits."""
        self._work.close()
        self.receive.close()
        self.proc.join(timeout=5)


STANDBY_REFILL_S = 1.0  # after a job takes the standby, fork the next one this much later (not beside its start)
_keep_standby = False
_standby: Standby | None = None
_standby_lock = threading.Lock()


def take_standby() -> Standby | None:
    """The ready standby child (None when there is none: a fresh child is forked as before)."""
    global _standby
    with _standby_lock:
        sb, _standby = _standby, None
    if sb is not None and not sb.alive():
        sb.close()
        sb = None
    if _keep_standby:
        timer = threading.Timer(STANDBY_REFILL_S, _refill)
        timer.daemon = True
        timer.start()
    return sb


def _refill() -> None:
    """Fork a standby if there is none (in the background; a failed fork only costs the speed-up)."""
    global _standby
    with _standby_lock:
        if not _keep_standby or (_standby is not None and _standby.alive()):
            return
        try:
            _standby = Standby()
        except Exception:  # noqa: BLE001 - e.g. out of processes: jobs fork their own child
            traceback.print_exc()
            _standby = None


class ProcessControl(Control):
    """Control whose stop / pause flags are shared with a child process."""

    def __init__(self) -> None:
        ctx = context()
        self._stop = ctx.Event()
        self._running = ctx.Event()
        self._running.set()


def alive(pid: int) -> bool:
    """Whether a process with this id exists."""
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
            if os.getppid() != ppid or not alive(server_pid):
                os._exit(0)

    threading.Thread(target=watch, name="rnnlab-parent-watch", daemon=True).start()


def standby_main(work, conn, control: ProcessControl, server_pid: int) -> None:
    """A standby child (Standby): wait for its work, then run it (it watches the server meanwhile)."""
    exit_with_parent(server_pid)
    try:
        target, args = work.recv()
    except EOFError:  # nobody took this child
        return
    finally:
        work.close()
    target(conn, control, *args)
