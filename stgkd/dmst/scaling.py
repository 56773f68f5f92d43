"""How the DMST-GNODE comparison scales its targets: the named readings of the paper's
"Box-Cox" input module, each recorded in a run's result as ``scaling``.

* ``"boxcox"`` (the default, the pinned reading): one maximum-likelihood exponent for all
  stations, then one z-score (:class:`stgkd.data.boxcox.BoxCox`); the loss is the mean
  squared error on that scale;
* ``"boxcox-station"``: an exponent and a z-score per station
  (:class:`stgkd.data.boxcox.StationBoxCox`); loss on that scale;
* ``"zscore"``: no Box-Cox, one mean and standard deviation for all stations
  (:class:`stgkd.data.windows.ZScore`, the KD pipeline's scaling); loss on that scale;
* ``"boxcox-mph-loss"``: the inputs as ``"boxcox"``, but the loss is the mean squared
  error after the inverse transform, ``mean((inv(Y_hat) - inv(Y))^2)``, in the readings'
  own units (mph for speeds). With one exponent near 4.6 the transform's slope at 65 mph
  is about 60 times its slope at 20 mph, so a squared error on the scaled values weighs
  congestion far less than the same error in mph does.

Forecasts are always taken back to original units by the scaler's ``inverse`` for the
metrics, so the options differ only in what the model sees and what its loss weighs.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Callable

import numpy as np
import torch
from torch import nn

from stgkd.data.boxcox import BoxCox, StationBoxCox
from stgkd.data.windows import ZScore

DEFAULT_SCALING = "boxcox"
SCALINGS: dict[str, str] = {
    "boxcox": "Box-Cox with one λ for all stations, one z-score, MSE on the scaled values",
    "boxcox-station": "Box-Cox with a λ and a z-score per station, MSE on the scaled values",
    "zscore": "z-score only (one mean and standard deviation), MSE on the scaled values",
    "boxcox-mph-loss": "Box-Cox with one λ as 'boxcox', MSE after the inverse transform "
                       "(in the readings' units, mph)",
}
# the options whose loss is computed in original units
LOSS_IN_ORIGINAL_UNITS = frozenset({"boxcox-mph-loss"})


def check_scaling(scaling: str) -> str:
    """``scaling`` if it is one of :data:`SCALINGS`, else ValueError naming the options."""
    if scaling not in SCALINGS:
        raise ValueError(f"scaling: expected one of {list(SCALINGS)}, found {scaling!r}")
    return scaling


def fit_scaler(scaling: str, train_values: np.ndarray):
    """The scaler of ``scaling`` fitted on the training readings [T, N]."""
    check_scaling(scaling)
    if scaling == "boxcox-station":
        return StationBoxCox.fit(train_values)
    if scaling == "zscore":
        return ZScore.fit(np.asarray(train_values, dtype=np.float64))
    return BoxCox.fit(train_values)


def scaler_to_dict(scaler) -> dict:
    """A scaler's fitted values as plain floats (lists for per-station values)."""
    return scaler.to_dict() if hasattr(scaler, "to_dict") else asdict(scaler)


def scaler_from_dict(scaling: str, state: dict):
    """Rebuild the scaler of ``scaling`` from :func:`scaler_to_dict` output."""
    check_scaling(scaling)
    if scaling == "boxcox-station":
        return StationBoxCox.from_dict(state)
    if scaling == "zscore":
        return ZScore(float(state["mean"]), float(state["std"]))
    return BoxCox.from_dict(state)


def original_units_mse(scaler) -> Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]:
    """The loss ``mean((inv(model(x)) - inv(y))^2)`` for :func:`stgkd.train.fit`: the mean
    squared error in original units of scaled forecasts and targets [B, n_pred, N]."""

    def loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.mean((scaler.inverse(model(x)) - scaler.inverse(y)) ** 2)

    return loss


def training_loss(scaling: str, scaler):
    """The training loss of ``scaling``: :func:`stgkd.train.supervised_mse` on the scaled
    values, or :func:`original_units_mse` for the options in
    :data:`LOSS_IN_ORIGINAL_UNITS`."""
    from stgkd.train import supervised_mse
    check_scaling(scaling)
    return original_units_mse(scaler) if scaling in LOSS_IN_ORIGINAL_UNITS else supervised_mse
