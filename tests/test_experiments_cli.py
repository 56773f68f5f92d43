"""Named experiments on real data (smoke profile), the results store and the command line."""
import json

import pytest

from stgkd.cli import main
from stgkd.registry import EXPERIMENTS
from stgkd.runner import run_experiment
from stgkd.runs import load_results, result_path

REQUIRED = {"experiment", "profile", "seed", "dataset", "parameters", "flops_per_window", "test",
            "history", "provenance"}


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    result = run_experiment("kd/losloop/student-no-kd", "smoke", 0, results_dir=root, progress=False)
    return root, result


def test_result_file_has_the_documented_fields(smoke_run):
    root, result = smoke_run
    path = result_path("smoke", "kd/losloop/student-no-kd", 0, root)
    assert path == root / "smoke" / "kd" / "losloop" / "student-no-kd" / "seed0.json"
    stored = json.loads(path.read_text())
    assert REQUIRED <= set(stored)
    assert set(stored["test"]) == {"15min", "30min", "45min"}
    assert set(stored["test"]["15min"]) == {"mae", "mape", "rmse"}
    assert {"commit", "device", "torch", "started", "wall_time_s"} <= set(stored["provenance"])
    (session,) = stored["provenance"]["sessions"]           # trained in one go
    assert session["device"] == stored["provenance"]["device"]
    assert (session["from_epoch"], session["to_epoch"]) == (0, len(stored["history"]))
    assert path.with_suffix(".pt").is_file()
    assert not path.with_name("seed0.resume.pt").exists()


def test_student_parameter_count_for_207_nodes_by_hand(smoke_run):
    # 10,144 for 228 nodes = 2*228*(4+8+8) LayerNorm + 228 node biases + 796 node-free weights
    assert 2 * 228 * 20 + 228 + 796 == 10_144
    assert smoke_run[1]["parameters"] == 2 * 207 * 20 + 207 + 796


def test_finished_run_is_not_repeated(smoke_run):
    root, result = smoke_run
    path = result_path("smoke", "kd/losloop/student-no-kd", 0, root)
    before = path.stat().st_mtime_ns
    again = run_experiment("kd/losloop/student-no-kd", "smoke", 0, results_dir=root, progress=False)
    assert again == json.loads(path.read_text()) and path.stat().st_mtime_ns == before
    assert not (root / "quick").exists()  # profiles never mix


def test_fixed_seed_gives_identical_numbers(smoke_run, tmp_path):
    _, first = smoke_run
    second = run_experiment("kd/losloop/student-no-kd", "smoke", 0, results_dir=tmp_path,
                            progress=False)
    assert second["test"] == first["test"]
    assert [h["train_loss"] for h in second["history"]] == [h["train_loss"] for h in first["history"]]


def test_load_results_finds_runs_of_one_profile(smoke_run):
    root, _ = smoke_run
    assert [r["experiment"] for r in load_results(root, "smoke")] == ["kd/losloop/student-no-kd"]
    assert load_results(root, "full") == []


def test_cli_list_names_every_experiment(capsys, tmp_path):
    assert main(["--results-dir", str(tmp_path), "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in EXPERIMENTS)


def test_cli_list_needed_names_the_runs_and_commands_of_the_open_claims(smoke_run, capsys):
    # the smoke store has one smoke run of the student without KD on Los-loop: under the
    # smoke profile that claim side has seed 0, so LSTCD needs 0, 1, 2 and no-KD 1, 2
    root, _ = smoke_run
    assert main(["--results-dir", str(root), "list", "--needed", "--profile", "smoke"]) == 0
    out = capsys.readouterr().out
    assert ("Table 4: LSTCD beats the student without distillation (losloop): paired seeds "
            "none; add kd/losloop/student-lstcd seeds 0, 1, 2; kd/losloop/student-no-kd "
            "seeds 1, 2") in out
    assert "kd/losloop/teacher: seeds none; add kd/losloop/teacher seeds 0, 1, 2" in out
    commands = out.split("Commands:")[1].strip().splitlines()
    assert "stgkd run kd/losloop/student-no-kd --profile smoke --seed 1 2" in commands
    # then the other readings, each below its seed target (Table 8's arms: two seeds)
    readings = out.split("The other readings, below their seed targets:")[1]
    assert ("Table 8 asked again: prune/losloop/taylor-global-25: seeds none; add "
            "prune/losloop/taylor-global-25 seeds 0, 1") in readings
    assert "To reach their seed targets:" in readings
    assert "stgkd run kd/losloop/student-lstcd-corr0" in readings.split("Commands:")[1]


def test_cli_list_needed_runs_prints_one_run_a_line(smoke_run, capsys):
    # the same store: no-KD's seed 0 on Los-loop is stored, so it is not queued
    root, _ = smoke_run
    assert main(["--results-dir", str(root), "list", "--needed", "--runs",
                 "--profile", "smoke"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line.split()) == 2 and line.split()[1].isdigit() for line in lines)
    assert "kd/losloop/student-lstcd 0" in lines and "kd/losloop/student-no-kd 1" in lines
    assert "kd/losloop/student-no-kd 0" not in lines
    assert len(lines) == len(set(lines))


def test_cli_list_runs_alone_is_refused(capsys, tmp_path):
    assert main(["--results-dir", str(tmp_path), "list", "--runs"]) != 0
    assert "--runs: expected it with --needed" in capsys.readouterr().err


def test_cli_show_prints_stored_metrics(smoke_run, capsys):
    root, result = smoke_run
    assert main(["--results-dir", str(root), "show", "kd/losloop/student-no-kd", "--profile", "smoke"]) == 0
    out = capsys.readouterr().out
    assert f"{result['test']['45min']['mae']:.3f}" in out


def test_cli_show_says_when_nothing_is_stored(capsys, tmp_path):
    assert main(["--results-dir", str(tmp_path), "show", "kd/losloop/teacher"]) == 0
    assert "no full result" in capsys.readouterr().out


def test_cli_unknown_experiment_is_a_clear_error(capsys):
    assert main(["run", "kd/nowhere/teacher", "--profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert "kd/nowhere/teacher" in err and "expected one of" in err


def test_cli_cuda_without_gpu_is_a_clear_error(capsys, monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["run", "kd/losloop/teacher", "--profile", "smoke", "--device", "cuda"]) == 2
    assert "CUDA" in capsys.readouterr().err


def test_cli_run_notes_that_an_arima_seed_repeats_seed_0(capsys, monkeypatch):
    import torch
    from stgkd.cli import seed_free_notes
    assert seed_free_notes(["dmst/losloop/arima", "dmst/losloop/svr"], [0]) == []
    assert seed_free_notes(["dmst/losloop/svr"], [1, 2]) == []
    # the CUDA refusal stops the run before anything trains; the note comes first
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["run", "dmst/losloop/arima", "--seed", "0", "1", "2", "--profile", "smoke",
                 "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert ("note: dmst/losloop/arima is seed-free (every seed gives the same forecast), so "
            "seeds 1, 2 repeat seed 0's run, which stands for every seed in paired "
            "comparisons") in err


def test_a_reader_that_stops_early_is_not_an_error(tmp_path):
    # `stgkd list | head -1`: here the reader is gone before the first write, and the
    # listing (over 8 KiB) is flushed while the command runs: exit 0, nothing on stderr
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "stgkd.cli", "--results-dir", str(tmp_path),
                                "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.communicate(timeout=120)[1].decode()
    assert process.returncode == 0 and stderr == ""
