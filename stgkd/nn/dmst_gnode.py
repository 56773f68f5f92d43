"""DMST-GNODE: dynamic multi-graph spatio-temporal graph neural ODE (Promsawat et al., CMES 2025).

The paper's equations did not survive; this is the reading of its prose and its sources
(STGODE, CGNN, MSTGCN, STGCN; see ``book/dmst_reading.md``):

* **graphs**: distance ``W^D`` (STGCN's Gaussian kernel), pattern ``W^P`` (DTW of mean daily
  profiles, STGODE), both through ``D^-1/2 (W + I) D^-1/2``
  (:mod:`stgkd.data.multigraph`), and a dynamic graph ``softmax(relu(E1 E2^T))`` learned
  from node embeddings (:class:`DynamicGraph`, Graph WaveNet's adaptive adjacency);
* **GODE module** (:class:`GODEModule`): per graph a branch of two STGNODE blocks, each
  the "sandwich" temporal dilated conv -> graph ODE -> temporal dilated conv (STGODE's
  block, :class:`STGNODEBlock`); element-wise max over the branches; an output MLP over
  each node's [T, C] features (STGODE's ``pred``);
* **spatio-temporal module** (:class:`STModule`): two STGCN ST-Conv blocks (temporal GLU
  conv, Chebyshev graph conv on the distance graph, temporal ReLU conv, LayerNorm) and a
  fully connected layer from each node's remaining [C, T'] features to the horizon;
* **fusion**: ``Y = F_g * Y_gode + F_s * Y_st`` with learned weights per horizon step and
  node (ASTGCN's fusion of its components), both starting at 0.5.

Options (recorded in ``config``; the defaults are the reading above):

* ``st_module`` (:data:`ST_MODULES`): ``"stgcn"`` the half-width single-graph module above
  (temporal convolutions keep PyTorch's default initialisation); ``"stgcn-glorot"`` the same
  module Glorot-initialised throughout, as STGCN; ``"mst-gcn"`` the module the paper names,
  MST-GCN (:class:`stgkd.nn.baselines.mst_gcn.MSTGCN`: multi-graph Chebyshev convolution on
  the distance and pattern graphs at the baseline's width [1, 32, 64], [64, 32, 128], its
  multi-step output layer, Glorot weights and zero biases);
* ``without`` (:data:`ABLATIONS`): parts left out for an ablation: ``"dynamic"`` or
  ``"pattern"`` (that graph's GODE branch; without ``"dynamic"`` no embeddings either),
  ``"ode"`` (the whole GODE module, and with it the dynamic graph) or ``"st"`` (the ST
  module). The branch left keeps its fusion weight, so ``Y = F ⊙ Y_branch``.

Tensors inside are [B, C, T, N] (the layout of :mod:`stgkd.nn.layers`); the models take
and return [B, T, N].
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stgkd.data.graph import scaled_laplacian
from stgkd.data.multigraph import normalized_adjacency
from stgkd.nn.baselines.mst_gcn import MSTGCN
from stgkd.nn.graph_ode import GraphODE
from stgkd.nn.layers import NodeChannelNorm
from stgkd.nn.stgcn import STBlock

# STGODE's temporal conv net has levels [64, 32, 64]; here [hidden, hidden // 2, hidden]
TCN_KERNEL = 2

ST_MODULES: dict[str, str] = {
    "stgcn": "two STGCN blocks [1, 16, 32], [32, 16, 32] on the distance graph, temporal "
             "convolutions at PyTorch's default initialisation, a linear layer to the horizon",
    "stgcn-glorot": "the same module with Glorot-uniform weights and zero biases throughout",
    "mst-gcn": "MST-GCN: multi-graph (distance, pattern) Chebyshev convolution at the "
               "baseline's width [1, 32, 64], [64, 32, 128], Glorot-initialised",
}
ABLATIONS: dict[str, str] = {
    "dynamic": "without the dynamic graph (no learned embeddings, no dynamic GODE branch)",
    "pattern": "without the pattern graph's GODE branch",
    "ode": "without the GODE module (the ST module alone)",
    "st": "without the ST module (the GODE module alone)",
}


def glorot_reset(module: nn.Module) -> None:
    """STGCN's initialisation of every parameter of ``module`` but its LayerNorms':
    Glorot-uniform weights (a Chebyshev theta [Ks, c_in, c_out] as one [Ks c_in, c_out]
    matrix, a convolution's over its fan-in and fan-out), zero biases."""
    for name, param in module.named_parameters():
        if "norm" in name:
            continue
        if param.dim() == 3 and name.endswith("theta"):
            nn.init.xavier_uniform_(param.data.view(-1, param.shape[-1]))
        elif param.dim() > 1:
            nn.init.xavier_uniform_(param)
        else:
            nn.init.zeros_(param)


class DynamicGraph(nn.Module):
    """The learned (dynamic, "elastic") graph ``A^dyn = softmax(relu(E1 E2^T))``, softmax
    over each row (Graph WaveNet eq. 5, AGCRN).

    ``E1``, ``E2`` [N, embed_dim] are source and target node embeddings drawn from a
    standard normal, as Graph WaveNet initialises them. The matrix does not depend on the
    input window: it changes only with training (the paper's "needs periodic retraining").

    Shapes: () -> [N, N], every row non-negative and summing to 1.
    """

    def __init__(self, n_nodes: int, embed_dim: int = 10):
        super().__init__()
        if n_nodes < 1 or embed_dim < 1:
            raise ValueError(f"n_nodes, embed_dim: expected positive sizes, found "
                             f"{n_nodes}, {embed_dim}")
        self.source = nn.Parameter(torch.randn(n_nodes, embed_dim))
        self.target = nn.Parameter(torch.randn(n_nodes, embed_dim))

    def forward(self) -> torch.Tensor:
        return torch.softmax(torch.relu(self.source @ self.target.T), dim=1)


class TemporalConvNet(nn.Module):
    """STGODE's temporal block: causal dilated convolutions along time with a residual.

    Level ``i`` is a width-2 convolution with dilation ``2^i``, left-padded so the length
    stays T (causal: step t sees only steps <= t), then ReLU and dropout; the block's
    output is ``relu(levels(x) + x_res)``, ``x_res`` a 1x1 convolution when the channel
    counts differ (a TCN, Bai et al. 2018, as STGODE uses it).

    Shapes: [B, c_in, T, N] -> [B, channels[-1], T, N].
    """

    def __init__(self, c_in: int, channels: list[int], kernel: int = TCN_KERNEL,
                 dropout: float = 0.0):
        super().__init__()
        self.convs = nn.ModuleList()
        self.pads = []
        prev = c_in
        for i, c in enumerate(channels):
            dilation = 2 ** i
            self.convs.append(nn.Conv2d(prev, c, (kernel, 1), dilation=(dilation, 1)))
            self.pads.append((kernel - 1) * dilation)
            prev = c
        self.dropout = nn.Dropout(dropout)
        self.residual = nn.Conv2d(c_in, prev, 1) if c_in != prev else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        for conv, pad in zip(self.convs, self.pads):
            y = self.dropout(torch.relu(conv(F.pad(y, (0, 0, pad, 0)))))
        return torch.relu(y + (x if self.residual is None else self.residual(x)))


class STGNODEBlock(nn.Module):
    """STGODE's "sandwich" block: temporal conv net -> graph ODE (ReLU) -> temporal conv
    net -> LayerNorm over [nodes, channels].

    STGODE normalises with BatchNorm over the node axis; the per-sample LayerNorm of
    :class:`~stgkd.nn.layers.NodeChannelNorm` (as in the repository's STGCN) keeps a
    forecast independent of the other windows in its batch.

    Shapes: x [B, c_in, T, N], adjacency [N, N] -> [B, channels[-1], T, N].
    """

    def __init__(self, n_nodes: int, c_in: int, channels: list[int], steps: int,
                 dropout: float = 0.0, **ode_options):
        super().__init__()
        self.temporal_in = TemporalConvNet(c_in, channels, dropout=dropout)
        self.ode = GraphODE(n_nodes, channels[-1], steps, **ode_options)
        self.temporal_out = TemporalConvNet(channels[-1], channels, dropout=dropout)
        self.norm = NodeChannelNorm(n_nodes, channels[-1])

    def forward(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.ode(self.temporal_in(x), adjacency))
        return self.norm(self.temporal_out(h))


class GODEModule(nn.Module):
    """The GODE module: one branch of two STGNODE blocks per graph, max-pooling across the
    branches, and an output layer.

    ``branches_per_graph`` parallel branches share each graph (STGODE uses 3; default 1).
    The output layer maps each node's [T, C] features, flattened, through
    ``Linear(T C, n_pred C) -> ReLU -> Linear(n_pred C, n_pred)`` (STGODE's ``pred``,
    with C = ``hidden`` in place of its 32).

    Shapes: x [B, c_in, n_his, N] and ``n_graphs`` adjacencies [N, N] -> [B, n_pred, N].
    """

    def __init__(self, n_nodes: int, n_graphs: int, n_his: int = 12, n_pred: int = 12,
                 hidden: int = 32, c_in: int = 1, branches_per_graph: int = 1,
                 dropout: float = 0.0, **ode_options):
        super().__init__()
        if n_graphs < 1 or branches_per_graph < 1 or hidden < 2:
            raise ValueError(f"n_graphs, branches_per_graph, hidden: expected >= 1, >= 1, >= 2, "
                             f"found {n_graphs}, {branches_per_graph}, {hidden}")
        self.n_graphs, self.branches_per_graph = n_graphs, branches_per_graph
        channels = [hidden, hidden // 2, hidden]
        self.branches = nn.ModuleList(
            nn.ModuleList([STGNODEBlock(n_nodes, c_in, channels, n_his, dropout, **ode_options),
                           STGNODEBlock(n_nodes, hidden, channels, n_his, dropout, **ode_options)])
            for _ in range(n_graphs * branches_per_graph))
        self.output = nn.Sequential(nn.Linear(n_his * hidden, n_pred * hidden), nn.ReLU(),
                                    nn.Linear(n_pred * hidden, n_pred))

    def forward(self, x: torch.Tensor, adjacencies: list[torch.Tensor]) -> torch.Tensor:
        if len(adjacencies) != self.n_graphs:
            raise ValueError(f"adjacencies: expected {self.n_graphs} graphs, found "
                             f"{len(adjacencies)}")
        outs = []
        for i, blocks in enumerate(self.branches):
            adjacency = adjacencies[i // self.branches_per_graph]
            h = x
            for block in blocks:
                h = block(h, adjacency)
            outs.append(h)
        h = torch.stack(outs).amax(dim=0)                   # [B, C, T, N]
        h = h.permute(0, 3, 2, 1).flatten(2)                # [B, N, T * C]
        return self.output(h).transpose(1, 2)              # [B, n_pred, N]


class STModule(nn.Module):
    """The spatio-temporal module: two STGCN ST-Conv blocks and a fully connected layer.

    Each block is :class:`stgkd.nn.stgcn.STBlock` (temporal GLU conv of width ``kt``,
    Chebyshev graph conv of order ``ks`` on the distance graph's scaled Laplacian,
    temporal ReLU conv, LayerNorm). The fully connected layer maps each node's remaining
    [C, n_his - 4 (kt - 1)] features to the ``n_pred`` steps.

    With ``glorot`` every weight is drawn Glorot-uniform and every bias is zero
    (:func:`glorot_reset`, STGCN's rule); otherwise only the Chebyshev weights are, and the
    temporal convolutions and the linear layer keep PyTorch's default initialisation.

    Shapes: [B, blocks[0][0], n_his, N] -> [B, n_pred, N].
    """

    def __init__(self, n_nodes: int, distance_adj: np.ndarray, n_his: int = 12,
                 n_pred: int = 12, blocks: list[list[int]] | None = None, ks: int = 3,
                 kt: int = 3, dropout: float = 0.0, glorot: bool = False):
        super().__init__()
        blocks = [[1, 16, 32], [32, 16, 32]] if blocks is None else [list(b) for b in blocks]
        width = n_his - len(blocks) * 2 * (kt - 1)
        if width < 1:
            raise ValueError(f"n_his: {n_his} steps are too few for {len(blocks)} ST blocks "
                             f"with temporal kernel {kt}")
        self.blocks = nn.ModuleList(STBlock(n_nodes, ch, ks, kt, dropout) for ch in blocks)
        for block in self.blocks:
            # ChebGraphConv leaves its theta uninitialised (STGCN initialises the whole
            # model); Glorot-uniform over [Ks * c_in, c_out] as STGCN.reset_parameters does
            theta = block.spatial.theta
            nn.init.xavier_uniform_(theta.data.view(-1, theta.shape[-1]))
        laplacian = torch.tensor(scaled_laplacian(distance_adj), dtype=torch.float32)
        for block in self.blocks:
            block.spatial.set_graph(laplacian)
        self.fc = nn.Linear(blocks[-1][2] * width, n_pred)
        if glorot:
            glorot_reset(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.fc(x.permute(0, 3, 1, 2).flatten(2)).transpose(1, 2)


def check_window(x: torch.Tensor, n_his: int, n_nodes: int) -> None:
    """Raise ValueError unless ``x`` is a floating tensor [B, n_his, n_nodes]."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"x: expected a float tensor [B, {n_his}, {n_nodes}], found "
                         f"{type(x).__name__}" + (f" of {x.dtype}" if isinstance(x, torch.Tensor)
                                                   else ""))
    if x.ndim != 3 or x.shape[1] != n_his or x.shape[2] != n_nodes:
        raise ValueError(f"x: expected [B, {n_his}, {n_nodes}] (batch, n_his, nodes), "
                         f"found {list(x.shape)}")


def graph_tensor(name: str, weights, n_nodes: int) -> tuple[np.ndarray, torch.Tensor]:
    """Checked [N, N] weights and their normalised adjacency as a float32 tensor."""
    if hasattr(weights, "detach"):
        weights = weights.detach().cpu().numpy()
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_nodes, n_nodes):
        raise ValueError(f"{name}: expected an [{n_nodes}, {n_nodes}] adjacency for "
                         f"n_nodes={n_nodes}, found shape {list(w.shape)}")
    try:
        a_hat = normalized_adjacency(w)
    except ValueError as err:  # name the argument, not the helper's parameter
        raise ValueError(f"{name}: {str(err).split(': ', 1)[-1]}") from None
    return w, torch.tensor(a_hat, dtype=torch.float32)


class DMSTGNODE(nn.Module):
    """Dynamic multi-graph spatio-temporal graph neural ODE (see the module docstring).

    Args:
        n_nodes: N.
        distance_adj: [N, N] non-negative distance-graph weights (``series.weights``).
        pattern_adj: [N, N] pattern-graph weights
            (:func:`stgkd.data.multigraph.pattern_graph` of the training readings).
        n_his, n_pred: input and output steps.
        hidden: channels C of the GODE module (its temporal conv nets are [C, C/2, C]).
        embed_dim: size of the dynamic graph's node embeddings.
        st_blocks: channels of the ST module's two blocks (default [[1, 16, 32], [32, 16, 32]];
            with ``st_module="mst-gcn"`` the MST-GCN baseline's [[1, 32, 64], [64, 32, 128]]).
        ks, kt: the ST blocks' Chebyshev order and temporal kernel.
        ode_time, ode_method, ode_step: the graph ODE's solver
            (:class:`stgkd.nn.graph_ode.GraphODE`): integrate ``t in [0, ode_time]`` with a
            torchdiffeq method, fixed step ``ode_step`` for ``"euler"``/``"rk4"``.
        ode_mixing: how the graph ODE builds its feature and time mixing matrices
            (:data:`stgkd.nn.graph_ode.MIXINGS`; default ``"free"``, STGODE's, whose
            eigenvalues are not bounded by 1; ``"orthonormal"`` keeps them in [0, 1]).
        branches_per_graph: parallel GODE branches per graph (STGODE: 3).
        dropout: in the temporal conv nets and after the ST blocks.
        st_module: which ST module (:data:`ST_MODULES`; default ``"stgcn"``).
        without: parts left out (a subset of :data:`ABLATIONS`; not both ``"ode"`` and
            ``"st"``).

    Both adjacencies are kept normalised as buffers (``distance_hat``, ``pattern_hat``),
    so a state dict carries them. ``config`` holds the other arguments.

    Parameters with the defaults: 214,080 + 562 N, i.e. 330,414 for N=207 (Los-loop) and
    342,216 for N=228 (PeMSD7(M)). The GODE output MLP (152,460) and the LayerNorms' scale
    and shift per node and channel (512 N) are three quarters of them. Each GODE branch is
    17,208 + 130 N, the dynamic graph 20 N, the fusion 12 N per module; the ``"stgcn"`` ST
    module is 9,996 + 128 N and the ``"mst-gcn"`` one 195,008 + 652 N.

    Cost: one forward and backward pass on 32 windows, N=207, took about 4 s of CPU time
    on one thread (forward alone 1.6 s), measured on a 2-core machine shared with another
    training job, so an upper bound. Most of it is the 24 evaluations of the graph ODE's
    [B C T, N] x [N, N] product; ``ode_step=0.5`` took 2.4 s, ``hidden=16`` 2.1 s.

    Forward: x [B, n_his, N] (normalised readings) -> [B, n_pred, N] (normalised forecasts).
    """

    def __init__(self, n_nodes: int, distance_adj, pattern_adj, n_his: int = 12,
                 n_pred: int = 12, hidden: int = 32, embed_dim: int = 10,
                 st_blocks: list[list[int]] | None = None, ks: int = 3, kt: int = 3,
                 ode_time: float = 1.0, ode_method: str = "euler", ode_step: float | None = 0.25,
                 branches_per_graph: int = 1, dropout: float = 0.0, st_module: str = "stgcn",
                 without=(), ode_mixing: str = "free"):
        super().__init__()
        if st_module not in ST_MODULES:
            raise ValueError(f"st_module: expected one of {list(ST_MODULES)}, found {st_module!r}")
        without = sorted(set(without))
        unknown = [w for w in without if w not in ABLATIONS]
        if unknown or {"ode", "st"} <= set(without):
            raise ValueError(f"without: expected parts among {list(ABLATIONS)}, not both 'ode' "
                             f"and 'st', found {without}")
        w_dist, a_dist = graph_tensor("distance_adj", distance_adj, n_nodes)
        w_pat, a_pat = graph_tensor("pattern_adj", pattern_adj, n_nodes)
        self.n_nodes, self.n_his, self.n_pred = n_nodes, n_his, n_pred
        self.config = dict(n_nodes=n_nodes, n_his=n_his, n_pred=n_pred, hidden=hidden,
                           embed_dim=embed_dim,
                           st_blocks=None if st_blocks is None else [list(b) for b in st_blocks],
                           ks=ks, kt=kt, ode_time=ode_time, ode_method=ode_method,
                           ode_step=ode_step, branches_per_graph=branches_per_graph,
                           dropout=dropout, st_module=st_module, without=without,
                           ode_mixing=ode_mixing)
        self.register_buffer("distance_hat", a_dist)
        self.register_buffer("pattern_hat", a_pat)
        use_ode, use_st = "ode" not in without, "st" not in without
        # the GODE branches, in the order distance, pattern, dynamic
        self.graph_names = [g for g in ("distance", "pattern", "dynamic")
                            if use_ode and g not in without]
        self.dynamic = DynamicGraph(n_nodes, embed_dim) if "dynamic" in self.graph_names else None
        self.gode = (GODEModule(n_nodes, len(self.graph_names), n_his, n_pred, hidden, 1,
                                branches_per_graph, dropout, time=ode_time, method=ode_method,
                                step_size=ode_step, mixing=ode_mixing) if use_ode else None)
        self.st = None
        if use_st and st_module == "mst-gcn":
            self.st = MSTGCN(n_nodes, [w_dist, w_pat], n_his, n_pred, st_blocks, ks, kt, dropout)
        elif use_st:
            self.st = STModule(n_nodes, w_dist, n_his, n_pred, st_blocks, ks, kt, dropout,
                               glorot=st_module == "stgcn-glorot")
        # one weight per horizon step and node for each module kept (GODE first)
        self.fusion = nn.Parameter(torch.full((int(use_ode) + int(use_st), n_pred, n_nodes), 0.5))

    def graphs(self) -> list[torch.Tensor]:
        """The [N, N] propagation matrices of the GODE branches: distance, pattern,
        dynamic (those not left out)."""
        found = {"distance": lambda: self.distance_hat, "pattern": lambda: self.pattern_hat,
                 "dynamic": lambda: self.dynamic()}
        return [found[name]() for name in self.graph_names]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_window(x, self.n_his, self.n_nodes)
        outputs = []
        if self.gode is not None:
            outputs.append(self.gode(x.unsqueeze(1), self.graphs()))     # [B, n_pred, N]
        if self.st is not None:
            # MST-GCN takes [B, n_his, N]; the STGCN module [B, 1, n_his, N]
            outputs.append(self.st(x) if isinstance(self.st, MSTGCN) else self.st(x.unsqueeze(1)))
        y = self.fusion[0] * outputs[0]
        for weight, out in zip(self.fusion[1:], outputs[1:]):
            y = y + weight * out
        return y
