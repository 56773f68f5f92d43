"""Spatial-temporal correlation distillation (KD paper section 3.2.2, eqs. 7-11).

Features are in the paper's layout F [B, T, N, C] (batch, time steps, nodes,
channels); :func:`bctn_to_btnc` converts the model's hidden outputs [B, C, T, N].
A correlation entry is the mean over channels of an absolute difference, so the
student and the teacher may have different channel counts, and adding a constant to
every channel (even a different constant per channel) changes nothing.

The pairwise tensors are built by :func:`stgkd.distill.pairwise.pairwise_l1_mean`
(``torch.cdist(p=1)``), which never materialises the [..., K, K, C] difference
tensor, in the features' own dtype. Teacher features are detached and their
correlations computed without a graph; the student's side of a loss is
:func:`stgkd.distill.pairwise.pairwise_l1_mse` (loss and gradient in one pass).

A teacher's correlations may also come precomputed (:class:`stgkd.distill.TeacherCache`)
as their upper triangles [..., K(K-1)/2] or as :class:`stgkd.distill.pairwise.CyclicPairs`;
:func:`ltcd` and :func:`lscd` accept features [B, T, N, C_t] or either of these.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from stgkd.distill.pairwise import (CyclicPairs, pairwise_l1_mean, pairwise_l1_mse,
                                    pairwise_l1_mse_streamed)
from stgkd.distill.response import lord


def bctn_to_btnc(feature: torch.Tensor) -> torch.Tensor:
    """A hidden output [B, C, T, N] (model layout) as [B, T, N, C] (the paper's F). A view."""
    if feature.dim() != 4:
        raise ValueError(f"feature: expected [B, C, T, N], found {list(feature.shape)}")
    return feature.permute(0, 2, 3, 1)


def _check_features(features: torch.Tensor) -> None:
    if features.dim() != 4:
        raise ValueError(f"features: expected [B, T, N, C], found {list(features.shape)}")


def temporal_correlation(features: torch.Tensor) -> torch.Tensor:
    """TCD, eq. 7: ``TCD_bnij = 1/C sum_c |F_binc - F_bjnc|``.

    Shapes: F [B, T, N, C] -> [B, N, T, T] (symmetric, zero diagonal).
    """
    _check_features(features)
    return pairwise_l1_mean(features.transpose(1, 2))  # per node: [B, N, T, C]


def spatial_correlation(features: torch.Tensor) -> torch.Tensor:
    """SCD, eq. 9: ``SCD_btij = 1/C sum_c |F_btic - F_btjc|``.

    Shapes: F [B, T, N, C] -> [B, T, N, N] (symmetric, zero diagonal).
    """
    _check_features(features)
    return pairwise_l1_mean(features)


def _check_pair(features_s: torch.Tensor, features_t: torch.Tensor) -> None:
    _check_features(features_s)
    _check_features(features_t)
    if features_s.shape[:3] != features_t.shape[:3]:
        raise ValueError(f"student and teacher features: expected the same [B, T, N], found "
                         f"{list(features_s.shape)} and {list(features_t.shape)}")


# Teacher features whose [K, K] matrices would hold more entries than this (1 GB in
# float32; a batch of 50 on a graph of about 1,000 stations) go through the streamed loss,
# a block of rows at a time, instead of being computed whole: the same loss.
_STREAM_FROM_ELEMENTS = 1 << 28


def _teacher_term(correlation, student_rows, features_s: torch.Tensor,
                  teacher: torch.Tensor) -> torch.Tensor:
    """Mean over matrices and pairs j > i of (student - teacher)^2, the student's
    matrices computed by :func:`pairwise_l1_mse` (fused, with their gradient).

    ``teacher``: features [B, T, N, C_t] (their correlations are computed here, without
    a graph), precomputed upper triangles (3-d) or :class:`CyclicPairs`. ``student_rows``
    turns F_s into the [..., K, C] rows whose pairs are compared.
    """
    if isinstance(teacher, torch.Tensor) and teacher.dim() == 4:  # features
        _check_pair(features_s, teacher)
        rows_t = student_rows(teacher.detach())                  # [..., K, C_t]
        if rows_t[..., 0].numel() * rows_t.shape[-2] > _STREAM_FROM_ELEMENTS:
            return pairwise_l1_mse_streamed(student_rows(features_s), rows_t)
        with torch.no_grad():
            teacher = CyclicPairs.of_matrices(correlation(teacher.detach()))
    else:
        _check_features(features_s)
    return pairwise_l1_mse(student_rows(features_s), teacher)


def ltcd(features_s: torch.Tensor, features_t: torch.Tensor) -> torch.Tensor:
    """LTCD for one layer, eq. 8:
    ``1 / (B N C(T,2)) sum_b sum_n sum_{j>i} (TCD^s_bnij - TCD^t_bnij)^2``.

    Shapes: F_s [B, T, N, C_s], F_t [B, T, N, C_t] (or the teacher's TCD as upper
    triangles [B, N, T(T-1)/2]) -> scalar.
    """
    return _teacher_term(temporal_correlation, lambda f: f.transpose(1, 2), features_s,
                         features_t)


def lscd(features_s: torch.Tensor, features_t, stations_sample: int | None = None
         ) -> torch.Tensor:
    """LSCD for one layer, eq. 10:
    ``1 / (B T C(N,2)) sum_b sum_t sum_{j>i} (SCD^s_btij - SCD^t_btij)^2``.

    Shapes: F_s [B, T, N, C_s], F_t [B, T, N, C_t] (or the teacher's SCD as upper
    triangles [B, T, N(N-1)/2] or :class:`CyclicPairs`) -> scalar. Neither side's
    [B, T, N, N] tensor is kept: the fused kernels hold a chunk of matrices, and on
    large graphs (teacher features given) a block of rows.

    ``stations_sample`` S (default None: all): an estimate from S stations drawn at
    random (torch's global generator) without replacement, the same for the whole batch,
    the mean over their S(S-1)/2 pairs: unbiased for the exact mean (every pair is drawn
    with the same probability) at (S/N)^2 of the cost. Needs the teacher's features.
    """
    if stations_sample is not None and stations_sample < features_s.shape[2]:
        if not (isinstance(features_t, torch.Tensor) and features_t.dim() == 4):
            raise ValueError("stations_sample: expected the teacher's features [B, T, N, C_t], "
                             "found precomputed correlations (build the cache without spatial)")
        if stations_sample < 2:
            raise ValueError(f"stations_sample: expected at least 2 stations, found {stations_sample}")
        chosen = torch.randperm(features_s.shape[2])[:stations_sample].to(features_s.device)
        features_s, features_t = features_s[:, :, chosen], features_t[:, :, chosen]
    return _teacher_term(spatial_correlation, lambda f: f, features_s, features_t)


def _mean_over_layers(term, student: Sequence[torch.Tensor],
                      teacher: Sequence[torch.Tensor]) -> torch.Tensor:
    if len(student) != len(teacher) or not student:
        raise ValueError(f"expected as many student as teacher layers (at least one), found "
                         f"{len(student)} and {len(teacher)}")
    return sum(term(s, t) for s, t in zip(student, teacher)) / len(student)


def lstcd_terms(y_s: torch.Tensor, y_t: torch.Tensor, target: torch.Tensor,
                temporal_s: Sequence[torch.Tensor], temporal_t: Sequence[torch.Tensor],
                spatial_s: Sequence[torch.Tensor], spatial_t: Sequence[torch.Tensor],
                alpha1: float, alpha2: float, alpha3: float, normalise_over: str = "sample",
                lord_reduction: str = "sum", error_range: tuple[float, float] | None = None,
                correlation_scale: float = 1.0, stations_sample: int | None = None
                ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """The unweighted terms of eq. 11: ``{"lord", "lscd", "ltcd"}`` (a term whose
    weight is zero is absent) and LORD's bool mask [B, N]. See :func:`lstcd`;
    ``stations_sample``: see :func:`lscd`."""
    loss, mask = lord(y_s, y_t, target, alpha1, normalise_over, lord_reduction, error_range)
    if correlation_scale == 0:
        return {"lord": loss}, mask
    terms = {"lord": loss}
    if alpha3 != 0 and alpha2 != 0:
        terms["lscd"] = _mean_over_layers(lambda s, t: lscd(s, t, stations_sample),
                                          spatial_s, spatial_t)
    if alpha3 != 0 and alpha2 != 1:
        terms["ltcd"] = _mean_over_layers(ltcd, temporal_s, temporal_t)
    return terms, mask


def combine_lstcd(terms: dict[str, torch.Tensor], alpha2: float, alpha3: float,
                  correlation_scale: float = 1.0) -> torch.Tensor:
    """Eq. 11 from its terms: ``LORD + k alpha3 (alpha2 LSCD + (1 - alpha2) LTCD)``, with
    ``k = correlation_scale`` (1: the paper's eq. 11; other values weigh the correlation
    terms up or down against LORD, for a dose-response of their contribution)."""
    loss = terms["lord"]
    if "lscd" in terms:
        loss = loss + correlation_scale * alpha3 * alpha2 * terms["lscd"]
    if "ltcd" in terms:
        loss = loss + correlation_scale * alpha3 * (1 - alpha2) * terms["ltcd"]
    return loss


def lstcd(y_s: torch.Tensor, y_t: torch.Tensor, target: torch.Tensor,
          temporal_s: Sequence[torch.Tensor], temporal_t: Sequence[torch.Tensor],
          spatial_s: Sequence[torch.Tensor], spatial_t: Sequence[torch.Tensor],
          alpha1: float, alpha2: float, alpha3: float,
          normalise_over: str = "sample") -> tuple[torch.Tensor, torch.Tensor]:
    """LSTCD, eq. 11 (the total loss): ``LORD + alpha3 (alpha2 LSCD + (1 - alpha2) LTCD)``.

    LTCD is the mean of eq. 8 over the temporal-conv layers (four in STGCN), LSCD the
    mean of eq. 10 over the graph-conv layers (two); layer k of the student is paired
    with layer k of the teacher. Terms with zero weight are not computed, so
    ``alpha2=0`` is the LTCD ablation, ``alpha2=1`` the LSCD ablation and ``alpha3=0``
    plain LORD (the feature lists may then be empty).

    Shapes: y_s, y_t, target [B, N]; features [B, T_k, N, C_k] -> (scalar loss,
    LORD's bool mask [B, N]).
    """
    terms, mask = lstcd_terms(y_s, y_t, target, temporal_s, temporal_t, spatial_s, spatial_t,
                              alpha1, alpha2, alpha3, normalise_over)
    return combine_lstcd(terms, alpha2, alpha3), mask
