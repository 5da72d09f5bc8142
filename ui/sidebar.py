"""The sidebar every page shares: device, current data set, run status."""
from __future__ import annotations

import streamlit as st

from rnnlab.errors import RnnlabError
from rnnlab.inputs import planned_size
from ui import jobs, links, present, runs, settings, state, store


def data_line(cfg) -> str:
    """The current data set in one line. A generator's is worked out from its settings
    (rnnlab.inputs.planned_size): no page makes the series only to name it here, and a fresh
    server's first page imports no pandas (0.45 s). An upload's is read (it is parsed already)."""
    if cfg.data.csv_path is None:
        try:
            kind, n = planned_size(cfg.data)
        except RnnlabError:
            return "no usable data yet"
        if kind == "panel":
            return f"{cfg.data.generator} · {n:,} samples · window {cfg.data.lookback}"
        return f"{cfg.data.generator} · {n:,} points · lookback {cfg.data.lookback}"
    from ui import dataset  # an upload: not on a fresh server's first page, which skips this import

    data, _ = dataset.current_data(cfg)
    if data is None:
        return "no usable data yet"
    return f"{st.session_state.csv_name} · {len(data.values):,} points · lookback {cfg.data.lookback}"


def status_line(snap, frozen: bool = False) -> str:
    """The session's run in a few words. frozen: the line is not refreshed (on Train, whose live
    panel shows the progress), so it names no number that would go stale beside the live one."""
    if snap is None:
        return "idle"
    if snap.scoring:
        return "scoring on the test part"
    if frozen and snap.state in ("starting", "running"):  # a start lasts seconds: it would stay "starting"
        return "training (the progress is on this page)"
    if snap.state == "running":
        return f"training {snap.progress:.0%} (epoch {snap.epoch}/{snap.epochs})"
    if snap.state == "starting":
        return "starting the run"
    if snap.state == "queued":
        return "queued: waiting for a free training slot"
    if snap.state == "paused":
        return f"paused at {snap.progress:.0%}"
    return {"completed": "done", "early-stop": "done (early stop)"}.get(snap.state, snap.state)


def placeholders() -> dict:
    with st.sidebar:
        return {"device": st.empty(), "data": st.empty(), "status": st.container()}


def render(slots: dict, poll: bool = True) -> None:
    """Fill the sidebar; `poll` refreshes the run status every 2 s while any run of the session or a
    Tune search runs (the Train page turns it off: its own live panel shows the status, and every
    redraw costs the browser CPU). The refresh is also the session's heartbeat: without it, a search
    (or a run not shown) left running while the person read another page had its jobs stopped
    after disconnectedSessionTTL, as if the browser had gone."""
    with st.sidebar:
        device_ui(slots["device"])
        cfg = settings.config_from_state()
        slots["data"].caption(f"**Data:** {data_line(cfg)}")
        tuner = st.session_state.get("tune")  # any run of this session, shown or not, and any search's
        live = runs.book().training() or (tuner is not None and tuner.snapshot().state == "running")
        with slots["status"]:
            st.fragment(run_every=state.SIDEBAR_REFRESH_S if live and poll else None)(_status)(not poll)
        present.toggle_ui()
        links.share_ui()


def device_ui(slot) -> None:
    """The device: a choice only where there is one (a GPU, Apple's MPS); else a line saying CPU,
    or "auto" while torch, which alone can tell, is still loading (the select box comes at a later rerun).
    A first page without a select box skips Streamlit's select box code, one of the chunks its
    frontend loads one after another before the page shows (docs/architecture.md)."""
    opts = settings.device_options()
    key = store.key("train", "device")
    dropped = settings.device_or_auto(opts)  # e.g. CUDA seen by its driver, then not by torch (a CPU build)
    if dropped is not None:
        st.toast(f"The device \"{dropped}\" is not offered here: runs use auto instead.", icon=":material/memory:")
    if len(opts) > 2:
        slot.selectbox("Device", list(opts), format_func=opts.get, **store.bind(key),
                       help="auto uses a GPU when one is available")
    elif settings.torch_loaded():
        slot.caption("**Device:** CPU (no GPU found)")
    else:  # only an NVIDIA driver is seen before torch loads: Apple's MPS or a ROCm GPU may still be there
        slot.caption("**Device:** auto (a GPU if torch finds one, else CPU)")


def _status(frozen: bool = False) -> None:
    jobs.heartbeat()
    job = st.session_state.job
    snap = job.snapshot() if job is not None else None
    st.caption(f"**Run:** {status_line(snap, frozen)}")
