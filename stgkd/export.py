"""Export a trained STGCN's whole multi-step forecast to ONNX and run it with onnxruntime.

The exported graph is the streaming rollout unrolled over the forecast steps, with the
trained model's constants folded (:mod:`stgkd.nn.folded`: about a third of the operators
of :mod:`stgkd.nn.streaming` exported as it is, and operators are what a one-window
forecast's time goes to; ``folded=False`` exports the streaming rollout itself): input
the last ``n_his`` z-scored steps [B, 1, n_his, N], output the ``n_pred`` forecasts
[B, n_pred, N]; the batch size is free. The graph (the scaled Laplacian) is baked in as
a constant. Needs the ``deploy`` extra
(``pip install -e .[deploy]``: onnx, onnxruntime).
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from stgkd.io import atomic_path, check_output_path
from stgkd.nn.folded import FoldedRollout
from stgkd.nn.stgcn import STGCN
from stgkd.nn.streaming import streaming_rollout


class RolloutModule(nn.Module):
    """An STGCN and its forecast length as one module: [B, 1, n_his, N] -> [B, n_pred, N]."""

    def __init__(self, model: STGCN, n_pred: int = 9):
        super().__init__()
        self.model, self.n_pred = model.eval(), n_pred

    def forward(self, history: torch.Tensor) -> torch.Tensor:
        return streaming_rollout(self.model, history, self.n_pred)


def _require(module: str):
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(f"{module} is needed to export or run ONNX models: "
                          f"pip install -e '.[deploy]'") from None


def export_onnx(model: STGCN, path: str | Path, n_pred: int = 9, opset: int = 17,
                folded: bool = True) -> Path:
    """Write ``model``'s ``n_pred``-step forecast as an ONNX file: the folded rollout
    (:class:`~stgkd.nn.folded.FoldedRollout`, same numbers to float32 rounding) or,
    with ``folded=False``, the streaming rollout as PyTorch runs it.

    Written atomically: to a temporary file beside ``path`` that replaces it at the end,
    and is removed when the export fails or is interrupted. Returns the path. The
    model's graph must be set (:meth:`STGCN.set_graph`).

    Raises:
        ValueError: ``n_pred`` < 1.
        OSError: ``path`` is a folder, or its folder is missing or not writable (checked
            before the export).
    """
    _require("onnx")
    if n_pred < 1:
        raise ValueError(f"n_pred: expected at least 1 step ahead, found {n_pred}")
    path = check_output_path(path, "the ONNX file")
    was_training = model.training
    # eval() on the wrapper too: the exporter restores the wrapper's own mode afterwards,
    # recursively, and a fresh module's mode is training
    module = (FoldedRollout(model, n_pred) if folded else RolloutModule(model, n_pred)).eval()
    example = torch.zeros(1, 1, model.config["n_his"], model.config["n_nodes"])
    try:
        with atomic_path(path) as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about Python control flow: fixed here
            torch.onnx.export(module, (example,), str(tmp), input_names=["history"],
                              output_names=["forecast"], opset_version=opset, dynamo=False,
                              dynamic_axes={"history": {0: "batch"}, "forecast": {0: "batch"}})
    finally:
        model.train(was_training)   # the caller's model comes back in the mode it came in
    return path


class OnnxForecaster:
    """An exported forecast run by onnxruntime on the CPU.

    ``predict(history)``: history [B, 1, n_his, N] float32 (z-scored) -> [B, n_pred, N].
    """

    def __init__(self, path: str | Path, threads: int = 1):
        ort = _require("onnxruntime")
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: expected an ONNX file written by export_onnx, "
                                    f"found no file")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])
        shape = self.session.get_inputs()[0].shape      # ['batch', 1, n_his, N]
        self.n_his, self.n_nodes = int(shape[2]), int(shape[3])

    def predict(self, history: np.ndarray) -> np.ndarray:
        history = np.ascontiguousarray(history, dtype=np.float32)
        if history.ndim != 4 or history.shape[1:] != (1, self.n_his, self.n_nodes):
            raise ValueError(f"history: expected [B, 1, {self.n_his}, {self.n_nodes}], found "
                             f"{list(history.shape)}")
        return self.session.run(None, {"history": history})[0]
