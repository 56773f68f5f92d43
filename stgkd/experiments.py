"""Named experiments (one per row of a paper table) and the profiles they run under."""
from __future__ import annotations

import random
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from stgkd import distributed
from stgkd.complexity import count_parameters, flops_per_window
from stgkd.data import DEFAULT_SPLITS, load_series, make_windows
from stgkd.data.fetch import sha256_file
from stgkd.distill import LazyTeacherCache, TeacherCache, make_kd_loss
from stgkd.evaluate import evaluate_split
from stgkd.io import RERUN_REMEDY, StoredFileError, read_torch, save_torch, write_json
from stgkd.nn.stgcn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN
from stgkd.prune import algorithm1
from stgkd.provenance import data_files, now_iso, provenance
from stgkd.results import result_path, stored_or_resume_path, results_root
from stgkd.runlock import lock_run
from stgkd.train import HISTORY_FIELDS, TrainConfig, fit, supervised_mse


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
class PruningPlan:
    """How a pruning experiment shrinks a trained STGCN (KD paper, Algorithm 1).

    The seed-0 checkpoint of ``start_from`` (same profile) is trained with
    ``prune_loss`` (``"supervised"``: plain first-order Taylor pruning, Molchanov et
    al.; a distillation kind such as ``"lstcd"``: KDIS, with the experiment's teacher
    and ``hyper``) while channel scores accumulate; every ``interval_epochs`` epochs of
    minibatches the lowest ``fraction`` of each layer's remaining channels is removed,
    until ``target_level`` of the prunable parameters is gone or the model is no larger
    than a fresh ``target_blocks`` STGCN. The compacted model is then fine-tuned with
    the experiment's ``loss`` for the profile's epochs (at most ``finetune_epochs`` when
    set), selected on validation MAE.

    ``compact_each_step``: train a compacted copy, compacted again after every pruning
    step, instead of the full-size masked model (:func:`~stgkd.prune.algorithm1`; the
    same computation up to float rounding, several times cheaper when the teacher is
    pruned to 3%). Off for Table 8's runs, so that each Taylor-vs-KDIS pair is computed
    the same way as the runs stored before the option existed.
    """

    start_from: str
    prune_loss: str
    fraction: float
    interval_epochs: float = 2.0
    target_level: float | None = None
    target_blocks: tuple | None = field(default=None, hash=False)
    finetune_epochs: int | None = None   # None: the profile's epochs
    compact_each_step: bool = False
    scope: str = "layer"                 # rank channels per layer, or over the "network"

    def __post_init__(self):
        if self.finetune_epochs is not None and self.finetune_epochs < 1:
            raise ValueError(f"finetune_epochs: expected None or at least 1 epoch, found "
                             f"{self.finetune_epochs}")

    def epochs(self, profile_epochs: int) -> int:
        """Fine-tuning epochs under a profile of ``profile_epochs`` epochs."""
        return profile_epochs if self.finetune_epochs is None \
            else min(self.finetune_epochs, profile_epochs)


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
    paper_setting: str = ""      # the paper's column for the row, e.g. "pruned 25%"
    pruning: PruningPlan | None = None
    model: str = "stgcn"         # "stgcn", or a DMST-GNODE comparison model (stgkd.dmst.MODELS)
    # the experiment whose seed-0 loss terms set this one's correlation weight
    # (hyper "correlation_share"; see _resolve_reading)
    calibrated_by: str | None = None


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


# The correlation terms' target shares of the LSTCD loss for the dose-response: 0 is LORD
# at LSTCD's alpha1; Table 6's weights give them about 1e-5 under eq. 6's sum.
CORRELATION_SHARES: tuple[float, ...] = (0.0, 1e-3, 1e-2, 1e-1, 0.5)


def _share_tag(share: float) -> str:
    """0.01 -> "1e-2", 0.5 -> "5e-1", 0 -> "0" (an experiment name's suffix)."""
    if share == 0:
        return "0"
    mantissa, exponent = f"{share:.0e}".split("e")
    return f"{mantissa}e-{int(exponent[1:])}"


