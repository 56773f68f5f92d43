"""The run result: one typed record per stored ``seed<S>.json``.

Every run (an STGCN row of the KD paper, a pruned model, a DMST-GNODE comparison
model) stores one JSON object; :class:`RunResult` names every field it may hold, with
its type, and checks a file on read so that a cut, hand-edited or foreign file fails
with the file's name and the field that is wrong instead of a ``KeyError`` deep in a
report.

A :class:`RunResult` also reads as the mapping it was stored as (``result["test"]``,
``result.get("pruning")``, ``"teacher" in result``): a field the run did not write is
absent, not ``None``, so old results read exactly as before.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from numbers import Real
from pathlib import Path
import typing
from typing import Any

from stgkd.profiles import canonical_profile


class _Absent:
    """Marks a field the stored result does not have (``None`` is a stored value)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


@dataclass(frozen=True, eq=False)   # equality is the mapping's: equal to its stored dict
class RunResult(Mapping):
    """One stored run (``results/<profile>/<experiment>/seed<S>.json``).

    Identity and data (every run):
        experiment, profile, seed, dataset, description, paper_row: what ran.
        split_days: [train, val, test] days; windows: {"train", "val", "test"} counts;
        n_imputed: readings filled in the data set.
        train_config: the training settings (``{"classical": true}`` for ARIMA/SVR).
        test: {horizon: {metric: value}} on the test windows, e.g. ``test["15min"]["mae"]``.
        provenance: commit, device, versions, start time, wall time (s).

    Trained models (absent for the classical DMST baselines):
        parameters (``None`` for a classical model), checkpoint (file name beside the
        JSON), best_epoch (1-based), val ({horizon: {metric: value}}, DMST adds a
        ``"loss"`` number), history (one dict per epoch, ``"epoch"`` 1-based).

    STGCN rows (KD paper): blocks, flops_per_window, loss, hyperparameters,
    paper_setting, selection (the epoch-selection rule), data_files, teacher (the
    teacher checkpoint's provenance), teacher_share (Table 3, a fraction),
    loss_terms, correlation_share, reading (how an ambiguous passage was read),
    pruning (Algorithm 1's record), inert (where the trained model's input is cut off
    from its forecast: ``cut_at`` and ``dead`` of :func:`stgkd.runner.inert_summary`).

    DMST comparison rows: model, scaler, scaling, test_loss, pattern_graph_edges,
    reading.

    Runs of an experiment file (:mod:`stgkd.userrun`): role (teacher, student, base or
    pruned), experiment_file (its path and sha256), run_settings (what a rerun must match).
    """

    experiment: str
    profile: str
    seed: int
    dataset: str
    description: str
    paper_row: str
    split_days: list
    n_imputed: int
    windows: dict
    train_config: dict
    test: dict
    provenance: dict
    parameters: int | None = ABSENT
    checkpoint: str = ABSENT
    best_epoch: int = ABSENT
    val: dict = ABSENT
    history: list = ABSENT
    blocks: list = ABSENT
    flops_per_window: int = ABSENT
    loss: str = ABSENT
    hyperparameters: dict = ABSENT
    paper_setting: str = ABSENT
    selection: str = ABSENT
    data_files: list = ABSENT
    teacher: dict | None = ABSENT
    teacher_share: float = ABSENT
    loss_terms: dict = ABSENT
    correlation_share: float = ABSENT
    reading: dict = ABSENT
    pruning: dict = ABSENT
    inert: dict = ABSENT
    model: str = ABSENT
    scaler: dict = ABSENT
    scaling: str = ABSENT
    test_loss: float = ABSENT
    pattern_graph_edges: int = ABSENT
    role: str = ABSENT
    experiment_file: dict = ABSENT
    run_settings: dict = ABSENT
    # the stored key order, so that a result written back is the file it was read from
    _order: tuple = field(default=(), repr=False, compare=False)

    # ------------------------------------------------------------------ reading

    @classmethod
    def from_dict(cls, payload: Any, path: str | Path | None = None,
                  remedy: str = "") -> RunResult:
        """Check a parsed result JSON and type it.

        Args:
            payload: the parsed JSON.
            path: the file it came from, for the error message.
            remedy: what to do about an invalid file (with ``path``), e.g. the command
                that re-creates it.

        Raises:
            ValueError (:class:`stgkd.io.StoredFileError` when ``path`` is given): not
                an object, a required field missing, an unknown field, or a field of the
                wrong type; the message names the file and the field.
        """
        problems = result_problems(payload)
        if problems:
            raise _invalid(path, payload, problems, remedy)
        # a run stored under a profile's former name is read under the name it has now
        payload = {**payload, "profile": canonical_profile(payload["profile"])}
        return cls(**payload, _order=tuple(payload))

    def to_dict(self) -> dict:
        """The JSON object this result is stored as (fields the run did not write are
        left out; the stored key order is kept)."""
        return {name: getattr(self, name) for name in self}

    # ------------------------------------------------------------------ mapping view

    def __getitem__(self, key: str):
        value = getattr(self, key, ABSENT) if key in _FIELD_NAMES else ABSENT
        if value is ABSENT:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        present = [name for name in _FIELD_NAMES if getattr(self, name) is not ABSENT]
        ordered = [name for name in self._order if name in present]
        return iter(ordered + [name for name in present if name not in ordered])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        return key in _FIELD_NAMES and getattr(self, key) is not ABSENT

    def with_fields(self, **changes) -> RunResult:
        """A copy with ``changes`` (checked as on read), e.g. another epoch's test
        metrics under a selection rule."""
        return RunResult.from_dict({**self.to_dict(), **changes})

    # ------------------------------------------------------------------ helpers

    @property
    def run_label(self) -> str:
        """``"<experiment> (<profile>, seed <S>)"``, for messages."""
        return f"{self.experiment} ({self.profile}, seed {self.seed})"


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(RunResult) if f.name != "_order")
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(RunResult)
                                         if f.name != "_order" and f.default is not ABSENT)



