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
# # The data
#
# The KD paper trains on **PeMSD7(M)** (228 freeway stations of California District 7,
# 5-minute speeds on the 44 weekdays of May and June 2012) and **PeMSD8** (170 detectors
# in San Bernardino, July and August 2016). PeMSD8 in full is not available to this
# build, so the book also shows **Los-loop** (207 loop detectors in Los Angeles, one
# week of 5-minute speeds), the data set of the DMST-GNODE paper that is at hand.
# Every figure below is read from the files by `stgkd.data.load_series`.

# %% tags=["parameters", "remove-cell"]
stations = [0, 100, 200]   # station columns drawn on their own in the daily profiles

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from stgkd.data import DEFAULT_SPLITS, load_series
from stgkd.data.overview import daily_profile, dataset_overview, working_days
from stgkd.report import (Captions, legend_outside)

caption = Captions()

pd.set_option("display.max_columns", 20)
pemsd7m = load_series("pemsd7m")
losloop = load_series("losloop")

# %% [markdown]
# ## Supplying PeMSD8
#
# PeMSD8's readings are not shipped with stgkd and cannot be downloaded by it; only its
# road graph is. What to supply, where, and what `stgkd data` checks (read from
# `stgkd.data.pems08` and `stgkd.data.fetch`):

# %% tags=["remove-input"]
from IPython.display import Markdown

from stgkd.data import fetch as data_fetch
from stgkd.data import pems08 as pems08_module

edge_list = {remote.filename: remote for remote in data_fetch.REMOTES["pems08"]}
edges = edge_list[pems08_module.EDGE_FILE]
days = pems08_module.FULL_STEPS // pems08_module.STEPS_PER_DAY
channels = ", ".join(f"{i} {name} ({unit})"
                     for name, (i, unit) in pems08_module.CHANNELS.items())
Markdown(f"""
- **The readings**: `PEMS08.npz`, a NumPy archive whose key `data` holds an array of shape
  [{pems08_module.FULL_STEPS:,}, {pems08_module.N_NODES}, {len(pems08_module.CHANNELS)}]
  ({days} days of {pems08_module.STEPS_PER_DAY} five-minute steps, {pems08_module.N_NODES}
  detectors, channels {channels}). The KD paper's models use the speed channel. Public
  copies: the ASTGCN repositories (`github.com/guoshnBJTU/ASTGNN`, `data/PEMS08/PEMS08.npz`)
  or the STSGCN data archive (folder `PEMS08`).
- **The road graph**: `{edges.filename}` (`from,to,cost` per link), which
  `stgkd data fetch pems08` downloads from `{edges.repo}` at commit `{edges.commit[:7]}` and
  accepts only with sha256 `{edges.sha256}`.
- **Where**: both files in a `pems08/` folder of one data root: `$STGKD_DATA/pems08/`,
  `./data/pems08/` or `../shared/data/pems08/` (the files of one data set must come from one
  folder). `stgkd data info` then describes it; the archive has no pinned checksum, but it is
  refused unless its shape is the one above, it holds whole days and its readings pass the
  same checks as every other data set (finite, speeds within range).
- **What changes in the book**: after `stgkd run kd/pems08/teacher kd/pems08/student-lstcd ...
  --profile full` (and the `prune/pems08/...` and `dmst/pems08/...` runs), the PeMSD8 rows
  of Tables 2-5, 7 and 8, Table 3's PeMSD8 shares, the PeMSD8 panels of the pruning figures
  and the PeMS08 rows of the DMST comparison fill in on the next `make book`; until then each
  page lists the paper's PeMSD8 numbers alone and says so.
""")

# %% [markdown]
# ## Shape, splits and graphs
#
# Splits are consecutive days (train / validation / test); a window is 12 input steps
# plus 9 rollout targets and never crosses a day, so a day gives 288 - 21 + 1 = 268
# windows. `edges` counts the station pairs with a non-zero weight. PeMSD7(M)'s
# weights come from the station distances through eq. 16 (see {doc}`/reading_the_paper`);
# Los-loop ships its own weight matrix.
#
# **Reproduce:** `stgkd data fetch pemsd7m losloop` then `stgkd data info`; reads the data
# files only.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
dataset_overview([pemsd7m, losloop], DEFAULT_SPLITS)

