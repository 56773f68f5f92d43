"""Algorithm 1 of the KD paper (jointly KD-pruning) and its pieces.

* :func:`prune_step` - lines 16-20: remove the lowest-scored share of every layer's
  remaining channels;
* :func:`compacted_parameter_count` / :func:`pruning_level` - how large the pruned
  network is, without building it;
* :func:`algorithm1` - the loop: train the masked model with a loss (LSTCD for KDIS,
  MSE for Molchanov's plain Taylor pruning) for ``interval`` minibatches while
  accumulating channel scores, prune, repeat until a size target is met, then
  compact and fine-tune with the supervised loss (lines 24-26).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from stgkd.progress import tqdm

from stgkd.io import read_torch, save_torch

from stgkd.data.windows import WindowedData
from stgkd.nn.stgcn import STGCN
from stgkd.prune.compact import compact, slice_parameter
from stgkd.prune.importance import TaylorImportance
from stgkd.prune.layout import parameter_slices, prunable_layers
from stgkd.prune.masks import (Masks, MaskedSTGCN, check_masks, full_masks, kept_counts,
                               kept_indices)
from stgkd.train import LossFn, supervised_mse


def removal_count(remaining: int, fraction: float) -> int:
    """Channels one step removes from a layer with ``remaining`` channels: ``fraction``
    of them rounded half up, never the last one."""
    return max(0, min(remaining - 1, math.floor(fraction * remaining + 0.5)))


# How a pruning step ranks channels: within each layer (Algorithm 1 as the KD paper
# writes it) or over the whole network at once (the Taylor-pruning paper it cites).
SCOPES = ("layer", "network")


def prune_step(masks: Masks, scores: dict[str, torch.Tensor], fraction: float,
               scope: str = "layer") -> Masks:
    """New masks with the lowest-scored ``fraction`` of every layer's *remaining* channels
    removed (Algorithm 1, lines 16-20; count per layer: :func:`removal_count`).

    ``scope="network"`` ranks every remaining channel of every layer together (Molchanov
    et al. 2019) and removes the lowest ``fraction`` of all of them
    (:func:`removal_count` of the total), so a layer may lose many channels or none;
    every layer still keeps at least one.

    Removed channels' scores are ignored; equal scores go lowest index first, so the
    step is deterministic. Every layer keeps at least one channel. ``masks`` is not
    changed.

    Shapes: masks and scores ``{layer: [channels]}`` with the same layers.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction: expected a share in [0, 1], found {fraction}")
    if sorted(scores) != sorted(masks):
        raise ValueError(f"scores: expected the layers of masks {sorted(masks)}, found {sorted(scores)}")
    if scope not in SCOPES:
        raise ValueError(f"scope: expected one of {SCOPES}, found {scope!r}")
    if scope == "network":
        return _prune_network(masks, scores, fraction)
    pruned = {}
    for name in masks:
        mask, score, kept = _layer_scores(name, masks, scores)
        order = sorted(kept, key=lambda c: (float(score[c]), c))
        new = mask.clone()
        new[order[:removal_count(len(kept), fraction)]] = False
        pruned[name] = new
    return pruned


def _layer_scores(name: str, masks: Masks, scores: dict[str, torch.Tensor]
                  ) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """One layer's bool mask, float64 scores and kept channel indices, checked."""
    mask = torch.as_tensor(masks[name]).detach().cpu() != 0
    score = torch.as_tensor(scores[name]).detach().cpu().double()
    if score.shape != mask.shape:
        raise ValueError(f"scores[{name!r}]: expected shape {list(mask.shape)}, "
                         f"found {list(score.shape)}")
    kept = torch.nonzero(mask).flatten().tolist()
    if not kept:
        raise ValueError(f"masks[{name!r}]: expected at least one kept channel, found none")
    if not torch.isfinite(score[kept]).all():
        raise ValueError(f"scores[{name!r}]: expected finite scores, found {score.tolist()}")
    return mask, score, kept


