"""Shrink toward persistence: a one-series network that lost to repeating the last value on
validation is blended with it, by a factor fitted on validation and folded into the model."""
import numpy as np
import pytest
import torch

from rnnlab.config import RunConfig
from rnnlab.data import SeriesData
from rnnlab.evaluate import predict
from rnnlab.experiment import run_experiment, setup, shrink_to_persistence
from rnnlab.models import build_model, unroll
from rnnlab.presets import PRESETS, preset_config
from rnnlab.report import verdict


def walk_config(scaler: str = "last", **train) -> tuple[RunConfig, SeriesData]:
    rng = np.random.default_rng(3)
    data = SeriesData((50 + np.cumsum(rng.normal(0, 1, 400)))[:, None], ["walk"])
    cfg = RunConfig()
    cfg.data.csv_path, cfg.data.lookback, cfg.data.scaler = "walk", 12, scaler
    cfg.model.cell, cfg.model.hidden = "gru", 8
    cfg.train.epochs, cfg.train.device = 2, "cpu"
    for k, v in train.items():
        setattr(cfg.train, k, v)
    return cfg, data


def mse(a, b):
    return float(np.mean((a - b) ** 2))


@pytest.mark.parametrize("scaler", ["last", "diff", "minmax", "zscore", "none"])
def test_alpha_is_the_least_squares_factor_on_validation_and_lives_in_the_weights(scaler):
    cfg, data = walk_config(scaler)
    s = setup(cfg, data)
    with torch.no_grad():
        s.model.head.bias.fill_(0.7)  # a network that surely does worse than persistence
    val = s.prep.val
    last, truth = val.last[:, :1], val.y_raw
    before = predict(s.model, val, s.prep.scaler)
    info = shrink_to_persistence(s)
    d, t = before - last, truth - last  # predicted and true changes, original units (the scale cancels)
    alpha = float(np.clip((d * t).sum() / (d * d).sum(), 0, 1))
    assert info["alpha"] == pytest.approx(alpha, rel=1e-6) and 0 <= alpha < 1
    after = predict(s.model, val, s.prep.scaler)  # the model itself now predicts the shrunk changes
    np.testing.assert_allclose(after - last, alpha * d, rtol=1e-4, atol=1e-4 * float(np.abs(last).max()))
    assert (s.model.blend is None) == (scaler in ("last", "diff"))  # level scalers need the persistence share
    assert mse(after, truth) <= min(mse(before, truth), mse(last, truth)) + 1e-12
    assert "shrunk toward repeating the last value" in info["reason"]


def test_a_network_that_beats_persistence_is_kept_as_trained():
    t = np.arange(400)
    data = SeriesData((100 + 10 * np.sin(2 * np.pi * t / 25))[:, None], ["sine"])
    cfg, _ = walk_config("last")
    cfg.model.highway = True  # starts at the least-squares linear autoregression: far better than persistence
    s = setup(cfg, data)
    weights = {k: v.clone() for k, v in s.model.state_dict().items()}
    info = shrink_to_persistence(s)
    assert info["alpha"] == 1.0 and info["val_mse"] < info["persistence_val_mse"]
    assert all(torch.equal(weights[k], v) for k, v in s.model.state_dict().items())


@pytest.mark.slow
def test_noise_around_a_level_ends_as_persistence_and_the_verdict_says_so():
    """Little to learn beyond the last value (an AR(0.9) around a level that moves once): the trained
    network lost to persistence on validation, and the best factor is 0."""
    rng = np.random.default_rng(0)
    level, ar = np.zeros(300), 0.0
    for i in range(300):
        ar = 0.9 * ar + rng.normal(0, 0.5)
        level[i] = 20 + (10 if i >= 180 else 0) + ar
    cfg, _ = walk_config("last", epochs=30)
    cfg.data.lookback, cfg.model.hidden = 30, 32
    result, s = run_experiment(cfg, data=SeriesData(level[:, None], ["shifted"]))
    assert result.shrink["alpha"] == 0.0, result.shrink
    assert result.shrink["val_mse"] == pytest.approx(result.shrink["persistence_val_mse"])
    pred = predict(s.model, s.prep.test, s.prep.scaler)
    np.testing.assert_allclose(pred, s.prep.test.last[:, :1], atol=1e-9)
    assert result.test["mae"] == pytest.approx(result.baselines["persistence"]["mae"], rel=1e-9)
    assert "shrunk to exactly that" in verdict(result).line


def test_a_wrong_scaler_guess_is_caught_by_the_shrink():
    """A short series that wanders, given a level-keeping scaler (as the `auto` rule's Dickey-Fuller
    test does for 8-13 % of 42-point random walks): the network cannot reach values beyond its
    training range and loses to persistence; shrunk, it ends at or near persistence."""
    rng = np.random.default_rng(5)
    data = SeriesData((100 + np.cumsum(rng.normal(1.0, 1, 200)))[:, None], ["trend"])
    cfg, _ = walk_config("minmax", epochs=5)
    raw = run_experiment(_off(cfg), data=data)[0]
    result = run_experiment(cfg, data=data)[0]
    pers = result.baselines["persistence"]["mae"]
    assert raw.test["mae"] > 2 * pers  # as trained: far behind
    assert result.shrink["alpha"] < 0.2 and result.test["mae"] < 1.1 * pers, result.shrink


def _off(cfg: RunConfig) -> RunConfig:
    off = RunConfig.from_json(cfg.to_json())
    off.train.shrink = "off"
    return off


