"""The authors' analyses of the toy: where each start of a grid ends, and how fast starts reach x*.

Basin map: for every start of a G x G grid, the minimum it ends at (x*, a local minimum) or "not converged";
over a sweep of t_max, the share of t_max values that bring each start to x*. Convergence-rate map: the
share of starts within 0.1 of x* against iteration and t_max.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from explorer.core import schedules
from explorer.toy import fast as toy_fast
from explorer.toy.problem import WINDOW, ToyProblem

NOT_CONVERGED = -1  # label of a start that ends near no minimum
MINIMA_NAMES = ("x*", "local min 1", "local min 2", "local min 3")  # labels 0..3, the order of find_minima
RADIUS = 0.1  # a start "reaches" a point when it ends within this distance
STATIONARY_TOL = 0.1  # |grad f| below this counts as stationary


def grid_starts(grid: int, window: tuple[float, float] = WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """The authors' starts: a grid x grid lattice over the window.

    Returns
    -------
    coords : ndarray, shape (grid,)
        The lattice coordinates along each axis.
    starts : ndarray, shape (grid * grid, 2)
        starts[i * grid + j] = (coords[j], coords[i]): row i is y, column j is x (heatmap order).
    """
    coords = np.linspace(window[0], window[1], grid)
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    return coords, np.stack([xx.ravel(), yy.ravel()], axis=1)


def classify(final: np.ndarray, minima: np.ndarray, radius: float = RADIUS) -> np.ndarray:
    """Label each end point by the minimum it lies within `radius` of (0 is x*), else NOT_CONVERGED."""
    dist = np.linalg.norm(final[:, None, :] - minima[None, :, :], axis=2)
    nearest = dist.argmin(1)
    ok = np.isfinite(dist).all(1) & (dist.min(1, initial=np.inf, where=np.isfinite(dist)) < radius)
    return np.where(ok, nearest, NOT_CONVERGED)


def first_exit(path: np.ndarray, window: tuple[float, float] = WINDOW) -> int | None:
    """The first iteration at which a path (shape (N + 1, 2)) is outside the window or not finite, else None."""
    lo, hi = window
    with np.errstate(invalid="ignore"):
        outside = ~(np.isfinite(path).all(1) & (path >= lo).all(1) & (path <= hi).all(1))
    hits = np.flatnonzero(outside)
    return int(hits[0]) if hits.size else None


def describe_end(final: np.ndarray, minima: np.ndarray, diverged: bool = False,
                 window: tuple[float, float] = WINDOW) -> str:
    """Where one start ended, in words, by the rule of the basin map (`classify`), with the distance when it
    reached no minimum; an end outside the window says so. final: shape (2,); minima: shape (M, 2), x* first;
    names from MINIMA_NAMES."""
    if diverged or not np.isfinite(final).all():
        return "diverged"
    if first_exit(np.asarray(final, dtype=float)[None], window) is not None:
        return f"left the window (|x_N| = {np.abs(final).max():.2g})"
    label = int(classify(np.asarray(final, dtype=float)[None], minima)[0])
    if label != NOT_CONVERGED:
        return MINIMA_NAMES[label]
    dist = np.linalg.norm(np.asarray(minima) - final, axis=1)
    return f"not converged ({dist.min():.2g} from {MINIMA_NAMES[int(dist.argmin())]})"


@dataclass
class RunSummary:
    """One method at one t_max from every start of a grid."""

    t_max: float
    labels: np.ndarray  # (G, G) minimum index reached, NOT_CONVERGED elsewhere
    frac_global: float  # share of starts within RADIUS of x*
    frac_stationary: float  # share of starts with |grad f| <= STATIONARY_TOL
    rate: np.ndarray  # (n_rec,) share within RADIUS of x* after every `stride` iterations
    seconds: float  # wall time of the solve


@dataclass
class Sweep:
    """A method over many t_max values: the data of the basin and convergence-rate maps."""

    coords: np.ndarray  # (G,) grid coordinates
    t_max: np.ndarray  # (T,) t_max values
    runs: list[RunSummary]
    reach_share: np.ndarray  # (G, G) share of t_max values that bring each start to x*
    rate: np.ndarray  # (T, n_rec) share of starts within RADIUS of x* after each recorded iteration
    iterations: np.ndarray  # (n_rec,) iteration numbers of the rate map's columns
    seconds: float  # wall time of all solves together


def run_grid(problem: ToyProblem, method, step_rule, *, t_max: float, n_iter: int = 1300, grid: int = 100,
             schedule: str = "linear", stride: int = 10) -> RunSummary:
    """Run one method at one t_max from every start of a grid x grid lattice (fused backend)."""
    coords, starts = grid_starts(grid)
    ts = schedules.make(schedule, t_max, problem.t_min, n_iter).numpy()
    t0 = time.perf_counter()
    result = toy_fast.run(problem, starts, ts, method, step_rule, radius=RADIUS, stride=stride)
    seconds = time.perf_counter() - t0
    minima = problem.find_minima().numpy()
    labels = classify(result.final, minima).reshape(grid, grid)
    good = ~result.diverged
    return RunSummary(
        t_max=float(t_max),
        labels=labels,
        frac_global=float(np.mean(labels == 0)),
        frac_stationary=float(np.mean(good & (result.grad_norm <= STATIONARY_TOL))),
        rate=result.hits.mean(0),
        seconds=seconds,
    )


def default_t_max_values(count: int = 100) -> np.ndarray:
    """The authors' sweep: `count` values log-spaced from 10 down to 0.01."""
    return np.logspace(1, -2, count)


def sweep(problem: ToyProblem, method, step_rule, *, t_max_values: np.ndarray | None = None,
          n_iter: int = 1300, grid: int = 100, schedule: str = "linear", stride: int = 10,
          progress=None) -> Sweep:
    """Run a method over a sweep of t_max from a grid of starts; progress(i, T) is called after each t_max."""
    values = default_t_max_values() if t_max_values is None else np.asarray(t_max_values, dtype=float)
    runs = []
    t0 = time.perf_counter()
    for i, t_max in enumerate(values):
        runs.append(run_grid(problem, method, step_rule, t_max=float(t_max), n_iter=n_iter, grid=grid,
                             schedule=schedule, stride=stride))
        if progress is not None:
            progress(i + 1, len(values))
    seconds = time.perf_counter() - t0
    coords, _ = grid_starts(grid)
    reach = np.mean([r.labels == 0 for r in runs], axis=0)
    rate = np.stack([r.rate for r in runs])
    iterations = stride * np.arange(1, rate.shape[1] + 1)
    iterations = np.minimum(iterations, n_iter)
    return Sweep(coords, values, runs, reach, rate, iterations, seconds)
