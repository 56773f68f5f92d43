"""Holm's correction of the many verdict cells: hand-worked p-values and adjustments."""
import math

import pytest
from scipy import stats

from stgkd.report.claims import Claim, claim_cells
from stgkd.report.claims import claim_verdicts, verdict_markdown
from stgkd.report.multiplicity import (claim_family_verdicts, corrected_cells, corrected_claims,
                                       correction_summary, holm_adjusted, t_needed)
from stgkd.report.verdicts import paired_difference

from factories import fake_result


def test_paired_p_value_matches_the_closed_form_for_two_degrees_of_freedom():
    # differences -1, -2, -3: t = 2 / (1 / sqrt 3) = sqrt 12; for 2 degrees of freedom
    # P(T > t) = (1 - t / sqrt(t^2 + 2)) / 2, so p = 1 - sqrt(12 / 14) = 0.074180
    d = paired_difference([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])
    assert d.p_value == pytest.approx(1 - math.sqrt(12 / 14), abs=1e-9)


def test_paired_p_value_agrees_with_scipy_and_with_the_interval():
    claimed, baseline = [1.0, 0.8, 1.2, 0.9, 1.1], [2.0, 1.9, 2.3, 1.7, 2.0]
    d = paired_difference(claimed, baseline)
    assert d.p_value == pytest.approx(stats.ttest_rel(claimed, baseline).pvalue, rel=1e-9)
    # the 95% interval leaves out zero exactly when p < 0.05
    assert (d.p_value < 0.05) == (d.high < 0 or d.low > 0)
    assert (paired_difference([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]).p_value < 0.05) is False


def test_p_value_without_an_interval_or_spread():
    assert math.isnan(paired_difference([1.0], [2.0]).p_value)
    assert paired_difference([1.0, 2.0], [2.0, 3.0]).p_value == 0.0     # every d = -1
    assert paired_difference([1.0, 2.0], [1.0, 2.0]).p_value == 1.0     # every d = 0


