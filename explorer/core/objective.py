"""The smoothed objective F(x, t) = data(x) + w(t) R(x, t) and its target f = F(., t_min)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from explorer.core.interfaces import Operator, Prior


def batch_dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Inner product of each batch element: <a_i, b_i>, shape (B,)."""
    return (a * b).flatten(1).sum(1)


def batch_norm(a: torch.Tensor) -> torch.Tensor:
    """Euclidean norm of each batch element, shape (B,)."""
    return a.flatten(1).norm(dim=1)


@dataclass(frozen=True)
class LeastSquares:
    """Data fit weight/2 ||A x - y||^2 with gradient weight A^T (A x - y)."""

    operator: Operator
    y: torch.Tensor  # measurements, shape (1, ...) or (B, ...)
    weight: float = 1.0  # the factor in front of the squared residual

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        """A x - y, batched."""
        return self.operator.A(x) - self.y

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """weight/2 ||A x - y||^2, shape (B,)."""
        r = self.residual(x)
        return 0.5 * self.weight * batch_dot(r, r)

    def value_and_grad(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Data fit and its gradient weight A^T (A x - y)."""
        r = self.residual(x)
        return 0.5 * self.weight * batch_dot(r, r), self.weight * self.operator.A_adjoint(r)


def _expand(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return w.reshape(-1, *([1] * (x.dim() - 1)))


@dataclass(frozen=True)
class SmoothedObjective:
    """F(x, t) = data(x) + w(t) E(x, t): the paper's graduated family of objectives.

    ``weight`` maps t (B,) to the prior weight w(t) (B,): a constant 0.05 for the toy,
    alpha s(t) / m(t) for CT.
    """

    data: LeastSquares
    prior: Prior
    weight: Callable[[torch.Tensor], torch.Tensor]
    t_min: float

    def value(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """F(x, t), shape (B,)."""
        return self.data.value(x) + self.weight(t) * self.prior.energy(x, t)

    def value_and_grad(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """F(x, t) and grad_x F(x, t)."""
        d_val, d_grad = self.data.value_and_grad(x)
        e_val, e_grad = self.prior.energy_and_grad(x, t)
        w = self.weight(t).to(x.dtype)
        return d_val + w * e_val, d_grad + _expand(w, x) * e_grad

    def f(self, x: torch.Tensor) -> torch.Tensor:
        """Target objective f(x) = F(x, t_min)."""
        return self.value(x, self._t_min_like(x))

    def _t_min_like(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0],), self.t_min, dtype=torch.float64)


@dataclass(frozen=True)
class ConstantWeight:
    """w(t) = value for every t (the toy's prior weight 0.05)."""

    value: float

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        return torch.full_like(t, self.value, dtype=torch.float64)
