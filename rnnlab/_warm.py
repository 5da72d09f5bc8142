"""Imported once by the training forkserver (rnnlab.forkserver.PRELOAD, after ETS and Theta), so
every forked job starts warm.

Two things, both paid once here instead of in every child:
- the imports (torch, torch._dynamo, which the first optimizer step imports lazily, ~0.8 s; the
  engine; statsmodels' ETS and Theta);
- the first calls: a fresh process's first forward, backward, optimizer step, probe and evaluation
  (ETS and Theta fits included) take ~1 s more than later ones (kernel set-up, lazy imports inside
  torch and statsmodels, first-use caches). `warm_up` runs one tiny CPU training of the app's
  default recipe here (0.5 s), so a child reaches its first loss point in ~0.05 s instead of ~0.15 s
  and finishes a stopped run in ~0.05 s instead of ~0.8 s (measured on 2 cores; other cells and
  panel data gain as much from it: the slow first calls are shared).

No CUDA, ever: a CUDA context cannot survive a fork, and the forkserver forks every job, so a single
CUDA call in this process would make every job fail on a GPU with "Cannot re-initialize CUDA in
forked subprocess". The warm-up trains on the CPU with CUDA hidden (an optimizer step asks the
accelerator for its current stream otherwise), on one thread (no OpenMP thread pool exists when the
children fork), and starts no thread that outlives it (one epoch: no background ETS prefetch).
tests/test_worker.py checks all three.
"""
from __future__ import annotations

import contextlib

import torch
import torch._dynamo  # noqa: F401
import torch.optim  # noqa: F401

import rnnlab.diagnostics  # noqa: F401
import rnnlab.experiment  # noqa: F401
import rnnlab.worker  # noqa: F401 (child_main: what every child runs, a standby's target by name)



@contextlib.contextmanager
def cuda_hidden():
    """torch sees no accelerator inside this block (restored after)."""
    saved = torch.cuda.is_available, torch.accelerator.current_accelerator
    torch.cuda.is_available = lambda: False
    torch.accelerator.current_accelerator = lambda check_available=False: None
    try:
        yield
    finally:
        torch.cuda.is_available, torch.accelerator.current_accelerator = saved


def warm_up() -> None:
    """A tiny CPU training through the children's own path (setup, train with probes, evaluation)."""
    from rnnlab.config import RunConfig
    from rnnlab.diagnostics import probe_for_setup
    from rnnlab.experiment import setup, train

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with cuda_hidden():
            cfg = RunConfig()  # the default recipe, small
            cfg.data.length, cfg.data.lookback, cfg.model.hidden = 400, 20, 8
            cfg.train.epochs, cfg.train.device, cfg.train.probe_every = 1, "cpu", 1  # one epoch: no ETS thread
            train(setup(cfg), probe_factory=probe_for_setup)
    finally:
        torch.set_num_threads(threads)


warm_up()
