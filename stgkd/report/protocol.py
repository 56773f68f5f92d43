"""Our Los-loop models under Los-loop's published protocol (:mod:`stgkd.protocols`),
beside our own protocol and the DMST-GNODE paper's reported Los-loop figure."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from stgkd.protocols import evaluate_published
from stgkd.reference import dmst_gnode_reported
from stgkd.runs import result_path

# the horizons shown: our three and the DMST-GNODE paper's 20 min (step 4)
PROTOCOL_STEPS = (3, 4, 6, 9)


def published_protocol_runs(results: Iterable[dict], experiments: Iterable[str],
                            profile: str = "full", results_dir: str | Path | None = None,
                            series=None) -> pd.DataFrame:
    """Every stored run of ``experiments`` (one-step STGCNs on Los-loop) evaluated under
    the published protocol.

    Returns:
        One row per run and horizon: ``experiment, seed, horizon_min``, our protocol's
        test ``ours_mae, ours_rmse`` (step h alone, day split; NaN at 20 min, which our
        runs do not report) and the published protocol's ``mae, rmse, accuracy`` (steps
        1..h pooled, last 20% of the steps).
    """
    from stgkd.data import load_series
    from stgkd.predict import load_checkpoint
    series = series if series is not None else load_series("losloop")
    wanted = list(experiments)
    rows = []
    for result in results:
        if result.get("profile") != profile or result["experiment"] not in wanted:
            continue
        path = result_path(profile, result["experiment"], result["seed"], results_dir, ".pt")
        if not path.is_file():
            continue
        model, scaler = load_checkpoint(path, series.weights)
        metrics = evaluate_published(model, scaler, series, steps=PROTOCOL_STEPS)
        for horizon, values in metrics.items():
            ours = result["test"].get(horizon, {})
            rows.append({"experiment": result["experiment"], "seed": result["seed"],
                         "horizon_min": float(horizon.removesuffix("min")),
                         "ours_mae": ours.get("mae", np.nan),
                         "ours_rmse": ours.get("rmse", np.nan),
                         "mae": values["mae"], "rmse": values["rmse"],
                         "accuracy": values["accuracy"]})
    return pd.DataFrame(rows, columns=["experiment", "seed", "horizon_min", "ours_mae",
                                       "ours_rmse", "mae", "rmse", "accuracy"])


def published_protocol_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """:func:`published_protocol_runs` averaged over seeds: per experiment and horizon the
    mean of each metric, ``n`` seeds and the standard deviation of the published RMSE;
    with the DMST-GNODE paper's reported Los-loop figures as a last row."""
    if runs.empty:
        return runs
    summary = (runs.groupby(["experiment", "horizon_min"])
               .agg(n=("seed", "count"), ours_mae=("ours_mae", "mean"),
                    ours_rmse=("ours_rmse", "mean"), mae=("mae", "mean"),
                    rmse=("rmse", "mean"), rmse_std=("rmse", "std"),
                    accuracy=("accuracy", "mean")).reset_index())
    paper = dmst_gnode_reported()
    paper = paper[paper["our_dataset"] == "losloop"]
    if len(paper):
        row = {"experiment": "DMST-GNODE (its paper's abstract)",
               "horizon_min": float(paper["horizon_min"].iloc[0]), "n": 0}
        for metric, value in zip(paper["metric"], paper["value"]):
            row[metric.lower()] = value
        summary = pd.concat([summary, pd.DataFrame([row])], ignore_index=True)
    return summary
