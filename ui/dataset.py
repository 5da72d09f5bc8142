"""The session's data: the generated or uploaded series the settings name, parsed and cached."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from rnnlab.config import RunConfig
from rnnlab.errors import RnnlabError
from rnnlab.inputs import load_data, prepare_data
from ui.settings import config_from_state
from ui.store import key, put, value

if TYPE_CHECKING:  # the CSV reader (pandas) loads with the first upload, not on a fresh server's first page
    from rnnlab.data.csv import CsvTable


@st.cache_data(max_entries=16, show_spinner=False)
def _cached_data(data_json: str, csv_bytes: bytes | None):
    cfg = RunConfig.from_json(data_json).data
    if csv_bytes is None:
        return load_data(cfg)
    from rnnlab.data.csv import series_from_table

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
    from rnnlab.data.csv import read_table

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


def prepared(cfg: RunConfig, data):
    """prepare_data for the Data page, once per data set and data config in this session (a big
    series takes seconds to window; every widget click reruns the page)."""
    k = (RunConfig(data=cfg.data).to_json(), id(st.session_state.csv_bytes) if cfg.data.csv_path else None)
    memo = st.session_state.get("prepared_memo")
    if memo is None or memo[0] != k:
        memo = st.session_state["prepared_memo"] = (k, prepare_data(cfg.data, data))
    return memo[1]
