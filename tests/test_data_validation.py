"""Data checked once, the same way for `stgkd data info`, `stgkd run` and the loaders:
finite readings, plausible speeds, finite non-negative symmetric graphs, every file of a
data set from one folder; each error names the file, the row and column of the first bad
cell, what was expected and what was found; a refused run stores nothing.

The data sets are tiny hand-made CSVs; every expected message is written out here from
the cells put in the files, not from the code under test.
"""
from pathlib import Path

import numpy as np
import pytest

from stgkd.cli import main
from stgkd.data import DataFormatError, load_series, locate
from stgkd.data.validate import SPEED_RANGE_MPH

IDS = ["101", "102", "103"]


def _losloop(root: Path, speeds: np.ndarray | None = None, adjacency: str | None = None) -> Path:
    """A Los-loop-shaped copy: 3 stations, 288 rows (one day), header of ids."""
    folder = root / "losloop"
    folder.mkdir(parents=True, exist_ok=True)
    if speeds is None:
        speeds = np.full((288, 3), 60.0)
    lines = [",".join(IDS)] + [",".join(f"{v:g}" for v in row) for row in speeds]
    (folder / "los_speed.csv").write_text("\n".join(lines) + "\n")
    (folder / "los_adj.csv").write_text(adjacency or "1,0.5,0\n0.5,1,0.25\n0,0.25,1\n")
    return folder


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("STGKD_DATA", str(root))
    return root


def _info_and_run(name: str, experiment: str, tmp_path: Path, capsys) -> tuple[str, str]:
    """`stgkd data info <name>` and `stgkd run <experiment> --profile smoke` on the same
    data: both must refuse it; returns their messages. The run must store nothing."""
    results = tmp_path / "results"
    assert main(["data", "info", name]) == 1
    info = capsys.readouterr().out.strip()
    assert main(["--results-dir", str(results), "run", experiment, "--profile", "smoke",
                 "--quiet"]) == 2
    run = capsys.readouterr().err.strip()
    assert not results.exists() or list(results.rglob("*")) == []  # nothing stored, no folder
    return info, run


def test_good_tiny_copy_loads(data_root):
    _losloop(data_root)
    series = load_series("losloop")
    assert series.values.shape == (288, 3) and series.node_ids == IDS
    np.testing.assert_array_equal(series.weights, [[0, 0.5, 0], [0.5, 0, 0.25], [0, 0.25, 0]])


def test_infinite_speed_refused_by_info_and_run_alike(data_root, tmp_path, capsys):
    speeds = np.full((288, 3), 60.0)
    speeds[3, 1] = np.inf                # data row 4, column 2: line 5 under the header
    folder = _losloop(data_root, speeds)
    expected = (f"{folder / 'los_speed.csv'}: expected finite speeds (an empty or NaN cell marks "
                f"a missing one), found inf at data row 4 (line 5 of the file), column 2 "
                f"(1 infinite cells in all)")
    with pytest.raises(DataFormatError) as error:
        load_series("losloop")
    assert str(error.value) == expected
    info, run = _info_and_run("losloop", "kd/losloop/student-no-kd", tmp_path, capsys)
    assert info == f"losloop: refused: {expected}"
    assert run == f"error: {expected}"


def test_negative_and_huge_speeds_refused_with_their_share(data_root, tmp_path, capsys):
    speeds = np.full((288, 3), 60.0)
    speeds[1, 0] = -5.0                  # the first bad cell: data row 2, column 1
    speeds[9, 2] = 1e30
    folder = _losloop(data_root, speeds)
    # 2 of 288 * 3 = 864 cells: 0.2315%
    expected = (f"{folder / 'los_speed.csv'}: expected speeds within [0, 200] mph (the plausible "
                f"range, stgkd.data.validate.SPEED_RANGE_MPH), found -5 at data row 2 (line 3 of "
                f"the file), column 1; 2 of 864 cells (0.231%) are outside that range. Check the "
                f"file's units and its fill value for missing readings (leave a missing reading "
                f"empty)")
    info, run = _info_and_run("losloop", "kd/losloop/student-no-kd", tmp_path, capsys)
    assert info == f"losloop: refused: {expected}" and run == f"error: {expected}"
    assert SPEED_RANGE_MPH == (0.0, 200.0)


def test_speeds_at_the_ends_of_the_range_and_missing_cells_pass(data_root):
    speeds = np.full((288, 3), 60.0)
    speeds[0, 0], speeds[1, 1], speeds[2, 2] = 200.0, 0.0, np.nan   # 0 and NaN: imputed
    _losloop(data_root, speeds)
    series = load_series("losloop")
    assert series.values[0, 0] == 200.0 and series.n_imputed == 2