def _prune_network(masks: Masks, scores: dict[str, torch.Tensor], fraction: float) -> Masks:
    """:func:`prune_step` with ``scope="network"``: one ranking of all remaining channels."""
    candidates, pruned = [], {}
    for name in sorted(masks):
        mask, score, kept = _layer_scores(name, masks, scores)
        candidates += [(float(score[c]), name, c) for c in kept]
        pruned[name] = mask.clone()
    budget = removal_count(len(candidates), fraction)
    for _, name, channel in sorted(candidates):
        if budget == 0:
            break
        if int(pruned[name].sum()) > 1:          # every layer keeps one channel
            pruned[name][channel] = False
            budget -= 1
    return pruned


def _kept_shape(shape: list[int], spec, counts: dict[str, int]) -> list[int]:
    shape = list(shape)
    if spec.out_layer is not None:
        shape[spec.out_dim] = counts[spec.out_layer] * (2 if spec.halves else 1)
    if spec.in_layer is not None:
        shape[spec.in_dim] = counts[spec.in_layer]
    return shape


def compacted_parameter_count(model: nn.Module, masks: Masks) -> int:
    """Parameters of the compacted model for ``masks`` (equals
    ``count_parameters(compact(model, masks))``), computed from the shapes alone."""
    counts = kept_counts(check_masks(model, masks))
    params = dict(getattr(model, "model", model).named_parameters())
    return sum(math.prod(_kept_shape(params[s.name].shape, s, counts))
               for s in parameter_slices(model))


def prunable_parameter_count(model: nn.Module) -> int:
    """Parameters that removing some channel can remove: all except those no mask
    touches (the output layer's per-node bias)."""
    params = dict(getattr(model, "model", model).named_parameters())
    return sum(params[s.name].numel() for s in parameter_slices(model)
               if s.out_layer is not None or s.in_layer is not None)


def pruning_level(model: nn.Module, masks: Masks) -> float:
    """Share of the prunable parameters that ``masks`` removes (Table 8's "25/50/75%"
    read as pruning levels; see :func:`prunable_parameter_count`)."""
    prunable = prunable_parameter_count(model)
    fixed = sum(p.numel() for p in getattr(model, "model", model).parameters()) - prunable
    return 1.0 - (compacted_parameter_count(model, masks) - fixed) / prunable


def level_schedule(model: nn.Module, fraction: float, steps: int) -> list[float]:
    """The pruning level (:func:`pruning_level`) after each of ``steps`` pruning steps of
    ``fraction``. It follows from the channel counts alone: a step removes the same count
    from a layer whichever channels its scores pick (:func:`removal_count`)."""
    masks = full_masks(model)
    levels = []
    for _ in range(steps):
        masks = prune_step(masks, {name: torch.zeros(mask.numel())
                                   for name, mask in masks.items()}, fraction)
        levels.append(pruning_level(model, masks))
    return levels


def step_share(model: nn.Module, target_level: float, min_steps: int = 3,
               max_steps: int = 6, shares: Iterable[float] | None = None) -> float:
    """The per-step share n of Algorithm 1 that reaches ``target_level`` with the least
    overshoot in ``min_steps`` to ``max_steps`` steps (ties: more steps, i.e. more
    gradual pruning, then the smaller share), among ``shares`` (default 0.02, 0.03, ..,
    0.40). Computed from the architecture alone (:func:`level_schedule`), before any
    training: the paper gives no n, and a fixed n lets the last step overshoot a level
    by up to a whole step (the pruning base at 25% per step: 74.0% after four steps,
    81.9% after five).

    Raises:
        ValueError: no share reaches the level within ``max_steps`` steps.
    """
    shares = [i / 100 for i in range(2, 41)] if shares is None else list(shares)
    candidates = []
    for share in shares:
        levels = level_schedule(model, share, max_steps)
        step = next((i + 1 for i, level in enumerate(levels) if level >= target_level), None)
        if step is not None and step >= min_steps:
            overshoot = round(levels[step - 1] - target_level, 6)
            candidates.append((overshoot, -step, share))
    if not candidates:
        raise ValueError(f"target_level: no share among {shares} reaches {target_level} in "
                         f"{min_steps} to {max_steps} steps")
    return min(candidates)[2]


