"""The DMST-GNODE paper's baselines in one place: the classical forecasters, the neural
registry, one-line descriptions for the book and parameter counts.

>>> from stgkd.baselines import BASELINES, CLASSICAL, DESCRIPTIONS
>>> model = BASELINES["MST-GCN"](207, {"distance": w, "pattern": p})      # doctest: +SKIP
>>> arima = CLASSICAL["ARIMA"]().fit(train, steps_per_day=288)           # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np
import torch

from stgkd.baselines.classical import ARIMAForecaster, SVRForecaster
from stgkd.complexity import count_parameters
from stgkd.data.graph import ring_graph
from stgkd.nn.baselines import BASELINES

CLASSICAL = {"ARIMA": ARIMAForecaster, "SVR": SVRForecaster}

# One line per baseline, in the order of the paper's baseline paragraph (ST-NODE and
# DMST-GNODE are described with their own models).
DESCRIPTIONS: dict[str, str] = {
    "ARIMA": "ARIMA(p, 0, q) per node, order by AIC over p in {1, 2, 3}, q in {0, 1}, fitted by "
             "statsmodels on the training days; each window forecast with the fitted parameters.",
    "SVR": "One RBF support vector regression shared by all nodes, last 12 readings of a node to "
           "each of its next 12 (one SVR per step), fitted on 5,000 sampled training windows.",
    "FC-LSTM": "Two-layer LSTM (64 units) over the vector of all nodes' readings, a fully "
               "connected layer from its last state to all 12 steps of all nodes.",
    "TGC-LSTM": "Learnable weights on the 1-, 2- and 3-hop neighbourhoods of the distance graph "
                "feeding a network-wide LSTM (one unit per node), rolled on 12 steps.",
    "AST-GCN": "ASTGCN's recent component: two blocks of temporal and spatial attention, "
               "attention-weighted Chebyshev graph convolution (K = 3) and a temporal convolution.",
    "MAST-GCN": "One ASTGCN branch per graph (distance, pattern), the branch forecasts fused by "
                "learned per-step, per-node weights.",
    "ST-GCN": "The original STGCN (two ST blocks, 32/64 and 32/128 channels) with an output layer "
              "that emits all 12 steps.",
    "MST-GCN": "STGCN whose graph convolutions sum Chebyshev convolutions over the distance and "
               "pattern graphs, with the same multi-step output layer.",
}


def parameter_counts(n_nodes: int = 207, graphs: dict[str, np.ndarray] | None = None,
                     n_his: int = 12, n_pred: int = 12) -> dict[str, int]:
    """Trainable parameters of each neural baseline at its default sizes.

    Only TGC-LSTM's count depends on the graph (one weight per pair of nodes within 3 hops of
    the distance graph); pass the data set's graphs for its true count. Without ``graphs`` a
    ring graph stands in for both (every other count is exact; TGC-LSTM's is then that of the
    ring).
    """
    if graphs is None:
        ring = ring_graph(n_nodes)
        graphs = {"distance": ring, "pattern": ring}
    with torch.random.fork_rng():
        return {name: count_parameters(build(n_nodes, graphs, n_his, n_pred))
                for name, build in BASELINES.items()}


__all__ = ["ARIMAForecaster", "BASELINES", "CLASSICAL", "DESCRIPTIONS", "SVRForecaster",
           "parameter_counts"]