def _correlation_dose_response() -> dict[str, Experiment]:
    """LSTCD with its correlation terms weighed to a target share of the loss:
    ``kd/<dataset>/student-lstcd-corr<share>``. Not rows of the paper: the question of
    its Table 5 (do the correlation terms help?) asked along an axis. The weight is set
    from the seed-0 ``kd/<dataset>/student-lstcd`` run's mean loss terms (a rule fixed
    before the runs; see :func:`stgkd.distill.readings.correlation_scale_for_share`);
    each result stores the share it reached."""
    experiments = {}
    for dataset in ("losloop", "pemsd7m"):
        for share in CORRELATION_SHARES:
            name = f"kd/{dataset}/student-lstcd-corr{_share_tag(share)}"
            hyper = dict(KD_SETTINGS[dataset]["lstcd"]["hyper"], correlation_share=share)
            experiments[name] = Experiment(
                name, dataset, STUDENT_BLOCKS,
                f"STGCN student distilled from kd/{dataset}/teacher with LSTCD (Table 6 "
                f"weights) whose correlation terms are weighed to {share:g} of the loss, on "
                f"{dataset}", f"Student LSTCD, correlation share {share:g} (not in the paper)",
                loss="lstcd", hyper=hyper, teacher=f"kd/{dataset}/teacher",
                calibrated_by=f"kd/{dataset}/student-lstcd" if share else None)
            if not share:
                continue
            # Table 5's ablations along the same axis: one correlation term alone, weighed
            # to the same share (calibrated from the same LSTCD run's unweighted terms)
            for kind, term in (("ltcd", "temporal"), ("lscd", "spatial")):
                name = f"kd/{dataset}/student-{kind}-corr{_share_tag(share)}"
                hyper = dict(KD_SETTINGS[dataset][kind]["hyper"], correlation_share=share)
                experiments[name] = Experiment(
                    name, dataset, STUDENT_BLOCKS,
                    f"STGCN student distilled from kd/{dataset}/teacher with LORD and the "
                    f"{term} correlation term alone ({kind.upper()}), weighed to {share:g} of "
                    f"the loss, on {dataset}",
                    f"Student {kind.upper()}, correlation share {share:g} (not in the paper)",
                    loss=kind, hyper=hyper, teacher=f"kd/{dataset}/teacher",
                    calibrated_by=f"kd/{dataset}/student-lstcd")
    return experiments


def _table3_alpha1_variants() -> dict[str, Experiment]:
    """Table 5's LORD, LTCD and LSCD with the α1 that gives Table 3's share of teacher
    targets on PeMSD7 (the paper gives no α1 for the LTCD and LSCD ablations):
    ``kd/<dataset>/student-<kind>-t3``. α1 is solved on the training windows before
    training (:func:`stgkd.distill.readings.solve_alpha1`); LTCD and LSCD keep LSTCD's
    α3. Los-loop uses PeMSD7's shares, as it uses its Table 6 values."""
    from stgkd.reference import kd_table
    shares = kd_table(3)
    shares = shares[shares["dataset"] == "PeMSD7"]
    experiments = {}
    for dataset in ("pemsd7m", "losloop"):
        for kind in ("lord", "ltcd", "lscd"):
            pct = float(shares.loc[shares["model"] == KD_ROWS[kind], "value"].iloc[0])
            hyper = {"alpha1_share": pct / 100}
            if kind != "lord":
                hyper["alpha3"] = KD_SETTINGS[dataset]["lstcd"]["hyper"]["alpha3"]
            name = f"kd/{dataset}/student-{kind}-t3"
            experiments[name] = Experiment(
                name, dataset, STUDENT_BLOCKS,
                f"STGCN student distilled from kd/{dataset}/teacher with {kind.upper()} at "
                f"the alpha1 that hands {pct:g}% of the training targets to the teacher "
                f"(Table 3, PeMSD7), on {dataset}",
                f"{KD_ROWS[kind]}, alpha1 from Table 3 (not in the paper)", loss=kind,
                hyper=hyper, teacher=f"kd/{dataset}/teacher")
    return experiments


