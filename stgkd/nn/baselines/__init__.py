"""Neural baselines of the DMST-GNODE paper, each a direct multi-step forecaster.

Every model maps normalised readings ``x`` [B, n_his, N] to the next ``n_pred`` steps
[B, n_pred, N]. ``BASELINES`` maps the paper's names to builders
``build(n_nodes, graphs, n_his=12, n_pred=12) -> nn.Module`` where ``graphs`` holds [N, N]
weight matrices under ``"distance"`` and ``"pattern"`` (a builder uses only the graphs its
model needs). ST-NODE and DMST-GNODE live in their own modules.

>>> model = BASELINES["ST-GCN"](207, {"distance": w, "pattern": p})   # doctest: +SKIP
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from torch import nn

from stgkd.nn.baselines.ast_gcn import ASTGCN
from stgkd.nn.baselines.fc_lstm import FCLSTM
from stgkd.nn.baselines.mast_gcn import MASTGCN
from stgkd.nn.baselines.mst_gcn import MSTGCN, MultiGraphChebConv
from stgkd.nn.baselines.st_gcn import ST_GCN_BLOCKS, MultiStepOutputLayer, STGCNMultiStep
from stgkd.nn.baselines.tgc_lstm import TGCLSTM, HopGraphConv, hop_neighbourhoods

Builder = Callable[..., nn.Module]


def _graph(graphs: dict[str, np.ndarray], key: str, model: str) -> np.ndarray:
    if key not in graphs:
        raise ValueError(f"graphs: {model} needs the {key!r} graph, found keys {sorted(graphs)}")
    return graphs[key]


def build_fc_lstm(n_nodes: int, graphs: dict[str, np.ndarray], n_his: int = 12,
                  n_pred: int = 12) -> nn.Module:
    """FC-LSTM (uses no graph)."""
    return FCLSTM(n_nodes, n_his, n_pred)


def build_tgc_lstm(n_nodes: int, graphs: dict[str, np.ndarray], n_his: int = 12,
                   n_pred: int = 12) -> nn.Module:
    """TGC-LSTM on the distance graph."""
    return TGCLSTM(n_nodes, _graph(graphs, "distance", "TGC-LSTM"), n_his, n_pred)


def build_ast_gcn(n_nodes: int, graphs: dict[str, np.ndarray], n_his: int = 12,
                  n_pred: int = 12) -> nn.Module:
    """AST-GCN (recent component) on the distance graph."""
    return ASTGCN(n_nodes, _graph(graphs, "distance", "AST-GCN"), n_his, n_pred)


def build_mast_gcn(n_nodes: int, graphs: dict[str, np.ndarray], n_his: int = 12,
                   n_pred: int = 12) -> nn.Module:
    """MAST-GCN on the distance and pattern graphs."""
    return MASTGCN(n_nodes, [_graph(graphs, "distance", "MAST-GCN"),
                             _graph(graphs, "pattern", "MAST-GCN")], n_his, n_pred)


def build_st_gcn(n_nodes: int, graphs: dict[str, np.ndarray], n_his: int = 12,
                 n_pred: int = 12) -> nn.Module:
    """ST-GCN (STGCN with a multi-step output) on the distance graph."""
    return STGCNMultiStep(n_nodes, _graph(graphs, "distance", "ST-GCN"), n_his, n_pred)


def build_mst_gcn(n_nodes: int, graphs: dict[str, np.ndarray], n_his: int = 12,
                  n_pred: int = 12) -> nn.Module:
    """MST-GCN on the distance and pattern graphs."""
    return MSTGCN(n_nodes, [_graph(graphs, "distance", "MST-GCN"),
                            _graph(graphs, "pattern", "MST-GCN")], n_his, n_pred)


# The paper's neural baselines in the order of its baseline paragraph.
BASELINES: dict[str, Builder] = {
    "FC-LSTM": build_fc_lstm,
    "TGC-LSTM": build_tgc_lstm,
    "AST-GCN": build_ast_gcn,
    "MAST-GCN": build_mast_gcn,
    "ST-GCN": build_st_gcn,
    "MST-GCN": build_mst_gcn,
}

__all__ = ["ASTGCN", "BASELINES", "FCLSTM", "HopGraphConv", "MASTGCN", "MSTGCN",
           "MultiGraphChebConv", "MultiStepOutputLayer", "STGCNMultiStep", "ST_GCN_BLOCKS",
           "TGCLSTM", "hop_neighbourhoods"]
