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
# # Your own network
#
# Everything in this book can be run on a sensor network of your own: two CSV files and
# one experiment file are all it takes to train an STGCN teacher, distil it into a small
# student, prune a model with the distillation loss (Algorithm 1) and export the student
# for deployment.
#
# - a **speed CSV**: one row per time step (a whole number of days, oldest first), one
#   column per station;
# - a **distance CSV** (or a weight CSV): one row and one column per station, in the same
#   order;
# - an **experiment file** (TOML) that names them and says what to train. `stgkd init`
#   writes one with every field at the KD paper's setting, each field explained in a
#   comment; an unknown field or a value out of range is an error that names the field.
#
# This page does it on a small network it builds itself: three days of 30 neighbouring
# Los-loop stations, saved as a user would have them. To run in seconds, it shortens the
# training to one epoch and prunes to one level; the same file with its defaults (50
# epochs, the paper's loss weights, pruning to 25, 50 and 75%) is what you run on your
# data.

# %% tags=["remove-input"]
import os
import shlex
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from IPython.display import Markdown, display

from stgkd.cli import main as stgkd_main
from stgkd.data import load_series
from stgkd.userrun import summary

torch.set_num_threads(1)   # small models: one thread is quick, and steady on a busy machine
workdir = Path(tempfile.mkdtemp(prefix="stgkd-your-network-"))
os.chdir(workdir)
# the results store of this page, named relative to its folder, so that the printed paths
# read as they would in the reader's own project (results/...), not as a temporary folder
os.environ["STGKD_RESULTS"] = "results"


def stgkd(command: str) -> None:
    """`stgkd <command>` as typed in a shell (the page's results go to its own folder)."""
    code = stgkd_main(shlex.split(command))
    if code:
        raise RuntimeError(f"stgkd {command} exited with status {code}")


# A user's data: 3 days of 30 connected Los-loop stations (breadth-first from the best
# linked one), the speeds [time steps, stations] and the weighted adjacency [stations,
# stations] as two plain CSV files.
losloop = load_series("losloop")
linked = losloop.weights > 0
stations, frontier = [], [int(linked.sum(axis=1).argmax())]
while frontier and len(stations) < 30:
    node = frontier.pop(0)
    if node not in stations:
        stations.append(node)
        frontier += [int(n) for n in np.flatnonzero(linked[node]) if n not in stations]
stations = sorted(stations)
speeds = losloop.values[: 3 * losloop.steps_per_day][:, stations]
weights = losloop.weights[np.ix_(stations, stations)]
pd.DataFrame(speeds, columns=[losloop.node_ids[s] for s in stations]).to_csv(
    "speeds.csv", index=False, float_format="%.2f")
np.savetxt("weights.csv", weights, delimiter=",", fmt="%.6f")
display(Markdown(
    f"`speeds.csv`: {speeds.shape[0]} rows (3 days of 5-minute readings) x "
    f"{speeds.shape[1]} stations, with a header of station ids; `weights.csv`: "
    f"{weights.shape[0]} x {weights.shape[1]} weights, {int((weights > 0).sum()) // 2} "
    f"road links."))

# %% [markdown]
# ## 1. Write the experiment file
#
# `stgkd init` writes the file (it never overwrites one), naming the two CSV files:

# %%
stgkd("init my_network.toml --speed-csv speeds.csv --graph-csv weights.csv")

# %% [markdown]
# Then set the fields that describe the data. Los-loop's file is a weight matrix, not
# distances, and its speed file has a header; three days leave room for one day each of
# training, validation and test. For this page only, the training is shortened and
# pruning goes to one level (its interval halved so that it takes a few steps):

# %% tags=["remove-input"]
data_fields = {"graph": '"weights"', "header": "true", "split_days": "[1, 1, 1]"}
short_fields = {"epochs": "1", "losses": '["none", "lstcd"]', "levels": "[50]",
                "interval_epochs": "0.5"}
text = Path("my_network.toml").read_text()
for name, value in {**data_fields, **short_fields}.items():
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith((f"{name} = ",
                                                                    f"# {name} = ")))
    lines[at] = f"{name} = {value}"
    text = "\n".join(lines) + "\n"
