"""The DMST-GNODE comparison pipeline: multi-step windows with Box-Cox, accuracy,
early stopping, and a stored run for a neural and a classical model (smoke profile)."""
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from stgkd.data import synthetic_series
from stgkd.dmst import MODELS, make_multistep_windows
from stgkd.registry import EXPERIMENTS
from stgkd.runner import run_experiment
from stgkd.metrics import accuracy, horizon_metrics
from stgkd.train import TrainConfig, fit


def test_accuracy_by_hand():
    true = np.array([[3.0, 4.0]])        # ||Y||_F = 5
    pred = np.array([[3.0, 1.0]])        # ||Y - Yhat||_F = 3
    assert accuracy(pred, true) == pytest.approx(1 - 3 / 5)
    assert accuracy(true, true) == 1.0
    with pytest.raises(ValueError, match="all zeros"):
        accuracy(true, np.zeros_like(true))
    metrics = horizon_metrics(pred[:, None], true[:, None], steps=(1,), step_minutes=20,
                              with_accuracy=True)
    assert metrics["20min"]["accuracy"] == pytest.approx(0.4)
    assert metrics["20min"]["rmse"] == pytest.approx(np.sqrt(9 / 2))


def test_multistep_windows_scale_with_box_cox_fitted_on_training_days():
    series = synthetic_series(n_nodes=4, n_days=4, steps_per_day=48, seed=1)
    data = make_multistep_windows(series, (2, 1, 1))
    # every within-day window of 24 steps: 48 - 24 + 1 per day
    assert data.train.shape == (2 * 25, 24, 4) and data.test.shape == (25, 24, 4)
    # the first training window is the first 24 readings, scaled; inverse gives them back
    first = data.scaler.inverse(data.train[0].double()).numpy()
    assert np.allclose(first, series.values[:24], atol=1e-4)
    # changing the test days does not change the fit
    changed = series.values.copy()
    changed[3 * 48:] *= 3
    series.values = changed
    assert make_multistep_windows(series, (2, 1, 1)).scaler == data.scaler
    with pytest.raises(ValueError, match="split_days"):
        make_multistep_windows(series, (3, 1, 1))


class _Constant(nn.Module):
    """Predicts a learnable constant for every step and node: trains, then stops improving."""

    def __init__(self):
        super().__init__()
        self.c = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.c.expand(x.shape[0], 12, x.shape[2])


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    series = synthetic_series(n_nodes=3, n_days=4, steps_per_day=48, seed=2)
    data = make_multistep_windows(series, (2, 1, 1))
    maes = iter([5.0, 4.0, 4.5, 4.2, 4.1, 3.0, 1.0])   # best at epoch 2, then 3 worse ones
    config = TrainConfig(epochs=7, batch_size=16, optimizer="adam", patience=3, multi_step=True)
    fitted = fit(_Constant(), data, config, progress=False,
                 validate=lambda m: {"20min": {"mae": next(maes)}, "loss": 0.0})
    assert [h["epoch"] for h in fitted.history] == [1, 2, 3, 4, 5]
    assert fitted.best_epoch == 2


@pytest.fixture(scope="module")
def dmst_root(tmp_path_factory):
    return tmp_path_factory.mktemp("results")


@pytest.mark.parametrize("model", ["ST-GCN", "SVR"])
def test_dmst_run_stores_20_40_60_minute_metrics(dmst_root, model):
    name = f"dmst/losloop/{model.lower()}"
    result = run_experiment(name, "smoke", 0, results_dir=dmst_root, progress=False)
    stored = json.loads((dmst_root / "smoke" / name / "seed0.json").read_text())
    assert stored == result
    assert list(result["test"]) == ["20min", "40min", "60min"]
    for metrics in result["test"].values():
        assert set(metrics) == {"rmse", "mae", "mape", "accuracy"}
        assert metrics["rmse"] >= metrics["mae"] > 0 and metrics["accuracy"] < 1
    assert result["paper_row"] == model and result["windows"]["test"] == 288 - 24 + 1
    if model == "ST-GCN":
        assert result["parameters"] > 0 and result["best_epoch"] == 1
        assert (dmst_root / "smoke" / name / "seed0.pt").is_file()
        # one training session, all its epochs, on this run's device
        sessions = result["provenance"]["sessions"]
        assert [(s["from_epoch"], s["to_epoch"]) for s in sessions] == [
            (0, len(result["history"]))]
        assert sessions[0]["device"] == result["provenance"]["device"]
    else:                                # nothing trained: no sessions
        assert "sessions" not in result["provenance"]


def test_every_model_of_the_comparison_has_an_experiment_per_data_set():
    assert len(MODELS) == 10
    for dataset in ("losloop", "pemsd7m", "pems08"):
        for model in MODELS:
            assert EXPERIMENTS[f"dmst/{dataset}/{model.lower()}"].model == model


@pytest.mark.parametrize("budget, stored", [(100, 100), (265, None)])
def test_a_window_budget_applies_only_where_the_training_set_is_larger(tmp_path, monkeypatch,
                                                                         budget, stored):
    """The smoke split trains on one day (265 windows): a budget of 100 caps each epoch,
    one of 265 is no cap and is stored as None (every window used)."""
    from stgkd.registry import PROFILES, DMSTBudget
    monkeypatch.setitem(PROFILES, "smoke",
                        replace(PROFILES["smoke"], dmst=DMSTBudget(1, epoch_windows=budget)))
    result = run_experiment("dmst/losloop/fc-lstm", "smoke", 0, results_dir=tmp_path,
                            progress=False)
    assert result["windows"]["train"] == 265
    assert result["train_config"]["epoch_windows"] == stored


def test_paper_profile_budget_is_los_loops_training_set():
    from stgkd.data import DEFAULT_SPLITS
    from stgkd.registry import PROFILES
    windows_per_day = 288 - 24 + 1
    # Los-loop's training days (1,325 windows) are all used; PeMSD7(M)'s are capped
    assert (DEFAULT_SPLITS["losloop"][0] * windows_per_day <= PROFILES["full"].dmst.epoch_windows
            < DEFAULT_SPLITS["pemsd7m"][0] * windows_per_day)