# %% [markdown]
# ## Missing values and the imputed first row of PeMSD7(M)
#
# Neither file has a missing reading: no NaN and no zero speed, so the linear
# interpolation the paper describes (section 4.1) fills nothing (`imputed cells` is 0
# above). One row is nevertheless not an observation. The only public copy of the
# PeMSD7(M) speeds that could be obtained here (the OpenCity release) lost the original
# first row, 2012-05-01 00:00; the `V_228.csv` used here restores the file's shape by
# repeating the 00:05 row in its place (see `data/README.md` beside the data). Row 0
# therefore equals row 1. It lies in the first training day, so no validation or test
# window and no reported metric depends on it; it shifts the training scaler by a
# negligible amount.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
first_rows = pd.DataFrame({
    "row 0 equals row 1": [bool(np.array_equal(pemsd7m.values[0], pemsd7m.values[1]))],
    "row 1 equals row 2": [bool(np.array_equal(pemsd7m.values[1], pemsd7m.values[2]))],
    "NaN cells": [int(np.isnan(pemsd7m.values).sum())],
    "zero cells": [int((pemsd7m.values == 0).sum())],
}, index=pd.Index(["pemsd7m"], name="data set"))
first_rows

# %% [markdown]
# ## Where the PeMSD7(M) stations are
#
# Each dot is a station at its latitude and longitude (`station_info.csv`), coloured by
# its mean speed over all 44 days.

# %% tags=["hide-input"]
latitude, longitude = pemsd7m.coordinates[:, 0], pemsd7m.coordinates[:, 1]
fig, ax = plt.subplots(figsize=(6.5, 5.5))
points = ax.scatter(longitude, latitude, c=pemsd7m.values.mean(axis=0), cmap="RdYlGn", s=22,
                    edgecolors="black", linewidths=0.3)
fig.colorbar(points, ax=ax, label="mean speed (mph)", shrink=0.8)
ax.set_xlabel("longitude")
ax.set_ylabel("latitude")
ax.set_title("PeMSD7(M): 228 stations, coloured by mean speed")
ax.set_aspect(1 / np.cos(np.deg2rad(latitude.mean())))
plt.show()
caption("The PeMSD7(M) stations at their latitude and longitude, coloured by mean speed.")

# %% [markdown]
# ## Weight matrices
#
# Heat maps of W in station order. PeMSD7(M) keeps a pair of stations when
# exp(-(d/10^4)^2 / 0.1) >= 0.5, i.e. when they are closer than about 2,630 distance
# units of `W_228.csv`; the diagonal is zero in both.

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
for ax, series in zip(axes, (pemsd7m, losloop)):
    image = ax.imshow(series.weights, cmap="magma_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title(f"{series.name}: W [{series.n_nodes} x {series.n_nodes}]")
    ax.set_xlabel("station")
    ax.set_ylabel("station")
fig.colorbar(image, ax=axes, label="weight", shrink=0.85)
plt.show()
caption("The weight matrices W of PeMSD7(M) and Los-loop in station order.")

# %% [markdown]
# ## Daily speed profiles
#
# Mean speed by time of day over the working days: PeMSD7(M)'s 44 weekdays less
# Memorial Day (day 19, 2012-05-28, the fastest day of the set), and Los-loop's seven
# days less days 2 and 3, which have no morning congestion (the weekend; T-GCN dates the
# week 1-7 March 2012, a Thursday to a Wednesday). The thick line is the mean over all
# stations; the thin ones are single stations.

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
for ax, series in zip(axes, (pemsd7m, losloop)):
    days = working_days(series.name, series.n_days)
    profile = daily_profile(series.values, series.steps_per_day, days, stations)
    for column in profile.columns[1:]:
        ax.plot(profile.index, profile[column], linewidth=0.9, alpha=0.8, label=column)
    ax.plot(profile.index, profile["network mean"], color="black", linewidth=2.2,
            label="network mean")
    ax.set_title(f"{series.name}: mean over {len(days)} working days")
    ax.set_xlabel("hour of day")
    ax.set_xticks(range(0, 25, 3))
    ax.grid(alpha=0.3)
axes[0].set_ylabel("speed (mph)")
legend_outside(axes[1], fontsize=8)
plt.show()
caption("Mean speed by time of day over the working days: the network mean (black) and "
        "single stations (thin lines).")

# %% [markdown]
# Both networks slow down in the afternoon peak; PeMSD7(M) also in the morning. The
# forecasting task of both papers is to predict these dips 15 to 45 minutes ahead.
