"""The static graphs of DMST-GNODE: distance graph, pattern (DTW) graph, and the
normalised adjacency its graph ODE propagates with.

The third graph of the model, the dynamic one, is learned from node embeddings inside
the model (:class:`stgkd.nn.dmst_gnode.DynamicGraph`).

>>> w_dist = distance_graph(series.weights)                          # doctest: +SKIP
>>> w_pat = pattern_graph(train_values, series.steps_per_day)        # doctest: +SKIP
>>> a_hat = normalized_adjacency(w_dist)                             # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np

from stgkd.data.graph import gaussian_weights

# Share of node pairs the pattern graph keeps. The STGCN distance graphs of the data sets
# here keep 6.2% (Los-loop) and 3.2% (PeMSD7(M)) of pairs; 5% puts the pattern graph
# between them, so neither graph dominates the max-pooling by sheer density.
PATTERN_DENSITY = 0.05


def distance_graph(weights: np.ndarray | None = None, *, distances: np.ndarray | None = None,
                   sigma2: float = 0.1, epsilon: float = 0.5, scale: float = 1e4) -> np.ndarray:
    """The distance (geographic) graph ``W^D`` of DMST-GNODE.

    DMST-GNODE takes its distance graph "from ST-GCN": the thresholded Gaussian kernel
    of road distances, which every data set here already carries as
    :attr:`stgkd.data.TrafficSeries.weights`. Pass those ``weights`` (returned as a
    checked float64 copy with a zero diagonal), or raw ``distances``, which go through
    :func:`stgkd.data.graph.gaussian_weights` with the given constants.

    Args:
        weights: [N, N] non-negative weights, e.g. ``series.weights``.
        distances: [N, N] road distances instead of ``weights``.
        sigma2, epsilon, scale: the Gaussian kernel's constants (used with ``distances``).

    Returns:
        [N, N] float64 non-negative weights, zero diagonal.
    """
    if (weights is None) == (distances is None):
        raise ValueError("distance_graph: expected exactly one of weights= or distances=")
    if distances is not None:
        return gaussian_weights(distances, sigma2=sigma2, epsilon=epsilon, scale=scale)
    w = check_square_weights("weights", weights)
    np.fill_diagonal(w, 0.0)
    return w


def daily_profiles(values: np.ndarray, steps_per_day: int) -> np.ndarray:
    """Mean daily profile of every node: the average over the whole days of ``values``.

    Args:
        values: [T, N] readings; a trailing partial day is left out.
        steps_per_day: readings per day.

    Returns:
        [N, steps_per_day] float64, one row per node.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"values: expected a [T, N] array, found shape {v.shape}")
    if steps_per_day < 2:
        raise ValueError(f"steps_per_day: expected at least 2, found {steps_per_day}")
    n_days = v.shape[0] // steps_per_day
    if n_days < 1:
        raise ValueError(f"values: expected at least one whole day of {steps_per_day} steps, "
                         f"found {v.shape[0]} steps")
    if not np.isfinite(v).all():
        raise ValueError(f"values: expected finite readings, found "
                         f"{int((~np.isfinite(v)).sum())} non-finite cells")
    days = v[: n_days * steps_per_day].reshape(n_days, steps_per_day, v.shape[1])
    return days.mean(axis=0).T.copy()


def dtw_distances(profiles: np.ndarray, window: int | None = None) -> np.ndarray:
    """Pairwise dynamic-time-warping distances between the rows of ``profiles``.

    Computed by ``dtaidistance`` (its C implementation when compiled, else its pure
    Python one; same numbers). Its DTW is the square root of the summed squared
    differences along the best warping path; STGODE's ``fastdtw`` sums absolute
    differences and approximates the path (radius 6). Only the ranking of pairs
    matters for :func:`pattern_graph`.

    Args:
        profiles: [N, L] series, one per node.
        window: Sakoe-Chiba band half-width in steps (None: unconstrained DTW).

    Returns:
        [N, N] float64 symmetric distances with a zero diagonal.
    """
    from dtaidistance import dtw  # imported here: only the pattern graph needs it

    p = np.ascontiguousarray(profiles, dtype=np.float64)
    settings = {} if window is None else {"window": int(window)}
    d = np.asarray(dtw.distance_matrix(p, use_c=dtw.try_import_c(verbose=False),
                                       parallel=False, **settings), dtype=np.float64)
    # dtaidistance fills only what it computes; the graph needs the full symmetric matrix
    d = np.where(np.isfinite(d), d, d.T)
    d = np.minimum(d, d.T)
    np.fill_diagonal(d, 0.0)
    return d


