"""Named experiments (one per row of a paper table) and the profiles they run under."""
from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from stgkd.complexity import count_parameters, flops_per_window
from stgkd.data import DEFAULT_SPLITS, load_series, make_windows
from stgkd.evaluate import evaluate_split
from stgkd.io import save_torch, write_json
from stgkd.nn.stgcn import STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN
from stgkd.provenance import now_iso, provenance
from stgkd.results import load_result, result_path
from stgkd.train import TrainConfig, fit, supervised_mse


@dataclass(frozen=True)
class Profile:
    """How much of the data and how many epochs an experiment runs with."""

    name: str
    epochs: int
    description: str
    split_days: tuple[int, int, int] | None = None  # None: the data set's default split


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", 1, "three days of real data (1 train / 1 val / 1 test), one epoch; "
                     "seconds, for tests", (1, 1, 1)),
    "quick": Profile("quick", 3, "the full data set, three epochs; minutes on a laptop CPU"),
    "paper": Profile("paper", 50, "the paper's settings: 50 epochs, batch 50, RMSProp 1e-3, "
                     "x0.7 every 5 epochs; about an hour per teacher on a 2-core CPU"),
}


@dataclass(frozen=True)
class Experiment:
    """One trainable configuration: a data set, an STGCN size and a loss."""

    name: str
    dataset: str
    blocks: list = field(hash=False)
    description: str
    paper_row: str = ""          # the model name in the paper's tables


def _kd_baselines() -> dict[str, Experiment]:
    experiments = {}
    for dataset in ("pemsd7m", "losloop"):
        for key, blocks, row, what in (
                ("teacher", TEACHER_BLOCKS, "Teacher", "STGCN teacher [1,32,64],[64,32,128]"),
                ("student-no-kd", STUDENT_BLOCKS, "Student W/O KD",
                 "STGCN student [1,2,4],[4,2,8] trained on the data alone")):
            name = f"kd/{dataset}/{key}"
            experiments[name] = Experiment(name, dataset, blocks,
                                           f"{what}, supervised loss, on {dataset}", row)
    return experiments


EXPERIMENTS: dict[str, Experiment] = {**_kd_baselines()}


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise KeyError(f"experiment: expected one of {sorted(EXPERIMENTS)}, found {name!r} "
                       f"(see `stgkd list`)")
    return EXPERIMENTS[name]


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise KeyError(f"profile: expected one of {sorted(PROFILES)}, found {name!r}")
    return PROFILES[name]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run_experiment(name: str, profile: str = "quick", seed: int = 0, device: str = "cpu",
                   results_dir: str | Path | None = None, force: bool = False,
                   progress: bool = True, compile: bool = False) -> dict:
    """Train and evaluate one experiment, store its result JSON and checkpoint, return the result.

    A finished run is not repeated unless ``force``. An interrupted run resumes
    from ``seed<S>.resume.pt`` beside the result, losing at most one epoch.
    """
    experiment, prof = get_experiment(name), get_profile(profile)
    json_path = result_path(profile, name, seed, results_dir)
    if json_path.is_file() and not force:
        return load_result(profile, name, seed, results_dir)
    resume_path = result_path(profile, name, seed, results_dir, ".resume.pt")
    if force:
        resume_path.unlink(missing_ok=True)
    started, clock = now_iso(), time.perf_counter()

    seed_everything(seed)
    series = load_series(experiment.dataset)
    split = prof.split_days or DEFAULT_SPLITS[experiment.dataset]
    data = make_windows(series, split)
    model = STGCN(series.n_nodes, experiment.blocks, n_his=data.n_his, weights=series.weights)
    config = TrainConfig(epochs=prof.epochs, seed=seed, device=device, compile=compile)
    fitted = fit(model, data, config, supervised_mse, state_path=resume_path, progress=progress)
    test = evaluate_split(model, data, "test", device=device)

    checkpoint_path = result_path(profile, name, seed, results_dir, ".pt")
    save_torch(checkpoint_path, {"model_config": model.config, "state_dict": model.cpu().state_dict(),
                                 "scaler": asdict(data.scaler), "experiment": name})
    result = {
        "experiment": name, "profile": profile, "seed": seed, "dataset": experiment.dataset,
        "description": experiment.description, "paper_row": experiment.paper_row,
        "blocks": experiment.blocks, "parameters": count_parameters(model),
        "flops_per_window": flops_per_window(model, data.n_his, series.n_nodes),
        "split_days": list(split), "n_imputed": series.n_imputed,
        "windows": {"train": len(data.train), "val": len(data.val), "test": len(data.test)},
        "train_config": asdict(config), "best_epoch": fitted.best_epoch,
        "val": fitted.history[fitted.best_epoch - 1]["val"], "test": test,
        "history": [{k: h[k] for k in ("epoch", "train_loss", "val_mae", "lr", "epoch_time_s")}
                    for h in fitted.history],
        "checkpoint": checkpoint_path.name,
        # wall time: training and validation summed over every resumed session, plus
        # this session's data loading and test evaluation
        "provenance": provenance(device, started, fitted.wall_time_s + time.perf_counter() - clock
                                 - fitted.session_train_time_s)
                      | {"resumed_from_epoch": fitted.resumed_from_epoch},
    }
    write_json(json_path, result)
    resume_path.unlink(missing_ok=True)
    return result


def load_model(checkpoint: str | Path, weights=None) -> STGCN:
    """Rebuild a trained STGCN from a run checkpoint (``seed<S>.pt``)."""
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    model = STGCN(**state["model_config"])
    model.load_state_dict(state["state_dict"])
    if weights is not None:
        model.set_graph(weights)
    return model
