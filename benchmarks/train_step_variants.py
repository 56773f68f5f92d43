"""Candidate optimisations of the STGCN training step, timed side by side in one process
on PeMSD7(M) (batch 50: forward, MSE loss, backward, RMSProp step), each against the eager
model (the first implementation), after checking that it computes the same outputs and
gradients.

The variants, each applied to the same parameters from the same starting weights:

- ``eager``: ``stgkd.nn.STGCN`` as it trains ([B, C, T, N], ATen convolutions);
- ``compiled``: ``torch.compile`` of that model;
- ``channels_last``: the model's weights and its input in ``torch.channels_last`` memory
  format (oneDNN's preferred layout for convolutions);
- ``sparse_laplacian``: the eager layers, but each graph product ``X L~`` taken with a CSR
  copy of the scaled Laplacian (3.6% of PeMSD7(M)'s entries are non-zero), as
  ``(L~ X^T)^T``;
- ``time_major``: the same parameters applied in a [T, B, N, C] layout, where a temporal
  convolution is ``Kt`` matrix products over contiguous time slices, a channel mix is one
  matrix product and the LayerNorm over [N, C] needs no permute;
- ``time_major_sparse``: ``time_major`` with each graph product one sparse product with
  the block-diagonal ``I (x) L~`` (one Laplacian per time step and window);
- ``compiled_sparse_laplacian``, ``compiled_time_major``: those two under ``torch.compile``;
- ``cheb_basis``: the eager layers, but each graph convolution takes ``T_1(L~) X ..
  T_{Ks-1}(L~) X`` in one product with the constant [N, (Ks-1) N] matrix
  ``[T_1 | .. | T_{Ks-1}]`` instead of the recursion's dependent products;
- ``component_blocks``: the stations ordered by the graph's connected components, so
  that each graph product is one small product per component (block-diagonal ``L~``);
- ``folded_residual`` (and ``compiled_folded_residual``): every residual path (linear in
  all its modes) added into its layer's weight, ``P + x_res = conv(x; W + E)``, and the
  GLU as ATen's fused ``glu``: no padding, slicing or adding of residuals;
  ``folded_residual_sparse``: that with the CSR graph products of ``sparse_laplacian``;
- ``bf16_autocast``: the eager model under CPU autocast to bfloat16 with float32 master
  weights. It changes the numbers, so it is timed all the same but marked not ``equal``
  (``settings.approximate_variants``); ``settings.cpu_bf16_instructions`` says whether the
  CPU has bfloat16 instructions (AVX-512 BF16 or AMX) or PyTorch emulates them.

Rounds interleave the variants, so a change in the machine's load hits them alike; the
figure is the median windows per second over the rounds. A variant whose outputs differ
from the eager model's by more than 1e-5, or whose whole gradient differs by more than
1e-4 of its norm, is reported as such and not timed (except the approximate ones above). Stored in
results/benchmarks/train-step-variants-<machine>.json. With ``--checkpoints`` the compacted
models of the stored pruning runs are timed too (eager and compiled by default), each with
its own channel counts on PeMSD7(M)'s 228 nodes, as ``benchmarks/stgcn_speed.py`` times
their rollouts.

    python benchmarks/train_step_variants.py --threads 2
    python benchmarks/train_step_variants.py --threads 2 --models teacher pruning_base student --checkpoints
    python benchmarks/train_step_variants.py --models teacher student --variants eager time_major
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

from stgkd.benchmarking import (MODELS, cpu_benchmark_parser, seeded_pemsd7m, store_cpu_report,
                                stored_compacted_models)
from stgkd.complexity import count_parameters
from stgkd.data import DEFAULT_SPLITS, make_windows
from stgkd.nn import STGCN
from stgkd.nn.layers import (ChannelAlign, ChebGraphConv, TemporalConv, chebyshev_terms,
                             time_conv)

BATCH = 50
OUTPUT_TOLERANCE = 1e-5      # absolute, on the model's z-scored output
GRADIENT_TOLERANCE = 1e-4    # norm of the gradient difference over the gradient's norm


# --- the reference layout [B, C, T, N] with a sparse Laplacian ------------------------------

def sparse_graph_product(laplacian_csr: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``x L~`` for x [B, C, T, N] and a symmetric sparse [N, N] ``L~``, as ``(L~ x^T)^T``
    (a sparse matrix times a dense one, the product CPU sparse kernels provide)."""
    nodes = x.shape[-1]
    product = laplacian_csr @ x.reshape(-1, nodes).t()
    return product.t().reshape(x.shape)


