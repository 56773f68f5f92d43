"""Our results beside the papers' numbers: matching run results to paper cells,
comparison tables, the reproduction dashboard and its summary, run provenance and the
runs without a paper counterpart.

A run result (``results/<profile>/<experiment>/seed<S>.json``) reaches a paper cell
through its ``dataset`` and ``paper_row``: a result with ``paper_row`` X on data set
D fills every cell of model X on D (our data set names, see
:data:`stgkd.reference.DATASET_NAMES`). A result may add ``paper_setting`` (e.g.
``"pruned 25%"``) to fill only the cells of that setting; without it, it fills the
cells of every setting. For each cell the best profile available is used
(:data:`PROFILE_PREFERENCE`) and named in the ``profile`` column; a cell nobody has
run says :data:`NOT_YET_RUN`.

>>> from stgkd.report import comparison_table
>>> table2 = comparison_table(2, results=[])            # no runs: every row not yet run
>>> sorted(set(table2["profile"]))
['not yet run']
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stgkd.reference import kd_table, reference_cells
from stgkd.runs import PROFILE_PREFERENCE, check_profile, profile_rank
from stgkd.report.table1 import (BENCHMARK, COMPUTED, NOT_YET_MEASURED, attach_table1,
                                 table1_ours)

NOT_YET_RUN = "not yet run"
NO_DATA = "data set not available"
PROFILE_LABELS: tuple[str, ...] = (*PROFILE_PREFERENCE, COMPUTED, BENCHMARK, NOT_YET_RUN,
                                   NOT_YET_MEASURED, NO_DATA)

# KD paper tables with comparable numbers (Tables 3, 6 and 9 hold diagnostics and
# hyperparameters, not results).
DASHBOARD_KD_TABLES: tuple[int, ...] = (1, 2, 4, 5, 7, 8)

# Metric keys of a result's ``test`` block -> the papers' metric names.
METRIC_NAMES: dict[str, str] = {"mae": "MAE", "mape": "MAPE", "rmse": "RMSE",
                                "accuracy": "Accuracy"}

CELL_KEYS = ["our_dataset", "model", "metric", "horizon_min"]


# Paper rows that are another table's row under a second name: Table 7's student
# "W/O pruning algorithm" is the predetermined student distilled with LSTCD (its
# numbers are Table 4's "Student LSTCD"), so kd/<dataset>/student-lstcd fills it.
ROW_ALIASES: dict[str, str] = {"Student W/O pruning algorithm": "Student LSTCD"}


def canonical_row(model: str) -> str:
    """A paper row name without the paper's "(ours)" mark, which it prints in some tables
    and not in others (Table 2 "Student LORD(ours)", Table 5 "Student LORD"):
    ``"Student LSTCD(ours)"`` -> ``"Student LSTCD"``; a row of :data:`ROW_ALIASES`
    becomes the row it stands for (``"Student W/O pruning algorithm"`` ->
    ``"Student LSTCD"``)."""
    row = re.sub(r"\s*\(ours\)\s*$", "", model).strip()
    return ROW_ALIASES.get(row, row)


OURS_COLUMNS = ["ours", "ours_std", "seeds", "difference", "relative_difference_pct",
                "profile", "experiment"]


# ----------------------------------------------------------------------------- results


def parse_horizon(key: str) -> float:
    """Minutes of a result's horizon key: ``"15min"`` -> 15.0.

    Raises:
        ValueError: the key is not ``<number>min``.
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*min\s*", key)
    if match is None:
        raise ValueError(f"horizon: expected a key like '15min', found {key!r}")
    return float(match.group(1))


