"""Metrics and the autoregressive rollout against hand-worked values."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from stgkd.data.windows import ZScore
from stgkd.evaluate import evaluate, rollout
from stgkd.metrics import error_metrics, horizon_metrics


def test_error_metrics_by_hand():
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    true = np.array([[2.0, 2.0], [1.0, 4.0]])
    # errors -1, 0, 2, 0
    m = error_metrics(pred, true)
    assert m["mae"] == pytest.approx(0.75)
    assert m["rmse"] == pytest.approx(math.sqrt(5 / 4))
    assert m["mape"] == pytest.approx((1 / 2 + 2 / 1) / 4 * 100)


def test_mape_leaves_out_zero_targets():
    m = error_metrics(np.array([1.0, 3.0]), np.array([0.0, 2.0]))
    assert m["mape"] == pytest.approx(50.0)
    assert m["mae"] == pytest.approx(1.0)


def test_horizon_metrics_pick_steps_3_6_9():
    true = np.zeros((2, 9, 3)) + 10
    pred = true + np.arange(1, 10)[None, :, None]  # error k at step k
    m = horizon_metrics(pred, true)
    assert list(m) == ["15min", "30min", "45min"]
    assert [m[h]["mae"] for h in m] == pytest.approx([3, 6, 9])


class LastPlusOne(nn.Module):
    """Predicts the last input step plus one: a rollout must then count upwards."""

    def forward(self, x):
        return x[:, 0, -1, :] + 1


def test_rollout_feeds_predictions_back():
    history = torch.zeros(1, 1, 12, 2)
    history[0, 0, -1] = torch.tensor([5.0, 7.0])
    out = rollout(LastPlusOne(), history, 3)
    assert torch.equal(out[0], torch.tensor([[6.0, 8.0], [7.0, 9.0], [8.0, 10.0]]))


def test_evaluate_reports_errors_in_original_units():
    scaler = ZScore(mean=50.0, std=10.0)
    # windows whose future is exactly last + 1 per step in z units: the model is perfect
    base = torch.arange(21, dtype=torch.float32).view(1, 21, 1).repeat(4, 1, 3)
    m = evaluate(LastPlusOne(), base, scaler, 12, 9)
    assert all(v["mae"] == 0 for v in m.values())
    shifted = base.clone()
    shifted[:, 12:] += 0.5  # truth half a z-unit higher = 5 mph
    m = evaluate(LastPlusOne(), shifted, scaler, 12, 9)
    assert m["45min"]["mae"] == pytest.approx(5.0)
    assert m["45min"]["rmse"] == pytest.approx(5.0)
