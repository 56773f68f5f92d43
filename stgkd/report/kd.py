"""The KD paper's distillation results beyond the metric tables: Table 3 (how often the
teacher's output replaced the target), Table 6 (hyperparameters as run), the paper's
central claim (LSTCD beats the student without distillation), Figure 3 (training curves
and predicted against true speed) and the t-SNE plot of the representation that enters
the output layer.

Every function takes run results in the form of the result JSON files
(``stgkd.runs.load_results()``); the paper's numbers come from
:mod:`stgkd.reference` only, ours from the results and from
:data:`stgkd.registry.EXPERIMENTS`.

>>> from stgkd.report import teacher_share_table
>>> sorted(set(teacher_share_table([])["profile"]))       # no runs yet
['not yet run']
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from stgkd.data import DEFAULT_SPLITS, make_windows
from stgkd.data.windows import WindowedData
from stgkd.registry import EXPERIMENTS, KD_ROWS, KD_SETTINGS
from stgkd.reference import kd_table, paper_datasets
from stgkd.report.comparison import (NOT_YET_RUN, best_candidates, canonical_row,
                                     compare_experiments, fill_from_best, result_cells,
                                     seed_statistics)
from stgkd.report.settings import agreed_settings, defined_settings
from stgkd.runs import (best_profile_results, check_profile, read_checkpoint, run_checkpoint,
                        stgcn_from_state)

# Error metrics of the KD tables: lower is better.
ERROR_METRICS: tuple[str, ...] = ("MAE", "MAPE", "RMSE")
# The paper's claim (Section 4.4, Table 4) is about MAE and RMSE at 15, 30 and 45 min.
CLAIM_METRICS: tuple[str, ...] = ("MAE", "RMSE")
CLAIM_HORIZONS: tuple[float, ...] = (15.0, 30.0, 45.0)

# Our data set -> the Table 6 column its hyperparameters follow. The paper tunes on
# PeMSD7 and PeMSD8 only; our Los-loop runs use the PeMSD7 values (KD_SETTINGS).
TABLE6_COLUMN: dict[str, str] = {"pemsd7m": "PeMSD7", "losloop": "PeMSD7", "pems08": "PeMSD8"}
# Table 6's columns, in the paper's order; our hyperparameter names are the same.
TABLE6_SETTINGS: tuple[str, ...] = ("batch_size", "learning_rate", "alpha1", "alpha2", "alpha3",
                                    "alpha", "beta")
TABLE6_LABELS: dict[str, str] = {"batch_size": "Batch Size", "learning_rate": "Learning Rate",
                                 "alpha1": "α1", "alpha2": "α2", "alpha3": "α3", "alpha": "α",
                                 "beta": "β"}


# ----------------------------------------------------------------------------- run selection


def kd_experiments(dataset: str) -> list[str]:
    """The KD experiments of one data set in Figure 3's order: teacher, student without
    KD, then one distilled student per loss of :data:`stgkd.registry.KD_ROWS`.

    Raises:
        ValueError: ``dataset`` has no KD experiments.
    """
    if dataset not in KD_SETTINGS:
        raise ValueError(f"dataset: expected one of {sorted(KD_SETTINGS)}, found {dataset!r}")
    return [f"kd/{dataset}/teacher", f"kd/{dataset}/student-no-kd",
            *(f"kd/{dataset}/student-{loss}" for loss in KD_ROWS if loss in KD_SETTINGS[dataset])]


# ----------------------------------------------------------------------------- Table 3


def teacher_shares(results: Iterable[dict], profile: str = "best") -> pd.DataFrame:
    """Our Table 3 figure per experiment: the share (%) of (sample, node) training
    targets where the teacher's output replaced the target (LORD, LTCD, LSCD, LSTCD).

    Results without ``teacher_share`` (the other losses) are left out.

    Returns:
        One row per (profile, experiment): ``profile, experiment, our_dataset,
        paper_row, ours_pct`` (100 * mean over seeds), ``ours_std`` (sample standard
        deviation in percentage points, NaN for one seed) and ``seeds``.
    """
    check_profile(profile)
    rows = [{"profile": r["profile"], "experiment": r["experiment"], "our_dataset": r["dataset"],
             "paper_row": r.get("paper_row") or "", "pct": 100.0 * float(r["teacher_share"])}
            for r in results if r.get("teacher_share") is not None
            and (profile == "best" or r["profile"] == profile)]
    frame = pd.DataFrame(rows, columns=["profile", "experiment", "our_dataset", "paper_row", "pct"])
    return (frame.groupby(["profile", "experiment", "our_dataset", "paper_row"], sort=True)["pct"]
            .agg(ours_pct="mean", ours_std="std", seeds="count").reset_index())


def teacher_share_table(results: Iterable[dict], profile: str = "best") -> pd.DataFrame:
    """KD paper Table 3 ("ratios of attention to teacher prediction") beside ours.

    Args:
        results: run results; those with a ``teacher_share`` fill the cell of their
            ``dataset`` and ``paper_row`` (with or without the "(ours)" mark).
        profile: ``"best"`` (full, else quick, else smoke, per cell) or one profile.

    Returns:
        One row per paper cell, in the paper's order: ``dataset`` (paper name),
        ``our_dataset``, ``model``, ``paper_pct``, ``ours_pct`` (mean over seeds of
        100 * teacher_share), ``ours_std``, ``seeds``, ``difference`` (ours - paper,
        percentage points), ``profile`` (the one used, or :data:`NOT_YET_RUN`) and
        ``experiment``.

    Raises:
        ValueError: an unknown ``profile``, or two experiments of one profile fill one cell.
    """
    shares = teacher_shares(results, profile)
    cells = (kd_table(3).rename(columns={"value": "paper_pct"})
             [["dataset", "our_dataset", "model", "paper_pct"]].reset_index(drop=True))
    candidates = (cells.rename_axis("cell").reset_index()
                  .assign(match=cells["model"].map(canonical_row))
                  .merge(shares.assign(match=shares["paper_row"].map(canonical_row)),
                         on=["our_dataset", "match"]))
    best = best_candidates(candidates).set_index("cell")
    return fill_from_best(cells, best, "ours_pct", "paper_pct")


# ----------------------------------------------------------------------------- Table 6


def hyperparameter_table(results: Iterable[dict] | None = None) -> pd.DataFrame:
    """KD paper Table 6 as run beside the paper: batch size, learning rate and loss
    weights of every distilled student of :data:`stgkd.registry.KD_SETTINGS`.

    Our values ("as run") come from :data:`stgkd.registry.EXPERIMENTS`; the paper's
    from :func:`stgkd.reference.kd_table` (6). Los-loop, which the paper does not use,
    is compared with the PeMSD7 column (:data:`TABLE6_COLUMN`); LTCD and LSCD have no
    Table 6 row (they run with LSTCD's alpha1 and alpha3), so their paper values are NaN.

    Args:
        results: optional run results; when given, ``stored`` holds the values the
            stored runs of the best profile recorded (``train_config`` and
            ``hyperparameters``), NaN where no run is stored.

    Returns:
        One row per (data set, loss, setting): ``our_dataset, table6_column`` (the
        paper column compared, "" where the paper has no row), ``model`` (our paper
        row, e.g. "Student LSTCD"), ``loss, setting`` (e.g. "alpha1"), ``as_run``,
        ``paper``, ``same_as_paper`` (True/False, NA without a paper value) and, with
        ``results``, ``stored``.
    """
    paper = kd_table(6)
    paper = paper.assign(row="Student " + paper["model"].map(canonical_row))
    stored_runs = best_profile_results(results) if results is not None else []
    rows = []
    for dataset, settings in KD_SETTINGS.items():
        column = TABLE6_COLUMN[dataset]
        for loss in settings:
            experiment = EXPERIMENTS[f"kd/{dataset}/student-{loss}"]
            ours = defined_settings(experiment)
            theirs = paper[(paper["dataset"] == column) & (paper["row"] == KD_ROWS[loss])]
            theirs = dict(zip(theirs["metric"], theirs["value"].astype(float)))
            runs = [r for r in stored_runs if r["experiment"] == experiment.name]
            stored = agreed_settings(runs) if runs else {}
            for setting in [s for s in TABLE6_SETTINGS if s in ours or s in theirs]:
                value, reference = ours.get(setting, np.nan), theirs.get(setting, np.nan)
                rows.append({
                    "our_dataset": dataset, "table6_column": column if theirs else "",
                    "model": experiment.paper_row, "loss": loss, "setting": setting,
                    "as_run": value, "paper": reference,
                    "same_as_paper": (pd.NA if np.isnan(reference)
                                      else bool(np.isclose(value, reference))),
                    "stored": stored.get(setting, np.nan)})
    table = pd.DataFrame(rows)
    table["same_as_paper"] = table["same_as_paper"].astype("boolean")
    return table if results is not None else table.drop(columns="stored")


def _setting_cell(row: pd.Series) -> str:
    """One Table 6 cell for the book: our value, and the paper's where it differs."""
    ours, paper = row["as_run"], row["paper"]
    if np.isnan(ours):
        return f"– (paper {paper:g})"
    differs = not np.isnan(paper) and not np.isclose(ours, paper)
    return f"{ours:g} (paper {paper:g})" if differs else f"{ours:g}"


def hyperparameter_view(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`hyperparameter_table` in Table 6's layout: one row per (data set, model),
    one column per setting (our value; "(paper x)" added where the paper's differs,
    "–" where the loss has no such weight), then which Table 6 column was compared
    and, when the table has ``stored``, whether the stored runs used these values."""
    rows = {}
    for (dataset, model), group in table.groupby(["our_dataset", "model"], sort=False):
        row = {TABLE6_LABELS[s]: "–" for s in TABLE6_SETTINGS}
        for _, setting in group.iterrows():
            row[TABLE6_LABELS[setting["setting"]]] = _setting_cell(setting)
        column = group["table6_column"].iloc[0]
        agree = group["same_as_paper"].dropna()
        row["Table 6"] = (f"no row; LSTCD's α1, α3 ({TABLE6_COLUMN[dataset]})" if not column
                          else f"{column}: {'all equal' if agree.all() else 'differs'}")
        if "stored" in group:
            stored = group["stored"]
            row["stored runs"] = ("none" if stored.isna().all() else
                                  "agree" if np.allclose(stored.fillna(group["as_run"]),
                                                         group["as_run"], equal_nan=True)
                                  else "differ")
        rows[(dataset, model)] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["dataset", "model"])
    return out


# ----------------------------------------------------------------------------- the claim


def claim_check(results: Iterable[dict], dataset: str = "pemsd7m",
                profile: str = "best") -> pd.DataFrame:
    """The KD paper's central claim (Section 4.4, Table 4): the student distilled with
    LSTCD has lower MAE and RMSE than the student without distillation at 15, 30 and 45 min.

    The two students are compared in one profile (the best that holds both, or
    ``profile``), each averaged over the seeds both have there
    (:func:`~stgkd.report.comparison.pair_on_common_seeds`). When they share no profile
    or no seed, each is shown from its own best profile (mean over its seeds) and the
    comparison is not made.

    Returns:
        Six rows (MAE, RMSE x 15/30/45 min): ``metric, horizon_min, student_no_kd,
        student_lstcd`` (NaN when not run), ``lstcd_better`` (False unless compared),
        ``profile_no_kd, profile_lstcd`` (profile shown, or :data:`NOT_YET_RUN`),
        ``seeds`` (paired seeds averaged; 0 when not compared) and the paper's Table 4
        values ``paper_no_kd, paper_lstcd`` (NaN for a data set the paper does not use).

    Raises:
        ValueError: ``dataset`` has no KD experiments, or an unknown ``profile``.
    """
    check_profile(profile)
    names = kd_experiments(dataset)
    no_kd, lstcd = names[1], f"kd/{dataset}/student-lstcd"
    cells = result_cells(results)
    cells = cells[cells["experiment"].isin([no_kd, lstcd])]
    if profile != "best":
        cells = cells[cells["profile"] == profile]
    comparison = compare_experiments(cells, no_kd, lstcd)
    pairing, chosen = comparison.pairing, comparison.profiles
    paper = kd_table(4)
    paper = paper[paper["dataset"].isin(paper_datasets(dataset))]
    paper = paper.assign(row=paper["model"].map(canonical_row))

    def theirs(row: str, metric: str, horizon: float) -> float:
        hit = paper[(paper["row"] == row) & (paper["metric"] == metric)
                    & (paper["horizon_min"] == horizon)]
        return float(hit["value"].iloc[0]) if len(hit) else np.nan

    rows = []
    for metric in CLAIM_METRICS:
        for horizon in CLAIM_HORIZONS:
            base = comparison.value(no_kd, metric, horizon)
            distilled = comparison.value(lstcd, metric, horizon)
            rows.append({
                "metric": metric, "horizon_min": horizon, "student_no_kd": base,
                "student_lstcd": distilled,
                # NaN comparisons are False: a missing run never supports the claim
                "lstcd_better": pairing.compared and bool(distilled < base),
                "profile_no_kd": chosen[no_kd] or NOT_YET_RUN,
                "profile_lstcd": chosen[lstcd] or NOT_YET_RUN,
                "seeds": len(pairing.seeds),
                "paper_no_kd": theirs(EXPERIMENTS[no_kd].paper_row, metric, horizon),
                "paper_lstcd": theirs(KD_ROWS["lstcd"], metric, horizon)})
    return pd.DataFrame(rows)


def loss_scale_table(results: Iterable[dict], dataset: str = "pemsd7m",
                     profile: str = "best") -> pd.DataFrame:
    """How much LSTCD's correlation terms weigh in the loss (eq. 11), beside whether the
    student beats the student without distillation: the reading of eq. 6's sum against
    the alternative with LORD as a mean (``student-lstcd-mean``).

    Per run of ``dataset`` that recorded ``loss_terms`` (LORD, LTCD, LSCD, LSTCD and
    its mean variant), the mean over seeds of each weighted term over the training steps
    the run recorded (those since its last resume), and its test errors against the
    student without KD of the same selection (each experiment's best profile, or
    ``profile``).

    Returns:
        Columns ``experiment, profile, seeds, weighted_lord, weighted_ltcd,
        weighted_lscd, correlation_share_pct`` (100 * (LTCD + LSCD) / all three
        weighted terms), ``mae_45, no_kd_mae_45`` and ``better_cells`` (of the six MAE
        and RMSE cells at 15/30/45 min, how many are lower than the student without
        KD's; 0 where that student is not run).

    Raises:
        ValueError: ``dataset`` has no KD experiments, or an unknown ``profile``.
    """
    no_kd = kd_experiments(dataset)[1]
    chosen = [r for r in best_profile_results(results, profile) if r["dataset"] == dataset]
    stats = seed_statistics(result_cells(chosen)) if chosen else pd.DataFrame(
        columns=["experiment", "metric", "horizon_min", "ours"])

    def error(experiment: str, metric: str, horizon: float) -> float:
        hit = stats[(stats["experiment"] == experiment) & (stats["metric"] == metric)
                    & (stats["horizon_min"] == horizon)]
        return float(hit["ours"].iloc[0]) if len(hit) else np.nan

    rows = []
    for experiment in sorted({r["experiment"] for r in chosen if r.get("loss_terms")}):
        runs = [r for r in chosen if r["experiment"] == experiment and r.get("loss_terms")]
        terms = {k: float(np.mean([r["loss_terms"].get(f"weighted_{k}", 0.0) for r in runs]))
                 for k in ("lord", "ltcd", "lscd")}
        total = sum(terms.values())
        better = sum(error(experiment, m, h) < error(no_kd, m, h)
                     for m in CLAIM_METRICS for h in CLAIM_HORIZONS)
        rows.append({"experiment": experiment, "profile": runs[0]["profile"],
                     "seeds": len(runs), **{f"weighted_{k}": v for k, v in terms.items()},
                     "correlation_share_pct": 100 * (terms["ltcd"] + terms["lscd"]) / total
                     if total else np.nan,
                     "mae_45": error(experiment, "MAE", 45.0),
                     "no_kd_mae_45": error(no_kd, "MAE", 45.0), "better_cells": int(better)})
    return pd.DataFrame(rows, columns=["experiment", "profile", "seeds", "weighted_lord",
                                       "weighted_ltcd", "weighted_lscd",
                                       "correlation_share_pct", "mae_45", "no_kd_mae_45",
                                       "better_cells"])


def within_tolerance(table: pd.DataFrame, tolerance_pct: float = 8.0) -> pd.DataFrame:
    """Per paper row, whether every filled cell of a comparison table is within
    ``tolerance_pct`` of the paper or better (error metrics: ours <= paper * (1 + tol/100)).

    Args:
        table: a :func:`~stgkd.report.comparison.comparison_table` of error metrics
            (MAE, MAPE, RMSE), e.g. Table 2, 4 or 5.

    Returns:
        One row per (data set, model) in the table's order: ``dataset, model, cells``
        (paper cells), ``filled`` (cells we have a number for), ``within`` (filled
        cells within tolerance), ``worst_relative_difference_pct`` (largest 100 *
        (ours - paper) / paper), ``all_within`` (True only when something is filled
        and all of it is within), ``verdict`` (a sentence for the book) and
        ``profile`` (profiles used).

    Raises:
        ValueError: a negative tolerance, or a metric that is not an error metric.
    """
    if tolerance_pct < 0:
        raise ValueError(f"tolerance_pct: expected a non-negative percentage, "
                         f"found {tolerance_pct!r}")
    others = sorted(set(table["metric"]) - set(ERROR_METRICS))
    if others:
        raise ValueError(f"table: expected error metrics {list(ERROR_METRICS)} only (lower is "
                         f"better), found {others}")
    limit = table["paper_value"] * (1.0 + tolerance_pct / 100.0)
    table = table.assign(filled=table["ours"].notna(), within=table["ours"] <= limit)
    rows = []
    for (dataset, model), group in table.groupby(["dataset", "model"], sort=False):
        filled, within = int(group["filled"].sum()), int(group["within"].sum())
        all_within = filled > 0 and within == filled
        verdict = (NOT_YET_RUN if filled == 0 else
                   f"all within {tolerance_pct:g}%" if all_within else
                   f"{within} of {filled} within {tolerance_pct:g}%")
        rows.append({"dataset": dataset, "model": model, "cells": len(group), "filled": filled,
                     "within": within,
                     "worst_relative_difference_pct": group["relative_difference_pct"].max(),
                     "all_within": all_within, "verdict": verdict,
                     "profile": ", ".join(dict.fromkeys(group["profile"]))})
    return pd.DataFrame(rows, columns=["dataset", "model", "cells", "filled", "within",
                                       "worst_relative_difference_pct", "all_within",
                                       "verdict", "profile"])


# ----------------------------------------------------------------------------- Figure 3


def training_curves(results: Iterable[dict], dataset: str) -> pd.DataFrame:
    """Figure 3's convergence curves: the training history of every run on ``dataset``.

    Returns:
        One row per run and epoch: ``experiment, paper_row, profile, seed, epoch,
        train_loss, val_mae`` (validation MAE in mph, the mean over the three horizons
        as :func:`stgkd.train.fit` records it). Pass
        :func:`best_profile_results` to keep one profile per experiment.
    """
    rows = [{"experiment": r["experiment"], "paper_row": r.get("paper_row") or "",
             "profile": r["profile"], "seed": r["seed"], "epoch": h["epoch"],
             "train_loss": h["train_loss"], "val_mae": h["val_mae"]}
            for r in results if r["dataset"] == dataset for h in r.get("history", [])]
    return pd.DataFrame(rows, columns=["experiment", "paper_row", "profile", "seed", "epoch",
                                       "train_loss", "val_mae"])


def _check_scaler(path: Path, state: dict, data: WindowedData) -> None:
    """A checkpoint that records its z-score must match the windows it is shown on.

    Raises:
        ValueError: the run was trained on another split (e.g. a smoke run's one day).
    """
    scaler = state.get("scaler")
    if scaler is None:
        return
    if not np.allclose([scaler["mean"], scaler["std"]], [data.scaler.mean, data.scaler.std]):
        raise ValueError(f"data: the run {path} was trained with z-score mean {scaler['mean']:.4f}"
                         f" and std {scaler['std']:.4f}, the windows have {data.scaler.mean:.4f} "
                         f"and {data.scaler.std:.4f}; make the windows with the run's split_days")


def prediction_trace(result: dict, data: WindowedData, weights: np.ndarray, node: int,
                     n_windows: int = 50, start: int = 0, step: int = 3,
                     results_dir: str | Path | None = None) -> pd.DataFrame:
    """Figure 3's predicted against true speed of one station over consecutive test windows.

    Loads the run's checkpoint, rolls out test windows ``start .. start + n_windows - 1``
    (9 steps each, as in the evaluation) and keeps step ``step`` (3 = 15 min) of
    ``node``, in mph (``data.scaler.inverse``).

    Args:
        result: a run result; its checkpoint is found with :func:`run_checkpoint`.
        data: the windows of the run's data set and split (``result["split_days"]``).
        weights: [N, N] graph weights of the data set (``series.weights``).
        node: station index, 0 <= node < N.

    Returns:
        ``window`` (index into ``data.test``), ``true_mph``, ``predicted_mph``.

    Raises:
        ValueError: ``node``, ``step`` or the window range out of bounds, or the run's
            scaler is not that of ``data``.
    """
    from stgkd.evaluate import forecast

    n_test, n_nodes = data.test.shape[0], data.test.shape[-1]
    if not 0 <= node < n_nodes:
        raise ValueError(f"node: expected 0 <= node < {n_nodes}, found {node}")
    if not 1 <= step <= data.n_pred:
        raise ValueError(f"step: expected 1 <= step <= {data.n_pred}, found {step}")
    if start < 0 or n_windows < 1 or start + n_windows > n_test:
        raise ValueError(f"start, n_windows: expected a range inside the {n_test} test windows, "
                         f"found {start} .. {start + n_windows - 1}")
    path = run_checkpoint(result, results_dir)
    state = read_checkpoint(path, "stgcn")
    _check_scaler(path, state, data)
    model = stgcn_from_state(state, weights)
    windows = data.test[start:start + n_windows]
    predicted = forecast(model, windows, data.n_his, data.n_pred)[:, step - 1, node]
    true = windows[:, data.n_his + step - 1, node]
    return pd.DataFrame({"window": np.arange(start, start + n_windows),
                         "true_mph": data.scaler.inverse(true.double().numpy()),
                         "predicted_mph": data.scaler.inverse(predicted.double().numpy())})


class RunWindows:
    """The windows a run was trained on, built once per split: ``windows(run)``.

    Runs of one data set may use different splits (a smoke run's one day, the paper's
    34/5/5 days); each run's forecasts must be shown on the windows and z-score of its own
    ``split_days`` (else the data set's default split). Building PeMSD7(M)'s windows takes
    seconds, so each split is built once and reused for every run that shares it.

    Args:
        series: the loaded data set (``stgkd.data.load_series(dataset)``).
        dataset: its name, for the default split of runs that record none.
    """

    def __init__(self, series, dataset: str):
        self.series, self.dataset = series, dataset
        self._by_split: dict[tuple, WindowedData] = {}

    def split_of(self, run: dict) -> tuple:
        """The (train, val, test) days of ``run``."""
        return tuple(run.get("split_days") or DEFAULT_SPLITS[self.dataset])

    def __call__(self, run: dict) -> WindowedData:
        split = self.split_of(run)
        if split not in self._by_split:
            self._by_split[split] = make_windows(self.series, split)
        return self._by_split[split]


def most_variable_node(data: WindowedData, start: int = 0, n_windows: int = 50,
                       step: int = 3) -> int:
    """The station whose true speed at ``step`` varies most over the test windows
    ``start .. start + n_windows - 1``: a trace worth looking at (e.g. a rush-hour dip)."""
    true = data.test[start:start + n_windows, data.n_his + step - 1]
    return int(torch.argmax(true.std(dim=0)))


def window_clock(data: WindowedData, window: int, step: int, steps_per_day: int) -> str:
    """Time of day ("HH:MM") of the target of test window ``window`` at ``step``: the
    axis of a prediction trace in words. Windows never cross a day, so a day holds
    ``steps_per_day - (n_his + n_pred) + 1`` of them.

    Raises:
        ValueError: ``window`` outside the test windows, or ``step`` outside 1 .. n_pred.
    """
    if not 0 <= window < data.test.shape[0]:
        raise ValueError(f"window: expected 0 <= window < {data.test.shape[0]}, found {window}")
    if not 1 <= step <= data.n_pred:
        raise ValueError(f"step: expected 1 <= step <= {data.n_pred}, found {step}")
    per_day = steps_per_day - (data.n_his + data.n_pred) + 1
    minutes = (window % per_day + data.n_his + step - 1) * 24 * 60 // steps_per_day
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# ----------------------------------------------------------------------------- t-SNE


@torch.no_grad()
def output_layer_inputs(model, windows: torch.Tensor, batch_size: int = 32) -> np.ndarray:
    """The representation that enters the output layer (the last ST block's output)
    for each window, flattened: the input of the paper's t-SNE plots.

    Args:
        model: an STGCN.
        windows: [S, >= n_his, N] z-scored windows; the first ``n_his`` steps are used.

    Returns:
        [S, C * T * N] float32, C the last block's channels and T the steps left.
    """
    from stgkd.nn.stgcn import Hidden

    n_his = model.config["n_his"]
    if windows.ndim != 3 or windows.shape[1] < n_his:
        raise ValueError(f"windows: expected [S, >= {n_his}, N], found {list(windows.shape)}")
    was_training = model.training
    model.eval()
    parts = []
    for first in range(0, windows.shape[0], batch_size):
        hidden = Hidden()
        model(windows[first:first + batch_size, None, :n_his], hidden=hidden)
        last = hidden.blocks[-1]                              # [B, C, T, N]
        parts.append(last.reshape(last.shape[0], -1).numpy())
    model.train(was_training)
    return np.concatenate(parts, axis=0).astype(np.float32)


def tsne_embedding(features_by_model: dict[str, np.ndarray], seed: int = 0,
                   perplexity: float = 15.0) -> pd.DataFrame:
    """Two-dimensional t-SNE of each model's representation, the paper's t-SNE plots.

    Teacher and student representations have different sizes (e.g. 128 against 8
    channels), so each model gets its own t-SNE (exact gradient, PCA start, fixed
    ``random_state``: the same numbers on every run). Their coordinates are therefore
    not comparable between models; the shapes are.

    Args:
        features_by_model: model name -> [S, D] features (rows: windows).
        perplexity: t-SNE perplexity, below the number of windows.

    Returns:
        ``model, window`` (row index), ``x, y``, models in the given order.

    Raises:
        ValueError: features not [S, D] with S > perplexity.
    """
    from sklearn.manifold import TSNE

    frames = []
    for name, features in features_by_model.items():
        features = np.asarray(features, dtype=np.float64)
        if features.ndim != 2 or features.shape[0] <= perplexity:
            raise ValueError(f"features_by_model[{name!r}]: expected [S, D] with S > perplexity "
                             f"{perplexity:g}, found shape {list(features.shape)}")
        xy = TSNE(n_components=2, perplexity=perplexity, init="pca", learning_rate="auto",
                  method="exact", random_state=seed).fit_transform(features)
        frames.append(pd.DataFrame({"model": name, "window": np.arange(len(xy)),
                                    "x": xy[:, 0], "y": xy[:, 1]}))
    if not frames:
        return pd.DataFrame(columns=["model", "window", "x", "y"])
    return pd.concat(frames, ignore_index=True)


def neighbour_overlap(reference: np.ndarray, other: np.ndarray, k: int = 5) -> float:
    """Mean share of each window's ``k`` nearest windows (Euclidean) that two
    representations have in common: 1 when the student orders the windows as the
    teacher does, about k / (S - 1) by chance. A number for what the t-SNE plots show,
    computed in the original spaces, so free of t-SNE's randomness.

    Raises:
        ValueError: different numbers of windows, or ``k`` not in 1 .. S - 1.
    """
    reference, other = np.asarray(reference, dtype=np.float64), np.asarray(other, np.float64)
    if reference.shape[0] != other.shape[0]:
        raise ValueError(f"other: expected {reference.shape[0]} windows like reference, "
                         f"found {other.shape[0]}")
    if not 1 <= k < reference.shape[0]:
        raise ValueError(f"k: expected 1 <= k < {reference.shape[0]}, found {k}")

    def neighbours(features: np.ndarray) -> np.ndarray:
        squared = (features ** 2).sum(axis=1)
        distances = squared[:, None] + squared[None, :] - 2.0 * features @ features.T
        np.fill_diagonal(distances, np.inf)               # a window is not its own neighbour
        return np.argsort(distances, axis=1, kind="stable")[:, :k]

    ours, theirs = neighbours(reference), neighbours(other)
    shared = [len(set(a) & set(b)) for a, b in zip(ours, theirs)]
    return float(np.mean(shared) / k)
