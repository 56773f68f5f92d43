"""Tables 3 and 6, the claim check, Figure 3 and t-SNE helpers of stgkd.report.kd, on
tiny hand-made results (no training). Paper values are read from stgkd.reference;
expected numbers are worked out by hand in the comments."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from stgkd import report, runs
from stgkd.registry import EXPERIMENTS
from stgkd.io import read_torch, save_torch, write_json
from stgkd.nn.stgcn import STUDENT_BLOCKS, STGCN
from stgkd.reference import kd_table
from stgkd.runs import load_results, result_path
from conftest import row_of
from factories import fake_result

def paper_value(table: int, dataset: str, model: str, metric: str, horizon=None) -> float:
    """One cell of the paper's table, from stgkd.reference."""
    cells = kd_table(table)
    mask = (cells["dataset"] == dataset) & (cells["model"] == model) & (cells["metric"] == metric)
    if horizon is not None:
        mask &= cells["horizon_min"] == horizon
    assert mask.sum() == 1
    return float(cells.loc[mask, "value"].iloc[0])


# ----------------------------------------------------------------------------- run selection


def test_kd_experiments_and_pick_runs_take_the_best_profile_and_lowest_seed():
    names = report.kd_experiments("pemsd7m")
    assert names[:3] == ["kd/pemsd7m/teacher", "kd/pemsd7m/student-no-kd",
                         "kd/pemsd7m/student-lrd-l2"]
    assert names[-1] == "kd/pemsd7m/student-lstcd" and len(names) == 9
    with pytest.raises(ValueError, match="dataset: expected one of .* found 'metr-la'"):
        report.kd_experiments("metr-la")
    results = [fake_result("kd/pemsd7m/teacher", "smoke", seed=0),
               fake_result("kd/pemsd7m/teacher", "quick", seed=2),
               fake_result("kd/pemsd7m/teacher", "quick", seed=1)]
    kept = runs.best_profile_results(results)
    assert [(r["profile"], r["seed"]) for r in kept] == [("quick", 2), ("quick", 1)]
    picked = runs.pick_runs(results, ["kd/pemsd7m/teacher", "kd/pemsd7m/student-lstcd"])
    assert picked["kd/pemsd7m/teacher"]["seed"] == 1
    assert picked["kd/pemsd7m/student-lstcd"] is None
    only_smoke = runs.pick_runs(results, ["kd/pemsd7m/teacher"], profile="smoke")
    assert only_smoke["kd/pemsd7m/teacher"]["profile"] == "smoke"


# ----------------------------------------------------------------------------- Table 3


def test_teacher_share_table_puts_ours_beside_the_paper_as_percent():
    paper_lord = paper_value(3, "PeMSD7", "Student LORD", "teacher_attention_pct")
    results = [fake_result("kd/pemsd7m/student-lord", seed=0, teacher_share=0.02),
               fake_result("kd/pemsd7m/student-lord", seed=1, teacher_share=0.04),
               # a smoke run of the same row is outranked by the full profile
               fake_result("kd/pemsd7m/student-lord", "smoke", teacher_share=0.5),
               # LRD(L2) records no teacher share: it fills nothing
               fake_result("kd/pemsd7m/student-lrd-l2")]
    table = report.teacher_share_table(results)
    assert len(table) == 8
    lord = row_of(table, dataset="PeMSD7", model="Student LORD")
    assert lord["paper_pct"] == paper_lord
    # mean of 2% and 4% = 3%; sample std of (2, 4) = sqrt(2) percentage points
    assert lord["ours_pct"] == pytest.approx(3.0)
    assert lord["ours_std"] == pytest.approx(math.sqrt(2.0))
    assert lord["seeds"] == 2 and lord["profile"] == "full"
    assert lord["difference"] == pytest.approx(3.0 - paper_lord)
    assert lord["experiment"] == "kd/pemsd7m/student-lord"
    others = table[table["model"] != "Student LORD"]
    assert (others["profile"] == "not yet run").all() and others["ours_pct"].isna().all()
    assert row_of(table, dataset="PeMSD8", model="Student LORD")["profile"] == "not yet run"
    smoke = row_of(report.teacher_share_table(results, profile="smoke"),
                   dataset="PeMSD7", model="Student LORD")
    assert smoke["ours_pct"] == pytest.approx(50.0) and smoke["seeds"] == 1


