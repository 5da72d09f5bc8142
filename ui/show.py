"""Small renderers shared by pages: the verdict box and the loader's notes."""
from __future__ import annotations

import streamlit as st

from rnnlab.report import verdict as judge
from rnnlab.result import RunResult
from ui import jobs

ALERTS = {"good": st.success, "info": st.info, "warn": st.warning, "bad": st.error}


def alert(level: str, text: str) -> None:
    """A sentence from the engine in the box its level asks for (good, info, warn, bad)."""
    ALERTS[level](text)


def verdict(result: RunResult) -> None:
    """Green only when the model beats every baseline; amber or red otherwise (rnnlab.report.verdict)."""
    v = judge(result)
    alert(v.level, v.line)


def notes(lines: list[str]) -> None:
    """What the loader decided: guesses to check (⚠) as warnings, the rest as captions."""
    for note in lines:
        if note.startswith("⚠"):
            st.warning(note.lstrip("⚠ "))
        else:
            st.caption(f"ℹ️ {note}")


def slots() -> None:
    """How busy the server's training slots are, and the CPU threads each run gets."""
    st.caption(f"Training slots in use on this server: {jobs.job_slots().in_use} of {jobs.MAX_JOBS} · "
               f"up to {jobs.job_threads()} CPU thread(s) per run (small models use fewer)")
