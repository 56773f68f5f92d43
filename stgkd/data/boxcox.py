"""Box-Cox transform followed by a z-score, fitted on training readings only.

DMST-GNODE's input module normalises the readings with a Box-Cox transform (its
ref. [60]) and maps forecasts back with the inverse. The reading here:

* one ``lambda`` for all nodes, fitted by maximum likelihood (``scipy.stats.boxcox``) on
  every training reading pooled, as the repository's :class:`~stgkd.data.windows.ZScore`
  uses one mean and one standard deviation for all stations (per-node lambdas would make
  the loss weigh nodes differently and break on a node with a constant series);
* readings are shifted before the power, ``x + shift`` with ``shift = 1 - min(0, training
  minimum)``: speeds and flows of 0 (and anything down to the training minimum) map to
  at least 1, where the power is well behaved;
* then ``z = (boxcox(x + shift, lambda) - mean) / std`` with the mean and standard
  deviation of the transformed training readings.

Its ``transform`` and ``inverse`` take numpy arrays or torch tensors, like ``ZScore``'s,
so it can stand in for it; ``asdict`` / :meth:`BoxCox.from_dict` store it in a checkpoint.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy import stats
from scipy import special
from scipy.special import inv_boxcox


@dataclass(frozen=True)
class BoxCox:
    """``z = ((x + shift)^lam - 1) / lam`` (``log(x + shift)`` when ``lam == 0``), then
    ``(. - mean) / std``.

    Attributes:
        lam: the Box-Cox exponent, one for all nodes.
        shift: added to readings before the power (positive).
        mean, std: of the transformed training readings.
    """

    lam: float
    shift: float
    mean: float
    std: float

    @classmethod
    def fit(cls, values) -> "BoxCox":
        """Fit on training readings ``values`` (any shape, e.g. [T, N]; all cells pooled)."""
        x = np.asarray(values, dtype=np.float64).ravel()
        if x.size < 2:
            raise ValueError(f"values: expected at least 2 training readings, found {x.size}")
        _check_finite("values", x)
        if np.ptp(x) == 0:
            raise ValueError(f"values: expected readings that vary, found all equal to {x[0]}")
        shift = 1.0 - min(0.0, float(x.min()))
        transformed, lam = stats.boxcox(x + shift)
        std = float(np.std(transformed))
        return cls(float(lam), shift, float(np.mean(transformed)), std if std > 0 else 1.0)

    @classmethod
    def from_dict(cls, state: dict) -> "BoxCox":
        """Rebuild from :meth:`to_dict` (``dataclasses.asdict``) output."""
        return cls(**{k: float(state[k]) for k in ("lam", "shift", "mean", "std")})

    def to_dict(self) -> dict:
        """Plain floats, for a checkpoint or JSON."""
        return asdict(self)

    def transform(self, values):
        """Readings in original units -> normalised values (same type and shape).

        Raises ValueError on a non-finite reading or one at or below ``-shift`` (outside
        the transform's domain).
        """
        if isinstance(values, torch.Tensor):
            _check_finite("values", values)
            shifted = values + self.shift
            if bool((shifted <= 0).any()):
                raise ValueError(f"values: expected readings above {-self.shift} (the "
                                 f"transform's domain), found minimum {float(values.min())}")
            if self.lam == 0:
                y = torch.log(shifted)
            else:
                y = (shifted ** self.lam - 1) / self.lam
            return (y - self.mean) / self.std
        x = np.asarray(values, dtype=np.float64)
        _check_finite("values", x)
        if (x + self.shift <= 0).any():
            raise ValueError(f"values: expected readings above {-self.shift} (the "
                             f"transform's domain), found minimum {x.min()}")
        return (stats.boxcox(x + self.shift, self.lam) - self.mean) / self.std

    def inverse(self, values):
        """Normalised values (e.g. forecasts) -> original units (same type and shape).

        A value outside the image of the transform (``lam * y + 1 <= 0``, only possible
        for a forecast) is taken to the edge of that image: ``-shift`` when ``lam > 0``,
        infinity when ``lam < 0``.
        """
        if isinstance(values, torch.Tensor):
            y = values * self.std + self.mean
            if self.lam == 0:
                return torch.exp(y) - self.shift
            base = torch.clamp(self.lam * y + 1, min=0)
            return base ** (1 / self.lam) - self.shift
        y = np.asarray(values, dtype=np.float64) * self.std + self.mean
        if self.lam != 0:
            # inv_boxcox gives NaN outside the image; clamp to its edge instead
            with np.errstate(divide="ignore"):
                y = np.maximum(y, -1 / self.lam) if self.lam > 0 else np.minimum(y, -1 / self.lam)
        with np.errstate(divide="ignore"):
            return inv_boxcox(y, self.lam) - self.shift


def _check_finite(name: str, values) -> None:
    if isinstance(values, torch.Tensor):
        bad = int((~torch.isfinite(values)).sum())
    else:
        bad = int((~np.isfinite(values)).sum())
    if bad:
        raise ValueError(f"{name}: expected finite readings, found {bad} non-finite cells")


@dataclass(frozen=True)
class StationBoxCox:
    """Box-Cox with one exponent per station, then a z-score per station:
    ``z_i = (boxcox(x_i + shift, lam_i) - mean_i) / std_i`` for station (last axis) ``i``.

    ``shift`` is shared, as :class:`BoxCox`'s (``1 - min(0, training minimum)``). Each
    ``lam_i`` is the maximum-likelihood exponent of station ``i``'s training readings; a
    station whose training readings never change gets ``lam_i = 1`` and ``std_i = 1`` (its
    likelihood has no maximum). The per-station z-score puts every station on one scale
    again: with one exponent each, the transformed ranges differ by orders of magnitude.

    Attributes (tuples of N floats, except ``shift``): lam, shift, mean, std.
    """

    lam: tuple
    shift: float
    mean: tuple
    std: tuple

    @classmethod
    def fit(cls, values) -> "StationBoxCox":
        """Fit on training readings ``values`` [T, N] (stations on the last axis)."""
        x = np.asarray(values, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] < 2:
            raise ValueError(f"values: expected training readings [T, N] with T >= 2, "
                             f"found shape {list(x.shape)}")
        _check_finite("values", x)
        shift = 1.0 - min(0.0, float(x.min()))
        lam, mean, std = [], [], []
        for column in (x + shift).T:
            if np.ptp(column) == 0:
                lam_i, transformed = 1.0, column - 1.0
            else:
                transformed, lam_i = stats.boxcox(column)
            sd = float(np.std(transformed))
            lam.append(float(lam_i))
            mean.append(float(np.mean(transformed)))
            std.append(sd if sd > 0 else 1.0)
        return cls(tuple(lam), shift, tuple(mean), tuple(std))

    @classmethod
    def from_dict(cls, state: dict) -> "StationBoxCox":
        """Rebuild from :meth:`to_dict` output."""
        return cls(tuple(float(v) for v in state["lam"]), float(state["shift"]),
                   tuple(float(v) for v in state["mean"]), tuple(float(v) for v in state["std"]))

    def to_dict(self) -> dict:
        """Lists of plain floats, for a checkpoint or JSON."""
        return {"lam": list(self.lam), "shift": self.shift, "mean": list(self.mean),
                "std": list(self.std)}

    def _params(self, like):
        if isinstance(like, torch.Tensor):
            return [torch.tensor(v, dtype=like.dtype, device=like.device)
                    for v in (self.lam, self.mean, self.std)]
        return [np.asarray(v, dtype=np.float64) for v in (self.lam, self.mean, self.std)]

    def _check_nodes(self, values) -> None:
        if values.shape[-1] != len(self.lam):
            raise ValueError(f"values: expected {len(self.lam)} stations on the last axis, "
                             f"found shape {list(values.shape)}")

    def transform(self, values):
        """Readings [..., N] in original units -> normalised values (same type and shape)."""
        is_tensor = isinstance(values, torch.Tensor)
        x = values if is_tensor else np.asarray(values, dtype=np.float64)
        _check_finite("values", x)
        self._check_nodes(x)
        if bool((x + self.shift <= 0).any()):
            raise ValueError(f"values: expected readings above {-self.shift} (the "
                             f"transform's domain), found minimum {float(x.min())}")
        lam, mean, std = self._params(x)
        if not is_tensor:                 # scipy's ufunc broadcasts one lam per station
            return (special.boxcox(x + self.shift, lam) - mean) / std
        shifted = x + self.shift
        safe = torch.where(lam == 0, torch.ones_like(lam), lam)
        y = torch.where(lam == 0, torch.log(shifted), (shifted ** safe - 1) / safe)
        return (y - mean) / std

    def inverse(self, values):
        """Normalised values [..., N] -> original units; a value outside a station's image
        goes to the edge of it, as :meth:`BoxCox.inverse`."""
        is_tensor = isinstance(values, torch.Tensor)
        z = values if is_tensor else np.asarray(values, dtype=np.float64)
        self._check_nodes(z)
        lam, mean, std = self._params(z)
        y = z * std + mean
        if not is_tensor:
            edge = np.where(lam != 0, -1 / np.where(lam == 0, 1.0, lam), 0.0)
            y = np.where(lam > 0, np.maximum(y, edge), np.where(lam < 0, np.minimum(y, edge), y))
            with np.errstate(divide="ignore"):
                return special.inv_boxcox(y, lam) - self.shift
        safe = torch.where(lam == 0, torch.ones_like(lam), lam)
        power = torch.clamp(safe * y + 1, min=0) ** (1 / safe)
        # exp only where lam == 0: an overflow in the unused branch would turn its zero
        # gradient into NaN
        log_branch = torch.exp(torch.where(lam == 0, y, torch.zeros_like(y)))
        return torch.where(lam == 0, log_branch, power) - self.shift
