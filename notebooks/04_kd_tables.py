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
# # Distillation results: Tables 2-6
#
# The KD paper distils an STGCN teacher (333,604 parameters on PeMSD7) into a student
# with about 3% of its parameters, with seven losses:
#
# - **LRD(L2)**, **LRD(KL)**: response distillation, the teacher's output as a second target;
# - **LSKD**: structured distillation of the block outputs;
# - **LORD** (the paper's): per station, the target is the data or, where the data is far
#   from the teacher (D > α1), the teacher's output;
# - **LTCD**, **LSCD**, **LSTCD** (the paper's): LORD plus temporal, spatial, or both
#   correlation-distillation terms.
#
# This page puts each of its distillation tables beside our runs: Tables 2, 4 and 5
# (errors of the students), Table 3 (how often LORD used the teacher), Table 6 (the
# hyperparameters), then the paper's central claim and a tolerance summary.
#
# **How the tables are filled.** Every number labelled "ours" is read from the committed
# run results (`results/<profile>/kd/...`), the paper's from `stgkd/reference/`. A row
# uses the best profile available: **full** (the paper's settings, 50 epochs), else
# **quick** (three epochs), else **smoke** (a pipeline check on three days, far from the
# paper by design); the `profile` column names it. A row that nobody has run says
# **not yet run**; re-running `make book` after `stgkd run ...` fills it in. PeMSD8's
# rows stay "not yet run" until its full data file is supplied (see {doc}`the data chapter </_generated/01_data>`).
#
# **How we read the paper** (details in {doc}`/reading_the_paper`):
#
# - LORD's D is |teacher - target| min-max normalised over the stations of each sample
#   (eq. 5), and the loss sums over samples and stations (eq. 6), not a mean;
# - LTCD and LSCD (Table 5's ablations) run with LSTCD's α1 and α3: Table 6 has no row
#   for them;
# - the teacher is frozen; its outputs and correlation matrices for every training window
#   are computed once before training and looked up, the spatial correlations stored in
#   float16 (relative rounding at most 2⁻¹¹).

# %% tags=["parameters", "remove-cell"]
profile = "best"     # "best" (full > quick > smoke per row) or one of "full", "quick", "smoke"
results_dir = None   # None: $STGKD_RESULTS, else results/ of the checkout

# %% tags=["remove-input"]
import pandas as pd
from IPython.display import Markdown, display

from stgkd.report import (claim_check, comparison_table, coverage_line, hyperparameter_table,
                          hyperparameter_view, loss_scale_table, ours_without_paper_cell,
                          paired_gap, paired_gap_text, show,
                          show_comparison, show_reproduce, table_experiments, teacher_share_table,
                          teacher_shares, within_tolerance)
from stgkd.runs import best_profile_results, load_results

PEMSD8 = "PeMSD8's full data file is not in this build; the data chapter says how to supply it."
pd.set_option("display.max_rows", 300)
pd.set_option("display.max_columns", 30)
pd.set_option("display.width", 250)
results = load_results(results_dir, None if profile == "best" else profile)
tables = {n: comparison_table(n, results, profile) for n in (2, 4, 5)}

# %% [markdown]
# ## Table 2: LORD against response distillation
#
# For each horizon the paper's value, ours (mean over seeds) and the difference, ours
# minus paper: a positive difference is a larger error than the paper's.
#
# The paper prints the same "Student LRD(L2)" row in Tables 2 and 4; our LRD(L2)
# students fill it in both.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
show_comparison(tables[2], PEMSD8)

# %% tags=["remove-input"]
show_reproduce(table_experiments(2), profile, results, what="Table 2")

