"""What the other readings still need: the experiments of each reading group, their seed
targets, and the runs to add, on hand-made results."""
import math

import pytest

from stgkd.report.readings_needed import reading_targets, readings_needed, readings_summary

from factories import KD_HORIZONS, fake_result, metrics

DOSE_LOSLOOP = "correlation dose-response, Los-loop"
DOSE_PEMSD7M = "correlation dose-response, PeMSD7(M)"
TABLE8 = "Table 8 asked again"
ABLATIONS = "DMST-GNODE's ST modules and ablations, Los-loop"
PINNED_DMST = "all ten DMST models under the chosen scaling (boxcox), Los-loop"


def cpu_run(experiment, seed, hours=None, **fields):
    result = fake_result(experiment, "full", seed,
                         wall_time_s=None if hours is None else hours * 3600, **fields)
    result["provenance"]["device"] = "AMD EPYC (1 threads of 2 CPUs)"
    return result


def test_with_nothing_stored_each_group_has_its_experiments_and_targets():
    targets = reading_targets([])
    by_group = targets.groupby("reading", sort=False)
    counts = by_group.size().to_dict()
    # Los-loop: LSTCD at shares 0, 1e-3, 1e-2, 1e-1, 0.5, then LTCD and LSCD at 0.1
    assert counts[DOSE_LOSLOOP] == 5 + 2
    # PeMSD7(M): no Los-loop seeds to pick promising shares from, so share 0 alone
    assert targets.loc[targets["reading"] == DOSE_PEMSD7M, "experiment"].tolist() == [
        "kd/pemsd7m/student-lstcd-corr0"]
    assert counts[TABLE8] == 2 * 3 * 5            # data sets x levels x arms
    assert counts[ABLATIONS] == 6                 # two ST modules, four parts left out
    # no graph model has two scalings yet, so the pinned Box-Cox stays: the plain names
    dmst = targets[targets["reading"] == PINNED_DMST].set_index("experiment")["target"]
    assert len(dmst) == 10 and dmst["dmst/losloop/dmst-gnode"] == 3
    assert dmst["dmst/losloop/arima"] == 1        # seed-free: one run stands for every seed
    assert targets.loc[targets["reading"] == TABLE8, "target"].eq(2).all()
    assert targets.loc[targets["reading"].str.startswith("correlation"), "target"].eq(3).all()


def test_pemsd7m_dose_points_follow_the_promising_shares_of_losloop():
    def scored(tag, seed, val_mae):
        return cpu_run(f"kd/losloop/student-lstcd-corr{tag}", seed,
                       val=metrics(KD_HORIZONS, mae=val_mae, rmse=None, mape=None))

    # validation MAE: 1e-3 -> 4.3, 1e-2 -> 4.1, 1e-1 -> 4.2, 0.5 -> 4.4 (three seeds each)
    results = [scored(tag, s, val) for tag, val in
               [("1e-3", 4.3), ("1e-2", 4.1), ("1e-1", 4.2), ("5e-1", 4.4)] for s in range(3)]
    targets = reading_targets(results)
    assert targets.loc[targets["reading"] == DOSE_PEMSD7M, "experiment"].tolist() == [
        "kd/pemsd7m/student-lstcd-corr0", "kd/pemsd7m/student-lstcd-corr1e-2",
        "kd/pemsd7m/student-lstcd-corr1e-1"]


def test_the_runs_to_add_are_the_smallest_missing_seeds_with_their_cpu_hours():
    name, ftkd = "prune/losloop/taylor-global-25", "prune/losloop/kdis-lstcd-25-ftkd"
    # one seed stored: seed 1 to add, at its stored CPU time
    one = readings_needed([cpu_run(name, 0, 0.2)]).set_index("experiment").loc[name]
    assert one["stored"] == "0" and one["runs"] == [(name, 1)]
    assert one["to_add"] == f"{name} seed 1" and one["cpu_hours"] == pytest.approx(0.2)
    # seeds 0 and 3 reach the target of two; so do ftkd's seeds 0 and 1
    results = [cpu_run(name, 0, 0.2), cpu_run(name, 3, 0.4)]
    results += [cpu_run(ftkd, s, 1.0) for s in range(2)]
    needed = readings_needed(results).set_index("experiment")
    assert name not in needed.index and ftkd not in needed.index
    # an experiment never run needs seeds 0 and 1, cost unknown
    never = needed.loc["dmst/losloop/dmst-gnode-no-ode"]
    assert never["stored"] == "none" and never["runs"] == [
        ("dmst/losloop/dmst-gnode-no-ode", 0), ("dmst/losloop/dmst-gnode-no-ode", 1)]
    assert math.isnan(never["cpu_hours"])


