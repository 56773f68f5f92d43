"""What would settle the open verdicts: for each claim with fewer than three paired seeds,
the runs to add, and what they cost on the CPU by the wall times of the runs stored.

A claim's verdict needs the same seeds on both sides (:mod:`stgkd.report.verdicts`). For a
claim below :data:`TARGET_SEEDS` paired seeds, the seeds to reach are chosen in this order:
seeds both sides have, then seeds one side has (its partner needs one run, not two), then
the smallest seeds neither has. The runs to add are those seeds' missing runs of each side.
A seed-free side (ARIMA, :func:`stgkd.registry.seed_free_experiments`) needs one run: it
stands for every seed of its partner.

>>> target_seeds({0, 1, 3}, {0, 2}, 3)
[0, 1, 2]
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from stgkd.report.claims import CLAIMS, Claim
from stgkd.report.reproduce import run_command
from stgkd.provenance import UNRECORDED_DEVICE

# paired seeds a verdict needs before it is left alone (issue: "at least three seeds")
TARGET_SEEDS = 3
# a stored run whose device names one of these ran on an accelerator: its wall time says
# nothing of the CPU cost
ACCELERATOR_WORDS = ("nvidia", "cuda", "gpu", "h100", "h200", "a100")


def target_seeds(claimed: set[int], baseline: set[int], target: int = TARGET_SEEDS) -> list[int]:
    """The ``target`` seeds a paired comparison should have, given the seeds each side has
    stored: shared seeds first, then seeds one side has, then new ones; smaller first
    within each group."""
    if target < 1:
        raise ValueError(f"target: expected at least one seed, found {target}")
    stored = claimed | baseline
    fresh = (s for s in range(max(stored, default=-1) + target + 1) if s not in stored)

    def group(seed: int) -> int:
        return 0 if seed in claimed and seed in baseline else 1

    known = sorted(stored, key=lambda s: (group(s), s))
    return sorted([*known, *fresh][:target])


def cpu_hours_per_run(results: Iterable[dict], profile: str = "full") -> dict[str, float]:
    """``{experiment: median wall time in hours}`` of its stored runs under ``profile`` that
    ran on a CPU (any thread count). Left out: runs on an accelerator, and runs resumed
    across machines with any session on an accelerator or on a device not recorded
    (``provenance.sessions``)."""
    times: dict[str, list[float]] = {}
    for result in results:
        provenance = result.get("provenance") or {}
        devices = [str(session.get("device", "")).lower()
                   for session in provenance.get("sessions") or []]
        devices.append(str(provenance.get("device", "")).lower())
        wall = provenance.get("wall_time_s")
        if (result.get("profile") != profile or wall is None
                or any(word in device for device in devices for word in ACCELERATOR_WORDS)
                or UNRECORDED_DEVICE in devices):
            continue
        times.setdefault(result["experiment"], []).append(float(wall) / 3600)
    return {name: float(np.median(values)) for name, values in times.items()}


def stored_seeds(results: Iterable[dict]) -> dict[str, set[int]]:
    """``{experiment: the seeds stored}`` over ``results``."""
    stored: dict[str, set[int]] = {}
    for result in results:
        stored.setdefault(result["experiment"], set()).add(int(result["seed"]))
    return stored


def experiment_shortfall(name: str, have: set[int], target: int, run_hours: float) -> dict:
    """What one experiment with seeds ``have`` needs to reach ``target`` seeds: ``experiment,
    stored`` ("0, 1" or "none"), ``runs`` (the smallest missing seeds), ``to_add`` and
    ``cpu_hours`` (``run_hours`` per run)."""
    runs = [(name, s) for s in target_seeds(have, have, target) if s not in have]
    return {"experiment": name, "stored": ", ".join(map(str, sorted(have))) or "none",
            "runs": runs, "to_add": runs_text(runs), "cpu_hours": len(runs) * run_hours}


def seeds_needed(results: Iterable[dict], profile: str = "full",
                 target: int = TARGET_SEEDS) -> pd.DataFrame:
    """One row per claim and data set with fewer than ``target`` paired seeds under
    ``profile``: ``paper, source, statement, dataset, paired`` (seeds both sides have now,
    "0, 1"), ``target`` (the seeds to reach), ``runs`` (``[(experiment, seed), ...]`` to
    add), ``to_add`` (the same as text) and ``cpu_hours`` (the sum of each run's median
    stored CPU wall time; NaN when an experiment has no CPU run stored)."""
    return claim_runs_to_target(results, [(claim, dataset) for claim in CLAIMS
                                          for dataset in claim.datasets], profile, target)


def claim_runs_to_target(results: Iterable[dict], claims: Iterable[tuple[Claim, str]],
                         profile: str = "full", target: int = TARGET_SEEDS) -> pd.DataFrame:
    """:func:`seeds_needed` for the ``(claim, dataset)`` pairs of ``claims``: the runs
    that bring each below ``target`` paired seeds to ``target``."""
    from stgkd.registry import seed_free_experiments
    results = [r for r in results if r.get("profile") == profile]
    stored = stored_seeds(results)
    hours = cpu_hours_per_run(results, profile)
    seed_free = seed_free_experiments()
    rows = []
    for claim, dataset in claims:
        sides = [name.format(dataset=dataset) for name in (claim.claimed, claim.baseline)]
        seeds = [stored.get(name, set()) for name in sides]
        # a seed-free side (ARIMA) with one run stored has every seed its partner has
        # or will have: it needs no more runs
        for i, name in enumerate(sides):
            if name in seed_free and seeds[i]:
                seeds[i] = set(range(max(seeds[1 - i] | seeds[i]) + target + 1))
        paired = sorted(seeds[0] & seeds[1])
        if len(paired) >= target:
            continue
        wanted = target_seeds(seeds[0], seeds[1], target)
        runs = []
        for name, have in zip(sides, seeds):
            missing = [s for s in wanted if s not in have]
            # a seed-free side with nothing stored: its first run stands for every seed
            runs += [(name, s) for s in (missing[:1] if name in seed_free else missing)]
        cost = sum(hours.get(name, math.nan) for name, _ in runs)
        rows.append({"paper": claim.paper, "source": claim.source,
                     "statement": claim.statement, "dataset": dataset,
                     "paired": ", ".join(map(str, paired)) or "none",
                     "target": ", ".join(map(str, wanted)), "runs": runs,
                     "to_add": runs_text(runs), "cpu_hours": cost})
    return pd.DataFrame(rows, columns=["paper", "source", "statement", "dataset", "paired",
                                       "target", "runs", "to_add", "cpu_hours"])


# Rows of the KD paper's tables that no claim compares but whose figures the book shows
# beside the paper's: each should have TARGET_SEEDS seeds too
UNCLAIMED_ROWS = ("kd/{dataset}/teacher", "kd/{dataset}/student-lrd-l2", "prune/{dataset}/base")


def rows_needed(results: Iterable[dict], experiments: Iterable[str] | None = None,
                profile: str = "full", target: int = TARGET_SEEDS) -> pd.DataFrame:
    """One row per experiment of ``experiments`` (default :data:`UNCLAIMED_ROWS` on
    Los-loop and PeMSD7(M)) with fewer than ``target`` seeds under ``profile``:
    ``experiment, stored`` ("0, 1" or "none"), ``runs`` (the smallest missing seeds),
    ``to_add`` and ``cpu_hours`` (as :func:`seeds_needed`)."""
    if experiments is None:
        experiments = [row.format(dataset=d) for d in ("losloop", "pemsd7m")
                       for row in UNCLAIMED_ROWS]
    results = [r for r in results if r.get("profile") == profile]
    hours = cpu_hours_per_run(results, profile)
    stored = stored_seeds(results)
    rows = [experiment_shortfall(name, stored.get(name, set()), target,
                                 hours.get(name, math.nan))
            for name in experiments if len(stored.get(name, set())) < target]
    return pd.DataFrame(rows, columns=["experiment", "stored", "runs", "to_add", "cpu_hours"])


def runs_text(runs: Iterable[tuple[str, int]]) -> str:
    """``"kd/losloop/student-lstcd seeds 1, 2; kd/losloop/student-lord seed 2"``."""
    by_name: dict[str, list[int]] = {}
    for name, seed in runs:
        by_name.setdefault(name, []).append(seed)
    return "; ".join(f"{name} seed{'s' if len(s) > 1 else ''} {', '.join(map(str, sorted(s)))}"
                     for name, s in by_name.items())


def settle_commands(needed: pd.DataFrame, profile: str = "full") -> list[str]:
    """The ``stgkd run`` commands that add every run of ``needed`` once: one command per
    family (``kd``, ``prune``, ``dmst``), data set and seed list, in the order the claims
    list them; long commands continue on the next line (``\\``)."""
    seeds: dict[str, set[int]] = {}
    for runs in needed["runs"]:
        for name, seed in runs:
            seeds.setdefault(name, set()).add(seed)
    groups: dict[tuple[str, str, tuple[int, ...]], list[str]] = {}
    for name, wanted in seeds.items():
        family, dataset = name.split("/")[:2]
        groups.setdefault((family, dataset, tuple(sorted(wanted))), []).append(name)
    return [run_command(names, profile, list(key[2])) for key, names in groups.items()]


def total_cpu_hours(needed: pd.DataFrame, results: Iterable[dict],
                    profile: str = "full") -> tuple[float, int]:
    """The CPU hours of every run of ``needed`` counted once, by their experiments' median
    stored CPU wall time, and how many of those runs have no stored CPU time to go by."""
    hours = cpu_hours_per_run(results, profile)
    runs = {run for runs in needed["runs"] for run in runs}
    known = [hours[name] for name, _ in runs if name in hours]
    return float(sum(known)), len(runs) - len(known)


def settle_plan(claims: pd.DataFrame, rows: pd.DataFrame, results: Iterable[dict],
                profile: str = "full") -> dict:
    """Everything :func:`seeds_needed` (``claims``) and :func:`rows_needed` (``rows``) ask
    for, counted once: ``runs`` (distinct runs to add), ``hours`` (their CPU hours by
    :func:`total_cpu_hours`), ``unknown`` (runs with no stored CPU time) and ``commands``
    (:func:`settle_commands`). ``runs`` is 0 and ``commands`` empty when nothing is
    needed."""
    needed = pd.concat([claims[["runs"]], rows[["runs"]]], ignore_index=True)
    if not len(needed):
        return {"runs": 0, "hours": 0.0, "unknown": 0, "commands": []}
    hours, unknown = total_cpu_hours(needed, results, profile)
    return {"runs": len({run for runs in needed["runs"] for run in runs}), "hours": hours,
            "unknown": unknown, "commands": settle_commands(needed, profile)}
