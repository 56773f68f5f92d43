"""Model size and cost: parameter counts and FLOPs per input window."""
from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@torch.no_grad()
def flops_per_window(model: nn.Module, n_his: int, n_nodes: int, channels: int = 1) -> int:
    """Floating-point operations of one forward pass on one window [1, C, n_his, N].

    Counted by ``torch.utils.flop_counter`` (matrix products and convolutions,
    2 FLOPs per multiply-add; element-wise operations are not counted).
    """
    param = next(model.parameters())
    window = torch.zeros(1, channels, n_his, n_nodes, dtype=param.dtype, device=param.device)
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with counter:
        model(window)
    model.train(was_training)
    return int(counter.get_total_flops())
