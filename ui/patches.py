"""A fix for Streamlit itself, applied once per server: a page link clicked while a fragment of the
current page polls (a live chart) must not be undone by that fragment's next timer tick.

Streamlit (1.67) merges a rerun request into one still pending and keeps the newer request's page.
A fragment's `run_every` tick carries the page the browser still shows, so a tick that reaches the
server while the click's rerun waits (the server is busy drawing a chart) turns the click into a
rerun of the page being left: the click is lost, the person stays on Train. It happened in about
one looped demo browser test in eight, right after Stop. Here a timer tick for another page than
the pending request's is dropped: the pending rerun draws the whole new page anyway.
The page's own full reruns (`ui/state.rerun_page`: a live panel whose run has ended) have the same
race: a click that lands between the script's last yield point and its st.rerun() was merged into
a rerun of the page being left (1 looped demo test in 20, after Stop). A rerun the page asks for
itself (`own_rerun`) is dropped when a full rerun is already pending, for whatever page: that one
redraws everything. tests/test_patches.py shows the upstream behaviour and the fixes.

And one saving on a fresh server's first page (`skip_bare_run_check`): Streamlit's first element
asks whether it runs outside `streamlit run` (to print a warning) by walking the stack's source
files, ~0.15 s of the first page's ~0.5 s script on 2 cores. The app always runs under
`streamlit run`, where the answer is known.
"""
from __future__ import annotations

import contextlib
import gc
import threading

from streamlit import delta_generator
from streamlit.runtime.scriptrunner_utils import script_requests as sr

_applied = False
UPSTREAM = getattr(sr.ScriptRequests, "_request_rerun_locked", None)  # Streamlit's own merge
_own = threading.local()  # set while the script thread asks for its own page's rerun


@contextlib.contextmanager
def own_rerun():
    """Around st.rerun() where the page reruns itself: a full rerun already pending (a click on
    another page's link, say) is kept as it is."""
    _own.active = True
    try:
        yield
    finally:
        _own.active = False


def keep_navigation() -> bool:
    """Install the fix (idempotent); False where this Streamlit lacks what it relies on."""
    global _applied
    if _applied:
        return True
    original = UPSTREAM
    if original is None or "is_auto_rerun" not in sr.RerunData.__dataclass_fields__:
        return False

    def request_rerun_locked(self, new_data):
        pending = self._rerun_data
        if getattr(_own, "active", False) and self._state == sr.ScriptRequestType.RERUN \
                and not pending.fragment_id_queue:
            return True  # a full rerun is pending: it redraws everything, on the page it names
        if (self._state == sr.ScriptRequestType.RERUN and new_data.is_auto_rerun and pending.page_script_hash
                and new_data.page_script_hash != pending.page_script_hash):
            return True  # a timer tick of the page being left: the pending rerun redraws everything
        return original(self, new_data)

    sr.ScriptRequests._request_rerun_locked = request_rerun_locked
    _applied = True
    return True


def skip_bare_run_check() -> bool:
    """Mark Streamlit's bare-run warning as already handled (once per server, before the first
    element), and take the objects alive so far out of the garbage collector's sight: Streamlit
    collects after every script run (runner.postScriptGC), and its own modules are permanent.
    False where this Streamlit lacks the flag (only the speed-up is lost)."""
    if getattr(delta_generator, "_use_warning_has_been_displayed", None) is None:
        return False
    if not delta_generator._use_warning_has_been_displayed:
        delta_generator._use_warning_has_been_displayed = True
        gc.freeze()
    return True
