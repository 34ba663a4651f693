"""The learned CT prior: an energy-parametrised U-Net E(x, t) = ||U(x, t)||^2 / (2 s(t)).

The score is -grad_x E, taken by autograd, so the prior gives both an energy (for line searches) and
a score (for the GNC direction), as the paper's energy parametrisation requires.

U carries an explicit skip connection so that the untrained network already behaves sensibly and
training is well conditioned (the preconditioning of Karras et al., "EDM", moved to the VP SDE):
with sigma = s / m the equivalent variance-exploding noise level and x~ = x / m,

    D(x, t) = c_skip x~ + c_out F(c_in x~, log sigma)          (a denoiser: an estimate of x_0)
    U(x, t) = m (x~ - D(x, t)) / sqrt(s)

so that E(x, t) = ||x~ - D||^2 / (2 sigma^2), and when the Jacobian of D is ignored -grad_x E is
Tweedie's score -(x - m D) / s^2. F is the small U-Net below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as nnf

from explorer.core.sde import VPSDE

# Channels per level of the shipped prior: small enough that one energy gradient at 64 x 64 stays interactive
# on a 2-core CPU (timings: README, "The CT prior").
DEFAULT_CHANNELS = (24, 48, 96)


def sinusoidal_embedding(c: torch.Tensor, dim: int, f_min: float = 0.05, f_max: float = 30.0) -> torch.Tensor:
    """Sinusoidal embedding of scalar conditioning values, shape (B,) -> (B, dim).

    Angular frequencies are log-spaced between f_min and f_max, as in the Transformer's position
    encoding. c is the log noise level, within about [-7, 6], so these frequencies resolve it from
    the whole range down to a few hundredths.
    """
    half = dim // 2
    freqs = torch.exp(torch.linspace(math.log(f_min), math.log(f_max), half, device=c.device))
    angles = c.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)


def _groups(channels: int) -> int:
    """Number of GroupNorm groups: 8 when it divides the channels, else fewer."""
    for g in (8, 4, 2, 1):
        if channels % g == 0:
            return g
    return 1


class ResBlock(nn.Module):
    """Residual block: GroupNorm, SiLU, 3x3 conv, plus a per-channel shift from the time embedding."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2 = nn.GroupNorm(_groups(c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        # Start as the identity map so that deep stacks train from the first step.
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        """h: (B, c_in, H, W), emb: (B, emb_dim) -> (B, c_out, H, W)."""
        out = self.conv1(nnf.silu(self.norm1(h)))
        out = out + self.emb(emb)[:, :, None, None]
        out = self.conv2(nnf.silu(self.norm2(out)))
        return self.skip(h) + out


