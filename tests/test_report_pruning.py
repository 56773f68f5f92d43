"""The pruning report (stgkd.report.pruning) and Table 7's alias row, on tiny hand-made
results (no training). Paper values are read from stgkd.reference; expected numbers
are worked out by hand in the comments."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from stgkd import report
from stgkd.registry import EXPERIMENTS
from stgkd.io import save_torch
from stgkd.nn import STGCN, STUDENT_BLOCKS, TEACHER_BLOCKS
from stgkd.report.comparison import canonical_row
from stgkd.runs import result_path
from conftest import row_of
from factories import fake_result

# The channels of the pruning base [1,8,16],[16,8,32] after a step that kept these
BASE_CHANNELS = {"blocks.0.temporal_in": 6, "blocks.0.spatial": 6, "blocks.0.temporal_out": 13,
                 "blocks.1.temporal_in": 6, "blocks.1.spatial": 6,
                 "blocks.1.temporal_out": 28, "output.temporal": 28, "output.gate": 28}


def pruning_block(start: int = 40000, parameters: int = 30000, level: float = 0.26,
                  fraction: float = 0.06, interval: int = 10, interval_epochs: float = 2.0,
                  target_level: float | None = 0.25, target_parameters: int | None = None,
                  history: list[dict] | None = None, prune_loss: str = "supervised") -> dict:
    """A result's ``pruning`` block with two steps by default."""
    history = history if history is not None else [
        {"step": 1, "minibatches": interval, "loss": 2.0, "parameters": 35000, "level": 0.13,
         "channels": {**BASE_CHANNELS, "blocks.1.temporal_out": 30, "output.temporal": 30,
                      "output.gate": 30}},
        {"step": 2, "minibatches": 2 * interval, "loss": 1.5, "parameters": parameters,
         "level": level, "channels": BASE_CHANNELS}]
    block = {"start_from": {"experiment": "prune/pemsd7m/base", "seed": 0, "parameters": start},
             "prune_loss": prune_loss, "fraction": fraction, "interval_minibatches": interval,
             "interval_epochs": interval_epochs, "steps": len(history), "level": level,
             "parameters": parameters, "channels": history[-1]["channels"] if history else None,
             "history": history,
             "model_config": {"blocks": [[1, 6, 13], [13, 6, 28]]}}
    if target_level is not None:
        block["target_level"] = target_level
    if target_parameters is not None:
        block["target_parameters"] = target_parameters
    return block


# ----------------------------------------------------------------------------- Table 7's alias


def test_table7_student_without_pruning_is_the_lstcd_student():
    assert canonical_row("Student W/O pruning algorithm") == "Student LSTCD"
    assert canonical_row("Student W pruning algorithm") == "Student W pruning algorithm"
    assert canonical_row("Student LSTCD(ours)") == "Student LSTCD"
    results = [fake_result("kd/pemsd7m/student-lstcd", "smoke", mae=(3.0, 4.0, 5.0)),
               fake_result("prune/pemsd7m/teacher-kdis-lstcd", "smoke", mae=(2.5, 3.5, 4.5))]
    table7 = report.comparison_table(7, results)
    filled = table7[table7["profile"] == "smoke"]
    # 9 cells (3 metrics x 3 horizons) of each student row on PeMSD7; the teacher not run
    assert sorted(set(filled["model"])) == ["Student W pruning algorithm",
                                            "Student W/O pruning algorithm"]
    assert len(filled) == 18
    # the model column keeps the paper's name
    cell = row_of(table7, dataset="PeMSD7", model="Student W/O pruning algorithm",
                  metric="MAE", horizon_min=15.0)
    # paper 2.615 (Table 7, equal to Table 4's LSTCD student); ours 3.0: +0.385
    assert cell["paper_value"] == pytest.approx(2.615)
    assert cell["ours"] == 3.0 and cell["difference"] == pytest.approx(0.385)
    assert cell["experiment"] == "kd/pemsd7m/student-lstcd"
    pruned = row_of(table7, dataset="PeMSD7", model="Student W pruning algorithm",
                    metric="MAE", horizon_min=45.0)
    # paper 4.754; ours 4.5: -0.254
    assert pruned["difference"] == pytest.approx(-0.254)
    # the same LSTCD run still fills Table 4's own row
    table4 = report.comparison_table(4, results[:1])
    assert (table4["profile"] == "smoke").sum() == 9


