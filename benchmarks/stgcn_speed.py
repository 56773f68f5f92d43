"""Speed of the STGCN teacher, pruning base and student: 9-step rollout of 1140 windows
(streaming, and the first implementation that re-runs the whole model each step),
single-window 9-step latency (p50/p95; eager, streaming, compiled streaming),
training windows per second (eager, and under torch.compile) and peak memory, stored in
results/benchmarks/<machine>.json.

Each model is measured in a fresh subprocess so its peak memory is its own.
Timings are the mean of repeated runs after warm-up runs, as the KD paper's Table 1
(which averages 100 runs on a GTX 1080; the defaults here are fewer on a CPU).

    python benchmarks/stgcn_speed.py                    # CPU, all three models
    python benchmarks/stgcn_speed.py --device cuda --repeats 100
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import re
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from stgkd.complexity import count_parameters
from stgkd.data import load_series, make_windows, DEFAULT_SPLITS
from stgkd.evaluate import forecast, rollout
from stgkd.nn.streaming import streaming_rollout
from stgkd.io import write_json
from stgkd.nn import PRUNING_BASE_BLOCKS, STUDENT_BLOCKS, TEACHER_BLOCKS, STGCN
from stgkd.provenance import device_description, git_commit, now_iso
from stgkd.results import results_root

MODELS = {"teacher": TEACHER_BLOCKS, "pruning_base": PRUNING_BASE_BLOCKS, "student": STUDENT_BLOCKS}
N_WINDOWS = 1140


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn, device, warmup: int, repeats: int) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def measure(name: str, args: argparse.Namespace, queue) -> None:
    """Measure one model (runs in its own process) and put its figures on ``queue``."""
    torch.manual_seed(0)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    series = load_series("pemsd7m")
    data = make_windows(series, DEFAULT_SPLITS["pemsd7m"])
    windows = data.test[:N_WINDOWS].to(device)
    model = STGCN(series.n_nodes, MODELS[name], weights=series.weights).to(device).eval()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    rollout_times = _timed(lambda: forecast(model, windows, data.n_his, data.n_pred,
                                            batch_size=args.eval_batch, device=device),
                           device, args.warmup, args.repeats)
    # the first implementation: every rollout step re-runs the whole model
    reference_times = _timed(lambda: forecast(model, windows, data.n_his, data.n_pred,
                                              batch_size=args.eval_batch, device=device,
                                              streaming=False),
                             device, args.warmup, args.repeats)

    # one window, 9 steps: the latency a deployed forecaster sees
    single = windows[:1, None, :data.n_his]
    compiled_streaming = torch.compile(lambda h: streaming_rollout(model, h, data.n_pred))
    single_window = {}
    # one window is too small to share between threads: a deployed forecaster serves a
    # request per core, so its latency is timed on --latency-threads (default 1)
    threads = torch.get_num_threads()
    if args.latency_threads:
        torch.set_num_threads(args.latency_threads)
    with torch.no_grad():
        for variant, fn in (("eager_reference", lambda: rollout(model, single, data.n_pred)),
                            ("eager_streaming",
                             lambda: streaming_rollout(model, single, data.n_pred)),
                            ("compiled_streaming", lambda: compiled_streaming(single))):
            times = _timed(fn, device, 10, args.latency_repeats)
            single_window[variant] = {"p50_ms": 1000 * float(np.percentile(times, 50)),
                                      "p95_ms": 1000 * float(np.percentile(times, 95)),
                                      "runs": len(times)}
    torch.set_num_threads(threads)

    # training steps of 50 windows: the eager model (the first implementation) and the same
    # model under torch.compile, side by side, each from the same starting weights
    model.train()
    train = data.train.to(device)
    batch = 50
    start_state = {k: v.clone() for k, v in model.state_dict().items()}

    def train_rate(forward) -> float:
        model.load_state_dict(start_state)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)

        def train_steps():
            for step in range(args.train_steps):
                window = train[step * batch:(step + 1) * batch]
                loss = torch.mean((forward(window[:, None, :data.n_his])
                                   - window[:, data.n_his]) ** 2)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()

        # the first (warm-up) round also pays the compilation
        times = _timed(train_steps, device, 1, args.train_repeats)
        return batch * args.train_steps / statistics.mean(times)

    train_eager = train_rate(model)
    train_compiled = train_rate(torch.compile(model)) if args.compiled_training else None
    figures = {
        "parameters": count_parameters(model),
        "rollout_1140": {"mean_s": statistics.mean(rollout_times),
                         "std_s": statistics.stdev(rollout_times) if len(rollout_times) > 1 else 0.0,
                         "runs": len(rollout_times), "times_s": rollout_times},
        "rollout_1140_reference": {"mean_s": statistics.mean(reference_times),
                                   "runs": len(reference_times), "times_s": reference_times},
        "single_window_9_steps": single_window,
        "train_windows_per_s": train_eager,
        "train_windows_per_s_compiled": train_compiled,
        # ru_maxrss is in KiB on Linux
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_increase_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024,
    }
    if device.type == "cuda":
        figures["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    queue.put((name, figures))


def machine_slug(description: str, device: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", description.lower()).strip("-")
    return f"{device.split(':')[0]}-{slug}"[:80]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--repeats", type=int, default=5, help="timed rollouts per model (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rollouts first (default 1)")
    parser.add_argument("--eval-batch", type=int, default=32,
                        help="windows per forward pass inside the rollout (default 32)")
    parser.add_argument("--latency-repeats", type=int, default=200,
                        help="timed single-window forecasts per variant (default 200)")
    parser.add_argument("--latency-threads", type=int, default=1,
                        help="CPU threads for the single-window latencies (default 1; 0: as "
                             "--threads)")
    parser.add_argument("--train-steps", type=int, default=10, help="training steps of 50 windows")
    parser.add_argument("--train-repeats", type=int, default=3)
    parser.add_argument("--no-compiled-training", dest="compiled_training", action="store_false",
                        help="skip the torch.compile'd training steps (they cost a minute of "
                             "compiling per model)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's choice)")
    parser.add_argument("--out", default=None, help="output JSON (default results/benchmarks/<machine>.json)")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("error: --device cuda: expected a CUDA GPU, found none", file=sys.stderr)
        return 2

    context = mp.get_context("spawn")
    figures = {}
    for name in args.models:
        queue = context.Queue()
        process = context.Process(target=measure, args=(name, args, queue))
        process.start()
        key, value = queue.get()
        process.join()
        figures[key] = value
        print(f"{name:13} {value['parameters']:>8,} params  rollout(1140) {value['rollout_1140']['mean_s']:.3f}s "
              f"± {value['rollout_1140']['std_s']:.3f}  train {value['train_windows_per_s']:.0f} windows/s"
              + (f" (compiled {value['train_windows_per_s_compiled']:.0f})"
                 if value["train_windows_per_s_compiled"] else "") + "  "
              f"peak RSS {value['peak_rss_mb']:.0f} MB", flush=True)
        latency = value["single_window_9_steps"]
        print(f"{'':13} rollout(1140) first implementation "
              f"{value['rollout_1140_reference']['mean_s']:.3f}s; one window p50 " +
              ", ".join(f"{k} {v['p50_ms']:.2f} ms" for k, v in latency.items()), flush=True)

    if args.threads:
        torch.set_num_threads(args.threads)
    description = device_description(args.device)
    report = {
        "benchmark": "stgcn_speed", "created": now_iso(), "commit": git_commit(),
        "machine": {"device": description, "platform": platform.platform(),
                    "python": platform.python_version(), "torch": torch.__version__,
                    "threads": torch.get_num_threads()},
        "settings": {k: v for k, v in vars(args).items() if k != "out"} | {"windows": N_WINDOWS,
                     "rollout_steps": 9, "train_batch": 50, "dataset": "pemsd7m"},
        "rollout_1140": {k: v["rollout_1140"] for k, v in figures.items()},
        "rollout_1140_reference": {k: v["rollout_1140_reference"] for k, v in figures.items()},
        "single_window_9_steps": {k: v["single_window_9_steps"] for k, v in figures.items()},
        "train_windows_per_s": {k: v["train_windows_per_s"] for k, v in figures.items()},
        "train_windows_per_s_compiled": {k: v["train_windows_per_s_compiled"]
                                         for k, v in figures.items()},
        "peak_memory_mb": {k: {m: v[m] for m in ("peak_rss_mb", "peak_rss_increase_mb", "peak_gpu_memory_mb")
                               if m in v} for k, v in figures.items()},
        "parameters": {k: v["parameters"] for k, v in figures.items()},
    }
    if {"teacher", "student"} <= set(figures):
        report["ratio_student_teacher"] = (figures["student"]["rollout_1140"]["mean_s"]
                                           / figures["teacher"]["rollout_1140"]["mean_s"])
        print(f"student / teacher rollout time: {report['ratio_student_teacher']:.3f} "
              "(paper, GTX 1080: 0.547 / 3.423 = 0.160)")
    out = Path(args.out) if args.out else results_root() / "benchmarks" / f"{machine_slug(description, args.device)}.json"
    write_json(out, report)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