def test_holm_by_hand():
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> 0.06
    # (the running maximum keeps the order of the raw p-values)
    assert holm_adjusted([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # NaN is not a test: m = 2 here, and the adjusted values are capped at 1
    adjusted = holm_adjusted([0.02, math.nan, 0.7])
    assert adjusted[0] == pytest.approx(0.04) and math.isnan(adjusted[1])
    assert adjusted[2] == pytest.approx(0.7)
    assert holm_adjusted([0.6, 0.7]) == pytest.approx([1.0, 1.0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm_adjusted([0.5, 1.5])


def test_t_needed_is_the_two_sided_bonferroni_quantile_of_the_first_step():
    # one cell, three seeds: the plain 95% quantile t(0.975, 2) = 4.302653
    assert t_needed(3, 1) == pytest.approx(4.302653, abs=1e-6)
    # six cells: t(1 - 0.05 / 12, 2); for 2 degrees of freedom t(q) = (2q - 1) sqrt(2 / (1 - (2q - 1)^2))
    q = 1 - 0.05 / 12
    assert t_needed(3, 6) == pytest.approx((2 * q - 1) * math.sqrt(2 / (1 - (2 * q - 1) ** 2)))
    with pytest.raises(ValueError, match="seeds"):
        t_needed(1, 6)


def run(experiment, seed, mae):
    """A Los-loop run with MAE ``mae`` and RMSE ``mae + 1`` at 15 min only."""
    return fake_result(experiment, "full", seed, dataset="losloop", horizons=("15min",),
                       mae=mae, rmse=mae + 1.0, mape=None)


# two claims on one data set, each two cells (MAE and RMSE at 15 min)
STRONG = Claim("Table X", "a beats b", "kd/{dataset}/a", "kd/{dataset}/b", ("losloop",), (15.0,))
WEAK = Claim("Table Y", "c beats d", "kd/{dataset}/c", "kd/{dataset}/d", ("losloop",), (15.0,))


def results():
    # a - b: -1.0, -1.1, -0.9: t = 1 / (0.1 / sqrt 3) = 17.32, p = 1 - t / sqrt(t^2 + 2)
    # = 0.0033; c - d: -0.3, -0.4, -0.2: t = 0.3 / (0.1 / sqrt 3) = 5.196, p = 0.0351
    out = []
    for seed, (a, b, c, d) in enumerate([(1.0, 2.0, 1.0, 1.3), (1.0, 2.1, 1.0, 1.4),
                                         (1.0, 1.9, 1.0, 1.2)]):
        out += [run("kd/losloop/a", seed, a), run("kd/losloop/b", seed, b),
                run("kd/losloop/c", seed, c), run("kd/losloop/d", seed, d)]
    return out


def test_a_strong_claim_survives_its_family_and_a_marginal_one_does_not():
    cells = claim_cells(results(), claims=(STRONG, WEAK))
    # each side's RMSE is MAE + 1, so both cells of a claim have one p-value
    p_strong = paired_difference([1.0, 1.0, 1.0], [2.0, 2.1, 1.9]).p_value
    p_weak = paired_difference([1.0, 1.0, 1.0], [1.3, 1.4, 1.2]).p_value
    assert p_strong == pytest.approx(1 - math.sqrt(300 / 302), abs=1e-9)
    assert p_weak == pytest.approx(1 - math.sqrt(27 / 29), abs=1e-9)
    assert p_strong < 0.05 / 4 and 0.05 / 2 < p_weak < 0.05
    within = corrected_cells(cells, "claim")
    # within a claim of two cells with equal p: both adjusted to 2p
    assert within["p_holm"].tolist() == pytest.approx([2 * p_strong] * 2 + [2 * p_weak] * 2)
    assert within["verdict"].tolist() == ["holds"] * 4
    assert within["verdict_holm"].tolist() == ["holds"] * 2 + ["within noise"] * 2
    page = corrected_cells(cells, "page")
    # over the page's four cells: the strong pair 4p then 3p (running max 4p), the weak
    # pair 2p then 1p (running max 2p_weak = 0.070, above 0.05)
    assert page["p_holm"].tolist() == pytest.approx([4 * p_strong] * 2 + [2 * p_weak] * 2)
    claims = corrected_claims(cells)
    assert claims["before"].tolist() == ["2 / 0", "2 / 0"]
    assert claims["after_claim"].tolist() == ["2 / 0", "0 / 0"]
    assert claims["verdict_claim"].tolist() == ["holds", "within noise"]
    assert claims["verdict_page"].tolist() == ["holds", "within noise"]
    summary = correction_summary(cells)
    assert summary.startswith("Of the 4 cells with an interval, 4 hold and 0 fail")
    assert "within each claim, 2 hold and 0 fail; over the whole page, 2 hold" in summary
    # the claim family here is two cells, the page four
    assert f"above {t_needed(3, 2):.1f} within a claim of 2 cells" in summary
    assert f"above {t_needed(3, 4):.1f} over the page" in summary


def test_the_intro_table_gives_each_claim_its_verdict_after_the_correction():
    claims = (STRONG, WEAK)
    cells = claim_cells(results(), claims=claims)
    after = claim_family_verdicts(cells)
    assert after == {("Table X", "a beats b", "losloop"): "holds",
                     ("Table Y", "c beats d", "losloop"): "within noise"}
    verdicts = claim_verdicts(results(), claims=claims)     # both "KD paper" claims
    lines = verdict_markdown(verdicts, corrected=after).splitlines()
    assert lines[0] == "| claim | data set | seeds paired | verdict | after Holm's correction |"
    assert lines[2] == "| Table X: a beats b | losloop | 3 | holds | holds |"
    assert lines[3] == "| Table Y: c beats d | losloop | 3 | holds | within noise |"
    # as the DMST comparison's claims, one row sums the claims' corrected words up
    verdicts["paper"] = "DMST-GNODE paper"
    dmst = verdict_markdown(verdicts, corrected=after).splitlines()[2]
    assert dmst == ("| DMST-GNODE beats each of its 2 baselines | losloop | 3 | holds (2 of 2) "
                    "| holds (1 of 2), within noise (1 of 2) |")


def test_cells_without_an_interval_keep_their_word_and_do_not_count():
    one_seed = [run("kd/losloop/a", 0, 1.0), run("kd/losloop/b", 0, 2.0)]
    cells = claim_cells(one_seed, claims=(STRONG,))
    table = corrected_cells(cells, "page")
    assert table["verdict_holm"].tolist() == ["too few seeds"] * 2
    assert table["p_holm"].isna().all()
    assert corrected_claims(cells).empty
    assert correction_summary(cells).startswith("No cell has an interval")
    with pytest.raises(ValueError, match="family"):
        corrected_cells(cells, "paper")
