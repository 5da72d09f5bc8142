import numpy as np
import pytest

from rnnlab.data import PanelData, SeriesData
from rnnlab.data.generators import GENERATORS, generate
from rnnlab.errors import ConfigError


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_deterministic_and_shaped(name):
    a = generate(name, length=400, samples=50, lookback=30, seed=3)
    b = generate(name, length=400, samples=50, lookback=30, seed=3)
    c = generate(name, length=400, samples=50, lookback=30, seed=4)
    if isinstance(a, SeriesData):
        assert a.values.shape == (400, 1) and np.isfinite(a.values).all()
        np.testing.assert_array_equal(a.values, b.values)
        assert not np.array_equal(a.values, c.values)
    else:
        assert isinstance(a, PanelData)
        assert a.x.shape[:2] == (50, 30) and a.y.shape == (50, 1)
        np.testing.assert_array_equal(a.x, b.x)
        np.testing.assert_array_equal(a.y, b.y)
        assert not np.array_equal(a.x, c.x)


def test_seed_sales_is_the_keras_process():
    d = generate("seed-sales", samples=2000, lookback=50, seed=0)
    walk = np.concatenate([d.x[:, :, 0], d.y], axis=1)  # (N, 51)
    steps = np.diff(walk, axis=1)
    assert walk.shape == (2000, 51)
    assert steps.min() >= -0.5 and steps.max() <= 0.5
    assert abs(steps.var() - 1 / 12) < 0.002  # U(-0.5, 0.5) has variance 1/12
    assert walk[:, 0].min() >= 0 and walk[:, 0].max() <= 100
    assert abs(walk[:, 0].mean() - 50) < 2.5


def test_memory_tasks_targets():
    d = generate("delay", samples=20, lookback=15, params={"lag": 5}, seed=1)
    np.testing.assert_array_equal(d.y[:, 0], d.x[:, 15 - 1 - 5, 0])
    a = generate("adding", samples=20, lookback=10, seed=1)
    marks = a.x[:, :, 1]
    assert (marks.sum(axis=1) == 2).all()
    np.testing.assert_allclose(a.y[:, 0], (a.x[:, :, 0] * marks).sum(axis=1))


def test_sales_has_dates_and_weekly_period():
    d = generate("sales", length=100)
    assert d.period == 7 and len(d.dates) == 100


def test_bad_generator_input():
    with pytest.raises(ConfigError, match="unknown generator"):
        generate("nope")
    with pytest.raises(ConfigError, match="no parameter"):
        generate("sine", params={"freq": 3})
    with pytest.raises(ConfigError, match="smaller than the lookback"):
        generate("delay", lookback=10, params={"lag": 10})
    with pytest.raises(ConfigError, match="not stationary"):
        generate("ar", params={"phi1": 0.9, "phi2": 0.5})


@pytest.mark.parametrize("name", list(GENERATORS))
def test_planned_size_is_what_load_data_makes(name):
    """The sidebar names the data from its settings (inputs.planned_size): the count and window it
    shows must be those of the data load_data generates, and it must refuse what load_data refuses."""
    from rnnlab.config import DataConfig
    from rnnlab.errors import DataError
    from rnnlab.inputs import load_data, planned_size
    for length, samples, lookback in [(200, 50, 12), (1000, 1000, 30), (457, 333, 5)]:
        cfg = DataConfig(generator=name, length=length, samples=samples, lookback=lookback)
        try:
            kind, n = planned_size(cfg)
        except ConfigError:  # e.g. the delay task's lag 10 in a window of 5
            with pytest.raises(ConfigError):
                load_data(cfg)
            continue
        data = load_data(cfg)
        if kind == "panel":
            assert isinstance(data, PanelData) and (len(data.y), data.x.shape[1]) == (n, lookback)
        else:
            assert isinstance(data, SeriesData) and len(data.values) == n
    bad = DataConfig(generator=name, params={"nonsense": 1.0})
    for f in (planned_size, load_data):
        with pytest.raises(ConfigError):
            f(bad)
    huge = DataConfig(generator=name, length=2_000_000, samples=200_000, lookback=1000)
    with pytest.raises(DataError):
        planned_size(huge)
