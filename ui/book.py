"""The session's RunBook (rnnlab/runs.py) and which run the pages show: `st.session_state.job` is
the selected run's job, which every page reads."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from rnnlab.runs import RunBook

if TYPE_CHECKING:
    from rnnlab.job import TrainingJob


def book() -> RunBook:
    return st.session_state.setdefault("runs", RunBook())


def add(job: TrainingJob) -> None:
    """Keep a new run and show it; the oldest finished runs go when the budget is exceeded."""
    book().add(job)
    select(job.id)


def select(run_id: int | None) -> None:
    """Show this run on every page (an id no longer kept changes nothing, unless no run is left)."""
    run = book().get(run_id)
    if run is not None:
        st.session_state.job = run.job
    elif not book().runs:
        st.session_state.job = None
