"""Cost against graph size: seconds and peak memory of a training step of the STGCN
teacher, of the student, and of an LSTCD distillation step, on synthetic graphs of
228 to 8,600 stations (8,600: the largest public traffic sensor set).

Each (size, step) is measured in a fresh process. Its peak resident memory (which sees
torch's allocations, unlike tracemalloc) is counted from after the graph, the models and
the batch are built (the kernel's peak count VmHWM is restarted then, through
/proc/self/clear_refs; elsewhere ``getrusage`` maxrss, setup included); the resident
memory at that point is stored beside it.

- graph: stations at random points of the unit square, Gaussian weights of their
  distances cut below 0.3 (as :func:`stgkd.data.synthetic_series`), its Chebyshev basis
  scaled with the bound lambda_max <= 2 of a normalised Laplacian (an eigendecomposition
  of an 8,600-node graph would take longer than the steps; the cost of a step does not
  depend on the scale);
- models: teacher [1,32,64],[64,32,128], student [1,2,4],[4,2,8], random weights;
  inputs random z-scores, n_his 12;
- LSTCD: PeMSD7(M)'s Table 6 weights, the teacher running on the batch (its answers
  cannot be cached for a large graph: 1.2 GB of spatial correlations per window at
  8,600 stations); from 2^28 pair entries per layer the spatial term is the streamed
  exact loss (blocks of rows), below it the fused kernel;
- ``--batch`` windows per step (default 1: a full batch of 50 at 8,600 stations takes
  hours per LSTCD step on this CPU, so every size is timed at the same small batch).

With ``--sample-nodes N`` it also measures, on one window of an N-station graph, the
error of the sampled-station estimate of LSCD (``stations_sample``) against the exact
loss, for several sample sizes and random draws.

Stored in results/benchmarks/graph-scaling-<machine>.json; read by
:func:`stgkd.report.graph_scaling.scaling_table`.

    python benchmarks/graph_scaling.py --threads 1
    python benchmarks/graph_scaling.py --sizes 228 1000 --steps 2 --sample-nodes 0
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from stgkd.benchmarking import cpu_benchmark_parser, store_cpu_report

STEPS = ("teacher", "student", "lstcd")


def synthetic_laplacian(n: int, seed: int = 0) -> torch.Tensor:
    """[N, N] Chebyshev-scaled Laplacian ``2 L / 2 - I`` (lambda_max bounded by 2) of a
    random geometric graph, L = I - D^-1/2 W D^-1/2 as :func:`stgkd.data.scaled_laplacian`."""
    rng = np.random.default_rng(seed)
    points = torch.from_numpy(rng.uniform(0, 1, size=(n, 2)))
    weights = torch.exp(-torch.cdist(points, points) ** 2 / 0.05)
    weights[weights < 0.3] = 0.0
    weights.fill_diagonal_(0.0)
    degree = weights.sum(1)
    inv_sqrt = torch.where(degree > 0, degree.clamp_min(1e-12).rsqrt(), torch.zeros_like(degree))
    laplacian = torch.diag((degree > 0).double()) - inv_sqrt[:, None] * weights * inv_sqrt[None, :]
    return (laplacian - torch.eye(n, dtype=torch.float64)).float()


def _models(n: int):
    from stgkd.nn import STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN
    laplacian = synthetic_laplacian(n)
    models = {}
    for name, blocks in (("teacher", TEACHER_BLOCKS), ("student", STUDENT_BLOCKS)):
        torch.manual_seed(0)
        model = STGCN(n, blocks)
        for block in model.blocks:
            block.spatial.set_graph(laplacian)
        models[name] = model
    return models


def _maxrss_mb() -> float:
    """This process's peak resident memory so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: kB


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Restart the kernel's peak-resident-memory count (VmHWM) at the current resident
    memory, so that the peak read after the steps is theirs, not the graph setup's
    (Linux >= 4.0; False where unavailable)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def worker(n: int, what: str, batch: int, steps: int, warmup: int) -> dict:
    """Time ``steps`` training steps of ``what`` (after ``warmup`` untimed ones) on an
    n-station graph, in this process."""
    from stgkd.distill import make_kd_loss
    from stgkd.registry import KD_SETTINGS
    models = _models(n)
    torch.manual_seed(1)
    x, y = torch.randn(batch, 1, 12, n), torch.randn(batch, n)
    if what == "lstcd":
        model = models["student"]
        loss_fn = make_kd_loss("lstcd", models["teacher"], **KD_SETTINGS["pemsd7m"]["lstcd"]["hyper"])
        step_loss = lambda: loss_fn(model, x, y)                              # noqa: E731
    else:
        model = models[what]
        step_loss = lambda: torch.mean((model(x) - y) ** 2)                  # noqa: E731
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)
    del models
    setup_peak = _maxrss_mb()
    reset = _reset_peak()
    before = _status_mb("VmRSS") if reset else _maxrss_mb()
    times = []
    for step in range(warmup + steps):
        start = time.perf_counter()
        loss = step_loss()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step >= warmup:
            times.append(time.perf_counter() - start)
    return {"nodes": n, "step": what, "batch": batch, "warmup_steps": warmup,
            "seconds": times, "seconds_per_step": statistics.median(times),
            "memory_before_step_mb": before,
            "peak_memory_mb": (_status_mb("VmHWM") if reset else None) or _maxrss_mb(),
            "peak_memory_of": "the steps (VmHWM reset after setup)" if reset
            else "the process (setup included)",
            "setup_peak_memory_mb": setup_peak}


