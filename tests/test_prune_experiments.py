"""Pruning experiments end to end on real data (smoke profile): Table 9's settings,
the start checkpoint, the level reached, and a stored model that is the compacted one."""
import json
import math
from dataclasses import replace

import pytest

from stgkd.cli import main
from stgkd.complexity import count_parameters
from stgkd.registry import EXPERIMENTS, PROFILES, PRUNING_FRACTIONS, Experiment
from stgkd.runner import run_experiment
from stgkd.runs import load_stgcn
from stgkd.nn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, STGCN
from stgkd.prune import step_share


@pytest.fixture(scope="module")
def base_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    for name in ("prune/losloop/base", "kd/losloop/teacher"):
        run_experiment(name, "smoke", 0, results_dir=root, progress=False)
    return root


def test_pruning_experiments_carry_table_9_settings():
    kdis = EXPERIMENTS["prune/pemsd7m/kdis-lstcd-25"]
    # Table 9, PeMSD7, 25%: batch 50, alpha1 0.971, alpha2 0.234, alpha3 0.684
    assert kdis.hyper == dict(alpha1=0.971, alpha2=0.234, alpha3=0.684) and kdis.batch_size == 50
    assert kdis.pruning.prune_loss == "lstcd" and kdis.loss == "supervised"
    assert kdis.pruning.start_from == "prune/pemsd7m/base" and kdis.pruning.target_level == 0.25
    assert kdis.paper_row == "Pruned W LSTCD(ours)" and kdis.paper_setting == "pruned 25%"
    taylor = EXPERIMENTS["prune/pems08/taylor-75"]
    assert taylor.pruning.prune_loss == "supervised" and taylor.teacher is None
    assert taylor.pruning.interval_epochs == 2.0          # "pruning every two cycles"
    table7 = EXPERIMENTS["prune/pemsd7m/teacher-kdis-lstcd"]
    # Table 9, PeMSD7, 97%: batch 25, alpha1 0.099, alpha2 0.091, alpha3 0.531
    assert table7.batch_size == 25 and table7.loss == "lstcd"
    assert table7.hyper == dict(alpha1=0.099, alpha2=0.091, alpha3=0.531)
    assert table7.pruning.start_from == "kd/pemsd7m/teacher"
    assert [list(b) for b in table7.pruning.target_blocks] == STUDENT_BLOCKS
    assert EXPERIMENTS["prune/losloop/base"].blocks == PRUNING_BASE_BLOCKS
    # only Table 7's teacher trains compacted copies; Table 8's pairs stay masked
    assert table7.pruning.compact_each_step
    assert not any(e.pruning.compact_each_step for e in EXPERIMENTS.values()
                   if isinstance(e, Experiment) and e.pruning is not None
                   and not e.name.endswith("teacher-kdis-lstcd"))