def minibatches(data: WindowedData | Iterable, batch_size: int = 50, seed: int = 0,
                device: str | torch.device = "cpu") -> Iterator[tuple]:
    """Training minibatches ``(x [B, 1, n_his, N], y [B, N], index [B] or None)``.

    A :class:`WindowedData` gives endless epochs over ``data.train``, shuffled as
    :func:`stgkd.train.fit` does (generator seeded by ``(seed, epoch)``), with each
    batch's row indices (for losses that look precomputed teacher answers up). Any
    other iterable is passed through; its items are ``(x, y)`` or ``(x, y, index)``.
    """
    if not isinstance(data, WindowedData):
        for item in data:
            if len(item) not in (2, 3):
                raise ValueError(f"data: expected (x, y) or (x, y, index) items, found "
                                 f"{len(item)} elements")
            yield (item[0], item[1], item[2] if len(item) == 3 else None)
        return
    if batch_size < 1:
        raise ValueError(f"batch_size: expected a positive count, found {batch_size}")
    train, n_his = data.train.to(device), data.n_his
    epoch = 0
    while True:
        order = torch.randperm(train.shape[0],
                               generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
        for start in range(0, train.shape[0], batch_size):
            index = order[start:start + batch_size]
            batch = train[index.to(train.device)]
            yield batch[:, None, :n_his], batch[:, n_his], index
        epoch += 1


def _loss(loss_fn: LossFn, model: nn.Module, batch: tuple) -> torch.Tensor:
    x, y, index = batch
    if getattr(loss_fn, "takes_sample_index", False):
        if index is None:
            raise ValueError("data: the loss looks samples up by index, found batches without "
                             "one; pass a WindowedData or (x, y, index) items")
        return loss_fn(model, x, y, index=index)
    return loss_fn(model, x, y)


def _next(batches: Iterator[tuple], used: int) -> tuple:
    try:
        return next(batches)
    except StopIteration:
        raise ValueError(f"data: expected more minibatches, found the data exhausted after "
                         f"{used}; pass a WindowedData (endless epochs) or a longer iterable") from None


def _optimizer(model: nn.Module, loss_fn: LossFn, lr: float, alpha: float) -> torch.optim.Optimizer:
    params = list(model.parameters())
    if isinstance(loss_fn, nn.Module):   # a loss with weights of its own (LSKD's adapter) trains too
        params += [p for p in loss_fn.parameters() if p.requires_grad]
    return torch.optim.RMSprop(params, lr=lr, alpha=alpha)


def _compact_with_optimizer(model: STGCN, masks: Masks, optimizer: torch.optim.Optimizer,
                            loss_fn: LossFn, lr: float, alpha: float
                            ) -> tuple[STGCN, torch.optim.Optimizer]:
    """``compact(model, masks)`` and a new optimiser over it whose state is the old
    one's cut the same way (RMSProp's running averages of the kept entries), so training
    goes on as the masked model's would: a removed channel's entries get no gradient
    there, so the kept ones see the same updates. The loss's own weights keep theirs."""
    small = compact(model, masks)
    new_optimizer = _optimizer(small, loss_fn, lr, alpha)
    kept = kept_indices(check_masks(model, masks))
    channels = {layer.name: layer.channels for layer in prunable_layers(model)}
    big = dict(model.named_parameters())
    little = dict(small.named_parameters())
    for spec in parameter_slices(model):
        old = optimizer.state.get(big[spec.name])
        if old:
            # copies: an uncut parameter's state would otherwise be the old optimiser's tensor
            new_optimizer.state[little[spec.name]] = {
                key: (slice_parameter(value, spec, kept, channels)
                      if value.shape == big[spec.name].shape else value).clone()
                if torch.is_tensor(value) else value
                for key, value in old.items()}
    own = {id(p) for p in model.parameters()}
    for group in optimizer.param_groups:
        for param in group["params"]:
            if id(param) not in own and param in optimizer.state:
                new_optimizer.state[param] = optimizer.state[param]
    return small, new_optimizer


def _restore(path: Path, settings: dict, model: nn.Module, optimizer: torch.optim.Optimizer,
             masked: MaskedSTGCN | None, loss_fn: LossFn, data) -> dict:
    """Load :func:`algorithm1`'s saved state into ``model``, ``optimizer``, ``masked``
    (the masked run) and ``loss_fn``; return the state (history, minibatches used,
    elapsed time; for a compacting run also the compacted model's weights and optimiser
    state and the masks over the base model, from which the caller rebuilds it)."""
    if not isinstance(data, WindowedData):
        raise ValueError(f"state_path: resuming {path} needs the same minibatches again; "
                         f"expected data as a WindowedData, found {type(data).__name__}")
    state = read_torch(path, "delete it to start the pruning afresh",
                       map_location=next(model.parameters()).device)
    if state["settings"] != settings:
        raise ValueError(f"{path}: expected a pruning state of the settings {settings}, found "
                         f"{state['settings']}; delete it to start afresh")
    if masked is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        masked.masks = state["masks"]
    if state.get("loss_fn") is not None and hasattr(loss_fn, "load_state_dict"):
        loss_fn.load_state_dict(state["loss_fn"])
    return state


def _masks_from_indices(model: STGCN, kept: dict[str, torch.Tensor]) -> Masks:
    """Masks over ``model``'s channels keeping the channels ``kept`` lists per layer."""
    masks = {}
    for name, mask in full_masks(model).items():
        mask = torch.zeros_like(mask)
        mask[kept[name]] = True
        masks[name] = mask
    return masks


@dataclass
class PruneResult:
    """What :func:`algorithm1` returns.

    ``masks``: the final mask M over the base model's channels; ``model``: the
    compacted, fine-tuned STGCN; ``history``: one dict per pruning step (``step``,
    ``minibatches`` so far, mean ``loss`` of its interval, ``parameters`` and
    ``level`` after it, kept ``channels`` per layer); ``finetune_losses``: the
    fine-tuning loss per minibatch.
    """

    masks: Masks
    model: STGCN
    history: list[dict] = field(default_factory=list)
    finetune_losses: list[float] = field(default_factory=list)
    wall_time_s: float = 0.0          # pruning and fine-tuning, summed over resumed sessions
    session_time_s: float = 0.0       # the part of wall_time_s spent in this call

    @property
    def parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def algorithm1(model: STGCN, data: WindowedData | Iterable, prune_loss: LossFn, *,
               interval: int, fraction: float, target_parameters: int | None = None,
               target_level: float | None = None, finetune_loss: LossFn = supervised_mse,
               finetune_batches: int = 0, batch_size: int = 50, lr: float = 1e-3,
               rmsprop_alpha: float = 0.9, seed: int = 0, masks: Masks | None = None,
               compact_each_step: bool = False, log: Callable[[str], None] | None = None,
               state_path: str | Path | None = None, progress: bool = False,
               scope: str = "layer") -> PruneResult:
    """Jointly KD-pruning (KD paper, Algorithm 1).

    Repeats: train the masked ``model`` with ``prune_loss`` for ``interval``
    minibatches (line 11; RMSProp as :func:`stgkd.train.fit`), accumulating each
    channel's Taylor score from that loss's gradients (line 12; KDIS when
    ``prune_loss`` is a distillation loss such as LSTCD), then remove ``fraction`` of
    each layer's remaining channels with the lowest mean score (lines 13-20) - until
    the compacted model has at most ``target_parameters`` parameters, or at least
    ``target_level`` of the prunable parameters are removed (:func:`pruning_level`;
    exactly one of the two). The last step may overshoot the target. Then the model is
    compacted and fine-tuned for ``finetune_batches`` minibatches with
    ``finetune_loss`` (lines 24-26; the plain supervised loss by default; use
    :func:`stgkd.train.fit` on ``result.model`` instead for epoch-wise fine-tuning with
    validation).

    Args:
        model: the pre-trained base STGCN; trained in place (its removed channels'
            weights stay, masked), except under ``compact_each_step``.
        data: a :class:`WindowedData` (endless shuffled epochs of ``train``) or an
            iterable of ``(x, y)`` / ``(x, y, index)`` minibatches (see :func:`minibatches`).
        prune_loss, finetune_loss: ``loss_fn(model, x, y)`` as for :func:`stgkd.train.fit`;
            during pruning ``model`` is a :class:`MaskedSTGCN` whose hidden outputs
            hold the kept channels only (an STGCN of the kept channels under
            ``compact_each_step``).
        interval: minibatches between pruning steps (line 5).
        fraction: share n of each layer's remaining channels removed per step (line 8).
        masks: masks to start from (default: all ones).
        compact_each_step: train a compacted copy from the first step on, compacting it
            again after every pruning step (optimiser state cut alike), instead of
            the full-size masked ``model``. The same computation up to float rounding,
            since removed channels get no gradient, and cheaper the more is pruned (the
            teacher pruned to 3% trains at its full size throughout otherwise).
            ``model`` itself is then left untrained.
        log: called with one line per pruning step.
        scope: ``"layer"`` (the paper: each layer loses ``fraction`` of its channels) or
            ``"network"`` (one ranking over all layers; see :func:`prune_step`).
        progress: show a progress bar over each pruning interval's minibatches (an
            interval of the teacher is an epoch: minutes on a CPU).
        state_path: after every pruning step the state (weights, optimiser, masks,
            history, the loss's own state) is written here atomically; called again
            with the same file and settings, the run continues after the last saved
            step, on the same minibatches as an uninterrupted run (a
            :class:`WindowedData` only). The caller deletes the file when done.
    """
    if interval < 1:
        raise ValueError(f"interval: expected a positive number of minibatches, found {interval}")
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction: expected a share in (0, 1], found {fraction}")
    if (target_parameters is None) == (target_level is None):
        raise ValueError(f"target_parameters, target_level: expected exactly one, found "
                         f"{target_parameters} and {target_level}")
    if target_level is not None and not 0.0 <= target_level < 1.0:
        raise ValueError(f"target_level: expected a share in [0, 1), found {target_level}")
    if finetune_batches < 0:
        raise ValueError(f"finetune_batches: expected a count >= 0, found {finetune_batches}")

    def reached(m: Masks) -> bool:
        if target_parameters is not None:
            return compacted_parameter_count(model, m) <= target_parameters
        return pruning_level(model, m) >= target_level

    smallest = {name: torch.arange(mask.numel()) == 0 for name, mask in full_masks(model).items()}
    if not reached(smallest):
        raise ValueError(f"target_parameters / target_level: expected a size one channel per layer "
                         f"can reach ({compacted_parameter_count(model, smallest)} parameters, "
                         f"level {pruning_level(model, smallest):.4f}), found {target_parameters} "
                         f"parameters / level {target_level}")
    device = next(model.parameters()).device
    batches = minibatches(data, batch_size, seed, device)
    was_training = model.training
    model.train()
    settings = {"interval": interval, "fraction": fraction, "target_parameters": target_parameters,
                "target_level": target_level, "batch_size": batch_size, "lr": lr,
                "rmsprop_alpha": rmsprop_alpha, "seed": seed}
    if compact_each_step:     # recorded only when set, so earlier states stay resumable
        settings["compact_each_step"] = True
    if scope != "layer":
        settings["scope"] = scope
    start = check_masks(model, full_masks(model) if masks is None else masks)
    history, used, earlier_s = [], 0, 0.0
    session_start = time.perf_counter()
    # the masked run trains ``model`` through ``masked``; the compacting run trains
    # ``current``, whose channel c of a layer is the base model's channel base_index[layer][c]
    masked = current = base_index = None
    try:
        if compact_each_step:
            base_index = kept_indices(start)
            current = compact(model, start)
            optimizer = _optimizer(current, prune_loss, lr, rmsprop_alpha)
        else:
            masked = MaskedSTGCN(model, start)
            optimizer = _optimizer(model, prune_loss, lr, rmsprop_alpha)
        if state_path is not None and Path(state_path).is_file():
            state = _restore(Path(state_path), settings, model, optimizer, masked, prune_loss, data)
            history, used, earlier_s = state["history"], state["used"], state.get("elapsed_s", 0.0)
            if compact_each_step:
                current = compact(model, state["masks"])      # its shapes and graph
                current.load_state_dict(state["model"])
                optimizer = _optimizer(current, prune_loss, lr, rmsprop_alpha)
                optimizer.load_state_dict(state["optimizer"])
                base_index = kept_indices(state["masks"])
            for _ in range(used):           # the stream an uninterrupted run would see
                _next(batches, used)
        importance = TaylorImportance()

        def base_masks() -> Masks:
            return masked.masks if masked is not None else _masks_from_indices(model, base_index)

        while not reached(base_masks()):
            trained = masked if masked is not None else current
            losses = []
            for _ in tqdm(range(interval), desc=f"pruning step {len(history) + 1}", leave=False,
                          disable=not progress, mininterval=1.0):
                loss = _loss(prune_loss, trained, _next(batches, used))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                importance.accumulate(trained)    # (g * w)^2 at the weights g was taken at
                optimizer.step()
                losses.append(loss.item())
                used += 1
            old = masked.masks if masked is not None else full_masks(current)
            new = prune_step(old, importance.scores(), fraction, scope)
            importance.reset()
            if all(torch.equal(new[k], old[k]) for k in new):
                raise ValueError(f"fraction: {fraction} removes no channel of any layer (kept "
                                 f"{kept_counts(new)}); the target cannot be reached")
            if masked is not None:
                masked.masks = new
            else:
                base_index = {name: base_index[name][new[name]] for name in new}
                current, optimizer = _compact_with_optimizer(current, new, optimizer, prune_loss,
                                                             lr, rmsprop_alpha)
            now = base_masks()
            history.append({"step": len(history) + 1, "minibatches": used,
                            "loss": sum(losses) / len(losses),
                            "parameters": compacted_parameter_count(model, now),
                            "level": pruning_level(model, now), "channels": kept_counts(now)})
            if log is not None:
                h = history[-1]
                log(f"pruning step {h['step']}: {h['parameters']} parameters (level "
                    f"{h['level']:.3f}), loss {h['loss']:.4f}, channels {h['channels']}")
            if state_path is not None:
                save_torch(state_path, {
                    "settings": settings,
                    "model": (model if masked is not None else current).state_dict(),
                    "optimizer": optimizer.state_dict(), "masks": now,
                    "history": history, "used": used,
                    "elapsed_s": earlier_s + time.perf_counter() - session_start,
                    "loss_fn": prune_loss.state_dict() if hasattr(prune_loss, "state_dict") else None})
        final = base_masks()
    finally:
        if masked is not None:
            masked.remove()
    # fine-tuning the compacted model equals fine-tuning the masked one (removed channels
    # get no gradient) and is faster
    small = compact(model, final).train() if masked is not None else current.train()
    finetune_losses = []
    if finetune_batches:
        optimizer = _optimizer(small, finetune_loss, lr, rmsprop_alpha)
        for _ in range(finetune_batches):
            loss = _loss(finetune_loss, small, _next(batches, used))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            finetune_losses.append(loss.item())
            used += 1
    model.train(was_training)
    session_s = time.perf_counter() - session_start
    return PruneResult(final, small.train(was_training), history, finetune_losses,
                       earlier_s + session_s, session_s)
