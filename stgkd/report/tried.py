"""What was tried for each claim: the seeds behind its verdict, its verdict under the other
model-selection rules, and the other readings of the paper it was asked under, with how
many runs of each are stored.

A verdict on the pinned reading alone could hinge on that reading; the issue behind the
verdicts page asks each claim to say what else was tried. The readings per claim are
:data:`ALSO_ASKED`: experiment-name patterns (``{dataset}`` and ``{level}`` filled in, a
trailing ``*`` matching any suffix) under a label; :func:`tried_table` counts their
stored runs, so a reading nobody has run yet reads "not yet run".
"""
from __future__ import annotations

import fnmatch
from collections.abc import Iterable

import pandas as pd

from stgkd.report.claims import CLAIMS, claim_verdicts, verdicts_by_rule
from stgkd.report.verdicts import NOT_COMPARED, TOO_FEW_SEEDS
from stgkd.selection import DEFAULT_RULE, RULES

_DOSE = ("correlation terms weighed to 0-0.5 of the loss", ["kd/{dataset}/student-lstcd-corr*"])
_TABLE8 = [("Taylor ranked over the whole network", ["prune/{dataset}/taylor-global-{level}"]),
           ("Algorithm 1 fine-tuned with LSTCD", ["prune/{dataset}/kdis-lstcd-{level}-ftkd"]),
           ("one fine-tuning epoch", ["prune/{dataset}/kdis-lstcd-{level}-ft1",
                                     "prune/{dataset}/taylor-{level}-ft1"]),
           ("correlation terms at a tenth of the pruning loss",
            ["prune/{dataset}/kdis-lstcd-{level}-corr*"])]
_DMST = [("target scalings", ["dmst/{dataset}/*-boxcox-station", "dmst/{dataset}/*-zscore",
                              "dmst/{dataset}/*-boxcox-mph-loss"]),
         ("ST modules and ablations", ["dmst/{dataset}/dmst-gnode-st-*",
                                       "dmst/{dataset}/dmst-gnode-no-*"])]

# (claim source, statement) -> [(reading, experiment patterns), ...]
ALSO_ASKED: dict[tuple[str, str], list[tuple[str, list[str]]]] = {
    ("Table 2", "LORD beats the student without distillation"): [
        ("α1 from Table 3's share", ["kd/{dataset}/student-lord-t3"])],
    ("Table 4", "LSTCD beats the student without distillation"): [
        ("LORD as a mean", ["kd/{dataset}/student-lstcd-mean"]), _DOSE],
    ("Table 5", "the correlation terms help: LSTCD beats LORD"): [
        ("LORD as a mean", ["kd/{dataset}/student-lstcd-mean"]), _DOSE],
    ("Table 5", "the temporal term helps: LTCD beats LORD"): [
        ("LTCD weighed to a share of the loss", ["kd/{dataset}/student-ltcd-corr*"]),
        ("α1 from Table 3's shares", ["kd/{dataset}/student-ltcd-t3",
                                      "kd/{dataset}/student-lord-t3"])],
    ("Table 5", "the spatial term helps: LSCD beats LORD"): [
        ("LSCD weighed to a share of the loss", ["kd/{dataset}/student-lscd-corr*"]),
        ("α1 from Table 3's shares", ["kd/{dataset}/student-lscd-t3",
                                      "kd/{dataset}/student-lord-t3"])],
    **{("Table 8", f"at {level}% pruning, Algorithm 1 beats Taylor pruning"):
       [(label, [p.replace("{level}", str(level)) for p in patterns])
        for label, patterns in _TABLE8] for level in (25, 50, 75)},
    **{(claim.source, claim.statement): _DMST for claim in CLAIMS
       if claim.paper == "DMST-GNODE paper"},
}


