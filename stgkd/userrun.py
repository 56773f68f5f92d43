"""Run an experiment file (:mod:`stgkd.userconfig`): the teacher, the students and the
pruned models it asks for, on the researcher's own data, into the results store.

Each run is stored as the named experiments are (:mod:`stgkd.runs`), under the
profile ``custom`` and the name ``user/<file stem>/<run>``: ``teacher``,
``student-<kind>`` (``student-no-kd`` for the loss ``none``), ``base`` (the pruning
base) and ``<method>-<level>`` (e.g. ``kdis-50``). Runs resume as ``stgkd run <name>``
does: training from ``seed<S>.resume.pt`` (:func:`stgkd.train.fit`), pruning from
``seed<S>.prune.pt`` (:func:`stgkd.prune.algorithm1`). A finished run is not repeated;
if the file has changed what it computes since, the run is refused (``--force``
retrains). Each checkpoint holds the graph it was trained on, so ``stgkd predict`` and
``stgkd export`` need no ``--graph``.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from stgkd.complexity import count_parameters
from stgkd.data import DataFormatError, load_custom, make_windows
from stgkd.data.fetch import sha256_file
from stgkd.evaluate import evaluate_split
from stgkd.registry import TEACHER_SEED, Experiment, PruningPlan
from stgkd.runner import model_to_train, seed_everything, stgcn_result
from stgkd.io import save_torch, write_json
from stgkd.nn.stgcn import STGCN
from stgkd.prune.algorithm import step_share
from stgkd.provenance import now_iso
from stgkd.runs import load_result, result_path, stored_or_resume_path
from stgkd.runlock import lock_run
from stgkd.train import TrainConfig, fit
from stgkd.userconfig import USER_PROFILE, ConfigError, ExperimentFile, load, split_days


@dataclass(frozen=True)
class UserRun:
    """One run of an experiment file: ``role`` is teacher, student, base or pruned."""

    experiment: Experiment
    role: str
    epochs: int

    @property
    def name(self) -> str:
        return self.experiment.name


def run_name(config: ExperimentFile, key: str) -> str:
    """``user/<file stem>/<key>``, the experiment name a run is stored under."""
    return f"user/{config.stem}/{key}"


def _level_tag(level: float) -> str:
    return f"{level:g}"


def prepare(config: ExperimentFile):
    """Load the file's data and cut its windows; check what needs the data.

    Returns ``(series, data)``. Raises :class:`ConfigError` naming the field for a data
    file that does not fit (a graph whose station count differs from the series, ...),
    a split that leaves a part without windows, an input too short for the blocks, or a
    student that is not smaller than its teacher.
    """
    d, where = config.data, config.path or "<experiment file>"
    speed, graph = config.data_path(d.speed_csv), config.data_path(d.graph_csv)
    try:
        series = load_custom(speed, graph, d.steps_per_day, header=d.header,
                             name=f"user/{config.stem}", sigma2=d.sigma2, epsilon=d.epsilon,
                             scale=d.distance_scale, distances_are_weights=d.graph == "weights",
                             zero_is_missing=d.zero_is_missing, units=d.units)
    except DataFormatError as error:
        field = "data.graph_csv" if error.path == graph else "data.speed_csv"
        raise ConfigError(f"{where}: {field}: {error}") from None
    days = split_days(config, series.n_days)
    data = make_windows(series, days, d.n_his, d.n_pred)
    sizes = {}
    for section in ("teacher", "student"):
        blocks = getattr(config, section).blocks
        try:
            sizes[section] = count_parameters(STGCN(series.n_nodes, blocks, n_his=d.n_his))
        except ValueError as error:
            raise ConfigError(f"{where}: data.n_his, {section}.blocks: {error}") from None
    try:
        STGCN(series.n_nodes, config.pruning.base_blocks, n_his=d.n_his)
    except ValueError as error:
        raise ConfigError(f"{where}: data.n_his, pruning.base_blocks: {error}") from None
    if sizes["student"] >= sizes["teacher"]:
        raise ConfigError(
            f"{where}: student.blocks: expected a student smaller than its teacher, found "
            f"{sizes['student']:,} parameters for {config.student.blocks} against the "
            f"teacher's {sizes['teacher']:,} for {config.teacher.blocks} (teacher.blocks) on "
            f"{series.n_nodes} stations; give the student fewer channels")
    return series, data


def _needs(config: ExperimentFile) -> tuple[bool, bool]:
    """(a teacher is needed, a pruning base is needed)."""
    p = config.pruning
    pruning = bool(p.levels and p.methods)
    teacher = any(kind != "none" for kind in config.student.losses) or \
        (pruning and "kdis" in p.methods)
    return teacher, pruning


def plan(config: ExperimentFile, n_nodes: int) -> list[UserRun]:
    """The runs of the file, each after the ones it learns from."""
    t, d = config.training, config.data
    stem = config.stem
    dataset = f"user/{stem}"
    teacher_name, base_name = run_name(config, "teacher"), run_name(config, "base")
    runs = [UserRun(Experiment(teacher_name, dataset, config.teacher.blocks,
                               f"STGCN teacher {config.teacher.blocks}, supervised loss, on "
                               f"{stem}", "Teacher", batch_size=t.batch_size,
                               learning_rate=t.learning_rate), "teacher", t.epochs)]
    for kind in config.student.losses:
        settings = config.loss_settings(kind)
        batch = settings.pop("batch_size", t.batch_size)
        lr = settings.pop("learning_rate", t.learning_rate)
        if kind == "none":
            experiment = Experiment(run_name(config, "student-no-kd"), dataset,
                                    config.student.blocks, f"STGCN student "
                                    f"{config.student.blocks} trained on the data alone, on "
                                    f"{stem}", "Student W/O KD", batch_size=batch,
                                    learning_rate=lr)
        else:
            weights = ", ".join(f"{k}={v}" for k, v in settings.items())
            experiment = Experiment(run_name(config, f"student-{kind}"), dataset,
                                    config.student.blocks, f"STGCN student "
                                    f"{config.student.blocks} distilled from {teacher_name} "
                                    f"with {kind.upper()} ({weights}), on {stem}",
                                    f"Student {kind.upper()}", loss=kind, hyper=settings,
                                    teacher=teacher_name, batch_size=batch, learning_rate=lr)
        runs.append(UserRun(experiment, "student", t.epochs))
    p = config.pruning
    if not (p.levels and p.methods):
        return runs
    runs.append(UserRun(Experiment(base_name, dataset, p.base_blocks,
                                   f"STGCN pruning base {p.base_blocks} trained on the data "
                                   f"alone, on {stem}", "Base Model", batch_size=t.batch_size,
                                   learning_rate=t.learning_rate), "base", t.epochs))
    base_model = STGCN(n_nodes, p.base_blocks, n_his=d.n_his)
    for level in p.levels:
        fraction = p.fraction if p.fraction is not None else step_share(base_model, level / 100)
        setting = config.kdis_setting(level)
        for method in p.methods:
            kdis = method == "kdis"
            how = (f"Algorithm 1 (KDIS from LSTCD, "
                   f"{', '.join(f'{k}={v:g}' for k, v in setting['hyper'].items())}, teacher "
                   f"{teacher_name})" if kdis else
                   "first-order Taylor scores of the supervised loss")
            experiment = Experiment(
                run_name(config, f"{method}-{_level_tag(level)}"), dataset, p.base_blocks,
                f"{base_name} pruned by {level:g}% with {how}, every {p.interval_epochs:g} "
                f"epochs, then fine-tuned on the data, on {stem}",
                "Pruned W LSTCD" if kdis else "Pruned W/O KD",
                hyper=setting["hyper"] if kdis else {}, teacher=teacher_name if kdis else None,
                batch_size=setting["batch_size"], learning_rate=t.learning_rate,
                paper_setting=f"pruned {level:g}%",
                pruning=PruningPlan(base_name, "lstcd" if kdis else "supervised", fraction,
                                    interval_epochs=p.interval_epochs,
                                    target_level=level / 100,
                                    finetune_epochs=p.finetune_epochs))
            runs.append(UserRun(experiment, "pruned", experiment.pruning.epochs(t.epochs)))
    return runs


def _step_minutes(config: ExperimentFile):
    minutes = 1440 / config.data.steps_per_day
    return int(minutes) if minutes == int(minutes) else round(minutes, 3)


def run_settings(run: UserRun, config: ExperimentFile, series, data) -> dict:
    """What one run computes, as stored with its result: a stored run whose settings
    differ from the file's is refused rather than silently reused."""
    e, d, t = run.experiment, config.data, config.training
    settings = {"blocks": e.blocks, "loss": e.loss, "hyper": e.hyper, "teacher": e.teacher,
                "batch_size": e.batch_size, "learning_rate": e.learning_rate,
                "epochs": run.epochs, "lr_decay": t.lr_decay, "lr_decay_every": t.lr_decay_every,
                "split_days": list(data.split_days), "n_his": d.n_his, "n_pred": d.n_pred,
                "horizons": d.horizons, "steps_per_day": d.steps_per_day,
                "graph": {k: getattr(d, k) for k in ("graph", "distance_scale", "sigma2",
                                                     "epsilon")},
                "data_sha256": [sha256_file(Path(s)) for s in series.sources],
                "pruning": asdict(e.pruning) if e.pruning is not None else None}
    return json.loads(json.dumps(settings))


