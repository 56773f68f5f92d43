"""Shared fixtures: a small synthetic data set and quick training settings."""
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
