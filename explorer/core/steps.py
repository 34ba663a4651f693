"""Step-size rules: fixed, Armijo backtracking, a Barzilai-Borwein guess followed by Armijo, and the plain
Barzilai-Borwein step without a search.

A rule gives every start of the batch a first trial step; rules that search then backtrack on the target
objective f until the Armijo test f(x + b d) <= f(x) + c b <grad f(x), d> holds. With memory M > 1 the test
compares against the largest f of the last M iterates instead of f(x) (the nonmonotone search of Grippo,
Lampariello and Lucidi, 1986), which accepts more first trials of an optimistic guess. The plain Barzilai-Borwein
rule takes its guess as it is: it needs neither f nor grad f, so an iteration of the GNC flow costs one
gradient of F(., t_k) and nothing else (about a third of the searching rule's cost on CT).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import torch

from explorer.core.objective import batch_dot


class StepRule(Protocol):
    """How the step size b is chosen for a direction d."""

    searches: bool  # True when b is found by backtracking on f

    def initial(self, s: torch.Tensor | None, g_diff: torch.Tensor | None, batch: int,
                device: torch.device | None = None) -> torch.Tensor:
        """First trial step for each start, shape (B,) float64 on `device`; s and g_diff are the last moves
        (or None)."""
        ...


@dataclass(frozen=True)
class Fixed:
    """A constant step b at every iteration (Algorithm 1 uses b = 1 on the toy)."""

    step: float = 1.0  # the step size b
    searches: bool = False

    def initial(self, s, g_diff, batch: int, device=None) -> torch.Tensor:
        return torch.full((batch,), self.step, dtype=torch.float64, device=device)


@dataclass(frozen=True)
class Armijo:
    """Backtracking b = b0 r^l, l = 0 .. max_tries - 1, until the Armijo test holds (the authors' toy rule)."""

    b0: float = 1.0  # first trial step
    r: float = 0.9  # shrink factor per try
    c: float = 1e-3  # sufficient-decrease constant
    max_tries: int = 10  # at most this many trials; none accepted means no step
    memory: int = 1  # Armijo test against the largest f of the last `memory` iterates (1: monotone)
    searches: bool = True

    def initial(self, s, g_diff, batch: int, device=None) -> torch.Tensor:
        return torch.full((batch,), self.b0, dtype=torch.float64, device=device)


@dataclass(frozen=True)
class BarzilaiBorwein:
    """Barzilai-Borwein guess <s, s> / <s, Δg> times `scale` (the authors' CT rule), then Armijo halving."""

    b0: float = 1.0  # first step, before there are two iterates
    scale: float = 4.0  # the BB guess is enlarged so the search starts optimistic
    r: float = 0.5  # halving
    c: float = 1e-3  # sufficient-decrease constant
    max_tries: int = 15  # at most this many trials
    b_max: float = 1e8  # cap on the guess, against a vanishing curvature estimate
    memory: int = 1  # Armijo test against the largest f of the last `memory` iterates (1: monotone, the authors')
    searches: bool = True

    def initial(self, s, g_diff, batch: int, device=None) -> torch.Tensor:
        b = torch.full((batch,), self.b0, dtype=torch.float64, device=device)
        return _bb_guess(s, g_diff, self.scale, b, 0.0, self.b_max)


def _bb_guess(s: torch.Tensor | None, g_diff: torch.Tensor | None, scale: float, fallback: torch.Tensor,
              low: float, high: float) -> torch.Tensor:
    """scale <s, s> / <s, Δg> per start, clamped to [low, high]; `fallback` where there is no curvature yet.

    Δg is the change of the direction's gradient; <s, Δg> <= 0 (no positive curvature along s) or a
    non-finite ratio keeps the fallback.
    """
    if s is None or g_diff is None:
        return fallback
    ss = batch_dot(s, s).double()
    sy = batch_dot(s, g_diff).double()
    guess = scale * ss / sy
    ok = (sy > 0) & torch.isfinite(guess) & (ss > 0)
    return torch.where(ok, guess.clamp(min=low, max=high), fallback)


@dataclass(frozen=True)
class PlainBarzilaiBorwein:
    """The Barzilai-Borwein step <s, s> / <s, Δg> taken without a line search (Barzilai and Borwein, 1988).

    s = x_k - x_{k-1} and Δg the change of the gradient the direction is made of (t grad F(., t) for the GNC
    flow), so the step adapts to the curvature along the last move as t falls: about 1 / t late in the run,
    where a fixed step would crawl. Like any unsearched step it can overshoot; the guess is clamped to
    [b_min, b_max], and iterates of images are clipped to [0, 1] by the solver. The cap matters: b t is the
    step taken along grad F, and b_max = 1000 keeps it at most 1 at the CT default t_min = 1e-3, the inverse
    Lipschitz constant of the normalised data term; uncapped, a start could end 2 dB below the others.
    Measured on CT (README, "CT at interactive speed"): a better final PSNR than Barzilai-Borwein + Armijo
    at a third of its prior evaluations.
    """

    b0: float = 1.0  # first step, before there are two iterates, and where the curvature is not positive
    scale: float = 1.0  # the guess as it is (the searching rule enlarges it 4x, then halves)
    b_min: float = 1e-3  # smallest step
    b_max: float = 1e3  # largest step (see above)
    searches: bool = False

    def initial(self, s, g_diff, batch: int, device=None) -> torch.Tensor:
        b = torch.full((batch,), self.b0, dtype=torch.float64, device=device)
        return _bb_guess(s, g_diff, self.scale, b, self.b_min, self.b_max)


def armijo_search(
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    d: torch.Tensor,
    f_x: torch.Tensor,
    slope: torch.Tensor,
    b_init: torch.Tensor,
    rule: Armijo | BarzilaiBorwein,
    active: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Batched backtracking on f; returns (b, accepted), b = 0 where no trial passed.

    Parameters
    ----------
    f : callable
        f(x_subset, index) -> values of the target objective for the selected starts.
    x, d : torch.Tensor
        Iterates and directions, shape (B, ...).
    f_x, slope : torch.Tensor
        The reference value of the test (f(x), or the largest recent f for a nonmonotone search) and
        <grad f(x), d>, shape (B,).
    b_init : torch.Tensor
        First trial step per start, shape (B,).
    active : torch.Tensor
        Boolean (B,): starts that search at all (descent directions).
    """
    b = b_init.clone()
    accepted = torch.zeros_like(active)
    pending = active.clone()
    for _ in range(rule.max_tries):
        idx = pending.nonzero().flatten()
        if idx.numel() == 0:
            break
        bi = b[idx]
        x_try = x[idx] + bi.to(x.dtype).reshape(-1, *([1] * (x.dim() - 1))) * d[idx]
        f_try = f(x_try, idx).double()
        ok = f_try <= f_x[idx].double() + rule.c * bi * slope[idx].double()
        accepted[idx[ok]] = True
        pending[idx[ok]] = False
        b[idx[~ok]] = bi[~ok] * rule.r
    return torch.where(accepted, b, torch.zeros_like(b)), accepted


STEP_RULES = {"fixed": Fixed, "armijo": Armijo, "bb": BarzilaiBorwein, "bb-plain": PlainBarzilaiBorwein}
