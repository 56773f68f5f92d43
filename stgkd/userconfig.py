"""The experiment file: one TOML file that says how to distil and prune an STGCN on a
researcher's own sensor network (``stgkd init`` writes one, ``stgkd run file.toml``
runs it; see :mod:`stgkd.userrun`).

:class:`ExperimentFile` and its section dataclasses below are the single source of
truth for the file's fields: their names, types, defaults and documentation (the
``doc`` of each field's metadata, which :func:`template` writes as the comment above the
field). Every default is the KD paper's setting (Izadi et al., arXiv 2401.11798):
TrainConfig's section 4.2 optimisation, Table 6's loss weights for PeMSD7 (the data set
the paper tunes on, which Los-loop also uses: ``KD_SETTINGS["pemsd7m"]``), Table 8's
pruning levels and Table 9's KDIS weights (``PRUNING_SETTINGS["pemsd7m"]``).

An unknown field, a value of the wrong type or out of range is a :class:`ConfigError`
naming the file and the field (with the known fields for an unknown one).
"""
from __future__ import annotations

import math
import sys
import typing
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from stgkd.data import DEFAULT_SPLITS
from stgkd.distill.losses import KINDS
from stgkd.registry import KD_SETTINGS, PRUNING_SETTINGS
from stgkd.nn.stgcn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, TEACHER_BLOCKS
from stgkd.train import TrainConfig

# The results of an experiment file are stored under this profile, as
# results/custom/user/<file stem>/<run>/seed<S>.json.
USER_PROFILE = "custom"
# "none": the student trained on the data alone (the paper's "Student W/O KD").
LOSS_KINDS = ("none",) + KINDS
PRUNING_METHODS = ("kdis", "taylor")
# The paper's settings the defaults come from (PeMSD7; Los-loop runs with them too).
PAPER_KD = KD_SETTINGS["pemsd7m"]
PAPER_PRUNING = PRUNING_SETTINGS["pemsd7m"]
PAPER_SPLIT_FRACTIONS = [d / sum(DEFAULT_SPLITS["pemsd7m"]) for d in DEFAULT_SPLITS["pemsd7m"]]
_TRAIN = TrainConfig()


class ConfigError(ValueError):
    """An experiment file that cannot be run: the message names the file and the field."""


def _field(default, doc: str):
    """A dataclass field with its documentation (a list default is copied per instance)."""
    if isinstance(default, list):
        return field(default_factory=lambda: [list(x) if isinstance(x, list) else x
                                              for x in default], metadata={"doc": doc})
    return field(default=default, metadata={"doc": doc})


@dataclass
class DataConfig:
    """``[data]``: the two CSV files and how to cut them into windows."""

    speed_csv: str = _field("speeds.csv", "the series: one row per time step (oldest first, a "
                            "whole number of days), one column per station; relative paths are "
                            "read from the experiment file's folder")
    graph_csv: str = _field("distances.csv", "the graph: N rows of N numbers, no header, "
                            "stations in the order of speed_csv's columns")
    graph: str = _field("distances", "what graph_csv holds: \"distances\" (inf = no road link; "
                        "weighted by the paper's eq. 16 with distance_scale, sigma2, epsilon) or "
                        "\"weights\" (a symmetric weighted adjacency, used as is)")
    distance_scale: float = _field(1e4, "eq. 16: W_ij = exp(-(d_ij / distance_scale)^2 / "
                                   "sigma2), kept where >= epsilon (STGCN's PeMSD7(M) constants)")
    sigma2: float = _field(0.1, "eq. 16's sigma^2")
    epsilon: float = _field(0.5, "eq. 16's threshold: smaller weights are no edge")
    header: bool = _field(False, "the first line of speed_csv holds station names")
    steps_per_day: int = _field(288, "rows per day (288: 5-minute readings)")
    units: str = _field("mph", "the readings' unit; \"mph\" also checks that speeds lie in "
                        "[0, 200]")
    zero_is_missing: bool = _field(True, "a reading of 0 is a sensor fault, imputed like an "
                                   "empty cell")
    split_fractions: list[float] = _field(PAPER_SPLIT_FRACTIONS, "train / validation / test "
                                          "shares of the days, consecutive, whole days each "
                                          "(default: PeMSD7(M)'s 34 / 5 / 5 of 44 days)")
    split_days: list[int] | None = _field(None, "train / validation / test days, instead of "
                                          "split_fractions, e.g. [34, 5, 5]")
    n_his: int = _field(12, "input length: steps of history the model reads")
    n_pred: int = _field(9, "forecast length: steps the model rolls out")
    horizons: list[int] = _field([3, 6, 9], "forecast steps (1..n_pred) whose errors are "
                                 "reported (3, 6, 9: 15, 30, 45 min of 5-minute data)")


