"""Table 8 asked again: arms, moments, nearest-to-paper and paired verdicts, by hand."""
import math

import pytest

from stgkd.report.table8_again import (arms_table, moment_maes, nearest_to_paper,
                                       question_verdicts)

from factories import KD_HORIZONS, fake_result, metrics


def run(experiment, seed, mae, after=None, history=None):
    """A full-profile run with test MAE ``mae`` at 15 / 30 / 45 min (no other metric) and,
    when given, MAE ``after`` right after pruning and the per-epoch ``history``."""
    fields = {} if after is None else {
        "pruning": {"after_pruning": {"test": metrics(KD_HORIZONS, mae=after)}}}
    if history is not None:
        fields["history"] = history
    return fake_result(experiment, "full", seed, mae=mae, rmse=None, mape=None, **fields)


def test_moment_maes_reads_each_moment_from_its_own_place():
    results = [run("prune/losloop/taylor-50", 0, (3, 4, 5), after=(6, 7, 8)),
               run("prune/losloop/taylor-50-ft1", 0, (4, 5, 6))]
    assert moment_maes(results, "prune/losloop/taylor-50", "after full fine-tuning") == \
        {"full": {0: [3.0, 4.0, 5.0]}}
    assert moment_maes(results, "prune/losloop/taylor-50", "right after pruning") == \
        {"full": {0: [6.0, 7.0, 8.0]}}
    assert moment_maes(results, "prune/losloop/taylor-50", "after one epoch") == \
        {"full": {0: [4.0, 5.0, 6.0]}}
    with pytest.raises(ValueError, match="moment: expected one of"):
        moment_maes(results, "prune/losloop/taylor-50", "later")


def test_after_one_epoch_also_reads_the_first_epoch_a_full_run_recorded():
    first_epoch = {"epoch": 1, "val_mae": 4.0, "test": metrics(KD_HORIZONS, mae=(5, 6, 7))}
    later = {"epoch": 2, "val_mae": 3.0, "test": metrics(KD_HORIZONS, mae=(9, 9, 9))}
    results = [
        # seed 0: a one-epoch run and a full run; the one-epoch run's own figures count
        run("prune/losloop/taylor-50", 0, (3, 4, 5), history=[first_epoch, later]),
        run("prune/losloop/taylor-50-ft1", 0, (4, 5, 6)),
        # seed 1: only the full run, whose first epoch recorded its test metrics
        run("prune/losloop/taylor-50", 1, (3, 4, 5), history=[first_epoch, later]),
        # seed 2: a full run from before test metrics were recorded every epoch
        run("prune/losloop/taylor-50", 2, (3, 4, 5), history=[{"epoch": 1, "val_mae": 4.0}]),
    ]
    assert moment_maes(results, "prune/losloop/taylor-50", "after one epoch") == \
        {"full": {0: [4.0, 5.0, 6.0], 1: [5.0, 6.0, 7.0]}}


def test_rise_over_base_and_the_papers_rise_by_hand():
    # our base MAE 2, 4, 5; Taylor 25% 2.2, 4.4, 5.5: a 10% rise at every horizon
    results = [run("prune/pemsd7m/base", 0, (2.0, 4.0, 5.0)),
               run("prune/pemsd7m/taylor-25", 0, (2.2, 4.4, 5.5))]
    table = arms_table(results, "pemsd7m")
    row = table[(table["level"] == 25) & (table["arm"] == "Taylor, per layer")
                & (table["moment"] == "after full fine-tuning")].iloc[0]
    assert row["rise over base %"] == pytest.approx(10.0)
    assert row["MAE 15 min"] == "2.200" and row["n"] == 1
    # the paper's PeMSD7 Pruned W/O KD 25% against its base model (Table 8 MAE):
    # 2.721/2.321, 3.889/3.216, 4.728/3.896 -> mean rise
    paper = ((2.721 / 2.321 - 1) + (3.889 / 3.216 - 1) + (4.728 / 3.896 - 1)) / 3 * 100
    assert row["paper rise %"] == pytest.approx(paper, abs=1e-6)
    nearest = nearest_to_paper(table)
    assert nearest.iloc[0]["arm"] == "Taylor, per layer" and nearest.iloc[0]["level"] == 25
    assert nearest.iloc[0]["gap"] == pytest.approx(abs(10.0 - paper))
    # Los-loop has no paper figures: nothing is nearest
    assert nearest_to_paper(arms_table(
        [run("prune/losloop/base", 0, (2, 4, 5)),
         run("prune/losloop/taylor-25", 0, (2, 4, 5))], "losloop")).empty


def test_question_verdicts_pair_by_seed():
    # Algorithm 1 lower by 0.1, 0.2, 0.3 at every horizon (seeds 0-2): mean -0.2, std 0.1,
    # half width 4.3027 * 0.1 / sqrt(3) = 0.248 -> [-0.448, +0.048], within noise
    results = []
    for seed, gap in enumerate([0.1, 0.2, 0.3]):
        results.append(run("prune/losloop/taylor-50", seed, (3, 4, 5)))
        results.append(run("prune/losloop/kdis-lstcd-50", seed,
                           (3 - gap, 4 - gap, 5 - gap)))
    table = question_verdicts(results, "losloop")
    row = table[(table["level"] == 50) & (table["question"] == "Algorithm 1 against Taylor, per layer")
                & (table["moment"] == "after full fine-tuning")].iloc[0]
    assert row["n"] == 3 and row["verdict"] == "within noise"
    assert row["MAE difference 15 min"] == "-0.200 [-0.448, +0.048]"
    other = table[(table["level"] == 50) & (table["question"] ==
                                            "Algorithm 1 against Taylor, whole network")].iloc[0]
    assert other["verdict"] == "not compared" and other["n"] == 0
