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
# # Table 1: model size and cost
#
# The KD paper's Table 1 gives, for the teacher, the pruning base model and the
# student, the hidden-block channels, the number of parameters, the test time and the
# FLOPs, on PeMSD7 (228 stations) and PeMSD8 (170). Parameters and FLOPs below are
# computed now from `stgkd.nn.STGCN`; the test time comes from the speed benchmark
# (`make benchmark`, stored in `results/benchmarks/`) when one has been run. The paper's
# numbers are those of `stgkd/reference/paper_kd_tables.csv`, labelled "(paper)".

# %% tags=["parameters", "remove-cell"]
results_dir = None   # folder holding benchmarks/*.json; None: $STGKD_RESULTS, else results/

# %% tags=["remove-input"]
import pandas as pd

from stgkd.report import (display_frame, load_benchmark, relative_to_teacher, show_reproduce,
                          table1_comparison, table1_overview)
from stgkd.runs import results_root

pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 200)
loaded = load_benchmark(results_dir)
benchmark = loaded[0] if loaded else None
comparison = table1_comparison(benchmark)

# %% [markdown]
# ## The table
#
# **Reproduce:** parameters and FLOPs are computed by `stgkd.nn.STGCN` when the page is
# built; the test time needs `make benchmark`, stored in `results/benchmarks/`.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
overview = table1_overview(comparison).drop(columns=["test time s (paper)",
                                                     "test time s (ours)"])
overview["FLOPs paper / ours"] = (overview["FLOPs (paper)"]
                                  / overview["FLOPs per window (ours)"]).round().astype(int)
display_frame(overview)

# %% [markdown]
# Our parameter counts equal the paper's for all six models: the architecture read in
# {doc}`/reading_the_paper` (LayerNorm over nodes and channels, the output layer of the
# original STGCN) reproduces them exactly.
#
# Our FLOPs are those of one forward pass on one input window [1, 1, 12, N], counted by
# `torch.utils.flop_counter` (2 per multiply-add, element-wise operations not
# counted). The paper's FLOPS column is about 175 to 245 times larger (last column) and does not say what
# it counts ("on a single forward pass", of an unstated batch), so the absolute numbers
# cannot be compared; the ratios to the teacher can:

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
shares = pd.concat({"parameters": relative_to_teacher(comparison, "parameters"),
                    "FLOPs": relative_to_teacher(comparison, "flops")}, names=["quantity"])
shares = shares.reset_index(level=0).set_index(["quantity", "dataset", "model"])
shares.columns = ["% of teacher (paper)", "% of teacher (ours)"]
shares.round(2)

# %% [markdown]
# The student has about 3% of the teacher's parameters in both counts (the paper's
# "approximately 3%"); by FLOPs it is 2.6% (PeMSD7) and 2.2% (PeMSD8) for us against the
# paper's 3.5% and 2.5%.
#
# ## Test time
#
# The paper times "a batch of 1140 data", averaged over 100 runs, on a GTX 1080. The
# benchmark times the rollout of 1140 windows on its own machine, so only the ratio
# between student and teacher carries over between the two.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
times = comparison[comparison["metric"] == "test_time_s"]
display_frame(times[["dataset", "model", "paper_value", "ours", "difference", "profile"]]
              .rename(columns={"paper_value": "test time s (paper)",
                               "ours": "test time s (ours)"}).reset_index(drop=True))

# %% tags=["remove-input"]
if benchmark is not None:
    show_reproduce([], "best", also=[f"results/{loaded[1].relative_to(results_root(results_dir)).as_posix()}"],
                   what="the test times (written by `make benchmark`)")

# %% tags=["remove-input"]
if benchmark is None:
    print("Test time: not yet measured (no results/benchmarks/*.json; run `make benchmark`).")
else:
    paper = comparison[comparison["metric"] == "test_time_s"].set_index(["dataset", "model"])
    paper_ratio = (paper.loc[("PeMSD7", "Student"), "paper_value"]
                   / paper.loc[("PeMSD7", "Teacher"), "paper_value"])
    print(f"benchmark file: {loaded[1].name}")
    print("machine: " + ", ".join(f"{k}={v}" for k, v in benchmark.get("machine", {}).items()))
    print(f"student / teacher time, PeMSD7: paper {paper_ratio:.3f}, "
          f"ours {benchmark.get('ratio_student_teacher', float('nan')):.3f}")
