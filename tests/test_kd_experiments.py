"""Distillation experiments end to end on real data (smoke profile): the teacher's
checkpoint is found, the loss is built with Table 6's weights, and the result
records the teacher, the hyperparameters and Table 3's teacher share."""
import json

import pytest

from stgkd.cli import main
from stgkd.registry import EXPERIMENTS, KD_ROWS
from stgkd.runner import run_experiment
from stgkd.report.comparison import canonical_row, comparison_table

from factories import fake_result


@pytest.fixture(scope="module")
def teacher_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    run_experiment("kd/losloop/teacher", "smoke", 0, results_dir=root, progress=False)
    return root


def test_every_loss_has_an_experiment_per_data_set():
    for dataset in ("pemsd7m", "losloop", "pems08"):
        for kind in KD_ROWS:
            experiment = EXPERIMENTS[f"kd/{dataset}/student-{kind}"]
            assert experiment.loss == kind and experiment.teacher == f"kd/{dataset}/teacher"
    # Table 6, PeMSD7: LSTCD alpha1 0.17, alpha2 0.047, alpha3 0.313; LSKD batch 16
    assert EXPERIMENTS["kd/pemsd7m/student-lstcd"].hyper == dict(alpha1=0.17, alpha2=0.047,
                                                                 alpha3=0.313)
    assert EXPERIMENTS["kd/pemsd7m/student-lskd"].batch_size == 16
    assert EXPERIMENTS["kd/pems08/student-lskd"].learning_rate == 0.01


def test_student_without_its_teacher_is_a_clear_error(tmp_path, capsys):
    code = main(["--results-dir", str(tmp_path), "run", "kd/losloop/student-lord",
                 "--profile", "smoke", "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "kd/losloop/teacher" in err and "stgkd run kd/losloop/teacher --profile smoke" in err


@pytest.mark.parametrize("kind", ["lord", "lstcd"])
def test_distilled_student_records_teacher_and_share(teacher_root, kind):
    name = f"kd/losloop/student-{kind}"
    result = run_experiment(name, "smoke", 0, results_dir=teacher_root, progress=False)
    stored = json.loads((teacher_root / "smoke" / name / "seed0.json").read_text())
    assert stored == result
    assert result["loss"] == kind and result["hyperparameters"] == EXPERIMENTS[name].hyper
    assert result["teacher"]["experiment"] == "kd/losloop/teacher"
    assert len(result["teacher"]["checkpoint_sha256"]) == 64
    # with per-sample normalisation and alpha1 < 1 at least the worst node of every
    # sample uses the teacher: a share of at least 1/N (207 Los-loop nodes), at most 1
    assert 1 / 207 <= result["teacher_share"] <= 1
    assert result["parameters"] == 2 * 207 * 20 + 207 + 796


def test_cached_and_running_teacher_give_the_same_student(teacher_root, tmp_path):
    import shutil
    shutil.copytree(teacher_root / "smoke" / "kd" / "losloop" / "teacher",
                    tmp_path / "smoke" / "kd" / "losloop" / "teacher")
    name = "kd/losloop/student-lord"   # outputs only: the cache is exact
    cached = run_experiment(name, "smoke", 0, results_dir=teacher_root, progress=False)
    running = run_experiment(name, "smoke", 0, results_dir=tmp_path, progress=False,
                             teacher_cache=False)
    assert running["teacher"]["cache"] is None and cached["teacher"]["cache"] is not None
    for horizon, metrics in cached["test"].items():
        for metric, value in metrics.items():
            assert running["test"][horizon][metric] == pytest.approx(value, rel=1e-4)


def test_paper_rows_match_with_or_without_the_ours_mark():
    assert canonical_row("Student LORD(ours)") == "Student LORD"
    assert canonical_row("Student LSTCD (ours)") == "Student LSTCD"
    assert canonical_row("Teacher") == "Teacher"
    fake = fake_result("kd/pemsd7m/student-lord", paper_row="Student LORD", mae=(1.0, 2.0, 3.0))
    for table in (2, 5):   # "Student LORD(ours)" in Table 2, "Student LORD" in Table 5
        rows = comparison_table(table, [fake])
        lord = rows[(rows["metric"] == "MAE") & (rows["our_dataset"] == "pemsd7m")
                    & rows["model"].str.startswith("Student LORD")]
        assert lord["ours"].tolist() == [1.0, 2.0, 3.0]


def test_teacher_checkpoint_is_recorded_inside_the_results_folder(teacher_root):
    result = run_experiment("kd/losloop/student-lord", "smoke", 0, results_dir=teacher_root,
                            progress=False)
    assert result["teacher"]["checkpoint"] == "smoke/kd/losloop/teacher/seed0.pt"
