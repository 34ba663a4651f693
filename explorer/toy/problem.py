"""The paper's 2D toy problem: a five-component Gaussian mixture prior and A = [[1, 1], [0, 0]].

Everything is closed form in float64: log p_t, the score and the Hessian of F(., t).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import torch

from explorer.core.objective import ConstantWeight, LeastSquares, SmoothedObjective
from explorer.core.sde import VESDE

MEANS = torch.tensor(
    [
        [1.0, 1.0],
        [-8.084627, 2.283144],
        [-8.853446, 1.314280],
        [0.6645787, -2.1989834],
        [8.176970, 0.6673682],
    ],
    dtype=torch.float64,
)  # mixture component means mu_k
VARIANCES = torch.tensor([0.1, 1.4231948, 0.4100684, 0.61556554, 1.9617181], dtype=torch.float64)  # s_k
X_STAR = torch.tensor([1.0, 1.0], dtype=torch.float64)  # the global minimiser of f
LOCAL_MINIMA = torch.tensor(
    [[1.0142, -1.8494], [6.6719, -0.8377], [-6.6691, 3.6986]], dtype=torch.float64
)  # approximate local minima of f (refined by `find_minima`)
T_MIN = 1e-3  # the smallest smoothing level; f = F(., T_MIN)
DATA_WEIGHT = 0.01  # factor of the data term 1/2 ||Ax - y||^2
PRIOR_WEIGHT = 0.05  # factor of -log p_t
WINDOW = (-10.0, 10.0)  # the plotted window and the authors' grid of starts


@dataclass(frozen=True)
class MatrixOperator:
    """A small dense linear operator acting on points of shape (B, d)."""

    matrix: torch.Tensor  # (m, d)

    def A(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.matrix.T

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return y @ self.matrix


@dataclass(frozen=True)
class GaussianMixturePrior:
    """Isotropic Gaussian mixture smoothed by a VE SDE: p_t = sum_k w_k N(mu_k, (s_k + v(t)) I).

    Energy is -log p_t(x) (exact, including the normalisation), computed with log-sum-exp.
    """

    means: torch.Tensor = field(default_factory=lambda: MEANS.clone())  # (K, d)
    variances: torch.Tensor = field(default_factory=lambda: VARIANCES.clone())  # (K,)
    sde: VESDE = VESDE(10.0)  # the smoothing SDE

    def _component_log_densities(self, x: torch.Tensor, t: torch.Tensor):
        # c: (B, K) variance of every component at each element's t.
        c = self.variances[None, :] + self.sde.variance(t)[:, None]
        diff = self.means[None, :, :] - x[:, None, :]  # (B, K, d)
        sq = (diff**2).sum(-1)
        d = x.shape[-1]
        logw = -math.log(self.means.shape[0])
        log_n = logw - 0.5 * sq / c - 0.5 * d * torch.log(2 * math.pi * c)
        return log_n, diff, c

    def log_density(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """log p_t(x), shape (B,)."""
        log_n, _, _ = self._component_log_densities(x, t)
        return torch.logsumexp(log_n, dim=1)

    def energy(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """-log p_t(x), shape (B,)."""
        return -self.log_density(x, t)

    def energy_and_grad(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """-log p_t(x) and its gradient -score."""
        log_n, diff, c = self._component_log_densities(x, t)
        lse = torch.logsumexp(log_n, dim=1)
        resp = torch.exp(log_n - lse[:, None])  # posterior responsibilities (B, K)
        score = ((resp / c)[:, :, None] * diff).sum(1)
        return -lse, -score

    def score(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """grad_x log p_t(x), shape (B, d)."""
        return -self.energy_and_grad(x, t)[1]

    def energy_hessian(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Hessian of -log p_t(x), shape (B, d, d), closed form."""
        log_n, diff, c = self._component_log_densities(x, t)
        resp = torch.softmax(log_n, dim=1)
        u = diff / c[:, :, None]  # grad of log N_k, (B, K, d)
        d = x.shape[-1]
        eye = torch.eye(d, dtype=x.dtype)
        # Hessian of log p = sum r_k (u_k u_k^T - I / c_k) - s s^T, with s = sum r_k u_k.
        second = torch.einsum("bk,bki,bkj->bij", resp, u, u) - (resp / c).sum(1)[:, None, None] * eye
        s = (resp[:, :, None] * u).sum(1)
        hess_log_p = second - s[:, :, None] * s[:, None, :]
        return -hess_log_p


