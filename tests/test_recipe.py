"""The default recipe for one series: every-step loss on training sequences, the linear highway."""
import numpy as np
import pytest
import torch

from rnnlab.config import ModelConfig, RunConfig
from rnnlab.errors import ConfigError
from rnnlab.experiment import run_experiment, setup
from rnnlab.models import build_model, unroll
from rnnlab.presets import PRESETS, preset_config


@pytest.mark.parametrize("highway", [False, True])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_every_step_output_ends_with_the_last_step_output(cell, highway):
    torch.manual_seed(0)
    m = build_model(ModelConfig(cell=cell, hidden=6, highway=highway), n_features=2, horizon=3, lookback=5).eval()
    x = torch.randn(4, 9, 2)
    every, last = m(x, all_steps=True), m(x)
    assert every.shape == (4, 9, 3) and last.shape == (4, 3)
    torch.testing.assert_close(every[:, -1], last)
    if highway:  # the highway at step t is a linear map of the last 5 target values up to t (zeros before)
        padded = torch.cat([torch.zeros(4, 4), x[:, :, 0]], dim=1)
        t = 2
        manual = m.highway(padded[:, t:t + 5])
        rnn_only = m.head(m.rnn(x)[0][:, t])
        torch.testing.assert_close(every[:, t], rnn_only + manual)
        torch.testing.assert_close(unroll(m, x).y, last)  # the diagnostic twin includes it too


def sine_config(**train) -> RunConfig:
    cfg = RunConfig()
    cfg.data.generator, cfg.data.length, cfg.data.lookback = "sine", 300, 12
    cfg.model.hidden = 8
    cfg.train.epochs, cfg.train.device = 2, "cpu"
    for k, v in train.items():
        setattr(cfg.train, k, v)
    return cfg


def test_step_targets_are_the_next_values_scaled_like_the_windows_targets():
    s = setup(sine_config(loss="every"))
    assert s.loss == "every" and s.seq_len == 24 and "every step" in s.loss_reason
    x, y = s.tensors["x_train"][torch.tensor([0, 5])], s.tensors["y_train"][torch.tensor([0, 5])]
    assert x.shape == (2, 24, 1) and y.shape == (2, 24, 1)
    sc = s.prep.scaler
    v = s.data.values[:, 0]
    expect = (v[5 + 1:5 + 25] - sc.y_shift) / sc.y_scale  # after step t of the sequence from row 5: row 5+t+1
    np.testing.assert_allclose(y[1, :, 0].numpy(), expect, rtol=1e-5)
    # the step that ends a lookback window has that window's own scaled target
    w = s.prep.train
    np.testing.assert_allclose(y[1, 11, 0].numpy(), w.y[5, 0], rtol=1e-5)
    assert s.tensors["x_train"].shape[0] == s.prep.train_end - 24 - 1 + 1  # every target inside training


def test_diff_scaler_targets_are_changes():
    cfg = sine_config(loss="every")
    cfg.data.scaler = "diff"
    s = setup(cfg)
    y = s.tensors["y_train"][torch.tensor([3])][0, :, 0].numpy()
    v = s.data.values[:, 0]
    np.testing.assert_allclose(y, np.diff(v)[3:3 + 24] / s.prep.scaler.y_scale, rtol=1e-5)


def test_auto_loss_rule_and_its_refusals():
    assert setup(sine_config()).loss == "every"  # one series, level-keeping scaler
    walk = sine_config()
    walk.data.generator = "sales"  # wanders: the 'last' scaler, so the last-step loss
    s = setup(walk)
    assert s.loss == "last" and "relative to the window's last value" in s.loss_reason
    panel = sine_config()
    panel.data.generator, panel.data.samples = "delay", 200
    assert setup(panel).loss == "last"
    panel.train.loss = "every"
    with pytest.raises(ConfigError, match="every-step loss cannot be used"):
        setup(panel)


def test_every_step_training_runs_and_reports_its_loss():
    result, _ = run_experiment(sine_config())
    assert result.loss.mode == "every" and np.isfinite(result.test["mae"])
    assert len(result.history) == 2 and all(np.isfinite(h["val_loss"]) for h in result.history)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_keep_the_last_step_loss_and_their_sizes(name):
    cfg = preset_config(name, device="cpu")
    assert cfg.train.loss == "last" and "hidden" in PRESETS[name]["model"] and "epochs" in PRESETS[name]["train"]


def test_lookback_suggestion_follows_the_season_and_the_length():
    from rnnlab.suggest import suggest_lookback
    t = np.arange(150)
    monthly = 100 + t + 10 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 1, 150)
    lookback, reason = suggest_lookback(monthly, 0.1, 0.2)
    assert lookback == 24 and "period 12" in reason
    noise = np.random.default_rng(1).normal(size=150)
    lookback, reason = suggest_lookback(noise, 0.1, 0.2)
    assert lookback == 15 and "no seasonal period" in reason
    assert suggest_lookback(np.random.default_rng(2).normal(size=20_000), 0.1, 0.2)[0] == 200


def monthly_csv() -> bytes:
    t = np.arange(150)
    values = 100 + t + 10 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 1, 150)
    dates = [f"{2000 + i // 12}-{1 + i % 12:02d}-01" for i in t]
    return ("month,passengers\n" + "\n".join(f"{d},{v:.2f}" for d, v in zip(dates, values)) + "\n").encode()


@pytest.mark.slow
def test_a_new_upload_gets_the_suggested_lookback_and_is_told_so():
    from test_pages import upload
    from streamlit.testing.v1 import AppTest
    from pathlib import Path
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.run()
    upload(at, "monthly.csv", monthly_csv())
    assert at.session_state["w_data_lookback"] == 24
    assert any("Lookback set to 24" in i.value and "period 12" in i.value for i in at.info)
    assert not at.error, [e.value for e in at.error]
    at.number_input(key="w_data_lookback").set_value(36).run()  # the user's own choice stays
    assert at.session_state["w_data_lookback"] == 36 and any("Suggested lookback" in c.value for c in at.caption)


def test_the_highway_starts_at_the_least_squares_linear_autoregression():
    cfg = sine_config()
    cfg.model.highway = True
    s = setup(cfg)
    part = s.prep.train
    x = part.scaled()[:, :, 0].astype(np.float64)
    design = np.concatenate([x, np.ones((len(x), 1))], axis=1)
    coef, *_ = np.linalg.lstsq(design, part.y.astype(np.float64), rcond=None)
    with torch.no_grad():
        pred = s.model(torch.as_tensor(part.scaled())).numpy()
    np.testing.assert_allclose(pred, design @ coef, atol=2e-4)  # the untrained model is the linear fit


def test_with_the_highway_only_steps_with_a_whole_lookback_are_scored():
    from rnnlab.experiment import make_trainer
    cfg = sine_config(loss="every")
    cfg.model.highway = True
    s = setup(cfg)
    assert s.seq_len == 2 * 12 + 1 and "scored from step 12" in s.loss_reason
    assert make_trainer(s).score_from == 11
