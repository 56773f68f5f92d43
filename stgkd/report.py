"""Our results beside the papers' numbers: comparison tables, the reproduction dashboard,
Table 1 (model size and cost) and the summaries of the data chapter.

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

import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from stgkd.reference import kd_table, paper_datasets, reference_cells
from stgkd.results import results_root

PROFILE_PREFERENCE: tuple[str, ...] = ("paper", "quick", "smoke")
NOT_YET_RUN = "not yet run"
NOT_YET_MEASURED = "not yet measured"
NO_DATA = "data set not available"
COMPUTED = "computed"        # Table 1 sizes and FLOPs, computed from the architecture
BENCHMARK = "benchmark"      # Table 1 test time, from results/benchmarks/*.json
PROFILE_LABELS: tuple[str, ...] = (*PROFILE_PREFERENCE, COMPUTED, BENCHMARK, NOT_YET_RUN,
                                   NOT_YET_MEASURED, NO_DATA)

# KD paper tables with comparable numbers (Tables 3, 6 and 9 hold diagnostics and
# hyperparameters, not results).
DASHBOARD_KD_TABLES: tuple[int, ...] = (1, 2, 4, 5, 7, 8)

# Metric keys of a result's ``test`` block -> the papers' metric names.
METRIC_NAMES: dict[str, str] = {"mae": "MAE", "mape": "MAPE", "rmse": "RMSE",
                                "accuracy": "Accuracy"}

CELL_KEYS = ["our_dataset", "model", "metric", "horizon_min"]
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


def profile_rank(profile: str) -> int:
    """Position of a profile in :data:`PROFILE_PREFERENCE` (unknown profiles come last)."""
    return PROFILE_PREFERENCE.index(profile) if profile in PROFILE_PREFERENCE \
        else len(PROFILE_PREFERENCE)


def _check_profile(profile: str) -> None:
    if profile != "best" and profile not in PROFILE_PREFERENCE:
        raise ValueError(f"profile: expected 'best' or one of {list(PROFILE_PREFERENCE)}, "
                         f"found {profile!r}")


def _best_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
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
        profile: ``"best"`` (paper, else quick, else smoke, per cell) or one profile.

    Returns:
        ``cells`` (same rows, same order) with :data:`OURS_COLUMNS` added:
        ``ours`` (mean over seeds), ``ours_std``, ``seeds``, ``difference`` (ours -
        paper), ``relative_difference_pct`` (100 * difference / paper), ``profile``
        (the profile used, :data:`NOT_YET_RUN`, or :data:`NO_DATA` where the data set
        is not available) and ``experiment``.
    """
    _check_profile(profile)
    stats = seed_statistics(result_cells(results))
    if profile != "best":
        stats = stats[stats["profile"] == profile]
    table = cells.reset_index(drop=True)
    candidates = (table[CELL_KEYS + ["setting"]].rename_axis("cell").reset_index()
                  .merge(stats.rename(columns={"paper_row": "model"}), on=CELL_KEYS))
    candidates = candidates[(candidates["paper_setting"] == "")
                            | (candidates["paper_setting"] == candidates["setting"])]
    best = _best_candidates(candidates).set_index("cell")
    out = table.copy()
    out["ours"] = best["ours"].reindex(out.index).astype(float)
    out["ours_std"] = best["ours_std"].reindex(out.index).astype(float)
    out["seeds"] = best["seeds"].reindex(out.index).fillna(0).astype(int)
    out["difference"] = out["ours"] - out["paper_value"]
    out["relative_difference_pct"] = 100.0 * out["difference"] / out["paper_value"]
    missing_label = np.where(out["our_dataset"].isna(), NO_DATA, NOT_YET_RUN)
    out["profile"] = best["profile"].reindex(out.index).fillna(
        pd.Series(missing_label, index=out.index)).astype(str)
    out["experiment"] = best["experiment"].reindex(out.index).fillna("").astype(str)
    return out


