"""Data containers shared by generators, the CSV loader and windowing."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported where dates are made or read: a fresh server's first page needs none
    import pandas as pd


@dataclass
class SeriesData:
    """One multivariate time series; column 0 is the target, the others are extra inputs."""

    values: np.ndarray  # (T, F) float64
    names: list[str]  # F column names, target first
    dates: pd.DatetimeIndex | None = None  # T timestamps, when the source had them
    period: int | None = None  # known seasonal period in steps (generators know theirs)
    notes: list[str] = field(default_factory=list)  # what the loader did, for people
    read_as: dict | None = None  # how a CSV file was read (delimiter, formats, dates): rnnlab.script writes it out

    @property
    def target(self) -> np.ndarray:
        return self.values[:, 0]


@dataclass
class PanelData:
    """Independent, already-windowed samples (seed-sales, memory tasks): no shared time axis."""

    x: np.ndarray  # (N, L, F) inputs
    y: np.ndarray  # (N, H) targets
    names: list[str]  # F input names
    target_name: str = "target"  # what y is, for axis labels
    notes: list[str] = field(default_factory=list)
