"""AST-GCN: attention-based spatio-temporal graph convolution (Guo et al. 2019, ASTGCN).

Only the recent component (the last ``n_his`` readings) is kept, as the DMST-GNODE paper says
it did "to ensure a fair comparison"; the daily and weekly components are left out.
Each block follows the authors' PyTorch code (ASTGCN-r):

1. temporal attention ``E = softmax_1(V_e sigmoid(((X^T U_1) U_2)(U_3 X) + b_e))`` [B, T, T],
   re-weighting the time steps of the input;
2. spatial attention ``S = softmax_1(V_s sigmoid(((X W_1) W_2)(W_3 X)^T + b_s))`` [B, N, N]
   computed on the time-attended input;
3. Chebyshev graph convolution with attention ``relu(sum_k (T_k(L~) . S)^T X Theta_k)`` on the
   block input (no bias, as the original);
4. a temporal convolution (kernel 3, padded, stride 1), a 1x1 residual convolution of the block
   input, ReLU of their sum, LayerNorm over channels.

An output convolution maps the last block's [T, C] features of each node to ``n_pred`` steps.

Readings: the Laplacian is the repository's scaled normalised one (ASTGCN used ``D - W``); the
graph is symmetrised; attention vectors start uniform in ``±1/sqrt(length)``, attention matrices
Glorot-uniform, attention biases zero (the original drew every vector from U(0, 1), which
saturates the sigmoids on 200 nodes). Default widths are 32 filters (the original: 64) so that a
training run fits a 2-core CPU.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stgkd.nn.baselines.validation import chebyshev_basis, check_graph, check_sizes, check_window


def _uniform_vector(param: nn.Parameter) -> None:
    bound = 1.0 / math.sqrt(param.numel())
    nn.init.uniform_(param, -bound, bound)


class TemporalAttention(nn.Module):
    """ASTGCN's temporal attention. Shapes: [B, C, T, N] -> [B, T, T] (columns sum to 1)."""

    def __init__(self, channels: int, n_nodes: int, n_steps: int):
        super().__init__()
        self.u1 = nn.Parameter(torch.empty(n_nodes))
        self.u2 = nn.Parameter(torch.empty(channels, n_nodes))
        self.u3 = nn.Parameter(torch.empty(channels))
        self.be = nn.Parameter(torch.zeros(n_steps, n_steps))
        self.ve = nn.Parameter(torch.empty(n_steps, n_steps))
        _uniform_vector(self.u1)
        _uniform_vector(self.u3)
        nn.init.xavier_uniform_(self.u2)
        nn.init.xavier_uniform_(self.ve)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lhs = torch.einsum("bctn,n->btc", x, self.u1) @ self.u2       # [B, T, N]
        rhs = torch.einsum("c,bctn->bnt", self.u3, x)                 # [B, N, T]
        e = self.ve @ torch.sigmoid(lhs @ rhs + self.be)               # [B, T, T]
        return F.softmax(e, dim=1)


