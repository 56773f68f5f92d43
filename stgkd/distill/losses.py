"""Distillation losses with the training loop's signature ``loss_fn(student, x, y)``.

Each loss is an ``nn.Module`` built around a frozen teacher (eval mode,
``requires_grad=False``, run under ``torch.no_grad``). The teacher is kept outside
the module tree, so ``loss.parameters()`` and ``loss.state_dict()`` hold only the
loss's own state: LSKD's adapter weights, and the LORD-based losses' counters of how
many (sample, node) targets used the teacher (the paper's Table 3), which survive a
``state_dict`` / ``load_state_dict`` round trip.

LSKD's adapter must be trained with the student: give the optimiser
``list(student.parameters()) + list(loss.parameters())`` and move the loss with
``loss.to(device)`` (the teacher follows the input's device by itself).

x is [B, 1, n_his, N] and y [B, N] (z-scored); the loss is a scalar.

Precomputed teacher answers: ``loss.cache = TeacherCache.build(teacher, data.train,
n_his)`` makes :class:`LRDLoss` and :class:`LSTCDLoss` look the teacher's outputs and
correlations up by window index instead of running the teacher. The training loop
passes ``index`` (the batch's rows of ``data.train``) to every loss whose
``takes_sample_index`` is true; called without ``index``, a loss runs the teacher.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from stgkd.distill.correlation import bctn_to_btnc, combine_lstcd, lstcd_terms
from stgkd.distill.feature import BlockAdapter, lskd
from stgkd.distill.response import lrd_kl, lrd_l2
from stgkd.distill.teacher_cache import TeacherCache
from stgkd.nn.stgcn import Hidden

KINDS = ("lrd-l2", "lrd-kl", "lskd", "lord", "ltcd", "lscd", "lstcd")
TERMS = ("lord", "lscd", "ltcd")


def freeze(teacher: nn.Module) -> nn.Module:
    """Put ``teacher`` in eval mode with ``requires_grad=False`` on every parameter (in place)."""
    teacher.eval()
    for param in teacher.parameters():
        param.requires_grad_(False)
    return teacher


class DistillationLoss(nn.Module):
    """Base class: holds the frozen teacher and runs it on a batch."""

    takes_sample_index = True   # fit() passes the batch's window indices (for the cache)

    def __init__(self, teacher: nn.Module):
        super().__init__()
        self.__dict__["teacher"] = freeze(teacher)  # not a submodule: no state of ours
        self.cache: TeacherCache | None = None      # a plain attribute: not in state_dict

    def teacher_outputs(self, x: torch.Tensor,
                        with_features: bool) -> tuple[torch.Tensor, Hidden | None]:
        """The teacher's prediction [B, N] and, if asked, its hidden outputs; no graph."""
        teacher = self.teacher
        if teacher.training:
            teacher.eval()
        param = next(teacher.parameters(), None)
        if param is not None and param.device != x.device:
            teacher.to(x.device)
        hidden = Hidden() if with_features else None
        with torch.no_grad():
            y_t = teacher(x, hidden) if with_features else teacher(x)
        return y_t, hidden


class LRDLoss(DistillationLoss):
    """LRD(L2) (eq. 3) or LRD(KL) (eqs. 1-2) with weight ``beta`` on the teacher term."""

    def __init__(self, teacher: nn.Module, beta: float, divergence: str = "l2"):
        super().__init__(teacher)
        if divergence not in ("l2", "kl"):
            raise ValueError(f"divergence: expected 'l2' or 'kl', found {divergence!r}")
        self.beta, self.divergence = beta, divergence

    def forward(self, student: nn.Module, x: torch.Tensor, y: torch.Tensor,
                index: torch.Tensor | None = None) -> torch.Tensor:
        if self.cache is not None and index is not None:
            y_t = self.cache.lookup(index, x.device)[0]
        else:
            y_t, _ = self.teacher_outputs(x, with_features=False)
        response = lrd_l2 if self.divergence == "l2" else lrd_kl
        return response(student(x), y_t, y, self.beta)


