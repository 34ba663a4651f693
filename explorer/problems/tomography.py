"""The CT forward operator: 2D parallel-beam projection as a precomputed sparse matrix.

Geometry (used everywhere in the explorer): an n x n image of unit pixels centred on the origin,
x to the right and y upwards; a projection at angle theta integrates along lines
x cos(theta) + y sin(theta) = s, for angles in [0, pi) and ``ceil(sqrt(2) n)`` detector bins of unit
width centred on s = 0. The weights are Joseph's (linear interpolation between the two pixels that a
ray crosses on each row or column of its dominant direction), so A x approximates line integrals in
pixel units: a 64 x 64 image with 30 angles gives ||A|| of about 43. This scaling is chosen once;
step sizes and prior weights elsewhere are tuned for it.

A is stored as a CSR matrix and A^T as a second CSR matrix holding exactly the same float32 values,
so <A x, y> = <x, A^T y> up to summation rounding. When the angles come in pairs theta, theta + pi/2 (every
even count of uniform angles), only the first half is stored: the rays at theta + pi/2 are those at theta
applied to the image turned by -pi/2, an exact permutation, so one pass over half the matrix with two
columns does the work of the full matrix (about twice as fast, half the memory and build time). Autograd
through ``A`` yields ``A_adjoint`` and vice versa.
"""

from __future__ import annotations

import math
import time
import warnings
from functools import lru_cache

import numpy as np
import scipy.sparse
import torch

from explorer.core.interfaces import Operator

# The builder handles this many (angle, detector, step) samples at a time: small chunks stay in
# cache and reuse freed memory, which is faster than one big pass and bounds scratch memory.
_CHUNK_SAMPLES = 1 << 19


def uniform_angles(n_angles: int) -> torch.Tensor:
    """Evenly spaced projection angles pi k / n_angles, k = 0 .. n_angles - 1, float64 radians."""
    if n_angles < 1:
        raise ValueError(f"need at least one angle, got {n_angles}")
    return torch.arange(n_angles, dtype=torch.float64) * (math.pi / n_angles)


def limited_angles(n_angles: int, theta_max: float) -> torch.Tensor:
    """Evenly spaced angles theta_max k / n_angles, k = 0 .. n_angles - 1, over [0, theta_max), float64 radians.

    With theta_max = pi this is :func:`uniform_angles`; a smaller theta_max leaves a wedge of directions
    unmeasured (limited-angle tomography).
    """
    if n_angles < 1:
        raise ValueError(f"need at least one angle, got {n_angles}")
    if not 0 < theta_max <= math.pi:
        raise ValueError(f"theta_max must lie in (0, pi], got {theta_max}")
    return torch.arange(n_angles, dtype=torch.float64) * (theta_max / n_angles)


def default_detector_count(n: int) -> int:
    """Number of unit detector bins that cover the image diagonal: ceil(sqrt(2) n)."""
    return math.ceil(math.sqrt(2.0) * n)


