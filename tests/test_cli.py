"""The CLI contract of DESIGN.md, including the tutorial acceptance run."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from rnnlab.export import load_run

KEYS = {"config", "device", "train_seconds", "epochs_run", "stopped_reason", "history", "test", "baselines"}


def cli(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "rnnlab", *args], capture_output=True, text=True,
                          timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_keras_tutorial_reaches_persistence_floor(seed):
    """The classic SimpleRNN(50) demo: with the default scaler it matches the best possible predictor."""
    out = cli("train", "--data", "seed-sales", "--samples", "1000", "--lookback", "50", "--cell", "rnn",
              "--hidden", "50", "--epochs", "20", "--batch-size", "32", "--lr", "0.001", "--seed", str(seed),
              "--device", "cpu", "--json")
    r = json.loads(out.stdout)  # stdout holds exactly one JSON object
    assert KEYS <= set(r)
    assert set(r["baselines"]) == {"persistence", "mean", "seasonal_naive", "linear"}
    assert r["test"]["n"] == 200 and r["epochs_run"] == 20 and r["stopped_reason"] == "completed"
    assert abs(r["baselines"]["persistence"]["mse"] - 1 / 12) < 0.02
    assert r["test"]["mse"] <= 1.05 * r["baselines"]["persistence"]["mse"]


@pytest.mark.slow
def test_no_scaling_is_what_went_wrong_in_the_tutorial():
    """Without scaling (the tutorial's mistake) the same network is far from the floor."""
    r = json.loads(cli("train", "--preset", "keras-classic", "--scaler", "none", "--epochs", "5",
                       "--device", "cpu", "--json").stdout)
    assert r["test"]["mse"] > 10 * r["baselines"]["persistence"]["mse"]


@pytest.mark.parametrize("args, words", [
    (["--cell", "transformer"], "invalid choice"),
    (["--lookback", "0"], "lookback must be between 1 and 5,000"),
    (["--data", "nope"], "unknown generator"),
    (["--csv", "/no/such/file.csv"], "does not exist"),
    (["--epochs", "ten"], "invalid int value"),
    (["--param", "period"], "NAME=NUMBER"),
    (["--threads", "0"], "threads must be between 1"),
])
@pytest.mark.slow
def test_bad_input_exit_2_one_line(args, words):
    proc = cli("train", *args, "--json", check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_csv_run_and_save(tmp_path):
    dates = pd.date_range("2023-01-01", periods=120, freq="D")
    v = 50 + 10 * np.sin(np.arange(120) * 2 * np.pi / 7)
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "visits": v}).to_csv(tmp_path / "d.csv", index=False)
    out = cli("train", "--csv", str(tmp_path / "d.csv"), "--column", "visits", "--lookback", "14",
              "--epochs", "2", "--hidden", "8", "--device", "cpu", "--save", str(tmp_path / "run.zip"),
              "--threads", "1", "--json")
    r = json.loads(out.stdout)
    assert r["cpu_threads"] == 1
    assert r["config"]["data"]["column"] == "visits" and r["seasonal_period"] == 7
    assert any("dates from column 'date'" in n for n in r["notes"])
    assert r["verdict"]["level"] in ("good", "warn") and r["verdict"]["text"]
    cfg, model, scaler, history, _ = load_run(tmp_path / "run.zip")
    assert cfg.data.lookback == 14 and history == r["history"] and scaler.kind == r["scaler"]


@pytest.mark.slow
def test_human_output():
    out = cli("train", "--data", "sine", "--length", "200", "--lookback", "10", "--epochs", "1",
              "--hidden", "4", "--device", "cpu")
    assert "persistence" in out.stdout and "epoch 1" in out.stderr


@pytest.mark.slow
def test_memory_command_json():
    out = cli("memory", "--cells", "gru", "--lags", "2,3", "--budget", "0.5", "--samples", "200",
              "--hidden", "8", "--json")
    r = json.loads(out.stdout)
    assert set(r["best"]) == {"gru"} and r["runs"][0]["lag"] == 2 and r["runs"][0]["seconds"] < 3
    assert {"r2", "learned", "window"} <= set(r["runs"][0])


def run_main(capsys, *args) -> tuple[int, str, str]:
    """The CLI's entry point in this process (a subprocess per file would cost ~2 s of imports each)."""
    from rnnlab.cli import main
    try:
        code = main(list(args))
    except SystemExit as e:  # argparse errors
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


from malformed import MALFORMED  # noqa: E402


@pytest.mark.parametrize("raw, words", [(raw, words) for _, raw, words in MALFORMED],
                         ids=[name for name, _, _ in MALFORMED])
