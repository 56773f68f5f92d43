"""The queue of every run still needed (stgkd.report.run_queue), on hand-made results."""
from stgkd.report.run_queue import needed_runs

from factories import fake_result


def test_with_nothing_stored_claims_come_first_and_each_run_once():
    queue = needed_runs([])
    assert len(queue) == len(set(queue))
    # the first claim of the verdicts page: LORD against the student without KD on
    # PeMSD7(M), seeds 0, 1, 2 of each side
    assert queue[:6] == [("kd/pemsd7m/student-lord", s) for s in range(3)] + [
        ("kd/pemsd7m/student-no-kd", s) for s in range(3)]
    # DMST-GNODE is in a claim and in a reading: queued once, where the claims ask for it,
    # before any run that only a reading asks for (an ablation)
    position = {run: i for i, run in enumerate(queue)}
    assert max(position[("dmst/losloop/dmst-gnode", s)] for s in range(3)) < position[
        ("dmst/losloop/dmst-gnode-no-ode", 0)]
    # a table row no claim compares (the teacher) comes after the claims' runs
    assert position[("kd/pemsd7m/teacher", 0)] > position[("kd/pemsd7m/student-lord", 2)]
    # ARIMA's forecast does not depend on the seed: one run
    assert ("dmst/losloop/arima", 0) in position and ("dmst/losloop/arima", 1) not in position


def test_stored_runs_and_other_profiles_are_left_out():
    stored = [fake_result("kd/pemsd7m/teacher", "full", s) for s in range(3)]
    stored.append(fake_result("kd/pemsd7m/student-lord", "full", 0))
    stored.append(fake_result("kd/pemsd7m/student-no-kd", "smoke", 0))   # another profile
    queue = needed_runs(stored, "full")
    assert not any(name == "kd/pemsd7m/teacher" for name, _ in queue)
    assert ("kd/pemsd7m/student-lord", 0) not in queue
    assert ("kd/pemsd7m/student-no-kd", 0) in queue
