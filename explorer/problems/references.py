"""The simple reconstructions a user would pick instead of an optimiser, one per kind of operator.

Each takes the operator and measurements y of shape (B, 1, ...) and returns images (B, 1, n, n) of the
dtype and device of y. :func:`adjoint_reference` (A^T y) works for every operator; the others are
(approximate) pseudo-inverses that exploit the structure of one operator.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from explorer.core.interfaces import Operator
from explorer.problems.fbp import fbp
from explorer.problems.tomography import ParallelBeam
from explorer.problems.operators import Downsample, GaussianBlur, Inpainting


def adjoint_reference(operator: Operator, y: torch.Tensor) -> torch.Tensor:
    """Back-projection A^T y: zero-filling for inpainting, a second blur for deblurring."""
    return operator.A_adjoint(y)


def identity_reference(operator: Operator, y: torch.Tensor) -> torch.Tensor:
    """The noisy image y itself (A = I)."""
    return y


def upsample_reference(operator: Downsample, y: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour upsampling, factor^2 A^T y: the pseudo-inverse A^+ of block averaging."""
    return operator.A_adjoint(y) * operator.factor**2


def inpaint_reference(operator: Inpainting, y: torch.Tensor, n_iter: int = 200) -> torch.Tensor:
    """Observed pixels kept, holes filled by harmonic (diffusion) inpainting.

    Holes start at the mean of the observed pixels of each image; ``n_iter`` Jacobi sweeps then replace
    every missing pixel by the mean of its four neighbours (edges replicated), which approaches the
    solution of Laplace's equation in the holes with the observed pixels as boundary values.
    """
    mask = operator.A_adjoint(torch.ones_like(y))
    observed = mask.sum(dim=(-2, -1), keepdim=True)
    mean = (y * mask).sum(dim=(-2, -1), keepdim=True) / observed
    x = y * mask + mean * (1 - mask)
    lead, z = x.shape[:-2], x.reshape(-1, 1, *x.shape[-2:])
    keep, values = mask.reshape(z.shape), (y * mask).reshape(z.shape)
    neighbours = torch.tensor([[0.0, 0.25, 0.0], [0.25, 0.0, 0.25], [0.0, 0.25, 0.0]],
                              dtype=y.dtype, device=y.device).reshape(1, 1, 3, 3)
    for _ in range(n_iter):
        smoothed = F.conv2d(F.pad(z, (1, 1, 1, 1), mode="replicate"), neighbours)
        z = values + (1 - keep) * smoothed
    return z.reshape(*lead, *z.shape[-2:])


def wiener_reference(operator: GaussianBlur, y: torch.Tensor, regulariser: float = 1e-2) -> torch.Tensor:
    """Wiener-type deconvolution X = conj(H) Y / (|H|^2 + regulariser) in the Fourier domain.

    The blur with zero boundary is not a circular convolution, so this is an approximation: y is
    extended by reflection by twice the kernel radius on every side, deconvolved as if circular on that
    padded grid, and cropped back. It is exact away from the edges up to the regulariser; near the edges
    it does not undo the darkening that the zero boundary causes.

    Parameters
    ----------
    operator : GaussianBlur
        The blur (its 1D kernel is used).
    y : torch.Tensor, shape (B, 1, n, n)
        Blurred images.
    regulariser : float
        Added to |H|^2; about the noise-to-signal power ratio. Larger values give smoother results; the
        default 1e-2 also keeps the edge errors of the circular approximation small (1e-3 amplifies them).
    """
    pad = min(2 * operator.radius, y.shape[-1] - 1, y.shape[-2] - 1)
    lead, z = y.shape[:-2], y.reshape(-1, 1, *y.shape[-2:])
    z = F.pad(z, (pad, pad, pad, pad), mode="reflect")
    height, width = z.shape[-2:]
    kernel = operator.kernel.to(dtype=y.dtype, device=y.device)
    # The centred kernel rolled so that its middle sits at index 0: a zero-phase transfer function.
    row = torch.zeros(width, dtype=y.dtype, device=y.device)
    col = torch.zeros(height, dtype=y.dtype, device=y.device)
    offsets = torch.arange(-operator.radius, operator.radius + 1, device=y.device)
    row[offsets % width] += kernel
    col[offsets % height] += kernel
    transfer = torch.fft.fft(col)[:, None] * torch.fft.fft(row)[None, :]
    spectrum = torch.fft.fft2(z) * transfer.conj() / (transfer.abs() ** 2 + regulariser)
    x = torch.fft.ifft2(spectrum).real[..., pad:height - pad, pad:width - pad]
    return x.reshape(*lead, *x.shape[-2:])


def fbp_reference(operator: ParallelBeam, y: torch.Tensor, filter_name: str = "ramp") -> torch.Tensor:
    """Filtered backprojection with each angle weighted by the angular step of the operator.

    :func:`explorer.problems.fbp.fbp` weights each of the n angles by pi / n (angles spread over [0, pi));
    for angles over [0, theta_max) the step is theta_max / n, so its result is scaled by theta_max / pi,
    theta_max being one step past the last angle. With a missing wedge FBP shows streaks along it.
    """
    angles = operator.angles
    step = float(angles[1] - angles[0]) if angles.numel() > 1 else math.pi
    return fbp(operator, y, filter_name) * (step * angles.numel() / math.pi)
