"""Our results beside the papers' numbers.

- :mod:`stgkd.report.comparison`: run results matched to paper cells, comparison
  tables, the reproduction dashboard and its summary, provenance;
- :mod:`stgkd.report.verdicts`: the paired comparison (per-seed differences, a paired-t
  interval, the verdict words) and :mod:`stgkd.report.claims`: every claim of both papers
  and its verdict; :mod:`stgkd.report.multiplicity`: which verdicts survive Holm's
  correction for the many cells read at once;
- :mod:`stgkd.report.table1`: Table 1 (model size and cost);
- :mod:`stgkd.report.kd`: Tables 3 and 6, the central claim, Figure 3 and the t-SNE plot;
- :mod:`stgkd.report.pruning`: the pruning runs, Table 9, the pruning claims and figures;
- :mod:`stgkd.report.dmst`: the DMST-GNODE comparison, its claim and Figures 13-16;
- :mod:`stgkd.report.display`: number formatting and the views shown in the book;
- :mod:`stgkd.report.reproduce`: the Reproduce note under each table and figure (the
  ``stgkd run`` commands and the ``results/`` files), generated from the registry;
- :mod:`stgkd.report.code_links`: links from the book to the line defining a function
  (the ``{code-link}`` role of the book's Sphinx build);
- :mod:`stgkd.report.dmst_notes`: the DMST budget and the Fig. 14 floor sentence;
- :mod:`stgkd.report.settings`: Tables 6 and 9's settings as defined and as stored;
- :mod:`stgkd.report.efficiency`, :mod:`stgkd.report.graph_scaling`: the stored benchmark
  figures of the efficiency chapter.

This package exports what the book's notebooks use; the rest is imported from its module.
The summaries of the data chapter are in :mod:`stgkd.data.overview`.
"""
from __future__ import annotations

from types import ModuleType as _ModuleType

from stgkd.report.claims import (claim_cells, claim_verdicts, claim_view, CLAIMS, dmst_claims,
                                 interval_text, rule_comparison, scaling_claims,
                                 verdict_markdown, verdicts_by_rule)
from stgkd.report.comparison import (comparison_table, coverage_line, dashboard, dashboard_summary,
                                     NOT_YET_RUN, ours_without_paper_cell, provenance_table,
                                     trace_mae)
from stgkd.report.convergence import (convergence_verdicts, teacher_share_intervals)
from stgkd.report.display import (display_frame, profile_label, profile_table_markdown,
                                  PRUNING_LEVEL_DEFINITION, reader_frame, show, show_comparison,
                                  show_uncut)
from stgkd.report.dmst import (CLAIM_RIVALS, dmst_claim, DMST_DATASETS, dmst_experiment,
                               dmst_readings_table, dmst_table, dmst_view, graph_matrices,
                               graph_summary, model_overview, network_snapshot, paper_figures,
                               pick_trace_nodes, prediction_traces, TRACE_MODELS,
                               variant_parameters)
from stgkd.report.dmst import training_curves as dmst_training_curves
from stgkd.report.dmst_learned import (gradients_view, learned_parts_note, learned_parts_view,
                                       measure_runs)
from stgkd.report.dmst_notes import (accuracy_rmse_consistency, dmst_budget, floor_forecasts)
from stgkd.report.dmst_scaling import (chosen_scaling, plain_readings, scaling_choice,
                                       scaling_choice_text, scaling_side_by_side)
from stgkd.report.multiplicity import (claim_family_verdicts, corrected_claims, corrected_view,
                                       correction_summary)
from stgkd.report.paired_gap import paired_gap, paired_gap_text
from stgkd.report.dose_response import (dose_experiments, dose_response_table, dose_summary,
                                        dose_verdict_view, dose_verdicts,
                                        plot_dose_response, promising_shares, reading_table,
                                        share_floors)
from stgkd.report.resolution import (claims_needed, resolution_cells, resolution_counts,
                                     resolution_summary, resolution_view)
from stgkd.report.readings_needed import readings_needed, readings_plan, readings_summary
from stgkd.report.seeds_needed import rows_needed, settle_plan
from stgkd.report.table3_alpha import table3_alpha_table, table3_alpha_verdicts
from stgkd.report.tried import tried_table
from stgkd.report.efficiency import (batch_ratio, compacted_training, distillation_steps,
                                     dmst_epoch_costs, dmst_sparse_products, forecast_latency,
                                     kd_tables_times,
                                     load_average_text, load_benchmarks, lstcd_step_phases,
                                     newest_per_machine, onnx_profile, pareto_frame,
                                     peer_comparison, per_machine, pruned_channels_kernel,
                                     pruning_steps, rollout_by_batch, rollout_speedups,
                                     same_architecture_spread, single_window_latency,
                                     show_step_profile, student_teacher_ratio,
                                     training_throughput, training_variants)
from stgkd.report.figures import (Captions, distinct_colors, legend_outside, ours)
from stgkd.report.graph_scaling import (load_scaling, power_law_fit, scaling_plot, scaling_table)
from stgkd.report.inert import inert_runs
from stgkd.report.kd import (claim_check, hyperparameter_table, hyperparameter_view, kd_experiments,
                             loss_scale_table, most_variable_node, neighbour_overlap,
                             output_layer_inputs, prediction_trace, RunWindows, teacher_share_table,
                             teacher_shares, training_curves, tsne_embedding, window_clock,
                             within_tolerance)
from stgkd.report.protocol import (published_protocol_runs, published_protocol_summary)
from stgkd.report.pruning import (figure4_experiments, figure4_traces, finetune_ablation,
                                  pruning_claim, pruning_experiments, pruning_history_frame,
                                  pruning_runs, size_and_error, SIZE_KINDS, table9_as_run,
                                  table9_view)
from stgkd.report.reproduce import (show_reproduce, table_experiments)
from stgkd.report.table1 import (load_benchmark, relative_to_teacher, table1_comparison,
                                 table1_overview)
from stgkd.report.table8_again import (arms_table, nearest_to_paper, question_verdicts)
from stgkd.report.verdicts import verdict_counts

# every name imported above, once (the submodules bound as attributes are left out)
__all__ = sorted(name for name, value in globals().items()
                 if not name.startswith("_") and name != "annotations"
                 and not isinstance(value, _ModuleType))