@dataclass
class TeacherConfig:
    """``[teacher]``: the large STGCN trained on the data alone."""

    blocks: list[list[int]] = _field(TEACHER_BLOCKS, "channels of each ST-Conv block: "
                                     "[input, spatial, output]; the first input is 1 and each "
                                     "block's output is the next one's input")


@dataclass
class StudentConfig:
    """``[student]``: the small STGCN distilled from the teacher."""

    blocks: list[list[int]] = _field(STUDENT_BLOCKS, "channels of each ST-Conv block, as the "
                                     "teacher's (the paper's student has about 3% of the "
                                     "teacher's parameters)")
    losses: list[str] = _field(["lstcd"], "one student per loss: " + ", ".join(LOSS_KINDS) +
                               " (none: trained on the data alone); weights in [loss.<kind>]")


@dataclass
class LossConfig:
    """``[loss.<kind>]``: the weights of one distillation loss; an absent field takes the
    paper's value for the kind (:data:`LOSS_DEFAULTS`). Which fields a kind takes:
    :data:`LOSS_FIELDS`."""

    beta: float | None = _field(None, "lrd-l2, lrd-kl: weight of the teacher term, in [0, 1]")
    alpha: float | None = _field(None, "lskd: weight of the block-output term, >= 0")
    alpha1: float | None = _field(None, "LORD-based kinds: the normalised teacher error below "
                                  "which the teacher's output is the target, in [0, 1]")
    alpha2: float | None = _field(None, "lstcd: share of the spatial (vs temporal) correlation "
                                  "term, in [0, 1]")
    alpha3: float | None = _field(None, "ltcd, lscd, lstcd: weight of the correlation terms, "
                                  ">= 0")
    lord_reduction: str | None = _field(None, "LORD over a batch's targets: \"sum\" (eq. 6) or "
                                        "\"mean\"")
    normalise_over: str | None = _field(None, "the range the teacher's error is normalised by: "
                                        "\"sample\", \"batch\" or \"dataset\"")
    correlation_scale: float | None = _field(None, "ltcd, lscd, lstcd: factor k on the "
                                             "correlation terms of eq. 11, >= 0 (1: the paper)")
    batch_size: int | None = _field(None, "this loss's batch size (default: Table 6's, else "
                                    "[training] batch_size)")
    learning_rate: float | None = _field(None, "this loss's learning rate (default: Table 6's, "
                                         "else [training] learning_rate)")


_LORD_OPTIONS = ("lord_reduction", "normalise_over")
_CORRELATION = _LORD_OPTIONS + ("correlation_scale",)
_RUN = ("batch_size", "learning_rate")
# The fields of [loss.<kind>] each kind takes.
LOSS_FIELDS: dict[str, tuple[str, ...]] = {
    "none": _RUN,
    "lrd-l2": ("beta",) + _RUN, "lrd-kl": ("beta",) + _RUN,
    "lskd": ("alpha",) + _RUN,
    "lord": ("alpha1",) + _LORD_OPTIONS + _RUN,
    "ltcd": ("alpha1", "alpha3") + _CORRELATION + _RUN,
    "lscd": ("alpha1", "alpha3") + _CORRELATION + _RUN,
    "lstcd": ("alpha1", "alpha2", "alpha3") + _CORRELATION + _RUN,
}
_READING_DEFAULTS = {"lord_reduction": "sum", "normalise_over": "sample", "correlation_scale": 1.0}