def comparison_table(table: int, results: Iterable[dict], profile: str = "best") -> pd.DataFrame:
    """One KD paper table beside our results, one cell a row.

    Args:
        table: the paper's table number (2, 4, 5, 7, 8 hold MAE/MAPE/RMSE).
        results: run results, e.g. ``stgkd.results.load_results()``.
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
    _check_profile(profile)
    stats = seed_statistics(result_cells(results))
    if profile != "best":
        stats = stats[stats["profile"] == profile]
    cells = reference_cells()
    matched = stats.merge(cells[CELL_KEYS].drop_duplicates().rename(columns={"model": "paper_row"}),
                          on=["our_dataset", "paper_row", "metric", "horizon_min"], how="left",
                          indicator=True)
    unmatched = stats[(matched["_merge"] == "left_only").to_numpy()]
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


# ----------------------------------------------------------------------------- Table 1

# Table 1 row -> the hidden-block channels of that STGCN.
TABLE1_BLOCKS: dict[str, list[list[int]]] = {
    "Teacher": [[1, 32, 64], [64, 32, 128]],
    "Pruning Base Model": [[1, 8, 16], [16, 8, 32]],
    "Student": [[1, 2, 4], [4, 2, 8]],
}
# Paper data set -> number of stations of its graph.
TABLE1_NODES: dict[str, int] = {"PeMSD7": 228, "PeMSD8": 170}
# Benchmark file model keys -> Table 1 rows.
BENCHMARK_MODELS: dict[str, str] = {"teacher": "Teacher", "pruning_base": "Pruning Base Model",
                                    "student": "Student"}
BENCHMARK_ROLLOUT = "rollout_1140"   # the paper times a batch of 1140 windows


def ring_graph(n_nodes: int) -> np.ndarray:
    """[N, N] weights of a ring (each node linked to its two neighbours, weight 1).

    Enough to count parameters and FLOPs: the Chebyshev graph convolution multiplies
    by a dense [N, N] matrix, so its cost does not depend on the weights' values.
    """
    weights = np.zeros((n_nodes, n_nodes))
    nodes = np.arange(n_nodes)
    weights[nodes, (nodes + 1) % n_nodes] = 1.0
    weights[(nodes + 1) % n_nodes, nodes] = 1.0
    return weights


def architecture_costs(n_nodes: int, n_his: int = 12) -> pd.DataFrame:
    """Parameters and FLOPs per input window of the three Table 1 STGCNs on ``n_nodes`` stations.

    Returns:
        One row per :data:`TABLE1_BLOCKS` entry: ``model, blocks`` (as printed in
        the paper, e.g. "[1, 2, 4][4, 2, 8]"), ``parameters`` and ``flops_per_window``
        (one forward pass on one [1, 1, n_his, N] window, see
        :func:`stgkd.complexity.flops_per_window`).
    """
    from stgkd.complexity import count_parameters, flops_per_window
    from stgkd.nn.stgcn import STGCN

    rows = []
    for model_name, blocks in TABLE1_BLOCKS.items():
        model = STGCN(n_nodes, blocks, n_his=n_his, weights=ring_graph(n_nodes))
        rows.append({"model": model_name, "blocks": "".join(str(b) for b in blocks),
                     "parameters": count_parameters(model),
                     "flops_per_window": flops_per_window(model, n_his, n_nodes)})
    return pd.DataFrame(rows)


def _benchmark_preference(benchmark: dict) -> tuple[bool, str]:
    """Sort key of a benchmark: one timed on a GPU (as the paper's) first, then the newest."""
    device = str(benchmark.get("machine", {}).get("device", ""))
    on_gpu = any(word in device.lower() for word in ("nvidia", "cuda", "gpu", "tesla"))
    return on_gpu, str(benchmark.get("created", ""))


def load_benchmark(root: str | Path | None = None) -> tuple[dict, Path] | None:
    """The speed benchmark Table 1 uses and its path, or None when there is none.

    Among ``<results>/benchmarks/*.json`` (written by ``benchmarks/stgcn_speed.py``,
    one per machine) a GPU benchmark is preferred, as the paper timed a GPU; among
    equals, the newest by its ``created`` time, then the last by file name.
    """
    files = sorted((results_root(root) / "benchmarks").glob("*.json"))
    if not files:
        return None
    loaded = [(json.loads(path.read_text()), path) for path in files]
    return max(loaded, key=lambda item: (_benchmark_preference(item[0]), item[1].name))


def benchmark_dataset(benchmark: dict) -> str:
    """Our name of the data set a benchmark was timed on (``settings.dataset`` or
    ``dataset``; PeMSD7(M), the benchmark script's data set, when neither is given)."""
    return benchmark.get("settings", {}).get("dataset") or benchmark.get("dataset") or "pemsd7m"


def benchmark_times(benchmark: dict | None) -> pd.DataFrame:
    """Mean time of the 1140-window rollout per Table 1 row, from a benchmark file.

    Returns columns ``dataset`` (paper name, from :func:`benchmark_dataset`),
    ``model``, ``test_time_s``; empty without a benchmark.
    """
    if not benchmark or BENCHMARK_ROLLOUT not in benchmark:
        return pd.DataFrame(columns=["dataset", "model", "test_time_s"])
    rollout = benchmark[BENCHMARK_ROLLOUT]
    rows = [{"dataset": paper, "model": row, "test_time_s": float(rollout[key]["mean_s"])}
            for paper in paper_datasets(benchmark_dataset(benchmark))
            if paper in TABLE1_NODES
            for key, row in BENCHMARK_MODELS.items() if key in rollout]
    return pd.DataFrame(rows, columns=["dataset", "model", "test_time_s"])


def table1_ours(benchmark: dict | None = None) -> pd.DataFrame:
    """Our Table 1 values in long form: ``dataset`` (paper name), ``model``, ``metric``
    ("parameters", "flops", "test_time_s"), ``ours`` and ``profile`` (:data:`COMPUTED`
    for sizes and FLOPs, :data:`BENCHMARK` for times, :data:`NOT_YET_MEASURED`)."""
    rows = []
    times = benchmark_times(benchmark).set_index(["dataset", "model"])["test_time_s"]
    for paper, n_nodes in TABLE1_NODES.items():
        costs = architecture_costs(n_nodes).set_index("model")
        for model_name in TABLE1_BLOCKS:
            rows.append((paper, model_name, "parameters",
                         float(costs.loc[model_name, "parameters"]), COMPUTED))
            rows.append((paper, model_name, "flops",
                         float(costs.loc[model_name, "flops_per_window"]), COMPUTED))
            measured = (paper, model_name) in times.index
            rows.append((paper, model_name, "test_time_s",
                         float(times.loc[(paper, model_name)]) if measured else np.nan,
                         BENCHMARK if measured else NOT_YET_MEASURED))
    return pd.DataFrame(rows, columns=["dataset", "model", "metric", "ours", "profile"])


def _attach_table1(cells: pd.DataFrame, ours: pd.DataFrame) -> pd.DataFrame:
    """Table 1 paper cells with :data:`OURS_COLUMNS` from :func:`table1_ours`."""
    out = cells.reset_index(drop=True).merge(ours, on=["dataset", "model", "metric"], how="left")
    out["ours_std"] = np.nan
    out["seeds"] = 0
    out["difference"] = out["ours"] - out["paper_value"]
    out["relative_difference_pct"] = 100.0 * out["difference"] / out["paper_value"]
    out["profile"] = out["profile"].fillna(NOT_YET_MEASURED)
    out["experiment"] = ""
    return out


def table1_comparison(benchmark: dict | None = None) -> pd.DataFrame:
    """Table 1 (parameters, FLOPs, test time) of the paper beside ours, one cell a row.

    Our FLOPs are per input window; the paper's FLOPS column counts "a single forward
    pass" without saying of what batch, so compare ratios between models rather than
    the numbers themselves. Our time is the benchmark's 1140-window rollout on its
    machine, not the paper's GTX 1080.
    """
    cells = kd_table(1).rename(columns={"value": "paper_value"})
    return _attach_table1(cells, table1_ours(benchmark))


def table1_overview(comparison: pd.DataFrame) -> pd.DataFrame:
    """Table 1 in the paper's layout: one row per (data set, model) with paper and ours
    side by side, from :func:`table1_comparison`."""
    wide = comparison.pivot_table(index=["dataset", "model"], columns="metric",
                                  values=["paper_value", "ours"], sort=False, dropna=False)
    order = [(d, m) for d in TABLE1_NODES for m in TABLE1_BLOCKS]
    wide = wide.reindex(order)
    frame = pd.DataFrame({
        "hidden blocks": [("".join(str(b) for b in TABLE1_BLOCKS[m])) for _, m in order],
        "parameters (paper)": wide[("paper_value", "parameters")].to_numpy(),
        "parameters (ours)": wide[("ours", "parameters")].to_numpy(),
        "FLOPs (paper)": wide[("paper_value", "flops")].to_numpy(),
        "FLOPs per window (ours)": wide[("ours", "flops")].to_numpy(),
        "test time s (paper)": wide[("paper_value", "test_time_s")].to_numpy(),
        "test time s (ours)": wide[("ours", "test_time_s")].to_numpy(),
    }, index=pd.MultiIndex.from_tuples(order, names=["dataset", "model"]))
    return frame


def relative_to_teacher(comparison: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Each Table 1 model's ``metric`` as a share (%) of the teacher's on the same data
    set, for the paper and for us: columns ``dataset, model, paper_pct, ours_pct``."""
    rows = comparison[comparison["metric"] == metric].set_index(["dataset", "model"])
    out = []
    for (paper, model_name), row in rows.iterrows():
        teacher = rows.loc[(paper, "Teacher")]
        out.append({"dataset": paper, "model": model_name,
                    "paper_pct": 100.0 * row["paper_value"] / teacher["paper_value"],
                    "ours_pct": 100.0 * row["ours"] / teacher["ours"]})
    return pd.DataFrame(out, columns=["dataset", "model", "paper_pct", "ours_pct"])


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
    table1 = _attach_table1(cells[is_table1], table1_ours(benchmark))
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
    """Number of cells per table and per profile label (``paper``, ``quick``, ``smoke``,
    ``computed``, ``benchmark``, ``not yet run``, ...), with a total row and column."""
    labels = [p for p in PROFILE_LABELS if p in set(frame["profile"])]
    tables = list(dict.fromkeys(zip(frame["source"], frame["table"])))
    counts = pd.crosstab([frame["source"], frame["table"]], frame["profile"])
    counts = counts.reindex(index=pd.MultiIndex.from_tuples(tables, names=["source", "table"]),
                            columns=labels, fill_value=0)
    counts["cells"] = counts.sum(axis=1)
    counts.loc[("all", "all"), :] = counts.sum(axis=0)
    return counts.astype(int).rename_axis(columns=None)


# ----------------------------------------------------------------------------- display


def format_number(value: float, signed: bool = False, digits: int = 3) -> str:
    """A cell for the book: "–" for NaN, thousands separators for large whole numbers,
    else ``digits`` decimals (``signed`` adds "+" to positive numbers)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    sign = "+" if signed else ""
    if abs(value) >= 1000 and float(value).is_integer():
        return f"{value:{sign},.0f}"
    if abs(value) >= 1e5:
        return f"{value:{sign}.4g}"
    return f"{value:{sign}.{digits}f}"


def display_frame(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """``frame`` with its float columns turned into strings for the book (see
    :func:`format_number`): ``difference`` signed, ``relative_difference_pct`` as
    "+1.2%", ``horizon_min`` as "15"; missing text as "–"; other columns unchanged."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_float_dtype(out[column]):
            if not pd.api.types.is_numeric_dtype(out[column]):
                out[column] = out[column].fillna("–")
            continue
        if column == "difference":
            out[column] = out[column].map(lambda v: format_number(v, True, digits))
        elif column == "relative_difference_pct":
            out[column] = out[column].map(lambda v: "–" if np.isnan(v) else f"{v:+.1f}%")
        elif column == "horizon_min":
            out[column] = out[column].map(lambda h: "–" if np.isnan(h) else f"{h:g}")
        else:
            out[column] = out[column].map(lambda v: format_number(v, digits=digits))
    return out


def horizon_view(frame: pd.DataFrame) -> pd.DataFrame:
    """A comparison (from :func:`comparison_table` or :func:`dashboard`) in the papers'
    layout: one row per (data set, model, setting, metric), for each horizon the
    paper's value, ours and the difference, then the profile(s) used; strings."""
    keys = ["dataset", "model", "setting", "metric"]
    horizons = sorted(frame["horizon_min"].dropna().unique())
    rows = {}
    for key, group in frame.groupby(keys, sort=False):
        by_horizon = group.set_index("horizon_min")
        row = {}
        for h in horizons:
            cell = by_horizon.loc[h] if h in by_horizon.index else None
            row[(f"{h:g} min", "paper")] = format_number(cell["paper_value"]) if cell is not None else ""
            row[(f"{h:g} min", "ours")] = format_number(cell["ours"]) if cell is not None else ""
            row[(f"{h:g} min", "diff")] = (format_number(cell["difference"], signed=True)
                                          if cell is not None else "")
        row[("", "profile")] = ", ".join(dict.fromkeys(group["profile"]))
        rows[key] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=keys)
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out


# ----------------------------------------------------------------------------- data chapter

# Days (0-based, from the first day of the file) that are not working days, left out
# of the daily profiles. PeMSD7(M): day 19 is Memorial Day (2012-05-28), the highest
# daily mean of its 44 weekdays. Los-loop: days 2 and 3 have no morning congestion
# (the weekend; T-GCN dates the data 1-7 March 2012, a Thursday to a Wednesday).
NON_WORKING_DAYS: dict[str, tuple[int, ...]] = {"pemsd7m": (19,), "losloop": (2, 3)}


def working_days(name: str, n_days: int) -> list[int]:
    """Indices of the working days of a data set of ``n_days`` days."""
    return [d for d in range(n_days) if d not in NON_WORKING_DAYS.get(name, ())]


def daily_profile(values: np.ndarray, steps_per_day: int, days: list[int],
                  stations: list[int]) -> pd.DataFrame:
    """Mean speed by time of day over ``days``.

    Args:
        values: [T, N] readings, T a whole number of days.
        steps_per_day: readings per day (288).
        days: the day indices to average over.
        stations: station columns to show on their own.

    Returns:
        [steps_per_day, 1 + len(stations)] frame indexed by the hour of day (float),
        column "network mean" (mean over all stations) then "station <i>".
    """
    by_day = values.reshape(-1, steps_per_day, values.shape[1])[days]   # [D, S, N]
    mean = by_day.mean(axis=0)                                           # [S, N]
    frame = pd.DataFrame({"network mean": mean.mean(axis=1)}
                         | {f"station {s}": mean[:, s] for s in stations})
    frame.index = pd.Index(np.arange(steps_per_day) * 24.0 / steps_per_day, name="hour")
    return frame


def dataset_overview(series_list: list, splits: dict[str, tuple[int, int, int]],
                     n_his: int = 12, n_pred: int = 9) -> pd.DataFrame:
    """One row per :class:`stgkd.data.TrafficSeries`: steps, stations, days, the
    train/val/test split in days and in windows (windows of ``n_his + n_pred`` steps
    inside one day), imputed cells, undirected weighted edges and mean reading."""
    rows = []
    for series in series_list:
        split = splits[series.name]
        per_day = series.steps_per_day - (n_his + n_pred) + 1
        off_diagonal = series.weights > 0
        np.fill_diagonal(off_diagonal, False)
        rows.append({
            "data set": series.name, "steps": series.values.shape[0],
            "stations": series.n_nodes, "days": series.n_days,
            "steps per day": series.steps_per_day,
            "split (days)": "/".join(str(d) for d in split),
            "split (windows)": "/".join(str(d * per_day) for d in split),
            "imputed cells": series.n_imputed, "edges": int(off_diagonal.sum()) // 2,
            f"mean ({series.units})": round(float(series.values.mean()), 3)})
    return pd.DataFrame(rows).set_index("data set")
