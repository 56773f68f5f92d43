"""Readings of the KD paper as options: D normalised over the training set, α1 solved for
a share of teacher targets, the correlation terms weighed to a share of the loss."""
import pytest
import torch

from stgkd.distill.correlation import combine_lstcd
from stgkd.distill.readings import (correlation_scale_for_share, minimum_share, solve_alpha1,
                                    teacher_error_range, teacher_share)
from stgkd.distill.response import lord, normalised_teacher_error

# errors |y_t - T| of two windows of three nodes: [[0, 1, 2], [0, 2, 4]]
Y_T = torch.zeros(2, 3)
TARGET = torch.tensor([[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]])


def test_d_normalised_over_each_sample_and_over_the_training_set():
    per_sample = normalised_teacher_error(Y_T, TARGET, "sample")
    assert torch.allclose(per_sample, torch.tensor([[0.0, 0.5, 1.0], [0.0, 0.5, 1.0]]))
    assert teacher_error_range(Y_T, TARGET) == (0.0, 4.0)
    over_set = normalised_teacher_error(Y_T, TARGET, "dataset", (0.0, 4.0))
    assert torch.allclose(over_set, torch.tensor([[0.0, 0.25, 0.5], [0.0, 0.5, 1.0]]))
    # a batch outside the training range is clipped to [0, 1]
    outside = normalised_teacher_error(torch.zeros(1, 2), torch.tensor([[8.0, -1.0]]),
                                       "dataset", (1.0, 5.0))
    assert torch.allclose(outside, torch.tensor([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="error_range"):
        normalised_teacher_error(Y_T, TARGET, "dataset")
    with pytest.raises(ValueError, match="normalise_over: expected one of"):
        normalised_teacher_error(Y_T, TARGET, "window")


def test_lord_hands_the_nodes_above_alpha1_to_the_teacher_under_each_reading():
    y_s = torch.ones(2, 3)
    # over the training set D = [[0, .25, .5], [0, .5, 1]]: alpha1 = 0.4 takes 3 targets
    loss, mask = lord(y_s, Y_T, TARGET, 0.4, "dataset", "sum", (0.0, 4.0))
    assert mask.tolist() == [[False, False, True], [False, True, True]]
    # teacher (0) for the masked, the data elsewhere: (1-0)^2 + (1-1)^2 + 1 + 1 + 1 + 1
    assert loss.item() == pytest.approx(5.0)


def test_alpha1_solved_for_a_share():
    # per sample D sorted: 1, 1, .5, .5, 0, 0
    alpha1 = solve_alpha1(Y_T, TARGET, 2 / 6, "sample")
    assert alpha1 == pytest.approx(0.75)
    assert teacher_share(Y_T, TARGET, alpha1, "sample") == pytest.approx(2 / 6)
    assert teacher_share(Y_T, TARGET, solve_alpha1(Y_T, TARGET, 4 / 6), "sample") == \
        pytest.approx(4 / 6)
    # one target in six is below the per-sample floor of one in three ...
    assert minimum_share("sample", n_nodes=3, n_windows=2) == pytest.approx(1 / 3)
    assert teacher_share(Y_T, TARGET, solve_alpha1(Y_T, TARGET, 1 / 6), "sample") == 0.0
    # ... and in reach when D is normalised over the training set: D = 1 only once
    alpha1 = solve_alpha1(Y_T, TARGET, 1 / 6, "dataset")
    assert alpha1 == pytest.approx(0.75)
    assert teacher_share(Y_T, TARGET, alpha1, "dataset") == pytest.approx(1 / 6)
    assert minimum_share("dataset", n_nodes=3, n_windows=2) == pytest.approx(1 / 6)
    with pytest.raises(ValueError, match="share: expected a fraction"):
        solve_alpha1(Y_T, TARGET, 1.5)


def test_batch_normalisation_uses_consecutive_batches():
    # batches of one window are the per-sample normalisation
    assert teacher_share(Y_T, TARGET, 0.75, "batch", batch_size=1) == pytest.approx(2 / 6)
    # one batch of both windows: D = [[0, .25, .5], [0, .5, 1]] as over the set
    assert teacher_share(Y_T, TARGET, 0.4, "batch", batch_size=2) == pytest.approx(3 / 6)
    assert minimum_share("batch", n_nodes=3, n_windows=2, batch_size=2) == pytest.approx(1 / 6)


def test_correlation_weight_for_a_share_of_the_loss():
    # k C / (L + k C) = s  ->  k = s / (1 - s) * L / C
    assert correlation_scale_for_share(0.5, 100.0, 0.01) == pytest.approx(1e4)
    assert correlation_scale_for_share(0.1, 100.0, 0.01) == pytest.approx(1111.111, rel=1e-6)
    assert correlation_scale_for_share(0.0, 100.0, 0.01) == 0.0
    with pytest.raises(ValueError, match="share"):
        correlation_scale_for_share(1.0, 100.0, 0.01)
    # eq. 11 with the correlation terms weighed by k = 2:
    # 2 + 2 * 0.5 * (0.25 * 3 + 0.75 * 5) = 6.5
    terms = {"lord": torch.tensor(2.0), "lscd": torch.tensor(3.0), "ltcd": torch.tensor(5.0)}
    assert combine_lstcd(terms, 0.25, 0.5, correlation_scale=2.0).item() == pytest.approx(6.5)
    assert combine_lstcd(terms, 0.25, 0.5).item() == pytest.approx(4.25)


def test_alpha1_meets_table_3s_shares_on_real_data():
    """On Los-loop's training windows with the stored full-profile teacher, the solved α1
    gives Table 3's PeMSD7 shares within half a percentage point."""
    from stgkd.data import DEFAULT_SPLITS, load_series, make_windows
    from stgkd.runner import _teacher_training_outputs
    from stgkd.runs import load_stgcn
    from stgkd.runs import result_path
    checkpoint = result_path("full", "kd/losloop/teacher", 0, suffix=".pt")
    if not checkpoint.is_file():
        pytest.skip(f"{checkpoint} is not stored")
    series = load_series("losloop")
    data = make_windows(series, DEFAULT_SPLITS["losloop"])
    teacher = load_stgcn(checkpoint, series.weights).eval()
    y_t, target = _teacher_training_outputs(teacher, data, "cpu")
    for share in (0.03009, 0.15844, 0.64637):        # Table 3: LORD, LSTCD, LTCD on PeMSD7
        alpha1 = solve_alpha1(y_t, target, share, "sample")
        assert abs(teacher_share(y_t, target, alpha1, "sample") - share) < 0.005
        alpha1 = solve_alpha1(y_t, target, share, "dataset")
        assert abs(teacher_share(y_t, target, alpha1, "dataset") - share) < 0.005


def test_one_term_alone_is_weighed_to_the_target_share_from_the_lstcd_runs_terms():
    """kd/<ds>/student-ltcd-corr<s> and -lscd-corr<s>: k makes k * alpha3 * term reach the
    share s of LORD + that, from the calibrating LSTCD run's unweighted mean terms."""
    from stgkd.distill.readings import correlation_scale_for_share
    from stgkd.registry import EXPERIMENTS
    from stgkd.runner import _correlation_weight_at_unit_scale
    terms = {"lord": 900.0, "lscd": 0.2, "ltcd": 0.05, "weighted_lscd": 0.003,
             "weighted_ltcd": 0.0149}
    ltcd = EXPERIMENTS["kd/losloop/student-ltcd-corr1e-1"]
    lscd = EXPERIMENTS["kd/losloop/student-lscd-corr1e-1"]
    assert ltcd.loss == "ltcd" and lscd.loss == "lscd"
    assert ltcd.calibrated_by == lscd.calibrated_by == "kd/losloop/student-lstcd"
    alpha3 = ltcd.hyper["alpha3"]
    # by hand: LTCD alone weighs alpha3 * ltcd at k = 1, LSCD alone alpha3 * lscd
    assert _correlation_weight_at_unit_scale("ltcd", ltcd.hyper, terms) == \
        pytest.approx(alpha3 * 0.05)
    assert _correlation_weight_at_unit_scale("lscd", lscd.hyper, terms) == \
        pytest.approx(lscd.hyper["alpha3"] * 0.2)
    # LSTCD keeps the stored weighted terms
    assert _correlation_weight_at_unit_scale("lstcd", {}, terms) == pytest.approx(0.0179)
    k = correlation_scale_for_share(0.1, terms["lord"],
                                    _correlation_weight_at_unit_scale("ltcd", ltcd.hyper, terms))
    reached = k * alpha3 * 0.05
    assert reached / (terms["lord"] + reached) == pytest.approx(0.1)


def test_a_pruning_loss_is_calibrated_on_its_start_model_to_the_target_share(
        synthetic, synthetic_windows):
    """calibrate_correlation: on the calibration minibatches themselves, the loss at the
    weight it sets has its correlation terms at exactly the target share (k C / (L + k C)
    with L and C measured at k = 1); the counters start afresh; every seed gets the same k."""
    from stgkd.distill import make_kd_loss
    from stgkd.nn import STGCN
    from stgkd.prune.algorithm import minibatches
    from stgkd.registry import EXPERIMENTS
    from stgkd.runner import START_MODEL_CALIBRATION, calibrate_correlation

    variant = EXPERIMENTS["prune/losloop/kdis-lstcd-50-corr1e-1"]
    assert variant.hyper["correlation_share"] == 0.1 and variant.calibrated_by is None
    torch.manual_seed(0)
    teacher = STGCN(synthetic.n_nodes, [[1, 4, 8], [8, 4, 8]], n_his=12, weights=synthetic.weights)
    student = STGCN(synthetic.n_nodes, [[1, 2, 4], [4, 2, 4]], n_his=12, weights=synthetic.weights)

    def calibrated():
        loss_fn = make_kd_loss("lstcd", teacher, alpha1=0.935, alpha2=0.981, alpha3=0.129)
        loss_fn.reading = {"correlation_target_share": 0.1,
                           "correlation_scale_from": START_MODEL_CALIBRATION}
        return loss_fn, calibrate_correlation(loss_fn, student, synthetic_windows, 8, batches=3)

    loss_fn, k = calibrated()
    assert k > 0 and loss_fn.correlation_scale == k and loss_fn.reading["correlation_scale"] == k
    assert int(loss_fn.steps) == 0 and int(loss_fn.all_targets) == 0
    calibration = loss_fn.reading["correlation_calibration"]
    assert calibration["minibatches"] == 3
    # the same three minibatches at weight k: the correlation terms are 10% of the loss
    stream = minibatches(synthetic_windows, 8, seed=0)
    student.eval()
    with torch.no_grad():
        for _ in range(3):
            x, y, _ = next(stream)
            loss_fn(student, x, y)
    terms = loss_fn.term_means
    reached = terms["weighted_lscd"] + terms["weighted_ltcd"]
    assert reached / (terms["lord"] + reached) == pytest.approx(0.1, rel=1e-6)
    assert terms["lord"] == pytest.approx(calibration["lord"])
    assert calibrated()[1] == pytest.approx(k, rel=1e-12)     # the same k, run to run
