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
from stgkd.runner import run_experiment
from stgkd.io import StoredFileError, read_json, read_torch, save_torch, write_json
from stgkd.nn import STUDENT_BLOCKS, STGCN
from stgkd.train import TrainConfig, fit

from factories import fake_result


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
    write_json(tmp_path / "seed0.json", fake_result("kd/losloop/teacher").to_dict())
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


# ------------------------------------------------------------ one run at a time, kill -9
import hashlib  # noqa: E402
import json  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from stgkd.runs import result_path, run_dir  # noqa: E402
from stgkd.runlock import RunLockedError, lock_run  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not (SHARED / "losloop").is_dir(),
                                  reason="../shared/data/losloop not present")
SMOKE = ["kd/losloop/student-no-kd", "--profile", "smoke", "--threads", "1", "--quiet"]


def _run_command(results: Path) -> list[str]:
    return [sys.executable, "-m", "stgkd.cli", "--results-dir", str(results), "run", *SMOKE]


def _env() -> dict:
    """The environment of a `stgkd run` subprocess: the data found as the tests find it."""
    return {k: v for k, v in os.environ.items() if k not in ("STGKD_DATA", "STGKD_RESULTS")}


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@needs_shared
def test_kill_9_then_rerun_resumes_to_the_numbers_of_an_uninterrupted_run(tmp_path, capsys):
    name = "kd/losloop/student-no-kd"
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    done = subprocess.run(_run_command(whole), cwd=REPO, env=_env(), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    reference = json.loads(result_path("smoke", name, 0, whole).read_text())

    # the run records the data files it read, with their sha256 (computed here by hand)
    expected = [{"path": str((SHARED / "losloop" / f).resolve()),
                 "sha256": hashlib.sha256((SHARED / "losloop" / f).read_bytes()).hexdigest()}
                for f in ("los_speed.csv", "los_adj.csv")]
    assert reference["data_files"] == expected

    folder = run_dir("smoke", name, cut)
    lock, resume = folder / "seed0.lock", folder / "seed0.resume.pt"
    process = subprocess.Popen(_run_command(cut), cwd=REPO, env=_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    refused_while_held = False
    deadline = time.monotonic() + 600
    try:
        while not resume.exists():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline
            if not refused_while_held and lock.is_file() and lock.read_text().strip():
                # the same run started again while the first holds the lock: refused at once
                clock = time.perf_counter()
                code = main(["--results-dir", str(cut), "run", *SMOKE])
                seconds = time.perf_counter() - clock
                err = capsys.readouterr().err
                assert code == 2 and seconds < 5, err
                assert err.startswith(f"error: {lock}: another run of {name} (profile smoke, "
                                      f"seed 0) is in progress: process {process.pid} on host "
                                      f"{socket.gethostname()}, since ")
                assert "wait for it to finish" in err
                refused_while_held = True
            time.sleep(0.005)
        os.kill(process.pid, 9)
    finally:
        process.kill()
        process.wait()
    assert refused_while_held
    if (folder / "seed0.json").exists():
        pytest.skip("the run finished before it could be killed")
    assert lock.is_file()                               # kill -9 leaves its lock behind
    (folder / ".seed0.pt.killed.tmp").write_bytes(b"half a checkpoint")
    (folder / ".seed1.json.other.tmp").write_text("another seed's write")

    again = subprocess.run(_run_command(cut), cwd=REPO, env=_env(), capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert (f"note: {lock}: taking over the lock left by process {process.pid} on "
            f"{socket.gethostname()}") in again.stderr
    assert "which no longer holds it (not running)" in again.stderr
    assert ("note: removed 1 temporary file(s) of an interrupted write: .seed0.pt.killed.tmp"
            in again.stderr)
    assert not (folder / ".seed0.pt.killed.tmp").exists()
    assert (folder / ".seed1.json.other.tmp").exists()  # not this run's
    assert not lock.exists() and not resume.exists()
    resumed = json.loads((folder / "seed0.json").read_text())
    assert resumed["provenance"]["resumed_from_epoch"] == 1
    assert resumed["test"] == reference["test"] and resumed["val"] == reference["val"]


def test_a_held_lock_refuses_the_same_run_at_once_and_stores_nothing(tmp_path):
    folder = run_dir("smoke", "kd/losloop/teacher", tmp_path)
    with lock_run("smoke", "kd/losloop/teacher", 0, tmp_path):
        holder = json.loads((folder / "seed0.lock").read_text())
        assert (holder["pid"], holder["host"]) == (os.getpid(), socket.gethostname())
        with pytest.raises(RunLockedError) as error:
            run_experiment("kd/losloop/teacher", "smoke", 0, results_dir=tmp_path,
                           progress=False)
        assert str(error.value).startswith(
            f"{folder / 'seed0.lock'}: another run of kd/losloop/teacher (profile smoke, seed 0) "
            f"is in progress: process {os.getpid()} on host {socket.gethostname()}, since "
            f"{holder['started']} (`stgkd run kd/losloop/teacher --profile smoke --seed 0`) "
            f"holds this lock; wait for it to finish")
        # another seed is another run
        with lock_run("smoke", "kd/losloop/teacher", 1, tmp_path):
            pass
        assert sorted(p.name for p in folder.iterdir()) == ["seed0.lock"]
    assert not tmp_path.joinpath("smoke").exists()     # the folders the lock made are gone


def test_a_stale_lock_is_taken_over_with_a_note(tmp_path, capsys):
    pid = _dead_pid()
    path = result_path("smoke", "kd/losloop/teacher", 0, tmp_path, ".lock")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"pid": pid, "host": socket.gethostname(),
                                "started": "2020-01-01T00:00:00+00:00"}))
    (path.parent / ".seed0.resume.pt.abc.tmp").write_bytes(b"cut")
    with lock_run("smoke", "kd/losloop/teacher", 0, tmp_path):
        assert json.loads(path.read_text())["pid"] == os.getpid()
    err = capsys.readouterr().err
    assert (f"note: {path}: taking over the lock left by process {pid} on "
            f"{socket.gethostname()} (since 2020-01-01T00:00:00+00:00), which no longer holds it "
            f"(not running); that run was interrupted and this one resumes it") in err
    assert "removed 1 temporary file(s) of an interrupted write: .seed0.resume.pt.abc.tmp" in err
    assert sorted(p.name for p in path.parent.iterdir()) == []


