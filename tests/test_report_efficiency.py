"""The efficiency chapter's tables from hand-made benchmark and result dicts."""
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from stgkd.nn import STUDENT_BLOCKS, TEACHER_BLOCKS
from stgkd.report.efficiency import (batch_ratio, distillation_steps, fastest_rollout,
                                     kd_tables_times, load_benchmarks, newest_per_machine,
                                     pareto_frame, per_machine, student_teacher_ratio,
                                     compacted_training,
                                     training_variants,
                                     pruning_steps,
                                     rollout_by_batch,
                                     rollout_speedups, same_architecture_spread,
                                     single_window_latency, training_throughput)

from factories import fake_result

BENCH = {"benchmark": "stgcn_speed",
         "rollout_1140": {"teacher": {"mean_s": 10.0}, "student": {"mean_s": 1.0}},
         "rollout_1140_reference": {"teacher": {"mean_s": 25.0}},
         "parameters": {"teacher": 333604, "student": 10144},
         "single_window_9_steps": {"student": {"eager_reference": {"p50_ms": 7.0, "p95_ms": 9.0,
                                                                   "runs": 10}}}}


def test_rollout_speedup_is_first_over_the_fastest_variant():
    table = rollout_speedups(BENCH).set_index("model")
    assert table.loc["teacher", "speedup"] == pytest.approx(2.5)
    assert table.loc["teacher", "fastest"] == "streaming_s"
    assert math.isnan(table.loc["student", "speedup"])   # no first-implementation timing
    assert math.isnan(table.loc["student", "compiled_s"])  # an older file: no compiled rollout
    faster = {**BENCH, "rollout_1140_compiled": {"teacher": {"mean_s": 8.0}},
              "rollout_1140_onnx": {"teacher": {"mean_s": 5.0}, "student": {"mean_s": 2.0}}}
    table = rollout_speedups(faster).set_index("model")
    assert table.loc["teacher", "speedup"] == pytest.approx(25.0 / 5.0)
    assert table.loc["teacher", "fastest"] == "onnx_s"
    assert table.loc["student", "fastest"] == "streaming_s"   # 1.0 s eager beats 2.0 s onnx


def test_fastest_rollout_of_an_untimed_model_is_nan():
    assert fastest_rollout(BENCH, "teacher") == ("streaming_s", 10.0)
    variant, seconds = fastest_rollout(BENCH, "pruning_base")
    assert variant == "" and math.isnan(seconds)


def test_single_window_latency_rows():
    table = single_window_latency(BENCH)
    assert table.to_dict("records") == [{"model": "student", "variant": "eager_reference",
                                         "p50_ms": 7.0, "p95_ms": 9.0, "runs": 10}]


def test_training_throughput_speedup_is_compiled_over_eager():
    bench = {"parameters": {"teacher": 333604, "student": 10144},
             "train_windows_per_s": {"teacher": 100.0, "student": 2000.0},
             "train_windows_per_s_compiled": {"teacher": 160.0, "student": None}}
    table = training_throughput(bench).set_index("model")
    assert table.loc["teacher", "speedup"] == pytest.approx(1.6)
    assert math.isnan(table.loc["student", "speedup"])     # compiled steps not timed
    # a benchmark stored before compiled steps were timed has NaN there too
    older = training_throughput({"train_windows_per_s": {"teacher": 100.0}})
    assert math.isnan(older.loc[0, "compiled_windows_per_s"])


def test_training_variants_fastest_first_per_model_untimed_last():
    bench = {"models": {
        "teacher": {"variants": {
            "eager": {"windows_per_s": 100.0, "speedup": 1.0, "max_abs_output_diff": 0.0,
                      "rel_gradient_diff": 0.0, "equal": True},
            "broken": {"windows_per_s": None, "speedup": None, "max_abs_output_diff": 0.2,
                       "rel_gradient_diff": 0.5, "equal": False},
            "compiled": {"windows_per_s": 120.0, "speedup": 1.2, "max_abs_output_diff": 7e-7,
                         "rel_gradient_diff": 2e-5, "equal": True}}},
        "student": {"variants": {
            "eager": {"windows_per_s": 2000.0, "speedup": 1.0, "max_abs_output_diff": 0.0,
                      "rel_gradient_diff": 0.0, "equal": True}}}}}
    table = training_variants(bench)
    assert list(zip(table["model"], table["variant"])) == [
        ("teacher", "compiled"), ("teacher", "eager"), ("teacher", "broken"), ("student", "eager")]
    assert math.isnan(table.loc[2, "windows_per_s"]) and not table.loc[2, "equal"]
    assert table.loc[0, "speedup"] == pytest.approx(1.2)
    assert training_variants({}).empty


