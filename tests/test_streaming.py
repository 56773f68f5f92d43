"""The streaming rollout computes only the newest step of every layer; its forecasts
must equal re-running the whole model on each shifted window (the reference)."""
import numpy as np
import pytest
import torch
from conftest import random_graph

from stgkd.evaluate import forecast, rollout
from stgkd.nn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, STGCN
from stgkd.nn.layers import time_conv
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


@pytest.mark.parametrize("kernel, steps", [(3, 3), (1, 5), (3, 5)])
def test_time_conv_in_compiled_inference_equals_the_convolution(kernel, steps):
    """Under torch.compile without autograd, a 1x1 kernel or one spanning all input steps
    is computed as a matrix product; any other kernel stays a convolution."""
    torch.manual_seed(2)
    conv = torch.nn.Conv2d(4, 6, (kernel, 1))
    x = torch.randn(2, 4, steps, 7)
    traced = torch.compile(lambda v: time_conv(conv, v), backend="eager", fullgraph=True)
    with torch.no_grad():
        got = traced(x)
    assert got.shape == (2, 6, steps - kernel + 1, 7)
    assert torch.allclose(got, conv(x).detach(), atol=1e-6)


def test_compiled_streaming_equals_the_full_rollout():
    """The compiled forecast (TorchInductor, products in place of convolutions) against
    the eager reference that re-runs the whole model each step."""
    torch.manual_seed(3)
    model = STGCN(7, [[1, 8, 16], [16, 4, 8]], weights=graph(7)).eval()
    history = torch.randn(1, 1, 12, 7)
    compiled = torch.compile(lambda h: streaming_rollout(model, h, 9))
    with torch.no_grad():
        expected = rollout(model, history, 9)
        got = compiled(history)
    assert torch.allclose(got, expected, atol=1e-5)
