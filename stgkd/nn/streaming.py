"""Multi-step STGCN forecasts that compute only what each new step changes.

Every STGCN layer is local in time: a temporal convolution's output at step tau
depends on inputs tau .. tau + Kt - 1 only, and the graph convolution, the LayerNorm
(over nodes and channels at each step) and dropout act on one step at a time. When
a rollout appends its prediction and drops the oldest input step, every hidden
sequence therefore shifts by one step and gains exactly one new step. This module
keeps each layer's output sequence and computes only that newest step: after the
first full forward pass, a rollout step costs about one time step of every layer
instead of all of them (the teacher's first temporal layer has 10), with the same
numbers as re-running the whole model (the same operations on the same values).

Shapes: history [B, 1, n_his, N] -> forecasts [B, n_steps, N].
"""
from __future__ import annotations

import torch

from stgkd.nn.stgcn import STGCN


def _shift(sequence: torch.Tensor, newest: torch.Tensor) -> torch.Tensor:
    """Drop the oldest step of ``sequence`` [B, C, T, N] and append ``newest`` [B, C, 1, N]."""
    return torch.cat([sequence[:, :, 1:], newest], dim=2)


def streaming_rollout(model: STGCN, history: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Predict ``n_steps`` ahead by feeding each prediction back (as
    :func:`stgkd.evaluate.rollout`), computing only the newest step of every layer.

    The model must be in eval mode (dropout would draw new masks for the kept steps).
    """
    if model.training:
        raise ValueError("streaming_rollout: expected a model in eval mode, found training mode")
    if history.dim() != 4 or history.shape[1] != 1:
        raise ValueError(f"history: expected [B, 1, T, N], found {list(history.shape)}")
    kt = model.config["kt"]
    # the full first pass, keeping each block's input and graph-conv output sequences
    # (what a temporal convolution reads) and the last block's output (what the
    # output layer reads)
    inputs, spatial = [], []
    x = history
    for block in model.blocks:
        inputs.append(x)
        spatial.append(block.spatial(block.temporal_in(x)))
        x = block.dropout(block.norm(block.temporal_out(spatial[-1])))
    last = x
    steps = [model.output(last)]
    # a temporal convolution of width kt reads its last kt input steps: with the newest
    # appended, only the kt - 1 before it are still needed, so each kept sequence is cut
    # to those (shifting whole sequences was most of a large batch's rollout time)
    keep = kt - 1
    inputs = [seq[:, :, seq.shape[2] - keep:] for seq in inputs]
    spatial = [seq[:, :, seq.shape[2] - keep:] for seq in spatial]
    for _ in range(1, n_steps):
        newest = steps[-1][:, None, None, :]                       # [B, 1, 1, N]
        for k, block in enumerate(model.blocks):
            window = torch.cat([inputs[k], newest], dim=2)          # [B, C, kt, N]
            s = block.spatial(block.temporal_in(window))            # [B, C, 1, N]
            inputs[k] = window[:, :, 1:]
            window = torch.cat([spatial[k], s], dim=2)
            newest = block.dropout(block.norm(block.temporal_out(window)))
            spatial[k] = window[:, :, 1:]
        last = _shift(last, newest)                 # the output layer reads all its steps
        steps.append(model.output(last))
    return torch.stack(steps, dim=1)
