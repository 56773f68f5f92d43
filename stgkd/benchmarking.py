"""What the scripts in ``benchmarks/`` share: the timed architectures, the timing loop,
fresh measuring processes, the ONNX forecasters, and where and how a benchmark's figures
are stored (``results/benchmarks/<kind>-<machine>.json`` with the machine, commit and
settings).

>>> from stgkd.benchmarking import cpu_benchmark_parser, seeded_pemsd7m, store_cpu_report
>>> args = cpu_benchmark_parser(__doc__, "prune_step").parse_args()     # doctest: +SKIP
>>> series = seeded_pemsd7m(args.threads)                               # doctest: +SKIP
>>> store_cpu_report("prune_step", args.out, {"steps": 5}, {"masked_s": 0.1})  # doctest: +SKIP
"""
from __future__ import annotations

import argparse
import ctypes
import multiprocessing as mp
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch

from stgkd.data import load_series
from stgkd.io import write_json
from stgkd.nn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN
from stgkd.provenance import device_description, git_commit, now_iso
from stgkd.runs import load_results, read_checkpoint, results_root, run_dir

# The named STGCN architectures the benchmarks time: hidden-block channels
# [[c_in, c_hidden, c_out], ...] of the KD paper's teacher, pruning base and student.
MODELS: dict[str, list[list[int]]] = {"teacher": TEACHER_BLOCKS,
                                      "pruning_base": PRUNING_BASE_BLOCKS,
                                      "student": STUDENT_BLOCKS}
# Test windows of a timed rollout: the KD paper's Table 1 times a batch of 1140 windows.
N_WINDOWS = 1140


