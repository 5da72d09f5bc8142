"""Every session-state key the app uses, with its default and what it holds; and the live-refresh pace.

Widget values live in the widget store (`ui/store.py`, keys `w_<part>_<field>`); everything else a
page keeps between reruns is declared here, so a reader finds each key, its default and its owner in
one place. `init()` runs once per rerun before any page, so every page may read these keys directly.
"""
from __future__ import annotations

import streamlit as st

from ui import patches

LIVE_REFRESH_S = 0.8  # live redraw interval: under 1 s, yet leaves the CPU to training (bench_job --browser)
FAST_REFRESH_S, FAST_FOR_S = 0.3, 3.0  # quicker redraws for a run's first seconds: first points show at once
FIRST_POINT_WAIT_S = 0.5  # the page drawn after Train waits this long at most for the run's first step
TUNE_REFRESH_S = 1.0  # the Tune page's trials chart
SIDEBAR_REFRESH_S = 2.0  # the sidebar's run status (also the session's heartbeat while anything trains)

# key -> (default, what it holds); a callable default is called for each new session
KEYS: dict[str, tuple[object, str]] = {
    "job": (None, "the selected run's TrainingJob; every page shows it (ui/runs.py)"),
    "runs": (None, "the session's RunBook of kept runs (ui/runs.py creates it)"),
    "owner_id": (None, "this browser session's id for the job registry (ui/jobs.session_id)"),
    "csv_bytes": (None, "the uploaded CSV file's bytes"),
    "csv_name": (None, "the uploaded CSV file's name"),
    "uploader": (None, "the Data page's file uploader widget"),
    "prepared_memo": (None, "the Data page's last prepared split, reused while its settings stay"),
    "lookback_set_for": (None, "the upload whose suggested lookback was already applied"),
    "lookback_note": (None, "the note saying the lookback was set from the suggestion"),
    "train_error": (None, "what to fix before Train can start"),
    "live_job": (None, "the job id the Train page's live panel follows"),
    "live_fast": (None, "the live panel redraws at FAST_REFRESH_S (a run's first FAST_FOR_S seconds)"),
    "per_job": (None, "values computed once per job (ui/jobs.per_job)"),
    "probe_step": (None, "the probe shown on Inspect"),
    "inspect_live": (False, "Inspect redraws while its run trains"),
    "compare_ids": (None, "the runs Compare overlays"),
    "compare_live": (False, "Compare redraws while a compared run trains"),
    "compare_error": (None, "why a race could not start"),
    "races": (None, "the races started from Compare"),
    "lesson": (None, "the lesson whose paragraph the pages show"),
    "lesson_error": (None, "why a lesson could not start"),
    "link_restored": (False, "the URL's settings were read into the widgets (once per session)"),
    "link_note": (None, "what the link's settings could not restore"),
    "run_upload": (None, "the run-file uploader widget"),
    "run_error": (None, "why a run file could not be opened"),
    "run_pick_keys": (None, "each page's live run-picker widget key (ui/runs.picker)"),
    "tune": (None, "the running or finished Tuner"),
    "tune_live": (False, "the Tune page redraws while its search runs"),
    "tune_error": (None, "why Tune could not start"),
    "tune_best_run": (None, "the run trained from the search's best trial"),
    "tune_budget": (None, "the Tune page's budget widget"),
    "tune_watch": (None, "(storage URL, study name) of a shared search the Tune page watches"),
}


def init() -> None:
    """Give every declared key its default where the session does not have it yet (widget keys
    excepted: Streamlit owns a widget's key once it is drawn)."""
    for k, (default, _) in KEYS.items():
        if default is not None and k not in st.session_state:
            st.session_state[k] = default


def rerun_page() -> None:
    """st.rerun() that never swallows a click. Streamlit merges a rerun request with one already
    pending and keeps the *newer* one's page, so a fragment that called st.rerun() just after the
    person clicked another page's link sent them back to this page: the link click was lost (about
    one demo browser test in eight, right after Stop; the tests used to click twice). Drawing an
    element first is a yield point, where a pending request (the click) takes over this run; a click
    that lands after it is kept by ui/patches.own_rerun. Only when none is pending does this page
    rerun itself."""
    st.empty()
    with patches.own_rerun():
        st.rerun()
