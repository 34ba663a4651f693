"""The classical baseline: isotropic total variation, solved by Chambolle-Pock on the normalised problem.

Nothing here depends on the operator beyond A~, its adjoint and ||A~|| = 1, so the same solver serves CT and
every other problem of the catalogue (deblurring, inpainting, ...)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch

from explorer.ct.problem import CTProblem

TV_TOL = 1e-6  # stop when ||x_k - x_{k-1}|| / ||x_k|| falls below this
# Primal / dual step ratio sqrt(tau / sigma): the image lives in [0, 1] and the dual of the data term in
# normalised CT sinogram units of about 1e-2, so a larger primal step balances them (about 10x fewer
# iterations for CT; the ratio only changes the speed, never the minimiser).
TV_BALANCE = 10.0


def _gradient(x: torch.Tensor) -> torch.Tensor:
    """Forward differences with Neumann boundary: (B, 1, n, n) -> (B, 2, n, n)."""
    gx = torch.zeros_like(x)
    gy = torch.zeros_like(x)
    gx[..., :, :-1] = x[..., :, 1:] - x[..., :, :-1]
    gy[..., :-1, :] = x[..., 1:, :] - x[..., :-1, :]
    return torch.cat([gx, gy], dim=1)


def _divergence(p: torch.Tensor) -> torch.Tensor:
    """-(adjoint of _gradient): (B, 2, n, n) -> (B, 1, n, n)."""
    px, py = p[:, :1], p[:, 1:]
    dx = torch.zeros_like(px)
    dy = torch.zeros_like(py)
    dx[..., :, 0] = px[..., :, 0]
    dx[..., :, 1:-1] = px[..., :, 1:-1] - px[..., :, :-2]
    dx[..., :, -1] = -px[..., :, -2]
    dy[..., 0, :] = py[..., 0, :]
    dy[..., 1:-1, :] = py[..., 1:-1, :] - py[..., :-2, :]
    dy[..., -1, :] = -py[..., -2, :]
    return dx + dy


@dataclass
class TVResult:
    """A TV reconstruction (1, 1, n, n) float32 with how its Chambolle-Pock run ended."""

    image: torch.Tensor  # the reconstruction, (1, 1, n, n) float32 in [0, 1] when boxed
    n_iter: int  # iterations run
    rel_change: float  # ||x_k - x_{k-1}|| / ||x_k|| at the end
    objective: float  # 1/2 ||A~ x - y~||^2 + lam TV(x) at the end
    seconds: float  # wall time of the run
    history: list[float] = field(default_factory=list)  # objective every 50 iterations


def tv_reconstruction(problem: CTProblem, lam: float | None = None, n_iter: int | None = None, *,
                      tol: float = TV_TOL, box: bool = True) -> TVResult:
    """The TV baseline: argmin_x 1/2 ||A~ x - y~||^2 + lam TV(x) over x in [0, 1]^(n x n).

    Isotropic TV with forward differences, solved by Chambolle-Pock (PDHG) in float64 on the
    normalised operator, with tau sigma ||K||^2 < 1, ||K||^2 <= ||A~||^2 + ||grad||^2 <= 1 + 8, and
    tau / sigma = TV_BALANCE^2. Stops after `n_iter` iterations or when the relative change of x falls
    below `tol`.

    Parameters
    ----------
    problem : CTProblem
        The problem (its normalised operator and data, and its reference image as the start).
    lam : float, optional
        TV weight (default: the settings', i.e. TV_LAMBDA * n / 64).
    n_iter : int, optional
        Most iterations (default: the settings' tv_iters).
    box : bool
        Constrain x to [0, 1].
    """
    lam = problem.settings.tv_weight if lam is None else float(lam)
    n_iter = problem.settings.tv_iters if n_iter is None else int(n_iter)
    op = problem.operator
    y = problem.y.to(torch.float64)
    tau, sigma = 0.99 * TV_BALANCE / 3.0, 0.99 / (3.0 * TV_BALANCE)
    start = time.perf_counter()
    start_image = problem.reference.to(torch.float64)  # the reference image (CT: the FBP) is a good start
    x = start_image.clamp(0, 1) if box else start_image
    x_bar = x.clone()
    p = torch.zeros_like(y)  # dual of the data term
    q = torch.zeros(1, 2, problem.n, problem.n, dtype=torch.float64, device=y.device)  # dual of TV
    rel = math.inf
    history = []
    k = 0

    def energy(z: torch.Tensor) -> float:
        r = op.A(z) - y
        g = _gradient(z)
        return float(0.5 * (r * r).sum() + lam * g.pow(2).sum(1).sqrt().sum())

    with torch.no_grad():
        for k in range(1, n_iter + 1):
            # Dual ascent: prox of (1/2||. - y||^2)^* and projection onto the lam-ball of each pixel's gradient.
            p = (p + sigma * (op.A(x_bar) - y)) / (1 + sigma)
            q = q + sigma * _gradient(x_bar)
            q = q / (q.pow(2).sum(1, keepdim=True).sqrt() / max(lam, 1e-300)).clamp_min(1.0)
            # Primal descent on x, then the box.
            x_new = x - tau * (op.A_adjoint(p) - _divergence(q))
            if box:
                x_new = x_new.clamp(0, 1)
            x_bar = 2 * x_new - x
            rel = float((x_new - x).norm() / x_new.norm().clamp_min(1e-300))
            x = x_new
            if k % 50 == 0:
                history.append(energy(x))
            if rel < tol:
                break
    return TVResult(x.to(torch.float32), k, rel, energy(x), time.perf_counter() - start, history)
