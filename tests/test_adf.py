"""The auto scaler's unit-root test against statsmodels' adfuller (constant, lags by AIC)."""
import numpy as np
import pytest

from rnnlab.scalers import adf, choose_scaler

adfuller = pytest.importorskip("statsmodels.tsa.stattools").adfuller


def series() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(400)
    ar = np.zeros(70)
    for i in range(1, 70):
        ar[i] = 0.5 * ar[i - 1] + rng.normal()
    return {
        "random walk, 300": np.cumsum(rng.normal(size=300)),
        "AR(1) 0.5, 70 points": ar,
        "sine + noise, 200": np.sin(2 * np.pi * t[:200] / 12) + 0.3 * rng.normal(size=200),
        "trend + monthly season, 144": 100 + 2 * t[:144] + 20 * np.sin(2 * np.pi * t[:144] / 12)
        + rng.normal(0, 5, 144),
        "white noise, 400": rng.normal(size=400),
        "short annual walk, 40": 50 + np.cumsum(rng.normal(size=40)),
    }


@pytest.mark.filterwarnings("ignore:adfuller currently returns:FutureWarning")  # statsmodels 0.15's notice
@pytest.mark.parametrize("name", list(series()))
def test_adf_matches_statsmodels_t_statistic_and_lag(name):
    y = series()[name]
    t, lags = adf(y)
    ref_t, _, ref_lags, *_ = adfuller(y, regression="c", autolag="AIC")
    assert lags == ref_lags
    assert t == pytest.approx(ref_t, rel=1e-8, abs=1e-10)


@pytest.mark.filterwarnings("ignore:adfuller currently returns:FutureWarning")
def test_adf_lag_choice_from_one_factorisation_matches_statsmodels_on_many_series():
    """adf takes every lag's SSR from one QR of the largest design; on 60 random walks, noisy sines
    and MA processes of 20 to 3,000 points it picks statsmodels' lag and t-statistic each time."""
    rng = np.random.default_rng(11)
    for i in range(60):
        n = int(rng.integers(20, 3000))
        e = rng.normal(size=n)
        y = [np.cumsum(e), np.sin(np.arange(n) / 5) + e, np.convolve(e, [1, 0.6, 0.3], "same")][i % 3]
        t, lags = adf(y)
        ref_t, _, ref_lags, *_ = adfuller(y, regression="c", autolag="AIC")
        assert lags == ref_lags, (i, n)
        assert t == pytest.approx(ref_t, rel=1e-8, abs=1e-10), (i, n)


def test_a_short_mean_reverting_series_keeps_its_level_and_a_walk_predicts_changes():
    s = series()
    kind, reason = choose_scaler(None, False, s["AR(1) 0.5, 70 points"])
    assert kind == "minmax" and "chosen by AIC" in reason
    assert choose_scaler(None, False, s["random walk, 300"])[0] == "last"


def test_a_short_mean_reverting_verdict_carries_its_caution():
    """On 42 points the test calls about 10 % of random walks mean-reverting (5 % from 100 points):
    a level-keeping choice made on so few points says so."""
    rng = np.random.default_rng(0)
    short = np.sin(np.arange(42) / 2) + rng.normal(0, 0.1, 42)
    kind, reason = choose_scaler(None, False, short)
    assert kind == "minmax" and "one random walk in ten" in reason and "choose `last`" in reason
    kind, reason = choose_scaler(None, False, np.sin(np.arange(200) / 2) + rng.normal(0, 0.1, 200))
    assert kind == "minmax" and "random walk in ten" not in reason
