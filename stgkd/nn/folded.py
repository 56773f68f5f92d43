"""A trained STGCN's multi-step forecast with its constants folded, for export.

The streaming rollout (:mod:`stgkd.nn.streaming`) exported as it is runs about 70
small operators per forecast step (convolutions, their layout reorders, slices,
padding of residuals, one graph product per Chebyshev order). For one window of a
small model that per-operator cost, not arithmetic, is the forecast's time. This module
computes the same forecast with fewer, larger operators, by folding what is constant
once a model is trained:

* a temporal convolution of kernel ``Kt`` over steps ``t .. t+Kt-1`` is one matrix
  product ``W [c_out, Kt c_in]`` with those steps stacked as channels; its residual
  (identity, zero-padding, a 1x1 projection or an index map: all linear in the last
  step) is added into ``W``'s columns of the last step, so ``P + x_res = W x``;
* the Chebyshev graph convolution ``sum_k T_k(L~) X Theta_k + b + align(X)``
  (STGCN eq. 3) takes the terms ``T_1(L~) X .. T_{Ks-1}(L~) X`` in one product with
  the constant [N, (Ks-1) N] matrix ``[T_1 | .. | T_{Ks-1}]`` instead of the recursion's
  Ks - 1 dependent products; ``T_0 X = X``, so the residual folds into ``Theta``'s
  k = 0 block and Theta with it is one matrix product over the stacked terms;
* the LayerNorm over [N, C] runs on [C, N] with its scale and shift transposed (the
  same mean and variance).

Layout [B, T, C, N] (steps before channels), so stacking steps as channels is a
concatenation and every matrix product broadcasts over batch and steps. The numbers are
the streaming rollout's up to float32 summation order (``T_2 X`` is ``X`` times the entries of ``T_2``,
not the recursion ``2 L~ (L~ X) - X``; a residual is added inside a product). A gathered
sparse product (about 8 non-zeros per column of PeMSD7(M)'s ``L~``) was tried instead of
the dense one: onnxruntime's Gather along the node axis copies element by element and
made the student's forecast ten times slower.

Shapes: history [B, 1, n_his, N] -> forecasts [B, n_steps, N].
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stgkd.nn.layers import ChannelAlign, ChebGraphConv, TemporalConv
from stgkd.nn.stgcn import STGCN


def residual_matrix(align: ChannelAlign) -> torch.Tensor:
    """The residual path ``align`` as a [c_out, c_in] matrix (every mode is linear):
    the projection's weight, or a 0/1 matrix for identity, padding and index maps."""
    if align.project is not None:
        return align.project.weight[:, :, 0, 0].detach().clone()
    matrix = torch.zeros(align.c_out, align.c_in)
    for b, a in enumerate(align.source_map()):
        if a >= 0:
            matrix[b, a] = 1.0
    return matrix


def chebyshev_matrices(laplacian: torch.Tensor, order: int) -> torch.Tensor:
    """The dense [order, N, N] stack ``T_k(L~)``: ``T_0 = I``, ``T_1 = L~``,
    ``T_k = 2 L~ T_{k-1} - T_{k-2}`` (computed in float64)."""
    lap = laplacian.double()
    terms = [torch.eye(lap.shape[0], dtype=torch.float64)]
    if order > 1:
        terms.append(lap)
    for _ in range(2, order):
        terms.append(2 * lap @ terms[-1] - terms[-2])
    return torch.stack(terms)


def last_steps(sequence: torch.Tensor, count: int) -> list[torch.Tensor]:
    """The last ``count`` steps of ``sequence`` [B, T, C, N], each [B, 1, C, N]."""
    steps = int(sequence.shape[1])
    return [sequence[:, t:t + 1] for t in range(steps - count, steps)]


class FoldedTemporal(nn.Module):
    """A :class:`TemporalConv` as one matrix product over ``Kt`` stacked steps, with its
    residual folded in. Input: the list of its ``Kt`` input sequences, ``steps[j]`` the
    inputs at offset j of each output step, each [B, T', c_in, N]. -> [B, T', c_out, N]."""

    def __init__(self, layer: TemporalConv):
        super().__init__()
        conv = layer.conv
        width, c_in, kt = conv.out_channels, conv.in_channels, conv.kernel_size[0]
        # column j c_in + c: input channel c at offset j (the steps' stacking order)
        weight = conv.weight.detach()[..., 0].permute(0, 2, 1).reshape(width, kt * c_in).clone()
        if layer.activation != "sigmoid":
            weight[:layer.c_out, (kt - 1) * c_in:] += residual_matrix(layer.align)
        self.activation, self.c_out = layer.activation, layer.c_out
        self.register_buffer("weight", weight)
        self.register_buffer("bias", conv.bias.detach().clone()[:, None])

    def forward(self, steps: list[torch.Tensor]) -> torch.Tensor:
        stacked = steps[0] if len(steps) == 1 else torch.cat(steps, dim=2)
        out = torch.matmul(self.weight, stacked) + self.bias
        if self.activation == "glu":
            p, q = out.split(self.c_out, dim=2)
            return p * torch.sigmoid(q)
        return torch.relu(out) if self.activation == "relu" else torch.sigmoid(out)


