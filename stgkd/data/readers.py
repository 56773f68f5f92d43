"""Read numeric matrices from CSV files with checks that name the file on failure."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stgkd.data.errors import DataFormatError


def read_numeric_csv(path: str | Path, *, header: bool, index_col: bool = False,
                     expected_columns: int | None = None) -> np.ndarray:
    """Read a CSV of numbers into a float64 array [rows, columns].

    Empty cells become NaN (they are imputed later); any cell that is not a
    number raises :class:`DataFormatError` with its row and column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "a CSV file", "no such file",
                              "Run `stgkd data fetch` or set $STGKD_DATA to the data folder")
    read = dict(header=0 if header else None, index_col=0 if index_col else None,
                skip_blank_lines=True)
    try:
        # Fast path: the C parser reads a clean file straight into float64.
        values = pd.read_csv(path, dtype=np.float64, **read).to_numpy()
    except (ValueError, TypeError):
        values = _diagnose_non_numeric(path, read, header)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise DataFormatError(path, "a comma-separated table of numbers",
                              f"unreadable content ({error})") from None
    if expected_columns is not None and values.shape[1] != expected_columns:
        raise DataFormatError(path, f"{expected_columns} columns",
                              f"{values.shape[1]} columns")
    return values


def check_square(path: str | Path, matrix: np.ndarray, n_nodes: int | None = None,
                 what: str = "matrix") -> None:
    """Raise unless ``matrix`` is square (and has ``n_nodes`` rows when given)."""
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise DataFormatError(path, f"a square {what}", f"shape {matrix.shape}")
    if n_nodes is not None and matrix.shape[0] != n_nodes:
        raise DataFormatError(path, f"a {n_nodes}x{n_nodes} {what} (one row per station of the "
                              f"speed series)", f"{matrix.shape[0]}x{matrix.shape[1]}")


def _diagnose_non_numeric(path: Path, read: dict, header: bool) -> np.ndarray:
    """Slow path: find the first non-numeric cell and raise an error naming it."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, **read)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise DataFormatError(path, "a comma-separated table of numbers",
                              f"unreadable content ({error})") from None
    stripped = frame.apply(lambda column: column.str.strip())
    numeric = stripped.apply(pd.to_numeric, errors="coerce")
    bad = (numeric.isna() & (stripped != "") & ~stripped.isin(["nan", "NaN", "NA"])).to_numpy()
    if bad.any():
        row, col = np.argwhere(bad)[0]
        line = row + 1 + (1 if header else 0)
        raise DataFormatError(path, "numeric cells",
                              f"{stripped.iat[row, col]!r} at line {line}, column {col + 1} "
                              f"({int(bad.sum())} non-numeric cells in all)")
    return numeric.to_numpy(dtype=np.float64)
