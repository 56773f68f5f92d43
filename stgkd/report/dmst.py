"""The DMST-GNODE paper's comparison beside our runs: the ten-model table at 20, 40 and
60 minutes, the abstract's figures, the claim that DMST-GNODE beats its baselines, the
training curves (the paper's Figure 13), predicted against true speed (Figures 14-15),
a network snapshot (Figure 16) and the three graphs the model propagates on.

Every function takes run results in the form of the result JSON files
(``stgkd.runs.load_results()``) of the ``dmst/<dataset>/<model>`` experiments
(:mod:`stgkd.dmst`); other results are ignored. The paper's figures come from
:func:`stgkd.reference.dmst_gnode_reported` only. A model that nobody has run gives a
row labelled :data:`~stgkd.report.comparison.NOT_YET_RUN`, never an error.

>>> from stgkd.report.dmst import dmst_table
>>> table = dmst_table([], datasets=("losloop",))          # no runs yet
>>> len(table), sorted(set(table["profile"]))
(10, ['not yet run'])
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from stgkd.complexity import count_parameters
from stgkd.reference import DATASET_NAMES, dmst_gnode_reported, paper_datasets
from stgkd.report.comparison import (NOT_YET_RUN, attach_ours, compare_experiments,
                                     own_best_means, result_cells)
from stgkd.report.display import format_number
from stgkd.runs import (best_profile_results, check_profile, dataset_series, load_run_model,
                        pick_runs, read_checkpoint, run_checkpoint)
from stgkd.runs.checkpoints import DMST_N_HIS

# The data sets of our dmst/<dataset>/<model> experiments (stgkd.registry).
DMST_DATASETS: tuple[str, ...] = ("losloop", "pemsd7m", "pems08")
# Result keys of the paper's horizons and of the metrics in each (accuracy: higher is better).
DMST_HORIZONS: tuple[str, ...] = ("20min", "40min", "60min")
DMST_METRICS: tuple[str, ...] = ("rmse", "mae", "mape", "accuracy")
METRIC_LABELS: dict[str, str] = {"rmse": "RMSE", "mae": "MAE", "mape": "MAPE",
                                 "accuracy": "Accuracy"}
# The paper's Figures 14-15 show DMST-GNODE, MST-GCN and ST-GCN.
TRACE_MODELS: tuple[str, ...] = ("DMST-GNODE", "MST-GCN", "ST-GCN")
# The baselines the claim check puts DMST-GNODE against: the model it extends (ST-GCN)
# and the graph ODE without the dynamic graph and ST module (ST-NODE).
CLAIM_RIVALS: tuple[str, ...] = ("ST-GCN", "ST-NODE")
# Our data sets whose paper figure measures another quantity than our runs forecast: the
# claim check does not set our number beside the paper's there.
NOT_COMPARABLE: dict[str, str] = {
    "pems08": "the paper's PeMS08 RMSE (19.49) fits traffic flow; our runs forecast speed"}
# Every DMST run reads 12 steps and forecasts 12 (stgkd.dmst.run); step 4 is 20 minutes.
N_HIS = N_PRED = DMST_N_HIS
STEP_MINUTES = 5


def metric_column(metric: str, horizon: str) -> str:
    """Column of :func:`dmst_table` for one metric and horizon: ``("rmse", "20min")`` ->
    ``"rmse_20min"``."""
    return f"{metric}_{horizon}"


METRIC_COLUMNS: list[str] = [metric_column(m, h) for h in DMST_HORIZONS for m in DMST_METRICS]
TABLE_COLUMNS: list[str] = ["dataset", "model", *METRIC_COLUMNS, "parameters", "best_epoch",
                            "epochs_run", "wall_time_s", "device", "profile", "seeds",
                            "experiment"]


def dmst_experiment(dataset: str, model: str) -> str:
    """Experiment name of one comparison run:
    ``("losloop", "ST-GCN")`` -> ``"dmst/losloop/st-gcn"``."""
    return f"dmst/{dataset}/{model.lower()}"


def _models() -> tuple[str, ...]:
    from stgkd.dmst.models import MODELS
    return MODELS


# ----------------------------------------------------------------------------- the table


def dmst_table(results: Iterable[dict], profile: str = "best",
               datasets: Sequence[str] = DMST_DATASETS) -> pd.DataFrame:
    """The paper's comparison table as run: one row per (data set, model).

    Args:
        results: run results; only ``dmst/...`` experiments are used.
        profile: ``"best"`` (per row the best profile stored: full, else quick, else
            smoke) or one profile.
        datasets: our data set names, in the order wanted.

    Returns:
        :data:`TABLE_COLUMNS`: ``dataset, model`` (the paper's model order,
        :data:`stgkd.dmst.MODELS`), ``rmse_20min, mae_20min, mape_20min (percent),
        accuracy_20min``, the same at 40 and 60 min (means over seeds; NaN when not run),
        ``parameters`` (trainable parameters; <NA> for ARIMA, SVR and rows not run),
        ``best_epoch`` (epoch of lowest validation MAE) and ``epochs_run`` (means over
        seeds; NaN for the classical models), ``wall_time_s`` (mean run time; a resumed
        run's adds up its sessions), ``device`` (what the runs ran on, e.g. ``"NVIDIA
        H200"``; several joined by ", "; wall times compare only on one device),
        ``profile`` (the one used or :data:`NOT_YET_RUN`), ``seeds`` (0 when not run)
        and ``experiment``.

    Raises:
        ValueError: an unknown ``profile``.
    """
    runs = best_profile_results([r for r in results
                                 if str(r.get("experiment", "")).startswith("dmst/")], profile)
    rows = []
    for dataset in datasets:
        for model in _models():
            name = dmst_experiment(dataset, model)
            mine = [r for r in runs if r["experiment"] == name]
            row = {"dataset": dataset, "model": model, "experiment": name}
            if not mine:
                rows.append({**row, "profile": NOT_YET_RUN, "seeds": 0})
                continue
            for horizon in DMST_HORIZONS:
                for metric in DMST_METRICS:
                    values = [r["test"].get(horizon, {}).get(metric, np.nan) for r in mine]
                    row[metric_column(metric, horizon)] = float(np.mean(values))
            parameters = mine[0].get("parameters")
            history = [len(r.get("history") or []) for r in mine]
            provenance = [r.get("provenance", {}) for r in mine]
            row |= {"parameters": parameters,
                    "best_epoch": (float(np.mean([r["best_epoch"] for r in mine]))
                                   if mine[0].get("best_epoch") is not None else np.nan),
                    "epochs_run": float(np.mean(history)) if any(history) else np.nan,
                    "wall_time_s": float(np.mean([p.get("wall_time_s", np.nan)
                                                  for p in provenance])),
                    "device": ", ".join(sorted({p.get("device", "unknown") for p in provenance})),
                    "profile": mine[0]["profile"], "seeds": len(mine)}
            rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    for column in METRIC_COLUMNS + ["best_epoch", "epochs_run", "wall_time_s"]:
        table[column] = table[column].astype(float)
    table["parameters"] = table["parameters"].astype("Int64")
    table["seeds"] = table["seeds"].astype(int)
    return table


def _whole(value: float) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:,.0f}"


def dmst_view(table: pd.DataFrame, dataset: str,
              horizons: Sequence[str] = DMST_HORIZONS) -> pd.DataFrame:
    """One data set's rows of :func:`dmst_table` in the paper's layout, as strings: one
    row per model; for each horizon RMSE, MAE, MAPE (%) and accuracy; then parameters,
    best epoch / epochs run, wall time (s), the device and the profile. "–" where not
    run."""
    rows = {}
    for _, row in table[table["dataset"] == dataset].iterrows():
        out = {}
        for horizon in horizons:
            for metric in DMST_METRICS:
                value = row[metric_column(metric, horizon)]
                out[(horizon.replace("min", " min"), METRIC_LABELS[metric])] = (
                    format_number(value, digits=4 if metric == "accuracy" else 3))
        epochs = ("–" if pd.isna(row["epochs_run"])
                  else f"{_whole(row['best_epoch'])} / {_whole(row['epochs_run'])}")
        out |= {("", "parameters"): _whole(row["parameters"]),
                ("", "best / epochs"): epochs,
                ("", "wall time (s)"): _whole(row["wall_time_s"]),
                ("", "device"): row["device"] if isinstance(row["device"], str) else "–",
                ("", "profile"): row["profile"]}
        rows[row["model"]] = out
    view = pd.DataFrame.from_dict(rows, orient="index")
    view.index.name = "model"
    view.columns = pd.MultiIndex.from_tuples(view.columns)
    return view


# ----------------------------------------------------------------------------- the paper


def _paper_names(dataset: str) -> list[str]:
    """The paper's names for ``dataset`` (a paper name or ours)."""
    if dataset in DATASET_NAMES:
        return [dataset]
    if dataset in DMST_DATASETS:
        return paper_datasets(dataset)
    raise ValueError(f"dataset: expected a paper name {sorted(DATASET_NAMES)} or one of ours "
                     f"{list(DMST_DATASETS)}, found {dataset!r}")


def paper_figures(dataset: str, results: Iterable[dict] | None = None,
                  profile: str = "best") -> pd.DataFrame:
    """The DMST-GNODE paper's reported figures for one data set (its abstract: RMSE and
    accuracy of DMST-GNODE at 20 min), with ours beside them when ``results`` are given.

    Args:
        dataset: the paper's name (``"BKK"``, ``"PeMS08"``, ``"Los_Loop"``) or ours
            (``"losloop"``, ``"pems08"``; ``"pemsd7m"``, which the paper does not use,
            gives no rows).
        results: run results; their ``paper_row`` and ``dataset`` pick the cell, as on
            the dashboard (:func:`stgkd.report.comparison.attach_ours`).

    Returns:
        ``dataset`` (paper name), ``our_dataset`` (NaN for BKK), ``model, metric,
        horizon_min, paper_value, where``; with ``results`` also ``ours, ours_std,
        seeds, difference`` (ours - paper), ``relative_difference_pct``, ``profile``
        (the one used, :data:`NOT_YET_RUN`, or "data set not available" for BKK) and
        ``experiment``.

    Raises:
        ValueError: an unknown data set name or profile.
    """
    names = _paper_names(dataset)
    cells = dmst_gnode_reported()
    cells = (cells[cells["dataset"].isin(names)].rename(columns={"value": "paper_value"})
             .assign(setting="").reset_index(drop=True))
    cells = cells[["dataset", "our_dataset", "model", "setting", "metric", "horizon_min",
                   "paper_value", "where"]]
    if results is None:
        return cells.drop(columns="setting")
    return attach_ours(cells, results, profile).drop(columns="setting")


def dmst_claim(results: Iterable[dict], dataset: str = "losloop", profile: str = "best",
               metric: str = "rmse", horizon: str = "20min") -> pd.DataFrame:
    """The paper's claim on one data set: DMST-GNODE has the lowest RMSE at 20 min, here
    against ST-GCN and ST-NODE (:data:`CLAIM_RIVALS`), and our DMST-GNODE against the
    paper's reported figure.

    DMST-GNODE and a rival are compared within one profile (the best profile that holds
    both, or ``profile``), each averaged over the seeds both have there
    (:func:`~stgkd.report.comparison.pair_on_common_seeds`). Where they share no profile
    or no seed, each is shown from its own best profile and the comparison is not made
    (``dmst_gnode_better`` is False). Against the paper, our DMST-GNODE of its best
    profile (mean over its seeds) is used; that comparison is loose (our split
    and budget are not the paper's), and it is not made where the paper's figure measures
    another quantity (:data:`NOT_COMPARABLE`: PeMS08, flow against our speed).

    Args:
        metric: ``"rmse"``, ``"mae"``, ``"mape"`` (lower is better) or ``"accuracy"``
            (higher is better).
        horizon: ``"20min"``, ``"40min"`` or ``"60min"``.

    Returns:
        One row per rival, then one for the paper: ``dataset, metric, horizon_min,
        rival`` (model name, or "DMST-GNODE (paper)"), ``dmst_gnode, rival_value``,
        ``difference`` (DMST-GNODE - rival), ``dmst_gnode_better`` (True only when both
        numbers exist, come from one profile, and DMST-GNODE's is better),
        ``profile_dmst_gnode, profile_rival`` (profile used, :data:`NOT_YET_RUN`, or
        "abstract" for the paper), ``seeds`` (paired seeds averaged, 0 when not
        compared; for the paper's row, our DMST-GNODE's seeds) and ``verdict``, a
        sentence.

    Raises:
        ValueError: unknown data set, profile, metric or horizon.
    """
    check_profile(profile)
    if dataset not in DMST_DATASETS:
        raise ValueError(f"dataset: expected one of {list(DMST_DATASETS)}, found {dataset!r}")
    if metric not in DMST_METRICS or horizon not in DMST_HORIZONS:
        raise ValueError(f"metric, horizon: expected one of {list(DMST_METRICS)} and of "
                         f"{list(DMST_HORIZONS)}, found {metric!r}, {horizon!r}")
    higher_better = metric == "accuracy"
    runs = [r for r in results if str(r.get("experiment", "")).startswith(f"dmst/{dataset}/")]
    if profile != "best":
        runs = [r for r in runs if r["profile"] == profile]
    label, minutes = METRIC_LABELS[metric], float(horizon.removesuffix("min"))
    cells = result_cells(runs)
    cells = cells[(cells["metric"] == label) & (cells["horizon_min"] == minutes)]

    def better(ours: float, theirs: float) -> bool:
        return bool(ours > theirs) if higher_better else bool(ours < theirs)

    dmst = dmst_experiment(dataset, "DMST-GNODE")
    own, own_values = own_best_means(cells, dmst)
    rows = []
    for rival in CLAIM_RIVALS:
        name = dmst_experiment(dataset, rival)
        comparison = compare_experiments(cells, dmst, name)
        pairing = comparison.pairing
        p_dmst, p_rival = comparison.profiles[dmst], comparison.profiles[name]
        a, b = comparison.value(dmst, label, minutes), comparison.value(name, label, minutes)
        if pairing.compared:
            verdict = (f"DMST-GNODE {'beats' if better(a, b) else 'does not beat'} {rival} "
                       f"({pairing.describe()})")
        else:                                  # each from its own best, not compared
            missing = [m for m, p in (("DMST-GNODE", p_dmst), (rival, p_rival)) if p is None]
            verdict = (f"{NOT_YET_RUN}: {', '.join(missing)}" if missing else
                       f"not compared: {pairing.reason}")
        rows.append({"dataset": dataset, "metric": label, "horizon_min": minutes,
                     "rival": rival, "dmst_gnode": a, "rival_value": b, "difference": a - b,
                     "dmst_gnode_better": pairing.compared and better(a, b),
                     "profile_dmst_gnode": p_dmst or NOT_YET_RUN,
                     "profile_rival": p_rival or NOT_YET_RUN, "seeds": len(pairing.seeds),
                     "verdict": verdict})
    paper = dmst_gnode_reported()
    paper = paper[paper["dataset"].isin(paper_datasets(dataset)) & (paper["model"] == "DMST-GNODE")
                  & (paper["metric"] == label) & (paper["horizon_min"] == minutes)]
    reported = float(paper["value"].iloc[0]) if len(paper) else np.nan
    a = own_values.get((label, minutes), np.nan)
    comparable = dataset not in NOT_COMPARABLE
    if np.isnan(reported):
        verdict = "the paper reports no such figure for this data set"
    elif not comparable:
        verdict = f"not compared: {NOT_COMPARABLE[dataset]}"
    elif own is None:
        verdict = f"{NOT_YET_RUN}: DMST-GNODE"
    else:
        verdict = (f"ours ({own} profile) is {'better' if better(a, reported) else 'worse'} "
                   f"than the paper's; a loose comparison (split and budget differ)")
    rows.append({"dataset": dataset, "metric": label, "horizon_min": minutes,
                 "rival": "DMST-GNODE (paper)", "dmst_gnode": a, "rival_value": reported,
                 "difference": a - reported,
                 "dmst_gnode_better": own is not None and not np.isnan(reported)
                 and comparable and better(a, reported),
                 "profile_dmst_gnode": own or NOT_YET_RUN,
                 "profile_rival": "abstract" if not np.isnan(reported) else "not reported",
                 "seeds": int(cells.loc[(cells["experiment"] == dmst)
                                        & (cells["profile"] == own), "seed"].nunique()),
                 "verdict": verdict})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- Figure 13


CURVE_COLUMNS = ["epoch", "train_loss", "val_loss", "val_mae", "val_rmse_20min",
                 "val_accuracy_20min", "lr"]


def training_curves(result: dict | None) -> pd.DataFrame:
    """Figure 13's curves of one neural run: loss and accuracy per epoch.

    ``train_loss`` is the mean over the epoch's batches of the mean squared error of all
    12 Box-Cox-scaled steps; ``val_loss`` the same error on the validation windows after
    the epoch (the model in eval mode), so the two share units. ``val_mae`` is the
    validation MAE (mean over 20/40/60 min, original units) that selects the best epoch;
    ``val_rmse_20min`` and ``val_accuracy_20min`` are at 20 min. The runs do not record a
    training accuracy, so Figure 13's "training accuracy" curve has no counterpart.

    Returns:
        :data:`CURVE_COLUMNS`, one row per epoch; no rows for ``None``, a classical model
        or a result without history. NaN where an older result lacks a value.
    """
    rows = []
    for h in (result or {}).get("history") or []:
        val = h.get("val") or {}
        at20 = val.get("20min", {})
        rows.append({"epoch": h["epoch"], "train_loss": h.get("train_loss", np.nan),
                     "val_loss": val.get("loss", np.nan), "val_mae": h.get("val_mae", np.nan),
                     "val_rmse_20min": at20.get("rmse", np.nan),
                     "val_accuracy_20min": at20.get("accuracy", np.nan),
                     "lr": h.get("lr", np.nan)})
    frame = pd.DataFrame(rows, columns=CURVE_COLUMNS)
    frame["epoch"] = frame["epoch"].astype(int)
    for column in CURVE_COLUMNS[1:]:
        frame[column] = frame[column].astype(float)
    return frame


# ----------------------------------------------------------------------------- loading runs


def run_scaler(result: dict):
    """The run's fitted scaler, of its ``scaling`` option (Box-Cox with one λ for a result
    that records none: every run before the option existed)."""
    from stgkd.dmst.scaling import DEFAULT_SCALING, scaler_from_dict
    if not result.get("scaler"):
        raise ValueError(f"result {result['experiment']}: expected its Box-Cox 'scaler', "
                         f"found none")
    return scaler_from_dict(result.get("scaling", DEFAULT_SCALING), result["scaler"])


def run_test_windows(result: dict) -> torch.Tensor:
    """The test windows [S, 24, N] of a run, scaled with the run's own stored Box-Cox
    transform, cut by :func:`stgkd.dmst.make_multistep_windows` from its
    ``split_days``."""
    from stgkd.dmst import make_multistep_windows
    from stgkd.dmst.scaling import DEFAULT_SCALING
    return make_multistep_windows(dataset_series(result["dataset"]), tuple(result["split_days"]),
                                  N_HIS, N_PRED, scaler=run_scaler(result),
                                  scaling=result.get("scaling", DEFAULT_SCALING)).test


# ----------------------------------------------------------------------------- Figures 14-16


def target_clock(window: int, step: int, steps_per_day: int) -> str:
    """Time of day ("HH:MM") of the target of test window ``window`` at forecast step
    ``step`` (1-based): a day holds ``steps_per_day - 23`` windows of 24 steps, the
    target of step ``step`` is reading ``window % per_day + 12 + step - 1`` of its day."""
    per_day = steps_per_day - (N_HIS + N_PRED) + 1
    minutes = (window % per_day + N_HIS + step - 1) * 24 * 60 // steps_per_day
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


TRACE_COLUMNS = ["model", "node", "window", "clock", "true", "predicted", "profile", "seed"]


def prediction_traces(results: Iterable[dict], dataset: str, nodes: Sequence[int],
                      n_windows: int = 120, start: int = 0,
                      models: Sequence[str] = TRACE_MODELS, step: int = 4,
                      profile: str = "best",
                      results_dir: str | Path | None = None) -> pd.DataFrame:
    """Figures 14-15: predicted against true readings of chosen nodes over consecutive
    test windows, at forecast step ``step`` (4 = 20 min), in original units.

    Each model's run is the lowest seed of its best profile (or of ``profile``); its
    checkpoint is loaded (:func:`stgkd.runs.load_run_model`) and the test windows ``start ..
    start + n_windows - 1`` of its own split (fewer when the test days end first) are
    forecast; models not run, or classical, give no rows.

    Args:
        nodes: node indices, each 0 <= node < N.

    Returns:
        :data:`TRACE_COLUMNS`: ``model, node, window`` (index into the run's test
        windows), ``clock`` (time of day of the target), ``true, predicted``, ``profile,
        seed``; models in the order given, then nodes, then windows.

    Raises:
        ValueError: a node out of range, ``step`` outside 1 .. 12, or ``start`` past
            the test windows.
    """
    from stgkd.dmst.models import CLASSICAL_MODELS
    from stgkd.dmst.run import predict_windows
    if not 1 <= step <= N_PRED:
        raise ValueError(f"step: expected 1 <= step <= {N_PRED}, found {step}")
    chosen = pick_runs([r for r in results if str(r.get("experiment", "")).startswith("dmst/")],
                       [dmst_experiment(dataset, m) for m in models], profile)
    frames = []
    for model in models:
        run = chosen[dmst_experiment(dataset, model)]
        if run is None or model in CLASSICAL_MODELS:
            continue
        windows = run_test_windows(run)
        n_test, n_nodes = windows.shape[0], windows.shape[-1]
        bad = [n for n in nodes if not 0 <= n < n_nodes]
        if bad:
            raise ValueError(f"nodes: expected indices in 0 .. {n_nodes - 1}, found {bad}")
        if not 0 <= start < n_test:
            raise ValueError(f"start: expected 0 <= start < {n_test} (test windows), found {start}")
        chunk = windows[start:start + n_windows]
        scaler = run_scaler(run)
        predicted = predict_windows(load_run_model(run, results_dir=results_dir), chunk, N_HIS)
        predicted = np.asarray(scaler.inverse(predicted[:, step - 1].double().numpy()))
        true = np.asarray(scaler.inverse(chunk[:, N_HIS + step - 1].double().numpy()))
        index = np.arange(start, start + chunk.shape[0])
        spd = dataset_series(dataset).steps_per_day
        for node in nodes:
            frames.append(pd.DataFrame({
                "model": model, "node": int(node), "window": index,
                "clock": [target_clock(int(w), step, spd) for w in index],
                "true": true[:, node], "predicted": predicted[:, node],
                "profile": run["profile"], "seed": run["seed"]}))
    if not frames:
        return pd.DataFrame(columns=TRACE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[TRACE_COLUMNS]


def station_layout(series) -> tuple[np.ndarray, str]:
    """Positions [N, 2] to draw a data set's stations at, and what they are.

    With known coordinates (``series.coordinates``, [N, 2] latitude/longitude) the
    positions are (longitude, latitude). Without (Los-loop) they are a spectral
    embedding of the distance graph: the eigenvectors of the 2nd and 3rd smallest
    eigenvalues of the normalised Laplacian ``I - D^-1/2 A D^-1/2``, scaled by
    ``D^-1/2``, of ``A = W + 1e-3 * mean(W > 0 weights) / N`` off the diagonal (the small
    uniform weight joins the graph's separate components so that none collapses to a
    point). Neighbours on the road graph land near each other; the axes mean nothing.
    Signs are fixed so each coordinate's largest-magnitude entry is positive.
    """
    if series.coordinates is not None:
        coordinates = np.asarray(series.coordinates, dtype=np.float64)
        return coordinates[:, ::-1].copy(), "longitude / latitude"
    w = np.asarray(series.weights, dtype=np.float64)
    w = (w + w.T) / 2
    n = w.shape[0]
    positive = w[w > 0]
    link = 1e-3 * (positive.mean() if positive.size else 1.0) / n
    a = w + link * (1.0 - np.eye(n))
    inv_sqrt = 1.0 / np.sqrt(a.sum(axis=1))
    laplacian = np.eye(n) - inv_sqrt[:, None] * a * inv_sqrt[None, :]
    _, vectors = np.linalg.eigh(laplacian)
    xy = vectors[:, 1:3] * inv_sqrt[:, None]
    signs = np.sign(xy[np.argmax(np.abs(xy), axis=0), [0, 1]])
    return xy * np.where(signs == 0, 1.0, signs), "spectral embedding of the distance graph"


def network_snapshot(results: Iterable[dict], dataset: str, window: int,
                     model: str = "DMST-GNODE", step: int = 4, profile: str = "best",
                     results_dir: str | Path | None = None) -> pd.DataFrame:
    """Figure 16: one model's forecast for every station at one moment, on the station map.

    Returns:
        One row per node: ``node, x, y`` (:func:`station_layout`; ``frame.attrs["layout"]``
        says what x and y are), ``true, predicted`` (original units, test window
        ``window`` at step ``step``), ``clock``, ``profile``; no rows (and no data
        loaded) when the model has not been run.
    """
    columns = ["node", "x", "y", "true", "predicted", "clock", "profile"]
    results = list(results)
    if pick_runs(results, [dmst_experiment(dataset, model)], profile)[
            dmst_experiment(dataset, model)] is None:
        frame = pd.DataFrame(columns=columns)          # not run: the data need not even exist
        frame.attrs["layout"] = ""
        return frame
    traces = prediction_traces(results, dataset, range(dataset_series(dataset).n_nodes), 1, window,
                               (model,), step, profile, results_dir)
    xy, layout = station_layout(dataset_series(dataset))
    frame = traces.assign(x=xy[traces["node"].to_numpy(int), 0],
                          y=xy[traces["node"].to_numpy(int), 1])[columns]
    frame.attrs["layout"] = layout
    return frame


def graph_matrices(result: dict, results_dir: str | Path | None = None) -> dict:
    """The [N, N] graphs a graph-ODE run propagates on, from its checkpoint.

    ``distance`` and ``pattern`` are the normalised adjacencies ``D^-1/2 (W + I) D^-1/2``
    of the distance graph and the DTW pattern graph (stored in the checkpoint as
    ``distance_hat`` and ``pattern_hat``); ``dynamic`` is DMST-GNODE's learned
    ``softmax(relu(E1 E2^T))`` (each row sums to 1), ``None`` for ST-NODE, which has
    no dynamic graph.

    Returns:
        ``{"distance": ndarray [N, N], "pattern": ndarray [N, N], "dynamic": ndarray
        [N, N] or None}``, float64.

    Raises:
        ValueError: the run's model has no graph ODE (only ST-NODE and DMST-GNODE do).
        FileNotFoundError: the checkpoint is missing.
    """
    from stgkd.nn.dmst_gnode import DynamicGraph
    path = run_checkpoint(result, results_dir)
    checkpoint = read_checkpoint(path, "dmst")
    state = checkpoint["state_dict"]
    if "distance_hat" not in state or "pattern_hat" not in state:
        raise ValueError(f"result {result['experiment']}: expected a graph-ODE model "
                         f"(ST-NODE or DMST-GNODE), found {checkpoint.get('model')!r}")
    matrices = {name: state[f"{name}_hat"].double().numpy() for name in ("distance", "pattern")}
    matrices["dynamic"] = None
    if "dynamic.source" in state:
        source, target = state["dynamic.source"], state["dynamic.target"]
        graph = DynamicGraph(source.shape[0], source.shape[1])
        graph.load_state_dict({"source": source, "target": target})
        with torch.no_grad():
            matrices["dynamic"] = graph().double().numpy()
    return matrices


def graph_summary(matrices: dict) -> pd.DataFrame:
    """How the graphs of :func:`graph_matrices` spread their weight, one row per graph:
    does the pattern graph, or the learned dynamic graph, weigh road neighbours?

    Returns:
        ``graph``; ``off_diagonal_mass`` (share of the matrix's total weight off the
        diagonal, i.e. not on self-loops); ``mass_on_distance_links`` (share of the
        off-diagonal weight on pairs the distance graph links: 1 for the distance graph
        itself); ``distance_link_share`` (share of off-diagonal pairs the distance graph
        links: what a graph blind to the roads would put on them). Graphs that are
        ``None`` are left out.
    """
    linked = np.asarray(matrices["distance"]) > 0
    np.fill_diagonal(linked, False)
    off = ~np.eye(linked.shape[0], dtype=bool)
    rows = []
    for name, matrix in matrices.items():
        if matrix is None:
            continue
        m = np.abs(np.asarray(matrix, dtype=np.float64))
        total, off_total = m.sum(), m[off].sum()
        rows.append({"graph": name,
                     "off_diagonal_mass": off_total / total if total else np.nan,
                     "mass_on_distance_links": (m[linked].sum() / off_total if off_total
                                                else np.nan),
                     "distance_link_share": linked[off].mean()})
    return pd.DataFrame(rows, columns=["graph", "off_diagonal_mass", "mass_on_distance_links",
                                       "distance_link_share"])


def pick_trace_nodes(result: dict, start: int = 0, n_windows: int = 120,
                     step: int = 4) -> list[int]:
    """Two nodes worth tracing in Figures 14-15: the one whose true reading (original
    units) at ``step`` varies most over the run's test windows ``start .. start +
    n_windows - 1`` (a congested node), and the one of median variation (a typical node).

    Returns:
        ``[busiest, typical]`` node indices (the same node twice only when N = 1).
    """
    windows = run_test_windows(result)[start:start + n_windows, N_HIS + step - 1]
    readings = np.asarray(run_scaler(result).inverse(windows.double().numpy()))
    spread = readings.std(axis=0, ddof=1)
    order = np.argsort(spread, kind="stable")
    return [int(order[-1]), int(order[(len(order) - 1) // 2])]


# ----------------------------------------------------------------------------- the models


def variant_parameters(n_nodes: int = 207) -> dict[str, int]:
    """Trainable parameters of DMST-GNODE and of each of its ST-module and ablation
    variants (:func:`stgkd.dmst.variants.dmst_variants`) for ``n_nodes`` nodes, keyed by
    experiment suffix (``"dmst-gnode"``, ``"dmst-gnode-no-ode"``, ...), so a table can
    show a variant's size before anyone has run it. No count depends on the graphs' weights,
    so a ring graph stands in for both."""
    from stgkd.data.graph import ring_graph
    from stgkd.dmst.models import build_model
    from stgkd.dmst.variants import dmst_variants
    w = ring_graph(n_nodes)
    graphs = {"distance": w, "pattern": w}
    options = {"dmst-gnode": {}}
    options |= {f"dmst-gnode-{suffix}": opts for suffix, model, opts, _ in dmst_variants()
                if model == "DMST-GNODE" and "scaling" not in opts}
    with torch.random.fork_rng():
        return {name: count_parameters(build_model("DMST-GNODE", n_nodes, graphs, N_HIS, N_PRED,
                                                   **opts))
                for name, opts in options.items()}


def model_overview(n_nodes: int = 207, distance_weights: np.ndarray | None = None) -> pd.DataFrame:
    """The ten models of the comparison: kind, trainable parameters and a one-line
    description (:data:`stgkd.dmst.MODEL_DESCRIPTIONS`).

    Counts are those of :func:`stgkd.baselines.parameter_counts` and of ST-NODE and
    DMST-GNODE as :func:`stgkd.dmst.build_model` builds them for ``n_nodes`` nodes. Only
    TGC-LSTM's depends on a graph (the 3-hop neighbourhoods of the distance graph): pass
    the data set's ``distance_weights`` for its true count, else a ring graph stands in.
    No count depends on the pattern graph, so the distance graph stands in for it.

    Returns:
        ``model, kind`` ("statistical", "machine learning" or "neural"),
        ``parameters`` (<NA> for ARIMA and SVR, whose fitted coefficients are not
        trained weights) and ``description``, in the paper's order.
    """
    from stgkd.baselines import parameter_counts
    from stgkd.data.graph import ring_graph
    from stgkd.dmst.models import MODEL_DESCRIPTIONS, build_model
    w = ring_graph(n_nodes) if distance_weights is None else np.asarray(distance_weights)
    graphs = {"distance": w, "pattern": w}
    counts = parameter_counts(n_nodes, graphs)
    with torch.random.fork_rng():
        for name in ("ST-NODE", "DMST-GNODE"):
            counts[name] = count_parameters(build_model(name, n_nodes, graphs, N_HIS, N_PRED))
    kinds = {"ARIMA": "statistical", "SVR": "machine learning"}
    frame = pd.DataFrame([{"model": m, "kind": kinds.get(m, "neural"), "parameters": counts.get(m),
                           "description": MODEL_DESCRIPTIONS[m]} for m in _models()])
    frame["parameters"] = frame["parameters"].astype("Int64")
    return frame


# ----------------------------------------------------------------------------- readings


READING_COLUMNS = ["dataset", "model", "scaling", "st_module", "without", "experiment",
                   "profile", "seeds", "val_mae", "val_mae_std", "rmse_20min", "rmse_20min_std",
                   "mae_20min", "rmse_60min", "parameters"]


def run_reading(result: dict) -> dict:
    """A run's reading of the comparison: ``scaling``, and for DMST-GNODE ``st_module``
    and ``without`` (``reading`` in the result; a run stored before the options existed
    ran the defaults: Box-Cox with one λ, the ``"stgcn"`` module, nothing left out)."""
    from stgkd.dmst.models import model_options
    from stgkd.dmst.scaling import DEFAULT_SCALING
    stored = dict(result.get("reading") or {})
    scaling = stored.pop("scaling", result.get("scaling", DEFAULT_SCALING))
    model = result.get("model") or result.get("paper_row")
    options = model_options(model, stored) if model == "DMST-GNODE" else {}
    return {"scaling": scaling, **options}


def dmst_readings_table(results: Iterable[dict], dataset: str = "losloop",
                        profile: str = "best") -> pd.DataFrame:
    """Every ``dmst/<dataset>/...`` experiment run, pinned reading and variants alike, one
    row each with the reading it ran: the option comparison and the ablation table.

    Returns:
        :data:`READING_COLUMNS`: ``dataset, model, scaling, st_module, without`` (""
        for models without those options; ``without`` joined by "+"), ``experiment,
        profile, seeds``, the mean and standard deviation over seeds of the best epoch's
        validation MAE (mean over 20/40/60 min, the selection criterion; NaN for
        ARIMA and SVR), the test RMSE at 20 min (mean and standard deviation), the test
        MAE at 20 min and RMSE at 60 min (means), and ``parameters``. Sorted by model
        (the paper's order), then experiment.
    """
    runs = best_profile_results([r for r in results
                                 if str(r.get("experiment", "")).startswith(f"dmst/{dataset}/")],
                                profile)
    by_experiment: dict[str, list[dict]] = {}
    for r in runs:
        by_experiment.setdefault(r["experiment"], []).append(r)
    rows = []
    for name, mine in by_experiment.items():
        reading = run_reading(mine[0])
        val = [np.mean([r["val"][h]["mae"] for h in DMST_HORIZONS]) if r.get("val") else np.nan
               for r in mine]
        rmse20 = [r["test"]["20min"]["rmse"] for r in mine]
        rows.append({"dataset": dataset, "model": mine[0].get("model") or mine[0]["paper_row"],
                     "scaling": reading["scaling"], "st_module": reading.get("st_module", ""),
                     "without": "+".join(reading.get("without", [])), "experiment": name,
                     "profile": mine[0]["profile"], "seeds": len(mine),
                     "val_mae": float(np.mean(val)),
                     "val_mae_std": float(np.std(val, ddof=1)) if len(val) > 1 else np.nan,
                     "rmse_20min": float(np.mean(rmse20)),
                     "rmse_20min_std": float(np.std(rmse20, ddof=1)) if len(mine) > 1 else np.nan,
                     "mae_20min": float(np.mean([r["test"]["20min"]["mae"] for r in mine])),
                     "rmse_60min": float(np.mean([r["test"]["60min"]["rmse"] for r in mine])),
                     "parameters": mine[0].get("parameters")})
    table = pd.DataFrame(rows, columns=READING_COLUMNS)
    order = {m: i for i, m in enumerate(_models())}
    table = table.sort_values(["model", "experiment"], key=lambda c: c.map(order)
                              if c.name == "model" else c).reset_index(drop=True)
    table["parameters"] = table["parameters"].astype("Int64")
    return table
