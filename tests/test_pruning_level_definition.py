"""The one definition of Table 8's pruning level shown in the book agrees with the code."""
from stgkd.complexity import count_parameters
from stgkd.nn.stgcn import PRUNING_BASE_BLOCKS, STGCN
from stgkd.prune import full_masks, level_schedule, prunable_parameter_count, pruning_level
from stgkd.report.display import PRUNING_LEVEL_DEFINITION


def test_definition_is_what_pruning_level_computes():
    model = STGCN(20, PRUNING_BASE_BLOCKS, n_his=12)
    assert "share of the prunable parameters removed" in PRUNING_LEVEL_DEFINITION
    # "every parameter but the output layer's per-node bias": one bias per node
    assert "output layer's per-node bias" in PRUNING_LEVEL_DEFINITION
    assert prunable_parameter_count(model) == count_parameters(model) - 20
    assert pruning_level(model, full_masks(model)) == 0.0
    # "not the share of channels removed": a step of 25% of each layer's channels
    # removes another share of the parameters (a weight joins two channels' layers)
    assert "not the share of channels removed" in PRUNING_LEVEL_DEFINITION
    (level,) = level_schedule(model, 0.25, 1)
    assert abs(level - 0.25) > 0.05