class LSKDLoss(DistillationLoss):
    """LSKD: supervised MSE plus ``alpha`` times the block-output MSE through a
    learned :class:`BlockAdapter` (``self.adapter``, trained with the student).

    ``student_channels``: the student's block output channels (e.g. [4, 8]);
    ``teacher_channels``: the teacher's, read from ``teacher.config`` (an STGCN) if omitted.
    """

    def __init__(self, teacher: nn.Module, alpha: float, student_channels: Sequence[int],
                 teacher_channels: Sequence[int] | None = None):
        super().__init__(teacher)
        if teacher_channels is None:
            teacher_channels = [block[2] for block in teacher.config["blocks"]]
        self.alpha = alpha
        self.adapter = BlockAdapter(student_channels, teacher_channels)

    def forward(self, student: nn.Module, x: torch.Tensor, y: torch.Tensor,
                index: torch.Tensor | None = None) -> torch.Tensor:
        # block outputs are not cached (several GB for PeMSD7(M)): the teacher runs
        _, hidden_t = self.teacher_outputs(x, with_features=True)
        hidden_s = Hidden()
        y_s = student(x, hidden_s)
        return lskd(y_s, y, self.adapter(hidden_s.blocks), hidden_t.blocks, self.alpha)


class LSTCDLoss(DistillationLoss):
    """LSTCD (eq. 11) and its special cases, with Table 3's teacher-share counter.

    ``alpha3=0``: LORD (eqs. 4-6), no hidden features computed; ``alpha2=0``: LORD +
    alpha3 LTCD; ``alpha2=1``: LORD + alpha3 LSCD. ``normalise_over``: see
    :func:`stgkd.distill.normalised_teacher_error`.

    ``lord_reduction``: ``"sum"`` (eq. 6, the pinned reading) or ``"mean"``. Eq. 6 sums
    LORD over the B*N targets of a batch while eqs. 8 and 10 average the correlation
    terms, so with the sum the correlation terms are about 1e-5 of the loss on
    PeMSD7(M) (B*N = 11,400) and LSTCD trains almost as LORD with its alpha1; the
    mean puts the three terms on one scale (an investigation, not the paper's text).

    ``correlation_scale`` k multiplies the correlation terms of eq. 11 (1: the paper;
    0: LORD, no features computed), for a dose-response of their weight.
    ``error_range``: (min, max) of |y_t - T| over the training set, needed by
    ``normalise_over="dataset"`` (:func:`stgkd.distill.readings.teacher_error_range`).
    ``stations_sample`` S (default None: exact): LSCD estimated from S random stations
    per step (:func:`stgkd.distill.lscd`), for graphs too large for the exact term; the
    teacher then runs for its spatial features (they are not cached).
    """

    def __init__(self, teacher: nn.Module, alpha1: float, alpha2: float, alpha3: float,
                 normalise_over: str = "sample", lord_reduction: str = "sum",
                 correlation_scale: float = 1.0,
                 error_range: tuple[float, float] | None = None,
                 stations_sample: int | None = None):
        super().__init__(teacher)
        if correlation_scale < 0:
            raise ValueError(f"correlation_scale: expected a weight >= 0, found "
                             f"{correlation_scale}")
        self.alpha1, self.alpha2, self.alpha3 = alpha1, alpha2, alpha3
        self.normalise_over, self.lord_reduction = normalise_over, lord_reduction
        self.correlation_scale = correlation_scale
        # (min, max) of |y_t - T| over the training set, for normalise_over="dataset"
        self.error_range = error_range
        self.stations_sample = stations_sample
        self.register_buffer("teacher_targets", torch.zeros((), dtype=torch.long))
        self.register_buffer("all_targets", torch.zeros((), dtype=torch.long))
        # sums over training steps of each unweighted term (lord, lscd, ltcd) and the
        # step count: how much each term weighs in eq. 11 (see term_means)
        self.register_buffer("term_sums", torch.zeros(3, dtype=torch.float64))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def reset_statistics(self) -> None:
        """Forget the calls so far: the teacher-target counts (``teacher_share``) and the
        term sums (``term_means``) start again from zero."""
        for counter in (self.teacher_targets, self.all_targets, self.term_sums, self.steps):
            counter.zero_()

    @property
    def teacher_share(self) -> float:
        """Share (0..1) of the (sample, node) targets so far that used the teacher's
        prediction (Table 3 in percent); NaN before the first call."""
        total = int(self.all_targets)
        return int(self.teacher_targets) / total if total else float("nan")

    def forward(self, student: nn.Module, x: torch.Tensor, y: torch.Tensor,
                index: torch.Tensor | None = None) -> torch.Tensor:
        with_features = self.alpha3 != 0 and self.correlation_scale != 0
        hidden_s = Hidden() if with_features else None
        y_s = student(x, hidden_s) if with_features else student(x)
        temporal_s = spatial_s = temporal_t = spatial_t = []
        if with_features:
            temporal_s = [bctn_to_btnc(f) for f in hidden_s.temporal]
            spatial_s = [bctn_to_btnc(f) for f in hidden_s.spatial]
        if self.cache is not None and index is not None:
            y_t, temporal_t, spatial_t = self.cache.lookup(index, x.device)
            self._check_cache(temporal_t, spatial_t)
            if self.stations_sample is not None and with_features and self.alpha2 != 0:
                _, hidden_t = self.teacher_outputs(x, with_features=True)  # features to sample
                spatial_t = [bctn_to_btnc(f) for f in hidden_t.spatial]
        else:
            y_t, hidden_t = self.teacher_outputs(x, with_features)
            if with_features:
                temporal_t = [bctn_to_btnc(f) for f in hidden_t.temporal]
                spatial_t = [bctn_to_btnc(f) for f in hidden_t.spatial]
        terms, mask = lstcd_terms(y_s, y_t, y, temporal_s, temporal_t, spatial_s, spatial_t,
                                  self.alpha1, self.alpha2, self.alpha3, self.normalise_over,
                                  self.lord_reduction, self.error_range,
                                  self.correlation_scale, self.stations_sample)
        self.teacher_targets += mask.sum().to(self.teacher_targets.device)
        self.all_targets += mask.numel()
        with torch.no_grad():
            self.term_sums += torch.stack([terms[k].detach().double() if k in terms
                                           else torch.zeros((), dtype=torch.float64,
                                                            device=self.term_sums.device)
                                           for k in TERMS]).to(self.term_sums.device)
            self.steps += 1
        return combine_lstcd(terms, self.alpha2, self.alpha3, self.correlation_scale)

    @property
    def term_means(self) -> dict[str, float]:
        """Mean over the training steps so far of each unweighted term of eq. 11
        (``lord``, and ``lscd`` / ``ltcd`` where their weight is not zero), and
        ``weighted_*``: the same times its weight in eq. 11; {} before the first step."""
        steps = int(self.steps)
        if not steps:
            return {}
        k = self.correlation_scale
        weights = {"lord": 1.0, "lscd": k * self.alpha3 * self.alpha2,
                   "ltcd": k * self.alpha3 * (1 - self.alpha2)}
        means = {k: float(v) / steps for k, v in zip(TERMS, self.term_sums)
                 if k == "lord" or weights[k] != 0}
        return means | {f"weighted_{k}": weights[k] * v for k, v in means.items()}

    def _check_cache(self, temporal_t: list, spatial_t: list) -> None:
        if self.needs["temporal"] and not temporal_t:
            raise ValueError("cache: this loss needs the teacher's temporal correlations; "
                             "build the TeacherCache with temporal=True")
        if self.needs["spatial"] and not spatial_t:
            raise ValueError("cache: this loss needs the teacher's spatial correlations; "
                             "build the TeacherCache with spatial=True")

    @property
    def needs(self) -> dict[str, bool]:
        """Which teacher correlations this loss uses: ``{"temporal": ..., "spatial": ...}``."""
        on = self.alpha3 != 0 and self.correlation_scale != 0
        return {"temporal": on and self.alpha2 != 1,
                "spatial": on and self.alpha2 != 0 and self.stations_sample is None}