def sample_error(n: int, sizes: list[int], draws: int) -> dict:
    """Relative error of LSCD from ``stations_sample`` S stations against the exact LSCD,
    on one window of an n-station graph (trained-shape student and teacher, random weights)."""
    from stgkd.distill import lscd
    from stgkd.distill.correlation import bctn_to_btnc
    from stgkd.nn import Hidden
    models = _models(n)
    torch.manual_seed(1)
    x = torch.randn(1, 1, 12, n)
    hidden_s, hidden_t = Hidden(), Hidden()
    with torch.no_grad():
        models["student"](x, hidden_s)
        models["teacher"](x, hidden_t)
    pairs = [(bctn_to_btnc(s), bctn_to_btnc(t)) for s, t in zip(hidden_s.spatial, hidden_t.spatial)]
    start = time.perf_counter()
    with torch.no_grad():
        exact = float(sum(lscd(s, t) for s, t in pairs) / len(pairs))
    exact_s = time.perf_counter() - start
    rows = []
    torch.manual_seed(2)
    for size in sizes:
        estimates, seconds = [], []
        for _ in range(draws):
            start = time.perf_counter()
            with torch.no_grad():
                estimates.append(float(sum(lscd(s, t, stations_sample=size) for s, t in pairs)
                                       / len(pairs)))
            seconds.append(time.perf_counter() - start)
        errors = [(e - exact) / exact for e in estimates]
        rows.append({"stations_sample": size, "draws": draws, "estimates": estimates,
                     "relative_error_mean": statistics.fmean(errors),
                     "relative_error_abs_mean": statistics.fmean(abs(e) for e in errors),
                     "relative_error_abs_max": max(abs(e) for e in errors),
                     "seconds_median": statistics.median(seconds)})
        print(f"  S={size}: |relative error| mean {rows[-1]['relative_error_abs_mean']:.4f}, "
              f"max {rows[-1]['relative_error_abs_max']:.4f}", flush=True)
    return {"nodes": n, "exact_lscd": exact, "exact_seconds": exact_s, "samples": rows,
            "peak_memory_mb": _maxrss_mb()}


def _in_fresh_process(args: list[str], threads: int) -> dict:
    command = [sys.executable, __file__, "--threads", str(threads), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.stderr[-800:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "graph_scaling")
    parser.add_argument("--sizes", type=int, nargs="+", default=[228, 1000, 2000, 4000, 8600])
    parser.add_argument("--steps-list", nargs="+", default=list(STEPS), choices=list(STEPS),
                        help="which training steps to time (default all three)")
    parser.add_argument("--batch", type=int, default=1, help="windows per step (default 1)")
    parser.add_argument("--steps", type=int, default=3,
                        help="timed steps below --few-steps-from stations (default 3)")
    parser.add_argument("--few-steps-from", type=int, default=4000,
                        help="from this many stations: one timed step; from 8,000 also no "
                             "warm-up step for LSTCD, whose streamed loss compiles nothing")
    parser.add_argument("--sample-nodes", type=int, default=8600,
                        help="graph size for the sampled-LSCD error (0: skip)")
    parser.add_argument("--sample-sizes", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--draws", type=int, default=5, help="random draws per sample size")
    parser.add_argument("--worker", nargs=2, metavar=("NODES", "STEP"), help=argparse_hidden())
    parser.add_argument("--worker-sample", type=int, help=argparse_hidden())
    parser.add_argument("--worker-runs", type=int, nargs=2, help=argparse_hidden())
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.worker:
        steps, warmup = args.worker_runs
        print(json.dumps(worker(int(args.worker[0]), args.worker[1], args.batch, steps, warmup)))
        return 0
    if args.worker_sample:
        print(json.dumps(sample_error(args.worker_sample, args.sample_sizes, args.draws)))
        return 0
    load_before = os.getloadavg()[0]
    rows = []
    for n in args.sizes:
        for what in args.steps_list:
            steps = 1 if n >= args.few_steps_from else args.steps
            warmup = 0 if (what == "lstcd" and n >= 8000) else 1
            row = _in_fresh_process(["--worker", str(n), what, "--batch", str(args.batch),
                                     "--worker-runs", str(steps), str(warmup)], args.threads)
            row.setdefault("nodes", n)
            row.setdefault("step", what)
            rows.append(row)
            print(f"N={n:5} {what:8} " + (f"{row['seconds_per_step']:9.3f} s/step, peak "
                                          f"{row['peak_memory_mb']:8.0f} MB" if "error" not in row
                                          else row["error"]), flush=True)
    figures = {"rows": rows}
    if args.sample_nodes:
        print(f"sampled LSCD on {args.sample_nodes} stations", flush=True)
        figures["stations_sample"] = _in_fresh_process(
            ["--worker-sample", str(args.sample_nodes), "--draws", str(args.draws),
             "--sample-sizes", *map(str, args.sample_sizes)], args.threads)
    store_cpu_report("graph_scaling", args.out,
                     {k: v for k, v in vars(args).items() if not k.startswith("worker")}
                     | {"load_average_1min_before_after": [load_before, os.getloadavg()[0]],
                        "graph": "random geometric, Gaussian weights >= 0.3",
                        "teacher_cache": False},
                     figures)
    return 0


def argparse_hidden() -> str:
    import argparse
    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())
