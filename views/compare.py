"""Compare: 2-4 runs side by side, or a race of the cells on the current data, live."""
import zlib

import pandas as pd
import streamlit as st

from rnnlab.compare import compare_grad_figure, compare_loss_figure, race_configs, scoreboard_alert
from ui import jobs, lessons, present, runs, show, state


def race() -> None:
    """Button callback: rnn, LSTM and GRU on the current data, same seed and budget, all at once
    where the server's slots allow (the rest wait in the queue)."""
    cfg, _, st.session_state.compare_error = jobs.ready_to_train()
    if cfg is None:
        return
    n = st.session_state.races = st.session_state.get("races", 0) + 1
    st.session_state.compare_error = jobs.start_runs([(f"race {n}: {c.model.cell}", c) for c in race_configs(cfg)])


def chosen() -> list:
    book = runs.book()
    kept = [i for i in st.session_state.get("compare_ids", []) if book.get(i) is not None]
    names = {r.id: r.name for r in book.runs}  # not r.label(): it changes as runs finish, and the browser
    default = kept or [r.id for r in book.runs[-3:]]  # sends a choice back as its label
    picked = st.multiselect("Runs to compare (2-4)", list(names), default=default, max_selections=4,
                            format_func=lambda i: names.get(i, f"run {i}"),
                            key=f"compare_pick_{zlib.crc32(repr((default, names)).encode())}")
    st.session_state.compare_ids = picked
    return [book.get(i) for i in picked]


def board() -> None:
    """Overlaid curves and the scoreboard; redrawn while any compared run trains."""
    jobs.heartbeat()
    picked = [r for r in (runs.book().get(i) for i in st.session_state.get("compare_ids", [])) if r is not None]
    snaps = {r.name: r.job.snapshot() for r in picked}
    for name, snap in snaps.items():
        if not snap.finished:
            st.progress(snap.progress, text=f"{name}: {snap.progress_line()}")
    left, right = present.columns([1, 1])  # presenting: one under the other, full width
    scalers = [r.job.setup.prep.scaler.kind for r in picked if r.job.setup is not None]
    left.plotly_chart(compare_loss_figure({n: s.history for n, s in snaps.items()}, scalers), key="compare_loss",
                      config={"staticPlot": not all(s.finished for s in snaps.values())})
    grads = {n: s.probes[-1].grad_norm_per_t for n, s in snaps.items() if s.probes}
    if grads:
        right.plotly_chart(compare_grad_figure(grads), key="compare_grad")
    rows, level, line = scoreboard_alert({n: s.result for n, s in snaps.items()})
    for row in rows:
        row["state"] = snaps[row["run"]].state
    show.alert(level, line)
    st.dataframe(pd.DataFrame(rows).round(5), hide_index=True)
    if all(s.finished for s in snaps.values()) and st.session_state.get("compare_live"):
        st.session_state.compare_live = False
        state.rerun_page()


def main() -> None:
    st.title("Compare")
    lessons.banner("compare")
    st.button("Race the cells", icon=":material/sprint:", type="primary", key="race_button", on_click=race,
              help="rnn, LSTM and GRU on the current data with the same seed, batch order and budget")
    if st.session_state.get("compare_error"):
        st.error(st.session_state.compare_error)
    picked = chosen()
    if len(picked) < 2:
        st.info("Pick two to four runs, or press **Race the cells**. Open any run on Predict or Inspect "
                "with the run picker there.")
        return
    live = any(not r.job.snapshot().finished for r in picked)
    st.session_state.compare_live = live
    st.fragment(run_every=state.LIVE_REFRESH_S if live else None)(board)()


main()
