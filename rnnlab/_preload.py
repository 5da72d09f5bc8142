"""Imported once by the training forkserver (rnnlab.forkserver.PRELOAD), after rnnlab._forkserver_env:
the forkserver's imports and warm-up (rnnlab/_warm.py, statsmodels' ETS and Theta), about 6 s of CPU
on 2 cores, run at the lowest CPU priority.

The forkserver starts with the server (`python app.py`) or with its first page (`streamlit run`),
while a browser may be drawing that page on the same cores. Background work, then: at nice 19 it
takes the CPU the server and the browser leave, and all of it when they are idle (a person reading
the page, or a Train click waiting for it). It does not spare the first page all of its cost:
measured, nice 19 and nice 0 cost the page alike (memory bandwidth, caches and mapping torch's
libraries are the likely reasons, not measured apart; docs/architecture.md has the figures). Only the thread that loads is lowered (Linux keeps a nice value per thread): the
forkserver's main thread, which forks every training child, keeps the priority it had, and so do
the children (a process can lower its priority but not raise it back). The thread has ended when
this module's import returns: nothing a fork would inherit.
"""
from __future__ import annotations

import importlib
import os
import threading

NICE = 19  # the loading thread's nice value: the lowest priority
MODULES = ["statsmodels.tsa.exponential_smoothing.ets", "statsmodels.tsa.forecasting.theta",  # ETS, Theta
           "rnnlab._warm"]  # torch and the engine, imported and run once on the CPU (never CUDA)


def lower_priority() -> bool:
    """Give the calling thread the lowest CPU priority; False where the system does not allow it."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        return True
    except (AttributeError, OSError):  # not Linux (the whole process would change), or not permitted
        return False


def load(modules: list[str] = MODULES) -> None:
    """Import `modules` in a low-priority thread; wait for it, and raise what it raised."""
    failed: list[BaseException] = []

    def run() -> None:
        lower_priority()
        try:
            for name in modules:
                importlib.import_module(name)
        except BaseException as e:  # noqa: BLE001 - raised again below, in the forkserver's own thread
            failed.append(e)

    thread = threading.Thread(target=run, name="rnnlab-preload")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


load()
