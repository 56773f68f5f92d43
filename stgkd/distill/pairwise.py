"""Mean absolute difference between every pair of rows: the kernel of eqs. 7 and 9.

``pairwise_l1_mean(x)[..., i, j] = 1/C sum_c |x[..., i, c] - x[..., j, c]|`` for x
[..., K, C]. The forward pass is ``torch.cdist(p=1)``, which never builds the
[..., K, K, C] difference tensor. Its backward is written here because PyTorch's
``cdist`` backward for p=1 is slow on the CPU (it dominated an LSCD training step):
with G the incoming gradient [..., K, K],

    dL/dx[..., i, c] = 1/C sum_j (G_ij + G_ji) sign(x_ic - x_jc),

computed one channel at a time, so memory stays at one [..., K, K] tensor.
"""
from __future__ import annotations

import torch


class _PairwiseL1Mean(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.cdist(x, x, p=1) / x.shape[-1]

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        symmetric = grad + grad.transpose(-1, -2)       # d/dx_i sees both (i, j) and (j, i)
        grad_x = torch.empty_like(x)
        for c in range(x.shape[-1]):
            column = x[..., c]                          # [..., K]
            sign = torch.sign(column.unsqueeze(-1) - column.unsqueeze(-2))  # [..., K, K]
            grad_x[..., c] = (symmetric * sign).sum(-1)
        return grad_x / x.shape[-1]


def pairwise_l1_mean(x: torch.Tensor) -> torch.Tensor:
    """``1/C sum_c |x_ic - x_jc|`` for every pair (i, j). Shapes: [..., K, C] -> [..., K, K].

    Differentiable (sub-gradient 0 where two entries are equal, as ``torch.abs``).
    """
    if x.dim() < 2:
        raise ValueError(f"x: expected [..., K, C], found {list(x.shape)}")
    if not x.requires_grad:
        return torch.cdist(x, x, p=1) / x.shape[-1]
    return _PairwiseL1Mean.apply(x)


def upper_triangle(matrices: torch.Tensor) -> torch.Tensor:
    """The entries above the diagonal of [..., K, K] matrices, row by row: [..., K(K-1)/2]."""
    k = matrices.shape[-1]
    rows, cols = torch.triu_indices(k, k, offset=1, device=matrices.device)
    return matrices.flatten(-2)[..., rows * k + cols]
