"""Predict: the verdict, true versus predicted, metrics against baselines, residuals, forecast, downloads."""
import pandas as pd
import streamlit as st

from rnnlab import plots
from rnnlab.errors import RnnlabError
from rnnlab.evaluate import recursive_forecast
from rnnlab.export import bundle_bytes
from rnnlab.report import METRIC_WORDS, future_dates, live_fit_frame, metrics_rows, predictions_frame
from rnnlab.result import RunResult
from ui import jobs, runs, show, state


def metrics_ui(result: RunResult) -> None:
    st.subheader("Test metrics (original units)")
    table = pd.DataFrame(metrics_rows(result))
    best = table.pop("best")
    styled = table.style.format(precision=5, na_rep="—").apply(
        lambda row: ["background-color: #d9f2d9; font-weight: bold" if best[row.name] else ""] * len(row), axis=1)
    st.dataframe(styled, hide_index=True)
    st.caption("Best MAE highlighted. " + " · ".join(METRIC_WORDS.values()))


def forecast_ui(s) -> None:
    if s.prep.panel:
        st.caption("Recursive forecasts need one continuous series; this data set is independent samples.")
        return
    steps = st.slider("Forecast steps beyond the end", 1, 500, 50, key="forecast_steps")
    try:
        fc = recursive_forecast(s.model, s.prep.scaler, s.data.values, s.config.data.lookback, steps, s.device)
    except RnnlabError as e:
        st.info(str(e))
        return
    n_tail = min(len(s.data.target), 4 * steps + s.config.data.lookback)
    future, why = future_dates(s.data.dates, steps)
    x_hist = s.data.dates[-n_tail:] if future is not None else None
    st.plotly_chart(plots.forecast_figure(s.data.target[-n_tail:], fc, x_hist, future), key="forecast_chart")
    if why:
        st.caption(why)


def charts_ui(s, frame: pd.DataFrame) -> None:
    unit = f"({s.data.target_name if s.prep.panel else s.data.names[0]})"
    parts = frame["part"].to_numpy()
    train_end, val_end = int((parts == "train").sum()), int((parts != "test").sum())
    dated = "date" in frame
    x_col = "date" if dated else "t"
    x_all = frame[x_col].to_numpy() if not s.prep.panel else frame.index.to_numpy()
    x_title = "date" if dated else None
    st.plotly_chart(plots.prediction_figure(x_all, frame["true"].to_numpy(), {"model": frame["predicted"].to_numpy()},
                                            train_end, val_end, title="True vs predicted, whole series", unit=unit,
                                            panel=s.prep.panel, x_title=x_title), key="pred_all")
    test = frame[frame.part == "test"]
    zoom = test.head(60) if s.prep.panel else test  # independent samples: a readable handful
    st.plotly_chart(plots.prediction_figure(zoom[x_col].to_numpy(), zoom["true"].to_numpy(),
                                            {"model": zoom["predicted"].to_numpy(),
                                             "persistence": zoom["persistence"].to_numpy()},
                                            title="Test part, zoomed" + (" (first 60 samples)" if s.prep.panel else ""),
                                            unit=unit, panel=s.prep.panel, x_title=x_title), key="pred_test")
    return test, x_col


def live_ui() -> None:
    """While training: the current fit on the validation windows, redrawn as epochs end."""
    jobs.heartbeat()
    job = st.session_state.job
    if job is None:
        return
    snap = job.snapshot()
    if snap.finished:
        st.rerun()  # the full page: verdict, metrics, charts of the trained model
    live = job.live_model() if job.setup is not None else None
    st.progress(snap.progress, text=snap.progress_line())
    if live is None:
        st.info("Training: the validation fit appears here after the first epoch.")
        return
    epoch, model = live
    fit = live_fit_frame(job.setup, model)
    s = job.setup
    unit = f"({s.data.target_name if s.prep.panel else s.data.names[0]})"
    st.plotly_chart(plots.prediction_figure(fit["x"].to_numpy(), fit["true"].to_numpy(),
                                            {"model": fit["predicted"].to_numpy()},
                                            title=f"Validation fit at epoch {epoch} (training goes on)", unit=unit,
                                            panel=s.prep.panel,
                                            x_title="date" if pd.api.types.is_datetime64_any_dtype(fit["x"]) else None),
                    key="live_fit", config={"staticPlot": True})


def main() -> None:
    st.title("Predict")
    runs.picker("predict")
    runs.open_ui()
    job = st.session_state.job
    snap = job.snapshot() if job is not None else None
    if snap is not None and not snap.finished:
        st.fragment(run_every=state.LIVE_REFRESH_S)(live_ui)()
        return
    if snap is None or snap.result is None or job.setup is None:
        st.info("No finished run yet: train a model on the **Train** page first.")
        return
    s, result = job.setup, snap.result
    show.verdict(result)
    frame = jobs.per_job(job, "predictions", lambda: predictions_frame(s))
    test, x_col = charts_ui(s, frame)
    metrics_ui(result)
    x_title = "sample" if s.prep.panel else ("date" if x_col == "date" else "time step")
    st.plotly_chart(plots.residual_figure(test[x_col].to_numpy(), (test["true"] - test["predicted"]).to_numpy(),
                                          x_title=x_title), key="residuals")
    forecast_ui(s)
    c = st.columns(2)
    csv_bytes = jobs.per_job(job, "predictions_csv", lambda: frame.to_csv(index=False).encode())
    c[0].download_button("Predictions (CSV)", data=csv_bytes, file_name="predictions.csv",
                         mime="text/csv", icon=":material/download:", key="dl_pred")
    run_zip = jobs.per_job(job, "run_zip", lambda: bundle_bytes(s.config, s.model, s.prep.scaler, result.history,
                                                                 result))
    c[1].download_button("Run (config, history, metrics, weights)", data=run_zip, file_name="rnnlab-run.zip",
                         mime="application/zip", icon=":material/download:", key="dl_run")


main()
