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
from stgkd.data.fetch import sha256_file
from stgkd.distill import TeacherCache, make_kd_loss
from stgkd.evaluate import evaluate_split
from stgkd.io import save_torch, write_json
from stgkd.nn.stgcn import STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN
from stgkd.provenance import now_iso, provenance
from stgkd.results import load_result, result_path, results_root
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
    """One trainable configuration: a data set, an STGCN size and a loss.

    ``loss`` is ``"supervised"`` (MSE against the data) or a distillation kind of
    :func:`stgkd.distill.make_kd_loss`, with ``hyper`` its weights and ``teacher``
    the experiment whose seed-0 checkpoint of the same profile is the teacher.
    """

    name: str
    dataset: str
    blocks: list = field(hash=False)
    description: str
    paper_row: str = ""          # the model name in the paper's tables
    loss: str = "supervised"
    hyper: dict = field(default_factory=dict, hash=False)
    teacher: str | None = None
    batch_size: int = 50
    learning_rate: float = 1e-3


def _kd_baselines() -> dict[str, Experiment]:
    experiments = {}
    for dataset in ("pemsd7m", "losloop", "pems08"):
        for key, blocks, row, what in (
                ("teacher", TEACHER_BLOCKS, "Teacher", "STGCN teacher [1,32,64],[64,32,128]"),
                ("student-no-kd", STUDENT_BLOCKS, "Student W/O KD",
                 "STGCN student [1,2,4],[4,2,8] trained on the data alone")):
            name = f"kd/{dataset}/{key}"
            experiments[name] = Experiment(name, dataset, blocks,
                                           f"{what}, supervised loss, on {dataset}", row)
    return experiments


# Table 6 of the KD paper: batch size, learning rate and loss weights per data set.
# The paper tunes on PeMSD7 and PeMSD8 only; Los-loop runs with the PeMSD7 values.
# LTCD and LSCD (the Table 5 ablations, LORD plus one correlation term) have no row
# in Table 6; they run with LSTCD's alpha1 and alpha3.
KD_SETTINGS: dict[str, dict[str, dict]] = {
    "pemsd7m": {
        "lrd-l2": dict(hyper=dict(beta=0.045)),
        "lrd-kl": dict(hyper=dict(beta=0.007)),
        "lskd": dict(hyper=dict(alpha=0.333), batch_size=16),
        "lord": dict(hyper=dict(alpha1=0.593)),
        "ltcd": dict(hyper=dict(alpha1=0.17, alpha3=0.313)),
        "lscd": dict(hyper=dict(alpha1=0.17, alpha3=0.313)),
        "lstcd": dict(hyper=dict(alpha1=0.17, alpha2=0.047, alpha3=0.313)),
    },
    "pems08": {
        "lrd-l2": dict(hyper=dict(beta=0.905)),
        "lrd-kl": dict(hyper=dict(beta=0.728)),
        "lskd": dict(hyper=dict(alpha=0.005), batch_size=60, learning_rate=0.01),
        "lord": dict(hyper=dict(alpha1=0.541)),
        "ltcd": dict(hyper=dict(alpha1=0.846, alpha3=0.504)),
        "lscd": dict(hyper=dict(alpha1=0.846, alpha3=0.504)),
        "lstcd": dict(hyper=dict(alpha1=0.846, alpha2=0.465, alpha3=0.504)),
    },
}
KD_SETTINGS["losloop"] = KD_SETTINGS["pemsd7m"]

KD_ROWS: dict[str, str] = {"lrd-l2": "Student LRD(L2)", "lrd-kl": "Student LRD(KL)",
                           "lskd": "Student LSKD", "lord": "Student LORD",
                           "ltcd": "Student LTCD", "lscd": "Student LSCD",
                           "lstcd": "Student LSTCD"}


def _kd_students() -> dict[str, Experiment]:
    experiments = {}
    for dataset, settings in KD_SETTINGS.items():
        for kind, setting in settings.items():
            name = f"kd/{dataset}/student-{kind}"
            weights = ", ".join(f"{k}={v:g}" for k, v in setting["hyper"].items())
            experiments[name] = Experiment(
                name, dataset, STUDENT_BLOCKS,
                f"STGCN student [1,2,4],[4,2,8] distilled from kd/{dataset}/teacher with "
                f"{kind.upper()} ({weights}), on {dataset}", KD_ROWS[kind], loss=kind,
                teacher=f"kd/{dataset}/teacher", **setting)
    return experiments


