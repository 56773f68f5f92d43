"""MAST-GCN: multi-graph attention spatio-temporal graph convolution (the paper's ref. [49]).

The DMST-GNODE paper cites Hu & Chen (2021), "Multi-attention based spatial-temporal graph
convolution networks for traffic flow forecasting", and describes MAST-GCN only as capturing
"spatial and temporal relationships across multiple attributes". Reading used here: ASTGCN's
multi-component design with the components being graphs instead of periods. One ASTGCN branch
(temporal attention, spatial attention, attention Chebyshev convolution, temporal convolution;
see :mod:`stgkd.nn.baselines.ast_gcn`) runs on each graph (distance and pattern), and the branch
forecasts are fused element-wise by learned weights, as ASTGCN fuses its components:
``Y = sum_g W_g . Y_g`` with ``W_g`` [n_pred, N], starting at ``1 / G``.

Parameters: the sum of the branches' (each as :class:`~stgkd.nn.baselines.ast_gcn.ASTGCN`)
plus ``G n_pred N`` fusion weights.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from stgkd.nn.baselines.ast_gcn import ASTGCNBranch
from stgkd.nn.baselines.validation import chebyshev_basis, check_graph, check_sizes, check_window


class MASTGCN(nn.Module):
    """ASTGCN branches on several graphs, fused by learned element-wise weights.

    Args:
        n_nodes: number of stations N.
        adjacencies: list of [N, N] graphs (non-negative, zero diagonal), e.g.
            ``[distance, pattern]``.
        n_his, n_pred: input and output steps (12, 12).
        blocks, order, chev_filters, time_filters: per branch, as
            :class:`~stgkd.nn.baselines.ast_gcn.ASTGCN` (2, 3, 32, 32).
    """

    def __init__(self, n_nodes: int, adjacencies: list[np.ndarray], n_his: int = 12,
                 n_pred: int = 12, blocks: int = 2, order: int = 3, chev_filters: int = 32,
                 time_filters: int = 32):
        super().__init__()
        check_sizes(n_nodes, n_his, n_pred)
        if len(adjacencies) < 1:
            raise ValueError("adjacencies: expected at least one [N, N] graph, found none")
        graphs = [check_graph(w, n_nodes, f"adjacencies[{g}]") for g, w in enumerate(adjacencies)]
        self.n_nodes, self.n_his, self.n_pred = n_nodes, n_his, n_pred
        self.branches = nn.ModuleList(
            ASTGCNBranch(n_nodes, chebyshev_basis(w, order), n_his, n_pred, blocks, chev_filters,
                         time_filters)
            for w in graphs)
        self.fusion = nn.Parameter(torch.full((len(graphs), n_pred, n_nodes), 1.0 / len(graphs)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, n_his, N] normalised readings -> [B, n_pred, N] forecasts."""
        check_window(x, self.n_his, self.n_nodes)
        x = x.unsqueeze(1)
        return sum(w * branch(x) for w, branch in zip(self.fusion, self.branches))
