"""Where the time of a DMST-GNODE training step goes on the CPU, and what sparse graph
products in its graph ODE would save: PyTorch's profiler over Los-loop training steps of
32 windows (the full profile's batch) of DMST-GNODE and ST-NODE, the two ODE models of the
comparison.

Each model (built as ``stgkd run`` builds it, seed 0, on the distance and DTW pattern
graphs of the training days) runs ``--warmup`` steps, then ``--steps`` steps timed by phase
and the same steps under the profiler (:func:`stgkd.benchmarking.profile_training_steps`).

The graph ODE multiplies its [B C T, N] state by an [N, N] graph 4 times per block; the
distance and pattern graphs are fixed and 5-7% dense on Los-loop, the learned dynamic
graph is dense. ``sparse_graph_products`` times the models with those two fixed graphs'
products done as CSR products (``A X^T``, its transpose in the backward pass), in
interleaved rounds against the dense products, and stores how far the losses after the
timed steps drift apart: sparse products add in another order, so the numbers are equal
only to float32 rounding, not to the bit. Stored in
results/benchmarks/dmst-step-profile-<machine>.json.

    python benchmarks/dmst_step_profile.py --threads 1
"""
from __future__ import annotations

import os
import statistics
import time
import warnings
from contextlib import contextmanager

import numpy as np
import torch

import stgkd.nn.graph_ode as graph_ode
from stgkd.benchmarking import (cpu_benchmark_parser, dmst_benchmark_data, profile_training_steps,
                                store_cpu_report)
from stgkd.complexity import count_parameters
from stgkd.data.multigraph import normalized_adjacency
from stgkd.dmst import build_model
from stgkd.dmst.graph_cache import cached_pattern_graph
from stgkd.dmst.run import BATCH_SIZE

MODELS = ("DMST-GNODE", "ST-NODE")


class RightSparseProduct(torch.autograd.Function):
    """``Y = X A^T`` for a state ``X`` [M, N] and a constant graph ``A`` [N, N] held as
    CSR matrices ``A`` and ``A^T``: ``(A X^T)^T`` forward, ``(A^T G^T)^T`` backward."""

    @staticmethod
    def forward(ctx, x, graph, graph_t):
        ctx.graph_t = graph_t
        return (graph @ x.T).T.contiguous()

    @staticmethod
    def backward(ctx, grad):
        return (ctx.graph_t @ grad.T).T.contiguous(), None, None


def sparse_forward(ode: graph_ode.GraphODE, x: torch.Tensor, adjacency: torch.Tensor):
    """:meth:`GraphODE.forward` with a fixed graph's products as CSR products; a graph that
    learns (the dynamic graph) keeps the dense product."""
    if adjacency.requires_grad:
        return dense_forward(ode, x, adjacency)
    b, c, t, n = x.shape
    attenuation = torch.sigmoid(ode.alpha)
    _, feature_t, temporal_t = ode.operators(adjacency)
    graph, graph_t = adjacency.to_sparse_csr(), adjacency.T.contiguous().to_sparse_csr()

    def field(_, h):
        # (diag(s) A - I) acting on the node axis: H A^T diag(s) - H, the rest as GraphODE
        out = RightSparseProduct.apply(h.reshape(-1, n), graph, graph_t).view_as(h)
        out = out * attenuation - h
        if feature_t is not None:
            out = out + torch.bmm(feature_t.expand(b, c, c), h.reshape(b, c, t * n)).view_as(h)
        if temporal_t is not None:
            out = out + torch.bmm(temporal_t.expand(b * c, t, t),
                                  h.reshape(b * c, t, n)).view_as(h)
        return out + x if ode.restart else out

    return graph_ode.integrate(field, x, ode.time, ode.method, ode.step_size, ode.rtol, ode.atol)


dense_forward = graph_ode.GraphODE.forward


@contextmanager
def graph_products(kind: str):
    """Run the graph ODE with ``"dense"`` (as shipped) or ``"sparse"`` graph products."""
    graph_ode.GraphODE.forward = sparse_forward if kind == "sparse" else dense_forward
    try:
        yield
    finally:
        graph_ode.GraphODE.forward = dense_forward


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "dmst_step_profile")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--steps", type=int, default=3, help="profiled steps per model")
    parser.add_argument("--warmup", type=int, default=1, help="steps before the profile")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of the dense/sparse comparison")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
    if args.threads:
        torch.set_num_threads(args.threads)
    series, data, train = dmst_benchmark_data("losloop")
    graphs = {"distance": series.weights,
              "pattern": cached_pattern_graph(train, series.steps_per_day)}
    n_his = 12
    batches = [(w[:, :n_his], w[:, n_his:]) for w in
               (data.train[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]
                for i in range(args.warmup + args.steps))]

    def fresh(name):
        torch.manual_seed(0)
        model = build_model(name, series.n_nodes, graphs)
        return model, torch.optim.Adam(model.parameters(), lr=1e-3)

    load_at_start = list(os.getloadavg())
    figures = {}
    for name in args.models:
        print(f"profiling {name} ...", flush=True)
        model, optimizer = fresh(name)
        figures[name] = {"parameters": count_parameters(model),
                         **profile_training_steps(model, optimizer, batches, args.warmup)}

    sparse = {}
    for name in args.models:
        step_s = {"dense": [], "sparse": []}
        final_loss = {}
        for _ in range(args.rounds):
            for kind in ("dense", "sparse"):
                model, optimizer = fresh(name)
                with graph_products(kind):
                    began = time.perf_counter()
                    for x, y in batches:
                        loss = torch.mean((model(x) - y) ** 2)
                        optimizer.zero_grad(set_to_none=True)
                        loss.backward()
                        optimizer.step()
                    step_s[kind].append((time.perf_counter() - began) / len(batches))
                final_loss[kind] = loss.item()
        dense_s, sparse_s = (statistics.median(step_s[k]) for k in ("dense", "sparse"))
        sparse[name] = {"dense_step_s": dense_s, "sparse_step_s": sparse_s,
                        "speedup": dense_s / sparse_s, "steps": len(batches),
                        "loss_after_steps": final_loss,
                        "loss_relative_difference": abs(final_loss["sparse"] - final_loss["dense"])
                        / abs(final_loss["dense"])}
        print(f"{name}: dense {dense_s:.2f} s, sparse {sparse_s:.2f} s per step "
              f"({dense_s / sparse_s:.2f}x)", flush=True)

    # the share of non-zero entries of the normalised graphs the ODE multiplies by
    densities = {kind: float(np.mean(normalized_adjacency(weights) != 0))
                 for kind, weights in graphs.items()}
    settings = {"models": args.models, "dataset": "losloop", "nodes": series.n_nodes,
                "batch": BATCH_SIZE, "steps": args.steps, "warmup": args.warmup,
                "rounds": args.rounds, "threads": torch.get_num_threads(),
                "graph_density": densities, "load_average": load_at_start}
    store_cpu_report("dmst_step_profile", args.out, settings,
                     {"models": figures, "sparse_graph_products": sparse,
                      "load_average_at_end_1_5_15": list(os.getloadavg())})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
