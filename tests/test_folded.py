"""The folded rollout (stgkd.nn.folded) computes the streaming rollout's forecast."""
import pytest
import torch
from conftest import random_graph

from stgkd.nn import STUDENT_BLOCKS, STGCN
from stgkd.nn.folded import FoldedRollout, chebyshev_matrices, residual_matrix
from stgkd.nn.layers import ChannelAlign
from stgkd.nn.streaming import streaming_rollout


def perturbed(model: STGCN, seed: int) -> STGCN:
    """``model`` with every parameter moved off its initial value (LayerNorm's scale 1
    and shift 0, zero biases would hide a misplaced scale or bias)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.3 * torch.randn(param.shape, generator=generator, dtype=param.dtype))
    return model.eval()


def test_chebyshev_matrices_by_hand():
    lap = torch.tensor([[0.0, 0.5], [0.5, 0.0]])
    terms = chebyshev_matrices(lap, 3)
    # T_2 = 2 L^2 - I = 2 [[.25, 0], [0, .25]] - I = -0.5 I
    assert torch.allclose(terms[0], torch.eye(2, dtype=torch.float64))
    assert torch.allclose(terms[1], lap.double())
    assert torch.allclose(terms[2], -0.5 * torch.eye(2, dtype=torch.float64))


def test_residual_matrix_of_each_mode():
    assert torch.equal(residual_matrix(ChannelAlign(2, 3)),
                       torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))      # padding
    assert torch.equal(residual_matrix(ChannelAlign(3, 2, [2, -1])),
                       torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]))        # index map
    project = ChannelAlign(3, 2)                                               # shrinking
    assert torch.equal(residual_matrix(project), project.project.weight[:, :, 0, 0])


@pytest.mark.parametrize("config", [
    {"blocks": STUDENT_BLOCKS},
    {"blocks": [[1, 4, 8], [8, 4, 16]]},
    # a pruned model: other graph-conv and output channels, index-map and projected residuals
    {"blocks": [[1, 3, 5], [5, 2, 4]], "spatial_channels": [2, 3], "output_channels": [3, 2],
     "residuals": {"blocks.0.temporal_in": [0, -1, -1], "blocks.1.spatial": "project",
                   "blocks.1.temporal_out": [2, 0, -1, 1], "output.temporal": [3, -1, 1]}},
])
def test_folded_rollout_equals_the_streaming_rollout(config):
    torch.manual_seed(0)
    model = perturbed(STGCN(7, **config, weights=random_graph(7, 1)).double(), 1)
    history = torch.randn(3, 1, 12, 7, dtype=torch.float64)
    with torch.no_grad():
        expected = streaming_rollout(model, history, 5)
        found = FoldedRollout(model, 5)(history)
    assert found.shape == (3, 5, 7)
    # float64: only summation order differs
    assert torch.allclose(found, expected, atol=1e-10, rtol=0)


def test_folded_rollout_needs_a_graph_and_a_step():
    model = STGCN(5, STUDENT_BLOCKS)
    with pytest.raises(RuntimeError, match="no graph set"):
        FoldedRollout(model)
    with pytest.raises(ValueError, match="n_steps: expected at least 1"):
        FoldedRollout(STGCN(5, STUDENT_BLOCKS, weights=random_graph(5)), 0)
