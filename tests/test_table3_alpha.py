"""Table 5 with alpha1 from Table 3: the table of both alpha1 sources and the paired
verdicts, on hand-made results."""
import math

import pytest

from stgkd.report.table3_alpha import table3_alpha_table, table3_alpha_verdicts

from factories import fake_result


def run(experiment, seed, mae, alpha1=None, share=None):
    """A full-profile run with MAE ``mae`` + 0.15 / 0.30 / 0.45 at 15 / 30 / 45 min; a
    solved alpha1 recorded as the run's reading when given."""
    fields = {} if share is None else {"teacher_share": share}
    if alpha1 is not None:
        fields["reading"] = {"lord_reduction": "sum", "normalise_over": "sample",
                             "alpha1_from": "solved", "alpha1": alpha1}
    return fake_result(experiment, "full", seed, mae=[mae + h / 100 for h in (15, 30, 45)],
                       rmse=None, mape=None, **fields)


def test_table_sets_table3_rows_beside_table6_rows():
    results = [run("kd/losloop/student-ltcd-t3", 0, 4.0, alpha1=0.06, share=0.64),
               run("kd/losloop/student-ltcd-t3", 1, 5.0, alpha1=0.08, share=0.66),
               run("kd/losloop/student-ltcd", 0, 4.5, share=0.22)]
    table = table3_alpha_table(results, "losloop").set_index("experiment")
    assert len(table) == 6
    t3 = table.loc["kd/losloop/student-ltcd-t3"]
    assert t3["row"] == "Student LTCD" and t3["alpha1 from"] == "Table 3"
    assert t3["target share"] == pytest.approx(0.64637)        # Table 3, PeMSD7's LTCD
    assert t3["alpha1"] == pytest.approx(0.07) and t3["teacher share"] == pytest.approx(0.65)
    assert t3["seeds"] == 2 and t3["mae_30"] == pytest.approx(4.8)
    assert t3["mae_30_std"] == pytest.approx(math.sqrt(0.5))
    t6 = table.loc["kd/losloop/student-ltcd"]
    # an old run without a recorded reading: alpha1 from its registered hyperparameters
    assert t6["alpha1"] == pytest.approx(0.17) and math.isnan(t6["target share"])
    assert table.loc["kd/losloop/student-lscd-t3", "seeds"] == 0
    with pytest.raises(ValueError, match="dataset"):
        table3_alpha_table(results, "pems08")


def test_verdicts_pair_each_term_with_lord_at_its_table3_alpha():
    # LTCD-t3 is 0.1 better than LORD-t3 on seeds 0 and 1 and 0.3 on seed 2: mean -0.167,
    # std 0.115, half width 4.3027 * 0.1155 / sqrt(3) = 0.287 -> within noise
    results = [run("kd/losloop/student-lord-t3", s, 4.0) for s in range(3)]
    results += [run("kd/losloop/student-ltcd-t3", s, 4.0 - g)
                for s, g in enumerate([0.1, 0.1, 0.3])]
    verdicts = table3_alpha_verdicts(results, "losloop")
    ltcd = verdicts[(verdicts["claimed_row"].str.startswith("Student LTCD"))
                    & (verdicts["baseline_row"].str.startswith("Student LORD"))]
    assert len(ltcd) == 3 and ltcd["difference"].tolist() == pytest.approx([-0.5 / 3] * 3)
    assert (ltcd["verdict"] == "within noise").all()
    assert (verdicts[verdicts["claimed_row"].str.startswith("Student LSCD")]["verdict"]
            == "not compared").all()
    assert len(verdicts) == 5 * 3


def test_the_verdicts_read_as_one_row_per_comparison():
    from stgkd.report.dose_response import dose_verdict_view
    results = [run("kd/losloop/student-lord-t3", s, 4.0) for s in range(3)]
    results += [run("kd/losloop/student-ltcd-t3", s, 3.8) for s in range(3)]
    verdicts = table3_alpha_verdicts(results, "losloop").assign(dataset="Los-loop")
    view = dose_verdict_view(verdicts, by={"dataset": "data set", "claimed_row": "claimed"})
    assert view["claimed"].tolist() == ["Student LTCD, alpha1 from Table 3 (not in the paper)"]
    assert view.loc[0, "Δ MAE 45 min"] == "-0.200 [-0.200, -0.200]"
    assert view.loc[0, "verdict"] == "holds" and view.loc[0, "n"] == 3
