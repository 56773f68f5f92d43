"""DMST-GNODE and its baselines as runnable experiments: Box-Cox-scaled multi-step
windows, the model registry, the training run and its 20/40/60-minute evaluation.

* :mod:`~stgkd.dmst.data` - windows of 12 steps in and 12 out, Box-Cox fitted on the
  training days, the distance and pattern graphs;
* :mod:`~stgkd.dmst.models` - every model of the paper's comparison by its name;
* :mod:`~stgkd.dmst.run` - train (or fit) one model, evaluate it, store the result;
* :mod:`~stgkd.dmst.scaling` - the readings of the target scaling (Box-Cox with one λ, a λ
  per station, z-score, the loss in mph), each a named option recorded in the result;
* :mod:`~stgkd.dmst.variants` - the registered variants: each scaling, DMST-GNODE's ST
  modules and its ablations;
* :mod:`~stgkd.dmst.graph_cache` - the DTW pattern graph, computed once per training set.
"""
from stgkd.dmst.data import HORIZON_STEPS, MultiStepData, build_graphs, make_multistep_windows
from stgkd.dmst.models import CLASSICAL_MODELS, MODEL_DESCRIPTIONS, MODELS, NEURAL_MODELS, build_model
from stgkd.dmst.run import evaluate_multistep, run_dmst

__all__ = ["CLASSICAL_MODELS", "HORIZON_STEPS", "MODELS", "MODEL_DESCRIPTIONS",
           "MultiStepData", "NEURAL_MODELS", "build_graphs", "build_model", "evaluate_multistep",
           "make_multistep_windows", "run_dmst"]
