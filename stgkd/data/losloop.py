"""Los-loop (T-GCN): 207 loop detectors in Los Angeles, 5-minute speeds, 7 days."""
from __future__ import annotations

import numpy as np
import pandas as pd

from stgkd.data.errors import DataFormatError
from stgkd.data.locate import find_dataset_files
from stgkd.data.readers import check_square, read_numeric_csv
from stgkd.data.series import TrafficSeries, impute_linear
from stgkd.data.validate import check_graph, check_readings, csv_locator

STEPS_PER_DAY = 288


def load_losloop(speed_file: str = "los_speed.csv", adjacency_file: str = "los_adj.csv") -> TrafficSeries:
    """Load Los-loop speeds [2016, 207] (header row of sensor ids) and its weights.

    ``los_adj.csv`` already holds weights in [0, 1]; its unit diagonal is set
    to zero so the graph matches the STGCN convention (``W_ii = 0``).
    """
    files = find_dataset_files("losloop", [speed_file, adjacency_file])
    speed_path, adjacency_path = files[speed_file], files[adjacency_file]
    raw = read_numeric_csv(speed_path, header=True)
    node_ids = pd.read_csv(speed_path, nrows=0).columns.tolist()
    if raw.shape[0] % STEPS_PER_DAY:
        raise DataFormatError(speed_path, f"a whole number of days of {STEPS_PER_DAY} rows",
                              f"{raw.shape[0]} rows")
    check_readings(speed_path, raw, "mph", csv_locator(speed_path, header=True), "speeds")
    speeds, n_imputed = impute_linear(raw, speed_path, zero_is_missing=True)
    weights = read_numeric_csv(adjacency_path, header=False)
    check_square(adjacency_path, weights, raw.shape[1], "adjacency matrix")
    check_graph(adjacency_path, weights, "weights", csv_locator(adjacency_path))
    weights = weights.copy()
    np.fill_diagonal(weights, 0.0)
    return TrafficSeries("losloop", speeds, weights, STEPS_PER_DAY, n_imputed, "mph",
                         node_ids, None, [str(speed_path), str(adjacency_path)])
