"""Many verdicts read at once: which ones survive a family-wise correction?

The verdicts page reads several hundred cells (claim, data set, metric, horizon), each
with its own 95% interval. Even if no claim had any effect, about one cell in twenty
would leave zero out of its interval and read *holds* or *fails* by chance. Holm's
step-down method (Holm 1979, "A simple sequentially rejective multiple test
procedure") bounds the chance of even one such false verdict over a whole family of
cells at ``alpha``: with the family's ``m`` p-values sorted, ``p_(1) <= ... <= p_(m)``,
the adjusted p-value of the ``i``-th is

    ``p_holm_(i) = min(1, max_{j <= i} (m - j + 1) · p_(j))``,

and a cell keeps its *holds* or *fails* when ``p_holm < alpha``; otherwise it reads
*within noise*. It is uniformly more powerful than Bonferroni (``m · p``) and, unlike
the false-discovery-rate methods, needs no assumption about how the cells depend on
each other (the cells of one claim share their seeds, so they do).

Two families are offered (:data:`FAMILIES`):

- ``"claim"``: the cells of one claim on one data set (MAE and RMSE at its three
  horizons, at most six): does *this* claim hold, whichever cell shows it?
- ``"page"``: every cell that has an interval (two or more paired seeds), both papers and
  both data sets: which verdicts stand a reader who asks about all of them at once?

Only cells with an interval count towards a family's size. The per-cell verdicts stay the
book's verdicts; this module says which of them survive the correction. With three seeds
a paired t test has two degrees of freedom, and a family of ``m`` cells asks its smallest
p-value to be below ``0.05 / m`` (:func:`t_needed`).

>>> round(t_needed(3, 6), 1), round(t_needed(3, 180), 1), round(t_needed(5, 6), 1)
(10.9, 60.0, 4.9)

>>> [round(p, 3) for p in holm_adjusted([0.01, 0.04, 0.03, 0.005])]
[0.03, 0.06, 0.06, 0.02]
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from scipy import stats

from stgkd.report.claims import overall_verdict
from stgkd.report.verdicts import FAILS, HOLDS, WITHIN_NOISE

ALPHA = 0.05
FAMILIES: dict[str, list[str]] = {"claim": ["source", "statement", "dataset"], "page": []}


def holm_adjusted(p_values: Sequence[float]) -> list[float]:
    """Holm's adjusted p-values, in the order given; NaN (a cell without a test) stays
    NaN and does not count towards the family's size ``m``.

    Args:
        p_values: one p-value per test ([m]), each in [0, 1] or NaN.

    Raises:
        ValueError: a p-value outside [0, 1].
    """
    p = np.asarray(p_values, dtype=float)
    tested = ~np.isnan(p)
    if ((p[tested] < 0) | (p[tested] > 1)).any():
        raise ValueError(f"p_values: expected probabilities in [0, 1], found "
                         f"{sorted(p[tested][(p[tested] < 0) | (p[tested] > 1)].tolist())}")
    adjusted = np.full(p.shape, math.nan)
    m = int(tested.sum())
    if m == 0:
        return adjusted.tolist()
    index = np.flatnonzero(tested)
    order = index[np.argsort(p[index], kind="stable")]
    # the i-th smallest (0-based) is multiplied by m - i; the running maximum keeps the
    # adjusted values in the order of the raw ones (the step-down procedure stops at the
    # first test it cannot reject)
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted.tolist()


def t_needed(seeds: int, family_size: int, alpha: float = ALPHA) -> float:
    """The paired t statistic ``|mean(d)| / (std(d)/√n)`` that the best cell of a family of
    ``family_size`` cells needs over ``seeds`` paired seeds to pass Holm's correction:
    the two-sided p-value must fall below ``alpha / family_size``."""
    if seeds < 2 or family_size < 1:
        raise ValueError(f"seeds, family_size: expected at least 2 seeds and 1 cell, found "
                         f"{seeds} and {family_size}")
    return float(stats.t.ppf(1 - alpha / family_size / 2, df=seeds - 1))


def corrected_cells(cells: pd.DataFrame, family: str = "claim",
                    alpha: float = ALPHA) -> pd.DataFrame:
    """:func:`~stgkd.report.claims.claim_cells` with two columns added: ``p_holm``, the
    cell's p-value adjusted over the cells of its ``family`` (:data:`FAMILIES`) that have
    one (NaN for cells without an interval), and ``verdict_holm``: the cell's verdict
    when ``p_holm < alpha``, *within noise* when a holds or fails cell does not stay
    below it, and the cell's own word (*too few seeds*, *not compared*) otherwise."""
    if family not in FAMILIES:
        raise ValueError(f"family: expected one of {sorted(FAMILIES)}, found {family!r}")
    out = cells.copy()
    out["p_holm"] = math.nan
    keys = FAMILIES[family]
    groups = out.groupby(keys, sort=False).groups.values() if keys else [out.index]
    for index in groups:
        out.loc[index, "p_holm"] = holm_adjusted(out.loc[index, "p_value"].to_numpy(dtype=float))
    decided = out["verdict"].isin([HOLDS, FAILS])
    lost = decided & ~(out["p_holm"] < alpha)
    out["verdict_holm"] = out["verdict"].where(~lost, WITHIN_NOISE)
    return out


