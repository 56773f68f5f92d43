"""How far apart two experiments' runs are, seed for seed: the largest test-MAE gap over
the seeds both have and the horizons, and whether each seed kept the same epoch. A gap
far below the seed-to-seed spread means the two losses trained, in effect, the same
model (LRD(KL) at the paper's β beside the student without KD, for one).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def paired_gap(results: Iterable[dict], first: str, second: str,
               profile: str = "full") -> dict:
    """``seeds`` (both have, sorted), ``max_gap`` (the largest |MAE first − MAE second|
    over those seeds and every stored test horizon, in the data's units; NaN for no
    shared seed), ``spread`` (the largest standard deviation over seeds of ``second``'s
    MAE at a horizon; NaN below two seeds) and ``same_epoch`` (each shared seed kept the
    same best epoch on both sides)."""
    runs: dict[str, dict[int, dict]] = {first: {}, second: {}}
    for result in results:
        if result.get("profile") == profile and result.get("experiment") in runs:
            runs[result["experiment"]][int(result["seed"])] = result
    seeds = sorted(set(runs[first]) & set(runs[second]))
    gaps, same_epoch = [], True
    for seed in seeds:
        a, b = runs[first][seed], runs[second][seed]
        gaps += [abs(a["test"][h]["mae"] - b["test"][h]["mae"]) for h in a["test"]]
        same_epoch &= a.get("best_epoch") == b.get("best_epoch")
    horizons = list(next(iter(runs[second].values()))["test"]) if runs[second] else []
    spreads = [np.std([r["test"][h]["mae"] for r in runs[second].values()], ddof=1)
               for h in horizons] if len(runs[second]) > 1 else []
    return {"seeds": seeds, "max_gap": float(max(gaps)) if gaps else float("nan"),
            "spread": float(max(spreads)) if spreads else float("nan"),
            "same_epoch": bool(seeds) and same_epoch}


def paired_gap_text(gap: dict, first: str, second: str) -> str:
    """One sentence on :func:`paired_gap`'s figures, naming the two rows ``first`` and
    ``second`` as the reader knows them; "" without a shared seed."""
    if not gap["seeds"]:
        return ""
    seeds = ", ".join(map(str, gap["seeds"]))
    epoch = ("the two keep the same epoch on every seed" if gap["same_epoch"]
             else "their kept epochs differ on some seed")
    spread = ("" if np.isnan(gap["spread"]) else
              f", against a seed-to-seed spread of {second} of up to {gap['spread']:.3f} mph")
    return (f"Seed for seed (seeds {seeds}), {first} and {second} differ by at most "
            f"{gap['max_gap']:.4f} mph in test MAE at any horizon{spread}; {epoch}.")
