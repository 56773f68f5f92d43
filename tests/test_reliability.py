"""Reliability: a checkpoint or state file cannot run code when stgkd reads it, and a cut
or garbled stored file is refused with an error that names it and says what to do.

Each load path gets a crafted file whose unpickling would create a marker file (as
``torch.load(..., weights_only=False)`` would): the path must refuse it, name the file,
and leave no marker.
"""
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from stgkd.cli import main
from stgkd.experiments import run_experiment
from stgkd.io import StoredFileError, read_json, read_torch, save_torch, write_json
from stgkd.nn import STUDENT_BLOCKS, STGCN
from stgkd.train import TrainConfig, fit


class _RunsCode:
    """Unpickled without weights_only, this runs a shell command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def craft(path: Path, marker: Path, **extra) -> Path:
    """A checkpoint-shaped file that runs code on an unsafe load."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model_config": {"n_nodes": 3}, "state_dict": {}, "payload": _RunsCode(marker),
                **extra}, path)
    return path


def test_the_crafted_file_does_run_code_on_an_unsafe_load(tmp_path):
    # the check that the tests below are meaningful: the payload is live
    marker = tmp_path / "ran"
    torch.load(craft(tmp_path / "evil.pt", marker), weights_only=False)
    assert marker.exists()


def test_read_torch_refuses_the_crafted_file_and_names_it(tmp_path):
    marker = tmp_path / "ran"
    path = craft(tmp_path / "evil.pt", marker)
    with pytest.raises(StoredFileError, match=r"evil\.pt: refused to load.*system"):
        read_torch(path, "re-run it")
    assert not marker.exists()


def test_read_torch_names_a_cut_an_empty_and_a_garbled_file(tmp_path):
    save_torch(tmp_path / "ok.pt", {"x": torch.arange(1000.0)})
    whole = (tmp_path / "ok.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(whole[:len(whole) // 2])
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "garbled.pt").write_bytes(b"\x80\x04not a pickle at all")
    for name in ("cut.pt", "empty.pt", "garbled.pt"):
        with pytest.raises(StoredFileError, match=rf"{name}: expected a PyTorch checkpoint, "
                                                  rf"found .*; delete it to start afresh"):
            read_torch(tmp_path / name, "delete it to start afresh")
    assert torch.equal(read_torch(tmp_path / "ok.pt")["x"], torch.arange(1000.0))


def test_read_json_names_a_cut_file(tmp_path):
    write_json(tmp_path / "seed0.json", {"experiment": "kd/losloop/teacher", "test": {}})
    text = (tmp_path / "seed0.json").read_text()
    (tmp_path / "seed0.json").write_text(text[:10])
    with pytest.raises(StoredFileError, match=r"seed0\.json: expected a JSON document.*re-run"):
        read_json(tmp_path / "seed0.json", "re-run")


