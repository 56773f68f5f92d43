"""Los-loop's published evaluation protocol, as an option beside ours.

Los-loop's literature (T-GCN, Zhao et al. 2019, and the papers that follow it, the
DMST-GNODE paper among them) evaluates differently from the KD paper's pipeline we
use by default:

- **split**: the first 80% of the time steps train, the last 20% test (ours: whole days,
  5 / 1 / 1 on Los-loop), with sliding windows inside each part that may cross midnight
  (ours never do);
- **scale**: speeds divided by the global maximum (ours: a z-score from the training
  days); errors are reported in mph either way, so the scale only matters for training;
- **metric**: the error at a horizon pools every forecast step up to it, e.g. RMSE at 15
  min over steps 1, 2 and 3 (ours: step 3 alone), with T-GCN's accuracy
  ``1 - ||Y - Ŷ||_F / ||Y||_F`` over the same steps;
- **selection**: T-GCN's code has no validation set and keeps the epoch with the best
  *test* error, so its figures are a best-test-epoch selection: optimistic, and not a
  rule we select with (:mod:`stgkd.selection`).

A stored model trained under our protocol is evaluated here on the last 20% of the steps
(which on Los-loop lie after our five training days, so no training window is tested).
"""
from __future__ import annotations

import numpy as np
import torch

from stgkd.data.series import TrafficSeries
from stgkd.data.windows import ZScore
from stgkd.evaluate import forecast
from stgkd.metrics import accuracy, error_metrics, horizon_key

PUBLISHED_TEST_FRACTION = 0.2


def published_split_index(n_steps: int, test_fraction: float = PUBLISHED_TEST_FRACTION) -> int:
    """The first test step: ``int(n_steps * (1 - test_fraction))`` (T-GCN's
    ``train_size = int(len(data) * rate)``)."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction: expected a fraction in (0, 1), found {test_fraction}")
    return int(n_steps * (1.0 - test_fraction))


def published_test_windows(series: TrafficSeries, n_his: int = 12, n_pred: int = 9,
                           test_fraction: float = PUBLISHED_TEST_FRACTION) -> np.ndarray:
    """Every window of ``n_his + n_pred`` consecutive steps inside the last
    ``test_fraction`` of the series (crossing midnight allowed), in original units.

    Returns:
        [S, n_his + n_pred, N] with S = T_test - n_his - n_pred + 1.

    Raises:
        ValueError: the test part is shorter than one window.
    """
    length = n_his + n_pred
    test = series.values[published_split_index(series.values.shape[0], test_fraction):]
    if test.shape[0] < length:
        raise ValueError(f"series {series.name}: expected a test part of at least {length} "
                         f"steps, found {test.shape[0]}")
    starts = np.arange(test.shape[0] - length + 1)
    return np.stack([test[s:s + length] for s in starts])


def pooled_metrics(pred: np.ndarray, true: np.ndarray, steps=(3, 6, 9),
                   step_minutes: int = 5) -> dict[str, dict[str, float]]:
    """MAE, MAPE, RMSE and accuracy at each horizon, pooled over forecast steps 1..h.

    Shapes: pred, true [S, H, N] in original units ->
    ``{"15min": {"mae", "mape", "rmse", "accuracy"}, ...}``.
    """
    pred, true = np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64)
    if pred.shape != true.shape or pred.ndim != 3 or pred.shape[1] < max(steps):
        raise ValueError(f"pred, true: expected two [S, H>={max(steps)}, N] arrays, found "
                         f"{list(pred.shape)} and {list(true.shape)}")
    out = {}
    for step in steps:
        metrics = error_metrics(pred[:, :step], true[:, :step])
        metrics["accuracy"] = accuracy(pred[:, :step], true[:, :step])
        out[horizon_key(step, step_minutes)] = metrics
    return out


def evaluate_published(model: torch.nn.Module, scaler: ZScore, series: TrafficSeries,
                       n_his: int = 12, n_pred: int = 9, steps=(3, 6, 9),
                       test_fraction: float = PUBLISHED_TEST_FRACTION) -> dict:
    """A one-step STGCN rolled out ``n_pred`` steps on the published protocol's test
    windows, its inputs scaled with its own training z-score ``scaler``; metrics pooled
    over steps 1..h (:func:`pooled_metrics`)."""
    windows = published_test_windows(series, n_his, n_pred, test_fraction)
    scaled = torch.from_numpy(scaler.transform(windows)).float()
    pred = scaler.inverse(forecast(model, scaled, n_his, n_pred).double().numpy())
    return pooled_metrics(pred, windows[:, n_his:], steps)
