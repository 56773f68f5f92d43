"""How a registered row (:mod:`stgkd.registry`) is trained and stored: seeding, the
distillation loss around a trained teacher, Algorithm 1's pruning, the training run and
the one result JSON every run writes (:func:`run_result`).

:func:`run_experiment` runs any row; a DMST-GNODE comparison row is handed to
:func:`stgkd.dmst.run.run_dmst`, which trains it and stores its result through the same
:func:`run_result`.
"""
from __future__ import annotations

import random
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from stgkd import distributed
from stgkd.complexity import count_parameters, flops_per_window
from stgkd.data import DEFAULT_SPLITS, load_series, make_windows
from stgkd.data.fetch import sha256_file
from stgkd.distill import LazyTeacherCache, TeacherCache, make_kd_loss
from stgkd.evaluate import evaluate_split
from stgkd.io import save_torch, write_json
from stgkd.nn.stgcn import STGCN
from stgkd.prune import algorithm1, inert_channels
from stgkd.prune import inert_summary as summarise_inert
from stgkd.provenance import data_files, now_iso, provenance
from stgkd.registry import (TEACHER_SEED, DMSTExperiment, Experiment, Profile, get_experiment,
                            get_profile)
from stgkd.runs import (RunResult, load_result, load_stgcn, result_path, results_root,
                        stored_or_resume_path)
from stgkd.runlock import lock_run
from stgkd.train import HISTORY_FIELDS, TrainConfig, fit, supervised_mse


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _trained_checkpoint(experiment: Experiment, needed: str, profile: str, results_dir,
                        what: str) -> Path:
    """The seed-0 checkpoint of ``needed`` (same profile), or a clear error saying how
    to make it."""
    path = result_path(profile, needed, TEACHER_SEED, results_dir, ".pt")
    if not path.is_file():
        raise FileNotFoundError(
            f"{experiment.name} {what} {needed}: expected its {profile}-profile checkpoint "
            f"{path}, found none; train it first with `stgkd run {needed} --profile {profile} "
            f"--seed {TEACHER_SEED}`")
    return path


def distillation_loss(experiment: Experiment, profile: str, results_dir, series, data,
                       device: str, teacher_cache: bool, progress: bool, kind: str | None = None,
                       lazy_cache: bool = False):
    """The distillation loss ``kind`` (default: the experiment's loss) around the
    experiment's trained teacher, with the teacher's answers for the training windows
    cached when ``teacher_cache`` (built on the loss's first use when ``lazy_cache``:
    the cache's ``bytes`` in the provenance are then None until it is built); and the
    teacher's provenance for the result JSON."""
    kind = kind or experiment.loss
    path = _trained_checkpoint(experiment, experiment.teacher, profile, results_dir, "distils from")
    teacher = load_stgcn(path, series.weights).to(device)
    hyper = dict(experiment.hyper)
    if kind == "lskd":
        hyper["student_channels"] = [block[2] for block in experiment.blocks]
    reading = None
    if kind in LORD_KINDS:
        hyper, reading = _resolve_reading(experiment, hyper, teacher, data, profile,
                                          results_dir, device)
    loss_fn = make_kd_loss(kind, teacher, **hyper)
    loss_fn.reading = reading
    cache_info = None
    if teacher_cache and kind != "lskd":  # LSKD's block outputs are not cached
        needs = getattr(loss_fn, "needs", {"temporal": False, "spatial": False})
        def build():
            return TeacherCache.build(teacher, data.train, data.n_his, progress=progress, **needs)

        loss_fn.cache = LazyTeacherCache(build) if lazy_cache else build()
        cache_info = {**needs, "spatial_dtype": "float16", "bytes": loss_fn.cache.nbytes}
    # the checkpoint's path inside the results folder: the same on every machine
    relative = path.relative_to(results_root(results_dir)).as_posix()
    info = {"experiment": experiment.teacher, "seed": TEACHER_SEED, "checkpoint": relative,
            "checkpoint_sha256": sha256_file(path), "cache": cache_info}
    return loss_fn, info


LORD_KINDS = ("lord", "ltcd", "lscd", "lstcd")