def _joseph_rows(n: int, angles: np.ndarray, n_detectors: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Joseph's weights for the rays of some angles: per-ray counts, pixel indices and values.

    A ray steps over the image rows when it is closer to vertical (|cos| >= |sin|) and over the
    columns otherwise; at step k it sits at fractional position p = alpha s + beta k + gamma along
    the other axis and splits the weight 1 / max(|cos|, |sin|) (its length per step) between the two
    neighbouring pixels. Pixels outside the image count as zero. Entries come out ray by ray, so the
    counts make a CSR row pointer directly.
    """
    c = (n - 1) / 2
    cos, sin = np.cos(angles), np.sin(angles)
    vertical = np.abs(cos) >= np.abs(sin)
    # Row r has y = c - r, so x = (s - y sin) / cos and the column position is x + c.
    # Column q has x = q - c, so y = (s - x cos) / sin and the row position is c - y.
    safe_cos = np.where(vertical, cos, 1.0)
    safe_sin = np.where(vertical, 1.0, sin)
    alpha = np.where(vertical, 1.0 / safe_cos, -1.0 / safe_sin)
    beta = np.where(vertical, sin / safe_cos, cos / safe_sin)
    gamma = c - c * beta
    weight = (1.0 / np.maximum(np.abs(cos), np.abs(sin))).astype(np.float32)
    stride_step = np.where(vertical, n, 1).astype(np.int32)
    stride_other = np.where(vertical, 1, n).astype(np.int32)

    # float32 scratch halves the memory traffic; the weights are stored in float32 anyway.
    s = np.arange(n_detectors, dtype=np.float64) - (n_detectors - 1) / 2
    k = np.arange(n, dtype=np.float64)
    p = ((alpha[:, None] * s + gamma[:, None]).astype(np.float32)[:, :, None]
         + (beta[:, None] * k).astype(np.float32)[:, None, :])
    lower = np.floor(p)
    p -= lower  # now the fractional part
    shape = p.shape + (2,)
    index = np.empty(shape, dtype=np.int32)
    index[..., 0] = lower
    index[..., 1] = index[..., 0] + 1
    value = np.empty(shape, dtype=np.float32)
    value[..., 0] = 1.0 - p
    value[..., 1] = p
    value *= weight[:, None, None, None]
    # One unsigned comparison tests 0 <= index < n.
    keep = (index.view(np.uint32) < n) & (value > 0)
    pixel = index * stride_other[:, None, None, None]
    pixel += (stride_step[:, None] * np.arange(n, dtype=np.int32))[:, None, :, None]
    counts = keep.reshape(len(angles) * n_detectors, -1).sum(1)
    return counts, pixel[keep], value[keep]


def _quarter_turn_pairs(angles: torch.Tensor) -> bool:
    """True when the second half of the angles is the first half plus pi/2 (any even uniform set)."""
    count = angles.numel()
    if count < 2 or count % 2:
        return False
    half = count // 2
    return bool(torch.allclose(angles[half:], angles[:half] + math.pi / 2, rtol=0, atol=1e-9))


def _to_torch_csr(matrix: scipy.sparse.csr_matrix) -> torch.Tensor:
    # int32 indices run the CPU sparse kernels about twice as fast as int64.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        warnings.filterwarnings("ignore", message="Sparse invariant checks")
        return torch.sparse_csr_tensor(
            torch.from_numpy(matrix.indptr.astype(np.int32, copy=False)),
            torch.from_numpy(matrix.indices.astype(np.int32, copy=False)),
            torch.from_numpy(matrix.data.astype(np.float32, copy=False)),
            size=matrix.shape,
        )


def joseph_matrix(n: int, angles: np.ndarray, n_detectors: int) -> scipy.sparse.csr_matrix:
    """Joseph's parallel-beam projector as a float32 CSR matrix.

    Parameters
    ----------
    n : int
        Image side in pixels.
    angles : np.ndarray, shape (n_angles,)
        Projection angles in radians.
    n_detectors : int
        Number of unit-width detector bins, centred on the rotation axis.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_angles * n_detectors, n * n)
        Row ``a * n_detectors + d`` is the ray of angle ``a`` through bin ``d``; column
        ``r * n + q`` is the pixel in row ``r`` (top to bottom) and column ``q``.
    """
    angles = np.asarray(angles, dtype=np.float64)
    per_chunk = max(1, _CHUNK_SAMPLES // (n_detectors * n))
    parts = [_joseph_rows(n, angles[start:start + per_chunk], n_detectors)
             for start in range(0, len(angles), per_chunk)]
    counts, indices, data = (np.concatenate(x) for x in zip(*parts))
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    shape = (len(angles) * n_detectors, n * n)
    matrix = scipy.sparse.csr_matrix((data, indices, indptr), shape=shape)
    # Rays stepping over columns list their pixels out of order.
    matrix.has_sorted_indices = False
    matrix.sort_indices()
    return matrix


class _SparseProduct(torch.autograd.Function):
    """M @ columns with backward M^T @ grad, so autograd through A gives exactly A^T."""

    @staticmethod
    def forward(ctx, columns: torch.Tensor, matrix: torch.Tensor, matrix_t: torch.Tensor
                ) -> torch.Tensor:
        ctx.matrices = (matrix, matrix_t)
        return torch.sparse.mm(matrix, columns)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        matrix, matrix_t = ctx.matrices
        # Calling apply (not sparse.mm) keeps the backward itself differentiable.
        return _SparseProduct.apply(grad, matrix_t, matrix), None, None


class ParallelBeam:
    """2D parallel-beam CT operator A with exact adjoint A^T (see the module docstring).

    Build it with :func:`parallel_beam` (cached, uniform angles) or :meth:`ParallelBeam.build`
    (any angle list). Images have shape (..., n, n), sinograms (..., n_angles, n_detectors);
    typically (B, 1, n, n) and (B, 1, n_angles, n_detectors).
    """

    def __init__(self, n: int, angles: torch.Tensor, n_detectors: int,
                 matrix: scipy.sparse.csr_matrix, quarter_turn: bool = False) -> None:
        self.n = n
        self.angles = angles
        self.n_detectors = n_detectors
        # With quarter_turn, `matrix` holds only the first half of the angles; the second half are the
        # same rays turned by pi/2, applied to the image turned the other way (see _quarter_turn_pairs).
        self.quarter_turn = quarter_turn
        self.nnz = int(matrix.nnz)
        self.build_seconds = 0.0  # wall time the geometry took to build, set by build()
        self._matrices = {(torch.float32, torch.device("cpu")):
                          (_to_torch_csr(matrix), _to_torch_csr(matrix.T.tocsr()))}
        self._norm: float | None = None

    @classmethod
    def build(cls, n: int, angles: torch.Tensor | np.ndarray | list[float],
              n_detectors: int | None = None) -> ParallelBeam:
        """Build the operator for an n x n image and the given angles (radians); not cached."""
        if n < 2:
            raise ValueError(f"image side must be at least 2 pixels, got {n}")
        angles = torch.as_tensor(angles, dtype=torch.float64).reshape(-1)
        if angles.numel() < 1:
            raise ValueError("need at least one angle")
        n_detectors = default_detector_count(n) if n_detectors is None else int(n_detectors)
        start = time.perf_counter()
        quarter_turn = _quarter_turn_pairs(angles)
        stored = angles[: angles.numel() // 2] if quarter_turn else angles
        matrix = joseph_matrix(n, stored.numpy(), n_detectors)
        op = cls(n, angles, n_detectors, matrix, quarter_turn)
        op.build_seconds = time.perf_counter() - start
        return op

    @property
    def n_angles(self) -> int:
        """Number of projection angles."""
        return int(self.angles.numel())

    @property
    def image_shape(self) -> tuple[int, int]:
        """Shape (n, n) of one image."""
        return (self.n, self.n)

    @property
    def sinogram_shape(self) -> tuple[int, int]:
        """Shape (n_angles, n_detectors) of one sinogram."""
        return (self.n_angles, self.n_detectors)

    def _pair(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        key = (like.dtype, like.device)
        if key not in self._matrices:
            if not like.dtype.is_floating_point:
                raise TypeError(f"CT operator needs a floating-point tensor, got {like.dtype}")
            base = self._matrices[(torch.float32, torch.device("cpu"))]
            self._matrices[key] = tuple(m.to(dtype=like.dtype, device=like.device) for m in base)
        return self._matrices[key]

    def _check(self, z: torch.Tensor, shape: tuple[int, int]) -> None:
        if tuple(z.shape[-2:]) != shape:
            raise ValueError(f"expected a tensor of shape (..., {shape[0]}, {shape[1]}), "
                             f"got {tuple(z.shape)}")

    def _product(self, rows: list[torch.Tensor], transpose: bool) -> torch.Tensor:
        """M @ [r_1 ... r_C] (or M^T @ ...) for C flat vectors: returns (rows of M, C), row-major."""
        matrix, matrix_t = self._pair(rows[0])
        if transpose:
            matrix, matrix_t = matrix_t, matrix
        # Row-major (columns, C) operands run the CPU sparse kernel faster than column-major ones, and
        # stacking builds them several times faster than a strided transpose copy does.
        columns = torch.stack(rows, dim=1)
        if not (columns.requires_grad or matrix.requires_grad):
            return torch.sparse.mm(matrix, columns)
        return _SparseProduct.apply(columns, matrix, matrix_t)

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """Project images x of shape (..., n, n) to sinograms (..., n_angles, n_detectors)."""
        self._check(x, self.image_shape)
        lead, flat = x.shape[:-2], x.reshape(-1, self.n * self.n)
        if not self.quarter_turn:
            out = self._product(list(flat.unbind(0)), False)
            return torch.stack(out.unbind(1)).reshape(*lead, *self.sinogram_shape)
        # One pass over the half matrix serves both halves of the angles: the rays at theta + pi/2
        # see the image turned by -pi/2 as the rays at theta see the image itself.
        turned = torch.rot90(x.reshape(-1, self.n, self.n), -1, (1, 2)).reshape(-1, self.n * self.n)
        out = self._product([*flat.unbind(0), *turned.unbind(0)], False)
        count = flat.shape[0]
        sinograms = torch.cat([out[:, :count].T, out[:, count:].T], dim=1)
        return sinograms.reshape(*lead, *self.sinogram_shape)

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Backproject sinograms y of shape (..., n_angles, n_detectors) to images (..., n, n)."""
        self._check(y, self.sinogram_shape)
        lead = y.shape[:-2]
        if not self.quarter_turn:
            out = self._product(list(y.reshape(-1, self.n_angles * self.n_detectors).unbind(0)), True)
            return torch.stack(out.unbind(1)).reshape(*lead, *self.image_shape)
        half = self.n_angles // 2
        y = y.reshape(-1, self.n_angles, self.n_detectors)
        count = y.shape[0]
        first = y[:, :half].reshape(count, half * self.n_detectors)
        second = y[:, half:].reshape(count, half * self.n_detectors)
        out = self._product([*first.unbind(0), *second.unbind(0)], True)
        # Column views of `out` as images, without a transposing copy.
        straight = out[:, :count].T.unflatten(1, self.image_shape)
        turned = out[:, count:].T.unflatten(1, self.image_shape)
        # The adjoint of turning by -pi/2 is turning back by +pi/2.
        return (straight + torch.rot90(turned, 1, (1, 2))).reshape(*lead, *self.image_shape)

    def norm(self) -> float:
        """Spectral norm ||A||_2 by power iteration (for default step sizes), computed once."""
        if self._norm is None:
            # A^T A has nonnegative entries, so its top eigenvector is nonnegative
            # (Perron-Frobenius): a constant image starts close to it and converges fast.
            self._norm = estimate_norm(self, torch.ones(1, 1, self.n, self.n, dtype=torch.float32))
        return self._norm

    def __repr__(self) -> str:
        return (f"ParallelBeam(n={self.n}, n_angles={self.n_angles}, "
                f"n_detectors={self.n_detectors}, nnz={self.nnz})")


