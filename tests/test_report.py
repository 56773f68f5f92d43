"""Reference loading and the comparison / dashboard logic, on tiny hand-made results.

Expected numbers are worked out by hand from the paper's tables (the values quoted
in the comments are the paper's) and the made-up results below.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from stgkd import reference, report
from stgkd.data import TrafficSeries
from stgkd.data.overview import daily_profile, dataset_overview, working_days

from factories import fake_result


def cell(frame: pd.DataFrame, **where) -> pd.Series:
    """The single row of ``frame`` matching every ``column=value``."""
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    rows = frame[mask]
    assert len(rows) == 1, f"{len(rows)} rows match {where}"
    return rows.iloc[0]


# ----------------------------------------------------------------------------- reference


def test_kd_tables_hold_the_papers_numbers():
    tables = reference.kd_tables()
    assert list(tables.columns) == ["table", "dataset", "our_dataset", "model", "setting",
                                    "metric", "horizon_min", "value"]
    assert len(tables) == 586        # 550, then the LRD(L2) rows of Tables 2 and 4 (2 x 18)
    # the paper prints the same LRD(L2) row in Tables 2 and 4: MAE 2.768 at 15 min on PeMSD7
    for number in (2, 4):
        assert cell(tables, table=number, dataset="PeMSD7", model="Student LRD(L2)",
                    metric="MAE", horizon_min=15.0)["value"] == 2.768
    # Table 2, PeMSD7, Teacher: MAE 2.230 at 15 min; Table 1: 333,604 parameters
    assert cell(tables, table=2, dataset="PeMSD7", model="Teacher", metric="MAE",
                horizon_min=15.0)["value"] == 2.23
    teacher = cell(tables, table=1, dataset="PeMSD8", model="Teacher", metric="parameters")
    assert teacher["value"] == 296426 and math.isnan(teacher["horizon_min"])
    assert cell(tables, table=8, dataset="PeMSD8", model="Pruned W/O KD", setting="pruned 50%",
                metric="RMSE", horizon_min=45.0)["value"] == 4.685
    assert set(tables["our_dataset"]) == {"pemsd7m", "pems08"}
    assert (tables.loc[tables["table"] == 2, "setting"] == "").all()


def test_kd_table_selects_one_table_and_rejects_unknown_numbers():
    table1 = reference.kd_table(1)
    assert set(table1["table"]) == {1} and len(table1) == 18
    with pytest.raises(ValueError, match="table: expected one of .* found 42"):
        reference.kd_table(42)


def test_dataset_names_map_to_ours():
    assert reference.our_dataset("PeMSD7") == "pemsd7m"
    assert reference.our_dataset("PeMSD8") == "pems08"
    assert reference.our_dataset("Los_Loop") == "losloop"
    assert reference.our_dataset("BKK") is None
    assert reference.paper_datasets("pems08") == ["PeMSD8", "PeMS08"]
    with pytest.raises(KeyError, match="PeMSD9"):
        reference.our_dataset("PeMSD9")


def test_dmst_gnode_reported_figures():
    reported = reference.dmst_gnode_reported()
    assert len(reported) == 6
    row = cell(reported, dataset="Los_Loop", metric="RMSE")
    assert row["value"] == 3.3422 and row["horizon_min"] == 20.0
    assert row["our_dataset"] == "losloop" and row["where"] == "abstract"


def test_reference_cells_join_both_papers():
    cells = reference.reference_cells()
    assert list(cells.columns) == reference.CELL_COLUMNS
    assert len(cells) == 586 + 6
    assert set(cells["source"]) == {"KD paper", "DMST-GNODE paper"}
    assert cell(cells, table="Table 5", dataset="PeMSD8", model="Student LTCD", metric="MAE",
                horizon_min=30.0)["paper_value"] == 1.747


def test_reference_file_errors_name_the_file_and_the_problem(tmp_path):
    with pytest.raises(reference.ReferenceFileError, match="no such file"):
        reference.kd_tables(tmp_path / "absent.csv")
    no_value = tmp_path / "no_value.csv"
    no_value.write_text("table,dataset,model,setting,metric,horizon_min\n2,PeMSD7,Teacher,,MAE,15\n")
    with pytest.raises(reference.ReferenceFileError, match=r"no_value\.csv.*missing \['value'\]"):
        reference.kd_tables(no_value)
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("table,dataset,model,setting,metric,horizon_min,value\n"
                       "2,METR-LA,Teacher,,MAE,15,2.0\n")
    with pytest.raises(reference.ReferenceFileError, match="METR-LA"):
        reference.kd_tables(unknown)
    empty = tmp_path / "empty.csv"
    empty.write_text("table,dataset,model,setting,metric,horizon_min,value\n"
                     "2,PeMSD7,Teacher,,MAE,15,\n")
    with pytest.raises(reference.ReferenceFileError, match="lines \\[2\\]"):
        reference.kd_tables(empty)


# ----------------------------------------------------------------------------- comparison


def test_comparison_mean_std_difference_over_seeds():
    results = [fake_result("kd/pemsd7m/teacher", "smoke", 0, mae=(3.0, 4.0, 5.0)),
               fake_result("kd/pemsd7m/teacher", "smoke", 1, mae=(3.5, 4.5, 5.5))]
    table2 = report.comparison_table(2, results)
    row = cell(table2, dataset="PeMSD7", model="Teacher", metric="MAE", horizon_min=15.0)
    # mean (3.0 + 3.5) / 2 = 3.25; sample std sqrt(2 * 0.25**2 / 1) = 0.353553...;
    # paper 2.230: difference 1.02, relative 100 * 1.02 / 2.23 = 45.7399...%
    assert row["paper_value"] == 2.23
    assert row["ours"] == pytest.approx(3.25)
    assert row["ours_std"] == pytest.approx(0.3535534, abs=1e-6)
    assert row["seeds"] == 2
    assert row["difference"] == pytest.approx(1.02)
    assert row["relative_difference_pct"] == pytest.approx(45.73991, abs=1e-4)
    assert row["profile"] == "smoke" and row["experiment"] == "kd/pemsd7m/teacher"
    # 45 min: mae + 2 = 5.0 and 5.5, mean 5.25; paper 3.565: difference 1.685
    row45 = cell(table2, dataset="PeMSD7", model="Teacher", metric="MAE", horizon_min=45.0)
    assert row45["difference"] == pytest.approx(1.685)
    # MAPE 10 in both seeds: std 0; paper 5.223 at 15 min: difference 4.777
    mape = cell(table2, dataset="PeMSD7", model="Teacher", metric="MAPE", horizon_min=15.0)
    assert mape["ours_std"] == 0.0 and mape["difference"] == pytest.approx(4.777)


def test_rows_not_run_say_so():
    results = [fake_result("kd/pemsd7m/teacher", "smoke")]
    table2 = report.comparison_table(2, results)
    assert len(table2) == 90       # 5 rows x 2 data sets x 9 cells
    missing = table2[table2["model"] == "Student LRD(KL)"]
    assert len(missing) == 18
    assert (missing["profile"] == "not yet run").all()
    assert missing["ours"].isna().all() and (missing["seeds"] == 0).all()
    # the teacher fills 9 cells on PeMSD7, not the PeMSD8 ones
    assert (table2["profile"] == "smoke").sum() == 9
    assert (table2.loc[table2["dataset"] == "PeMSD8", "profile"] == "not yet run").all()


def test_best_profile_is_preferred_per_row():
    results = [fake_result("kd/pemsd7m/teacher", "smoke", mae=(9.0, 10.0, 11.0)),
               fake_result("kd/pemsd7m/teacher", "quick", mae=(4.0, 5.0, 6.0)),
               fake_result("kd/pemsd7m/student-no-kd", "smoke", mae=(7.0, 8.0, 9.0))]
    table2 = report.comparison_table(2, results)
    teacher = cell(table2, dataset="PeMSD7", model="Teacher", metric="MAE", horizon_min=15.0)
    assert teacher["profile"] == "quick" and teacher["ours"] == 4.0
    student = cell(table2, dataset="PeMSD7", model="Student W/O KD", metric="MAE",
                   horizon_min=15.0)
    assert student["profile"] == "smoke" and student["ours"] == 7.0
    # a full-profile run beats both
    results.append(fake_result("kd/pemsd7m/teacher", "full", mae=(2.5, 3.5, 4.5)))
    teacher = cell(report.comparison_table(2, results), dataset="PeMSD7", model="Teacher",
                   metric="MAE", horizon_min=15.0)
    assert teacher["profile"] == "full" and teacher["difference"] == pytest.approx(0.27)
    # asking for one profile uses only that profile
    only_smoke = report.comparison_table(2, results, profile="smoke")
    teacher = cell(only_smoke, dataset="PeMSD7", model="Teacher", metric="MAE", horizon_min=15.0)
    assert teacher["profile"] == "smoke" and teacher["ours"] == 9.0
    with pytest.raises(ValueError, match="profile: expected 'best'"):
        report.comparison_table(2, results, profile="fast")


def test_a_paper_row_fills_every_table_with_that_model():
    results = [fake_result("kd/pemsd7m/teacher", "smoke")]
    # Teacher appears in Tables 2, 4, 5 (no setting) and 7 ("params 100%")
    for number in (2, 4, 5, 7):
        table = report.comparison_table(number, results)
        assert (table["profile"] == "smoke").sum() == 9, number
    lstcd = [fake_result("kd/pemsd7m/student-lstcd", "smoke",
                         paper_row="Student LSTCD(ours)")]
    assert (report.comparison_table(4, lstcd)["profile"] == "smoke").sum() == 9
    # Table 5 prints the same model without the "(ours)" mark: the same run fills it
    assert (report.comparison_table(5, lstcd)["profile"] == "smoke").sum() == 9


def test_paper_setting_restricts_a_result_to_one_setting():
    results = [fake_result("prune/pemsd7m/no-kd-25", "smoke", mae=(2.8, 3.8, 4.8),
                           paper_row="Pruned W/O KD", paper_setting="pruned 25%"),
               fake_result("prune/pemsd7m/no-kd-50", "smoke", mae=(3.0, 4.0, 5.0),
                           paper_row="Pruned W/O KD", paper_setting="pruned 50%")]
    table8 = report.comparison_table(8, results)
    at25 = cell(table8, dataset="PeMSD7", model="Pruned W/O KD", setting="pruned 25%",
                metric="MAE", horizon_min=15.0)
    at50 = cell(table8, dataset="PeMSD7", model="Pruned W/O KD", setting="pruned 50%",
                metric="MAE", horizon_min=15.0)
    at75 = cell(table8, dataset="PeMSD7", model="Pruned W/O KD", setting="pruned 75%",
                metric="MAE", horizon_min=15.0)
    # paper: 2.721 (25%), 2.975 (50%)
    assert at25["ours"] == 2.8 and at25["difference"] == pytest.approx(0.079)
    assert at50["ours"] == 3.0 and at50["difference"] == pytest.approx(0.025)
    assert at75["profile"] == "not yet run"


def test_two_experiments_on_one_cell_are_an_error():
    results = [fake_result("kd/pemsd7m/teacher", "smoke"),
               fake_result("kd/pemsd7m/teacher-copy", "smoke", paper_row="Teacher")]
    with pytest.raises(ValueError, match="teacher-copy.*'Teacher' on pemsd7m"):
        report.comparison_table(2, results)


def test_runs_without_a_paper_cell_are_listed():
    results = [fake_result("kd/losloop/teacher", "smoke", mae=(4.0, 5.0, 6.0)),
               fake_result("kd/pemsd7m/teacher", "smoke")]
    extra = report.ours_without_paper_cell(results)
    assert set(extra["experiment"]) == {"kd/losloop/teacher"}
    mae = cell(extra, metric="MAE")
    assert (mae["15 min"], mae["30 min"], mae["45 min"]) == (4.0, 5.0, 6.0)
    assert report.ours_without_paper_cell([]).empty


def test_parse_horizon():
    assert report.comparison.parse_horizon("15min") == 15.0
    assert report.comparison.parse_horizon("20 min") == 20.0
    with pytest.raises(ValueError, match="'15'"):
        report.comparison.parse_horizon("15")


# ----------------------------------------------------------------------------- Table 1, dashboard


def test_architecture_costs_match_table_1_parameters():
    # Table 1: 333,604 / 48,628 / 10,144 parameters for 228 stations
    costs = report.table1.architecture_costs(228).set_index("model")
    assert costs["parameters"].to_dict() == {"Teacher": 333604, "Pruning Base Model": 48628,
                                             "Student": 10144}
    assert costs.loc["Student", "blocks"] == "[1, 2, 4][4, 2, 8]"
    flops = costs["flops_per_window"]
    assert flops["Teacher"] > flops["Pruning Base Model"] > flops["Student"] > 0


def test_benchmark_times_fill_table_1_test_time():
    benchmark = {"machine": {"cpu": "x"}, "rollout_1140": {"teacher": {"mean_s": 2.0},
                                                           "student": {"mean_s": 0.5}},
                 "ratio_student_teacher": 0.25}
    table1 = report.table1_comparison(benchmark)
    teacher = cell(table1, dataset="PeMSD7", model="Teacher", metric="test_time_s")
    # paper 3.423 s: difference 2.0 - 3.423 = -1.423
    assert teacher["profile"] == "benchmark" and teacher["difference"] == pytest.approx(-1.423)
    base = cell(table1, dataset="PeMSD7", model="Pruning Base Model", metric="test_time_s")
    assert base["profile"] == "not yet measured" and math.isnan(base["ours"])
    assert (table1.loc[(table1["dataset"] == "PeMSD8") & (table1["metric"] == "test_time_s"),
                       "profile"] == "not yet measured").all()
    params = cell(table1, dataset="PeMSD8", model="Student", metric="parameters")
    assert params["profile"] == "computed" and params["difference"] == 0
    no_file = report.table1_comparison(None)
    assert (no_file.loc[no_file["metric"] == "test_time_s", "profile"] == "not yet measured").all()


def test_load_benchmark_prefers_a_gpu_then_the_newest(tmp_path):
    assert report.load_benchmark(tmp_path) is None
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    for name, device, created in (("cpu-a.json", "AMD EPYC", "2026-01-03"),
                                  ("cpu-b.json", "Intel Xeon", "2026-01-02"),
                                  ("cuda-c.json", "NVIDIA H100", "2026-01-01")):
        (folder / name).write_text(f'{{"machine": {{"device": "{device}"}}, '
                                   f'"created": "{created}"}}')
    assert report.load_benchmark(tmp_path)[1].name == "cuda-c.json"
    (folder / "cuda-c.json").unlink()
    assert report.load_benchmark(tmp_path)[1].name == "cpu-a.json"
    # an unfinished GPU run's progress file is not a benchmark
    (folder / "cuda-d.partial.json").write_text('{"machine": {"device": "NVIDIA H200"}, '
                                                '"created": "2026-01-05", "complete": false}')
    assert report.load_benchmark(tmp_path)[1].name == "cpu-a.json"
    # another benchmark's file (seconds per distillation step) is not a Table 1 benchmark
    (folder / "distill-step-z.json").write_text('{"benchmark": "distill_step", '
                                               '"machine": {"device": "NVIDIA H100"}, '
                                               '"created": "2026-02-01"}')
    assert report.load_benchmark(tmp_path)[1].name == "cpu-a.json"


def test_benchmark_on_another_data_set_fills_its_own_cells():
    benchmark = {"settings": {"dataset": "pems08"},
                 "rollout_1140": {"teacher": {"mean_s": 1.5}}}
    times = report.table1.benchmark_times(benchmark)
    assert times.values.tolist() == [["PeMSD8", "Teacher", 1.5]]


def test_relative_to_teacher():
    shares = report.relative_to_teacher(report.table1_comparison(), "parameters")
    student = cell(shares, dataset="PeMSD7", model="Student")
    # 10,144 / 333,604 = 3.0407% for both, since our counts equal the paper's
    assert student["paper_pct"] == pytest.approx(3.04073, abs=1e-4)
    assert student["ours_pct"] == pytest.approx(student["paper_pct"])


def test_dashboard_lists_every_comparable_cell():
    results = [fake_result("kd/pemsd7m/teacher", "smoke")]
    board = report.dashboard(results)
    # Tables 1, 2, 4, 5, 7, 8: 18 + 90 + 108 + 108 + 54 + 126 cells; DMST-GNODE: 6
    assert len(board) == 510
    assert list(dict.fromkeys(board["table"])) == ["Table 1", "Table 2", "Table 4", "Table 5",
                                                   "Table 7", "Table 8", "abstract"]
    bangkok = board[board["dataset"] == "BKK"]
    assert (bangkok["profile"] == "data set not available").all()
    summary = report.dashboard_summary(board)
    total = summary.loc[("all", "all")]
    # the teacher fills 9 cells in each of Tables 2, 4, 5 and 7
    assert total["smoke"] == 36 and total["cells"] == 510
    assert total["computed"] == 12 and total["not yet measured"] == 6
    assert total["data set not available"] == 2
    assert total["not yet run"] == 510 - 36 - 12 - 6 - 2
    assert summary.loc[("KD paper", "Table 8"), "not yet run"] == 126


def test_horizon_view_puts_horizons_side_by_side():
    results = [fake_result("kd/pemsd7m/teacher", "smoke", mae=(3.0, 4.0, 5.0))]
    view = report.display.horizon_view(report.comparison_table(2, results))
    row = view.loc[("PeMSD7", "Teacher", "", "MAE")]
    assert row[("15 min", "paper")] == "2.230" and row[("15 min", "ours")] == "3.000"
    assert row[("15 min", "diff")] == "+0.770" and row[("", "profile")] == "smoke"
    assert view.loc[("PeMSD8", "Teacher", "", "MAE")][("45 min", "ours")] == "–"
    assert len(view) == 30   # 2 data sets x 5 models x 3 metrics


def test_format_number():
    assert report.display.format_number(333604.0) == "333,604"
    assert report.display.format_number(2.2301) == "2.230"
    assert report.display.format_number(float("nan")) == "–"
    assert report.display.format_number(1.02, signed=True) == "+1.020"


def test_provenance_table_sorted():
    results = [fake_result("b", "smoke", 1, dataset="pemsd7m", paper_row="X"),
               fake_result("a", "smoke", dataset="pemsd7m", paper_row="X")]
    table = report.provenance_table(results)
    assert table[["experiment", "seed"]].values.tolist() == [["a", 0], ["b", 1]]
    assert table.loc[0, "commit"] == "abc"


# ----------------------------------------------------------------------------- data chapter


def test_daily_profile_means_over_the_given_days():
    # 2 days x 4 steps, 2 stations: station 0 reads 0..7, station 1 reads 10 throughout
    values = np.stack([np.arange(8.0), np.full(8, 10.0)], axis=1)
    profile = daily_profile(values, steps_per_day=4, days=[0, 1], stations=[0])
    # station 0 by time of day: (0 + 4) / 2, (1 + 5) / 2, ... = 2, 3, 4, 5
    assert profile["station 0"].tolist() == [2.0, 3.0, 4.0, 5.0]
    assert profile["network mean"].tolist() == [6.0, 6.5, 7.0, 7.5]
    assert profile.index.tolist() == [0.0, 6.0, 12.0, 18.0]
    only_day1 = daily_profile(values, steps_per_day=4, days=[1], stations=[0])
    assert only_day1["station 0"].tolist() == [4.0, 5.0, 6.0, 7.0]


def test_working_days():
    assert working_days("losloop", 7) == [0, 1, 4, 5, 6]
    assert len(working_days("pemsd7m", 44)) == 43
    assert working_days("synthetic", 3) == [0, 1, 2]


def test_dataset_overview_counts_windows_and_edges():
    weights = np.zeros((3, 3))
    weights[0, 1] = weights[1, 0] = 0.5
    weights[1, 2] = weights[2, 1] = 0.7
    series = TrafficSeries("toy", np.full((4 * 48, 3), 60.0), weights, steps_per_day=48,
                           n_imputed=5)
    overview = dataset_overview([series], {"toy": (2, 1, 1)}).loc["toy"]
    # windows of 12 + 9 = 21 steps inside a 48-step day: 48 - 21 + 1 = 28 a day
    assert overview["split (days)"] == "2/1/1" and overview["split (windows)"] == "56/28/28"
    assert overview["edges"] == 2 and overview["imputed cells"] == 5
    assert overview["days"] == 4 and overview["mean (mph)"] == 60.0


def test_the_profile_table_states_what_the_code_runs():
    from stgkd.registry import PROFILES
    from stgkd.report.display import profile_table_markdown
    table = profile_table_markdown().splitlines()
    assert len(table) == 2 + len(PROFILES)
    full = next(line for line in table if line.startswith("| `full`"))
    assert f"{PROFILES['full'].epochs} epochs" in full
    assert f"at most {PROFILES['full'].dmst.max_epochs} epochs" in full
    assert '(shown as "full profile")' in full


def test_show_uncut_shows_every_row_and_whole_cells_whatever_the_options(capsys):
    from stgkd.report import show_uncut
    frame = pd.DataFrame({"claim": [f"claim number {i} with a long statement" for i in range(8)]})
    with pd.option_context("display.max_rows", 3, "display.max_colwidth", 10):
        show_uncut(frame)
        printed = capsys.readouterr().out
        assert pd.get_option("display.max_rows") == 3     # the notebook's options are kept
    assert "..." not in printed
    assert all(f"claim number {i} with a long statement" in printed for i in range(8))
