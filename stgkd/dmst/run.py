"""Train or fit one model of the DMST-GNODE comparison, evaluate it at 20/40/60 minutes
and store the result beside the KD paper's runs (``results/<profile>/dmst/<dataset>/<model>``).
"""
from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from stgkd.complexity import count_parameters
from stgkd.data import DEFAULT_SPLITS, load_series
from stgkd.dmst.data import HORIZON_STEPS, MultiStepData, build_graphs, make_multistep_windows
from stgkd.dmst.models import CLASSICAL_MODELS, build_classical, build_model, model_options
from stgkd.dmst.scaling import (DEFAULT_SCALING, LOSS_IN_ORIGINAL_UNITS, check_scaling,
                                scaler_to_dict, training_loss)
from stgkd.io import save_torch, write_json
from stgkd.metrics import horizon_metrics
from stgkd.provenance import now_iso, provenance
from stgkd.runs import result_path, stored_or_resume_path
from stgkd.runlock import lock_run
from stgkd.train import TrainConfig, fit


# The training budget of each profile (epochs, early stopping, windows per epoch) is the
# profile's DMSTBudget (stgkd.profiles.PROFILES); the rest is fixed for every profile.
BATCH_SIZE = 32
LEARNING_RATE = 1e-3
# Adam at a constant learning rate, as STGODE; early stopping ends the run instead of a
# decay (the KD runs' x0.7 every 5 epochs would leave 2e-5 by epoch 60)
LR_DECAY = 1.0


@torch.no_grad()
def predict_windows(model: nn.Module, windows: torch.Tensor, n_his: int, batch_size: int = 64,
                    device: str | torch.device = "cpu") -> torch.Tensor:
    """Forecasts [S, n_pred, N] (scaled) for every window [S, n_his + n_pred, N]; on CPU."""
    was_training = model.training
    model.eval()
    out = [model(windows[i:i + batch_size, :n_his].to(device)).cpu()
           for i in range(0, windows.shape[0], batch_size)]
    model.train(was_training)
    return torch.cat(out, dim=0)


def evaluate_multistep(pred: torch.Tensor | np.ndarray, windows: torch.Tensor,
                       data: MultiStepData) -> dict:
    """RMSE, MAE, MAPE and accuracy in original units at 20/40/60 minutes, plus ``loss``:
    the mean squared error over all n_pred steps in the units the models train in (the
    scaled values, or original units for a ``data.scaling`` whose loss is computed after
    the inverse transform, :data:`stgkd.dmst.scaling.LOSS_IN_ORIGINAL_UNITS`).

    Args:
        pred: [S, n_pred, N] scaled forecasts; windows: [S, n_his + n_pred, N] scaled.
    """
    pred = torch.as_tensor(pred, dtype=torch.float64)
    true = windows[:, data.n_his:].double()
    pred_units, true_units = data.scaler.inverse(pred), data.scaler.inverse(true)
    metrics = horizon_metrics(pred_units, true_units, HORIZON_STEPS, 5, with_accuracy=True)
    if data.scaling in LOSS_IN_ORIGINAL_UNITS:
        metrics["loss"] = float(torch.mean((pred_units - true_units) ** 2))
    else:
        metrics["loss"] = float(torch.mean((pred - true) ** 2))
    return metrics


def run_dmst(experiment, profile: str = "quick", seed: int = 0, device: str = "cpu",
             results_dir: str | Path | None = None, force: bool = False,
             progress: bool = True) -> dict:
    """Train (neural) or fit (ARIMA, SVR) ``experiment.model`` on its data set, evaluate it
    on the test days and store the result JSON (and a checkpoint for neural models).

    Neural models train with Adam (learning rate 1e-3, batch 32) on the mean squared
    error of all 12 scaled steps, select the epoch of lowest validation MAE and stop
    early under the full profile (the profile's :class:`stgkd.profiles.DMSTBudget`);
    interrupted runs resume. ``experiment`` is a :class:`stgkd.registry.DMSTExperiment`;
    its ``options`` may name a ``scaling`` (:data:`stgkd.dmst.scaling.SCALINGS`;
    default Box-Cox with one λ) and the model's options (DMST-GNODE's ``st_module`` and
    ``without``, :func:`stgkd.dmst.models.model_options`); the result records them as
    ``scaling`` and ``reading``, and the checkpoint carries them.
    Like :func:`stgkd.runner.run_experiment`, the run holds ``seed<S>.lock`` while
    it works and records its data files with their sha256 (``data_files``); the result
    is assembled by :func:`stgkd.runner.run_result`.
    """
    # one run of an experiment, profile and seed at a time (RunLockedError otherwise)
    with lock_run(profile, experiment.name, seed, results_dir):
        return _run_dmst(experiment, profile, seed, device, results_dir, force, progress)


