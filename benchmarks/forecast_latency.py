"""One window, 9 steps ahead, on one CPU thread: the latency of the teacher's and the
student's forecast (p50 and p95) through eager PyTorch (the streaming rollout) and
through onnxruntime, with the streaming rollout exported as it is and folded
(``stgkd.nn.folded``, what ``stgkd export`` writes), under onnxruntime's basic and full
graph optimisation; and where the ONNX forecast's time goes: the exported graph's
operators by type, and onnxruntime's own profile of the folded student's forecast
(kernel time per operator type). Stored in results/benchmarks/forecast-latency-<machine>.json.

Every variant of a model is timed in the same rounds, one forecast each in turn, so the
load of a shared machine hits them alike; the profile's times include the profiler's own
cost per operator, so only its shares are compared.

    python benchmarks/forecast_latency.py
    python benchmarks/forecast_latency.py --models student --repeats 2000
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import torch

from stgkd.benchmarking import MODELS, cpu_benchmark_parser, seeded_pemsd7m, store_cpu_report
from stgkd.data import DEFAULT_SPLITS, make_windows
from stgkd.nn import STGCN
from stgkd.nn.streaming import streaming_rollout

N_PRED = 9


def session(path: Path, level: str, profile: str | None = None):
    """An onnxruntime session on one thread with graph optimisation ``level``
    (``basic`` or ``all``); ``profile``: a file prefix to profile into."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = {"basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                                        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}[level]
    if profile:
        options.enable_profiling = True
        options.profile_file_prefix = profile
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def operator_counts(path: Path) -> dict[str, int]:
    """The exported graph's operators by type (constants left out), most frequent first."""
    import onnx
    counts = Counter(node.op_type for node in onnx.load(str(path)).graph.node
                     if node.op_type != "Constant")
    return dict(counts.most_common())


def kernel_profile(path: Path, history: np.ndarray, runs: int, folder: Path) -> dict:
    """onnxruntime's profile of ``runs`` forecasts (basic optimisation): per operator type
    the kernel microseconds per forecast and the nodes run per forecast."""
    profiled = session(path, "basic", str(folder / "profile"))
    for _ in range(runs):
        profiled.run(None, {"history": history})
    events = json.loads(Path(profiled.end_profiling()).read_text())
    time_us, nodes = defaultdict(float), defaultdict(int)
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            time_us[event["args"]["op_name"]] += event["dur"]
            nodes[event["args"]["op_name"]] += 1
    return {op: {"kernel_us": time_us[op] / runs, "nodes": nodes[op] / runs}
            for op in sorted(time_us, key=time_us.get, reverse=True)}


def main(argv=None) -> int:
    parser = cpu_benchmark_parser(__doc__, "forecast_latency")
    parser.add_argument("--models", nargs="+", default=["teacher", "student"], choices=list(MODELS))
    parser.add_argument("--repeats", type=int, default=500,
                        help="timed forecasts per variant (default 500; the teacher a tenth)")
    parser.add_argument("--profile-runs", type=int, default=50,
                        help="forecasts profiled by onnxruntime (default 50)")
    args = parser.parse_args(argv)
    from stgkd.export import export_onnx
    series = seeded_pemsd7m(1)            # one thread: one request per core
    data = make_windows(series, DEFAULT_SPLITS["pemsd7m"])
    single = data.test[:1, None, :data.n_his]
    history = single.numpy()
    folder = tempfile.TemporaryDirectory()
    figures = {}
    for key in args.models:
        torch.manual_seed(0)
        model = STGCN(series.n_nodes, MODELS[key], weights=series.weights).eval()
        paths = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for kind, folded in (("streaming", False), ("folded", True)):
                paths[kind] = export_onnx(model, Path(folder.name) / f"{key}-{kind}.onnx",
                                          N_PRED, folded=folded)
        with torch.no_grad():
            expected = streaming_rollout(model, single, N_PRED).numpy()
        variants = {"eager_streaming": lambda: streaming_rollout(model, single, N_PRED)}
        agreement = {}
        for kind, path in paths.items():
            for level in ("basic", "all"):
                sess = session(path, level)
                agreement[f"onnx_{kind}_{level}"] = float(np.abs(
                    sess.run(None, {"history": history})[0] - expected).max())
                variants[f"onnx_{kind}_{level}"] = (
                    lambda s=sess: s.run(None, {"history": history}))
        repeats = args.repeats if key != "teacher" else max(args.repeats // 10, 20)
        times = {name: [] for name in variants}
        with torch.no_grad():
            for round_ in range(repeats + 10):          # the first 10 rounds warm up
                for name, fn in variants.items():
                    began = time.perf_counter()
                    fn()
                    if round_ >= 10:
                        times[name].append(time.perf_counter() - began)
        figures[key] = {
            "variants": {name: {"p50_ms": 1000 * float(np.percentile(t, 50)),
                                "p95_ms": 1000 * float(np.percentile(t, 95)),
                                "runs": len(t),
                                "max_abs_diff": agreement.get(name, 0.0)}
                         for name, t in times.items()},
            "operators": {kind: operator_counts(path) for kind, path in paths.items()},
            "profile_folded": kernel_profile(paths["folded"], history, args.profile_runs,
                                             Path(folder.name)),
        }
        for name, row in figures[key]["variants"].items():
            print(f"{key:8} {name:22} p50 {row['p50_ms']:8.3f} ms  p95 {row['p95_ms']:8.3f} ms")
    folder.cleanup()
    store_cpu_report("forecast_latency", args.out,
                     {"models": args.models, "repeats": args.repeats, "threads": 1,
                      "rollout_steps": N_PRED, "dataset": "pemsd7m", "nodes": series.n_nodes,
                      "profile_runs": args.profile_runs,
                      "load_average": [round(x, 2) for x in os.getloadavg()]},
                     {"models": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
