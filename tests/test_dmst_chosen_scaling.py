"""The scaling all ten DMST models run under next: the rule on hand-made choices, and the
claims asked again under it."""
import pandas as pd
import pytest

from stgkd.report.claims import CLAIMS, claim_verdicts, dmst_claims
from stgkd.report.dmst_scaling import CHOICE_COLUMNS, chosen_scaling

from factories import fake_result


def choice(*rows):
    """scaling_choice rows from (model, scalings run, best scaling)."""
    return pd.DataFrame([{**dict.fromkeys(CHOICE_COLUMNS, 0.0), "model": m, "scalings_run": k,
                          "best": b} for m, k, b in rows], columns=CHOICE_COLUMNS)


def test_the_scaling_picked_most_often_wins():
    scaling, why = chosen_scaling(choice(("ST-GCN", 4, "zscore"), ("MST-GCN", 2, "zscore"),
                                         ("ST-NODE", 3, "boxcox-station")))
    assert scaling == "zscore"
    assert why == ("zscore is the scaling the validation MAE picks for 2 of the 3 graph "
                   "models run under more than one scaling (ST-GCN, MST-GCN).")


def test_a_model_run_under_one_scaling_does_not_vote():
    scaling, why = chosen_scaling(choice(("ST-GCN", 2, "zscore"), ("ST-NODE", 1, "boxcox"),
                                         ("MST-GCN", 1, "boxcox")))
    assert scaling == "zscore" and why == ("zscore is the scaling the validation MAE picks for "
                                           "ST-GCN, the one graph model run under more than "
                                           "one scaling so far.")


def test_no_comparison_or_a_tie_keeps_the_pinned_scaling():
    assert chosen_scaling(choice(("ST-GCN", 1, "boxcox")))[0] == "boxcox"
    assert chosen_scaling(choice())[0] == "boxcox"
    scaling, why = chosen_scaling(choice(("ST-GCN", 2, "zscore"), ("MST-GCN", 2, "boxcox-station")))
    assert scaling == "boxcox" and "split between boxcox-station and zscore" in why


def test_dmst_claims_under_a_scaling_pair_the_suffixed_runs():
    assert dmst_claims("boxcox") == tuple(c for c in CLAIMS if c.paper == "DMST-GNODE paper")
    claims = dmst_claims("zscore")
    assert len(claims) == 9 and claims[0].claimed == "dmst/{dataset}/dmst-gnode-zscore"
    assert claims[0].baseline == "dmst/{dataset}/arima-zscore"

    def run(name, seed, mae):
        return fake_result(f"dmst/losloop/{name}", "full", seed, dataset="losloop",
                           horizons=("20min", "40min", "60min"), mae=mae, rmse=mae + 1,
                           mape=None)
    # DMST-GNODE 3, 4, 2 against ST-GCN 4, 5, 4 under zscore: differences -1, -1, -2;
    # the pinned-scaling runs (plain names) must not enter
    results = ([run("dmst-gnode-zscore", s, v) for s, v in enumerate((3.0, 4.0, 2.0))]
               + [run("st-gcn-zscore", s, v) for s, v in enumerate((4.0, 5.0, 4.0))]
               + [run("st-gcn", s, 0.5) for s in range(3)])
    verdicts = claim_verdicts(results, claims=dmst_claims("zscore"))
    row = verdicts[(verdicts["statement"] == "DMST-GNODE beats ST-GCN")
                   & (verdicts["dataset"] == "losloop")].iloc[0]
    assert row["n"] == 3 and row["MAE difference 20 min"].startswith("-1.333")
    assert row["baseline"] == "dmst/losloop/st-gcn-zscore"
    with pytest.raises(ValueError, match="scaling: expected one of"):
        dmst_claims("minmax")


def test_scaling_claims_pair_each_model_with_itself_under_the_pinned_scaling():
    from stgkd.report.claims import scaling_claims
    claims = scaling_claims("zscore")
    assert len(claims) == 10 and claims[6].statement == "ST-GCN under zscore beats ST-GCN under boxcox"
    assert (claims[6].claimed, claims[6].baseline) == ("dmst/{dataset}/st-gcn-zscore",
                                                      "dmst/{dataset}/st-gcn")
    with pytest.raises(ValueError, match="other than the pinned"):
        scaling_claims("boxcox")

    def run(name, seed, mae):
        return fake_result(f"dmst/losloop/{name}", "full", seed, dataset="losloop",
                           horizons=("20min", "40min", "60min"), mae=mae, rmse=mae + 1,
                           mape=None)
    # ST-GCN 3.7, 3.8, 3.6 under zscore against 4.4, 4.6, 4.5 under boxcox: differences
    # -0.7, -0.8, -0.9, mean -0.8, std 0.1, half width 4.302653 * 0.1 / sqrt(3) = 0.248414
    results = ([run("st-gcn-zscore", s, v) for s, v in enumerate((3.7, 3.8, 3.6))]
               + [run("st-gcn", s, v) for s, v in enumerate((4.4, 4.6, 4.5))])
    verdicts = claim_verdicts(results, claims=claims)
    row = verdicts[verdicts["statement"].str.startswith("ST-GCN")
                   & (verdicts["dataset"] == "losloop")].iloc[0]
    assert row["MAE difference 20 min"] == "-0.800 [-1.048, -0.552]"
    assert row["verdict"] == "holds" and row["n"] == 3


def test_scaling_side_by_side_puts_each_model_under_both_scalings():
    from stgkd.report.dmst import READING_COLUMNS
    from stgkd.report.dmst_scaling import scaling_side_by_side

    def reading(model, scaling, seeds, val, without="", st_module=""):
        return {**dict.fromkeys(READING_COLUMNS), "model": model, "scaling": scaling,
                "seeds": seeds, "val_mae": val, "rmse_20min": val + 3, "rmse_60min": val + 5,
                "without": without, "st_module": st_module}
    readings = pd.DataFrame([reading("ST-GCN", "zscore", 3, 3.8), reading("ST-GCN", "boxcox", 1, 3.9),
                             reading("SVR", "boxcox", 2, 4.5),
                             reading("DMST-GNODE", "zscore", 1, 9.0, without="ode")],
                            columns=READING_COLUMNS)
    table = scaling_side_by_side(readings, "zscore")
    assert len(table) == 10 and table.index.name == "model"
    assert list(table.columns.get_level_values(0).unique()) == ["zscore", "boxcox (pinned)"]
    assert table.loc["ST-GCN", ("zscore", "n")] == 3
    assert table.loc["ST-GCN", ("boxcox (pinned)", "validation MAE")] == 3.9
    assert table.loc["SVR", ("zscore", "n")] == 0 and table.loc["SVR", ("boxcox (pinned)", "n")] == 2
    # an ablation is not DMST-GNODE under the scaling
    assert table.loc["DMST-GNODE", ("zscore", "n")] == 0
