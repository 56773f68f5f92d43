"""The checks every data set passes before it is used, the same for ``stgkd data info``,
``stgkd run`` and the Python loaders: readings finite (and speeds in a plausible
range), graphs finite, non-negative and symmetric.

Each loader applies them to what it read from its files, before imputing or turning
distances into weights, so an error names the file and the row and column of the first
bad cell as they are in that file; :class:`~stgkd.data.series.TrafficSeries` applies
them again to what it holds, so a series built in memory meets the same rules.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from stgkd.data.errors import DataFormatError

SPEED_RANGE_MPH: tuple[float, float] = (0.0, 200.0)
"""The plausible range of a speed reading in mph, both ends included.

Freeway loop detectors report 0 to about 90 mph; 200 mph leaves room for any real
reading and for speeds in km/h, and catches what is not a speed at all: fill values
such as -1 or 1e30, or a column of another quantity. A zero is a real value here (the
loaders treat it as a sensor fault and impute it); a missing reading is an empty or
NaN cell, never checked against the range. A series in other units (flow, occupancy)
is only checked to be finite.
"""

# how close row i, column j must be to row j, column i (as numpy.isclose)
SYMMETRY_RTOL, SYMMETRY_ATOL = 1e-6, 1e-8

Locator = Callable[[int, int], str]


def cell(row: int, col: int) -> str:
    """``"row R, column C"`` of 0-based indices (1-based in the text), for a matrix in memory."""
    return f"row {row + 1}, column {col + 1}"


def csv_locator(path: str | Path, header: bool = False) -> Locator:
    """A :data:`Locator` for a CSV read by :func:`stgkd.data.readers.read_numeric_csv`:
    row and column count the data cells from 1, with the line of the file where the two
    differ (a header line, blank lines)."""
    def locate(row: int, col: int) -> str:
        from stgkd.data.readers import data_line_numbers
        lines = data_line_numbers(Path(path))[1 if header else 0:]
        line = lines[row] if row < len(lines) else row + 1 + int(header)
        text = f"data row {row + 1}"
        if line != row + 1:
            text += f" (line {line} of the file)"
        return f"{text}, column {col + 1}"
    return locate


def _first(bad: np.ndarray) -> tuple[int, int]:
    row, col = np.argwhere(bad)[0]
    return int(row), int(col)


def check_readings(path: str | Path | None, values: np.ndarray, units: str = "mph",
                   locate: Locator = cell, what: str = "readings",
                   speed_range: bool = True) -> None:
    """Raise :class:`DataFormatError` unless every observed reading of ``values`` [T, N]
    is finite and, for ``units`` ``"mph"`` and ``speed_range``, inside
    :data:`SPEED_RANGE_MPH` (the loaders check the files they read; a series built in
    memory, e.g. for a test, may hold any finite numbers).

    NaN marks a missing reading (imputed later) and is not checked.
    """
    values = np.asarray(values, dtype=np.float64)
    infinite = np.isinf(values)
    if infinite.any():
        row, col = _first(infinite)
        raise DataFormatError(path, f"finite {what} (an empty or NaN cell marks a missing one)",
                              f"{values[row, col]} at {locate(row, col)} "
                              f"({int(infinite.sum())} infinite cells in all)")
    if units != "mph" or not speed_range:
        return
    low, high = SPEED_RANGE_MPH
    with np.errstate(invalid="ignore"):
        outside = (values < low) | (values > high)
    if outside.any():
        row, col = _first(outside)
        n, total = int(outside.sum()), values.size
        raise DataFormatError(path, f"speeds within [{low:g}, {high:g}] mph (the plausible range, "
                              f"stgkd.data.validate.SPEED_RANGE_MPH)",
                              f"{values[row, col]:g} at {locate(row, col)}; {n:,} of {total:,} "
                              f"cells ({100 * n / total:.3g}%) are outside that range",
                              "Check the file's units and its fill value for missing readings "
                              "(leave a missing reading empty)")


def check_graph(path: str | Path | None, matrix: np.ndarray, what: str = "weights",
                locate: Locator = cell, allow_inf: bool = False) -> None:
    """Raise :class:`DataFormatError` unless the square ``matrix`` [N, N] has no missing
    (NaN) cell, no infinite cell (``+inf`` allowed when ``allow_inf``: a distance with no
    road link), no negative cell, and is symmetric (an undirected graph).

    ``what``: the cells' name in the message, e.g. ``"distances"`` or ``"weights"``.
    """
    m = np.asarray(matrix, dtype=np.float64)
    missing = np.isnan(m)
    if missing.any():
        row, col = _first(missing)
        raise DataFormatError(path, f"{what} in every cell",
                              f"an empty or NaN cell at {locate(row, col)} "
                              f"({int(missing.sum())} in all)")
    infinite = np.isinf(m) if not allow_inf else np.zeros(m.shape, dtype=bool)
    if infinite.any():
        row, col = _first(infinite)
        raise DataFormatError(path, f"finite {what}", f"{m[row, col]} at {locate(row, col)} "
                              f"({int(infinite.sum())} infinite cells in all)")
    negative = m < 0
    if negative.any():
        row, col = _first(negative)
        raise DataFormatError(path, f"non-negative {what}", f"{m[row, col]:g} at "
                              f"{locate(row, col)} ({int(negative.sum())} negative cells in all)")
    asymmetric = ~np.isclose(m, m.T, rtol=SYMMETRY_RTOL, atol=SYMMETRY_ATOL)
    if asymmetric.any():
        row, col = _first(asymmetric)
        raise DataFormatError(path, f"symmetric {what} (an undirected graph: the cell at row i, "
                              f"column j equal to the one at row j, column i)",
                              f"{m[row, col]:g} at {locate(row, col)} but {m[col, row]:g} at "
                              f"{locate(col, row)} ({int(asymmetric.sum()) // 2} unequal pairs "
                              f"in all)")