def test_compacted_training_one_row_per_architecture_and_named_ones_apart():
    def variants(eager, compiled):
        return {"eager": {"windows_per_s": eager, "speedup": 1.0, "equal": True},
                "compiled": {"windows_per_s": compiled, "speedup": compiled / eager, "equal": True}}
    bench = {"models": {
        "teacher": {"parameters": 333604, "variants": variants(100.0, 120.0)},
        "prune/pemsd7m/taylor-25": {"parameters": 36237, "blocks": [[1, 6, 13], [13, 6, 25]],
                                    "experiments": ["prune/pemsd7m/taylor-25",
                                                    "prune/pemsd7m/taylor-25-ft1"],
                                    "variants": variants(900.0, 1100.0)},
        "prune/pemsd7m/teacher-kdis-lstcd": {"parameters": 8528, "blocks": [[1, 1, 3], [3, 1, 7]],
                                             "experiments": ["prune/pemsd7m/teacher-kdis-lstcd"],
                                             "variants": variants(2500.0, 2400.0)}}}
    table = compacted_training(bench)
    assert table["model"].tolist() == ["prune/pemsd7m/teacher-kdis-lstcd", "prune/pemsd7m/taylor-25"]
    assert table.loc[1, "experiments"] == "prune/pemsd7m/taylor-25, prune/pemsd7m/taylor-25-ft1"
    assert table.loc[1, "compiled_windows_per_s"] == 1100.0
    assert training_variants(bench, named=True)["model"].unique().tolist() == ["teacher"]
    assert len(training_variants(bench, named=False)) == 4
    assert len(training_variants(bench)) == 6
    assert compacted_training({"models": {"teacher": bench["models"]["teacher"]}}).empty


def test_distillation_steps_speedup_and_epoch_time():
    bench = {"losses": {"lscd": {"batch": 50, "steps_per_epoch": 183, "cdist_s_per_step": 1.2,
                                 "running_s_per_step": 1.0, "cached_s_per_step": 0.4},
                        "lskd": {"batch": 16, "steps_per_epoch": 570, "cdist_s_per_step": 0.07,
                                 "running_s_per_step": 0.07}}}
    table = distillation_steps(bench).set_index("loss")
    assert table.loc["lscd", "speedup"] == pytest.approx(3.0)
    assert table.loc["lscd", "epoch_min_best"] == pytest.approx(183 * 0.4 / 60)
    assert table.loc["lskd", "speedup"] == pytest.approx(1.0)   # no cache: the running kernel


def test_pruning_steps_ratio_per_interval_and_summed():
    bench = {"intervals": [
        {"interval": 1, "parameters": 1000, "masked_s_per_step": 0.4, "compacted_s_per_step": 0.4},
        {"interval": 2, "parameters": 250, "masked_s_per_step": 0.4, "compacted_s_per_step": 0.1}]}
    table = pruning_steps(bench).set_index("interval")
    assert table.loc["2", "compacted_over_masked"] == pytest.approx(0.25)
    assert table.loc["all", "masked_s"] == pytest.approx(0.8)
    assert table.loc["all", "compacted_over_masked"] == pytest.approx(0.5 / 0.8)
    assert pruning_steps({}).empty


def test_pareto_marks_runs_nobody_beats_in_error_and_time():
    runs = [fake_result("teacher", dataset="pemsd7m", blocks=TEACHER_BLOCKS, mae=3.6,
                        parameters=333604),
            fake_result("student-a", dataset="pemsd7m", blocks=STUDENT_BLOCKS, mae=4.4,
                        parameters=10144),
            fake_result("student-b", dataset="pemsd7m", blocks=STUDENT_BLOCKS, mae=4.5,
                        parameters=10144)]
    frame = pareto_frame(runs, BENCH).set_index("experiment")
    # teacher: lowest error; student-a: fastest with the lower student error;
    # student-b: as fast as student-a but worse -> dominated
    assert frame["pareto"].to_dict() == {"teacher": True, "student-a": True, "student-b": False}
    assert frame.loc["teacher", "rollout_s"] == 10.0


