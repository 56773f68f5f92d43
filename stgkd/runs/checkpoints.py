"""Reading a run's checkpoint and rebuilding its model: the one place a stored ``.pt``
of a trained model is opened.

Every checkpoint goes through :func:`stgkd.io.read_torch` (``weights_only=True``: a
crafted file cannot run code). Two layouts are stored:

- STGCN runs (teachers, students, pruned models): ``model_config`` (the
  :class:`~stgkd.nn.stgcn.STGCN` arguments, a pruned model's channels included),
  ``state_dict``, ``scaler`` (the training z-score) and, for runs of an experiment
  file, the graph ``weights``;
- DMST comparison runs: ``model`` (its name), ``n_nodes``, ``state_dict``, ``options``,
  ``scaler`` and ``scaling``.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from stgkd.io import RERUN_REMEDY, StoredFileError, read_torch
from stgkd.runs.store import result_path

# keys a checkpoint of each layout must hold
CHECKPOINT_KEYS: dict[str, frozenset[str]] = {
    "stgcn": frozenset({"model_config", "state_dict"}),
    "dmst": frozenset({"model", "n_nodes", "state_dict"}),
}
# the DMST models' input and forecast lengths (12 five-minute steps each)
DMST_N_HIS = DMST_N_PRED = 12


def run_checkpoint(result: Mapping, results_dir: str | Path | None = None) -> Path:
    """Path of a run's checkpoint: ``result["checkpoint"]`` beside its result JSON.

    Raises:
        FileNotFoundError: the checkpoint is not there.
    """
    folder = result_path(result["profile"], result["experiment"], result["seed"],
                         results_dir).parent
    path = folder / result.get("checkpoint", f"seed{result['seed']}.pt")
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint of {result['experiment']} ({result['profile']}, "
                                f"seed {result['seed']}): expected {path}, found no such file")
    return path


def read_checkpoint(path: str | Path, layout: str = "stgcn") -> dict:
    """A stored checkpoint of ``layout`` (:data:`CHECKPOINT_KEYS`), read without running code.

    Raises:
        FileNotFoundError: no such file.
        StoredFileError: not a checkpoint of that layout, cut, corrupt, or asking to build
            Python objects (refused).
    """
    if layout not in CHECKPOINT_KEYS:
        raise ValueError(f"layout: expected one of {sorted(CHECKPOINT_KEYS)}, found {layout!r}")
    state = read_torch(path, RERUN_REMEDY)
    needed = CHECKPOINT_KEYS[layout]
    if not isinstance(state, dict) or not needed <= set(state):
        found = (f"the keys {sorted(state)}" if isinstance(state, dict)
                 else type(state).__name__)
        raise StoredFileError(path, f"expected a run checkpoint with {', '.join(sorted(needed))},"
                                    f" found {found}", RERUN_REMEDY)
    return state


def stgcn_from_state(state: dict, weights: np.ndarray | None = None):
    """The STGCN of a checkpoint's ``model_config`` with its ``state_dict`` loaded (train
    mode, as a fresh model), on the graph ``weights`` [N, N] when given."""
    from stgkd.nn.stgcn import STGCN
    model = STGCN(**state["model_config"])
    model.load_state_dict(state["state_dict"])
    if weights is not None:
        model.set_graph(weights)
    return model


def load_stgcn(checkpoint: str | Path, weights: np.ndarray | None = None):
    """Rebuild a trained STGCN (teacher, student or pruned) from a run checkpoint
    (``seed<S>.pt``), on the graph ``weights`` [N, N] when given."""
    return stgcn_from_state(read_checkpoint(checkpoint, "stgcn"), weights)


@lru_cache(maxsize=4)
def dataset_series(dataset: str):
    """The loaded data set (kept for the session: PeMSD7(M) takes seconds to load)."""
    from stgkd.data import load_series
    return load_series(dataset)


@lru_cache(maxsize=4)
def training_graphs(dataset: str, n_train_days: int) -> dict[str, np.ndarray]:
    """The distance and DTW pattern graphs a DMST run built from its training days (the
    DTW takes tens of seconds on Los-loop, so it is kept for the session)."""
    from stgkd.dmst import build_graphs
    return build_graphs(dataset_series(dataset), n_train_days)


def is_dmst_run(result: Mapping) -> bool:
    """A DMST comparison run (its result names its ``model``) rather than an STGCN row."""
    return "model" in result


def load_run_model(result: Mapping, weights: np.ndarray | None = None,
                   results_dir: str | Path | None = None) -> torch.nn.Module:
    """The trained model of one run, in eval mode.

    STGCN runs (teachers, students, pruned models) are rebuilt from their checkpoint's
    ``model_config`` on the graph ``weights`` [N, N] (default: the run's data set's graph;
    graphs are not stored in registered runs' checkpoints). DMST runs are rebuilt by
    :func:`stgkd.dmst.build_model` on the graphs of their training days, then their
    weights loaded (the graph-ODE models carry their normalised graphs in the
    checkpoint; the Chebyshev models need them rebuilt).

    Raises:
        ValueError: a classical DMST model (ARIMA, SVR: no checkpoint) or a checkpoint
            for another number of nodes.
        FileNotFoundError: the checkpoint is missing.
        StoredFileError: the checkpoint is unusable.
    """
    if not is_dmst_run(result):
        if weights is None:
            weights = dataset_series(result["dataset"]).weights
        return load_stgcn(run_checkpoint(result, results_dir), weights).eval()
    from stgkd.dmst import build_model
    from stgkd.dmst.models import CLASSICAL_MODELS
    model = result.get("model") or result.get("paper_row")
    if model in CLASSICAL_MODELS:
        raise ValueError(f"result {result['experiment']}: {model} is a classical model and "
                         f"has no checkpoint")
    path = run_checkpoint(result, results_dir)
    checkpoint = read_checkpoint(path, "dmst")
    n_nodes = dataset_series(result["dataset"]).n_nodes
    if checkpoint["n_nodes"] != n_nodes:
        raise ValueError(f"{path}: expected a model of {n_nodes} nodes ({result['dataset']}), "
                         f"found {checkpoint['n_nodes']}")
    net = build_model(checkpoint["model"], n_nodes,
                      training_graphs(result["dataset"], int(result["split_days"][0])),
                      DMST_N_HIS, DMST_N_PRED, **checkpoint.get("options", {}))
    net.load_state_dict(checkpoint["state_dict"])
    return net.eval()
