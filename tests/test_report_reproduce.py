"""The Reproduce notes of the book: commands and files generated from the registry."""
import re

import pytest

from stgkd.registry import EXPERIMENTS
from stgkd.report.reproduce import (LINE_WIDTH, reproduce_commands, reproduce_files,
                                    reproduce_note, stored_seeds, table_experiments)

from factories import fake_result


def _names(command):
    """The experiment names of one command (continuation lines joined)."""
    words = command.replace("\\\n", " ").split()
    return words[2:words.index("--profile")]


def _seeds(command):
    return command.split("--seed")[1].split()


def _profile(command):
    return command.split("--profile")[1].split()[0]


def test_student_not_yet_run_needs_its_teacher_first():
    commands = reproduce_commands(["kd/losloop/student-lstcd"], "best", {})
    assert commands == ["stgkd run kd/losloop/teacher --profile full --seed 0",
                        "stgkd run kd/losloop/student-lstcd --profile full --seed 0"]


def test_stored_seeds_and_best_profile_are_the_ones_shown():
    results = [fake_result("kd/losloop/teacher", "full", s) for s in (2, 0, 1)] + [
        fake_result("kd/losloop/teacher", "quick", 5),
        fake_result("kd/losloop/student-lord", "quick", 0),
        fake_result("kd/losloop/student-lord", "smoke", 3)]
    best = stored_seeds(results, "best")
    assert best == {"kd/losloop/teacher": ("full", [0, 1, 2]),
                    "kd/losloop/student-lord": ("quick", [0])}
    assert stored_seeds(results, "smoke") == {"kd/losloop/student-lord": ("smoke", [3])}
    commands = reproduce_commands(["kd/losloop/teacher", "kd/losloop/student-lord"], "best",
                                  best)
    # the quick student needs the quick teacher's seed 0, though the page shows the
    # teacher's paper runs
    assert [(_names(c), _profile(c), _seeds(c)) for c in commands] == [
        (["kd/losloop/teacher"], "full", ["0", "1", "2"]),
        (["kd/losloop/teacher"], "quick", ["0"]),
        (["kd/losloop/student-lord"], "quick", ["0"])]


def test_calibrated_runs_come_after_the_run_they_are_calibrated_by():
    # corr1e-2 distils from the teacher and takes its weight from student-lstcd's seed 0
    commands = reproduce_commands(["kd/losloop/student-lstcd-corr1e-2"], "full", {})
    assert [_names(c) for c in commands] == [["kd/losloop/teacher"],
                                             ["kd/losloop/student-lstcd"],
                                             ["kd/losloop/student-lstcd-corr1e-2"]]


def test_pruning_runs_come_after_their_start_checkpoint_and_teacher():
    names = ["prune/losloop/taylor-25", "prune/losloop/kdis-lstcd-25",
             "prune/losloop/teacher-kdis-lstcd"]
    commands = reproduce_commands(names, "full", {})
    first, second = (_names(c) for c in commands)
    assert set(first) == {"prune/losloop/base", "kd/losloop/teacher"}
    assert second == names


def test_long_commands_are_continued_between_names():
    names = [n for n in EXPERIMENTS if n.startswith("dmst/losloop/")]
    (command,) = reproduce_commands(names, "full", {})
    lines = command.split("\n")
    assert len(lines) > 1
    assert all(len(line) <= LINE_WIDTH + 2 for line in lines)
    assert all(line.endswith(" \\") for line in lines[:-1])
    assert _names(command) == names


def test_files_one_line_per_experiment_with_seed_braces():
    stored = {"kd/losloop/teacher": ("full", [0, 3])}
    lines = reproduce_files(["kd/losloop/teacher", "kd/losloop/student-lord"], "quick",
                            stored, checkpoints=True)
    assert lines == [
        "`results/full/kd/losloop/teacher/seed{0,3}.json` and "
        "`results/full/kd/losloop/teacher/seed{0,3}.pt`",
        "`results/quick/kd/losloop/student-lord/seed0.json` and "
        "`results/quick/kd/losloop/student-lord/seed0.pt` (not yet run)"]


def test_note_is_a_collapsed_block_with_commands_and_files():
    note = reproduce_note(["kd/pemsd7m/teacher"], "best",
                          [fake_result("kd/pemsd7m/teacher", "full", 1)],
                          also=["results/benchmarks/x.json"], what="Table 2")
    assert note.startswith('<details class="reproduce"><summary>Reproduce Table 2</summary>')
    assert note.rstrip().endswith("</details>")
    block = re.search(r"```bash\n(.*?)\n```", note, re.S).group(1)
    assert block == "stgkd run kd/pemsd7m/teacher --profile full --seed 1"
    assert "- `results/full/kd/pemsd7m/teacher/seed1.json`" in note
    assert "- `results/benchmarks/x.json`" in note


def test_note_rejects_unknown_names():
    with pytest.raises(KeyError, match="kd/nowhere"):
        reproduce_note(["kd/nowhere/teacher"])
    with pytest.raises(ValueError, match="profile"):
        reproduce_note(["kd/pemsd7m/teacher"], profile="papr")
    with pytest.raises(ValueError, match="experiments"):
        reproduce_note([])


def test_table_experiments_match_the_paper_rows():
    # Table 8: the pruning base, Taylor and Algorithm 1 at three levels, on PeMSD7(M) and
    # PeMSD8; not the investigations (one-epoch fine-tuning, global ranking, ...)
    expected = {f"prune/{d}/{k}" for d in ("pemsd7m", "pems08")
                for k in ("base", "taylor-25", "taylor-50", "taylor-75", "kdis-lstcd-25",
                          "kdis-lstcd-50", "kdis-lstcd-75")}
    assert set(table_experiments(8)) == expected
    # Table 7: the teacher, the LSTCD student and the pruned teacher, per data set
    assert set(table_experiments(7)) == {f"{p}/{d}/{k}" for d in ("pemsd7m", "pems08")
                                         for p, k in (("kd", "teacher"), ("kd", "student-lstcd"),
                                                      ("prune", "teacher-kdis-lstcd"))}


def test_one_seed_names_the_lowest_seed_a_figure_shows():
    results = [fake_result("kd/losloop/teacher", "full", s) for s in (3, 1, 2)]
    note = reproduce_note(["kd/losloop/teacher"], "best", results, checkpoints=True,
                          one_seed=True)
    assert "stgkd run kd/losloop/teacher --profile full --seed 1\n" in note
    assert "`results/full/kd/losloop/teacher/seed1.pt`" in note
