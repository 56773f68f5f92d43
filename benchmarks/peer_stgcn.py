"""Our STGCN against a widely used public PyTorch STGCN (hazdzz/STGCN, LGPL-2.1), side by
side in one process on PeMSD7(M)'s graph: the training step and the 9-step rollout, at
the peer's shapes nearest to our teacher and student. Stored in
results/benchmarks/peer-stgcn-<machine>.json.

The peer's model code is read at run time from ``../shared/peers/hazdzz-stgcn`` (relative
to the repository root; ``--peer`` gives another folder) and nothing of it is copied
here; where the folder is absent the script says so and stores nothing.

The nearest shapes: the peer's ``blocks`` ``[[1], [c_t, c_s, c_o] per block, [c_out,
c_out], [1]]`` with our channel counts (teacher ``[[1], [32, 32, 64], [32, 32, 128],
[128, 128], [1]]``, student ``[[1], [2, 2, 4], [2, 2, 8], [8, 8], [1]]``), Chebyshev
graph convolution with Ks = 3 on its own scaled normalised Laplacian of our weights,
Kt = 3, 12 input steps, dropout 0. What stays different is the peer's design: both
temporal convolutions of a block are GLUs (our second is a ReLU convolution, half the
output channels), its output layer ends in two fully connected layers (ours: a sigmoid
1x1 convolution and a per-node bias), its graph convolution is
``einsum`` products on a [B, T, N, C] permute and its residual padding a concatenation
of zeros. The parameter counts of both are stored.

Timed, in rounds that interleave every (model, implementation) pair so the machine's load
hits them alike; the figure is the median over rounds:

- ``train``: training steps of 50 windows (forward, MSE loss, backward, RMSProp step),
  windows per second;
- ``rollout``: the 9-step forecast of ``--windows`` test windows in batches of 32, each
  prediction fed back as the newest input: the peer re-runs its whole model each step
  (it has no other way), ours is timed both so (``rollout_rerun``, the like-for-like
  figure) and as it forecasts by default (``rollout``, the streaming rollout).

    python benchmarks/peer_stgcn.py --threads 2
    python benchmarks/peer_stgcn.py --device cuda --rounds 10
"""
from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from stgkd.benchmarking import (MODELS, batched, machine_record, machine_slug, output_path,
                                seeded_pemsd7m, sync)
from stgkd.complexity import count_parameters
from stgkd.data import DEFAULT_SPLITS, make_windows
from stgkd.evaluate import rollout
from stgkd.io import write_json
from stgkd.nn import STGCN
from stgkd.nn.streaming import streaming_rollout
from stgkd.provenance import device_description, git_commit, now_iso

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PEER = REPO.parent / "shared" / "peers" / "hazdzz-stgcn"
BATCH = 50
EVAL_BATCH = 32
N_PRED = 9


def peer_blocks(blocks: list[list[int]]) -> list[list[int]]:
    """The peer's ``blocks`` argument nearest to our ``blocks`` ``[[c_in, c_hidden,
    c_out], ...]``: per block its temporal, graph and second temporal channels
    ``[c_hidden, c_hidden, c_out]``, then the output layer's ``[c_out, c_out]`` and one
    output channel."""
    return [[blocks[0][0]]] + [[b[1], b[1], b[2]] for b in blocks] + [[blocks[-1][2]] * 2, [1]]


def load_peer(folder: Path):
    """The peer's ``model.models`` and ``script.utility`` modules, imported from
    ``folder`` (which must hold ``model/models.py``)."""
    if not (folder / "model" / "models.py").is_file():
        raise FileNotFoundError(f"{folder}: expected the peer's model/models.py, found no such "
                                f"file")
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module("model.models"), importlib.import_module("script.utility")
    finally:
        sys.path.remove(str(folder))


def build_peer(models, utility, blocks: list[list[int]], weights: np.ndarray, n_his: int,
               device: torch.device) -> torch.nn.Module:
    """The peer's Chebyshev STGCN at the shapes nearest to ``blocks``, on the graph
    ``weights`` with the peer's own graph shift operator (its defaults: the symmetric
    normalised Laplacian, rescaled for Chebyshev polynomials)."""
    with np.errstate(divide="ignore"):    # an isolated station's degree 0, which the peer zeroes
        gso = utility.calc_chebynet_gso(utility.calc_gso(weights, "sym_norm_lap"))
    args = SimpleNamespace(Kt=3, Ks=3, n_his=n_his, act_func="glu",
                           graph_conv_type="cheb_graph_conv",
                           gso=torch.from_numpy(gso.toarray().astype(np.float32)).to(device),
                           enable_bias=True, droprate=0.0)
    return models.STGCNChebGraphConv(args, peer_blocks(blocks), weights.shape[0]).to(device)