def _run_dmst(experiment, profile: str, seed: int, device: str, results_dir, force: bool,
              progress: bool) -> dict:
    """:func:`run_dmst` under the run's lock."""
    # imported here: the registry imports this package for its model names
    from stgkd.registry import get_profile
    from stgkd.runner import run_result
    name, prof = experiment.name, get_profile(profile)
    budget = prof.dmst
    json_path = result_path(profile, name, seed, results_dir)
    stored, resume_path = stored_or_resume_path(profile, name, seed, results_dir, force)
    if stored is not None:
        return stored
    started, clock = now_iso(), time.perf_counter()
    np.random.seed(seed)
    series = load_series(experiment.dataset)
    split = prof.split_days or DEFAULT_SPLITS[experiment.dataset]
    options = dict(experiment.options)
    scaling = check_scaling(options.pop("scaling", DEFAULT_SCALING))
    if experiment.model in CLASSICAL_MODELS and options:
        raise ValueError(f"{name}: {experiment.model} takes no model options, found {options}")
    chosen = {} if experiment.model in CLASSICAL_MODELS else model_options(experiment.model,
                                                                            options)
    data = make_multistep_windows(series, split, scaling=scaling)
    about, fitted, checkpoint = {"model": experiment.model}, None, None
    if experiment.model in CLASSICAL_MODELS:
        forecaster = build_classical(experiment.model, seed)
        train_scaled = np.asarray(data.scaler.transform(series.values[: split[0] * data.steps_per_day]))
        forecaster.fit(train_scaled, data.steps_per_day)
        pred = forecaster.predict(data.test[:, :data.n_his].numpy())
        test = evaluate_multistep(pred, data.test, data)
        about["parameters"], train_config = None, {"classical": True, "seed": seed}
        fit_time = 0.0
    else:
        # the DTW pattern graph takes tens of seconds: only the neural models use graphs
        graphs = build_graphs(series, split[0])
        about["pattern_graph_edges"] = int(np.count_nonzero(graphs["pattern"]) // 2)
        torch.manual_seed(seed)
        model = build_model(experiment.model, series.n_nodes, graphs, data.n_his, data.n_pred,
                            **chosen)
        # a budget at least the training set is no budget: left out, so the stored config
        # (and a resume file's) says every window was used
        epoch_windows = (budget.epoch_windows if budget.epoch_windows is not None
                         and budget.epoch_windows < len(data.train) else None)
        config = TrainConfig(epochs=budget.max_epochs, batch_size=BATCH_SIZE, lr=LEARNING_RATE,
                             lr_decay=LR_DECAY, seed=seed, device=device, optimizer="adam",
                             patience=budget.patience, multi_step=True,
                             epoch_windows=epoch_windows)
        fitted = fit(model, data, config, training_loss(scaling, data.scaler),
                     state_path=resume_path,
                     progress=progress,
                     validate=lambda m: evaluate_multistep(
                         predict_windows(m, data.val, data.n_his, device=device), data.val, data),
                     monitor=lambda m: evaluate_multistep(
                         predict_windows(m, data.test, data.n_his, device=device), data.test, data))
        test = evaluate_multistep(predict_windows(model, data.test, data.n_his, device=device),
                                  data.test, data)
        checkpoint = result_path(profile, name, seed, results_dir, ".pt")
        save_torch(checkpoint, {"model": experiment.model, "n_nodes": series.n_nodes,
                                "state_dict": model.cpu().state_dict(),
                                "scaler": scaler_to_dict(data.scaler), "scaling": scaling,
                                "options": chosen, "experiment": name})
        about["parameters"], train_config = count_parameters(model), asdict(config)
        fit_time = fitted.wall_time_s - fitted.session_train_time_s
    test_loss = test.pop("loss")
    result = run_result(
        experiment, profile, seed, series, data, list(split), about=about,
        settings={"scaling": scaling, "reading": {"scaling": scaling, **chosen},
                  "scaler": scaler_to_dict(data.scaler)},
        train_config=train_config, fitted=fitted, checkpoint=checkpoint, test=test,
        test_loss=test_loss,
        run_provenance=provenance(device, started, time.perf_counter() - clock + fit_time)
        | (fitted.session_provenance() if fitted is not None else {}))
    write_json(json_path, result)
    resume_path.unlink(missing_ok=True)
    return result
