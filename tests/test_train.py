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


def _trainer_run(tiny_config, read_every, poison_at=None, stop_after=None):
    """A tiny run with losses read back every `read_every` steps; `poison_at`: that step's loss and
    gradients become NaN (a divergence at a known step); `stop_after`: Stop after that many steps."""
    import copy as _copy

    from rnnlab.events import Control, StepEnd
    from rnnlab.experiment import make_trainer, setup
    from rnnlab.train import Trainer

    class Poisoned(Trainer):
        calls = 0

        def _step(self, idx):
            out = super()._step(idx)
            self.calls += 1
            if self.calls == poison_at:
                for p in self._params:
                    p.grad.fill_(float("nan"))
                out = out * float("nan")
            return out

    cfg = _copy.deepcopy(tiny_config)
    cfg.train.epochs = 3
    s = setup(cfg)
    steps, control = [], Control()

    def on_event(e):
        if isinstance(e, StepEnd):
            steps.append(e)
            if e.step == stop_after:
                control.stop()
    trainer = make_trainer(s, callbacks=[on_event], control=control)
    trainer.__class__ = Poisoned
    trainer.read_every = read_every
    done = trainer.run()
    return done, trainer, steps, s.model


def test_reading_losses_back_every_few_steps_trains_the_same_run(tiny_config):
    """The CUDA path reads losses back every READ_EVERY_CUDA steps instead of every step (no device
    sync per step): on CPU, forced, it gives the same steps, events, history and weights."""
    import torch
    done1, t1, steps1, m1 = _trainer_run(tiny_config, 1)
    done4, t4, steps4, m4 = _trainer_run(tiny_config, 4)
    assert done1.reason == done4.reason == "completed"
    assert [(e.step, e.epoch, e.loss, e.grad_norm) for e in steps1] == [(e.step, e.epoch, e.loss, e.grad_norm)
                                                                        for e in steps4]
    assert t1.history == t4.history
    for a, b in zip(m1.state_dict().values(), m4.state_dict().values()):
        assert torch.equal(a, b)


def test_a_divergence_found_at_a_deferred_read_restores_the_last_good_weights(tiny_config):
    """Step 6 goes bad: every step is checked before it is applied (read_every 1: stops with the
    weights after step 5); read back every 4 steps (reads after steps 4 and 6, the epoch's end), step
    5 and 6 were applied unchecked, so the run goes back to the weights after step 4 and says so."""
    import math

    import torch
    done1, t1, _, _ = _trainer_run(tiny_config, 1, poison_at=6)
    done4, t4, steps, model = _trainer_run(tiny_config, 4, poison_at=6)
    assert t4.total_steps // t4.cfg.epochs >= 6  # the bad step lies in the first epoch's second read
    assert done1.reason == done4.reason == "diverged" and (t1.steps, t4.steps) == (5, 4)
    assert done4.message.startswith("step 6:") and "kept the weights after step 4," in done4.message
    assert len(steps) == 4 and all(math.isfinite(e.loss) for e in steps)
    _, _, _, ref = _trainer_run(tiny_config, 1, stop_after=4)
    for a, b in zip(ref.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)
