"""Wall-clock time to reproduce the KD paper's Tables 2, 4 and 5 from scratch: the teacher,
the student without KD and one student per distillation loss of a data set, trained and
evaluated under a profile (``full`` by default), all with ``stgkd run --jobs``.

The runs go to a scratch results folder (the committed results are not touched); the
time from the first process to the last stored result is the figure, and each run's own
wall time is stored beside it. Stored in results/benchmarks/kd-tables-<machine>.json.
The target: under 15 minutes on one H100.

With ``--time-limit`` the runs are stopped after that many seconds and, if not all of
them finished, a partial report is stored (``complete: false``, the runs that finished
with their times): on a machine lent for a few minutes, this still says how far the
tables got, and whether the target is already missed.

    python benchmarks/kd_tables_time.py --device cuda --jobs 9
    python benchmarks/kd_tables_time.py --device cuda --jobs 9 --time-limit 480
    python benchmarks/kd_tables_time.py --profile smoke --jobs 2        # a check of the script
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from stgkd.benchmarking import machine_record, machine_slug, output_path, run_with_limit
from stgkd.registry import PROFILES
from stgkd.io import write_json
from stgkd.provenance import device_description, git_commit, now_iso
from stgkd.report.kd import kd_experiments
from stgkd.runs import load_result

TARGET_S = 15 * 60   # the target for the full profile on one H100


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="pemsd7m",
                        help="data set of the tables (default pemsd7m, the paper's)")
    parser.add_argument("--profile", default="full", choices=list(PROFILES))
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--jobs", type=int, default=1,
                        help="runs at a time (default 1); the students wait for the teacher")
    parser.add_argument("--scratch", default=None,
                        help="results folder of the timed runs (default: a temporary one, removed)")
    parser.add_argument("--out", default=None, help="JSON to write (default: "
                        "results/benchmarks/kd-tables-<machine>.json)")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="stop the runs after this many seconds and store what finished "
                             "(default: no limit)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs: expected at least 1 run at a time, found {args.jobs}")
    if args.time_limit is not None and args.time_limit <= 0:
        parser.error(f"--time-limit: expected a positive number of seconds, found {args.time_limit}")
    names = kd_experiments(args.dataset)
    description = device_description(args.device)
    out = output_path(args.out, f"kd-tables-{machine_slug(description, args.device)}")
    with tempfile.TemporaryDirectory(prefix="stgkd-kd-tables-") as temporary:
        scratch = Path(args.scratch or temporary)
        command = [sys.executable, "-m", "stgkd.cli", "--results-dir", str(scratch), "run",
                   *names, "--profile", args.profile, "--device", args.device,
                   "--jobs", str(args.jobs), "--force"]
        print(" ".join(command), flush=True)
        clock = time.perf_counter()
        status, stopped = run_with_limit(command, args.time_limit)
        wall_s = time.perf_counter() - clock
        runs = {}
        for name in names:
            result = load_result(args.profile, name, 0, scratch)
            runs[name] = None if result is None else {
                "wall_time_s": result["provenance"]["wall_time_s"],
                "test_mae": {h: m["mae"] for h, m in result["test"].items()}}
    finished = sum(run is not None for run in runs.values())
    complete = finished == len(names)
    if not stopped and (status != 0 or not complete):
        print(f"error: not every run finished (exit status {status}); nothing written",
              file=sys.stderr)
        return 1
    report = {
        "benchmark": "kd_tables_time", "created": now_iso(), "commit": git_commit(),
        "machine": machine_record(description, threads=False),
        "dataset": args.dataset, "profile": args.profile, "jobs": args.jobs,
        "experiments": names, "wall_time_s": wall_s, "target_s": TARGET_S,
        "complete": complete, "time_limit_s": args.time_limit, "runs": runs}
    write_json(out, report)
    ended = "" if complete else f" (stopped at the time limit: {finished} of {len(names)} finished)"
    print(f"{len(names)} runs in {wall_s:.0f} s ({wall_s / 60:.1f} min){ended} on "
          f"{description}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
