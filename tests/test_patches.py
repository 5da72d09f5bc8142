"""ui/patches.py: a page link clicked while a fragment polls is not undone by the fragment's tick."""
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests

from ui import patches


def pending_page_after_click_then_tick() -> str:
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash="predict"))  # the click on the Predict link
    requests.request_rerun(RerunData(page_script_hash="train", fragment_id="live", is_auto_rerun=True))  # a tick
    return requests._rerun_data.page_script_hash


def test_a_fragment_tick_no_longer_undoes_a_pending_page_change(monkeypatch):
    monkeypatch.setattr(ScriptRequests, "_request_rerun_locked", patches.UPSTREAM)  # as without the app
    monkeypatch.setattr(patches, "_applied", False)
    assert pending_page_after_click_then_tick() == "train"  # Streamlit's own merge: the click is lost
    # (if this line fails, Streamlit fixed the merge upstream and ui/patches.py can go)
    assert patches.keep_navigation()
    assert pending_page_after_click_then_tick() == "predict"


def test_ticks_and_clicks_on_the_same_page_still_merge(monkeypatch):
    monkeypatch.setattr(ScriptRequests, "_request_rerun_locked", patches.UPSTREAM)  # as without the app
    monkeypatch.setattr(patches, "_applied", False)
    patches.keep_navigation()
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash="train", fragment_id="a", is_auto_rerun=True))
    requests.request_rerun(RerunData(page_script_hash="train", fragment_id="b", is_auto_rerun=True))
    assert requests._rerun_data.fragment_id_queue == ["a", "b"]


def test_the_bare_run_check_is_marked_done_once(monkeypatch):
    """Streamlit's first element walks the stack (~0.15 s) unless its flag says the check was done;
    if this fails, Streamlit renamed the flag and the first page is that much slower again."""
    from streamlit import delta_generator
    monkeypatch.setattr(delta_generator, "_use_warning_has_been_displayed", False)
    walked = []
    monkeypatch.setattr(delta_generator.env_util, "is_repl", lambda: walked.append(1) or False)
    assert patches.skip_bare_run_check()
    assert delta_generator._use_warning_has_been_displayed
    delta_generator._maybe_print_use_warning()
    assert walked == []


def pending_page_after_click_then_own_rerun() -> str:
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash="predict"))  # the click on the Predict link
    with patches.own_rerun():  # the Train page's live panel, its run ended: st.rerun() of Train
        requests.request_rerun(RerunData(page_script_hash="train"))
    return requests._rerun_data.page_script_hash


def test_the_pages_own_rerun_no_longer_undoes_a_pending_page_change(monkeypatch):
    monkeypatch.setattr(ScriptRequests, "_request_rerun_locked", patches.UPSTREAM)
    monkeypatch.setattr(patches, "_applied", False)
    assert pending_page_after_click_then_own_rerun() == "train"  # upstream: the click is lost
    assert patches.keep_navigation()
    assert pending_page_after_click_then_own_rerun() == "predict"


def test_the_pages_own_rerun_still_happens_after_a_pending_fragment_tick(monkeypatch):
    """A pending tick reruns only its fragment: the page's own full rerun must not be dropped."""
    monkeypatch.setattr(ScriptRequests, "_request_rerun_locked", patches.UPSTREAM)
    monkeypatch.setattr(patches, "_applied", False)
    patches.keep_navigation()
    requests = ScriptRequests()
    requests.request_rerun(RerunData(page_script_hash="train", fragment_id="live", is_auto_rerun=True))
    with patches.own_rerun():
        requests.request_rerun(RerunData(page_script_hash="train"))
    assert requests._rerun_data.fragment_id_queue == [] and requests._rerun_data.page_script_hash == "train"
    requests.request_rerun(RerunData(page_script_hash="predict"))  # outside own_rerun: merged as upstream
    assert requests._rerun_data.page_script_hash == "predict"
