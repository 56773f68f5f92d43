"""Graph weights from distances, the scaled Laplacian and its Chebyshev polynomials."""
from __future__ import annotations

import numpy as np

from stgkd.data.errors import DataFormatError


def gaussian_weights(distances: np.ndarray, sigma2: float = 0.1, epsilon: float = 0.5,
                     scale: float = 1e4, path=None) -> np.ndarray:
    """Weighted adjacency from pairwise distances (KD paper eq. 16, STGCN form).

    ``W_ij = exp(-(d_ij / scale)^2 / sigma2)`` where that is ``>= epsilon``, else 0,
    and ``W_ii = 0``. Infinite distances (no road link) give weight 0.

    Args:
        distances: [N, N] non-negative distances (PeMSD7(M): in the file's units).
        sigma2, epsilon, scale: the original STGCN code's constants.

    Returns:
        [N, N] float64 weights in [0, 1].
    """
    if sigma2 <= 0 or scale <= 0:
        raise ValueError(f"sigma2, scale: expected positive numbers, found {sigma2}, {scale}")
    d = _check_distances(distances, path)
    with np.errstate(over="ignore"):
        w = np.exp(-((d / scale) ** 2) / sigma2)
    w[w < epsilon] = 0.0
    np.fill_diagonal(w, 0.0)
    return w


def edge_gaussian_weights(distances: np.ndarray, path=None) -> np.ndarray:
    """Gaussian-kernel weights on the listed road links only (DCRNN/ASTGCN-style graphs).

    ``W_ij = exp(-(d_ij / s)^2)`` for every finite off-diagonal ``d_ij`` (a listed
    link), where ``s`` is the standard deviation (ddof 0) of those finite
    off-diagonal distances; ``W_ij = 0`` where ``d_ij = inf`` (no link) and
    ``W_ii = 0``. No threshold: every listed link keeps its weight.

    Args:
        distances: [N, N] non-negative distances, ``inf`` where there is no link.

    Returns:
        [N, N] float64 weights in (0, 1] on links, 0 elsewhere.
    """
    d = _check_distances(distances, path)
    off_diagonal = ~np.eye(d.shape[0], dtype=bool)
    linked = np.isfinite(d) & off_diagonal
    w = np.zeros_like(d)
    if not linked.any():
        return w
    std = float(d[linked].std())
    if std == 0:  # all links equally long: scale by that length (weight exp(-1))
        std = float(d[linked][0]) or 1.0
    w[linked] = np.exp(-((d[linked] / std) ** 2))
    return w


def ring_graph(n_nodes: int) -> np.ndarray:
    """[N, N] weights of a ring: node ``i`` linked to ``i - 1`` and ``i + 1`` (mod N) with
    weight 1, no self-loops.

    A stand-in graph where a model's size or cost is wanted without a data set: the
    Chebyshev graph convolution multiplies by a dense [N, N] matrix, so parameter and
    FLOP counts do not depend on the weights' values (only TGC-LSTM's parameter count
    depends on the graph, through its 3-hop neighbourhoods).

    Args:
        n_nodes: N, at least 1 (N = 1 gives [[0]], N = 2 one link of weight 1).

    Returns:
        [N, N] symmetric float64 weights, each row summing to 2 for N >= 3.
    """
    if n_nodes < 1:
        raise ValueError(f"n_nodes: expected at least 1 node, found {n_nodes}")
    weights = np.zeros((n_nodes, n_nodes))
    nodes = np.arange(n_nodes)
    weights[nodes, (nodes + 1) % n_nodes] = 1.0
    weights[(nodes + 1) % n_nodes, nodes] = 1.0
    np.fill_diagonal(weights, 0.0)       # N = 1 links its node to itself above
    return weights


def _check_distances(distances: np.ndarray, path=None) -> np.ndarray:
    """[N, N] float64 copy of ``distances``; raises on a non-square, NaN or negative matrix."""
    d = np.asarray(distances, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise DataFormatError(path, "a square distance matrix", f"shape {d.shape}")
    if np.isnan(d).any():
        i, j = np.argwhere(np.isnan(d))[0]
        raise DataFormatError(path, "distances without missing cells",
                              f"{int(np.isnan(d).sum())} NaN cells, the first at row {i + 1}, "
                              f"column {j + 1}")
    if (d < 0).any():
        i, j = np.argwhere(d < 0)[0]
        raise DataFormatError(path, "non-negative distances",
                              f"{d[i, j]} at row {i + 1}, column {j + 1}")
    return d


def scaled_laplacian(weights: np.ndarray) -> np.ndarray:
    """Scaled normalised Laplacian ``2 L / lambda_max - I`` (STGCN, Chebyshev basis).

    ``L = I - D^{-1/2} W D^{-1/2}`` over nodes with non-zero degree; an isolated
    node keeps a zero row and column in ``L``.

    Args:
        weights: [N, N] symmetric non-negative weights.

    Returns:
        [N, N] float64 matrix whose spectrum lies in [-1, 1].
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"weights: expected a square matrix, found shape {w.shape}")
    n = w.shape[0]
    degree = w.sum(axis=1)
    inv_sqrt = np.zeros(n)
    connected = degree > 0
    inv_sqrt[connected] = 1.0 / np.sqrt(degree[connected])
    laplacian = np.diag(connected.astype(np.float64)) - inv_sqrt[:, None] * w * inv_sqrt[None, :]
    # The Laplacian of a symmetric graph is symmetric; symmetrise to absorb rounding.
    laplacian = (laplacian + laplacian.T) / 2
    lambda_max = float(np.linalg.eigvalsh(laplacian).max())
    if lambda_max <= 0:  # a graph without edges: L = 0, keep the basis well defined
        lambda_max = 2.0
    return 2.0 * laplacian / lambda_max - np.eye(n)


def chebyshev_polynomials(scaled_lap: np.ndarray, order: int) -> np.ndarray:
    """Stack ``[T_0, ..., T_{order-1}]`` of the scaled Laplacian, shape [order, N, N].

    ``T_0 = I``, ``T_1 = L~``, ``T_k = 2 L~ T_{k-1} - T_{k-2}``.
    """
    if order < 1:
        raise ValueError(f"order: expected >= 1, found {order}")
    lap = np.asarray(scaled_lap, dtype=np.float64)
    stack = [np.eye(lap.shape[0]), lap]
    for _ in range(2, order):
        stack.append(2 * lap @ stack[-1] - stack[-2])
    return np.stack(stack[:order])
