"""The training loop. It raises small events; the CLI, the job, the tests and the charts listen."""
from __future__ import annotations

import copy
import math
import os
import threading
import time
from collections.abc import Callable

import torch
from torch import nn

from rnnlab.config import TrainConfig
from rnnlab.errors import ConfigError
from rnnlab.events import Control, Done, EpochEnd, Event, Probe, StepEnd
from rnnlab.graphs import StepGraph, not_capturable


def resolve_device(name: str) -> torch.device:
    """auto -> cuda, then mps, then cpu; an unavailable explicit choice raises ConfigError."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("CUDA is not available on this machine; use device auto or cpu.")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("Apple MPS is not available on this machine; use device auto or cpu.")
    if name not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"unknown device {name!r}; choose auto, cpu, cuda or mps.")
    return torch.device(name)


def make_optimizer(cfg: TrainConfig, params, capturable: bool = False) -> torch.optim.Optimizer:
    """capturable: a step that never reads a number back to the host (for a CUDA graph)."""
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay, capturable=capturable)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, weight_decay=cfg.weight_decay, capturable=capturable)
    raise ConfigError(f"unknown optimizer {cfg.optimizer!r}.")


_warm = threading.Lock()
_warmed = False


def warm_up() -> None:
    """Pay torch's one-time lazy imports (the first optimizer.step imports torch._dynamo, ~0.8 s)
    outside any timed loop; cheap after the first call. The app calls it at start-up."""
    global _warmed
    with _warm:
        if _warmed:
            return
        p = nn.Parameter(torch.zeros(1))
        p.grad = torch.zeros(1)
        for opt in (torch.optim.Adam([p]), torch.optim.SGD([p], lr=0.1, momentum=0.9), torch.optim.RMSprop([p])):
            opt.step()
        _warmed = True


READ_EVERY_CUDA = 16  # CUDA: losses read back every this many steps, not every step (no sync per step)
# CUDA graphs for the training step (rnnlab/graphs.py): off unless RNNLAB_CUDA_GRAPH=1, until measured
# on a GPU (no session with a GPU has run them yet: their tests skip without CUDA).
CUDA_GRAPH = os.environ.get("RNNLAB_CUDA_GRAPH", "0") == "1"
PROBE_BUDGET = 0.05  # auto probe interval: probes take at most this share of training time


class ProbeSchedule:
    """When to probe: every K steps, or (K = -1) adaptively so probes cost <= PROBE_BUDGET of the time.

    The auto schedule probes at step 1 (instant feedback), then spaces probes by
    ceil(probe seconds / (budget * seconds per step)), re-estimated after every probe.
    """

    def __init__(self, every: int):
        self.every, self.next = every, (1 if every == -1 else every)
        self.step_seconds = None

    def due(self, step: int) -> bool:
        return self.every != 0 and step >= self.next

    def record_step(self, seconds: float) -> None:
        self.step_seconds = seconds if self.step_seconds is None else 0.9 * self.step_seconds + 0.1 * seconds

    def record_probe(self, step: int, seconds: float) -> None:
        if self.every > 0:
            self.next = step + self.every
        else:
            per_step = max(self.step_seconds or 1e-3, 1e-6)
            self.next = step + max(1, math.ceil(seconds / (PROBE_BUDGET * per_step)))


DIVERGED_ADVICE = ("the loss became infinite or NaN: lower the learning rate (try 10x smaller), "
                   "turn on gradient clipping, or use an LSTM/GRU or orthogonal initialisation.")


class Trainer:
    """Mini-batch training on tensors already placed on the device; emits events to callbacks."""

    def __init__(self, cfg: TrainConfig, model: nn.Module, x_train: torch.Tensor, y_train: torch.Tensor,
                 x_val: torch.Tensor | None = None, y_val: torch.Tensor | None = None,
                 callbacks: list[Callable[[Event], None]] | None = None,
                 control: Control | None = None,
                 probe: Callable[[nn.Module, int], Probe] | None = None, every_step: bool = False,
                 score_from: int = 0, read_every: int | None = None):
        self.cfg, self.model = cfg, model
        # steps between host reads of the loss (one device sync each): every step where a read is free
        self.read_every = read_every or (READ_EVERY_CUDA if x_train.device.type == "cuda" else 1)
        self.every_step = every_step  # y_train holds the targets after every step: (B, S, H)
        self.score_from = score_from  # every-step loss: steps before this one are not scored
        self.x_train, self.y_train, self.x_val, self.y_val = x_train, y_train, x_val, y_val
        self.callbacks = list(callbacks or [])
        self.control = control or Control()
        self.probe = probe
        self.history: list[dict] = []  # {epoch, train_loss, val_loss}
        self.train_seconds = 0.0
        self.steps = 0
        self.total_steps = cfg.epochs * math.ceil(len(y_train) / cfg.batch_size)
        self.step_path = "eager"  # how steps ran: "eager", "CUDA graph", or "eager: why not a graph"

    def emit(self, event: Event) -> None:
        for cb in self.callbacks:
            cb(event)

    def val_loss(self) -> float | None:
        """Mean squared error on the validation windows (scaled units), in eval mode."""
        if self.x_val is None or len(self.x_val) == 0:
            return None
        self.model.eval()
        with torch.no_grad():
            total = 0.0
            for i in range(0, len(self.x_val), 4096):
                pred = self.model(self.x_val[i:i + 4096])
                total += float(((pred - self.y_val[i:i + 4096]) ** 2).sum())
        self.model.train()
        return total / self.y_val.numel()

    def run(self) -> Done:
        """Train until done, stopped, early-stopped or diverged; never raises on divergence."""
        cfg, model = self.cfg, self.model
        warm_up()
        self._params = [p for p in model.parameters() if p.requires_grad]
        refusal = self._graph_refusal()  # None: the step is captured as a CUDA graph
        self._opt = make_optimizer(cfg, self._params, capturable=refusal is None)
        self._graph = None if refusal else StepGraph(self._full_step, self._params, self._opt, cfg.batch_size,
                                                     self.x_train.device)
        self.step_path = refusal or self._graph.mode
        self._gen = torch.Generator().manual_seed(cfg.seed)
        self._good = [p.detach().clone() for p in self._params] if self.read_every > 1 else []  # last good read
        self._best, self._best_state, self._bad_epochs = math.inf, None, 0
        self._clock, self._paused = time.perf_counter(), 0.0
        self._schedule = ProbeSchedule(cfg.probe_every if self.probe is not None else 0)
        model.train()
        done = Done("completed", f"trained {cfg.epochs} epochs")
        for epoch in range(1, cfg.epochs + 1):
            ended = self._epoch(epoch) or self._epoch_end(epoch)  # stopped or diverged: no epoch end
            if ended is not None:
                done = ended
                break
        self.train_seconds = time.perf_counter() - self._clock - self._paused
        if self._graph is not None:
            self.step_path = self._graph.mode
        if self._best_state is not None:
            model.load_state_dict(self._best_state)
        model.eval()
        if self._schedule.every and self.steps and done.reason not in ("diverged", "stopped"):
            self.emit(self.probe(model, self.steps))  # the final weights, outside train_seconds
        self.emit(done)
        return done

    def _epoch(self, epoch: int) -> Done | None:
        """One pass over the training data in a fresh order; a Done when stopped or diverged.

        Losses and gradient norms are read back to the host every `read_every` steps (one device sync
        per read). With 1 (CPU: a read costs nothing) a non-finite step is caught before the
        optimizer applies it. With more (CUDA: no sync per step) the steps in between are applied
        and checked at the read; a non-finite one restores the weights of the last good read."""
        n, bs = len(self.y_train), self.cfg.batch_size
        perm = torch.randperm(n, generator=self._gen).to(self.x_train.device)
        self._epoch_loss, self._batches, self._epoch_clock = 0.0, 0, time.perf_counter()
        pending: list[tuple[int, torch.Tensor, float]] = []  # (batch end, [loss, norm], step start) not read yet
        for i in range(0, n, bs):
            self._paused += self.control.wait_while_paused()
            step_clock = time.perf_counter()
            if self.control.stopped:
                ended = self._read(pending, epoch)
                return ended or Done("stopped", f"stopped by the user after {self.steps} steps")
            idx = perm[i:i + bs]
            pending.append((min(i + bs, n), self._step(idx) if self._graph is None else self._graph.step(idx),
                            step_clock))
            if self.read_every == 1:
                (loss_v, gn_v), = pending[0][1].view(1, 2).tolist()
                if not (math.isfinite(loss_v) and math.isfinite(gn_v)):
                    return Done("diverged", f"step {self.steps + 1}: " + DIVERGED_ADVICE)
                self._opt.step()
                self._record(epoch, pending.pop(), loss_v, gn_v, time.perf_counter() - step_clock)
            else:
                if self._graph is None:  # a graph's step includes the optimizer's
                    self._opt.step()
                if len(pending) >= self.read_every or i + bs >= n:
                    ended, pending = self._read(pending, epoch), []
                    if ended is not None:
                        return ended
        return None

    def _read(self, pending: list, epoch: int) -> Done | None:
        """Read back the pending steps' numbers with one sync, emit their events; a Done if one of
        them was not finite (the weights then go back to the last good read)."""
        if not pending:
            return None
        values = torch.stack([v for _, v, _ in pending]).tolist()
        bad = next((j for j, (loss_v, gn_v) in enumerate(values)
                    if not (math.isfinite(loss_v) and math.isfinite(gn_v))), None)
        if bad is not None:  # the weights after the good steps before it are gone: back to the last read
            with torch.no_grad():
                torch._foreach_copy_(self._params, self._good)
            return Done("diverged", f"step {self.steps + bad + 1}: " + DIVERGED_ADVICE
                        + f" (kept the weights after step {self.steps}, the last check before it)")
        per_step = (time.perf_counter() - pending[0][2]) / len(pending)
        for item, (loss_v, gn_v) in zip(pending, values):
            self._record(epoch, item, loss_v, gn_v, per_step)
        with torch.no_grad():
            torch._foreach_copy_(self._good, self._params)
        return None

    def _record(self, epoch: int, item: tuple, loss_v: float, gn_v: float, seconds: float) -> None:
        """One applied step: counters, the StepEnd event, the probe schedule."""
        self.steps += 1
        self._epoch_loss += loss_v
        self._batches += 1
        rate = item[0] / max(time.perf_counter() - self._epoch_clock, 1e-9)
        self.emit(StepEnd(self.steps, epoch, loss_v, gn_v, self.cfg.lr, rate))
        self._schedule.record_step(seconds)
        self._maybe_probe()

    def _graph_refusal(self) -> str | None:
        """Why the step stays eager (the run's step_path), or None where a CUDA graph is tried (CUDA,
        losses read back every few steps, RNNLAB_CUDA_GRAPH=1)."""
        device = self.x_train.device
        if not CUDA_GRAPH:
            return "eager: CUDA graphs are off (RNNLAB_CUDA_GRAPH=1 turns them on)" if device.type == "cuda" else "eager"
        if self.read_every == 1 and device.type == "cuda":
            return "eager: the loss is read back after every step"
        return not_capturable(device, self.cfg.optimizer)

    def _full_step(self, idx: torch.Tensor, set_to_none: bool = True) -> torch.Tensor:
        """_step and the optimizer's step: what a CUDA graph captures."""
        out = self._step(idx, set_to_none)
        self._opt.step()
        return out

    def _step(self, idx: torch.Tensor, set_to_none: bool = True) -> torch.Tensor:
        """Forward and backward on one batch, gradients clipped; returns [loss, gradient norm before
        clipping] on the device (no sync: the caller reads it back). set_to_none=False zeroes the
        gradients in place (a CUDA graph's, which it reuses)."""
        model, cfg = self.model, self.cfg
        xb, yb = self.x_train[idx], self.y_train[idx]
        self._opt.zero_grad(set_to_none=set_to_none)
        if self.every_step:
            k = self.score_from
            loss = nn.functional.mse_loss(model(xb, all_steps=True)[:, k:], yb[:, k:])
        else:
            loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        gn = nn.utils.clip_grad_norm_(self._params, cfg.clip if cfg.clip > 0 else math.inf)
        return torch.stack([loss.detach(), gn])

    def _maybe_probe(self) -> None:
        if self._schedule.due(self.steps) and not self.control.stopped:
            probe_clock = time.perf_counter()
            self.emit(self.probe(self.model, self.steps))
            self.model.train()
            self._schedule.record_probe(self.steps, time.perf_counter() - probe_clock)

    def _epoch_end(self, epoch: int) -> Done | None:
        """Validation, history, the EpochEnd event, then the time budget and early stopping."""
        cfg = self.cfg
        budget_hit = cfg.max_seconds and time.perf_counter() - self._clock - self._paused >= cfg.max_seconds
        val = self.val_loss()
        self.train_seconds = time.perf_counter() - self._clock - self._paused
        train_loss = self._epoch_loss / max(self._batches, 1)
        self.history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val})
        self.emit(EpochEnd(epoch, train_loss, val, self.train_seconds))
        if budget_hit and epoch < cfg.epochs:
            return Done("completed", f"time budget of {cfg.max_seconds:g} s reached after {epoch} epochs")
        if cfg.patience and val is not None:
            if val < self._best - 1e-12:
                self._best, self._bad_epochs = val, 0
                self._best_state = copy.deepcopy(self.model.state_dict())
            else:
                self._bad_epochs += 1
                if self._bad_epochs >= cfg.patience:
                    return Done("early-stop", f"validation loss did not improve for {cfg.patience} "
                                f"epochs; kept the weights of the best epoch")
        return None
