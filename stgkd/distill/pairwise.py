"""Mean absolute difference between every pair of rows: the kernel of eqs. 7 and 9.

``pairwise_l1_mean(x)[..., i, j] = 1/C sum_c |x[..., i, c] - x[..., j, c]|`` for x
[..., K, C], by ``torch.cdist(p=1)``, which never builds the [..., K, K, C]
difference tensor. The correlation losses do not differentiate through it: their
student side is :func:`pairwise_l1_mse`, which computes the loss and its gradient
together (PyTorch's ``cdist`` backward for p=1 is slow on the CPU).
"""
from __future__ import annotations

import os
import warnings

import torch


def pairwise_l1_mean(x: torch.Tensor) -> torch.Tensor:
    """``1/C sum_c |x_ic - x_jc|`` for every pair (i, j). Shapes: [..., K, C] -> [..., K, K].

    Differentiable (through ``torch.cdist``).
    """
    if x.dim() < 2:
        raise ValueError(f"x: expected [..., K, C], found {list(x.shape)}")
    return torch.cdist(x, x, p=1) / x.shape[-1]


def upper_triangle(matrices: torch.Tensor) -> torch.Tensor:
    """The entries above the diagonal of [..., K, K] matrices, row by row: [..., K(K-1)/2]."""
    k = matrices.shape[-1]
    rows, cols = torch.triu_indices(k, k, offset=1, device=matrices.device)
    return matrices.flatten(-2)[..., rows * k + cols]


# ----------------------------------------------------------------------------- fused loss
#
# The correlation losses (eqs. 8, 10) compare the student's pairwise matrices with the
# teacher's. Built from separate tensor operations, a step makes several passes over
# [M, K, K] tensors (104 MB each for one PeMSD7(M) batch's spatial layer) forward and
# again backward. The loss and its gradient are computed here together, in one
# function that torch.compile fuses into a loop over (matrix, i, j): the forward pass
# keeps the gradient and the backward pass only scales it.

_ELEMENTS_PER_CHUNK = 1 << 25   # bounds the [chunk, C, K, K] difference of the eager path
_COMPILE_FROM_K = 32             # smaller matrices (the temporal ones) run eagerly: cheap already
_compiled = {}


def _loss_and_grad(x: torch.Tensor, teacher: torch.Tensor, index: torch.Tensor,
                   off_diagonal: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum over (m, i, j) of r^2 with r = pairwise_l1_mean(x) - teacher, and
    ``sum_j r_ij sign(x_ic - x_jc)`` (the gradient up to a constant).

    Shapes: x [M, K, C]; teacher [M, P] upper triangles, expanded by ``index`` [K, K];
    ``off_diagonal`` [K, K] zeroes r_ii -> (scalar, [M, K, C]).
    """
    xt = x.transpose(1, 2)                                    # [M, C, K]
    diff = xt[:, :, :, None] - xt[:, :, None, :]              # [M, C, K, K]
    r = (diff.abs().mean(1) - teacher[:, index].to(x.dtype)) * off_diagonal
    grad = (r[:, None] * torch.sign(diff)).sum(-1)            # [M, C, K]
    return (r * r).sum(), grad.transpose(1, 2)


def _kernel(use_compile: bool):
    if not use_compile:
        return _loss_and_grad
    if "fn" not in _compiled:
        # one compiled kernel per (K, C); the number of matrices M varies (chunks, the
        # last batch), so that dimension is dynamic
        _compiled["fn"] = torch.compile(_loss_and_grad, dynamic=False)
    return _compiled["fn"]


def fused_compile_enabled() -> bool:
    """Whether the fused correlation loss uses torch.compile (default yes; set
    ``STGKD_FUSED_COMPILE=0`` to run it eagerly, e.g. without a C++ compiler; after a
    failed compile this process runs it eagerly)."""
    return os.environ.get("STGKD_FUSED_COMPILE", "1") != "0" and "failed" not in _compiled


class _PairwiseL1MSE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        m, k, c = x.shape
        pairs = k * (k - 1) // 2
        rows, cols = torch.triu_indices(k, k, offset=1, device=x.device)
        index = torch.zeros(k, k, dtype=torch.long, device=x.device)
        index[rows, cols] = index[cols, rows] = torch.arange(pairs, device=x.device)
        off_diagonal = 1 - torch.eye(k, dtype=x.dtype, device=x.device)
        kernel = _kernel(fused_compile_enabled() and k >= _COMPILE_FROM_K)
        chunk = max(1, _ELEMENTS_PER_CHUNK // (c * k * k))
        total = x.new_zeros(())
        grad = torch.empty_like(x)
        for start in range(0, m, chunk):
            x_part, teacher_part = x[start:start + chunk], teacher[start:start + chunk]
            if kernel is not _loss_and_grad:
                torch._dynamo.mark_dynamic(x_part, 0)
                torch._dynamo.mark_dynamic(teacher_part, 0)
            try:
                part, grad[start:start + chunk] = kernel(x_part, teacher_part, index,
                                                         off_diagonal)
            except Exception as error:  # noqa: BLE001 - torch.compile may lack a compiler
                if kernel is _loss_and_grad:
                    raise
                warnings.warn(f"fused correlation loss: torch.compile failed ({error!r:.200}); "
                              f"running eagerly", RuntimeWarning)
                _compiled["failed"] = True
                kernel = _loss_and_grad
                part, grad[start:start + chunk] = kernel(x_part, teacher_part, index,
                                                         off_diagonal)
            total = total + part
        # loss = sum_all r^2 / (2 M P) (each pair counted twice);
        # d loss / d x_ic = 2 / (M P C) * sum_j r_ij sign(x_ic - x_jc)
        ctx.save_for_backward(grad * (2.0 / (m * pairs * c)))
        return total / (2 * m * pairs)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        (grad,) = ctx.saved_tensors
        return grad_output * grad, None


def pairwise_l1_mse(x: torch.Tensor, teacher_triangles: torch.Tensor) -> torch.Tensor:
    """Mean over matrices and pairs i < j of ``(pairwise_l1_mean(x)_ij - T_ij)^2``:
    the student side of eqs. 8 and 10, computed with its gradient in one fused pass.

    Shapes: x [..., K, C] (the student's features, with gradient); teacher_triangles
    [..., K(K-1)/2] (no gradient; any float dtype, compared in x's dtype) -> scalar.
    """
    if x.dim() < 2:
        raise ValueError(f"x: expected [..., K, C], found {list(x.shape)}")
    k, c = x.shape[-2:]
    if k < 2:
        raise ValueError(f"expected at least two time steps / nodes to pair, found {k}")
    pairs = k * (k - 1) // 2
    if teacher_triangles.shape != x.shape[:-2] + (pairs,):
        raise ValueError(f"teacher correlations: expected upper triangles "
                         f"{list(x.shape[:-2]) + [pairs]}, found {list(teacher_triangles.shape)}")
    return _PairwiseL1MSE.apply(x.reshape(-1, k, c), teacher_triangles.detach().reshape(-1, pairs))
