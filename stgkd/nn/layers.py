"""The layers of STGCN (Yu et al. 2018), in the layout of the original code.

Tensors are [B, C, T, N]: batch, channels, time steps, nodes.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ChannelAlign(nn.Module):
    """Residual path that matches channel counts: identity, zero-padding when the
    channels grow, a bias-free 1x1 convolution when they shrink (as in STGCN)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.c_in, self.c_out = c_in, c_out
        self.project = nn.Conv2d(c_in, c_out, 1, bias=False) if c_in > c_out else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.project is not None:
            return self.project(x)
        if self.c_in < self.c_out:
            return F.pad(x, (0, 0, 0, 0, 0, self.c_out - self.c_in))
        return x


class TemporalConv(nn.Module):
    """Gated or plain 1-D convolution along time, shared by all nodes.

    ``activation``: ``"glu"`` gives ``(P + x_res) * sigmoid(Q)`` with ``[P, Q]`` the
    convolution's two halves; ``"relu"`` gives ``relu(conv + x_res)``;
    ``"sigmoid"`` gives ``sigmoid(conv)`` without residual.

    Shapes: [B, c_in, T, N] -> [B, c_out, T - kernel + 1, N].
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, activation: str = "relu"):
        super().__init__()
        if activation not in ("glu", "relu", "sigmoid"):
            raise ValueError(f"activation: expected glu, relu or sigmoid, found {activation!r}")
        self.c_out, self.kernel, self.activation = c_out, kernel, activation
        width = 2 * c_out if activation == "glu" else c_out
        self.conv = nn.Conv2d(c_in, width, (kernel, 1))
        self.align = ChannelAlign(c_in, c_out) if activation != "sigmoid" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        if self.activation == "sigmoid":
            return torch.sigmoid(out)
        residual = self.align(x)[:, :, self.kernel - 1:, :]
        if self.activation == "glu":
            return (out[:, : self.c_out] + residual) * torch.sigmoid(out[:, self.c_out:])
        return torch.relu(out + residual)


class ChebGraphConv(nn.Module):
    """Chebyshev graph convolution ``relu(sum_k T_k(L~) X Theta_k + b + X)`` (STGCN eq. 3).

    The terms ``T_k(L~) X`` come from the recursion ``X_0 = X``, ``X_1 = X L~``,
    ``X_k = 2 X_{k-1} L~ - X_{k-2}``: one [*, N] x [N, N] product per order
    instead of a product with each stored polynomial (T_0 = I costs nothing).
    The orders are stacked as channels, so ``Theta`` [Ks, c_in, c_out] is applied
    as a single 1x1 convolution without moving the node axis.

    Shapes: [B, c_in, T, N] -> [B, c_out, T, N].
    """

    def __init__(self, c_in: int, c_out: int, order: int):
        super().__init__()
        self.order = order
        self.theta = nn.Parameter(torch.empty(order, c_in, c_out))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.align = ChannelAlign(c_in, c_out)
        self.register_buffer("laplacian", torch.empty(0), persistent=False)

    def set_graph(self, scaled_laplacian: torch.Tensor) -> None:
        """Use the [N, N] scaled Laplacian ``2 L / lambda_max - I`` of a symmetric graph."""
        if scaled_laplacian.ndim != 2 or scaled_laplacian.shape[0] != scaled_laplacian.shape[1]:
            raise ValueError(f"scaled_laplacian: expected [N, N], found {list(scaled_laplacian.shape)}")
        self.laplacian = scaled_laplacian.to(self.theta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.laplacian.numel() == 0:
            raise RuntimeError("ChebGraphConv: no graph set; call STGCN.set_graph(weights) first")
        terms = [x]
        if self.order > 1:
            terms.append(x @ self.laplacian)  # L~ is symmetric, so X L~ = (L~ X^T)^T
        for _ in range(2, self.order):
            terms.append(2 * (terms[-1] @ self.laplacian) - terms[-2])
        stacked = torch.cat(terms, dim=1)                      # [B, Ks * c_in, T, N]
        kernel = self.theta.permute(2, 0, 1).flatten(1)[:, :, None, None]  # [c_out, Ks*c_in, 1, 1]
        out = F.conv2d(stacked, kernel, self.bias)
        return torch.relu(out + self.align(x))


class NodeChannelNorm(nn.Module):
    """LayerNorm over [nodes, channels] at every time step, with a scale and a
    shift per node and channel (2 N C parameters), as in STGCN.

    Shapes: [B, C, T, N] -> [B, C, T, N].
    """

    def __init__(self, n_nodes: int, channels: int, eps: float = 1e-6):
        super().__init__()
        self.norm = nn.LayerNorm([n_nodes, channels], eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
