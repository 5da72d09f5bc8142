"""Classical baselines a forecaster would try first: exponential smoothing (ETS) and Theta.

Both are fitted on the training part only (statsmodels), then run with those fitted parameters over
the whole series, and forecast 1..H steps ahead from the end of every window of a part: the same
targets the network and the other baselines are scored on. No parameter sees validation or test
data; their states are filtered through the observed values, as a deployed model's would be.

ETS: additive error; no trend, additive trend or damped additive trend; the detected season (when
it is short enough to fit) or none; the candidate with the lowest AIC on the training part wins.
Theta: statsmodels' ThetaModel (its own seasonality test and (de)seasonalisation, theta = 2).
"""
from __future__ import annotations

import hashlib
import threading
import warnings
from dataclasses import dataclass, field

import numpy as np

MAX_SEASON = 24  # longer seasons are not fitted by ETS (one state per season step: slow, overfitted)
MAX_FIT = 2000  # ETS and Theta are fitted on at most the last this many training points
MIN_FIT = 10  # fewer training points than this: no classical fit
MAX_CACHED = 8  # fits kept (the newest): a race, a lesson's runs or repeated Train clicks refit nothing
_cache: dict[tuple, "ClassicalFit"] = {}  # fits by (training values, period), oldest first
_lock = threading.Lock()
_lock_for: dict[tuple, threading.Lock] = {}  # a fit under way, by key


@dataclass
class EtsFit:
    trend: str | None  # None or "add"
    damped: bool
    seasonal: int | None  # the season length fitted, or None
    params: np.ndarray
    aic: float
    sigma2: float  # the one-step error variance on the training part
    names: tuple[str, ...] = ()  # statsmodels' parameter names, in the order of params

    def param(self, name: str, default: float | None = None) -> float:
        if name in self.names:
            return float(self.params[self.names.index(name)])
        if default is None:
            raise KeyError(name)
        return default

    @property
    def label(self) -> str:
        trend = "none" if self.trend is None else ("damped additive" if self.damped else "additive")
        season = f"additive, period {self.seasonal}" if self.seasonal else "none"
        return f"ETS(error additive, trend {trend}, season {season}), AIC {self.aic:.1f}"


@dataclass
class ThetaFit:
    alpha: float  # SES smoothing of the deseasonalised series
    b0: float  # slope of the linear trend on the training part
    seasonal: np.ndarray  # one index per season step (empty: not seasonal)
    multiplicative: bool
    initial: float  # SES initial level: the first deseasonalised value


@dataclass
class ClassicalFit:
    ets: EtsFit | None = None
    theta: ThetaFit | None = None
    missing: dict[str, str] = field(default_factory=dict)  # name -> why it has no row
    start: int = 0  # series index of the first training value the fits saw (MAX_FIT)


def fit_classical(train: np.ndarray, period: int | None) -> ClassicalFit:
    """ETS and Theta fitted on the training part (cached by its values and the period; a fit that
    another thread has begun (prefetch) is waited for, not started twice)."""
    train = np.asarray(train, float)
    key = (hashlib.sha1(train.tobytes()).hexdigest(), period)
    with _lock:
        if key in _cache:
            return _cache[key]
        fitting = _lock_for.setdefault(key, threading.Lock())
    with fitting:
        with _lock:
            if key in _cache:
                return _cache[key]
        fit = _fit(train, period)
        with _lock:
            _keep(key, fit)
            _lock_for.pop(key, None)
        return fit


def _keep(key: tuple, fit: ClassicalFit) -> None:
    """Cache a fit as the newest, dropping the oldest past MAX_CACHED (call under _lock)."""
    _cache.pop(key, None)
    _cache[key] = fit
    while len(_cache) > MAX_CACHED:
        del _cache[next(iter(_cache))]


def known_fits() -> dict[tuple, ClassicalFit]:
    """The fits this process holds, by key: a training child receives the server's, and sends back
    the one it made, so a run on a series the server has seen does not fit ETS and Theta again
    (0.7 s on the default series, twice that beside training in one process)."""
    with _lock:
        return dict(_cache)


def remember(fits: dict[tuple, ClassicalFit]) -> None:
    """Add fits made elsewhere (another process) to this process's cache."""
    with _lock:
        for key, fit in fits.items():
            _keep(key, fit)


def prefetch(train: np.ndarray, period: int | None) -> threading.Thread:
    """Fit in a background thread while the network trains, so the run's end does not wait for it."""
    t = threading.Thread(target=fit_classical, args=(np.array(train, float), period), name="rnnlab-classical",
                         daemon=True)
    t.start()
    return t


