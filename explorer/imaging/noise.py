"""Measurement noise: relative Gaussian noise y = A x + level * mean(|A x|) * N(0, I)."""

from __future__ import annotations

import torch


def add_relative_noise(clean: torch.Tensor, level: float, generator: torch.Generator
                       ) -> torch.Tensor:
    """Clean measurements plus Gaussian noise scaled to each measurement's mean magnitude.

    y_i = clean_i + level * mean(|clean_i|) * z_i, z_i ~ N(0, I), for each batch element i apart,
    so ``level = 0.05`` is "5 % noise" whatever the scaling of A.

    Parameters
    ----------
    clean : torch.Tensor, shape (B, ...)
        Noise-free measurements A x, e.g. sinograms (B, 1, n_angles, n_detectors).
    level : float
        Relative noise level, >= 0.
    generator : torch.Generator
        Source of the noise; the same seed gives the same noise.

    Returns
    -------
    torch.Tensor
        Noisy measurements, same shape and dtype as ``clean``.
    """
    if level < 0:
        raise ValueError(f"noise level must be >= 0, got {level}")
    scale = clean.abs().flatten(1).mean(1).reshape(-1, *([1] * (clean.dim() - 1)))
    z = torch.randn(clean.shape, generator=generator, dtype=clean.dtype, device=clean.device)
    return clean + level * scale * z