def test_teacher_shares_keep_los_loop_runs_without_a_paper_cell():
    results = [fake_result("kd/losloop/student-lstcd", teacher_share=0.125)]
    shares = report.teacher_shares(results)
    assert len(shares) == 1
    assert shares.iloc[0]["ours_pct"] == pytest.approx(12.5)
    assert shares.iloc[0]["our_dataset"] == "losloop"
    assert (report.teacher_share_table(results)["profile"] == "not yet run").all()


# ----------------------------------------------------------------------------- Table 6


def test_hyperparameter_table_shows_the_settings_as_run_beside_the_paper():
    table = report.hyperparameter_table()
    assert "stored" not in table.columns
    lstcd = table[(table["our_dataset"] == "pemsd7m") & (table["loss"] == "lstcd")]
    as_run = dict(zip(lstcd["setting"], lstcd["as_run"]))
    assert {k: as_run[k] for k in ("alpha1", "alpha2", "alpha3")} == \
        EXPERIMENTS["kd/pemsd7m/student-lstcd"].hyper
    assert as_run["batch_size"] == 50 and as_run["learning_rate"] == 0.001
    paper = dict(zip(lstcd["setting"], lstcd["paper"]))
    assert paper["alpha2"] == paper_value(6, "PeMSD7", "LSTCD(ours)", "alpha2")
    assert lstcd["same_as_paper"].all()
    # LSKD on PeMSD8: batch 60, learning rate 0.01 (Table 6)
    lskd = table[(table["our_dataset"] == "pems08") & (table["loss"] == "lskd")]
    assert dict(zip(lskd["setting"], lskd["as_run"])) == {"batch_size": 60.0,
                                                          "learning_rate": 0.01,
                                                          "alpha": 0.005}
    # LTCD has no Table 6 row; Los-loop is compared with the PeMSD7 column
    ltcd = table[(table["our_dataset"] == "pemsd7m") & (table["loss"] == "ltcd")]
    assert ltcd["paper"].isna().all() and ltcd["same_as_paper"].isna().all()
    assert (ltcd["table6_column"] == "").all()
    losloop_lord = table[(table["our_dataset"] == "losloop") & (table["loss"] == "lord")]
    assert (losloop_lord["table6_column"] == "PeMSD7").all()
    assert row_of(losloop_lord, setting="alpha1")["paper"] == \
        paper_value(6, "PeMSD7", "LORD(ours)", "alpha1")


def test_hyperparameter_table_reads_the_settings_stored_runs_recorded():
    stored = fake_result("kd/pemsd7m/student-lord", train_config={"batch_size": 50, "lr": 0.001},
                         hyperparameters={"alpha1": 0.5})   # a run made with another alpha1
    table = report.hyperparameter_table([stored])
    lord = table[(table["our_dataset"] == "pemsd7m") & (table["loss"] == "lord")]
    assert row_of(lord, setting="alpha1")["stored"] == 0.5
    assert row_of(lord, setting="batch_size")["stored"] == 50.0
    assert table[table["loss"] == "lstcd"]["stored"].isna().all()
    view = report.hyperparameter_view(table)
    assert view.loc[("pemsd7m", "Student LORD"), "stored runs"] == "differ"
    assert view.loc[("pemsd7m", "Student LSTCD"), "stored runs"] == "none"
    assert view.loc[("pemsd7m", "Student LSTCD"), "α2"] == "0.047"
    assert view.loc[("pemsd7m", "Student LORD"), "α2"] == "–"
    other_seed = fake_result("kd/pemsd7m/student-lord", seed=1,
                             train_config={"batch_size": 50, "lr": 0.001})
    with pytest.raises(ValueError, match="student-lord .*alpha1"):
        report.hyperparameter_table([stored, other_seed])


# ----------------------------------------------------------------------------- the claim


