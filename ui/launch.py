"""`python app.py [Streamlit options]`: the app with its training forkserver warming up from the start.

`streamlit run app.py` works as well, but Streamlit runs nothing of the app until a browser asks
for the first page, so the forkserver's preload (torch, statsmodels, the engine and one tiny
training: ~6 s of CPU on 2 cores: rnnlab.forkserver.PRELOAD) could begin only
with that page, and a Train click soon after it waited for the rest. Here it begins before the
server listens, in this same process (the server's jobs then find it, and the standby child it
keeps, already there: rnnlab/forkserver.py). The options are Streamlit's (`--server.port 8502`).
"""
from __future__ import annotations

import threading
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def serve(options: list[str]) -> None:
    """Start the forkserver's warm-up in the background, then run Streamlit on app.py (blocks)."""
    from rnnlab import forkserver

    threading.Thread(target=forkserver.warm_up, kwargs={"standby": True}, name="rnnlab-warm-up",
                     daemon=True).start()
    # The first page's one sizeable import (the engine's light modules use it), paid before the server
    # listens instead of in the first page's script: 0.08 s of a ~0.35 s script (2 cores).
    import numpy  # noqa: F401
    from streamlit.web import cli

    cli.main(["run", str(APP), *options], prog_name="streamlit")
