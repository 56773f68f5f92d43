# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reproduction dashboard
#
# Every number of the KD paper's result tables (Tables 1, 2, 4, 5, 7 and 8) and every
# figure the DMST-GNODE paper reports, beside ours. "paper" is the paper's number (from
# `stgkd/reference/`), "ours" the mean over the seeds we ran, "diff" ours minus paper
# (for error metrics, a positive difference means ours is worse).
#
# A cell is filled by the run whose `dataset` and `paper_row` name it, from the best
# profile available: **full** (the KD paper's settings: 50 epochs), else **quick** (three
# epochs), else **smoke** (three days of data, one epoch: a pipeline check, far from
# the paper by design). The profile column says which; "not yet run" means no run of
# that row exists yet. Table 1 sizes are **computed** from the architectures and its
# times come from the speed **benchmark**.

# %% tags=["parameters", "remove-cell"]
profile = "best"     # "best" (full > quick > smoke per row) or one of "full", "quick", "smoke"
results_dir = None   # None: $STGKD_RESULTS, else results/ of the checkout

# %% tags=["remove-input"]
import pandas as pd
from IPython.display import Markdown, display

from stgkd.report import (dashboard, dashboard_summary, dmst_budget, load_benchmark,
                          ours_without_paper_cell, provenance_table, PRUNING_LEVEL_DEFINITION, show,
                          show_comparison, show_reproduce, table_experiments)
from stgkd.runs import load_results, results_root

PEMSD8 = "PeMSD8's full data file is not in this build; the data chapter says how to supply it."

pd.set_option("display.max_rows", 300)
pd.set_option("display.max_columns", 30)
pd.set_option("display.width", 250)
results = load_results(results_dir, None if profile == "best" else profile)
loaded = load_benchmark(results_dir)
board = dashboard(results, profile, loaded[0] if loaded else None)
# the benchmark file Table 1's times come from, as a path in the repository
benchmark_file = ([f"results/{loaded[1].relative_to(results_root(results_dir)).as_posix()}"]
                  if loaded else [])
shown = list(dict.fromkeys(e for e in board["experiment"] if e))


def table_view(table: str) -> pd.DataFrame:
    """One paper table of the dashboard, horizons side by side, one table per data set,
    then its Reproduce note."""
    show_comparison(board[board["table"] == table], PEMSD8)
    show_reproduce(table_experiments(int(table.split()[-1])), profile, results, what=table)


# %% [markdown]
# ## Summary
#
# Number of paper cells per table, by where our value comes from.
#
# **Reproduce:** under each table, the `stgkd run` commands that produce it and the
# `results/` files it reads.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
dashboard_summary(board)

# %% tags=["remove-input"]
show_reproduce(shown, profile, results, also=benchmark_file, what="the summary")

# %% [markdown]
# ## Table 1: model size and cost
#
# Our FLOPs are per input window; the paper does not say what its FLOPS count covers,
# so compare ratios rather than numbers (see {doc}`the Table 1 chapter </_generated/02_table1>`).

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
table1 = board[board["table"] == "Table 1"]
show(table1[["dataset", "model", "metric", "paper_value", "ours", "difference",
             "relative_difference_pct", "profile"]], index=["dataset", "model", "metric"],
     once=(), names={"paper_value": "paper", "relative_difference_pct": "diff (%)"},
     digits={"relative_difference_pct": 1, None: 3})
show_reproduce([], profile, results, also=benchmark_file, what="Table 1 (sizes are computed "
               "from the architectures when the page is built)")

# %% [markdown]
# ## Table 2: response-based distillation (LORD against LRD)

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
table_view("Table 2")

# %% [markdown]
# ## Table 4: LSTCD against other distillation losses

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
table_view("Table 4")

# %% [markdown]
# ## Table 5: ablation of LORD, LTCD, LSCD and LSTCD

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
table_view("Table 5")

# %% [markdown]
# ## Table 7: the student with and without the pruning algorithm

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
table_view("Table 7")

# %% [markdown]
# ## Table 8: Algorithm 1 against pruning without distillation

# %% tags=["remove-input"]
display(Markdown(f"Setting: {PRUNING_LEVEL_DEFINITION}."))

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
table_view("Table 8")

# %% [markdown]
# ## DMST-GNODE: the figures of its abstract
#
# RMSE and accuracy of 20-minute forecasts, in the paper's own units. The Bangkok data
# are not public, so those cells cannot be reproduced here.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
dmst = board[board["source"] == "DMST-GNODE paper"]
show(dmst[["dataset", "our_dataset", "model", "metric", "horizon_min", "paper_value",
            "ours", "ours_std", "seeds", "difference", "profile"]],
     index=["dataset", "metric"], digits=4, by="",
     names={"our_dataset": "ours on", "horizon_min": "min", "paper_value": "paper"},
     note=f"Our DMST rows: {dmst_budget('full', results, short=True)}.")
show_reproduce([e for e in dmst["experiment"] if e], profile, results,
               what="the DMST-GNODE figures")

# %% [markdown]
# ## Our runs without a paper counterpart
#
# Runs whose data set or row the papers do not report, e.g. the KD paper's models on
# Los-loop (the KD paper uses PeMSD7 and PeMSD8 only). Mean test metrics over seeds.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
extra = ours_without_paper_cell(results, profile)
if len(extra):
    extra = extra.dropna(axis=1, how="all")
    for prefix, part in extra.groupby(extra["experiment"].str.split("/").str[0], sort=False):
        display(Markdown(f"**{prefix} runs**"
                         + (f" ({dmst_budget('full', results)})" if prefix == "dmst" else "")))
        show(part.dropna(axis=1, how="all").drop(columns=["paper_row"], errors="ignore"),
             index=["experiment", "metric"], by="our_dataset")
        show_reproduce(part["experiment"].unique(), profile, results, what=f"the {prefix} runs")
else:
    print("none")

# %% [markdown]
# ## Provenance of the runs shown
#
# Each stored run: code commit (``-dirty``: with uncommitted changes), device, torch
# version, start time and wall time in seconds.

# %% tags=["remove-input"]
provenance = provenance_table(results)
provenance = provenance.assign(
    commit=provenance["commit"].astype(str).str.replace(r"^([0-9a-f]{7})[0-9a-f]*", r"\1",
                                                        regex=True),
    started=provenance["started"].astype(str).str.slice(0, 16).str.replace("T", " "))
show(provenance, index=["experiment", "seed"], digits={"wall_time_s": 0, None: 3})
show_reproduce(provenance["experiment"].unique(), profile, results, what="this table")