def peer_step(model, x: torch.Tensor) -> torch.Tensor:
    """The peer's one-step forecast [B, 1, T, N] -> [B, N] (its output is [B, 1, 1, N])."""
    return model(x)[:, 0, 0, :]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's)")
    parser.add_argument("--models", nargs="+", default=["teacher", "student"],
                        choices=["teacher", "student"])
    parser.add_argument("--peer", type=Path, default=DEFAULT_PEER,
                        help=f"the peer's folder (default {DEFAULT_PEER})")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--train-steps", type=int, default=3,
                        help=f"training steps of {BATCH} windows per round (default 3)")
    parser.add_argument("--windows", type=int, default=128,
                        help="test windows rolled out per round (default 128)")
    parser.add_argument("--out", default=None,
                        help="output JSON (default results/benchmarks/peer-stgcn-<machine>.json)")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("error: --device cuda: expected a CUDA GPU, found none", file=sys.stderr)
        return 2
    try:
        peer_models, peer_utility = load_peer(args.peer)
    except (FileNotFoundError, ImportError) as error:
        print(f"skipped: the peer STGCN is not available ({error}); nothing stored",
              file=sys.stderr)
        return 0
    device = torch.device(args.device)
    series = seeded_pemsd7m(args.threads)
    data = make_windows(series, DEFAULT_SPLITS["pemsd7m"])
    train = data.train.to(device)
    windows = data.test[:args.windows].to(device)
    n_his = data.n_his

    subjects = {}      # (model, implementation) -> (train forward, rollout fns)
    parameters = {}
    for key in args.models:
        torch.manual_seed(0)
        ours = STGCN(series.n_nodes, MODELS[key], weights=series.weights).to(device)
        peer = build_peer(peer_models, peer_utility, MODELS[key], series.weights, n_his, device)
        parameters[key] = {"ours": count_parameters(ours), "peer": count_parameters(peer),
                           "peer_blocks": peer_blocks(MODELS[key])}
        subjects[(key, "ours")] = (ours, ours, {
            "rollout": lambda h, m=ours: streaming_rollout(m, h, N_PRED),
            "rollout_rerun": lambda h, m=ours: rollout(m, h, N_PRED)})
        subjects[(key, "peer")] = (peer, lambda x, m=peer: peer_step(m, x), {
            "rollout_rerun": lambda h, m=peer: rollout(lambda x: peer_step(m, x), h, N_PRED)})

    def train_round(model, forward, optimizer) -> float:
        model.train()
        sync(device)
        began = time.perf_counter()
        for step in range(args.train_steps):
            batch = train[step * BATCH:(step + 1) * BATCH]
            loss = torch.mean((forward(batch[:, None, :n_his]) - batch[:, n_his]) ** 2)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        sync(device)
        return BATCH * args.train_steps / (time.perf_counter() - began)

    def rollout_round(model, fn) -> float:
        model.eval()
        sync(device)
        began = time.perf_counter()
        with torch.no_grad():
            batched(fn, windows, n_his, EVAL_BATCH)
        sync(device)
        return time.perf_counter() - began

    optimizers = {name: torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9)
                  for name, (model, _, _) in subjects.items()}
    rounds: dict[tuple, dict[str, list[float]]] = {name: {} for name in subjects}
    for round_ in range(args.rounds + 1):        # round 0 warms up, untimed
        for name, (model, forward, rollouts) in subjects.items():
            figures = {"train_windows_per_s": train_round(model, forward, optimizers[name])}
            for kind, fn in rollouts.items():
                figures[f"{kind}_s"] = rollout_round(model, fn)
            if round_:
                for figure, value in figures.items():
                    rounds[name].setdefault(figure, []).append(value)
        print(f"round {round_}/{args.rounds} done", flush=True)

    results = {}
    for (key, implementation), figures in rounds.items():
        entry = results.setdefault(key, {"parameters": parameters[key]})
        entry[implementation] = {figure: {"median": statistics.median(values), "rounds": values}
                                 for figure, values in figures.items()}
        summary = ", ".join(f"{figure} {statistics.median(values):.3f}"
                            for figure, values in figures.items())
        print(f"{key:8} {implementation:5} {parameters[key][implementation]:>8,} params  {summary}")

    description = device_description(args.device)
    # the 1, 5 and 15 minute load averages at the end: how busy the shared machine was
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    report = {"benchmark": "peer_stgcn", "created": now_iso(), "commit": git_commit(),
              "machine": machine_record(description) | {"load_average": load},
              "settings": {"device": args.device, "threads": torch.get_num_threads(),
                           "models": args.models, "rounds": args.rounds,
                           "train_steps": args.train_steps, "train_batch": BATCH,
                           "windows": args.windows, "eval_batch": EVAL_BATCH,
                           "rollout_steps": N_PRED, "dataset": "pemsd7m",
                           "nodes": series.n_nodes,
                           "peer": {"name": "hazdzz/STGCN", "licence": "LGPL-2.1",
                                    "model": "STGCNChebGraphConv", "act_func": "glu",
                                    "gso": "sym_norm_lap, rescaled (calc_chebynet_gso)",
                                    "Ks": 3, "Kt": 3}},
              "models": results}
    path = output_path(args.out, f"peer-stgcn-{machine_slug(description, args.device)}")
    write_json(path, report)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
