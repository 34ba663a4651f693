"""The three small interfaces the explorer is built from: operator, prior, objective.

Shapes: a batch of B images or points x has shape (B, ...); smoothing levels t have shape (B,).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class Operator(Protocol):
    """A linear forward operator A with its exact adjoint A^T, batched over the first axis."""

    def A(self, x: torch.Tensor) -> torch.Tensor:
        """Apply A to x of shape (B, ...)."""
        ...

    def A_adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Apply A^T to measurements y of shape (B, ...)."""
        ...


@runtime_checkable
class Prior(Protocol):
    """A time-dependent prior: energy E(x, t) ~ -log p_t(x) + const and its score -grad_x E."""

    def energy(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Energy of each element of the batch, shape (B,)."""
        ...

    def energy_and_grad(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Energy (B,) and its gradient grad_x E (same shape as x)."""
        ...

    def score(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Score grad_x log p_t(x) = -grad_x E(x, t)."""
        ...


@runtime_checkable
class Objective(Protocol):
    """A smoothed objective F(x, t) with target f = F(., t_min)."""

    t_min: float

    def value(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """F(x, t) for each element of the batch, shape (B,)."""
        ...

    def value_and_grad(self, x: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """F(x, t), shape (B,), and grad_x F(x, t), shape of x."""
        ...
