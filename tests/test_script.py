"""The run exported as a standalone script (rnnlab/script.py): it reproduces the CLI's test metrics."""
import ast
import json
import py_compile
import shutil
import subprocess
import sys

import nbformat
import numpy as np
import pandas as pd
import pytest

from app_kit import ROOT
from rnnlab.config import RunConfig, cli_fields, flag
from rnnlab.lessons import LESSONS, lesson_dict, lesson_runs
from rnnlab.presets import PRESETS, preset_dict

SAMPLE = ROOT / "rnnlab" / "data" / "samples" / "airline-passengers.csv"
EPOCHS = 2  # small, yet past the first epoch: the optimizer state and a second shuffle are replayed


def flags(d: dict) -> list[str]:
    """CLI flags for every value of a config dict that differs from the defaults."""
    base, out = RunConfig().to_dict(), []
    for part, f in cli_fields():
        v = d[part][f.name]
        if v == base[part][f.name] or f.name in ("epochs", "device"):
            continue
        if f.name == "params":
            out += [x for k, p in v.items() for x in ("--param", f"{k}={p}")]
        elif f.name == "inputs":
            out += [f"--{flag(f)}", ",".join(v)]
        elif isinstance(v, bool):
            out.append(f"--{flag(f)}" if v else f"--no-{flag(f)}")
        else:
            out += [f"--{flag(f)}", str(v)]
    return out


def configs() -> dict[str, list[str]]:
    """Every preset, every lesson run (each race entrant) and the default recipe, as CLI flags."""
    out = {"default": []}
    out.update({f"preset-{name}": flags(preset_dict(name)) for name in PRESETS})
    for slug, lesson in LESSONS.items():
        if not lesson.needs_csv:
            for name, cfg in lesson_runs(slug, RunConfig.from_dict(lesson_dict(slug))):
                out[f"lesson-{slug}-{name.split(': ')[-1]}"] = flags(cfg.to_dict())
    return out


def eu_csv(path) -> None:
    """Dates day-first, decimal comma, thousands dot, an extra input column, a gap, two rows swapped."""
    rng = np.random.default_rng(1)
    dates = pd.date_range("2021-01-01", periods=300, freq="D")
    y, price = 1000 + np.cumsum(rng.normal(0, 20, 300)), 5 + rng.normal(0, 0.5, 300)
    num = lambda v: f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")  # noqa: E731
    rows = [f"{d:%d.%m.%Y};{num(a)};{num(b)}" for d, a, b in zip(dates, y, price)]
    rows[10] = rows[10].split(";")[0] + ";;" + rows[10].split(";")[2]
    rows[20], rows[21] = rows[21], rows[20]
    path.write_text("date;sales;price\n" + "\n".join(rows) + "\n", encoding="utf-8")


def export_and_run(tmp_path, args: list[str], name: str = "run.py") -> tuple[dict, dict, str]:
    """(the CLI's JSON, the script's JSON, the script's text): the CLI's `train --json --export-script`
    (in this process, from tmp_path), then the script in a fresh process without rnnlab, on CPU."""
    import contextlib
    import io
    import os

    from rnnlab.cli import main

    out, here = io.StringIO(), os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out):
            assert main(["train", *args, "--epochs", str(EPOCHS), "--device", "cpu", "--json",
                         "--export-script", str(tmp_path / name)]) == 0
    finally:
        os.chdir(here)
    cli = json.loads(out.getvalue())
    code = (tmp_path / name).read_text()
    if name.endswith(".ipynb"):
        nb = nbformat.reads(code, as_version=4)
        nbformat.validate(nb)
        code = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
        (tmp_path / "from_notebook.py").write_text(code)
        name = "from_notebook.py"
    run = subprocess.run([sys.executable, name], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={"PATH": ""})  # no PYTHONPATH: rnnlab cannot be imported
    assert run.returncode == 0, run.stderr[-3000:]
    return cli, json.loads(run.stdout.strip().splitlines()[-1]), code


def assert_same_metrics(cli: dict, script: dict) -> None:
    for k in ("mse", "mae"):
        a, b = cli["test"][k], script["test"][k]
        if a is None:  # a diverged run: no number, in both
            assert b is None, (k, b)
        else:
            assert b == pytest.approx(a, rel=1e-6), (k, a, b)


def assert_standalone(path, max_lines: int | None = 250) -> None:
    py_compile.compile(str(path), doraise=True)
    tree = ast.parse(path.read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"json", "math", "numpy", "pandas", "torch"}, imported
    if max_lines:
        assert len(path.read_text().splitlines()) < max_lines