def _graph_csv(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "graph.csv"
    np.savetxt(path, np.ones((n, n)) - np.eye(n), delimiter=",")
    return path


def test_predict_refuses_a_crafted_checkpoint(tmp_path, capsys):
    marker = tmp_path / "ran"
    path = craft(tmp_path / "seed0.pt", marker)
    np.savetxt(tmp_path / "speeds.csv", np.full((12, 3), 50.0), delimiter=",")
    code = main(["predict", str(path), "--input", str(tmp_path / "speeds.csv"),
                 "--graph", str(_graph_csv(tmp_path, 3))])
    assert code == 2 and not marker.exists()
    assert f"{path}: refused to load" in capsys.readouterr().err


def test_export_refuses_a_crafted_checkpoint(tmp_path, capsys):
    marker = tmp_path / "ran"
    path = craft(tmp_path / "seed0.pt", marker)
    code = main(["export", str(path), "--output", str(tmp_path / "m.onnx"),
                 "--graph", str(_graph_csv(tmp_path, 3))])
    assert code == 2 and not marker.exists()
    assert f"{path}: refused to load" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


def test_resume_refuses_a_crafted_state(synthetic, synthetic_windows, tmp_path):
    marker = tmp_path / "ran"
    state = craft(tmp_path / "seed0.resume.pt", marker)
    model = STGCN(synthetic.n_nodes, STUDENT_BLOCKS, weights=synthetic.weights)
    with pytest.raises(StoredFileError, match=r"seed0\.resume\.pt: refused to load.*"
                                              r"delete it to start this run afresh"):
        fit(model, synthetic_windows, TrainConfig(epochs=1), state_path=state, progress=False)
    assert not marker.exists()


def test_a_cut_resume_state_says_delete_it(synthetic, synthetic_windows, tmp_path):
    state = tmp_path / "seed0.resume.pt"
    model = STGCN(synthetic.n_nodes, STUDENT_BLOCKS, weights=synthetic.weights)
    fit(model, synthetic_windows, TrainConfig(epochs=1), state_path=state, progress=False)
    state.write_bytes(state.read_bytes()[:200])
    fresh = STGCN(synthetic.n_nodes, STUDENT_BLOCKS, weights=synthetic.weights)
    with pytest.raises(StoredFileError, match=r"cut or corrupt.*delete it to start this run"):
        fit(fresh, synthetic_windows, TrainConfig(epochs=2), state_path=state, progress=False)


def test_a_resume_state_loads_without_unsafe_globals(synthetic, synthetic_windows, tmp_path):
    # what fit stores (model, optimiser, scheduler, history, the three RNG states) is
    # tensors and plain values only, and restores the NumPy and Python RNGs exactly
    state = tmp_path / "seed0.resume.pt"
    model = STGCN(synthetic.n_nodes, STUDENT_BLOCKS, weights=synthetic.weights)
    fit(model, synthetic_windows, TrainConfig(epochs=1), state_path=state, progress=False)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(state) == []
    import random
    from stgkd.train import _rng_state, _set_rng_state
    np.random.seed(5)
    random.seed(5)
    saved = read_torch(state)["rng"] | _rng_state()   # the current states, round-tripped
    save_torch(tmp_path / "rng.pt", saved)
    expected = (np.random.random(3), random.random())
    _set_rng_state(read_torch(tmp_path / "rng.pt"))
    assert np.array_equal(np.random.random(3), expected[0]) and random.random() == expected[1]


def test_distillation_refuses_a_crafted_teacher(tmp_path, capsys):
    marker = tmp_path / "ran"
    teacher = craft(tmp_path / "smoke" / "kd" / "losloop" / "teacher" / "seed0.pt", marker)
    code = main(["--results-dir", str(tmp_path), "run", "kd/losloop/student-lord",
                 "--profile", "smoke", "--quiet"])
    assert code == 2 and not marker.exists()
    assert f"{teacher}: refused to load" in capsys.readouterr().err
    assert not (tmp_path / "smoke" / "kd" / "losloop" / "student-lord" / "seed0.json").exists()


def test_pruning_refuses_a_crafted_start_checkpoint(tmp_path, capsys):
    marker = tmp_path / "ran"
    base = craft(tmp_path / "smoke" / "prune" / "losloop" / "base" / "seed0.pt", marker)
    code = main(["--results-dir", str(tmp_path), "run", "prune/losloop/taylor-25",
                 "--profile", "smoke", "--quiet"])
    assert code == 2 and not marker.exists()
    assert f"{base}: refused to load" in capsys.readouterr().err


def test_pruning_refuses_a_crafted_pruning_state(tmp_path, capsys):
    run_experiment("prune/losloop/base", "smoke", 0, results_dir=tmp_path, progress=False)
    marker = tmp_path / "ran"
    state = craft(tmp_path / "smoke" / "prune" / "losloop" / "taylor-25" / "seed0.prune.pt",
                  marker)
    code = main(["--results-dir", str(tmp_path), "run", "prune/losloop/taylor-25",
                 "--profile", "smoke", "--quiet"])
    assert code == 2 and not marker.exists()
    err = capsys.readouterr().err
    assert f"{state}: refused to load" in err and "delete it to start the pruning afresh" in err


def _cut_result(root: Path, name: str = "kd/losloop/teacher") -> Path:
    path = root / "smoke" / Path(*name.split("/")) / "seed0.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"experiment": "kd/losloop/teach')
    return path


def test_show_names_a_cut_result_and_the_command_that_remakes_it(tmp_path, capsys):
    path = _cut_result(tmp_path)
    assert main(["--results-dir", str(tmp_path), "show", "kd/losloop/teacher",
                 "--profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "stgkd run kd/losloop/teacher --profile smoke --seed 0 --force" in err


def test_list_marks_an_unreadable_result_instead_of_counting_it(tmp_path, capsys):
    path = _cut_result(tmp_path)
    assert main(["--results-dir", str(tmp_path), "list", "--profile", "smoke"]) == 0
    out, err = capsys.readouterr()
    line = next(l for l in out.splitlines() if l.startswith("kd/losloop/teacher "))
    assert line.split()[-1] == "0+1!" and f"unreadable: {path}" in err


def test_run_names_a_cut_result_instead_of_retraining_over_it(tmp_path, capsys):
    path = _cut_result(tmp_path, "kd/losloop/student-no-kd")
    assert main(["--results-dir", str(tmp_path), "run", "kd/losloop/student-no-kd",
                 "--profile", "smoke", "--quiet"]) == 2
    assert str(path) in capsys.readouterr().err
    assert path.read_text() == '{"experiment": "kd/losloop/teach'   # nothing overwritten


def test_readme_names_a_cut_result_and_changes_nothing(tmp_path, monkeypatch, capsys):
    import stgkd.readme
    path = _cut_result(tmp_path)
    monkeypatch.setenv("STGKD_RESULTS", str(tmp_path))
    before = stgkd.readme.README.read_text()
    assert stgkd.readme.main(["--check"]) == 2
    assert str(path) in capsys.readouterr().err
    assert stgkd.readme.README.read_text() == before
