"""Knowledge-distillation losses of the KD paper (section 3.2), as pure functions of
tensors (response.py: eqs. 1-6; correlation.py: eqs. 7-11; feature.py: LSKD) and as
loss objects with the training loop's signature (losses.py)."""
from stgkd.distill.correlation import (bctn_to_btnc, lscd, lstcd, ltcd, spatial_correlation,
                                       temporal_correlation)
from stgkd.distill.feature import BlockAdapter, lskd
from stgkd.distill.losses import (KINDS, DistillationLoss, LRDLoss, LSKDLoss, LSTCDLoss, freeze,
                                  make_kd_loss)
from stgkd.distill.pairwise import pairwise_l1_mean, upper_triangle
from stgkd.distill.response import lord, lrd_kl, lrd_l2, normalised_teacher_error
from stgkd.distill.teacher_cache import LazyTeacherCache, TeacherCache

__all__ = ["KINDS", "BlockAdapter", "DistillationLoss", "LRDLoss", "LSKDLoss", "LSTCDLoss",
           "bctn_to_btnc", "freeze", "lord", "lrd_kl", "lrd_l2", "lscd", "lskd", "lstcd", "ltcd",
           "make_kd_loss", "normalised_teacher_error", "pairwise_l1_mean", "spatial_correlation",
           "LazyTeacherCache", "TeacherCache", "temporal_correlation", "upper_triangle"]