def test_the_summary_adds_up_runs_and_known_hours_per_reading():
    name = "prune/losloop/taylor-global-25"
    needed = readings_needed([cpu_run(name, 0, 0.2)])
    summary = readings_summary(needed).set_index("reading")
    table8 = needed[needed["reading"] == TABLE8]
    assert summary.loc[TABLE8, "experiments"] == len(table8)
    assert summary.loc[TABLE8, "runs"] == table8["runs"].map(len).sum()
    assert summary.loc[TABLE8, "cpu_hours"] == pytest.approx(0.2)      # only seed 1 is known
    assert summary.loc[TABLE8, "unknown"] == summary.loc[TABLE8, "runs"] - 1
    assert readings_summary(needed.iloc[0:0]).empty


def test_a_variant_without_cpu_runs_counts_its_base_experiment_and_the_plan_sums_once():
    from stgkd.report.readings_needed import readings_plan, variant_hours
    hours = {"prune/pemsd7m/kdis-lstcd-25": 2.0, "dmst/losloop/dmst-gnode": 1.5}
    assert variant_hours("prune/pemsd7m/kdis-lstcd-25-corr1e-1", hours) == 2.0
    assert variant_hours("prune/pemsd7m/kdis-lstcd-25-ftkd", hours) == 2.0
    assert variant_hours("dmst/losloop/dmst-gnode-st-stgcn-glorot", hours) == 1.5
    assert math.isnan(variant_hours("prune/pemsd7m/taylor-global-25", hours))
    # a variant's own runs come first
    assert variant_hours("dmst/losloop/dmst-gnode-no-ode",
                         {**hours, "dmst/losloop/dmst-gnode-no-ode": 0.5}) == 0.5
    # base run of 2 h: the corr arm's two seeds count 4 h; taylor-global has no estimate
    results = [cpu_run("prune/pemsd7m/kdis-lstcd-25", s, 2.0) for s in range(3)]
    needed = readings_needed(results)
    row = needed.set_index("experiment").loc["prune/pemsd7m/kdis-lstcd-25-corr1e-1"]
    assert row["cpu_hours"] == pytest.approx(4.0)
    plan = readings_plan(needed)
    assert plan["runs"] == needed["runs"].map(len).sum()
    assert plan["unknown"] == needed.loc[needed["cpu_hours"].isna(), "runs"].map(len).sum()
    assert plan["hours"] == pytest.approx(needed["cpu_hours"].sum())     # NaN skipped
    assert any("prune/pemsd7m/kdis-lstcd-25-corr1e-1" in c for c in plan["commands"])
    assert readings_plan(needed.iloc[0:0]) == {"runs": 0, "hours": 0.0, "unknown": 0,
                                               "commands": []}


def test_a_one_epoch_seed_is_also_had_from_a_full_runs_first_epoch():
    first = {"epoch": 1, "val_mae": 4.0, "test": metrics(KD_HORIZONS, mae=(5, 6, 7))}
    results = [cpu_run("prune/pemsd7m/taylor-25-ft1", 0),
               # seed 2's full run recorded its first epoch's test metrics; seed 1's did not
               cpu_run("prune/pemsd7m/taylor-25", 1, history=[{"epoch": 1, "val_mae": 4.0}]),
               cpu_run("prune/pemsd7m/taylor-25", 2, history=[first])]
    needed = readings_needed(results).set_index("experiment")
    assert "prune/pemsd7m/taylor-25-ft1" not in needed.index       # seeds 0 and 2
    # without the first-epoch record it would still need seed 1
    results[2] = cpu_run("prune/pemsd7m/taylor-25", 2, history=[{"epoch": 1, "val_mae": 4.0}])
    again = readings_needed(results).set_index("experiment")
    assert again.loc["prune/pemsd7m/taylor-25-ft1", "stored"] == "0"
    assert again.loc["prune/pemsd7m/taylor-25-ft1", "runs"] == [("prune/pemsd7m/taylor-25-ft1", 1)]
