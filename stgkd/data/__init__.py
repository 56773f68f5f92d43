"""Traffic data: loaders, graph weights, windows and splits.

>>> from stgkd.data import load_series, make_windows
>>> series = load_series("pemsd7m")                      # doctest: +SKIP
>>> data = make_windows(series, DEFAULT_SPLITS["pemsd7m"])  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Callable

from stgkd.data.custom import load_custom
from stgkd.data.errors import DataFormatError
from stgkd.data.graph import (chebyshev_polynomials, edge_gaussian_weights, gaussian_weights,
                              ring_graph, scaled_laplacian)
from stgkd.data.losloop import load_losloop
from stgkd.data.pems08 import load_pems08
from stgkd.data.pemsd7m import load_pemsd7m
from stgkd.data.series import TrafficSeries, impute_linear
from stgkd.data.synthetic import synthetic_series
from stgkd.data.windows import WindowedData, ZScore, day_windows, make_windows

LOADERS: dict[str, Callable[..., TrafficSeries]] = {
    "pemsd7m": load_pemsd7m,
    "losloop": load_losloop,
    "pems08": load_pems08,        # the full file is user-supplied (see load_pems08)
    "custom": load_custom,        # needs speed_csv=..., distance_csv=... (see load_custom)
    "synthetic": synthetic_series,
}

# Consecutive (train, val, test) days. PeMSD7(M): the original STGCN split of its
# 44 weekdays; Los-loop has 7 days; PeMS08 has 62 days (roughly 6:2:2).
DEFAULT_SPLITS: dict[str, tuple[int, int, int]] = {
    "pemsd7m": (34, 5, 5),
    "losloop": (5, 1, 1),
    "pems08": (37, 12, 13),
    "synthetic": (2, 1, 1),
}


def load_series(name: str, **kwargs) -> TrafficSeries:
    """Load a data set by name (see ``LOADERS``)."""
    if name not in LOADERS:
        raise ValueError(f"dataset: expected one of {sorted(LOADERS)}, found {name!r}")
    return LOADERS[name](**kwargs)


__all__ = [
    "DEFAULT_SPLITS", "DataFormatError", "LOADERS", "TrafficSeries", "WindowedData", "ZScore",
    "chebyshev_polynomials", "day_windows", "edge_gaussian_weights", "gaussian_weights",
    "impute_linear", "load_custom", "load_pems08", "load_series", "make_windows",
    "ring_graph", "scaled_laplacian", "synthetic_series",
]
