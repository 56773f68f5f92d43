"""Table 8 asked again: channels ranked over the whole network, the KD arm fine-tuned with
its distillation loss, and the pruned model's errors before any fine-tuning."""
import pytest
import torch

from stgkd.registry import EXPERIMENTS
from stgkd.runner import run_experiment
from stgkd.prune.algorithm import prune_step


def test_network_scope_removes_the_lowest_channels_of_all_layers():
    masks = {"a": torch.tensor([True, True, True, True]), "b": torch.tensor([True, True])}
    scores = {"a": torch.tensor([5.0, 6.0, 7.0, 8.0]), "b": torch.tensor([1.0, 2.0])}
    # six channels, half removed: the three lowest are b0 (1), b1 (2), a0 (5), but b keeps
    # one channel, so b0, a0 and a1 go
    new = prune_step(masks, scores, 0.5, scope="network")
    assert new["b"].tolist() == [False, True]
    assert new["a"].tolist() == [False, False, True, True]
    # per layer, each loses half: a0, a1 and b0
    per_layer = prune_step(masks, scores, 0.5)
    assert per_layer["a"].tolist() == [False, False, True, True]
    assert per_layer["b"].tolist() == [False, True]
    # the scopes differ when one layer holds all the low scores
    scores = {"a": torch.tensor([1.0, 2.0, 3.0, 4.0]), "b": torch.tensor([9.0, 8.0])}
    assert prune_step(masks, scores, 0.5, scope="network")["b"].tolist() == [True, True]
    assert prune_step(masks, scores, 0.5)["b"].tolist() == [True, False]
    with pytest.raises(ValueError, match="scope: expected one of"):
        prune_step(masks, scores, 0.5, scope="global")


def test_the_variants_differ_from_table_8_runs_in_one_setting_only():
    kdis = EXPERIMENTS["prune/losloop/kdis-lstcd-25"]
    ftkd = EXPERIMENTS["prune/losloop/kdis-lstcd-25-ftkd"]
    assert (kdis.loss, ftkd.loss) == ("supervised", "lstcd")
    assert ftkd.pruning == kdis.pruning and ftkd.hyper == kdis.hyper
    taylor = EXPERIMENTS["prune/pemsd7m/taylor-75"]
    wide = EXPERIMENTS["prune/pemsd7m/taylor-global-75"]
    assert (taylor.pruning.scope, wide.pruning.scope) == ("layer", "network")
    assert wide.pruning.fraction == taylor.pruning.fraction and wide.loss == taylor.loss


@pytest.fixture(scope="module")
def base_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    run_experiment("prune/losloop/base", "smoke", 0, results_dir=root, progress=False)
    return root


def test_a_pruned_run_stores_its_errors_right_after_pruning(base_root):
    # (the -ftkd variant's path, pruning and fine-tuning with one distillation loss, is
    # the Table 7 run's, which test_prune_experiments runs)
    result = run_experiment("prune/losloop/taylor-global-50", "smoke", 0, results_dir=base_root,
                            progress=False)
    after = result["pruning"]["after_pruning"]
    assert set(after) == {"val", "test"} and set(after["test"]) == {"15min", "30min", "45min"}
    assert result["pruning"]["level"] >= 0.5 and result["pruning"]["scope"] == "network"
    # one fine-tuning epoch (smoke) moves the test error away from the pruned model's
    assert result["history"][0]["test"] != after["test"]
