"""The experiment registry: what each row of the two papers' tables is (data set, model,
loss, settings); the profiles every row runs under are in :mod:`stgkd.profiles`.

Nothing here trains: :mod:`stgkd.runner` trains and stores an STGCN row
(:class:`Experiment`), :mod:`stgkd.dmst.run` a row of the DMST-GNODE comparison
(:class:`DMSTExperiment`). Rows are named ``kd/<dataset>/<model>`` (the KD paper's
Tables 2-6), ``prune/<dataset>/<method>-<level>`` (its Tables 7-9) and
``dmst/<dataset>/<model>`` (the DMST-GNODE paper's comparison); :data:`EXPERIMENTS`
holds them all, in that order.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from stgkd.nn.stgcn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, TEACHER_BLOCKS
# the run profiles live in stgkd.profiles (which the results store reads without the rows)
from stgkd.profiles import (LEGACY_PROFILE_NAMES, PROFILES, DMSTBudget, Profile,  # noqa: F401
                            canonical_profile, get_profile)


TEACHER_SEED = 0  # every student, whatever its seed, distils from the seed-0 teacher


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
    """One STGCN row (of the KD paper, or a variant of one): a data set, an STGCN size,
    a loss and its training settings.

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
    # the experiment whose seed-0 loss terms set this one's correlation weight
    # (hyper "correlation_share"; see stgkd.runner)
    calibrated_by: str | None = None

    @property
    def prerequisites(self) -> list[str]:
        """The experiments whose seed-0 run this one needs first, in the order it reads
        them: its teacher, the model it prunes, the run that calibrates its loss."""
        needed = []
        for name in (self.teacher, self.pruning.start_from if self.pruning else None,
                     self.calibrated_by):
            if name is not None and name not in needed:
                needed.append(name)
        return needed


@dataclass(frozen=True)
class DMSTExperiment:
    """One model of the DMST-GNODE paper's comparison on one data set.

    ``model`` is one of :data:`stgkd.dmst.MODELS`; ``options`` are what differs from the
    pinned reading: ``scaling`` (:data:`stgkd.dmst.scaling.SCALINGS`) and the model's
    options (DMST-GNODE's ``st_module`` and ``without``,
    :func:`stgkd.dmst.models.model_options`). The batch size, learning rate and optimiser
    are the comparison's own (:mod:`stgkd.dmst.run`), the epochs each profile's
    :class:`DMSTBudget`.
    """

    name: str
    dataset: str
    model: str
    description: str
    paper_row: str = ""          # the model name in the paper's tables
    options: dict = field(default_factory=dict, hash=False)

    @property
    def prerequisites(self) -> list[str]:
        """None: a comparison model trains from scratch."""
        return []

    @property
    def seed_free(self) -> bool:
        """Whether every seed gives the same forecast (ARIMA,
        :func:`stgkd.dmst.models.is_seed_free`): one run stands for all seeds."""
        from stgkd.dmst.models import is_seed_free
        return is_seed_free(self.model)


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


def correlation_share_tag(share: float) -> str:
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
            name = f"kd/{dataset}/student-lstcd-corr{correlation_share_tag(share)}"
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
                name = f"kd/{dataset}/student-{kind}-corr{correlation_share_tag(share)}"
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


# The correlation terms' share of the LSTCD loss in Table 8's Algorithm 1 arm asked again:
# the share of the Los-loop dose-response with the lowest validation MAE
# (stgkd.report.promising_shares ranks it first on the stored sweep; a test checks this).
TABLE8_CORRELATION_SHARE = 0.1


