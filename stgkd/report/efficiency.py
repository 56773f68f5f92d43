"""The efficiency chapter: what each optimisation bought, and error against size and speed.

Figures come from the stored benchmark files (``results/benchmarks/``):
``benchmarks/stgcn_speed.py`` (rollout, single-window latency, training throughput per
architecture), ``benchmarks/distill_step.py`` (seconds per distillation step),
``benchmarks/rollout_batch.py`` (rollouts by batch size),
``benchmarks/train_step_variants.py`` (candidate optimisations of the training step) and
``benchmarks/kd_tables_time.py`` (the KD tables' runs from scratch), and
from the run results (test errors, parameter counts).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from stgkd.nn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, TEACHER_BLOCKS
from stgkd.profiles import canonical_profile
from stgkd.reference import kd_table
from stgkd.runs import results_root

# benchmark model keys -> the architectures they time
ARCHITECTURES: dict[str, list] = {"teacher": TEACHER_BLOCKS, "pruning_base": PRUNING_BASE_BLOCKS,
                                  "student": STUDENT_BLOCKS}


def load_benchmarks(kind: str, root: str | Path | None = None) -> list[tuple[dict, Path]]:
    """Every stored benchmark file of one kind (its ``benchmark`` key, e.g.
    ``"stgcn_speed"`` or ``"distill_step"``), newest first. The progress file of an
    unfinished speed benchmark (``*.partial.json``) is not one."""
    files = sorted(path for path in (results_root(root) / "benchmarks").glob("*.json")
                   if not path.name.endswith(".partial.json"))
    loaded = [(json.loads(path.read_text()), path) for path in files]
    loaded = [(b, p) for b, p in loaded if b.get("benchmark", "stgcn_speed") == kind]
    return sorted(loaded, key=lambda item: item[0].get("created", ""), reverse=True)


def load_average_text(benchmark: dict) -> str:
    """The machine's load average a benchmark recorded (in ``settings`` or ``machine``;
    1, 5 and 15 minutes), as ", load average 2.1 / 2.7 / 2.4"; "" when none was stored."""
    values = (benchmark.get("settings", {}).get("load_average")
              or benchmark.get("machine", {}).get("load_average"))
    return ", load average " + " / ".join(f"{v:.1f}" for v in values) if values else ""


def newest_per_machine(loaded: Iterable[tuple[dict, Path]]) -> list[dict]:
    """The newest benchmark of each machine (its ``machine.device``) among ``loaded``
    (``(benchmark, path)`` pairs as :func:`load_benchmarks` gives, in any order), newest
    first."""
    newest: dict[str, dict] = {}
    for bench, _ in sorted(loaded, key=lambda item: item[0].get("created", ""), reverse=True):
        newest.setdefault(str(bench.get("machine", {}).get("device", "")), bench)
    return list(newest.values())


def per_machine(table, benchmarks: Iterable[dict]) -> pd.DataFrame:
    """``table(benchmark)`` for each benchmark, one below the other, with the machine it
    was timed on as the first column (``machine``)."""
    frames = [table(bench).assign(machine=str(bench.get("machine", {}).get("device", "")))
              for bench in benchmarks]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame(columns=["machine"])
    frame = pd.concat(frames, ignore_index=True)
    return frame[["machine", *[c for c in frame.columns if c != "machine"]]]


# the optimised ways of running the 1140-window rollout: benchmark key -> column name
ROLLOUT_VARIANTS: dict[str, str] = {"rollout_1140": "streaming_s",
                                    "rollout_1140_compiled": "compiled_s",
                                    "rollout_1140_onnx": "onnx_s"}


def fastest_rollout(benchmark: dict, model: str) -> tuple[str, float]:
    """The fastest optimised 1140-window rollout of ``model`` in ``benchmark``:
    ``(column name of :data:`ROLLOUT_VARIANTS`, mean seconds)``; ``("", nan)`` when the
    model was not timed."""
    timed = [(column, benchmark[key][model]["mean_s"]) for key, column in ROLLOUT_VARIANTS.items()
             if (benchmark.get(key) or {}).get(model)]
    return min(timed, key=lambda item: item[1]) if timed else ("", float("nan"))


def same_architecture_spread(benchmark: dict) -> pd.DataFrame:
    """How far apart the 1140-window rollout times of models with identical channel
    counts lie (e.g. two pruning runs that kept the same number of channels per layer):
    each timed in its own process of one benchmark run, their difference is the
    machine's noise between processes, not a property of the model.

    Returns one row per (group of two or more models with the same ``blocks``, timed
    variant): ``models`` (comma-separated), ``variant`` (a column name of
    :data:`ROLLOUT_VARIANTS`), ``min_s, max_s, max_over_min``; empty without such groups.
    """
    groups: dict[str, list[str]] = {}
    for model, blocks in (benchmark.get("blocks") or {}).items():
        groups.setdefault(repr(blocks), []).append(model)
    rows = []
    for models in groups.values():
        if len(models) < 2:
            continue
        for key, column in ROLLOUT_VARIANTS.items():
            times = [benchmark[key][m]["mean_s"] for m in models
                     if m in (benchmark.get(key) or {})]
            if len(times) >= 2:
                rows.append({"models": ", ".join(models), "variant": column,
                             "min_s": min(times), "max_s": max(times),
                             "max_over_min": max(times) / min(times)})
    return pd.DataFrame(rows, columns=["models", "variant", "min_s", "max_s", "max_over_min"])


def rollout_speedups(benchmark: dict) -> pd.DataFrame:
    """The 1140-window, 9-step rollout per model: the first implementation (the whole
    model re-run each step) against the streaming one, eager, compiled and exported.

    Returns columns ``model, parameters, first_s, streaming_s, compiled_s, onnx_s,
    fastest, speedup`` (first implementation / fastest); NaN where a variant was not
    timed (the first implementation is timed for the named architectures only).
    """
    rows = []
    for model in benchmark.get("rollout_1140", {}):
        row = {"model": model, "parameters": benchmark.get("parameters", {}).get(model),
               "first_s": (benchmark.get("rollout_1140_reference") or {}).get(model, {}).get("mean_s")}
        for key, column in ROLLOUT_VARIANTS.items():
            row[column] = (benchmark.get(key) or {}).get(model, {}).get("mean_s")
        row["fastest"], fastest_s = fastest_rollout(benchmark, model)
        row["speedup"] = row["first_s"] / fastest_s if row["first_s"] else None
        rows.append(row)
    columns = ["model", "parameters", "first_s", *ROLLOUT_VARIANTS.values(), "fastest", "speedup"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ["first_s", *ROLLOUT_VARIANTS.values(), "speedup"]:
        frame[column] = frame[column].astype(float)
    return frame


def student_teacher_ratio(benchmarks: Iterable[dict]) -> pd.DataFrame:
    """Table 1's test time of the student against the teacher: the paper's (PeMSD7, a
    GTX 1080) and, per benchmark that timed both, ours with both eager streaming rollouts
    and with each model at its fastest variant (which may differ between the two: a small
    model gains more from removing per-operation overhead than a large one).

    Returns rows indexed ``"paper (GTX 1080)"``, ``"ours, eager (<machine>)"`` and
    ``"ours, fastest (<machine>)"``, columns ``teacher_s, student_s, variants,
    student / teacher, student speed-up``.
    """
    paper = kd_table(1)
    paper = paper[(paper["metric"] == "test_time_s") & (paper["dataset"] == "PeMSD7")]
    paper_times = dict(zip(paper["model"], paper["value"]))
    rows = {"paper (GTX 1080)": (paper_times.get("Teacher"), paper_times.get("Student"), "")}
    for bench in benchmarks:
        rollout = bench.get("rollout_1140", {})
        if not {"teacher", "student"} <= set(rollout):
            continue
        device = bench.get("machine", {}).get("device", "")
        rows[f"ours, eager ({device})"] = (rollout["teacher"]["mean_s"],
                                           rollout["student"]["mean_s"], "streaming_s, streaming_s")
        (t_variant, t_time), (s_variant, s_time) = (fastest_rollout(bench, m)
                                                    for m in ("teacher", "student"))
        rows[f"ours, fastest ({device})"] = (t_time, s_time, f"{t_variant}, {s_variant}")
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["teacher_s", "student_s", "variants"])
    frame[["teacher_s", "student_s"]] = frame[["teacher_s", "student_s"]].astype(float)
    frame["student / teacher"] = frame["student_s"] / frame["teacher_s"]
    frame["student speed-up"] = frame["teacher_s"] / frame["student_s"]
    return frame


def single_window_latency(benchmark: dict) -> pd.DataFrame:
    """One window, 9 steps ahead: p50 and p95 in milliseconds per architecture and
    variant (``eager_reference``, ``eager_streaming``, ``compiled_streaming``, ...)."""
    rows = [{"model": model, "variant": variant, "p50_ms": v["p50_ms"], "p95_ms": v["p95_ms"],
             "runs": v["runs"]}
            for model, variants in benchmark.get("single_window_9_steps", {}).items()
            for variant, v in variants.items()]
    return pd.DataFrame(rows, columns=["model", "variant", "p50_ms", "p95_ms", "runs"])


def training_throughput(benchmark: dict) -> pd.DataFrame:
    """Training windows per second (batch 50, forward, backward and RMSProp step) per
    architecture: the eager model (the first implementation) and the same model under
    ``torch.compile``, measured side by side in one benchmark run.

    Returns columns ``model, parameters, eager_windows_per_s, compiled_windows_per_s,
    speedup`` (compiled / eager); NaN where a benchmark did not time compiled steps.
    """
    compiled = benchmark.get("train_windows_per_s_compiled") or {}
    rows = [{"model": model, "parameters": benchmark.get("parameters", {}).get(model),
             "eager_windows_per_s": eager, "compiled_windows_per_s": compiled.get(model)}
            for model, eager in benchmark.get("train_windows_per_s", {}).items()]
    frame = pd.DataFrame(rows, columns=["model", "parameters", "eager_windows_per_s",
                                        "compiled_windows_per_s"])
    frame["compiled_windows_per_s"] = frame["compiled_windows_per_s"].astype(float)
    frame["speedup"] = frame["compiled_windows_per_s"] / frame["eager_windows_per_s"]
    return frame


def training_variants(benchmark: dict, named: bool | None = None) -> pd.DataFrame:
    """Candidate optimisations of the training step (``benchmarks/train_step_variants.py``),
    per architecture and variant (``named``: True, only the named architectures; False,
    only the compacted pruned models of ``--checkpoints``; None, both): windows per
    second (median over interleaved rounds), ``speedup`` over the eager model of the
    same run, and how far the variant's outputs
    and gradients lie from the eager model's (``equal``: within the benchmark's
    tolerances; a variant that is not equal is not timed).

    Returns columns ``model, variant, windows_per_s, speedup, max_abs_output_diff,
    rel_gradient_diff, equal``, fastest first within each model.
    """
    rows = [{"model": model, "variant": variant, **{key: row.get(key) for key in (
                "windows_per_s", "speedup", "max_abs_output_diff", "rel_gradient_diff", "equal")}}
            for model, entry in benchmark.get("models", {}).items()
            if named is None or ("experiments" not in entry) == named
            for variant, row in entry.get("variants", {}).items()]
    columns = ["model", "variant", "windows_per_s", "speedup", "max_abs_output_diff",
               "rel_gradient_diff", "equal"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("windows_per_s", "speedup"):
        frame[column] = frame[column].astype(float)
    order = {model: i for i, model in enumerate(benchmark.get("models", {}))}
    frame["_model"] = frame["model"].map(order)
    frame = frame.sort_values(["_model", "windows_per_s"], ascending=[True, False],
                              na_position="last")
    return frame.drop(columns="_model").reset_index(drop=True)


def compacted_training(benchmark: dict) -> pd.DataFrame:
    """Training windows per second of the compacted pruned models in a
    ``benchmarks/train_step_variants.py --checkpoints`` file: one row per distinct
    architecture, with the runs that have it, its parameter count (on PeMSD7(M)'s nodes)
    and one column per timed variant (``<variant>_windows_per_s``), fewest parameters
    first; empty without such models."""
    rows = []
    for model, entry in benchmark.get("models", {}).items():
        if "experiments" not in entry:
            continue   # a named architecture (teacher, pruning base, student)
        row = {"model": model, "experiments": ", ".join(entry["experiments"]),
               "parameters": entry.get("parameters")}
        for variant, figures in entry.get("variants", {}).items():
            row[f"{variant}_windows_per_s"] = figures.get("windows_per_s")
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["model", "experiments", "parameters"])
    return frame.sort_values(["parameters", "model"]).reset_index(drop=True)


def distillation_steps(benchmark: dict) -> pd.DataFrame:
    """Seconds per distillation training step per loss: PyTorch's cdist backward, the
    hand-written / fused kernels with the teacher run on every batch, and the teacher
    cache; with the epoch time they imply on PeMSD7(M)."""
    rows = []
    for loss, row in benchmark.get("losses", {}).items():
        steps = row.get("steps_per_epoch")
        out = {"loss": loss, "batch": row.get("batch"), "steps_per_epoch": steps}
        for variant in ("cdist", "running", "cached"):
            out[f"{variant}_s"] = row.get(f"{variant}_s_per_step")
        best = out["cached_s"] if out["cached_s"] is not None else out["running_s"]
        out["speedup"] = out["cdist_s"] / best if best else None
        out["epoch_min_best"] = steps * best / 60 if steps and best else None
        rows.append(out)
    return pd.DataFrame(rows)


def pruning_steps(benchmark: dict) -> pd.DataFrame:
    """``benchmarks/prune_step.py``: seconds per training step in each pruning interval
    of Table 7's run, the full-size masked teacher against the compacted model, with
    their ratio; a last row ``all`` sums the intervals (the pruning phase, an equal
    number of steps per interval)."""
    rows = [{"interval": str(r["interval"]), "parameters": r["parameters"],
             "masked_s": r["masked_s_per_step"], "compacted_s": r["compacted_s_per_step"]}
            for r in benchmark.get("intervals", [])]
    if rows:
        rows.append({"interval": "all", "parameters": None,
                     "masked_s": sum(r["masked_s"] for r in rows),
                     "compacted_s": sum(r["compacted_s"] for r in rows)})
    frame = pd.DataFrame(rows, columns=["interval", "parameters", "masked_s", "compacted_s"])
    frame["compacted_over_masked"] = frame["compacted_s"] / frame["masked_s"]
    return frame


def kd_tables_times(benchmarks: Iterable[dict]) -> pd.DataFrame:
    """``benchmarks/kd_tables_time.py``: one row per stored timing of the KD tables'
    runs (teacher, student without KD, one student per loss) from scratch: machine, data
    set, profile, runs at a time (``jobs``), how many runs finished (``runs``) and whether
    all did (``complete``; a timing stopped at its ``--time-limit`` is not), minutes from
    the first run's start to the last one's result (or to the stop), the slowest finished
    run, and whether the full profile came in under the target (15 minutes, set
    for one H100): None where a stopped timing cannot tell yet (stopped before the
    target), False once it ran past the target unfinished."""
    rows = []
    for bench in benchmarks:
        runs = [run for run in bench.get("runs", {}).values() if run]
        minutes = bench["wall_time_s"] / 60
        target = bench["target_s"] / 60
        complete = bool(bench.get("complete", True))   # older files stored complete timings only
        if canonical_profile(bench["profile"]) != "full":
            under = False
        elif complete:
            under = minutes <= target
        else:
            under = False if minutes > target else None
        rows.append({"machine": bench["machine"]["device"], "dataset": bench["dataset"],
                     "profile": canonical_profile(bench["profile"]), "jobs": bench["jobs"],
                     "runs": len(runs),
                     "complete": complete, "minutes": minutes,
                     "slowest_run_min": max(run["wall_time_s"] for run in runs) / 60
                     if runs else float("nan"),
                     "target_min": target, "under_target": under,
                     "created": bench["created"][:10]})
    return pd.DataFrame(rows, columns=["machine", "dataset", "profile", "jobs", "runs",
                                       "complete", "minutes", "slowest_run_min", "target_min",
                                       "under_target", "created"])


BATCH_VARIANTS: tuple[str, ...] = ("streaming", "compiled", "onnx")


def rollout_by_batch(benchmark: dict) -> pd.DataFrame:
    """``benchmarks/rollout_batch.py``: the 1140-window rollout's mean seconds per model,
    batch size and variant (eager ``streaming``, ``compiled``, ``onnx``).

    Returns columns ``model, batch, streaming_s, compiled_s, onnx_s, fastest`` (the
    quickest variant at that batch size), models in the benchmark's order, batches
    ascending; NaN where a variant was not timed.
    """
    rows = []
    for model, figures in benchmark.get("models", {}).items():
        batches = sorted({int(b) for v in BATCH_VARIANTS for b in figures.get(v, {})})
        for batch in batches:
            row = {"model": model, "batch": batch}
            for variant in BATCH_VARIANTS:
                row[f"{variant}_s"] = figures.get(variant, {}).get(str(batch), {}).get("mean_s")
            timed = {v: row[f"{v}_s"] for v in BATCH_VARIANTS if row[f"{v}_s"] is not None}
            row["fastest"] = min(timed, key=timed.get) if timed else ""
            rows.append(row)
    frame = pd.DataFrame(rows, columns=["model", "batch", *(f"{v}_s" for v in BATCH_VARIANTS),
                                        "fastest"])
    for variant in BATCH_VARIANTS:
        frame[f"{variant}_s"] = frame[f"{variant}_s"].astype(float)
    return frame


def batch_ratio(benchmark: dict, numerator: str = "student",
                denominator: str = "teacher") -> pd.DataFrame:
    """Student against teacher rollout time from ``benchmarks/rollout_batch.py``: at each
    batch size, each model at its fastest variant there; and last (batch ``"best"``)
    each model at its fastest variant and batch size over the whole benchmark.

    Returns columns ``batch, teacher_s, teacher_variant, student_s, student_variant,
    ratio`` (student / teacher), ``speedup`` (teacher / student); empty unless both
    models were timed.
    """
    table = rollout_by_batch(benchmark)
    columns = ["batch", f"{denominator}_s", f"{denominator}_variant", f"{numerator}_s",
               f"{numerator}_variant", "ratio", "speedup"]
    if not {numerator, denominator} <= set(table["model"]):
        return pd.DataFrame(columns=columns)

    long = table.melt(id_vars=["model", "batch"], value_vars=[f"{v}_s" for v in BATCH_VARIANTS],
                      var_name="variant", value_name="seconds").dropna(subset=["seconds"])
    long["variant"] = long["variant"].str.removesuffix("_s")

    def fastest(model: str, batch: int | None) -> tuple[float, str]:
        part = long[(long["model"] == model) & ((long["batch"] == batch) if batch else True)]
        best = part.loc[part["seconds"].idxmin()]
        return float(best["seconds"]), (best["variant"] if batch
                                        else f"{best['variant']}, batch {int(best['batch'])}")

    common = sorted(set(long.loc[long["model"] == numerator, "batch"])
                    & set(long.loc[long["model"] == denominator, "batch"]))
    rows = []
    for batch in [*common, None]:
        (t_s, t_variant), (s_s, s_variant) = fastest(denominator, batch), fastest(numerator, batch)
        rows.append({"batch": "best" if batch is None else str(batch),
                     f"{denominator}_s": t_s, f"{denominator}_variant": t_variant,
                     f"{numerator}_s": s_s, f"{numerator}_variant": s_variant,
                     "ratio": s_s / t_s, "speedup": t_s / s_s})
    return pd.DataFrame(rows, columns=columns)


def _architecture(blocks) -> str | None:
    for name, reference in ARCHITECTURES.items():
        if [list(b) for b in blocks] == [list(b) for b in reference]:
            return name
    return None


def pareto_frame(results: Iterable[dict], benchmark: dict | None, dataset: str = "pemsd7m",
                 horizon: str = "45min", metric: str = "mae") -> pd.DataFrame:
    """Every stored run on ``dataset``: its test error at ``horizon``, parameters, and the
    measured 1140-window rollout time (its fastest variant, :func:`fastest_rollout`) of
    its model: the run's own compacted model where the benchmark timed it (a pruned
    run, keyed by experiment), else its named architecture; NaN for models the
    benchmark did not time. One row per (profile, experiment, seed); ``pareto``
    marks the runs no other run beats in both error and rollout time."""
    rows = []
    benchmark = benchmark or {}
    timed = benchmark.get("rollout_1140", {})
    for result in results:
        if result.get("dataset") != dataset or horizon not in result.get("test", {}):
            continue
        architecture = _architecture(result.get("blocks", []))
        # a compacted model's own timing is of full-profile seed 0's channel counts
        own = (result["experiment"] in timed and result["profile"] == "full"
               and result["seed"] == 0)
        key = result["experiment"] if own else architecture
        rows.append({"profile": result["profile"], "experiment": result["experiment"],
                     "seed": result["seed"], "paper_row": result.get("paper_row", ""),
                     "architecture": architecture or "compacted",
                     "parameters": result.get("parameters"),
                     "error": result["test"][horizon][metric],
                     "rollout_s": fastest_rollout(benchmark, key)[1] if key else float("nan")})
    frame = pd.DataFrame(rows, columns=["profile", "experiment", "seed", "paper_row",
                                        "architecture", "parameters", "error", "rollout_s"])
    frame["pareto"] = [
        not ((frame["error"] <= e) & (frame["rollout_s"] <= t)
             & ((frame["error"] < e) | (frame["rollout_s"] < t))).any()
        for e, t in zip(frame["error"], frame["rollout_s"])]
    return frame


# the figures of benchmarks/peer_stgcn.py: key -> (what, unit, whether more is better)
PEER_FIGURES: dict[str, tuple[str, str, bool]] = {
    "train_windows_per_s": ("training step", "windows/s", True),
    "rollout_rerun_s": ("9-step rollout, whole model re-run each step", "s", False),
    "rollout_s": ("9-step rollout, each as it forecasts", "s", False),
}


def peer_comparison(benchmark: dict) -> pd.DataFrame:
    """``benchmarks/peer_stgcn.py``: our STGCN against the public peer at the nearest
    shapes, per model and figure: the medians over the benchmark's interleaved rounds
    and ``ours_speedup``, how many times faster ours is (our rate over the peer's, or
    the peer's time over ours). The peer has only the re-run rollout, so the row
    ``"9-step rollout, each as it forecasts"`` sets our streaming rollout against it.

    Returns columns ``model, figure, unit, ours, peer, ours_speedup, ours_parameters,
    peer_parameters``, models in the benchmark's order.
    """
    rows = []
    for model, entry in benchmark.get("models", {}).items():
        ours, peer = entry.get("ours", {}), entry.get("peer", {})
        counts = entry.get("parameters", {})
        for key, (figure, unit, higher_is_better) in PEER_FIGURES.items():
            mine = ours.get(key, {}).get("median")
            # the peer forecasts only by re-running its model
            theirs = peer.get("rollout_rerun_s" if key == "rollout_s" else key, {}).get("median")
            if mine is None or theirs is None:
                continue
            rows.append({"model": model, "figure": figure, "unit": unit, "ours": mine,
                         "peer": theirs,
                         "ours_speedup": mine / theirs if higher_is_better else theirs / mine,
                         "ours_parameters": counts.get("ours"),
                         "peer_parameters": counts.get("peer")})
    return pd.DataFrame(rows, columns=["model", "figure", "unit", "ours", "peer", "ours_speedup",
                                       "ours_parameters", "peer_parameters"])


def forecast_latency(benchmark: dict) -> pd.DataFrame:
    """``benchmarks/forecast_latency.py``: one window, 9 steps, one thread: p50 and p95
    per model and variant (``eager_streaming``, ``onnx_<streaming|folded>_<basic|all>``:
    which export and which onnxruntime graph optimisation), with the exported graph's
    operator count (constants left out; none for eager) and the largest difference from
    the eager forecast.

    Returns columns ``model, variant, operators, p50_ms, p95_ms, max_abs_diff``.
    """
    rows = []
    for model, entry in benchmark.get("models", {}).items():
        counts = {kind: sum(ops.values()) for kind, ops in entry.get("operators", {}).items()}
        for variant, row in entry.get("variants", {}).items():
            kind = variant.split("_")[1] if variant.startswith("onnx_") else None
            rows.append({"model": model, "variant": variant, "operators": counts.get(kind),
                         "p50_ms": row["p50_ms"], "p95_ms": row["p95_ms"],
                         "max_abs_diff": row.get("max_abs_diff")})
    frame = pd.DataFrame(rows, columns=["model", "variant", "operators", "p50_ms", "p95_ms",
                                        "max_abs_diff"])
    frame["operators"] = frame["operators"].astype(float)     # NaN for eager
    return frame


def onnx_profile(benchmark: dict, model: str = "student", top: int = 8) -> pd.DataFrame:
    """Where the folded ONNX forecast's time goes (``benchmarks/forecast_latency.py``'s
    onnxruntime profile of ``model``): per operator type the nodes run per forecast and
    its share of the kernel time, largest first; the types beyond ``top`` summed as
    ``"other"``. Empty when the file has no profile of ``model``.

    Returns columns ``operator, nodes, share``.
    """
    profile = benchmark.get("models", {}).get(model, {}).get("profile_folded", {})
    rows = sorted(({"operator": op, "nodes": v["nodes"], "kernel_us": v["kernel_us"]}
                   for op, v in profile.items()), key=lambda r: -r["kernel_us"])
    if len(rows) > top:
        rest = rows[top:]
        rows = rows[:top] + [{"operator": "other", "nodes": sum(r["nodes"] for r in rest),
                              "kernel_us": sum(r["kernel_us"] for r in rest)}]
    frame = pd.DataFrame(rows, columns=["operator", "nodes", "kernel_us"])
    total = frame["kernel_us"].sum()
    frame["share"] = frame["kernel_us"] / total if total else float("nan")
    return frame.drop(columns="kernel_us")


# What each ATen operator of an STGCN training step computes (stgkd.nn.STGCN on the CPU):
# the temporal convolutions and the graph convolution's channel mix (Theta, a 1x1
# convolution) are ATen convolutions; the Chebyshev graph products X L~ are matrix
# products; the rest moves, pads or zeroes memory, or works element by element.
STEP_OPERATOR_GROUPS: dict[str, tuple[str, ...]] = {
    "convolutions, backward": ("aten::convolution_backward",),
    "convolutions, forward": ("aten::mkldnn_convolution", "aten::convolution",
                              "aten::_convolution", "aten::conv2d"),
    "graph products (matrix products)": ("aten::mm", "aten::bmm", "aten::addmm", "aten::matmul"),
    "copies, padding and zeroing": ("aten::copy_", "aten::cat", "aten::fill_", "aten::zero_",
                                    "aten::zeros", "aten::clone", "aten::contiguous",
                                    "aten::constant_pad_nd", "aten::empty", "aten::empty_like",
                                    "aten::empty_strided", "aten::slice", "aten::view",
                                    "aten::permute", "aten::reshape", "aten::as_strided",
                                    "aten::transpose", "aten::t", "aten::expand",
                                    "aten::narrow", "aten::select"),
    "layer norm": ("aten::native_layer_norm", "aten::native_layer_norm_backward"),
}


def step_operator_group(operator: str) -> str:
    """The group of :data:`STEP_OPERATOR_GROUPS` an operator belongs to; other ATen
    operators are ``"element-wise (activations, residuals, loss, optimiser)"``, and the
    profiler's own ranges (autograd nodes, ``Optimizer.step#...``) ``"bookkeeping"``."""
    for group, operators in STEP_OPERATOR_GROUPS.items():
        if operator in operators:
            return group
    if operator.startswith("aten::"):
        return "element-wise (activations, residuals, loss, optimiser)"
    return "bookkeeping"


