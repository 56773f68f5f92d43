"""Channels that no longer carry the input: the failure a narrow pruned STGCN can fall into.

A layer that ends in a ReLU (``blocks.<i>.spatial``, ``blocks.<i>.temporal_out``) outputs
zero on every input once its pre-activation is negative everywhere, and then passes no
gradient either, so training cannot bring it back (a "dead" ReLU). In a wide layer a few
dead channels cost little; where pruning has left a layer one channel wide, as Algorithm 1
does to the teacher of Table 7 and as the paper's student is built, one dead channel cuts
the input off from everything after it, and the forecast becomes the same for every window
(a per-station constant).

:func:`inert_channels` finds such channels by running windows through the model: a channel
is *inert* when its output is the same for every window (a dead ReLU outputs zero for
every window), and a layer is *cut* when all its channels are inert.
"""
from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from stgkd.prune.layout import prunable_layers

#: the largest spread across windows (in the layer's own units) still read as "the same"
INERT_TOLERANCE = 1e-6


@torch.no_grad()
def inert_channels(model: nn.Module, windows: torch.Tensor, batch_size: int = 64,
                   tolerance: float = INERT_TOLERANCE) -> pd.DataFrame:
    """Which output channels of each prunable layer are the same for every window.

    Args:
        model: an STGCN (or a wrapper of one, as :func:`~stgkd.prune.layout.prunable_layers`
            accepts); it maps [B, 1, T, N] to [B, N].
        windows: [S, T, N] model inputs (z-scored readings, S >= 2); e.g.
            ``data.val[:, :n_his]``.
        tolerance: a channel whose largest absolute spread across windows (max over time
            steps and nodes of max - min over the S windows) is at most this is inert.

    Returns:
        One row per prunable layer, in forward order: ``layer``, ``channels``,
        ``inert`` (list of inert channel indices), ``zero`` (list of channels that are
        exactly zero on every window: dead ReLUs) and ``cut`` (every channel inert), plus
        a last row ``forecast`` for the model's output, whose ``cut`` says whether the
        forecast is the same for every window.
    """
    if windows.dim() != 3 or windows.shape[0] < 2:
        raise ValueError(f"windows: expected [S, T, N] with S >= 2 windows, found shape "
                         f"{tuple(windows.shape)}")
    layers = prunable_layers(model)
    low: dict[str, torch.Tensor] = {}
    high: dict[str, torch.Tensor] = {}
    nonzero: dict[str, torch.Tensor] = {}

    def record(name: str, output: torch.Tensor) -> None:
        # running min/max over windows of every [C, T, N] entry
        batch_low, batch_high = output.amin(dim=0), output.amax(dim=0)
        batch_nonzero = (output != 0).flatten(2).any(dim=2).any(dim=0)   # [C]
        if name in low:
            low[name] = torch.minimum(low[name], batch_low)
            high[name] = torch.maximum(high[name], batch_high)
            nonzero[name] |= batch_nonzero
        else:
            low[name], high[name], nonzero[name] = batch_low, batch_high, batch_nonzero

    hooks = [layer.module.register_forward_hook(
        lambda _module, _inputs, output, name=layer.name: record(name, output))
        for layer in layers]
    was_training = model.training
    model.eval()
    try:
        for start in range(0, windows.shape[0], batch_size):
            batch = windows[start:start + batch_size][:, None]
            record("forecast", model(batch)[:, None, None, :])
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)

    rows = []
    for name in [layer.name for layer in layers] + ["forecast"]:
        spread = (high[name] - low[name]).flatten(1).amax(dim=1)     # [C]
        inert = [int(c) for c in torch.nonzero(spread <= tolerance).flatten()]
        zero = [int(c) for c in torch.nonzero(~nonzero[name]).flatten()]
        rows.append({"layer": name, "channels": int(spread.numel()), "inert": inert,
                     "zero": zero, "cut": len(inert) == spread.numel()})
    return pd.DataFrame(rows)


def first_cut_layer(table: pd.DataFrame) -> str | None:
    """The first layer of an :func:`inert_channels` table whose channels are all inert
    (``"forecast"`` when only the output is), or None when the input reaches the forecast."""
    cut = table[table["cut"]]
    return None if cut.empty else str(cut["layer"].iloc[0])


def inert_summary(table: pd.DataFrame) -> dict:
    """An :func:`inert_channels` table in short, as a run's result stores it: ``cut_at``
    (:func:`first_cut_layer`) and ``dead`` (layer -> the channels that are zero on every
    window, for the layers that have any)."""
    return {"cut_at": first_cut_layer(table),
            "dead": {layer: zero for layer, zero in zip(table["layer"], table["zero"]) if zero}}
