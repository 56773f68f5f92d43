"""Read numeric matrices from CSV files with checks that name the file on failure."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stgkd.data.errors import DataFormatError

# Cells pandas reads as missing by default (pandas._libs.parsers.STR_NA_VALUES):
# they are NaN in the fast path too, so the slow path must not call them non-numeric.
_NA_TOKENS = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
              "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
_UNREADABLE = (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError)


def read_numeric_csv(path: str | Path, *, header: bool, index_col: bool = False,
                     expected_columns: int | None = None,
                     missing_hint: str = "Run `stgkd data fetch` or set $STGKD_DATA to the "
                                         "data folder") -> np.ndarray:
    """Read a CSV of numbers into a float64 array [rows, columns].

    Empty cells become NaN (they are imputed later); any cell that is not a
    number raises :class:`DataFormatError` with its line, column and value; a
    line with more or fewer fields than the others raises too (pandas would
    silently pad a short line with NaN).
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "a CSV file", "no such file", missing_hint)
    _check_row_lengths(path, skip_first=header and index_col)
    read = dict(header=0 if header else None, index_col=0 if index_col else None,
                skip_blank_lines=True)
    try:
        # Fast path: the C parser reads a clean file straight into float64.
        values = pd.read_csv(path, dtype=np.float64, **read).to_numpy()
    except _UNREADABLE as error:  # subclasses of ValueError: must be caught first
        raise DataFormatError(path, "a comma-separated table of numbers",
                              f"unreadable content ({error})") from None
    except (ValueError, TypeError):
        values = _diagnose_non_numeric(path, read, header, index_col)
    if values.ndim != 2 or values.shape[0] == 0:
        raise DataFormatError(path, "at least one row of numbers", "no data rows")
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


def _data_lines(path: Path):
    """Yield ``(line_number, raw_bytes)`` of the non-blank lines (pandas skips blank ones)."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def data_line_numbers(path: Path) -> list[int]:
    """The line numbers (from 1) of the non-blank lines of a file: the header line, when
    there is one, then one per data row, as :func:`read_numeric_csv` reads them."""
    return [number for number, _ in _data_lines(path)]


def _check_row_lengths(path: Path, skip_first: bool) -> None:
    """Raise when a line has a different number of comma-separated fields.

    ``skip_first``: the first line is a header above an index column, one field
    short of the data lines (pandas checks it). Lines with quotes are left to pandas.
    """
    expected = first = None
    for position, (number, line) in enumerate(_data_lines(path)):
        if position == 0 and skip_first:
            continue
        if b'"' in line:
            return
        fields = line.count(b",") + 1
        if expected is None:
            expected, first = fields, number
        elif fields != expected:
            raise DataFormatError(path, f"{expected} comma-separated fields on every line "
                                  f"(as on line {first})", f"{fields} fields on line {number}")


def _diagnose_non_numeric(path: Path, read: dict, header: bool, index_col: bool) -> np.ndarray:
    """Slow path: find the first non-numeric cell and raise an error naming it."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, **read)
    except _UNREADABLE as error:
        raise DataFormatError(path, "a comma-separated table of numbers",
                              f"unreadable content ({error})") from None
    stripped = frame.apply(lambda column: column.str.strip()).fillna("")
    numeric = stripped.apply(pd.to_numeric, errors="coerce")
    bad = (numeric.isna() & ~stripped.isin(_NA_TOKENS)).to_numpy()
    if bad.any():
        row, col = np.argwhere(bad)[0]
        line_numbers = data_line_numbers(path)[1 if header else 0:]
        line = line_numbers[row] if row < len(line_numbers) else row + 1 + int(header)
        raise DataFormatError(path, "numeric cells",
                              f"{stripped.iat[row, col]!r} at line {line}, column "
                              f"{col + 1 + int(index_col)} ({int(bad.sum())} non-numeric cells "
                              f"in all)")
    return numeric.to_numpy(dtype=np.float64)
