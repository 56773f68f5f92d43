"""Can our seeds tell the paper's effect from none: the paper's difference against our
paired interval, on hand-worked intervals and the paper's Table 4."""
import math

import pytest

from stgkd.report.claims import CLAIMS, paper_values
from stgkd.report.resolution import (AGREES, CANNOT_TELL, EXCEEDS, NO_PAPER_FIGURE, RULES_OUT,
                                     TOO_FEW,
                                     extra_seeds_needed, resolution_cells, resolution_counts,
                                     resolution_summary, resolution_view, resolution_word)

from factories import fake_result

LSTCD, NO_KD = "kd/pemsd7m/student-lstcd", "kd/pemsd7m/student-no-kd"
TABLE4_LSTCD = next(c for c in CLAIMS
                    if c.statement == "LSTCD beats the student without distillation")
# the paper's Table 4, PeMSD7: LSTCD 2.615 / 3.776 / 4.754 against W/O KD 2.666 / 3.868 / 4.799
PAPER_DIFFERENCE = {15.0: 2.615 - 2.666, 30.0: 3.776 - 3.868, 45.0: 4.754 - 4.799}
# LSTCD's MAE per seed against 3.0 / 4.0 / 5.0 for the student without KD: differences
#   15 min: -0.10, -0.05, 0.00 -> mean -0.05, s 0.05, half-width t(0.975, 2) 0.05 / sqrt 3
#           = 4.3027 * 0.028868 = 0.1242: [-0.174, +0.074] holds 0 and -0.051: cannot tell
#   30 min: -0.29, -0.30, -0.31 -> [-0.325, -0.275]: -0.092 outside, between 0 and the
#           interval (ours the larger gain): exceeds
#   45 min: -0.04, -0.05, -0.06 -> [-0.075, -0.025]: holds -0.045, not 0: agrees
LSTCD_MAE = {0: (2.90, 3.71, 4.96), 1: (2.95, 3.70, 4.95), 2: (3.00, 3.69, 4.94)}


def runs(seeds=(0, 1, 2), dataset="pemsd7m"):
    lstcd, no_kd = (name.replace("pemsd7m", dataset) for name in (LSTCD, NO_KD))
    return ([fake_result(lstcd, "full", s, mae=LSTCD_MAE[s]) for s in seeds]
            + [fake_result(no_kd, "full", s, mae=(3.0, 4.0, 5.0)) for s in seeds])


def test_resolution_words_on_hand_worked_intervals():
    assert resolution_word(-0.05, -0.06, 0.05) == CANNOT_TELL
    assert resolution_word(-0.30, -0.06, 0.05) == RULES_OUT       # the paper's effect too large
    assert resolution_word(+0.10, -0.06, 0.05) == RULES_OUT       # on the other side
    assert resolution_word(-0.05, +0.02, +0.10) == RULES_OUT      # ours the other way round
    assert resolution_word(-0.05, -0.30, -0.10) == EXCEEDS        # ours the larger gain
    assert resolution_word(+0.05, +0.10, +0.30) == EXCEEDS        # likewise, claims of a rise
    assert resolution_word(-0.05, -0.30, -0.05) == AGREES         # the end holds it: inside
    assert resolution_word(-0.05, -0.08, -0.02) == AGREES
    assert resolution_word(-0.05, -0.05, 0.0) == CANNOT_TELL      # both ends inclusive
    assert resolution_word(math.nan, -0.06, 0.05) == NO_PAPER_FIGURE
    assert resolution_word(-0.05, math.nan, math.nan) == TOO_FEW
    with pytest.raises(ValueError, match="low, high"):
        resolution_word(-0.05, 0.1, -0.1)


def test_paper_values_are_the_table_rows_and_none_without_a_paper_figure():
    claimed, baseline = paper_values(TABLE4_LSTCD, "pemsd7m")
    for horizon, difference in PAPER_DIFFERENCE.items():
        assert claimed[("MAE", horizon)] - baseline[("MAE", horizon)] == pytest.approx(difference)
    assert paper_values(TABLE4_LSTCD, "losloop") is None            # the KD paper has no Los-loop
    dmst = next(c for c in CLAIMS if c.paper == "DMST-GNODE paper")
    assert paper_values(dmst, "losloop") is None


def test_each_cell_reads_the_paper_difference_against_the_paired_interval():
    cells = resolution_cells(runs(), claims=[TABLE4_LSTCD])
    mae = cells[(cells["metric"] == "MAE") & (cells["dataset"] == "pemsd7m")].set_index(
        "horizon_min")
    assert mae["paper_difference"].to_dict() == pytest.approx(PAPER_DIFFERENCE)
    assert mae.loc[15.0, "ci_low"] == pytest.approx(-0.05 - 0.1242, abs=1e-3)
    assert mae.loc[15.0, "ci_high"] == pytest.approx(-0.05 + 0.1242, abs=1e-3)
    assert mae["resolution"].to_dict() == {15.0: CANNOT_TELL, 30.0: EXCEEDS, 45.0: AGREES}
    assert (mae["n"] == 3).all()
    losloop = cells[cells["dataset"] == "losloop"]
    assert set(losloop["resolution"]) == {NO_PAPER_FIGURE}


