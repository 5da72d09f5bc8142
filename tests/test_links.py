"""Shareable links: the settings live in the URL, and opening a link restores every widget."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnlab.config import RunConfig
from ui import links

ROOT = Path(__file__).resolve().parent.parent


def fresh(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.slow
def test_a_custom_configuration_round_trips_through_its_link():
    at = fresh()
    at.switch_page("views/data.py").run()
    at.selectbox(key="w_data_generator").set_value("sine").run()
    at.number_input(key="w_data_length").set_value(400).run()
    at.number_input(key="w_data_lookback").set_value(24).run()
    at.number_input(key="w_param_sine__period").set_value(30.0).run()
    at.switch_page("views/train.py").run()
    at.selectbox(key="w_model_cell").set_value("gru").run()
    at.number_input(key="w_model_hidden").set_value(12).run()
    at.number_input(key="w_train_epochs").set_value(2).run()
    at.number_input(key="w_train_seed").set_value(7).run()
    query = dict(at.query_params)
    assert "gru" in str(query["model.cell"]) and "12" in str(query["model.hidden"])
    widgets = {k: at.session_state[k] for k in ("w_data_generator", "w_data_length", "w_data_lookback",
                                                "w_param_sine__period", "w_model_cell", "w_model_hidden",
                                                "w_train_epochs", "w_train_seed")}
    at.button(key="train_button").click().run()
    assert at.session_state["job"].join(60)
    first = at.session_state["job"].result.test

    other = fresh({k: (v[0] if isinstance(v, list) else v) for k, v in query.items()})  # a new browser
    other.switch_page("views/train.py").run()
    assert {k: other.session_state[k] for k in widgets} == widgets
    other.button(key="train_button").click().run()
    assert other.session_state["job"].join(60)
    assert other.session_state["job"].result.test == first  # same seed on CPU: same metrics


def test_a_link_made_with_an_upload_asks_for_the_file_again():
    at = fresh({"source": "csv", "data.lookback": "12"})
    assert any("upload it again" in i.value for i in at.info)
    assert at.session_state["w_data_lookback"] == 12 and at.session_state["w_source"] == "Upload CSV"


@pytest.mark.parametrize("query", [{"model.hidden": '"lots"'}, {"data.params": "[1,2]"}])
def test_a_broken_link_is_refused_with_a_message_and_defaults_stay(query):
    at = fresh(query)
    assert any("not used" in i.value for i in at.info)
    assert at.session_state["w_model_hidden"] == RunConfig().model.hidden


@pytest.mark.slow
def test_sidebar_offers_the_link_to_copy():
    at = fresh()
    at.switch_page("views/train.py").run()
    at.number_input(key="w_model_hidden").set_value(48).run()
    assert not at.sidebar.code  # drawn only while its expander is open (no syntax highlighter to load)
    at.session_state[links.SHARE_KEY] = True
    at.run()
    code = " ".join(c.value for c in at.sidebar.code)
    assert "model.hidden=48" in code


def test_a_link_changes_only_what_it_names():
    """The app probes by default (auto); a link that does not mention probing keeps that."""
    at = fresh({"model.hidden": "20"})
    assert at.session_state["w_model_hidden"] == 20 and at.session_state["w_train_probe_every"] == -1


def test_a_link_asking_for_a_device_not_here_says_so_and_trains_on_auto(monkeypatch):
    """A link made on a machine with a GPU, opened on one without: not a silent switch."""
    from ui import settings
    monkeypatch.setattr(settings, "device_options", lambda: {"auto": "auto", "cpu": "CPU"})  # no GPU here
    at = fresh({"train.device": '"cuda"', "source": "csv"})
    notes = " ".join(i.value for i in at.info)
    assert 'device "cuda", which this machine does not offer' in notes and "upload it again" in notes
    assert at.session_state["w_train_device"] == "auto"


def test_a_link_asking_for_the_cpu_keeps_it_without_a_note():
    at = fresh({"train.device": '"cpu"'})
    assert not any("device" in i.value for i in at.info)
    assert at.session_state["w_train_device"] == "cpu"
