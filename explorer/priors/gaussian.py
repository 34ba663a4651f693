"""An analytic CT prior: a Gaussian with a mean image and a stationary (circulant) covariance.

x_0 ~ N(mu, C) with C = F^H diag(P) F, F the orthonormal 2D DFT and P a power spectrum. Under the
forward SDE x_t ~ N(m mu, m^2 C + s^2 I), which is diagonal in the same basis, so energy and score are
closed form at every t through FFTs:

    E(x, t) = 1/2 sum_k |F(x - m mu)_k|^2 / (m^2 P_k + s^2),   score = -F^H[F(x - m mu) / (m^2 P + s^2)].

Fitted to ellipse phantoms it is a "classical" smoothness prior, and the tests' stand-in for the
network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch

from explorer.imaging.phantoms import ellipse_batch
from explorer.core.sde import VPSDE

P_FLOOR = 1e-8  # keeps C positive definite where the data have no power (e.g. alias frequencies)


@dataclass(frozen=True, eq=False)
class GaussianPrior:
    """Gaussian prior N(mu, F^H diag(P) F) pushed through a forward SDE; implements the Prior protocol.

    Parameters
    ----------
    mean : torch.Tensor
        Mean image mu, shape (n, n), float64.
    spectrum : torch.Tensor
        Power spectrum P (variance of each orthonormal Fourier coefficient), shape (n, n), float64,
        non-negative and symmetric under k -> -k.
    sde : VPSDE
        Forward SDE giving m(t) and s(t) (any object with m and s works, e.g. VESDE).
    """

    mean: torch.Tensor
    spectrum: torch.Tensor
    sde: VPSDE = VPSDE()

    @classmethod
    def fit(cls, images: torch.Tensor, sde: VPSDE = VPSDE()) -> GaussianPrior:
        """Fit mean image and power spectrum to images of shape (B, 1, n, n) or (B, n, n)."""
        x = images.reshape(images.shape[0], images.shape[-2], images.shape[-1]).to(torch.float64)
        mean = x.mean(0)
        coeffs = torch.fft.fft2(x - mean, norm="ortho")
        spectrum = (coeffs.abs() ** 2).mean(0).clamp_min(P_FLOOR)
        return cls(mean, spectrum, sde)

    def to(self, device: str | torch.device) -> GaussianPrior:
        """The same prior with its mean and spectrum on `device` (itself when they are there already)."""
        device = torch.device(device)
        if self.mean.device == device:
            return self
        return GaussianPrior(self.mean.to(device), self.spectrum.to(device), self.sde)

    @property
    def n(self) -> int:
        """Image side."""
        return self.mean.shape[-1]

    def _variance(self, t: torch.Tensor, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """m(t) of shape (B, 1, 1) and the Fourier variances m^2 P + s^2 of shape (B, n, n)."""
        t = torch.as_tensor(t, dtype=torch.float64)
        if t.ndim == 0:
            t = t.expand(batch)
        m = self.sde.m(t).to(torch.float64).view(-1, 1, 1)
        s2 = (self.sde.s(t).to(torch.float64) ** 2).view(-1, 1, 1)
        return m, m**2 * self.spectrum + s2

    def _whitened(self, x: torch.Tensor, t: torch.Tensor):
        """Fourier coefficients of x - m mu, the variances, and x as (B, n, n) float64."""
        x64 = x.reshape(x.shape[0], self.n, self.n).to(torch.float64)
        m, var = self._variance(t, x.shape[0])
        coeffs = torch.fft.fft2(x64 - m * self.mean, norm="ortho")
        return coeffs, var

    def energy(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Energy 1/2 (x - m mu)^T (m^2 C + s^2 I)^-1 (x - m mu), shape (B,), for x (B, 1, n, n)."""
        coeffs, var = self._whitened(x, t)
        return (0.5 * (coeffs.abs() ** 2 / var).sum((-2, -1))).to(x.dtype)

    def score(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Score grad_x log p_t(x) = -(m^2 C + s^2 I)^-1 (x - m mu), shape of x."""
        coeffs, var = self._whitened(x, t)
        score = -torch.fft.ifft2(coeffs / var, norm="ortho").real
        return score.reshape(x.shape).to(x.dtype)

    def energy_and_grad(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energy (B,) and its gradient grad_x E = -score (shape of x), from one FFT."""
        coeffs, var = self._whitened(x, t)
        energy = 0.5 * (coeffs.abs() ** 2 / var).sum((-2, -1))
        grad = torch.fft.ifft2(coeffs / var, norm="ortho").real
        return energy.to(x.dtype), grad.reshape(x.shape).to(x.dtype)

    def log_density(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """log p_t(x) including its normalising constant, shape (B,)."""
        _, var = self._variance(t, x.shape[0])
        log_norm = 0.5 * torch.log(2 * math.pi * var).sum((-2, -1))
        return -self.energy(x, t).to(torch.float64) - log_norm

    def sample(self, count: int, t: float, generator: torch.Generator) -> torch.Tensor:
        """Exact samples of p_t, shape (count, 1, n, n), float64."""
        m, var = self._variance(torch.full((count,), float(t), dtype=torch.float64), count)
        white = torch.randn(count, self.n, self.n, generator=generator, dtype=torch.float64)
        # Colour real white noise in the orthonormal basis: F^H sqrt(var) F keeps it real.
        coloured = torch.fft.ifft2(torch.fft.fft2(white, norm="ortho") * var.sqrt(), norm="ortho").real
        return (m * self.mean + coloured)[:, None]


@lru_cache(maxsize=8)
def ellipse_gaussian_prior(n: int = 64, count: int = 256, seed: int = 0) -> GaussianPrior:
    """The Gaussian prior fitted to `count` seeded ellipse phantoms of side n (cached per process)."""
    generator = torch.Generator().manual_seed(seed)
    return GaussianPrior.fit(ellipse_batch(count, n, generator))
