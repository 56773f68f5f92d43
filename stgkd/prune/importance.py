"""First-order Taylor importance of channels (Molchanov et al. 2019; KD paper eqs. 13-14).

Per parameter m and minibatch b the score is ``(g_mb * w_mb)^2`` (eq. 13, ``g`` the
loss gradient, ``w`` the weight it was taken at); a channel's score is the sum over
the parameters of its group (eq. 14) and over the minibatches accumulated, divided
by their number (Algorithm 1, line 15).

A channel's group is every parameter on the *output side* of that channel (see
:mod:`stgkd.prune.layout`): its conv output row(s), both halves P_c and Q_c for a
GLU, its bias entry(ies), its theta column ``theta[:, :, c]``, its row of a residual
projection, and its scale and shift columns ``[:, c]`` of the LayerNorm that follows
the layer. The next layer's input weights for c are not in the group (eq. 14 groups
a filter's own parameters).

KDIS, Algorithm 1's knowledge-distillation importance score, is this same score with
the gradients of the distillation loss: nothing here depends on the loss, the caller
backpropagates LSTCD (KDIS) or the supervised MSE (Molchanov's plain score) before
calling :meth:`TaylorImportance.accumulate`.
"""
from __future__ import annotations

import torch
from torch import nn

from stgkd.prune.layout import unwrap_stgcn, parameter_slices, prunable_layers


def channel_groups(model: nn.Module) -> dict[str, list[tuple[str, int, bool]]]:
    """``{layer: [(parameter name, channel dim, GLU halves), ...]}``: the output-side
    parameters whose slices make up each channel's group."""
    groups = {layer.name: [] for layer in prunable_layers(model)}
    for s in parameter_slices(model):
        if s.out_layer is not None:
            groups[s.out_layer].append((s.name, s.out_dim, s.halves))
    return groups


def group_scores(model: nn.Module) -> dict[str, torch.Tensor]:
    """One minibatch's channel scores from the gradients now in ``.grad``:
    ``{layer: [channels]}`` float64, ``sum over the group's entries of (g * w)^2``.

    A parameter without a gradient (e.g. not reached by the loss) contributes zero.
    """
    model = unwrap_stgcn(model)
    params = dict(model.named_parameters())
    groups = channel_groups(model)
    out = {}
    for layer in prunable_layers(model):
        score = torch.zeros(layer.channels, dtype=torch.float64)
        for name, dim, halves in groups[layer.name]:
            param = params[name]
            if param.grad is None:
                continue
            per_entry = (param.grad.detach() * param.detach()).double() ** 2     # eq. 13
            rows = per_entry.movedim(dim, 0).reshape(per_entry.shape[dim], -1).sum(1).cpu()
            if halves:   # GLU rows [P; Q]: channel c owns rows c and C + c
                rows = rows[:layer.channels] + rows[layer.channels:]
            score += rows
        out[layer.name] = score
    return out


class TaylorImportance:
    """Accumulates channel scores over minibatches (Algorithm 1, lines 6, 12 and 15).

    Use: ``loss.backward(); importance.accumulate(model); optimizer.step()`` (after
    the backward pass, before the step changes the weights the gradient was taken
    at), then :meth:`scores` at a pruning step and :meth:`reset` to start the next
    interval.
    """

    def __init__(self):
        self._sums: dict[str, torch.Tensor] | None = None
        self.n_batches = 0

    def accumulate(self, model: nn.Module) -> None:
        """Add one minibatch's scores, read from the ``.grad`` of ``model``'s parameters
        (an STGCN or a MaskedSTGCN around one)."""
        batch = group_scores(model)
        if self._sums is None:
            self._sums = batch
        else:
            if {k: v.shape for k, v in batch.items()} != {k: v.shape for k, v in self._sums.items()}:
                raise ValueError(f"model: expected the layers and channel counts accumulated so far "
                                 f"{ {k: v.numel() for k, v in self._sums.items()} }, found "
                                 f"{ {k: v.numel() for k, v in batch.items()} }")
            for name, score in batch.items():
                self._sums[name] += score
        self.n_batches += 1

    def scores(self) -> dict[str, torch.Tensor]:
        """``{layer: [channels]}`` the accumulated scores divided by the number of
        minibatches (float64 CPU tensors; copies)."""
        if self._sums is None:
            raise ValueError("scores: expected at least one accumulated minibatch, found none; "
                             "call accumulate(model) after loss.backward()")
        return {name: total / self.n_batches for name, total in self._sums.items()}

    def reset(self) -> None:
        """Forget the accumulated minibatches."""
        self._sums = None
        self.n_batches = 0
