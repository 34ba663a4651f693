"""The one solver core: every method of the paper on a batch of starts, for the toy and for CT alike.

Works on starts of any shape (B, ...): points (B, 2) for the toy, images (B, 1, H, W) for CT. Each iteration
is the paper's update

    x_{k+1} = x_k + b_k d_k,      d_k = -t_k grad_x F(x_k, t_k)   (GNC flow, gradient-like)

where the method (`explorer.core.methods`) proposes t_k and d_k and the step rule (`explorer.core.steps`)
picks b_k. `iterate` yields one `Step` per iteration (for live views); `solve` runs to the end and returns a
`Trajectory`, reporting progress through a callback. Every tensor made here follows the device of x0.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch

from explorer.core.interfaces import Objective
from explorer.core.methods import GNCFlow, Method, cosine, expand
from explorer.core.objective import batch_dot, batch_norm
from explorer.core.steps import Fixed, StepRule, armijo_search


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

    def to(self, device: str | torch.device) -> Trajectory:
        """The same record with every tensor on `device` (e.g. back on the CPU after a run on a GPU)."""
        moved = {name: value.to(device) for name, value in vars(self).items() if isinstance(value, torch.Tensor)}
        return Trajectory(**{**vars(self), **moved})


@dataclass
class _Target:
    """f(x_k) and grad f(x_k) of every start, with what the step rules and the diagnostics read from them."""

    f: torch.Tensor  # (B,) float64
    grad: torch.Tensor  # like x

    def slope(self, d: torch.Tensor) -> torch.Tensor:
        """<grad f(x_k), d_k> (B,); negative for a descent direction."""
        return batch_dot(self.grad, d).double()


class _Secant:
    """The last move s = x_k - x_{k-1} and the change of the direction's gradient, for Barzilai-Borwein."""

    def __init__(self) -> None:
        self.x: torch.Tensor | None = None
        self.g: torch.Tensor | None = None

    def first_trial(self, rule: StepRule, x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """The rule's first trial step b for every start, float64 (B,) on x's device."""
        s = None if self.x is None else x - self.x
        g_diff = None if self.g is None else g - self.g
        self.x, self.g = x, g
        return rule.initial(s, g_diff, x.shape[0], device=x.device)


class _Recent:
    """f at the last `memory` iterates of every start: the reference of a nonmonotone Armijo test."""

    def __init__(self, memory: int) -> None:
        self.memory = max(1, int(memory))
        self.values: list[torch.Tensor] = []

    def reference(self, f: torch.Tensor) -> torch.Tensor:
        """Record f(x_k) and return the largest f of the last `memory` iterates, per start (f itself for 1)."""
        self.values = (self.values + [f])[-self.memory:]
        return torch.stack(self.values).amax(0) if len(self.values) > 1 else f


def _step_size(rule: StepRule, objective: Objective, x: torch.Tensor, d: torch.Tensor, target: _Target | None,
               b: torch.Tensor, must_descend: bool, t_min: torch.Tensor, recent: _Recent
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """b_k and whether a step is taken, per start: a line search on f backtracks from b; 0 where no step."""
    descent = target.slope(d) < 0 if target is not None else torch.ones_like(b, dtype=torch.bool)
    active = descent if must_descend else torch.ones_like(descent)
    if rule.searches:
        return armijo_search(lambda xs, idx: objective.value(xs, t_min[idx]), x, d, recent.reference(target.f),
                             target.slope(d), b, rule, active)
    return torch.where(active, b, torch.zeros_like(b)), active


def _finite(x: torch.Tensor) -> torch.Tensor:
    """Per start: every entry finite (B,) bool."""
    return torch.isfinite(x.flatten(1)).all(1)


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
        Starts, shape (B, ...); every start runs independently, on x0's device and dtype.
    schedule : torch.Tensor
        Smoothing levels t_1 > ... > t_N (float64).
    method, step_rule :
        Defaults: GNC flow with a fixed step 1.
    n_iter : int, optional
        Number of iterations (default: the schedule length).
    diagnostics_every : int
        f, |grad f| and the descent cosine are computed every this many iterations (and always when the
        method or step rule needs them); 1 records every iteration, 0 only the last.
    clip : (lo, hi), optional
        Project every iterate onto [lo, hi] (used for images).
    """
    method = method or GNCFlow()
    step_rule = step_rule or Fixed(1.0)
    n_iter = len(schedule) if n_iter is None else int(n_iter)
    x = x0.clone()
    batch, device = x.shape[0], x.device
    schedule = schedule.to(device)
    level = torch.zeros(batch, dtype=torch.long, device=device)
    t_min = torch.full((batch,), objective.t_min, dtype=torch.float64, device=device)
    nan = torch.full((batch,), math.nan, dtype=torch.float64, device=device)
    needs_f = method.needs_grad_f or step_rule.searches
    must_descend = method.needs_descent or step_rule.searches
    secant = _Secant()
    recent = _Recent(getattr(step_rule, "memory", 1))
    start = time.perf_counter()
    for k in range(n_iter):
        with torch.no_grad():
            target = None
            if needs_f or (diagnostics_every > 0 and k % diagnostics_every == 0) or k == n_iter - 1:
                target = _Target(*objective.value_and_grad(x, t_min))
            # The method proposes t_k and d_k (GNC: d_k = -t_k grad F(x_k, t_k)); the step rule picks b_k.
            t, d, level = method.direction(objective, x, k, schedule, level, None if target is None else target.grad)
            b, taken = _step_size(step_rule, objective, x, d, target, secant.first_trial(step_rule, x, -d),
                                  must_descend, t_min, recent)
            # The update: x_{k+1} = x_k + b_k d_k.
            x_next = x + expand(b, x) * d
            if clip is not None:
                x_next = x_next.clamp(*clip)
            finite = _finite(x_next) & _finite(d)
            diverged = not bool(finite.all())
            message = ""
            if diverged:
                bad = (~finite).nonzero().flatten().tolist()
                message = (f"NaN or Inf detected at iteration {k} in start(s) {bad[:10]}: the step size is too large "
                           f"for this problem; the run stopped and keeps the iterates before it.")
                x_next = x
            if target is None:
                f, grad_norm, cos = nan, nan, nan
            else:
                f, grad_norm, cos = target.f.double(), batch_norm(target.grad).double(), cosine(d, target.grad)
            state = Step(k, n_iter, x, x_next, t.clone(), b, f, grad_norm, cos, taken, time.perf_counter() - start,
                         diverged, message)
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
            return torch.empty(0, batch, dtype=dtype, device=xs[0].device)
        return torch.stack([getattr(r, name).to(dtype) for r in rows])

    return Trajectory(
        x=torch.stack(xs),
        iters=torch.tensor(iters, dtype=torch.long, device=xs[0].device),
        t=col("t"),
        step=col("step"),
        f=col("f"),
        grad_norm=col("grad_norm"),
        cos=col("cos"),
        taken=col("taken", torch.bool),
        seconds=torch.tensor([r.seconds for r in rows], dtype=torch.float64, device=xs[0].device),
        status=status,
        message=message,
    )
