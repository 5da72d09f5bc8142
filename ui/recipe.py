"""The recipe's choices made visible: the suggested lookback on the Data page (applied to a new
upload whose lookback is still the default or too long, and said so)."""
from __future__ import annotations

import streamlit as st

from rnnlab.config import RunConfig
from rnnlab.data import PanelData
from rnnlab.suggest import suggest_lookback
from ui import state, store
from ui.store import key

DEFAULT_LOOKBACK = RunConfig().data.lookback


def _use(lookback: int) -> None:
    store.put(key("data", "lookback"), lookback)


def lookback_hint(cfg: RunConfig, data) -> None:
    """Show the suggested lookback with a button; a new CSV gets it at once when its lookback is the
    default or leaves too few windows (a link's own lookback is kept otherwise)."""
    if isinstance(data, PanelData):
        return
    lookback, why = suggest_lookback(data.values, cfg.data.val_fraction, cfg.data.test_fraction)
    upload = (st.session_state.get("csv_name"), cfg.data.column, len(data.values)) if cfg.data.csv_path else None
    if upload is not None and st.session_state.get("lookback_set_for") != upload:
        st.session_state.lookback_set_for = upload
        too_long = cfg.data.lookback > len(data.values) // 3
        if lookback != cfg.data.lookback and (cfg.data.lookback == DEFAULT_LOOKBACK or too_long):
            st.session_state.store[key("data", "lookback")] = lookback  # the widget takes it on the rerun
            st.session_state.lookback_note = f"Lookback set to {lookback}: {why}. Change it above if you like."
            state.rerun_page()
    if st.session_state.get("lookback_note"):
        st.info(st.session_state.pop("lookback_note"), icon=":material/tune:")
    elif lookback != cfg.data.lookback:
        c = st.columns([4, 1])
        c[0].caption(f"Suggested lookback: **{lookback}** ({why}).")
        c[1].button(f"Use {lookback}", key="use_lookback", on_click=_use, args=(lookback,))
