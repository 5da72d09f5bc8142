"""Windowing, split and scalers: exact inverses, no leakage of val/test data, auto rule."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.data import PanelData, SeriesData
from rnnlab.data.generators import generate
from rnnlab.errors import DataError
from rnnlab.windows import Scaler, choose_scaler, make_windows, prepare, split_points

SCALERS = ["none", "zscore", "minmax", "last", "diff"]


def test_windows_hand_checked():
    v = np.arange(10.0)[:, None]
    x, y, t0 = make_windows(v, lookback=3, horizon=2)
    assert x.shape == (6, 3, 1) and y.shape == (6, 2)
    np.testing.assert_array_equal(x[0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(y[0], [3, 4])
    np.testing.assert_array_equal(y[-1], [8, 9])
    assert t0[0] == 3 and t0[-1] == 8


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=45, max_size=100),
       lookback=st.integers(1, 8), horizon=st.integers(1, 4), kind=st.sampled_from(SCALERS))
def test_scaler_inverse_exact(values, lookback, horizon, kind):
    data = SeriesData(np.asarray(values)[:, None], ["v"])
    p = prepare(data, lookback, horizon, kind, 0.1, 0.2)
    for part in (p.train, p.val, p.test):
        if len(part) == 0:
            continue
        _, ys = p.scaler.transform(part.x_raw, part.y_raw, part.last, dtype=np.float64)
        back = p.scaler.inverse_y(ys, part.last)
        np.testing.assert_allclose(back, part.y_raw, rtol=1e-9, atol=1e-9 * (1 + np.abs(part.y_raw).max()))
        assert np.isfinite(part.x).all() and np.isfinite(part.y).all()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(60, 200), lookback=st.integers(1, 10), horizon=st.integers(1, 5))
def test_split_is_chronological_and_disjoint(n, lookback, horizon):
    data = SeriesData(np.random.default_rng(n).normal(size=(n, 1)), ["v"])
    p = prepare(data, lookback, horizon, "zscore", 0.15, 0.2)
    assert (p.train.t0 + horizon - 1 < p.train_end).all()  # every train target inside train
    assert (p.val.t0 >= p.train_end).all() and (p.val.t0 + horizon - 1 < p.val_end).all()
    assert (p.test.t0 >= p.val_end).all()
    assert (p.train_end, p.val_end) == split_points(n, 0.15, 0.2)


@pytest.mark.parametrize("kind", ["auto", *SCALERS])
def test_no_val_or_test_value_reaches_scaler_or_training_data(kind):
    """Change every value after the training part wildly: scaler and training windows are unchanged."""
    base = generate("sales", length=400, seed=1)
    p1 = prepare(base, 20, 3, kind, 0.1, 0.2)
    poisoned = base.values.copy()
    poisoned[p1.train_end:] = poisoned[p1.train_end:] * 1000 + 1e6
    p2 = prepare(SeriesData(poisoned, base.names), 20, 3, kind, 0.1, 0.2)
    assert p1.scaler.to_dict() == p2.scaler.to_dict()
    np.testing.assert_array_equal(p1.train.x, p2.train.x)
    np.testing.assert_array_equal(p1.train.y, p2.train.y)
    assert not np.array_equal(p1.test.y_raw, p2.test.y_raw)  # the poison did land in test


def test_panel_scaler_uses_training_samples_only():
    panel = generate("seed-sales", samples=200, lookback=10, seed=0)
    p1 = prepare(panel, 10, 1, "zscore", 0.1, 0.2)
    x, y = panel.x.copy(), panel.y.copy()
    x[p1.train_end:] += 1e5
    y[p1.train_end:] += 1e5
    p2 = prepare(PanelData(x, y, panel.names), 10, 1, "zscore", 0.1, 0.2)
    assert p1.scaler.to_dict() == p2.scaler.to_dict()


def test_auto_rule():
    walk = generate("seed-sales", samples=300, lookback=20, seed=0)
    assert choose_scaler(walk.x, True, None)[0] == "last"
    delay = generate("delay", samples=300, lookback=20, seed=0)
    assert choose_scaler(delay.x, True, None)[0] == "zscore"
    sine = generate("sine", length=600).values[:420, 0]
    assert choose_scaler(None, False, sine)[0] == "minmax"
    sales = generate("sales", length=600).values[:420, 0]
    kind, reason = choose_scaler(None, False, sales)
    assert kind == "last" and "random walk" in reason


def test_diff_and_last_hand_values():
    x = np.array([[[1.0], [3.0], [6.0]]])
    y = np.array([[10.0, 15.0]])
    last = x[:, -1, :]
    s = Scaler("diff", np.zeros(1), np.ones(1), 0.0, 1.0)
    xs, ys = s.transform(x, y, last)
    np.testing.assert_allclose(xs[0, :, 0], [0, 2, 3])
    np.testing.assert_allclose(ys[0], [4, 5])
    s = Scaler("last", np.zeros(1), np.full(1, 2.0), 0.0, 2.0)
    xs, ys = s.transform(x, y, last)
    np.testing.assert_allclose(xs[0, :, 0], [-2.5, -1.5, 0])
    np.testing.assert_allclose(ys[0], [2, 4.5])


def test_too_few_training_windows_are_refused_with_the_numbers():
    """20 points and lookback 12: 2 training windows. Refused, saying how many and what to change."""
    data = SeriesData(np.arange(20.0)[:, None], ["v"])
    with pytest.raises(DataError, match=r"2 for training.*at least 20 training windows.*shorter lookback \(now 12\)"):
        prepare(data, 12, 1, "zscore", 0.1, 0.2)


SCALER_KINDS = ["none", "zscore", "minmax", "last", "diff"]


@pytest.mark.parametrize("kind", SCALER_KINDS)
@pytest.mark.parametrize("lookback, horizon", [(1, 1), (7, 3), (24, 1)])
def test_fit_from_the_series_equals_fit_on_built_windows(kind, lookback, horizon):
    """Coverage-weighted statistics of the series = statistics over every training window."""
    rng = np.random.default_rng(lookback)
    values = np.column_stack([np.cumsum(rng.normal(size=300)), rng.normal(3, 2, 300)])
    x, y, _ = make_windows(values, lookback, horizon)
    n_train = 180
    last = x[:n_train, -1, :]
    ref = Scaler.fit(kind, x[:n_train], y[:n_train], last)
    ours = Scaler.fit_series(kind, values, n_train, lookback, y[:n_train], last)
    for name in ("x_shift", "x_scale"):
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=1e-12, atol=1e-12)
    assert (ours.y_shift, ours.y_scale) == pytest.approx((ref.y_shift, ref.y_scale), rel=1e-12)


@pytest.mark.parametrize("kind", SCALER_KINDS)
def test_window_tensor_batches_equal_the_built_windows_exactly(kind):
    """Gathered per batch on the device, the model inputs are bit for bit those numpy builds."""
    import torch
    from rnnlab.batches import WindowTensor
    data = generate("sales", length=400, seed=3)
    p = prepare(data, 30, 2, kind, 0.1, 0.2)
    for part in (p.train, p.val, p.test):
        wt = WindowTensor(part, "cpu")
        built = part.scaled()
        assert len(wt) == len(part) and wt.shape == built.shape
        idx = torch.randperm(len(part))[:17]
        np.testing.assert_array_equal(wt[idx].numpy(), built[idx.numpy()])
        np.testing.assert_array_equal(wt[3:9].numpy(), built[3:9])


@pytest.mark.slow
def test_a_long_series_is_never_copied_into_windows():
    """300,000 points x lookback 200 would be 480 MB of float64 windows; prepare stays far below."""
    import tracemalloc
    values = np.cumsum(np.random.default_rng(0).normal(size=300_000))[:, None]
    tracemalloc.start()
    p = prepare(SeriesData(values, ["v"]), 200, 1, "auto", 0.1, 0.2)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(p.train) > 200_000
    assert peak < 60 * 2**20, f"prepare allocated {peak / 2**20:.0f} MB at its peak"
