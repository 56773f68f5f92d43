"""The correlation dose-response table and its paired verdicts, on hand-made results."""
import math

import pytest

from stgkd.report.dose_response import dose_experiments, dose_response_table, dose_verdicts

from factories import fake_result


def run(experiment, seed, mae, **fields):
    """A full-profile run with MAE ``mae`` + 0.15 / 0.30 / 0.45 at 15 / 30 / 45 min and
    no other metric."""
    return fake_result(experiment, "full", seed, mae=[mae + h / 100 for h in (15, 30, 45)],
                       rmse=None, mape=None, **fields)


def test_the_sweep_spans_zero_to_one_half():
    assert list(dose_experiments("losloop").values()) == [0.0, 1e-3, 1e-2, 1e-1, 0.5]
    with pytest.raises(ValueError, match="dataset"):
        dose_experiments("pems08")


def test_table_averages_seeds_and_the_share_reached():
    results = [run("kd/losloop/student-lstcd-corr1e-1", 0, 4.0, correlation_share=0.08),
               run("kd/losloop/student-lstcd-corr1e-1", 1, 5.0, correlation_share=0.10),
               run("kd/losloop/student-no-kd", 0, 6.0)]
    table = dose_response_table(results, "losloop").set_index("experiment")
    row = table.loc["kd/losloop/student-lstcd-corr1e-1"]
    assert row["seeds"] == 2 and row["reached_share"] == pytest.approx(0.09)
    assert row["mae_15"] == pytest.approx(4.65)
    assert row["mae_15_std"] == pytest.approx(math.sqrt(0.5))      # std of 4.15, 5.15
    assert table.loc["kd/losloop/student-lstcd-corr5e-1", "seeds"] == 0
    assert table.loc["kd/losloop/student-no-kd", "mae_45"] == pytest.approx(6.45)


def test_each_share_is_paired_with_the_zero_share_run():
    # share 0.5 is 0.2 better than share 0 on each of three seeds: the interval is a point
    results = [run("kd/losloop/student-lstcd-corr0", s, 4.0 + s) for s in range(3)]
    results += [run("kd/losloop/student-lstcd-corr5e-1", s, 3.8 + s) for s in range(3)]
    verdicts = dose_verdicts(results, "losloop")
    half = verdicts[verdicts["target_share"] == 0.5]
    assert len(half) == 3 and (half["verdict"] == "holds").all()
    assert half["difference"].tolist() == pytest.approx([-0.2] * 3)
    assert (verdicts[verdicts["target_share"] == 1e-2]["verdict"] == "not compared").all()


def test_one_term_alone_has_its_own_axis_sharing_the_zero_share_run():
    assert dose_experiments("losloop", "ltcd") == {
        "kd/losloop/student-lstcd-corr0": 0.0, "kd/losloop/student-ltcd-corr1e-3": 1e-3,
        "kd/losloop/student-ltcd-corr1e-2": 1e-2, "kd/losloop/student-ltcd-corr1e-1": 1e-1,
        "kd/losloop/student-ltcd-corr5e-1": 0.5}
    with pytest.raises(ValueError, match="term: expected one of"):
        dose_experiments("losloop", "lord")
    # LSCD alone 0.1 worse than the zero-share run on seeds 0 and 1, 0.3 on seed 2:
    # mean +0.167, std 0.115, half width 4.3027 * 0.1155 / sqrt(3) = 0.287 -> within noise
    results = [run("kd/losloop/student-lstcd-corr0", s, 4.0) for s in range(3)]
    results += [run("kd/losloop/student-lscd-corr1e-1", s, 4.0 + g)
                for s, g in enumerate([0.1, 0.1, 0.3])]
    verdicts = dose_verdicts(results, "losloop", "corr0", "lscd")
    point = verdicts[verdicts["target_share"] == 0.1]
    assert point["difference"].tolist() == pytest.approx([0.5 / 3] * 3)
    assert (point["verdict"] == "within noise").all()
    table = dose_response_table(results, "losloop", term="lscd").set_index("experiment")
    assert table.loc["kd/losloop/student-lscd-corr1e-1", "seeds"] == 3