class UNet(nn.Module):
    """A small U-Net F(x, c): one residual block per level, average-pool down, nearest up.

    Parameters
    ----------
    channels : tuple of int
        Feature channels per level, e.g. (24, 48, 96); odd sizes are handled by interpolation,
        but sides divisible by 2 ** (len(channels) - 1) avoid it.
    emb_dim : int
        Width of the time embedding.
    """

    def __init__(self, channels: tuple[int, ...] = DEFAULT_CHANNELS, emb_dim: int = 128):
        super().__init__()
        self.channels = tuple(channels)
        self.emb_dim = emb_dim
        self.emb_mlp = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.stem = nn.Conv2d(1, channels[0], 3, padding=1)
        self.down = nn.ModuleList()
        c_prev = channels[0]
        for c in channels:
            self.down.append(ResBlock(c_prev, c, emb_dim))
            c_prev = c
        self.mid = ResBlock(c_prev, c_prev, emb_dim)
        self.up = nn.ModuleList()
        for c in reversed(channels):
            self.up.append(ResBlock(c_prev + c, c, emb_dim))
            c_prev = c
        self.head_norm = nn.GroupNorm(_groups(c_prev), c_prev)
        self.head = nn.Conv2d(c_prev, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, H, W), c_noise: (B,) -> (B, 1, H, W)."""
        emb = self.emb_mlp(sinusoidal_embedding(c_noise, self.emb_dim))
        h = self.stem(x)
        skips = []
        for level, block in enumerate(self.down):
            if level > 0:
                h = nnf.avg_pool2d(h, 2)
            h = block(h, emb)
            skips.append(h)
        h = self.mid(h, emb)
        for level, block in enumerate(self.up):
            skip = skips.pop()
            if h.shape[-1] != skip.shape[-1]:
                h = nnf.interpolate(h, size=skip.shape[-2:], mode="nearest")
            h = block(torch.cat([h, skip], dim=1), emb)
        return self.head(nnf.silu(self.head_norm(h)))


class EnergyUNet(nn.Module):
    """Energy network E(x, t) = ||U(x, t)||^2 / (2 s(t)) on the VP SDE (b0 = 0.1, b1 = 20).

    Parameters
    ----------
    channels : tuple of int
        U-Net channels per level.
    sde : VPSDE
        Forward SDE giving m(t) and s(t).
    sigma_data : float
        Typical standard deviation of a pixel of the data, used by the preconditioning.
    """

    def __init__(self, channels: tuple[int, ...] = DEFAULT_CHANNELS, sde: VPSDE = VPSDE(),
                 sigma_data: float = 0.5):
        super().__init__()
        self.sde = sde
        self.sigma_data = sigma_data
        self.net = UNet(channels)

    @property
    def channels(self) -> tuple[int, ...]:
        """U-Net channels per level."""
        return self.net.channels

    def residual(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The scaled residual r = x~ - D(x, t) and sigma(t), so that E = ||r||^2 / (2 sigma^2).

        Parameters
        ----------
        x : torch.Tensor
            Images, shape (B, 1, H, W), float32.
        t : torch.Tensor
            Smoothing levels, shape (B,), any float dtype.

        Returns
        -------
        r : torch.Tensor
            Shape (B, 1, H, W), float32.
        sigma : torch.Tensor
            Shape (B,), float32.
        """
        t64 = t.to(torch.float64)
        m64, s64 = self.sde.m(t64), self.sde.s(t64)
        sigma64 = s64 / m64
        sd2 = self.sigma_data**2
        # Coefficients in float64 then cast: at t = 1e-5, 1 - c_skip ~ 1e-6 must not round to 0.
        one_minus_skip = (sigma64**2 / (sigma64**2 + sd2)).float()
        c_out = (sigma64 * self.sigma_data / torch.sqrt(sigma64**2 + sd2)).float()
        c_in = (1.0 / torch.sqrt(sigma64**2 + sd2)).float()
        c_noise = torch.log(sigma64).float()
        m = m64.float().to(x.device)
        view = (-1,) + (1,) * (x.ndim - 1)
        xt = x / m.view(view)
        f = self.net((c_in.to(x.device).view(view) * xt), c_noise.to(x.device)).float()
        # x~ - (c_skip x~ + c_out F) written so that no two large numbers are subtracted.
        r = one_minus_skip.to(x.device).view(view) * xt - c_out.to(x.device).view(view) * f
        return r, sigma64.float().to(x.device)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Energy E(x, t), shape (B,), for x of shape (B, 1, H, W) and t of shape (B,)."""
        r, sigma = self.residual(x, t)
        return r.flatten(1).pow(2).sum(1) / (2 * sigma**2)

    def denoise(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The network's own estimate D(x, t) of x_0, shape of x (no autograd needed)."""
        r, _ = self.residual(x, t)
        m = self.sde.m(t.to(torch.float64)).float().to(x.device).view((-1,) + (1,) * (x.ndim - 1))
        return x / m - r


def energy_and_score(model: EnergyUNet, x: torch.Tensor, t: torch.Tensor,
                     create_graph: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Energy (B,) and score -grad_x E (shape of x) of an energy network, by autograd.

    Parameters
    ----------
    model : EnergyUNet
        The energy network.
    x : torch.Tensor
        Shape (B, 1, H, W).
    t : torch.Tensor
        Shape (B,).
    create_graph : bool
        Keep the graph of the gradient, as training by score matching needs.
    """
    with torch.enable_grad():
        x = x.detach().float().requires_grad_(True)
        energy = model(x, t)
        (grad,) = torch.autograd.grad(energy.sum(), x, create_graph=create_graph)
    return energy, -grad


@dataclass(frozen=True, eq=False)
class NetworkPrior:
    """The Prior protocol over an energy network: energy, its gradient and the score, batched.

    Inputs may be float64 (the solver's bookkeeping); the network runs in float32 and results are
    returned in the dtype of x, detached.

    Parameters
    ----------
    model : EnergyUNet
        Energy network, usually in eval mode with frozen parameters.
    """

    model: EnergyUNet

    def _prepare(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        device = next(self.model.parameters()).device
        t = torch.as_tensor(t, dtype=torch.float64).to(device)
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        # The layout of the weights (channels-last when loaded by explorer.priors.weights) keeps every conv
        # reorder-free.
        return x.to(device=device, dtype=torch.float32).contiguous(memory_format=torch.channels_last), t

    def energy(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Energy E(x, t), shape (B,), for x (B, 1, n, n) and t (B,)."""
        xf, tf = self._prepare(x, t)
        with torch.no_grad():
            energy = self.model(xf, tf)
        return energy.to(device=x.device, dtype=x.dtype)

    def energy_and_grad(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energy (B,) and grad_x E (shape of x); works under torch.no_grad()."""
        xf, tf = self._prepare(x, t)
        energy, score = energy_and_score(self.model, xf, tf)
        return (energy.detach().to(device=x.device, dtype=x.dtype),
                (-score).detach().to(device=x.device, dtype=x.dtype).contiguous())

    def score(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Score grad_x log p_t(x) = -grad_x E(x, t), shape of x."""
        return -self.energy_and_grad(x, t)[1]
