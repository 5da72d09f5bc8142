"""`python app.py` (ui/launch.py): Streamlit serves the app, and the training forkserver starts with the
server, before any browser asks for a page (under `streamlit run` it waits for the first page)."""
import time

import pytest

from benchmarks.app_driver import forkserver_pids, start_server, stop_server


@pytest.mark.slow
def test_python_app_py_serves_and_warms_the_forkserver_before_any_page():
    proc, url = start_server()
    try:
        deadline, found = time.monotonic() + 20, False
        while not found and time.monotonic() < deadline:
            found = bool(forkserver_pids(proc.pid))
            time.sleep(0.1)
        assert found, "no training forkserver started with the server"
        assert proc.poll() is None
    finally:
        stop_server(proc)
