"""Our results beside the papers' numbers.

- :mod:`stgkd.report.comparison`: run results matched to paper cells, comparison
  tables, the reproduction dashboard and its summary, provenance;
- :mod:`stgkd.report.verdicts`: the paired comparison (per-seed differences, a paired-t
  interval, the verdict words) and :mod:`stgkd.report.claims`: every claim of both papers
  and its verdict;
- :mod:`stgkd.report.table1`: Table 1 (model size and cost);
- :mod:`stgkd.report.kd`: Tables 3 and 6, the central claim, Figure 3 and the t-SNE plot;
- :mod:`stgkd.report.pruning`: the pruning runs, Table 9, the pruning claims and figures;
- :mod:`stgkd.report.dmst`: the DMST-GNODE comparison, its claim and Figures 13-16;
- :mod:`stgkd.report.display`: number formatting and the views shown in the book;
- :mod:`stgkd.report.reproduce`: the Reproduce note under each table and figure (the
  ``stgkd run`` commands and the ``results/`` files), generated from the registry;
- :mod:`stgkd.report.code_links`: links from the book to the line defining a function
  (the ``{code-link}`` role of the book's Sphinx build);
- :mod:`stgkd.report.dmst_notes`: the DMST budget and the Fig. 14 floor sentence.

The summaries of the data chapter are in :mod:`stgkd.data.overview`.
"""
from __future__ import annotations

from stgkd.report.claims import (CLAIMS, Claim, claim_cells, claim_verdicts, overall_verdict,
                                 rule_comparison, verdicts_by_rule)
from stgkd.report.comparison import (CELL_KEYS, DASHBOARD_KD_TABLES, METRIC_NAMES, NO_DATA,
                                     NOT_YET_RUN, OURS_COLUMNS, PROFILE_LABELS,
                                     PROFILE_PREFERENCE, SeedPairing, attach_ours,
                                     comparison_table, dashboard, dashboard_summary,
                                     ours_without_paper_cell, own_best_means,
                                     pair_on_common_seeds, parse_horizon, profile_rank,
                                     provenance_table, result_cells, seed_list,
                                     seed_statistics)
from stgkd.report.dmst import (CLAIM_RIVALS, DMST_DATASETS, TRACE_MODELS, dmst_claim,
                               dmst_table, dmst_view, graph_matrices, load_dmst_model,
                               model_overview, network_snapshot, paper_figures,
                               prediction_traces, station_layout)
from stgkd.report.dmst import training_curves as dmst_training_curves
from stgkd.report.verdicts import paired_difference, paired_verdicts, verdict_counts
from stgkd.report.display import display_frame, format_number, horizon_view
from stgkd.report.kd import (CLAIM_HORIZONS, CLAIM_METRICS, ERROR_METRICS, TABLE6_COLUMN,
                             TABLE6_SETTINGS, best_profile_results, claim_check,
                             hyperparameter_table, hyperparameter_view, kd_experiments,
                             load_run_model, loss_scale_table, most_variable_node,
                             neighbour_overlap, output_layer_inputs, pick_runs,
                             RunWindows, prediction_trace, run_checkpoint,
                             teacher_share_table, teacher_shares, training_curves,
                             tsne_embedding, window_clock, within_tolerance)
from stgkd.report.pruning import (FIGURE4_PANELS, PRUNING_LEVELS, SIZE_KINDS, TABLE9_LEVELS,
                                  channel_string, experiment_kind, figure4_experiments,
                                  figure4_traces, finetune_ablation, pruning_claim,
                                  pruning_experiments, pruning_history_frame, pruning_runs, size_and_error,
                                  table9_as_run, table9_view)
from stgkd.report.table1 import (BENCHMARK, BENCHMARK_MODELS, BENCHMARK_ROLLOUT, COMPUTED,
                                 NOT_YET_MEASURED, TABLE1_BLOCKS, TABLE1_NODES,
                                 architecture_costs, benchmark_dataset, benchmark_times,
                                 load_benchmark, relative_to_teacher, ring_graph,
                                 table1_comparison, table1_ours, table1_overview)

__all__ = [
    "CLAIMS", "Claim", "claim_cells", "claim_verdicts", "overall_verdict", "rule_comparison",
    "verdicts_by_rule", "paired_difference", "paired_verdicts", "verdict_counts",
    "BENCHMARK", "BENCHMARK_MODELS", "BENCHMARK_ROLLOUT", "CELL_KEYS", "CLAIM_HORIZONS",
    "CLAIM_METRICS", "COMPUTED", "DASHBOARD_KD_TABLES", "ERROR_METRICS", "METRIC_NAMES",
    "NOT_YET_MEASURED", "NOT_YET_RUN", "NO_DATA", "OURS_COLUMNS", "PROFILE_LABELS",
    "PROFILE_PREFERENCE", "TABLE1_BLOCKS", "TABLE1_NODES", "TABLE6_COLUMN", "TABLE6_SETTINGS",
    "best_profile_results", "claim_check", "hyperparameter_table", "hyperparameter_view",
    "kd_experiments", "load_run_model", "loss_scale_table", "most_variable_node",
    "neighbour_overlap",
    "output_layer_inputs", "pick_runs", "prediction_trace", "run_checkpoint", "RunWindows",
    "teacher_share_table", "teacher_shares", "training_curves", "tsne_embedding",
    "within_tolerance",
    "CLAIM_RIVALS", "DMST_DATASETS", "TRACE_MODELS", "dmst_claim", "dmst_table", "dmst_view",
    "dmst_training_curves", "graph_matrices", "load_dmst_model", "model_overview",
    "network_snapshot", "paper_figures", "prediction_traces", "station_layout",
    "architecture_costs", "attach_ours", "benchmark_dataset", "benchmark_times",
    "comparison_table", "dashboard", "dashboard_summary", "display_frame", "format_number",
    "horizon_view", "load_benchmark", "ours_without_paper_cell", "own_best_means",
    "pair_on_common_seeds", "parse_horizon", "profile_rank", "provenance_table",
    "relative_to_teacher", "result_cells", "ring_graph", "SeedPairing", "seed_list",
    "seed_statistics", "table1_comparison", "table1_ours", "table1_overview",
    "FIGURE4_PANELS", "PRUNING_LEVELS", "SIZE_KINDS", "TABLE9_LEVELS", "channel_string",
    "experiment_kind", "figure4_experiments", "figure4_traces",
    "finetune_ablation", "pruning_claim", "pruning_experiments", "pruning_history_frame",
    "pruning_runs",
    "size_and_error", "table9_as_run", "table9_view",
]
