"""Where the time of a cached LSTCD training step goes, with the previous and the current
fused correlation kernel, interleaved step by step (ratios hold under background load).

For each data set (PeMSD7(M), 228 nodes; Los-loop, 207 nodes) at the Table 6 batch of
50, with the trained runs' shapes (teacher [1,32,64],[64,32,128], student
[1,2,4],[4,2,8], random weights: speed does not depend on training) and the teacher's
answers from a :class:`stgkd.distill.TeacherCache`, one step is cut into phases:
cache lookup, the student's forward pass, LORD, LTCD, LSCD (the fused kernels compute
the correlation terms' gradients here), the backward pass and the optimiser step.

Variants:

- ``previous``: the first fused kernel: a loop over the dense [K, K] grid of every
  matrix, the teacher's upper triangle gathered through a [K, K] index inside it;
- ``cyclic``: :func:`stgkd.distill.pairwise.pairwise_l1_mse`: pairs visited by cyclic
  offset, the teacher's values read in that order from the cache.

Both give the same loss and gradient (checked on the first step). Also timed: the LSCD
term alone at several chunk sizes of the current kernel. Stored in
results/benchmarks/lstcd-step-<machine>.json.

    python benchmarks/lstcd_step.py --threads 1 --steps 10
"""
from __future__ import annotations

import os
import statistics
import sys
import time

import torch

import stgkd.distill.correlation as correlation
import stgkd.distill.pairwise as pairwise
from stgkd.benchmarking import cpu_benchmark_parser, store_cpu_report
from stgkd.data import DEFAULT_SPLITS, load_series, make_windows
from stgkd.distill import TeacherCache, make_kd_loss
from stgkd.distill.correlation import bctn_to_btnc, combine_lstcd
from stgkd.distill.response import lord
from stgkd.registry import KD_SETTINGS
from stgkd.nn import STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN, Hidden

PHASES = ("lookup", "student_forward", "lord", "ltcd", "lscd", "backward", "optimizer")


# ------------------------------------------------------------------ the previous kernel
def _previous_loss_and_grad(x, teacher, index, off_diagonal):
    xt = x.transpose(1, 2)                                    # [M, C, K]
    diff = xt[:, :, :, None] - xt[:, :, None, :]              # [M, C, K, K]
    r = (diff.abs().mean(1) - teacher[:, index].to(x.dtype)) * off_diagonal
    grad = (r[:, None] * torch.sign(diff)).sum(-1)            # [M, C, K]
    return (r * r).sum(), grad.transpose(1, 2)


_previous_compiled = torch.compile(_previous_loss_and_grad, dynamic=False)


