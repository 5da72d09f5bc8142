"""rnnlab's training step against a bare fused-cuDNN (or CPU) loop, on whatever device is found.

    python -m benchmarks.bench_device [--device auto] [--steps 200]

For an LSTM of the seed's size (batch 32, 50 steps, 50 units) and a large one (batch 256, 200 steps,
256 units): the mean step time of a bare loop (nn.LSTM + Linear, Adam, data on the device, no host
sync) and of rnnlab's Trainer on the same tensors, and their ratio (goal on CUDA: <= 1.15 for the
large one). Then the seed experiment (preset keras-classic, 20 epochs): rnnlab's training seconds
(goal on CUDA: <= 0.15 s). On CUDA the Trainer reads losses back every READ_EVERY_CUDA steps, and
every figure is also given with the step captured as a CUDA graph (rnnlab/graphs.py; the app turns
graphs on with RNNLAB_CUDA_GRAPH=1), with the path the steps really took.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

import rnnlab.train

from rnnlab.config import ModelConfig, TrainConfig
from rnnlab.experiment import run_experiment
from rnnlab.models import build_model
from rnnlab.presets import preset_config
from rnnlab.train import Trainer, resolve_device

SHAPES = {"seed (batch 32, 50 steps, 50 units)": (32, 50, 50),
          "large (batch 256, 200 steps, 256 units)": (256, 200, 256)}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bare_step_time(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int, steps: int) -> float:
    """Seconds per step of the loop a person writes by hand (after warm-up steps)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = len(y)
    for phase in ("warm", "timed"):
        sync(x.device)
        t = time.perf_counter()
        for k in range(steps if phase == "timed" else 5):
            idx = torch.randint(0, n, (batch,), device=x.device)
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.mse_loss(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        sync(x.device)
    return (time.perf_counter() - t) / steps


def rnnlab_step_time(x: torch.Tensor, y: torch.Tensor, hidden: int, batch: int) -> tuple[float, str]:
    """(seconds per step, how the steps ran) of rnnlab's Trainer (clipping, events, reads) on the
    same tensors."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(cell="lstm", hidden=hidden), n_features=1, horizon=1).to(x.device)
    Trainer(TrainConfig(epochs=1, batch_size=batch, device=str(x.device)), model, x[:batch * 2], y[:batch * 2]).run()
    trainer = Trainer(TrainConfig(epochs=1, batch_size=batch, device=str(x.device)), model, x, y)  # `steps` steps
    trainer.run()
    return trainer.train_seconds / trainer.steps, trainer.step_path


def seed_seconds(device: torch.device, repeats: int) -> tuple[float, str]:
    """(median training seconds, step path) of the seed experiment, 20 epochs."""
    cfg = preset_config("keras-classic", device=str(device), epochs=20)
    run_experiment(cfg)  # warm-up: first CUDA kernels, cuDNN plans
    runs = [run_experiment(cfg)[0] for _ in range(repeats)]
    path = next((n for n in runs[0].notes if n.startswith("training steps")), "eager")
    return statistics.median(r.train_seconds for r in runs), path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--steps", type=int, default=200, help="timed steps per measurement (large config: a tenth)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    device = resolve_device(args.device)
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"device: {device} ({name}), torch {torch.__version__}")
    graphs = [False, True] if device.type == "cuda" else [False]
    print("| config | steps | bare loop ms/step | rnnlab ms/step | ratio |\n|---|---|---|---|---|")
    for label, (batch, length, hidden) in SHAPES.items():
        steps = args.steps if batch == 32 or device.type == "cuda" else max(5, args.steps // 10)
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(batch * steps, length, 1, generator=gen).to(device)  # one epoch: `steps` steps
        y = torch.randn(batch * steps, 1, generator=gen).to(device)
        for graph in graphs:
            rnnlab.train.CUDA_GRAPH = graph
            bare, ours = [], []
            for _ in range(args.repeats):
                torch.manual_seed(0)
                lstm, head = nn.LSTM(1, hidden, batch_first=True).to(device), nn.Linear(hidden, 1).to(device)
                bare.append(bare_step_time(_Bare(lstm, head), x, y, batch, steps))  # the loop as by hand
                seconds, path = rnnlab_step_time(x, y, hidden, batch)
                ours.append(seconds)
            b, o = statistics.median(bare), statistics.median(ours)
            print(f"| {label} | {path} | {b * 1e3:.3f} | {o * 1e3:.3f} | {o / b:.2f} |")
    for graph in graphs:
        rnnlab.train.CUDA_GRAPH = graph
        seconds, path = seed_seconds(device, args.repeats)
        print(f"seed experiment (keras-classic, 20 epochs) on {device} ({path}): {seconds:.3f} s of training "
              "(goal on CUDA: <= 0.15 s)")


class _Bare(nn.Module):
    def __init__(self, lstm: nn.LSTM, head: nn.Linear):
        super().__init__()
        self.lstm, self.head = lstm, head

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


if __name__ == "__main__":
    main()
