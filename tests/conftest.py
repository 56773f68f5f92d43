"""Shared fixtures: a small synthetic data set and quick training settings."""
import numpy as np
import pytest
import torch

from stgkd.data import make_windows, synthetic_series


@pytest.fixture(autouse=True)
def _two_threads():
    # Fixed thread count: identical numbers from run to run on the CPU.
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def synthetic():
    return synthetic_series(n_nodes=6, n_days=4, steps_per_day=48, seed=0)


@pytest.fixture(scope="session")
def synthetic_windows(synthetic):
    return make_windows(synthetic, (2, 1, 1))


def random_graph(n: int, seed: int = 0, threshold: float = 0.4) -> np.ndarray:
    """A symmetric [n, n] weight matrix with a zero diagonal; weights below
    ``threshold`` (uniform in [0, 1) before symmetrising) are dropped."""
    rng = np.random.default_rng(seed)
    w = rng.random((n, n))
    w = (w + w.T) / 2
    w[w < threshold] = 0
    np.fill_diagonal(w, 0)
    return w
