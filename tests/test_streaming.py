"""The streaming rollout computes only the newest step of every layer; its forecasts
must equal re-running the whole model on each shifted window (the reference)."""
import numpy as np
import pytest
import torch
from conftest import random_graph

from stgkd.evaluate import forecast, rollout
from stgkd.nn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, STGCN
from stgkd.nn.streaming import streaming_rollout


def graph(n, seed=0):
    return random_graph(n, seed, threshold=0.5)


@pytest.mark.parametrize("blocks", [STUDENT_BLOCKS, PRUNING_BASE_BLOCKS, [[1, 8, 16], [16, 4, 8]]])
def test_streaming_equals_the_full_rollout(blocks):
    torch.manual_seed(0)
    model = STGCN(7, blocks, weights=graph(7)).eval()
    with torch.no_grad():   # trained-looking LayerNorm scales and node biases, not the init
        for name, param in model.named_parameters():
            if "norm" in name or "node_bias" in name:
                param.add_(0.3 * torch.randn_like(param))
    history = torch.randn(5, 1, 12, 7)
    with torch.no_grad():
        expected = rollout(model, history, 9)
        got = streaming_rollout(model, history, 9)
    assert got.shape == (5, 9, 7)
    assert torch.allclose(got, expected, atol=1e-5)


def test_forecast_uses_streaming_with_the_same_numbers():
    torch.manual_seed(1)
    model = STGCN(6, STUDENT_BLOCKS, weights=graph(6, 1))
    windows = torch.randn(11, 21, 6)
    streamed = forecast(model, windows, 12, 9, batch_size=4)
    reference = forecast(model, windows, 12, 9, batch_size=4, streaming=False)
    assert torch.allclose(streamed, reference, atol=1e-5)
    assert model.training   # forecast restores the mode it found


def test_streaming_refuses_a_model_in_training_mode():
    model = STGCN(6, STUDENT_BLOCKS, weights=graph(6))
    with pytest.raises(ValueError, match="eval mode"):
        streaming_rollout(model, torch.randn(1, 1, 12, 6), 3)