def result_cells(results: Iterable[dict]) -> pd.DataFrame:
    """Every test metric of every run, one a row.

    Returns:
        Columns ``profile, experiment, seed, our_dataset, paper_row, paper_setting
        ("" when the result names none), metric`` (the papers' names, "MAE"...),
        ``horizon_min`` (float) and ``value``.

    Raises:
        KeyError: a result lacks one of ``profile, experiment, seed, dataset, test``.
    """
    rows = []
    for result in results:
        missing = [k for k in ("profile", "experiment", "seed", "dataset", "test")
                   if k not in result]
        if missing:
            raise KeyError(f"result {result.get('experiment', '?')}: expected keys "
                           f"{missing} in a run result")
        for horizon, metrics in result["test"].items():
            for metric, value in metrics.items():
                rows.append({
                    "profile": result["profile"], "experiment": result["experiment"],
                    "seed": result["seed"], "our_dataset": result["dataset"],
                    "paper_row": result.get("paper_row") or "",
                    "paper_setting": result.get("paper_setting") or "",
                    "metric": METRIC_NAMES.get(metric, metric),
                    "horizon_min": parse_horizon(horizon), "value": float(value)})
    return pd.DataFrame(rows, columns=["profile", "experiment", "seed", "our_dataset",
                                       "paper_row", "paper_setting", "metric",
                                       "horizon_min", "value"])


def seed_statistics(cells: pd.DataFrame) -> pd.DataFrame:
    """Mean (``ours``), sample standard deviation (``ours_std``, NaN for one seed) and
    number of seeds (``seeds``) of every metric of every experiment and profile."""
    keys = ["profile", "experiment", "our_dataset", "paper_row", "paper_setting", "metric",
            "horizon_min"]
    return (cells.groupby(keys, sort=True)["value"]
            .agg(ours="mean", ours_std="std", seeds="count").reset_index())


def seed_list(seeds: Iterable[int]) -> str:
    """``{2, 1}`` -> "seeds 1, 2", ``{0}`` -> "seed 0"."""
    seeds = sorted(seeds)
    return f"seed{'s' if len(seeds) > 1 else ''} " + ", ".join(map(str, seeds))


def _means_by_cell(stats: pd.DataFrame) -> dict[tuple[str, float], float]:
    """``{(metric, horizon_min): ours}`` of one experiment's :func:`seed_statistics` rows."""
    return {(m, h): v for m, h, v in zip(stats["metric"], stats["horizon_min"], stats["ours"])}


@dataclass(frozen=True)
class SeedPairing:
    """Two experiments' test metrics made comparable (:func:`pair_on_common_seeds`).

    Attributes:
        profile: the profile both are taken from; None when they are not compared.
        seeds: the seeds both have in that profile, each side's mean is over these.
        stats: :func:`seed_statistics` of the two over ``seeds`` (None when not compared).
        reason: why they are not compared ("" when they are): :data:`NOT_YET_RUN`, which
            one is not yet run, that they share no profile, or that they share no seed.
        cells: the two sides' :func:`result_cells` rows in ``profile`` over ``seeds``, a
            seed-free side's one run repeated under each seed (None when not compared).
        stand_ins: the seed-free sides (ARIMA) whose one run stands for every seed.
    """
    profile: str | None
    seeds: tuple[int, ...] = ()
    stats: pd.DataFrame | None = None
    reason: str = ""
    cells: pd.DataFrame | None = None
    stand_ins: tuple[str, ...] = ()

    @property
    def compared(self) -> bool:
        return self.profile is not None

    def means(self, experiment: str) -> dict[tuple[str, float], float]:
        """``{(metric, horizon_min): mean over the paired seeds}`` of ``experiment``
        ({} when not compared)."""
        if self.stats is None:
            return {}
        return _means_by_cell(self.stats[self.stats["experiment"] == experiment])

    def describe(self) -> str:
        """"full, 1 seed", "full, mean of 3 paired seeds", or the reason."""
        if not self.compared:
            return self.reason
        n = len(self.seeds)
        text = f"{self.profile}, {'1 seed' if n == 1 else f'mean of {n} paired seeds'}"
        return text + "".join(f" ({name}: one run, the same for every seed)"
                              for name in self.stand_ins)


