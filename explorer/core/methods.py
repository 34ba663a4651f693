"""The methods of the paper: how each picks the smoothing level t_k and the direction d_k.

- GNC flow (Algorithm 1): t_k from a fixed schedule, d_k = -t_k grad_x F(x_k, t_k).
- Gradient-like (Algorithm 2, the authors' variant): the same direction, skipped when it does not descend f.
- Adaptive smoothing (Algorithm 2, the largest t giving a descent direction).
- Gradient descent on f: t = t_min throughout, d_k = -grad f(x_k) (the baseline).

A method only proposes (t_k, d_k); `explorer.core.solvers` takes the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from explorer.core.interfaces import Objective
from explorer.core.objective import batch_dot, batch_norm


def expand(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A per-start value (B,) shaped to broadcast against x (B, ...)."""
    return v.to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


def cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """cos angle(a_i, b_i) per start, float64 (B,); 0 where either is zero."""
    denom = batch_norm(a) * batch_norm(b)
    return torch.where(denom > 0, batch_dot(a, b) / denom.clamp_min(1e-300), torch.zeros_like(denom)).double()


class Method(Protocol):
    """How a method picks the smoothing level t_k and the direction d_k for every start."""

    needs_descent: bool  # True: a direction that is not a descent direction of f takes no step
    needs_grad_f: bool  # True: the direction needs grad f(x_k) at every iteration

    def direction(
        self, objective: Objective, x: torch.Tensor, k: int, schedule: torch.Tensor,
        level: torch.Tensor, grad_f: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return (t_k (B,), d_k like x, new schedule position per start (B,) long)."""
        ...


@dataclass(frozen=True)
class GNCFlow:
    """Algorithm 1: t_k from the fixed schedule, d_k = -t_k grad_x F(x_k, t_k), every step taken."""

    needs_descent: bool = False
    needs_grad_f: bool = False

    def direction(self, objective, x, k, schedule, level, grad_f):
        position = torch.full_like(level, min(k, len(schedule) - 1))
        t = schedule[position]
        _, g = objective.value_and_grad(x, t)
        return t, -expand(t, x) * g, position


@dataclass(frozen=True)
class GradientLike:
    """Algorithm 2 as in the authors' code: walk the schedule; skip (no step) when d_k is not descent for f."""

    needs_descent: bool = True
    needs_grad_f: bool = True

    def direction(self, objective, x, k, schedule, level, grad_f):
        return GNCFlow.direction(self, objective, x, k, schedule, level, grad_f)


@dataclass(frozen=True)
class AdaptiveSmoothing:
    """Algorithm 2 with the seed's rule: the largest schedule t <= the previous t giving a descent direction.

    A direction passes when cos angle(d, grad f) <= -c_angle; at t_min the direction is -t_min grad f,
    which always passes unless grad f = 0.
    """

    c_angle: float = 0.0  # required |cos| of the angle between d and -grad f
    needs_descent: bool = True
    needs_grad_f: bool = True

    def direction(self, objective, x, k, schedule, level, grad_f):
        last = len(schedule) - 1
        position = level.clone()
        t = schedule[position]
        _, g = objective.value_and_grad(x, t)
        d = -expand(t, x) * g
        pending = (cosine(d, grad_f) > -self.c_angle) & (position < last)
        while bool(pending.any()):
            idx = pending.nonzero().flatten()
            position[idx] += 1
            ti = schedule[position[idx]]
            _, gi = objective.value_and_grad(x[idx], ti)
            d[idx] = -expand(ti, gi) * gi
            t = schedule[position]
            pending[idx] = (cosine(d[idx], grad_f[idx]) > -self.c_angle) & (position[idx] < last)
        return t, d, position


@dataclass(frozen=True)
class GradientDescent:
    """Plain gradient descent on f: t = t_min throughout and d = -grad f (the baseline)."""

    needs_descent: bool = False
    needs_grad_f: bool = True

    def direction(self, objective, x, k, schedule, level, grad_f):
        t = torch.full((x.shape[0],), objective.t_min, dtype=torch.float64, device=x.device)
        return t, -grad_f, level
