"""Phantoms for CT: random ellipses (seeded), as specified for training and testing the prior."""

from __future__ import annotations

import math

import torch


def random_ellipses(n: int, generator: torch.Generator, *, mean_count: float = 20.0,
                    intensity_rate: float = 0.4) -> torch.Tensor:
    """One random ellipse phantom of shape (n, n), float32, values in [0, 1].

    The number of ellipses is Poisson(mean_count) (at least one), each ellipse has intensity
    Exp(intensity_rate), semi-axes |U(-0.5, 0.5)| and centre U(-0.5, 0.5)^2 in unit coordinates
    ([-1, 1]^2 is the image), and rotation U(0, 2 pi). The sum is divided by its maximum.

    Parameters
    ----------
    n : int
        Image side in pixels.
    generator : torch.Generator
        Source of randomness; the same seed gives the same phantom.
    """
    count = max(1, int(torch.poisson(torch.tensor([mean_count]), generator=generator).item()))
    u = torch.rand(count, 6, generator=generator, dtype=torch.float64)
    intensity = -torch.log1p(-u[:, 0]) / intensity_rate
    a = (u[:, 1] - 0.5).abs().clamp_min(1e-3)
    b = (u[:, 2] - 0.5).abs().clamp_min(1e-3)
    cx, cy = u[:, 3] - 0.5, u[:, 4] - 0.5
    phi = 2 * math.pi * u[:, 5]
    coords = torch.linspace(-1.0, 1.0, n, dtype=torch.float64)
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    dx = xx[None] - cx[:, None, None]
    dy = yy[None] - cy[:, None, None]
    c, s = torch.cos(phi)[:, None, None], torch.sin(phi)[:, None, None]
    u_rot = (c * dx + s * dy) / a[:, None, None]
    v_rot = (-s * dx + c * dy) / b[:, None, None]
    inside = (u_rot**2 + v_rot**2 <= 1.0).to(torch.float64)
    image = (intensity[:, None, None] * inside).sum(0)
    peak = image.max()
    if peak > 0:
        image = image / peak
    return image.to(torch.float32)


def ellipse_batch(batch: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """A batch of random ellipse phantoms, shape (batch, 1, n, n), float32 in [0, 1]."""
    return torch.stack([random_ellipses(n, generator) for _ in range(batch)])[:, None]