def pair_on_common_seeds(cells: pd.DataFrame, first: str, second: str) -> SeedPairing:
    """Take two experiments of :func:`result_cells` from one profile (the best that
    holds both) and average each over the **same** seeds, those both have there.

    A seed only one side has (e.g. while the other's run is still training) is left
    out: the gap between two models can be no larger than the gap between two seeds
    of one, so an extra seed on one side could tilt the comparison.

    A seed-free side (:func:`stgkd.registry.seed_free_experiments`, ARIMA: every seed
    gives the same forecast) pairs with every seed of the other: its run with the
    smallest seed stands for each of them, and is named in ``stand_ins``.
    """
    have = {name: set(cells.loc[cells["experiment"] == name, "profile"])
            for name in (first, second)}
    common = have[first] & have[second]
    if not common:
        missing = [name for name in (first, second) if not have[name]]
        reason = (NOT_YET_RUN if len(missing) == 2 else
                  f"{missing[0]} {NOT_YET_RUN}" if missing else
                  "no common profile (" + ", ".join(
                      f"{name}: {min(have[name], key=profile_rank)}"
                      for name in (first, second)) + ")")
        return SeedPairing(None, reason=reason)
    chosen = min(common, key=profile_rank)
    in_profile = cells[cells["profile"] == chosen]
    seeds = {name: set(in_profile.loc[in_profile["experiment"] == name, "seed"])
             for name in (first, second)}
    stand_ins = _stand_ins(first, second)
    if len(stand_ins) == 1:                   # the seeded side decides the seeds
        paired = seeds[second if stand_ins == (first,) else first]
    else:
        paired = seeds[first] & seeds[second]
    if not paired:
        return SeedPairing(None, reason=(
            f"no common seed in {chosen} ({first}: {seed_list(seeds[first])}, "
            f"{second}: {seed_list(seeds[second])})"))
    paired = tuple(sorted(int(s) for s in paired))
    rows = [in_profile[(in_profile["experiment"] == name) & in_profile["seed"].isin(paired)]
            if name not in stand_ins or len(stand_ins) == 2 else
            _repeat_run(in_profile[in_profile["experiment"] == name], paired)
            for name in dict.fromkeys((first, second))]
    paired_cells = pd.concat(rows, ignore_index=True)
    return SeedPairing(chosen, paired, seed_statistics(paired_cells), cells=paired_cells,
                       stand_ins=stand_ins if len(stand_ins) == 1 else ())


def _stand_ins(first: str, second: str) -> tuple[str, ...]:
    """The sides of a comparison whose one run stands for every seed (ARIMA)."""
    from stgkd.registry import seed_free_experiments
    free = seed_free_experiments()
    return tuple(name for name in dict.fromkeys((first, second)) if name in free)


def _repeat_run(rows: pd.DataFrame, seeds: tuple[int, ...]) -> pd.DataFrame:
    """The cells of one seed-free experiment's run with the smallest seed, repeated under
    each of ``seeds``."""
    one = rows[rows["seed"] == rows["seed"].min()]
    return pd.concat([one.assign(seed=seed) for seed in seeds], ignore_index=True)


def own_best_means(cells: pd.DataFrame, experiment: str
                   ) -> tuple[str | None, dict[tuple[str, float], float]]:
    """``experiment``'s best profile in :func:`result_cells` and its metrics there,
    ``{(metric, horizon_min): mean over all its seeds}``; ``(None, {})`` when not run.
    For showing a run that :func:`pair_on_common_seeds` could not compare."""
    own = cells[cells["experiment"] == experiment]
    if own.empty:
        return None, {}
    profile = min(own["profile"].unique(), key=profile_rank)
    return profile, _means_by_cell(seed_statistics(own[own["profile"] == profile]))


@dataclass(frozen=True)
class Comparison:
    """Two experiments' test metrics side by side (:func:`compare_experiments`): paired
    on the seeds both have in their best common profile when they can be, else each
    shown from its own best profile and not compared.

    Attributes:
        pairing: the :class:`SeedPairing` (``pairing.compared``: a real comparison).
        profiles: ``{experiment: the profile its values come from, or None}``.
        values: ``{experiment: {(metric, horizon_min): mean}}`` ({} when not run).
    """
    pairing: SeedPairing
    profiles: dict
    values: dict

    @property
    def compared(self) -> bool:
        return self.pairing.compared

    def value(self, experiment: str, metric: str, horizon: float) -> float:
        """One mean (NaN where the experiment has no such cell)."""
        return self.values[experiment].get((metric, horizon), np.nan)


