"""Shared fixtures: tiny configs so the whole suite stays fast on 2 cores."""
import pytest
import torch

from rnnlab.config import RunConfig

torch.set_num_threads(2)


@pytest.fixture
def tiny_config() -> RunConfig:
    """A run that trains in well under a second."""
    cfg = RunConfig()
    cfg.data.generator, cfg.data.length, cfg.data.lookback = "sine", 300, 20
    cfg.model.cell, cfg.model.hidden = "lstm", 8
    cfg.train.epochs, cfg.train.batch_size, cfg.train.device = 2, 32, "cpu"
    return cfg
