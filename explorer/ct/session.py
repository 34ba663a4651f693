"""A live CT reconstruction: advance the solver core a few iterations at a time, keep records, export them.

The CT page keeps one :class:`LiveRun` per browser session. `start_run` builds it from a problem and a batch
of starts (one call of :func:`explorer.core.solvers.iterate`, whose generator the run holds); `advance` pulls n
iterations and appends per-iterate records (t, step, f, data fit, descent cosine, PSNR, SSIM); the export
functions turn a run into the bytes of an NPZ, a CSV and a JSON file. Nothing here knows about streamlit.

The solver may run on another device than the problem the records are scored on (`start_run(..., solve_on=)`,
the same problem built on a GPU): every iterate comes back to the problem's device before it is scored or kept.

Records follow the row convention of :mod:`explorer.ct.export`: the step fields of the newest row are NaN
until the next iteration runs.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from explorer.core.registry import make_method
from explorer.core.solvers import Step, iterate
from explorer.ct.export import RECORD_FIELDS, history_csv
from explorer.ct.problem import CTProblem, CTSettings, SolverSettings, quality


@dataclass(eq=False)
class LiveRun:
    """One batched CT run in progress: the solver generator, the records so far and the kept iterates.

    Attributes
    ----------
    records : dict of str to list of np.ndarray
        For each of RECORD_FIELDS, one array of shape (K,) per iterate x_0 .. x_J (K starts).
    frames : list of torch.Tensor
        Kept iterates, each (K, 1, n, n): x_0 and every ``keep_every``-th iterate (`kept` adds the newest).
    frame_iters : list of int
        Iteration index j of each kept iterate.
    """

    settings: CTSettings  # the problem's settings and the solver's
    problem: CTProblem
    names: tuple[str, ...]  # one label per start
    steps: Iterator[Step]  # the solver core's generator
    keep_every: int  # keep every this many iterates for the scrubber and the export
    ssim_every: int  # SSIM every this many iterates (PSNR every iterate); SSIM is the slow one
    current: torch.Tensor  # the newest iterate x_J, (K, 1, n, n)
    records: dict[str, list[np.ndarray]] = field(default_factory=dict)
    frames: list[torch.Tensor] = field(default_factory=list)
    frame_iters: list[int] = field(default_factory=list)
    status: str = "running"  # "running", "finished" or "diverged"
    message: str = ""
    seconds: float = 0.0  # solver wall time so far

    @property
    def iteration(self) -> int:
        """Index J of the newest iterate (the number of iterations run)."""
        return len(self.records["psnr"]) - 1

    @property
    def done(self) -> bool:
        """True once the schedule is exhausted or the run diverged."""
        return self.status != "running"

    def kept(self) -> tuple[list[int], list[torch.Tensor]]:
        """The kept iterates and their indices, always ending with the newest iterate (for scrubbing and export)."""
        if self.frame_iters[-1] == self.iteration:
            return self.frame_iters, self.frames
        return [*self.frame_iters, self.iteration], [*self.frames, self.current]

    def history(self, name: str) -> np.ndarray:
        """The record `name` (one of RECORD_FIELDS) as an array of shape (J + 1, K)."""
        return np.stack(self.records[name])


def _data_fit(problem: CTProblem, x: torch.Tensor) -> np.ndarray:
    """1/2 ||A~ x - y~||^2 of each image, shape (K,)."""
    with torch.no_grad():
        return problem.objective.data.value(x).double().numpy()


def _append_iterate(run: LiveRun, x: torch.Tensor, j: int, with_ssim: bool) -> None:
    """Add the row of iterate x_j: its PSNR, data fit and (when asked) SSIM; the step fields wait as NaN."""
    x = x.to(run.problem.truth.device)
    nan = np.full(x.shape[0], np.nan)
    p, s = quality(x, run.problem.truth, run.settings.problem.clip_metrics)
    if not with_ssim:
        s = nan
    row = {"t": nan, "step": nan, "f": nan, "cos": nan, "seconds": nan, "psnr": p, "ssim": s,
           "data_fit": _data_fit(run.problem, x)}
    for name in RECORD_FIELDS:
        run.records[name].append(np.asarray(row[name], dtype=np.float64))
    run.current = x
    if j % run.keep_every == 0:
        run.frames.append(x.clone())
        run.frame_iters.append(j)


def start_run(problem: CTProblem, x0: torch.Tensor, solver: SolverSettings, names: Sequence[str], *,
              keep_every: int = 1, ssim_every: int = 5, solve_on: CTProblem | None = None) -> LiveRun:
    """A new live run of the solver settings' method, schedule and step rule from the starts x0, nothing run yet.

    Parameters
    ----------
    problem : CTProblem
        From :func:`explorer.ct.make_problem`.
    x0 : torch.Tensor, shape (K, 1, n, n)
        The starts, run together as one batch.
    solver : SolverSettings
        Method, schedule, step rule, clipping and iteration count.
    names : sequence of str
        K labels, one per start.
    keep_every, ssim_every : int
        Stride of the kept iterates and of the SSIM record; f and the descent cosine are recorded at the SSIM
        stride too (and at every iteration of a line search, which computes them anyway), so a rule without a
        search costs one gradient per iteration.
    solve_on : CTProblem, optional
        The same problem on the device the solver should use (``make_problem(..., device="cuda")``); the records,
        the kept iterates and the exports stay with `problem`. Default: `problem` itself.
    """
    if len(names) != x0.shape[0]:
        raise ValueError(f"{len(names)} names for {x0.shape[0]} starts")
    solver_problem = problem if solve_on is None else solve_on
    if solver_problem.settings != problem.settings:
        raise ValueError("solve_on must be the same problem (same settings) on another device")
    x0 = x0.to(torch.float32)
    settings = CTSettings(problem.settings, solver)
    steps = iterate(solver_problem.objective, x0.to(solver_problem.y.device), settings.smoothing_schedule(),
                    method=make_method(solver.method),
                    step_rule=settings.step_rule(), n_iter=solver.n_iter, clip=(0.0, 1.0) if solver.clip else None,
                    diagnostics_every=max(1, int(ssim_every)))
    run = LiveRun(settings, problem, tuple(names), steps, max(1, int(keep_every)), max(1, int(ssim_every)),
                  x0.to(problem.truth.device), records={name: [] for name in RECORD_FIELDS})
    _append_iterate(run, x0, 0, with_ssim=True)
    return run


def advance(run: LiveRun, n: int) -> int:
    """Run up to n more iterations; returns how many ran. Stops early at the end or on divergence.

    A step that produces NaN or Inf sets ``status = "diverged"`` and ``message`` to the solver's
    ("NaN or Inf detected ..."), and leaves the iterates before it in place.
    """
    ran = 0
    while ran < n and not run.done:
        state = next(run.steps, None)
        if state is None:
            run.status = "finished"
            break
        j = state.k
        for name, value in (("t", state.t), ("step", state.step), ("f", state.f), ("cos", state.cos)):
            run.records[name][j] = value.detach().double().cpu().numpy().copy()
        run.records["seconds"][j] = np.full(len(run.names), state.seconds)
        run.seconds = state.seconds
        ran += 1
        if state.diverged:
            run.status, run.message = "diverged", state.message
            break
        last = state.k + 1 == state.n_iter
        _append_iterate(run, state.x_next, j + 1, with_ssim=last or (j + 1) % run.ssim_every == 0)
        if last:
            run.status = "finished"
    return ran


def run_to_end(run: LiveRun, *, until: int | None = None, chunk: int = 4,
               progress: Callable[[LiveRun], None] | None = None) -> LiveRun:
    """Advance the run until it finishes or diverges, or reaches iteration `until`; returns it.

    The iterations run `chunk` at a time and `progress(run)` is called after each chunk: a caller that must be
    able to stop a long run (a page whose visitor left) can raise from it, and the run stays consistent.
    """
    chunk = max(int(chunk), 1)
    while not run.done and (until is None or run.iteration < until):
        advance(run, chunk if until is None else min(chunk, until - run.iteration))
        if progress is not None:
            progress(run)
    return run


def frame_at(run: LiveRun, j: int) -> torch.Tensor:
    """The kept iterate with the largest index <= j, shape (K, 1, n, n)."""
    iters, frames = run.kept()
    index = int(np.searchsorted(np.asarray(iters), j, side="right")) - 1
    return frames[max(index, 0)]


def final_quality(run: LiveRun) -> tuple[np.ndarray, np.ndarray]:
    """PSNR (dB) and SSIM of the newest iterate of every start, two arrays of shape (K,)."""
    return quality(run.current, run.problem.truth, run.settings.problem.clip_metrics)


def config_json(run: LiveRun, extra: dict | None = None) -> bytes:
    """The run's settings as UTF-8 JSON: the resolved settings, the start names, the status and `extra`."""
    payload = {"settings": run.settings.to_dict(), "starts": list(run.names), "iterations_run": run.iteration,
               "status": run.status, "message": run.message, **(extra or {})}
    return json.dumps(payload, indent=2, default=float).encode()


def metrics_csv(run: LiveRun) -> bytes:
    """Every record of every start as CSV (:func:`explorer.ct.export.history_csv`)."""
    return history_csv(run.names, {name: run.history(name) for name in RECORD_FIELDS})


def export_npz(run: LiveRun, extra: dict | None = None) -> bytes:
    """The run as NPZ bytes.

    Arrays: ``iterates`` (R, K, n, n) float32, the kept iterates; ``iters`` (R,), their indices;
    ``truth`` (n, n); ``fbp`` (n, n), the ramp FBP, not clipped; ``starts`` (K,) names; one array per
    record in RECORD_FIELDS, (J + 1, K); ``settings`` the JSON of :func:`config_json` as a 0-d string.
    """
    iters, frames = run.kept()
    arrays = {
        "iterates": torch.stack(frames)[:, :, 0].numpy(),
        "iters": np.asarray(iters, dtype=np.int64),
        "truth": run.problem.truth[0, 0].numpy(),
        "fbp": run.problem.fbp[0, 0].numpy(),
        "starts": np.asarray(run.names),
        "settings": np.asarray(config_json(run, extra).decode()),
        **{name: run.history(name) for name in RECORD_FIELDS},
    }
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue()
