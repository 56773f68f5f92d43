"""Loaders: the real files in ../shared/data, PeMS08, the custom loader and bad inputs."""
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stgkd.data import (DEFAULT_SPLITS, LOADERS, DataFormatError, load_custom, load_pems08,
                        load_series)
from stgkd.data import locate, pems08
from stgkd.data.locate import find_file
from stgkd.data.readers import read_numeric_csv

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data not present")


@pytest.fixture
def only_root(tmp_path, monkeypatch):
    """Make ``tmp_path/root`` the only data root searched."""
    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.setattr(locate, "data_roots", lambda: [root])
    monkeypatch.setattr(pems08, "data_roots", lambda: [root])
    return root


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------- real data
@needs_shared
def test_pemsd7m_real():
    series = load_series("pemsd7m")
    assert series.values.shape == (12672, 228) and series.n_days == 44
    assert series.n_imputed == 0 and series.units == "mph"
    w = series.weights
    assert np.array_equal(w, w.T) and np.all(np.diag(w) == 0)
    assert int((w > 0).sum()) == 1664  # counted independently from W_228.csv
    # the STGCN code's formula, written out again here
    d = np.loadtxt(SHARED / "pemsd7m" / "W_228.csv", delimiter=",") / 1e4
    k = np.exp(-d * d / 0.1)
    np.testing.assert_array_equal(w, k * (k >= 0.5) * (1 - np.eye(228)))
    assert series.coordinates.shape == (228, 2) and len(series.node_ids) == 228
    assert 32 < series.coordinates[:, 0].mean() < 36  # latitude of Los Angeles
    assert series.values.min() == 3.0 and series.values.max() == 82.6


@needs_shared
def test_losloop_real():
    series = load_series("losloop")
    assert series.values.shape == (2016, 207) and series.n_days == 7
    w = series.weights
    assert np.array_equal(w, w.T) and np.all(np.diag(w) == 0)
    assert w.min() >= 0 and w.max() <= 1
    assert series.node_ids[:2] == ["773869", "767541"]


@needs_shared
def test_pems08_partial_speed_and_flow():
    speed = load_pems08(allow_partial=True)
    assert speed.values.shape == (1152, 170) and speed.n_days == 4  # 1282 cut to whole days
    assert speed.units == "mph" and speed.n_imputed == 0
    raw = np.load(SHARED / "pems08" / "PEMS08_PARTIAL_first1282steps.npz")["data"]
    np.testing.assert_array_equal(speed.values, raw[:1152, :, 2])
    flow = load_series("pems08", channel="flow", allow_partial=True)
    np.testing.assert_array_equal(flow.values, raw[:1152, :, 0])  # zeros kept as data
    assert (flow.values == 0).sum() > 0 and flow.units == "vehicles/5 min"

    w = speed.weights
    assert np.array_equal(w, w.T) and np.all(np.diag(w) == 0)
    edges = pd.read_csv(SHARED / "pems08" / "PEMS08.csv")
    links = {}
    for a, b, cost in edges.itertuples(index=False):
        links[(min(a, b), max(a, b))] = cost  # repeated links share their cost in this file
    assert len(links) == 274 and int((w > 0).sum()) == 2 * 274
    std = np.std(list(links.values()))
    assert w[9, 153] == pytest.approx(np.exp(-(310.6 / std) ** 2), rel=1e-12)
    linked = np.zeros((170, 170), dtype=bool)
    for a, b in links:
        linked[a, b] = linked[b, a] = True
    assert np.array_equal(w > 0, linked)  # weight exactly on the listed links


def test_pems08_absent_says_so(only_root):
    with pytest.raises(DataFormatError) as info:
        load_pems08()
    message = str(info.value)
    assert "PeMS08 is not included" in message
    assert "ASTGCN" in message and "STSGCN" in message and "17856" in message
    assert str(only_root / "pems08" / "PEMS08.npz") in message
    assert load_pems08.__name__ in LOADERS["pems08"].__name__
    assert DEFAULT_SPLITS["pems08"] == (37, 12, 13) and sum(DEFAULT_SPLITS["pems08"]) == 62