def compare_experiments(cells: pd.DataFrame, first: str, second: str) -> Comparison:
    """The one rule every claim compares two experiments of :func:`result_cells` by:
    the same profile and the same seeds (:func:`pair_on_common_seeds`); where they share
    none, each side's own best (:func:`own_best_means`), shown but not compared."""
    pairing = pair_on_common_seeds(cells, first, second)
    if pairing.compared:
        return Comparison(pairing, {name: pairing.profile for name in (first, second)},
                          {name: pairing.means(name) for name in (first, second)})
    shown = {name: own_best_means(cells, name) for name in (first, second)}
    return Comparison(pairing, {name: shown[name][0] for name in shown},
                      {name: shown[name][1] for name in shown})


def cells_better(ours: dict, against: dict, keys: Iterable[tuple[str, float]],
                 strict: bool = True, higher_is_better: bool = False
                 ) -> tuple[int | None, bool | None]:
    """In how many of the claim's cells ``keys`` (``(metric, horizon_min)``) ``ours`` is
    better than ``against`` (``strict``: strictly; else no worse), and whether in all;
    ``(None, None)`` unless both have every cell."""
    keys = list(keys)
    if any(k not in ours or k not in against or np.isnan(ours[k]) or np.isnan(against[k])
           for k in keys):
        return None, None

    def wins(a: float, b: float) -> bool:
        if higher_is_better:
            a, b = -a, -b
        return bool(a < b) if strict else bool(a <= b)

    better = sum(wins(ours[k], against[k]) for k in keys)
    return better, better == len(keys)


def coverage_line(subject: str, done: int, total: int, noun: str, missing: Iterable[str] = (),
                  separator: str = ", ") -> str:
    """How much of a table or figure our runs fill, in one printed line:
    ``coverage_line("Table 7:", 5, 7, "rows filled", ["a", "b"])`` ->
    "Table 7: 5 of 7 rows filled; not yet run: a, b" (no tail when nothing is missing)."""
    missing = list(missing)
    line = f"{subject} {done} of {total} {noun}"
    return line + (f"; not yet run: {separator.join(missing)}" if missing else "")


def trace_mae(predicted, true) -> float:
    """Mean absolute error of a traced forecast (same units as the inputs): the number
    printed beside each trace of Figures 3 (b), 4 and 15."""
    return float(np.mean(np.abs(np.asarray(predicted, float) - np.asarray(true, float))))


def best_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """One candidate per cell (``cell`` column): the best profile's.

    Raises:
        ValueError: two experiments of the same profile map to one cell.
    """
    candidates = candidates.assign(rank=candidates["profile"].map(profile_rank))
    best = candidates[candidates["rank"] == candidates.groupby("cell")["rank"].transform("min")]
    clashes = best.groupby("cell")["experiment"].nunique()
    if (clashes > 1).any():
        cell = clashes.index[clashes > 1][0]
        rows = best[best["cell"] == cell]
        first = rows.iloc[0]
        raise ValueError(
            f"experiments {sorted(rows['experiment'].unique())} ({first['profile']} profile) "
            f"all map to the paper's {first['model']!r} on {first['our_dataset']}; give them "
            f"different paper_row or paper_setting values")
    return best.drop(columns="rank")


