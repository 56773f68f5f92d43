"""Speed of the STGCN teacher, pruning base, student and every stored compacted pruned
model: the 9-step rollout of 1140 PeMSD7(M) windows (the first implementation that re-runs
the whole model each step; streaming, eager and under torch.compile; the exported ONNX
forecast run by onnxruntime), single-window 9-step latency (p50/p95, the same variants),
training windows per second (eager, and under torch.compile) and peak memory, stored in
results/benchmarks/<machine>.json.

A compacted pruned model is timed with its own channel counts on PeMSD7(M)'s 228 nodes
and random weights (speed depends on the shapes, not the values), so that every model is
timed on the same problem; the first implementation and training are timed for the three
named architectures only.

Each model is measured in a fresh subprocess so its peak memory is its own. After each
model, the figures so far go to <output>.partial.json (removed once the whole file is
written), so a run stopped early keeps what it measured without replacing a complete file.
Timings are the mean of repeated runs after warm-up runs, as the KD paper's Table 1
(which averages 100 runs on a GTX 1080; the defaults here are fewer on a CPU).

    python benchmarks/stgcn_speed.py                    # CPU, every model
    python benchmarks/stgcn_speed.py --models student teacher --no-checkpoints
    python benchmarks/stgcn_speed.py --device cuda --repeats 100
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys

import numpy as np
import torch

from stgkd.benchmarking import (MODELS, N_WINDOWS, batched, die_with_parent, in_fresh_process,
                                machine_record, machine_slug, onnx_forecasters, output_path,
                                seeded_pemsd7m, stored_compacted_models, timed, timings)
from stgkd.complexity import count_parameters
from stgkd.data import make_windows, DEFAULT_SPLITS
from stgkd.evaluate import forecast, rollout
from stgkd.io import write_json
from stgkd.nn import STGCN
from stgkd.nn.streaming import streaming_rollout
from stgkd.provenance import device_description, git_commit, now_iso
from stgkd.report.efficiency import fastest_rollout


def measure(subject: dict, args: argparse.Namespace, queue) -> None:
    """Measure one model (runs in its own process) and put its figures on ``queue``.

    ``subject``: ``{"key", "config": STGCN keyword arguments (its n_nodes is replaced by
    PeMSD7(M)'s), "full": also time the first implementation and training}``.
    """
    die_with_parent()
    series = seeded_pemsd7m(args.threads)
    device = torch.device(args.device)
    data = make_windows(series, DEFAULT_SPLITS["pemsd7m"])
    windows = data.test[:N_WINDOWS].to(device)
    config = {**subject["config"], "n_nodes": series.n_nodes}
    model = STGCN(**config, weights=series.weights).to(device).eval()
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)

    rollout_times = timed(lambda: forecast(model, windows, data.n_his, data.n_pred,
                                           batch_size=args.eval_batch, device=device),
                          device, args.warmup, args.repeats)
    reference_times = None
    if subject["full"]:
        # the first implementation: every rollout step re-runs the whole model
        reference_times = timed(lambda: forecast(model, windows, data.n_his, data.n_pred,
                                                 batch_size=args.eval_batch, device=device,
                                                 streaming=False),
                                device, args.warmup, args.repeats)
    # the streaming rollout compiled as one graph per batch shape (the last batch of
    # 1140 / 32 is smaller; the warm-up runs pay both compilations)
    compiled_rollout = torch.compile(lambda h: streaming_rollout(model, h, data.n_pred),
                                     dynamic=False)
    with torch.no_grad():
        compiled_times = timed(lambda: batched(compiled_rollout, windows, data.n_his,
                                                args.eval_batch),
                               device, max(args.warmup, 1), args.repeats)
    onnx = onnx_forecasters(model, data.n_pred, args) if device.type == "cpu" else None
    onnx_times = None
    if onnx:
        batch_windows = windows.cpu().numpy()
        onnx_times = timed(lambda: batched(onnx["rollout"].predict, batch_windows,
                                            data.n_his, args.eval_batch),
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
    variants = [("eager_reference", lambda: rollout(model, single, data.n_pred)),
                ("eager_streaming", lambda: streaming_rollout(model, single, data.n_pred)),
                ("compiled_streaming", lambda: compiled_streaming(single))]
    if onnx:
        single_numpy = single.cpu().numpy()
        variants.append(("onnx", lambda: onnx["single"].predict(single_numpy)))
    with torch.no_grad():
        for variant, fn in variants:
            times = timed(fn, device, 10, args.latency_repeats)
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
        times = timed(train_steps, device, 1, args.train_repeats)
        return batch * args.train_steps / statistics.mean(times)

    train_eager = train_compiled = None
    if subject["full"]:
        train_eager = train_rate(model)
        train_compiled = train_rate(torch.compile(model)) if args.compiled_training else None
    figures = {
        "parameters": count_parameters(model),
        "blocks": [list(b) for b in model.config["blocks"]],
        "rollout_1140": timings(rollout_times),
        "rollout_1140_reference": timings(reference_times) if reference_times else None,
        "rollout_1140_compiled": timings(compiled_times),
        "rollout_1140_onnx": timings(onnx_times) if onnx_times else None,
        "single_window_9_steps": single_window,
        "train_windows_per_s": train_eager,
        "train_windows_per_s_compiled": train_compiled,
        # ru_maxrss is in KiB on Linux
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_rss_increase_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024,
    }
    if device.type == "cuda":
        figures["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    if onnx:
        onnx["folder"].cleanup()
    queue.put((subject["key"], figures))


def summary_line(key: str, value: dict) -> str:
    """Two lines of a model's figures for the console."""
    rollouts = ", ".join(f"{name} {value[f'rollout_1140{suffix}']['mean_s']:.3f}s"
                         for name, suffix in (("first", "_reference"), ("streaming", ""),
                                              ("compiled", "_compiled"), ("onnx", "_onnx"))
                         if value.get(f"rollout_1140{suffix}"))
    latency = ", ".join(f"{k} {v['p50_ms']:.2f} ms"
                        for k, v in value["single_window_9_steps"].items())
    train = ""
    if value.get("train_windows_per_s"):
        train = f"  train {value['train_windows_per_s']:.0f} windows/s" + (
            f" (compiled {value['train_windows_per_s_compiled']:.0f})"
            if value.get("train_windows_per_s_compiled") else "")
    return (f"{key:24} {value['parameters']:>8,} params  rollout(1140) {rollouts}{train}  "
            f"peak RSS {value['peak_rss_mb']:.0f} MB\n{'':24} one window p50: {latency}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS),
                        help="named architectures to time (default: all three)")
    parser.add_argument("--no-checkpoints", dest="checkpoints", action="store_false",
                        help="do not time the stored compacted pruned models (by default each "
                             "full-profile prune run's checkpoint is timed)")
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

    subjects = [{"key": name, "config": {"blocks": MODELS[name]}, "full": True}
                for name in args.models]
    if args.checkpoints:
        subjects += stored_compacted_models()
    if args.threads:
        torch.set_num_threads(args.threads)
    description = device_description(args.device)
    out = output_path(args.out, machine_slug(description, args.device))
    # the models measured so far, after each one: a run stopped early keeps them there,
    # and a complete file already at ``out`` is not replaced by a partial one
    partial = out.with_name(out.stem + ".partial.json")
    figures = {}
    for subject in subjects:
        key, value = in_fresh_process(measure, subject, args)
        figures[key] = value
        print(summary_line(key, value), flush=True)
        write_json(partial, speed_report(figures, args, description) | {"complete": False})
    report = speed_report(figures, args, description)
    write_json(out, report)
    partial.unlink(missing_ok=True)
    if "ratio_student_teacher" in report:
        (s_variant, s_time), (t_variant, t_time) = (fastest_rollout(report, m)
                                                    for m in ("student", "teacher"))
        print(f"student / teacher rollout time: eager streaming "
              f"{report['ratio_student_teacher']:.3f}, each at its fastest "
              f"({s_variant} / {t_variant}) {s_time / t_time:.3f} "
              "(paper, GTX 1080: 0.547 / 3.423 = 0.160)")
    print(f"wrote {out}")
    return 0


def speed_report(figures: dict, args: argparse.Namespace, description: str) -> dict:
    """The benchmark file's content for the models measured so far (``figures`` by model)."""
    report = {
        "benchmark": "stgcn_speed", "created": now_iso(), "commit": git_commit(),
        "machine": machine_record(description),
        "settings": {k: v for k, v in vars(args).items() if k != "out"} | {"windows": N_WINDOWS,
                     "rollout_steps": 9, "train_batch": 50, "dataset": "pemsd7m"},
        "peak_memory_mb": {k: {m: v[m] for m in ("peak_rss_mb", "peak_rss_increase_mb", "peak_gpu_memory_mb")
                               if m in v} for k, v in figures.items()},
    }
    # one dict per figure, keyed by model; a figure a model was not timed for is left out
    for figure in ("parameters", "blocks", "rollout_1140", "rollout_1140_reference",
                   "rollout_1140_compiled", "rollout_1140_onnx", "single_window_9_steps",
                   "train_windows_per_s", "train_windows_per_s_compiled"):
        report[figure] = {k: v[figure] for k, v in figures.items() if v.get(figure) is not None}
    if {"teacher", "student"} <= set(figures):
        report["ratio_student_teacher"] = (figures["student"]["rollout_1140"]["mean_s"]
                                           / figures["teacher"]["rollout_1140"]["mean_s"])
        report["ratio_student_teacher_fastest"] = (fastest_rollout(report, "student")[1]
                                                   / fastest_rollout(report, "teacher")[1])
    return report


if __name__ == "__main__":
    sys.exit(main())