def claim_family_verdicts(cells: pd.DataFrame, alpha: float = ALPHA
                          ) -> dict[tuple[str, str, str], str]:
    """Every claim's verdict (:func:`~stgkd.report.claims.overall_verdict`) after Holm's
    correction within its own cells, keyed by ``(source, statement, dataset)``."""
    table = corrected_cells(cells, "claim", alpha)
    return {key: overall_verdict(group["verdict_holm"])
            for key, group in table.groupby(FAMILIES["claim"], sort=False)}


CLAIM_COLUMNS = ["source", "statement", "dataset", "n", "before", "verdict",
                 *(f"{part}_{family}" for family in FAMILIES
                   for part in ("after", "min_p_holm", "verdict"))]


def corrected_claims(cells: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """One row per claim and data set with at least one cell that holds or fails at 95%
    on its own (:data:`CLAIM_COLUMNS`): ``source, statement, dataset``, ``n`` paired
    seeds, the cells that hold and fail on their own (``before``, "2 / 1") and the
    claim's ``verdict`` (:func:`~stgkd.report.claims.overall_verdict`); then for each
    family of :data:`FAMILIES` the same after Holm's correction (``after_<family>``,
    ``verdict_<family>``) and the claim's smallest adjusted p-value
    (``min_p_holm_<family>``)."""
    corrected = {family: corrected_cells(cells, family, alpha) for family in FAMILIES}
    keys = FAMILIES["claim"]
    rows = []
    for key, group in cells.groupby(keys, sort=False):
        if not group["verdict"].isin([HOLDS, FAILS]).any():
            continue
        row = {**dict(zip(keys, key)), "n": int(group["n"].max()),
               "before": _holds_fails(group["verdict"]),
               "verdict": overall_verdict(group["verdict"])}
        for family, table in corrected.items():
            mine = table.loc[group.index]
            row.update({f"after_{family}": _holds_fails(mine["verdict_holm"]),
                        f"min_p_holm_{family}": float(mine["p_holm"].min()),
                        f"verdict_{family}": overall_verdict(mine["verdict_holm"])})
        rows.append(row)
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def correction_summary(cells: pd.DataFrame, alpha: float = ALPHA) -> str:
    """How many cells have an interval and how many hold and fail on their own, how many
    still do after Holm's correction within each claim and over the whole page, and the
    t statistic the best cell of each family needs at three and at five seeds
    (:func:`t_needed`)."""
    tested = cells[cells["p_value"].notna()]
    if tested.empty:
        return "No cell has an interval yet (two paired seeds or more)."
    before = tested["verdict"].value_counts()
    after = {family: corrected_cells(cells, family, alpha).loc[tested.index, "verdict_holm"]
             .value_counts() for family in FAMILIES}
    claim_size = int(tested.groupby(FAMILIES["claim"]).size().max())
    bars = {seeds: (t_needed(seeds, claim_size, alpha), t_needed(seeds, len(tested), alpha))
            for seeds in (3, 5)}
    return (f"Of the {len(tested)} cells with an interval, {before.get(HOLDS, 0)} hold and "
            f"{before.get(FAILS, 0)} fail at 95% each, where chance alone would give about "
            f"{alpha * len(tested):.0f}. After Holm's correction within each claim, "
            f"{after['claim'].get(HOLDS, 0)} hold and {after['claim'].get(FAILS, 0)} fail; "
            f"over the whole page, {after['page'].get(HOLDS, 0)} hold and "
            f"{after['page'].get(FAILS, 0)} fail. To pass, the best cell of a family needs a "
            f"paired t statistic above {bars[3][0]:.1f} within a claim of {claim_size} cells "
            f"and above {bars[3][1]:.1f} over the page at three seeds; at five seeds, above "
            f"{bars[5][0]:.1f} and {bars[5][1]:.1f}.")


def _holds_fails(verdicts: pd.Series) -> str:
    counts = verdicts.value_counts()
    return f"{int(counts.get(HOLDS, 0))} / {int(counts.get(FAILS, 0))}"


def corrected_view(claims: pd.DataFrame) -> pd.DataFrame:
    """:func:`corrected_claims` as the book shows it: indexed by ``claim`` and ``data
    set``, with the cells holding / failing and the verdict on their own, within the
    claim's family and over the page's."""
    view = claims.assign(claim=claims["source"] + ": " + claims["statement"])
    columns = {"dataset": "data set", "n": "n", "before": "hold / fail, each cell",
               "verdict": "verdict, each cell",
               "after_claim": "hold / fail, Holm within the claim",
               "verdict_claim": "verdict, within the claim",
               "after_page": "hold / fail, Holm over the page",
               "verdict_page": "verdict, over the page"}
    return (view[["claim", *columns]].rename(columns=columns)
            .set_index(["claim", "data set"]))

