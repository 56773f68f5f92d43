"""The in-memory form of a traffic data set: a speed series on a weighted graph."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stgkd.data.errors import DataFormatError
from stgkd.data.validate import check_graph, check_readings


@dataclass
class TrafficSeries:
    """A multivariate traffic series observed on the nodes of a graph.

    Attributes:
        name: data set name, e.g. ``"pemsd7m"``.
        values: [T, N] float64 readings in original units (mph, vehicles/5 min),
            missing cells already imputed.
        weights: [N, N] weighted adjacency W with a zero diagonal.
        steps_per_day: readings per day (288 for 5-minute data).
        n_imputed: number of cells that were missing and filled by interpolation.
        units: unit of ``values`` for axis labels.
        node_ids: station identifiers, when the source has them.
        coordinates: [N, 2] latitude/longitude, when known.
        sources: the files the series was read from.
    """

    name: str
    values: np.ndarray
    weights: np.ndarray
    steps_per_day: int = 288
    n_imputed: int = 0
    units: str = "mph"
    node_ids: list | None = None
    coordinates: np.ndarray | None = None
    sources: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        source = self.sources[0] if self.sources else None
        if self.values.ndim != 2:
            raise DataFormatError(source, "a 2-D [time, node] series", f"shape {self.values.shape}")
        n_nodes = self.values.shape[1]
        if self.weights.shape != (n_nodes, n_nodes):
            where = self.sources[-1] if self.sources else None
            raise DataFormatError(where, f"a {n_nodes}x{n_nodes} weight matrix to match the "
                                  f"{n_nodes} stations of the series",
                                  f"shape {self.weights.shape}")
        # the loaders check their files with the same rules (naming the file's cells, and
        # the plausible range of speeds); this holds every series, from a file or built
        # in memory, to finite readings and a finite, non-negative, symmetric graph
        check_readings(source, self.values, self.units, what="readings after imputation",
                       speed_range=False)
        if np.isnan(self.values).any():
            row, col = np.argwhere(np.isnan(self.values))[0]
            raise DataFormatError(source, "every reading observed or imputed",
                                  f"NaN at row {row + 1}, column {col + 1}")
        graph = self.sources[1] if len(self.sources) > 1 else source
        check_graph(graph, self.weights, "weights")

    @property
    def n_nodes(self) -> int:
        return self.values.shape[1]

    @property
    def n_days(self) -> int:
        return self.values.shape[0] // self.steps_per_day


def impute_linear(values: np.ndarray, path: str | Path | None = None,
                  zero_is_missing: bool = False) -> tuple[np.ndarray, int]:
    """Fill missing readings by linear interpolation along time, per station.

    Args:
        values: [T, N] readings; NaN marks a missing cell.
        path: the file the readings came from, for error messages.
        zero_is_missing: also treat exact zeros as missing (a speed of 0 is a
            sensor fault on a freeway).

    Returns:
        The filled [T, N] array (a copy) and the number of cells filled. Leading
        and trailing gaps take the nearest observed value.

    Raises:
        DataFormatError: a station has no observed reading at all.
    """
    filled = np.array(values, dtype=np.float64, copy=True)
    missing = np.isnan(filled)
    if zero_is_missing:
        missing |= filled == 0
    empty = np.flatnonzero(missing.all(axis=0))
    if empty.size:
        raise DataFormatError(path, "at least one observed reading per station",
                              f"no reading at all for station column(s) {empty[:10].tolist()}")
    time = np.arange(filled.shape[0])
    for node in np.flatnonzero(missing.any(axis=0)):
        gaps = missing[:, node]
        filled[gaps, node] = np.interp(time[gaps], time[~gaps], filled[~gaps, node])
    return filled, int(missing.sum())
