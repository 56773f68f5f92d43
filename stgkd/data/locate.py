"""Find data files: ``$STGKD_DATA``, then ``./data``, then ``../shared/data``."""
from __future__ import annotations

import os
from pathlib import Path

from stgkd.data.errors import DataFormatError

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def data_roots() -> list[Path]:
    """Folders searched for data, in order of preference.

    ``./data`` and ``../shared/data`` are tried relative to the working
    directory and to the source checkout holding the package, so notebooks run
    from ``notebooks/`` find the same files as the CLI run from the top level.
    """
    roots: list[Path] = []
    if os.environ.get("STGKD_DATA"):
        roots.append(Path(os.environ["STGKD_DATA"]).expanduser())
    for base in (Path.cwd(), _PACKAGE_ROOT):
        roots += [base / "data", base.parent / "shared" / "data"]
    unique: list[Path] = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def find_file(dataset: str, filename: str, required: bool = True) -> Path | None:
    """Return ``<root>/<dataset>/<filename>`` from the first root that has it.

    Raises:
        DataFormatError: the file is in none of the roots and ``required``.
    """
    for root in data_roots():
        candidate = root / dataset / filename
        if candidate.is_file():
            return candidate
    if not required:
        return None
    searched = ", ".join(str(root / dataset) for root in data_roots())
    raise DataFormatError(Path(dataset) / filename, "a data file", f"no such file in {searched}",
                          f"Run `stgkd data fetch {dataset}` or point $STGKD_DATA at a folder "
                          f"holding {dataset}/{filename}")
