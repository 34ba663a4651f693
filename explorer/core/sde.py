"""Forward SDEs: the mean scale m(t) and noise std s(t) of their Gaussian perturbation kernels.

x_t = m(t) x_0 + s(t) z, z ~ N(0, I). Both functions accept floats or tensors of any shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


def _as_tensor(t) -> torch.Tensor:
    return t if isinstance(t, torch.Tensor) else torch.as_tensor(t, dtype=torch.float64)


@dataclass(frozen=True)
class VESDE:
    """Variance-exploding SDE dx = sigma^t dw (m = 1), as in the paper's 2D toy."""

    sigma: float = 10.0  # base of the diffusion coefficient sigma^t

    def m(self, t):
        """Mean scale m(t) = 1."""
        return torch.ones_like(_as_tensor(t))

    def variance(self, t):
        """Added noise variance v(t) = (sigma^(2t) - 1) / (2 ln sigma)."""
        t = _as_tensor(t)
        return (self.sigma ** (2 * t) - 1) / (2 * math.log(self.sigma))

    def s(self, t):
        """Noise standard deviation s(t) = sqrt(v(t))."""
        return torch.sqrt(self.variance(t))


@dataclass(frozen=True)
class VPSDE:
    """Variance-preserving SDE with linear beta(t) = b0 + t (b1 - b0), as the paper's CT prior."""

    b0: float = 0.1  # beta at t = 0
    b1: float = 20.0  # beta at t = 1

    def m(self, t):
        """Mean scale m(t) = exp(-t^2 (b1 - b0) / 4 - t b0 / 2)."""
        t = _as_tensor(t)
        return torch.exp(-0.25 * t**2 * (self.b1 - self.b0) - 0.5 * t * self.b0)

    def variance(self, t):
        """Noise variance s(t)^2 = 1 - m(t)^2."""
        t = _as_tensor(t)
        return -torch.expm1(-0.5 * t**2 * (self.b1 - self.b0) - t * self.b0)

    def s(self, t):
        """Noise standard deviation s(t) = sqrt(1 - m(t)^2)."""
        return torch.sqrt(self.variance(t))
