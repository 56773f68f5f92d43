"""Every model of the DMST-GNODE paper's comparison, by the paper's name.

Neural models map Box-Cox-scaled windows [B, n_his, N] to the next n_pred steps
[B, n_pred, N]; the classical ones (ARIMA, SVR) are fitted on the training readings and
predict windows in the same scale (:mod:`stgkd.baselines.classical`).
"""
from __future__ import annotations

import inspect
from typing import Callable

import numpy as np
from torch import nn

from stgkd.baselines import CLASSICAL, DESCRIPTIONS
from stgkd.nn.baselines import BASELINES
from stgkd.nn.dmst_gnode import DMSTGNODE
from stgkd.nn.stnode import STNODE


def _stnode(n_nodes: int, graphs: dict[str, np.ndarray], n_his: int = 12, n_pred: int = 12):
    return STNODE(n_nodes, graphs["distance"], graphs["pattern"], n_his=n_his, n_pred=n_pred)


def _dmst_gnode(n_nodes: int, graphs: dict[str, np.ndarray], n_his: int = 12, n_pred: int = 12,
                st_module: str = "stgcn", without=()):
    return DMSTGNODE(n_nodes, graphs["distance"], graphs["pattern"], n_his=n_his, n_pred=n_pred,
                     st_module=st_module, without=without)


NEURAL_MODELS: dict[str, Callable[..., nn.Module]] = {**BASELINES, "ST-NODE": _stnode,
                                                       "DMST-GNODE": _dmst_gnode}
CLASSICAL_MODELS = dict(CLASSICAL)


def build_classical(name: str, seed: int = 0):
    """The unfitted classical forecaster ``name`` ("ARIMA" or "SVR") for the run of ``seed``.

    SVR subsamples its training rows at random, so the run's seed draws them: seeds of an
    SVR run differ as seeds of a neural run do. ARIMA has nothing random (each node's
    order and coefficients are a deterministic fit), so every seed gives the same forecast.
    """
    if name not in CLASSICAL_MODELS:
        raise ValueError(f"model: expected one of {sorted(CLASSICAL_MODELS)}, found {name!r}")
    factory = CLASSICAL_MODELS[name]
    return factory() if is_seed_free(name) else factory(seed=seed)


def is_seed_free(name: str) -> bool:
    """Whether every seed of model ``name`` gives the same forecast: a classical forecaster
    whose constructor takes no seed (ARIMA). Such a run stands for every seed when it is
    paired with a seeded one (:func:`stgkd.report.comparison.pair_on_common_seeds`)."""
    factory = CLASSICAL_MODELS.get(name)
    return factory is not None and "seed" not in inspect.signature(factory).parameters
# the paper's table order: statistical, machine learning, deep baselines, then its model
MODELS: tuple[str, ...] = ("ARIMA", "SVR", "FC-LSTM", "TGC-LSTM", "AST-GCN", "MAST-GCN",
                           "ST-GCN", "MST-GCN", "ST-NODE", "DMST-GNODE")
MODEL_DESCRIPTIONS: dict[str, str] = {
    **DESCRIPTIONS,
    "ST-NODE": "STGODE: temporal convolutions around a continuous graph ODE (torchdiffeq) on "
               "the distance and DTW pattern graphs, max-pooled, then an output MLP.",
    "DMST-GNODE": "The paper's model: a graph-ODE module on the distance, pattern and learned "
                  "dynamic graphs (max-pooled) fused with a two-block ST-Conv module.",
}


# the model options each model takes (DMST-GNODE's ST module and ablations,
# stgkd.nn.dmst_gnode.ST_MODULES and ABLATIONS), with their defaults
MODEL_OPTIONS: dict[str, dict] = {"DMST-GNODE": {"st_module": "stgcn", "without": []}}


def model_options(name: str, options: dict | None = None) -> dict:
    """The options of model ``name``: its defaults (:data:`MODEL_OPTIONS`) updated by
    ``options``; ValueError naming an option the model does not take."""
    defaults = MODEL_OPTIONS.get(name, {})
    unknown = sorted(set(options or {}) - set(defaults))
    if unknown:
        raise ValueError(f"options: {name} takes {sorted(defaults) or 'no options'}, found "
                         f"{unknown}")
    chosen = {**defaults, **(options or {})}
    if "without" in chosen:
        chosen["without"] = sorted(chosen["without"])
    return chosen


def build_model(name: str, n_nodes: int, graphs: dict[str, np.ndarray], n_his: int = 12,
                n_pred: int = 12, **options) -> nn.Module:
    """The neural model ``name`` (one of :data:`NEURAL_MODELS`) for ``n_nodes`` nodes, with
    its ``options`` (:func:`model_options`)."""
    if name not in NEURAL_MODELS:
        raise KeyError(f"model: expected one of {sorted(NEURAL_MODELS)}, found {name!r}")
    return NEURAL_MODELS[name](n_nodes, graphs, n_his=n_his, n_pred=n_pred,
                               **model_options(name, options))