def _loss_defaults(kind: str) -> dict:
    """The paper's values of [loss.<kind>]'s fields (batch size and learning rate only where
    Table 6 sets them)."""
    setting = PAPER_KD.get(kind, {})
    values = dict(setting.get("hyper", {}))
    values |= {k: v for k, v in _READING_DEFAULTS.items() if k in LOSS_FIELDS[kind]}
    values |= {k: setting[k] for k in ("batch_size", "learning_rate") if k in setting}
    return values


LOSS_DEFAULTS: dict[str, dict] = {kind: _loss_defaults(kind) for kind in LOSS_KINDS}


@dataclass
class PruningConfig:
    """``[pruning]``: a pruning base trained on the data, pruned by Algorithm 1 (KDIS: the
    LSTCD loss's Taylor scores, with the teacher) or plain Taylor pruning, to each level,
    then fine-tuned on the data. ``levels = []`` trains no pruned model."""

    methods: list[str] = _field(["kdis", "taylor"], "\"kdis\" (Algorithm 1 with LSTCD) and/or "
                                "\"taylor\" (the supervised loss's Taylor scores)")
    levels: list[float] = _field([25, 50, 75], "shares of the prunable parameters removed, in "
                                 "percent (Table 8)")
    base_blocks: list[list[int]] = _field(PRUNING_BASE_BLOCKS, "channels of the pruning base "
                                          "STGCN's blocks")
    interval_epochs: float = _field(2.0, "epochs of training between two pruning steps")
    fraction: float | None = _field(None, "share of each layer's remaining channels one step "
                                    "removes, in (0, 1] (default: the share that reaches the "
                                    "level in 3 to 6 steps with the least overshoot)")
    alpha1: float | None = _field(None, "kdis: LSTCD's alpha1 (default: Table 9's, by level)")
    alpha2: float | None = _field(None, "kdis: LSTCD's alpha2 (default: Table 9's, by level)")
    alpha3: float | None = _field(None, "kdis: LSTCD's alpha3 (default: Table 9's, by level)")
    batch_size: int | None = _field(None, "batch size while pruning and fine-tuning (default: "
                                    "Table 9's, by level)")
    finetune_epochs: int | None = _field(None, "epochs of fine-tuning after pruning (default: "
                                         "[training] epochs)")


@dataclass
class TrainingConfig:
    """``[training]``: the optimisation of every run (RMSProp, step decay, the epoch of the
    best validation MAE kept)."""

    epochs: int = _field(_TRAIN.epochs, "epochs of each run")
    batch_size: int = _field(_TRAIN.batch_size, "windows per minibatch")
    learning_rate: float = _field(_TRAIN.lr, "RMSProp's learning rate")
    lr_decay: float = _field(_TRAIN.lr_decay, "the learning rate is multiplied by this ...")
    lr_decay_every: int = _field(_TRAIN.lr_decay_every, "... every this many epochs")


