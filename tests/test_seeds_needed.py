"""What would settle the open verdicts: the seeds each claim should reach, the runs to add
and their CPU cost, on hand-made results."""
import math

import pandas as pd
import pytest

from stgkd.report.seeds_needed import (cpu_hours_per_run, rows_needed, seeds_needed,
                                       settle_commands, settle_plan, target_seeds,
                                       total_cpu_hours)

from factories import fake_result

LSTCD, NO_KD = "kd/losloop/student-lstcd", "kd/losloop/student-no-kd"


def cpu_run(experiment, seed, hours, device="AMD EPYC (1 threads of 2 CPUs)"):
    result = fake_result(experiment, "full", seed, wall_time_s=hours * 3600)
    result["provenance"]["device"] = device
    return result


def test_target_seeds_prefer_shared_then_one_sided_then_new():
    assert target_seeds({0}, {0}, 3) == [0, 1, 2]
    assert target_seeds({0, 4}, {0, 1, 2, 3}, 3) == [0, 1, 2]      # one-sided, smallest
    assert target_seeds({0, 3}, {0, 3, 4}, 3) == [0, 3, 4]          # shared, then one-sided 4
    assert target_seeds(set(), set(), 2) == [0, 1]
    assert target_seeds({5}, set(), 3) == [0, 1, 5]                 # the stored seed counts
    with pytest.raises(ValueError, match="target"):
        target_seeds({0}, {0}, 0)


def test_cpu_hours_are_medians_of_cpu_runs_only():
    results = [cpu_run(LSTCD, 0, 1.0), cpu_run(LSTCD, 1, 3.0), cpu_run(LSTCD, 2, 2.5),
               cpu_run(NO_KD, 0, 0.1, device="NVIDIA H200")]
    assert cpu_hours_per_run(results) == {LSTCD: pytest.approx(2.5)}


def test_cpu_hours_leave_out_runs_with_a_session_elsewhere():
    # a run cut on a GPU and finished on the CPU says "cpu" last; its sessions show the
    # GPU epochs, so its wall time is no CPU cost; likewise a session of unknown device
    cpu = "AMD EPYC (1 threads of 2 CPUs)"
    mixed, unknown, plain = cpu_run(LSTCD, 0, 1.0), cpu_run(LSTCD, 1, 1.5), cpu_run(LSTCD, 2, 3.0)
    mixed["provenance"]["sessions"] = [
        {"device": "NVIDIA H200", "from_epoch": 0, "to_epoch": 23, "seconds": 500.0},
        {"device": cpu, "from_epoch": 23, "to_epoch": 40, "seconds": 3100.0}]
    unknown["provenance"]["sessions"] = [
        {"device": "not recorded", "from_epoch": 0, "to_epoch": 5, "seconds": 900.0},
        {"device": cpu, "from_epoch": 5, "to_epoch": 40, "seconds": 4500.0}]
    plain["provenance"]["sessions"] = [
        {"device": cpu, "from_epoch": 0, "to_epoch": 40, "seconds": 10800.0}]
    assert cpu_hours_per_run([mixed, unknown, plain]) == {LSTCD: pytest.approx(3.0)}


def test_a_claim_below_three_paired_seeds_lists_the_runs_that_settle_it():
    # LSTCD has seeds 0 and 3, the student without KD 0, 1, 2: paired only on seed 0.
    # Target [0, 1, 2] (one-sided seeds 1, 2 before 3): LSTCD needs 1 and 2, no-KD nothing.
    results = [cpu_run(LSTCD, 0, 1.0), cpu_run(LSTCD, 3, 2.0)]
    results += [cpu_run(NO_KD, s, 0.25) for s in range(3)]
    needed = seeds_needed(results)
    row = needed[(needed["statement"] == "LSTCD beats the student without distillation")
                 & (needed["dataset"] == "losloop")].iloc[0]
    assert row["paired"] == "0" and row["target"] == "0, 1, 2"
    assert row["runs"] == [(LSTCD, 1), (LSTCD, 2)]
    assert row["to_add"] == f"{LSTCD} seeds 1, 2"
    assert row["cpu_hours"] == pytest.approx(2 * 1.5)                # median of 1 and 2 h
    # a claim no run of which is stored needs seeds 0-2 of both sides, cost unknown
    lord = needed[(needed["statement"] == "LORD beats the student without distillation")
                  & (needed["dataset"] == "losloop")].iloc[0]
    assert lord["runs"] == [("kd/losloop/student-lord", s) for s in range(3)]
    assert math.isnan(lord["cpu_hours"])


def test_a_claim_with_three_paired_seeds_is_not_listed():
    results = [cpu_run(name, s, 0.5) for name in (LSTCD, NO_KD) for s in range(3)]
    needed = seeds_needed(results)
    assert not ((needed["statement"] == "LSTCD beats the student without distillation")
                & (needed["dataset"] == "losloop")).any()


