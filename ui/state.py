"""Session state: widget values <-> RunConfig, the loaded data, the user's TrainingJob.

Every config widget has key `w_<part>_<field>`; the RunConfig is rebuilt from those keys on each
run, so pages never hold a second copy of the settings.
"""
from __future__ import annotations

import os
from dataclasses import fields

import streamlit as st
import torch

from rnnlab.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from rnnlab.errors import RnnlabError
from rnnlab.experiment import load_data
from rnnlab.job import JobRegistry, JobSlots, TrainingJob
from rnnlab.presets import PRESETS

PARTS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
MAX_JOBS = int(os.environ.get("RNNLAB_MAX_JOBS", "2"))


def key(part: str, name: str) -> str:
    return f"w_{part}_{name}"


def init_state() -> None:
    """Defaults for every config widget, restored from a plain store when Streamlit dropped them.

    Streamlit forgets the state of widgets that were not drawn in the last run (a page switch),
    so every `w_` value is also copied into `st.session_state.store` (see `remember`).
    """
    store = st.session_state.setdefault("store", {})
    defaults = RunConfig()
    for part, cls in PARTS.items():
        for f in fields(cls):
            store.setdefault(key(part, f.name), getattr(getattr(defaults, part), f.name))
    for k, v in store.items():
        if k not in st.session_state:
            st.session_state[k] = v
    st.session_state.setdefault("w_source", "Generate")
    st.session_state.setdefault("csv_bytes", None)
    st.session_state.setdefault("csv_name", None)
    st.session_state.setdefault("job", None)


def remember() -> None:
    """Copy the current widget values into the store (call at the end of every run)."""
    store = st.session_state.setdefault("store", {})
    for k in list(st.session_state):
        if str(k).startswith("w_"):
            store[k] = st.session_state[k]


def value(k: str):
    """A widget value, from the live widget state or else the store."""
    return st.session_state[k] if k in st.session_state else st.session_state.store[k]


def config_from_state() -> RunConfig:
    """The RunConfig the widgets currently describe."""
    d = {part: {f.name: value(key(part, f.name)) for f in fields(cls)} for part, cls in PARTS.items()}
    gen = d["data"]["generator"]
    live = {**st.session_state.store, **{k: v for k, v in st.session_state.items() if str(k).startswith("w_")}}
    d["data"]["params"] = {k.split("__", 1)[1]: v for k, v in live.items() if str(k).startswith(f"w_param_{gen}__")}
    if st.session_state.w_source == "Upload CSV" and st.session_state.csv_bytes is not None:
        d["data"]["csv_path"] = st.session_state.csv_name
    else:
        d["data"]["csv_path"] = None
    return RunConfig.from_dict(d)


def apply_preset(name: str) -> None:
    """Load a named configuration into the widgets (home page demo button)."""
    cfg = RunConfig().to_dict()
    for part, values in PRESETS[name].items():
        cfg[part].update(values)
    for part, values in cfg.items():
        for name_, v in values.items():
            st.session_state[key(part, name_)] = v
            st.session_state.store[key(part, name_)] = v
    st.session_state.w_source = "Generate"


@st.cache_data(max_entries=16, show_spinner=False)
def _cached_data(data_json: str, csv_bytes: bytes | None):
    return load_data(RunConfig.from_json(data_json).data, csv_bytes=csv_bytes)


def current_data(cfg: RunConfig | None = None):
    """(data, error message): the series the config names, or None and a message for people."""
    cfg = cfg or config_from_state()
    use_csv = cfg.data.csv_path is not None
    key_cfg = RunConfig(data=cfg.data)
    try:
        return _cached_data(key_cfg.to_json(), st.session_state.csv_bytes if use_csv else None), None
    except RnnlabError as e:
        return None, str(e)


@st.cache_resource
def job_slots() -> JobSlots:
    """Server-wide: at most MAX_JOBS jobs train at once; others wait in the queue."""
    return JobSlots(MAX_JOBS)


def _session_alive(session_id: str) -> bool:
    from streamlit.runtime import Runtime
    return Runtime.exists() and Runtime.instance().is_active_session(session_id)


@st.cache_resource
def job_registry() -> JobRegistry:
    """Server-wide: stops the job of a browser session that has gone away."""
    return JobRegistry(_session_alive, grace=5.0)


def session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "no-session"


def start_job(cfg: RunConfig, data, probe_factory=None) -> TrainingJob:
    """Start (or replace) this session's one training job."""
    old = st.session_state.get("job")
    if old is not None:
        old.stop()
    job = TrainingJob(cfg, data, slots=job_slots(), owner=session_id(), probe_factory=probe_factory)
    job_registry().put(session_id(), job)
    st.session_state.job = job.start()
    return job


def device_options() -> dict[str, str]:
    """Device choices for the sidebar: value -> label (GPU name shown when CUDA exists)."""
    opts = {"auto": "auto", "cpu": "CPU"}
    if torch.cuda.is_available():
        opts["cuda"] = f"CUDA · {torch.cuda.get_device_name(0)}"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        opts["mps"] = "Apple MPS"
    return opts
