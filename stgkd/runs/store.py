"""The results store: one JSON (and one checkpoint) per run under
``results/<profile>/<experiment>/seed<S>.json``; profiles are never mixed."""
from __future__ import annotations

import os
from pathlib import Path

from stgkd.io import read_json
from stgkd.runs.result import RunResult

_REPO = Path(__file__).resolve().parents[2]


def results_root(root: str | Path | None = None) -> Path:
    """``root``, else ``$STGKD_RESULTS``, else ``results/`` of the source checkout."""
    if root is not None:
        return Path(root)
    if os.environ.get("STGKD_RESULTS"):
        return Path(os.environ["STGKD_RESULTS"])
    return _REPO / "results"


def run_dir(profile: str, experiment: str, root: str | Path | None = None) -> Path:
    """Folder of one experiment's runs; the experiment name's slashes become folders."""
    return results_root(root) / profile / Path(*experiment.split("/"))


def result_path(profile: str, experiment: str, seed: int, root: str | Path | None = None,
                suffix: str = ".json") -> Path:
    """``<root>/<profile>/<experiment>/seed<S><suffix>`` (``.pt``: the checkpoint,
    ``.resume.pt``: the state of an interrupted run)."""
    return run_dir(profile, experiment, root) / f"seed{seed}{suffix}"


def rerun_remedy(path: Path, root: str | Path | None = None) -> str:
    """What to do with an unreadable result file: re-run the run it belongs to."""
    try:
        parts = path.relative_to(results_root(root)).parts
        profile, experiment, seed = parts[0], "/".join(parts[1:-1]), parts[-1][4:-5]
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
    base = results_root(root)
    pattern = f"{profile}/**/seed*.json" if profile else "*/**/seed*.json"
    return [read_result(path, root) for path in sorted(base.glob(pattern))]


def stored_or_resume_path(profile: str, experiment: str, seed: int, root: str | Path | None = None,
                          force: bool = False) -> tuple[RunResult | None, Path]:
    """The stored result of a finished run (``None`` when there is none or ``force``) and
    the path of the run's resume file; ``force`` deletes that file, so the run starts afresh."""
    resume_path = result_path(profile, experiment, seed, root, ".resume.pt")
    if force:
        resume_path.unlink(missing_ok=True)
        return None, resume_path
    return load_result(profile, experiment, seed, root), resume_path