def _lord_mean_variants() -> dict[str, Experiment]:
    """LSTCD with LORD averaged over the batch's B*N targets instead of summed (eq. 6).

    Not a row of the paper: an investigation. With eq. 6's sum, LORD outweighs the
    mean-normalised correlation terms of eq. 11 by about 1e5 on PeMSD7(M), so LSTCD
    trains almost as LORD; the mean puts the terms on one scale.
    """
    experiments = {}
    for dataset in ("pemsd7m", "losloop"):
        name = f"kd/{dataset}/student-lstcd-mean"
        hyper = dict(KD_SETTINGS[dataset]["lstcd"]["hyper"], lord_reduction="mean")
        experiments[name] = Experiment(
            name, dataset, STUDENT_BLOCKS,
            f"STGCN student distilled from kd/{dataset}/teacher with LSTCD (Table 6 weights) "
            f"whose LORD term is a mean over batch and nodes instead of eq. 6's sum, on "
            f"{dataset}", "Student LSTCD, LORD as a mean (not in the paper)", loss="lstcd",
            hyper=hyper, teacher=f"kd/{dataset}/teacher")
    return experiments


EXPERIMENTS: dict[str, Experiment] = {**_kd_baselines(), **_kd_students(),
                                      **_lord_mean_variants()}


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


TEACHER_SEED = 0  # every student, whatever its seed, distils from the seed-0 teacher


def _distillation_loss(experiment: Experiment, profile: str, results_dir, series, data,
                       device: str, teacher_cache: bool, progress: bool):
    """The experiment's distillation loss around its trained teacher, with the teacher's
    answers for the training windows cached when ``teacher_cache``; and the teacher's
    provenance for the result JSON."""
    path = result_path(profile, experiment.teacher, TEACHER_SEED, results_dir, ".pt")
    if not path.is_file():
        raise FileNotFoundError(
            f"{experiment.name} distils from {experiment.teacher}: expected its {profile}-profile "
            f"checkpoint {path}, found none; train it first with `stgkd run {experiment.teacher} "
            f"--profile {profile} --seed {TEACHER_SEED}`")
    teacher = load_model(path, weights=series.weights).to(device)
    hyper = dict(experiment.hyper)
    if experiment.loss == "lskd":
        hyper["student_channels"] = [block[2] for block in experiment.blocks]
    loss_fn = make_kd_loss(experiment.loss, teacher, **hyper)
    cache_info = None
    if teacher_cache and experiment.loss != "lskd":  # LSKD's block outputs are not cached
        needs = getattr(loss_fn, "needs", {"temporal": False, "spatial": False})
        loss_fn.cache = TeacherCache.build(teacher, data.train, data.n_his, progress=progress,
                                           **needs)
        cache_info = {**needs, "spatial_dtype": "float16", "bytes": loss_fn.cache.nbytes}
    # the checkpoint's path inside the results folder: the same on every machine
    relative = path.relative_to(results_root(results_dir)).as_posix()
    info = {"experiment": experiment.teacher, "seed": TEACHER_SEED, "checkpoint": relative,
            "checkpoint_sha256": sha256_file(path), "cache": cache_info}
    return loss_fn, info


def run_experiment(name: str, profile: str = "quick", seed: int = 0, device: str = "cpu",
                   results_dir: str | Path | None = None, force: bool = False,
                   progress: bool = True, compile: bool = False,
                   teacher_cache: bool = True) -> dict:
    """Train and evaluate one experiment, store its result JSON and checkpoint, return the result.

    A finished run is not repeated unless ``force``. An interrupted run resumes
    from ``seed<S>.resume.pt`` beside the result, losing at most one epoch. A
    distillation experiment needs its teacher's checkpoint of the same profile;
    ``teacher_cache`` precomputes the teacher's answers for the training windows
    (see :class:`stgkd.distill.TeacherCache`; several GB for LSCD/LSTCD on PeMSD7(M)).
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
    loss_fn, teacher_info = supervised_mse, None
    if experiment.teacher is not None:
        loss_fn, teacher_info = _distillation_loss(experiment, profile, results_dir, series, data,
                                                   device, teacher_cache, progress)
    config = TrainConfig(epochs=prof.epochs, seed=seed, device=device, compile=compile,
                         batch_size=experiment.batch_size, lr=experiment.learning_rate)
    fitted = fit(model, data, config, loss_fn, state_path=resume_path, progress=progress)
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
        "loss": experiment.loss, "hyperparameters": dict(experiment.hyper),
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
    if teacher_info is not None:
        result["teacher"] = teacher_info
    if hasattr(loss_fn, "teacher_share"):
        # Table 3: share of the (sample, node) targets of all training steps that used
        # the teacher's output
        result["teacher_share"] = loss_fn.teacher_share
        result["loss_terms"] = loss_fn.term_means
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