def attach_ours(cells: pd.DataFrame, results: Iterable[dict], profile: str = "best") -> pd.DataFrame:
    """Put our numbers beside paper cells.

    Args:
        cells: paper cells with at least ``our_dataset, model, setting, metric,
            horizon_min, paper_value`` (from :mod:`stgkd.reference`).
        results: run results (dicts of the result JSON form).
        profile: ``"best"`` (full, else quick, else smoke, per cell) or one profile.

    Returns:
        ``cells`` (same rows, same order) with :data:`OURS_COLUMNS` added:
        ``ours`` (mean over seeds), ``ours_std``, ``seeds``, ``difference`` (ours -
        paper), ``relative_difference_pct`` (100 * difference / paper), ``profile``
        (the profile used, :data:`NOT_YET_RUN`, or :data:`NO_DATA` where the data set
        is not available) and ``experiment``.
    """
    check_profile(profile)
    stats = seed_statistics(result_cells(results))
    if profile != "best":
        stats = stats[stats["profile"] == profile]
    table = cells.reset_index(drop=True)
    keys = table[CELL_KEYS + ["setting"]].assign(model=table["model"].map(canonical_row))
    stats = stats.assign(paper_row=stats["paper_row"].map(canonical_row))
    candidates = (keys.rename_axis("cell").reset_index()
                  .merge(stats.rename(columns={"paper_row": "model"}), on=CELL_KEYS))
    candidates = candidates[(candidates["paper_setting"] == "")
                            | (candidates["paper_setting"] == candidates["setting"])]
    best = best_candidates(candidates).set_index("cell")
    missing_label = pd.Series(np.where(table["our_dataset"].isna(), NO_DATA, NOT_YET_RUN),
                              index=table.index)
    out = fill_from_best(table, best, "ours", "paper_value", missing_label)
    out.insert(out.columns.get_loc("difference") + 1, "relative_difference_pct",
               100.0 * out["difference"] / out["paper_value"])
    return out


def fill_from_best(cells: pd.DataFrame, best: pd.DataFrame, ours: str, paper: str,
                   missing_profile: str | pd.Series = NOT_YET_RUN) -> pd.DataFrame:
    """``cells`` (indexed by cell) with the chosen run of each cell beside it.

    ``best`` (indexed by cell, from :func:`_best_candidates`) holds the mean in column
    ``ours``, ``ours_std``, ``seeds``, ``profile`` and ``experiment``. Adds ``ours``,
    ``ours_std``, ``seeds`` (0 where no run), ``difference`` (``ours - cells[paper]``),
    ``profile`` (``missing_profile`` where no run: a label, or one per cell) and
    ``experiment`` ("" where no run).
    """
    out = cells.copy()
    out[ours] = best[ours].reindex(out.index).astype(float)
    out["ours_std"] = best["ours_std"].reindex(out.index).astype(float)
    out["seeds"] = best["seeds"].reindex(out.index).fillna(0).astype(int)
    out["difference"] = out[ours] - out[paper]
    out["profile"] = best["profile"].reindex(out.index).fillna(missing_profile).astype(str)
    out["experiment"] = best["experiment"].reindex(out.index).fillna("").astype(str)
    return out


def comparison_table(table: int, results: Iterable[dict], profile: str = "best") -> pd.DataFrame:
    """One KD paper table beside our results, one cell a row.

    Args:
        table: the paper's table number (2, 4, 5, 7, 8 hold MAE/MAPE/RMSE).
        results: run results, e.g. ``stgkd.runs.load_results()``.
        profile: ``"best"`` or one profile name.

    Returns:
        The cells of :func:`stgkd.reference.kd_table` (``paper_value`` is the paper's
        number) with the columns of :func:`attach_ours`.
    """
    cells = kd_table(table).rename(columns={"value": "paper_value"})
    return attach_ours(cells, results, profile)


def ours_without_paper_cell(results: Iterable[dict], profile: str = "best") -> pd.DataFrame:
    """Our experiments that fill no paper cell (e.g. the KD baselines on Los-loop,
    a data set the KD paper does not use), with their test metrics.

    Returns:
        One row per experiment and metric: ``experiment, our_dataset, paper_row,
        profile, seeds, metric`` and one column per horizon ("15 min", ...) with
        the mean over seeds.
    """
    check_profile(profile)
    stats = seed_statistics(result_cells(results))
    if profile != "best":
        stats = stats[stats["profile"] == profile]
    cells = reference_cells()
    cells = cells.assign(model=cells["model"].map(canonical_row))
    stats = stats.assign(match_row=stats["paper_row"].map(canonical_row))
    matched = stats.merge(cells[CELL_KEYS].drop_duplicates().rename(columns={"model": "match_row"}),
                          on=["our_dataset", "match_row", "metric", "horizon_min"], how="left",
                          indicator=True)
    unmatched = stats[(matched["_merge"] == "left_only").to_numpy()].drop(columns="match_row")
    if unmatched.empty:
        return pd.DataFrame(columns=["experiment", "our_dataset", "paper_row", "profile",
                                     "seeds", "metric"])
    rank = unmatched["profile"].map(profile_rank)
    unmatched = unmatched[rank == rank.groupby(unmatched["experiment"]).transform("min")]
    wide = unmatched.assign(horizon=unmatched["horizon_min"].map(lambda h: f"{h:g} min"))
    return (wide.pivot_table(index=["experiment", "our_dataset", "paper_row", "profile", "seeds",
                                    "metric"], columns="horizon", values="ours", sort=True)
            .reset_index().rename_axis(columns=None))


