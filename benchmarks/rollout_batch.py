"""How the 1140-window 9-step rollout's time depends on the batch size it is cut into,
for the teacher and the student (and optionally the pruning base): eager streaming,
under torch.compile and exported to ONNX, stored in
results/benchmarks/rollout-batch-<machine>.json.

``benchmarks/stgcn_speed.py`` times every rollout in batches of 32 windows (the
evaluation's batch). A small model pays per-operation overhead on each of those 36
batches; one batch of all 1140 windows pays it once, so the student's advantage over
the teacher depends on the batch size as much as on the architecture. This benchmark
times the same rollout at several batch sizes, side by side in one run on the same
machine, each model in a fresh subprocess.

    python benchmarks/rollout_batch.py                      # batches 32, 128, 1140
    python benchmarks/rollout_batch.py --batches 32 1140 --repeats 5
"""
from __future__ import annotations

import argparse
import sys

import torch

from stgkd.benchmarking import (MODELS, N_WINDOWS, batched, cpu_benchmark_parser, die_with_parent,
                                in_fresh_process, onnx_forecasters, seeded_pemsd7m,
                                store_cpu_report, timed, timings)
from stgkd.complexity import count_parameters
from stgkd.data import DEFAULT_SPLITS, make_windows
from stgkd.evaluate import forecast
from stgkd.nn import STGCN
from stgkd.nn.streaming import streaming_rollout

VARIANTS = ("streaming", "compiled", "onnx")


def measure(key: str, args: argparse.Namespace, queue) -> None:
    """Time ``key``'s 1140-window rollout at every batch size of ``args.batches`` (runs
    in its own process) and put ``(key, {variant: {batch: timings}})`` on ``queue``."""
    die_with_parent()
    series = seeded_pemsd7m(args.threads)
    data = make_windows(series, DEFAULT_SPLITS["pemsd7m"])
    windows = data.test[:N_WINDOWS]
    model = STGCN(series.n_nodes, MODELS[key], weights=series.weights).eval()
    onnx = onnx_forecasters(model, data.n_pred, args)
    figures = {variant: {} for variant in VARIANTS}
    for batch in args.batches:
        figures["streaming"][str(batch)] = timings(timed(
            lambda: forecast(model, windows, data.n_his, data.n_pred, batch_size=batch),
            torch.device("cpu"), args.warmup, args.repeats))
        # one compiled graph per batch shape: a fresh compile for each batch size, paid
        # by the warm-up (which also sees the smaller last batch)
        compiled = torch.compile(lambda h: streaming_rollout(model, h, data.n_pred),
                                 dynamic=False)
        with torch.no_grad():
            figures["compiled"][str(batch)] = timings(timed(
                lambda: batched(compiled, windows, data.n_his, batch),
                torch.device("cpu"), max(args.warmup, 1), args.repeats))
        torch._dynamo.reset()
        if onnx:
            numpy_windows = windows.numpy()
            figures["onnx"][str(batch)] = timings(timed(
                lambda: batched(onnx["rollout"].predict, numpy_windows, data.n_his, batch),
                torch.device("cpu"), args.warmup, args.repeats))
        print(f"{key:8} batch {batch:5}: " + ", ".join(
            f"{v} {figures[v][str(batch)]['mean_s']:.3f}s" for v in VARIANTS
            if str(batch) in figures[v]), flush=True)
    if onnx:
        onnx["folder"].cleanup()
    queue.put((key, {"parameters": count_parameters(model), **figures}))


def positive_batches(values: list[int]) -> list[int]:
    bad = [v for v in values if not 1 <= v <= N_WINDOWS]
    if bad:
        raise argparse.ArgumentTypeError(
            f"--batches: expected sizes in 1 .. {N_WINDOWS}, found {bad}")
    return sorted(set(values))


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "rollout_batch")
    parser.add_argument("--models", nargs="+", default=["teacher", "student"],
                        choices=list(MODELS), help="architectures to time (default: teacher "
                                                   "and student)")
    parser.add_argument("--batches", nargs="+", type=int, default=[32, 128, N_WINDOWS],
                        help=f"windows per forward pass (default 32 128 {N_WINDOWS})")
    parser.add_argument("--repeats", type=int, default=3, help="timed rollouts per batch size "
                                                               "and variant (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rollouts first (default 1)")
    args = parser.parse_args(argv)
    try:
        args.batches = positive_batches(args.batches)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    # the ONNX helper also builds a single-window session on --latency-threads
    args.latency_threads = args.threads

    figures = dict(in_fresh_process(measure, key, args) for key in args.models)
    if args.threads:
        torch.set_num_threads(args.threads)
    store_cpu_report("rollout_batch", args.out,
                     {k: v for k, v in vars(args).items() if k not in ("out", "latency_threads")}
                     | {"windows": N_WINDOWS, "rollout_steps": 9, "dataset": "pemsd7m"},
                     {"models": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
