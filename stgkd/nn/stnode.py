"""ST-NODE, the DMST-GNODE paper's graph-ODE baseline: STGODE (Fang et al., KDD 2021).

STGODE's network: one branch of two STGNODE blocks on the distance (spatial) graph and
one on the pattern (semantic, DTW) graph, element-wise max over the branches, and an
output MLP. It is DMST-GNODE's GODE module without the dynamic graph and without the
spatio-temporal module and fusion, so it is built from the same pieces
(:class:`stgkd.nn.dmst_gnode.GODEModule`).

Differences from STGODE's released code, the same as in DMST-GNODE: one branch per
graph by default (STGODE: three, ``branches_per_graph=3``), channels [C, C/2, C] with
C = 32 (STGODE: [64, 32, 64]), a LayerNorm over [nodes, channels] instead of BatchNorm
over nodes, the graph ODE integrated over [0, 1] in four Euler steps (STGODE: one Euler
step of size 6), and ``D^-1/2 (W + I) D^-1/2`` as the propagation matrix (STGODE:
``0.4 (I + D^-1/2 W D^-1/2)``); see :mod:`stgkd.nn.graph_ode`.
"""
from __future__ import annotations

import torch
from torch import nn

from stgkd.nn.dmst_gnode import GODEModule, check_window, graph_tensor


class STNODE(nn.Module):
    """STGODE on a distance and a pattern graph.

    Args:
        n_nodes: N.
        distance_adj, pattern_adj: [N, N] non-negative weights (normalised inside and kept
            as the buffers ``distance_hat``, ``pattern_hat``).
        n_his, n_pred: input and output steps.
        hidden: channels C of the temporal conv nets ([C, C/2, C]).
        ode_time, ode_method, ode_step: the graph ODE's solver (see
            :class:`stgkd.nn.graph_ode.GraphODE`).
        branches_per_graph: parallel branches per graph (STGODE: 3).
        dropout: in the temporal conv nets.

    Parameters with the defaults: 186,876 + 260 N, i.e. 240,696 for N=207 and 246,156 for
    N=228 (152,460 of them the output MLP). One forward and backward pass on 32 windows,
    N=207, took about 2.4 s of CPU time on one thread (a shared 2-core machine).

    Forward: x [B, n_his, N] (normalised readings) -> [B, n_pred, N] (normalised forecasts).
    """

    def __init__(self, n_nodes: int, distance_adj, pattern_adj, n_his: int = 12,
                 n_pred: int = 12, hidden: int = 32, ode_time: float = 1.0,
                 ode_method: str = "euler", ode_step: float | None = 0.25,
                 branches_per_graph: int = 1, dropout: float = 0.0):
        super().__init__()
        _, a_dist = graph_tensor("distance_adj", distance_adj, n_nodes)
        _, a_pat = graph_tensor("pattern_adj", pattern_adj, n_nodes)
        self.n_nodes, self.n_his, self.n_pred = n_nodes, n_his, n_pred
        self.config = dict(n_nodes=n_nodes, n_his=n_his, n_pred=n_pred, hidden=hidden,
                           ode_time=ode_time, ode_method=ode_method, ode_step=ode_step,
                           branches_per_graph=branches_per_graph, dropout=dropout)
        self.register_buffer("distance_hat", a_dist)
        self.register_buffer("pattern_hat", a_pat)
        self.gode = GODEModule(n_nodes, 2, n_his, n_pred, hidden, 1, branches_per_graph,
                               dropout, time=ode_time, method=ode_method, step_size=ode_step)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_window(x, self.n_his, self.n_nodes)
        return self.gode(x.unsqueeze(1), [self.distance_hat, self.pattern_hat])
