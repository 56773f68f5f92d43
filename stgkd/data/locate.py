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


def find_dataset_files(dataset: str, names: list[str],
                       optional: list[str] | tuple[str, ...] = ()) -> dict[str, Path | None]:
    """The files ``names`` of one data set, all from one data folder.

    Each of ``names`` is looked up as :func:`find_file` does; the files of one data set
    must come from the same root, so that a copy in ``$STGKD_DATA`` is never silently
    completed with files of another copy. ``optional`` files are taken from that same
    folder only (None when it lacks them).

    Raises:
        DataFormatError: a file is in none of the roots, or the files are spread over
            two data folders (both named, with what to do).
    """
    found = {name: find_file(dataset, name) for name in names}
    # resolved: one folder reached through two spellings of a root is one folder
    folders = {path.parent.resolve() for path in found.values()}
    if len(folders) > 1:
        # the folder searched first: it has some of the files, and lacks the others
        order = [(root / dataset).resolve() for root in data_roots()]
        first = min(folders, key=lambda folder: order.index(folder) if folder in order else 0)
        lacking = [name for name, path in found.items() if path.parent.resolve() != first]
        other = found[lacking[0]].parent
        listing = " and ".join(f"{name} in {path.parent}" for name, path in found.items())
        raise DataFormatError(first, f"every file of {dataset} ({', '.join(names)}) from one "
                              f"data folder", f"{listing} (this folder, searched first, lacks "
                              f"{', '.join(lacking)})",
                              f"Put {', '.join(lacking)} in {first}, or move that folder away so "
                              f"that every file comes from {other}")
    folder = next(iter(found.values())).parent
    for name in optional:
        candidate = folder / name
        found[name] = candidate if candidate.is_file() else None
    return found
