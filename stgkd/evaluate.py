"""Autoregressive multi-step forecasts and their evaluation (KD paper Fig. 2)."""
from __future__ import annotations

import torch
from torch import nn

from stgkd.data.windows import WindowedData, ZScore
from stgkd.metrics import horizon_metrics
from stgkd.nn.stgcn import STGCN
from stgkd.nn.streaming import streaming_rollout


@torch.no_grad()
def rollout(model: nn.Module, history: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Predict ``n_steps`` ahead by feeding each prediction back as the newest input.

    Args:
        model: maps [B, 1, T, N] to the next step [B, N].
        history: [B, 1, T, N] the last T observed (z-scored) steps.

    Returns:
        [B, n_steps, N] forecasts in the same scale as ``history``.
    """
    window = history
    steps = []
    for _ in range(n_steps):
        step = model(window)
        steps.append(step)
        window = torch.cat([window[:, :, 1:], step[:, None, None, :]], dim=2)
    return torch.stack(steps, dim=1)


@torch.no_grad()
def forecast(model: nn.Module, windows: torch.Tensor, n_his: int, n_pred: int,
             batch_size: int = 32, device: str | torch.device = "cpu",
             streaming: bool = True) -> torch.Tensor:
    """Roll out every window of ``windows`` [S, n_his + n_pred, N]; returns [S, n_pred, N] on CPU.

    An :class:`~stgkd.nn.STGCN` is rolled out by
    :func:`~stgkd.nn.streaming.streaming_rollout` (each step computes only the newest
    time step of every layer; same numbers) unless ``streaming=False``; any other
    model, e.g. a ``torch.compile`` wrapper, by :func:`rollout`.
    """
    was_training = model.training
    model.eval()
    step_fn = streaming_rollout if streaming and isinstance(model, STGCN) else rollout
    outputs = []
    for start in range(0, windows.shape[0], batch_size):
        batch = windows[start:start + batch_size, :n_his].to(device)
        outputs.append(step_fn(model, batch[:, None], n_pred).cpu())
    model.train(was_training)
    return torch.cat(outputs, dim=0)


def evaluate(model: nn.Module, windows: torch.Tensor, scaler: ZScore, n_his: int, n_pred: int,
             steps=(3, 6, 9), step_minutes: int = 5, batch_size: int = 32,
             device: str | torch.device = "cpu") -> dict[str, dict[str, float]]:
    """MAE / MAPE / RMSE in original units at ``steps`` of a 9-step rollout.

    Returns ``{"15min": {"mae", "mape", "rmse"}, "30min": .., "45min": ..}``.
    """
    pred = forecast(model, windows, n_his, n_pred, batch_size, device)
    true = windows[:, n_his:n_his + n_pred]
    return horizon_metrics(scaler.inverse(pred.double()), scaler.inverse(true.double()),
                           steps, step_minutes)


def evaluate_split(model: nn.Module, data: WindowedData, split: str = "test", **kwargs):
    """:func:`evaluate` on one split (``"train"``, ``"val"`` or ``"test"``) of ``data``."""
    return evaluate(model, getattr(data, split), data.scaler, data.n_his, data.n_pred, **kwargs)
