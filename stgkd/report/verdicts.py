"""Paired verdicts: does one model beat another seed for seed, beyond the seed noise?

Every claim of both papers is a comparison of two of our experiments (LSTCD against the
student without distillation, Algorithm 1 against Taylor pruning at one level,
DMST-GNODE against a baseline). Both sides are taken from one profile over the seeds
both have there (:func:`~stgkd.report.comparison.pair_on_common_seeds`), and for each
metric and horizon the per-seed differences ``d_s = claimed_s - baseline_s`` give

- the mean difference and its 95% interval by the paired t method:
  ``mean(d) ± t(0.975, n - 1) · std(d) / √n`` (``std`` the sample standard deviation);
- a verdict in three words (:data:`VERDICTS`): **holds** (the interval lies on the
  side the paper claims, e.g. below zero for an error), **fails** (on the other side),
  **within noise** (it contains zero); or *too few seeds* (one paired seed: no
  interval) and *not compared* (a side not run, or no common seed);
- the two-sided p-value of the same paired t test, ``2 · P(T > |mean(d)| / (std(d)/√n))``
  with ``n - 1`` degrees of freedom: below 0.05 exactly when the interval leaves out
  zero. :mod:`stgkd.report.multiplicity` corrects it for the many cells read at once.

>>> d = paired_difference([1.0, 2.0, 3.0], [2.0, 4.0, 6.0])   # differences -1, -2, -3
>>> round(d.mean, 3), round(d.low, 3), round(d.high, 3), d.verdict("lower")
(-2.0, -4.484, 0.484, 'within noise')
>>> round(d.p_value, 4)
0.0742
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from stgkd.report.comparison import pair_on_common_seeds

HOLDS, FAILS, WITHIN_NOISE = "holds", "fails", "within noise"
TOO_FEW_SEEDS, NOT_COMPARED = "too few seeds", "not compared"
VERDICTS: tuple[str, ...] = (HOLDS, FAILS, WITHIN_NOISE, TOO_FEW_SEEDS, NOT_COMPARED)
METHOD = "paired t, 95% interval over seeds"
CONFIDENCE = 0.95

VERDICT_COLUMNS = ["metric", "horizon_min", "claimed", "claimed_std", "baseline",
                   "baseline_std", "difference", "ci_low", "ci_high", "n", "seeds",
                   "profile", "verdict", "p_value"]


@dataclass(frozen=True)
class PairedDifference:
    """The paired differences ``claimed - baseline`` over ``n`` seeds.

    ``mean`` and ``std`` (sample standard deviation, NaN for one seed) of the
    differences, and the ``confidence`` interval ``[low, high]`` of their mean by the
    paired t method (NaN for fewer than two seeds).
    """

    n: int
    mean: float
    std: float
    low: float
    high: float

    @property
    def p_value(self) -> float:
        """The two-sided p-value of the paired t test of a zero mean difference: NaN for
        fewer than two seeds; 0 (or 1 for a zero mean) when every difference is equal."""
        if self.n < 2 or math.isnan(self.std):
            return math.nan
        if self.std == 0:
            return 1.0 if self.mean == 0 else 0.0
        t = abs(self.mean) / (self.std / math.sqrt(self.n))
        return float(2 * stats.t.sf(t, df=self.n - 1))

    def verdict(self, claim: str = "lower") -> str:
        """:data:`HOLDS`, :data:`FAILS`, :data:`WITHIN_NOISE` or :data:`TOO_FEW_SEEDS`.

        Args:
            claim: ``"lower"`` when the paper claims the first side's number is lower
                (errors), ``"higher"`` when it claims higher (accuracy).
        """
        if claim not in ("lower", "higher"):
            raise ValueError(f"claim: expected 'lower' or 'higher', found {claim!r}")
        if self.n < 2 or math.isnan(self.low):
            return TOO_FEW_SEEDS
        below, above = self.high < 0, self.low > 0
        if not (below or above):
            return WITHIN_NOISE
        return HOLDS if below == (claim == "lower") else FAILS


def paired_difference(claimed: Sequence[float], baseline: Sequence[float],
                      confidence: float = CONFIDENCE) -> PairedDifference:
    """Mean, standard deviation and paired-t interval of ``claimed[i] - baseline[i]``.

    Args:
        claimed, baseline: one value per seed, in the same seed order ([n] each).
        confidence: the interval's coverage (0.95: the 97.5% quantile of Student's t
            with n - 1 degrees of freedom).

    Raises:
        ValueError: the two sides have different lengths, no values, or a NaN.
    """
    first = np.asarray(claimed, dtype=float)
    second = np.asarray(baseline, dtype=float)
    if first.shape != second.shape or first.ndim != 1 or first.size == 0:
        raise ValueError(f"claimed, baseline: expected two equally long lists of per-seed "
                         f"values, found shapes {list(first.shape)} and {list(second.shape)}")
    if np.isnan(first).any() or np.isnan(second).any():
        raise ValueError("claimed, baseline: expected finite per-seed values, found NaN")
    differences = first - second
    mean, std, low, high = mean_interval(differences, confidence)
    return PairedDifference(differences.size, mean, std, low, high)


def mean_interval(values: Sequence[float], confidence: float = CONFIDENCE
                  ) -> tuple[float, float, float, float]:
    """Mean, sample standard deviation and one-sample t interval of ``values``:
    ``(mean, std, low, high)`` with ``mean ± t(0.5 + confidence/2, n - 1) · std / √n``;
    std, low and high NaN for fewer than two values. :func:`paired_difference` applies
    it to the per-seed differences.

    >>> [round(v, 3) for v in mean_interval([1.0, 2.0, 3.0])]
    [2.0, 1.0, -0.484, 4.484]
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0 or np.isnan(x).any():
        raise ValueError(f"values: expected a non-empty list of finite numbers, found {values!r}")
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan, math.nan
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=x.size - 1)) * std / math.sqrt(x.size)
    return mean, std, mean - half, mean + half


