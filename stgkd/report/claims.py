"""Every claim of both papers that our runs can test, and its paired verdict.

A claim is "experiment A has lower errors than experiment B" (Tables 2, 4, 5, 7, 8 of
the KD paper; DMST-GNODE against each of its baselines). :func:`claim_verdicts` puts
each beside the paper's own figures and gives our paired comparison
(:func:`stgkd.report.verdicts.paired_verdicts`): per metric and horizon a verdict word,
and for the claim one word over its cells (:func:`overall_verdict`). Runs can be read
under any model-selection rule (:mod:`stgkd.selection`).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgkd.reference import kd_table, paper_datasets
from stgkd.report.comparison import canonical_row, result_cells
from stgkd.runs.ranking import profile_rank
from stgkd.report.verdicts import (FAILS, HOLDS, NOT_COMPARED, TOO_FEW_SEEDS, WITHIN_NOISE,
                                   paired_verdicts)
from stgkd.selection import DEFAULT_RULE, results_under_rule

MIXED = "mixed"


@dataclass(frozen=True)
class Claim:
    """One comparison a paper claims: ``claimed`` beats ``baseline`` (lower errors).

    ``claimed`` and ``baseline`` are experiment names with ``{dataset}`` for our data
    set; ``paper_rows`` are the two rows of the paper's ``table`` (and ``setting``)
    whose figures state the claim, None where the paper prints no figures for both.
    """

    source: str
    statement: str
    claimed: str
    baseline: str
    datasets: tuple[str, ...]
    horizons: tuple[float, ...]
    table: int | None = None
    paper_rows: tuple[str, str] | None = None
    setting: str = ""
    paper: str = "KD paper"


KD_DATASETS = ("pemsd7m", "losloop")
KD_HORIZONS = (15.0, 30.0, 45.0)
DMST_HORIZONS = (20.0, 40.0, 60.0)
DMST_BASELINES = ("arima", "svr", "fc-lstm", "tgc-lstm", "ast-gcn", "mast-gcn", "st-gcn",
                  "mst-gcn", "st-node")


# the data sets the DMST claims are asked on (PeMS08's full file is not supplied)
DMST_CLAIM_DATASETS = ("losloop", "pemsd7m")


def _dmst(source: str, statement: str, claimed: str, baseline: str,
          paper: str = "DMST-GNODE paper") -> Claim:
    return Claim(source, statement, claimed, baseline, DMST_CLAIM_DATASETS, DMST_HORIZONS,
                 paper=paper)


def _dmst_comparison(suffix: str = "") -> tuple[Claim, ...]:
    """DMST-GNODE against each baseline, both sides ``dmst/<dataset>/<model><suffix>``."""
    return tuple(_dmst("comparison", f"DMST-GNODE beats {name.upper()}",
                       f"dmst/{{dataset}}/dmst-gnode{suffix}", f"dmst/{{dataset}}/{name}{suffix}")
                 for name in DMST_BASELINES)


def _kd(source, statement, claimed, baseline, table, rows, setting="") -> Claim:
    return Claim(source, statement, claimed, baseline, KD_DATASETS, KD_HORIZONS, table,
                 rows, setting)


CLAIMS: tuple[Claim, ...] = (
    _kd("Table 2", "LORD beats the student without distillation",
        "kd/{dataset}/student-lord", "kd/{dataset}/student-no-kd", 2,
        ("Student LORD", "Student W/O KD")),
    _kd("Table 2", "LORD beats response distillation with KL (LRD(KL))",
        "kd/{dataset}/student-lord", "kd/{dataset}/student-lrd-kl", 2,
        ("Student LORD", "Student LRD(KL)")),
    _kd("Table 4", "LSTCD beats the student without distillation",
        "kd/{dataset}/student-lstcd", "kd/{dataset}/student-no-kd", 4,
        ("Student LSTCD", "Student W/O KD")),
    _kd("Table 4", "LSTCD beats structured distillation (LSKD)",
        "kd/{dataset}/student-lstcd", "kd/{dataset}/student-lskd", 4,
        ("Student LSTCD", "Student LSKD")),
    _kd("Table 5", "the correlation terms help: LSTCD beats LORD",
        "kd/{dataset}/student-lstcd", "kd/{dataset}/student-lord", 5,
        ("Student LSTCD", "Student LORD")),
    _kd("Table 5", "the temporal term helps: LTCD beats LORD",
        "kd/{dataset}/student-ltcd", "kd/{dataset}/student-lord", 5,
        ("Student LTCD", "Student LORD")),
    _kd("Table 5", "the spatial term helps: LSCD beats LORD",
        "kd/{dataset}/student-lscd", "kd/{dataset}/student-lord", 5,
        ("Student LSCD", "Student LORD")),
    _kd("Table 7", "the teacher pruned by Algorithm 1 to the student's size beats the "
        "LSTCD student", "prune/{dataset}/teacher-kdis-lstcd", "kd/{dataset}/student-lstcd", 7,
        ("Student W pruning algorithm", "Student W/O pruning algorithm"), "params 3%"),
    *(_kd("Table 8", f"at {level}% pruning, Algorithm 1 beats Taylor pruning",
          f"prune/{{dataset}}/kdis-lstcd-{level}", f"prune/{{dataset}}/taylor-{level}", 8,
          ("Pruned W LSTCD", "Pruned W/O KD"), f"pruned {level}%") for level in (25, 50, 75)),
    *_dmst_comparison(),
)


def dmst_claims(scaling: str) -> tuple[Claim, ...]:
    """The DMST-GNODE paper's claims asked again with every model under the target scaling
    ``scaling`` (:data:`stgkd.dmst.scaling.SCALINGS`): DMST-GNODE against each baseline,
    both sides run as ``dmst/<dataset>/<model>-<scaling>`` (the pinned scaling keeps the
    plain names, so it gives the claims of :data:`CLAIMS`)."""
    from stgkd.dmst.scaling import DEFAULT_SCALING, check_scaling
    return _dmst_comparison("" if check_scaling(scaling) == DEFAULT_SCALING else f"-{scaling}")


def scaling_claims(scaling: str) -> tuple[Claim, ...]:
    """Each model of the DMST comparison under the target scaling ``scaling`` against
    itself under the pinned one (``dmst/<dataset>/<model>-<scaling>`` against
    ``dmst/<dataset>/<model>``): does the reading decide the outcome? Not a claim of
    either paper (``paper`` is "reading")."""
    from stgkd.dmst.models import MODELS
    from stgkd.dmst.scaling import DEFAULT_SCALING, check_scaling
    if check_scaling(scaling) == DEFAULT_SCALING:
        raise ValueError(f"scaling: expected a scaling other than the pinned "
                         f"{DEFAULT_SCALING!r}, found {scaling!r}")
    return tuple(_dmst("reading", f"{model} under {scaling} beats {model} under "
                       f"{DEFAULT_SCALING}", f"dmst/{{dataset}}/{model.lower()}-{scaling}",
                       f"dmst/{{dataset}}/{model.lower()}", paper="reading") for model in MODELS)


CLAIM_COLUMNS = ["paper", "source", "statement", "dataset", "claimed", "baseline",
                 "paper_figures", "paper_holds", "ours_claimed", "ours_baseline",
                 *(f"MAE difference {h:g} min" for h in (*KD_HORIZONS, *DMST_HORIZONS)),
                 "n", "seeds", "profile", "holds", "fails", "within_noise", "cells",
                 "verdict", "selection"]


def overall_verdict(verdicts: Iterable[str]) -> str:
    """One word for a claim from its cells' verdicts: **holds** (every cell holds),
    **fails** (some fail, none holds), **within noise** (every cell within noise),
    **mixed** (some hold and some do not), or the cells' own word when none was
    compared (:data:`NOT_COMPARED`) or none had two seeds (:data:`TOO_FEW_SEEDS`)."""
    words = list(verdicts)
    tested = [w for w in words if w in (HOLDS, FAILS, WITHIN_NOISE)]
    if not tested:
        return TOO_FEW_SEEDS if TOO_FEW_SEEDS in words else NOT_COMPARED
    if all(w == HOLDS for w in tested) and len(tested) == len(words):
        return HOLDS
    if HOLDS in tested:
        return MIXED
    return FAILS if FAILS in tested else WITHIN_NOISE


def paper_values(claim: Claim, dataset: str
                 ) -> tuple[dict[tuple[str, float], float], dict[tuple[str, float], float]] | None:
    """The paper's figures of the claim's two rows for our ``dataset``: ``(claimed,
    baseline)``, each ``{(metric, horizon_min): value}`` over every metric the paper
    prints; None where the paper prints no figures for both rows (no table, or a data set
    the paper does not use)."""
    if claim.table is None or claim.paper_rows is None:
        return None
    paper = kd_table(claim.table)
    paper = paper[paper["dataset"].isin(paper_datasets(dataset))
                  & (paper["setting"].fillna("") == claim.setting)]
    paper = paper.assign(row=paper["model"].map(canonical_row))
    values = []
    for row in claim.paper_rows:
        hit = paper[paper["row"] == canonical_row(row)]
        values.append({(m, float(h)): float(v) for m, h, v in
                       zip(hit["metric"], hit["horizon_min"], hit["value"])})
    return (values[0], values[1]) if values[0] and values[1] else None


def _paper_figures(claim: Claim, dataset: str) -> tuple[str, str]:
    """The paper's MAE of both rows at the claim's horizons ("a / b / c against d / e / f")
    and in how many of its MAE and RMSE cells the claimed row is lower ("4 of 6");
    ("", "") where the paper prints no figures for this data set."""
    found = paper_values(claim, dataset)
    if found is None:
        return "", ""
    first, second = found
    keys = [(m, float(h)) for m in ("MAE", "RMSE") for h in claim.horizons]
    if not all(k in first and k in second for k in keys):
        return "", ""
    mae = [" / ".join(f"{side[('MAE', float(h))]:.3f}" for h in claim.horizons)
           for side in (first, second)]
    lower = sum(first[k] < second[k] for k in keys)
    return f"{mae[0]} against {mae[1]}", f"{lower} of {len(keys)}"


def claim_cells(results: Iterable[dict], rule: str = DEFAULT_RULE,
                claims: Iterable[Claim] = CLAIMS) -> pd.DataFrame:
    """Every claim's (of ``claims``) paired verdict per data set, metric and horizon (the
    columns of :func:`~stgkd.report.verdicts.paired_verdicts` plus ``source, statement,
    dataset, claimed_experiment, baseline_experiment, selection``)."""
    cells = result_cells(results_under_rule(results, rule))
    frames = []
    for claim in claims:
        for dataset in claim.datasets:
            first, second = (name.format(dataset=dataset)
                             for name in (claim.claimed, claim.baseline))
            table = paired_verdicts(cells, first, second, horizons=claim.horizons)
            frames.append(table.assign(paper=claim.paper, source=claim.source,
                                       statement=claim.statement, dataset=dataset,
                                       claimed_experiment=first, baseline_experiment=second,
                                       selection=rule))
    return pd.concat(frames, ignore_index=True)


def claim_verdicts(results: Iterable[dict], rule: str = DEFAULT_RULE,
                   claims: Iterable[Claim] = CLAIMS,
                   cells: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim and data set (:data:`CLAIM_COLUMNS`): the paper's figures and
    whether they state the claim, our two sides' MAE over the paired seeds, the mean
    MAE difference with its 95% interval per horizon (``MAE difference <h> min``, ""
    at the other paper's horizons), the number of paired seeds, the
    counts of cell verdicts over MAE and RMSE at the claim's horizons, and
    :func:`overall_verdict`. ``claims``: the claims to judge (default every claim of both
    papers; :func:`dmst_claims` for the DMST comparison under another scaling).
    ``cells``: :func:`claim_cells` of the same ``results``, ``rule`` and ``claims``, when
    the caller has them already (a page that shows both skips a second pairing)."""
    claims = tuple(claims)
    detail = claim_cells(results, rule, claims) if cells is None else cells
    rows = []
    for (source, statement, dataset), group in detail.groupby(
            ["source", "statement", "dataset"], sort=False):
        claim = next(c for c in claims if c.source == source and c.statement == statement)
        mae = group[group["metric"] == "MAE"]
        figures, paper_holds = _paper_figures(claim, dataset)
        counts = group["verdict"].value_counts()
        rows.append({
            "paper": claim.paper, "source": source, "statement": statement, "dataset": dataset,
            "claimed": group["claimed_experiment"].iloc[0],
            "baseline": group["baseline_experiment"].iloc[0],
            "paper_figures": figures, "paper_holds": paper_holds,
            "ours_claimed": _triple(mae["claimed"]), "ours_baseline": _triple(mae["baseline"]),
            **{f"MAE difference {h:g} min": interval_text(d, lo, hi) for h, d, lo, hi in
               zip(mae["horizon_min"], mae["difference"], mae["ci_low"], mae["ci_high"])},
            "n": int(group["n"].max()), "seeds": group["seeds"].iloc[0],
            "profile": group["profile"].iloc[0],
            "holds": int(counts.get(HOLDS, 0)), "fails": int(counts.get(FAILS, 0)),
            "within_noise": int(counts.get(WITHIN_NOISE, 0)), "cells": len(group),
            "verdict": overall_verdict(group["verdict"]), "selection": rule})
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    # a horizon no claim of ``claims`` has is all NaN: make it text before filling it
    differences = [c for c in CLAIM_COLUMNS if c.startswith("MAE difference")]
    table[differences] = table[differences].astype(object)
    return table.fillna({c: "" for c in differences})


