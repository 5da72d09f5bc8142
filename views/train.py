"""Train: settings, Train / Pause / Stop, live loss and gradient charts. Number boxes have no upper
bound on purpose: a value past the engine's limit is refused with a message, not silently kept."""
import streamlit as st

from rnnlab import plots
from rnnlab.evaluate import persistence_val_loss
from rnnlab.plots_inside import grad_over_time
from ui import code, forms, jobs, lessons, present, runs, show, state

REFRESH_GRAD = 2.0  # the gradient charts change more slowly (probes are spaced out): redraw less often


def buttons(job, snap) -> None:
    running = snap is not None and not snap.finished and not snap.scoring
    c = st.columns([1, 1, 1, 3])
    c[0].button("Train", icon=":material/play_arrow:", type="primary", disabled=running, key="train_button",
                on_click=jobs.train_from_widgets)
    if snap is not None and snap.state == "paused":
        c[1].button("Resume", icon=":material/resume:", key="resume_button", on_click=job.resume)
    else:
        c[1].button("Pause", icon=":material/pause:", disabled=not running, key="pause_button",
                    on_click=job.pause if job is not None else None)
    c[2].button("Stop", icon=":material/stop:", disabled=not running, key="stop_button", on_click=jobs.stop_job)
    if st.session_state.get("train_error"):
        st.error(st.session_state.train_error)


def live_panel() -> None:
    """Progress and loss: redrawn every state.LIVE_REFRESH_S while training. Before any run the same
    elements stand empty, so a run's first page updates them in place (docs/architecture.md)."""
    jobs.heartbeat()
    job = st.session_state.job
    snap = job.snapshot() if job is not None else None
    # Always drawn, filled or not, so this fragment has as many elements on every run: when one goes,
    # Streamlit's frontend compacts the block, and a later delta at a shifted path can blank the page
    # ("Cannot set a node at a delta path", streamlit#15084, #16705).
    note = st.empty()
    if snap is None:
        note.info("Press **Train** to start. The loss streams in below while the model trains.")
    elif snap.state == "queued":
        place = f" (number {snap.queue_position} in the queue)" if snap.queue_position else ""
        note.info(f"Waiting for a free training slot{place}: other sessions are training on this server.")
    elif snap.state == "starting" and snap.message != "starting the run":  # a slow start is said aloud
        note.info(snap.message[:1].upper() + snap.message[1:] + ".")
    st.progress(snap.progress if snap else 0.0, text=snap.progress_line() if snap else "not started")
    show.slots()
    # while training, charts are static (no hover layers): much cheaper for the browser to redraw
    st.plotly_chart(loss_chart(job, snap), key="loss_chart", config={"staticPlot": snap is None or not snap.finished})
    if snap is None:
        return
    if snap.finished and st.session_state.get("live_job") == snap.job_id:
        st.session_state.live_job = None
        state.rerun_page()  # full rerun: stop polling, show the verdict
    if st.session_state.get("live_fast") and snap.elapsed >= state.FAST_FOR_S and not snap.scoring:
        st.session_state.live_fast = False
        state.rerun_page()  # full rerun: redefine the fragments with the slower, cheaper interval


def loss_chart(job, snap):
    """The run's loss so far, with the persistence bar once the server's setup is there; empty axes
    before any run."""
    if snap is None:
        return plots.loss_figure([])
    base = jobs.per_job(job, "persistence_val", lambda: persistence_val_loss(job.setup.prep)) \
        if job.setup is not None else None
    scaler = job.setup.prep.scaler.kind if job.setup is not None else None
    return plots.loss_figure(snap.history, snap.steps, snap.losses, snap.total_steps / max(snap.epochs, 1), base, scaler)


def gradient_panel() -> None:
    """Gradients: the latest probe's gradient over time and the global norm per step (slower redraw)."""
    job = st.session_state.job
    snap = job.snapshot() if job is not None else None
    cfg = {"staticPlot": snap is None or not snap.finished}
    if snap is not None and snap.probes:
        st.plotly_chart(grad_over_time(snap.probes[-1].grad_norm_per_t,
                                       f"‖∂L/∂h_t‖ at step {snap.probes[-1].step}"), key="grad_t_live", config=cfg)
    else:
        st.caption("The gradient at every time step appears here when diagnostics are on.")
    steps, norms, clip = (snap.steps, snap.grad_norms, job.config.train.clip or None) if snap else ([], [], None)
    st.plotly_chart(plots.grad_norm_figure(steps, norms, clip), key="grad_chart", config=cfg)


def outcome(snap) -> None:
    if snap.state == "stopped" and snap.result is None:
        st.warning(f"Stopped — {snap.message}")
    if snap.state == "diverged":
        st.error(f"Training diverged — {snap.message}")
    elif snap.state == "error":
        st.error(f"Training failed: {snap.message}")
    if snap.result is not None and snap.result.mae is not None:
        show.verdict(snap.result)
        st.caption(f"{snap.state}: {snap.message} · scaler {snap.result.scaler} · "
                   f"{snap.result.train_seconds:.1f} s of training. See **Predict** for the charts.")
        st.caption(f"Loss: {snap.result.loss.reason}.")
        shrink = snap.result.shrink
        if shrink and shrink["alpha"] < 1:  # said aloud: the numbers above are no longer the raw network's
            st.info(f"**Shrink:** {shrink['reason']}. Set Shrink to off to see the network as trained.")
        elif shrink:
            ratio = shrink["val_mse"] / shrink["persistence_val_mse"]
            st.caption(f"Shrink: {shrink['reason']} (validation MSE {ratio:.2f}x persistence).")


def head(job, snap) -> None:
    """The run picker, the settings and the Train / Pause / Stop buttons."""
    runs.picker("train")
    with st.expander("Settings") if present.on() else st.container():  # presenting: folded away
        forms.settings_ui()
    buttons(job, snap)


def main() -> None:
    st.title("Train")
    lessons.banner("train")
    job = st.session_state.job
    snap = job.snapshot() if job is not None else None
    # The picker, settings and buttons always sit in `top` (at a new place, a widget showed beside its
    # stale old copy until the script ended). With a run, `top` is filled last, shown first: ~20 widgets
    # take 0.1-0.5 s to send on a busy server, and the first loss point should not wait behind them.
    top = st.container()
    live = snap is not None and not snap.finished
    if live and st.session_state.get("live_job") != snap.job_id:
        snap = job.first_step(state.FIRST_POINT_WAIT_S)  # the run's first page comes with its first point
        live = not snap.finished
    if live:
        st.session_state.live_job = snap.job_id
    fast = live and (snap.elapsed < state.FAST_FOR_S or snap.scoring)  # scoring: the verdict is near
    st.session_state.live_fast = fast
    # Drawn alike with or without a run: a session's first Train click then updates these charts in
    # place rather than building new ones (its first point 0.4-0.5 s after the press, not 0.8-0.9 s).
    left, right = present.columns([3, 2])
    with left:
        st.fragment(run_every=(state.FAST_REFRESH_S if fast else state.LIVE_REFRESH_S) if live else None)(live_panel)()
    with top:
        head(job, snap)
    with right:
        st.fragment(run_every=(state.FAST_REFRESH_S if fast else REFRESH_GRAD) if live else None)(gradient_panel)()
    if snap is not None and snap.finished:
        outcome(snap)
    if not live:
        code.downloads("train")


main()