def make_kd_loss(kind: str, teacher: nn.Module, **hyper) -> DistillationLoss:
    """A distillation loss by name (the KD paper's rows), e.g.
    ``make_kd_loss("lstcd", teacher, alpha1=0.17, alpha2=0.047, alpha3=0.313)``.

    kinds and their hyperparameters (Table 6 names):
    ``lrd-l2``, ``lrd-kl``: beta; ``lskd``: alpha, student_channels;
    ``lord``: alpha1; ``ltcd``, ``lscd``: alpha1, alpha3 (the Table 5 ablations, LORD
    plus one correlation term); ``lstcd``: alpha1, alpha2, alpha3. The LORD-based kinds
    also take ``normalise_over`` and ``lord_reduction``. ``teacher`` is frozen in place.
    """
    if kind in ("lrd-l2", "lrd-kl"):
        return LRDLoss(teacher, divergence=kind[4:], **hyper)
    if kind == "lskd":
        return LSKDLoss(teacher, **hyper)
    fixed = {"lord": {"alpha2": 0.0, "alpha3": 0.0}, "ltcd": {"alpha2": 0.0},
             "lscd": {"alpha2": 1.0}, "lstcd": {}}
    if kind not in fixed:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}, found {kind!r}")
    clash = set(fixed[kind]) & set(hyper)
    if clash:
        raise ValueError(f"{kind}: {', '.join(sorted(clash))} is fixed by the kind")
    return LSTCDLoss(teacher, **fixed[kind], **hyper)