@pytest.mark.parametrize("highway", [False, True])
def test_a_blended_model_is_one_model_everywhere(highway):
    """After a shrink with a level scaler, every path sees the blend: the every-step output, the
    diagnostic twin, a state dict loaded into a fresh model, and a second shrink composes."""
    from rnnlab.config import ModelConfig
    torch.manual_seed(0)
    m = build_model(ModelConfig(cell="lstm", hidden=6, highway=highway), n_features=1, horizon=2, lookback=5).eval()
    x = torch.randn(3, 7, 1)
    before = m(x)
    m.shrink(0.25, (2.0, -1.0))
    blend = 0.75 * (2.0 * x[:, -1, :1] - 1.0)  # (1 - alpha) * persistence, per horizon
    torch.testing.assert_close(m(x), 0.25 * before + blend)
    torch.testing.assert_close(m(x, all_steps=True)[:, -1], m(x))
    torch.testing.assert_close(unroll(m, x).y, m(x))
    fresh = build_model(ModelConfig(cell="lstm", hidden=6, highway=highway), n_features=1, horizon=2, lookback=5)
    fresh.load_state_dict(m.state_dict())
    torch.testing.assert_close(fresh.eval()(x), m(x))
    m.shrink(0.5, (2.0, -1.0))  # half of that, half persistence
    torch.testing.assert_close(m(x), 0.125 * before + 0.875 * (2.0 * x[:, -1, :1] - 1.0))
    plain = build_model(ModelConfig(cell="lstm", hidden=6), n_features=1, horizon=2, lookback=5)
    plain.shrink(0.5)  # last/diff scalers: no persistence share, no blend buffer (state dict unchanged)
    assert plain.blend is None and "blend" not in plain.state_dict()


def test_shrink_leaves_other_runs_alone():
    cfg, data = walk_config("last", shrink="off")
    assert run_experiment(cfg, data=data)[0].shrink is None
    assert all(p["train"]["shrink"] == "off" for p in PRESETS.values())  # presets keep their numbers
    panel = preset_config("keras-classic", device="cpu", epochs=1)
    panel.data.samples, panel.train.shrink = 200, "auto"
    assert run_experiment(panel)[0].shrink is None  # independent windows: not one series


def test_cli_shrink_flag(tmp_path, capsys):
    import json

    from test_cli import run_main
    rng = np.random.default_rng(1)
    csv = tmp_path / "walk.csv"
    csv.write_text("value\n" + "\n".join(f"{v:.3f}" for v in 50 + np.cumsum(rng.normal(0, 1, 200))) + "\n")
    common = ("train", "--csv", str(csv), "--lookback", "10", "--hidden", "4", "--epochs", "1",
              "--scaler", "last", "--device", "cpu", "--json")
    code, out, _ = run_main(capsys, *common, "--shrink", "off")
    r = json.loads(out)
    assert code == 0 and r["shrink"] is None and r["config"]["train"]["shrink"] == "off"
    code, out, _ = run_main(capsys, *common)
    assert code == 0 and {"alpha", "reason", "val_mse", "persistence_val_mse"} <= set(json.loads(out)["shrink"])
    code, _, err = run_main(capsys, *common, "--shrink", "always")
    assert code == 2 and "invalid choice" in err


@pytest.mark.slow
def test_train_page_says_what_the_shrink_decided(app):  # noqa: F811  (the fixture)
    from test_pages import open_page, train_tiny
    open_page(app, "data")
    app.number_input(key="w_data_length").set_value(300)
    app.selectbox(key="w_data_scaler").set_value("last").run()
    train_tiny(app, epochs=1)
    shrink = app.session_state["job"].result.shrink
    assert shrink is not None
    shown = [e.value for e in (*app.info, *app.caption) if "Shrink" in str(e.value)]
    assert len(shown) == 1 and shrink["reason"] in shown[0], shown


@pytest.mark.parametrize("scaler", ["last", "minmax"])
def test_a_run_file_keeps_its_shrink_record_and_refuses_a_forged_one(scaler):
    """The shrink lives in the weights; its record travels in model.json, so a run read back says
    what was decided (and a verdict of 'shrunk to exactly persistence' survives the round trip)."""
    import io
    import json
    import zipfile

    from rnnlab.errors import DataError
    from rnnlab.experiment import restore
    from rnnlab.export import bundle_bytes, load_run
    cfg, data = walk_config(scaler, shrink="off")
    result, s = run_experiment(cfg, data=data)
    with torch.no_grad():
        s.model.head.bias.fill_(0.7)  # lost to persistence: shrunk
    cfg.train.shrink = "auto"
    result.shrink = shrink_to_persistence(s)
    assert result.shrink["alpha"] < 1
    raw = bundle_bytes(cfg, s.model, s.prep.scaler, result.history, result)
    back = load_run(raw)
    assert back.shrink == result.shrink
    test = s.prep.test  # the model read back predicts what the shrunk one did (the blend travels too)
    np.testing.assert_allclose(predict(back.model, test, back.scaler), predict(s.model, test, s.prep.scaler))
    again, _ = restore(back.config, back.model, back.scaler, back.history, data, back.shrink)
    assert again.shrink == result.shrink
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        meta = json.loads(z.read("model.json"))
    for forged in ({**meta["shrink"], "alpha": 2.0}, {**meta["shrink"], "reason": 5}, {"alpha": 0.0}):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
            for name in src.namelist():
                forged_meta = json.dumps({**meta, "shrink": forged})
                dst.writestr(name, forged_meta if name == "model.json" else src.read(name))
        with pytest.raises(DataError, match="shrink record"):
            load_run(out.getvalue())
