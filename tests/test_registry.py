"""The experiment registry (rows and profiles) and the one result assembler of the runner."""
import hashlib
import re
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import pytest

from stgkd.data import DEFAULT_SPLITS
from stgkd.dmst.models import CLASSICAL_MODELS, MODELS, model_options
from stgkd.dmst.run import BATCH_SIZE
from stgkd.dmst.scaling import SCALINGS
from stgkd.registry import (EXPERIMENTS, PROFILES, DMSTBudget, DMSTExperiment, Experiment,
                            get_experiment, get_profile)
from stgkd.runner import data_parallel_refusal, run_result
from stgkd.runs import result_problems

REPO = Path(__file__).resolve().parents[1]
DMST_ROWS = {name: e for name, e in EXPERIMENTS.items() if name.startswith("dmst/")}


def test_every_row_is_an_stgcn_experiment_or_a_dmst_spec_by_its_name():
    assert DMST_ROWS and all(isinstance(e, DMSTExperiment) for e in DMST_ROWS.values())
    others = [e for name, e in EXPERIMENTS.items() if name not in DMST_ROWS]
    assert others and all(isinstance(e, Experiment) for e in others)
    assert all(name == e.name for name, e in EXPERIMENTS.items())


def test_a_dmst_spec_holds_what_the_dmst_run_reads_and_no_stgcn_field():
    names = {f.name for f in fields(DMSTExperiment)}
    assert names == {"name", "dataset", "model", "description", "paper_row", "options"}
    # the STGCN-only settings have no place in a DMST row
    assert not names & {"blocks", "batch_size", "learning_rate", "loss", "hyper", "teacher",
                        "pruning", "paper_setting", "calibrated_by"}


@pytest.mark.parametrize("name", sorted(DMST_ROWS))
def test_every_dmst_rows_options_pass_the_runs_checks(name):
    """What run_dmst does with a row before training: the scaling is one it knows and
    the rest are the model's options (none for ARIMA and SVR)."""
    row = DMST_ROWS[name]
    assert row.model in MODELS and row.dataset in DEFAULT_SPLITS
    options = dict(row.options)
    assert options.pop("scaling", "boxcox") in SCALINGS
    if row.model in CLASSICAL_MODELS:
        assert options == {}
    else:
        model_options(row.model, options)          # raises on an unknown option
    assert row.prerequisites == []                 # trains from scratch


def test_prerequisites_are_the_teacher_the_pruned_model_and_the_calibrating_run():
    assert get_experiment("kd/losloop/teacher").prerequisites == []
    assert get_experiment("kd/losloop/student-lstcd").prerequisites == ["kd/losloop/teacher"]
    # Algorithm 1 distils from the teacher while it prunes the base
    assert get_experiment("prune/losloop/kdis-lstcd-25").prerequisites == [
        "kd/losloop/teacher", "prune/losloop/base"]
    # the teacher is both the distilling and the pruned model: named once
    assert get_experiment("prune/losloop/teacher-kdis-lstcd").prerequisites == [
        "kd/losloop/teacher"]
    assert get_experiment("kd/losloop/student-lstcd-corr1e-2").prerequisites == [
        "kd/losloop/teacher", "kd/losloop/student-lstcd"]


def test_data_parallel_refuses_a_dmst_row_by_its_kind():
    refusal = data_parallel_refusal(get_experiment("dmst/losloop/st-gcn"), 2)
    assert "dmst/losloop/st-gcn is a ST-GCN run of the DMST-GNODE comparison" in refusal
    assert data_parallel_refusal(get_experiment("kd/losloop/teacher"), 2) is None


def test_unknown_names_are_refused_with_the_names_that_exist():
    with pytest.raises(KeyError, match=r"experiment: expected one of .*'kd/losloop/teacher'.* "
                                       r"found 'kd/losloop/teachr'"):
        get_experiment("kd/losloop/teachr")
    with pytest.raises(KeyError, match=r"profile: expected one of \['full', 'quick', 'smoke'\], "
                                       r"found 'papr'"):
        get_profile("papr")


def test_one_profile_table_gives_both_budgets():
    assert list(PROFILES) == ["smoke", "quick", "full"]
    assert all(name == p.name and isinstance(p.dmst, DMSTBudget) for name, p in PROFILES.items())
    # smoke: one day each for train/val/test and one epoch, for STGCN and DMST runs alike
    smoke = PROFILES["smoke"]
    assert smoke.split_days == (1, 1, 1) and smoke.epochs == smoke.dmst.max_epochs == 1
    assert smoke.dmst.patience is None and smoke.dmst.epoch_windows is None
    assert PROFILES["quick"].epochs == PROFILES["quick"].dmst.max_epochs == 3


