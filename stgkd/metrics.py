"""Forecast errors in original units: MAE, MAPE (%), RMSE (and the DMST-GNODE paper's
accuracy) at chosen horizons."""
from __future__ import annotations

import numpy as np
import torch


def horizon_key(step: int, step_minutes: int) -> str:
    """``"15min"`` for step 3 of 5-minute data."""
    return f"{step * step_minutes}min"


def error_metrics(pred, true) -> dict[str, float]:
    """MAE, MAPE in percent and RMSE of two equal-shaped arrays.

    MAPE leaves out cells whose true value is 0 (undefined percentage).
    """
    pred = _as_numpy(pred).astype(np.float64)
    true = _as_numpy(true).astype(np.float64)
    if pred.shape != true.shape:
        raise ValueError(f"pred: expected shape {true.shape} (as true), found {pred.shape}")
    error = pred - true
    nonzero = true != 0
    mape = float(np.mean(np.abs(error[nonzero]) / np.abs(true[nonzero])) * 100) if nonzero.any() \
        else float("nan")
    return {"mae": float(np.mean(np.abs(error))), "mape": mape,
            "rmse": float(np.sqrt(np.mean(error ** 2)))}


def accuracy(pred, true) -> float:
    """The DMST-GNODE paper's (and T-GCN's) accuracy ``1 - ||Y - Yhat||_F / ||Y||_F``."""
    pred = _as_numpy(pred).astype(np.float64)
    true = _as_numpy(true).astype(np.float64)
    if pred.shape != true.shape:
        raise ValueError(f"pred: expected shape {true.shape} (as true), found {pred.shape}")
    norm = np.linalg.norm(true.ravel())
    if norm == 0:
        raise ValueError("true: expected some non-zero value, found all zeros (accuracy undefined)")
    return float(1.0 - np.linalg.norm((true - pred).ravel()) / norm)


def horizon_metrics(pred, true, steps=(3, 6, 9), step_minutes: int = 5,
                    with_accuracy: bool = False) -> dict[str, dict[str, float]]:
    """Errors at each forecast step in ``steps`` (1-based).

    Args:
        pred, true: [S, H, N] forecasts and truths in original units.

    Returns:
        ``{"15min": {"mae": .., "mape": .., "rmse": ..}, ...}``.
    """
    pred, true = _as_numpy(pred), _as_numpy(true)
    if pred.ndim != 3 or pred.shape[1] < max(steps):
        raise ValueError(f"pred: expected [S, H>={max(steps)}, N], found {list(pred.shape)}")
    metrics = {}
    for step in steps:
        metrics[horizon_key(step, step_minutes)] = error_metrics(pred[:, step - 1], true[:, step - 1])
        if with_accuracy:
            metrics[horizon_key(step, step_minutes)]["accuracy"] = accuracy(pred[:, step - 1],
                                                                            true[:, step - 1])
    return metrics


def _as_numpy(values) -> np.ndarray:
    if torch.is_tensor(values):
        return values.detach().cpu().numpy()
    return np.asarray(values)
