"""What a finished run means, for people: the verdict against the best baseline, metric rows with
their explanations, and the per-window predictions table (with dates when the data has them)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnlab.data.generators import GENERATORS
from rnnlab.result import RunResult
from rnnlab.windows import Part

MIN_TEST_WINDOWS = 10  # below this many test windows no verdict is given: the test is too small
METRIC_WORDS = {
    "mae": "MAE — mean absolute error, in the series' units: the typical miss. The verdict uses it.",
    "rmse": "RMSE — root mean squared error, in the series' units: like MAE but punishes big misses more.",
    "smape": "sMAPE — symmetric mean absolute percentage error (0–200 %): misses relative to the values' size.",
    "mase": "MASE — MAE divided by the average one-step change in the training data: below 1 beats "
            "a naive step-ahead guess.",
}
BASELINE_NAMES = {"persistence": "persistence (repeat the last value)", "mean": "window mean",
                  "seasonal_naive": "seasonal naive (repeat last season)", "linear": "linear autoregression",
                  "ets": "exponential smoothing (ETS)", "theta": "Theta method"}


@dataclass
class Verdict:
    """One judgement of a run on its test part."""

    level: str  # "good" (beats every baseline), "warn" (a baseline wins, or too few windows), "bad"
    text: str  # one sentence with the numbers
    advice: str = ""  # one line on what to try, when the model did not win
    best: str | None = None  # the baseline with the lowest test MAE

    @property
    def line(self) -> str:
        return f"{self.text} {self.advice}".strip()

    def to_dict(self) -> dict:
        """The verdict as the CLI's JSON and run files carry it."""
        return {"level": self.level, "text": self.line, "best_baseline": self.best}



def verdict(result: RunResult) -> Verdict:
    """Green only when the model beats every baseline (classical ones included) on test MAE;
    otherwise name the best one. With H > 1 the MAE is over every step ahead, and the verdict says so."""
    v = _verdict(result)
    h = result.config.data.horizon
    if h > 1 and result.mae is not None:
        v.text += f" (MAE over all {h} steps ahead; Predict shows each step.)"
    return v


def _verdict(result: RunResult) -> Verdict:
    model = result.mae
    n = result.test.get("n", 0)
    name, best = result.best_baseline()
    if model is None or not np.isfinite(model):
        return Verdict("bad", "The model produced no finite predictions, so it has no test score.",
                       "Lower the learning rate or turn on gradient clipping.", name)
    if name is None:
        return Verdict("warn", f"Test MAE {model:.4g}; no baseline could be computed to compare with.")
    label = BASELINE_NAMES.get(name, name)
    if result.flat:
        return Verdict("warn", f"The series does not change over its training part, so there is nothing for a "
                       f"network to learn: test MAE {model:.4g}, best baseline {label} {best:.4g}.",
                       "Check the column: a constant column is usually the wrong one, or a placeholder.", name)
    if n < MIN_TEST_WINDOWS:
        return Verdict("warn", f"Only {n} test windows: too few to judge (model MAE {model:.4g}, best "
                       f"baseline {label} {best:.4g}).", "Use a longer series, a shorter lookback or a "
                       f"larger test share to get at least {MIN_TEST_WINDOWS}.", name)
    shrink = result.shrink or {}
    if shrink.get("alpha") == 0.0:  # the network was shrunk all the way: it now is persistence
        line = ("The trained network did no better than repeating the last value on validation, so it was "
                f"shrunk to exactly that: test MAE {model:.4g}, the same as persistence.")
        if name != "persistence" and best < model:
            line += f" The {label} baseline is better: {best:.4g}."
        return Verdict("warn", line, _advice(name, result), name)
    if model < best:
        gain = (1 - model / best) * 100 if best > 0 else 0.0
        return Verdict("good", f"Beats every baseline on test MAE: {model:.4g} against {best:.4g} for the "
                       f"best one ({label}), {gain:.0f} % lower.", best=name)
    return Verdict("warn", f"The {label} baseline is better: test MAE {best:.4g} against {model:.4g} for "
                   f"the model ({times(model, best)} its error).", _advice(name, result), name)


