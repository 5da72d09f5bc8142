"""One-click lessons: a paragraph, the settings that show it, and the runs it starts.

Each lesson is a RunConfig (the app's defaults with the lesson's settings on top) and, for a race,
the named changes each raced run makes to it; everything else (data, seed, batch order, budget)
is shared. The numbers quoted in the texts were measured on CPU with these exact settings by
`python -m benchmarks.bench_lessons`, and tests/test_lessons.py checks the claims that matter.
"""
from __future__ import annotations

from dataclasses import dataclass

from rnnlab.config import RACE_CELLS, RunConfig
from rnnlab.equations import JACOBIANS, JACOBIANS_WORDS
from rnnlab.errors import ConfigError
from rnnlab.presets import PRESETS


@dataclass(frozen=True)
class Lesson:
    slug: str  # its name in links (?lesson=...)
    title: str
    text: str  # one paragraph, markdown; the measured numbers it quotes come from bench_lessons
    settings: dict | None  # {"data": {...}, "model": {...}, "train": {...}} over the defaults; None: keep the user's
    race: tuple[tuple[str, dict], ...] = ()  # (run name, changes) per raced run; () trains one run
    page: str = "compare"  # where to watch: "train" (one run) or "compare" (a race)
    needs_csv: bool = False  # the user's own upload is the data
    formula: tuple[str, str] | None = None  # (LaTeX, one sentence) the lesson's chart comes from

    @property
    def short(self) -> str:
        """A prefix for the names of this lesson's runs in the run picker."""
        return self.slug.split("-")[0]


def _with(preset: str, **parts) -> dict:
    """A preset's settings with some parts' values changed (the app probes, auto-spaced, in lessons)."""
    out = {part: dict(values) for part, values in PRESETS[preset].items()}
    for part, values in parts.items():
        out.setdefault(part, {}).update(values)
    out.setdefault("train", {}).setdefault("probe_every", -1)
    return out


LESSONS: dict[str, Lesson] = {lesson.slug: lesson for lesson in [
    Lesson(
        "keras-mistake", "The classic Keras mistake",
        "The Keras tutorial this project grew from trains SimpleRNN(50) on 1,000 random walks that start "
        "anywhere between 0 and 100 — **without scaling**. Its tanh units saturate and the output cannot "
        "reach values that large in 20 epochs. Raced here on the same data, weights and batch order: "
        "measured on CPU, test MSE **{unscaled_mse}** unscaled against **{scaled_mse}** scaled, "
        "and {persistence_mse} for simply repeating the last value (persistence), the best any model can "
        "do on a random walk.",
        _with("keras-classic"),
        race=(("unscaled (the tutorial)", {"data": {"scaler": "none"}}), ("scaled (rnnlab)", {}))),
    Lesson(
        "vanishing", "Vanishing gradients",
        "A tanh RNN must output the input it saw 40 steps before the end of a 60-step window of noise. "
        "The chart on the right shows how much of the loss's gradient reaches each time step, on a log "
        "axis. Measured after 10 epochs on CPU: at 40 steps back the gradient is about "
        "**{grad_ratio_40}** of its size at the last step, so the weights get almost no signal to "
        "remember that far, and the test R² is **{r2}** (guessing). A linear model on the same window solves "
        "this task exactly: the verdict says so. Open **Inspect** for the whole story.",
        _with("vanishing"), page="train", formula=(JACOBIANS, JACOBIANS_WORDS)),
    Lesson(
        "exploding", "Exploding gradients and clipping",
        "A ReLU RNN whose recurrent matrix starts as 1.2 × identity can multiply the gradient by 1.2 at "
        "every step back: 1.2⁶⁰ ≈ 56,000 across a 60-step window of a sine wave. Raced with the same "
        "seed and learning rate 0.01: without clipping the updates blow up and the fit is ruined (test "
        "MSE **{noclip_mse}**, measured on CPU); clipping the gradient norm at 1 keeps the same model "
        "at **{clip_mse}** (R² 0.97–0.99). Twenty epochs are short: the linear baseline (0.0021) still wins.",
        _with("exploding"),
        race=(("no clipping", {"train": {"clip": 0.0}}), ("clipped at 1", {"train": {"clip": 1.0}}))),
    Lesson(
        "gated-memory", "Gated cells remember longer",
        "The adding problem: 50 random values, two of them marked, and the target is the sum of the "
        "marked two, so the model must carry a value across up to 49 steps. The tanh RNN, the LSTM and the "
        "GRU race with the same data, seed, batch order and 80 epochs. Measured on CPU over seeds 0–3, "
        "test R²: RNN **{rnn_r2}**, LSTM **{lstm_r2}**, GRU **{gru_r2}** (R² 0 is guessing the mean; "
        "the memory-horizon experiment, `python -m rnnlab memory`, gives the longer view).",
        {"data": {"generator": "adding", "samples": 2000, "lookback": 50, "scaler": "none"},
         "model": {"cell": "rnn", "hidden": 32},
         "train": {"epochs": 80, "lr": 3e-3, "batch_size": 64, "clip": 1.0, "probe_every": -1}},
        race=tuple((cell, {"model": {"cell": cell}}) for cell in RACE_CELLS)),
    Lesson(
        "own-data", "Your own data",
        "Upload a CSV on the **Data** page (dates and the number format are detected, and every guess "
        "is shown), then race the tanh RNN, the LSTM and the GRU on it with your settings, the same seed "
        "and the same budget. The scoreboard names the winner, and says so when a baseline beats them all.",
        None, race=tuple((cell, {"model": {"cell": cell}}) for cell in RACE_CELLS), needs_csv=True),
]}

