"""Smoothing schedules: decreasing sequences t_1 > ... > t_N = t_min, stored as float64 tensors.

A schedule is data. Every builder takes (t_max, t_min, n) and returns a tensor of n values that starts at
t_max and ends at t_min.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

Schedule = torch.Tensor


def _check(t_max: float, t_min: float, n: int) -> None:
    if not (math.isfinite(t_max) and math.isfinite(t_min)):
        raise ValueError("t_max and t_min must be finite numbers")
    if n < 1:
        raise ValueError(f"a schedule needs at least one step, got n = {n}")
    if t_min <= 0:
        raise ValueError(f"t_min must be positive, got {t_min}")
    if t_max < t_min:
        raise ValueError(f"t_max ({t_max}) must not be below t_min ({t_min})")


def linear(t_max: float, t_min: float, n: int) -> Schedule:
    """Evenly spaced t from t_max to t_min (the authors' toy schedule)."""
    _check(t_max, t_min, n)
    if n == 1:
        return torch.tensor([t_min], dtype=torch.float64)
    return torch.linspace(t_max, t_min, n, dtype=torch.float64)


def geometric(t_max: float, t_min: float, n: int) -> Schedule:
    """Log-spaced t from t_max to t_min (the authors' CT schedule)."""
    _check(t_max, t_min, n)
    if n == 1:
        return torch.tensor([t_min], dtype=torch.float64)
    return torch.logspace(math.log10(t_max), math.log10(t_min), n, dtype=torch.float64)


def cosine(t_max: float, t_min: float, n: int) -> Schedule:
    """Cosine ramp: slow near t_max and t_min, fast in between."""
    _check(t_max, t_min, n)
    if n == 1:
        return torch.tensor([t_min], dtype=torch.float64)
    u = torch.linspace(0.0, 1.0, n, dtype=torch.float64)
    return t_min + (t_max - t_min) * 0.5 * (1 + torch.cos(math.pi * u))


def constant(t_max: float, t_min: float, n: int) -> Schedule:
    """t = t_min at every step: no smoothing (plain descent on f)."""
    _check(t_max, t_min, n)
    return torch.full((n,), float(t_min), dtype=torch.float64)


SCHEDULES: dict[str, Callable[[float, float, int], Schedule]] = {
    "linear": linear,
    "geometric": geometric,
    "cosine": cosine,
    "constant": constant,
}


def make(name: str, t_max: float, t_min: float, n: int) -> Schedule:
    """Build the named schedule; raise ValueError naming the choices for an unknown name."""
    try:
        builder = SCHEDULES[name]
    except KeyError:
        raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}") from None
    return builder(t_max, t_min, n)