def test_claim_check_compares_lstcd_with_the_student_without_kd():
    results = [fake_result("kd/pemsd7m/student-no-kd", mae=(3.0, 4.0, 5.0), rmse=(5.0, 6.0, 7.0)),
               fake_result("kd/pemsd7m/student-lstcd", mae=(2.9, 4.1, 5.0), rmse=(4.8, 5.9, 6.9))]
    check = report.claim_check(results)
    assert list(check["metric"]) == ["MAE"] * 3 + ["RMSE"] * 3
    assert list(check["horizon_min"]) == [15.0, 30.0, 45.0] * 2
    # MAE: 2.9 < 3.0 yes, 4.1 < 4.0 no, 5.0 < 5.0 no (a tie is not better); RMSE all lower
    assert list(check["lstcd_better"]) == [True, False, False, True, True, True]
    assert row_of(check, metric="RMSE", horizon_min=30.0)["student_lstcd"] == 5.9
    assert (check["profile_no_kd"] == "full").all() and (check["profile_lstcd"] == "full").all()
    mae15 = row_of(check, metric="MAE", horizon_min=15.0)
    assert mae15["paper_no_kd"] == paper_value(4, "PeMSD7", "Student W/O KD", "MAE", 15.0)
    assert mae15["paper_lstcd"] == paper_value(4, "PeMSD7", "Student LSTCD(ours)", "MAE", 15.0)


def test_claim_check_with_a_missing_run_is_never_true():
    check = report.claim_check([fake_result("kd/pemsd7m/student-no-kd")])
    assert len(check) == 6
    assert check["student_lstcd"].isna().all() and not check["lstcd_better"].any()
    assert (check["profile_lstcd"] == "not yet run").all()
    assert row_of(check, metric="MAE", horizon_min=45.0)["student_no_kd"] == 5.0
    empty = report.claim_check([], dataset="losloop")
    assert empty["student_no_kd"].isna().all() and empty["paper_no_kd"].isna().all()


def test_claim_check_compares_both_students_in_one_profile():
    results = [fake_result("kd/pemsd7m/student-no-kd", "full", mae=(9.0, 9.0, 9.0)),
               fake_result("kd/pemsd7m/student-no-kd", "quick", mae=(2.0, 2.0, 2.0)),
               fake_result("kd/pemsd7m/student-lstcd", "quick", mae=(3.0, 3.0, 3.0))]
    check = report.claim_check(results)
    # quick holds both: 3.0 against the quick 2.0, not the full-profile 9.0
    mae15 = row_of(check, metric="MAE", horizon_min=15.0)
    assert mae15["student_no_kd"] == 2.0 and not mae15["lstcd_better"]
    assert (check["profile_no_kd"] == "quick").all()


def test_claim_check_averages_both_students_over_the_seeds_both_have():
    no_kd = [fake_result("kd/pemsd7m/student-no-kd", seed=0, mae=(3.0, 3.0, 3.0)),
             fake_result("kd/pemsd7m/student-no-kd", seed=1, mae=(5.0, 5.0, 5.0))]
    lstcd0 = fake_result("kd/pemsd7m/student-lstcd", seed=0, mae=(3.5, 3.5, 3.5))
    # seed 1 of the student without KD has no partner: 3.5 against seed 0's 3.0, not
    # against the mean 4.0 of both seeds
    one = row_of(report.claim_check([*no_kd, lstcd0]), metric="MAE", horizon_min=15.0)
    assert (one["student_no_kd"], one["student_lstcd"], one["seeds"]) == (3.0, 3.5, 1)
    assert not one["lstcd_better"]
    lstcd1 = fake_result("kd/pemsd7m/student-lstcd", seed=1, mae=(4.0, 4.0, 4.0))
    two = row_of(report.claim_check([*no_kd, lstcd0, lstcd1]), metric="MAE", horizon_min=15.0)
    # (3.5 + 4.0) / 2 = 3.75 against (3.0 + 5.0) / 2 = 4.0
    assert (two["student_no_kd"], two["student_lstcd"], two["seeds"]) == (4.0, 3.75, 2)
    assert two["lstcd_better"]
    # no seed in common: each is shown, nothing is compared
    apart = report.claim_check([no_kd[1], lstcd0])
    assert not apart["lstcd_better"].any() and (apart["seeds"] == 0).all()
    assert row_of(apart, metric="MAE", horizon_min=15.0)["student_no_kd"] == 5.0


