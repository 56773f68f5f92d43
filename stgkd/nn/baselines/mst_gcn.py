"""MST-GCN: STGCN whose graph convolutions run on several graphs (Ding et al. 2023 reading).

The DMST-GNODE paper builds on MST-GCN and describes it as "a network that integrates multiple
graphs to capture various spatial dependencies and utilises graph convolution". Reading used
here: STGCN's ST blocks (:class:`stgkd.nn.stgcn.STBlock`: GLU temporal conv, graph conv, ReLU
temporal conv, LayerNorm) whose graph convolution is a sum of Chebyshev convolutions, one per
graph with its own weights,

    ``relu(sum_g sum_k T_k(L~_g) X Theta_{g,k} + b + X)``

(:class:`MultiGraphChebConv`; with one graph it is STGCN's graph convolution), followed by the
multi-step output layer of :mod:`stgkd.nn.baselines.st_gcn`. The graphs are the distance and
pattern graphs; each is symmetrised for its Chebyshev basis.

Parameters: those of :class:`~stgkd.nn.baselines.st_gcn.STGCNMultiStep` with the same blocks,
plus ``(G - 1) Ks c_hidden^2`` per block (one more Theta per extra graph).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stgkd.data.graph import scaled_laplacian
from stgkd.nn.baselines.st_gcn import ST_GCN_BLOCKS, MultiStepOutputLayer, stgcn_width
from stgkd.nn.baselines.validation import check_graph, check_sizes, check_window, symmetric
from stgkd.nn.layers import ChannelAlign
from stgkd.nn.stgcn import STBlock


class MultiGraphChebConv(nn.Module):
    """``relu(sum_g sum_k T_k(L~_g) X Theta_{g,k} + b + X)`` over G graphs.

    ``laplacians``: [G, N, N] scaled Laplacians ``2 L / lambda_max - I``. The terms come from
    the Chebyshev recursion on each graph and are applied as one 1x1 convolution; the residual
    matches channels as STGCN's (:class:`~stgkd.nn.layers.ChannelAlign`).

    Shapes: [B, c_in, T, N] -> [B, c_out, T, N].
    """

    def __init__(self, c_in: int, c_out: int, order: int, laplacians: torch.Tensor):
        super().__init__()
        self.order = order
        self.register_buffer("laplacians", laplacians, persistent=False)
        self.theta = nn.Parameter(torch.empty(laplacians.shape[0], order, c_in, c_out))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.align = ChannelAlign(c_in, c_out)
        nn.init.xavier_uniform_(self.theta.view(-1, c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        terms = []
        for lap in self.laplacians:
            graph_terms = [x]
            if self.order > 1:
                graph_terms.append(x @ lap)      # L~ symmetric: X L~ = (L~ X^T)^T
            for _ in range(2, self.order):
                graph_terms.append(2 * (graph_terms[-1] @ lap) - graph_terms[-2])
            terms += graph_terms
        stacked = torch.cat(terms, dim=1)                                     # [B, G K c_in, T, N]
        kernel = self.theta.flatten(0, 1).permute(2, 0, 1).flatten(1)[:, :, None, None]
        return torch.relu(F.conv2d(stacked, kernel, self.bias) + self.align(x))


class MSTGCN(nn.Module):
    """Multi-graph STGCN with a direct multi-step output.

    Args:
        n_nodes: number of stations N.
        adjacencies: list of [N, N] graphs (non-negative, zero diagonal), e.g.
            ``[distance, pattern]``.
        n_his, n_pred: input and output steps (12, 12).
        blocks: ST block channels (default :data:`~stgkd.nn.baselines.st_gcn.ST_GCN_BLOCKS`).
        ks, kt: Chebyshev order and temporal kernel (3, 3).
        dropout: after each block (0).
    """

    def __init__(self, n_nodes: int, adjacencies: list[np.ndarray], n_his: int = 12,
                 n_pred: int = 12, blocks: list[list[int]] | None = None, ks: int = 3,
                 kt: int = 3, dropout: float = 0.0):
        super().__init__()
        check_sizes(n_nodes, n_his, n_pred)
        if len(adjacencies) < 1:
            raise ValueError("adjacencies: expected at least one [N, N] graph, found none")
        graphs = [check_graph(w, n_nodes, f"adjacencies[{g}]") for g, w in enumerate(adjacencies)]
        blocks = [list(b) for b in (blocks or ST_GCN_BLOCKS)]
        width = stgcn_width(n_his, len(blocks), kt)
        if width < 1:
            raise ValueError(f"n_his: {n_his} steps are too few for {len(blocks)} blocks with "
                             f"temporal kernel {kt}")
        self.n_nodes, self.n_his, self.n_pred = n_nodes, n_his, n_pred
        laplacians = torch.from_numpy(
            np.stack([scaled_laplacian(symmetric(w)) for w in graphs])).float()
        self.blocks = nn.ModuleList()
        for channels in blocks:
            block = STBlock(n_nodes, channels, ks, kt, dropout)
            block.spatial = MultiGraphChebConv(channels[1], channels[1], ks, laplacians)
            self.blocks.append(block)
        self.output = MultiStepOutputLayer(n_nodes, blocks[-1][2], width, n_pred)
        for name, param in self.named_parameters():     # Glorot weights, zero biases (STGCN)
            if "norm" in name or "theta" in name:
                continue
            if param.dim() > 1 and name != "output.node_bias":
                nn.init.xavier_uniform_(param)
            else:
                nn.init.zeros_(param)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, n_his, N] normalised readings -> [B, n_pred, N] forecasts."""
        check_window(x, self.n_his, self.n_nodes)
        x = x.unsqueeze(1)
        for block in self.blocks:
            x = block(x)
        return self.output(x)