def test_pareto_uses_a_compacted_runs_own_timing():
    bench = {**BENCH, "rollout_1140": {**BENCH["rollout_1140"],
                                       "prune/pemsd7m/taylor-50": {"mean_s": 3.0}},
             "rollout_1140_compiled": {"prune/pemsd7m/taylor-50": {"mean_s": 2.0}}}
    runs = [fake_result("prune/pemsd7m/taylor-50", blocks=[[1, 4, 9], [9, 4, 18]], mae=4.0,
                        parameters=22572),
            fake_result("prune/pemsd7m/taylor-75", blocks=[[1, 2, 5], [5, 2, 9]], mae=4.2,
                        parameters=10000)]
    frame = pareto_frame(runs, bench).set_index("experiment")
    assert frame.loc["prune/pemsd7m/taylor-50", "rollout_s"] == 2.0   # its fastest variant
    assert frame.loc["prune/pemsd7m/taylor-50", "architecture"] == "compacted"
    assert math.isnan(frame.loc["prune/pemsd7m/taylor-75", "rollout_s"])  # not timed


def test_newest_per_machine_and_per_machine_tables():
    def bench(device, created, teacher_s):
        return ({"machine": {"device": device}, "created": created,
                 "rollout_1140": {"teacher": {"mean_s": teacher_s}}}, Path(f"{created}.json"))
    loaded = [bench("AMD EPYC", "2026-11-01", 20.0), bench("NVIDIA H200", "2026-12-01", 0.5),
              bench("AMD EPYC", "2026-11-30", 24.0)]
    newest = newest_per_machine(loaded)
    assert [(b["machine"]["device"], b["created"]) for b in newest] == [
        ("NVIDIA H200", "2026-12-01"), ("AMD EPYC", "2026-11-30")]
    table = per_machine(rollout_speedups, newest)
    assert list(table.columns[:2]) == ["machine", "model"]
    assert table[["machine", "streaming_s"]].values.tolist() == [["NVIDIA H200", 0.5],
                                                                 ["AMD EPYC", 24.0]]
    assert list(per_machine(rollout_speedups, []).columns) == ["machine"]


def test_student_teacher_ratio_beside_the_papers_per_machine():
    cpu = {"machine": {"device": "AMD EPYC"},
           "rollout_1140": {"teacher": {"mean_s": 20.0}, "student": {"mean_s": 2.0}},
           "rollout_1140_onnx": {"teacher": {"mean_s": 16.0}, "student": {"mean_s": 0.5}}}
    teacher_only = {"machine": {"device": "NVIDIA H200"},
                    "rollout_1140": {"teacher": {"mean_s": 0.4}}}
    table = student_teacher_ratio([cpu, teacher_only])
    assert list(table.index) == ["paper (GTX 1080)", "ours, eager (AMD EPYC)",
                                 "ours, fastest (AMD EPYC)"]       # the H200 lacks the student
    # the paper's Table 1: 3.423 s and 0.547 s on PeMSD7
    assert table.loc["paper (GTX 1080)", "student / teacher"] == pytest.approx(0.547 / 3.423, abs=1e-4)
    assert table.loc["ours, eager (AMD EPYC)", "student speed-up"] == pytest.approx(10.0)
    assert table.loc["ours, fastest (AMD EPYC)", "student / teacher"] == pytest.approx(0.5 / 16.0)
    assert table.loc["ours, fastest (AMD EPYC)", "variants"] == "onnx_s, onnx_s"


def test_load_benchmarks_by_kind_newest_first(tmp_path):
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    for name, kind, created in (("a.json", "distill_step", "2026-01-01"),
                                ("b.json", "distill_step", "2026-02-01"),
                                ("c.json", "stgcn_speed", "2026-03-01"),
                                # an unfinished speed benchmark's progress, newer: not loaded
                                ("c.partial.json", "stgcn_speed", "2026-04-01")):
        (folder / name).write_text(json.dumps({"benchmark": kind, "created": created}))
    assert [p.name for _, p in load_benchmarks("distill_step", tmp_path)] == ["b.json", "a.json"]
    assert [p.name for _, p in load_benchmarks("stgcn_speed", tmp_path)] == ["c.json"]


def test_same_architecture_spread_compares_models_with_identical_channels():
    timing = lambda s: {"mean_s": s}  # noqa: E731
    bench = {"blocks": {"a": [[1, 2, 4]], "b": [[1, 2, 4]], "c": [[1, 3, 4]]},
             "rollout_1140": {"a": timing(2.0), "b": timing(3.0), "c": timing(9.0)},
             "rollout_1140_onnx": {"a": timing(1.0), "b": timing(4.0)},
             "rollout_1140_compiled": {"a": timing(1.5)}}   # b's compiled time missing
    spread = same_architecture_spread(bench)
    # a and b share channels; c is alone. streaming 2 vs 3, onnx 1 vs 4; compiled has one time
    assert spread["models"].tolist() == ["a, b", "a, b"]
    assert spread["variant"].tolist() == ["streaming_s", "onnx_s"]
    assert spread["max_over_min"].tolist() == [1.5, 4.0]
    assert same_architecture_spread({"blocks": {"a": [[1]]}}).empty