# ----------------------------------------------------------------------------- names, channels


def test_pruning_experiments_and_kinds():
    names = report.pruning_experiments("losloop")
    assert names == ["prune/losloop/base", "prune/losloop/taylor-25",
                     "prune/losloop/kdis-lstcd-25", "prune/losloop/taylor-50",
                     "prune/losloop/kdis-lstcd-50", "prune/losloop/taylor-75",
                     "prune/losloop/kdis-lstcd-75", "prune/losloop/teacher-kdis-lstcd"]
    assert all(name in EXPERIMENTS for name in names)
    with pytest.raises(ValueError, match="dataset: expected one of .* found 'metr-la'"):
        report.pruning_experiments("metr-la")
    assert report.pruning.experiment_kind("prune/pemsd7m/taylor-50") == "pruned W/O KD (Taylor)"
    assert report.pruning.experiment_kind("prune/pemsd7m/kdis-lstcd-75") == "pruned W LSTCD (Algorithm 1)"
    assert report.pruning.experiment_kind("prune/pemsd7m/teacher-kdis-lstcd") == "teacher pruned W LSTCD"
    assert report.pruning.experiment_kind("prune/pemsd7m/base") == "pruning base"
    assert report.pruning.experiment_kind("kd/pemsd7m/student-lstcd") == "student LSTCD"
    assert report.pruning.experiment_kind("kd/pemsd7m/student-lord") is None
    assert report.pruning.experiment_kind("dmst/pemsd7m/stgcn") is None


def test_channel_string_in_block_notation():
    assert report.pruning.channel_string(BASE_CHANNELS) == "[1,6,13],[13,6,28] out 28 gate 28"
    teacher = {"blocks.0.temporal_in": 32, "blocks.0.spatial": 32, "blocks.0.temporal_out": 64,
               "blocks.1.temporal_in": 32, "blocks.1.spatial": 32,
               "blocks.1.temporal_out": 128, "output.temporal": 128, "output.gate": 128}
    assert report.pruning.channel_string(teacher) == "[1,32,64],[64,32,128] out 128 gate 128"
    # a graph conv that kept fewer channels than its block's first temporal conv
    uneven = {**BASE_CHANNELS, "blocks.1.spatial": 5, "output.gate": 27}
    assert report.pruning.channel_string(uneven) == "[1,6,13],[13,6,28] graph 6,5 out 28 gate 27"
    assert report.pruning.channel_string(BASE_CHANNELS, c_in=2).startswith("[2,6,13],[13,")
    assert report.pruning.channel_string(None) == "" and report.pruning.channel_string({}) == ""


# ----------------------------------------------------------------------------- the runs


def test_pruning_runs_one_row_per_pruning_run_of_the_best_profile():
    results = [
        fake_result("prune/pemsd7m/base", "full", parameters=48628),       # not a pruning run
        fake_result("prune/pemsd7m/taylor-25", "smoke", mae=(9.0, 9.0, 9.0),
                    pruning=pruning_block()),
        fake_result("prune/pemsd7m/taylor-25", "quick", mae=(3.1, 4.1, 5.1),
                    rmse=(5.1, 6.1, 7.1), pruning=pruning_block(), wall_time_s=120.0),
        fake_result("prune/pemsd7m/teacher-kdis-lstcd", "smoke", pruning=pruning_block(
            start=333604, parameters=10000, level=0.975, fraction=0.25, interval=6,
            interval_epochs=1.0, target_level=None, target_parameters=10144,
            prune_loss="lstcd"))]
    runs = report.pruning_runs(results)
    assert list(runs.columns) == report.pruning.RUN_COLUMNS
    assert runs["experiment"].tolist() == ["prune/pemsd7m/taylor-25",
                                           "prune/pemsd7m/teacher-kdis-lstcd"]
    taylor = runs.iloc[0]
    assert taylor["profile"] == "quick"          # quick beats smoke
    assert taylor["prune_loss"] == "supervised" and taylor["target"] == "level 25%"
    assert taylor["nominal_level_pct"] == 25.0 and taylor["level_pct"] == pytest.approx(26.0)
    # 30,000 of 40,000 parameters kept: 75%
    assert taylor["start_parameters"] == 40000 and taylor["parameters"] == 30000
    assert taylor["kept_pct"] == pytest.approx(75.0)
    assert taylor["steps"] == 2 and taylor["fraction"] == 0.06
    assert taylor["interval_minibatches"] == 10
    assert taylor["channels"] == "[1,6,13],[13,6,28] out 28 gate 28"
    assert (taylor["MAE 15"], taylor["MAE 45"], taylor["RMSE 30"]) == (3.1, 5.1, 6.1)
    assert taylor["wall_time_s"] == 120.0
    teacher = runs.iloc[1]
    assert teacher["target"] == "≤ 10,144 parameters" and math.isnan(teacher["nominal_level_pct"])
    # 10,000 / 333,604 = 2.9976%
    assert teacher["kept_pct"] == pytest.approx(2.99757, abs=1e-4)
    assert len(report.pruning_runs(results, profile="smoke")) == 2
    assert report.pruning_runs(results, profile="smoke").iloc[0]["MAE 15"] == 9.0
    assert report.pruning_runs([]).empty


