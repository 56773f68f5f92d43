"""Experiment files for a user's own network: the template `stgkd init` writes runs end to
end on tiny data; the errors a user meets name the field or file; defaults are the paper's."""
import re

import numpy as np
import pytest

from stgkd.cli import main
from stgkd.data import DEFAULT_SPLITS, synthetic_series
from stgkd.registry import KD_SETTINGS, PRUNING_SETTINGS
from stgkd.nn.stgcn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, TEACHER_BLOCKS
from stgkd.train import TrainConfig
from stgkd.userconfig import (LOSS_FIELDS, LOSS_KINDS, ConfigError, ExperimentFile, parse,
                              template)

N_NODES, STEPS_PER_DAY = 4, 48


def write_data(folder, n_nodes=N_NODES, n_days=3, graph_nodes=None):
    """A tiny speed CSV and weight CSV, as a user would have them."""
    series = synthetic_series(n_nodes=n_nodes, n_days=n_days, steps_per_day=STEPS_PER_DAY,
                              seed=0)
    np.savetxt(folder / "speeds.csv", series.values, delimiter=",", fmt="%.3f")
    weights = series.weights if graph_nodes is None else \
        synthetic_series(n_nodes=graph_nodes, n_days=1, steps_per_day=STEPS_PER_DAY).weights
    np.savetxt(folder / "weights.csv", weights, delimiter=",", fmt="%.6f")


def tiny(text: str, **fields) -> str:
    """The template with the tiny data's settings (and ``fields`` = new values) set."""
    values = {"graph": '"weights"', "steps_per_day": str(STEPS_PER_DAY), "epochs": "1",
              "losses": '["none", "lstcd"]', "levels": "[50]", "methods": '["kdis"]',
              "split_fractions": "[0.34, 0.33, 0.33]", **fields}
    for name, value in values.items():
        if value is None:
            continue
        text, count = re.subn(rf"(?m)^#? ?{name} = .*$", f"{name} = {value}", text, count=1)
        assert count == 1, name
    return text


def write_file(folder, text=None, name="net.toml", **fields):
    path = folder / name
    path.write_text(tiny(text or template("speeds.csv", "weights.csv"), **fields))
    return path


def test_template_runs_end_to_end_then_show_and_export(tmp_path, capsys):
    write_data(tmp_path)
    toml = tmp_path / "net.toml"
    assert main(["init", str(toml), "--speed-csv", "speeds.csv", "--graph-csv",
                 "weights.csv"]) == 0
    toml.write_text(tiny(toml.read_text()))
    results = tmp_path / "results"
    assert main(["--results-dir", str(results), "run", str(toml), "--quiet", "--threads",
                 "1"]) == 0
    out = capsys.readouterr().out
    runs = ["teacher", "student-no-kd", "student-lstcd", "base", "kdis-50"]
    for run in runs:
        assert f"== user/net/{run} | seed 0" in out
        assert (results / "custom" / "user" / "net" / run / "seed0.json").is_file()
    assert not list(results.rglob("*.resume.pt")) and not list(results.rglob("*.prune.pt"))

    assert main(["--results-dir", str(results), "show", str(toml)]) == 0
    table = capsys.readouterr().out
    assert all(f"user/net/{run}" in table for run in runs) and "% of teacher" in table
    assert main(["--results-dir", str(results), "show", "user/net/student-lstcd"]) == 0
    assert "90min" in capsys.readouterr().out  # step 3 of 30-minute data: 90 minutes
    checkpoint = results / "custom" / "user" / "net" / "student-lstcd" / "seed0.pt"
    pytest.importorskip("onnx")
    assert main(["export", str(checkpoint), "--output", str(tmp_path / "s.onnx")]) == 0
    assert (tmp_path / "s.onnx").is_file()
    # predict needs no --graph either: the checkpoint holds it
    np.savetxt(tmp_path / "recent.csv", np.full((12, N_NODES), 55.0), delimiter=",")
    assert main(["predict", str(checkpoint), "--input", str(tmp_path / "recent.csv"),
                 "--steps", "2"]) == 0

    # run again: every run is stored, nothing is retrained
    assert main(["--results-dir", str(results), "run", str(toml), "--quiet"]) == 0
    # a changed setting is refused rather than silently reused
    toml.write_text(toml.read_text().replace("epochs = 1", "epochs = 2"))
    assert main(["--results-dir", str(results), "run", str(toml), "--quiet"]) == 2
    assert "epochs differ" in capsys.readouterr().err


