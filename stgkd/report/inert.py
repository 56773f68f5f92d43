"""Which stored runs stopped reading their input: :func:`stgkd.prune.inert.inert_channels`
over the validation windows of each run, one row per run.

A run whose forecast is the same for every window (a dead one-channel ReLU, say) scores
as a per-station constant would; this table says which runs those are and where the
input is cut off, so that a page can explain such a seed rather than drop it.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from stgkd.prune.inert import inert_channels, inert_summary
from stgkd.report.kd import RunWindows
from stgkd.runs import best_profile_results, dataset_series, load_run_model

INERT_RUN_COLUMNS = ("experiment", "dataset", "profile", "seed", "test MAE 15 min",
                     "cut at", "dead channels")


def _dead_channels(dead: dict) -> str:
    """``layer[c, ..]`` for every layer of an inert summary's ``dead``."""
    return ", ".join(f"{layer}{zero}" for layer, zero in dead.items()) or "none"


def inert_runs(results: Iterable[dict], experiments: Iterable[str], profile: str = "best",
               results_dir=None, window_step: int = 6) -> pd.DataFrame:
    """For every stored run of ``experiments`` (under ``profile``, or each experiment's
    best profile for ``"best"``): where its input is cut off from its forecast.

    Each run's checkpoint is rolled one step over the validation windows of its own split
    (the data used for model selection; the test windows are not read), every
    ``window_step``-th of them: consecutive windows share all but one step, and one
    window per half hour (6 five-minute steps) still spans each validation day.

    Returns:
        :data:`INERT_RUN_COLUMNS`, one row per run in ``experiments`` order, then seed:
        ``cut at`` is the first prunable layer whose every channel is the same on every
        window (``"forecast"`` when only the output is; ``"none"`` when the input reaches
        the forecast), ``dead channels`` lists ``layer[channels]`` that are zero on every
        window.
    """
    names = list(experiments)
    chosen = [r for r in best_profile_results(results, profile) if r["experiment"] in names]
    chosen.sort(key=lambda r: (names.index(r["experiment"]), int(r["seed"])))
    windows_of: dict[str, RunWindows] = {}
    rows = []
    for run in chosen:
        dataset = run["dataset"]
        if dataset not in windows_of:
            windows_of[dataset] = RunWindows(dataset_series(dataset), dataset)
        data = windows_of[dataset](run)
        model = load_run_model(run, results_dir=results_dir)
        summary = inert_summary(inert_channels(model, data.val[::window_step, :data.n_his]))
        rows.append({"experiment": run["experiment"], "dataset": dataset,
                     "profile": run["profile"], "seed": int(run["seed"]),
                     "test MAE 15 min": run["test"]["15min"]["mae"],
                     "cut at": summary["cut_at"] or "none",
                     "dead channels": _dead_channels(summary["dead"])})
    return pd.DataFrame(rows, columns=list(INERT_RUN_COLUMNS))
