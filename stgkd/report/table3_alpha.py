"""Table 5 with α1 from Table 3: LORD, LTCD and LSCD at the α1 that hands the teacher
Table 3's share of the training targets (``kd/<dataset>/student-<kind>-t3``).

The paper gives α1 for LORD and LSTCD (Table 6) but not for its Table 5 ablations LTCD and
LSCD; our Table 5 rows reuse LSTCD's α1. Table 3 reports the share of targets each of
these students handed to the teacher on PeMSD7 (LORD 3.0%, LTCD 64.6%, LSCD 1.4%), so
the α1 each must have had can be solved for (:func:`stgkd.distill.readings.solve_alpha1`,
on the training windows before training). This module sets those rows beside the Table 6
ones and compares them seed for seed (:func:`stgkd.report.verdicts.paired_verdicts`):
each term against LORD at its own Table 3 α1 (the comparison Table 5 makes, as Table 3
implies it was run) and each against the student without distillation.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from stgkd.registry import EXPERIMENTS, KD_ROWS
from stgkd.report.comparison import result_cells
from stgkd.report.dose_response import HORIZONS, mae_over_seeds, reading_of
from stgkd.report.verdicts import paired_verdicts

KINDS = ("lord", "ltcd", "lscd")


def table3_alpha_table(results: Iterable[dict], dataset: str,
                       profile: str = "full") -> pd.DataFrame:
    """One row per Table 5 loss and α1 source (Table 6's or solved from Table 3):
    ``row`` (the paper's row name), ``alpha1 from`` ("Table 6" or "Table 3"),
    ``experiment``, ``target share`` (Table 3's, NaN for the Table 6 rows), ``alpha1``
    and ``teacher share`` (the share of training targets handed to the teacher; means over
    the stored seeds), ``seeds`` and ``mae_<h>`` / ``mae_<h>_std`` (test MAE mean and
    standard deviation over the seeds) at 15, 30 and 45 min."""
    results = [r for r in results if r.get("profile") == profile]
    rows = []
    for kind in KINDS:
        for source, name in (("Table 6", f"kd/{dataset}/student-{kind}"),
                             ("Table 3", f"kd/{dataset}/student-{kind}-t3")):
            if name not in EXPERIMENTS:
                raise ValueError(f"dataset: expected one with Table 3 alpha1 rows "
                                 f"(losloop, pemsd7m), found {dataset!r}")
            runs = [r for r in results if r["experiment"] == name]
            alphas = [reading_of(r).get("alpha1") for r in runs]
            shares = [r.get("teacher_share") for r in runs]
            rows.append({"row": KD_ROWS[kind], "alpha1 from": source, "experiment": name,
                         "target share": EXPERIMENTS[name].hyper.get("alpha1_share", np.nan),
                         "alpha1": _mean(alphas), "teacher share": _mean(shares),
                         "seeds": len(runs), **mae_over_seeds(runs)})
    return pd.DataFrame(rows)


def _mean(values: list) -> float:
    known = [float(v) for v in values if v is not None]
    return float(np.mean(known)) if known else np.nan


def table3_alpha_verdicts(results: Iterable[dict], dataset: str) -> pd.DataFrame:
    """The paired MAE comparisons of the Table 3 α1 rows: LTCD and LSCD against LORD (all
    three at their Table 3 α1), and each of the three against the student without
    distillation. :func:`~stgkd.report.verdicts.paired_verdicts` rows with ``claimed_row``
    and ``baseline_row`` (the paper's row names) added."""
    cells = result_cells(results)
    t3 = {kind: f"kd/{dataset}/student-{kind}-t3" for kind in KINDS}
    pairs = [(t3["ltcd"], t3["lord"]), (t3["lscd"], t3["lord"]),
             *((t3[kind], f"kd/{dataset}/student-no-kd") for kind in KINDS)]
    frames = []
    for claimed, baseline in pairs:
        table = paired_verdicts(cells, claimed, baseline, metrics=("MAE",), horizons=HORIZONS)
        frames.append(table.assign(claimed_row=EXPERIMENTS[claimed].paper_row,
                                   baseline_row=EXPERIMENTS[baseline].paper_row))
    return pd.concat(frames, ignore_index=True)
