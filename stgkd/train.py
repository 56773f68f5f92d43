"""A plain PyTorch training loop: RMSProp, step decay, validation-MAE model selection,
a checkpoint every epoch and resumption after an interruption."""
from __future__ import annotations

import copy
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from stgkd.progress import tqdm

from stgkd import distributed
from stgkd.data.windows import WindowedData
from stgkd.evaluate import evaluate_split
from stgkd.io import StoredFileError, read_torch, save_torch
from stgkd.provenance import UNRECORDED_DEVICE, device_description

# loss_fn(model, x [B, 1, n_his, N], y [B, N]) -> scalar loss. Distillation losses are
# modules around a frozen teacher with this same signature; a loss whose attribute
# ``takes_sample_index`` is true is also given ``index=`` [B], the batch's rows of
# data.train (to look precomputed teacher answers up).
LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def supervised_mse(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error of the one-step prediction (the plain supervised loss)."""
    return torch.mean((model(x) - y) ** 2)


@dataclass
class TrainConfig:
    """Optimisation settings; the defaults are the KD paper's (section 4.2, Table 6)."""

    epochs: int = 50
    batch_size: int = 50
    lr: float = 1e-3
    lr_decay: float = 0.7          # multiply the learning rate by this ...
    lr_decay_every: int = 5        # ... every this many epochs
    rmsprop_alpha: float = 0.9     # TensorFlow's RMSProp decay, as the original STGCN
    seed: int = 0
    device: str = "cpu"
    eval_batch_size: int = 32       # small batches keep activations in cache: fastest on a CPU
    compile: bool = False           # torch.compile the forward pass (same weights, faster steps)
    optimizer: str = "rmsprop"      # "rmsprop" (the KD paper) or "adam" (the DMST-GNODE runs)
    patience: int | None = None     # stop after this many epochs without a better validation MAE
    multi_step: bool = False        # targets are all n_pred steps [B, n_pred, N], not step n_his
    epoch_windows: int | None = None  # train on this many windows per epoch (None: all of them)


# The per-epoch fields a stored result's history keeps ("val" and "test": metrics per horizon).
HISTORY_FIELDS = ("epoch", "train_loss", "val_mae", "val", "test", "lr", "epoch_time_s",
                  "test_time_s")

# Settings that change how a run executes, not what it computes: a run may resume with others.
EXECUTION_SETTINGS = ("device", "compile")


@dataclass
class FitResult:
    """What :func:`fit` returns: the per-epoch history and the selected epoch."""

    history: list[dict] = field(default_factory=list)
    best_epoch: int = -1
    best_val_mae: float = float("inf")
    wall_time_s: float = 0.0          # training + validation, summed over resumed sessions
    resumed_from_epoch: int = 0
    session_train_time_s: float = 0.0  # the part of wall_time_s spent in this call
    # one entry per training session, ``{"device", "from_epoch", "to_epoch", "seconds"}``:
    # a run cut on one machine and resumed on another says where each epoch ran
    sessions: list = field(default_factory=list)

    def session_provenance(self) -> dict:
        """What a result's ``provenance`` records of the training sessions: the epoch a
        resumed run continued from and :attr:`sessions`."""
        return {"resumed_from_epoch": self.resumed_from_epoch, "sessions": self.sessions}


def _rng_state() -> dict:
    """The three RNG states as tensors and plain values, so that a resume state loads
    with ``weights_only=True`` (NumPy's key array as an int64 tensor)."""
    numpy_state = np.random.get_state(legacy=False)
    numpy_state["state"]["key"] = torch.from_numpy(numpy_state["state"]["key"].astype(np.int64))
    return {"torch": torch.get_rng_state(), "numpy": numpy_state, "python": random.getstate()}


def _set_rng_state(state: dict) -> None:
    """Restore :func:`_rng_state`'s states. The file is loaded with ``map_location`` set to
    the run's device, which puts these tensors on a GPU too; the CPU generator takes a CPU
    byte tensor only, so they come back to the CPU first (a run cut on one device resumes
    on another)."""
    torch.set_rng_state(state["torch"].to("cpu", torch.uint8))
    numpy_state = {**state["numpy"], "state": dict(state["numpy"]["state"])}
    numpy_state["state"]["key"] = numpy_state["state"]["key"].cpu().numpy().astype(np.uint32)
    np.random.set_state(numpy_state)
    python = state["python"]
    random.setstate((python[0], tuple(python[1]), python[2]))


def _mean_mae(metrics: dict) -> float:
    # horizons are dicts of metrics; a validation may add scalars such as its loss
    return float(np.mean([m["mae"] for m in metrics.values() if isinstance(m, dict)]))


def fit(model: nn.Module, data: WindowedData, config: TrainConfig, loss_fn: LossFn = supervised_mse,
        state_path: str | Path | None = None, progress: bool = True,
        validate: Callable[[nn.Module], dict] | None = None,
        monitor: Callable[[nn.Module], dict] | None = None) -> FitResult:
    """Train ``model`` on ``data.train`` and keep the epoch with the lowest validation MAE.

    Each epoch shuffles the training windows with a generator seeded by
    ``(seed, epoch)``, so a resumed run sees the same batches as an
    uninterrupted one. After each epoch the full state (model, optimiser,
    scheduler, best weights, history, RNG and the loss function's own state if it
    has ``state_dict``) is written atomically to ``state_path``; an interrupted
    run called again with the same ``state_path`` continues from the last
    completed epoch. On return the model holds the best weights.

    Validation MAE is the mean over the evaluated horizons of the rollout MAE in
    original units; ``validate(model)`` replaces the rollout (it returns
    ``{horizon: {"mae": ..}}``). With ``config.multi_step`` a batch is
    ``x = window[:, :n_his]`` [B, n_his, N] and ``y = window[:, n_his:]``
    [B, n_pred, N] (direct multi-step models); otherwise ``x`` is [B, 1, n_his, N]
    and ``y`` step ``n_his`` [B, N]. With ``config.patience`` training stops once
    that many epochs in a row bring no better validation MAE. With
    ``config.epoch_windows`` an epoch trains on the first that many windows of its
    shuffled order, a different draw each epoch (a fixed budget of steps per epoch).

    ``monitor(model)``, when given, is evaluated after every epoch and recorded in the
    history as ``"test"`` (with its cost as ``"test_time_s"``), never used for selection:
    it lets a model-selection rule other than best validation MAE (the last epoch, the
    original STGCN code's rule) be reported later from the history without retraining.

    In a process group of P > 1 processes (:mod:`stgkd.distributed`), each process
    trains on its share of every batch and the gradients are summed over the processes,
    weighted by their shares: the same steps as one process on the whole batch, up to
    float rounding (``loss_fn`` must be a mean over the batch's windows). Only rank 0
    validates, calls ``monitor`` and writes ``state_path``; every rank reads
    ``state_path`` to resume, and all return the same history and model.
    """
    rank, n_processes = distributed.world()
    if n_processes > config.batch_size:
        raise ValueError(f"processes: expected at most config.batch_size = {config.batch_size} "
                         f"(each process takes a share of every batch), found {n_processes}")
    device = torch.device(config.device)
    model.to(device)
    params = list(model.parameters())
    if isinstance(loss_fn, nn.Module):  # a loss with weights of its own (LSKD's adapter) trains too
        params += list(loss_fn.to(device).parameters())
    if config.epoch_windows is not None and config.epoch_windows < 1:
        raise ValueError(f"config.epoch_windows: expected a positive number of windows or "
                         f"None, found {config.epoch_windows}")
    if config.optimizer == "rmsprop":
        optimizer = torch.optim.RMSprop(params, lr=config.lr, alpha=config.rmsprop_alpha)
    elif config.optimizer == "adam":
        optimizer = torch.optim.Adam(params, lr=config.lr)
    else:
        raise ValueError(f"config.optimizer: expected 'rmsprop' or 'adam', found {config.optimizer!r}")
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, config.lr_decay_every, config.lr_decay)
    result = FitResult()
    best_state = copy.deepcopy(model.state_dict())
    start_epoch = 0
    state_path = Path(state_path) if state_path is not None else None
    if state_path is not None and state_path.is_file():
        state = read_torch(state_path, "delete it to start this run afresh",
                           map_location=device)
        # settings added since the file was written take their defaults
        saved = {k: v for k, v in {**asdict(TrainConfig()), **state["config"]}.items()
                 if k not in EXECUTION_SETTINGS}
        wanted = {k: v for k, v in asdict(config).items() if k not in EXECUTION_SETTINGS}
        if saved != wanted:
            raise ValueError(f"{state_path}: expected a checkpoint of this run's settings "
                             f"{asdict(config)}, found {state['config']}; delete it to start afresh")
        try:
            model.load_state_dict(state["model"])
        except RuntimeError as error:
            # e.g. a pruned model whose channels were chosen again, differently, because
            # its pruning state (seed<S>.prune.pt) did not travel with this file
            raise StoredFileError(
                state_path, f"expected the weights of this run's model, found weights of "
                f"another shape or structure ({str(error).splitlines()[-1].strip()})",
                "delete it to start this run afresh") from None
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        best_state = state["best_model"]
        result = FitResult(**state["result"])
        result.session_train_time_s = 0.0
        if hasattr(loss_fn, "load_state_dict") and state.get("loss_fn") is not None:
            loss_fn.load_state_dict(state["loss_fn"])
        _set_rng_state(state["rng"])
        start_epoch = result.resumed_from_epoch = len(result.history)
        if not result.sessions and start_epoch:
            # written before sessions were recorded: its epochs' device is unknown
            result.sessions = [{"device": UNRECORDED_DEVICE, "from_epoch": 0,
                                "to_epoch": start_epoch, "seconds": round(result.wall_time_s, 3)}]

    if n_processes > 1:
        distributed.broadcast_parameters(model)        # one start for every rank
        progress = progress and rank == 0
    # The compiled module shares the model's parameters; state dicts stay those of `model`.
    forward_model = torch.compile(model) if config.compile else model
    train = data.train.to(device)
    n_his = data.n_his
    # distillation losses may look the teacher's answers up by window index
    takes_index = getattr(loss_fn, "takes_sample_index", False)
    earlier_sessions_s = result.wall_time_s
    session_start = time.perf_counter()
    session = {"device": device_description(device), "from_epoch": start_epoch,
               "to_epoch": start_epoch, "seconds": 0.0}
    result.sessions.append(session)
    for epoch in range(start_epoch, config.epochs):
        if (config.patience is not None and result.best_epoch > 0
                and epoch - result.best_epoch >= config.patience):
            break                                       # early stopping (also after a resume)
        epoch_start = time.perf_counter()
        model.train()
        order = torch.randperm(train.shape[0],
                               generator=torch.Generator().manual_seed(config.seed * 100_003 + epoch))
        if config.epoch_windows is not None:
            order = order[:config.epoch_windows]     # a fixed budget of steps per epoch
        losses = []
        batches = range(0, order.shape[0], config.batch_size)
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{config.epochs}", leave=False,
                   disable=not progress, mininterval=1.0)
        for start in bar:
            index = order[start:start + config.batch_size]
            if n_processes > 1:
                losses.append(_data_parallel_step(forward_model, loss_fn, optimizer, params,
                                                  train, index, rank, n_processes, n_his,
                                                  config.multi_step, takes_index, device))
                continue
            batch = train[index.to(device)]
            if config.multi_step:
                x, y = batch[:, :n_his], batch[:, n_his:]
            else:
                x, y = batch[:, None, :n_his], batch[:, n_his]
            loss = (loss_fn(forward_model, x, y, index=index) if takes_index
                    else loss_fn(forward_model, x, y))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
        bar.close()
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()
        record = {}
        if rank == 0:
            # validation runs the eager model: its streaming rollout beats a compiled full one
            val = (validate(model) if validate is not None else
                   evaluate_split(model, data, "val", batch_size=config.eval_batch_size,
                                  device=device))
            val_mae = _mean_mae(val)
            record = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)),
                      "val_mae": val_mae, "val": val, "lr": lr}
            if monitor is not None:
                monitor_start = time.perf_counter()
                record["test"] = monitor(model)
                record["test_time_s"] = time.perf_counter() - monitor_start
        if n_processes > 1:
            record = distributed.broadcast_object(record)   # rank 0's validation for all
        val_mae = record["val_mae"]
        if val_mae < result.best_val_mae:
            result.best_val_mae, result.best_epoch = val_mae, epoch + 1
            best_state = copy.deepcopy(model.state_dict())
        record["epoch_time_s"] = time.perf_counter() - epoch_start
        result.history.append(record)
        result.session_train_time_s = time.perf_counter() - session_start
        result.wall_time_s = earlier_sessions_s + result.session_train_time_s
        session.update(to_epoch=epoch + 1, seconds=round(result.session_train_time_s, 3))
        if progress:
            tqdm.write(f"epoch {epoch + 1}/{config.epochs}: train loss {np.mean(losses):.4f}, "
                       f"val MAE {val_mae:.3f} (best {result.best_val_mae:.3f} @ {result.best_epoch}), "
                       f"{time.perf_counter() - epoch_start:.1f}s")
        if state_path is not None and rank == 0:
            save_torch(state_path, {
                "config": asdict(config), "model": model.state_dict(),
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                "best_model": best_state, "result": asdict(result), "rng": _rng_state(),
                "loss_fn": loss_fn.state_dict() if hasattr(loss_fn, "state_dict") else None})
    model.load_state_dict(best_state)
    return result


def _data_parallel_step(forward_model, loss_fn, optimizer, params, train, index, rank,
                        n_processes, n_his, multi_step, takes_index, device) -> float:
    """One optimiser step on this rank's share of the global batch ``index`` [n], the
    gradients summed over the ranks (:func:`stgkd.distributed.all_reduce_gradients`);
    returns the batch's loss."""
    mine = distributed.shard(index, rank, n_processes)
    optimizer.zero_grad(set_to_none=True)
    loss = None
    if mine.shape[0] > 0:           # the last batch may leave a rank with no windows
        batch = train[mine.to(device)]
        if multi_step:
            x, y = batch[:, :n_his], batch[:, n_his:]
        else:
            x, y = batch[:, None, :n_his], batch[:, n_his]
        loss = (loss_fn(forward_model, x, y, index=mine) if takes_index
                else loss_fn(forward_model, x, y))
        loss.backward()
    batch_loss = distributed.all_reduce_gradients(params, loss, mine.shape[0] / index.shape[0])
    optimizer.step()
    return batch_loss
