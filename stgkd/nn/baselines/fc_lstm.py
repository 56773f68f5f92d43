"""FC-LSTM: an LSTM encoder over the whole network's readings and a fully connected decoder.

Reading: the sequence-to-sequence LSTM of Sutskever et al. (2014) as DCRNN used it as a
traffic baseline, with the decoder LSTM replaced by one fully connected layer that emits all
``n_pred`` steps at once (direct multi-step output, as every baseline here). The input at each
step is the vector of all N readings, so the LSTM's input weights are the "fully connected layer
across nodes"; no graph is used.

Parameters: ``4 (N + H) H + 8 H`` for the first LSTM layer, ``4 (2 H) H + 8 H`` for each further
layer (PyTorch keeps two bias vectors per gate), ``H * n_pred * N + n_pred * N`` for the decoder.
"""
from __future__ import annotations

import torch
from torch import nn

from stgkd.nn.baselines.validation import check_sizes, check_window


class FCLSTM(nn.Module):
    """LSTM encoder over [B, n_his, N] -> last hidden state -> Linear to [B, n_pred, N].

    Args:
        n_nodes: number of stations N.
        n_his, n_pred: input and output steps (12, 12).
        hidden: LSTM width H (64).
        layers: stacked LSTM layers (2, as DCRNN's FC-LSTM).
        dropout: between LSTM layers (0).
    """

    def __init__(self, n_nodes: int, n_his: int = 12, n_pred: int = 12, hidden: int = 64,
                 layers: int = 2, dropout: float = 0.0):
        super().__init__()
        check_sizes(n_nodes, n_his, n_pred)
        self.n_nodes, self.n_his, self.n_pred = n_nodes, n_his, n_pred
        self.encoder = nn.LSTM(n_nodes, hidden, num_layers=layers, batch_first=True,
                               dropout=dropout if layers > 1 else 0.0)
        self.decoder = nn.Linear(hidden, n_pred * n_nodes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, n_his, N] normalised readings -> [B, n_pred, N] forecasts."""
        check_window(x, self.n_his, self.n_nodes)
        _, (h, _) = self.encoder(x)
        return self.decoder(h[-1]).view(-1, self.n_pred, self.n_nodes)
