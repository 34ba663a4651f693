"""Step-size rules: fixed, Armijo backtracking, and a Barzilai-Borwein guess followed by Armijo.

A rule gives every start of the batch a first trial step; rules that search then backtrack on the target
objective f until the Armijo test f(x + b d) <= f(x) + c b <grad f(x), d> holds.
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
    searches: bool = True

    def initial(self, s, g_diff, batch: int, device=None) -> torch.Tensor:
        b = torch.full((batch,), self.b0, dtype=torch.float64, device=device)
        if s is None or g_diff is None:
            return b
        ss = batch_dot(s, s).double()
        sy = batch_dot(s, g_diff).double()
        guess = self.scale * ss / sy
        ok = (sy > 0) & torch.isfinite(guess) & (ss > 0)
        return torch.where(ok, guess.clamp(max=self.b_max), b)


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
        f(x) and <grad f(x), d>, shape (B,).
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


STEP_RULES = {"fixed": Fixed, "armijo": Armijo, "bb": BarzilaiBorwein}
