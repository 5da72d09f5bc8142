"""The session's kept runs in the UI: which one the pages show, renaming and deleting.

`st.session_state.job` is the selected run's job (every page reads it); `st.session_state.runs`
is the RunBook that keeps the last runs (rnnlab/runs.py)."""
from __future__ import annotations

import zlib

import streamlit as st

from rnnlab.runs import MAX_RUN_BYTES, MAX_RUNS
from ui import jobs, store
from ui.book import add, book, select  # noqa: F401 (pages call runs.book, runs.add, runs.select)


def _on_pick(key: str) -> None:
    """A choice in the picker, unless it came from a picker already replaced (its labels changed):
    the browser keeps sending the old widget's value until it draws the new one, and taking it
    switched the page back to the run shown before a Train press, which stopped the live charts."""
    if key in st.session_state.get("run_pick_keys", {}).values():
        select(st.session_state[key])


def _rename(run_id: int, key: str) -> None:
    book().rename(run_id, st.session_state[key])


def _delete(run_id: int) -> None:
    book().remove(run_id)
    select(book().runs[-1].id if book().runs else None)


def can_continue(run) -> bool:
    snap = run.job.snapshot()
    return snap.finished and run.job.setup is not None and run.job.result is not None


def _continue(run_id: int) -> None:
    """Train the run's model further: a new run with the same settings (the device chosen now),
    starting from its trained weights; epochs count from 1 again."""
    run = book().get(run_id)
    if run is None or not can_continue(run):
        return
    cfg = run.job.config.copy()
    cfg.train.device = store.value(store.key("train", "device"))
    weights = {k: v.detach().cpu().numpy().copy() for k, v in run.job.setup.model.state_dict().items()}
    job = jobs.start_job(cfg, run.job.setup.data, start_from=weights)
    book().rename(job.id, f"{run.name} + {cfg.train.epochs} epochs"[:60])


def picker(where: str) -> None:
    """A run selector (name, cell, test MAE vs best baseline, state) with rename and delete, in a
    container that is there even before the first run (empty): the page's later widgets keep their
    places when the first run appears, or the browser shows their old copies (stale) beside the new
    ones until the script ends (two Train and two Stop buttons after the first Train click)."""
    with st.container():
        _picker(where)


def _picker(where: str) -> None:
    runs = book().runs
    if len(runs) == 0:
        return
    current = st.session_state.job.id if st.session_state.get("job") is not None else runs[-1].id
    ids = [r.id for r in reversed(runs)]  # newest first
    labels = {r.id: r.label() for r in runs}
    # the labels change as runs train and finish; the browser sends a choice back as its label, so a
    # new set of labels is a new widget (an old label would match no option)
    key = f"run_pick_{where}_{zlib.crc32(repr(sorted(labels.items())).encode())}"
    if st.session_state.get(key) != current:  # follow the selection made elsewhere (a new run, another page)
        st.session_state[key] = current if current in ids else ids[0]
    st.session_state.setdefault("run_pick_keys", {})[where] = key  # the live picker of each page
    cols = st.columns([4, 1, 1])
    cols[0].selectbox("Run", ids, key=key, format_func=lambda i: labels.get(i, f"run {i}"), on_change=_on_pick, args=(key,),
                      help=f"this session keeps its last {MAX_RUNS} runs "
                           f"(at most {MAX_RUN_BYTES // 2**20} MB of weights, data and history)")
    run = book().get(st.session_state[key])
    cols[1].button("Train more", key=f"run_more_{where}", icon=":material/fast_forward:", on_click=_continue,
                   args=(run.id,), disabled=not can_continue(run),
                   help=f"a new run from this run's trained weights, with its settings "
                        f"({run.job.config.train.epochs} more epochs); this run stays as it is")
    with cols[2].popover("Manage", icon=":material/edit:"):
        name_key = f"run_name_{where}_{run.id}"
        st.text_input("Name", value=run.name, key=name_key, on_change=_rename, args=(run.id, name_key))
        st.button("Delete this run", key=f"run_delete_{where}", on_click=_delete, args=(run.id,),
                  icon=":material/delete:")
        st.caption(f"{len(runs)} of {MAX_RUNS} runs kept · {book().bytes() / 2**20:.1f} MB")


def _open_run() -> None:
    """The run-file uploader's callback: read the zip (never executing anything), bring it back on its
    data and keep it as a run; any problem becomes one readable line."""
    from rnnlab.errors import DataError
    from rnnlab.experiment import restore
    from rnnlab.export import load_run
    from ui import dataset

    f = st.session_state.get("run_upload")
    st.session_state.run_error = None
    if f is None:
        return
    try:
        cfg, model, scaler, history, shrink = load_run(f.getvalue())
        data = None
        if cfg.data.csv_path is not None:
            if st.session_state.get("csv_bytes") is None:
                raise DataError(f"this run was trained on the CSV {cfg.data.csv_path!r}: upload it on the "
                                "Data page, then open the run again.")
            data, err = dataset.current_data(cfg)
            if err:
                raise DataError(err)
        result, s = restore(cfg, model, scaler, history, data, shrink)
    except Exception as e:  # noqa: BLE001 - a hostile or damaged file must leave the page usable
        st.session_state.run_error = dataset.readable(e)
        return
    from rnnlab.job import TrainingJob  # opening a run file: not on the first page

    job = TrainingJob.loaded(s, result, history)
    add(job)
    book().rename(job.id, f"file: {f.name}"[:60])


def open_ui() -> None:
    """Open a run file (exported from Predict or saved by the CLI) to view it again."""
    with st.expander("Open a saved run (.zip)", icon=":material/upload_file:"):
        st.file_uploader("Run file", type=["zip"], key="run_upload", on_change=_open_run,
                         help="zip files rnnlab wrote; they hold JSON and safetensors weights, never code")
    if st.session_state.get("run_error"):
        st.error(st.session_state.run_error)
