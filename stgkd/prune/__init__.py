"""Channel pruning of STGCN (KD paper section 3.3, eqs. 12-14, Algorithm 1).

* :mod:`~stgkd.prune.layout` - the prunable layers and how each parameter shrinks;
* :mod:`~stgkd.prune.masks` - channel masks M and the masked model (:class:`MaskedSTGCN`);
* :mod:`~stgkd.prune.importance` - first-order Taylor channel scores (eqs. 13-14). KDIS
  is the same score taken from the distillation loss's gradients: backpropagate LSTCD
  instead of the MSE before :meth:`TaylorImportance.accumulate`;
* :mod:`~stgkd.prune.algorithm` - a pruning step, size counting and :func:`algorithm1`;
* :mod:`~stgkd.prune.compact` - the masked model as a smaller dense STGCN;
* :mod:`~stgkd.prune.inert` - channels (dead ReLUs) that no longer carry the input, and
  the layer where a narrow pruned model's input is cut off from its forecast.

Typical use::

    result = algorithm1(base, data, lstcd_loss, interval=2 * batches_per_epoch,
                        fraction=0.1, target_level=0.5, finetune_batches=...)
    result.model        # compacted STGCN; save result.model.config and its state_dict

Pruning a large model far down (the teacher to 3%), pass ``compact_each_step=True``: the
model is then compacted after every pruning step instead of trained at full size under
masks, the same computation up to float rounding at a fraction of the cost
(``benchmarks/prune_step.py``).
"""
from stgkd.prune.algorithm import (PruneResult, algorithm1, compacted_parameter_count,
                                   level_schedule, minibatches, prunable_parameter_count,
                                   prune_step, pruning_level, removal_count, step_share)
from stgkd.prune.compact import compact, compacted_config
from stgkd.prune.importance import TaylorImportance, channel_groups, group_scores
from stgkd.prune.inert import first_cut_layer, inert_channels, inert_summary
from stgkd.prune.layout import Layer, ParamSlice, parameter_slices, prunable_layers
from stgkd.prune.masks import (MaskedSTGCN, Masks, check_masks, full_masks, kept_counts,
                               kept_indices, masked_layer_norm)

__all__ = ["Layer", "MaskedSTGCN", "Masks", "ParamSlice", "PruneResult", "TaylorImportance",
           "algorithm1", "channel_groups", "check_masks", "compact", "compacted_config",
           "compacted_parameter_count", "full_masks", "group_scores", "kept_counts",
           "kept_indices", "level_schedule", "masked_layer_norm", "minibatches",
           "parameter_slices", "prunable_layers", "prunable_parameter_count", "prune_step",
           "pruning_level", "removal_count", "step_share"]
