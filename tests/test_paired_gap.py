"""Seed-for-seed gap between two experiments, on hand-made results."""
import math

import pytest

from stgkd.report.paired_gap import paired_gap, paired_gap_text

from factories import fake_result

KL, NO_KD = "kd/pemsd7m/student-lrd-kl", "kd/pemsd7m/student-no-kd"


def run(experiment, seed, mae, epoch=10, profile="full"):
    return fake_result(experiment, profile, seed, mae=mae, rmse=[m + 1 for m in mae],
                       mape=None, best_epoch=epoch)


def test_the_largest_gap_over_shared_seeds_and_horizons():
    results = [run(NO_KD, 0, [2.50, 3.50, 4.40]), run(KL, 0, [2.501, 3.50, 4.397]),
               run(NO_KD, 1, [2.46, 3.48, 4.30]), run(KL, 1, [2.46, 3.48, 4.302]),
               run(NO_KD, 2, [2.54, 3.66, 4.60]),              # no partner: not compared
               run(KL, 0, [9.0, 9.0, 9.0], profile="quick")]     # another profile
    gap = paired_gap(results, KL, NO_KD)
    assert gap["seeds"] == [0, 1]
    assert gap["max_gap"] == pytest.approx(0.003)                # 45 min of seed 0
    # spread of the student without KD over its three seeds: largest at 45 min
    assert gap["spread"] == pytest.approx(0.1528, abs=1e-4)     # std(4.40, 4.30, 4.60)
    assert gap["same_epoch"]
    text = paired_gap_text(gap, "LRD(KL)", "the student without KD")
    assert text == ("Seed for seed (seeds 0, 1), LRD(KL) and the student without KD differ "
                    "by at most 0.0030 mph in test MAE at any horizon, against a "
                    "seed-to-seed spread of the student without KD of up to 0.153 mph; the "
                    "two keep the same epoch on every seed.")


def test_different_epochs_and_no_shared_seed():
    results = [run(NO_KD, 0, [2.5, 3.5, 4.4], epoch=3), run(KL, 0, [2.5, 3.5, 4.4], epoch=4)]
    gap = paired_gap(results, KL, NO_KD)
    assert not gap["same_epoch"] and math.isnan(gap["spread"])
    assert "epochs differ" in paired_gap_text(gap, "a", "b")
    none = paired_gap([run(NO_KD, 0, [2.5, 3.5, 4.4])], KL, NO_KD)
    assert none["seeds"] == [] and math.isnan(none["max_gap"]) and not none["same_epoch"]
    assert paired_gap_text(none, "a", "b") == ""