def _pems08_root(root: Path, cube: np.ndarray, name="PEMS08.npz", partial=None) -> Path:
    folder = root / "pems08"
    folder.mkdir(exist_ok=True)
    _write(folder / "PEMS08.csv", "from,to,cost\r\n0,1,2.0\r\n1,2,4.0\r\n1,0,3.0\r\n")
    np.savez_compressed(folder / name, data=cube)
    if partial is not None:
        np.savez_compressed(folder / pems08.PARTIAL_FILE, data=partial)
    return folder


def test_pems08_user_file_missing_values(only_root):
    cube = np.ones((288, 170, 3)) * np.array([100.0, 0.1, 60.0])
    cube[5, 3, 2] = 0.0      # a zero speed: missing
    cube[0, 4, 0] = 0.0      # a zero flow: data
    cube[7, 4, 0] = np.nan   # a NaN flow: missing
    cube[6, 3, 2], cube[4, 3, 2] = 50.0, 70.0
    _pems08_root(only_root, cube)
    speed = load_pems08()
    assert speed.n_imputed == 1 and speed.values[5, 3] == 60.0  # halfway between 70 and 50
    flow = load_pems08("flow")
    assert flow.n_imputed == 1 and flow.values[0, 4] == 0.0 and flow.values[7, 4] == 100.0
    # edge list: 0-1 listed twice (2.0, 3.0) keeps 2.0; links 2 and 4, std 1
    np.testing.assert_allclose(speed.weights[:3, :3], [[0, np.exp(-4), 0],
                                                       [np.exp(-4), 0, np.exp(-16)],
                                                       [0, np.exp(-16), 0]], rtol=1e-12)
    assert (speed.weights[3:] == 0).all()


def test_pems08_lowercase_name_and_explicit_path(only_root, tmp_path):
    cube = np.full((288, 170, 3), 5.0)
    folder = _pems08_root(only_root, cube, name="pems08.npz")
    assert load_pems08().values.shape == (288, 170)
    elsewhere = tmp_path / "mine.npz"
    shutil.move(folder / "pems08.npz", elsewhere)
    assert load_pems08(npz_file=elsewhere).sources[0] == str(elsewhere)


def test_pems08_full_file_checked_against_partial(only_root):
    rng = np.random.default_rng(0)
    good = rng.uniform(1, 9, (288, 170, 3))
    _pems08_root(only_root, good, partial=good[:100])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_pems08()
    bad = good.copy()
    bad[3, 3, 0] += 1
    _pems08_root(only_root, bad, partial=good[:100])
    with pytest.warns(UserWarning, match="differ from the official PeMS08 copy"):
        load_pems08()


@pytest.mark.parametrize("cube, found", [
    (np.ones((300, 170, 3)), "300 steps"),
    (np.ones((288, 169, 3)), "shape [288, 169, 3]"),
])
def test_pems08_bad_user_file(only_root, cube, found):
    folder = _pems08_root(only_root, cube)
    with pytest.raises(DataFormatError, match=str(folder / "PEMS08.npz")) as info:
        load_pems08()
    assert found in str(info.value)