def test_pruning_history_frame_starts_before_the_first_step():
    result = fake_result("prune/pemsd7m/taylor-25", "smoke", pruning=pruning_block())
    frame = report.pruning_history_frame(result)
    assert frame["step"].tolist() == [0, 1, 2]
    assert frame["minibatches"].tolist() == [0, 10, 20]
    # 10 minibatches are 2 epochs: 5 a epoch
    assert frame["epoch"].tolist() == [0.0, 2.0, 4.0]
    assert frame["parameters"].tolist() == [40000, 35000, 30000]
    assert frame["level_pct"].tolist() == pytest.approx([0.0, 13.0, 26.0])
    assert math.isnan(frame["loss"].iloc[0]) and frame["loss"].iloc[1:].tolist() == [2.0, 1.5]
    assert frame["channels"].iloc[1] == "[1,6,13],[13,6,30] out 30 gate 30"
    assert set(frame["experiment"]) == {"prune/pemsd7m/taylor-25"}
    empty = report.pruning_history_frame(fake_result("prune/pemsd7m/base"))
    assert empty.empty and "parameters" in empty.columns


def test_size_and_error_one_point_per_experiment_in_kind_order():
    results = [fake_result("kd/pemsd7m/teacher", "full", parameters=333604, mae=(2.0, 3, 4)),
               fake_result("prune/pemsd7m/kdis-lstcd-50", "smoke", seed=0, parameters=20000,
                           mae=(3.0, 4, 5)),
               fake_result("prune/pemsd7m/kdis-lstcd-50", "smoke", seed=1, parameters=20000,
                           mae=(3.5, 4, 5)),
               fake_result("prune/pemsd7m/kdis-lstcd-25", "smoke", parameters=30000),
               fake_result("kd/pemsd7m/student-lord", "full", parameters=10144),   # not a kind
               fake_result("kd/losloop/teacher", "full", parameters=331000)]       # other data
    frame = report.size_and_error(results, "pemsd7m")
    assert frame["experiment"].tolist() == ["kd/pemsd7m/teacher", "prune/pemsd7m/kdis-lstcd-50",
                                            "prune/pemsd7m/kdis-lstcd-25"]
    two_seeds = frame.iloc[1]
    # mean of 3.0 and 3.5
    assert two_seeds["value"] == pytest.approx(3.25) and two_seeds["seeds"] == 2
    assert two_seeds["parameters"] == 20000 and two_seeds["profile"] == "smoke"
    rmse = report.size_and_error(results, "pemsd7m", metric="RMSE", horizon_min=45.0)
    assert rmse["value"].iloc[0] == 7.0
    assert report.size_and_error([], "pemsd7m").empty


# ----------------------------------------------------------------------------- Table 9


