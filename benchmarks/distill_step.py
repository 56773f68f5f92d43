"""Seconds per training step of the STGCN student under each distillation loss
(PeMSD7(M), 228 nodes, batch 50 or the loss's Table 6 batch), three ways:

- ``cdist``: the teacher runs on every batch and the student's correlation losses are
  differentiated through ``torch.cdist(p=1)``'s own backward (the first implementation);
- ``running``: the teacher runs on every batch, the student's side is the fused
  :func:`stgkd.distill.pairwise.pairwise_l1_mse` (loss and gradient in one pass);
- ``cached``: the teacher's outputs and correlations come from a
  :class:`stgkd.distill.TeacherCache` (built once; its build time per window is stored).

Weights are random (speed does not depend on training). Stored in
results/benchmarks/distill-step-<machine>.json.

    python benchmarks/distill_step.py
    python benchmarks/distill_step.py --kinds lstcd --steps 5
"""
from __future__ import annotations

import statistics
import sys
import time

import torch

import stgkd.distill.correlation as correlation
from stgkd.benchmarking import cpu_benchmark_parser, seeded_pemsd7m, store_cpu_report
from stgkd.data import DEFAULT_SPLITS, make_windows
from stgkd.distill import KINDS, TeacherCache, make_kd_loss, pairwise_l1_mean, upper_triangle
from stgkd.distill.pairwise import CyclicPairs
from stgkd.registry import KD_SETTINGS
from stgkd.nn import STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN


def unfused_l1_mse(x: torch.Tensor, teacher_triangles) -> torch.Tensor:
    """The first implementation of pairwise_l1_mse: autograd through cdist."""
    if isinstance(teacher_triangles, CyclicPairs):      # the teacher's side as the kernel reads it
        teacher_triangles = teacher_triangles.triangles()
    student = upper_triangle(pairwise_l1_mean(x))
    return torch.mean((student - teacher_triangles.to(x.dtype)) ** 2)


def time_steps(loss_fn, student, windows, n_his, batch, steps, use_index) -> list[float]:
    optimizer = torch.optim.RMSprop(list(student.parameters()) + list(loss_fn.parameters()),
                                    lr=1e-3, alpha=0.9)
    times = []
    for step in range(steps + 1):  # the first step is a warm-up
        index = torch.arange(step * batch, (step + 1) * batch) % windows.shape[0]
        x, y = windows[index, None, :n_his], windows[index, n_his]
        start = time.perf_counter()
        loss = loss_fn(student, x, y, index=index) if use_index else loss_fn(student, x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step:
            times.append(time.perf_counter() - start)
    return times


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "distill_step")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS),
                        help="distillation losses to time (default: all)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per variant (default 3)")
    parser.add_argument("--cache-windows", type=int, default=200,
                        help="training windows to build the cache on (default 200)")
    args = parser.parse_args(argv)
    series = seeded_pemsd7m(args.threads)
    data = make_windows(series, DEFAULT_SPLITS["pemsd7m"])
    windows = data.train[:args.cache_windows]
    teacher = STGCN(series.n_nodes, TEACHER_BLOCKS, weights=series.weights)
    figures = {}
    for kind in args.kinds:
        setting = KD_SETTINGS["pemsd7m"][kind]
        hyper = dict(setting["hyper"])
        if kind == "lskd":
            hyper["student_channels"] = [block[2] for block in STUDENT_BLOCKS]
        batch = setting.get("batch_size", 50)
        row = {"batch": batch}
        variants = ["cdist", "running"] + ([] if kind == "lskd" else ["cached"])
        for variant in variants:
            student = STGCN(series.n_nodes, STUDENT_BLOCKS, weights=series.weights)
            loss_fn = make_kd_loss(kind, teacher, **hyper)
            if variant == "cached":
                needs = getattr(loss_fn, "needs", {"temporal": False, "spatial": False})
                start = time.perf_counter()
                loss_fn.cache = TeacherCache.build(teacher, windows, data.n_his,
                                                   progress=False, **needs)
                row["cache_build_s_per_window"] = (time.perf_counter() - start) / len(windows)
                row["cache_bytes_per_window"] = loss_fn.cache.nbytes / len(windows)
            original = correlation.pairwise_l1_mse
            if variant == "cdist":
                correlation.pairwise_l1_mse = unfused_l1_mse
            try:
                times = time_steps(loss_fn, student, windows, data.n_his, batch, args.steps,
                                   use_index=variant == "cached")
            finally:
                correlation.pairwise_l1_mse = original
            row[f"{variant}_s_per_step"] = statistics.median(times)
        row["steps_per_epoch"] = -(-len(data.train) // batch)
        figures[kind] = row
        print(f"{kind:7} batch {batch:3}  " + "  ".join(
            f"{v} {row[f'{v}_s_per_step']:.3f}s" for v in variants) + " per step", flush=True)

    store_cpu_report("distill_step", args.out,
                     vars(args) | {"dataset": "pemsd7m", "nodes": series.n_nodes,
                                   "train_windows": len(data.train)},
                     {"losses": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
