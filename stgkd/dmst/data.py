"""Data for the DMST-GNODE comparison: day-aware windows of ``n_his`` steps in and
``n_pred`` steps out, scaled by a Box-Cox transform fitted on the training days (or
another of the :mod:`~stgkd.dmst.scaling` options), and the graphs the models use."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from stgkd.data.boxcox import BoxCox, StationBoxCox
from stgkd.data.series import TrafficSeries
from stgkd.data.windows import ZScore, day_windows
from stgkd.dmst.graph_cache import cached_pattern_graph
from stgkd.dmst.scaling import DEFAULT_SCALING, check_scaling, fit_scaler

# Steps of 5-minute data at 20, 40 and 60 minutes: the paper's horizons.
HORIZON_STEPS: tuple[int, ...] = (4, 8, 12)


@dataclass
class MultiStepData:
    """Windows [S, n_his + n_pred, N] of Box-Cox-scaled readings per split (no window
    crosses a day), with the fitted ``scaler`` (its ``inverse`` gives original units) and
    the ``scaling`` option it comes from (:data:`stgkd.dmst.scaling.SCALINGS`)."""

    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor
    scaler: BoxCox | StationBoxCox | ZScore
    n_his: int
    n_pred: int
    split_days: tuple[int, int, int]
    steps_per_day: int
    scaling: str = DEFAULT_SCALING

    @property
    def n_nodes(self) -> int:
        return self.train.shape[-1]


def make_multistep_windows(series: TrafficSeries, split_days: tuple[int, int, int],
                           n_his: int = 12, n_pred: int = 12,
                           scaler=None, scaling: str = DEFAULT_SCALING) -> MultiStepData:
    """Split ``series`` into consecutive train/val/test days, fit the ``scaling`` option's
    scaler (Box-Cox by default, :mod:`stgkd.dmst.scaling`) on the training days only (or
    use a run's stored ``scaler``) and cut every within-day window of ``n_his + n_pred``
    steps."""
    check_scaling(scaling)
    if min(split_days) < 1:
        raise ValueError(f"split_days: expected three positive day counts, found {split_days}")
    if sum(split_days) > series.n_days:
        raise ValueError(f"split_days: {tuple(split_days)} needs {sum(split_days)} days, "
                         f"{series.name} has {series.n_days}")
    spd = series.steps_per_day
    n_train, n_val, _ = split_days
    if scaler is None:
        scaler = fit_scaler(scaling, series.values[: n_train * spd])
    scaled = np.asarray(scaler.transform(series.values))
    frame = n_his + n_pred

    def cut(first: int, count: int) -> torch.Tensor:
        return torch.from_numpy(day_windows(scaled, first, count, spd, frame).astype(np.float32))

    return MultiStepData(cut(0, n_train), cut(n_train, n_val), cut(n_train + n_val, split_days[2]),
                         scaler, n_his, n_pred, tuple(split_days), spd, scaling)


def build_graphs(series: TrafficSeries, n_train_days: int) -> dict[str, np.ndarray]:
    """The distance graph (the data set's STGCN weights) and the DTW pattern graph of the
    training days (:func:`stgkd.data.multigraph.pattern_graph`, computed once per readings
    and kept: :func:`stgkd.dmst.graph_cache.cached_pattern_graph`), as [N, N] arrays.
    The dynamic graph is learned inside DMST-GNODE."""
    train = series.values[: n_train_days * series.steps_per_day]
    return {"distance": np.asarray(series.weights, dtype=np.float64),
            "pattern": cached_pattern_graph(train, series.steps_per_day)}