def test_the_view_and_counts_show_only_cells_with_a_paper_figure():
    cells = resolution_cells(runs(), claims=[TABLE4_LSTCD])
    view = resolution_view(cells)
    row = view.loc[(f"Table 4: {TABLE4_LSTCD.statement}", "pemsd7m")]
    assert row["MAE, 15 min"] == "paper -0.051 · ours -0.050 [-0.174, +0.074]: cannot tell"
    assert row["n"] == 3
    assert [d for _, d in view.index] == ["pemsd7m"]
    counts = dict(zip(*resolution_counts(cells).values.T))
    assert sum(counts.values()) == 6                                 # MAE and RMSE, 3 horizons
    assert counts[CANNOT_TELL] == 1 and counts[AGREES] == 1


def test_three_seeds_that_cannot_tell_ask_for_seeds_3_and_4():
    extra = extra_seeds_needed(runs())
    row = extra[extra["statement"] == TABLE4_LSTCD.statement].iloc[0]
    assert row["dataset"] == "pemsd7m" and row["target"] == "0, 1, 2, 3, 4"
    assert row["runs"] == [(LSTCD, 3), (LSTCD, 4), (NO_KD, 3), (NO_KD, 4)]
    assert len(extra) == 1                   # no other claim has three paired seeds


def test_no_extra_seeds_below_three_seeds_or_when_the_cells_are_resolved():
    assert extra_seeds_needed(runs(seeds=(0, 1))).empty          # three seeds come first
    # narrow intervals far from the paper's differences: every cell rules the effect out
    resolved = ([fake_result(LSTCD, "full", s, mae=(3.5 + d, 4.5 + d, 5.5 + d))
                 for s, d in enumerate((0.0, 0.01, 0.02))]
                + [fake_result(NO_KD, "full", s, mae=(3.0, 4.0, 5.0)) for s in range(3)])
    assert extra_seeds_needed(resolved).empty
    # five paired seeds are the most the rule asks for
    five = ([fake_result(LSTCD, "full", s, mae=LSTCD_MAE[s % 3]) for s in range(5)]
            + [fake_result(NO_KD, "full", s, mae=(3.0, 4.0, 5.0)) for s in range(5)])
    assert extra_seeds_needed(five).empty


def test_the_summary_names_the_horizons_of_each_reading_and_feeds_the_intro_table():
    from stgkd.report.claims import claim_verdicts, verdict_markdown
    results = runs()
    cells = resolution_cells(results, claims=[TABLE4_LSTCD])
    key = ("Table 4", TABLE4_LSTCD.statement, "pemsd7m")
    summary = resolution_summary(cells)
    assert summary == {key: "exceeds (30 min); cannot tell (15 min); agrees (45 min)"}
    table = verdict_markdown(claim_verdicts(results), paper_effect=summary).splitlines()
    assert table[0].endswith("| the paper's effect |")
    assert ("| Table 4: LSTCD beats the student without distillation | pemsd7m | 3 | "
            "mixed | exceeds (30 min); cannot tell (15 min); agrees (45 min) |") in table
    # a claim without a paper figure (Los-loop) gets a dash
    assert any(line.startswith("| Table 4: LSTCD beats the student without distillation | "
                               "losloop |") and line.endswith("| – |") for line in table)
    # with one paired seed there is no interval to read the paper's effect against
    one = resolution_cells(runs(seeds=(0,)), claims=[TABLE4_LSTCD])
    assert resolution_summary(one) == {key: TOO_FEW}


def test_claims_needed_lists_claims_below_three_then_those_sent_to_five():
    from stgkd.report.resolution import claims_needed
    from stgkd.report.seeds_needed import seeds_needed
    results = runs()
    needed = claims_needed(results)
    below_three = seeds_needed(results)
    assert len(needed) == len(below_three) + 1
    assert needed.iloc[:-1]["statement"].tolist() == below_three["statement"].tolist()
    assert needed.iloc[-1]["target"] == "0, 1, 2, 3, 4"


def test_the_resolution_reads_cells_paired_once_by_the_caller():
    from stgkd.report.claims import claim_cells
    cells = claim_cells(runs(), claims=[TABLE4_LSTCD])
    fresh = resolution_cells(runs(), claims=[TABLE4_LSTCD])
    # the given cells are what it reads: no runs at all, the same words and intervals
    assert resolution_cells([], claims=[TABLE4_LSTCD], cells=cells).equals(fresh)