def test_nan_in_losloop_adjacency_named(data_root, tmp_path, capsys):
    folder = _losloop(data_root, adjacency="1,0.5,0\n0.5,1,\n0,0.25,1\n")
    expected = (f"{folder / 'los_adj.csv'}: expected weights in every cell, found an empty or "
                f"NaN cell at data row 2, column 3 (1 in all)")
    info, run = _info_and_run("losloop", "kd/losloop/student-no-kd", tmp_path, capsys)
    assert info == f"losloop: refused: {expected}" and run == f"error: {expected}"


@pytest.mark.parametrize("adjacency, expected", [
    ("1,0.5,0\n0.5,1,0.25\n0,0.75,1\n",
     "expected symmetric weights (an undirected graph: the cell at row i, column j equal to the "
     "one at row j, column i), found 0.25 at data row 2, column 3 but 0.75 at data row 3, "
     "column 2 (1 unequal pairs in all)"),
    ("1,0.5,0\n0.5,1,-0.25\n0,-0.25,1\n",
     "expected non-negative weights, found -0.25 at data row 2, column 3 (2 negative cells in all)"),
    ("1,0.5,0\n0.5,1,inf\n0,inf,1\n",
     "expected finite weights, found inf at data row 2, column 3 (2 infinite cells in all)"),
])
def test_bad_losloop_graphs(data_root, adjacency, expected):
    folder = _losloop(data_root, adjacency=adjacency)
    with pytest.raises(DataFormatError) as error:
        load_series("losloop")
    assert str(error.value) == f"{folder / 'los_adj.csv'}: {expected}"


def test_asymmetric_pemsd7m_distances_refused_by_info_and_run_alike(data_root, tmp_path, capsys):
    folder = data_root / "pemsd7m"
    folder.mkdir()
    np.savetxt(folder / "V_228.csv", np.full((288, 228), 60.0), fmt="%.1f", delimiter=",")
    d = np.full((228, 228), 50000.0)
    np.fill_diagonal(d, 0.0)
    d[2, 5], d[5, 2] = 1000.0, 3000.0    # weights exp(-0.1) = 0.90 and exp(-0.9) = 0.41 -> 0
    np.savetxt(folder / "W_228.csv", d, fmt="%.1f", delimiter=",")
    expected = (f"{folder / 'W_228.csv'}: expected symmetric distances (an undirected graph: the "
                f"cell at row i, column j equal to the one at row j, column i), found 1000 at "
                f"data row 3, column 6 but 3000 at data row 6, column 3 (1 unequal pairs in all)")
    info, run = _info_and_run("pemsd7m", "kd/pemsd7m/student-no-kd", tmp_path, capsys)
    assert info == f"pemsd7m: refused: {expected}" and run == f"error: {expected}"


def test_files_of_one_data_set_from_two_folders_refused(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    _losloop(second)
    (first / "losloop").mkdir(parents=True)
    (second / "losloop" / "los_speed.csv").rename(first / "losloop" / "los_speed.csv")
    _losloop(tmp_path / "spare")   # a complete copy searched last: must not be mixed in
    monkeypatch.setattr(locate, "data_roots", lambda: [first, second, tmp_path / "spare"])
    with pytest.raises(DataFormatError) as error:
        load_series("losloop")
    assert str(error.value) == (
        f"{first / 'losloop'}: expected every file of losloop (los_speed.csv, los_adj.csv) from "
        f"one data folder, found los_speed.csv in {first / 'losloop'} and los_adj.csv in "
        f"{second / 'losloop'} (this folder, searched first, lacks los_adj.csv). Put los_adj.csv "
        f"in {first / 'losloop'}, or move that folder away so that every file comes from "
        f"{second / 'losloop'}")
    (second / "losloop" / "los_adj.csv").rename(first / "losloop" / "los_adj.csv")
    assert load_series("losloop").sources == [str(first / "losloop" / "los_speed.csv"),
                                              str(first / "losloop" / "los_adj.csv")]


def test_pemsd7m_station_info_only_from_the_folder_of_its_data(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "pemsd7m").mkdir(parents=True)
    (second / "pemsd7m").mkdir(parents=True)
    np.savetxt(first / "pemsd7m" / "V_228.csv", np.full((288, 228), 60.0), fmt="%.1f",
               delimiter=",")
    np.savetxt(first / "pemsd7m" / "W_228.csv", np.zeros((228, 228)), fmt="%.1f", delimiter=",")
    (second / "pemsd7m" / "station_info.csv").write_text("x,ID,Latitude,Longitude\n")
    monkeypatch.setattr(locate, "data_roots", lambda: [first, second])
    series = load_series("pemsd7m")
    assert series.coordinates is None and len(series.sources) == 2