def _run_one(run: UserRun, config: ExperimentFile, series, data, seed: int, device: str,
             results_dir, force: bool, progress: bool, teacher_cache: bool) -> dict:
    """Train, evaluate and store one run (resumable; a stored run is returned as is)."""
    name, profile = run.name, USER_PROFILE
    settings = run_settings(run, config, series, data)
    with lock_run(profile, name, seed, results_dir):
        stored, resume_path = stored_or_resume_path(profile, name, seed, results_dir, force)
        if stored is not None:
            if stored.get("run_settings") != settings:
                changed = sorted(k for k in settings
                                 if settings[k] != stored.get("run_settings", {}).get(k))
                raise ConfigError(
                    f"{config.path}: {result_path(profile, name, seed, results_dir)} was "
                    f"trained with other settings ({', '.join(changed) or 'all'} differ); "
                    f"rerun with `stgkd run {config.path} --force` to retrain, or copy the file "
                    f"under a new name to keep both")
            return stored
        return _train(run, config, series, data, seed, device, results_dir, progress,
                      teacher_cache, settings, resume_path)


def _train(run, config, series, data, seed, device, results_dir, progress, teacher_cache,
           settings, resume_path) -> dict:
    experiment, name, profile = run.experiment, run.name, USER_PROFILE
    started, clock = now_iso(), time.perf_counter()
    seed_everything(seed)
    horizons, minutes = tuple(config.data.horizons), _step_minutes(config)

    def metrics(split: str):
        return lambda m: evaluate_split(m, data, split, steps=horizons, step_minutes=minutes,
                                        device=device)

    model, loss_fn, teacher_info, pruning_info, earlier_pruning_s = model_to_train(
        experiment, profile, seed, device, results_dir, series, data, teacher_cache, progress)
    t = config.training
    train_config = TrainConfig(epochs=run.epochs, batch_size=experiment.batch_size,
                               lr=experiment.learning_rate, lr_decay=t.lr_decay,
                               lr_decay_every=t.lr_decay_every, seed=seed, device=device)
    fitted = fit(model, data, train_config, loss_fn, state_path=resume_path, progress=progress,
                 validate=metrics("val"), monitor=metrics("test"))
    test = metrics("test")(model)

    checkpoint_path = result_path(profile, name, seed, results_dir, ".pt")
    save_torch(checkpoint_path, {"model_config": model.config,
                                 "state_dict": model.cpu().state_dict(),
                                 "scaler": asdict(data.scaler), "experiment": name,
                                 "weights": torch.from_numpy(np.ascontiguousarray(series.weights)),
                                 "experiment_file": str(config.path)})
    result = stgcn_result(experiment, profile, seed, model, series, data, list(data.split_days),
                          train_config, fitted, test, checkpoint_path, device, started, clock,
                          earlier_pruning_s, loss_fn, teacher_info, pruning_info)
    result |= {"role": run.role,
               "experiment_file": {"path": str(config.path),
                                   "sha256": sha256_file(config.path) if config.path else None},
               "run_settings": settings}
    write_json(result_path(profile, name, seed, results_dir), result)
    resume_path.unlink(missing_ok=True)
    result_path(profile, name, seed, results_dir, ".prune.pt").unlink(missing_ok=True)
    return result


