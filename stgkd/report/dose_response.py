"""Do the correlation terms help? LSTCD with its correlation terms weighed to a target
share of the loss (``kd/<dataset>/student-lstcd-corr<share>``), against the share.

Under the pinned reading (LORD a sum over batch and stations, eq. 6) Table 6's weights
leave the correlation terms about 1e-5 of the loss, so LSTCD trains as LORD. The
dose-response runs weigh them to 0 (LORD at LSTCD's α1), 1e-3, 1e-2, 1e-1 and 0.5 of
the loss; this module tabulates and plots test MAE against the share each run reached,
with the student without distillation as a band, and compares each point with the
zero-share run seed for seed (:func:`stgkd.report.verdicts.paired_verdicts`).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from stgkd.registry import EXPERIMENTS
from stgkd.report.comparison import result_cells
from stgkd.report.verdicts import paired_verdicts

HORIZONS = (15.0, 30.0, 45.0)
# where a share of 0 is drawn on the log axis (labelled "0")
ZERO_AT = 1e-5


TERMS = ("lstcd", "ltcd", "lscd")


def dose_experiments(dataset: str, term: str = "lstcd") -> dict[str, float]:
    """``{experiment: target share}`` of one data set's dose-response, by share.

    ``term``: ``"lstcd"`` (both correlation terms, eq. 11), or ``"ltcd"`` / ``"lscd"``
    (one term alone, Table 5's ablations along the same axis; their share 0 is the same
    run as LSTCD's, LORD at LSTCD's α1)."""
    if term not in TERMS:
        raise ValueError(f"term: expected one of {', '.join(TERMS)}, found {term!r}")
    out = {name: EXPERIMENTS[name].hyper["correlation_share"] for name in EXPERIMENTS
           if name.startswith(f"kd/{dataset}/student-{term}-corr")}
    if not out:
        raise ValueError(f"dataset: expected one with a correlation dose-response "
                         f"(losloop, pemsd7m), found {dataset!r}")
    if term != "lstcd":
        out[f"kd/{dataset}/student-lstcd-corr0"] = 0.0
    return dict(sorted(out.items(), key=lambda item: item[1]))


def dose_response_table(results: Iterable[dict], dataset: str,
                        profile: str = "full", term: str = "lstcd") -> pd.DataFrame:
    """One row per target share: ``experiment, target_share, reached_share`` (mean over
    seeds of the share of the loss the correlation terms had in training), ``seeds``
    (n), and ``mae_<h>`` / ``mae_<h>_std`` (test MAE mean and standard deviation over
    seeds) at 15, 30 and 45 min; then the Table 6 run (``kd/<dataset>/student-lstcd``,
    target share NaN) and the student without distillation for reference. ``term``: as
    :func:`dose_experiments`."""
    results = [r for r in results if r.get("profile") == profile]
    names = {**dose_experiments(dataset, term), f"kd/{dataset}/student-lstcd": np.nan,
             f"kd/{dataset}/student-no-kd": np.nan}
    rows = []
    for name, target in names.items():
        runs = [r for r in results if r["experiment"] == name]
        shares = [correlation_share_of(r) for r in runs]
        rows.append({"experiment": name, "target_share": target, "seeds": len(runs),
                     "reached_share": float(np.mean(shares)) if shares else np.nan,
                     **mae_over_seeds(runs)})
    return pd.DataFrame(rows)


def mae_over_seeds(runs: list[dict]) -> dict[str, float]:
    """``mae_<h>`` and ``mae_<h>_std``: the test MAE of ``runs`` (one per seed) at 15, 30
    and 45 min, mean and standard deviation over the seeds (NaN for none; the deviation
    NaN for one)."""
    stats = {}
    for horizon in HORIZONS:
        values = [r["test"][f"{horizon:g}min"]["mae"] for r in runs]
        stats[f"mae_{horizon:g}"] = float(np.mean(values)) if values else np.nan
        stats[f"mae_{horizon:g}_std"] = (float(np.std(values, ddof=1)) if len(values) > 1
                                         else np.nan)
    return stats


def correlation_share_of(result: dict) -> float:
    """The share of a run's training loss its correlation terms had: the stored
    ``correlation_share``, else computed from its ``loss_terms`` (runs stored before the
    share was); NaN for a loss without LORD's terms."""
    if "correlation_share" in result:
        return float(result["correlation_share"])
    terms = result.get("loss_terms") or {}
    if "lord" not in terms:
        return np.nan
    correlation = terms.get("weighted_lscd", 0.0) + terms.get("weighted_ltcd", 0.0)
    return correlation / (terms["lord"] + correlation)


