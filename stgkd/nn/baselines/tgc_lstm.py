"""TGC-LSTM: K-hop traffic graph convolution feeding a network-wide LSTM (Cui et al. 2019).

Reading (simplified from the paper):

* The K-hop neighbourhood ``A~^k = min((A + I)^k, 1)`` of the distance graph (binary, with
  self-loops) masks a learnable weight matrix per hop: ``GC^k x_t = (W_k . A~^k) x_t + b_k``.
  Only the unmasked entries are parameters (one per neighbour pair), so the parameter count is
  ``sum_k nnz(A~^k) + K N``. Cui et al. also mask by free-flow reachability (which needs
  speed limits and link lengths that the data sets here lack) and add a neighbour-weighted
  cell-state term; both are left out.
* The K hop outputs are concatenated (``K N`` features) and fed to one LSTM whose hidden state
  has one unit per node (hidden size N), as in the paper, where the hidden state is the
  forecast. Because the readings here are z-scores and an LSTM's hidden state is bounded by
  ±1, the forecast is a per-node affine map of the hidden state, ``y_t = a . h_t + c``
  (2 N parameters).
* Multi-step output: after the ``n_his`` inputs the LSTM is rolled on for ``n_pred`` steps,
  each step fed the previous forecast through the same graph convolution; ``forward`` returns
  all ``n_pred`` forecasts at once (trained directly on the whole horizon).

Parameters: ``sum_k nnz(A~^k) + K N`` (graph convolutions), ``4 N (K N + N) + 8 N`` (LSTM),
``2 N`` (output map).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from stgkd.nn.baselines.validation import check_graph, check_sizes, check_window


def hop_neighbourhoods(weights: np.ndarray, hops: int) -> list[np.ndarray]:
    """``[A~^1, ..., A~^hops]``: boolean [N, N] masks of the nodes reachable in at most k
    steps on the graph with self-loops (``A~ = (W > 0) + I``, clipped to 1 after each power)."""
    if hops < 1:
        raise ValueError(f"hops: expected >= 1, found {hops}")
    step = ((np.asarray(weights) > 0) | np.eye(len(weights), dtype=bool)).astype(np.float64)
    masks, reach = [], np.eye(len(weights))
    for _ in range(hops):
        reach = np.minimum(reach @ step, 1.0)
        masks.append(reach > 0)
    return masks


class HopGraphConv(nn.Module):
    """``[GC^1 x, ..., GC^K x]`` with ``GC^k x = (W_k . A~^k) x + b_k``; the weights live only
    on the K-hop neighbour pairs.

    Shapes: [..., N] -> [..., K N].
    """

    def __init__(self, masks: list[np.ndarray]):
        super().__init__()
        n = masks[0].shape[0]
        self.n_nodes, self.hops = n, len(masks)
        self.values = nn.ParameterList()
        for k, mask in enumerate(masks):
            rows, cols = np.nonzero(mask)
            self.register_buffer(f"rows_{k}", torch.from_numpy(rows).long())
            self.register_buffer(f"cols_{k}", torch.from_numpy(cols).long())
            # uniform in +-1/sqrt(fan-in) with the fan-in of each row's neighbourhood
            fan_in = torch.from_numpy(mask.sum(axis=1)[rows]).float()
            self.values.append(nn.Parameter((torch.rand(len(rows)) * 2 - 1) / fan_in.sqrt()))
        self.bias = nn.Parameter(torch.zeros(self.hops, n))

    def weight_matrices(self) -> torch.Tensor:
        """The [K, N, N] masked weight matrices ``W_k . A~^k`` (zero off the neighbourhoods)."""
        zeros = self.bias.new_zeros(self.n_nodes, self.n_nodes)
        return torch.stack([
            zeros.index_put((getattr(self, f"rows_{k}"), getattr(self, f"cols_{k}")), values)
            for k, values in enumerate(self.values)])

    def forward(self, x: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """``weights``: :meth:`weight_matrices`, when the caller reuses them across steps."""
        w = self.weight_matrices() if weights is None else weights
        out = torch.einsum("...n,kmn->...km", x, w) + self.bias   # [..., K, N]
        return out.flatten(-2)


class TGCLSTM(nn.Module):
    """K-hop graph convolution -> network-wide LSTM (hidden N) -> per-node affine forecast.

    Args:
        n_nodes: number of stations N.
        adjacency: [N, N] distance-graph weights (non-negative, zero diagonal); only its
            pattern of non-zero cells is used (the K-hop neighbourhoods).
        n_his, n_pred: input and output steps (12, 12).
        hops: K (3, as in the paper).
    """

    def __init__(self, n_nodes: int, adjacency: np.ndarray, n_his: int = 12, n_pred: int = 12,
                 hops: int = 3):
        super().__init__()
        check_sizes(n_nodes, n_his, n_pred)
        w = check_graph(adjacency, n_nodes, "adjacency")
        self.n_nodes, self.n_his, self.n_pred = n_nodes, n_his, n_pred
        self.graph_conv = HopGraphConv(hop_neighbourhoods(w, hops))
        self.cell = nn.LSTMCell(hops * n_nodes, n_nodes)
        self.scale = nn.Parameter(torch.ones(n_nodes))
        self.shift = nn.Parameter(torch.zeros(n_nodes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, n_his, N] normalised readings -> [B, n_pred, N] forecasts."""
        check_window(x, self.n_his, self.n_nodes)
        weights = self.graph_conv.weight_matrices()
        inputs = self.graph_conv(x, weights)               # [B, n_his, K N]
        h = c = x.new_zeros(x.shape[0], self.n_nodes)
        for t in range(self.n_his):
            h, c = self.cell(inputs[:, t], (h, c))
        forecasts = []
        for step in range(self.n_pred):
            y = self.scale * h + self.shift
            forecasts.append(y)
            if step + 1 < self.n_pred:
                h, c = self.cell(self.graph_conv(y, weights), (h, c))
        return torch.stack(forecasts, dim=1)
