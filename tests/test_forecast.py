"""What a forecaster checks: intervals and their coverage, every horizon, ETS and Theta against
statsmodels itself, the predictions file, and a constant series."""
import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from rnnlab.classical import MAX_SEASON, fit_classical
from rnnlab.config import RunConfig
from rnnlab.evaluate import predict, recursive_forecast
from rnnlab.experiment import run_experiment
from rnnlab.intervals import conformal_halfwidth, forecast_halfwidth, min_calibration, recursive_paths
from rnnlab.report import predictions_table, verdict

from app_kit import ROOT

AIRLINE = str(ROOT / "rnnlab" / "data" / "samples" / "airline-passengers.csv")


def airline(horizon: int = 1, epochs: int = 3) -> RunConfig:
    cfg = RunConfig()
    cfg.data.csv_path, cfg.data.horizon, cfg.data.lookback = AIRLINE, horizon, 24
    cfg.model.hidden, cfg.train.epochs, cfg.train.device = 16, epochs, "cpu"
    return cfg


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnnlab", "train", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_conformal_quantile_is_the_finite_sample_rank():
    errors = np.arange(1.0, 20.0)[:, None]  # 19 errors: rank ceil(20 * 0.9) = 18
    assert conformal_halfwidth(errors, 0.9)[0] == 18.0
    assert np.isinf(conformal_halfwidth(errors[:8], 0.9)[0]) and min_calibration(0.9) == 9
    assert np.isfinite(conformal_halfwidth(errors[:9], 0.9)[0])


def test_conformal_bands_cover_exchangeable_errors_at_their_level():
    rng = np.random.default_rng(0)
    covered = [(np.abs(rng.standard_t(3, 200)) <= conformal_halfwidth(np.abs(rng.standard_t(3, (30, 1))), 0.9)[0]).mean()
               for _ in range(400)]
    assert 0.9 <= np.mean(covered) < 0.93  # the guarantee: at least the level, and not much more


@pytest.mark.slow
def test_ets_matches_statsmodels_fitted_directly_on_the_airline_sample():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    result, s = run_experiment(airline())
    y, end, test = s.prep.test.windows.values[:, 0], s.prep.train_end, s.prep.test
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seasonal in (None, 12):
            for trend, damped in ((None, False), ("add", False), ("add", True)):
                spec = dict(error="add", trend=trend, damped_trend=damped, seasonal="add" if seasonal else None,
                            seasonal_periods=seasonal)
                fit = ETSModel(y[:end], **spec).fit(disp=False)
                if best is None or fit.aic < best[0].aic:
                    best = fit, spec
        fitted = np.asarray(ETSModel(y, **best[1]).smooth(best[0].params).fittedvalues)  # one step ahead
    mae = float(np.mean(np.abs(fitted[test.t0] - test.y_raw[:, 0])))
    assert result.seasonal_period == 12 <= MAX_SEASON
    assert result.baselines["ets"]["mae"] == pytest.approx(mae, rel=0, abs=1e-6)
    assert "theta" in result.baselines and not result.missing_baselines


def test_theta_from_the_end_of_training_is_statsmodels_forecast():
    from statsmodels.tsa.forecasting.theta import ThetaModel
    from rnnlab.classical import classical_predictions
    y = pd.read_csv(AIRLINE)["passengers"].to_numpy(float)
    fit = fit_classical(y[:100], 12)
    ours = classical_predictions(fit, y, np.array([100]), 6)["theta"][0]
    np.testing.assert_allclose(ours, np.asarray(ThetaModel(y[:100], period=12).fit().forecast(6)), rtol=1e-10)


@pytest.mark.slow
def test_classical_baselines_are_missing_with_a_reason_on_a_panel():
    cfg = RunConfig()
    cfg.data.generator, cfg.data.samples, cfg.train.epochs, cfg.train.device = "seed-sales", 200, 1, "cpu"
    result, _ = run_experiment(cfg)
    assert "ets" not in result.baselines and "panel" in result.missing_baselines["ets"]


@pytest.mark.slow
def test_every_horizon_has_its_metrics_for_the_model_and_every_baseline():
    result, _ = run_experiment(airline(horizon=12, epochs=2))
    for m in [result.test, *result.baselines.values()]:
        steps = m["by_horizon"]
        assert [r["step"] for r in steps] == list(range(1, 13))
        assert np.mean([r["mae"] for r in steps]) == pytest.approx(m["mae"], rel=1e-12)  # equal-sized steps
    assert {"ets", "theta", "seasonal_naive"} <= set(result.baselines)
    assert "all 12 steps ahead" in verdict(result).text
    band = result.interval  # 12 steps ahead leave the short validation part too few windows: said so
    assert band["coverage"] is None and "needs at least 9 validation windows" in band["warning"]


