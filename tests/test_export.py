"""Run files: a round trip, and hostile or damaged zips refused with DataError after a bounded read."""
import io
import json
import zipfile

import pytest
import torch

from rnnlab.errors import DataError
from rnnlab.experiment import run_experiment
from rnnlab.export import bundle_bytes, load_run


@pytest.fixture(scope="module")
def good(request) -> bytes:
    from rnnlab.config import RunConfig
    cfg = RunConfig()
    cfg.data.generator, cfg.data.length, cfg.data.lookback = "sine", 200, 10
    cfg.model.hidden, cfg.train.epochs, cfg.train.device = 4, 1, "cpu"
    result, s = run_experiment(cfg)
    return bundle_bytes(cfg, s.model, s.prep.scaler, result.history, result)


def rezip(good: bytes, replace: dict[str, bytes] | None = None, drop=(), add: dict | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            if name not in drop:
                dst.writestr(name, (replace or {}).get(name, src.read(name)))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def test_round_trip_gives_identical_predictions(good):
    cfg, model, scaler, history, _ = load_run(good)
    x = torch.randn(5, cfg.data.lookback, 1)
    again = load_run(good).model
    torch.testing.assert_close(model(x), again(x), rtol=0, atol=0)
    assert scaler.kind and history and cfg.model.hidden == 4


@pytest.mark.slow
def test_zip_bomb_is_refused_after_a_bounded_read(good):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            if name != "history.json":
                dst.writestr(name, src.read(name))
        with dst.open("history.json", "w") as fh:  # 200 MB of zeros: a ~200 KB member
            chunk = b"0" * (1 << 20)
            for _ in range(200):
                fh.write(chunk)
    bomb = out.getvalue()
    assert len(bomb) < 2 << 20
    with pytest.raises(DataError, match="larger than 64 MB unpacked"):
        load_run(bomb)


@pytest.mark.parametrize("change, words", [
    ({"add": {"payload.pkl": b"\x80\x04K\x01."}}, "unexpected members"),
    ({"add": {"../../evil.json": b"{}"}}, "unexpected members"),
    ({"replace": {"config.json": json.dumps({"model": {"hidden": 10**9}}).encode()}}, "hidden size must be"),
    ({"replace": {"config.json": json.dumps({"model": {"layers": 10**6}}).encode()}}, "layers must be"),
    ({"replace": {"config.json": b"{not json"}}, "not valid JSON"),
    ({"replace": {"model.json": b"{}"}}, "KeyError"),
    ({"replace": {"model.json": json.dumps({"n_features": 10**9, "horizon": 1}).encode()}}, "out of range"),
    ({"replace": {"weights.safetensors": b"garbage"}}, "not an rnnlab run file"),
    ({"replace": {"history.json": b"[" * 100_000 + b"]" * 100_000}}, "not an rnnlab run file"),
    ({"replace": {"scaler.json": b"[]"}}, "not an rnnlab run file"),
    ({"drop": ("weights.safetensors",)}, "not an rnnlab run file"),
])
def test_damaged_or_hostile_run_files_raise_data_error(good, change, words):
    with pytest.raises(DataError, match=words):
        load_run(rezip(good, **change))


def test_not_a_zip():
    with pytest.raises(DataError, match="not an rnnlab run file"):
        load_run(b"PK\x03\x04 nope")


def test_a_run_read_back_predicts_exactly_as_before(tiny_config):
    """Export, import, restore on the same data: identical predictions and test metrics."""
    from rnnlab.experiment import restore
    from rnnlab.job import TrainingJob
    from rnnlab.report import predictions_frame
    result, s = run_experiment(tiny_config)
    cfg, model, scaler, history, _ = load_run(
        bundle_bytes(tiny_config, s.model, s.prep.scaler, result.history, result))
    again, s2 = restore(cfg, model, scaler, history)
    assert again.test == result.test and again.baselines == result.baselines
    assert predictions_frame(s2).equals(predictions_frame(s))
    assert not any("differ" in n for n in again.notes)
    assert again.to_json().keys() == result.to_json().keys() and again.loss == result.loss  # one builder
    job = TrainingJob.loaded(s2, again, history)
    snap = job.snapshot()
    assert snap.finished and snap.state == "loaded" and snap.history == history and not job.alive


def test_a_run_read_back_on_other_data_says_so(tiny_config):
    from rnnlab.experiment import restore
    result, s = run_experiment(tiny_config)
    cfg, model, scaler, history, _ = load_run(
        bundle_bytes(tiny_config, s.model, s.prep.scaler, result.history))
    cfg.data.data_seed = 99  # another draw of the generator
    again, _ = restore(cfg, model, scaler, history)
    assert any("differ from the data it was trained on" in n for n in again.notes)


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_training_continues_from_a_read_back_run(tiny_config, mode):
    """A run file's weights are where a continued run starts: its first epoch is as good as the file's
    last one, far better than a fresh start; weights of another model are refused in words."""
    from rnnlab.config import RunConfig
    from rnnlab.errors import ConfigError
    from rnnlab.experiment import setup
    from rnnlab.job import TrainingJob
    tiny_config.train.epochs, tiny_config.train.lr = 6, 1e-2
    result, s = run_experiment(tiny_config)
    cfg, model, *_ = load_run(bundle_bytes(tiny_config, s.model, s.prep.scaler, result.history, result))
    cfg.train.epochs = 1
    weights = {k: v.numpy() for k, v in model.state_dict().items()}
    job = TrainingJob(cfg, start_from=weights, mode=mode).start()
    assert job.join(60) and job.snapshot().state == "completed"
    fresh, last = result.history[0]["val_loss"], result.history[-1]["val_loss"]
    assert last < 0.3 * fresh  # the file's model had learned something
    assert job.result.history[0]["val_loss"] < 2 * last  # and the continued run starts from it
    other = RunConfig.from_dict(cfg.to_dict())
    other.model.hidden = 9
    with pytest.raises(ConfigError, match="do not fit this model"):
        setup(other, start_from=weights)