def test_init_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text("kept")
    assert main(["init", str(path)]) == 2
    assert "existing file" in capsys.readouterr().err and path.read_text() == "kept"


def test_defaults_are_the_papers_settings():
    config, written = parse(""), parse(template())
    # the template holds every default
    assert all(getattr(config, s) == getattr(written, s) for s in
               ("seeds", "device", "data", "teacher", "student", "pruning", "training"))
    assert all(config.loss_settings(k) == written.loss_settings(k) for k in LOSS_KINDS)
    assert config.teacher.blocks == TEACHER_BLOCKS and config.student.blocks == STUDENT_BLOCKS
    assert config.pruning.base_blocks == PRUNING_BASE_BLOCKS
    assert config.pruning.levels == [25, 50, 75] and config.pruning.methods == ["kdis", "taylor"]
    train = TrainConfig()
    t = config.training
    assert (t.epochs, t.batch_size, t.learning_rate, t.lr_decay, t.lr_decay_every) == \
        (train.epochs, train.batch_size, train.lr, train.lr_decay, train.lr_decay_every)
    days = DEFAULT_SPLITS["pemsd7m"]
    assert config.data.split_fractions == pytest.approx([d / sum(days) for d in days])
    assert (config.data.n_his, config.data.n_pred, config.data.horizons) == (12, 9, [3, 6, 9])
    for kind, setting in KD_SETTINGS["pemsd7m"].items():
        values = config.loss_settings(kind)
        assert {k: values[k] for k in setting["hyper"]} == setting["hyper"]
        assert values.get("batch_size") == setting.get("batch_size")
        if kind in ("lord", "ltcd", "lscd", "lstcd"):
            assert (values["lord_reduction"], values["normalise_over"]) == ("sum", "sample")
    for level in (25, 50, 75):
        setting = config.kdis_setting(level)
        assert setting["hyper"] == PRUNING_SETTINGS["pemsd7m"][level]["hyper"]
        assert setting["batch_size"] == PRUNING_SETTINGS["pemsd7m"][level]["batch_size"]
    assert config.seeds == [0] and config.device == "cpu"
    assert set(LOSS_FIELDS) == set(LOSS_KINDS)


@pytest.mark.parametrize("text, message", [
    ("colour = 1", r"unknown field 'colour'; the top-level fields and sections are: seeds, "
                   r"device, data"),
    ("[data]\nspeeds = 'a.csv'", r"unknown field data.speeds; the fields of \[data\] are: "
                                 r"speed_csv, graph_csv"),
    ("[loss.lstcd]\nbeta = 0.5", r"unknown field loss.lstcd.beta; the fields of \[loss.lstcd\] "
                                 r"are: alpha1, alpha2, alpha3"),
    ("[loss.lxyz]\nbeta = 0.5", r"unknown field loss.lxyz; .* lrd-l2, lrd-kl, lskd, lord"),
    ("[training]\nepochs = 'ten'", r"training.epochs: expected a whole number, found 'ten'"),
    ("[loss.lstcd]\nalpha1 = 1.5", r"loss.lstcd.alpha1: expected a weight in \[0, 1\], found 1.5"),
    ("[loss.lrd-l2]\nbeta = -0.1", r"loss.lrd-l2.beta: expected a weight in \[0, 1\], found -0.1"),
    ("[loss.lstcd]\ncorrelation_scale = -1", r"loss.lstcd.correlation_scale: expected a weight "
                                             r">= 0, found -1"),
    ("[loss.lord]\nnormalise_over = 'day'", r"loss.lord.normalise_over: expected one of sample, "
                                            r"batch, dataset"),
    ("[pruning]\nmethods = ['random']", r"pruning.methods: expected one of kdis, taylor"),
    ("[student]\nlosses = ['lstcd', 'kd']", r"student.losses: expected one of none, lrd-l2"),
    ("[data]\nsplit_fractions = [0.9, 0.1, 0.0]", r"data.split_fractions: .* leaves no test days"),
    ("[data]\nn_his = 200\nn_pred = 100", r"data.n_his, data.n_pred: .* no windows"),
    ("[student]\nblocks = [[1, 2, 4], [8, 2, 8]]", r"student.blocks\[1\]: expected 4 input"),
])
def test_errors_name_the_field(text, message):
    with pytest.raises(ConfigError, match=message) as error:
        parse(text, "net.toml")
    assert str(error.value).split(": ")[0].endswith("net.toml")   # the file, then the field


