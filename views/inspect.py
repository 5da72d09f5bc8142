"""Inspect: the gradient at every time step, hidden states and gates, W_hh's spectrum, in words too."""
import numpy as np
import streamlit as st
import torch

from rnnlab import equations as eq
from rnnlab import plots_inside as pi
from rnnlab.data.generators import task_lag
from rnnlab.diagnostics import order_units, probe_plan, reading_alert, saturation, window_states
from ui import jobs, runs, show, state

ORDERS = {"mean": "by mean activation", "cluster": "by similarity (clustered)", "none": "as stored"}


def gradient_section(snap, cfg) -> None:
    probes = snap.probes
    steps = [p.step for p in probes]
    if not snap.finished or st.session_state.get("probe_step") not in steps:
        st.session_state["probe_step"] = steps[-1]  # while training, follow the newest probe
    pick = st.select_slider("Probe (training step)", steps, key="probe_step", disabled=not snap.finished,
                            help="pick an earlier probe once training has finished") \
        if len(steps) > 1 else steps[0]
    probe = probes[steps.index(pick)]
    lag = task_lag(cfg.data.generator, cfg.data.params) if cfg.data.csv_path is None else None
    level, words = reading_alert(probe.grad_norm_per_t, cfg.model.cell, lag)
    show.alert(level, words)
    left, right = st.columns(2)
    left.plotly_chart(pi.grad_over_time(probe.grad_norm_per_t,
                                        f"‖∂L/∂h_t‖ at training step {probe.step}"), key="grad_t")
    right.plotly_chart(pi.grad_history_heatmap(steps, [p.grad_norm_per_t for p in probes]), key="grad_hist")
    if cfg.model.cell == "rnn":  # where the fall (or the growth) comes from
        st.latex(eq.JACOBIANS)
        st.caption(eq.JACOBIANS_WORDS)
    left, right = st.columns(2)
    left.plotly_chart(pi.connectivity_figure(probe.extra["connectivity"]), key="connectivity")
    right.plotly_chart(pi.spectrum_figure(steps, [p.extra["radius"] for p in probes]), key="spectrum")


def equations_section(job, snap) -> None:
    """The cell's equations, the shape of every matrix, and their numbers at one step of the latest probe."""
    cfg, probe = job.config, snap.probes[-1]
    left, right = st.columns([3, 2])
    with left:
        for formula, words in [*eq.EQUATIONS[cfg.model.cell], eq.HEAD]:
            st.latex(formula)
            st.caption(words)
    right.dataframe(eq.shapes(cfg.model.cell, job.setup.prep.n_features, cfg.model.hidden, cfg.data.horizon,
                              cfg.model.layers), hide_index=True, key="eq_shapes")
    steps = probe.hidden.shape[0]
    t = st.slider("Time step t", 0, steps - 1, steps - 1, key="eq_step",
                  help="a step of the probe's window (the first validation window), top layer")
    table = eq.step_table(cfg.model.cell, probe.hidden, probe.gates, t)
    unit = st.number_input("Unit", 0, cfg.model.hidden - 1, int(np.abs(table["h_t"]).argmax()), key="eq_unit",
                           help="the unit whose equations are written out with its numbers (default: the most active)")
    for line in eq.unit_lines(cfg.model.cell, table.loc[unit]):
        st.latex(line)
    st.caption(f"Every unit at step t = {t} of the window, probe at training step {probe.step}:")
    st.dataframe(table, key="eq_values", column_config={c: st.column_config.NumberColumn(format="%.3f")
                                                        for c in table.columns})


def window_section(job, snap) -> None:
    s = job.setup
    part = s.prep.test
    order_how = st.radio("Order units", list(ORDERS), format_func=ORDERS.get, horizontal=True, key="unit_order")
    if snap.finished and len(part):
        i = st.slider("Test window", 0, len(part) - 1, 0, key="inspect_window")
        x = torch.as_tensor(part.scaled(i, i + 1), device=s.device)
        states = window_states(s.model, x)
        hidden, gates = states["hidden"][-1], states["gates"][-1] if states["gates"] else {}
        cell_state = states["cells"][-1] if states["cells"] else None
        inputs = part.raw(i, i + 1)[0, :, 0]
        st.caption(f"Test window {i}: the trained model, top layer.")
    else:
        probe = snap.probes[-1]
        hidden, gates, cell_state = probe.hidden, probe.gates, None
        inputs = (s.prep.val if len(s.prep.val) else s.prep.train).raw(0, 1)[0, :, 0]
        st.caption(f"Training is running: the first validation window at step {probe.step}.")
    order = order_units(hidden, order_how) if order_how != "none" else None
    st.plotly_chart(pi.hidden_heatmap(inputs, hidden, order), key="hidden_map")
    if gates:
        st.plotly_chart(pi.gate_heatmaps(gates, cell_state, order), key="gate_maps")
    if snap.finished:
        probe_x = torch.as_tensor(part.scaled(0, 32), device=s.device)
        sat = saturation(s.model, probe_x)
        st.caption("Saturated units (test windows): " + ", ".join(f"{k} {v:.0%}" for k, v in sat.items()))


def body() -> None:
    """Everything below the run picker; redrawn at the Train page's pace while the run trains."""
    jobs.heartbeat()
    job = st.session_state.job
    if job is None:
        return
    snap = job.snapshot()
    if snap.finished and st.session_state.get("inspect_live") == job.id:
        st.session_state.inspect_live = None
        state.rerun_page()  # full rerun: stop polling, show the trained model's windows
    if job.setup is None:  # queued, or the training process is still starting
        st.info(f"Waiting for the run to start training ({snap.progress_line()}): its diagnostics appear here.")
        return
    cfg = job.config
    n_features = job.setup.prep.n_features
    _, note = probe_plan(cfg.data.lookback, cfg.model.hidden, cfg.model.layers, cfg.model.cell, n_features)
    if not snap.probes:
        st.info(note or "Waiting for the first diagnostics probe (turn diagnostics on under Train → Diagnostics).")
        return
    if note:
        st.caption(note)
    st.markdown(f"**{cfg.model.cell}**, {cfg.model.hidden} units × {cfg.model.layers} layer(s), "
                f"window of {cfg.data.lookback} steps · {len(snap.probes)} probes · run {snap.state}")
    st.subheader("The gradient at every time step")
    gradient_section(snap, cfg)
    st.subheader("The cell's equations, with numbers")
    equations_section(job, snap)
    st.subheader("Hidden states and gates")
    window_section(job, snap)
    if not np.isfinite(snap.probes[-1].spectral_radius):
        st.error("W_hh is no longer finite: the run diverged.")


def main() -> None:
    st.title("Inspect")
    runs.picker("inspect")
    job = st.session_state.job
    snap = job.snapshot() if job is not None else None
    if snap is None or (snap.finished and job.setup is None):  # no run, or one that never started training
        st.info("Nothing to inspect yet: start a run on the **Train** page."
                + (f" The last run ended before training: {snap.message}" if snap is not None else ""))
        return
    live = not snap.finished
    if live:
        st.session_state.inspect_live = job.id
    st.fragment(run_every=state.LIVE_REFRESH_S if live else None)(body)()


main()
