"""PeMS08 (PeMSD8, ASTGCN/STSGCN): 170 detectors in San Bernardino, 5-minute readings, Jul-Aug 2016.

The full ``PEMS08.npz`` (key ``data``, [17856, 170, 3] = 62 days x 288 steps x
(flow, occupancy, speed)) is NOT shipped with stgkd: the user supplies it. Only a
partial copy (the first 1282 steps) is available for tests.
"""
from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from stgkd.data.errors import DataFormatError
from stgkd.data.graph import edge_gaussian_weights
from stgkd.data.locate import data_roots, find_file
from stgkd.data.validate import check_readings
from stgkd.data.series import TrafficSeries, impute_linear

N_NODES = 170
STEPS_PER_DAY = 288
FULL_STEPS = 17856  # 62 days
EDGE_FILE = "PEMS08.csv"
PARTIAL_FILE = "PEMS08_PARTIAL_first1282steps.npz"
CHANNELS = {"flow": (0, "vehicles/5 min"), "occupancy": (1, "fraction"), "speed": (2, "mph")}
SOURCES_HINT = (
    "PeMS08 is not included with stgkd (the PEMS08_PARTIAL file holds only the first 1282 of its "
    "17856 steps and serves tests only). Get the full PEMS08.npz (key 'data', shape "
    "[17856, 170, 3], float64, about 18.5 MB) from a public copy: the ASTGCN repositories "
    "(github.com/guoshnBJTU/ASTGNN data/PEMS08/PEMS08.npz, github.com/wanhuaiyu/ASTGCN or "
    "github.com/Davidham3/ASTGCN data/PEMS08/pems08.npz) or the STSGCN data archive linked from "
    "github.com/Davidham3/STSGCN's README (STSGCN_data.tar.gz, folder PEMS08). Put it at "
    "{target} (or in a pems08/ folder under $STGKD_DATA), or pass npz_file=<path>")


def load_pems08(channel: str = "speed", npz_file: str | Path = "PEMS08.npz",
                allow_partial: bool = False, edge_file: str | Path = EDGE_FILE) -> TrafficSeries:
    """Load one channel of PeMS08 as a [T, 170] series and its road graph [170, 170].

    Readings: ``speed`` (mph; a zero is a sensor fault, treated as missing and
    imputed), ``flow`` (vehicles per 5 minutes; zeros are real readings, only
    NaN is missing) or ``occupancy`` (fraction; as flow).

    Graph: ``PEMS08.csv`` lists road links ``from,to,cost`` (node ids 0..169);
    they become a dense symmetric distance matrix (``inf`` where no link is
    listed, 0 on the diagonal; a link listed twice keeps its shortest cost).
    The KD paper's eq. 16 constants (sigma^2 = 0.1, epsilon = 0.5, distances
    / 10^4) are tuned to PeMSD7(M)'s distance units and do not carry over, so
    the weights follow the DCRNN/ASTGCN reading of an edge list:
    ``W_ij = exp(-(d_ij / std)^2)`` on listed links, ``std`` the standard
    deviation of the listed link costs (each link counted once), ``W_ii = 0``
    and 0 where no link is listed; no threshold (see
    :func:`stgkd.data.graph.edge_gaussian_weights`).

    Args:
        channel: ``"speed"``, ``"flow"`` or ``"occupancy"``.
        npz_file: file name searched in the data roots' ``pems08/`` folders, or a
            path to the file.
        allow_partial: when the full file is absent, load the partial test copy
            instead, cut to its 4 whole days (1152 steps). Never for results.
        edge_file: the edge list, searched like ``npz_file``.

    Raises:
        DataFormatError: the full file is absent (and not ``allow_partial``), or a
            file does not hold what is described above.
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel: expected one of {sorted(CHANNELS)}, found {channel!r}")
    npz_path, partial = _locate_npz(npz_file, allow_partial)
    edge_path = _resolve(edge_file, required=True)
    _check_one_folder(npz_path, npz_file, edge_path, edge_file)
    cube = read_pems_npz(npz_path)
    n_steps = cube.shape[0]
    if partial:
        n_steps -= n_steps % STEPS_PER_DAY
        cube = cube[:n_steps]
    elif n_steps % STEPS_PER_DAY:
        raise DataFormatError(npz_path, f"a whole number of days of {STEPS_PER_DAY} steps "
                              f"({FULL_STEPS} for the full PeMS08)", f"{n_steps} steps")
    else:
        _compare_with_partial(npz_path, cube)
    index, units = CHANNELS[channel]
    check_readings(npz_path, cube[:, :, index], units,
                   lambda step, node: f"data[{step}, {node}, {index}] (time step {step}, "
                                      f"station {node})", f"{channel} readings")
    values, n_imputed = impute_linear(cube[:, :, index], npz_path,
                                      zero_is_missing=channel == "speed")
    distances = read_edge_list(edge_path, N_NODES)
    weights = edge_gaussian_weights(distances, path=edge_path)
    return TrafficSeries("pems08", values, weights, STEPS_PER_DAY, n_imputed, units,
                         list(range(N_NODES)), None, [str(npz_path), str(edge_path)])


def read_pems_npz(path: Path, n_nodes: int = N_NODES) -> np.ndarray:
    """The ``data`` array of a PeMS npz as float64 [T, n_nodes, 3]."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "data" not in archive.files:
                raise DataFormatError(path, "an npz archive with the key 'data'",
                                      f"keys {archive.files}")
            cube = np.asarray(archive["data"], dtype=np.float64)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        if isinstance(error, DataFormatError):
            raise
        raise DataFormatError(path, "a NumPy .npz archive", f"unreadable content ({error})",
                              "The file may be truncated; download it again") from None
    if cube.ndim != 3 or cube.shape[1:] != (n_nodes, 3) or cube.shape[0] == 0:
        raise DataFormatError(path, f"data of shape [T, {n_nodes}, 3] (flow, occupancy, speed)",
                              f"shape {list(cube.shape)}")
    return cube


