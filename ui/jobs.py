"""Job bookkeeping: the server's training slots and session registry, starting and stopping runs."""
from __future__ import annotations

import gc
import itertools
import os
import threading
import uuid
from typing import TYPE_CHECKING

import streamlit as st

from rnnlab import forkserver
from rnnlab.config import RunConfig
from rnnlab.errors import RnnlabError
from rnnlab.serve import JobRegistry, JobSlots, auto_threads
from ui import book
from ui.settings import config_from_state

if TYPE_CHECKING:
    from rnnlab.job import TrainingJob

MAX_JOBS = int(os.environ.get("RNNLAB_MAX_JOBS", "2"))


FIRST_PAGE = threading.Event()  # set once a browser has painted this server's first page: the warm-up may begin
WARM_UP_WAIT_S = 10.0  # the warm-up loads torch after at most this long even if no page is drawn
PAINT_S = 1.5  # a browser paints a page ~0.5-1.2 s after its script ends (2 cores, quiet)
_scripts_ended = itertools.count()


@st.cache_resource
def warm_up_torch() -> list[threading.Thread]:
    """Once per server, in the background: start the training forkserver if `python app.py` has not
    already (ui/launch.py; its process imports torch, statsmodels and the engine and trains once,
    ~6 s of CPU: rnnlab.forkserver.PRELOAD), so Train clicks are fast; and, once
    the first page is drawn, import torch and the model code in this process too (a run's parent
    side and the Train, Predict and Inspect pages need them). The first page itself imports none of
    them (tests/test_structure.py::test_first_page_imports_no_torch). This process's import waits
    for the page: begun with the page's script it made the page 1-2 s slower on 2 cores, and a
    thread of the server cannot be lowered (it would hold the GIL the page's script needs)."""
    threads = [threading.Thread(target=_start_forkserver, name="rnnlab-warm-up", daemon=True),
               threading.Thread(target=_import_torch, name="rnnlab-import-torch", daemon=True)]
    for t in threads:
        t.start()
    return threads


def _start_forkserver() -> None:
    forkserver.warm_up(standby=True)  # and a child forked ahead of each Train click


def _import_torch() -> None:
    FIRST_PAGE.wait(WARM_UP_WAIT_S)
    import rnnlab.diagnostics  # noqa: F401 (torch, the model, the probes)
    import rnnlab.experiment  # noqa: F401 (the evaluation)
    import rnnlab.job  # noqa: F401 (a run's job and its child process: the first page had none)
    import pandas  # noqa: F401 (dates, CSV files, tables: the first page had none)
    import ui.dataset  # noqa: F401 (its cached functions read their own source when defined)
    try:
        import streamlit.emojis  # noqa: F401 (read by any alert whose text is not ASCII; 0.2 s)
    except ImportError:  # a private module of Streamlit's: only this speed-up depends on it
        pass
    # The ~250,000 objects these imports made live as long as the server: out of the garbage
    # collector's sight, Streamlit's collection after every script run (runner.postScriptGC) takes
    # ~1 ms instead of 0.13 s (0.3 s on a busy 2-core server, on every live redraw).
    gc.freeze()


def page_drawn() -> None:
    """The app calls this at the end of each script run. The server's torch import begins PAINT_S after the first
    one, or at the second (a click: the page is on screen): begun as the first script ended, its ~8 s
    of CPU left the browser a third of 2 cores, and the first page showed ~2 s later."""
    if next(_scripts_ended) == 0:
        timer = threading.Timer(PAINT_S, FIRST_PAGE.set)
        timer.daemon = True
        timer.start()
    else:
        FIRST_PAGE.set()


@st.cache_resource
def job_slots() -> JobSlots:
    """Server-wide: at most MAX_JOBS jobs train at once; others wait in the queue."""
    return JobSlots(MAX_JOBS)


@st.cache_resource
def job_registry() -> JobRegistry:
    """Server-wide: stops the job of a browser session that has gone away, after as long as
    Streamlit itself keeps a disconnected session (server.disconnectedSessionTTL)."""
    return JobRegistry(grace=float(st.get_option("server.disconnectedSessionTTL")))


def session_id() -> str:
    """This browser session's own id, kept in its session state (a public API, unlike Streamlit's)."""
    return st.session_state.setdefault("owner_id", uuid.uuid4().hex)


