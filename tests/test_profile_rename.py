"""The full profile was called "paper": runs stored under the old name stay readable,
the old name still works on the command line, and new runs go under the new name."""
import json
import warnings

import pytest

from stgkd.cli import main
from stgkd.profiles import PROFILES, canonical_profile, get_profile
from stgkd.runs import load_result, load_results, result_path, run_checkpoint
from stgkd.runs.store import profile_folder, rerun_remedy
from tests.factories import fake_result


def store_legacy_run(root, experiment="kd/losloop/teacher", seed=0, mae=(3.0, 4.0, 5.0)):
    """A run written before the rename: under ``paper/`` and saying ``"profile": "paper"``."""
    run = fake_result(experiment, "full", seed, mae=mae, parameters=1234, best_epoch=7,
                      provenance={"wall_time_s": 60.0, "device": "cpu"}).to_dict()
    run["profile"] = "paper"
    path = root / "paper" / experiment / f"seed{seed}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(run))
    return path


def test_the_former_name_gives_the_full_profile():
    assert canonical_profile("paper") == "full" and canonical_profile("quick") == "quick"
    assert get_profile("paper") is PROFILES["full"]
    assert "paper" not in PROFILES


def test_a_store_with_only_the_old_folder_is_read_and_written_there(tmp_path):
    path = store_legacy_run(tmp_path)
    assert profile_folder("full", tmp_path) == tmp_path / "paper"
    # where a new run of the full profile would be written: beside the old runs
    assert result_path("full", "kd/losloop/student-lstcd", 1, tmp_path) == \
        tmp_path / "paper" / "kd" / "losloop" / "student-lstcd" / "seed1.json"
    (run,) = load_results(tmp_path, "full")
    assert run["profile"] == "full" and run["test"]["15min"]["mae"] == 3.0
    assert load_result("full", "kd/losloop/teacher", 0, tmp_path) == run
    assert load_results(tmp_path) == [run]
    path.with_suffix(".pt").write_bytes(b"")
    assert run_checkpoint(run, tmp_path) == path.with_suffix(".pt")
    assert "--profile full --seed 0" in rerun_remedy(path, tmp_path)


def test_a_fresh_store_uses_the_new_name(tmp_path):
    assert profile_folder("full", tmp_path) == tmp_path / "full"
    assert profile_folder("paper", tmp_path) == tmp_path / "full"


def test_the_old_folder_is_left_unread_with_a_warning_beside_the_new_one(tmp_path):
    store_legacy_run(tmp_path, mae=(9.0, 9.0, 9.0))
    new = fake_result("kd/losloop/teacher", "full", 0, mae=(3.0, 4.0, 5.0)).to_dict()
    path = tmp_path / "full" / "kd" / "losloop" / "teacher" / "seed0.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(new))
    assert profile_folder("full", tmp_path) == tmp_path / "full"
    with pytest.warns(UserWarning, match=r"paper: not read; the profile 'paper' is now called "
                                         r"'full'"):
        everything = load_results(tmp_path)
    assert [r["test"]["15min"]["mae"] for r in everything] == [3.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # one profile asked for: no warning, the new folder
        assert [r["test"]["15min"]["mae"] for r in load_results(tmp_path, "full")] == [3.0]


def test_the_command_line_takes_the_old_name_and_says_the_new_one(tmp_path, capsys):
    store_legacy_run(tmp_path)
    assert main(["--results-dir", str(tmp_path), "show", "kd/losloop/teacher",
                 "--profile", "paper"]) == 0
    out, err = capsys.readouterr()
    assert "note: the profile 'paper' is now called 'full'" in err
    assert "full seed 0" in out
    with pytest.raises(SystemExit):
        main(["--results-dir", str(tmp_path), "show", "kd/losloop/teacher", "--profile", "papr"])
    assert "invalid choice: 'papr'" in capsys.readouterr().err
