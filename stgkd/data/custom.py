"""A user's own data: a [T, N] series CSV and an [N, N] distance (or weight) matrix CSV."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stgkd.data.errors import DataFormatError
from stgkd.data.graph import gaussian_weights
from stgkd.data.readers import check_square, read_numeric_csv
from stgkd.data.series import TrafficSeries, impute_linear
from stgkd.data.validate import check_graph, check_readings, csv_locator


def load_custom(speed_csv: str | Path, distance_csv: str | Path, steps_per_day: int = 288,
                header: bool = False, name: str = "custom", sigma2: float = 0.1,
                epsilon: float = 0.5, scale: float = 1e4, distances_are_weights: bool = False,
                zero_is_missing: bool = True, units: str = "mph") -> TrafficSeries:
    """Load a series [T, N] and a graph [N, N] from two CSV files.

    ``speed_csv``: one row per time step (T rows, a whole number of days of
    ``steps_per_day`` steps, oldest first), one column per station (N columns),
    comma-separated numbers; empty or ``NaN`` cells are missing and imputed by
    linear interpolation along time (as are zeros when ``zero_is_missing``: a
    speed of 0 is a sensor fault). With ``header=True`` the first line holds the
    station ids.

    ``distance_csv``: N rows of N comma-separated numbers, no header, rows and
    columns in the station order of ``speed_csv``. Distances (``inf`` = no road
    link) become weights by the KD paper's eq. 16 (:func:`gaussian_weights`):
    ``W_ij = exp(-(d_ij / scale)^2 / sigma2)`` kept where ``>= epsilon``. The
    defaults are STGCN's constants for PeMSD7(M)'s distance units: choose
    ``scale`` for your units. With ``distances_are_weights=True`` the matrix is
    already the weighted adjacency (non-negative, finite, symmetric) and is used as is,
    its diagonal set to 0.

    Returns:
        A :class:`TrafficSeries` named ``name``: values [T, N], weights [N, N].

    Raises:
        DataFormatError: naming the file, for a missing file, a non-numeric cell
            (with its line and value), rows of unequal length, a series that is
            not a whole number of days, a station without any reading, an
            infinite reading, a speed (``units="mph"``) outside
            :data:`stgkd.data.validate.SPEED_RANGE_MPH`, a non-square matrix or
            one whose size differs from the series' station count, NaN,
            negative or asymmetric entries (infinite weights; an infinite
            distance is no road link).
    """
    if steps_per_day < 1:
        raise ValueError(f"steps_per_day: expected a positive integer, found {steps_per_day}")
    speed_path, distance_path = Path(speed_csv).expanduser(), Path(distance_csv).expanduser()
    for path, what in ((speed_path, "series"), (distance_path, "distance matrix")):
        if not path.is_file():
            raise DataFormatError(path, f"the {what} CSV file", "no such file",
                                  "Check the path passed to load_custom")
    try:
        raw = read_numeric_csv(speed_path, header=header)
    except DataFormatError as error:
        if header or "numeric cells" not in error.expected or "at line 1," not in error.found:
            raise
        raise DataFormatError(speed_path, error.expected, error.found,
                              "If the first line holds station names, pass header=True") from None
    n_steps, n_nodes = raw.shape
    if n_steps % steps_per_day:
        raise DataFormatError(speed_path, f"a whole number of days of {steps_per_day} rows "
                              f"(one row per time step, one column per station)",
                              f"{n_steps} rows = {n_steps // steps_per_day} days and "
                              f"{n_steps % steps_per_day} steps",
                              "Cut the series to whole days or set steps_per_day")
    check_readings(speed_path, raw, units, csv_locator(speed_path, header=header))
    values, n_imputed = impute_linear(raw, speed_path, zero_is_missing=zero_is_missing)
    node_ids = (pd.read_csv(speed_path, nrows=0).columns.str.strip().tolist() if header
                else list(range(n_nodes)))

    matrix = read_numeric_csv(distance_path, header=False,
                              missing_hint="Check the path passed to load_custom")
    check_square(distance_path, matrix, None, "distance matrix")
    if matrix.shape[0] != n_nodes:
        raise DataFormatError(distance_path, f"a {n_nodes}x{n_nodes} matrix (one row and column "
                              f"per station of {speed_path.name}, which has {n_nodes} columns)",
                              f"{matrix.shape[0]}x{matrix.shape[1]}")
    check_graph(distance_path, matrix, "weights" if distances_are_weights else "distances",
                csv_locator(distance_path), allow_inf=not distances_are_weights)
    if distances_are_weights:
        weights = matrix.copy()
        np.fill_diagonal(weights, 0.0)
    else:
        weights = gaussian_weights(matrix, sigma2, epsilon, scale, path=distance_path)
    return TrafficSeries(name, values, weights, steps_per_day, n_imputed, units, node_ids, None,
                         [str(speed_path), str(distance_path)])