def _batch_benchmark() -> dict:
    """A rollout_batch benchmark: teacher and student at batches 32 and 1140."""
    def t(seconds):
        return {"mean_s": seconds, "std_s": 0.0, "runs": 1, "times_s": [seconds]}
    return {"benchmark": "rollout_batch", "models": {
        "teacher": {"parameters": 100, "streaming": {"32": t(14.0), "1140": t(12.0)},
                    "compiled": {"32": t(13.0), "1140": t(16.0)},
                    "onnx": {"32": t(13.5), "1140": t(11.0)}},
        "student": {"parameters": 3, "streaming": {"32": t(1.2), "1140": t(0.5)},
                    "compiled": {"32": t(1.0), "1140": t(0.6)},
                    "onnx": {"32": t(0.55)}}}}


def test_rollout_by_batch_one_row_per_model_and_batch():
    table = rollout_by_batch(_batch_benchmark())
    assert list(zip(table["model"], table["batch"])) == [
        ("teacher", 32), ("teacher", 1140), ("student", 32), ("student", 1140)]
    student_1140 = table.iloc[3]
    assert student_1140["streaming_s"] == 0.5 and math.isnan(student_1140["onnx_s"])
    assert list(table["fastest"]) == ["compiled", "onnx", "onnx", "streaming"]


def test_batch_ratio_per_batch_and_at_each_models_best():
    ratio = batch_ratio(_batch_benchmark()).set_index("batch")
    # batch 32: teacher compiled 13.0, student onnx 0.55
    assert ratio.loc["32", "teacher_s"] == 13.0 and ratio.loc["32", "student_variant"] == "onnx"
    assert ratio.loc["32", "speedup"] == pytest.approx(13.0 / 0.55)
    # batch 1140: teacher onnx 11.0, student streaming 0.5 (onnx not timed there)
    assert ratio.loc["1140", "ratio"] == pytest.approx(0.5 / 11.0)
    # best: teacher onnx at 1140 (11.0), student streaming at 1140 (0.5)
    assert ratio.loc["best", "teacher_variant"] == "onnx, batch 1140"
    assert ratio.loc["best", "student_variant"] == "streaming, batch 1140"
    assert ratio.loc["best", "speedup"] == pytest.approx(22.0)
    # without the teacher there is no ratio
    only_student = _batch_benchmark()
    del only_student["models"]["teacher"]
    assert batch_ratio(only_student).empty


def test_kd_tables_times_in_minutes_and_the_target_only_for_the_paper_profile():
    def bench(profile, wall_s, runs):
        return {"benchmark": "kd_tables_time", "created": "2026-11-29T10:00:00+00:00",
                "machine": {"device": "NVIDIA H200"}, "dataset": "pemsd7m",
                "profile": profile, "jobs": 9, "wall_time_s": wall_s, "target_s": 900,
                "runs": runs}
    frame = kd_tables_times([
        bench("full", 600.0, {"a": {"wall_time_s": 120.0}, "b": {"wall_time_s": 300.0}}),
        bench("full", 960.0, {"a": {"wall_time_s": 60.0}}),
        bench("smoke", 30.0, {"a": {"wall_time_s": 6.0}, "b": None})])
    assert frame["minutes"].tolist() == [10.0, 16.0, 0.5]
    assert frame["slowest_run_min"].tolist() == [5.0, 1.0, 0.1]
    assert frame["runs"].tolist() == [2, 1, 1]                 # a missing run is not counted
    assert frame["target_min"].tolist() == [15.0, 15.0, 15.0]
    assert frame["under_target"].tolist() == [True, False, False]   # smoke never counts
    assert frame["created"].tolist() == ["2026-11-29"] * 3
    assert frame["complete"].tolist() == [True, True, True]     # files without the key


