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