def training_step_profile(benchmark: dict) -> pd.DataFrame:
    """Where an eager training step's CPU time goes (``benchmarks/train_step_profile.py``):
    per model and operator group (:func:`step_operator_group`) the self CPU seconds per
    step, its share of the step's profiled time, and the group's largest operator;
    largest group first within each model.

    Returns columns ``model, group, s_per_step, share, largest_operator``.
    """
    rows = []
    for model, entry in benchmark.get("models", {}).items():
        steps = entry["profiled_steps"]
        groups: dict[str, dict[str, float]] = {}
        for operator, figures in entry["operators"].items():
            groups.setdefault(step_operator_group(operator), {})[operator] = figures["self_cpu_s"]
        total = sum(sum(ops.values()) for ops in groups.values())
        for group, ops in sorted(groups.items(), key=lambda kv: -sum(kv[1].values())):
            rows.append({"model": model, "group": group, "s_per_step": sum(ops.values()) / steps,
                         "share": sum(ops.values()) / total if total else float("nan"),
                         "largest_operator": max(ops, key=ops.get)})
    return pd.DataFrame(rows, columns=["model", "group", "s_per_step", "share",
                                       "largest_operator"])


def training_step_phases(benchmark: dict) -> pd.DataFrame:
    """The wall time of each phase of an eager training step, measured without the
    profiler (``benchmarks/train_step_profile.py``): one row per model with the median
    seconds of the forward pass with the loss, the backward pass and the optimiser step,
    their sum and the windows per second it gives at the benchmark's batch."""
    batch = benchmark.get("settings", {}).get("batch")
    rows = []
    for model, entry in benchmark.get("models", {}).items():
        phases = entry["phases_s"]
        step = sum(phases.values())
        rows.append({"model": model, **phases, "step_s": step,
                     "windows_per_s": batch / step if batch and step else float("nan")})
    return pd.DataFrame(rows, columns=["model", "forward_and_loss", "backward",
                                       "optimizer_step", "step_s", "windows_per_s"])