# %% [markdown]
# **LRD(KL) trains nearly the student without KD.** Seed for seed, our LRD(KL) students
# and our students without distillation end almost identical on both data sets:

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
for name, dataset in (("PeMSD7(M)", "pemsd7m"), ("Los-loop", "losloop")):
    gap = paired_gap(results, f"kd/{dataset}/student-lrd-kl", f"kd/{dataset}/student-no-kd")
    text = paired_gap_text(gap, "LRD(KL)", "the student without KD")
    display(Markdown(f"- {name}: {text}" if text else f"- {name}: no shared seed yet."))

# %% [markdown]
# A likely reason, under the pinned reading of eq. 2 (a softmax over the nodes of each
# sample, the per-node KL term averaged over batch and nodes): the KL of two softmaxes
# over 200-odd nodes is small beside the squared error, and RMSprop divides each step by
# a running size of the gradient, which undoes the (1 − β) weight on the squared error.
# So on our runs "LORD beats LRD(KL)" asks nearly the same question as "LORD beats the
# student without KD".

# %% [markdown]
# ## Table 4: LSTCD against the other distillation losses

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
show_comparison(tables[4], PEMSD8)

# %% tags=["remove-input"]
show_reproduce(table_experiments(4), profile, results, what="Table 4")

# %% [markdown]
# ## Table 5: ablation of LSTCD into LORD, LTCD and LSCD

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
show_comparison(tables[5], PEMSD8)

# %% tags=["remove-input"]
show_reproduce(table_experiments(5), profile, results, what="Table 5")

# %% [markdown]
# ## Table 3: how often LORD used the teacher
#
# The paper's "ratio of attention to teacher prediction": the share of (sample,
# station) training targets where the teacher's output replaced the data (D > α1 in
# eq. 6), over all training steps. Ours is the run's recorded `teacher_share` in percent,
# the mean over seeds; the difference is in percentage points.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
show(teacher_share_table(results, profile)[
    ["dataset", "model", "paper_pct", "ours_pct", "ours_std", "seeds", "difference", "profile"]],
     index=["dataset", "model"], names={"paper_pct": "paper (%)", "ours_pct": "ours (%)",
                                        "ours_std": "ours, std", "difference": "diff (points)"})

# %% tags=["remove-input"]
show_reproduce([e for n in (4, 5) for e in table_experiments(n) if "/student-l" in e],
               profile, results, what="Table 3 (each run's teacher_share)")

# %% [markdown]
# ## Table 6: hyperparameters as run
#
# Our values come from the experiment definitions (`stgkd.registry.KD_SETTINGS`);
# "(paper x)" would mark a value that differs from Table 6. Los-loop, which the paper
# does not use, runs with the PeMSD7 values; LTCD and LSCD have no Table 6 row.
# "stored runs" says whether the stored results recorded these same values.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
hyperparameter_view(hyperparameter_table(results))

# %% [markdown]
# ## The central claim: LSTCD beats the student without distillation
#
# The paper reports (Section 4.4, Table 4) that on PeMSD7 the LSTCD student has lower
# MAE and RMSE than the student trained without distillation. Below, both students are
# taken from one profile where one holds both, and each is averaged over the seeds both
# have there (`seeds`): a seed only one of them has is left out, since the gap between
# the two can be no larger than the gap between two seeds. `lstcd_better` is False while
# either run is missing. The paper's own numbers are beside ours.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
claim = claim_check(results, "pemsd7m", profile)
show(claim, index=["metric", "horizon_min"], once=("profile_no_kd", "profile_lstcd", "seeds"),
     names={"horizon_min": "min", "student_no_kd": "no KD (ours)",
            "student_lstcd": "LSTCD (ours)", "lstcd_better": "LSTCD better",
            "paper_no_kd": "no KD (paper)", "paper_lstcd": "LSTCD (paper)"})

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
holds = int(claim["lstcd_better"].sum())
missing = [name for name, column in (("student without KD", "student_no_kd"),
                                     ("LSTCD student", "student_lstcd"))
           if claim[column].isna().any()]
print(coverage_line("PeMSD7(M): LSTCD better than the student without KD in", holds, len(claim),
                    "MAE/RMSE cells", missing))

