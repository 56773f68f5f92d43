"""Can our seeds tell the paper's effect from no effect?

A verdict *within noise* says that our 95% interval of the paired difference contains
zero. It does not say whether the interval also contains the effect the paper reports:
a narrow interval around zero rules the paper's effect out, a wide one holds both and
settles nothing. Per claim cell (metric and horizon) with the paper's figures, the
paper's difference ``proposed - baseline`` (in mph, from its table) is read against our
interval:

* **rules out the paper's effect**: the paper's difference lies outside our interval, and
  our interval is not wholly beyond it (ours is smaller, or on the other side of zero);
* **exceeds the paper's effect**: the paper's difference lies between zero and our
  interval: the same direction, and ours is larger than the paper's;
* **cannot tell**: our interval holds both zero and the paper's difference;
* **agrees with the paper**: our interval holds the paper's difference and not zero.

Cells without an interval (fewer than two paired seeds) are *too few seeds*; claims the
paper prints no figures for (Los-loop, which the KD paper does not use; the DMST
comparison, whose tables did not survive) are *no paper figure*.

The rule for more seeds (fixed before any run beyond seed 2 of a claim it names): a
claim on a data set with at least :data:`~stgkd.report.seeds_needed.TARGET_SEEDS`
paired seeds and a *cannot tell* MAE cell is brought to :data:`EXTRA_SEEDS` paired
seeds (:func:`extra_seeds_needed`). The differences are compared in mph, although our
models' errors are not the paper's (our student without distillation is 6-10% better on
PeMSD7(M)): the paper states its claims as differences of its rows.

>>> resolution_word(-0.05, -0.06, 0.05)
'cannot tell'
>>> resolution_word(-0.30, -0.06, 0.05) == RULES_OUT
True
>>> resolution_word(-0.045, -0.187, -0.046) == EXCEEDS
True
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from stgkd.report.claims import CLAIMS, Claim, claim_cells, paper_values
from stgkd.report.seeds_needed import TARGET_SEEDS, claim_runs_to_target, seeds_needed
from stgkd.selection import DEFAULT_RULE

RULES_OUT = "rules out the paper's effect"
EXCEEDS = "exceeds the paper's effect"
CANNOT_TELL = "cannot tell"
AGREES = "agrees with the paper"
TOO_FEW = "too few seeds"
NO_PAPER_FIGURE = "no paper figure"
RESOLUTIONS: tuple[str, ...] = (RULES_OUT, EXCEEDS, CANNOT_TELL, AGREES, TOO_FEW,
                                 NO_PAPER_FIGURE)
# the words as a table cell shows them
SHORT = {RULES_OUT: "rules out", EXCEEDS: "exceeds", CANNOT_TELL: "cannot tell",
         AGREES: "agrees"}
# paired seeds a claim whose interval cannot tell the paper's effect from none is
# brought to (the "add seeds 3 and 4")
EXTRA_SEEDS = 5

RESOLUTION_COLUMNS = ["paper", "source", "statement", "dataset", "metric", "horizon_min",
                      "paper_difference", "difference", "ci_low", "ci_high", "n", "verdict",
                      "resolution"]


def resolution_word(paper_difference: float, low: float, high: float) -> str:
    """Where the paper's difference lies against our interval ``[low, high]`` (see the
    module docstring): :data:`RULES_OUT`, :data:`EXCEEDS`, :data:`CANNOT_TELL` or
    :data:`AGREES`;
    :data:`NO_PAPER_FIGURE` for a NaN paper difference, :data:`TOO_FEW` for a NaN
    interval."""
    if paper_difference is None or math.isnan(paper_difference):
        return NO_PAPER_FIGURE
    if math.isnan(low) or math.isnan(high):
        return TOO_FEW
    if low > high:
        raise ValueError(f"low, high: expected an interval with low <= high, found "
                         f"[{low}, {high}]")
    if not low <= paper_difference <= high:
        # the whole interval beyond the paper's difference, away from zero: a larger effect
        beyond = high < paper_difference < 0 or 0 < paper_difference < low
        return EXCEEDS if beyond else RULES_OUT
    return CANNOT_TELL if low <= 0 <= high else AGREES


def resolution_cells(results: Iterable[dict], rule: str = DEFAULT_RULE,
                     claims: Iterable[Claim] = CLAIMS,
                     cells: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim, data set, metric (MAE, RMSE) and horizon
    (:data:`RESOLUTION_COLUMNS`): the paper's difference (NaN without a paper figure),
    our mean paired difference and 95% interval, the number of paired seeds, the
    verdict and the resolution word (:func:`resolution_word`). ``cells``:
    :func:`~stgkd.report.claims.claim_cells` of the same ``results``, ``rule`` and
    ``claims``, when the caller has them already."""
    claims = tuple(claims)
    if cells is None:
        cells = claim_cells(results, rule, claims)
    paper: dict[tuple[str, str, str], dict] = {}
    for claim in claims:
        for dataset in claim.datasets:
            found = paper_values(claim, dataset)
            paper[(claim.source, claim.statement, dataset)] = (
                {} if found is None else
                {key: found[0][key] - found[1][key] for key in found[0] if key in found[1]})
    differences = [paper[(s, t, d)].get((m, float(h)), math.nan) for s, t, d, m, h in
                   zip(cells["source"], cells["statement"], cells["dataset"], cells["metric"],
                       cells["horizon_min"])]
    cells = cells.assign(paper_difference=differences)
    cells["resolution"] = [resolution_word(p, lo, hi) for p, lo, hi in
                           zip(cells["paper_difference"], cells["ci_low"], cells["ci_high"])]
    return cells[RESOLUTION_COLUMNS].reset_index(drop=True)


