"""The race of cells and its scoreboard, against hand-made results."""
import pytest
from rnnlab.compare import compare_grad_figure, compare_loss_figure, race_configs, scoreboard
from rnnlab.config import RunConfig

from made import made_result


def result(mae, linear=9.0):
    return made_result({"mae": mae, "rmse": mae * 1.2}, {"persistence": {"mae": 10.0}, "linear": {"mae": linear}})


def test_race_configs_differ_only_in_the_cell():
    cfg = RunConfig()
    cfg.train.seed, cfg.data.lookback = 7, 24
    configs = race_configs(cfg)
    assert [c.model.cell for c in configs] == ["rnn", "lstm", "gru"]
    for c in configs:
        d, base = c.to_dict(), cfg.to_dict()
        d["model"].pop("cell"), base["model"].pop("cell")
        assert d == base


def test_scoreboard_names_the_winner_and_a_better_baseline():
    rows, line = scoreboard({"rnn": result(3.0), "lstm": result(2.0), "gru": result(2.5), "late": None})
    assert line.startswith("lstm leads so far on test MAE: 2 (then gru 2.5, rnn 3).")  # "late" still trains
    assert scoreboard({"rnn": result(3.0), "lstm": result(2.0)})[1].startswith("lstm wins on test MAE")
    assert [r["run"] for r in rows if r["winner"]] == ["lstm"] and rows[3]["test MAE"] is None
    _, line = scoreboard({"rnn": result(3.0, linear=1.5), "gru": result(2.0, linear=1.5)})
    assert "linear autoregression baseline is better still (1.5)" in line
    assert scoreboard({"a": None})[1] == "No run has finished yet."


@pytest.mark.slow
def test_compare_figures_have_one_trace_set_per_run():
    hist = [{"epoch": 1, "train_loss": 1.0, "val_loss": 0.9}, {"epoch": 2, "train_loss": 0.5, "val_loss": 0.6}]
    assert len(compare_loss_figure({"a": hist, "b": hist}).data) == 4
    title = lambda scalers: compare_loss_figure({"a": hist}, scalers).layout.title.text  # noqa: E731
    assert "(scales differ: last, none)" in title(["none", "last"])  # the Keras lesson's race
    assert "(last-scaled)" in title(["last", "last"]) and "(raw units)" in title(["none"])
    fig = compare_grad_figure({"a": [[1e-30, 1e-3, 1.0]], "b": [[0.1, 0.5, 1.0]]})
    assert len(fig.data) == 2 and fig.layout.yaxis.type == "log"


@pytest.mark.slow
def test_compare_page_races_three_cells_and_names_the_winner():
    import time
    from pathlib import Path

    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/data.py").run()
    at.number_input(key="w_data_length").set_value(300).run()
    at.switch_page("views/train.py").run()
    at.number_input(key="w_train_epochs").set_value(3).run()
    at.number_input(key="w_model_hidden").set_value(8).run()
    at.switch_page("views/compare.py").run()
    assert any("Pick two to four runs" in i.value for i in at.info)
    at.button(key="race_button").click().run()
    assert not at.exception, at.exception
    book = at.session_state["runs"]
    assert [r.name for r in book.runs] == ["race 1: rnn", "race 1: lstm", "race 1: gru"]
    assert [r.job.config.train.seed for r in book.runs] == [0, 0, 0]
    deadline = time.monotonic() + 120
    while any(r.job.alive for r in book.runs) and time.monotonic() < deadline:
        time.sleep(0.1)
    at.run()
    table = at.dataframe[0].value
    maes = dict(zip(table["run"], table["test MAE"]))
    winner = min(maes, key=maes.get)
    line = " ".join(m.value for m in [*at.success, *at.info])
    assert f"{winner} wins on test MAE" in line
    assert list(table["run"][table["winner"]]) == [winner]
    keys = {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}
    assert "compare_loss" in keys and "compare_grad" in keys