def test_malformed_csv_exits_2_with_one_line(tmp_path, capsys, raw, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(raw)
    code, out, err = run_main(capsys, "train", "--csv", str(path), "--lookback", "3", "--epochs", "1",
                              "--hidden", "2", "--device", "cpu", "--json")
    lines = err.strip().splitlines()
    assert code == 2 and out == "", err
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err
    assert __import__("re").search(words, lines[0]), lines[0]


@pytest.mark.parametrize("args, words", [
    (["--csv", ""], "empty path"),
    (["--csv", "x.csv", "--data", "sine"], "either --data GENERATOR or --csv PATH"),
    (["--decimal", ",", "--thousands", ","], "cannot both be ','"),
    (["--save", "."], "is a folder"),
    (["--save", "/proc/nope/run.zip"], "cannot be written"),
])
def test_contradictions_refused_before_training(capsys, args, words):
    code, out, err = run_main(capsys, "train", *args, "--epochs", "1", "--json")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and words in err, err


@pytest.mark.slow
def test_decimal_override_reads_an_ambiguous_file(tmp_path, capsys):
    """`1.234` alone could be 1.234 or 1234: the guess is flagged, and --thousands . settles it."""
    dates = pd.date_range("2024-01-01", periods=60)
    rows = [f"{t:%Y-%m-%d};{1000 + 37 * d:,}".replace(",", ".") for d, t in enumerate(dates, start=1)]
    (tmp_path / "a.csv").write_text("date;v\n" + "\n".join(rows) + "\n")
    from rnnlab.data.csv import load_csv
    guessed = load_csv(tmp_path / "a.csv")
    assert guessed.target[0] == 1037.0 or any("could mean" in n for n in guessed.notes)
    fixed = load_csv(tmp_path / "a.csv", decimal=",", thousands=".")
    assert fixed.target[0] == 1037.0
    code, out, _ = run_main(capsys, "train", "--csv", str(tmp_path / "a.csv"), "--decimal", ",",
                            "--thousands", ".", "--lookback", "3", "--epochs", "1", "--hidden", "2",
                            "--device", "cpu", "--json")
    assert code == 0 and json.loads(out)["config"]["data"]["thousands"] == "."


@pytest.mark.parametrize("args, words", [
    (["--weight-decay", "nan"], "weight decay must be a finite number"),
    (["--clip", "nan"], "clip must be a finite number"),
    (["--init-gain", "inf"], "init gain must be a finite number"),
    (["--lr", "-1"], "learning rate must be between 0 and 1000"),
    (["--seed", str(2**70)], "seed must be between 0 and 4,294,967,295"),
    (["--data-seed", "-5"], "data seed must be between 0"),
    (["--length", str(10**12)], "length must be between 10 and 2,000,000"),
    (["--data", "adding", "--samples", str(10**7)], "samples must be between 10 and 200,000"),
    (["--lookback", str(10**5)], "lookback must be between 1 and 5,000"),
    (["--horizon", "1000"], "horizon must be between 1 and 500"),
    (["--hidden", "4096"], "hidden size must be between 1 and 2,048"),
    (["--layers", "100"], "layers must be between 1 and 8"),
    (["--epochs", str(10**7)], "epochs must be between 1 and 100,000"),
    (["--batch-size", str(10**6)], "batch size must be between 1 and 65,536"),
    (["--dropout", "1.5"], "dropout must be between 0 and 0.99"),
    (["--param", "period=nan", "--data", "sine"], "parameter period"),
    (["--length", "2000000", "--lookback", "5000"], "over the limit"),
    (["--data", "adding", "--samples", "200000", "--lookback", "5000"], "over the limit"),
])
def test_limits_exit_2_with_the_limit_named(capsys, args, words):
    t = __import__("time").perf_counter()
    code, out, err = run_main(capsys, "train", *args, "--device", "cpu", "--json")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and words in err, err
    assert __import__("time").perf_counter() - t < 2.0  # refused before anything big is built


def test_too_many_input_columns_exit_2(tmp_path, capsys):
    names = [f"c{i}" for i in range(66)]
    (tmp_path / "wide.csv").write_text(",".join(names) + "\n" + "\n".join(",".join("1" for _ in names)
                                                                          for _ in range(5)) + "\n")
    code, out, err = run_main(capsys, "train", "--csv", str(tmp_path / "wide.csv"), "--column", "c0",
                              "--inputs", ",".join(names[1:]), "--json")
    assert code == 2 and "number of input columns must be between 0 and 64 (got 65)" in err
