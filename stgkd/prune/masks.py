"""Channel masks: Algorithm 1's mask M, one 0/1 vector per prunable layer.

``masks`` is a dict ``{layer name: bool tensor [channels]}`` over the layers of
:func:`stgkd.prune.layout.prunable_layers` (True: kept). A mask acts on its layer's
*output*: a removed channel's output is zero, which is exactly what the next layer
sees from the compacted model, where the channel is absent (its input weights then
multiply zeros). For a GLU one entry removes the pair (P_c, Q_c), as the GLU's
channel c is ``(P_c + x_c) * sigmoid(Q_c)``.

Two things besides the multiplication keep the masked model equal to the compacted
one (:func:`stgkd.prune.compact.compact`):

* a LayerNorm after a masked layer normalises over [N, kept channels] only, and its
  removed channels stay zero (its shift would otherwise make them non-zero);
* the output layer's sigmoid gate is masked too (``sigmoid(0) = 1/2``, not 0).

:class:`MaskedSTGCN` applies the masks with forward hooks on the model's own modules,
so the STGCN, its parameter names and :func:`stgkd.nn.streaming.streaming_rollout`
stay as they are; all-ones masks leave every output unchanged (the hooks return the
layer's own output).
"""
from __future__ import annotations

import weakref

import torch
import torch.nn.functional as F
from torch import nn

from stgkd.nn.layers import NodeChannelNorm
from stgkd.nn.stgcn import STGCN, Hidden
from stgkd.prune.layout import prunable_layers

Masks = dict[str, torch.Tensor]

# models that a live MaskedSTGCN has hooked: a second set of hooks would mask twice
_HOOKED: "weakref.WeakSet[STGCN]" = weakref.WeakSet()


def full_masks(model: nn.Module) -> Masks:
    """All-ones masks (every channel kept) for ``model``'s prunable layers."""
    return {layer.name: torch.ones(layer.channels, dtype=torch.bool)
            for layer in prunable_layers(model)}


def check_masks(model: nn.Module, masks: Masks) -> Masks:
    """``masks`` as bool CPU tensors after checking them against ``model``: one mask per
    prunable layer, shape [channels], values 0/1, at least one channel kept."""
    layers = prunable_layers(model)
    expected = [layer.name for layer in layers]
    if sorted(masks) != sorted(expected):
        raise ValueError(f"masks: expected one mask for each of {expected}, found {sorted(masks)}")
    checked = {}
    for layer in layers:
        mask = torch.as_tensor(masks[layer.name]).detach().cpu()
        if mask.shape != (layer.channels,):
            raise ValueError(f"masks[{layer.name!r}]: expected shape [{layer.channels}], "
                             f"found {list(mask.shape)}")
        if mask.dtype != torch.bool:
            if not torch.all((mask == 0) | (mask == 1)):
                raise ValueError(f"masks[{layer.name!r}]: expected 0/1 values, found "
                                 f"{mask.tolist()}")
            mask = mask != 0
        if not mask.any():
            raise ValueError(f"masks[{layer.name!r}]: expected at least one kept channel, "
                             f"found none (a layer without channels cuts the network)")
        checked[layer.name] = mask.clone()
    return checked


def kept_indices(masks: Masks) -> dict[str, torch.Tensor]:
    """The kept channels of each layer, ascending (int64 tensors)."""
    return {name: torch.nonzero(torch.as_tensor(mask) != 0).flatten() for name, mask in masks.items()}


def kept_counts(masks: Masks) -> dict[str, int]:
    """How many channels each layer keeps."""
    return {name: int((torch.as_tensor(mask) != 0).sum()) for name, mask in masks.items()}


def masked_layer_norm(x: torch.Tensor, keep: torch.Tensor, norm: NodeChannelNorm) -> torch.Tensor:
    """:class:`~stgkd.nn.layers.NodeChannelNorm` over the kept channels only.

    At each time step the mean and variance are taken over [N, kept channels] and the
    kept columns of the scale and shift apply, as the compacted model's LayerNorm
    does; removed channels are zero. Shapes: x [B, C, T, N], keep [k] -> [B, C, T, N].
    """
    ln = norm.norm
    kept = x.index_select(1, keep).permute(0, 2, 3, 1)                 # [B, T, N, k]
    out = F.layer_norm(kept, tuple(kept.shape[-2:]), ln.weight.index_select(1, keep),
                       ln.bias.index_select(1, keep), ln.eps)
    return x.new_zeros(x.shape).index_copy(1, keep, out.permute(0, 3, 1, 2))


