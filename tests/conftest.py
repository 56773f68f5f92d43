"""Shared fixtures: a small synthetic data set and quick training settings."""
import numpy as np
import pandas as pd
import pytest
import torch

from stgkd.data import make_windows, synthetic_series


@pytest.fixture(scope="session", autouse=True)
def _two_threads_from_the_start():
    # Module- and session-scoped fixtures (a smoke run shared by a file's tests) are set up
    # before any function-scoped one: without this they would train with torch's default
    # thread count (e.g. 1 under OMP_NUM_THREADS=1) and the tests with 2.
    torch.set_num_threads(2)


@pytest.fixture(autouse=True)
def _two_threads():
    # Fixed thread count: identical numbers from run to run on the CPU, before each test
    # and after it (a test may set its own), so that the next file's shared fixtures too.
    torch.set_num_threads(2)
    yield
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


def row_of(frame: pd.DataFrame, **where) -> pd.Series:
    """The one row of ``frame`` whose columns equal ``where``; fails unless exactly one."""
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    assert mask.sum() == 1, f"{mask.sum()} rows match {where}"
    return frame[mask].iloc[0]


class InterruptAt:
    """A supervised loss that raises KeyboardInterrupt at its n-th call, like Ctrl-C."""

    def __init__(self, n):
        self.calls, self.n = 0, n

    def __call__(self, model, x, y):
        from stgkd.train import supervised_mse
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return supervised_mse(model, x, y)
