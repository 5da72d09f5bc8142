"""A run's downloads: its predictions and fit (CSV), the run file, and the run as code (a script and a
notebook, written by rnnlab/script.py)."""
from __future__ import annotations

import streamlit as st

from rnnlab.errors import RnnlabError
from rnnlab.export import bundle_bytes
from ui import dataset, jobs, settings

NAME = "rnnlab_run"


def downloads(key: str, finished_only: bool = False) -> None:
    """Two buttons: the shown run, once finished, as a standalone PyTorch script and as a notebook;
    before that (unless `finished_only`), the run the current settings describe."""
    job = st.session_state.job
    snap = job.snapshot() if job is not None else None
    try:
        if snap is not None and snap.result is not None and job.setup is not None:
            script, notebook = _of_run(job, snap.result)
            what = "this run: it reproduces the run's test metrics"
        elif finished_only:
            return
        else:
            script, notebook = _of_settings()
            what = "the run these settings describe (what Train would start)"
    except RnnlabError as e:
        st.caption(f"No script to download: {e}")
        return
    c = st.columns(2)
    c[0].download_button("Download as Python script", data=script, file_name=f"{NAME}.py", mime="text/x-python",
                         icon=":material/code:", key=f"{key}_script", on_click="ignore",
                         help=f"One standalone file (torch, numpy, pandas) of {what} on CPU with the same seed: "
                              "data, split, scaler, model, training loop and baselines")
    c[1].download_button("Download as notebook", data=notebook, file_name=f"{NAME}.ipynb",
                         mime="application/x-ipynb+json", icon=":material/book:", key=f"{key}_notebook",
                         on_click="ignore", help="The same code as a Jupyter notebook, one cell per step")


def _of_run(job, result) -> tuple[str, str]:
    from rnnlab.script import export_notebook, export_result

    script = jobs.per_job(job, "script", lambda: export_result(job.setup, result, f"{NAME}.py"))
    return script, jobs.per_job(job, "notebook", lambda: export_notebook(script))


def _of_settings() -> tuple[str, str]:
    from rnnlab.experiment import setup
    from rnnlab.script import export_notebook, export_setup

    cfg = settings.config_from_state()
    data, error = dataset.current_data(cfg)
    if data is None:
        raise RnnlabError(error or "no data yet")
    script = export_setup(setup(cfg, data, place_tensors=False), f"{NAME}.py")
    return script, export_notebook(script)


def run_downloads(job, frame, table) -> None:
    """A finished run's files: predictions (CSV), the run file (zip), the whole-series fit (CSV)."""
    s, result = job.setup, job.snapshot().result
    c = st.columns(3)
    csv_bytes = jobs.per_job(job, "predictions_csv", lambda: table.to_csv(index=False).encode())
    c[0].download_button("Download predictions (CSV)", data=csv_bytes, file_name="predictions.csv",
                         mime="text/csv", icon=":material/download:", key="dl_pred",
                         help="One row per test target: date or step, actual, predicted, the interval's lower "
                              "and upper bounds, and every baseline (docs/cli.md, --predictions)")
    fit_bytes = jobs.per_job(job, "fit_csv", lambda: frame.to_csv(index=False).encode())
    c[2].download_button("Whole-series fit (CSV)", data=fit_bytes, file_name="fit.csv", mime="text/csv",
                         icon=":material/download:", key="dl_fit")
    run_zip = jobs.per_job(job, "run_zip", lambda: bundle_bytes(s.config, s.model, s.prep.scaler, result.history,
                                                                 result))
    c[1].download_button("Run (config, history, metrics, weights)", data=run_zip, file_name="rnnlab-run.zip",
                         mime="application/zip", icon=":material/download:", key="dl_run")