def dose_verdicts(results: Iterable[dict], dataset: str,
                  against: str = "corr0", term: str = "lstcd") -> pd.DataFrame:
    """Each nonzero share against ``against`` (``"corr0"``: LORD at LSTCD's α1, the same
    loss without the correlation terms; ``"no-kd"``: the student without distillation),
    paired by seed: MAE at each horizon (:func:`~stgkd.report.verdicts.paired_verdicts`
    rows with ``target_share`` added). ``term``: as :func:`dose_experiments`."""
    baseline = {"corr0": f"kd/{dataset}/student-lstcd-corr0",
                "no-kd": f"kd/{dataset}/student-no-kd"}[against]
    cells = result_cells(results)
    frames = []
    for name, share in dose_experiments(dataset, term).items():
        if name == baseline:
            continue
        table = paired_verdicts(cells, name, baseline, metrics=("MAE",), horizons=HORIZONS)
        frames.append(table.assign(target_share=share, baseline_experiment=baseline))
    return pd.concat(frames, ignore_index=True)


# The rule, fixed before any PeMSD7(M) point ran, that picks the shares PeMSD7(M) runs:
# Los-loop's nonzero shares with at least this many seeds, ranked by validation MAE.
PROMISING_MIN_SEEDS = 3


def promising_shares(results: Iterable[dict], dataset: str = "losloop", count: int = 2,
                     profile: str = "full",
                     min_seeds: int = PROMISING_MIN_SEEDS) -> pd.DataFrame:
    """Which correlation shares to run on the next data set: the ``count`` nonzero shares
    of ``dataset``'s LSTCD dose-response with the lowest **validation** MAE.

    The issue asks for PeMSD7(M) "at the two most promising points" of Los-loop's sweep;
    the rule that decides them reads validation data only, never test data: a share's
    score is its runs' validation MAE at their selected epoch, averaged over the three
    horizons and then over the seeds. Shares with fewer than ``min_seeds`` stored seeds
    are not ranked (too few to compare). Ties keep the smaller share.

    Returns one row per nonzero share: ``experiment, target_share, seeds, val_mae`` (NaN
    when unranked), ``rank`` (1 is the lowest; NaN when unranked) and ``chosen`` (rank <=
    ``count``), by share.
    """
    results = [r for r in results if r.get("profile") == profile]
    rows = []
    for name, share in dose_experiments(dataset).items():
        if not share:
            continue
        runs = [r for r in results if r["experiment"] == name]
        scores = [float(np.mean([cell["mae"] for cell in r["val"].values()])) for r in runs]
        rows.append({"experiment": name, "target_share": share, "seeds": len(runs),
                     "val_mae": float(np.mean(scores)) if len(runs) >= min_seeds else np.nan})
    table = pd.DataFrame(rows)
    table["rank"] = table["val_mae"].rank(method="first")
    table["chosen"] = table["rank"].le(count)
    return table


