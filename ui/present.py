"""Presenter mode (`?present=1` or the sidebar toggle): everything larger for a projector at
1280 x 720, the settings folded away, charts one under the other at full width."""
from __future__ import annotations

import streamlit as st

ZOOM = 1.3  # text drawn this much larger while presenting


def on() -> bool:
    if "present" not in st.session_state:
        st.session_state.present = st.query_params.get("present") == "1"
    return bool(st.session_state.present)


TEXT = ("[data-testid='stMarkdownContainer']", "[data-testid='stCaptionContainer']",
        "[data-testid='stWidgetLabel']", "[data-testid='stAlertContentInfo']")


def style() -> None:
    """Larger text while presenting. Charts are not zoomed (Plotly then clips its own axes); they
    get the full width instead, and their fonts are projector-sized already (rnnlab/plots.py)."""
    if on():
        st.html(f"<style>{', '.join(TEXT)} {{ zoom: {ZOOM}; }}</style>")


def toggle_ui() -> None:
    st.toggle("Presenter mode", key="present", help="larger text and charts for a projector; settings folded away")


def columns(spec):
    """st.columns normally; full-width containers one under the other while presenting."""
    return [st.container() for _ in spec] if on() else st.columns(spec)
