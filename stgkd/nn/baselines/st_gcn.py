"""ST-GCN: the repository's STGCN (Yu et al. 2018) with a direct multi-step output layer.

The body is :class:`stgkd.nn.stgcn.STGCN` unchanged (two ST blocks: GLU temporal conv,
Chebyshev graph conv, ReLU temporal conv, LayerNorm). STGCN's output layer emits one step; here
its last 1x1 convolution emits ``n_pred`` channels, one per horizon step, and its per-node bias
becomes one per step and node (:class:`MultiStepOutputLayer`). Everything before that last
layer is STGCN's own code, so this model has ``(n_pred - 1) (c_gate + N)`` more parameters than
the one-step STGCN of the same blocks.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from stgkd.nn.baselines.validation import check_graph, check_sizes, check_window, symmetric
from stgkd.nn.stgcn import STGCN, OutputLayer

ST_GCN_BLOCKS = [[1, 32, 64], [64, 32, 128]]   # the original STGCN's widths (the KD teacher)


class MultiStepOutputLayer(OutputLayer):
    """STGCN's output layer ending in ``n_pred`` channels: GLU temporal conv over the remaining
    ``width`` steps -> LayerNorm -> 1x1 conv with sigmoid -> 1x1 conv to ``n_pred`` channels
    plus a bias per step and node.

    Shapes: [B, C, width, N] -> [B, n_pred, N].
    """

    def __init__(self, n_nodes: int, channels: int, width: int, n_pred: int):
        super().__init__(n_nodes, channels, width)
        self.fc = nn.Conv2d(channels, n_pred, 1, bias=False)
        self.node_bias = nn.Parameter(torch.zeros(n_pred, n_nodes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.gate(self.norm(self.temporal(x)))
        return self.fc(x)[:, :, 0, :] + self.node_bias


def stgcn_width(n_his: int, n_blocks: int, kt: int) -> int:
    """Time steps left after ``n_blocks`` ST blocks of two temporal convolutions of width kt."""
    return n_his - n_blocks * 2 * (kt - 1)


class STGCNMultiStep(nn.Module):
    """STGCN body with :class:`MultiStepOutputLayer`.

    Args:
        n_nodes: number of stations N.
        adjacency: [N, N] distance-graph weights (non-negative, zero diagonal; symmetrised).
        n_his, n_pred: input and output steps (12, 12).
        blocks: ST block channels (default :data:`ST_GCN_BLOCKS`, the original STGCN's).
        ks, kt: Chebyshev order and temporal kernel (3, 3).
        dropout: after each block (0).
    """

    def __init__(self, n_nodes: int, adjacency: np.ndarray, n_his: int = 12, n_pred: int = 12,
                 blocks: list[list[int]] | None = None, ks: int = 3, kt: int = 3,
                 dropout: float = 0.0):
        super().__init__()
        check_sizes(n_nodes, n_his, n_pred)
        w = check_graph(adjacency, n_nodes, "adjacency")
        blocks = [list(b) for b in (blocks or ST_GCN_BLOCKS)]
        self.n_nodes, self.n_his, self.n_pred = n_nodes, n_his, n_pred
        self.body = STGCN(n_nodes, blocks, n_his, ks, kt, dropout)
        self.body.output = MultiStepOutputLayer(n_nodes, blocks[-1][2],
                                                stgcn_width(n_his, len(blocks), kt), n_pred)
        self.body.reset_parameters()                 # Glorot weights, as STGCN
        nn.init.zeros_(self.body.output.node_bias)   # 2-D, so reset_parameters drew it
        self.body.set_graph(symmetric(w))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, n_his, N] normalised readings -> [B, n_pred, N] forecasts."""
        check_window(x, self.n_his, self.n_nodes)
        return self.body(x.unsqueeze(1))