def test_table9_as_run_matches_the_paper():
    table = report.table9_as_run()
    assert len(table) == 12 and "stored" not in table.columns
    assert table["same_as_paper"].all()
    pemsd7m_97 = row_of(table, our_dataset="pemsd7m", level_pct=97)
    # Table 9, PeMSD7, 97%: batch 25, 1E-03, 0.099 / 0.091 / 0.531
    assert pemsd7m_97["experiment"] == "prune/pemsd7m/teacher-kdis-lstcd"
    assert (pemsd7m_97["batch_size"], pemsd7m_97["alpha1"], pemsd7m_97["alpha3"]) == (25, 0.099,
                                                                                      0.531)
    assert pemsd7m_97["paper_batch_size"] == 25 and pemsd7m_97["paper_learning_rate"] == 0.001
    assert pemsd7m_97["fraction"] == 0.25 and pemsd7m_97["interval_epochs"] == 1.0
    pems08_25 = row_of(table, our_dataset="pems08", level_pct=25)
    # PeMSD8, 25%: batch 50, 0.748 / 0.324 / 0.868; one step removes 8%, every two epochs
    assert pems08_25["table9_column"] == "PeMSD8" and pems08_25["alpha2"] == 0.324
    assert pems08_25["fraction"] == 0.08 and pems08_25["interval_epochs"] == 2.0
    assert row_of(table, our_dataset="losloop", level_pct=75)["table9_column"] == "PeMSD7"


def test_table9_as_run_reads_the_stored_runs():
    def train_config(experiment):
        """The training settings a run of ``experiment`` records."""
        definition = EXPERIMENTS[experiment]
        return {"batch_size": definition.batch_size, "lr": definition.learning_rate}

    agreeing = fake_result("prune/pemsd7m/kdis-lstcd-25", "smoke",
                           pruning=pruning_block(interval=40, fraction=0.08, prune_loss="lstcd"),
                           train_config=train_config("prune/pemsd7m/kdis-lstcd-25"))
    differing = fake_result("prune/pemsd7m/kdis-lstcd-50", "smoke",
                            pruning=pruning_block(interval=40, fraction=0.13, prune_loss="lstcd"),
                            train_config={**train_config("prune/pemsd7m/kdis-lstcd-50"),
                                          "batch_size": 25})
    table = report.table9_as_run([agreeing, differing])
    at25 = row_of(table, our_dataset="pemsd7m", level_pct=25)
    assert at25["stored"] == "agree" and at25["interval_minibatches"] == 40
    assert row_of(table, our_dataset="pemsd7m", level_pct=50)["stored"] == "differ"
    at75 = row_of(table, our_dataset="pemsd7m", level_pct=75)
    assert at75["stored"] == "none" and math.isnan(at75["interval_minibatches"])
    view = report.table9_view(table)
    assert view.loc[("pemsd7m", "25%"), "Batch Size"] == "50"
    assert view.loc[("pemsd7m", "25%"), "α1"] == "0.971"
    assert view.loc[("pemsd7m", "25%"), "pruning interval (ours)"] == "2 epochs (40 minibatches)"
    assert view.loc[("pemsd7m", "97%"), "pruning interval (ours)"] == "1 epoch"
    assert view.loc[("pemsd7m", "97%"), "channels removed per step (ours)"] == "25% of each layer's"
    assert view.loc[("pemsd7m", "50%"), "stored runs"] == "differ"
    assert view.loc[("losloop", "75%"), "Table 9"] == "PeMSD7: all equal"


# ----------------------------------------------------------------------------- the claims


