"""The cost of one full-profile Los-loop epoch of the DMST-GNODE comparison's graph models,
from a few timed training steps: 42 steps of 32 windows (forward, MSE, backward, Adam) plus
the forecasts of the validation and test days that every epoch evaluates.

Each model is built as ``stgkd run`` builds it (``stgkd.dmst.build_model`` on the distance
and DTW pattern graphs of the training days, seed 0) and trained on the same Box-Cox-scaled
training windows. Rounds interleave the models, so a change in the machine's load hits them
alike; the figure is the median over the rounds. ``DMST-GNODE (torchdiffeq Euler)`` is the
model as it was first implemented, its graph ODE solved by ``torchdiffeq.odeint``; it is
checked against the hand-written Euler steps now used (same output to float32 rounding)
before it is timed. The DTW pattern graph is timed cold and from the cache.

    python benchmarks/dmst_epoch.py --threads 1 --rounds 3
    python benchmarks/dmst_epoch.py --threads 1 --models ST-GCN DMST-GNODE
"""
from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager

import torch
from torchdiffeq import odeint

import stgkd.nn.graph_ode as graph_ode
from stgkd.benchmarking import cpu_benchmark_parser, dmst_benchmark_data, store_cpu_report
from stgkd.complexity import count_parameters
from stgkd.data.multigraph import pattern_graph
from stgkd.dmst import build_model
from stgkd.dmst.graph_cache import cached_pattern_graph
from stgkd.dmst.run import BATCH_SIZE, predict_windows
from stgkd.registry import PROFILES

# name -> (model, options)
MODELS = {
    "ST-GCN": ("ST-GCN", {}),
    "MST-GCN": ("MST-GCN", {}),
    "ST-NODE": ("ST-NODE", {}),
    "DMST-GNODE": ("DMST-GNODE", {}),
    "DMST-GNODE (torchdiffeq Euler)": ("DMST-GNODE", {}),
    "DMST-GNODE st-mst-gcn": ("DMST-GNODE", {"st_module": "mst-gcn"}),
    "DMST-GNODE no-dynamic": ("DMST-GNODE", {"without": ["dynamic"]}),
    "DMST-GNODE no-pattern": ("DMST-GNODE", {"without": ["pattern"]}),
    "DMST-GNODE no-ode": ("DMST-GNODE", {"without": ["ode"]}),
    "DMST-GNODE no-st": ("DMST-GNODE", {"without": ["st"]}),
}
DEFAULT_MODELS = ["ST-GCN", "MST-GCN", "ST-NODE", "DMST-GNODE", "DMST-GNODE (torchdiffeq Euler)",
                  "DMST-GNODE st-mst-gcn"]


def torchdiffeq_integrate(field, h0, time=1.0, method="euler", step_size=0.25, rtol=1e-4,
                          atol=1e-5):
    """The graph ODE's first solver: ``torchdiffeq.odeint`` for every method."""
    t = torch.tensor([0.0, float(time)], dtype=h0.dtype, device=h0.device)
    options = None if step_size is None else {"step_size": float(step_size)}
    return odeint(field, h0, t, method=method, options=options)[-1]


@contextmanager
def solver(name: str):
    """Solve the graph ODE with torchdiffeq for the ``(torchdiffeq Euler)`` entry."""
    original = graph_ode.integrate
    if "torchdiffeq" in name:
        graph_ode.integrate = torchdiffeq_integrate
    try:
        yield
    finally:
        graph_ode.integrate = original


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "dmst_epoch")
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=list(MODELS))
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--steps", type=int, default=2, help="timed steps per model and round")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    series, data, train = dmst_benchmark_data("losloop")
    start = time.perf_counter()
    pattern = pattern_graph(train, series.steps_per_day)
    dtw_cold_s = time.perf_counter() - start
    cached_pattern_graph(train, series.steps_per_day)            # fill the cache
    start = time.perf_counter()
    cached = cached_pattern_graph(train, series.steps_per_day)
    dtw_cached_s = time.perf_counter() - start
    assert (cached == pattern).all()
    graphs = {"distance": series.weights, "pattern": pattern}
    steps_per_epoch = -(-min(PROFILES["full"].dmst.epoch_windows, len(data.train)) // BATCH_SIZE)
    eval_windows = torch.cat([data.val, data.test])

    models, optimizers = {}, {}
    for name in args.models:
        model, options = MODELS[name]
        torch.manual_seed(0)
        models[name] = build_model(model, series.n_nodes, graphs, **options)
        optimizers[name] = torch.optim.Adam(models[name].parameters(), lr=1e-3)
    batches = [data.train[i * BATCH_SIZE:(i + 1) * BATCH_SIZE] for i in range(args.steps)]

    agreement = {}
    if "DMST-GNODE (torchdiffeq Euler)" in models:
        x = data.train[:8, :12]
        with torch.no_grad():
            now = models["DMST-GNODE (torchdiffeq Euler)"](x)
            with solver("torchdiffeq"):
                before = models["DMST-GNODE (torchdiffeq Euler)"](x)
        agreement["dmst_gnode_max_abs_output_difference"] = float((now - before).abs().max())
        assert agreement["dmst_gnode_max_abs_output_difference"] < 1e-5

    load_at_start = list(os.getloadavg())
    step_s = {name: [] for name in models}
    eval_s = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, model in models.items():
            with solver(name):
                start = time.perf_counter()
                for batch in batches:
                    loss = torch.mean((model(batch[:, :12]) - batch[:, 12:]) ** 2)
                    optimizers[name].zero_grad(set_to_none=True)
                    loss.backward()
                    optimizers[name].step()
                step_s[name].append((time.perf_counter() - start) / len(batches))
                start = time.perf_counter()
                predict_windows(model, eval_windows[:128], 12)
                eval_s[name].append((time.perf_counter() - start) / 128)
    figures = {}
    for name in models:
        step, per_window = statistics.median(step_s[name]), statistics.median(eval_s[name])
        figures[name] = {"parameters": count_parameters(models[name]),
                         "train_step_s": step, "eval_s_per_window": per_window,
                         "epoch_s": steps_per_epoch * step + len(eval_windows) * per_window,
                         "train_step_s_rounds": step_s[name]}
        print(f"{name:34s} step {step:7.3f} s  epoch {figures[name]['epoch_s']:8.1f} s")
    settings = {"dataset": "losloop", "batch_size": BATCH_SIZE,
                "steps_per_epoch": steps_per_epoch, "eval_windows_per_epoch": len(eval_windows),
                "rounds": args.rounds, "steps_per_round": args.steps,
                "load_average_at_start_1_5_15": load_at_start,
                "note": "epoch_s = steps_per_epoch x train_step_s + eval windows x "
                        "eval_s_per_window (validation and test forecasts of every epoch)"}
    store_cpu_report("dmst_epoch", args.out, settings,
                     {"models": figures, "dtw_pattern_graph": {"cold_s": dtw_cold_s,
                                                              "cached_s": dtw_cached_s},
                      "agreement": agreement,
                      "load_average_at_end_1_5_15": list(os.getloadavg())})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
