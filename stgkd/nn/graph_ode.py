"""The continuous graph ODE of STGODE (Fang et al., KDD 2021) and CGNN (Xhonneux et al. 2020).

CGNN turns a stack of graph convolutions with a restart, ``H_{k+1} = A H_k + H_0``, into
the ODE ``dH/dt = log(A) H + H_0`` and approximates ``log(A)`` by its first-order Taylor
term ``A - I``. STGODE applies the same step to a tensor ``H`` with a node, a time and a
feature axis, mixing each axis: ``H_{k+1} = H_k x_1 A x_2 U x_3 W + H_0``, whose ODE after
the same approximation (DMST-GNODE's Corollary 1 and eq. 23) is read here as

    dH/dt = (diag(sigmoid(alpha)) A_hat - I) H  +  H x_C (W - I)  +  H x_T (U - I)  +  H_0

* ``A_hat``: a normalised adjacency (:func:`stgkd.data.multigraph.normalized_adjacency`,
  or the row-stochastic learned graph); ``sigmoid(alpha_i) in (0, 1)`` a learned factor
  per node (CGNN's attenuation), which keeps the graph term's eigenvalues negative;
* ``W = P diag(clamp(d, 0, 1)) P^T`` [C, C] mixes features and ``U = Q diag(clamp(e, 0, 1))
  Q^T`` [T, T] mixes time steps: symmetric positive semi-definite, initialised to the
  identity, so each ``(. - I)`` term starts at zero (STGODE's parameterisation). That is
  all the parameterisation guarantees: the eigenvalues of ``W`` lie in ``[0, ||P||_2^2]``,
  and nothing keeps the learned ``P`` orthogonal, so they exceed 1 once it grows (trained
  DMST-GNODE runs reach 2-4). The clamp also stops learning of a scale pushed above 1:
  ``d`` starts at the clamp's bound and gets no gradient once past it. The option
  ``mixing="orthonormal"`` (:data:`MIXINGS`) uses the orthonormal factor of ``P``
  (``torch.linalg.qr``) and passes the clamp's gradient straight through, so the
  eigenvalues are ``clamp(d, 0, 1)``, in ``[0, 1]``, and every scale keeps learning; at
  the identity start both options are the same map;
* ``H_0``: the initial state, the restart that keeps node states from collapsing to the
  graph's stationary state (over-smoothing). STGODE's code detaches ``H_0``; here it is
  not detached, so the layers before the ODE also learn through the restart.

STGODE sums the three terms in this way (``alpha/2 A H - H + H W - H + U H - H + H_0``);
its released code integrates ``t in [0, 6]`` with torchdiffeq's ``euler`` on the grid
``[0, 6]``, i.e. one Euler step of size 6, which is a discrete residual layer rather than
an ODE solve. The default here integrates ``t in [0, 1]`` in four Euler steps of 0.25.
Were ``W`` and ``U`` to keep their eigenvalues in [0, 1], the field's linear part would
have eigenvalues of real part in [-4, 0) and Euler would be stable (``step * |eigenvalue|
<= 2``); under the default ``mixing="free"`` an eigenvalue ``w > 1`` of ``W`` adds
``w - 1 > 0``, a growing mode, amplified over ``t in [0, 1]`` by up to
``(1 + 0.25 (w - 1))^4`` (with ``mixing="orthonormal"`` the bound above holds).
Any torchdiffeq method can be chosen (``"dopri5"`` is adaptive).

Tensors are [B, C, T, N] (batch, channels, time steps, nodes), the layout of
:mod:`stgkd.nn.layers`.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torchdiffeq import odeint

# torchdiffeq's fixed-grid methods take a step size; the others are adaptive
FIXED_STEP_METHODS = ("euler", "midpoint", "heun2", "heun3", "rk4", "explicit_adams",
                      "implicit_adams")
# How W and U are built from their (basis, scale) parameters (see the module docstring)
MIXINGS: dict[str, str] = {
    "free": "P diag(clamp(d, 0, 1)) P^T with P free: eigenvalues in [0, ||P||^2] (STGODE)",
    "orthonormal": "Q diag(clamp(d, 0, 1)) Q^T with Q the orthonormal factor of P and the "
                   "clamp's gradient passed straight through: eigenvalues in [0, 1]",
}


def integrate(field: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], h0: torch.Tensor,
              time: float = 1.0, method: str = "euler", step_size: float | None = 0.25,
              rtol: float = 1e-4, atol: float = 1e-5) -> torch.Tensor:
    """``H(time)`` for ``dH/dt = field(t, H)``, ``H(0) = h0``, by ``torchdiffeq.odeint``
    (fixed-step ``"euler"`` by :func:`euler`, the same steps without the solver's copies).

    Args:
        field: the vector field ``f(t, H)``, returning a tensor shaped like ``H``.
        h0: the initial state (any shape).
        time: the end of the integration interval ``[0, time]``.
        method: a torchdiffeq method: ``"euler"`` (fixed step), ``"rk4"``, ``"dopri5"``
            (adaptive), ...
        step_size: the step of a fixed-step method (None: one step over ``[0, time]``,
            torchdiffeq's own default); ignored by adaptive methods.
        rtol, atol: tolerances of an adaptive method.

    Returns:
        ``H(time)``, shaped like ``h0``. Back-propagation goes through the solver's steps
        (no adjoint: the fields here are small and the steps few).
    """
    if time <= 0:
        raise ValueError(f"time: expected a positive end time, found {time}")
    t = torch.tensor([0.0, float(time)], dtype=h0.dtype, device=h0.device)
    if method == "euler" and step_size is not None:
        return euler(field, h0, t, float(step_size))
    if method in FIXED_STEP_METHODS:
        options = None if step_size is None else {"step_size": float(step_size)}
        return odeint(field, h0, t, method=method, options=options)[-1]
    return odeint(field, h0, t, method=method, rtol=rtol, atol=atol)[-1]


def euler(field: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], h0: torch.Tensor,
          t: torch.Tensor, step_size: float) -> torch.Tensor:
    """``H(t[-1])`` by explicit Euler steps, ``H <- H + dt f(t, H)``, on torchdiffeq's grid
    for ``step_size`` (``0, step, 2 step, ...``, the last point moved to ``t[-1]``).

    The same operations, in the same order and precision, as ``torchdiffeq.odeint(...,
    method="euler", options={"step_size": step_size})[-1]``, so the result is the same to
    the bit; it leaves out the solver's bookkeeping (a preallocated solution tensor, the
    copies into it and the interpolation at the output times), a tenth of a DMST-GNODE
    training step on a CPU.
    """
    start, end = t[0], t[-1]
    n_points = torch.ceil((end - start) / step_size + 1).item()
    grid = torch.arange(0, n_points, dtype=t.dtype, device=t.device) * step_size + start
    grid[-1] = end
    h = h0
    for t0, t1 in zip(grid[:-1], grid[1:]):
        h = h + (t1 - t0) * field(t0, h)
    return h


class GraphODE(nn.Module):
    """STGODE's tensor graph ODE with CGNN's restart, solved from ``H(0) = x`` to ``H(time)``.

    ``dH/dt = (diag(sigmoid(alpha)) A_hat - I) H + H x_C (W - I) + H x_T (U - I) + H_0``
    (see the module docstring; the ODE the DMST-GNODE prose calls its eq. 23). ``feature_mixing``,
    ``temporal_mixing`` and ``restart`` switch the last three terms off (for tests and
    ablations); the node attenuation ``alpha`` starts at 0.8 as in STGODE (factor 0.69).

    Args:
        n_nodes: N (one ``alpha`` per node).
        channels: C, the feature axis that ``W`` mixes.
        steps: T, the time axis that ``U`` mixes.
        time, method, step_size, rtol, atol: the solver (see :func:`integrate`).
        mixing: how ``W`` and ``U`` are built (:data:`MIXINGS`; default ``"free"``, STGODE's).

    Shapes: x [B, C, T, N] and adjacency [N, N] -> [B, C, T, N].
    """

    def __init__(self, n_nodes: int, channels: int, steps: int, time: float = 1.0,
                 method: str = "euler", step_size: float | None = 0.25, rtol: float = 1e-4,
                 atol: float = 1e-5, feature_mixing: bool = True, temporal_mixing: bool = True,
                 restart: bool = True, mixing: str = "free"):
        super().__init__()
        if time <= 0:
            raise ValueError(f"time: expected a positive end time, found {time}")
        if mixing not in MIXINGS:
            raise ValueError(f"mixing: expected one of {list(MIXINGS)}, found {mixing!r}")
        self.mixing = mixing
        self.n_nodes, self.channels, self.steps = n_nodes, channels, steps
        self.time, self.method, self.step_size = float(time), method, step_size
        self.rtol, self.atol = rtol, atol
        self.restart = restart
        self.alpha = nn.Parameter(torch.full((n_nodes,), 0.8))
        if feature_mixing:
            self.feature_basis = nn.Parameter(torch.eye(channels))
            self.feature_scale = nn.Parameter(torch.ones(channels))
        if temporal_mixing:
            self.temporal_basis = nn.Parameter(torch.eye(steps))
            self.temporal_scale = nn.Parameter(torch.ones(steps))
        self.feature_mixing, self.temporal_mixing = feature_mixing, temporal_mixing

    def _mixing(self, basis: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        # P diag(d) P^T with d in [0, 1]: symmetric PSD, eigenvalues in [0, ||P||^2]
        # (STGODE's parameterisation; <= 1 only while P stays orthogonal)
        if self.mixing == "free":
            return (basis * scale.clamp(0, 1)) @ basis.T
        # Q of P = QR is orthonormal, so Q diag(d) Q^T has eigenvalues d exactly; the clamp
        # acts in the forward pass only, so a scale past a bound still gets a gradient
        q = torch.linalg.qr(basis).Q
        bounded = scale + (scale.clamp(0, 1) - scale).detach()
        return (q * bounded) @ q.T

    def operators(self, adjacency: torch.Tensor):
        """The field's linear maps for ``adjacency`` [N, N], built once per solve (they do not
        change with t): ``(diag(sigmoid(alpha)) A - I)^T`` [N, N], ``(W - I)^T`` [C, C] and
        ``(U - I)^T`` [T, T] (None where that term is off)."""
        graph = torch.sigmoid(self.alpha)[:, None] * adjacency
        graph = graph - torch.eye(self.n_nodes, dtype=graph.dtype, device=graph.device)
        feature = temporal = None
        if self.feature_mixing:
            w = self._mixing(self.feature_basis, self.feature_scale)
            feature = (w - torch.eye(self.channels, dtype=w.dtype, device=w.device)).T
        if self.temporal_mixing:
            u = self._mixing(self.temporal_basis, self.temporal_scale)
            temporal = (u - torch.eye(self.steps, dtype=u.dtype, device=u.device)).T
        return graph.T, feature, temporal

    @staticmethod
    def _field(h: torch.Tensor, h0: torch.Tensor, graph_t: torch.Tensor,
               feature_t: torch.Tensor | None, temporal_t: torch.Tensor | None) -> torch.Tensor:
        # the identity is folded into each map, so the field costs three products and
        # three additions per evaluation
        # (batched products over a stride-0 expanded map avoid the copies of h that
        # broadcasting matmul makes)
        b, c, t, n = h.shape
        out = h @ graph_t                                    # node axis last: H M^T = (M H)
        if feature_t is not None:                            # sum_c H_c (W - I)_cd
            out = out + torch.bmm(feature_t.expand(b, c, c), h.reshape(b, c, t * n)).view_as(h)
        if temporal_t is not None:                           # sum_t H_t (U - I)_ts
            out = out + torch.bmm(temporal_t.expand(b * c, t, t),
                                  h.reshape(b * c, t, n)).view_as(h)
        if h0 is not None:
            out = out + h0
        return out

    def vector_field(self, h: torch.Tensor, h0: torch.Tensor,
                     adjacency: torch.Tensor) -> torch.Tensor:
        """``dH/dt`` at state ``h`` [B, C, T, N] for initial state ``h0`` and graph
        ``adjacency`` [N, N] (``(A H)_i = sum_j A_ij H_j``)."""
        return self._field(h, h0 if self.restart else None, *self.operators(adjacency.to(h)))

    def forward(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.channels or x.shape[3] != self.n_nodes:
            raise ValueError(f"x: expected [B, {self.channels}, T, {self.n_nodes}], "
                             f"found {list(x.shape)}")
        if self.temporal_mixing and x.shape[2] != self.steps:
            raise ValueError(f"x: expected {self.steps} time steps (the temporal mixing's "
                             f"size), found {x.shape[2]}")
        if adjacency.shape != (self.n_nodes, self.n_nodes):
            raise ValueError(f"adjacency: expected [{self.n_nodes}, {self.n_nodes}], "
                             f"found {list(adjacency.shape)}")
        maps = self.operators(adjacency.to(x))
        h0 = x if self.restart else None
        return integrate(lambda t, h: self._field(h, h0, *maps), x, self.time, self.method,
                         self.step_size, self.rtol, self.atol)