def sync(device: torch.device) -> None:
    """Wait for the GPU's queued work on a CUDA ``device`` (a timing must not stop
    before the kernels it launched have run); nothing on a CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device: torch.device, warmup: int,
          repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``fn()``, after ``warmup`` untimed calls
    (which pay compilation and allocation), synchronising ``device`` around each."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return times


def timings(times: list[float]) -> dict:
    """A timing as stored: ``{"mean_s", "std_s" (0 for one run), "runs", "times_s"}``."""
    return {"mean_s": statistics.mean(times),
            "std_s": statistics.stdev(times) if len(times) > 1 else 0.0,
            "runs": len(times), "times_s": times}


def batched(fn: Callable, windows, n_his: int, batch_size: int) -> None:
    """Call ``fn`` on every batch of ``windows`` [W, T, N] (a tensor or an array), each
    cut to its history and given a channel axis: ``fn([B, 1, n_his, N])``."""
    for start in range(0, windows.shape[0], batch_size):
        fn(windows[start:start + batch_size, None, :n_his])


def die_with_parent() -> None:
    """Ask Linux to end this measuring process when the benchmark that started it ends
    (a killed benchmark would otherwise leave it running and loading the machine under
    the next timing). Elsewhere nothing happens."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def in_fresh_process(target: Callable, subject, args: argparse.Namespace) -> tuple[str, dict]:
    """Run ``target(subject, args, queue)`` in a fresh (spawned) process, so that its
    peak memory and compiled code are its own, and return the ``(key, figures)`` it puts
    on the queue. ``target`` must be importable by the new process (a module-level
    function of the script)."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(subject, args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def run_with_limit(command: list[str], limit_s: float | None) -> tuple[int, bool]:
    """Run ``command`` in its own process group; after ``limit_s`` seconds (if given)
    stop it and every process it started. Returns ``(exit status, stopped)``."""
    process = subprocess.Popen(command, start_new_session=True)
    try:
        return process.wait(timeout=limit_s), False
    except subprocess.TimeoutExpired:
        print(f"time limit of {limit_s:.0f} s reached: stopping the runs", flush=True)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        return process.returncode, True
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)   # e.g. Ctrl-C: leave no runs behind
        raise


def onnx_forecasters(model: STGCN, n_pred: int, args: argparse.Namespace) -> dict | None:
    """``model``'s ``n_pred``-step forecast exported to ONNX and loaded twice in
    onnxruntime: ``"rollout"`` on ``args.threads`` (0: torch's count) for the batched
    rollout and ``"single"`` on ``args.latency_threads`` for one window; ``"folder"``
    holds the file (call its ``cleanup()`` when done). None (with a note) without the
    deploy extra."""
    try:
        from stgkd.export import OnnxForecaster, export_onnx
        folder = tempfile.TemporaryDirectory()
        path = export_onnx(model, Path(folder.name) / "forecast.onnx", n_pred)
    except ImportError as error:
        print(f"not timing ONNX: {error}", file=sys.stderr)
        return None
    threads = args.threads or torch.get_num_threads()
    return {"folder": folder, "rollout": OnnxForecaster(path, threads=threads),
            "single": OnnxForecaster(path, threads=args.latency_threads or threads)}


def stored_compacted_models(root=None) -> list[dict]:
    """One subject per stored full-profile pruned run (seed 0) whose compacted
    checkpoint exists: ``{"key": experiment, "config": its model config, "full": False}``,
    sorted by experiment. A run whose channels are a named architecture's (the unpruned
    base, :data:`MODELS`) is left to that name."""
    named = [[list(block) for block in blocks] for blocks in MODELS.values()]
    subjects = []
    for result in load_results(root, profile="full"):
        if not result["experiment"].startswith("prune/") or not result.get("checkpoint"):
            continue
        path = run_dir("full", result["experiment"], root) / result["checkpoint"]
        if path.is_file() and result["seed"] == 0:
            state = read_checkpoint(path, "stgcn")
            if [list(block) for block in state["model_config"]["blocks"]] in named:
                continue
            subjects.append({"key": result["experiment"], "config": state["model_config"],
                             "full": False})
    return sorted(subjects, key=lambda s: s["key"])


def machine_slug(description: str, device: str) -> str:
    """The machine part of a benchmark file's name: ``device``'s type, then
    ``description`` in lower case with every other run of characters a dash, at most 80
    characters (``"cpu", "AMD EPYC 7B13 (2 CPUs)"`` -> ``cpu-amd-epyc-7b13-2-cpus``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", description.lower()).strip("-")
    return f"{device.split(':')[0]}-{slug}"[:80]


def machine_record(description: str, threads: bool = True) -> dict:
    """The ``machine`` block of every benchmark file: the device, platform, Python and
    torch versions and, with ``threads``, torch's CPU threads in this process (left out
    where the timed work runs in other processes)."""
    record = {"device": description, "platform": platform.platform(),
              "python": platform.python_version(), "torch": torch.__version__}
    if threads:
        record["threads"] = torch.get_num_threads()
    return record


def output_path(out: str | None, name: str) -> Path:
    """Where a benchmark writes: ``out`` if given, else results/benchmarks/<name>.json."""
    return Path(out) if out else results_root() / "benchmarks" / f"{name}.json"


def benchmark_file_stem(kind: str) -> str:
    """The start of a CPU benchmark's file name: its ``kind`` with dashes for
    underscores (``prune_step`` -> ``prune-step``); the machine's slug follows."""
    return kind.replace("_", "-")


def cpu_benchmark_parser(doc: str, kind: str) -> argparse.ArgumentParser:
    """The argument parser of a CPU benchmark script: the description is the first
    paragraph of the script's docstring ``doc``, and ``--threads`` and ``--out`` are
    shared; ``kind`` names the default output file (see :func:`store_cpu_report`)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads (default: torch's choice)")
    parser.add_argument("--out", default=None,
                        help=f"output JSON (default results/benchmarks/"
                             f"{benchmark_file_stem(kind)}-<machine>.json)")
    return parser


def seeded_pemsd7m(threads: int):
    """Set the CPU threads (0 keeps torch's choice) and seed 0, then load PeMSD7(M), the
    data set the benchmarks time on (in each measuring process)."""
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    return load_series("pemsd7m")


def store_cpu_report(kind: str, out: str | None, settings: dict, figures: dict) -> Path:
    """Write one CPU benchmark's file, ``{"benchmark": kind, "created", "commit",
    "machine", "settings", **figures}``, to ``out`` or
    results/benchmarks/<kind with dashes>-<machine>.json; print and return the path."""
    description = device_description("cpu")
    report = {"benchmark": kind, "created": now_iso(), "commit": git_commit(),
              "machine": machine_record(description), "settings": settings, **figures}
    path = output_path(out, f"{benchmark_file_stem(kind)}-{machine_slug(description, 'cpu')}")
    write_json(path, report)
    print(f"wrote {path}")
    return path


def profile_training_steps(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                           batches: list[tuple[torch.Tensor, torch.Tensor]], warmup: int) -> dict:
    """Where the time of eager training steps goes: ``warmup`` unprofiled steps of
    forward, mean squared error, backward and optimiser step over the first batches, then
    the rest of ``batches`` twice: once timed by phase without the profiler, once under
    ``torch.profiler``.

    Args:
        model: maps a batch's inputs to outputs shaped like its targets.
        batches: ``(inputs, targets)`` pairs; ``warmup`` of them warm up, the rest are
            timed and profiled.

    Returns:
        ``phases_s`` (median seconds of ``forward_and_loss``, ``backward`` and
        ``optimizer_step``), ``profiled_steps`` and ``operators``: every operator's self
        CPU seconds summed over the profiled steps and its call count (the profiler's
        ``key_averages``).
    """
    from torch.profiler import ProfilerActivity, profile

    if len(batches) <= warmup:
        raise ValueError(f"batches: expected more than warmup={warmup} batches, found "
                         f"{len(batches)}")
    model.train()

    def step(x, y, clock=None):
        began = time.perf_counter()
        loss = torch.mean((model(x) - y) ** 2)
        forward_done = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        backward_done = time.perf_counter()
        optimizer.step()
        if clock is not None:
            clock["forward_and_loss"].append(forward_done - began)
            clock["backward"].append(backward_done - forward_done)
            clock["optimizer_step"].append(time.perf_counter() - backward_done)

    for x, y in batches[:warmup]:
        step(x, y)
    clock = {"forward_and_loss": [], "backward": [], "optimizer_step": []}
    for x, y in batches[warmup:]:
        step(x, y, clock)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for x, y in batches[warmup:]:
            step(x, y)
    operators = {event.key: {"self_cpu_s": event.self_cpu_time_total / 1e6, "calls": event.count}
                 for event in prof.key_averages() if event.self_cpu_time_total > 0}
    return {"phases_s": {name: statistics.median(times) for name, times in clock.items()},
            "profiled_steps": len(batches) - warmup, "operators": operators}


def dmst_benchmark_data(dataset: str = "losloop"):
    """What the DMST benchmarks train on: ``(series, windows, train_readings)``: the data
    set, its multi-step windows (12 in, 12 out) over the default day split, and the
    training days' readings [steps, N] the pattern graph is built from."""
    from stgkd.data import DEFAULT_SPLITS
    from stgkd.dmst import make_multistep_windows

    series = load_series(dataset)
    split = DEFAULT_SPLITS[dataset]
    windows = make_multistep_windows(series, split)
    return series, windows, series.values[: split[0] * series.steps_per_day]