@dataclass
class ExperimentFile:
    """A whole experiment file. ``path`` is where it was read from (not a field of the file);
    ``loss`` maps a kind to its ``[loss.<kind>]`` table."""

    seeds: list[int] = _field([0], "seeds of every run; students and pruned models learn from "
                              "the seed-0 teacher and pruning base (trained too when absent)")
    device: str = _field("cpu", "cpu, cuda or cuda:<index>")
    data: DataConfig = field(default_factory=DataConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    loss: dict[str, LossConfig] = field(default_factory=dict)
    pruning: PruningConfig = field(default_factory=PruningConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    path: Path | None = field(default=None, metadata={"internal": True})

    @property
    def stem(self) -> str:
        return self.path.stem if self.path is not None else "experiment"

    def data_path(self, name: str) -> Path:
        """A data file's path, relative ones read from the experiment file's folder."""
        path = Path(name).expanduser()
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return path

    def loss_settings(self, kind: str) -> dict:
        """All of [loss.<kind>]'s fields: the file's values over the paper's defaults."""
        values = dict(LOSS_DEFAULTS[kind])
        table = self.loss.get(kind)
        if table is not None:
            values |= {k: getattr(table, k) for k in LOSS_FIELDS[kind]
                       if getattr(table, k) is not None}
        return values

    def kdis_setting(self, level: float) -> dict:
        """The batch size and LSTCD weights of KDIS at ``level`` percent: the file's values
        over Table 9's row of the nearest of its levels (25, 50, 75)."""
        nearest = min((lv for lv in PAPER_PRUNING if lv != 97), key=lambda lv: abs(lv - level))
        row = PAPER_PRUNING[nearest]
        p = self.pruning
        hyper = {k: getattr(p, k) if getattr(p, k) is not None else row["hyper"][k]
                 for k in ("alpha1", "alpha2", "alpha3")}
        return {"batch_size": p.batch_size or row["batch_size"], "hyper": hyper,
                "table9_level": nearest}


SECTIONS: dict[str, type] = {"data": DataConfig, "teacher": TeacherConfig,
                             "student": StudentConfig, "pruning": PruningConfig,
                             "training": TrainingConfig}


# -- reading -------------------------------------------------------------------------

def _names(cls) -> list[str]:
    return [f.name for f in fields(cls) if not f.metadata.get("internal")]


def _type_name(tp) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin is list:
        return f"a list of {_type_name(args[0])}s" if args else "a list"
    return {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp)))


def _conforms(value, tp) -> bool:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return any(_conforms(value, a) for a in args if a is not type(None))
    if origin is list:
        return isinstance(value, list) and all(_conforms(v, args[0]) for v in value)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def _build(cls, table, where: str, path) -> Any:
    """``cls(**table)``, refusing unknown fields and values of the wrong type."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{where}]: expected a table of fields, found "
                          f"{type(table).__name__} {table!r}")
    known = _names(cls)
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{path}: unknown field {where}.{key}; the fields of [{where}] "
                              f"are: {', '.join(known)}")
        if not _conforms(value, hints[key]):
            raise ConfigError(f"{path}: {where}.{key}: expected {_type_name(hints[key])}, found "
                              f"{value!r}")
        values[key] = float(value) if hints[key] in (float, float | None) and \
            isinstance(value, int) else value
    return cls(**values)


def parse(text: str, path: str | Path | None = None) -> ExperimentFile:
    """An :class:`ExperimentFile` from TOML text (``path`` names it in errors and anchors
    its relative data paths). Raises :class:`ConfigError`."""
    where = path if path is not None else "<experiment file>"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not a valid TOML file: {error}") from None
    top = _names(ExperimentFile)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in top:
            raise ConfigError(f"{where}: unknown field {key!r}; the top-level fields and "
                              f"sections are: {', '.join(top)}")
        if key in SECTIONS:
            values[key] = _build(SECTIONS[key], value, key, where)
        elif key == "loss":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: [loss]: expected tables [loss.<kind>], found {value!r}")
            tables = {}
            for kind, table in value.items():
                if kind not in LOSS_KINDS:
                    raise ConfigError(f"{where}: unknown field loss.{kind}; [loss.<kind>] "
                                      f"takes the kinds: {', '.join(LOSS_KINDS)}")
                config = _build(LossConfig, table, f"loss.{kind}", where)
                for name in table:
                    if name not in LOSS_FIELDS[kind]:
                        raise ConfigError(f"{where}: unknown field loss.{kind}.{name}; the fields "
                                          f"of [loss.{kind}] are: {', '.join(LOSS_FIELDS[kind])}")
                tables[kind] = config
            values["loss"] = tables
        else:
            hint = typing.get_type_hints(ExperimentFile)[key]
            if not _conforms(value, hint):
                raise ConfigError(f"{where}: {key}: expected {_type_name(hint)}, found {value!r}")
            values[key] = value
    split_given = raw.get("data", {}) if isinstance(raw.get("data"), dict) else {}
    config = ExperimentFile(**values, path=Path(path).resolve() if path is not None else None)
    if "split_days" in split_given and "split_fractions" in split_given:
        raise ConfigError(f"{where}: data.split_days, data.split_fractions: expected one of the "
                          f"two, found both")
    validate(config)
    return config


def load(path: str | Path) -> ExperimentFile:
    """Read and check an experiment file. Raises :class:`ConfigError` (or FileNotFoundError)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: expected an experiment file (TOML), found none; "
                                f"write one with `stgkd init {path}`")
    return parse(path.read_text(encoding="utf-8"), path)