def provenance_table(results: Iterable[dict]) -> pd.DataFrame:
    """Where each run came from: ``profile, experiment, seed, commit, device, torch,
    started, wall_time_s`` (sorted by profile, experiment, seed)."""
    rows = [{"profile": r["profile"], "experiment": r["experiment"], "seed": r["seed"],
             **{k: r.get("provenance", {}).get(k) for k in
                ("commit", "device", "torch", "started", "wall_time_s")}} for r in results]
    frame = pd.DataFrame(rows, columns=["profile", "experiment", "seed", "commit", "device",
                                        "torch", "started", "wall_time_s"])
    return frame.sort_values(["profile", "experiment", "seed"]).reset_index(drop=True)


# ----------------------------------------------------------------------------- dashboard


def dashboard(results: Iterable[dict], profile: str = "best",
              benchmark: dict | None = None) -> pd.DataFrame:
    """Every comparable paper cell beside ours.

    The KD paper's Tables 1, 2, 4, 5, 7 and 8 (:data:`DASHBOARD_KD_TABLES`) and the
    DMST-GNODE paper's reported figures. Table 1 sizes and FLOPs are computed from
    the architectures, its test times come from ``benchmark``; every other cell is
    filled from ``results`` as in :func:`attach_ours`.

    Returns:
        The columns of :func:`stgkd.reference.reference_cells` plus :data:`OURS_COLUMNS`,
        in the reference files' order.
    """
    results = list(results)
    cells = reference_cells()
    kd_tables = {f"Table {n}" for n in DASHBOARD_KD_TABLES}
    cells = cells[(cells["source"] != "KD paper") | cells["table"].isin(kd_tables)]
    is_table1 = (cells["source"] == "KD paper") & (cells["table"] == "Table 1")
    table1 = attach_table1(cells[is_table1], table1_ours(benchmark))
    others = attach_ours(cells[~is_table1], results, profile)
    columns = list(cells.columns) + OURS_COLUMNS
    frame = pd.concat([table1[columns], others[columns]], ignore_index=True)
    position = list(cells.index[is_table1]) + list(cells.index[~is_table1])
    order = frame.assign(_table=_table_order(frame), _position=position)
    return frame.loc[order.sort_values(["_table", "_position"]).index].reset_index(drop=True)


def _table_order(cells: pd.DataFrame) -> pd.Series:
    """Sort key of a cell's table: the KD paper's tables by number, then the DMST-GNODE paper."""
    number = cells["table"].str.extract(r"^Table (\d+)$", expand=False).astype(float).fillna(0)
    return (cells["source"] != "KD paper").astype(int) * 1000 + number


def dashboard_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Number of cells per table and per profile label (``full``, ``quick``, ``smoke``,
    ``computed``, ``benchmark``, ``not yet run``, ...), with a total row and column."""
    labels = [p for p in PROFILE_LABELS if p in set(frame["profile"])]
    tables = list(dict.fromkeys(zip(frame["source"], frame["table"])))
    counts = pd.crosstab([frame["source"], frame["table"]], frame["profile"])
    counts = counts.reindex(index=pd.MultiIndex.from_tuples(tables, names=["source", "table"]),
                            columns=labels, fill_value=0)
    counts["cells"] = counts.sum(axis=1)
    counts.loc[("all", "all"), :] = counts.sum(axis=0)
    return counts.astype(int).rename_axis(columns=None)
