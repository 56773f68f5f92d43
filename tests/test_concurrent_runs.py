"""``stgkd run --jobs N``: runs side by side, each waiting for the runs it builds on."""
import json
import sys

import pytest

from stgkd.cli import main
from stgkd.concurrent_runs import (Job, plan_jobs, prerequisites, run_command, run_jobs,
                                   threads_per_job)
from stgkd.runner import run_experiment


def test_prerequisites_are_the_teacher_and_the_checkpoint_pruned():
    assert prerequisites("kd/pemsd7m/teacher") == []
    assert prerequisites("kd/pemsd7m/student-no-kd") == []
    assert prerequisites("kd/pemsd7m/student-lstcd") == ["kd/pemsd7m/teacher"]
    assert prerequisites("prune/losloop/taylor-50") == ["prune/losloop/base"]
    assert prerequisites("prune/losloop/kdis-lstcd-50") == ["kd/losloop/teacher",
                                                            "prune/losloop/base"]
    # the teacher it prunes is also its distillation teacher: needed once
    assert prerequisites("prune/losloop/teacher-kdis-lstcd") == ["kd/losloop/teacher"]


def test_plan_jobs_one_per_experiment_and_seed_needing_the_seed_0_checkpoints():
    jobs = plan_jobs(["kd/losloop/teacher", "kd/losloop/student-lskd"], [0, 1])
    assert [(j.name, j.seed) for j in jobs] == [
        ("kd/losloop/teacher", 0), ("kd/losloop/teacher", 1),
        ("kd/losloop/student-lskd", 0), ("kd/losloop/student-lskd", 1)]
    assert jobs[0].needs == ()
    assert jobs[3].needs == (("kd/losloop/teacher", 0),)      # every seed distils from seed 0


def _script(tmp_path, job: Job, sleep_s: float, exit_status: int) -> list[str]:
    """A child that logs its start and end times and exits with ``exit_status``."""
    log = tmp_path / f"{job.name}.times"
    code = (f"import time; s = time.time(); time.sleep({sleep_s}); "
            f"open({str(log)!r}, 'w').write(f'{{s}} {{time.time()}}'); "
            f"print('ran {job.name}'); raise SystemExit({exit_status})")
    return [sys.executable, "-c", code]


def _times(tmp_path, name):
    start, end = map(float, (tmp_path / f"{name}.times").read_text().split())
    return start, end


def test_run_jobs_waits_for_needs_caps_concurrency_and_skips_after_a_failure(tmp_path):
    jobs = [Job("a", 0), Job("b", 0, (("a", 0),)), Job("c", 0), Job("d", 0, (("e", 0),)),
            Job("e", 0), Job("f", 0, (("outside", 0),))]
    exits = {"e": 3}
    reported = []
    outcomes = run_jobs(jobs, lambda job: _script(tmp_path, job, 0.3, exits.get(job.name, 0)),
                        max_jobs=2, report=reported.append, poll_s=0.02)
    by_name = {o.job.name: o for o in outcomes}
    assert [o.job.name for o in outcomes] == ["a", "b", "c", "d", "e", "f"]
    assert by_name["a"].ok and by_name["b"].ok and by_name["c"].ok and by_name["f"].ok
    assert by_name["a"].output.strip() == "ran a"
    assert by_name["e"].returncode == 3
    assert by_name["d"].returncode is None and "e seed 0" in by_name["d"].output
    assert not (tmp_path / "d.times").exists()                     # never started
    assert _times(tmp_path, "b")[0] >= _times(tmp_path, "a")[1]     # b after a ended
    assert sorted(o.job.name for o in reported) == ["a", "b", "c", "d", "e", "f"]
    # never more than two at once: at each start, count the runs already going
    spans = [_times(tmp_path, name) for name in "abcef"]
    for start, _ in spans:
        assert sum(s <= start < e for s, e in spans) <= 2


def test_run_jobs_rejects_bad_arguments():
    with pytest.raises(ValueError, match="max_jobs"):
        run_jobs([Job("a", 0)], lambda job: [sys.executable, "-c", ""], max_jobs=0)
    with pytest.raises(ValueError, match="each experiment and seed once"):
        run_jobs([Job("a", 0), Job("a", 0)], lambda job: [sys.executable, "-c", ""], 2)


def test_run_command_and_threads_per_job():
    command = run_command(Job("kd/losloop/teacher", 2), "full", "cuda", 3, "/r",
                          compile=True, teacher_cache=False, force=True)
    assert command[1:] == ["-m", "stgkd.cli", "--results-dir", "/r", "run",
                           "kd/losloop/teacher", "--profile", "full", "--seed", "2",
                           "--device", "cuda", "--threads", "3", "--quiet", "--compile",
                           "--no-teacher-cache", "--force"]
    assert threads_per_job(3, cpus=16) == 5
    assert threads_per_job(32, cpus=16) == 1


def test_cli_jobs_reports_stored_and_failed_runs(tmp_path, capsys):
    run_experiment("kd/losloop/student-no-kd", "smoke", 0, results_dir=tmp_path, progress=False)
    stored = json.loads((tmp_path / "smoke/kd/losloop/student-no-kd/seed0.json").read_text())
    status = main(["--results-dir", str(tmp_path), "run", "kd/losloop/student-no-kd",
                   "prune/losloop/taylor-25", "--profile", "smoke", "--jobs", "2",
                   "--threads", "1"])
    out = capsys.readouterr().out
    assert status == 1                                    # one of the two runs failed
    assert "kd/losloop/student-no-kd | seed 0: done" in out
    maes = " / ".join(f"{m['mae']:.3f}" for m in stored["test"].values())
    assert f"test MAE {maes}" in out                      # the stored run, not re-trained
    assert "prune/losloop/taylor-25 | seed 0: failed (exit status 2)" in out
    assert "prunes prune/losloop/base" in out             # the child's own error, shown
    assert "1 of 2 runs stored" in out


def test_cli_jobs_below_one_is_a_clear_error(capsys):
    with pytest.raises(SystemExit) as exit_:      # a usage error, from the argument parser
        main(["run", "kd/losloop/teacher", "--profile", "smoke", "--jobs", "0"])
    assert exit_.value.code == 2
    assert "argument --jobs: expected at least 1 run at a time, found 0" in capsys.readouterr().err