def test_loss_scale_table_weighs_the_correlation_terms_and_counts_better_cells():
    lstcd = fake_result("kd/pemsd7m/student-lstcd", mae=(2.9, 4.0, 5.1), rmse=(4.9, 6.1, 6.0),
                        loss_terms={"lord": 1000.0, "ltcd": 0.1, "lscd": 1.0,
                                    "weighted_lord": 1000.0, "weighted_ltcd": 0.0047,
                                    "weighted_lscd": 0.3130})
    mean = fake_result("kd/pemsd7m/student-lstcd-mean", mae=(3.1, 4.1, 5.2),
                       loss_terms={"weighted_lord": 0.02, "weighted_ltcd": 0.01,
                                   "weighted_lscd": 0.01})
    results = [fake_result("kd/pemsd7m/student-no-kd"), lstcd, mean,
               fake_result("kd/losloop/student-lstcd")]          # other data set: left out
    table = report.loss_scale_table(results, "pemsd7m")
    assert list(table["experiment"]) == ["kd/pemsd7m/student-lstcd",
                                         "kd/pemsd7m/student-lstcd-mean"]
    first = row_of(table, experiment="kd/pemsd7m/student-lstcd")
    # (0.0047 + 0.3130) / (1000 + 0.0047 + 0.3130) = 0.3177 / 1000.3177 -> 0.031760 %
    assert math.isclose(first["correlation_share_pct"], 100 * 0.3177 / 1000.3177)
    # against no-KD MAE (3, 4, 5), RMSE (5, 6, 7): 2.9 yes, 4.0 tie no, 5.1 no; 4.9 yes,
    # 6.1 no, 6.0 yes -> 3 cells
    assert first["better_cells"] == 3 and first["mae_45"] == 5.1 and first["no_kd_mae_45"] == 5.0
    second = row_of(table, experiment="kd/pemsd7m/student-lstcd-mean")
    assert math.isclose(second["correlation_share_pct"], 50.0)   # 0.02 / (0.02 + 0.02)
    assert second["better_cells"] == 0                           # MAE all higher, RMSE ties
    # without the student without KD nothing counts as better
    alone = report.loss_scale_table([lstcd], "pemsd7m")
    assert alone["better_cells"].tolist() == [0] and math.isnan(alone["no_kd_mae_45"].iloc[0])
    assert report.loss_scale_table([], "pemsd7m").empty


# ----------------------------------------------------------------------------- tolerance


def test_within_tolerance_summarises_each_model():
    table = pd.DataFrame({
        "dataset": ["PeMSD7"] * 6,
        "model": ["A", "A", "B", "B", "C", "C"],
        "metric": ["MAE", "RMSE", "MAE", "RMSE", "MAE", "RMSE"],
        "horizon_min": [15.0] * 6,
        "paper_value": [2.0, 4.0, 2.0, 1.0, 2.0, 2.0],
        # A: +5% and better; B: +10% and not run; C: not run
        "ours": [2.1, 3.0, 2.2, np.nan, np.nan, np.nan],
        "relative_difference_pct": [5.0, -25.0, 10.0, np.nan, np.nan, np.nan],
        "profile": ["full", "full", "quick", "not yet run", "not yet run", "not yet run"],
    })
    summary = report.within_tolerance(table, tolerance_pct=8.0).set_index("model")
    assert list(summary.index) == ["A", "B", "C"]
    assert summary.loc["A", "all_within"] and summary.loc["A", "within"] == 2
    assert summary.loc["A", "worst_relative_difference_pct"] == 5.0
    assert summary.loc["A", "verdict"] == "all within 8%"
    assert not summary.loc["B", "all_within"]
    assert (summary.loc["B", "filled"], summary.loc["B", "within"]) == (1, 0)
    assert summary.loc["B", "verdict"] == "0 of 1 within 8%"
    assert summary.loc["B", "profile"] == "quick, not yet run"
    assert not summary.loc["C", "all_within"] and summary.loc["C", "verdict"] == "not yet run"
    # a 12% tolerance admits B's +10%
    assert report.within_tolerance(table, tolerance_pct=12.0).set_index("model").loc[
        "B", "all_within"]
    with pytest.raises(ValueError, match="tolerance_pct"):
        report.within_tolerance(table, tolerance_pct=-1.0)
    with pytest.raises(ValueError, match="found \\['Accuracy'\\]"):
        report.within_tolerance(table.assign(metric="Accuracy"))


# ----------------------------------------------------------------------------- Figure 3


