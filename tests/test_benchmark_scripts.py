"""What the benchmark scripts share (stgkd.benchmarking): a timed run stopped at its limit
leaves no process behind and one that ends in time reports its own exit status; the timing
loop, the batches, the stored timing and file names, and the stored file's fields."""
import json
import math
import os
import sys
import time
from pathlib import Path

import torch

from stgkd.benchmarking import (batched, benchmark_file_stem, cpu_benchmark_parser, machine_slug,
                                output_path, run_with_limit, store_cpu_report, timed, timings)


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


def test_timed_calls_warmup_then_times_each_repeat():
    calls = []
    times = timed(lambda: calls.append(time.perf_counter()), torch.device("cpu"), 2, 3)
    assert len(calls) == 5 and len(times) == 3 and all(t >= 0 for t in times)


def test_timings_mean_and_sample_deviation():
    stored = timings([1.0, 3.0])
    # mean 2, sample standard deviation sqrt(((1-2)^2 + (3-2)^2) / 1) = sqrt(2)
    assert stored["mean_s"] == 2.0 and math.isclose(stored["std_s"], math.sqrt(2))
    assert stored["runs"] == 2 and stored["times_s"] == [1.0, 3.0]
    assert timings([0.5])["std_s"] == 0.0


def test_batched_cuts_windows_into_histories_with_a_channel_axis():
    # 70 windows of 21 steps on 5 nodes, window w filled with w
    windows = torch.arange(70.0)[:, None, None].expand(70, 21, 5)
    seen = []
    batched(seen.append, windows, 12, 32)
    assert [tuple(b.shape) for b in seen] == [(32, 1, 12, 5), (32, 1, 12, 5), (6, 1, 12, 5)]
    assert seen[2][0, 0, 0, 0] == 64 and seen[2][-1, 0, -1, -1] == 69


def test_file_names_of_a_benchmark():
    assert machine_slug("AMD EPYC 7B13 (2 CPUs)", "cuda:0") == "cuda-amd-epyc-7b13-2-cpus"
    assert len(machine_slug("x" * 200, "cpu")) == 80
    assert benchmark_file_stem("prune_step") == "prune-step"
    assert output_path("/tmp/a.json", "ignored") == Path("/tmp/a.json")
    assert output_path(None, "cpu-x").parts[-2:] == ("benchmarks", "cpu-x.json")


def test_cpu_benchmark_parser_and_stored_report(tmp_path, capsys):
    parser = cpu_benchmark_parser("Times one thing.\n\nMore detail.", "prune_step")
    assert parser.description == "Times one thing."
    out = tmp_path / "report.json"
    args = parser.parse_args(["--threads", "2", "--out", str(out)])
    assert args.threads == 2 and parser.parse_args([]).threads == 0
    path = store_cpu_report("prune_step", args.out, {"steps": 3}, {"masked_s": 0.25})
    stored = json.loads(path.read_text())
    assert path == out and f"wrote {out}" in capsys.readouterr().out
    assert stored["benchmark"] == "prune_step" and stored["settings"] == {"steps": 3}
    assert stored["masked_s"] == 0.25
    assert {"device", "platform", "python", "torch", "threads"} <= set(stored["machine"])
    assert {"created", "commit"} <= set(stored)


def test_device_grid_queues_the_needed_runs_in_their_order(tmp_path):
    """The GPU grid's default queue is `stgkd list --needed --runs` on the stored results:
    the same runs in the same order (claims first), every one a registered experiment
    with one seed, and PeMSD7(M)'s dose-response points among them are share 0 and the
    two shares the stated rule picks from the stored Los-loop sweep."""
    import subprocess
    import sys

    from stgkd.registry import EXPERIMENTS
    from stgkd.report import dose_experiments, promising_shares
    from stgkd.report.run_queue import needed_runs
    from stgkd.runs import load_results

    repo = Path(__file__).resolve().parents[1]
    printed = subprocess.run(["bash", str(repo / "benchmarks" / "device_grid.sh")],
                             env={**os.environ, "PRINT_GRID": "1", "OUT": str(tmp_path),
                                  "PYTHON": sys.executable},
                             capture_output=True, text=True, check=True, timeout=120,
                             cwd=repo).stdout
    grid = [tuple(word.split(":")) for word in printed.split()]
    results = load_results(repo / "results", "full")
    assert [(name, int(seed)) for name, seed in grid] == needed_runs(results, "full")
    assert {name for name, _ in grid} <= set(EXPERIMENTS)
    assert not list(tmp_path.iterdir())                  # printing runs nothing
    ranked = promising_shares(results, "losloop")
    chosen = set(ranked.loc[ranked["chosen"], "target_share"])
    assert len(chosen) == 2
    allowed = {name for name, share in dose_experiments("pemsd7m").items()
               if share == 0 or share in chosen}
    assert {name for name, _ in grid if name.startswith("kd/pemsd7m/student-lstcd-corr")} <= allowed