def pattern_graph(values: np.ndarray, steps_per_day: int, density: float = PATTERN_DENSITY,
                  window: int | None = None) -> np.ndarray:
    """The pattern (semantic) graph ``W^P``: nodes whose mean daily profiles are close in DTW.

    STGODE's semantic adjacency: ``A_ij = 1`` if ``DTW(X^i, X^j) < epsilon`` else 0, where
    ``X^i`` is node i's mean daily series. An absolute ``epsilon`` depends on the data's
    units, so here it is set by the share of node pairs to keep: with ``m =
    max(1, round(density * N (N - 1) / 2))``, ``epsilon`` is the m-th smallest distance
    between distinct nodes and every pair at or below it is linked (ties at ``epsilon``
    all kept). Edges are unweighted and symmetric, the diagonal is zero (the self-loop
    comes from :func:`normalized_adjacency`). A node whose profile is unlike all others
    keeps no pattern neighbour, as under STGODE's threshold.

    Fit it on the training readings only: the test period must not shape the graph.

    Args:
        values: [T, N] training readings in original units (at least one whole day).
        steps_per_day: readings per day (288 for 5-minute data).
        density: share of the N (N - 1) / 2 node pairs to link, in (0, 1].
        window: optional Sakoe-Chiba band for the DTW (None: unconstrained).

    Returns:
        [N, N] float64 0/1 matrix.
    """
    if not 0 < density <= 1:
        raise ValueError(f"density: expected a share in (0, 1], found {density}")
    profiles = daily_profiles(values, steps_per_day)
    n = profiles.shape[0]
    adjacency = np.zeros((n, n))
    if n < 2:
        return adjacency
    d = dtw_distances(profiles, window)
    rows, cols = np.triu_indices(n, k=1)
    pair_d = d[rows, cols]
    m = max(1, int(round(density * pair_d.size)))
    epsilon = np.partition(pair_d, m - 1)[m - 1]
    keep = pair_d <= epsilon
    adjacency[rows[keep], cols[keep]] = 1.0
    adjacency[cols[keep], rows[keep]] = 1.0
    return adjacency


def normalized_adjacency(weights, scale: float = 1.0) -> np.ndarray:
    """``scale * D^-1/2 (W + I) D^-1/2`` with ``D = diag(rowsum(W + I))`` (Kipf & Welling).

    The propagation matrix of the graph ODE (:mod:`stgkd.nn.graph_ode`). With the self
    loop every node has degree >= 1, so an isolated node keeps its own state; for a
    symmetric W the eigenvalues lie in (-1, 1], and the ODE's learned per-node factor
    ``sigmoid(alpha_i) < 1`` keeps ``sigmoid(alpha) A_hat - I`` stable.

    STGODE's code instead uses ``0.8 / 2 * (I + D_W^-1/2 W D_W^-1/2)`` (CGNN's
    regularised adjacency, D_W without the self loop) and then a second learned factor
    ``sigmoid(alpha) / 2``; ``scale`` allows a fixed factor such as that 0.4, but the
    models here keep ``scale = 1`` and let ``sigmoid(alpha)`` learn the attenuation.

    Args:
        weights: [N, N] non-negative weights (numpy array or anything ``np.asarray`` takes).
        scale: a constant factor on the result.

    Returns:
        [N, N] float64.
    """
    w = check_square_weights("weights", weights)
    a = w + np.eye(w.shape[0])
    inv_sqrt = 1.0 / np.sqrt(a.sum(axis=1))
    return scale * inv_sqrt[:, None] * a * inv_sqrt[None, :]


def check_square_weights(name: str, matrix) -> np.ndarray:
    """A float64 copy of ``matrix``; raises ValueError unless it is square, finite and >= 0."""
    if hasattr(matrix, "detach"):
        matrix = matrix.detach().cpu().numpy()
    m = np.array(matrix, dtype=np.float64, copy=True)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"{name}: expected a square [N, N] matrix, found shape {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError(f"{name}: expected finite weights, found "
                         f"{int((~np.isfinite(m)).sum())} non-finite cells")
    if (m < 0).any():
        raise ValueError(f"{name}: expected non-negative weights, found minimum {m.min()}")
    return m
