"""Which target scaling serves each graph model of the DMST comparison best, read from the
option comparison (:func:`stgkd.report.dmst.dmst_readings_table`).

The rule is fixed in advance and uses no test data: the scaling with the lowest mean
validation MAE (over 20/40/60 min, in mph) among those run for the model. The test RMSE
at 20 min is carried along for the reader, never used to choose.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from stgkd.dmst.scaling import DEFAULT_SCALING
from stgkd.dmst.variants import SCALING_MODELS

CHOICE_COLUMNS = ["model", "scalings_run", "best", "best_val_mae", "best_seeds",
                  "best_rmse_20min", "pinned_val_mae", "pinned_seeds", "pinned_rmse_20min"]


def plain_readings(readings: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`~stgkd.report.dmst.dmst_readings_table` that differ from the
    pinned reading in their scaling at most: no ablation, the default ST module."""
    return readings[(readings["without"] == "") & readings["st_module"].isin(["", "stgcn"])]


def scaling_side_by_side(readings: pd.DataFrame, scaling: str) -> pd.DataFrame:
    """Every model of the DMST comparison (rows, the paper's order) under ``scaling`` and
    under the pinned scaling: columns ``(scaling, what)`` for ``what`` in ``n`` (seeds, 0
    where not run), ``validation MAE``, ``RMSE 20 min``, ``RMSE 60 min``; the pinned
    scaling's group is labelled "<scaling> (pinned)"."""
    from stgkd.dmst.models import MODELS
    plain = plain_readings(readings)
    columns = (("seeds", "n"), ("val_mae", "validation MAE"), ("rmse_20min", "RMSE 20 min"),
               ("rmse_60min", "RMSE 60 min"))
    table = pd.DataFrame({
        (side if side == scaling else f"{side} (pinned)", what):
            plain[plain["scaling"] == side].set_index("model")[column].reindex(list(MODELS))
        for side in (scaling, DEFAULT_SCALING) for column, what in columns})
    for column in [c for c in table.columns if c[1] == "n"]:
        table[column] = table[column].fillna(0).astype(int)
    return table.rename_axis("model")


def scaling_choice(readings: pd.DataFrame,
                   models: Iterable[str] = SCALING_MODELS) -> pd.DataFrame:
    """One row per model of ``models`` with at least one run under a plain reading (no
    ablation, the default ST module): ``scalings_run`` (how many scalings have a run),
    ``best`` (the scaling with the lowest mean validation MAE), its ``best_val_mae``,
    ``best_seeds`` and ``best_rmse_20min``, and the same three for the pinned scaling
    (:data:`~stgkd.dmst.scaling.DEFAULT_SCALING`; NaN / 0 when it has no run)."""
    plain = plain_readings(readings)
    rows = []
    for model in models:
        runs = plain[(plain["model"] == model) & plain["val_mae"].notna()]
        if not len(runs):
            continue
        best = runs.loc[runs["val_mae"].idxmin()]
        pinned = runs[runs["scaling"] == DEFAULT_SCALING]
        pinned = pinned.iloc[0] if len(pinned) else None
        rows.append({"model": model, "scalings_run": int(runs["scaling"].nunique()),
                     "best": best["scaling"], "best_val_mae": float(best["val_mae"]),
                     "best_seeds": int(best["seeds"]),
                     "best_rmse_20min": float(best["rmse_20min"]),
                     "pinned_val_mae": float("nan") if pinned is None
                     else float(pinned["val_mae"]),
                     "pinned_seeds": 0 if pinned is None else int(pinned["seeds"]),
                     "pinned_rmse_20min": float("nan") if pinned is None
                     else float(pinned["rmse_20min"])})
    return pd.DataFrame(rows, columns=CHOICE_COLUMNS)


def scaling_choice_text(choice: pd.DataFrame) -> str:
    """A sentence per model that has run under more than one scaling: the scaling the
    validation MAE picks, against the pinned one, with seeds and test RMSE at 20 min;
    then which models have run under one scaling only."""
    sentences, single = [], []
    for row in choice.itertuples():
        if row.scalings_run < 2:
            single.append(row.model)
            continue
        if row.best == DEFAULT_SCALING:
            sentences.append(f"{row.model} does best under the pinned scaling, {DEFAULT_SCALING} "
                             f"(validation MAE {row.best_val_mae:.3f}, n={row.best_seeds}).")
            continue
        sentences.append(
            f"{row.model} does best under {row.best}: validation MAE {row.best_val_mae:.3f} "
            f"(n={row.best_seeds}) against {row.pinned_val_mae:.3f} (n={row.pinned_seeds}) "
            f"under {DEFAULT_SCALING}, and test RMSE at 20 min {row.best_rmse_20min:.3f} "
            f"against {row.pinned_rmse_20min:.3f}.")
    if single:
        names = (single[0] if len(single) == 1
                 else ", ".join(single[:-1]) + " and " + single[-1])
        sentences.append(f"{names} {'has' if len(single) == 1 else 'have'} run "
                         "under one scaling only.")
    if not sentences:
        return "No model has run under more than one scaling yet."
    if (choice["best_seeds"] < 3).any() or (choice["pinned_seeds"] < 3).any():
        sentences.append("With fewer than three seeds a side, a difference is a first "
                         "reading, not a verdict.")
    return " ".join(sentences)


def chosen_scaling(choice: pd.DataFrame) -> tuple[str, str]:
    """The scaling all ten models run under next, and a sentence saying why.

    The rule, fixed in advance: among the graph models of :func:`scaling_choice` that have
    run under more than one scaling, the scaling their validation MAE picks most often.
    With no such model, or a tie, the pinned scaling
    (:data:`~stgkd.dmst.scaling.DEFAULT_SCALING`) stays.

    Returns:
        ``(scaling, sentence)``, e.g. ``("zscore", "zscore is the scaling the validation
        MAE picks for 2 of the 3 graph models run under more than one scaling (ST-GCN,
        MST-GCN).")``.
    """
    compared = choice[choice["scalings_run"] >= 2]
    if not len(compared):
        return DEFAULT_SCALING, (f"No graph model has run under more than one scaling yet, so "
                                 f"the pinned scaling, {DEFAULT_SCALING}, stays.")
    votes = compared["best"].value_counts()
    leaders = sorted(votes[votes == votes.max()].index)
    n = len(compared)
    if len(leaders) > 1:
        return DEFAULT_SCALING, (
            f"The {n} graph models run under more than one scaling split between "
            f"{' and '.join(leaders)}, so the pinned scaling, {DEFAULT_SCALING}, stays.")
    scaling = leaders[0]
    models = ", ".join(compared.loc[compared["best"] == scaling, "model"])
    if n == 1:
        return scaling, (f"{scaling} is the scaling the validation MAE picks for {models}, "
                         "the one graph model run under more than one scaling so far.")
    return scaling, (f"{scaling} is the scaling the validation MAE picks for "
                     f"{int(votes.max())} of the {n} graph models run under more than one "
                     f"scaling ({models}).")
