"""Session state: widget values <-> RunConfig, the loaded data, the user's TrainingJob.

Every config widget has key `w_<part>_<field>`; the RunConfig is rebuilt from those keys on each
run, so pages never hold a second copy of the settings.
"""
from __future__ import annotations

import os
import threading
import uuid
from dataclasses import fields

import streamlit as st
import torch

from rnnlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnlab.data.csv import CsvTable, read_table, series_from_table
from rnnlab.errors import RnnlabError
from rnnlab.experiment import load_data, prepare_data
from rnnlab.job import JobRegistry, JobSlots, TrainingJob
from rnnlab.presets import preset_dict
from rnnlab import worker

PARTS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
MAX_JOBS = int(os.environ.get("RNNLAB_MAX_JOBS", "2"))


def key(part: str, name: str) -> str:
    return f"w_{part}_{name}"


def init_state() -> None:
    """Put every config value into its widget key before any widget is drawn.

    `st.session_state.store` is the source of truth: Streamlit forgets or resets the state of
    widgets that are not on the current page, so each widget writes its value back to the store
    from its on_change callback (see `bind`), which runs before this function.
    """
    warm_up_torch()
    heartbeat()
    store = st.session_state.setdefault("store", {})
    defaults = RunConfig()
    defaults.train.probe_every = -1  # unlike the CLI, the app probes by default (auto-spaced)
    for part, cls in PARTS.items():
        for f in fields(cls):
            store.setdefault(key(part, f.name), getattr(getattr(defaults, part), f.name))
    store.setdefault("w_source", "Generate")
    for k, v in store.items():
        st.session_state[k] = v
    st.session_state.setdefault("csv_bytes", None)
    st.session_state.setdefault("csv_name", None)
    st.session_state.setdefault("job", None)


def _sync(k: str) -> None:
    st.session_state.store[k] = st.session_state[k]


def bind(k: str) -> dict:
    """Widget kwargs: a key whose changes are written back to the store."""
    return {"key": k, "on_change": _sync, "args": (k,)}


def put(k: str, v) -> None:
    """Set a widget value from code (presets, data-dependent defaults)."""
    st.session_state[k] = v
    st.session_state.store[k] = v


def value(k: str):
    return st.session_state.store[k]


def config_from_state() -> RunConfig:
    """The RunConfig the widgets currently describe."""
    d = {part: {f.name: value(key(part, f.name)) for f in fields(cls)} for part, cls in PARTS.items()}
    gen = d["data"]["generator"]
    d["data"]["params"] = {k.split("__", 1)[1]: v for k, v in st.session_state.store.items()
                           if str(k).startswith(f"w_param_{gen}__")}
    if value("w_source") == "Upload CSV" and st.session_state.csv_bytes is not None:
        d["data"]["csv_path"] = st.session_state.csv_name
    else:
        d["data"]["csv_path"] = None
    return RunConfig.from_dict(d)


def apply_preset(name: str) -> None:
    """Load a named configuration into the widgets (home page demo button)."""
    for part, values in preset_dict(name).items():
        for name_, v in values.items():
            if (part, name_) not in (("train", "device"), ("train", "probe_every")):  # the user's choices
                put(key(part, name_), v)
    put("w_source", "Generate")


@st.cache_data(max_entries=16, show_spinner=False)
def _cached_data(data_json: str, csv_bytes: bytes | None):
    cfg = RunConfig.from_json(data_json).data
    if csv_bytes is None:
        return load_data(cfg)
    table = _cached_table(csv_bytes, cfg.decimal, cfg.thousands, cfg.date_column)  # parsed once
    return series_from_table(table, cfg.column, cfg.inputs, cfg.missing)


def readable(e: Exception) -> str:
    """One line for people: our own errors as they are, anything else named as a bug."""
    if isinstance(e, RnnlabError):
        return str(e)
    return f"the data could not be read ({type(e).__name__}: {str(e)[:200]}); please report this file"