def test_training_curves_one_row_per_run_and_epoch():
    def history(n):
        return [{"epoch": e, "train_loss": 1.0 / e, "val_mae": 5.0 - e, "lr": 1e-3,
                 "epoch_time_s": 1.0} for e in range(1, n + 1)]

    results = [fake_result("kd/pemsd7m/teacher", history=history(3)),
               fake_result("kd/pemsd7m/student-no-kd", seed=1, history=history(2)),
               fake_result("kd/losloop/teacher", history=history(4))]
    curves = report.training_curves(results, "pemsd7m")
    assert len(curves) == 3 + 2
    assert list(curves.columns) == ["experiment", "paper_row", "profile", "seed", "epoch",
                                    "train_loss", "val_mae"]
    last = row_of(curves, experiment="kd/pemsd7m/teacher", epoch=3)
    assert last["val_mae"] == 2.0 and last["paper_row"] == "Teacher"
    assert report.training_curves(results, "pems08").empty


@pytest.fixture()
def stored_run(tmp_path, synthetic, synthetic_windows):
    """A tiny STGCN saved as the checkpoint of a fake smoke run under tmp_path."""
    torch.manual_seed(0)
    model = STGCN(synthetic.n_nodes, STUDENT_BLOCKS, weights=synthetic.weights).eval()
    result = fake_result("kd/synthetic/student", "smoke", 0, split_days=[2, 1, 1],
                         checkpoint="seed0.pt")
    save_torch(result_path("smoke", result["experiment"], 0, tmp_path, ".pt"),
               {"model_config": model.config, "state_dict": model.state_dict()})
    write_json(result_path("smoke", result["experiment"], 0, tmp_path), result.to_dict())
    return model, load_results(tmp_path)[0]


def test_prediction_trace_shows_one_node_and_step_in_mph(tmp_path, synthetic,
                                                         synthetic_windows, stored_run):
    model, result = stored_run
    data = synthetic_windows
    trace = report.prediction_trace(result, data, synthetic.weights, node=2, n_windows=5,
                                    start=1, step=3, results_dir=tmp_path)
    assert list(trace.columns) == ["window", "true_mph", "predicted_mph"]
    assert list(trace["window"]) == [1, 2, 3, 4, 5]
    # truth: test windows 1..5, step 3 after the 12 inputs (index 14), node 2, in mph
    expected_true = data.test[1:6, 14, 2].double().numpy() * data.scaler.std + data.scaler.mean
    np.testing.assert_allclose(trace["true_mph"], expected_true, rtol=1e-6)
    # prediction: three one-step forecasts, each fed back as the newest input
    with torch.no_grad():
        window = data.test[1:6, None, :12]
        for _ in range(3):
            step = model(window)
            window = torch.cat([window[:, :, 1:], step[:, None, None, :]], dim=2)
    expected_pred = step[:, 2].double().numpy() * data.scaler.std + data.scaler.mean
    np.testing.assert_allclose(trace["predicted_mph"], expected_pred, rtol=1e-5)


def test_prediction_trace_rejects_bad_arguments_and_missing_checkpoints(
        tmp_path, synthetic, synthetic_windows, stored_run):
    _, result = stored_run
    data, weights = synthetic_windows, synthetic.weights
    with pytest.raises(ValueError, match="node: expected 0 <= node < 6, found 6"):
        report.prediction_trace(result, data, weights, node=6, results_dir=tmp_path)
    n_test = data.test.shape[0]
    with pytest.raises(ValueError, match=f"inside the {n_test} test windows"):
        report.prediction_trace(result, data, weights, node=0, start=n_test - 2, n_windows=5,
                                results_dir=tmp_path)
    with pytest.raises(ValueError, match="step: expected 1 <= step <= 9, found 10"):
        report.prediction_trace(result, data, weights, node=0, step=10, results_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="seed3.pt"):
        report.prediction_trace(result.with_fields(seed=3, checkpoint="seed3.pt"), data, weights,
                                node=0, n_windows=2, results_dir=tmp_path)
    # a checkpoint that records another z-score was trained on other days
    path = result_path("smoke", result["experiment"], 0, tmp_path, ".pt")
    state = read_torch(path)
    save_torch(path, {**state, "scaler": {"mean": data.scaler.mean + 1.0,
                                          "std": data.scaler.std}})
    with pytest.raises(ValueError, match="split_days"):
        report.prediction_trace(result, data, weights, node=0, n_windows=2,
                                results_dir=tmp_path)


