"""Table 1 of the KD paper (model size and cost) beside ours: parameters and FLOPs
computed from the architectures, test times from the speed benchmark files
(``results/benchmarks/*.json``), and the Table 1 comparison and views.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stgkd.data.graph import ring_graph
from stgkd.reference import kd_table, paper_datasets
from stgkd.report.efficiency import load_benchmarks

NOT_YET_MEASURED = "not yet measured"
COMPUTED = "computed"        # Table 1 sizes and FLOPs, computed from the architecture
BENCHMARK = "benchmark"      # Table 1 test time, from results/benchmarks/*.json

# Table 1 row -> the hidden-block channels of that STGCN.
TABLE1_BLOCKS: dict[str, list[list[int]]] = {
    "Teacher": [[1, 32, 64], [64, 32, 128]],
    "Pruning Base Model": [[1, 8, 16], [16, 8, 32]],
    "Student": [[1, 2, 4], [4, 2, 8]],
}
# Paper data set -> number of stations of its graph.
TABLE1_NODES: dict[str, int] = {"PeMSD7": 228, "PeMSD8": 170}
# Benchmark file model keys -> Table 1 rows.
BENCHMARK_MODELS: dict[str, str] = {"teacher": "Teacher", "pruning_base": "Pruning Base Model",
                                    "student": "Student"}
BENCHMARK_ROLLOUT = "rollout_1140"   # the paper times a batch of 1140 windows


def architecture_costs(n_nodes: int, n_his: int = 12) -> pd.DataFrame:
    """Parameters and FLOPs per input window of the three Table 1 STGCNs on ``n_nodes`` stations.

    Returns:
        One row per :data:`TABLE1_BLOCKS` entry: ``model, blocks`` (as printed in
        the paper, e.g. "[1, 2, 4][4, 2, 8]"), ``parameters`` and ``flops_per_window``
        (one forward pass on one [1, 1, n_his, N] window, see
        :func:`stgkd.complexity.flops_per_window`).
    """
    from stgkd.complexity import count_parameters, flops_per_window
    from stgkd.nn.stgcn import STGCN

    rows = []
    for model_name, blocks in TABLE1_BLOCKS.items():
        model = STGCN(n_nodes, blocks, n_his=n_his, weights=ring_graph(n_nodes))
        rows.append({"model": model_name, "blocks": "".join(str(b) for b in blocks),
                     "parameters": count_parameters(model),
                     "flops_per_window": flops_per_window(model, n_his, n_nodes)})
    return pd.DataFrame(rows)


def _benchmark_preference(benchmark: dict) -> tuple[bool, str]:
    """Sort key of a benchmark: one timed on a GPU (as the paper's) first, then the newest."""
    device = str(benchmark.get("machine", {}).get("device", ""))
    on_gpu = any(word in device.lower() for word in ("nvidia", "cuda", "gpu", "tesla"))
    return on_gpu, str(benchmark.get("created", ""))


def load_benchmark(root: str | Path | None = None) -> tuple[dict, Path] | None:
    """The speed benchmark Table 1 uses and its path, or None when there is none.

    Among the stored speed benchmarks (:func:`stgkd.report.efficiency.load_benchmarks`:
    ``benchmarks/stgcn_speed.py``'s files, one per machine, without other benchmarks'
    files or an unfinished run's progress file) a GPU benchmark is preferred, as the paper
    timed a GPU; among equals, the newest by its ``created`` time, then the last by file
    name.
    """
    loaded = load_benchmarks("stgcn_speed", root)
    if not loaded:
        return None
    return max(loaded, key=lambda item: (_benchmark_preference(item[0]), item[1].name))


def benchmark_dataset(benchmark: dict) -> str:
    """Our name of the data set a benchmark was timed on (``settings.dataset`` or
    ``dataset``; PeMSD7(M), the benchmark script's data set, when neither is given)."""
    return benchmark.get("settings", {}).get("dataset") or benchmark.get("dataset") or "pemsd7m"


def benchmark_times(benchmark: dict | None) -> pd.DataFrame:
    """Mean time of the 1140-window rollout per Table 1 row, from a benchmark file.

    Returns columns ``dataset`` (paper name, from :func:`benchmark_dataset`),
    ``model``, ``test_time_s``; empty without a benchmark.
    """
    if not benchmark or BENCHMARK_ROLLOUT not in benchmark:
        return pd.DataFrame(columns=["dataset", "model", "test_time_s"])
    rollout = benchmark[BENCHMARK_ROLLOUT]
    rows = [{"dataset": paper, "model": row, "test_time_s": float(rollout[key]["mean_s"])}
            for paper in paper_datasets(benchmark_dataset(benchmark))
            if paper in TABLE1_NODES
            for key, row in BENCHMARK_MODELS.items() if key in rollout]
    return pd.DataFrame(rows, columns=["dataset", "model", "test_time_s"])


def table1_ours(benchmark: dict | None = None) -> pd.DataFrame:
    """Our Table 1 values in long form: ``dataset`` (paper name), ``model``, ``metric``
    ("parameters", "flops", "test_time_s"), ``ours`` and ``profile`` (:data:`COMPUTED`
    for sizes and FLOPs, :data:`BENCHMARK` for times, :data:`NOT_YET_MEASURED`)."""
    rows = []
    times = benchmark_times(benchmark).set_index(["dataset", "model"])["test_time_s"]
    for paper, n_nodes in TABLE1_NODES.items():
        costs = architecture_costs(n_nodes).set_index("model")
        for model_name in TABLE1_BLOCKS:
            rows.append((paper, model_name, "parameters",
                         float(costs.loc[model_name, "parameters"]), COMPUTED))
            rows.append((paper, model_name, "flops",
                         float(costs.loc[model_name, "flops_per_window"]), COMPUTED))
            measured = (paper, model_name) in times.index
            rows.append((paper, model_name, "test_time_s",
                         float(times.loc[(paper, model_name)]) if measured else np.nan,
                         BENCHMARK if measured else NOT_YET_MEASURED))
    return pd.DataFrame(rows, columns=["dataset", "model", "metric", "ours", "profile"])


def attach_table1(cells: pd.DataFrame, ours: pd.DataFrame) -> pd.DataFrame:
    """Table 1 paper cells with :data:`stgkd.report.comparison.OURS_COLUMNS` from
    :func:`table1_ours`."""
    out = cells.reset_index(drop=True).merge(ours, on=["dataset", "model", "metric"], how="left")
    out["ours_std"] = np.nan
    out["seeds"] = 0
    out["difference"] = out["ours"] - out["paper_value"]
    out["relative_difference_pct"] = 100.0 * out["difference"] / out["paper_value"]
    out["profile"] = out["profile"].fillna(NOT_YET_MEASURED)
    out["experiment"] = ""
    return out


def table1_comparison(benchmark: dict | None = None) -> pd.DataFrame:
    """Table 1 (parameters, FLOPs, test time) of the paper beside ours, one cell a row.

    Our FLOPs are per input window; the paper's FLOPS column counts "a single forward
    pass" without saying of what batch, so compare ratios between models rather than
    the numbers themselves. Our time is the benchmark's 1140-window rollout on its
    machine, not the paper's GTX 1080.
    """
    cells = kd_table(1).rename(columns={"value": "paper_value"})
    return attach_table1(cells, table1_ours(benchmark))


def table1_overview(comparison: pd.DataFrame) -> pd.DataFrame:
    """Table 1 in the paper's layout: one row per (data set, model) with paper and ours
    side by side, from :func:`table1_comparison`."""
    wide = comparison.pivot_table(index=["dataset", "model"], columns="metric",
                                  values=["paper_value", "ours"], sort=False, dropna=False)
    order = [(d, m) for d in TABLE1_NODES for m in TABLE1_BLOCKS]
    wide = wide.reindex(order)
    frame = pd.DataFrame({
        "hidden blocks": [("".join(str(b) for b in TABLE1_BLOCKS[m])) for _, m in order],
        "parameters (paper)": wide[("paper_value", "parameters")].to_numpy(),
        "parameters (ours)": wide[("ours", "parameters")].to_numpy(),
        "FLOPs (paper)": wide[("paper_value", "flops")].to_numpy(),
        "FLOPs per window (ours)": wide[("ours", "flops")].to_numpy(),
        "test time s (paper)": wide[("paper_value", "test_time_s")].to_numpy(),
        "test time s (ours)": wide[("ours", "test_time_s")].to_numpy(),
    }, index=pd.MultiIndex.from_tuples(order, names=["dataset", "model"]))
    return frame


def relative_to_teacher(comparison: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Each Table 1 model's ``metric`` as a share (%) of the teacher's on the same data
    set, for the paper and for us: columns ``dataset, model, paper_pct, ours_pct``."""
    rows = comparison[comparison["metric"] == metric].set_index(["dataset", "model"])
    out = []
    for (paper, model_name), row in rows.iterrows():
        teacher = rows.loc[(paper, "Teacher")]
        out.append({"dataset": paper, "model": model_name,
                    "paper_pct": 100.0 * row["paper_value"] / teacher["paper_value"],
                    "ours_pct": 100.0 * row["ours"] / teacher["ours"]})
    return pd.DataFrame(out, columns=["dataset", "model", "paper_pct", "ours_pct"])