text = text.replace("\nsplit_fractions = ", "\n# split_fractions = ")  # split_days instead
Path("my_network.toml").write_text(text)
display(Markdown("```toml\n# [data]: your data\n"
                 + "\n".join(f"{k} = {v}" for k, v in data_fields.items())
                 + "\n# this page only: a short run\n"
                 + "\n".join(f"{k} = {v}" for k, v in short_fields.items()) + "\n```"))

# %% [markdown]
# ## 2. Run it
#
# One command trains the teacher, a student without distillation (`none`) and one
# distilled with LSTCD, the pruning base, and the base pruned by 50% with KDIS and with
# plain Taylor scores. Each run is stored as `user/my_network/<run>` in the results
# store, resumes where it stopped if interrupted, and is not repeated when the command is
# run again (a run whose settings the file has changed since is refused; `--force`
# retrains).

# %%
stgkd("run my_network.toml --quiet")

# %% [markdown]
# ## 3. Compare
#
# `stgkd show my_network.toml` prints every stored run of the file; here its table: test
# errors in mph at 15, 30 and 45 minutes and each model's size against the teacher's.

# %% tags=["remove-input"]
table = summary("my_network.toml").drop(columns=["seed", "checkpoint"])
table["run"] = table["run"].str.rsplit("/", n=1).str[-1]
display(table.set_index("run").style.format(
    {c: "{:.3f}" for c in table.columns if c.startswith(("MAE", "RMSE"))}
    | {"parameters": "{:,}", "% of teacher": "{:.1f}"}))
teacher, student = table.iloc[0], table[table["run"] == "student-lstcd"].iloc[0]
display(Markdown(
    f"The LSTCD student has {student['parameters']:,} parameters, "
    f"{student['% of teacher']:.1f}% of the teacher's {teacher['parameters']:,}. After one "
    f"epoch on one day of data these errors say only that the pipeline runs; with the "
    f"file's defaults (50 epochs) and your full data they are the comparison the paper "
    f"makes."))

# %% [markdown]
# ## 4. Export the student
#
# The checkpoint beside each result holds the model, the z-score of its training days
# and its graph, so `stgkd predict` and `stgkd export` need nothing else. The export is
# the whole 9-step forecast as one ONNX graph for onnxruntime:

# %%
stgkd("export results/custom/user/my_network/student-lstcd/seed0.pt --output student.onnx")

# %% tags=["remove-input"]
from stgkd.evaluate import rollout           # noqa: E402
from stgkd.export import OnnxForecaster      # noqa: E402
from stgkd.predict import load_checkpoint    # noqa: E402

model, scaler = load_checkpoint("results/custom/user/my_network/student-lstcd/seed0.pt")
history = torch.from_numpy(scaler.transform(speeds[-12:])).float()[None, None]
onnx_forecast = OnnxForecaster("student.onnx").predict(history.numpy())
with torch.no_grad():
    torch_forecast = rollout(model, history, 9).numpy()
gap = float(np.abs(onnx_forecast - torch_forecast).max() * scaler.std)
display(Markdown(
    f"`student.onnx` ({Path('student.onnx').stat().st_size / 1024:.0f} KiB) forecasts the "
    f"9 steps after the last hour of `speeds.csv` within {gap:.1e} mph of the PyTorch "
    f"model."))

# %% [markdown]
# ## On your data
#
# ```bash
# stgkd init my_network.toml       # then set [data]: your two CSV files, their units,
#                                  # steps per day and split
# stgkd run my_network.toml        # the paper's settings: 50 epochs per run
# stgkd show my_network.toml       # the table above
# stgkd export results/custom/user/my_network/student-lstcd/seed0.pt --output student.onnx
# ```
#
# Before anything is trained, the file and the data are checked: a graph whose station
# count differs from the speed file's, a split that leaves no test windows, a student not
# smaller than its teacher or a loss weight out of range (α1, α2 and β in [0, 1], a
# negative correlation scale) stop the run with a message naming the field or file. On a
# GPU, set `device = "cuda"`.
