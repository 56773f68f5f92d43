"""Day-aware sliding windows, day splits and the z-score scaler fitted on training days."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from stgkd.data.series import TrafficSeries


@dataclass(frozen=True)
class ZScore:
    """``z = (x - mean) / std`` (KD paper eq. 15) with one mean and std for all stations,
    as in the original STGCN code."""

    mean: float
    std: float

    @classmethod
    def fit(cls, values: np.ndarray) -> "ZScore":
        std = float(np.std(values))
        return cls(float(np.mean(values)), std if std > 0 else 1.0)

    def transform(self, values):
        return (values - self.mean) / self.std

    def inverse(self, values):
        return values * self.std + self.mean


@dataclass
class WindowedData:
    """Model-ready windows of one data set.

    ``train``, ``val`` and ``test`` are float32 tensors [S, n_his + n_pred, N] of
    z-scored readings: the first ``n_his`` steps are the input, step ``n_his`` is
    the one-step training target and steps ``n_his .. n_his + n_pred - 1`` are the
    rollout targets. No window crosses a day boundary.
    """

    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor
    scaler: ZScore
    n_his: int
    n_pred: int
    split_days: tuple[int, int, int]

    @property
    def n_nodes(self) -> int:
        return self.train.shape[-1]


def day_windows(values: np.ndarray, first_day: int, n_days: int, steps_per_day: int,
                frame: int) -> np.ndarray:
    """All windows of ``frame`` consecutive steps lying inside one day.

    Args:
        values: [T, N] series.
        first_day, n_days: the days to cut, counted from the start of ``values``.

    Returns:
        [n_days * (steps_per_day - frame + 1), frame, N], day by day in time order.
    """
    per_day = steps_per_day - frame + 1
    if per_day < 1:
        raise ValueError(f"frame: a window of {frame} steps does not fit in a day of "
                         f"{steps_per_day} steps")
    windows = []
    for day in range(first_day, first_day + n_days):
        start = day * steps_per_day
        day_values = values[start:start + steps_per_day]
        # [per_day, frame, N] view over the day, then copied by np.stack below
        windows.append(np.lib.stride_tricks.sliding_window_view(day_values, frame, axis=0)
                       .transpose(0, 2, 1))
    return np.concatenate(windows, axis=0)


def make_windows(series: TrafficSeries, split_days: tuple[int, int, int], n_his: int = 12,
                 n_pred: int = 9) -> WindowedData:
    """Split ``series`` into consecutive train/val/test days and cut windows.

    The scaler is fitted on the training days only. ``split_days`` must fit in
    the series; trailing days beyond the split are left out.
    """
    n_train, n_val, n_test = split_days
    if min(split_days) < 1:
        raise ValueError(f"split_days: expected three positive day counts, found {split_days}")
    if sum(split_days) > series.n_days:
        raise ValueError(f"split_days: {split_days} needs {sum(split_days)} days, "
                         f"{series.name} has {series.n_days}")
    frame = n_his + n_pred
    spd = series.steps_per_day
    scaler = ZScore.fit(series.values[: n_train * spd])
    scaled = scaler.transform(series.values)

    def cut(first: int, count: int) -> torch.Tensor:
        return torch.from_numpy(day_windows(scaled, first, count, spd, frame).astype(np.float32))

    return WindowedData(cut(0, n_train), cut(n_train, n_val), cut(n_train + n_val, n_test),
                        scaler, n_his, n_pred, tuple(split_days))
