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


# --- views for readers of the book -------------------------------------------------------

# How a run profile is named to readers: "full" alone could be any full thing.
PROFILE_DISPLAY: dict[str, str] = {"full": "full profile"}

# The pruning level of Table 8, defined once for every page that shows it: what
# stgkd.prune.pruning_level computes (tests check the two agree).
PRUNING_LEVEL_DEFINITION = ("pruning level = the share of the prunable parameters removed "
                            "(every parameter but the output layer's per-node bias), not "
                            "the share of channels removed")


def profile_label(text: object) -> str:
    """A profile, or a comma-separated list of profiles, as readers see it: ``full`` is
    shown as "full profile" (our runs with the KD paper's training settings);
    other names and missing values ("–") are unchanged."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return "–"
    return ", ".join(PROFILE_DISPLAY.get(p.strip(), p.strip()) for p in str(text).split(","))


def reader_columns(frame: pd.DataFrame, names: dict | None = None) -> pd.DataFrame:
    """``frame`` with column names for readers: ``names`` first, then units out of the
    suffixes (``rollout_s`` -> "rollout (s)", ``_ms``, ``_pct`` -> "(%)"), underscores to
    spaces (so that long headers wrap)."""
    names = dict(names or {})

    def readable(column: object) -> object:
        if column in names or not isinstance(column, str):
            return names.get(column, column)
        for suffix, unit in (("_per_s", " per s"), ("_ms", " (ms)"), ("_pct", " (%)"),
                             ("_s", " (s)")):
            if column.endswith(suffix):
                return column[: -len(suffix)].replace("_", " ") + unit
        return column.replace("_", " ")

    out = frame.rename(columns=readable)
    out.index = out.index.set_names([readable(n) if n is not None else None
                                     for n in out.index.names])
    return out


def reader_frame(frame: pd.DataFrame, digits: int | dict = 3, index: str | list | None = None,
                 names: dict | None = None, drop: tuple = ()) -> pd.DataFrame:
    """A table for readers: float columns as strings with ``digits`` decimals (a number, or
    a dict column -> decimals with the key ``None`` for the rest), whole-number float
    columns without decimals, NaN and missing text as "–", a ``profile`` column in
    :func:`profile_label` words; ``drop`` columns removed, ``index`` set as the row labels
    (no 0, 1, 2 ... column), headers made readable (:func:`reader_columns`)."""
    out = frame.drop(columns=[c for c in drop if c in frame.columns]).copy()
    default = digits.get(None, 3) if isinstance(digits, dict) else digits
    for column in out.columns:
        places = digits.get(column, default) if isinstance(digits, dict) else digits
        values = out[column]
        if column == "profile":
            out[column] = values.map(profile_label)
        elif column == "horizon_min" and pd.api.types.is_numeric_dtype(values):
            out[column] = values.map(lambda h: "–" if pd.isna(h) else f"{h:g}")
        elif column == "difference" and pd.api.types.is_float_dtype(values):
            out[column] = values.map(lambda v: format_number(v, True, places))
        elif pd.api.types.is_bool_dtype(values):
            out[column] = values.map(lambda v: "yes" if v else "no")
        elif pd.api.types.is_float_dtype(values):
            finite = values.dropna()
            whole = len(finite) > 0 and bool((finite == finite.round()).all()) and places > 0 \
                and bool((finite.abs() >= 100).all())
            out[column] = values.map(lambda v: format_number(v, digits=0 if whole else places))
        elif pd.api.types.is_integer_dtype(values):
            out[column] = values.map(lambda v: f"{v:,}" if abs(v) >= 10000 else f"{v}")
        else:
            out[column] = values.map(lambda v: "–" if v is None or (isinstance(v, float)
                                                                   and np.isnan(v)) or v == ""
                                     else v)
    if index is not None:
        out = out.set_index(index)
    return reader_columns(out, names)


def constant_column(frame: pd.DataFrame, column: str) -> str | None:
    """The one value of ``column`` when every row has it (so it can be said once above the
    table instead of on every row), else None."""
    if column not in frame.columns or frame.empty:
        return None
    values = frame[column].astype(str).unique()
    return values[0] if len(values) == 1 else None


def comparison_tables(frame: pd.DataFrame, missing_note: str = "") -> tuple[list, str]:
    """A comparison (:func:`~stgkd.report.comparison.comparison_table`) laid out for
    reading: one table per data set that has at least one run, indexed by model (and
    setting, where the paper table has one) and metric, with the paper's value, ours and
    the difference for each horizon. The profile is said once in the heading when every
    row shares it, else kept as a ``run`` column. A data set without any run gets a table
    of the paper's numbers alone (no column of dashes), its heading saying so and ending
    with ``missing_note``. Returns ``([(heading, table), ...], "")``."""
    from stgkd.report.comparison import NOT_YET_RUN

    tables, missing = [], []
    for dataset, part in frame.groupby("dataset", sort=False):
        if (part["profile"] == NOT_YET_RUN).all():
            missing.append(dataset)
            paper = horizon_view(part).droplevel("dataset")
            if (paper.index.get_level_values("setting") == "").all():
                paper = paper.droplevel("setting")
            paper = paper[[c for c in paper.columns if c[1] == "paper"]]
            paper.columns = [c[0] for c in paper.columns]
            note = f" {missing_note}" if missing_note else ""
            tables.append((f"{dataset}: not yet run, so only the paper's numbers are "
                           f"listed.{note}", paper))
            continue
        view = horizon_view(part).droplevel("dataset")
        if (view.index.get_level_values("setting") == "").all():
            view = view.droplevel("setting")
        profiles = view[("", "profile")].map(profile_label)
        view = view.drop(columns=[("", "profile")])
        seeds = part.loc[part["profile"] != NOT_YET_RUN, "seeds"]
        seed_text = (f"{int(seeds.iloc[0])} seed{'s' if int(seeds.iloc[0]) != 1 else ''}"
                     if seeds.nunique() == 1 else
                     f"{int(seeds.min())}-{int(seeds.max())} seeds, averaged")
        if profiles.nunique() == 1:
            heading = f"{dataset}: our runs with {profiles.iloc[0]} ({seed_text})"
        else:
            view[("", "run")] = profiles
            heading = f"{dataset}: our runs ({seed_text}; the run column names the profile)"
        view.columns = pd.MultiIndex.from_tuples(view.columns)
        tables.append((heading, view))
    return tables, ""



def show_comparison(frame: pd.DataFrame, missing_note: str = "") -> None:
    """Display :func:`comparison_tables` in a notebook: each heading in bold above its
    table, then the sentence naming the data sets not yet run."""
    from IPython.display import Markdown, display

    tables, sentence = comparison_tables(frame, missing_note)
    for heading, table in tables:
        display(Markdown(f"**{heading}**"))
        display(table)
    if sentence:
        display(Markdown(sentence))
    if not tables and not sentence:
        display(Markdown("No row of this table has been run yet."))


def drop_not_run(frame: pd.DataFrame, by: str = "dataset") -> tuple[pd.DataFrame, str]:
    """``frame`` without the rows of the values of ``by`` (a data set) that have no run at
    all (every ``profile`` "not yet run", or no ``seeds``), and one sentence naming them."""
    from stgkd.report.comparison import NOT_YET_RUN

    if by not in frame.columns or frame.empty:
        return frame, ""
    if "profile" in frame.columns:
        not_run = frame["profile"].astype(str).eq(NOT_YET_RUN)
    elif "seeds" in frame.columns:
        not_run = frame["seeds"].fillna(0).eq(0)
    else:
        return frame, ""
    empty = [value for value, rows in not_run.groupby(frame[by], sort=False) if rows.all()]
    if not empty:
        return frame, ""
    kept = frame[~frame[by].isin(empty)]
    return kept, f"{' and '.join(map(str, empty))}: not yet run (rows left out)."


def show(frame: pd.DataFrame, index: str | list | None = None, digits: int | dict = 3,
         names: dict | None = None, once: tuple = ("profile", "machine"), by: str = "dataset",
         drop: tuple = (), note: str = "") -> None:
    """Display ``frame`` for readers: the data sets not yet run left out and named in one
    sentence (:func:`drop_not_run`), each column of ``once`` that has a single value said
    once above the table rather than on every row, then :func:`reader_frame`, uncut
    whatever the notebook's pandas display options."""
    from IPython.display import Markdown, display

    frame, missing = drop_not_run(frame, by)
    said = []
    for column in once:
        value = constant_column(frame, column)
        if value is not None:
            said.append(f"{column.replace('_', ' ')}: "
                        f"{profile_label(value) if column.startswith('profile') else value}")
            frame = frame.drop(columns=[column])
            if isinstance(index, list) and column in index:
                index = [c for c in index if c != column]
    lead = "; ".join(said)
    if lead or note:
        display(Markdown(" ".join(part for part in (f"*{lead}*." if lead else "", note) if part)))
    if frame.empty:
        display(Markdown("Not yet run."))
    else:
        show_uncut(reader_frame(frame, digits=digits, index=index, names=names, drop=drop))
    if missing:
        display(Markdown(missing))