def test_the_paper_profiles_dmst_budget_is_the_one_the_chapters_state():
    """The DMST chapter and the verdicts page state the budget in words ("60 epochs of
    Adam"); the registry's comment derives the window cap: 42 batches of 32, all of
    Los-loop's training windows."""
    paper = PROFILES["full"].dmst
    for page in ("notebooks/07_dmst.py", "notebooks/09_verdicts.py"):
        stated = {int(n) for n in re.findall(r"(\d+) epochs of Adam", (REPO / page).read_text())}
        assert stated == {paper.max_epochs}, page
    assert paper.patience == 10
    assert paper.epoch_windows == 42 * BATCH_SIZE
    windows_per_day = 288 - (12 + 12) + 1     # 12 steps in, 12 out, 5-minute steps
    assert DEFAULT_SPLITS["losloop"][0] * windows_per_day == 1325 <= paper.epoch_windows


# ------------------------------------------------------------------- the result JSON

def _series(tmp_path):
    source = tmp_path / "speeds.csv"
    source.write_bytes(b"1,2\n3,4\n")
    return SimpleNamespace(n_imputed=5, sources=[str(source)]), hashlib.sha256(
        b"1,2\n3,4\n").hexdigest()


DATA = SimpleNamespace(train=[0] * 7, val=[0] * 3, test=[0] * 2)
TEST = {"20min": {"mae": 1.0, "mape": 2.0, "rmse": 3.0, "acc": 0.9}}


def test_a_trained_runs_result_selects_the_best_epochs_validation(tmp_path):
    series, sha = _series(tmp_path)
    history = [{"epoch": 1, "train_loss": 0.5, "val": {"20min": {"mae": 2.0}}, "lr": 1e-3,
                "grad_norm": 3.0},                 # not a stored history field
               {"epoch": 2, "train_loss": 0.4, "val": {"20min": {"mae": 1.5}}, "lr": 1e-3}]
    fitted = SimpleNamespace(best_epoch=2, history=history)
    row = get_experiment("dmst/losloop/st-gcn")
    result = run_result(row, "smoke", 3, series, DATA, [1, 1, 1],
                        about={"model": "ST-GCN", "parameters": 10}, settings={"scaling": "x"},
                        train_config={"epochs": 2}, fitted=fitted, selection="best-val-mae",
                        test=TEST, test_loss=0.25, checkpoint=tmp_path / "seed3.pt",
                        run_provenance={"wall_time_s": 1.0}, extras={"teacher": None})
    assert list(result) == [
        "experiment", "profile", "seed", "dataset", "description", "paper_row", "model",
        "parameters", "split_days", "n_imputed", "windows", "scaling", "train_config",
        "selection", "best_epoch", "val", "test", "test_loss", "history", "checkpoint",
        "data_files", "provenance", "teacher"]
    assert result["experiment"] == "dmst/losloop/st-gcn" and result["seed"] == 3
    assert result["val"] == {"20min": {"mae": 1.5}}
    assert result["windows"] == {"train": 7, "val": 3, "test": 2}
    assert result["checkpoint"] == "seed3.pt"
    assert [set(h) for h in result["history"]] == [{"epoch", "train_loss", "val", "lr"}] * 2
    assert result["data_files"] == [{"path": str(Path(series.sources[0]).resolve()),
                                     "sha256": sha}]


def test_a_fitted_classical_model_has_no_training_record(tmp_path):
    series, _ = _series(tmp_path)
    row = get_experiment("dmst/losloop/arima")
    result = run_result(row, "smoke", 0, series, DATA, [1, 1, 1],
                        about={"model": "ARIMA", "parameters": None},
                        settings={"scaling": "boxcox"}, train_config={"classical": True},
                        test=TEST, test_loss=0.5, run_provenance={"wall_time_s": 0.0})
    assert not {"best_epoch", "val", "history", "checkpoint", "selection"} & set(result)
    assert result["parameters"] is None and result["test_loss"] == 0.5


def test_assembled_results_pass_the_stores_checks(tmp_path):
    """Both kinds of result the one assembler writes read back as valid stored runs."""
    series, _ = _series(tmp_path)
    provenance = {"commit": "abc", "device": "cpu", "torch": "2", "python": "3",
                  "started": "2026-01-01T00:00:00+00:00", "wall_time_s": 1.0}
    history = [{"epoch": 1, "val": {"20min": {"mae": 1.0, "mape": 1.0, "rmse": 1.0}}}]
    for name, fitted in (("dmst/losloop/st-gcn", SimpleNamespace(best_epoch=1, history=history)),
                         ("dmst/losloop/arima", None)):
        result = run_result(get_experiment(name), "smoke", 0, series, DATA, [1, 1, 1],
                            about={"model": get_experiment(name).model,
                                   "parameters": 10 if fitted else None},
                            settings={}, train_config={"classical": True} if not fitted else {},
                            fitted=fitted, checkpoint=tmp_path / "seed0.pt", test=TEST,
                            test_loss=0.5, run_provenance=provenance)
        assert result_problems(result) == [], name