def resolution_view(cells: pd.DataFrame, metric: str = "MAE") -> pd.DataFrame:
    """:func:`resolution_cells` of the claims with a paper figure, as the book shows them:
    indexed by ``claim`` and ``data set``, one column per horizon reading
    ``"paper -0.051 · ours -0.003 [-0.057, +0.052]: cannot tell"`` (:data:`SHORT` words),
    and ``n``."""
    shown = cells[(cells["metric"] == metric) & (cells["resolution"] != NO_PAPER_FIGURE)]
    rows = []
    for (source, statement, dataset), group in shown.groupby(
            ["source", "statement", "dataset"], sort=False):
        row = {"claim": f"{source}: {statement}", "data set": dataset,
               "n": int(group["n"].max())}
        for _, cell in group.iterrows():
            ours = ("–" if math.isnan(cell["difference"]) else f"{cell['difference']:+.3f}"
                    + ("" if math.isnan(cell["ci_low"])
                       else f" [{cell['ci_low']:+.3f}, {cell['ci_high']:+.3f}]"))
            row[f"{metric}, {cell['horizon_min']:g} min"] = (
                f"paper {cell['paper_difference']:+.3f} · ours {ours}: "
                f"{SHORT.get(cell['resolution'], cell['resolution'])}")
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=["claim", "data set", "n"]).set_index(["claim", "data set"])
    view = pd.DataFrame(rows)
    return view[[c for c in view.columns if c != "n"] + ["n"]].set_index(["claim", "data set"])


def resolution_counts(cells: pd.DataFrame) -> pd.DataFrame:
    """How many MAE and RMSE cells of the claims with a paper figure read each way: one
    row per resolution word that occurs, columns ``resolution`` and ``cells``."""
    shown = cells[cells["resolution"] != NO_PAPER_FIGURE]
    counts = shown["resolution"].value_counts()
    return pd.DataFrame({"resolution": [w for w in RESOLUTIONS if w in counts],
                         "cells": [int(counts[w]) for w in RESOLUTIONS if w in counts]})


def resolution_summary(cells: pd.DataFrame, metric: str = "MAE"
                       ) -> dict[tuple[str, str, str], str]:
    """``{(source, statement, dataset): text}`` for the claims with a paper figure: where
    our interval puts the paper's ``metric`` difference, by horizon, e.g. "rules out
    (15, 45 min); cannot tell (30 min)"; "too few seeds" when no horizon has an interval.
    """
    shown = cells[(cells["metric"] == metric) & (cells["resolution"] != NO_PAPER_FIGURE)]
    summary = {}
    for key, group in shown.groupby(["source", "statement", "dataset"], sort=False):
        parts = [f"{short} ({', '.join(f'{h:g}' for h in hit['horizon_min'])} min)"
                 for word, short in SHORT.items()
                 if len(hit := group[group["resolution"] == word])]
        summary[key] = "; ".join(parts) or TOO_FEW
    return summary


def extra_seeds_needed(results: Iterable[dict], cells: pd.DataFrame | None = None,
                       profile: str = "full", target: int = EXTRA_SEEDS) -> pd.DataFrame:
    """The claims the rule of the module docstring sends to ``target`` paired seeds: at
    least :data:`TARGET_SEEDS` paired seeds, fewer than ``target``, and an MAE cell that
    *cannot tell*. Columns as :func:`stgkd.report.seeds_needed.seeds_needed` (``paired``,
    ``target``, ``runs``, ``to_add``, ``cpu_hours``, ...).

    Args:
        results: the stored run results.
        cells: :func:`resolution_cells` of ``results`` (computed when None).
        profile: the run profile to count seeds in.
        target: the paired seeds to reach.
    """
    results = list(results)
    if cells is None:
        cells = resolution_cells(results)
    mae = cells[cells["metric"] == "MAE"]
    open_claims = mae.groupby(["source", "statement", "dataset"], sort=False).agg(
        n=("n", "max"), unresolved=("resolution", lambda words: CANNOT_TELL in set(words)))
    wanted = {key for key, row in open_claims.iterrows()
              if row["unresolved"] and TARGET_SEEDS <= row["n"] < target}
    claims = [(claim, dataset) for claim in CLAIMS for dataset in claim.datasets
              if (claim.source, claim.statement, dataset) in wanted]
    return claim_runs_to_target(results, claims, profile, target)


def claims_needed(results: Iterable[dict], profile: str = "full",
                  cells: pd.DataFrame | None = None) -> pd.DataFrame:
    """The claims' runs that ``stgkd list --needed`` and the verdicts page list:
    :func:`~stgkd.report.seeds_needed.seeds_needed` (claims below three paired seeds),
    then :func:`extra_seeds_needed` (claims the rule sends to five; ``cells`` as there)."""
    results = list(results)
    return pd.concat([seeds_needed(results, profile),
                      extra_seeds_needed(results, cells, profile)], ignore_index=True)
