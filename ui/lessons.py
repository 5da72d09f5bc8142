"""Lessons in the UI: a card per lesson (one paragraph, one button that sets everything, starts the
runs and opens the page to watch), and the lesson's banner on that page."""
from __future__ import annotations

import streamlit as st

from rnnlab.lessons import LESSONS, lesson, lesson_dict, lesson_runs, text
from ui import jobs, settings, store


def start(slug: str) -> None:
    """Button callback: the lesson's settings into the widgets (the device stays the user's), then
    its run or race; what went wrong is kept for the page to show."""
    this = lesson(slug)
    st.session_state.lesson, st.session_state.lesson_error = slug, None
    d = lesson_dict(slug)
    if d is not None:
        settings.apply(d, keep=(("train", "device"),))
    elif this.needs_csv:
        store.put("w_source", "Upload CSV")  # the user's own upload, with their settings
    cfg, _, err = jobs.ready_to_train()
    if err is None:
        err = jobs.start_runs(lesson_runs(slug, cfg))
    st.session_state.lesson_error = err


def start_demo() -> None:
    """The home page's demo button: the classic random-walk demo, done right, training at once."""
    settings.apply_preset("keras-classic")
    st.session_state.lesson = None
    cfg, data, st.session_state.train_error = jobs.ready_to_train()
    if cfg is not None:
        jobs.start_job(cfg, data)


def has_csv() -> bool:
    return st.session_state.get("csv_bytes") is not None


def card(slug: str) -> None:
    """One lesson: title, paragraph, and the button that starts it and opens the page to watch."""
    this = LESSONS[slug]
    with st.container(border=True, key=f"lesson_card_{slug}"):  # .st-key-lesson_card_<slug> in the page
        st.markdown(f"**{this.title}**\n\n{text(slug)}")  # one element, not two: a first page with five
        # fewer Markdown elements showed 0.13 s sooner (warm server, twelve pages each)
        if this.needs_csv and not has_csv():
            if st.button("Upload a CSV", key=f"lesson_{slug}", icon=":material/upload_file:",
                         on_click=store.put, args=("w_source", "Upload CSV")):
                st.switch_page("views/data.py")
            return
        label = f"Race on {st.session_state.csv_name}" if this.needs_csv else "Start"
        if st.button(label, key=f"lesson_{slug}", type="primary", icon=":material/play_arrow:",
                     on_click=start, args=(slug,)) and not st.session_state.get("lesson_error"):
            st.switch_page(f"views/{this.page}.py")
    if st.session_state.get("lesson") == slug and st.session_state.get("lesson_error"):
        st.error(st.session_state.lesson_error)


def _close() -> None:
    st.session_state.lesson = None


def banner(page: str) -> None:
    """The current lesson's paragraph on the page it is watched on, with Run again and Close (a link
    with `lesson=` shows it too, and Run again starts it there)."""
    slug = st.session_state.get("lesson")
    if slug not in LESSONS or LESSONS[slug].page != page:
        return
    with st.container(border=True):
        st.markdown(f"**Lesson: {LESSONS[slug].title}** — {text(slug)}")
        if LESSONS[slug].formula:  # where the lesson's chart comes from
            st.latex(LESSONS[slug].formula[0])
            st.caption(LESSONS[slug].formula[1])
        c = st.columns([1, 1, 4])
        c[0].button("Run again", key="lesson_again", icon=":material/replay:", on_click=start, args=(slug,),
                    disabled=LESSONS[slug].needs_csv and not has_csv())
        c[1].button("Close", key="lesson_close", icon=":material/close:", on_click=_close)
    if st.session_state.get("lesson_error"):
        st.error(st.session_state.lesson_error)