# %% [markdown]
# ### Investigating the claim: how much the correlation terms weigh
#
# With eq. 6 read as printed, LORD is a sum over the batch's B·N targets while LTCD and
# LSCD (eqs. 8, 10) are means over pairs, so with Table 6's weights the correlation
# terms may barely act and LTCD, LSCD and LSTCD train almost as LORD does. Below, per
# run, the weighted terms of eq. 11 (means over the training steps each run recorded,
# those since its last resume), the correlation terms' share of the loss, and how many
# of the six MAE/RMSE cells beat the student without KD. `student-lstcd-mean` is the
# alternative reading, LORD averaged over the B·N targets so that the three terms share
# a scale (not a row of the paper; {doc}`/reading_the_paper` explains it).

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
scales = {dataset: loss_scale_table(results, dataset, profile) for dataset in ("pemsd7m", "losloop")}
show(pd.concat(scales, names=["dataset"]).reset_index(level=0).reset_index(drop=True)
     .assign(experiment=lambda f: f["experiment"].str.rsplit("/", n=1).str[-1]),
     index=["dataset", "experiment"], digits=4,
     names={"weighted_lord": "LORD", "weighted_ltcd": "α3·LTCD", "weighted_lscd": "α2·LSCD",
            "correlation_share_pct": "correlation share (%)", "mae_45": "MAE 45 min",
            "no_kd_mae_45": "no-KD MAE 45 min", "better_cells": "cells better than no KD"})

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
for dataset, table in scales.items():
    for _, row in table.iterrows():
        print(f"{dataset}: {row['experiment'].rsplit('/', 1)[-1]}: correlation terms "
              f"{row['correlation_share_pct']:.2g}% of the loss, better than the student "
              f"without KD in {row['better_cells']} of 6 MAE/RMSE cells")

# %% [markdown]
# ## Within 8% of the paper?
#
# Per row of Tables 2, 4 and 5: how many of the cells we have filled are within 8% of the
# paper's error or lower (ours <= 1.08 x paper), and the worst relative difference.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
summary = pd.concat({f"Table {n}": within_tolerance(table, 8.0) for n, table in tables.items()},
                    names=["table"]).reset_index(level=0).reset_index(drop=True)
show(summary, index=["table", "dataset", "model"], digits=1,
     names={"worst_relative_difference_pct": "worst difference (%)", "all_within": "all within"})

# %% [markdown]
# ## Los-loop: the same students on a third data set
#
# The KD paper does not use Los-loop, so these runs have no paper counterpart; they use
# PeMSD7's hyperparameters. Test errors (mean over seeds), the teacher's share for the
# LORD-based students, and the same claim check.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
losloop = ours_without_paper_cell(results, profile)
losloop = losloop[losloop["experiment"].str.startswith("kd/losloop/")]
losloop = losloop.dropna(axis=1, how="all")   # horizons of other papers' runs
show(losloop.drop(columns=["experiment", "our_dataset"]), index=["paper_row", "metric"],
     once=("profile",), names={"paper_row": "model"}) if len(losloop) else "not yet run"

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
shares = teacher_shares(best_profile_results(results, profile))
shares = shares[shares["our_dataset"] == "losloop"]
show(shares.drop(columns=["experiment", "our_dataset"]), index="paper_row",
     names={"paper_row": "model", "ours_pct": "teacher share (%)", "ours_std": "std"}
     ) if len(shares) else "teacher shares: not yet run"

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
show(claim_check(results, "losloop", profile).drop(columns=["paper_no_kd", "paper_lstcd"]),
     index=["metric", "horizon_min"], once=("profile_no_kd", "profile_lstcd", "seeds"),
     names={"horizon_min": "min", "student_no_kd": "no KD", "student_lstcd": "LSTCD",
            "lstcd_better": "LSTCD better"})