def run_seeds(run: UserRun, config: ExperimentFile) -> list[int]:
    """The file's seeds; the teacher and the pruning base also seed 0 when others learn
    from them."""
    teacher, base = _needs(config)
    if (run.role == "teacher" and teacher) or (run.role == "base" and base):
        return sorted({TEACHER_SEED, *config.seeds})
    return list(config.seeds)


def run_file(path: str | Path, results_dir=None, force: bool = False, progress: bool = True,
             teacher_cache: bool = True, say=print) -> list[dict]:
    """Run every run of the experiment file at ``path`` (see the module's docstring);
    returns their results."""
    from stgkd.cli import check_device
    config = load(path)
    check_device(config.device)
    series, data = prepare(config)
    results = []
    for run in plan(config, series.n_nodes):
        for seed in run_seeds(run, config):
            if say is not None:
                say(f"== {run.name} | seed {seed} | {config.device}")
            result = _run_one(run, config, series, data, seed, config.device, results_dir,
                              force, progress, teacher_cache)
            if say is not None:
                maes = " / ".join(f"{m['mae']:.3f}" for m in result["test"].values())
                say(f"   test MAE {maes} ({', '.join(result['test'])}) -> "
                    f"{result_path(USER_PROFILE, run.name, seed, results_dir)}")
            results.append(result)
    return results


