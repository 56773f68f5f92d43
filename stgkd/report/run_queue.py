"""Every run still needed, as one queue in the order the runs are most needed, for a
machine that runs as many as fit in its time (``benchmarks/device_grid.sh``):

1. the claims' runs (:func:`stgkd.report.resolution.claims_needed`: claims below three
   paired seeds, then the claims the five-seed rule names);
2. the table rows no claim compares (:func:`stgkd.report.seeds_needed.rows_needed`);
3. the other readings' runs (:func:`stgkd.report.readings_needed.readings_needed`).

A run two of them ask for is queued once, where it first appears.
"""
from __future__ import annotations

from collections.abc import Iterable

from stgkd.report.readings_needed import readings_needed
from stgkd.report.resolution import claims_needed
from stgkd.report.seeds_needed import rows_needed


def needed_runs(results: Iterable[dict], profile: str = "full") -> list[tuple[str, int]]:
    """``[(experiment, seed), ...]``: the runs ``stgkd list --needed`` asks for under
    ``profile``, claims first, then table rows, then readings, each run once."""
    results = [r for r in results if r.get("profile") == profile]
    frames = (claims_needed(results, profile), rows_needed(results, profile=profile),
              readings_needed(results, profile))
    queue: list[tuple[str, int]] = []
    seen: set[tuple[str, int]] = set()
    for frame in frames:
        for runs in frame["runs"]:
            for name, seed in runs:
                if (name, seed) not in seen:
                    seen.add((name, seed))
                    queue.append((name, int(seed)))
    return queue
