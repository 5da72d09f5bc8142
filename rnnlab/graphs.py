"""The whole training step as one CUDA graph: batch gather, forward, loss, backward, clipping and the
optimizer step, captured once and replayed for every full batch (the last, shorter batch of an
epoch stays eager: a graph has fixed shapes).

A small RNN's step is hundreds of kernel launches from Python, each costing more than its kernel;
replayed, it is one launch. Capture needs the workload warmed up on the stream it is captured on
(the optimizer's state, cuDNN's and cuBLAS's workspaces exist by then) and an optimizer whose step
never asks the host for a number (`capturable=True`; SGD is capturable as it is).

Capture can fail (an operation that syncs with the host, a cuDNN path that cannot be captured), and
a graph could compute something else than the eager step. So the first replay is checked: from the
same weights and optimizer state, the graph's step and an eager step must give the same loss,
gradient norm and weights (within CHECK_RTOL). Any failure or mismatch leaves the training eager,
and `StepGraph.mode` says which path ran, and why (the run's result keeps it).
"""
from __future__ import annotations

from collections.abc import Callable

import torch

WARM_STEPS = 3  # eager steps on the capture stream before the capture
CHECK_RTOL, CHECK_ATOL = 1e-3, 1e-6  # graph against eager step: loss, gradient norm, weights
CAPTURABLE = ("adam", "rmsprop", "sgd")  # optimizers whose step can be captured (rnnlab.train.make_optimizer)


def not_capturable(device: torch.device, optimizer: str) -> str | None:
    """Why a training cannot use a CUDA graph (None: it can try)."""
    if device.type != "cuda":
        return f"eager: CUDA graphs need a CUDA device, not {device.type}"
    if optimizer not in CAPTURABLE:
        return f"eager: the {optimizer} optimizer cannot be captured"
    return None


class StepGraph:
    """One training step, eager for its first WARM_STEPS calls, then captured and replayed.

    step(idx) runs a whole step (the optimizer's included) for the batch of training rows `idx` and
    returns [loss, gradient norm] on the device. `eager(idx, set_to_none)` is the Trainer's own step;
    `params` and `optimizer` are what a check saves and restores."""

    def __init__(self, eager: Callable[[torch.Tensor, bool], torch.Tensor], params: list[torch.Tensor],
                 optimizer: torch.optim.Optimizer, batch_size: int, device: torch.device):
        self.eager, self.params, self.optimizer = eager, params, optimizer
        self.batch_size = batch_size
        self.stream = torch.cuda.Stream(device)
        self.idx = torch.zeros(batch_size, dtype=torch.long, device=device)  # the graph's input
        self.graph: torch.cuda.CUDAGraph | None = None
        self.out: torch.Tensor | None = None  # the graph's output: [loss, norm]
        self.calls = 0
        self.tried = False  # capture attempted (after WARM_STEPS full batches)
        self.mode = "eager: too few full batches to capture"  # "CUDA graph" once captured and checked

    def step(self, idx: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.graph is not None and len(idx) == self.batch_size:
            self.idx.copy_(idx)
            self.graph.replay()
            return self.out.clone()
        if not self.tried and len(idx) == self.batch_size:
            if self.calls > WARM_STEPS:
                self.tried = True
                return self._capture_and_check(idx)
            return self._on_stream(idx)
        return self.eager(idx, self.graph is None)  # a shorter batch; set_to_none only without a graph

    def _on_stream(self, idx: torch.Tensor) -> torch.Tensor:
        """An eager step on the capture stream (capture needs its workspaces made there)."""
        self.stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(self.stream):
            out = self.eager(idx, True)
        torch.cuda.current_stream().wait_stream(self.stream)
        return out

    def _capture_and_check(self, idx: torch.Tensor) -> torch.Tensor:
        saved = self._state()
        try:
            graph = torch.cuda.CUDAGraph()
            self.optimizer.zero_grad(set_to_none=True)  # the graph's backward makes the gradients it reuses
            self.stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.graph(graph, stream=self.stream, capture_error_mode="thread_local"):
                out = self.eager(self.idx, False)
            self.idx.copy_(idx)
            graph.replay()
            got, weights = out.clone(), [p.detach().clone() for p in self.params]
        except RuntimeError as e:  # not capturable: an op that syncs, a kernel capture refuses
            self._restore(saved)
            self.mode = f"eager: the step could not be captured ({str(e).splitlines()[0][:160]})"
            return self.eager(idx, True)
        self._restore(saved)
        want = self.eager(idx, False)  # the same step, eager, from the same weights and state
        same = torch.allclose(got, want, rtol=CHECK_RTOL, atol=CHECK_ATOL) and all(
            torch.allclose(w, p, rtol=CHECK_RTOL, atol=CHECK_ATOL) for w, p in zip(weights, self.params))
        if same:
            self.graph, self.out, self.mode = graph, out, "CUDA graph"
        else:
            self.mode = "eager: the captured step did not match the eager one"
        return want

    def _state(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(tensor, copy) of every weight and optimizer-state tensor: restored in place, because a
        graph reads and writes those very tensors."""
        tensors = list(self.params) + [v for s in self.optimizer.state.values() for v in s.values()
                                       if isinstance(v, torch.Tensor)]
        return [(t, t.detach().clone()) for t in tensors]

    @staticmethod
    def _restore(saved: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        with torch.no_grad():
            for t, copy in saved:
                t.copy_(copy)