# -- checks --------------------------------------------------------------------------

def _in(path, name: str, value, low: float, high: float = math.inf, what: str = "") -> None:
    if not low <= value <= high:
        span = f"[{low:g}, {high:g}]" if high < math.inf else f">= {low:g}"
        raise ConfigError(f"{path}: {name}: expected {what or 'a value'} in {span}, found {value}"
                          if high < math.inf else
                          f"{path}: {name}: expected {what or 'a value'} {span}, found {value}")


def _check_blocks(path, name: str, blocks) -> None:
    if not blocks:
        raise ConfigError(f"{path}: {name}: expected at least one block [input, spatial, output]")
    for i, block in enumerate(blocks):
        if len(block) != 3 or min(block) < 1:
            raise ConfigError(f"{path}: {name}[{i}]: expected three positive channel counts "
                              f"[input, spatial, output], found {block}")
    if blocks[0][0] != 1:
        raise ConfigError(f"{path}: {name}[0]: expected 1 input channel (one reading per "
                          f"station and step), found {blocks[0][0]}")
    for i, (prev, nxt) in enumerate(zip(blocks, blocks[1:])):
        if prev[2] != nxt[0]:
            raise ConfigError(f"{path}: {name}[{i + 1}]: expected {prev[2]} input channels (the "
                              f"output of block {i}), found {nxt[0]}")


def _one_of(path, name: str, value, choices) -> None:
    if value not in choices:
        raise ConfigError(f"{path}: {name}: expected one of {', '.join(map(str, choices))}, "
                          f"found {value!r}")