def _teacher_training_outputs(teacher, data, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The teacher's one-step outputs and the targets of every training window, [S, N]
    each (z-scored, as the student is trained)."""
    outputs = []
    with torch.no_grad():
        for start in range(0, data.train.shape[0], 256):
            batch = data.train[start:start + 256].to(device)
            outputs.append(teacher(batch[:, None, :data.n_his]).cpu())
    return torch.cat(outputs), data.train[:, data.n_his].cpu()


def _resolve_reading(experiment: Experiment, hyper: dict, teacher, data, profile: str,
                     results_dir, device: str) -> tuple[dict, dict]:
    """The loss weights of a LORD-based run under its reading, and that reading for the
    result JSON.

    Turns the experiment's reading options into loss arguments: ``alpha1_share`` (solve
    α1 for that share of teacher targets on the training windows),
    ``normalise_over="dataset"`` (the training set's range of |y_t - T|) and
    ``correlation_share`` (the correlation weight k from the seed-0 ``calibrated_by``
    run's mean loss terms). Returns the hyperparameters for :func:`make_kd_loss` and
    ``{"lord_reduction", "normalise_over", "alpha1", "alpha1_from", "correlation_scale",
    ...}``.
    """
    from stgkd.distill.readings import (correlation_scale_for_share, solve_alpha1,
                                        teacher_error_range, teacher_share)
    hyper = dict(hyper)
    normalise_over = hyper.get("normalise_over", "sample")
    reading = {"lord_reduction": hyper.get("lord_reduction", "sum"),
               "normalise_over": normalise_over,
               # a pruning loss takes Table 9's weights, a distilled student Table 6's
               "alpha1_from": "Table 9" if experiment.pruning is not None else "Table 6"}
    targets = None
    if normalise_over == "dataset" or "alpha1_share" in hyper:
        targets = _teacher_training_outputs(teacher, data, device)
    if normalise_over == "dataset":
        hyper["error_range"] = teacher_error_range(*targets)
        reading["error_range"] = list(hyper["error_range"])
    if "alpha1_share" in hyper:
        share = hyper.pop("alpha1_share")
        hyper["alpha1"] = solve_alpha1(*targets, share, normalise_over, experiment.batch_size,
                                       hyper.get("error_range"))
        reading |= {"alpha1_from": f"solved for a teacher share of {share:.5f} on the "
                                   f"training windows", "alpha1_target_share": share,
                    "alpha1_share_on_training_windows": teacher_share(
                        *targets, hyper["alpha1"], normalise_over, experiment.batch_size,
                        hyper.get("error_range"))}
    if "correlation_share" in hyper:
        share = hyper.pop("correlation_share")
        scale, basis = 0.0, None
        if share and experiment.calibrated_by is None:
            if experiment.pruning is None:
                raise ValueError(f"{experiment.name}: a correlation share needs calibrated_by "
                                 f"(the run whose loss terms set its weight), found none")
            # a pruning loss is calibrated on the start model by prune_model, before pruning
            reading |= {"correlation_target_share": share,
                        "correlation_scale_from": START_MODEL_CALIBRATION,
                        "alpha1": hyper.get("alpha1"), "correlation_scale": 1.0}
            return {**hyper, "correlation_scale": 1.0}, reading
        if share:
            basis = _trained_result(experiment, experiment.calibrated_by, profile, results_dir)
            scale = correlation_scale_for_share(
                share, basis["loss_terms"]["lord"],
                _correlation_weight_at_unit_scale(experiment.loss, hyper, basis["loss_terms"]))
        hyper["correlation_scale"] = scale
        reading |= {"correlation_target_share": share,
                    "correlation_scale_from": (f"{experiment.calibrated_by} seed "
                                               f"{TEACHER_SEED} loss_terms" if basis else None)}
    reading |= {"alpha1": hyper.get("alpha1"),
                "correlation_scale": hyper.get("correlation_scale", 1.0)}
    return hyper, reading


# How a pruning loss's correlation weight is set when no run calibrates it
START_MODEL_CALIBRATION = "the start model's first training minibatches"
# minibatches the start-model calibration averages the loss terms over
CALIBRATION_BATCHES = 20


def calibrate_correlation(loss_fn, model: torch.nn.Module, data, batch_size: int,
                          device: str = "cpu", batches: int = CALIBRATION_BATCHES) -> float:
    """Set ``loss_fn``'s correlation weight k so its correlation terms are the target share
    (``loss_fn.reading["correlation_target_share"]``) of the loss on ``model`` before
    training: the mean LORD term L and weighted correlation terms C at k = 1 over the
    first ``batches`` training minibatches (seed 0's order, no gradient), then ``k = share
    / (1 - share) · L / C`` (:func:`stgkd.distill.readings.correlation_scale_for_share`).

    The same start model and minibatches give every seed the same k. The loss's step
    counters are reset afterwards, so its ``teacher_share`` and ``term_means`` describe
    pruning alone; the calibration's figures go into ``loss_fn.reading``. Returns k.
    """
    from stgkd.distill.readings import correlation_scale_for_share
    from stgkd.prune.algorithm import minibatches

    reading = loss_fn.reading
    share = reading["correlation_target_share"]
    loss_fn.correlation_scale = 1.0
    stream = minibatches(data, batch_size, seed=TEACHER_SEED, device=device)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for _ in range(batches):
            x, y, index = next(stream)
            if getattr(loss_fn, "takes_sample_index", False):
                loss_fn(model, x, y, index=index)
            else:
                loss_fn(model, x, y)
    model.train(was_training)
    terms = loss_fn.term_means
    at_unit_scale = terms.get("weighted_lscd", 0.0) + terms.get("weighted_ltcd", 0.0)
    scale = correlation_scale_for_share(share, terms["lord"], at_unit_scale)
    loss_fn.reset_statistics()
    loss_fn.correlation_scale = scale
    reading |= {"correlation_scale": scale,
                "correlation_calibration": {"minibatches": batches, "lord": terms["lord"],
                                            "correlation_at_unit_scale": at_unit_scale}}
    return scale


def _correlation_weight_at_unit_scale(kind: str, hyper: dict, terms: dict) -> float:
    """The correlation part of eq. 11 at k = 1 for loss ``kind`` with ``hyper``'s weights,
    from another run's mean unweighted terms ``lscd`` and ``ltcd``:
    ``alpha3 (alpha2 LSCD + (1 - alpha2) LTCD)`` with alpha2 fixed to 0 for LTCD and 1
    for LSCD; for LSTCD (the calibrating run's own weights) its stored
    ``weighted_lscd + weighted_ltcd``."""
    if kind == "lstcd":  # the stored weighted terms, so LSTCD's k is as it always was
        return terms.get("weighted_lscd", 0.0) + terms.get("weighted_ltcd", 0.0)
    alpha2 = {"ltcd": 0.0, "lscd": 1.0}[kind]
    alpha3 = hyper.get("alpha3", 0.0)
    return alpha3 * (alpha2 * terms.get("lscd", 0.0) + (1 - alpha2) * terms.get("ltcd", 0.0))


def _trained_result(experiment: Experiment, needed: str, profile: str, results_dir) -> dict:
    """The seed-0 result of ``needed`` (same profile), or a clear error saying how to make it."""
    result = load_result(profile, needed, TEACHER_SEED, results_dir)
    if result is None:
        path = result_path(profile, needed, TEACHER_SEED, results_dir)
        raise FileNotFoundError(
            f"{experiment.name} is calibrated by {needed}: expected its {profile}-profile "
            f"result {path}, found none; run it first with `stgkd run {needed} --profile "
            f"{profile} --seed {TEACHER_SEED}`")
    return result


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

    The run holds ``seed<S>.lock`` beside its result while it works: the same experiment,
    profile and seed started again meanwhile raises :class:`stgkd.runlock.RunLockedError`.
    The result records every data file read, with its sha256 (``data_files``). The data
    are checked before anything is trained or stored (:mod:`stgkd.data.validate`).

    In a process group of several processes (``stgkd run ... --nproc N`` or torchrun;
    see :mod:`stgkd.distributed`) every process calls this and trains its share of each
    batch; rank 0 holds the lock, validates, tests and stores the files, and every rank
    returns the same result. Only supervised STGCN runs without pruning train so
    (:func:`data_parallel_refusal`).
    """
    experiment, prof = get_experiment(name), get_profile(profile)
    rank, n_processes = distributed.world()
    if n_processes > 1 and data_parallel_refusal(experiment, n_processes):
        raise ValueError(data_parallel_refusal(experiment, n_processes))
    if isinstance(experiment, DMSTExperiment):
        from stgkd.dmst.run import run_dmst
        return run_dmst(experiment, profile, seed, device, results_dir, force, progress)
    # one run of an experiment, profile and seed at a time (RunLockedError otherwise)
    with lock_run(profile, name, seed, results_dir) if rank == 0 else nullcontext():
        return _run_stgcn(experiment, prof, seed, device, results_dir, force, progress, compile,
                          teacher_cache)


def data_parallel_refusal(experiment: Experiment | DMSTExperiment,
                          n_processes: int) -> str | None:
    """Why ``experiment`` cannot train over ``n_processes`` processes, in one line; None
    when it can: a supervised STGCN without pruning whose batch has at least one window
    per process."""
    what = None
    if isinstance(experiment, DMSTExperiment):
        what = f"is a {experiment.model} run of the DMST-GNODE comparison"
    elif experiment.pruning is not None:
        what = "prunes (Algorithm 1)"
    elif experiment.loss != "supervised":
        what = f"distils (loss {experiment.loss})"
    if what is not None:
        return (f"--nproc {n_processes}: {experiment.name} {what}, which trains in one process "
                f"only; data-parallel runs support supervised STGCN runs without pruning "
                f"(kd/<dataset>/teacher, kd/<dataset>/student-no-kd, prune/<dataset>/base)")
    if n_processes > experiment.batch_size:
        return (f"--nproc {n_processes}: expected at most {experiment.name}'s batch size, "
                f"{experiment.batch_size} windows (each process takes a share of every batch), "
                f"found {n_processes}")
    return None


def _run_stgcn(experiment: Experiment, prof: Profile, seed: int, device: str, results_dir,
               force: bool, progress: bool, compile: bool, teacher_cache: bool) -> dict:
    """:func:`run_experiment` of an STGCN experiment, under its run lock."""
    name, profile = experiment.name, prof.name
    rank, n_processes = distributed.world()
    json_path = result_path(profile, name, seed, results_dir)
    if rank == 0:
        stored, resume_path = stored_or_resume_path(profile, name, seed, results_dir, force)
    else:   # rank 0 alone decides (and with force deletes the resume state) ...
        stored, resume_path = None, result_path(profile, name, seed, results_dir, ".resume.pt")
    if n_processes > 1:
        stored = distributed.broadcast_object(stored)   # ... before any rank reads it
    if stored is not None:
        return stored
    started, clock = now_iso(), time.perf_counter()

    seed_everything(seed)
    series = load_series(experiment.dataset)
    split = prof.split_days or DEFAULT_SPLITS[experiment.dataset]
    data = make_windows(series, split)
    model, loss_fn, teacher_info, pruning_info, earlier_pruning_s = model_to_train(
        experiment, profile, seed, device, results_dir, series, data, teacher_cache, progress)
    if pruning_info is not None:
        # the pruned model before any fine-tuning (after one epoch and after all of them
        # are in the fine-tuning history's per-epoch metrics)
        pruning_info["after_pruning"] = {
            split: evaluate_split(model, data, split, device=device) for split in ("val", "test")}
        pruning_info["inert_after_pruning"] = inert_summary(model, data)
    epochs = prof.epochs if experiment.pruning is None else experiment.pruning.epochs(prof.epochs)
    config = TrainConfig(epochs=epochs, seed=seed, device=device, compile=compile,
                         batch_size=experiment.batch_size, lr=experiment.learning_rate)
    # the test metrics of every epoch are recorded (never used for selection), so other
    # model-selection rules can be reported from the history (stgkd.selection)
    fitted = fit(model, data, config, loss_fn, state_path=resume_path, progress=progress,
                 monitor=lambda m: evaluate_split(m, data, "test", batch_size=config.eval_batch_size,
                                                  device=device))
    if rank != 0:
        return distributed.broadcast_object()   # the result rank 0 stores
    test = evaluate_split(model, data, "test", device=device)

    checkpoint_path = result_path(profile, name, seed, results_dir, ".pt")
    save_torch(checkpoint_path, {"model_config": model.config, "state_dict": model.cpu().state_dict(),
                                 "scaler": asdict(data.scaler), "experiment": name})
    result = stgcn_result(experiment, profile, seed, model, series, data, list(split), config,
                          fitted, test, checkpoint_path, device, started, clock,
                          earlier_pruning_s, loss_fn, teacher_info, pruning_info)
    write_json(json_path, result)
    resume_path.unlink(missing_ok=True)
    result_path(profile, name, seed, results_dir, ".prune.pt").unlink(missing_ok=True)
    if n_processes > 1:
        distributed.broadcast_object(result)
    return result


def model_to_train(experiment: Experiment, profile: str, seed: int, device: str, results_dir,
                   series, data, teacher_cache: bool, progress: bool):
    """The model a row trains and its loss: a fresh STGCN of ``experiment.blocks`` (its
    initial weights drawn from the seeded generator), or Algorithm 1's pruned model of
    the row's start checkpoint; the supervised loss or the distillation loss around the
    trained teacher.

    Returns:
        ``(model, loss_fn, teacher_info, pruning_info, earlier_pruning_s)``: the teacher's
        provenance (None without one), the pruning record (None without pruning) and the
        pruning time of earlier sessions (this session's is inside the caller's clock).
    """
    model = STGCN(series.n_nodes, experiment.blocks, n_his=data.n_his, weights=series.weights)
    loss_fn, teacher_info = supervised_mse, None
    if experiment.loss != "supervised":
        loss_fn, teacher_info = distillation_loss(experiment, profile, results_dir, series, data,
                                                   device, teacher_cache, progress)
    pruning_info, earlier_pruning_s = None, 0.0
    if experiment.pruning is not None:
        model, pruning_info, prune_teacher = prune_model(
            experiment, profile, seed, device, results_dir, series, data, loss_fn,
            teacher_cache, progress)
        teacher_info = teacher_info or prune_teacher
        earlier_pruning_s = pruning_info["wall_time_s"] - pruning_info.pop("session_time_s")
    return model, loss_fn, teacher_info, pruning_info, earlier_pruning_s


def run_result(row: Experiment | DMSTExperiment, profile: str, seed: int, series, data,
               split_days: list, *, about: dict, settings: dict, train_config: dict,
               test: dict, run_provenance: dict, fitted=None, checkpoint: Path | None = None,
               selection: str | None = None, test_loss: float | None = None,
               extras: dict | None = None) -> dict:
    """The result JSON of one run, STGCN, pruned and DMST alike, in one key order:

    1. the row: ``experiment, profile, seed, dataset, description, paper_row``;
    2. ``about``, the model that ran (an STGCN's ``paper_setting, blocks, parameters,
       flops_per_window``; a DMST comparison model's ``model``, ``pattern_graph_edges``
       and ``parameters``);
    3. the data: ``split_days, n_imputed, windows`` (train/val/test window counts);
    4. ``settings``, what it was trained with (an STGCN's ``loss, hyperparameters``; a
       DMST model's ``scaling, reading, scaler``), then ``train_config``;
    5. for a trained model (``fitted``, a :class:`stgkd.train.FitResult`): ``selection``
       when named, ``best_epoch`` and its validation metrics ``val``;
    6. ``test`` (and ``test_loss`` when given); for a trained model its per-epoch
       ``history`` and ``checkpoint`` (the file name beside the result);
    7. ``data_files`` (every file read, with its sha256), ``run_provenance`` as
       ``provenance``, then ``extras`` (:func:`result_extras`).

    ``series``: the :class:`stgkd.data.Series` the run read; ``data``: its windows
    (anything with ``train``, ``val`` and ``test`` of one window per row).
    """
    result = {"experiment": row.name, "profile": profile, "seed": seed,
              "dataset": row.dataset, "description": row.description,
              "paper_row": row.paper_row, **about,
              "split_days": split_days, "n_imputed": series.n_imputed,
              "windows": {"train": len(data.train), "val": len(data.val), "test": len(data.test)},
              **settings, "train_config": train_config}
    if fitted is not None:
        if selection is not None:
            result["selection"] = selection
        result |= {"best_epoch": fitted.best_epoch,
                   "val": fitted.history[fitted.best_epoch - 1]["val"]}
    result["test"] = test
    if test_loss is not None:
        result["test_loss"] = test_loss
    if fitted is not None:
        result |= {"history": [{k: h[k] for k in HISTORY_FIELDS if k in h}
                               for h in fitted.history],
                   "checkpoint": checkpoint.name}
    result |= {"data_files": data_files(series.sources), "provenance": run_provenance}
    result |= extras or {}
    # every field a run stores is declared in stgkd.runs.RunResult: a new one is added
    # there first, so that the stored result reads back
    RunResult.from_dict(result)
    return result


def stgcn_result(experiment: Experiment, profile: str, seed: int, model: STGCN, series, data,
                 split_days: list, config: TrainConfig, fitted, test: dict,
                 checkpoint_path: Path, device: str, started: str, clock: float,
                 earlier_pruning_s: float, loss_fn, teacher_info: dict | None,
                 pruning_info: dict | None) -> dict:
    """:func:`run_result` of one trained STGCN run (registered or from an experiment
    file), selected on validation MAE: its sizes, loss and weights, and the optional
    blocks of :func:`result_extras`. ``clock``: ``time.perf_counter()`` when the run's
    session started; ``started``: its ISO time; ``earlier_pruning_s``: the pruning time
    of earlier sessions of a resumed run."""
    # wall time: training and validation summed over every resumed session, plus this
    # session's data loading and test evaluation
    wall_time_s = (fitted.wall_time_s + time.perf_counter() - clock
                   - fitted.session_train_time_s + earlier_pruning_s)
    inert = inert_summary(model, data)
    if inert["cut_at"] is not None:
        print(f"warning: {experiment.name} seed {seed}: the forecast is the same for every "
              f"validation window: every channel of {inert['cut_at']} is inert (channels zero "
              f"on every window: {inert['dead']}); see stgkd.prune.inert", file=sys.stderr)
    return run_result(
        experiment, profile, seed, series, data, split_days,
        about={"paper_setting": experiment.paper_setting, "blocks": model.config["blocks"],
               "parameters": count_parameters(model),
               "flops_per_window": flops_per_window(model, data.n_his, series.n_nodes)},
        settings={"loss": experiment.loss, "hyperparameters": dict(experiment.hyper)},
        train_config=asdict(config), fitted=fitted, selection="best-val-mae", test=test,
        checkpoint=checkpoint_path,
        run_provenance=provenance(device, started, wall_time_s)
        | fitted.session_provenance()
        | distributed.provenance(),   # processes and backend, when several
        extras=result_extras(loss_fn, teacher_info, pruning_info) | {"inert": inert})


def inert_summary(model: STGCN, data) -> dict:
    """Where ``model``'s input is cut off from its forecast, over the validation windows
    of ``data`` (:func:`stgkd.prune.inert.inert_channels`, on the model's device):
    ``cut_at`` (the first layer whose every channel is the same on every window, else
    None) and ``dead`` (layer -> the channels that are zero on every window, for layers
    that have any)."""
    device = next(model.parameters()).device
    return summarise_inert(inert_channels(model, data.val[:, :data.n_his].to(device)))


def result_extras(loss_fn, teacher_info: dict | None, pruning_info: dict | None) -> dict:
    """The optional blocks of a run's result: ``teacher`` (its provenance), ``pruning``,
    and for a LORD-based loss ``teacher_share`` (Table 3: share of the (sample, node)
    targets of all training steps that used the teacher's output), ``loss_terms``,
    ``correlation_share`` (the share of the loss the correlation terms had, averaged
    over training) and ``reading``."""
    extras = {}
    if teacher_info is not None:
        extras["teacher"] = teacher_info
    if pruning_info is not None:
        extras["pruning"] = pruning_info
    if hasattr(loss_fn, "teacher_share"):
        extras["teacher_share"] = loss_fn.teacher_share
        terms = extras["loss_terms"] = loss_fn.term_means
        if terms:
            correlation = terms.get("weighted_lscd", 0.0) + terms.get("weighted_ltcd", 0.0)
            extras["correlation_share"] = correlation / (terms["lord"] + correlation)
    if getattr(loss_fn, "reading", None) is not None:
        extras["reading"] = loss_fn.reading
    return extras


def prune_model(experiment: Experiment, profile: str, seed: int, device: str, results_dir, series,
           data, finetune_loss, teacher_cache: bool, progress: bool):
    """Algorithm 1 on the experiment's start checkpoint (see :class:`stgkd.registry.PruningPlan`).

    Returns the compacted model, the ``pruning`` block of the result JSON and the
    teacher's provenance when the pruning loss distils. Resumable: the state after each
    pruning step is kept in ``seed<S>.prune.pt`` until the whole run is stored.
    """
    plan = experiment.pruning
    start_path = _trained_checkpoint(experiment, plan.start_from, profile, results_dir, "prunes")
    model = load_stgcn(start_path, series.weights).to(device)
    teacher_info = None
    if plan.prune_loss == "supervised":
        prune_loss = supervised_mse
    elif plan.prune_loss == experiment.loss:
        prune_loss = finetune_loss               # one loss (and one teacher cache) for both phases
    else:
        # built on first use: a run resumed after its last pruning step never needs it
        prune_loss, teacher_info = distillation_loss(experiment, profile, results_dir, series,
                                                      data, device, teacher_cache, progress,
                                                      kind=plan.prune_loss, lazy_cache=True)
    batches_per_epoch = -(-len(data.train) // experiment.batch_size)
    interval = max(1, round(plan.interval_epochs * batches_per_epoch))
    target = {}
    if plan.target_level is not None:
        target["target_level"] = plan.target_level
    if plan.target_blocks is not None:
        target["target_parameters"] = count_parameters(
            STGCN(series.n_nodes, [list(b) for b in plan.target_blocks], n_his=data.n_his))
    if (getattr(prune_loss, "reading", None) or {}).get("correlation_scale_from") \
            == START_MODEL_CALIBRATION:
        calibrate_correlation(prune_loss, model, data, experiment.batch_size, device)
    state_path = result_path(profile, experiment.name, seed, results_dir, ".prune.pt")
    start_parameters = count_parameters(model)
    say = print if progress else None
    pruned = algorithm1(model, data, prune_loss, interval=interval, fraction=plan.fraction,
                        batch_size=experiment.batch_size, lr=experiment.learning_rate, seed=seed,
                        compact_each_step=plan.compact_each_step, log=say,
                        state_path=state_path, progress=progress, scope=plan.scope, **target)
    info = {"start_from": {"experiment": plan.start_from, "seed": TEACHER_SEED,
                           "checkpoint": start_path.relative_to(results_root(results_dir)).as_posix(),
                           "checkpoint_sha256": sha256_file(start_path),
                           "parameters": start_parameters},
            "prune_loss": plan.prune_loss, "fraction": plan.fraction,
            "interval_minibatches": interval, "interval_epochs": plan.interval_epochs,
            "compact_each_step": plan.compact_each_step, "scope": plan.scope,
            **target, "steps": len(pruned.history),
            "level": pruned.history[-1]["level"] if pruned.history else 0.0,
            "parameters": pruned.parameters, "channels": pruned.history[-1]["channels"]
            if pruned.history else None, "history": pruned.history,
            "model_config": pruned.model.config,
            "wall_time_s": pruned.wall_time_s, "session_time_s": pruned.session_time_s}
    if hasattr(prune_loss, "teacher_share") and prune_loss is not finetune_loss:
        info["teacher_share"] = prune_loss.teacher_share
        # the pruning loss's terms over the pruning steps, and the reading it ran under
        info |= {key: value for key, value in result_extras(prune_loss, None, None).items()
                 if key in ("loss_terms", "correlation_share", "reading")}
    if teacher_info is not None and teacher_info["cache"] is not None:
        teacher_info["cache"]["bytes"] = prune_loss.cache.nbytes   # None: not built this session
    return pruned.model.to(device), info, teacher_info