def _stored_types(hint) -> tuple[type, ...]:
    """The Python types a field annotated ``hint`` may hold in the parsed JSON: the
    annotation's types, a float also as an int (JSON writes 1.0 as 1 in other tools)."""
    return tuple(t for member in (typing.get_args(hint) or (hint,))
                 for t in ((int, float) if member is float else (member,)))


# Python types each field may hold, from the annotations above (bool is never a number)
_HINTS = typing.get_type_hints(RunResult)
_TYPES: dict[str, tuple[type, ...]] = {name: _stored_types(_HINTS[name]) for name in _FIELD_NAMES}


def _type_name(value) -> str:
    return "null" if value is None else type(value).__name__


def _metrics_problems(name: str, block, extra_numbers: tuple[str, ...] = ()) -> list[str]:
    """``{horizon: {metric: number}}`` (plus numbers under ``extra_numbers``)."""
    problems = []
    for horizon, metrics in block.items():
        if horizon in extra_numbers:
            if not isinstance(metrics, Real) or isinstance(metrics, bool):
                problems.append(f"{name}[{horizon!r}]: expected a number, found "
                                f"{_type_name(metrics)}")
            continue
        if not isinstance(metrics, dict) or not metrics:
            problems.append(f"{name}[{horizon!r}]: expected {{metric: number}}, found "
                            f"{_type_name(metrics)}")
            continue
        for metric, value in metrics.items():
            if not isinstance(value, Real) or isinstance(value, bool):
                problems.append(f"{name}[{horizon!r}][{metric!r}]: expected a number, found "
                                f"{_type_name(value)}")
    return problems


def result_problems(payload: Any) -> list[str]:
    """What is wrong with a parsed result JSON, one line per problem (empty: it is a
    valid :class:`RunResult`)."""
    if not isinstance(payload, dict):
        return [f"expected a run result (a JSON object), found {_type_name(payload)}"]
    problems = [f"{name}: required, missing" for name in REQUIRED_FIELDS if name not in payload]
    unknown = sorted(set(payload) - set(_FIELD_NAMES))
    if unknown:
        problems.append(f"unknown fields {unknown} (expected only {list(_FIELD_NAMES)})")
    for name, value in payload.items():
        allowed = _TYPES.get(name)
        if allowed is None:
            continue
        # bool is an int subclass, but true/false is never a count or a number here
        if not isinstance(value, allowed) or (int in allowed and isinstance(value, bool)):
            expected = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
            problems.append(f"{name}: expected {expected}, found {_type_name(value)}")
    if isinstance(payload.get("test"), dict):
        problems += _metrics_problems("test", payload["test"])
    if isinstance(payload.get("val"), dict):
        problems += _metrics_problems("val", payload["val"], extra_numbers=("loss",))
    if isinstance(payload.get("history"), list):
        for index, entry in enumerate(payload["history"]):
            if not isinstance(entry, dict) or not isinstance(entry.get("epoch"), int):
                problems.append(f"history[{index}]: expected an object with an integer "
                                f"'epoch', found {_type_name(entry)}")
                break
    if isinstance(payload.get("split_days"), list) and not all(
            isinstance(d, int) and not isinstance(d, bool) for d in payload["split_days"]):
        problems.append(f"split_days: expected [train, val, test] whole days, found "
                        f"{payload['split_days']}")
    return problems


def _invalid(path: str | Path | None, payload: Any, problems: list[str],
             remedy: str = "") -> ValueError:
    from stgkd.io import StoredFileError
    problem = "not a valid run result: " + "; ".join(problems)
    if path is None:
        label = payload.get("experiment", "?") if isinstance(payload, dict) else "?"
        return ValueError(f"result of {label}: {problem}")
    return StoredFileError(path, problem, remedy)
