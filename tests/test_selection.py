"""Model-selection rules on hand-made histories: which epoch each rule reports."""
import pytest

from stgkd.selection import (RULES, has_test_history, results_under_rule, selected_epoch,
                             under_rule)

from factories import fake_result


def entry(epoch, val, test_mae=None):
    """One epoch: ``val`` is {horizon: (mae, mape, rmse)}; val_mae their mean MAE."""
    record = {"epoch": epoch,
              "val": {h: {"mae": m[0], "mape": m[1], "rmse": m[2]} for h, m in val.items()},
              "val_mae": sum(m[0] for m in val.values()) / len(val)}
    if test_mae is not None:
        record["test"] = {"15min": {"mae": test_mae, "mape": 0.0, "rmse": 0.0}}
    return record


# Epoch 1 sets all minima; epoch 2 has the best mean MAE (2.0); epoch 3 is worse on MAE but
# its 30-min RMSE (4.9) is the lowest yet, so the original STGCN rule takes epoch 3; epoch 4
# improves nothing.
HISTORY = [
    entry(1, {"15min": (3.0, 7.0, 5.0), "30min": (3.0, 7.0, 5.0)}, test_mae=10.0),
    entry(2, {"15min": (2.0, 6.0, 5.0), "30min": (2.0, 6.0, 5.0)}, test_mae=20.0),
    entry(3, {"15min": (2.5, 6.5, 5.5), "30min": (2.5, 6.5, 4.9)}, test_mae=30.0),
    entry(4, {"15min": (2.6, 6.6, 5.6), "30min": (2.6, 6.6, 5.6)}, test_mae=40.0),
]


def test_each_rule_picks_its_epoch():
    assert selected_epoch(HISTORY, "best-val-mae") == 2
    assert selected_epoch(HISTORY, "last-epoch") == 4
    assert selected_epoch(HISTORY, "stgcn-any-improved") == 3


def test_best_val_mae_keeps_the_first_of_tied_epochs():
    tied = [entry(1, {"15min": (2.0, 1, 1)}), entry(2, {"15min": (2.0, 0.5, 0.5)})]
    assert selected_epoch(tied, "best-val-mae") == 1
    # ... while the STGCN rule counts the MAPE and RMSE improvements of epoch 2
    assert selected_epoch(tied, "stgcn-any-improved") == 2


def test_a_run_is_reported_with_the_test_metrics_of_the_rules_epoch():
    result = fake_result("x", history=HISTORY, best_epoch=2,
                         test={"15min": {"mae": 20.0, "mape": 0.0, "rmse": 0.0}})
    assert has_test_history(result)
    picked = {rule: under_rule(result, rule) for rule in RULES}
    assert {r: p["test"]["15min"]["mae"] for r, p in picked.items()} == {
        "best-val-mae": 20.0, "last-epoch": 40.0, "stgcn-any-improved": 30.0}
    assert picked["last-epoch"]["best_epoch"] == 4
    assert picked["last-epoch"]["selection"] == "last-epoch"
    assert result["test"]["15min"]["mae"] == 20.0          # the stored result is untouched


def test_a_run_without_per_epoch_test_metrics_has_only_the_stored_selection():
    old = fake_result("old", history=[{k: v for k, v in e.items() if k != "test"}
                                      for e in HISTORY],
                      best_epoch=2, test={"15min": {"mae": 20.0}})
    assert not has_test_history(old)
    assert under_rule(old, "best-val-mae")["test"] == old["test"]
    assert under_rule(old, "last-epoch") is None
    assert results_under_rule([old], "stgcn-any-improved") == []
    classical = fake_result("dmst/losloop/arima", history=[])
    assert under_rule(classical, "last-epoch")["test"] == classical["test"]


def test_unknown_rule_and_empty_history_are_clear_errors():
    with pytest.raises(ValueError, match="rule: expected one of .*found 'best'"):
        selected_epoch(HISTORY, "best")
    with pytest.raises(ValueError, match="history: expected at least one epoch"):
        selected_epoch([], "last-epoch")
