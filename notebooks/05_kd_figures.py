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
# # Distillation figures
#
# The KD paper's Figure 3 compares the LSTCD student with the teacher, the student
# without distillation and the students of the other losses, and is read in the text
# as showing "better convergence and pattern imitation". Its charts did not survive in
# the paper's text, so we draw those two things for PeMSD7(M):
#
# - **(a) convergence**: validation MAE after each epoch of training;
# - **(b) pattern imitation**: predicted against true speed of one station over 50
#   consecutive test windows, 15 minutes ahead.
#
# Then the paper's **t-SNE plot** of the hidden representation that enters the output
# layer, for 50 test windows, teacher against students.
#
# Every run comes from the committed results, in the best profile available for each
# experiment (full, else quick, else smoke); a model not yet run is named in a printed
# line and left out of the figure.

# %% tags=["parameters", "remove-cell"]
profile = "best"     # "best" (full > quick > smoke per experiment) or one profile
results_dir = None   # None: $STGKD_RESULTS, else results/ of the checkout
dataset = "pemsd7m"  # the KD data set to draw ("pemsd7m" as the paper, or "losloop")
trace_start = 60     # first test window of the traces and the t-SNE (60: early morning)
n_windows = 50       # windows traced and embedded (the paper's t-SNE uses 50)
step = 3             # rollout step shown (3 = 15 min)
node = None          # station of the traces; None: the one whose speed varies most

# %% tags=["remove-input"]
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from stgkd.data import load_series
from stgkd.registry import EXPERIMENTS
from stgkd.report import (Captions, coverage_line, kd_experiments, most_variable_node,
                          neighbour_overlap, ours, output_layer_inputs, prediction_trace,
                          RunWindows, show_reproduce, trace_mae, training_curves, tsne_embedding,
                          window_clock)
from stgkd.runs import best_profile_results, load_results, load_run_model, pick_runs

caption = Captions()

results = best_profile_results(load_results(results_dir), profile)
experiments = kd_experiments(dataset)
runs = pick_runs(results, experiments, profile)
label = {name: EXPERIMENTS[name].paper_row for name in experiments}
for run in runs.values():
    if run is not None:
        label[run["experiment"]] = ours(run["paper_row"], run["profile"])
missing = [name for name, run in runs.items() if run is None]
print(coverage_line(f"{dataset}:", len(experiments) - len(missing), len(experiments), "models run",
                    [label[m] for m in missing]))

# %% [markdown]
# ## Figure 3 (a): convergence
#
# Validation MAE (mph, mean over the 15/30/45-minute horizons) after each epoch; the
# line is the mean over seeds, the band its spread where there are several. Nine curves
# on one chart overlap, so each student has its own panel, with the teacher (black) and
# the student without distillation (grey, dashed) drawn in every panel for reference.

# %% tags=["hide-input"]
curves = training_curves(results, dataset)
curves = curves[curves["experiment"].isin(experiments)]
if curves.empty:
    print("Figure 3 (a): no training history stored for any model yet")
else:
    teacher, no_kd = f"kd/{dataset}/teacher", f"kd/{dataset}/student-no-kd"
    present = [name for name in experiments if name in set(curves["experiment"])]
    students = [name for name in present if name not in (teacher, no_kd)]
    columns = 3
    rows = max(1, -(-len(students) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(11, 2.9 * rows), sharex=True, sharey=True,
                             squeeze=False)
    mean = curves.groupby(["experiment", "epoch"])["val_mae"].agg(["mean", "min", "max"])
    top = mean["mean"].quantile(0.95)
    for ax, name in zip(axes.flat, students):
        for reference, style in ((teacher, dict(color="black", lw=1.2)),
                                 (no_kd, dict(color="0.55", lw=1.2, ls="--"))):
            if reference in mean.index.get_level_values(0):
                ax.plot(mean.loc[reference].index, mean.loc[reference]["mean"], **style)
        line = mean.loc[name]
        ax.plot(line.index, line["mean"], color="tab:red", lw=1.5)
        ax.fill_between(line.index, line["min"], line["max"], color="tab:red", alpha=0.2)
        ax.set_title(label[name], fontsize=9)
        ax.set_ylim(top=top)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(students):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("validation MAE (mph)")
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    from matplotlib.lines import Line2D
    fig.legend([Line2D([], [], color="black"), Line2D([], [], color="0.55", ls="--"),
                Line2D([], [], color="tab:red")],
               [label.get(teacher, "teacher"), label.get(no_kd, "student W/O KD"),
                "the panel's student"], loc="lower center", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, -0.03))
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    plt.show()
    caption(f"Convergence on {dataset}: validation MAE after each epoch of each of our "
            "distilled students (red; band: spread over seeds), against our teacher (black) "
            "and our student without distillation (grey, dashed).")
    show_reproduce(present, profile, results, what="this figure (each run's history)")

# %% [markdown]
# ## Figure 3 (b): predicted against true speed
#
# One station, 50 consecutive test windows of the first test day, the forecast 15
# minutes ahead (the third step of the rollout) beside what was measured. Every model
# sees the same windows; the station is the one whose speed varies most over them
# unless the `node` parameter names one.