def dmst_sparse_products(benchmark: dict) -> pd.DataFrame:
    """The graph ODE's fixed-graph products done as sparse CSR products against the dense
    ones (``benchmarks/dmst_step_profile.py``): per model the median seconds of a training
    step each way over interleaved rounds, the speed-up, and the relative difference of the
    losses after the same steps (float32 rounding: sparse products add in another order).

    Returns columns ``model, dense_step_s, sparse_step_s, speedup, loss_relative_difference``.
    """
    rows = [{"model": model, **{k: entry[k] for k in ("dense_step_s", "sparse_step_s",
                                                      "speedup", "loss_relative_difference")}}
            for model, entry in benchmark.get("sparse_graph_products", {}).items()]
    return pd.DataFrame(rows, columns=["model", "dense_step_s", "sparse_step_s", "speedup",
                                       "loss_relative_difference"])


def show_step_profile(benchmark: dict, windows_digits: int = 0,
                      profiler_note: str = "") -> None:
    """Display a step-profile benchmark (``train_step_profile.py``,
    ``dmst_step_profile.py``) in a notebook: the training step by phase
    (:func:`training_step_phases`), then the profiler's time by operator group
    (:func:`training_step_profile`), each under a bold heading; ``profiler_note`` is added
    to the second heading."""
    from IPython.display import Markdown, display

    from stgkd.report.display import show
    display(Markdown("**A training step by phase** (wall time, without the profiler)"))
    show(training_step_phases(benchmark), index="model",
         digits={"windows_per_s": windows_digits, None: 3},
         names={"forward_and_loss": "forward + loss (s)", "backward": "backward (s)",
                "optimizer_step": "optimiser step (s)", "step_s": "step (s)",
                "windows_per_s": "windows / s"})
    display(Markdown("**The same steps under PyTorch's profiler**: self CPU time per step by "
                     "what the operators compute" + profiler_note))
    show(training_step_profile(benchmark), index=["model", "group"],
         digits={"s_per_step": 3, "share": 3},
         names={"s_per_step": "s per step", "largest_operator": "largest operator"})


