"""Our results beside the papers' numbers.

- :mod:`stgkd.report.comparison`: run results matched to paper cells, comparison
  tables, the reproduction dashboard and its summary, provenance;
- :mod:`stgkd.report.table1`: Table 1 (model size and cost);
- :mod:`stgkd.report.display`: number formatting and the views shown in the book.

The summaries of the data chapter are in :mod:`stgkd.data.overview`.
"""
from __future__ import annotations

from stgkd.report.comparison import (CELL_KEYS, DASHBOARD_KD_TABLES, METRIC_NAMES, NO_DATA,
                                     NOT_YET_RUN, OURS_COLUMNS, PROFILE_LABELS,
                                     PROFILE_PREFERENCE, attach_ours, comparison_table,
                                     dashboard, dashboard_summary, ours_without_paper_cell,
                                     parse_horizon, profile_rank, provenance_table,
                                     result_cells, seed_statistics)
from stgkd.report.display import display_frame, format_number, horizon_view
from stgkd.report.table1 import (BENCHMARK, BENCHMARK_MODELS, BENCHMARK_ROLLOUT, COMPUTED,
                                 NOT_YET_MEASURED, TABLE1_BLOCKS, TABLE1_NODES,
                                 architecture_costs, benchmark_dataset, benchmark_times,
                                 load_benchmark, relative_to_teacher, ring_graph,
                                 table1_comparison, table1_ours, table1_overview)

__all__ = [
    "BENCHMARK", "BENCHMARK_MODELS", "BENCHMARK_ROLLOUT", "CELL_KEYS", "COMPUTED",
    "DASHBOARD_KD_TABLES", "METRIC_NAMES", "NOT_YET_MEASURED", "NOT_YET_RUN", "NO_DATA",
    "OURS_COLUMNS", "PROFILE_LABELS", "PROFILE_PREFERENCE", "TABLE1_BLOCKS", "TABLE1_NODES",
    "architecture_costs", "attach_ours", "benchmark_dataset", "benchmark_times",
    "comparison_table", "dashboard", "dashboard_summary", "display_frame", "format_number",
    "horizon_view", "load_benchmark", "ours_without_paper_cell", "parse_horizon",
    "profile_rank", "provenance_table", "relative_to_teacher", "result_cells", "ring_graph",
    "seed_statistics", "table1_comparison", "table1_ours", "table1_overview",
]
