"""The one error type raised for bad input data."""
from __future__ import annotations

from pathlib import Path


class DataFormatError(ValueError):
    """A data file is missing or does not hold what its loader expects.

    The message always names the file, what was expected and what was found,
    so the user can fix the file without reading the loader.
    """

    def __init__(self, path: str | Path | None, expected: str, found: str, hint: str = ""):
        self.path = None if path is None else Path(path)
        self.expected = expected
        self.found = found
        where = f"{self.path}: " if self.path is not None else ""
        message = f"{where}expected {expected}, found {found}"
        if hint:
            message += f". {hint}"
        super().__init__(message)