def test_the_promising_shares_are_ranked_on_validation_not_test():
    from factories import KD_HORIZONS, metrics
    from stgkd.report.dose_response import promising_shares

    def scored(share_tag, seed, val_mae, test_mae):
        return run(f"kd/losloop/student-lstcd-corr{share_tag}", seed, test_mae,
                   val=metrics(KD_HORIZONS, mae=val_mae, rmse=None, mape=None))

    # validation (mean over seeds): 1e-3 -> 4.3, 1e-2 -> 4.1, 1e-1 -> 4.2, 0.5 -> 4.1 but
    # only two seeds; test MAE says the opposite order, and share 0 is never a candidate
    results = [scored(tag, s, val + d, test) for tag, val, test in
               [("1e-3", 4.3, 3.0), ("1e-2", 4.1, 5.0), ("1e-1", 4.2, 4.0), ("0", 3.0, 3.0)]
               for s, d in enumerate([-0.1, 0.0, 0.1])]
    results += [scored("5e-1", s, 4.1, 2.0) for s in range(2)]
    table = promising_shares(results).set_index("target_share")
    assert list(table.index) == [1e-3, 1e-2, 1e-1, 0.5]
    assert table["val_mae"].tolist()[:3] == pytest.approx([4.3, 4.1, 4.2])
    assert math.isnan(table.loc[0.5, "val_mae"]) and table.loc[0.5, "seeds"] == 2
    assert table.index[table["chosen"]].tolist() == [1e-2, 1e-1]
    assert table.loc[1e-2, "rank"] == 1 and table.loc[1e-1, "rank"] == 2
    # with the two-seed share allowed it ties 1e-2 at 4.1: the smaller share ranks first
    loose = promising_shares(results, min_seeds=2).set_index("target_share")
    assert loose.index[loose["chosen"]].tolist() == [1e-2, 0.5]
    assert loose.loc[1e-2, "rank"] == 1


def test_the_summary_counts_cells_and_names_the_lowest_difference():
    from stgkd.report.dose_response import dose_summary
    # share 0.1 lower by 0.2 on all three seeds (holds at each horizon); share 0.5 higher by
    # 0.1, 0.1, 0.3 (mean +0.167, half width 0.287: within noise)
    results = [run("kd/losloop/student-lstcd-corr0", s, 4.0) for s in range(3)]
    results += [run("kd/losloop/student-lstcd-corr1e-1", s, 3.8) for s in range(3)]
    results += [run("kd/losloop/student-lstcd-corr5e-1", s, 4.0 + g)
                for s, g in enumerate([0.1, 0.1, 0.3])]
    text = dose_summary(dose_verdicts(results, "losloop"), "the zero share")
    assert text.startswith("Against the zero share, over 6 cells (share × horizon, 3 paired "
                           "seeds): 3 holds, 3 within noise.")
    assert "The lowest mean difference is -0.200 mph [-0.200, -0.200] at share 0.1, 15 min." \
        in text
    assert "lower beyond the noise at share 0.1, 15 min (-0.200); share 0.1, 30 min" in text
    assert "higher beyond" not in text
    assert dose_summary(dose_verdicts([], "losloop"), "the zero share") == ""


def test_the_verdict_view_puts_horizons_side_by_side():
    from stgkd.report.dose_response import dose_verdict_view
    results = [run("kd/losloop/student-lstcd-corr0", s, 4.0) for s in range(3)]
    results += [run("kd/losloop/student-lstcd-corr1e-1", s, 3.8) for s in range(3)]
    verdicts = dose_verdicts(results, "losloop").assign(dataset="Los-loop", against="corr0")
    view = dose_verdict_view(verdicts)
    assert view.to_dict("records") == [{
        "data set": "Los-loop", "against": "corr0", "share": 0.1,
        "Δ MAE 15 min": "-0.200 [-0.200, -0.200]", "Δ MAE 30 min": "-0.200 [-0.200, -0.200]",
        "Δ MAE 45 min": "-0.200 [-0.200, -0.200]", "n": 3, "verdict": "holds"}]