# Table 9: batch size and LSTCD weights of Algorithm 1 per pruning level ("97%" is
# Table 7's teacher pruned to the student's size). Los-loop runs with the PeMSD7 values.
PRUNING_SETTINGS: dict[str, dict[int, dict]] = {
    "pemsd7m": {97: dict(batch_size=25, hyper=dict(alpha1=0.099, alpha2=0.091, alpha3=0.531)),
                75: dict(batch_size=50, hyper=dict(alpha1=0.963, alpha2=0.716, alpha3=0.081)),
                50: dict(batch_size=50, hyper=dict(alpha1=0.935, alpha2=0.981, alpha3=0.129)),
                25: dict(batch_size=50, hyper=dict(alpha1=0.971, alpha2=0.234, alpha3=0.684))},
    "pems08": {97: dict(batch_size=25, hyper=dict(alpha1=0.746, alpha2=0.445, alpha3=0.020)),
               75: dict(batch_size=50, hyper=dict(alpha1=0.996, alpha2=0.720, alpha3=0.405)),
               50: dict(batch_size=50, hyper=dict(alpha1=0.946, alpha2=0.516, alpha3=0.094)),
               25: dict(batch_size=50, hyper=dict(alpha1=0.748, alpha2=0.324, alpha3=0.868))},
}
PRUNING_SETTINGS["losloop"] = PRUNING_SETTINGS["pemsd7m"]

# The share n of each layer's remaining channels one pruning step removes; the paper
# does not give it. For the pruning base at each level: the share that reaches the
# level with the least overshoot in three to six steps (ties: more steps), computed from
# the architecture and the data set's node count by stgkd.prune.step_share before any
# training (a test recomputes these). A fixed share overshoots by up to a step: 25%
# per step gives 74.0% then 81.9% on PeMSD7(M). The teacher of Table 7 is pruned by 25%
# per step, about ten one-epoch steps down to the student's size. The level a run
# reached is stored with its result.
PRUNING_FRACTIONS: dict[str, dict[int, float]] = {
    "pemsd7m": {25: 0.08, 50: 0.18, 75: 0.18},   # reach 25.6%, 52.0%, 76.3%
    "losloop": {25: 0.08, 50: 0.11, 75: 0.18},   # reach 25.9%, 50.3%, 76.7%
    "pems08": {25: 0.08, 50: 0.17, 75: 0.17},    # reach 26.6%, 50.8%, 75.3%
}
TEACHER_PRUNING_FRACTION = 0.25


def _pruning_experiments() -> dict[str, Experiment]:
    experiments = {}
    for dataset, levels in PRUNING_SETTINGS.items():
        base = f"prune/{dataset}/base"
        experiments[base] = Experiment(
            base, dataset, PRUNING_BASE_BLOCKS,
            f"STGCN pruning base [1,8,16],[16,8,32] trained on the data alone, on {dataset}",
            "Base Model")
        teacher = f"kd/{dataset}/teacher"
        for level in (25, 50, 75):
            setting = f"pruned {level}%"
            name = f"prune/{dataset}/taylor-{level}"
            experiments[name] = Experiment(
                name, dataset, PRUNING_BASE_BLOCKS,
                f"{base} pruned by {level}% with first-order Taylor scores of the supervised "
                f"loss (Molchanov et al.), every two epochs, then fine-tuned on the data, on "
                f"{dataset}", "Pruned W/O KD", batch_size=levels[level]["batch_size"],
                paper_setting=setting,
                pruning=PruningPlan(base, "supervised", PRUNING_FRACTIONS[dataset][level],
                                    target_level=level / 100))
            name = f"prune/{dataset}/kdis-lstcd-{level}"
            hyper = levels[level]["hyper"]
            weights = ", ".join(f"{k}={v:g}" for k, v in hyper.items())
            experiments[name] = Experiment(
                name, dataset, PRUNING_BASE_BLOCKS,
                f"{base} pruned by {level}% with Algorithm 1 (KDIS from LSTCD, {weights}, "
                f"teacher {teacher}), every two epochs, then fine-tuned on the data, on "
                f"{dataset}", "Pruned W LSTCD(ours)", hyper=hyper, teacher=teacher,
                batch_size=levels[level]["batch_size"], paper_setting=setting,
                pruning=PruningPlan(base, "lstcd", PRUNING_FRACTIONS[dataset][level],
                                    target_level=level / 100))
        name = f"prune/{dataset}/teacher-kdis-lstcd"
        hyper = levels[97]["hyper"]
        experiments[name] = Experiment(
            name, dataset, TEACHER_BLOCKS,
            f"{teacher} pruned with Algorithm 1 (KDIS from LSTCD, "
            f"{', '.join(f'{k}={v:g}' for k, v in hyper.items())}) to at most the student's "
            f"parameter count, one pruning step per epoch, then trained with the same LSTCD, "
            f"on {dataset}", "Student W pruning algorithm", loss="lstcd", hyper=hyper,
            teacher=teacher, batch_size=levels[97]["batch_size"],
            pruning=PruningPlan(teacher, "lstcd", TEACHER_PRUNING_FRACTION, interval_epochs=1.0,
                                target_blocks=tuple(map(tuple, STUDENT_BLOCKS)),
                                compact_each_step=True))
    return experiments