def test_pruning_claim_in_our_runs_and_in_the_papers_numbers():
    results = [
        # 25%: Algorithm 1 lower in all six cells
        fake_result("prune/pemsd7m/kdis-lstcd-25", "smoke", mae=(2.9, 3.9, 4.9),
                    rmse=(4.9, 5.9, 6.9)),
        fake_result("prune/pemsd7m/taylor-25", "smoke"),
        # 50%: lower except RMSE at 45 min, which is equal (not lower): 5 of 6
        fake_result("prune/pemsd7m/kdis-lstcd-50", "quick", mae=(2.9, 3.9, 4.9),
                    rmse=(4.9, 5.9, 7.0)),
        fake_result("prune/pemsd7m/taylor-50", "quick"),
        fake_result("prune/pemsd7m/taylor-50", "smoke", mae=(1, 1, 1), rmse=(1, 1, 1)),
        # 75%: Taylor only
        fake_result("prune/pemsd7m/taylor-75", "smoke"),
        # Table 7: equal at MAE 45 min (allowed: at least as accurate), lower elsewhere
        fake_result("prune/pemsd7m/teacher-kdis-lstcd", "full", mae=(2.9, 3.9, 5.0),
                    rmse=(4.9, 5.9, 6.9)),
        fake_result("kd/pemsd7m/student-lstcd", "full"),
        fake_result("kd/pemsd7m/student-lstcd", "smoke", mae=(1, 1, 1), rmse=(1, 1, 1))]
    claim = report.pruning_claim(results, "pemsd7m")
    assert claim["table"].tolist() == ["Table 8"] * 3 + ["Table 7"]
    assert claim["level_pct"].tolist()[:3] == [25, 50, 75] and math.isnan(claim["level_pct"][3])
    first, second, third, table7 = (claim.iloc[i] for i in range(4))
    assert (first["better"], first["holds"], first["profile"]) == (6, True, "smoke")
    assert first["verdict"] == "holds in all 6 cells (smoke, 1 seed)" and first["seeds"] == 1
    # 50%: the quick pair is compared, not the smoke Taylor run (which would lose all six)
    assert (second["better"], second["holds"], second["profile"]) == (5, False, "quick")
    assert second["verdict"] == "holds in 5 of 6 cells (quick, 1 seed)"
    assert third["holds"] is None and pd.isna(third["better"])
    assert third["profile"] == "prune/pemsd7m/kdis-lstcd-75 not yet run"
    assert third["verdict"] == "not compared: prune/pemsd7m/kdis-lstcd-75 not yet run"
    assert third["seeds"] == 0
    assert (table7["better"], table7["holds"], table7["profile"]) == (6, True, "full")
    assert table7["against"] == "kd/pemsd7m/student-lstcd"
    # The paper's PeMSD7 numbers. 25%: MAE 45 min 4.751 (LSTCD) > 4.728 (W/O KD), the
    # other five lower: 5 of 6. 50% and 75%: all six lower. Table 7: MAE 45 min equal
    # (4.754 both), the other five lower: holds with "no higher".
    assert claim["paper_better"].tolist() == [5, 6, 6, 6]
    assert claim["paper_holds"].tolist() == [False, True, True, True]
    # with the smoke profile only, 50%'s Algorithm 1 run (quick) is not there, and 25%
    # is as before
    smoke = report.pruning_claim(results, "pemsd7m", profile="smoke")
    assert smoke.iloc[0]["holds"] is True
    assert smoke.iloc[1]["holds"] is None
    assert smoke.iloc[1]["profile"] == "prune/pemsd7m/kdis-lstcd-50 not yet run"
    # the pruned teacher is stored in the full profile only
    assert smoke.iloc[3]["holds"] is None
    assert smoke.iloc[3]["profile"] == "prune/pemsd7m/teacher-kdis-lstcd not yet run"


def test_pruning_claim_averages_each_side_over_the_seeds_both_have():
    taylor, kdis = "prune/pemsd7m/taylor-25", "prune/pemsd7m/kdis-lstcd-25"
    results = [
        # seed 0: Algorithm 1 behind everywhere (3.1 against 3.0, ...)
        fake_result(kdis, seed=0, mae=(3.1, 4.1, 5.1), rmse=(5.1, 6.1, 7.1)),
        fake_result(taylor, seed=0),
        # seed 1: Algorithm 1 ahead by 0.3 everywhere; the means over seeds 0 and 1 put
        # it ahead by 0.1 in every cell (2.9 against 3.0, ...)
        fake_result(kdis, seed=1, mae=(2.7, 3.7, 4.7), rmse=(4.7, 5.7, 6.7)),
        fake_result(taylor, seed=1),
        # seed 2 of Taylor alone, far worse: with it, Taylor's mean would be 3.667 at
        # 15 min; it has no Algorithm 1 partner and is left out
        fake_result(taylor, seed=2, mae=(5.0, 6.0, 7.0), rmse=(7.0, 8.0, 9.0))]
    claim = report.pruning_claim(results, "pemsd7m").iloc[0]
    assert (claim["better"], claim["holds"], claim["seeds"]) == (6, True, 2)
    assert claim["verdict"] == "holds in all 6 cells (full, mean of 2 paired seeds)"
    ablation = report.finetune_ablation(results, "pemsd7m").iloc[0]
    assert ablation["seeds"] == 2
    assert ablation["taylor_mae"] == "3.000 / 4.000 / 5.000"   # seeds 0 and 1, not 2
    assert ablation["kdis_mae"] == "2.900 / 3.900 / 4.900"
    # the same runs without seed 1 of Algorithm 1: only seed 0 is paired, Taylor's
    # seeds 1 and 2 are left out
    alone = report.pruning_claim([r for r in results if not (r["experiment"] == kdis
                                                             and r["seed"] == 1)],
                                 "pemsd7m").iloc[0]
    assert (alone["better"], alone["seeds"]) == (0, 1)
    # no seed in common: not compared, and the row says which seeds each side has
    apart = report.pruning_claim([results[0], results[3], results[4]], "pemsd7m").iloc[0]
    assert apart["holds"] is None and apart["seeds"] == 0
    assert apart["profile"] == (f"no common seed in full ({kdis}: seed 0, "
                                f"{taylor}: seeds 1, 2)")
    assert apart["verdict"] == f"not compared: {apart['profile']}"


