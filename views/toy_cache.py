"""The Toy page's cached work: runs, landscapes, minima, convexity, maps and the figures built from them.

Small hashable arguments in, numpy results or frozen figures out; shared by every session of the server.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.app.memo import Memo
from explorer.core import schedules
from explorer.core.registry import make_method, make_step_rule
from explorer.figures import toy as toy_figures
from explorer.figures.frozen import freeze
from explorer.toy import analysis
from explorer.toy import fast as toy_fast
from explorer.toy.problem import ToyProblem

LANDSCAPE_HEIGHT = 600  # px: with the title above, the whole chart fits a 900 px high window
PRESENT_HEIGHT = 640  # px: presentation mode drops the page title, so the chart fits a 720 px high window
BACKDROP_GRID = 101  # F(., t) is evaluated on this many points a side for the landscape image
CONVEXITY_GRID = 41  # grid side for the convexity threshold bisection (the threshold agrees with 101 here)

@st.cache_data(max_entries=64, show_spinner=False)
def cached_run(method: str, step_rule: str, step_size: float, schedule: str, t_max: float, t_min: float, n_iter: int,
               data_weight: float, prior_weight: float, starts: tuple[tuple[float, float], ...]) -> toy_fast.FastResult:
    """Every iterate and diagnostic of the chosen method from each start (see toy_fast.run_recorded)."""
    problem = ToyProblem(data_weight=data_weight, prior_weight=prior_weight, t_min=t_min)
    ts = schedules.make(schedule, t_max, t_min, n_iter).numpy()
    rule = make_step_rule(step_rule, step_size)
    return toy_fast.run_recorded(problem, np.array(starts, dtype=float), ts, make_method(method), rule)


@st.cache_data(max_entries=256, show_spinner=False)
def cached_backdrop(t: float, data_weight: float, prior_weight: float) -> str:
    """F(., t) on the plotted window as an image (a data URI), shared by all sessions."""
    _, _, values = ToyProblem(data_weight=data_weight, prior_weight=prior_weight).landscape(t, grid=BACKDROP_GRID)
    return toy_figures.backdrop_source(values.numpy())


@st.cache_data(max_entries=16, show_spinner=False)
def cached_minima(data_weight: float, prior_weight: float, t_min: float) -> np.ndarray:
    """x* and the local minima of f, shape (4, 2)."""
    return ToyProblem(data_weight=data_weight, prior_weight=prior_weight, t_min=t_min).find_minima().numpy()


@st.cache_data(max_entries=16, show_spinner="Finding where F(., t) turns convex ...")
def cached_threshold(data_weight: float, prior_weight: float) -> float:
    """The smallest t above which F(., t) is convex over the window."""
    return ToyProblem(data_weight=data_weight, prior_weight=prior_weight).convexity_threshold(grid=CONVEXITY_GRID)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_frame_eigenvalues(t_k: tuple[float, ...], data_weight: float, prior_weight: float) -> list[float]:
    """Smallest Hessian eigenvalue of F(., t_k) over the window for each frame's t_k (the readout's numbers),
    on the grid of the convexity threshold so the verdicts agree with it."""
    problem = ToyProblem(data_weight=data_weight, prior_weight=prior_weight)
    return problem.min_eigenvalues(t_k, grid=CONVEXITY_GRID).tolist()


@st.cache_data(max_entries=16, show_spinner=False)
def cached_basin(method: str, step_rule: str, step_size: float, schedule: str, t_max: float, t_min: float, n_iter: int,
                 data_weight: float, prior_weight: float, grid: int) -> analysis.RunSummary:
    """Where every start of a grid x grid lattice ends at one t_max."""
    problem = ToyProblem(data_weight=data_weight, prior_weight=prior_weight, t_min=t_min)
    rule = make_step_rule(step_rule, step_size)
    return analysis.run_grid(problem, make_method(method), rule, t_max=t_max, n_iter=n_iter,
                             grid=grid, schedule=schedule)


# The figures, kept as built: a new visitor, a link or a control set back shows a figure already made (building
# the landscape, 101 frames of a default run, took ~0.1 s, and the server's time then slowed the browser's
# download of the chart script on a 2-core machine). Resources, not data: a cached plotly figure would be
# rebuilt, and validated again, on every unpickling. `st.plotly_chart` only reads them, and frozen (see
# explorer/figures/frozen.py) they are converted for sending once, not on every run.
@st.cache_resource(max_entries=8, show_spinner=False)
def cached_landscape(sources: tuple[str, ...], minima: np.ndarray, paths: np.ndarray, frames: tuple[int, ...],
                     which: tuple[int, ...], titles: tuple[str, ...], start: int, names: tuple[str, ...],
                     note: str = "", compare_paths: np.ndarray | None = None, panel_titles: tuple[str, str] = ("", ""),
                     present: bool = False, compare_which: tuple[int, ...] | None = None):
    return freeze(toy_figures.landscape_figure(
        sources, minima=minima, paths=list(paths), frame_iters=frames, frame_backdrop=which, titles=titles,
        start=start, names=names, height=PRESENT_HEIGHT if present else LANDSCAPE_HEIGHT, note=note,
        compare_paths=None if compare_paths is None else list(compare_paths), panel_titles=panel_titles,
        compare_backdrop=compare_which, emphasis=1.4 if present else 1.0))


@st.cache_resource(max_entries=16, show_spinner=False)
def cached_diagnostics(records: dict[str, np.ndarray], iteration: int, names: tuple[str, ...]):
    return freeze(toy_figures.diagnostics_figure(records, iteration, names=names))


@st.cache_resource
def sweep_memo() -> Memo[analysis.Sweep]:
    """Sweeps by their parameters, shared by all sessions. Not `st.cache_data`: the sweep reports progress to a
    bar made outside it, which a cache hit could not replay."""
    return Memo(max_entries=8)


def sweep_with_progress(method: str, step_rule: str, step_size: float, schedule: str, t_min: float, n_iter: int,
                        data_weight: float, prior_weight: float, grid: int, count: int) -> analysis.Sweep:
    """The basin and rate maps over `count` t_max values log-spaced from 10 to 0.01 (those above t_min).

    Computed once per parameter set, with a progress bar while it runs.
    """
    key = (method, step_rule, step_size, schedule, t_min, n_iter, data_weight, prior_weight, grid, count)
    memo = sweep_memo()
    found = memo.get(key)
    if found is not None:
        return found
    problem = ToyProblem(data_weight=data_weight, prior_weight=prior_weight, t_min=t_min)
    values = analysis.default_t_max_values(count)
    bar = st.progress(0.0, text="Sweeping t_max ...")

    def progress(i: int, total: int) -> None:
        bar.progress(i / total, text=f"Sweeping t_max: {i} of {total}")

    rule = make_step_rule(step_rule, step_size)
    result = analysis.sweep(problem, make_method(method), rule, t_max_values=values[values > t_min],
                            n_iter=n_iter, grid=grid, schedule=schedule, progress=progress)
    bar.empty()
    return memo.put(key, result)

