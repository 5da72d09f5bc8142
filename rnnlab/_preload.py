"""Imported once by the training forkserver (rnnlab.worker), so every forked job starts warm.

Imports only: nothing here may touch CUDA. A CUDA context cannot survive a fork, and the forkserver
forks every job, so a single CUDA call in this process (an optimizer step queries the accelerator's
current stream) makes every job fail on a GPU with "Cannot re-initialize CUDA in forked
subprocess". The first optimizer step's real cost is the lazy import of torch._dynamo (~0.8 s);
importing it here pays that without running a step (tests/test_worker.py checks both).
"""
import torch._dynamo  # noqa: F401
import torch.optim  # noqa: F401