# ------------------------------------------------------------------ command-line misuse
@pytest.mark.parametrize("argv, message", [
    (["run", "kd/losloop/teacher", "--threads", "-1"],
     "argument --threads: expected a number of CPU threads, at least 1 (0: torch's choice), "
     "found -1"),
    (["run", "kd/losloop/teacher", "--jobs", "0"],
     "argument --jobs: expected at least 1 run at a time, found 0"),
    (["run", "kd/losloop/teacher", "--seed", "-1"],
     "argument --seed: expected a seed, a whole number of at least 0, found -1"),
    (["predict", "x.pt", "--input", "x.csv", "--steps", "0"],
     "argument --steps: expected at least 1 step ahead, found 0"),
    (["export", "x.pt", "--output", "x.onnx", "--steps", "-3"],
     "argument --steps: expected at least 1 step ahead, found -3"),
])
def test_bad_counts_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_bad_devices_are_clear_errors(tmp_path, capsys, monkeypatch):
    run = ["--results-dir", str(tmp_path), "run", "kd/losloop/teacher", "--profile", "smoke"]
    assert main(run + ["--device", "foo"]) == 2
    assert capsys.readouterr().err == ("error: --device: expected cpu, cuda or cuda:<index>, "
                                       "found 'foo'\n")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(run + ["--device", "cuda"]) == 2
    assert capsys.readouterr().err == (f"error: --device cuda: expected a CUDA GPU, found none "
                                       f"(torch {torch.__version__}); run on the CPU with "
                                       f"--device cpu\n")
    assert list(tmp_path.iterdir()) == []


def _checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    torch.manual_seed(1)
    model = STGCN(3, STUDENT_BLOCKS, weights=np.ones((3, 3)) - np.eye(3))
    path = tmp_path / "seed0.pt"
    save_torch(path, {"model_config": model.config, "state_dict": model.state_dict(),
                      "scaler": {"mean": 60.0, "std": 8.0},
                      "experiment": "kd/losloop/student-no-kd"})
    return path, _graph_csv(tmp_path, 3)


def test_predict_into_a_missing_folder_is_refused_before_any_work(tmp_path, capsys):
    checkpoint, graph = _checkpoint(tmp_path)
    np.savetxt(tmp_path / "speeds.csv", np.full((12, 3), 50.0), delimiter=",")
    out = tmp_path / "nowhere" / "forecast.csv"
    assert main(["predict", str(checkpoint), "--input", str(tmp_path / "speeds.csv"),
                 "--graph", str(graph), "--output", str(out)]) == 2
    assert capsys.readouterr().err == (f"error: {out}: expected the folder {out.parent} for the "
                                       f"forecast CSV, found none; create it first\n")
    assert not out.parent.exists()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_export_to_a_folder_or_an_unwritable_path_is_refused_and_leaves_nothing(tmp_path,
                                                                                capsys):
    checkpoint, graph = _checkpoint(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "a-file").write_text("")
    before = _files(tmp_path)
    export = ["export", str(checkpoint), "--graph", str(graph), "--output"]
    folder, under_file = tmp_path / "folder", tmp_path / "a-file" / "m.onnx"
    assert main(export + [str(folder)]) == 2
    assert capsys.readouterr().err == (f"error: {folder}: expected a file name for the ONNX "
                                       f"file, found a folder; name a file, e.g. "
                                       f"{folder / 'out'}\n")
    assert main(export + [str(under_file)]) == 2
    assert capsys.readouterr().err == (f"error: {under_file}: expected {tmp_path / 'a-file'} to "
                                       f"be a folder for the ONNX file, found a file\n")
    if Path("/proc/self").is_dir():     # a folder nobody, root included, can create files in
        assert main(export + ["/proc/stgkd-test.onnx"]) == 2
        assert capsys.readouterr().err.startswith(
            "error: /proc/stgkd-test.onnx: cannot write the file there (")
    assert _files(tmp_path) == before and _files(folder) == []


def test_an_export_that_fails_midway_leaves_no_temporary_file(tmp_path, monkeypatch):
    from stgkd.export import export_onnx
    checkpoint, _ = _checkpoint(tmp_path)
    model = STGCN(3, STUDENT_BLOCKS, weights=np.ones((3, 3)) - np.eye(3))
    before = _files(tmp_path)

    def fails(module, args, f, **kwargs):
        Path(f).write_bytes(b"x" * 1_000_000)          # part of the file, then a failure
        raise RuntimeError("exporter failed")

    monkeypatch.setattr(torch.onnx, "export", fails)
    with pytest.raises(RuntimeError, match="exporter failed"):
        export_onnx(model, tmp_path / "m.onnx")
    assert _files(tmp_path) == before