class FoldedChebGraphConv(nn.Module):
    """A :class:`ChebGraphConv` with the terms ``T_1(L~) X .. T_{Ks-1}(L~) X`` in one
    product with the constant [N, (Ks-1) N] matrix ``[T_1 | .. | T_{Ks-1}]`` (the
    recursion's Ks - 1 products, in one operator), and the residual folded into Theta's
    k = 0 block (``T_0 X = X``). [B, T, c_in, N] -> [B, T, c_out, N]."""

    def __init__(self, layer: ChebGraphConv):
        super().__init__()
        if layer.laplacian.numel() == 0:
            raise RuntimeError("FoldedChebGraphConv: no graph set; call STGCN.set_graph(weights) "
                               "first")
        order, c_in, c_out = layer.theta.shape
        basis = chebyshev_matrices(layer.laplacian, order)[1:]       # [K - 1, N, N]
        nodes = basis.shape[-1]
        # column c K + k: term k of input channel c (the order the product leaves them in)
        weight = layer.theta.detach().permute(2, 1, 0).reshape(c_out, c_in * order).clone()
        weight[:, ::order] += residual_matrix(layer.align)     # T_0 X = X
        self.order, self.nodes = order, nodes
        self.register_buffer("basis", basis.permute(1, 0, 2).reshape(nodes, -1).to(weight.dtype))
        self.register_buffer("weight", weight)
        self.register_buffer("bias", layer.bias.detach().clone()[:, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # int(): the step and channel counts are fixed by the architecture, so an export
        # records them as constants rather than as operators reading the shape
        steps, channels = int(x.shape[1]), int(x.shape[2])
        if self.order > 1:
            higher = torch.matmul(x, self.basis).reshape(-1, steps, channels, self.order - 1,
                                                         self.nodes)
            terms = torch.cat([x.unsqueeze(3), higher], dim=3)    # [B, T, c_in, K, N]
            x = terms.reshape(-1, steps, channels * self.order, self.nodes)
        return torch.relu(torch.matmul(self.weight, x) + self.bias)


class FoldedNorm(nn.Module):
    """:class:`~stgkd.nn.layers.NodeChannelNorm` on [B, T, C, N]."""

    def __init__(self, norm: nn.Module):
        super().__init__()
        layer = norm.norm
        self.eps = layer.eps
        self.register_buffer("weight", layer.weight.detach().t().contiguous())
        self.register_buffer("bias", layer.bias.detach().t().contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)


class FoldedRollout(nn.Module):
    """An eval-mode STGCN's ``n_steps`` forecast, folded (see the module's docstring);
    the same numbers as :func:`~stgkd.nn.streaming.streaming_rollout` to float32
    rounding. The model's graph must be set; the folded copy does not follow later
    changes of the model. [B, 1, n_his, N] -> [B, n_steps, N]."""

    def __init__(self, model: STGCN, n_steps: int = 9):
        super().__init__()
        if n_steps < 1:
            raise ValueError(f"n_steps: expected at least 1 step ahead, found {n_steps}")
        self.n_steps, self.kt = n_steps, model.config["kt"]
        self.nodes = model.config["n_nodes"]
        self.blocks = nn.ModuleList(nn.ModuleList([
            FoldedTemporal(b.temporal_in), FoldedChebGraphConv(b.spatial),
            FoldedTemporal(b.temporal_out), FoldedNorm(b.norm)]) for b in model.blocks)
        out = model.output
        self.width = out.temporal.conv.kernel_size[0]
        self.out_temporal, self.out_norm = FoldedTemporal(out.temporal), FoldedNorm(out.norm)
        self.out_gate = FoldedTemporal(out.gate)
        self.register_buffer("fc", out.fc.weight.detach()[:, :, 0, 0].clone())     # [1, c]
        self.register_buffer("node_bias", out.node_bias.detach().clone())

    def _output(self, last: list[torch.Tensor]) -> torch.Tensor:
        """The output layer on the last block's final ``width`` steps (each [B, 1, C, N])
        -> the prediction [B, 1, 1, N]."""
        x = self.out_gate([self.out_norm(self.out_temporal(last))])
        return torch.matmul(self.fc, x) + self.node_bias

    def forward(self, history: torch.Tensor) -> torch.Tensor:
        kt, keep = self.kt, self.kt - 1
        x = history.transpose(1, 2)                            # [B, n_his, 1, N]
        # the full first pass; each temporal layer's last kt - 1 input steps are kept
        kept = []
        for temporal_in, spatial, temporal_out, norm in self.blocks:
            steps = int(x.shape[1]) - keep
            s = spatial(temporal_in([x[:, j:j + steps] for j in range(kt)]))
            kept.append([last_steps(x, keep), last_steps(s, keep)])
            x = norm(temporal_out([s[:, j:j + steps - keep] for j in range(kt)]))
        last = last_steps(x, self.width)
        predictions = [self._output(last)]
        for _ in range(1, self.n_steps):
            newest = predictions[-1]                           # [B, 1, 1, N]
            for (temporal_in, spatial, temporal_out, norm), (inputs, spatials) in zip(
                    self.blocks, kept):
                s = spatial(temporal_in(inputs + [newest]))
                inputs[:] = inputs[1:] + [newest]
                newest = norm(temporal_out(spatials + [s]))
                spatials[:] = spatials[1:] + [s]
            last = last[1:] + [newest]
            predictions.append(self._output(last))
        return torch.cat(predictions, dim=1).reshape(-1, self.n_steps, self.nodes)
