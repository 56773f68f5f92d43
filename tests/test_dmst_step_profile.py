"""The DMST step profile: the shared step profiler's figures, the sparse graph products of
benchmarks/dmst_step_profile.py against the graph ODE's dense ones, and the report table."""
import importlib.util
from pathlib import Path

import pytest
import torch

from stgkd.benchmarking import profile_training_steps
from stgkd.nn.graph_ode import GraphODE
from stgkd.report import dmst_sparse_products

_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "dmst_step_profile.py"
_SPEC = importlib.util.spec_from_file_location("dmst_step_profile", _SCRIPT)
script = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(script)


def test_step_profile_times_phases_and_counts_operators():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = [(torch.randn(5, 4), torch.randn(5, 3)) for _ in range(4)]
    before = model.weight.detach().clone()
    figures = profile_training_steps(model, optimizer, batches, warmup=1)
    assert figures["profiled_steps"] == 3
    assert set(figures["phases_s"]) == {"forward_and_loss", "backward", "optimizer_step"}
    assert all(v > 0 for v in figures["phases_s"].values())
    # the forward product (addmm) runs once per profiled step
    assert figures["operators"]["aten::addmm"]["calls"] == 3
    # 1 warm-up + 3 timed + 3 profiled optimiser steps moved the weights
    assert not torch.equal(model.weight, before)
    with pytest.raises(ValueError, match="batches"):
        profile_training_steps(model, optimizer, batches[:1], warmup=1)


def test_sparse_graph_products_give_the_dense_ode_to_float_rounding():
    torch.manual_seed(0)
    n = 9
    adjacency = torch.zeros(n, n)
    for i in range(n):                          # a ring with self loops, row-normalised
        adjacency[i, i] = adjacency[i, (i + 1) % n] = adjacency[(i + 1) % n, i] = 1.0
    adjacency = adjacency / adjacency.sum(1, keepdim=True)
    ode = GraphODE(n, channels=3, steps=4)
    with torch.no_grad():                       # move every map away from its start
        ode.alpha.add_(torch.randn(n))
        ode.feature_basis.add_(0.2 * torch.randn(3, 3))
        ode.temporal_basis.add_(0.2 * torch.randn(4, 4))
    x = torch.randn(2, 3, 4, n, requires_grad=True)
    grad = torch.randn(2, 3, 4, n)
    parameters = [x, ode.alpha, ode.feature_basis, ode.temporal_basis]
    dense = ode(x, adjacency)
    dense_grads = torch.autograd.grad(dense, parameters, grad)
    with script.graph_products("sparse"):
        sparse = ode(x, adjacency)
    sparse_grads = torch.autograd.grad(sparse, parameters, grad)
    assert GraphODE.forward is script.dense_forward          # restored on leaving
    torch.testing.assert_close(sparse, dense, rtol=1e-5, atol=1e-5)
    for got, want in zip(sparse_grads, dense_grads):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    # a graph that learns keeps the dense product (and its gradient)
    learned = adjacency.clone().requires_grad_(True)
    with script.graph_products("sparse"):
        out = ode(x, learned)
    assert torch.autograd.grad(out.sum(), learned)[0].abs().sum() > 0


def test_sparse_products_table():
    benchmark = {"sparse_graph_products": {
        "DMST-GNODE": {"dense_step_s": 4.0, "sparse_step_s": 3.2, "speedup": 1.25, "steps": 4,
                       "loss_after_steps": {"dense": 0.5, "sparse": 0.5},
                       "loss_relative_difference": 2e-7}}}
    table = dmst_sparse_products(benchmark)
    assert table.to_dict("records") == [{"model": "DMST-GNODE", "dense_step_s": 4.0,
                                         "sparse_step_s": 3.2, "speedup": 1.25,
                                         "loss_relative_difference": 2e-7}]
    assert dmst_sparse_products({}).empty