# %% tags=["remove-input"]
try:
    series = load_series(dataset)
except (FileNotFoundError, ValueError) as error:   # e.g. PeMS08 without its data file
    series = None
    print(f"Figure 3 (b) and t-SNE: the {dataset} data file is not in this build "
          "(see the data chapter)")
run_windows = RunWindows(series, dataset)   # each run's windows, built once per split

available = {name: run for name, run in runs.items() if run is not None}
if series is not None and available:
    first = run_windows(next(iter(available.values())))
    if node is None:
        node = most_variable_node(first, trace_start, n_windows, step)
    print(f"station {node} (column {node} of the speed matrix), targets "
          f"{window_clock(first, trace_start, step, series.steps_per_day)} to "
          f"{window_clock(first, trace_start + n_windows - 1, step, series.steps_per_day)}")

# %% tags=["hide-input"]
traces = {}
if series is not None:
    for name, run in available.items():
        try:
            traces[name] = prediction_trace(run, run_windows(run), series.weights, node, n_windows,
                                            trace_start, step, results_dir)
        except (FileNotFoundError, ValueError) as error:
            print(f"{label[name]}: no trace ({error})")
if traces:
    columns = min(3, len(traces))
    rows = -(-len(traces) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows), sharey=True,
                             squeeze=False)
    for ax, (name, trace) in zip(axes.flat, traces.items()):
        ax.plot(trace["window"], trace["true_mph"], color="0.45", lw=1.5, label="measured")
        ax.plot(trace["window"], trace["predicted_mph"], color="tab:red", lw=1.2,
                label="predicted")
        mae = trace_mae(trace["predicted_mph"], trace["true_mph"])
        ax.set_title(f"{label[name]}\nMAE {mae:.2f} mph", fontsize=9)
        ax.set_xlabel("test window")
    for ax in axes.flat[len(traces):]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("speed (mph)")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    plt.show()
    caption(f"Predicted (red) against measured (grey) speed of station {node}, "
            f"{step * 5} minutes ahead, over {n_windows} consecutive test windows, one panel "
            "per model of ours; the MAE in each title is over these points only.")
    show_reproduce(list(traces), profile, results, checkpoints=True, one_seed=True,
                   what="this figure")
else:
    print("Figure 3 (b): no model checkpoint to trace yet")

# %% [markdown]
# ## t-SNE of the representation entering the output layer
#
# The paper feeds "the hidden layer representation (which functions as the input to the
# output layer) for 50 test data points" to t-SNE: here the last ST block's output,
# [channels, 4 steps, stations] per window, flattened (128 channels for the teacher, 8
# for the student). The two representations have different sizes, so each model gets
# its own t-SNE (fixed seed, the same map on every run) and the maps are drawn side by
# side, coloured by window: compare their shapes, not their coordinates. The number
# under each student is the share of each window's 5 nearest windows that its
# representation has in common with the teacher's (1 = the same neighbourhoods; about
# 0.1 for unrelated ones), computed in the original spaces. Consecutive windows look
# alike to any model, so even a student trained without distillation scores high; what
# tells is the difference between the students.

# %% tags=["remove-input"]
shown = [name for name in (f"kd/{dataset}/teacher", f"kd/{dataset}/student-no-kd",
                           f"kd/{dataset}/student-lstcd") if name in available]
features = {}
if series is not None:
    for name in shown:
        run = available[name]
        data = run_windows(run)
        try:
            model = load_run_model(run, series.weights, results_dir)
        except FileNotFoundError as error:
            print(f"{label[name]}: {error}")
            continue
        features[name] = output_layer_inputs(model, data.test[trace_start:trace_start + n_windows])
not_shown = [label[name] for name in (f"kd/{dataset}/teacher", f"kd/{dataset}/student-no-kd",
                                      f"kd/{dataset}/student-lstcd") if name not in features]
if not_shown:
    print(f"t-SNE: not yet run: {', '.join(not_shown)}")

# %% tags=["hide-input"]
if features:
    embedding = tsne_embedding(features, seed=0, perplexity=15.0)
    teacher = features.get(f"kd/{dataset}/teacher")
    fig, axes = plt.subplots(1, len(features), figsize=(4.3 * len(features), 4.0), squeeze=False)
    for ax, name in zip(axes.flat, features):
        points = embedding[embedding["model"] == name]
        scatter = ax.scatter(points["x"], points["y"], c=points["window"] + trace_start,
                             cmap="viridis", s=22, edgecolor="none")
        title = label[name]
        if teacher is not None and not name.endswith("/teacher"):
            shared = neighbour_overlap(teacher, features[name])
            title += f"\nneighbours shared with teacher: {shared:.2f}"
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(scatter, ax=axes.ravel().tolist(), label="test window", shrink=0.8)
    plt.show()
    caption(f"t-SNE maps of the representation entering the output layer for {n_windows} "
            "test windows, one map per model of ours, coloured by window; compare shapes, "
            "not coordinates.")
    show_reproduce(list(features), profile, results, checkpoints=True, one_seed=True,
                   what="this figure")
else:
    print("t-SNE: no model of this data set has a checkpoint yet")
