"""The README's results summary, generated from the stored results (never typed in).

    python -m stgkd.readme            # rewrite the block between the markers in README.md
    python -m stgkd.readme --check    # exit 1 if README.md is out of date
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from stgkd.io import StoredFileError
from stgkd.report import comparison_table, load_benchmark
from stgkd.report.dmst import DMST_DATASETS, DMST_HORIZONS, dmst_table, metric_column
from stgkd.report.dmst_notes import dmst_budget
from stgkd.report.efficiency import (batch_ratio, fastest_rollout, load_benchmarks,
                                     training_variants)
from stgkd.reference import reference_cells
from stgkd.runs import load_results

START, END = "<!-- results:start -->", "<!-- results:end -->"
README = Path(__file__).resolve().parents[1] / "README.md"


# our data set names as the papers write them
DATASET_TITLES = {"losloop": "Los-loop", "pemsd7m": "PeMSD7(M)", "pems08": "PeMS08"}


def _kd_table_lines(number: int, results: list[dict], dataset: str = "pemsd7m") -> list[str]:
    """The MAE and RMSE rows of KD paper table ``number`` on ``dataset`` that we have run,
    the paper's number beside ours (:func:`comparison_table`)."""
    table = comparison_table(number, results)
    table = table[(table["our_dataset"] == dataset) & table["metric"].isin(["MAE", "RMSE"])]
    lines = [f"| {DATASET_TITLES[dataset]}, Table {number} | metric | 15 min: paper / ours "
             "| 30 min | 45 min | profile (seeds averaged) |", "|---|---|---|---|---|---|"]
    for (model, setting, metric), group in table.groupby(["model", "setting", "metric"],
                                                         sort=False):
        if group["ours"].isna().all():
            continue
        cells = []
        for _, row in group.sort_values("horizon_min").iterrows():
            cells.append(f"{row['paper_value']:.3f} / **{row['ours']:.3f}** "
                         f"({row['relative_difference_pct']:+.1f}%)")
        label = f"{model}, {setting}" if setting else model
        # "paper (2)": ours is the mean over that many seeds
        runs = dict.fromkeys(f"{p} ({int(n)})" for p, n in zip(group["profile"], group["seeds"]))
        lines.append(f"| {label} | {metric} | " + " | ".join(cells) + f" | {', '.join(runs)} |")
    if len(lines) == 2:
        lines.append("| not yet run | | | | | |")
    return lines


def _horizons(keys: Iterable[str]) -> str:
    """Horizon keys as a header: ``("20min", "40min")`` (or a run's ``test`` dict, whose
    keys they are) -> ``"20 / 40 min"``."""
    return " / ".join(key.removesuffix("min") for key in keys) + " min"


def _dmst_lines(results: list[dict]) -> list[str]:
    """RMSE at 20 / 40 / 60 min of every model of the DMST-GNODE comparison, one column
    per data set with at least one full-profile run."""
    table = dmst_table(results, profile="full")
    datasets = [d for d in DMST_DATASETS if (table[table["dataset"] == d]["seeds"] > 0).any()]
    if not datasets:
        return []
    horizons = [metric_column("rmse", h) for h in DMST_HORIZONS]
    lines = ["", "| DMST-GNODE comparison, RMSE at " + _horizons(DMST_HORIZONS)
             + f" (full profile: {dmst_budget('full', results, short=True)}) | "
             + " | ".join(DATASET_TITLES[d] for d in datasets) + " |",
             "|---|" + "---|" * len(datasets)]
    for model, rows in table.groupby("model", sort=False):
        cells = []
        for dataset in datasets:
            row = rows[rows["dataset"] == dataset].iloc[0]
            cells.append("not yet run" if row["seeds"] == 0 else
                         " / ".join(f"{row[c]:.3f}" for c in horizons))
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return lines


def _other_runs_lines(results: list[dict]) -> list[str]:
    """The full-profile KD and pruning runs on data sets the KD paper does not use."""
    cells = reference_cells()
    kd_paper_datasets = set(cells[cells["source"] == "KD paper"]["our_dataset"])
    rows = [r for r in results if r["dataset"] not in kd_paper_datasets
            and r["profile"] == "full" and not r["experiment"].startswith("dmst/")]
    if not rows:
        return []
    lines = []
    for horizons, group in _by_horizons(rows).items():
        lines += ["", f"| KD and pruning runs on a data set the KD paper does not use (full "
                      f"profile) | seed | MAE {horizons} | RMSE {horizons} |", "|---|---|---|---|"]
        for r in group:
            mae = " / ".join(f"{m['mae']:.3f}" for m in r["test"].values())
            rmse = " / ".join(f"{m['rmse']:.3f}" for m in r["test"].values())
            lines.append(f"| `{r['experiment']}` | {r['seed']} | {mae} | {rmse} |")
    return lines


