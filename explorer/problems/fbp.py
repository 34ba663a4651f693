"""Filtered backprojection (FBP) for the parallel-beam operator: filter each projection, then A^T.

FBP inverts the Radon transform as f(x) = int_0^pi (p_theta * h)(x . theta) d theta with the ramp
filter h (frequency response |omega|). With unit detector bins and evenly spaced angles over
[0, pi), the integral over theta becomes (pi / n_angles) times a sum, and the exact adjoint A^T of
the explorer's operator is that interpolating sum (each pixel's weights over one projection add up
to about 1), so FBP(y) = (pi / n_angles) A^T (h * y).
"""

from __future__ import annotations

import math

import torch

from explorer.core.interfaces import Operator

FILTERS = ("ramp", "shepp-logan", "cosine", "hann")


def _padded_length(n_detectors: int) -> int:
    # Zero padding to at least twice the detector count avoids wrap-around of the circular
    # convolution; a power of two keeps the FFT fast.
    return max(64, 1 << math.ceil(math.log2(2 * n_detectors)))


def filter_response(n_detectors: int, filter_name: str = "ramp") -> torch.Tensor:
    """Frequency response of an FBP filter on the padded detector grid, for ``torch.fft.rfft``.

    The ramp is the discrete band-limited one (spatial kernel h[0] = 1/4, h[k] = -1/(pi k)^2 for odd
    k, 0 for even k), whose response is about |f| (f in cycles per detector bin) with zero mean.
    The other filters multiply it by a window that damps high frequencies:
    Shepp-Logan sinc(f), cosine cos(pi f), Hann cos^2(pi f).

    Parameters
    ----------
    n_detectors : int
        Number of detector bins of the sinogram.
    filter_name : str
        One of ``FILTERS``.

    Returns
    -------
    torch.Tensor, shape (size // 2 + 1,), float64
        Real response, ``size`` being the padded length.
    """
    if filter_name not in FILTERS:
        raise ValueError(f"unknown FBP filter {filter_name!r}; choose one of {', '.join(FILTERS)}")
    size = _padded_length(n_detectors)
    k = torch.arange(size, dtype=torch.float64)
    distance = torch.minimum(k, size - k)  # circular distance, so the kernel is symmetric
    kernel = torch.where(distance % 2 == 1, -1.0 / (math.pi * distance) ** 2, 0.0)
    kernel[0] = 0.25
    response = torch.fft.rfft(kernel).real
    f = torch.fft.rfftfreq(size, dtype=torch.float64)
    if filter_name == "shepp-logan":
        response = response * torch.sinc(f)
    elif filter_name == "cosine":
        response = response * torch.cos(math.pi * f)
    elif filter_name == "hann":
        response = response * torch.cos(math.pi * f) ** 2
    return response


def filter_sinogram(y: torch.Tensor, filter_name: str = "ramp") -> torch.Tensor:
    """Convolve every projection (last axis) of y with the FBP filter; same shape as y."""
    n_detectors = y.shape[-1]
    response = filter_response(n_detectors, filter_name)
    size = 2 * (response.numel() - 1)
    spectrum = torch.fft.rfft(y, n=size, dim=-1) * response.to(y.dtype)
    return torch.fft.irfft(spectrum, n=size, dim=-1)[..., :n_detectors]


def fbp(operator: Operator, y: torch.Tensor, filter_name: str = "ramp") -> torch.Tensor:
    """Filtered backprojection of sinograms y, using the operator's exact adjoint.

    Parameters
    ----------
    operator : Operator
        Parallel-beam operator whose angles are evenly spaced over [0, pi)
        (e.g. :func:`explorer.problems.tomography.parallel_beam`).
    y : torch.Tensor, shape (B, 1, n_angles, n_detectors)
        Sinograms (any leading dimensions work).
    filter_name : str
        One of ``FILTERS``: "ramp", "shepp-logan", "cosine", "hann".

    Returns
    -------
    torch.Tensor, shape (B, 1, n, n)
        Reconstructions, same dtype as y; not clipped.
    """
    n_angles = y.shape[-2]
    return operator.A_adjoint(filter_sinogram(y, filter_name)) * (math.pi / n_angles)
