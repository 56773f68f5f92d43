"""DMST-GNODE and its parts: graphs, Box-Cox, the graph ODE, the models' contracts.

Expectations come from closed forms (matrix exponentials), hand-worked matrices and
hand-built series, not from the code under test.
"""
import dataclasses
import json
import math

import numpy as np
import pytest
import torch
from scipy.linalg import expm

from stgkd.data.boxcox import BoxCox
from stgkd.data.multigraph import (daily_profiles, distance_graph, dtw_distances,
                                   normalized_adjacency, pattern_graph)
from stgkd.nn.dmst_gnode import DMSTGNODE, DynamicGraph
from stgkd.nn.graph_ode import GraphODE, integrate
from stgkd.nn.stnode import STNODE

from conftest import random_graph


# ---------------------------------------------------------------- graph ODE

def test_zero_vector_field_leaves_the_state_unchanged():
    h0 = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    for method in ("euler", "rk4", "dopri5"):
        out = integrate(lambda t, h: torch.zeros_like(h), h0, time=1.2, method=method)
        assert torch.equal(out, h0), method


def test_restart_without_graph_keeps_the_initial_state():
    # A = 0, no mixing: dH/dt = -H + H0, which is zero at H = H0 (CGNN's restart)
    ode = GraphODE(3, 2, 4, feature_mixing=False, temporal_mixing=False).double()
    h0 = torch.randn(2, 2, 4, 3, dtype=torch.float64)
    out = ode(h0, torch.zeros(3, 3, dtype=torch.float64))
    assert torch.allclose(out, h0, atol=1e-12)


def _linear_ode(restart: bool) -> GraphODE:
    ode = GraphODE(2, 1, 1, time=1.2, method="dopri5", rtol=1e-10, atol=1e-12,
                   feature_mixing=False, temporal_mixing=False, restart=restart).double()
    with torch.no_grad():
        ode.alpha.zero_()              # sigmoid(0) = 1/2 on both nodes
    return ode


def test_linear_field_matches_the_matrix_exponential():
    # dH/dt = (A/2 - I) H on two nodes: H(t) = expm((A/2 - I) t) H0
    a = np.array([[0.0, 1.0], [1.0, 0.0]])
    m = 0.5 * a - np.eye(2)
    h0 = np.array([1.0, -2.0])
    expected = expm(m * 1.2) @ h0
    ode = _linear_ode(restart=False)
    out = ode(torch.tensor(h0).view(1, 1, 1, 2), torch.tensor(a))
    np.testing.assert_allclose(out.detach().view(2).numpy(), expected, atol=1e-4)
    # the hand value: eigenvectors (1, 1) and (1, -1), eigenvalues -1/2 and -3/2
    hand = (-0.5 * np.exp(-0.6) * np.array([1, 1]) + 1.5 * np.exp(-1.8) * np.array([1, -1]))
    np.testing.assert_allclose(expected, hand, atol=1e-12)


def test_linear_field_with_restart_matches_the_closed_form():
    # dH/dt = M H + H0: H(t) = e^{Mt} H0 + M^{-1} (e^{Mt} - I) H0
    a = np.array([[0.0, 0.8], [0.8, 0.0]])
    m = 0.5 * a - np.eye(2)
    h0 = np.array([0.5, 2.0])
    e = expm(m * 1.2)
    expected = e @ h0 + np.linalg.solve(m, (e - np.eye(2)) @ h0)
    out = _linear_ode(restart=True)(torch.tensor(h0).view(1, 1, 1, 2), torch.tensor(a))
    np.testing.assert_allclose(out.detach().view(2).numpy(), expected, atol=1e-4)


def test_mixing_terms_start_at_zero():
    # W = U = I at initialisation, so H (W - I) and (U - I) H vanish
    h = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    adjacency = torch.rand(5, 5, dtype=torch.float64)
    full = GraphODE(5, 3, 4).double()
    plain = GraphODE(5, 3, 4, feature_mixing=False, temporal_mixing=False).double()
    assert torch.allclose(full.vector_field(h, h, adjacency), plain.vector_field(h, h, adjacency))


def test_graph_term_multiplies_each_node_by_its_neighbours():
    # (diag(sigmoid(alpha)) A - I) H by hand on a path 0 - 1 - 2, one channel, one step
    ode = GraphODE(3, 1, 1, feature_mixing=False, temporal_mixing=False, restart=False).double()
    with torch.no_grad():
        ode.alpha.copy_(torch.tensor([0.0, math.log(3.0), 0.0]))   # sigmoid: 1/2, 3/4, 1/2
    a = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=torch.float64)
    h = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64).view(1, 1, 1, 3)
    field = ode.vector_field(h, h, a).view(3)
    expected = torch.tensor([0.5 * 2 - 1, 0.75 * (1 + 4) - 2, 0.5 * 2 - 4], dtype=torch.float64)
    assert torch.allclose(field, expected)


# ---------------------------------------------------------------- graphs