@pytest.mark.slow
@pytest.mark.parametrize("horizon", [1, 3])
def test_the_predictions_file_recomputes_the_reported_mae_and_coverage(tmp_path, horizon):
    out = tmp_path / "pred.csv"
    r = cli("--csv", AIRLINE, "--epochs", "3", "--hidden", "8", "--lookback", "24", "--horizon", str(horizon),
            "--device", "cpu", "--predictions", str(out), "--json")
    assert r.returncode == 0, r.stderr
    res, rows = json.loads(r.stdout), pd.read_csv(out)
    assert list(rows.columns[:1]) == ["date"] and {"actual", "predicted", "lower", "upper", "ets", "theta"} <= set(rows)
    assert len(rows) == res["windows"]["test"] * horizon and ("horizon_step" in rows) == (horizon > 1)
    assert float(np.mean(np.abs(rows.actual - rows.predicted))) == pytest.approx(res["test"]["mae"], abs=1e-9)
    inside = ((rows.actual >= rows.lower) & (rows.actual <= rows.upper)).mean()
    assert float(inside) == pytest.approx(res["interval"]["coverage"], abs=1e-9)
    for name in res["baselines"]:
        assert float(np.mean(np.abs(rows.actual - rows[name]))) == pytest.approx(res["baselines"][name]["mae"], abs=1e-9)


@pytest.mark.slow
def test_the_band_is_calibrated_on_validation_and_its_test_coverage_reported(tiny_config):
    tiny_config.train.epochs = 5
    result, s = run_experiment(tiny_config)
    band = result.interval
    assert band["level"] == 0.9 and band["calibration_windows"] == len(s.prep.val)
    frame = predictions_table(s)
    inside = ((frame.actual >= frame.lower) & (frame.actual <= frame.upper)).mean()
    assert band["coverage"] == pytest.approx(float(inside), abs=1e-12)
    tiny_config.train.interval = 0.0
    assert run_experiment(tiny_config)[0].interval is None


def test_recursive_paths_are_the_recursive_forecast_from_each_window(tiny_config):
    _, s = run_experiment(tiny_config)
    windows = s.prep.val.raw()[:5, :, 0]
    paths = recursive_paths(s.model, s.prep.scaler, windows, 7)
    for w, path in zip(windows, paths):
        np.testing.assert_allclose(path, recursive_forecast(s.model, s.prep.scaler, w, 20, 7), rtol=1e-5)
    np.testing.assert_allclose(paths[:, 0], predict(s.model, s.prep.val, s.prep.scaler)[:5, 0], rtol=1e-5)
    width = forecast_halfwidth(s.model, s.prep, s.data.target, 40, 0.9)
    finite = width[np.isfinite(width)]
    assert len(finite) >= 5 and np.all(np.diff(finite) >= 0)  # widens (never narrows) with the step
    assert np.all(np.isinf(width[len(finite):]))  # steps past the validation part's reach get no band


def constant_csv(path) -> str:
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=300).strftime("%Y-%m-%d"), "v": [5] * 300}).to_csv(
        path, index=False)
    return str(path)


@pytest.mark.slow
def test_a_constant_series_trains_to_a_clear_verdict(tmp_path):
    r = cli("--csv", constant_csv(tmp_path / "five.csv"), "--epochs", "2", "--device", "cpu", "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["flat"] and "does not change" in res["verdict"]["text"] and res["test"]["mae"] == 0
    assert "constant" in res["missing_baselines"]["ets"]
    assert math.isfinite(res["shrink"]["val_mse"])  # the shrink message divided by persistence's 0 MSE once


@pytest.mark.slow
def test_a_constant_series_in_the_app_shows_the_verdict_without_an_error(app, tmp_path):
    from app_kit import open_page, train_tiny
    open_page(app, "data")
    app.radio(key="w_source").set_value("Upload CSV").run()
    app.get("file_uploader")[0].set_value(("five.csv", open(constant_csv(tmp_path / "five.csv"), "rb").read(),
                                           "text/csv")).run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    train_tiny(app)
    job = app.session_state["job"]
    assert job.join(60) and job.snapshot().state == "completed", job.snapshot().message
    for page in ("train", "predict", "inspect"):
        open_page(app, page)
        assert not app.exception and not app.error, (page, [e.value for e in app.error])
    open_page(app, "predict")
    assert any("does not change" in w.value for w in app.warning)


@pytest.mark.slow
def test_predict_shows_the_band_every_horizon_and_the_predictions_download(app):
    from app_kit import open_page, train_tiny
    open_page(app, "data")
    app.number_input(key="w_data_length").set_value(400).run()
    app.number_input(key="w_data_horizon").set_value(3).run()
    train_tiny(app, epochs=3)
    job = app.session_state["job"]
    assert job.join(60) and job.result is not None
    open_page(app, "predict")
    keys = {c.proto.id.rsplit("-", 1)[-1] for c in app.get("plotly_chart")}
    assert {"pred_test", "horizon_chart", "forecast_chart"} <= keys
    band = job.result.interval
    assert any(f"covered **{band['coverage']:.1%}**" in m.value for m in [*app.info, *app.warning])
    per_step = app.dataframe[1].value  # MAE per step ahead, the model and every baseline
    assert list(per_step.index) == [1, 2, 3]
    assert per_step["model"].tolist() == pytest.approx([r["mae"] for r in job.result.test["by_horizon"]])
    assert per_step["ets"].tolist() == pytest.approx([r["mae"] for r in job.result.baselines["ets"]["by_horizon"]])
    labels = [b.proto.label for b in app.get("download_button")]
    assert "Download predictions (CSV)" in labels
