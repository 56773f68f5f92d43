"""Model selection as a recorded choice: which epoch of a run is reported.

The KD paper does not say which epoch it reports. A stored run keeps, for every epoch,
its validation metrics and its test metrics (``history[i]["val"]`` and
``history[i]["test"]``, ``{"15min": {"mae", "mape", "rmse"}, ...}``), so a run can be
reported under any of these rules without retraining:

- ``best-val-mae`` (ours, the default): the epoch with the lowest validation MAE
  averaged over the horizons (the first such epoch on a tie), as :func:`stgkd.train.fit`
  keeps it;
- ``last-epoch``: the last trained epoch;
- ``stgcn-any-improved``: the rule of the original STGCN code (Yu et al., ``model_inference``
  in its trainer): after each epoch the nine validation metrics (MAE, MAPE, RMSE at three
  horizons) are compared with their running minima, and the test metrics are taken again
  whenever *any* of them improved; the reported epoch is the last one at which any of
  the nine improved.

Runs stored before the test metrics were recorded per epoch have no ``"test"`` in their
history: only ``best-val-mae`` (the stored ``test``) is available for them.
"""
from __future__ import annotations

from collections.abc import Iterable

RULES: dict[str, str] = {
    "best-val-mae": "the epoch with the lowest mean validation MAE (ours)",
    "last-epoch": "the last epoch",
    "stgcn-any-improved": "the last epoch at which any of the nine validation metrics "
                          "improved (the original STGCN code)",
}
DEFAULT_RULE = "best-val-mae"


def _check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"rule: expected one of {list(RULES)}, found {rule!r}")


def _val_metrics(entry: dict) -> dict[tuple[str, str], float]:
    """``{(horizon, metric): value}`` of one history entry's validation block (scalars
    such as a validation loss are not metrics per horizon and are left out)."""
    return {(horizon, metric): float(value)
            for horizon, metrics in entry["val"].items() if isinstance(metrics, dict)
            for metric, value in metrics.items()}


def selected_epoch(history: list[dict], rule: str = DEFAULT_RULE) -> int:
    """The epoch (1-based, as ``history[i]["epoch"]``) that ``rule`` reports.

    Args:
        history: a result's per-epoch history (``val_mae`` for ``best-val-mae``, ``val``
            per horizon for ``stgcn-any-improved``).

    Raises:
        ValueError: an unknown rule, an empty history, or one without the validation
            metrics the rule needs.
    """
    _check_rule(rule)
    if not history:
        raise ValueError("history: expected at least one epoch, found none")
    if rule == "last-epoch":
        return int(history[-1]["epoch"])
    if rule == "best-val-mae":
        best = min(range(len(history)), key=lambda i: (history[i]["val_mae"], i))
        return int(history[best]["epoch"])
    if any("val" not in entry for entry in history):
        raise ValueError("history: the stgcn-any-improved rule needs the validation metrics "
                         "per horizon of every epoch ('val'), found an epoch without them")
    minima: dict[tuple[str, str], float] = {}
    chosen = int(history[0]["epoch"])
    for entry in history:
        improved = False
        for key, value in _val_metrics(entry).items():
            if key not in minima or value < minima[key]:
                minima[key] = value
                improved = True
        if improved:
            chosen = int(entry["epoch"])
    return chosen


def has_test_history(result: dict) -> bool:
    """Whether every epoch of the run's history records its test metrics."""
    history = result.get("history") or []
    return bool(history) and all("test" in entry for entry in history)


def under_rule(result: dict, rule: str = DEFAULT_RULE) -> dict | None:
    """``result`` as reported under ``rule``: a copy whose ``test`` and ``best_epoch`` are
    those of the rule's epoch, with ``selection`` naming the rule.

    Returns None when the run cannot be reported under the rule (no per-epoch test
    metrics, for a rule other than ``best-val-mae``). Runs without a history (the
    classical DMST baselines) are returned unchanged under every rule: they have no
    epochs to choose from.
    """
    _check_rule(rule)
    history = result.get("history") or []
    if not history:
        return {**result, "selection": rule}
    if not has_test_history(result):
        return {**result, "selection": rule} if rule == DEFAULT_RULE else None
    epoch = selected_epoch(history, rule)
    entry = next(e for e in history if int(e["epoch"]) == epoch)
    test = {horizon: metrics for horizon, metrics in entry["test"].items()
            if isinstance(metrics, dict)}
    return {**result, "test": test, "best_epoch": epoch, "selection": rule}


def results_under_rule(results: Iterable[dict], rule: str = DEFAULT_RULE) -> list[dict]:
    """Every run of ``results`` that can be reported under ``rule``, as :func:`under_rule`
    reports it; the report functions (``comparison_table``, the claim checks) take the
    list as they take stored results."""
    return [chosen for chosen in (under_rule(r, rule) for r in results) if chosen is not None]