def test_kd_tables_times_stopped_at_a_time_limit_is_unknown_until_past_the_target():
    def stopped(wall_s):
        return {"benchmark": "kd_tables_time", "created": "2026-12-01T10:00:00+00:00",
                "machine": {"device": "NVIDIA H200"}, "dataset": "pemsd7m", "profile": "full",
                "jobs": 9, "wall_time_s": wall_s, "target_s": 900, "complete": False,
                "time_limit_s": wall_s, "runs": {"a": {"wall_time_s": 200.0}, "b": None}}
    frame = kd_tables_times([stopped(480.0), stopped(1000.0)])
    assert frame["complete"].tolist() == [False, False]
    assert frame["runs"].tolist() == [1, 1]
    # 8 minutes unfinished says nothing yet about 15; 16.7 minutes unfinished misses it
    assert frame["under_target"].tolist() == [None, False]


def test_peer_comparison_speedup_is_ours_faster_by():
    from stgkd.report.efficiency import peer_comparison
    bench = {"benchmark": "peer_stgcn", "models": {"student": {
        "parameters": {"ours": 10144, "peer": 10127},
        "ours": {"train_windows_per_s": {"median": 300.0}, "rollout_s": {"median": 0.5},
                 "rollout_rerun_s": {"median": 2.0}},
        "peer": {"train_windows_per_s": {"median": 200.0}, "rollout_rerun_s": {"median": 3.0}}}}}
    table = peer_comparison(bench).set_index("figure")
    assert list(table.index) == ["training step", "9-step rollout, whole model re-run each step",
                                 "9-step rollout, each as it forecasts"]
    assert table.loc["training step", "ours_speedup"] == pytest.approx(1.5)      # 300 / 200
    assert table.loc["9-step rollout, whole model re-run each step",
                     "ours_speedup"] == pytest.approx(1.5)                      # 3.0 / 2.0
    # our streaming rollout against the peer's only one, the re-run
    assert table.loc["9-step rollout, each as it forecasts", "ours_speedup"] == pytest.approx(6.0)
    assert table["peer_parameters"].tolist() == [10127] * 3
    # a model the peer was not timed for gives no rows
    assert peer_comparison({"models": {"teacher": {"ours": {}}}}).empty


LATENCY = {"benchmark": "forecast_latency", "models": {"student": {
    "variants": {"eager_streaming": {"p50_ms": 10.0, "p95_ms": 12.0, "runs": 5},
                 "onnx_streaming_all": {"p50_ms": 1.2, "p95_ms": 1.5, "runs": 5,
                                        "max_abs_diff": 2e-6},
                 "onnx_folded_basic": {"p50_ms": 0.6, "p95_ms": 0.7, "runs": 5,
                                       "max_abs_diff": 3e-6}},
    "operators": {"streaming": {"Slice": 100, "Conv": 90}, "folded": {"MatMul": 99, "Add": 81}},
    "profile_folded": {"MatMul": {"kernel_us": 60.0, "nodes": 99}, "Add": {"kernel_us": 30.0,
                                                                           "nodes": 81},
                       "Relu": {"kernel_us": 6.0, "nodes": 36},
                       "Sigmoid": {"kernel_us": 4.0, "nodes": 36}}}}}


def test_forecast_latency_rows_carry_their_exports_operator_count():
    from stgkd.report.efficiency import forecast_latency
    table = forecast_latency(LATENCY).set_index("variant")
    assert table.loc["onnx_streaming_all", "operators"] == 190
    assert table.loc["onnx_folded_basic", "operators"] == 180
    assert pd.isna(table.loc["eager_streaming", "operators"])
    assert table.loc["onnx_folded_basic", "p95_ms"] == 0.7


def test_onnx_profile_shares_sum_to_one_and_the_tail_is_other():
    from stgkd.report.efficiency import onnx_profile
    table = onnx_profile(LATENCY, top=2)
    assert table["operator"].tolist() == ["MatMul", "Add", "other"]
    assert table["share"].tolist() == pytest.approx([0.6, 0.3, 0.1])
    assert table.loc[2, "nodes"] == 72
    assert onnx_profile(LATENCY, model="teacher").empty


def test_lstcd_step_phases_and_dmst_epoch_costs_from_hand_made_files():
    from stgkd.report.efficiency import dmst_epoch_costs, lstcd_step_phases
    bench = {"datasets": {"losloop": {
        "previous": {"lscd_s": 2.0, "step_s": 3.0},
        "cyclic": {"lscd_s": 0.5, "step_s": 1.5},
        "speedup_step": 2.0, "speedup_lscd": 4.0}}}
    table = lstcd_step_phases(bench).set_index("kernel")
    assert table.loc["previous", "lscd_s"] == 2.0 and table.loc["cyclic", "step_s"] == 1.5
    assert table.loc["cyclic", "speedup_step"] == 2.0
    assert pd.isna(table.loc["previous", "speedup_step"])
    costs = dmst_epoch_costs({"models": {"ST-GCN": {"parameters": 10, "train_step_s": 1.0,
                                                    "epoch_s": 42.0}}})
    assert costs.to_dict("records") == [{"model": "ST-GCN", "parameters": 10,
                                          "train_step_s": 1.0, "epoch_s": 42.0}]


