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
# # Verdicts: which claims hold, seed for seed
#
# Each claim of the two papers that our runs can test is a comparison of two models:
# the one the paper proposes (LSTCD, Algorithm 1, DMST-GNODE) against the one it says it
# beats. A single run of each decides nothing: two seeds of one model differ by as much as
# the effects the papers report. So every verdict here pairs the two models **seed for
# seed**: the same seed gives both the same data order, and the differences
# `proposed − baseline` over the seeds both have give a mean and a **95% interval by the
# paired t method** (mean ± t(0.975, n − 1) · s / √n). Per metric (MAE, RMSE) and horizon
# the verdict is one of three words:
#
# - **holds**: the whole interval is below zero: the proposed model's error is lower;
# - **fails**: the whole interval is above zero: it is higher;
# - **within noise**: the interval contains zero: these seeds cannot tell the two apart.
#
# With one paired seed there is no interval (**too few seeds**); a claim whose two sides
# share no seed yet is **not compared**. A claim's word sums its cells up: *holds* when
# every cell holds, *fails* when some fail and none hold, *within noise* when all are,
# *mixed* otherwise. Each cell is read on its own; the section *Many cells at once* below
# says which verdicts survive a correction for reading many cells together.
#
# **Seeds.** Every distilled student, whatever its seed, distils from the seed-0 teacher
# of its data set, and every pruning run prunes the seed-0 pruning base: the seed changes
# the student's initial weights and the order of its minibatches, not the teacher. All runs
# compared here use the `full` run profile (the paper's 50 epochs and settings; the DMST
# comparison's own profile is 60 epochs of Adam, not that paper's 600).
#
# **Which epoch.** The KD paper does not say which epoch it reports. Our default is the
# epoch with the best validation MAE; the last epoch and the rule of the original STGCN
# code (the last epoch at which any of the nine validation metrics improved) are read from
# the stored per-epoch test metrics without retraining, for runs that recorded them.

# %% tags=["parameters", "remove-input"]
results_dir = None   # None: $STGKD_RESULTS, else results/ of the checkout

# %% tags=["remove-input"]
import pandas as pd
from IPython.display import Markdown

from stgkd.report import (claim_cells, claim_family_verdicts, claim_verdicts, claim_view,
                          claims_needed, CLAIMS, convergence_verdicts, corrected_claims,
                          corrected_view, correction_summary, interval_text, resolution_cells,
                          resolution_counts, resolution_summary, resolution_view,
                          profile_table_markdown, readings_needed, readings_plan,
                          readings_summary, rows_needed, rule_comparison,
                          settle_plan, show_reproduce, show_uncut, tried_table,
                          teacher_share_intervals, teacher_share_table, verdict_markdown,
                          verdicts_by_rule)
from stgkd.runs import load_results
from stgkd.selection import RULES

pd.set_option("display.max_rows", 100)
pd.set_option("display.max_colwidth", 80)
results = load_results(results_dir, "full")
every_cell = claim_cells(results)        # each claim's cells: metric and horizon
verdicts = claim_verdicts(results, cells=every_cell)
resolution = resolution_cells(results, cells=every_cell)   # the paper's effect against our intervals
# every run a claim compares: its proposed model and its baseline, on each data set
CLAIM_RUNS = list(dict.fromkeys(name.format(dataset=d) for claim in CLAIMS for d in claim.datasets
                                for name in (claim.claimed, claim.baseline)))

# %% tags=["remove-cell"]
# the short verdict table the book's introduction includes
from pathlib import Path
Path("../book/_generated").mkdir(parents=True, exist_ok=True)
Path("../book/_generated/verdict_summary.md").write_text(
    verdict_markdown(verdicts, convergence_verdicts(results), resolution_summary(resolution),
                     claim_family_verdicts(every_cell)))
# and its table of run profiles, from the code that defines them
Path("../book/_generated/profiles.md").write_text(profile_table_markdown())

# %% [markdown]
# ## Every claim, best-validation epoch
#
# For each claim and data set: in how many of its six MAE and RMSE cells the **paper's
# own figures** have the proposed model lower; the number `n` of paired seeds; the mean
# **MAE difference**, proposed − baseline (negative: the proposed model is better), at
# each horizon with its 95% interval; how many of the six cells hold, fail or are within
# noise; and the verdict. The KD paper uses PeMSD7 and PeMSD8, not Los-loop, so the
# Los-loop rows have no paper figures; the DMST-GNODE paper prints no baseline figures we
# could use (its tables did not survive), so its rows have none either.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
for paper_name, group in verdicts.groupby("paper", sort=False):
    display(Markdown(f"**{paper_name}**"))
    display(claim_view(group))