def times(a: float, b: float) -> str:
    """a / b for people: 1.37×, 57×, 1,234× or 'over a million times' (b = 0: 'infinitely many times')."""
    if b <= 0:
        return "infinitely many times"
    r = a / b
    if r >= 1e6:
        return "over a million times"
    return f"{r:.2f}×" if r < 10 else f"{r:,.0f}×"


def _advice(best: str, result: RunResult) -> str:
    data = result.config.data
    lookback, period = data.lookback, result.seasonal_period
    spec = GENERATORS.get(data.generator)
    if best == "linear" and spec is not None and spec.kind == "panel" and not data.csv_path:
        return ("A linear model of the window's values does better on this task: the network has not "
                "learned to use the window yet; train longer, or try an LSTM or GRU.")
    if best == "linear":
        highway = result.config.model.highway
        return ("The series is smooth or seasonal: a linear model already predicts it well; "
                + ("try a longer lookback or more epochs." if highway else
                   "turn on the linear highway (Train, Model) so the network learns only what the linear "
                   "model misses, or try a longer lookback or more epochs."))
    if best == "seasonal_naive":
        return (f"The series repeats every {period} steps: keep the lookback at least that long "
                f"(now {lookback}) and train longer.")
    if best in ("ets", "theta"):
        return ("A classical model that smooths the level, trend and season does better: on short, regular "
                "series it is hard to beat. Try the linear highway, a lookback of at least one season and "
                "more epochs, or keep the classical model.")
    if best == "persistence":
        return ("The series moves like a random walk: the last value is hard to beat. Predicting changes "
                "(scaler last or diff) and more epochs help; often nothing beats it.")
    return ("The model misses by more than the window's average: it has not learned the pattern yet; "
            "train longer, raise the learning rate or check the scaler.")


TIE_RTOL = 1e-6  # MAEs this close (relative) are the same figure


def metrics_rows(result: RunResult) -> list[dict]:
    """Model and baselines as table rows (test part, original units), best MAE flagged: every row
    within TIE_RTOL of the lowest (a network shrunk to persistence computes it in float32, a hair
    off persistence's own figure; that is a tie, not a win)."""
    rows = [{"predictor": "model", **result.test}]
    rows += [{"predictor": k.replace("_", " "), **v} for k, v in result.baselines.items()]
    rows = [{k: v for k, v in r.items() if k not in ("n", "by_horizon")} for r in rows]
    maes = [r["mae"] if r.get("mae") is not None and np.isfinite(r["mae"]) else np.inf for r in rows]
    for i, r in enumerate(rows):
        r["best"] = bool(np.isfinite(maes[i]) and maes[i] <= min(maes) * (1 + TIE_RTOL))
    return rows


def horizon_table(result: RunResult) -> pd.DataFrame:
    """Test MAE per step ahead (rows 1..H), one column for the model and one per baseline."""
    curves = {"model": result.test["by_horizon"]} | {k: v["by_horizon"] for k, v in result.baselines.items()}
    return pd.DataFrame({name: [r["mae"] for r in rows] for name, rows in curves.items()},
                        index=pd.Index(range(1, result.config.data.horizon + 1), name="step ahead"))


def band_line(result: RunResult) -> tuple[str, str] | None:
    """(alert level, sentence) about the prediction interval: its coverage on test, or why there is none."""
    band = result.interval
    if band is None:
        return None
    if band["coverage"] is None:
        return "info", band["warning"][:1].upper() + band["warning"][1:]
    line = (f"**{band['level']:.0%} prediction interval** (split conformal, calibrated on "
            f"{band['calibration_windows']} validation windows): it covered **{band['coverage']:.1%}** of the "
            f"{result.windows['test'] * result.config.data.horizon} test targets; mean width {band['mean_width']:.4g}.")
    return ("warn", f"{line} ⚠ {band['warning']}") if band["warning"] else ("info", line)