@pytest.mark.slow
@pytest.mark.parametrize("name,args", list(configs().items()), ids=list(configs()))
def test_script_reproduces_every_preset_and_lesson(tmp_path, name, args):
    cli, script, _ = export_and_run(tmp_path, args)
    assert_same_metrics(cli, script)
    assert script["windows"] == cli["windows"]
    assert_standalone(tmp_path / "run.py")


@pytest.mark.slow
def test_script_reproduces_the_keras_preset_and_reads_like_a_tutorial(tmp_path):
    cli, script, code = export_and_run(tmp_path, ["--preset", "keras-classic"])
    assert_same_metrics(cli, script)
    assert script["baselines"]["persistence"]["mse"] == pytest.approx(cli["baselines"]["persistence"]["mse"], rel=1e-9)
    assert_standalone(tmp_path / "run.py")
    sections = [line[5:] for line in code.splitlines() if line.startswith("# %% ")]
    assert sections == ["Settings", "Data", "Split and windows", "Scaler", "Tensors", "Model", "Training",
                        "Evaluation"]
    assert "def seed_sales(" in code and "np.random.default_rng(0)" in code  # the generator, inlined and seeded


@pytest.mark.slow
def test_script_reproduces_a_csv_run_with_dates_separators_gaps_and_an_input(tmp_path):
    eu_csv(tmp_path / "eu.csv")
    cli, script, code = export_and_run(tmp_path, ["--csv", "eu.csv", "--column", "sales", "--inputs", "price",
                                                  "--lookback", "14"])
    assert_same_metrics(cli, script)
    assert "read_series('eu.csv')" in code and "pd.read_csv(path" in code
    assert_standalone(tmp_path / "run.py", max_lines=None)


@pytest.mark.slow
def test_script_of_the_sample_file_and_its_notebook(tmp_path):
    shutil.copy(SAMPLE, tmp_path / "airline.csv")
    cli, script, _ = export_and_run(tmp_path, ["--csv", "airline.csv", "--lookback", "24"], name="run.ipynb")
    assert_same_metrics(cli, script)
    assert cli["seasonal_period"] == 12
    assert script["baselines"]["seasonal_naive"]["mae"] == pytest.approx(
        cli["baselines"]["seasonal_naive"]["mae"], rel=1e-9)  # the season detected as rnnlab detects it


@pytest.mark.slow
def test_a_file_read_differently_stops_the_script_with_the_reason(tmp_path):
    shutil.copy(SAMPLE, tmp_path / "airline.csv")
    export_and_run(tmp_path, ["--csv", "airline.csv", "--lookback", "12"])
    text = (tmp_path / "airline.csv").read_text().replace("\n1949-01,112\n", "\n1949-01,999\n")
    (tmp_path / "airline.csv").write_text(text)
    run = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "does not read as it did in rnnlab" in run.stderr


def test_export_refuses_what_it_cannot_replay_before_training(tmp_path):
    out = subprocess.run([sys.executable, "-m", "rnnlab", "train", "--highway", "--epochs", "50",
                          "--export-script", str(tmp_path / "x.py")], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode != 0 and "highway" in out.stderr
    assert not (tmp_path / "x.py").exists()


def test_train_and_predict_offer_the_run_as_script_and_notebook_and_it_reproduces_the_app_run(app, tmp_path):
    from app_kit import open_page, train_tiny
    from rnnlab.script import export_result

    open_page(app, "train")
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["Download as Python script", "Download as notebook"]  # the settings' run, before Train
    train_tiny(app, epochs=2)
    open_page(app, "predict")
    assert {"Download as Python script", "Download as notebook"} <= {b.label for b in app.get("download_button")}
    job = app.session_state["job"]
    result = job.snapshot().result
    (tmp_path / "run.py").write_text(export_result(job.setup, result, "run.py"))  # what the button holds
    run = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PATH": ""})
    assert run.returncode == 0, run.stderr[-2000:]
    assert_same_metrics({"test": result.test}, json.loads(run.stdout.strip().splitlines()[-1]))


def test_a_run_cut_short_by_its_time_budget_exports_the_epochs_it_trained(tiny_config, tmp_path):
    from rnnlab.experiment import run_experiment
    from rnnlab.script import export_result

    tiny_config.train.epochs, tiny_config.train.max_seconds = 50, 0.001  # the budget ends it after epoch 1
    result, s = run_experiment(tiny_config)
    assert result.stopped_reason == "completed" and result.epochs_run == 1
    code = export_result(s, result, "run.py")
    assert "EPOCHS, BATCH_SIZE, LR, WEIGHT_DECAY = 1," in code and "after 1 of 50 epochs" in code
    (tmp_path / "run.py").write_text(code)
    run = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PATH": ""})
    assert run.returncode == 0, run.stderr[-2000:]
    assert_same_metrics({"test": result.test}, json.loads(run.stdout.strip().splitlines()[-1]))
