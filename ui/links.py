"""The whole configuration in the URL: a link restores every widget, and a reload keeps them.

Only settings that differ from the defaults travel (RunConfig.to_query), with the lesson shown
(`lesson=`) and presenter mode (`present=1`); the page is the URL's path. An uploaded CSV cannot
travel in a link: the URL then says `source=csv` and the page asks for the file again.
"""
from __future__ import annotations

import urllib.parse

import streamlit as st

from rnnlab.config import RunConfig, group
from rnnlab.errors import RnnlabError
from rnnlab.lessons import LESSONS
from ui import present, settings, store

SHARE_KEY = "share_open"  # the Share expander's open state
CSV_FIELDS = tuple(name for _, name in group("csv"))  # settings of a CSV file (rnnlab/config.py)


def restore() -> None:
    """Once per session, before any widget: the URL's settings become the widgets' values."""
    if st.session_state.get("link_restored"):
        return
    st.session_state.link_restored = True
    params = st.query_params.to_dict()
    config_params = {k: v for k, v in params.items() if "." in k and not k.startswith("data.csv_path")}
    if params.get("source") == "csv":
        st.session_state.link_note = ("This link was made with an uploaded CSV; files cannot travel in a "
                                      "link, so upload it again on the Data page.")
        store.put("w_source", "Upload CSV")
    if params.get("lesson") in LESSONS:
        st.session_state.lesson = params["lesson"]
    if not config_params:
        return
    try:
        cfg = RunConfig.from_query(config_params)
    except RnnlabError as e:
        st.session_state.link_note = f"The link's settings were not used: {e}"
        return
    d = cfg.to_dict()
    for key_ in config_params:  # only what the link says: the app's own defaults stay otherwise
        part, _, name = key_.partition(".")
        if part not in d or name not in d[part]:
            continue
        if part == "data" and (name == "params" or (name in CSV_FIELDS and params.get("source") != "csv")):
            continue
        store.put(store.key(part, name), d[part][name])
    settings.put_params(cfg.data.generator, cfg.data.params)
    if "train.device" in config_params:
        _check_device()


def _check_device() -> None:
    """A link made where a GPU was, opened where none is: say so, and train on auto instead."""
    device = settings.device_or_auto()
    if device is None:
        return
    loading = "" if settings.torch_loaded() else " (PyTorch is still loading, so only an NVIDIA GPU can be seen yet)"
    said = f"This link asks to train on the device \"{device}\", which this machine does not offer{loading}: " \
           "runs use auto instead, a GPU if PyTorch finds one, else the CPU."
    before = st.session_state.get("link_note")
    st.session_state.link_note = f"{before}\n\n{said}" if before else said


def current_query() -> dict[str, str]:
    """The URL parameters that describe the widgets now."""
    cfg = settings.config_from_state()
    query = cfg.to_query()
    query.pop("data.csv_path", None)
    if present.on():
        query["present"] = "1"
    if st.session_state.get("lesson"):
        query["lesson"] = st.session_state.lesson
    if cfg.data.csv_path is not None:
        query["source"] = "csv"
    else:
        for name in CSV_FIELDS:
            query.pop(f"data.{name}", None)
    return query


def sync() -> None:
    """After the page is drawn: put the current settings into the URL (only when they changed)."""
    try:
        query = current_query()
    except RnnlabError:
        return
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)


def note() -> None:
    """What restoring a link could not do (an upload to repeat, invalid values), shown once."""
    if st.session_state.get("link_note"):
        st.info(st.session_state.pop("link_note"), icon=":material/link:")


def share_ui() -> None:
    """The link to these settings, with a copy button; a note when the data cannot travel. Drawn only
    while the expander is open: a code block makes every page's browser load Streamlit's syntax
    highlighter (1.5 MB of JavaScript, ~0.5 s of a fresh first page on 2 cores), collapsed or not."""
    share = st.expander("Share these settings", icon=":material/link:", key=SHARE_KEY, on_change="rerun")
    if not share.open:
        return
    with share:
        base = (st.context.url or "").split("?")[0]
        st.code(base + "?" + urllib.parse.urlencode(current_query()), language=None, wrap_lines=True)
        if settings.config_from_state().data.csv_path is not None:
            st.caption("The uploaded CSV does not travel in the link: whoever opens it uploads the file again.")