def stored_runs(results: Iterable[dict], patterns: Iterable[str], dataset: str,
                profile: str = "full") -> tuple[int, int]:
    """How many experiments matching ``patterns`` (``{dataset}`` filled in, shell-style
    ``*``) have runs stored under ``profile``, and how many runs they have in all."""
    wanted = [p.format(dataset=dataset) for p in patterns]
    runs: dict[str, int] = {}
    for result in results:
        name = result.get("experiment", "")
        if result.get("profile") == profile and any(fnmatch.fnmatchcase(name, p) for p in wanted):
            runs[name] = runs.get(name, 0) + 1
    return len(runs), sum(runs.values())


def tried_text(results: Iterable[dict], source: str, statement: str, dataset: str,
               profile: str = "full") -> str:
    """The other readings a claim was asked under, for one data set: "LORD as a mean
    (1 run); correlation terms weighed to 0-0.5 of the loss (5 experiments, 16 runs)";
    "not yet run" after a reading with none; "" for a claim with no other reading."""
    results = list(results)
    parts = []
    for label, patterns in ALSO_ASKED.get((source, statement), []):
        experiments, runs = stored_runs(results, patterns, dataset, profile)
        if not runs:
            parts.append(f"{label} (not yet run)")
        elif experiments == 1:
            parts.append(f"{label} ({runs} run{'s' if runs > 1 else ''})")
        else:
            parts.append(f"{label} ({experiments} experiments, {runs} runs)")
    return "; ".join(parts)


def other_rules_text(cells: pd.Series) -> str:
    """A claim's verdict under the other selection rules, from its
    :func:`~stgkd.report.claims.verdicts_by_rule` row (``cells[rule]`` like "fails
    (n=3)"): "–" when the default rule itself gives no verdict; "same verdict" when each
    other rule that could be tested agrees with it; else each differing rule's verdict,
    and the rules that could not be tested (too few seeds recorded the per-epoch metrics
    they need)."""
    untested = (NOT_COMPARED, TOO_FEW_SEEDS)
    default = cells[DEFAULT_RULE].split(" (n=")[0]
    if default in untested:
        return "–"
    parts, missing = [], []
    for rule in RULES:
        if rule == DEFAULT_RULE:
            continue
        word = cells[rule].split(" (n=")[0]
        if word in untested:
            missing.append(rule)
        elif word != default:
            parts.append(f"{rule}: {cells[rule]}")
    if missing and len(missing) == len(RULES) - 1:
        return "untested (too few seeds with per-epoch metrics)"
    text = "; ".join(parts) or "same verdict"
    return text + (f"; {', '.join(missing)} untested" if missing else "")


def tried_table(results: Iterable[dict], profile: str = "full",
                verdicts: pd.DataFrame | None = None,
                by_rule: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim and data set: ``paper, source, statement, dataset``, ``seeds``
    (the paired seeds of the verdict), ``verdict`` (best validation MAE, our default),
    ``other rules`` (the verdict under each other selection rule, or "same verdict" when
    none differs) and ``other readings`` (:func:`tried_text`).

    ``verdicts`` (:func:`~stgkd.report.claims.claim_verdicts` under the default rule) and
    ``by_rule`` (:func:`~stgkd.report.claims.verdicts_by_rule` over :data:`RULES`) are
    computed from ``results`` unless a caller that already holds them passes them."""
    results = list(results)
    if verdicts is None:
        verdicts = claim_verdicts(results)
    if by_rule is None:
        by_rule = verdicts_by_rule(results, RULES)
    by_rule = by_rule.set_index(["source", "statement", "dataset"])
    rows = []
    for row in verdicts.itertuples():
        key = (row.source, row.statement, row.dataset)
        rows.append({"paper": row.paper, "source": row.source, "statement": row.statement,
                     "dataset": row.dataset, "seeds": row.seeds or "none",
                     "verdict": row.verdict,
                     "other rules": other_rules_text(by_rule.loc[key]),
                     "other readings": tried_text(results, row.source, row.statement,
                                                  row.dataset, profile) or "–"})
    return pd.DataFrame(rows)