# Measured by `python -m benchmarks.bench_lessons` (CPU, one thread, torch 2.13, seeds 0-3).
MEASURED: dict[str, dict[str, str]] = {
    "keras-mistake": {"unscaled_mse": "1,293–1,394", "scaled_mse": "0.074–0.075", "persistence_mse": "0.074"},
    "vanishing": {"grad_ratio_40": "10⁻⁹ (2·10⁻¹⁰ to 3·10⁻⁹ over seeds 0–3)", "r2": "−0.01"},
    "exploding": {"noclip_mse": "15,000 to 216,000 over seeds 0–3", "clip_mse": "0.0035–0.013"},
    "gated-memory": {"rnn_r2": "−0.12 to 0.00", "lstm_r2": "0.987–0.996", "gru_r2": "0.995–0.997"},
    "own-data": {},
}


def lesson(slug: str) -> Lesson:
    if slug not in LESSONS:
        raise ConfigError(f"unknown lesson {slug!r}; choose one of {', '.join(LESSONS)}.")
    return LESSONS[slug]


def text(slug: str) -> str:
    """The lesson's paragraph with its measured numbers."""
    return lesson(slug).text.format(**MEASURED.get(slug, {}))


def lesson_dict(slug: str) -> dict | None:
    """The lesson's whole configuration as a RunConfig dict (defaults plus its settings); None when
    the lesson uses the user's own settings."""
    settings = lesson(slug).settings
    if settings is None:
        return None
    d = RunConfig().to_dict()
    for part, values in settings.items():
        d[part].update(values)
    return d


def lesson_config(slug: str) -> RunConfig | None:
    d = lesson_dict(slug)
    return None if d is None else RunConfig.from_dict(d).validate()


def lesson_runs(slug: str, cfg: RunConfig) -> list[tuple[str, RunConfig]]:
    """(run name, config) of each run the lesson starts from `cfg`: one run, or a race in which every
    run differs from `cfg` only by its named changes."""
    this = lesson(slug)
    if not this.race:
        return [(this.title, cfg)]
    out = []
    for name, changes in this.race:
        d = cfg.to_dict()
        for part, values in changes.items():
            d[part].update(values)
        out.append((f"{this.short}: {name}", RunConfig.from_dict(d)))
    return out