def _table8_questions(pruning: dict[str, Experiment]) -> dict[str, Experiment]:
    """Table 8 asked again, on Los-loop and PeMSD7(M) (not rows of the paper):

    - ``prune/<dataset>/kdis-lstcd-<level>-ftkd``: Algorithm 1 whose fine-tuning after
      pruning also uses the LSTCD loss it pruned with (the paper's Section 4.5 can be read
      so), instead of the supervised loss;
    - ``prune/<dataset>/taylor-global-<level>``: Taylor pruning that ranks channels over
      the whole network at each step (as the Taylor-pruning paper the KD paper cites),
      not within each layer; the same share of all remaining channels per step;
    - ``prune/<dataset>/kdis-lstcd-<level>-corr<share>``: Algorithm 1 whose LSTCD scores
      weigh the correlation terms to :data:`TABLE8_CORRELATION_SHARE` of the loss, the
      dose-response's best share; under Table 9's weights they are about 1e-5 of it, so
      KDIS ranks channels as LORD's alone. The weight is calibrated on the start model
      before pruning (:func:`stgkd.runner.calibrate_correlation`), the same for every seed.
    """
    experiments = {}
    tag = correlation_share_tag(TABLE8_CORRELATION_SHARE)
    for dataset in ("losloop", "pemsd7m"):
        for level in (25, 50, 75):
            kdis = pruning[f"prune/{dataset}/kdis-lstcd-{level}"]
            name = f"{kdis.name}-corr{tag}"
            experiments[name] = replace(
                kdis, name=name,
                hyper=dict(kdis.hyper, correlation_share=TABLE8_CORRELATION_SHARE),
                description=kdis.description.replace(
                    "(KDIS from LSTCD, ", f"(KDIS from LSTCD with its correlation terms weighed "
                                          f"to {TABLE8_CORRELATION_SHARE:g} of the loss, "),
                paper_row=f"{kdis.paper_row}, correlation share {TABLE8_CORRELATION_SHARE:g} "
                          f"(not in the paper)")
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


def _dmst_experiments() -> dict[str, DMSTExperiment]:
    """The DMST-GNODE paper's comparison: ``dmst/<dataset>/<model>`` for each of its ten
    models (multi-step, Box-Cox scaled; see :mod:`stgkd.dmst`), and the variants of
    :func:`stgkd.dmst.variants.dmst_variants` (``dmst/<dataset>/<model>-<suffix>``)."""
    from stgkd.dmst.models import MODEL_DESCRIPTIONS, MODELS
    experiments = {}
    for dataset in ("losloop", "pemsd7m", "pems08"):
        for model in MODELS:
            name = f"dmst/{dataset}/{model.lower()}"
            experiments[name] = DMSTExperiment(
                name, dataset, model, f"{model} on {dataset}, 12 steps in, 12 out: "
                f"{MODEL_DESCRIPTIONS[model]}", model)
    from stgkd.dmst.variants import VARIANT_DATASETS, dmst_variants
    for dataset in VARIANT_DATASETS:        # other readings (scaling, ST module, ablations)
        for suffix, model, options, label in dmst_variants():
            name = f"dmst/{dataset}/{model.lower()}-{suffix}"
            experiments[name] = DMSTExperiment(name, dataset, model,
                                               f"{model} on {dataset}, {label}",
                                               f"{model}, {label} (not in the paper)", options)
    return experiments


_PRUNING = _pruning_experiments()
EXPERIMENTS: dict[str, Experiment | DMSTExperiment] = {**_kd_baselines(), **_kd_students(),
                                      **_lord_mean_variants(), **_correlation_dose_response(),
                                      **_table3_alpha1_variants(), **_PRUNING,
                                      **_short_finetune_variants(_PRUNING),
                                      **_table8_questions(_PRUNING),
                                      **_dmst_experiments()}


def seed_free_experiments() -> frozenset[str]:
    """The registered rows whose every seed gives the same result (ARIMA's): their one
    stored run is paired with each seed of the other side of a comparison."""
    return frozenset(name for name, experiment in EXPERIMENTS.items()
                     if getattr(experiment, "seed_free", False))


def get_experiment(name: str) -> Experiment | DMSTExperiment:
    """The registered row ``name``; a KeyError listing every name otherwise."""
    if name not in EXPERIMENTS:
        raise KeyError(f"experiment: expected one of {sorted(EXPERIMENTS)}, found {name!r} "
                       f"(see `stgkd list`)")
    return EXPERIMENTS[name]
