"""Config mapping: the widget store <-> RunConfig (the settings the pages describe)."""
from __future__ import annotations

from dataclasses import fields

import os
import sys

import streamlit as st

from rnnlab.config import PARTS, RunConfig, group
from rnnlab.data.generators import GENERATORS
from rnnlab.presets import preset_dict
from ui import state, store
from ui.store import key, put, value

USER_CHOICES = group("user")  # kept when a preset or lesson loads (rnnlab/config.py)


def init() -> None:
    """Every config value in its widget key, the app's defaults where the store has none yet."""
    defaults = RunConfig()
    defaults.train.probe_every = -1  # unlike the CLI, the app probes by default (auto-spaced)
    values = {key(part, f.name): getattr(getattr(defaults, part), f.name)
              for part, cls in PARTS.items() for f in fields(cls)}
    values["w_source"] = "Generate"
    store.init(values)
    state.init()
    st.session_state.setdefault("csv_bytes", None)
    st.session_state.setdefault("csv_name", None)
    st.session_state.setdefault("job", None)


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


def apply(d: dict, keep=USER_CHOICES) -> None:
    """Load a whole RunConfig dict into the widgets (a preset, a lesson), except the `keep` fields the
    user chose; the generator's parameters are reset to their defaults, then set from d."""
    for part, values in d.items():
        for name, v in values.items():
            if (part, name) not in keep and name != "params":
                put(key(part, name), v)
    put_params(d["data"]["generator"], d["data"].get("params", {}), reset=True)
    put("w_source", "Generate")


def put_params(generator: str, params: dict, reset: bool = False) -> None:
    """A generator's parameters into their widgets (typed as the sliders expect); unknown names are
    ignored; with reset, the ones not given go back to their defaults."""
    spec = GENERATORS.get(generator)
    if spec is None:
        return
    for name, p in spec.params.items():
        if name in params or reset:
            v = params.get(name, p.default)
            put(f"w_param_{spec.name}__{name}", int(v) if p.integer else float(v))


def apply_preset(name: str) -> None:
    """Load a named configuration into the widgets (the home page's demo button)."""
    apply(preset_dict(name))


def device_options() -> dict[str, str]:
    """Device choices for the sidebar: value -> label (GPU name shown when CUDA exists).

    Asks torch only once torch is loaded (the warm-up thread loads it after the first page), so a
    fresh server's first page does not wait ~2 s for it, nor a page drawn while it loads; until then a GPU is named only by the
    driver's presence, and "auto" still picks it in the training child."""
    opts = {"auto": "auto", "cpu": "CPU"}
    if not torch_loaded():
        if gpu_driver():
            opts["cuda"] = "CUDA"
        return opts
    torch = sys.modules["torch"]
    if torch.cuda.is_available():
        opts["cuda"] = f"CUDA · {torch.cuda.get_device_name(0)}"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        opts["mps"] = "Apple MPS"
    return opts


def device_or_auto(opts: dict[str, str] | None = None) -> str | None:
    """Set the chosen device back to "auto" where this machine does not offer it (`opts`: the
    device choices, when the caller has them). Returns the device dropped, else None: the caller says so."""
    name = key("train", "device")
    chosen = value(name)
    if chosen in (opts if opts is not None else device_options()):
        return None
    put(name, "auto")
    return chosen


def torch_loaded() -> bool:
    """Whether torch's import has finished. Not loaded, or half loaded: the warm-up thread is
    importing it while this script runs (a click in the seconds after the first page), and
    `torch.cuda` may not exist yet."""
    torch = sys.modules.get("torch")
    return torch is not None and not getattr(torch.__spec__, "_initializing", False)


def gpu_driver() -> bool:
    """Whether an NVIDIA driver is loaded (Linux), without importing torch."""
    return os.path.exists("/proc/driver/nvidia/version")