def _by_horizons(results: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(_horizons(r["test"]), []).append(r)
    return groups


def _speed_lines() -> list[str]:
    loaded = load_benchmark()
    if loaded is None:
        return ["", "Rollout speed: not yet measured (`make benchmark`)."]
    bench, path = loaded
    teacher = bench["rollout_1140"]["teacher"]["mean_s"]
    student = bench["rollout_1140"]["student"]["mean_s"]
    line = (f"9-step rollout of 1140 windows on {bench['machine']['device']}, eager: teacher "
            f"{teacher:.2f} s, student {student:.2f} s, ratio {student / teacher:.3f}")
    (t_variant, t_fast), (s_variant, s_fast) = (fastest_rollout(bench, m)
                                                for m in ("teacher", "student"))
    if t_variant and s_variant and (t_variant, s_variant) != ("streaming_s", "streaming_s"):
        line += (f"; each at its fastest: teacher {t_fast:.2f} s ({t_variant[:-2]}), student "
                 f"{s_fast:.2f} s ({s_variant[:-2]}), ratio {s_fast / t_fast:.3f}")
    return ["", line + f" (paper, GTX 1080: 0.160); from `{path.name}`."]


def _batch_lines() -> list[str]:
    loaded = load_benchmarks("rollout_batch")
    ratio = batch_ratio(loaded[0][0]) if loaded else None
    if ratio is None or ratio.empty:
        return []
    best = ratio.set_index("batch").loc["best"]
    return ["", f"The same rollout with each model at its fastest variant and batch size, timed "
            f"side by side in one run: teacher {best['teacher_s']:.2f} s "
            f"({best['teacher_variant']}), student {best['student_s']:.2f} s "
            f"({best['student_variant']}), {best['speedup']:.1f}x; from `{loaded[0][1].name}`."]


def _training_lines() -> list[str]:
    """The teacher's training step: eager against its fastest variant that computes the
    same numbers (``benchmarks/train_step_variants.py``)."""
    loaded = load_benchmarks("train_step_variants")
    table = training_variants(loaded[0][0]) if loaded else None
    if table is None or table.empty or "teacher" not in set(table["model"]):
        return []
    teacher = table[(table["model"] == "teacher") & table["windows_per_s"].notna()]
    eager = teacher[teacher["variant"] == "eager"]
    if eager.empty:
        return []
    best = teacher.iloc[0]    # fastest first
    return ["", f"The teacher's training step (batch 50, forward, backward, RMSProp) on "
            f"{loaded[0][0]['machine']['device']}: eager {eager['windows_per_s'].iloc[0]:.0f} "
            f"windows/s, the fastest variant with the same numbers {best['variant']} "
            f"{best['windows_per_s']:.0f} windows/s ({best['speedup']:.2f}x; the aim is 1.5x); "
            f"from `{loaded[0][1].name}`."]


def summary_markdown(results: list[dict] | None = None) -> str:
    """The markdown between the README's result markers."""
    results = load_results() if results is None else results
    lines = ["Generated by `python -m stgkd.readme` from `results/`; bold is ours, the percentage "
             "is ours relative to the paper's.", ""]
    lines += _kd_table_lines(2, results) + [""] + _kd_table_lines(8, results)
    lines += _dmst_lines(results) + _other_runs_lines(results) + _speed_lines()
    lines += _batch_lines() + _training_lines()
    return "\n".join(lines)


def updated_readme(text: str, summary: str) -> str:
    if START not in text or END not in text:
        raise ValueError(f"README.md: expected the markers {START} and {END}, found none")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{summary}\n{END}{tail}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the README's results summary.")
    parser.add_argument("--check", action="store_true", help="only check that README.md is current")
    args = parser.parse_args(argv)
    text = README.read_text()
    try:
        new = updated_readme(text, summary_markdown())
    except StoredFileError as error:       # a cut result file: name it, change nothing
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check:
        if new != text:
            print("README.md: results summary is out of date; run `python -m stgkd.readme`",
                  file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