def predictions_frame(s) -> pd.DataFrame:
    """One row per window (first horizon step): part, time index, date when known, true, predicted."""
    from rnnlab.evaluate import predict  # torch: loaded when a model is evaluated, not with the pages
    frames = []
    dates = None if s.prep.panel else getattr(s.data, "dates", None)
    for name in ("train", "val", "test"):
        part = getattr(s.prep, name)
        if len(part):
            pred = predict(s.model, part, s.prep.scaler, s.device)
            f = pd.DataFrame({"part": name, "t": part.t0})
            if dates is not None:
                f["date"] = dates[part.t0]
            f["true"], f["predicted"], f["persistence"] = part.y_raw[:, 0], pred[:, 0], part.last[:, 0]
            frames.append(f)
    return pd.concat(frames, ignore_index=True)


def predictions_table(s) -> pd.DataFrame:
    """One row per test target (window x step ahead): `date` (or `step`, the series index; for a
    panel the sample), `horizon_step` when H > 1, `actual`, `predicted`, `lower` and `upper` of the
    conformal band (empty without one), then one column per baseline. The test MAE and the band's
    coverage in the run's result are these rows' mean |actual - predicted| and share inside the band."""
    from rnnlab.evaluate import evaluate  # torch: loaded when a model is evaluated, not with the pages
    ev = evaluate(s.model, s.prep, s.device, level=s.config.train.interval)
    part, h = s.prep.test, s.prep.horizon
    steps = np.arange(h)
    index = part.t0[:, None] + (0 if s.prep.panel else steps[None, :])  # the target's position
    dates = None if s.prep.panel else getattr(s.data, "dates", None)
    frame = pd.DataFrame({"date": dates[index.ravel()]} if dates is not None else {"step": index.ravel()})
    if h > 1:
        frame["horizon_step"] = np.tile(steps + 1, len(part))
    pred = ev["predictions"]
    frame["actual"], frame["predicted"] = part.y_raw.ravel(), pred.ravel()
    width = ev["halfwidth"]
    frame["lower"] = (pred - width).ravel() if width is not None else np.nan
    frame["upper"] = (pred + width).ravel() if width is not None else np.nan
    for name, values in ev["baseline_predictions"].items():
        frame[name] = np.asarray(values, float).ravel()
    return frame


def future_dates(dates: pd.DatetimeIndex | None, steps: int) -> tuple[pd.DatetimeIndex | None, str | None]:
    """Dates of `steps` points after the series' end, from its inferred frequency, or (None, why not)."""
    if dates is None or len(dates) < 3:
        return None, None
    with warnings.catch_warnings():  # pandas 3 warns that infer_freq will return an offset, not a string:
        warnings.simplefilter("ignore", DeprecationWarning)  # date_range below takes either
        freq = pd.infer_freq(dates[-min(len(dates), 50):])
    if freq is None:
        return None, "the dates are not evenly spaced, so forecast steps are counted, not dated"
    return pd.date_range(dates[-1], periods=steps + 1, freq=freq)[1:], None


def live_fit_frame(s, model, max_windows: int = 2000) -> pd.DataFrame:
    """The current fit on the last validation windows (training windows if there are none), for
    a chart redrawn while training: x (date or step), true and predicted, first horizon step."""
    from rnnlab.evaluate import predict  # torch: loaded when a model is evaluated, not with the pages
    part = s.prep.val if len(s.prep.val) else s.prep.train
    a = max(0, len(part) - max_windows)
    tail = Part(part.windows, part.pos[a:], part.y_raw[a:], part.last[a:], part.y[a:], part.t0[a:])
    pred = predict(model, tail, s.prep.scaler, s.device)
    dates = None if s.prep.panel else getattr(s.data, "dates", None)
    x = dates[tail.t0] if dates is not None else tail.t0
    return pd.DataFrame({"x": x, "true": tail.y_raw[:, 0], "predicted": pred[:, 0]})