def heartbeat() -> None:
    """Tell the registry this session is still here: every rerun and every polling fragment calls it."""
    job_registry().touch(session_id())


def job_threads(cores: int | None = None, max_jobs: int = MAX_JOBS) -> int:
    """CPU threads per training job: the machine's cores shared by the job slots, one left for the
    server; one on a 2-core machine, where a second thread pool beside the server's made training
    2-3x slower (see rnnlab/job.py)."""
    cores = cores or os.cpu_count() or 1
    return max(1, (cores - 1) // max_jobs)


def run_threads(cfg: RunConfig) -> int:
    """One run's threads: its share of the machine, fewer for a small model (experiment.auto_threads)."""
    return min(job_threads(), auto_threads(cfg))


def job_factory(probes: bool = True):
    """The one way the app makes a training job (Train, races, lessons, Train more, Tune's trials):
    a child process with its own GIL (rnnlab/worker.py), a server slot, this session as its owner
    (kept alive by its heartbeats), its share of the CPU threads; `probes`: live diagnostics. Call it
    in the script's thread: a tuner's own thread has no session, and an owner looked up there would
    be a stranger whose jobs the registry stops after disconnectedSessionTTL."""
    from rnnlab.diagnostics import probe_for_setup
    from rnnlab.job import TrainingJob

    owner, slots, registry = session_id(), job_slots(), job_registry()

    def make(cfg: RunConfig, data, start_from: dict | None = None) -> TrainingJob:
        job = TrainingJob(cfg, data, slots=slots, owner=owner, probe_factory=probe_for_setup if probes else None,
                          mode="process", cpu_threads=run_threads(cfg), start_from=start_from)
        registry.put(owner, job)
        return job
    return make


def start_job(cfg: RunConfig, data, start_from: dict | None = None) -> TrainingJob:
    """Start a training job and keep it as a new run of this session (earlier runs stay); start_from:
    the weights to continue training from."""
    job = job_factory()(cfg, data, start_from)
    book.add(job.start())
    return job


def start_runs(named: list[tuple[str, RunConfig]]) -> str | None:
    """Start one job per (name, config), all at once where the slots allow (the rest queue); a race
    of several becomes the Compare page's selection. Every config and its data are checked before
    any run starts; returns what to fix, or None."""
    from ui import dataset  # here, not at the top: the first page needs none of it (docs/architecture.md)

    checked = []
    for name, cfg in named:
        try:
            cfg.validate()
        except RnnlabError as e:
            return f"{name}: {e}"
        data, err = dataset.current_data(cfg)
        if err:
            return f"{err} (fix it on the Data page)"
        checked.append((name, cfg, data))
    ids = []
    for name, cfg, data in checked:
        job = start_job(cfg, data)
        book.book().rename(job.id, name)
        ids.append(job.id)
    if len(ids) > 1:
        st.session_state.compare_ids = ids
    return None


def ready_to_train():
    """(config, data, None) from the widgets, or (None, None, message) saying what to fix."""
    from ui import dataset  # here, not at the top: the first page needs none of it

    try:
        cfg = config_from_state().validate()
    except RnnlabError as e:
        return None, None, str(e)
    data, err = dataset.current_data(cfg)
    if err:
        return None, None, f"{err} (fix it on the Data page)"
    return cfg, data, None


def train_from_widgets() -> None:
    """The Train button's callback (it runs before the page is drawn, so the buttons below show the
    new state): start a job from the widgets, or keep the error for the page to show."""
    cfg, data, st.session_state.train_error = ready_to_train()
    if cfg is not None:
        start_job(cfg, data)


def stop_job() -> None:
    """The Stop button's callback: the page drawn next says "stopped" once the loop has ended (tens of
    milliseconds); scoring on the test part follows, and the live panel shows the verdict when it lands."""
    job = st.session_state.job
    job.stop()
    job.wait_ended(timeout=2.0)


def per_job(job: TrainingJob, name: str, compute):
    """compute() once per job and name, not on every rerun; only the current job's values are kept."""
    cache = st.session_state.get("per_job")
    if cache is None or cache["job_id"] != job.id:
        cache = st.session_state["per_job"] = {"job_id": job.id}
    if name not in cache:
        cache[name] = compute()
    return cache[name]
