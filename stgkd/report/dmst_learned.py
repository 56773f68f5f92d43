"""What DMST-GNODE's learned parts learned: the dynamic graph, the fusion weights and the
graph ODE's feature mixing, measured on a stored run against the model it started from.

* the dynamic graph ``softmax(relu(E1 E2^T))`` (:class:`stgkd.nn.dmst_gnode.DynamicGraph`):
  its correlation with the graph at initialisation (:func:`initial_model` rebuilds the
  model the run started from), how often each station's ``k`` strongest links go to road
  neighbours against the rate of ``k`` stations drawn at random
  (:func:`knn_road_agreement`), and how saturated its row softmax is
  (:func:`softmax_saturation`);
* the fusion weights ``Y = F_g * Y_gode + F_s * Y_st`` (:func:`fusion_summary`);
* the feature-mixing matrices ``W = P diag(clamp(d, 0, 1)) P^T`` of every graph ODE
  (:func:`mixing_spectra`);
* why each moved as little as it did (:func:`gradient_table`): the gradient's norm
  against the weight's over a few training batches at the stored weights, and the
  agreement of the gradient's sign across them, which is what Adam's step follows: a
  coordinate whose gradient keeps its sign moves ``lr`` a step, one whose sign flips
  from batch to batch moves a fraction of it.

Checkpoints are read only through :func:`stgkd.runs.load_run_model` (weights only).
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
import torch
from torch import nn

# The parts whose learning is measured, by the prefix or suffix of their parameter names;
# every other parameter is "other weights".
PARTS: tuple[tuple[str, str], ...] = (
    ("dynamic graph embeddings", "dynamic."),
    ("fusion weights", "fusion"),
    ("ODE feature basis P", ".ode.feature_basis"),
    ("ODE feature scales d", ".ode.feature_scale"),
    ("ODE time mixing (basis, scales)", ".ode.temporal_"),
    ("ODE node attenuation alpha", ".ode.alpha"),
)
OTHER_PART = "other weights"
# The nearest neighbours compared with the road graph.
K_NEIGHBOURS = 5


def part_of(name: str) -> str:
    """The part (:data:`PARTS`) a parameter named ``name`` belongs to."""
    for part, key in PARTS:
        if name.startswith(key) if not key.startswith(".") else key in name:
            return part
    return OTHER_PART


# ----------------------------------------------------------------------------- the start


def initial_model(result: dict, options: dict | None = None) -> nn.Module:
    """The model a stored DMST run started from, by the run's own code path
    (:func:`stgkd.dmst.run.run_dmst`): ``torch.manual_seed(seed)``, then
    :func:`stgkd.dmst.build_model` on the graphs of its training days with its options
    (``options``, else the result's ``reading`` less its scaling, else the defaults)."""
    from stgkd.dmst import build_model
    from stgkd.report.dmst import N_HIS, N_PRED
    from stgkd.runs import dataset_series, training_graphs
    if options is None:
        options = {k: v for k, v in (result.get("reading") or {}).items() if k != "scaling"}
    series = dataset_series(result["dataset"])
    graphs = training_graphs(result["dataset"], int(result["split_days"][0]))
    torch.manual_seed(int(result["seed"]))
    return build_model(result["model"], series.n_nodes, graphs, N_HIS, N_PRED, **options)


def correlation(a, b) -> float:
    """Pearson correlation of the entries of two same-shaped arrays or tensors."""
    a = np.asarray(a.detach() if hasattr(a, "detach") else a, dtype=np.float64).ravel()
    b = np.asarray(b.detach() if hasattr(b, "detach") else b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"a, b: expected the same number of entries, found {a.size}, {b.size}")
    return float(np.corrcoef(a, b)[0, 1])


def start_correlation(trained: nn.Module, start: nn.Module) -> float:
    """Median over the randomly initialised weight tensors (those not constant at the
    start) of each one's correlation between ``trained`` and ``start``: near 1 when
    ``start`` is the model the run began from (training moves weights only part of the
    way), near 0 for a model drawn with another seed. Checks :func:`initial_model`."""
    begin = dict(start.named_parameters())
    values = [correlation(p, begin[name]) for name, p in trained.named_parameters()
              if torch.unique(begin[name].detach()).numel() > 1
              and torch.unique(p.detach()).numel() > 1]
    return float(np.median(values))


# ----------------------------------------------------------------------------- the parts


def dynamic_graph(model: nn.Module) -> np.ndarray:
    """The model's learned graph ``softmax(relu(E1 E2^T))`` [N, N], float64."""
    with torch.no_grad():
        return model.dynamic().double().numpy()


def knn_road_agreement(graph: np.ndarray, road_weights: np.ndarray,
                       k: int = K_NEIGHBOURS) -> tuple[float, float]:
    """How often a station's ``k`` strongest links in ``graph`` (row ``i``, other
    stations only) go to its road neighbours (``road_weights[i, j] > 0``, ``j != i``),
    and the rate for ``k`` other stations drawn at random, ``mean_i deg_i / (N - 1)``.

    Ties are broken by the lower station index (a stable sort).

    Returns:
        ``(share, chance)``, both in [0, 1].
    """
    g = np.asarray(graph, dtype=np.float64)
    road = np.asarray(road_weights) > 0
    n = g.shape[0]
    if g.shape != (n, n) or road.shape != (n, n):
        raise ValueError(f"graph, road_weights: expected two [N, N] arrays, found "
                         f"{list(g.shape)}, {list(road.shape)}")
    if not 1 <= k < n:
        raise ValueError(f"k: expected 1 <= k < N = {n}, found {k}")
    road = road.copy()
    np.fill_diagonal(road, False)
    g = g.copy()
    np.fill_diagonal(g, -np.inf)                       # a station is not its own neighbour
    nearest = np.argsort(-g, axis=1, kind="stable")[:, :k]
    share = float(np.take_along_axis(road, nearest, axis=1).mean())
    chance = float((road.sum(axis=1) / (n - 1)).mean())
    return share, chance


def softmax_saturation(model: nn.Module) -> dict:
    """How peaked the dynamic graph's row softmax is: ``row_max`` the mean over rows of the
    largest weight (1/N for a uniform row, 1 for one-hot), ``cut_by_relu`` the share of
    the logits ``E1 E2^T`` that the ReLU sets to zero (their gradient is zero), and
    ``logit_std`` the logits' standard deviation (``sqrt(embed_dim)`` for standard normal
    embeddings)."""
    with torch.no_grad():
        logits = model.dynamic.source @ model.dynamic.target.T
        graph = torch.softmax(torch.relu(logits), dim=1)
    return {"row_max": float(graph.max(dim=1).values.mean()),
            "cut_by_relu": float((logits <= 0).double().mean()),
            "logit_std": float(logits.std())}


def fusion_summary(model: nn.Module) -> dict:
    """Mean, standard deviation, minimum and maximum of each fusion weight map (``ode``
    first, then ``st``, as the model keeps them), each [n_pred, N], started at 0.5."""
    out = {}
    names = (["ode"] if model.gode is not None else []) + (["st"] if model.st is not None else [])
    for name, weight in zip(names, model.fusion.detach().double()):
        out |= {f"fusion_{name}_mean": float(weight.mean()),
                f"fusion_{name}_std": float(weight.std()),
                f"fusion_{name}_min": float(weight.min()),
                f"fusion_{name}_max": float(weight.max())}
    return out


def branch_correlation(model: nn.Module, x: torch.Tensor) -> float:
    """Correlation, over the entries of the forecasts [B, n_pred, N] for windows ``x``
    [B, n_his, N], of the GODE module's output with the ST module's. Near 1, the loss
    sees mostly ``F_g + F_s``, and how it is split between the two is left to the
    gradient's noise."""
    from stgkd.nn.baselines.mst_gcn import MSTGCN
    if model.gode is None or model.st is None:
        raise ValueError("model: expected both the GODE and the ST module, found a model "
                         f"without {model.config['without']}")
    with torch.no_grad():
        gode = model.gode(x.unsqueeze(1), model.graphs())
        st = model.st(x) if isinstance(model.st, MSTGCN) else model.st(x.unsqueeze(1))
    return correlation(gode, st)


def mixing_spectra(model: nn.Module) -> pd.DataFrame:
    """One row per graph ODE: the eigenvalues of its feature mixing ``W`` (``w_min``,
    ``w_max``; ``W`` is symmetric, so ``w_max`` is also its spectral norm), the largest
    singular value of its basis ``P`` (``W``'s eigenvalues are at most its square), and
    ``scales_past_clamp``, the share of its scales ``d`` outside [0, 1] (under STGODE's
    clamp those get no gradient)."""
    rows = []
    for name, module in model.named_modules():
        if not hasattr(module, "feature_basis"):
            continue
        with torch.no_grad():
            w = module._mixing(module.feature_basis, module.feature_scale).double()
            eig = torch.linalg.eigvalsh((w + w.T) / 2)
            scale = module.feature_scale
            rows.append({"ode": name, "w_min": float(eig.min()), "w_max": float(eig.max()),
                         "basis_sigma_max": float(torch.linalg.matrix_norm(
                             module.feature_basis.double(), ord=2)),
                         "scales_past_clamp": float(((scale < 0) | (scale > 1)).double().mean())})
    return pd.DataFrame(rows, columns=["ode", "w_min", "w_max", "basis_sigma_max",
                                       "scales_past_clamp"])


# ----------------------------------------------------------------------------- why


def gradient_table(model: nn.Module, start: nn.Module, batches: Iterable[tuple[torch.Tensor,
                   torch.Tensor]], loss_fn, lr: float, steps: int) -> pd.DataFrame:
    """Why each part (:data:`PARTS`) moved as far as it did, one row per part.

    Args:
        model: the trained model (its weights are not changed; gradients are cleared).
        start: the model it started from (:func:`initial_model`).
        batches: ``(x, y)`` training batches; ``loss_fn(model, x, y)`` a scalar loss.
        lr, steps: Adam's learning rate and the number of steps the run took.

    Returns:
        ``part``; ``parameters`` (count); ``moved`` ``||w - w0|| / ||w0||``;
        ``moved_per_coordinate`` the root mean square of ``w - w0``; ``adam_reach``
        ``lr * steps``, the farthest one coordinate can move under Adam (about ``lr`` a
        step); ``random_walk_reach`` ``lr * sqrt(steps)``, how far steps of ``lr`` in
        random directions go (root mean square); ``grad_to_weight`` ``||g|| / ||w||``
        averaged over the batches;
        ``sign_agreement`` the mean over coordinates of ``|mean g| / rms g`` across the
        batches (1: the same gradient every batch, Adam steps ``lr`` each time; about
        ``1 / sqrt(batches)`` for gradients of random sign: ``sign_agreement_by_chance``,
        :func:`random_sign_agreement`). Zero-gradient coordinates count 0.
    """
    begin = dict(start.named_parameters())
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    grads = {n: [] for n, _ in named}
    was_training = model.training
    model.train()
    for x, y in batches:
        model.zero_grad(set_to_none=True)
        loss_fn(model, x, y).backward()
        for n, p in named:
            grads[n].append(torch.zeros_like(p) if p.grad is None else p.grad.detach().clone())
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    rows = []
    for part in [p for p, _ in PARTS] + [OTHER_PART]:
        names = [n for n, _ in named if part_of(n) == part]
        if not names:
            continue
        w = torch.cat([dict(named)[n].detach().flatten().double() for n in names])
        w0 = torch.cat([begin[n].detach().flatten().double() for n in names])
        g = torch.stack([torch.cat([grads[n][b].flatten().double() for n in names])
                         for b in range(len(grads[names[0]]))])           # [batches, P]
        rms = g.pow(2).mean(dim=0).sqrt()
        agree = torch.where(rms > 0, g.mean(dim=0).abs() / rms.clamp_min(1e-300), 0.0)
        rows.append({"part": part, "parameters": int(w.numel()),
                     "moved": float((w - w0).norm() / w0.norm()) if w0.norm() > 0 else math.nan,
                     "moved_per_coordinate": float((w - w0).pow(2).mean().sqrt()),
                     "adam_reach": lr * steps, "random_walk_reach": lr * math.sqrt(steps),
                     "grad_to_weight": float((g.norm(dim=1) / w.norm()).mean()),
                     "sign_agreement": float(agree.mean()),
                     "sign_agreement_by_chance": random_sign_agreement(g.shape[0])})
    return pd.DataFrame(rows)


def random_sign_agreement(n: int) -> float:
    """``E |mean g| / rms g`` over ``n`` batches when ``g`` is ``+c`` or ``-c`` at random:
    ``E |S_n| / n`` for ``S_n`` a sum of ``n`` independent signs (binomial)."""
    if n < 1:
        raise ValueError(f"n: expected at least one batch, found {n}")
    return sum(math.comb(n, j) * abs(2 * j - n) for j in range(n + 1)) / 2 ** n / n


def run_steps(result: dict) -> int:
    """The Adam steps a stored run took up to its selected epoch: ``best_epoch`` epochs of
    ``ceil(windows / batch)`` steps, ``windows`` the epoch budget or the training set."""
    config = result["train_config"]
    windows = config.get("epoch_windows") or result["windows"]["train"]
    return int(result["best_epoch"]) * math.ceil(windows / config["batch_size"])


def training_batches(result: dict, n_batches: int = 4) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``n_batches`` training batches ``(x [B, 12, N], y [B, 12, N])`` of a stored run,
    scaled with its stored scaler, drawn in the order the run's next epoch would take
    (:func:`stgkd.train.fit`'s permutation for its seed and epoch ``best_epoch``)."""
    from stgkd.dmst import make_multistep_windows
    from stgkd.dmst.scaling import DEFAULT_SCALING
    from stgkd.report.dmst import N_HIS, N_PRED, run_scaler
    from stgkd.runs import dataset_series
    data = make_multistep_windows(dataset_series(result["dataset"]), tuple(result["split_days"]),
                                  N_HIS, N_PRED, scaler=run_scaler(result),
                                  scaling=result.get("scaling", DEFAULT_SCALING))
    config = result["train_config"]
    order = torch.randperm(data.train.shape[0], generator=torch.Generator().manual_seed(
        config["seed"] * 100_003 + int(result["best_epoch"])))
    size = config["batch_size"]
    return [(data.train[order[i * size:(i + 1) * size], :N_HIS],
             data.train[order[i * size:(i + 1) * size], N_HIS:]) for i in range(n_batches)]


def learned_parts(result: dict, n_batches: int = 6, k: int = K_NEIGHBOURS,
                  results_dir=None) -> dict:
    """Every measurement of one stored DMST-GNODE run: ``summary`` (a dict, the row of
    :func:`learned_parts_table`), ``gradients`` (:func:`gradient_table`) and ``mixing``
    (:func:`mixing_spectra`). Takes ``n_batches`` forward and backward passes."""
    from stgkd.dmst.scaling import DEFAULT_SCALING, training_loss
    from stgkd.report.dmst import run_scaler
    from stgkd.runs import load_run_model, training_graphs
    trained = load_run_model(result, results_dir=results_dir)
    start = initial_model(result)
    other = initial_model({**result, "seed": int(result["seed"]) + 1})
    graph, graph0 = dynamic_graph(trained), dynamic_graph(start)
    road = training_graphs(result["dataset"], int(result["split_days"][0]))["distance"]
    share, chance = knn_road_agreement(graph, road, k)
    share0, _ = knn_road_agreement(graph0, road, k)
    mixing = mixing_spectra(trained)
    loss_fn = training_loss(result.get("scaling", DEFAULT_SCALING), run_scaler(result))
    batches = training_batches(result, n_batches)
    gradients = gradient_table(trained, start, batches, loss_fn,
                               result["train_config"]["lr"], run_steps(result))
    summary = {"dataset": result["dataset"], "seed": result["seed"], "batches": n_batches,
               "adam_steps": run_steps(result),
               "start_correlation_own_seed": start_correlation(trained, start),
               "start_correlation_other_seed": start_correlation(trained, other),
               "dynamic_graph_start_correlation": correlation(graph, graph0),
               "embedding_start_correlation": correlation(
                   torch.cat([trained.dynamic.source, trained.dynamic.target]),
                   torch.cat([start.dynamic.source, start.dynamic.target])),
               f"knn{k}_on_roads": share, f"knn{k}_on_roads_at_start": share0,
               f"knn{k}_on_roads_by_chance": chance,
               **{f"dynamic_{key}": v for key, v in softmax_saturation(trained).items()},
               **fusion_summary(trained),
               "branch_output_correlation": branch_correlation(
                   trained, torch.cat([x for x, _ in batches])),
               "mixing_eig_max": float(mixing["w_max"].max()),
               "mixing_eig_min": float(mixing["w_min"].min()),
               "mixing_scales_past_clamp": float(mixing["scales_past_clamp"].mean())}
    return {"summary": summary, "gradients": gradients, "mixing": mixing}


def learned_parts_table(measured: Iterable[dict]) -> pd.DataFrame:
    """The ``summary`` of each :func:`learned_parts` result as one column per data set,
    one row per measurement."""
    frame = pd.DataFrame([m["summary"] for m in measured]).set_index("dataset")
    return frame.T


def gradients_table(measured: Iterable[dict]) -> pd.DataFrame:
    """The ``gradients`` tables of several :func:`learned_parts` results, with a
    ``dataset`` column first."""
    frames = [m["gradients"].assign(dataset=m["summary"]["dataset"]) for m in measured]
    frame = pd.concat(frames, ignore_index=True)
    return frame[["dataset"] + [c for c in frame.columns if c != "dataset"]]


def measure_runs(results: Iterable[dict], profile: str = "best", results_dir=None,
                 n_batches: int = 6) -> list[dict]:
    """:func:`learned_parts` of the pinned DMST-GNODE run (``dmst/<dataset>/dmst-gnode``,
    lowest seed of the best profile, :func:`stgkd.runs.pick_runs`) of every data set
    that has one with its checkpoint."""
    from stgkd.report.dmst import DMST_DATASETS, dmst_experiment
    from stgkd.runs import pick_runs
    names = [dmst_experiment(d, "DMST-GNODE") for d in DMST_DATASETS]
    measured = []
    for run in pick_runs(list(results), names, profile).values():
        if run is None:
            continue
        try:
            measured.append(learned_parts(run, n_batches, results_dir=results_dir))
        except FileNotFoundError:
            continue
    return measured


def _span(mean: float, std: float, low: float, high: float) -> str:
    return f"{mean:.3f} ± {std:.3f} ({low:.2f}–{high:.2f})"


def learned_parts_view(measured: Iterable[dict], k: int = K_NEIGHBOURS) -> pd.DataFrame:
    """The measurements of :func:`learned_parts` for the book: one row per measurement,
    labelled, one column per data set, as text."""
    columns = {}
    for m in measured:
        s = m["summary"]
        rows = {
            "Adam steps to the kept epoch": f"{s['adam_steps']}",
            "weights' correlation with the rebuilt start: run's seed / seed + 1":
                f"{s['start_correlation_own_seed']:.3f} / {s['start_correlation_other_seed']:.3f}",
            "dynamic graph: correlation with its start":
                f"{s['dynamic_graph_start_correlation']:.3f}",
            "its embeddings E1, E2: correlation with their start":
                f"{s['embedding_start_correlation']:.3f}",
            f"{k} strongest links per station on road links: trained / at start / by chance":
                f"{s[f'knn{k}_on_roads']:.3f} / {s[f'knn{k}_on_roads_at_start']:.3f} / "
                f"{s[f'knn{k}_on_roads_by_chance']:.3f}",
            "dynamic graph rows: mean largest weight; logits cut by the ReLU":
                f"{s['dynamic_row_max']:.2f}; {s['dynamic_cut_by_relu']:.2f}",
            "fusion weight of the GODE module, from 0.5: mean ± sd (min–max)":
                _span(s["fusion_ode_mean"], s["fusion_ode_std"], s["fusion_ode_min"],
                      s["fusion_ode_max"]),
            "fusion weight of the ST module, from 0.5: mean ± sd (min–max)":
                _span(s["fusion_st_mean"], s["fusion_st_std"], s["fusion_st_min"],
                      s["fusion_st_max"]),
            "GODE and ST outputs: correlation": f"{s['branch_output_correlation']:.3f}",
            "ODE feature mixing W: eigenvalues, lowest–highest (from 1)":
                f"{s['mixing_eig_min']:.2f}–{s['mixing_eig_max']:.2f}",
            "ODE feature scales d past the clamp at 1 (no gradient)":
                f"{s['mixing_scales_past_clamp']:.0%}",
        }
        columns[s["dataset"]] = rows
    return pd.DataFrame(columns)


def gradients_view(measured: Iterable[dict]) -> pd.DataFrame:
    """:func:`gradients_table` for the book: how far each part moved per coordinate
    against Adam's reach and a random walk's, its gradient against its weight (as text in
    scientific notation: it spans orders of magnitude), and the gradient's sign agreement
    against chance."""
    frame = gradients_table(measured)
    frame = frame.assign(grad_to_weight=[f"{v:.1e}" for v in frame["grad_to_weight"]])
    return frame[["dataset", "part", "parameters", "moved_per_coordinate", "random_walk_reach",
                  "adam_reach", "grad_to_weight", "sign_agreement", "sign_agreement_by_chance"]]


def learned_parts_note(measured: Iterable[dict], k: int = K_NEIGHBOURS) -> str:
    """One paragraph on what :func:`learned_parts` found, every figure from ``measured``."""
    measured = list(measured)
    if not measured:
        return "No DMST-GNODE run with its checkpoint is stored yet: nothing to measure."
    s = [m["summary"] for m in measured]
    g = gradients_table(measured).set_index(["dataset", "part"])
    names = ", ".join(x["dataset"] for x in s)

    def each(fmt, key):
        return " and ".join(fmt.format(x[key]) for x in s)

    def part(name, column, fmt="{:.3f}"):
        return " and ".join(fmt.format(g.loc[(x["dataset"], name), column]) for x in s)

    def ratio(name, reach):
        rows = [g.loc[(x["dataset"], name)] for x in s]
        return " and ".join(f"{r['moved_per_coordinate'] / r[reach]:.2g}" for r in rows)

    points = " and ".join(f"{100 * (x[f'knn{k}_on_roads'] - x[f'knn{k}_on_roads_by_chance']):+.1f}"
                          for x in s)
    points0 = " and ".join(
        f"{100 * (x[f'knn{k}_on_roads_at_start'] - x[f'knn{k}_on_roads_by_chance']):+.1f}"
        for x in s)
    sentences = [
        f"Measured on {names} (the rebuilt start is the run's: its weights correlate "
        f"{each('{:.2f}', 'start_correlation_own_seed')} with the trained ones, against "
        f"{each('{:.2f}', 'start_correlation_other_seed')} for the next seed's).",
        f"**Dynamic graph.** Its embeddings moved "
        f"{part('dynamic graph embeddings', 'moved_per_coordinate', '{:.2f}')} "
        f"per coordinate (root mean square; Adam's reach over the run is "
        f"{part('dynamic graph embeddings', 'adam_reach', '{:.2f}')}, a random walk of its "
        f"steps {part('dynamic graph embeddings', 'random_walk_reach', '{:.2f}')}) and still "
        f"correlate {each('{:.2f}', 'embedding_start_correlation')} with their standard-normal "
        f"start; the graph correlates only {each('{:.2f}', 'dynamic_graph_start_correlation')} "
        f"with its start because softmax(relu(E1 E2ᵀ)) of logits of standard deviation "
        f"{each('{:.1f}', 'dynamic_logit_std')} is steep: half the logits "
        f"({each('{:.2f}', 'dynamic_cut_by_relu')}) are cut to 0 by the ReLU, with no gradient, "
        f"and a row's largest weight is {each('{:.2f}', 'dynamic_row_max')} on average, so "
        f"small moves of the embeddings reorder a row. What they moved to is hardly the roads: "
        f"a station's {k} strongest links fall on road links "
        f"{each('{:.3f}', f'knn{k}_on_roads')} of the time, against "
        f"{each('{:.3f}', f'knn{k}_on_roads_at_start')} at the start and "
        f"{each('{:.3f}', f'knn{k}_on_roads_by_chance')} for {k} stations drawn at random: "
        f"{points} percentage points above chance, where the random start was {points0}.",
        f"**Fusion weights.** Their gradient reaches them "
        f"({part('fusion weights', 'grad_to_weight', '{:.1e}')} of their norm a batch, "
        f"against {part(OTHER_PART, 'grad_to_weight', '{:.1e}')} for the other weights; "
        f"Adam's step does not depend on that size). They moved "
        f"{part('fusion weights', 'moved_per_coordinate')} per coordinate: "
        f"{ratio('fusion weights', 'random_walk_reach')} times the "
        f"{part('fusion weights', 'random_walk_reach')} of a random walk of Adam's steps and "
        f"{ratio('fusion weights', 'adam_reach')} times Adam's reach, where the embeddings "
        f"moved {ratio('dynamic graph embeddings', 'random_walk_reach')} times the random "
        f"walk's; at the stored weights the sign of their gradient agrees across "
        f"{s[0]['batches']} training batches {part('fusion weights', 'sign_agreement', '{:.2f}')} "
        f"(random signs: {part('fusion weights', 'sign_agreement_by_chance', '{:.2f}')}; the "
        f"other weights: {part(OTHER_PART, 'sign_agreement', '{:.2f}')}). So each node's "
        f"weights wander near 0.5 (means {each('{:.2f}', 'fusion_ode_mean')} for the GODE "
        f"module, {each('{:.2f}', 'fusion_st_mean')} for the ST module, whose outputs "
        f"correlate {each('{:.2f}', 'branch_output_correlation')}): nothing cuts their "
        f"gradient, the loss gives them little steady direction.",
        f"**ODE feature mixing.** W = P diag(clamp(d, 0, 1)) Pᵀ bounds its eigenvalues by "
        f"‖P‖², not by 1, and P is free: they reach {each('{:.1f}', 'mixing_eig_max')}. "
        f"The scales d start at the clamp's bound 1, and "
        f"{each('{:.0%}', 'mixing_scales_past_clamp')} of them ended past it, where the "
        f"clamp passes no gradient (their sign agreement "
        f"{part('ODE feature scales d', 'sign_agreement', '{:.2f}')} counts those as 0): a "
        f"gradient the clamp cuts, not a part with nothing to learn. The graph "
        f"ODE's option mixing=\"orthonormal\" keeps the eigenvalues in [0, 1] and lets "
        f"those scales learn; the stored runs use the default.",
    ]
    return " ".join(sentences)