def pruned_channels_kernel(benchmark: dict) -> pd.DataFrame:
    """The fused correlation kernel over a pruning run's shrinking channel counts
    (``benchmarks/pruned_channels_kernel.py``): per mode the seconds of all timed calls
    (the fastest of three per shape, summed over shapes), of all first calls (compiling),
    the shapes timed and the calls' speed-up over the eager kernel.

    Returns columns ``mode, shapes, calls_s, first_calls_s, speedup_over_eager``.
    """
    modes = benchmark.get("modes", {})
    eager = sum(row["call_s"] for row in modes.get("eager", [])) or float("nan")
    rows = [{"mode": mode, "shapes": len(timed), "calls_s": sum(r["call_s"] for r in timed),
             "first_calls_s": sum(r["first_call_s"] for r in timed)} for mode, timed in modes.items()]
    for row in rows:
        row["speedup_over_eager"] = eager / row["calls_s"] if row["calls_s"] else float("nan")
    return pd.DataFrame(rows, columns=["mode", "shapes", "calls_s", "first_calls_s",
                                       "speedup_over_eager"])


LSTCD_PHASES = ("lookup_s", "student_forward_s", "lord_s", "ltcd_s", "lscd_s", "backward_s",
                "optimizer_s", "step_s")


def lstcd_step_phases(benchmark: dict) -> pd.DataFrame:
    """A cached LSTCD step by phase, the previous correlation kernel against the current
    (``benchmarks/lstcd_step.py``): one row per data set and kernel with seconds per
    phase (:data:`LSTCD_PHASES`), and the step's and LSCD's speed-up on the current
    kernel's rows."""
    rows = []
    for dataset, entry in benchmark.get("datasets", {}).items():
        for kernel in ("previous", "cyclic"):
            if kernel not in entry:
                continue
            row = {"dataset": dataset, "kernel": kernel,
                   **{phase: entry[kernel].get(phase) for phase in LSTCD_PHASES}}
            if kernel == "cyclic":
                row["speedup_step"] = entry.get("speedup_step")
                row["speedup_lscd"] = entry.get("speedup_lscd")
            rows.append(row)
    return pd.DataFrame(rows)


def dmst_epoch_costs(benchmark: dict) -> pd.DataFrame:
    """Seconds per full-profile Los-loop epoch of each DMST graph model
    (``benchmarks/dmst_epoch.py``): ``model, parameters, train_step_s, epoch_s``."""
    return pd.DataFrame([{"model": name, "parameters": entry.get("parameters"),
                          "train_step_s": entry.get("train_step_s"),
                          "epoch_s": entry.get("epoch_s")}
                         for name, entry in benchmark.get("models", {}).items()])