def _table8_questions(pruning: dict[str, Experiment]) -> dict[str, Experiment]:
    """Table 8 asked again, on Los-loop and PeMSD7(M) (not rows of the paper):

    - ``prune/<dataset>/kdis-lstcd-<level>-ftkd``: Algorithm 1 whose fine-tuning after
      pruning also uses the LSTCD loss it pruned with (the paper's Section 4.5 can be read
      so), instead of the supervised loss;
    - ``prune/<dataset>/taylor-global-<level>``: Taylor pruning that ranks channels over
      the whole network at each step (as the Taylor-pruning paper the KD paper cites),
      not within each layer; the same share of all remaining channels per step.
    """
    experiments = {}
    for dataset in ("losloop", "pemsd7m"):
        for level in (25, 50, 75):
            kdis = pruning[f"prune/{dataset}/kdis-lstcd-{level}"]
            name = f"{kdis.name}-ftkd"
            experiments[name] = replace(
                kdis, name=name, loss="lstcd",
                description=kdis.description.replace(
                    "then fine-tuned on the data", "then fine-tuned with the same LSTCD"),
                paper_row=f"{kdis.paper_row}, fine-tuned with LSTCD (not in the paper)")
            taylor = pruning[f"prune/{dataset}/taylor-{level}"]
            name = f"prune/{dataset}/taylor-global-{level}"
            experiments[name] = replace(
                taylor, name=name,
                description=taylor.description.replace(
                    "first-order Taylor scores", "first-order Taylor scores ranked over the "
                    "whole network"),
                paper_row=f"{taylor.paper_row}, channels ranked over the network (not in the "
                          f"paper)", pruning=replace(taylor.pruning, scope="network"))
    return experiments


# The suffix of the one-epoch fine-tuning variants of Table 8's runs.
SHORT_FINETUNE_SUFFIX = "-ft1"


def _short_finetune_variants(pruning: dict[str, Experiment]) -> dict[str, Experiment]:
    """Table 8's Taylor and Algorithm 1 runs with one epoch of supervised fine-tuning
    after pruning instead of the profile's 50: ``prune/<dataset>/<kind>-<level>-ft1``.

    Not rows of the paper: an investigation of Section 4.5's "the final network cycle
    undergoes fine-tuning", read as one final epoch. After 50 epochs of supervised
    fine-tuning, whatever the pruning loss left in the weights may be gone; one epoch
    keeps the pruned model near where Algorithm 1 (LSTCD) or Taylor pruning
    (supervised) left it.
    """
    experiments = {}
    for name, experiment in pruning.items():
        key = name.rsplit("/", 1)[-1]
        if not (key.startswith("taylor-") or key.startswith("kdis-lstcd-")):
            continue
        variant = name + SHORT_FINETUNE_SUFFIX
        experiments[variant] = replace(
            experiment, name=variant,
            description=experiment.description.replace(
                "then fine-tuned on the data", "then fine-tuned on the data for one epoch"),
            paper_row=f"{experiment.paper_row}, one fine-tuning epoch (not in the paper)",
            pruning=replace(experiment.pruning, finetune_epochs=1))
    return experiments


