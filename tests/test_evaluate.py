"""Metrics against hand-computed numbers; baselines on hand-made windows; recursive forecast."""
import numpy as np
import pytest
import torch

from rnnlab.data import SeriesData
from rnnlab.evaluate import baseline_predictions, detect_period, fit_linear, metrics, recursive_forecast
from rnnlab.windows import Scaler, prepare


def test_metrics_hand_computed():
    m = metrics(np.array([[1.0], [2.0], [4.0]]), np.array([[2.0], [2.0], [1.0]]), mase_scale=2.0)
    assert m["mse"] == pytest.approx((1 + 0 + 9) / 3)
    assert m["mae"] == pytest.approx(4 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(10 / 3))
    assert m["smape"] == pytest.approx(100 * (2 * 1 / 3 + 0 + 2 * 3 / 5) / 3)
    assert m["mase"] == pytest.approx(2 / 3)
    assert m["n"] == 3


def test_baselines_on_a_known_series():
    t = np.arange(200, dtype=float)
    season = np.tile([0.0, 10.0, 20.0, 5.0], 50)  # period 4
    data = SeriesData((2 * t + season)[:, None], ["v"], period=4)
    p = prepare(data, lookback=8, horizon=2, scaler="none", val_fraction=0.1, test_fraction=0.2)
    base = baseline_predictions(p, p.test, fit_linear(p))
    np.testing.assert_allclose(base["persistence"][:, 0], p.test.last[:, 0])
    np.testing.assert_allclose(base["mean"][:, 1], p.test.x_raw[:, :, 0].mean(axis=1))
    # seasonal naive misses only the trend: 2 * period
    np.testing.assert_allclose(base["seasonal_naive"] - p.test.y_raw, -8.0)
    # linear AR on 8 lags represents trend + period-4 season exactly
    np.testing.assert_allclose(base["linear"], p.test.y_raw, atol=1e-4)


def test_detect_period():
    t = np.arange(400)
    y = np.sin(2 * np.pi * t / 12) + 0.1 * np.random.default_rng(0).normal(size=400)
    assert detect_period(y, 50) == 12
    assert detect_period(np.random.default_rng(1).normal(size=400), 50) is None


def test_detect_period_is_not_fooled_by_short_noise_or_multiples():
    """Chance peaks on short series used to pass as periods (45 % of 42-point white-noise draws,
    22 % of 42-point random walks), and a noisy monthly series often reported 24 or 36 (57 % right)."""
    draws = [np.random.default_rng(k) for k in range(200)]
    noise = [detect_period(r.normal(size=42), 200) for r in draws]
    walks = [detect_period(np.cumsum(r.normal(0.3, 2, 42)), 200) for r in draws]
    assert sum(p is not None for p in noise) <= 6 and sum(p is not None for p in walks) <= 6
    t = np.arange(300)
    seasonal = [detect_period(np.sin(2 * np.pi * t / 12) + np.random.default_rng(k).normal(0, 0.7, 300), 200)
                for k in range(100)]
    assert sum(p == 12 for p in seasonal) >= 75, sorted(set(seasonal) - {12})


def test_recursive_forecast_feeds_predictions_back():
    class AddOne(torch.nn.Module):  # in `last` scaling, predicting +1 change means y = last + 1
        def forward(self, x):
            return torch.ones(x.shape[0], 1)

    s = Scaler("last", np.zeros(1), np.ones(1), 0.0, 1.0)
    out = recursive_forecast(AddOne(), s, np.arange(10.0), lookback=3, steps=4)
    np.testing.assert_allclose(out, [10, 11, 12, 13])


def test_chunked_scans_equal_one_pass(monkeypatch, tiny_config):
    """Baselines, the linear fit, MASE and predictions built 7 windows at a time match one pass."""
    import rnnlab.windows as windows
    from rnnlab.evaluate import evaluate
    from rnnlab.experiment import setup
    s = setup(tiny_config)
    whole = evaluate(s.model, s.prep)
    monkeypatch.setattr(windows, "CHUNK", 7)
    assert len(s.prep.test.chunks()) > 3
    chunked = evaluate(s.model, s.prep)
    for name, m in [("model", chunked["model"]), *chunked["baselines"].items()]:
        ref = whole["model"] if name == "model" else whole["baselines"][name]
        for k in ("mse", "mae", "mase"):
            assert m[k] == pytest.approx(ref[k], rel=1e-9), (name, k)
