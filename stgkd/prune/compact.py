"""Compaction: a masked STGCN as a physically smaller STGCN with the kept channels only.

Every parameter is cut along the dimensions :func:`stgkd.prune.layout.parameter_slices`
names: GLU rows ``[P_O; Q_O]``, conv rows and input columns, theta ``[:, I, O]``,
biases, LayerNorm scale and shift ``[:, O]`` (over [N, C_kept]), the output layer's
``fc`` columns. Residual paths stay exact:

* a 1x1 projection becomes ``W[O][:, I]`` (residual ``"project"``);
* an identity or zero-padding residual (or an earlier map) becomes the index map
  ``source[b] = a`` where kept input ``I[a]`` is the channel feeding kept output
  ``O[b]``, -1 where that channel was removed or was padding.

The result is an ordinary :class:`~stgkd.nn.STGCN` whose ``config`` holds the kept
channel counts and every residual explicitly, so ``STGCN(**config)`` plus
``load_state_dict`` rebuilds it. Its outputs equal the masked model's
(:class:`~stgkd.prune.masks.MaskedSTGCN`) up to float rounding, and its hidden
outputs equal the masked model's kept channels.
"""
from __future__ import annotations

import torch

from stgkd.nn.stgcn import STGCN
from stgkd.prune.layout import ParamSlice, parameter_slices, prunable_layers
from stgkd.prune.masks import Masks, check_masks, kept_indices


def _input_indices(model: STGCN, kept: dict[str, torch.Tensor], source: str | None) -> torch.Tensor:
    """Kept channels of a layer's input: its source layer's, or all model inputs."""
    if source is None:
        return torch.arange(model.config["blocks"][0][0])
    return kept[source]


def compacted_config(model: STGCN, masks: Masks) -> dict:
    """The ``STGCN`` arguments of the compacted model (plain ints, lists and dicts)."""
    masks = check_masks(model, masks)
    kept = kept_indices(masks)
    count = {name: int(idx.numel()) for name, idx in kept.items()}
    residuals = {}
    for layer in prunable_layers(model):
        align = getattr(layer.module, "align", None)
        if align is None:
            continue                                   # the sigmoid gate has no residual
        if align.project is not None:
            residuals[layer.name] = "project"           # weights cut to W[O][:, I]
            continue
        position = {int(a): j for j, a in enumerate(_input_indices(model, kept, layer.source))}
        source = align.source_map()
        # kept output O[b] reads input channel source[O[b]]: its place among the kept inputs
        residuals[layer.name] = [position.get(source[int(o)], -1) for o in kept[layer.name]]
    n_blocks = len(model.blocks)
    blocks, c_in = [], model.config["blocks"][0][0]
    for i in range(n_blocks):
        blocks.append([c_in, count[f"blocks.{i}.temporal_in"], count[f"blocks.{i}.temporal_out"]])
        c_in = blocks[-1][2]
    base = {k: model.config[k] for k in ("n_nodes", "n_his", "ks", "kt", "dropout")}
    return dict(base, blocks=blocks,
                spatial_channels=[count[f"blocks.{i}.spatial"] for i in range(n_blocks)],
                output_channels=[count["output.temporal"], count["output.gate"]],
                residuals=residuals)


def slice_parameter(value: torch.Tensor, spec: ParamSlice, kept: dict[str, torch.Tensor],
                    channels: dict[str, int]) -> torch.Tensor:
    """The kept part of one parameter ``value`` (see :class:`ParamSlice`); ``channels``:
    each layer's channel count before pruning (for the GLU's second half)."""
    if spec.out_layer is not None:
        index = kept[spec.out_layer]
        if spec.halves:
            index = torch.cat([index, index + channels[spec.out_layer]])
        value = value.index_select(spec.out_dim, index.to(value.device))
    if spec.in_layer is not None:
        value = value.index_select(spec.in_dim, kept[spec.in_layer].to(value.device))
    return value


@torch.no_grad()
def compact(model: STGCN, masks: Masks) -> STGCN:
    """A new STGCN with only the kept channels of ``model`` under ``masks``, on the
    model's device and dtype, in its train/eval mode, with its graph (if set).

    ``model`` is left unchanged (a :class:`MaskedSTGCN`'s ``.model`` is the one to
    pass; its hooks do not matter, only the parameters are read).
    """
    if not isinstance(model, STGCN):
        raise ValueError(f"model: expected an STGCN, found {type(model).__name__}")
    masks = check_masks(model, masks)
    kept = kept_indices(masks)
    channels = {layer.name: layer.channels for layer in prunable_layers(model)}
    reference = next(model.parameters())
    small = STGCN(**compacted_config(model, masks)).to(reference.device, reference.dtype)
    state = small.state_dict()     # its residual maps (buffers) come from the config
    params = dict(model.named_parameters())
    for spec in parameter_slices(model):
        value = slice_parameter(params[spec.name], spec, kept, channels)
        if value.shape != state[spec.name].shape:   # a slicing table out of step with STGCN
            raise ValueError(f"{spec.name}: expected the compacted shape "
                             f"{list(state[spec.name].shape)}, found {list(value.shape)}")
        state[spec.name] = value
    small.load_state_dict(state)
    for big, little in zip(model.blocks, small.blocks):
        if big.spatial.laplacian.numel():
            little.spatial.laplacian = big.spatial.laplacian.clone()
    return small.train(model.training)
