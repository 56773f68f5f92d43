"""The training-step variants of benchmarks/train_step_variants.py compute what the eager
STGCN computes: outputs to 1e-5 and gradients to 1e-4 of their norm, for a plain and a
pruned-style architecture (projection, padding and index-map residuals)."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from stgkd.nn import STGCN

# the benchmark script, loaded from its file (benchmarks/ is not a package)
_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "train_step_variants.py"
_SPEC = importlib.util.spec_from_file_location("train_step_variants", _SCRIPT)
variants = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(variants)

NODES = 6
EAGER_VARIANTS = ["channels_last", "sparse_laplacian", "time_major", "time_major_sparse",
                  "cheb_basis", "component_blocks", "folded_residual", "folded_residual_sparse"]


def ring_weights() -> np.ndarray:
    """A ring of 6 nodes with one chord: a sparse symmetric graph."""
    w = np.zeros((NODES, NODES))
    for i in range(NODES):
        w[i, (i + 1) % NODES] = w[(i + 1) % NODES, i] = 1.0 + 0.1 * i
    w[0, 3] = w[3, 0] = 0.5
    return w


ARCHITECTURES = {
    "plain": dict(blocks=[[1, 3, 4], [4, 2, 5]]),
    "pruned": dict(blocks=[[1, 3, 4], [4, 3, 5]], spatial_channels=[2, 2], output_channels=[4, 3],
                   residuals={"blocks.0.spatial": [2, 0], "blocks.0.temporal_out": [1, -1, 0, -1],
                              "blocks.1.temporal_in": "project", "output.temporal": "project"}),
}


def make_model(name: str, seed: int = 0) -> STGCN:
    torch.manual_seed(seed)
    model = STGCN(NODES, weights=ring_weights(), **ARCHITECTURES[name])
    with torch.no_grad():   # non-trivial LayerNorm scales and biases
        for param in model.parameters():
            param.add_(0.1 * torch.randn_like(param))
    return model


@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
@pytest.mark.parametrize("variant", EAGER_VARIANTS)
def test_variant_matches_the_eager_model_in_outputs_and_gradients(architecture, variant):
    reference, model = make_model(architecture), make_model(architecture)
    forward = variants.VARIANTS[variant](model)
    torch.manual_seed(1)
    x, y = torch.randn(4, 1, 12, NODES), torch.randn(4, NODES)
    check = variants.agreement(reference, forward, model, x, y)
    assert check["max_abs_output_diff"] <= variants.OUTPUT_TOLERANCE
    assert check["rel_gradient_diff"] <= variants.GRADIENT_TOLERANCE
    # and the outputs are the model's, not e.g. zeros that a zero reference would match
    with torch.no_grad():
        torch.testing.assert_close(forward(x), reference(x), atol=1e-5, rtol=0)
        assert reference(x).abs().max() > 0.1


def test_component_blocks_keeps_the_model_on_a_graph_of_interleaved_components():
    """Two triangles, nodes 0-2-4 and 1-3-5 (and an isolated pair of weights within each):
    the component order moves every other station, so a wrong permutation of the input,
    the LayerNorms' per-node parameters or the output shows."""
    w = np.zeros((NODES, NODES))
    for a, b, weight in ((0, 2, 1.0), (2, 4, 0.7), (0, 4, 0.4), (1, 3, 0.9), (3, 5, 0.6)):
        w[a, b] = w[b, a] = weight
    torch.manual_seed(0)
    reference = STGCN(NODES, weights=w, blocks=[[1, 3, 4], [4, 2, 5]])
    with torch.no_grad():
        for param in reference.parameters():
            param.add_(0.1 * torch.randn_like(param))
    model = STGCN(NODES, weights=w, blocks=[[1, 3, 4], [4, 2, 5]])
    model.load_state_dict(reference.state_dict())
    forward = variants.VARIANTS["component_blocks"](model)
    x, y = torch.randn(4, 1, 12, NODES), torch.randn(4, NODES)
    check = variants.agreement(reference, forward, model, x, y)
    assert check["max_abs_output_diff"] <= variants.OUTPUT_TOLERANCE
    assert check["rel_gradient_diff"] <= variants.GRADIENT_TOLERANCE


def test_agreement_reports_a_variant_that_computes_something_else():
    reference, model = make_model("plain"), make_model("plain")
    x, y = torch.randn(4, 1, 12, NODES), torch.randn(4, NODES)
    check = variants.agreement(reference, lambda v: 1.01 * model(v), model, x, y)
    expected_gap = (0.01 * reference(x)).abs().max().item()
    assert check["max_abs_output_diff"] == pytest.approx(expected_gap, rel=1e-3)
    assert check["rel_gradient_diff"] > variants.GRADIENT_TOLERANCE


def test_block_diagonal_laplacian_is_one_copy_per_block():
    laplacian = torch.tensor([[1.0, -0.5, 0.0], [-0.5, 1.0, 0.25], [0.0, 0.25, 0.0]])
    found = variants.block_diagonal_laplacian(laplacian, 3).to_dense()
    torch.testing.assert_close(found, torch.block_diag(laplacian, laplacian, laplacian))


def test_bf16_autocast_is_timed_as_approximate_and_changes_the_numbers():
    assert "bf16_autocast" in variants.APPROXIMATE
    reference, model = make_model("plain"), make_model("plain")
    torch.manual_seed(1)
    x, y = torch.randn(4, 1, 12, NODES), torch.randn(4, NODES)
    check = variants.agreement(reference, variants.VARIANTS["bf16_autocast"](model), model, x, y)
    # bfloat16 keeps 8 bits of mantissa: about 1e-3 relative, far above the tolerance
    assert check["max_abs_output_diff"] > variants.OUTPUT_TOLERANCE
    assert check["max_abs_output_diff"] < 0.1