def test_pruning_claim_without_a_common_profile_or_a_paper_counterpart():
    results = [fake_result("prune/losloop/kdis-lstcd-25", "quick"),
               fake_result("prune/losloop/taylor-25", "smoke")]
    claim = report.pruning_claim(results, "losloop")
    assert claim.iloc[0]["holds"] is None
    assert claim.iloc[0]["profile"] == ("no common profile (prune/losloop/kdis-lstcd-25: quick, "
                                        "prune/losloop/taylor-25: smoke)")
    assert claim.iloc[1]["profile"] == "not yet run"
    # the KD paper does not use Los-loop
    assert claim["paper_holds"].tolist() == [None] * 4
    assert claim["paper_better"].isna().all()
    with pytest.raises(ValueError, match="profile: expected 'best' or one of"):
        report.pruning_claim(results, "losloop", profile="fast")


def _store_model(root, series, experiment: str, profile: str, seed: int, blocks,
                 torch_seed: int):
    """Save a randomly initialised STGCN on the graph of ``series`` as a run's checkpoint
    under ``root`` and return its result (trained on the synthetic windows' split)."""
    torch.manual_seed(torch_seed)
    model = STGCN(series.n_nodes, blocks, weights=series.weights).eval()
    save_torch(result_path(profile, experiment, seed, root, ".pt"),
               {"model_config": model.config, "state_dict": model.state_dict()})
    return fake_result(experiment, profile, seed, checkpoint=f"seed{seed}.pt",
                       split_days=[2, 1, 1])


