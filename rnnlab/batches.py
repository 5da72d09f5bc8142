"""Model inputs on the training device, built a batch at a time from one copy of the series.

`WindowTensor` behaves as a (n, L, F) float32 tensor of scaled windows: `len()`, slicing and
indexing with an index tensor return real (B, L, F) tensors, so the Trainer, the probes and the
benchmarks index it as they would a tensor. Only the series (T, F) lives on the device; each
batch gathers its windows with `Tensor.unfold` (a view) and an index, then scales them.
"""
from __future__ import annotations

import torch

from rnnlab.windows import Part


class WindowTensor:
    """The scaled inputs of one part of a single series, gathered per batch."""

    def __init__(self, part: Part, device: torch.device | str, lookback: int | None = None,
                 starts=None):
        """lookback / starts: other windows over the same series (the every-step loss's longer
        training sequences); by default the part's own."""
        w = part.windows
        scaler = w.scaler
        self.kind, self.lookback = scaler.kind, lookback or w.lookback
        # affine scalers act per value: scale the series once; last / diff depend on each window,
        # so keep it in float64 (the arithmetic numpy did before) where the device has float64
        exact = torch.float32 if torch.device(device).type == "mps" else torch.float64
        if self.kind in ("last", "diff"):  # a read-only array (a cached upload) is copied, not shared
            values = w.values if w.values.flags.writeable else w.values.copy()
            self.base = torch.as_tensor(values, dtype=exact, device=device)  # (T, F)
        else:
            self.base = torch.as_tensor((w.values - scaler.x_shift) / scaler.x_scale, dtype=torch.float32,
                                        device=device)
        self.scale = torch.as_tensor(scaler.x_scale, dtype=self.base.dtype, device=device)
        self.starts = torch.as_tensor(part.pos if starts is None else starts, dtype=torch.long, device=device)
        self._windows = self.base.unfold(0, self.lookback, 1)  # (T - L + 1, F, L): a view, no copy

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def device(self) -> torch.device:
        return self.base.device

    @property
    def is_cuda(self) -> bool:
        return self.base.is_cuda

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self), self.lookback, self.base.shape[1]

    def __getitem__(self, idx) -> torch.Tensor:
        """Windows at a slice or index tensor of this part: (B, L, F) float32 on the device."""
        starts = self.starts[idx]
        x = self._windows[starts].transpose(1, 2)  # (B, L, F)
        if self.kind == "last":
            x = (x - self.base[starts + self.lookback - 1].unsqueeze(1)) / self.scale
        elif self.kind == "diff":
            x = torch.diff(x, dim=1, prepend=x[:, :1]) / self.scale
        return x.to(torch.float32).contiguous()


def model_inputs(part: Part, device: torch.device | str):
    """What the Trainer indexes for a part: a WindowTensor for a series, a real tensor for a panel."""
    if part.windows.panel:
        return torch.as_tensor(part.scaled(), device=device)
    return WindowTensor(part, device)


class StepTargets:
    """Targets of the every-step loss: after step t of the training sequence starting at row j, the
    next H values of the target column, scaled as the part's scaler scales targets: (B, S, H)."""

    def __init__(self, part: Part, device: torch.device | str, length: int, horizon: int, starts):
        w, scaler = part.windows, part.windows.scaler
        v = torch.tensor(w.values[:, 0], dtype=torch.float64)  # a copy: the series may be read-only
        if scaler.kind == "diff":  # a target is its change from the value before it
            v = torch.diff(v, prepend=v[:1]) / scaler.y_scale
        elif scaler.kind in ("none", "zscore", "minmax"):
            v = (v - scaler.y_shift) / scaler.y_scale
        else:
            raise ValueError(f"the every-step loss cannot use the {scaler.kind!r} scaler")
        self.values = v.to(torch.float32).to(device).unfold(0, horizon, 1)  # (T - H + 1, H): a view
        self.starts = torch.as_tensor(starts, dtype=torch.long, device=device)
        self.offsets = torch.arange(1, length + 1, device=self.values.device)  # targets begin one step on

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def device(self) -> torch.device:
        return self.values.device

    def numel(self) -> int:
        return len(self) * self.offsets.numel() * self.values.shape[1]

    def __getitem__(self, idx) -> torch.Tensor:
        rows = self.starts[idx].unsqueeze(-1) + self.offsets  # (B, S)
        return self.values[rows]  # (B, S, H)
