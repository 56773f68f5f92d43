"""The graph-scaling table and power-law fit on a hand-made benchmark."""
import pytest

from stgkd.report.graph_scaling import power_law_fit, scaling_plot, scaling_table

# teacher: 2e-6 N^2 s; student: 1e-3 N s (exactly on their lines); lstcd at 100 is missing
BENCH = {"rows": [
    {"nodes": 100, "step": "teacher", "seconds_per_step": 0.02, "peak_memory_mb": 400.0},
    {"nodes": 1000, "step": "teacher", "seconds_per_step": 2.0, "peak_memory_mb": 500.0},
    {"nodes": 10000, "step": "teacher", "seconds_per_step": 200.0, "peak_memory_mb": 900.0},
    {"nodes": 100, "step": "student", "seconds_per_step": 0.1, "peak_memory_mb": 300.0},
    {"nodes": 1000, "step": "student", "seconds_per_step": 1.0, "peak_memory_mb": 310.0},
    {"nodes": 10000, "step": "student", "seconds_per_step": 10.0, "peak_memory_mb": 320.0},
    {"nodes": 100, "step": "lstcd", "error": "exit 1: out of memory"},
    {"nodes": 1000, "step": "lstcd", "seconds_per_step": 4.0, "peak_memory_mb": 600.0},
    {"nodes": 10000, "step": "lstcd", "seconds_per_step": 400.0, "peak_memory_mb": 2000.0},
]}


def test_table_has_one_row_per_size_and_nan_where_unmeasured():
    table = scaling_table(BENCH)
    assert table["nodes"].tolist() == [100, 1000, 10000]
    assert list(table.columns) == ["nodes", "teacher s", "teacher MB", "student s", "student MB",
                                   "lstcd s", "lstcd MB"]
    assert table.loc[1, "teacher s"] == 2.0 and table.loc[2, "lstcd MB"] == 2000.0
    assert table["lstcd s"].isna().tolist() == [True, False, False]


def test_power_law_fit_recovers_the_exponents():
    fits = power_law_fit(BENCH).set_index("step")
    assert fits.loc["teacher", "exponent"] == pytest.approx(2.0)
    assert fits.loc["teacher", "coefficient"] == pytest.approx(2e-6)
    assert fits.loc["student", "exponent"] == pytest.approx(1.0)
    assert fits.loc["lstcd", "exponent"] == pytest.approx(2.0)     # two points: 4 -> 400
    assert fits.loc["lstcd", "sizes"] == [1000, 10000]
    # from 1000 stations on, the teacher's fit uses two sizes only
    assert power_law_fit(BENCH, min_nodes=1000).set_index("step").loc["teacher", "sizes"] == [1000, 10000]
    memory = power_law_fit(BENCH, value="peak_memory_mb").set_index("step")
    assert memory.loc["student", "exponent"] < 0.1


def test_plot_draws_every_step_with_its_exponent():
    import matplotlib
    matplotlib.use("Agg")
    ax = scaling_plot(BENCH)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["teacher (N^2.00)", "student (N^1.00)", "lstcd (N^2.00)"]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
