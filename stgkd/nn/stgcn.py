"""STGCN: two spatio-temporal blocks and an output layer (teacher, student and pruning base)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from stgkd.data.graph import scaled_laplacian
from stgkd.nn.layers import ChebGraphConv, NodeChannelNorm, Residual, TemporalConv, time_conv

TEACHER_BLOCKS = [[1, 32, 64], [64, 32, 128]]
STUDENT_BLOCKS = [[1, 2, 4], [4, 2, 8]]
PRUNING_BASE_BLOCKS = [[1, 8, 16], [16, 8, 32]]


@dataclass
class Hidden:
    """Hidden outputs of one forward pass, each [B, C, T, N].

    ``temporal``: the four temporal-conv outputs (two per block), ``spatial``:
    the two graph-conv outputs, ``blocks``: the two block outputs (after
    LayerNorm; the last one is what enters the output layer).
    """

    temporal: list[torch.Tensor] = field(default_factory=list)
    spatial: list[torch.Tensor] = field(default_factory=list)
    blocks: list[torch.Tensor] = field(default_factory=list)


class STBlock(nn.Module):
    """Temporal GLU conv -> Chebyshev graph conv -> temporal ReLU conv -> LayerNorm -> dropout.

    ``channels`` = [c_in, c_hidden, c_out]: c_hidden is the temporal GLU's output and,
    unless ``spatial_channels`` gives another count (a pruned block), the graph conv's.
    ``residuals``: optional ``{"temporal_in" | "spatial" | "temporal_out": residual}``
    (see :class:`~stgkd.nn.layers.ChannelAlign`); a layer not named uses STGCN's rule.

    Shapes: [B, c_in, T, N] -> [B, c_out, T - 2(Kt-1), N].
    """

    def __init__(self, n_nodes: int, channels: list[int], ks: int, kt: int, dropout: float,
                 spatial_channels: int | None = None,
                 residuals: dict[str, Residual] | None = None):
        super().__init__()
        c_in, c_hidden, c_out = channels
        c_spatial = c_hidden if spatial_channels is None else spatial_channels
        residuals = residuals or {}
        self.temporal_in = TemporalConv(c_in, c_hidden, kt, "glu", residuals.get("temporal_in"))
        self.spatial = ChebGraphConv(c_hidden, c_spatial, ks, residuals.get("spatial"))
        self.temporal_out = TemporalConv(c_spatial, c_out, kt, "relu", residuals.get("temporal_out"))
        self.norm = NodeChannelNorm(n_nodes, c_out)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, hidden: Hidden | None = None) -> torch.Tensor:
        t1 = self.temporal_in(x)
        s = self.spatial(t1)
        t2 = self.temporal_out(s)
        out = self.dropout(self.norm(t2))
        if hidden is not None:
            hidden.temporal += [t1, t2]
            hidden.spatial.append(s)
            hidden.blocks.append(out)
        return out


class OutputLayer(nn.Module):
    """GLU temporal conv over the remaining ``width`` steps -> LayerNorm -> 1x1 conv with
    sigmoid -> 1x1 conv to one channel with a bias per node.

    The GLU and the sigmoid conv have ``channels`` outputs each unless
    ``temporal_channels`` / ``gate_channels`` say otherwise (a pruned output layer);
    ``residual`` is the GLU's (see :class:`~stgkd.nn.layers.ChannelAlign`).

    Shapes: [B, C, width, N] -> [B, N].
    """

    def __init__(self, n_nodes: int, channels: int, width: int, temporal_channels: int | None = None,
                 gate_channels: int | None = None, residual: Residual = None):
        super().__init__()
        c_temporal = channels if temporal_channels is None else temporal_channels
        c_gate = channels if gate_channels is None else gate_channels
        self.temporal = TemporalConv(channels, c_temporal, width, "glu", residual)
        self.norm = NodeChannelNorm(n_nodes, c_temporal)
        self.gate = TemporalConv(c_temporal, c_gate, 1, "sigmoid")
        self.fc = nn.Conv2d(c_gate, 1, 1, bias=False)
        self.node_bias = nn.Parameter(torch.zeros(n_nodes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.gate(self.norm(self.temporal(x)))
        return time_conv(self.fc, x)[:, 0, 0, :] + self.node_bias


def _check_counts(name: str, counts: list[int] | None, expected: int) -> None:
    if counts is not None and (len(counts) != expected or min(counts) < 1):
        raise ValueError(f"{name}: expected {expected} positive channel counts, found {counts}")


def _check_residuals(residuals: dict[str, Residual] | None, n_blocks: int) -> dict[str, Residual]:
    """The residual options by layer name; unknown names are refused (a typo would
    silently fall back to STGCN's rule)."""
    residuals = dict(residuals or {})
    known = [f"blocks.{i}.{layer}" for i in range(n_blocks)
             for layer in ("temporal_in", "spatial", "temporal_out")] + ["output.temporal"]
    unknown = sorted(set(residuals) - set(known))
    if unknown:
        raise ValueError(f"residuals: expected layer names among {known}, found {unknown}")
    return residuals


class STGCN(nn.Module):
    """Spatio-temporal graph convolutional network (Yu et al. 2018, KD paper Table 1).

    Args:
        n_nodes: number of stations N.
        blocks: channels of the two ST blocks, e.g. ``[[1, 32, 64], [64, 32, 128]]``
            (teacher, 333,604 parameters for N=228) or ``[[1, 2, 4], [4, 2, 8]]``
            (student, 10,144).
        n_his: input steps (12).
        ks, kt: Chebyshev order and temporal kernel width (3, 3).
        dropout: drop probability after each block (0, as the original trains).
        weights: optional [N, N] adjacency; else call :meth:`set_graph` before use.

    Per-layer channel counts (a pruned model, see :mod:`stgkd.prune`); left out, the
    model is exactly the one ``blocks`` describes:

        spatial_channels: the graph conv's output channels per block (default: each
            block's c_hidden, which is then only the temporal GLU's output).
        output_channels: ``[c_temporal, c_gate]``, the output layer's GLU and sigmoid-conv
            outputs (default: both the last block's c_out).
        residuals: ``{layer name: residual}`` for the layers with a residual path
            (``"blocks.<i>.temporal_in"``, ``"blocks.<i>.spatial"``,
            ``"blocks.<i>.temporal_out"``, ``"output.temporal"``): ``"project"`` or a list of
            source channels (see :class:`~stgkd.nn.layers.ChannelAlign`); a layer not named
            uses STGCN's rule (identity, zero-pad, or a projection when channels shrink).

    ``config`` holds the arguments (the three above only when given), plain lists and
    dicts, so ``STGCN(**model.config)`` rebuilds the architecture.

    Forward: x [B, C_in, n_his, N] (z-scored readings) -> one step ahead [B, N].
    """

    def __init__(self, n_nodes: int, blocks: list[list[int]], n_his: int = 12, ks: int = 3,
                 kt: int = 3, dropout: float = 0.0, weights: np.ndarray | None = None,
                 spatial_channels: list[int] | None = None, output_channels: list[int] | None = None,
                 residuals: dict[str, Residual] | None = None):
        super().__init__()
        for i, channels in enumerate(blocks):
            if len(channels) != 3 or min(channels) < 1:
                raise ValueError(f"blocks[{i}]: expected three positive channel counts, "
                                 f"found {channels}")
        for prev, nxt in zip(blocks, blocks[1:]):
            if prev[2] != nxt[0]:
                raise ValueError(f"blocks: a block's output channels ({prev[2]}) must equal the "
                                 f"next block's input channels ({nxt[0]})")
        width = n_his - len(blocks) * 2 * (kt - 1)
        if width < 1:
            raise ValueError(f"n_his: {n_his} steps are too few for {len(blocks)} blocks with "
                             f"temporal kernel {kt}")
        _check_counts("spatial_channels", spatial_channels, len(blocks))
        _check_counts("output_channels", output_channels, 2)
        residuals = _check_residuals(residuals, len(blocks))
        self.config = dict(n_nodes=n_nodes, blocks=[list(b) for b in blocks], n_his=n_his,
                           ks=ks, kt=kt, dropout=dropout)
        # the per-layer options enter the config only when given, so an unpruned model's
        # config (and every checkpoint written before them) stays as it was
        if spatial_channels is not None:
            self.config["spatial_channels"] = [int(c) for c in spatial_channels]
        if output_channels is not None:
            self.config["output_channels"] = [int(c) for c in output_channels]
        if residuals:
            self.config["residuals"] = {name: r if isinstance(r, str) else [int(a) for a in r]
                                        for name, r in residuals.items()}
        self.blocks = nn.ModuleList(
            STBlock(n_nodes, ch, ks, kt, dropout,
                    None if spatial_channels is None else spatial_channels[i],
                    {name[len(f"blocks.{i}."):]: r for name, r in residuals.items()
                     if name.startswith(f"blocks.{i}.")})
            for i, ch in enumerate(blocks))
        c_temporal, c_gate = output_channels if output_channels is not None else (None, None)
        self.output = OutputLayer(n_nodes, blocks[-1][2], width, c_temporal, c_gate,
                                  residuals.get("output.temporal"))
        self.reset_parameters()
        if weights is not None:
            self.set_graph(weights)

    def reset_parameters(self) -> None:
        """Glorot-uniform weights and zero biases, as the original TensorFlow code."""
        for name, param in self.named_parameters():
            if "norm" in name:
                continue  # LayerNorm keeps scale 1, shift 0
            if param.dim() == 3:
                # Chebyshev theta [Ks, c_in, c_out] is one [Ks * c_in, c_out] matrix in the original
                nn.init.xavier_uniform_(param.view(-1, param.shape[-1]))
            elif param.dim() > 1:
                nn.init.xavier_uniform_(param)
            else:
                nn.init.zeros_(param)

    def set_graph(self, weights: np.ndarray | torch.Tensor) -> "STGCN":
        """Set the graph from [N, N] weights (its Chebyshev basis is stored in every graph conv)."""
        w = weights.detach().cpu().numpy() if torch.is_tensor(weights) else np.asarray(weights)
        n = self.config["n_nodes"]
        if w.shape != (n, n):
            raise ValueError(f"weights: expected [{n}, {n}], found {list(w.shape)}")
        if not np.allclose(w, w.T):
            raise ValueError("weights: expected a symmetric matrix (an undirected graph)")
        laplacian = torch.from_numpy(scaled_laplacian(w)).float()
        for block in self.blocks:
            block.spatial.set_graph(laplacian)
        return self

    def forward(self, x: torch.Tensor, hidden: Hidden | None = None) -> torch.Tensor:
        """One step ahead. Pass a :class:`Hidden` to collect the hidden outputs."""
        for block in self.blocks:
            x = block(x, hidden)
        return self.output(x)


