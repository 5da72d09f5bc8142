"""Verdicts against hand-made results, predictions with dates, the run zip's metrics."""
import io
import json
import zipfile

import pandas as pd
import pytest

from rnnlab.config import RunConfig
from rnnlab.data.csv import load_csv
from rnnlab.experiment import run_experiment
from rnnlab.export import bundle_bytes
from rnnlab.report import MIN_TEST_WINDOWS, future_dates, metrics_rows, predictions_frame, verdict
from rnnlab.result import RunResult

from made import made_result


def result(model: float | None, n: int = 100, **maes) -> RunResult:
    base = {"persistence": 1.0, "mean": 2.0, "seasonal_naive": 1.0, "linear": 0.8} | maes
    cfg = RunConfig()
    cfg.data.lookback = 12
    return made_result({"mae": model, "n": n}, {k: {"mae": v} for k, v in base.items()}, cfg, seasonal_period=7)


def test_green_only_when_every_baseline_is_beaten():
    v = verdict(result(0.7))
    assert v.level == "good" and "0.7 against 0.8" in v.text and "linear" in v.text
    for maes in [{"linear": 0.69}, {"persistence": 0.5}, {"mean": 0.7}, {"seasonal_naive": 0.3}]:
        assert verdict(result(0.7, **maes)).level == "warn", maes  # a tie is not a win either


@pytest.mark.parametrize("best, advice", [("linear", "linear model already predicts it well"),
                                          ("seasonal_naive", "repeats every 7 steps"),
                                          ("persistence", "random walk"),
                                          ("mean", "window's average")])
def test_amber_names_best_baseline_ratio_and_advice(best, advice):
    maes = {k: 5.0 for k in ("persistence", "mean", "seasonal_naive", "linear")} | {best: 0.5}
    v = verdict(result(1.0, **maes))
    assert v.level == "warn" and v.best == best and "0.5 against 1" in v.text and "2.00×" in v.text
    assert advice in v.advice


def test_a_series_won_by_the_linear_baseline_is_told_about_the_highway_unless_it_is_on():
    r = result(1.0, linear=0.5)
    assert "linear highway" in verdict(r).advice
    r.config.model.highway = True
    assert "highway" not in verdict(r).advice


def test_a_memory_task_won_by_the_linear_baseline_gets_advice_about_the_window_not_seasons():
    r = result(1.0, linear=0.5)
    r.config.data.generator = "delay"
    assert "window's values" in verdict(r).advice and "seasonal" not in verdict(r).advice


def test_too_few_test_windows_get_no_verdict():
    v = verdict(result(0.1, n=MIN_TEST_WINDOWS - 1))
    assert v.level == "warn" and "too few to judge" in v.text


def test_no_finite_predictions_is_bad():
    assert verdict(result(None)).level == "bad"


def test_metrics_rows_flag_the_best():
    rows = metrics_rows(result(0.9))
    assert [r["predictor"] for r in rows if r["best"]] == ["linear"]
    # shrunk to persistence: the model's float32 figure is a hair below persistence's, a tie
    rows = metrics_rows(result(0.5 * (1 - 3e-8), linear=0.9, persistence=0.5, seasonal_naive=0.5))
    assert [r["predictor"] for r in rows if r["best"]] == ["model", "persistence", "seasonal naive"]


def _dated_csv() -> bytes:
    dates = pd.date_range("2023-01-02", periods=150, freq="W-MON")
    rows = [f"{d:%d.%m.%Y};{100 + (i % 4) * 2.5 + i * 0.1:.2f}".replace(".", ",").replace(",", ".", 2)
            for i, d in enumerate(dates)]
    return ("Datum;Wert\n" + "\n".join(rows) + "\n").encode()


def test_predictions_frame_and_forecast_carry_dates(tiny_config):
    data = load_csv(_dated_csv())
    assert data.dates.freqstr is None and data.dates[1] - data.dates[0] == pd.Timedelta(days=7)
    cfg = tiny_config
    cfg.data.lookback, cfg.data.generator = 8, "sales"
    r, s = run_experiment(cfg, data=data)
    frame = predictions_frame(s)
    assert list(frame.columns) == ["part", "t", "date", "true", "predicted", "persistence"]
    first = frame.iloc[0]
    assert first["date"] == data.dates[first["t"]] and first["true"] == data.target[first["t"]]
    future, why = future_dates(data.dates, 3)
    assert why is None and list(future) == list(pd.date_range(data.dates[-1], periods=4, freq="W-MON")[1:])
    csv_text = frame.to_csv(index=False)
    assert csv_text.splitlines()[1].split(",")[2].startswith(str(data.dates[first["t"]].date()))
    with zipfile.ZipFile(io.BytesIO(bundle_bytes(cfg, s.model, s.prep.scaler, r.history, r))) as z:
        m = json.loads(z.read("metrics.json"))
    assert m["test"]["mae"] == pytest.approx(r.test["mae"]) and set(m["baselines"]) == set(r.baselines)
    assert m["verdict"]["level"] in ("good", "warn") and m["verdict"]["best_baseline"]


def test_irregular_dates_are_not_extrapolated():
    dates = pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-09"])
    future, why = future_dates(dates, 2)
    assert future is None and "not evenly spaced" in why


def test_generated_series_without_dates_keeps_steps():
    cfg = RunConfig()
    cfg.data.generator, cfg.data.length, cfg.data.lookback = "sine", 200, 10
    cfg.model.hidden, cfg.train.epochs, cfg.train.device = 4, 1, "cpu"
    _, s = run_experiment(cfg)
    assert "date" not in predictions_frame(s)


def test_times_reads_well_at_every_size():
    from rnnlab.report import times

    assert [times(1.37, 1), times(57.2, 1), times(12_345, 1), times(1.4e9, 1), times(1, 0)] == \
        ["1.37×", "57×", "12,345×", "over a million times", "infinitely many times"]