def dose_verdict_view(verdicts: pd.DataFrame,
                      by: dict[str, str] | None = None) -> pd.DataFrame:
    """Paired MAE verdict rows (:func:`dose_verdicts`, with ``dataset`` and ``against``
    columns added, or any :func:`~stgkd.report.verdicts.paired_verdicts` rows) as a
    reader's table: one row per group of ``by`` (``{column: heading}``; default data set,
    baseline and share), the mean MAE difference with its 95% interval at each horizon
    ("-0.012 [-0.050, +0.026]"), the paired seeds ``n`` and one verdict over the horizons
    (:func:`~stgkd.report.claims.overall_verdict`); groups with no paired seed left out."""
    from stgkd.report.claims import interval_text, overall_verdict
    by = by or {"dataset": "data set", "against": "against", "target_share": "share"}
    compared = verdicts[verdicts["n"] > 0]
    rows = []
    for values, group in compared.groupby(list(by), sort=False):
        row = dict(zip(by.values(), values))
        for cell in group.itertuples():
            row[f"Δ MAE {cell.horizon_min:g} min"] = interval_text(cell.difference, cell.ci_low,
                                                                   cell.ci_high)
        row |= {"n": int(group["n"].max()), "verdict": overall_verdict(group["verdict"])}
        rows.append(row)
    return pd.DataFrame(rows)


def dose_summary(verdicts: pd.DataFrame, against: str) -> str:
    """One sentence on what a data set's dose-response verdicts (:func:`dose_verdicts` rows)
    show against one baseline: how many share-and-horizon cells hold, fail or are within
    noise (and with how many seeds), and the lowest mean difference with its interval;
    the cells that hold or fail are named. ``against`` names the baseline in the sentence.
    "" when no cell was compared."""
    compared = verdicts[verdicts["n"] > 0]
    if compared.empty:
        return ""
    counts = compared["verdict"].value_counts()
    seeds = sorted(set(compared["n"]))
    seed_text = (f"{seeds[0]} paired seeds" if len(seeds) == 1
                 else f"{seeds[0]}-{seeds[-1]} paired seeds")
    parts = [f"{int(counts.get(word, 0))} {word}" for word in ("holds", "fails", "within noise")
             if counts.get(word, 0)]
    best = compared.loc[compared["difference"].idxmin()]
    text = (f"Against {against}, over {len(compared)} cells (share × horizon, {seed_text}): "
            f"{', '.join(parts)}. The lowest mean difference is {best['difference']:+.3f} mph "
            f"[{best['ci_low']:+.3f}, {best['ci_high']:+.3f}] at share {best['target_share']:g}, "
            f"{best['horizon_min']:g} min.")
    for word, meaning in (("holds", "lower"), ("fails", "higher")):
        hits = compared[compared["verdict"] == word]
        if len(hits):
            text += (f" The error is {meaning} beyond the noise at " + "; ".join(
                f"share {r.target_share:g}, {r.horizon_min:g} min ({r.difference:+.3f})"
                for r in hits.itertuples()) + ".")
    return text


