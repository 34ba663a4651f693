"""One solver core for every method: GNC flow, gradient-like with adaptive smoothing, plain gradient descent.

Works on batches of starts of any shape (B, ...): points (B, 2) for the toy, images (B, 1, H, W) for CT.
`iterate` yields one `Step` per iteration (for live views); `solve` runs it to the end and returns a
`Trajectory`. Progress can also go out through a callback.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol

import torch

from explorer.core.interfaces import Objective
from explorer.core.objective import batch_dot, batch_norm
from explorer.core.steps import Fixed, StepRule, armijo_search


def _expand(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


def _cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
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
        return t, -_expand(t, x) * g, position


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
        d = -_expand(t, x) * g
        pending = (_cosine(d, grad_f) > -self.c_angle) & (position < last)
        while bool(pending.any()):
            idx = pending.nonzero().flatten()
            position[idx] += 1
            ti = schedule[position[idx]]
            _, gi = objective.value_and_grad(x[idx], ti)
            d[idx] = -_expand(ti, gi) * gi
            t = schedule[position]
            pending[idx] = (_cosine(d[idx], grad_f[idx]) > -self.c_angle) & (position[idx] < last)
        return t, d, position


@dataclass(frozen=True)
class GradientDescent:
    """Plain gradient descent on f: t = t_min throughout and d = -grad f (the baseline)."""

    needs_descent: bool = False
    needs_grad_f: bool = True

    def direction(self, objective, x, k, schedule, level, grad_f):
        t = torch.full((x.shape[0],), objective.t_min, dtype=torch.float64)
        return t, -grad_f, level


METHODS: dict[str, Callable[[], Method]] = {
    "gnc": GNCFlow,
    "gradient-like": GradientLike,
    "adaptive": AdaptiveSmoothing,
    "gd": GradientDescent,
}


@dataclass
class Step:
    """What happened at iteration k for every start of the batch."""

    k: int  # iteration index
    n_iter: int  # total number of iterations planned
    x: torch.Tensor  # x_k, the iterate the direction was computed at
    x_next: torch.Tensor  # x_{k+1}
    t: torch.Tensor  # t_k (B,)
    step: torch.Tensor  # step size b_k taken (B,), 0 when skipped
    f: torch.Tensor  # f(x_k) (B,), NaN where not computed
    grad_norm: torch.Tensor  # |grad f(x_k)| (B,), NaN where not computed
    cos: torch.Tensor  # cos angle(d_k, grad f(x_k)) (B,), NaN where not computed; < 0 means descent
    taken: torch.Tensor  # bool (B,): a step was taken
    seconds: float  # wall time since the start of the run
    diverged: bool = False  # a NaN or Inf appeared; x_next is then x_k
    message: str = ""


@dataclass
class Trajectory:
    """The record of a run: iterates at a stride, and per-iteration diagnostics for every start."""

    x: torch.Tensor  # (R, B, ...) recorded iterates, x_0 first and the last iterate last
    iters: torch.Tensor  # (R,) iteration index of each recorded iterate
    t: torch.Tensor  # (N, B)
    step: torch.Tensor  # (N, B)
    f: torch.Tensor  # (N, B)
    grad_norm: torch.Tensor  # (N, B)
    cos: torch.Tensor  # (N, B)
    taken: torch.Tensor  # (N, B) bool
    seconds: torch.Tensor  # (N,) wall time after each iteration
    status: str = "finished"  # "finished", "diverged" or "stopped"
    message: str = ""
    extras: dict = field(default_factory=dict)

    @property
    def final(self) -> torch.Tensor:
        """The last iterate of every start, shape (B, ...)."""
        return self.x[-1]

    @property
    def n_iter(self) -> int:
        return int(self.t.shape[0])


def iterate(
    objective: Objective,
    x0: torch.Tensor,
    schedule: torch.Tensor,
    *,
    method: Method | None = None,
    step_rule: StepRule | None = None,
    n_iter: int | None = None,
    diagnostics_every: int = 1,
    clip: tuple[float, float] | None = None,
) -> Iterator[Step]:
    """Run a method from the starts x0 (B, ...) and yield a `Step` after every iteration.

    Parameters
    ----------
    objective : Objective
        F(x, t) with f = F(., t_min).
    x0 : torch.Tensor
        Starts, shape (B, ...); every start runs independently.
    schedule : torch.Tensor
        Smoothing levels t_1 > ... > t_N (float64).
    method, step_rule :
        Defaults: GNC flow with a fixed step 1.
    n_iter : int, optional
        Number of iterations (default: the schedule length).
    diagnostics_every : int
        f, |grad f| and the descent cosine are computed every this many iterations (and always when the
        method or step rule needs them); 1 records every iteration.
    clip : (lo, hi), optional
        Project every iterate onto [lo, hi] (used for images).
    """
    method = method or GNCFlow()
    step_rule = step_rule or Fixed(1.0)
    n_iter = len(schedule) if n_iter is None else int(n_iter)
    x = x0.clone()
    batch = x.shape[0]
    level = torch.zeros(batch, dtype=torch.long)
    prev_x = prev_g = None
    t_min_b = torch.full((batch,), objective.t_min, dtype=torch.float64)
    nan = torch.full((batch,), math.nan, dtype=torch.float64)
    start = time.perf_counter()
    needs_f = method.needs_grad_f or step_rule.searches
    for k in range(n_iter):
        with torch.no_grad():
            want_diag = needs_f or (diagnostics_every > 0 and k % diagnostics_every == 0) or k == n_iter - 1
            f_x = grad_f = None
            if want_diag:
                f_x, grad_f = objective.value_and_grad(x, t_min_b)
            t, d, level = method.direction(objective, x, k, schedule, level, grad_f)
            b = step_rule.initial(
                None if prev_x is None else x - prev_x, None if prev_g is None else -d - prev_g, batch
            )
            if grad_f is not None:
                slope = batch_dot(grad_f, d).double()
                descent = slope < 0
                cos = _cosine(d, grad_f)
                gnorm = batch_norm(grad_f).double()
                fval = f_x.double()
            else:
                slope, descent, cos, gnorm, fval = nan, torch.ones(batch, dtype=torch.bool), nan, nan, nan
            active = descent if (method.needs_descent or step_rule.searches) else torch.ones_like(descent)
            if step_rule.searches:
                b, taken = armijo_search(
                    lambda xs, idx: objective.value(xs, t_min_b[idx]), x, d, f_x, slope, b, step_rule, active
                )
            else:
                taken = active
                b = torch.where(taken, b, torch.zeros_like(b))
            x_next = x + _expand(b, x) * d
            if clip is not None:
                x_next = x_next.clamp(*clip)
            finite = torch.isfinite(x_next.flatten(1)).all(1) & torch.isfinite(d.flatten(1)).all(1)
            diverged = not bool(finite.all())
            message = ""
            if diverged:
                bad = (~finite).nonzero().flatten().tolist()
                message = (
                    f"NaN or Inf detected at iteration {k} in start(s) {bad[:10]}: the step size is too large "
                    f"for this problem; the run stopped and keeps the iterates before it."
                )
                x_next = x
            state = Step(k, n_iter, x, x_next, t.clone(), b, fval, gnorm, cos, taken, time.perf_counter() - start,
                         diverged, message)
            prev_x, prev_g = x, -d
            x = x_next
        yield state
        if diverged:
            return


def solve(
    objective: Objective,
    x0: torch.Tensor,
    schedule: torch.Tensor,
    *,
    method: Method | None = None,
    step_rule: StepRule | None = None,
    n_iter: int | None = None,
    record_every: int = 1,
    diagnostics_every: int = 1,
    clip: tuple[float, float] | None = None,
    callback: Callable[[Step], bool | None] | None = None,
) -> Trajectory:
    """Run a method to the end and return its `Trajectory`; iterates are kept every `record_every` steps.

    The callback receives every `Step`; returning False stops the run early (status "stopped").
    """
    xs, iters = [x0.clone()], [0]
    rows: list[Step] = []
    status, message = "finished", ""
    last = x0
    for state in iterate(objective, x0, schedule, method=method, step_rule=step_rule, n_iter=n_iter,
                         diagnostics_every=diagnostics_every, clip=clip):
        rows.append(state)
        last = state.x_next
        k1 = state.k + 1
        if state.diverged:
            status, message = "diverged", state.message
            break
        if k1 % record_every == 0 or k1 == state.n_iter:
            xs.append(last.clone())
            iters.append(k1)
        if callback is not None and callback(state) is False:
            status, message = "stopped", f"stopped by the caller after iteration {state.k}"
            break
    if iters[-1] != len(rows) and status != "diverged":
        xs.append(last.clone())
        iters.append(len(rows))
    if status == "diverged" and iters[-1] != len(rows) - 1 and rows:
        xs.append(last.clone())
        iters.append(len(rows) - 1)
    return _stack(rows, xs, iters, status, message, x0.shape[0])


def _stack(rows: list[Step], xs, iters, status: str, message: str, batch: int) -> Trajectory:
    def col(name: str, dtype=torch.float64) -> torch.Tensor:
        if not rows:
            return torch.empty(0, batch, dtype=dtype)
        return torch.stack([getattr(r, name).to(dtype) for r in rows])

    return Trajectory(
        x=torch.stack(xs),
        iters=torch.tensor(iters, dtype=torch.long),
        t=col("t"),
        step=col("step"),
        f=col("f"),
        grad_norm=col("grad_norm"),
        cos=col("cos"),
        taken=col("taken", torch.bool),
        seconds=torch.tensor([r.seconds for r in rows], dtype=torch.float64),
        status=status,
        message=message,
    )