def read_edge_list(path: Path, n_nodes: int = N_NODES) -> np.ndarray:
    """Dense symmetric [n_nodes, n_nodes] distances from a ``from,to,cost`` edge list.

    ``inf`` where no link is listed, 0 on the diagonal; a pair listed more than
    once (in either direction) keeps its smallest cost. CRLF or LF line endings.
    """
    try:
        edges = pd.read_csv(path, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataFormatError(path, "a CSV edge list with header from,to,cost",
                              f"unreadable content ({error})") from None
    edges.columns = [str(c).strip() for c in edges.columns]
    if list(edges.columns[:3]) != ["from", "to", "cost"]:
        raise DataFormatError(path, "a CSV edge list with header from,to,cost",
                              f"header {','.join(edges.columns)}")
    ids = edges[["from", "to"]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    cost = pd.to_numeric(edges["cost"], errors="coerce").to_numpy(dtype=np.float64)
    bad_id = ~np.isfinite(ids) | (ids != np.round(ids)) | (ids < 0) | (ids >= n_nodes)
    if bad_id.any():
        row, col = np.argwhere(bad_id)[0]
        raise DataFormatError(path, f"integer node ids 0..{n_nodes - 1}",
                              f"{_shown(edges.iat[row, col])} at line {row + 2}")
    bad_cost = ~np.isfinite(cost) | (cost < 0)
    if bad_cost.any():
        row = int(np.flatnonzero(bad_cost)[0])
        raise DataFormatError(path, "a finite non-negative cost on every line",
                              f"{_shown(edges['cost'].iat[row])} at line {row + 2}")
    distances = np.full((n_nodes, n_nodes), np.inf)
    i, j = ids[:, 0].astype(int), ids[:, 1].astype(int)
    np.minimum.at(distances, (i, j), cost)
    distances = np.minimum(distances, distances.T)
    np.fill_diagonal(distances, 0.0)
    return distances


def _shown(value) -> str:
    """A cell as it reads in the file: numbers bare, text quoted."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _resolve(name: str | Path, required: bool) -> Path | None:
    """A path as given when it exists (or is absolute), else the data roots' ``pems08/<name>``."""
    candidate = Path(name).expanduser()
    if candidate.is_file():
        return candidate
    if candidate.is_absolute():
        if required:
            raise DataFormatError(candidate, "a data file", "no such file")
        return None
    return find_file("pems08", str(name), required=required)


def _check_one_folder(npz_path: Path, npz_file, edge_path: Path, edge_file) -> None:
    """Refuse a data file and an edge list found in two different data folders (a file
    passed as a path is the caller's choice, not checked)."""
    if Path(npz_file).expanduser().is_file() or Path(edge_file).expanduser().is_file():
        return
    if npz_path.parent.resolve() != edge_path.parent.resolve():
        raise DataFormatError(npz_path.parent, "every file of pems08 from one data folder",
                              f"{npz_path.name} in {npz_path.parent} and {edge_path.name} in "
                              f"{edge_path.parent}",
                              f"Put both in one folder (the first searched: "
                              f"{data_roots()[0] / 'pems08'})")


def _locate_npz(npz_file: str | Path, allow_partial: bool) -> tuple[Path, bool]:
    """The full file if found, else the partial one when allowed; ``(path, is_partial)``."""
    names = [npz_file]
    if str(npz_file) == "PEMS08.npz":
        names.append("pems08.npz")  # the ASTGCN repository's spelling
    for name in names:
        path = _resolve(name, required=False)
        if path is not None:
            return path, False
    if allow_partial:
        return _resolve(PARTIAL_FILE, required=True), True
    target = Path(npz_file)
    if not target.is_absolute():
        target = data_roots()[0] / "pems08" / npz_file
    searched = ", ".join(str(root / "pems08") for root in data_roots())
    raise DataFormatError(target, "the full PeMS08 data file",
                          f"no such file (searched {searched})",
                          SOURCES_HINT.format(target=target))


def _compare_with_partial(npz_path: Path, cube: np.ndarray) -> None:
    """Warn when a full file's first steps differ from the known-good partial copy."""
    partial_path = find_file("pems08", PARTIAL_FILE, required=False)
    if partial_path is None or partial_path.resolve() == npz_path.resolve():
        return
    reference = read_pems_npz(partial_path)
    n = min(len(reference), len(cube))
    if not np.array_equal(reference[:n], cube[:n], equal_nan=True):
        warnings.warn(f"{npz_path}: its first {n} steps differ from the official PeMS08 copy "
                      f"({partial_path}); it may be a different or re-processed file",
                      stacklevel=3)
