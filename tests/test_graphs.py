"""The training step as a CUDA graph (rnnlab/graphs.py): which trainings try one, and, on a CUDA GPU,
that a graphed training matches the eager one and falls back to eager where capture fails. The
GPU tests skip without CUDA (CI has none)."""
import pytest
import torch

import rnnlab.train
from rnnlab.experiment import make_trainer, run_experiment, setup
from rnnlab.graphs import not_capturable

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


def test_only_cuda_trainings_with_a_capturable_optimizer_try_a_graph():
    assert not_capturable(torch.device("cuda"), "adam") is None
    assert not_capturable(torch.device("cuda"), "sgd") is None
    assert "need a CUDA device" in not_capturable(torch.device("cpu"), "adam")
    assert "cannot be captured" in not_capturable(torch.device("cuda"), "lbfgs")


@pytest.mark.parametrize("graphs", [False, True])
def test_a_cpu_training_says_its_steps_ran_eager(tiny_config, monkeypatch, graphs):
    monkeypatch.setattr(rnnlab.train, "CUDA_GRAPH", graphs)
    trainer = make_trainer(setup(tiny_config))
    assert trainer.run().reason == "completed"
    assert trainer.step_path == ("eager: CUDA graphs need a CUDA device, not cpu" if graphs else "eager")


def _losses(tiny_config, graphs: bool, monkeypatch, trainer_class=None):
    monkeypatch.setattr(rnnlab.train, "CUDA_GRAPH", graphs)
    torch.manual_seed(0)
    trainer = make_trainer(setup(tiny_config))
    if trainer_class is not None:
        trainer.__class__ = trainer_class
    assert trainer.run().reason == "completed"
    return trainer, [h["train_loss"] for h in trainer.history]


@cuda
@pytest.mark.parametrize("cell,optimizer", [("lstm", "adam"), ("gru", "rmsprop"), ("rnn", "sgd")])
def test_a_graphed_training_matches_the_eager_one(tiny_config, monkeypatch, cell, optimizer):
    tiny_config.model.cell, tiny_config.train.optimizer, tiny_config.train.device = cell, optimizer, "cuda"
    tiny_config.train.epochs = 4
    eager, want = _losses(tiny_config, False, monkeypatch)
    graphed, got = _losses(tiny_config, True, monkeypatch)
    assert eager.step_path.startswith("eager") and graphed.step_path == "CUDA graph"
    assert got == pytest.approx(want, rel=1e-3)


@cuda
def test_the_every_step_loss_is_graphed_too(tiny_config, monkeypatch):
    tiny_config.train.device, tiny_config.train.epochs = "cuda", 3
    tiny_config.train.loss = "every"
    eager, want = _losses(tiny_config, False, monkeypatch)
    graphed, got = _losses(tiny_config, True, monkeypatch)
    assert graphed.every_step and graphed.step_path == "CUDA graph"
    assert got == pytest.approx(want, rel=1e-3)


class _Syncing(rnnlab.train.Trainer):
    """A step that reads its loss on the host: it cannot be captured."""

    def _step(self, idx, set_to_none=True):
        out = super()._step(idx, set_to_none)
        float(out[0])
        return out


@cuda
def test_a_step_that_cannot_be_captured_trains_eager_and_says_why(tiny_config, monkeypatch):
    tiny_config.train.device, tiny_config.train.epochs = "cuda", 3
    _, want = _losses(tiny_config, False, monkeypatch)
    trainer, got = _losses(tiny_config, True, monkeypatch, _Syncing)
    assert trainer.step_path.startswith("eager: the step could not be captured")
    assert got == pytest.approx(want, rel=1e-3)


@cuda
def test_a_gpu_runs_notes_say_how_its_steps_ran(tiny_config, monkeypatch):
    monkeypatch.setattr(rnnlab.train, "CUDA_GRAPH", True)
    tiny_config.train.device = "cuda"
    result, _ = run_experiment(tiny_config)
    assert "training steps on the GPU: CUDA graph" in result.notes
