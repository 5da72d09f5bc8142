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