def sparse_cheb(layer: ChebGraphConv, laplacian_csr: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """:class:`ChebGraphConv`'s forward with sparse graph products. [B, C, T, N] -> same."""
    terms = chebyshev_terms(x, layer.order, lambda t: sparse_graph_product(laplacian_csr, t))
    kernel = layer.theta.permute(2, 0, 1).flatten(1)
    out = F.conv2d(torch.cat(terms, dim=1), kernel[:, :, None, None], layer.bias)
    return torch.relu(out + layer.align(x))


def sparse_laplacian_forward(model: STGCN):
    """A forward [B, 1, T, N] -> [B, N] of ``model`` whose graph products use a CSR
    Laplacian (built once here)."""
    laplacian = model.blocks[0].spatial.laplacian.to_sparse_csr()

    def forward(x: torch.Tensor) -> torch.Tensor:
        for block in model.blocks:
            x = block.temporal_in(x)
            x = sparse_cheb(block.spatial, laplacian, x)
            x = block.dropout(block.norm(block.temporal_out(x)))
        return model.output(x)
    return forward


# --- the time-major layout [T, B, N, C] ---------------------------------------------------

def align_time_major(align: ChannelAlign, x: torch.Tensor) -> torch.Tensor:
    """:class:`ChannelAlign` on channels last. [..., c_in] -> [..., c_out]."""
    if align.project is not None:
        return x @ align.project.weight[:, :, 0, 0].t()
    if align.mode == "pad":
        return F.pad(x, (0, align.c_out - align.c_in))
    if align.mode == "gather":
        return x @ align.selection.t()
    return x


def temporal_time_major(layer: TemporalConv, x: torch.Tensor) -> torch.Tensor:
    """:class:`TemporalConv` in [T, B, N, C]: output step t is ``sum_j x[t + j] W_j + b``
    with ``W_j`` the [c_in, width] slice of the (k, 1) kernel at offset j; each term is
    one matrix product over a contiguous slice of time steps. -> [T - k + 1, B, N, c_out]."""
    conv = layer.conv
    k = conv.kernel_size[0]
    steps, batch, nodes, channels = x.shape
    kept = steps - k + 1
    weight = conv.weight[..., 0]                                    # [width, c_in, k]
    out = torch.addmm(conv.bias, x[:kept].reshape(-1, channels), weight[:, :, 0].t())
    for j in range(1, k):
        out = torch.addmm(out, x[j:j + kept].reshape(-1, channels), weight[:, :, j].t())
    out = out.view(kept, batch, nodes, -1)
    if layer.activation == "sigmoid":
        return torch.sigmoid(out)
    residual = align_time_major(layer.align, x)[k - 1:]
    if layer.activation == "glu":
        return (out[..., :layer.c_out] + residual) * torch.sigmoid(out[..., layer.c_out:])
    return torch.relu(out + residual)


def block_diagonal_laplacian(laplacian: torch.Tensor, copies: int) -> torch.Tensor:
    """The sparse COO [copies N, copies N] matrix ``I_copies (x) L~``."""
    sparse = laplacian.to_sparse().coalesce()
    nodes = laplacian.shape[0]
    offsets = torch.arange(copies) * nodes
    indices = (sparse.indices()[:, None, :] + offsets[None, :, None]).reshape(2, -1)
    return torch.sparse_coo_tensor(indices, sparse.values().repeat(copies),
                                   (copies * nodes, copies * nodes),
                                   check_invariants=True).coalesce()


def cheb_time_major(layer: ChebGraphConv, x: torch.Tensor, graph_product) -> torch.Tensor:
    """:class:`ChebGraphConv` in [T, B, N, C]; ``graph_product(x)`` is ``L~`` applied
    along N. The orders are stacked as channels (order-major, as ``theta`` [Ks, c_in,
    c_out] flattens), so Theta is one matrix product."""
    terms = chebyshev_terms(x, layer.order, graph_product)
    theta = layer.theta.reshape(-1, layer.theta.shape[-1])         # [Ks c_in, c_out]
    out = torch.cat(terms, dim=-1) @ theta + layer.bias
    return torch.relu(out + align_time_major(layer.align, x))


def time_major_forward(model: STGCN, sparse: bool = False):
    """A forward [B, 1, T, N] -> [B, N] of ``model``'s parameters in the [T, B, N, C]
    layout; ``sparse``: graph products with the block-diagonal sparse Laplacian."""
    laplacian = model.blocks[0].spatial.laplacian
    nodes = laplacian.shape[0]
    block_diagonal: dict[int, torch.Tensor] = {}

    def graph_product(x: torch.Tensor) -> torch.Tensor:
        if not sparse:
            return laplacian @ x                                    # per [N, C] slice
        copies = x.shape[0] * x.shape[1]
        if copies not in block_diagonal:
            block_diagonal[copies] = block_diagonal_laplacian(laplacian, copies)
        return torch.sparse.mm(block_diagonal[copies], x.reshape(copies * nodes, -1)).view(x.shape)

    def norm(module, x):
        return F.layer_norm(x, module.norm.normalized_shape, module.norm.weight,
                            module.norm.bias, module.norm.eps)

    def forward(x: torch.Tensor) -> torch.Tensor:
        h = x.permute(2, 0, 3, 1)                                   # [T, B, N, 1]
        for block in model.blocks:
            h = temporal_time_major(block.temporal_in, h)
            h = cheb_time_major(block.spatial, h, graph_product)
            h = block.dropout(norm(block.norm, temporal_time_major(block.temporal_out, h)))
        output = model.output
        h = temporal_time_major(output.gate, norm(output.norm,
                                                  temporal_time_major(output.temporal, h)))
        return (h @ output.fc.weight[:, :, 0, 0].t())[0, :, :, 0] + output.node_bias
    return forward


def channels_last_forward(model: STGCN):
    """The model with weights in channels-last memory format; the input converted too."""
    model.to(memory_format=torch.channels_last)
    return lambda x: model(x.contiguous(memory_format=torch.channels_last))


# --- exact reformulations: one Chebyshev product, residuals folded, fused GLU --------------

def cheb_basis_forward(model: STGCN):
    """A forward of ``model`` whose graph convolutions take ``T_1(L~) X .. T_{Ks-1}(L~) X``
    in one product with the constant [N, (Ks-1) N] matrix ``[T_1 | .. | T_{Ks-1}]``
    (built once here, in float64) instead of the recursion's Ks - 1 dependent products."""
    from stgkd.nn.folded import chebyshev_matrices
    spatial = model.blocks[0].spatial
    order, nodes = spatial.order, spatial.laplacian.shape[0]
    basis = chebyshev_matrices(spatial.laplacian, order)[1:].permute(1, 0, 2).reshape(
        nodes, -1).float()

    def cheb(layer: ChebGraphConv, x: torch.Tensor) -> torch.Tensor:
        batch, channels, steps, _ = x.shape
        higher = (x @ basis).view(batch, channels, steps, order - 1, nodes)
        # [B, C, T, K-1, N] -> [B, (K-1) C, T, N]: orders before channels, as theta flattens
        higher = higher.permute(0, 3, 1, 2, 4).reshape(batch, (order - 1) * channels, steps, nodes)
        kernel = layer.theta.permute(2, 0, 1).flatten(1)
        out = F.conv2d(torch.cat([x, higher], dim=1), kernel[:, :, None, None], layer.bias)
        return torch.relu(out + layer.align(x))

    def forward(x: torch.Tensor) -> torch.Tensor:
        for block in model.blocks:
            x = cheb(block.spatial, block.temporal_in(x))
            x = block.dropout(block.norm(block.temporal_out(x)))
        return model.output(x)
    return forward


def component_blocks_forward(model: STGCN):
    """A forward of ``model`` with the stations in the order of the graph's connected
    components (PeMSD7(M): 11 components of 83, 69, 46, 16 and fewer stations), so that
    ``L~`` is block-diagonal and each graph product ``X L~`` is one product per component
    on a contiguous slice of the node axis (27% of the dense product's multiplications on
    PeMSD7(M)). The input is permuted once, the LayerNorms use their per-node parameters in
    the same order, and the output layer gets the stations back in their own order."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components
    laplacian = model.blocks[0].spatial.laplacian
    _, labels = connected_components(csr_matrix(laplacian.abs().numpy() > 0), directed=False)
    order = torch.as_tensor(np.argsort(labels, kind="stable"))
    back = torch.argsort(order)
    permuted = laplacian[order][:, order]
    bounds = np.cumsum([0] + np.bincount(labels).tolist())
    pieces = [(int(a), int(b), permuted[a:b, a:b].contiguous())
              for a, b in zip(bounds[:-1], bounds[1:])]

    def product(t: torch.Tensor) -> torch.Tensor:
        return torch.cat([t[..., a:b] @ piece for a, b, piece in pieces], dim=-1)

    def cheb(layer: ChebGraphConv, x: torch.Tensor) -> torch.Tensor:
        kernel = layer.theta.permute(2, 0, 1).flatten(1)
        out = F.conv2d(torch.cat(chebyshev_terms(x, layer.order, product), dim=1),
                       kernel[:, :, None, None], layer.bias)
        return torch.relu(out + layer.align(x))

    def norm(layer, x: torch.Tensor) -> torch.Tensor:
        inner = layer.norm
        return F.layer_norm(x.permute(0, 2, 3, 1), inner.normalized_shape, inner.weight[order],
                            inner.bias[order], inner.eps).permute(0, 3, 1, 2)

    def forward(x: torch.Tensor) -> torch.Tensor:
        x = x[..., order]
        for block in model.blocks:
            x = cheb(block.spatial, block.temporal_in(x))
            x = block.dropout(norm(block.norm, block.temporal_out(x)))
        return model.output(x[..., back])
    return forward


def folded_temporal(layer: TemporalConv, residual: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """:class:`TemporalConv` with its residual added into the last tap of the
    convolution's weight (``P + x_res = conv(x; W + E)``) and the GLU as ATen's fused
    ``glu``. ``residual``: the residual path's [c_out, c_in] matrix (None for the sigmoid conv)."""
    weight = layer.conv.weight
    if residual is not None:
        k = weight.shape[2]
        pad = weight.new_zeros(weight.shape[0] - residual.shape[0], residual.shape[1])
        extra = torch.cat([residual, pad])[:, :, None, None]
        weight = torch.cat([weight[:, :, :k - 1], weight[:, :, k - 1:] + extra], dim=2)
    out = F.conv2d(x, weight, layer.conv.bias)
    if layer.activation == "glu":
        return F.glu(out, dim=1)
    return torch.relu(out) if layer.activation == "relu" else torch.sigmoid(out)


def folded_cheb(layer: ChebGraphConv, residual: torch.Tensor, x: torch.Tensor,
                graph_product=None) -> torch.Tensor:
    """:class:`ChebGraphConv` with the residual added into Theta's k = 0 block
    (``T_0 X = X``): one convolution, no separate residual add. ``graph_product(t)``:
    ``t L~`` (default the dense product)."""
    terms = chebyshev_terms(x, layer.order, graph_product or (lambda t: t @ layer.laplacian))
    kernel = layer.theta.permute(2, 0, 1).flatten(1)
    kernel = torch.cat([kernel[:, :residual.shape[1]] + residual, kernel[:, residual.shape[1]:]],
                       dim=1)
    return torch.relu(F.conv2d(torch.cat(terms, dim=1), kernel[:, :, None, None], layer.bias))


def folded_residual_forward(model: STGCN, sparse: bool = False):
    """A forward of ``model`` with every residual folded into its layer's weight and the
    GLUs fused (:func:`folded_temporal`, :func:`folded_cheb`): the same function of the
    same parameters, without the padding, slicing and adding of residual paths;
    ``sparse``: graph products with a CSR Laplacian (:func:`sparse_graph_product`)."""
    csr = model.blocks[0].spatial.laplacian.to_sparse_csr() if sparse else None
    graph_product = (lambda t: sparse_graph_product(csr, t)) if sparse else None
    from stgkd.nn.folded import residual_matrix
    # identity, padding and index maps are constant 0/1 matrices; a projection is a
    # parameter, taken live so that it is trained
    constant = {id(layer): residual_matrix(layer.align)
                for layer in model.modules()
                if isinstance(layer, (TemporalConv, ChebGraphConv)) and layer.align is not None
                and layer.align.project is None}

    def residual(layer):
        if layer.align is None:
            return None
        if layer.align.project is not None:
            return layer.align.project.weight[:, :, 0, 0]
        return constant[id(layer)]

    def temporal(layer, x):
        return folded_temporal(layer, residual(layer), x)

    def forward(x: torch.Tensor) -> torch.Tensor:
        for block in model.blocks:
            x = temporal(block.temporal_in, x)
            x = folded_cheb(block.spatial, residual(block.spatial), x, graph_product)
            x = block.dropout(block.norm(temporal(block.temporal_out, x)))
        output = model.output
        x = temporal(output.gate, output.norm(temporal(output.temporal, x)))
        return time_conv(output.fc, x)[:, 0, 0, :] + output.node_bias
    return forward


def bf16_forward(model: STGCN):
    """The eager model under CPU autocast to bfloat16 (convolutions and matrix products
    in bfloat16, float32 master weights and loss); changes the numbers."""
    def forward(x: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(x)
        return out.float()
    return forward


def cpu_has_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX-512 BF16 or AMX), per /proc/cpuinfo."""
    cpuinfo = Path("/proc/cpuinfo")
    flags = cpuinfo.read_text() if cpuinfo.is_file() else ""
    return "avx512_bf16" in flags or "amx_bf16" in flags


VARIANTS = {
    "eager": lambda model: model,
    "compiled": lambda model: torch.compile(model),
    "channels_last": channels_last_forward,
    "sparse_laplacian": sparse_laplacian_forward,
    "time_major": time_major_forward,
    "time_major_sparse": lambda model: time_major_forward(model, sparse=True),
    "compiled_sparse_laplacian": lambda model: torch.compile(sparse_laplacian_forward(model)),
    "compiled_time_major": lambda model: torch.compile(time_major_forward(model)),
    "cheb_basis": cheb_basis_forward,
    "component_blocks": component_blocks_forward,
    "folded_residual": folded_residual_forward,
    "folded_residual_sparse": lambda model: folded_residual_forward(model, sparse=True),
    "compiled_folded_residual": lambda model: torch.compile(folded_residual_forward(model)),
    "bf16_autocast": bf16_forward,
}
# variants that change the numbers: timed all the same, marked ``equal`` false; they count
# only with an accuracy run showing no change
APPROXIMATE = {"bf16_autocast"}


def agreement(reference: STGCN, forward_of, model: STGCN, x: torch.Tensor,
              y: torch.Tensor) -> dict:
    """How far a variant's outputs and gradients lie from the eager model's, both from
    the same weights: ``max_abs_output_diff``, and ``rel_gradient_diff``, the norm of the
    difference of the whole gradient vectors over the norm of the eager one (summation
    order alone moves a float32 gradient by about 1e-6 of its norm)."""
    expected = reference(x)
    torch.mean((expected - y) ** 2).backward()
    found = forward_of(x)
    torch.mean((found - y) ** 2).backward()
    reference_grads = dict(reference.named_parameters())
    with torch.no_grad():
        diff = torch.cat([(param.grad - reference_grads[name].grad).flatten()
                          for name, param in model.named_parameters()])
        norm = torch.cat([param.grad.flatten() for param in reference.parameters()]).norm()
        output_diff = (found - expected).abs().max().item()
    reference.zero_grad(set_to_none=True)
    model.zero_grad(set_to_none=True)
    return {"max_abs_output_diff": output_diff,
            "rel_gradient_diff": (diff.norm() / norm).item() if norm > 0 else diff.norm().item()}


def build(config: dict, series) -> STGCN:
    """An STGCN of ``config`` (``STGCN``'s arguments) on ``series``' nodes and graph."""
    return STGCN(**{**config, "n_nodes": series.n_nodes}, weights=series.weights)


def measure(config: dict, series, windows: torch.Tensor, n_his: int, variants: list[str],
            steps: int, rounds: int) -> dict:
    """Check every variant of an STGCN of ``config`` against the eager model, then time
    ``rounds`` interleaved rounds of ``steps`` training steps each; returns the figures
    per variant."""
    reference = build(config, series)   # never stepped: its weights are every variant's start
    start = reference.state_dict()
    batches = [(windows[i * BATCH:(i + 1) * BATCH, None, :n_his], windows[i * BATCH:(i + 1) * BATCH, n_his])
               for i in range(steps)]
    runs, figures = {}, {}
    for name in variants:
        model = build(config, series)
        model.load_state_dict(start)
        model.train()
        forward = VARIANTS[name](model)
        check = agreement(reference, forward, model, *batches[0])
        ok = (check["max_abs_output_diff"] <= OUTPUT_TOLERANCE
              and check["rel_gradient_diff"] <= GRADIENT_TOLERANCE)
        figures[name] = {**check, "equal": ok, "windows_per_s": None, "rounds_windows_per_s": []}
        if ok or name in APPROXIMATE:
            optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)
            runs[name] = (model, forward, optimizer)
        else:
            print(f"  {name}: outputs or gradients differ from the eager model ({check}); "
                  f"not timed", flush=True)

    def train_steps(model, forward, optimizer):
        for x, y in batches:
            loss = torch.mean((forward(x) - y) ** 2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    for name, run in runs.items():   # warm-up round (and compilation), not timed
        train_steps(*run)
    for _ in range(rounds):
        for name, run in runs.items():
            began = time.perf_counter()
            train_steps(*run)
            figures[name]["rounds_windows_per_s"].append(BATCH * steps / (time.perf_counter() - began))
    for name in runs:
        figures[name]["windows_per_s"] = statistics.median(figures[name]["rounds_windows_per_s"])
    eager = figures.get("eager", {}).get("windows_per_s")
    for row in figures.values():
        row["speedup"] = row["windows_per_s"] / eager if eager and row["windows_per_s"] else None
    return figures


def distinct_compacted_models() -> list[tuple[dict, list[str]]]:
    """The compacted models of the stored full-profile pruning runs (seed 0), one per
    distinct architecture: ``(config, the experiments that have it)``. A run fine-tuned
    from another (``-ft1``) keeps its architecture, so the two are timed once."""
    distinct: dict[str, tuple[dict, list[str]]] = {}
    for subject in stored_compacted_models():
        config = {k: v for k, v in subject["config"].items() if k != "n_nodes"}
        key = json.dumps(config, sort_keys=True)
        distinct.setdefault(key, (config, []))[1].append(subject["key"])
    return list(distinct.values())


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "train_step_variants")
    parser.add_argument("--models", nargs="+", default=["teacher"], choices=list(MODELS),
                        help="architectures to time (default: teacher)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS),
                        help="variants to time (default: all; eager is always included)")
    parser.add_argument("--steps", type=int, default=5,
                        help=f"training steps of {BATCH} windows per round (default 5)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--checkpoints", action="store_true",
                        help="also time the compacted model of every stored full-profile "
                             "pruning run (seed 0), once per distinct architecture, on "
                             "PeMSD7(M)'s nodes")
    parser.add_argument("--compacted-variants", nargs="+", default=["eager", "compiled"],
                        choices=list(VARIANTS),
                        help="variants for the compacted models (default: eager compiled)")
    args = parser.parse_args(argv)
    # the sparse variants use CSR and COO products, which PyTorch flags as beta on every call
    warnings.filterwarnings("ignore", message=".*[Ss]parse.*beta.*")
    # a compiled variant with graph breaks (the sparse products) compiles each layer's
    # forward once per layer shape: more than dynamo's default of 8 entries per code
    # object, past which it would silently run those layers eagerly
    torch._dynamo.config.recompile_limit = 64
    variants = ["eager"] + [v for v in args.variants if v != "eager"]
    compacted_variants = ["eager"] + [v for v in args.compacted_variants if v != "eager"]
    series = seeded_pemsd7m(args.threads)
    data = make_windows(series, DEFAULT_SPLITS["pemsd7m"])
    subjects = [(key, {"blocks": MODELS[key]}, [key], variants) for key in args.models]
    if args.checkpoints:
        subjects += [(names[0], config, names, compacted_variants)
                     for config, names in distinct_compacted_models()]
    figures = {}
    for key, config, experiments, subject_variants in subjects:
        print(f"{key}: {len(subject_variants)} variants, {args.rounds} rounds of {args.steps} "
              f"steps", flush=True)
        torch.manual_seed(0)
        torch._dynamo.reset()   # each architecture compiles afresh, not on the last one's cache
        rows = measure(config, series, data.train, data.n_his, subject_variants, args.steps,
                       args.rounds)
        figures[key] = {"parameters": count_parameters(build(config, series)), "variants": rows}
        if key not in MODELS:
            figures[key] |= {"blocks": config["blocks"], "experiments": experiments}
        for name, row in rows.items():
            rate = f"{row['windows_per_s']:7.1f} windows/s  x{row['speedup']:.2f}" \
                if row["windows_per_s"] else "not timed"
            print(f"  {name:18} {rate}  output diff {row['max_abs_output_diff']:.1e}", flush=True)
    store_cpu_report("train_step_variants", args.out,
                     {"models": args.models, "variants": variants,
                      "checkpoints": args.checkpoints, "compacted_variants": compacted_variants,
                      "steps": args.steps,
                      "rounds": args.rounds, "batch": BATCH, "threads": args.threads,
                      "dataset": "pemsd7m", "nodes": series.n_nodes,
                      "output_tolerance": OUTPUT_TOLERANCE,
                      "gradient_tolerance": GRADIENT_TOLERANCE,
                      "approximate_variants": sorted(APPROXIMATE & set(variants)),
                      "load_average": [round(x, 2) for x in os.getloadavg()],
                      "cpu_bf16_instructions": cpu_has_bf16()},
                     {"models": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