class _PreviousL1MSE(torch.autograd.Function):
    """The first fused kernel (up to this benchmark's commit): upper triangles in."""

    @staticmethod
    def forward(ctx, x, teacher):
        m, k, c = x.shape
        pairs = k * (k - 1) // 2
        rows, cols = torch.triu_indices(k, k, offset=1)
        index = torch.zeros(k, k, dtype=torch.long)
        index[rows, cols] = index[cols, rows] = torch.arange(pairs)
        off_diagonal = 1 - torch.eye(k, dtype=x.dtype)
        kernel = _previous_compiled if k >= 32 else _previous_loss_and_grad
        chunk = max(1, (1 << 25) // (c * k * k))
        total = x.new_zeros(())
        grad = torch.empty_like(x)
        for start in range(0, m, chunk):
            x_part, teacher_part = x[start:start + chunk], teacher[start:start + chunk]
            if kernel is _previous_compiled:
                torch._dynamo.mark_dynamic(x_part, 0)
                torch._dynamo.mark_dynamic(teacher_part, 0)
            part, grad[start:start + chunk] = kernel(x_part, teacher_part, index, off_diagonal)
            total = total + part
        ctx.save_for_backward(grad * (2.0 / (m * pairs * c)))
        return total / (2 * m * pairs)

    @staticmethod
    def backward(ctx, grad_output):
        (grad,) = ctx.saved_tensors
        return grad_output * grad, None


def previous_l1_mse(x: torch.Tensor, teacher) -> torch.Tensor:
    k, c = x.shape[-2:]
    if isinstance(teacher, pairwise.CyclicPairs):   # the previous cache held triangles
        raise TypeError("the previous kernel takes upper triangles")
    return _PreviousL1MSE.apply(x.reshape(-1, k, c), teacher.reshape(-1, k * (k - 1) // 2))


# ------------------------------------------------------------------ one timed step
def timed_step(loss_fn, student, optimizer, x, y, index, spatial_as_triangles: bool) -> dict:
    """One LSTCD training step (as LSTCDLoss.forward does it), seconds per phase."""
    times = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        times[name] = now - clock
        clock = now

    y_t, temporal_t, spatial_t = loss_fn.cache.lookup(index)
    if spatial_as_triangles:
        spatial_t = [loss_fn.previous_spatial[k][index] for k in range(len(spatial_t))]
    lap("lookup")
    hidden = Hidden()
    y_s = student(x, hidden)
    temporal_s = [bctn_to_btnc(f) for f in hidden.temporal]
    spatial_s = [bctn_to_btnc(f) for f in hidden.spatial]
    lap("student_forward")
    terms = {"lord": lord(y_s, y_t, y, loss_fn.alpha1)[0]}
    lap("lord")
    terms["ltcd"] = sum(correlation.ltcd(s, t) for s, t in zip(temporal_s, temporal_t)) / len(temporal_s)
    lap("ltcd")
    terms["lscd"] = sum(correlation.lscd(s, t) for s, t in zip(spatial_s, spatial_t)) / len(spatial_s)
    lap("lscd")
    loss = combine_lstcd(terms, loss_fn.alpha2, loss_fn.alpha3)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    lap("backward")
    optimizer.step()
    lap("optimizer")
    times["step"] = sum(times[p] for p in PHASES)
    return times, loss.detach(), terms


def dataset_figures(name: str, steps: int, cache_windows: int, chunk_exponents) -> dict:
    series = load_series(name)
    data = make_windows(series, DEFAULT_SPLITS[name])
    windows = data.train[:cache_windows]
    batch = 50
    torch.manual_seed(0)
    teacher = STGCN(series.n_nodes, TEACHER_BLOCKS, weights=series.weights)
    hyper = KD_SETTINGS[name]["lstcd"]["hyper"]
    loss_fn = make_kd_loss("lstcd", teacher, **hyper)
    start = time.perf_counter()
    loss_fn.cache = TeacherCache.build(teacher, windows, data.n_his, progress=False)
    build_s = time.perf_counter() - start
    loss_fn.previous_spatial = [pairwise.CyclicPairs(v).triangles() for v in loss_fn.cache.spatial]
    variants = {}
    for variant in ("previous", "cyclic"):
        torch.manual_seed(1)                           # the same student for both
        student = STGCN(series.n_nodes, STUDENT_BLOCKS, weights=series.weights)
        optimizer = torch.optim.RMSprop(student.parameters(), lr=1e-3, alpha=0.9)
        variants[variant] = {"student": student, "optimizer": optimizer, "times": []}
    original = correlation.pairwise_l1_mse
    check = {}
    for step in range(steps + 1):                      # step 0: warm-up (compiles), and the check
        index = torch.arange(step * batch, (step + 1) * batch) % windows.shape[0]
        x, y = windows[index, None, :data.n_his], windows[index, data.n_his]
        order = ("previous", "cyclic") if step % 2 == 0 else ("cyclic", "previous")
        for variant in order:
            v = variants[variant]
            correlation.pairwise_l1_mse = previous_l1_mse if variant == "previous" else original
            try:
                times, loss, terms = timed_step(loss_fn, v["student"], v["optimizer"], x, y,
                                                index, spatial_as_triangles=variant == "previous")
            finally:
                correlation.pairwise_l1_mse = original
            if step == 0:
                check[variant] = (loss, torch.cat([p.grad.flatten()
                                                   for p in v["student"].parameters()]))
            else:
                v["times"].append(times)
    loss_gap = abs(float(check["previous"][0] - check["cyclic"][0])) / abs(float(check["previous"][0]))
    grad_gap = float((check["previous"][1] - check["cyclic"][1]).abs().max()
                     / check["previous"][1].abs().max())
    figures = {"nodes": series.n_nodes, "batch": batch, "n_his": data.n_his,
               "cache_windows": len(windows), "cache_build_s": build_s,
               "first_step_relative_difference": {"loss": loss_gap, "gradient_max": grad_gap}}
    for variant, v in variants.items():
        figures[variant] = {f"{p}_s": statistics.median(t[p] for t in v["times"])
                            for p in PHASES + ("step",)}
    figures["speedup_step"] = figures["previous"]["step_s"] / figures["cyclic"]["step_s"]
    figures["speedup_lscd"] = figures["previous"]["lscd_s"] / figures["cyclic"]["lscd_s"]
    figures["chunks"] = lscd_chunk_sizes(windows, data.n_his, loss_fn, series, steps,
                                         chunk_exponents)
    print(f"{name}: step previous {figures['previous']['step_s']:.3f}s, cyclic "
          f"{figures['cyclic']['step_s']:.3f}s ({figures['speedup_step']:.1f}x); lscd "
          f"{figures['previous']['lscd_s']:.3f}s -> {figures['cyclic']['lscd_s']:.3f}s", flush=True)
    return figures


def lscd_chunk_sizes(windows, n_his, loss_fn, series, steps, exponents) -> dict:
    """Seconds of the LSCD term (both graph-conv layers) per chunk size, interleaved."""
    student = STGCN(series.n_nodes, STUDENT_BLOCKS, weights=series.weights)
    index = torch.arange(50) % windows.shape[0]
    hidden = Hidden()
    student(windows[index, None, :n_his], hidden)
    spatial_s = [bctn_to_btnc(f).detach().requires_grad_() for f in hidden.spatial]
    spatial_t = loss_fn.cache.lookup(index)[2]
    saved = pairwise.ELEMENTS_PER_CHUNK
    times = {e: [] for e in exponents}
    try:
        for step in range(steps + 1):
            for e in (exponents if step % 2 == 0 else exponents[::-1]):
                pairwise.ELEMENTS_PER_CHUNK = 1 << e
                start = time.perf_counter()
                sum(correlation.lscd(s, t) for s, t in zip(spatial_s, spatial_t)).backward()
                if step:
                    times[e].append(time.perf_counter() - start)
    finally:
        pairwise.ELEMENTS_PER_CHUNK = saved
    k = series.n_nodes
    return {f"2^{e}": {"matrices_per_chunk": max(1, (1 << e) // (k * k)),
                       "lscd_s": statistics.median(t)} for e, t in times.items()}


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "lstcd_step")
    parser.add_argument("--datasets", nargs="+", default=["pemsd7m", "losloop"])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per variant (default 10)")
    parser.add_argument("--cache-windows", type=int, default=200,
                        help="training windows to build the cache on (default 200)")
    parser.add_argument("--chunk-exponents", type=int, nargs="+", default=[16, 18, 20, 22],
                        help="chunk sizes 2^e elements to time the LSCD term at")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    figures = {name: dataset_figures(name, args.steps, args.cache_windows, args.chunk_exponents)
               for name in args.datasets}
    store_cpu_report("lstcd_step", args.out,
                     vars(args) | {"load_average_1min_before_after": [load_before[0],
                                                                      os.getloadavg()[0]]},
                     {"datasets": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