class SpatialAttention(nn.Module):
    """ASTGCN's spatial attention. Shapes: [B, C, T, N] -> [B, N, N] (columns sum to 1)."""

    def __init__(self, channels: int, n_nodes: int, n_steps: int):
        super().__init__()
        self.w1 = nn.Parameter(torch.empty(n_steps))
        self.w2 = nn.Parameter(torch.empty(channels, n_steps))
        self.w3 = nn.Parameter(torch.empty(channels))
        self.bs = nn.Parameter(torch.zeros(n_nodes, n_nodes))
        self.vs = nn.Parameter(torch.empty(n_nodes, n_nodes))
        _uniform_vector(self.w1)
        _uniform_vector(self.w3)
        nn.init.xavier_uniform_(self.w2)
        nn.init.xavier_uniform_(self.vs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lhs = torch.einsum("bctn,t->bnc", x, self.w1) @ self.w2       # [B, N, T]
        rhs = torch.einsum("c,bctn->btn", self.w3, x)                 # [B, T, N]
        s = self.vs @ torch.sigmoid(lhs @ rhs + self.bs)               # [B, N, N]
        return F.softmax(s, dim=1)


class AttentionChebConv(nn.Module):
    """``relu(sum_k (T_k . S)^T X Theta_k)``: Chebyshev graph convolution whose polynomials are
    re-weighted element-wise by the spatial attention S.

    Shapes: x [B, c_in, T, N], S [B, N, N] -> [B, c_out, T, N].
    """

    def __init__(self, c_in: int, c_out: int, basis: torch.Tensor):
        super().__init__()
        self.register_buffer("basis", basis, persistent=False)   # [K, N, N]
        self.theta = nn.Parameter(torch.empty(basis.shape[0], c_in, c_out))
        nn.init.xavier_uniform_(self.theta.view(-1, c_out))

    def forward(self, x: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        # terms[k][b, c, t, m] = sum_n (T_k . S)[b, n, m] x[b, c, t, n]
        terms = [torch.einsum("bctn,bnm->bctm", x, self.basis[k] * attention)
                 for k in range(self.basis.shape[0])]
        stacked = torch.cat(terms, dim=1)                                   # [B, K c_in, T, N]
        kernel = self.theta.permute(2, 0, 1).flatten(1)[:, :, None, None]   # [c_out, K c_in, 1, 1]
        return torch.relu(F.conv2d(stacked, kernel))


class ASTGCNBlock(nn.Module):
    """Temporal attention -> spatial attention -> attention Chebyshev conv -> temporal conv,
    plus a 1x1 residual, ReLU and LayerNorm over channels.

    Shapes: [B, c_in, T, N] -> [B, c_time, T, N].
    """

    def __init__(self, c_in: int, c_cheb: int, c_time: int, n_nodes: int, n_steps: int,
                 basis: torch.Tensor):
        super().__init__()
        self.temporal_attention = TemporalAttention(c_in, n_nodes, n_steps)
        self.spatial_attention = SpatialAttention(c_in, n_nodes, n_steps)
        self.graph_conv = AttentionChebConv(c_in, c_cheb, basis)
        self.time_conv = nn.Conv2d(c_cheb, c_time, (3, 1), padding=(1, 0))
        self.residual = nn.Conv2d(c_in, c_time, 1)
        self.norm = nn.LayerNorm(c_time)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.temporal_attention(x)
        attended = torch.einsum("bctn,bts->bcsn", x, e)
        s = self.spatial_attention(attended)
        out = torch.relu(self.residual(x) + self.time_conv(self.graph_conv(x, s)))
        return self.norm(out.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ASTGCNBranch(nn.Module):
    """ASTGCN blocks on one graph and the output convolution (one ASTGCN component).

    Shapes: [B, 1, n_his, N] -> [B, n_pred, N].
    """

    def __init__(self, n_nodes: int, basis: torch.Tensor, n_his: int, n_pred: int,
                 blocks: int, chev_filters: int, time_filters: int):
        super().__init__()
        if blocks < 1:
            raise ValueError(f"blocks: expected >= 1, found {blocks}")
        self.blocks = nn.ModuleList(
            ASTGCNBlock(1 if i == 0 else time_filters, chev_filters, time_filters, n_nodes,
                        n_his, basis)
            for i in range(blocks))
        # the original's final conv: n_his input channels, kernel (1, time_filters) on [B, T, N, C]
        self.output = nn.Conv2d(n_his, n_pred, (1, time_filters))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.output(x.permute(0, 2, 3, 1))[..., 0]        # [B, n_pred, N]


class ASTGCN(nn.Module):
    """AST-GCN with the recent component only.

    Args:
        n_nodes: number of stations N.
        adjacency: [N, N] distance-graph weights (non-negative, zero diagonal).
        n_his, n_pred: input and output steps (12, 12).
        blocks: ASTGCN blocks (2, as the original).
        order: Chebyshev order K (3).
        chev_filters, time_filters: widths of the graph and temporal convolutions (32, 32).

    Parameters per block with c_in inputs: ``N + c_in N + c_in + 2 T^2`` (temporal attention),
    ``T + c_in T + c_in + 2 N^2`` (spatial attention), ``K c_in c_cheb`` (graph conv),
    ``3 c_cheb c_time + c_time`` (temporal conv), ``c_in c_time + c_time`` (residual),
    ``2 c_time`` (LayerNorm); output: ``n_his n_pred c_time + n_pred``.
    """

    def __init__(self, n_nodes: int, adjacency: np.ndarray, n_his: int = 12, n_pred: int = 12,
                 blocks: int = 2, order: int = 3, chev_filters: int = 32, time_filters: int = 32):
        super().__init__()
        check_sizes(n_nodes, n_his, n_pred)
        w = check_graph(adjacency, n_nodes, "adjacency")
        self.n_nodes, self.n_his, self.n_pred = n_nodes, n_his, n_pred
        self.branch = ASTGCNBranch(n_nodes, chebyshev_basis(w, order), n_his, n_pred, blocks,
                                   chev_filters, time_filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, n_his, N] normalised readings -> [B, n_pred, N] forecasts."""
        check_window(x, self.n_his, self.n_nodes)
        return self.branch(x.unsqueeze(1))
