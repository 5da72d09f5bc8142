"""Presenter mode: from the URL or the sidebar button; settings folded, charts stacked, the flag in links."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def test_present_link_folds_settings_and_keeps_the_flag():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["present"] = "1"
    at.run()
    at.switch_page("views/train.py").run()
    assert not at.exception
    assert at.session_state["w_present"] is True
    assert any(e.label == "Settings" for e in at.expander)
    assert at.query_params.get("present") in ("1", ["1"])


def test_the_button_turns_it_on_and_off():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/train.py").run()
    assert not any(e.label == "Settings" for e in at.expander)
    assert at.sidebar.button(key="present_button").label == "Presenter mode"
    at.sidebar.button(key="present_button").click().run()
    assert any(e.label == "Settings" for e in at.expander)
    assert at.sidebar.button(key="present_button").label == "Leave presenter mode"
    at.sidebar.button(key="present_button").click().run()
    assert not any(e.label == "Settings" for e in at.expander) and "present" not in at.query_params
