"""Cost against graph size (``benchmarks/graph_scaling.py``): the table of seconds and
peak memory per training step and station count, the fitted power law
``seconds = a * N^b`` (a straight line on log-log axes) and its plot.

The stored file's ``rows`` hold one measurement each: ``nodes``, ``step`` (teacher,
student, lstcd), ``seconds_per_step``, ``peak_memory_mb``, ``memory_before_step_mb``
(a row with ``error`` instead was not measured).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from stgkd.report.efficiency import load_benchmarks


def load_scaling(path: str | Path | None = None, root: str | Path | None = None) -> dict | None:
    """The graph-scaling benchmark at ``path``, or the newest stored one (None if none)."""
    if path is not None:
        return json.loads(Path(path).read_text())
    loaded = load_benchmarks("graph_scaling", root)
    return loaded[0][0] if loaded else None


def scaling_table(benchmark: dict) -> pd.DataFrame:
    """One row per station count, per step: seconds per step and peak memory (MB);
    columns ``nodes``, ``<step> s``, ``<step> MB``; a missing measurement is NaN."""
    rows = [r for r in benchmark["rows"] if "error" not in r]
    if not rows:
        return pd.DataFrame(columns=["nodes"])
    frame = pd.DataFrame(rows)
    seconds = frame.pivot_table(index="nodes", columns="step", values="seconds_per_step")
    memory = frame.pivot_table(index="nodes", columns="step", values="peak_memory_mb")
    steps = [s for s in ("teacher", "student", "lstcd") if s in seconds.columns]
    table = pd.concat([seconds[steps].add_suffix(" s"), memory[steps].add_suffix(" MB")], axis=1)
    return table[[f"{s} {u}" for s in steps for u in ("s", "MB")]].reset_index()


def power_law_fit(benchmark: dict, value: str = "seconds_per_step",
                  min_nodes: int = 0) -> pd.DataFrame:
    """Least-squares line through (log N, log value) per step, over the sizes of at
    least ``min_nodes`` stations: ``exponent`` b and ``coefficient`` a of value = a N^b,
    and the sizes it used. (Small graphs sit above the line where fixed per-step costs
    dominate, hence ``min_nodes``.)"""
    rows = [r for r in benchmark["rows"] if "error" not in r and r["nodes"] >= min_nodes]
    fits = []
    for step in ("teacher", "student", "lstcd"):
        points = sorted((r["nodes"], r[value]) for r in rows if r["step"] == step)
        if len(points) < 2:
            continue
        n, y = np.log([p[0] for p in points]), np.log([p[1] for p in points])
        slope, intercept = np.polyfit(n, y, 1)
        fits.append({"step": step, "exponent": float(slope), "coefficient": float(np.exp(intercept)),
                     "sizes": [p[0] for p in points]})
    return pd.DataFrame(fits, columns=["step", "exponent", "coefficient", "sizes"])


def scaling_plot(benchmark: dict, min_nodes: int = 0, ax=None):
    """Seconds per step against stations on log-log axes, one marker series per step
    with its fitted line and exponent in the legend. Returns the axes."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    fits = power_law_fit(benchmark, min_nodes=min_nodes).set_index("step")
    for step, marker in (("teacher", "o"), ("student", "s"), ("lstcd", "^")):
        points = sorted((r["nodes"], r["seconds_per_step"]) for r in benchmark["rows"]
                        if "error" not in r and r["step"] == step)
        if not points:
            continue
        n, y = zip(*points)
        label = step
        if step in fits.index:
            a, b = fits.loc[step, "coefficient"], fits.loc[step, "exponent"]
            grid = np.geomspace(min(fits.loc[step, "sizes"]), max(n), 50)
            line, = ax.plot(grid, a * grid ** b, lw=1, alpha=0.6)
            label = f"{step} (N^{b:.2f})"
            ax.plot(n, y, marker, color=line.get_color(), label=label)
        else:
            ax.plot(n, y, marker, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("stations N")
    ax.set_ylabel("seconds per training step")
    ax.legend()
    return ax
