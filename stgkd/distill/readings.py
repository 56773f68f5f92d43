"""Readings of the KD paper's ambiguous passages that need the training data: the
normalisation of D over the whole training set (eq. 5), the α1 that gives a target share
of teacher targets (Table 3), and the weight of the correlation terms that gives them a
target share of the LSTCD loss (eq. 11).

The pinned readings (``../shared/DESIGN.md``) stay the defaults: D min-max normalised
over the nodes of each sample, LORD summed over batch and nodes, α1 and the α's from
Table 6. Each function here turns another reading into the numbers a loss is built with,
so a result can record which reading it ran under.
"""
from __future__ import annotations

import math

import torch

from stgkd.distill.response import NORMALISATIONS, normalised_teacher_error


def teacher_error_range(y_t: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """(min, max) of ``|y_t - T|`` over every (window, node) of the training set, the
    constants of eq. 5 when D is normalised over the whole training set.

    Shapes: y_t, target [S, N] (the teacher's one-step outputs and the targets of the S
    training windows, in the scale the student is trained in).
    """
    error = (y_t.detach().double() - target.double()).abs()
    return float(error.min()), float(error.max())


def normalised_errors(y_t: torch.Tensor, target: torch.Tensor, normalise_over: str = "sample",
                      batch_size: int = 50,
                      error_range: tuple[float, float] | None = None) -> torch.Tensor:
    """D (eq. 5) of every training window and node, [S, N], under one normalisation.

    ``"batch"`` normalises over consecutive batches of ``batch_size`` windows in the
    given order: training shuffles the windows every epoch, so the D a window gets there
    varies from epoch to epoch and this is one draw of it.
    """
    if normalise_over not in NORMALISATIONS:
        raise ValueError(f"normalise_over: expected one of {NORMALISATIONS}, found "
                         f"{normalise_over!r}")
    if normalise_over == "dataset" and error_range is None:
        error_range = teacher_error_range(y_t, target)
    if normalise_over != "batch":
        return normalised_teacher_error(y_t, target, normalise_over, error_range)
    return torch.cat([normalised_teacher_error(y_t[i:i + batch_size], target[i:i + batch_size],
                                               "batch")
                      for i in range(0, y_t.shape[0], batch_size)])


def teacher_share(y_t: torch.Tensor, target: torch.Tensor, alpha1: float,
                  normalise_over: str = "sample", batch_size: int = 50,
                  error_range: tuple[float, float] | None = None) -> float:
    """Share (0..1) of the training (window, node) targets with D > α1, which LORD hands to
    the teacher (Table 3, as a fraction). Shapes: y_t, target [S, N]."""
    d = normalised_errors(y_t, target, normalise_over, batch_size, error_range)
    return float((d > alpha1).double().mean())


def minimum_share(normalise_over: str, n_nodes: int, n_windows: int,
                  batch_size: int = 50) -> float:
    """The smallest positive teacher share a normalisation allows with α1 < 1.

    Min-max normalisation gives D = 1 to the largest error of each group it normalises
    over, and that target goes to the teacher for every α1 < 1: one target in N per
    sample (``"sample"``), one per batch of B N targets (``"batch"``), one of the S N of
    the training set (``"dataset"``). A smaller positive share is out of reach; α1 >= 1
    gives 0.
    """
    group = {"sample": n_nodes, "batch": batch_size * n_nodes,
             "dataset": n_windows * n_nodes}
    if normalise_over not in group:
        raise ValueError(f"normalise_over: expected one of {NORMALISATIONS}, found "
                         f"{normalise_over!r}")
    return 1.0 / group[normalise_over]


def solve_alpha1(y_t: torch.Tensor, target: torch.Tensor, share: float,
                 normalise_over: str = "sample", batch_size: int = 50,
                 error_range: tuple[float, float] | None = None) -> float:
    """The α1 whose teacher share on the training windows is closest to ``share``.

    D > α1 holds for the k = round(share · S N) largest D, so α1 is set halfway between
    the k-th and the (k+1)-th largest D (ties at that value make the share land a little
    off; :func:`teacher_share` measures what it is).

    Args:
        y_t, target: [S, N] the teacher's outputs and the targets of the training windows.
        share: the wanted share of teacher targets, 0..1 (Table 3 in percent / 100).

    Raises:
        ValueError: ``share`` outside [0, 1].
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share: expected a fraction in [0, 1], found {share}")
    d = normalised_errors(y_t, target, normalise_over, batch_size, error_range).flatten()
    ordered = torch.sort(d.double(), descending=True).values
    k = round(share * ordered.numel())
    if k <= 0:
        return float(ordered[0])            # nothing strictly above the largest D
    if k >= ordered.numel():
        return float(ordered[-1]) - 1e-12   # everything above
    return float((ordered[k - 1] + ordered[k]) / 2)


def correlation_scale_for_share(share: float, lord_mean: float, correlation_mean: float) -> float:
    """The factor k on the correlation terms of eq. 11 that makes them ``share`` of the
    LSTCD loss, given the mean LORD term and the mean weighted correlation terms
    (``alpha3 (alpha2 LSCD + (1 - alpha2) LTCD)``) of a run at k = 1:
    ``k C / (L + k C) = share``, so ``k = share / (1 - share) · L / C``.

    The terms move as training goes and as k changes what the student learns, so the
    share a run reaches is measured from its ``loss_terms`` and stored beside the target.
    """
    if not 0.0 <= share < 1.0:
        raise ValueError(f"share: expected a fraction in [0, 1), found {share}")
    if not (lord_mean > 0 and correlation_mean > 0) or math.isnan(lord_mean + correlation_mean):
        raise ValueError(f"expected positive mean LORD and correlation terms, found "
                         f"{lord_mean} and {correlation_mean}")
    return share / (1.0 - share) * lord_mean / correlation_mean
