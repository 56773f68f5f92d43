"""The training settings of an experiment as defined and as its stored runs recorded:
what Tables 6 and 9 (batch size, learning rate, loss weights, and for Algorithm 1 the
pruning fraction and interval) are compared on."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from numbers import Real

# Keys of a result's ``pruning`` block that are settings (not outcomes).
PRUNING_SETTING_KEYS: tuple[str, ...] = ("fraction", "interval_epochs", "interval_minibatches")


def defined_settings(experiment) -> dict[str, float]:
    """Batch size, learning rate and loss weights of one experiment definition
    (:class:`stgkd.registry.Experiment`), as floats."""
    return {"batch_size": float(experiment.batch_size),
            "learning_rate": float(experiment.learning_rate),
            **{k: float(v) for k, v in experiment.hyper.items()}}


def recorded_settings(runs: Iterable[Mapping]) -> dict[str, set[float]]:
    """Every value of each setting the stored ``runs`` recorded: ``batch_size`` and
    ``learning_rate`` (``train_config``), the loss weights (``hyperparameters``) and,
    for pruned runs, :data:`PRUNING_SETTING_KEYS` (``pruning``). Non-numeric entries
    are left out."""
    seen: dict[str, set[float]] = {}
    for run in runs:
        config, pruning = run.get("train_config", {}), run.get("pruning", {})
        values = {"batch_size": config.get("batch_size"), "learning_rate": config.get("lr"),
                  **run.get("hyperparameters", {}),
                  **{key: pruning.get(key) for key in PRUNING_SETTING_KEYS if key in pruning}}
        for key, value in values.items():
            if isinstance(value, Real) and not isinstance(value, bool):
                seen.setdefault(key, set()).add(float(value))
    return seen


def agreed_settings(runs: list[Mapping]) -> dict[str, float]:
    """The one value of each setting the ``runs`` (one experiment, one profile) recorded.

    Raises:
        ValueError: the runs disagree on a setting (naming the experiment and values).
    """
    seen = recorded_settings(runs)
    clash = {k: sorted(v) for k, v in seen.items() if len(v) > 1}
    if clash:
        raise ValueError(f"results of {runs[0]['experiment']} ({runs[0]['profile']}): expected "
                         f"one value per setting over the seeds, found {clash}")
    return {k: next(iter(v)) for k, v in seen.items()}
