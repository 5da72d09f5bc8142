"""Tune: search settings on the validation part within a time budget, live; the best becomes a run."""
import pandas as pd
import streamlit as st

from rnnlab import plots
from rnnlab.trials import MARGIN, best_line, best_so_far, judging_line, outcome_note, table
from rnnlab.tune import MIN_BUDGET_S, Tuner
from ui import jobs, runs, show, state

MAX_APP_BUDGET_S = 600  # one session's search is bounded: the server is shared


def start() -> None:
    cfg, data, st.session_state.tune_error = jobs.ready_to_train()
    if cfg is None:
        return
    try:
        tuner = Tuner(cfg, data, float(st.session_state.tune_budget), seed=cfg.train.seed,
                      job_factory=jobs.job_factory(probes=False))
    except Exception as e:  # noqa: BLE001 - a bad budget or config: one line
        st.session_state.tune_error = str(e)
        return
    st.session_state.tune, st.session_state.tune_best_run = tuner.start(), None


def stop() -> None:
    st.session_state.tune.stop()


def train_best(tuner: Tuner) -> None:
    """The search is over: train the best configuration once, as a normal run (test metrics only now)."""
    cfg = tuner.best_config()
    if cfg is None:
        st.session_state.tune_best_run = -1
        return
    cfg.train.max_seconds = 0.0
    best = tuner.snapshot().best
    st.session_state.tune_error = jobs.start_runs([(f"tuned: trial {best.number} ({cfg.model.cell})", cfg)])
    st.session_state.tune_best_run = st.session_state.job.id if st.session_state.job is not None else -1


def live() -> None:
    jobs.heartbeat()
    tuner = st.session_state.tune
    snap = tuner.snapshot()
    st.progress(min(snap.elapsed / snap.budget, 1.0),
                text=f"{snap.state} · {len(snap.trials)} trials · {snap.elapsed:.0f} of {snap.budget:.0f} s"
                     + (f" · ETA {snap.eta:.0f} s" if snap.state == "running" else ""))
    if snap.best is not None:
        st.markdown(best_line(snap.best, snap.persistence))
        note = outcome_note(snap.best, snap.persistence) if snap.state != "running" else None
        if note is not None:
            (st.warning if note[0] == "warning" else st.info)(note[1])
    st.caption(judging_line(len(tuner.origins), tuner.n_val_windows, len(snap.trials)))
    st.plotly_chart(plots.tune_figure(snap.trials, best_so_far(snap.trials, tuner.n_val_windows),
                                       snap.persistence), key="tune_chart")
    st.dataframe(pd.DataFrame(table(snap.trials, tuner.n_val_windows)), hide_index=True, height=260,
                 column_config={"judged": st.column_config.TextColumn(width="large")})
    if snap.state != "running" and st.session_state.get("tune_best_run") is None:
        train_best(tuner)
    best_run(tuner)
    if snap.state != "running" and st.session_state.get("tune_live") and not best_training():
        st.session_state.tune_live = False
        state.rerun_page()  # full rerun: stop polling


def best_training() -> bool:
    run = runs.book().get(st.session_state.get("tune_best_run") or 0)
    return run is not None and not run.job.snapshot().finished


def best_run(tuner: Tuner) -> None:
    """The best configuration's own run: its progress, then its verdict against every baseline."""
    run = runs.book().get(st.session_state.get("tune_best_run") or 0)
    if run is None:
        return
    snap = run.job.snapshot()
    st.subheader(f"The best settings, trained once: {run.name}")
    if snap.result is None:
        st.progress(snap.progress, text=snap.progress_line())
    else:
        show.verdict(snap.result)
        st.caption(f"Budget {tuner.budget:.0f} s · {snap.result.scaler} scaler · {snap.result.loss.mode} "
                   f"loss · open **Predict** for the charts and the metrics against every baseline.")


def watch_ui() -> None:
    """A search other processes run (`rnnlab tune --storage URL --study NAME`), redrawn live."""
    from rnnlab.study import watch
    url, name = st.session_state.tune_watch
    try:
        view = watch(url, name)
    except Exception as e:  # noqa: BLE001 - a wrong URL or name, an unreachable database: one line
        st.error(f"Cannot read the study: {e}")
        return
    st.progress(min(view.elapsed / view.budget, 1.0) if view.budget else 1.0,
                text=f"{view.name}: {view.state} · {len(view.trials)} trials from {view.workers} worker(s)"
                     + (f" · {view.elapsed:.0f} of {view.budget:.0f} s" if view.budget else ""))
    if view.best is not None:
        st.markdown(best_line(view.best))
    st.plotly_chart(plots.tune_figure(view.trials, best_so_far(view.trials, view.n_val_windows), view.persistence),
                    key="watch_chart")
    st.dataframe(pd.DataFrame(table(view.trials, view.n_val_windows)), hide_index=True, height=260)


def watch_form() -> None:
    with st.expander("Watch a search shared by `rnnlab tune --storage URL --study NAME`",
                     expanded=st.session_state.get("tune_watch") is not None):
        c = st.columns([3, 2, 1], vertical_alignment="bottom")
        url = c[0].text_input("Storage URL", placeholder="sqlite:///tune.db", key="watch_url")
        name = c[1].text_input("Study", value="rnnlab", key="watch_study")
        if c[2].button("Watch", key="watch_button", disabled=not url):
            st.session_state.tune_watch = (url, name)
        if st.session_state.get("tune_watch") is not None:
            st.fragment(run_every=state.TUNE_REFRESH_S)(watch_ui)()


def main() -> None:
    st.title("Tune")
    st.caption(f"Searches cell, hidden size, learning rate, lookback, scaler, every-step loss and the linear "
               "highway with Optuna (TPE, median pruning), judging each trial on the validation part only. "
               "Each trial is scored as it would be used, after the shrink toward persistence. The first "
               "trial is your settings; a later trial replaces the best so far only when its validation MSE "
               f"is at least {MARGIN:.0%} lower and lower window by window beyond luck. The best settings "
               "are then trained once and tested: the test part never steers the search.")
    st.session_state.setdefault("tune_budget", 60)
    c = st.columns([2, 1, 1, 3])
    c[0].number_input("Budget (seconds)", int(MIN_BUDGET_S), MAX_APP_BUDGET_S, key="tune_budget")
    tuner = st.session_state.get("tune")
    running = tuner is not None and tuner.snapshot().state == "running"
    c[1].button("Tune", icon=":material/tune:", type="primary", key="tune_button", on_click=start, disabled=running)
    c[2].button("Stop", icon=":material/stop:", key="tune_stop", on_click=stop, disabled=not running,
                help="ends the search now; the best trial so far is trained and tested")
    if st.session_state.get("tune_error"):
        st.error(st.session_state.tune_error)
    watch_form()
    if tuner is None:
        st.info("Set a budget and press **Tune**. Training settings not searched (epochs, batch size, seed) "
                "come from the Train page; the data from the Data page.")
        return
    st.session_state.tune_live = running or st.session_state.get("tune_best_run") is None or best_training()
    st.fragment(run_every=state.TUNE_REFRESH_S if st.session_state.tune_live else None)(live)()


main()