class MaskedSTGCN(nn.Module):
    """An STGCN run with channel masks (the masked model of Algorithm 1).

    Args:
        model: the STGCN to mask; its modules get forward hooks until :meth:`remove`
            (also while it is called directly, e.g. by ``streaming_rollout``).
        masks: ``{layer name: [channels]}`` 0/1 (default: all ones). Assign
            ``.masks`` to change them; the hooks read the current ones.
        hidden: what ``forward(x, hidden)`` reports in a :class:`~stgkd.nn.Hidden`:
            ``"kept"`` (default) only the kept channels of each hidden output, i.e.
            the compacted model's features, so that a distillation loss whose
            correlations average over channels (LTCD, LSCD) sees what the pruned
            network computes; ``"full"`` the full-width outputs with zeros in the
            removed channels.

    Forward: x [B, C_in, n_his, N] -> [B, N], the model's own signature. Its
    parameters are the model's (an optimiser over ``MaskedSTGCN.parameters()`` trains
    the model); removed channels get zero gradients.
    """

    def __init__(self, model: STGCN, masks: Masks | None = None, hidden: str = "kept"):
        super().__init__()
        if not isinstance(model, STGCN):
            raise ValueError(f"model: expected an STGCN, found {type(model).__name__}")
        if hidden not in ("kept", "full"):
            raise ValueError(f"hidden: expected 'kept' or 'full', found {hidden!r}")
        if model in _HOOKED:
            raise ValueError("model: expected an STGCN without masks, found one already hooked "
                             "by a MaskedSTGCN; call remove() on that one first")
        self.model = model
        self.hidden = hidden
        self._layers = prunable_layers(model)
        self.masks = full_masks(model) if masks is None else masks
        modules = dict(model.named_modules())
        self._handles = []
        for layer in self._layers:
            self._handles.append(layer.module.register_forward_hook(self._mask_output(layer.name)))
            if layer.norm is not None:
                self._handles.append(
                    modules[layer.norm].register_forward_hook(self._mask_norm(layer.name)))
        _HOOKED.add(model)

    @property
    def masks(self) -> Masks:
        return self._masks

    @masks.setter
    def masks(self, masks: Masks) -> None:
        self._masks = check_masks(self.model, masks)
        self._full = {name: bool(mask.all()) for name, mask in self._masks.items()}
        self._index = kept_indices(self._masks)
        self._scale = {name: mask.float().view(1, -1, 1, 1) for name, mask in self._masks.items()}

    def _on(self, table: dict, name: str, like: torch.Tensor, dtype: bool) -> torch.Tensor:
        # masks live on the CPU; move each once to the activations' device (and dtype)
        value = table[name]
        if value.device != like.device or (dtype and value.dtype != like.dtype):
            value = table[name] = value.to(like.device, like.dtype if dtype else value.dtype)
        return value

    def _mask_output(self, name: str):
        def hook(module, inputs, output):
            if self._full[name]:
                return None                       # all kept: the layer's own output
            return output * self._on(self._scale, name, output, dtype=True)
        return hook

    def _mask_norm(self, name: str):
        # recomputes the norm from its input over the kept channels (the layer's own
        # output, over all channels, is discarded)
        def hook(module, inputs, output):
            if self._full[name]:
                return None
            return masked_layer_norm(inputs[0], self._on(self._index, name, output, dtype=False),
                                     module)
        return hook

    def forward(self, x: torch.Tensor, hidden: Hidden | None = None) -> torch.Tensor:
        if hidden is None or self.hidden == "full":
            return self.model(x, hidden)
        inner = Hidden()
        y = self.model(x, inner)
        for i in range(len(self.model.blocks)):
            p = f"blocks.{i}"
            hidden.temporal += [self._kept(inner.temporal[2 * i], f"{p}.temporal_in"),
                                self._kept(inner.temporal[2 * i + 1], f"{p}.temporal_out")]
            hidden.spatial.append(self._kept(inner.spatial[i], f"{p}.spatial"))
            hidden.blocks.append(self._kept(inner.blocks[i], f"{p}.temporal_out"))
        return y

    def _kept(self, feature: torch.Tensor, name: str) -> torch.Tensor:
        if self._full[name]:
            return feature
        return feature.index_select(1, self._on(self._index, name, feature, dtype=False))

    def remove(self) -> STGCN:
        """Take the hooks off and return the (unmasked) model."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        _HOOKED.discard(self.model)
        return self.model

    def __enter__(self) -> "MaskedSTGCN":
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()
