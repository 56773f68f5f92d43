"""Forecast from a trained checkpoint and a speed matrix: the deployment path.

A run checkpoint (``results/<profile>/<experiment>/seed<S>.pt``) holds the model's
configuration and weights and the z-score fitted on its training days; the graph
comes from the checkpoint (runs of an experiment file hold theirs), else the
experiment's data set, or from a weight matrix the caller passes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from stgkd.data import load_series
from stgkd.data.errors import DataFormatError
from stgkd.data.readers import check_square, read_numeric_csv
from stgkd.data.windows import ZScore
from stgkd.evaluate import rollout
from stgkd.io import check_output_path, write_text
from stgkd.nn.stgcn import STGCN
from stgkd.runs import read_checkpoint, stgcn_from_state


def load_checkpoint(path: str | Path, weights: np.ndarray | None = None
                    ) -> tuple[STGCN, ZScore]:
    """The model (eval mode, graph set) and the z-score of a run checkpoint.

    ``weights`` [N, N]: the graph; default: the graph the checkpoint holds (runs of an
    experiment file), else the graph of the data set of the checkpoint's experiment (a
    ValueError asking for ``--graph`` when it is not a registered experiment).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: expected a run checkpoint (seed<S>.pt), found no file")
    state = read_checkpoint(path, "stgcn")
    if "scaler" not in state:
        raise DataFormatError(path, "a run checkpoint with the training z-score (scaler)",
                              "no scaler; it was not written by `stgkd run`")
    if weights is None:
        weights = _checkpoint_graph(path, state)
    return stgcn_from_state(state, weights).eval(), ZScore(**state["scaler"])


def _checkpoint_graph(path: Path, state: dict) -> np.ndarray:
    """The graph of a checkpoint: the one it holds (runs of an experiment file), else the
    data set of its registered experiment; otherwise a ValueError asking for --graph."""
    if state.get("weights") is not None:
        return np.asarray(state["weights"].numpy() if torch.is_tensor(state["weights"])
                          else state["weights"], dtype=np.float64)
    from stgkd.registry import EXPERIMENTS
    name = state.get("experiment")
    if name not in EXPERIMENTS:
        raise ValueError(f"{path}: the checkpoint of {name!r}, not a registered experiment, "
                         f"holds no graph; pass the [N, N] weight matrix it was trained on with "
                         f"--graph weights.csv")
    return load_series(EXPERIMENTS[name].dataset).weights


def predict(model: STGCN, scaler: ZScore, history: np.ndarray, n_pred: int = 9) -> np.ndarray:
    """Forecast ``n_pred`` steps after the last ``n_his`` rows of ``history``.

    Shapes: history [T >= n_his, N] in original units (e.g. mph) -> [n_pred, N] in the
    same units. Raises ValueError on a wrong node count, too few steps, missing values or
    ``n_pred`` < 1.
    """
    if n_pred < 1:
        raise ValueError(f"n_pred: expected at least 1 step ahead, found {n_pred}")
    n_his, n_nodes = model.config["n_his"], model.config["n_nodes"]
    history = np.asarray(history, dtype=np.float64)
    if history.ndim != 2 or history.shape[1] != n_nodes:
        raise ValueError(f"history: expected [steps, {n_nodes}] (one column per node of the "
                         f"model), found {list(history.shape)}")
    if history.shape[0] < n_his:
        raise ValueError(f"history: expected at least {n_his} time steps (the model's input "
                         f"length), found {history.shape[0]}")
    recent = history[-n_his:]
    if not np.isfinite(recent).all():
        raise ValueError(f"history: the last {n_his} steps contain missing or infinite values")
    x = torch.from_numpy(scaler.transform(recent)).float()[None, None]  # [1, 1, n_his, N]
    with torch.no_grad():
        out = rollout(model, x, n_pred)[0].double().numpy()            # [n_pred, N]
    return scaler.inverse(out)


def read_graph_csv(path: str | Path) -> np.ndarray:
    """A square [N, N] weight matrix from a CSV without header (DataFormatError otherwise)."""
    weights = read_numeric_csv(path, header=False)
    check_square(path, weights, what="weight matrix")
    return weights


def predict_file(checkpoint: str | Path, input_csv: str | Path, output_csv: str | Path | None,
                 n_pred: int = 9, graph_csv: str | Path | None = None,
                 header: bool = False) -> pd.DataFrame:
    """Read a speed matrix CSV (rows: time steps, columns: nodes), forecast, and write
    the forecast CSV (rows: steps ahead 1..n_pred, columns: nodes) when ``output_csv``."""
    if n_pred < 1:
        raise ValueError(f"n_pred: expected at least 1 step ahead, found {n_pred}")
    if output_csv is not None:   # before any work: a path that cannot be written is refused
        output_csv = check_output_path(output_csv, "the forecast CSV")
    weights = read_graph_csv(graph_csv) if graph_csv is not None else None
    model, scaler = load_checkpoint(checkpoint, weights)
    n_nodes = model.config["n_nodes"]
    values = read_numeric_csv(input_csv, header=header)
    if values.shape[1] != n_nodes:
        raise DataFormatError(input_csv, f"{n_nodes} columns (one per node of the model)",
                              f"{values.shape[1]} columns")
    if values.shape[0] < model.config["n_his"]:
        raise DataFormatError(input_csv, f"at least {model.config['n_his']} rows (time steps)",
                              f"{values.shape[0]} rows")
    try:
        forecast = predict(model, scaler, values, n_pred)
    except ValueError as error:
        raise DataFormatError(input_csv, "finite readings in the last rows", str(error)) from None
    frame = pd.DataFrame(forecast, index=pd.RangeIndex(1, n_pred + 1, name="step_ahead"))
    if output_csv is not None:
        write_text(output_csv, frame.to_csv(float_format="%.4f"))
    return frame