@lru_cache(maxsize=4)  # 256 x 256 with 360 angles holds about 0.7 GB
def parallel_beam(n: int, n_angles: int) -> ParallelBeam:
    """The cached operator for an n x n image and n_angles evenly spaced angles over [0, pi).

    The same (n, n_angles) returns the same object, so the geometry is built once per process.
    """
    return ParallelBeam.build(n, uniform_angles(n_angles))


def estimate_norm(operator: Operator, x0: torch.Tensor, *, n_iter: int = 200, tol: float = 1e-6
                  ) -> float:
    """Spectral norm ||A||_2 of a linear operator by power iteration on A^T A.

    Parameters
    ----------
    operator : Operator
        Anything with ``A`` and ``A_adjoint``.
    x0 : torch.Tensor, shape (1, ...)
        Start vector, not orthogonal to the top right singular vector (a random draw almost surely
        is not).
    n_iter : int
        Most iterations; stops early once the estimate changes by less than ``tol`` (relative).

    Returns
    -------
    float
        The estimate of the largest singular value; it increases towards ||A||_2 from below.
    """
    v = x0 / x0.norm()
    estimate = 0.0
    with torch.no_grad():
        for _ in range(n_iter):
            w = operator.A_adjoint(operator.A(v))
            new = math.sqrt(float((v * w).sum()))  # Rayleigh quotient of A^T A at unit v
            v = w / w.norm()
            if abs(new - estimate) <= tol * new:
                return new
            estimate = new
    return estimate
