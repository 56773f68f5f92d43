"""Run several experiments at once, each in its own process (``stgkd run --jobs N``).

Small STGCNs leave a GPU idle most of the time (each step is a few kernel launches), so
several runs side by side finish much sooner than one after another; on a many-core CPU
the same holds for runs of one or two threads each. A run that builds on another (a
student on its teacher, a pruning run on its start checkpoint) waits until that one is
stored; if it failed, the runs that need it are skipped.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stgkd.registry import TEACHER_SEED, get_experiment


@dataclass(frozen=True)
class Job:
    """One experiment and seed, with the (experiment, seed) runs it builds on."""

    name: str
    seed: int
    needs: tuple[tuple[str, int], ...] = ()


def prerequisites(name: str) -> list[str]:
    """The experiments whose seed-0 checkpoint ``name`` starts from: its teacher and,
    for a pruning run, the model it prunes (empty for a run from scratch)."""
    return get_experiment(name).prerequisites


def plan_jobs(names: Iterable[str], seeds: Sequence[int]) -> list[Job]:
    """One :class:`Job` per experiment and seed, in the given order."""
    return [Job(name, seed, tuple((need, TEACHER_SEED) for need in prerequisites(name)))
            for name in names for seed in seeds]


@dataclass
class JobOutcome:
    """How one job ended: ``returncode`` (None: skipped), its output and seconds taken."""

    job: Job
    returncode: int | None
    output: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_jobs(jobs: Sequence[Job], command: Callable[[Job], list[str]], max_jobs: int,
             report: Callable[[JobOutcome], None] | None = None,
             poll_s: float = 0.2) -> list[JobOutcome]:
    """Run ``command(job)`` for every job, at most ``max_jobs`` at a time.

    A job starts once every run it needs that is also in ``jobs`` has finished with exit
    status 0; runs it needs from outside ``jobs`` are not waited for (the job itself
    says clearly if one is missing). A job whose need failed or was skipped is skipped.
    Jobs start in the given order as slots free up. Each job's standard output and error
    go to a temporary file, returned in its :class:`JobOutcome` and passed to ``report``
    as it ends.

    Args:
        command: the argument list of a job's process.
        max_jobs: processes at a time, at least 1.

    Returns:
        One outcome per job, in the order of ``jobs``.

    Raises:
        ValueError: ``max_jobs`` < 1 or two jobs with the same name and seed.
    """
    if max_jobs < 1:
        raise ValueError(f"max_jobs: expected at least 1 process at a time, found {max_jobs}")
    keys = [(job.name, job.seed) for job in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"jobs: expected each experiment and seed once, found {keys}")
    in_batch = set(keys)
    outcomes: dict[tuple[str, int], JobOutcome] = {}
    waiting = list(enumerate(jobs))      # (position, job): the position names its log
    running: dict[tuple[str, int], tuple[Job, subprocess.Popen, object, float]] = {}
    report = report or (lambda outcome: None)
    with tempfile.TemporaryDirectory(prefix="stgkd-jobs-") as logs:
        try:
            while waiting or running:
                for key, (job, process, log, started) in list(running.items()):
                    if process.poll() is None:
                        continue
                    log.close()
                    output = Path(log.name).read_text(errors="replace")
                    outcomes[key] = JobOutcome(job, process.returncode, output,
                                               time.perf_counter() - started)
                    del running[key]
                    report(outcomes[key])
                for position, job in list(waiting):
                    needs = [need for need in job.needs if need in in_batch]
                    failed = [need for need in needs if need in outcomes and not outcomes[need].ok]
                    if failed:
                        waiting.remove((position, job))
                        names = ", ".join(f"{name} seed {seed}" for name, seed in failed)
                        outcomes[(job.name, job.seed)] = JobOutcome(
                            job, None, f"skipped: it needs {names}, which did not finish")
                        report(outcomes[(job.name, job.seed)])
                        continue
                    if len(running) >= max_jobs or not all(need in outcomes for need in needs):
                        continue
                    waiting.remove((position, job))
                    log = open(os.path.join(logs, f"{position:03d}.log"), "w")
                    process = subprocess.Popen(command(job), stdout=log, stderr=subprocess.STDOUT)
                    running[(job.name, job.seed)] = (job, process, log, time.perf_counter())
                if running:
                    time.sleep(poll_s)
        finally:
            for _, process, _, _ in running.values():   # interrupted: stop every child
                process.terminate()
            for _, process, log, _ in running.values():
                process.wait()
                log.close()
    return [outcomes[key] for key in keys]


def run_command(job: Job, profile: str, device: str, threads: int, results_dir=None,
                compile: bool = False, teacher_cache: bool = True, force: bool = False
                ) -> list[str]:
    """The ``python -m stgkd.cli run`` argument list of one job, without progress bars."""
    command = [sys.executable, "-m", "stgkd.cli"]
    if results_dir is not None:
        command += ["--results-dir", str(results_dir)]
    command += ["run", job.name, "--profile", profile, "--seed", str(job.seed),
                "--device", device, "--threads", str(threads), "--quiet"]
    if compile:
        command.append("--compile")
    if not teacher_cache:
        command.append("--no-teacher-cache")
    if force:
        command.append("--force")
    return command


def threads_per_job(max_jobs: int, cpus: int | None = None) -> int:
    """CPU threads for each of ``max_jobs`` processes: the cores shared out, at least 1."""
    cpus = cpus or os.cpu_count() or 1
    return max(1, cpus // max_jobs)
