"""The papers' own numbers, as shipped with the package in ``stgkd/reference/``.

Two files, both transcribed from the papers' text:

- ``paper_kd_tables.csv``: every table of the KD paper, one cell a row, columns
  ``table, dataset, model, setting, metric, horizon_min, value``.
- ``paper_dmst_gnode_reported.csv``: the few figures the DMST-GNODE paper's text
  still holds (its abstract), columns ``dataset, model, metric, horizon_min, value, where``.

The papers name data sets their own way ("PeMSD7", "PeMSD8", "PeMS08", "Los_Loop",
"BKK"); :data:`DATASET_NAMES` maps them to the names of :func:`stgkd.data.load_series`.

>>> from stgkd.reference import kd_table
>>> kd_table(1).query("model == 'Teacher' and metric == 'parameters'")["value"].tolist()
[333604.0, 296426.0]
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

KD_TABLES_FILE = "paper_kd_tables.csv"
DMST_GNODE_FILE = "paper_dmst_gnode_reported.csv"

# Paper's data set name -> ours (the name given to ``stgkd.data.load_series``);
# None where no copy of the data set is available to this package.
DATASET_NAMES: dict[str, str | None] = {
    "PeMSD7": "pemsd7m",    # KD paper: PeMSD7(M), 228 stations
    "PeMSD8": "pems08",     # KD paper: PEMS08, 170 detectors
    "PeMS08": "pems08",     # DMST-GNODE paper's spelling of the same data set
    "Los_Loop": "losloop",  # DMST-GNODE paper: Los-loop, 207 detectors
    "BKK": None,            # DMST-GNODE paper: Bangkok, not public
}

KD_COLUMNS = ["table", "dataset", "model", "setting", "metric", "horizon_min", "value"]
DMST_GNODE_COLUMNS = ["dataset", "model", "metric", "horizon_min", "value", "where"]
CELL_COLUMNS = ["source", "table", "dataset", "our_dataset", "model", "setting", "metric",
                "horizon_min", "paper_value"]


class ReferenceFileError(ValueError):
    """A reference CSV is missing or does not have the expected form."""

    def __init__(self, path: str | Path, expected: str, found: str):
        super().__init__(f"{path}: expected {expected}, found {found}")
        self.path = path


def our_dataset(paper_name: str) -> str | None:
    """Our name for a paper's data set (``"PeMSD7"`` -> ``"pemsd7m"``); None when unavailable.

    Raises:
        KeyError: the name is not one of :data:`DATASET_NAMES`.
    """
    if paper_name not in DATASET_NAMES:
        raise KeyError(f"paper data set: expected one of {sorted(DATASET_NAMES)}, "
                       f"found {paper_name!r}")
    return DATASET_NAMES[paper_name]


def paper_datasets(ours: str) -> list[str]:
    """The paper names of one of our data sets (``"pems08"`` -> ``["PeMSD8", "PeMS08"]``)."""
    return [paper for paper, name in DATASET_NAMES.items() if name == ours]


def _read_reference(path: str | Path | None, default: str, columns: list[str]) -> pd.DataFrame:
    """Read one reference CSV, checking its columns and data set names."""
    if path is None:
        path = resources.files(__name__).joinpath(default)
    path = Path(str(path))
    if not path.is_file():
        raise ReferenceFileError(path, f"the paper's reference table (shipped in "
                                 f"stgkd/reference/{default})", "no such file")
    frame = pd.read_csv(path, dtype={"dataset": str, "model": str, "metric": str})
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReferenceFileError(path, f"columns {columns}",
                                 f"columns {list(frame.columns)} (missing {missing})")
    unknown = sorted(set(frame["dataset"]) - set(DATASET_NAMES))
    if unknown:
        raise ReferenceFileError(path, f"data sets among {sorted(DATASET_NAMES)}",
                                 f"{unknown} (add them to stgkd.reference.DATASET_NAMES)")
    if frame["value"].isna().any():
        rows = (frame.index[frame["value"].isna()] + 2).tolist()[:5]
        raise ReferenceFileError(path, "a number in every value", f"empty values on lines {rows}")
    frame = frame[columns].copy()
    frame["value"] = frame["value"].astype(float)
    frame["horizon_min"] = frame["horizon_min"].astype(float)
    frame.insert(frame.columns.get_loc("dataset") + 1, "our_dataset",
                 frame["dataset"].map(DATASET_NAMES))
    return frame


def kd_tables(path: str | Path | None = None) -> pd.DataFrame:
    """All cells of the KD paper's tables.

    Args:
        path: a CSV in the form of ``stgkd/reference/paper_kd_tables.csv`` (the default).

    Returns:
        One row per cell: ``table`` (int), ``dataset`` (the paper's name),
        ``our_dataset``, ``model``, ``setting`` ("" where the table has none, else
        e.g. "pruned 25%"), ``metric`` ("MAE", "MAPE" (percent), "RMSE",
        "parameters", ...), ``horizon_min`` (15/30/45, NaN for a per-model figure)
        and ``value`` (float), in the file's order.

    Raises:
        ReferenceFileError: the file is missing or malformed.
    """
    frame = _read_reference(path, KD_TABLES_FILE, KD_COLUMNS)
    frame["table"] = frame["table"].astype(int)
    frame["setting"] = frame["setting"].fillna("").astype(str)
    return frame.reset_index(drop=True)


def kd_table(number: int, path: str | Path | None = None) -> pd.DataFrame:
    """The cells of one KD paper table (see :func:`kd_tables` for the columns).

    Raises:
        ValueError: the paper has no table ``number`` in the reference file.
    """
    tables = kd_tables(path)
    if number not in set(tables["table"]):
        raise ValueError(f"table: expected one of {sorted(set(tables['table']))}, found {number!r}")
    return tables[tables["table"] == number].reset_index(drop=True)


def dmst_gnode_reported(path: str | Path | None = None) -> pd.DataFrame:
    """The DMST-GNODE paper's reported figures (its abstract: RMSE and accuracy at 20 min).

    Returns:
        One row per figure: ``dataset``, ``our_dataset``, ``model``, ``metric``,
        ``horizon_min`` (float), ``value`` and ``where`` (the place in the paper).
    """
    return _read_reference(path, DMST_GNODE_FILE, DMST_GNODE_COLUMNS).reset_index(drop=True)


def reference_cells(kd_path: str | Path | None = None,
                    dmst_gnode_path: str | Path | None = None) -> pd.DataFrame:
    """Every paper cell of both papers in one frame, the form the dashboard uses.

    Returns:
        Columns :data:`CELL_COLUMNS`: ``source`` ("KD paper" or "DMST-GNODE paper"),
        ``table`` ("Table 2", ..., or "abstract"), ``dataset`` (paper name),
        ``our_dataset``, ``model``, ``setting``, ``metric``, ``horizon_min`` and
        ``paper_value``.
    """
    kd = kd_tables(kd_path).rename(columns={"value": "paper_value"})
    kd["table"] = "Table " + kd["table"].astype(str)
    kd.insert(0, "source", "KD paper")
    dmst = dmst_gnode_reported(dmst_gnode_path).rename(columns={"value": "paper_value",
                                                                "where": "table"})
    dmst["setting"] = ""
    dmst.insert(0, "source", "DMST-GNODE paper")
    return pd.concat([kd[CELL_COLUMNS], dmst[CELL_COLUMNS]], ignore_index=True)
