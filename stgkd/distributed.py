"""Data-parallel training over several processes with ``torch.distributed``.

Each process (a *rank*) takes its share of every global batch (rows ``rank``,
``rank + P``, ``rank + 2P``, ... of the batch, as ``DistributedSampler`` deals them, with
no padding), computes its loss and gradients, and the gradients are summed over the
processes with one ``all_reduce``, each rank's weighted by its share of the batch:

    g = sum_r (n_r / n) * grad(mean loss over rank r's n_r windows)
      = grad(mean loss over the n windows of the batch),

the gradient one process computes on the whole batch (up to float rounding), for any
split of the batch, uneven or with empty shares. Every rank then takes the same
optimiser step, so the models stay identical. Validation, checkpoints and result files
are the first rank's (rank 0) alone; what the others need of them is broadcast.

Processes are started by ``stgkd run ... --nproc N`` (:func:`launch`) or by ``torchrun``;
both set the environment variables ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT`` that :func:`init_from_env` reads. The backend is
gloo on the CPU and NCCL on GPUs (one GPU per process).
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

import torch
import torch.distributed as dist

# rank 0 validates and tests alone while the others wait in a collective: a full-profile
# teacher's test rollout on a CPU takes minutes, far below this
COLLECTIVE_TIMEOUT = dt.timedelta(hours=2)

# the variables a launcher (ours or torchrun) sets for each process
_ENV = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def world() -> tuple[int, int]:
    """``(rank, number of processes)`` of the initialised process group; ``(0, 1)`` without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def launched_size() -> int:
    """The number of processes a launcher started this one among (``WORLD_SIZE``); 1 when
    this process was not started by a launcher."""
    if "WORLD_SIZE" not in os.environ or "RANK" not in os.environ:
        return 1
    return int(os.environ["WORLD_SIZE"])


def rank_device(device: str) -> str:
    """The device of this process: ``cuda`` becomes ``cuda:<LOCAL_RANK>`` (one GPU per
    process on a node); a CPU (or an explicit ``cuda:<index>``) stays as it is."""
    parsed = torch.device(device)
    if parsed.type == "cuda" and parsed.index is None:
        return f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    return device


def backend_for(device: str) -> str:
    """``nccl`` for a CUDA device, ``gloo`` otherwise."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


def init_from_env(device: str) -> str:
    """Join the process group the launcher's environment describes, with the backend
    for ``device``; returns this process's device (see :func:`rank_device`)."""
    missing = [name for name in _ENV if name not in os.environ and name != "LOCAL_RANK"]
    if missing:
        raise ValueError(f"distributed run: expected the launcher's environment variables "
                         f"{', '.join(_ENV)}, found {', '.join(missing)} missing; start the "
                         f"processes with `stgkd run ... --nproc N` or torchrun")
    device = rank_device(device)
    if torch.device(device).type == "cuda":
        torch.cuda.set_device(torch.device(device))
    if not dist.is_initialized():
        dist.init_process_group(backend_for(device), timeout=COLLECTIVE_TIMEOUT)
    return device


def finish() -> None:
    """Leave the process group (after the last collective of every rank)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def provenance() -> dict:
    """``{"processes": P, "backend": ...}`` for a result's provenance in a run of several
    processes; ``{}`` in a single-process run (whose results stay as they were)."""
    _, size = world()
    return {"processes": size, "backend": dist.get_backend()} if size > 1 else {}


def shard(index: torch.Tensor, rank: int, size: int) -> torch.Tensor:
    """Rank ``rank``'s rows of a global batch's window indices [n]: ``index[rank::size]``
    ([ceil((n - rank) / size)], possibly empty)."""
    return index[rank::size]


def all_reduce_gradients(params: Sequence[torch.nn.Parameter], loss: torch.Tensor | None,
                         share: float) -> float:
    """Sum every rank's gradients weighted by its ``share`` (n_r / n) of the batch, in place,
    and return the batch's loss (the weighted sum of the ranks' losses).

    ``loss`` is None for a rank with no windows in this batch (it contributes zeros). A
    parameter without a gradient on every rank keeps ``grad = None`` (the optimiser skips
    it, as in one process); one with a gradient on some rank gets the sum on all.
    """
    reference = params[0]
    parts = [torch.zeros(1, dtype=torch.float64, device=reference.device)]
    if loss is not None:
        parts[0] += loss.detach().double() * share
    flags = torch.tensor([p.grad is not None for p in params], dtype=torch.float64,
                         device=reference.device)
    grads = [(p.grad.double() * share if p.grad is not None
              else torch.zeros(p.numel(), dtype=torch.float64, device=p.device)).reshape(-1)
             for p in params]
    # float64 while summing: the sum of the weighted shares rounds once, to float32
    buffer = torch.cat([*parts, flags, *grads])
    dist.all_reduce(buffer, op=dist.ReduceOp.SUM)
    offset = 1 + len(params)
    for p, has_grad in zip(params, buffer[1:offset].tolist()):
        n = p.numel()
        if has_grad:
            p.grad = buffer[offset:offset + n].view(p.shape).to(p.dtype)
        offset += n
    return float(buffer[0])


def broadcast_parameters(module: torch.nn.Module) -> None:
    """Every rank's parameters become rank 0's (one start for all, whatever each built)."""
    with torch.no_grad():
        for p in module.parameters():
            dist.broadcast(p.data, src=0)


def broadcast_object(obj=None):
    """Rank 0's ``obj`` on every rank (any picklable value)."""
    holder = [obj]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def barrier() -> None:
    """Wait until every rank gets here (nothing without a process group)."""
    if world()[1] > 1:
        dist.barrier()


def free_port() -> int:
    """A TCP port free on this host now, for the processes' rendezvous."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def launch(argv: Sequence[str], nproc: int, threads: int, poll_s: float = 0.2) -> int:
    """Run ``python -m stgkd.cli <argv>`` as ``nproc`` processes on this host, with the
    environment torchrun would give them, and wait for them all.

    ``threads`` (> 0) sets each process's ``OMP_NUM_THREADS``. When one process fails,
    the others are stopped (they would wait for it in a collective); so are all of them
    when this one is interrupted or terminated (SIGTERM). Returns the first non-zero exit
    status, else 0.
    """
    port = free_port()
    processes = []
    # stopped itself (kill, a batch scheduler), the launcher stops its processes first
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_signal) if main_thread else None
    status = 0
    try:
        for rank in range(nproc):
            env = dict(os.environ, RANK=str(rank), WORLD_SIZE=str(nproc), LOCAL_RANK=str(rank),
                       LOCAL_WORLD_SIZE=str(nproc), MASTER_ADDR="127.0.0.1",
                       MASTER_PORT=str(port), OMP_NUM_THREADS=str(threads))
            processes.append(subprocess.Popen([sys.executable, "-m", "stgkd.cli", *argv],
                                              env=env))
        while any(p.poll() is None for p in processes):
            failed = [p for p in processes if p.returncode not in (None, 0)]
            if failed:
                status = failed[0].returncode
                break
            time.sleep(poll_s)
    finally:
        for p in processes:                 # a failure or an interrupt: stop the rest
            if p.poll() is None:
                p.terminate()
        for p in processes:
            p.wait()
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    return status or next((p.returncode for p in processes if p.returncode != 0), 0)