def validate(config: ExperimentFile) -> None:
    """Check every field's range and the fields' agreement (what can be checked without
    reading the data; :func:`stgkd.userrun.prepare` checks the rest)."""
    path = config.path or "<experiment file>"
    d = config.data
    _one_of(path, "data.graph", d.graph, ("distances", "weights"))
    for name in ("distance_scale", "sigma2"):
        if not getattr(d, name) > 0:
            raise ConfigError(f"{path}: data.{name}: expected a positive number, found "
                              f"{getattr(d, name)}")
    _in(path, "data.epsilon", d.epsilon, 0.0, 1.0, "a weight threshold")
    for name in ("steps_per_day", "n_his", "n_pred"):
        _in(path, f"data.{name}", getattr(d, name), 1, what="a whole number")
    if d.n_his + d.n_pred > d.steps_per_day:
        raise ConfigError(f"{path}: data.n_his, data.n_pred: a window of {d.n_his} + {d.n_pred} "
                          f"steps does not fit in a day of {d.steps_per_day} steps (windows never "
                          f"cross midnight), so there are no windows to train or test on")
    if not d.horizons:
        raise ConfigError(f"{path}: data.horizons: expected at least one forecast step")
    for h in d.horizons:
        _in(path, "data.horizons", h, 1, d.n_pred, "forecast steps (at most data.n_pred)")
    if d.split_days is not None:
        if len(d.split_days) != 3 or min(d.split_days) < 0:
            raise ConfigError(f"{path}: data.split_days: expected three day counts [train, "
                              f"validation, test], found {d.split_days}")
        for part, days in zip(("training", "validation", "test"), d.split_days):
            if days < 1:
                raise ConfigError(f"{path}: data.split_days: {d.split_days} leaves no {part} "
                                  f"days, so no {part} windows; give each part at least one day")
    else:
        fr = d.split_fractions
        if len(fr) != 3 or min(fr) < 0 or abs(sum(fr) - 1) > 1e-3:
            raise ConfigError(f"{path}: data.split_fractions: expected three shares >= 0 of the "
                              f"days [train, validation, test] summing to 1, found {fr}")
        for part, share in zip(("training", "validation", "test"), fr):
            if share == 0:
                raise ConfigError(f"{path}: data.split_fractions: {fr} leaves no {part} days, "
                                  f"so no {part} windows")
    for section in ("teacher", "student"):
        _check_blocks(path, f"{section}.blocks", getattr(config, section).blocks)
    _check_blocks(path, "pruning.base_blocks", config.pruning.base_blocks)
    for kind in config.student.losses:
        _one_of(path, "student.losses", kind, LOSS_KINDS)
    if len(set(config.student.losses)) != len(config.student.losses):
        raise ConfigError(f"{path}: student.losses: expected each kind once, found "
                          f"{config.student.losses}")
    for kind in config.loss:
        values = config.loss_settings(kind)
        where = f"loss.{kind}"
        for name in ("beta", "alpha1", "alpha2"):
            if name in values:
                _in(path, f"{where}.{name}", values[name], 0.0, 1.0, "a weight")
        for name in ("alpha", "alpha3", "correlation_scale"):
            if name in values:
                _in(path, f"{where}.{name}", values[name], 0.0, what="a weight")
        if "lord_reduction" in values:
            _one_of(path, f"{where}.lord_reduction", values["lord_reduction"], ("sum", "mean"))
        if "normalise_over" in values:
            _one_of(path, f"{where}.normalise_over", values["normalise_over"],
                    ("sample", "batch", "dataset"))
        if "batch_size" in values:
            _in(path, f"{where}.batch_size", values["batch_size"], 1, what="a batch size")
        if "learning_rate" in values and not values["learning_rate"] > 0:
            raise ConfigError(f"{path}: {where}.learning_rate: expected a positive number, found "
                              f"{values['learning_rate']}")
    p = config.pruning
    for method in p.methods:
        _one_of(path, "pruning.methods", method, PRUNING_METHODS)
    for level in p.levels:
        if not 0 < level < 100:
            raise ConfigError(f"{path}: pruning.levels: expected percentages in (0, 100), found "
                              f"{level}")
    if len(set(p.levels)) != len(p.levels) or len(set(p.methods)) != len(p.methods):
        raise ConfigError(f"{path}: pruning.levels, pruning.methods: expected each value once")
    if not p.interval_epochs > 0:
        raise ConfigError(f"{path}: pruning.interval_epochs: expected a positive number of "
                          f"epochs, found {p.interval_epochs}")
    if p.fraction is not None:
        _in(path, "pruning.fraction", p.fraction, 1e-9, 1.0, "a share")
    for name in ("alpha1", "alpha2"):
        if getattr(p, name) is not None:
            _in(path, f"pruning.{name}", getattr(p, name), 0.0, 1.0, "a weight")
    if p.alpha3 is not None:
        _in(path, "pruning.alpha3", p.alpha3, 0.0, what="a weight")
    for name in ("batch_size", "finetune_epochs"):
        if getattr(p, name) is not None:
            _in(path, f"pruning.{name}", getattr(p, name), 1, what="a whole number")
    t = config.training
    _in(path, "training.epochs", t.epochs, 1, what="a number of epochs")
    _in(path, "training.batch_size", t.batch_size, 1, what="a batch size")
    _in(path, "training.lr_decay_every", t.lr_decay_every, 1, what="a number of epochs")
    if not t.learning_rate > 0:
        raise ConfigError(f"{path}: training.learning_rate: expected a positive number, found "
                          f"{t.learning_rate}")
    _in(path, "training.lr_decay", t.lr_decay, 1e-12, 1.0, "a factor")
    if not config.seeds or min(config.seeds) < 0:
        raise ConfigError(f"{path}: seeds: expected a list of whole numbers >= 0, found "
                          f"{config.seeds}")