STEP_PROFILE = {"benchmark": "train_step_profile", "settings": {"batch": 50},
                "models": {"teacher": {
                    "profiled_steps": 2,
                    "phases_s": {"forward_and_loss": 0.1, "backward": 0.3, "optimizer_step": 0.1},
                    "operators": {"aten::convolution_backward": {"self_cpu_s": 0.8, "calls": 20},
                                  "aten::mkldnn_convolution": {"self_cpu_s": 0.2, "calls": 20},
                                  "aten::mm": {"self_cpu_s": 0.4, "calls": 12},
                                  "aten::bmm": {"self_cpu_s": 0.1, "calls": 4},
                                  "aten::copy_": {"self_cpu_s": 0.3, "calls": 256},
                                  "aten::sigmoid": {"self_cpu_s": 0.15, "calls": 8},
                                  "Optimizer.step#RMSprop.step": {"self_cpu_s": 0.05,
                                                                  "calls": 2}}}}}


def test_step_profile_groups_operators_by_what_they_compute():
    from stgkd.report.efficiency import step_operator_group, training_step_profile
    assert step_operator_group("aten::mm") == "graph products (matrix products)"
    assert step_operator_group("aten::sigmoid_backward").startswith("element-wise")
    assert step_operator_group("autograd::engine::evaluate_function: MmBackward0") == "bookkeeping"
    table = training_step_profile(STEP_PROFILE).set_index("group")
    # total self time 2.0 s over 2 steps; by hand: conv backward 0.8, matrix products 0.5,
    # copies 0.3, forward conv 0.2, element-wise 0.15, bookkeeping 0.05
    assert list(table.index) == ["convolutions, backward", "graph products (matrix products)",
                                 "copies, padding and zeroing", "convolutions, forward",
                                 "element-wise (activations, residuals, loss, optimiser)",
                                 "bookkeeping"]
    products = table.loc["graph products (matrix products)"]
    assert products["s_per_step"] == pytest.approx(0.25) and products["share"] == pytest.approx(0.25)
    assert products["largest_operator"] == "aten::mm"
    assert table["share"].sum() == pytest.approx(1.0)


def test_step_phases_sum_to_the_step_and_give_windows_per_second():
    from stgkd.report.efficiency import training_step_phases
    row = training_step_phases(STEP_PROFILE).iloc[0]
    assert row["step_s"] == pytest.approx(0.5) and row["windows_per_s"] == pytest.approx(100.0)


def test_load_average_text_reads_settings_or_machine_and_rounds():
    from stgkd.report.efficiency import load_average_text
    assert load_average_text({"settings": {"load_average": [2.06, 2.734, 2.35]}}) == \
        ", load average 2.1 / 2.7 / 2.4"
    assert load_average_text({"machine": {"load_average": [7.0, 1.25, 0.0]}}) == \
        ", load average 7.0 / 1.2 / 0.0"
    assert load_average_text({"settings": {}, "machine": {}}) == ""


def test_pruned_channels_kernel_sums_the_calls_and_compares_with_eager():
    from stgkd.report.efficiency import pruned_channels_kernel
    bench = {"modes": {
        "per_shape": [{"call_s": 0.2, "first_call_s": 3.0}, {"call_s": 0.6, "first_call_s": 0.0}],
        "dynamic_channels": [{"call_s": 0.1, "first_call_s": 2.0}, {"call_s": 0.1, "first_call_s": 1.0}],
        "eager": [{"call_s": 0.5, "first_call_s": 0.5}, {"call_s": 0.7, "first_call_s": 0.7}]}}
    table = pruned_channels_kernel(bench).set_index("mode")
    assert table.loc["per_shape", "calls_s"] == pytest.approx(0.8)
    assert table.loc["dynamic_channels", "first_calls_s"] == pytest.approx(3.0)
    assert table.loc["dynamic_channels", "speedup_over_eager"] == pytest.approx(1.2 / 0.2)
    assert table.loc["eager", "speedup_over_eager"] == pytest.approx(1.0)
    assert (table["shapes"] == 2).all()
