"""The paired comparison behind every claim: hand-worked t intervals and verdict words."""
import math

import pytest

from stgkd.report.comparison import result_cells
from stgkd.report.verdicts import paired_difference, paired_verdicts, verdict_counts

from factories import fake_result

# Student's t quantiles t(0.975, df), from tables: df 2 -> 4.302653, df 4 -> 2.776445.


def test_interval_that_contains_zero_is_within_noise():
    # differences -1, -2, -3: mean -2, std 1, half width 4.302653 / sqrt(3) = 2.484138
    d = paired_difference([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])
    assert d.n == 3 and d.mean == pytest.approx(-2.0) and d.std == pytest.approx(1.0)
    assert d.low == pytest.approx(-4.484138, abs=1e-6)
    assert d.high == pytest.approx(0.484138, abs=1e-6)
    assert d.verdict("lower") == "within noise" and d.verdict("higher") == "within noise"


def test_interval_below_zero_holds_a_lower_error_claim_and_fails_a_higher_one():
    # differences -1.0, -1.2, -0.8, -1.1, -0.9: mean -1, std sqrt(0.1 / 4) = 0.158114,
    # half width 2.776445 * 0.158114 / sqrt(5) = 0.196324
    d = paired_difference([1.0, 0.8, 1.2, 0.9, 1.1], [2.0, 2.0, 2.0, 2.0, 2.0])
    assert d.std == pytest.approx(0.158114, abs=1e-6)
    assert (d.low, d.high) == (pytest.approx(-1.196324, abs=1e-6),
                               pytest.approx(-0.803676, abs=1e-6))
    assert d.verdict("lower") == "holds" and d.verdict("higher") == "fails"
    flipped = paired_difference([2.0] * 5, [1.0, 0.8, 1.2, 0.9, 1.1])
    assert flipped.verdict("lower") == "fails"


def test_one_seed_has_no_interval():
    d = paired_difference([1.0], [2.0])
    assert d.mean == -1.0 and math.isnan(d.low) and d.verdict() == "too few seeds"


def test_mismatched_or_missing_values_are_refused():
    with pytest.raises(ValueError, match="equally long"):
        paired_difference([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="NaN"):
        paired_difference([1.0, float("nan")], [1.0, 2.0])


def run(experiment, seed, mae, profile="full"):
    """A Los-loop run with MAE ``mae`` and RMSE ``mae + 1`` at 15 min only."""
    return fake_result(experiment, profile, seed, dataset="losloop", horizons=("15min",),
                       mae=mae, rmse=mae + 1.0, mape=None)


def test_paired_verdicts_pair_by_seed_and_leave_unpaired_seeds_out():
    results = [run("a", 0, 1.0), run("a", 1, 2.0), run("a", 2, 3.0), run("a", 5, 0.0),
               run("b", 0, 2.0), run("b", 1, 4.0), run("b", 2, 6.0), run("b", 7, 9.0)]
    table = paired_verdicts(result_cells(results), "a", "b")
    mae = table[table["metric"] == "MAE"].iloc[0]
    # seeds 5 and 7 have no partner: the pairs are seeds 0, 1, 2 as in the first test
    assert mae["seeds"] == "0, 1, 2" and mae["n"] == 3 and mae["profile"] == "full"
    assert mae["claimed"] == pytest.approx(2.0) and mae["baseline"] == pytest.approx(4.0)
    assert mae["claimed_std"] == pytest.approx(1.0) and mae["baseline_std"] == pytest.approx(2.0)
    assert mae["ci_high"] == pytest.approx(0.484138, abs=1e-6)
    assert mae["verdict"] == "within noise"
    assert verdict_counts(table) == "holds 0, fails 0, within noise 2 of 2 cells"


def test_a_side_not_run_is_not_compared():
    table = paired_verdicts(result_cells([run("a", 0, 1.0)]), "a", "b")
    assert (table["verdict"] == "not compared").all() and (table["n"] == 0).all()
    assert table["profile"].iloc[0] == "b not yet run"
    assert verdict_counts(table) == "holds 0, fails 0, within noise 0, not compared 2 of 2 cells"


def test_a_seed_free_side_stands_for_every_seed_of_its_partner():
    # ARIMA has nothing random: its one run (seed 0, MAE 5) pairs with each of
    # DMST-GNODE's seeds 0, 1, 2 (MAE 3, 4, 2): differences -2, -1, -3, mean -2, std 1,
    # half width 4.302653 / sqrt(3) = 2.484138 as in the first test
    arima, dmst = "dmst/losloop/arima", "dmst/losloop/dmst-gnode"
    results = [run(arima, 0, 5.0), run(dmst, 0, 3.0), run(dmst, 1, 4.0), run(dmst, 2, 2.0)]
    for claimed, baseline, sign in ((dmst, arima, 1), (arima, dmst, -1)):
        mae = paired_verdicts(result_cells(results), claimed, baseline).iloc[0]
        assert mae["n"] == 3 and mae["seeds"] == "0, 1, 2 (arima: one run for every seed)"
        assert mae["difference"] == pytest.approx(-2.0 * sign)
        assert mae["ci_high" if sign == 1 else "ci_low"] == pytest.approx(0.484138 * sign,
                                                                        abs=1e-6)
        assert mae["baseline_std" if sign == 1 else "claimed_std"] == 0.0


def test_a_seeded_baseline_does_not_stand_in():
    # the same figures for SVR (seeded): only seed 0 pairs
    svr, dmst = "dmst/losloop/svr", "dmst/losloop/dmst-gnode"
    results = [run(svr, 0, 5.0), run(dmst, 0, 3.0), run(dmst, 1, 4.0), run(dmst, 2, 2.0)]
    mae = paired_verdicts(result_cells(results), dmst, svr).iloc[0]
    assert mae["n"] == 1 and mae["seeds"] == "0" and mae["verdict"] == "too few seeds"