def test_normalized_adjacency_on_two_nodes():
    # W + I = [[1, 2], [2, 1]], degrees 3 and 3
    out = normalized_adjacency(np.array([[0.0, 2.0], [2.0, 0.0]]))
    np.testing.assert_allclose(out, [[1 / 3, 2 / 3], [2 / 3, 1 / 3]])


def test_normalized_adjacency_on_a_path():
    # W + I degrees 2, 3, 2
    w = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    s6 = 1 / math.sqrt(6)
    expected = [[1 / 2, s6, 0.0], [s6, 1 / 3, s6], [0.0, s6, 1 / 2]]
    np.testing.assert_allclose(normalized_adjacency(w), expected)
    np.testing.assert_allclose(normalized_adjacency(w, scale=0.4), 0.4 * np.array(expected))


def test_normalized_adjacency_refuses_bad_weights():
    with pytest.raises(ValueError, match="weights"):
        normalized_adjacency(np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        normalized_adjacency(np.array([[0.0, -1.0], [-1.0, 0.0]]))


def test_distance_graph_takes_weights_or_distances():
    w = np.array([[1.0, 0.5], [0.5, 1.0]])
    np.testing.assert_array_equal(distance_graph(w), [[0.0, 0.5], [0.5, 0.0]])
    # exp(-(5000 / 1e4)^2 / 0.1) = exp(-2.5) < 0.5: dropped; 1000 m: exp(-0.1) kept
    d = np.array([[0.0, 1000.0, 5000.0], [1000.0, 0.0, 5000.0], [5000.0, 5000.0, 0.0]])
    out = distance_graph(distances=d)
    np.testing.assert_allclose(out[0, 1], math.exp(-0.1))
    assert out[0, 2] == 0 and out[1, 2] == 0 and np.all(np.diag(out) == 0)
    with pytest.raises(ValueError, match="exactly one"):
        distance_graph(w, distances=d)


def test_dtw_distance_by_hand():
    # [0, 0, 1] warps onto [0, 1, 1] at no cost (Euclidean distance 1); [0, 0, 0] vs
    # [1, 1, 1]: every path has >= 3 cells of cost 1, so sqrt(3)
    d = dtw_distances(np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]]))
    assert d[0, 1] == pytest.approx(0.0)
    d2 = dtw_distances(np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]))
    assert d2[0, 1] == pytest.approx(math.sqrt(3))
    np.testing.assert_allclose(d, d.T)


def _three_node_days():
    """3 days of 8 steps: node 1 has node 0's days in another order (the same mean
    daily profile, a different series); node 2 is a ramp through the day."""
    steps = np.arange(8)
    shape = np.sin(np.pi * steps / 7)
    days0 = [60 - 20 * shape * k for k in (0.5, 1.0, 1.5)]
    days1 = [days0[2], days0[0], days0[1]]
    days2 = [40 + 3.0 * steps for _ in range(3)]
    return np.stack([np.concatenate(days0), np.concatenate(days1), np.concatenate(days2)], axis=1)