def run_cli(tmp_path, path, capsys) -> str:
    assert main(["--results-dir", str(tmp_path / "results"), "run", str(path), "--quiet"]) == 2
    return capsys.readouterr().err


def test_a_graph_of_another_station_count_is_refused(tmp_path, capsys):
    write_data(tmp_path, graph_nodes=N_NODES + 2)
    err = run_cli(tmp_path, write_file(tmp_path), capsys)
    assert "data.graph_csv" in err and "weights.csv" in err and "a 4x4 matrix" in err
    assert not (tmp_path / "results").exists()


def test_a_split_without_test_windows_is_refused(tmp_path, capsys):
    write_data(tmp_path)
    err = run_cli(tmp_path, write_file(tmp_path, split_fractions="[0.6, 0.3, 0.1]"), capsys)
    assert "data.split_fractions" in err and "[2, 1, 0] days" in err
    assert "no test windows" in err
    err = run_cli(tmp_path, write_file(tmp_path, split_days="[2, 1, 1]"), capsys)
    assert "both" in err   # the template's split_fractions and split_days
    text = template("speeds.csv", "weights.csv").replace("split_fractions =", "# split_fractions =")
    err = run_cli(tmp_path, write_file(tmp_path, text, split_days="[2, 1, 1]",
                                       split_fractions=None), capsys)
    assert "data.split_days: [2, 1, 1] needs 4 days" in err and "has 3" in err


def test_a_student_larger_than_its_teacher_is_refused(tmp_path, capsys):
    write_data(tmp_path)
    text = template("speeds.csv", "weights.csv").replace(
        "blocks = [[1, 2, 4], [4, 2, 8]]", "blocks = [[1, 64, 128], [128, 64, 256]]")
    err = run_cli(tmp_path, write_file(tmp_path, text), capsys)
    assert "student.blocks: expected a student smaller than its teacher" in err
    assert not (tmp_path / "results").exists()


def test_a_checkpoint_of_an_unknown_experiment_without_graph_asks_for_one(tmp_path, capsys):
    import torch
    from stgkd.io import save_torch
    from stgkd.nn.stgcn import STGCN
    model = STGCN(3, STUDENT_BLOCKS)
    save_torch(tmp_path / "seed0.pt", {"model_config": model.config,
                                       "state_dict": model.state_dict(),
                                       "scaler": {"mean": 60.0, "std": 8.0},
                                       "experiment": "user/elsewhere/student-lstcd"})
    np.savetxt(tmp_path / "recent.csv", np.full((12, 3), 55.0), delimiter=",")
    assert main(["predict", str(tmp_path / "seed0.pt"), "--input",
                 str(tmp_path / "recent.csv")]) == 2
    err = capsys.readouterr().err
    assert "not a registered experiment" in err and "--graph" in err
    del torch


def test_the_dataclass_is_the_template(tmp_path):
    # every field of every section appears in the template, with its documentation
    text = template()
    config = ExperimentFile()
    for section in ("data", "teacher", "student", "pruning", "training"):
        assert f"[{section}]" in text
        for name in getattr(config, section).__dataclass_fields__:
            assert re.search(rf"(?m)^#? ?{name} = ", text), (section, name)
    for kind in LOSS_KINDS:
        assert f"[loss.{kind}]" in text
