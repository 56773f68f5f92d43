"""Response-based distillation (KD paper section 3.2.1, eqs. 1-6).

All functions take the student's and the teacher's one-step outputs ``y_s``, ``y_t``
and the data ``target`` as [B, N] tensors (batch, nodes). The teacher's output is
detached inside, so no gradient ever reaches the teacher. ``||a - b||2`` of a scalar
difference is read as its square.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _check_same_shape(**tensors: torch.Tensor) -> None:
    shapes = {name: list(t.shape) for name, t in tensors.items()}
    if len(set(map(tuple, shapes.values()))) != 1 or next(iter(tensors.values())).dim() != 2:
        raise ValueError(f"expected [B, N] tensors of one shape, found {shapes}")


def lrd_l2(y_s: torch.Tensor, y_t: torch.Tensor, target: torch.Tensor, beta: float) -> torch.Tensor:
    """LRD(L2), eq. 3, averaged over batch and nodes.

    ``mean_bi[ beta * (y_s - y_t)^2 + (1 - beta) * (y_s - T)^2 ]``.
    Shapes: y_s, y_t, target [B, N] -> scalar.
    """
    _check_same_shape(y_s=y_s, y_t=y_t, target=target)
    per_node = beta * (y_s - y_t.detach()) ** 2 + (1 - beta) * (y_s - target) ** 2
    return per_node.mean()


def lrd_kl(y_s: torch.Tensor, y_t: torch.Tensor, target: torch.Tensor, beta: float) -> torch.Tensor:
    """LRD(KL), eqs. 1-2, averaged over batch and nodes.

    Each sample's outputs become a distribution over its nodes, ``p = softmax_i(y_bi)``;
    eq. 1's per-node term is ``KL_bi = p_t,bi * log(p_t,bi / p_s,bi)`` (teacher as the
    reference, as eq. 1 writes it). Eq. 2 per node, then the mean over b and i:
    ``mean_bi[ beta * KL_bi + (1 - beta) * (y_s - T)^2 ]``, which equals
    ``beta / N * mean_b KL(p_t,b || p_s,b) + (1 - beta) * MSE(y_s, T)``.
    Shapes: y_s, y_t, target [B, N] -> scalar.
    """
    _check_same_shape(y_s=y_s, y_t=y_t, target=target)
    log_p_s = F.log_softmax(y_s, dim=1)
    log_p_t = F.log_softmax(y_t.detach(), dim=1)
    kl_per_node = log_p_t.exp() * (log_p_t - log_p_s)
    return (beta * kl_per_node + (1 - beta) * (y_s - target) ** 2).mean()


# The readings of eq. 5's min-max normalisation of D: over the nodes of each sample (the
# pinned reading), over the minibatch, or over the whole training set.
NORMALISATIONS = ("sample", "batch", "dataset")


def normalised_teacher_error(y_t: torch.Tensor, target: torch.Tensor,
                             normalise_over: str = "sample",
                             error_range: tuple[float, float] | None = None) -> torch.Tensor:
    """Eqs. 4-5: ``D_bi = |y_t,bi - T_bi|`` min-max normalised to [0, 1].

    ``normalise_over="sample"`` (the pinned reading): min and max over the nodes of
    sample b. ``"batch"``: over all (b, i) of the batch. ``"dataset"``: over every
    (window, node) of the training set, given as ``error_range`` = (min, max) of
    ``|y_t - T|`` there (:func:`stgkd.distill.readings.teacher_error_range`); D is
    clipped to [0, 1]. Where max == min every node gets 0 (no node stands out, so all
    keep the data target).
    Shapes: y_t, target [B, N] -> [B, N].
    """
    error = (y_t.detach() - target).abs()
    if normalise_over == "sample":
        low = error.amin(dim=1, keepdim=True)
        high = error.amax(dim=1, keepdim=True)
    elif normalise_over == "batch":
        low, high = error.min(), error.max()
    elif normalise_over == "dataset":
        if error_range is None:
            raise ValueError("error_range: normalising D over the training set needs the "
                             "(min, max) of |y_t - T| over it, found None")
        low, high = (torch.tensor(v, dtype=error.dtype, device=error.device)
                     for v in error_range)
        return ((error - low) / (high - low).clamp_min(torch.finfo(error.dtype).tiny)
                ).clamp(0.0, 1.0)
    else:
        raise ValueError(f"normalise_over: expected one of {NORMALISATIONS}, found "
                         f"{normalise_over!r}")
    return (error - low) / (high - low).clamp_min(torch.finfo(error.dtype).tiny)


def lord(y_s: torch.Tensor, y_t: torch.Tensor, target: torch.Tensor, alpha1: float,
         normalise_over: str = "sample", reduction: str = "sum",
         error_range: tuple[float, float] | None = None
         ) -> tuple[torch.Tensor, torch.Tensor]:
    """LORD, eqs. 4-6: per (sample, node), learn from the teacher where the teacher
    disagrees with the data target by more than the threshold, else from the target.

    ``mask_bi = D_bi > alpha1`` with D from :func:`normalised_teacher_error`;
    ``loss = sum_b sum_i [ (y_s - y_t)^2 if mask_bi else (y_s - T)^2 ]`` (a sum, as eq. 6).
    A large D means a possibly noisy target, so the teacher's prediction replaces it;
    ``D_bi == alpha1`` keeps the target (eq. 6's ``<=``). With per-sample normalisation
    and alpha1 < 1 the node with the largest D in each sample always uses the teacher.

    ``reduction="mean"`` divides by B*N: not the paper's eq. 6, but it puts LORD on
    the scale of the mean-normalised correlation terms of eq. 11 (see
    :class:`stgkd.distill.LSTCDLoss`).

    Shapes: y_s, y_t, target [B, N] -> (scalar loss, bool mask [B, N]).
    """
    _check_same_shape(y_s=y_s, y_t=y_t, target=target)
    y_t = y_t.detach()
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction: expected 'sum' (eq. 6) or 'mean', found {reduction!r}")
    mask = normalised_teacher_error(y_t, target, normalise_over, error_range) > alpha1
    reference = torch.where(mask, y_t, target)
    squared = (y_s - reference) ** 2
    return (squared.sum() if reduction == "sum" else squared.mean()), mask
