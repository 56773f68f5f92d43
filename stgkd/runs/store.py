"""The results store: one JSON (and one checkpoint) per run under
``results/<profile>/<experiment>/seed<S>.json``; profiles are never mixed.

A store written before a profile was renamed (``results/paper/`` for the ``full``
profile, :data:`stgkd.profiles.LEGACY_PROFILE_NAMES`) keeps working as it is: while it
has no folder under the new name, the old folder is read and written in its place.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from stgkd.io import read_json
from stgkd.profiles import LEGACY_PROFILE_NAMES, canonical_profile
from stgkd.runs.result import RunResult

_REPO = Path(__file__).resolve().parents[2]


def results_root(root: str | Path | None = None) -> Path:
    """``root``, else ``$STGKD_RESULTS``, else ``results/`` of the source checkout."""
    if root is not None:
        return Path(root)
    if os.environ.get("STGKD_RESULTS"):
        return Path(os.environ["STGKD_RESULTS"])
    return _REPO / "results"


def profile_folder(profile: str, root: str | Path | None = None) -> Path:
    """The folder of one profile's runs: ``<root>/<profile>``, or the folder of a former
    name of the profile (``<root>/paper`` for ``full``) while only that one exists."""
    base = results_root(root)
    profile = canonical_profile(profile)
    folder = base / profile
    if not folder.is_dir():
        for old, new in LEGACY_PROFILE_NAMES.items():
            if new == profile and (base / old).is_dir():
                return base / old
    return folder


def _profile_folders(root: str | Path | None = None) -> list[Path]:
    """Every profile folder of the store, a former name's folder left out (with a warning)
    where the folder of the name it now has exists beside it."""
    base = results_root(root)
    folders = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
        new = LEGACY_PROFILE_NAMES.get(folder.name)
        if new is not None and (base / new).is_dir():
            warnings.warn(f"{folder}: not read; the profile {folder.name!r} is now called "
                          f"{new!r} and {base / new} holds its runs (move the runs you want "
                          f"to keep from one folder into the other)", stacklevel=3)
            continue
        folders.append(folder)
    return folders


def run_dir(profile: str, experiment: str, root: str | Path | None = None) -> Path:
    """Folder of one experiment's runs; the experiment name's slashes become folders."""
    return profile_folder(profile, root) / Path(*experiment.split("/"))


def result_path(profile: str, experiment: str, seed: int, root: str | Path | None = None,
                suffix: str = ".json") -> Path:
    """``<root>/<profile>/<experiment>/seed<S><suffix>`` (``.pt``: the checkpoint,
    ``.resume.pt``: the state of an interrupted run)."""
    return run_dir(profile, experiment, root) / f"seed{seed}{suffix}"


def rerun_remedy(path: Path, root: str | Path | None = None) -> str:
    """What to do with an unreadable result file: re-run the run it belongs to."""
    try:
        parts = path.relative_to(results_root(root)).parts
        profile, experiment, seed = (canonical_profile(parts[0]), "/".join(parts[1:-1]),
                                     parts[-1][4:-5])
        return (f"re-run it with `stgkd run {experiment} --profile {profile} --seed {seed} "
                f"--force` (or delete it)")
    except (ValueError, IndexError):
        return "re-run the experiment that wrote it with `stgkd run <experiment> --force`"


def read_result(path: str | Path, root: str | Path | None = None) -> RunResult:
    """One result JSON, checked (:meth:`RunResult.from_dict`).

    Raises:
        StoredFileError: the file is cut or garbled, or not a valid run result (the
            message names the file, the wrong field and the command that re-creates it).
    """
    path = Path(path)
    remedy = rerun_remedy(path, root)
    return RunResult.from_dict(read_json(path, remedy), path, remedy)


def load_result(profile: str, experiment: str, seed: int,
                root: str | Path | None = None) -> RunResult | None:
    """The stored result of one run, or ``None`` when it has not been run."""
    path = result_path(profile, experiment, seed, root)
    return read_result(path, root) if path.is_file() else None


def load_results(root: str | Path | None = None, profile: str | None = None) -> list[RunResult]:
    """Every stored run result (of one profile when given), in path order.

    Raises:
        StoredFileError: a result file is cut, garbled or not a run result (named, with
            the command that re-creates it).
    """
    folders = [profile_folder(profile, root)] if profile else _profile_folders(root)
    return [read_result(path, root) for folder in folders
            for path in sorted(folder.glob("**/seed*.json"))]


def stored_or_resume_path(profile: str, experiment: str, seed: int, root: str | Path | None = None,
                          force: bool = False) -> tuple[RunResult | None, Path]:
    """The stored result of a finished run (``None`` when there is none or ``force``) and
    the path of the run's resume file; ``force`` deletes that file, so the run starts afresh."""
    resume_path = result_path(profile, experiment, seed, root, ".resume.pt")
    if force:
        resume_path.unlink(missing_ok=True)
        return None, resume_path
    return load_result(profile, experiment, seed, root), resume_path
