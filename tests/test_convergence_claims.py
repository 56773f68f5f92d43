"""Figure 3's convergence claim and Table 3's intervals, on hand-worked runs."""
import math

import pandas as pd
import pytest

from stgkd.report.convergence import (convergence_verdicts, mean_validation_mae,
                                      teacher_share_intervals)
from stgkd.report.verdicts import mean_interval

from factories import fake_result


def run(experiment, seed, val_maes, profile="full", **fields):
    """A run whose validation MAE was ``val_maes``, one per epoch."""
    return fake_result(experiment, profile, seed, **fields,
                       history=[{"epoch": e, "val_mae": v} for e, v in enumerate(val_maes)])


def test_mean_validation_mae_is_the_area_over_the_length():
    assert mean_validation_mae(run("a", 0, [5.0, 3.0, 1.0])) == 3.0
    assert math.isnan(mean_validation_mae(run("a", 0, [])))


def test_convergence_verdict_paired_by_seed_by_hand():
    # LSTCD curves' means: 3, 4, 5 (seeds 0-2); no-KD: 4, 6, 8 -> differences -1, -2, -3:
    # mean -2, std 1, t(0.975, 2) = 4.3027 -> interval -2 ± 2.484 = [-4.484, 0.484]
    results = [run("kd/losloop/student-lstcd", s, [m + 1, m - 1]) for s, m in enumerate([3, 4, 5])]
    results += [run("kd/losloop/student-no-kd", s, [m, m]) for s, m in enumerate([4, 6, 8])]
    # a seed only one side has is left out of the pairing
    results.append(run("kd/losloop/student-no-kd", 7, [1.0]))
    table = convergence_verdicts(results, datasets=["losloop"], baselines=["student-no-kd"])
    row = table.iloc[0]
    assert row["n"] == 3 and row["seeds"] == "0, 1, 2" and row["profile"] == "full"
    assert row["difference"] == pytest.approx(-2.0)
    assert row["ci_low"] == pytest.approx(-4.484, abs=1e-3)
    assert row["ci_high"] == pytest.approx(0.484, abs=1e-3)
    assert row["verdict"] == "within noise"


def test_convergence_holds_when_every_seed_is_lower_by_about_the_same():
    results = [run("kd/losloop/student-lstcd", s, [3.0 + 0.01 * s]) for s in range(3)]
    results += [run("kd/losloop/student-lrd-l2", s, [4.0 + 0.02 * s]) for s in range(3)]
    table = convergence_verdicts(results, datasets=["losloop"], baselines=["student-lrd-l2"])
    assert table.iloc[0]["verdict"] == "holds"


def test_convergence_not_compared_without_the_other_side():
    results = [run("kd/losloop/student-lstcd", 0, [3.0])]
    table = convergence_verdicts(results, datasets=["losloop"], baselines=["student-lskd"])
    assert table.iloc[0]["verdict"] == "not compared" and table.iloc[0]["n"] == 0


def test_mean_interval_by_hand():
    mean, std, low, high = mean_interval([1.0, 2.0, 3.0])   # std 1, t 4.3027, sqrt 3
    assert std == pytest.approx(1.0)
    assert (mean, low, high) == pytest.approx((2.0, 2 - 4.3027 / 3 ** 0.5, 2 + 4.3027 / 3 ** 0.5),
                                              abs=1e-4)
    assert math.isnan(mean_interval([2.0])[2])
    with pytest.raises(ValueError, match="values"):
        mean_interval([])


def test_teacher_share_intervals_say_whether_the_paper_is_inside():
    paper = pd.DataFrame([
        {"our_dataset": "losloop", "model": "Student LORD", "paper_pct": 3.0,
         "experiment": "kd/losloop/student-lord"},
        {"our_dataset": "losloop", "model": "Student LTCD", "paper_pct": 64.6,
         "experiment": "kd/losloop/student-ltcd"},
        {"our_dataset": "losloop", "model": "Student LSCD", "paper_pct": 1.4,
         "experiment": float("nan")}])
    # LORD shares 2%, 3%, 4%: mean 3, interval 3 ± 2.484 contains 3.0
    results = [run("kd/losloop/student-lord", s, [1.0], teacher_share=v) for s, v in
               enumerate([0.02, 0.03, 0.04])]
    # LTCD shares 10%, 11%: interval far below 64.6
    results += [run("kd/losloop/student-ltcd", s, [1.0], teacher_share=v) for s, v in
                enumerate([0.10, 0.11])]
    table = teacher_share_intervals(results, paper).set_index("model")
    assert table.loc["Student LORD", "ours_pct"] == pytest.approx(3.0)
    assert table.loc["Student LORD", "paper_inside"] == "yes"
    assert table.loc["Student LTCD", "paper_inside"] == "no"
    assert table.loc["Student LSCD", "paper_inside"] == "not run"
