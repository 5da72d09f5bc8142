"""Models and the Trainer: shapes, determinism, events, stop/pause, divergence."""
import threading

import numpy as np
import pytest
import torch

from rnnlab.config import ModelConfig
from rnnlab.experiment import make_trainer, run_experiment, setup
from rnnlab.models import RecurrentRegressor, build_model
from rnnlab.train import Control, Done, EpochEnd, StepEnd


@pytest.mark.parametrize("cell", ["rnn", "rnn-relu", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_output_shape(cell, layers):
    m = build_model(ModelConfig(cell=cell, hidden=5, layers=layers, dropout=0.1), n_features=3, horizon=4)
    assert m(torch.randn(7, 11, 3)).shape == (7, 4)


def test_unknown_cell():
    with pytest.raises(ValueError, match="unknown cell"):
        RecurrentRegressor("lru", 1, 4)


@pytest.mark.parametrize("init", ["orthogonal", "identity"])
def test_inits(init):
    m = build_model(ModelConfig(cell="lstm", hidden=6, init=init, init_gain=1.5), 1, 1)
    block = m.rnn.weight_hh_l0[:6].detach()
    if init == "identity":
        torch.testing.assert_close(block, 1.5 * torch.eye(6))
    else:
        torch.testing.assert_close(block @ block.T, 2.25 * torch.eye(6), atol=1e-5, rtol=1e-5)
    assert (m.rnn.bias_ih_l0[6:12] == 1).all()  # forget-gate bias


def test_same_seed_same_history(tiny_config):
    a, _ = run_experiment(tiny_config)
    b, _ = run_experiment(tiny_config)
    assert a.history == b.history and a.test == b.test
    tiny_config.train.seed = 1
    c, _ = run_experiment(tiny_config)
    assert c.history != a.history


def test_events_and_history(tiny_config):
    events = []
    result, _ = run_experiment(tiny_config, callbacks=[events.append])
    steps = [e for e in events if isinstance(e, StepEnd)]
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert len(epochs) == 2 and isinstance(events[-1], Done) and events[-1].reason == "completed"
    assert [s.step for s in steps] == list(range(1, len(steps) + 1))
    assert result.history[0]["train_loss"] == pytest.approx(np.mean([s.loss for s in steps if s.epoch == 1]))
    assert all(s.grad_norm > 0 and s.samples_per_s > 0 for s in steps)


def test_rnn_relu_huge_lr_diverges_without_exception(tiny_config):
    tiny_config.model.cell, tiny_config.train.lr, tiny_config.train.epochs = "rnn-relu", 100.0, 5
    result, _ = run_experiment(tiny_config)
    assert result.stopped_reason == "diverged"
    assert "learning rate" in result.message


def test_stop_and_pause_from_another_thread(tiny_config):
    tiny_config.train.epochs = 500
    s = setup(tiny_config)
    control, seen = Control(), []

    def on_event(e):
        seen.append(e)
        if isinstance(e, StepEnd) and e.step == 5:
            control.pause()
            threading.Timer(0.3, control.stop).start()

    done = make_trainer(s, [on_event], control).run()
    assert done.reason == "stopped"
    assert max(e.step for e in seen if isinstance(e, StepEnd)) == 5


def test_early_stopping_restores_best(tiny_config):
    tiny_config.train.epochs, tiny_config.train.patience, tiny_config.train.lr = 60, 2, 0.05
    result, s = run_experiment(tiny_config)
    assert result.stopped_reason == "early-stop" and result.epochs_run < 60
    best = min(h["val_loss"] for h in result.history)
    assert make_trainer(s).val_loss() == pytest.approx(best, rel=1e-5)


@pytest.mark.slow
def test_time_budget_stops_training(tiny_config):
    tiny_config.train.epochs, tiny_config.train.max_seconds = 100_000, 0.5
    result, _ = run_experiment(tiny_config)
    assert result.stopped_reason == "completed" and "time budget" in result.message
    assert result.train_seconds >= 0.5 and result.epochs_run < 100_000


def test_threads_follow_the_model_size_and_the_idle_cores():
    """A small model trains on one thread (a second one only contends); a large one takes the idle cores."""
    from rnnlab.config import RunConfig
    from rnnlab.experiment import auto_threads

    small = RunConfig()
    small.model.cell, small.model.hidden, small.train.batch_size = "lstm", 64, 32
    assert auto_threads(small, cores=16, load=0.0) == 1
    big = RunConfig()
    big.model.cell, big.model.hidden, big.train.batch_size = "lstm", 512, 256
    assert auto_threads(big, cores=16, load=0.0) == 16
    assert auto_threads(big, cores=16, load=12.0) == 4  # twelve cores already busy
    assert auto_threads(big, cores=16, load=40.0) == 1
    mid = RunConfig()
    mid.model.cell, mid.model.hidden, mid.train.batch_size = "gru", 256, 64  # 12.6 M multiply-adds a step
    assert auto_threads(mid, cores=16, load=0.0) == 3
