"""The process handling of the benchmark scripts: a timed run stopped at its limit leaves
no process behind, and one that ends in time reports its own exit status."""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from kd_tables_time import run_with_limit  # noqa: E402


def test_run_with_limit_stops_the_command_and_the_processes_it_started(tmp_path):
    pid_file = tmp_path / "child.pid"
    # the command starts a child (as `stgkd run --jobs` does) and both would sleep a minute
    script = ("import subprocess, sys, time; "
              "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              f"open({str(pid_file)!r}, 'w').write(str(child.pid)); time.sleep(60)")
    began = time.perf_counter()
    status, stopped = run_with_limit([sys.executable, "-c", script], 2.0)
    assert stopped and status != 0
    assert time.perf_counter() - began < 30
    child = int(pid_file.read_text())
    for _ in range(50):   # the child gets SIGTERM with its group; give it a moment to go
        if not running(child):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"process {child} started by the command is still running")


def running(pid: int) -> bool:
    """Whether ``pid`` runs: it exists and is not a zombie (an ended process that its
    new parent, in a container possibly a PID 1 that never reaps, has not collected)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    return True


def test_run_with_limit_returns_the_exit_status_of_a_command_that_ends_in_time():
    assert run_with_limit([sys.executable, "-c", "raise SystemExit(3)"], 30.0) == (3, False)
    assert run_with_limit([sys.executable, "-c", "pass"], None) == (0, False)