def claim_view(verdicts: pd.DataFrame) -> pd.DataFrame:
    """:func:`claim_verdicts` rows as the book shows them: indexed by ``claim`` ("Table 4:
    LSTCD beats ...") and ``data set``, with ``paper: lower in``, ``n``, one ``Δ MAE, <h>
    min`` column per horizon some row fills, ``holds / fails / noise`` (counts of the
    cells) and ``verdict``; "–" where a row has nothing."""
    view = verdicts.assign(claim=verdicts["source"] + ": " + verdicts["statement"],
                           cells=verdicts["holds"].astype(str) + " / "
                           + verdicts["fails"].astype(str) + " / "
                           + verdicts["within_noise"].astype(str))
    differences = [c for c in view.columns if c.startswith("MAE difference")
                   and view[c].ne("").any()]
    view = view[["claim", "dataset", "paper_holds", "n", *differences, "cells", "verdict"]]
    view = view.rename(columns={"paper_holds": "paper: lower in", "dataset": "data set",
                                "cells": "holds / fails / noise",
                                **{c: c.replace("MAE difference ", "Δ MAE, ")
                                   for c in differences}})
    return view.replace("", "–").set_index(["claim", "data set"])


def _triple(values: pd.Series) -> str:
    return "" if values.isna().all() else " / ".join(
        "–" if np.isnan(v) else f"{v:.3f}" for v in values)


