"""Stored runs: the typed result of a run, where runs are stored, which runs a table
shows, and the one reader of a trained model's checkpoint.

- :mod:`stgkd.runs.result`: :class:`RunResult`, every field of a stored result JSON,
  checked on read;
- :mod:`stgkd.runs.store`: ``results/<profile>/<experiment>/seed<S>.json`` paths,
  reading and listing results;
- :mod:`stgkd.runs.ranking`: the profile ranking (full, quick, smoke) and run picking;
- :mod:`stgkd.runs.checkpoints`: reading a checkpoint (``weights_only``) and rebuilding
  the STGCN, pruned or DMST model of a run.
"""
from stgkd.runs.checkpoints import (dataset_series, load_run_model, load_stgcn, read_checkpoint,
                                    run_checkpoint, stgcn_from_state, training_graphs)
from stgkd.runs.ranking import (PROFILE_PREFERENCE, best_profile_results, check_profile,
                                pick_runs, profile_rank)
from stgkd.runs.result import REQUIRED_FIELDS, RunResult, result_problems
from stgkd.runs.store import (load_result, load_results, read_result, result_path,
                              results_root, run_dir, stored_or_resume_path)

__all__ = ["PROFILE_PREFERENCE", "REQUIRED_FIELDS", "RunResult", "best_profile_results",
           "check_profile", "dataset_series", "load_result", "load_results", "load_run_model",
           "load_stgcn", "pick_runs", "profile_rank", "read_checkpoint", "read_result",
           "result_path", "result_problems", "results_root", "run_checkpoint", "run_dir",
           "stgcn_from_state", "stored_or_resume_path", "training_graphs"]
