"""Linear forward operators beyond CT: Gaussian blur, inpainting, downsampling and the identity.

Every operator maps images of shape (B, 1, n, n) (any leading dimensions work) to measurements, has the
exact adjoint ``A_adjoint`` and knows its spectral norm ``norm()``, so a problem can be normalised as the
CT one is (A / ||A||). Stored tensors (kernels, masks) are converted to the dtype and device of the input
on every call, so float32 and float64 inputs on any device give outputs of the same kind.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _as_images(x: torch.Tensor) -> tuple[torch.Size, torch.Tensor]:
    """Leading shape of x and x viewed as a (N, 1, H, W) batch for the conv / pooling kernels."""
    return x.shape[:-2], x.reshape(-1, 1, *x.shape[-2:])


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """Normalised 1D Gaussian of standard deviation sigma pixels on radius ceil(3 sigma), float64 (2r + 1,)."""
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    radius = math.ceil(3 * sigma)
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    return kernel / kernel.sum()


class GaussianBlur:
    """Separable Gaussian blur of n x n images with zero boundary: A = T (x) T, output the size of the input.

    Zero padding makes A a (Toeplitz) matrix whose exact adjoint is the transposed convolution; values
    beyond the image are taken as zero, so pixels near the edge get darker.

    Parameters
    ----------
    sigma : float
        Standard deviation of the Gaussian in pixels; the kernel has radius ceil(3 sigma).
    n : int
        Image side; needed only for the exact norm.
    """

    def __init__(self, sigma: float, n: int) -> None:
        self.sigma = float(sigma)
        self.n = int(n)
        self.kernel = gaussian_kernel(self.sigma)
        self.radius = (self.kernel.numel() - 1) // 2

    def _kernels(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k = self.kernel.to(dtype=like.dtype, device=like.device)
        return k.reshape(1, 1, 1, -1), k.reshape(1, 1, -1, 1)

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """Blur images x of shape (..., n, n); same shape out."""
        lead, z = _as_images(x)
        rows, cols = self._kernels(x)
        z = F.conv2d(z, rows, padding=(0, self.radius))
        z = F.conv2d(z, cols, padding=(self.radius, 0))
        return z.reshape(*lead, *z.shape[-2:])

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Transposed blur of y of shape (..., n, n): the two convolutions transposed, in reverse order."""
        lead, z = _as_images(y)
        rows, cols = self._kernels(y)
        z = F.conv_transpose2d(z, cols, padding=(self.radius, 0))
        z = F.conv_transpose2d(z, rows, padding=(0, self.radius))
        return z.reshape(*lead, *z.shape[-2:])

    def norm(self) -> float:
        """Exact ||A||_2 = ||T||_2^2, T the n x n symmetric Toeplitz matrix of the 1D kernel (below 1)."""
        offsets = torch.arange(self.n, dtype=torch.float64)
        distance = (offsets[:, None] - offsets[None, :]).abs().long()
        padded = torch.cat([self.kernel[self.radius:], torch.zeros(self.n, dtype=torch.float64)])
        toeplitz = padded[distance]
        return float(torch.linalg.eigvalsh(toeplitz).abs().max()) ** 2

    def __repr__(self) -> str:
        return f"GaussianBlur(sigma={self.sigma}, n={self.n})"


class Inpainting:
    """Pixel masking A x = m * x with a 0/1 mask m of shape (n, n); self-adjoint, A^T y = m * y.

    Measurements keep the image shape, with zeros at the missing pixels.
    """

    def __init__(self, mask: torch.Tensor) -> None:
        mask = torch.as_tensor(mask)
        if mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
            raise ValueError(f"mask must have shape (n, n), got {tuple(mask.shape)}")
        self.mask = (mask != 0).to(torch.float64)
        if not bool(self.mask.any()):
            raise ValueError("mask keeps no pixel")

    @classmethod
    def random_mask(cls, n: int, keep: float, seed: int) -> Inpainting:
        """Keep each pixel of an n x n image independently with probability ``keep`` (seeded)."""
        if not 0 < keep <= 1:
            raise ValueError(f"keep must lie in (0, 1], got {keep}")
        generator = torch.Generator().manual_seed(seed)
        draw = torch.rand(n, n, generator=generator, dtype=torch.float64, device=generator.device)
        return cls(draw < keep)

    @classmethod
    def box_mask(cls, n: int, box: int) -> Inpainting:
        """Keep every pixel of an n x n image except a centred box x box square hole."""
        if not 0 <= box < n:
            raise ValueError(f"the hole must be smaller than the image, got box={box} for n={n}")
        mask = torch.ones(n, n, dtype=torch.float64)
        start = (n - box) // 2
        mask[start:start + box, start:start + box] = 0
        return cls(mask)

    @property
    def n(self) -> int:
        """Image side."""
        return self.mask.shape[0]

    def _mask(self, like: torch.Tensor) -> torch.Tensor:
        return self.mask.to(dtype=like.dtype, device=like.device)

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """Zero the missing pixels of x, shape (..., n, n)."""
        return x * self._mask(x)

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Zero the missing pixels of y, shape (..., n, n) (A is an orthogonal projection)."""
        return y * self._mask(y)

    def norm(self) -> float:
        """||A||_2 = 1: a projection that keeps at least one pixel."""
        return 1.0

    def __repr__(self) -> str:
        return f"Inpainting(n={self.n}, kept={int(self.mask.sum())})"


class Downsample:
    """Average pooling over factor x factor blocks: (..., n, n) -> (..., n / factor, n / factor).

    A^T spreads each value, divided by factor^2, over its block, so A A^T = I / factor^2.
    """

    def __init__(self, factor: int) -> None:
        if factor < 1:
            raise ValueError(f"factor must be a positive integer, got {factor}")
        self.factor = int(factor)

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """Block means of x of shape (..., n, n), n divisible by the factor."""
        if x.shape[-1] % self.factor or x.shape[-2] % self.factor:
            raise ValueError(f"image side {tuple(x.shape[-2:])} is not divisible by {self.factor}")
        lead, z = _as_images(x)
        z = F.avg_pool2d(z, self.factor)
        return z.reshape(*lead, *z.shape[-2:])

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Each value of y (..., m, m) divided by factor^2 and copied over its block: (..., m f, m f)."""
        spread = y.repeat_interleave(self.factor, dim=-2).repeat_interleave(self.factor, dim=-1)
        return spread / self.factor**2

    def norm(self) -> float:
        """||A||_2 = 1 / factor, since A A^T = I / factor^2."""
        return 1.0 / self.factor

    def __repr__(self) -> str:
        return f"Downsample(factor={self.factor})"


class Identity:
    """A = I: the measurements are the image itself (denoising)."""

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """x itself."""
        return x

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """y itself."""
        return y

    def norm(self) -> float:
        """||I||_2 = 1."""
        return 1.0

    def __repr__(self) -> str:
        return "Identity()"
