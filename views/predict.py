"""Predict: the verdict, true versus predicted, metrics against baselines, residuals, forecast, downloads."""
import numpy as np
import pandas as pd
import streamlit as st

from rnnlab import plots
from rnnlab.errors import RnnlabError
from rnnlab.evaluate import recursive_forecast
from rnnlab.intervals import forecast_halfwidth
from rnnlab.report import (BASELINE_NAMES, METRIC_WORDS, band_line, future_dates, horizon_table, live_fit_frame,
                           metrics_rows, predictions_frame, predictions_table)
from rnnlab.result import RunResult
from ui import code, jobs, runs, show, state


def metrics_ui(result: RunResult) -> None:
    st.subheader("Test metrics (original units)")
    table = pd.DataFrame(metrics_rows(result))
    best = table.pop("best")
    styled = table.style.format(precision=5, na_rep="—").apply(
        lambda row: ["background-color: #d9f2d9; font-weight: bold" if best[row.name] else ""] * len(row), axis=1)
    st.dataframe(styled, hide_index=True)
    st.caption("Best MAE highlighted. " + " · ".join(METRIC_WORDS.values()))
    for name, why in result.missing_baselines.items():
        st.caption(f"No {BASELINE_NAMES.get(name, name)} row: {why}.")


def horizon_ui(result: RunResult) -> None:
    """Test MAE per step ahead, the model and every baseline: where the network stops helping."""
    if (h := result.config.data.horizon) == 1:
        return
    st.subheader(f"Every horizon: steps 1 to {h} ahead")
    table = horizon_table(result)
    st.plotly_chart(plots.horizon_figure({name: result.test["by_horizon"] if name == "model" else
                                          result.baselines[name]["by_horizon"] for name in table}), key="horizon_chart")
    st.dataframe(table.style.format(precision=4, na_rep="—").highlight_min(axis=1, color="#d9f2d9"))
    st.caption("Test MAE for each step ahead (lowest per step highlighted). The verdict judges the MAE over all "
               "steps together.")


def forecast_ui(job, s) -> None:
    if s.prep.panel:
        st.caption("Recursive forecasts need one continuous series; this data set is independent samples.")
        return
    steps = st.slider("Forecast steps beyond the end", 1, 500, 50, key="forecast_steps")
    try:
        fc = recursive_forecast(s.model, s.prep.scaler, s.data.values, s.config.data.lookback, steps, s.device)
    except RnnlabError as e:
        st.info(str(e))
        return
    level = s.config.train.interval
    width = jobs.per_job(job, f"forecast_band_{steps}", lambda: forecast_halfwidth(
        s.model, s.prep, s.data.target, steps, level, s.device)) if level > 0 else None
    n_tail = min(len(s.data.target), 4 * steps + s.config.data.lookback)
    future, why = future_dates(s.data.dates, steps)
    x_hist = s.data.dates[-n_tail:] if future is not None else None
    st.plotly_chart(plots.forecast_figure(s.data.target[-n_tail:], fc, x_hist, future, width,
                                          band_name=f"{level:.0%} interval"), key="forecast_chart")
    if width is not None:
        reach = int(np.isfinite(width).sum())
        st.caption("The band widens with the step: each step ahead is calibrated on recursive forecasts started "
                   "in the validation part. " + (f"It stops after {reach} steps: the validation part holds no "
                   f"targets further ahead to calibrate on." if reach < steps else ""))
    if why:
        st.caption(why)


def charts_ui(s, frame: pd.DataFrame, table: pd.DataFrame) -> None:
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
    first = table[table["horizon_step"] == 1] if "horizon_step" in table else table  # the chart's step
    level = s.config.train.interval
    band = (first["lower"].to_numpy()[:len(zoom)], first["upper"].to_numpy()[:len(zoom)]) if level > 0 else None
    st.plotly_chart(plots.prediction_figure(zoom[x_col].to_numpy(), zoom["true"].to_numpy(),
                                            {"model": zoom["predicted"].to_numpy(),
                                             "persistence": zoom["persistence"].to_numpy()},
                                            title="Test part, zoomed" + (" (first 60 samples)" if s.prep.panel else ""),
                                            unit=unit, panel=s.prep.panel, x_title=x_title, band=band,
                                            band_name=f"{level:.0%} interval"), key="pred_test")
    return test, x_col


def live_ui() -> None:
    """While training: the current fit on the validation windows, redrawn as epochs end."""
    jobs.heartbeat()
    job = st.session_state.job
    if job is None:
        return
    snap = job.snapshot()
    if snap.finished:
        state.rerun_page()  # the full page: verdict, metrics, charts of the trained model
    live = job.live_model() if job.setup is not None else None
    st.progress(snap.progress, text=snap.progress_line())
    if live is None:
        st.info("Training: the validation fit appears here after the first epoch.")
        return
    (epoch, model), s = live, job.setup
    fit = live_fit_frame(s, model)
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
    table = jobs.per_job(job, "predictions_table", lambda: predictions_table(s))
    test, x_col = charts_ui(s, frame, table)
    band = band_line(result)  # the interval's level, its test coverage, a warning when it is off
    if band:
        show.alert(*band)
    else:
        st.caption("No prediction interval (Interval off on Train).")
    metrics_ui(result)
    horizon_ui(result)
    x_title = "sample" if s.prep.panel else ("date" if x_col == "date" else "time step")
    st.plotly_chart(plots.residual_figure(test[x_col].to_numpy(), (test["true"] - test["predicted"]).to_numpy(),
                                          x_title=x_title), key="residuals")
    forecast_ui(job, s)
    code.run_downloads(job, frame, table)
    code.downloads("predict", finished_only=True)


main()
