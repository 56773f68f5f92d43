"""Seconds per training step during Algorithm 1, masked vs compacted each step, for
Table 7's run: the STGCN teacher pruned to the student's size (PeMSD7(M), 228 nodes,
Table 9's batch of 25, one pruning step per epoch).

For every pruning interval, the model being trained is timed two ways:

- ``masked``: the full-size teacher under :class:`stgkd.prune.MaskedSTGCN` (removed
  channels zeroed by hooks), as ``algorithm1(..., compact_each_step=False)`` trains it;
- ``compacted``: the STGCN of the kept channels, as ``compact_each_step=True`` does.

The channel counts of each interval follow from the architecture and the per-step share
alone (which channels go does not change the cost), so random scores pick them. The
loss is the supervised MSE (a distillation loss adds the same work to both). Weights are
random. ``pruning_phase_ratio`` is the compacted run's summed step time over the masked
run's, i.e. the share of the pruning phase's model time that compacting keeps.
Stored in results/benchmarks/prune-step-<machine>.json.

    python benchmarks/prune_step.py
    python benchmarks/prune_step.py --steps 5 --threads 2
"""
from __future__ import annotations

import statistics
import sys
import time

import torch

from stgkd.benchmarking import cpu_benchmark_parser, seeded_pemsd7m, store_cpu_report
from stgkd.complexity import count_parameters
from stgkd.registry import EXPERIMENTS
from stgkd.nn import STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN
from stgkd.prune import MaskedSTGCN, compact, compacted_parameter_count, full_masks, prune_step

EXPERIMENT = "prune/pemsd7m/teacher-kdis-lstcd"


def interval_masks(model: STGCN, fraction: float, target: int, seed: int = 0) -> list[dict]:
    """The masks in force during each pruning interval (all ones first) until the
    compacted size is at most ``target`` parameters."""
    generator = torch.Generator().manual_seed(seed)
    masks = [full_masks(model)]
    while compacted_parameter_count(model, masks[-1]) > target:
        scores = {name: torch.rand(mask.numel(), generator=generator)
                  for name, mask in masks[-1].items()}
        masks.append(prune_step(masks[-1], scores, fraction))
    return masks[:-1]      # the last masks are the result, not trained under Algorithm 1


def seconds_per_step(model, x, y, steps: int) -> float:
    """Median seconds of one RMSProp step on the supervised MSE (after a warm-up step)."""
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)
    times = []
    for step in range(steps + 1):
        start = time.perf_counter()
        loss = torch.mean((model(x) - y) ** 2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "prune_step")
    parser.add_argument("--steps", type=int, default=5,
                        help="timed training steps per interval and variant (default 5)")
    args = parser.parse_args(argv)
    series = seeded_pemsd7m(args.threads)
    experiment = EXPERIMENTS[EXPERIMENT]
    teacher = STGCN(series.n_nodes, TEACHER_BLOCKS, weights=series.weights).train()
    target = count_parameters(STGCN(series.n_nodes, STUDENT_BLOCKS))
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(experiment.batch_size, 1, 12, series.n_nodes, generator=generator)
    y = torch.randn(experiment.batch_size, series.n_nodes, generator=generator)
    intervals = []
    for i, masks in enumerate(interval_masks(teacher, experiment.pruning.fraction, target)):
        with MaskedSTGCN(teacher, masks) as masked:
            masked_s = seconds_per_step(masked, x, y, args.steps)
        compacted_s = seconds_per_step(compact(teacher, masks), x, y, args.steps)
        intervals.append({"interval": i + 1,
                          "parameters": compacted_parameter_count(teacher, masks),
                          "masked_s_per_step": masked_s, "compacted_s_per_step": compacted_s})
        print(f"interval {i + 1:2}: {intervals[-1]['parameters']:>7,} parameters  "
              f"masked {masked_s:.4f} s  compacted {compacted_s:.4f} s per step", flush=True)
    masked_total = sum(r["masked_s_per_step"] for r in intervals)
    compacted_total = sum(r["compacted_s_per_step"] for r in intervals)
    ratio = compacted_total / masked_total
    print(f"pruning phase, compacted / masked: {ratio:.3f}")
    store_cpu_report("prune_step", args.out,
                     vars(args) | {"experiment": EXPERIMENT, "dataset": "pemsd7m",
                                   "nodes": series.n_nodes, "batch": experiment.batch_size,
                                   "fraction": experiment.pruning.fraction,
                                   "target_parameters": target},
                     {"intervals": intervals, "pruning_phase_ratio": ratio})
    return 0


if __name__ == "__main__":
    sys.exit(main())
