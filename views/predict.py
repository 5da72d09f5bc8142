"""Predict: true versus predicted, metrics against baselines, residuals, forecast, downloads."""
import numpy as np
import pandas as pd
import streamlit as st

from rnnlab import plots
from rnnlab.errors import RnnlabError
from rnnlab.evaluate import metrics_rows, predict, recursive_forecast
from rnnlab.export import bundle_bytes
from ui import state


def predictions_frame(s) -> pd.DataFrame:
    """One row per window (first horizon step): part, time index, true, predicted."""
    rows = []
    for name in ("train", "val", "test"):
        part = getattr(s.prep, name)
        if len(part):
            pred = predict(s.model, part, s.prep.scaler, s.device)
            rows.append(pd.DataFrame({"part": name, "t": part.t0, "true": part.y_raw[:, 0],
                                      "predicted": pred[:, 0], "persistence": part.last[:, 0]}))
    return pd.concat(rows, ignore_index=True)


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
    tail = s.data.target[-min(len(s.data.target), 4 * steps + s.config.data.lookback):]
    st.plotly_chart(plots.forecast_figure(tail, fc), key="forecast_chart")


def main() -> None:
    st.title("Predict")
    job = st.session_state.job
    snap = job.snapshot() if job is not None else None
    if snap is None or snap.result is None or job.setup is None:
        st.info("No finished run yet: train a model on the **Train** page first.")
        return
    s, result = job.setup, snap.result
    frame = state.per_job(job, "predictions", lambda: predictions_frame(s))
    unit = f"({s.data.target_name if s.prep.panel else s.data.names[0]})"
    x_all = frame["t"].to_numpy()
    bounds = (s.prep.train_end, s.prep.val_end)
    train_end = int(np.searchsorted(x_all, bounds[0])) if not s.prep.panel else int((frame.part == "train").sum())
    val_end = int(np.searchsorted(x_all, bounds[1])) if not s.prep.panel else train_end + int((frame.part == "val").sum())
    x_plot = np.arange(len(frame)) if s.prep.panel else x_all
    st.plotly_chart(plots.prediction_figure(x_plot, frame["true"].to_numpy(),
                                            {"model": frame["predicted"].to_numpy()}, train_end, val_end,
                                            title="True vs predicted, whole series", unit=unit,
                                            panel=s.prep.panel), key="pred_all")
    test = frame[frame.part == "test"]
    zoom = test.head(60) if s.prep.panel else test  # independent samples: a readable handful
    st.plotly_chart(plots.prediction_figure(zoom["t"].to_numpy(), zoom["true"].to_numpy(),
                                            {"model": zoom["predicted"].to_numpy(),
                                             "persistence": zoom["persistence"].to_numpy()},
                                            title="Test part, zoomed" + (" (first 60 samples)" if s.prep.panel else ""),
                                            unit=unit, panel=s.prep.panel), key="pred_test")
    st.subheader("Test metrics (original units)")
    st.dataframe(pd.DataFrame(metrics_rows(result)).round(5), hide_index=True)
    st.plotly_chart(plots.residual_figure(test["t"].to_numpy(), (test["true"] - test["predicted"]).to_numpy(),
                                          x_title="sample" if s.prep.panel else "time step"), key="residuals")
    forecast_ui(s)
    c = st.columns(2)
    csv_bytes = state.per_job(job, "predictions_csv", lambda: frame.to_csv(index=False).encode())
    c[0].download_button("Predictions (CSV)", data=csv_bytes, file_name="predictions.csv",
                         mime="text/csv", icon=":material/download:", key="dl_pred")
    run_zip = state.per_job(job, "run_zip", lambda: bundle_bytes(s.config, s.model, s.prep.scaler, result["history"]))
    c[1].download_button("Run (config, history, weights)", data=run_zip, file_name="rnnlab-run.zip",
                         mime="application/zip", icon=":material/download:", key="dl_run")

main()