def test_figure4_traces_one_trace_per_model_run_in_panel_order(tmp_path, synthetic,
                                                              synthetic_windows):
    # the pruned teacher (stored first, two seeds) and the teacher; the two students
    # are not run. Seed 0 of the pruned teacher is the one drawn.
    pruned = _store_model(tmp_path, synthetic, "prune/synthetic/teacher-kdis-lstcd", "smoke", 1,
                          STUDENT_BLOCKS, torch_seed=1)
    pruned0 = _store_model(tmp_path, synthetic, "prune/synthetic/teacher-kdis-lstcd", "smoke", 0,
                           STUDENT_BLOCKS, torch_seed=2)
    teacher = _store_model(tmp_path, synthetic, "kd/synthetic/teacher", "smoke", 0, TEACHER_BLOCKS,
                           torch_seed=3)
    results = [pruned, pruned0, teacher]
    traces = report.figure4_traces(results, synthetic, "synthetic", n_windows=4, start=2,
                                   step=3, results_dir=tmp_path)
    assert list(traces.columns) == report.pruning.FIGURE4_COLUMNS
    assert list(dict.fromkeys(traces["panel"])) == [
        "Teacher", "Student with KD and pruning (Algorithm 1)"]
    assert set(traces.loc[traces["experiment"] == pruned["experiment"], "seed"]) == {0}
    # the station: the one whose true 15-min speed varies most over test windows 2..5
    node = int(synthetic_windows.test[2:6, 12 + 2].std(dim=0).argmax())
    assert set(traces["node"]) == {node}
    for run in (teacher, pruned0):
        expected = report.prediction_trace(run, synthetic_windows, synthetic.weights, node,
                                           n_windows=4, start=2, step=3,
                                           results_dir=tmp_path)
        part = traces[traces["experiment"] == run["experiment"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(part[list(expected.columns)], expected)
    # a node given is kept; nothing run gives an empty frame with the columns
    chosen = report.figure4_traces([teacher], synthetic, "synthetic", node=4, n_windows=4,
                                   start=2, results_dir=tmp_path)
    assert set(chosen["node"]) == {4} and len(chosen) == 4
    empty = report.figure4_traces([], synthetic, "synthetic", results_dir=tmp_path)
    assert empty.empty and list(empty.columns) == report.pruning.FIGURE4_COLUMNS


def test_figure4_experiments_name_the_four_models_of_table7():
    assert report.figure4_experiments("pemsd7m") == {
        "kd/pemsd7m/teacher": "Teacher",
        "kd/pemsd7m/student-no-kd": "Student without KD or pruning",
        "kd/pemsd7m/student-lstcd": "Student with KD (LSTCD), no pruning",
        "prune/pemsd7m/teacher-kdis-lstcd": "Student with KD and pruning (Algorithm 1)"}


def test_finetune_ablation_compares_each_level_after_both_fine_tunings():
    results = [
        # 25%, 50 epochs: Taylor wins everywhere; one epoch: Algorithm 1 wins 5 of 6
        fake_result("prune/losloop/taylor-25", mae=(3.0, 4.0, 5.0), rmse=(5.0, 6.0, 7.0)),
        fake_result("prune/losloop/kdis-lstcd-25", mae=(3.1, 4.1, 5.1), rmse=(5.1, 6.1, 7.1)),
        fake_result("prune/losloop/taylor-25-ft1", mae=(3.5, 4.5, 5.5), rmse=(5.5, 6.5, 7.5)),
        fake_result("prune/losloop/kdis-lstcd-25-ft1", mae=(3.4, 4.4, 5.4),
                    rmse=(5.4, 6.4, 7.6)),
        # 50%, one epoch: Taylor only
        fake_result("prune/losloop/taylor-50-ft1", profile="full"),
    ]
    table = report.finetune_ablation(results, "losloop")
    assert list(table["level_pct"]) == [25, 25, 50, 50, 75, 75]
    assert list(table["finetune"]) == ["profile's epochs", "one epoch"] * 3
    long, short = table.iloc[0], table.iloc[1]
    assert (long["better"], long["holds"]) == (0, False)
    assert (short["better"], short["holds"]) == (5, False)
    assert short["ours"] == "prune/losloop/kdis-lstcd-25-ft1" and short["profile"] == "full"
    assert short["seeds"] == 1
    assert short["taylor_mae"] == "3.500 / 4.500 / 5.500"
    assert short["kdis_mae"] == "3.400 / 4.400 / 5.400"
    missing = table.iloc[3]
    assert missing["profile"] == "prune/losloop/kdis-lstcd-50-ft1 not yet run"
    assert pd.isna(missing["better"]) and missing["holds"] is None and missing["kdis_mae"] == ""
    assert missing["seeds"] == 0
    assert missing["taylor_mae"] == "3.000 / 4.000 / 5.000"  # shown though not compared
    assert table.iloc[4]["profile"] == "not yet run"
    assert (table["paper_taylor_mae"] == "").all()        # the paper has no Los-loop
    with pytest.raises(ValueError, match="dataset"):
        report.finetune_ablation(results, "metr-la")
    # PeMSD7(M), 25%: the paper's Table 8 rows beside ours (Pruned W/O KD MAE 2.721,
    # 3.889, 4.728; Pruned W LSTCD 2.544, 3.705, 4.751)
    pemsd7m = report.finetune_ablation([], "pemsd7m").iloc[0]
    assert pemsd7m["paper_taylor_mae"] == "2.721 / 3.889 / 4.728"
    assert pemsd7m["paper_kdis_mae"] == "2.544 / 3.705 / 4.751"


def test_short_finetune_variants_stay_out_of_the_paper_tables_and_sizes():
    assert report.pruning.experiment_kind("prune/pemsd7m/taylor-25-ft1") is None
    assert report.pruning.experiment_kind("prune/pemsd7m/taylor-25") == "pruned W/O KD (Taylor)"
    results = [fake_result("prune/pemsd7m/kdis-lstcd-25-ft1", mae=(1.0, 1.0, 1.0))]
    table = report.comparison_table(8, results)
    assert (table["seeds"] == 0).all()                 # fills no cell of Table 8
