"""The widget store: every settings widget's value, kept across pages and reruns.

Every config widget has key `w_<part>_<field>`. `st.session_state.store` is the source of truth:
Streamlit forgets or resets the state of widgets that are not on the current page, so each widget
writes its value back to the store from its on_change callback (see `bind`), and `init` copies the
store into the widget keys before any widget is drawn.
"""
from __future__ import annotations

import streamlit as st


def key(part: str, name: str) -> str:
    return f"w_{part}_{name}"


def init(defaults: dict) -> None:
    """Fill the store with `defaults` for keys it lacks, then give every widget its stored value."""
    store = st.session_state.setdefault("store", {})
    for k, v in defaults.items():
        store.setdefault(k, v)
    for k, v in store.items():
        st.session_state[k] = v


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