def current_data(cfg: RunConfig | None = None):
    """(data, error message): the series the config names, or None and a message for people."""
    cfg = cfg or config_from_state()
    use_csv = cfg.data.csv_path is not None
    key_cfg = RunConfig(data=cfg.data)
    try:
        return _cached_data(key_cfg.to_json(), st.session_state.csv_bytes if use_csv else None), None
    except Exception as e:  # noqa: BLE001 - a page must stay usable whatever the file holds
        return None, readable(e)


@st.cache_data(max_entries=8, show_spinner=False)
def _cached_table(csv_bytes: bytes, decimal: str, thousands: str, date_column: str | None) -> CsvTable:
    return read_table(csv_bytes, decimal, thousands, date_column)


def csv_table() -> tuple[CsvTable | None, str | None]:
    """(parsed upload with its per-column report, error message) under the current format settings."""
    try:
        return _cached_table(st.session_state.csv_bytes, value(key("data", "decimal")),
                             value(key("data", "thousands")), value(key("data", "date_column"))), None
    except Exception as e:  # noqa: BLE001
        return None, readable(e)


def upload_changed() -> None:
    """The uploader's callback: a file removed by the user takes its data, choices and errors with it
    (leaving the page also empties the widget, but fires no callback, so the file is kept then)."""
    if st.session_state.get("uploader") is None:
        st.session_state.csv_bytes, st.session_state.csv_name = None, None
        for field in ("column", "date_column"):
            put(key("data", field), None)
        put(key("data", "inputs"), [])


def new_upload(raw: bytes, name: str) -> None:
    """A new file replaces the old one and every choice made for it; the date column is detected."""
    st.session_state.csv_bytes, st.session_state.csv_name = raw, name
    for field in ("column", "date_column"):
        put(key("data", field), None)
    for field in ("decimal", "thousands"):
        put(key("data", field), "auto")
    put(key("data", "inputs"), [])
    table, _ = csv_table()
    put(key("data", "date_column"), table.date.name if table is not None and table.date else "")


@st.cache_resource
def warm_up_torch() -> threading.Thread:
    """Once per server: start the training forkserver (it imports torch) in the background, so the
    first Train click is fast."""
    t = threading.Thread(target=worker.warm_up, name="rnnlab-warm-up", daemon=True)
    t.start()
    return t


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


def start_job(cfg: RunConfig, data) -> TrainingJob:
    """Start a training job and keep it as a new run of this session (earlier runs stay)."""
    from rnnlab.diagnostics import probe_for_setup
    from ui import runs

    job = TrainingJob(cfg, data, slots=job_slots(), owner=session_id(), probe_factory=probe_for_setup,
                      mode="process", cpu_threads=job_threads())  # own GIL (rnnlab/worker.py)
    job_registry().put(session_id(), job)
    runs.add(job.start())
    return job


def ready_to_train():
    """(config, data, None) from the widgets, or (None, None, message) saying what to fix."""
    try:
        cfg = config_from_state().validate()
    except RnnlabError as e:
        return None, None, str(e)
    data, err = current_data(cfg)
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
    job = st.session_state.job
    job.stop()
    job.join(timeout=2.0)


def device_options() -> dict[str, str]:
    """Device choices for the sidebar: value -> label (GPU name shown when CUDA exists)."""
    opts = {"auto": "auto", "cpu": "CPU"}
    if torch.cuda.is_available():
        opts["cuda"] = f"CUDA · {torch.cuda.get_device_name(0)}"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        opts["mps"] = "Apple MPS"
    return opts


def prepared(cfg: RunConfig, data):
    """prepare_data for the Data page, once per data set and data config in this session (a big
    series takes seconds to window; every widget click reruns the page)."""
    k = (RunConfig(data=cfg.data).to_json(), id(st.session_state.csv_bytes) if cfg.data.csv_path else None)
    memo = st.session_state.get("prepared_memo")
    if memo is None or memo[0] != k:
        memo = st.session_state["prepared_memo"] = (k, prepare_data(cfg.data, data))
    return memo[1]


def per_job(job: TrainingJob, name: str, compute):
    """compute() once per job and name, not on every rerun; only the current job's values are kept."""
    cache = st.session_state.get("per_job")
    if cache is None or cache["job_id"] != job.id:
        cache = st.session_state["per_job"] = {"job_id": job.id}
    if name not in cache:
        cache[name] = compute()
    return cache[name]