def test_pems08_npz_without_data_key_or_truncated(only_root):
    folder = _pems08_root(only_root, np.ones((288, 170, 3)))
    np.savez(folder / "PEMS08.npz", flow=np.ones(3))
    with pytest.raises(DataFormatError, match=r"key 'data', found keys \['flow'\]"):
        load_pems08()
    (folder / "PEMS08.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataFormatError, match="NumPy .npz archive"):
        load_pems08()


def test_pems08_edge_list_bad_node_id(only_root):
    folder = _pems08_root(only_root, np.ones((288, 170, 3)))
    _write(folder / "PEMS08.csv", "from,to,cost\n0,1,2.0\n1,170,4.0\n")
    with pytest.raises(DataFormatError, match=r"PEMS08.csv: expected integer node ids 0..169, "
                                              r"found 170 at line 3"):
        load_pems08()


# ------------------------------------------------------------------------ $STGKD_DATA
@needs_shared
def test_stgkd_data_env_is_searched_first(tmp_path, monkeypatch):
    copy = tmp_path / "mine" / "losloop"
    copy.mkdir(parents=True)
    speeds = pd.read_csv(SHARED / "losloop" / "los_speed.csv")
    speeds.iloc[:288].to_csv(copy / "los_speed.csv", index=False)  # one day only
    shutil.copy(SHARED / "losloop" / "los_adj.csv", copy / "los_adj.csv")
    monkeypatch.setenv("STGKD_DATA", str(tmp_path / "mine"))
    assert find_file("losloop", "los_speed.csv") == copy / "los_speed.csv"
    series = load_series("losloop")
    assert series.values.shape == (288, 207) and series.sources[0] == str(copy / "los_speed.csv")


def test_find_file_missing_names_roots_and_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("STGKD_DATA", str(tmp_path))
    with pytest.raises(DataFormatError) as info:
        find_file("nowhere", "x.csv")
    message = str(info.value)
    assert "nowhere/x.csv" in message and str(tmp_path / "nowhere") in message
    assert "stgkd data fetch nowhere" in message


# ---------------------------------------------------------------- pemsd7m-style bad files
def _pemsd7m_root(root: Path, rows=288, cols=228) -> Path:
    folder = root / "pemsd7m"
    folder.mkdir(parents=True)
    np.savetxt(folder / "V_228.csv", np.full((rows, cols), 60.0), fmt="%.1f", delimiter=",")
    d = np.full((228, 228), 5000.0)
    np.fill_diagonal(d, 0)
    np.savetxt(folder / "W_228.csv", d, fmt="%.1f", delimiter=",")
    return folder


def test_pemsd7m_style_small_copy_loads(only_root):
    _pemsd7m_root(only_root)
    series = load_series("pemsd7m")
    assert series.values.shape == (288, 228) and series.coordinates is None
    assert (series.weights == 0).all()  # exp(-(0.5)^2 / 0.1) = 0.082 < 0.5


def test_pemsd7m_style_non_numeric_cell(only_root):
    folder = _pemsd7m_root(only_root)
    lines = (folder / "W_228.csv").read_text().splitlines()
    cells = lines[2].split(",")
    cells[4] = "12x.5"
    lines[2] = ",".join(cells)
    _write(folder / "W_228.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataFormatError) as info:
        load_series("pemsd7m")
    message = str(info.value)
    assert str(folder / "W_228.csv") in message
    assert "expected numeric cells, found '12x.5' at line 3, column 5" in message


def test_pemsd7m_style_wrong_shapes(only_root):
    folder = _pemsd7m_root(only_root, cols=227)
    with pytest.raises(DataFormatError, match=r"V_228.csv: expected 228 columns, found 227"):
        load_series("pemsd7m")
    np.savetxt(folder / "V_228.csv", np.full((300, 228), 60.0), fmt="%.1f", delimiter=",")
    with pytest.raises(DataFormatError, match=r"whole number of days of 288 rows, found 300"):
        load_series("pemsd7m")
    np.savetxt(folder / "V_228.csv", np.full((288, 228), 60.0), fmt="%.1f", delimiter=",")
    np.savetxt(folder / "W_228.csv", np.ones((228, 200)), fmt="%.1f", delimiter=",")
    with pytest.raises(DataFormatError, match=r"W_228.csv: expected a square distance matrix"):
        load_series("pemsd7m")


def test_pemsd7m_style_missing_file(only_root):
    folder = _pemsd7m_root(only_root)
    (folder / "W_228.csv").unlink()
    with pytest.raises(DataFormatError, match=r"pemsd7m/W_228.csv: expected a data file, found "
                                              r"no such file") as info:
        load_series("pemsd7m")
    assert "stgkd data fetch pemsd7m" in str(info.value)


# ----------------------------------------------------------------------- read_numeric_csv
def test_short_row_is_an_error_not_missing_cells(tmp_path):
    path = _write(tmp_path / "v.csv", "1,2,3\n4,5\n\n7,8,9\n")
    with pytest.raises(DataFormatError, match=r"v.csv: expected 3 comma-separated fields on every "
                                              r"line \(as on line 1\), found 2 fields on line 2"):
        read_numeric_csv(path, header=False)


def test_empty_cells_and_na_tokens_are_missing(tmp_path):
    path = _write(tmp_path / "v.csv", "a,b\n1,\nNA,2\n\n3,4\n")
    values = read_numeric_csv(path, header=True)
    np.testing.assert_array_equal(np.isnan(values), [[0, 1], [1, 0], [0, 0]])


def test_non_numeric_line_number_counts_blank_lines(tmp_path):
    path = _write(tmp_path / "v.csv", "a,b\n1,2\n\n3,oops\n")
    with pytest.raises(DataFormatError, match=r"'oops' at line 4, column 2"):
        read_numeric_csv(path, header=True)


def test_empty_file(tmp_path):
    with pytest.raises(DataFormatError, match=r"e.csv: expected a comma-separated table"):
        read_numeric_csv(_write(tmp_path / "e.csv", ""), header=False)
    with pytest.raises(DataFormatError, match=r"h.csv: expected at least one row"):
        read_numeric_csv(_write(tmp_path / "h.csv", "a,b\n"), header=True)


# -------------------------------------------------------------------------------- custom
SPEEDS = "10,20,30\n11,0,31\n12,22,\n13,23,33\n14,24,34\n15,25,35\n16,26,36\n17,27,37\n"
DIST = "0,1000,3000\n1000,0,5000\n3000,5000,0\n"


@pytest.fixture
def files(tmp_path):
    return _write(tmp_path / "speed.csv", SPEEDS), _write(tmp_path / "dist.csv", DIST)


def test_custom_loads_and_imputes(files):
    speed, dist = files
    series = load_series("custom", speed_csv=speed, distance_csv=dist, steps_per_day=4)
    assert series.name == "custom" and series.values.shape == (8, 3) and series.n_days == 2
    assert series.n_imputed == 2  # the zero and the empty cell
    assert series.values[1, 1] == 21.0 and series.values[2, 2] == 32.0
    e = 0.9048374180359595  # exp(-(0.1)^2 / 0.1)
    np.testing.assert_allclose(series.weights, [[0, e, 0], [e, 0, 0], [0, 0, 0]], rtol=1e-12)
    assert series.node_ids == [0, 1, 2] and series.sources == [str(speed), str(dist)]


def test_custom_header_and_weights_as_given(tmp_path, files):
    speed, _ = files
    _write(speed, "s1, s2 ,s3\n" + SPEEDS)
    weights = _write(tmp_path / "w.csv", "1,0.5,0\n0.5,1,0.2\n0,0.2,1\n")
    series = load_custom(speed, weights, steps_per_day=4, header=True,
                         distances_are_weights=True, name="mine")
    assert series.node_ids == ["s1", "s2", "s3"] and series.name == "mine"
    np.testing.assert_array_equal(series.weights, [[0, 0.5, 0], [0.5, 0, 0.2], [0, 0.2, 0]])


def test_custom_header_hint(files):
    speed, dist = files
    _write(speed, "s1,s2,s3\n" + SPEEDS)
    with pytest.raises(DataFormatError, match=r"'s1' at line 1, column 1.*pass header=True"):
        load_custom(speed, dist, steps_per_day=4)


def _error(**kwargs) -> str:
    with pytest.raises(DataFormatError) as info:
        load_custom(**kwargs)
    return str(info.value)


def test_custom_missing_files(tmp_path, files):
    speed, dist = files
    message = _error(speed_csv=tmp_path / "nope.csv", distance_csv=dist)
    assert f"{tmp_path / 'nope.csv'}: expected the series CSV file, found no such file" in message
    message = _error(speed_csv=speed, distance_csv=tmp_path / "nod.csv")
    assert f"{tmp_path / 'nod.csv'}: expected the distance matrix CSV file" in message


def test_custom_not_whole_days(files):
    speed, dist = files
    message = _error(speed_csv=speed, distance_csv=dist, steps_per_day=3)
    assert f"{speed}: expected a whole number of days of 3 rows" in message
    assert "found 8 rows = 2 days and 2 steps" in message


def test_custom_non_numeric_cell(files):
    speed, dist = files
    _write(speed, SPEEDS.replace("13,23,33", "13,2;3,33"))
    message = _error(speed_csv=speed, distance_csv=dist, steps_per_day=4)
    assert f"{speed}: expected numeric cells, found '2;3' at line 4, column 2" in message


def test_custom_nan_only_station(files):
    speed, dist = files
    rows = [line.split(",") for line in SPEEDS.splitlines()]
    _write(speed, "\n".join(f"{a},,{c}" for a, _, c in rows) + "\n")
    message = _error(speed_csv=speed, distance_csv=dist, steps_per_day=4)
    assert f"{speed}: expected at least one observed reading per station" in message
    assert "station column(s) [1]" in message


def test_custom_infinite_reading(files):
    speed, dist = files
    _write(speed, SPEEDS.replace("14,24,34", "14,inf,34"))
    message = _error(speed_csv=speed, distance_csv=dist, steps_per_day=4)
    assert ("expected finite readings (an empty or NaN cell marks a missing one), found inf at "
            "data row 5, column 2 (1 infinite cells in all)") in message


def test_custom_node_mismatch(tmp_path, files):
    speed, _ = files
    dist = _write(tmp_path / "d4.csv", "0,1,1,1\n1,0,1,1\n1,1,0,1\n1,1,1,0\n")
    message = _error(speed_csv=speed, distance_csv=dist, steps_per_day=4)
    assert f"{dist}: expected a 3x3 matrix" in message
    assert "speed.csv, which has 3 columns" in message
    assert "found 4x4" in message


def test_custom_wrong_shape(tmp_path, files):
    speed, _ = files
    dist = _write(tmp_path / "d.csv", "0,1,1\n1,0,1\n")
    message = _error(speed_csv=speed, distance_csv=dist, steps_per_day=4)
    assert f"{dist}: expected a square distance matrix, found shape (2, 3)" in message


def test_custom_negative_distance(tmp_path, files):
    speed, _ = files
    dist = _write(tmp_path / "d.csv", "0,1,1\n1,0,-7.5\n1,1,0\n")
    message = _error(speed_csv=speed, distance_csv=dist, steps_per_day=4)
    assert (f"{dist}: expected non-negative distances, found -7.5 at data row 2, column 3 "
            f"(1 negative cells in all)") in message
    message = _error(speed_csv=speed, distance_csv=dist, steps_per_day=4,
                     distances_are_weights=True)
    assert f"{dist}: expected non-negative weights, found -7.5 at data row 2, column 3" in message


def test_custom_nan_distance(tmp_path, files):
    speed, _ = files
    dist = _write(tmp_path / "d.csv", "0,1,1\n1,0,\n1,1,0\n")
    message = _error(speed_csv=speed, distance_csv=dist, steps_per_day=4)
    assert (f"{dist}: expected distances in every cell, found an empty or NaN cell at data row 2, "
            f"column 3 (1 in all)") in message
