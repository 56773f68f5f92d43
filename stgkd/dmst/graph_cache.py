"""The DTW pattern graph of a run's training readings, computed once and kept.

:func:`stgkd.data.multigraph.pattern_graph` compares every pair of nodes' mean daily
profiles by DTW: tens of seconds on Los-loop's 207 nodes, the same for every run, seed and
model of a data set and split. :func:`cached_pattern_graph` keeps the result in memory for
the process and on disk under ``$STGKD_CACHE/pattern_graphs`` (default
``~/.cache/stgkd/pattern_graphs``), named by the sha256 of the readings and the graph's
settings, so a changed reading or setting never reuses a stale graph. The cached graph is
the array ``pattern_graph`` returned, saved exactly (``.npy``, float64).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from stgkd.data.multigraph import PATTERN_DENSITY, pattern_graph

_MEMORY: dict[str, np.ndarray] = {}


def cache_dir() -> Path:
    """Where the graphs are kept: ``$STGKD_CACHE/pattern_graphs`` or
    ``~/.cache/stgkd/pattern_graphs``."""
    root = os.environ.get("STGKD_CACHE") or Path.home() / ".cache" / "stgkd"
    return Path(root) / "pattern_graphs"


def pattern_graph_key(values: np.ndarray, steps_per_day: int, density: float,
                      window: int | None) -> str:
    """sha256 of the readings (float64, C order, with their shape) and the settings."""
    x = np.ascontiguousarray(values, dtype=np.float64)
    digest = hashlib.sha256()
    digest.update(repr((x.shape, int(steps_per_day), float(density), window)).encode())
    digest.update(x.tobytes())
    return digest.hexdigest()


def cached_pattern_graph(values: np.ndarray, steps_per_day: int,
                         density: float = PATTERN_DENSITY, window: int | None = None,
                         use_disk: bool = True) -> np.ndarray:
    """``pattern_graph(values, steps_per_day, density, window)``, from the cache when these
    readings and settings were seen before (a copy: callers may change it)."""
    key = pattern_graph_key(values, steps_per_day, density, window)
    if key in _MEMORY:
        return _MEMORY[key].copy()
    path = cache_dir() / f"{key}.npy"
    graph = None
    if use_disk and path.is_file():
        try:
            graph = np.load(path, allow_pickle=False)
        except (OSError, ValueError):      # a damaged file: compute again and replace it
            graph = None
    if graph is None:
        graph = pattern_graph(values, steps_per_day, density, window)
        if use_disk:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
                np.save(tmp, graph, allow_pickle=False)
                os.replace(tmp, path)        # atomic: a reader sees all of it or nothing
            except OSError:                  # a read-only home: the memory cache still works
                pass
    _MEMORY[key] = graph
    return graph.copy()