def _dmst_experiments() -> dict[str, Experiment]:
    """The DMST-GNODE paper's comparison: ``dmst/<dataset>/<model>`` for each of its ten
    models (multi-step, Box-Cox scaled; see :mod:`stgkd.dmst`), and the variants of
    :func:`stgkd.dmst.variants.dmst_variants` (``dmst/<dataset>/<model>-<suffix>``)."""
    from stgkd.dmst.models import MODEL_DESCRIPTIONS, MODELS
    experiments = {}
    for dataset in ("losloop", "pemsd7m", "pems08"):
        for model in MODELS:
            name = f"dmst/{dataset}/{model.lower()}"
            experiments[name] = Experiment(name, dataset, [], f"{model} on {dataset}, 12 steps "
                                           f"in, 12 out: {MODEL_DESCRIPTIONS[model]}", model,
                                           model=model, batch_size=32)
    from stgkd.dmst.variants import VARIANT_DATASETS, dmst_variants
    for dataset in VARIANT_DATASETS:        # other readings (scaling, ST module, ablations)
        for suffix, model, hyper, label in dmst_variants():
            name = f"dmst/{dataset}/{model.lower()}-{suffix}"
            experiments[name] = Experiment(name, dataset, [], f"{model} on {dataset}, {label}",
                                           f"{model}, {label} (not in the paper)", hyper=hyper,
                                           model=model, batch_size=32)
    return experiments


_PRUNING = _pruning_experiments()
EXPERIMENTS: dict[str, Experiment] = {**_kd_baselines(), **_kd_students(),
                                      **_lord_mean_variants(), **_correlation_dose_response(),
                                      **_table3_alpha1_variants(), **_PRUNING,
                                      **_short_finetune_variants(_PRUNING),
                                      **_table8_questions(_PRUNING),
                                      **_dmst_experiments()}


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


def _distillation_loss(experiment: Experiment, profile: str, results_dir, series, data,
                       device: str, teacher_cache: bool, progress: bool, kind: str | None = None,
                       lazy_cache: bool = False):
    """The distillation loss ``kind`` (default: the experiment's loss) around the
    experiment's trained teacher, with the teacher's answers for the training windows
    cached when ``teacher_cache`` (built on the loss's first use when ``lazy_cache``:
    the cache's ``bytes`` in the provenance are then None until it is built); and the
    teacher's provenance for the result JSON."""
    kind = kind or experiment.loss
    path = _trained_checkpoint(experiment, experiment.teacher, profile, results_dir, "distils from")
    teacher = load_model(path, weights=series.weights).to(device)
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
               "normalise_over": normalise_over, "alpha1_from": "Table 6"}
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
    from stgkd.results import load_result
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
    if experiment.model != "stgcn":
        from stgkd.dmst.run import run_dmst
        return run_dmst(experiment, profile, seed, device, results_dir, force, progress)
    # one run of an experiment, profile and seed at a time (RunLockedError otherwise)
    with lock_run(profile, name, seed, results_dir) if rank == 0 else nullcontext():
        return _run_stgcn(experiment, prof, seed, device, results_dir, force, progress, compile,
                          teacher_cache)


def data_parallel_refusal(experiment: Experiment, n_processes: int) -> str | None:
    """Why ``experiment`` cannot train over ``n_processes`` processes, in one line; None
    when it can: a supervised STGCN without pruning whose batch has at least one window
    per process."""
    what = None
    if experiment.model != "stgcn":
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
    model = STGCN(series.n_nodes, experiment.blocks, n_his=data.n_his, weights=series.weights)
    loss_fn, teacher_info = supervised_mse, None
    if experiment.loss != "supervised":
        loss_fn, teacher_info = _distillation_loss(experiment, profile, results_dir, series, data,
                                                   device, teacher_cache, progress)
    pruning_info, earlier_pruning_s = None, 0.0
    if experiment.pruning is not None:
        model, pruning_info, prune_teacher = _prune(
            experiment, profile, seed, device, results_dir, series, data, loss_fn,
            teacher_cache, progress)
        teacher_info = teacher_info or prune_teacher
        # pruning time of earlier sessions; this session's is inside the clock below
        earlier_pruning_s = pruning_info["wall_time_s"] - pruning_info.pop("session_time_s")
        # the pruned model before any fine-tuning (after one epoch and after all of them
        # are in the fine-tuning history's per-epoch metrics)
        pruning_info["after_pruning"] = {
            split: evaluate_split(model, data, split, device=device) for split in ("val", "test")}
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
    result = run_result(experiment, profile, seed, model, series, data, list(split), config,
                        fitted, test, checkpoint_path, device, started, clock,
                        earlier_pruning_s, loss_fn, teacher_info, pruning_info)
    write_json(json_path, result)
    resume_path.unlink(missing_ok=True)
    result_path(profile, name, seed, results_dir, ".prune.pt").unlink(missing_ok=True)
    if n_processes > 1:
        distributed.broadcast_object(result)
    return result


