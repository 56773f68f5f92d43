"""Mean absolute difference between every pair of rows: the kernel of eqs. 7 and 9.

``pairwise_l1_mean(x)[..., i, j] = 1/C sum_c |x[..., i, c] - x[..., j, c]|`` for x
[..., K, C], by ``torch.cdist(p=1)``, which never builds the [..., K, K, C]
difference tensor. The correlation losses do not differentiate through it: their
student side is :func:`pairwise_l1_mse`, which computes the loss and its gradient
together (PyTorch's ``cdist`` backward for p=1 is slow on the CPU), and
:func:`pairwise_l1_mse_streamed`, the same loss for graphs whose [K, K] matrices do not
fit in memory (the teacher's side computed a block of rows at a time).
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

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


# ----------------------------------------------------------------------------- pair layout

def cyclic_pair_index(k: int, device: torch.device | str | None = None) -> torch.Tensor:
    """[K//2, K] positions in the row-major upper triangle (:func:`upper_triangle`) of the
    pair (i, (i + d) mod K) at [d - 1, i].

    Every pair i < j appears once, except, for even K, those at offset K/2, which appear
    twice (at rows i and i + K/2).
    """
    i = torch.arange(k, device=device)[None, :]
    j = (i + torch.arange(1, k // 2 + 1, device=device)[:, None]) % k
    a, b = torch.minimum(i, j), torch.maximum(i, j)
    return a * k - a * (a + 1) // 2 + (b - a - 1)


@dataclass(frozen=True)
class CyclicPairs:
    """Symmetric zero-diagonal matrices [..., K, K] stored by cyclic offset:
    ``values[..., d - 1, i] = M[i, (i + d) mod K]`` for d = 1..K//2, shape [..., K//2, K].

    As many values as the upper triangle for odd K (K/2 more for even K, whose offset
    K/2 is stored twice); the layout :func:`pairwise_l1_mse` reads without gathering.
    """

    values: torch.Tensor

    @property
    def k(self) -> int:
        return self.values.shape[-1]

    @classmethod
    def from_triangles(cls, triangles: torch.Tensor, k: int) -> "CyclicPairs":
        """From row-major upper triangles [..., K(K-1)/2] of [K, K] matrices."""
        if triangles.shape[-1] != k * (k - 1) // 2:
            raise ValueError(f"triangles: expected {k * (k - 1) // 2} values per [{k}, {k}] "
                             f"matrix, found {triangles.shape[-1]}")
        index = cyclic_pair_index(k, triangles.device)
        return cls(triangles[..., index.flatten()].unflatten(-1, index.shape))

    @classmethod
    def of_matrices(cls, matrices: torch.Tensor) -> "CyclicPairs":
        """From symmetric matrices [..., K, K] (their entries above the diagonal)."""
        k = matrices.shape[-1]
        i = torch.arange(k, device=matrices.device)[None, :]
        j = (i + torch.arange(1, k // 2 + 1, device=matrices.device)[:, None]) % k
        return cls(matrices.flatten(-2)[..., (i * k + j).flatten()].unflatten(-1, j.shape))

    def triangles(self) -> torch.Tensor:
        """The row-major upper triangles [..., K(K-1)/2] (inverse of :meth:`from_triangles`)."""
        k = self.k
        out = self.values.new_empty(self.values.shape[:-2] + (k * (k - 1) // 2,))
        out[..., cyclic_pair_index(k, self.values.device).flatten()] = self.values.flatten(-2)
        return out

    def to(self, *args, **kwargs) -> "CyclicPairs":
        return CyclicPairs(self.values.to(*args, **kwargs))


# ----------------------------------------------------------------------------- fused loss
#
# The correlation losses (eqs. 8, 10) compare the student's pairwise matrices with the
# teacher's. The loss and its gradient are computed together, in one function that
# torch.compile fuses into loops over (matrix, offset, row): the forward pass keeps the
# gradient and the backward pass only scales it.
#
# The pairs are visited by cyclic offset (CyclicPairs): pair (i, (i + d) mod K) for
# d = 1..K//2 and every row i. For a fixed offset the partner rows are a contiguous
# slice of the rows written twice, [x, x], so every load is contiguous and vectorises,
# and the teacher's values are read in the same order without an index. (The first
# kernel ran over the dense [K, K] grid and gathered the teacher's upper triangle
# through a [K, K] index, which cost more than the arithmetic.)

ELEMENTS_PER_CHUNK = 1 << 20   # bounds the [chunk, K//2, 2K] buffer of a chunk (4 MB: stays in cache)
# compiled from this many pair entries (M K^2) per call: a layer of a training batch
# (spatial: 500 matrices of 228 x 228; temporal: 11,400 matrices of 4 x 4 to 10 x 10) is
# 0.18-26 M, and runs about 4x faster compiled than eagerly; small calls (tests, tiny
# graphs) skip the compile
_COMPILE_FROM_ELEMENTS = 1 << 17
# the channel count C is a dynamic dimension of the compiled kernel (see _kernel); False
# compiles one kernel per (K, C) as before (benchmarks/pruned_channels_kernel.py)
DYNAMIC_CHANNELS = True
_compiled = {}


def _loss_and_grad(xt: torch.Tensor, xx: torch.Tensor, teacher: torch.Tensor,
                   weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum over pairs of r^2 with r_ij = 1/C sum_c |x_ic - x_jc| - T_ij, and
    ``g_ic = sum_{j != i} r_ij sign(x_ic - x_jc)`` (the gradient up to a constant).

    Shapes: xt [M, C, K] (rows along the last axis); xx [M, C, 2K] = [xt, xt]; teacher
    [M, K//2, K] (CyclicPairs values, any float dtype); weight [K//2, 1]: 1, and 1/2
    for offset K/2 of an even K (each of its pairs is visited twice) -> (scalar, [M, C, K]).
    """
    m, c, k = xt.shape
    h = teacher.shape[1]
    window = xx.unfold(-1, k, 1)                              # [..., s, i] = x[(i + s) mod K]
    diff = xt[:, :, None, :] - window[:, :, 1:h + 1]          # x_i - x_{i+d}, d = 1..H
    r = diff.abs().sum(1) / c - teacher.to(xt.dtype)          # [M, H, K]
    wr = weight * r
    grad = (wr[:, None] * torch.sign(diff)).sum(2)            # i's pairs with i + d
    # i's pairs with i - d: r of pair (i - d, i) sits at [d, i - d]; read it from [wr, wr]
    wr2 = torch.cat([wr, wr], -1)                             # [M, H, 2K]
    back = wr2.as_strided((m, h, k), (h * 2 * k, 2 * k - 1, 1), k - 1)
    diff_back = xt[:, :, None, :] - window[:, :, k - h:k].flip(2)   # x_i - x_{i-d}
    grad = grad + (back[:, None] * torch.sign(diff_back)).sum(2)
    return (wr * r).sum(), grad


def _kernel(use_compile: bool):
    if not use_compile:
        return _loss_and_grad
    if "fn" not in _compiled:
        # one compiled kernel per K (the nodes, or a layer's time steps: a few values).
        # The number of matrices M varies (chunks, the last batch) and so does the
        # channel count C (Algorithm 1 removes channels at every pruning step), so both
        # dimensions are marked dynamic (_fused_sum): compiled per (K, C), a pruning run
        # passed dynamo's recompile limit after 8 shapes and ran the rest eagerly, 4-8x
        # slower per call
        _compiled["fn"] = torch.compile(_loss_and_grad, dynamic=False)
    return _compiled["fn"]


def fused_compile_enabled() -> bool:
    """Whether the fused correlation loss uses torch.compile (default yes; set
    ``STGKD_FUSED_COMPILE=0`` to run it eagerly, e.g. without a C++ compiler; after a
    failed compile this process runs it eagerly)."""
    return os.environ.get("STGKD_FUSED_COMPILE", "1") != "0" and "failed" not in _compiled


def _pair_weight(k: int, dtype: torch.dtype, device) -> torch.Tensor:
    weight = torch.ones(k // 2, 1, dtype=dtype, device=device)
    if k % 2 == 0:
        weight[-1] = 0.5
    return weight


def _fused_sum(x: torch.Tensor, teacher: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum over matrices and pairs of r^2, g [M, K, C]) for x [M, K, C] and teacher
    CyclicPairs values [M, K//2, K], a chunk of matrices at a time."""
    m, k, c = x.shape
    xt = x.detach().transpose(1, 2).contiguous()             # [M, C, K]
    xx = torch.cat([xt, xt], -1)
    weight = _pair_weight(k, x.dtype, x.device)
    kernel = _kernel(fused_compile_enabled() and m * k * k >= _COMPILE_FROM_ELEMENTS)
    chunk = max(1, ELEMENTS_PER_CHUNK // (k * k))
    total = x.new_zeros(())
    grad = torch.empty_like(xt)
    for start in range(0, m, chunk):
        parts = xt[start:start + chunk], xx[start:start + chunk], teacher[start:start + chunk]
        if kernel is not _loss_and_grad:
            for part in parts:
                torch._dynamo.mark_dynamic(part, 0)
            if DYNAMIC_CHANNELS and c > 1:   # a dimension of size 1 is always specialised
                for part in parts[:2]:
                    torch._dynamo.mark_dynamic(part, 1)
        try:
            part, grad[start:start + chunk] = kernel(*parts, weight)
        except Exception as error:  # noqa: BLE001 - torch.compile may lack a compiler
            if kernel is _loss_and_grad:
                raise
            warnings.warn(f"fused correlation loss: torch.compile failed ({error!r:.200}); "
                          f"running eagerly", RuntimeWarning)
            _compiled["failed"] = True
            kernel = _loss_and_grad
            part, grad[start:start + chunk] = kernel(*parts, weight)
        total = total + part
    return total, grad.transpose(1, 2)


class _PairwiseL1MSE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        m, k, c = x.shape
        pairs = k * (k - 1) // 2
        total, grad = _fused_sum(x, teacher)
        # loss = sum_pairs r^2 / (M P); d loss / d x_ic = 2 / (M P C) * sum_j r_ij sign(x_ic - x_jc)
        ctx.save_for_backward(grad * (2.0 / (m * pairs * c)))
        return total / (m * pairs)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        (grad,) = ctx.saved_tensors
        return grad_output * grad, None


def pairwise_l1_mse(x: torch.Tensor, teacher: "torch.Tensor | CyclicPairs") -> torch.Tensor:
    """Mean over matrices and pairs i < j of ``(pairwise_l1_mean(x)_ij - T_ij)^2``:
    the student side of eqs. 8 and 10, computed with its gradient in one fused pass.

    Shapes: x [..., K, C] (the student's features, with gradient); teacher: its
    matrices as upper triangles [..., K(K-1)/2] or as :class:`CyclicPairs` [..., K//2, K]
    (no gradient; any float dtype, compared in x's dtype) -> scalar.
    """
    if x.dim() < 2:
        raise ValueError(f"x: expected [..., K, C], found {list(x.shape)}")
    k, c = x.shape[-2:]
    if k < 2:
        raise ValueError(f"expected at least two time steps / nodes to pair, found {k}")
    pairs = k * (k - 1) // 2
    if isinstance(teacher, CyclicPairs):
        if teacher.values.shape != x.shape[:-2] + (k // 2, k):
            raise ValueError(f"teacher correlations: expected cyclic pairs "
                             f"{list(x.shape[:-2]) + [k // 2, k]}, found "
                             f"{list(teacher.values.shape)}")
        values = teacher.values
    else:
        if teacher.shape != x.shape[:-2] + (pairs,):
            raise ValueError(f"teacher correlations: expected upper triangles "
                             f"{list(x.shape[:-2]) + [pairs]}, found {list(teacher.shape)}")
        values = CyclicPairs.from_triangles(teacher, k).values
    return _PairwiseL1MSE.apply(x.reshape(-1, k, c), values.detach().reshape(-1, k // 2, k))


# ----------------------------------------------------------------------------- streamed loss
#
# For a large graph the [K, K] matrices of a batch do not fit in memory (8,600 stations:
# 74 M entries per matrix, 37 GB for the teacher's side of one PeMSD7-sized batch in
# float16). pairwise_l1_mse_streamed takes the teacher's features instead of its
# matrices and walks blocks of rows i of a few matrices at a time: a block [m, R, K] of
# both sides' distances is all that lives, and row i's gradient needs only row i.

_STREAM_BLOCK_ELEMENTS = 1 << 22   # entries of one [matrices, rows, K] block (16 MB float32)


class _StreamedL1MSE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, y: torch.Tensor, block_elements: int) -> torch.Tensor:
        m, k, c = x.shape
        pairs = k * (k - 1) // 2
        x, y = x.detach(), y.detach().to(x.dtype)
        grad = torch.empty_like(x)
        total = x.new_zeros(())
        rows = max(1, min(k, block_elements // k))
        matrices = max(1, block_elements // (rows * k))
        for s in range(0, m, matrices):
            xs, ys = x[s:s + matrices], y[s:s + matrices]
            for i in range(0, k, rows):
                # full rows i..i+R of both sides' distance matrices (diagonal: 0 - 0)
                r = (torch.cdist(xs[:, i:i + rows], xs, p=1) / c
                     - torch.cdist(ys[:, i:i + rows], ys, p=1) / y.shape[-1])   # [m, R, K]
                total = total + (r * r).sum() / 2      # each pair is in two rows
                for channel in range(c):
                    sign = torch.sign(xs[:, i:i + rows, channel, None] - xs[:, None, :, channel])
                    grad[s:s + matrices, i:i + rows, channel] = (r * sign).sum(-1)
        ctx.save_for_backward(grad * (2.0 / (m * pairs * c)))
        return total / (m * pairs)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        (grad,) = ctx.saved_tensors
        return grad_output * grad, None, None


def pairwise_l1_mse_streamed(x: torch.Tensor, y: torch.Tensor,
                             block_elements: int | None = None) -> torch.Tensor:
    """:func:`pairwise_l1_mse` with the teacher given by its features: the mean over
    matrices and pairs i < j of ``(pairwise_l1_mean(x)_ij - pairwise_l1_mean(y)_ij)^2``,
    never holding more than ``block_elements`` (default 2^22) entries of a distance
    matrix per side: rows i are taken in blocks as well as matrices.

    Shapes: x [..., K, C_s] (with gradient), y [..., K, C_t] (no gradient) -> scalar.
    """
    if x.dim() < 2 or y.shape[:-1] != x.shape[:-1]:
        raise ValueError(f"x, y: expected [..., K, C_s] and [..., K, C_t] with the same "
                         f"[..., K], found {list(x.shape)} and {list(y.shape)}")
    k = x.shape[-2]
    if k < 2:
        raise ValueError(f"expected at least two time steps / nodes to pair, found {k}")
    return _StreamedL1MSE.apply(x.reshape(-1, k, x.shape[-1]), y.reshape(-1, k, y.shape[-1]),
                                block_elements or _STREAM_BLOCK_ELEMENTS)