def show_uncut(frame: pd.DataFrame) -> None:
    """Display ``frame`` as it is, with every row and the whole of each cell whatever the
    notebook's pandas display options: a table in the book is read, and pandas' cut
    marks ("...") would hide what it says."""
    from IPython.display import display

    with pd.option_context("display.max_rows", None, "display.max_colwidth", None):
        display(frame)


def profile_table_markdown() -> str:
    """The introduction's table of run profiles, from the code that defines them
    (:data:`stgkd.profiles.PROFILES` and the DMST comparison's budget,
    :func:`stgkd.report.dmst_notes.dmst_budget`), so that the book never states a
    profile's settings by hand."""
    from stgkd.registry import PROFILES
    from stgkd.report.dmst_notes import dmst_budget
    meaning = {"smoke": "the pipeline works; accuracy far from the paper by design",
               "quick": "an early, under-trained view of the real result",
               "full": "the reproduction proper"}
    lines = ["| profile | what it runs | what its numbers mean |", "| --- | --- | --- |"]
    for name, profile in PROFILES.items():
        shown = f"`{name}`" + (f" (shown as \"{PROFILE_DISPLAY[name]}\")"
                               if name in PROFILE_DISPLAY else "")
        runs = profile.description
        if name == "full":
            runs += f". {dmst_budget(name)}"
        lines.append(f"| {shown} | {runs} | {meaning.get(name, '')} |")
    return "\n".join(lines) + "\n"
