"""The one factory of fake run results for tests, built on :class:`stgkd.runs.RunResult`.

Every fake result is a valid stored result (checked as a file read from the store would
be), so a report function tested on it sees what it would see in ``results/``.
"""
from __future__ import annotations

from collections.abc import Sequence

from stgkd.runs import RunResult

KD_HORIZONS = ("15min", "30min", "45min")
DMST_HORIZONS = ("20min", "40min", "60min")
PROVENANCE = {"commit": "abc", "device": "cpu", "torch": "2", "started": "t",
              "wall_time_s": 1.0}


def _registered(experiment: str) -> dict:
    """Data set, paper row and setting, loss and weights of a registered experiment
    ({} for any other name)."""
    from stgkd import registry
    if experiment not in registry.EXPERIMENTS:
        return {}
    definition = registry.EXPERIMENTS[experiment]
    fields = {"dataset": definition.dataset, "paper_row": definition.paper_row,
              "description": definition.description}
    if getattr(definition, "paper_setting", ""):
        fields["paper_setting"] = definition.paper_setting
    if hasattr(definition, "loss"):
        fields |= {"loss": definition.loss, "hyperparameters": dict(definition.hyper)}
    return fields


def metrics(horizons: Sequence[str], **per_metric) -> dict:
    """``{horizon: {metric: value}}``; each metric's value is one number for every
    horizon or a sequence with one number per horizon."""
    out = {h: {} for h in horizons}
    for metric, values in per_metric.items():
        if values is None:
            continue
        values = list(values) if isinstance(values, (list, tuple)) else [values] * len(horizons)
        if len(values) != len(horizons):
            raise ValueError(f"{metric}: expected {len(horizons)} values, found {len(values)}")
        for h, v in zip(horizons, values):
            out[h][metric] = float(v)
    return out


def fake_result(experiment: str, profile: str = "full", seed: int = 0, *,
                mae=(3.0, 4.0, 5.0), rmse=(5.0, 6.0, 7.0), mape=10.0, accuracy=None,
                horizons: Sequence[str] | None = None, wall_time_s: float | None = None,
                **fields) -> RunResult:
    """A stored run result of ``experiment``.

    A registered experiment takes its data set, paper row, setting, loss and weights
    from the registry; any other name gets the data set from its second path part
    (``kd/<dataset>/...``). ``test`` holds ``mae``, ``rmse``, ``mape`` (and ``accuracy``
    when given) at ``horizons`` (default: 15/30/45 min, 20/40/60 min for ``dmst/``
    experiments); each is one number or one per horizon. ``fields`` set or override any
    other :class:`RunResult` field (``test=...`` replaces the metrics).
    """
    parts = experiment.split("/")
    if horizons is None:
        horizons = DMST_HORIZONS if parts[0] == "dmst" else KD_HORIZONS
    payload = {
        "experiment": experiment, "profile": profile, "seed": seed,
        "dataset": parts[1] if len(parts) > 1 else "synthetic",
        "description": "", "paper_row": "", "split_days": [1, 1, 1], "n_imputed": 0,
        "windows": {"train": 1, "val": 1, "test": 1}, "train_config": {},
        "test": metrics(horizons, mae=mae, rmse=rmse, mape=mape, accuracy=accuracy),
        "provenance": dict(PROVENANCE),
    }
    payload |= _registered(experiment)
    if wall_time_s is not None:
        payload["provenance"]["wall_time_s"] = float(wall_time_s)
    payload |= fields
    return RunResult.from_dict(payload)