# %% tags=["remove-input"]
show_reproduce(CLAIM_RUNS, "full", results, what="the verdict tables of this page")

# %% [markdown]
# The figures behind each claim: MAE at each horizon of the proposed model against the
# baseline, in the paper and in ours (mean over the paired seeds).

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
figures = verdicts.assign(claim=verdicts["source"] + ": " + verdicts["statement"])
figures = figures[["claim", "dataset", "paper_figures", "ours_claimed", "ours_baseline"]]
figures.rename(columns={"dataset": "data set", "paper_figures": "paper (proposed against baseline)",
                        "ours_claimed": "ours, proposed", "ours_baseline": "ours, baseline"}
               ).replace("", "–").set_index(["claim", "data set"])

# %% [markdown]
# ## The verdicts in numbers

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
summary = (verdicts.groupby(["paper", "verdict"]).size().unstack(fill_value=0)
           .rename_axis(columns=None))
summary

# %% [markdown]
# ## Can the seeds tell the paper's effect from none?
#
# *Within noise* says that our interval contains zero, not that it also contains the
# effect the paper reports. Where the paper prints both rows, its own difference
# (proposed − baseline, in mph) is read against our 95% interval: it **rules out the
# paper's effect** when the paper's difference lies outside our interval (ours smaller,
# or the other way round), it **exceeds the paper's effect** when the paper's difference
# lies between zero and our interval (the same direction, ours larger), it **cannot
# tell** when the interval holds both zero and the paper's difference, and it **agrees
# with the paper** when it holds the paper's difference and not zero. Our errors are not
# the paper's (our student without distillation is 6-10% better on PeMSD7(M)), but the
# paper states its claims as differences of its rows, so the differences are set side by
# side. Each cell is a 95% interval of its own: at three seeds one cell in twenty may
# rule out an effect that is there (the next section but one corrects for the many
# cells). Only PeMSD7(M) has paper figures (the KD paper does not use Los-loop).

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
show_uncut(resolution_view(resolution))
counts = resolution_counts(resolution)
Markdown("Over the MAE and RMSE cells of these claims: " + "; ".join(
    f"{row.resolution}: {row.cells}" for row in counts.itertuples()) + ".")

# %% [markdown]
# A rule fixed before any run beyond seed 2 of the claims it names: a claim with at least
# three paired seeds and an MAE cell that *cannot tell* is brought to **five** paired
# seeds (seeds 3 and 4); the runs are in the next section's plan.

# %% [markdown]
# ## Many cells at once
#
# Each cell's verdict uses its own 95% interval. This page reads a great many of them, so
# even if no claim had any effect, one cell in twenty would read *holds* or *fails* by
# chance. **Holm's step-down correction** keeps the chance of even one such verdict at 5%
# over a family of cells: sort the family's m paired-t p-values, multiply the smallest by
# m, the next by m − 1, and so on (never letting an adjusted value fall below the one
# before it); a cell keeps its *holds* or *fails* when its adjusted value stays below
# 0.05. It needs no assumption about how the cells depend on each other (the cells of one
# claim share their seeds). Two families are read:
#
# - **within the claim**: its MAE and RMSE cells at the three horizons on one data set
#   (at most six). Does this claim hold, whichever cell shows it?
# - **over the page**: every cell with an interval, on both papers and both data sets.
#
# The table lists every claim with at least one cell that holds or fails on its own.
# The verdicts elsewhere on this page stay per cell. This section says which of them
# survive the correction.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
show_uncut(corrected_view(corrected_claims(every_cell)))
Markdown(correction_summary(every_cell))

# %% [markdown]
# With three seeds a paired t test has two degrees of freedom, and the bars above are
# steep. The best cell of a family of m cells must reach a p-value below 0.05 / m. Over
# the whole page, three to five seeds give a verdict only to a difference many times its
# own seed spread. Within a claim, a consistent effect can pass (the table shows which
# do). A verdict that no longer stands after the correction is what the seeds
# suggest, not what they prove.

# %% [markdown]
# ## What was tried
#
# For each claim: the seeds its verdict pairs, the verdict, whether the two other epoch
# rules (the last epoch; the original STGCN code's last epoch at which any validation
# metric improved) change it, and the other readings of the paper it was asked under,
# with the runs stored for each. The readings are set out on the pages of the claims:
# the correlation terms and α1 in the correlation chapter, Table 8's arms in the pruning
# chapter, the target scaling, ST module and ablations in the DMST chapter.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
by_rule_all = verdicts_by_rule(results, RULES)    # also the "by rule" table below
tried = tried_table(results, verdicts=verdicts, by_rule=by_rule_all)
show_uncut(tried.assign(claim=tried["source"] + ": " + tried["statement"])
           .rename(columns={"dataset": "data set", "other rules": "other epoch rules"})
           .set_index(["claim", "data set"])
           [["seeds", "verdict", "other epoch rules", "other readings"]])