def interval_text(mean: float, low: float, high: float) -> str:
    """"-0.012 [-0.050, +0.026]"; the mean alone for one seed; "" when not compared."""
    if np.isnan(mean):
        return ""
    if np.isnan(low):
        return f"{mean:+.3f}"
    return f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]"


def verdicts_by_rule(results: Iterable[dict], rules: Iterable[str]) -> pd.DataFrame:
    """:func:`claim_verdicts`'s verdict under each model-selection rule side by side:
    ``source, statement, dataset`` and one column per rule ("holds", "fails (n=3)", ...)."""
    results = list(results)
    frames = []
    for rule in rules:
        table = claim_verdicts(results, rule)
        frames.append(table.assign(cell=table["verdict"] + " (n=" + table["n"].astype(str) + ")")
                      [["source", "statement", "dataset", "cell"]].rename(columns={"cell": rule}))
    out = frames[0]
    for frame in frames[1:]:
        out = out.merge(frame, on=["source", "statement", "dataset"], how="left", sort=False)
    return out


def rule_comparison(results: Iterable[dict], experiment: str, rules: Iterable[str],
                    table: int | None = None) -> pd.DataFrame:
    """One experiment's test metrics under each model-selection rule, beside the paper.

    Args:
        results: stored results (one profile: the best that holds ``experiment``).
        experiment: e.g. ``"kd/pemsd7m/student-no-kd"``.
        rules: names of :data:`stgkd.selection.RULES`.
        table: the KD paper's table whose row for the experiment's ``paper_row`` gives
            the paper's figures (None: no paper column).

    Returns:
        One row per rule and metric (MAE, RMSE): ``rule, metric, n`` (seeds that can
        be read under the rule), one column per horizon with "mean ± std" over those
        seeds, ``paper`` ("a / b / c", "" where the paper has no figures) and
        ``mean_abs_rel_diff_pct`` (mean over horizons of |ours - paper| / paper, NaN
        without paper figures).
    """
    results = [r for r in results if r["experiment"] == experiment]
    if results:
        profile = min({r["profile"] for r in results}, key=profile_rank)
        results = [r for r in results if r["profile"] == profile]
    paper = {}
    if table is not None and results:
        cells = kd_table(table)
        cells = cells[cells["dataset"].isin(paper_datasets(results[0]["dataset"]))]
        cells = cells[cells["model"].map(canonical_row) == canonical_row(results[0]["paper_row"])]
        paper = {(m, h): v for m, h, v in zip(cells["metric"], cells["horizon_min"],
                                              cells["value"])}
    rows = []
    for rule in rules:
        chosen = result_cells(results_under_rule(results, rule))
        for metric in ("MAE", "RMSE"):
            here = chosen[chosen["metric"] == metric]
            row = {"rule": rule, "metric": metric, "n": here["seed"].nunique()}
            gaps = []
            horizons = sorted(here["horizon_min"].unique()) or list(KD_HORIZONS)
            for horizon in horizons:
                values = here.loc[here["horizon_min"] == horizon, "value"]
                row[f"{horizon:g} min"] = ("–" if values.empty else f"{values.mean():.3f}" +
                                           (f" ± {values.std():.3f}" if len(values) > 1 else ""))
                if (metric, horizon) in paper and not values.empty:
                    gaps.append(abs(values.mean() - paper[(metric, horizon)])
                                / paper[(metric, horizon)])
            row["paper"] = " / ".join(f"{paper[(metric, h)]:.3f}" for h in horizons
                                      if (metric, h) in paper)
            row["mean_abs_rel_diff_pct"] = 100 * float(np.mean(gaps)) if gaps else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def verdict_markdown(verdicts: pd.DataFrame, convergence: pd.DataFrame | None = None,
                     paper_effect: dict[tuple[str, str, str], str] | None = None,
                     corrected: dict[tuple[str, str, str], str] | None = None) -> str:
    """A short Markdown table of :func:`claim_verdicts` for the book's introduction: one
    row per KD-paper claim and data set (claim, data set, paired seeds, verdict), then
    Figure 3's convergence claim per data set and baseline when ``convergence``
    (:func:`stgkd.report.convergence.convergence_verdicts`) is given, then one row per
    data set summing up DMST-GNODE against its baselines. With ``corrected``
    (:func:`stgkd.report.multiplicity.claim_family_verdicts`) a column gives each claim's
    verdict after Holm's correction within its cells ("–" for the convergence rows). With
    ``paper_effect`` (:func:`stgkd.report.resolution.resolution_summary`) a last column
    says where our interval puts the paper's own MAE difference ("–" for the claims
    without one)."""
    effect, holm = paper_effect is not None, corrected is not None
    lines = ["| claim | data set | seeds paired | verdict |"
             + (" after Holm's correction |" if holm else "")
             + (" the paper's effect |" if effect else ""),
             "|---|---|---|---|" + ("---|" if holm else "") + ("---|" if effect else "")]

    def line(claim: str, dataset: str, n, verdict: str, key=None, after: str = "–") -> str:
        cells = (f" {after} |" if holm else "") + (
            f" {paper_effect.get(key, '–')} |" if effect else "")
        return f"| {claim} | {dataset} | {n} | {verdict} |{cells}"

    kd = verdicts[verdicts["paper"] == "KD paper"]
    for _, row in kd.iterrows():
        key = (row["source"], row["statement"], row["dataset"])
        lines.append(line(f"{row['source']}: {row['statement']}", row["dataset"], row["n"],
                          row["verdict"], key, corrected.get(key, "–") if holm else "–"))
    for _, row in (convergence if convergence is not None else pd.DataFrame()).iterrows():
        baseline = row["baseline"].rsplit("/", 1)[-1]
        lines.append(line(f"Figure 3: LSTCD converges better than {baseline} (mean validation "
                          f"MAE over the epochs)", row["dataset"], row["n"], row["verdict"]))
    dmst = verdicts[verdicts["paper"] != "KD paper"]
    for dataset, group in dmst.groupby("dataset", sort=False):
        after = "–"
        if holm:
            words = [corrected.get((s, t, dataset), "–")
                     for s, t in zip(group["source"], group["statement"])]
            after = _counted(pd.Series(words), len(group))
        lines.append(line(f"DMST-GNODE beats each of its {len(group)} baselines", dataset,
                          int(group["n"].max()), _counted(group["verdict"], len(group)),
                          after=after))
    return "\n".join(lines) + "\n"


def _counted(words: pd.Series, total: int) -> str:
    """"mixed (5 of 9), holds (1 of 9)": each word with its count, most frequent first."""
    return ", ".join(f"{word} ({count} of {total})" for word, count in
                     words.value_counts().items())