def run_result(experiment: Experiment, profile: str, seed: int, model: STGCN, series, data,
               split_days: list, config: TrainConfig, fitted, test: dict, checkpoint_path: Path,
               device: str, started: str, clock: float, earlier_pruning_s: float, loss_fn,
               teacher_info: dict | None, pruning_info: dict | None) -> dict:
    """The result JSON of one trained STGCN run (registered or from an experiment file):
    what ran, its sizes, settings, selected epoch, test metrics, history, data files and
    provenance, then :func:`result_extras`. ``clock``: ``time.perf_counter()`` when the
    run's session started; ``started``: its ISO time."""
    name = experiment.name
    result = {
        "experiment": name, "profile": profile, "seed": seed, "dataset": experiment.dataset,
        "description": experiment.description, "paper_row": experiment.paper_row,
        "paper_setting": experiment.paper_setting,
        "blocks": model.config["blocks"], "parameters": count_parameters(model),
        "flops_per_window": flops_per_window(model, data.n_his, series.n_nodes),
        "split_days": split_days, "n_imputed": series.n_imputed,
        "windows": {"train": len(data.train), "val": len(data.val), "test": len(data.test)},
        "loss": experiment.loss, "hyperparameters": dict(experiment.hyper),
        "train_config": asdict(config), "selection": "best-val-mae",
        "best_epoch": fitted.best_epoch,
        "val": fitted.history[fitted.best_epoch - 1]["val"], "test": test,
        "history": [{k: h[k] for k in HISTORY_FIELDS if k in h} for h in fitted.history],
        "checkpoint": checkpoint_path.name,
        "data_files": data_files(series.sources),
        # wall time: training and validation summed over every resumed session, plus
        # this session's data loading and test evaluation
        "provenance": provenance(device, started, fitted.wall_time_s + time.perf_counter() - clock
                                 - fitted.session_train_time_s + earlier_pruning_s)
                      | {"resumed_from_epoch": fitted.resumed_from_epoch}
                      | distributed.provenance(),   # processes and backend, when several
    }
    return result | result_extras(loss_fn, teacher_info, pruning_info)


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


def _prune(experiment: Experiment, profile: str, seed: int, device: str, results_dir, series,
           data, finetune_loss, teacher_cache: bool, progress: bool):
    """Algorithm 1 on the experiment's start checkpoint (see :class:`PruningPlan`).

    Returns the compacted model, the ``pruning`` block of the result JSON and the
    teacher's provenance when the pruning loss distils. Resumable: the state after each
    pruning step is kept in ``seed<S>.prune.pt`` until the whole run is stored.
    """
    plan = experiment.pruning
    start_path = _trained_checkpoint(experiment, plan.start_from, profile, results_dir, "prunes")
    model = load_model(start_path, weights=series.weights).to(device)
    teacher_info = None
    if plan.prune_loss == "supervised":
        prune_loss = supervised_mse
    elif plan.prune_loss == experiment.loss:
        prune_loss = finetune_loss               # one loss (and one teacher cache) for both phases
    else:
        # built on first use: a run resumed after its last pruning step never needs it
        prune_loss, teacher_info = _distillation_loss(experiment, profile, results_dir, series,
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
    if teacher_info is not None and teacher_info["cache"] is not None:
        teacher_info["cache"]["bytes"] = prune_loss.cache.nbytes   # None: not built this session
    return pruned.model.to(device), info, teacher_info


def load_model(checkpoint: str | Path, weights=None) -> STGCN:
    """Rebuild a trained STGCN from a run checkpoint (``seed<S>.pt``)."""
    state = read_torch(checkpoint, RERUN_REMEDY)
    if not isinstance(state, dict) or not {"model_config", "state_dict"} <= set(state):
        raise StoredFileError(checkpoint, "expected a run checkpoint with model_config and "
                              "state_dict, found " + (f"the keys {sorted(state)}" if
                              isinstance(state, dict) else type(state).__name__), RERUN_REMEDY)
    model = STGCN(**state["model_config"])
    model.load_state_dict(state["state_dict"])
    if weights is not None:
        model.set_graph(weights)
    return model
