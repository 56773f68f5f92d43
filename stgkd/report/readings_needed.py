"""What the other readings still need: the runs that would bring each reading the papers'
ambiguities call for to the seeds asked of it.

The verdicts (:mod:`stgkd.report.seeds_needed`) need their two sides' seeds; the readings
around them have seed targets of their own. Each group of :func:`reading_targets` names
its experiments and the seeds each should have:

* **correlation dose-response, Los-loop**: LSTCD at every correlation share, and LTCD
  and LSCD alone at :data:`~stgkd.registry.TABLE8_CORRELATION_SHARE` (the sweep's best
  share): three seeds each;
* **correlation dose-response, PeMSD7(M)**: share 0 and the two shares that
  :func:`~stgkd.report.dose_response.promising_shares` picks from Los-loop's validation
  MAE (none until Los-loop's sweep has its seeds): three seeds each;
* **Table 8 asked again**: Taylor ranked over the whole network, Algorithm 1 fine-tuned
  with LSTCD, Algorithm 1 with the correlation terms at that share, and both arms after
  one fine-tuning epoch, at 25, 50 and 75% on both data sets: two seeds each (a seed of
  a one-epoch ``-ft1`` run is also had from the first epoch its full run recorded,
  :func:`~stgkd.report.table8_again.moment_maes`);
* **DMST-GNODE's ST modules and ablations, Los-loop**: two seeds each;
* **all ten DMST models under the chosen scaling, Los-loop**
  (:func:`~stgkd.report.dmst_scaling.chosen_scaling`): three seeds each; ARIMA, whose
  forecast does not depend on the seed, one run.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from stgkd.report.seeds_needed import (cpu_hours_per_run, experiment_shortfall, settle_commands,
                                       stored_seeds)

TARGET_COLUMNS = ["reading", "experiment", "target"]
NEEDED_COLUMNS = ["reading", "experiment", "stored", "target", "runs", "to_add", "cpu_hours"]


def reading_targets(results: Iterable[dict], profile: str = "full") -> pd.DataFrame:
    """One row per experiment of each reading group (see the module docstring):
    ``reading`` (the group), ``experiment`` and ``target`` (seeds it should have). The
    PeMSD7(M) dose points and the DMST scaling depend on the stored runs (rules fixed in
    advance that read validation data only)."""
    from stgkd.dmst.models import MODELS
    from stgkd.dmst.scaling import DEFAULT_SCALING
    from stgkd.dmst.variants import dmst_variants
    from stgkd.registry import TABLE8_CORRELATION_SHARE, correlation_share_tag, \
        seed_free_experiments
    from stgkd.report.dmst import dmst_readings_table
    from stgkd.report.dmst_scaling import chosen_scaling, scaling_choice
    from stgkd.report.dose_response import dose_experiments, promising_shares

    results = [r for r in results if r.get("profile") == profile]
    tag = correlation_share_tag(TABLE8_CORRELATION_SHARE)
    rows: list[tuple[str, str, int]] = []

    def add(reading: str, names: Iterable[str], target: int) -> None:
        rows.extend((reading, name, target) for name in names)

    add("correlation dose-response, Los-loop",
        [*dose_experiments("losloop"), f"kd/losloop/student-ltcd-corr{tag}",
         f"kd/losloop/student-lscd-corr{tag}"], 3)
    promising = promising_shares(results, "losloop", profile=profile)
    shares = [0.0, *(promising.loc[promising["chosen"], "target_share"]
                     if len(promising) else [])]
    add("correlation dose-response, PeMSD7(M)",
        [f"kd/pemsd7m/student-lstcd-corr{correlation_share_tag(s)}" for s in shares], 3)
    add("Table 8 asked again",
        [f"prune/{dataset}/{arm}" for dataset in ("losloop", "pemsd7m") for level in (25, 50, 75)
         for arm in (f"taylor-global-{level}", f"kdis-lstcd-{level}-ftkd",
                     f"kdis-lstcd-{level}-corr{tag}", f"kdis-lstcd-{level}-ft1",
                     f"taylor-{level}-ft1")], 2)
    add("DMST-GNODE's ST modules and ablations, Los-loop",
        [f"dmst/losloop/dmst-gnode-{suffix}" for suffix, model, _, _ in dmst_variants()
         if model == "DMST-GNODE" and suffix.startswith(("st-", "no-"))], 2)
    scaling, _ = chosen_scaling(scaling_choice(dmst_readings_table(results, "losloop",
                                                                   profile=profile)))
    suffix = "" if scaling == DEFAULT_SCALING else f"-{scaling}"
    seed_free = seed_free_experiments()
    for model in MODELS:
        name = f"dmst/losloop/{model.lower()}{suffix}"
        add(f"all ten DMST models under the chosen scaling ({scaling}), Los-loop", [name],
            1 if name in seed_free else 3)
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def variant_hours(name: str, hours: dict[str, float]) -> float:
    """CPU hours of one run of ``name`` from ``hours`` (:func:`cpu_hours_per_run`); an
    experiment without a CPU run of its own takes those of the experiment it is a variant
    of, its name with trailing ``-<part>`` removed one at a time
    (``.../kdis-lstcd-25-corr1e-1`` -> ``.../kdis-lstcd-25``); NaN when none has one.

    >>> variant_hours("dmst/losloop/dmst-gnode-no-ode", {"dmst/losloop/dmst-gnode": 1.5})
    1.5
    """
    family, _, rest = name.rpartition("/")
    while rest:
        if f"{family}/{rest}" in hours:
            return hours[f"{family}/{rest}"]
        rest = rest.rpartition("-")[0]
    return math.nan


def readings_needed(results: Iterable[dict], profile: str = "full",
                    targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """The experiments of :func:`reading_targets` (or ``targets``) below their seed target
    under ``profile``: ``reading, experiment, stored`` ("0, 1" or "none"), ``target``,
    ``runs`` (``[(experiment, seed), ...]``, the smallest missing seeds), ``to_add`` and
    ``cpu_hours`` (the runs' median stored CPU wall time, else their base experiment's by
    :func:`variant_hours`; NaN when neither has one)."""
    from stgkd.registry import SHORT_FINETUNE_SUFFIX
    from stgkd.report.table8_again import moment_maes

    results = [r for r in results if r.get("profile") == profile]
    if targets is None:
        targets = reading_targets(results, profile)
    hours = cpu_hours_per_run(results, profile)
    stored = stored_seeds(results)
    rows = []
    for reading, name, target in targets[TARGET_COLUMNS].itertuples(index=False):
        have = stored.get(name, set())
        if name.endswith(SHORT_FINETUNE_SUFFIX):     # also the full runs' first epoch
            have = have | set(moment_maes(results, name.removesuffix(SHORT_FINETUNE_SUFFIX),
                                          "after one epoch").get(profile, {}))
        if len(have) < target:
            rows.append({"reading": reading, "target": target,
                         **experiment_shortfall(name, have, int(target),
                                                variant_hours(name, hours))})
    return pd.DataFrame(rows, columns=NEEDED_COLUMNS)


def readings_summary(needed: pd.DataFrame) -> pd.DataFrame:
    """:func:`readings_needed` summed per reading: ``reading``, ``experiments`` (below
    their target), ``runs`` (to add), ``cpu_hours`` (over the runs with a stored CPU time)
    and ``unknown`` (runs without one)."""
    if not len(needed):
        return pd.DataFrame(columns=["reading", "experiments", "runs", "cpu_hours", "unknown"])
    rows = []
    for reading, group in needed.groupby("reading", sort=False):
        known = group["cpu_hours"].notna()
        rows.append({"reading": reading, "experiments": len(group),
                     "runs": int(group["runs"].map(len).sum()),
                     "cpu_hours": float(group.loc[known, "cpu_hours"].sum()),
                     "unknown": int(group.loc[~known, "runs"].map(len).sum())})
    return pd.DataFrame(rows)


def readings_plan(needed: pd.DataFrame, profile: str = "full") -> dict:
    """:func:`readings_needed` as a plan, in the form of
    :func:`stgkd.report.seeds_needed.settle_plan`: ``runs``, ``hours`` (the rows' CPU
    hours, variants estimated from their base experiment), ``unknown`` (runs with no
    estimate) and ``commands``."""
    if not len(needed):
        return {"runs": 0, "hours": 0.0, "unknown": 0, "commands": []}
    known = needed["cpu_hours"].notna()
    return {"runs": int(needed["runs"].map(len).sum()),
            "hours": float(needed.loc[known, "cpu_hours"].sum()),
            "unknown": int(needed.loc[~known, "runs"].map(len).sum()),
            "commands": settle_commands(needed, profile)}
