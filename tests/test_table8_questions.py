"""Table 8 asked again: channels ranked over the whole network, the KD arm fine-tuned with
its distillation loss, and the pruned model's errors before any fine-tuning."""
import pytest
import torch

from stgkd.registry import EXPERIMENTS
from stgkd.runner import run_experiment
from stgkd.runs import load_result
from stgkd.prune.algorithm import prune_step

LAYER_NAMES = [f"blocks.{i}.{layer}" for i in (0, 1)
               for layer in ("temporal_in", "spatial", "temporal_out")] + ["output.temporal",
                                                                          "output.gate"]


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
    # where the input is cut off from the forecast, right after pruning and at the end
    for inert in (result["pruning"]["inert_after_pruning"], result["inert"]):
        assert set(inert) == {"cut_at", "dead"}
        assert inert["cut_at"] is None or inert["cut_at"] in LAYER_NAMES + ["forecast"]
    # and the stored result reads back with it
    stored = load_result("smoke", "prune/losloop/taylor-global-50", 0, base_root)
    assert stored["inert"] == result["inert"]


def test_the_correlation_variant_weighs_the_best_share_of_the_dose_response():
    from pathlib import Path

    from stgkd.registry import TABLE8_CORRELATION_SHARE
    from stgkd.report import promising_shares
    from stgkd.runs import load_results

    kdis = EXPERIMENTS["prune/pemsd7m/kdis-lstcd-75"]
    corr = EXPERIMENTS["prune/pemsd7m/kdis-lstcd-75-corr1e-1"]
    assert corr.pruning == kdis.pruning and corr.loss == kdis.loss == "supervised"
    assert corr.hyper == {**kdis.hyper, "correlation_share": TABLE8_CORRELATION_SHARE}
    # the share is the one Los-loop's stored sweep ranks first on validation MAE
    stored = load_results(Path(__file__).resolve().parents[1] / "results", "full")
    ranked = promising_shares(stored, "losloop")
    assert ranked.loc[ranked["rank"] == 1, "target_share"].item() == TABLE8_CORRELATION_SHARE


def test_the_correlation_variant_calibrates_its_pruning_loss_on_the_start_model(base_root):
    from stgkd.runner import START_MODEL_CALIBRATION
    run_experiment("kd/losloop/teacher", "smoke", 0, results_dir=base_root, progress=False)
    result = run_experiment("prune/losloop/kdis-lstcd-25-corr1e-1", "smoke", 0,
                            results_dir=base_root, progress=False)
    pruning = result["pruning"]
    reading = pruning["reading"]
    assert reading["correlation_target_share"] == 0.1
    assert reading["correlation_scale_from"] == START_MODEL_CALIBRATION
    assert reading["alpha1_from"] == "Table 9" and reading["alpha1"] == 0.971
    # at Table 9's weights the terms are about 1e-5 of the loss, so k is in the thousands;
    # over the pruning steps they stay near the calibrated tenth
    assert reading["correlation_scale"] > 100
    assert 0.03 < pruning["correlation_share"] < 0.3
    assert set(pruning["loss_terms"]) >= {"lord", "lscd", "ltcd"}


def test_a_full_runs_first_epoch_is_the_one_epoch_run(base_root, tmp_path, monkeypatch):
    """The reading behind "after one epoch" from a full run's history
    (stgkd.report.table8_again.moment_maes): the same seed gives a two-epoch run whose
    first epoch is the one-epoch (-ft1) run."""
    import shutil
    from dataclasses import replace

    from stgkd.profiles import PROFILES
    root = tmp_path / "results"
    shutil.copytree(base_root, root)
    monkeypatch.setitem(PROFILES, "smoke", replace(PROFILES["smoke"], epochs=2))
    full = run_experiment("prune/losloop/taylor-25", "smoke", 0, results_dir=root,
                          progress=False)
    one = run_experiment("prune/losloop/taylor-25-ft1", "smoke", 0, results_dir=root,
                         progress=False)
    assert len(full["history"]) == 2 and len(one["history"]) == 1
    assert full["pruning"]["channels"] == one["pruning"]["channels"]
    for horizon, values in one["test"].items():
        for metric, value in values.items():
            assert full["history"][0]["test"][horizon][metric] == pytest.approx(value, rel=1e-6)
    # and the second epoch moved on
    assert full["history"][1]["test"] != full["history"][0]["test"]

