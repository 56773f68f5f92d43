"""Argument checks shared by the baselines: graphs, input windows and the Chebyshev basis."""
from __future__ import annotations

import numpy as np
import torch

from stgkd.data.graph import chebyshev_polynomials, scaled_laplacian

from stgkd.data.multigraph import check_square_weights


def check_sizes(n_nodes: int, n_his: int, n_pred: int) -> None:
    """Raise ValueError unless the three sizes are positive integers."""
    for name, value in (("n_nodes", n_nodes), ("n_his", n_his), ("n_pred", n_pred)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name}: expected a positive integer, found {value!r}")


def check_graph(weights: np.ndarray, n_nodes: int, name: str = "adjacency") -> np.ndarray:
    """The [N, N] float64 weights of a graph, after checking the baselines' contract.

    Expected: a finite, non-negative [n_nodes, n_nodes] matrix with a zero diagonal.
    Raises ValueError naming ``name``, what was expected and what was found.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_nodes, n_nodes):
        raise ValueError(f"{name}: expected shape [{n_nodes}, {n_nodes}], found {list(w.shape)}")
    w = check_square_weights(name, w)          # finite and non-negative
    if np.any(np.diag(w) != 0):
        raise ValueError(f"{name}: expected a zero diagonal, found {int((np.diag(w) != 0).sum())} "
                         f"non-zero diagonal cells")
    return w


def check_window(x: torch.Tensor, n_his: int, n_nodes: int) -> None:
    """Raise ValueError unless ``x`` is a [B, n_his, N] tensor."""
    if x.ndim != 3 or x.shape[1] != n_his or x.shape[2] != n_nodes:
        raise ValueError(f"x: expected shape [B, {n_his}, {n_nodes}], found {list(x.shape)}")


def symmetric(weights: np.ndarray) -> np.ndarray:
    """``(W + W^T) / 2``: the Chebyshev basis needs an undirected graph (a directed
    pattern graph is read as the undirected graph of its mean weights)."""
    return (weights + weights.T) / 2


def chebyshev_basis(weights: np.ndarray, order: int) -> torch.Tensor:
    """[order, N, N] float32 Chebyshev polynomials of the scaled normalised Laplacian of
    the symmetrised graph (the basis of STGCN and ASTGCN)."""
    polynomials = chebyshev_polynomials(scaled_laplacian(symmetric(weights)), order)
    return torch.from_numpy(polynomials).float()