def test_window_clock_names_the_time_of_a_target(synthetic_windows):
    data = synthetic_windows          # 48 steps a day (30 min), 48 - 21 + 1 = 28 windows a day
    # window 0, step 1: input steps 0..11, target step 12 -> 12 * 30 min = 06:00
    assert report.window_clock(data, 0, 1, 48) == "06:00"
    # window 3, step 3: target step 3 + 12 + 2 = 17 -> 08:30
    assert report.window_clock(data, 3, 3, 48) == "08:30"
    with pytest.raises(ValueError, match="window: expected 0 <= window < 28, found 28"):
        report.window_clock(data, 28, 1, 48)


# ----------------------------------------------------------------------------- t-SNE


def test_output_layer_inputs_flatten_the_last_block_per_window(synthetic, synthetic_windows):
    torch.manual_seed(0)
    model = STGCN(synthetic.n_nodes, STUDENT_BLOCKS, weights=synthetic.weights)
    windows = synthetic_windows.test[:7]
    features = report.output_layer_inputs(model, windows, batch_size=3)
    # 8 channels x (12 - 2 blocks x 2 convs x 2) = 4 steps x 6 nodes
    assert features.shape == (7, 8 * 4 * 6) and features.dtype == np.float32
    # window 5 on its own (batching must not mix windows)
    single = report.output_layer_inputs(model, windows[5:6])
    np.testing.assert_allclose(features[5], single[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="windows: expected \\[S, >= 12, N\\]"):
        report.output_layer_inputs(model, windows[:, :5])


def test_tsne_embedding_one_map_per_model_deterministic():
    rng = np.random.default_rng(0)
    features = {"teacher": rng.normal(size=(20, 6)), "student": rng.normal(size=(20, 3))}
    embedding = report.tsne_embedding(features, seed=0, perplexity=5.0)
    assert list(embedding.columns) == ["model", "window", "x", "y"]
    assert len(embedding) == 40
    assert list(embedding["model"].unique()) == ["teacher", "student"]
    assert list(embedding.loc[embedding["model"] == "student", "window"]) == list(range(20))
    again = report.tsne_embedding(features, seed=0, perplexity=5.0)
    pd.testing.assert_frame_equal(embedding, again)
    with pytest.raises(ValueError, match="S > perplexity 30"):
        report.tsne_embedding(features, perplexity=30.0)


def test_neighbour_overlap_counts_shared_nearest_windows():
    reference = np.array([[0.0], [1.0], [5.0], [6.0]])
    # nearest neighbours (k=1): reference 0-1, 1-0, 2-3, 3-2
    assert report.neighbour_overlap(reference, 3.0 * reference, k=1) == 1.0
    # other: 0-1, 1-0, 2-1 (|5-1| = 4 < 5), 3-2  -> 3 of 4 shared
    other = np.array([[0.0], [1.0], [5.0], [20.0]])
    assert report.neighbour_overlap(reference, other, k=1) == 0.75
    with pytest.raises(ValueError, match="k: expected 1 <= k < 4, found 4"):
        report.neighbour_overlap(reference, other, k=4)
    with pytest.raises(ValueError, match="expected 4 windows"):
        report.neighbour_overlap(reference, other[:3], k=1)


def test_run_windows_builds_each_split_once_and_defaults_to_the_data_sets_split(synthetic):
    windows = report.RunWindows(synthetic, "synthetic")
    default = windows({"experiment": "kd/synthetic/teacher"})       # records no split: (2, 1, 1)
    same = windows(fake_result("kd/synthetic/student", split_days=[2, 1, 1]))
    other = windows(fake_result("kd/synthetic/smoke", split_days=[1, 1, 1]))
    assert same is default                                          # built once, shared
    assert other is not default
    # 48 steps a day, windows of 12 + 9 = 21 steps that never cross a day: 28 a day
    assert default.train.shape[0] == 2 * 28 and other.train.shape[0] == 1 * 28
    assert default.test.shape[0] == other.test.shape[0] == 28
    # the z-score is fitted on each split's own training days
    assert default.scaler.mean != other.scaler.mean
