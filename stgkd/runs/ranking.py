"""Which stored runs a table or figure shows: profile ranking and run selection.

A figure never mixes one experiment's profiles: each experiment is shown with the
runs of its best profile (full, else quick, else smoke) or of one named profile.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

# Most trusted first: a full-profile run outranks a quick one, which outranks a smoke run.
PROFILE_PREFERENCE: tuple[str, ...] = ("full", "quick", "smoke")


def profile_rank(profile: str) -> int:
    """Position of a profile in :data:`PROFILE_PREFERENCE` (unknown profiles come last)."""
    return PROFILE_PREFERENCE.index(profile) if profile in PROFILE_PREFERENCE \
        else len(PROFILE_PREFERENCE)


def check_profile(profile: str) -> None:
    """``profile`` is ``"best"`` or a known profile.

    Raises:
        ValueError: naming the argument, the choices and what was found.
    """
    if profile != "best" and profile not in PROFILE_PREFERENCE:
        raise ValueError(f"profile: expected 'best' or one of {list(PROFILE_PREFERENCE)}, "
                         f"found {profile!r}")


def best_profile_results(results: Iterable[Mapping], profile: str = "best") -> list:
    """The results of each experiment's best profile only (:data:`PROFILE_PREFERENCE`),
    or of ``profile`` only, so that a figure never mixes one experiment's profiles.
    Order is kept."""
    check_profile(profile)
    results = list(results)
    if profile != "best":
        return [r for r in results if r["profile"] == profile]
    best: dict[str, int] = {}
    for r in results:
        best[r["experiment"]] = min(best.get(r["experiment"], len(PROFILE_PREFERENCE) + 1),
                                    profile_rank(r["profile"]))
    return [r for r in results if profile_rank(r["profile"]) == best[r["experiment"]]]


def pick_runs(results: Iterable[Mapping], experiments: Iterable[str],
              profile: str = "best") -> dict:
    """One run per experiment, for figures that show a single model: the lowest seed of
    the experiment's best profile (or of ``profile``); ``None`` where none was run."""
    chosen = {}
    candidates = best_profile_results(results, profile)
    for name in experiments:
        runs = [r for r in candidates if r["experiment"] == name]
        chosen[name] = min(runs, key=lambda r: r["seed"]) if runs else None
    return chosen
