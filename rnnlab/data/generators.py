"""Synthetic series and memory tasks, each deterministic for a seed.

Single-series generators return SeriesData of `length` points; panel generators (seed-sales,
delay, adding) return `samples` independent windows of `lookback` inputs and one target.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from rnnlab.data import PanelData, SeriesData
from rnnlab.errors import ConfigError


@dataclass(frozen=True)
class Param:
    """One documented generator parameter (drives CLI help and the Data page sliders)."""

    default: float
    low: float
    high: float
    help: str
    integer: bool = False


@dataclass(frozen=True)
class GeneratorSpec:
    name: str
    kind: str  # "series" (one long series, windowed later) or "panel" (independent windows)
    fn: Callable
    params: dict[str, Param]
    description: str
    check: Callable | None = None  # (lookback, **params): ConfigError for a combination fn cannot make


def seed_sales(samples: int, lookback: int, rng: np.random.Generator, start_high: float,
               step: float) -> PanelData:
    """The classic Keras SimpleRNN tutorial data: independent random walks of length lookback + 1."""
    start = rng.uniform(0.0, start_high, size=(samples, 1))
    steps = rng.uniform(-step, step, size=(samples, lookback))
    walk = np.concatenate([start, start + np.cumsum(steps, axis=1)], axis=1)  # (N, L + 1)
    return PanelData(x=walk[:, :lookback, None], y=walk[:, lookback:], names=["sales"],
                     target_name="sales", notes=["each sample is its own random walk; "
                                                 "the last value is the target"])


def sales(length: int, rng: np.random.Generator, level_step: float, weekly: float, yearly: float,
          noise: float, trend: float) -> SeriesData:
    """Daily sales: random-walk level + trend + weekly and yearly seasonality + noise."""
    t = np.arange(length)
    level = 100.0 + trend * t + np.cumsum(rng.normal(0.0, level_step, length))
    season = weekly * np.sin(2 * np.pi * t / 7) + yearly * np.sin(2 * np.pi * t / 365.25)
    y = level + season + rng.normal(0.0, noise, length)
    import pandas as pd  # here, not at the top: the first page lists the generators without pandas

    dates = pd.date_range("2020-01-01", periods=length, freq="D")
    return SeriesData(values=y[:, None], names=["sales"], dates=dates, period=7)


def sine(length: int, rng: np.random.Generator, period: float, amplitude: float,
         noise: float) -> SeriesData:
    """A sine wave plus Gaussian noise."""
    t = np.arange(length)
    y = amplitude * np.sin(2 * np.pi * t / period) + rng.normal(0.0, noise, length)
    return SeriesData(values=y[:, None], names=["sine"], period=int(round(period)))


def multi_sine(length: int, rng: np.random.Generator, period1: float, period2: float,
               period3: float, noise: float) -> SeriesData:
    """Sum of three sines of falling amplitude (1, 0.6, 0.3) plus noise."""
    t = np.arange(length)
    y = sum(a * np.sin(2 * np.pi * t / p + k) for k, (a, p) in
            enumerate([(1.0, period1), (0.6, period2), (0.3, period3)]))
    y = y + rng.normal(0.0, noise, length)
    return SeriesData(values=y[:, None], names=["multi-sine"], period=int(round(period1)))


def ar2(length: int, rng: np.random.Generator, phi1: float, phi2: float, noise: float) -> SeriesData:
    """AR(2): y_t = phi1 y_{t-1} + phi2 y_{t-2} + e_t, after a burn-in of 200 steps."""
    e = rng.normal(0.0, noise, length + 200)
    y = np.zeros(length + 200)
    for t in range(2, length + 200):
        y[t] = phi1 * y[t - 1] + phi2 * y[t - 2] + e[t]
    return SeriesData(values=y[200:, None], names=["ar"])


def mackey_glass(length: int, rng: np.random.Generator, tau: float, noise: float) -> SeriesData:
    """Mackey-Glass delay equation dx/dt = 0.2 x(t-tau)/(1+x(t-tau)^10) - 0.1 x(t), one sample per unit."""
    dt, sub = 0.1, 10  # Euler steps of 0.1, one sample every 10 steps
    lag = int(round(tau / dt))
    n = (length + 100) * sub + lag
    x = np.empty(n)
    x[: lag + 1] = 1.2 + 0.1 * rng.uniform(-1, 1)
    for t in range(lag, n - 1):
        xl = x[t - lag]
        x[t + 1] = x[t] + dt * (0.2 * xl / (1.0 + xl ** 10) - 0.1 * x[t])
    y = x[lag::sub][100:100 + length] + rng.normal(0.0, noise, length)
    return SeriesData(values=y[:, None], names=["mackey-glass"])


def square(length: int, rng: np.random.Generator, period: float, noise: float) -> SeriesData:
    """A square wave of the given period plus noise."""
    t = np.arange(length)
    y = np.where((t % period) < period / 2, 1.0, -1.0) + rng.normal(0.0, noise, length)
    return SeriesData(values=y[:, None], names=["square"], period=int(round(period)))


def delay(samples: int, lookback: int, rng: np.random.Generator, lag: float) -> PanelData:
    """Memory task: inputs are N(0, 1) noise; the target is the input `lag` steps before the last."""
    k = int(lag)
    x = rng.normal(0.0, 1.0, size=(samples, lookback, 1))
    return PanelData(x=x, y=x[:, lookback - 1 - k, :].copy(), names=["noise"],
                     target_name=f"input {k} steps ago")


def adding(samples: int, lookback: int, rng: np.random.Generator) -> PanelData:
    """The adding problem: values U(0, 1) and two markers (one per half); target = sum of the marked."""
    values = rng.uniform(0.0, 1.0, size=(samples, lookback))
    half = lookback // 2
    first = rng.integers(0, half, samples)
    second = rng.integers(half, lookback, samples)
    rows = np.arange(samples)
    marks = np.zeros_like(values)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    y = (values[rows, first] + values[rows, second])[:, None]
    return PanelData(x=np.stack([values, marks], axis=-1), y=y, names=["value", "marker"],
                     target_name="sum of marked values")


def _stationary_ar2(lookback: int, phi1: float, phi2: float, noise: float) -> None:
    if not (abs(phi2) < 1 and phi1 + phi2 < 1 and phi2 - phi1 < 1):
        raise ConfigError(f"AR(2) with phi1={phi1}, phi2={phi2} is not stationary; "
                          "keep |phi2| < 1 and phi1 + phi2 < 1.")


def _lag_in_window(lookback: int, lag: float) -> None:
    if not 0 <= int(lag) < lookback:
        raise ConfigError(f"delay lag {int(lag)} must be smaller than the lookback {lookback}.")


def _two_halves(lookback: int) -> None:
    if lookback < 2:
        raise ConfigError("the adding problem needs a lookback of at least 2.")


GENERATORS: dict[str, GeneratorSpec] = {s.name: s for s in [
    GeneratorSpec("seed-sales", "panel", seed_sales, {
        "start_high": Param(100.0, 1.0, 1000.0, "walks start at U(0, start_high)"),
        "step": Param(0.5, 0.01, 10.0, "each step is U(-step, step)"),
    }, "The classic Keras tutorial: 1000 independent random walks, predict the next value."),
    GeneratorSpec("sales", "series", sales, {
        "level_step": Param(1.0, 0.0, 10.0, "std of the daily random-walk step of the level"),
        "weekly": Param(10.0, 0.0, 50.0, "amplitude of the weekly cycle"),
        "yearly": Param(20.0, 0.0, 100.0, "amplitude of the yearly cycle"),
        "noise": Param(3.0, 0.0, 30.0, "std of daily noise"),
        "trend": Param(0.05, -1.0, 1.0, "drift per day"),
    }, "Daily sales: wandering level, weekly and yearly seasons, noise."),
    GeneratorSpec("sine", "series", sine, {
        "period": Param(50.0, 4.0, 500.0, "steps per cycle"),
        "amplitude": Param(1.0, 0.1, 10.0, "peak height"),
        "noise": Param(0.05, 0.0, 2.0, "std of added noise"),
    }, "A noisy sine wave."),
    GeneratorSpec("multi-sine", "series", multi_sine, {
        "period1": Param(50.0, 4.0, 500.0, "period of the strongest sine"),
        "period2": Param(17.0, 4.0, 500.0, "period of the second sine"),
        "period3": Param(120.0, 4.0, 1000.0, "period of the weakest sine"),
        "noise": Param(0.05, 0.0, 2.0, "std of added noise"),
    }, "Three sines of different periods plus noise."),
    GeneratorSpec("ar", "series", ar2, {
        "phi1": Param(0.6, -1.99, 1.99, "weight of y(t-1)"),
        "phi2": Param(0.3, -0.99, 0.99, "weight of y(t-2)"),
        "noise": Param(1.0, 0.01, 10.0, "std of the innovations"),
    }, "A stationary AR(2) process.", _stationary_ar2),
    GeneratorSpec("mackey-glass", "series", mackey_glass, {
        "tau": Param(17.0, 1.0, 30.0, "delay; 17 gives the classic chaotic regime"),
        "noise": Param(0.0, 0.0, 0.5, "std of observation noise"),
    }, "The chaotic Mackey-Glass delay equation (tau = 17)."),
    GeneratorSpec("square", "series", square, {
        "period": Param(40.0, 4.0, 500.0, "steps per cycle"),
        "noise": Param(0.05, 0.0, 2.0, "std of added noise"),
    }, "A noisy square wave: sharp jumps a smooth model must anticipate."),
    GeneratorSpec("delay", "panel", delay, {
        "lag": Param(10.0, 0.0, 500.0, "how many steps back the target lies", integer=True),
    }, "Memory task: output the input seen `lag` steps before the last one.", _lag_in_window),
    GeneratorSpec("adding", "panel", adding, {},
                  "Memory task: add the two marked numbers of a long sequence.", _two_halves),
]}


def generate(name: str, *, length: int = 1000, samples: int = 1000, lookback: int = 50,
             params: dict[str, float] | None = None, seed: int = 0) -> SeriesData | PanelData:
    """Build the named data set; unknown names and parameters raise ConfigError."""
    spec, kwargs = checked_params(name, params, lookback)
    rng = np.random.default_rng(seed)
    if spec.kind == "panel":
        return spec.fn(samples, lookback, rng, **kwargs)
    return spec.fn(length, rng, **kwargs)


def checked_params(name: str, params: dict[str, float] | None,
                   lookback: int) -> tuple[GeneratorSpec, dict[str, float]]:
    """The generator's spec and its full keyword arguments (defaults filled in); ConfigError for an
    unknown generator or parameter, a value out of range, or a combination it cannot make."""
    if name not in GENERATORS:
        raise ConfigError(f"unknown generator {name!r}; choose one of {', '.join(GENERATORS)}.")
    spec = GENERATORS[name]
    params = dict(params or {})
    unknown = set(params) - set(spec.params)
    if unknown:
        raise ConfigError(f"{name} has no parameter(s) {', '.join(sorted(unknown))}; "
                          f"it takes {', '.join(spec.params) or 'none'}.")
    kwargs = {k: float(params.get(k, p.default)) for k, p in spec.params.items()}
    for k, p in spec.params.items():
        if not p.low <= kwargs[k] <= p.high:
            raise ConfigError(f"{name} parameter {k}={kwargs[k]} is outside [{p.low}, {p.high}].")
    if spec.check is not None:
        spec.check(lookback, **kwargs)
    return spec, kwargs


def task_lag(name: str, params: dict[str, float] | None = None) -> int | None:
    """How many steps back a memory task's answer lies, when it is one fixed lag (the delay task)."""
    if name != "delay":
        return None
    return int((params or {}).get("lag", GENERATORS["delay"].params["lag"].default))
