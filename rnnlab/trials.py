"""Trials of a Tune search: where they are scored (lookbacks, origins), the row each one is shown
as, and the rule that picks the best.

A search's lowest validation score is partly luck, the more so the more trials ran and the fewer
validation windows there are. Your settings are trial 0; in trial order, a later trial replaces the
best so far only when it is at least MARGIN lower on average and lower window by window beyond
luck (a paired t test whose bar rises with the number of trials). The table says why, trial by trial.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from rnnlab.config import RunConfig
from rnnlab.data import PanelData
from rnnlab.windows import MIN_TRAIN_WINDOWS, split_points

FOLD_WINDOWS = 30  # a validation part shorter than this is scored at earlier origins too ...
MAX_ORIGINS = 4  # ... at most this many in all (each costs a training run per trial)
MARGIN = 0.05  # a trial replaces the best so far only with a validation MSE this much lower (noise: no win)
Z_MIN = 2.0  # ... and lower window by window by at least this many standard errors (more after many trials)


@dataclass
class TrialRow:
    """One trial as pages and the CLI show it."""

    number: int
    params: dict
    state: str = "running"  # running | complete | pruned | failed | stopped (by Stop, while it ran)
    value: float | None = None  # validation MSE in original units (lower is better)
    epochs: int = 0
    seconds: float = 0.0
    loss: str = ""  # the loss the run used (auto resolves to every or last)
    message: str = ""
    origins: int = 0  # validation blocks scored so far (value: their mean once all are)
    alpha: float | None = None  # shrink at the usual origin (1: kept as trained; None: no shrink applies)
    errors: np.ndarray | None = field(default=None, repr=False, compare=False)  # per validation window


def margin(n_val_windows: int) -> float:
    """How much lower a trial's validation MSE must be to replace the best so far: MARGIN, or the
    noise of an MSE over n windows (about 1/sqrt(n) relative) where that is larger."""
    return max(MARGIN, 1 / math.sqrt(max(n_val_windows, 1)))


def z_needed(trials: int) -> float:
    """How many standard errors lower a trial's validation errors must be, window by window, to replace
    the best so far once `trials` trials have run: the luckiest of k equally good trials scores about
    sqrt(2 ln k) standard errors low by chance alone (the expected maximum of k normal draws); Z_MIN
    at least."""
    return max(Z_MIN, math.sqrt(2 * math.log(max(trials, 1))))


def paired_t(new: np.ndarray, best: np.ndarray) -> float:
    """The t statistic of the mean difference in squared error, window by window (a Diebold-Mariano
    test for one-step forecasts): negative where `new` is lower."""
    d = np.asarray(new, float) - np.asarray(best, float)
    sd = float(d.std(ddof=1)) if len(d) > 1 else 0.0
    if sd == 0.0:
        return -math.inf if d.mean() < 0 else 0.0
    return float(d.mean() / (sd / math.sqrt(len(d))))


def judge(new: TrialRow, best: TrialRow, n_val_windows: int) -> tuple[bool, str]:
    """(whether a complete trial replaces the best so far, why, in a few words): a validation MSE at
    least MARGIN lower, and lower window by window by z_needed(trials so far) standard errors. Rows
    without per-window errors (never a real trial) fall back to margin(n_val_windows)."""
    if new.value >= best.value:
        return False, f"not lower than trial {best.number}"
    if new.value >= (1 - MARGIN) * best.value:
        return False, f"under {MARGIN:.0%} lower than trial {best.number}"
    if new.errors is None or best.errors is None or len(new.errors) != len(best.errors):
        need = margin(n_val_windows)
        ok = new.value < (1 - need) * best.value
        return ok, "new best" if ok else f"under {need:.0%} lower than trial {best.number}"
    t, z = paired_t(new.errors, best.errors), z_needed(new.number + 1)
    if t <= -z:
        return True, f"new best (t {t:.1f})"
    return False, f"lower than trial {best.number}, within luck (t {t:.1f}; needs -{z:.1f})"


def beats(new: TrialRow, best: TrialRow, n_val_windows: int) -> bool:
    """Whether a complete trial replaces the best so far (see judge)."""
    return judge(new, best, n_val_windows)[0]


def _incumbents(rows: list[TrialRow], n_val_windows: int):
    """(complete trial, the best after it, why) in trial order: your settings (trial 0) first, replaced
    only by a trial that beats it (see judge)."""
    best = None
    for r in sorted(rows, key=lambda r: r.number):
        if r.state == "complete" and r.value is not None:
            if best is None:
                best, why = r, "your settings" if r.number == 0 else "first to finish"
            else:
                won, why = judge(r, best, n_val_windows)
                best = r if won else best
            yield r, best, why


def verdicts(rows: list[TrialRow], n_val_windows: int = 10_000) -> dict[int, str]:
    """For each complete trial, why it is or is not the best so far (the table's last column)."""
    return {r.number: why for r, _, why in _incumbents(rows, n_val_windows)}


def pick_best(rows: list[TrialRow], n_val_windows: int = 10_000) -> TrialRow | None:  # default: margin MARGIN
    """The best complete trial (see _incumbents). On a few dozen validation windows the lowest of many
    trials is partly luck (on a 60-point walk it lost to persistence by 24 %; on a level shift, a trial
    20 % below persistence on validation had 5x its test MSE): a change must earn its place."""
    best = None
    for _, best, _ in _incumbents(rows, n_val_windows):
        pass
    return best


def best_so_far(rows: list[TrialRow], n_val_windows: int = 10_000) -> list[tuple[int, float]]:
    """(trial number, the best's validation MSE) after each complete trial: the chart's line."""
    return [(r.number, best.value) for r, best, _ in _incumbents(rows, n_val_windows)]


def table(rows: list[TrialRow], n_val_windows: int = 10_000) -> list[dict]:
    """The trials as the Tune page lists them, newest first: state, score, why it is or is not the
    best so far, the shrink factor, the settings, epochs and validation blocks."""
    why = verdicts(rows, n_val_windows)
    out = []
    for r in reversed(rows):
        judged = why.get(r.number) or (f"pruned at epoch {r.epochs}: behind the median trial"
                                       if r.state == "pruned" else r.message)
        out.append({"trial": r.number, "state": r.state, "validation MSE": r.value, "judged": judged,
                    "shrink α": "—" if r.alpha is None else f"{r.alpha:.2f}", **r.params, "epochs": r.epochs,
                    "blocks": r.origins})
    return out


# where trials are scored ----------------------------------------------------------------------

def best_line(best: TrialRow, persistence: float | None = None) -> str:
    """The best trial in one line (markdown): number, validation MSE, persistence's, its settings."""
    params = ", ".join(f"{k} {v:.2g}" if isinstance(v, float) else f"{k} {v}" for k, v in best.params.items())
    versus = f" (persistence: {persistence:.5g})" if persistence is not None else ""
    return f"**Best so far:** trial {best.number}, validation MSE {best.value:.5g}{versus} — {params}"


def outcome_note(best: TrialRow, persistence: float) -> tuple[str, str] | None:
    """(level, sentence) once a search is over and its best trial did not beat persistence: said
    aloud, since the tuned network will then not beat it on the test part either; None otherwise."""
    if best.alpha is not None and best.alpha < 1:
        return "info", (f"The best trial lost to repeating the last value on validation and is scored after its "
                        f"shrink toward it (α {best.alpha:.2f}; 0 repeats the last value): expect about "
                        "persistence's accuracy. On a series like this, persistence may simply be the best forecast.")
    if best.value >= persistence:
        return "warning", ("No trial beat repeating the last value on the validation windows: expect the tuned "
                           "network to lose to persistence on the test part too. On a series like this, "
                           "persistence may simply be the best forecast.")
    return None


def judging_line(n_origins: int, n_val_windows: int, n_trials: int) -> str:
    """How trials are scored and judged, in words, for the Tune page."""
    blocks = (f"The validation part is short, so every trial is also trained and scored at {n_origins - 1} "
              f"earlier origin(s), the blocks just before it (the test part stays unseen); its validation MSE "
              f"is the mean over {n_origins} blocks. ") if n_origins > 1 else ""
    return blocks + (f"{n_val_windows} validation windows. A trial replaces the best so far only with a "
                     f"validation MSE at least {MARGIN:.0%} lower that is also lower window by window by "
                     f"{z_needed(n_trials):.1f} standard errors now (the bar rises with the number of trials: "
                     "the luckiest of many scores low by chance).")


def lookback_choices(cfg: RunConfig, data) -> tuple[int, ...]:
    """Half, the same and twice the suggested lookback (the configured one for a panel: fixed)."""
    if isinstance(data, PanelData):
        return (cfg.data.lookback,)
    from rnnlab.suggest import suggest_lookback
    base, _ = suggest_lookback(data.values, cfg.data.val_fraction, cfg.data.test_fraction)
    n_train = int(len(data.values) * (1 - cfg.data.val_fraction - cfg.data.test_fraction))
    cap = max(2, n_train // 3)
    return tuple(sorted({max(2, base // 2), min(base, cap), min(2 * base, cap)}))


@dataclass
class Origin:
    """Where a trial is trained and scored: the series (for an earlier origin, cut so that it ends
    inside the usual training and validation parts) and the shares that put its validation block."""

    data: object
    val_fraction: float
    test_fraction: float

    def config(self, cfg: RunConfig) -> RunConfig:
        out = cfg.copy()
        out.data.val_fraction, out.data.test_fraction = self.val_fraction, self.test_fraction
        return out


def origins(base: RunConfig, data, lookbacks: tuple[int, ...]) -> list[Origin]:
    """The usual split, then, for a validation part under FOLD_WINDOWS points, the blocks of its
    length just before it (each origin's series is cut one block after its validation block: a
    stand-in test part inside the usual training and validation parts, never in the test part), as
    long as the origin keeps MIN_TRAIN_WINDOWS training windows at the longest lookback."""
    d = base.data
    usual = [Origin(data, d.val_fraction, d.test_fraction)]
    if isinstance(data, PanelData):
        return usual
    train_end, val_end = split_points(len(data.values), d.val_fraction, d.test_fraction)
    block = val_end - train_end
    if block == 0 or block >= FOLD_WINDOWS:
        return usual
    out = list(usual)
    for m in range(1, min(MAX_ORIGINS, math.ceil(FOLD_WINDOWS / block))):
        start = train_end - m * block  # this origin's validation block: [start, start + block)
        n = start + 2 * block
        if start - max(lookbacks) - base.data.horizon + 1 < MIN_TRAIN_WINDOWS or split_points(
                n, block / n, block / n) != (start, start + block):
            break
        cut = dataclasses.replace(data, values=data.values[:n], dates=None if data.dates is None else data.dates[:n])
        out.append(Origin(cut, block / n, block / n))
    return out
