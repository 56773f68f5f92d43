"""PeMSD7(M): 228 stations of California District 7, 5-minute speeds, 44 weekdays of 2012."""
from __future__ import annotations

import numpy as np
import pandas as pd

from stgkd.data.errors import DataFormatError
from stgkd.data.graph import gaussian_weights
from stgkd.data.locate import find_dataset_files
from stgkd.data.readers import check_square, read_numeric_csv
from stgkd.data.series import TrafficSeries, impute_linear
from stgkd.data.validate import check_graph, check_readings, csv_locator

N_NODES = 228
STEPS_PER_DAY = 288


def load_pemsd7m(speed_file: str = "V_228.csv", distance_file: str = "W_228.csv") -> TrafficSeries:
    """Load PeMSD7(M) speeds [12672, 228] and the distance-based graph of eq. 16.

    Both the compact ``%.1f`` ``V_228.csv`` and the original 72 MB ``%.18e`` file
    parse to the same values (up to one ulp). ``W_228.csv`` holds distances,
    turned into weights by :func:`gaussian_weights`. Station coordinates come
    from ``station_info.csv`` when it is present.
    """
    files = find_dataset_files("pemsd7m", [speed_file, distance_file],
                               optional=["station_info.csv"])
    speed_path, distance_path = files[speed_file], files[distance_file]
    raw = read_numeric_csv(speed_path, header=False, expected_columns=N_NODES)
    if raw.shape[0] % STEPS_PER_DAY:
        raise DataFormatError(speed_path, f"a whole number of days of {STEPS_PER_DAY} rows",
                              f"{raw.shape[0]} rows")
    check_readings(speed_path, raw, "mph", csv_locator(speed_path), "speeds")
    speeds, n_imputed = impute_linear(raw, speed_path, zero_is_missing=True)
    distances = read_numeric_csv(distance_path, header=False)
    check_square(distance_path, distances, N_NODES, "distance matrix")
    check_graph(distance_path, distances, "distances", csv_locator(distance_path), allow_inf=True)
    weights = gaussian_weights(distances, path=distance_path)

    node_ids, coordinates, sources = None, None, [str(speed_path), str(distance_path)]
    info_path = files["station_info.csv"]
    if info_path is not None:
        info = pd.read_csv(info_path, index_col=0)
        if {"ID", "Latitude", "Longitude"} <= set(info.columns) and len(info) == N_NODES:
            node_ids = info["ID"].tolist()
            coordinates = info[["Latitude", "Longitude"]].to_numpy(dtype=np.float64)
            sources.append(str(info_path))
    return TrafficSeries("pemsd7m", speeds, weights, STEPS_PER_DAY, n_imputed, "mph",
                         node_ids, coordinates, sources)
