"""The frozen teacher's side of a distillation loss, computed once for every training window.

A distillation run asks the same frozen teacher about the same training windows in
every epoch. Its one-step outputs and its correlation matrices (eqs. 7 and 9) are
therefore computed once, before training, and looked up by window index: this
removes the teacher's forward pass and, above all, the teacher's [B, T, N, N]
spatial correlations (32 channels for the teacher, the most expensive part of an
LSCD step on a CPU) from every training step.

Storage, per training window (PeMSD7(M), 228 nodes, teacher [1,32,64],[64,32,128]):
outputs N floats; temporal correlations as upper triangles of the four [T, T]
matrices per node (N * (45 + 28 + 15 + 6) float32, 86 kB); spatial correlations of
the [N, N] matrices of the two graph-conv layers by cyclic offset
(:class:`stgkd.distill.pairwise.CyclicPairs`, 16 * N(N-1)/2 values, 0.8 MB in
float16), the order in which the fused loss reads them. For the 9,112 PeMSD7(M) training windows that is 0.8 GB
of temporal and 7.5 GB of spatial correlations. The spatial triangles are kept in
float16 by default (relative rounding error at most 2^-11, about 5e-4, of each
teacher entry); ``spatial_dtype=torch.float32`` keeps them exact at twice the memory.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from stgkd.progress import tqdm

from stgkd.distill.correlation import bctn_to_btnc, spatial_correlation, temporal_correlation
from stgkd.distill.pairwise import CyclicPairs, upper_triangle
from stgkd.nn.stgcn import Hidden


@dataclass
class TeacherCache:
    """Teacher outputs and correlation triangles for windows 0..S-1 of one split.

    ``outputs`` [S, N]; ``temporal[k]`` [S, N, T_k(T_k-1)/2] (upper triangles) for the
    k-th temporal-conv layer (empty when not cached); ``spatial[k]`` [S, T_k, N//2, N]
    (:class:`CyclicPairs` values) for the k-th graph-conv layer (empty when not cached).
    """

    outputs: torch.Tensor
    temporal: list[torch.Tensor] = field(default_factory=list)
    spatial: list[torch.Tensor] = field(default_factory=list)

    @property
    def n_windows(self) -> int:
        return self.outputs.shape[0]

    @property
    def nbytes(self) -> int:
        tensors = [self.outputs, *self.temporal, *self.spatial]
        return sum(t.numel() * t.element_size() for t in tensors)

    def lookup(self, index: torch.Tensor, device: torch.device | str | None = None
               ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """The cached entries of windows ``index`` [B]: (outputs [B, N], temporal
        triangles, spatial :class:`CyclicPairs`), moved to ``device``."""
        index = index.to("cpu")
        if index.numel() and (int(index.min()) < 0 or int(index.max()) >= self.n_windows):
            raise IndexError(f"window index: expected values in [0, {self.n_windows}), found "
                             f"[{int(index.min())}, {int(index.max())}]")
        take = lambda t: t[index].to(device) if device is not None else t[index]  # noqa: E731
        return take(self.outputs), [take(t) for t in self.temporal], \
            [CyclicPairs(take(t)) for t in self.spatial]

    @classmethod
    def build(cls, teacher: nn.Module, windows: torch.Tensor, n_his: int,
              temporal: bool = True, spatial: bool = True,
              spatial_dtype: torch.dtype = torch.float16, batch_size: int = 50,
              progress: bool = True) -> "TeacherCache":
        """Run the frozen ``teacher`` (eval mode, no graph) over ``windows``.

        Args:
            teacher: an STGCN (any module whose ``forward(x, hidden)`` fills
                :class:`stgkd.nn.stgcn.Hidden`).
            windows: [S, L, N] z-scored windows (``WindowedData.train``); the input is
                the first ``n_his`` steps.
            temporal, spatial: whether to cache the temporal / spatial correlations.
            spatial_dtype: storage dtype of the spatial triangles.
        """
        if windows.dim() != 3 or windows.shape[1] <= n_his:
            raise ValueError(f"windows: expected [S, L > {n_his}, N], found {list(windows.shape)}")
        teacher.eval()
        device = next(teacher.parameters()).device
        n_windows, n_nodes = windows.shape[0], windows.shape[2]
        outputs = torch.empty(n_windows, n_nodes)
        temporal_store: list[torch.Tensor] = []
        spatial_store: list[torch.Tensor] = []
        bar = tqdm(range(0, n_windows, batch_size), desc="teacher cache", disable=not progress,
                   leave=False, mininterval=1.0)
        with torch.no_grad():
            for start in bar:
                stop = min(start + batch_size, n_windows)
                x = windows[start:stop, None, :n_his].to(device)
                hidden = Hidden()
                outputs[start:stop] = teacher(x, hidden).cpu()
                for wanted, layers, store, correlation, dtype, layout in (
                        (temporal, hidden.temporal, temporal_store, temporal_correlation,
                         torch.float32, upper_triangle),
                        (spatial, hidden.spatial, spatial_store, spatial_correlation,
                         spatial_dtype, lambda m: CyclicPairs.of_matrices(m).values)):
                    if not wanted:
                        continue
                    for k, feature in enumerate(layers):
                        triangle = layout(correlation(bctn_to_btnc(feature)))
                        if len(store) <= k:
                            store.append(torch.empty((n_windows,) + triangle.shape[1:],
                                                     dtype=dtype))
                        store[k][start:stop] = triangle.to("cpu", dtype)
        return cls(outputs, temporal_store, spatial_store)


class LazyTeacherCache:
    """A :class:`TeacherCache` built by ``build()`` on its first :meth:`lookup`.

    For a loss that a run may not use at all: a pruning run resumed after its last
    pruning step only fine-tunes, and need not spend minutes on the teacher's answers.
    """

    def __init__(self, build: Callable[[], TeacherCache]):
        self._build = build
        self._cache: TeacherCache | None = None

    @property
    def built(self) -> bool:
        return self._cache is not None

    @property
    def nbytes(self) -> int | None:
        """The built cache's size, None before it is built."""
        return self._cache.nbytes if self._cache is not None else None

    def lookup(self, index: torch.Tensor, device: torch.device | str | None = None
               ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """:meth:`TeacherCache.lookup`, building the cache first if need be."""
        if self._cache is None:
            self._cache = self._build()
        return self._cache.lookup(index, device)