def plot_dose_response(table: pd.DataFrame, axes, title: str = "") -> None:
    """Test MAE against the correlation share reached, one panel per horizon (``axes``:
    three matplotlib axes); mean ± std over seeds as points with error bars, the
    student without distillation as a band (mean ± std), the Table 6 run as a
    diamond. A share of 0 is drawn at :data:`ZERO_AT` and labelled "0"."""
    dose = table[table["target_share"].notna() & (table["seeds"] > 0)]
    table6 = table[table["experiment"].str.endswith("student-lstcd") & (table["seeds"] > 0)]
    no_kd = table[table["experiment"].str.endswith("student-no-kd") & (table["seeds"] > 0)]
    for ax, horizon in zip(axes, HORIZONS):
        column = f"mae_{horizon:g}"
        x = dose["reached_share"].fillna(dose["target_share"]).clip(lower=ZERO_AT)
        ax.errorbar(x, dose[column], yerr=dose[f"{column}_std"].fillna(0), fmt="o-",
                    color="C0", capsize=3, label="ours: LSTCD, correlation terms weighed")
        if len(table6):
            share = table6["reached_share"].clip(lower=ZERO_AT)
            ax.errorbar(share, table6[column], yerr=table6[f"{column}_std"].fillna(0),
                        fmt="D", color="C1", capsize=3, label="ours: LSTCD, Table 6 weights")
        if len(no_kd):
            mean = float(no_kd[column].iloc[0])
            std = float(no_kd[f"{column}_std"].fillna(0).iloc[0])
            ax.axhspan(mean - std, mean + std, color="0.8", alpha=0.6,
                       label="ours: student without distillation (mean ± std)")
            ax.axhline(mean, color="0.4", lw=1)
        ax.set_xscale("log")
        ax.set_xlim(ZERO_AT / 2, 1.0)
        ticks = [ZERO_AT, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
        ax.set_xticks(ticks, ["0", "1e-4", "1e-3", "1e-2", "0.1", "1"])
        ax.set_xlabel("share of the LSTCD loss from the correlation terms")
        ax.set_title(f"{title}{horizon:g} min")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test MAE (mph)")


PINNED_READING = {"lord_reduction": "sum", "normalise_over": "sample", "alpha1_from": "Table 6",
                  "correlation_scale": 1.0}


def reading_of(result: dict) -> dict:
    """The reading a LORD-based run ran under: its recorded ``reading``, or for a run
    stored before readings were recorded, the pinned reading with the options its
    hyperparameters name (e.g. ``lord_reduction``)."""
    if "reading" in result:
        return dict(result["reading"])
    hyper = result.get("hyperparameters", {})
    return {**PINNED_READING, "alpha1": hyper.get("alpha1"),
            **{k: hyper[k] for k in ("lord_reduction", "normalise_over") if k in hyper}}


def reading_table(results: Iterable[dict], profile: str = "full") -> pd.DataFrame:
    """One row per LORD-based experiment (seed 0): the reading it ran under and the share
    of its loss the correlation terms had (``correlation_share``; from its loss terms)."""
    rows = []
    for result in results:
        if (result.get("profile") != profile or result.get("seed") != 0
                or result.get("loss") not in ("lord", "ltcd", "lscd", "lstcd")):
            continue
        reading = reading_of(result)
        rows.append({"experiment": result["experiment"],
                     "LORD": reading.get("lord_reduction"),
                     "D over": reading.get("normalise_over"),
                     "alpha1": reading.get("alpha1"),
                     "alpha1 from": reading.get("alpha1_from"),
                     "k": reading.get("correlation_scale"),
                     "correlation share": correlation_share_of(result),
                     "teacher share": result.get("teacher_share")})
    return pd.DataFrame(rows)


def share_floors(table3: pd.DataFrame, nodes: dict[str, int], batch_size: int = 50,
                 windows: int = 1000) -> pd.DataFrame:
    """Which normalisation of D can meet Table 3's shares: for each data set and
    normalisation, the smallest positive share it allows (one target per group it
    normalises over, :func:`stgkd.distill.readings.minimum_share`; for the training set
    an upper bound, taking ``windows`` training windows, fewer than any data set has)
    and the Table 3 rows whose share lies below it.

    Args:
        table3: the KD paper's Table 3 cells (``dataset, model, value`` in percent).
        nodes: stations per paper data set, e.g. ``{"PeMSD7": 228, "PeMSD8": 170}``.
    """
    from stgkd.distill.readings import minimum_share
    rows = []
    for dataset, n_nodes in nodes.items():
        shares = table3[table3["dataset"] == dataset]
        for normalise_over in ("sample", "batch", "dataset"):
            floor = minimum_share(normalise_over, n_nodes, windows, batch_size)
            below = shares[shares["value"] / 100 < floor]
            rows.append({"dataset": dataset, "D normalised over": normalise_over,
                         "smallest share (%)": 100 * floor,
                         "Table 3 rows out of reach": ", ".join(
                             f"{m} ({v:g}%)" for m, v in zip(below["model"], below["value"]))
                         or "none"})
    return pd.DataFrame(rows)
