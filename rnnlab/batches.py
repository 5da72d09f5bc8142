"""Model inputs on the training device, built a batch at a time from one copy of the series.

`WindowTensor` stands where a (n, L, F) float32 tensor of scaled windows used to: `len()`,
slicing and indexing with an index tensor return real (B, L, F) tensors, so the Trainer, the
probes and the benchmarks index it as before. Only the series (T, F) lives on the device; each
batch gathers its windows with `Tensor.unfold` (a view) and an index, then scales them.
"""
from __future__ import annotations

import torch

from rnnlab.windows import Part


class WindowTensor:
    """The scaled inputs of one part of a single series, gathered per batch."""

    def __init__(self, part: Part, device: torch.device | str):
        w = part.windows
        scaler = w.scaler
        self.kind, self.lookback = scaler.kind, w.lookback
        # affine scalers act per value: scale the series once; last / diff depend on each window,
        # so keep it in float64 (the arithmetic numpy did before) where the device has float64
        exact = torch.float32 if torch.device(device).type == "mps" else torch.float64
        if self.kind in ("last", "diff"):
            self.base = torch.as_tensor(w.values, dtype=exact, device=device)  # (T, F)
        else:
            self.base = torch.as_tensor((w.values - scaler.x_shift) / scaler.x_scale, dtype=torch.float32,
                                        device=device)
        self.scale = torch.as_tensor(scaler.x_scale, dtype=self.base.dtype, device=device)
        self.starts = torch.as_tensor(part.pos, dtype=torch.long, device=device)  # (n,)
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