def test_pruning_without_its_base_is_a_clear_error(tmp_path, capsys):
    code = main(["--results-dir", str(tmp_path), "run", "prune/losloop/taylor-25",
                 "--profile", "smoke", "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "prune/losloop/base" in err and "stgkd run prune/losloop/base --profile smoke" in err


@pytest.mark.parametrize("name, level", [("prune/losloop/taylor-50", 0.5),
                                         ("prune/losloop/kdis-lstcd-75", 0.75)])
def test_pruned_run_stores_the_compacted_model(base_root, name, level):
    result = run_experiment(name, "smoke", 0, results_dir=base_root, progress=False)
    stored = json.loads((base_root / "smoke" / name / "seed0.json").read_text())
    assert stored == result
    pruning = result["pruning"]
    base_parameters = count_parameters(STGCN(207, PRUNING_BASE_BLOCKS))
    assert pruning["start_from"]["experiment"] == "prune/losloop/base"
    assert pruning["start_from"]["parameters"] == base_parameters
    # the level was reached by the last step and not before
    levels = [h["level"] for h in pruning["history"]]
    assert levels[-1] >= level and all(v < level for v in levels[:-1])
    # pruning every two epochs: 2 x ceil(train windows / batch) minibatches apart
    assert pruning["interval_minibatches"] == 2 * math.ceil(result["windows"]["train"] / 50)
    assert [h["minibatches"] for h in pruning["history"]] == [
        pruning["interval_minibatches"] * (i + 1) for i in range(len(levels))]
    # the checkpoint is the physically smaller model with the counted parameters
    model = load_stgcn(base_root / "smoke" / name / "seed0.pt")
    assert count_parameters(model) == result["parameters"] == pruning["parameters"] < base_parameters
    assert model.config == pruning["model_config"]
    assert result["blocks"] == model.config["blocks"]
    assert not (base_root / "smoke" / name / "seed0.prune.pt").exists()
    assert pruning["compact_each_step"] is False
    if pruning["prune_loss"] == "lstcd":
        assert result["teacher"]["experiment"] == "kd/losloop/teacher"
        assert 0 < pruning["teacher_share"] <= 1


def test_table7_run_compacts_each_step_down_to_the_student_size(base_root, monkeypatch):
    name = "prune/losloop/teacher-kdis-lstcd"
    # a larger share per step than the experiment's: fewer teacher-size intervals to train
    table7 = EXPERIMENTS[name]
    monkeypatch.setitem(EXPERIMENTS, name, replace(table7, pruning=replace(table7.pruning,
                                                                           fraction=0.6)))
    result = run_experiment(name, "smoke", 0, results_dir=base_root, progress=False)
    pruning = result["pruning"]
    student = count_parameters(STGCN(207, STUDENT_BLOCKS))
    assert pruning["compact_each_step"] is True
    assert pruning["target_parameters"] == student
    sizes = [h["parameters"] for h in pruning["history"]]
    assert sizes[-1] <= student < sizes[-2] and sizes == sorted(sizes, reverse=True)
    model = load_stgcn(base_root / "smoke" / name / "seed0.pt")
    assert count_parameters(model) == result["parameters"] == sizes[-1]
    assert model.config == pruning["model_config"]


@pytest.mark.parametrize("dataset, n_nodes", [("pemsd7m", 228), ("losloop", 207), ("pems08", 170)])
def test_pruning_shares_are_those_the_architecture_gives(dataset, n_nodes):
    """The per-step shares in the experiments are step_share's for the pruning base on
    the data set's node count (computed before training, not tuned on results)."""
    base = STGCN(n_nodes, PRUNING_BASE_BLOCKS)
    for level, share in PRUNING_FRACTIONS[dataset].items():
        assert share == step_share(base, level / 100)
        for method in ("taylor", "kdis-lstcd"):
            assert EXPERIMENTS[f"prune/{dataset}/{method}-{level}"].pruning.fraction == share


def test_short_finetune_variants_differ_from_table_8_runs_only_in_fine_tuning():
    from dataclasses import fields
    for parent in ("prune/pemsd7m/taylor-25", "prune/losloop/kdis-lstcd-75"):
        variant = EXPERIMENTS[parent + "-ft1"]
        assert variant.pruning.finetune_epochs == 1
        assert EXPERIMENTS[parent].pruning.finetune_epochs is None
        same = {f.name for f in fields(variant)} - {"name", "description", "paper_row", "pruning"}
        assert all(getattr(variant, f) == getattr(EXPERIMENTS[parent], f) for f in same)
        assert variant.pruning == replace(EXPERIMENTS[parent].pruning, finetune_epochs=1)
        # not a paper row, so it fills no cell of Table 8
        assert variant.paper_row.endswith("(not in the paper)")
    assert "prune/pemsd7m/teacher-kdis-lstcd-ft1" not in EXPERIMENTS
    assert "prune/pemsd7m/base-ft1" not in EXPERIMENTS


def test_finetune_epochs_caps_the_profile_epochs():
    plan = EXPERIMENTS["prune/losloop/taylor-25-ft1"].pruning
    assert (plan.epochs(50), plan.epochs(1)) == (1, 1)
    assert EXPERIMENTS["prune/losloop/taylor-25"].pruning.epochs(50) == 50
    with pytest.raises(ValueError, match="finetune_epochs: expected None or at least 1"):
        replace(plan, finetune_epochs=0)


def test_short_finetune_run_trains_one_epoch_after_pruning(base_root, monkeypatch):
    # a two-epoch profile on the smoke data: the parent would fine-tune for two epochs
    smoke = PROFILES["smoke"]
    monkeypatch.setitem(PROFILES, "smoke", replace(smoke, epochs=2))
    result = run_experiment("prune/losloop/taylor-25-ft1", "smoke", 0, results_dir=base_root,
                            progress=False)
    assert result["train_config"]["epochs"] == 1 and len(result["history"]) == 1
    assert result["pruning"]["level"] >= 0.25
    assert result["paper_row"] == "Pruned W/O KD, one fine-tuning epoch (not in the paper)"


def test_kdis_run_resumed_after_its_last_pruning_step_skips_the_teacher_cache(
        base_root, tmp_path, monkeypatch):
    import shutil

    import stgkd.runner as runner
    from stgkd.distill import TeacherCache
    root = tmp_path / "results"
    shutil.copytree(base_root, root)                      # the base and the teacher
    name = "prune/losloop/kdis-lstcd-25"

    def interrupted(*args, **kwargs):                     # stopped as fine-tuning starts
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "fit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(name, "smoke", 0, results_dir=root, progress=False)
    assert (root / "smoke" / name / "seed0.prune.pt").is_file()
    monkeypatch.undo()
    builds = []
    real_build = TeacherCache.build
    monkeypatch.setattr(TeacherCache, "build", classmethod(
        lambda cls, *args, **kwargs: builds.append(1) or real_build(*args, **kwargs)))
    result = run_experiment(name, "smoke", 0, results_dir=root, progress=False)
    assert builds == []                                   # pruning was done: no cache needed
    assert result["teacher"]["cache"]["bytes"] is None
    assert result["pruning"]["level"] >= 0.25
    assert not (root / "smoke" / name / "seed0.prune.pt").exists()
