"""The fused correlation kernel of LSTCD (stgkd.distill.pairwise) as Algorithm 1 calls it:
the channel count C shrinks at every pruning step, and every call must still run compiled.

For C = 16, 14, .., 4 (a pruning run's shrinking layers), each at a spatial shape (18
matrices of 228 x 228 nodes: a chunk of a PeMSD7(M) batch) and a temporal one (4,000
matrices of 10 x 10 time steps), the kernel's first call (compiling) and its fastest of
three later calls are timed (the loss, ``pairwise_l1_mse``, forward and backward), in a
fresh process per mode:

- ``per_shape``: compiled per (K, C), the number of matrices M alone dynamic (the kernel
  before, ``pairwise.DYNAMIC_CHANNELS = False``): past dynamo's recompile limit of 8
  shapes it runs eagerly;
- ``dynamic_channels``: C dynamic too (the default today);
- ``eager``: never compiled (``STGKD_FUSED_COMPILE=0``), for scale.

Stored in results/benchmarks/pruned-channels-kernel-<machine>.json.

    python benchmarks/pruned_channels_kernel.py --threads 1
"""
from __future__ import annotations

import argparse
import time

import torch

from stgkd.benchmarking import cpu_benchmark_parser, in_fresh_process, store_cpu_report

CHANNELS = list(range(16, 3, -2))
SHAPES = {"spatial": (18, 228), "temporal": (4000, 10)}   # (matrices M, rows K)
MODES = ("per_shape", "dynamic_channels", "eager")


def measure(mode: str, args: argparse.Namespace, queue) -> None:
    """Time the loss (:func:`stgkd.distill.pairwise.pairwise_l1_mse`, forward and backward)
    in ``mode`` over every (C, shape) in turn; put (mode, figures) on ``queue``."""
    import os
    if mode == "eager":
        os.environ["STGKD_FUSED_COMPILE"] = "0"
    from stgkd.distill import pairwise
    pairwise.DYNAMIC_CHANNELS = mode == "dynamic_channels"
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    generator = torch.Generator().manual_seed(0)
    for channels in CHANNELS:
        for name, (m, k) in SHAPES.items():
            x = torch.randn(m, k, channels, generator=generator)
            teacher = pairwise.CyclicPairs(torch.randn(m, k // 2, k, generator=generator).half())

            def call():
                pairwise.pairwise_l1_mse(x.requires_grad_(), teacher).backward()
            began = time.perf_counter()
            call()
            first = time.perf_counter() - began
            times = []
            for _ in range(3):
                began = time.perf_counter()
                call()
                times.append(time.perf_counter() - began)
            rows.append({"channels": channels, "shape": name, "matrices": m, "rows": k,
                         "first_call_s": first, "call_s": min(times)})
    queue.put((mode, rows))


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "pruned_channels_kernel")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)   # the stored machine record names it
    figures = {}
    for mode in MODES:
        print(f"{mode} ...", flush=True)
        key, rows = in_fresh_process(measure, mode, args)
        figures[key] = rows
        print(f"  calls {sum(r['call_s'] for r in rows):.4f} s in all, first calls "
              f"{sum(r['first_call_s'] for r in rows):.1f} s", flush=True)
    settings = {"channels": CHANNELS, "shapes": SHAPES, "threads": args.threads,
                "repeats": 3}
    store_cpu_report("pruned_channels_kernel", args.out, settings, {"modes": figures})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