def test_commands_and_total_count_each_run_once():
    # LORD seeds 1, 2 settle two claims (against no-KD and against LRD(KL)): one command
    # names them and the total counts them once
    results = [cpu_run(LSTCD, 0, 1.0), cpu_run(NO_KD, 0, 0.5), cpu_run(NO_KD, 1, 0.5),
               cpu_run(NO_KD, 2, 0.5), cpu_run("kd/losloop/student-lord", 0, 0.2)]
    needed = seeds_needed(results)
    needed = needed[needed["dataset"] == "losloop"].head(3)   # LORD/no-KD, LORD/KL, LSTCD/no-KD
    assert needed["runs"].map(len).tolist() == [2, 2 + 3, 2]
    assert settle_commands(needed) == [
        f"stgkd run kd/losloop/student-lord {LSTCD} --profile full --seed 1 2",
        "stgkd run kd/losloop/student-lrd-kl --profile full --seed 0 1 2"]
    # one command per family and data set; a long one continues on the next line
    results += [cpu_run("dmst/losloop/mst-gcn", 0, 0.5), cpu_run("kd/pemsd7m/student-lord", 0, 1)]
    commands = settle_commands(seeds_needed(results))
    assert not any("kd/" in c and "dmst/" in c for c in commands)
    assert not any("losloop" in c and "pemsd7m" in c for c in commands)
    assert all(len(line) <= 90 for c in commands for line in c.splitlines())
    assert any(c.count("\n") >= 1 for c in commands)
    hours, unknown = total_cpu_hours(needed, results)
    # LORD 1, 2 (0.2 h each) + LSTCD 1, 2 (1 h each); LRD(KL) 0, 1, 2 have no stored time
    assert hours == pytest.approx(2 * 0.2 + 2 * 1.0) and unknown == 3


def test_rows_no_claim_compares_are_listed_below_three_seeds():
    teacher, base = "kd/losloop/teacher", "prune/losloop/base"
    results = [cpu_run(teacher, 0, 0.5), cpu_run(teacher, 2, 1.5)]
    results += [cpu_run(base, s, 0.1) for s in range(3)]
    needed = rows_needed(results, [teacher, base, "kd/losloop/student-lrd-l2"])
    assert needed["experiment"].tolist() == [teacher, "kd/losloop/student-lrd-l2"]
    first = needed.iloc[0]
    assert first["stored"] == "0, 2" and first["runs"] == [(teacher, 1)]
    assert first["cpu_hours"] == pytest.approx(1.0)                  # median of 0.5 and 1.5
    assert needed.iloc[1]["runs"] == [("kd/losloop/student-lrd-l2", s) for s in range(3)]
    assert settle_commands(needed)[0] == f"stgkd run {teacher} --profile full --seed 1"
    assert set(rows_needed([])["experiment"]) == {
        f"{family}/{d}/{row}" for d in ("losloop", "pemsd7m")
        for family, row in (("kd", "teacher"), ("kd", "student-lrd-l2"), ("prune", "base"))}


def test_settle_plan_counts_a_run_both_tables_ask_for_once():
    # the teacher's seed 1 is asked for by a row table (teacher below three seeds) and, by
    # hand here, by a claim table too: the plan counts it once, with its 1 h median
    teacher = "kd/losloop/teacher"
    results = [cpu_run(teacher, 0, 1.0), cpu_run(teacher, 2, 1.0)]
    rows = rows_needed(results, [teacher])
    claims = pd.DataFrame({"runs": [[(teacher, 1), (LSTCD, 0)]]})
    plan = settle_plan(claims, rows, results)
    assert plan["runs"] == 2 and plan["unknown"] == 1               # LSTCD has no stored time
    assert plan["hours"] == pytest.approx(1.0)
    assert plan["commands"] == [f"stgkd run {teacher} --profile full --seed 1",
                                f"stgkd run {LSTCD} --profile full --seed 0"]
    empty = settle_plan(claims.iloc[:0], rows.iloc[:0], results)
    assert empty == {"runs": 0, "hours": 0.0, "unknown": 0, "commands": []}


def test_a_seed_free_baseline_needs_no_second_run():
    # ARIMA's one run pairs with every DMST-GNODE seed: only DMST-GNODE needs seeds 1, 2,
    # and once it has them the claim leaves the list
    arima, dmst = "dmst/losloop/arima", "dmst/losloop/dmst-gnode"
    needed = seeds_needed([cpu_run(arima, 0, 0.5), cpu_run(dmst, 0, 2.0)])
    row = needed[needed["to_add"].str.contains("arima") | (needed["statement"].str.contains(
        "ARIMA") & (needed["dataset"] == "losloop"))].iloc[0]
    assert row["runs"] == [(dmst, 1), (dmst, 2)] and row["paired"] == "0"
    settled = seeds_needed([cpu_run(arima, 0, 0.5)] + [cpu_run(dmst, s, 2.0) for s in range(3)])
    assert not (settled["statement"].str.contains("ARIMA") & (settled["dataset"] == "losloop")).any()


def test_a_seed_free_baseline_with_nothing_stored_needs_one_run():
    # no ARIMA run yet: its seed-0 run will stand for every seed, so seed 0 alone is
    # asked of it, and seeds 0, 1, 2 of DMST-GNODE
    arima, dmst = "dmst/losloop/arima", "dmst/losloop/dmst-gnode"
    needed = seeds_needed([])
    row = needed[needed["statement"].str.contains("ARIMA")
                 & (needed["dataset"] == "losloop")].iloc[0]
    assert row["runs"] == [(dmst, 0), (dmst, 1), (dmst, 2), (arima, 0)]
