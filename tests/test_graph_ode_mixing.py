"""The graph ODE's feature and time mixing matrices: what STGODE's parameterisation
guarantees ("free") and the bounded option ("orthonormal")."""
import numpy as np
import pytest
import torch

from stgkd.nn.dmst_gnode import DMSTGNODE
from stgkd.nn.graph_ode import MIXINGS, GraphODE

from conftest import random_graph


def _ode(mixing, channels=2, steps=3, nodes=4):
    return GraphODE(nodes, channels, steps, mixing=mixing)


def test_free_mixing_eigenvalues_grow_with_the_basis():
    """P = 2 I, d = (0.5, 1): W = P diag(d) P^T = diag(2, 4), eigenvalues beyond 1."""
    ode = _ode("free")
    with torch.no_grad():
        ode.feature_basis.copy_(2 * torch.eye(2))
        ode.feature_scale.copy_(torch.tensor([0.5, 1.0]))
    w = ode._mixing(ode.feature_basis, ode.feature_scale)
    assert torch.allclose(w, torch.diag(torch.tensor([2.0, 4.0])))


def test_orthonormal_mixing_has_the_clamped_scales_as_eigenvalues():
    """Whatever the basis, Q diag(clamp(d, 0, 1)) Q^T has eigenvalues clamp(d)."""
    ode = _ode("orthonormal", channels=4)
    with torch.no_grad():
        ode.feature_basis.copy_(3 * torch.randn(4, 4, generator=torch.Generator().manual_seed(0)))
        ode.feature_scale.copy_(torch.tensor([-0.5, 0.25, 0.75, 1.5]))
    w = ode._mixing(ode.feature_basis, ode.feature_scale).detach().double()
    assert torch.allclose(w, w.T, atol=1e-6)
    eig = torch.linalg.eigvalsh(w)
    assert torch.allclose(eig, torch.tensor([0.0, 0.25, 0.75, 1.0], dtype=torch.float64),
                          atol=1e-5)


def test_both_mixings_are_the_same_map_at_the_start():
    x = torch.randn(2, 2, 3, 4, generator=torch.Generator().manual_seed(1))
    adjacency = torch.tensor(random_graph(4, seed=2) + np.eye(4), dtype=torch.float32)
    free, bounded = _ode("free"), _ode("orthonormal")
    bounded.load_state_dict(free.state_dict())
    assert torch.allclose(free(x, adjacency), bounded(x, adjacency), atol=1e-6)


@pytest.mark.parametrize("mixing, reaches", [("free", False), ("orthonormal", True)])
def test_a_scale_past_the_clamp_gets_a_gradient_only_when_bounded(mixing, reaches):
    """Scales start at the clamp's bound 1; one pushed to 1.02 gets no gradient under
    STGODE's clamp, and does under the straight-through clamp of the bounded option."""
    ode = _ode(mixing)
    with torch.no_grad():
        ode.feature_scale.fill_(1.02)
        ode.temporal_scale.fill_(1.02)
    x = torch.randn(2, 2, 3, 4, generator=torch.Generator().manual_seed(3))
    adjacency = torch.eye(4)
    ode(x, adjacency).pow(2).sum().backward()
    for scale in (ode.feature_scale, ode.temporal_scale):
        assert (scale.grad is not None and bool(scale.grad.abs().sum() > 0)) == reaches


def test_dmst_gnode_passes_the_mixing_to_every_graph_ode():
    w = random_graph(5, seed=0)
    model = DMSTGNODE(5, w, w, ode_mixing="orthonormal")
    odes = [m for m in model.modules() if isinstance(m, GraphODE)]
    assert len(odes) == 6 and {m.mixing for m in odes} == {"orthonormal"}
    assert model.config["ode_mixing"] == "orthonormal"
    assert DMSTGNODE(5, w, w).config["ode_mixing"] == "free"
    assert set(MIXINGS) == {"free", "orthonormal"}
    with pytest.raises(ValueError, match="mixing"):
        DMSTGNODE(5, w, w, ode_mixing="unit")
