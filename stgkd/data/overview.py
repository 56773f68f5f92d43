"""Summaries of the data chapter: working days, daily speed profiles and an overview
of each data set."""
from __future__ import annotations

import numpy as np
import pandas as pd

# Days (0-based, from the first day of the file) that are not working days, left out
# of the daily profiles. PeMSD7(M): day 19 is Memorial Day (2012-05-28), the highest
# daily mean of its 44 weekdays. Los-loop: days 2 and 3 have no morning congestion
# (the weekend; T-GCN dates the data 1-7 March 2012, a Thursday to a Wednesday).
NON_WORKING_DAYS: dict[str, tuple[int, ...]] = {"pemsd7m": (19,), "losloop": (2, 3)}


def working_days(name: str, n_days: int) -> list[int]:
    """Indices of the working days of a data set of ``n_days`` days."""
    return [d for d in range(n_days) if d not in NON_WORKING_DAYS.get(name, ())]


def daily_profile(values: np.ndarray, steps_per_day: int, days: list[int],
                  stations: list[int]) -> pd.DataFrame:
    """Mean speed by time of day over ``days``.

    Args:
        values: [T, N] readings, T a whole number of days.
        steps_per_day: readings per day (288).
        days: the day indices to average over.
        stations: station columns to show on their own.

    Returns:
        [steps_per_day, 1 + len(stations)] frame indexed by the hour of day (float),
        column "network mean" (mean over all stations) then "station <i>".
    """
    by_day = values.reshape(-1, steps_per_day, values.shape[1])[days]   # [D, S, N]
    mean = by_day.mean(axis=0)                                           # [S, N]
    frame = pd.DataFrame({"network mean": mean.mean(axis=1)}
                         | {f"station {s}": mean[:, s] for s in stations})
    frame.index = pd.Index(np.arange(steps_per_day) * 24.0 / steps_per_day, name="hour")
    return frame


def dataset_overview(series_list: list, splits: dict[str, tuple[int, int, int]],
                     n_his: int = 12, n_pred: int = 9) -> pd.DataFrame:
    """One row per :class:`stgkd.data.TrafficSeries`: steps, stations, days, the
    train/val/test split in days and in windows (windows of ``n_his + n_pred`` steps
    inside one day), imputed cells, undirected weighted edges and mean reading."""
    rows = []
    for series in series_list:
        split = splits[series.name]
        per_day = series.steps_per_day - (n_his + n_pred) + 1
        off_diagonal = series.weights > 0
        np.fill_diagonal(off_diagonal, False)
        rows.append({
            "data set": series.name, "steps": series.values.shape[0],
            "stations": series.n_nodes, "days": series.n_days,
            "steps per day": series.steps_per_day,
            "split (days)": "/".join(str(d) for d in split),
            "split (windows)": "/".join(str(d * per_day) for d in split),
            "imputed cells": series.n_imputed, "edges": int(off_diagonal.sum()) // 2,
            f"mean ({series.units})": round(float(series.values.mean()), 3)})
    return pd.DataFrame(rows).set_index("data set")
