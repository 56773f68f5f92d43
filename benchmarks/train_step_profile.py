"""Where the time of one eager STGCN training step goes on the CPU: PyTorch's profiler
over the teacher's (and the student's) training steps on PeMSD7(M), batch 50.

Each model (random weights: speed does not depend on training) runs ``--warmup`` steps,
then ``--steps`` profiled steps of forward, MSE loss, backward and RMSProp step. Stored per
model: every ATen operator's self CPU time summed over the profiled steps and its call
count (the profiler's ``key_averages``), and the wall time of the three phases (forward
with the loss, backward, optimiser step) measured around them without the profiler.
The book groups the operators into what they compute
(:func:`stgkd.report.efficiency.training_step_profile`). Stored in
results/benchmarks/train-step-profile-<machine>.json.

    python benchmarks/train_step_profile.py --threads 2
"""
from __future__ import annotations

import os

import torch

from stgkd.benchmarking import (MODELS, cpu_benchmark_parser, profile_training_steps,
                                seeded_pemsd7m, store_cpu_report)
from stgkd.complexity import count_parameters
from stgkd.data import DEFAULT_SPLITS, make_windows
from stgkd.nn import STGCN

BATCH = 50


def batches(windows: torch.Tensor, n_his: int, count: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The first ``count`` training batches, inputs [B, 1, n_his, N] and one-step targets
    [B, N], of the training windows [S, n_his + n_pred, N]."""
    return [(windows[i * BATCH:(i + 1) * BATCH, None, :n_his],
             windows[i * BATCH:(i + 1) * BATCH, n_his]) for i in range(count)]


def profile_model(blocks, series, data, warmup: int, steps: int) -> dict:
    """The operator profile and phase times of ``steps`` training steps of one model on
    the windowed ``data`` of ``series`` (:func:`stgkd.benchmarking.profile_training_steps`)."""
    model = STGCN(series.n_nodes, blocks, n_his=data.n_his, weights=series.weights)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)
    figures = profile_training_steps(model, optimizer,
                                     batches(data.train, data.n_his, warmup + steps), warmup)
    return {"parameters": count_parameters(model), **figures}


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "train_step_profile")
    parser.add_argument("--models", nargs="+", default=["teacher", "student"],
                        choices=list(MODELS))
    parser.add_argument("--steps", type=int, default=6, help="profiled steps per model")
    parser.add_argument("--warmup", type=int, default=3, help="steps before the profile")
    args = parser.parse_args(argv)
    series = seeded_pemsd7m(args.threads)
    data = make_windows(series, DEFAULT_SPLITS["pemsd7m"])
    figures = {}
    for name in args.models:
        print(f"profiling {name} ...", flush=True)
        torch.manual_seed(0)
        figures[name] = profile_model(MODELS[name], series, data, args.warmup, args.steps)
    settings = {"models": args.models, "batch": BATCH, "steps": args.steps,
                "warmup": args.warmup, "threads": torch.get_num_threads(), "dataset": "pemsd7m",
                "nodes": series.n_nodes, "load_average": list(os.getloadavg())}
    store_cpu_report("train_step_profile", args.out, settings, {"models": figures})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
