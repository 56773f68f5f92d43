"""The KD paper's pruning results (Section 4.5): the pruning runs as run, Table 9 (the
hyperparameters of Algorithm 1) beside ours, the paper's two pruning claims, and the
data of the pruning figures.

Tables 7 and 8 themselves are :func:`~stgkd.report.comparison.comparison_table` (7)
and (8). A pruning run (``prune/<dataset>/taylor-<level>``, ``kdis-lstcd-<level>``,
``teacher-kdis-lstcd``; see :class:`stgkd.registry.PruningPlan`) stores a
``pruning`` block in its result JSON: the run it started from, the loss whose
gradients scored the channels, the share of each layer's channels one step removed,
the pruning interval, the target, one ``history`` entry per pruning step, and the
channels kept per layer.

Every function takes run results in the form of the result JSON files
(``stgkd.runs.load_results()``); paper numbers come from :mod:`stgkd.reference`.

>>> from stgkd.report import pruning_runs
>>> len(pruning_runs([]))                                  # no runs yet
0
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from stgkd.registry import EXPERIMENTS, PRUNING_SETTINGS, SHORT_FINETUNE_SUFFIX
from stgkd.reference import kd_table, paper_datasets
from stgkd.report.comparison import (SeedPairing, canonical_row, cells_better,
                                     compare_experiments, result_cells)
from stgkd.report.kd import (CLAIM_HORIZONS, CLAIM_METRICS, TABLE6_COLUMN, TABLE6_LABELS,
                             RunWindows, most_variable_node, prediction_trace)
from stgkd.report.settings import defined_settings, recorded_settings
from stgkd.runs import best_profile_results, check_profile, pick_runs

# Table 8's pruning levels (percent of the prunable parameters removed) and Table 9's
# rows in the paper's order ("97%" is Table 7's teacher pruned to the student's size).
PRUNING_LEVELS: tuple[int, ...] = (25, 50, 75)
TABLE9_LEVELS: tuple[int, ...] = (97, 75, 50, 25)
TABLE9_SETTINGS: tuple[str, ...] = ("batch_size", "learning_rate", "alpha1", "alpha2", "alpha3")
# Our data set -> the Table 9 column its settings follow (Los-loop: PeMSD7's, as Table 6).
TABLE9_COLUMN: dict[str, str] = dict(TABLE6_COLUMN)

# Kinds of run in the size-against-error figure, in legend order.
SIZE_KINDS: tuple[str, ...] = ("teacher", "student W/O KD", "student LSTCD", "pruning base",
                               "pruned W/O KD (Taylor)", "pruned W LSTCD (Algorithm 1)",
                               "teacher pruned W LSTCD")

# the (metric, horizon) cells both pruning claims are judged on
CLAIM_CELLS: tuple[tuple[str, float], ...] = tuple((m, h) for m in CLAIM_METRICS
                                                   for h in CLAIM_HORIZONS)
_HORIZON_KEYS = {15.0: "15min", 30.0: "30min", 45.0: "45min"}


# ----------------------------------------------------------------------------- names


def pruning_experiments(dataset: str) -> list[str]:
    """The pruning experiments of one data set: the base, then Taylor and Algorithm 1
    at each level of :data:`PRUNING_LEVELS`, then the pruned teacher of Table 7.

    Raises:
        ValueError: ``dataset`` has no pruning experiments.
    """
    if dataset not in PRUNING_SETTINGS:
        raise ValueError(f"dataset: expected one of {sorted(PRUNING_SETTINGS)}, found {dataset!r}")
    return [f"prune/{dataset}/base",
            *(f"prune/{dataset}/{kind}-{level}" for level in PRUNING_LEVELS
              for kind in ("taylor", "kdis-lstcd")),
            f"prune/{dataset}/teacher-kdis-lstcd"]


def experiment_kind(name: str) -> str | None:
    """The kind of run of :data:`SIZE_KINDS` an experiment is, None for other experiments:
    ``"prune/pemsd7m/taylor-25"`` -> ``"pruned W/O KD (Taylor)"``."""
    family, _, key = name.split("/", 2) if name.count("/") >= 2 else ("", "", "")
    if family == "kd":
        return {"teacher": "teacher", "student-no-kd": "student W/O KD",
                "student-lstcd": "student LSTCD"}.get(key)
    if family == "prune":
        if key == "base":
            return "pruning base"
        if key == "teacher-kdis-lstcd":
            return "teacher pruned W LSTCD"
        if key.endswith(SHORT_FINETUNE_SUFFIX):
            return None                      # an investigation, not a size of the paper's
        if key.startswith("taylor-"):
            return "pruned W/O KD (Taylor)"
        if key.startswith("kdis-lstcd-"):
            return "pruned W LSTCD (Algorithm 1)"
    return None


# ----------------------------------------------------------------------------- channels


def channel_string(channels: dict[str, int] | None, c_in: int = 1) -> str:
    """Kept channels per layer in the paper's block notation (Table 1: "[1, 2, 4][4, 2, 8]").

    Each ST block is ``[input, GLU temporal conv, ReLU temporal conv]``; the graph
    conv's channels follow (``graph a,b``) only where they differ from the first
    temporal conv's, as a pruned model may have; then the output layer's GLU
    (``out``) and sigmoid (``gate``) channels::

        {"blocks.0.temporal_in": 6, "blocks.0.spatial": 6, "blocks.0.temporal_out": 13,
         "blocks.1.temporal_in": 6, "blocks.1.spatial": 5, "blocks.1.temporal_out": 28,
         "output.temporal": 28, "output.gate": 27}
        -> "[1,6,13],[13,6,28] graph 6,5 out 28 gate 27"

    Args:
        channels: ``{layer: kept channels}`` (a pruning history's ``channels``).
        c_in: the model's input channels.

    Returns:
        The string, or "" for no channels.
    """
    if not channels:
        return ""
    n_blocks = 1 + max(int(k.split(".")[1]) for k in channels if k.startswith("blocks."))
    blocks, graph, previous = [], [], c_in
    for i in range(n_blocks):
        t_in, t_out = channels[f"blocks.{i}.temporal_in"], channels[f"blocks.{i}.temporal_out"]
        blocks.append(f"[{previous},{t_in},{t_out}]")
        graph.append(channels.get(f"blocks.{i}.spatial", t_in))
        previous = t_out
    text = ",".join(blocks)
    if any(g != channels[f"blocks.{i}.temporal_in"] for i, g in enumerate(graph)):
        text += " graph " + ",".join(str(g) for g in graph)
    if "output.temporal" in channels:
        text += f" out {channels['output.temporal']}"
    if "output.gate" in channels:
        text += f" gate {channels['output.gate']}"
    return text


def _input_channels(pruning: dict) -> int:
    blocks = (pruning.get("model_config") or {}).get("blocks")
    return int(blocks[0][0]) if blocks else 1


# ----------------------------------------------------------------------------- the runs


def _target(pruning: dict) -> tuple[float, str]:
    """(nominal level in percent or NaN, the target in words) of a pruning block."""
    if pruning.get("target_level") is not None:
        level = 100.0 * float(pruning["target_level"])
        return level, f"level {level:g}%"
    if pruning.get("target_parameters") is not None:
        return np.nan, f"≤ {int(pruning['target_parameters']):,} parameters"
    return np.nan, ""


def _test_value(result: dict, metric: str, horizon: float) -> float:
    value = result.get("test", {}).get(_HORIZON_KEYS[horizon], {}).get(metric)
    return float(value) if value is not None else np.nan


RUN_COLUMNS = ["experiment", "profile", "seed", "dataset", "prune_loss", "target",
               "nominal_level_pct", "level_pct", "start_parameters", "parameters", "kept_pct",
               "steps", "fraction", "interval_minibatches", "channels",
               *(f"{m} {h:g}" for m in CLAIM_METRICS for h in CLAIM_HORIZONS), "wall_time_s"]


def pruning_runs(results: Iterable[dict], profile: str = "best") -> pd.DataFrame:
    """One row per stored pruning run (a result with a ``pruning`` block), of each
    experiment's best profile (or of ``profile``).

    Returns:
        Columns :data:`RUN_COLUMNS`: ``experiment, profile, seed, dataset, prune_loss``
        ("supervised": Taylor; "lstcd": KDIS), ``target`` (in words),
        ``nominal_level_pct`` (Table 8's 25/50/75, NaN for a parameter target),
        ``level_pct`` (share of the prunable parameters removed, as reached),
        ``start_parameters`` (the model pruned), ``parameters`` (the compacted model),
        ``kept_pct`` (100 * parameters / start_parameters), ``steps``, ``fraction``
        (share of each layer's channels one step removes), ``interval_minibatches``,
        ``channels`` (:func:`channel_string`), test ``MAE 15`` ... ``RMSE 45`` and
        ``wall_time_s``; sorted by experiment and seed.
    """
    rows = []
    for r in best_profile_results(results, profile):
        pruning = r.get("pruning")
        if not pruning:
            continue
        nominal, target = _target(pruning)
        start = (pruning.get("start_from") or {}).get("parameters")
        parameters = pruning.get("parameters", r.get("parameters"))
        rows.append({
            "experiment": r["experiment"], "profile": r["profile"], "seed": r["seed"],
            "dataset": r["dataset"], "prune_loss": pruning.get("prune_loss", ""),
            "target": target, "nominal_level_pct": nominal,
            "level_pct": 100.0 * float(pruning.get("level", np.nan)),
            "start_parameters": start, "parameters": parameters,
            "kept_pct": 100.0 * parameters / start if start and parameters else np.nan,
            "steps": pruning.get("steps", len(pruning.get("history", []))),
            "fraction": pruning.get("fraction", np.nan),
            "interval_minibatches": pruning.get("interval_minibatches"),
            "channels": channel_string(pruning.get("channels"), _input_channels(pruning)),
            **{f"{m} {h:g}": _test_value(r, m.lower(), h)
               for m in CLAIM_METRICS for h in CLAIM_HORIZONS},
            "wall_time_s": (r.get("provenance") or {}).get("wall_time_s", np.nan)})
    frame = pd.DataFrame(rows, columns=RUN_COLUMNS)
    return frame.sort_values(["experiment", "seed"]).reset_index(drop=True)


def pruning_history_frame(result: dict) -> pd.DataFrame:
    """The pruning steps of one run, for a plot of size and loss against minibatches.

    Row 0 is the model before pruning (``start_from.parameters``, level 0, no loss);
    then one row per entry of ``pruning.history``.

    Returns:
        Columns ``experiment, profile, seed, step, minibatches, epoch`` (minibatches
        divided by the minibatches of one epoch, as the interval gives them), ``loss``
        (mean pruning loss over the interval before the step), ``parameters``
        (compacted), ``level_pct`` and ``channels`` (:func:`channel_string`).
        Empty (same columns) for a result without a ``pruning`` block.
    """
    columns = ["experiment", "profile", "seed", "step", "minibatches", "epoch", "loss",
               "parameters", "level_pct", "channels"]
    pruning = result.get("pruning")
    if not pruning:
        return pd.DataFrame(columns=columns)
    per_epoch = (pruning["interval_minibatches"] / pruning["interval_epochs"]
                 if pruning.get("interval_minibatches") and pruning.get("interval_epochs")
                 else np.nan)
    c_in = _input_channels(pruning)
    start = (pruning.get("start_from") or {}).get("parameters", np.nan)
    steps = [{"step": 0, "minibatches": 0, "loss": np.nan, "parameters": start,
              "level_pct": 0.0, "channels": ""}]
    steps += [{"step": h["step"], "minibatches": h["minibatches"], "loss": h.get("loss", np.nan),
               "parameters": h["parameters"], "level_pct": 100.0 * h["level"],
               "channels": channel_string(h.get("channels"), c_in)}
              for h in pruning.get("history", [])]
    frame = pd.DataFrame(steps)
    frame["epoch"] = frame["minibatches"] / per_epoch
    frame.insert(0, "experiment", result["experiment"])
    frame.insert(1, "profile", result["profile"])
    frame.insert(2, "seed", result["seed"])
    frame["loss"] = frame["loss"].astype(float)
    return frame[columns]


def size_and_error(results: Iterable[dict], dataset: str, profile: str = "best",
                   metric: str = "MAE", horizon_min: float = 15.0) -> pd.DataFrame:
    """Parameter count against one test error for every teacher, student and pruning
    run of ``dataset`` (the kinds of :data:`SIZE_KINDS`), each experiment in its best
    profile (or ``profile``), averaged over seeds.

    Returns:
        Columns ``experiment, kind, profile, seeds, parameters, value`` (the mean test
        ``metric`` at ``horizon_min``), in :data:`SIZE_KINDS` order then by size.
    """
    rows = []
    for r in best_profile_results(results, profile):
        kind = experiment_kind(r["experiment"])
        if r["dataset"] != dataset or kind is None or "parameters" not in r:
            continue
        rows.append({"experiment": r["experiment"], "kind": kind, "profile": r["profile"],
                     "parameters": r["parameters"],
                     "value": _test_value(r, metric.lower(), horizon_min)})
    frame = pd.DataFrame(rows, columns=["experiment", "kind", "profile", "parameters", "value"])
    frame = (frame.groupby(["experiment", "kind", "profile"], sort=False)
             .agg(seeds=("value", "count"), parameters=("parameters", "mean"),
                  value=("value", "mean")).reset_index())
    order = frame["kind"].map(SIZE_KINDS.index)
    return (frame.assign(_order=order).sort_values(["_order", "parameters"])
            .drop(columns="_order").reset_index(drop=True))


# ----------------------------------------------------------------------------- Figures 4-5

# Figure 4's four charts, in the paper's order (top row: teacher, student without KD or
# pruning; bottom row: student with KD, student with KD and pruning): experiment key
# under ``<family>/<dataset>/`` -> chart title.
FIGURE4_PANELS: tuple[tuple[str, str], ...] = (
    ("kd/{dataset}/teacher", "Teacher"),
    ("kd/{dataset}/student-no-kd", "Student without KD or pruning"),
    ("kd/{dataset}/student-lstcd", "Student with KD (LSTCD), no pruning"),
    ("prune/{dataset}/teacher-kdis-lstcd", "Student with KD and pruning (Algorithm 1)"))
FIGURE4_COLUMNS = ["experiment", "panel", "profile", "seed", "node", "window", "true_mph",
                   "predicted_mph"]


def figure4_experiments(dataset: str) -> dict[str, str]:
    """Figure 4's four models of ``dataset``: experiment name -> chart title."""
    return {key.format(dataset=dataset): title for key, title in FIGURE4_PANELS}


def figure4_traces(results: Iterable[dict], series, dataset: str, node: int | None = None,
                   n_windows: int = 50, start: int = 60, step: int = 3,
                   profile: str = "best", results_dir=None) -> pd.DataFrame:
    """Figures 4 and 5: predicted against true speed of one station over ``n_windows``
    consecutive test windows for the teacher, the student without KD, the LSTCD student
    and the teacher pruned by Algorithm 1 to the student's size (Table 7).

    Each model is the lowest seed of its best profile (or of ``profile``); its forecast
    ``step`` steps ahead (3 = 15 min) comes from
    :func:`stgkd.report.kd.prediction_trace` on the test windows of the split it was
    trained on (``split_days``, else the data set's default split). Models not run give
    no rows.

    Args:
        series: the loaded data set (``stgkd.data.load_series(dataset)``).
        node: station index; None takes the one whose true speed varies most over the
            traced windows of the first model run (:func:`most_variable_node`).

    Returns:
        :data:`FIGURE4_COLUMNS`, models in :data:`FIGURE4_PANELS` order, one row per
        window; ``panel`` is the chart title.
    """
    panels = figure4_experiments(dataset)
    runs = pick_runs(results, panels, profile)
    run_windows = RunWindows(series, dataset)
    frames = []
    for name, title in panels.items():
        run = runs[name]
        if run is None:
            continue
        data = run_windows(run)
        if node is None:
            node = most_variable_node(data, start, n_windows, step)
        trace = prediction_trace(run, data, series.weights, node, n_windows, start, step,
                                 results_dir)
        frames.append(trace.assign(experiment=name, panel=title, profile=run["profile"],
                                   seed=run["seed"], node=node))
    if not frames:
        return pd.DataFrame(columns=FIGURE4_COLUMNS)
    return pd.concat(frames, ignore_index=True)[FIGURE4_COLUMNS]


# ----------------------------------------------------------------------------- Table 9


def _table9_experiment(dataset: str, level: int) -> str:
    return (f"prune/{dataset}/teacher-kdis-lstcd" if level == 97
            else f"prune/{dataset}/kdis-lstcd-{level}")


def table9_as_run(results: Iterable[dict] | None = None) -> pd.DataFrame:
    """KD paper Table 9 (Algorithm 1's batch size, learning rate and LSTCD weights per
    pruning level) beside our experiment definitions, with what the paper leaves out:
    the share of each layer's channels one pruning step removes and the interval.

    Level 97% is Table 7's teacher pruned to the student's size
    (``prune/<dataset>/teacher-kdis-lstcd``), the others Table 8's
    ``prune/<dataset>/kdis-lstcd-<level>``. Los-loop is compared with the PeMSD7
    column (:data:`TABLE9_COLUMN`).

    Args:
        results: optional run results; the stored runs of each experiment's best
            profile then give ``interval_minibatches`` and ``stored`` ("agree", "differ"
            or "none" when no run is stored).

    Returns:
        One row per (data set, level): ``our_dataset, table9_column, level_pct,
        experiment``, our ``batch_size, learning_rate, alpha1, alpha2, alpha3`` and
        the paper's as ``paper_<setting>``, ``same_as_paper`` (all five equal),
        ``fraction``, ``interval_epochs``, ``interval_minibatches`` (stored runs;
        NaN without one) and ``stored``.
    """
    paper = kd_table(9)
    stored_runs = best_profile_results(results) if results is not None else []
    rows = []
    for dataset in PRUNING_SETTINGS:
        column = TABLE9_COLUMN[dataset]
        for level in TABLE9_LEVELS:
            name = _table9_experiment(dataset, level)
            experiment = EXPERIMENTS[name]
            defined = defined_settings(experiment)
            ours = {k: defined.get(k, np.nan) for k in TABLE9_SETTINGS}
            cells = paper[(paper["dataset"] == column) & (paper["setting"] == f"pruned {level}%")]
            theirs = dict(zip(cells["metric"], cells["value"].astype(float)))
            plan = experiment.pruning
            row = {"our_dataset": dataset, "table9_column": column, "level_pct": level,
                   "experiment": name, **ours,
                   **{f"paper_{k}": theirs.get(k, np.nan) for k in TABLE9_SETTINGS},
                   "same_as_paper": all(np.isclose(ours[k], theirs.get(k, np.nan))
                                        for k in TABLE9_SETTINGS),
                   "fraction": plan.fraction, "interval_epochs": plan.interval_epochs}
            runs = [r for r in stored_runs if r["experiment"] == name]
            seen = recorded_settings(runs)
            minibatches = seen.get("interval_minibatches", set())
            row["interval_minibatches"] = (minibatches.copy().pop() if len(minibatches) == 1
                                           else np.nan)
            expected = {**ours, "fraction": plan.fraction, "interval_epochs": plan.interval_epochs}
            agree = all(len(values) == 1 and np.isclose(next(iter(values)), expected[k])
                        for k, values in seen.items() if k in expected)
            row["stored"] = "none" if not runs else "agree" if agree else "differ"
            rows.append(row)
    table = pd.DataFrame(rows)
    return table if results is not None else table.drop(columns=["interval_minibatches",
                                                                 "stored"])


def table9_view(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`table9_as_run` in Table 9's layout: one row per (data set, pruned %), one
    column per setting (our value; "(paper x)" added where the paper's differs), then
    our fraction per step and interval, which the paper does not give, and, when
    present, the stored runs' minibatches per interval and agreement."""
    rows = {}
    for _, row in table.iterrows():
        out = {}
        for setting in TABLE9_SETTINGS:
            ours, theirs = row[setting], row[f"paper_{setting}"]
            differs = not np.isnan(theirs) and not np.isclose(ours, theirs)
            out[TABLE6_LABELS[setting]] = f"{ours:g} (paper {theirs:g})" if differs else f"{ours:g}"
        agree = "all equal" if row["same_as_paper"] else "differs"
        out["Table 9"] = f"{row['table9_column']}: {agree}"
        out["channels removed per step (ours)"] = f"{100 * row['fraction']:g}% of each layer's"
        epochs = row["interval_epochs"]
        interval = f"{epochs:g} epoch{'' if epochs == 1 else 's'}"
        if "interval_minibatches" in row and not np.isnan(row["interval_minibatches"]):
            interval += f" ({row['interval_minibatches']:.0f} minibatches)"
        out["pruning interval (ours)"] = interval
        if "stored" in row:
            out["stored runs"] = row["stored"]
        rows[(row["our_dataset"], f"{row['level_pct']}%")] = out
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["dataset", "pruned"])
    return frame


# ----------------------------------------------------------------------------- the claims


def _paper_cells(dataset: str, table: int, setting: str | None) -> pd.DataFrame:
    cells = kd_table(table)
    cells = cells[cells["dataset"].isin(paper_datasets(dataset))]
    if setting is not None:
        cells = cells[cells["setting"] == setting]
    return cells.assign(row=cells["model"].map(canonical_row))


def _cell_values(frame: pd.DataFrame, key: str, name: str, value: str) -> dict:
    hit = frame[frame[key] == name]
    return {(m, h): v for m, h, v in zip(hit["metric"], hit["horizon_min"], hit[value])}


def _claim_cells(results: Iterable[dict], dataset: str, profile: str) -> pd.DataFrame:
    """:func:`result_cells` of ``results`` in ``profile`` (all profiles for "best"),
    after checking the profile and that ``dataset`` has pruning experiments."""
    check_profile(profile)
    pruning_experiments(dataset)                      # checks the data set
    cells = result_cells(results)
    return cells if profile == "best" else cells[cells["profile"] == profile]


def _compare(cells: pd.DataFrame, ours: str, against: str, strict: bool):
    """Compare two experiments of :func:`result_cells` on the seeds both have, in the
    best profile that holds both (:func:`~stgkd.report.comparison.compare_experiments`).

    Returns:
        ``(comparison, better, holds)``: the :class:`~stgkd.report.comparison.Comparison`,
        the cells where ``ours`` is better and whether it is in all of them (both None
        when not compared).
    """
    comparison = compare_experiments(cells, ours, against)
    if not comparison.compared:
        return comparison, None, None
    better, holds = cells_better(comparison.values[ours], comparison.values[against],
                                 CLAIM_CELLS, strict)
    return comparison, better, holds


def _verdict(holds, better, cells: int, pairing: SeedPairing) -> str:
    """The claim check's sentence for the book, naming the profile and the seeds."""
    if holds is None:
        return f"not compared: {pairing.describe()}"
    return (f"holds in all {cells} cells ({pairing.describe()})" if holds else
            f"holds in {better} of {cells} cells ({pairing.describe()})")


def pruning_claim(results: Iterable[dict], dataset: str, profile: str = "best") -> pd.DataFrame:
    """The KD paper's two pruning claims on one data set, in our runs and in its own
    numbers.

    - Table 8: at each pruning level, Algorithm 1 (pruning with LSTCD,
      ``prune/<dataset>/kdis-lstcd-<level>``) has lower MAE and RMSE than Taylor
      pruning without distillation (``prune/<dataset>/taylor-<level>``) at 15, 30 and
      45 min;
    - Table 7: the teacher pruned with Algorithm 1 to the student's size
      (``prune/<dataset>/teacher-kdis-lstcd``) is at least as accurate (MAE and RMSE no
      higher) as the predetermined student distilled with LSTCD
      (``kd/<dataset>/student-lstcd``).

    The two runs of a comparison come from the same profile (the best that holds both,
    or ``profile``), and each is averaged over the seeds both have (a seed that only
    one of them has is left out); otherwise the comparison is not made.

    Returns:
        Four rows (three levels, then Table 7): ``table, level_pct`` (NaN for Table
        7), ``ours, against`` (experiments), ``criterion``, ``profile`` (the profile
        compared, :data:`NOT_YET_RUN` when neither run exists, else which one is
        missing, or that they share no seed), ``seeds`` (the paired seeds averaged,
        0 when not compared), ``cells`` (6), ``better`` (cells where ours wins; None when not
        compared), ``holds`` (True / False / None when not compared), ``paper_better``
        and ``paper_holds`` (the same in the paper's numbers; None for a data set the
        paper does not use) and ``verdict`` (a sentence for the book, naming the
        profile and seeds compared or what is missing).

    Raises:
        ValueError: ``dataset`` has no pruning experiments, or an unknown ``profile``.
    """
    cells_of_runs = _claim_cells(results, dataset, profile)
    comparisons = [(8, level, f"prune/{dataset}/kdis-lstcd-{level}",
                    f"prune/{dataset}/taylor-{level}", True, f"pruned {level}%",
                    "Pruned W LSTCD", "Pruned W/O KD") for level in PRUNING_LEVELS]
    comparisons.append((7, np.nan, f"prune/{dataset}/teacher-kdis-lstcd",
                        f"kd/{dataset}/student-lstcd", False, None,
                        "Student W pruning algorithm", "Student LSTCD"))
    rows = []
    for table, level, ours, against, strict, setting, paper_ours, paper_against in comparisons:
        comparison, better, holds = _compare(cells_of_runs, ours, against, strict)
        pairing = comparison.pairing
        paper = _paper_cells(dataset, table, setting)
        paper_better, paper_holds = cells_better(
            _cell_values(paper, "row", paper_ours, "value"),
            _cell_values(paper, "row", paper_against, "value"), CLAIM_CELLS, strict)
        criterion = ("lower MAE and RMSE at 15, 30 and 45 min" if strict
                     else "MAE and RMSE no higher at 15, 30 and 45 min")
        cells = len(CLAIM_METRICS) * len(CLAIM_HORIZONS)
        rows.append({"table": f"Table {table}", "level_pct": level, "ours": ours,
                     "against": against, "criterion": criterion,
                     "profile": pairing.profile or pairing.reason,
                     "seeds": len(pairing.seeds), "cells": cells, "better": better,
                     "holds": holds, "paper_better": paper_better, "paper_holds": paper_holds,
                     "verdict": _verdict(holds, better, cells, pairing)})
    frame = pd.DataFrame(rows)
    for column in ("better", "paper_better"):
        frame[column] = frame[column].astype("Int64")
    for column in ("holds", "paper_holds"):
        frame[column] = frame[column].astype(object)
    return frame


def _paper_maes(dataset: str, level: int) -> dict[str, str]:
    """The paper's Table 8 MAE at 15, 30, 45 min of Taylor pruning and of Algorithm 1 at
    ``level`` as "a / b / c" (``paper_taylor_mae``, ``paper_kdis_mae``); "" where the
    paper has no such row for the data set."""
    paper = _paper_cells(dataset, 8, f"pruned {level}%")
    out = {}
    for key, row in (("paper_taylor_mae", "Pruned W/O KD"), ("paper_kdis_mae", "Pruned W LSTCD")):
        out[key] = _mae_string(_cell_values(paper, "row", row, "value"))
    return out


def _mae_string(values: dict) -> str:
    """MAE at 15, 30 and 45 min of ``{(metric, horizon): value}`` as "a / b / c", ""
    unless all three are there."""
    if not all(("MAE", h) in values for h in CLAIM_HORIZONS):
        return ""
    return " / ".join(f"{values[('MAE', h)]:.3f}" for h in CLAIM_HORIZONS)


def finetune_ablation(results: Iterable[dict], dataset: str, profile: str = "best") -> pd.DataFrame:
    """Table 8's claim (Algorithm 1 with LSTCD beats Taylor pruning in MAE and RMSE at
    15, 30 and 45 min) after the profile's fine-tuning epochs and after one
    (the ``-ft1`` variants, :data:`stgkd.registry.SHORT_FINETUNE_SUFFIX`), level by
    level.

    Returns:
        One row per level and fine-tuning: ``level_pct, finetune`` ("profile's
        epochs" or "one epoch"), ``ours, against`` (experiments), ``profile``
        (compared, or what is missing), ``seeds`` (paired seeds averaged, as in
        :func:`pruning_claim`; 0 when not compared), ``taylor_mae, kdis_mae`` (test
        MAE at 15, 30, 45 min as "a / b / c": the mean over the paired seeds in the
        compared profile, or over all of a run's seeds in its best profile when it is
        not compared; "" when not run), ``better`` (of 6 cells),
        ``holds``, and the paper's Table 8 MAE of the two rows at the level,
        ``paper_taylor_mae`` and ``paper_kdis_mae`` ("" for a data set it does not use).

    Raises:
        ValueError: ``dataset`` has no pruning experiments, or an unknown ``profile``.
    """
    cells_of_runs = _claim_cells(results, dataset, profile)
    rows = []
    for level in PRUNING_LEVELS:
        paper = _paper_maes(dataset, level)               # the same for both fine-tunings
        for suffix, finetune in (("", "profile's epochs"), (SHORT_FINETUNE_SUFFIX, "one epoch")):
            ours = f"prune/{dataset}/kdis-lstcd-{level}{suffix}"
            against = f"prune/{dataset}/taylor-{level}{suffix}"
            comparison, better, holds = _compare(cells_of_runs, ours, against, strict=True)
            pairing = comparison.pairing
            # the paired seeds; a run compared with nothing shows its best profile's
            mae = {name: _mae_string(comparison.values[name]) for name in (ours, against)}
            rows.append({"level_pct": level, "finetune": finetune, "ours": ours,
                         "against": against, "profile": pairing.profile or pairing.reason,
                         "seeds": len(pairing.seeds), "taylor_mae": mae[against],
                         "kdis_mae": mae[ours], "better": better, "holds": holds,
                         **paper})
    frame = pd.DataFrame(rows)
    frame["better"] = frame["better"].astype("Int64")
    frame["holds"] = frame["holds"].astype(object)
    return frame