@dataclass(frozen=True)
class ToyProblem:
    """The authors' toy: A = [[1, 1], [0, 0]], x* = (1, 1), y = A x*, F = 0.01/2 ||Ax - y||^2 - 0.05 log p_t."""

    data_weight: float = DATA_WEIGHT  # factor of the data term
    prior_weight: float = PRIOR_WEIGHT  # factor of -log p_t
    t_min: float = T_MIN  # smallest smoothing level
    sigma: float = 10.0  # VE SDE base

    @property
    def operator(self) -> MatrixOperator:
        return MatrixOperator(torch.tensor([[1.0, 1.0], [0.0, 0.0]], dtype=torch.float64))

    @property
    def y(self) -> torch.Tensor:
        return self.operator.A(X_STAR[None])

    @property
    def prior(self) -> GaussianMixturePrior:
        return GaussianMixturePrior(sde=VESDE(self.sigma))

    def objective(self) -> SmoothedObjective:
        """The smoothed objective F(x, t) of the toy."""
        return SmoothedObjective(
            data=LeastSquares(self.operator, self.y, self.data_weight),
            prior=self.prior,
            weight=ConstantWeight(self.prior_weight),
            t_min=self.t_min,
        )

    def hessian(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Hessian of F(., t) at x, shape (B, 2, 2)."""
        a = self.operator.matrix
        data = self.data_weight * (a.T @ a)
        return data[None] + self.prior_weight * self.prior.energy_hessian(x, t)

    def min_eigenvalue(self, t: float, grid: int = 101, window: tuple[float, float] = WINDOW) -> float:
        """Smallest eigenvalue of the Hessian of F(., t) over a grid x grid window: >= 0 means convex there."""
        return float(self.min_eigenvalues([t], grid, window)[0])

    def min_eigenvalues(self, ts, grid: int = 41, window: tuple[float, float] = WINDOW,
                        chunk: int = 200_000) -> torch.Tensor:
        """Smallest Hessian eigenvalue of F(., t) over a grid x grid window for each t in `ts`, shape (T,).

        The per-frame readout of the Toy page, so it must be quick for a few hundred t: the 2 x 2 Hessians of
        every (t, point) pair in closed form (the same formula as `GaussianMixturePrior.energy_hessian`, entry by
        entry) and their eigenvalues too, in chunks of `chunk` pairs so memory stays bounded.
        """
        ts = torch.as_tensor(ts, dtype=torch.float64).reshape(-1)
        xs = torch.linspace(window[0], window[1], grid, dtype=torch.float64)
        pts = torch.cartesian_prod(xs, xs)
        data = self.data_weight * (self.operator.matrix.T @ self.operator.matrix)
        per_chunk = max(1, chunk // pts.shape[0])
        out = []
        for part in ts.split(per_chunk):
            log_n, diff, c = self.prior._component_log_densities(pts.repeat(len(part), 1),
                                                                 part.repeat_interleave(pts.shape[0]))
            r = torch.softmax(log_n, dim=1)
            u0, u1 = diff[..., 0] / c, diff[..., 1] / c
            s0, s1, rc = (r * u0).sum(1), (r * u1).sum(1), (r / c).sum(1)
            # Hessian of log p = sum r_k (u_k u_k^T - I / c_k) - s s^T; F's is the data term's minus w_p times it.
            a = data[0, 0] - self.prior_weight * ((r * u0 * u0).sum(1) - rc - s0 * s0)
            b = data[0, 1] - self.prior_weight * ((r * u0 * u1).sum(1) - s0 * s1)
            d = data[1, 1] - self.prior_weight * ((r * u1 * u1).sum(1) - rc - s1 * s1)
            low = 0.5 * (a + d) - torch.sqrt((0.5 * (a - d)) ** 2 + b**2)
            out.append(low.reshape(len(part), -1).min(1).values)
        return torch.cat(out) if out else ts.new_zeros(0)

    def convexity_threshold(self, window: tuple[float, float] = WINDOW, grid: int = 101) -> float:
        """The smallest t (by bisection on [t_min, 10]) above which F(., t) is convex over the window."""
        lo, hi = self.t_min, 10.0
        if self.min_eigenvalue(hi, grid, window) < 0:
            return math.inf
        for _ in range(40):
            mid = math.sqrt(lo * hi)
            if self.min_eigenvalue(mid, grid, window) >= 0:
                hi = mid
            else:
                lo = mid
        return hi

    def landscape(self, t: float, grid: int = 121, window: tuple[float, float] = WINDOW):
        """F(., t) on a grid x grid lattice: (xs, ys, values) with values[i, j] = F((xs[j], ys[i]), t)."""
        xs = torch.linspace(window[0], window[1], grid, dtype=torch.float64)
        yy, xx = torch.meshgrid(xs, xs, indexing="ij")
        pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)
        vals = self.objective().value(pts, torch.full((pts.shape[0],), float(t), dtype=torch.float64))
        return xs, xs, vals.reshape(grid, grid)

    def find_minima(self) -> torch.Tensor:
        """The global and local minima of f, refined by Newton steps from the tabulated guesses, shape (4, 2)."""
        return _minima(self).clone()

    def _newton_minima(self) -> torch.Tensor:
        x = torch.cat([X_STAR[None], LOCAL_MINIMA])
        obj = self.objective()
        t = torch.full((x.shape[0],), self.t_min, dtype=torch.float64)
        for _ in range(50):
            _, g = obj.value_and_grad(x, t)
            h = self.hessian(x, t)
            x = x - torch.linalg.solve(h, g[..., None])[..., 0]
        return x


@functools.lru_cache(maxsize=32)
def _minima(problem: ToyProblem) -> torch.Tensor:
    # Newton refinement costs a fraction of a second; grid analyses ask for the same minima every t_max.
    return problem._newton_minima()
