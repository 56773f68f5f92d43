"""Graph weights, scaled Laplacian and Chebyshev basis against hand-derived values."""
import math

import numpy as np
import pytest

from stgkd.data import DataFormatError
from stgkd.data.graph import (chebyshev_polynomials, edge_gaussian_weights, gaussian_weights,
                              ring_graph, scaled_laplacian)

S = 1 / math.sqrt(2)


def test_gaussian_weights_three_nodes_by_hand():
    # (d / 1e4)^2 / 0.1: 1000 -> 0.1, 3000 -> 0.9, 5000 -> 2.5
    d = np.array([[0, 1000, 3000], [1000, 0, 5000], [3000, 5000, 0]], dtype=float)
    w = gaussian_weights(d)  # sigma2 0.1, epsilon 0.5, scale 1e4
    e01 = 0.9048374180359595  # exp(-0.1)
    expected = np.array([[0, e01, 0], [e01, 0, 0], [0, 0, 0]])  # exp(-0.9) = 0.4066 < 0.5
    np.testing.assert_allclose(w, expected, rtol=1e-12, atol=0)
    w = gaussian_weights(d, epsilon=0.4)
    e02 = 0.4065696597405991  # exp(-0.9), kept now; exp(-2.5) = 0.0821 still dropped
    np.testing.assert_allclose(w, [[0, e01, e02], [e01, 0, 0], [e02, 0, 0]], rtol=1e-12, atol=0)


def test_gaussian_weights_threshold_is_inclusive_at_epsilon():
    d = np.array([[0.0, 1.0], [1.0, 0.0]])  # scale 1, sigma2 1: w = exp(-1)
    at = gaussian_weights(d, sigma2=1.0, epsilon=float(np.exp(-1.0)), scale=1.0)
    assert at[0, 1] == np.exp(-1.0)
    above = gaussian_weights(d, sigma2=1.0, epsilon=float(np.nextafter(np.exp(-1.0), 1)),
                             scale=1.0)
    assert above[0, 1] == 0.0


def test_gaussian_weights_zero_diagonal_and_infinite_distance():
    d = np.array([[5.0, 0.0, np.inf], [0.0, 0.0, 1.0], [np.inf, 1.0, 0.0]])
    w = gaussian_weights(d, sigma2=1.0, epsilon=0.1, scale=1.0)
    assert np.all(np.diag(w) == 0)       # zero even where d_ii = 0 gives exp(0) = 1
    assert w[0, 1] == 1.0                # distance 0 between two stations: weight 1
    assert w[0, 2] == 0.0 and w[2, 0] == 0.0  # no link
    assert w[1, 2] == pytest.approx(math.exp(-1))


@pytest.mark.parametrize("bad, found", [(-2.0, "-2.0 at row 1, column 2"), (np.nan, "1 NaN cells")])
def test_gaussian_weights_rejects_negative_and_nan(bad, found):
    d = np.array([[0.0, bad], [1.0, 0.0]])
    with pytest.raises(DataFormatError, match="dist.csv") as info:
        gaussian_weights(d, path="dist.csv")
    assert found in str(info.value)


def test_gaussian_weights_rejects_non_square():
    with pytest.raises(DataFormatError, match=r"square distance matrix, found shape \(2, 3\)"):
        gaussian_weights(np.zeros((2, 3)))


def test_edge_gaussian_weights_by_hand():
    # links 0-1 (1) and 1-2 (3): std of [1, 3] = 1, so w = exp(-1), exp(-9); 0-2 unlinked
    d = np.array([[0, 1, np.inf], [1, 0, 3], [np.inf, 3, 0]], dtype=float)
    w = edge_gaussian_weights(d)
    e1, e9 = 0.36787944117144233, 0.00012340980408667956
    np.testing.assert_allclose(w, [[0, e1, 0], [e1, 0, e9], [0, e9, 0]], rtol=1e-12, atol=0)


def test_scaled_laplacian_two_node_path():
    # L = I - D^-1/2 W D^-1/2 = [[1, -1], [-1, 1]], lambda_max 2, so L~ = L - I
    lap = scaled_laplacian(np.array([[0.0, 3.0], [3.0, 0.0]]))
    np.testing.assert_allclose(lap, [[0, -1], [-1, 0]], atol=1e-12)


def test_scaled_laplacian_three_node_path_and_spectrum():
    # degrees 1, 2, 1: off-diagonal entries -1/sqrt(2); eigenvalues of L are 0, 1, 2
    w = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float)
    lap = scaled_laplacian(w)
    expected = np.array([[0, -S, 0], [-S, 0, -S], [0, -S, 0]])
    np.testing.assert_allclose(lap, expected, atol=1e-12)
    np.testing.assert_allclose(np.linalg.eigvalsh(lap), [-1, 0, 1], atol=1e-12)


def test_scaled_laplacian_isolated_node():
    # node 2 has no link: its row of L stays 0, so L~ has -1 there
    w = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=float)
    np.testing.assert_allclose(scaled_laplacian(w), [[0, -1, 0], [-1, 0, 0], [0, 0, -1]],
                               atol=1e-12)


def test_scaled_laplacian_spectrum_in_unit_interval_random_graph():
    rng = np.random.default_rng(3)
    w = rng.uniform(0, 1, (30, 30)) * (rng.uniform(size=(30, 30)) < 0.2)
    w = np.triu(w, 1) + np.triu(w, 1).T
    eig = np.linalg.eigvalsh(scaled_laplacian(w))
    assert eig.min() >= -1 - 1e-9 and eig.max() <= 1 + 1e-9
    assert eig.max() == pytest.approx(1.0)  # lambda_max maps to exactly 1


def test_chebyshev_polynomials():
    lap = np.array([[0, -S, 0], [-S, 0, -S], [0, -S, 0]])
    t = chebyshev_polynomials(lap, 4)
    assert t.shape == (4, 3, 3)
    np.testing.assert_allclose(t[0], np.eye(3))
    np.testing.assert_allclose(t[1], lap)
    # L^2 = [[.5, 0, .5], [0, 1, 0], [.5, 0, .5]], so T2 = 2 L^2 - I by hand:
    np.testing.assert_allclose(t[2], [[0, 0, 1], [0, 1, 0], [1, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(t[2], 2 * lap @ lap - np.eye(3), atol=1e-12)
    np.testing.assert_allclose(t[3], 4 * lap @ lap @ lap - 3 * lap, atol=1e-12)
    assert chebyshev_polynomials(lap, 1).shape == (1, 3, 3)
    with pytest.raises(ValueError):
        chebyshev_polynomials(lap, 0)


def test_ring_graph_links_each_node_to_its_two_neighbours():
    ring = ring_graph(5)
    expected = np.array([[0, 1, 0, 0, 1],
                         [1, 0, 1, 0, 0],
                         [0, 1, 0, 1, 0],
                         [0, 0, 1, 0, 1],
                         [1, 0, 0, 1, 0]], dtype=float)
    np.testing.assert_array_equal(ring, expected)
    # the smallest rings: one node has no neighbour (no self-loop), two share one link
    np.testing.assert_array_equal(ring_graph(1), [[0.0]])
    np.testing.assert_array_equal(ring_graph(2), [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="n_nodes"):
        ring_graph(0)
