"""AppTest tests of every page: widgets set, the script runs without exception, state as expected."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_kit import ROOT, open_page, train_tiny  # noqa: F401
from rnnlab.data.generators import GENERATORS

SHOP = ("date;visits\n" + "\n".join(
    f"2024-{1 + i // 28:02d}-{1 + i % 28:02d};{100 + 10 * np.sin(i * 2 * np.pi / 7):.2f}".replace(".", ",")
    for i in range(300)) + "\n").encode()


def test_home_demo_button_loads_preset_and_opens_train(app):
    assert "rnnlab" in app.title[0].value
    app.button(key="demo_button").click().run()
    assert not app.exception
    assert app.session_state["w_data_generator"] == "seed-sales"
    assert app.session_state["w_model_cell"] == "rnn" and app.session_state["w_model_hidden"] == 50
    assert any(t.value == "Train" for t in app.title)


@pytest.mark.slow
@pytest.mark.parametrize("generator", sorted(GENERATORS))
def test_data_page_every_generator(app, generator):
    open_page(app, "data")
    app.selectbox(key="w_data_generator").set_value(generator).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    assert any("Scaler auto" in m.value for m in app.markdown)
    assert "Windows:" in " ".join(c.value for c in app.caption)


def test_data_page_lookback_too_long_shows_error(app):
    open_page(app, "data")
    app.number_input(key="w_data_length").set_value(100).run()
    app.number_input(key="w_data_lookback").set_value(500).run()
    assert not app.exception
    assert any("lookback" in e.value for e in app.error)


def test_data_page_upload_csv(app):
    open_page(app, "data")
    app.radio(key="w_source").set_value("Upload CSV").run()
    app.get("file_uploader")[0].set_value(("shop.csv", SHOP, "text/csv")).run()
    assert not app.exception, app.exception
    assert app.session_state["w_data_column"] == "visits"
    assert not app.error, [e.value for e in app.error]
    assert any("semicolon" in c.value for c in app.caption)
    assert any("shop.csv" in c.value for c in app.sidebar.caption)


def test_data_page_bad_csv_shows_error_not_traceback(app):
    open_page(app, "data")
    app.radio(key="w_source").set_value("Upload CSV").run()
    app.get("file_uploader")[0].set_value(("x.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "text/csv")).run()
    assert not app.exception
    assert any("not a text file" in e.value for e in app.error)


@pytest.mark.slow
def test_train_page_verdict_is_amber_when_a_baseline_wins(app):
    """Two epochs on a sine: the linear baseline is far better, so no green, and it is named."""
    open_page(app, "data")
    app.number_input(key="w_data_length").set_value(300).run()
    train_tiny(app)
    snap = app.session_state["job"].snapshot()
    assert snap.state == "completed" and len(snap.history) == 2
    r = snap.result
    best = min(v["mae"] for v in r.baselines.values())
    assert best < r.test["mae"]
    assert not app.success
    words = " ".join(w.value for w in app.warning)
    assert "baseline is better" in words and f"{best:.4g}" in words and "×" in words
    assert any("done" in c.value for c in app.sidebar.caption)
    open_page(app, "predict")  # the same verdict on Predict
    assert not app.success and any("baseline is better" in w.value for w in app.warning)


@pytest.mark.slow
def test_train_page_verdict_is_green_only_when_the_model_beats_every_baseline(app):
    """The adding problem: baselines cannot see the markers, a trained LSTM can."""
    open_page(app, "data")
    app.selectbox(key="w_data_generator").set_value("adding").run()
    app.number_input(key="w_data_samples").set_value(1000).run()
    app.number_input(key="w_data_lookback").set_value(10).run()
    open_page(app, "train")
    app.select_slider(key="w_train_lr").set_value(1e-2)
    train_tiny(app, epochs=10)
    r = app.session_state["job"].snapshot().result
    assert r.test["mae"] < min(v["mae"] for v in r.baselines.values())
    assert any("Beats every baseline" in m.value for m in app.success)
    open_page(app, "predict")
    assert any("Beats every baseline" in m.value for m in app.success)


@pytest.mark.slow
def test_train_page_diverged_shows_advice(app):
    open_page(app, "data")
    app.selectbox(key="w_data_generator").set_value("sine").run()
    app.number_input(key="w_data_length").set_value(300).run()
    open_page(app, "train")
    app.selectbox(key="w_model_cell").set_value("rnn-relu")
    app.select_slider(key="w_train_lr").set_value(100.0)
    train_tiny(app, epochs=3)
    assert app.session_state["job"].snapshot().state == "diverged"
    assert any("learning rate" in e.value for e in app.error)


@pytest.mark.slow
def test_predict_page_before_and_after_training(app):
    open_page(app, "predict")
    assert any("No finished run" in i.value for i in app.info)
    open_page(app, "data")
    app.number_input(key="w_data_length").set_value(300).run()
    train_tiny(app)
    open_page(app, "predict")
    assert len(app.get("plotly_chart")) >= 4  # whole series, test zoom, residuals, forecast
    table = app.dataframe[0].value
    assert list(table["predictor"]) == ["model", "persistence", "mean", "seasonal naive", "linear", "ets", "theta"]
    assert [b.label for b in app.get("download_button")] == [
        "Download predictions (CSV)", "Run (config, history, metrics, weights)", "Whole-series fit (CSV)",
        "Download as Python script", "Download as notebook"]


def test_inspect_page_before_training(app):
    open_page(app, "inspect")
    assert any("Nothing to inspect" in i.value for i in app.info)


@pytest.mark.slow
def test_inspect_page_opened_before_the_run_starts_waits_for_it(app):
    """Opened right after Train, while the run waits for a slot or its process starts: the page says
    so and follows the run (it used to say "nothing to inspect" and never look again)."""
    from rnnlab.config import RunConfig
    from rnnlab.diagnostics import probe_for_setup
    from rnnlab.job import TrainingJob

    cfg = RunConfig()
    cfg.data.length, cfg.train.epochs, cfg.model.hidden, cfg.train.probe_every = 300, 1, 8, 1
    job = TrainingJob(cfg, probe_factory=probe_for_setup)  # not started yet: queued, no setup
    app.session_state["job"] = job
    open_page(app, "inspect")
    assert any("Waiting for the run to start training" in i.value for i in app.info)
    assert not any("Nothing to inspect" in i.value for i in app.info)
    assert job.start().join(timeout=60) and job.snapshot().probes
    app.run()
    assert "The gradient at every time step" in [h.value for h in app.subheader]


@pytest.mark.slow
def test_inspect_page_shows_vanishing_gradient_in_words(app):
    """A tanh RNN at default init on 60-step windows: the page says the gradient vanishes."""
    open_page(app, "data")
    app.selectbox(key="w_data_generator").set_value("sine").run()
    app.number_input(key="w_data_length").set_value(400).run()
    app.number_input(key="w_data_lookback").set_value(60).run()
    open_page(app, "train")
    app.selectbox(key="w_model_cell").set_value("rnn")
    app.select_slider(key="w_train_lr").set_value(1e-5)
    assert app.selectbox(key="w_train_probe_every").value == -1  # diagnostics on by default
    train_tiny(app, epochs=1)
    snap = app.session_state["job"].snapshot()
    assert snap.state == "completed" and snap.probes
    open_page(app, "inspect")
    words = " ".join(w.value for w in app.warning)
    assert "vanishes" in words and "cannot learn dependencies 59 steps long" in words and "10⁻" in words
    keys = {c.proto.id.rsplit("-", 1)[-1] for c in app.get("plotly_chart")}
    assert keys == {"grad_t", "grad_hist", "connectivity", "spectrum", "hidden_map"}  # no gates in a plain RNN
    app.radio(key="unit_order").set_value("cluster").run()
    app.slider(key="inspect_window").set_value(3).run()
    assert not app.exception


@pytest.mark.slow
def test_inspect_page_lstm_gates(app):
    open_page(app, "data")
    app.number_input(key="w_data_length").set_value(300).run()
    open_page(app, "train")
    app.selectbox(key="w_model_cell").set_value("lstm")
    train_tiny(app, epochs=1)
    open_page(app, "inspect")
    assert not app.exception
    assert any("Saturated units" in c.value and "f (sigmoid)" in c.value for c in app.caption)


from malformed import MALFORMED  # noqa: E402


def upload(at: AppTest, name: str, raw: bytes) -> AppTest:
    open_page(at, "data")
    at.radio(key="w_source").set_value("Upload CSV").run()
    at.get("file_uploader")[0].set_value((name, raw, "text/csv")).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("raw, words", [(raw, words) for _, raw, words in MALFORMED],
                         ids=[name for name, _, _ in MALFORMED])
@pytest.mark.slow
def test_data_page_shows_one_readable_error_per_malformed_file(app, raw, words):
    upload(app, "bad.csv", raw)
    errors = [e.value for e in app.error]
    assert len(errors) == 1, errors
    assert __import__("re").search(words, errors[0], __import__("re").I), errors
    assert "Traceback" not in errors[0]
    for page in ("train", "predict", "inspect"):  # the other pages stay usable
        open_page(app, page)


@pytest.mark.slow
def test_data_page_preselects_value_not_date_and_shows_detected_date():
    """Semicolons, decimal commas and DD.MM.YYYY dates: `Datum` must not become the target."""
    dates = __import__("pandas").date_range("2024-01-01", periods=120)
    rows = [f"{d:%d.%m.%Y};" + f"{1000 + i % 7 * 3.25:,.2f}".translate(str.maketrans(",.", ".,"))
            for i, d in enumerate(dates)]  # 01.01.2024;1.003,25
    raw = ("Datum;Umsatz\n" + "\n".join(rows) + "\n").encode()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    upload(at, "umsatz.csv", raw)
    assert at.session_state["w_data_column"] == "Umsatz"
    assert at.selectbox(key="w_data_column").options == ["Umsatz"]  # the date column is never offered
    assert at.selectbox(key="w_data_date_column").value == "Datum"
    assert not at.error, [e.value for e in at.error]


def test_data_page_integer_generator_parameter_shows_as_integer(app):
    open_page(app, "data")
    app.selectbox(key="w_data_generator").set_value("delay").run()
    lag = app.number_input(key="w_param_delay__lag")
    assert lag.value == 10 and isinstance(lag.value, int) and lag.proto.format == "%d"


@pytest.mark.slow
def test_data_page_flags_an_ambiguous_column_and_the_override_settles_it(app):
    """`1.037`-style cells only (1.037 or 1037?): a warning; the explicit format silences it."""
    rows = [f"2024-{1 + i // 28:02d}-{1 + i % 28:02d};" + f"{1000 + 37 * (i % 9):,}".replace(",", ".")
            for i in range(120)]
    upload(app, "amb.csv", ("date;sales\n" + "\n".join(rows) + "\n").encode())
    assert any("could mean" in w.value for w in app.warning), [w.value for w in app.warning]
    assert app.session_state["w_data_column"] == "sales"
    app.selectbox(key="w_data_decimal").set_value(",").run()
    app.selectbox(key="w_data_thousands").set_value(".").run()
    assert not app.exception and not app.error
    cfg_data = app.session_state["store"]
    assert cfg_data["w_data_decimal"] == "," and cfg_data["w_data_thousands"] == "."
    assert not any("could mean" in w.value for w in app.warning)


@pytest.mark.parametrize("key_, value, words", [
    ("w_model_hidden", 4096, "hidden size must be between 1 and 2,048"),
    ("w_model_layers", 100, "layers must be between 1 and 8"),
    ("w_train_epochs", 10**7, "epochs must be between 1 and 100,000"),
    ("w_train_batch_size", 10**6, "batch size must be between 1 and 65,536"),
    ("w_train_seed", 2**40, "seed must be between 0"),
    ("w_model_dropout", 1.5, "dropout must be between 0 and 0.99"),
])
def test_train_page_refuses_out_of_range_values_with_the_limit(app, key_, value, words):
    """No box silently keeps its last valid value: the run is refused and the limit is named."""
    open_page(app, "train")
    app.number_input(key=key_).set_value(value).run()
    app.button(key="train_button").click().run()
    assert not app.exception
    assert app.session_state["job"] is None
    assert any(words in e.value for e in app.error), [e.value for e in app.error]


@pytest.mark.parametrize("key_, value, words", [
    ("w_data_length", 10**7, "length must be between 10 and 2,000,000"),
    ("w_data_lookback", 10**5, "lookback must be between 1 and 5,000"),
    ("w_data_horizon", 1000, "horizon must be between 1 and 500"),
])
@pytest.mark.slow
def test_data_page_refuses_out_of_range_values_with_the_limit(app, key_, value, words):
    open_page(app, "data")
    app.number_input(key=key_).set_value(value).run()
    assert not app.exception
    assert any(words in e.value for e in app.error), [e.value for e in app.error]


@pytest.mark.slow
def test_data_page_refuses_a_window_budget_overrun_quickly(app):
    open_page(app, "data")
    app.number_input(key="w_data_length").set_value(2_000_000).run()
    app.number_input(key="w_data_lookback").set_value(5_000).run()
    assert any("over the limit" in e.value for e in app.error), [e.value for e in app.error]


@pytest.mark.slow
def test_a_removed_or_replaced_bad_upload_leaves_no_trace(app):
    upload(app, "bad.csv", b"name,city\nann,paris\nbob,rome\ncid,oslo\n")
    assert len(app.error) == 1
    app.get("file_uploader")[0].set_value(None).run()  # the user removes the file
    assert not app.exception and not app.error
    assert app.session_state["csv_bytes"] is None and any("Upload a CSV" in i.value for i in app.info)
    upload(app, "bad.csv", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert len(app.error) == 1
    upload(app, "shop.csv", SHOP)  # replaced by a good one
    assert not app.error and app.session_state["w_data_column"] == "visits"
    for page in ("train", "predict", "inspect", "home"):
        open_page(app, page)
        assert not app.error, (page, [e.value for e in app.error])


@pytest.mark.slow
def test_data_page_refuses_too_many_input_columns(app):
    rng = np.random.default_rng(0)
    names = [f"c{i}" for i in range(66)]
    rows = [",".join(f"{v:.3f}" for v in rng.normal(size=66)) for _ in range(120)]
    upload(app, "wide.csv", (",".join(names) + "\n" + "\n".join(rows) + "\n").encode())
    app.multiselect(key="w_data_inputs").set_value(names[1:]).run()
    assert not app.exception
    assert any("number of input columns must be between 0 and 64 (got 65)" in e.value for e in app.error)


def test_the_sidebar_run_line_names_no_number_that_goes_stale():
    """On Train the sidebar is not refreshed (the live panel is): its line says where the progress is
    instead of a percentage frozen at the last full rerun; elsewhere it gives the numbers."""
    from rnnlab.progress import Snapshot
    from ui.sidebar import status_line
    running = Snapshot(1, "running", "", 63, 8400, 3, 400, 2.0, 755.0)
    assert status_line(running) == "training 1% (epoch 3/400)"
    assert status_line(running, frozen=True) == "training (the progress is on this page)"
    scoring = Snapshot(1, "running", "", 63, 8400, 3, 400, 2.0, 755.0, ending="stopped")
    assert status_line(scoring, frozen=True) == status_line(scoring) == "scoring on the test part"
    assert status_line(None) == "idle"
    starting = Snapshot(1, "starting", "starting the run", 0, 0, 0, 400, 0.0, 0.0)
    assert status_line(starting) == "starting the run"
    assert status_line(starting, frozen=True) == "training (the progress is on this page)"  # not a stale word
