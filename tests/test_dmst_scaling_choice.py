"""The scaling the validation MAE picks per DMST graph model, on a hand-made option table."""
import math

import pandas as pd

from stgkd.report.dmst_scaling import scaling_choice, scaling_choice_text


def reading(model, scaling, val, rmse, seeds=1, without="", st_module="stgcn"):
    return {"model": model, "scaling": scaling, "val_mae": val, "rmse_20min": rmse,
            "seeds": seeds, "without": without, "st_module": st_module}


def test_the_lowest_validation_mae_picks_the_scaling_not_the_test_rmse():
    readings = pd.DataFrame([
        reading("ST-GCN", "boxcox", 3.9, 8.1),
        reading("ST-GCN", "zscore", 3.8, 6.5),
        reading("ST-GCN", "boxcox-station", 3.85, 6.0),   # best on test, not on validation
        reading("ST-GCN", "zscore", 3.0, 5.0, without="ode"),   # an ablation: left out
        reading("MST-GCN", "boxcox", 3.95, 7.8, seeds=3),
    ])
    choice = scaling_choice(readings).set_index("model")
    assert list(choice.index) == ["ST-GCN", "MST-GCN"]           # ST-NODE, DMST-GNODE: no run
    st = choice.loc["ST-GCN"]
    assert st["best"] == "zscore" and st["scalings_run"] == 3
    assert (st["best_val_mae"], st["pinned_val_mae"]) == (3.8, 3.9)
    assert (st["best_rmse_20min"], st["pinned_rmse_20min"]) == (6.5, 8.1)
    assert choice.loc["MST-GCN", "best"] == "boxcox"
    text = scaling_choice_text(choice.reset_index())
    assert text.startswith("ST-GCN does best under zscore: validation MAE 3.800 (n=1) "
                           "against 3.900 (n=1) under boxcox, and test RMSE at 20 min "
                           "6.500 against 8.100.")
    assert "MST-GCN has run under one scaling only." in text
    assert text.endswith("a first reading, not a verdict.")


def test_a_model_without_a_pinned_run_and_an_empty_table():
    choice = scaling_choice(pd.DataFrame([reading("ST-NODE", "zscore", 4.0, 8.0, seeds=3)]))
    row = choice.iloc[0]
    assert row["best"] == "zscore" and row["pinned_seeds"] == 0
    assert math.isnan(row["pinned_val_mae"])
    assert scaling_choice_text(choice.iloc[:0]) == ("No model has run under more than one "
                                                   "scaling yet.")
