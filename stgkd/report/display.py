"""Number formatting and the views of comparison tables shown in the book."""
from __future__ import annotations

import numpy as np
import pandas as pd


def format_number(value: float, signed: bool = False, digits: int = 3) -> str:
    """A cell for the book: "–" for NaN, thousands separators for large whole numbers,
    else ``digits`` decimals (``signed`` adds "+" to positive numbers)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    sign = "+" if signed else ""
    if abs(value) >= 1000 and float(value).is_integer():
        return f"{value:{sign},.0f}"
    if abs(value) >= 1e5:
        return f"{value:{sign}.4g}"
    return f"{value:{sign}.{digits}f}"


def display_frame(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """``frame`` with its float columns turned into strings for the book (see
    :func:`format_number`): ``difference`` signed, ``relative_difference_pct`` as
    "+1.2%", ``horizon_min`` as "15"; missing text as "–"; other columns unchanged."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_float_dtype(out[column]):
            if not pd.api.types.is_numeric_dtype(out[column]):
                out[column] = out[column].fillna("–")
            continue
        if column == "difference":
            out[column] = out[column].map(lambda v: format_number(v, True, digits))
        elif column == "relative_difference_pct":
            out[column] = out[column].map(lambda v: "–" if np.isnan(v) else f"{v:+.1f}%")
        elif column == "horizon_min":
            out[column] = out[column].map(lambda h: "–" if np.isnan(h) else f"{h:g}")
        else:
            out[column] = out[column].map(lambda v: format_number(v, digits=digits))
    return out


def horizon_view(frame: pd.DataFrame) -> pd.DataFrame:
    """A comparison (from :func:`~stgkd.report.comparison.comparison_table` or
    :func:`~stgkd.report.comparison.dashboard`) in the papers' layout: one row per
    (data set, model, setting, metric), for each horizon the paper's value, ours and
    the difference, then the profile(s) used; strings."""
    keys = ["dataset", "model", "setting", "metric"]
    horizons = sorted(frame["horizon_min"].dropna().unique())
    rows = {}
    for key, group in frame.groupby(keys, sort=False):
        by_horizon = group.set_index("horizon_min")
        row = {}
        for h in horizons:
            cell = by_horizon.loc[h] if h in by_horizon.index else None
            row[(f"{h:g} min", "paper")] = format_number(cell["paper_value"]) if cell is not None else ""
            row[(f"{h:g} min", "ours")] = format_number(cell["ours"]) if cell is not None else ""
            row[(f"{h:g} min", "diff")] = (format_number(cell["difference"], signed=True)
                                          if cell is not None else "")
        row[("", "profile")] = ", ".join(dict.fromkeys(group["profile"]))
        rows[key] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=keys)
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out
