"""Suggested settings for a series, each with its reason: the lookback from the seasonal period
and the series length (the default lookback of 50 suits long generated series, not a 150-point
monthly file)."""
from __future__ import annotations

import numpy as np

from rnnlab.inputs import detect_period
from rnnlab.windows import split_points

MIN_LOOKBACK, MAX_LOOKBACK = 6, 200


def suggest_lookback(values: np.ndarray, val_fraction: float, test_fraction: float) -> tuple[int, str]:
    """(lookback, reason): two seasonal periods when the training part shows one (so seasonal naive
    and the network see a whole season back), else a tenth of the series; at most a third of the
    training part and at most 200, at least 6. Only the training part is looked at."""
    y = np.asarray(values, dtype=np.float64)
    if y.ndim > 1:
        y = y[:, 0]
    train_end, _ = split_points(len(y), val_fraction, test_fraction)
    cap = max(MIN_LOOKBACK, min(MAX_LOOKBACK, train_end // 3))
    period = detect_period(y[:train_end], max_period=min(cap, 400))
    if period:
        lookback = min(2 * period, cap) if 2 * period <= cap else min(period + 1, cap)
        seasons = "two seasons" if lookback == 2 * period else "one season and a step"
        return lookback, f"{seasons} of the period {period} detected on the training part"
    lookback = int(np.clip(len(y) // 10, MIN_LOOKBACK, cap))
    return lookback, f"no seasonal period found: a tenth of the {len(y):,} points, at most a third of the training part"