# %% [markdown]
# ## What would settle the open verdicts
#
# Every claim with fewer than three paired seeds, and the runs that would bring it to
# three (or to five, where three seeds cannot tell the paper's effect from none, as
# above): seeds both sides already have come first, then seeds one side has, then new
# ones. The CPU hours are the sum, over the runs to add, of the median wall time of the
# experiment's stored runs on this project's 2-core CPU (one or two threads, often beside
# another run; runs on a GPU are left out), so a rough guide only; "–" where no CPU run of
# an experiment is stored.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
def hours_text(hours):
    """CPU hours as the tables show them: "–" unknown, "< 0.1", else one decimal."""
    return "–" if pd.isna(hours) else "< 0.1" if hours < 0.05 else f"{hours:.1f}"


# the claims below three paired seeds, then those the rule above sends to five
needed = claims_needed(results, cells=resolution)
if len(needed):
    show_uncut(needed.assign(claim=needed["source"] + ": " + needed["statement"],
                             cpu_hours=needed["cpu_hours"].map(hours_text))
               [["claim", "dataset", "paired", "target", "to_add", "cpu_hours"]]
               .rename(columns={"dataset": "data set", "paired": "paired seeds now",
                                "target": "seeds to reach", "to_add": "runs to add",
                                "cpu_hours": "CPU hours"})
               .set_index(["claim", "data set"]))
else:
    display(Markdown("Every claim has the paired seeds it needs."))

# %% [markdown]
# Rows of the paper's tables that no claim compares (the teacher, LRD(L2), the pruning
# base), below three seeds:

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
unclaimed = rows_needed(results)
(unclaimed.assign(cpu_hours=unclaimed["cpu_hours"].map(hours_text))
 [["experiment", "stored", "to_add", "cpu_hours"]]
 .rename(columns={"stored": "seeds stored", "to_add": "runs to add", "cpu_hours": "CPU hours"})
 .set_index("experiment") if len(unclaimed) else Markdown("Each of them has three seeds."))

# %% tags=["remove-input"]
plan = settle_plan(needed, unclaimed, results)
if plan["runs"]:
    runs, unknown = plan["runs"], plan["unknown"]
    display(Markdown(
        f"In all {runs} runs, about {plan['hours']:.0f} CPU hours for the {runs - unknown} with a "
        f"stored CPU time" + (f" (and {unknown} without one)" if unknown else "")
        + ". `stgkd list --needed` prints the same. Each run is resumable; on a GPU the same "
        "commands take `--device cuda` "
        "(`benchmarks/device_grid.sh` runs them side by side). The commands:\n\n```bash\n"
        + "\n".join(plan["commands"]) + "\n```"))

# %% [markdown]
# The readings around the claims (the correlation dose-response, Table 8 asked again, the
# DMST ablations and scalings, set out on their chapters' pages) have seed targets of
# their own: three seeds for each dose point and for each DMST model under the chosen
# scaling, two for each Table 8 arm and each ablation. What they still need:

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
readings = readings_needed(results)
reading_plan = readings_plan(readings)
if len(readings):
    display(readings_summary(readings).assign(
        cpu_hours=lambda t: t["cpu_hours"].map(hours_text)).rename(columns={
            "experiments": "experiments below target", "runs": "runs to add",
            "cpu_hours": "CPU hours", "unknown": "runs without an estimate"}).set_index("reading"))
    display(Markdown(
        f"In all {reading_plan['runs']} runs, about {reading_plan['hours']:.0f} CPU hours (a "
        "variant with no CPU run of its own counts its base experiment's). "
        "`stgkd list --needed` lists them one by one. The commands:\n\n```bash\n"
        + "\n".join(reading_plan["commands"]) + "\n```"))
else:
    display(Markdown("Every reading has the seeds asked of it."))

# %% [markdown]
# ## Figure 3: does LSTCD converge better?
#
# The paper's Figure 3 "illustrates better convergence" of LSTCD than of the student
# without distillation and the other losses. A curve is read here by one number fixed
# before looking at the runs: the **mean validation MAE over all training epochs** (the
# area under the validation curve over its length; lower means faster or lower), compared
# seed for seed with the same paired t interval as the claims above.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT

convergence = convergence_verdicts(results)
convergence.assign(
    **{"LSTCD (mph)": convergence["claimed_mean"].round(3),
       "baseline (mph)": convergence["baseline_mean"].round(3),
       "LSTCD − baseline [95% interval]": [
           interval_text(d, lo, hi) or "–" for d, lo, hi in
           zip(convergence["difference"], convergence["ci_low"], convergence["ci_high"])],
       "baseline": convergence["baseline"].str.split("/").str[-1]}
).rename(columns={"dataset": "data set"}).set_index(["data set", "baseline"])[
    ["LSTCD (mph)", "baseline (mph)", "LSTCD − baseline [95% interval]", "n", "verdict"]]

# %% tags=["remove-input"]
show_reproduce([f"kd/{d}/{n}" for d in ("pemsd7m", "losloop")
                for n in ("student-lstcd", "student-no-kd", "student-lrd-l2", "student-lrd-kl",
                          "student-lskd")], "full", results, what="this table")

# %% [markdown]
# ## Table 3: how often does LORD hand a target to the teacher?
#
# Table 3 reports a figure rather than a comparison: the share of training targets where
# the teacher's prediction replaced the target. Ours is the mean over seeds with a
# one-sample t interval (95%); the last column says whether the paper's figure lies
# inside it. Under the pinned reading LTCD, LSCD and LSTCD share LORD's α1 and so its
# share; the α1 that meets each Table 3 share is on
# [Do the correlation terms help?](10_correlation_terms.ipynb).

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
shares = teacher_share_intervals(results, teacher_share_table(results))
shares = shares[shares["n"] > 0]
shares.assign(**{"ours (%)": [
    f"{m:.2f}" if pd.isna(lo) else f"{m:.2f} [{lo:.2f}, {hi:.2f}]"
    for m, lo, hi in zip(shares["ours_pct"], shares["ci_low"], shares["ci_high"])]}
).rename(columns={"our_dataset": "data set", "paper_pct": "paper (%)",
                  "paper_inside": "paper inside ours"}).set_index(["data set", "model"])[
    ["paper (%)", "ours (%)", "n", "paper inside ours"]]

# %% tags=["remove-input"]
show_reproduce(list(shares["experiment"].unique()), "full", results, what="this table")

# %% [markdown]
# ## Does the epoch rule change a verdict?
#
# The same claims with each run reported at the epoch each rule picks. A rule other than
# best validation MAE needs the test metrics of every epoch, which only runs trained since
# they were recorded have, so its `n` can be smaller.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
by_rule = by_rule_all[by_rule_all[list(RULES)].ne("not compared (n=0)").any(axis=1)]
by_rule.assign(claim=by_rule["source"] + ": " + by_rule["statement"]).set_index(
    ["claim", "dataset"])[list(RULES)]

# %% [markdown]
# ## Which rule brings our student without distillation nearest the paper's?
#
# Our student without distillation is 6-10% better than the paper's on PeMSD7(M). If the
# paper reported a late epoch, the last-epoch rule would move ours towards it. The last
# column is the mean over the horizons of |ours − paper| / paper.

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
rules = rule_comparison(results, "kd/pemsd7m/student-no-kd", RULES, table=4).round(
    {"mean_abs_rel_diff_pct": 1})
rules.rename(columns={"mean_abs_rel_diff_pct": "mean |ours − paper| %"}).set_index(
    ["rule", "metric"])

# %% tags=["remove-input"]
show_reproduce(["kd/pemsd7m/student-no-kd"], "full", results, what="this table")

# %% tags=["remove-input"]
known = rules.dropna(subset=["mean_abs_rel_diff_pct"])
known = known[known["n"] > 0]
known = known[known["metric"] == "MAE"]
if known["rule"].nunique() < len(RULES):
    missing = sorted(set(RULES) - set(known["rule"]))
    text = (f"Not yet answerable: the rules {', '.join(missing)} need runs of "
            f"`kd/pemsd7m/student-no-kd` that recorded their per-epoch test metrics "
            f"(`stgkd run kd/pemsd7m/student-no-kd --profile full --seed 1 2 3`).")
else:
    best = known.loc[known["mean_abs_rel_diff_pct"].idxmin()]
    text = (f"The rule **{best['rule']}** brings our MAE nearest the paper's "
            f"({best['mean_abs_rel_diff_pct']:.1f}% apart on average, n = {best['n']}).")
Markdown(text)

# %% [markdown]
# **Reproduce.** The commands and the files each table reads are under it. The comparison is
# `stgkd.report.claim_verdicts` (claims in `stgkd/report/claims.py`, the paired t
# interval in `stgkd/report/verdicts.py`, the epoch rules in `stgkd/selection.py`).
