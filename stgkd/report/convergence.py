"""Figure 3's claim as a paired verdict, and Table 3's figures with an interval.

Figure 3 of the KD paper "illustrates better convergence" of LSTCD than of the other
losses and the student without distillation. A curve has no single number, so the claim
is read by one measure fixed before looking at the runs: the **mean validation MAE over
all training epochs** (the area under the validation curve divided by its length). A
student that converges faster, or to a lower error, has a lower mean. The measure is
compared seed for seed (:func:`stgkd.report.verdicts.paired_difference`) in the one
profile both sides share, like every other claim.

Table 3 reports a figure, not a comparison: the share of training targets LORD hands to
the teacher. :func:`teacher_share_intervals` gives our mean over seeds with a one-sample
t interval (same coverage as the paired verdicts) and whether the paper's figure lies
inside it.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from stgkd.runs import profile_rank
from stgkd.report.verdicts import (NOT_COMPARED, best_common_seeds, mean_interval,
                                   paired_difference)

# Figure 3: LSTCD against each curve beside it in the figure
CONVERGENCE_BASELINES: tuple[str, ...] = ("student-no-kd", "student-lrd-l2", "student-lrd-kl",
                                          "student-lskd")
CONVERGENCE_MEASURE = "mean validation MAE over all training epochs"
CONVERGENCE_COLUMNS = ["dataset", "claimed", "baseline", "claimed_mean", "baseline_mean",
                       "difference", "ci_low", "ci_high", "n", "seeds", "profile", "verdict"]


def mean_validation_mae(result: dict) -> float:
    """The convergence measure of one run: mean of ``history[e]["val_mae"]`` over its
    epochs (NaN for a run without a history).

    >>> mean_validation_mae({"history": [{"val_mae": 4.0}, {"val_mae": 3.0}, {"val_mae": 2.0}]})
    3.0
    """
    values = [float(epoch["val_mae"]) for epoch in result.get("history") or []
              if epoch.get("val_mae") is not None]
    return float(np.mean(values)) if values else math.nan


def _by_profile_and_seed(results: Iterable[dict], experiment: str) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    for result in results:
        if result.get("experiment") != experiment:
            continue
        value = mean_validation_mae(result)
        if not math.isnan(value):
            out.setdefault(result["profile"], {})[int(result["seed"])] = value
    return out


def convergence_verdicts(results: Iterable[dict], datasets: Sequence[str] = ("pemsd7m", "losloop"),
                         claimed: str = "student-lstcd",
                         baselines: Sequence[str] = CONVERGENCE_BASELINES) -> pd.DataFrame:
    """Figure 3's claim per data set and baseline, paired by seed.

    Args:
        results: stored results (their ``history`` is read).
        datasets: our data set names (experiments ``kd/<dataset>/<name>``).
        claimed, baselines: experiment names under ``kd/<dataset>/``.

    Returns:
        :data:`CONVERGENCE_COLUMNS`: both sides' mean of the measure over the paired seeds,
        the mean paired difference with its 95% interval, ``n``, ``seeds`` ("0, 1, 2"),
        the profile used (the best both sides hold) and the verdict word
        (:meth:`~stgkd.report.verdicts.PairedDifference.verdict`, lower is better;
        "not compared" where a side has no run or no seed in common).
    """
    results = list(results)
    rows = []
    for dataset in datasets:
        first = f"kd/{dataset}/{claimed}"
        mine = _by_profile_and_seed(results, first)
        for baseline in baselines:
            second = f"kd/{dataset}/{baseline}"
            theirs = _by_profile_and_seed(results, second)
            row = {"dataset": dataset, "claimed": first, "baseline": second, "n": 0,
                   "seeds": "", "profile": "", "verdict": NOT_COMPARED}
            profile, seeds = best_common_seeds(mine, theirs)
            if seeds:
                a = [mine[profile][s] for s in seeds]
                b = [theirs[profile][s] for s in seeds]
                d = paired_difference(a, b)
                row.update(claimed_mean=float(np.mean(a)), baseline_mean=float(np.mean(b)),
                           difference=d.mean, ci_low=d.low, ci_high=d.high, n=d.n,
                           seeds=", ".join(map(str, seeds)), profile=profile,
                           verdict=d.verdict("lower"))
            rows.append(row)
    return pd.DataFrame(rows, columns=CONVERGENCE_COLUMNS)


def teacher_share_intervals(results: Iterable[dict], paper: pd.DataFrame) -> pd.DataFrame:
    """Table 3's figures beside ours with an interval over seeds.

    Args:
        results: stored results; those with ``teacher_share`` count (per experiment, the
            best profile that holds it).
        paper: rows ``our_dataset, model, paper_pct, experiment`` (e.g. from
            :func:`stgkd.report.kd.teacher_share_table`; rows without an experiment are
            kept with n = 0).

    Returns:
        ``our_dataset, model, paper_pct, ours_pct, ci_low, ci_high, n, profile,
        paper_inside`` ("yes"/"no"; "too few seeds" for one seed, "not run" for none) and
        ``experiment`` ("" for a cell no experiment fills).
    """
    results = [r for r in results if r.get("teacher_share") is not None]
    rows = []
    for _, cell in paper.iterrows():
        experiment = cell.get("experiment")
        experiment = experiment if isinstance(experiment, str) else ""  # NaN: cell not run
        mine = [r for r in results if r["experiment"] == experiment]
        row = {"our_dataset": cell["our_dataset"], "model": cell["model"],
               "paper_pct": float(cell["paper_pct"]), "ours_pct": math.nan,
               "ci_low": math.nan, "ci_high": math.nan, "n": 0, "profile": "",
               "paper_inside": "not run", "experiment": experiment}
        if mine:
            profile = min({r["profile"] for r in mine}, key=profile_rank)
            shares = [100.0 * float(r["teacher_share"]) for r in mine if r["profile"] == profile]
            mean, _, low, high = mean_interval(shares)
            inside = ("too few seeds" if math.isnan(low) else
                      "yes" if low <= row["paper_pct"] <= high else "no")
            row.update(ours_pct=mean, ci_low=low, ci_high=high, n=len(shares),
                       profile=profile, paper_inside=inside)
        rows.append(row)
    return pd.DataFrame(rows)