def summary(path: str | Path, results_dir=None) -> pd.DataFrame:
    """The stored runs of an experiment file, one row per run and seed: its role,
    parameters (and their share of the teacher's), test MAE and RMSE per horizon, and
    where its checkpoint is. Runs not stored yet are left out."""
    config = load(path)
    teacher = load_result(USER_PROFILE, run_name(config, "teacher"), TEACHER_SEED, results_dir)
    rows = []
    for key in _run_keys(config):
        name = run_name(config, key)
        for seed in sorted({TEACHER_SEED, *config.seeds}):
            result = load_result(USER_PROFILE, name, seed, results_dir)
            if result is None:
                continue
            row = {"run": name, "seed": seed, "parameters": result["parameters"]}
            if teacher is not None:
                row["% of teacher"] = 100 * result["parameters"] / teacher["parameters"]
            for horizon, m in result["test"].items():
                row[f"MAE {horizon}"] = m["mae"]
            for horizon, m in result["test"].items():
                row[f"RMSE {horizon}"] = m["rmse"]
            row["checkpoint"] = str(result_path(USER_PROFILE, name, seed, results_dir, ".pt"))
            rows.append(row)
    return pd.DataFrame(rows)


def _run_keys(config: ExperimentFile) -> list[str]:
    keys = ["teacher"] + [f"student-{'no-kd' if k == 'none' else k}"
                          for k in config.student.losses]
    p = config.pruning
    if p.levels and p.methods:
        keys += ["base"] + [f"{m}-{_level_tag(lv)}" for lv in p.levels for m in p.methods]
    return keys


def show(name: str, seed: int = 0, results_dir=None, as_json: bool = False) -> int:
    """``stgkd show`` of an experiment file (every stored run) or of one run
    ``user/<stem>/<run>``."""
    if name.endswith(".toml"):
        frame = summary(name, results_dir)
        if frame.empty:
            print(f"{name}: no stored run yet: stgkd run {name}")
            return 0
        with pd.option_context("display.width", 200, "display.max_columns", 50,
                               "display.max_colwidth", 80):
            print(frame.drop(columns="checkpoint").to_string(index=False, float_format="%.3f"))
        return 0
    result = load_result(USER_PROFILE, name, seed, results_dir)
    if result is None:
        raise KeyError(f"{name}: expected a stored run of an experiment file "
                       f"({result_path(USER_PROFILE, name, seed, results_dir)}), found none; "
                       f"run the file with `stgkd run <file>.toml`")
    print(f"{name}: {result['description']}")
    print(f"  experiment file {result['experiment_file']['path']}, blocks {result['blocks']}")
    print(f"  seed {seed}: {result['parameters']:,} parameters, best epoch "
          f"{result['best_epoch']}, {result['provenance']['wall_time_s']:.0f}s on "
          f"{result['provenance']['device']}")
    print(f"  {'horizon':8} {'MAE':>7} {'MAPE %':>7} {'RMSE':>7}")
    for horizon, m in result["test"].items():
        print(f"  {horizon:8} {m['mae']:7.3f} {m['mape']:7.3f} {m['rmse']:7.3f}")
    print(f"  checkpoint {result_path(USER_PROFILE, name, seed, results_dir, '.pt')}")
    if as_json:
        print(json.dumps(result, indent=2))
    return 0
