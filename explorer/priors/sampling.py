"""Looking inside a prior: samples from the reverse SDE or probability-flow ODE, Tweedie denoising,
and the energy of a phantom as noise grows.

Every function takes any object with the Prior protocol and an SDE with m(t) and s(t). For
x_t = m(t) x_0 + s(t) z the forward SDE is dx = f(t) x dt + g(t) dw with f = m'/m and
g^2 = (s^2)' - 2 f s^2 (for the VP SDE f = -beta/2, g^2 = beta); the reverse-time SDE is
dx = [f x - g^2 score] dt + g dw-bar and the probability-flow ODE dx = [f x - g^2 score / 2] dt
(Song et al., "Score-based generative modeling through SDEs", eqs. 6 and 13).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from explorer.core.interfaces import Prior
from explorer.core.sde import VPSDE

Callback = Callable[[int, int, torch.Tensor], None]


def drift_and_diffusion(sde, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Drift coefficient f(t) = m'/m and squared diffusion g(t)^2 = (s^2)' - 2 f s^2, float64.

    Derivatives come from autograd of the SDE's own m(t) and s(t), so any SDE exposing those works.

    Parameters
    ----------
    sde : object with m(t) and s(t)
        Forward SDE.
    t : torch.Tensor
        Times, any shape.
    """
    with torch.enable_grad():
        tt = t.detach().to(torch.float64).requires_grad_(True)
        log_m = torch.log(sde.m(tt))
        var = sde.s(tt) ** 2
        (f,) = torch.autograd.grad(log_m.sum(), tt)
        (dvar,) = torch.autograd.grad(var.sum(), tt)
    return f, dvar - 2 * f * var.detach()


def sample(prior: Prior, shape: tuple[int, ...], steps: int, generator: torch.Generator,
           sde=VPSDE(), t_max: float = 1.0, t_min: float = 1e-3, probability_flow: bool = False,
           denoise_last: bool = True, callback: Callback | None = None) -> torch.Tensor:
    """Samples of the prior by Euler-Maruyama on the reverse SDE, or Euler on the probability-flow ODE.

    Starts from x ~ N(0, s(t_max)^2 I) (for the VP SDE at t = 1 the data part m(1) x_0 is below 1 %),
    walks a uniform grid from t_max to t_min, and ends with a Tweedie step to t = 0.

    Parameters
    ----------
    prior : Prior
        Gives score(x, t) for x of `shape` and t of shape (B,).
    shape : tuple of int
        Shape of the batch, e.g. (B, 1, n, n).
    steps : int
        Number of Euler(-Maruyama) steps.
    generator : torch.Generator
        Source of the initial and the injected noise.
    sde : object with m(t) and s(t)
        The forward SDE the prior was trained with.
    t_max, t_min : float
        Start and end of the reverse-time integration.
    probability_flow : bool
        Integrate the deterministic probability-flow ODE instead of the reverse SDE.
    denoise_last : bool
        Return Tweedie's estimate E[x_0 | x_t_min] rather than x_t_min.
    callback : callable, optional
        Called as callback(k, steps, x) after step k (1-based), x of `shape`.

    Returns
    -------
    torch.Tensor
        Samples of `shape`, float32.
    """
    batch = shape[0]
    grid = torch.linspace(t_max, t_min, steps + 1, dtype=torch.float64)
    f_grid, g2_grid = drift_and_diffusion(sde, grid)
    x = float(sde.s(torch.tensor(t_max, dtype=torch.float64))) * torch.randn(shape, generator=generator)
    for k in range(steps):
        t, dt = grid[k], float(grid[k] - grid[k + 1])
        f, g2 = float(f_grid[k]), float(g2_grid[k])
        score = prior.score(x, t.expand(batch)).to(x.dtype)
        if probability_flow:
            # Euler step of the probability-flow ODE, backwards in time.
            x = x - (f * x - 0.5 * g2 * score) * dt
        else:
            # Euler-Maruyama step of the reverse-time SDE.
            noise = torch.randn(shape, generator=generator)
            x = x - (f * x - g2 * score) * dt + (g2 * dt) ** 0.5 * noise
        if callback is not None:
            callback(k + 1, steps, x)
    if denoise_last:
        x = tweedie_denoise(prior, x, grid[-1].expand(batch), sde)
    return x


def tweedie_denoise(prior: Prior, x_t: torch.Tensor, t: torch.Tensor, sde=VPSDE()) -> torch.Tensor:
    """Tweedie's estimate x0_hat = (x_t + s(t)^2 score(x_t, t)) / m(t), shape of x_t.

    Parameters
    ----------
    prior : Prior
        Gives the score.
    x_t : torch.Tensor
        Noisy images, shape (B, ...).
    t : torch.Tensor
        Times, shape (B,).
    """
    t = torch.as_tensor(t, dtype=torch.float64)
    if t.ndim == 0:
        t = t.expand(x_t.shape[0])
    view = (-1,) + (1,) * (x_t.ndim - 1)
    m = sde.m(t).to(x_t.dtype).view(view)
    s2 = (sde.s(t) ** 2).to(x_t.dtype).view(view)
    return (x_t + s2 * prior.score(x_t, t).to(x_t.dtype)) / m


def noise_and_denoise(prior: Prior, x0: torch.Tensor, t: float, generator: torch.Generator,
                      sde=VPSDE()) -> tuple[torch.Tensor, torch.Tensor]:
    """Noise clean images to level t and denoise them again with Tweedie's formula.

    Parameters
    ----------
    x0 : torch.Tensor
        Clean images, shape (B, 1, n, n).
    t : float
        Noise level.

    Returns
    -------
    x_t : torch.Tensor
        m(t) x0 + s(t) z, shape of x0.
    x0_hat : torch.Tensor
        Tweedie's estimate of x0 from x_t, shape of x0.
    """
    tt = torch.full((x0.shape[0],), float(t), dtype=torch.float64)
    z = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    x_t = float(sde.m(tt[0])) * x0 + float(sde.s(tt[0])) * z
    return x_t, tweedie_denoise(prior, x_t, tt, sde)


def energy_curve(prior: Prior, x0: torch.Tensor, ts: torch.Tensor, generator: torch.Generator,
                 sde=VPSDE()) -> tuple[torch.Tensor, torch.Tensor]:
    """Energy of one phantom across noise levels: of x0 itself and of its noised version x_t.

    One noise draw z is shared by all levels, so the curve shows the effect of t alone.

    Parameters
    ----------
    x0 : torch.Tensor
        One clean image, shape (1, 1, n, n).
    ts : torch.Tensor
        Noise levels, shape (T,).

    Returns
    -------
    clean : torch.Tensor
        E(x0, t) for each t, shape (T,).
    noisy : torch.Tensor
        E(m(t) x0 + s(t) z, t) for each t, shape (T,).
    """
    ts = ts.to(torch.float64)
    count = ts.shape[0]
    view = (-1, 1, 1, 1)
    z = torch.randn(x0.shape[1:], generator=generator, dtype=x0.dtype)
    clean = x0.expand(count, *x0.shape[1:])
    noisy = sde.m(ts).to(x0.dtype).view(view) * clean + sde.s(ts).to(x0.dtype).view(view) * z
    return prior.energy(clean, ts), prior.energy(noisy, ts)
