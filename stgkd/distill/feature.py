"""LSKD: response plus block-output (hint) distillation through a learned 1x1 conv.

The KD paper compares with "LSKD" (Tables 4 and 6, one weight alpha) without defining
it; the reading pinned in DESIGN.md: the response term plus alpha times the mean
squared error between the teacher's block outputs and the student's block outputs
mapped to the teacher's channel counts by a learned 1x1 convolution (a FitNets-style
hint). Table 6 gives LSKD no beta and no alpha1, so the response term here is the
plain supervised MSE against the data target.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class BlockAdapter(nn.Module):
    """One 1x1 convolution per block, mapping student channels to teacher channels.

    Its parameters are trained together with the student (add them to the optimiser).
    Shapes: a list of [B, C_s[k], T_k, N] -> a list of [B, C_t[k], T_k, N].
    """

    def __init__(self, student_channels: Sequence[int], teacher_channels: Sequence[int]):
        super().__init__()
        if len(student_channels) != len(teacher_channels):
            raise ValueError(f"expected as many student as teacher blocks, found "
                             f"{list(student_channels)} and {list(teacher_channels)}")
        self.maps = nn.ModuleList(nn.Conv2d(c_s, c_t, 1)
                                  for c_s, c_t in zip(student_channels, teacher_channels))

    def forward(self, blocks: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        if len(blocks) != len(self.maps):
            raise ValueError(f"expected {len(self.maps)} block outputs, found {len(blocks)}")
        return [conv(block) for conv, block in zip(self.maps, blocks)]


def lskd(y_s: torch.Tensor, target: torch.Tensor, mapped_blocks_s: Sequence[torch.Tensor],
         blocks_t: Sequence[torch.Tensor], alpha: float) -> torch.Tensor:
    """LSKD: ``mean_bi (y_s - T)^2 + alpha * mean_k MSE(mapped_s[k], teacher[k])``.

    ``mapped_blocks_s``: the student's block outputs after :class:`BlockAdapter`;
    ``blocks_t``: the teacher's block outputs (detached here). Each block's MSE is the
    mean over all its elements; blocks are then averaged.
    Shapes: y_s, target [B, N]; blocks [B, C_t[k], T_k, N] -> scalar.
    """
    if y_s.shape != target.shape:
        raise ValueError(f"y_s and target: expected one [B, N] shape, found "
                         f"{list(y_s.shape)} and {list(target.shape)}")
    if len(mapped_blocks_s) != len(blocks_t) or not blocks_t:
        raise ValueError(f"expected as many student as teacher blocks (at least one), found "
                         f"{len(mapped_blocks_s)} and {len(blocks_t)}")
    for k, (s, t) in enumerate(zip(mapped_blocks_s, blocks_t)):
        if s.shape != t.shape:
            raise ValueError(f"block {k}: expected the mapped student output to have the "
                             f"teacher's shape {list(t.shape)}, found {list(s.shape)}")
    hint = sum(torch.mean((s - t.detach()) ** 2) for s, t in zip(mapped_blocks_s, blocks_t))
    return torch.mean((y_s - target) ** 2) + alpha * hint / len(blocks_t)
