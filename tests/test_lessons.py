"""Lessons: each claim its text makes holds with its settings on CPU, each button starts what it says,
and each lesson round-trips through its link."""
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from rnnlab.compare import scoreboard
from rnnlab.config import RunConfig
from rnnlab.diagnostics import probe_for_setup
from rnnlab.experiment import setup, train
from rnnlab.lessons import LESSONS, MEASURED, lesson_config, lesson_runs, text
from rnnlab.result import RunResult
from rnnlab.train import Probe

ROOT = Path(__file__).resolve().parent.parent
SHOP = ("day,visits\n" + "\n".join(f"2024-01-{1 + i % 28:02d},{100 + 10 * np.sin(i * 2 * np.pi / 7):.2f}"
                                   for i in range(200)) + "\n").encode()


class LessonRun(NamedTuple):
    result: RunResult
    r2: float  # 1 - test MSE / variance of the test targets
    grads: np.ndarray | None  # the last probe's gradient norm per time step


def run_lesson(slug: str) -> dict[str, LessonRun]:
    """Every run of the lesson to its end on CPU, as bench_lessons measures it (seed 0)."""
    base = lesson_config(slug)
    base.train.device = "cpu"
    out = {}
    for name, cfg in lesson_runs(slug, base):
        probes = []
        s = setup(cfg)
        _, result = train(s, [lambda e: probes.append(e) if isinstance(e, Probe) else None],
                          probe_factory=probe_for_setup)
        out[name] = LessonRun(result, 1 - result.test["mse"] / float(np.var(s.prep.test.y_raw)),
                              np.atleast_2d(probes[-1].grad_norm_per_t)[-1] if probes else None)
    return out


def test_every_lesson_has_a_paragraph_with_its_numbers_and_valid_runs():
    for slug, lesson in LESSONS.items():
        paragraph = text(slug)  # every {number} it quotes is filled in
        assert "{" not in paragraph and len(paragraph) > 100
        assert set(MEASURED[slug]) == {k for k in MEASURED[slug] if "{" + k + "}" in lesson.text}
        cfg = lesson_config(slug) or RunConfig()
        named = lesson_runs(slug, cfg)
        assert len(named) == max(1, len(lesson.race)) and len({n for n, _ in named}) == len(named)
        for (_, changes), (_, run_cfg) in zip(lesson.race, named):
            d, expected = run_cfg.to_dict(), cfg.to_dict()
            for part, values in changes.items():
                expected[part].update(values)
            assert d == expected  # a raced run differs from the others only by its named changes


@pytest.mark.slow
def test_gated_cells_remember_longer_race_is_won_by_a_gated_cell():
    results = run_lesson("gated-memory")
    rows, line = scoreboard({name: r.result for name, r in results.items()})
    winner = next(r["run"] for r in rows if r["winner"])
    assert winner in ("gated: lstm", "gated: gru"), line
    assert results["gated: rnn"].r2 < 0.1  # the tanh RNN guesses the mean, as the text says
    assert results["gated: lstm"].r2 > 0.95 and results["gated: gru"].r2 > 0.95


@pytest.mark.slow
def test_the_keras_mistake_lands_thousands_of_times_above_the_persistence_floor():
    results = run_lesson("keras-mistake")
    unscaled, scaled = results["keras: unscaled (the tutorial)"].result, results["keras: scaled (rnnlab)"].result
    floor = scaled.baselines["persistence"]["mse"]
    assert unscaled.test["mse"] > 1000 * floor
    assert scaled.test["mse"] < 1.05 * floor


@pytest.mark.slow
def test_clipping_tames_the_exploding_relu_rnn():
    results = run_lesson("exploding")
    clipped = results["exploding: clipped at 1"]
    assert results["exploding: no clipping"].result.test["mse"] > 1000 * clipped.result.test["mse"]
    assert clipped.r2 > 0.9


@pytest.mark.slow
def test_vanishing_lesson_gradient_fades_by_many_orders_over_40_steps():
    (result,) = run_lesson("vanishing").values()
    g = result.grads
    assert g[-41] / g[-1] < 1e-6 and result.r2 < 0.1


def fresh(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def widgets(at: AppTest) -> dict:
    return {k: v for k, v in at.session_state["store"].items() if k.startswith("w_")}


def stop_all(at: AppTest) -> None:
    for run in at.session_state["runs"].runs:
        run.job.stop()
        run.job.join(10)


@pytest.mark.slow
@pytest.mark.parametrize("slug", [s for s in LESSONS if not LESSONS[s].needs_csv])
def test_lesson_button_starts_its_runs_and_its_link_restores_every_widget(slug):
    at = fresh()
    at.button(key=f"lesson_{slug}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    lesson = LESSONS[slug]
    names = [r.name for r in at.session_state["runs"].runs]
    assert names == [n for n, _ in lesson_runs(slug, lesson_config(slug))]
    assert at.title[0].value == {"train": "Train", "compare": "Compare"}[lesson.page]  # the page to watch
    assert any(f"Lesson: {lesson.title}" in m.value for m in at.markdown)
    stop_all(at)
    query = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert query["lesson"] == slug
    other = fresh(query)  # the link opened in a new browser
    assert widgets(other) == widgets(at)
    assert other.session_state["lesson"] == slug


@pytest.mark.slow
def test_a_lesson_link_runs_again_to_the_same_test_metrics():
    at = fresh()
    at.button(key="lesson_keras-mistake").click().run()
    firsts = {r.name: r.job for r in at.session_state["runs"].runs}
    assert all(j.join(60) for j in firsts.values())
    query = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    other = fresh(query)
    other.switch_page("views/compare.py").run()
    other.button(key="lesson_again").click().run()  # the banner's Run again
    again = {r.name: r.job for r in other.session_state["runs"].runs}
    assert all(j.join(60) for j in again.values())
    assert sorted(again) == sorted(firsts)
    for name in firsts:
        assert again[name].result.test == firsts[name].result.test  # same seed on CPU: same metrics


@pytest.mark.slow
def test_own_data_lesson_asks_for_a_file_then_races_the_cells_on_it():
    at = fresh()
    at.button(key="lesson_own-data").click().run()
    assert at.title[0].value == "Data"  # no upload yet: the Data page, to upload one
    at.get("file_uploader")[0].set_value(("shop.csv", SHOP, "text/csv")).run()
    at.number_input(key="w_data_lookback").set_value(14).run()
    at.switch_page("views/home.py").run()
    at.button(key="lesson_own-data").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    runs = at.session_state["runs"].runs
    assert [r.name for r in runs] == ["own: rnn", "own: lstm", "own: gru"]
    assert all(r.job.config.data.csv_path == "shop.csv" and r.job.config.data.lookback == 14 for r in runs)
    stop_all(at)
    assert at.query_params["source"] in ("csv", ["csv"])


@pytest.mark.slow
def test_home_demo_button_trains_the_classic_demo_at_once():
    at = fresh()
    at.button(key="demo_button").click().run()
    assert not at.exception
    job = at.session_state["job"]
    assert job is not None and job.config.data.generator == "seed-sales" and job.config.model.hidden == 50
    assert at.title[0].value == "Train"
    assert job.join(60) and job.result.test["mse"] < 0.1