def _fit(train: np.ndarray, period: int | None) -> ClassicalFit:
    out = ClassicalFit()
    if len(train) < MIN_FIT:
        out.missing = {k: f"only {len(train)} training points to fit it on" for k in ("ets", "theta")}
        return out
    out.start = max(0, len(train) - MAX_FIT)
    train = train[out.start:]
    if np.ptp(train) == 0:
        out.missing = {k: "the training part is constant" for k in ("ets", "theta")}
        return out
    for name, fit in (("ets", fit_ets), ("theta", fit_theta)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter; a failed fit is reported below
                setattr(out, name, fit(train, period))
        except Exception as e:  # noqa: BLE001 - statsmodels raises many kinds; the row says why it is missing
            out.missing[name] = f"the fit failed ({type(e).__name__}: {str(e)[:120]})"
    return out


def _ets_model(y: np.ndarray, trend, damped: bool, seasonal: int | None):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    return ETSModel(y, error="add", trend=trend, damped_trend=damped,
                    seasonal="add" if seasonal else None, seasonal_periods=seasonal)


def fit_ets(train: np.ndarray, period: int | None) -> EtsFit:
    """The candidate with the lowest AIC on the training part."""
    seasons = [None] + ([period] if period and 2 <= period <= MAX_SEASON and len(train) >= 3 * period else [])
    best = None
    for seasonal in seasons:
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            res = _ets_model(train, trend, damped, seasonal).fit(disp=False)
            if np.isfinite(res.aic) and (best is None or res.aic < best.aic):
                best = EtsFit(trend, damped, seasonal, np.asarray(res.params), float(res.aic), float(res.mse),
                              tuple(res.param_names))
    if best is None:
        raise ValueError("no ETS candidate gave a finite AIC")
    return best


def ets_forecasts(fit: EtsFit, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """(n, H): forecasts 1..H steps after each origin (the index of the last value seen), from the
    fitted model's states filtered over the whole series y with its training parameters."""
    level, trend, season = ets_states(fit, y)
    phi = fit.param("damping_trend", 1.0)
    h = np.arange(1, horizon + 1)
    out = level[origins][:, None] + trend[origins][:, None] * np.cumsum(phi ** h)[None, :]  # l + (phi+..+phi^h) b
    if fit.seasonal:
        m = fit.seasonal
        back = origins[:, None] + h[None, :] - m * ((h[None, :] - 1) // m + 1)  # the same season, last seen
        out += season[back + m]  # season[j + m] is the seasonal state at time j (j >= -m)
    return out


def ets_states(fit: EtsFit, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Level and trend after each value of y, and the seasonal states from time -m on, by the
    additive-error recursions (Hyndman et al.) with the fitted parameters and initial states:
    e_t = y_t - (l + phi b + s_{t-m}); l_t = l + phi b + alpha e_t; b_t = phi b + beta e_t;
    s_t = s_{t-m} + gamma e_t. statsmodels' ETSModel.smooth gives the same states (tested)."""
    alpha, beta = fit.param("smoothing_level"), fit.param("smoothing_trend", 0.0)
    gamma, phi = fit.param("smoothing_seasonal", 0.0), fit.param("damping_trend", 1.0)
    lv, b = fit.param("initial_level"), fit.param("initial_trend", 0.0)
    m = fit.seasonal or 0
    season = np.zeros(len(y) + m)
    if m:  # initial_seasonal.0 is the most recent season step before the first value
        season[:m] = [fit.param(f"initial_seasonal.{i}") for i in reversed(range(m))]
    level, trend = np.empty(len(y)), np.empty(len(y))
    for t, v in enumerate(np.asarray(y, float).tolist()):
        e = v - (lv + phi * b + season[t])
        lv, b = lv + phi * b + alpha * e, phi * b + beta * e
        if m:
            season[t + m] = season[t] + gamma * e
        level[t], trend[t] = lv, b
    return level, trend, season


def fit_theta(train: np.ndarray, period: int | None) -> ThetaFit:
    from statsmodels.tsa.forecasting.theta import ThetaModel
    seasonal = period if period and 2 <= period and len(train) >= 2 * period else None
    res = ThetaModel(train, period=seasonal or 1, deseasonalize=bool(seasonal)).fit()
    model = res.model
    indices = np.asarray(res._seasonal, float) if model.deseasonalize and model._has_seasonality else np.empty(0)
    mult = model.method.startswith("mul")
    first = train[0] / indices[0] if mult and len(indices) else train[0] - (indices[0] if len(indices) else 0.0)
    return ThetaFit(float(res.params["alpha"]), float(res.params["b0"]), indices, mult, float(first))


def theta_forecasts(fit: ThetaFit, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """(n, H): the Theta forecast from each origin with the training fit (alpha, b0, season)."""
    y = np.asarray(y, float)
    m = len(fit.seasonal)
    season = fit.seasonal[np.arange(len(y) + horizon) % m] if m else None
    flat = (y / season[:len(y)] if fit.multiplicative else y - season[:len(y)]) if m else y
    from scipy.signal import lfilter
    a = fit.alpha  # SES level after each observation, started at the first value: l_t = a v_t + (1 - a) l_{t-1}
    level = lfilter([a], [1.0, -(1 - a)], flat, zi=[(1 - a) * fit.initial])[0]
    nobs = origins + 1  # values seen at each origin
    h = np.arange(horizon)[None, :].astype(float)
    trend = fit.b0 * (h + 1 / a - ((1 - a) ** nobs[:, None]) / a) if a > 0 else fit.b0 * h
    out = 0.5 * trend + level[origins][:, None]
    if m:
        s = season[origins[:, None] + 1 + np.arange(horizon)[None, :]]
        out = out * s if fit.multiplicative else out + s
    return out


def classical_predictions(fit: ClassicalFit, y: np.ndarray, t0: np.ndarray, horizon: int) -> dict[str, np.ndarray]:
    """Each fitted classical model's (n, H) forecasts for the windows whose first target is at t0."""
    origins = np.asarray(t0, int) - 1 - fit.start  # the fits start at the first value they saw
    y = np.asarray(y, float)[fit.start:]
    out = {}
    if fit.ets is not None:
        out["ets"] = ets_forecasts(fit.ets, y, origins, horizon)
    if fit.theta is not None:
        out["theta"] = theta_forecasts(fit.theta, y, origins, horizon)
    return out
