"""The CUDA path; skipped on machines without a CUDA GPU (CI has none)."""
import pytest
import torch

from rnnlab.experiment import run_experiment
from rnnlab.job import TrainingJob

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_training_on_cuda_matches_cpu_closely(tiny_config, cell):
    tiny_config.model.cell = cell
    cpu, _ = run_experiment(tiny_config)
    tiny_config.train.device = "cuda"
    gpu, s = run_experiment(tiny_config)
    assert gpu.device.startswith("cuda") and s.tensors["x_train"].is_cuda
    assert gpu.test["mse"] == pytest.approx(cpu.test["mse"], rel=0.05)


def test_process_job_on_cuda(tiny_config):
    tiny_config.train.device = "cuda"
    job = TrainingJob(tiny_config, mode="process").start()
    assert job.join(120) and job.snapshot().state == "completed"


def test_cuda_reads_losses_back_every_few_steps_with_the_same_training(tiny_config):
    from rnnlab.experiment import make_trainer, setup
    from rnnlab.train import READ_EVERY_CUDA

    tiny_config.train.device = "cuda"
    histories = []
    for read_every in (None, 1):
        s = setup(tiny_config)
        trainer = make_trainer(s)
        assert trainer.read_every == (READ_EVERY_CUDA if read_every is None else 1) or read_every == 1
        trainer.read_every = read_every or trainer.read_every
        assert trainer.run().reason == "completed"
        histories.append([h["train_loss"] for h in trainer.history])
    assert histories[0] == pytest.approx(histories[1], rel=1e-4)


def test_the_apps_training_child_trains_on_cuda(tiny_config):
    tiny_config.train.device = "auto"
    job = TrainingJob(tiny_config, mode="process").start()
    assert job.join(120) and job.snapshot().result.device.startswith("cuda")
