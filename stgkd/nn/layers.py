"""The layers of STGCN (Yu et al. 2018), in the layout of the original code.

Tensors are [B, C, T, N]: batch, channels, time steps, nodes.
"""
from __future__ import annotations

from typing import Union

import torch
import torch.nn.functional as F
from torch import nn

# How a residual path matches channel counts (see ChannelAlign): None (STGCN's rule),
# "project" (a 1x1 convolution) or a list of source channels per output channel (-1: none).
Residual = Union[str, list[int], None]


def compiled_inference() -> bool:
    """Whether this forward is traced by ``torch.compile`` without autograd (a compiled
    forecast), where channel mixing runs as matrix products (see :func:`time_conv`)."""
    return torch.compiler.is_compiling() and not torch.is_grad_enabled()


def channel_product(weight: torch.Tensor, bias: torch.Tensor | None,
                    x: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution over channels as one matrix product: ``weight`` [c_out, c_in]
    times ``x`` [B, c_in, T, N] viewed as [B, c_in, T N], plus ``bias`` [c_out] if given.

    Shapes: [B, c_in, T, N] -> [B, c_out, T, N].
    """
    batch, channels, steps, nodes = x.shape
    out = torch.matmul(weight, x.reshape(batch, channels, steps * nodes))
    if bias is not None:
        out = out + bias[:, None]
    return out.view(batch, weight.shape[0], steps, nodes)


def time_conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``conv(x)`` for a convolution with kernel ``(k, 1)`` along time (no padding, stride
    or dilation), as one matrix product where that is the same computation and cheaper.

    Inside ``torch.compile`` without autograd (a compiled forecast), a 1x1 convolution, or
    one whose kernel spans all ``k`` input steps (each step of a streaming rollout), is the
    product of the [c_out, c_in k] weight with the [c_in k, T' N] input. TorchInductor does
    not generate CPU convolutions itself: it calls ATen's, which for a batch of one window
    costs about 15 us of overhead per call, against a few for the product it can fuse with
    the surrounding element-wise work (one-window 9-step forecast on one CPU thread: the
    student 2.4 -> 1.9 ms, the teacher 27 -> 16 ms). Elsewhere the convolution runs as
    is: in eager training and in eager batch rollouts the product measured slower.

    Shapes: [B, c_in, T, N] -> [B, c_out, T - k + 1, N].
    """
    k = conv.kernel_size[0]
    batch, channels, steps, nodes = x.shape
    if not (compiled_inference() and (k == 1 or steps == k)):
        return conv(x)
    # a kernel spanning all k steps sees them as c_in k channels of one step
    # (weight index c * k + j, the order of [B, c_in, k, N] flattened)
    flat = x if k == 1 else x.reshape(batch, channels * k, 1, nodes)
    return channel_product(conv.weight.reshape(conv.out_channels, channels * k), conv.bias, flat)


class ChannelAlign(nn.Module):
    """Residual path that matches channel counts.

    ``residual`` says how (:data:`Residual`):

    * ``None`` (the default): as STGCN, identity, zero-padding when the channels
      grow, a bias-free 1x1 convolution when they shrink;
    * ``"project"``: always the bias-free 1x1 convolution, whatever the counts (a pruned
      projection ``W[O][:, I]`` may have more outputs than inputs);
    * a list ``source`` of ``c_out`` input indices: output channel ``b`` is input
      channel ``source[b]``, or zero where ``source[b] == -1``. This is what an
      identity or zero-padding residual becomes after pruning (kept input ``I[a]``
      feeds kept output ``O[b]`` where ``I[a] == O[b]``). The map is kept in the
      persistent buffer ``source`` (so state dicts carry it; loading a different
      map is refused) and in the model's ``config``.

    Shapes: [B, c_in, T, N] -> [B, c_out, T, N].
    """

    def __init__(self, c_in: int, c_out: int, residual: Residual = None):
        super().__init__()
        self.c_in, self.c_out = c_in, c_out
        if residual is not None and residual != "project" and not isinstance(residual, (list, tuple)):
            raise ValueError(f"residual: expected None, 'project' or a list of {c_out} input "
                             f"indices, found {residual!r}")
        project = residual == "project" or (residual is None and c_in > c_out)
        self.project = nn.Conv2d(c_in, c_out, 1, bias=False) if project else None
        self.mode = "project" if project else "identity" if c_in == c_out else "pad"
        if isinstance(residual, (list, tuple)):
            source = [int(a) for a in residual]
            if len(source) != c_out or any(a < -1 or a >= c_in for a in source):
                raise ValueError(f"residual: expected {c_out} input indices in [-1, {c_in}), "
                                 f"found {list(residual)}")
            self.register_buffer("source", torch.tensor(source, dtype=torch.long))
            # where the map is the plain identity or padding, compute it as such (same numbers,
            # no gather)
            if source == list(range(c_in)) + [-1] * (c_out - c_in):
                self.mode = "identity" if c_in == c_out else "pad"
            else:
                # the map as a product with a 0/1 matrix (row b: a one at source[b], or none):
                # the same numbers as indexing (one term times 1 plus zeros), and a backward
                # that is a product too. The indexing form (pad, then index_select) has a
                # scatter-add backward that torch.compile's CPU code (torch 2.13, 2+ threads)
                # got wrong: wrong gradients, then heap corruption.
                selection = torch.zeros(c_out, c_in)
                for b, a in enumerate(source):
                    if a >= 0:
                        selection[b, a] = 1.0
                self.mode = "gather"
                self.register_buffer("selection", selection, persistent=False)

    def source_map(self) -> list[int]:
        """The input channel feeding each output channel (-1: none) of a residual without
        projection: the stored map, else ``b`` for ``b < c_in`` and -1 beyond (padding)."""
        if self.project is not None:
            raise ValueError("source_map: expected an identity, padding or index-map residual, "
                             "found a 1x1 projection")
        if hasattr(self, "source"):
            return self.source.tolist()
        return [b if b < self.c_in else -1 for b in range(self.c_out)]

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # the map also decides the forward path: it must be the one the config built
        key = prefix + "source"
        if hasattr(self, "source") and key in state_dict:
            found = state_dict[key]
            if found.shape != self.source.shape or not torch.equal(found.cpu(), self.source.cpu()):
                error_msgs.append(f"{key}: expected the residual map {self.source.tolist()} of the "
                                  f"model's config, found {found.tolist()}")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.project is not None:
            return self.project(x)
        if self.mode == "pad":
            return F.pad(x, (0, 0, 0, 0, 0, self.c_out - self.c_in))
        if self.mode == "gather":
            return channel_product(self.selection, None, x)
        return x


class TemporalConv(nn.Module):
    """Gated or plain 1-D convolution along time, shared by all nodes.

    ``activation``: ``"glu"`` gives ``(P + x_res) * sigmoid(Q)`` with ``[P, Q]`` the
    convolution's two halves; ``"relu"`` gives ``relu(conv + x_res)``;
    ``"sigmoid"`` gives ``sigmoid(conv)`` without residual. ``residual``: how the
    residual ``x_res`` matches channels (:class:`ChannelAlign`; STGCN's rule by default).

    Shapes: [B, c_in, T, N] -> [B, c_out, T - kernel + 1, N].
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, activation: str = "relu",
                 residual: Residual = None):
        super().__init__()
        if activation not in ("glu", "relu", "sigmoid"):
            raise ValueError(f"activation: expected glu, relu or sigmoid, found {activation!r}")
        if activation == "sigmoid" and residual is not None:
            raise ValueError(f"residual: expected None for a sigmoid convolution (it has no "
                             f"residual), found {residual!r}")
        self.c_out, self.kernel, self.activation = c_out, kernel, activation
        width = 2 * c_out if activation == "glu" else c_out
        self.conv = nn.Conv2d(c_in, width, (kernel, 1))
        self.align = ChannelAlign(c_in, c_out, residual) if activation != "sigmoid" else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = time_conv(self.conv, x)
        if self.activation == "sigmoid":
            return torch.sigmoid(out)
        residual = self.align(x)[:, :, self.kernel - 1:, :]
        if self.activation == "glu":
            return (out[:, : self.c_out] + residual) * torch.sigmoid(out[:, self.c_out:])
        return torch.relu(out + residual)


def chebyshev_terms(x: torch.Tensor, order: int, graph_product) -> list[torch.Tensor]:
    """The ``order`` terms ``T_k(L~) X`` of a Chebyshev graph convolution, from the
    recursion ``X_0 = X``, ``X_1 = L~ X``, ``X_k = 2 L~ X_{k-1} - X_{k-2}``, where
    ``graph_product(t)`` applies ``L~`` along the node axis of ``t`` (in whatever layout
    ``x`` has). Shapes: each term is ``x``'s."""
    terms = [x]
    if order > 1:
        terms.append(graph_product(x))
    for _ in range(2, order):
        terms.append(2 * graph_product(terms[-1]) - terms[-2])
    return terms


class ChebGraphConv(nn.Module):
    """Chebyshev graph convolution ``relu(sum_k T_k(L~) X Theta_k + b + X)`` (STGCN eq. 3).

    The terms ``T_k(L~) X`` come from the recursion ``X_0 = X``, ``X_1 = X L~``,
    ``X_k = 2 X_{k-1} L~ - X_{k-2}``: one [*, N] x [N, N] product per order
    instead of a product with each stored polynomial (T_0 = I costs nothing).
    The orders are stacked as channels, so ``Theta`` [Ks, c_in, c_out] is applied
    as a single 1x1 convolution without moving the node axis.

    ``residual``: how ``X`` matches ``c_out`` (:class:`ChannelAlign`; STGCN's rule by default).

    Shapes: [B, c_in, T, N] -> [B, c_out, T, N].
    """

    def __init__(self, c_in: int, c_out: int, order: int, residual: Residual = None):
        super().__init__()
        self.order = order
        self.theta = nn.Parameter(torch.empty(order, c_in, c_out))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.align = ChannelAlign(c_in, c_out, residual)
        self.register_buffer("laplacian", torch.empty(0), persistent=False)

    def set_graph(self, scaled_laplacian: torch.Tensor) -> None:
        """Use the [N, N] scaled Laplacian ``2 L / lambda_max - I`` of a symmetric graph."""
        if scaled_laplacian.ndim != 2 or scaled_laplacian.shape[0] != scaled_laplacian.shape[1]:
            raise ValueError(f"scaled_laplacian: expected [N, N], found {list(scaled_laplacian.shape)}")
        self.laplacian = scaled_laplacian.to(self.theta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.laplacian.numel() == 0:
            raise RuntimeError("ChebGraphConv: no graph set; call STGCN.set_graph(weights) first")
        # L~ is symmetric, so X L~ = (L~ X^T)^T: the product along the last (node) axis
        terms = chebyshev_terms(x, self.order, lambda t: t @ self.laplacian)
        stacked = torch.cat(terms, dim=1)                      # [B, Ks * c_in, T, N]
        kernel = self.theta.permute(2, 0, 1).flatten(1)        # [c_out, Ks * c_in]
        if compiled_inference():   # the product, as time_conv explains
            out = channel_product(kernel, self.bias, stacked)
        else:
            out = F.conv2d(stacked, kernel[:, :, None, None], self.bias)
        return torch.relu(out + self.align(x))


class NodeChannelNorm(nn.Module):
    """LayerNorm over [nodes, channels] at every time step, with a scale and a
    shift per node and channel (2 N C parameters), as in STGCN.

    Shapes: [B, C, T, N] -> [B, C, T, N].
    """

    def __init__(self, n_nodes: int, channels: int, eps: float = 1e-6):
        super().__init__()
        self.norm = nn.LayerNorm([n_nodes, channels], eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