def test_pattern_graph_links_nodes_with_the_same_daily_profile():
    values = _three_node_days()
    np.testing.assert_allclose(daily_profiles(values, 8)[0], daily_profiles(values, 8)[1])
    assert not np.allclose(values[:, 0], values[:, 1])
    graph = pattern_graph(values, steps_per_day=8, density=1 / 3)
    np.testing.assert_array_equal(graph, [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    # keeping every pair links everything, still without self-loops
    np.testing.assert_array_equal(pattern_graph(values, 8, density=1.0), 1 - np.eye(3))


def test_pattern_graph_refuses_bad_input():
    with pytest.raises(ValueError, match="whole day"):
        pattern_graph(np.ones((5, 3)), steps_per_day=8)
    bad = _three_node_days()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        pattern_graph(bad, steps_per_day=8)
    with pytest.raises(ValueError, match="density"):
        pattern_graph(_three_node_days(), steps_per_day=8, density=0.0)


# ---------------------------------------------------------------- Box-Cox

def test_boxcox_by_hand():
    bc = BoxCox(lam=0.5, shift=1.0, mean=1.0, std=2.0)
    # ((3 + 1)^0.5 - 1) / 0.5 = 2, then (2 - 1) / 2
    assert bc.transform(np.array([3.0]))[0] == pytest.approx(0.5)
    assert bc.inverse(np.array([0.5]))[0] == pytest.approx(3.0)
    log = BoxCox(lam=0.0, shift=1.0, mean=0.0, std=1.0)
    assert log.transform(np.array([math.e - 1]))[0] == pytest.approx(1.0)
    assert float(log.inverse(torch.tensor([1.0], dtype=torch.float64))) == pytest.approx(math.e - 1)


def _speeds(seed=0, shape=(300, 4)):
    rng = np.random.default_rng(seed)
    return np.clip(65 - rng.gamma(2.0, 6.0, size=shape), 0, None)   # left-skewed, some zeros


def test_boxcox_round_trip():
    values = _speeds()
    bc = BoxCox.fit(values)
    z = bc.transform(values)
    np.testing.assert_allclose(bc.inverse(z), values, rtol=1e-6, atol=1e-6)
    assert abs(z.mean()) < 1e-9 and z.std() == pytest.approx(1.0)
    t64 = torch.tensor(values)
    assert torch.allclose(bc.inverse(bc.transform(t64)), t64, rtol=1e-6, atol=1e-6)
    t32 = t64.float()
    assert torch.allclose(bc.inverse(bc.transform(t32)), t32, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(bc.transform(t64).numpy(), z, rtol=1e-10, atol=1e-10)


def test_boxcox_lambda_maximises_the_likelihood():
    # Box-Cox log-likelihood up to a constant: (lam - 1) sum log x - n/2 log var(y_lam)
    values = _speeds(1)
    bc = BoxCox.fit(values)
    x = values.ravel() + bc.shift

    def llf(lam):
        y = np.log(x) if lam == 0 else (x ** lam - 1) / lam
        return (lam - 1) * np.log(x).sum() - x.size / 2 * np.log(y.var())

    assert llf(bc.lam) >= max(llf(bc.lam - 0.05), llf(bc.lam + 0.05))


def test_boxcox_is_fitted_on_training_readings_only():
    series = _speeds(2, (400, 3))
    train, test = series[:300], series[300:]
    bc = BoxCox.fit(train)
    other = series.copy()
    other[300:] = 200.0                   # a different test period, same training days
    assert BoxCox.fit(other[:300]) == bc
    assert bc != BoxCox.fit(series)
    assert np.isfinite(bc.transform(test)).all()
    assert bc.shift == 1.0                # zeros in the readings: shift 1 - min(0, 0)
    assert BoxCox.fit(train - 2.0 - train.min()).shift == pytest.approx(3.0)


def test_boxcox_refuses_non_finite_readings():
    values = _speeds()
    bad = values.copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        BoxCox.fit(bad)
    bc = BoxCox.fit(values)
    with pytest.raises(ValueError, match="finite"):
        bc.transform(np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match="finite"):
        bc.transform(torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match="domain"):
        bc.transform(np.array([-5.0]))


def test_boxcox_is_stored_as_a_dict():
    bc = BoxCox.fit(_speeds())
    state = json.loads(json.dumps(dataclasses.asdict(bc)))
    assert BoxCox.from_dict(state) == bc
    assert bc.to_dict() == dataclasses.asdict(bc)


# ---------------------------------------------------------------- models

N = 5


@pytest.fixture
def graphs():
    return random_graph(N, seed=0), random_graph(N, seed=1)


@pytest.mark.parametrize("cls", [DMSTGNODE, STNODE])
def test_model_shape_and_gradients(cls, graphs):
    torch.manual_seed(0)
    model = cls(N, *graphs)
    x = torch.randn(2, 12, N)
    y = model(x)
    assert y.shape == (2, 12, N)
    y.square().mean().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    assert not missing
    bad = [name for name, p in model.named_parameters() if not torch.isfinite(p.grad).all()]
    assert not bad


def test_chebyshev_weights_are_initialised(graphs):
    # Glorot-uniform over [Ks * c_in, c_out]: |theta| <= sqrt(6 / (fan_in + fan_out))
    model = DMSTGNODE(N, *graphs)
    for block in model.st.blocks:
        ks, c_in, c_out = block.spatial.theta.shape
        bound = math.sqrt(6 / (ks * c_in + c_out))
        assert 0 < block.spatial.theta.abs().max() <= bound
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_dmst_gnode_other_horizons_and_solver(graphs):
    torch.manual_seed(0)
    model = DMSTGNODE(N, *graphs, n_his=12, n_pred=3, hidden=8, ode_method="dopri5")
    assert model(torch.randn(2, 12, N)).shape == (2, 3, N)


def test_dynamic_graph_is_row_stochastic():
    torch.manual_seed(0)
    a = DynamicGraph(N, embed_dim=4)()
    assert a.shape == (N, N)
    assert (a >= 0).all()
    assert torch.allclose(a.sum(dim=1), torch.ones(N))


@pytest.mark.parametrize("cls", [DMSTGNODE, STNODE])
def test_model_names_a_wrong_adjacency(cls, graphs):
    dist, pat = graphs
    with pytest.raises(ValueError, match="distance_adj"):
        cls(N, dist[:4, :4], pat)
    with pytest.raises(ValueError, match="pattern_adj"):
        cls(N, dist, np.ones((N, N + 1)))
    with pytest.raises(ValueError, match="pattern_adj"):
        cls(N, dist, -pat - 1)


@pytest.mark.parametrize("cls", [DMSTGNODE, STNODE])
def test_model_names_a_wrong_input(cls, graphs):
    model = cls(N, *graphs)
    for bad in (torch.randn(2, 11, N), torch.randn(2, 12, N + 1), torch.randn(2, 1, 12, N)):
        with pytest.raises(ValueError, match=r"x: expected \[B, 12, 5\]"):
            model(bad)
    with pytest.raises(ValueError, match="x: expected a float tensor"):
        model(torch.zeros(2, 12, N, dtype=torch.long))