def split_days(config: ExperimentFile, n_days: int) -> tuple[int, int, int]:
    """The (train, validation, test) days of a series of ``n_days`` days.

    Fractions are turned into whole days by rounding the cumulative boundaries. Raises
    :class:`ConfigError` naming the split field when a part gets no day (no windows) or
    the days do not fit in the series.
    """
    path, d = config.path or "<experiment file>", config.data
    speed = config.data_path(d.speed_csv)
    if d.split_days is not None:
        days = tuple(d.split_days)
        if sum(days) > n_days:
            raise ConfigError(f"{path}: data.split_days: {list(days)} needs {sum(days)} days, "
                              f"{speed} has {n_days}")
        return days
    fr = d.split_fractions
    first = round(fr[0] * n_days)
    second = round((fr[0] + fr[1]) * n_days)
    days = (first, second - first, n_days - second)
    for part, count in zip(("training", "validation", "test"), days):
        if count < 1:
            raise ConfigError(
                f"{path}: data.split_fractions: {fr} of the {n_days} days of {speed} gives "
                f"{list(days)} days, which leaves no {part} windows; give the {part} part a "
                f"larger share or set data.split_days (e.g. [{max(n_days - 2, 1)}, 1, 1])")
    return days


# -- writing -------------------------------------------------------------------------

def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def _comment(doc: str, width: int = 88) -> list[str]:
    lines, line = [], "#"
    for word in doc.split():
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "#"
        line += " " + word
    return lines + [line]


def _fields_text(instance, names=None, values=None) -> list[str]:
    out = []
    for f in fields(instance):
        if f.metadata.get("internal") or (names is not None and f.name not in names) \
                or "doc" not in f.metadata:
            continue
        value = (values or {}).get(f.name, getattr(instance, f.name))
        out += _comment(f.metadata["doc"])
        out.append(f"# {f.name} = ..." if value is None else f"{f.name} = {_toml_value(value)}")
    return out


def template(speed_csv: str = "speeds.csv", graph_csv: str = "distances.csv") -> str:
    """A commented experiment file with every field at its default (the paper's setting),
    the data files named ``speed_csv`` and ``graph_csv``."""
    config = ExperimentFile(data=replace(DataConfig(), speed_csv=speed_csv, graph_csv=graph_csv))
    lines = [
        "# stgkd experiment file: distil and prune an STGCN on your own sensor network.",
        "# Run it with `stgkd run <this file>`; results go to",
        f"# results/{USER_PROFILE}/user/<file name without .toml>/<run>/seed<S>.json.",
        "# Every field holds its default, the KD paper's setting (Izadi et al., arXiv",
        "# 2401.11798: section 4.2's training, Table 6's loss weights for PeMSD7, Tables 8-9's",
        "# pruning). A field left out keeps its default; an unknown field is an error;",
        "# `# name = ...` marks a field whose default is worked out when the file runs.",
        "",
    ]
    lines += _fields_text(config, names=("seeds", "device"))
    for name, cls in SECTIONS.items():
        if name == "pruning":
            lines += ["", "# Loss weights, one table per kind ([loss.<kind>]); a kind is trained "
                      "only when", "# [student] losses names it. A field left out keeps the "
                      "paper's value."]
            for kind in LOSS_KINDS:
                defaults = LOSS_DEFAULTS[kind]
                lines += ["", f"[loss.{kind}]"]
                for fname in LOSS_FIELDS[kind]:
                    doc = next(f for f in fields(LossConfig) if f.name == fname).metadata["doc"]
                    lines += _comment(doc)
                    lines.append(f"{fname} = {_toml_value(defaults[fname])}" if fname in defaults
                                 else f"# {fname} = ...")
        doc = cls.__doc__.split("\n\n")[0].replace("\n", " ").split(": ", 1)[1]
        lines += ["", *_comment(doc), f"[{name}]"]
        lines += _fields_text(getattr(config, name))
    return "\n".join(lines) + "\n"


def write_template(path: str | Path, **kwargs) -> Path:
    """Write :func:`template` to ``path``; refuses to overwrite an existing file."""
    path = Path(path).expanduser()
    if path.exists():
        raise FileExistsError(f"{path}: expected a new file name, found an existing file; "
                              f"choose another name or delete it (stgkd init never overwrites)")
    if path.suffix != ".toml":
        raise ValueError(f"{path}: expected a file name ending in .toml")
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(template(**kwargs))
    return path