def best_common_seeds(first: dict[str, dict], second: dict[str, dict]
                      ) -> tuple[str, list[int]]:
    """The profile to pair two experiments in and the seeds both have there, from
    ``{profile: {seed: value}}`` of each side: the best profile
    (:func:`~stgkd.runs.profile_rank`) in which they share a seed;
    ``("", [])`` when there is none."""
    from stgkd.runs import profile_rank
    shared = [p for p in set(first) & set(second) if set(first[p]) & set(second[p])]
    if not shared:
        return "", []
    profile = min(shared, key=profile_rank)
    return profile, sorted(set(first[profile]) & set(second[profile]))


def paired_verdicts(cells: pd.DataFrame, claimed: str, baseline: str,
                    metrics: Iterable[str] = ("MAE", "RMSE"),
                    horizons: Iterable[float] | None = None,
                    claim: str = "lower") -> pd.DataFrame:
    """The paired comparison of two experiments, per metric and horizon.

    Args:
        cells: :func:`~stgkd.report.comparison.result_cells` holding both experiments
            (any other rows are ignored).
        claimed: the experiment the paper claims is better (e.g. LSTCD).
        baseline: the experiment it is claimed to beat.
        metrics: the papers' metric names to compare.
        horizons: minutes to compare (default: every horizon both have).
        claim: ``"lower"`` (errors) or ``"higher"`` (accuracy).

    Returns:
        One row per metric and horizon with :data:`VERDICT_COLUMNS`: each side's mean
        and standard deviation over the paired seeds, the mean ``difference`` (claimed -
        baseline) and its interval ``ci_low, ci_high``, ``n`` paired seeds, ``seeds``
        (e.g. "0, 1, 2"), the ``profile`` compared, the ``verdict`` and the paired t
        test's two-sided ``p_value`` (NaN below two seeds). When the two
        cannot be paired, the numbers are NaN, ``n`` is 0 and the verdict
        :data:`NOT_COMPARED` (``profile`` then says why).
    """
    pairing = pair_on_common_seeds(cells, claimed, baseline)
    metrics = list(metrics)
    if horizons is None:
        horizons = sorted(set(cells.loc[cells["experiment"].isin([claimed, baseline]),
                                        "horizon_min"]))
    rows = []
    for metric in metrics:
        for horizon in horizons:
            row = dict(metric=metric, horizon_min=float(horizon), claimed=math.nan,
                       claimed_std=math.nan, baseline=math.nan, baseline_std=math.nan,
                       difference=math.nan, ci_low=math.nan, ci_high=math.nan, n=0,
                       seeds="", profile=pairing.reason, verdict=NOT_COMPARED,
                       p_value=math.nan)
            if pairing.compared:
                sides = [_per_seed(pairing.cells, name, pairing.profile, pairing.seeds,
                                   metric, horizon)
                         for name in (claimed, baseline)]
                if all(len(side) == len(pairing.seeds) for side in sides):
                    difference = paired_difference(sides[0], sides[1])
                    row.update(
                        claimed=float(np.mean(sides[0])), baseline=float(np.mean(sides[1])),
                        claimed_std=_std(sides[0]), baseline_std=_std(sides[1]),
                        difference=difference.mean, ci_low=difference.low,
                        ci_high=difference.high, n=difference.n,
                        seeds=", ".join(map(str, pairing.seeds)) + "".join(
                            f" ({name.rsplit('/', 1)[-1]}: one run for every seed)"
                            for name in pairing.stand_ins), profile=pairing.profile,
                        verdict=difference.verdict(claim), p_value=difference.p_value)
            rows.append(row)
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def _per_seed(cells: pd.DataFrame, experiment: str, profile: str, seeds: Sequence[int],
              metric: str, horizon: float) -> list[float]:
    """``experiment``'s value of one metric and horizon for each of ``seeds``, in order."""
    hit = cells[(cells["experiment"] == experiment) & (cells["profile"] == profile)
                & (cells["metric"] == metric) & (cells["horizon_min"] == horizon)]
    by_seed = dict(zip(hit["seed"], hit["value"]))
    return [float(by_seed[s]) for s in seeds if s in by_seed]


def _std(values: Sequence[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


def verdict_counts(verdicts: pd.DataFrame) -> str:
    """One line for a verdict table: "holds 2, fails 0, within noise 4 of 6 cells"."""
    counts = verdicts["verdict"].value_counts()
    parts = [f"{word} {int(counts.get(word, 0))}" for word in (HOLDS, FAILS, WITHIN_NOISE)]
    parts += [f"{word} {int(counts[word])}" for word in (TOO_FEW_SEEDS, NOT_COMPARED)
              if counts.get(word, 0)]
    return ", ".join(parts) + f" of {len(verdicts)} cells"
