"""Presenter mode (`?present=1` or the sidebar toggle): everything larger for a projector at
1280 x 720, the settings folded away, charts one under the other at full width."""
from __future__ import annotations

import streamlit as st

from ui import store

ZOOM = 1.3  # text drawn this much larger while presenting


KEY = "w_present"  # kept in the widget store: a page switch from a button callback must not lose it


def on() -> bool:
    if KEY not in st.session_state.setdefault("store", {}):
        store.put(KEY, st.query_params.get("present") == "1")
    return bool(store.value(KEY))


TEXT = ("[data-testid='stMarkdownContainer']", "[data-testid='stCaptionContainer']",
        "[data-testid='stWidgetLabel']", "[data-testid='stAlertContentInfo']")


def style() -> None:
    """Larger text while presenting. Charts are not zoomed (Plotly then clips its own axes); they
    get the full width instead, and their fonts are projector-sized already (rnnlab/plots.py)."""
    if on():
        st.html(f"<style>{', '.join(TEXT)} {{ zoom: {ZOOM}; }}</style>")


def toggle_ui() -> None:
    """A button that turns presenting on or off. Not st.toggle: a first page without a toggle skips
    Streamlit's checkbox code, one of the chunks its frontend loads one after another before the
    page shows (docs/architecture.md)."""
    presenting = on()
    st.button("Leave presenter mode" if presenting else "Presenter mode", key="present_button",
              icon=":material/co_present:", on_click=store.put, args=(KEY, not presenting),
              help="larger text and charts for a projector; settings folded away")


def columns(spec):
    """st.columns normally; full-width containers one under the other while presenting."""
    return [st.container() for _ in spec] if on() else st.columns(spec)
