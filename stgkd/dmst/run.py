"""Train or fit one model of the DMST-GNODE comparison, evaluate it at 20/40/60 minutes
and store the result beside the KD paper's runs (``results/<profile>/dmst/<dataset>/<model>``).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from stgkd.complexity import count_parameters
from stgkd.data import DEFAULT_SPLITS, load_series
from stgkd.dmst.data import HORIZON_STEPS, MultiStepData, build_graphs, make_multistep_windows
from stgkd.dmst.models import CLASSICAL_MODELS, build_model, model_options
from stgkd.dmst.scaling import (DEFAULT_SCALING, LOSS_IN_ORIGINAL_UNITS, check_scaling,
                                scaler_to_dict, training_loss)
from stgkd.io import save_torch, write_json
from stgkd.metrics import horizon_metrics
from stgkd.provenance import data_files, now_iso, provenance
from stgkd.results import result_path, stored_or_resume_path
from stgkd.runlock import lock_run
from stgkd.train import HISTORY_FIELDS, TrainConfig, fit


@dataclass(frozen=True)
class DMSTProfile:
    """Training budget of the DMST-GNODE runs under one profile."""

    max_epochs: int
    patience: int | None
    split_days: tuple[int, int, int] | None = None   # None: the data set's default split
    # at most this many training windows per epoch, drawn afresh each epoch (None: all)
    epoch_windows: int | None = None


# The paper trains for 600 epochs (its Fig. 13); on a CPU the paper profile stops early
# once the validation MAE has not improved for 10 epochs, at 60 epochs at most, and an
# epoch is at most 1,344 windows (42 batches of 32): all of Los-loop's 1,325 training
# windows, about a seventh of PeMSD7(M)'s 9,010, so that every data set gets the same
# number of steps (DMST-GNODE takes 2-4 s a batch on a 2-core CPU: a full PeMSD7(M)
# epoch would be 10-20 minutes).
DMST_PROFILES: dict[str, DMSTProfile] = {
    "smoke": DMSTProfile(1, None, (1, 1, 1)),
    "quick": DMSTProfile(3, None),
    "paper": DMSTProfile(60, 10, epoch_windows=1344),
}
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
    early under the paper profile (:data:`DMST_PROFILES`); interrupted runs resume.
    The experiment's ``hyper`` may name a ``scaling`` (:data:`stgkd.dmst.scaling.SCALINGS`;
    default Box-Cox with one λ) and the model's options (DMST-GNODE's ``st_module`` and
    ``without``, :func:`stgkd.dmst.models.model_options`); the result records them as
    ``scaling`` and ``reading``, and the checkpoint carries them.
    Like :func:`stgkd.experiments.run_experiment`, the run holds ``seed<S>.lock`` while
    it works and records its data files with their sha256 (``data_files``).
    """
    # one run of an experiment, profile and seed at a time (RunLockedError otherwise)
    with lock_run(profile, experiment.name, seed, results_dir):
        return _run_dmst(experiment, profile, seed, device, results_dir, force, progress)


def _run_dmst(experiment, profile: str, seed: int, device: str, results_dir, force: bool,
              progress: bool) -> dict:
    """:func:`run_dmst` under the run's lock."""
    name = experiment.name
    settings = DMST_PROFILES[profile]
    json_path = result_path(profile, name, seed, results_dir)
    stored, resume_path = stored_or_resume_path(profile, name, seed, results_dir, force)
    if stored is not None:
        return stored
    started, clock = now_iso(), time.perf_counter()
    np.random.seed(seed)
    series = load_series(experiment.dataset)
    split = settings.split_days or DEFAULT_SPLITS[experiment.dataset]
    options = dict(experiment.hyper)
    scaling = check_scaling(options.pop("scaling", DEFAULT_SCALING))
    if experiment.model in CLASSICAL_MODELS and options:
        raise ValueError(f"{name}: {experiment.model} takes no model options, found {options}")
    chosen = {} if experiment.model in CLASSICAL_MODELS else model_options(experiment.model,
                                                                            options)
    data = make_multistep_windows(series, split, scaling=scaling)
    result = {"experiment": name, "profile": profile, "seed": seed, "dataset": experiment.dataset,
              "description": experiment.description, "paper_row": experiment.paper_row,
              "model": experiment.model, "split_days": list(split),
              "n_imputed": series.n_imputed, "data_files": data_files(series.sources),
              "windows": {"train": len(data.train), "val": len(data.val), "test": len(data.test)},
              "scaling": scaling, "reading": {"scaling": scaling, **chosen},
              "scaler": scaler_to_dict(data.scaler)}
    if experiment.model in CLASSICAL_MODELS:
        forecaster = CLASSICAL_MODELS[experiment.model]()
        train_scaled = np.asarray(data.scaler.transform(series.values[: split[0] * data.steps_per_day]))
        forecaster.fit(train_scaled, data.steps_per_day)
        pred = forecaster.predict(data.test[:, :data.n_his].numpy())
        test = evaluate_multistep(pred, data.test, data)
        result |= {"parameters": None, "train_config": {"classical": True}}
        fit_time = 0.0
    else:
        # the DTW pattern graph takes tens of seconds: only the neural models use graphs
        graphs = build_graphs(series, split[0])
        result["pattern_graph_edges"] = int(np.count_nonzero(graphs["pattern"]) // 2)
        torch.manual_seed(seed)
        model = build_model(experiment.model, series.n_nodes, graphs, data.n_his, data.n_pred,
                            **chosen)
        # a budget at least the training set is no budget: left out, so the stored config
        # (and a resume file's) says every window was used
        epoch_windows = (settings.epoch_windows if settings.epoch_windows is not None
                         and settings.epoch_windows < len(data.train) else None)
        config = TrainConfig(epochs=settings.max_epochs, batch_size=BATCH_SIZE, lr=LEARNING_RATE,
                             lr_decay=LR_DECAY, seed=seed, device=device, optimizer="adam",
                             patience=settings.patience, multi_step=True,
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
        result |= {"parameters": count_parameters(model), "train_config": asdict(config),
                   "best_epoch": fitted.best_epoch,
                   "val": fitted.history[fitted.best_epoch - 1]["val"],
                   "history": [{k: h[k] for k in HISTORY_FIELDS if k in h}
                               for h in fitted.history],
                   "checkpoint": checkpoint.name}
        fit_time = fitted.wall_time_s - fitted.session_train_time_s
    test_loss = test.pop("loss")
    result |= {"test": test, "test_loss": test_loss,
               "provenance": provenance(device, started, time.perf_counter() - clock + fit_time)}
    write_json(json_path, result)
    resume_path.unlink(missing_ok=True)
    return result
