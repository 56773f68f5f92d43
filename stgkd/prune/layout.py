"""Where channel pruning cuts an STGCN: its prunable layers and, for every parameter,
which layer's channel mask selects along which of its dimensions.

A *prunable layer* is one whose output channels can be removed (DESIGN: "a prunable
group is one output channel of a hidden-block layer"), named by its module path:

    blocks.<i>.temporal_in    GLU temporal conv   (one channel = the pair P_c, Q_c)
    blocks.<i>.spatial        Chebyshev graph conv
    blocks.<i>.temporal_out   ReLU temporal conv  (followed by the block's LayerNorm)
    output.temporal           the output layer's GLU (followed by its LayerNorm)
    output.gate               the output layer's sigmoid 1x1 conv (read by ``fc``)

Removing output channel c of a layer removes a slice of several parameters: the
conv's output row(s), bias entry(ies), theta column, residual-projection row and the
column of a LayerNorm that follows it (its *output side*), and the next layer's
input slice (its *input side*). :func:`parameter_slices` lists both sides for every
parameter; importance, parameter counting and compaction all read that one table.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from stgkd.nn.layers import ChebGraphConv, TemporalConv
from stgkd.nn.stgcn import STGCN


@dataclass(frozen=True)
class Layer:
    """One prunable layer: its name (module path), module, output channel count, the
    prunable layer feeding it (None: the model's input) and the LayerNorm (module path)
    that normalises its output, if any."""

    name: str
    module: nn.Module
    channels: int
    source: str | None
    norm: str | None = None


@dataclass(frozen=True)
class ParamSlice:
    """How one parameter shrinks when channels go.

    ``out_layer`` (a prunable layer or None) selects along ``out_dim``; with ``halves``
    that dimension holds a GLU's ``[P; Q]`` and one channel c selects rows c and
    C + c. ``in_layer`` selects along ``in_dim``. A side that is None never shrinks.
    """

    name: str
    out_layer: str | None = None
    out_dim: int = 0
    halves: bool = False
    in_layer: str | None = None
    in_dim: int = 1


def unwrap_stgcn(model: nn.Module) -> STGCN:
    """The STGCN inside ``model``: a MaskedSTGCN (or anything else holding the STGCN as
    ``.model``) stands for its model."""
    inner = getattr(model, "model", model)
    if not isinstance(inner, STGCN):
        raise ValueError(f"model: expected an STGCN (or a MaskedSTGCN around one), "
                         f"found {type(model).__name__}")
    return inner


def prunable_layers(model: nn.Module) -> list[Layer]:
    """The prunable layers of ``model`` in forward order."""
    model = unwrap_stgcn(model)
    layers: list[Layer] = []
    source = None
    for i, block in enumerate(model.blocks):
        p = f"blocks.{i}"
        layers += [Layer(f"{p}.temporal_in", block.temporal_in, block.temporal_in.c_out, source),
                   Layer(f"{p}.spatial", block.spatial, block.spatial.theta.shape[2],
                         f"{p}.temporal_in"),
                   Layer(f"{p}.temporal_out", block.temporal_out, block.temporal_out.c_out,
                         f"{p}.spatial", norm=f"{p}.norm")]
        source = f"{p}.temporal_out"
    out = model.output
    layers += [Layer("output.temporal", out.temporal, out.temporal.c_out, source, norm="output.norm"),
               Layer("output.gate", out.gate, out.gate.c_out, "output.temporal")]
    return layers


def parameter_slices(model: nn.Module) -> list[ParamSlice]:
    """One :class:`ParamSlice` per parameter of ``model`` (all of them, in no set order)."""
    model = unwrap_stgcn(model)
    slices: list[ParamSlice] = []
    for layer in prunable_layers(model):
        n, src, module = layer.name, layer.source, layer.module
        if isinstance(module, TemporalConv):
            glu = module.activation == "glu"
            slices += [ParamSlice(f"{n}.conv.weight", n, 0, glu, src, 1),
                       ParamSlice(f"{n}.conv.bias", n, 0, glu)]
        elif isinstance(module, ChebGraphConv):
            slices += [ParamSlice(f"{n}.theta", n, 2, False, src, 1),   # [Ks, c_in, c_out]
                       ParamSlice(f"{n}.bias", n, 0)]
        align = getattr(module, "align", None)
        if align is not None and align.project is not None:
            slices.append(ParamSlice(f"{n}.align.project.weight", n, 0, False, src, 1))
        if layer.norm is not None:     # LayerNorm over [N, C]: scale and shift [N, C]
            slices += [ParamSlice(f"{layer.norm}.norm.weight", n, 1),
                       ParamSlice(f"{layer.norm}.norm.bias", n, 1)]
    slices += [ParamSlice("output.fc.weight", in_layer="output.gate", in_dim=1),  # [1, c_g, 1, 1]
               ParamSlice("output.node_bias")]
    # every parameter must be covered, or compaction would silently drop one
    names = {name for name, _ in model.named_parameters()}
    listed = {s.name for s in slices}
    if names != listed:
        raise ValueError(f"model: expected the parameters of an STGCN, found unlisted "
                         f"{sorted(names - listed)} and missing {sorted(listed - names)}")
    return slices
