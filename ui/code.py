"""The run as code: "Download as Python script" and "... as notebook" (rnnlab/script.py writes them)."""
from __future__ import annotations

import streamlit as st

from rnnlab.errors import RnnlabError
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
